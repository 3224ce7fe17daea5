#!/usr/bin/env python3
"""Run bench/observability_bench and print its results as a markdown table with targets.

Usage:
    python3 scripts/bench_report.py build/native/bench/observability_bench [extra benchmark args]
    python3 scripts/bench_report.py --json results.json
    python3 scripts/bench_report.py --save results.json build/native/bench/observability_bench

By default the binary runs with --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
and the table shows the medians; extra arguments are passed on (and replace those defaults when they
set the same flag, e.g. --benchmark_repetitions=5 or --benchmark_filter=Counter).

Columns:
- ns/op: real (wall-clock) time per iteration. For ->Threads(N) benchmarks Google Benchmark divides the
  wall-clock time by the iterations of all threads together, so the figure is the total ns/op of the
  whole run (1e9 / ns/op = operations per second over all threads); the thread count is shown.
- ratio: ns/op divided by the same-run reference's ns/op (BM_AtomicBaseline for one thread,
  BM_AtomicBaselineContended for two threads); both sides use the same convention.
- MB/s: exposition output per second of real time, MB = 10^6 bytes.
- bytes/series: the benchmark's bytes_per_series counter.
- prometheus-cpp: the peer's figure (docs/performance.md), as the same kind of ratio or rate, for comparison.

Targets (PASS/FAIL): counter Inc <= 1.5x, histogram Observe <= 4x, WithLabels (2 labels) + Inc <= 8x,
contended Inc <= 1.2x, text and protobuf exposition of 10k counters >= 300 MB/s.

Exit status: 0, or 1 with --check when a target fails or a targeted benchmark is missing; 2 on usage or
run errors. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from dataclasses import dataclass
from typing import Optional

DEFAULT_ARGS = ["--benchmark_repetitions=3", "--benchmark_report_aggregates_only=true"]

BASELINE = "BM_AtomicBaseline"
BASELINE_CONTENDED = "BM_AtomicBaselineContended"

# benchmark -> reference it is divided by
REFERENCES = {
    "BM_CounterInc": BASELINE,
    "BM_CounterChildInc": BASELINE,
    "BM_HistogramObserve": BASELINE,
    "BM_CounterWithLabels2": BASELINE,
    "BM_CounterWithLabels2In10kSeries": BASELINE,
    "BM_GaugeAdd": BASELINE,
    "BM_CounterIncContended": BASELINE_CONTENDED,
    "BM_HistogramObserveContended": BASELINE_CONTENDED,
    "BM_NativeHistogramObserve": BASELINE,
    "BM_NativeHistogramObserveContended": BASELINE_CONTENDED,
}


@dataclass(frozen=True)
class Target:
    kind: str  # "ratio_max" or "mbps_min"
    limit: float

    def describe(self) -> str:
        if self.kind == "ratio_max":
            return f"<= {self.limit:g}x"
        return f">= {self.limit:g} MB/s"


TARGETS = {
    "BM_CounterInc": Target("ratio_max", 1.5),
    "BM_CounterChildInc": Target("ratio_max", 1.5),
    "BM_HistogramObserve": Target("ratio_max", 4.0),
    "BM_CounterWithLabels2": Target("ratio_max", 8.0),
    "BM_CounterIncContended": Target("ratio_max", 1.2),
    "BM_ExposeText10kCounters": Target("mbps_min", 300.0),
    "BM_ExposeProtobuf10kCounters": Target("mbps_min", 300.0),
}

# prometheus-cpp 1.3 (docs/performance.md), as a ratio to its own same-run baseline or as a rate.
PEER = {
    "BM_CounterInc": "2.06x (10.5 / 5.1 ns)",
    "BM_CounterChildInc": "2.06x (10.5 / 5.1 ns)",
    "BM_CounterWithLabels2": "32.7x (167 / 5.1 ns)",
    "BM_HistogramObserve": "5.41x (27.6 / 5.1 ns)",
    "BM_CounterIncContended": "4.94x (84 / 17 ns)",
    "BM_ExposeText10kCounters": "78 MB/s",
    "BM_ExposeText1kHistograms": "170 MB/s",
    "BM_MemoryPerSeries2Labels": "~368 B",
    "BM_MemoryPerHistogramSeries1Label": "~670 B",
}

TIME_UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


@dataclass
class Result:
    name: str  # base name, e.g. BM_CounterIncContended
    run_name: str  # e.g. BM_CounterIncContended/threads:2
    threads: int
    ns_per_op: float
    mb_per_s: Optional[float]
    bytes_per_series: Optional[float]
    source: str  # "median", "single run", "median of N runs"
    error: Optional[str] = None


def run_benchmark(binary: str, extra: list[str]) -> dict:
    args = [binary, "--benchmark_format=json"]
    overridden = {a.split("=", 1)[0] for a in extra if a.startswith("--")}
    args += [a for a in DEFAULT_ARGS if a.split("=", 1)[0] not in overridden]
    args += extra
    print(f"running: {' '.join(args)}", file=sys.stderr)
    try:
        proc = subprocess.run(args, stdout=subprocess.PIPE, check=False)
    except OSError as e:
        sys.exit(f"bench_report: cannot run {binary}: {e}")
    if proc.returncode != 0:
        sys.exit(f"bench_report: {binary} exited with status {proc.returncode}")
    try:
        return json.loads(proc.stdout.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        sys.exit(f"bench_report: {binary} did not print JSON: {e}")


def base_name(run_name: str) -> str:
    return run_name.split("/", 1)[0]


def entry_ns(entry: dict) -> float:
    return float(entry["real_time"]) * TIME_UNIT_NS.get(entry.get("time_unit", "ns"), 1.0)


def entry_mbps(entry: dict) -> Optional[float]:
    # Prefer output size over real time: Google Benchmark's bytes_per_second divides by CPU time.
    size = entry.get("output_bytes")
    ns = entry_ns(entry)
    if size is not None and ns > 0:
        return float(size) / ns * 1e9 / 1e6
    if entry.get("bytes_per_second") is not None:
        return float(entry["bytes_per_second"]) / 1e6
    return None


def collect(data: dict) -> dict[str, Result]:
    """One Result per benchmark: the median aggregate if present, else the median of its runs."""
    runs: dict[str, list[dict]] = {}
    medians: dict[str, dict] = {}
    errors: dict[str, str] = {}
    order: list[str] = []
    for e in data.get("benchmarks", []):
        run_name = e.get("run_name") or e["name"]
        if run_name not in order:
            order.append(run_name)
        if e.get("error_occurred"):
            errors[run_name] = e.get("error_message", "error")
            continue
        if e.get("run_type") == "aggregate":
            if e.get("aggregate_name") == "median":
                medians[run_name] = e
        else:
            runs.setdefault(run_name, []).append(e)

    results: dict[str, Result] = {}
    for run_name in order:
        name = base_name(run_name)
        if run_name in errors:
            results[name] = Result(name, run_name, 1, float("nan"), None, None, "", errors[run_name])
            continue
        if run_name in medians:
            e = medians[run_name]
            ns, mbps = entry_ns(e), entry_mbps(e)
            bps = e.get("bytes_per_series")
            source = "median"
        elif run_name in runs:
            es = runs[run_name]
            e = es[0]
            ns = statistics.median(entry_ns(x) for x in es)
            rates = [r for r in (entry_mbps(x) for x in es) if r is not None]
            mbps = statistics.median(rates) if rates else None
            series = [x["bytes_per_series"] for x in es if "bytes_per_series" in x]
            bps = statistics.median(series) if series else None
            source = "single run" if len(es) == 1 else f"median of {len(es)} runs"
        else:
            continue
        threads = int(e.get("threads", 1))
        results[name] = Result(name, run_name, threads, ns, mbps, bps, source)
    return results


def fmt_ns(ns: float) -> str:
    if ns != ns:  # NaN
        return "—"
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.2f}"


def render(data: dict, results: dict[str, Result]) -> tuple[str, int, int]:
    """The markdown report, the number of targets failed and the number missing."""
    lines: list[str] = []
    ctx = data.get("context", {})
    if ctx:
        caches = ", ".join(
            f"L{c.get('level')}{c.get('type', '')[0:1].lower()} {c.get('size', 0) // 1024} KiB"
            for c in ctx.get("caches", [])
        )
        lines.append(
            f"Host `{ctx.get('host_name', '?')}`, {ctx.get('num_cpus', '?')} CPUs @ "
            f"{ctx.get('mhz_per_cpu', '?')} MHz ({caches}); load average "
            f"{', '.join(f'{x:.2f}' for x in ctx.get('load_avg', []))}; {ctx.get('date', '')}."
        )
        if ctx.get("cpu_scaling_enabled"):
            lines.append("CPU frequency scaling is enabled: figures are noisier.")
        lines.append("")

    lines.append(
        "| benchmark | threads | ns/op | ratio | vs | MB/s | bytes/series | prometheus-cpp | target | result |"
    )
    lines.append("|---|---:|---:|---:|---|---:|---:|---|---|---|")

    failed = 0
    for r in results.values():
        ratio_s, ref_s, mbps_s, bps_s, target_s, verdict = "", "", "", "", "", ""
        ratio: Optional[float] = None
        ref = REFERENCES.get(r.name)
        if ref:
            ref_s = ref
            base = results.get(ref)
            if base and base.error is None and base.ns_per_op > 0 and r.error is None:
                ratio = r.ns_per_op / base.ns_per_op
                ratio_s = f"{ratio:.2f}x"
            else:
                ratio_s = "n/a"
        if r.mb_per_s is not None:
            mbps_s = f"{r.mb_per_s:.0f}"
        if r.bytes_per_series is not None:
            bps_s = f"{r.bytes_per_series:.0f}"
        target = TARGETS.get(r.name)
        if target:
            target_s = target.describe()
            if r.error is not None:
                verdict = "FAIL (error)"
            elif target.kind == "ratio_max":
                verdict = "n/a" if ratio is None else ("PASS" if ratio <= target.limit else "FAIL")
            else:
                verdict = (
                    "n/a" if r.mb_per_s is None else ("PASS" if r.mb_per_s >= target.limit else "FAIL")
                )
            if verdict != "PASS":
                failed += 1
        ns_s = fmt_ns(r.ns_per_op) if r.error is None else f"error: {r.error}"
        if r.name.startswith("BM_Memory"):
            ns_s = ""  # one iteration that builds 100k series: its time is not a per-op figure
        lines.append(
            f"| {r.name} | {r.threads} | {ns_s} | {ratio_s} | {ref_s} | {mbps_s} | {bps_s} | "
            f"{PEER.get(r.name, '')} | {target_s} | {verdict} |"
        )

    missing = [n for n in TARGETS if n not in results]
    lines.append("")
    if results:
        sources = sorted({r.source for r in results.values() if r.source})
        lines.append(
            "ns/op is real time per operation ("
            + ", ".join(sources)
            + "); for threads > 1 it is wall-clock time over the operations of all threads together. "
            "Ratios divide by the same run's atomic baseline with the same thread count. "
            "MB/s is output bytes per second of real time (MB = 10^6 B)."
        )
    for n in missing:
        lines.append(f"- {n} (target {TARGETS[n].describe()}): not in this run.")
    passed = len(TARGETS) - failed - len(missing)
    lines.append(f"\nTargets: {passed} of {len(TARGETS)} passed"
                 + (f", {failed} failed" if failed else "")
                 + (f", {len(missing)} not run" if missing else "") + ".")
    return "\n".join(lines), failed, len(missing)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description="Markdown report of observability_bench against the project's targets.",
        usage="%(prog)s [--save FILE] [--check] BINARY [benchmark args...]\n"
        "       %(prog)s [--check] --json FILE",
    )
    parser.add_argument("--json", metavar="FILE", help="read this --benchmark_format=json output instead of running")
    parser.add_argument("--save", metavar="FILE", help="also write the raw JSON of the run to FILE")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target fails or is missing")
    parser.add_argument("binary", nargs="?", help="path to observability_bench")
    parser.add_argument("bench_args", nargs=argparse.REMAINDER, help="passed on to the benchmark")
    args = parser.parse_args(argv)

    if args.json:
        if args.binary:
            parser.error("give either --json FILE or a binary, not both")
        try:
            with open(args.json, encoding="utf-8") as f:
                data = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            print(f"bench_report: cannot read {args.json}: {e}", file=sys.stderr)
            return 2
    elif args.binary:
        data = run_benchmark(args.binary, args.bench_args)
    else:
        parser.print_usage(sys.stderr)
        return 2

    if args.save:
        with open(args.save, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)

    results = collect(data)
    if not results:
        print("bench_report: no benchmark results in the input", file=sys.stderr)
        return 2
    report, failed, missing = render(data, results)
    print(report)
    return 1 if args.check and (failed or missing) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
