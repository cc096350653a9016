// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of the bilateral swap for sched_ext: kfuncs the
 * scx_ipuswap scheduler calls from its ops to move tasks through their home
 * words (ipuswap_swap.h). All of them run with a runqueue lock held or in
 * other atomic context: they never sleep, never wait for the IPU, and loop
 * at most over one bounded table. The window is untrusted: task indices,
 * states and versions read from it are validated before use, and which
 * slots are in use is known only from host memory (slot_used).
 *
 * Return convention: >= 0 on success, otherwise -(enum ipuswap_reason).
 */
#include <linux/bitmap.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "ipuswap.h"

static struct ipuswap_task *ipuswap_slot(struct ipuswap_dev *idev, s32 idx)
{
	return ipuswap_task_at(idev->hdr, &idev->layout, idx);
}

static void ipuswap_count(struct ipuswap_dev *idev, enum ipuswap_sched_stat stat)
{
	this_cpu_inc(idev->stats->count[stat]);
}

static s32 ipuswap_fail(struct ipuswap_dev *idev, enum ipuswap_reason why)
{
	this_cpu_inc(idev->stats->aborts[why]);
	return -(s32)why;
}

/*
 * Load a home word and make sure it is one the protocol can produce. A
 * garbage word (buggy or hostile IPU) is counted and replaced by the host's
 * own view of the slot: queued if the host offered it and nobody took it,
 * otherwise held by the host. Puts the word to act on in *seen and returns
 * false if there is none (still garbage after losing a race).
 */
static bool ipuswap_home_checked(struct ipuswap_dev *idev, s32 idx, u64 *home,
				 u64 *seen)
{
	u32 nr_cpus = idev->layout.nr_cpus;

	*seen = ipuswap_load(home);
	if (ipuswap_home_valid(*seen, nr_cpus))
		return true;
	ipuswap_fail(idev, IPUSWAP_R_BAD_WORD);
	/* Lost the repair race: only a word valid now may be acted on. */
	if (ipuswap_home_repair(home, seen, nr_cpus))
		return ipuswap_home_valid(*seen, nr_cpus);
	if (test_bit(idx, idev->slot_queued))
		ipuswap_home_enqueue(home, seen, nr_cpus, IPUSWAP_LOC_NONE);
	return ipuswap_home_valid(*seen, nr_cpus);
}

/* Host-owned attributes; written only while the host owns the task. */
static void ipuswap_write_attrs(struct ipuswap_dev *idev, struct ipuswap_task *t,
				struct task_struct *p)
{
	const unsigned long *mask = cpumask_bits(p->cpus_ptr);
	u32 i;

	WRITE_ONCE(t->pid, p->pid);
	WRITE_ONCE(t->weight, p->scx.weight);
	for (i = 0; i < idev->layout.cpu_words; i++)
		WRITE_ONCE(t->cpus[i], i < BITS_TO_LONGS(nr_cpu_ids) ? mask[i] : 0);
}

/*
 * Reset the swap region when a scheduler attaches: every slot FREE, every
 * cell EMPTY. Versions keep counting, so a firmware operation started
 * before the reset fails its CAS instead of landing on a new task.
 */
void ipuswap_sched_reset(struct ipuswap_dev *idev)
{
	int cpu;
	u32 i;

	/* Counters describe one attached scheduler. */
	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(idev->stats, cpu), 0, sizeof(*idev->stats));
	bitmap_zero(idev->slot_used, idev->layout.nr_tasks);
	bitmap_zero(idev->slot_queued, idev->layout.nr_tasks);
	for (i = 0; i < idev->layout.nr_tasks; i++) {
		u64 *home = &ipuswap_slot(idev, i)->home;

		WRITE_ONCE(*home, IPUSWAP_HOME(IPUSWAP_TASK_FREE, IPUSWAP_OWNER_HOST,
					       IPUSWAP_LOC_NONE,
					       IPUSWAP_HOME_VER(READ_ONCE(*home)) + 1));
	}
	for (i = 0; i < idev->layout.nr_cpus; i++) {
		struct ipuswap_cpu_cell *cell = ipuswap_cell_at(idev->hdr, &idev->layout, i);

		WRITE_ONCE(cell->decision, IPUSWAP_CELL(IPUSWAP_CELL_EMPTY, 0, 0, 0));
		WRITE_ONCE(cell->host_taken, 0);
		WRITE_ONCE(cell->host_self, 0);
	}
	/* Publish the reset before host_state says a scheduler is attached. */
	smp_wmb();
}

