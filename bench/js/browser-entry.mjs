// The page script of bench/js/browser.mjs (bundled by esbuild for the browser): the same suite as
// node.mjs, with the inline entry of @golivekit/observability (wasm embedded) and prom-client bundled
// with stubs for its Node built-ins (or null with --no-prom). browser.mjs calls globalThis.runBench.
import { loadObservability } from "../../dist/inline.js";
import prom from "prom-client";
import { runSuite, formatTable } from "./cases.mjs";

globalThis.runBench = async ({ minTimeMs = 200, repeats = 5, only = null } = {}) => {
  const obs = await loadObservability();
  const t0 = performance.now();
  const { results, notes } = await runSuite({
    obs,
    prom: prom && typeof prom.Counter === "function" ? prom : null,
    minTimeMs,
    repeats,
    only,
    log: (m) => console.log(m),
  });
  return {
    env: {
      environment: "browser",
      userAgent: navigator.userAgent,
      cores: navigator.hardwareConcurrency,
      crossOriginIsolated: globalThis.crossOriginIsolated === true,
      observability: obs.version,
      promClient: prom ? "bundled" : null,
      minTimeMs,
      repeats,
      seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    },
    notes,
    results,
    table: formatTable(results),
  };
};
globalThis.benchReady = true;
