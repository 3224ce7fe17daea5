/**
 * `@golivekit/observability/lite`: the default entry's API for pages that record and ship, and never
 * read the exposition. Its module (`observability-lite.wasm`) is the same core without the text and
 * OpenMetrics encoders, and its JS has no runtime metrics: a page about 1.3 KB lighter (gzip'd), less
 * than OpenTelemetry's metrics SDK with its OTLP exporter (docs/performance.md).
 *
 * ```ts
 * import { loadObservability } from "@golivekit/observability/lite";
 * const obs = await loadObservability();
 * const registry = obs.newRegistry();
 * const clicks = registry.register(obs.newCounter({ name: "clicks_total", help: "Clicks.", labels: ["button"] }));
 * clicks.withLabels("buy").inc();
 * obs.startShipping(registry, { url: "/metrics/ingest" });
 * ```
 *
 * The batches it ships are byte for byte the default entry's. `registry.expose()` and
 * `newRegistry({ includeRuntimeMetrics: true })` throw an `ObservabilityError` (`FAILED_PRECONDITION`)
 * that names the default entry. This entry runs in browsers and Node; builds for the browser take
 * lite-browser.ts (the "browser" condition), and a dev server (the "development" condition)
 * lite-inline.ts, which behaves the same over the inlined module.
 *
 * @packageDocumentation
 */
import { instantiate, sharedLoad, webCrypto } from "./load.js";
import type { LoadOptions, Observability } from "./types.js";
import { anySource } from "./module-source.js";
import { liteExposition } from "./lite-exposition.js";
import { liteModuleUrl } from "./module-url-lite.js";

export type * from "./types.js";
export { ObservabilityError, VERSION } from "./api.js";

const load = sharedLoad(async (options) => instantiate(await anySource(options, liteModuleUrl), webCrypto(), liteExposition));

/**
 * Loads and instantiates the module without the exposition; otherwise as the default entry's
 * `loadObservability`. `wasmUrl` and `wasmBinary` may give either module.
 */
export function loadObservability(options?: LoadOptions): Promise<Observability> {
  return load(options);
}