/* Force a slot's word to HOST, whatever (possibly garbage) it held. */
static enum ipuswap_reason ipuswap_claim_word(struct ipuswap_dev *idev, u64 *home)
{
	int tries;

	for (tries = 0; tries < 4; tries++) {
		u64 seen = ipuswap_load(home);

		if (!ipuswap_swap(home, &seen, IPUSWAP_HOME(IPUSWAP_TASK_HOST,
				  IPUSWAP_OWNER_HOST, IPUSWAP_LOC_NONE,
				  IPUSWAP_HOME_VER(seen) + 1)))
			return IPUSWAP_OK;
	}
	return IPUSWAP_R_STALE;
}

__bpf_kfunc_start_defs();

/**
 * ipuswap_task_create - give @p a task-table slot, in state HOST
 * @p: the task (trusted)
 *
 * Return: the slot index, or -IPUSWAP_R_NO_IPU / -IPUSWAP_R_BAD_INDEX (table
 * full); the scheduler then serves @p without offload.
 */
__bpf_kfunc s32 ipuswap_task_create(struct task_struct *p)
{
	struct ipuswap_dev *idev;
	u32 n, start, idx;
	s32 ret;

	rcu_read_lock();
	idev = ipuswap_sched_dev();
	if (!idev) {
		ret = -IPUSWAP_R_NO_IPU;
		goto out;
	}
	n = idev->layout.nr_tasks;
	start = READ_ONCE(idev->slot_hint) % n;
	/* Bounded: at most two passes over the bitmap. */
	for (idx = find_next_zero_bit(idev->slot_used, n, start);; ) {
		if (idx >= n) {
			if (!start) {
				ret = ipuswap_fail(idev, IPUSWAP_R_BAD_INDEX);
				goto out;
			}
			idx = find_next_zero_bit(idev->slot_used, n, 0);
			start = 0;
			continue;
		}
		if (!test_and_set_bit(idx, idev->slot_used))
			break;
		idx = find_next_zero_bit(idev->slot_used, n, idx + 1);
	}
	WRITE_ONCE(idev->slot_hint, idx + 1);
	ipuswap_write_attrs(idev, ipuswap_slot(idev, idx), p);
	WRITE_ONCE(ipuswap_slot(idev, idx)->runtime_ns, 0);
	if (ipuswap_claim_word(idev, &ipuswap_slot(idev, idx)->home)) {
		clear_bit(idx, idev->slot_used);
		ret = ipuswap_fail(idev, IPUSWAP_R_STALE);
		goto out;
	}
	if (idev->proto == IPUSWAP_PROTO_FITO)
		ipuswap_fito_task_created(idev, idx);
	ipuswap_count(idev, IPUSWAP_ST_CREATE);
	ret = idx;
out:
	rcu_read_unlock();
	return ret;
}

/**
 * ipuswap_task_destroy - release slot @idx (any state) back to FREE
 * @idx: slot from ipuswap_task_create()
 */
