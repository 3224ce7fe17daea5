// A registry's own gauges (RegistryOpts.includeRuntimeMetrics, the spec's IncludeGoMetrics for this
// target): the memory of the wasm instance and of the JS heap, read at each exposition, and the build info.
// Written as closures over a table rather than a class: every page carries this code (registry.ts cannot
// know whether a registry will ask for it), and closures minify to less.
import { GAUGE, VERSION } from "./constants.js";
import { GaugeMetric } from "./metrics.js";
import type { Registry } from "./types.js";
import type { WasmCore } from "./wasm-core.js";

/** What a registry keeps of its runtime metrics. */
export interface RuntimeMetrics {
  /** The family names of the gauges (with the registry's namespace). */
  names: string[];
  /** Reads the figures into the gauges (before an exposition). */
  refresh(): void;
  dispose(): void;
}

// The JS heap (used, limit) where the browser (performance.memory) or Node (process.memoryUsage) reports it.
function jsHeap(): number[] {
  const g = globalThis as {
    performance?: { memory?: { usedJSHeapSize: number; jsHeapSizeLimit: number } };
    process?: { memoryUsage?: () => { heapUsed: number; heapTotal: number } };
  };
  const memory = g.performance?.memory;
  if (memory) return [memory.usedJSHeapSize, memory.jsHeapSizeLimit];
  const usage = typeof g.process?.memoryUsage === "function" ? g.process.memoryUsage() : undefined;
  return usage ? [usage.heapUsed, usage.heapTotal] : [];
}

// The gauges refresh() sets, in the order of its figures; the JS heap's two only where it is reported.
const GAUGES = [
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
 * Registers the gauges with `registry`, which disposes them (dispose()) with itself. `prefix`: the
 * registry's namespace and "_", or "".
 */
export function runtimeMetrics(core: WasmCore, registry: Registry, prefix: string): RuntimeMetrics {
  // The wasm memory's two in MemoryStats' order (wasmMemoryBytes, heapInUseBytes), then the JS heap's.
  const figures = (): number[] => [...Object.values(core.memoryUse()), ...jsHeap()];
  const add = ([name, help]: string[], labels?: string[]): GaugeMetric =>
    registry.register(new GaugeMetric(core, GAUGE, { name: name!, help: help!, labels }));
  const gauges = GAUGES.slice(0, figures().length).map((row) => add(row));
  const all = [...gauges, add(["golivekit_build_info", "Version of golivekit-observability; always 1."], ["version"])];
  all[all.length - 1]!.withLabels(VERSION).set(1);
  return {
    names: all.map((gauge) => prefix + gauge.name),
    refresh: () => figures().forEach((value, i) => gauges[i]?.set(value)),
    dispose: () => all.forEach((gauge) => gauge.dispose()),
  };
}
