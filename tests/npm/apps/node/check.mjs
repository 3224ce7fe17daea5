// Runs inside the consumer project: imports the entries of the installed package from its own
// node_modules, runs the shared scenario with the default and inline ones, records and ships with the
// lite one, and prints one JSON document for tests/npm/node.mjs.
import * as defaultEntry from "@golivekit/observability";
import * as inlineEntry from "@golivekit/observability/inline";
import * as liteEntry from "@golivekit/observability/lite";
import { createRequire } from "node:module";
import { runScenario } from "./scenario.js";

const require = createRequire(import.meta.url);
const out = {
  resolved: {
    default: import.meta.resolve("@golivekit/observability"),
    inline: import.meta.resolve("@golivekit/observability/inline"),
    lite: import.meta.resolve("@golivekit/observability/lite"),
    liteWasm: import.meta.resolve("@golivekit/observability/observability-lite.wasm"),
    liteWasmGz: import.meta.resolve("@golivekit/observability/observability-lite.wasm.gz"),
    packageJson: import.meta.resolve("@golivekit/observability/package.json"),
    wasm: import.meta.resolve("@golivekit/observability/observability.wasm"),
    wasmGz: import.meta.resolve("@golivekit/observability/observability.wasm.gz"),
  },
  exportsOf: {
    default: Object.keys(defaultEntry).sort(),
    inline: Object.keys(inlineEntry).sort(),
    lite: Object.keys(liteEntry).sort(),
  },
  deepImport: null,
  require: null,
};

// Only the declared subpaths are reachable.
try {
  await import("@golivekit/observability/dist/api.js");
  out.deepImport = "allowed";
} catch (e) {
  out.deepImport = e.code ?? String(e);
}
// An ES module package: require() of it is not supported on Node 20 (ERR_REQUIRE_ESM), and that is all.
try {
  require("@golivekit/observability");
  out.require = "ok";
} catch (e) {
  out.require = e.code ?? String(e);
}

out.default = await runScenario("default", defaultEntry);
out.inline = await runScenario("inline", inlineEntry);
// The two entries are independent instances.
out.distinctInstances = (await defaultEntry.loadObservability()) !== (await inlineEntry.loadObservability());
// An explicit wasmUrl (Node reads the file), the package's plain module or its gzip'd one, gives a new
// instance that works.
out.wasmUrlExpose = [];
out.wasmUrlNewInstance = true;
for (const wasmUrl of [new URL(out.resolved.wasm), out.resolved.wasmGz]) {
  const own = await defaultEntry.loadObservability({ wasmUrl });
  const reg = own.newRegistry();
  reg.register(own.newGauge({ name: "g" })).set(1.5);
  out.wasmUrlExpose.push(reg.expose());
  out.wasmUrlNewInstance &&= own !== (await defaultEntry.loadObservability());
  reg.dispose();
}

// The lite entry: its own module file, read from the package; it records and ships; expose() is refused.
{
  const obs = await liteEntry.loadObservability();
  const registry = obs.newRegistry();
  const clicks = registry.register(obs.newCounter({ name: "clicks_total", help: "Clicks.", labels: ["button"] }));
  clicks.withLabels("buy").add(2);
  const sent = [];
  const fetch = async (_url, init) => {
    sent.push(init.body.byteLength);
    return new Response(JSON.stringify({ result: "applied" }), { status: 200 });
  };
  const shipper = obs.startShipping(registry, { url: "http://127.0.0.1:9/ingest", intervalMs: 3_600_000, fetch });
  await shipper.flush();
  await shipper.stop();
  let refused;
  try {
    registry.expose();
  } catch (e) {
    refused = `${e.code}: ${e.message}`;
  }
  out.lite = { value: clicks.withLabels("buy").value(), sent: sent.length, refused, version: obs.version };
}

process.stdout.write(JSON.stringify(out));
