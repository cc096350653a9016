// SPDX-License-Identifier: GPL-2.0
/*
 * The FITO baseline (DESIGN.md §4): Wave/ghOSt's model on the same window,
 * so it can be measured next to the swap. The host posts events about its
 * tasks to a per-CPU ring; the firmware keeps its own copy of the runqueue
 * from them and writes decisions into per-CPU transaction slots; the host
 * commits a decision in ops.dispatch() and, with IPUSWAP_FITO_ABORT,
 * validates it against the task's barrier first.
 *
 * Two things here are deliberately unlike the swap path, because they are
 * what the baseline is: a dispatch with no decision ready asks for one and
 * busy-waits for it (bounded by a timeout the scheduler passes, at most
 * IPUSWAP_FITO_WAIT_MAX_NS, for all the waits of one balance cycle on a
 * CPU together), and without the abort switch a decision that went stale
 * in flight is enforced.
 *
 * Everything else follows the module's rules: the window is untrusted (a
 * slot's task index, state and generation are validated; ring positions
 * are the host's own), nothing sleeps, every loop is bounded. Its state
 * (rings offset, the host's per-task barriers, per-CPU batching) belongs
 * to the attach: allocated with the context (ipuswap_fito_alloc()), freed
 * with it; every kfunc opens with ipuswap_ctx_get(IPUSWAP_NEED_FITO, ...).
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/sched.h>

#include "ipuswap.h"

/* Longest a dispatch may wait for a decision, whatever the caller asks. */
#define IPUSWAP_FITO_WAIT_MAX_NS	(1000 * NSEC_PER_USEC)
/* A CPU that has not waited for this long is in a new balance cycle. */
#define IPUSWAP_FITO_CYCLE_GAP_NS	IPUSWAP_FITO_WAIT_MAX_NS

/*
 * The wait budget of one balance cycle, per CPU. sched_ext calls
 * ops.dispatch() up to SCX_DSP_MAX_LOOPS times in one cycle under the
 * runqueue lock, IRQs off (a dispatched task it then drops counts as
 * progress, which is what an enforced stale decision is), so a per-call
 * timeout alone lets one cycle wait 32 times. A cycle is known by what
 * cannot change while its loop holds the lock: the running task and its
 * context-switch count. An idle CPU that picks the idle task again does
 * not switch, so the budget also comes back after IPUSWAP_FITO_CYCLE_GAP_NS
 * without a wait. Mistaking two cycles for one only shortens a wait.
 * Module-wide: one scheduler is attached at a time.
 */
struct ipuswap_fito_cycle {
	const struct task_struct *task;
	unsigned long switches;
	u64 waited;			/* ns waited in this cycle */
	u64 last;			/* when the last wait ended */
};

static DEFINE_PER_CPU(struct ipuswap_fito_cycle, ipuswap_fito_cycle);

static void ipuswap_fito_count(struct ipuswap_sched *s, enum ipuswap_fito_stat stat, u64 n)
{
	this_cpu_add(s->idev->stats->fito[stat], n);
}

static struct ipuswap_fito_ring *ipuswap_fito_ring(struct ipuswap_sched *s, int cpu)
{
	return ipuswap_fito_ring_at(s->host.win, s->fito_rings_offset, cpu);
}

static void ipuswap_fito_ring_doorbell(struct ipuswap_sched *s, struct ipuswap_fito_cpu *fc,
				       struct ipuswap_fito_ring *ring)
{
	fc->unrung = 0;
	WRITE_ONCE(ring->host_doorbells, READ_ONCE(ring->host_doorbells) + 1);
	ipuswap_ctx_ring(s);
	ipuswap_fito_count(s, IPUSWAP_FS_DOORBELLS, 1);
}

/*
 * Post one event to this CPU's ring. The ring has one producer, this CPU,
 * with interrupts off. fw_tail comes from the firmware: a value that does
 * not fit the ring (behind by more than a ring, or ahead of us) is treated
 * as "full", so a hostile firmware can only stop its own events.
 *
 * Return: true if posted.
 */
