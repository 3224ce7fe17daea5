#!/usr/bin/env node
// The JS benchmark suite in Node: @golivekit/observability (dist/index.js, or with `--entry lite` the
// /lite entry, dist/lite.js) against prom-client and a pure-JS increment. Prints a markdown table;
// `--json <file>` also writes the results as JSON.
//
//   node bench/js/node.mjs [--entry default|lite] [--json out.json] [--min-time-ms 200] [--repeats 5] [--only id,id]
import { writeFileSync } from "node:fs";
import os from "node:os";
import { createRequire } from "node:module";
import { benchArgs } from "./args.mjs";
import { runSuite, formatTable } from "./cases.mjs";

const args = benchArgs(
  "node bench/js/node.mjs [--entry default|lite] [--json FILE] [--min-time-ms 200] [--repeats 5] [--only id,id]",
  { entry: { type: "string", default: "default" } },
);
const ENTRIES = { default: "index.js", lite: "lite.js" };
if (!ENTRIES[args.entry]) throw new Error(`--entry ${args.entry}: default or lite`);
const { loadObservability } = await import(`../../dist/${ENTRIES[args.entry]}`);
const require = createRequire(import.meta.url);
const prom = require("prom-client");
const promVersion = require("prom-client/package.json").version;
const obs = await loadObservability();

const t0 = performance.now();
const { results, notes } = await runSuite({
  obs,
  prom,
  minTimeMs: args.minTimeMs,
  repeats: args.repeats,
  only: args.only,
  exposes: args.entry !== "lite",
  log: (m) => process.stderr.write(m + "\n"),
});
const seconds = (performance.now() - t0) / 1000;

const env = {
  environment: "node",
  node: process.version,
  v8: process.versions.v8,
  cpu: os.cpus()[0]?.model ?? "unknown",
  cores: os.cpus().length,
  observability: obs.version,
  entry: `dist/${ENTRIES[args.entry]}`,
  promClient: promVersion,
  minTimeMs: args.minTimeMs,
  repeats: args.repeats,
  seconds: Number(seconds.toFixed(1)),
};

console.log(`## JS benchmark — Node ${env.node} (V8 ${env.v8}), ${env.cores} × ${env.cpu}`);
console.log(`@golivekit/observability ${env.observability} (${env.entry}) vs prom-client ${env.promClient}; ` +
  `median of ${env.repeats} batches of ≥ ${env.minTimeMs} ms; ratio = ours / reference; suite took ${env.seconds} s\n`);
console.log(formatTable(results));
console.log("");
for (const n of notes) console.log(`- ${n}`);

if (args.json) {
  writeFileSync(args.json, JSON.stringify({ env, notes, results }, null, 2) + "\n");
  process.stderr.write(`wrote ${args.json}\n`);
}
