// Benchmark cases shared by bench/js/node.mjs (Node) and bench/js/browser-entry.mjs (Chromium).
//
// Every case factory takes (obs, prom) — the loaded `@golivekit/observability` API and the
// `prom-client` module, either of which may be null — and returns { name, run(n) } where run(n)
// performs n operations (and may return a Promise, for prom-client's async `registry.metrics()`).
// Each factory builds its own registry, so cases do not see each other's series.
//
// `measure(run, opts)` is the timing core: it warms the function up, picks a batch size n so that one
// batch takes >= minTimeMs (200 ms), times `repeats` (5) batches with performance.now() and returns
// the median time per operation in ns. `runSuite` pairs every "ours" case with its reference and
// computes ratio = ours / reference (lower is better; PASS when ratio <= target).

/** Results are written here so that no loop's work is dead to the JIT. */
let sink = 0;
export function consumed() {
  return sink;
}

function now() {
  return performance.now();
}

async function timeBatch(run, n) {
  const t0 = now();
  const r = run(n);
  if (r !== undefined && r !== null && typeof r.then === "function") await r;
  return now() - t0;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Median ns per operation of run(n).
 * Warm-up and calibration: batches of 1, 2, 4, … operations until one takes >= minTimeMs/8; then one
 * (uncounted) batch of the extrapolated size, from which n is recomputed so that a batch takes about
 * minTimeMs; then `repeats` timed batches of n operations.
 * @returns {Promise<{nsPerOp:number, n:number, samplesNs:number[], spreadPct:number}>}
 */
export async function measure(run, { minTimeMs = 200, repeats = 5 } = {}) {
  let n = 1;
  let t = await timeBatch(run, n);
  while (t < minTimeMs / 8) {
    n *= 2;
    t = await timeBatch(run, n);
  }
  n = Math.max(1, Math.ceil((n * minTimeMs) / Math.max(t, 0.001)));
  t = await timeBatch(run, n); // warm-up at full size (optimised code, steady caches)
  if (t < minTimeMs) n = Math.max(n, Math.ceil((n * minTimeMs * 1.05) / Math.max(t, 0.001)));
  const samples = [];
  for (let i = 0; i < repeats; i++) samples.push(((await timeBatch(run, n)) * 1e6) / n);
  const med = median(samples);
  const spreadPct = med > 0 ? ((Math.max(...samples) - Math.min(...samples)) / med) * 100 : 0;
  return { nsPerOp: med, n, samplesNs: samples, spreadPct };
}

// ---- case factories: ours ----------------------------------------------------------------------

const METHODS = ["GET", "POST", "PUT", "DELETE"];

export function oursLabelledInc(obs) {
  const reg = obs.newRegistry();
  const c = reg.register(obs.newCounter({ name: "http_requests_total", help: "x", labels: ["method", "code"] }));
  return {
    name: "ours withLabels('GET','200').inc()",
    run(n) {
      for (let i = 0; i < n; i++) c.withLabels("GET", "200").inc();
      sink += c.withLabels("GET", "200").value();
    },
  };
}

export function oursKeptChildInc(obs) {
  const reg = obs.newRegistry();
  const c = reg.register(obs.newCounter({ name: "http_requests_total", help: "x", labels: ["method", "code"] }));
  const kept = c.withLabels("GET", "200");
  return {
    name: "ours kept = withLabels('GET','200'); kept.inc()",
    run(n) {
      for (let i = 0; i < n; i++) kept.inc();
      sink += kept.value();
    },
  };
}

export function oursLabelled3Inc(obs) {
  const reg = obs.newRegistry();
  const c = reg.register(
    obs.newCounter({ name: "http_requests_total", help: "x", labels: ["method", "code", "path"] }),
  );
  return {
    name: "ours withLabels('GET','200','/api').inc()",
    run(n) {
      for (let i = 0; i < n; i++) c.withLabels("GET", "200", "/api").inc();
      sink += c.withLabels("GET", "200", "/api").value();
    },
  };
}

export function oursHistogramObserve(obs) {
  const reg = obs.newRegistry();
  const h = reg.register(obs.newHistogram({ name: "lat_seconds", help: "x" })); // default buckets
  return {
    name: "ours histogram.observe(0.3)",
    run(n) {
      for (let i = 0; i < n; i++) h.observe(0.3);
      sink += h.count();
    },
  };
}

// Unlabelled counters: 8 of them, picked by a changing index, exactly like the pure-JS reference.
export function oursPlainInc(obs) {
  const reg = obs.newRegistry();
  const cs = [];
  for (let k = 0; k < 8; k++) cs.push(reg.register(obs.newCounter({ name: `plain${k}_total`, help: "x" })));
  return {
    name: "ours cs[i & 7].inc() (unlabelled)",
    run(n) {
      for (let i = 0; i < n; i++) cs[i & 7].inc();
      sink += cs[0].value();
    },
  };
}

function fillOurs(obs, reg, series) {
  const c = reg.register(
    obs.newCounter({ name: "http_requests_total", help: "Requests.", labels: ["method", "path"] }),
  );
  for (let i = 0; i < series; i++) c.withLabels(METHODS[i % 4], `/api/v1/item/${i >> 2}`).add(i + 1);
  return c;
}

export function oursExpose1k(obs) {
  const reg = obs.newRegistry();
  fillOurs(obs, reg, 1000);
  return {
    name: "ours registry.expose(), 1000 series",
    run(n) {
      let len = 0;
      for (let i = 0; i < n; i++) len += reg.expose().length;
      sink += len;
    },
    sample: () => reg.expose(),
  };
}

// ---- case factories: prom-client ---------------------------------------------------------------

export function promLabelledInc(_obs, prom) {
  const reg = new prom.Registry();
  const c = new prom.Counter({ name: "http_requests_total", help: "x", labelNames: ["method", "code"], registers: [reg] });
  return {
    name: "prom-client counter.labels('GET','200').inc()",
    run(n) {
      for (let i = 0; i < n; i++) c.labels("GET", "200").inc();
      sink += c.hashMap ? 1 : 0;
    },
  };
}

export function promObjectInc(_obs, prom) {
  const reg = new prom.Registry();
  const c = new prom.Counter({ name: "http_requests_total", help: "x", labelNames: ["method", "code"], registers: [reg] });
  return {
    name: "prom-client counter.inc({method:'GET',code:'200'})",
    run(n) {
      for (let i = 0; i < n; i++) c.inc({ method: "GET", code: "200" });
      sink += c.hashMap ? 1 : 0;
    },
  };
}

export function promKeptChildInc(_obs, prom) {
  const reg = new prom.Registry();
  const c = new prom.Counter({ name: "http_requests_total", help: "x", labelNames: ["method", "code"], registers: [reg] });
  const kept = c.labels("GET", "200");
  return {
    name: "prom-client kept = labels('GET','200'); kept.inc()",
    run(n) {
      for (let i = 0; i < n; i++) kept.inc();
      sink += c.hashMap ? 1 : 0;
    },
  };
}

export function promLabelled3Inc(_obs, prom) {
  const reg = new prom.Registry();
  const c = new prom.Counter({
    name: "http_requests_total",
    help: "x",
    labelNames: ["method", "code", "path"],
    registers: [reg],
  });
  return {
    name: "prom-client labels('GET','200','/api').inc()",
    run(n) {
      for (let i = 0; i < n; i++) c.labels("GET", "200", "/api").inc();
      sink += c.hashMap ? 1 : 0;
    },
  };
}

export function promHistogramObserve(_obs, prom) {
  const reg = new prom.Registry();
  // No `buckets`: prom-client's defaults, [.005,.01,.025,.05,.1,.25,.5,1,2.5,5,10] — the same 11 as ours
  // (runSuite checks that they are equal and reports it).
  const h = new prom.Histogram({ name: "lat_seconds", help: "x", registers: [reg] });
  return {
    name: "prom-client histogram.observe(0.3)",
    run(n) {
      for (let i = 0; i < n; i++) h.observe(0.3);
      sink += h.hashMap ? 1 : 0;
    },
    buckets: h.upperBounds,
  };
}

export function promPlainInc(_obs, prom) {
  const reg = new prom.Registry();
  const cs = [];
  for (let k = 0; k < 8; k++) cs.push(new prom.Counter({ name: `plain${k}_total`, help: "x", registers: [reg] }));
  return {
    name: "prom-client cs[i & 7].inc() (unlabelled)",
    run(n) {
      for (let i = 0; i < n; i++) cs[i & 7].inc();
      sink += cs[0].hashMap ? 1 : 0;
    },
  };
}

export function promExpose1k(_obs, prom) {
  const reg = new prom.Registry();
  const c = new prom.Counter({ name: "http_requests_total", help: "Requests.", labelNames: ["method", "path"], registers: [reg] });
  for (let i = 0; i < 1000; i++) c.labels(METHODS[i % 4], `/api/v1/item/${i >> 2}`).inc(i + 1);
  return {
    name: "prom-client await registry.metrics(), 1000 series",
    async run(n) {
      let len = 0;
      for (let i = 0; i < n; i++) len += (await reg.metrics()).length;
      sink += len;
    },
    sample: () => reg.metrics(),
  };
}

// ---- case factory: pure JS reference -----------------------------------------------------------

// 8 plain objects picked by a changing index (i & 7): the JIT cannot fold the increments into one,
// every `v += 1` is a load and a store; the sum is consumed at the end.
// The kept-handle reference: one object, one property, incremented in a loop (as a kept child is).
export function pureJsKeptInc() {
  const o = { v: 0 };
  return {
    name: "pure JS o.v += 1",
    run(n) {
      for (let i = 0; i < n; i++) o.v += 1;
      sink += o.v;
    },
  };
}

export function pureJsInc() {
  const objs = [];
  for (let k = 0; k < 8; k++) objs.push({ v: 0 });
  return {
    name: "pure JS objs[i & 7].v += 1",
    run(n) {
      for (let i = 0; i < n; i++) objs[i & 7].v += 1;
      let s = 0;
      for (let k = 0; k < 8; k++) s += objs[k].v;
      sink += s;
    },
  };
}

// ---- the suite ---------------------------------------------------------------------------------

/**
 * Rows of the report. `ref` is "prom" (needs prom-client) or "js" (pure-JS reference).
 * `target`: the ratio ours/reference must be <= target for PASS; null = measured for information.
 * `unit`: "ns" (per operation) or "ms" (per call, for expositions).
 */
export const SUITE = [
  {
    id: "labelled-inc",
    title: "`withLabels('GET','200').inc()` vs prom-client `labels('GET','200').inc()`",
    ours: oursLabelledInc,
    reference: promLabelledInc,
    ref: "prom",
    target: 0.5,
    unit: "ns",
  },
  {
    id: "histogram-observe",
    title: "histogram `observe(0.3)`, default buckets, vs prom-client `observe(0.3)`",
    ours: oursHistogramObserve,
    reference: promHistogramObserve,
    ref: "prom",
    target: 0.5,
    unit: "ns",
  },
  {
    id: "plain-inc-vs-js",
    title: "unlabelled `inc()` vs pure-JS `objs[i & 7].v += 1`",
    ours: oursPlainInc,
    reference: pureJsInc,
    ref: "js",
    target: 2,
    unit: "ns",
  },
  {
    id: "kept-inc-vs-js",
    title: "kept handle `inc()` vs pure-JS `o.v += 1`",
    ours: oursKeptChildInc,
    reference: pureJsKeptInc,
    ref: "js",
    target: 2,
    unit: "ns",
  },
  {
    id: "kept-child-inc",
    title: "kept child `inc()` vs prom-client kept `labels(...)` child `inc()`",
    ours: oursKeptChildInc,
    reference: promKeptChildInc,
    ref: "prom",
    target: null,
    unit: "ns",
  },
  {
    id: "labelled3-inc",
    title: "`withLabels` with 3 labels `.inc()` vs prom-client `labels(3 values).inc()`",
    ours: oursLabelled3Inc,
    reference: promLabelled3Inc,
    ref: "prom",
    target: null,
    unit: "ns",
  },
  {
    id: "object-form-inc",
    title: "`withLabels('GET','200').inc()` vs prom-client `inc({method,code})` object form",
    ours: oursLabelledInc,
    reference: promObjectInc,
    ref: "prom",
    target: null,
    unit: "ns",
  },
  {
    id: "plain-inc-vs-prom",
    title: "unlabelled `inc()` vs prom-client unlabelled `inc()`",
    ours: oursPlainInc,
    reference: promPlainInc,
    ref: "prom",
    target: null,
    unit: "ns",
  },
  {
    id: "expose-1k",
    title: "exposition of 1000 counter series: `expose()` vs prom-client `await metrics()`",
    ours: oursExpose1k,
    reference: promExpose1k,
    ref: "prom",
    target: null,
    unit: "ms",
  },
];

function sameBuckets(a, b) {
  return Array.isArray(a) && a.length === b.length && a.every((x, i) => x === b[i]);
}

function sampleLines(text) {
  return text.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length;
}

/**
 * Runs SUITE. `prom` may be null: rows whose reference is prom-client are then reported as
 * "n/a" (only the pure-JS comparison is made).
 * @returns {Promise<{results: object[], notes: string[]}>}
 */
export async function runSuite({ obs, prom, minTimeMs = 200, repeats = 5, log = () => {}, only = null, exposes = true }) {
  const results = [];
  const notes = [];
  if (!exposes) notes.push("the /lite entry, which has no exposition: the expose-1k row and the expose check are left out");
  if (prom) {
    const ours = obs.defaultBuckets;
    const theirs = promHistogramObserve(obs, prom).buckets;
    notes.push(
      sameBuckets([...ours], theirs)
        ? `histogram buckets: prom-client's defaults, identical to ours (${theirs.join(", ")})`
        : `WARNING histogram buckets differ: ours ${ours.join(",")} vs prom-client ${theirs.join(",")}`,
    );
    if (exposes) {
      const a = oursExpose1k(obs).sample();
      const b = await promExpose1k(obs, prom).sample();
      notes.push(`expose check: ours ${sampleLines(a)} sample lines / ${a.length} bytes, prom-client ${sampleLines(b)} sample lines / ${b.length} bytes`);
    }
  } else {
    notes.push("prom-client not available here: prom-client rows are n/a; only the pure-JS comparison is made");
  }
  const opts = { minTimeMs, repeats };
  const oursDone = new Map(); // factory -> measurement (a case that is the "ours" side of two rows runs once)
  for (const row of SUITE) {
    if ((only && !only.includes(row.id)) || (!exposes && row.id === "expose-1k")) continue;
    const oursCase = row.ours(obs, prom);
    let o = oursDone.get(row.ours);
    if (!o) {
      log(`measuring ${oursCase.name} …`);
      o = await measure(oursCase.run, opts);
      oursDone.set(row.ours, o);
    }
    let r = null;
    let refName = row.ref === "prom" ? "prom-client (not available)" : "pure JS";
    if (row.ref === "js" || prom) {
      const refCase = row.reference(obs, prom);
      refName = refCase.name;
      log(`measuring ${refCase.name} …`);
      r = await measure(refCase.run, opts);
    }
    const ratio = r ? o.nsPerOp / r.nsPerOp : null;
    results.push({
      id: row.id,
      title: row.title,
      unit: row.unit,
      oursName: oursCase.name,
      refName,
      oursNsPerOp: o.nsPerOp,
      refNsPerOp: r ? r.nsPerOp : null,
      oursSpreadPct: o.spreadPct,
      refSpreadPct: r ? r.spreadPct : null,
      oursN: o.n,
      refN: r ? r.n : null,
      ratio,
      target: row.target,
      verdict: row.target === null || ratio === null ? null : ratio <= row.target ? "PASS" : "MISS",
    });
  }
  notes.push(`sink ${consumed() > 0 ? "non-zero" : "ZERO"} (results consumed)`);
  return { results, notes };
}

function fmtValue(ns, unit) {
  if (ns === null) return "n/a";
  if (unit === "ms") return `${(ns / 1e6).toFixed(3)} ms`;
  return ns >= 100 ? ns.toFixed(0) : ns >= 10 ? ns.toFixed(1) : ns.toFixed(2);
}

/** The markdown table: case | ours ns/op | reference ns/op | ratio | target | PASS/MISS. */
export function formatTable(results) {
  const lines = [
    "| case | ours ns/op | reference ns/op | ratio | target | PASS/MISS |",
    "|---|---:|---:|---:|---:|---|",
  ];
  for (const r of results) {
    lines.push(
      `| ${r.title} | ${fmtValue(r.oursNsPerOp, r.unit)} | ${fmtValue(r.refNsPerOp, r.unit)} | ` +
        `${r.ratio === null ? "n/a" : r.ratio.toFixed(2) + "×"} | ${r.target === null ? "—" : "≤ " + r.target + "×"} | ` +
        `${r.verdict ?? "info"} |`,
    );
  }
  return lines.join("\n");
}