static bool ipuswap_fito_post(struct ipuswap_sched *s, u8 type, u8 flags, s32 idx,
			      u32 barrier, struct task_struct *p, u32 cpu, bool ring_now)
{
	struct ipuswap_fito_event *ev;
	struct ipuswap_fito_ring *ring;
	struct ipuswap_fito_cpu *fc;
	unsigned long irqflags;
	u64 tail, used;
	int this_cpu;
	bool ok = false;

	local_irq_save(irqflags);
	this_cpu = smp_processor_id();
	if (this_cpu >= s->host.l.nr_cpus)
		goto out;
	fc = this_cpu_ptr(s->fito_cpu);
	ring = ipuswap_fito_ring(s, this_cpu);
	tail = READ_ONCE(ring->fw_tail);
	used = fc->head - tail;
	if (tail > fc->head || used >= IPUSWAP_FITO_RING_SLOTS) {
		ipuswap_fito_count(s, IPUSWAP_FS_RING_FULL, 1);
		goto out;
	}
	ev = &ring->ev[fc->head % IPUSWAP_FITO_RING_SLOTS];
	WRITE_ONCE(ev->type, type);
	WRITE_ONCE(ev->flags, flags);
	WRITE_ONCE(ev->idx, idx < 0 ? 0 : idx);
	WRITE_ONCE(ev->barrier, barrier);
	WRITE_ONCE(ev->cpu, cpu);
	WRITE_ONCE(ev->weight, p ? p->scx.weight : 0);
	WRITE_ONCE(ev->cpus, p ? cpumask_bits(p->cpus_ptr)[0] : 0);
	/* The body before the seq that publishes it. */
	smp_store_release(&ev->seq, (u32)(fc->head + 1));
	fc->head++;
	WRITE_ONCE(ring->host_head, fc->head);
	ipuswap_fito_count(s, IPUSWAP_FS_EVENTS, 1);
	fc->unrung++;
	/* Without write-combining every event is its own doorbell. */
	if (ring_now || !(s->fito_flags & IPUSWAP_FITO_WC) ||
	    fc->unrung >= IPUSWAP_FITO_EV_PER_REC)
		ipuswap_fito_ring_doorbell(s, fc, ring);
	ok = true;
out:
	local_irq_restore(irqflags);
	return ok;
}

static struct ipuswap_fito_task *ipuswap_fito_task(struct ipuswap_sched *s, s32 idx)
{
	return &s->fito_tasks[idx];
}

/* Leave QUEUED (the caller won the task); false if it was not queued. */
static bool ipuswap_fito_claim(struct ipuswap_sched *s, s32 idx)
{
	if (atomic_cmpxchg(&ipuswap_fito_task(s, idx)->state, IPUSWAP_FT_QUEUED,
			   IPUSWAP_FT_IDLE) != IPUSWAP_FT_QUEUED)
		return false;
	atomic_dec(&s->fito_queued);
	return true;
}

/* The barrier after one more event about the task. */
static u32 ipuswap_fito_bump(struct ipuswap_sched *s, s32 idx)
{
	struct ipuswap_fito_task *ft = ipuswap_fito_task(s, idx);
	u32 b = READ_ONCE(ft->barrier) + 1;

	WRITE_ONCE(ft->barrier, b);
	return b;
}

/**
 * ipuswap_fito_alloc - lay out the region for PROTO_FITO, allocate its tables
 * @s: the context being built (ipuswap_sched_new())
 * @swap: the PROTO_SWAP layout of the same region
 * @region_offset: the region, from the probe's validated copy: never from
 *	the header again, the firmware could have moved it since
 * @region_size: its size
 *
 * May sleep.
 *
 * Return: 0, -ENOSPC (the rings do not fit for this many CPUs) or -ENOMEM.
 */
