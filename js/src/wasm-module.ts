// The shape of what the emscripten glue (observability.mjs, from wasm/bindings.cc) resolves to. Internal.

/** The raw wasm exports the hot paths call (numbers only). */
export interface WasmExports {
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
}

/**
 * The embind functions of wasm/bindings.cc. Metrics and registries are addresses of C++ adapters
 * (numbers), freed with metricFree/registryFree. Strings returned as errors are "" when all went well,
 * else "CODE: message".
 */
export interface WasmModule {
  metricNew(kind: number, name: string, help: string, labels: string[], buckets: number[] | undefined): number;
  metricFree(m: number): void;
  metricKind(m: number): number;
  metricError(m: number): string;
  metricName(m: number): string;
  metricHelp(m: number): string;
  metricSeriesCount(m: number): number;
  /** Address of a new series handle, or 0 (then `lastError()` says why). */
  metricChild(m: number, values: string[]): number;
  metricRemove(m: number, values: string[]): string;
  metricReset(m: number): string;
  metricBuckets(m: number): number[];
  registryNew(namespace: string, constLabels: string[]): number;
  registryFree(r: number): void;
  registryError(r: number): string;
  registryRegister(r: number, m: number): string;
  registryUnregister(r: number, m: number): boolean;
  registryExpose(r: number, format: number): string;
  lastError(): string;
  defaultBuckets(): number[];
  linearBuckets(start: number, width: number, count: number): number[];
  exponentialBuckets(start: number, factor: number, count: number): number[];
  HEAP8: Int8Array;
  /** emscripten 3.1.x names the instance's exports `asm`, later versions `wasmExports`. */
  asm?: WasmExports;
  wasmExports?: WasmExports;
}

/** Options the glue accepts (INCOMING_MODULE_JS_API in wasm/CMakeLists.txt). */
export interface ModuleArgs {
  wasmBinary?: ArrayBuffer | Uint8Array;
  locateFile?: (path: string, prefix: string) => string;
}

export type ModuleFactory = (args: ModuleArgs) => Promise<WasmModule>;
