// Helpers of npm.fleet (fleet.mjs): child processes that never outlive the test, free ports, bounded
// polling, Prometheus' HTTP API and HAProxy's stats. Node built-ins only.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { TestFailure, assert, fail, spawnTied } from "./lib.mjs";

/** The native golivekit-gateway: $GLK_OBS_GATEWAY, else what the fixture npm.demo_server built. */
export function gatewayPath(ctx) {
  const p = process.env.GLK_OBS_GATEWAY || path.join(ctx.work, "native-demo", "gateway", "golivekit-gateway");
  assert(fs.existsSync(p), `golivekit-gateway not found at ${p} (the fixture npm.demo_server builds it; or set GLK_OBS_GATEWAY)`);
  return p;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Calls fn() every `intervalMs` until it returns a truthy value (returned); fails after `ms`. */
export async function waitFor(what, ms, fn, intervalMs = 100) {
  const t0 = Date.now();
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
      last = undefined;
    } catch (e) {
      if (e instanceof TestFailure) throw e; // fn decided: no point waiting
      last = e;
    }
    if (Date.now() - t0 > ms) fail(`${what}: not within ${ms} ms${last ? ` (last error: ${last.message ?? last})` : ""}`);
    await sleep(intervalMs);
  }
}

/** A promise's value, or a failure naming `what` after `ms`. */
export async function within(what, ms, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } catch (e) {
    fail(e.message);
  } finally {
    clearTimeout(timer);
  }
}

/** A port that was free on 127.0.0.1 a moment ago (for HAProxy and Prometheus, which take a port). */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** Child processes with their output in <dir>/<name>.log. */
export class Processes {
  constructor(dir) {
    this.dir = dir;
    this.all = [];
  }

  start(name, argv, env = {}) {
    const log = path.join(this.dir, `${name}.log`);
    const fd = fs.openSync(log, "w");
    const child = spawnTied(argv, {
      stdio: ["ignore", fd, fd],
      env: { ...process.env, ...env },
    });
    fs.closeSync(fd);
    const p = { name, argv, child, log, pid: child.pid, exit: undefined };
    p.exited = new Promise((resolve) =>
      child.on("exit", (code, signal) => {
        p.exit = { code, signal };
        resolve(p.exit);
      }),
    );
    p.output = () => fs.readFileSync(log, "utf8");
    this.all.push(p);
    return p;
  }

  killAll() {
    for (const p of this.all) if (!p.exit) p.child.kill("SIGKILL");
  }

  /** The end of every log, for a failure report. */
  tails(chars = 3000) {
    return this.all
      .map((p) => {
        const text = fs.existsSync(p.log) ? fs.readFileSync(p.log, "utf8") : "";
        return `----- ${p.name} (${p.exit ? `exited ${p.exit.code ?? p.exit.signal}` : "running"}), last ${chars} chars of ${p.log}\n${text.slice(-chars)}`;
      })
      .join("\n");
  }
}

async function getJson(url) {
  const res = await fetch(url);
  const body = await res.json().catch(() => undefined);
  if (res.status !== 200 || body?.status !== "success") {
    fail(`GET ${url}: HTTP ${res.status} ${JSON.stringify(body)?.slice(0, 400)}`);
  }
  return body.data;
}

/** An instant query (now): the result vector as [{ metric, value: Number, t: ms }]. */
export async function promQuery(prom, query) {
  const data = await getJson(`${prom}/api/v1/query?${new URLSearchParams({ query })}`);
  if (data.resultType === "matrix") return data.result.map((r) => ({ metric: r.metric, values: r.values.map(([t, v]) => ({ t: t * 1000, value: Number(v) })) }));
  if (data.resultType === "scalar") return [{ metric: {}, value: Number(data.result[1]), t: data.result[0] * 1000 }];
  return data.result.map((r) => ({ metric: r.metric, value: Number(r.value[1]), t: r.value[0] * 1000 }));
}

/**
 * HAProxy's view of a backend's servers, from its stats page: { server name: { status ("UP", "DOWN",
 * ...), check_status (e.g. "L7STS": a wrong HTTP status), check_code (that status) } }.
 */
export async function haproxyServers(statsBase, backend) {
  const res = await fetch(`${statsBase}/stats;csv`);
  assert(res.status === 200, `HAProxy stats: HTTP ${res.status}`);
  const lines = (await res.text()).trim().split("\n");
  const header = lines[0].replace(/^# /, "").split(",");
  const px = header.indexOf("pxname");
  const sv = header.indexOf("svname");
  const col = (name) => header.indexOf(name);
  const out = {};
  for (const line of lines.slice(1)) {
    const f = line.split(",");
    if (f[px] === backend && f[sv] !== "BACKEND" && f[sv] !== "FRONTEND") {
      out[f[sv]] = { status: f[col("status")], check_status: f[col("check_status")], check_code: f[col("check_code")] };
    }
  }
  return out;
}

/** The client id and sequence of a batch (docs/wire-format.md: magic, version, flags, client:16, sequence:varint). */
export function batchKey(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let client = "";
  for (let i = 6; i < 22; i++) client += b[i].toString(16).padStart(2, "0");
  let seq = 0;
  let shift = 0;
  for (let p = 22; p < b.length; p++) {
    seq += (b[p] & 127) * 2 ** shift;
    shift += 7;
    if (!(b[p] & 128)) break;
  }
  return `${client}:${seq}`;
}

/** A small deterministic PRNG (mulberry32): the same amounts and fault choices for a given seed. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
