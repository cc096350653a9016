// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* fw_fito: the FITO baseline's firmware engine; see fw_fito.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipuswap_atomic.h"
#include "fw_engine.h"
#include "fw_fito.h"

struct fito_task {
	bool known;		/* an event named it since the engine started */
	bool runnable;		/* in our copy of the runqueue */
	uint32_t barrier;	/* from the latest event about it */
	uint32_t weight;
	uint32_t hint;		/* CPU it last ran on */
	uint64_t cpus;		/* CPUs 0..63 it may use */
	uint64_t vtime;
	int32_t rq_pos;		/* index in f->rq, or -1 */
};

struct fw_fito {
	void *win;
	size_t size;
	struct fw_pcie *pcie;
	struct ipuswap_window_hdr hdr;	/* as validated at create */
	struct ipuswap_layout l;
	__u64 rings_off;
	uint32_t flags;
	uint64_t steps;
	uint64_t vclock;		/* vtime of the latest decision */
	uint64_t *tail;			/* per ring: events consumed */
	bool *want;			/* per CPU: a CPU_IDLE not yet served */
	uint64_t *written;		/* per CPU: our last decision word, 0: none */
	struct fito_task *tasks;
	uint32_t *rq;			/* runnable task indices */
	uint32_t rq_len;
	struct fw_fito_stats stats;
};

static struct ipuswap_fito_ring *ring_at(struct fw_fito *f, uint32_t cpu)
{
	return ipuswap_fito_ring_at(f->win, f->rings_off, cpu);
}

static struct ipuswap_cpu_cell *cell_at(struct fw_fito *f, uint32_t cpu)
{
	return (struct ipuswap_cpu_cell *)((char *)f->win + f->l.cells_offset) + cpu;
}

int fw_fito_create(struct fw_fito **out, void *win, size_t win_size,
		   struct fw_pcie *pcie, enum fw_sched_hdr_err *err)
{
	struct fw_sched_cfg cfg = { 0 };
	struct ipuswap_layout swap_l;
	struct fw_fito *f;
	uint32_t i;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->win = win;
	f->size = win_size;
	f->pcie = pcie;
	fw_pcie_read(pcie, &f->hdr, win, sizeof(f->hdr));
	*err = fw_sched_validate(&f->hdr, win_size, &cfg, &swap_l);
	if (*err == FW_HDR_OK && f->hdr.host_proto != IPUSWAP_PROTO_FITO)
		*err = FW_HDR_NOT_SCHED;
	if (*err == FW_HDR_OK &&
	    ipuswap_fito_layout(f->hdr.region_offset, f->hdr.region_size,
				f->hdr.host_nr_cpus, &f->rings_off, &f->l))
		*err = FW_HDR_LAYOUT;
	if (*err != FW_HDR_OK) {
		free(f);
		return -EINVAL;
	}
	f->flags = f->hdr.host_fito_flags & IPUSWAP_FITO_ALL;
	f->tail = calloc(f->l.nr_cpus, sizeof(*f->tail));
	f->want = calloc(f->l.nr_cpus, sizeof(*f->want));
	f->written = calloc(f->l.nr_cpus, sizeof(*f->written));
	f->tasks = calloc(f->l.nr_tasks, sizeof(*f->tasks));
	f->rq = calloc(f->l.nr_tasks, sizeof(*f->rq));
	if (!f->tail || !f->want || !f->written || !f->tasks || !f->rq) {
		fw_fito_destroy(f);
		return -ENOMEM;
	}
	for (i = 0; i < f->l.nr_tasks; i++)
		f->tasks[i].rq_pos = -1;
	*out = f;
	return 0;
}

void fw_fito_destroy(struct fw_fito *f)
{
	if (!f)
		return;
	free(f->tail);
	free(f->want);
	free(f->written);
	free(f->tasks);
	free(f->rq);
	free(f);
}

static void rq_add(struct fw_fito *f, uint32_t idx)
{
	struct fito_task *t = &f->tasks[idx];

	if (t->rq_pos >= 0)
		return;
	t->rq_pos = (int32_t)f->rq_len;
	f->rq[f->rq_len++] = idx;
}

static void rq_del(struct fw_fito *f, uint32_t idx)
{
	struct fito_task *t = &f->tasks[idx];
	uint32_t last;

	if (t->rq_pos < 0)
		return;
	last = f->rq[--f->rq_len];
	f->rq[t->rq_pos] = last;
	f->tasks[last].rq_pos = t->rq_pos;
	t->rq_pos = -1;
}

/* A task (re)joins our runqueue; it may bank at most one slice of credit. */
static void task_runnable(struct fw_fito *f, uint32_t idx)
{
	struct fito_task *t = &f->tasks[idx];

	if (t->vtime + FW_SCHED_SLICE_NS < f->vclock)
		t->vtime = f->vclock - FW_SCHED_SLICE_NS;
	t->runnable = true;
	rq_add(f, idx);
}

