// npm.tarball_contents: the packed tarball holds what users need and nothing else; every relative
// import in what it ships, and every "exports" target, points at a file it ships.
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { args, assert, fail, main, run } from "./lib.mjs";

const REQUIRED = [
  "package.json",
  "README.md",
  "LICENSE",
  "dist/index.js",
  "dist/index.d.ts",
  "dist/browser.js",
  "dist/browser.d.ts",
  "dist/inline.js",
  "dist/inline.d.ts",
  "dist/lite.js",
  "dist/lite.d.ts",
  "dist/lite-browser.js",
  "dist/lite-inline.js",
  "dist/types.d.ts",
  "dist/vitals.js",
  "dist/vitals.d.ts",
  "dist/observability.wasm",
  "dist/observability.wasm.gz",
  "dist/observability-lite.wasm",
  "dist/observability-lite.wasm.gz",
  "dist/observability-wasm-inline.js",
  "dist/generated/constants.js",
  "dist/generated/web-vitals.js",
];

// Compiled TypeScript (.js + .d.ts) under dist/, the wasm module, package metadata.
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICEN[CS]E(\.md|\.txt)?$/,
  /^dist\/[a-z0-9-]+\.js$/,
  /^dist\/[a-z0-9-]+\.d\.ts$/,
  /^dist\/generated\/[a-z0-9-]+\.(js|d\.ts)$/, // written from the C++ by the build (wasm/js_constants.cc)
  /^dist\/observability(-lite)?\.wasm(\.gz)?$/,
];

