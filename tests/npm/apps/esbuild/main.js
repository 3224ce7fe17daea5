// A browser app using the /inline entry (the wasm inlined), bundled by esbuild with no loaders or plugins.
import * as observability from "@golivekit/observability/inline";
import { runScenario } from "./scenario.js";

runScenario("inline", observability).then(
  (result) => {
    document.getElementById("out").textContent = result.text;
    window.__result = { ok: true, result };
  },
  (err) => {
    window.__result = { ok: false, error: String(err?.stack ?? err) };
  },
);
