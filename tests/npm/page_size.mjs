// npm.page_size: what the package costs a page, beside OpenTelemetry's metrics SDK. Zero-config
// `vite build`s of the same page: apps/page-size-lite (the /lite entry: a registry, a labelled counter, a
// gauge, a histogram with classic and native buckets, shipping), apps/page-size (the same through the
// default entry, which also exposes), and apps/page-size-otel (a meter provider, a periodic reader, the
// OTLP/HTTP exporter, the same instruments), each measured as JS + wasm, gzip -9. Ours come from the packed
// tarball and run in Chromium (they must update and ship; the default entry's also expose); each is
// measured as what the page loaded. OpenTelemetry's comes from the root's node_modules (dev dependencies)
// and is built only: one bundle with nothing loaded later, all of which a page loads. The /lite page must
// be at most 22 KB and below OpenTelemetry's (the goal, docs/performance.md); the default entry's has a
// regression budget. Prints all three, where our bytes are, and records them in <work>/page-size.json.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { args, assert, checkLitePage, isModuleFile, main, moduleBytes, printWhereTheBytesAre, run, runPage, shippedSizes } from "./lib.mjs";

const APPS = path.join(path.dirname(fileURLToPath(import.meta.url)), "apps");

// The regression budget of the default entry's page: what it loaded when last set (24,091 B, with series
// limits, lifetimes and created timestamps; 22,526 B before them, 39,914 B when this test was written),
// rounded up. The goal (docs/performance.md), which the /lite page must meet: at most 22 KB and below
// OpenTelemetry's page.
const BUDGET = 23.75 * 1024;
const GOAL = 22 * 1024;

// A zero-config Vite build of apps/<template> in <consumer>/<template>; resolves to its dist/.
function buildPage(ctx, template, vite, { nodeModules } = {}) {
  const app = path.join(ctx.consumer, template);
  fs.rmSync(app, { recursive: true, force: true });
  fs.cpSync(path.join(APPS, template), app, { recursive: true });
  if (nodeModules) fs.symlinkSync(nodeModules, path.join(app, "node_modules"), "dir");
  for (const f of fs.readdirSync(app)) assert(!f.startsWith("vite.config"), `${f} in ${app}: the build is zero-config`);
  run(process.execPath, [vite, "build"], { cwd: app, timeoutMs: 90_000, env: { NO_COLOR: "1", CI: "1" } });
  return path.join(app, "dist");
}

// One of our pages run in Chromium and measured as what it loaded: its JS and the gzip'd module `module`
// (observability or observability-lite). The build also carries the plain module, for browsers without
// DecompressionStream, which Chromium does not fetch. The module's symbol map is the one the wasm build
// wrote beside it (GLK_OBS_WASM_SYMBOLS names the full module's).
async function ourPage(ctx, dist, module) {
  const { result, requests } = await runPage(ctx, dist);
  assert(result.sent.length >= 1 && result.sent[0] > 100, `${dist}: shipped ${JSON.stringify(result.sent)}`);
  const ours = shippedSizes(dist, requests);
  const wasmFiles = ours.files.filter((f) => isModuleFile(f.file));
  assert(wasmFiles.length === 1 && wasmFiles[0].file.startsWith(`assets/${module}.wasm-`) && wasmFiles[0].file.endsWith(".gz"),
    `${dist}: fetched ${JSON.stringify(wasmFiles.map((f) => f.file))}, not one gzip'd ${module}.wasm`);
  const built = shippedSizes(dist);
  assert(built.files.length === ours.files.length + 1, `${dist}: built ${JSON.stringify(built.files)}`);
  for (const f of built.files.filter((b) => !ours.files.some((o) => o.file === b.file))) {
    assert(isModuleFile(f.file) && f.file.startsWith(`assets/${module}-`), `${dist}: the page did not load ${f.file}`);
    console.log(`npm.size: not loaded (the plain module for browsers without DecompressionStream): ${f.file}, ${f.bytes} bytes, ${f.gzip} gzip`);
  }
  const symbols = path.join(path.dirname(process.env.GLK_OBS_WASM_SYMBOLS ?? ""), `${module}.mjs.symbols`);
  return { result, ours, wasmBytes: moduleBytes(path.join(dist, wasmFiles[0].file)), symbols };
}

