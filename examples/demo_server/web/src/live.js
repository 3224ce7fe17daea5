// The demo's LiveView client over demo_server's /live/* routes (examples/demo_server/routes.h):
// connect, join the room's view, send events, long-poll for the diffs other tabs cause, leave on
// pagehide. Messages are {"kind":"render"|"diff"|"error",...}; a diff replaces the middle of the
// component's last HTML: keep `p` characters at the start and `s` at the end, insert `i` between.
//
// The client knows nothing about metrics: it reports what happens through `hooks` (all optional):
//   log(text)                      a line for the message log
//   status(text, bad)              the connection status
//   connected({ room, user })      the session is open and joined
//   joined(bool)                   the view is mounted (true) or gone (false)
//   message(direction, bytes)      a message "sent" or "received", with its size in bytes (UTF-8 JSON)
//   applied(component, seconds)    a render or diff written to the DOM, and how long that took
//   error(type, detail)            "network" (fetch failed), "http" (an unexpected status), "server"
//                                  (an error message from the server, e.g. a failing handler)
//   eventSent(type)                a user event is on its way
//   eventDone(type, seconds)       its reply is applied to the page (seconds since eventSent)

const encoder = new TextEncoder();
const byteLength = (text) => encoder.encode(text).length;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class LiveClient {
  /**
   * @param {object} options
   * @param {string} options.room the room to join ("lobby" if empty)
   * @param {string} [options.name] the user name (the server picks a guest name if empty)
   * @param {(component: string) => Element | null} options.target where a component's HTML goes
   * @param {object} [options.hooks] see the top of this file
   */
  constructor({ room, name = "", target, hooks = {} }) {
    this.room = room || "lobby";
    this.name = name;
    this.target = target;
    this.hooks = hooks;
    this.session = null;
    this.html = {};
    this.generation = 0;
    this.stopped = false;
  }

  #hook(name, ...args) {
    const fn = this.hooks[name];
    if (fn) fn(...args);
  }

  /** Connects and joins, retrying every 2 s until it works; then long-polls in the background. */
  async start() {
    const generation = ++this.generation;
    while (!this.stopped && generation === this.generation) {
      try {
        const query = `room=${encodeURIComponent(this.room)}&name=${encodeURIComponent(this.name)}`;
        const info = await this.#request("GET", `/live/connect?${query}`);
        if (!info.ok) throw this.#httpError(`connect: HTTP ${info.status} ${info.body?.detail ?? ""}`);
        const session = info.body.session;
        const join = await this.#request("POST", `/live/join?session=${session}`, { kind: "join", component: "counter" });
        if (!join.ok) throw this.#httpError(`join: HTTP ${join.status}`);
        this.session = session;
        this.#hook("connected", { room: info.body.room, user: info.body.user });
        this.#hook("status", "connected.", false);
        this.#hook("joined", true);
        this.#apply(join.body);
        this.#poll(generation);
        return;
      } catch (e) {
        this.#hook("status", `not connected (${e.message}), retrying…`, true);
        await sleep(2000);
      }
    }
  }

  /**
   * Sends one event ("inc", "dec", "reset", "save", "boom") and applies the reply. Resolves once the
   * reply is on the page (or the event failed); false if there is no session to send it on.
   */
  async send(type) {
    if (!this.session) return false;
    const t0 = performance.now();
    this.#hook("eventSent", type);
    try {
      const reply = await this.#request("POST", `/live/event?type=${encodeURIComponent(type)}&session=${this.session}`, {
        kind: "event",
        type,
        component: "counter",
      });
      if (reply.status === 404) {
        this.#reconnect("session expired");
        return true;
      }
      this.#apply(reply.body);
      // A failing handler answers 500 with an error message (counted by #apply as "server").
      if (!reply.ok && !reply.body?.messages?.length) this.#hook("error", "http", `event ${type}: HTTP ${reply.status}`);
      this.#hook("eventDone", type, (performance.now() - t0) / 1000);
    } catch (e) {
      this.#hook("status", `event ${type} failed (${e.message})`, true);
    }
    return true;
  }

  /** Leaves (for pagehide): a beacon, which outlives the page. */
  leave() {
    this.stopped = true;
    if (!this.session) return;
    const body = JSON.stringify({ kind: "leave" });
    this.#hook("message", "sent", byteLength(body));
    navigator.sendBeacon(`/live/disconnect?session=${this.session}`, body);
    this.session = null;
    this.#hook("joined", false);
  }

  // One request; JSON body in and out. Resolves to { ok, status, body } (body: parsed JSON or null).
  async #request(method, url, message) {
    const init = { method, headers: {} };
    if (message !== undefined) {
      init.body = JSON.stringify(message);
      init.headers["content-type"] = "application/json";
      this.#hook("message", "sent", byteLength(init.body));
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch (e) {
      if (!this.stopped) this.#hook("error", "network", `${method} ${url.split("?")[0]}: ${e.message}`);
      throw e;
    }
    let body = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    return { ok: res.ok, status: res.status, body };
  }

  #httpError(detail) {
    this.#hook("error", "http", detail);
    return new Error(detail);
  }

  #write(component, html) {
    this.html[component] = html;
    const el = this.target(component);
    if (!el) return;
    const t0 = performance.now();
    el.innerHTML = html;
    this.#hook("applied", component, (performance.now() - t0) / 1000);
  }

  #apply(reply) {
    for (const m of reply?.messages ?? []) {
      const size = byteLength(JSON.stringify(m));
      this.#hook("message", "received", size);
      if (m.kind === "render") {
        for (const [component, html] of Object.entries(m.components)) this.#write(component, html);
        this.#hook("log", `render  ${size} B`);
      } else if (m.kind === "diff") {
        const prev = this.html[m.component] ?? "";
        const next = prev.slice(0, m.p) + m.i + prev.slice(prev.length - m.s);
        this.#write(m.component, next);
        this.#hook("log", `diff    ${m.component}  ${size} B (full render ${next.length} B)`);
      } else if (m.kind === "error") {
        this.#hook("error", "server", m.reason);
        this.#hook("log", `error   ${m.reason}`);
      }
    }
    if (reply?.closed) this.#reconnect("closed by the server");
  }

  #reconnect(why) {
    if (!this.session || this.stopped) return;
    this.#hook("log", `reconnect: ${why}`);
    this.session = null;
    this.#hook("joined", false);
    this.start();
  }

  async #poll(generation) {
    while (this.session && generation === this.generation && !this.stopped) {
      try {
        const reply = await this.#request("GET", `/live/poll?wait=25&session=${this.session}`);
        if (this.stopped) return;
        if (reply.status === 404) {
          this.#reconnect("session expired");
          return;
        }
        if (!reply.ok) {
          this.#hook("error", "http", `poll: HTTP ${reply.status}`);
          await sleep(1000);
          continue;
        }
        this.#apply(reply.body);
      } catch {
        if (this.stopped) return;
        this.#hook("status", "connection lost, retrying…", true);
        await sleep(1000);
      }
    }
  }
}
