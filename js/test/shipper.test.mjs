// obs.startShipping against a fake fetch: what is sent (bytes, headers, keepalive), exactly-once
// behaviour (retries resend identical bytes), backoff, Retry-After, refusals, the bounded buffer and its
// drop count in the batch header, flush/stop semantics, several clients, the page-unload path.
import assert from "node:assert/strict";
import { afterEach, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { loadObservability, ObservabilityError } from "../../dist/index.js";

const obs = await loadObservability();
const HOUR = 3_600_000; // intervalMs for tests that drive batches themselves

// The fixed header of a batch (docs/wire-format.md): "GLKB", version, flags, client id, then varints
// sequence, dropped batches, family count.
function header(b) {
  let p = 22;
  const varint = () => {
    let r = 0;
    let shift = 0;
    let x;
    do {
      x = b[p++];
      r += (x & 127) * 2 ** shift;
      shift += 7;
    } while (x & 128);
    return r;
  };
  return {
    magic: String.fromCharCode(...b.subarray(0, 4)),
    version: b[4],
    final: (b[5] & 1) === 1,
    client: Array.from(b.subarray(6, 22), (x) => x.toString(16).padStart(2, "0")).join(""),
    sequence: varint(),
    dropped: varint(),
    families: varint(),
  };
}
const text = (b) => Buffer.from(b).toString("latin1");

const json = (status, body, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const applied = () => json(200, { result: "applied", sequence: 1 });

// A fetch that records every call and answers with respond(call, index) (a Response, a promise of one,
// or a thrown error for a network failure).
function fakeFetch(respond = () => applied()) {
  const calls = [];
  const f = async (url, init) => {
    const call = { url, init, body: init.body.slice(), t: performance.now() };
    calls.push(call);
    return respond(call, calls.length - 1);
  };
  f.calls = calls;
  return f;
}

// A response the test releases by hand.
function held() {
  let release;
  const p = new Promise((r) => (release = r));
  return { p, release: (res = applied()) => release(res) };
}

function setup(opts = {}) {
  const registry = obs.newRegistry({ namespace: "app", includeRuntimeMetrics: true });
  const events = registry.register(obs.newCounter({ name: "events_total", help: "Events.", labels: ["event"] }));
  const views = registry.register(obs.newGauge({ name: "open_views", help: "Views." }));
  const latency = registry.register(obs.newHistogram({ name: "latency_seconds", help: "Latency.", labels: ["event"] }));
  const fetch = opts.fetch ?? fakeFetch();
  const shipper = obs.startShipping(registry, {
    url: "https://example.test/metrics/ingest",
    intervalMs: HOUR,
    fetch,
    stopTimeoutMs: 300, // the cleanup's stop() against a fetch that keeps failing
    ...opts,
  });
  cleanup.push(() => shipper.stop().catch(() => {}));
  return { registry, events, views, latency, fetch, shipper };
}

let cleanup = [];
afterEach(async () => {
  const fns = cleanup;
  cleanup = [];
  for (const f of fns) await f();
});

describe("requests", () => {
  test("POST of one batch: media type, user headers, keepalive, the registry's changes", async () => {
    const { events, latency, fetch, shipper } = setup({ headers: { authorization: "Bearer t0k" } });
    events.withLabels("click").inc();
    latency.withLabels("click").observe(0.03);
    await shipper.flush();
    assert.equal(fetch.calls.length, 1);
    const { url, init, body } = fetch.calls[0];
    assert.equal(url, `https://example.test/metrics/ingest?glk_client=${shipper.clientId}`);
    assert.equal(init.method, "POST");
    assert.deepEqual(init.headers, { "content-type": "application/vnd.golivekit.metrics-batch", authorization: "Bearer t0k" });
    assert.equal(init.keepalive, true);
    assert.ok(init.body instanceof Uint8Array);
    const h = header(body);
    assert.deepEqual([h.magic, h.version, h.final, h.client, h.sequence, h.dropped], ["GLKB", 1, false, shipper.clientId, 1, 0]);
    assert.equal(h.families, 3);
    for (const name of ["app_events_total", "app_latency_seconds", "app_open_views", "click"]) {
      assert.ok(text(body).includes(name), `${name} in the batch`);
    }
    assert.deepEqual(
      { ...shipper.stats(), lastError: undefined },
      { batches: 1, sent: 1, accepted: 1, duplicate: 0, rejected: 0, dropped: 0, retries: 0, skippedFamilies: 0, bufferedBatches: 0, bufferedBytes: 0, lastError: undefined },
    );
  });

  test("every request names the client in its URL (glk_client), after the url's own query", async () => {
    for (const url of ["https://example.test/metrics/ingest", "https://example.test/metrics/ingest?x=1"]) {
      const answers = [() => json(503, {}), () => { throw new TypeError("fetch failed"); }];
      const { events, fetch, shipper } = setup({ url, fetch: fakeFetch((c, i) => (answers[i] ?? applied)()), initialBackoffMs: 5 });
      assert.match(shipper.clientId, /^[0-9a-f]{32}$/);
      events.withLabels("a").inc();
      await shipper.flush(); // two failed attempts, then the retry that goes through
      await shipper.stop(); // the final batch
      assert.equal(fetch.calls.length, 4);
      const expected = `${url}${url.includes("?") ? "&" : "?"}glk_client=${shipper.clientId}`;
      assert.deepEqual(fetch.calls.map((c) => c.url), Array(4).fill(expected));
      assert.equal(shipper.stats().retries, 2);
      assert.equal(shipper.stats().lastError, `${url}: fetch failed`); // the url as configured
    }
  });

  test("native histograms ship in batch version 2, native-only ones included; classic-only batches stay version 1", async () => {
    const { registry, events, fetch, shipper } = setup();
    events.withLabels("x").inc();
    await shipper.flush();
    assert.equal(header(fetch.calls[0].body).version, 1);
    const nativeOnly = registry.register(obs.newHistogram({ name: "native_seconds", buckets: [], nativeBucketFactor: 1.1 }));
    const both = registry.register(obs.newHistogram({ name: "both_seconds", buckets: [0.1, 1], nativeBucketFactor: 1.1 }));
    nativeOnly.observe(0.5);
    both.observe(0.5);
    await shipper.flush();
    const body = fetch.calls[1].body;
    assert.equal(header(body).version, 2);
    assert.equal(header(body).families, 3);
    for (const name of ["app_native_seconds", "app_both_seconds", "app_open_views"]) assert.ok(text(body).includes(name), `${name} in the batch`);
  });

  test("the registry's runtime metrics are not shipped", async () => {
    const { events, fetch, shipper } = setup();
    events.withLabels("x").inc();
    await shipper.flush();
    const t = text(fetch.calls[0].body);
    assert.ok(t.includes("app_events_total"));
    for (const name of ["golivekit_runtime", "golivekit_build_info", "js_heap"]) assert.ok(!t.includes(name), `${name} shipped`);
  });

  test("only changes: an unchanged counter is not resent, sequences count up", async () => {
    const { events, fetch, shipper } = setup();
    events.withLabels("a").inc();
    await shipper.flush();
    await shipper.flush(); // only the gauge (current value) this time
    events.withLabels("b").inc();
    await shipper.flush();
    assert.deepEqual(fetch.calls.map((c) => header(c.body).sequence), [1, 2, 3]);
    assert.ok(!text(fetch.calls[1].body).includes("app_events_total"));
    assert.ok(text(fetch.calls[2].body).includes("app_events_total"));
    assert.ok(!text(fetch.calls[2].body).includes("\u0001a"), "series a did not change");
  });

  test("several shippers are several clients, with their own ids and sequences", async () => {
    const a = setup();
    const b = setup();
    assert.match(a.shipper.clientId, /^[0-9a-f]{32}$/);
    assert.notEqual(a.shipper.clientId, b.shipper.clientId);
    await a.shipper.flush();
    await b.shipper.flush();
    assert.equal(header(a.fetch.calls[0].body).client, a.shipper.clientId);
    assert.equal(header(b.fetch.calls[0].body).client, b.shipper.clientId);
    assert.equal(header(b.fetch.calls[0].body).sequence, 1);
  });

  test("periodic batches every intervalMs", async () => {
    const { events, fetch } = setup({ intervalMs: 30 });
    events.withLabels("tick").inc();
    // Timers on a loaded machine fire late: the test waits for the third batch (bounded at 10 s) instead of
    // counting batches in a fixed window, and checks they are spaced out, not sent in a burst.
    const deadline = Date.now() + 10_000;
    while (fetch.calls.length < 3 && Date.now() < deadline) await sleep(10);
    assert.ok(fetch.calls.length >= 3, `${fetch.calls.length} periodic batches in 10 s`);
    const times = fetch.calls.map((c) => c.t);
    for (let i = 1; i < 3; i++) assert.ok(times[i] - times[i - 1] >= 20, `batches ${times[i] - times[i - 1]} ms apart`);
  });

  test("a duplicate answer confirms the batch, counted apart from accepted", async () => {
    const { shipper } = setup({ fetch: fakeFetch(() => json(200, { result: "duplicate", sequence: 1 })) });
    await shipper.flush();
    assert.equal(shipper.stats().accepted, 0);
    assert.equal(shipper.stats().duplicate, 1);
  });
});

describe("retries", () => {
  test("a retry resends identical bytes; flush waits for it", async () => {
    const answers = [() => json(503, { error: "unavailable" }), () => { throw new TypeError("fetch failed"); }, applied];
    const { events, fetch, shipper } = setup({ fetch: fakeFetch((c, i) => (answers[i] ?? applied)()), initialBackoffMs: 5 });
    events.withLabels("a").add(2);
    await shipper.flush();
    assert.equal(fetch.calls.length, 3);
    assert.deepEqual(fetch.calls[1].body, fetch.calls[0].body);
    assert.deepEqual(fetch.calls[2].body, fetch.calls[0].body);
    const s = shipper.stats();
    assert.deepEqual([s.sent, s.accepted, s.retries, s.rejected, s.dropped], [3, 1, 2, 0, 0]);
  });

  test("429 with Retry-After waits at least that long (seconds and HTTP-date)", async () => {
    for (const kind of ["seconds", "date"]) {
      // An HTTP-date has whole seconds: 2.5 s from now leaves more than 1.4 s.
      const retryAfter = kind === "seconds" ? "1" : new Date(Date.now() + 2500).toUTCString();
      const { fetch, shipper } = setup({
        fetch: fakeFetch((c, i) => (i === 0 ? json(429, { error: "rate_limited" }, { "retry-after": retryAfter }) : applied())),
        initialBackoffMs: 1,
      });
      await shipper.flush();
      const waited = fetch.calls[1].t - fetch.calls[0].t;
      assert.ok(waited >= 990, `retried after ${waited} ms (Retry-After: ${retryAfter})`);
      assert.deepEqual(fetch.calls[1].body, fetch.calls[0].body);
    }
  });

  test("408 and 5xx back off exponentially with full jitter, up to maxBackoffMs", async () => {
    const realRandom = Math.random;
    const realSetTimeout = globalThis.setTimeout;
    try {
      // The waits the shipper asks for (its hour-long interval aside) and the times between its requests.
      const run = async (randoms, n) => {
        let k = 0;
        Math.random = () => randoms[k++ % randoms.length];
        const asked = [];
        globalThis.setTimeout = (fn, ms, ...rest) => {
          if (ms !== HOUR) asked.push(ms);
          return realSetTimeout(fn, ms, ...rest);
        };
        const { fetch, shipper } = setup({
          fetch: fakeFetch((c, i) => (i < n ? json(i % 2 ? 408 : 500, {}) : applied())),
          initialBackoffMs: 40,
          maxBackoffMs: 200,
        });
        await shipper.flush();
        globalThis.setTimeout = realSetTimeout;
        return { asked, apart: fetch.calls.slice(1).map((c, i) => c.t - fetch.calls[i].t) };
      };
      // random() = 0.5: half of each bound: 20, 40, 80, 100 (bound capped at 200).
      const half = await run([0.5], 4);
      assert.deepEqual(half.asked, [20, 40, 80, 100]);
      // Timers fire late on a busy machine, never early: the requests are at least that far apart. (No
      // upper bound on wall time: a loaded machine may delay any timer.)
      for (const [i, expected] of [20, 40, 80, 100].entries()) {
        assert.ok(half.apart[i] >= expected - 2, `delay ${i}: ${half.apart[i]} ms, expected ~${expected}: ${half.apart}`);
      }
      // The wait is random() times the bound: 0 with random() = 0, nearly the full bound with ~1.
      assert.deepEqual((await run([0], 3)).asked, [0, 0, 0]);
      const high = await run([0.999], 3);
      assert.deepEqual(high.asked, [39, 79, 159]); // whole milliseconds, rounded down
      assert.ok(high.apart[2] >= 158, `random()~1 third delay ${high.apart[2]} (bound 160)`);
    } finally {
      Math.random = realRandom;
      globalThis.setTimeout = realSetTimeout;
    }
  });

  test("a batch not confirmed within 5 minutes is given up and counted as dropped", async () => {
    const realNow = Date.now;
    try {
      let shift = 0;
      Date.now = () => realNow() + shift;
      const { events, fetch, shipper } = setup({
        fetch: fakeFetch(() => {
          shift = 301_000; // the first attempt fails "5 minutes" before the retry
          return json(503, {});
        }),
        initialBackoffMs: 5,
      });
      events.withLabels("a").inc();
      await assert.rejects(shipper.flush(), (e) => e instanceof ObservabilityError && e.code === "RESOURCE_EXHAUSTED" && /not confirmed within 300000 ms/.test(e.message));
      assert.equal(fetch.calls.length, 1);
      assert.equal(shipper.stats().dropped, 1);
    } finally {
      Date.now = realNow;
    }
  });
});

describe("refusals and drops", () => {
  test("a 4xx refusal drops the batch for good, counted as rejected, flush rejects", async () => {
    const { events, fetch, shipper } = setup({
      fetch: fakeFetch((c, i) => (i === 0 ? json(400, { error: "undeclared_metric", message: "app_events_total: not declared" }) : applied())),
    });
    events.withLabels("a").inc();
    await assert.rejects(shipper.flush(), (e) => e instanceof ObservabilityError && e.code === "HTTP_400" && /undeclared_metric/.test(e.message));
    const s = shipper.stats();
    assert.deepEqual([s.sent, s.rejected, s.retries, s.accepted, s.bufferedBatches], [1, 1, 0, 0, 0]);
    assert.match(s.lastError, /400 undeclared_metric: app_events_total: not declared/);
    await shipper.flush(); // the next batch goes out (sequence 2) and is accepted
    assert.equal(header(fetch.calls[1].body).sequence, 2);
    assert.equal(shipper.stats().accepted, 1);
  });

  test("families the server skipped (deploy skew) are not shipped again; the batch counts as accepted", async () => {
    const skipped = { result: "applied", sequence: 1, skipped: [{ metric: "app_latency_seconds", reason: "bucket_mismatch", message: "…" }] };
    const { events, latency, fetch, shipper } = setup({ fetch: fakeFetch((c, i) => (i === 0 ? json(200, skipped) : applied())) });
    events.withLabels("a").inc();
    latency.withLabels("a").observe(0.2);
    await shipper.flush();
    assert.ok(text(fetch.calls[0].body).includes("app_latency_seconds"));
    assert.deepEqual([shipper.stats().accepted, shipper.stats().rejected, shipper.stats().skippedFamilies], [1, 0, 1]);
    events.withLabels("a").inc();
    latency.withLabels("a").observe(0.3);
    await shipper.flush();
    assert.ok(!text(fetch.calls[1].body).includes("app_latency_seconds"), "a skipped family was shipped again");
    assert.ok(text(fetch.calls[1].body).includes("app_events_total"));
    assert.equal(shipper.stats().skippedFamilies, 1);
  });

  test("a full buffer drops the oldest idle batch, counts it, and the next batches carry the count", async () => {
    const first = held();
    const { events, fetch, shipper } = setup({
      fetch: fakeFetch((c, i) => (i === 0 ? first.p : applied())),
      maxBufferBytes: 300,
    });
    const flushes = [];
    for (let i = 0; i < 6; i++) {
      events.withLabels(`e${i}`).inc();
      flushes.push(shipper.flush().then(() => "ok", (e) => e));
      await sleep(1);
    }
    const s = shipper.stats();
    assert.ok(s.dropped >= 2, `dropped ${s.dropped}`);
    assert.ok(s.bufferedBytes <= 300, `buffered ${s.bufferedBytes} bytes`);
    assert.equal(fetch.calls.length, 1, "one request in flight at a time");
    first.release();
    const outcomes = await Promise.all(flushes);
    // Each flush waits for every batch made before it: the first only for the batch in flight, the
    // others also for the second batch, the oldest idle one, dropped first.
    assert.equal(outcomes[0], "ok");
    for (const o of outcomes.slice(1)) assert.ok(o instanceof ObservabilityError && o.code === "RESOURCE_EXHAUSTED", String(o));
    const sent = fetch.calls.map((c) => header(c.body));
    assert.equal(sent[0].sequence, 1, "the batch in flight was never dropped");
    const sequences = sent.map((h) => h.sequence);
    assert.deepEqual(sequences, [...sequences].sort((a, b) => a - b), "in order");
    assert.equal(sequences.length + s.dropped, 6);
    await shipper.flush();
    assert.equal(header(fetch.calls.at(-1).body).dropped, s.dropped, "the running total of dropped batches in the header");
  });
});

describe("flush and stop", () => {
  test("flush resolves only once the server has confirmed", async () => {
    const answer = held();
    const { shipper } = setup({ fetch: fakeFetch(() => answer.p) });
    let done = false;
    const f = shipper.flush().then(() => (done = true));
    await sleep(20);
    assert.equal(done, false);
    answer.release();
    await f;
    assert.equal(done, true);
  });

  test("stop sends a final batch and waits for it; later calls do nothing", async () => {
    const { events, fetch, shipper } = setup();
    events.withLabels("a").inc();
    await shipper.stop();
    assert.equal(fetch.calls.length, 1);
    assert.equal(header(fetch.calls[0].body).final, true);
    assert.ok(text(fetch.calls[0].body).includes("app_events_total"));
    await shipper.stop();
    assert.equal(fetch.calls.length, 1);
    await assert.rejects(shipper.flush(), (e) => e.code === "FAILED_PRECONDITION");
  });

  test("stop is bounded by stopTimeoutMs", async () => {
    const { shipper } = setup({ fetch: fakeFetch(() => json(503, {})), stopTimeoutMs: 150, initialBackoffMs: 10 });
    const t0 = performance.now();
    await assert.rejects(shipper.stop(), (e) => e.code === "DEADLINE_EXCEEDED");
    assert.ok(performance.now() - t0 < 1000);
    assert.ok(shipper.stats().dropped >= 1);
  });
});

describe("page hide and unload (browser globals simulated)", () => {
  // A window (EventTarget) and a document with a visibilityState, on globalThis for one test.
  function fakePage() {
    const win = new EventTarget();
    const doc = new EventTarget();
    doc.visibilityState = "visible";
    globalThis.addEventListener = win.addEventListener.bind(win);
    globalThis.removeEventListener = win.removeEventListener.bind(win);
    globalThis.document = doc;
    cleanup.push(() => {
      delete globalThis.addEventListener;
      delete globalThis.removeEventListener;
      delete globalThis.document;
    });
    return {
      hide() {
        doc.visibilityState = "hidden";
        doc.dispatchEvent(new Event("visibilitychange"));
      },
      pagehide(persisted) {
        const e = new Event("pagehide");
        e.persisted = persisted;
        win.dispatchEvent(e);
      },
    };
  }

  test("visibilitychange to hidden sends what changed at once, with keepalive", async () => {
    const page = fakePage();
    const { events, fetch, shipper } = setup();
    events.withLabels("a").inc();
    page.hide();
    await sleep(10);
    assert.equal(fetch.calls.length, 1);
    assert.equal(fetch.calls[0].init.keepalive, true);
    assert.equal(fetch.calls[0].url, `https://example.test/metrics/ingest?glk_client=${shipper.clientId}`);
    assert.equal(header(fetch.calls[0].body).final, false);
  });

  test("pagehide sends every idle buffered batch within the 64 KiB keepalive budget, the last one final", async () => {
    const page = fakePage();
    const first = held();
    const { events, fetch, shipper } = setup({ fetch: fakeFetch((c, i) => (i === 0 ? first.p : applied())) });
    // ~150 KB of changes: three batches of up to 60 KiB.
    const label = "x".repeat(60);
    for (let i = 0; i < 2000; i++) events.withLabels(`${label}${i}`).inc();
    const f = shipper.flush().catch((e) => e);
    await sleep(10);
    assert.equal(fetch.calls.length, 1, "one request in flight");
    const big = fetch.calls[0].body.length;
    assert.ok(big > 40_000 && big <= 61_440, `first batch ${big} bytes`);
    assert.equal(shipper.stats().bufferedBatches, 3);
    page.pagehide(false);
    await sleep(10);
    // The first batch holds most of the budget: the other big ones stay buffered, the small final goes.
    assert.equal(fetch.calls.length, 2);
    const last = fetch.calls[1];
    assert.equal(last.init.keepalive, true);
    assert.equal(header(last.body).final, true);
    assert.equal(header(last.body).sequence, 4);
    first.release();
    assert.equal(await f, undefined);
    assert.deepEqual(fetch.calls.map((c) => header(c.body).sequence).sort(), [1, 2, 3, 4]);
    // The page stays (bfcache): the shipper made its final batch and makes no more.
    events.withLabels("late").inc();
    await shipper.flush();
    assert.equal(fetch.calls.length, 4);
  });

  test("what is recorded after the final batch, on the visibilitychange that follows pagehide, still goes", async () => {
    // Closing a visible tab: pagehide first, then visibilitychange -> hidden, where web-vitals reports
    // INP and CLS.
    const page = fakePage();
    const { events, fetch } = setup();
    events.withLabels("a").inc();
    page.pagehide(false);
    await sleep(10);
    assert.equal(fetch.calls.length, 1);
    assert.equal(header(fetch.calls[0].body).final, true);
    events.withLabels("late").inc();
    page.hide();
    await sleep(10);
    assert.equal(fetch.calls.length, 2);
    const late = fetch.calls[1];
    assert.equal(header(late.body).final, false); // the client ended already: the server keeps it ended
    assert.equal(header(late.body).sequence, 2);
    assert.equal(late.init.keepalive, true);
    assert.ok(text(late.body).includes("late"));
    // A further hide carries nothing already sent (only the gauges, which every batch holds).
    page.hide();
    await sleep(10);
    assert.equal(fetch.calls.length, 3);
    assert.ok(!text(fetch.calls[2].body).includes("events_total"));
    assert.ok(text(fetch.calls[2].body).includes("app_open_views"));
  });

  test("pagehide into the back/forward cache (persisted) is not final", async () => {
    const page = fakePage();
    const { fetch } = setup();
    page.pagehide(true);
    await sleep(10);
    assert.equal(fetch.calls.length, 1);
    assert.equal(header(fetch.calls[0].body).final, false);
  });
});

test("without fetch, batches go by navigator.sendBeacon (a queued beacon counts as confirmed)", async () => {
  const realFetch = globalThis.fetch;
  const hadNavigator = Object.getOwnPropertyDescriptor(globalThis, "navigator");
  const beacons = [];
  try {
    delete globalThis.fetch;
    Object.defineProperty(globalThis, "navigator", {
      value: { sendBeacon: (url, blob) => beacons.push({ url, blob }) > 0 },
      configurable: true,
    });
    // The client in the URL as with fetch (a beacon has no headers): after the url's own query, if any.
    for (const [url, query] of [["/ingest", "?"], ["/ingest?x=1", "?x=1&"]]) {
      beacons.length = 0;
      const registry = obs.newRegistry();
      registry.register(obs.newCounter({ name: "b_total", help: "h" })).inc();
      const shipper = obs.startShipping(registry, { url, intervalMs: HOUR });
      await shipper.flush();
      await shipper.stop();
      assert.equal(beacons.length, 2);
      for (const b of beacons) assert.equal(b.url, `/ingest${query}glk_client=${shipper.clientId}`);
      assert.equal(beacons[0].blob.type, "application/vnd.golivekit.metrics-batch");
      const last = new Uint8Array(await beacons[1].blob.arrayBuffer());
      assert.equal(header(last).final, true);
      assert.equal(shipper.stats().accepted, 2);
    }
  } finally {
    globalThis.fetch = realFetch;
    if (hadNavigator) Object.defineProperty(globalThis, "navigator", hadNavigator);
    else delete globalThis.navigator;
  }
});

test("a stopped shipper leaves nothing behind in the wasm heap", async () => {
  const before = obs.memoryStats().heapInUseBytes;
  const registry = obs.newRegistry();
  const c = registry.register(obs.newCounter({ name: "mem_total", help: "h", labels: ["k"] }));
  for (let i = 0; i < 3000; i++) c.withLabels(`${"k".repeat(40)}${i}`).inc(); // ~150 KB of batches
  const fetch = fakeFetch();
  const shipper = obs.startShipping(registry, { url: "/x", intervalMs: HOUR, fetch });
  await shipper.flush();
  assert.ok(fetch.calls.length >= 3);
  await shipper.stop();
  c.dispose();
  registry.dispose();
  const after = obs.memoryStats().heapInUseBytes;
  assert.ok(after - before < 8192, `heap in use ${before} -> ${after}`);
});

test("startShipping checks its arguments", () => {
  const registry = obs.newRegistry();
  assert.throws(() => obs.startShipping(registry, {}), TypeError);
  assert.throws(() => obs.startShipping({}, { url: "/x" }), TypeError);
});
