#!/bin/bash
# discoctl's bash completion (completions/discoctl) in a plain bash,
# without bash-completion: _discoctl is called as bash calls it
# (COMP_LINE, COMP_POINT, COMP_WORDS, COMP_CWORD) and COMPREPLY checked:
# commands, each command's options and no other's, option values, and what
# the agent knows.  Registration IDs come from the built discod (no lab:
# without Avahi a registration waits and the cache stays empty, so types
# and instances come from a stand-in agent, tests/local/completion_helper.py,
# whose instance names want quoting, one of them a command substitution
# that nothing may run).  Last, readline itself: an interactive bash in a
# pseudo-terminal presses TAB, and the line is parsed as the shell will.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

if ! command -v python3 >/dev/null; then
	echo "1..0 # SKIP python3 is missing (the stand-in agent)"
	exit 77
fi

export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/nonexistent/system_bus_socket
unset NOTIFY_SOCKET LISTEN_FDS LISTEN_PID DISCO_SOCKET
script=$top_srcdir/completions/discoctl
helper=$top_srcdir/tests/local/completion_helper.py
ctl=$top_builddir/discoctl/discoctl
tmp=$(mktemp -d)
discod_pid=
publish_pid=
agent_pid=

# stop PID: SIGTERM, 5 s to exit, then SIGKILL; returns its exit status.
stop() {
	local i
	kill -TERM "$1" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}
