/**
 * `@golivekit/observability`: Prometheus-style metrics in the browser and Node, recorded by the same
 * C++ core (compiled to WebAssembly) as the GoliveKit server.
 *
 * ```ts
 * import { loadObservability } from "@golivekit/observability";
 * const obs = await loadObservability();
 * const registry = obs.newRegistry({ namespace: "shop" });
 * const clicks = registry.register(obs.newCounter({ name: "clicks_total", help: "Clicks.", labels: ["button"] }));
 * clicks.withLabels("buy").inc();
 * console.log(registry.expose());
 * ```
 *
 * This entry keeps the module as a file of its own beside it, gzip'd (`observability.wasm.gz`: Vite,
 * webpack and Node find it with no configuration). `@golivekit/observability/inline` has it inlined
 * instead, for bundlers that do not handle `new URL(…, import.meta.url)` assets (esbuild).
 *
 * @packageDocumentation
 */
import { instantiate, nodeJsHeap, sharedLoad, webCrypto } from "./load.js";
import type { LoadOptions, Observability } from "./types.js";
import { moduleUrl } from "./module-url.js";
import { fromBytes, fromUrl, type Instantiate } from "./wasm-instance.js";

export type * from "./types.js";
export { ObservabilityError, VERSION } from "./api.js";

// Browsers and bundlers: the module is fetched from its URL (module-url.ts: `new URL(…, import.meta.url)`,
// which Vite and webpack rewrite to the emitted asset). Node: fetch() cannot read file: URLs (E2 in
// docs/building.md), so the bytes are read here. Builds for the browser take browser.ts instead (the
// package's "browser" condition), which has no Node path.
async function wasmSource(options: LoadOptions): Promise<Instantiate> {
  if (options.wasmBinary) return fromBytes(options.wasmBinary as BufferSource);
  const url = options.wasmUrl ?? moduleUrl();
  const href = typeof url === "string" ? url : url.href;
  return isNode() ? fromBytes((await readNodeFile(href)) as BufferSource) : fromUrl(href);
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

const load = sharedLoad(async (options) => instantiate(await wasmSource(options), webCrypto(), nodeJsHeap));

/**
 * Loads and instantiates the WebAssembly module and returns the metrics API. Without options the
 * instance is shared: every call resolves to the same object. With options, each call makes a new one.
 */
export function loadObservability(options?: LoadOptions): Promise<Observability> {
  return load(options);
}
