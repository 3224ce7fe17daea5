// The wasm module's C exports (wasm/bindings.cc, wasm/hot_paths.cc: EMSCRIPTEN_KEEPALIVE glk_*) against
// their hand-written TypeScript declaration (interface WasmExports of js/src/wasm-module.ts): the same
// names, and the same number of parameters. The exports are read from the shipped module itself (an
// exported wasm function's `length` is its parameter count), the declarations with the TypeScript parser.
// The shipped module and code call the glk_* exports by short names (scripts/npm-dist.mjs): the shipped
// declaration (dist/wasm-module.d.ts) must be the source's with each name renamed, member for member,
// and the module must export exactly what it declares. The imports with a `_` in their names are
// shortened too, in the module and in what wasm-instance.ts supplies.
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";

import ts from "typescript";

import { instantiateWasm, wasmImports } from "../../dist/wasm-instance.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

// name -> parameter count, or "value" for a member that is not a function (memory), in declaration order.
function declaredExports(file) {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, true);
  const decl = source.statements.find((s) => ts.isInterfaceDeclaration(s) && s.name.text === "WasmExports");
  assert.ok(decl, "js/src/wasm-module.ts declares no interface WasmExports");
  const out = new Map();
  for (const m of decl.members) {
    const name = m.name.getText(source);
    if (ts.isMethodSignature(m)) out.set(name, m.parameters.length);
    else if (ts.isPropertySignature(m) && m.type && ts.isFunctionTypeNode(m.type)) out.set(name, m.type.parameters.length);
    else out.set(name, "value");
  }
  return out;
}

const sourceDeclaration = () => declaredExports(join(root, "js", "src", "wasm-module.ts"));
const shippedDeclaration = () => declaredExports(join(root, "dist", "wasm-module.d.ts"));

// The C name of each export -> the name the shipped module and code use (the test below checks that
// the two declarations correspond member for member).
const shippedNames = (() => {
  const [source, shipped] = [[...sourceDeclaration().keys()], [...shippedDeclaration().keys()]];
  return new Map(source.map((name, i) => [name, shipped[i]]));
})();

// The functions the module exports under their short names, and its memory (not the C runtime's
// function table, shipped as __a, which is not WasmExports').
async function builtExports() {
  const { exports: x } = await instantiateWasm(readFileSync(join(root, "dist", "observability.wasm")));
  const out = new Map();
  for (const [name, v] of Object.entries(x)) {
    if (!name.startsWith("__")) out.set(name, typeof v === "function" ? v.length : "value");
  }
  return out;
}

test("the shipped declaration is the source's with each glk_* name shortened, member for member", () => {
  const source = [...sourceDeclaration()];
  const shipped = [...shippedDeclaration()];
  assert.equal(shipped.length, source.length);
  const seen = new Set();
  source.forEach(([name, arity], i) => {
    const [short, shortArity] = shipped[i];
    assert.equal(shortArity, arity, `${name} -> ${short}: parameter count`);
    if (name.startsWith("glk_")) assert.match(short, /^[A-Za-z]{1,2}$/, `${name} is shipped as ${short}`);
    else assert.equal(short, name, "only the glk_* names are shortened");
    assert.ok(!seen.has(short), `${short} names two exports`);
    seen.add(short);
  });
});

test("the module leaves no static constructor for the JS to run (its link ran them: EVAL_CTORS)", () => {
  const module = new WebAssembly.Module(readFileSync(join(root, "dist", "observability.wasm")));
  const runtime = WebAssembly.Module.exports(module).filter(({ name }) => name.startsWith("__"));
  assert.deepEqual(runtime, [{ name: "__a", kind: "table" }], "only the C runtime's function table");
});

