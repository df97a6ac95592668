#!/usr/bin/env python3
"""The Python client (bindings/python/disco.py) against a stand-in agent.

python_client.py test DIR
    Runs the cases in DIR (a fresh temporary directory), printing
    "ok - ..." and "not ok - ..." lines and "# ..." diagnostics for
    tests/local/python_client.sh to number; "# done" last when it ran to
    its end.  disco must be importable (PYTHONPATH).  The PIDs of the
    agents it started go to DIR/pids, one a line.

python_client.py agent SOCKET LOG GEN
    The stand-in agent, a mock of discod (no Avahi needed): it answers
    the verbs as doc/protocol.md says, from canned data, and appends each
    request line it reads to LOG as {"gen", "conn", "line"}.  GEN numbers
    this run: registration ids are GEN*100+1, ... and the watch snapshot
    holds "Dep GEN", so a restarted agent is told from the one before.
    Some requests make it misbehave (see Agent.answer).  It ends itself
    after five minutes, should nobody stop it.
"""
import base64
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback


# ---------------------------------------------------------------- agent

def instance(name, type_="_pytest._tcp", txt=None):
    return {"name": name, "type": type_, "domain": "local",
            "fullname": "%s.%s.local" % (name, type_),
            "host": "fake.local", "port": 5300,
            "priority": 0, "weight": 0,
            "txt": txt if txt is not None else ["a=1"],
            "addresses": [{"address": "192.0.2.7", "family": "ipv4",
                           "interface": "eth0"},
                          {"address": "fe80::7%eth0", "family": "ipv6",
                           "interface": "eth0"}],
            "local": False, "reachable": True, "index": 3}


class Agent:
    def __init__(self, path, log, gen):
        self.path, self.gen = path, gen
        self.log = open(log, "a")
        self.lock = threading.Lock()
        self.next_reg = gen * 100
        self.regs = set()
        self.conns = 0
        self.dropped = set()         # names of "Drop" requests dropped once
        self.start = time.time()

    def record(self, conn, line):
        with self.lock:
            self.log.write(json.dumps({"gen": self.gen, "conn": conn,
                                       "line": line}) + "\n")
            self.log.flush()

    def serve(self):
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        srv.bind(self.path)
        srv.listen(16)
        while True:
            s, _ = srv.accept()
            with self.lock:
                self.conns += 1
                n = self.conns
            threading.Thread(target=self.client, args=(s, n),
                             daemon=True).start()

    def client(self, s, n):
        f = s.makefile("rb")
        try:
            for raw in f:
                line = raw.decode("utf-8", "replace")
                self.record(n, line)
                if not self.answer(s, json.loads(line)):
                    break
        except (OSError, ValueError):
            pass
        finally:
            s.close()

    @staticmethod
    def send(s, obj):
        s.sendall((json.dumps(obj) + "\n").encode())

    def answer(self, s, req):
        """Reply to one request; False closes the connection."""
        verb, rid = req.get("verb"), req.get("id")

        def ok(**fields):
            self.send(s, dict(fields, id=rid, ok=True))
            return True

        def error(code, field, message):
            self.send(s, {"id": rid, "ok": False, "error": {
                "code": code, "field": field, "message": message}})
            return True

        if verb == "hello":
            return ok(agent="fake", version="0", protocol=1)
        if verb == "status":
            return ok(pid=os.getpid(), uptime=time.time() - self.start,
                      version="0", protocol=1)
        if verb == "types":
            # An event before the reply: the client must keep it.
            self.send(s, {"event": "health", "id": self.next_reg,
                          "healthy": False, "output": "refused"})
            return ok(types=[{"type": "_pytest._tcp", "instances": 2}])
        if verb == "register":
            with self.lock:
                self.next_reg += 1
                rid_reg = self.next_reg
                self.regs.add(rid_reg)
            name = req.get("name")
            final = name + " #2" if name == "Taken" else name
            ok(registration={"id": rid_reg, "name": name,
                             "final_name": final, "renamed": final != name,
                             "type": req.get("type"), "port": req.get("port"),
                             "txt": req.get("txt", []), "state": "probing"})
            if name == "Evented":
                self.send(s, {"event": "renamed", "id": rid_reg,
                              "old_name": name, "name": name + " #2"})
            return True
        if verb in ("renew", "unregister"):
            if req.get("registration") not in self.regs:
                return error("not-found", "registration",
                             "no registration %s" % req.get("registration"))
            if verb == "unregister":
                self.regs.discard(req.get("registration"))
            return ok()
        if verb == "list":
            if req.get("type") == "_bad":
                return error("bad-field", "type",
                             "field \"type\" is not a service type")
            return ok(instances=[instance("One"), instance("Two")])
        if verb == "resolve":
            name = req.get("name") or "One"
            if name == "Missing":
                return error("not-found", None, "no such instance")
            if name == "Long":
                # A line that never ends: 64 MiB without a newline.
                chunk = b"x" * (1 << 20)
                for _ in range(64):
                    s.sendall(chunk)
                return False
            if name.startswith("Drop") and name not in self.dropped:
                self.dropped.add(name)
                return False            # lost while the request is in flight
            return ok(instance=instance(name, req.get("type") or "_x._tcp", [
                "a=1", {"base64": base64.b64encode(
                    b"bin=\x00\x01\xff").decode()}]))
        if verb == "pick":
            return ok(policy=req.get("policy", "weighted"), candidates=1,
                      instance=instance("Picked"))
        if verb == "watch":
            ok(index=self.gen * 1000,
               instances=[instance("Dep %d" % self.gen, req.get("type"))])
            self.send(s, {"event": "add", "index": self.gen * 1000 + 1,
                          "instance": instance("Dep live %d" % self.gen,
                                               req.get("type"))})
            return True
        return error("unknown-verb", "verb", "no verb %r" % verb)


