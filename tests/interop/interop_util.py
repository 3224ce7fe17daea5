"""Shared helpers of the interop tests (python3 standard library only).

Every process a test starts goes through `Processes`, which kills it when the test ends, whatever the
reason: normal exit, a failed assertion, SIGTERM/SIGINT from ctest, or (PR_SET_PDEATHSIG) the test
process itself being killed. Everything listens on 127.0.0.1 only.
"""

import ctypes
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request


class TestFailure(Exception):
    pass


def fail(message):
    raise TestFailure(message)


def check(condition, message):
    if not condition:
        fail(message)


def log(message):
    print(message, flush=True)


def _on_signal(signum, _frame):
    # Turn ctest's SIGTERM (timeout) or a Ctrl-C into an exception, so that `finally` blocks kill the
    # processes we started.
    raise SystemExit(128 + signum)


def install_signal_handlers():
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)


_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    # Runs in the child between fork and exec: if this test process dies (even by SIGKILL), the child
    # gets SIGTERM.
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def free_port():
    """A port that was free a moment ago on 127.0.0.1 (for programs that cannot bind port 0 and report it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """Starts processes and guarantees they are gone when the `with` block ends."""

    def __init__(self):
        self.procs = []
        self.tmp = tempfile.TemporaryDirectory(prefix="glk-interop-")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for name, proc, _ in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    log(f"{name} did not stop on SIGTERM within 10 s: killing it")
                    proc.kill()
                    proc.wait()
        self.tmp.cleanup()
        return False

    @property
    def dir(self):
        return self.tmp.name

    def start(self, name, args):
        """Starts `args` with stdout and stderr into <tmp>/<name>.log; returns (proc, log path)."""
        log_path = os.path.join(self.dir, name + ".log")
        with open(log_path, "wb") as out:
            proc = subprocess.Popen(
                args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
            )
        self.procs.append((name, proc, log_path))
        return proc, log_path

    def stop_all_cleanly(self):
        """Stops every process still running with SIGTERM; fails unless each exits with status 0 (a
        sanitizer report, a crash or a hang on shutdown is a test failure)."""
        for name, proc, _ in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    fail(f"{name} did not stop within 15 s of SIGTERM")
            check(proc.returncode == 0, f"{name} exited with status {proc.returncode}")

    def dump_logs(self, limit=4000):
        for name, _, log_path in self.procs:
            try:
                with open(log_path, "rb") as f:
                    text = f.read().decode("utf-8", "replace")
            except OSError:
                continue
            log(f"----- {name} log (last {limit} chars) -----\n{text[-limit:]}")


def wait_until(what, timeout, interval, fn):
    """Calls fn() until it returns a truthy value; returns that value, or fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = fn()
            if value:
                return value
        except (OSError, urllib.error.URLError, ValueError, KeyError) as e:
            last_error = e
        if time.monotonic() >= deadline:
            fail(f"timed out after {timeout} s waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))
        time.sleep(interval)


def http(url, method="GET", data=None, headers=None, timeout=10):
    """Returns (status, headers, body bytes); HTTP errors are returned, not raised."""
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def http_json(url, method="GET", data=None, timeout=10):
    status, _, body = http(url, method=method, data=data, timeout=timeout)
    return status, json.loads(body.decode("utf-8")) if body else None


def wait_for_listening(proc, log_path, name, timeout):
    """Waits for the server's "listening on http://127.0.0.1:PORT" line; returns that base URL."""
    def banner():
        if proc.poll() is not None:
            fail(f"{name} exited with status {proc.returncode} before listening")
        with open(log_path, "r", encoding="utf-8", errors="replace") as f:
            m = re.search(r"^listening on (http://127\.0\.0\.1:\d+)$", f.read(), re.M)
        return m.group(1) if m else None

    return wait_until(f"{name}'s 'listening on' line", timeout, 0.05, banner)


def start_demo(procs, demo_path, extra_args=()):
    """Starts the demo server on a free loopback port; returns its base URL once /healthz answers."""
    proc, log_path = procs.start("demo_server", [demo_path, "--host", "127.0.0.1", "--port", "0", *extra_args])
    base = wait_for_listening(proc, log_path, "demo_server", 15)
    wait_until(f"{base}/healthz", 15, 0.05, lambda: http(base + "/healthz", timeout=2)[0] == 200)
    return base, proc


# What Prometheus 2.40-2.47 sends with --enable-feature=native-histograms (tests/native/prometheus_accept.h).
PROMETHEUS_NATIVE_ACCEPT = ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"
                            "application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,"
                            "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")


