// Where the package's module is, for the entries that fetch it (index.ts, browser.ts): beside this file,
// as observability.wasm.gz (Zopfli's gzip, scripts/npm-dist.mjs), which the page then gets at that size
// whether or not its server compresses .wasm; as the plain observability.wasm where the platform has no
// DecompressionStream to gunzip it (browsers before 2023). Bundlers (Vite, webpack) emit both files as
// assets and rewrite these URLs to them; the page fetches one.
export const moduleUrl = (): URL =>
  typeof DecompressionStream === "function"
    ? new URL("./observability.wasm.gz", import.meta.url)
    : new URL("./observability.wasm", import.meta.url);
