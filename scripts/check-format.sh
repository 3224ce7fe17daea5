#!/usr/bin/env bash
# Checks that every C++ file git tracks follows the repository's .clang-format (Debian's clang-format-14,
# so the result does not depend on which clang-format a machine has). Prints the files that differ and
# exits 1 if any does. `scripts/check-format.sh --fix` rewrites them instead.
# make test runs it as the CTest entry format.clang_format (native preset).
set -euo pipefail
cd "$(dirname "$0")/.."
clang_format=${CLANG_FORMAT:-clang-format-14}
mapfile -t files < <(git ls-files '*.cc' '*.h' '*.hpp' 2>/dev/null || find core native wasm tests bench examples -name '*.cc' -o -name '*.h' -o -name '*.hpp')
if [ "${1:-}" = "--fix" ]; then
  "$clang_format" -i "${files[@]}"
  exit 0
fi
unformatted=()
for f in "${files[@]}"; do
  if ! "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1; then
    unformatted+=("$f")
  fi
done
if [ "${#unformatted[@]}" -gt 0 ]; then
  echo "not formatted by $clang_format (.clang-format): ${#unformatted[@]} of ${#files[@]} files" >&2
  printf '  %s\n' "${unformatted[@]}" >&2
  echo "fix: scripts/check-format.sh --fix" >&2
  exit 1
fi
echo "${#files[@]} C++ files follow .clang-format"
