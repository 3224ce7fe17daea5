// @golivekit/observability/vitals: the five Web Vitals histograms (names, buckets with web.dev's
// thresholds as bounds), registration, milliseconds → seconds, a fake `web-vitals` injected through
// opts.webVitals; the real package's import path in Node; and that the default and /inline entries never
// import web-vitals.
//
// web-vitals needs a page: in Node its on* functions throw ("document is not defined"), so the real
// package is only imported here (and recordWebVitals checked to leave it alone without a document); its
// listening in a browser is covered by the demo app's end-to-end test.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { loadObservability, ObservabilityError } from "../../dist/index.js";
import { recordWebVitals, WEB_VITALS_METRICS } from "../../dist/vitals.js";

const obs = await loadObservability();
const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dist = join(root, "dist");

const sample = (text, series) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : line.slice(series.length + 1);
};

// The contract (docs/api-js.md, "Web Vitals"; the C++ WebVitalsClientMetrics() has the same list).
const CONTRACT = {
  lcp: ["golivekit_client_web_vitals_lcp_seconds", [0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10], 2.5, 4],
  inp: ["golivekit_client_web_vitals_inp_seconds", [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2], 0.2, 0.5],
  cls: ["golivekit_client_web_vitals_cls", [0.01, 0.05, 0.1, 0.15, 0.25, 0.5, 1], 0.1, 0.25],
  fcp: ["golivekit_client_web_vitals_fcp_seconds", [0.5, 1, 1.5, 1.8, 2.5, 3, 4, 6], 1.8, 3],
  ttfb: ["golivekit_client_web_vitals_ttfb_seconds", [0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.4, 1.8, 3], 0.8, 1.8],
};
const LISTENERS = { lcp: "onLCP", inp: "onINP", cls: "onCLS", fcp: "onFCP", ttfb: "onTTFB" };

// A stand-in for web-vitals: records each on* call; report(key, value) calls the listener back.
function fakeWebVitals() {
  const calls = {};
  const fake = { calls };
  for (const [key, fn] of Object.entries(LISTENERS)) {
    fake[fn] = (callback, opts) => {
      (calls[key] ??= []).push({ callback, opts });
    };
  }
  fake.report = (key, value) => {
    for (const c of calls[key] ?? []) c.callback({ name: key.toUpperCase(), value, delta: value, id: "v1", rating: "good", entries: [] });
  };
  return fake;
}

describe("WEB_VITALS_METRICS", () => {
  test("the five histograms of the contract, thresholds among the bounds", () => {
    assert.deepEqual(WEB_VITALS_METRICS.map((m) => m.key), ["lcp", "inp", "cls", "fcp", "ttfb"]);
    for (const m of WEB_VITALS_METRICS) {
      const [name, buckets, good, poor] = CONTRACT[m.key];
      assert.equal(m.name, name);
      assert.deepEqual([...m.buckets], buckets);
      assert.ok(m.buckets.includes(good) && m.buckets.includes(poor), `${name}: thresholds ${good}, ${poor} are bounds`);
      assert.match(m.help, name.endsWith("_seconds") ? /in seconds/ : /unitless/);
      assert.match(m.help, new RegExp(`good <= ${good}, poor > ${poor}`));
    }
  });
  test("is frozen", () => {
    assert.ok(Object.isFrozen(WEB_VITALS_METRICS));
    assert.ok(WEB_VITALS_METRICS.every((m) => Object.isFrozen(m) && Object.isFrozen(m.buckets)));
    assert.throws(() => WEB_VITALS_METRICS[0].buckets.push(20), TypeError);
  });
});

