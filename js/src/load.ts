// Instantiation shared by both entry points. Browsers and bundlers: observability.wasm is fetched from
// the URL the entry gives (index.ts: `new URL("./observability.wasm", import.meta.url)`, which Vite and
// webpack rewrite to the emitted asset). Node: fetch() cannot read file: URLs (E2 in docs/building.md),
// so the bytes are read here.
import { createApi } from "./api.js";
import type { WebCrypto } from "./api.js";
import type { LoadOptions, Observability } from "./types.js";
import { instantiateWasm, type WasmSource } from "./wasm-instance.js";

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === "string" && typeof (globalThis as { window?: unknown }).window === "undefined";
}

async function readNodeFile(href: string): Promise<Uint8Array> {
  // A module name in a variable, so that bundlers for the browser neither follow nor warn about it.
  const fsModule = "node:fs/promises";
  const fs = (await import(/* @vite-ignore */ fsModule)) as { readFile(p: URL | string): Promise<Uint8Array> };
  return fs.readFile(/^[a-z][a-z0-9+.-]*:/i.test(href) ? new URL(href) : href);
}

// Web Crypto for client ids: globalThis.crypto in browsers, workers and Node >= 19. Node 18 has it only
// as node:crypto's webcrypto (its ES modules see no global `crypto`). Undefined where there is none:
// then startShipping says so, and recording works as ever.
async function webCrypto(): Promise<WebCrypto | undefined> {
  let crypto = (globalThis as { crypto?: WebCrypto }).crypto;
  if (typeof crypto?.getRandomValues !== "function" && isNode()) {
    const cryptoModule = "node:crypto"; // in a variable: bundlers for the browser neither follow nor warn
    crypto = ((await import(/* @vite-ignore */ cryptoModule)) as { webcrypto: WebCrypto }).webcrypto;
  }
  return typeof crypto?.getRandomValues === "function" ? crypto : undefined;
}

export async function instantiate(options: LoadOptions, defaultWasmUrl: () => URL): Promise<Observability> {
  let source: WasmSource | undefined = options.wasmBinary;
  if (!source) {
    const url = options.wasmUrl ?? defaultWasmUrl();
    const href = typeof url === "string" ? url : url.href;
    source = isNode() ? await readNodeFile(href) : href;
  }
  const [{ exports, heap }, crypto] = await Promise.all([instantiateWasm(source), webCrypto()]);
  return createApi(exports, heap, crypto);
}
