// The JS API on the real wasm build: the spec's operations, label caching, errors, lifetime.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";

import { loadObservability, ObservabilityError, VERSION } from "../../dist/index.js";
import { loadObservability as loadInline } from "../../dist/inline.js";

const obs = await loadObservability();
const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8"));

const sample = (text, series) => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : line.slice(series.length + 1);
};

describe("loading", () => {
  test("loadObservability() without options shares one instance", async () => {
    assert.equal(await loadObservability(), obs);
  });
  test("with wasmBinary or wasmUrl each call makes a new instance", async () => {
    const bytes = readFileSync(new URL("../../dist/observability.wasm", import.meta.url));
    const a = await loadObservability({ wasmBinary: bytes });
    const b = await loadObservability({ wasmUrl: new URL("../../dist/observability.wasm", import.meta.url) });
    assert.notEqual(a, obs);
    assert.notEqual(a, b);
    a.newCounter({ name: "x_total" }).inc();
  });
  test("the inline entry works in Node and is its own instance", async () => {
    const inl = await loadInline();
    assert.notEqual(inl, obs);
    const r = inl.newRegistry();
    r.register(inl.newCounter({ name: "inline_total", help: "h" })).add(3);
    assert.equal(sample(r.expose(), "inline_total"), "3");
  });
  test("the inline entry carries the module byte for byte, in gzip's format", async () => {
    const { default: base64 } = await import("../../dist/observability-wasm-inline.js");
    const gz = Buffer.from(base64, "base64");
    const bytes = readFileSync(new URL("../../dist/observability.wasm", import.meta.url));
    assert.deepEqual([...gz.subarray(0, 3)], [0x1f, 0x8b, 8], "a gzip member (DecompressionStream('gzip') reads it)");
    assert.ok(gunzipSync(gz).equals(bytes));
    assert.ok(gz.length < gzipSync(bytes, { level: 9 }).length, "deflated harder than zlib's level 9 (Zopfli)");
  });
  test("metrics of one instance are refused by another's registry", async () => {
    const inl = await loadInline();
    assert.throws(() => inl.newRegistry().register(obs.newCounter({ name: "a_total" })), TypeError);
  });
  test("version matches package.json", () => {
    assert.equal(VERSION, pkg.version);
    assert.equal(obs.version, pkg.version);
  });
});