main("npm.tarball_contents", async () => {
  const ctx = args();
  const listing = run("tar", ["-tzf", ctx.tarball]).stdout.split("\n").filter(Boolean);
  const entries = [];
  for (const e of listing) {
    assert(e.startsWith("package/"), `tarball entry outside package/: ${e}`);
    if (!e.endsWith("/")) entries.push(e.slice("package/".length));
  }
  const files = new Set(entries);
  assert(files.size === entries.length, `duplicate entries in the tarball: ${entries.join(", ")}`);

  const missing = REQUIRED.filter((f) => !files.has(f));
  const unexpected = entries.filter((f) => !ALLOWED.some((re) => re.test(f)));
  if (missing.length || unexpected.length) {
    fail(
      `tarball contents are wrong.\n  missing: ${JSON.stringify(missing)}\n  unexpected: ${JSON.stringify(unexpected)}` +
        `\n  all: ${JSON.stringify([...files].sort())}`,
    );
  }
  // Belt and braces (ALLOWED already excludes them): no sources, tests, build trees, maps.
  for (const f of files) {
    assert(!/^(js|src|tests?|build|node_modules|scripts|core|wasm|native)\//.test(f), `should not ship ${f}`);
    assert(!(f.endsWith(".ts") && !f.endsWith(".d.ts")) && !f.endsWith(".map") && !f.endsWith(".tsbuildinfo"), `should not ship ${f}`);
  }

  const read = (f) => run("tar", ["-xOzf", ctx.tarball, `package/${f}`], { env: { LC_ALL: "C" } }).stdout;
  const pkg = JSON.parse(read("package.json"));
  assert(pkg.version === ctx.version, `packed version ${pkg.version} != ${ctx.version}`);
  assert(pkg.license === "Apache-2.0", `package.json "license" must be "Apache-2.0": ${JSON.stringify(pkg.license)}`);
  assert(read("LICENSE").includes("Apache License\n                           Version 2.0, January 2004"),
    "the tarball's LICENSE is not the Apache License 2.0");
  for (const key of ["dependencies", "optionalDependencies", "bundleDependencies", "bundledDependencies"]) {
    assert(pkg[key] === undefined || Object.keys(pkg[key]).length === 0, `the package must not have ${key}: ${JSON.stringify(pkg[key])}`);
  }
  // One peer dependency, optional: web-vitals, for the /vitals entry only (npm does not install it).
  const peers = JSON.stringify(pkg.peerDependencies ?? {});
  assert(peers === JSON.stringify({ "web-vitals": "^6" }), `the only peer dependency must be web-vitals ^6: ${peers}`);
  assert(pkg.peerDependenciesMeta?.["web-vitals"]?.optional === true, `web-vitals must be an optional peer: ${JSON.stringify(pkg.peerDependenciesMeta)}`);
  for (const key of ["preinstall", "install", "postinstall"]) {
    assert(!pkg.scripts?.[key], `the package must not have an ${key} script`);
  }

  // Every exports / main / types target is shipped.
  const targets = [];
  const collect = (v) => {
    if (typeof v === "string") targets.push(v);
    else if (v && typeof v === "object") Object.values(v).forEach(collect);
  };
  collect(pkg.exports);
  collect(pkg.main);
  collect(pkg.types);
  assert(targets.length > 0, "package.json has no exports");
  for (const t of targets) {
    const f = path.posix.normalize(t);
    assert(files.has(f), `package.json points at ${t}, which the tarball does not have`);
  }
  assert(pkg.exports?.["."] && pkg.exports?.["./inline"] && pkg.exports?.["./lite"] && pkg.exports?.["./vitals"],
    `package.json must export ".", "./inline", "./lite" and "./vitals": ${JSON.stringify(pkg.exports)}`);

  // Every relative import / export / reference in shipped .js and .d.ts files resolves to a shipped file.
  const specRe = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'](\.{1,2}\/[^"']+)["']|\/\/\/\s*<reference\s+path=["']([^"']+)["']/g;
  let checked = 0;
  for (const f of files) {
    if (!/\.(m?js|d\.ts)$/.test(f) || f === "dist/observability-wasm-inline.js") continue;
    const src = read(f);
    for (const m of src.matchAll(specRe)) {
      const spec = m[1] ?? m[2];
      let target = path.posix.normalize(path.posix.join(path.posix.dirname(f), spec));
      if (f.endsWith(".d.ts") && target.endsWith(".js")) target = target.replace(/\.js$/, ".d.ts");
      assert(files.has(target), `${f} imports ${spec}, but the tarball has no ${target}`);
      checked++;
    }
  }
  // Only the /vitals entry imports web-vitals (the optional peer): the other entries work without it.
  const bareRe = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']web-vitals(?:\/[^"']*)?["']/;
  for (const f of files) {
    if (!/\.(m?js|d\.ts)$/.test(f) || f === "dist/observability-wasm-inline.js" || f === "dist/vitals.js") continue;
    assert(!bareRe.test(read(f)), `${f} imports web-vitals; only dist/vitals.js may`);
  }
  assert(bareRe.test(read("dist/vitals.js")), "dist/vitals.js does not import web-vitals");
  // No code from strings, so that pages with a strict Content-Security-Policy can load it (api-js.md).
  for (const f of files) {
    if (!f.endsWith(".js") || f === "dist/observability-wasm-inline.js") continue;
    assert(!/\beval\s*\(|\bnew\s+Function\s*\(/.test(read(f)), `${f} calls eval or new Function`);
  }
  // The wasm modules are really wasm modules, each .gz is its module gzip'd, and the lite one is smaller.
  const unpacked = fs.mkdtempSync(path.join(ctx.work, "tarball-wasm-"));
  const modules = ["observability", "observability-lite"];
  run("tar", ["-xzf", ctx.tarball, "-C", unpacked, ...modules.flatMap((m) => [`package/dist/${m}.wasm`, `package/dist/${m}.wasm.gz`])]);
  const [full, lite] = modules.map((m) => {
    const wasm = fs.readFileSync(path.join(unpacked, "package", "dist", `${m}.wasm`));
    const gz = fs.readFileSync(path.join(unpacked, "package", "dist", `${m}.wasm.gz`));
    assert(wasm.subarray(0, 4).toString("latin1") === "\0asm", `dist/${m}.wasm does not start with the wasm magic number`);
    assert(zlib.gunzipSync(gz).equals(wasm), `dist/${m}.wasm.gz is not dist/${m}.wasm gzip'd`);
    assert(gz.length < zlib.gzipSync(wasm, { level: 9 }).length, `dist/${m}.wasm.gz: not deflated harder than zlib's level 9`);
    return { wasm, gz };
  });
  fs.rmSync(unpacked, { recursive: true, force: true });
  assert(lite.gz.length < full.gz.length, `the lite module (${lite.gz.length} B gzip'd) is not smaller than the full one`);
  console.log(`${files.size} files, ${checked} relative imports checked: ${[...files].sort().join(" ")}`);
});
