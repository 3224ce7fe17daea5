// The dashboard: scrapes /metrics every 2 s (?every=<ms> to change it; ?window=<s>: how much the
// charts show, default 120), keeps the last few minutes in
// memory and draws the server's series next to those the browsers shipped (merged by the server):
// event rates, event latency p95, render p95, open views, and the Web Vitals split. Only this page's
// memory holds the history: reload it and it starts over. window.__dashboard is for tests.
import { drawVitals, formatNumber, formatSeconds, LineChart } from "./chart.js";
import { countAtMost, histogram, histogramDelta, parseExposition, quantile, sum } from "./prom.js";

const params = new URLSearchParams(location.search);
const EVERY_MS = Math.max(250, Number(params.get("every")) || 2000);
const WINDOW_S = Math.max(10, Number(params.get("window")) || 120); // what the charts show
const RATE_WINDOW_MS = 10_000; // rates over the last 10 s: browsers ship every few seconds, not every scrape
const QUANTILE_WINDOW_MS = 30_000; // p95 over the last 30 s, as histogram_quantile over rate(...[30s]) would
const KEEP_MS = (WINDOW_S + 60) * 1000;
const SERVER = "#2459c7";
const BROWSER = "#d9731f";

const $ = (id) => document.getElementById(id);

const charts = {
  rate: new LineChart($("chart-rate"), {
    title: "Events per second, over 10 s",
    series: [
      { label: "server: events handled (incl. simulated users)", color: SERVER },
      { label: "browsers: events sent", color: BROWSER },
    ],
    windowSeconds: WINDOW_S,
  }),
  latency: new LineChart($("chart-latency"), {
    title: "Event latency, p95 over 30 s",
    series: [
      { label: "server: handling", color: SERVER },
      { label: "browsers: click → page updated", color: BROWSER },
    ],
    format: formatSeconds,
    windowSeconds: WINDOW_S,
  }),
  render: new LineChart($("chart-render"), {
    title: "Render, p95 over 30 s",
    series: [
      { label: "server: render a component", color: SERVER },
      { label: "browsers: apply it to the DOM", color: BROWSER },
    ],
    format: formatSeconds,
    windowSeconds: WINDOW_S,
  }),
  views: new LineChart($("chart-views"), {
    title: "Open views",
    series: [
      { label: "server: connections (incl. simulated users)", color: SERVER },
      { label: "browsers: open views", color: BROWSER },
    ],
    windowSeconds: WINDOW_S,
  }),
};

// The Web Vitals and their web.dev thresholds (good <= first, poor > second).
const VITALS = [
  { name: "LCP", metric: "golivekit_client_web_vitals_lcp_seconds", good: 2.5, poor: 4, format: formatSeconds },
  { name: "INP", metric: "golivekit_client_web_vitals_inp_seconds", good: 0.2, poor: 0.5, format: formatSeconds },
  { name: "CLS", metric: "golivekit_client_web_vitals_cls", good: 0.1, poor: 0.25, format: (v) => v.toFixed(3) },
  { name: "FCP", metric: "golivekit_client_web_vitals_fcp_seconds", good: 1.8, poor: 3, format: formatSeconds },
  { name: "TTFB", metric: "golivekit_client_web_vitals_ttfb_seconds", good: 0.8, poor: 1.8, format: formatSeconds },
];

// One entry per scrape: what the charts need from it.
const history = [];
const state = { polls: 0, failures: 0, lastError: null, points: {}, vitals: {} };
window.__dashboard = state;

function snapshot(scrape, t) {
  return {
    t,
    serverEvents: sum(scrape, "golivekit_event_latency_seconds_count"),
    clientEvents: sum(scrape, "golivekit_client_events_total"),
    serverLatency: histogram(scrape, "golivekit_event_latency_seconds"),
    clientLatency: histogram(scrape, "golivekit_client_event_latency_seconds"),
    serverRender: histogram(scrape, "golivekit_render_latency_seconds"),
    clientRender: histogram(scrape, "golivekit_client_render_seconds"),
    serverViews: sum(scrape, "golivekit_active_connections"),
    clientViews: sum(scrape, "golivekit_client_open_views"),
  };
}

// Per second between two scrapes; null across a reset (the server restarted) or a missing series.
function rate(now, before, key) {
  if (!before || now[key] === null || before[key] === null) return null;
  const d = now[key] - before[key];
  return d >= 0 ? d / ((now.t - before.t) / 1000) : null;
}