main("npm.page_size", async () => {
  const ctx = args();
  const vite = path.join(ctx.root, "node_modules", "vite", "bin", "vite.js");
  const otelSdk = path.join(ctx.root, "node_modules", "@opentelemetry", "sdk-metrics", "package.json");
  assert(fs.existsSync(vite), `vite not found at ${vite} (npm ci in the repository root)`);
  assert(fs.existsSync(otelSdk), `OpenTelemetry's SDK not found at ${otelSdk} (npm ci in the repository root)`);

  const otelDist = buildPage(ctx, "page-size-otel", vite, { nodeModules: path.join(ctx.root, "node_modules") });
  const otel = shippedSizes(otelDist); // built only: a page loads all of its JS
  assert(otel.files.length >= 1 && otel.wasm === 0, `OpenTelemetry's page: ${JSON.stringify(otel.files)}`);
  const otelJs = otel.files.map((f) => fs.readFileSync(path.join(otelDist, f.file), "utf8")).join("\n");
  assert(!/\bimport\(/.test(otelJs), "OpenTelemetry's page loads code later (import()): count what it loads instead");
  for (const word of ["/v1/metrics", "resourceMetrics", "explicitBucketBoundaries"]) {
    assert(otelJs.includes(word), `OpenTelemetry's page lacks "${word}": not the SDK and exporter the comparison needs`);
  }

  // The /lite page works: updates and at least one batch shipped with the histogram's native buckets;
  // its registry refuses expose() with the error that names the default entry.
  const lite = await ourPage(ctx, buildPage(ctx, "page-size-lite", vite), "observability-lite");
  checkLitePage(lite.result, "vite build + chromium");
  // The default entry's page works too, exposition included.
  const full = await ourPage(ctx, buildPage(ctx, "page-size", vite), "observability");
  for (const line of ['page_clicks_total{button="save"} 2', "page_visible 1", "page_event_latency_seconds_count 3"]) {
    assert(full.result.text.split("\n").includes(line), `our page's exposition lacks "${line}":\n${full.result.text}`);
  }

  const report = { gzip_level: 9, lite: lite.ours, ours: full.ours, opentelemetry: otel, budget: BUDGET, goal: GOAL };
  fs.writeFileSync(path.join(ctx.work, "page-size.json"), `${JSON.stringify(report, null, 2)}\n`);
  const line = (sizes) =>
    `${sizes.total} B gzip (js ${sizes.js}, wasm ${sizes.wasm}), ${(sizes.total / otel.total).toFixed(3)} of OpenTelemetry's`;
  console.log(`npm.size: the page with @golivekit/observability/lite: ${line(lite.ours)}`);
  console.log(`npm.size: the page with @golivekit/observability (exposes too): ${line(full.ours)}`);
  console.log(`npm.size: the page with OpenTelemetry's metrics SDK and OTLP/HTTP exporter: ${otel.total} B gzip`);
  const met = lite.ours.total <= GOAL && lite.ours.total < otel.total;
  console.log(`npm.size: goal (the /lite page at most ${GOAL} B and below OpenTelemetry's): ${met ? "met" : "NOT met"}`);
  console.log("npm.size: the /lite page:");
  printWhereTheBytesAre(lite.ours.files, lite.wasmBytes, lite.symbols);
  console.log("npm.size: the default entry's page:");
  printWhereTheBytesAre(full.ours.files, full.wasmBytes, full.symbols);
  assert(lite.ours.total <= GOAL, `the /lite page ships ${lite.ours.total} B gzip, over the goal's ${GOAL} B`);
  assert(lite.ours.total < otel.total,
    `the /lite page ships ${lite.ours.total} B gzip, not below OpenTelemetry's ${otel.total} B`);
  assert(full.ours.total <= BUDGET, `our page ships ${full.ours.total} B gzip, over its ${BUDGET}-byte regression budget`);
});
