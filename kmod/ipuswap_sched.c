// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of the bilateral swap for sched_ext: the kfuncs the
 * scx_ipuswap scheduler calls from its ops to move tasks through their home
 * words, and the per-attach context they run on (struct ipuswap_sched).
 *
 * Every kfunc opens with ipuswap_ctx_get(), which finds the attached
 * context under RCU and checks the CPU and slot arguments against it; the
 * protocol steps are the host sequences of ipuswap_host.h, the same code
 * the native twin runs, here given the host's memory (slot bitmaps, online
 * CPUs, per-CPU counters) through ipuswap_sched_host_ops. All of them run
 * with a runqueue lock held or in other atomic context: they never sleep,
 * never wait for the IPU, and loop at most over one bounded table. The
 * window is untrusted: indices, states and versions read from it are
 * validated before use, and which slots are in use is known only from host
 * memory.
 *
 * Return convention: >= 0 on success, otherwise -(enum ipuswap_reason):
 * -IPUSWAP_R_NO_IPU when no scheduler is attached to a bound IPU (the BPF
 * side then serves tasks itself), -IPUSWAP_R_BAD_ARG for a CPU or slot the
 * context does not have.
 */
#include <linux/bitmap.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/cpumask.h>
#include <linux/err.h>
#include <linux/percpu.h>
#include <linux/sched.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "ipuswap.h"

#define CREATE_TRACE_POINTS
#include "ipuswap_trace.h"

static const struct ipuswap_sched *ipuswap_host_sched(const struct ipuswap_host *h)
{
	return container_of_const(h, struct ipuswap_sched, host);
}

static bool ipuswap_k_in_use(const struct ipuswap_host *h, __u32 idx)
{
	return ipuswap_slot_in_use(ipuswap_host_sched(h), idx);
}

static bool ipuswap_k_queued(const struct ipuswap_host *h, __u32 idx)
{
	return test_bit(idx, ipuswap_host_sched(h)->slot_queued);
}

static void ipuswap_k_set_queued(const struct ipuswap_host *h, __u32 idx, bool on)
{
	if (on) {
		/* Releases the claim token: its holder's writes come first. */
		smp_mb__before_atomic();
		set_bit(idx, ipuswap_host_sched(h)->slot_queued);
	} else {
		clear_bit(idx, ipuswap_host_sched(h)->slot_queued);
	}
}

static bool ipuswap_k_claim(const struct ipuswap_host *h, __u32 idx)
{
	return test_and_clear_bit(idx, ipuswap_host_sched(h)->slot_queued);
}

static bool ipuswap_k_cpu_online(const struct ipuswap_host *h, __u32 cpu)
{
	return cpu_online(cpu);		/* cpu < layout.nr_cpus == nr_cpu_ids */
}

/* The one place an abort is counted (debugfs abort_<reason>). */
static void ipuswap_count_abort(const struct ipuswap_sched *s, u32 why)
{
	this_cpu_inc(s->idev->stats->aborts[why]);
	trace_ipuswap_abort(why);
}

static void ipuswap_k_count(const struct ipuswap_host *h, enum ipuswap_reason why)
{
	ipuswap_count_abort(ipuswap_host_sched(h), why);
}

/* What the host sequences need to know of the kernel's memory. */
static const struct ipuswap_host_ops ipuswap_sched_host_ops = {
	.in_use = ipuswap_k_in_use,
	.queued = ipuswap_k_queued,
	.set_queued = ipuswap_k_set_queued,
	.claim = ipuswap_k_claim,
	.cpu_online = ipuswap_k_cpu_online,
	.count = ipuswap_k_count,
};

/**
 * ipuswap_ctx_fail - count abort @why and return it for the BPF side
 * @s: the attached context
 * @why: enum ipuswap_reason or enum ipuswap_fito_reason
 *
 * Every abort a kfunc reports is counted here, or by the host sequence
 * that repaired a word (BAD_WORD), never twice.
 *
 * Return: -@why.
 */
s32 ipuswap_ctx_fail(struct ipuswap_sched *s, u32 why)
{
	ipuswap_count_abort(s, why);
	return -(s32)why;
}

