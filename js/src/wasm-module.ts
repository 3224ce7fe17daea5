// The types of wasm/bindings.cc's C exports. Internal; wasm-core.ts wraps them.

/**
 * The raw wasm exports (wasm/bindings.cc, wasm/hot_paths.cc). Addresses are numbers. Written by hand;
 * js/test/wasm_exports.test.mjs checks it against the built module (names, parameter counts).
 */
export interface WasmExports {
  /** A WebAssembly.Memory (typed structurally: consumers' type checks may not have the WebAssembly lib). */
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  glk_counter_value(p: number): number;
  glk_gauge_value(p: number): number;
  /** The byte address of the double JS updates in place for a counter or gauge series (wasm/hot_paths.cc). */
  glk_cell(kind: number, p: number): number;
  glk_histogram_observe(p: number, v: number): void;
  glk_histogram_count(p: number): number;
  glk_histogram_sum(p: number): number;
  /** Frees a series handle (what: its metric kind), a metric adapter or a registry adapter (wasm/kinds.h). */
  glk_free(what: number, p: number): void;
  /** The error a metric or registry adapter was made with (what: METRIC_ADAPTER or REGISTRY_ADAPTER). */
  glk_error(what: number, p: number): number;
  glk_heap_in_use(): number;
  glk_in(n: number): number;
  glk_len(): number;
  glk_release(): void;
  glk_nums(n: number): number;
  glk_last_error(): number;
  /** HistogramOpts' native_bucket_factor, native_zero_threshold, native_max_buckets; max_series, series_ttl. */
  glk_metric_new(
    kind: number,
    inLen: number,
    buckets: number,
    nativeFactor: number,
    nativeZeroThreshold: number,
    nativeMaxBuckets: number,
    maxSeries: number,
    seriesTtlMs: number,
  ): number;
  glk_metric_kind(m: number): number;
  glk_metric_help(m: number): number;
  glk_metric_series_count(m: number): number;
  glk_metric_child(m: number, inLen: number): number;
  glk_metric_remove(m: number, inLen: number): number;
  glk_metric_reset(m: number): number;
  glk_metric_buckets(m: number): number;
  /** created: 0 or 1 (RegistryOpts' created_timestamps). */
  glk_registry_new(inLen: number, maxSeries: number, created: number): number;
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

/**
 * An instance of the module: its exports, and a Float64Array over its whole memory. Growing the memory
 * detaches the old array (whose writes would then be lost silently), so the loader replaces `f64` on
 * every growth (wasm-instance.ts): read it at each use, never keep it.
 */
export interface HeapView {
  exports: WasmExports;
  f64: Float64Array;
  /** The same memory as 32-bit words: a series' lifetime stamp (STAMP_WORDS_BACK) is cleared through it. */
  u32: Uint32Array;
}
