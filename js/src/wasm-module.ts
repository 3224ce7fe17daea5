// The shape of what the emscripten glue (observability.mjs, from wasm/bindings.cc) resolves to. Internal.

/** A metric of any kind on the C++ side (embind class `Metric`). */
export interface NativeMetric {
  kind(): number;
  error(): string;
  name(): string;
  help(): string;
  labelCount(): number;
  seriesCount(): number;
  /** Address of a new series handle, or 0 (then `lastError()` says why). */
  child(values: string[]): number;
  remove(values: string[]): string;
  reset(): string;
  buckets(): number[];
  delete(): void;
}

/** embind class `Registry`. */
export interface NativeRegistry {
  error(): string;
  register(m: NativeMetric): string;
  unregister(m: NativeMetric): boolean;
  expose(format: number): string;
  delete(): void;
}

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

export interface WasmModule {
  Metric: new (kind: number, name: string, help: string, labels: string[], buckets: number[] | undefined) => NativeMetric;
  Registry: new (namespace: string, constLabels: string[]) => NativeRegistry;
  lastError(): string;
  defaultBuckets(): number[];
  linearBuckets(start: number, width: number, count: number): number[];
  exponentialBuckets(start: number, factor: number, count: number): number[];
  exponentialBucketsRange(min: number, max: number, count: number): number[];
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