describe("recordWebVitals with an injected web-vitals", () => {
  test("registers five label-less histograms and listens once to each metric, reportAllChanges false", () => {
    const registry = obs.newRegistry();
    const fake = fakeWebVitals();
    const vitals = recordWebVitals(obs, registry, { webVitals: fake });
    assert.deepEqual(Object.keys(vitals).sort(), ["cls", "fcp", "inp", "lcp", "ttfb"]);
    const text = registry.expose();
    for (const [key, [name, buckets]] of Object.entries(CONTRACT)) {
      const h = vitals[key];
      assert.equal(h.name, name);
      assert.deepEqual(h.labelNames, []);
      assert.deepEqual([...h.buckets], buckets);
      assert.match(text, new RegExp(`^# TYPE ${name} histogram$`, "m"));
      assert.equal(sample(text, `${name}_count`), "0");
      assert.equal(fake.calls[key]?.length, 1, `${LISTENERS[key]} called once`);
      assert.deepEqual(fake.calls[key][0].opts, { reportAllChanges: false });
    }
    registry.dispose();
  });

  test("milliseconds become seconds, CLS stays unitless; a threshold value lands in the good bucket", () => {
    const registry = obs.newRegistry();
    const fake = fakeWebVitals();
    const vitals = recordWebVitals(obs, registry, { webVitals: fake });
    fake.report("lcp", 2500); // exactly "good"
    fake.report("lcp", 4001); // poor
    fake.report("inp", 200);
    fake.report("inp", 56);
    fake.report("cls", 0.1);
    fake.report("cls", 0.3);
    fake.report("fcp", 1800);
    fake.report("ttfb", 800);
    fake.report("ttfb", 1801);
    const text = registry.expose();
    const b = (name, le) => sample(text, `${name}_bucket{le="${le}"}`);
    const lcp = CONTRACT.lcp[0];
    assert.equal(b(lcp, "2"), "0");
    assert.equal(b(lcp, "2.5"), "1");
    assert.equal(b(lcp, "4"), "1");
    assert.equal(b(lcp, "5"), "2");
    assert.equal(sample(text, `${lcp}_sum`), "6.501");
    assert.equal(sample(text, `${lcp}_count`), "2");
    const inp = CONTRACT.inp[0];
    assert.equal(b(inp, "0.05"), "0");
    assert.equal(b(inp, "0.1"), "1");
    assert.equal(b(inp, "0.2"), "2");
    const cls = CONTRACT.cls[0];
    assert.equal(b(cls, "0.05"), "0");
    assert.equal(b(cls, "0.1"), "1");
    assert.equal(b(cls, "0.25"), "1");
    assert.equal(b(cls, "0.5"), "2");
    assert.equal(sample(text, `${cls}_sum`), "0.4");
    const fcp = CONTRACT.fcp[0];
    assert.equal(b(fcp, "1.5"), "0");
    assert.equal(b(fcp, "1.8"), "1");
    const ttfb = CONTRACT.ttfb[0];
    assert.equal(b(ttfb, "0.6"), "0");
    assert.equal(b(ttfb, "0.8"), "1");
    assert.equal(b(ttfb, "1.8"), "1");
    assert.equal(b(ttfb, "3"), "2");
    assert.equal(vitals.ttfb.count(), 2);
    registry.dispose();
  });

  test("negative and non-finite values are ignored", () => {
    const registry = obs.newRegistry();
    const fake = fakeWebVitals();
    const vitals = recordWebVitals(obs, registry, { webVitals: fake });
    for (const v of [-1, Number.NaN, Number.POSITIVE_INFINITY, "12"]) fake.report("lcp", v);
    assert.equal(vitals.lcp.count(), 0);
    fake.report("lcp", 0);
    assert.equal(vitals.lcp.count(), 1);
    registry.dispose();
  });

  test("a second call on the same registry throws ALREADY_EXISTS and changes nothing", () => {
    const registry = obs.newRegistry();
    const fake = fakeWebVitals();
    const first = recordWebVitals(obs, registry, { webVitals: fake });
    first.lcp.observe(1);
    const before = registry.expose();
    const again = fakeWebVitals();
    assert.throws(() => recordWebVitals(obs, registry, { webVitals: again }), (e) => e instanceof ObservabilityError && e.code === "ALREADY_EXISTS");
    assert.equal(registry.expose(), before);
    assert.deepEqual(again.calls, {}, "no listener started");
    fake.report("lcp", 1000);
    assert.equal(first.lcp.count(), 2);
    registry.dispose();
  });

  test("a name taken half-way leaves none of the five registered", () => {
    const registry = obs.newRegistry();
    registry.register(obs.newCounter({ name: "golivekit_client_web_vitals_cls", help: "taken" }));
    const before = registry.expose();
    assert.throws(() => recordWebVitals(obs, registry, { webVitals: fakeWebVitals() }), ObservabilityError);
    assert.equal(registry.expose(), before);
    recordWebVitals(obs, obs.newRegistry(), { webVitals: fakeWebVitals() }); // the names are free elsewhere
    registry.dispose();
  });

  test("an incomplete opts.webVitals is a TypeError, before anything is registered", () => {
    const registry = obs.newRegistry();
    const { onTTFB, ...four } = fakeWebVitals();
    assert.equal(typeof onTTFB, "function");
    assert.throws(() => recordWebVitals(obs, registry, { webVitals: four }), TypeError);
    assert.equal(registry.expose(), "");
    registry.dispose();
  });

  test("shipped like any histogram of the registry", async () => {
    const registry = obs.newRegistry();
    const fake = fakeWebVitals();
    recordWebVitals(obs, registry, { webVitals: fake });
    fake.report("lcp", 1234);
    fake.report("cls", 0.02);
    const bodies = [];
    const shipper = obs.startShipping(registry, {
      url: "/metrics/ingest",
      intervalMs: 3_600_000,
      fetch: async (_url, init) => {
        bodies.push(Buffer.from(init.body).toString("latin1"));
        return new Response('{"result":"applied"}', { status: 200 });
      },
    });
    await shipper.flush();
    await shipper.stop();
    const all = bodies.join("");
    assert.ok(all.includes("golivekit_client_web_vitals_lcp_seconds"));
    assert.ok(all.includes("golivekit_client_web_vitals_cls"));
    registry.dispose();
  });
});

