#!/usr/bin/env node
// The JS benchmark suite in Node: @golivekit/observability (dist/index.js) against prom-client and a
// pure-JS increment. Prints a markdown table; `--json <file>` also writes the results as JSON.
//
//   node bench/js/node.mjs [--json out.json] [--min-time-ms 200] [--repeats 5] [--only id,id]
import { writeFileSync } from "node:fs";
import os from "node:os";
import { createRequire } from "node:module";
import { loadObservability } from "../../dist/index.js";
import { runSuite, formatTable } from "./cases.mjs";

function parseArgs(argv) {
  const out = { json: null, minTimeMs: 200, repeats: 5, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--json") out.json = next();
    else if (a === "--min-time-ms") out.minTimeMs = Number(next());
    else if (a === "--repeats") out.repeats = Number(next());
    else if (a === "--only") out.only = next().split(",");
    else if (a === "-h" || a === "--help") {
      console.log("usage: node bench/js/node.mjs [--json FILE] [--min-time-ms 200] [--repeats 5] [--only id,id]");
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
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
