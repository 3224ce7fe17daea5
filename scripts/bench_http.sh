#!/usr/bin/env bash
# Measures one HTTP endpoint with wrk (2 threads, 50 connections, 10 s) and prints its requests/s.
# Builds and starts nothing: point it at a running server, on the loopback interface only.
#
# Usage: scripts/bench_http.sh URL [extra wrk arguments...]
#   scripts/bench_http.sh http://127.0.0.1:9464/metrics
#   scripts/bench_http.sh http://127.0.0.1:9464/metrics -H 'Accept-Encoding: gzip'
# Environment: WRK_THREADS (2), WRK_CONNECTIONS (50), WRK_DURATION (10s).
#
# A server to measure: build/native/bench/http_static_server --mode exporter   (or --mode static)
# Output: wrk's report, then one line "req/s: <n> (<url>)". Exit status 1 if wrk reports socket
# errors or non-2xx/3xx responses.
set -euo pipefail

if [ $# -lt 1 ]; then
  sed -n '2,12p' "$0" >&2
  exit 2
fi
url=$1
shift

case "$url" in
  http://127.0.0.1:* | http://127.0.0.1/* | http://localhost:* | http://localhost/* | http://\[::1\]:*) ;;
  *)
    echo "bench_http.sh: loopback URLs only (http://127.0.0.1:<port>/...), got $url" >&2
    exit 2
    ;;
esac

command -v wrk >/dev/null 2>&1 || {
  echo "bench_http.sh: wrk not found (make deps installs it)" >&2
  exit 1
}

threads=${WRK_THREADS:-2}
connections=${WRK_CONNECTIONS:-50}
duration=${WRK_DURATION:-10s}

out=$(wrk -t"$threads" -c"$connections" -d"$duration" "$@" "$url")
echo "$out"
rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
if [ -z "$rps" ]; then
  echo "bench_http.sh: no Requests/sec in wrk's output" >&2
  exit 1
fi
echo "req/s: $rps ($url)"
if grep -qE 'Socket errors|Non-2xx or 3xx responses' <<<"$out"; then
  echo "bench_http.sh: wrk reported errors (see above)" >&2
  exit 1
fi
