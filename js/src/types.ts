/// <reference lib="esnext.disposable" preserve="true" />
/**
 * Public types of `@golivekit/observability`: the spec's metrics API in camelCase.
 *
 * Every object that owns WebAssembly memory (registries, metrics, label handles) has `dispose()` and
 * `[Symbol.dispose]()`; a `FinalizationRegistry` frees whatever is dropped without being disposed.
 *
 * @packageDocumentation
 */

/** A label value: strings are used as they are, numbers and booleans through `String(value)`. */
export type LabelValue = string | number | boolean;

/** Options of {@link Observability.newCounter}. */
export interface CounterOpts {
  /** Metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`; a counter's name should end in `_total`. */
  name: string;
  /** HELP text (any UTF-8). */
  help?: string;
  /** Label names, in the order `withLabels` takes the values. */
  labels?: readonly string[];
  /**
   * The most series (label sets) kept, the overflow series included; `0` or absent: no limit. With
   * `maxSeries - 1` others, a new label set goes to the one overflow series, whose label values are all
   * `__overflow__` (counted in a registry's `golivekit_registry_overflow_samples_total{metric}`).
   */
  maxSeries?: number;
  /**
   * A series not updated for this long goes at the next gather (`expose()`, a shipper's batch), counted
   * in whole seconds, rounded up; `0` or absent: series never expire; at most 2^32 - 1 (49 days). A kept
   * series handle of an expired series is detached (its updates are no longer exported): call
   * `withLabels` again.
   */
  seriesTtlMs?: number;
}

/** Options of {@link Observability.newGauge}. */
export type GaugeOpts = CounterOpts;

/** Options of {@link Observability.newHistogram}. */
export interface HistogramOpts extends CounterOpts {
  /**
   * Finite upper bounds, strictly increasing; `+Inf` is implied. Defaults to
   * {@link Observability.defaultBuckets}. `[]` with `nativeBucketFactor`: a native-only histogram (no
   * classic buckets); `[]` without it is an error.
   */
  buckets?: readonly number[];
  /**
   * Native (sparse exponential) buckets beside the classic ones: the largest growth from one bucket's
   * upper bound to the next, `> 1` (`1.1` gives 8 buckets per power of two, `2` one). `0` or absent: none.
   */
  nativeBucketFactor?: number;
  /**
   * Native buckets: observations whose absolute value is at or below it count in the zero bucket.
   * Finite and `> 0`; defaults to 2^-128.
   */
  nativeZeroThreshold?: number;
  /**
   * Native buckets: the most a series keeps (positive and negative, 1 to 32768; default 160). A series
   * about to exceed it halves its resolution, merging neighbouring buckets (nothing is lost).
   */
  nativeMaxBuckets?: number;
}

/** Options of {@link Observability.newRegistry}. */
export interface RegistryOpts {
  /** Prefix for every family name: `"myapp"` turns `requests_total` into `myapp_requests_total`. */
  namespace?: string;
  /** Labels added to every exposed series, e.g. `{ app: "shop", env: "production" }`. */
  constLabels?: Readonly<Record<string, string>>;
  /**
   * The spec's `IncludeGoMetrics` for this target: registers `golivekit_runtime_wasm_memory_bytes`,
   * `golivekit_runtime_heap_inuse_bytes` (the wasm allocator), `golivekit_runtime_js_heap_used_bytes`
   * and `golivekit_runtime_js_heap_limit_bytes` (where the browser or Node reports them) and
   * `golivekit_build_info{version}`, read at each `expose()`.
   */
  includeRuntimeMetrics?: boolean;
  /**
   * The series limit of each metric registered here without a lower `maxSeries` of its own; `0` or
   * absent: none.
   */
  maxSeries?: number;
  /**
   * Start timestamps of counters and histograms in the OpenMetrics exposition (`_created` samples), so
   * that Prometheus can tell a series that expired and came back from zero.
   */
  createdTimestamps?: boolean;
}

/** Where `loadObservability` finds the WebAssembly module. Usually nothing needs to be given. */
export interface LoadOptions {
  /** The bytes of `observability.wasm`, if the application has them already. */
  wasmBinary?: ArrayBuffer | Uint8Array;
  /**
   * Where to fetch `observability.wasm` from (browsers), or read it from (Node: a path or a `file:` URL),
   * instead of beside the module. A `URL` object is accepted (anything with `href`).
   */
  wasmUrl?: string | { readonly href: string };
}

