#!/bin/sh
# golivekit-gateway under wrk on the loopback, beside demo_server measured in the same run (the
# reference: the ingest endpoint linked into an application server).
#   bench/gateway/run.sh [BUILD_DIR]   (default build/native; needs golivekit_gateway and demo_server
#                                       built, wrk, python3)
# Env: DURATION (10s), CONNECTIONS (50), THREADS (2) of the ingest runs; CLIENTS (10000: the state held
# for the scrapes).
# Prints req/s of: demo_server ingest of a ~14 KB batch (reference); the gateway's ingest of the same
# batch, of duplicates, of a 400 B batch; GET /metrics once the gateway holds CLIENTS clients; and the
# gateway's resident memory before and after. Figures: docs/performance.md ("The gateway").
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ingest="$here/../ingest"
build=${1:-build/native}
gateway="$build/gateway/golivekit-gateway"
demo="$build/examples/demo_server"
for b in "$gateway" "$demo"; do [ -x "$b" ] || { echo "no $b: build it first" >&2; exit 1; }; done
tmp=$(mktemp -d)
pids=""
trap 'kill $pids 2>/dev/null || true; rm -rf "$tmp"' EXIT

python3 "$ingest/make_batch.py" "$tmp/batch.bin" >/dev/null
python3 "$ingest/make_batch.py" "$tmp/small.bin" 2 >/dev/null
wrk_run() { # url batch mode
  BATCH=$2 MODE=$3 RUN=$(date +%s%N | cut -c10-18) wrk -t"${THREADS:-2}" -c"${CONNECTIONS:-50}" \
    -d"${DURATION:-10s}" -s "$ingest/ingest.lua" "$1" | grep -E "^mode "
}
rss() { awk '/^VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$1/status"; }
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"

# The reference: demo_server (threads and limits as bench/ingest/run.sh starts it).
"$demo" --port 0 --sim-users 0 --threads 64 --ingest-rate 1e9 --ingest-burst 1e9 >"$tmp/demo.out" 2>&1 &
demo_pid=$!
pids="$demo_pid"
for _ in $(seq 50); do grep -q "listening on" "$tmp/demo.out" && break; sleep 0.1; done
demo_base=$(sed -n 's/^listening on \(http[^ ]*\).*/\1/p' "$tmp/demo.out")
echo "== demo_server (reference): 14 KB batch, every request applied"
wrk_run "$demo_base/metrics/ingest" "$tmp/batch.bin" applied
kill "$demo_pid"
wait "$demo_pid" 2>/dev/null || true

# A gateway of the bench configuration; sets gateway_pid, listen and base.
start_gateway() {
  "$gateway" --config "$here/gateway.jsonc" 2>"$tmp/gateway.log" &
  gateway_pid=$!
  pids="$gateway_pid"
  for _ in $(seq 50); do grep -q "msg=started" "$tmp/gateway.log" && break; sleep 0.1; done
  listen=$(sed -n 's/.*msg=started .*listen=\([^ ]*\).*/\1/p' "$tmp/gateway.log")
  base="http://$listen"
}
# GET /metrics with as many connections as the endpoint serves scrapes at once
# (ExporterOpts::max_concurrent_scrapes, 4): more would measure its 503s.
scrape_run() {
  tracked=$(curl -s "$base/metrics" | sed -n 's/^golivekit_client_ingest_clients{state="tracked"} //p')
  echo "== gateway: GET /metrics ($(curl -s "$base/metrics" | wc -c) bytes) holding $tracked clients (4 connections), RSS $(rss "$gateway_pid")"
  wrk -t2 -c4 -d"${DURATION:-10s}" -H "Accept-Encoding: gzip" "$base/metrics" | grep -E "Requests/sec|Non-2xx|Socket"
  echo "   RSS after the scrapes: $(rss "$gateway_pid")"
}

start_gateway
echo "== gateway $base, RSS at start: $(rss "$gateway_pid")"
echo "== gateway: 14 KB batch, every request applied"
wrk_run "$base/metrics/ingest" "$tmp/batch.bin" applied
echo "== gateway: 14 KB batch, every request duplicate"
wrk_run "$base/metrics/ingest" "$tmp/batch.bin" duplicate
echo "== gateway: 400 B batch, every request applied"
wrk_run "$base/metrics/ingest" "$tmp/small.bin" applied
python3 "$here/prefill.py" "$listen" "${CLIENTS:-10000}"
scrape_run  # the series the 14 KB batches made: 50 events' counters and histograms, and more
kill "$gateway_pid"
wait "$gateway_pid" 2>/dev/null || true

# Clients' state alone: a fresh gateway, the prefill's clients (one counter series).
start_gateway
python3 "$here/prefill.py" "$listen" "${CLIENTS:-10000}"
scrape_run
