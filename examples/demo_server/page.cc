#include "page.h"

namespace demo {

std::string_view PageHtml() {
  static constexpr std::string_view kPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GoliveKit observability demo</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d2330; }
  h1 { font-size: 1.4rem; margin-bottom: .2rem; }
  .sub { color: #5b6475; margin-top: 0; }
  .grid { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
  .card { border: 1px solid #d7dbe3; border-radius: 8px; padding: 1rem; }
  .card h2 { font-size: 1rem; margin: 0 0 .6rem; }
  .counter .value { font-size: 3rem; font-weight: 600; }
  .counter p, .presence p { margin: .2rem 0; color: #5b6475; }
  .presence ul { margin: .3rem 0; padding-left: 1.2rem; }
  button { font: inherit; padding: .35rem .9rem; margin: .2rem .2rem 0 0; border-radius: 6px; border: 1px solid #b9c0cc; background: #f5f7fa; cursor: pointer; }
  button.danger { border-color: #d9534f; color: #b52b27; }
  #log { font: 12px/1.4 ui-monospace, monospace; height: 12rem; overflow: auto; background: #f5f7fa; padding: .5rem; border-radius: 6px; margin: 0; }
  #metrics { font: 12px/1.35 ui-monospace, monospace; max-height: 20rem; overflow: auto; background: #f5f7fa; padding: .5rem; border-radius: 6px; margin: 0; }
  #status.bad { color: #b52b27; }
  a { color: #2459c7; }
</style>
</head>
<body>
<h1>GoliveKit observability demo</h1>
<p class="sub">A LiveView-style counter. Every click is an event handled on the server: rendered, diffed,
published to the room and delivered to every tab in it, and measured in
<a href="/metrics" target="_blank">/metrics</a>. <span id="status">connecting&hellip;</span></p>

<div class="grid">
  <div class="card">
    <h2>Counter <small id="room"></small></h2>
    <div id="c-counter">&hellip;</div>
    <div>
      <button data-event="inc">+1</button>
      <button data-event="dec">&minus;1</button>
      <button data-event="reset">reset</button>
      <button data-event="save" title="a simulated 2-40 ms database write">save</button>
      <button data-event="boom" class="danger" title="a handler that fails: golivekit_errors_total">boom</button>
    </div>
  </div>
  <div class="card">
    <h2>Presence <small id="user"></small></h2>
    <div id="c-presence">&hellip;</div>
    <p class="sub">Open this page in another tab (or <a href="/?room=lobby" target="_blank">here</a>) to see
    diffs delivered through PubSub. Simulated users play in rooms <a href="/?room=sim-a">sim-a</a> and
    <a href="/?room=sim-b">sim-b</a>.</p>
  </div>
  <div class="card">
    <h2>Messages</h2>
    <pre id="log"></pre>
  </div>
  <div class="card">
    <h2>Metrics (from /metrics, every 2 s)</h2>
    <pre id="metrics"></pre>
  </div>
</div>

<script>
"use strict";
const params = new URLSearchParams(location.search);
const room = params.get("room") || "lobby";
const name = params.get("name") || "";
const state = { session: null, html: {}, generation: 0 };
const $ = (id) => document.getElementById(id);

function log(text) {
  const el = $("log");
  el.textContent = (new Date().toLocaleTimeString() + "  " + text + "\n" + el.textContent).slice(0, 6000);
}
function setStatus(text, bad) { $("status").textContent = text; $("status").className = bad ? "bad" : ""; }
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function apply(reply) {
  for (const m of reply.messages || []) {
    const size = JSON.stringify(m).length;
    if (m.kind === "render") {
      for (const [c, html] of Object.entries(m.components)) { state.html[c] = html; $("c-" + c).innerHTML = html; }
      log("render  " + size + " B");
    } else if (m.kind === "diff") {
      const prev = state.html[m.component] || "";
      const next = prev.slice(0, m.p) + m.i + prev.slice(prev.length - m.s);
      state.html[m.component] = next;
      $("c-" + m.component).innerHTML = next;
      log("diff    " + m.component + "  " + size + " B (full render " + next.length + " B)");
    } else if (m.kind === "error") {
      log("error   " + m.reason);
    }
  }
  if (reply.closed) reconnect("closed by the server");
}

async function connect() {
  const generation = ++state.generation;
  for (;;) {
    try {
      const c = await fetch("/live/connect?room=" + encodeURIComponent(room) + "&name=" + encodeURIComponent(name));
      const cj = await c.json();
      if (!c.ok) throw new Error(cj.detail || c.status);
      const j = await fetch("/live/join?session=" + cj.session, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ kind: "join", component: "counter" }),
      });
      if (!j.ok) throw new Error("join: " + j.status);
      state.session = cj.session;
      $("room").textContent = "room " + cj.room;
      $("user").textContent = "you are " + cj.user;
      setStatus("connected.");
      apply(await j.json());
      poll(generation);
      return;
    } catch (e) {
      setStatus("not connected (" + e.message + "), retrying…", true);
      await sleep(2000);
    }
  }
}

function reconnect(why) {
  if (!state.session) return;
  log("reconnect: " + why);
  state.session = null;
  connect();
}

async function poll(generation) {
  while (state.session && generation === state.generation) {
    try {
      const r = await fetch("/live/poll?wait=25&session=" + state.session);
      if (r.status === 404) { reconnect("session expired"); return; }
      apply(await r.json());
    } catch (e) {
      setStatus("connection lost, retrying…", true);
      await sleep(1000);
    }
  }
}

async function send(type) {
  if (!state.session) return;
  const r = await fetch("/live/event?type=" + type + "&session=" + state.session, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ kind: "event", type, component: "counter" }),
  });
  if (r.status === 404) { reconnect("session expired"); return; }
  apply(await r.json());
}

document.querySelectorAll("button[data-event]").forEach((b) => b.addEventListener("click", () => send(b.dataset.event)));
addEventListener("pagehide", () => {
  if (state.session) navigator.sendBeacon("/live/disconnect?session=" + state.session, JSON.stringify({ kind: "leave" }));
});

const shown = ["golivekit_active_connections", "golivekit_connections_total", "golivekit_presence_count",
  "golivekit_component_instances", "golivekit_errors_total", "golivekit_pubsub_messages_total", "golivekit_messages_total"];
async function refreshMetrics() {
  try {
    const q = shown.map((n) => "name[]=" + n).join("&");
    const r = await fetch("/metrics?" + q, { headers: { Accept: "text/plain" } });
    $("metrics").textContent = (await r.text()).split("\n").filter((l) => l && !l.startsWith("#")).join("\n");
  } catch (e) { /* the server is gone: the status line says so */ }
}
setInterval(refreshMetrics, 2000);
refreshMetrics();
connect();
</script>
</body>
</html>
)html";
  return kPage;
}

}  // namespace demo
