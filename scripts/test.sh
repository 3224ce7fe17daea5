#!/usr/bin/env bash
# Configures, builds and tests every preset, then prints one summary line: "N passed, N failed, N skipped"
# (skipped: test cases that cannot run in a preset's build, such as threads in wasm).
# Usage: scripts/test.sh [preset...]   (default: native clang wasm asan tsan fuzz; or PRESETS="native wasm")
# A preset that does not configure or build counts as one failure. Exit status: 0 only if all passed.
# The fuzz preset also fuzzes: each build/fuzz/tests/fuzz/fuzz_* target runs for FUZZ_SECONDS (default 20)
# on a temporary copy of its seed corpus (tests/fuzz/corpus/<target>, left unchanged), nproc at a time;
# each target counts as one test. Crash inputs are kept in build/logs/fuzz/<target>/.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ $# -gt 0 ]; then
  presets=("$@")
else
  read -r -a presets <<<"${PRESETS:-native clang wasm asan tsan fuzz}"
fi
jobs=$(nproc 2>/dev/null || echo 2)
log_dir=build/logs
mkdir -p "$log_dir"

# Runs every fuzz target of build/fuzz for FUZZ_SECONDS, up to $jobs at once; prints "passed failed".
# Logs: build/logs/fuzz/<target>.log (libFuzzer's "#runs" and "exec/s" are the figures of a run).
run_fuzzers() {
  local seconds=${FUZZ_SECONDS:-20} out=$log_dir/fuzz work passed=0 failed=0 t name
  local -a targets=() pids=()
  work=$(mktemp -d)
  mkdir -p "$out"
  for t in build/fuzz/tests/fuzz/fuzz_*; do
    [ -x "$t" ] && targets+=("$t")
  done
  for t in "${targets[@]}"; do
    name=$(basename "$t")
    mkdir -p "$work/$name" "$out/$name"
    cp tests/fuzz/corpus/"$name"/* "$work/$name/" 2>/dev/null
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
    "$t" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 \
      -artifact_prefix="$out/$name/" "$work/$name" >"$out/$name.log" 2>&1 &
    pids+=($!)
  done
  local i
  for i in "${!targets[@]}"; do
    name=$(basename "${targets[$i]}")
    if wait "${pids[$i]}"; then
      passed=$((passed + 1))
      echo "fuzz $name: passed ($(grep -E '^stat::number_of_executed_units' "$out/$name.log" | awk '{print $2}') runs in ${seconds}s)" >&2
    else
      failed=$((failed + 1))
      echo "fuzz $name: FAILED, see $out/$name.log and $out/$name/" >&2
      tail -n 30 "$out/$name.log" >&2
    fi
  done
  rm -rf "$work"
  [ "${#targets[@]}" -gt 0 ] || failed=$((failed + 1)) # a fuzz preset without targets is broken
  echo "$passed $failed"
}

total_passed=0
total_failed=0
total_skipped=0
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
  # ctest counts a skipped test (SKIP_REGULAR_EXPRESSION, tests/CMakeLists.txt) among the passed ones
  # and lists it under "The following tests did not run:" as "(Skipped)": report it apart.
  skipped=$(grep -cE '^[[:space:]]*[0-9]+ - .* \((Skipped|Disabled)\)$' "$log" || true)
  passed=$((total - failed - skipped))
  if [ "$failed" -eq 0 ] && [ "$status" -ne 0 ]; then
    failed=1 # ctest failed without a failed test (e.g. a fixture or a timeout): never report success
  fi
  if [ "$p" = fuzz ]; then
    read -r fuzz_passed fuzz_failed < <(run_fuzzers)
    passed=$((passed + fuzz_passed))
    failed=$((failed + fuzz_failed))
  fi
  report+=("$p: $passed passed, $failed failed, $skipped skipped")
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  total_skipped=$((total_skipped + skipped))
done

echo
echo "=== summary"
printf '%s\n' "${report[@]}"
echo "$total_passed passed, $total_failed failed, $total_skipped skipped"
[ "$total_failed" -eq 0 ]
