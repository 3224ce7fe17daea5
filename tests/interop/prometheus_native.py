#!/usr/bin/env python3
"""Interop: Prometheus 2.42 with native histograms on scrapes the demo server's native latency histograms.

Starts demo_server (simulated users: events, renders and diffs all the time) and Debian's Prometheus with
--enable-feature=native-histograms, which asks for the protobuf exposition first (the only one that
carries native buckets), scraping every second and loading deploy/prometheus/alerts.yml. Then:
  - golivekit_event_latency_seconds, golivekit_render_latency_seconds and golivekit_diff_latency_seconds
    are stored as native histograms: an instant query returns "histogram" samples, with schema 3
    buckets (factor 1.1);
  - histogram_count(rate(golivekit_event_latency_seconds[1m])) and histogram_quantile(0.95, rate(…[1m]))
    return finite, positive values per event type (rate() needs two native samples in the window: at a
    1 s interval, the second scrape; the test polls until then, with a deadline);
  - Prometheus 2.42 keeps only the native buckets when a family has both: no _bucket, _count or _sum
    series of those three families, while a histogram without native buckets
    (golivekit_message_size_bytes) still has its classic series;
  - every query of the Grafana dashboard returns data (the latency panels through their native branch,
    since no classic latency series exist here);
  - the HighLatency alert's expression evaluates on the native series: with its threshold lowered to 0
    it returns the p95 of every event type; and every alert rule evaluates with health "ok";
  - browsers' native histograms, merged: two clients ship golivekit_client_event_latency_seconds at
    schemas 3 and 6 (batch version 2); Prometheus stores the merged series at schema 3, and
    histogram_quantile over it is within a bucket of the true median; the dashboard's browser latency
    panel answers from it.

usage: prometheus_native.py --demo PATH --prometheus PATH --rules alerts.yml --dashboard dashboard.json
"""

import argparse
import json
import math
import re
import time

from client_batch import latency_batch
from interop_util import (check, check_serves_protobuf, http, http_json, log, prom_query, prom_series, run_test, scrape_config,
                          start_demo, start_prometheus, wait_until)
from prometheus_scrape import OPTIONAL_DATA, dashboard_queries, finite_positive, query_until_data

JOB = "golivekit"
NATIVE_FAMILIES = ("golivekit_event_latency_seconds", "golivekit_render_latency_seconds",
                   "golivekit_diff_latency_seconds")
SCHEMA3_GROWTH = 2 ** (1 / 8)


def check_native_samples(prom, family):
    """An instant query of the family returns native histogram samples of schema 3; returns how many."""
    result = query_until_data(prom, family, family, 30)
    for r in result:
        check("histogram" in r and "value" not in r, f"{family}: a float sample, not a native histogram: {json.dumps(r)[:300]}")
        h = r["histogram"][1]
        ratios = [float(upper) / float(lower) for _, lower, upper, _ in h.get("buckets", []) if float(lower) > 0]
        check(all(abs(x / SCHEMA3_GROWTH - 1) < 1e-9 for x in ratios),
              f"{family}{r['metric']}: bucket growth {sorted(set(round(x, 6) for x in ratios))}, expected schema 3")
    return len(result)


def high_latency_expr(rules_path):
    with open(rules_path, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"- alert: HighLatency\n(?:.*\n)*?\s+expr: \|\n((?:\s{10,}.*\n)+)", text)
    check(m, "HighLatency: no multi-line expr in the rules file")
    expr = "\n".join(line.strip() for line in m.group(1).splitlines())
    check(expr.rstrip().endswith(") > 0.5"), f"HighLatency: expected '(…) > 0.5': {expr}")
    return expr


