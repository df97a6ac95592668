#!/usr/bin/env python3
"""Measure how fast a's discod drops an instance whose host vanishes.
Usage: stale_measure.py SOCKET NAME TYPE COMMAND...
Waits until NAME resolves, runs COMMAND (which makes its host vanish),
then prints "RESOLVE_MS REMOVE_MS": when resolve stopped returning it,
and when a watcher got its remove event (-1: not within 30 s)."""

import json
import socket
import subprocess
import sys
import time

sock, name, typ, cmd = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]


def conn():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)    # a reply that never comes fails, never hangs
    s.connect(sock)
    return s, s.makefile("rw")


def resolves(f):
    f.write(json.dumps({"verb": "resolve", "name": name, "type": typ}) + "\n")
    f.flush()
    while True:
        r = json.loads(f.readline())
        if "ok" in r:
            return r["ok"]


_, q = conn()
end = time.monotonic() + 20
while not resolves(q):
    if time.monotonic() > end:
        print("-1 -1 (never resolved)")
        sys.exit(1)
    time.sleep(0.1)
ws, w = conn()
w.write(json.dumps({"verb": "watch", "type": typ}) + "\n")
w.flush()
w.readline()
ws.setblocking(False)
buf = b""

t0 = time.monotonic()
subprocess.run(cmd, check=False)
t_resolve = t_remove = -1
while time.monotonic() - t0 < 30 and (t_resolve < 0 or t_remove < 0):
    if t_resolve < 0 and not resolves(q):
        t_resolve = (time.monotonic() - t0) * 1000
    try:
        buf += ws.recv(65536)
    except BlockingIOError:
        pass
    while b"\n" in buf:
        line, buf = buf.split(b"\n", 1)
        e = json.loads(line)
        if t_remove < 0 and e.get("event") == "remove" and \
           e["instance"]["name"] == name:
            t_remove = (time.monotonic() - t0) * 1000
    time.sleep(0.05)
print("%d %d" % (t_resolve, t_remove))