test("the shipped code names no export or import by its C name (comments aside)", () => {
  const stale = [];
  for (const file of readdirSync(join(root, "dist")).filter((f) => f.endsWith(".js"))) {
    const code = readFileSync(join(root, "dist", file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    for (const m of code.matchAll(/glk_\w+|emscripten_resize_heap/g)) stale.push(`${file}: ${m[0]}`);
  }
  assert.deepEqual(stale, []);
});

test("every wasm export is declared in WasmExports with its parameter count, and nothing else is", async () => {
  const declared = shippedDeclaration();
  const built = await builtExports();
  assert.ok(built.size > 30, `only ${built.size} exports found: did the module's export naming change?`);
  const problems = [];
  for (const [name, arity] of built) {
    if (!declared.has(name)) problems.push(`${name}: exported (${arity} parameters), not declared in wasm-module.ts`);
    else if (declared.get(name) !== arity) problems.push(`${name}: exported with ${arity} parameters, declared with ${declared.get(name)}`);
  }
  for (const name of declared.keys()) {
    if (!built.has(name)) problems.push(`${name}: declared in wasm-module.ts, not exported by the module`);
  }
  assert.deepEqual(problems, []);
});

// The /lite entries' module (wasm/CMakeLists.txt: GLK_OBS_WASM_LITE) is the same build without the
// exposition: one compiled JS calls either, so its exports must be the full module's, under the same short
// names with the same parameter counts, less glk_registry_expose alone; and it imports the same but the
// clock, which its record-only core (GLK_OBS_RECORD_ONLY: no lifetimes, no created timestamps) never reads.
test("the lite module exports the full module's but glk_registry_expose, under the same names", async () => {
  const lite = new WebAssembly.Module(readFileSync(join(root, "dist", "observability-lite.wasm")));
  const full = new WebAssembly.Module(readFileSync(join(root, "dist", "observability.wasm")));
  const { exports: x } = await instantiateWasm(readFileSync(join(root, "dist", "observability-lite.wasm")));
  const built = await builtExports();
  const liteNames = WebAssembly.Module.exports(lite).map((e) => `${e.name} (${e.kind})`);
  const expected = WebAssembly.Module.exports(full)
    .filter((e) => e.name !== shippedNames.get("glk_registry_expose"))
    .map((e) => `${e.name} (${e.kind})`);
  assert.equal(expected.length, WebAssembly.Module.exports(full).length - 1, "the full module exports glk_registry_expose");
  assert.deepEqual(liteNames.sort(), expected.sort());
  for (const [name, arity] of built) {
    if (name !== shippedNames.get("glk_registry_expose")) {
      assert.equal(typeof x[name] === "function" ? x[name].length : "value", arity, `${name}: parameter count`);
    }
  }
  const fullImports = WebAssembly.Module.imports(full);
  const liteImports = WebAssembly.Module.imports(lite);
  assert.equal(liteImports.length, fullImports.length - 1, "the lite module imports one function fewer");
  for (const i of liteImports) assert.ok(fullImports.some((f) => f.name === i.name && f.kind === i.kind), i.name);
  // The one it lacks is the clock (the second import that wasm-instance.ts supplies: see below).
  const env = Object.keys(wasmImports(() => undefined).env);
  const missing = fullImports.filter((f) => !liteImports.some((i) => i.name === f.name)).map((f) => f.name);
  assert.deepEqual(missing, [env[2]]);
  assert.deepEqual(gunzipSync(readFileSync(join(root, "dist", "observability-lite.wasm.gz"))),
    readFileSync(join(root, "dist", "observability-lite.wasm")));
});

test("the module imports exactly what wasm-instance.ts supplies", () => {
  const module = new WebAssembly.Module(readFileSync(join(root, "dist", "observability.wasm")));
  const imported = WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name} (${i.kind})`).sort();
  const supplied = Object.entries(wasmImports(() => undefined))
    .flatMap(([m, fns]) => Object.keys(fns).map((name) => `${m}.${name} (function)`))
    .sort();
  // An undefined C++ symbol links as one more import (wasm/CMakeLists.txt: ERROR_ON_UNDEFINED_SYMBOLS=0).
  assert.deepEqual(imported, supplied);
});

test("memory grows through emscripten_resize_heap, the clock is Date.now and the float hook writes into memory", async () => {
  const { exports: x } = await instantiateWasm(readFileSync(join(root, "dist", "observability.wasm")));
  let grown = 0;
  const env = wasmImports(() => x.memory, () => grown++).env;
  // Supplied in the source's order (js/src/wasm-instance.ts), all but abort under short names.
  const names = Object.keys(env);
  assert.equal(names.length, 4, `env supplies ${names.join(", ")}`);
  assert.equal(names[0], "abort");
  assert.ok(names.slice(1).every((name) => /^[A-Za-z]{1,2}$/.test(name)), `shipped as ${names.join(", ")}`);
  const [abort, resizeHeap, now, shortest] = Object.values(env);
  const startedAt = Date.now();
  const clock = now();
  assert.ok(clock >= startedAt && clock <= Date.now(), "the core's clock is Date.now()");
  const before = x.memory.buffer.byteLength;
  assert.equal(resizeHeap(before + 1), 1);
  assert.ok(x.memory.buffer.byteLength >= before * 1.2, "grown by a fifth at least");
  assert.equal(grown, 1, "views of the memory are told to be made again");
  assert.equal(resizeHeap(2 ** 32 - 1), 0, "beyond the module's maximum: refused, not thrown");
  const at = x[shippedNames.get("glk_nums")](1);
  assert.equal(shortest(0.1, at), 3);
  assert.equal(new TextDecoder().decode(new Uint8Array(x.memory.buffer, at, 3)), "0.1");
  assert.throws(() => abort(), WebAssembly.RuntimeError);
});

// Browsers fetch the module (js/src/wasm-instance.ts): the package's gzip'd observability.wasm.gz, or a
// plain module given as wasmUrl, from any server. Node 20's fetch behaves as theirs does, so the fetch
// path is tried here against a loopback server.
test("fetching the module: gzip'd or plain, whatever the server says of it; clear errors", async (t) => {
  const { createServer } = await import("node:http");
  const bytes = readFileSync(join(root, "dist", "observability.wasm"));
  const packed = readFileSync(join(root, "dist", "observability.wasm.gz"));
  assert.deepEqual(gunzipSync(packed), bytes, "dist/observability.wasm.gz is dist/observability.wasm gzip'd");
  const hits = [];
  const server = createServer((req, res) => {
    hits.push(req.url);
    const serve = (type, body, headers = {}) => res.writeHead(200, { "content-type": type, ...headers }).end(body);
    if (req.url === "/m.wasm.gz") serve("application/gzip", packed);
    // A server that marks .gz files as gzip-encoded: the fetch gunzips them already.
    else if (req.url === "/encoded.wasm.gz") serve("application/wasm", packed, { "content-encoding": "gzip" });
    else if (req.url === "/plain.wasm") serve("application/wasm", bytes);
    else if (req.url === "/octet.wasm") serve("application/octet-stream", bytes);
    // A plain module that the server gzips on the fly, as most do for what they compress.
    else if (req.url === "/onthefly.wasm") serve("application/wasm", gzipSync(bytes), { "content-encoding": "gzip" });
    else if (req.url === "/page.wasm") serve("text/html", "<!doctype html>");
    else if (req.url === "/truncated.wasm.gz") serve("application/gzip", packed.subarray(0, packed.length >> 1));
    else res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  t.after(() => server.close());
  const base = `http://127.0.0.1:${server.address().port}`;

  const observe = shippedNames.get("glk_histogram_observe");
  for (const file of ["m.wasm.gz", "encoded.wasm.gz", "plain.wasm", "octet.wasm", "onthefly.wasm"]) {
    hits.length = 0;
    const { exports: x } = await instantiateWasm(`${base}/${file}`);
    assert.equal(typeof x[observe], "function", file);
    assert.deepEqual(hits, [`/${file}`], `${file}: one request`);
  }
  await assert.rejects(instantiateWasm(`${base}/missing.wasm`), /cannot load .*missing\.wasm: HTTP 404/);
  await assert.rejects(instantiateWasm(`${base}/page.wasm`), (e) => e instanceof WebAssembly.CompileError);
  await assert.rejects(instantiateWasm(`${base}/truncated.wasm.gz`), (e) => e instanceof TypeError, "a cut gzip stream");
});

test("the module from bytes: plain or gzip'd, as an ArrayBuffer or any view of one", async () => {
  const bytes = readFileSync(join(root, "dist", "observability.wasm"));
  const packed = readFileSync(join(root, "dist", "observability.wasm.gz"));
  const observe = shippedNames.get("glk_histogram_observe");
  const inBigger = (b) => new Uint8Array([7, 7, ...b, 7]).subarray(2, 2 + b.length); // a view at an offset
  for (const [what, source] of [
    ["plain Uint8Array", new Uint8Array(bytes)],
    ["gzip'd Uint8Array", new Uint8Array(packed)],
    ["gzip'd ArrayBuffer", new Uint8Array(packed).slice().buffer],
    ["plain view at an offset", inBigger(bytes)],
    ["gzip'd view at an offset", inBigger(packed)],
    ["gzip'd DataView", new DataView(inBigger(packed).buffer, 2, packed.length)],
  ]) {
    const { exports: x } = await instantiateWasm(source);
    assert.equal(typeof x[observe], "function", what);
  }
  await assert.rejects(instantiateWasm(new Uint8Array(0)), (e) => e instanceof WebAssembly.CompileError, "no bytes");
});
