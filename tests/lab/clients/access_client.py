"""A protocol client for tests/lab/access.sh, run under setpriv as another
user: connect to the socket given first, send each further argument as a
request line, print each reply line.  Exit 2 when the connection is
refused (for example: no permission on the socket)."""
import socket
import sys

s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect:", e.strerror)
    sys.exit(2)
buf = b""
for req in sys.argv[2:]:
    s.sendall(req.encode() + b"\n")
    while b"\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            sys.exit(1)
        buf += chunk
    line, buf = buf.split(b"\n", 1)
    print(line.decode())
