// The JS side of wasm/bindings.cc's C exports: strings and number arrays through the module's scratch
// buffers, everything else as numbers. Internal.

/**
 * The raw wasm exports (wasm/bindings.cc, wasm/hot_paths.cc). Addresses are numbers. Written by hand;
 * js/test/wasm_exports.test.mjs checks it against the built module (names, parameter counts).
 */
export interface WasmExports {
  memory: { readonly buffer: ArrayBuffer };
  glk_counter_inc(p: number): void;
  glk_counter_add(p: number, v: number): number;
  glk_counter_value(p: number): number;
  glk_gauge_set(p: number, v: number): void;
  glk_gauge_add(p: number, v: number): void;
  glk_gauge_value(p: number): number;
  glk_histogram_observe(p: number, v: number): void;
  glk_histogram_count(p: number): number;
  glk_histogram_sum(p: number): number;
  glk_child_free(kind: number, p: number): void;
  glk_heap_in_use(): number;
  glk_in(n: number): number;
  glk_len(): number;
  glk_release(): void;
  glk_nums(n: number): number;
  glk_last_error(): number;
  glk_metric_new(kind: number, inLen: number, buckets: number): number;
  glk_metric_free(m: number): void;
  glk_metric_kind(m: number): number;
  glk_metric_error(m: number): number;
  glk_metric_name(m: number): number;
  glk_metric_help(m: number): number;
  glk_metric_series_count(m: number): number;
  glk_metric_child(m: number, inLen: number): number;
  glk_metric_remove(m: number, inLen: number): number;
  glk_metric_reset(m: number): number;
  glk_metric_buckets(m: number): number;
  glk_registry_new(inLen: number): number;
  glk_registry_free(r: number): void;
  glk_registry_error(r: number): number;
  glk_registry_register(r: number, m: number): number;
  glk_registry_unregister(r: number, m: number): number;
  glk_registry_expose(r: number, format: number): number;
  glk_default_buckets(): number;
  glk_linear_buckets(start: number, width: number, count: number): number;
  glk_exponential_buckets(start: number, factor: number, count: number): number;
  /** w0..w3: the client id's 128 random bits, as four unsigned 32-bit words. */
  glk_encoder_new(maxBytes: number, w0: number, w1: number, w2: number, w3: number): number;
  glk_encoder_free(e: number): void;
  glk_encoder_client(e: number): number;
  glk_encoder_skip(e: number, inLen: number): void;
  glk_encoder_encode(e: number, r: number, final: number, dropped: number): number;
  glk_encoder_batch(e: number, i: number): number;
}

/** What the emscripten glue (observability.mjs) resolves to. */
export interface EmModule {
  /** emscripten 3.1.x names the instance's exports `asm`, later versions `wasmExports`. */
  asm?: WasmExports;
  wasmExports?: WasmExports;
}

/** Options the glue accepts (INCOMING_MODULE_JS_API in wasm/CMakeLists.txt). */
export interface ModuleArgs {
  wasmBinary?: ArrayBuffer | Uint8Array;
  locateFile?: (path: string, prefix: string) => string;
}

export type ModuleFactory = (args: ModuleArgs) => Promise<EmModule>;

/**
 * The exports plus marshalling. Errors returned as strings are "" when all went well, else
 * "CODE: message".
 */
export interface Wasm {
  x: WasmExports;
  /** Writes strings into the input buffer (UTF-8, each followed by 0xFF); returns the bytes written. */
  put(strings: readonly string[]): number;
  /** The string whose address an export returned (its length from glk_len). */
  str(p: number): string;
  /** A copy of the bytes whose address an export returned. */
  bytes(p: number): Uint8Array;
  /** Writes numbers into the number buffer; returns how many. */
  putNums(v: readonly number[]): number;
  /** The first `n` numbers of the number buffer (an export returned `n`). */
  nums(n: number): number[];
}

export function bind(m: EmModule): Wasm {
  const x = (m.asm ?? m.wasmExports)!;
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  // A fresh view each time: memory growth detaches the old buffer.
  const u8 = () => new Uint8Array(x.memory.buffer);
  const bytes = (p: number) => u8().slice(p, p + x.glk_len());
  return {
    x,
    put(strings) {
      let max = 0;
      for (const s of strings) max += s.length * 3 + 1;
      const start = x.glk_in(max);
      const mem = u8();
      let at = start;
      for (const s of strings) {
        at += enc.encodeInto(s, mem.subarray(at)).written!;
        mem[at++] = 255;
      }
      return at - start;
    },
    str(p) {
      const n = x.glk_len();
      const s = dec.decode(u8().subarray(p, p + n));
      if (n > 4096) x.glk_release(); // do not keep an exposition's worth of wasm heap
      return s;
    },
    bytes,
    putNums(v) {
      new Float64Array(x.memory.buffer, x.glk_nums(v.length), v.length).set(v);
      return v.length;
    },
    nums: (n) => Array.from(new Float64Array(x.memory.buffer, x.glk_nums(n), n)),
  };
}