__bpf_kfunc void ipuswap_task_destroy(s32 idx)
{
	struct ipuswap_dev *idev;
	u64 *home, seen;

	rcu_read_lock();
	idev = ipuswap_sched_dev();
	if (!idev || !ipuswap_slot_in_use(idev, idx))
		goto out;
	if (idev->proto == IPUSWAP_PROTO_FITO)
		ipuswap_fito_task_destroyed(idev, idx);
	home = &ipuswap_slot(idev, idx)->home;
	if (ipuswap_claim_word(idev, home) == IPUSWAP_OK) {
		seen = ipuswap_load(home);
		ipuswap_home_destroy(home, &seen, idev->layout.nr_cpus);
	}
	clear_bit(idx, idev->slot_queued);
	clear_bit(idx, idev->slot_used);
	ipuswap_count(idev, IPUSWAP_ST_DESTROY);
out:
	rcu_read_unlock();
}

/**
 * ipuswap_task_enqueue - offer task @idx in the shared runqueue
 * @idx: slot
 * @hint: CPU the task prefers (last ran), or -1
 *
 * Return: 0, or -reason (the task stays with the host; serve it locally).
 */
__bpf_kfunc s32 ipuswap_task_enqueue(s32 idx, s32 hint)
{
	struct ipuswap_dev *idev;
	enum ipuswap_reason r;
	u64 *home, seen;
	s32 ret;

	rcu_read_lock();
	idev = ipuswap_sched_dev();
	if (!idev || !ipuswap_slot_in_use(idev, idx)) {
		ret = -IPUSWAP_R_NO_IPU;
		goto out;
	}
	home = &ipuswap_slot(idev, idx)->home;
	if (!ipuswap_home_checked(idev, idx, home, &seen)) {
		ret = -IPUSWAP_R_BAD_WORD;
		goto out;
	}
	/* Before the CAS: a take on another CPU may clear it right after. */
	set_bit(idx, idev->slot_queued);
	r = ipuswap_home_enqueue(home, &seen, idev->layout.nr_cpus,
			    hint >= 0 ? hint : IPUSWAP_LOC_NONE);
	if (r) {
		clear_bit(idx, idev->slot_queued);
		ret = ipuswap_fail(idev, r);
		goto out;
	}
	ipuswap_count(idev, IPUSWAP_ST_ENQUEUE);
	/* A hint only: the firmware also polls. */
	ipuswap_ring(idev, IPUSWAP_VEC_SCHED);
	ret = 0;
out:
	rcu_read_unlock();
	return ret;
}

/**
 * ipuswap_cell_peek - which task does the firmware propose for @cpu?
 * @cpu: the dispatching CPU
 *
 * Validates the proposal against host memory; one that names a slot not in
 * use is answered ABORT(BAD_INDEX) here.
 *
 * Return: the proposed slot index, or -reason.
 */
__bpf_kfunc s32 ipuswap_cell_peek(s32 cpu)
{
	struct ipuswap_cpu_cell *cell;
	struct ipuswap_dev *idev;
	u64 seen;
	s32 ret;

	rcu_read_lock();
	idev = ipuswap_sched_dev();
	if (!idev || cpu < 0 || cpu >= idev->layout.nr_cpus) {
		ret = -IPUSWAP_R_NO_IPU;
		goto out;
	}
	cell = ipuswap_cell_at(idev->hdr, &idev->layout, cpu);
	seen = ipuswap_load(&cell->decision);
	if (!ipuswap_cell_valid(seen, idev->layout.nr_tasks)) {
		ipuswap_cell_repair(&cell->decision, &seen, idev->layout.nr_tasks);
		ret = ipuswap_fail(idev, IPUSWAP_R_BAD_WORD);
		goto out;
	}
	if (IPUSWAP_CELL_STATE(seen) != IPUSWAP_CELL_PROPOSE) {
		ret = -IPUSWAP_R_NO_PROPOSAL;
		goto out;
	}
	ret = IPUSWAP_CELL_IDX(seen);
	if (!ipuswap_slot_in_use(idev, ret)) {
		ipuswap_cell_answer(&cell->decision, &seen, idev->layout.nr_tasks,
				    IPUSWAP_R_BAD_INDEX);
		ret = ipuswap_fail(idev, IPUSWAP_R_BAD_INDEX);
	}
out:
	rcu_read_unlock();
	return ret;
}

