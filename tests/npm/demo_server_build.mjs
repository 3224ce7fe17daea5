// Fixture npm.demo_server: builds the native servers of the end-to-end tests, demo_server (shipping,
// the demo) and golivekit-gateway (npm.fleet), with the host's C++ toolchain into <work>/native-demo.
// The npm tests run in the wasm preset, whose own build cannot make native executables; this private
// native build (examples only, no tests, no benchmarks) keeps them self-contained. Incremental after the
// first run (~2 min on 2 cores). A server named by GLK_OBS_DEMO_SERVER or GLK_OBS_GATEWAY (built
// elsewhere) is not built here.
import fs from "node:fs";
import path from "node:path";
import { args, assert, main, run } from "./lib.mjs";

main("npm.demo_server", async () => {
  const ctx = args({ needState: false });
  const dir = path.join(ctx.work, "native-demo");
  const servers = [
    { target: "demo_server", env: "GLK_OBS_DEMO_SERVER", file: path.join(dir, "examples", "demo_server") },
    { target: "golivekit_gateway", env: "GLK_OBS_GATEWAY", file: path.join(dir, "gateway", "golivekit-gateway") },
  ];
  const targets = [];
  for (const s of servers) {
    const given = process.env[s.env];
    if (!given) {
      targets.push(s.target);
      continue;
    }
    assert(fs.existsSync(given), `${s.env}=${given} does not exist`);
    console.log(`using ${given}`);
  }
  if (!targets.length) return;
  if (!fs.existsSync(path.join(dir, "build.ninja"))) {
    run("cmake", [
      "-S", ctx.root, "-B", dir, "-G", "Ninja",
      "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_CXX_COMPILER=g++",
      "-DGLK_OBS_BUILD_TESTS=OFF", "-DGLK_OBS_BUILD_BENCH=OFF", "-DGLK_OBS_BUILD_EXAMPLES=ON", "-DGLK_OBS_INSTALL=OFF",
    ], { timeoutMs: 120_000 });
  }
  const r = run("cmake", ["--build", dir, "--target", ...targets], { timeoutMs: 1_500_000 });
  console.log(r.stdout.trim().split("\n").slice(-3).join("\n"));
  for (const s of servers) {
    if (targets.includes(s.target)) assert(fs.existsSync(s.file), `no ${s.file} after the build`);
  }
});
