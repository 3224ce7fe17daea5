// What each export of the WebAssembly module costs on its own: the module is shrunk with one export left
// out (Binaryen removes what nothing else reaches, then optimizes for size), and the difference to the
// whole, gzip -9 and raw, is what only that export needs. A function two exports share is counted in
// neither, so the figures add up to less than the module. For deciding what to cut (docs/performance.md,
// "Size in the page"): the largest function says where bytes are, this says what leaving out a feature
// would save.
// Usage: node scripts/wasm-export-costs.mjs <module.wasm> [export[,export…] …]
//   With no exports named, every exported function on its own; a comma-separated group is left out together.
// Runs the wasm-opt that the module's last step runs (the npm dev dependency binaryen: npm ci). Takes a
// few seconds per line.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { gzipSync } from "node:zlib";

import { exportSection, readExports, SECTION, sections } from "./wasm-binary.mjs";

const FUNCTION = 0; // export kind
const WASM_OPT = fileURLToPath(new URL("../node_modules/binaryen/bin/wasm-opt", import.meta.url));

// The module with the exports named in `drop` left out of its export section.
function withoutExports(bytes, drop) {
  const all = sections(bytes);
  const s = all.find((x) => x.id === SECTION.export);
  const kept = readExports(bytes, s).filter((e) => !drop.has(e.name));
  // The section's id byte and size come before its contents: the previous section ends where they begin.
  const i = all.indexOf(s);
  const headerAt = i === 0 ? 8 : all[i - 1].end;
  return Buffer.concat([bytes.subarray(0, headerAt), Buffer.from(exportSection(kept)), bytes.subarray(s.end)]);
}

function main() {
  const [input, ...groups] = process.argv.slice(2);
  if (!input) {
    console.error("usage: node scripts/wasm-export-costs.mjs <module.wasm> [export[,export…] …]");
    process.exit(2);
  }
  const bytes = readFileSync(input);
  const exports = readExports(bytes, sections(bytes).find((x) => x.id === SECTION.export));
  const known = new Set(exports.map((e) => e.name));
  const rows = groups.length > 0 ? groups.map((g) => g.split(",")) : exports.filter((e) => e.kind === FUNCTION).map((e) => [e.name]);
  for (const name of rows.flat()) {
    if (!known.has(name)) throw new Error(`${input} has no export ${name}`);
  }

  const dir = mkdtempSync(path.join(tmpdir(), "wasm-export-costs-"));
  const shrunk = (module) => {
    const from = path.join(dir, "in.wasm");
    const to = path.join(dir, "out.wasm");
    writeFileSync(from, module);
    execFileSync(process.execPath, [WASM_OPT, from, "--mvp-features", "--remove-unused-module-elements", "-Oz", "-o", to]);
    const out = readFileSync(to);
    return { raw: out.length, gzip: gzipSync(out, { level: 9 }).length };
  };
  try {
    // The whole module through the same passes, so that only the left-out export makes the difference.
    const whole = shrunk(bytes);
    const costs = rows.map((group) => {
      const without = shrunk(withoutExports(bytes, new Set(group)));
      return { group: group.join(","), gzip: whole.gzip - without.gzip, raw: whole.raw - without.raw };
    });
    costs.sort((a, b) => b.gzip - a.gzip);
    console.log(`${input}: ${whole.gzip} B gzip -9, ${whole.raw} B (after the same wasm-opt passes)`);
    console.log("  gzip    raw  only for");
    for (const c of costs) console.log(`${String(c.gzip).padStart(6)} ${String(c.raw).padStart(6)}  ${c.group}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
