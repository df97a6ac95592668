"""Clients for tests/lab/faults.sh.  Every wait is bounded.

  query SOCK SECONDS NAME TYPE   resolve NAME every 50 ms on one connection
                                 until SECONDS pass or SIGTERM; print
                                 {"sent","ok","not_found","other",
                                 "dropped"} at the end
  hold SOCK NAME TYPE PORT       register (tied to this connection), print
                                 the registration id, then hold until
                                 it is stopped
  watchers SOCK N TYPE NAME SECS open N watchers of TYPE; print "ready"
                                 once all have their snapshot, then count
                                 those that see NAME added within SECS
  many SOCK N SECS               N connections each saying hello; print
                                 how many were answered within SECS, then
                                 hold them until stopped
  abrupt SOCK N                  N clients that vanish mid-request or
                                 mid-reply, and one that never reads a
                                 watch stream
"""
import json
import resource
import selectors
import signal
import socket
import sys
import time


def connect(path, timeout=10):
    """Connect; a full listen queue (EAGAIN) is waited out, within
    timeout, as any client would."""
    end = time.time() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(timeout)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.time() > end:
                raise
            time.sleep(0.01)


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(max(soft, n), hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


class Lines:
    def __init__(self, s):
        self.s, self.buf = s, b""

    def next(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def reply(self):
        """The next reply, skipping events."""
        while True:
            m = self.next()
            if "ok" in m:
                return m


def query(path, seconds, name, typ):
    res = {"sent": 0, "ok": 0, "not_found": 0, "other": 0, "dropped": False}
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    try:
        s = connect(path)
        rd = Lines(s)
        end = time.time() + float(seconds)
        req = json.dumps({"verb": "resolve", "name": name, "type": typ})
        while time.time() < end and not stop:
            s.sendall(req.encode() + b"\n")
            res["sent"] += 1
            r = rd.reply()
            if r["ok"]:
                res["ok"] += 1
            elif r["error"]["code"] == "not-found":
                res["not_found"] += 1
            else:
                res["other"] += 1
            time.sleep(0.05)
    except (OSError, ConnectionError, ValueError):
        res["dropped"] = True
    print(json.dumps(res), flush=True)


def hold(path, name, typ, port):
    s = connect(path)
    rd = Lines(s)
    s.sendall(json.dumps({"verb": "register", "name": name, "type": typ,
                          "port": int(port)}).encode() + b"\n")
    r = rd.reply()
    print(r["registration"]["id"] if r["ok"] else json.dumps(r), flush=True)
    time.sleep(600)  # until stopped by PID


def watchers(path, n, typ, name, secs):
    n = int(n)
    raise_nofile(n + 64)
    sel = selectors.DefaultSelector()
    conns = []
    req = json.dumps({"verb": "watch", "type": typ}).encode() + b"\n"
    for _ in range(n):
        s = connect(path)
        s.sendall(req)
        conns.append(s)
    bufs = {}
    for s in conns:
        s.settimeout(30)
        rd = Lines(s)
        if not rd.reply()["ok"]:
            print("watch refused", flush=True)
            return
        bufs[s] = rd.buf
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    print("ready", flush=True)
    seen = set()
    needle = ('"name":"%s"' % name).encode()
    end = time.time() + float(secs)
    while len(seen) < n and time.time() < end:
        for key, _ in sel.select(timeout=0.5):
            s = key.fileobj
            try:
                chunk = s.recv(65536)
            except BlockingIOError:
                continue
            bufs[s] += chunk
            for line in bufs[s].split(b"\n"):
                if b'"event":"add"' in line and needle in line:
                    seen.add(s)
            bufs[s] = bufs[s].rsplit(b"\n", 1)[-1]
    print("seen %d of %d" % (len(seen), n), flush=True)


def many(path, n, secs):
    n = int(n)
    raise_nofile(n + 64)
    conns = []
    for _ in range(n):
        s = connect(path, timeout=float(secs))
        s.sendall(b'{"verb":"hello"}\n')
        conns.append(s)
    answered = 0
    end = time.time() + float(secs)
    for s in conns:
        s.settimeout(max(0.01, end - time.time()))
        try:
            if s.recv(4096):
                answered += 1
        except OSError:
            pass
    print("answered %d of %d" % (answered, n), flush=True)
    time.sleep(600)  # until stopped by PID


def abrupt(path, n):
    for i in range(int(n)):
        s = connect(path)
        if i % 3 == 0:      # half a request, then gone
            s.sendall(b'{"verb":"resolve","name":"x')
        elif i % 3 == 1:    # a request whose reply it never reads
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
            s.sendall(b'{"verb":"list"}\n{"verb":"status"}\n' * 20)
        else:               # a waiting request, then gone
            s.sendall(b'{"verb":"resolve","name":"never","type":"_none._tcp",'
                      b'"wait_ms":5000}\n')
        s.close()
    # A watcher that never reads, with a tiny buffer: dropped once its
    # queue passes client-output-max, without harm to the others.
    s = connect(path)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    s.sendall(b'{"verb":"watch"}\n')
    print("slow watcher connected", flush=True)
    time.sleep(600)  # until stopped by PID


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"query": query, "hold": hold, "watchers": watchers, "many": many,
     "abrupt": abrupt}[cmd](*args)
