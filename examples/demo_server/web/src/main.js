// The demo page: the LiveView client (live.js) instrumented with @golivekit/observability, as an app
// would do it. What the browser records is shipped to demo_server's /metrics/ingest and merged into its
// /metrics; the panel on the right shows this page's own registry and the shipper's counters.
//
// Query parameters: room, name (the LiveView room and user), ship (the shipping interval in ms;
// default 5000, so that the dashboard moves). window.__demo is for tests and the curious: flush(),
// stats(), expose(), idle() (resolves when no event is in flight).
import { loadObservability } from "@golivekit/observability";
import { recordWebVitals } from "@golivekit/observability/vitals";
import { LiveClient } from "./live.js";
import { registerClientMetrics } from "./metrics.js";

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);

function log(text) {
  const el = $("log");
  el.textContent = `${new Date().toLocaleTimeString()}  ${text}\n${el.textContent}`.slice(0, 6000);
}

function setStatus(text, bad = false) {
  $("status").textContent = text;
  $("status").className = bad ? "bad" : "";
}

async function main() {
  const obs = await loadObservability();
  const registry = obs.newRegistry();
  const m = registerClientMetrics(obs, registry);
  recordWebVitals(obs, registry);

  const client = new LiveClient({
    room: params.get("room") ?? "lobby",
    name: params.get("name") ?? "",
    target: (component) => $(`c-${component}`),
    hooks: {
      log,
      status: setStatus,
      connected: ({ room, user }) => {
        $("room").textContent = `room ${room}`;
        $("user").textContent = `you are ${user}`;
      },
      joined: (joined) => m.openViews.set(joined ? 1 : 0),
      message: (direction, bytes) => m.messageSize.withLabels(direction).observe(bytes),
      applied: (component, seconds) => m.render.withLabels(component).observe(seconds),
      error: (type) => m.errors.withLabels(type).inc(),
      eventSent: (type) => m.events.withLabels(type).inc(),
      eventDone: (type, seconds) => m.eventLatency.withLabels(type).observe(seconds),
    },
  });
  addEventListener("error", () => m.errors.withLabels("script").inc());
  addEventListener("unhandledrejection", () => m.errors.withLabels("script").inc());

  // Registered before the shipper's own pagehide listener: the view is gone in the final batch.
  addEventListener("pagehide", (e) => {
    if (!e.persisted) client.leave();
  });
  const shipEvery = Number(params.get("ship")) || 5000;
  const shipper = obs.startShipping(registry, { url: "/metrics/ingest", intervalMs: shipEvery });

  const showRecorded = () => {
    const lines = registry
      .expose()
      .split("\n")
      .filter((l) => l && !l.startsWith("#") && !l.includes("_bucket{"));
    $("recorded").textContent = lines.join("\n");
    const s = shipper.stats();
    $("shipper").textContent =
      `shipped every ${shipEvery / 1000} s: ${s.batches} batches, ${s.accepted} accepted, ${s.rejected} rejected, ` +
      `${s.dropped} dropped, ${s.retries} retries${s.lastError ? `, last error: ${s.lastError}` : ""}`;
  };
  setInterval(showRecorded, 1000);

  let inFlight = 0;
  let idleWaiters = [];
  for (const button of document.querySelectorAll("button[data-event]")) {
    button.addEventListener("click", async () => {
      inFlight++;
      try {
        await client.send(button.dataset.event);
      } finally {
        inFlight--;
        showRecorded();
        if (inFlight === 0) {
          for (const resolve of idleWaiters) resolve();
          idleWaiters = [];
        }
      }
    });
  }

  window.__demo = {
    clientId: shipper.clientId,
    flush: () => shipper.flush().finally(showRecorded),
    stats: () => shipper.stats(),
    expose: () => registry.expose(),
    joined: () => client.session !== null,
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise((resolve) => idleWaiters.push(resolve))),
  };
  await client.start();
  showRecorded();
}

main().catch((e) => {
  setStatus(`the page failed to start: ${e?.message ?? e}`, true);
  throw e;
});
