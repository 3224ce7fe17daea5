// Series limits and lifetimes in the npm package (types.ts: maxSeries, seriesTtlMs, a registry's
// maxSeries and createdTimestamps): the core's, through the module, with the counters and gauges that JS
// writes in place; and the /lite entry's refusal of what its record-only module leaves out.
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, test } from "node:test";

import { loadObservability, ObservabilityError } from "../../dist/index.js";
import { loadObservability as loadLite } from "../../dist/lite.js";

const obs = await loadObservability();
const OVERFLOW = "golivekit_registry_overflow_samples_total";

// The sample lines of an exposition whose name (with labels) starts with `prefix`.
const lines = (text, prefix) => text.split("\n").filter((l) => l.startsWith(prefix));

describe("maxSeries", () => {
  test("past maxSeries new label sets share one __overflow__ series, totals exact, overflows counted", () => {
    const registry = obs.newRegistry();
    const c = registry.register(obs.newCounter({ name: "x_total", help: "X.", labels: ["k"], maxSeries: 3 }));
    const g = registry.register(obs.newGauge({ name: "g", help: "G.", labels: ["a", "b"], maxSeries: 2 }));
    const h = registry.register(obs.newHistogram({ name: "h", help: "H.", labels: ["k"], buckets: [1], maxSeries: 2 }));
    for (let i = 0; i < 100; i++) {
      c.withLabels(`v${i}`).inc();
      g.withLabels(`${i}`, "b").set(i);
      h.withLabels(`v${i}`).observe(0.5);
    }
    assert.equal(c.seriesCount(), 3);
    assert.equal(c.withLabels("__overflow__").value(), 98);
    assert.equal(c.withLabels("v0").value() + c.withLabels("v1").value() + c.withLabels("__overflow__").value(), 100);
    assert.equal(g.withLabels("__overflow__", "__overflow__").value(), 99);
    assert.equal(h.withLabels("__overflow__").count(), 99);
    const text = registry.expose();
    assert.deepEqual(lines(text, OVERFLOW), [
      `${OVERFLOW}{metric="g"} 99`,
      `${OVERFLOW}{metric="h"} 99`,
      `${OVERFLOW}{metric="x_total"} 98`,
    ]);
    assert.match(text, /^x_total\{k="__overflow__"\} 98$/m);
  });

  test("a registry's maxSeries limits each metric without a lower one of its own", () => {
    const registry = obs.newRegistry({ namespace: "app", maxSeries: 4 });
    const wide = registry.register(obs.newCounter({ name: "wide_total", labels: ["k"] }));
    const narrow = registry.register(obs.newCounter({ name: "narrow_total", labels: ["k"], maxSeries: 2 }));
    for (let i = 0; i < 10; i++) {
      wide.withLabels(`${i}`).inc();
      narrow.withLabels(`${i}`).inc();
    }
    assert.equal(wide.seriesCount(), 4);
    assert.equal(narrow.seriesCount(), 2);
    assert.deepEqual(lines(registry.expose(), `app_${OVERFLOW}`), [
      `app_${OVERFLOW}{metric="app_narrow_total"} 9`,
      `app_${OVERFLOW}{metric="app_wide_total"} 7`,
    ]);
  });

  test("invalid limits are refused with INVALID_ARGUMENT and name the option", () => {
    for (const bad of [-1, 1.5, NaN, 2 ** 32, "many"]) {
      assert.throws(() => obs.newCounter({ name: "x_total", labels: ["k"], maxSeries: bad }),
        (e) => e instanceof ObservabilityError && e.code === "INVALID_ARGUMENT" && /maxSeries/.test(e.message));
      assert.throws(() => obs.newRegistry({ maxSeries: bad }),
        (e) => e instanceof ObservabilityError && e.code === "INVALID_ARGUMENT" && /maxSeries/.test(e.message));
    }
    for (const bad of [-1, NaN, 2 ** 32]) {
      assert.throws(() => obs.newGauge({ name: "g", seriesTtlMs: bad }),
        (e) => e instanceof ObservabilityError && e.code === "INVALID_ARGUMENT" && /seriesTtlMs/.test(e.message));
    }
  });
});

