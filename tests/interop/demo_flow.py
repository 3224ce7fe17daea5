#!/usr/bin/env python3
"""Interop: the demo server's LiveView flow over HTTP moves the built-in metrics exactly as documented.

Starts demo_server without simulated users (so every count is exact) and a short join timeout, then
drives two views through the HTTP routes the demo page uses, applying every diff as the page does, and
checks after each step the page's HTML and the values in /metrics: connections (success, error,
timeout), active connections, presence, component instances, messages and their sizes, events and
errors, PubSub published/delivered, render and diff observations. Finally it stops the server with
SIGTERM while a long-poll is waiting: the poll is answered with "closed", the server exits with 0.

usage: demo_flow.py --demo PATH
"""

import argparse
import json
import re
import signal
import threading
import time

from interop_util import check, http, http_json, log, run_test, start_demo, wait_until

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)$')


def scrape(base):
    status, _, body = http(base + "/metrics", headers={"Accept": "text/plain"})
    check(status == 200, f"/metrics: HTTP {status}")
    out = {}
    for line in body.decode().splitlines():
        m = SAMPLE.match(line)
        if m:
            labels = tuple(sorted(re.findall(r'(\w+)="([^"]*)"', m.group(2) or "")))
            out[(m.group(1), labels)] = float(m.group(3))
    return out


def value(metrics, name, **labels):
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


class View:
    """One client, as the demo page: keeps the last HTML of each component and applies diffs."""

    def __init__(self, base, name, room="lobby"):
        self.base, self.name, self.room = base, name, room
        self.html = {}
        self.sent_bytes = 0

    def connect(self):
        status, body = http_json(f"{self.base}/live/connect?room={self.room}&name={self.name}")
        check(status == 200, f"{self.name}: connect: {status} {body}")
        self.session = body["session"]
        check(body["user"] == self.name and body["room"] == self.room, f"connect reply: {body}")

    def post(self, path, message):
        data = json.dumps(message).encode()
        self.sent_bytes += len(data)
        status, body = http_json(f"{self.base}{path}", method="POST", data=data)
        return status, body

    def apply(self, reply):
        kinds = []
        for m in reply["messages"]:
            kinds.append(m["kind"])
            if m["kind"] == "render":
                self.html.update(m["components"])
            elif m["kind"] == "diff":
                prev = self.html[m["component"]]
                self.html[m["component"]] = prev[:m["p"]] + m["i"] + prev[len(prev) - m["s"]:]
        return kinds

    def join(self):
        status, body = self.post(f"/live/join?session={self.session}", {"kind": "join", "component": "counter"})
        check(status == 200, f"{self.name}: join: {status} {body}")
        check(self.apply(body) == ["render"], f"{self.name}: join reply: {body}")

    def event(self, type_, expect_status=200):
        status, body = self.post(f"/live/event?session={self.session}&type={type_}",
                                 {"kind": "event", "type": type_, "component": "counter"})
        check(status == expect_status, f"{self.name}: event {type_}: HTTP {status}, expected {expect_status}: {body}")
        return self.apply(body)

    def poll(self, wait=0):
        status, body = http_json(f"{self.base}/live/poll?session={self.session}&wait={wait}", timeout=wait + 10)
        check(status == 200, f"{self.name}: poll: {status} {body}")
        return self.apply(body), body["closed"]

    def counter_value(self):
        m = re.search(r'<span class="value">(-?\d+)</span>', self.html["counter"])
        check(m, f"{self.name}: no counter value in {self.html['counter']!r}")
        return int(m.group(1))


def expect(metrics, name, want, **labels):
    got = value(metrics, name, **labels)
    check(got == want, f"{name}{labels}: {got}, expected {want}")


