// A registry's own gauges, if asked for (RegistryOpts.includeRuntimeMetrics, the spec's IncludeGoMetrics
// for this target): the memory of the wasm instance and of the JS heap, read at each exposition, and the
// build info. Exposition only (a shipper leaves them out), so only the entries with the exposition link
// this module (index.ts, browser.ts, inline.ts); the /lite entries do not, and their pages carry none of it.
import { GAUGE, VERSION } from "./constants.js";
import { GaugeMetric } from "./metrics.js";
import type { Exposition, MetricRegistry } from "./registry.js";

/** The JS heap's figures (used, limit) where the platform reports them, else none. */
export type JsHeap = () => number[];

// The JS heap where a browser reports it (performance.memory): what browser.ts gives its registries. The
// other entries give nodeJsHeap, which reads Node's process.memoryUsage() too, a path no page takes.
export const browserJsHeap: JsHeap = () => {
  const memory = (globalThis as { performance?: { memory?: { usedJSHeapSize: number; jsHeapSizeLimit: number } } })
    .performance?.memory;
  return memory ? [memory.usedJSHeapSize, memory.jsHeapSizeLimit] : [];
};

// The JS heap where the browser (performance.memory) or Node (process.memoryUsage) reports it: what the
// entries for both (index.ts, inline.ts) give their registries' runtime metrics.
export const nodeJsHeap: JsHeap = () => {
  const heap = browserJsHeap();
  const p = (globalThis as { process?: { memoryUsage?: () => { heapUsed: number; heapTotal: number } } }).process;
  const usage = !heap.length && typeof p?.memoryUsage === "function" && p.memoryUsage();
  return usage ? [usage.heapUsed, usage.heapTotal] : heap;
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

/**
 * The exposition's part of an entry: registries' runtime metrics if asked for, with the JS heap that
 * `jsHeap` reads (a page's, by default).
 */
export const withRuntimeMetrics = (jsHeap = browserJsHeap): Exposition => (registry: MetricRegistry, namespace, wanted) => {
  if (wanted) {
    const core = registry.core;
    // The wasm memory's two in MemoryStats' order (wasmMemoryBytes, heapInUseBytes), then the JS heap's.
    const figures = (): number[] => [...Object.values(core.memoryUse()), ...jsHeap()];
    const gauges = GAUGES.slice(0, figures().length + 1).map(([name, help, ...labels]) =>
      registry.register(new GaugeMetric(core, GAUGE, { name: name!, help: help!, labels })));
    gauges[0]!.withLabels(VERSION).set(1);
    return {
      names: gauges.map((gauge) => (namespace && `${namespace}_`) + gauge.name),
      refresh: () => figures().forEach((value, i) => gauges[i + 1]!.set(value)),
      dispose: () => gauges.forEach((gauge) => gauge.dispose()),
    };
  }
};