int ipuswap_fito_alloc(struct ipuswap_sched *s, const struct ipuswap_layout *swap,
		       u64 region_offset, u64 region_size)
{
	struct ipuswap_layout l;
	u64 rings;

	if (ipuswap_fito_layout(region_offset, region_size, swap->nr_cpus, &rings, &l) ||
	    l.nr_tasks > swap->nr_tasks)
		return -ENOSPC;
	s->host.l = l;
	s->fito_rings_offset = rings;
	s->fito_tasks = kvcalloc(l.nr_tasks, sizeof(*s->fito_tasks), GFP_KERNEL);
	s->fito_cpu = alloc_percpu(struct ipuswap_fito_cpu);
	return s->fito_tasks && s->fito_cpu ? 0 : -ENOMEM;
}

/* With the context; NULL tables (PROTO_SWAP) are fine. Any context. */
void ipuswap_fito_free(struct ipuswap_sched *s)
{
	kvfree(s->fito_tasks);
	free_percpu(s->fito_cpu);
}

/* Attach, before publishing: empty rings, no decision of any generation. */
void ipuswap_fito_reset(struct ipuswap_sched *s)
{
	u32 cpu;

	memset(ipuswap_fito_ring(s, 0), 0,
	       (size_t)s->host.l.nr_cpus * sizeof(struct ipuswap_fito_ring));
	for (cpu = 0; cpu < s->host.l.nr_cpus; cpu++)
		WRITE_ONCE(ipuswap_cell_at(s->host.win, &s->host.l, cpu)->fito_gen, 0);
	atomic_set(&s->fito_queued, 0);
}

void ipuswap_fito_task_created(struct ipuswap_sched *s, s32 idx)
{
	atomic_set(&ipuswap_fito_task(s, idx)->state, IPUSWAP_FT_IDLE);
}

void ipuswap_fito_task_destroyed(struct ipuswap_sched *s, s32 idx)
{
	ipuswap_fito_claim(s, idx);
	ipuswap_fito_post(s, IPUSWAP_EV_DEAD, 0, idx, ipuswap_fito_bump(s, idx), NULL, 0, false);
}

__bpf_kfunc_start_defs();

/**
 * ipuswap_fito_enqueue - @p (slot @idx) is runnable: tell the firmware
 * @idx: slot
 * @p: the task (trusted)
 * @hint: CPU it last ran on, or negative
 *
 * The task is queued on the host either way; without an event (ring full)
 * the firmware never decides for it and the host serves it itself.
 *
 * Return: 0 if the event was posted, -IPUSWAP_R_RING_FULL if it was not,
 * -IPUSWAP_R_NO_IPU (no FITO scheduler attached) or -IPUSWAP_R_BAD_ARG.
 */
__bpf_kfunc s32 ipuswap_fito_enqueue(s32 idx, struct task_struct *p, s32 hint)
{
	struct ipuswap_sched *s;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NEED_FITO | IPUSWAP_HINT_CPU, hint, idx, &ret);
	if (!s)
		return ret;
	if (atomic_xchg(&ipuswap_fito_task(s, idx)->state, IPUSWAP_FT_QUEUED) !=
	    IPUSWAP_FT_QUEUED)
		atomic_inc(&s->fito_queued);
	if (!ipuswap_fito_post(s, IPUSWAP_EV_RUNNABLE, 0, idx, ipuswap_fito_bump(s, idx), p,
			       hint < 0 ? 0 : hint, false))
		return -IPUSWAP_R_RING_FULL;
	return 0;
}

/**
 * ipuswap_fito_dequeue - task @idx left the runqueue without being run
 * @idx: slot
 */
__bpf_kfunc void ipuswap_fito_dequeue(s32 idx)
{
	struct ipuswap_sched *s;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NEED_FITO | IPUSWAP_NO_CPU, 0, idx, &ret);
	if (s && ipuswap_fito_claim(s, idx))
		ipuswap_fito_post(s, IPUSWAP_EV_BLOCKED, 0, idx, ipuswap_fito_bump(s, idx),
				  NULL, 0, false);
}

