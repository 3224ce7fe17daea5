// The shared shipping scenarios (tests/fixtures/shipping_scenarios.json, docs/shipping.md) against the
// browser's shipper, in virtual time: timers, Date.now and Math.random are replaced while a scenario
// runs, and the transport is a scripted server. Time jumps from one timer to the next, so every request
// time is exact and the whole table runs at once; tests/native/shipping_scenarios_test.cc runs the same
// table against the native shipper.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { loadObservability } from "../../dist/index.js";

const obs = await loadObservability();
const table = JSON.parse(readFileSync(new URL("../../tests/fixtures/shipping_scenarios.json", import.meta.url), "utf8"));

const WALL_START = Date.UTC(2026, 0, 1); // whole seconds, so that HTTP-dates fall on the virtual millisecond
const HORIZON_MS = 10 * 3600 * 1000; // timers beyond it never fire: the shipper is idle
const INTERVAL_MS = 1000 * 3600 * 1000; // batches come from the steps only

// Timers, Date.now and Math.random under the test's control while installed.
function virtualTime(jitter) {
  const real = {
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    setInterval: globalThis.setInterval,
    clearInterval: globalThis.clearInterval,
    setImmediate: globalThis.setImmediate,
    now: Date.now,
    random: Math.random,
  };
  const timers = new Map();
  let now = 0;
  let order = 0;
  const add = (fn, ms, every) => {
    const handle = { unref: () => handle, ref: () => handle, hasRef: () => false };
    timers.set(handle, { at: now + Math.max(0, Number(ms) || 0), fn, every, order: order++ });
    return handle;
  };
  const cancel = (handle) => void timers.delete(handle);
  // Everything that promise callbacks have queued, run to the end (no real timer is involved).
  const settle = async () => {
    for (let i = 0; i < 5; i++) await new Promise((resolve) => real.setImmediate(resolve));
  };
  return {
    now: () => now,
    wall: () => WALL_START + now,
    later: (fn, ms) => add(fn, ms),
    install() {
      globalThis.setTimeout = (fn, ms, ...args) => add(() => fn(...args), ms);
      globalThis.clearTimeout = cancel;
      globalThis.setInterval = (fn, ms, ...args) => add(() => fn(...args), ms, Math.max(1, Number(ms) || 0));
      globalThis.clearInterval = cancel;
      Date.now = () => WALL_START + now;
      Math.random = () => jitter;
    },
    restore() {
      Object.assign(globalThis, {
        setTimeout: real.setTimeout,
        clearTimeout: real.clearTimeout,
        setInterval: real.setInterval,
        clearInterval: real.clearInterval,
      });
      Date.now = real.now;
      Math.random = real.random;
    },
    // Fires the timers in time order until none is due before the horizon.
    async runUntilIdle() {
      for (;;) {
        await settle();
        let next;
        for (const [handle, t] of timers) {
          if (!next || t.at < next.t.at || (t.at === next.t.at && t.order < next.t.order)) next = { handle, t };
        }
        if (!next || next.t.at > HORIZON_MS) return;
        now = Math.max(now, next.t.at);
        if (next.t.every) next.t.at += next.t.every;
        else timers.delete(next.handle);
        next.t.fn();
      }
    },
  };
}

// A server that answers the requests in order from the scenario (the last answer repeats).
function scriptedServer(answers, time) {
  const requests = [];
  const fetch = async () => {
    requests.push(time.now());
    const a = answers[Math.min(requests.length - 1, answers.length - 1)];
    if (a.delay_ms) await new Promise((resolve) => time.later(resolve, a.delay_ms));
    if (!a.status) throw new TypeError("fetch failed");
    let retryAfter = a.retry_after ?? null;
    if (a.retry_after_date_s !== undefined) retryAfter = new Date(time.wall() + a.retry_after_date_s * 1000).toUTCString();
    const body = a.result ? { result: a.result } : { error: "test", message: "scripted" };
    return {
      status: a.status,
      headers: { get: (name) => (name.toLowerCase() === "retry-after" ? retryAfter : null) },
      json: async () => body,
    };
  };
  return { fetch, requests };
}

const OPTION_NAMES = {
  backoff_initial_ms: "initialBackoffMs",
  backoff_max_ms: "maxBackoffMs",
  stop_timeout_ms: "stopTimeoutMs",
  max_batch_age_ms: "maxBatchAgeMs",
};

const statsByName = (s) => ({
  batches: s.batches,
  requests: s.sent,
  accepted: s.accepted,
  duplicate: s.duplicate,
  rejected: s.rejected,
  dropped: s.dropped,
  retries: s.retries,
  buffered: s.bufferedBatches,
});

async function run(scenario) {
  const time = virtualTime(scenario.jitter ?? 0.5);
  const server = scriptedServer(scenario.answers, time);
  const registry = obs.newRegistry();
  const views = registry.register(obs.newGauge({ name: "open_views", help: "Views." }));
  const options = {};
  for (const [name, value] of Object.entries(scenario.options ?? {})) options[OPTION_NAMES[name]] = value;
  time.install();
  try {
    const shipper = obs.startShipping(registry, { url: "/metrics/ingest", intervalMs: INTERVAL_MS, fetch: server.fetch, ...options });
    const outcomes = [];
    let stopped = false;
    for (const [i, step] of scenario.steps.entries()) {
      views.set(i + 1); // something changed: every step makes one batch
      stopped ||= step === "stop";
      let outcome = "still pending once idle";
      void (step === "stop" ? shipper.stop() : shipper.flush()).then(() => (outcome = true), () => (outcome = false));
      await time.runUntilIdle(); // p has settled by now, unless the shipper is stuck
      outcomes.push(outcome);
    }
    const result = { requests_at_ms: [...server.requests], steps: outcomes, stats: statsByName(shipper.stats()) };
    if (!stopped) {
      const p = shipper.stop().catch(() => {});
      await time.runUntilIdle();
      await p;
    }
    return result;
  } finally {
    time.restore();
    registry.dispose();
  }
}

for (const scenario of table.scenarios) {
  test(`scenario: ${scenario.name}`, async () => {
    assert.deepEqual(await run(scenario), scenario.expect);
  });
}