def agent_main(path, log, gen):
    signal.alarm(300)
    Agent(path, log, int(gen)).serve()


# ---------------------------------------------------------------- the test

class Test:
    def __init__(self, tmp):
        self.tmp = tmp
        self.sock = os.path.join(tmp, "agent.sock")
        self.log = os.path.join(tmp, "agent.log")
        self.agent = None
        self.gen = 0
        self.failed = 0

    def point(self, good, what, *diag):
        print("%s - %s" % ("ok" if good else "not ok", what), flush=True)
        if not good:
            self.failed += 1
            for d in diag:
                for line in str(d).splitlines():
                    print("# " + line, flush=True)
        return good

    # -- the stand-in agent

    def start_agent(self):
        self.gen += 1
        self.agent = subprocess.Popen(
            [sys.executable, __file__, "agent", self.sock, self.log,
             str(self.gen)])
        with open(os.path.join(self.tmp, "pids"), "a") as f:
            f.write("%d\n" % self.agent.pid)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            s = socket.socket(socket.AF_UNIX)
            try:
                s.connect(self.sock)
                return
            except OSError:
                time.sleep(0.05)
            finally:
                s.close()
        raise RuntimeError("the stand-in agent did not listen within 10 s")

    def kill_agent(self):
        """As kill -9 of discod: no goodbye, the socket file stays."""
        if self.agent is not None:
            self.agent.kill()
            self.agent.wait(timeout=10)
            self.agent = None

    def requests(self, gen=None, verb=None):
        """What the agent(s) read, each line parsed ("bad" when it is not
        one JSON object ending in a newline)."""
        out = []
        with open(self.log) as f:
            for rec in map(json.loads, f):
                if gen is not None and rec["gen"] != gen:
                    continue
                line = rec["line"]
                try:
                    req = json.loads(line)
                    if not line.endswith("\n") or not isinstance(req, dict):
                        raise ValueError
                except ValueError:
                    req = {"bad": line}
                if verb is None or req.get("verb") == verb:
                    out.append(dict(req, _conn=rec["conn"]))
        return out

    def wait_for(self, secs, cond):
        end = time.monotonic() + secs
        while True:
            v = cond()
            if v or time.monotonic() >= end:
                return v
            time.sleep(0.05)

    @staticmethod
    def fields(req):
        return {k: v for k, v in req.items() if k not in ("id", "_conn")}

    # -- the cases

    def run(self):
        import disco
        self.d = disco
        self.start_agent()
        self.c = disco.Client(self.sock, timeout=2)
        for case in (self.well_formed, self.errors, self.txt, self.kept,
                     self.in_flight, self.restart_watch, self.renew_restart,
                     self.context, self.no_reconnect, self.long_line,
                     self.persist, self.down_for_good):
            try:
                case()
            except Exception:
                self.point(False, "%s ran to its end" % case.__name__,
                           traceback.format_exc())
        self.c.close()
        self.kill_agent()

    def well_formed(self):
        d, c = self.d, self.c
        c.hello()
        hello = self.requests(1, "hello")
        self.point(len(hello) == 1 and self.fields(hello[0]) ==
                   {"verb": "hello"} and isinstance(hello[0].get("id"), int),
                   "hello goes out as {verb, id}", hello)
        want = {"verb": "register", "name": "Py One", "type": "_pytest._tcp",
                "port": 5300, "txt": ["a=1", "flag"], "subtypes": ["_sub"],
                "ttl": 30, "check": {"type": "ttl", "interval": 5}}
        self.want = want
        self.reg = c.register("Py One", "_pytest._tcp", 5300,
                              txt=["a=1", b"flag"], subtypes=("_sub",),
                              ttl=30, check={"type": "ttl", "interval": 5})
        got = self.requests(1, "register")
        self.point(len(got) == 1 and self.fields(got[0]) == want,
                   "register sends name, type, port, txt, subtypes, ttl, "
                   "check as given", got)
        self.point(self.reg.id == 101 and self.reg.name == "Py One"
                   and self.reg.active, "the Registration has the agent's "
                   "id and name", repr(self.reg))
        self.taken = c.register("Taken", "_pytest._tcp", 5301,
                                txt={"k": "v", "flag": True})
        got = self.requests(1, "register")[-1]
        self.point(got.get("txt") == {"k": "v", "flag": True},
                   "a txt dict goes out as an object", got)
        self.point(self.taken.name == "Taken #2" and
                   self.taken.requested_name == "Taken",
                   "name is the final name after a collision",
                   repr(self.taken))
        c.pick("_pytest._tcp", policy="sticky", key="k",
               txt={"a": "1", "flag": True}, wait=1.5)
        got = self.requests(1, "pick")
        self.point(len(got) == 1 and self.fields(got[0]) == {
            "verb": "pick", "type": "_pytest._tcp", "policy": "sticky",
            "key": "k", "txt": ["a=1", "flag"], "wait_ms": 1500},
            "pick sends its filters, and wait in ms", got)
        c.list("_pytest._tcp", family="ipv6", interface="eth0")
        c.resolve(fullname="One._pytest._tcp.local")
        got = self.requests(1, "list") + self.requests(1, "resolve")
        self.point([self.fields(r) for r in got] == [
            {"verb": "list", "type": "_pytest._tcp", "family": "ipv6",
             "interface": "eth0"},
            {"verb": "resolve", "fullname": "One._pytest._tcp.local"}],
            "list and resolve send only the fields given", got)
        ids = [r.get("id") for r in self.requests(1)]
        bad = [r for r in self.requests(1) if "bad" in r or
               not isinstance(r.get("verb"), str)]
        self.point(not bad and len(set(ids)) == len(ids),
                   "every request is one JSON object on a line, each with "
                   "an id of its own", bad, ids)
        os.environ["DISCO_SOCKET"] = self.sock
        try:
            with d.Client(timeout=2) as other:
                self.point(other.path == self.sock and
                           other.hello().get("agent") == "fake",
                           "without a path, $DISCO_SOCKET is the socket")
        finally:
            del os.environ["DISCO_SOCKET"]
        self.point(d.DEFAULT_SOCKET.endswith("/disco/discod.sock") and
                   "@" not in d.DEFAULT_SOCKET,
                   "DEFAULT_SOCKET holds the configured path",
                   d.DEFAULT_SOCKET)

    def errors(self):
        d, c = self.d, self.c
        try:
            c.list("_bad")
            self.point(False, "an error reply raises DiscoError")
        except d.DiscoError as e:
            self.point(isinstance(e, d.BadField) and e.code == "bad-field"
                       and e.field == "type" and
                       e.message == 'field "type" is not a service type',
                       "an error reply raises DiscoError with its code, "
                       "field and message", repr(e))
        try:
            c.resolve("Missing", "_x._tcp")
            self.point(False, "not-found raises NotFound")
        except d.NotFound as e:
            self.point(e.code == "not-found" and e.field is None and
                       isinstance(e, d.DiscoError), "not-found raises "
                       "NotFound, a DiscoError", repr(e))
        try:
            c.call("bogus")
            self.point(False, "an unknown code is a plain DiscoError")
        except d.DiscoError as e:
            self.point(type(e) is d.DiscoError and e.code == "unknown-verb",
                       "another code is a DiscoError with that code",
                       repr(e))

    def txt(self):
        i = self.c.resolve("Binary", "_x._tcp")
        self.point(i.txt == ["a=1", b"bin=\x00\x01\xff"],
                   "base64 TXT strings come as bytes, others as str", i.txt)
        self.point(i.txt_dict() == {"a": "1", "bin": b"\x00\x01\xff"},
                   "txt_dict splits keys and values", i.txt_dict())
        self.point([(a.address, a.family, a.interface) for a in i.addresses]
                   == [("192.0.2.7", "ipv4", "eth0"),
                       ("fe80::7%eth0", "ipv6", "eth0")] and i.port == 5300
                   and i.host == "fake.local" and i.reachable,
                   "addresses, host and port are decoded", i)

    def kept(self):
        c = self.c
        c.events()
        self.evented = c.register("Evented", "_pytest._tcp", 5302)
        self.point(c.types() == {"_pytest._tcp": 2}, "types maps type to "
                   "instances")
        evs = c.events()
        kinds = [e.kind for e in evs]
        ren = [e for e in evs if e.kind == "renamed"]
        self.point(kinds == ["renamed", "health"],
                   "events that came before replies are kept, in order",
                   kinds)
        self.point(bool(ren) and ren[0].registration is self.evented and
                   self.evented.name == "Evented #2",
                   "a renamed event names its Registration and renames it",
                   ren, self.evented)
        self.point(c.events() == [], "events() empties the queue")
        n = self.d.EVENTS_MAX + 5
        for k in range(n):
            c._emit(self.d.Event("health", data={"k": k}))
        evs = c.events()
        self.point(len(evs) == self.d.EVENTS_MAX and evs[0].data["k"] == 5
                   and c.events_dropped == 5,
                   "the queue keeps the last EVENTS_MAX and counts the rest",
                   len(evs), c.events_dropped)

    def in_flight(self):
        c = self.c
        before = len(self.requests(1))
        i = c.resolve("Drop", "_x._tcp")
        after = self.requests(1)[before:]
        verbs = [(r.get("verb"), r.get("name")) for r in after]
        self.point(i.name == "Drop" and verbs.count(("resolve", "Drop")) == 2,
                   "a request in flight when the connection drops is sent "
                   "again, once", verbs)
        again = [r for r in after if r.get("verb") == "register" and
                 r.get("name") == "Py One"]
        self.point(len(again) == 1 and self.fields(again[0]) == self.want
                   and again[0]["_conn"] != after[0]["_conn"],
                   "on the new connection, Py One is registered again with "
                   "the same fields", again)
        self.point(self.reg.id not in (101, None) and self.reg.active,
                   "the Registration now holds the new id", self.reg)

    def restart_watch(self):
        c = self.c
        w = c.watch("_pydep._tcp", idle=0.5)
        first = [next(w), next(w)]
        self.point([(e.kind, e.instance.name) for e in first] ==
                   [("add", "Dep 1"), ("add", "Dep live 1")],
                   "watch yields the snapshot as add events, then the "
                   "agent's", first)
        got = self.requests(1, "watch")
        self.point(len(got) == 1 and self.fields(got[0]) ==
                   {"verb": "watch", "type": "_pydep._tcp"},
                   "watch sends its filters", got)
        c.events()
        self.kill_agent()
        time.sleep(1)
        self.start_agent()
        seen = []
        end = time.monotonic() + 15
        for ev in w:
            seen.append(ev.kind if ev.instance is None
                        else "%s %s" % (ev.kind, ev.instance.name))
            if seen[-1] == "add Dep live 2" or time.monotonic() > end:
                break
        w.close()
        core = [k for k in seen if k not in ("idle",)]
        self.point(core == ["disconnected", "reconnected", "resync",
                            "add Dep 2", "add Dep live 2"],
                   "after the agent restarts the watch yields disconnected, "
                   "reconnected, resync, then the new snapshot", seen)
        regs = self.requests(2, "register")
        py = [r for r in regs if r.get("name") == "Py One"]
        self.point(len(py) == 1 and self.fields(py[0]) == self.want,
                   "the new agent gets Py One's register again, same "
                   "fields, without a call from the application", regs)
        self.point(sorted(r.get("name") for r in regs) ==
                   ["Evented", "Py One", "Taken"],
                   "every live registration is made again, once", regs)
        self.point(self.reg.id // 100 == 2 and self.taken.id // 100 == 2 and
                   self.taken.name == "Taken #2",
                   "Registrations map to the new agent's ids",
                   self.reg, self.taken)
        kinds = [e.kind for e in c.events()]
        self.point("reconnected" in kinds, "the client reports reconnected",
                   kinds)
        watches = self.requests(2, "watch")
        self.point(len(watches) == 1 and self.fields(watches[0]) ==
                   {"verb": "watch", "type": "_pydep._tcp"},
                   "the watch is sent again", watches)

    def renew_restart(self):
        self.kill_agent()
        self.start_agent()
        self.reg.renew()
        got = [r for r in self.requests(3)
               if r.get("verb") in ("register", "renew")]
        names = [(r["verb"], r.get("name", r.get("registration")))
                 for r in got]
        py = [i for i, r in enumerate(got) if r.get("name") == "Py One"]
        renew = [i for i, r in enumerate(got) if r["verb"] == "renew"]
        self.point(len(py) == 1 and len(renew) == 1 and py[0] < renew[0] and
                   got[renew[0]]["registration"] == self.reg.id and
                   self.reg.id // 100 == 3,
                   "renew after the agent restarted registers again, then "
                   "renews the new id", names, self.reg)
        self.point(self.fields(got[py[0]]) == self.want if py else False,
                   "with the same fields", got)

    def context(self):
        c = self.c
        with c.register("Ctx", "_pytest._tcp", 5303) as r:
            rid = r.id
        un = self.requests(3, "unregister")
        self.point([u.get("registration") for u in un] == [rid] and
                   not r.active, "leaving the with block unregisters", un)
        self.evented.unregister()
        self.evented.unregister()
        self.point(len(self.requests(3, "unregister")) == 2,
                   "unregister is sent once, whatever the calls")
        try:
            self.evented.renew()
            self.point(False, "renew of a withdrawn registration raises")
        except self.d.NotFound:
            self.point(True, "renew of a withdrawn registration raises "
                       "NotFound")

    def no_reconnect(self):
        d = self.d
        c2 = d.Client(self.sock, timeout=2, reconnect=False)
        c2.register("Once", "_pytest._tcp", 5304)
        w = c2.watch("_pydep._tcp", idle=0.5)
        next(w)
        before = self.gen
        self.kill_agent()
        self.start_agent()
        results = []
        for _ in range(2):
            try:
                c2.hello()
                results.append("answered")
            except d.DiscoUnavailable as e:
                results.append("unavailable")
                diag = str(e)
        self.point(results == ["unavailable", "unavailable"],
                   "reconnect=False: a lost connection raises "
                   "DiscoUnavailable, and so does the next call",
                   results, locals().get("diag"))
        self.point(not any(r.get("name") == "Once" for r in
                           self.requests(before + 1, "register")),
                   "and nothing is registered again")
        end = time.monotonic() + 5
        try:
            while time.monotonic() < end:
                next(w)
            self.point(False, "reconnect=False: the watch raises "
                       "DiscoUnavailable (it went on for 5 s)")
        except d.DiscoUnavailable:
            self.point(True, "reconnect=False: the watch raises "
                       "DiscoUnavailable")
        c2.close()
        # The main client's connection went with that agent too.
        self.c.hello()

    def long_line(self):
        d, c = self.d, self.c
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.monotonic()
        try:
            c.resolve("Long", "_x._tcp")
            self.point(False, "a line past LINE_MAX raises")
        except d.DiscoProtocolError as e:
            self.point(e.code == "protocol" and "longer" in e.message,
                       "a line past LINE_MAX raises DiscoProtocolError",
                       repr(e))
        grew = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak
        self.point(grew < 48 * 1024,
                   "reading a 64 MiB line costs less than 48 MiB "
                   "(LINE_MAX is 16 MiB)", "grew %d KiB in %.1f s"
                   % (grew, time.monotonic() - t))
        before = len(self.requests(self.gen, "register"))
        self.point(c.hello().get("agent") == "fake" and
                   len(self.requests(self.gen, "register")) == before + 2,
                   "the next call connects again and registers again")

    def persist(self):
        d = self.d
        seen = []
        c3 = d.Client(self.sock, timeout=2, on_event=seen.append)
        try:
            kept = c3.register("Kept", "_pytest._tcp", 5305, ttl=60,
                               persist=True)
            old, n = kept.id, len(self.requests(self.gen))
            c3.resolve("DropP", "_x._tcp")   # dropped once, agent stays
            after = [(r.get("verb"), r.get("name", r.get("registration")))
                     for r in self.requests(self.gen)[n:]
                     if r.get("verb") in ("register", "renew")]
            self.point(after == [("renew", old)] and kept.id == old,
                       "a persistent registration that the same agent "
                       "still holds is renewed, not made twice", after)
            self.point([e.kind for e in seen] == ["reconnected"],
                       "on_event hears of the reconnection",
                       [e.kind for e in seen])
            self.kill_agent()
            self.start_agent()
            c3.hello()
            again = self.requests(self.gen, "register")
            self.point(len(again) == 1 and again[0].get("persist") is True
                       and again[0].get("ttl") == 60 and
                       kept.id // 100 == self.gen,
                       "on another agent it is registered again, persist "
                       "and ttl as given", again, kept)
        finally:
            c3.close()

    def down_for_good(self):
        d, c = self.d, self.c
        self.kill_agent()
        os.unlink(self.sock)
        for label in ("the first", "the next"):
            t = time.monotonic()
            try:
                c.hello()
                self.point(False, "%s call fails" % label)
            except d.DiscoUnavailable as e:
                took = time.monotonic() - t
                self.point(1.5 <= took <= 4, "agent down for good: %s call "
                           "raises DiscoUnavailable after the 2 s timeout"
                           % label, "%.2f s: %s" % (took, e))
        t = time.monotonic()
        try:
            next(c.watch("_pydep._tcp"))
            self.point(False, "a new watch fails")
        except d.DiscoUnavailable:
            took = time.monotonic() - t
            self.point(took <= 4, "a new watch fails within the timeout too",
                       "%.2f s" % took)
        t = time.monotonic()
        try:
            d.Client(self.sock, timeout=1, reconnect=False)
            self.point(False, "reconnect=False does not wait")
        except d.DiscoUnavailable:
            self.point(time.monotonic() - t < 0.5,
                       "reconnect=False: connecting fails at once")


def test_main(tmp):
    t = Test(tmp)
    try:
        t.run()
    finally:
        t.kill_agent()
    print("# done", flush=True)
    return 1 if t.failed else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["agent"]:
        agent_main(*sys.argv[2:5])
    elif sys.argv[1:2] == ["test"]:
        sys.exit(test_main(sys.argv[2]))
    else:
        sys.exit(__doc__)
