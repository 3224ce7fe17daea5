// Instantiation shared by both entry points. Browsers and bundlers: observability.wasm is fetched from
// the URL the entry gives (index.ts: `new URL("./observability.wasm", import.meta.url)`, which Vite and
// webpack rewrite to the emitted asset). Node: fetch() cannot read file: URLs (E2 in docs/building.md),
// so the bytes are read here.
import { createApi } from "./api.js";
import type { LoadOptions, Observability } from "./types.js";
import { instantiateWasm, type WasmSource } from "./wasm-instance.js";

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === "string" && typeof (globalThis as { window?: unknown }).window === "undefined";
}

async function readNodeFile(url: string | { readonly href: string }): Promise<Uint8Array> {
  // A module name in a variable, so that bundlers for the browser neither follow nor warn about it.
  const fsModule = "node:fs/promises";
  const fs = (await import(/* @vite-ignore */ fsModule)) as { readFile(p: URL | string): Promise<Uint8Array> };
  const href = typeof url === "string" ? url : url.href;
  return fs.readFile(/^[a-z][a-z0-9+.-]*:/i.test(href) ? new URL(href) : href);
}

interface WebCrypto {
  getRandomValues(array: Uint32Array): Uint32Array;
}

// Web Crypto for client ids: globalThis.crypto in browsers, workers and Node >= 19. Node 18 has it only
// as node:crypto's webcrypto (its ES modules see no global `crypto`). Undefined where there is none:
// then startShipping says so, and recording works as ever.
async function randomWords(): Promise<((words: Uint32Array) => void) | undefined> {
  let crypto = (globalThis as { crypto?: Partial<WebCrypto> }).crypto;
  if (typeof crypto?.getRandomValues !== "function" && isNode()) {
    const cryptoModule = "node:crypto"; // in a variable: bundlers for the browser neither follow nor warn
    crypto = ((await import(/* @vite-ignore */ cryptoModule)) as { webcrypto: WebCrypto }).webcrypto;
  }
  const source = crypto as WebCrypto | undefined;
  if (typeof source?.getRandomValues !== "function") return undefined;
  return (words) => void source.getRandomValues(words);
}

export async function instantiate(options: LoadOptions, defaultWasmUrl: () => URL): Promise<Observability> {
  const url = options.wasmBinary ? undefined : (options.wasmUrl ?? defaultWasmUrl());
  let source: WasmSource;
  if (!url) source = options.wasmBinary!;
  else if (isNode()) source = await readNodeFile(url);
  else source = typeof url === "string" ? url : url.href;
  const [{ exports, heap }, random] = await Promise.all([instantiateWasm(source), randomWords()]);
  return createApi(exports, heap, random);
}
