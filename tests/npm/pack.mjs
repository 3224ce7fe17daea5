// Fixture npm.pack: `npm pack` in the repository root (prepack rebuilds dist/ incrementally), then a
// fresh consumer project (its own package.json, "type": "module") with the tarball installed offline.
// Writes <work>/state.json for the tests that need the fixture.
import fs from "node:fs";
import path from "node:path";
import { args, assert, fail, main, run } from "./lib.mjs";

main("npm.pack", async () => {
  const ctx = args({ needState: false });
  for (const p of [ctx.packDir, ctx.consumer, ctx.stateFile]) fs.rmSync(p, { recursive: true, force: true });
  fs.mkdirSync(ctx.packDir, { recursive: true });
  fs.mkdirSync(ctx.consumer, { recursive: true });

  const npmEnv = { npm_config_update_notifier: "false", npm_config_audit: "false", npm_config_fund: "false" };
  const packed = run("npm", ["pack", "--pack-destination", ctx.packDir], { cwd: ctx.root, env: npmEnv, timeoutMs: 560_000 });
  const tarballs = fs.readdirSync(ctx.packDir).filter((f) => f.endsWith(".tgz"));
  if (tarballs.length !== 1) {
    fail(`expected one .tgz in ${ctx.packDir}, found ${JSON.stringify(tarballs)}\n${packed.stdout}${packed.stderr}`);
  }
  const tarball = path.join(ctx.packDir, tarballs[0]);
  const rootPkg = JSON.parse(fs.readFileSync(path.join(ctx.root, "package.json"), "utf8"));

  fs.writeFileSync(
    path.join(ctx.consumer, "package.json"),
    `${JSON.stringify({ name: "glk-obs-npm-consumer", version: "0.0.0", private: true, type: "module" }, null, 2)}\n`,
  );
  const install = (extra) =>
    run("npm", ["install", "--no-audit", "--no-fund", ...extra, tarball], {
      cwd: ctx.consumer,
      env: npmEnv,
      timeoutMs: 120_000,
      allowFailure: true,
    });
  let r = install(["--offline"]);
  if (r.status !== 0) {
    console.log(`npm install --offline failed (${r.status}), retrying with --prefer-offline:\n${r.stdout}${r.stderr}`);
    r = install(["--prefer-offline"]);
  }
  if (r.status !== 0) fail(`npm install ${tarball} failed:\n${r.stdout}${r.stderr}`);

  const installedDir = path.join(ctx.consumer, "node_modules", "@golivekit", "observability");
  assert(fs.existsSync(path.join(installedDir, "package.json")), `npm install did not create ${installedDir}`);
  assert(!fs.lstatSync(installedDir).isSymbolicLink(), `${installedDir} is a symlink: the tarball was not installed as a copy`);
  const installedPkg = JSON.parse(fs.readFileSync(path.join(installedDir, "package.json"), "utf8"));
  assert(installedPkg.version === rootPkg.version, `installed version ${installedPkg.version} != ${rootPkg.version}`);

  const state = { tarball, version: rootPkg.version, name: rootPkg.name };
  fs.writeFileSync(ctx.stateFile, `${JSON.stringify(state, null, 2)}\n`);
  console.log(`packed ${tarball} (${fs.statSync(tarball).size} bytes), installed into ${ctx.consumer}`);
});
