// Where an entry gets its module's bytes: from `wasmBinary`, else fetched from `wasmUrl` or the entry's
// own module file (module-url.ts, module-url-lite.ts). pageSource is the browser's way, which the
// entries for pages (browser.ts, lite-browser.ts) take alone; anySource adds Node's, which fetch() cannot
// take (it reads no file: URLs, E2 in docs/building.md), for the entries that run in both.
import type { LoadOptions } from "./types.js";
import { fromBytes, fromUrl, type Instantiate } from "./wasm-instance.js";

/** The module as a page loads it: the given bytes, or fetched. */
export function pageSource(options: LoadOptions, moduleUrl: () => URL): Instantiate {
  const url = options.wasmUrl ?? moduleUrl();
  return options.wasmBinary ? fromBytes(options.wasmBinary as BufferSource) : fromUrl(String(url));
}

/** The module in a page or in Node, where its file is read. */
export async function anySource(options: LoadOptions, moduleUrl: () => URL): Promise<Instantiate> {
  if (options.wasmBinary || !isNode()) return pageSource(options, moduleUrl);
  const url = options.wasmUrl ?? moduleUrl();
  return fromBytes((await readNodeFile(String(url))) as BufferSource);
}

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
