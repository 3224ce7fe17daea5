// Counters, gauges and histograms: each wraps the address of a C++ metric adapter (wasm/bindings.cc)
// and keeps its series handles in a JS-side cache, so that the strings of a label tuple cross into wasm
// only the first time: a repeated `withLabels('GET', '200')` is two Map lookups.
import {
  HISTOGRAM,
  METRIC_ADAPTER,
  type MetricKind,
  NATIVE_MAX_BUCKETS,
  NATIVE_ZERO_THRESHOLD,
} from "./constants.js";
import { ObservabilityError } from "./errors.js";
import type { CounterSeries, GaugeSeries, HistogramSeries, SeriesHandle } from "./series.js";
import type {
  Counter,
  CounterOpts,
  Gauge,
  Histogram,
  HistogramOpts,
  LabelValue,
  Metric,
} from "./types.js";
import { Adapter, type WasmCore } from "./wasm-core.js";

const FACTORY_NAMES = ["newCounter", "newGauge", "newHistogram"] as const;

/**
 * Refuses series limits or lifetimes (`asked`) where the module has none: the /lite module, which records
 * and ships only (its core is built with GLK_OBS_RECORD_ONLY, wasm/CMakeLists.txt) and, having no
 * exposition, no glk_registry_expose either.
 */
export function needsSeriesControl(core: WasmCore, what: string, asked: unknown): void {
  if (asked && !core.wasm.glk_registry_expose) {
    throw new ObservabilityError("FAILED_PRECONDITION",
      `${what}: @golivekit/observability/lite has no series limits or lifetimes; import @golivekit/observability for them`);
  }
}

/** `value` as a number, if it is a whole number in 0 … 2^32 - 1 (what the export's parameter carries). */
export function whole(name: string, option: string, value: unknown): number {
  const n = Number(value);
  if (n >>> 0 !== n) {
    throw new ObservabilityError("INVALID_ARGUMENT", `${name}: ${option} is ${n} (it must be a whole number)`);
  }
  return n;
}

function labelKey(value: LabelValue): string {
  return typeof value === "string" ? value : String(value);
}

// The series of a metric with labels by their label values: one level per label; the last level maps the
// last value to the series.
type Level<S> = Map<string, Level<S> | S>;

/** What counters, gauges and histograms share: the adapter, the series cache, the lifetime. */
export abstract class NativeMetric<S extends SeriesHandle> extends Adapter implements Metric<S> {
  // The public fields are `declare`d: the constructor assigns them, and the page carries no field
  // definitions for them (so in WasmCore, the registry and the error class too).
  declare readonly name: string;
  declare readonly help: string;
  declare readonly labelNames: readonly string[];
  /** @internal the series of a metric with labels, by their values */
  declare series: Level<S>;
  /** @internal the series of a metric without labels */
  declare readonly single: S | null;
  /**
   * @internal a metric with a series lifetime keeps no series handles: each withLabels gets the live
   * series from the core, since a kept handle of an expired series is detached (and would keep its
   * memory)
   */
  declare readonly uncached: boolean;

  constructor(core: WasmCore, kind: MetricKind, opts: CounterOpts | HistogramOpts) {
    if (typeof opts !== "object" || !opts) {
      throw new TypeError(`${FACTORY_NAMES[kind]}: options object required`);
    }
    const labels = opts.labels ? Array.from(opts.labels, String) : [];
    const wasm = core.wasm;
    const name = String(opts.name ?? "");
    const histogram = kind === HISTOGRAM ? (opts as HistogramOpts) : undefined;
    const buckets = histogram?.buckets;
    // A histogram's native bucket options, the core's defaults where absent (a counter or gauge ignores
    // them). The core validates them, except what the export's unsigned 32-bit parameter could not carry.
    const maxBuckets = whole(name, "nativeMaxBuckets", histogram?.nativeMaxBuckets ?? NATIVE_MAX_BUCKETS);
    const factor = Number(histogram?.nativeBucketFactor ?? 0);
    const zeroThreshold = Number(histogram?.nativeZeroThreshold ?? NATIVE_ZERO_THRESHOLD);
    needsSeriesControl(core, name, opts.maxSeries || opts.seriesTtlMs);
    const ttl = whole(name, "seriesTtlMs", Math.ceil(Number(opts.seriesTtlMs ?? 0)));
    const strings = core.putStrings([name, String(opts.help ?? ""), ...labels]);
    const bounds = buckets === undefined ? -1 : core.putNumbers(Array.from(buckets, Number));
    super(
      core,
      METRIC_ADAPTER,
      wasm.glk_metric_new(
        kind,
        strings,
        bounds,
        factor,
        zeroThreshold,
        maxBuckets,
        whole(name, "maxSeries", opts.maxSeries ?? 0),
        ttl,
      ),
    );
    const address = this.address;
    this.name = name; // the core accepted it: ASCII, as it keeps it
    this.uncached = ttl > 0;
    this.help = core.string(wasm.glk_metric_help(address));
    this.labelNames = Object.freeze(labels);
    this.series = new Map();
    this.single = labels.length ? null : this.newSeries([]);
    // The subclasses have no constructors of their own (less code): the histogram's bounds are set here.
    if (histogram) {
      (this as { buckets?: readonly number[] }).buckets = Object.freeze(core.numbers(wasm.glk_metric_buckets(address)));
    }
  }

