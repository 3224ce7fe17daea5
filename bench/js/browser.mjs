#!/usr/bin/env node
// The JS benchmark suite in Chromium: bundles bench/js/browser-entry.mjs (cases.mjs, the inline entry
// dist/inline.js and prom-client with stubbed Node built-ins) with esbuild into a temp dir, serves it
// on 127.0.0.1 (random port), runs it in headless Chromium through playwright-core and prints the
// same markdown table as node.mjs.
//
//   node bench/js/browser.mjs [--json out.json] [--min-time-ms 200] [--repeats 5] [--only id,id]
//                             [--no-prom] [--chromium /usr/bin/chromium]
import { mkdtempSync, rmSync, writeFileSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, dirname, extname, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import * as esbuild from "esbuild";
import { chromium } from "playwright-core";
import { benchArgs } from "./args.mjs";
import { formatTable } from "./cases.mjs";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../../scripts/chromium.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const stubs = join(here, "stubs");

// Node built-ins prom-client requires (most only for default metrics, cluster and the pushgateway,
// none of which the benchmark uses) -> small stand-ins in bench/js/stubs/.
const BUILTIN_STUBS = {
  util: "util.cjs",
  process: "process.cjs",
  cluster: "empty.cjs",
  fs: "empty.cjs",
  http: "empty.cjs",
  https: "empty.cjs",
  url: "empty.cjs",
  zlib: "empty.cjs",
  v8: "empty.cjs",
  perf_hooks: "empty.cjs",
};
const nodeBuiltinStubs = {
  name: "node-builtin-stubs",
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_0-9]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, "");
      if (!(name in BUILTIN_STUBS)) return undefined;
      return { path: join(stubs, BUILTIN_STUBS[name]) };
    });
  },
};

async function bundle(outdir, withProm) {
  return esbuild.build({
    entryPoints: [join(here, "browser-entry.mjs")],
    bundle: true,
    platform: "browser",
    format: "esm",
    minify: true,
    target: "es2022",
    outfile: join(outdir, "bench.js"),
    define: { "process.env.NODE_ENV": '"production"', global: "globalThis" },
    inject: withProm ? [join(stubs, "process-inject.mjs")] : [],
    alias: withProm ? {} : { "prom-client": join(stubs, "no-prom.mjs") },
    plugins: withProm ? [nodeBuiltinStubs] : [],
    logLevel: "silent",
    metafile: true,
  });
}

const MIME = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".wasm": "application/wasm" };

function serve(root) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (url.pathname === "/favicon.ico") {
      res.writeHead(204).end();
      return;
    }
    const rel = url.pathname === "/" ? "index.html" : decodeURIComponent(url.pathname.slice(1));
    const file = normalize(join(root, rel));
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    let body;
    try {
      if (!statSync(file).isFile()) throw new Error("not a file");
      body = readFileSync(file);
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      "content-type": MIME[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
      // cross-origin isolation: performance.now() gets its fine resolution (5 µs instead of 100 µs)
      "cross-origin-opener-policy": "same-origin",
      "cross-origin-embedder-policy": "require-corp",
    });
    res.end(body);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server));
  });
}

const args = benchArgs(
  "node bench/js/browser.mjs [--json FILE] [--min-time-ms 200] [--repeats 5] [--only id,id] [--no-prom] [--chromium PATH]",
  { "no-prom": { type: "boolean", default: false }, chromium: { type: "string", default: CHROMIUM_PATH } },
);
const require = createRequire(import.meta.url);
const promVersion = require("prom-client/package.json").version;
const dir = mkdtempSync(join(tmpdir(), "glk-bench-js-"));
let server;
let browser;
try {
  let withProm = !args["no-prom"];
  let bundleNote = null;
  let built;
  try {
    built = await bundle(dir, withProm);
  } catch (e) {
    if (!withProm) throw e;
    const why = e.errors?.[0] ? `${e.errors[0].text} at ${e.errors[0].location?.file ?? "?"}` : String(e.message);
    bundleNote = `prom-client could not be bundled for the browser (${why}); compared against pure JS only`;
    process.stderr.write(bundleNote + "\n");
    withProm = false;
    built = await bundle(dir, false);
  }
  const bytes = statSync(join(dir, "bench.js")).size;
  process.stderr.write(`bundled ${join(dir, "bench.js")} (${(bytes / 1024).toFixed(0)} KiB, prom-client ${withProm ? "included" : "excluded"})\n`);
  for (const w of built.warnings) process.stderr.write(`esbuild warning: ${w.text}\n`);
  writeFileSync(
    join(dir, "index.html"),
    '<!doctype html><meta charset="utf-8"><title>golivekit observability JS bench</title><script type="module" src="bench.js"></script>\n',
  );

  server = await serve(dir);
  const url = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({
    executablePath: args.chromium,
    args: [...CHROMIUM_ARGS],
  });
  const page = await browser.newPage();
  page.on("console", (m) => process.stderr.write(`[page] ${m.text()}\n`));
  const pageErrors = [];
  page.on("pageerror", (e) => {
    pageErrors.push(e);
    process.stderr.write(`[page error] ${e.message}\n`);
  });
  await page.goto(url);
  await page.waitForFunction(() => globalThis.benchReady === true, null, { timeout: 30_000 }).catch((e) => {
    throw pageErrors[0] ?? e;
  });
  const out = await page.evaluate(
    (opts) => globalThis.runBench(opts),
    { minTimeMs: args.minTimeMs, repeats: args.repeats, only: args.only },
  );
  const version = browser.version();
  const env = { ...out.env, chromium: version, promClient: withProm ? promVersion : null };
  const notes = [...out.notes];
  if (bundleNote) notes.unshift(bundleNote);
  if (withProm) {
    notes.push(
      "prom-client bundled for the browser by esbuild with stand-ins for its Node built-ins (bench/js/stubs/); " +
        "the code paths measured (Counter, Histogram, Registry#metrics) use none of them",
    );
  }

  console.log(`## JS benchmark — Chromium ${version} (headless), ${env.cores} cores`);
  console.log(
    `@golivekit/observability ${env.observability} (dist/inline.js, bundled with esbuild) vs ` +
      `${withProm ? `prom-client ${promVersion} (bundled)` : "pure JS only (prom-client NOT available)"}; ` +
      `median of ${env.repeats} batches of ≥ ${env.minTimeMs} ms; ratio = ours / reference; ` +
      `crossOriginIsolated=${env.crossOriginIsolated}; suite took ${env.seconds} s\n`,
  );
  console.log(formatTable(out.results));
  console.log("");
  for (const n of notes) console.log(`- ${n}`);
  if (args.json) {
    writeFileSync(args.json, JSON.stringify({ env, notes, results: out.results }, null, 2) + "\n");
    process.stderr.write(`wrote ${args.json}\n`);
  }
} finally {
  await browser?.close();
  await new Promise((r) => (server ? server.close(r) : r()));
  rmSync(dir, { recursive: true, force: true });
}
