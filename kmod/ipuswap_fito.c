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
 * IPUSWAP_FITO_WAIT_MAX_NS), and without the abort switch a decision that
 * went stale in flight is enforced.
 *
 * Everything else follows the module's rules: the window is untrusted (a
 * slot's task index, state and generation are validated; ring positions
 * are the host's own), nothing sleeps, every loop is bounded.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/ktime.h>
#include <linux/percpu.h>
#include <linux/sched.h>

#include "ipuswap.h"

/* Longest a dispatch may wait for a decision, whatever the caller asks. */
#define IPUSWAP_FITO_WAIT_MAX_NS	(1000 * NSEC_PER_USEC)

/* The attached device if it speaks FITO; caller holds rcu_read_lock(). */
static struct ipuswap_dev *ipuswap_fito_dev(void)
{
	struct ipuswap_dev *idev = ipuswap_sched_dev();

	return idev && idev->proto == IPUSWAP_PROTO_FITO ? idev : NULL;
}

/* The attached FITO device, if @idx is one of its slots in use. */
static struct ipuswap_dev *ipuswap_fito_slot_dev(s32 idx)
{
	struct ipuswap_dev *idev = ipuswap_fito_dev();

	return idev && ipuswap_slot_in_use(idev, idx) ? idev : NULL;
}

static void ipuswap_fito_count(struct ipuswap_dev *idev, enum ipuswap_fito_stat stat,
			       u64 n)
{
	this_cpu_add(idev->stats->fito[stat], n);
}

static void ipuswap_fito_ring_doorbell(struct ipuswap_dev *idev,
				       struct ipuswap_fito_cpu *fc,
				       struct ipuswap_fito_ring *ring)
{
	fc->unrung = 0;
	WRITE_ONCE(ring->host_doorbells, READ_ONCE(ring->host_doorbells) + 1);
	ipuswap_ring(idev, IPUSWAP_VEC_SCHED);
	ipuswap_fito_count(idev, IPUSWAP_FS_DOORBELLS, 1);
}

/*
 * Post one event to this CPU's ring. The ring has one producer, this CPU,
 * with interrupts off. fw_tail comes from the firmware: a value that does
 * not fit the ring (behind by more than a ring, or ahead of us) is treated
 * as "full", so a hostile firmware can only stop its own events.
 *
 * Return: true if posted.
 */
