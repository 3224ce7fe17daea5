#!/usr/bin/env python3
"""Interop (c): a real Prometheus scrapes the demo server; the spec's PromQL and the dashboard's work.

Starts demo_server on a free loopback port and Debian's Prometheus on another, scraping the demo every
second (job "golivekit") and loading deploy/prometheus/alerts.yml. Then:
  - polls (up to 30 s) until up{job="golivekit"} == 1;
  - the scrape negotiated OpenMetrics: Prometheus' metadata for the counter family is named
    `golivekit_connections` (OpenMetrics family name) and not `golivekit_connections_total` (what a
    text 0.0.4 scrape gives), and the demo answers Prometheus' own Accept header with OpenMetrics;
  - runs every PromQL query of the spec's Grafana section through /api/v1/query, polling until each
    returns data (rates need two scrapes), and checks labels and values where the data must have them;
  - runs every query of deploy/grafana/golivekit-dashboard.json (Grafana variables substituted) and
    requires data from each (but the malloc heap panel's, which has none under a sanitizer's malloc);
  - every alert rule of alerts.yml is loaded and evaluated with health "ok".

usage: prometheus_scrape.py --demo PATH --prometheus PATH --rules alerts.yml --dashboard dashboard.json
"""

import argparse
import json
import math
import re

from interop_util import (check, http, http_json, log, prom_query, run_test, scrape_config, start_demo, start_prometheus,
                          wait_until)

JOB = "golivekit"

# The spec's dashboard queries ("Grafana Dashboards"), verbatim.
SPEC_QUERIES = {
    "active connections": "golivekit_active_connections",
    "connection rate": "rate(golivekit_connections_total[5m])",
    "connection error rate": 'rate(golivekit_connections_total{status="error"}[5m])\n  / rate(golivekit_connections_total[5m])',
    "p50 event latency": "histogram_quantile(0.5, rate(golivekit_event_latency_seconds_bucket[5m]))",
    "p95 event latency": "histogram_quantile(0.95, rate(golivekit_event_latency_seconds_bucket[5m]))",
    "p99 event latency": "histogram_quantile(0.99, rate(golivekit_event_latency_seconds_bucket[5m]))",
    "message rate by direction": "rate(golivekit_messages_total[5m])",
    "average message size": "rate(golivekit_message_size_bytes_sum[5m])\n  / rate(golivekit_message_size_bytes_count[5m])",
}

# Dashboard queries that may legitimately have no data: the malloc heap families are left out of the
# scrape when malloc is not glibc's (a sanitizer build, jemalloc; see docs/builtin-metrics.md); browser
# series exist once a browser has shipped (no browser runs in this test; npm.demo_chromium has one).
OPTIONAL_DATA = re.compile(r"golivekit_runtime_heap_|golivekit_client_(events_total|event_latency|web_vitals)")

