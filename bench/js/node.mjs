#!/usr/bin/env node
// The JS benchmark suite in Node: @golivekit/observability (dist/index.js) against prom-client and a
// pure-JS increment. Prints a markdown table; `--json <file>` also writes the results as JSON.
//
//   node bench/js/node.mjs [--json out.json] [--min-time-ms 200] [--repeats 5] [--only id,id]
import { writeFileSync } from "node:fs";
import os from "node:os";
import { createRequire } from "node:module";
import { loadObservability } from "../../dist/index.js";
import { benchArgs } from "./args.mjs";
import { runSuite, formatTable } from "./cases.mjs";

const args = benchArgs("node bench/js/node.mjs [--json FILE] [--min-time-ms 200] [--repeats 5] [--only id,id]");
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
  promClient: promVersion,
  minTimeMs: args.minTimeMs,
  repeats: args.repeats,
  seconds: Number(seconds.toFixed(1)),
};

console.log(`## JS benchmark — Node ${env.node} (V8 ${env.v8}), ${env.cores} × ${env.cpu}`);
console.log(`@golivekit/observability ${env.observability} (dist/index.js) vs prom-client ${env.promClient}; ` +
  `median of ${env.repeats} batches of ≥ ${env.minTimeMs} ms; ratio = ours / reference; suite took ${env.seconds} s\n`);
console.log(formatTable(results));
console.log("");
for (const n of notes) console.log(`- ${n}`);

if (args.json) {
  writeFileSync(args.json, JSON.stringify({ env, notes, results }, null, 2) + "\n");
  process.stderr.write(`wrote ${args.json}\n`);
}
