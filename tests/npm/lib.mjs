// Helpers shared by the packed-tarball consumer tests (tests/npm/*.mjs): arguments, assertions, child
// processes, the root's dev tools (vite, esbuild, typescript, playwright-core), a static server on
// 127.0.0.1 and Chromium. Node built-ins only; the tools come from the repository root's node_modules.
//
// Every test script is run as `node <script> <repo root> <work dir>` (tests/npm/CMakeLists.txt); the
// work dir (the build tree's tests/npm) holds the packed tarball, the consumer project and state.json
// written by the npm.pack fixture.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../../scripts/chromium.mjs";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const APPS = path.join(HERE, "apps");
export const CHROMIUM = process.env.GLK_OBS_CHROMIUM || CHROMIUM_PATH;

// A child process that never outlives its test, however the test ends: setpriv (util-linux, on every
// Debian) asks the kernel to SIGKILL it when this Node process dies, even by SIGKILL or a crash; and an
// exit through process.exit() (main() below, or a tool that exits the process, as playwright-core does
// on a Node it refuses) kills the ones still running first.
const tied = new Set();
process.on("exit", () => {
  for (const child of tied) child.kill("SIGKILL");
});
export function spawnTied(argv, options) {
  const child = spawn("/usr/bin/setpriv", ["--pdeathsig", "SIGKILL", "--", ...argv], options);
  tied.add(child);
  child.on("exit", () => tied.delete(child));
  return child;
}

export class TestFailure extends Error {}

export function fail(message) {
  throw new TestFailure(message);
}

export function assert(condition, message) {
  if (!condition) fail(message);
}

export function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) fail(`${what}: expected ${e}, got ${a}`);
}

/** Runs the test body; any exception becomes a clear FAIL line and exit code 1. */
export function main(name, body) {
  const t0 = Date.now();
  Promise.resolve()
    .then(body)
    .then(
      () => {
        console.log(`${name}: OK (${((Date.now() - t0) / 1000).toFixed(1)} s, Node ${process.version})`);
        process.exit(0);
      },
      (err) => {
        const msg = err instanceof TestFailure ? err.message : (err?.stack ?? String(err));
        console.error(`${name}: FAIL: ${msg}`);
        process.exit(1);
      },
    );
}

/** `node <script> <repo root> <work dir>`: the paths, and the fixture's state once npm.pack has run. */
export function args({ needState = true } = {}) {
  const [root, work] = process.argv.slice(2);
  if (!root || !work) fail(`usage: node ${path.basename(process.argv[1])} <repo root> <work dir>`);
  const ctx = { root: path.resolve(root), work: path.resolve(work) };
  ctx.consumer = path.join(ctx.work, "consumer");
  ctx.packDir = path.join(ctx.work, "pack");
  ctx.stateFile = path.join(ctx.work, "state.json");
  if (needState) {
    if (!fs.existsSync(ctx.stateFile)) fail(`${ctx.stateFile} is missing: the fixture npm.pack did not run or failed`);
    Object.assign(ctx, JSON.parse(fs.readFileSync(ctx.stateFile, "utf8")));
    assert(fs.existsSync(ctx.tarball), `the packed tarball ${ctx.tarball} is missing (rerun npm.pack)`);
    const installed = path.join(ctx.consumer, "node_modules", "@golivekit", "observability", "package.json");
    assert(fs.existsSync(installed), `the package is not installed in the consumer project (${installed})`);
  }
  return ctx;
}

/**
 * Runs a command synchronously (no shell) and returns { stdout, stderr, status }. Unless `allowFailure`,
 * a non-zero exit, a signal or a timeout fails the test with the command's output.
 */
