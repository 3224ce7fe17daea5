// Ships a registry's changes to the server as client batches (docs/wire-format.md): periodic batches,
// one request at a time and in order, retries with full-jitter exponential backoff honouring
// Retry-After, a bounded buffer that drops its oldest batch (counted, and the count travels in the next
// batches), and on page hide/unload everything buffered at once with keepalive.
//
// The delivery policy (docs/shipping.md) is the native shipper's too (native/src/shipper.cc): both run
// the scenarios of tests/fixtures/shipping_scenarios.json, so change the three together.
//
// Exactly once is the server's job (docs/merge.md): each batch carries (client id, sequence), so a
// batch is resent byte for byte until the server confirms it, and a duplicate is harmless.
import { BATCH_CONTENT_TYPE, CLIENT_ID_PARAM } from "./constants.js";
import { ObservabilityError } from "./errors.js";
import type { ResponseLike, Shipper, ShipperStats, ShippingOpts } from "./types.js";

/** What api.ts gives the shipper: one client's batch encoder over one registry. */
export interface BatchSource {
  id: string;
  /** The batches of what changed since the previous call (copies). */
  encode(final: boolean, dropped: number): Uint8Array[];
  /** Families never to ship again (the server skipped them: they do not match its declarations). */
  skip(names: string[]): void;
  free(): void;
}

interface Batch {
  bytes: Uint8Array; // the request's body
  t: number; // when it was made (Date.now())
  busy?: boolean; // a request with it is in flight
  // Settles the batch's outcome: undefined when the server confirmed it, else why it was lost.
  done: (e?: ObservabilityError) => void;
  p: Promise<ObservabilityError | undefined>;
}

type Timer = ReturnType<typeof setTimeout> & { unref?(): void; ref?(): void };

