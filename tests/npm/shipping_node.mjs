// npm.shipping_node: the installed package ships from Node to a real demo_server (POST /metrics/ingest),
// and the server's /metrics shows exactly what was recorded: counters and histograms add up over two
// clients, the open-views gauge sums the live clients and drops a client's share at its final batch
// (stop()); the bearer token is enforced.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { CLIENT_FAMILIES, pollMetrics, samples, scrape, startDemoServer } from "./demo_server.mjs";
import { args, assert, assertEqual, main } from "./lib.mjs";

main("npm.shipping_node", async () => {
  const ctx = args();
  const entry = path.join(ctx.consumer, "node_modules", "@golivekit", "observability", "dist", "index.js");
  const { loadObservability, ObservabilityError } = await import(pathToFileURL(entry).href);
  const obs = await loadObservability();
  const server = await startDemoServer(ctx, ["--ingest-token", "s3cret"]);
  try {
    const url = `${server.base}/metrics/ingest`;
    const headers = { authorization: "Bearer s3cret" };
    const client = () => {
      const registry = obs.newRegistry({ includeRuntimeMetrics: true });
      const events = registry.register(obs.newCounter({ name: "golivekit_client_events_total", help: "h", labels: ["event"] }));
      // As demo_server declares it: the default classic buckets and native buckets (factor 1.1).
      const latency = registry.register(
        obs.newHistogram({ name: "golivekit_client_event_latency_seconds", help: "h", labels: ["event"], nativeBucketFactor: 1.1 }),
      );
      const views = registry.register(obs.newGauge({ name: "golivekit_client_open_views", help: "h" }));
      return { registry, events, latency, views, shipper: obs.startShipping(registry, { url, headers, intervalMs: 60_000 }) };
    };

    // One client: the server shows exactly its samples (binary fractions: sums are exact).
    const a = client();
    a.events.withLabels("click").add(3);
    a.events.withLabels("submit").inc();
    for (const v of [0.0625, 0.25, 0.75, 3]) a.latency.withLabels("click").observe(v);
    a.views.set(2);
    await a.shipper.flush();
    const recordedA = samples(a.registry.expose(), CLIENT_FAMILIES);
    assert(Object.keys(recordedA).length > 10, `few client samples: ${JSON.stringify(recordedA)}`);
    assertEqual(samples(await scrape(server.base), CLIENT_FAMILIES), recordedA, "server /metrics after one client");

    // A retry of the same bytes, or a second flush without changes, counts nothing twice.
    await a.shipper.flush();
    assertEqual(samples(await scrape(server.base), CLIENT_FAMILIES), recordedA, "server /metrics after a flush without changes");

    // A second client: counters and histograms add up, the gauge sums the live clients.
    const b = client();
    assert(a.shipper.clientId !== b.shipper.clientId, "two shippers, two client ids");
    b.events.withLabels("click").inc();
    b.latency.withLabels("click").observe(0.5);
    b.views.set(5);
    await b.shipper.flush();
    const s = samples(await scrape(server.base), CLIENT_FAMILIES);
    assertEqual(s['golivekit_client_events_total{event="click"}'], "4", "clicks over two clients");
    assertEqual(s['golivekit_client_events_total{event="submit"}'], "1", "submits");
    assertEqual(s['golivekit_client_event_latency_seconds_count{event="click"}'], "5", "latency count");
    assertEqual(s['golivekit_client_event_latency_seconds_sum{event="click"}'], "4.5625", "latency sum");
    assertEqual(s['golivekit_client_event_latency_seconds_bucket{event="click",le="0.5"}'], "3", "latency le=0.5");
    assertEqual(s["golivekit_client_open_views"], "7", "open views summed over live clients");

    // stop(): a final batch; the client's views leave the sum, its counts stay in the totals.
    a.events.withLabels("click").inc();
    await a.shipper.stop();
    const afterStop = await pollMetrics(server.base, CLIENT_FAMILIES, (x) => x["golivekit_client_open_views"] === "5");
    assertEqual(afterStop["golivekit_client_open_views"], "5", "open views after client a stopped");
    assertEqual(afterStop['golivekit_client_events_total{event="click"}'], "5", "clicks after a's final batch");
    assertEqual(a.shipper.stats().rejected + a.shipper.stats().dropped, 0, "nothing lost");

    // Without the token: refused for good (401), flush rejects, nothing merged.
    const c = obs.newRegistry();
    c.register(obs.newCounter({ name: "golivekit_client_events_total", help: "h", labels: ["event"] })).withLabels("click").inc();
    const noToken = obs.startShipping(c, { url, intervalMs: 60_000 });
    let error;
    await noToken.flush().catch((e) => (error = e));
    assert(error instanceof ObservabilityError && error.code === "HTTP_401", `flush without token: ${error?.code} ${error?.message}`);
    assertEqual(noToken.stats().rejected, 1, "rejected count");
    assertEqual(samples(await scrape(server.base), CLIENT_FAMILIES)['golivekit_client_events_total{event="click"}'], "5", "clicks unchanged");
    await noToken.stop().catch(() => {});
    await b.shipper.stop();
  } finally {
    await server.stop();
  }
});
