// The golden exposition files of tests/fixtures, reproduced through the npm package: the registries of
// tests/fixtures/README.md built with the JS API must expose byte for byte what the C++ suite checks
// natively. This is what proves that the module's float digits (taken from the JS engine, see
// wasm/host_shortest.cc) and everything else match the native build.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { loadObservability } from "../../dist/index.js";

const fixtures = new URL("../../tests/fixtures/", import.meta.url);
const fixture = (name) => readFileSync(new URL(name, fixtures), "utf8");
const obs = await loadObservability();

const builders = {
  escaping() {
    const r = obs.newRegistry();
    const g = r.register(obs.newGauge({ name: "gauge_name", help: 'gauge\ndoc\nstr"ing', labels: ["name_1", "name_2"] }));
    g.withLabels("val with\nnew line", 'val with \\backslash and "quotes"').set(Infinity);
    g.withLabels("Björn", "佖佥").set(3.14e42);
    return r;
  },
  default_buckets_histogram() {
    const r = obs.newRegistry();
    const h = r.register(obs.newHistogram({ name: "request_duration_seconds", help: "Request duration in seconds.", buckets: obs.defaultBuckets }));
    for (const v of [0.003, 0.2, 7]) h.observe(v);
    return r;
  },
  special_values() {
    const r = obs.newRegistry();
    const g = r.register(obs.newGauge({ name: "special_values", help: "Gauge holding the special float values.", labels: ["kind"] }));
    g.withLabels("pos_inf").set(Infinity);
    g.withLabels("smallest").set(5e-324);
    g.withLabels("neg_inf").set(-Infinity);
    g.withLabels("nan").set(NaN);
    return r;
  },
  help_backslash() {
    const r = obs.newRegistry();
    const g = r.register(obs.newGauge({ name: "windows_path_info", help: 'Path C:\\dir\\file, a literal \\n and a real\nnewline "quoted".', labels: ["path"] }));
    g.withLabels("C:\\dir\\file").set(1);
    return r;
  },
  ordering() {
    const r = obs.newRegistry();
    r.register(obs.newGauge({ name: "zz_temperature", help: "Temperature." })).set(-12.5);
    const h = r.register(obs.newHistogram({ name: "mm_latency_seconds", help: "Latency.", labels: ["zone", "app"], buckets: [0.1, 1] }));
    h.withLabels("us", "web");
    h.withLabels("eu", "web").observe(0.5);
    h.withLabels("eu", "web").observe(2);
    h.withLabels("eu", "api").observe(0.05);
    const c = r.register(obs.newCounter({ name: "aa_requests_total", help: "Requests.", labels: ["method", "code"] }));
    c.withLabels("GET", "404").add(2);
    c.withLabels("POST", "200").add(1);
    c.withLabels("GET", "200").add(3);
    return r;
  },
  const_labels() {
    const r = obs.newRegistry({ namespace: "myapp", constLabels: { service: "golivekit", env: "production" } });
    const c = r.register(obs.newCounter({ name: "requests_total", help: "Total requests", labels: ["page"] }));
    c.withLabels("/home").add(2);
    c.withLabels("/about").inc();
    const h = r.register(obs.newHistogram({ name: "query_duration_seconds", help: "Query duration", labels: ["zone", "operation"], buckets: [0.5] }));
    h.withLabels("a", "select").observe(0.25);
    r.register(obs.newGauge({ name: "db_connections", help: "Active database connections" })).set(7);
    return r;
  },
  no_help() {
    const r = obs.newRegistry();
    r.register(obs.newCounter({ name: "undocumented_total", help: "" })).inc();
    return r;
  },
  counter() {
    const r = obs.newRegistry();
    r.register(obs.newCounter({ name: "foos_total", help: "Number of foos." })).add(42);
    return r;
  },
  counter_unknown() {
    const r = obs.newRegistry();
    const c = r.register(obs.newCounter({ name: "requests_served", help: "Requests served, named without the _total suffix.", labels: ["code"] }));
    c.withLabels("200").add(3);
    c.withLabels("500").add(0.5);
    return r;
  },
  histogram() {
    const r = obs.newRegistry();
    const h = r.register(obs.newHistogram({ name: "rpc_duration_seconds", help: "RPC duration.", labels: ["method"], buckets: [0.005, 1, 10, 100000, 1e6] }));
    for (const v of [0.00390625, 0.5, 7.5, 2e6]) h.withLabels("GET").observe(v);
    h.withLabels("POST");
    return r;
  },
};

for (const [name, build] of Object.entries(builders)) {
  test(`${name}.prom (text 0.0.4) matches the golden file`, () => {
    const r = build();
    try {
      assert.equal(r.expose(), fixture(`${name}.prom`));
    } finally {
      r.dispose();
    }
  });
  if (name !== "ordering") {
    test(`${name}.om (OpenMetrics 1.0) matches the golden file`, () => {
      const r = build();
      try {
        assert.equal(r.expose("openmetrics"), fixture(`${name}.om`));
      } finally {
        r.dispose();
      }
    });
  }
}

// Go's strconv 'g' spelling of sample values (docs/exposition.md): the digits come from the JS engine in this
// build, the notation from the core.
test("float spelling follows Go's FormatFloat(v, 'g', -1, 64)", () => {
  const cases = [
    [0.1, "0.1"], [0.30000000000000004, "0.30000000000000004"], [1e21, "1e+21"], [1.5e-7, "1.5e-07"],
    [123456.5, "123456.5"], [1234567.5, "1.2345675e+06"], [1e6, "1e+06"], [999999, "999999"],
    [0.0001, "0.0001"], [0.00001, "1e-05"], [-2.5e-300, "-2.5e-300"], [1.7976931348623157e308, "1.7976931348623157e+308"],
    [5e-324, "5e-324"], [2 ** 53 + 2, "9.007199254740994e+15"], [-0, "0"], [100.25, "100.25"],
  ];
  const r = obs.newRegistry();
  const g = r.register(obs.newGauge({ name: "v", labels: ["i"] }));
  cases.forEach(([v], i) => g.withLabels(String(i).padStart(2, "0")).set(v));
  const lines = r.expose().split("\n").filter((l) => l.startsWith("v{"));
  assert.deepEqual(lines, cases.map(([, s], i) => `v{i="${String(i).padStart(2, "0")}"} ${s}`));
  r.dispose();
});