/**
 * ipuswap_ctx_get - open a kfunc: the attached context, arguments checked
 * @need: enum ipuswap_ctx_need bits: which arguments the kfunc does not
 *	have, whether @cpu is a hint, the protocol it needs
 * @cpu: a CPU the caller will index cells with (unless IPUSWAP_NO_CPU;
 *	with IPUSWAP_HINT_CPU a negative one means none)
 * @idx: a task slot the caller will address (unless IPUSWAP_NO_SLOT)
 * @ret: set to the kfunc's return value when there is no context
 *
 * The one place a kfunc's CPU and slot arguments are checked: BPF may pass
 * any value, and nothing of the tables is reached with one not checked
 * here. Caller holds rcu_read_lock() (guard(rcu)()) until it is done with
 * the context.
 *
 * Return: the context, or NULL with *@ret = -IPUSWAP_R_NO_IPU (no IPU, no
 * scheduler attached, or not the protocol @need asks for) or
 * -IPUSWAP_R_BAD_ARG (counted).
 */
struct ipuswap_sched *ipuswap_ctx_get(unsigned int need, s32 cpu, s32 idx, s32 *ret)
{
	struct ipuswap_sched *s = ipuswap_sched_ctx();
	bool cpu_ok, slot_ok;

	*ret = -IPUSWAP_R_NO_IPU;
	if (!s || ((need & IPUSWAP_NEED_FITO) && s->proto != IPUSWAP_PROTO_FITO))
		return NULL;
	cpu_ok = (need & IPUSWAP_NO_CPU) || (cpu < 0 && (need & IPUSWAP_HINT_CPU)) ||
		 (cpu >= 0 && cpu < s->host.l.nr_cpus);
	slot_ok = (need & IPUSWAP_NO_SLOT) || ipuswap_slot_in_use(s, idx);
	if (!cpu_ok || !slot_ok) {
		*ret = ipuswap_ctx_fail(s, IPUSWAP_R_BAD_ARG);
		return NULL;
	}
	return s;
}

/* SCHED doorbell: to the agent this attach asked for. */
void ipuswap_ctx_ring(struct ipuswap_sched *s)
{
	if (s->agent == IPUSWAP_AGENT_ONHOST)
		ipuswap_onhost_ring(s->idev, IPUSWAP_VEC_SCHED);
	else
		ipuswap_ring(s->idev, IPUSWAP_VEC_SCHED);
}

/*
 * A host sequence did not happen: -@r for the BPF side. Outcomes that are
 * answers, not aborts (no proposal, not in the state asked for, left to
 * another CPU) are not counted; BAD_WORD was, where it was repaired.
 */
static s32 ipuswap_sched_abort(struct ipuswap_sched *s, enum ipuswap_reason r)
{
	switch (r) {
	case IPUSWAP_R_NO_PROPOSAL:
	case IPUSWAP_R_STATE:
	case IPUSWAP_R_ELSEWHERE:
	case IPUSWAP_R_BAD_WORD:
		return -(s32)r;
	default:
		return ipuswap_ctx_fail(s, r);
	}
}

/*
 * Tracepoint ipuswap_swap: @op's outcome @r; @held is the word it left (0:
 * not known). On failure, or not known, the trace shows the word now in
 * the window.
 */
static void ipuswap_trace_op(struct ipuswap_sched *s, const char *op, s32 cpu, s32 idx,
			     u64 held, enum ipuswap_reason r)
{
	if (!trace_ipuswap_swap_enabled())
		return;
	if (r || !held)
		held = ipuswap_load(ipuswap_host_home_at(&s->host, idx));
	trace_ipuswap_swap(op, cpu, idx, held, r);
}

static void ipuswap_count(struct ipuswap_sched *s, enum ipuswap_sched_stat stat)
{
	this_cpu_inc(s->idev->stats->count[stat]);
}

static struct ipuswap_task *ipuswap_slot(struct ipuswap_sched *s, s32 idx)
{
	return ipuswap_task_at(s->host.win, &s->host.l, idx);
}

static struct ipuswap_cpu_cell *ipuswap_cell(struct ipuswap_sched *s, s32 cpu)
{
	return ipuswap_cell_at(s->host.win, &s->host.l, cpu);
}

/* Host-owned attributes; written only while the host owns the task. */
static void ipuswap_write_attrs(struct ipuswap_sched *s, struct ipuswap_task *t,
				struct task_struct *p)
{
	const unsigned long *mask = cpumask_bits(p->cpus_ptr);
	u32 i;

	WRITE_ONCE(t->pid, p->pid);
	WRITE_ONCE(t->weight, p->scx.weight);
	for (i = 0; i < s->host.l.cpu_words; i++)
		WRITE_ONCE(t->cpus[i], i < BITS_TO_LONGS(nr_cpu_ids) ? mask[i] : 0);
}

