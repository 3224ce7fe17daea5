// The page whose cost npm.page_size measures (zero-config `vite build`, gzip -9): a registry, a labelled
// counter, a gauge, a histogram with classic and native buckets, and shipping. The same instruments as
// ../page-size-otel/main.js. The shipper's fetch is the page's own so that the test needs no ingest
// server; the bytes it sends are what a server would get.
import { loadObservability } from "@golivekit/observability";

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
    const text = registry.expose();
    document.getElementById("out").textContent = text;
    window.__result = { ok: true, result: { sent, text } };
  },
  (err) => (window.__result = { ok: false, error: String(err?.stack ?? err) }),
);