static void apply_event(struct fw_fito *f, const struct ipuswap_fito_event *ev)
{
	struct fito_task *t;
	uint32_t w;

	if (ev->type == IPUSWAP_EV_CPU_IDLE) {
		if (ev->cpu >= f->l.nr_cpus) {
			f->stats.bad_events++;
			return;
		}
		f->want[ev->cpu] = true;
		f->stats.events[ev->type]++;
		return;
	}
	if (ev->type == IPUSWAP_EV_NONE || ev->type >= IPUSWAP_NR_EV_TYPES ||
	    ev->idx >= f->l.nr_tasks) {
		f->stats.bad_events++;
		return;
	}
	f->stats.events[ev->type]++;
	t = &f->tasks[ev->idx];
	t->barrier = ev->barrier;
	switch (ev->type) {
	case IPUSWAP_EV_RUNNABLE:
	case IPUSWAP_EV_ATTR:
		w = ev->weight;
		if (w < FW_SCHED_WEIGHT_MIN || w > FW_SCHED_WEIGHT_MAX) {
			f->stats.bad_events++;
			w = 100;
		}
		t->weight = w;
		t->cpus = ev->cpus;
		if (ev->type == IPUSWAP_EV_RUNNABLE && ev->cpu < f->l.nr_cpus)
			t->hint = ev->cpu;
		if (!t->known) {
			t->known = true;
			t->vtime = f->vclock;
		}
		if (ev->type == IPUSWAP_EV_RUNNABLE ||
		    (ev->flags & IPUSWAP_EV_F_RUNNABLE))
			task_runnable(f, ev->idx);
		else
			rq_del(f, ev->idx);
		break;
	case IPUSWAP_EV_DEAD:
		rq_del(f, ev->idx);
		memset(t, 0, sizeof(*t));
		t->rq_pos = -1;
		break;
	default:	/* BLOCKED, SERVED: no longer ours to place */
		t->runnable = false;
		rq_del(f, ev->idx);
		break;
	}
}

/*
 * Consume what the host posted to one ring. An entry is new when its seq
 * is the next position; anything else ends the batch (not yet written, or
 * garbage the host will overwrite).
 */
static bool read_ring(struct fw_fito *f, uint32_t cpu)
{
	struct ipuswap_fito_ring *ring = ring_at(f, cpu);
	struct ipuswap_fito_event buf[FW_FITO_BULK];
	uint32_t n, i, pos, consumed = 0;
	bool more = true;

	while (more && consumed < IPUSWAP_FITO_RING_SLOTS) {
		pos = (uint32_t)(f->tail[cpu] % IPUSWAP_FITO_RING_SLOTS);
		n = 1;
		if (f->flags & IPUSWAP_FITO_PREFETCH) {
			n = IPUSWAP_FITO_RING_SLOTS - pos;
			if (n > FW_FITO_BULK)
				n = FW_FITO_BULK;
		}
		fw_pcie_read(f->pcie, buf, &ring->ev[pos], n * sizeof(buf[0]));
		f->stats.ring_reads++;
		for (i = 0; i < n; i++) {
			if (buf[i].seq != (uint32_t)(f->tail[cpu] + 1)) {
				more = false;
				break;
			}
			apply_event(f, &buf[i]);
			f->tail[cpu]++;
			consumed++;
		}
	}
	if (consumed)
		fw_pcie_write64(f->pcie, &ring->fw_tail, f->tail[cpu]);
	return consumed;
}

/* The runnable task to run on @cpu: lowest vtime, its own CPU's on ties. */
static int64_t pick(struct fw_fito *f, uint32_t cpu)
{
	int64_t best = -1;
	uint32_t i;

	for (i = 0; i < f->rq_len; i++) {
		uint32_t idx = f->rq[i];
		struct fito_task *t = &f->tasks[idx];

		if (cpu < 64 && !(t->cpus & (1ULL << cpu)))
			continue;
		if (best < 0 || t->vtime < f->tasks[best].vtime ||
		    (t->vtime == f->tasks[best].vtime && t->hint == cpu))
			best = idx;
	}
	return best;
}

/* Learn how the host answered our last decision for @cpu (stats only). */
static void note_answer(struct fw_fito *f, uint32_t cpu, uint64_t w)
{
	if (!f->written[cpu] || IPUSWAP_CELL_IDX(w) != IPUSWAP_CELL_IDX(f->written[cpu]))
		return;
	if (IPUSWAP_CELL_STATE(w) == IPUSWAP_CELL_COMMIT)
		f->stats.answers_commit++;
	else if (IPUSWAP_CELL_STATE(w) == IPUSWAP_CELL_ABORT)
		f->stats.answers_abort++;
	f->written[cpu] = 0;
}

