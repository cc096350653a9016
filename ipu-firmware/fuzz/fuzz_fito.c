// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness: the FITO engine (fw_fito, through fw_fito_engine, its
 * fw_engine.h ops table) and its ring consumer. The fuzzer is the host: it
 * posts events to the per-CPU rings (mostly with the seq the consumer
 * expects, so it gets past that check; sometimes a wrong one, a torn or
 * garbage entry), answers or overwrites transaction slots, changes the
 * mitigation switches and the header (the engine restarts).
 *
 * Invariants, checked on every step against the window before it: no
 * access outside the window (ASan); the engine writes only what it owns
 * (decision and fito_gen of a cell, fw_tail of a ring); fw_tail only
 * advances, and only over entries whose seq was their position + 1; a
 * decision is PROPOSE(reason 0) of a slot in the table, written only over
 * a slot that did not hold a PROPOSE.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "fuzz.h"
#include "ipuswap_swap.h"
#include "fw_engine.h"
#include "fw_fito.h"

#define MAX_CPUS	4	/* four rings (8 KiB each) and 64+ tasks fit 64 KiB */
#define MAX_STEPS	256
#define RING		IPUSWAP_FITO_RING_SLOTS

static const struct fw_engine_ops *ops = &fw_fito_engine;
static uint8_t before[FUZZ_WIN] __attribute__((aligned(64)));
static size_t span;	/* bytes of the window compared per step */

struct fito_host {
	struct ipuswap_window_hdr *h;
	struct ipuswap_layout l;
	__u64 rings;
	__u32 nr_cpus;
	__u64 head[MAX_CPUS];	/* events posted per ring */
	__u64 tail[MAX_CPUS];	/* the engine's fw_tail as it last wrote it */
};

static struct ipuswap_fito_ring *ring(struct fito_host *x, __u32 cpu)
{
	return ipuswap_fito_ring_at(x->h, x->rings, cpu);
}

static FUZZ_NOCOV void check_step(struct fito_host *x)
{
	const uint8_t *w = (const uint8_t *)x->h;
	__u64 cells = x->l.cells_offset, rings_end = cells, cells_end = x->l.tasks_offset;
	__u64 off;

	for (off = 0; off < span; off += 8) {
		__u64 a, b;

		if (off % 256 == 0 && !fuzz_chunk_differs(before, w, off)) {
			off += 248;
			continue;
		}
		memcpy(&a, before + off, 8);
		memcpy(&b, w + off, 8);
		if (a == b)
			continue;
		if (off >= x->rings && off < rings_end) {
			__u64 rel = (off - x->rings) % sizeof(struct ipuswap_fito_ring);
			__u32 cpu = (__u32)((off - x->rings) / sizeof(struct ipuswap_fito_ring)), i;
			const struct ipuswap_fito_ring *r = (const void *)(before + off - rel);

			FUZZ_CHECK(rel == offsetof(struct ipuswap_fito_ring, fw_tail),
				   "engine wrote ring %u +%llu", cpu, rel);
			FUZZ_CHECK(b > x->tail[cpu] && b - x->tail[cpu] <= 2 * RING,
				   "ring %u fw_tail %llu -> %llu", cpu, x->tail[cpu], b);
			for (i = 0; x->tail[cpu] + i < b; i++) {
				__u64 pos = x->tail[cpu] + i;

				FUZZ_CHECK(r->ev[pos % RING].seq == (__u32)(pos + 1),
					   "ring %u: consumed position %llu holding seq %u", cpu,
					   pos, r->ev[pos % RING].seq);
			}
			x->tail[cpu] = b;
			continue;
		}
		FUZZ_CHECK(off >= cells && off < cells_end, "engine wrote %#llx outside its fields",
			   off);
		switch ((off - cells) % IPUSWAP_CACHELINE) {
		case offsetof(struct ipuswap_cpu_cell, decision):
			FUZZ_CHECK(IPUSWAP_CELL_STATE(a) != IPUSWAP_CELL_PROPOSE &&
				   IPUSWAP_CELL_STATE(b) == IPUSWAP_CELL_PROPOSE &&
				   IPUSWAP_CELL_REASON(b) == IPUSWAP_OK &&
				   IPUSWAP_CELL_IDX(b) < x->l.nr_tasks,
				   "slot %llu: %#llx -> %#llx", (off - cells) / 64, a, b);
			break;
		case offsetof(struct ipuswap_cpu_cell, fito_gen):
			break;
		default:
			FUZZ_CHECK(0, "engine wrote cell %llu +%llu", (off - cells) / 64,
				   (off - cells) % 64);
		}
	}
}

/* One event at the ring's head, published by its seq (written last). */
static void post(struct fito_host *x, struct fz *f)
{
	__u32 cpu = fz_u8(f) % x->nr_cpus;
	uint8_t sel = fz_u8(f);
	struct ipuswap_fito_event ev = {
		.type = sel % 8,
		.flags = sel & 8 ? IPUSWAP_EV_F_RUNNABLE : 0,
		.idx = sel & 16 ? fz_loc(f, x->l.nr_tasks) : fz_u8(f) % 16,
		.barrier = fz_u8(f),
		.weight = sel & 32 ? fz_u32(f) : 100,
		.cpu = fz_loc(f, x->nr_cpus),
		.cpus = sel & 64 ? fz_u64(f) : ~0ULL,
	};
	__u64 pos = x->head[cpu];
	uint8_t how = fz_u8(f);

	/* A real host never overwrites what was not consumed; a liar may. */
	if (pos - x->tail[cpu] >= RING && how % 16)
		return;
	ev.seq = how % 16 == 1 ? fz_u32(f) : (__u32)(pos + 1);
	ring(x, cpu)->ev[pos % RING] = ev;
	if (how % 16 != 1)
		x->head[cpu]++;
}

