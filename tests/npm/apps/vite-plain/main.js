// A Vite app that loads the package's plain module by wasmUrl (what docs/api-js.md suggests for a host
// that Brotli-compresses its files ahead), through the package's "./observability.wasm" export and
// Vite's ?url import. Built with no config; npm.vite_chromium runs it.
import { loadObservability } from "@golivekit/observability";
import wasmUrl from "@golivekit/observability/observability.wasm?url";

loadObservability({ wasmUrl }).then(
  (obs) => {
    const registry = obs.newRegistry();
    registry.register(obs.newGauge({ name: "plain_module", help: "Loaded from the plain module." })).set(1);
    const text = registry.expose();
    document.getElementById("out").textContent = text;
    window.__result = { ok: true, result: { text, wasmUrl } };
  },
  (err) => (window.__result = { ok: false, error: String(err?.stack ?? err) }),
);
