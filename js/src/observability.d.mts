// Types of the emscripten glue that scripts/build-npm.sh copies beside the compiled sources.
import type { ModuleFactory } from "./wasm-module.js";
declare const createObservabilityModule: ModuleFactory;
export default createObservabilityModule;
