#!/usr/bin/env python3
"""The protobuf exposition read back with the real protobuf library (metrics_proto.py).

snapshot: write_exposition's hand-built snapshot; every field of every family is checked against the
values below (written here again, not read from the C++), and every message must re-encode to the same
bytes (field order, unpacked repeated fields: what client_golang writes).

registry: a live registry with callback metrics, recorded native histograms and merged client metrics;
its protobuf and its text 0.0.4 of the same gather must hold the same families, series and values.

usage: check_golden.py --writer PATH [--proto PATH] [--protoc PATH]
"""

import argparse
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metrics_proto  # noqa: E402

ZERO_THRESHOLD = 2.0 ** -128
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}", flush=True)


def labels_of(metric):
    return [(l.name, l.value) for l in metric.label]


def side(h, positive):
    spans = h.positive_span if positive else h.negative_span
    deltas = h.positive_delta if positive else h.negative_delta
    return [(s.offset, s.length) for s in spans], list(deltas)


def check_snapshot(pb2, families):
    by_name = {f.name: f for f in families}
    check([f.name for f in families] == ["a_requests_total", "b_temperature_celsius", "c_legacy", "d_rpc_seconds",
                                         "e_latency_seconds", "f_size_bytes", "g_idle_seconds", "i_many"],
          f"families in snapshot order, the one without series left out: {[f.name for f in families]}")

    a = by_name["a_requests_total"]
    check(a.type == pb2.COUNTER and a.help == "Requests.", "a: counter with help")
    check([labels_of(m) for m in a.metric] == [[("code", "200"), ("method", "GET")],
                                               [("code", "500"), ("method", "POST")]], "a: labels in label order")
    check([m.counter.value for m in a.metric] == [3, 0.5], "a: counter values")
    check(all(m.HasField("counter") and not m.HasField("gauge") for m in a.metric), "a: only Counter set")

    b = by_name["b_temperature_celsius"]
    check(b.type == pb2.GAUGE and not b.HasField("help"), "b: gauge, an empty help leaves the field out")
    check(len(b.metric) == 1 and not b.metric[0].label and b.metric[0].gauge.value == -12.5, "b: value -12.5")

    c = by_name["c_legacy"]
    check(c.type == pb2.UNTYPED and c.help == "Line one\nline \\two", "c: untyped, help as is (no escaping)")
    check([labels_of(m) for m in c.metric] == [[("path", "C:\\dir\n\"Björn\" 佖佥")], [("path", "inf")],
                                               [("path", "nan")]], "c: UTF-8 label values as is")
    vals = [m.untyped.value for m in c.metric]
    check(vals[0] == 42 and vals[1] == math.inf and math.isnan(vals[2]), f"c: untyped values {vals}")

    d = by_name["d_rpc_seconds"]
    check(d.type == pb2.HISTOGRAM and d.help == "RPC.", "d: histogram")
    get, post = d.metric
    check(labels_of(get) == [("method", "GET")], "d: GET")
    h = get.histogram
    check(h.sample_count == 4 and h.sample_sum == 2000001.5, "d: count and sum")
    check([(b.upper_bound, b.cumulative_count) for b in h.bucket] == [(0.005, 1), (1, 2), (10, 3)],
          f"d: classic buckets without +Inf: {h.bucket}")
    check(not h.HasField("schema") and not h.HasField("zero_threshold") and not h.positive_span,
          "d: a classic histogram has no native field")
    check(post.histogram.sample_count == 0 and post.histogram.HasField("sample_count") and
          [b.cumulative_count for b in post.histogram.bucket] == [0, 0, 0], "d: an unobserved series, zeros written")

    e = by_name["e_latency_seconds"].metric[0].histogram
    check(e.sample_count == 316 and e.sample_sum == 12.25, "e: count and sum")
    check([(b.upper_bound, b.cumulative_count) for b in e.bucket] == [(0.1, 10), (1, 20)], "e: classic buckets")
    check(e.schema == 3 and e.zero_threshold == ZERO_THRESHOLD and e.zero_count == 2, "e: schema, zero bucket")
    check(side(e, True) == ([(-2, 2), (3, 1)], [5, -2, 297]), f"e: positive spans and deltas {side(e, True)}")
    check(side(e, False) == ([(0, 1), (2, 2)], [1, 3, -3]), f"e: negative spans and deltas {side(e, False)}")
    check(metrics_proto.native_buckets(e.positive_span, e.positive_delta) == {-2: 5, -1: 3, 3: 300},
          "e: positive buckets decode to the absolute counts")
    check(metrics_proto.native_buckets(e.negative_span, e.negative_delta) == {0: 1, 3: 4, 4: 1},
          "e: negative buckets decode to the absolute counts")

    f = by_name["f_size_bytes"].metric[0].histogram
    check(f.sample_count == 7 and math.isnan(f.sample_sum), "f: count, NaN sum")
    check(not f.bucket, "f: a native-only histogram writes no classic bucket (as client_golang)")
    check(f.schema == -2 and f.zero_threshold == 0.5 and f.HasField("zero_count") and f.zero_count == 0,
          "f: negative schema, zero bucket written even when empty")
    check(side(f, True) == ([(1, 3)], [1, 0, 3]) and side(f, False) == ([], []), "f: spans and deltas")

    g = by_name["g_idle_seconds"]
    gh = g.metric[0].histogram
    check(labels_of(g.metric[0]) == [("pool", "main")], "g: labels")
    check(gh.HasField("sample_count") and gh.sample_count == 0 and gh.sample_sum == 0, "g: count and sum 0")
    check(gh.schema == 0 and gh.HasField("schema") and gh.zero_threshold == ZERO_THRESHOLD, "g: schema 0, threshold")
    check(side(gh, True) == ([(0, 0)], []) and side(gh, False) == ([], []),
          f"g: an empty native histogram has exactly one no-op span: {side(gh, True)}")

    i = by_name["i_many"]
    check(len(i.metric) == 1000 and all(labels_of(m) == [("i", f"{n:04d}")] and m.gauge.value == n
                                        for n, m in enumerate(i.metric)), "i: 1000 series (a 3-byte length)")