/**
 * What kind of error an {@link ObservabilityErrorLike} is. The C++ core's status codes
 * (docs/errors.md), and what only the JS side reports:
 *
 * - `"INVALID_ARGUMENT"`: a bad metric name, label name, bucket layout or registry option; a wrong
 *   number of label values.
 * - `"ALREADY_EXISTS"`: `register` of a metric registered before, or whose name clashes with one.
 * - `"FAILED_PRECONDITION"`: the call does not fit the object: an update without `withLabels` on a
 *   metric with labels, any use of something disposed, a stopped shipper, no Web Crypto for shipping.
 * - `"NOT_FOUND"`: nothing matched.
 * - `"RESOURCE_EXHAUSTED"`: a limit was reached (a shipped batch dropped on this side).
 * - `"DEADLINE_EXCEEDED"`: the shipper's `stop()` waited `stopTimeoutMs` in vain.
 * - `` `HTTP_${status}` ``: the server refused a shipped batch with that status (`"HTTP_400"`, …).
 * - `"UNKNOWN"`: a status the core could not name (not expected).
 */
export type ObservabilityErrorCode =
  | "INVALID_ARGUMENT"
  | "ALREADY_EXISTS"
  | "FAILED_PRECONDITION"
  | "NOT_FOUND"
  | "RESOURCE_EXHAUSTED"
  | "DEADLINE_EXCEEDED"
  | `HTTP_${number}`
  | "UNKNOWN";

/** What the C++ core reported, as an `Error` whose `code` says which kind (e.g. `"INVALID_ARGUMENT"`). */
export interface ObservabilityErrorLike extends Error {
  readonly code: ObservabilityErrorCode;
}

/** Something that owns WebAssembly memory until it is disposed (or garbage-collected). */
export interface Disposable {
  /**
   * Frees the WebAssembly memory behind this object now. Later calls on it throw. Disposing a metric
   * does not unregister it: a registered metric is exposed until `registry.unregister(metric)`.
   * Calling `dispose()` twice is harmless.
   */
  dispose(): void;
  [Symbol.dispose](): void;
}

/** One series of a counter, as returned by `withLabels`. Keep it: updates through it do no lookup. */
export interface CounterChild {
  /** Adds 1. */
  inc(): void;
  /** Adds `value`, which must be ≥ 0 and not NaN (a `RangeError` otherwise; nothing changes). */
  add(value: number): void;
  /** The current value. */
  value(): number;
}

/** One series of a gauge. */
export interface GaugeChild {
  set(value: number): void;
  inc(): void;
  dec(): void;
  add(value: number): void;
  sub(value: number): void;
  /** Sets the gauge to the current Unix time in seconds. */
  setToCurrentTime(): void;
  value(): number;
}

/** One series of a histogram. */
export interface HistogramChild {
  /**
   * Records one observation (NaN goes to the `+Inf` bucket, in no native bucket, and makes the sum NaN;
   * natively, 0 counts in the zero bucket and negative values in negative buckets).
   */
  observe(value: number): void;
  /** Number of observations so far. */
  count(): number;
  /** Sum of the observations so far. */
  sum(): number;
}

/** What counters, gauges and histograms have in common. */
export interface Metric<Child> extends Disposable {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  /**
   * The series for these label values, one per label name. The first call for a tuple creates the
   * series; later calls with the same values find it in a JS-side cache without crossing into wasm.
   * Throws if the number of values is wrong.
   */
  withLabels(...values: LabelValue[]): Child;
  /**
   * Removes the series with these label values from the exposition. Handles kept for it stay usable
   * but are detached (their updates are no longer exported). Returns false if there was none.
   */
  remove(...values: LabelValue[]): boolean;
  /** Removes every series (metrics with labels). Kept handles are detached, as with `remove`. */
  reset(): void;
  /** Number of live series. */
  seriesCount(): number;
}

