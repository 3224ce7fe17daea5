// Client ids come from Web Crypto. Node 18 (Debian 12's) has no global `crypto` in ES modules, only
// node:crypto's webcrypto: the package must find that one. Each case runs in a child Node whose global
// `crypto` is removed before the package loads, as on Node 18, whatever Node runs the tests.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";

const DIST = new URL("../../dist/index.js", import.meta.url).href;

// Runs `body` (an ES module's text, after the package is imported as `obs`) without a global crypto;
// `noNodeCrypto`: where node:crypto cannot be imported either (a browser, say).
function withoutGlobalCrypto(body, { noNodeCrypto = false } = {}) {
  const refuseNodeCrypto = `export async function resolve(s, c, next) {
    if (s === "node:crypto") throw new Error("no node:crypto here");
    return next(s, c);
  }`;
  const program = `
    ${noNodeCrypto ? `(await import("node:module")).register("data:text/javascript,${encodeURIComponent(refuseNodeCrypto)}");` : ""}
    delete globalThis.crypto;
    if (typeof globalThis.crypto !== "undefined") throw new Error("could not remove the global crypto");
    const { loadObservability } = await import(${JSON.stringify(DIST)});
    const obs = await loadObservability();
    ${body}`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", program], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, `child node failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout.trim();
}

describe("client ids without a global crypto (as on Node 18)", () => {
  test("startShipping gets a random id from node:crypto and ships", () => {
    const out = withoutGlobalCrypto(`
      const registry = obs.newRegistry();
      registry.register(obs.newCounter({ name: "clicks_total", help: "c" })).inc();
      const bodies = [];
      const fetch = async (_url, init) => { bodies.push(init.body); return new Response('{"result":"applied"}', { status: 200 }); };
      const a = obs.startShipping(registry, { url: "http://127.0.0.1:9/ingest", intervalMs: 3600000, fetch });
      const b = obs.startShipping(registry, { url: "http://127.0.0.1:9/ingest", intervalMs: 3600000, fetch });
      await a.flush();
      const sent = Array.from(new Uint8Array(bodies[0]).subarray(6, 22), (x) => x.toString(16).padStart(2, "0")).join("");
      await a.stop(); await b.stop();
      console.log(JSON.stringify({ a: a.clientId, b: b.clientId, sent }));`);
    const { a, b, sent } = JSON.parse(out);
    assert.match(a, /^[0-9a-f]{32}$/);
    assert.match(b, /^[0-9a-f]{32}$/);
    assert.notEqual(a, b);
    assert.notEqual(a, "0".repeat(32));
    assert.equal(sent, a, "the batch header carries the client id");
  });

  test("with no Web Crypto to be had, loading works and startShipping says what is missing", () => {
    const out = withoutGlobalCrypto(
      `
      const registry = obs.newRegistry();
      registry.register(obs.newCounter({ name: "clicks_total", help: "c" })).inc();
      let error;
      try { obs.startShipping(registry, { url: "http://127.0.0.1:9/ingest" }); } catch (e) { error = e; }
      const refused = await import("node:crypto").then(() => false, (e) => /no node:crypto here/.test(e.message));
      if (!refused) throw new Error("node:crypto could be imported: the case tests nothing");
      console.log(JSON.stringify({ code: error?.code, message: error?.message, text: registry.expose() }));`,
      { noNodeCrypto: true },
    );
    const r = JSON.parse(out);
    assert.equal(r.code, "FAILED_PRECONDITION");
    assert.match(r.message, /no Web Crypto/);
    assert.match(r.text, /^clicks_total 1$/m);
  });

  test("recording needs no crypto at all", () => {
    const out = withoutGlobalCrypto(`
      const registry = obs.newRegistry();
      registry.register(obs.newCounter({ name: "clicks_total", help: "c" })).inc();
      console.log(registry.expose());`);
    assert.match(out, /^clicks_total 1$/m);
  });
});
