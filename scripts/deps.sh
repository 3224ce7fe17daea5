#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, only those not installed yet.
# Usage: scripts/deps.sh   (root, or a user with sudo)
set -euo pipefail

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev # native toolchains, sanitizer runtimes
  emscripten nodejs                              # wasm toolchain, and node to run the wasm tests
  doctest-dev libfmt-dev libbenchmark-dev        # tests, float formatting (header-only), benchmarks
  libcpp-httplib-dev zlib1g-dev pkg-config       # native HTTP exporter (gzip through zlib)
  nlohmann-json3-dev                             # JSON bodies of the ingest endpoint (header-only)
  prometheus curl wrk                            # promtool, the interop scrape, HTTP tests and load
  chromium                                       # the npm package's browser tests (driven by playwright-core)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg -s "$p" >/dev/null 2>&1; then
    missing+=("$p")
  fi
done

# The npm dev dependencies (TypeScript, Vite, esbuild, playwright-core, prom-client for the JS
# benchmark), exactly as package-lock.json pins them; again only when the lock changed.
npm_deps() {
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "deps: npm ci"
    npm ci --no-audit --no-fund
  fi
}
cd "$(dirname "$0")/.."

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages installed"
  npm_deps
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || {
    echo "deps: missing ${missing[*]}; not root and no sudo: install them as root" >&2
    exit 1
  }
  sudo=(sudo)
fi

echo "deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
npm_deps
