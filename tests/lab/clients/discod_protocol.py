#!/usr/bin/env python3
"""Protocol v1 against a live discod: bad input gets a clear error, and a
second client is served throughout.  Prints TAP test points without a plan
(the calling script adds its own and the plan).  Usage: discod_protocol.py
SOCKET."""

import json
import os
import socket
import sys
import time

SOCK = sys.argv[1]
n = 0
failed = 0


def ok(cond, what):
    global n, failed
    n += 1
    if not cond:
        failed += 1
    print(("ok" if cond else "not ok") + " %d - %s" % (n, what), flush=True)


class Client:
    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(5)
        self.s.connect(SOCK)
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, obj):
        self.send(json.dumps(obj).encode() + b"\n")
        return self.line()

    def raw(self, data):
        self.send(data + b"\n")
        return self.line()

    def closed(self):
        """True once the peer has closed (EOF or reset), within 5 s."""
        try:
            while True:
                chunk = self.s.recv(65536)
                if not chunk:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False

    def close(self):
        self.s.close()


def err(reply):
    return reply.get("error", {})


def served(c2):
    r = c2.call({"verb": "hello", "id": "c2"})
    return r.get("ok") is True and r.get("id") == "c2"


c2 = Client()
ok(served(c2), "second client says hello")
r = c2.call({"verb": "hello"})
ok(r.get("protocol") == 1 and r.get("agent") == "discod",
   "hello names the agent and protocol 1")

c1 = Client()
r = c1.raw(b"garbage")
ok(r["ok"] is False and err(r)["code"] == "bad-request" and r["id"] is None,
   "garbage: bad-request, id null")
ok("not valid JSON" in err(r)["message"], "garbage: message says why")
r = c1.raw(b'{"verb":"h\xc3\x28llo","id":1}')
ok(err(r).get("code") == "bad-request" and "UTF-8" in err(r)["message"],
   "invalid UTF-8: bad-request naming UTF-8")
r = c1.raw(b"[1,2]")
ok(err(r).get("code") == "bad-request" and "array" in err(r)["message"],
   "a JSON array: bad-request naming the type")
r = c1.call({"verb": "frobnicate", "id": 7})
ok(err(r).get("code") == "unknown-verb" and r["id"] == 7 and
   err(r).get("field") == "verb", "unknown verb: unknown-verb, id echoed")
r = c1.call({"id": "m"})
ok(err(r).get("code") == "bad-field" and err(r).get("field") == "verb" and
   r["id"] == "m", "missing verb: bad-field naming verb")
r = c1.call({"verb": 12})
ok(err(r).get("code") == "bad-field" and "must be a string" in
   err(r)["message"], "mistyped verb: bad-field naming the type")
r = c1.call({"verb": "hello", "id": {"x": 1}})
ok(err(r).get("field") == "id", "an object as id: bad-field naming id")
ok(served(c2), "second client still served after bad input")
c1.send(b"\n")
r = c1.call({"verb": "status", "id": "s"})
ok(r["ok"] is True and r["id"] == "s", "an empty line is ignored")

# Pipelined requests come back in order.
c1.send(b"".join(json.dumps({"verb": "hello", "id": i}).encode() + b"\n"
                 for i in range(50)))
ids = [c1.line()["id"] for _ in range(50)]
ok(ids == list(range(50)), "50 pipelined requests answered in order")

# A 1 MiB line: too-large, then that connection is closed.
c3 = Client()
try:
    c3.send(b"x" * (1 << 20) + b"\n")
except (BrokenPipeError, ConnectionResetError):
    pass
try:
    r = c3.line()
    ok(err(r).get("code") == "too-large", "1 MiB line: too-large error")
except (EOFError, ConnectionResetError) as e:
    ok(False, "1 MiB line: too-large error (%s)" % e)
ok(c3.closed(), "1 MiB line: connection closed")
ok(served(c2), "second client served after the 1 MiB line")

# A line just under the limit is still a request (and a bad one).
r = c1.raw(b'{"verb":"hello","pad":"' + b"p" * 65000 + b'"}')
ok(r["ok"] is True, "a 65 KB request line is accepted")

# A client that sends but never reads: dropped, memory bounded.
rss0 = c2.call({"verb": "status"})["rss_kib"]
c4 = Client()
c4.s.setblocking(False)
req = json.dumps({"verb": "status"}).encode() + b"\n"
blob = req * 2000
sent, dropped = 0, False
deadline = time.monotonic() + 20
while time.monotonic() < deadline and sent < 200000:
    try:
        c4.s.send(blob)
        sent += 2000
    except BlockingIOError:
        time.sleep(0.01)
        if not served(c2):
            break
    except (BrokenPipeError, ConnectionResetError):
        dropped = True
        break
ok(served(c2), "second client served while a client never reads")
if not dropped:
    c4.s.settimeout(5)
    dropped = c4.closed()
ok(dropped, "the client that never reads is dropped (%d requests sent)" % sent)
rss1 = c2.call({"verb": "status"})["rss_kib"]
print("# rss before %d KiB, after %d KiB" % (rss0, rss1))
# AddressSanitizer's quarantine and shadow memory inflate RSS: the
# calling test raises the bound for sanitizer builds.
bound = int(os.environ.get("DISCO_RSS_BOUND_KIB", "16384"))
ok(rss1 - rss0 < bound, "discod's memory stays bounded (+%d KiB, bound %d)"
   % (rss1 - rss0, bound))

# A client that leaves mid-request.
c5 = Client()
c5.send(b'{"verb":"sta')
c5.close()
ok(served(c2), "second client served after a client left mid-request")

# A client that leaves before reading its replies.
c6 = Client()
c6.send(req * 100)
c6.close()
ok(served(c2), "second client served after a client left mid-reply")
# discod notices the departures within a bounded wait.
deadline = time.monotonic() + 5
while True:
    count = c2.call({"verb": "status"})["counts"]["clients"]
    if count == 2 or time.monotonic() > deadline:
        break
    time.sleep(0.05)
ok(count == 2, "only the two live clients are counted (%d)" % count)
sys.exit(1 if failed else 0)
