// Assembles the npm package's dist/ from the wasm build: copies observability.wasm with its exports
// renamed to one or two letters, writes its base64 copy for the /inline entry, compiles js/src with TypeScript
// and gives the compiled code the same short names, and short names to its internal properties. Run by
// the CMake target npm_dist (wasm preset), which scripts/build-npm.sh and `npm pack` (prepack) build.
// Usage: node scripts/npm-dist.mjs <dir with observability.wasm>
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { exportSection, nameBytes, readExports, readImports, SECTION, sections, uleb, withSize } from "./wasm-binary.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = process.argv[2];
if (!from) {
  console.error("usage: node scripts/npm-dist.mjs <wasm build dir>");
  process.exit(2);
}
const typescript = join(root, "node_modules", "typescript", "lib", "typescript.js");
if (!existsSync(typescript)) {
  console.error("npm-dist: node_modules/typescript missing: run 'npm ci' (make deps does)");
  process.exit(1);
}

// --- short export and import names ------------------------------------------------------------------
// The module's exports keep their C names (glk_*) in wasm/ and js/src; the page gets them as a, b, c, …
// Their names are bytes the page would carry twice, in the module's export section and in the JS that
// calls them (about 0.5 KB of a page, gzip'd). Every glk_* export is renamed, in export order; those of
// the C runtime (its function table, __indirect_function_table) become __a, __b, … (60 B less page); the
// memory keeps its name. The compiled JS and its declarations get the same names where they use one as a
// property (`.name`) or a string (`"name"`); comments keep the C names. The same for the functions the
// module imports whose names have a `_` (emscripten_resize_heap, glk_obs_host_shortest; `abort` and the
// module name `env` are short already), in import order and in a namespace of their own, in the JS where
// it supplies them as the keys of an object (`name:`): 84 B less page. <wasm build
// dir>/observability.exports.json and observability.imports.json record the mappings (not shipped), as
// observability.mjs.symbols (written after the link: wasm/CMakeLists.txt) records the functions' names.
// The same JS has its internal property names shortened too (below); observability.properties.json, in
// the same directory, records them.

// a … z, A … Z, then two letters.
function shortName(i, letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  return i < letters.length ? letters[i] : letters[Math.floor(i / letters.length) - 1] + letters[i % letters.length];
}

// The module with its exports and imports renamed, and the mappings (C name -> short name). With `given`
// (the full module's mappings), the lite module gets the same short names, so that one compiled JS calls
// either: its exports are the full module's less glk_registry_expose, and a name the full module lacks is
// refused.
function shortenNames(module, given) {
  const names = new Map();
  const importNames = new Map();
  const shortFor = (mapping, name, made) => {
    if (!given) return made();
    if (!mapping.has(name)) throw new Error(`npm-dist: the lite module has ${name}, which the full module lacks`);
    return mapping.get(name);
  };
  const parts = [module.subarray(0, 8)];
  for (const s of sections(module)) {
    if (s.id === SECTION.import) {
      const imports = readImports(module, s);
      const body = uleb(imports.length);
      let renamed = 0;
      for (const { name, kind, start, nameStart, nameEnd, end } of imports) {
        const renames = kind === 0 && name.includes("_");
        const short = renames ? shortFor(given?.importNames, name, () => shortName(renamed++)) : name;
        if (short !== name) importNames.set(name, short);
        body.push(...module.subarray(start, nameStart), ...nameBytes(short), ...module.subarray(nameEnd, end));
      }
      parts.push(Uint8Array.from(withSize(s.id, body)));
    } else if (s.id === SECTION.export) {
      let exported = 0;
      let runtime = 0;
      const exports = readExports(module, s).map(({ name, kind, index }) => {
        const short = name.startsWith("glk_") ? shortFor(given?.names, name, () => shortName(exported++))
          : name.startsWith("__") ? shortFor(given?.names, name, () => `__${shortName(runtime++)}`) : name;
        if (short !== name) names.set(name, short);
        return { name: short, kind, index };
      });
      parts.push(Uint8Array.from(exportSection(exports)));
    } else {
      parts.push(Uint8Array.from(withSize(s.id, module.subarray(s.start, s.end))));
    }
  }
  return { module: Buffer.concat(parts), names, importNames };
}