/** A counter. Without labels, `inc`/`add`/`value` act on its one series; with labels, use `withLabels`. */
export interface Counter extends Metric<CounterChild>, CounterChild {}
/** A gauge. Without labels, the update methods act on its one series; with labels, use `withLabels`. */
export interface Gauge extends Metric<GaugeChild>, GaugeChild {}
/** A histogram. Without labels, `observe` acts on its one series; with labels, use `withLabels`. */
export interface Histogram extends Metric<HistogramChild>, HistogramChild {
  /** The validated bucket upper bounds (without `+Inf`; empty for a native-only histogram). */
  readonly buckets: readonly number[];
}

/** Any metric a registry accepts. */
export type AnyMetric = Counter | Gauge | Histogram;

/** The set of metrics one exposition shows. */
export interface Registry extends Disposable {
  /** Adds a metric. Throws an error naming the conflict (same name, other type, suffix clash…). */
  register<M extends AnyMetric>(metric: M): M;
  /** Removes a metric registered before; false if it was not registered. */
  unregister(metric: AnyMetric): boolean;
  /**
   * The exposition of every registered metric: Prometheus text 0.0.4 by default (handy in the
   * console), or OpenMetrics 1.0 text with `"openmetrics"`.
   */
  expose(format?: "text" | "openmetrics"): string;
}

/** Measures one duration into a histogram. */
export interface Timer {
  /** Observes the seconds elapsed since the timer was created and returns them. */
  observeDuration(): number;
  /** Seconds elapsed since the timer was created, without observing. */
  elapsed(): number;
}

/** Memory figures of the WebAssembly instance. */
export interface MemoryStats {
  /** Size of the wasm linear memory (it grows, never shrinks). */
  wasmMemoryBytes: number;
  /** Bytes the wasm allocator has handed out and not got back. */
  heapInUseBytes: number;
}

/** The object `loadObservability()` resolves to: the spec's API in camelCase. */
export interface Observability {
  newRegistry(opts?: RegistryOpts): Registry;
  newCounter(opts: CounterOpts): Counter;
  newGauge(opts: GaugeOpts): Gauge;
  newHistogram(opts: HistogramOpts): Histogram;
  /** A timer into a histogram without labels, or into one series of a histogram. */
  newTimer(histogram: Histogram | HistogramChild): Timer;
  /** The spec's default latency buckets: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10 (seconds). */
  readonly defaultBuckets: readonly number[];
  /** `count` buckets `start, start+width, …`. Throws unless `count ≥ 1` and `width > 0`. */
  linearBuckets(start: number, width: number, count: number): number[];
  /** `count` buckets `start, start*factor, …`. Throws unless `count ≥ 1`, `start > 0`, `factor > 1`. */
  exponentialBuckets(start: number, factor: number, count: number): number[];
  /** Memory of this instance (for tests and diagnostics). */
  memoryStats(): MemoryStats;
  /** The package version, as `golivekit_build_info` reports it. */
  readonly version: string;
  /**
   * Ships what `registry` records to the server's ingest endpoint as client batches: every
   * `intervalMs`, on `flush()`, when the page is hidden or unloaded, and at `stop()`. The registry's own
   * runtime metrics (`includeRuntimeMetrics`) are not shipped. See docs/api-js.md, "Shipping to the server".
   */
  startShipping(registry: Registry, opts: ShippingOpts): Shipper;
}

/** What {@link ShippingOpts.fetch} must resolve to: the parts of a `Response` the shipper reads. */
export interface ResponseLike {
  /** HTTP status: 2xx confirms the batch; 408, 429 and 5xx retry; any other status drops it. */
  readonly status: number;
  /** `Retry-After` (seconds or an HTTP-date) is honoured as the shortest wait before a retry, up to `maxBackoffMs`. */
  readonly headers?: { get(name: string): string | null } | undefined;
  /** The server's JSON answer: `{"result":"applied"|"duplicate"}`, or `{"error", "message"}`. */
  json?(): Promise<unknown>;
}

/**
 * The request the shipper makes for each batch (always `fetch(url, init)`, one batch per request; `url`
 * is {@link ShippingOpts.url} with `glk_client=<clientId>` added to its query).
 */
export interface ShippingRequestInit {
  method: "POST";
  /** One batch (format in docs/wire-format.md), at most `maxBatchBytes`. */
  body: Uint8Array;
  /** `content-type: application/vnd.golivekit.metrics-batch` plus {@link ShippingOpts.headers}. */
  headers: Record<string, string>;
  /** True while the bodies of keepalive requests in flight stay within the browser's 64 KiB. */
  keepalive: boolean;
}

