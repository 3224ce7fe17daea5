#!/usr/bin/env python3
"""Interop (d): the demo server's protobuf exposition, decoded with the real protobuf library, and a real
Prometheus scraping native histograms from it.

Starts demo_server (one simulated user, almost no events after the warm-up: its state hardly moves
between scrapes, but for the process, runtime and scrape self-metrics) and:
  - asks for /metrics with Prometheus 2.42's Accept header with native histograms (protobuf first): the
    answer has exactly the protobuf Content-Type, decodes against client_model's metrics.proto
    (compiled by protoc at test time, tests/protobuf/metrics_proto.py), and every family agrees with
    the text 0.0.4 scrapes around it: same families, types, series; same values, counts, sums and
    classic buckets (a value that moved between the two text scrapes must lie between them; a
    simulated user leaving mid-comparison makes it try again, up to 5 times);
  - the event, render and diff latency histograms carry native buckets: schema 3, zero_threshold 2^-128,
    zero bucket and native buckets adding up to the count; the others have none;
  - the same with gzip;
  - Debian's Prometheus (2.42) with --enable-feature=native-histograms scrapes the demo and stores the
    latency histograms as native histograms (the query API returns them as `histogram` samples).

usage: protobuf_scrape.py --demo PATH --prometheus PATH [--proto PATH] [--protoc PATH]
"""

import argparse
import gzip
import os
import sys

from interop_util import (PROMETHEUS_NATIVE_ACCEPT, check, http, http_json, log, prom_query, run_test, scrape_config, start_demo,
                          start_prometheus, wait_until)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "protobuf"))
import metrics_proto  # noqa: E402

# The server's latency histograms, and the client histograms demo_server declares with native buckets
# (merged from browsers: empty until one ships).
SERVER_NATIVE = {"golivekit_event_latency_seconds", "golivekit_render_latency_seconds", "golivekit_diff_latency_seconds"}
NATIVE = SERVER_NATIVE | {"golivekit_client_event_latency_seconds"} | {
    f"golivekit_client_web_vitals_{v}" for v in ("lcp_seconds", "inp_seconds", "cls", "fcp_seconds", "ttfb_seconds")}
ZERO_THRESHOLD = 2.0 ** -128

PARSER = argparse.ArgumentParser()
PARSER.add_argument("--demo", required=True)
PARSER.add_argument("--prometheus", required=True)
PARSER.add_argument("--proto", default=metrics_proto.METRICS_PROTO)
PARSER.add_argument("--protoc", default="protoc")


def scrape_text(demo):
    status, headers, body = http(demo + "/metrics", headers={"Accept": "text/plain;version=0.0.4"})
    check(status == 200, f"text scrape: HTTP {status}")
    return metrics_proto.parse_text(body.decode("utf-8"))


def scrape_protobuf(demo, accept_gzip=False):
    headers = {"Accept": PROMETHEUS_NATIVE_ACCEPT}
    if accept_gzip:
        headers["Accept-Encoding"] = "gzip"
    status, resp_headers, body = http(demo + "/metrics", headers=headers)
    check(status == 200, f"protobuf scrape: HTTP {status}")
    content_type = resp_headers.get("Content-Type")
    check(content_type == metrics_proto.CONTENT_TYPE, f"protobuf scrape: Content-Type {content_type!r}")
    if accept_gzip:
        check(resp_headers.get("Content-Encoding") == "gzip", "a protobuf scrape accepting gzip is gzip'd")
        body = gzip.decompress(body)
    return metrics_proto.decode_delimited(body)


def between(value, a, b):
    if metrics_proto.same_value(value, a) or metrics_proto.same_value(value, b):
        return True
    return min(a, b) <= value <= max(a, b)


def compare(families, before, after):
    """Where the protobuf scrape disagrees with the text scrapes taken just before and just after it."""
    problems = []

    def expect(condition, message):
        if not condition:
            problems.append(message)

    decoded = metrics_proto.from_protobuf(families)
    expect(set(decoded) == set(after) or set(decoded) == set(before),
           f"families differ from the text scrape: {sorted(set(decoded) ^ set(after))}")
    compared = 0
    for name, (kind, series) in decoded.items():
        if name not in after and name not in before:
            continue
        text_kind, text_series = after.get(name, before.get(name))
        expect(kind == text_kind, f"{name}: {kind} in protobuf, {text_kind} in text")
        old_series = before.get(name, (None, {}))[1]
        expect(set(series) == set(text_series) or set(series) == set(old_series),
               f"{name}: series differ: {sorted(set(series) ^ set(text_series))}")
        for labels, v in series.items():
            new, old = text_series.get(labels), old_series.get(labels, text_series.get(labels))
            if new is None:
                continue
            for key in ("value", "count", "sum"):
                if key in v:
                    expect(between(float(v[key]), float(old[key]), float(new[key])),
                           f"{name}{labels} {key}: {v[key]} in protobuf, {old[key]}..{new[key]} in text")
            if "buckets" in v:
                expect(set(v["buckets"]) == set(new["buckets"]), f"{name}{labels}: bucket bounds differ")
                for le, n in v["buckets"].items():
                    expect(between(n, old["buckets"].get(le, n), new["buckets"].get(le, n)),
                           f"{name}{labels} le={le}: {n} in protobuf, text {old['buckets'].get(le)}..{new['buckets'].get(le)}")
            compared += 1
    return compared, problems