static bool ipuswap_fito_post(struct ipuswap_dev *idev, u8 type, u8 flags, s32 idx,
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
	if (this_cpu >= idev->layout.nr_cpus)
		goto out;
	fc = this_cpu_ptr(idev->fito_cpu);
	ring = ipuswap_fito_ring_at(idev->hdr, idev->fito_rings_offset, this_cpu);
	tail = READ_ONCE(ring->fw_tail);
	used = fc->head - tail;
	if (tail > fc->head || used >= IPUSWAP_FITO_RING_SLOTS) {
		ipuswap_fito_count(idev, IPUSWAP_FS_RING_FULL, 1);
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
	ipuswap_fito_count(idev, IPUSWAP_FS_EVENTS, 1);
	fc->unrung++;
	/* Without write-combining every event is its own doorbell. */
	if (ring_now || !(idev->fito_flags & IPUSWAP_FITO_WC) ||
	    fc->unrung >= IPUSWAP_FITO_EV_PER_REC)
		ipuswap_fito_ring_doorbell(idev, fc, ring);
	ok = true;
out:
	local_irq_restore(irqflags);
	return ok;
}

static struct ipuswap_fito_task *ipuswap_fito_task(struct ipuswap_dev *idev, s32 idx)
{
	return &idev->fito_tasks[idx];
}

/* Leave QUEUED (the caller won the task); false if it was not queued. */
static bool ipuswap_fito_claim(struct ipuswap_dev *idev, s32 idx)
{
	if (atomic_cmpxchg(&ipuswap_fito_task(idev, idx)->state, IPUSWAP_FT_QUEUED,
			   IPUSWAP_FT_IDLE) != IPUSWAP_FT_QUEUED)
		return false;
	atomic_dec(&idev->fito_queued);
	return true;
}

/* The barrier after one more event about the task. */
static u32 ipuswap_fito_bump(struct ipuswap_dev *idev, s32 idx)
{
	struct ipuswap_fito_task *ft = ipuswap_fito_task(idev, idx);
	u32 b = READ_ONCE(ft->barrier) + 1;

	WRITE_ONCE(ft->barrier, b);
	return b;
}

/*
 * Called by ipuswap_attach() for PROTO_FITO: lay out and clear the rings.
 * The region comes from the probe's validated copy, never from the header
 * again: the firmware could have moved it since.
 */
int ipuswap_fito_attach(struct ipuswap_dev *idev)
{
	struct ipuswap_window_hdr *h = idev->hdr;
	struct ipuswap_layout l;
	u64 rings;
	int cpu;

	if (ipuswap_fito_layout(idev->region_offset, idev->region_size,
				idev->swap_layout.nr_cpus, &rings, &l) ||
	    l.nr_tasks > idev->swap_layout.nr_tasks)
		return -ENOSPC;
	idev->layout = l;
	idev->fito_rings_offset = rings;
	memset((void *)h + rings, 0, (size_t)l.nr_cpus * sizeof(struct ipuswap_fito_ring));
	for_each_possible_cpu(cpu) {
		struct ipuswap_fito_cpu *fc = per_cpu_ptr(idev->fito_cpu, cpu);

		fc->head = 0;
		fc->unrung = 0;
	}
	for (cpu = 0; cpu < l.nr_cpus; cpu++)
		WRITE_ONCE(ipuswap_cell_at(h, &l, cpu)->fito_gen, 0);
	atomic_set(&idev->fito_queued, 0);
	return 0;
}

void ipuswap_fito_task_created(struct ipuswap_dev *idev, s32 idx)
{
	atomic_set(&ipuswap_fito_task(idev, idx)->state, IPUSWAP_FT_IDLE);
}

void ipuswap_fito_task_destroyed(struct ipuswap_dev *idev, s32 idx)
{
	ipuswap_fito_claim(idev, idx);
	ipuswap_fito_post(idev, IPUSWAP_EV_DEAD, 0, idx, ipuswap_fito_bump(idev, idx),
			  NULL, 0, false);
}

__bpf_kfunc_start_defs();

/**
 * ipuswap_fito_enqueue - @p (slot @idx) is runnable: tell the firmware
 * @idx: slot
 * @p: the task (trusted)
 * @hint: CPU it last ran on
 *
 * The task is queued on the host either way; without an event (ring full)
 * the firmware never decides for it and the host serves it itself.
 *
 * Return: 0 if the event was posted, -IPUSWAP_R_NO_IPU otherwise.
 */
__bpf_kfunc s32 ipuswap_fito_enqueue(s32 idx, struct task_struct *p, s32 hint)
{
	struct ipuswap_dev *idev;
	s32 ret = -IPUSWAP_R_NO_IPU;

	rcu_read_lock();
	idev = ipuswap_fito_slot_dev(idx);
	if (!idev)
		goto out;
	if (atomic_xchg(&ipuswap_fito_task(idev, idx)->state, IPUSWAP_FT_QUEUED) !=
	    IPUSWAP_FT_QUEUED)
		atomic_inc(&idev->fito_queued);
	if (ipuswap_fito_post(idev, IPUSWAP_EV_RUNNABLE, 0, idx, ipuswap_fito_bump(idev, idx),
			      p, hint < 0 ? 0 : hint, false))
		ret = 0;
out:
	rcu_read_unlock();
	return ret;
}

/**
 * ipuswap_fito_dequeue - task @idx left the runqueue without being run
 * @idx: slot
 */
__bpf_kfunc void ipuswap_fito_dequeue(s32 idx)
{
	struct ipuswap_dev *idev;

	rcu_read_lock();
	idev = ipuswap_fito_slot_dev(idx);
	if (idev && ipuswap_fito_claim(idev, idx))
		ipuswap_fito_post(idev, IPUSWAP_EV_BLOCKED, 0, idx,
				  ipuswap_fito_bump(idev, idx), NULL, 0, false);
	rcu_read_unlock();
}

/**
 * ipuswap_fito_update - @p's weight or allowed CPUs changed
 * @idx: slot
 * @p: the task (trusted)
 */
__bpf_kfunc void ipuswap_fito_update(s32 idx, struct task_struct *p)
{
	struct ipuswap_dev *idev;
	u8 flags;

	rcu_read_lock();
	idev = ipuswap_fito_slot_dev(idx);
	if (idev) {
		flags = atomic_read(&ipuswap_fito_task(idev, idx)->state) ==
			IPUSWAP_FT_QUEUED ? IPUSWAP_EV_F_RUNNABLE : 0;
		ipuswap_fito_post(idev, IPUSWAP_EV_ATTR, flags, idx,
				  ipuswap_fito_bump(idev, idx), p, 0, false);
	}
	rcu_read_unlock();
}

/**
 * ipuswap_fito_self_serve - the host runs queued task @idx on @cpu itself
 * @idx: slot
 * @cpu: the dispatching CPU
 *
 * Return: 0 if this CPU now owns the task, -IPUSWAP_R_NOT_RUNNABLE if it
 * was not queued (taken elsewhere or dequeued: drop it).
 */
__bpf_kfunc s32 ipuswap_fito_self_serve(s32 idx, s32 cpu)
{
	struct ipuswap_dev *idev;
	s32 ret = -IPUSWAP_R_NO_IPU;

	rcu_read_lock();
	idev = ipuswap_fito_slot_dev(idx);
	if (!idev)
		goto out;
	ret = -IPUSWAP_R_NOT_RUNNABLE;
	if (!ipuswap_fito_claim(idev, idx))
		goto out;
	ipuswap_fito_post(idev, IPUSWAP_EV_SERVED, 0, idx, ipuswap_fito_bump(idev, idx),
			  NULL, cpu, false);
	ipuswap_fito_count(idev, IPUSWAP_FS_SELF, 1);
	ret = 0;
out:
	rcu_read_unlock();
	return ret;
}

/* The slot's decision if it is a well-formed PROPOSE, else -reason. */
static s32 ipuswap_fito_read_slot(struct ipuswap_dev *idev, s32 cpu, u64 *cw)
{
	struct ipuswap_cpu_cell *cell = ipuswap_cell_at(idev->hdr, &idev->layout, cpu);
	s32 idx;

	*cw = ipuswap_load(&cell->decision);
	if (IPUSWAP_CELL_STATE(*cw) != IPUSWAP_CELL_PROPOSE)
		return -IPUSWAP_R_NO_PROPOSAL;
	idx = IPUSWAP_CELL_IDX(*cw);
	if (IPUSWAP_CELL_REASON(*cw) != IPUSWAP_OK || !ipuswap_slot_in_use(idev, idx)) {
		/* Answer it, or the firmware would never write this slot again. */
		ipuswap_cas(&cell->decision, cw, IPUSWAP_CELL(IPUSWAP_CELL_ABORT,
			    IPUSWAP_R_BAD_INDEX, 0, 0));
		this_cpu_inc(idev->stats->aborts[IPUSWAP_R_BAD_INDEX]);
		return -IPUSWAP_R_BAD_INDEX;
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
	struct ipuswap_dev *idev;
	s32 ret = -IPUSWAP_R_NO_IPU;
	unsigned long irqflags;
	u64 cw;

	rcu_read_lock();
	idev = ipuswap_fito_dev();
	if (!idev || cpu < 0 || cpu >= idev->layout.nr_cpus)
		goto out;
	local_irq_save(irqflags);
	if (smp_processor_id() < idev->layout.nr_cpus &&
	    this_cpu_ptr(idev->fito_cpu)->unrung)
		ipuswap_fito_ring_doorbell(idev, this_cpu_ptr(idev->fito_cpu),
					   ipuswap_fito_ring_at(idev->hdr,
								idev->fito_rings_offset,
								smp_processor_id()));
	local_irq_restore(irqflags);
	ret = ipuswap_fito_read_slot(idev, cpu, &cw);
out:
	rcu_read_unlock();
	return ret;
}

/**
 * ipuswap_fito_request - ask the firmware for a decision for @cpu and wait
 * @cpu: the dispatching CPU
 * @timeout_ns: how long to wait (capped at IPUSWAP_FITO_WAIT_MAX_NS)
 *
 * Only waits when the host has queued tasks and the firmware is alive;
 * Wave's host has nothing else to run meanwhile. Every wait, its length
 * and every timeout are counted.
 *
 * Return: the decided task slot, or -IPUSWAP_R_NO_PROPOSAL.
 */
__bpf_kfunc s32 ipuswap_fito_request(s32 cpu, u64 timeout_ns)
{
	struct ipuswap_dev *idev;
	s32 ret = -IPUSWAP_R_NO_IPU;
	u64 start, now, cw;

	rcu_read_lock();
	idev = ipuswap_fito_dev();
	if (!idev || cpu < 0 || cpu >= idev->layout.nr_cpus)
		goto out;
	ret = -IPUSWAP_R_NO_PROPOSAL;
	if (!atomic_read(&idev->fito_queued) || !READ_ONCE(idev->fw_alive))
		goto out;
	if (!ipuswap_fito_post(idev, IPUSWAP_EV_CPU_IDLE, 0, -1, 0, NULL, cpu, true))
		goto out;
	ipuswap_fito_count(idev, IPUSWAP_FS_REQUESTS, 1);
	timeout_ns = min_t(u64, timeout_ns, IPUSWAP_FITO_WAIT_MAX_NS);
	ipuswap_fito_count(idev, IPUSWAP_FS_WAITS, 1);
	start = ktime_get_ns();
	/* Bounded by the clock: at most timeout_ns. */
	do {
		ret = ipuswap_fito_read_slot(idev, cpu, &cw);
		if (ret != -IPUSWAP_R_NO_PROPOSAL)
			break;
		cpu_relax();
		now = ktime_get_ns();
	} while (now - start < timeout_ns);
	ipuswap_fito_count(idev, IPUSWAP_FS_WAIT_NS, ktime_get_ns() - start);
	if (ret < 0)
		ipuswap_fito_count(idev, IPUSWAP_FS_TIMEOUTS, 1);
out:
	rcu_read_unlock();
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
 * (sched_ext will drop it); or -reason: do not run it.
 */
__bpf_kfunc s32 ipuswap_fito_commit(s32 cpu, s32 idx, bool allowed)
{
	struct ipuswap_cpu_cell *cell;
	struct ipuswap_dev *idev;
	u32 why = IPUSWAP_OK;
	bool validate, claimed = false;
	u64 cw, gen;
	s32 ret = -IPUSWAP_R_NO_IPU;

	rcu_read_lock();
	idev = ipuswap_fito_dev();
	if (!idev || cpu < 0 || cpu >= idev->layout.nr_cpus ||
	    ipuswap_fito_read_slot(idev, cpu, &cw) != idx)
		goto out;
	cell = ipuswap_cell_at(idev->hdr, &idev->layout, cpu);
	gen = READ_ONCE(cell->fito_gen);
	validate = idev->fito_flags & IPUSWAP_FITO_ABORT;
	if (gen != READ_ONCE(idev->hdr->fw_generation))
		why = IPUSWAP_R_AGENT_STALE;
	else if (atomic_read(&ipuswap_fito_task(idev, idx)->state) != IPUSWAP_FT_QUEUED)
		why = IPUSWAP_R_NOT_RUNNABLE;
	else if (IPUSWAP_CELL_VER(cw) != READ_ONCE(ipuswap_fito_task(idev, idx)->barrier))
		why = IPUSWAP_R_TARGET_STALE;

	if (!allowed) {
		if (!validate && why)
			ipuswap_fito_count(idev, IPUSWAP_FS_STALE_REFUSED, 1);
		why = IPUSWAP_R_NOT_ALLOWED;
	} else if (!validate || !why) {
		claimed = ipuswap_fito_claim(idev, idx);
		if (!claimed && !why)
			why = IPUSWAP_R_NOT_RUNNABLE;	/* lost a race: stale */
	}
	/* Without validation whatever the firmware said is done, stale or not. */
	if (why && (validate || !allowed)) {
		ipuswap_cas(&cell->decision, &cw,
			    IPUSWAP_CELL(IPUSWAP_CELL_ABORT, why, idx, IPUSWAP_CELL_VER(cw)));
		ipuswap_fito_count(idev, IPUSWAP_FS_ABORTED, 1);
		this_cpu_inc(idev->stats->aborts[why]);
		ret = -(s32)why;
		goto out;
	}
	ipuswap_cas(&cell->decision, &cw,
		    IPUSWAP_CELL(IPUSWAP_CELL_COMMIT, 0, idx, IPUSWAP_CELL_VER(cw)));
	/* A committed decision with no reason against it was claimed here. */
	ipuswap_fito_count(idev, why ? IPUSWAP_FS_STALE_ENFORCED : IPUSWAP_FS_COMMIT, 1);
	if (!claimed)
		ipuswap_fito_count(idev, IPUSWAP_FS_STALE_DROPPED, 1);
	ret = claimed ? 0 : 1;
out:
	rcu_read_unlock();
	return ret;
}

__bpf_kfunc_end_defs();
