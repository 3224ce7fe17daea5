#!/usr/bin/env python3
"""gateway.process: the golivekit-gateway program as an operator runs it, with the documented example
configuration (deploy/gateway/gateway.jsonc): --check, a refused configuration at start, a batch
merged, SIGHUP with a changed file (totals kept, the new metric there), SIGHUP with a broken file
(refused, naming the field, still serving), SIGTERM (not ready, batches refused, exit 0 after the last
scrape), and one log line for each of those events."""

import argparse
import os
import re
import shutil
import signal
import subprocess

from client_batch import latency_batch
from interop_util import check, http, log, run_test, wait_until

BATCH_TYPE = "application/vnd.golivekit.metrics-batch"
LATENCY_COUNT = 'golivekit_client_event_latency_seconds_count{event="click"}'


def sample(text, series):
    m = re.search("^" + re.escape(series) + r" (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def read(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read()


def log_lines(path):
    return [line for line in read(path).splitlines() if line.startswith("ts=")]


def main(procs):
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--example", required=True)
    args = ap.parse_args()

    # --check: the example is valid; a broken copy is refused with its field.
    out = subprocess.run([args.gateway, "--config", args.example, "--check"], capture_output=True, text=True)
    check(out.returncode == 0 and "valid, 9 client metrics" in out.stdout, f"--check of the example: {out}")
    config = os.path.join(procs.dir, "gateway.jsonc")
    example = read(args.example)
    check('"type": "histogram"' in example, "the example declares a histogram")
    with open(config, "w") as f:
        f.write(example.replace('"type": "histogram"', '"type": "summary"', 1))
    out = subprocess.run([args.gateway, "--config", config, "--check"], capture_output=True, text=True)
    check(out.returncode == 1 and 'metrics[1].type: "summary" is not one of' in out.stderr, f"--check refuses: {out}")

    # Started with it: refused, exit 1, one error line naming the field.
    out = subprocess.run([args.gateway, "--config", config, "--listen", "127.0.0.1:0"], capture_output=True, text=True,
                         timeout=10)
    check(out.returncode == 1, f"a refused configuration exits 1, not {out.returncode}")
    lines = [line for line in out.stderr.splitlines() if line.startswith("ts=")]
    check(len(lines) == 1 and "level=error" in lines[0] and "metrics[1].type" in lines[0], f"one error line: {lines}")

    # The example as it is, on a free port.
    shutil.copyfile(args.example, config)
    proc, gateway_log = procs.start("gateway", [args.gateway, "--config", config, "--listen", "127.0.0.1:0"])
    started = wait_until("the started line", 10, 0.05, lambda: re.search(r"msg=started .*listen=(127\.0\.0\.1:\d+)", read(gateway_log)))
    base = "http://" + started.group(1)
    check(http(base + "/-/healthy")[0] == 200 and http(base + "/-/ready")[0] == 200, "healthy and ready")

    # A batch: the latency histogram as a page sends it (classic and native buckets, factor 1.1: schema 3).
    batch = latency_batch(bytes(range(16)), 1, "click", [0.03, 0.2, 0.7], 3)
    status, _, body = http(base + "/metrics/ingest", "POST", batch, {"Content-Type": BATCH_TYPE})
    check(status == 200 and b'"applied"' in body, f"batch: {status} {body}")
    check(sample(http(base + "/metrics")[2].decode(), LATENCY_COUNT) == 3, "3 observations merged")

    # SIGHUP with a new metric: reloaded, totals kept, the retry still a duplicate.
    with open(config, "w") as f:
        f.write(example.replace('"metrics": [', '"metrics": [\n    {"name": "golivekit_client_clicks_total", '
                                '"help": "Clicks.", "type": "counter"},', 1))
    proc.send_signal(signal.SIGHUP)
    reloaded = wait_until("the reloaded line", 10, 0.05, lambda: re.search(r"msg=reloaded .*", read(gateway_log)))
    check("added=golivekit_client_clicks_total" in reloaded.group(0) and "kept=9" in reloaded.group(0), reloaded.group(0))
    metrics = http(base + "/metrics")[2].decode()
    check(sample(metrics, LATENCY_COUNT) == 3, "the totals survive the reload")
    check(sample(metrics, "golivekit_client_clicks_total") == 0, "the new unlabelled counter is exposed from 0")
    status, _, body = http(base + "/metrics/ingest", "POST", batch, {"Content-Type": BATCH_TYPE})
    check(status == 200 and b'"duplicate"' in body, f"the same batch after the reload: {status} {body}")

    # SIGHUP with a broken file: refused, still serving the previous configuration.
    with open(config, "w") as f:
        f.write(example.replace('"max_clients"', '"max_clinets"', 1))
    proc.send_signal(signal.SIGHUP)
    refused = wait_until("the reload refused line", 10, 0.05, lambda: re.search(r"level=error msg=\"reload refused.*", read(gateway_log)))
    check("clients.max_clinets: is not a field here" in refused.group(0), refused.group(0))
    check(http(base + "/-/ready")[0] == 200, "still ready after a refused reload")
    metrics = http(base + "/metrics")[2].decode()
    check(sample(metrics, "golivekit_gateway_config_last_reload_successful") == 0, "the refusal is in the metric")
    check(sample(metrics, "golivekit_client_clicks_total") == 0, "the previous configuration still serves")

    # SIGTERM: not ready, batches refused, and the first scrape after that ends the process (exit 0).
    proc.send_signal(signal.SIGTERM)
    wait_until("/-/ready 503", 10, 0.02, lambda: http(base + "/-/ready")[0] == 503)
    status, headers, _ = http(base + "/metrics/ingest", "POST", latency_batch(bytes(range(16)), 2, "click", [0.1], 3),
                              {"Content-Type": BATCH_TYPE})
    check(status == 503 and headers.get("Retry-After") == "1", f"a batch while draining: {status}")
    check(sample(http(base + "/metrics")[2].decode(), LATENCY_COUNT) == 3, "the final scrape has the totals")
    check(proc.wait(timeout=10) == 0, f"exit status {proc.returncode} after the drain")
    lines = log_lines(gateway_log)
    check(len(lines) == 4, "one line per start, reload, refused reload and stop:\n" + "\n".join(lines))
    check("msg=stopped signal=SIGTERM drain=scraped" in lines[3], lines[3])
    log("gateway log:\n" + "\n".join(lines))


if __name__ == "__main__":
    run_test(main)
