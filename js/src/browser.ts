/**
 * `@golivekit/observability` as builds for the browser see it (the package's "browser" export
 * condition, which Vite, webpack and esbuild set for a page): the default entry's API and behaviour,
 * without its Node paths (reading the module from a file, Web Crypto from node:crypto), which a page
 * never takes and would otherwise carry.
 *
 * @packageDocumentation
 */
import type { WebCrypto } from "./api.js";
import { instantiate, sharedLoad } from "./load.js";
import type { LoadOptions, Observability } from "./types.js";
import { pageSource } from "./module-source.js";
import { moduleUrl } from "./module-url.js";
import { withRuntimeMetrics } from "./runtime-metrics.js";

export type * from "./types.js";
export { ObservabilityError, VERSION } from "./api.js";

const load = sharedLoad((options) =>
  instantiate(pageSource(options, moduleUrl), (globalThis as { crypto?: WebCrypto }).crypto,
    withRuntimeMetrics()));

/** Loads and instantiates the WebAssembly module; see the default entry's `loadObservability`. */
export function loadObservability(options?: LoadOptions): Promise<Observability> {
  return load(options);
}
