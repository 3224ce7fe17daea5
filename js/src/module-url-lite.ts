// Where the /lite entries' module is (lite.ts, lite-browser.ts): observability-lite.wasm, the module
// without the exposition, beside this file; gzip'd or plain as module-url.ts chooses for the full one.
// A file of its own, so that a page of the /lite entry has its bundler emit only these two assets.
export const liteModuleUrl = (): URL =>
  typeof DecompressionStream === "function"
    ? new URL("./observability-lite.wasm.gz", import.meta.url)
    : new URL("./observability-lite.wasm", import.meta.url);
