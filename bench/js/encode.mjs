#!/usr/bin/env node
// The cost of making a client batch in Node: a typical page registry (50 series: 20 counter series,
// 10 histogram series with the default 11 buckets, 20 gauge series), shipped through the public API
// (startShipping + flush against a fetch that answers at once), so each row is the whole client side of
// one batch: Gather, diff against the previous snapshot, encoding, the copy out of wasm, the request.
// expose() of the same registry is shown for scale.
//
//   node bench/js/encode.mjs            (build dist/ first: scripts/build-npm.sh)
import { loadObservability } from "../../dist/index.js";

const obs = await loadObservability();
const registry = obs.newRegistry({ namespace: "app" });
const events = registry.register(obs.newCounter({ name: "client_events_total", help: "Events.", labels: ["event"] }));
const latency = registry.register(obs.newHistogram({ name: "client_event_latency_seconds", help: "Latency.", labels: ["event"] }));
const views = registry.register(obs.newGauge({ name: "client_views", help: "Views.", labels: ["view"] }));
const ev = Array.from({ length: 20 }, (_, i) => events.withLabels(`phx:event_${i}`));
const lat = Array.from({ length: 10 }, (_, i) => latency.withLabels(`phx:event_${i}`));
const vw = Array.from({ length: 20 }, (_, i) => views.withLabels(`LiveView${i}`));

let bytes = 0;
const ok = { status: 200 };
const shipper = obs.startShipping(registry, {
  url: "http://127.0.0.1/ingest",
  intervalMs: 3_600_000,
  fetch: async (_url, init) => {
    bytes = init.body.length;
    return ok;
  },
});

function touchAll(k) {
  for (const c of ev) c.inc();
  for (const h of lat) h.observe(0.01 * (k % 100));
  for (const g of vw) g.set(k);
}

async function bench(name, body, minMs = 500) {
  for (let i = 0; i < 50; i++) await body(i); // warm-up
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) await body(n++);
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(`| ${name} | ${us.toFixed(1)} | ${bytes} |`);
}

console.log(`Node ${process.version}; 50 series (20 counter, 10 histogram x 12 buckets, 20 gauge)\n`);
console.log("| operation | µs/op | batch bytes |\n|---|---:|---:|");
await bench("flush(), every series changed", async (k) => {
  touchAll(k);
  await shipper.flush();
});
await bench("flush(), only gauges (counters unchanged)", async () => {
  await shipper.flush();
});
bytes = 0;
await bench("registry.expose() (text), for scale", async () => {
  bytes = registry.expose().length;
});
await shipper.stop();