// p95 of what a histogram observed since the scrape `before`; null if it observed nothing.
function p95(now, before, key) {
  const d = histogramDelta(now[key], before?.[key]);
  return d && d.count > 0 ? quantile(0.95, d) : null;
}

function series() {
  const out = { rate: [], latency: [], render: [], views: [] };
  // The latest scrape at least `ms` before scrape i (the oldest there is, early on); null for the first.
  const before = (i, ms) => {
    let found = null;
    for (let k = i - 1; k >= 0; k--) {
      found = history[k];
      if (found.t <= history[i].t - ms) break;
    }
    return found;
  };
  history.forEach((s, i) => {
    const prev = before(i, RATE_WINDOW_MS);
    const base = before(i, QUANTILE_WINDOW_MS);
    if (prev) out.rate.push({ t: s.t, values: [rate(s, prev, "serverEvents"), rate(s, prev, "clientEvents")] });
    if (base) {
      out.latency.push({ t: s.t, values: [p95(s, base, "serverLatency"), p95(s, base, "clientLatency")] });
      out.render.push({ t: s.t, values: [p95(s, base, "serverRender"), p95(s, base, "clientRender")] });
    }
    out.views.push({ t: s.t, values: [s.serverViews, s.clientViews] });
  });
  return out;
}

function drawTiles(scrape) {
  const tiles = [
    ["client batches applied", sum(scrape, "golivekit_client_ingest_batches_total", { result: "applied" })],
    ["client batches rejected", sum(scrape, "golivekit_client_ingest_batches_total", { result: "rejected" })],
    ["live browser clients", sum(scrape, "golivekit_client_ingest_clients", { state: "live" })],
    ["browser events", sum(scrape, "golivekit_client_events_total")],
    ["browser errors", sum(scrape, "golivekit_client_errors_total")],
    ["server errors", sum(scrape, "golivekit_errors_total")],
  ];
  const el = $("tiles");
  el.replaceChildren(
    ...tiles.map(([k, v]) => {
      const tile = document.createElement("div");
      tile.className = "tile";
      const value = document.createElement("div");
      value.className = "v";
      value.textContent = v === null ? "–" : formatNumber(v);
      const key = document.createElement("div");
      key.className = "k";
      key.textContent = k;
      tile.append(value, key);
      return tile;
    }),
  );
}

function drawVitalsChart(scrape) {
  const rows = VITALS.map((v) => {
    const h = histogram(scrape, v.metric);
    const count = h?.count ?? 0;
    state.vitals[v.name] = count;
    if (!count) return { name: v.name, count: 0 };
    const good = countAtMost(h, v.good);
    const notPoor = countAtMost(h, v.poor);
    const p75 = quantile(0.75, h);
    return { name: v.name, count, p75: p75 === null ? "–" : v.format(p75), good, ni: notPoor - good, poor: count - notPoor };
  });
  drawVitals($("chart-vitals"), rows);
}

function redraw(scrape) {
  const now = Date.now();
  const s = series();
  for (const [name, chart] of Object.entries(charts)) {
    chart.draw(s[name], now);
    state.points[name] = chart.series.map((_, i) => s[name].filter((p) => p.values[i] !== null).length);
  }
  if (scrape) {
    drawTiles(scrape);
    drawVitalsChart(scrape);
  }
}

let lastScrape = null;
async function poll() {
  const t = Date.now();
  try {
    const res = await fetch("/metrics", { cache: "no-store", headers: { accept: "text/plain" } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    lastScrape = parseExposition(await res.text());
    history.push(snapshot(lastScrape, t));
    while (history.length && history[0].t < t - KEEP_MS) history.shift();
    state.polls++;
    $("status").textContent = `last scrape ${new Date(t).toLocaleTimeString()}.`;
    $("status").className = "";
  } catch (e) {
    state.failures++;
    state.lastError = String(e?.message ?? e);
    $("status").textContent = `cannot scrape /metrics (${state.lastError}); retrying.`;
    $("status").className = "bad";
  }
  redraw(lastScrape);
}

$("every").textContent = String(EVERY_MS / 1000);
addEventListener("resize", () => redraw(lastScrape));
poll();
setInterval(poll, EVERY_MS);
