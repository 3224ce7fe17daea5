"""Prints, as JSON, the native buckets of one histogram family in a protobuf scrape of `base`/metrics:
{label values joined by ",": {"schema", "zero_threshold", "zero_count", "count", "sum",
"positive": {index: count}, "negative": {index: count}}} (buckets of count 0 left out). For npm.native_node, which has no protobuf
decoder of its own: the real protobuf library against Debian's metrics.proto (tests/protobuf/).

Usage: python3 native_scrape.py <base URL> <family name>
"""

import json
import os
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "protobuf"))
import metrics_proto  # noqa: E402


def nonzero(buckets):
    return {str(i): n for i, n in buckets.items() if n}


def main():
    base, name = sys.argv[1], sys.argv[2]
    request = urllib.request.Request(base + "/metrics", headers={"Accept": metrics_proto.CONTENT_TYPE})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    out = {}
    for family in metrics_proto.decode_delimited(body):
        if family.name != name:
            continue
        for m in family.metric:
            h = m.histogram
            key = ",".join(label.value for label in m.label)
            out[key] = {
                "schema": h.schema,
                "zero_threshold": h.zero_threshold,
                "zero_count": h.zero_count,
                "count": h.sample_count,
                "sum": h.sample_sum,
                "positive": nonzero(metrics_proto.native_buckets(h.positive_span, h.positive_delta)),
                "negative": nonzero(metrics_proto.native_buckets(h.negative_span, h.negative_delta)),
            }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