def main(procs):
    args = PARSER.parse_args()
    demo, _ = start_demo(procs, args.demo, ["--sim-rate", "20"])
    check_serves_protobuf(demo)
    prom = start_prometheus(procs, args.prometheus, scrape_config(JOB, demo, args.rules),
                            ["--enable-feature=native-histograms"])
    log(f"Prometheus (native histograms on) on {prom}, scraping {demo}/metrics every second")
    query_until_data(prom, "up", f'up{{job="{JOB}"}} == 1', 30)

    for family in NATIVE_FAMILIES:
        n = check_native_samples(prom, family)
        log(f"{family}: {n} native histogram series, schema 3")

    # rate() of a native histogram: two native samples in the window.
    counts = query_until_data(prom, "event rate", "histogram_count(rate(golivekit_event_latency_seconds[1m]))", 30,
                              accept=lambda r: bool(finite_positive(r)))
    p95 = query_until_data(prom, "event p95", "histogram_quantile(0.95, rate(golivekit_event_latency_seconds[1m]))", 30,
                           accept=lambda r: bool(finite_positive(r)))
    check({r["metric"].get("event_type") for r in p95} >= {"inc"}, f"p95 event types: {p95}")
    check(all(r["metric"].get("job") == JOB for r in p95), f"p95 labels: {p95}")
    log("histogram_count(rate(…[1m])): " + ", ".join(f"{r['metric'].get('event_type')} {float(r['value'][1]):.3g}/s" for r in counts))
    log("histogram_quantile(0.95, rate(…[1m])): " + ", ".join(
        f"{r['metric'].get('event_type')} {float(r['value'][1]) * 1000:.3g} ms" for r in p95))

    # Only the native histograms of those families; the classic-only histogram keeps its series.
    for family in NATIVE_FAMILIES:
        for suffix in ("_bucket", "_count", "_sum"):
            stored = prom_series(prom, family + suffix)
            check(stored == [], f"Prometheus 2.42 with native histograms stored {family + suffix}: {stored[:2]}")
    # A classic-only histogram keeps its series, with the le spellings of the OpenMetrics exposition (a
    # query naming le="…" works the same whichever format was scraped).
    stored_le = {s["le"] for s in prom_series(prom, "golivekit_message_size_bytes_bucket")}
    _, _, body = http(demo + "/metrics", headers={"Accept": "application/openmetrics-text;version=1.0.0"})
    exposed_le = set(re.findall(r'^golivekit_message_size_bytes_bucket\{[^}]*le="([^"]+)"', body.decode(), re.M))
    check(stored_le and stored_le == exposed_le, f"golivekit_message_size_bytes_bucket le: stored {sorted(stored_le)}, "
          f"OpenMetrics {sorted(exposed_le)}")
    log(f"no _bucket, _count or _sum series of the native families; golivekit_message_size_bytes_bucket present, "
        f"le as in OpenMetrics ({len(stored_le)} bounds)")

    # The dashboard works on native series: every query has data, and those of the native families a
    # finite value (which only their native branch can give here).
    optional, native = [], []
    for name, query in dashboard_queries(args.dashboard):
        if OPTIONAL_DATA.search(query):
            prom_query(prom, query)
            optional.append(name)
        elif any(re.search(rf"\b{family}\b", query) for family in NATIVE_FAMILIES):
            query_until_data(prom, name, query, 20, accept=lambda r: any(math.isfinite(float(x["value"][1])) for x in r))
            native.append(name)
        else:
            query_until_data(prom, name, query, 20)
    check(len(native) >= 8, f"only {len(native)} dashboard queries on the native families: {native}")
    log(f"dashboard: every query has data (but the optional {len(optional)}); {len(native)} on native histograms, finite")

    # The HighLatency alert's expression, on native series: with the threshold at 0 it returns exactly
    # the native p95 of each event type that had events (evaluated at the same instant).
    expr = high_latency_expr(args.rules)
    prom_query(prom, expr)
    lowered = expr.rstrip()[: -len("> 0.5")] + "> 0"
    query_until_data(prom, "HighLatency at threshold 0", lowered, 20, accept=lambda r: bool(finite_positive(r)))
    at = time.time()
    by_alert = {r["metric"]["event_type"]: float(r["value"][1]) for r in prom_query(prom, lowered, at=at)["result"]}
    native_p95 = prom_query(prom, "histogram_quantile(0.95, rate(golivekit_event_latency_seconds[5m])) > 0", at=at)
    by_native = {r["metric"]["event_type"]: float(r["value"][1]) for r in native_p95["result"]}
    check(by_alert and by_alert == by_native, f"HighLatency (threshold 0): {by_alert}, native p95: {by_native}")
    log("HighLatency's expression on native series (threshold 0): " + ", ".join(
        f"{k} {v * 1000:.3g} ms" for k, v in sorted(by_alert.items())))

    def rules_ok():
        status, body = http_json(f"{prom}/api/v1/rules")
        check(status == 200 and body["status"] == "success", f"rules API: {status}")
        rules = [r for g in body["data"]["groups"] for r in g["rules"]]
        check(not [r for r in rules if r["health"] == "err"], f"rules with errors: {[(r['name'], r.get('lastError')) for r in rules]}")
        return rules and all(r["health"] == "ok" for r in rules)

    wait_until("every alert rule evaluated with health ok", 20, 0.5, rules_ok)
    log("alert rules: health ok")

    check_browser_histograms(demo, prom, args.dashboard)


