#!/usr/bin/env node
// Diagnostic (Node only): the cost of the raw wasm exports the hot paths call, without the JS wrapper,
// next to the pure-JS increment. Tells whether a slow row of node.mjs is the wrapper or the wasm side.
// It uses the glue's INTERNAL embind functions (metricNew/metricChild, js/src/wasm-module.ts), so it
// may need updating when those change.
//
//   node bench/js/wasm-floor.mjs
import { readFileSync } from "node:fs";
import createModule from "../../dist/observability.mjs";
import { measure } from "./cases.mjs";

const M = await createModule({ wasmBinary: readFileSync(new URL("../../dist/observability.wasm", import.meta.url)) });
const w = M.asm ?? M.wasmExports;
if (typeof M.metricNew !== "function" || typeof M.metricChild !== "function") {
  console.error("wasm-floor: the glue has no metricNew/metricChild any more; update this script (js/src/wasm-module.ts)");
  process.exit(2);
}
const ps = [];
for (let k = 0; k < 8; k++) ps.push(M.metricChild(M.metricNew(0, `c${k}_total`, "x", [], undefined), []));
const hp = M.metricChild(M.metricNew(2, "h_seconds", "x", [], undefined), []);
const inc = w.glk_counter_inc;
const observe = w.glk_histogram_observe;
const objs = Array.from({ length: 8 }, () => ({ v: 0 }));
let sink = 0;
const rows = [
  ["raw glk_counter_inc(ps[i & 7])", (n) => { for (let i = 0; i < n; i++) inc(ps[i & 7]); sink += w.glk_counter_value(ps[0]); }],
  ["raw glk_histogram_observe(p, 0.3)", (n) => { for (let i = 0; i < n; i++) observe(hp, 0.3); sink += w.glk_histogram_count(hp); }],
  ["pure JS objs[i & 7].v += 1", (n) => { for (let i = 0; i < n; i++) objs[i & 7].v += 1; sink += objs[0].v; }],
];
console.log(`Node ${process.version} (V8 ${process.versions.v8})\n\n| call | ns/op |\n|---|---:|`);
for (const [name, run] of rows) console.log(`| ${name} | ${(await measure(run)).nsPerOp.toFixed(2)} |`);
if (!(sink > 0)) console.error("sink is zero?");
