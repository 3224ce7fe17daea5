// Fixture npm.demo_server: builds the native demo_server (the server side of the shipping end-to-end
// tests) with the host's C++ toolchain into <work>/native-demo. The npm tests run in the wasm preset,
// whose own build cannot make native executables; this private native build (examples only, no tests,
// no benchmarks) keeps them self-contained. Incremental after the first run (~2 min on 2 cores).
// Skipped when GLK_OBS_DEMO_SERVER names a binary built elsewhere.
import fs from "node:fs";
import path from "node:path";
import { args, assert, main, run } from "./lib.mjs";

main("npm.demo_server", async () => {
  const ctx = args({ needState: false });
  if (process.env.GLK_OBS_DEMO_SERVER) {
    assert(fs.existsSync(process.env.GLK_OBS_DEMO_SERVER), `GLK_OBS_DEMO_SERVER=${process.env.GLK_OBS_DEMO_SERVER} does not exist`);
    console.log(`using ${process.env.GLK_OBS_DEMO_SERVER}`);
    return;
  }
  const dir = path.join(ctx.work, "native-demo");
  if (!fs.existsSync(path.join(dir, "build.ninja"))) {
    run("cmake", [
      "-S", ctx.root, "-B", dir, "-G", "Ninja",
      "-DCMAKE_BUILD_TYPE=Release", "-DCMAKE_CXX_COMPILER=g++",
      "-DGLK_OBS_BUILD_TESTS=OFF", "-DGLK_OBS_BUILD_BENCH=OFF", "-DGLK_OBS_BUILD_EXAMPLES=ON", "-DGLK_OBS_INSTALL=OFF",
    ], { timeoutMs: 120_000 });
  }
  const r = run("cmake", ["--build", dir, "--target", "demo_server"], { timeoutMs: 1_500_000 });
  console.log(r.stdout.trim().split("\n").slice(-3).join("\n"));
  assert(fs.existsSync(path.join(dir, "examples", "demo_server")), `no demo_server in ${dir}/examples after the build`);
});
