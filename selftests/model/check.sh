#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Run the spin checks of ipuswap.pml and print one TAP line per check.
#
#   check.sh OUTDIR [JOBS]
#
# Every generated file (pan.c, pan, pan.log, trails) goes to OUTDIR/<check>/.
# Environment: SPIN, CC, MEMLIM (MB per pan, default 4096), EXTRA (extra -D
# flags for every check, e.g. EXTRA=-DN_CPUS=3), ONLY (a regexp of check
# names to run, e.g. ONLY='safety|fito'), SKIP (a regexp of check names not
# to run; make check skips the three longest, make check-full none).
set -u

here=$(cd "$(dirname "$0")" && pwd)
O=${1:?usage: check.sh OUTDIR [JOBS]}
JOBS=${2:-2}
SPIN=${SPIN:-spin}
CC=${CC:-gcc}
MEMLIM=${MEMLIM:-4096}
EXTRA=${EXTRA:-}
ONLY=${ONLY:-.}
SKIP=${SKIP:-}

# name | kind | expect | -D flags | pan flags | what
#   kind: safety (exhaustive DFS, assertions + end states), bfs (breadth
#   first: the shortest counterexample), live (LTL claim, weak fairness)
#   expect: pass (errors: 0) or fail (errors > 0: the model can fail)
# Longest first, so that the parallel runs finish together.
checks=(
"safety-3t|safety|pass|-DN_TASKS=3 -DEVENTS=1 -DDECLINES=0||safety, 3 tasks 2 CPUs, 1 host event"
"safety-2t|safety|pass|-DN_TASKS=2 -DEVENTS=1 -DDECLINES=1||safety, 2 tasks 2 CPUs, 1 host event, 1 decline"
"progress|live|pass|-DN_TASKS=2 -DEVENTS=1 -DDECLINES=0|-N host_progress|progress of the host once the firmware stops (LTL, weak fairness), 2 tasks, 1 host event"
"safety-attrs|safety|pass|-DN_TASKS=2 -DEVENTS=1 -DDECLINES=0 -DATTRS||safety with allowed-CPU masks, 2 tasks, 1 host event"
"safety-two-fw|safety|pass|-DN_FW=2 -DN_TASKS=2 -DEVENTS=0 -DDECLINES=0||safety with two firmware engines in flight, 2 tasks"
"safety-3t-decline|safety|pass|-DN_TASKS=3 -DEVENTS=0 -DDECLINES=1||safety, 3 tasks 2 CPUs, 1 decline"
"safety-split|safety|pass|-DN_TASKS=2 -DEVENTS=1 -DDECLINES=0 -DSPLIT_HOST -DFULL_ANSWERS||safety, every host load split from its CAS, full cell answers, 2 tasks, 1 host event"
"progress-any-fw|live|pass|-DN_TASKS=2 -DEVENTS=0 -DDECLINES=1|-N progress_any_fw|progress of the host, firmware running or stopped (LTL, weak fairness), 2 tasks, 1 decline"
"progress-3t|live|pass|-DN_TASKS=3 -DEVENTS=0 -DDECLINES=0|-N host_progress|progress of the host once the firmware stops (LTL, weak fairness), 3 tasks"
"idle-kick|live|pass|-DIDLE_SLEEP -DKICK_PROPOSED -DN_TASKS=2 -DEVENTS=0 -DDECLINES=1|-N host_progress|progress with sleeping idle CPUs when a CPU leaving a task to another CPU kicks it (LTL, weak fairness), 2 tasks, 1 decline"
"fito-two-cpus|bfs|fail|-DFITO_BROKEN -DN_TASKS=3 -DEVENTS=0 -DDECLINES=0||FITO variant (decision enforced without the version check) must fail"
"fito-retracted|bfs|fail|-DFITO_BROKEN -DN_TASKS=3 -DEVENTS=1 -DDECLINES=0||FITO variant with host events must fail"
"attr-first|bfs|fail|-DATTRS -DFW_ATTR_FIRST -DN_TASKS=2 -DEVENTS=1 -DDECLINES=0||firmware reading attributes before the home word must fail"
"host-waits|live|fail|-DHOST_WAITS -DN_TASKS=2 -DEVENTS=0 -DDECLINES=0|-N host_progress|host that waits for the firmware's proposal must fail progress"
"idle-no-kick|live|fail|-DIDLE_SLEEP -DFW_DOORBELL -DN_TASKS=1 -DEVENTS=1 -DDECLINES=0|-N host_progress|sleeping idle CPUs, task left to the CPU it is proposed for, no kick (kmod/bpf policy) must fail progress"
"take-no-version|bfs|fail|-DTAKE_NO_VERSION -DN_TASKS=2 -DEVENTS=1 -DDECLINES=1||take without its version compare must fail invariant 3"
"answer-retry|bfs|fail|-DANSWER_RETRY -DN_TASKS=2 -DEVENTS=1 -DDECLINES=1||host retrying a failed cell answer must fail"
)

mkdir -p "$O" || exit 1
O=$(cd "$O" && pwd)

# Two runs on the same OUTDIR would delete each other's files: take turns.
exec 9>"$O/.lock"
if command -v flock >/dev/null && ! flock -n 9; then
	echo "# waiting for another model check using $O" >&2
	flock 9
