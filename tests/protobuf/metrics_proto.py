"""Reads the protobuf exposition with the real protobuf library, and the text exposition by hand, so the
tests can compare the two.

`load()` compiles client_model's metrics.proto (Debian: golang-github-prometheus-client-model-dev) with
`protoc --python_out` into a temporary directory and imports the result (Debian: protobuf-compiler,
python3-protobuf). metrics.proto imports google/protobuf/timestamp.proto, which Debian ships only with
libprotobuf-dev: a stand-in with the same message is written beside it. The generated module imports the
real google.protobuf.timestamp_pb2 of the Python package, so the stand-in only satisfies protoc.
"""

import importlib
import math
import os
import re
import subprocess
import sys
import tempfile

METRICS_PROTO = "/usr/share/gocode/src/github.com/prometheus/client_model/io/prometheus/client/metrics.proto"
CONTENT_TYPE = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited"

_TIMESTAMP_STAND_IN = """syntax = "proto3";
package google.protobuf;
message Timestamp {
  int64 seconds = 1;
  int32 nanos = 2;
}
"""

_module = None


def load(proto_path=METRICS_PROTO, protoc="protoc"):
    """The generated metrics_pb2 module (compiled once per process)."""
    global _module
    if _module is not None:
        return _module
    if not os.path.isfile(proto_path):
        raise RuntimeError(f"{proto_path} not found: install golang-github-prometheus-client-model-dev")
    out = tempfile.mkdtemp(prefix="glk-proto-")
    src = os.path.join(out, "src")
    os.makedirs(os.path.join(src, "google", "protobuf"))
    with open(os.path.join(src, "google", "protobuf", "timestamp.proto"), "w", encoding="utf-8") as f:
        f.write(_TIMESTAMP_STAND_IN)
    with open(proto_path, "r", encoding="utf-8") as f:
        proto = f.read()
    with open(os.path.join(src, "metrics.proto"), "w", encoding="utf-8") as f:
        f.write(proto)
    subprocess.run([protoc, f"--proto_path={src}", f"--python_out={out}", "metrics.proto"], check=True)
    sys.path.insert(0, out)
    _module = importlib.import_module("metrics_pb2")
    return _module


def _read_varint(data, pos):
    result = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise ValueError("truncated varint")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, pos
        if shift >= 64:
            raise ValueError("varint too long")


def decode_delimited(data):
    """The MetricFamily messages of a length-delimited stream, in order; fails on trailing garbage."""
    pb2 = load()
    families = []
    pos = 0
    while pos < len(data):
        length, pos = _read_varint(data, pos)
        if pos + length > len(data):
            raise ValueError(f"message of {length} bytes at {pos} runs past the end ({len(data)})")
        family = pb2.MetricFamily()
        family.ParseFromString(bytes(data[pos:pos + length]))
        # The bytes must be exactly what the library itself would write for that message: no unknown
        # fields, nothing our writer spells differently (field order, unpacked repeated fields).
        if family.SerializeToString() != bytes(data[pos:pos + length]):
            raise ValueError(f"family {family.name!r} does not re-encode to the same bytes")
        families.append(family)
        pos += length
    return families


def type_name(pb2, family):
    return {
        pb2.COUNTER: "counter",
        pb2.GAUGE: "gauge",
        pb2.UNTYPED: "untyped",
        pb2.HISTOGRAM: "histogram",
    }.get(family.type, f"type {family.type}")


def native_buckets(span_list, deltas):
    """{bucket index: absolute count} of a side of a native histogram (spans and deltas decoded)."""
    counts = {}
    index = 0
    count = 0
    d = iter(deltas)
    for span in span_list:
        index += span.offset  # the first span's start, then the gap after the previous span
        for _ in range(span.length):
            count += next(d)
            counts[index] = count
            index += 1
    rest = list(d)
    if rest:
        raise ValueError(f"{len(rest)} deltas more than the spans cover")
    return counts


def from_protobuf(families):
    """Families as {name: (type, {labels tuple: value dict})}, the shape `parse_text` gives."""
    pb2 = load()
    out = {}
    for f in families:
        kind = type_name(pb2, f)
        series = {}
        for m in f.metric:
            labels = tuple((l.name, l.value) for l in m.label)
            if kind == "counter":
                v = {"value": m.counter.value}
            elif kind == "gauge":
                v = {"value": m.gauge.value}
            elif kind == "untyped":
                v = {"value": m.untyped.value}
            else:
                h = m.histogram
                buckets = {b.upper_bound: b.cumulative_count for b in h.bucket}
                buckets[math.inf] = h.sample_count  # the text's +Inf bucket, implicit in protobuf
                v = {"count": h.sample_count, "sum": h.sample_sum, "buckets": buckets}
            series[labels] = v
        out[f.name] = (kind, series)
    return out


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _unescape(s):
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), s)


def _float(s):
    return float(s)  # Python reads Go's spellings: +Inf, -Inf, NaN, 1e+06


def parse_text(text):
    """Text 0.0.4 as {family: (type, {labels tuple: value dict})} (labels in written order, `le` apart)."""
    types = {}
    out = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            types[name] = kind
            out[name] = (kind, {})
            continue
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError(f"unparsable sample line {line!r}")
        sample, labels_text, value = m.group(1), m.group(2) or "", _float(m.group(3))
        labels = [(k, _unescape(v)) for k, v in _LABEL.findall(labels_text)]
        family, suffix = sample, None
        for s in ("_bucket", "_sum", "_count"):
            base = sample[: -len(s)]
            if sample.endswith(s) and types.get(base) == "histogram":
                family, suffix = base, s
                break
        if family not in out:
            raise ValueError(f"sample {sample} before its TYPE line")
        kind, series = out[family]
        if suffix is None:
            series[tuple(labels)] = {"value": value}
            continue
        le = None
        if suffix == "_bucket":
            le = _float(dict(labels)["le"])
            labels = [(k, v) for k, v in labels if k != "le"]
        v = series.setdefault(tuple(labels), {"buckets": {}})
        if suffix == "_bucket":
            v["buckets"][le] = int(value)
        elif suffix == "_sum":
            v["sum"] = value
        else:
            v["count"] = int(value)
    return out


def same_value(a, b):
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b
