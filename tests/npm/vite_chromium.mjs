// npm.vite_chromium: a zero-config Vite app (no vite.config) importing the default entry, built with
// the root's vite, served from 127.0.0.1 and run in Chromium. The module must ship as a separate asset,
// gzip'd, with the plain one beside it for browsers without DecompressionStream (run here too).
// Prints and records (<work>/vite-size.json) the gzip -9 size of what the build ships.
import fs from "node:fs";
import path from "node:path";
import { args, assert, checkScenario, copyApp, isModuleFile, listFiles, main, moduleBytes, printWhereTheBytesAre, run, runPage, shippedSizes } from "./lib.mjs";

main("npm.vite_chromium", async () => {
  const ctx = args();
  fs.rmSync(path.join(ctx.work, "vite-size.json"), { force: true });
  const app = copyApp(ctx, "vite", "vite-app");
  for (const f of ["vite.config.js", "vite.config.mjs", "vite.config.ts", "vite.config.mts", "vite.config.cjs"]) {
    for (const dir of [app, ctx.consumer]) {
      assert(!fs.existsSync(path.join(dir, f)), `${path.join(dir, f)} must not exist: the build is zero-config`);
    }
  }
  const vite = path.join(ctx.root, "node_modules", "vite", "bin", "vite.js");
  assert(fs.existsSync(vite), `vite not found at ${vite} (npm ci in the repository root)`);
  const build = run(process.execPath, [vite, "build"], { cwd: app, timeoutMs: 90_000, env: { NO_COLOR: "1", CI: "1" } });
  console.log(build.stdout.trim());
  if (build.stderr.trim()) console.log(`vite build stderr:\n${build.stderr.trim()}`);

  const dist = path.join(app, "dist");
  const files = listFiles(dist);
  const wasm = files.filter((f) => f.endsWith(".wasm"));
  const gz = files.filter((f) => isModuleFile(f) && f.endsWith(".gz"));
  const js = files.filter((f) => /\.m?js$/.test(f));
  assert(wasm.length === 1 && gz.length === 1, `expected the module as two assets (plain and gzip'd) in ${dist}, got ${JSON.stringify(files)}`);
  assert(js.length >= 1, `no .js in ${dist}: ${JSON.stringify(files)}`);
  const wasmBytes = fs.readFileSync(path.join(dist, wasm[0]));
  assert(wasmBytes.subarray(0, 4).toString("latin1") === "\0asm", `${wasm[0]} is not a wasm module`);
  const pkgDir = path.join(ctx.consumer, "node_modules", "@golivekit", "observability");
  const installedWasm = fs.readFileSync(path.join(pkgDir, "dist", "observability.wasm"));
  assert(wasmBytes.equals(installedWasm), `${wasm[0]} differs from the package's dist/observability.wasm`);
  const installedGz = fs.readFileSync(path.join(pkgDir, "dist", "observability.wasm.gz"));
  assert(fs.readFileSync(path.join(dist, gz[0])).equals(installedGz), `${gz[0]} differs from the package's dist/observability.wasm.gz`);
  assert(moduleBytes(path.join(dist, gz[0])).equals(wasmBytes), `${gz[0]} is not the module gzip'd`);
  const sources = js.map((f) => [f, fs.readFileSync(path.join(dist, f), "utf8")]);
  for (const [f, src] of sources) {
    // The default entry must not drag in the base64 copy of the module (that is the /inline entry).
    assert(!/[A-Za-z0-9+/]{10000}/.test(src), `${f} contains the base64-inlined wasm module: the default entry pulled in the inline copy`);
  }
  const referenced = (name) => sources.some(([, src]) => src.includes(path.posix.basename(name)));
  for (const f of [...wasm, ...gz]) assert(referenced(f), `no built .js refers to the emitted ${f}`);

  const { result, requests, pageInfo } = await runPage(ctx, dist);
  checkScenario(result, { where: "vite + chromium, default entry", version: ctx.version, entry: "default" });
  assert(pageInfo.hasPerformanceMemory, "Chromium has no performance.memory (needed for golivekit_runtime_js_heap_* in browsers)");
  const moduleRequests = requests.filter((r) => isModuleFile(r.path));
  assert(
    moduleRequests.length === 1 && moduleRequests[0].path === `/${gz[0]}` && moduleRequests[0].status === 200,
    `expected one successful request, of the gzip'd module: ${JSON.stringify(requests)}`,
  );

  // A browser without DecompressionStream (before 2023) fetches the plain module instead, and works the same.
  const old = await runPage(ctx, dist, { initScript: () => delete globalThis.DecompressionStream });
  checkScenario(old.result, { where: "vite + chromium without DecompressionStream", version: ctx.version, entry: "default" });
  const oldModule = old.requests.filter((r) => isModuleFile(r.path));
  assert(oldModule.length === 1 && oldModule[0].path === `/${wasm[0]}` && oldModule[0].status === 200,
    `without DecompressionStream: expected one request, of the plain module: ${JSON.stringify(old.requests)}`);

  // The plain module by wasmUrl, as docs/api-js.md suggests for hosts that Brotli-compress ahead: the
  // package's "./observability.wasm" export through Vite's ?url import.
  const plainApp = copyApp(ctx, "vite-plain");
  run(process.execPath, [vite, "build"], { cwd: plainApp, timeoutMs: 90_000, env: { NO_COLOR: "1", CI: "1" } });
  const plain = await runPage(ctx, path.join(plainApp, "dist"));
  assert(plain.result.text === "# HELP plain_module Loaded from the plain module.\n# TYPE plain_module gauge\nplain_module 1\n",
    `the plain-module page exposed ${JSON.stringify(plain.result.text)}`);
  const plainModule = plain.requests.filter((r) => isModuleFile(r.path));
  assert(plainModule.length === 1 && plainModule[0].path.endsWith(".wasm") && plainModule[0].status === 200,
    `the plain-module page: expected one request, of the plain module: ${JSON.stringify(plain.requests)}`);

  // What the page loaded, gzip -9.
  const { files: sizes, js: jsGzip, wasm: wasmGzip } = shippedSizes(dist, requests);
  const report = { total_gzip: jsGzip + wasmGzip, js_gzip: jsGzip, wasm_gzip: wasmGzip, gzip_level: 9, files: sizes };
  fs.writeFileSync(path.join(ctx.work, "vite-size.json"), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`requests: ${requests.map((r) => `${r.path} ${r.status}`).join(", ")}`);
  console.log(`npm.size: the vite build's page loads ${jsGzip + wasmGzip} bytes gzip (js ${jsGzip}, wasm ${wasmGzip})`);
  printWhereTheBytesAre(sizes, wasmBytes);
  // The regression budget for what the page loads (JS + module, gzip): 24,520 B when last set (with series
  // limits, lifetimes and created timestamps; 22,961 B before them), rounded up. This page's own walk-through
  // code is counted too, so the package alone is a little smaller.
  const budget = 24.25 * 1024;
  assert(jsGzip + wasmGzip <= budget, `the page loads ${jsGzip + wasmGzip} bytes gzip, over the ${budget}-byte budget`);
});
