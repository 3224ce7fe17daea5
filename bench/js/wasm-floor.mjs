#!/usr/bin/env node
// Diagnostic (Node only): the cost of the raw wasm exports the hot paths call, without the JS wrapper,
// next to the pure-JS increment. Tells whether a slow row of node.mjs is the wrapper or the wasm side.
// It uses the module's INTERNAL C exports (glk_metric_new/glk_metric_child, wasm/bindings.cc and
// js/src/wasm-module.ts), so it may need updating when those change. The shipped module names them
// a, b, c, … (scripts/npm-dist.mjs); the mapping is read from the wasm build (build/wasm/wasm/).
//
//   node bench/js/wasm-floor.mjs
import { readFileSync } from "node:fs";
import { instantiateWasm } from "../../dist/wasm-instance.js";
import { measure } from "./cases.mjs";

const { exports: shipped } = await instantiateWasm(readFileSync(new URL("../../dist/observability.wasm", import.meta.url)));
const shortNames = JSON.parse(readFileSync(new URL("../../build/wasm/wasm/observability.exports.json", import.meta.url), "utf8"));
const w = { memory: shipped.memory };
for (const [name, short] of Object.entries(shortNames)) w[name] = shipped[short];
if (typeof w.glk_metric_new !== "function" || typeof w.glk_metric_child !== "function") {
  console.error("wasm-floor: the module has no glk_metric_new/glk_metric_child any more; update this script (wasm/bindings.cc)");
  process.exit(2);
}
// glk_metric_new reads name and help from the input buffer: a string view of each (address and length,
// two 32-bit words), then their UTF-8 bytes.
const metric = (kind, name) => {
  const text = [name, "x"];
  let view = w.glk_in(64) >> 2;
  const mem = new Uint8Array(w.memory.buffer);
  const words = new Uint32Array(w.memory.buffer);
  let at = (view + text.length * 2) * 4;
  for (const s of text) {
    words[view++] = at;
    at += words[view++] = new TextEncoder().encodeInto(s, mem.subarray(at)).written;
  }
  // Default classic buckets (-1), no native buckets (factor 0; threshold and limit then unused).
  return w.glk_metric_child(w.glk_metric_new(kind, text.length, -1, 0, 2 ** -128, 160), 0);
};
const ps = [];
for (let k = 0; k < 8; k++) ps.push(metric(0, `c${k}_total`));
const hp = metric(2, "h_seconds");
// A counter update is no call: JS adds to the cell's double (js/src/series.ts, wasm/hot_paths.cc).
const cells = ps.map((p) => w.glk_cell(0, p) >>> 3);
const observe = w.glk_histogram_observe;
const objs = Array.from({ length: 8 }, () => ({ v: 0 }));
let sink = 0;
const rows = [
  ["cell write f64[cells[i & 7]] += 1", (n) => {
    const f64 = new Float64Array(w.memory.buffer);
    for (let i = 0; i < n; i++) f64[cells[i & 7]] += 1;
    sink += w.glk_counter_value(ps[0]);
  }],
  ["raw glk_histogram_observe(p, 0.3)", (n) => { for (let i = 0; i < n; i++) observe(hp, 0.3); sink += w.glk_histogram_count(hp); }],
  ["pure JS objs[i & 7].v += 1", (n) => { for (let i = 0; i < n; i++) objs[i & 7].v += 1; sink += objs[0].v; }],
];
console.log(`Node ${process.version} (V8 ${process.versions.v8})\n\n| call | ns/op |\n|---|---:|`);
for (const [name, run] of rows) console.log(`| ${name} | ${(await measure(run)).nsPerOp.toFixed(2)} |`);
if (!(sink > 0)) console.error("sink is zero?");