/** A `fetch`-compatible function (the global `fetch` fits; so does one over the app's websocket). */
export type FetchLike = (url: string, init: ShippingRequestInit) => Promise<ResponseLike>;

/** Options of {@link Observability.startShipping}. */
export interface ShippingOpts {
  /**
   * The server's ingest endpoint, e.g. `"/metrics/ingest"` (a cross-origin URL needs the server's CORS
   * allowlist). Every request adds `glk_client=<clientId>` to its query (after `&` if the url has a
   * query), for a load balancer to route each client to one instance (docs/shipping.md, "Affinity").
   */
  url: string;
  /** How often a batch of what changed is made and sent. Default 15000 ms. */
  intervalMs?: number;
  /** The transport. Default `globalThis.fetch`; without one, `navigator.sendBeacon`. */
  fetch?: FetchLike;
  /** Extra request headers, e.g. `{ authorization: "Bearer …" }` for a server with an ingest token. */
  headers?: Record<string, string>;
  /**
   * Batches waiting for the server (unsent, or to be retried) are kept up to this many bytes; beyond,
   * the oldest is dropped and counted (the server learns the count from the next batches). Default 262144.
   */
  maxBufferBytes?: number;
  /** Largest batch; more changes are split over several. Default 61440 (fits a 64 KiB keepalive request). */
  maxBatchBytes?: number;
  /** First retry delay bound (full jitter: a random wait up to it, doubling per failure). Default 1000 ms. */
  initialBackoffMs?: number;
  /** Largest retry delay bound, and the longest `Retry-After` honoured. Default 30000 ms. */
  maxBackoffMs?: number;
  /** A batch not delivered this long after it was made is given up (counted in `dropped`). Default 300000 ms. */
  maxBatchAgeMs?: number;
  /** How long `stop()` waits for the server to confirm the last batches. Default 5000 ms. */
  stopTimeoutMs?: number;
}

/** Counters of a shipper since it started. */
export interface ShipperStats {
  /** Batches made (changes found at an interval, a flush, a page hide or stop). */
  batches: number;
  /** Requests made (first sends and retries). */
  sent: number;
  /** Batches the server applied. */
  accepted: number;
  /**
   * Batches the server had applied already (a retry after a lost answer): delivered too, but not counted
   * in `accepted` (docs/shipping.md). Delivered batches are `accepted + duplicate`.
   */
  duplicate: number;
  /** Batches the server refused for good (a 4xx other than 408/429); they are not resent. */
  rejected: number;
  /** Batches lost on this side: buffer full, not confirmed within `maxBatchAgeMs`, or left at `stop()`. */
  dropped: number;
  /** Requests that failed with a retryable status (408, 429, 5xx) or a network error. */
  retries: number;
  /**
   * Families the server skipped in applied batches, because they do not match what it declares (an
   * undeclared metric, another bucket layout: deploy skew). They are not shipped again.
   */
  skippedFamilies: number;
  /** Batches waiting for the server now, and their bytes. */
  bufferedBatches: number;
  bufferedBytes: number;
  /** The most recent problem (a refusal, a network error), for diagnostics. */
  lastError?: string;
}

/**
 * Ships one registry's changes to the server. Each shipper is one client (its own random id and
 * sequence numbers); a page or process may run several.
 */
export interface Shipper {
  /** This client's id: 32 hex digits, random, fixed for the shipper's lifetime; `glk_client` of every request's URL. */
  readonly clientId: string;
  /**
   * Makes a batch of what changed now and resolves once the server has confirmed (applied, or found
   * duplicate) every batch made before the call. Rejects with an {@link ObservabilityErrorLike} if one
   * of them was dropped or refused (its `code`: `"RESOURCE_EXHAUSTED"`, or `"HTTP_400"` etc.).
   */
  flush(): Promise<void>;
  /**
   * Stops the timer and page listeners, sends a final batch (the server then stops counting this
   * client's gauges) and waits for the server, at most `stopTimeoutMs`. Rejects like `flush`, or with
   * `"DEADLINE_EXCEEDED"`. Calling it again does nothing.
   */
  stop(): Promise<void>;
  /** Counters since the start. */
  stats(): ShipperStats;
}
