#!/usr/bin/env python3
"""Interop: Prometheus' histogram_quantile on our native histograms is within 5 % of the true quantiles.

Draws 100,000 latencies from a fixed-seed generator (a mix of two log-normal modes, ~1 ms to ~1 s: 80 %
around 8 ms, 20 % around 120 ms, so that p50 falls in one mode and p95/p99 in the other), writes them to
a file and starts native_histogram_server on it: two histograms with native buckets (factor 1.1, schema
3), glk_accuracy_native_seconds (native only) and glk_accuracy_both_seconds (the default classic buckets
as well). Debian's Prometheus 2.42 with --enable-feature=native-histograms scrapes it every second
(protobuf: the only format that carries native buckets). Then:
  - polls until histogram_count of each family equals the number of values (the scrape is native:
    histogram_count of a float series is empty), and histogram_sum matches their sum;
  - the stored histogram has schema 3: every bucket's upper bound is 2^(1/8) times its lower bound;
  - for q in 0.5, 0.95, 0.99, histogram_quantile(q, <family>) is within 5 % of the true quantile of the
    same values (schema 3's worst case for a value at a bucket's midpoint is 4.4 %);
  - Prometheus 2.42 keeps only the native buckets of a histogram that has both: no
    glk_accuracy_both_seconds_bucket, _count or _sum series.
Prints each error, and what the classic default buckets would give for comparison.

usage: native_histogram_accuracy.py --server PATH --prometheus PATH
"""

import argparse
import bisect
import json
import math
import os
import random

from interop_util import (check, check_serves_protobuf, http, log, prom_query, prom_series, run_test, scrape_config,
                          start_prometheus, wait_for_listening, wait_until)

COUNT = 100_000
SEED = 20261204
QUANTILES = (0.5, 0.95, 0.99)
MAX_RELATIVE_ERROR = 0.05
FAMILIES = ("glk_accuracy_native_seconds", "glk_accuracy_both_seconds")
SCHEMA3_GROWTH = 2 ** (1 / 8)
CLASSIC_DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


def known_values():
    rng = random.Random(SEED)
    out = []
    for _ in range(COUNT):
        if rng.random() < 0.8:
            out.append(rng.lognormvariate(math.log(0.008), 0.6))
        else:
            out.append(rng.lognormvariate(math.log(0.120), 0.4))
    return out


def true_quantile(sorted_values, q):
    # The smallest value with at least q of the observations at or below it: the value that Prometheus'
    # rank q * count lands on.
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def classic_estimate(sorted_values, q, bounds=CLASSIC_DEFAULT_BUCKETS):
    """What histogram_quantile gives on classic buckets: linear interpolation inside the bucket that
    holds rank q * count (for comparison only)."""
    rank = q * len(sorted_values)
    lower, below = 0.0, 0
    for bound in bounds:
        cumulative = bisect.bisect_right(sorted_values, bound)
        if cumulative >= rank:
            return lower + (bound - lower) * (rank - below) / (cumulative - below)
        lower, below = bound, cumulative
    return bounds[-1]


def start_server(procs, path, values_file):
    proc, log_path = procs.start("native_histogram_server", [path, "--values", values_file])

    base = wait_for_listening(proc, log_path, "native_histogram_server", 30)
    status, _, _ = http(base + "/metrics", timeout=5)
    check(status == 200, f"{base}/metrics: HTTP {status}")
    return base


def single_value(prom, query):
    data = prom_query(prom, query)
    check(data["resultType"] == "vector" and len(data["result"]) == 1, f"{query}: {json.dumps(data)[:400]}")
    return float(data["result"][0]["value"][1])


def check_schema3(prom, family):
    data = prom_query(prom, family)
    check(len(data["result"]) == 1 and "histogram" in data["result"][0],
          f"{family}: not one native histogram sample: {json.dumps(data)[:400]}")
    buckets = data["result"][0]["histogram"][1]["buckets"]
    ratios = [float(upper) / float(lower) for _, lower, upper, _ in buckets if float(lower) > 0]
    check(ratios and all(abs(r / SCHEMA3_GROWTH - 1) < 1e-9 for r in ratios),
          f"{family}: bucket growth {sorted(set(round(r, 6) for r in ratios))}, expected {SCHEMA3_GROWTH:.6f} (schema 3)")
    return len(buckets)


def main(procs):
    args = PARSER.parse_args()
    values = known_values()
    sorted_values = sorted(values)
    values_file = os.path.join(procs.dir, "values.txt")
    with open(values_file, "w", encoding="utf-8") as f:
        f.writelines(f"{v!r}\n" for v in values)
    server = start_server(procs, args.server, values_file)
    check_serves_protobuf(server)

    prom = start_prometheus(procs, args.prometheus, scrape_config("accuracy", server),
                            ["--enable-feature=native-histograms"])
    log(f"Prometheus (native histograms on) on {prom}, scraping {server}/metrics every second")

    for family in FAMILIES:
        def counted():
            data = prom_query(prom, f"histogram_count({family})")
            return data["result"] and float(data["result"][0]["value"][1]) == COUNT
        wait_until(f"histogram_count({family}) == {COUNT}", 30, 0.25, counted)
        total = single_value(prom, f"histogram_sum({family})")
        check(math.isclose(total, math.fsum(values), rel_tol=1e-9), f"{family}: histogram_sum {total}, expected {math.fsum(values)}")
        buckets = check_schema3(prom, family)
        log(f"{family}: native histogram of {COUNT} observations in {buckets} buckets, schema 3, sum ok")

        for q in QUANTILES:
            truth = true_quantile(sorted_values, q)
            estimate = single_value(prom, f"histogram_quantile({q}, {family})")
            error = (estimate - truth) / truth
            classic = classic_estimate(sorted_values, q)
            log(f"  p{q * 100:g}: Prometheus {estimate:.6g} s, true {truth:.6g} s, error {error * 100:+.2f} %"
                f"   (classic default buckets would give {classic:.6g} s, {(classic - truth) / truth * 100:+.1f} %)")
            check(abs(error) <= MAX_RELATIVE_ERROR,
                  f"{family} p{q * 100:g}: {estimate} vs true {truth}: error {error * 100:.2f} % > {MAX_RELATIVE_ERROR * 100:g} %")

    # 2.42 stores only the native histogram of a family that has both kinds (no option to keep the
    # classic series before 2.45's scrape_classic_histograms).
    for suffix in ("_bucket", "_count", "_sum"):
        name = "glk_accuracy_both_seconds" + suffix
        check(prom_series(prom, name) == [], f"Prometheus 2.42 stored {name}: {prom_series(prom, name)[:3]}")
    log("glk_accuracy_both_seconds: no _bucket, _count or _sum series (only the native histogram is kept)")


PARSER = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
PARSER.add_argument("--server", required=True)
PARSER.add_argument("--prometheus", default="prometheus")

if __name__ == "__main__":
    run_test(main)