export function run(cmd, argv, { cwd, env, timeoutMs = 120_000, allowFailure = false, input } = {}) {
  const r = spawnSync(cmd, argv, {
    cwd,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: timeoutMs,
    maxBuffer: 64 * 1024 * 1024,
    input,
  });
  const shown = `${cmd} ${argv.join(" ")}${cwd ? ` (in ${cwd})` : ""}`;
  if (r.error) {
    const why = r.error.code === "ETIMEDOUT" ? `timed out after ${timeoutMs} ms` : r.error.message;
    fail(`${shown}: ${why}\n${r.stdout ?? ""}${r.stderr ?? ""}`);
  }
  if (!allowFailure && r.status !== 0) {
    fail(`${shown} exited with ${r.status ?? r.signal}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
  }
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** `require` resolving from the repository root: its node_modules has the dev tools. */
export function rootRequire(root) {
  return createRequire(path.join(root, "package.json"));
}

/** Copies a template directory of tests/npm/apps into the consumer project (fresh each run). */
export function copyApp(ctx, template, destName = template) {
  const dest = path.join(ctx.consumer, destName);
  fs.rmSync(dest, { recursive: true, force: true });
  fs.cpSync(path.join(APPS, template), dest, { recursive: true });
  fs.copyFileSync(path.join(APPS, "shared", "scenario.js"), path.join(dest, "scenario.js"));
  return dest;
}

/** Files under `dir`, recursively, as paths relative to it (forward slashes), sorted. */
export function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(path.relative(dir, p).split(path.sep).join("/"));
    }
  };
  walk(dir);
  return out.sort();
}

export function gzipSize(file) {
  return zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
}

/**
 * Whether a built file is the module: observability.wasm, or its gzip'd form as the package ships it
 * (observability.wasm.gz, which Vite emits as observability.wasm-<hash>.gz).
 */
export const isModuleFile = (f) => /\.wasm$|\.wasm[^/]*\.gz$/.test(f);

/**
 * What a build in `dist` ships: its .js files and modules with their sizes, and the gzip -9 sums. With
 * `fetched` (the paths a page requested, as runPage's `requests` give them), only the files the page
 * loaded: a build also carries the plain module that browsers without DecompressionStream fetch instead.
 */
export function shippedSizes(dist, fetched) {
  const files = listFiles(dist)
    .filter((f) => /\.m?js$/.test(f) || isModuleFile(f))
    .filter((f) => !fetched || fetched.some((r) => r.path === `/${f}`))
    .map((f) => ({ file: f, bytes: fs.statSync(path.join(dist, f)).size, gzip: gzipSize(path.join(dist, f)) }));
  const gzip = (wasm) => files.filter((f) => isModuleFile(f.file) === wasm).reduce((a, f) => a + f.gzip, 0);
  return { files, js: gzip(false), wasm: gzip(true), total: gzip(false) + gzip(true) };
}

/** A module's bytes as a built file holds them, gunzipped where the file is gzip'd. */
export function moduleBytes(file) {
  const bytes = fs.readFileSync(file);
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? zlib.gunzipSync(bytes) : bytes;
}

/**
 * Where the bytes of a wasm module are: its sections' sizes, the size of each defined function's body
 * (named from emcc's symbol map, "index:name" per line, where it has one) and of its data segments.
 */
export function wasmBreakdown(bytes, symbolMap = "") {
  const names = new Map();
  for (const line of symbolMap.split("\n")) {
    const m = /^(\d+):(.*)$/.exec(line);
    if (m) names.set(Number(m[1]), m[2].replace(/\\([0-9a-f]{2})/g, (_, h) => String.fromCharCode(parseInt(h, 16))));
  }
  let p = 8;
  const varint = () => {
    let r = 0;
    let shift = 0;
    let b;
    do {
      b = bytes[p++];
      r += (b & 127) * 2 ** shift;
      shift += 7;
    } while (b & 128);
    return r;
  };
  const sections = {};
  const functions = [];
  let imported = 0;
  let data = 0;
  const SECTION = ["custom", "type", "import", "function", "table", "memory", "global", "export", "start", "element", "code", "data", "datacount"];
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = varint();
    const end = p + size;
    const name = SECTION[id] ?? `section ${id}`;
    sections[name] = (sections[name] ?? 0) + size;
    if (id === 2) {
      for (let n = varint(), i = 0; i < n; i++) {
        const skip = () => {
          const n = varint(); // a name: its length, then its bytes
          p += n;
        };
        skip(); // module name
        skip(); // field name
        const kind = bytes[p++];
        if (kind === 0) {
          varint();
          imported++;
        } else if (kind === 1) {
          p++;
          if (varint() & 1) varint();
          varint();
        } else if (kind === 2) {
          if (varint() & 1) varint();
          varint();
        } else p += 2;
      }
    } else if (id === 10) {
      for (let n = varint(), i = 0; i < n; i++) {
        const body = varint();
        functions.push({ name: names.get(imported + i) ?? `function ${imported + i}`, bytes: body });
        p += body; // (varint() has moved p past the size already)
      }
    } else if (id === 11) {
      data = size;
    }
    p = end;
  }
  functions.sort((a, b) => b.bytes - a.bytes);
  return { sections, functions, dataBytes: data };
}

// ---------------------------------------------------------------------------------------------------
// Static server (127.0.0.1, a free port) with the MIME types browsers insist on.

const MIME = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".gz": "application/gzip",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

/** Serves `dir`; resolves to { origin, requests: [{ path, status, type }], close() }. */
export async function serveStatic(dir) {
  const base = path.resolve(dir);
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    let rel = decodeURIComponent(url.pathname);
    if (rel.endsWith("/")) rel += "index.html";
    const file = path.resolve(base, `.${rel}`);
    const record = { path: url.pathname, status: 404, type: null };
    requests.push(record);
    if (req.method !== "GET" && req.method !== "HEAD") {
      record.status = 405;
      res.writeHead(405).end();
      return;
    }
    if (!file.startsWith(base + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    const body = fs.readFileSync(file);
    record.status = 200;
    record.type = MIME[path.extname(file)] ?? "application/octet-stream";
    res.writeHead(200, { "content-type": record.type, "content-length": body.length, "cache-control": "no-store" });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Chromium (Debian's, through playwright-core from the root's node_modules).



/**
 * Serves `dir`, opens `<origin>/index.html` in Chromium and waits for the page to publish
 * `window.__result` ({ ok, result } or { ok: false, error }). Fails on any console error, page error,
 * failed request or request that leaves the local server (those are aborted). Returns
 * { result, requests, consoleLines }. Chromium and the server are always closed.
 */
export async function runPage(ctx, dir, { timeoutMs = 30_000, initScript } = {}) {
  const server = await serveStatic(dir);
  try {
    const out = await runPageAt(ctx, server.origin, { timeoutMs, initScript });
    return { ...out, requests: server.requests };
  } finally {
    await server.close();
  }
}

/**
 * Opens `${origin}/index.html` (a server already running: static, or Vite's dev server) in Chromium and
 * waits for the page's window.__result. Requests outside `origin` are aborted and fail the test, as do
 * console errors, page errors and HTTP errors. `initScript` (a function) runs in the page before its own
 * scripts.
 */
export async function runPageAt(ctx, origin, { timeoutMs = 30_000, initScript } = {}) {
  assert(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
  const { chromium } = rootRequire(ctx.root)("playwright-core");
  const problems = [];
  const consoleLines = [];
  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS], timeout: 30_000 });
    const context = await browser.newContext();
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(`${origin}/`)) return route.continue();
      problems.push(`request outside the local server (aborted): ${url}`);
      return route.abort();
    });
    if (initScript) await context.addInitScript(initScript);
    const page = await context.newPage();
    page.on("console", (msg) => {
      consoleLines.push(`[${msg.type()}] ${msg.text()}`);
      if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err?.stack ?? err}`));
    page.on("requestfailed", (req) => {
      if (req.url().startsWith(`${origin}/`)) {
        problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`);
      }
    });
    page.on("response", (res) => {
      if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.url()}`);
    });
    await page.goto(`${origin}/index.html`, { waitUntil: "load", timeout: timeoutMs });
    try {
      await page.waitForFunction(() => window.__result !== undefined, null, { timeout: timeoutMs, polling: 50 });
    } catch (e) {
      fail(`the page did not publish window.__result within ${timeoutMs} ms (${e.message.split("\n")[0]})` +
        `\nproblems: ${JSON.stringify(problems, null, 1)}\nconsole: ${JSON.stringify(consoleLines, null, 1)}`);
    }
    const published = await page.evaluate(() => window.__result);
    const pageInfo = await page.evaluate(() => ({
      hasPerformanceMemory: typeof performance.memory === "object" && performance.memory !== null,
      userAgent: navigator.userAgent,
    }));
    await context.close();
    if (!published.ok) problems.push(`the page reported an error: ${published.error}`);
    if (problems.length) fail(`problems in the browser:\n  ${problems.join("\n  ")}\nconsole:\n  ${consoleLines.join("\n  ")}`);
    return { result: published.result, consoleLines, pageInfo };
  } finally {
    if (browser) await browser.close().catch(() => {});
  }
}