describe("seriesTtlMs", () => {
  test("a series not updated for its lifetime goes at a later expose; one that JS keeps writing stays", async () => {
    const registry = obs.newRegistry();
    const c = registry.register(obs.newCounter({ name: "c_total", labels: ["k"], seriesTtlMs: 1000 }));
    const g = registry.register(obs.newGauge({ name: "g", labels: ["k"], seriesTtlMs: 1000 }));
    const h = registry.register(obs.newHistogram({ name: "h", labels: ["k"], buckets: [1], seriesTtlMs: 1000 }));
    // Counters and gauges are written by JS in place (series.ts), histograms by the module.
    const busy = [c.withLabels("busy"), g.withLabels("busy"), h.withLabels("busy")];
    for (const m of [c, g, h]) m.withLabels("idle");
    c.withLabels("idle").inc();
    g.withLabels("idle").set(1);
    h.withLabels("idle").observe(0.5);
    const update = () => {
      busy[0].inc();
      busy[1].set(7); // the same value each time: still an update
      busy[2].observe(0.5);
    };
    update();
    // The lifetime counts in whole seconds, and a series goes more than one after the expose that first
    // found it idle: 2.6 s after that, every idle one is gone, and the busy ones, updated between
    // exposes, are kept.
    registry.expose();
    for (let i = 0; i < 6; i++) {
      await sleep(450);
      update();
      registry.expose();
    }
    const text = registry.expose();
    assert.deepEqual(lines(text, "c_total{"), ["c_total{k=\"busy\"} 7"]);
    assert.deepEqual(lines(text, "g{"), ["g{k=\"busy\"} 7"]);
    assert.deepEqual(lines(text, "h_count{"), ["h_count{k=\"busy\"} 7"]);
    // A kept handle of an expired series is detached: its updates are no longer exported. withLabels
    // gets the live series (a metric with a lifetime keeps no handles): the label set again, from zero.
    busy[0].inc();
    const kept = c.withLabels("gone");
    kept.inc();
    for (let i = 0; i < 6; i++) {
      await sleep(450);
      registry.expose();
    }
    kept.inc();
    assert.equal(kept.value(), 2);
    c.withLabels("gone").inc();
    assert.deepEqual(lines(registry.expose(), "c_total{"), ["c_total{k=\"gone\"} 1"]);
  });
});

describe("createdTimestamps", () => {
  test("counters and histograms get _created in OpenMetrics (seconds since the epoch), gauges none, text none", () => {
    const before = Date.now() / 1000;
    const registry = obs.newRegistry({ createdTimestamps: true });
    registry.register(obs.newCounter({ name: "req_total", labels: ["k"] })).withLabels("a").inc();
    registry.register(obs.newHistogram({ name: "lat_seconds", buckets: [1] })).observe(0.5);
    registry.register(obs.newGauge({ name: "temp" })).set(3);
    const after = Date.now() / 1000;
    const om = registry.expose("openmetrics");
    const created = [...om.matchAll(/^(\w+)_created(?:\{[^}]*\})? (\S+)$/gm)].map((m) => [m[1], Number(m[2])]);
    assert.deepEqual(created.map(([name]) => name).sort(), ["lat_seconds", "req"]);
    for (const [, seconds] of created) assert.ok(seconds >= Math.floor(before) && seconds <= after + 0.001, `${seconds}`);
    assert.doesNotMatch(registry.expose(), /_created/);
    const plain = obs.newRegistry();
    plain.register(obs.newCounter({ name: "req_total" })).inc();
    assert.doesNotMatch(plain.expose("openmetrics"), /_created/);
  });
});

describe("/lite", () => {
  test("refuses maxSeries, seriesTtlMs and a registry's maxSeries (its module records and ships only)", async () => {
    const lite = await loadLite();
    const refused = (e) => e instanceof ObservabilityError && e.code === "FAILED_PRECONDITION" &&
      /@golivekit\/observability\/lite has no series limits or lifetimes/.test(e.message);
    assert.throws(() => lite.newCounter({ name: "x_total", labels: ["k"], maxSeries: 10 }), refused);
    assert.throws(() => lite.newHistogram({ name: "h", seriesTtlMs: 1000 }), refused);
    assert.throws(() => lite.newRegistry({ maxSeries: 10 }), refused);
    // Created timestamps are for an exposition, which /lite has none of: accepted, nothing to stamp.
    const registry = lite.newRegistry({ createdTimestamps: true });
    registry.register(lite.newCounter({ name: "ok_total", labels: ["k"], maxSeries: 0, seriesTtlMs: 0 })).withLabels("a").inc();
    assert.throws(() => registry.expose(), /no exposition/);
  });
});
