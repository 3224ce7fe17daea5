/**
 * `@golivekit/observability/inline`: the same API as the default entry, with the WebAssembly module
 * inlined (gzip'd, in base64) so that any bundler (esbuild, Rollup, Parcel, webpack) takes it with no
 * configuration and no asset to serve. A page is about as large as with the default entry's separate
 * `.wasm` file; the module is decompressed by the platform's `DecompressionStream` (browsers since 2023,
 * Node 18) and compiled on the main thread, not while it downloads.
 *
 * @packageDocumentation
 */
import { inlineLoad } from "./inline-load.js";
import { nodeJsHeap, withRuntimeMetrics } from "./runtime-metrics.js";
import type { LoadOptions, Observability } from "./types.js";

export type * from "./types.js";
export { ObservabilityError, VERSION } from "./api.js";

const load = inlineLoad(withRuntimeMetrics(nodeJsHeap));

/** Instantiates the inlined WebAssembly module; see the default entry's `loadObservability`. */
export function loadObservability(options?: LoadOptions): Promise<Observability> {
  return load(options);
}