def check_native(families):
    for f in families:
        for m in f.metric:
            h = m.histogram
            has_native = h.HasField("schema") or h.HasField("zero_threshold") or len(h.positive_span) > 0
            if f.name not in NATIVE:
                check(not has_native, f"{f.name}: a classic histogram has no native field")
                continue
            check(h.schema == 3 and h.zero_threshold == ZERO_THRESHOLD,
                  f"{f.name}: schema {h.schema}, zero_threshold {h.zero_threshold}")
            check(len(h.bucket) > 0, f"{f.name}: keeps its classic buckets beside the native ones")
            pos = metrics_proto.native_buckets(h.positive_span, h.positive_delta)
            neg = metrics_proto.native_buckets(h.negative_span, h.negative_delta)
            total = h.zero_count + sum(pos.values()) + sum(neg.values())
            check(total == h.sample_count, f"{f.name}: native buckets hold {total} of {h.sample_count}")
            check(len(h.positive_span) + len(h.negative_span) > 0, f"{f.name}: at least one span")
    names = {f.name for f in families}
    check(SERVER_NATIVE <= names, f"native latency histograms exposed: {sorted(SERVER_NATIVE - names)}")
    counts = {f.name: sum(m.histogram.sample_count for m in f.metric) for f in families if f.name in SERVER_NATIVE}
    check(any(n > 0 for n in counts.values()), f"the warm-up observed something natively: {counts}")


def prometheus_native(procs, args, demo):
    prom = start_prometheus(procs, args.prometheus, scrape_config("native", demo), ["--enable-feature=native-histograms"])

    def native_sample():
        result = prom_query(prom, 'golivekit_event_latency_seconds{job="native"}')["result"]
        with_histogram = [r for r in result if "histogram" in r]
        return with_histogram or None

    samples = wait_until("a native golivekit_event_latency_seconds sample in Prometheus", 40, 0.5, native_sample)
    h = samples[0]["histogram"][1]
    log(f"Prometheus stored a native histogram: count {h['count']}, {len(h.get('buckets', []))} buckets")
    check(float(h["count"]) > 0 and h.get("buckets"), f"native histogram with buckets: {h}")
    # Prometheus 2.42 keeps only the native buckets of a histogram that has both (2.45 added
    # scrape_classic_histograms to keep the classic ones too): logged, not required.
    classic_of_native = prom_query(prom, 'golivekit_event_latency_seconds_bucket{job="native"}')["result"]
    log(f"classic bucket series of the native histogram in Prometheus: {len(classic_of_native)}")
    # A classic-only histogram still arrives as classic series.
    classic = prom_query(prom, 'golivekit_message_size_bytes_count{job="native"}')["result"]
    check(classic, "a classic histogram's _count series is there too")
    status, body = http_json(f"{prom}/api/v1/targets")
    check(status == 200, "targets API")
    health = [t["health"] for t in body["data"]["activeTargets"]]
    check(health == ["up"], f"target health {health}")


def main(procs):
    args = PARSER.parse_args()
    metrics_proto.load(args.proto, args.protoc)
    demo, _ = start_demo(procs, args.demo, ["--sim-users", "1", "--sim-rate", "0.1"])
    scrape_text(demo)  # the exporter's self-metrics get their series before the comparison
    for attempt in range(1, 6):
        before = scrape_text(demo)
        families = scrape_protobuf(demo)
        after = scrape_text(demo)
        compared, problems = compare(families, before, after)
        if not problems:
            break
        log(f"attempt {attempt}: " + "; ".join(problems[:5]))
    check(not problems, "the protobuf scrape disagrees with the text scrape: " + "; ".join(problems[:10]))
    log(f"protobuf scrape: {len(families)} families, {compared} series agree with the text scrape")
    check(compared > 30, f"only {compared} series compared")
    check_native(families)
    zipped = scrape_protobuf(demo, accept_gzip=True)
    check([f.name for f in zipped] == [f.name for f in families], "the gzip'd scrape has the same families")
    prometheus_native(procs, args, demo)


if __name__ == "__main__":
    run_test(main)
