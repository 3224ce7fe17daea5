// A Vite app using the default entry (observability.wasm as a separate asset), built with no config.
import * as observability from "@golivekit/observability";
import { runScenario } from "./scenario.js";

runScenario("default", observability).then(
  (result) => {
    document.getElementById("out").textContent = result.text;
    window.__result = { ok: true, result };
  },
  (err) => {
    window.__result = { ok: false, error: String(err?.stack ?? err) };
  },
);
