// npm.typescript_strict: a strict TypeScript consumer (NodeNext, noUncheckedIndexedAccess, no ambient
// types) of the default, /inline and /lite entries, type-checked against the installed package with the
// root's tsc. Its @ts-expect-error lines must all be needed; a deliberately broken file must be rejected.
import fs from "node:fs";
import path from "node:path";
import { args, assert, copyApp, fail, main, run } from "./lib.mjs";

main("npm.typescript_strict", async () => {
  const ctx = args();
  const app = copyApp(ctx, "typescript", "ts-app");
  fs.rmSync(path.join(app, "scenario.js")); // not part of this project
  const tsc = path.join(ctx.root, "node_modules", "typescript", "bin", "tsc");
  assert(fs.existsSync(tsc), `tsc not found at ${tsc} (npm ci in the repository root)`);
  console.log(`tsc ${run(process.execPath, [tsc, "--version"]).stdout.trim()}`);

  const tscRun = (...argv) => run(process.execPath, [tsc, ...argv, "--pretty", "false"], { cwd: app, timeoutMs: 60_000, allowFailure: true });
  const ok = tscRun("-p", "tsconfig.json", "--listFiles");
  if (ok.status !== 0) {
    // --listFiles output is noise here: show the diagnostics only.
    const diagnostics = ok.stdout.split("\n").filter((l) => !l.startsWith("/") && l.trim());
    fail(`tsc -p tsconfig.json (strict consumer in ${app}) exited with ${ok.status}:\n${diagnostics.join("\n")}${ok.stderr}`);
  }
  const listed = ok.stdout.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => path.resolve(app, l));
  const installed = fs.realpathSync(path.join(ctx.consumer, "node_modules", "@golivekit", "observability"));
  for (const f of ["index.d.ts", "inline.d.ts", "lite.d.ts", "types.d.ts"]) {
    const p = path.join(installed, "dist", f);
    assert(listed.includes(p), `tsc did not use ${p}; files:\n${listed.join("\n")}`);
  }
  const repoDirs = ["dist", "js"].map((d) => path.join(ctx.root, d) + path.sep);
  const fromRepo = listed.filter((f) => repoDirs.some((d) => f.startsWith(d)));
  assert(fromRepo.length === 0, `tsc used the repository's own files instead of the installed package: ${fromRepo}`);

  // The same settings reject a wrong argument type.
  fs.writeFileSync(
    path.join(app, "tsconfig.broken.json"),
    `${JSON.stringify({ extends: "./tsconfig.json", files: ["broken.ts"] }, null, 2)}\n`,
  );
  const bad = tscRun("-p", "tsconfig.broken.json");
  assert(bad.status !== 0, `tsc accepted broken.ts (passing a number as a metric name):\n${bad.stdout}`);
  assert(/broken\.ts\(\d+,\d+\): error TS2322/.test(bad.stdout),
    `tsc rejected broken.ts, but not with TS2322 on it:\n${bad.stdout}${bad.stderr}`);
  console.log(`strict consumer type-checks (${listed.length} files); broken.ts rejected: ${bad.stdout.trim().split("\n")[0]}`);
});
