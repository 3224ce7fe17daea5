// The loading of the inlined module (inline.ts, and lite-inline.ts for the /lite entry under a dev
// server): its gzip'd bytes from their base64 (scripts/npm-dist.mjs), which fromBytes gunzips.
import { instantiate, webCrypto } from "./load.js";
import type { Exposition } from "./registry.js";
import type { LoadOptions, Observability } from "./types.js";
import { fromBytes } from "./wasm-instance.js";
import wasmGzipBase64 from "./observability-wasm-inline.js";

const inlinedModule = () => Uint8Array.from(atob(wasmGzipBase64), (c) => c.charCodeAt(0));

/** An entry's loadObservability over the inlined module, with the entry's exposition part if any. */
export function inlineLoad(exposition: Exposition): (options?: LoadOptions) => Promise<Observability> {
  let shared: Promise<Observability> | undefined;
  return (options) => {
    const fromInline = async () =>
      instantiate(fromBytes((options?.wasmBinary ?? inlinedModule()) as BufferSource), webCrypto(), exposition);
    if (options?.wasmBinary) return fromInline();
    shared ??= fromInline();
    return shared;
  };
}
