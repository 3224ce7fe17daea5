#!/usr/bin/env bash
# Builds the demo's web app (examples/demo_server/web: the LiveView page and the dashboard) the way an
# application is built: the npm package built and packed into a tarball (scripts/build-npm.sh rebuilds dist/
# through the wasm preset, so the wasm toolchain of `make deps` is needed), installed offline with
# web-vitals (the version package.json pins) into a copy of the app, bundled by Vite (the root's).
#
# Usage: scripts/build-demo-web.sh [--tarball FILE] [--out DIR]
#   --tarball FILE  install this packed tarball instead of packing the repository (the npm tests do)
#   --out DIR       where to work (default build/demo-web): DIR/app is the installed copy of the app,
#                   DIR/dist the bundle, demo_server's default --web-root for DIR = build/demo-web
# Does nothing when DIR/dist is newer than every input (the app, the package's sources, the tarball).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build/demo-web
tarball=
while [ $# -gt 0 ]; do
  case $1 in
    --tarball) tarball=$(realpath "${2:?--tarball needs a file}"); shift 2 ;;
    --out) out=$(realpath -m "${2:?--out needs a directory}"); shift 2 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-demo-web: unknown argument $1" >&2; exit 2 ;;
  esac
done
cd "$root"
web=examples/demo_server/web
stamp=$out/dist/index.html

# What the bundle depends on. Without --tarball: what `npm pack` builds the package from, too.
inputs=("$web" scripts/build-demo-web.sh package.json package-lock.json)
if [ -n "$tarball" ]; then
  inputs+=("$tarball")
else
  inputs+=(js/src core wasm cmake CMakeLists.txt scripts/build-npm.sh scripts/npm-dist.mjs)
fi
if [ -f "$stamp" ] && [ -z "$(find "${inputs[@]}" -path "$web/node_modules" -prune -o -newer "$stamp" -print -quit)" ]; then
  echo "build-demo-web: $out/dist is up to date"
  exit 0
fi

vite=$root/node_modules/vite/bin/vite.js
web_vitals=$(node -p 'require("./package.json").devDependencies["web-vitals"] ?? ""')
if [ ! -f "$vite" ] || [ -z "$web_vitals" ] || [ ! -d node_modules/web-vitals ]; then
  echo "build-demo-web: vite or web-vitals missing in node_modules: run 'npm ci' (make deps does)" >&2
  exit 1
fi
export npm_config_update_notifier=false npm_config_audit=false npm_config_fund=false

if [ -z "$tarball" ]; then
  # The package's build first, where its messages are seen: npm pack --silent hides the output of its
  # prepack, a failed build included. Then npm pack without running prepack a second time.
  echo "build-demo-web: scripts/build-npm.sh, then npm pack"
  scripts/build-npm.sh
  rm -rf "$out/pack"
  mkdir -p "$out/pack"
  npm pack --ignore-scripts --silent --pack-destination "$out/pack" >/dev/null
  tarball=$(find "$out/pack" -name '*.tgz' | head -n 1)
  [ -n "$tarball" ] || { echo "build-demo-web: npm pack made no tarball" >&2; exit 1; }
fi

echo "build-demo-web: installing $(basename "$tarball") and web-vitals@$web_vitals into $out/app"
app=$out/app
rm -rf "$app"
mkdir -p "$app"
tar -C "$web" --exclude=./node_modules --exclude=./dist -cf - . | tar -C "$app" -xf -
install() { (cd "$app" && npm install --no-save --silent "$@" "$tarball" "web-vitals@$web_vitals"); }
install --offline || install --prefer-offline

echo "build-demo-web: vite build -> $out/dist"
(cd "$app" && NO_COLOR=1 node "$vite" build --logLevel warn --outDir "$out/dist" --emptyOutDir)
touch "$stamp"
echo "build-demo-web: built $out/dist ($(find "$out/dist" -type f | wc -l) files)"
