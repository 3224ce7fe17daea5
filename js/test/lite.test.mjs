// The /lite entry (js/src/lite.ts) and its dev-server variant (lite-inline.ts, the "development"
// condition): the default entry's API over the module without the exposition. What it records and ships
// must be byte for byte the default entry's; what it leaves out must be refused with an error that names
// the default entry, and nothing else may change.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";

import { loadObservability as loadFull } from "../../dist/index.js";
import { loadObservability as loadLite, ObservabilityError } from "../../dist/lite.js";
import { loadObservability as loadLiteInline } from "../../dist/lite-inline.js";
import { loadObservability as loadLiteBrowser } from "../../dist/lite-browser.js";

const dist = (file) => new URL(`../../dist/${file}`, import.meta.url);
const HOUR = 3_600_000;

// The same recording in a registry of `obs`: every metric kind, labels, classic and native buckets,
// values that exercise the native histogram's both signs and its zero bucket, a removed series.
function record(obs) {
  const registry = obs.newRegistry({ namespace: "shop", constLabels: { app: "web" } });
  const clicks = registry.register(obs.newCounter({ name: "clicks_total", help: "Clicks.", labels: ["button"] }));
  const visible = registry.register(obs.newGauge({ name: "visible", help: "Visible." }));
  const latency = registry.register(obs.newHistogram({
    name: "latency_seconds", help: "Latency.", labels: ["route"], buckets: obs.exponentialBuckets(0.001, 2, 12),
    nativeBucketFactor: 1.1,
  }));
  for (const [button, n] of [["buy", 3], ["open", 1], ["gone", 2]]) clicks.withLabels(button).add(n);
  clicks.remove("gone");
  visible.set(1);
  visible.sub(0.25);
  for (const v of [0.003, 0.2, 0.2, 7, -1, 0, 1e-300]) latency.withLabels("/cart").observe(v);
  latency.withLabels("/").observe(0.05);
  return { registry, clicks, visible, latency };
}

// The batches a shipper of `obs` sends for the recording, each with its client id (bytes 6 to 22 of the
// header, docs/wire-format.md) cut out: two clients' ids differ, and nothing else may.
async function shippedBatches(obs) {
  const { registry } = record(obs);
  const bodies = [];
  const fetch = async (_url, init) => {
    bodies.push(new Uint8Array(init.body));
    return new Response(JSON.stringify({ result: "applied" }), { status: 200 });
  };
  const shipper = obs.startShipping(registry, { url: "http://127.0.0.1:9/ingest", intervalMs: HOUR, fetch });
  await shipper.flush();
  await shipper.stop();
  assert.ok(bodies.length >= 2, `${bodies.length} batch(es): the flush and the final one`);
  return bodies.map((b) => {
    const id = Array.from(b.subarray(6, 22), (x) => x.toString(16).padStart(2, "0")).join("");
    assert.equal(id, shipper.clientId, "the batch header carries the client id");
    return Buffer.concat([b.subarray(0, 6), b.subarray(22)]).toString("hex");
  });
}

const refusal = /^registry\.expose\(\): @golivekit\/observability\/lite has no exposition; import @golivekit\/observability for it$/;

for (const [entry, load] of [["lite.js", loadLite], ["lite-browser.js", loadLiteBrowser], ["lite-inline.js", loadLiteInline]]) {
  describe(`the /lite entry (${entry})`, () => {
    const options = entry === "lite-browser.js" ? { wasmBinary: readFileSync(dist("observability-lite.wasm.gz")) } : undefined;

    test("ships the default entry's batches byte for byte", async () => {
      const lite = await load(options);
      assert.deepEqual(await shippedBatches(lite), await shippedBatches(await loadFull()));
    });

    test("records and reads as the default entry does", async () => {
      const { clicks, visible, latency, registry } = record(await load(options));
      assert.equal(clicks.withLabels("buy").value(), 3);
      assert.equal(clicks.seriesCount(), 2);
      assert.equal(visible.value(), 0.75);
      assert.equal(latency.withLabels("/cart").count(), 7);
      assert.ok(Math.abs(latency.withLabels("/cart").sum() - 6.403) < 1e-12);
      assert.deepEqual(latency.buckets.slice(0, 2), [0.001, 0.002]);
      assert.equal(registry.unregister(visible), true);
    });

    test("refuses expose() and the runtime metrics, naming the default entry, and goes on", async () => {
      const obs = await load(options);
      const { registry, clicks } = record(obs);
      for (const format of [undefined, "text", "openmetrics"]) {
        assert.throws(() => registry.expose(format), (e) =>
          e instanceof ObservabilityError && e.code === "FAILED_PRECONDITION" && refusal.test(e.message));
      }
      assert.throws(() => registry.expose("json"), TypeError, "an unknown format is still a TypeError");
      assert.throws(() => obs.newRegistry({ includeRuntimeMetrics: true }), (e) =>
        e instanceof ObservabilityError && e.code === "FAILED_PRECONDITION" &&
        e.message === "newRegistry({ includeRuntimeMetrics }): @golivekit/observability/lite has no exposition; " +
          "import @golivekit/observability for it");
      assert.ok(obs.newRegistry({ includeRuntimeMetrics: false }), "false is no request");
      clicks.withLabels("buy").inc();
      assert.equal(clicks.withLabels("buy").value(), 4);
      registry.dispose();
      assert.throws(() => registry.expose(), /registry was disposed/, "a disposed registry says so first");
    });
  });
}

describe("loading the lite module", () => {
  test("without options: one shared instance per entry, not the default entry's", async () => {
    const lite = await loadLite();
    assert.equal(await loadLite(), lite);
    assert.notEqual(lite, await loadFull());
    assert.notEqual(lite, await loadLiteInline());
  });

  test("its own file in Node, and either module, plain or gzip'd, from wasmUrl or wasmBinary", async () => {
    for (const file of ["observability-lite.wasm", "observability-lite.wasm.gz", "observability.wasm"]) {
      for (const options of [{ wasmUrl: dist(file) }, { wasmBinary: readFileSync(dist(file)) }]) {
        const obs = await loadLite(options);
        const registry = obs.newRegistry();
        registry.register(obs.newCounter({ name: "loaded_total", help: "h" })).inc();
        assert.throws(() => registry.expose(), (e) => refusal.test(e.message), `${file}: the entry decides, not the module`);
      }
    }
  });

  test("the lite module is smaller than the full one by the exposition", () => {
    const size = (file) => readFileSync(dist(file)).length;
    const saved = size("observability.wasm.gz") - size("observability-lite.wasm.gz");
    assert.ok(saved > 800, `the gzip'd lite module is only ${saved} B smaller`);
    assert.ok(size("observability-lite.wasm") < size("observability.wasm") - 2000);
  });
});
