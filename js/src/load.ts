// Instantiation shared by the entry points, in the way the entry gives (index.ts, browser.ts and the /lite
// ones: fetched, or from bytes; inline.ts: from bytes), with the Web Crypto it gives for the shipper's
// client ids and its part in each registry's exposition (registry.ts, Exposition); and the sharing of
// one instance that the entries give loadObservability().
import { createApi } from "./api.js";
import type { WebCrypto } from "./api.js";
import type { Exposition } from "./registry.js";
import type { LoadOptions, Observability } from "./types.js";
import { type Instantiate, instantiateWith } from "./wasm-instance.js";

// Web Crypto for client ids: globalThis.crypto in browsers, workers and Node >= 19. Node 18 has it only
// as node:crypto's webcrypto (its ES modules see no global `crypto`); elsewhere that import fails.
// Undefined where there is none: then startShipping says so, and recording works as ever.
// A page never takes the node:crypto path: browser.ts passes globalThis.crypto instead.
export async function webCrypto(): Promise<WebCrypto | undefined> {
  let crypto = (globalThis as { crypto?: WebCrypto }).crypto;
  if (typeof crypto?.getRandomValues !== "function") {
    const cryptoModule = "node:crypto"; // in a variable: bundlers for the browser neither follow nor warn
    crypto = await import(/* @vite-ignore */ cryptoModule).then(
      (m: { webcrypto: WebCrypto }) => m.webcrypto,
      () => undefined,
    );
  }
  return typeof crypto?.getRandomValues === "function" ? crypto : undefined;
}

/** The API over an instance made by `load`, with the entry's part in its registries' exposition. */
export async function instantiate(
  load: Instantiate,
  webCrypto: WebCrypto | undefined | Promise<WebCrypto | undefined>,
  exposition: Exposition,
): Promise<Observability> {
  const [heap, crypto] = await Promise.all([instantiateWith(load), webCrypto]);
  return createApi(heap, crypto, exposition);
}

/**
 * An entry's loadObservability over `load` (which makes an instance as the options say): without the
 * module's bytes or URL in the options every call resolves to one shared instance, else to a new one. A
 * failed shared load (the network, say) is forgotten, so that a later call tries again.
 */
export function sharedLoad(
  load: (options: LoadOptions) => Promise<Observability>,
): (options?: LoadOptions) => Promise<Observability> {
  let shared: Promise<Observability> | undefined;
  return (options) => {
    if (options && (options.wasmBinary || options.wasmUrl)) return load(options);
    if (!shared) {
      shared = load({});
      shared.catch(() => (shared = undefined));
    }
    return shared;
  };
}