/**
 * ipuswap_task_take - reflect on and commit the proposal in @cpu's cell
 * @cpu: the dispatching CPU
 * @idx: the slot ipuswap_cell_peek() returned
 * @allowed: whether the host agrees @cpu may run the task (its cpumask)
 *
 * The home word must still be PROPOSE(@cpu) at the version the cell names;
 * otherwise nothing changes and the cell is answered ABORT(reason).
 *
 * Return: 0 if the task is now COMMIT on @cpu, or -reason.
 */
__bpf_kfunc s32 ipuswap_task_take(s32 cpu, s32 idx, bool allowed)
{
	enum ipuswap_reason r = IPUSWAP_R_NOT_ALLOWED;
	struct ipuswap_cpu_cell *cell;
	struct ipuswap_dev *idev;
	u64 cw, *home, seen;
	s32 ret;

	rcu_read_lock();
	idev = ipuswap_sched_dev();
	if (!idev || cpu < 0 || cpu >= idev->layout.nr_cpus ||
	    !ipuswap_slot_in_use(idev, idx)) {
		ret = -IPUSWAP_R_NO_IPU;
		goto out;
	}
	cell = ipuswap_cell_at(idev->hdr, &idev->layout, cpu);
	cw = ipuswap_load(&cell->decision);
	if (IPUSWAP_CELL_STATE(cw) != IPUSWAP_CELL_PROPOSE || IPUSWAP_CELL_IDX(cw) != idx) {
		ret = -IPUSWAP_R_NO_PROPOSAL;
		goto out;
	}
	home = &ipuswap_slot(idev, idx)->home;
	if (!ipuswap_home_checked(idev, idx, home, &seen))
		r = IPUSWAP_R_BAD_WORD;
	else if (allowed)
		r = ipuswap_home_take(home, &seen, idev->layout.nr_cpus, cpu, IPUSWAP_CELL_VER(cw));
	if (r == IPUSWAP_R_NOT_ALLOWED &&
	    IPUSWAP_HOME_STATE(seen) == IPUSWAP_TASK_PROPOSE &&
	    IPUSWAP_HOME_VER(seen) == IPUSWAP_CELL_VER(cw))
		ipuswap_home_decline(home, &seen, idev->layout.nr_cpus, IPUSWAP_OWNER_HOST);
	/* The home word decided; the cell only tells the firmware. */
	ipuswap_cell_answer(&cell->decision, &cw, idev->layout.nr_tasks, r);
	if (r) {
		ret = ipuswap_fail(idev, r);
		goto out;
	}
	clear_bit(idx, idev->slot_queued);
	WRITE_ONCE(cell->host_taken, READ_ONCE(cell->host_taken) + 1);
	ipuswap_count(idev, IPUSWAP_ST_TAKE);
	ret = 0;
out:
	rcu_read_unlock();
	return ret;
}

/**
 * ipuswap_task_self_serve - run task @idx on @cpu without a proposal
 * @idx: slot
 * @cpu: the dispatching CPU
 * @steal: also take a task the firmware proposed for another CPU
 *
 * Return: 0 if the task is now COMMIT on @cpu; -IPUSWAP_R_DECLINED if it is
 * proposed elsewhere and @steal is false (try again later); other -reason
 * if it is no longer queued (drop it).
 */