// ---------------------------------------------------------------------------------------------------
// What apps/shared/scenario.js must have produced, in Node and in browsers alike.

/** The families of an exposition, minus those whose name contains `golivekit_` (runtime, build info). */
function withoutFamilies(text, pred) {
  const lines = text.split("\n");
  const keep = [];
  for (const line of lines) {
    const m = /^# (?:HELP|TYPE|UNIT) (\S+)/.exec(line) ?? /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (m && pred(m[1])) continue;
    keep.push(line);
  }
  return keep.join("\n");
}

const EXPECTED_TEXT = String.raw`# HELP shop_clicks_total Clicks.
# TYPE shop_clicks_total counter
shop_clicks_total{button="buy",env="test"} 3
shop_clicks_total{button="sell",env="test"} 1
# HELP shop_errors_total E "x" \\ y\nz
# TYPE shop_errors_total counter
shop_errors_total{env="test",msg="404"} 1
shop_errors_total{env="test",msg="a\"b\\c\nd é"} 1
shop_errors_total{env="test",msg="true"} 0.5
# HELP shop_latency_seconds L.
# TYPE shop_latency_seconds histogram
shop_latency_seconds_bucket{env="test",le="0.01"} 0
shop_latency_seconds_bucket{env="test",le="0.02"} 1
shop_latency_seconds_bucket{env="test",le="0.04"} 1
shop_latency_seconds_bucket{env="test",le="0.08"} 1
shop_latency_seconds_bucket{env="test",le="0.16"} 1
shop_latency_seconds_bucket{env="test",le="+Inf"} 2
shop_latency_seconds_sum{env="test"} 0.265625
shop_latency_seconds_count{env="test"} 2
# TYPE shop_temp gauge
shop_temp{env="test"} 2
`;

