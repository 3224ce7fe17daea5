#!/bin/sh
# End-to-end ingest throughput: demo_server on the loopback, wrk posting client batches.
#   bench/ingest/run.sh [BUILD_DIR]   (default build/native; needs demo_server built, wrk, python3)
# Env: DURATION (default 10s), CONNECTIONS (50), THREADS (2).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build/native}
server="$build/examples/demo_server"
[ -x "$server" ] || { echo "no $server: build the demo_server target first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT

python3 "$here/make_batch.py" "$tmp/batch.bin"
python3 "$here/make_batch.py" "$tmp/small.bin" 2
# Limits far above what the run can reach: this measures the endpoint, not the limiters.
"$server" --port 0 --sim-users 0 --threads 64 --ingest-rate 1e9 --ingest-burst 1e9 > "$tmp/out" 2>&1 &
pid=$!
for _ in $(seq 50); do grep -q "listening on" "$tmp/out" && break; sleep 0.1; done
base=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$tmp/out")
url="$base/metrics/ingest"
echo "server $base; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
n=0
run() {
  n=$((n + 1))
  BATCH=$1 MODE=$2 RUN=$n wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-50}" -d"${DURATION:-10s}" -s "$here/ingest.lua" "$url" |
    grep -E "Latency|mode "
}
echo "== 10 KB batch, every request applied";   run "$tmp/batch.bin" applied
echo "== 10 KB batch, every request duplicate"; run "$tmp/batch.bin" duplicate
echo "== 10 KB batch, refused (415) after reading it: HTTP + body, no decoding"; run "$tmp/batch.bin" refused
echo "== 400 B batch, every request applied";   run "$tmp/small.bin" applied
curl -s "$base/metrics" | grep -E '^golivekit_client_ingest_(batches_total|rejections_total\{reason="(stale|rate|unsupp)|clients)'