  withLabels(...values: LabelValue[]): S {
    if (values.length !== this.labelNames.length || values.length === 0 || this.uncached) {
      return this.withoutLabels(values);
    }
    // The series of these values (one per level), made now if it was not before: one walk for both.
    const last = values.length - 1;
    let level = this.series;
    for (let i = 0; i < last; i++) {
      const key = labelKey(values[i]!);
      let next = level.get(key) as Level<S> | undefined;
      if (next === undefined) level.set(key, (next = new Map()));
      level = next;
    }
    const key = labelKey(values[last]!);
    let series = level.get(key) as S | undefined;
    if (series === undefined) {
      const keys = values.map(labelKey);
      try {
        series = this.newSeries(keys);
      } catch (e) {
        this.forget(keys); // the levels made above for it, so refusals leave nothing behind
        throw e;
      }
      level.set(key, series);
    }
    return series;
  }

  remove(...values: LabelValue[]): boolean {
    const address = this.nativeAddress();
    const keys = values.map(labelKey);
    const error = this.core.errorAt(this.wasm.glk_metric_remove(address, this.core.putStrings(keys)));
    this.forget(keys);
    if (error?.code === "NOT_FOUND") return false;
    if (error) throw error;
    return true;
  }

  reset(): void {
    this.core.check(this.wasm.glk_metric_reset(this.nativeAddress()));
    // The handles stay alive (detached) until they are garbage-collected; only the cache forgets them.
    this.series = new Map();
  }

  seriesCount(): number {
    return this.wasm.glk_metric_series_count(this.nativeAddress());
  }

  /** @internal frees the series handles (dispose()) */
  release(): void {
    const free = (level: Level<S>, depth: number): void =>
      level.forEach((node) => (depth > 1 ? free(node as Level<S>, depth - 1) : (node as S).free()));
    free(this.series, this.labelNames.length);
    this.series = new Map();
    this.single?.free();
  }

  /** @internal the series updates on the metric itself go to, or why there is none */
  onlySeries(): S {
    const series = this.single;
    if (series !== null) return series;
    this.nativeAddress(); // a disposed metric says so first
    throw new ObservabilityError(
      "FAILED_PRECONDITION",
      `${this.name} has labels {${this.labelNames.join(", ")}}: update a series from withLabels(...)`,
    );
  }

  /** @internal withLabels() without values on a metric without labels, or with the wrong number of them */
  withoutLabels(values: LabelValue[]): S {
    this.nativeAddress(); // a disposed metric says so first
    if (!values.length && this.single) return this.single;
    // The core refuses the count with the message JS gives (core/src/record/metric_vec.cc, "counter name:
    // expected …"), after the metric's type, which JS leaves out: the page carries the text once.
    try {
      return this.newSeries(values.map(labelKey));
    } catch (e) {
      const message = (e as Error).message;
      throw new ObservabilityError((e as ObservabilityError).code, message.slice(message.indexOf(" ") + 1));
    }
  }

  /** @internal forgets the series of these values, and the levels that are left empty */
  forget(keys: readonly string[], level = this.series, i = 0): void {
    const key = keys[i]!;
    if (i < keys.length - 1) {
      const next = level.get(key) as Level<S> | undefined;
      if (next === undefined) return;
      this.forget(keys, next, i + 1);
      if (next.size > 0) return;
    }
    level.delete(key);
  }

  /** @internal a new series handle of these label values */
  newSeries(keys: string[]): S {
    const address = this.wasm.glk_metric_child(this.nativeAddress(), this.core.putStrings(keys));
    if (!address) throw this.core.errorAt(this.wasm.glk_last_error())!;
    return new this.core.seriesClasses[this.wasm.glk_metric_kind(this.address)]!(address) as S;
  }
}

export class CounterMetric extends NativeMetric<CounterSeries> implements Counter {
  inc(): void {
    this.onlySeries().inc();
  }
  add(value: number): void {
    this.onlySeries().add(value);
  }
  value(): number {
    return this.onlySeries().value();
  }
}

export class GaugeMetric extends NativeMetric<GaugeSeries> implements Gauge {
  // inc, dec, sub and setToCurrentTime as GaugeSeries has them, in its order: the page's gzip finds them
  // there.
  set(value: number): void {
    this.onlySeries().set(value);
  }
  add(value: number): void {
    this.onlySeries().add(value);
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
    return this.onlySeries().value();
  }
}

export class HistogramMetric extends NativeMetric<HistogramSeries> implements Histogram {
  declare readonly buckets: readonly number[]; // set by NativeMetric's constructor
  observe(value: number): void {
    this.onlySeries().observe(value);
  }
  count(): number {
    return this.onlySeries().count();
  }
  sum(): number {
    return this.onlySeries().sum();
  }
}
