// The spec's API over one instance of the WebAssembly module.
//
// Cost model (docs/api-js.md): a wasm call with numbers costs a few ns, any string crossing 150-500 ns. So
// every update goes to a raw wasm export with the address of a C++ series handle and a double, and the
// strings of a label tuple cross only the first time: the tuple's handle is cached here, in nested Maps
// keyed by the values, so a repeated `withLabels('GET', '200')` is two Map lookups.
//
// Memory: a JS object that owns wasm memory registers with a FinalizationRegistry whose held value is
// only what is needed to free it (never the object itself, which would keep it alive). dispose() frees
// at once and unregisters; the registry is the safety net for what is dropped.
import type {
  AnyMetric,
  Counter,
  CounterChild,
  CounterOpts,
  Gauge,
  GaugeChild,
  GaugeOpts,
  Histogram,
  HistogramChild,
  HistogramOpts,
  LabelValue,
  MemoryStats,
  Observability,
  Registry,
  RegistryOpts,
  Shipper,
  ShippingOpts,
  Timer,
} from "./types.js";
import { ObservabilityError } from "./errors.js";
import { ship } from "./shipper.js";
import { bind, type EmModule } from "./wasm-module.js";

export const VERSION = "0.1.0";

const K_COUNTER = 0;
const K_GAUGE = 1;
const K_HISTOGRAM = 2;
const KIND_NAMES = ["counter", "gauge", "histogram"];

export { ObservabilityError };

// The core's status text is "CODE: message".
function fromStatus(text: string): ObservabilityError {
  const i = text.indexOf(": ");
  return i > 0 ? new ObservabilityError(text.slice(0, i), text.slice(i + 2)) : new ObservabilityError("UNKNOWN", text);
}

function disposedError(what: string): ObservabilityError {
  return new ObservabilityError("FAILED_PRECONDITION", `${what} was disposed`);
}

const hasFinalizationRegistry = typeof FinalizationRegistry === "function";

/** Fills `words` with cryptographically random values (Web Crypto's getRandomValues), if there is one. */
export type RandomWords = ((words: Uint32Array) => void) | undefined;

