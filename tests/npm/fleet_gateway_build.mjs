// Fixture npm.fleet_gateway: builds the native golivekit-gateway (for npm.fleet) with the host's C++
// toolchain into <work>/native-gateway, as demo_server_build.mjs builds demo_server (the wasm build
// cannot make native executables). Library and gateway only: no tests, benchmarks or examples.
// Incremental after the first run. Skipped when GLK_OBS_GATEWAY names a binary built elsewhere.
import fs from "node:fs";
import path from "node:path";
import { args, assert, main, run } from "./lib.mjs";

main("npm.fleet_gateway", async () => {
  const ctx = args({ needState: false });
  if (process.env.GLK_OBS_GATEWAY) {
    assert(fs.existsSync(process.env.GLK_OBS_GATEWAY), `GLK_OBS_GATEWAY=${process.env.GLK_OBS_GATEWAY} does not exist`);
    console.log(`using ${process.env.GLK_OBS_GATEWAY}`);
    return;
  }
  const dir = path.join(ctx.work, "native-gateway");
  if (!fs.existsSync(path.join(dir, "build.ninja"))) {
    run("cmake", [
      "-S", ctx.root, "-B", dir, "-G", "Ninja",
      "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_CXX_COMPILER=g++",
      "-DGLK_OBS_BUILD_TESTS=OFF", "-DGLK_OBS_BUILD_BENCH=OFF", "-DGLK_OBS_BUILD_EXAMPLES=OFF", "-DGLK_OBS_INSTALL=OFF",
    ], { timeoutMs: 120_000 });
  }
  const r = run("cmake", ["--build", dir, "--target", "golivekit_gateway"], { timeoutMs: 1_500_000 });
  console.log(r.stdout.trim().split("\n").slice(-3).join("\n"));
  const bin = path.join(dir, "gateway", "golivekit-gateway");
  assert(fs.existsSync(bin), `no golivekit-gateway at ${bin} after the build`);
});
