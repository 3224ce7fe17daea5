// Creating and dropping many metrics must not grow wasm memory without bound: explicit dispose() frees
// at once, and what is dropped without dispose() is freed by the FinalizationRegistry after GC.
// Run with --expose-gc (the CTest entry does).
import assert from "node:assert/strict";
import { test } from "node:test";
import { setImmediate as tick } from "node:timers/promises";

import { loadObservability } from "../../dist/index.js";

const obs = await loadObservability({ wasmUrl: new URL("../../dist/observability.wasm", import.meta.url) }); // own instance

function churn(round, disposeThem) {
  const r = obs.newRegistry({ namespace: `round${round % 3}` });
  for (let i = 0; i < 200; i++) {
    const c = r.register(obs.newCounter({ name: `c${i}_total`, help: "churn", labels: ["a", "b"] }));
    for (let j = 0; j < 5; j++) c.withLabels(`v${j}`, "x").inc();
    const h = r.register(obs.newHistogram({ name: `h${i}_seconds`, help: "churn" }));
    h.observe(0.1);
    if (disposeThem) {
      c.dispose();
      h.dispose();
    }
  }
  assert.match(r.expose(), /c199_total/);
  if (disposeThem) r.dispose();
}

async function collect() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await tick(); // FinalizationRegistry callbacks run as tasks after a GC
  }
}

test("dispose(): heap in use returns to where it was", () => {
  const before = obs.memoryStats().heapInUseBytes;
  for (let round = 0; round < 30; round++) churn(round, true);
  const after = obs.memoryStats().heapInUseBytes;
  assert.ok(after - before < 4096, `heap in use grew from ${before} to ${after} bytes`);
});

test("dropped without dispose(): the FinalizationRegistry frees it after GC", { skip: typeof globalThis.gc !== "function" && "needs node --expose-gc" }, async () => {
  await collect();
  const base = obs.memoryStats();
  const peaks = [];
  for (let batch = 0; batch < 6; batch++) {
    for (let round = 0; round < 10; round++) churn(round, false);
    peaks.push(obs.memoryStats().heapInUseBytes);
    await collect();
  }
  await collect();
  const end = obs.memoryStats();
  // One batch (10 registries x 400 metrics x 5 series) holds several MB; after GC all of it is back.
  assert.ok(peaks[0] - base.heapInUseBytes > 1_000_000, `a batch should hold memory: ${peaks[0]} vs ${base.heapInUseBytes}`);
  assert.ok(end.heapInUseBytes - base.heapInUseBytes < 64 * 1024, `heap in use ${base.heapInUseBytes} -> ${end.heapInUseBytes}`);
  // The linear memory grows to the peak of one batch and then stays: later batches reuse it.
  const afterFirst = [];
  for (let batch = 0; batch < 3; batch++) {
    for (let round = 0; round < 10; round++) churn(round, false);
    await collect();
    afterFirst.push(obs.memoryStats().wasmMemoryBytes);
  }
  assert.equal(afterFirst[2], afterFirst[0], `wasm memory kept growing: ${afterFirst.join(", ")}`);
});