describe("counters", () => {
  test("inc, add, value; withLabels caches the handle per tuple", () => {
    const r = obs.newRegistry();
    const c = r.register(obs.newCounter({ name: "http_requests_total", help: "Requests.", labels: ["method", "code"] }));
    const a = c.withLabels("GET", "200");
    assert.equal(c.withLabels("GET", "200"), a, "same tuple gives the cached handle");
    assert.equal(c.withLabels("GET", 200), a, "numbers are label values through String()");
    assert.notEqual(c.withLabels("GET", "500"), a);
    a.inc();
    a.add(2.5);
    c.withLabels("POST", "201").inc();
    assert.equal(a.value(), 3.5);
    const text = r.expose();
    assert.equal(sample(text, 'http_requests_total{code="200",method="GET"}'), "3.5");
    assert.equal(sample(text, 'http_requests_total{code="201",method="POST"}'), "1");
    assert.equal(sample(text, 'http_requests_total{code="500",method="GET"}'), "0");
    assert.match(text, /^# HELP http_requests_total Requests\.\n# TYPE http_requests_total counter\n/);
    assert.equal(c.seriesCount(), 3);
    r.dispose();
  });
  test("a negative or NaN increment is refused and changes nothing", () => {
    const c = obs.newCounter({ name: "neg_total" });
    c.add(1);
    assert.throws(() => c.add(-1), RangeError);
    assert.throws(() => c.add(NaN), RangeError);
    assert.equal(c.value(), 1);
    c.dispose();
  });
  test("wrong label counts and invalid names are clear errors", () => {
    const c = obs.newCounter({ name: "l_total", labels: ["a", "b"] });
    assert.throws(() => c.withLabels("x"), (e) => e instanceof ObservabilityError && e.code === "INVALID_ARGUMENT" && /expected 2 label values \{a, b\}, got 1/.test(e.message));
    assert.throws(() => c.inc(), (e) => e.code === "FAILED_PRECONDITION" && /withLabels/.test(e.message));
    assert.throws(() => obs.newCounter({ name: "bad name" }), (e) => e.code === "INVALID_ARGUMENT" && /bad name/.test(e.message));
    assert.throws(() => obs.newCounter({ name: "x_total", labels: ["__reserved"] }), ObservabilityError);
    assert.throws(() => obs.newCounter({ name: "x_total", labels: ["a", "a"] }), /duplicate label name/);
    assert.throws(() => obs.newCounter(), TypeError);
    c.dispose();
  });
  test("label values with any Unicode, quotes, backslashes and newlines are escaped", () => {
    const r = obs.newRegistry();
    const c = r.register(obs.newCounter({ name: "u_total", labels: ["v"] }));
    c.withLabels('a"b\\c\nd é 佖').inc();
    assert.equal(sample(r.expose(), 'u_total{v="a\\"b\\\\c\\nd é 佖"}'), "1");
    r.dispose();
  });
  test("remove and reset detach the series; kept handles stay usable", () => {
    const r = obs.newRegistry();
    const c = r.register(obs.newCounter({ name: "rm_total", labels: ["k"] }));
    const kept = c.withLabels("a");
    kept.inc();
    c.withLabels("b").inc();
    assert.equal(c.remove("a"), true);
    assert.equal(c.remove("a"), false);
    assert.equal(sample(r.expose(), 'rm_total{k="a"}'), undefined);
    kept.inc(); // detached: accepted, not exported
    assert.equal(sample(r.expose(), 'rm_total{k="a"}'), undefined);
    const fresh = c.withLabels("a");
    assert.notEqual(fresh, kept, "the cache forgot the removed tuple");
    assert.equal(fresh.value(), 0);
    c.reset();
    assert.equal(c.seriesCount(), 0);
    assert.throws(() => obs.newCounter({ name: "nolabels_total" }).reset(), ObservabilityError);
    r.dispose();
  });
});

describe("gauges and histograms", () => {
  test("gauge set, inc, dec, add, sub, setToCurrentTime", () => {
    const g = obs.newGauge({ name: "g" });
    g.set(10);
    g.inc();
    g.dec();
    g.dec();
    g.add(2.5);
    g.sub(0.5);
    assert.equal(g.value(), 11);
    const child = obs.newGauge({ name: "g2", labels: ["x"] }).withLabels("y");
    child.setToCurrentTime();
    assert.ok(Math.abs(child.value() - Date.now() / 1000) < 5);
    g.dispose();
  });
  test("histogram observe, count, sum and the cumulative buckets", () => {
    const r = obs.newRegistry();
    const h = r.register(obs.newHistogram({ name: "lat_seconds", help: "L.", buckets: [0.1, 0.5, 1] }));
    for (const v of [0.05, 0.3, 0.3, 2]) h.observe(v);
    assert.deepEqual(h.buckets, [0.1, 0.5, 1]);
    assert.equal(h.count(), 4);
    assert.equal(h.sum(), 2.65);
    const text = r.expose();
    assert.equal(sample(text, 'lat_seconds_bucket{le="0.1"}'), "1");
    assert.equal(sample(text, 'lat_seconds_bucket{le="0.5"}'), "3");
    assert.equal(sample(text, 'lat_seconds_bucket{le="1"}'), "3");
    assert.equal(sample(text, 'lat_seconds_bucket{le="+Inf"}'), "4");
    assert.equal(sample(text, "lat_seconds_count"), "4");
    r.dispose();
  });
  test("histograms default to the spec's buckets and refuse bad layouts", () => {
    const h = obs.newHistogram({ name: "d_seconds" });
    assert.deepEqual(h.buckets, obs.defaultBuckets);
    assert.deepEqual(obs.defaultBuckets, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    assert.throws(() => obs.newHistogram({ name: "b", buckets: [1, 1] }), /bucket/);
    assert.throws(() => obs.newHistogram({ name: "b", buckets: [] }), ObservabilityError);
    assert.throws(() => obs.newHistogram({ name: "b", labels: ["le"] }), /reserved/);
    h.dispose();
  });
  test("native buckets beside classic ones: options accepted, observations (0 and negatives too) counted", () => {
    const r = obs.newRegistry();
    const h = r.register(
      obs.newHistogram({
        name: "nat_seconds",
        buckets: [0.1, 1],
        nativeBucketFactor: 1.1,
        nativeZeroThreshold: 0.001,
        nativeMaxBuckets: 20,
      }),
    );
    assert.deepEqual(h.buckets, [0.1, 1]);
    for (const v of [0.05, 0.5, 3, 0, -2, 0.0005, -0.25]) h.observe(v);
    assert.equal(h.count(), 7);
    assert.equal(h.sum(), 0.05 + 0.5 + 3 + 0 - 2 + 0.0005 - 0.25);
    const text = r.expose();
    assert.equal(sample(text, 'nat_seconds_bucket{le="0.1"}'), "5");
    assert.equal(sample(text, 'nat_seconds_bucket{le="1"}'), "6");
    assert.equal(sample(text, 'nat_seconds_bucket{le="+Inf"}'), "7");
    assert.equal(sample(text, "nat_seconds_count"), "7");
    // Far more distinct buckets than nativeMaxBuckets: the series halves its resolution, losing nothing.
    for (let i = -40; i <= 40; i++) h.observe(2 ** (i / 4));
    assert.equal(h.count(), 7 + 81);
    assert.equal(sample(r.expose(), "nat_seconds_count"), "88");
    const series = r.register(obs.newHistogram({ name: "nat_lab_seconds", labels: ["op"], nativeBucketFactor: 2 })).withLabels("a");
    series.observe(-1);
    series.observe(0);
    assert.deepEqual([series.count(), series.sum()], [2, -1]);
    r.dispose();
  });
  test("native-only histogram: buckets [] with nativeBucketFactor", () => {
    const r = obs.newRegistry();
    const h = r.register(obs.newHistogram({ name: "only_native_seconds", help: "N.", buckets: [], nativeBucketFactor: 1.1 }));
    assert.deepEqual(h.buckets, []);
    for (const v of [0.01, 0, -3, 250]) h.observe(v);
    assert.equal(h.count(), 4);
    assert.equal(h.sum(), 247.01);
    const text = r.expose();
    assert.equal(sample(text, 'only_native_seconds_bucket{le="+Inf"}'), "4");
    assert.equal(sample(text, "only_native_seconds_count"), "4");
    assert.equal(sample(text, "only_native_seconds_sum"), "247.01");
    assert.ok(!/only_native_seconds_bucket\{le="[^+]/.test(text), `classic bounds exposed:\n${text}`);
    r.dispose();
  });
  test("native options default as in the core: none, zero threshold 2^-128, 160 buckets", async () => {
    const { NATIVE_MAX_BUCKETS, NATIVE_ZERO_THRESHOLD } = await import("../../dist/constants.js");
    assert.equal(NATIVE_ZERO_THRESHOLD, 2 ** -128);
    assert.equal(NATIVE_MAX_BUCKETS, 160);
    // No native buckets unless asked: an empty layout is still an error.
    assert.throws(() => obs.newHistogram({ name: "d", buckets: [] }), /no buckets.*native_bucket_factor/);
    assert.throws(() => obs.newHistogram({ name: "d", buckets: [], nativeBucketFactor: 0 }), /no buckets/);
    // Values only a native histogram checks are ignored without one, as in C++.
    obs.newHistogram({ name: "d", nativeZeroThreshold: 0, nativeMaxBuckets: 0 }).dispose();
    // A factor alone is enough: the defaults of the other two are valid.
    const h = obs.newHistogram({ name: "d_native", buckets: [], nativeBucketFactor: 1.1 });
    for (let i = -200; i <= 200; i++) h.observe(2 ** (i / 2)); // more than 160 buckets at first
    h.observe(-1e-30);
    assert.equal(h.count(), 402);
    h.dispose();
  });
  test("invalid native options are refused with the core's message", () => {
    const refused = (opts, pattern) =>
      assert.throws(
        () => obs.newHistogram({ name: "bad_native", nativeBucketFactor: 1.1, ...opts }),
        (e) => e instanceof ObservabilityError && e.code === "INVALID_ARGUMENT" && pattern.test(e.message),
        JSON.stringify(opts),
      );
    refused({ nativeBucketFactor: 1 }, /^histogram bad_native: native_bucket_factor is 1 \(0 for no native buckets, or a finite growth factor > 1/);
    refused({ nativeBucketFactor: -1 }, /native_bucket_factor is -1 /);
    refused({ nativeBucketFactor: NaN }, /native_bucket_factor is NaN /);
    refused({ nativeBucketFactor: Infinity }, /native_bucket_factor is \+Inf /);
    refused({ nativeBucketFactor: 0.5, buckets: [] }, /native_bucket_factor is 0.5 /);
    refused({ nativeZeroThreshold: 0 }, /^histogram bad_native: native_zero_threshold is 0 \(it must be finite and > 0/);
    refused({ nativeZeroThreshold: -1e-9 }, /native_zero_threshold is -1e-09 /);
    refused({ nativeZeroThreshold: NaN }, /native_zero_threshold is NaN /);
    refused({ nativeMaxBuckets: 0 }, /^histogram bad_native: native_max_buckets is 0 \(it must be between 1 and 32768\)/);
    refused({ nativeMaxBuckets: 32769 }, /native_max_buckets is 32769 /);
    refused({ nativeMaxBuckets: -1 }, /nativeMaxBuckets is -1 \(it must be a whole number\)/);
    refused({ nativeMaxBuckets: 1.5 }, /nativeMaxBuckets is 1.5 /);
    refused({ nativeMaxBuckets: NaN }, /nativeMaxBuckets is NaN /);
    refused({ nativeMaxBuckets: 2 ** 32 }, /nativeMaxBuckets is 4294967296 /);
    // The extremes the core accepts.
    obs.newHistogram({ name: "edge", nativeBucketFactor: 1.0001, nativeMaxBuckets: 1, nativeZeroThreshold: 1e300 }).dispose();
    obs.newHistogram({ name: "edge", nativeBucketFactor: 1e300, nativeMaxBuckets: 32768 }).dispose();
  });
  test("bucket helpers", () => {
    assert.deepEqual(obs.linearBuckets(0, 100, 4), [0, 100, 200, 300]);
    assert.deepEqual(obs.exponentialBuckets(1, 2, 5), [1, 2, 4, 8, 16]);
    assert.throws(() => obs.linearBuckets(0, 0, 3), ObservabilityError);
    assert.throws(() => obs.exponentialBuckets(0, 2, 3), ObservabilityError);
  });
  test("newTimer observes the elapsed seconds into a histogram or one of its series", async () => {
    const h = obs.newHistogram({ name: "t_seconds" });
    const t = obs.newTimer(h);
    await new Promise((r) => setTimeout(r, 20));
    const s = t.observeDuration();
    assert.ok(s >= 0.015 && s < 5, `elapsed ${s}`);
    assert.equal(h.count(), 1);
    assert.ok(t.elapsed() >= s);
    const hv = obs.newHistogram({ name: "tv_seconds", labels: ["op"] });
    obs.newTimer(hv.withLabels("load")).observeDuration();
    assert.equal(hv.withLabels("load").count(), 1);
    assert.throws(() => obs.newTimer(hv), ObservabilityError, "a labelled histogram needs a series");
    assert.throws(() => obs.newTimer({}), TypeError);
  });
});

describe("registry", () => {
  test("namespace and constant labels apply to every family", () => {
    const r = obs.newRegistry({ namespace: "shop", constLabels: { env: "prod", app: "web" } });
    r.register(obs.newCounter({ name: "orders_total", help: "Orders." })).inc();
    assert.equal(sample(r.expose(), 'shop_orders_total{app="web",env="prod"}'), "1");
    r.dispose();
  });
  test("conflicts are refused with a message naming them", () => {
    const r = obs.newRegistry();
    const c = r.register(obs.newCounter({ name: "dup_total", help: "x" }));
    assert.throws(() => r.register(c), (e) => e.code === "ALREADY_EXISTS");
    assert.throws(() => r.register(obs.newGauge({ name: "dup_total" })), /different type/);
    assert.throws(() => r.register(obs.newGauge({ name: "dup" })), ObservabilityError, "dup clashes with dup_total");
    assert.equal(r.unregister(c), true);
    assert.equal(r.unregister(c), false);
    r.register(obs.newGauge({ name: "dup_total" }));
    assert.throws(() => obs.newRegistry({ namespace: "1bad" }), ObservabilityError);
    assert.throws(() => obs.newRegistry({ constLabels: { "bad-name": "x" } }), ObservabilityError);
    r.dispose();
  });
  test("expose() gives text 0.0.4, expose('openmetrics') OpenMetrics 1.0", () => {
    const r = obs.newRegistry();
    r.register(obs.newCounter({ name: "om_total", help: "x" })).inc();
    assert.equal(r.expose(), "# HELP om_total x\n# TYPE om_total counter\nom_total 1\n");
    assert.equal(r.expose("openmetrics"), "# HELP om x\n# TYPE om counter\nom_total 1.0\n# EOF\n");
    assert.throws(() => r.expose("json"), TypeError);
    r.dispose();
  });
  test("includeRuntimeMetrics adds wasm memory, heap, JS heap and build info, read at expose()", () => {
    const r = obs.newRegistry({ includeRuntimeMetrics: true });
    const text = r.expose();
    assert.equal(sample(text, `golivekit_build_info{version="${VERSION}"}`), "1");
    assert.ok(Number(sample(text, "golivekit_runtime_wasm_memory_bytes")) >= 65536);
    assert.ok(Number(sample(text, "golivekit_runtime_heap_inuse_bytes")) > 0);
    assert.ok(Number(sample(text, "golivekit_runtime_js_heap_used_bytes")) > 0);
    assert.ok(Number(sample(text, "golivekit_runtime_js_heap_limit_bytes")) > 0);
    r.dispose();
  });
});

describe("lifetime", () => {
  test("dispose frees the metric and its cached handles; later use throws; twice is harmless", () => {
    const c = obs.newCounter({ name: "d_total", labels: ["a"] });
    const child = c.withLabels("x");
    c.dispose();
    c.dispose();
    assert.throws(() => child.inc(), (e) => e.code === "FAILED_PRECONDITION");
    assert.throws(() => c.withLabels("x"), /disposed/);
    assert.throws(() => obs.newRegistry().register(c), /disposed/);
    const r = obs.newRegistry();
    r.dispose();
    assert.throws(() => r.expose(), /disposed/);
  });
  test("a registered metric stays exposed after its JS handle is disposed", () => {
    const r = obs.newRegistry();
    const c = r.register(obs.newCounter({ name: "kept_total" }));
    c.add(5);
    c.dispose();
    assert.equal(sample(r.expose(), "kept_total"), "5");
    r.dispose();
  });
  test("Symbol.dispose: `using`-style disposal", () => {
    const c = obs.newCounter({ name: "s_total" });
    assert.equal(typeof c[Symbol.dispose], "function");
    c[Symbol.dispose]();
    assert.throws(() => c.inc(), /disposed/);
  });
});

describe("error codes", () => {
  // ObservabilityErrorCode in js/src/types.ts: the core's StatusCodeName values and the JS side's own.
  const CODES = new Set(["INVALID_ARGUMENT", "ALREADY_EXISTS", "FAILED_PRECONDITION", "NOT_FOUND", "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED", "UNKNOWN"]);
  const codeOf = (f) => {
    try {
      f();
    } catch (e) {
      assert.ok(e instanceof ObservabilityError, `not an ObservabilityError: ${e}`);
      assert.ok(e instanceof Error);
      assert.equal(e.name, "ObservabilityError");
      assert.ok(CODES.has(e.code), `undocumented code ${e.code}`);
      return e.code;
    }
    assert.fail("did not throw");
  };

  test("what the core refuses carries its status code", () => {
    assert.equal(codeOf(() => obs.newCounter({ name: "bad name" })), "INVALID_ARGUMENT");
    assert.equal(codeOf(() => obs.newGauge({ name: "g", labels: ["__x"] })), "INVALID_ARGUMENT");
    assert.equal(codeOf(() => obs.newHistogram({ name: "h", buckets: [2, 1] })), "INVALID_ARGUMENT");
    assert.equal(codeOf(() => obs.newRegistry({ namespace: "1bad" })), "INVALID_ARGUMENT");
    const r = obs.newRegistry();
    const c = r.register(obs.newCounter({ name: "codes_total", labels: ["a"] }));
    assert.equal(codeOf(() => r.register(c)), "ALREADY_EXISTS");
    assert.equal(codeOf(() => r.register(obs.newGauge({ name: "codes_total" }))), "ALREADY_EXISTS");
    assert.equal(codeOf(() => obs.newCounter({ name: "plain_total" }).reset()), "FAILED_PRECONDITION");
    assert.equal(codeOf(() => c.remove("a", "b")), "INVALID_ARGUMENT");
    assert.equal(c.remove("never"), false, "NOT_FOUND is remove()'s false, not an error");
    r.dispose();
  });

  test("what the JS side catches first has the code the core would give", () => {
    const c = obs.newCounter({ name: "js_codes_total", labels: ["a", "b"] });
    assert.equal(codeOf(() => c.withLabels("x")), "INVALID_ARGUMENT");
    assert.equal(codeOf(() => c.withLabels()), "INVALID_ARGUMENT");
    assert.equal(codeOf(() => c.inc()), "FAILED_PRECONDITION");
    assert.equal(codeOf(() => obs.newTimer(obs.newHistogram({ name: "t_codes", labels: ["x"] }))), "FAILED_PRECONDITION");
    assert.equal(codeOf(() => obs.linearBuckets(0, 0, 3)), "INVALID_ARGUMENT");
    assert.equal(codeOf(() => obs.exponentialBuckets(1, 1, 3)), "INVALID_ARGUMENT");
    const child = c.withLabels("x", "y");
    c.dispose();
    assert.equal(codeOf(() => child.inc()), "FAILED_PRECONDITION");
    assert.equal(codeOf(() => c.withLabels("x", "y")), "FAILED_PRECONDITION");
    const r = obs.newRegistry();
    r.dispose();
    assert.equal(codeOf(() => r.expose()), "FAILED_PRECONDITION");
    assert.equal(codeOf(() => obs.startShipping(r, { url: "/ingest" })), "FAILED_PRECONDITION");
  });

  test("misuse of the JS types stays a TypeError or RangeError, without a code", () => {
    assert.throws(() => obs.newCounter(null), (e) => e instanceof TypeError && e.code === undefined && /newCounter/.test(e.message));
    assert.throws(() => obs.newGauge(1), (e) => e instanceof TypeError && /newGauge/.test(e.message));
    assert.throws(() => obs.newHistogram("h"), (e) => e instanceof TypeError && /newHistogram/.test(e.message));
    assert.throws(() => obs.newCounter({ name: "r_total" }).add(-1), (e) => e instanceof RangeError && e.code === undefined);
  });

  test("the core's status text becomes code and message", async () => {
    const { statusError } = await import("../../dist/errors.js");
    const e = statusError("ALREADY_EXISTS: counter x is already registered");
    assert.ok(e instanceof ObservabilityError);
    assert.equal(e.code, "ALREADY_EXISTS");
    assert.equal(e.message, "counter x is already registered");
    assert.equal(statusError("no code here").code, "UNKNOWN");
  });
});
