"""Clients for tests/lab/avahi_hang.sh: each reply timed, every wait
bounded.

  register SOCK TYPE PORT NAME...  register each NAME on one connection,
                                   one after the other; print "reply NAME
                                   MS STATE" for each (STATE: the
                                   registration's state, or the error's
                                   code), then "holding", and keep the
                                   connection, and so the registrations,
                                   until stopped (600 s at most).  A NAME
                                   given as -NAME is registered and at
                                   once unregistered ("dropped NAME MS
                                   OK"): it must never reach the network
  status SOCK                      one status request; print "MS
                                   RESPONSIVE STALLED_MS STALLS QUEUED"
                                   from its avahi object ("-" for a field
                                   it lacks; "timeout" for MS when no
                                   reply came within 5 s)
"""
import json
import socket
import sys
import time


class Lines:
    def __init__(self, s):
        self.s, self.buf = s, b""

    def reply(self):
        """The next reply, skipping events (lines without "ok")."""
        while True:
            while b"\n" not in self.buf:
                chunk = self.s.recv(65536)
                if not chunk:
                    raise ConnectionError("closed")
                self.buf += chunk
            line, self.buf = self.buf.split(b"\n", 1)
            m = json.loads(line)
            if "ok" in m:
                return m


def call(s, rd, obj):
    """Send obj and wait for its reply: (milliseconds, reply)."""
    t0 = time.monotonic()
    s.sendall(json.dumps(obj).encode() + b"\n")
    r = rd.reply()
    return (time.monotonic() - t0) * 1000, r


def register(path, typ, port, names):
    s = socket.socket(socket.AF_UNIX)
    # Longer than avahi-client's 25 s D-Bus timeout: a discod that waits
    # on it shows up as a slow reply, not as this client giving up.
    s.settimeout(60)
    s.connect(path)
    rd = Lines(s)
    for name in names:
        drop = name.startswith("-")
        name = name.lstrip("-")
        ms, r = call(s, rd, {"verb": "register", "name": name, "type": typ,
                             "port": int(port)})
        if r.get("ok"):
            state = r.get("registration", {}).get("state", "-")
        else:
            state = r.get("error", {}).get("code", "-")
        if not drop:
            print("reply %s %.1f %s" % (name, ms, state), flush=True)
            continue
        ms, r = call(s, rd, {"verb": "unregister", "registration":
                             r.get("registration", {}).get("id", 0)})
        print("dropped %s %.1f %s" % (name, ms, r.get("ok")), flush=True)
    print("holding", flush=True)
    time.sleep(600)


def status(path):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(path)
    try:
        ms, r = call(s, Lines(s), {"verb": "status"})
    except socket.timeout:
        print("timeout - - - -")
        return
    av = r.get("avahi", {})
    fields = [av.get(k) for k in ("responsive", "stalled_ms", "stalls",
                                  "queued")]
    print("%.1f %s" % (ms, " ".join("-" if v is None else json.dumps(v)
                                    for v in fields)))


if sys.argv[1] == "register":
    register(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
elif sys.argv[1] == "status":
    status(sys.argv[2])
else:
    sys.exit("usage: hang_client.py register|status SOCK ...")