describe("the real web-vitals package", () => {
  test("dist/vitals.js imports web-vitals statically, and it resolves in Node", async () => {
    const src = readFileSync(join(dist, "vitals.js"), "utf8");
    assert.match(src, /^import \{[^}]*\bonLCP\b[^}]*\} from "web-vitals";$/m);
    const wv = await import("web-vitals");
    for (const fn of Object.values(LISTENERS)) assert.equal(typeof wv[fn], "function");
  });

  test("the installed web-vitals rates with the thresholds our buckets have as bounds", async () => {
    const wv = await import("web-vitals");
    for (const m of WEB_VITALS_METRICS) {
      const thresholds = wv[`${m.key.toUpperCase()}Thresholds`];
      assert.equal(thresholds?.length, 2, `web-vitals exports ${m.key.toUpperCase()}Thresholds`);
      const [good, poor] = m.key === "cls" ? thresholds : thresholds.map((ms) => ms / 1000);
      assert.deepEqual([good, poor], CONTRACT[m.key].slice(2), m.name);
    }
  });

  test("the package's ./vitals export resolves (self-reference through package.json exports)", async () => {
    const viaExports = await import("@golivekit/observability/vitals");
    assert.equal(viaExports.recordWebVitals, recordWebVitals);
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    assert.deepEqual(Object.keys(pkg.exports["./vitals"]), ["types", "default"]);
    assert.equal(pkg.peerDependencies["web-vitals"], "^6");
    assert.equal(pkg.peerDependenciesMeta["web-vitals"].optional, true);
    assert.match(pkg.devDependencies["web-vitals"], /^\d+\.\d+\.\d+$/, "pinned devDependency");
  });

  test("without a document (Node) the histograms are registered and nothing is listened to", () => {
    assert.equal(typeof globalThis.document, "undefined");
    const registry = obs.newRegistry();
    const vitals = recordWebVitals(obs, registry);
    assert.equal(vitals.lcp.count(), 0);
    assert.match(registry.expose(), /^golivekit_client_web_vitals_inp_seconds_count 0$/m);
    registry.dispose();
  });
});

describe("the other entries do not need web-vitals", () => {
  // Every module reachable from an entry through relative imports.
  function closure(entry) {
    const seen = new Set();
    const walk = (file) => {
      if (seen.has(file)) return;
      seen.add(file);
      const src = readFileSync(file, "utf8");
      for (const m of src.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']/g)) walk(join(dirname(file), m[1]));
    };
    walk(join(dist, entry));
    return [...seen];
  }
  for (const entry of ["index.js", "inline.js"]) {
    test(`dist/${entry} and what it imports never mention web-vitals`, () => {
      const files = closure(entry);
      assert.ok(files.length > 3, `followed the imports of ${entry}: ${files}`);
      assert.ok(!files.some((f) => f.endsWith("vitals.js")), `${entry} reaches vitals.js`);
      for (const f of files) {
        if (f.endsWith("observability-wasm-inline.js")) continue; // base64 only
        assert.ok(!readFileSync(f, "utf8").includes("web-vitals"), `${f} mentions web-vitals`);
      }
    });
  }
});
