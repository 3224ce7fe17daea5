// How the project's tests and benchmarks start Debian's Chromium (through playwright-core): headless,
// and with everything off that would reach out of the machine (the tests serve on 127.0.0.1 only).
export const CHROMIUM_PATH = "/usr/bin/chromium";

export const CHROMIUM_ARGS = Object.freeze([
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]);
