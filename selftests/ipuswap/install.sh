#!/bin/bash
# Kselftest (TAP, run in the VM by run-guest): what a user of `make install`
# does on a host with an IPU. From an installed root ($IPUSWAP_INSTALL_ROOT,
# which scripts/run-tests fills with make install DESTDIR= and depmod -b
# before the VM boots, since every program costs ~0.5 s under TCG; without
# it this test installs into a scratch root itself and uninstalls after):
# load the module with modprobe from there, start the scheduler with
# scx_ipuswap.service's own command line and flags file, run a workload
# under it, stop it, unload.
set -uo pipefail

build=${IPUSWAP_BUILD:-build}
root=${IPUSWAP_INSTALL_ROOT:-}
krel=$(uname -r)
n=0 failed=0 own=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else notok "$what"; fi; }
wait_state() { # wait_state STATE SECS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(cat /sys/kernel/sched_ext/state 2>/dev/null)" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
unload() { # the scheduler's programs drop their module reference after RCU
	local i
	for ((i = 0; i < 50; i++)); do
		modprobe -r -d "$root" ipuswap 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

echo "TAP version 13"
if [ -z "$root" ]; then
	own=1
	root=$(mktemp -d /tmp/ipuswap-root.XXXXXX)
	check "make install DESTDIR=$root" make -s install DESTDIR="$root" O="$build"
	depmod -b "$root" "$krel" 2>/dev/null
fi
unit=$root/usr/local/lib/systemd/system/scx_ipuswap.service
echo "# installed root: $root"

[ ! -e /sys/module/ipuswap ] || rmmod ipuswap
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

# The unit names PREFIX/sbin; in the installed root it is under $root.
read -ra argv <<<"$cmdline"
argv[0]=$root${argv[0]}
log=$(mktemp /tmp/install-sched.XXXXXX)
"${argv[@]}" >"$log" 2>&1 &
sched=$!
check "the unit's command line attaches the scheduler" wait_state enabled 60
ops=$(cat /sys/kernel/sched_ext/root/ops 2>/dev/null)
echo "# root/ops: $ops"
check "sched_ext runs ipuswap" test "${ops#ipuswap}" != "$ops"
check "hackbench completes under the installed scheduler" \
	bash -c "hackbench -g 1 -l 50 >/dev/null"

kill -INT "$sched"
wait "$sched"
rc=$?
echo "# scheduler exit status $rc; its log:"
tail -5 "$log" | sed 's/^/#   /'
check "SIGINT stops the scheduler cleanly (status 0, sched_ext disabled)" \
	bash -c "[ $rc -eq 0 ] && [ \"\$(cat /sys/kernel/sched_ext/state)\" = disabled ]"
check "modprobe -r unloads it" unload

if [ $own -eq 1 ]; then
	make -s uninstall DESTDIR="$root" O="$build" >/dev/null
	rm -f "$root/lib/modules/$krel"/modules.*	# depmod's, made above
	left=$(find "$root" -type f)
	[ -z "$left" ] || echo "# left behind: $left"
	check "make uninstall leaves no file in the root" test -z "$left"
	find "$root" -depth -type d -empty -delete
fi
echo "1..$n"
exit $failed
