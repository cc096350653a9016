// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness: the swap engine (fw_sched, through fw_sched_engine,
 * its fw_engine.h ops table) fed a window the fuzzer fills: header fields,
 * home words, weights, CPU masks and cells, rewritten between steps by a
 * host that may lie too, with header changes that restart the engine.
 *
 * Invariants, checked on every step against the window as it was before:
 * no access outside the window (ASan: the window is a heap block of
 * exactly its size); the engine writes only what it owns (home words,
 * decision words, fw_vtime); every home word it changes moved by firmware
 * transitions (stage, decline) from a valid QUEUED or PROPOSE word, and
 * every cell by propose or withdraw from a valid word.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "fuzz.h"
#include "ipuswap_swap.h"
#include "fw_engine.h"
#include "fw_sched.h"

#define MAX_STEPS	256

static const struct fw_engine_ops *ops = &fw_sched_engine;
static uint8_t before[FUZZ_WIN] __attribute__((aligned(64)));
static size_t span;	/* bytes of the window compared per step */

/* QUEUED/PROPOSE -> new by 1..3 stages and declines (they alternate). */
static bool fw_moved(__u64 old, __u64 new, __u32 nr_cpus)
{
	__u32 d = IPUSWAP_HOME_VER(new) - IPUSWAP_HOME_VER(old);
	__u8 os = IPUSWAP_HOME_STATE(old), ns = IPUSWAP_HOME_STATE(new);

	if (!ipuswap_home_valid(old, nr_cpus) || !ipuswap_home_valid(new, nr_cpus))
		return false;
	if (d < 1 || d > 3 || IPUSWAP_HOME_OWNER(new) != IPUSWAP_OWNER_FW)
		return false;
	if (os != IPUSWAP_TASK_QUEUED && os != IPUSWAP_TASK_PROPOSE)
		return false;
	if (ns != (d % 2 ? (os == IPUSWAP_TASK_QUEUED ? IPUSWAP_TASK_PROPOSE :
			     IPUSWAP_TASK_QUEUED) : os))
		return false;
	/* One decline keeps the proposed CPU; a stage names any CPU. */
	if (d == 1 && os == IPUSWAP_TASK_PROPOSE)
		return IPUSWAP_HOME_LOC(new) == IPUSWAP_HOME_LOC(old);
	return ns == IPUSWAP_TASK_PROPOSE || IPUSWAP_HOME_LOC(new) < nr_cpus;
}

/*
 * A stage happened unless the move was one decline: then the task it
 * staged last (to the CPU the word names now) had a valid weight and
 * allowed that CPU, as the window said (the harness never rewrites them).
 */
static void staged(__u64 old, __u64 new, const struct ipuswap_task *t,
		   const struct ipuswap_layout *l)
{
	__u32 cpu = IPUSWAP_HOME_LOC(new);

	if (IPUSWAP_HOME_VER(new) - IPUSWAP_HOME_VER(old) == 1 &&
	    IPUSWAP_HOME_STATE(old) == IPUSWAP_TASK_PROPOSE)
		return;
	FUZZ_CHECK(t->weight >= FW_SCHED_WEIGHT_MIN && t->weight <= FW_SCHED_WEIGHT_MAX,
		   "staged a task of weight %u", t->weight);
	FUZZ_CHECK(cpu / 64 < l->cpu_words && t->cpus[cpu / 64] >> cpu % 64 & 1,
		   "staged a task for CPU %u outside its mask %#llx", cpu,
		   (unsigned long long)t->cpus[0]);
}

/* Cell: withdraw (PROPOSE -> EMPTY) and propose (any valid but PROPOSE). */
static bool cell_moved(__u64 old, __u64 new, __u32 nr_tasks)
{
	if (!ipuswap_cell_valid(old, nr_tasks))
		return false;
	if (new == IPUSWAP_CELL(IPUSWAP_CELL_EMPTY, IPUSWAP_OK, 0, 0))
		return IPUSWAP_CELL_STATE(old) == IPUSWAP_CELL_PROPOSE;
	return IPUSWAP_CELL_STATE(new) == IPUSWAP_CELL_PROPOSE &&
	       ipuswap_cell_valid(new, nr_tasks);
}

static FUZZ_NOCOV void check_step(const void *win, const struct ipuswap_layout *l)
{
	const __u64 *a = (const __u64 *)before, *b = win;
	__u64 cells = l->cells_offset, tasks = l->tasks_offset;
	__u64 end = tasks + (__u64)l->nr_tasks * l->task_stride;
	size_t i;

	for (i = 0; i < span / 8; i++) {
		__u64 off = 8 * i, rel;

		if (i % 32 == 0 && !fuzz_chunk_differs(a, b, off)) {
			i += 31;
			continue;
		}
		if (a[i] == b[i])
			continue;
		if (off >= cells && off < tasks && (off - cells) % IPUSWAP_CACHELINE == 0) {
			FUZZ_CHECK(cell_moved(a[i], b[i], l->nr_tasks),
				   "cell %llu: %#llx -> %#llx", (off - cells) / 64,
				   (unsigned long long)a[i], (unsigned long long)b[i]);
			continue;
		}
		FUZZ_CHECK(off >= tasks && off < end, "engine wrote %#llx outside its fields",
			   (unsigned long long)off);
		rel = (off - tasks) % l->task_stride;
		if (rel == offsetof(struct ipuswap_task, fw_vtime))
			continue;
		FUZZ_CHECK(rel == 0 && fw_moved(a[i], b[i], l->nr_cpus),
			   "task %llu +%llu: %#llx -> %#llx", (off - tasks) / l->task_stride, rel,
			   (unsigned long long)a[i], (unsigned long long)b[i]);
		staged(a[i], b[i], (const struct ipuswap_task *)(before + off), l);
	}
}