const RUNTIME_GAUGES = [
  "shop_golivekit_runtime_wasm_memory_bytes",
  "shop_golivekit_runtime_heap_inuse_bytes",
  "shop_golivekit_runtime_js_heap_used_bytes",
  "shop_golivekit_runtime_js_heap_limit_bytes",
];

function sampleValue(text, name, labels) {
  const prefix = `${name}{${labels}} `;
  const line = text.split("\n").find((l) => l.startsWith(prefix));
  assert(line !== undefined, `no sample line starting with ${JSON.stringify(prefix)} in:\n${text}`);
  return Number(line.slice(prefix.length));
}

/**
 * Judges the result of apps/page-size-lite (the /lite entry, built or under a dev server): it shipped,
 * read its values back, and its expose() was refused with the error that names the default entry.
 */
export function checkLitePage(r, where) {
  assert(r.sent.length >= 1 && r.sent[0] > 100, `${where}: the lite page shipped ${JSON.stringify(r.sent)}`);
  assert(r.values.clicks === 2 && r.values.visible === 1 && r.values.count === 3,
    `${where}: the lite page's values: ${JSON.stringify(r.values)}`);
  assert(/^FAILED_PRECONDITION: registry\.expose\(\): .*import @golivekit\/observability for it$/.test(r.refused),
    `${where}: the lite page's expose() was not refused as it should be: ${r.refused}`);
}

