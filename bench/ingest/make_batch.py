#!/usr/bin/env python3
"""Writes a realistic client batch (docs/wire-format.md, version 2) for the ingest benchmark.

The batch is what the demo server declares (examples/demo_server): golivekit_client_events_total{event}
(counter), golivekit_client_event_latency_seconds{event} (histogram, obs::DefaultBuckets and native
buckets of schema 3) and golivekit_client_open_views (gauge), for EVENTS distinct event names: about
14 KB with the default 130. The batch writer is the interop tests' (tests/interop/client_batch.py).
Client id 00..0f, sequence 1 (a single varint byte at offset 22: ingest.lua rewrites it per request).

usage: make_batch.py OUT [EVENTS]
"""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "interop"))
from client_batch import DEFAULT_BUCKETS as BOUNDS, native_block, string, varint  # noqa: E402


def main():
    out = sys.argv[1]
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 130
    rng = random.Random(7)
    names = [f"phx:{kind}:component-{i:03d}" for i, kind in
             zip(range(events), ["click", "submit", "change", "keyup", "focus"] * events)]
    body = bytearray(b"GLKB" + bytes([2, 0]) + bytes(range(16)) + varint(1) + varint(0) + varint(3))
    # counter
    body += string("golivekit_client_events_total") + bytes([0]) + varint(1) + string("event")
    body += varint(events)
    for n in names:
        body += string(n) + struct.pack("<d", float(rng.randint(1, 20)))
    # histogram
    body += string("golivekit_client_event_latency_seconds") + bytes([2]) + varint(1) + string("event")
    body += varint(len(BOUNDS)) + b"".join(struct.pack("<d", b) for b in BOUNDS) + bytes([1])  # native
    body += varint(events)
    for n in names:
        values = [0.001 * 2 ** rng.uniform(0, 12) for _ in range(rng.randint(1, 12))]
        deltas = [0] * (len(BOUNDS) + 1)
        for v in values:
            deltas[next((k for k, b in enumerate(BOUNDS) if v <= b), len(BOUNDS))] += 1
        body += string(n) + b"".join(varint(d) for d in deltas) + native_block(values, 3)
        body += struct.pack("<d", sum(values))
    # gauge
    body += string("golivekit_client_open_views") + bytes([1]) + varint(0) + varint(1) + struct.pack("<d", 1.0)
    with open(out, "wb") as f:
        f.write(body)
    print(f"{out}: {len(body)} bytes, {events} events x (counter + histogram) + 1 gauge")


if __name__ == "__main__":
    main()