/* A free slot, marked used; -1 if the table is full. */
static s32 ipuswap_slot_alloc(struct ipuswap_sched *s)
{
	u32 n = s->host.l.nr_tasks, start = READ_ONCE(s->slot_hint) % n, idx;

	/* Bounded: at most two passes over the bitmap. */
	for (idx = find_next_zero_bit(s->slot_used, n, start);; ) {
		if (idx >= n) {
			if (!start)
				return -1;
			idx = find_next_zero_bit(s->slot_used, n, 0);
			start = 0;
			continue;
		}
		if (!test_and_set_bit(idx, s->slot_used))
			break;
		idx = find_next_zero_bit(s->slot_used, n, idx + 1);
	}
	WRITE_ONCE(s->slot_hint, idx + 1);
	return idx;
}

/*
 * Reset the region for a new attach, before it is published: every slot
 * FREE, every cell EMPTY, the counters zero. Versions keep counting, so a
 * firmware operation started before the reset fails its CAS instead of
 * landing on a new task. The publication (rcu_assign_pointer(), then the
 * release store of host_state) orders these writes before any use.
 */
void ipuswap_sched_reset(struct ipuswap_sched *s)
{
	const struct ipuswap_layout *l = &s->host.l;
	int cpu;
	u32 i;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(s->idev->stats, cpu), 0, sizeof(*s->idev->stats));
	for (i = 0; i < l->nr_tasks; i++) {
		u64 *home = &ipuswap_slot(s, i)->home;

		WRITE_ONCE(*home, IPUSWAP_HOME(IPUSWAP_TASK_FREE, IPUSWAP_OWNER_HOST,
					       IPUSWAP_LOC_NONE,
					       IPUSWAP_HOME_VER(READ_ONCE(*home)) + 1));
	}
	for (i = 0; i < l->nr_cpus; i++) {
		struct ipuswap_cpu_cell *cell = ipuswap_cell(s, i);

		WRITE_ONCE(cell->decision, IPUSWAP_CELL(IPUSWAP_CELL_EMPTY, 0, 0, 0));
		WRITE_ONCE(cell->host_taken, 0);
		WRITE_ONCE(cell->host_self, 0);
	}
	if (s->proto == IPUSWAP_PROTO_FITO)
		ipuswap_fito_reset(s);
}

/**
 * ipuswap_sched_new - allocate a complete, unpublished per-attach context
 * @swap: the device's PROTO_SWAP layout (from probe)
 * @region_offset: the swap region, as validated at probe
 * @region_size: its size
 * @proto: enum ipuswap_proto
 * @agent: enum ipuswap_agent
 * @fito_flags: enum ipuswap_fito_flag bits
 *
 * May sleep. The window and device are set when it is published.
 *
 * Return: the context, or ERR_PTR(-ENOMEM / -ENOSPC).
 */
struct ipuswap_sched *ipuswap_sched_new(const struct ipuswap_layout *swap, u64 region_offset,
					u64 region_size, u32 proto, u32 agent, u32 fito_flags)
{
	struct ipuswap_sched *s = kzalloc(sizeof(*s), GFP_KERNEL);
	int ret = -ENOMEM;

	if (!s)
		return ERR_PTR(-ENOMEM);
	s->host.l = *swap;
	s->host.ops = &ipuswap_sched_host_ops;
	s->proto = proto;
	s->agent = agent;
	s->fito_flags = fito_flags;
	if (proto == IPUSWAP_PROTO_FITO) {
		ret = ipuswap_fito_alloc(s, swap, region_offset, region_size);
		if (ret)
			goto fail;
		ret = -ENOMEM;
	}
	s->slot_used = bitmap_zalloc(s->host.l.nr_tasks, GFP_KERNEL);
	s->slot_queued = bitmap_zalloc(s->host.l.nr_tasks, GFP_KERNEL);
	s->host.defer = kcalloc(s->host.l.nr_tasks, sizeof(*s->host.defer), GFP_KERNEL);
	if (!s->slot_used || !s->slot_queued || !s->host.defer)
		goto fail;
	return s;
fail:
	ipuswap_sched_delete(s);
	return ERR_PTR(ret);
}