/** Judges a scenario result (see apps/shared/scenario.js); `where` names the consumer in messages. */
export function checkScenario(r, { where, version, entry }) {
  const w = (s) => `${where}: ${s}`;
  assert(r && typeof r === "object", w(`no scenario result (${JSON.stringify(r)})`));
  assertEqual(r.entry, entry, w("entry"));
  assertEqual(r.version, version, w("obs.version (package.json version)"));
  assertEqual(r.exportedVersion, version, w("exported VERSION"));
  assertEqual(r.sharedInstance, true, w("loadObservability() without options resolves to one shared instance"));
  assertEqual(r.defaultBuckets, [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], w("defaultBuckets"));
  assertEqual(r.linearBuckets, [1, 1.5, 2], w("linearBuckets(1, 0.5, 3)"));
  assert(r.memoryStats.wasmMemoryBytes >= 65536 && r.memoryStats.heapInUseBytes > 0, w(`memoryStats ${JSON.stringify(r.memoryStats)}`));

  // Prometheus text 0.0.4: everything but the runtime families, exactly.
  const text = r.text;
  assert(typeof text === "string" && text.endsWith("\n"), w(`expose() is not newline-terminated text: ${JSON.stringify(text)}`));
  const deterministic = withoutFamilies(text, (name) => name.startsWith("shop_golivekit_"));
  if (deterministic !== EXPECTED_TEXT) {
    fail(w(`expose() (without the runtime families) differs.\n--- expected\n${EXPECTED_TEXT}--- got\n${deterministic}--- full\n${text}`));
  }
  // includeRuntimeMetrics: build info exactly, the runtime gauges present with plausible values.
  assert(
    text.includes(`\n# TYPE shop_golivekit_build_info gauge\nshop_golivekit_build_info{env="test",version="${version}"} 1\n`),
    w(`golivekit_build_info{version="${version}"} missing:\n${text}`),
  );
  for (const name of RUNTIME_GAUGES) {
    assert(text.includes(`\n# TYPE ${name} gauge\n`), w(`# TYPE ${name} gauge missing:\n${text}`));
    const v = sampleValue(text, name, 'env="test"');
    assert(Number.isFinite(v) && v > 0, w(`${name} = ${v}, expected a positive number`));
  }
  const wasmBytes = sampleValue(text, "shop_golivekit_runtime_wasm_memory_bytes", 'env="test"');
  assert(wasmBytes % 65536 === 0, w(`wasm memory ${wasmBytes} is not a whole number of 64 KiB pages`));

  // OpenMetrics 1.0.
  const om = r.openmetrics;
  assert(om.endsWith("# EOF\n"), w(`OpenMetrics output does not end with "# EOF\\n":\n${om}`));
  for (const line of [
    "# HELP shop_clicks Clicks.",
    "# TYPE shop_clicks counter",
    'shop_clicks_total{button="buy",env="test"} 3.0',
    'shop_clicks_total{button="sell",env="test"} 1.0',
    "# TYPE shop_latency_seconds histogram",
    'shop_latency_seconds_bucket{env="test",le="+Inf"} 2',
    'shop_latency_seconds_count{env="test"} 2',
    'shop_temp{env="test"} 2.0',
    `shop_golivekit_build_info{env="test",version="${version}"} 1.0`,
  ]) {
    assert(om.split("\n").includes(line), w(`OpenMetrics output lacks the line ${JSON.stringify(line)}:\n${om}`));
  }

  // The timer's own registry (no namespace, no const labels).
  assert(r.timerText.includes("\n# TYPE op_seconds histogram\n"), w(`timer histogram missing:\n${r.timerText}`));
  assert(r.timerText.includes('\nop_seconds_bucket{le="+Inf"} 1\n'), w(`timer did not observe once:\n${r.timerText}`));
  assert(r.timerText.includes("\nop_seconds_count 1\n"), w(`op_seconds_count 1 missing:\n${r.timerText}`));
  assert(r.values.elapsed >= 0 && r.values.elapsed < 10, w(`observeDuration() returned ${r.values.elapsed}`));

  const { buy, sell, temp, latCount, latSum, opCount, seriesCount } = r.values;
  assertEqual(
    { buy, sell, temp, latCount, latSum, opCount, seriesCount },
    { buy: 3, sell: 1, temp: 2, latCount: 2, latSum: 0.265625, opCount: 1, seriesCount: 2 },
    w("values read back"),
  );

  // Errors: ObservabilityError with a code for what the core rejects, RangeError for add(-1).
  const e = r.errors;
  for (const [what, code] of [["badName", "INVALID_ARGUMENT"], ["wrongLabelCount", "INVALID_ARGUMENT"], ["duplicate", "ALREADY_EXISTS"]]) {
    const x = e[what];
    assert(x.threw, w(`${what}: did not throw`));
    assert(
      x.isObservabilityError && x.isError && x.name === "ObservabilityError",
      w(`${what}: expected an ObservabilityError, got ${JSON.stringify(x)}`),
    );
    assertEqual(x.code, code, w(`${what}: error code`));
  }
  assert(/bad name/.test(e.badName.message), w(`badName: the message should name the bad name: ${e.badName.message}`));
  assert(e.negativeAdd.threw && e.negativeAdd.isRangeError && !e.negativeAdd.isObservabilityError,
    w(`add(-1): expected a RangeError, got ${JSON.stringify(e.negativeAdd)}`));
  assert(e.badBuckets.threw, w("exponentialBuckets(0, 2, 3) did not throw"));
  assert(r.afterDispose.threw && r.afterDispose.isObservabilityError,
    w(`a disposed counter did not throw an ObservabilityError: ${JSON.stringify(r.afterDispose)}`));
  assert(r.registryAfterDispose.threw && r.registryAfterDispose.isObservabilityError,
    w(`a disposed registry did not throw an ObservabilityError: ${JSON.stringify(r.registryAfterDispose)}`));
}

