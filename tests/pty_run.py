#!/usr/bin/env python3
"""Run a command on a pseudo-terminal and print what it wrote there.

Usage: pty_run.py COMMAND [ARG...], in the caller's environment: how
the tests see what discoctl shows a terminal (colors, TERM, NO_COLOR).
"""
import os
import pty
import sys

pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out = b""
while True:
    try:
        b = os.read(fd, 4096)
    except OSError:         # EIO: the command has closed the terminal
        break
    if not b:
        break
    out += b
os.waitpid(pid, 0)
sys.stdout.write(out.decode("utf-8", "replace"))
