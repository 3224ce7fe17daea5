/**
 * `@golivekit/observability`: Prometheus-style metrics in the browser and Node, recorded by the same
 * C++ core (compiled to WebAssembly) as the GoliveKit server.
 *
 * ```ts
 * import { loadObservability } from "@golivekit/observability";
 * const obs = await loadObservability();
 * const registry = obs.newRegistry({ namespace: "shop" });
 * const clicks = registry.register(obs.newCounter({ name: "clicks_total", help: "Clicks.", labels: ["button"] }));
 * clicks.withLabels("buy").inc();
 * console.log(registry.expose());
 * ```
 *
 * This entry keeps `observability.wasm` as a file of its own beside the module (Vite, webpack and Node
 * find it with no configuration). `@golivekit/observability/inline` has it inlined instead, for bundlers
 * that do not handle `new URL(…, import.meta.url)` assets (esbuild).
 *
 * @packageDocumentation
 */
import { instantiate } from "./load.js";
import type { LoadOptions, Observability } from "./types.js";

export type * from "./types.js";
export { ObservabilityError, VERSION } from "./api.js";

let shared: Promise<Observability> | undefined;

/**
 * Loads and instantiates the WebAssembly module and returns the metrics API. Without options the
 * instance is shared: every call resolves to the same object. With options, each call makes a new one.
 */
export function loadObservability(options?: LoadOptions): Promise<Observability> {
  const wasmUrl = () => new URL("./observability.wasm", import.meta.url);
  if (options && (options.wasmBinary || options.wasmUrl)) return instantiate(options, wasmUrl);
  if (!shared) {
    shared = instantiate({}, wasmUrl);
    shared.catch(() => {
      shared = undefined; // a failed load (network) may be retried
    });
  }
  return shared;
}
