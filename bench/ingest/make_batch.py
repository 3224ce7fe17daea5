#!/usr/bin/env python3
"""Writes a realistic client batch (docs/wire-format.md, version 1) for the ingest benchmark.

The batch is what the demo server declares (examples/demo_server): golivekit_client_events_total{event}
(counter), golivekit_client_event_latency_seconds{event} (histogram, obs::DefaultBuckets) and
golivekit_client_open_views (gauge), for EVENTS distinct event names: about 10 KB with the default 130.
Client id 00..0f, sequence 1 (a single varint byte at offset 22: ingest.lua rewrites it per request).

usage: make_batch.py OUT [EVENTS]
"""
import random
import struct
import sys

BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def string(s):
    b = s.encode()
    return varint(len(b)) + b


def main():
    out = sys.argv[1]
    events = int(sys.argv[2]) if len(sys.argv) > 2 else 130
    rng = random.Random(7)
    names = [f"phx:{kind}:component-{i:03d}" for i, kind in
             zip(range(events), ["click", "submit", "change", "keyup", "focus"] * events)]
    body = bytearray(b"GLKB" + bytes([1, 0]) + bytes(range(16)) + varint(1) + varint(0) + varint(3))
    # counter
    body += string("golivekit_client_events_total") + bytes([0]) + varint(1) + string("event")
    body += varint(events)
    for n in names:
        body += string(n) + struct.pack("<d", float(rng.randint(1, 20)))
    # histogram
    body += string("golivekit_client_event_latency_seconds") + bytes([2]) + varint(1) + string("event")
    body += varint(len(BOUNDS)) + b"".join(struct.pack("<d", b) for b in BOUNDS)
    body += varint(events)
    for n in names:
        deltas = [rng.choice([0, 0, 1, 2]) for _ in range(len(BOUNDS) + 1)]
        body += string(n) + b"".join(varint(d) for d in deltas) + struct.pack("<d", 0.0625 * sum(deltas))
    # gauge
    body += string("golivekit_client_open_views") + bytes([1]) + varint(0) + varint(1) + struct.pack("<d", 1.0)
    with open(out, "wb") as f:
        f.write(body)
    print(f"{out}: {len(body)} bytes, {events} events x (counter + histogram) + 1 gauge")


if __name__ == "__main__":
    main()