def check_serves_protobuf(base):
    """The server answers Prometheus' native-histogram Accept header with the delimited protobuf
    exposition, the only one that carries native buckets."""
    status, headers, _ = http(base + "/metrics", headers={"Accept": PROMETHEUS_NATIVE_ACCEPT})
    content_type = headers.get("Content-Type", "")
    check(status == 200 and content_type.startswith("application/vnd.google.protobuf")
          and "io.prometheus.client.MetricFamily" in content_type and "encoding=delimited" in content_type,
          f"{base}/metrics answers Prometheus' native-histogram Accept header with HTTP {status}, "
          f"Content-Type {content_type!r}: not protobuf, so no native histogram can reach Prometheus")


def scrape_config(job, base, rules=None):
    """A Prometheus configuration that scrapes `base`/metrics every second as `job` (and evaluates the
    rule file `rules` every second, if given)."""
    rule_files = f"""  evaluation_interval: 1s
rule_files:
  - {json.dumps(os.path.abspath(rules))}
""" if rules else ""
    return f"""global:
  scrape_interval: 1s
{rule_files}scrape_configs:
  - job_name: {job}
    scrape_interval: 1s
    scrape_timeout: 1s
    metrics_path: /metrics
    static_configs:
      - targets: [{json.dumps(base.removeprefix("http://"))}]
"""


def start_prometheus(procs, prometheus_path, config_text, extra_args=()):
    """Starts Prometheus on a free loopback port with `config_text` as its configuration (a fresh TSDB
    in the test's directory); returns its base URL once /-/ready answers."""
    config = os.path.join(procs.dir, "prometheus.yml")
    with open(config, "w", encoding="utf-8") as f:
        f.write(config_text)
    port = free_port()
    prom = f"http://127.0.0.1:{port}"
    procs.start("prometheus", [
        prometheus_path, f"--config.file={config}", f"--storage.tsdb.path={os.path.join(procs.dir, 'tsdb')}",
        f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=1h", "--log.level=warn",
        *extra_args,
    ])
    wait_until(f"{prom}/-/ready", 20, 0.2, lambda: http(prom + "/-/ready", timeout=2)[0] == 200)
    return prom


def prom_series(prom_base, match, timeout=10):
    """The series Prometheus has stored that match the selector `match` (any time in the last hour)."""
    url = prom_base + "/api/v1/series?" + urllib.parse.urlencode({"match[]": match, "start": time.time() - 3600})
    status, body = http_json(url, timeout=timeout)
    check(status == 200 and body and body.get("status") == "success", f"series {match!r}: HTTP {status}")
    return body["data"]


def prom_query(prom_base, query, timeout=10, at=None):
    """Runs an instant query (now, or at the Unix time `at`); returns the parsed response (fails unless
    status is success)."""
    params = {"query": query} if at is None else {"query": query, "time": f"{at:.3f}"}
    url = prom_base + "/api/v1/query?" + urllib.parse.urlencode(params)
    status, body = http_json(url, timeout=timeout)
    check(status == 200 and body and body.get("status") == "success",
          f"query {query!r}: HTTP {status}, {json.dumps(body)[:400] if body else 'no body'}")
    return body["data"]


def run_test(main):
    """Runs main(procs) and exits 0, or prints the failure (and every process log) and exits 1."""
    install_signal_handlers()
    with Processes() as procs:
        try:
            main(procs)
            procs.stop_all_cleanly()
        except TestFailure as e:
            log(f"FAIL: {e}")
            procs.dump_logs()
            sys.exit(1)
        except SystemExit:
            procs.dump_logs()
            raise
    log("PASS")
    sys.exit(0)
