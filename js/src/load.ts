// Instantiation shared by both entry points, in the way the entry gives (index.ts: fetched, or from bytes;
// inline.ts: from bytes), with Web Crypto for the shipper's client ids.
import { createApi } from "./api.js";
import type { WebCrypto } from "./api.js";
import type { Observability } from "./types.js";
import { type Instantiate, instantiateWith } from "./wasm-instance.js";

// Web Crypto for client ids: globalThis.crypto in browsers, workers and Node >= 19. Node 18 has it only
// as node:crypto's webcrypto (its ES modules see no global `crypto`); elsewhere that import fails.
// Undefined where there is none: then startShipping says so, and recording works as ever.
async function webCrypto(): Promise<WebCrypto | undefined> {
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

export async function instantiate(load: Instantiate): Promise<Observability> {
  const [{ exports, heap }, crypto] = await Promise.all([instantiateWith(load), webCrypto()]);
  return createApi(exports, heap, crypto);
}
