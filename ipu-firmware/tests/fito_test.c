// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for the firmware's FITO engine (fw_fito) on a window in
 * memory, playing the host's side by hand: events posted the way the
 * module posts them, slots answered the way it answers. Built with ASan +
 * UBSan; prints TAP.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "test_window.h"
#include "ipuswap_atomic.h"
#include "ipuswap_swap.h"
#include "fw_fito.h"
#include "fw_pcie.h"

#define WIN	(1u << 20)
#define NCPU	2u

typedef unsigned long long ull;

struct win {
	void *mem;
	struct ipuswap_window_hdr *h;
	__u64 rings;
	struct ipuswap_layout l;
	__u64 head[NCPU];
	__u32 barrier[IPUSWAP_MAX_TASKS + 1];	/* any 16-bit index */
	struct fw_pcie pcie;
};

static void win_init(struct win *w, __u32 flags)
{
	struct fw_pcie_cfg cfg;

	memset(w, 0, sizeof(*w));
	w->h = test_window(WIN, NCPU);
	w->mem = w->h;
	w->h->host_proto = IPUSWAP_PROTO_FITO;
	w->h->host_fito_flags = flags;
	w->h->host_attach_seq = 1;
	w->h->fw_generation = 7;
	ipuswap_fito_layout(w->h->region_offset, w->h->region_size, NCPU, &w->rings, &w->l);
	/* No latency: these tests are about logic, not time. */
	fw_pcie_cfg_default(&cfg);
	cfg.read_ns = cfg.write_ns = cfg.atomic_ns = 0;
	fw_pcie_init(&w->pcie, &cfg);
}

static void win_free(struct win *w)
{
	free(w->mem);
}

/* Post an event on host CPU @ring as the module does: body, then seq. */
static void post(struct win *w, __u32 ring, __u8 type, __u8 flags, __u16 idx,
		 __u32 weight, __u32 cpu, __u64 cpus)
{
	struct ipuswap_fito_ring *r = ipuswap_fito_ring_at(w->mem, w->rings, ring);
	struct ipuswap_fito_event *ev = &r->ev[w->head[ring] % IPUSWAP_FITO_RING_SLOTS];

	ev->type = type;
	ev->flags = flags;
	ev->idx = idx;
	ev->barrier = type == IPUSWAP_EV_CPU_IDLE ? 0 : ++w->barrier[idx];
	ev->weight = weight;
	ev->cpu = cpu;
	ev->cpus = cpus;
	ipuswap_store_release(&ev->seq, (__u32)(w->head[ring] + 1));
	w->head[ring]++;
}

static void runnable(struct win *w, __u16 idx, __u32 weight, __u64 cpus)
{
	post(w, 0, IPUSWAP_EV_RUNNABLE, 0, idx, weight, 0, cpus);
}

static void want(struct win *w, __u32 cpu)
{
	post(w, 0, IPUSWAP_EV_CPU_IDLE, 0, 0, 0, cpu, 0);
}

static __u64 *slot(struct win *w, __u32 cpu)
{
	return &ipuswap_cell_at(w->mem, &w->l, cpu)->decision;
}

/* The host's answer to a decision. */
static void answer(struct win *w, __u32 cpu, bool commit)
{
	__u64 d = *slot(w, cpu);

	*slot(w, cpu) = IPUSWAP_CELL(commit ? IPUSWAP_CELL_COMMIT : IPUSWAP_CELL_ABORT,
				     commit ? 0 : IPUSWAP_R_TARGET_STALE,
				     IPUSWAP_CELL_IDX(d), IPUSWAP_CELL_VER(d));
}

static struct fw_fito *engine(struct win *w)
{
	enum fw_sched_hdr_err err = FW_HDR_OK;
	struct fw_fito *f = NULL;
	int ret = fw_fito_create(&f, w->mem, WIN, &w->pcie, &err);

	EXPECT(ret == 0, "create: %d (%s)", ret, fw_sched_hdr_err_str(err));
	return f;
}

static void steps(struct fw_fito *f, int n)
{
	while (n--)
		fw_fito_step(f);
}

static bool t_refuses_other_protocols(void)
{
	enum fw_sched_hdr_err err = FW_HDR_OK;
	struct fw_fito *f = NULL;
	struct win w;

	win_init(&w, 0);
	w.h->host_proto = IPUSWAP_PROTO_SWAP;
	EXPECT(fw_fito_create(&f, w.mem, WIN, &w.pcie, &err) == -EINVAL, "swap window taken");
	w.h->host_proto = IPUSWAP_PROTO_FITO;
	w.h->host_nr_cpus = 0;
	EXPECT(fw_fito_create(&f, w.mem, WIN, &w.pcie, &err) == -EINVAL, "0 CPUs taken");
	w.h->host_nr_cpus = NCPU;
	w.h->magic ^= 1;
	EXPECT(fw_fito_create(&f, w.mem, WIN, &w.pcie, &err) == -EINVAL &&
	       err == FW_HDR_MAGIC, "bad magic taken");
	win_free(&w);
	return cur_ok;
}

