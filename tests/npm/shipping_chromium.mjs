// npm.shipping_chromium: a page bundled by Vite (no config) from the packed tarball, served from its own
// 127.0.0.1 origin, runs in Chromium and ships to demo_server on another origin (so the CORS preflight
// is real: --allow-origin <page origin>). The server's /metrics must show exactly what the page recorded.
// Then the unload path: the page records more and is closed without a flush; pagehide must deliver it
// (keepalive) with the final flag, so the open-views gauge drops back to 0. Last, a server that does not
// allow the page's origin: nothing is confirmed and the server counts the refusal.
import fs from "node:fs";
import path from "node:path";
import { CHROMIUM_ARGS } from "../../scripts/chromium.mjs";
import { CLIENT_FAMILIES, pollMetrics, samples, scrape, startDemoServer } from "./demo_server.mjs";
import { args, assert, assertEqual, CHROMIUM, copyApp, fail, main, rootRequire, run, serveStatic } from "./lib.mjs";

main("npm.shipping_chromium", async () => {
  const ctx = args();
  const app = copyApp(ctx, "shipping", "shipping-app");
  const vite = path.join(ctx.root, "node_modules", "vite", "bin", "vite.js");
  run(process.execPath, [vite, "build"], { cwd: app, timeoutMs: 90_000, env: { NO_COLOR: "1", CI: "1" } });
  assert(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);

  const www = await serveStatic(path.join(app, "dist"));
  const server = await startDemoServer(ctx, ["--allow-origin", www.origin]);
  const blockedServer = await startDemoServer(ctx, ["--allow-origin", "http://127.0.0.1:1"]);
  const { chromium } = rootRequire(ctx.root)("playwright-core");
  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS], timeout: 30_000 });
    const context = await browser.newContext();
    const allowed = [www.origin, server.base, blockedServer.base];
    await context.route("**/*", (route) => {
      const url = route.request().url();
      return allowed.some((o) => url.startsWith(`${o}/`)) ? route.continue() : route.abort();
    });

    // Opens the page and waits for window.__result; collects console errors and failed requests.
    const open = async (query) => {
      const page = await context.newPage();
      const problems = [];
      page.on("console", (m) => m.type() === "error" && problems.push(`console error: ${m.text()}`));
      page.on("pageerror", (e) => problems.push(`page error: ${e?.stack ?? e}`));
      page.on("requestfailed", (r) => problems.push(`request failed: ${r.method()} ${r.url()} (${r.failure()?.errorText})`));
      await page.goto(`${www.origin}/index.html?${new URLSearchParams(query)}`, { waitUntil: "load", timeout: 30_000 });
      try {
        await page.waitForFunction(() => window.__result !== undefined, null, { timeout: 30_000, polling: 50 });
      } catch (e) {
        fail(`no window.__result within 30 s: ${e.message.split("\n")[0]}\n${problems.join("\n")}\n${server.output}`);
      }
      const r = await page.evaluate(() => window.__result);
      if (!r.ok) fail(`the page failed: ${r.error}`);
      return { page, problems, result: r.result };
    };

    // 1. Shipping: the server shows exactly the page's samples.
    const { page, problems, result } = await open({ ingest: `${server.base}/metrics/ingest` });
    assert(/^[0-9a-f]{32}$/.test(result.clientId), `client id ${result.clientId}`);
    const recorded = samples(result.recorded, CLIENT_FAMILIES);
    assert(Object.keys(recorded).length > 10, `few recorded samples: ${result.recorded}`);
    assertEqual(samples(await scrape(server.base), CLIENT_FAMILIES), recorded, "server /metrics after the page's flush");
    assertEqual([result.stats.accepted, result.stats.rejected, result.stats.dropped], [1, 0, 0], "page shipper stats");

    // 2. Unload: record more, close the page without a flush (pagehide, not persisted: final batch).
    const more = samples(await page.evaluate(() => window.__more()), CLIENT_FAMILIES);
    await page.close({ runBeforeUnload: true });
    const expected = { ...more, golivekit_client_open_views: "0" };
    const got = await pollMetrics(server.base, CLIENT_FAMILIES, (s) => JSON.stringify(s) === JSON.stringify(expected), 5000);
    assertEqual(got, expected, "server /metrics after the page was closed (pagehide path, final batch)");
    if (problems.length) fail(`problems in the browser:\n  ${problems.join("\n  ")}`);

    // 3. A server that does not allow this origin: the browser refuses the request, nothing is confirmed,
    //    the shipper keeps the batch for a retry, and the server counted the refused origin.
    const blocked = await open({ ingest: `${blockedServer.base}/metrics/ingest`, blocked: "1" });
    assertEqual(blocked.result.settled, "pending", "flush against a server that does not allow the origin");
    assert(blocked.result.stats.accepted === 0 && blocked.result.stats.retries >= 1, `blocked stats ${JSON.stringify(blocked.result.stats)}`);
    const refusals = (await scrape(blockedServer.base)).split("\n").filter((l) => l.includes('reason="origin_not_allowed"') && !l.startsWith("#"));
    assert(refusals.length && Number(refusals[0].split(" ").at(-1)) >= 1, `no origin_not_allowed refusal counted:\n${refusals.join("\n")}`);
    assertEqual(Object.keys(samples(await scrape(blockedServer.base), CLIENT_FAMILIES)).filter((k) => !k.startsWith("golivekit_client_open_views")), [], "nothing merged by the blocking server");
    await blocked.page.close();
    console.log(`shipped from ${www.origin} to ${server.base}: ${Object.keys(recorded).length} samples, then ${Object.keys(more).length} after unload`);
  } finally {
    if (browser) await browser.close().catch(() => {});
    await www.close();
    await server.stop();
    await blockedServer.stop();
  }
});
