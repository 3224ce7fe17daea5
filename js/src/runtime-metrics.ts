// A registry's own gauges (RegistryOpts.includeRuntimeMetrics, the spec's IncludeGoMetrics for this
// target): the memory of the wasm instance and of the JS heap, read at each exposition, and the build info.
import { VERSION } from "./constants.js";
import { GaugeMetric } from "./metrics.js";
import type { Registry } from "./types.js";
import type { WasmCore } from "./wasm-core.js";

interface JsHeap {
  used: number;
  limit: number;
}

// Where the browser (performance.memory) or Node (process.memoryUsage) reports it.
function jsHeap(): JsHeap | undefined {
  const perf = (globalThis as { performance?: { memory?: { usedJSHeapSize: number; jsHeapSizeLimit: number } } })
    .performance;
  if (perf?.memory) return { used: perf.memory.usedJSHeapSize, limit: perf.memory.jsHeapSizeLimit };
  const proc = (globalThis as { process?: { memoryUsage?: () => { heapUsed: number; heapTotal: number } } }).process;
  if (typeof proc?.memoryUsage === "function") {
    const usage = proc.memoryUsage();
    return { used: usage.heapUsed, limit: usage.heapTotal };
  }
  return undefined;
}

export class RuntimeMetrics {
  readonly #core: WasmCore;
  readonly #gauges: GaugeMetric[] = [];
  readonly #wasmMemory: GaugeMetric;
  readonly #heapInUse: GaugeMetric;
  readonly #jsHeapUsed: GaugeMetric | undefined;
  readonly #jsHeapLimit: GaugeMetric | undefined;

  /** Registers the gauges with `registry`, which disposes them (dispose()) with itself. */
  constructor(core: WasmCore, registry: Registry) {
    this.#core = core;
    const add = (name: string, help: string, labels: string[] = []): GaugeMetric => {
      const gauge = new GaugeMetric(core, { name, help, labels });
      this.#gauges.push(gauge);
      return registry.register(gauge);
    };
    this.#wasmMemory = add("golivekit_runtime_wasm_memory_bytes",
      "Size of the WebAssembly linear memory of the metrics module (grows, never shrinks).");
    this.#heapInUse = add("golivekit_runtime_heap_inuse_bytes",
      "Bytes handed out by the allocator of the metrics module and not yet returned.");
    add("golivekit_build_info", "Version of golivekit-observability; always 1.", ["version"])
      .withLabels(VERSION).set(1);
    if (jsHeap() !== undefined) {
      this.#jsHeapUsed = add("golivekit_runtime_js_heap_used_bytes",
        "JS heap in use, where the browser (performance.memory) or Node (process.memoryUsage) reports it.");
      this.#jsHeapLimit = add("golivekit_runtime_js_heap_limit_bytes",
        "JS heap limit (browser) or JS heap reserved (Node), where reported.");
    }
  }

  /** The names of the gauges (without the registry's namespace). */
  names(): string[] {
    return this.#gauges.map((gauge) => gauge.name);
  }

  /** Reads the figures into the gauges (before an exposition). */
  refresh(): void {
    const memory = this.#core.memoryStats();
    this.#wasmMemory.set(memory.wasmMemoryBytes);
    this.#heapInUse.set(memory.heapInUseBytes);
    const js = jsHeap();
    if (js !== undefined) {
      this.#jsHeapUsed?.set(js.used);
      this.#jsHeapLimit?.set(js.limit);
    }
  }

  dispose(): void {
    for (const gauge of this.#gauges) gauge.dispose();
  }
}
