#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Write the committed seed corpus (corpus/NAME/*): a few inputs per harness
# that walk the protocol's legal paths, so fuzzing starts from them rather
# than from nothing. Byte meanings: the harness's LLVMFuzzerTestOneInput.
set -eu
cd "$(dirname "$0")"
seed() {	# seed NAME FILE HEXBYTES...
	mkdir -p "corpus/$1"
	local f=corpus/$1/$2
	shift 2
	printf "$(printf '\\x%s' "$@")" >"$f"
}

# hdr: a valid 64 KiB header (2 CPUs, SCHED), then one restarting and one
# harmless later change; a raw header; a 1 GiB window.
seed hdr valid 03 00 02 00 02 00 00 00 00 00 00
seed hdr restart 03 00 02 00 02 00 00 00 00 01 8c 05
seed hdr noop 03 00 02 00 02 00 00 00 00 01 80 07
seed hdr big 03 0e 02 01 00 10 00 00 00 00 00
seed hdr raw 00 53 57 41 50 02 00 00 00 00 00 01 00 00 00 00 00 00 10 00 00 02 00 00 00

# host (2 CPUs): create, enqueue, firmware stage+propose, dispatch (take),
# stop; the same with a self-serve; a forged home word over a queued task.
seed host take 01 00  01 00 00 00 ff 00  01 00 00 02 01  00 00 01 00  01 00 01 03 00 00  01 00 01 05
seed host self 01 00  01 00 00 00 ff 00  01 00 00 02 00  01 00 01 03 00 00  01 00 00 04
seed host forged 01 00  01 00 00 00 ff 00  01 00 00 02 00  00 00 00 02 09 03 00  01 00 01 03 00 01

# host: the lie families of --fault hostile (fw_hostile.c) as fw_op forgeries
# over a created, enqueued slot 0: COMMIT over QUEUED; PROPOSE for CPU 1,
# which the task (CPU 0 only) may not use, with no cell; a version rolled
# back, and one jumped; a cell PROPOSE at a version the home word never
# had; a HOST forged over COMMIT (a stop the host never did), then its
# stop and enqueue.
seed host hostile-forge-commit 01 00  01 00 00 00 ff 00  01 00 00 02 01  00 00 00 02 0a 00 01  01 00 01 03 00 00  01 00 00 03 00 00
seed host hostile-propose-disallowed 01 00  01 00 00 00 01 00  01 00 00 02 00  00 00 00 02 15 01 01  01 00 01 03 00 00  01 00 00 03 00 00
seed host hostile-rollback 01 00  01 00 00 00 ff 00  01 00 00 02 01  00 00 00 02 08 03 02  01 00 00 03 00 00
seed host hostile-jump 01 00  01 00 00 00 ff 00  01 00 00 02 01  00 00 00 02 08 03 04 00 00 00 40  01 00 00 03 00 00
seed host hostile-cell-version 01 00  01 00 00 00 ff 00  01 00 00 02 01  00 00 01 00  00 00 00 03 01 00 01  01 00 00 03 00 00  01 00 01 03 00 00
seed host hostile-forged-stop 01 00  01 00 00 00 ff 00  01 00 00 02 01  01 00 00 03 00 00  00 00 00 02 0d 03 01  01 00 00 05  01 00 00 02 01  01 00 00 03 00 00

# sched (2 CPUs): two queued tasks, empty cells; steps, a host take, steps.
seed sched queued 01 00 01 02  0a 03 00 02 00 00  0a 03 00 02 00 00  00 00 00 00 00 00  07  78 04 00 78 04 01 78
seed sched propose 01 00 01 01  0b 04 00 00 02 00 00  01 00 00 00  07  78 03 00 00 00 78
seed sched restart 01 00 01 01  0a 03 00 02 00 00  00 00 00 00 00 00  07  78 05 00 78

# fito (1 CPU, then prestage+prefetch): runnable events, steps, answers.
seed fito idle 00 00 00 01 00  02 00 01 03 01 00 00  02 00 06 00 00 00 00  38 05 00 00 38
seed fito prestage 00 00 06 01 00  0a 00 01 03 01 00 00 00 01 04 02 00 00  38 05 00 01 38
seed fito reattach 00 00 06 01 00  02 00 01 03 01 00 00  38 06 00 38
