// npm.no_leak: a test's demo_server never outlives the test, however the test process ends: by
// process.exit() (lib.mjs's main(), or a tool such as playwright-core exiting the process) or killed
// outright (SIGKILL: ctest's timeout, the OOM killer). Each case starts a Node child that starts a
// demo_server through tests/npm/demo_server.mjs, ends that child, and requires the server gone.
import { spawn } from "node:child_process";
import fs from "node:fs";
import { args, assert, fail, main } from "./lib.mjs";

// Alive = exists and is not a zombie (a killed server waits for its new parent to reap it).
function alive(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

async function gone(pid, ms) {
  const t0 = Date.now();
  while (alive(pid)) {
    if (Date.now() - t0 > ms) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

// Starts a child Node that starts a demo_server and prints its pid and base URL. With `how` "exit" the
// child calls process.exit() once told to (a line on its stdin, sent when the test has seen the server
// answer): a timer there raced the test's own request on a busy machine. With "sigkill" it waits to be killed.
async function serverOfChild(ctx, how) {
  const demo = new URL("./demo_server.mjs", import.meta.url).href;
  const program = `
    const { startDemoServer } = await import(${JSON.stringify(demo)});
    const s = await startDemoServer(${JSON.stringify({ work: ctx.work })});
    console.log(JSON.stringify({ pid: s.pid, base: s.base }));
    ${how === "exit" ? 'process.stdin.once("data", () => process.exit(3));' : "setInterval(() => {}, 1000);"}`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", program], { stdio: ["pipe", "pipe", "inherit"] });
  const line = await new Promise((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) resolve(out.split("\n")[0]);
    });
    child.on("exit", (code) => reject(new Error(`the child exited (${code}) before its server started: ${out}`)));
  }).catch((e) => fail(e.message));
  return { child, ...JSON.parse(line) };
}

main("npm.no_leak", async () => {
  const ctx = args({ needState: false });
  for (const how of ["exit", "sigkill"]) {
    const { child, pid, base } = await serverOfChild(ctx, how);
    assert(alive(pid), `${how}: demo_server ${pid} is not running`);
    const res = await fetch(`${base}/metrics`);
    assert(res.status === 200, `${how}: GET ${base}/metrics: ${res.status}`);
    const exited = new Promise((r) => child.once("exit", r));
    if (how === "sigkill") child.kill("SIGKILL");
    else child.stdin.write("exit\n");
    await exited;
    if (!(await gone(pid, 5000))) {
      process.kill(pid, "SIGKILL");
      fail(`${how}: demo_server ${pid} still ran 5 s after its test process ended`);
    }
    console.log(`${how}: the test process ended, its demo_server ${pid} is gone`);
  }
});
