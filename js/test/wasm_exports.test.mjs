// The wasm module's C exports (wasm/bindings.cc, wasm/hot_paths.cc: EMSCRIPTEN_KEEPALIVE glk_*) against
// their hand-written TypeScript declaration (interface WasmExports of js/src/wasm-module.ts): the same
// names, and the same number of parameters. The exports are read from the built module itself (an
// exported wasm function's `length` is its parameter count), the declaration with the TypeScript parser.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import ts from "typescript";

import createObservabilityModule from "../../dist/observability.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

// name -> parameter count, or "value" for a member that is not a function (memory).
function declaredExports() {
  const file = join(root, "js", "src", "wasm-module.ts");
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

// The glk_* functions the module exports, and its memory.
async function builtExports() {
  const module = await createObservabilityModule({ wasmBinary: readFileSync(join(root, "dist", "observability.wasm")) });
  const x = module.asm ?? module.wasmExports;
  const out = new Map();
  for (const [name, v] of Object.entries(x)) {
    if (name.startsWith("glk_")) out.set(name, typeof v === "function" ? v.length : "value");
  }
  if (x.memory instanceof WebAssembly.Memory) out.set("memory", "value");
  return out;
}

test("every wasm export is declared in WasmExports with its parameter count, and nothing else is", async () => {
  const declared = declaredExports();
  const built = await builtExports();
  assert.ok(built.size > 40, `only ${built.size} glk_* exports found: did the module's export naming change?`);
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