/* Free a context nobody can reach any more (any context: RCU callback). */
void ipuswap_sched_delete(struct ipuswap_sched *s)
{
	ipuswap_fito_free(s);
	bitmap_free(s->slot_used);
	bitmap_free(s->slot_queued);
	kfree(s->host.defer);
	kfree(s);
}

__bpf_kfunc_start_defs();

/**
 * ipuswap_task_create - give @p a task-table slot, in state HOST
 * @p: the task (trusted)
 *
 * Return: the slot index, or -IPUSWAP_R_NO_IPU / -IPUSWAP_R_BAD_INDEX (table
 * full) / -IPUSWAP_R_STALE (the window would not let go of the slot); the
 * scheduler then serves @p without offload.
 */
__bpf_kfunc s32 ipuswap_task_create(struct task_struct *p)
{
	struct ipuswap_sched *s;
	s32 idx, ret;
	u64 held = 0;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NO_CPU | IPUSWAP_NO_SLOT, 0, 0, &ret);
	if (!s)
		return ret;
	idx = ipuswap_slot_alloc(s);
	if (idx < 0)
		return ipuswap_ctx_fail(s, IPUSWAP_R_BAD_INDEX);
	ipuswap_write_attrs(s, ipuswap_slot(s, idx), p);
	WRITE_ONCE(ipuswap_slot(s, idx)->runtime_ns, 0);
	if (ipuswap_host_create(&s->host, idx, &held)) {
		ipuswap_trace_op(s, "create", -1, idx, 0, IPUSWAP_R_STALE);
		clear_bit(idx, s->slot_used);
		return ipuswap_ctx_fail(s, IPUSWAP_R_STALE);
	}
	ipuswap_trace_op(s, "create", -1, idx, held, IPUSWAP_OK);
	if (s->proto == IPUSWAP_PROTO_FITO)
		ipuswap_fito_task_created(s, idx);
	ipuswap_count(s, IPUSWAP_ST_CREATE);
	return idx;
}

/**
 * ipuswap_task_destroy - release slot @idx (any state) back to FREE
 * @idx: slot from ipuswap_task_create()
 */
__bpf_kfunc void ipuswap_task_destroy(s32 idx)
{
	struct ipuswap_sched *s;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NO_CPU, 0, idx, &ret);
	if (!s)
		return;
	if (s->proto == IPUSWAP_PROTO_FITO)
		ipuswap_fito_task_destroyed(s, idx);
	ipuswap_trace_op(s, "destroy", -1, idx, 0, ipuswap_host_destroy(&s->host, idx));
	clear_bit(idx, s->slot_used);
	ipuswap_count(s, IPUSWAP_ST_DESTROY);
}

/**
 * ipuswap_task_enqueue - offer task @idx in the shared runqueue
 * @idx: slot
 * @hint: CPU the task prefers (last ran), or negative
 *
 * Return: 0, or -reason (the task stays with the host; serve it locally);
 * -IPUSWAP_R_STATE if it is not HOST (e.g. still COMMIT), -IPUSWAP_R_BAD_ARG
 * for a hint that is not a CPU.
 */
__bpf_kfunc s32 ipuswap_task_enqueue(s32 idx, s32 hint)
{
	enum ipuswap_reason r;
	struct ipuswap_sched *s;
	u64 held = 0;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_HINT_CPU, hint, idx, &ret);
	if (!s)
		return ret;
	r = ipuswap_host_enqueue(&s->host, idx, hint >= 0 ? hint : IPUSWAP_LOC_NONE, &held);
	ipuswap_trace_op(s, "enqueue", hint, idx, held, r);
	if (r)
		return ipuswap_sched_abort(s, r);
	ipuswap_count(s, IPUSWAP_ST_ENQUEUE);
	/* A hint only: the firmware also polls. */
	ipuswap_ctx_ring(s);
	return 0;
}

/**
 * ipuswap_cell_peek - which task does the firmware propose for @cpu?
 * @cpu: the dispatching CPU
 *
 * Validates the proposal against host memory; one that names a slot not in
 * use is answered ABORT(BAD_INDEX) here, a garbage cell repaired.
 *
 * Return: the proposed slot index, -IPUSWAP_R_NO_PROPOSAL, or -reason.
 */
__bpf_kfunc s32 ipuswap_cell_peek(s32 cpu)
{
	enum ipuswap_reason r;
	struct ipuswap_sched *s;
	u32 idx;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NO_SLOT, cpu, 0, &ret);
	if (!s)
		return ret;
	r = ipuswap_host_peek(&s->host, cpu, &idx);
	return r ? ipuswap_sched_abort(s, r) : idx;
}

