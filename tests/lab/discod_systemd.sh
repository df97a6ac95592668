#!/bin/bash
# discod under a stand-in for systemd: socket activation, READY=1 once
# listening, STATUS= from Avahi's state, watchdog pings, STOPPING=1.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"

lab_up a || { echo "Bail out! lab did not come up"; exit 1; }
if ! grep -q '^#define HAVE_SYSTEMD 1' "$top_builddir/config.h"; then
	echo "1..0 # SKIP built without libsystemd"
	exit 77
fi
plan 9
dir=$(lab_hostdir a)
# A mode systemd's socket does not have: discod must say it cannot apply.
printf '[control]\nsocket-mode = 0600\n' >"$dir/discod.conf"
out=$dir/supervise.out
lab_on a python3 "$top_srcdir/tests/lab/clients/systemd_supervise.py" \
    "$top_builddir/discod" "$dir/discod.conf" "$dir/activated.sock" \
    "$dir/notify.sock" >"$out" 2>"$dir/discod.log"
diag "$(cat "$out")"
saw() {
	grep -qx "$1" "$out"
}
check "READY=1 is sent" saw ready=1
check "the socket passed by systemd is served" saw activated_reply=1
check "no socket is made at the configured path" saw unused_socket_absent=1
pings=$(sed -n 's/^watchdog_pings=//p' "$out")
check "watchdog pinged at half of WatchdogSec (${pings:-0} in 1.5 s)" \
    test "${pings:-0}" -ge 4
check "STATUS= tells Avahi is running" saw status_running=1
check "STOPPING=1 on SIGTERM" saw stopping=1
check "exit status 0" saw exit=0
check "systemd's socket is left for systemd" saw activated_socket_kept=1
check "socket-mode in discod.conf, which cannot apply, is reported" \
    grep -q "socket-mode 0600 and socket-group [^ ]* do not apply" "$dir/discod.log"
