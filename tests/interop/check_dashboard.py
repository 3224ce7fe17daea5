#!/usr/bin/env python3
"""Static checks of deploy/grafana/golivekit-dashboard.json (prometheus_scrape.py runs its queries).

  - valid JSON, a dashboard Grafana imports: title, uid, schemaVersion, panels with unique ids and
    non-overlapping grid positions;
  - the datasource is an import input (`__inputs` DS_PROMETHEUS) used by every panel, target and
    query variable, and no datasource is hard-coded;
  - the panels of the spec (active connections, connection rate, error ratio, p50/p95/p99 event latency,
    message rate by direction, average message size) and the operator's (render/diff latency, errors by
    type, process CPU and RSS) are there, each query filtered by the $job and $instance variables;
  - every query on the classic series of a family with native buckets (event, render, diff latency)
    tries the native histogram first: `<native query>\nor\n<classic query>`.

usage: check_dashboard.py DASHBOARD.json
"""

import json
import re
import sys

from interop_util import check, log, run_test

DS = "${DS_PROMETHEUS}"

# (what, regex that some panel query must match)
REQUIRED = [
    ("active connections", r"golivekit_active_connections\{"),
    ("connection rate", r"rate\(golivekit_connections_total\{"),
    ("connection error ratio", r'rate\(golivekit_connections_total\{status="error".*\)\)\s*/\s*sum\(rate\(golivekit_connections_total\{'),
    ("p50 event latency", r"histogram_quantile\(0\.5, sum by \(le\) \(rate\(golivekit_event_latency_seconds_bucket"),
    ("p95 event latency", r"histogram_quantile\(0\.95, sum by \(le\) \(rate\(golivekit_event_latency_seconds_bucket"),
    ("p99 event latency", r"histogram_quantile\(0\.99, sum by \(le\) \(rate\(golivekit_event_latency_seconds_bucket"),
    ("message rate by direction", r"sum by \(direction\) \(rate\(golivekit_messages_total\{"),
    ("average message size", r"rate\(golivekit_message_size_bytes_sum\{.*/.*rate\(golivekit_message_size_bytes_count\{"),
    ("render latency", r"golivekit_render_latency_seconds_bucket"),
    ("diff latency", r"golivekit_diff_latency_seconds_bucket"),
    ("diff size", r"golivekit_diff_size_bytes"),
    ("errors by type", r"sum by \(type\) \(rate\(golivekit_errors_total\{"),
    ("pubsub", r"golivekit_pubsub_messages_total"),
    ("presence", r"golivekit_presence_count"),
    ("component instances", r"golivekit_component_instances"),
    ("process CPU", r"rate\(process_cpu_seconds_total\{"),
    ("browser events", r"rate\(golivekit_client_events_total\{"),
    ("browser vs server latency", r"golivekit_client_event_latency_seconds_bucket"),
    ("open views", r"golivekit_client_open_views\{"),
    ("web vitals", r"golivekit_client_web_vitals_lcp_seconds_bucket"),
    ("client batches", r"golivekit_client_ingest_batches_total\{"),
    ("process RSS", r"process_resident_memory_bytes\{"),
    ("p95 event latency, native", r"histogram_quantile\(0\.95, sum \(rate\(golivekit_event_latency_seconds\{"),
    ("events per second, native", r"histogram_count\(rate\(golivekit_event_latency_seconds\{"),
]

# Families with native buckets (core/src/presets): a Prometheus that scrapes native histograms stores
# them without their classic series (2.42 always; 2.45+ unless told to keep both), so every query on
# their classic series must try the native histogram first and fall back with `or`.
NATIVE_FAMILIES = ("golivekit_event_latency_seconds", "golivekit_render_latency_seconds",
                   "golivekit_diff_latency_seconds")


def check_native_alternative(title, expr):
    for family in NATIVE_FAMILIES:
        if not re.search(rf"\b{family}_(bucket|count|sum)\{{", expr):
            continue
        native, _, classic = expr.partition("\nor\n")
        check(classic and re.search(rf"\b{family}\{{", native) and not re.search(rf"\b{family}_", native),
              f"panel {title!r}: {family}'s classic series without the native histogram first (native\\nor\\nclassic): {expr}")
        check(re.search(rf"\b{family}_(bucket|count|sum)\{{", classic), f"panel {title!r}: classic fallback: {expr}")


def main(_procs):
    check(len(sys.argv) == 2, "usage: check_dashboard.py DASHBOARD.json")
    with open(sys.argv[1], encoding="utf-8") as f:
        dash = json.load(f)

    check(dash.get("title") and dash.get("uid") and isinstance(dash.get("schemaVersion"), int), "title/uid/schemaVersion")
    check(dash.get("id") is None, "a dashboard to import has no id")
    inputs = dash.get("__inputs", [])
    check([(i["name"], i["type"], i["pluginId"]) for i in inputs] == [("DS_PROMETHEUS", "datasource", "prometheus")],
          f"__inputs: {inputs}")

    ids, cells, exprs = set(), set(), []
    for p in dash["panels"]:
        check(p["id"] not in ids, f"duplicate panel id {p['id']}")
        ids.add(p["id"])
        g = p["gridPos"]
        check(0 <= g["x"] and g["x"] + g["w"] <= 24, f"panel {p['title']!r} is wider than the grid")
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                check((x, y) not in cells, f"panel {p['title']!r} overlaps another at {(x, y)}")
                cells.add((x, y))
        if p["type"] == "row":
            continue
        check(p.get("datasource") == {"type": "prometheus", "uid": DS}, f"panel {p['title']!r}: datasource {p.get('datasource')}")
        check(p.get("targets"), f"panel {p['title']!r} has no query")
        for t in p["targets"]:
            check(t.get("datasource") == {"type": "prometheus", "uid": DS}, f"panel {p['title']!r}: target datasource")
            e = t["expr"]
            for metric in re.findall(r"\b((?:golivekit|process|scrape)_[a-z_]+)\{([^}]*)\}", e):
                check('job=~"$job"' in metric[1] and 'instance=~"$instance"' in metric[1],
                      f"panel {p['title']!r}: {metric[0]} is not filtered by $job and $instance: {e}")
            check(re.search(r"\b(golivekit|process|scrape)_[a-z_]+\{", e), f"panel {p['title']!r}: selector without labels: {e}")
            check_native_alternative(p["title"], e)
            exprs.append(e)

    variables = {v["name"]: v for v in dash["templating"]["list"]}
    check(set(variables) == {"job", "instance"}, f"variables: {list(variables)}")
    for v in variables.values():
        check(v["datasource"] == {"type": "prometheus", "uid": DS}, f"variable {v['name']}: datasource")

    # No datasource other than the input anywhere.
    uids = set(re.findall(r'"uid":\s*"([^"]*)"', json.dumps(dash)))
    check(uids <= {DS, "-- Grafana --", dash["uid"]}, f"hard-coded datasource uids: {uids - {DS, '-- Grafana --', dash['uid']}}")

    for what, pattern in REQUIRED:
        check(any(re.search(pattern, e, re.S) for e in exprs), f"no panel for {what} (/{pattern}/)")
    log(f"{len(ids)} panels and rows, {len(exprs)} queries, all on ${{DS_PROMETHEUS}}; spec and operator panels present")


if __name__ == "__main__":
    run_test(main)
