// npm.native_node: native histograms from the installed package to a real demo_server and back out in
// its protobuf scrape. Two clients record golivekit_client_event_latency_seconds at factors 1.1 (schema
// 3) and 1.01 (schema 7); demo_server keeps schema 3 (its declaration: factor 1.1), so the merged series
// must hold exactly the buckets that one histogram of schema 3 would hold for all the values, computed
// here from the values themselves. One client's requests all arrive twice (lost answers): each batch is
// merged once.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { startDemoServer } from "./demo_server.mjs";
import { args, assert, assertEqual, main } from "./lib.mjs";

const FAMILY = "golivekit_client_event_latency_seconds";

// The native buckets of a protobuf scrape, decoded by the real protobuf library (native_scrape.py).
function nativeScrape(ctx, base) {
  const python = process.env.GLK_OBS_PYTHON || "python3";
  const r = spawnSync(python, [path.join(ctx.root, "tests", "npm", "native_scrape.py"), base, FAMILY], { encoding: "utf8" });
  assert(r.status === 0, `native_scrape.py failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

// Bucket index at schema 3 of a value v > 0: the i with 2^((i-1)/8) < v <= 2^(i/8). The values below
// are at least 1e-6 (relative) away from every bound, so Math.log2's rounding cannot move one.
const index3 = (v) => Math.ceil(Math.log2(v) * 8);
const nearBound = (v) => Math.abs(Math.log2(v) * 8 - Math.round(Math.log2(v) * 8)) < 1e-6;

main("npm.native_node", async () => {
  const ctx = args();
  const entry = path.join(ctx.consumer, "node_modules", "@golivekit", "observability", "dist", "index.js");
  const { loadObservability } = await import(pathToFileURL(entry).href);
  const obs = await loadObservability();
  const server = await startDemoServer(ctx);
  try {
    const url = `${server.base}/metrics/ingest`;
    const client = (factor, fetch) => {
      const registry = obs.newRegistry();
      const latency = registry.register(
        obs.newHistogram({ name: FAMILY, help: "h", labels: ["event"], nativeBucketFactor: factor }),
      );
      return { latency, shipper: obs.startShipping(registry, { url, intervalMs: 60_000, fetch }) };
    };
    // Client b's requests all arrive twice, and only the second answer comes back (the first was lost):
    // the server sees every batch of b twice and must merge each once.
    const twice = async (u, init) => {
      await globalThis.fetch(u, init);
      return globalThis.fetch(u, init);
    };
    const a = client(1.1);
    const b = client(1.01, twice);
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const values = [];
    for (let round = 0; round < 3; round++) {
      for (const c of [a, b]) {
        for (let i = 0; i < 200; i++) {
          let v;
          do v = 0.001 * 2 ** (next() * 14); // 1 ms .. 16 s
          while (nearBound(v));
          c.latency.withLabels("click").observe(v);
          values.push(v);
        }
        if (round === 1) c.latency.withLabels("click").observe(0); // the zero bucket
        if (round === 1) values.push(0);
        await c.shipper.flush();
        await c.shipper.flush(); // nothing new: sends nothing, or what the server has: no change
      }
    }
    for (const c of [a, b]) {
      const s = c.shipper.stats();
      assertEqual([s.rejected, s.dropped, s.skippedFamilies], [0, 0, 0], "nothing refused, lost or skipped");
    }
    assert(b.shipper.stats().duplicate >= 3, `b's resent batches answered as duplicates: ${JSON.stringify(b.shipper.stats())}`);

    const want = {};
    for (const v of values) if (v > 0) want[index3(v)] = (want[index3(v)] ?? 0) + 1;
    const got = nativeScrape(ctx, server.base);
    const click = got.click;
    assert(click, `no {event="click"} series in the protobuf scrape: ${JSON.stringify(got)}`);
    assertEqual(click.schema, 3, "merged schema: the declaration's (the lower of 3 and 7)");
    assertEqual(click.zero_threshold, 2 ** -128, "zero threshold: the clients' default");
    assertEqual(click.count, values.length, "count");
    assertEqual(click.zero_count, 2, "zero bucket");
    assertEqual(click.negative, {}, "no negative buckets");
    const sorted = (o) => Object.entries(o).map(([k, n]) => [Number(k), n]).sort((x, y) => x[0] - y[0]);
    assertEqual(sorted(click.positive), sorted(want), "merged native buckets equal the direct computation at schema 3");

    // One more observation, then the final batches: counted once.
    a.latency.withLabels("click").observe(0.5);
    values.push(0.5);
    want[index3(0.5)] += 1;
    await a.shipper.flush();
    const again = nativeScrape(ctx, server.base).click;
    assertEqual(again.count, values.length, "count after one more observation");
    await a.shipper.stop();
    await b.shipper.stop();
    const final = nativeScrape(ctx, server.base).click;
    assertEqual(final.count, values.length, "count after the final batches");
  } finally {
    await server.stop();
  }
});
