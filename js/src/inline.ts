/**
 * `@golivekit/observability/inline`: the same API as the default entry, with the WebAssembly module
 * inlined (gzip'd, in base64) so that any bundler (esbuild, Rollup, Parcel, webpack) takes it with no
 * configuration and no asset to serve. A page is about as large as with the default entry's separate
 * `.wasm` file; the module is decompressed by the platform's `DecompressionStream` (browsers since 2023,
 * Node 18) and compiled on the main thread, not while it downloads.
 *
 * @packageDocumentation
 */
import { instantiate, nodeJsHeap, webCrypto } from "./load.js";
import { fromBytes } from "./wasm-instance.js";
import wasmGzipBase64 from "./observability-wasm-inline.js";
import type { LoadOptions, Observability } from "./types.js";

export type * from "./types.js";
export { ObservabilityError, VERSION } from "./api.js";

// The module's gzip'd bytes from their base64 (scripts/npm-dist.mjs); fromBytes gunzips them.
const inlinedModule = () => Uint8Array.from(atob(wasmGzipBase64), (c) => c.charCodeAt(0));

let shared: Promise<Observability> | undefined;

/** Instantiates the inlined WebAssembly module; see the default entry's `loadObservability`. */
export function loadObservability(options?: LoadOptions): Promise<Observability> {
  const fromInline = async () => instantiate(fromBytes((options?.wasmBinary ?? inlinedModule()) as BufferSource), webCrypto(), nodeJsHeap);
  if (options?.wasmBinary) return fromInline();
  shared ??= fromInline();
  return shared;
}
