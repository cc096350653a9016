#!/bin/bash
# Kselftest (TAP, run in the VM by run-guest): what a user of `make install`
# does on a host with an IPU. Install into a scratch root, load the module
# with modprobe from there, start the scheduler with scx_ipuswap.service's
# own command line and flags file, run a workload under it, stop it,
# unload, uninstall; the scratch root is empty of files at the end.
set -uo pipefail

build=${IPUSWAP_BUILD:-build}
root=$(mktemp -d /tmp/ipuswap-root.XXXXXX)
krel=$(uname -r)
unit=$root/usr/local/lib/systemd/system/scx_ipuswap.service
n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else notok "$what"; fi; }
state() { cat /sys/kernel/sched_ext/state 2>/dev/null; }
wait_state() { # wait_state STATE SECS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(state)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

echo "TAP version 13"
echo "1..9"

[ ! -e /sys/module/ipuswap ] || rmmod ipuswap
make -s install DESTDIR="$root" O="$build" >/dev/null
check "make install DESTDIR puts module, programs and units in place" \
	test -e "$root/lib/modules/$krel/extra/ipuswap.ko" -a -x "$root/usr/local/sbin/scx_ipuswap" \
	-a -x "$root/usr/local/sbin/ipuswap-fw" -a -e "$unit" -a -e "$root/etc/default/scx_ipuswap"

depmod -b "$root" "$krel" 2>/dev/null
check "modprobe -d ROOT ipuswap loads the installed module and binds the IPU" \
	bash -c "modprobe -d '$root' ipuswap && test -e /sys/module/ipuswap &&
		ls /sys/bus/pci/drivers/ipuswap | grep -q :"

# The service's own command line: ExecStart with SCX_FLAGS from the defaults.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
cond=$(sed -n 's/^ConditionPathIsDirectory=//p' "$unit")
SCX_FLAGS=
# shellcheck disable=SC1091
. "$root/etc/default/scx_ipuswap"
cmdline=${exec_start//\$SCX_FLAGS/$SCX_FLAGS}
echo "# unit: $cmdline (condition: $cond)"
check "the unit's condition holds on a sched_ext kernel" test -d "$cond"

# The unit names /usr/local/sbin; in the scratch root it is under $root.
read -ra argv <<<"$cmdline"
argv[0]=$root${argv[0]}
"${argv[@]}" >/tmp/install-sched.log 2>&1 &
sched=$!
check "the unit's command line attaches the scheduler" wait_state enabled 60
ops=$(cat /sys/kernel/sched_ext/root/ops 2>/dev/null)
echo "# root/ops: $ops"
check "sched_ext runs ipuswap" test "${ops#ipuswap}" != "$ops"

check "hackbench completes under the installed scheduler" \
	hackbench -g 2 -l 200 -s 64 >/dev/null

kill -INT "$sched"
wait "$sched"
rc=$?
echo "# scheduler exit status $rc; its log:"
sed 's/^/#   /' /tmp/install-sched.log | tail -5
check "SIGINT stops the scheduler cleanly (status 0, sched_ext disabled)" \
	bash -c "[ $rc -eq 0 ] && [ \"\$(cat /sys/kernel/sched_ext/state)\" = disabled ]"

unload() { # the scheduler's programs drop their module reference after RCU
	local i
	for ((i = 0; i < 50; i++)); do
		modprobe -r -d "$root" ipuswap 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
check "modprobe -r unloads it" unload

make -s uninstall DESTDIR="$root" O="$build" >/dev/null
rm -f "$root/lib/modules/$krel"/modules.*	# depmod's, made above
left=$(find "$root" -type f)
[ -z "$left" ] || echo "# left behind: $left"
check "make uninstall leaves no file in the root" test -z "$left"
find "$root" -depth -type d -empty -delete

exit $failed