/**
 * ipuswap_task_take - reflect on and commit the proposal in @cpu's cell
 * @cpu: the dispatching CPU
 * @idx: the slot ipuswap_cell_peek() returned
 * @allowed: whether the host agrees @cpu may run the task (its cpumask)
 *
 * The home word must still be PROPOSE(@cpu) at the version the cell names;
 * otherwise nothing changes and the cell is answered ABORT(reason). A task
 * @cpu may not run is declined back to the runqueue.
 *
 * Return: 0 if the task is now COMMIT on @cpu, or -reason.
 */
__bpf_kfunc s32 ipuswap_task_take(s32 cpu, s32 idx, bool allowed)
{
	struct ipuswap_cpu_cell *cell;
	enum ipuswap_reason r;
	struct ipuswap_sched *s;
	u64 prop, held = 0;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(0, cpu, idx, &ret);
	if (!s)
		return ret;
	r = ipuswap_host_take(&s->host, cpu, idx, allowed, &prop, &held);
	ipuswap_trace_op(s, "take", cpu, idx, held, r);
	if (r)
		return ipuswap_sched_abort(s, r);
	cell = ipuswap_cell(s, cpu);
	WRITE_ONCE(cell->host_taken, READ_ONCE(cell->host_taken) + 1);
	ipuswap_count(s, IPUSWAP_ST_TAKE);
	return 0;
}

/**
 * ipuswap_task_self_serve - run task @idx on @cpu without a proposal
 * @idx: slot
 * @cpu: the dispatching CPU
 * @steal: also take a task the firmware proposed for another online CPU
 *
 * Return: 0 if the task is now COMMIT on @cpu; -IPUSWAP_R_ELSEWHERE if it
 * is proposed to another online CPU and @steal is false (keep it queued,
 * kick that CPU); -IPUSWAP_R_STATE if it is no longer queued (drop it);
 * other -reason: keep it queued and try again later.
 */
__bpf_kfunc s32 ipuswap_task_self_serve(s32 idx, s32 cpu, bool steal)
{
	struct ipuswap_cpu_cell *cell;
	enum ipuswap_reason r;
	struct ipuswap_sched *s;
	u64 held = 0;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(0, cpu, idx, &ret);
	if (!s)
		return ret;
	r = ipuswap_host_self_serve(&s->host, idx, cpu, steal, &held);
	ipuswap_trace_op(s, "self_serve", cpu, idx, held, r);
	if (r)
		return ipuswap_sched_abort(s, r);
	cell = ipuswap_cell(s, cpu);
	WRITE_ONCE(cell->host_self, READ_ONCE(cell->host_self) + 1);
	ipuswap_count(s, IPUSWAP_ST_SELF);
	return 0;
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
	struct ipuswap_sched *s;
	s32 ret;
	u64 seen;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NO_CPU, 0, idx, &ret);
	if (!s)
		return -1;
	seen = ipuswap_load(ipuswap_host_home_at(&s->host, idx));
	if (!ipuswap_home_valid(seen, s->host.l.nr_cpus) ||
	    IPUSWAP_HOME_STATE(seen) != IPUSWAP_TASK_PROPOSE)
		return -1;
	return IPUSWAP_HOME_LOC(seen);
}

/**
 * ipuswap_task_stop - task @idx stopped running; account @runtime_ns
 * @idx: slot
 * @runtime_ns: time it just ran
 */
__bpf_kfunc void ipuswap_task_stop(s32 idx, u64 runtime_ns)
{
	enum ipuswap_reason r;
	struct ipuswap_sched *s;
	struct ipuswap_task *t;
	u64 held = 0;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NO_CPU, 0, idx, &ret);
	if (!s)
		return;
	t = ipuswap_slot(s, idx);
	WRITE_ONCE(t->runtime_ns, READ_ONCE(t->runtime_ns) + runtime_ns);
	r = ipuswap_host_stop(&s->host, idx, &held);
	ipuswap_trace_op(s, "stop", -1, idx, held, r);
	if (r == IPUSWAP_OK)
		ipuswap_count(s, IPUSWAP_ST_STOP);
}

static s32 ipuswap_sched_retract(struct ipuswap_sched *s, s32 idx)
{
	enum ipuswap_reason r;
	u64 held = 0;

	r = ipuswap_host_retract(&s->host, idx, &held);
	ipuswap_trace_op(s, "retract", -1, idx, held, r);
	if (r)
		return ipuswap_sched_abort(s, r);
	ipuswap_count(s, IPUSWAP_ST_RETRACT);
	return 0;
}