cleanup() {
	local p
	for p in "$publish_pid" "$agent_pid" "$discod_pid"; do
		[ -n "$p" ] && stop "$p"
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# wait_for SECONDS COMMAND...: until COMMAND succeeds, at most SECONDS.
wait_for() {
	local i limit=$(($1 * 10))
	shift
	for ((i = 0; i < limit; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# complete_line LINE [NAME=VALUE ...]: _discoctl for LINE with the cursor
# at its end, in a bash without rc files, with the environment given
# (WORDBREAKS sets COMP_WORDBREAKS, which bash does not import).  The
# built discoctl is first in PATH.  COMPREPLY goes to $tmp/reply, one
# entry a line; what it asked of compopt (a stand-in: the builtin works
# only while readline completes) to $tmp/compopt; its standard error to
# $tmp/stderr.
complete_line() {
	local line=$1
	shift
	: >"$tmp/compopt"
	# shellcheck disable=SC2016 # the bash it runs expands them
	env PATH="$top_builddir/discoctl:$PATH" COMPOPT_LOG="$tmp/compopt" "$@" \
	    bash --norc --noprofile -c '
compopt() { printf "%s\n" "$*" >>"$COMPOPT_LOG"; }
. "$1" || exit
[ -n "${WORDBREAKS-}" ] && COMP_WORDBREAKS=$WORDBREAKS
COMP_LINE=$2
COMP_POINT=${#2}
read -ra COMP_WORDS <<<"$2"
[[ $2 == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_discoctl discoctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
((${#COMPREPLY[@]} == 0)) || printf "%s\n" "${COMPREPLY[@]}"
' complete "$script" "$line" >"$tmp/reply" 2>>"$tmp/stderr"
}

# reply_is WORD...: COMPREPLY is exactly the WORDs, in any order.
reply_is() {
	if [ $# = 0 ]; then
		[ ! -s "$tmp/reply" ] && return 0
	elif diff <(printf '%s\n' "$@" | LC_ALL=C sort) \
	    <(LC_ALL=C sort "$tmp/reply") >/dev/null; then
		return 0
	fi
	echo "COMPREPLY:"
	cat "$tmp/reply"
	return 1
}

# reply_has WORD...: COMPREPLY holds every WORD.
reply_has() {
	local w
	for w; do
		grep -qxF -e "$w" "$tmp/reply" && continue
		echo "missing: $w; COMPREPLY:"
		cat "$tmp/reply"
		return 1
	done
}

# reply_lacks WORD...: COMPREPLY holds none of the WORDs.
reply_lacks() {
	local w
	for w; do
		grep -qxF -e "$w" "$tmp/reply" || continue
		echo "offered: $w"
		return 1
	done
}

# asked WORDS: compopt was asked for WORDS (-o nospace, say).
asked() {
	grep -qxF -e "$*" "$tmp/compopt"
}

commands=(status metrics services types list resolve pick watch publish run renew
	unpublish reload help)
globals=(-j --json -s --socket -t --timeout --no-header --color= -h --help
	-V --version)

plan 37

# ---- The command line alone: no agent asked.

check "complete -p: discoctl completes with _discoctl" test \
    "$(bash --norc --noprofile -c '. "$1" && complete -p discoctl' _ \
	"$script")" = "complete -F _discoctl discoctl"

complete_line "discoctl "
check "discoctl <TAB>: the commands" reply_is "${commands[@]}"

ok_li() {
	complete_line "discoctl li" && reply_is list &&
	    complete_line "discoctl -s /nowhere -t 5 --no-header li" &&
	    reply_is list
}
check "discoctl li<TAB>: list, also after options and their values" ok_li

complete_line "discoctl -"
check "discoctl -<TAB> (before the command): the global options only" \
    reply_is "${globals[@]}"

complete_line "discoctl list --"
ok_list_opts() {
	reply_has --subtype --txt --family --interface --long --json \
	    --socket --timeout --no-header --color= --help --version &&
	    reply_lacks --ttl --persist --policy --key --wait --since --addr \
		--name --check-tcp
}
check "list --<TAB>: its own options and the global ones, no other's" \
    ok_list_opts

complete_line "discoctl publish _x._tcp -"
ok_publish_opts() {
	reply_has --subtype --txt --ttl --persist --check-tcp --check-http \
	    --check-exec --interval --check-timeout --rise --fall -j &&
	    reply_lacks --family --interface --policy --long -l --addr --wait \
		--since --name --port
}
check "publish -<TAB>: announcement options, no filter of list's" \
    ok_publish_opts

complete_line "discoctl pick --policy "
check "pick --policy <TAB>: the four policies" \
    reply_is weighted round-robin random sticky

complete_line "discoctl pick _x._tcp --pol=s"
check "pick --pol=s<TAB>: an abbreviated option's value, after the '='" \
    reply_is sticky

complete_line "discoctl list -j --fam "
check "list -j --fam <TAB>: the families (--fam is --family)" \
    reply_is ipv4 ipv6

ok_color() {
	complete_line "discoctl list --col" && reply_is --color= &&
	    asked -o nospace && complete_line "discoctl list --color=" &&
	    reply_is auto always never
}
check "--col<TAB>: --color= without a space; --color=<TAB>: its values" \
    ok_color

complete_line "discoctl --color=al" WORDBREAKS=$' \t\n'
check "--color=al<TAB> with no '=' in COMP_WORDBREAKS: the whole word" \
    reply_is --color=always

ok_help() {
	complete_line "discoctl help " && reply_is "${commands[@]}" &&
	    complete_line "discoctl help unp" && reply_is unpublish
}
check "help <TAB>: the commands" ok_help

ifaces=()
for i in /sys/class/net/*; do
	[ -e "$i" ] && ifaces+=("${i##*/}")
done
complete_line "discoctl watch --interface "
check "watch --interface <TAB>: the interfaces in /sys/class/net" \
    reply_is "${ifaces[@]}"

mkdir -m 0755 "$tmp/run"
complete_line "discoctl list -s $tmp/ru"
ok_files() {
	reply_is "$tmp/run" && asked -o filenames
}
check "-s PATH<TAB>: file names, left to readline to quote" ok_files

complete_line "discoctl run --name a --type _x._tcp --port 1 bas"
ok_run_cmd() {
	reply_has bash && reply_lacks --name
}
check "run ... COMMAND<TAB>: commands (compgen -c)" ok_run_cmd

complete_line "discoctl run --name a --type _x._tcp --port 1 ls --js"
ok_run_args() {
	reply_is && asked -o default
}
check "run ... COMMAND --js<TAB>: the command's, readline's default" \
    ok_run_args

complete_line "discoctl list -- -"
check "list -- -<TAB>: no option after --" reply_is

# ---- The script's option lists against discoctl's own parser: for each
# command, the long options the built discoctl accepts (asked of it, one
# by one: an option a command does not take is a usage error naming it)
# are exactly those the completion offers, and its help names each.
long_opts=(long subtype txt family interface policy key wait since ttl
	persist addr name type port check-tcp check-http check-exec interval
	check-timeout rise fall)
accepted() { # accepted CMD: the command's own long options, sorted
	local o w
	for o in "${long_opts[@]}"; do
		w=--$o=1 # an option with its value, so none is missing
		case $o in long | persist | addr) w=--$o ;; esac
		"$ctl" -s "$tmp/none.sock" -t 100 "$1" "$w" </dev/null 2>&1 |
		    grep -q "takes no option" || echo "--$o"
	done | sort
}
offered() { # offered CMD: the long options the completion offers, less
	# the global ones
	complete_line "discoctl $1 --"
	grep -vxE -- '--(json|socket|timeout|no-header|color=|help|version)' \
	    "$tmp/reply" | sort
}
drift=
undocumented=
for c in "${commands[@]}"; do
	takes=$(accepted "$c")
	[ "$takes" = "$(offered "$c")" ] || drift+=" $c"
	for o in $takes; do
		"$ctl" help "$c" | grep -q -- "$o" || undocumented+=" $c:$o"
	done
done
check "every command: the completion offers the options discoctl takes" \
    test -z "$drift"
[ -z "$drift" ] || diag "differ:$drift"
check "every command: its help names every option it takes" \
    test -z "$undocumented"
[ -z "$undocumented" ] || diag "not in help:$undocumented"

# ---- Registration IDs from the built discod.

mkdir "$tmp/services"
printf '[announce]\nservices-dir = %s\n' "$tmp/services" >"$tmp/discod.conf"
sock=$tmp/run/discod.sock
"$top_builddir/discod" -d -f "$tmp/discod.conf" -s "$sock" \
    >"$tmp/discod.log" 2>&1 &
discod_pid=$!
wait_for 10 test -S "$sock"
"$ctl" -s "$sock" publish 'My Web' _http._tcp 8080 >"$tmp/publish.log" 2>&1 &
publish_pid=$!
registered() {
	"$ctl" -s "$sock" --no-header services 2>/dev/null | grep -q 'My Web'
}
wait_for 10 registered
ids=$("$ctl" -s "$sock" --no-header services | awk '$1 ~ /^[0-9]+$/ { print $1 }')
diag "registrations: $ids"

# reply_ids: COMPREPLY is the registration IDs.
reply_ids() {
	# shellcheck disable=SC2086 # the IDs, a word each
	test -n "$ids" && reply_is $ids
}
complete_line "discoctl -s $sock renew "
check "renew <TAB>: the registration IDs of services (-s SOCKET)" reply_ids

# The socket's directory by another name, with a space in it.
ln -s "$tmp/run" "$tmp/my run"
complete_line "discoctl unpublish --socket='$tmp/my run/discod.sock' "
check "unpublish <TAB>: the IDs (--socket='PATH WITH SPACE')" reply_ids

ok_env() {
	complete_line "discoctl renew " DISCO_SOCKET="$sock" && reply_ids &&
	    complete_line "discoctl renew -s $sock " \
		DISCO_SOCKET="$tmp/nowhere.sock" && reply_ids
}
check "renew <TAB>: \$DISCO_SOCKET, and -s before it" ok_env

# ---- Types and instances from a stand-in agent.

fake=$tmp/fake.sock
hang=$tmp/hang.sock
python3 "$helper" agent "$fake" "$hang" "$tmp/pwned" 2>"$tmp/agent.log" &
agent_pid=$!
wait_for 10 test -S "$hang" -a -S "$fake"

complete_line "discoctl -s $fake list "
check "list <TAB>: the agent's types" reply_is _http._tcp _ipp._tcp

ok_types() {
	complete_line "discoctl list -j --family ipv4 -s $fake " &&
	    reply_is _http._tcp _ipp._tcp &&
	    complete_line "discoctl pick _h" DISCO_SOCKET="$fake" &&
	    reply_is _http._tcp &&
	    complete_line "discoctl watch --color=never " \
		DISCO_SOCKET="$fake" && reply_is _http._tcp _ipp._tcp &&
	    complete_line "discoctl run -s $fake --name x --type " &&
	    reply_is _http._tcp _ipp._tcp
}
check "types for list -j <TAB>, pick, watch, run --type" ok_types

complete_line "discoctl -s $fake resolve "
cp "$tmp/reply" "$tmp/names"
check "resolve <TAB>: names with spaces and quotes, shell-quoted" \
    reply_has 'My\ Web' 'Printer\ \"2\"'
check "completing the name holding \$(touch ...) and \`touch ...\` ran nothing" \
    test ! -e "$tmp/pwned"

# Each entry as the shell reads it once inserted: one word, an instance's
# name; all the names, and nothing else the reply says "name" about.  And
# reading them runs nothing either.
printf '%s\0' 'My Web' 'Printer "2"' "\$(touch $tmp/pwned)
\`touch $tmp/pwned\`" "Back\\" "Tick'" 'Café 😀' | LC_ALL=C sort -z \
    >"$tmp/names.want"
: >"$tmp/names.got"
while IFS= read -r entry; do
	bash --norc --noprofile -c "set -- $entry; [ \$# = 1 ] &&
	    printf '%s\\0' \"\$1\"" >>"$tmp/names.got" ||
	    diag "not one word: $entry"
done <"$tmp/names"
LC_ALL=C sort -z -o "$tmp/names.got" "$tmp/names.got"
ok_read_back() {
	cmp "$tmp/names.want" "$tmp/names.got" && test ! -e "$tmp/pwned"
}
check "resolve <TAB>: the shell reads back each name, only names, runs none" \
    ok_read_back

ok_quoted() {
	complete_line "discoctl -s $fake resolve My\\ W" && reply_is 'My\ Web' &&
	    complete_line "discoctl -s $fake resolve Ti" && reply_is "Tick\\'"
}
check "resolve My\\ W<TAB>: the rest of the name, escaped" ok_quoted

ok_open_quote() {
	complete_line "discoctl -s $fake resolve 'My" && reply_is 'My Web' &&
	    complete_line "discoctl -s $fake resolve 'Ti" &&
	    reply_is "Tick'\\'" &&
	    complete_line "discoctl -s $fake resolve \"Pr" &&
	    reply_is 'Printer \"2\""'
}
check "resolve 'My<TAB>, \"Pr<TAB>: as the open quote wants" ok_open_quote

complete_line "discoctl -s $fake resolve 'My Web' "
check "resolve NAME <TAB>: the types" reply_is _http._tcp _ipp._tcp

start=$(date +%s)
complete_line "discoctl -s $hang list "
took=$(($(date +%s) - start))
diag "an agent that never answers: $took s"
ok_hang() {
	reply_is && test "$took" -le 5
}
check "an agent that never answers: nothing, within 5 s (-t 1000)" ok_hang

check "no completion wrote to standard error" test ! -s "$tmp/stderr"
[ -s "$tmp/stderr" ] && diag "$(cat "$tmp/stderr")"

# ---- Readline: TAB in an interactive bash, the line parsed by it.

: >"$tmp/typed"
PATH="$top_builddir/discoctl:$PATH" timeout 90 python3 "$helper" type \
    "$script" \
    "discoctl -s $fake resolve My	" \
    "discoctl -s $fake resolve 'Ti	" \
    "discoctl -s $fake resolve \"Pr	" \
    "discoctl -s $fake resolve \\\$	" \
    "discoctl pick _x._tcp --color=al	" >"$tmp/typed" 2>"$tmp/typed.err"
typed=()
while IFS= read -r -d '' w; do
	typed+=("$w")
done <"$tmp/typed"
diag "typed: $(printf '[%s] ' "${typed[@]}")"
check "readline: My<TAB> gives the word 'My Web'" \
    test "${typed[0]-}" = "My Web"
check "readline: 'Ti<TAB> gives Tick', \"Pr<TAB> gives Printer \"2\"" \
    test "${typed[1]-}" = "Tick'" -a "${typed[2]-}" = 'Printer "2"'
ok_hostile_typed() {
	test "${typed[3]-}" = "\$(touch $tmp/pwned)
\`touch $tmp/pwned\`" && test ! -e "$tmp/pwned"
}
check "readline: \\\$<TAB> gives the hostile name as it is, and runs nothing" \
    ok_hostile_typed
check "readline: --color=al<TAB> gives --color=always" \
    test "${typed[4]-}" = --color=always

# ---- discod stops.

stop "$publish_pid"
publish_pid=
stop "$discod_pid"
check "discod stops cleanly (exit 0)" test $? = 0
discod_pid=