export function createApi(module: EmModule, randomWords: RandomWords): Observability {
  const W = bind(module);
  const { x: wasm, put, str } = W;
  const cInc = wasm.glk_counter_inc;
  const cAdd = wasm.glk_counter_add;
  const cValue = wasm.glk_counter_value;
  const gSet = wasm.glk_gauge_set;
  const gAdd = wasm.glk_gauge_add;
  const gValue = wasm.glk_gauge_value;
  const hObserve = wasm.glk_histogram_observe;
  const hCount = wasm.glk_histogram_count;
  const hSum = wasm.glk_histogram_sum;
  const childFree = wasm.glk_child_free;
  const heapInUse = wasm.glk_heap_in_use;

  // Held values: [kind, address] of a series handle; the address of a metric or registry adapter.
  const childFinalizer = hasFinalizationRegistry
    ? new FinalizationRegistry<number[]>((held) => childFree(held[0]!, held[1]!))
    : undefined;
  const metricFinalizer = hasFinalizationRegistry
    ? new FinalizationRegistry<number>(wasm.glk_metric_free)
    : undefined;
  const registryFinalizer = hasFinalizationRegistry
    ? new FinalizationRegistry<number>(wasm.glk_registry_free)
    : undefined;

  function toKey(v: LabelValue): string {
    return typeof v === "string" ? v : String(v);
  }

  // ---- series handles ------------------------------------------------------------------------------

  abstract class ChildBase {
    /** @internal address of the C++ handle; 0 once disposed with its metric */
    _p: number;
    constructor(p: number) {
      this._p = p;
      childFinalizer?.register(this, [this._kind(), p], this);
    }
    abstract _kind(): number;
    /** @internal */
    _free(): void {
      const p = this._p;
      if (p !== 0) {
        this._p = 0;
        childFinalizer?.unregister(this);
        childFree(this._kind(), p);
      }
    }
  }

  class CounterChildImpl extends ChildBase implements CounterChild {
    _kind(): number {
      return K_COUNTER;
    }
    inc(): void {
      const p = this._p;
      if (p === 0) throw disposedError("counter series");
      cInc(p);
    }
    add(value: number): void {
      const p = this._p;
      if (p === 0) throw disposedError("counter series");
      if (!(value >= 0)) {
        throw new RangeError(`counter: cannot decrease (add(${value})): the amount must be >= 0 and not NaN`);
      }
      cAdd(p, value);
    }
    value(): number {
      return this._p === 0 ? 0 : cValue(this._p);
    }
  }

  class GaugeChildImpl extends ChildBase implements GaugeChild {
    _kind(): number {
      return K_GAUGE;
    }
    set(value: number): void {
      const p = this._p;
      if (p === 0) throw disposedError("gauge series");
      gSet(p, value);
    }
    add(value: number): void {
      const p = this._p;
      if (p === 0) throw disposedError("gauge series");
      gAdd(p, value);
    }
    inc(): void {
      this.add(1);
    }
    dec(): void {
      this.add(-1);
    }
    sub(value: number): void {
      this.add(-value);
    }
    setToCurrentTime(): void {
      this.set(Date.now() / 1000);
    }
    value(): number {
      return this._p === 0 ? 0 : gValue(this._p);
    }
  }

  class HistogramChildImpl extends ChildBase implements HistogramChild {
    _kind(): number {
      return K_HISTOGRAM;
    }
    observe(value: number): void {
      const p = this._p;
      if (p === 0) throw disposedError("histogram series");
      hObserve(p, value);
    }
    count(): number {
      return this._p === 0 ? 0 : hCount(this._p);
    }
    sum(): number {
      return this._p === 0 ? 0 : hSum(this._p);
    }
  }

  const childClasses = [CounterChildImpl, GaugeChildImpl, HistogramChildImpl] as const;

  // ---- metrics -------------------------------------------------------------------------------------

  type AnyChild = CounterChildImpl | GaugeChildImpl | HistogramChildImpl;
  // Nested maps: one level per label, the last level maps to the series handle.
  type Cache = Map<string, Cache | AnyChild>;

  abstract class MetricBase<Child extends AnyChild> {
    readonly name: string;
    readonly help: string;
    readonly labelNames: readonly string[];
    /** @internal address of the C++ adapter; 0 once disposed */ _h: number;
    /** @internal */ readonly _n: number;
    /** @internal */ _cache: Cache = new Map();
    /** @internal the one series of a metric without labels */
    _d: Child | null = null;

    constructor(kind: number, opts: CounterOpts, buckets?: readonly number[]) {
      if (opts === null || typeof opts !== "object") {
        throw new TypeError(`new${KIND_NAMES[kind]![0]!.toUpperCase()}${KIND_NAMES[kind]!.slice(1)}: options object required`);
      }
      const labels = opts.labels ? Array.from(opts.labels, String) : [];
      const h = wasm.glk_metric_new(kind, put([String(opts.name ?? ""), String(opts.help ?? ""), ...labels]),
        buckets === undefined ? -1 : W.putNums(Array.from(buckets, Number)));
      const error = str(wasm.glk_metric_error(h));
      if (error) {
        wasm.glk_metric_free(h);
        throw fromStatus(error);
      }
      this._h = h;
      this.name = str(wasm.glk_metric_name(h));
      this.help = str(wasm.glk_metric_help(h));
      this.labelNames = Object.freeze(labels);
      this._n = labels.length;
      metricFinalizer?.register(this, h, this);
      if (this._n === 0) this._d = this._make([]);
    }

    /** @internal */
    _native(): number {
      if (this._h === 0) throw disposedError(`metric ${this.name}`);
      return this._h;
    }

    /** @internal */
    _make(values: string[]): Child {
      const h = this._native();
      const p = wasm.glk_metric_child(h, put(values));
      if (p === 0) throw fromStatus(str(wasm.glk_last_error()));
      return new childClasses[wasm.glk_metric_kind(h) as 0 | 1 | 2](p) as Child;
    }

    withLabels(...values: LabelValue[]): Child {
      const n = values.length;
      if (n !== this._n || n === 0) {
        if (this._h === 0) throw disposedError(`metric ${this.name}`);
        if (n === 0 && this._n === 0) return this._d!;
        throw new ObservabilityError(
          "INVALID_ARGUMENT",
          `${this.name}: expected ${this._n} label value${this._n === 1 ? "" : "s"} {${this.labelNames.join(", ")}}, got ${n}`,
        );
      }
      let level = this._cache;
      for (let i = 0; i < n - 1; i++) {
        const key = toKey(values[i]!);
        let next = level.get(key) as Cache | undefined;
        if (next === undefined) {
          next = new Map();
          level.set(key, next);
        }
        level = next;
      }
      const last = toKey(values[n - 1]!);
      const hit = level.get(last) as Child | undefined;
      if (hit !== undefined) return hit;
      const child = this._make(values.map(toKey));
      level.set(last, child);
      return child;
    }

    remove(...values: LabelValue[]): boolean {
      const h = this._native();
      const keys = values.map(toKey);
      const error = str(wasm.glk_metric_remove(h, put(keys)));
      this._uncache(keys);
      if (error) {
        if (error.startsWith("NOT_FOUND")) return false;
        throw fromStatus(error);
      }
      return true;
    }

    reset(): void {
      const error = str(wasm.glk_metric_reset(this._native()));
      if (error) throw fromStatus(error);
      // The handles stay alive (detached) until they are garbage-collected; only the cache forgets them.
      this._cache = new Map();
    }

    seriesCount(): number {
      return wasm.glk_metric_series_count(this._native());
    }

    /** @internal */
    _uncache(keys: string[]): void {
      const path: Cache[] = [this._cache];
      for (let i = 0; i < keys.length - 1; i++) {
        const next = path[i]!.get(keys[i]!) as Cache | undefined;
        if (next === undefined) return;
        path.push(next);
      }
      path[keys.length - 1]?.delete(keys[keys.length - 1]!);
      for (let i = keys.length - 1; i > 0; i--) {
        if (path[i]!.size === 0) path[i - 1]!.delete(keys[i - 1]!);
      }
    }

    dispose(): void {
      const h = this._h;
      if (h === 0) return;
      this._h = 0;
      metricFinalizer?.unregister(this);
      const freeAll = (level: Cache, depth: number): void => {
        for (const v of level.values()) {
          if (depth === 1) (v as AnyChild)._free();
          else freeAll(v as Cache, depth - 1);
        }
      };
      if (this._n > 0) freeAll(this._cache, this._n);
      this._cache = new Map();
      this._d?._free();
      wasm.glk_metric_free(h);
    }

    [Symbol.dispose](): void {
      this.dispose();
    }

    /** @internal the default series, or why there is none */
    _default(): Child {
      const d = this._d;
      if (d !== null) return d;
      if (this._h === 0) throw disposedError(`metric ${this.name}`);
      throw new ObservabilityError(
        "FAILED_PRECONDITION",
        `${this.name} has labels {${this.labelNames.join(", ")}}: update a series from withLabels(...)`,
      );
    }
  }

  class CounterImpl extends MetricBase<CounterChildImpl> implements Counter {
    constructor(opts: CounterOpts) {
      super(K_COUNTER, opts);
    }
    inc(): void {
      this._default().inc();
    }
    add(value: number): void {
      this._default().add(value);
    }
    value(): number {
      return this._default().value();
    }
  }

  class GaugeImpl extends MetricBase<GaugeChildImpl> implements Gauge {
    constructor(opts: GaugeOpts) {
      super(K_GAUGE, opts);
    }
    set(value: number): void {
      this._default().set(value);
    }
    inc(): void {
      this._default().add(1);
    }
    dec(): void {
      this._default().add(-1);
    }
    add(value: number): void {
      this._default().add(value);
    }
    sub(value: number): void {
      this._default().add(-value);
    }
    setToCurrentTime(): void {
      this._default().setToCurrentTime();
    }
    value(): number {
      return this._default().value();
    }
  }

  class HistogramImpl extends MetricBase<HistogramChildImpl> implements Histogram {
    readonly buckets: readonly number[];
    constructor(opts: HistogramOpts) {
      super(K_HISTOGRAM, opts, opts?.buckets);
      this.buckets = Object.freeze(W.nums(wasm.glk_metric_buckets(this._native())));
    }
    observe(value: number): void {
      this._default().observe(value);
    }
    count(): number {
      return this._default().count();
    }
    sum(): number {
      return this._default().sum();
    }
  }

  // ---- registry ------------------------------------------------------------------------------------

  const memoryStats = (): MemoryStats => ({
    wasmMemoryBytes: wasm.memory.buffer.byteLength,
    heapInUseBytes: heapInUse(),
  });

  interface JsHeap {
    used: number;
    limit: number;
  }
  function jsHeap(): JsHeap | undefined {
    const perf = (globalThis as { performance?: { memory?: { usedJSHeapSize: number; jsHeapSizeLimit: number } } })
      .performance;
    if (perf?.memory) return { used: perf.memory.usedJSHeapSize, limit: perf.memory.jsHeapSizeLimit };
    const proc = (globalThis as { process?: { memoryUsage?: () => { heapUsed: number; heapTotal: number } } }).process;
    if (typeof proc?.memoryUsage === "function") {
      const u = proc.memoryUsage();
      return { used: u.heapUsed, limit: u.heapTotal };
    }
    return undefined;
  }

  class RegistryImpl implements Registry {
    /** @internal address of the C++ adapter; 0 once disposed */ _h: number;
    /** @internal refreshed before each exposition */
    _collectHooks: Array<() => void> = [];
    /** @internal metrics the registry made itself (runtime metrics), disposed with it */
    _owned: AnyMetric[] = [];
    /** @internal the namespace and "_", or "" */
    _prefix: string;

    constructor(opts: RegistryOpts = {}) {
      if (opts === null || typeof opts !== "object") throw new TypeError("newRegistry: options must be an object");
      const ns = String(opts.namespace ?? "");
      this._prefix = ns && `${ns}_`;
      const flat = [ns];
      for (const [k, v] of Object.entries(opts.constLabels ?? {})) flat.push(String(k), String(v));
      const h = wasm.glk_registry_new(put(flat));
      const error = str(wasm.glk_registry_error(h));
      if (error) {
        wasm.glk_registry_free(h);
        throw fromStatus(error);
      }
      this._h = h;
      registryFinalizer?.register(this, h, this);
      if (opts.includeRuntimeMetrics) this._addRuntimeMetrics();
    }

    /** @internal */
    _native(): number {
      if (this._h === 0) throw disposedError("registry");
      return this._h;
    }

    register<T extends AnyMetric>(metric: T): T {
      const m = metric as unknown as MetricBase<AnyChild>;
      if (!(m instanceof MetricBase)) {
        throw new TypeError("register: not a metric of this instance (made by another loadObservability()?)");
      }
      const error = str(wasm.glk_registry_register(this._native(), m._native()));
      if (error) throw fromStatus(error);
      return metric;
    }

    unregister(metric: AnyMetric): boolean {
      const m = metric as unknown as MetricBase<AnyChild>;
      if (!(m instanceof MetricBase) || m._h === 0) return false;
      return wasm.glk_registry_unregister(this._native(), m._h) !== 0;
    }

    expose(format: "text" | "openmetrics" = "text"): string {
      const h = this._native();
      if (format !== "text" && format !== "openmetrics") {
        throw new TypeError(`expose: unknown format ${JSON.stringify(format)} (text or openmetrics)`);
      }
      for (const hook of this._collectHooks) hook();
      return str(wasm.glk_registry_expose(h, format === "openmetrics" ? 1 : 0));
    }

    dispose(): void {
      const h = this._h;
      if (h === 0) return;
      this._h = 0;
      registryFinalizer?.unregister(this);
      for (const m of this._owned) m.dispose();
      this._owned = [];
      this._collectHooks = [];
      wasm.glk_registry_free(h);
    }

    [Symbol.dispose](): void {
      this.dispose();
    }

    /** @internal */
    _addRuntimeMetrics(): void {
      const own = <T extends AnyMetric>(m: T): T => {
        this._owned.push(m);
        return this.register(m);
      };
      const wasmMemory = own(new GaugeImpl({
        name: "golivekit_runtime_wasm_memory_bytes",
        help: "Size of the WebAssembly linear memory of the metrics module (grows, never shrinks).",
      }));
      const heap = own(new GaugeImpl({
        name: "golivekit_runtime_heap_inuse_bytes",
        help: "Bytes handed out by the allocator of the metrics module and not yet returned.",
      }));
      const buildInfo = own(new GaugeImpl({
        name: "golivekit_build_info",
        help: "Version of golivekit-observability; always 1.",
        labels: ["version"],
      }));
      buildInfo.withLabels(VERSION).set(1);
      let jsUsed: GaugeImpl | undefined;
      let jsLimit: GaugeImpl | undefined;
      if (jsHeap() !== undefined) {
        jsUsed = own(new GaugeImpl({
          name: "golivekit_runtime_js_heap_used_bytes",
          help: "JS heap in use, where the browser (performance.memory) or Node (process.memoryUsage) reports it.",
        }));
        jsLimit = own(new GaugeImpl({
          name: "golivekit_runtime_js_heap_limit_bytes",
          help: "JS heap limit (browser) or JS heap reserved (Node), where reported.",
        }));
      }
      this._collectHooks.push(() => {
        const s = memoryStats();
        wasmMemory.set(s.wasmMemoryBytes);
        heap.set(s.heapInUseBytes);
        const js = jsHeap();
        if (js !== undefined) {
          jsUsed?.set(js.used);
          jsLimit?.set(js.limit);
        }
      });
    }
  }

  // ---- helpers -------------------------------------------------------------------------------------

  const now: () => number =
    typeof performance !== "undefined" && typeof performance.now === "function"
      ? () => performance.now()
      : () => Date.now();

  function newTimer(target: Histogram | HistogramChild): Timer {
    const series: HistogramChild =
      target instanceof HistogramImpl ? target._default() : (target as HistogramChild);
    if (!(series instanceof HistogramChildImpl)) {
      throw new TypeError("newTimer: a histogram (without labels) or a histogram series is required");
    }
    const start = now();
    return {
      observeDuration(): number {
        const s = (now() - start) / 1000;
        series.observe(s);
        return s;
      },
      elapsed(): number {
        return (now() - start) / 1000;
      },
    };
  }

  function buckets(name: string, b: number[], why: string): number[] {
    if (b.length === 0) throw new ObservabilityError("INVALID_ARGUMENT", `${name}: ${why}`);
    return b;
  }

  const defaultBuckets = Object.freeze(W.nums(wasm.glk_default_buckets()));

  // One client: its own batch encoder (random id) over the registry, its runtime metrics skipped.
  function startShipping(registry: Registry, opts: ShippingOpts): Shipper {
    const r = registry as RegistryImpl;
    if (!(r instanceof RegistryImpl)) throw new TypeError("startShipping: not a registry of this instance");
    r._native();
    if (!randomWords) {
      throw new ObservabilityError("FAILED_PRECONDITION", "startShipping: no Web Crypto (crypto.getRandomValues) for a client id");
    }
    const id = new Uint32Array(4);
    randomWords(id);
    const e = wasm.glk_encoder_new(opts?.maxBatchBytes ?? 61440, id[0]!, id[1]!, id[2]!, id[3]!);
    wasm.glk_encoder_skip(e, put(r._owned.map((m) => r._prefix + m.name)));
    try {
      return ship({
        id: str(wasm.glk_encoder_client(e)),
        encode(final, dropped) {
          const n = wasm.glk_encoder_encode(e, r._native(), final ? 1 : 0, dropped);
          const out = Array.from({ length: n }, (_, i) => W.bytes(wasm.glk_encoder_batch(e, i)));
          wasm.glk_release();
          return out;
        },
        free: () => wasm.glk_encoder_free(e),
      }, opts);
    } catch (err) {
      wasm.glk_encoder_free(e);
      throw err;
    }
  }

  return {
    newRegistry: (opts?: RegistryOpts) => new RegistryImpl(opts),
    newCounter: (opts: CounterOpts) => new CounterImpl(opts),
    newGauge: (opts: GaugeOpts) => new GaugeImpl(opts),
    newHistogram: (opts: HistogramOpts) => new HistogramImpl(opts),
    newTimer,
    defaultBuckets,
    linearBuckets: (start: number, width: number, count: number) =>
      buckets("linearBuckets", W.nums(wasm.glk_linear_buckets(start, width, count)), "needs count >= 1 and width > 0"),
    exponentialBuckets: (start: number, factor: number, count: number) =>
      buckets("exponentialBuckets", W.nums(wasm.glk_exponential_buckets(start, factor, count)),
        "needs count >= 1, start > 0 and factor > 1"),
    memoryStats,
    version: VERSION,
    startShipping,
  };
}
