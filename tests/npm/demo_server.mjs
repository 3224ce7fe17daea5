// The native demo_server for the shipping end-to-end tests (tests/npm/shipping_*.mjs): where the binary
// is, starting it on a free port, reading its /metrics. Node built-ins only.
//
// The binary: $GLK_OBS_DEMO_SERVER if set (CMake cache variable GLK_OBS_DEMO_SERVER), else the one the
// fixture npm.demo_server (demo_server_build.mjs) built natively into <work>/native-demo.
import fs from "node:fs";
import path from "node:path";
import { assert, fail, spawnTied } from "./lib.mjs";

// A demo_server never outlives its test (lib.mjs, spawnTied).

export function demoServerPath(ctx) {
  const p = process.env.GLK_OBS_DEMO_SERVER || path.join(ctx.work, "native-demo", "examples", "demo_server");
  assert(fs.existsSync(p), `demo_server not found at ${p} (the fixture npm.demo_server builds it; or set GLK_OBS_DEMO_SERVER)`);
  return p;
}

/**
 * Starts demo_server with `--port 0` and the given flags; resolves to { base, output, stop() } once it
 * printed "listening on http://<host>:<port>".
 */
export async function startDemoServer(ctx, flags = []) {
  const argv = [demoServerPath(ctx), "--host", "127.0.0.1", "--port", "0", "--sim-users", "0", ...flags];
  const child = spawnTied(argv, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let earlyExit;
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`demo_server did not start within 10 s:\n${output}`)), 10_000);
    const onData = (d) => {
      output += d;
      const m = /listening on (http:\/\/\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ""));
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (d) => (output += d));
    earlyExit = (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`demo_server exited (${code ?? signal}) before listening:\n${output}`));
    };
    child.on("exit", earlyExit);
  }).catch((e) => fail(e.message));
  child.off("exit", earlyExit);
  return {
    base,
    pid: child.pid,
    get output() {
      return output;
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5000).unref();
      }),
  };
}

/** The sample lines of these families in a text exposition, as { "name{labels}": "value" }. */
export function samples(text, families) {
  const out = {};
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (!name || !families.some((f) => name === f || (name.startsWith(f) && /^_(bucket|sum|count|total)$/.test(name.slice(f.length))))) continue;
    const i = line.lastIndexOf(" ");
    out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

export async function scrape(base) {
  const res = await fetch(`${base}/metrics`);
  if (res.status !== 200) fail(`GET ${base}/metrics: HTTP ${res.status}`);
  return res.text();
}

/** Polls /metrics until check(samples) is true or `ms` pass; returns the last samples. */
export async function pollMetrics(base, families, check, ms = 5000) {
  const t0 = Date.now();
  for (;;) {
    const s = samples(await scrape(base), families);
    if (check(s) || Date.now() - t0 > ms) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The client metrics demo_server declares (examples/demo_server). */
export const CLIENT_FAMILIES = [
  "golivekit_client_events_total",
  "golivekit_client_event_latency_seconds",
  "golivekit_client_open_views",
];
