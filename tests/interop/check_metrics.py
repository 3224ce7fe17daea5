#!/usr/bin/env python3
"""Interop (a): `promtool check metrics` on the live /metrics of a running demo server.

Starts demo_server on a free loopback port, fetches /metrics with curl in text format 0.0.4 (what
promtool parses), and asserts that:
  - the response is text 0.0.4 (Content-Type);
  - promtool reports exactly one problem, the known one: golivekit_presence_count's name ends in
    `_count` (the spec's name, kept on purpose; see docs/deployment.md) — nothing else;
  - each of the spec's twelve built-in metrics is there, with its spec type and at least one sample,
    errors and failed connections included (the demo's warm-up round), as are the process and runtime
    metrics;
  - promtool really lints: the same exposition with an injected badly named metric gets that problem
    reported too (so an always-silent promtool cannot pass this test).

usage: check_metrics.py --demo PATH [--promtool PATH] [--curl PATH]
"""

import argparse
import re
import subprocess

from interop_util import check, log, run_test, start_demo

BUILTIN = {
    "golivekit_connections_total": "counter",
    "golivekit_active_connections": "gauge",
    "golivekit_messages_total": "counter",
    "golivekit_message_size_bytes": "histogram",
    "golivekit_event_latency_seconds": "histogram",
    "golivekit_render_latency_seconds": "histogram",
    "golivekit_diff_size_bytes": "histogram",
    "golivekit_diff_latency_seconds": "histogram",
    "golivekit_errors_total": "counter",
    "golivekit_pubsub_messages_total": "counter",
    "golivekit_presence_count": "gauge",
    "golivekit_component_instances": "gauge",
}
PLATFORM = [
    "process_cpu_seconds_total",
    "process_open_fds",
    "process_max_fds",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
    "golivekit_runtime_threads",
    "golivekit_build_info",
]
EXPECTED_PROBLEM = 'golivekit_presence_count non-histogram and non-summary metrics should not have "_count" suffix'


def promtool_check(promtool, text):
    r = subprocess.run([promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=60)
    out = (r.stdout + r.stderr).decode("utf-8", "replace")
    problems = [line.strip() for line in out.splitlines() if line.strip()]
    return r.returncode, problems


def samples(text, family, kind):
    names = [family] if kind in ("counter", "gauge") else [family + "_bucket", family + "_sum", family + "_count"]
    found = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$", line)
        if m and m.group(1) in names:
            found.setdefault(m.group(1), []).append((m.group(2) or "", float(m.group(3))))
    return found


def main(procs):
    args = PARSER.parse_args()
    base, _ = start_demo(procs, args.demo)
    url = base + "/metrics"

    headers_path = f"{procs.dir}/headers.txt"
    r = subprocess.run(
        [args.curl, "-sS", "--fail", "--max-time", "10", "-H", "Accept: text/plain;version=0.0.4", "-D", headers_path, url],
        capture_output=True, timeout=30)
    check(r.returncode == 0, f"curl {url} failed ({r.returncode}): {r.stderr.decode(errors='replace')}")
    text = r.stdout.decode("utf-8")
    with open(headers_path, encoding="latin-1") as f:
        content_type = [l.split(":", 1)[1].strip() for l in f if l.lower().startswith("content-type:")]
    check(content_type == ["text/plain; version=0.0.4; charset=utf-8"], f"Content-Type: {content_type}")
    log(f"fetched {len(text)} bytes of text 0.0.4 from {url}")

    # The exposition itself: every built-in metric, its type, samples.
    for family, kind in BUILTIN.items():
        check(f"# TYPE {family} {kind}\n" in text, f"{family}: no '# TYPE {family} {kind}' line")
        found = samples(text, family, kind)
        check(found, f"{family}: no samples")
        if kind == "histogram":
            count = sum(v for _, v in found.get(family + "_count", []))
            check(count > 0, f"{family}: no observations (_count {count})")
    for family in PLATFORM:
        check(re.search(rf"^{family}(\{{[^}}]*\}})? ", text, re.M), f"{family}: missing")
    conns = dict(samples(text, "golivekit_connections_total", "counter")["golivekit_connections_total"])
    check(conns.get('{status="success"}', 0) > 0, f"no successful connection: {conns}")
    check(conns.get('{status="error"}', 0) > 0, f"no failed connection: {conns}")
    errors = samples(text, "golivekit_errors_total", "counter")["golivekit_errors_total"]
    check(sum(v for _, v in errors) > 0, f"no error counted: {errors}")
    pubsub = dict(samples(text, "golivekit_pubsub_messages_total", "counter")["golivekit_pubsub_messages_total"])
    check(set(pubsub) == {'{direction="delivered"}', '{direction="published"}'}, f"pubsub directions: {pubsub}")

    # promtool: exactly the one known problem.
    rc, problems = promtool_check(args.promtool, text)
    log(f"promtool check metrics: exit {rc}, problems: {problems}")
    check(rc == 3 and problems == [EXPECTED_PROBLEM],
          f"expected exit 3 and exactly [{EXPECTED_PROBLEM!r}], got exit {rc} and {problems}")

    # And promtool does lint: one more badly named metric is one more problem.
    bad = text + "# HELP demo_bad_total A gauge with a counter's name.\n# TYPE demo_bad_total gauge\ndemo_bad_total 1\n"
    rc2, problems2 = promtool_check(args.promtool, bad)
    check(rc2 == 3 and len(problems2) == 2 and any(p.startswith("demo_bad_total ") for p in problems2),
          f"promtool did not flag an injected bad metric: exit {rc2}, {problems2}")


PARSER = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
PARSER.add_argument("--demo", required=True)
PARSER.add_argument("--promtool", default="promtool")
PARSER.add_argument("--curl", default="curl")

if __name__ == "__main__":
    run_test(main)