// The JS files and the module's sections, its code by origin (our exports, our core, libc++, the C++
// ABI runtime, libc and the allocator) and its largest functions, so that a regression of the budget
// points at its cause. Function names come from emcc's symbol map of the same link, which the wasm build
// leaves beside the module (GLK_OBS_WASM_SYMBOLS, set by tests/npm/CMakeLists.txt), demangled by c++filt
// where binutils has it.
export function printWhereTheBytesAre(sizes, wasmBytes, symbolsPath = process.env.GLK_OBS_WASM_SYMBOLS) {
  for (const s of sizes) console.log(`npm.size:   ${s.file}: ${s.bytes} bytes, ${s.gzip} gzip`);
  assert(symbolsPath && fs.existsSync(symbolsPath), `no symbol map of the module (GLK_OBS_WASM_SYMBOLS=${symbolsPath})`);
  const { sections, functions, dataBytes } = wasmBreakdown(wasmBytes, fs.readFileSync(symbolsPath, "utf8"));
  assert(functions.length > 100 && !functions.some((f) => f.name.startsWith("function ")),
    `the symbol map ${symbolsPath} does not name the module's ${functions.length} functions: a stale map?`);
  const demangled = spawnSync("c++filt", { input: functions.map((f) => f.name).join("\n"), encoding: "utf8" });
  const names = demangled.status === 0 ? demangled.stdout.split("\n") : functions.map((f) => f.name);
  const origin = (name) =>
    name.startsWith("glk_") ? "exports (wasm/)" :
    /^(\S+ )?(\(anonymous namespace\)::)?golivekit::/.test(name) ? "core" :
    /^(\S+ )?std::/.test(name) ? "libc++" :
    name.includes("__cxxabiv1") || name.includes("__dynamic_cast") ? "C++ ABI (RTTI)" : "libc, allocator, other";
  const byOrigin = {};
  functions.forEach((f, i) => (byOrigin[origin(names[i])] = (byOrigin[origin(names[i])] ?? 0) + f.bytes));
  console.log(`npm.size:   wasm sections (bytes before gzip): ${Object.entries(sections).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  console.log(`npm.size:   wasm code by origin: ${Object.entries(byOrigin).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  console.log(`npm.size:   wasm data segments: ${dataBytes} bytes; ${functions.length} functions, the largest:`);
  for (let i = 0; i < Math.min(15, functions.length); i++) {
    console.log(`npm.size:     ${String(functions[i].bytes).padStart(5)}  ${names[i].slice(0, 140)}`);
  }
}
