#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Bounded native-twin runs as TAP (about 20 s in all):
#   twin-check.sh /path/to/ipuswap-twin FIXED_SEED
# Every run prints its seed; rerun a failure with --seed N and the same flags.
twin=$1
fixed=${2:-20261125}
n=0
failed=0

[ -x "$twin" ] || { echo "twin-check: no twin at '$twin'" >&2; exit 2; }

# run NAME ARGS...: one TAP line; the twin's summary as a diagnostic.
run() {
	name=$1
	shift
	n=$((n + 1))
	out=$("$twin" "$@" 2>&1)
	rc=$?
	seed=$(printf '%s\n' "$out" | sed -n 's/^twin: seed=\([0-9]*\) steps=.*/\1/p')
	printf '%s\n' "$out" | grep -E '^twin: (seed=.*steps=|VIOLATION)' | sed 's/^/# /'
	if [ $rc -eq 0 ] && [ -n "$seed" ]; then
		echo "ok $n - $name (seed=$seed)"
	else
		printf '%s\n' "$out" | tail -n 30 | sed 's/^/#   /'
		echo "not ok $n - $name (seed=${seed:-?}, exit $rc)"
		failed=$((failed + 1))
	fi
}

echo "TAP version 13"
echo "1..6"
run "fixed seed, 0 us latency, bad attributes, rogue proposer" \
	--seed "$fixed" --duration 4 --pcie-read-ns 0 --pcie-atomic-ns 0 \
	--pcie-write-ns 0 --bad-attrs --chaos
run "random seed, 1 us read+atomic" \
	--duration 4 --pcie-read-ns 1000 --pcie-atomic-ns 1000
run "random seed, 4 CPUs, firmware stops dead at 1.5 s, host goes on" \
	--duration 4 --cpus 4 --tasks 48 --fw-stop-at 1.5
run "random seed, 4 CPUs, 2 fw threads, restarts every 0.25 s, rogue proposer" \
	--duration 3 --cpus 4 --fw-threads 2 --fw-restart-every 0.25 --bad-attrs --chaos
run "random seed, 8 CPUs, default model" \
	--duration 3 --cpus 8 --tasks 64

n=$((n + 1))
"$twin" --cpus 0 >/dev/null 2>&1
a=$?
"$twin" --bogus >/dev/null 2>&1
b=$?
"$twin" --fw-threads 3 --cpus 2 >/dev/null 2>&1
c=$?
if [ $a -eq 2 ] && [ $b -eq 2 ] && [ $c -eq 2 ]; then
	echo "ok $n - bad flags exit 2"
else
	echo "not ok $n - bad flags exit 2 (got $a $b $c)"
	failed=$((failed + 1))
fi
[ $failed -eq 0 ]