static bool t_decides_on_request_only(void)
{
	struct fw_fito *f;
	struct win w;
	__u64 d;

	win_init(&w, 0);
	f = engine(&w);
	runnable(&w, 5, 100, 3);
	steps(f, 3);
	EXPECT(*slot(&w, 0) == 0 && *slot(&w, 1) == 0, "decided without a request");
	EXPECT(ipuswap_fito_ring_at(w.mem, w.rings, 0)->fw_tail == 1, "tail %llu",
	       (ull)ipuswap_fito_ring_at(w.mem, w.rings, 0)->fw_tail);
	want(&w, 1);
	steps(f, 1);
	d = *slot(&w, 1);
	EXPECT(IPUSWAP_CELL_STATE(d) == IPUSWAP_CELL_PROPOSE && IPUSWAP_CELL_IDX(d) == 5 &&
	       IPUSWAP_CELL_VER(d) == w.barrier[5], "slot 1 %#llx", (ull)d);
	EXPECT(ipuswap_cell_at(w.mem, &w.l, 1)->fito_gen == 7, "generation not written");
	EXPECT(*slot(&w, 0) == 0, "CPU 0 got one too");
	fw_fito_destroy(f);
	win_free(&w);
	return cur_ok;
}

static bool t_never_overwrites_a_proposal(void)
{
	struct fw_fito *f;
	struct win w;
	__u64 d;

	win_init(&w, IPUSWAP_FITO_PRESTAGE);
	f = engine(&w);
	runnable(&w, 1, 100, 1);
	runnable(&w, 2, 100, 1);
	steps(f, 2);
	d = *slot(&w, 0);
	EXPECT(IPUSWAP_CELL_STATE(d) == IPUSWAP_CELL_PROPOSE, "prestage: no decision");
	steps(f, 5);
	EXPECT(*slot(&w, 0) == d, "unanswered decision overwritten");
	EXPECT(*slot(&w, 1) == 0, "task allowed only on CPU 0 decided for CPU 1");
	answer(&w, 0, true);
	steps(f, 1);
	EXPECT(IPUSWAP_CELL_STATE(*slot(&w, 0)) == IPUSWAP_CELL_PROPOSE &&
	       IPUSWAP_CELL_IDX(*slot(&w, 0)) != IPUSWAP_CELL_IDX(d),
	       "after COMMIT the other task: %#llx", (ull)*slot(&w, 0));
	EXPECT(fw_fito_stats(f)->answers_commit == 1, "commit not counted");
	fw_fito_destroy(f);
	win_free(&w);
	return cur_ok;
}

/* The baseline's point: the copy goes stale, the engine cannot know. */
static bool t_decision_goes_stale(void)
{
	struct fw_fito *f;
	struct win w;
	__u64 d;

	win_init(&w, 0);
	f = engine(&w);
	runnable(&w, 3, 100, 3);
	want(&w, 0);
	steps(f, 1);
	d = *slot(&w, 0);
	/* The host served it itself meanwhile: the barrier moved on. */
	post(&w, 0, IPUSWAP_EV_SERVED, 0, 3, 0, 0, 0);
	EXPECT(IPUSWAP_CELL_VER(d) != w.barrier[3], "barrier did not move");
	steps(f, 1);
	EXPECT(*slot(&w, 0) == d, "the engine withdrew a decision (it cannot CAS)");
	/* A served task is not decided again. */
	answer(&w, 0, false);
	want(&w, 0);
	steps(f, 2);
	EXPECT(IPUSWAP_CELL_STATE(*slot(&w, 0)) == IPUSWAP_CELL_ABORT,
	       "decided for a task that is not runnable: %#llx", (ull)*slot(&w, 0));
	fw_fito_destroy(f);
	win_free(&w);
	return cur_ok;
}

static bool t_bad_events_skipped(void)
{
	struct fw_fito *f;
	struct win w;

	win_init(&w, IPUSWAP_FITO_PRESTAGE | IPUSWAP_FITO_PREFETCH);
	f = engine(&w);
	post(&w, 0, 99, 0, 1, 100, 0, 1);			/* no such type */
	post(&w, 0, IPUSWAP_EV_RUNNABLE, 0, 0xffff, 100, 0, 1);	/* no such slot */
	post(&w, 0, IPUSWAP_EV_CPU_IDLE, 0, 0, 0, 4000, 0);	/* no such CPU */
	post(&w, 0, IPUSWAP_EV_RUNNABLE, 0, 4, 0, 0, 1);	/* weight 0 */
	post(&w, 1, IPUSWAP_EV_NONE, 0, 1, 100, 0, 1);
	steps(f, 2);
	EXPECT(fw_fito_stats(f)->bad_events == 5, "bad events %llu",
	       (ull)fw_fito_stats(f)->bad_events);
	/* The weight-0 task is still placed, at the default weight. */
	EXPECT(IPUSWAP_CELL_IDX(*slot(&w, 0)) == 4, "slot 0 %#llx", (ull)*slot(&w, 0));
	/* An entry whose seq is wrong ends the batch: nothing past it is read. */
	ipuswap_fito_ring_at(w.mem, w.rings, 0)->ev[w.head[0]].seq = 12345;
	steps(f, 2);
	EXPECT(ipuswap_fito_ring_at(w.mem, w.rings, 0)->fw_tail == w.head[0],
	       "tail moved past a bad seq");
	fw_fito_destroy(f);
	win_free(&w);
	return cur_ok;
}

