// What the /lite entries (lite.ts, lite-browser.ts, lite-inline.ts) add to each registry: the refusal of
// the exposition they leave out, with an error that says where it is. Their module has no exposition
// (wasm/bindings.cc, GLK_OBS_WASM_LITE), and a page of theirs carries no runtime metrics.
import { ObservabilityError } from "./errors.js";
import type { Exposition } from "./registry.js";

const notInLite = (what: string) =>
  new ObservabilityError("FAILED_PRECONDITION",
    `${what}: @golivekit/observability/lite has no exposition; import @golivekit/observability for it`);

export const liteExposition: Exposition = (_registry, _namespace, runtimeMetrics) => {
  if (runtimeMetrics) throw notInLite("newRegistry({ includeRuntimeMetrics })");
  return {
    names: [],
    refresh() {
      throw notInLite("registry.expose()");
    },
    dispose() {},
  };
};