/**
 * ipuswap_fito_update - @p's weight or allowed CPUs changed
 * @idx: slot
 * @p: the task (trusted)
 */
__bpf_kfunc void ipuswap_fito_update(s32 idx, struct task_struct *p)
{
	struct ipuswap_sched *s;
	s32 ret;
	u8 flags;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NEED_FITO | IPUSWAP_NO_CPU, 0, idx, &ret);
	if (!s)
		return;
	flags = atomic_read(&ipuswap_fito_task(s, idx)->state) == IPUSWAP_FT_QUEUED ?
		IPUSWAP_EV_F_RUNNABLE : 0;
	ipuswap_fito_post(s, IPUSWAP_EV_ATTR, flags, idx, ipuswap_fito_bump(s, idx), p, 0,
			  false);
}

/**
 * ipuswap_fito_self_serve - the host runs queued task @idx on @cpu itself
 * @idx: slot
 * @cpu: the dispatching CPU
 *
 * Return: 0 if this CPU now owns the task, -IPUSWAP_R_NOT_RUNNABLE if it
 * was not queued (taken elsewhere or dequeued: drop it), -IPUSWAP_R_NO_IPU
 * (no FITO scheduler attached) or -IPUSWAP_R_BAD_ARG.
 */
__bpf_kfunc s32 ipuswap_fito_self_serve(s32 idx, s32 cpu)
{
	struct ipuswap_sched *s;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NEED_FITO, cpu, idx, &ret);
	if (!s)
		return ret;
	if (!ipuswap_fito_claim(s, idx))
		return -IPUSWAP_R_NOT_RUNNABLE;
	ipuswap_fito_post(s, IPUSWAP_EV_SERVED, 0, idx, ipuswap_fito_bump(s, idx), NULL, cpu,
			  false);
	ipuswap_fito_count(s, IPUSWAP_FS_SELF, 1);
	return 0;
}

/* The slot's decision if it is a well-formed PROPOSE, else -reason. */
static s32 ipuswap_fito_read_slot(struct ipuswap_sched *s, s32 cpu, u64 *cw)
{
	struct ipuswap_cpu_cell *cell = ipuswap_cell_at(s->host.win, &s->host.l, cpu);
	s32 idx;

	*cw = ipuswap_load(&cell->decision);
	if (IPUSWAP_CELL_STATE(*cw) != IPUSWAP_CELL_PROPOSE)
		return -IPUSWAP_R_NO_PROPOSAL;
	idx = IPUSWAP_CELL_IDX(*cw);
	if (IPUSWAP_CELL_REASON(*cw) != IPUSWAP_OK || !ipuswap_slot_in_use(s, idx)) {
		/* Answer it, or the firmware would never write this slot again. */
		ipuswap_cas(&cell->decision, cw, IPUSWAP_CELL(IPUSWAP_CELL_ABORT,
			    IPUSWAP_R_BAD_INDEX, 0, 0));
		return ipuswap_ctx_fail(s, IPUSWAP_R_BAD_INDEX);
	}
	return idx;
}

/**
 * ipuswap_fito_txn_peek - the decision in @cpu's transaction slot
 * @cpu: the dispatching CPU
 *
 * Also publishes events this CPU batched (IPUSWAP_FITO_WC): a CPU looking
 * for work is the end of a batch.
 *
 * Return: the task slot the firmware decided on, or -reason.
 */
