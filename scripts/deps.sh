#!/usr/bin/env bash
# Installs what the build and the tests need, only what is missing:
#   1. Debian's packages (apt-get; root, or a user with sudo);
#   2. the Node.js of the tools (tools/node: the official Node 22 x86-64 binary from the npm registry, pinned
#      and verified by tools/node/package-lock.json). The Makefile puts tools/node/node_modules/.bin
#      first on its PATH: Vite and playwright-core need Node >= 20, Debian 12's own is 18. The package
#      itself is also tested with the system's /usr/bin/node. `make ... TOOL_NODE=0` skips this step and
#      uses the node on PATH instead (then it must be >= 20.19);
#   3. the npm dev dependencies of the repository root (npm ci), exactly as package-lock.json pins them.
# Steps 2 and 3 run again only when their lock file changed.
# Usage: scripts/deps.sh   (TOOL_NODE=0 scripts/deps.sh: without step 2)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ clang libclang-rt-14-dev # native toolchains, sanitizer runtimes
  emscripten nodejs                              # wasm toolchain, and node to run the wasm tests
  doctest-dev libfmt-dev libbenchmark-dev        # tests, float formatting (header-only), benchmarks
  libcpp-httplib-dev zlib1g-dev pkg-config       # native HTTP exporter (gzip through zlib)
  nlohmann-json3-dev                             # JSON bodies of the ingest endpoint (header-only)
  prometheus curl wrk                            # promtool, the interop scrape, HTTP tests and load
  chromium                                       # the npm package's browser tests (driven by playwright-core)
  python3                                        # the interop tests and bench/ helpers
  protobuf-compiler python3-protobuf             # the protobuf tests: protoc compiles metrics.proto, Python decodes
  golang-github-prometheus-client-model-dev      # client_model's metrics.proto (the protobuf exposition's schema)
  clang-format-14                                # the C++ format check (scripts/check-format.sh)
  zopfli                                         # the /inline entry's module, deflated harder (scripts/npm-dist.mjs)
  haproxy                                        # the load balancer of npm.fleet (deploy/haproxy/haproxy.cfg)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg -s "$p" >/dev/null 2>&1; then
    missing+=("$p")
  fi
done
# Debian's nodejs comes without npm (a separate package); other builds of nodejs bring their own and
# must not be replaced, so npm is asked for only when there is no npm command at all.
if ! command -v npm >/dev/null 2>&1 && ! dpkg -s npm >/dev/null 2>&1; then
  missing+=(npm)
fi

install_packages() {
  local -a sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "deps: missing ${missing[*]}; not root and no sudo: install them as root" >&2
      exit 1
    }
    sudo=(sudo)
  fi
  echo "deps: installing ${missing[*]}"
  "${sudo[@]}" apt-get update
  # npm is a Debian package of many small ones (its recommends are needed to run it); the rest
  # without recommends.
  local -a plain=() with_recommends=()
  local p
  for p in "${missing[@]}"; do
    if [ "$p" = npm ]; then with_recommends+=("$p"); else plain+=("$p"); fi
  done
  if [ ${#plain[@]} -gt 0 ]; then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${plain[@]}"
  fi
  if [ ${#with_recommends[@]} -gt 0 ]; then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${with_recommends[@]}"
  fi
}

# `npm ci` in $1 unless its node_modules matches its package-lock.json already.
npm_ci_in() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund)
  fi
}

# The tools' Node (step 2): npm verifies the tarball against the lock's sha512 before unpacking it.
tool_node() {
  local node=tools/node/node_modules/.bin/node
  if [ "$(uname -m)" != x86_64 ]; then
    echo "deps: tools/node pins the x86-64 Linux build of Node, and this is $(uname -m):" \
      "use your own Node >= 20.19 with TOOL_NODE=0 (make test TOOL_NODE=0)" >&2
    exit 1
  fi
  npm_ci_in tools/node
  if ! "$node" --version >/dev/null 2>&1; then
    echo "deps: $node does not run (npm ci in tools/node said why above)" >&2
    exit 1
  fi
  echo "deps: tools run on Node $("$node" --version) ($node); the system's node is $(/usr/bin/node --version 2>/dev/null || echo missing)"
}

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} Debian packages installed"
else
  install_packages
fi
if [ "${TOOL_NODE:-1}" != 0 ]; then
  tool_node
  export PATH="$PWD/tools/node/node_modules/.bin:$PATH"
fi
npm_ci_in .
