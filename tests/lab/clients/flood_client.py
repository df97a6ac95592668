"""Many requests on one connection, for tests/lab/browse_limits.sh: send
N request lines made from a template (each "{i}" replaced by the line's
number, each "{pad}" by PAD bytes of "x"), all at once, then read N
replies and print how many were ok and how many failed with each error
code, as JSON; then keep the connection for HOLD seconds (0 by default).
Run as another user under setpriv."""
import json
import socket
import sys
import time

path, n, template = sys.argv[1], int(sys.argv[2]), sys.argv[3]
pad = "x" * (int(sys.argv[4]) if len(sys.argv) > 4 else 0)
hold = float(sys.argv[5]) if len(sys.argv) > 5 else 0
s = socket.socket(socket.AF_UNIX)
s.settimeout(60)
s.connect(path)
f = s.makefile("rb")
lines = [template.replace("{i}", str(i)).replace("{pad}", pad) + "\n"
         for i in range(n)]
s.sendall("".join(lines).encode())
counts = {}
for _ in range(n):
    line = f.readline()
    if not line:
        counts["closed"] = counts.get("closed", 0) + 1
        break
    m = json.loads(line)
    if "event" in m:        # a watch's event, not a reply
        continue
    key = "ok" if m.get("ok") else m["error"]["code"]
    counts[key] = counts.get(key, 0) + 1
print(json.dumps(counts, sort_keys=True), flush=True)
time.sleep(hold)