/* Weights: the bounds, one past them, or anything. */
static __u32 fz_weight(struct fz *f)
{
	static const __u32 w[] = { 0, 1, 100, 10000, 10001 };
	uint8_t s = fz_u8(f);

	return s < 5 * 40 ? w[s % 5] : fz_u32(f);
}

static void poke_header(struct ipuswap_window_hdr *h, struct fz *f)
{
	switch (fz_u8(f) % 4) {
	case 0:
		h->host_attach_seq++;
		break;
	case 1:
		h->host_nr_cpus = fz_u8(f) % 10;
		break;
	case 2:
		h->host_proto = fz_u8(f) % 3;
		break;
	default:
		((uint8_t *)h)[fz_u8(f) % sizeof(*h)] = fz_u8(f);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipuswap_window_hdr *h = fuzz_window();
	enum fw_sched_hdr_err err;
	struct fz f = { data, size };
	__u32 nr_cpus = 1 + fz_u8(&f) % 8, nt, i, steps = 0;
	const struct ipuswap_layout *l;
	struct ipuswap_layout hl;
	struct fw_pcie p;
	void *e = NULL;
	__u64 stride;

	stride = (32 + 8 * ((nr_cpus + 63) / 64) + 63) / 64 * 64;
	fuzz_attached(h, IPUSWAP_PROTO_SWAP, nr_cpus,
		      64ULL * nr_cpus + (64 + fz_u8(&f) % 64) * stride);
	if (fz_u8(&f) % 8 == 0)
		poke_header(h, &f);
	/* The window as the fuzzer wants it, by the layout the header implies. */
	if (ipuswap_hdr_check(h, FUZZ_WIN) == IPUSWAP_HF_OK &&
	    !ipuswap_layout(h->region_offset, h->region_size, nr_cpus, &hl)) {
		nt = fz_u8(&f) % 17;
		for (i = 0; i < hl.nr_tasks; i++) {
			struct ipuswap_task *t = ipuswap_task_at(h, &hl, i);

			t->home = IPUSWAP_HOME(IPUSWAP_TASK_FREE, IPUSWAP_OWNER_NONE,
					       IPUSWAP_LOC_NONE, 0);
			if (i >= nt)
				continue;
			t->home = fz_home(&f, t->home, nr_cpus);
			t->weight = fz_weight(&f);
			t->cpus[0] = fz_u8(&f) & 1 ? fz_u64(&f) : ~0ULL;
			t->fw_vtime = fz_u8(&f) & 1 ? fz_u64(&f) : 0;
		}
		for (i = 0; i < nr_cpus; i++)
			ipuswap_cell_at(h, &hl, i)->decision = fz_cell(&f, 0, hl.nr_tasks);
	}
	fuzz_pcie(&p, 1 + fz_u8(&f) % 32);
	if (ops->create(&e, h, FUZZ_WIN, &p, &err))
		return 0;
	l = fw_sched_layout(e);
	span = fuzz_span(0, l->tasks_offset + (__u64)l->nr_tasks * l->task_stride);
	while (steps < MAX_STEPS) {
		uint8_t op = fz_u8(&f);
		__u32 k, idx, cpu;
		int rc = 0;

		if (!fz_more(&f))
			op = 0;		/* the rest of the budget: just step */
		switch (op % 6) {
		case 0:
		case 1:
			for (k = 1 + op / 8 % 16; k && steps < MAX_STEPS; k--, steps++) {
				memcpy(before, h, span);
				rc = ops->step(e);
				FUZZ_CHECK(rc == 0 || rc == 1 || rc == -ESTALE, "step returned %d", rc);
				if (rc == -ESTALE)
					break;
				check_step(h, l);
			}
			break;
		case 2:
			idx = fz_u8(&f) % 16 % l->nr_tasks;
			ipuswap_task_at(h, l, idx)->home =
				fz_home(&f, ipuswap_task_at(h, l, idx)->home, l->nr_cpus);
			break;
		case 3:
			cpu = fz_u8(&f) % l->nr_cpus;
			ipuswap_cell_at(h, l, cpu)->decision =
				fz_cell(&f, ipuswap_cell_at(h, l, cpu)->decision, l->nr_tasks);
			break;
		case 4: {	/* a host CPU takes what its cell proposes, as the host does */
			__u64 cw, seen;

			cpu = fz_u8(&f) % l->nr_cpus;
			cw = ipuswap_cell_at(h, l, cpu)->decision;
			if (IPUSWAP_CELL_STATE(cw) != IPUSWAP_CELL_PROPOSE ||
			    IPUSWAP_CELL_IDX(cw) >= l->nr_tasks)
				break;
			idx = IPUSWAP_CELL_IDX(cw);
			seen = ipuswap_task_at(h, l, idx)->home;
			ipuswap_cell_answer(&ipuswap_cell_at(h, l, cpu)->decision, &cw, l->nr_tasks,
					    ipuswap_home_take(&ipuswap_task_at(h, l, idx)->home,
							      &seen, l->nr_cpus, cpu,
							      IPUSWAP_CELL_VER(cw)));
			break;
		}
		default:
			poke_header(h, &f);
			break;
		}
		if (rc == -ESTALE) {
			ops->destroy(e);
			e = NULL;
			fuzz_pcie(&p, 1 + fz_u8(&f) % 32);
			if (ops->create(&e, h, FUZZ_WIN, &p, &err))
				break;
			l = fw_sched_layout(e);
			span = fuzz_span(span, l->tasks_offset +
					 (__u64)l->nr_tasks * l->task_stride);
		}
	}
	ops->destroy(e);
	FUZZ_CHECK(fuzz_zero_from(h, span), "a write past the region (%zu B)", span);
	return 0;
}
