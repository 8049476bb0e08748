#!/usr/bin/env python3
"""Follows /ws/tracking/TASK and prints, per tracking_update, the delay between the frame's timestamp and
its arrival (milliseconds), then p50/p99. Standard library only (no websocket package is mirrored): an
RFC 6455 client handshake and unmasked server frames are all it needs.

    ws_latency.py PORT TASK TOKEN COUNT
"""
import base64, json, os, socket, statistics, sys, time
from datetime import datetime

port, task, token, count = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
s = socket.create_connection(("127.0.0.1", port))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall((f"GET /ws/tracking/{task} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n").encode())
buf = b""
while b"\r\n\r\n" not in buf:
    buf += s.recv(4096)
head, buf = buf.split(b"\r\n\r\n", 1)
if b" 101 " not in head.split(b"\r\n")[0]:
    sys.exit(f"ws_latency: no upgrade: {head[:200]!r}")

def need(n):
    global buf
    while len(buf) < n:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit("ws_latency: the server closed the connection")
        buf += chunk

def frame():
    global buf
    need(2)
    op, length = buf[0] & 0x0F, buf[1] & 0x7F
    at = 2
    if length == 126:
        need(4); length = int.from_bytes(buf[2:4], "big"); at = 4
    elif length == 127:
        need(10); length = int.from_bytes(buf[2:10], "big"); at = 10
    need(at + length)
    data, buf = buf[at:at + length], buf[at + length:]
    return op, data

delays = []
while len(delays) < count:
    op, data = frame()
    if op == 8:
        sys.exit(f"ws_latency: closed: {data!r}")
    if op != 1:
        continue
    arrived = time.time()
    message = json.loads(data)
    if message.get("type") != "tracking_update":
        continue
    stamp = datetime.fromisoformat(message["payload"]["timestamp"].replace("Z", "+00:00")).timestamp()
    delays.append((arrived - stamp) * 1000)
delays.sort()
p = lambda q: delays[min(len(delays) - 1, int(q * len(delays)))]
print(f"{len(delays)} updates: p50 {p(0.5):.0f} ms, p99 {p(0.99):.0f} ms, max {delays[-1]:.0f} ms, mean {statistics.mean(delays):.0f} ms")
