"""Hold connections to discod, for tests/lab/check_limits.sh: connect N
times to the socket given first, send a status request on each, count the
replies (ok, or the refusal's message), print the counts as JSON, then keep
every connection open for the seconds given third."""
import json
import socket
import sys
import time

path, n, hold = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
conns, counts = [], {}
for _ in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    try:
        s.connect(path)
        try:
            s.sendall(b'{"verb":"status"}\n')
        except BrokenPipeError:
            pass  # refused already: its reason is waiting to be read
        line = s.makefile("rb").readline()
        reply = json.loads(line) if line else {"error": {"message": "closed"}}
    except OSError as e:
        reply = {"error": {"message": "connect: " + e.strerror}}
    key = "ok" if reply.get("ok") else reply["error"]["message"]
    counts[key] = counts.get(key, 0) + 1
    conns.append(s)
print(json.dumps(counts), flush=True)
time.sleep(hold)
