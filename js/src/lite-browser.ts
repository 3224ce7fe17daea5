/**
 * `@golivekit/observability/lite` as builds for the browser see it (the "browser" export condition): the
 * lite entry without its Node path, as browser.ts is the default entry's.
 *
 * @packageDocumentation
 */
import type { WebCrypto } from "./api.js";
import { instantiate, sharedLoad } from "./load.js";
import type { LoadOptions, Observability } from "./types.js";
import { pageSource } from "./module-source.js";
import { liteExposition } from "./lite-exposition.js";
import { liteModuleUrl } from "./module-url-lite.js";

export type * from "./types.js";
export { ObservabilityError, VERSION } from "./api.js";

const load = sharedLoad((options) =>
  instantiate(pageSource(options, liteModuleUrl), (globalThis as { crypto?: WebCrypto }).crypto, liteExposition));

/** Loads and instantiates the module without the exposition; see lite.ts. */
export function loadObservability(options?: LoadOptions): Promise<Observability> {
  return load(options);
}