/** Starts shipping; `opts` has a url (api.ts checked, before it made `src`). */
export function ship(src: BatchSource, opts: ShippingOpts): Shipper {
  const g = globalThis as unknown as {
    fetch?: ShippingOpts["fetch"];
    navigator?: { sendBeacon?(url: string, body: Blob): boolean };
    document?: Document;
    addEventListener?: typeof addEventListener;
    removeEventListener?: typeof removeEventListener;
  };
  // The defaults of docs/shipping.md (ShipperOpts in native/include/golivekit/observability/shipper.h),
  // written here once (a named constant each would be a declaration more in every page). The largest
  // batch age is half the server's default client_ttl: never resend older batches.
  const {
    url: base,
    intervalMs = 15_000,
    maxBufferBytes = 262_144, // 256 KiB
    initialBackoffMs = 1000,
    maxBackoffMs = 30_000,
    maxBatchAgeMs = 300_000,
  } = opts;
  // Every request (fetch, keepalive or beacon) names the client in its URL: a load balancer can route
  // on it, so that retries and the final batch reach the instance that holds the client's state
  // (docs/shipping.md#affinity). A query parameter: a beacon carries no headers.
  const url = base + (base.includes("?") ? "&" : "?") + CLIENT_ID_PARAM + "=" + src.id;
  const fetchFn = opts.fetch ?? g.fetch;
  const headers = { "content-type": BATCH_CONTENT_TYPE, ...opts.headers };
  const s: ShipperStats = {
    batches: 0, sent: 0, accepted: 0, duplicate: 0, rejected: 0, dropped: 0, retries: 0, skippedFamilies: 0,
    bufferedBatches: 0, bufferedBytes: 0,
  };
  const queue: Batch[] = [];
  let keepaliveBytes = 0; // bodies of keepalive requests in flight
  let failures = 0; // retryable failures since the server last answered (the backoff exponent)
  let retryTimer: Timer | undefined;
  // Flags, false until set (undefined: no initializer to ship).
  let ended: boolean | undefined; // a final batch was made (stop, or the page went away)
  let stopping: boolean | undefined; // stop() was called
  let closed: boolean | undefined; // stop() finished: the encoder is freed
  // flush() and stop() calls waiting: while there are any, a retry keeps a Node process alive.
  let waiting = 0;

  // Calls fn after ms; unless someone waits, without keeping a Node process alive.
  const later = (fn: () => void, ms: number): Timer => {
    const t: Timer = setTimeout(fn, ms);
    if (!waiting) t.unref?.();
    return t;
  };

  // What a browser lets keepalive requests carry in total: whether `b` fits beside those in flight.
  const fitsKeepalive = (b: Batch) => keepaliveBytes + b.bytes.length <= 65536;
  const bufferedBytes = () => queue.reduce((n, b) => n + b.bytes.length, 0);

  const remove = (b: Batch, e?: ObservabilityError): void => {
    queue.splice(queue.indexOf(b) >>> 0, 1); // not queued: -1 >>> 0 is past the end, and nothing goes
    if (e) s.lastError = e.message;
    b.done(e);
  };

  const drop = (b: Batch, why: string): void => {
    s.dropped++;
    remove(b, new ObservabilityError("RESOURCE_EXHAUSTED", `batch dropped: ${why}`));
  };

  // Encodes what changed into the buffer; the oldest idle batches go when it is over its bound.
  // Returns the batches buffered before and the new ones (those a flush waits for).
  // `late`: the page has ended, but reports arrive after its final batch (INP and CLS are reported on
  // visibilitychange, which follows pagehide when a visible tab is closed): what changed still goes.
  // Such a batch need not be final: the server ignores gauges of a client that ended.
  const encode = (final: boolean, late?: boolean): Batch[] => {
    if (closed || (ended && !late)) return queue.slice();
    ended ||= final;
    let bodies: Uint8Array[] = [];
    try {
      bodies = src.encode(final, s.dropped);
    } catch (e) {
      s.lastError = String((e as Error)?.message ?? e); // a disposed registry, say
    }
    for (const bytes of bodies) {
      const b = { bytes, t: Date.now() } as Batch;
      b.p = new Promise((r) => (b.done = r));
      queue.push(b);
      s.batches++;
    }
    const all = queue.slice(); // nothing left the queue yet: those buffered before, then the new ones
    let bytes = bufferedBytes();
    for (const b of all) {
      if (bytes > maxBufferBytes && !b.busy) {
        bytes -= b.bytes.length;
        drop(b, `buffer full (${maxBufferBytes} bytes)`);
      }
    }
    return all;
  };

  // One request; settles the batch (confirmed, rejected) or leaves it queued for a retry, whose
  // delay it returns (-1: no retry needed).
  const send = async (b: Batch): Promise<number> => {
    b.busy = true;
    s.sent++;
    // What it adds to keepaliveBytes while in flight; 0 when it does not fit: then not keepalive (a batch
    // is never empty).
    const n = fitsKeepalive(b) ? b.bytes.length : 0;
    keepaliveBytes += n;
    let status = 0;
    let wait: number | undefined; // the server's Retry-After in ms, where it gave one
    let info: { result?: unknown; error?: unknown; message?: unknown; skipped?: unknown } = {};
    try {
      if (fetchFn) {
        const res: ResponseLike = await fetchFn(url, { method: "POST", body: b.bytes, headers, keepalive: n > 0 });
        status = res.status;
        // Retry-After: delta-seconds (at most 9 digits) or an HTTP-date; NaN when absent or unreadable
        // (Date.parse gives NaN for undefined and ""), negative when past: then it asks for no wait.
        const retryAfter = res.headers?.get("retry-after")?.trim();
        wait = /^\d{1,9}$/.test(retryAfter!) ? Number(retryAfter) * 1000 : Date.parse(retryAfter!) - Date.now();
        info = ((await res.json?.().catch(() => 0)) || {}) as typeof info;
      } else {
        // No fetch (old browsers): a beacon. No headers, no answer: queued counts as confirmed.
        status = g.navigator?.sendBeacon?.(url, new Blob([b.bytes as BlobPart], { type: BATCH_CONTENT_TYPE })) ? 200 : 0;
      }
    } catch (e) {
      s.lastError = `${base}: ${(e as Error)?.message ?? e}`; // network error, CORS refusal
    } finally {
      keepaliveBytes -= n;
      b.busy = false;
    }
    const http = `HTTP ${status}${info.error ? ` ${info.error}` : ""}`;
    if (status >= 200 && status < 300) {
      // The server answered: the backoff starts over. A duplicate is delivered too (the server had it:
      // the answer to an earlier attempt was lost), and counted apart.
      failures = 0;
      if (info.result === "duplicate") s.duplicate++;
      else s.accepted++;
      stopSendingSkipped(info.skipped);
      remove(b);
      return -1;
    }
    if (status && status !== 408 && status !== 429 && status < 500) {
      failures = 0;
      s.rejected++;
      remove(
        b,
        new ObservabilityError(`HTTP_${status}`, `batch rejected with ${http}${info.message ? `: ${info.message}` : ""}`),
      );
      return -1;
    }
    if (status) s.lastError = http;
    s.retries++;
    // The wait before the retry (docs/shipping.md): full jitter under a bound doubling per consecutive
    // failure, never sooner than the server's Retry-After, never longer than the largest backoff.
    const jittered = Math.floor(Math.random() * Math.min(maxBackoffMs, initialBackoffMs * 2 ** failures++));
    // (An absent or unreadable Retry-After makes NaN here, a past one a negative wait: no wait asked.)
    return Math.max(jittered, Math.min(wait!, maxBackoffMs) || 0);
  };

  // Families the server left out of an applied batch (deploy skew: not what it declares) are not sent
  // again; the rest of the batch was applied.
  const skippedNames = new Set<string>();
  const stopSendingSkipped = (skipped: unknown): void => {
    if (!Array.isArray(skipped) || closed) return;
    const names = skipped
      .map((f) => (f as { metric?: unknown } | null)?.metric)
      .filter((m): m is string => typeof m === "string" && !skippedNames.has(m));
    for (const m of names) skippedNames.add(m);
    if (!names.length) return;
    s.skippedFamilies += names.length;
    src.skip(names);
  };

  // After a request: the next one now, or after the retry delay.
  const next = (delay: number): void => {
    if (delay < 0) pump();
    else if (!retryTimer) {
      retryTimer = later(() => {
        retryTimer = undefined;
        pump();
      }, delay);
    }
  };

  // Sends the oldest batch unless one is already on its way or a retry is pending.
  let pumping: boolean | undefined;
  const pump = (): void => {
    if (pumping || retryTimer || closed) return;
    while (queue[0] && Date.now() - queue[0].t > maxBatchAgeMs) drop(queue[0], `not confirmed within ${maxBatchAgeMs} ms`);
    const b = queue[0];
    if (!b || b.busy) return;
    pumping = true;
    void send(b).then((delay) => {
      pumping = false;
      next(delay);
    });
  };

  // The page is going away (or may be, once hidden): everything not in flight, now, with keepalive.
  // At most 32 at once: they may arrive in any order, and the server's replay window is 64 sequences.
  const sendAll = (final: boolean, late?: boolean): void => {
    encode(final, late);
    let n = 0;
    for (const b of queue) {
      if (!b.busy && n < 32 && fitsKeepalive(b)) {
        n++;
        void send(b).then(next);
      }
    }
  };

  const onVisibility = () => {
    if (g.document?.visibilityState === "hidden") sendAll(false, ended && !stopping);
  };
  const onPageHide = (e: Event) => sendAll(!(e as PageTransitionEvent).persisted);
  // Adds the two listeners, or removes them once the shipper stops.
  const listen = (how: "addEventListener" | "removeEventListener") => {
    g.document?.[how]("visibilitychange", onVisibility);
    g[how]?.("pagehide", onPageHide);
  };
  listen("addEventListener");

  // A batch of what changed (the final one: stop()), sent unless one is on its way.
  const tick = (final = false) => {
    const all = encode(final);
    pump();
    return all;
  };
  const interval = setInterval(tick, intervalMs);
  (interval as { unref?: () => void }).unref?.();

  // Resolves when all these batches are confirmed; rejects with why one was lost.
  const settle = async (batches: Batch[]): Promise<void> => {
    waiting++;
    retryTimer?.ref?.();
    try {
      for (const e of await Promise.all(batches.map((b) => b.p))) if (e) throw e;
    } finally {
      if (!--waiting) retryTimer?.unref?.();
    }
  };

  return {
    clientId: src.id,
    flush() {
      if (stopping) return Promise.reject(new ObservabilityError("FAILED_PRECONDITION", "the shipper was stopped"));
      return settle(tick());
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(interval);
      listen("removeEventListener");
      const pending = tick(true);
      const stopTimeoutMs = opts.stopTimeoutMs ?? 5000;
      let timer: Timer | undefined;
      try {
        await Promise.race([
          settle(pending),
          new Promise((_, reject) => {
            const deadline = () =>
              reject(new ObservabilityError("DEADLINE_EXCEEDED", `${queue.length} batch(es) not confirmed within ${stopTimeoutMs} ms`));
            timer = later(deadline, stopTimeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
        clearTimeout(retryTimer);
        closed = true;
        for (const b of queue.slice()) if (!b.busy) drop(b, "the shipper stopped");
        src.free();
      }
    },
    stats: () => ({ ...s, bufferedBatches: queue.length, bufferedBytes: bufferedBytes() }),
  };
}
