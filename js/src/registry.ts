// A registry: the C++ registry adapter (wasm/bindings.cc) with the metrics of the same instance
// registered in it, and its exposition; and its own gauges if asked for (RegistryOpts.
// includeRuntimeMetrics, the spec's IncludeGoMetrics for this target): the memory of the wasm instance
// and of the JS heap, read at each exposition, and the build info. Every page carries those: the option
// is read at run time, by a synchronous newRegistry, so no bundler can leave them out and no lazy import
// could bring them in time. Written in the constructor, as closures: less code than a module's function.
import { GAUGE, REGISTRY_ADAPTER, VERSION } from "./constants.js";
import { GaugeMetric, NativeMetric } from "./metrics.js";
import type { SeriesHandle } from "./series.js";
import type { AnyMetric, Registry, RegistryOpts } from "./types.js";
import { Adapter, type WasmCore } from "./wasm-core.js";

/** What a registry keeps of its runtime metrics. */
export interface RuntimeMetrics {
  /** The family names of the gauges (with the registry's namespace). */
  names: string[];
  /** Reads the figures into the gauges (before an exposition). */
  refresh(): void;
  dispose(): void;
}

/** The JS heap's figures (used, limit) where the platform reports them, else none. */
export type JsHeap = () => number[];

// The JS heap where a browser reports it (performance.memory): what browser.ts gives its registries. The
// other entries give nodeJsHeap (load.ts), which reads Node's process.memoryUsage() too, a path no page takes.
export const browserJsHeap: JsHeap = () => {
  const memory = (globalThis as { performance?: { memory?: { usedJSHeapSize: number; jsHeapSizeLimit: number } } })
    .performance?.memory;
  return memory ? [memory.usedJSHeapSize, memory.jsHeapSizeLimit] : [];
};

// The runtime metrics: the build info, then the gauges refresh() sets, in the order of its figures (the
// JS heap's two only where it is reported). A row's third item, if any, is a label name.
const GAUGES = [
  ["golivekit_build_info", "Version of golivekit-observability; always 1.", "version"],
  ["golivekit_runtime_wasm_memory_bytes",
    "Size of the WebAssembly linear memory of the metrics module (grows, never shrinks)."],
  ["golivekit_runtime_heap_inuse_bytes",
    "Bytes handed out by the allocator of the metrics module and not yet returned."],
  ["golivekit_runtime_js_heap_used_bytes",
    "JS heap in use, where the browser (performance.memory) or Node (process.memoryUsage) reports it."],
  ["golivekit_runtime_js_heap_limit_bytes",
    "JS heap limit (browser) or JS heap reserved (Node), where reported."],
];

export class MetricRegistry extends Adapter implements Registry {
  /** @internal the runtime metrics, if asked for (a shipper leaves out their families) */
  declare runtime: RuntimeMetrics | undefined;

  constructor(core: WasmCore, opts: RegistryOpts = {}, jsHeap: JsHeap) {
    if (typeof opts !== "object" || !opts) throw new TypeError("newRegistry: options must be an object");
    const namespace = String(opts.namespace ?? "");
    // The namespace, then each constant label's name and value.
    const strings = [namespace, ...Object.entries(opts.constLabels ?? {}).flat().map(String)];
    super(core, REGISTRY_ADAPTER, core.wasm.glk_registry_new(core.putStrings(strings)));
    if (opts.includeRuntimeMetrics) {
      // The wasm memory's two in MemoryStats' order (wasmMemoryBytes, heapInUseBytes), then the JS heap's.
      const figures = (): number[] => [...Object.values(core.memoryUse()), ...jsHeap()];
      const gauges = GAUGES.slice(0, figures().length + 1).map(([name, help, ...labels]) =>
        this.register(new GaugeMetric(core, GAUGE, { name: name!, help: help!, labels })));
      gauges[0]!.withLabels(VERSION).set(1);
      this.runtime = {
        names: gauges.map((gauge) => (namespace && `${namespace}_`) + gauge.name),
        refresh: () => figures().forEach((value, i) => gauges[i + 1]!.set(value)),
        dispose: () => gauges.forEach((gauge) => gauge.dispose()),
      };
    }
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
