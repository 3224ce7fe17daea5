// A Vite app (no config) that records client metrics and ships them to the demo_server named in
// ?ingest=<url> (another origin: a CORS request with preflight). It publishes window.__result once the
// server confirmed the first batch, and window.__more() records more without flushing (the test then
// closes the page: the pagehide path must deliver it). With ?blocked=1 the server does not allow this
// origin: the page reports what the shipper saw after a while instead.
import { loadObservability } from "@golivekit/observability";

const params = new URLSearchParams(location.search);

async function run() {
  const obs = await loadObservability();
  const registry = obs.newRegistry({ includeRuntimeMetrics: true });
  const events = registry.register(obs.newCounter({ name: "golivekit_client_events_total", help: "Events.", labels: ["event"] }));
  const latency = registry.register(
    // As demo_server declares it: the default classic buckets and native buckets (factor 1.1).
    obs.newHistogram({ name: "golivekit_client_event_latency_seconds", help: "Latency.", labels: ["event"], nativeBucketFactor: 1.1 }),
  );
  const views = registry.register(obs.newGauge({ name: "golivekit_client_open_views", help: "Open views." }));
  const shipper = obs.startShipping(registry, { url: params.get("ingest"), intervalMs: 60_000 });

  events.withLabels("click").add(2);
  events.withLabels("phx:submit").inc();
  for (const v of [0.0078125, 0.125, 1.5]) latency.withLabels("click").observe(v);
  views.set(3);

  if (params.get("blocked")) {
    const settled = await Promise.race([
      shipper.flush().then(() => "confirmed", (e) => `rejected: ${e.code}`),
      new Promise((r) => setTimeout(() => r("pending"), 1500)),
    ]);
    return { settled, stats: shipper.stats() };
  }
  await shipper.flush();
  window.__more = () => {
    events.withLabels("click").inc();
    events.withLabels("navigate").add(4);
    latency.withLabels("navigate").observe(0.25);
    return registry.expose();
  };
  return { recorded: registry.expose(), clientId: shipper.clientId, stats: shipper.stats() };
}

run().then(
  (result) => {
    document.getElementById("out").textContent = JSON.stringify(result, null, 1);
    window.__result = { ok: true, result };
  },
  (err) => {
    window.__result = { ok: false, error: String(err?.stack ?? err) };
  },
);
