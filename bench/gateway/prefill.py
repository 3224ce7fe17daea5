#!/usr/bin/env python3
"""Makes a server hold N clients' state: N one-batch clients (a counter increment each, client ids that
no benchmark run uses), posted over one keep-alive connection. usage: prefill.py HOST:PORT N"""
import http.client
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "interop"))
from client_batch import string, varint  # noqa: E402


def batch(n):
    client = b"\xfe" + n.to_bytes(15, "big")
    body = bytearray(b"GLKB" + bytes([2, 0]) + client + varint(1) + varint(0) + varint(1))
    body += string("golivekit_client_events_total") + bytes([0]) + varint(1) + string("event")
    body += varint(1) + string("prefill") + struct.pack("<d", 1.0)
    return bytes(body)


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    n = int(sys.argv[2])
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    headers = {"Content-Type": "application/vnd.golivekit.metrics-batch"}
    for i in range(n):
        conn.request("POST", "/metrics/ingest", body=batch(i), headers=headers)
        res = conn.getresponse()
        body = res.read()
        if res.status != 200:
            sys.exit(f"prefill: client {i}: HTTP {res.status} {body[:200]!r}")
    print(f"prefill: {n} clients applied")


if __name__ == "__main__":
    main()
