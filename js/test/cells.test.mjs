// Counter and gauge updates write the C++ cell's double in the module's memory directly (series.ts,
// wasm/hot_paths.cc): what the core then reads (value(), expose(), batches) must be exactly what was
// written, also after the memory grew (which detaches every view of it) and never after a dispose.
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