def main(procs):
    args = PARSER.parse_args()
    base, proc = start_demo(procs, args.demo,
                            ["--sim-users", "0", "--join-timeout-ms", "2000", "--web-root", "/nonexistent/demo-web"])

    # The page: HTML, nothing loaded from elsewhere. Its web app (examples/demo_server/web) is bundled by
    # scripts/build-demo-web.sh and tested in Chromium by npm.demo_chromium; without it (the web root
    # here does not exist) / says how to build it.
    status, headers, page = http(base + "/")
    page = page.decode()
    check(status == 200 and headers.get("Content-Type", "").startswith("text/html"), f"GET /: {status} {headers}")
    check("make demo" in page, "GET / without a web app does not say how to build it")
    check(not re.search(r'(src|href)\s*=\s*"(https?:)?//', page), "page loads an external resource")

    m = scrape(base)
    check(value(m, "golivekit_active_connections") == 0, "connections before any client")

    alice, bob = View(base, "alice"), View(base, "bob")
    alice.connect()
    m = scrape(base)
    expect(m, "golivekit_active_connections", 1)  # open, not joined yet
    alice.join()
    check(alice.counter_value() == 0 and "alice" in alice.html["presence"], f"alice's first render: {alice.html}")
    bob.connect()
    bob.join()
    check("alice" in bob.html["presence"] and "bob" in bob.html["presence"], f"bob's render: {bob.html}")
    kinds, _ = alice.poll()
    check(kinds == ["diff"] and "bob" in alice.html["presence"] and "2 users online" in alice.html["presence"],
          f"alice did not get bob's presence as a diff: {kinds} {alice.html['presence']!r}")

    m = scrape(base)
    expect(m, "golivekit_connections_total", 2, status="success")
    expect(m, "golivekit_active_connections", 2)
    expect(m, "golivekit_presence_count", 2)
    expect(m, "golivekit_component_instances", 2, component="counter")
    expect(m, "golivekit_component_instances", 2, component="presence")

    # An event: alice's reply carries her diff, bob gets his through a long-poll.
    check(alice.event("inc") == ["diff"] and alice.counter_value() == 1, f"alice after inc: {alice.html}")
    kinds, _ = bob.poll(wait=5)
    check(kinds == ["diff"] and bob.counter_value() == 1, f"bob after alice's inc: {kinds} {bob.html}")
    check("last: inc by alice" in bob.html["counter"], f"bob's counter: {bob.html['counter']!r}")
    alice.event("inc")
    alice.event("dec")
    alice.event("save")
    bob.poll()
    check(alice.counter_value() == 1 and bob.counter_value() == 1 and "saved value: 1" in bob.html["counter"],
          f"after inc, inc, dec, save: alice {alice.html} bob {bob.html}")
    check(alice.html == bob.html, "the two views differ after applying their diffs")

    # Failing events: a handler that raises, an unknown type.
    check(alice.event("boom", expect_status=500) == ["error"], "boom: no error message")
    check(alice.event("zzz", expect_status=400) == ["error"], "unknown event: no error message")
    check(alice.counter_value() == 1, "a failed event changed the state")

    m = scrape(base)
    expect(m, "golivekit_event_latency_seconds_count", 2, event_type="inc")
    expect(m, "golivekit_event_latency_seconds_count", 1, event_type="save")
    expect(m, "golivekit_event_latency_seconds_count", 1, event_type="boom")
    expect(m, "golivekit_event_latency_seconds_count", 1, event_type="unknown")
    check(value(m, "golivekit_event_latency_seconds_sum", event_type="save") >= 0.002, "save: no simulated I/O time")
    expect(m, "golivekit_errors_total", 1, type="event_handler")
    expect(m, "golivekit_errors_total", 1, type="unknown_event")
    # Joins publish presence (alice: 1 delivery, bob: 2), each of the 4 successful events 2 deliveries.
    expect(m, "golivekit_pubsub_messages_total", 6, direction="published")
    expect(m, "golivekit_pubsub_messages_total", 11, direction="delivered")
    expect(m, "golivekit_messages_total", 2, direction="inbound", type="join")
    expect(m, "golivekit_messages_total", 6, direction="inbound", type="event")
    expect(m, "golivekit_message_size_bytes_sum", alice.sent_bytes + bob.sent_bytes, direction="inbound")
    expect(m, "golivekit_message_size_bytes_count", 8, direction="inbound")
    expect(m, "golivekit_messages_total", 2, direction="outbound", type="render")
    expect(m, "golivekit_messages_total", 2, direction="outbound", type="error")
    # Diffs: alice got bob's presence + 4 counter diffs, bob 4 counter diffs.
    expect(m, "golivekit_messages_total", 9, direction="outbound", type="diff")
    expect(m, "golivekit_diff_size_bytes_count", 9)
    expect(m, "golivekit_diff_latency_seconds_count", 9)
    diff_bytes = value(m, "golivekit_diff_size_bytes_sum")
    check(0 < diff_bytes < value(m, "golivekit_message_size_bytes_sum", direction="outbound"), f"diff bytes {diff_bytes}")
    # Renders: 2 components per join + a presence re-render per presence delivery + a counter one per event delivery.
    expect(m, "golivekit_render_latency_seconds_count", 2 + 8, component="counter")
    expect(m, "golivekit_render_latency_seconds_count", 2 + 3, component="presence")

    # A connection that never joins times out; a bad room is rejected.
    carol = View(base, "carol")
    carol.connect()
    wait_until("carol's connection to time out", 10, 0.1,
               lambda: value(scrape(base), "golivekit_connections_total", status="timeout") == 1)
    status, _ = http_json(f"{base}/live/connect?room=Not%20A%20Room")
    check(status == 400, f"bad room: HTTP {status}")
    m = scrape(base)
    expect(m, "golivekit_connections_total", 1, status="error")
    expect(m, "golivekit_active_connections", 2)

    # Bob leaves: everything he held is released, alice sees it.
    status, _ = bob.post(f"/live/disconnect?session={bob.session}", {"kind": "leave"})
    check(status == 200, f"disconnect: {status}")
    kinds, _ = alice.poll(wait=5)
    check(kinds == ["diff"] and "1 user online" in alice.html["presence"], f"alice after bob left: {alice.html}")
    m = scrape(base)
    expect(m, "golivekit_active_connections", 1)
    expect(m, "golivekit_presence_count", 1)
    expect(m, "golivekit_component_instances", 1, component="counter")
    status, body = bob.post(f"/live/event?session={bob.session}&type=inc", {"kind": "event", "type": "inc"})
    check(status == 404 and body["error"] == "session_not_found", f"event after leaving: {status} {body}")

    # SIGTERM with a long-poll waiting: it is answered (closed), and the server exits cleanly.
    result = {}
    poller = threading.Thread(target=lambda: result.update(zip(("kinds", "closed"), alice.poll(wait=20))))
    poller.start()
    time.sleep(0.5)  # let the poll reach the server and wait there
    proc.send_signal(signal.SIGTERM)
    poller.join(timeout=10)
    check(not poller.is_alive() and result.get("closed") is True, f"long-poll at shutdown: {result}")
    rc = proc.wait(timeout=10)
    check(rc == 0, f"demo_server exit status after SIGTERM: {rc}")
    log("SIGTERM: long-poll answered with closed, exit status 0")


PARSER = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
PARSER.add_argument("--demo", required=True)

if __name__ == "__main__":
    run_test(main)
