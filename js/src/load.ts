// Instantiation shared by the entry points, in the way the entry gives (index.ts and browser.ts: fetched, or
// from bytes; inline.ts: from bytes), with the Web Crypto it gives for the shipper's client ids; and the
// sharing of one instance that index.ts and browser.ts give loadObservability().
import { createApi } from "./api.js";
import type { WebCrypto } from "./api.js";
import { browserJsHeap, type JsHeap } from "./registry.js";
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

// The JS heap where the browser (performance.memory) or Node (process.memoryUsage) reports it: what the
// entries for both (index.ts, inline.ts) give their registries' runtime metrics.
export const nodeJsHeap: JsHeap = () => {
  const heap = browserJsHeap();
  const p = (globalThis as { process?: { memoryUsage?: () => { heapUsed: number; heapTotal: number } } }).process;
  const usage = !heap.length && typeof p?.memoryUsage === "function" && p.memoryUsage();
  return usage ? [usage.heapUsed, usage.heapTotal] : heap;
};

/** The API over an instance made by `load`; `jsHeap` reads the JS heap for the runtime metrics. */
export async function instantiate(
  load: Instantiate,
  webCrypto: WebCrypto | undefined | Promise<WebCrypto | undefined>,
  jsHeap: JsHeap = browserJsHeap,
): Promise<Observability> {
  const [heap, crypto] = await Promise.all([instantiateWith(load), webCrypto]);
  return createApi(heap, crypto, jsHeap);
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
