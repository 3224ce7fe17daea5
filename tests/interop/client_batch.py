"""Client batches written in Python (docs/wire-format.md), for interop tests that play browsers: version
2 when a histogram carries native buckets. Native bucket indexes are computed here with math.log2, so
callers pick values away from bucket bounds."""

import math
import struct

DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
DEFAULT_ZERO_THRESHOLD = 2.0 ** -128


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


def zigzag(n):
    return varint((n << 1) ^ (n >> 63) if n >= 0 else ((-n) << 1) - 1)


def string(s):
    b = s.encode()
    return varint(len(b)) + b


def native_index(v, schema):
    """The bucket of v > 0 at `schema`: 2^((i-1)/2^schema) < v <= 2^(i/2^schema)."""
    return math.ceil(math.log2(v) * 2 ** schema)


def native_block(values, schema, zero_threshold=DEFAULT_ZERO_THRESHOLD):
    """Schema, threshold, zero count, then positive spans and counts (no negative values here)."""
    zero = sum(1 for v in values if abs(v) <= zero_threshold)
    counts = {}
    for v in values:
        if v > zero_threshold:
            i = native_index(v, schema)
            counts[i] = counts.get(i, 0) + 1
    spans, deltas, previous_end = [], [], None
    for i in sorted(counts):
        if previous_end is not None and i == previous_end:
            spans[-1][1] += 1
        else:
            spans.append([i if previous_end is None else i - previous_end, 1])
        deltas.append(counts[i])
        previous_end = i + 1
    out = struct.pack("<b", schema) + struct.pack("<d", zero_threshold) + varint(zero)
    out += varint(len(spans)) + b"".join(zigzag(o) + varint(n) for o, n in spans) + b"".join(varint(d) for d in deltas)
    return out + varint(0)  # no negative spans


def latency_batch(client_id, sequence, event, values, schema, bounds=DEFAULT_BUCKETS):
    """A version 2 batch of golivekit_client_event_latency_seconds{event} with classic and native buckets."""
    body = bytearray(b"GLKB" + bytes([2, 0]) + client_id + varint(sequence) + varint(0) + varint(1))
    body += string("golivekit_client_event_latency_seconds") + bytes([2]) + varint(1) + string("event")
    body += varint(len(bounds)) + b"".join(struct.pack("<d", b) for b in bounds) + bytes([1])
    body += varint(1) + string(event)
    classic = [0] * (len(bounds) + 1)
    for v in values:
        classic[next((k for k, b in enumerate(bounds) if v <= b), len(bounds))] += 1
    body += b"".join(varint(c) for c in classic)
    body += native_block(values, schema)
    body += struct.pack("<d", sum(values))
    return bytes(body)