__bpf_kfunc s32 ipuswap_task_self_serve(s32 idx, s32 cpu, bool steal)
{
	struct ipuswap_cpu_cell *cell;
	struct ipuswap_dev *idev;
	enum ipuswap_reason r;
	u64 *home, seen;
	s32 ret;

	rcu_read_lock();
	idev = ipuswap_sched_dev();
	if (!idev || cpu < 0 || cpu >= idev->layout.nr_cpus ||
	    !ipuswap_slot_in_use(idev, idx)) {
		ret = -IPUSWAP_R_NO_IPU;
		goto out;
	}
	home = &ipuswap_slot(idev, idx)->home;
	if (!ipuswap_home_checked(idev, idx, home, &seen)) {
		ret = -IPUSWAP_R_BAD_WORD;
		goto out;
	}
	/* Leave a proposal to its CPU, unless that CPU went offline. */
	if (!steal && IPUSWAP_HOME_STATE(seen) == IPUSWAP_TASK_PROPOSE &&
	    IPUSWAP_HOME_LOC(seen) != cpu && cpu_online(IPUSWAP_HOME_LOC(seen))) {
		ret = -IPUSWAP_R_DECLINED;
		goto out;
	}
	r = ipuswap_home_self_serve(home, &seen, idev->layout.nr_cpus, cpu);
	if (r) {
		ret = r == IPUSWAP_R_STATE ? -IPUSWAP_R_STATE : ipuswap_fail(idev, r);
		goto out;
	}
	clear_bit(idx, idev->slot_queued);
	cell = ipuswap_cell_at(idev->hdr, &idev->layout, cpu);
	WRITE_ONCE(cell->host_self, READ_ONCE(cell->host_self) + 1);
	ipuswap_count(idev, IPUSWAP_ST_SELF);
	ret = 0;
out:
	rcu_read_unlock();
	return ret;
}

/**
 * ipuswap_task_proposed_cpu - the CPU task @idx is proposed for, if any
 * @idx: slot
 *
 * A CPU that leaves a proposed task to its CPU kicks that CPU with this, or
 * an idle target would never dispatch it (a lost wakeup the model found).
 *
 * Return: the CPU (validated), or -1.
 */
__bpf_kfunc s32 ipuswap_task_proposed_cpu(s32 idx)
{
	struct ipuswap_dev *idev;
	s32 ret = -1;
	u64 seen;

	rcu_read_lock();
	idev = ipuswap_sched_dev();
	if (idev && ipuswap_slot_in_use(idev, idx)) {
		seen = ipuswap_load(&ipuswap_slot(idev, idx)->home);
		if (ipuswap_home_valid(seen, idev->layout.nr_cpus) &&
		    IPUSWAP_HOME_STATE(seen) == IPUSWAP_TASK_PROPOSE)
			ret = IPUSWAP_HOME_LOC(seen);
	}
	rcu_read_unlock();
	return ret;
}

/**
 * ipuswap_task_stop - task @idx stopped running; account @runtime_ns
 * @idx: slot
 * @runtime_ns: time it just ran
 */
__bpf_kfunc void ipuswap_task_stop(s32 idx, u64 runtime_ns)
{
	struct ipuswap_dev *idev;
	struct ipuswap_task *t;
	u64 seen;

	rcu_read_lock();
	idev = ipuswap_sched_dev();
	if (!idev || !ipuswap_slot_in_use(idev, idx))
		goto out;
	t = ipuswap_slot(idev, idx);
	WRITE_ONCE(t->runtime_ns, READ_ONCE(t->runtime_ns) + runtime_ns);
	if (ipuswap_home_checked(idev, idx, &t->home, &seen) &&
	    IPUSWAP_HOME_STATE(seen) == IPUSWAP_TASK_COMMIT &&
	    ipuswap_home_stop(&t->home, &seen, idev->layout.nr_cpus) == IPUSWAP_OK)
		ipuswap_count(idev, IPUSWAP_ST_STOP);
out:
	rcu_read_unlock();
}

/**
 * ipuswap_task_retract - take back a queued or proposed task @idx
 * @idx: slot
 *
 * Return: 0 if it was retracted, -IPUSWAP_R_STATE if it was not queued.
 */