static bool decide(struct fw_fito *f, uint32_t cpu, uint64_t gen)
{
	struct ipuswap_cpu_cell *cell = cell_at(f, cpu);
	struct fito_task *t;
	uint64_t w;
	int64_t idx;

	w = fw_pcie_read64(f->pcie, &cell->decision);
	f->stats.slot_reads++;
	if (IPUSWAP_CELL_STATE(w) == IPUSWAP_CELL_PROPOSE) {
		/* Not answered yet: a request is served by what is there. */
		f->want[cpu] = false;
		return false;
	}
	note_answer(f, cpu, w);
	idx = pick(f, cpu);
	if (idx < 0) {
		f->stats.no_candidate++;
		return false;
	}
	t = &f->tasks[idx];
	fw_pcie_write64(f->pcie, &cell->fito_gen, gen);
	w = IPUSWAP_CELL(IPUSWAP_CELL_PROPOSE, IPUSWAP_OK, (uint32_t)idx, t->barrier);
	fw_pcie_write64(f->pcie, &cell->decision, w);
	f->written[cpu] = w;
	f->want[cpu] = false;
	t->runnable = false;
	rq_del(f, (uint32_t)idx);
	t->vtime += FW_SCHED_SLICE_NS * 100 / t->weight;
	if (t->vtime > f->vclock)
		f->vclock = t->vtime;
	f->stats.decisions++;
	return true;
}

/* The host re-attached or changed protocol: this engine is done. */
static bool hdr_changed(struct fw_fito *f)
{
	struct ipuswap_window_hdr h;

	fw_pcie_read(f->pcie, &h, f->win, sizeof(h));
	f->stats.hdr_checks++;
	return ipuswap_hdr_restarts(&f->hdr, &h);
}

int fw_fito_step(struct fw_fito *f)
{
	bool progress = false;
	uint64_t gen;
	uint32_t cpu;

	if (f->steps++ % FW_FITO_HDR_EVERY == 0 && hdr_changed(f))
		return -ESTALE;
	for (cpu = 0; cpu < f->l.nr_cpus; cpu++)
		progress |= read_ring(f, cpu);
	/* Our own word: no PCIe read needed to know it. */
	gen = ipuswap_load_relaxed(&((struct ipuswap_window_hdr *)f->win)->fw_generation);
	for (cpu = 0; cpu < f->l.nr_cpus; cpu++) {
		if (!f->want[cpu] && !(f->flags & IPUSWAP_FITO_PRESTAGE))
			continue;
		if (!f->rq_len)
			continue;
		progress |= decide(f, cpu, gen);
	}
	return progress;
}

const struct fw_fito_stats *fw_fito_stats(const struct fw_fito *f)
{
	return &f->stats;
}

const struct ipuswap_layout *fw_fito_layout(const struct fw_fito *f)
{
	return &f->l;
}

uint32_t fw_fito_flags(const struct fw_fito *f)
{
	return f->flags;
}

/* ---- as the core's engine for IPUSWAP_PROTO_FITO ------------------------- */

static int engine_create(void **engine, void *win, size_t win_size, struct fw_pcie *pcie,
			 enum fw_sched_hdr_err *err)
{
	struct fw_fito *f = NULL;
	int ret = fw_fito_create(&f, win, win_size, pcie, err);

	*engine = f;
	return ret;
}

static int engine_step(void *f)
{
	return fw_fito_step(f);
}

static uint64_t engine_idle_ns(const void *f)
{
	(void)f;
	return 0;
}

static uint64_t engine_decisions(const void *f)
{
	return fw_fito_stats(f)->decisions;
}

static void engine_describe(const void *f, char *buf, size_t size)
{
	const struct ipuswap_layout *l = fw_fito_layout(f);

	snprintf(buf, size, "%u CPUs, %u task slots, mitigations %#x", l->nr_cpus,
		 l->nr_tasks, fw_fito_flags(f));
}

static void engine_report(const void *f, char *buf, size_t size)
{
	const struct fw_fito_stats *st = fw_fito_stats(f);
	uint64_t events = 0;
	unsigned int t;

	for (t = 0; t < IPUSWAP_NR_EV_TYPES; t++)
		events += st->events[t];
	snprintf(buf, size, "%llu decisions, %llu events (%llu bad), %llu ring reads, "
		 "answers %llu commit / %llu abort",
		 (unsigned long long)st->decisions, (unsigned long long)events,
		 (unsigned long long)st->bad_events, (unsigned long long)st->ring_reads,
		 (unsigned long long)st->answers_commit,
		 (unsigned long long)st->answers_abort);
}

static void engine_destroy(void *f)
{
	fw_fito_destroy(f);
}

const struct fw_engine_ops fw_fito_engine = {
	.name		= "fito",
	.create		= engine_create,
	.step		= engine_step,
	.idle_ns	= engine_idle_ns,
	.decisions	= engine_decisions,
	.describe	= engine_describe,
	.report		= engine_report,
	.destroy	= engine_destroy,
};
