// Instantiates observability.wasm with the three functions it imports. The module is linked by emcc
// (wasm/CMakeLists.txt) but shipped without emcc's JS runtime: what the core asks of its host is small,
// and the runtime was a tenth of the page's bytes (docs/building.md, "The WebAssembly module").
import type { HeapView, WasmExports } from "./wasm-module.js";

/** What the module is given: an array buffer (or a view of one) or where to fetch it. */
export type WasmSource = ArrayBuffer | Uint8Array | string;

const PAGE = 65536;
/** UTF-8 into the module's memory (here and in WasmCore: one encoder a page). */
export const encoder = new TextEncoder();

/**
 * The imports of the module, over the memory it will export (known once it is instantiated). `grown` is
 * called after the memory grew (views of it must be made again).
 */
export function wasmImports(memory: () => WasmExports["memory"], grown: () => void): WebAssembly.Imports {
  return {
    env: {
      // libc's abort(): the core calls it only for what cannot go on (operator new without memory).
      abort: () => {
        throw new WebAssembly.RuntimeError("golivekit-observability: the wasm module aborted (out of memory?)");
      },
      // The allocator's sbrk asks for `bytes` of memory in all. Growing by a fifth at least, as emcc's
      // runtime does, keeps a heap that grows by small steps from being copied at each one. 1 = grown, 0 =
      // no memory (the module's maximum, or the engine's, was reached), which the allocator reports as a
      // failed malloc.
      emscripten_resize_heap: (bytes: number) => {
        const have = memory().buffer.byteLength;
        bytes >>>= 0;
        for (const want of [Math.max(bytes, have * 1.2), bytes]) {
          try {
            memory().grow(Math.ceil((want - have) / PAGE));
          } catch {
            continue; // the larger step may exceed the maximum where the exact one does not
          }
          grown();
          return 1;
        }
        return 0;
      },
      // Core's float-digits hook (detail/float_hook.h): String(v) is ECMA-262's Number::toString, the
      // shortest digits that read back as v, as {fmt} picks natively. ASCII, at most 25 characters.
      // Core's clock (detail/clock.h): series lifetimes and created timestamps.
      glk_obs_host_now: Date.now,
      glk_obs_host_shortest: (v: number, out: number) => {
        const s = String(v);
        return encoder.encodeInto(s, new Uint8Array(memory().buffer, out, s.length)).written!;
      },
    },
  };
}

/** How an entry instantiates the module with the imports it is given: from bytes, or fetched. */
export type Instantiate = (imports: WebAssembly.Imports) => Promise<WebAssembly.Instance>;

/** The module from `source`: fetched from a URL (a string), or compiled from bytes. */
export function instantiateWasm(source: WasmSource): Promise<HeapView> {
  return instantiateWith(typeof source === "string" ? fromUrl(source) : fromBytes(source as BufferSource));
}

/**
 * Instantiates the module; resolves to its exports and a view of its memory that stays current
 * (HeapView). The module has no static constructors to run: its link ran them and kept the memory they
 * left (EVAL_CTORS, wasm/CMakeLists.txt). The inline entry calls it with fromBytes only, so that its page
 * carries no fetching.
 */
export async function instantiateWith(instantiate: Instantiate): Promise<HeapView> {
  const heap = {} as HeapView; // its exports and view once the module is instantiated
  const view = () => {
    const buffer = heap.exports.memory.buffer;
    heap.f64 = new Float64Array(buffer);
    heap.u32 = new Uint32Array(buffer);
  };
  heap.exports = (await instantiate(wasmImports(() => heap.exports.memory, view))).exports as unknown as WasmExports;
  view();
  return heap;
}

// The module's bytes as fetched, whatever the server says of them: gzip'd as the package ships them
// (observability.wasm.gz, which even a server that compresses nothing sends at its gzip'd size), gunzipped
// already by a server that marked them Content-Encoding: gzip, or a plain .wasm given as `wasmUrl`.
// Compiled once they are all here rather than while they arrive: the module is small, and no
// Content-Type (application/wasm, which streaming compilation needs) is asked of the server.
export const fromUrl = (url: string): Instantiate => async (imports) => {
  const response = await fetch(url); // credentials: "same-origin", fetch's default
  if (!response.ok) throw new Error(`golivekit-observability: cannot load ${url}: HTTP ${response.status}`);
  return fromBytes(await response.arrayBuffer())(imports);
};

/** The module from its bytes: a plain module ("\0asm" first), or one gzip'd (1f 8b first; 1f is enough). */
export const fromBytes = (bytes: BufferSource): Instantiate => async (imports) =>
  (await WebAssembly.instantiate(await gunzipped(bytes), imports)).instance;

// gzip by the platform's DecompressionStream (browsers since 2023, Node 18); the entries that fetch
// observability.wasm.gz fetch the plain module where there is none (module-url.ts).
async function gunzipped(bytes: BufferSource): Promise<BufferSource> {
  return new Uint8Array((bytes as ArrayBufferView).buffer ?? bytes, (bytes as ArrayBufferView).byteOffset)[0] === 0x1f
    ? new Response(new Response(bytes).body!.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer()
    : bytes;
}
