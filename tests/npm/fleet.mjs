// npm.fleet: 100 shippers of the installed package, three golivekit-gateway instances behind HAProxy with
// deploy/haproxy/haproxy.cfg (unchanged; its addresses from environment variables), Prometheus scraping
// each gateway directly. Requests are duplicated and responses lost on purpose (the shippers' `fetch`
// option), and one gateway is stopped with SIGTERM in the middle of the run.
//
// Phase 1: every client's batches go to one gateway (HAProxy hashes ?glk_client=), and Prometheus'
// `sum without (instance)` of the client metrics is exactly what the shippers recorded.
// Phase 2: the shippers go on recording; one gateway gets SIGTERM: it answers 503 to batches, fails
// /-/ready, HAProxy takes it out and its clients move to the other two; it exits after Prometheus has
// scraped its final totals. Then (the two survivors' totals) + (the stopped one's last scraped totals)
// is exactly what was recorded, plus one batch counted twice on purpose: the documented case, a batch
// whose answer was lost just before its gateway stopped, so that its retry was applied by a survivor.
// Its stopped gateway's series are stale in Prometheus afterwards. Prometheus is paused (SIGSTOP) from
// just before that SIGTERM until HAProxy has taken the gateway out, so that the draining state (503 to
// batches, /-/ready 503, HAProxy's check failing on it) is observed for sure: the drain ends at the
// first scrape after the SIGTERM.
//
// Which gateway answered each request: HAProxy adds X-Glk-Instance (its server name) when the
// environment has GLK_HAPROXY_INSTANCE_HEADER (a test-only block of haproxy.cfg); HAProxy's stats only
// count requests per server, the header names the gateway of each answer. Every request and its
// answer is kept in a ledger keyed by (client id, sequence) of the batch it carried: each batch must be
// applied exactly once (the deliberate one twice), by the gateway the client's hash names, and each
// gateway's own counts of applied and duplicate batches must match the ledger.
//
// Faults are injected only where they cannot make a batch count twice: in phase 2 a request is
// duplicated, or its answer lost, only when a gateway that stays up answered it (a retry of a batch the
// stopping gateway applied could reach a survivor: that case is the deliberate one, once).
//
// Run: ctest --test-dir build/wasm -R npm.fleet -V (fixtures npm.pack and npm.fleet_gateway first).
// GLK_FLEET_SEED=<n> picks other amounts and fault choices; GLK_FLEET_KEEP=1 keeps the temp dir.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { args, assert, assertEqual, fail, main } from "./lib.mjs";
import {
  Processes, batchKey, freePort, gatewayPath, haproxyServers, prng, promQuery, sleep, waitFor, within,
} from "./fleet_lib.mjs";

const CLIENTS = 100;
const GATEWAYS = 3;
const INTERVAL_MS = 250; // each shipper's batch interval
const BUCKETS = [0.1, 0.5, 1, 5];
const VALUES = [0.0625, 0.25, 0.75, 1.5, 3, 8]; // binary fractions: every sum is exact
const KINDS = ["view", "click", "submit"];
const DUPLICATE_RATE = 0.04; // of the requests a gateway answered with 200
const LOSS_RATE = 0.04;
const PHASE1_MS = 4000; // recording, before the flush of phase 1
const BEFORE_STOP_MS = 2500; // phase 2: recording before the SIGTERM
const AFTER_STOP_MS = 3000; // phase 2: recording on the survivors
const CANARY = { kind: "canary", n: 7, value: 0.25 }; // the batch that counts twice
const SEED = Number(process.env.GLK_FLEET_SEED ?? 20240611);
const HAPROXY = process.env.GLK_OBS_HAPROXY || "/usr/sbin/haproxy"; // Debian's (make deps)
const PROMETHEUS = process.env.GLK_OBS_PROMETHEUS || "/usr/bin/prometheus";

const log = (s) => console.log(`npm.fleet: ${s}`);

main("npm.fleet", async () => {
  const ctx = args();
  for (const p of [HAPROXY, PROMETHEUS]) assert(fs.existsSync(p), `${p} not found (make deps installs Debian's haproxy and prometheus)`);
  const t0 = Date.now();
  const gatewayBin = gatewayPath(ctx);
  const haproxyCfg = path.join(ctx.root, "deploy", "haproxy", "haproxy.cfg");
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "glk-fleet-"));
  const procs = new Processes(tmp);
  let ok = false;
  try {
    await fleet(ctx, procs, tmp, gatewayBin, haproxyCfg, t0);
    ok = true;
  } catch (e) {
    console.error(procs.tails());
    console.error(`npm.fleet: logs and data kept in ${tmp}`);
    throw e;
  } finally {
    procs.killAll();
    if (ok && !process.env.GLK_FLEET_KEEP) fs.rmSync(tmp, { recursive: true, force: true });
  }
});