__bpf_kfunc s32 ipuswap_fito_txn_peek(s32 cpu)
{
	struct ipuswap_sched *s;
	unsigned long irqflags;
	int this_cpu;
	s32 ret;
	u64 cw;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NEED_FITO | IPUSWAP_NO_SLOT, cpu, 0, &ret);
	if (!s)
		return ret;
	local_irq_save(irqflags);
	this_cpu = smp_processor_id();
	if (this_cpu < s->host.l.nr_cpus && this_cpu_ptr(s->fito_cpu)->unrung)
		ipuswap_fito_ring_doorbell(s, this_cpu_ptr(s->fito_cpu),
					   ipuswap_fito_ring(s, this_cpu));
	local_irq_restore(irqflags);
	return ipuswap_fito_read_slot(s, cpu, &cw);
}

/*
 * What is left of @limit ns of waiting for this CPU's balance cycle at
 * @now; IRQs off.
 */
static u64 ipuswap_fito_budget(struct ipuswap_fito_cycle *c, u64 limit, u64 now)
{
	unsigned long switches = current->nvcsw + current->nivcsw;

	if (c->task != current || c->switches != switches ||
	    now - c->last > IPUSWAP_FITO_CYCLE_GAP_NS) {
		c->task = current;
		c->switches = switches;
		c->waited = 0;
	}
	return c->waited < limit ? limit - c->waited : 0;
}

/**
 * ipuswap_fito_request - ask the firmware for a decision for @cpu and wait
 * @cpu: the dispatching CPU
 * @timeout_ns: how long to wait (capped at IPUSWAP_FITO_WAIT_MAX_NS)
 *
 * Only waits when the host has queued tasks and the firmware is alive;
 * Wave's host has nothing else to run meanwhile. @timeout_ns bounds the
 * waits of the whole balance cycle on this CPU, not only this call's
 * (ipuswap_fito_budget()): a request with nothing left of it does not wait
 * (counted as wait_capped). Every wait, its length and every timeout are
 * counted.
 *
 * Return: the decided task slot, or -IPUSWAP_R_NO_PROPOSAL, or -reason.
 */
__bpf_kfunc s32 ipuswap_fito_request(s32 cpu, u64 timeout_ns)
{
	struct ipuswap_fito_cycle *c;
	struct ipuswap_sched *s;
	u64 start, now, cw, left;
	unsigned long irqflags;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NEED_FITO | IPUSWAP_NO_SLOT, cpu, 0, &ret);
	if (!s)
		return ret;
	if (!atomic_read(&s->fito_queued) || !READ_ONCE(s->idev->fw_alive))
		return -IPUSWAP_R_NO_PROPOSAL;
	/* Already so under a runqueue lock; the cycle's state is this CPU's. */
	local_irq_save(irqflags);
	c = this_cpu_ptr(&ipuswap_fito_cycle);
	start = ktime_get_ns();
	left = ipuswap_fito_budget(c, min_t(u64, timeout_ns, IPUSWAP_FITO_WAIT_MAX_NS), start);
	if (!left) {
		ipuswap_fito_count(s, IPUSWAP_FS_WAIT_CAPPED, 1);
		ret = -IPUSWAP_R_NO_PROPOSAL;
		goto out;
	}
	if (!ipuswap_fito_post(s, IPUSWAP_EV_CPU_IDLE, 0, -1, 0, NULL, cpu, true)) {
		ret = -IPUSWAP_R_NO_PROPOSAL;
		goto out;
	}
	ipuswap_fito_count(s, IPUSWAP_FS_REQUESTS, 1);
	ipuswap_fito_count(s, IPUSWAP_FS_WAITS, 1);
	/* Bounded by the clock: at most what is left of the cycle's budget. */
	do {
		ret = ipuswap_fito_read_slot(s, cpu, &cw);
		if (ret != -IPUSWAP_R_NO_PROPOSAL)
			break;
		cpu_relax();
		now = ktime_get_ns();
	} while (now - start < left);
	now = ktime_get_ns();
	c->waited += now - start;
	c->last = now;
	ipuswap_fito_count(s, IPUSWAP_FS_WAIT_NS, now - start);
	if (ret < 0)
		ipuswap_fito_count(s, IPUSWAP_FS_TIMEOUTS, 1);
