#!/bin/sh
# The launcher of the wasm builds' links (RULE_LAUNCH_LINK in the root CMakeLists.txt): runs the link
# command it is given, with what Debian's emcc needs around it.
#   usage: emscripten-link.sh <directory of the system's Binaryen tools> <link command...>
# - NODE_PATH=/usr/share/nodejs: the optimizing link runs node scripts that need Debian's acorn (E1 in
#   docs/building.md).
# - The system's Binaryen first on PATH: Debian's emcc runs Binaryen's tools by name, and npm puts
#   node_modules/.bin first on PATH for the scripts it runs (prepack runs scripts/build-npm.sh). There
#   the dev dependency binaryen has a newer wasm-opt, whose list of minified import names emcc 3.1.6
#   cannot read: a program linked with it imports names its JS does not supply (E13).
binaryen=$1
shift
PATH="$binaryen:$PATH" NODE_PATH=/usr/share/nodejs exec "$@"