async function fleet(ctx, procs, tmp, gatewayBin, haproxyCfg, t0) {
  // ---------------------------------------------------------------------------------------------
  // The gateways: one configuration, three processes on free ports.
  const config = {
    listen: "127.0.0.1:9464", // each instance gets --listen
    threads: 16,
    metrics_path: "/metrics",
    ingest: {
      path: "/metrics/ingest",
      allowed_origins: ["*"],
      max_body_bytes: 65536,
      address_rate_per_second: 0, // every shipper is 127.0.0.1 (through HAProxy's X-Forwarded-For)
      address_burst: 0,
      trusted_proxy_header: "X-Forwarded-For",
    },
    clients: {
      max_clients: 1000,
      client_ttl: "10m",
      live_timeout: "1m",
      rate_per_second: 100, // 4 batches/s each, plus duplicates and retries
      rate_burst: 200,
      max_label_value_length: 64,
    },
    web_vitals: false,
    metrics: [
      { name: "fleet_events_total", help: "Events recorded by the fleet's shippers.", type: "counter", labels: ["kind"], max_series: 10, max_increment: 1000000 },
      { name: "fleet_latency_seconds", help: "Latencies recorded by the fleet's shippers.", type: "histogram", labels: [], buckets: BUCKETS, max_series: 10, max_observations: 10000, max_abs_observation: 600 },
    ],
    shutdown: { drain_timeout: "10s" },
  };
  const configFile = path.join(tmp, "gateway.jsonc");
  fs.writeFileSync(configFile, `// npm.fleet's gateways\n${JSON.stringify(config, null, 2)}\n`);
  const check = await runToExit(procs, "gateway-check", [gatewayBin, "--config", configFile, "--check"], 10_000);
  assert(check.code === 0, `golivekit-gateway --check refused the test's configuration (exit ${check.code ?? check.signal}):\n${check.output}`);

  const gateways = [];
  for (let i = 1; i <= GATEWAYS; i++) {
    const addr = `127.0.0.1:${await freePort()}`;
    const p = procs.start(`gw${i}`, [gatewayBin, "--config", configFile, "--listen", addr]);
    gateways.push({ name: `gw${i}`, addr, base: `http://${addr}`, proc: p });
  }
  for (const g of gateways) {
    // A logfmt line: msg=started, or msg="started" (quotes are optional in logfmt).
    await waitFor(`${g.name} logs msg=started with listen=${g.addr}`, 10_000, () => {
      if (g.proc.exit) fail(`${g.name} exited (${g.proc.exit.code ?? g.proc.exit.signal}) before starting:\n${g.proc.output()}`);
      const line = g.proc.output().split("\n").find((l) => /(^| )msg="?started"?( |$)/.test(l));
      if (line && !line.split(" ").includes(`listen=${g.addr}`)) fail(`${g.name}'s start line does not say listen=${g.addr}: ${line}`);
      return line;
    });
    await waitFor(`${g.name} GET /-/ready answers 200`, 10_000, async () => (await fetch(`${g.base}/-/ready`)).status === 200);
    assertEqual((await fetch(`${g.base}/-/healthy`)).status, 200, `${g.name} GET /-/healthy`);
  }
  const byName = Object.fromEntries(gateways.map((g) => [g.name, g]));
  const byAddr = Object.fromEntries(gateways.map((g) => [g.addr, g]));

  // ---------------------------------------------------------------------------------------------
  // HAProxy, with the shipped file as it is.
  const front = `127.0.0.1:${await freePort()}`;
  const statsAddr = `127.0.0.1:${await freePort()}`;
  const haproxyEnv = {
    GLK_HAPROXY_BIND: front,
    GLK_HAPROXY_STATS_BIND: statsAddr,
    GLK_INGEST_PATH: config.ingest.path,
    GLK_HAPROXY_INSTANCE_HEADER: "1",
    ...Object.fromEntries(gateways.map((g, i) => [`GLK_GATEWAY_${i + 1}`, g.addr])),
  };
  const hc = await runToExit(procs, "haproxy-check", [HAPROXY, "-c", "-f", haproxyCfg], 10_000, haproxyEnv);
  assert(hc.code === 0, `haproxy -c -f ${haproxyCfg} failed:\n${hc.output}`);
  const haproxy = procs.start("haproxy", [HAPROXY, "-db", "-f", haproxyCfg], haproxyEnv);
  const statsBase = `http://${statsAddr}`;
  await waitFor("HAProxy reports gw1, gw2 and gw3 UP", 15_000, async () => {
    if (haproxy.exit) fail(`haproxy exited (${haproxy.exit.code ?? haproxy.exit.signal}):\n${haproxy.output()}`);
    const s = await haproxyServers(statsBase, "gateways");
    return gateways.every((g) => s[g.name]?.status === "UP");
  });
  const ingestUrl = `http://${front}${config.ingest.path}`;
  const other = await fetch(`http://${front}/metrics`);
  assertEqual(other.status, 404, "HAProxy: GET /metrics (not the ingest path) is not balanced to the gateways");

  // ---------------------------------------------------------------------------------------------
  // Prometheus: every second, each gateway directly.
  const promPort = await freePort();
  const prom = `http://127.0.0.1:${promPort}`;
  const promConfig = path.join(tmp, "prometheus.yml");
  fs.writeFileSync(promConfig, [
    "global:",
    "  scrape_interval: 1s",
    "  scrape_timeout: 1s",
    "scrape_configs:",
    "  - job_name: gateway",
    `    metrics_path: ${config.metrics_path}`,
    "    static_configs:",
    `      - targets: [${gateways.map((g) => JSON.stringify(g.addr)).join(", ")}]`,
    "",
  ].join("\n"));
  const prometheus = procs.start("prometheus", [
    PROMETHEUS, `--config.file=${promConfig}`, `--storage.tsdb.path=${path.join(tmp, "tsdb")}`,
    `--web.listen-address=127.0.0.1:${promPort}`, "--storage.tsdb.retention.time=1h", "--log.level=warn",
  ]);
  await waitFor("Prometheus /-/ready", 20_000, async () => {
    if (prometheus.exit) fail(`prometheus exited:\n${prometheus.output()}`);
    return (await fetch(`${prom}/-/ready`)).status === 200;
  });
  await waitFor("Prometheus scrapes the three gateways (up == 1)", 15_000, async () =>
    (await promQuery(prom, 'up{job="gateway"} == 1')).length === GATEWAYS);
  log(`3 gateways (${gateways.map((g) => `${g.name} ${g.addr}`).join(", ")}), HAProxy on ${front}, Prometheus on ${prom}; ${((Date.now() - t0) / 1000).toFixed(1)} s to start`);

  // ---------------------------------------------------------------------------------------------
  // The shippers, through a fetch that keeps a ledger and injects faults.
  const entry = path.join(ctx.consumer, "node_modules", "@golivekit", "observability", "dist", "index.js");
  const { loadObservability } = await import(pathToFileURL(entry).href);
  const obs = await loadObservability();
  const recordRand = prng(SEED);
  const faultRand = prng(SEED ^ 0x5eed);

  const state = { phase: 1, stopping: undefined /* the name of the gateway stopped in phase 2 */ };
  const figures = {
    requests: 0, duplicated: 0, duplicatedConcurrently: 0, lost: 0, status503: 0, networkErrors: 0, events: 0,
  };
  const ledger = []; // one entry per HTTP request: { client, key, phase, how, status, result, instance }
  const problems = [];
  const problem = (s) => {
    if (problems.length < 20) problems.push(s);
  };
  const checkProblems = (when) => {
    if (problems.length) fail(`${when}: ${problems.length} problem(s) seen by the shippers' fetch:\n  ${problems.join("\n  ")}`);
  };

  const send = async (c, url, init, key, how) => {
    figures.requests++;
    const e = { client: c.index, key, phase: state.phase, how, t: Date.now() };
    ledger.push(e);
    try {
      const res = await fetch(url, { method: "POST", body: init.body, headers: init.headers });
      e.status = res.status;
      e.instance = res.headers.get("x-glk-instance") ?? undefined;
      const text = await res.text();
      let body;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      e.result = body?.result;
      if (res.status !== 200) {
        e.body = text.slice(0, 200);
        e.retryAfter = res.headers.get("retry-after");
      }
      if (res.status === 503) figures.status503++;
      if (res.status === 200 && !e.instance) problem(`a 200 answer without X-Glk-Instance (is GLK_HAPROXY_INSTANCE_HEADER honoured?)`);
      return { status: res.status, headers: res.headers, json: async () => body, entry: e };
    } catch (err) {
      e.status = 0;
      e.error = String(err?.cause?.message ?? err?.message ?? err);
      figures.networkErrors++;
      throw err;
    }
  };

  const shipFetch = async (c, url, init) => {
    const u = new URL(url);
    if (u.searchParams.get("glk_client") !== c.id) {
      problem(`client ${c.index}: the ingest url carries glk_client=${u.searchParams.get("glk_client")}, not its id ${c.id} (url ${url})`);
    }
    const key = batchKey(init.body);
    if (!key.startsWith(`${c.id}:`)) problem(`client ${c.index}: a batch of client ${key}, not ${c.id}`);
    if (c.hold) await c.hold;
    const roll = faultRand();
    const canary = state.phase === 2 && c === state.canaryClient;
    if (canary && c.loseCanary) state.canaryBatch = { body: init.body, headers: init.headers };
    // Phase 1 only (the stopped gateway is up throughout): both copies at once.
    if (state.phase === 1 && roll < DUPLICATE_RATE / 2) {
      figures.duplicated++;
      figures.duplicatedConcurrently++;
      const [a, b] = await Promise.all([send(c, url, init, key, "concurrent"), send(c, url, init, key, "concurrent")]);
      if (a.entry.result === "applied" && b.entry.result === "applied") problem(`batch ${key} applied twice by concurrent copies (${a.entry.instance}, ${b.entry.instance})`);
      return a;
    }
    const res = await send(c, url, init, key, "first");
    if (canary && c.loseCanary && res.status === 200 && res.entry.result === "applied") {
      // The deliberate case: applied by the gateway about to stop, the answer lost; the retry waits
      // until HAProxy has taken that gateway out, then reaches a survivor.
      c.loseCanary = false;
      state.canaryKey = key;
      if (res.entry.instance !== state.stopping) problem(`the canary batch was applied by ${res.entry.instance}, not ${state.stopping}`);
      c.hold = state.hold;
      state.canaryLost();
      throw new TypeError("fetch failed (injected: the response was lost)");
    }
    const safe = state.phase === 1 || (res.entry.instance !== undefined && res.entry.instance !== state.stopping);
    if (res.status === 200 && safe && !canary) {
      if (roll < DUPLICATE_RATE) {
        figures.duplicated++;
        const again = await send(c, url, init, key, "again");
        if (again.entry.result !== "duplicate" || again.entry.instance !== res.entry.instance) {
          problem(`batch ${key}: its copy was answered ${again.status} ${again.entry.result} by ${again.entry.instance} after ${res.entry.result} by ${res.entry.instance}`);
        }
        return again;
      }
      if (roll < DUPLICATE_RATE + LOSS_RATE) {
        figures.lost++;
        throw new TypeError("fetch failed (injected: the response was lost)");
      }
    }
    return res;
  };

  const clients = [];
  for (let i = 0; i < CLIENTS; i++) {
    const registry = obs.newRegistry();
    const events = registry.register(obs.newCounter({ name: "fleet_events_total", help: "h", labels: ["kind"] }));
    const latency = registry.register(obs.newHistogram({ name: "fleet_latency_seconds", help: "h", buckets: BUCKETS }));
    const c = { index: i, registry, events, latency, kinds: {} };
    c.shipper = obs.startShipping(registry, {
      url: ingestUrl,
      intervalMs: INTERVAL_MS,
      fetch: (url, init) => shipFetch(c, url, init),
      initialBackoffMs: 200,
      maxBackoffMs: 2000,
      stopTimeoutMs: 15_000,
    });
    c.id = c.shipper.clientId;
    clients.push(c);
  }

  // What was recorded, as Prometheus shows it: `name{label="value"}` -> value.
  const recorded = Object.fromEntries([...BUCKETS, Infinity].map((le) => [`fleet_latency_seconds_bucket{le="${le}"}`, 0]));
  const bump = (k, v) => (recorded[k] = (recorded[k] ?? 0) + v);
  const record = (c, kind, n, value) => {
    (c.kinds[kind] ??= c.events.withLabels(kind)).add(n);
    c.latency.observe(value);
    bump(`fleet_events_total{kind="${kind}"}`, n);
    bump("fleet_latency_seconds_count", 1);
    bump("fleet_latency_seconds_sum", value);
    for (const le of [...BUCKETS, Infinity]) if (value <= le) bump(`fleet_latency_seconds_bucket{le="${le}"}`, 1);
    figures.events++;
  };
  // Events from random clients, ~2000 a second, for `ms`.
  const recordFor = async (ms, who) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      for (let k = 0; k < 20; k++) {
        const c = who[Math.floor(recordRand() * who.length)];
        record(c, KINDS[Math.floor(recordRand() * KINDS.length)], 1 + Math.floor(recordRand() * 4), VALUES[Math.floor(recordRand() * VALUES.length)]);
      }
      await sleep(10); // pacing of the workload, not a synchronization
    }
  };

  // The client metrics Prometheus has, as `recorded` spells them; `wrap` makes the query of a name.
  const clientTotals = async (wrap) => {
    const out = {};
    for (const name of ["fleet_events_total", "fleet_latency_seconds_count", "fleet_latency_seconds_sum", "fleet_latency_seconds_bucket"]) {
      for (const r of await promQuery(prom, wrap(`${name}{job="gateway"}`))) {
        const label = r.metric.kind !== undefined ? `{kind="${r.metric.kind}"}` : r.metric.le !== undefined ? `{le="${r.metric.le === "+Inf" ? Infinity : Number(r.metric.le)}"}` : "";
        out[`${name}${label}`] = r.value;
      }
    }
    return out;
  };
  const sortKeys = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  // Per instance (gateway name): a metric's value as Prometheus has it (`wrap`: the query around it).
  const perGateway = async (selector, wrap = (s) => s) => {
    const out = {};
    for (const r of await promQuery(prom, wrap(selector))) out[byAddr[r.metric.instance]?.name ?? r.metric.instance] = r.value;
    return out;
  };
  // Waits until Prometheus has a scrape of each of these gateways that began after `t` (ms).
  const scrapedAfter = async (names, t, what) =>
    waitFor(`Prometheus scrapes ${names.join(", ")} after ${what}`, 10_000, async () => {
      const ts = await perGateway('timestamp(up{job="gateway"})'); // (of a selector: the samples' own)
      return names.every((n) => ts[n] * 1000 > t);
    });
  // The ledger: per batch, the gateways that applied it; per gateway, its applied and duplicate answers.
  const ledgerSummary = () => {
    const batches = new Map();
    const perInstance = Object.fromEntries(gateways.map((g) => [g.name, { applied: 0, duplicate: 0 }]));
    for (const e of ledger) {
      if (!batches.has(e.key)) batches.set(e.key, []);
      if (e.status === 200 && e.result === "applied") batches.get(e.key).push(e.instance);
      if (e.status === 200 && perInstance[e.instance]) perInstance[e.instance][e.result === "applied" ? "applied" : "duplicate"]++;
    }
    return { batches, perInstance };
  };
  const instancesOf = (c, phase) => [...new Set(ledger.filter((e) => e.client === c.index && e.instance && (!phase || e.phase === phase)).map((e) => e.instance))];

  // ---------------------------------------------------------------------------------------------
  // Phase 1.
  const tPhase1 = Date.now();
  await recordFor(PHASE1_MS, clients);
  await within("phase 1: all 100 shippers flushed", 60_000, Promise.all(clients.map((c) => c.shipper.flush())));
  checkProblems("phase 1");
  const tFlush1 = Date.now();
  await scrapedAfter(gateways.map((g) => g.name), tFlush1, "the flush of phase 1");
  const phase1Recorded = { ...recorded };
  assertEqual(sortKeys(await clientTotals((s) => `sum without (instance) (${s})`)), sortKeys(phase1Recorded),
    "phase 1: Prometheus' sum without (instance) of the client metrics vs what the shippers recorded");

  // Affinity: each client's batches went to one gateway; each gateway tracks exactly those clients.
  const home = new Map();
  const clientsOf = Object.fromEntries(gateways.map((g) => [g.name, []]));
  for (const c of clients) {
    const where = instancesOf(c, 1);
    assert(where.length === 1, `phase 1: client ${c.index} (${c.id}) was answered by ${JSON.stringify(where)}: one gateway expected (HAProxy's balance url_param glk_client)`);
    home.set(c, where[0]);
    clientsOf[where[0]].push(c);
  }
  const tracked1 = await perGateway('golivekit_client_ingest_clients{job="gateway",state="tracked"}');
  assertEqual(sortKeys(tracked1), sortKeys(Object.fromEntries(gateways.map((g) => [g.name, clientsOf[g.name].length]))),
    "phase 1: golivekit_client_ingest_clients{state=\"tracked\"} per gateway vs the clients HAProxy sent to it");
  const sum1 = ledgerSummary();
  for (const [key, by] of sum1.batches) assert(by.length === 1, `phase 1: batch ${key} was applied ${by.length} times (${by.join(", ")})`);
  const selfCounts = async (wrap) => {
    const applied = await perGateway('golivekit_client_ingest_batches_total{job="gateway",result="applied"}', wrap);
    const duplicate = await perGateway('golivekit_client_ingest_batches_total{job="gateway",result="duplicate"}', wrap);
    return Object.fromEntries(gateways.map((g) => [g.name, { applied: applied[g.name] ?? 0, duplicate: duplicate[g.name] ?? 0 }]));
  };
  assertEqual(await selfCounts(), sum1.perInstance, "phase 1: each gateway's golivekit_client_ingest_batches_total{result} vs the ledger's answers");
  const phase1 = {
    seconds: (tFlush1 - tPhase1) / 1000, requests: figures.requests, duplicated: figures.duplicated, lost: figures.lost,
    batches: sum1.batches.size, events: figures.events,
  };
  log(`phase 1: ${phase1.events} events, ${phase1.batches} batches in ${phase1.requests} requests (${phase1.duplicated} duplicated, ${figures.duplicatedConcurrently} of them concurrently; ${phase1.lost} answers lost) in ${phase1.seconds.toFixed(1)} s; ` +
    `clients per gateway ${gateways.map((g) => `${g.name} ${clientsOf[g.name].length}`).join(", ")}; totals exact, affinity kept`);

  // ---------------------------------------------------------------------------------------------
  // Phase 2: the gateway with the most clients is stopped while the shippers run.
  const stopped = [...gateways].sort((a, b) => clientsOf[b.name].length - clientsOf[a.name].length)[0];
  const survivors = gateways.filter((g) => g !== stopped);
  assert(clientsOf[stopped.name].length >= 2, `${stopped.name} has ${clientsOf[stopped.name].length} clients`);
  state.phase = 2;
  state.stopping = stopped.name;
  const canaryClient = clientsOf[stopped.name][0];
  state.canaryClient = canaryClient;
  let releaseHold;
  state.hold = new Promise((r) => (releaseHold = r));
  const canaryLost = new Promise((r) => (state.canaryLost = r));
  const others = clients.filter((c) => c !== canaryClient);
  const tPhase2 = Date.now();

  const recording = (async () => {
    await recordFor(BEFORE_STOP_MS, others);
    // The canary: alone in its batch (everything before it confirmed), applied by `stopped`, its answer lost.
    await within("the canary client's flush before its batch", 10_000, canaryClient.shipper.flush());
    record(canaryClient, CANARY.kind, CANARY.n, CANARY.value);
    canaryClient.loseCanary = true;
    const canaryFlush = canaryClient.shipper.flush();
    await within(`the canary batch applied by ${stopped.name} (answer lost)`, 10_000, canaryLost);

    // Prometheus is paused (SIGSTOP) from just before the SIGTERM until HAProxy has taken the gateway
    // out: the drain ends at the first scrape that begins after the SIGTERM, so the draining state is
    // observed for sure here, not raced.
    process.kill(prometheus.pid, "SIGSTOP");
    let tTerm, tDown, draining;
    try {
      tTerm = Date.now();
      stopped.proc.child.kill("SIGTERM");
      await waitFor(`${stopped.name} GET /-/ready answers 503 after its SIGTERM`, 5000, async () =>
        (await fetch(`${stopped.base}/-/ready`)).status === 503, 20);
      // A batch straight to the draining gateway (the canary's, which it applied: nothing can count twice).
      const r = await fetch(`${stopped.base}${config.ingest.path}`, { method: "POST", body: state.canaryBatch.body, headers: state.canaryBatch.headers });
      draining = { status: r.status, retryAfter: r.headers.get("retry-after"), body: await r.text() };
      tDown = await waitFor(`HAProxy marks ${stopped.name} DOWN after its SIGTERM`, 10_000, async () => {
        const s = (await haproxyServers(statsBase, "gateways"))[stopped.name];
        if (s?.status.startsWith("DOWN")) {
          assert(s.check_status === "L7STS" && s.check_code === "503", `HAProxy took ${stopped.name} out for ${JSON.stringify(s)}, not its /-/ready answering 503`);
          return Date.now();
        }
      }, 20);
      // (No GET /metrics here: any scrape of it ends its drain, and Prometheus' must be the one.)
    } finally {
      process.kill(prometheus.pid, "SIGCONT");
    }
    canaryClient.hold = undefined;
    releaseHold();
    await within("the canary batch's retry confirmed by a survivor", 15_000, canaryFlush);
    const exit = await within(`${stopped.name} exits after SIGTERM (drain_timeout ${config.shutdown.drain_timeout})`, 15_000, stopped.proc.exited);
    const tExit = Date.now();
    assert(exit.code === 0, `${stopped.name} exited with ${exit.code ?? exit.signal} after SIGTERM:\n${stopped.proc.output().slice(-2000)}`);
    await recordFor(AFTER_STOP_MS, others);
    return { tTerm, tDown, tExit, draining };
  })();
  const stop = await recording;
  await within("phase 2: all 100 shippers stopped (final batches confirmed)", 60_000, Promise.all(clients.map((c) => c.shipper.stop())));
  const tStopped = Date.now();
  checkProblems("phase 2");

  // The stopped gateway's drain: batches refused (503 shutting_down, Retry-After: 1), Prometheus scraped
  // it after the SIGTERM, then its series went stale.
  const d = stop.draining;
  assert(d.status === 503 && d.retryAfter === "1" && /"error"\s*:\s*"shutting_down"/.test(d.body),
    `${stopped.name} answered a batch while draining with ${d.status}, Retry-After ${d.retryAfter}: ${d.body}`);
  for (const e of ledger.filter((x) => x.status !== 200)) {
    assert(e.status === 503 && e.instance === stopped.name && e.retryAfter === "1" && /"error"\s*:\s*"shutting_down"/.test(e.body),
      `a request of client ${e.client} (batch ${e.key}, phase ${e.phase}) was answered ${e.status} by ${e.instance ?? "HAProxy"}, Retry-After ${e.retryAfter}: ${e.body ?? e.error}`);
  }
  const stopLine = stopped.proc.output().split("\n").find((l) => /(^| )msg="?stopped"?( |$)/.test(l));
  assert(stopLine && / drain="?scraped"?( |$)/.test(stopLine), `${stopped.name}'s log has no stop line with drain=scraped:\n${stopped.proc.output()}`);
  const last = await promQuery(prom, `fleet_events_total{instance="${stopped.addr}"}[10m]`);
  const lastT = Math.max(...last.map((r) => r.values.at(-1).t));
  // (Whether that last scrape holds the final totals is checked below, exactly: the totals, and its
  // count of applied batches against the ledger. Its timestamp is when Prometheus began it, which can
  // precede the SIGTERM by the time a request takes to arrive.)
  await waitFor(`${stopped.name}'s series stale in Prometheus after it exited`, 10_000, async () =>
    (await promQuery(prom, `fleet_events_total{instance="${stopped.addr}"}`)).length === 0);

  // Totals: survivors' now (scraped after the last batch) + the stopped one's last scrape.
  await scrapedAfter(survivors.map((g) => g.name), tStopped, "the shippers stopped");
  const expected = { ...recorded };
  expected[`fleet_events_total{kind="${CANARY.kind}"}`] += CANARY.n; // the deliberate double count
  expected.fleet_latency_seconds_count += 1;
  expected.fleet_latency_seconds_sum += CANARY.value;
  for (const le of [...BUCKETS, Infinity]) if (CANARY.value <= le) expected[`fleet_latency_seconds_bucket{le="${le}"}`] += 1;
  const lastOver = (s) => `last_over_time(${s}[10m])`;
  const final = await clientTotals((s) => `sum without (instance) (${lastOver(s)})`);
  if (JSON.stringify(sortKeys(final)) !== JSON.stringify(sortKeys(expected))) {
    const per = await clientTotals((s) => `sum by (instance) (${lastOver(s)})`).catch(() => ({}));
    fail(`phase 2: survivors' totals + ${stopped.name}'s last scraped totals differ from what was recorded (+ the canary batch once more)\n` +
      `expected ${JSON.stringify(sortKeys(expected))}\ngot      ${JSON.stringify(sortKeys(final))}\n(${JSON.stringify(per)})`);
  }

  // The ledger: every batch applied once, the canary batch twice (by the stopped gateway, then a survivor).
  const sum2 = ledgerSummary();
  assert(state.canaryKey, "the canary batch was never sent");
  for (const [key, by] of sum2.batches) {
    if (key === state.canaryKey) {
      assert(by.length === 2 && by[0] === stopped.name && survivors.some((g) => g.name === by[1]),
        `the canary batch ${key} was applied by ${JSON.stringify(by)}: expected ${stopped.name}, then a survivor`);
    } else {
      assert(by.length === 1, `batch ${key} was applied ${by.length} times (${by.join(", ") || "never, though confirmed"})`);
    }
  }
  assertEqual(await selfCounts(lastOver), sum2.perInstance,
    `each gateway's golivekit_client_ingest_batches_total{result} (${stopped.name}: its last scrape) vs the ledger's answers`);

  // Affinity after the stop: the others' clients stayed; the stopped gateway's clients each moved to one survivor.
  let moved = 0;
  for (const c of clients) {
    const after = ledger.filter((e) => e.client === c.index && e.phase === 2 && e.instance && e.instance !== stopped.name);
    const where = [...new Set(after.map((e) => e.instance))];
    if (home.get(c) === stopped.name) {
      assert(where.length === 1, `client ${c.index} of ${stopped.name} went to ${JSON.stringify(where)} after the stop: one survivor expected`);
      const back = ledger.find((e) => e.client === c.index && e.phase === 2 && e.instance === stopped.name && e.t > after[0].t);
      assert(!back, `client ${c.index} reached ${stopped.name} again after it had moved`);
      moved++;
    } else {
      assertEqual(where, [home.get(c)], `client ${c.index}: the gateways that answered it in phase 2 (its phase 1 gateway is ${home.get(c)})`);
    }
  }
  const tracked2 = await perGateway('golivekit_client_ingest_clients{job="gateway",state="tracked"}');
  assertEqual(survivors.reduce((n, g) => n + tracked2[g.name], 0), CLIENTS, "golivekit_client_ingest_clients{state=\"tracked\"} over the survivors");
  for (const c of clients) {
    const s = c.shipper.stats();
    assert(s.rejected === 0 && s.dropped === 0, `client ${c.index}: rejected ${s.rejected}, dropped ${s.dropped} (${s.lastError})`);
  }
  const received = await perGateway('golivekit_client_ingest_batches_total{job="gateway",result="applied"}', lastOver);

  const retries = clients.reduce((n, c) => n + c.shipper.stats().retries, 0);
  const dups = clients.reduce((n, c) => n + c.shipper.stats().duplicate, 0);
  log(`phase 2: ${figures.events - phase1.events} events, ${sum2.batches.size - phase1.batches} batches in ${figures.requests - phase1.requests} requests ` +
    `(${figures.duplicated - phase1.duplicated} duplicated, ${figures.lost - phase1.lost} answers lost, + 1 lost on purpose) in ${((tStopped - tPhase2) / 1000).toFixed(1)} s`);
  log(`SIGTERM to ${stopped.name}: HAProxy marked it DOWN after ${stop.tDown - stop.tTerm} ms, it exited after ${stop.tExit - stop.tTerm} ms ` +
    `(its last scrape began ${lastT - stop.tTerm} ms after the SIGTERM); ${figures.status503} requests answered 503 while it drained; ${moved} clients moved; ` +
    `its stale series gone from instant queries`);
  log(`totals: ${figures.events + 1} events recorded by ${CLIENTS} shippers, ${sum2.batches.size} batches, ${figures.requests} HTTP requests through HAProxy ` +
    `(${figures.duplicated} duplicated, ${figures.lost + 1} answers lost, ${figures.networkErrors} network errors), shipper retries ${retries}, duplicates answered ${dups}; ` +
    `applied per gateway ${JSON.stringify(received)}; exactly once but for the one batch counted twice on purpose`);
  log(`time: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

/** Runs a command to its end (bounded); resolves to { code, signal, output }. */
async function runToExit(procs, name, argv, ms, env) {
  const p = procs.start(name, argv, env);
  const exit = await within(`${argv.join(" ")} to exit`, ms, p.exited);
  return { ...exit, output: p.output() };
}
