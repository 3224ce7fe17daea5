// Command-line options shared by the Node-side runners (node.mjs, browser.mjs), on node:util parseArgs.
import { parseArgs } from "node:util";

const COMMON = {
  json: { type: "string" },
  "min-time-ms": { type: "string", default: "200" },
  repeats: { type: "string", default: "5" },
  only: { type: "string" },
  help: { type: "boolean", short: "h" },
};

/** Parses the common options plus `extra` (parseArgs option specs); prints `usage` and exits on -h. */
export function benchArgs(usage, extra = {}) {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { ...COMMON, ...extra }, strict: true });
  if (values.help) {
    console.log(`usage: ${usage}`);
    process.exit(0);
  }
  return {
    ...values,
    json: values.json ?? null,
    minTimeMs: Number(values["min-time-ms"]),
    repeats: Number(values.repeats),
    only: values.only ? values.only.split(",") : null,
  };
}
