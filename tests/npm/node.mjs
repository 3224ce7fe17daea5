// npm.node: a Node ESM consumer imports @golivekit/observability and @golivekit/observability/inline
// from its own node_modules (the installed tarball) and runs the shared scenario with both; and
// @golivekit/observability/lite, with which it records and ships.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { args, assert, assertEqual, checkScenario, copyApp, fail, main, run } from "./lib.mjs";

const BROWSER_ENTRY = (entry) => `
console.log(import.meta.resolve("${entry}"));
console.log(JSON.stringify(Object.keys(await import("${entry}")).sort()));`;

main("npm.node", async () => {
  const ctx = args();
  const app = copyApp(ctx, "node", "node-app");
  const r = run(process.execPath, ["check.mjs"], { cwd: app, timeoutMs: 60_000 });
  let out;
  try {
    out = JSON.parse(r.stdout);
  } catch {
    fail(`check.mjs did not print JSON:\n${r.stdout}\n${r.stderr}`);
  }
  if (r.stderr.trim()) fail(`check.mjs wrote to stderr (warnings?):\n${r.stderr}`);

  const installed = fs.realpathSync(path.join(ctx.consumer, "node_modules", "@golivekit", "observability"));
  for (const [what, url] of Object.entries(out.resolved)) {
    const p = fileURLToPath(url);
    assert(p.startsWith(installed + path.sep), `${what} resolved to ${p}, outside the installed package ${installed}`);
  }
  assertEqual(path.relative(installed, fileURLToPath(out.resolved.default)), path.join("dist", "index.js"), "default entry file");
  assertEqual(path.relative(installed, fileURLToPath(out.resolved.inline)), path.join("dist", "inline.js"), "inline entry file");
  assertEqual(path.relative(installed, fileURLToPath(out.resolved.wasm)), path.join("dist", "observability.wasm"), "the plain module");
  assertEqual(path.relative(installed, fileURLToPath(out.resolved.wasmGz)), path.join("dist", "observability.wasm.gz"), "the gzip'd module");
  assertEqual(path.relative(installed, fileURLToPath(out.resolved.lite)), path.join("dist", "lite.js"), "lite entry file");
  assertEqual(path.relative(installed, fileURLToPath(out.resolved.liteWasm)), path.join("dist", "observability-lite.wasm"), "the plain lite module");
  assertEqual(path.relative(installed, fileURLToPath(out.resolved.liteWasmGz)), path.join("dist", "observability-lite.wasm.gz"), "the gzip'd lite module");
  const expectedExports = ["ObservabilityError", "VERSION", "loadObservability"];
  assertEqual(out.exportsOf.default, expectedExports, "exports of the default entry");
  assertEqual(out.exportsOf.inline, expectedExports, "exports of the inline entry");
  assertEqual(out.exportsOf.lite, expectedExports, "exports of the lite entry");
  assertEqual(out.deepImport, "ERR_PACKAGE_PATH_NOT_EXPORTED", "deep import of dist/api.js");
  assert(["ERR_REQUIRE_ESM", "ok"].includes(out.require), `require() of the package: ${out.require}`);

  // Builds for the browser (the "browser" condition) get the default entry without its Node paths, with
  // the same exports; the pages of npm.page_size, npm.vite_chromium and npm.shipping_chromium run it.
  for (const [entry, file] of [["@golivekit/observability", "browser.js"], ["@golivekit/observability/lite", "lite-browser.js"]]) {
    const browser = run(process.execPath, ["--conditions=browser", "--input-type=module", "-e", BROWSER_ENTRY(entry)], {
      cwd: app,
      timeoutMs: 60_000,
    });
    const [browserFile, browserExports] = browser.stdout.trim().split("\n");
    assertEqual(path.relative(installed, fileURLToPath(browserFile)), path.join("dist", file), `browser entry file of ${entry}`);
    assertEqual(JSON.parse(browserExports), expectedExports, `exports of the browser entry of ${entry}`);
  }

  checkScenario(out.default, { where: "node, default entry", version: ctx.version, entry: "default" });
  checkScenario(out.inline, { where: "node, inline entry", version: ctx.version, entry: "inline" });
  assertEqual(out.distinctInstances, true, "the default and inline entries are distinct instances");
  assertEqual(out.wasmUrlExpose, ["# TYPE g gauge\ng 1.5\n", "# TYPE g gauge\ng 1.5\n"], "expose() of instances loaded with wasmUrl (plain, gzip'd)");
  assertEqual(out.wasmUrlNewInstance, true, "loadObservability({ wasmUrl }) makes a new instance");
  assertEqual(out.lite, {
    value: 2,
    sent: 2,
    refused: "FAILED_PRECONDITION: registry.expose(): @golivekit/observability/lite has no exposition; import @golivekit/observability for it",
    version: ctx.version,
  }, "the lite entry records, ships (a flush and the final batch) and refuses expose()");
});