/* The host answers a slot (commit or abort) or writes anything into it. */
static void answer(struct fito_host *x, struct fz *f)
{
	__u64 *slot = &ipuswap_cell_at(x->h, &x->l, fz_u8(f) % x->nr_cpus)->decision;
	__u64 w = *slot;

	switch (fz_u8(f) % 3) {
	case 0:
		if (IPUSWAP_CELL_STATE(w) == IPUSWAP_CELL_PROPOSE)
			*slot = IPUSWAP_CELL(IPUSWAP_CELL_COMMIT, 0, IPUSWAP_CELL_IDX(w),
					     IPUSWAP_CELL_VER(w));
		break;
	case 1:
		if (IPUSWAP_CELL_STATE(w) == IPUSWAP_CELL_PROPOSE)
			*slot = IPUSWAP_CELL(IPUSWAP_CELL_ABORT, IPUSWAP_R_TARGET_STALE,
					     IPUSWAP_CELL_IDX(w), IPUSWAP_CELL_VER(w));
		break;
	default:
		*slot = fz_cell(f, w, x->l.nr_tasks);
		break;
	}
}

/* Lay out the FITO region the header describes; false if it has none. */
static bool setup(struct fito_host *x)
{
	__u32 n = x->h->host_nr_cpus;

	memset(x->head, 0, sizeof(x->head));
	memset(x->tail, 0, sizeof(x->tail));
	if (n == 0 || n > MAX_CPUS || ipuswap_hdr_check(x->h, FUZZ_WIN) != IPUSWAP_HF_OK)
		return false;
	x->nr_cpus = n;
	return !ipuswap_fito_layout(x->h->region_offset, x->h->region_size, n, &x->rings, &x->l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fito_host x = { .h = fuzz_window() };
	struct fz f = { data, size };
	__u32 nr_cpus = 1 + fz_u8(&f) % MAX_CPUS, steps = 0, i;
	enum fw_sched_hdr_err err;
	struct fw_pcie p;
	void *e = NULL;
	__u64 stride;

	stride = (32 + 8 * ((nr_cpus + 63) / 64) + 63) / 64 * 64;
	fuzz_attached(x.h, IPUSWAP_PROTO_FITO, nr_cpus,
		      nr_cpus * (sizeof(struct ipuswap_fito_ring) + 64) +
		      (64 + fz_u8(&f) % 32) * stride);
	x.h->host_fito_flags = fz_u8(&f);
	if (fz_u8(&f) % 8 == 0)
		((uint8_t *)x.h)[fz_u8(&f) % sizeof(*x.h)] = fz_u8(&f);
	if (!setup(&x))
		return 0;
	/* Garbage the host left in the rings and slots before it attached. */
	for (i = fz_u8(&f) % 8; i; i--) {
		__u64 off = x.rings + fz_u16(&f) % (x.l.tasks_offset - x.rings);

		*(__u64 *)((char *)x.h + (off & ~7ULL)) = fz_u64(&f);
	}
	fuzz_pcie(&p, 1);
	if (ops->create(&e, x.h, FUZZ_WIN, &p, &err))
		return 0;
	span = fuzz_span(0, x.l.tasks_offset + (__u64)x.l.nr_tasks * x.l.task_stride);
	while (steps < MAX_STEPS) {
		uint8_t op = fz_u8(&f);
		__u32 k;
		int rc = 0;

		if (!fz_more(&f))
			op = 0;
		switch (op % 8) {
		case 0:
		case 1:
			for (k = 1 + op / 8 % 8; k && steps < MAX_STEPS; k--, steps++) {
				memcpy(before, x.h, span);
				rc = ops->step(e);
				FUZZ_CHECK(rc == 0 || rc == 1 || rc == -ESTALE, "step returned %d", rc);
				if (rc == -ESTALE)
					break;
				check_step(&x);
			}
			break;
		case 2:
		case 3:
		case 4:
			for (k = 1 + op / 8 % 8; k; k--)
				post(&x, &f);
			break;
		case 5:
			answer(&x, &f);
			break;
		case 6:		/* the host re-attaches, maybe with other switches */
			x.h->host_attach_seq++;
			x.h->host_fito_flags = fz_u8(&f);
			break;
		default:
			((uint8_t *)x.h)[fz_u8(&f) % sizeof(*x.h)] = fz_u8(&f);
			break;
		}
		if (rc == -ESTALE) {
			ops->destroy(e);
			e = NULL;
			if (!setup(&x))
				break;
			fuzz_pcie(&p, 1);
			if (ops->create(&e, x.h, FUZZ_WIN, &p, &err))
				break;
			span = fuzz_span(span, x.l.tasks_offset +
					 (__u64)x.l.nr_tasks * x.l.task_stride);
		}
	}
	ops->destroy(e);
	FUZZ_CHECK(fuzz_zero_from(x.h, span), "a write past the region (%zu B)", span);
	return 0;
}
