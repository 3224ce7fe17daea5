#!/usr/bin/env python3
"""Interop: created timestamps, series limits and lifetimes, as a real Prometheus and promtool see them.

Starts limits_server (a registry with created timestamps and a series limit; see its header), then:
  - Debian's Prometheus 2.42 scrapes it every second in OpenMetrics (what it asks for first): the scrape
    is healthy (up == 1, so its strict OpenMetrics parser took every line), and it stores the _created
    samples as series of their own (what Prometheus before 2.50 does) with the server's start time, for
    each counter and histogram series and none for the gauge;
  - promtool check metrics on its text 0.0.4 exposition: clean, and no _created sample there;
  - in its OpenMetrics exposition each _created comes right after its series' other samples;
  - the series limit: 5 series of glk_limits_requests_total at most, the overflow series holds the 18
    increments past it, and golivekit_registry_overflow_samples_total{metric} says 18;
  - lifetimes: "idle", not updated after the start, is gone from the exposition and from Prometheus'
    latest samples (marked stale) within seconds, while "busy", updated every 200 ms, stays with the same
    _created value throughout.

usage: created_timestamps.py --server PATH --prometheus PATH --promtool PATH
"""

import argparse
import json
import re
import subprocess
import time

from interop_util import (check, http, log, prom_query, run_test, scrape_config, start_prometheus,
                          wait_for_listening, wait_until)

OPENMETRICS = "application/openmetrics-text;version=1.0.0"
TEXT = "text/plain;version=0.0.4"


def exposition(base, accept):
    status, headers, body = http(base + "/metrics", headers={"Accept": accept, "Accept-Encoding": "identity"})
    check(status == 200, f"/metrics ({accept}): HTTP {status}")
    return headers.get("Content-Type", ""), body.decode("utf-8")


def values(prom, query):
    """{labels as a sorted tuple of (name, value) without __name__ and job/instance: value}."""
    data = prom_query(prom, query)
    out = {}
    for r in data["result"]:
        labels = tuple(sorted((k, v) for k, v in r["metric"].items() if k not in ("__name__", "job", "instance")))
        out[labels] = float(r["value"][1])
    return out


def main(procs):
    args = PARSER.parse_args()
    started = time.time()
    proc, log_path = procs.start("limits_server", [args.server])
    base = wait_for_listening(proc, log_path, "limits_server", 30)
    after_start = time.time()

    # Prometheus first: its scrapes are the only gathers until it has stored every series once (a series
    # expires at a gather more than 2 s after the first one that found it idle).
    prom = start_prometheus(procs, args.prometheus, scrape_config("limits", base))
    log(f"Prometheus on {prom}, scraping {base}/metrics every second (OpenMetrics)")
    wait_until("a healthy scrape", 30, 0.25, lambda: values(prom, 'up{job="limits"}') == {(): 1.0})
    wait_until("glk_limits_requests_created stored", 30, 0.25,
               lambda: len(values(prom, "max_over_time(glk_limits_requests_created[5m])")) == 5)
    for (labels, value) in values(prom, "max_over_time(glk_limits_requests_created[5m])").items():
        check(int(started) <= value <= after_start + 1, f"glk_limits_requests_created{labels} = {value}")
    created_histograms = values(prom, "max_over_time(glk_limits_latency_seconds_created[5m])")
    check(len(created_histograms) == 2, f"glk_limits_latency_seconds_created: {created_histograms}")
    check(values(prom, "glk_limits_temperature_celsius_created") == {}, "a gauge has a _created series")
    log("Prometheus stored _created series for every counter and histogram series, none for the gauge")

    # promtool lints the text format (0.0.4), which has no place for _created.
    _, text = exposition(base, TEXT)
    check("_created" not in text, "the text exposition has _created samples")
    lint = subprocess.run([args.promtool, "check", "metrics"], input=text.encode(), capture_output=True, timeout=30)
    check(lint.returncode == 0, f"promtool check metrics: exit {lint.returncode}: {lint.stderr.decode()[:2000]}")
    log("promtool check metrics: the text exposition is clean")

    # In OpenMetrics, each _created right after its series' other samples ("busy" is never idle).
    content_type, om = exposition(base, OPENMETRICS)
    check(content_type.startswith("application/openmetrics-text"), f"OpenMetrics asked, got {content_type!r}")
    check(re.search(r'^glk_limits_requests_total\{path="busy"\} \S+\nglk_limits_requests_created\{path="busy"\} (\S+)$',
                    om, re.M), "no _created after the busy counter series")
    check(re.search(r'^glk_limits_latency_seconds_count\{path="busy"\} \S+\nglk_limits_latency_seconds_created\{path="busy"\} \S+$',
                    om, re.M), "no _created after the busy histogram series")
    check("glk_limits_temperature_celsius_created" not in om, "a gauge has a _created sample")
    log("OpenMetrics: _created after each series' samples")

    overflow = values(prom, 'max_over_time(glk_limits_requests_total{path="__overflow__"}[5m])')
    check(overflow == {(("path", "__overflow__"),): 18.0}, f"overflow series: {overflow}")
    series = values(prom, "count(max_over_time(glk_limits_requests_total[5m]))")
    check(series == {(): 5.0}, f"series of glk_limits_requests_total: {series}")
    counted = values(prom, "golivekit_registry_overflow_samples_total")
    check(counted.get((("metric", "glk_limits_requests_total"),)) == 18.0 and
          counted.get((("metric", "glk_limits_latency_seconds"),)) == 0.0, f"overflow counter: {counted}")
    log("series limit: 5 series, 18 increments in the overflow series, and the overflow counter says 18")

    # Lifetimes (2 s): "idle" goes from the exposition and Prometheus marks it stale; "busy" stays.
    wait_until("idle gone from the exposition", 30, 0.5, lambda: 'path="idle"' not in exposition(base, OPENMETRICS)[1])
    wait_until("idle stale in Prometheus", 30, 0.5,
               lambda: values(prom, 'glk_limits_requests_total{path="idle"}') == {})
    busy = values(prom, 'glk_limits_requests_total{path="busy"}')
    check(len(busy) == 1 and list(busy.values())[0] > 1, f"busy: {busy}")
    spread = values(prom, 'max_over_time(glk_limits_requests_created{path="busy"}[5m]) - '
                          'min_over_time(glk_limits_requests_created{path="busy"}[5m])')
    check(spread == {(("path", "busy"),): 0.0}, f"busy's _created changed: {json.dumps(list(spread.items()))}")
    log("lifetimes: idle expired (stale in Prometheus), busy kept with the same _created")


PARSER = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
PARSER.add_argument("--server", required=True)
PARSER.add_argument("--prometheus", required=True)
PARSER.add_argument("--promtool", required=True)

if __name__ == "__main__":
    run_test(main)
