// A registry: the C++ registry adapter (wasm/bindings.cc) with the metrics of the same instance
// registered in it, and its exposition.
import { disposedError } from "./errors.js";
import { NativeMetric } from "./metrics.js";
import { type RuntimeMetrics, runtimeMetrics } from "./runtime-metrics.js";
import type { SeriesHandle } from "./series.js";
import type { AnyMetric, Registry, RegistryOpts } from "./types.js";
import { REGISTRY_ADAPTER, type WasmCore } from "./wasm-core.js";
import type { WasmExports } from "./wasm-module.js";

export class MetricRegistry implements Registry {
  /** @internal the instance the registry lives in */
  declare readonly core: WasmCore;
  /** @internal the instance's exports */
  declare readonly wasm: WasmExports;
  /** @internal the adapter's address; 0 once disposed */
  declare address: number;
  /** @internal the runtime metrics, if asked for (a shipper leaves out their families) */
  declare runtime: RuntimeMetrics | undefined;

  constructor(core: WasmCore, opts: RegistryOpts = {}) {
    if (typeof opts !== "object" || !opts) throw new TypeError("newRegistry: options must be an object");
    const namespace = String(opts.namespace ?? "");
    // The namespace, then each constant label's name and value.
    const strings = [namespace, ...Object.entries(opts.constLabels ?? {}).flat().map(String)];
    this.core = core;
    this.wasm = core.wasm;
    this.address = core.adopt(this, REGISTRY_ADAPTER, this.wasm.glk_registry_new(core.putStrings(strings)));
    if (opts.includeRuntimeMetrics) this.runtime = runtimeMetrics(core, this, namespace && `${namespace}_`);
  }

  /** @internal the adapter's address, or the error of a disposed registry */
  nativeAddress(): number {
    if (!this.address) throw disposedError("registry");
    return this.address;
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

  dispose(): void {
    const address = this.address;
    if (!address) return;
    this.address = 0;
    this.runtime?.dispose();
    this.runtime = undefined;
    this.core.free(this, REGISTRY_ADAPTER, address);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** @internal whether the metric is one of this instance's */
  own(metric: AnyMetric): metric is AnyMetric & NativeMetric<SeriesHandle> {
    return metric instanceof NativeMetric && metric.core === this.core;
  }
}
