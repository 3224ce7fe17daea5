#!/usr/bin/env bash
# Builds the npm package's dist/ (the wasm preset's target npm_dist: the WebAssembly module, its base64
# copy for the /inline entry, the compiled TypeScript). Incremental. `npm pack` runs it (prepack), so a
# packed tarball is always complete.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f build/wasm/build.ninja ]; then
  cmake --preset wasm >/dev/null
fi
cmake --build --preset wasm --target npm_dist
