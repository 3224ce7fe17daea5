/**
 * `@golivekit/observability/lite` under a dev server (the "development" export condition, which Vite's
 * `vite` sets): the lite entry's behaviour over the inlined module, for the reason the default entry has
 * inline.ts there (its module file would be lost by the dev server's dependency pre-bundling). The
 * inlined module is the full one, which a dev server does not mind; the registries are the lite entry's,
 * so a page behaves as it will in its production build.
 *
 * @packageDocumentation
 */
import { inlineLoad } from "./inline-load.js";
import { liteExposition } from "./lite-exposition.js";
import type { LoadOptions, Observability } from "./types.js";

export type * from "./types.js";
export { ObservabilityError, VERSION } from "./api.js";

const load = inlineLoad(liteExposition);

/** Instantiates the inlined module with the lite entry's registries; see lite.ts. */
export function loadObservability(options?: LoadOptions): Promise<Observability> {
  return load(options);
}