def compare_with_text(pb_families, text):
    """Every family of the protobuf exposition agrees with the text of the same gather."""
    pb2 = metrics_proto.load()
    from_pb = metrics_proto.from_protobuf(pb_families)
    from_text = metrics_proto.parse_text(text)
    check(sorted(from_pb) == sorted(from_text), f"same families: {sorted(set(from_pb) ^ set(from_text))}")
    for name, (kind, series) in from_pb.items():
        if name not in from_text:
            continue
        text_kind, text_series = from_text[name]
        check(kind == text_kind, f"{name}: type {kind} in protobuf, {text_kind} in text")
        check(set(series) == set(text_series), f"{name}: series {set(series) ^ set(text_series)}")
        for labels, v in series.items():
            tv = text_series.get(labels)
            if tv is None:
                continue
            for key in v:
                same = (v[key] == tv.get(key) if key == "buckets"
                        else metrics_proto.same_value(float(v[key]), float(tv.get(key, math.nan))))
                check(same, f"{name}{labels} {key}: {v[key]} in protobuf, {tv.get(key)} in text")
    return from_pb


def check_registry(pb2, families, text):
    compare_with_text(families, text)
    by_name = {f.name: f for f in families}
    for name in ("both_seconds", "native_only_bytes", "idle_seconds"):
        f = by_name.get(name)
        check(f is not None, f"{name} exposed")
        if f is None:
            continue
        for m in f.metric:
            h = m.histogram
            pos = metrics_proto.native_buckets(h.positive_span, h.positive_delta)
            neg = metrics_proto.native_buckets(h.negative_span, h.negative_delta)
            n = sum(pos.values()) + sum(neg.values()) + h.zero_count
            check(h.zero_threshold == ZERO_THRESHOLD, f"{name}: zero_threshold 2^-128")
            check(n == h.sample_count, f"{name}{labels_of(m)}: native buckets hold {n} of {h.sample_count}")
            check(h.positive_span or h.negative_span, f"{name}: at least one span (a no-op one when empty)")
    read = [m.histogram for m in by_name["both_seconds"].metric if labels_of(m) == [("op", "read")]][0]
    check(read.schema == 3 and read.zero_count == 1, f"both_seconds: schema 3, one zero: {read.schema} {read.zero_count}")
    check(sum(metrics_proto.native_buckets(read.negative_span, read.negative_delta).values()) == 2, "two negatives")
    check(len(read.bucket) == 3, "both_seconds keeps its classic buckets")
    only = by_name["native_only_bytes"].metric[0].histogram
    check(only.schema == 0 and not only.bucket, "native_only_bytes: schema 0, no classic bucket")
    check(by_name["cb_ticks_total"].metric[0].counter.value == 7, "callback counter")
    check(by_name["cb_temperature"].metric[0].gauge.value == 21.5, "callback gauge")
    check(by_name["client_clicks_total"].metric[0].counter.value == 2, "merged client counter")
    load = by_name["client_load_seconds"].metric[0].histogram
    check(load.sample_count == 4 and [b.cumulative_count for b in load.bucket] == [1, 3], "merged client histogram")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--writer", required=True)
    ap.add_argument("--proto", default=metrics_proto.METRICS_PROTO)
    ap.add_argument("--protoc", default="protoc")
    args = ap.parse_args()
    pb2 = metrics_proto.load(args.proto, args.protoc)
    with tempfile.TemporaryDirectory(prefix="glk-proto-golden-") as tmp:
        snapshot_pb = os.path.join(tmp, "snapshot.pb")
        subprocess.run([args.writer, "snapshot", snapshot_pb], check=True)
        with open(snapshot_pb, "rb") as f:
            check_snapshot(pb2, metrics_proto.decode_delimited(f.read()))
        registry_pb, registry_txt = os.path.join(tmp, "registry.pb"), os.path.join(tmp, "registry.txt")
        subprocess.run([args.writer, "registry", registry_pb, registry_txt], check=True)
        with open(registry_pb, "rb") as f, open(registry_txt, "r", encoding="utf-8") as t:
            check_registry(pb2, metrics_proto.decode_delimited(f.read()), t.read())
    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