def check_browser_histograms(demo, prom, dashboard):
    """Two browsers at different resolutions ship native latency; Prometheus reads the merged series."""
    values = []
    for client, schema in ((1, 3), (2, 6)):
        # 300 values from 50 ms to 800 ms, away from every bucket bound of schema 6 (and so of 3).
        mine = []
        for k in range(300):
            v = 0.05 * 16 ** ((k + 0.5) / 300)
            x = math.log2(v) * 64
            mine.append(v if abs(x - round(x)) > 0.01 else v * 1.0001)
        values += mine
        for seq in (1, 2):  # two batches each, so that rate() has two samples
            part = mine[:150] if seq == 1 else mine[150:]
            status, _, body = http(f"{demo}/metrics/ingest", method="POST", data=latency_batch(
                bytes([client] * 16), seq, "click", part, schema), headers={"Content-Type": "application/vnd.golivekit.metrics-batch"})
            check(status == 200 and b'"applied"' in body and b"skipped" not in body, f"ingest: {status} {body[:200]}")
            if seq == 1:
                time.sleep(2.5)  # a scrape in between
    n = check_native_samples(prom, "golivekit_client_event_latency_seconds")
    log(f"golivekit_client_event_latency_seconds: {n} merged native series from 2 browsers, schema 3")
    # Once Prometheus has scraped everything both shipped:
    total = query_until_data(prom, "browser count", 'histogram_count(golivekit_client_event_latency_seconds{event="click"})', 30,
                             accept=lambda r: bool(r) and float(r[0]["value"][1]) == len(values))
    result = prom_query(prom, 'histogram_quantile(0.5, golivekit_client_event_latency_seconds{event="click"})')["result"]
    check(finite_positive(result), f"browser p50: {result}")
    p50 = float(result[0]["value"][1])
    true_p50 = sorted(values)[len(values) // 2]
    check(abs(p50 / true_p50 - 1) < 0.095, f"browser p50 {p50}, true median {true_p50}: more than a bucket apart")
    log(f"histogram_quantile(0.5, …) over the merged browser series: {p50 * 1000:.4g} ms (true median "
        f"{true_p50 * 1000:.4g} ms); histogram_count {total[0]['value'][1]}")
    for name, query in dashboard_queries(dashboard):
        if "golivekit_client_event_latency_seconds" in query:
            query_until_data(prom, name, query, 20, accept=lambda r: any(math.isfinite(float(x["value"][1])) for x in r))
            log(f"dashboard '{name}': data from the merged native series")


PARSER = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
PARSER.add_argument("--demo", required=True)
PARSER.add_argument("--prometheus", default="prometheus")
PARSER.add_argument("--rules", required=True)
PARSER.add_argument("--dashboard", required=True)

if __name__ == "__main__":
    run_test(main)
