// A registry: the C++ registry adapter (wasm/bindings.cc) with the metrics of the same instance
// registered in it, its exposition, and what its entry adds to that (runtime-metrics.ts: the runtime
// metrics; lite-exposition.ts: the refusal of the exposition that the /lite entries leave out).
import { REGISTRY_ADAPTER } from "./constants.js";
import { NativeMetric, needsSeriesControl, whole } from "./metrics.js";
import type { SeriesHandle } from "./series.js";
import type { AnyMetric, Registry, RegistryOpts } from "./types.js";
import { Adapter, type WasmCore } from "./wasm-core.js";

/** What an entry adds to a registry's exposition. */
export interface ExpositionPart {
  /** The family names of its gauges (with the registry's namespace), which a shipper leaves out. */
  names: string[];
  /** Called before each exposition: reads the figures into the gauges (or refuses the exposition). */
  refresh(): void;
  dispose(): void;
}

/**
 * An entry's part in each of its registries, given `includeRuntimeMetrics`: the runtime metrics if asked
 * for (runtime-metrics.ts, the entries with the exposition), or in the /lite entries an object whose
 * refresh() refuses the exposition, and a refusal of the runtime metrics (lite-exposition.ts). Written in
 * the entries' own modules, so that a page carries only its entry's.
 */
export type Exposition = (registry: MetricRegistry, namespace: string, runtimeMetrics?: boolean) =>
  ExpositionPart | undefined;

export class MetricRegistry extends Adapter implements Registry {
  /** @internal the runtime metrics, if asked for (a shipper leaves out their families), or /lite's refusal */
  declare runtime: ExpositionPart | undefined;

  constructor(core: WasmCore, opts: RegistryOpts = {}, exposition: Exposition) {
    if (typeof opts !== "object" || !opts) throw new TypeError("newRegistry: options must be an object");
    const namespace = String(opts.namespace ?? "");
    // The namespace, then each constant label's name and value.
    const strings = [namespace, ...Object.entries(opts.constLabels ?? {}).flat().map(String)];
    needsSeriesControl(core, "newRegistry", opts.maxSeries);
    super(
      core,
      REGISTRY_ADAPTER,
      core.wasm.glk_registry_new(
        core.putStrings(strings),
        whole("newRegistry", "maxSeries", opts.maxSeries ?? 0),
        +!!opts.createdTimestamps,
      ),
    );
    this.runtime = exposition(this, namespace, opts.includeRuntimeMetrics);
  }

  register<T extends AnyMetric>(metric: T): T {
    if (!this.own(metric)) {
      throw new TypeError("register: not a metric of this instance (made by another loadObservability()?)");
    }
    const registry = this.nativeAddress();
    this.core.check(this.wasm.glk_registry_register(registry, metric.nativeAddress()));
    return metric;
  }

  unregister(metric: AnyMetric): boolean {
    if (!this.own(metric) || !metric.address) return false;
    return this.wasm.glk_registry_unregister(this.nativeAddress(), metric.nativeAddress()) !== 0;
  }

  expose(format: "text" | "openmetrics" = "text"): string {
    const registry = this.nativeAddress();
    if (format !== "text" && format !== "openmetrics") {
      throw new TypeError(`expose: unknown format ${JSON.stringify(format)} (text or openmetrics)`);
    }
    this.runtime?.refresh();
    return this.core.string(this.wasm.glk_registry_expose(registry, +(format === "openmetrics")));
  }

  /** @internal disposes of the runtime metrics (dispose()) */
  release(): void {
    this.runtime?.dispose();
    this.runtime = undefined;
  }

  /** @internal whether the metric is one of this instance's */
  own(metric: AnyMetric): metric is AnyMetric & NativeMetric<SeriesHandle> {
    return metric instanceof NativeMetric && metric.core === this.core;
  }
}