fi

run_one() {
	local name kind expect defs panargs what d cflags pflags t0 t1
	IFS='|' read -r name kind expect defs panargs what <<<"$1"
	d=$O/$name
	rm -rf "$d"
	mkdir -p "$d"
	cp "$here/ipuswap.pml" "$d/"
	cd "$d" || return
	t0=$(date +%s.%N)
	case $kind in
	# bfs checks find a short counterexample in a few thousand states:
	# compiling pan.c optimised would take longer than the search
	safety)	cflags="-O2 -DSAFETY";		pflags="-m100000" ;;
	bfs)	cflags="-O0 -DSAFETY -DBFS";	pflags="" ;;
	live)	cflags="-O2 -DNFAIR=3";		pflags="-a -f -m200000" ;;
	esac
	[ "$kind" = live ] && defs="-DLIVE $defs"
	# a must-fail check stops at its first counterexample: no need to
	# optimise pan
	[ "$expect" = fail ] && cflags="-O0 ${cflags#-O2 }"
	echo "$SPIN -a $defs $EXTRA ipuswap.pml" >cmd
	if ! $SPIN -a $defs $EXTRA ipuswap.pml >spin.log 2>&1; then
		echo "spin -a failed" >failure
		return
	fi
	echo "$CC -w $cflags -DMEMLIM=$MEMLIM -o pan pan.c" >>cmd
	if ! $CC -w $cflags -DMEMLIM=$MEMLIM -o pan pan.c >cc.log 2>&1; then
		echo "cc failed" >failure
		return
	fi
	echo "./pan $pflags $panargs" >>cmd
	./pan $pflags $panargs >pan.log 2>&1
	if ls ./*.trail >/dev/null 2>&1; then
		# the counterexample, narrated by the model's printf()s
		$SPIN -t -T $defs $EXTRA ipuswap.pml >trail.txt 2>&1
	fi
	t1=$(date +%s.%N)
	echo "$t0 $t1" | awk '{ printf "%.1f\n", $2 - $1 }' >seconds
}

# a small pool of JOBS parallel runs
selected=()
for c in "${checks[@]}"; do
	name=${c%%|*}
	[[ $name =~ $ONLY ]] || continue
	[ -n "$SKIP" ] && [[ $name =~ $SKIP ]] && continue
	selected+=("$c")
done
start=$(date +%s.%N)
for c in "${selected[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
		wait -n
	done
	run_one "$c" &
done
wait
end=$(date +%s.%N)

echo "1..${#selected[@]}"
n=0
bad=0
for c in "${selected[@]}"; do
	IFS='|' read -r name kind expect defs panargs what <<<"$c"
	n=$((n + 1))
	d=$O/$name
	log=$d/pan.log
	if [ -f "$d/failure" ] || [ ! -f "$log" ]; then
		echo "not ok $n - model: $what: $(cat "$d/failure" 2>/dev/null || echo 'no output')"
		bad=$((bad + 1))
		continue
	fi
	errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$log" | head -1)
	states=$(awk '/states, stored/ { print $1; exit }' "$log")
	trans=$(awk '/ transitions \(= / { print $1; exit }' "$log")
	depth=$(sed -n 's/.*depth reached \([0-9]*\),.*/\1/p' "$log" | head -1)
	mem=$(awk '/total actual memory usage/ { print $1; exit }' "$log")
	first=$(grep -m1 '^pan:1:' "$log" | sed 's/^pan:1: //; s/ (at depth [0-9]*)//')
	incomplete=$(grep -E 'max search depth too small|reached -DMEMLIM bound|out of memory' "$log" | head -1)
	[ -z "$errors" ] && errors=unknown
	if [ "$expect" = pass ]; then
		if [ "$errors" = 0 ] && [ -z "$incomplete" ]; then
			echo "ok $n - model: $what: $states states, 0 errors"
		else
			echo "not ok $n - model: $what: $states states, errors: $errors${first:+ ($first)}${incomplete:+ [$incomplete]}"
			bad=$((bad + 1))
		fi
	else
		if [ "$errors" != unknown ] && [ "$errors" -gt 0 ]; then
			echo "ok $n - model: $what: $errors error(s): $first"
		else
			echo "not ok $n - model: $what: spin found no error, so this check shows nothing"
			bad=$((bad + 1))
		fi
	fi
	echo "#   ${defs}${panargs:+, pan $panargs}: states stored $states, transitions $trans, depth $depth, memory ${mem} MB, $(cat "$d/seconds" 2>/dev/null) s"
	if [ "$expect" = fail ] && [ -f "$d/trail.txt" ]; then
		echo "#   counterexample ($d/trail.txt):"
		grep -E '^(cpu[0-9]+|fw): |START OF CYCLE|assertion violated' "$d/trail.txt" |
			head -40 | sed 's/^/#     /'
	fi
done
echo "# $((n - bad))/$n model checks passed in $(echo "$start $end" | awk '{ printf "%.0f", $2 - $1 }') s (JOBS=$JOBS, outputs in $O)"
[ "$bad" -eq 0 ]
