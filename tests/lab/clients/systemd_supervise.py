#!/usr/bin/env python3
"""Stand in for systemd around one discod: pass it a listening socket
(LISTEN_FDS), collect its sd_notify datagrams (NOTIFY_SOCKET) with the
watchdog on (WATCHDOG_USEC), talk to it through the passed socket, stop
it with SIGTERM.  Prints what it saw as KEY=VALUE lines for the shell test.
Usage: systemd_supervise.py DISCOD CONF SOCKET NOTIFY_SOCKET"""

import json
import os
import signal
import socket
import sys
import time

discod, conf, sock_path, notify_path = sys.argv[1:5]

notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
notify.bind(notify_path)
notify.settimeout(0.2)
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(sock_path)
listener.listen(16)

pid = os.fork()
if pid == 0:
    os.dup2(listener.fileno(), 3)
    os.set_inheritable(3, True)
    env = dict(os.environ, LISTEN_FDS="1", LISTEN_PID=str(os.getpid()),
               NOTIFY_SOCKET=notify_path, WATCHDOG_USEC="400000",
               WATCHDOG_PID=str(os.getpid()))
    # A socket path that nobody listens on: only the passed fd can work.
    os.execve(discod, [discod, "-d", "-f", conf, "-s",
                       sock_path + ".unused"], env)
listener.close()

messages = []


def drain(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            messages.append(notify.recv(4096).decode())
        except socket.timeout:
            pass


def seen(prefix):
    return any(line.startswith(prefix) for m in messages
               for line in m.split("\n"))


drain(0.1)
end = time.monotonic() + 10
while not seen("READY=1") and time.monotonic() < end:
    drain(0.2)
print("ready=%d" % seen("READY=1"))
reply = {}
try:
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(5)
    c.connect(sock_path)
    c.sendall(b'{"verb":"hello","id":"sa"}\n')
    reply = json.loads(c.makefile().readline())
    c.close()
except OSError as e:
    print("# connect: %s" % e)
print("activated_reply=%d" % (reply.get("id") == "sa" and reply.get("ok")))
print("unused_socket_absent=%d" % (not os.path.exists(sock_path + ".unused")))
before = sum(m.count("WATCHDOG=1") for m in messages)
drain(1.5)
pings = sum(m.count("WATCHDOG=1") for m in messages) - before
print("watchdog_pings=%d" % pings)
print("status_running=%d" % any("STATUS=avahi running" in m for m in messages))
os.kill(pid, signal.SIGTERM)
# Reaped within 10 s, or killed: a discod that ignores SIGTERM fails the
# test (exit=timeout), never hangs it.
end = time.monotonic() + 10
status = None
while status is None and time.monotonic() < end:
    done, st = os.waitpid(pid, os.WNOHANG)
    if done == pid:
        status = st
    else:
        time.sleep(0.05)
if status is None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
drain(0.3)
print("stopping=%d" % seen("STOPPING=1"))
print("exit=%s" % ("timeout" if status is None else
                   os.waitstatus_to_exitcode(status)))
print("activated_socket_kept=%d" % os.path.exists(sock_path))
for m in messages:
    print("# notify: %s" % m.replace("\n", " | "))
