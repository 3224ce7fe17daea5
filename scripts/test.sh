#!/usr/bin/env bash
# Configures, builds and tests every preset, then prints one summary line: "N passed, N failed".
# Usage: scripts/test.sh [preset...]   (default: native clang wasm asan tsan; or PRESETS="native wasm")
# A preset that does not configure or build counts as one failure. Exit status: 0 only if all passed.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ $# -gt 0 ]; then
  presets=("$@")
else
  read -r -a presets <<<"${PRESETS:-native clang wasm asan tsan}"
fi
jobs=$(nproc 2>/dev/null || echo 2)
log_dir=build/logs
mkdir -p "$log_dir"

total_passed=0
total_failed=0
report=()

for p in "${presets[@]}"; do
  echo "=== preset $p"
  log="$log_dir/ctest-$p.log"
  if ! cmake --preset "$p"; then
    report+=("$p: configure failed")
    total_failed=$((total_failed + 1))
    continue
  fi
  if ! cmake --build --preset "$p"; then
    report+=("$p: build failed")
    total_failed=$((total_failed + 1))
    continue
  fi
  ctest --preset "$p" -j "$jobs" 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  # ctest's summary: "100% tests passed, 0 tests failed out of 57"
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1 || true)
  if [ -z "$line" ]; then
    report+=("$p: ctest gave no summary (exit $status)")
    total_failed=$((total_failed + 1))
    continue
  fi
  failed=$(sed -E 's/.*tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\1/' <<<"$line")
  total=$(sed -E 's/.*tests passed, ([0-9]+) tests? failed out of ([0-9]+).*/\2/' <<<"$line")
  passed=$((total - failed))
  if [ "$failed" -eq 0 ] && [ "$status" -ne 0 ]; then
    failed=1 # ctest failed without a failed test (e.g. a fixture or a timeout): never report success
  fi
  report+=("$p: $passed passed, $failed failed")
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
done

echo
echo "=== summary"
printf '%s\n' "${report[@]}"
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
