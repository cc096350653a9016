#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Run each libFuzzer harness for SECS seconds and print one TAP line per
# harness: executions, coverage (cov/ft of libFuzzer's last status line)
# and crashes. The corpus each run grows lives in OUT/corpus/NAME, seeded
# from the committed fuzz/corpus/NAME; crash inputs go to OUT/crashes/.
#
#   run.sh OUT SECS NAME...     (FUZZ_SEED=N: libFuzzer's -seed, for replay)
set -u
out=$1 secs=$2
shift 2
src=$(cd "$(dirname "$0")" && pwd)

echo "TAP version 13"
echo "1..$#"
n=0 rc=0
for name in "$@"; do
	n=$((n + 1))
	bin=$out/fuzz_$name corpus=$out/corpus/$name log=$out/fuzz_$name.log
	mkdir -p "$corpus" "$out/crashes"
	# -fork would survive a crash; one process keeps the figures simple.
	"$bin" -max_total_time="$secs" -max_len=4096 -print_final_stats=1 ${FUZZ_SEED:+-seed=$FUZZ_SEED} \
		-artifact_prefix="$out/crashes/$name-" "$corpus" "$src/corpus/$name" \
		>"$log" 2>&1
	status=$?
	execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
	crashes=$(grep -c "^Test unit written to\|^artifact_prefix=.*Test unit written" "$log")
	line="fuzz_$name: ${execs:-0} executions in ${secs} s, cov ${cov:-?} ft ${ft:-?}, $crashes crashes"
	if [ "$status" -eq 0 ] && [ "$crashes" -eq 0 ]; then
		echo "ok $n - $line"
	else
		echo "not ok $n - $line (exit $status; see $log)"
		grep -m3 -E '^fuzz invariant:|ERROR: |runtime error:' "$log" | sed 's/^/# /'
		rc=1
	fi
done
exit $rc
