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
 * This entry keeps the module as a file of its own beside it, gzip'd (`observability.wasm.gz`: Vite,
 * webpack and Node find it with no configuration). `@golivekit/observability/inline` has it inlined
 * instead, for bundlers that do not handle `new URL(…, import.meta.url)` assets (esbuild).
 *
 * @packageDocumentation
 */
import { instantiate, sharedLoad, webCrypto } from "./load.js";
import type { LoadOptions, Observability } from "./types.js";
import { anySource } from "./module-source.js";
import { moduleUrl } from "./module-url.js";
import { nodeJsHeap, withRuntimeMetrics } from "./runtime-metrics.js";

export type * from "./types.js";
export { ObservabilityError, VERSION } from "./api.js";

// Browsers and bundlers: the module is fetched from its URL (module-url.ts: `new URL(…, import.meta.url)`,
// which Vite and webpack rewrite to the emitted asset). Node: its file is read (module-source.ts). Builds
// for the browser take browser.ts instead (the package's "browser" condition), which has no Node path.
const load = sharedLoad(async (options) =>
  instantiate(await anySource(options, moduleUrl), webCrypto(), withRuntimeMetrics(nodeJsHeap)));

/**
 * Loads and instantiates the WebAssembly module and returns the metrics API. Without options the
 * instance is shared: every call resolves to the same object. With options, each call makes a new one.
 */
export function loadObservability(options?: LoadOptions): Promise<Observability> {
  return load(options);
}