out:
	local_irq_restore(irqflags);
	return ret;
}

/**
 * ipuswap_fito_commit - commit the decision for task @idx on @cpu
 * @cpu: the dispatching CPU
 * @idx: the slot ipuswap_fito_txn_peek()/request() returned
 * @allowed: whether the host lets @cpu run the task (its cpumask)
 *
 * With IPUSWAP_FITO_ABORT the decision is validated as ghOSt does at
 * commit: the firmware generation (AGENT_STALE), the task still queued
 * (NOT_RUNNABLE), its barrier unchanged since the event the firmware
 * decided on (TARGET_STALE). Without it the decision is enforced: counted
 * as stale if any of those fail; a task that is no longer queued is still
 * dispatched and sched_ext drops it. A CPU the task may not use is refused
 * in both cases, since the kernel would eject the scheduler for it.
 *
 * Return: 0: run it (this CPU owns it); 1: dispatch it, it was not queued
 * (sched_ext will drop it); or -reason: do not run it
 * (-IPUSWAP_R_NO_PROPOSAL: the slot no longer holds a decision for @idx).
 */
__bpf_kfunc s32 ipuswap_fito_commit(s32 cpu, s32 idx, bool allowed)
{
	struct ipuswap_cpu_cell *cell;
	struct ipuswap_sched *s;
	u32 why = IPUSWAP_OK;
	bool validate, claimed = false;
	u64 cw, gen;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NEED_FITO, cpu, idx, &ret);
	if (!s)
		return ret;
	ret = ipuswap_fito_read_slot(s, cpu, &cw);
	if (ret != idx)
		return ret < 0 ? ret : -IPUSWAP_R_NO_PROPOSAL;
	cell = ipuswap_cell_at(s->host.win, &s->host.l, cpu);
	gen = READ_ONCE(cell->fito_gen);
	validate = s->fito_flags & IPUSWAP_FITO_ABORT;
	if (gen != READ_ONCE(s->idev->hdr->fw_generation))
		why = IPUSWAP_R_AGENT_STALE;
	else if (atomic_read(&ipuswap_fito_task(s, idx)->state) != IPUSWAP_FT_QUEUED)
		why = IPUSWAP_R_NOT_RUNNABLE;
	else if (IPUSWAP_CELL_VER(cw) != READ_ONCE(ipuswap_fito_task(s, idx)->barrier))
		why = IPUSWAP_R_TARGET_STALE;

	if (!allowed) {
		if (!validate && why)
			ipuswap_fito_count(s, IPUSWAP_FS_STALE_REFUSED, 1);
		why = IPUSWAP_R_NOT_ALLOWED;
	} else if (!validate || !why) {
		claimed = ipuswap_fito_claim(s, idx);
		if (!claimed && !why)
			why = IPUSWAP_R_NOT_RUNNABLE;	/* lost a race: stale */
	}
	/* Without validation whatever the firmware said is done, stale or not. */
	if (why && (validate || !allowed)) {
		ipuswap_cas(&cell->decision, &cw,
			    IPUSWAP_CELL(IPUSWAP_CELL_ABORT, why, idx, IPUSWAP_CELL_VER(cw)));
		ipuswap_fito_count(s, IPUSWAP_FS_ABORTED, 1);
		return ipuswap_ctx_fail(s, why);
	}
	ipuswap_cas(&cell->decision, &cw,
		    IPUSWAP_CELL(IPUSWAP_CELL_COMMIT, 0, idx, IPUSWAP_CELL_VER(cw)));
	/* A committed decision with no reason against it was claimed here. */
	ipuswap_fito_count(s, why ? IPUSWAP_FS_STALE_ENFORCED : IPUSWAP_FS_COMMIT, 1);
	if (!claimed)
		ipuswap_fito_count(s, IPUSWAP_FS_STALE_DROPPED, 1);
	return claimed ? 0 : 1;
}

__bpf_kfunc_end_defs();