# Prometheus 2.42's scrape Accept header (docs/exposition.md, "What Prometheus asks for").
PROMETHEUS_ACCEPT = ("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                     "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def values(result):
    return [float(r["value"][1]) for r in result]


def finite_positive(result):
    return [v for v in values(result) if math.isfinite(v) and v > 0]


def query_until_data(prom, name, query, timeout, accept=lambda result: bool(result)):
    """Polls an instant query until `accept(result)`; returns the result vector."""
    holder = {}

    def attempt():
        data = prom_query(prom, query)
        check(data["resultType"] == "vector", f"{name}: result type {data['resultType']}")
        holder["last"] = data["result"]
        return accept(data["result"])

    try:
        wait_until(f"data for {name}: {query}", timeout, 0.5, attempt)
    except Exception:
        log(f"last result of {name}: {json.dumps(holder.get('last'))[:600]}")
        raise
    return holder["last"]


def dashboard_queries(path):
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    out = []
    for panel in dash["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            # Grafana variables: $job is a single value, $instance a regex (multi-value / All = ".*").
            expr = expr.replace("$__rate_interval", "1m").replace("$job", JOB).replace("$instance", ".*")
            check("$" not in expr, f"panel {panel['title']!r}: unsubstituted variable in {expr!r}")
            out.append((f"{panel['title']} [{target['refId']}]", expr))
    return out


def main(procs):
    args = PARSER.parse_args()
    demo, _ = start_demo(procs, args.demo, ["--sim-rate", "20"])

    # The demo answers Prometheus' Accept header with OpenMetrics.
    status, headers, body = http(demo + "/metrics", headers={"Accept": PROMETHEUS_ACCEPT, "User-Agent": "Prometheus/2.42.0"})
    check(status == 200, f"/metrics with Prometheus' Accept: HTTP {status}")
    content_type = headers.get("Content-Type")
    check(content_type == "application/openmetrics-text; version=1.0.0; charset=utf-8",
          f"/metrics with Prometheus' Accept header: Content-Type {content_type!r}")

    prom = start_prometheus(procs, args.prometheus, scrape_config(JOB, demo, args.rules))
    log(f"Prometheus ready on {prom}, scraping {demo}/metrics every second")

    # Prometheus' first sample can take several seconds, even at a 1 s scrape interval.
    query_until_data(prom, "up", f'up{{job="{JOB}"}} == 1', 30)
    log("target is up")

    # OpenMetrics was used for the scrape: metadata is keyed by the OpenMetrics family name.
    def metadata(metric):
        status, body = http_json(f"{prom}/api/v1/targets/metadata?metric={metric}")
        check(status == 200 and body["status"] == "success", f"metadata {metric}: {status} {body}")
        return body["data"]

    om = wait_until("metadata of golivekit_connections", 15, 0.5, lambda: metadata("golivekit_connections"))
    check(om[0]["type"] == "counter" and om[0]["target"]["job"] == JOB, f"metadata: {om}")
    check(metadata("golivekit_connections_total") == [],
          "metadata has golivekit_connections_total: the scrape was text 0.0.4, not OpenMetrics")
    log("scrape format: OpenMetrics (metadata family golivekit_connections, type counter)")

    # The spec's queries. Rates need two scrapes in the window: poll.
    results = {}
    for name, query in SPEC_QUERIES.items():
        results[name] = query_until_data(prom, name, query, 30)
        log(f"spec query ok: {name}: {len(results[name])} series")

    check(all(r["metric"].get("job") == JOB for r in results["active connections"]), "active connections: job label")
    check(values(results["active connections"])[0] >= 1, f"no active connection: {results['active connections']}")
    statuses = {r["metric"].get("status") for r in results["connection rate"]}
    check({"success", "error"} <= statuses, f"connection rate statuses: {statuses}")
    # As written in the spec, the division matches series one to one, so only the status="error"
    # series remains (its own rate divided by itself).
    check({r["metric"].get("status") for r in results["connection error rate"]} == {"error"},
          f"connection error rate: {results['connection error rate']}")
    for q in ("p50 event latency", "p95 event latency", "p99 event latency"):
        query_until_data(prom, q, SPEC_QUERIES[q], 20, accept=lambda r: bool(finite_positive(r)))
    directions = {r["metric"].get("direction") for r in results["message rate by direction"]}
    check(directions == {"inbound", "outbound"}, f"message directions: {directions}")
    query_until_data(prom, "average message size", SPEC_QUERIES["average message size"], 20,
                     accept=lambda r: {x["metric"].get("direction") for x in r if math.isfinite(float(x["value"][1]))}
                     == {"inbound", "outbound"})

    # Every dashboard query returns data.
    queries = dashboard_queries(args.dashboard)
    check(len(queries) >= 20, f"only {len(queries)} dashboard queries")
    optional = []
    for name, query in queries:
        if OPTIONAL_DATA.search(query):
            prom_query(prom, query)  # valid PromQL; data only with glibc's own malloc
            optional.append(name)
        else:
            query_until_data(prom, name, query, 20)
    log(f"dashboard: {len(queries)} queries, all valid, all with data except possibly {optional}")

    # The alert rules are loaded and evaluate cleanly.
    with open(args.rules, encoding="utf-8") as f:
        rule_names = set(re.findall(r"^\s*- alert: (\S+)", f.read(), re.M))

    def rules_ok():
        status, body = http_json(f"{prom}/api/v1/rules")
        check(status == 200 and body["status"] == "success", f"rules API: {status}")
        rules = [r for g in body["data"]["groups"] for r in g["rules"]]
        bad = [(r["name"], r["health"], r.get("lastError")) for r in rules if r["health"] != "ok"]
        check(not [b for b in bad if b[1] == "err"], f"rules with errors: {bad}")
        return {r["name"] for r in rules} == rule_names and not bad

    wait_until("every alert rule evaluated with health ok", 20, 0.5, rules_ok)
    log(f"alert rules: {len(rule_names)} loaded, health ok")


PARSER = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
PARSER.add_argument("--demo", required=True)
PARSER.add_argument("--prometheus", default="prometheus")
PARSER.add_argument("--rules", required=True)
PARSER.add_argument("--dashboard", required=True)

if __name__ == "__main__":
    run_test(main)
