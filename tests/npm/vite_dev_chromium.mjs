// npm.vite_dev_chromium: the zero-config Vite app of npm.vite_chromium, served by Vite's dev server
// (`vite`, where most users start) instead of built, and run in Chromium. The dev server pre-bundles
// dependencies into node_modules/.vite/deps and would lose a `.wasm` fetched beside the module (the page
// would get index.html: "expected magic word 00 61 73 6d, found 3c 21 64 6f"); the package's
// "development" export condition gives dev servers the entry with the module inlined instead. The same for
// the /lite entry (apps/page-size-lite), whose dev-server entry must behave as its build does.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { args, assert, checkLitePage, checkScenario, copyApp, fail, main, runPageAt } from "./lib.mjs";

const SETPRIV = "/usr/bin/setpriv"; // the dev server dies with this process, however it ends

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Starts `vite` in `app` on 127.0.0.1; resolves to { origin, stop() } once it answers.
async function startViteDev(ctx, app) {
  const vite = path.join(ctx.root, "node_modules", "vite", "bin", "vite.js");
  assert(fs.existsSync(vite), `vite not found at ${vite} (npm ci in the repository root)`);
  const port = await freePort();
  // --force: optimize the dependencies afresh, whatever an earlier run left in node_modules/.vite.
  const argv = [process.execPath, vite, "--host", "127.0.0.1", "--port", String(port), "--strictPort", "--force"];
  const child = spawn(SETPRIV, ["--pdeathsig", "SIGKILL", "--", ...argv], {
    cwd: app,
    env: { ...process.env, NO_COLOR: "1", CI: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const origin = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) fail(`vite exited (${child.exitCode}) before serving:\n${output}`);
    const ok = await fetch(`${origin}/`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) fail(`vite did not serve ${origin}/ within 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    origin,
    get output() {
      return output;
    },
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.on("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

main("npm.vite_dev_chromium", async () => {
  const ctx = args();
  const app = copyApp(ctx, "vite", "vite-dev-app");
  for (const f of ["vite.config.js", "vite.config.mjs", "vite.config.ts", "vite.config.mts", "vite.config.cjs"]) {
    for (const dir of [app, ctx.consumer]) {
      assert(!fs.existsSync(path.join(dir, f)), `${path.join(dir, f)} must not exist: the dev server is zero-config`);
    }
  }
  const server = await startViteDev(ctx, app);
  try {
    const { result } = await runPageAt(ctx, server.origin);
    checkScenario(result, { where: "vite dev server + chromium", version: ctx.version, entry: "default" });
    console.log(`vite dev server: the default entry works in Chromium (${server.origin})`);
  } finally {
    await server.stop();
  }

  const liteApp = copyApp(ctx, "page-size-lite", "vite-dev-lite-app");
  const liteServer = await startViteDev(ctx, liteApp);
  try {
    const { result } = await runPageAt(ctx, liteServer.origin);
    checkLitePage(result, "vite dev server + chromium");
    console.log(`vite dev server: the /lite entry works in Chromium (${liteServer.origin})`);
  } finally {
    await liteServer.stop();
  }
});
