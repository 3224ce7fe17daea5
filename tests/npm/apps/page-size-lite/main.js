// The page whose cost npm.page_size holds against OpenTelemetry's (zero-config `vite build`, gzip -9):
// ../page-size/main.js through the /lite entry, which is for pages that record and ship and never read
// the exposition. The same instruments as ../page-size-otel/main.js, written out in each page (as
// OpenTelemetry's is) so that no page pays for a shared module's wrapping. Reports the values read back
// and the error that expose() must throw (naming the default entry); npm.vite_dev_chromium runs it under
// `vite` too.
import { loadObservability } from "@golivekit/observability/lite";

const obs = await loadObservability();
const registry = obs.newRegistry();
const clicks = registry.register(obs.newCounter({ name: "page_clicks_total", help: "Clicks.", labels: ["button"] }));
const visible = registry.register(obs.newGauge({ name: "page_visible", help: "Whether the page is visible." }));
const latency = registry.register(
  obs.newHistogram({
    name: "page_event_latency_seconds",
    help: "Time to handle a click.",
    buckets: obs.defaultBuckets,
    nativeBucketFactor: 1.1,
  }),
);
const sent = [];
const fetch = async (_url, init) => {
  sent.push(init.body.byteLength);
  return new Response(JSON.stringify({ result: "applied", sequence: sent.length }), {
    status: 200,
    headers: { "content-type": "application/json" },
  });
};
const shipper = obs.startShipping(registry, { url: "/metrics/ingest", intervalMs: 10_000, fetch });

function onClick(button) {
  const t0 = performance.now();
  clicks.withLabels(button).inc();
  latency.observe((performance.now() - t0) / 1000 + 0.003);
}
document.addEventListener("click", (e) => onClick(e.target.id || "none"));
visible.set(document.visibilityState === "visible" ? 1 : 0);

for (const button of ["save", "save", "open"]) onClick(button);
shipper.flush().then(
  () => {
    let refused;
    try {
      registry.expose();
    } catch (err) {
      refused = `${err.code}: ${err.message}`;
    }
    const values = { clicks: clicks.withLabels("save").value(), visible: visible.value(), count: latency.count() };
    document.getElementById("out").textContent = JSON.stringify({ sent, values, refused });
    window.__result = { ok: true, result: { sent, values, refused } };
  },
  (err) => (window.__result = { ok: false, error: String(err?.stack ?? err) }),
);