// The short names in compiled JS and declarations: where a name is a property (`.name`), a string
// (`"name"`), an object's key (`name:` after a `{`, a `,` or the start of a line) or, in a declaration
// file, a member (`  name(`).
function renameInCode(text, names, declarations) {
  const rename = (m, before, name) => (names.has(name) ? before + names.get(name) : m);
  let out = text
    .replace(/(\.)([A-Za-z_$][\w$]*)/g, rename)
    .replace(/(")([A-Za-z_$][\w$]*)(?=")/g, rename)
    .replace(/((?:^|[{,])\s*)([A-Za-z_$][\w$]*)(?=\s*:)/gm, rename);
  if (declarations) out = out.replace(/^(\s+)([A-Za-z_$][\w$]*)(?=\()/gm, rename);
  return out;
}

// --- short internal property names -------------------------------------------------------------------
// The page's minifier shortens local names and #private fields, never a property's name: the methods and
// fields through which the modules of js/src talk to each other (core.putStrings, series.pending, …)
// would reach the page in full, some a dozen times (190 B of a page, gzip'd; 1.2 KB before). The classes'
// own fields and methods are such members too rather than #private ones: a private name is a character
// longer at each use, and each private field a definition more (21 B of a page). These names are no part of
// the API (types.ts declares none of them, which manglePlan checks); the compiled JS and the
// declarations get each of them as a name of one letter where it is a property (`.name`, a key, a class
// or interface member, a destructured key), found by TypeScript's parser, so strings, comments and
// formatting stay as they are. WasmCore.flushQueue, WasmCore.memoryUse and WasmCore.wasm are spelled so
// that they share no name with a public member (Shipper.flush, Observability.memoryStats) or a platform
// one (WebAssembly.Instance.exports).
const INTERNAL_NAMES = [
  // WasmCore
  "wasm", "heap", "seriesClasses", "flushQueue", "freeWithOwner", "putStrings", "string",
  "bytes", "putNumbers", "numbers", "errorAt", "check", "memoryUse", "finalizer", "updated",
  "numberBuffer",
  // series handles (the prototype's core, wasm, heap and kind too)
  "core", "kind", "address", "cell", "pending", "queued", "flushInto", "enqueue", "free",
  // metrics and registries
  "nativeAddress", "onlySeries", "names", "refresh", "series", "single",
  "withoutLabels", "forget", "newSeries", "runtime", "own", "release", "uncached",
  // the memory view, the batch source and its batches
  "f64", "u32", "id", "encode", "skip", "busy", "done",
];

// The declaration files of the package's entry points: a member of theirs with an internal name would be
// renamed under its users.
const PUBLIC_DECLARATIONS = [
  "types.d.ts", "index.d.ts", "browser.d.ts", "inline.d.ts", "lite.d.ts", "lite-browser.d.ts", "lite-inline.d.ts",
  "vitals.d.ts", "generated/web-vitals.d.ts", "generated/constants.d.ts",
];

// The letters by how often they occur in the page's minified code, most often first: gzip codes a
// frequent letter in fewer bits.
const FREQUENT_FIRST = "tesrinaohlucfdmpwygbvEBATkxNSCOIDLMjRqUFPzHJWKGVXYZQ";

// Internal name -> short name: one letter that no other property of the package's code uses. The code
// still has the exports' C names here: their short names, properties of the module's exports and imports
// only, where no internal name goes, may be taken again.
function manglePlan(ts, files) {
  const internal = new Set(INTERNAL_NAMES);
  const taken = new Set();
  const uses = new Map(INTERNAL_NAMES.map((name) => [name, 0]));
  for (const [file, text] of files) {
    for (const { name } of propertyNames(ts, file, text)) {
      if (PUBLIC_DECLARATIONS.includes(file) && internal.has(name)) {
        throw new Error(`npm-dist: ${file} has a member named ${name}, which INTERNAL_NAMES mangles`);
      }
      if (!internal.has(name)) taken.add(name);
      else if (file.endsWith(".js")) uses.set(name, uses.get(name) + 1);
    }
  }
  // The most used names get the most frequent letters (a stable sort: ties keep INTERNAL_NAMES' order).
  const byUse = [...INTERNAL_NAMES].sort((a, b) => uses.get(b) - uses.get(a));
  const plan = new Map();
  for (let i = 0; plan.size < byUse.length; i++) {
    const short = shortName(i, FREQUENT_FIRST);
    if (!taken.has(short)) plan.set(byUse[plan.size], short);
  }
  return plan;
}

// Where the code names a property: { name, at, shorthand } (shorthand: `{ name }`, which needs a key).
// A quoted key or `["name"]` naming an internal property is refused: the renaming would miss it.
function propertyNames(ts, file, text) {
  const kind = file.endsWith(".d.ts") ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const found = [];
  const add = (id, shorthand = false) => {
    if (ts.isIdentifier(id)) found.push({ name: id.text, at: id.getStart(source), shorthand });
    else if (ts.isStringLiteral(id) && INTERNAL_NAMES.includes(id.text)) {
      throw new Error(`npm-dist: ${file} names the internal property ${id.text} in quotes`);
    }
  };
  const visit = (node) => {
    if (ts.isPropertyAccessExpression(node)) add(node.name);
    else if (ts.isElementAccessExpression(node) && ts.isStringLiteral(node.argumentExpression)) add(node.argumentExpression);
    else if (ts.isShorthandPropertyAssignment(node)) add(node.name, true);
    else if (ts.isBindingElement(node) && ts.isObjectBindingPattern(node.parent) && !node.dotDotDotToken) {
      add(node.propertyName ?? node.name, !node.propertyName);
    } else if (
      ts.isPropertyAssignment(node) || ts.isMethodDeclaration(node) || ts.isPropertyDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node) || ts.isPropertySignature(node) ||
      ts.isMethodSignature(node)
    ) {
      add(node.name);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

// js/src compiled as js/tsconfig.json says, by one TypeScript program that first proves every `.name` in
// js/src with an internal name reaches a member declared in js/src: were it a platform object's (an
// array's find, a Map's clear, an iterator result's done), renaming it would break the call, and no
// declaration file would tell. The same program then emits dist/ (one type-check, not two).
function compile(ts) {
  const src = join(root, "js", "src");
  const { config } = ts.readConfigFile(join(root, "js", "tsconfig.json"), ts.sys.readFile);
  const { options, fileNames } = ts.parseJsonConfigFileContent(config, ts.sys, join(root, "js"));
  const program = ts.createProgram(fileNames, options);
  const checker = program.getTypeChecker();
  const ours = (declaration) => declaration.getSourceFile().fileName.startsWith(src);
  for (const source of program.getSourceFiles().filter(ours)) {
    const visit = (node) => {
      if (ts.isPropertyAccessExpression(node) && INTERNAL_NAMES.includes(node.name.text)) {
        const declarations = checker.getSymbolAtLocation(node.name)?.declarations ?? [];
        if (declarations.length === 0 || !declarations.every(ours)) {
          const { line } = source.getLineAndCharacterOfPosition(node.name.getStart(source));
          throw new Error(`npm-dist: ${source.fileName}:${line + 1}: .${node.name.text} is not a member js/src declares, but INTERNAL_NAMES mangles it`);
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...program.emit().diagnostics];
  if (diagnostics.length > 0) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => "\n" };
    console.error(ts.formatDiagnosticsWithColorAndContext(diagnostics, host));
    throw new Error(`npm-dist: TypeScript reports ${diagnostics.length} problem(s) in js/src`);
  }
}

function mangleProperties(ts, file, text, plan) {
  let out = text;
  const uses = propertyNames(ts, file, text).filter(({ name }) => plan.has(name));
  for (const { name, at, shorthand } of uses.sort((a, b) => b.at - a.at)) {
    const short = plan.get(name);
    out = out.slice(0, at) + (shorthand ? `${short}: ${name}` : short) + out.slice(at + name.length);
  }
  return out;
}

// `let` for every `const` inside a function: the same code (TypeScript already refuses an assignment to
// a const), two letters less at each of the ~100 declarations a page carries. esbuild does this when it
// bundles; Vite's minifier (per chunk) keeps the keyword it is given. Module-level consts stay: bundlers
// inline a module's constants only when they are const.
function letForConst(ts, file, text) {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const at = [];
  const visit = (node) => {
    if (ts.isVariableDeclarationList(node) && node.flags & ts.NodeFlags.Const &&
        !(ts.isVariableStatement(node.parent) && ts.isSourceFile(node.parent.parent))) {
      at.push(node.getStart(source));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  let out = text;
  for (const i of at.sort((a, b) => b - a)) {
    if (out.slice(i, i + 5) !== "const") throw new Error(`npm-dist: ${file}: no const at ${i}`);
    out = `${out.slice(0, i)}let${out.slice(i + 5)}`;
  }
  return out;
}

// The file gzip'd by Zopfli.
function zopfliGzip(file) {
  try {
    return execFileSync("zopfli", ["--gzip", "-c", file], { maxBuffer: 64 << 20 });
  } catch (e) {
    if (e.code !== "ENOENT") throw e;
    console.error("npm-dist: zopfli missing: run 'make deps' (Debian's zopfli package)");
    process.exit(1);
  }
}

const dist = join(root, "dist");
mkdirSync(dist, { recursive: true });
const full = shortenNames(readFileSync(join(from, "observability.wasm")));
const { names: exportNames, importNames } = full;
// The module of the /lite entry (js/src/lite.ts): the same build without the exposition, its exports
// named as the full module's.
const lite = shortenNames(readFileSync(join(from, "observability-lite.wasm")), full);
for (const [file, shortened] of [["observability", full], ["observability-lite", lite]]) {
  writeFileSync(join(dist, `${file}.wasm`), shortened.module);
  chmodSync(join(dist, `${file}.wasm`), 0o644); // the linker marks the .wasm executable; it is data
}
for (const [file, names] of [["exports", exportNames], ["imports", importNames]]) {
  writeFileSync(join(from, `observability.${file}.json`), `${JSON.stringify(Object.fromEntries(names), null, 2)}\n`);
}
rmSync(join(dist, "observability.mjs"), { force: true }); // emcc's runtime, left by an older build
// Compressed before base64: base64 hides the module's byte patterns from the bundle's own gzip, so the
// page would carry ~40 KB gzip'd for it instead of ~32 KB. js/src/inline.ts decompresses it with the
// platform's DecompressionStream. Zopfli (Debian's zopfli, which make deps installs) writes the same gzip
// format as zlib, 5 % smaller (1.3 KB less page) for a second more of packaging; like zlib, it writes
// no time or name in the header: the same module gives the same bytes.
const gz = zopfliGzip(join(dist, "observability.wasm"));
// The same gzip as a file, which the default and browser entries fetch (js/src/module-url.ts): a page
// gets the module at this size also from a server that does not compress .wasm (nginx's and Apache's
// defaults), and 5 % smaller than from one that gzips it on the fly.
writeFileSync(join(dist, "observability.wasm.gz"), gz);
writeFileSync(join(dist, "observability-lite.wasm.gz"), zopfliGzip(join(dist, "observability-lite.wasm")));
writeFileSync(
  join(dist, "observability-wasm-inline.js"),
  `// observability.wasm, gzip'd and in base64, for the /inline entry (generated by scripts/npm-dist.mjs).\nexport default "${gz.toString("base64")}";\n`,
);
const codeNames = new Map([...exportNames, ...importNames]);
const { default: ts } = await import(typescript);
compile(ts);
// What js/src no longer has (a module merged into another) would stay in dist/ from an earlier build,
// and be packed.
for (const file of readdirSync(dist, { recursive: true })) {
  const compiled = /^(.*)\.(js|d\.ts)$/.exec(file);
  if (compiled && file !== "observability-wasm-inline.js" && !existsSync(join(root, "js", "src", `${compiled[1]}.ts`))) {
    rmSync(join(dist, file));
  }
}
const code = new Map();
for (const file of readdirSync(dist, { recursive: true })) {
  if ((!file.endsWith(".js") && !file.endsWith(".d.ts")) || file === "observability-wasm-inline.js") continue;
  code.set(file, readFileSync(join(dist, file), "utf8"));
}
const plan = manglePlan(ts, code);
writeFileSync(join(from, "observability.properties.json"), `${JSON.stringify(Object.fromEntries(plan), null, 2)}\n`);
for (const [file, text] of code) {
  const declarations = file.endsWith(".d.ts");
  const mangled = mangleProperties(ts, file, text, plan);
  const renamed = renameInCode(declarations ? mangled : letForConst(ts, file, mangled), codeNames, declarations);
  if (renamed !== text) writeFileSync(join(dist, file), renamed);
}