__bpf_kfunc s32 ipuswap_task_retract(s32 idx)
{
	struct ipuswap_dev *idev;
	enum ipuswap_reason r;
	u64 *home, seen;
	s32 ret = -IPUSWAP_R_NO_IPU;

	rcu_read_lock();
	idev = ipuswap_sched_dev();
	if (!idev || !ipuswap_slot_in_use(idev, idx))
		goto out;
	home = &ipuswap_slot(idev, idx)->home;
	/* Bounded retry: only the firmware's stage/decline can race us. */
	for (int tries = 0; tries < 4; tries++) {
		r = IPUSWAP_R_BAD_WORD;
		if (!ipuswap_home_checked(idev, idx, home, &seen))
			continue;
		r = ipuswap_home_retract(home, &seen, idev->layout.nr_cpus);
		if (r != IPUSWAP_R_STALE)
			break;
	}
	if (!r)
		clear_bit(idx, idev->slot_queued);
	if (r) {
		ret = r == IPUSWAP_R_STATE ? -IPUSWAP_R_STATE : ipuswap_fail(idev, r);
		goto out;
	}
	ipuswap_count(idev, IPUSWAP_ST_RETRACT);
	ret = 0;
out:
	rcu_read_unlock();
	return ret;
}

/**
 * ipuswap_task_update - publish @p's new weight and allowed CPUs
 * @idx: slot
 * @p: the task (trusted)
 *
 * A queued task is retracted first, so the firmware can never act on a
 * version whose attributes changed under it.
 *
 * Return: 1 if the task was queued and the caller must enqueue it again,
 * 0 if it was not queued, or -reason.
 */
__bpf_kfunc s32 ipuswap_task_update(s32 idx, struct task_struct *p)
{
	s32 was_queued = ipuswap_task_retract(idx);
	struct ipuswap_dev *idev;
	s32 ret = -IPUSWAP_R_NO_IPU;

	rcu_read_lock();
	idev = ipuswap_sched_dev();
	if (idev && ipuswap_slot_in_use(idev, idx)) {
		ipuswap_write_attrs(idev, ipuswap_slot(idev, idx), p);
		ret = was_queued == 0;
	}
	rcu_read_unlock();
	return ret;
}

__bpf_kfunc_end_defs();

int ipuswap_sched_alloc(struct ipuswap_dev *idev)
{
	idev->slot_used = bitmap_zalloc(idev->layout.nr_tasks, GFP_KERNEL);
	idev->slot_queued = bitmap_zalloc(idev->layout.nr_tasks, GFP_KERNEL);
	idev->stats = alloc_percpu(struct ipuswap_sched_stats);
	idev->fito_tasks = kvcalloc(idev->layout.nr_tasks, sizeof(*idev->fito_tasks),
				    GFP_KERNEL);
	idev->fito_cpu = alloc_percpu(struct ipuswap_fito_cpu);
	if (!idev->slot_used || !idev->slot_queued || !idev->stats ||
	    !idev->fito_tasks || !idev->fito_cpu) {
		ipuswap_sched_free(idev);
		return -ENOMEM;
	}
	return 0;
}

void ipuswap_sched_free(struct ipuswap_dev *idev)
{
	bitmap_free(idev->slot_used);
	bitmap_free(idev->slot_queued);
	free_percpu(idev->stats);
	kvfree(idev->fito_tasks);
	free_percpu(idev->fito_cpu);
	idev->fito_tasks = NULL;
	idev->fito_cpu = NULL;
	idev->slot_used = NULL;
	idev->slot_queued = NULL;
	idev->stats = NULL;
}

/* Sum of a per-CPU counter of either protocol, for debugfs. */
u64 ipuswap_sched_sum(struct ipuswap_dev *idev, enum ipuswap_stat_kind kind, int stat)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct ipuswap_sched_stats *s = per_cpu_ptr(idev->stats, cpu);

		sum += kind == IPUSWAP_SK_ABORT ? s->aborts[stat] :
		       kind == IPUSWAP_SK_FITO ? s->fito[stat] : s->count[stat];
	}
	return sum;
}
