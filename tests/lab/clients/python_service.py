"""The Python service of tests/lab/python_client.sh: the disco module
(bindings/python) as an application uses it.

python_service.py SOCKET EVENTS TTL
    Registers "Py Service" (_pytest._tcp, port 5310, TXT from=python)
    with a lease of TTL seconds, renewed every TTL/3 s on its own clock,
    and watches _pydep._tcp.  Each thing that happens is a line of
    EVENTS:
        registered ID NAME | renewed ID | renew-failed ERROR
        add NAME | update NAME | remove NAME | resync | reconnected |
        disconnected                                      (the watch)
        client KIND [NAME]       (the client's own events: reconnected,
                                  established, renamed, expired, lost...)
    It runs until SIGTERM, or for 300 s at most.
"""
import signal
import sys
import time

import disco


def main(sock, events, ttl):
    signal.alarm(300)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    out = open(events, "a", buffering=1)

    def note(*words):
        out.write(" ".join(str(w) for w in words if w is not None) + "\n")

    client = disco.Client(sock, timeout=5)
    with client, client.register("Py Service", "_pytest._tcp", 5310,
                                 txt=["from=python"], ttl=ttl) as reg:
        note("registered", reg.id, reg.name)
        renew_at = time.monotonic() + ttl / 3
        for ev in client.watch("_pydep._tcp", idle=0.5):
            if ev.kind != "idle":
                note(ev.kind, ev.instance.name if ev.instance else None)
            for cev in client.events():
                note("client", cev.kind,
                     cev.registration.name if cev.registration else None)
            if time.monotonic() >= renew_at:
                try:
                    reg.renew()
                    note("renewed", reg.id)
                except disco.DiscoError as e:
                    note("renew-failed", e)
                renew_at = time.monotonic() + ttl / 3


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
