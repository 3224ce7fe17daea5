// Counter and gauge updates are pending on their JS handles and flushed into the C++ cell's double in
// the module's memory before any call into the module (series.ts, wasm-core.ts, wasm/hot_paths.cc):
// what the core then reads or changes (value(), expose(), batches, reset, remove) must come after every
// update made before it, also after the memory grew (which detaches every view of it), after a handle
// was dropped and collected, and never after a dispose.
import assert from "node:assert/strict";
import { test } from "node:test";

import { loadObservability, ObservabilityError } from "../../dist/index.js";

const obs = await loadObservability({ wasmUrl: new URL("../../dist/observability.wasm", import.meta.url) }); // own instance

test("updates in place are what the core reads, before and after the memory grows", () => {
  const r = obs.newRegistry();
  const c = r.register(obs.newCounter({ name: "c_total", help: "h", labels: ["k"] }));
  const g = r.register(obs.newGauge({ name: "g", help: "h" }));
  const u = r.register(obs.newCounter({ name: "u_total", help: "h" }));
  const a = c.withLabels("a");
  a.inc();
  a.add(2.5);
  u.inc();
  g.set(7);
  g.add(-1.5);
  assert.equal(a.value(), 3.5);
  assert.equal(g.value(), 5.5);
  const before = obs.memoryStats().wasmMemoryBytes;
  const big = r.register(obs.newCounter({ name: "big_total", help: "h", labels: ["i"] }));
  for (let i = 0; i < 200_000 && obs.memoryStats().wasmMemoryBytes === before; i++) big.withLabels(`series-${i}`).inc();
  assert.ok(obs.memoryStats().wasmMemoryBytes > before, "the memory grew");
  a.inc();
  u.add(0.25);
  g.add(1);
  assert.equal(a.value(), 4.5);
  assert.equal(u.value(), 1.25);
  assert.equal(g.value(), 6.5);
  const text = r.expose();
  assert.match(text, /^c_total\{k="a"\} 4\.5$/m);
  assert.match(text, /^u_total 1\.25$/m);
  assert.match(text, /^g 6\.5$/m);
  r.dispose();
});

test("a disposed metric's handles refuse updates instead of writing freed memory", () => {
  const c = obs.newCounter({ name: "d_total", help: "h", labels: ["k"] });
  const g = obs.newGauge({ name: "dg", help: "h" });
  const h = c.withLabels("x");
  h.inc();
  c.dispose();
  g.dispose();
  for (const update of [() => h.inc(), () => h.add(1), () => g.set(1), () => g.add(1)]) {
    assert.throws(update, (e) => e instanceof ObservabilityError && e.code === "FAILED_PRECONDITION");
  }
  assert.equal(h.value(), 0);
});

test("counter amounts are checked before anything is written", () => {
  const c = obs.newCounter({ name: "n_total", help: "h" });
  for (const bad of [-1, -1e-300, NaN]) assert.throws(() => c.add(bad), RangeError);
  assert.equal(c.value(), 0);
  c.add(Infinity); // as in C++: +Inf is a valid (if final) amount
  assert.equal(c.value(), Infinity);
  c.dispose();
});

test("pending updates reach the core before whatever reads or changes the series", () => {
  const r = obs.newRegistry();
  const c = r.register(obs.newCounter({ name: "p_total", help: "h", labels: ["k"] }));
  const g = r.register(obs.newGauge({ name: "pg", help: "h" }));
  const kept = c.withLabels("a");
  kept.inc();
  kept.add(2);
  assert.match(r.expose(), /^p_total\{k="a"\} 3$/m); // exposition
  kept.inc();
  c.reset(); // updates before a reset are reset with the series
  assert.equal(c.withLabels("a").value(), 0);
  kept.inc(); // a handle kept across reset is detached (as before): its updates are not exposed
  assert.doesNotMatch(r.expose(), /^p_total\{k="a"\} [1-9]/m);
  const b = c.withLabels("b");
  b.add(4);
  assert.equal(c.remove("b"), true); // ... and before a removal
  assert.equal(c.withLabels("b").value(), 0);
  g.add(5);
  g.set(2); // a set replaces what was pending
  g.add(1);
  g.dec();
  g.add(0.5);
  assert.equal(g.value(), 2.5);
  for (let i = 0; i < 1000; i++) g.add(i % 2 ? -1 : 1); // many updates between reads, one queue entry
  assert.equal(g.value(), 2.5);
  r.dispose();
});

test("a handle dropped with updates pending keeps them; a metric disposed keeps its registered series'", () => {
  const r = obs.newRegistry();
  const c = r.register(obs.newCounter({ name: "q_total", help: "h", labels: ["k"] }));
  const h = r.register(obs.newHistogram({ name: "q_seconds", help: "h", buckets: [1] }));
  (() => {
    for (let i = 0; i < 10; i++) c.withLabels(`s${i}`).add(i + 1);
  })();
  globalThis.gc?.();
  h.observe(0.5); // the histogram update does not flush; it needs no order with the counters
  let total = 0;
  for (const m of r.expose().matchAll(/^q_total\{k="s\d"\} (\d+)$/gm)) total += Number(m[1]);
  assert.equal(total, 55);
  const u = r.register(obs.newCounter({ name: "qu_total", help: "h" }));
  u.add(7);
  u.dispose(); // the metric stays registered: its handle's pending amount must not be lost
  assert.match(r.expose(), /^qu_total 7$/m);
  r.dispose();
});

test("batches carry every update made before they were encoded", async () => {
  const r = obs.newRegistry();
  const c = r.register(obs.newCounter({ name: "b_total", help: "h" }));
  const bodies = [];
  const fetch = async (_url, init) => {
    bodies.push(init.body.slice());
    return new Response(JSON.stringify({ result: "applied", sequence: bodies.length }), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  };
  const shipper = obs.startShipping(r, { url: "https://example.test/metrics/ingest", intervalMs: 3_600_000, fetch });
  c.add(3); // pending on the handle until the encoder runs
  await shipper.flush();
  c.inc();
  await shipper.flush();
  await shipper.stop();
  // Each batch before the final one carries the counter's increment (its name's bytes), and only then.
  const carries = bodies.map((b) => Buffer.from(b).includes("b_total"));
  assert.deepEqual(carries.slice(0, 2), [true, true]);
  assert.equal(c.value(), 4);
  r.dispose();
});
