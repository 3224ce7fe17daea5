// Browser stand-in for Node's `process`, for bundling prom-client: only what its modules touch when
// they are loaded (processStartTime, version, defaultMetrics) and what Histogram#startTimer uses.
// It is bound to the free identifier `process` inside the bundle only (esbuild `inject`), never to
// globalThis.process, so @golivekit/observability still sees a browser.
"use strict";
const t0 = performance.now();
function hrtime(prev) {
  const ms = performance.now();
  let s = Math.floor(ms / 1000);
  let ns = Math.round((ms % 1000) * 1e6);
  if (prev) {
    s -= prev[0];
    ns -= prev[1];
    if (ns < 0) {
      s -= 1;
      ns += 1e9;
    }
  }
  return [s, ns];
}
hrtime.bigint = () => BigInt(Math.round(performance.now() * 1e6));
module.exports = {
  env: { NODE_ENV: "production" },
  version: "v0.0.0-browser",
  versions: {},
  platform: "browser",
  pid: 0,
  argv: [],
  hrtime,
  uptime: () => (performance.now() - t0) / 1000,
  cpuUsage: () => ({ user: 0, system: 0 }),
  memoryUsage: () => ({ rss: 0, heapTotal: 0, heapUsed: 0, external: 0 }),
  nextTick: (fn, ...args) => queueMicrotask(() => fn(...args)),
  on() {},
  send: undefined,
};
