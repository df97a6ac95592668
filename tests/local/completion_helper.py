#!/usr/bin/env python3
"""Helpers of tests/local/completion.sh, stdlib only.

completion_helper.py agent SOCKET HANG_SOCKET MARK
    A stand-in agent on SOCKET that answers "types", "list" and
    "services" as doc/protocol.md says (without Avahi a real discod
    knows no instance), with instance names that a shell must quote:
    spaces, quotes, a backslash, non-ASCII, and one that would run
    "touch MARK" if anything evaluated it; and "name" fields that are
    not an instance's (the reply's own, an address's, one in a TXT
    string), which are no names to offer.  On HANG_SOCKET it takes
    connections and requests and never answers.  It ends itself after
    five minutes, should nobody stop it.

completion_helper.py type SCRIPT LINE...
    An interactive bash in a pseudo-terminal that sources SCRIPT and
    types each LINE (TABs in it press the key), then runs the line with
    printf in place of its command: what readline inserted, as the shell
    parses it.  Prints the last word of each line, each ending in a NUL.
"""
import json
import os
import pty
import select
import signal
import socket
import sys
import threading
import time


def agent(path, hang_path, mark):
    signal.alarm(300)
    hostile = "$(touch %s)\n`touch %s`" % (mark, mark)
    instances = [
        {"name": "My Web", "type": "_http._tcp", "domain": "local",
         "fullname": "My Web._http._tcp.local", "host": "a.local",
         "port": 8080, "txt": ['"name":"Decoy"', "path=/\\"],
         "addresses": [{"address": "192.0.2.1", "family": "ipv4",
                        "interface": "eth0", "name": "NestedDecoy"}]},
        {"name": 'Printer "2"', "type": "_ipp._tcp", "port": 631,
         "txt": [], "addresses": []},
        {"name": "My Web", "type": "_ipp._tcp", "port": 631},
        {"name": hostile, "type": "_http._tcp", "port": 1},
        {"name": "Back\\", "type": "_http._tcp", "port": 2},
        {"name": "Tick'", "type": "_http._tcp", "port": 3},
        {"name": "Caf\u00e9 SMILE", "type": "_http._tcp", "port": 4},
    ]
    replies = {
        "types": {"ok": True, "types": [
            {"type": "_http._tcp", "instances": 5},
            {"type": "_ipp._tcp", "instances": 2}]},
        "list": {"ok": True, "name": "NotAnInstance",
                 "instances": instances},
        "services": {"ok": True, "services": []},
    }

    def reply(verb):
        r = replies.get(verb, {"ok": False, "error": {
            "code": "unknown-verb", "field": "verb", "message": "no"}})
        line = json.dumps(r, ensure_ascii=False, separators=(",", ":"))
        # discod sends non-ASCII as it is; another agent may send a
        # surrogate pair.
        return (line.replace("SMILE", "\\ud83d\\ude00") + "\n").encode()

    def serve(conn, hang):
        with conn, conn.makefile("rb") as f:
            for raw in f:
                if hang:
                    continue
                try:
                    verb = json.loads(raw).get("verb")
                except ValueError:
                    verb = None
                conn.sendall(reply(verb))

    def listen(p, hang):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(p)
        s.listen(16)
        while True:
            c, _ = s.accept()
            threading.Thread(target=serve, args=(c, hang),
                             daemon=True).start()

    threading.Thread(target=listen, args=(hang_path, True),
                     daemon=True).start()
    listen(path, False)


def type_lines(script, lines):
    env = dict(os.environ, INPUTRC="/dev/null", PS1="$ ", TERM="dumb",
               HISTFILE="", LC_ALL="C.UTF-8")
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe("bash", ["bash", "--norc", "--noprofile", "-i"], env)
    out = b""
    deadline = time.monotonic() + 60

    def read_until(pred):
        nonlocal out
        while not pred() and time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], 0.1)
            if r:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    return
                if not data:
                    return
                out += data

    read_until(lambda: b"$ " in out)
    keys = "unset HISTFILE; . '%s'\n" % script.replace("'", "'\\''")
    for line in lines:
        # ^A: to the start, where printf takes the command's place; ^E:
        # to the end, where \003 ends the line's output.
        keys += line + "\x01printf '\\001%s\\002' \x05; printf '\\003'\n"
    keys += "exit\n"
    os.write(fd, keys.encode())
    read_until(lambda: out.count(b"\x03") >= len(lines))
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    for chunk in out.split(b"\x03")[:len(lines)]:
        words = [w.split(b"\x02")[0] for w in chunk.split(b"\x01")[1:]]
        # The terminal writes a newline as CR LF.
        word = words[-1].replace(b"\r\n", b"\n") if words else b""
        sys.stdout.buffer.write(word + b"\0")


if __name__ == "__main__":
    if sys.argv[1] == "agent":
        agent(*sys.argv[2:5])
    else:
        type_lines(sys.argv[2], sys.argv[3:])
