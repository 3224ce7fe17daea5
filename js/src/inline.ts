/**
 * `@golivekit/observability/inline`: the same API as the default entry, with the WebAssembly module
 * inlined (base64) so that any bundler (esbuild, Rollup, Parcel, webpack) takes it with no
 * configuration and no asset to serve. It costs ~30 % more bytes than the default entry's separate
 * `.wasm` file; prefer the default entry where the bundler supports it (Vite does).
 *
 * @packageDocumentation
 */
import { instantiate } from "./load.js";
import wasmBase64 from "./observability-wasm-inline.js";
import type { LoadOptions, Observability } from "./types.js";

export type * from "./types.js";
export { ObservabilityError, VERSION } from "./api.js";

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let shared: Promise<Observability> | undefined;

/** Instantiates the inlined WebAssembly module; see the default entry's `loadObservability`. */
export function loadObservability(options?: LoadOptions): Promise<Observability> {
  const fromInline = () => instantiate({ wasmBinary: options?.wasmBinary ?? decodeBase64(wasmBase64) }, () => {
    throw new Error("unreachable: the inline entry never reads a file");
  });
  if (options?.wasmBinary) return fromInline();
  shared ??= fromInline();
  return shared;
}