/**
 * ipuswap_task_retract - take back a queued or proposed task @idx
 * @idx: slot
 *
 * Return: 0 if it was retracted, -IPUSWAP_R_STATE if it was not queued,
 * or -reason.
 */
__bpf_kfunc s32 ipuswap_task_retract(s32 idx)
{
	struct ipuswap_sched *s;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NO_CPU, 0, idx, &ret);
	return s ? ipuswap_sched_retract(s, idx) : ret;
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
	struct ipuswap_sched *s;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NO_CPU, 0, idx, &ret);
	if (!s)
		return ret;
	ret = ipuswap_sched_retract(s, idx) == 0;
	ipuswap_write_attrs(s, ipuswap_slot(s, idx), p);
	return ret;
}

/**
 * ipuswap_task_word - slot @idx's home word as the window holds it (dumps)
 * @idx: slot
 *
 * Return: the word (not validated: a dump shows what is there), or 0 for a
 * slot the context does not have.
 */
__bpf_kfunc u64 ipuswap_task_word(s32 idx)
{
	struct ipuswap_sched *s;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NO_CPU, 0, idx, &ret);
	return s ? ipuswap_load(ipuswap_host_home_at(&s->host, idx)) : 0;
}

/**
 * ipuswap_task_offered - does the host hold slot @idx offered (queued bit)?
 * @idx: slot
 *
 * Return: the host's own truth, which a forged home word cannot change.
 */
__bpf_kfunc bool ipuswap_task_offered(s32 idx)
{
	struct ipuswap_sched *s;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NO_CPU, 0, idx, &ret);
	return s && test_bit(idx, s->slot_queued);
}

/**
 * ipuswap_cell_word - @cpu's decision word as the window holds it (dumps)
 * @cpu: CPU
 *
 * Return: the word (not validated), or 0 for a CPU the context does not have.
 */
__bpf_kfunc u64 ipuswap_cell_word(s32 cpu)
{
	struct ipuswap_sched *s;
	s32 ret;

	guard(rcu)();
	s = ipuswap_ctx_get(IPUSWAP_NO_SLOT, cpu, 0, &ret);
	return s ? ipuswap_load(ipuswap_host_cell_at(&s->host, cpu)) : 0;
}

__bpf_kfunc_end_defs();

/* Probe: the counters outlive each attach, for debugfs. */
int ipuswap_sched_alloc(struct ipuswap_dev *idev)
{
	idev->stats = alloc_percpu(struct ipuswap_sched_stats);
	return idev->stats ? 0 : -ENOMEM;
}

/* Unbind, after remove() waited for a grace period. */
void ipuswap_sched_free(struct ipuswap_dev *idev)
{
	ipuswap_detach_unbound(idev);
	free_percpu(idev->stats);
	idev->stats = NULL;
}

/**
 * ipuswap_sched_mode - the attached scheduler's parameters, for debugfs
 * @idev: the device
 * @proto: enum ipuswap_proto (PROTO_SWAP when detached)
 * @agent: enum ipuswap_agent (AGENT_IPU when detached)
 * @fito_flags: enum ipuswap_fito_flag bits (0 when detached)
 *
 * Return: whether a scheduler is attached.
 */
bool ipuswap_sched_mode(struct ipuswap_dev *idev, u32 *proto, u32 *agent, u32 *fito_flags)
{
	struct ipuswap_sched *s;

	guard(rcu)();
	s = rcu_dereference(idev->sched);
	*proto = s ? s->proto : IPUSWAP_PROTO_SWAP;
	*agent = s ? s->agent : IPUSWAP_AGENT_IPU;
	*fito_flags = s ? s->fito_flags : 0;
	return s;
}

/* Sum of a per-CPU counter of either protocol, for debugfs. */
u64 ipuswap_sched_sum(struct ipuswap_dev *idev, enum ipuswap_stat_kind kind, int stat)
{
	u64 sum = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct ipuswap_sched_stats *st = per_cpu_ptr(idev->stats, cpu);

		sum += kind == IPUSWAP_SK_ABORT ? st->aborts[stat] :
		       kind == IPUSWAP_SK_FITO ? st->fito[stat] : st->count[stat];
	}
	return sum;
}
