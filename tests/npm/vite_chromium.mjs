// npm.vite_chromium: a zero-config Vite app (no vite.config) importing the default entry, built with
// the root's vite, served from 127.0.0.1 and run in Chromium. The wasm must ship as a separate asset.
// Prints and records (<work>/vite-size.json) the gzip -9 size of what the build ships.
import fs from "node:fs";
import path from "node:path";
import { args, assert, checkScenario, copyApp, listFiles, main, printWhereTheBytesAre, run, runPage, shippedSizes } from "./lib.mjs";

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
  const js = files.filter((f) => /\.m?js$/.test(f));
  assert(wasm.length === 1, `expected exactly one separate .wasm asset in ${dist}, got ${JSON.stringify(files)}`);
  assert(js.length >= 1, `no .js in ${dist}: ${JSON.stringify(files)}`);
  const wasmBytes = fs.readFileSync(path.join(dist, wasm[0]));
  assert(wasmBytes.subarray(0, 4).toString("latin1") === "\0asm", `${wasm[0]} is not a wasm module`);
  const pkgDir = path.join(ctx.consumer, "node_modules", "@golivekit", "observability");
  const installedWasm = fs.readFileSync(path.join(pkgDir, "dist", "observability.wasm"));
  assert(wasmBytes.equals(installedWasm), `${wasm[0]} differs from the package's dist/observability.wasm`);
  const wasmName = path.posix.basename(wasm[0]);
  let jsReferencesWasm = false;
  for (const f of js) {
    const src = fs.readFileSync(path.join(dist, f), "utf8");
    // The default entry must not drag in the base64 copy of the module (that is the /inline entry).
    assert(!/[A-Za-z0-9+/]{10000}/.test(src), `${f} contains the base64-inlined wasm module: the default entry pulled in the inline copy`);
    if (src.includes(wasmName)) jsReferencesWasm = true;
  }
  assert(jsReferencesWasm, `no built .js refers to the emitted ${wasmName}`);

  // What the build ships, gzip -9.
  const { files: sizes, js: jsGzip, wasm: wasmGzip } = shippedSizes(dist);
  const report = { total_gzip: jsGzip + wasmGzip, js_gzip: jsGzip, wasm_gzip: wasmGzip, gzip_level: 9, files: sizes };
  fs.writeFileSync(path.join(ctx.work, "vite-size.json"), `${JSON.stringify(report, null, 2)}\n`);

  const { result, requests, pageInfo } = await runPage(ctx, dist);
  checkScenario(result, { where: "vite + chromium, default entry", version: ctx.version, entry: "default" });
  assert(pageInfo.hasPerformanceMemory, "Chromium has no performance.memory (needed for golivekit_runtime_js_heap_* in browsers)");
  const wasmRequests = requests.filter((r) => r.path.endsWith(".wasm"));
  assert(
    wasmRequests.length === 1 && wasmRequests[0].status === 200 && wasmRequests[0].type === "application/wasm",
    `expected one successful application/wasm request, got ${JSON.stringify(requests)}`,
  );
  console.log(`requests: ${requests.map((r) => `${r.path} ${r.status}`).join(", ")}`);
  console.log(`npm.size: vite build ships ${jsGzip + wasmGzip} bytes gzip (js ${jsGzip}, wasm ${wasmGzip})`);
  printWhereTheBytesAre(sizes, wasmBytes);
  // The regression budget for what a Vite build ships (JS + wasm, gzip): 23,784 B when last set, rounded up. This
  // page's own walk-through code is counted too, so the package alone is a little smaller.
  const budget = 23.5 * 1024;
  assert(jsGzip + wasmGzip <= budget, `vite build ships ${jsGzip + wasmGzip} bytes gzip, over the ${budget}-byte budget`);
});