static bool t_ring_wraps_with_prefetch(void)
{
	struct fw_fito *f;
	struct win w;
	int i;

	win_init(&w, IPUSWAP_FITO_PREFETCH);
	f = engine(&w);
	for (i = 0; i < 3 * IPUSWAP_FITO_RING_SLOTS; i++) {
		runnable(&w, (__u16)(i % 50), 100, 3);
		post(&w, 0, IPUSWAP_EV_BLOCKED, 0, (__u16)(i % 50), 0, 0, 0);
		if (i % 50 == 49)
			steps(f, 1);
	}
	steps(f, 2);
	EXPECT(ipuswap_fito_ring_at(w.mem, w.rings, 0)->fw_tail == w.head[0],
	       "tail %llu head %llu",
	       (ull)ipuswap_fito_ring_at(w.mem, w.rings, 0)->fw_tail, (ull)w.head[0]);
	EXPECT(fw_fito_stats(f)->events[IPUSWAP_EV_RUNNABLE] == 3 * IPUSWAP_FITO_RING_SLOTS,
	       "runnable events %llu", (ull)fw_fito_stats(f)->events[IPUSWAP_EV_RUNNABLE]);
	/* Bulk reads: far fewer reads than events. */
	EXPECT(fw_fito_stats(f)->ring_reads * 8 < w.head[0], "ring reads %llu for %llu events",
	       (ull)fw_fito_stats(f)->ring_reads, (ull)w.head[0]);
	fw_fito_destroy(f);
	win_free(&w);
	return cur_ok;
}

static bool t_weights(void)
{
	unsigned int heavy = 0, light = 0, i;
	struct fw_fito *f;
	struct win w;

	win_init(&w, IPUSWAP_FITO_PRESTAGE);
	f = engine(&w);
	runnable(&w, 1, 300, 1);
	runnable(&w, 2, 100, 1);
	for (i = 0; i < 400; i++) {
		__u64 d;

		steps(f, 1);
		d = *slot(&w, 0);
		if (IPUSWAP_CELL_STATE(d) != IPUSWAP_CELL_PROPOSE)
			continue;
		answer(&w, 0, true);
		if (IPUSWAP_CELL_IDX(d) == 1)
			heavy++;
		else
			light++;
		/* The task ran, and is runnable again. */
		runnable(&w, IPUSWAP_CELL_IDX(d), IPUSWAP_CELL_IDX(d) == 1 ? 300 : 100, 1);
	}
	EXPECT(light && heavy > 2 * light && heavy < 4 * light, "heavy %u light %u",
	       heavy, light);
	fw_fito_destroy(f);
	win_free(&w);
	return cur_ok;
}

static bool t_header_change_ends_engine(void)
{
	struct fw_fito *f;
	struct win w;
	int i, r = 0;

	win_init(&w, 0);
	f = engine(&w);
	w.h->host_attach_seq++;
	for (i = 0; i <= FW_FITO_HDR_EVERY && r != -ESTALE; i++)
		r = fw_fito_step(f);
	EXPECT(r == -ESTALE, "re-attach not noticed: %d", r);
	fw_fito_destroy(f);
	win_free(&w);
	return cur_ok;
}

static const struct tap_test tests[] = {
	{ "refuses a swap window and bad headers", t_refuses_other_protocols },
	{ "without prestage, decides only for CPUs that asked", t_decides_on_request_only },
	{ "never overwrites an unanswered decision; honours affinity", t_never_overwrites_a_proposal },
	{ "a decision goes stale in flight and stays there", t_decision_goes_stale },
	{ "bad events are counted and skipped; a bad seq ends the batch", t_bad_events_skipped },
	{ "ring wraps; prefetch reads in bulk", t_ring_wraps_with_prefetch },
	{ "weighted vtime: 300 vs 100 gets about 3x the decisions", t_weights },
	{ "a re-attach ends the engine (-ESTALE)", t_header_change_ends_engine },
};

int main(void)
{
	return tap_run("fito", tests, sizeof(tests) / sizeof(tests[0]));
}
