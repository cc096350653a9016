/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_ipuswap: a sched_ext scheduler whose decisions are made by firmware
 * on an IPU and exchanged with the host as bilateral swaps on a shared
 * window (Documentation/protocol.md). The BPF side never touches the window;
 * it calls the module's kfuncs (ipuswap_kfuncs.bpf.h).
 *
 * Modes (rodata `mode`, the loader's --mode)
 *
 *   swap    the default. Every task with a slot in the window's task table
 *           goes through its home word: the host offers it, the firmware
 *           stages it for a CPU and proposes it in that CPU's cell, the CPU
 *           takes the proposal or, with none, serves a queued task itself.
 *   onhost  swap with the same firmware binary serving the window from a
 *           host CPU (ipuswap_attach(..., IPUSWAP_AGENT_ONHOST, ...)); the
 *           host code is the same (swap_path()).
 *   fito    Wave's model, the baseline: enqueue/dequeue/attribute changes
 *           become events to the firmware; dispatch commits the decision in
 *           its CPU's transaction slot (validated at commit only with the
 *           `abort` mitigation), else asks for one and waits, bounded by
 *           fito_timeout_ns ("The FITO baseline" in protocol.md).
 *   bpf     the same weighted-vtime policy on one shared DSQ, no agent: the
 *           reference the offload is measured against.
 *
 * Per op, by mode ("swap" includes onhost; "offload modes" are all but bpf)
 *
 *   init        attach the window for the mode's protocol and agent, then
 *               create SHARED_DSQ and FALLBACK_DSQ. Without a valid window
 *               it fails with a message and the kernel ejects the scheduler.
 *   exit        detach if init attached; record the exit info last.
 *   init_task   offload modes: a task-table slot (HOST), its pid kept in
 *               slot_pid (the window's pid field is never believed). No slot
 *               (table full, no IPU): the task lives on FALLBACK_DSQ.
 *   exit_task   forget the slot and free it.
 *   enable      start the task at the global vtime (bpf mode's clock).
 *   select_cpu  the default idle-CPU pick, never a dispatch: that would
 *               bypass enqueue and with it the offload.
 *   enqueue     per-CPU kthreads: the local DSQ, in every mode. bpf: SHARED_DSQ
 *               in vtime order. swap: HOST -> QUEUED with the current CPU as
 *               hint, the slot into the host queue. fito: a RUNNABLE event,
 *               the slot into the host queue. Both kick the task's CPU if it
 *               is idle: a task held by BPF wakes no CPU by itself. Refused
 *               by the offload path: FALLBACK_DSQ.
 *   dispatch    bpf: consume SHARED_DSQ. swap: take the cell's proposal
 *               (peek; REFLECT: the task's cpumask, and its CPU while
 *               migration is disabled, must allow this CPU; PROPOSE -> COMMIT
 *               at the version the cell names), else self-serve from the host
 *               queue (QUEUED -> COMMIT), else FALLBACK_DSQ. It never waits:
 *               a slow, hung or dead firmware only moves dispatches from
 *               "taken" to "self". fito: commit the slot's decision, else
 *               request one and wait for it, else self-serve (a SERVED
 *               event), else FALLBACK_DSQ.
 *   running     swap: note when the task started. bpf: advance the global
 *               vtime. fito: nothing.
 *   stopping    swap: COMMIT -> HOST with the runtime. bpf: charge vtime.
 *               fito: nothing, the firmware charged the task at decision.
 *   dequeue     swap: retract (QUEUED or PROPOSE -> HOST). fito: a BLOCKED
 *               event.
 *   set_weight, set_cpumask
 *               swap: retract, rewrite the attributes, enqueue again if it
 *               was queued, so the firmware never acts on attributes that
 *               changed under it. fito: an ATTR event.
 *   tick        sample the firmware's liveness for the loader's stats.
 *   cpu_online, cpu_offline
 *               empty, and needed: in 6.12 a scheduler without them is
 *               ejected (SCX_ECODE_RSN_HOTPLUG) at every CPU hotplug event
 *               (handle_hotplug() in kernel/sched/ext.c). Nothing else is
 *               needed: the module lets any CPU self-serve a task proposed
 *               to a CPU that went offline, and the firmware's proposals to
 *               an offline CPU just wait in its cell.
 *
 * The host queue
 *
 *   Offload modes keep their own FIFO of queued slots (a BPF queue map,
 *   each slot in it at most once), the source of self-serve. It is shared
 *   by all CPUs; a dispatch looks at SELF_SERVE_TRIES entries at most,
 *   putting back tasks not allowed here or proposed to another CPU (kicking
 *   that CPU, or an idle one would never dispatch it: the model's lost
 *   wakeup) and dropping entries whose task is no longer queued (taken,
 *   retracted, exited). A proposal is left to its CPU while the firmware is
 *   alive; with --steal, or once the firmware looks dead, self-serve takes
 *   it too (that CPU's take then aborts STALE).
 *
 * Always local, always a way out
 *
 *   Per-CPU kthreads go straight to their CPU's local DSQ: on a shared
 *   queue every other CPU would skip them. A task the offload path refuses
 *   (no slot, a word in an unexpected state, the host queue full) goes to
 *   FALLBACK_DSQ, a FIFO that every CPU consumes when the offload found
 *   nothing, so nothing is ever stranded by the offload.
 *
 * Weights and slices
 *
 *   Offload modes: the firmware chooses which task runs, the host how long:
 *   slice_ns scaled by the task's weight (nice 0 = 100), clamped to
 *   [slice_ns / 8, 4 * slice_ns], so two tasks alternating on one CPU share
 *   it by weight even when the firmware had one candidate at each switch.
 *   bpf: slice_ns for everyone, the used part charged to the task's vtime
 *   divided by its weight; a sleeper banks at most one slice of credit;
 *   --fifo (fifo_sched) queues in FIFO order instead. FALLBACK_DSQ and
 *   kthreads get slice_ns.
 *
 * What the kfuncs' reasons make us do (-enum ipuswap_reason)
 *
 *   Every kfunc: -NO_IPU means no IPU bound or no scheduler attached (the
 *   device was unbound under us); -BAD_ARG a CPU or slot the attach does
 *   not have (the module counts it). Beyond that:
 *
 *   task_enqueue   -STATE: still COMMIT (sched_ext dropped a dispatch of
 *                  it, so it never stopped): stop it, enqueue again. Any
 *                  other reason: FALLBACK_DSQ.
 *   cell_peek      -NO_PROPOSAL: an empty cell, the normal case. Others
 *                  (an undecodable cell, a slot not in use) count a host
 *                  abort. Either way: self-serve.
 *   task_take      any reason (STALE: the word moved; NOT_ALLOWED: REFLECT
 *                  said no, the proposal was declined) counts a host abort
 *                  and falls through to self-serve; the module has answered
 *                  the cell.
 *   task_self_serve, fito_self_serve
 *                  0: run it here. -NO_IPU: the task is the host's alone
 *                  now: run it here too (counted fallback). -STATE,
 *                  -NOT_RUNNABLE: no longer queued, and -BAD_ARG: the slot
 *                  is gone: drop the entry. -ELSEWHERE: proposed to another
 *                  CPU: keep it queued and kick that CPU. Anything else (a
 *                  word the host could not act on this time): keep it
 *                  queued.
 *   fito_commit    0: run it. 1: an enforced stale decision for a task that
 *                  is not queued: dispatched as fito's unvalidated model
 *                  does, sched_ext drops it, and this CPU looks further.
 *                  -reason: counted abort, look further.
 *   task_stop, task_retract, task_update, task_destroy, fito events
 *                  failures change nothing on the host side; only
 *                  task_update's 1 (it was queued) asks for an enqueue.
 *
 * Stats (enum ipuswap_stat, summed by the loader): "taken" is a proposal
 * taken, "self" a self-serve, "local" a kthread put on its local DSQ; the
 * module's debugfs counters (dispatch_taken, dispatch_self, abort_<reason>)
 * are the same outcomes seen from the kfuncs.
 */
#include <scx/common.bpf.h>
#include "ipuswap_kfuncs.bpf.h"
#include "scx_ipuswap.h"
/* Reason codes returned by the swap kfuncs. */
#include <ipuswap_wire.h>

char _license[] SEC("license") = "GPL";

enum {
	SHARED_DSQ		= 0,	/* bpf mode: the weighted-vtime queue */
	FALLBACK_DSQ		= 1,	/* swap mode: tasks the swap path refused */
	NICE0_WEIGHT		= 100,	/* p->scx.weight of a nice 0 task */
	MAX_SLOTS		= IPUSWAP_MAX_TASKS + 1,
	SELF_SERVE_TRIES	= 16,
};

const volatile u64 slice_ns = SCX_SLICE_DFL;
const volatile bool fifo_sched;
/*
 * swap/onhost: self-serve may also take a task the firmware proposed to
 * another CPU (work-conserving; that CPU's take then aborts STALE). Off by
 * default: a proposal is left to its CPU while the firmware is alive.
 */
const volatile bool swap_steal;
const volatile u32 mode = IPUSWAP_MODE_SWAP;
const volatile u32 fito_flags;		/* fito: enum ipuswap_fito_flag */
const volatile u64 fito_timeout_ns = 100000;	/* fito: longest wait */

/* swap and onhost run the same host code; only the agent differs. */
static bool swap_path(void)
{
	return mode == IPUSWAP_MODE_SWAP || mode == IPUSWAP_MODE_ONHOST;
}

/* Per-task: the slot in the window's task table, -1 if not offloaded. */
struct task_ctx {
	s32 idx;
	u64 started_at;
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct task_ctx);
} task_ctxs SEC(".maps");

/* Trusted slot -> pid map; the window's pid field is never believed. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, u32);
	__type(value, s32);
} slot_pid SEC(".maps");

/*
 * The host's own queue of enqueued slots, for self-serve. A slot is in it
 * at most once (slot_in_queue), so it can never overflow, and a slot taken
 * from a proposal leaves a stale entry that the next pop drops.
 */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, MAX_SLOTS);
	__type(value, s32);
} self_queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, u32);
	__type(value, u32);
} slot_in_queue SEC(".maps");

/* Put @idx in the self-serve queue unless it is there already. */
static bool queue_slot(s32 idx)
{
	u32 key = idx, *inq = bpf_map_lookup_elem(&slot_in_queue, &key);

	if (!inq)
		return false;
	if (__sync_val_compare_and_swap(inq, 0, 1))
		return true;
	if (!bpf_map_push_elem(&self_queue, &idx, 0))
		return true;
	*inq = 0;
	return false;
}

static bool pop_slot(s32 *idx)
{
	u32 key, *inq;

	if (bpf_map_pop_elem(&self_queue, idx))
		return false;
	key = *idx;
	inq = bpf_map_lookup_elem(&slot_in_queue, &key);
	if (inq)
		*inq = 0;
	return true;
}

/* Latest firmware sample, read by the loader. */
u64 fw_liveness;
bool fw_alive;
/* ops.exit() also runs when ops.init() failed: detach only what attached. */
bool ipu_attached;

/* Global virtual time: the vtime of the latest task to start running. */
static u64 vtime_now;

UEI_DEFINE(uei);

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, IPUSWAP_NR_STATS);
	__type(key, u32);
	__type(value, u64);
} stats SEC(".maps");

static void stat_inc(u32 idx)
{
	u64 *cnt = bpf_map_lookup_elem(&stats, &idx);

	if (cnt)
		(*cnt)++;
}

static bool vtime_before(u64 a, u64 b)
{
	return (s64)(a - b) < 0;
}

static void fw_sample(void)
{
	WRITE_ONCE(fw_liveness, ipuswap_fw_liveness());
	WRITE_ONCE(fw_alive, ipuswap_fw_alive());
	stat_inc(IPUSWAP_STAT_FW_SAMPLE);
}

s32 BPF_STRUCT_OPS(ipuswap_select_cpu, struct task_struct *p, s32 prev_cpu,
		   u64 wake_flags)
{
	bool is_idle = false;

	/* Pick a CPU only; dispatching here would bypass ops.enqueue(). */
	return scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);
}

static bool is_percpu_kthread(const struct task_struct *p)
{
	return (p->flags & PF_KTHREAD) && p->nr_cpus_allowed == 1;
}

static struct task_ctx *task_ctx(struct task_struct *p)
{
	return bpf_task_storage_get(&task_ctxs, p, 0, 0);
}

static void bpf_mode_enqueue(struct task_struct *p, u64 enq_flags)
{
	u64 vtime;

	if (fifo_sched) {
		scx_bpf_dispatch(p, SHARED_DSQ, slice_ns, enq_flags);
		return;
	}

	/* A task that slept for long may bank at most one slice of credit. */
	vtime = p->scx.dsq_vtime;
	if (vtime_before(vtime, vtime_now - slice_ns))
		vtime = vtime_now - slice_ns;

	scx_bpf_dispatch_vtime(p, SHARED_DSQ, slice_ns, vtime, enq_flags);
}

/* Hand @p to the shared runqueue; false if the swap path refused it. */
static bool swap_enqueue(struct task_struct *p)
{
	struct task_ctx *tctx = task_ctx(p);
	s32 cpu = scx_bpf_task_cpu(p), r;

	if (!tctx || tctx->idx < 0)
		return false;
	r = ipuswap_task_enqueue(tctx->idx, cpu);
	if (r == -IPUSWAP_R_STATE) {
		/*
		 * Still COMMIT: a dispatch of it was dropped by sched_ext
		 * (dequeued meanwhile), so it never ran and never stopped.
		 * The host owns COMMIT; close it and offer the task again.
		 */
		ipuswap_task_stop(tctx->idx, 0);
		r = ipuswap_task_enqueue(tctx->idx, cpu);
	}
	if (r < 0)
		return false;
	if (!queue_slot(tctx->idx)) {
		ipuswap_task_retract(tctx->idx);
		return false;
	}
	scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
	return true;
}

/*
 * fito: tell the firmware (an event) and keep the task in the host queue,
 * which the host serves itself when no decision comes.
 */
static bool fito_enqueue(struct task_struct *p)
{
	struct task_ctx *tctx = task_ctx(p);
	s32 cpu = scx_bpf_task_cpu(p);

	if (!tctx || tctx->idx < 0)
		return false;
	ipuswap_fito_enqueue(tctx->idx, p, cpu);
	if (!queue_slot(tctx->idx)) {
		ipuswap_fito_dequeue(tctx->idx);
		return false;
	}
	scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
	return true;
}

void BPF_STRUCT_OPS(ipuswap_enqueue, struct task_struct *p, u64 enq_flags)
{
	stat_inc(IPUSWAP_STAT_ENQUEUE);

	/*
	 * On a shared queue a per-CPU kthread would be skipped by every CPU
	 * but its own; we are on its CPU's runqueue, so queue it right here.
	 */
	if (is_percpu_kthread(p)) {
		stat_inc(IPUSWAP_STAT_LOCAL);
		scx_bpf_dispatch(p, SCX_DSQ_LOCAL, slice_ns, enq_flags);
		return;
	}
	if (mode == IPUSWAP_MODE_BPF) {
		bpf_mode_enqueue(p, enq_flags);
		return;
	}
	if (mode == IPUSWAP_MODE_FITO ? !fito_enqueue(p) : !swap_enqueue(p)) {
		stat_inc(IPUSWAP_STAT_FALLBACK);
		scx_bpf_dispatch(p, FALLBACK_DSQ, slice_ns, enq_flags);
	}
}

/* The task in slot @idx, acquired, if it still is that slot's task. */
static struct task_struct *slot_task(s32 idx)
{
	struct task_struct *p;
	struct task_ctx *tctx;
	u32 key = idx;
	s32 *pid;

	pid = bpf_map_lookup_elem(&slot_pid, &key);
	if (!pid || !*pid)
		return NULL;
	p = bpf_task_from_pid(*pid);
	if (!p)
		return NULL;
	tctx = task_ctx(p);
	if (!tctx || tctx->idx != idx) {
		bpf_task_release(p);
		return NULL;
	}
	return p;
}

/*
 * The firmware chooses *which* task runs; how long is weighted here, so
 * that two tasks alternating on one CPU share it by weight even when the
 * firmware had only one candidate to propose at each switch.
 */
static u64 weighted_slice(const struct task_struct *p)
{
	u64 s = slice_ns * p->scx.weight / NICE0_WEIGHT;

	if (s < slice_ns / 8)
		return slice_ns / 8;
	return s > slice_ns * 4 ? slice_ns * 4 : s;
}

/*
 * The host's own check of where @p may run (REFLECT): its cpumask, and its
 * current CPU only while migration is disabled (preempted inside a
 * migrate_disable() section), which a cpumask does not show.
 */
static bool can_run_on(struct task_struct *p, s32 cpu)
{
	if (!bpf_cpumask_test_cpu(cpu, p->cpus_ptr))
		return false;
	return !p->migration_disabled || scx_bpf_task_cpu(p) == cpu;
}

/*
 * Dispatch @p (acquired, may be NULL) here if the commit that named it
 * returned @r >= 0; otherwise count an abort. Releases @p.
 */
static bool run_committed(struct task_struct *p, s32 r)
{
	if (r < 0 || !p) {
		stat_inc(IPUSWAP_STAT_ABORT);
		if (p)
			bpf_task_release(p);
		return false;
	}
	scx_bpf_dispatch(p, SCX_DSQ_LOCAL, weighted_slice(p), 0);
	bpf_task_release(p);
	stat_inc(IPUSWAP_STAT_TAKEN);
	return true;
}

/* Take the firmware's proposal for @cpu, if there is a valid one. */
static bool swap_take(s32 cpu)
{
	struct task_struct *p;
	bool allowed;
	s32 idx, r;

	idx = ipuswap_cell_peek(cpu);
	if (idx < 0) {
		if (idx != -IPUSWAP_R_NO_PROPOSAL)
			stat_inc(IPUSWAP_STAT_ABORT);
		return false;
	}
	p = slot_task(idx);
	/* REFLECT: the host's own cpumask decides whether this CPU may run it. */
	allowed = p && can_run_on(p, cpu);
	/* Without its task (it exited), allowed is false: the take declines. */
	r = ipuswap_task_take(cpu, idx, allowed);
	return run_committed(p, r);
}

/*
 * No proposal (swap) or no decision in time (fito): serve a queued task
 * ourselves rather than wait.
 */
static bool self_serve(s32 cpu)
{
	bool steal = swap_steal || !ipuswap_fw_alive();
	struct task_struct *p;
	s32 idx, r;
	int i;

	bpf_for(i, 0, SELF_SERVE_TRIES) {
		if (!pop_slot(&idx))
			return false;
		p = slot_task(idx);
		if (!p)
			continue;	/* exited: its slot is gone */
		if (!can_run_on(p, cpu)) {
			queue_slot(idx);
			bpf_task_release(p);
			continue;
		}
		r = mode == IPUSWAP_MODE_FITO ? ipuswap_fito_self_serve(idx, cpu) :
		    ipuswap_task_self_serve(idx, cpu, steal);
		if (!r || r == -IPUSWAP_R_NO_IPU) {
			/*
			 * Committed here, or the IPU went away under us (device
			 * unbound): either way this CPU runs it now.
			 */
			scx_bpf_dispatch(p, SCX_DSQ_LOCAL, weighted_slice(p), 0);
			bpf_task_release(p);
			stat_inc(r ? IPUSWAP_STAT_FALLBACK : IPUSWAP_STAT_SELF);
			return true;
		}
		if (r != -IPUSWAP_R_STATE && r != -IPUSWAP_R_NOT_RUNNABLE &&
		    r != -IPUSWAP_R_BAD_ARG) {
			/*
			 * swap: proposed to another CPU (ELSEWHERE, that CPU
			 * takes it), or a word the host could not act on this
			 * time: keep it queued. Kick the CPU it is proposed
			 * for: if that CPU is idle, nothing else would make it
			 * dispatch (the model's lost-wakeup counterexample).
			 * STATE, NOT_RUNNABLE, BAD_ARG (slot gone): drop it.
			 */
			s32 target = ipuswap_task_proposed_cpu(idx);

			if (target >= 0 && target != cpu)
				scx_bpf_kick_cpu(target, SCX_KICK_IDLE);
			queue_slot(idx);
			stat_inc(IPUSWAP_STAT_REQUEUE);
		}
		/* No longer queued (taken, retracted, dequeued): drop the entry. */
		bpf_task_release(p);
	}
	return false;
}

/*
 * fito: commit the firmware's decision for @cpu. Returns true only if this
 * CPU now runs a task; an enforced stale decision for a task that was no
 * longer queued is dispatched too, and sched_ext drops it.
 */
static bool fito_run(s32 cpu, s32 idx)
{
	struct task_struct *p = slot_task(idx);
	s32 r;

	r = ipuswap_fito_commit(cpu, idx, p && can_run_on(p, cpu));
	return run_committed(p, r) && r == 0;
}

/* fito: the decision ready for @cpu, else ask and wait, else run locally. */
static bool fito_dispatch(s32 cpu)
{
	s32 idx = ipuswap_fito_txn_peek(cpu);

	if (idx >= 0 && fito_run(cpu, idx))
		return true;
	idx = ipuswap_fito_request(cpu, fito_timeout_ns);
	if (idx >= 0) {
		stat_inc(IPUSWAP_STAT_WAITED);
		if (fito_run(cpu, idx))
			return true;
	}
	return self_serve(cpu);
}

void BPF_STRUCT_OPS(ipuswap_dispatch, s32 cpu, struct task_struct *prev)
{
	if (mode == IPUSWAP_MODE_BPF) {
		if (scx_bpf_consume(SHARED_DSQ))
			stat_inc(IPUSWAP_STAT_DISPATCH);
		return;
	}
	if (mode == IPUSWAP_MODE_FITO ? fito_dispatch(cpu) :
	    swap_take(cpu) || self_serve(cpu)) {
		stat_inc(IPUSWAP_STAT_DISPATCH);
		return;
	}
	if (scx_bpf_consume(FALLBACK_DSQ))
		stat_inc(IPUSWAP_STAT_DISPATCH);
}

void BPF_STRUCT_OPS(ipuswap_running, struct task_struct *p)
{
	struct task_ctx *tctx;

	if (swap_path()) {
		tctx = task_ctx(p);
		if (tctx)
			tctx->started_at = bpf_ktime_get_ns();
		return;
	}
	if (mode == IPUSWAP_MODE_FITO)
		return;
	/* Racy across CPUs, but only ever moves forward; an error is brief. */
	if (!fifo_sched && vtime_before(vtime_now, p->scx.dsq_vtime))
		vtime_now = p->scx.dsq_vtime;
}

void BPF_STRUCT_OPS(ipuswap_stopping, struct task_struct *p, bool runnable)
{
	struct task_ctx *tctx;
	u64 used;

	if (swap_path()) {
		tctx = task_ctx(p);
		if (tctx && tctx->idx >= 0)
			ipuswap_task_stop(tctx->idx, bpf_ktime_get_ns() - tctx->started_at);
		return;
	}
	/* fito: the firmware charged the task when it decided. */
	if (fifo_sched || mode == IPUSWAP_MODE_FITO)
		return;

	/*
	 * Charge the part of the slice the task used, scaled by the inverse
	 * of its weight. A slice we did not set (e.g. while bypassing) can be
	 * larger than ours; charge nothing rather than wrap around.
	 */
	used = p->scx.slice < slice_ns ? slice_ns - p->scx.slice : 0;
	p->scx.dsq_vtime += used * NICE0_WEIGHT / p->scx.weight;
}

void BPF_STRUCT_OPS(ipuswap_dequeue, struct task_struct *p, u64 deq_flags)
{
	struct task_ctx *tctx;

	if (mode == IPUSWAP_MODE_BPF)
		return;
	tctx = task_ctx(p);
	if (!tctx || tctx->idx < 0)
		return;
	if (mode == IPUSWAP_MODE_FITO)
		ipuswap_fito_dequeue(tctx->idx);
	else
		ipuswap_task_retract(tctx->idx);
}

/*
 * Weight or cpumask changed. swap: attributes change only while the host
 * owns the task (see the kfunc); fito: an ATTR event.
 */
static void attrs_changed(struct task_struct *p)
{
	struct task_ctx *tctx;

	if (mode == IPUSWAP_MODE_BPF)
		return;
	tctx = task_ctx(p);
	if (mode == IPUSWAP_MODE_FITO) {
		if (tctx && tctx->idx >= 0)
			ipuswap_fito_update(tctx->idx, p);
		return;
	}
	if (tctx && tctx->idx >= 0 && ipuswap_task_update(tctx->idx, p) == 1 &&
	    !ipuswap_task_enqueue(tctx->idx, scx_bpf_task_cpu(p)))
		queue_slot(tctx->idx);
}

void BPF_STRUCT_OPS(ipuswap_set_weight, struct task_struct *p, u32 weight)
{
	attrs_changed(p);
}

void BPF_STRUCT_OPS(ipuswap_set_cpumask, struct task_struct *p,
		    const struct cpumask *cpumask)
{
	attrs_changed(p);
}

s32 BPF_STRUCT_OPS(ipuswap_init_task, struct task_struct *p,
		   struct scx_init_task_args *args)
{
	struct task_ctx *tctx;
	s32 idx, pid = p->pid;
	u32 key;

	tctx = bpf_task_storage_get(&task_ctxs, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!tctx)
		return -ENOMEM;
	tctx->idx = -1;
	if (mode == IPUSWAP_MODE_BPF)
		return 0;
	idx = ipuswap_task_create(p);
	if (idx < 0 || idx >= MAX_SLOTS)
		return 0;	/* served through the fallback DSQ */
	key = idx;
	if (bpf_map_update_elem(&slot_pid, &key, &pid, BPF_ANY)) {
		ipuswap_task_destroy(idx);
		return 0;
	}
	tctx->idx = idx;
	return 0;
}

void BPF_STRUCT_OPS(ipuswap_exit_task, struct task_struct *p,
		    struct scx_exit_task_args *args)
{
	struct task_ctx *tctx = task_ctx(p);
	s32 zero = 0;
	u32 key;

	if (!tctx || tctx->idx < 0)
		return;
	key = tctx->idx;
	bpf_map_update_elem(&slot_pid, &key, &zero, BPF_ANY);
	ipuswap_task_destroy(tctx->idx);
	tctx->idx = -1;
}

void BPF_STRUCT_OPS(ipuswap_cpu_online, s32 cpu)
{
}

void BPF_STRUCT_OPS(ipuswap_cpu_offline, s32 cpu)
{
}

void BPF_STRUCT_OPS(ipuswap_enable, struct task_struct *p)
{
	p->scx.dsq_vtime = vtime_now;
}

void BPF_STRUCT_OPS(ipuswap_tick, struct task_struct *p)
{
	fw_sample();
}

s32 BPF_STRUCT_OPS_SLEEPABLE(ipuswap_init)
{
	s32 ret;

	ret = ipuswap_attach(mode == IPUSWAP_MODE_FITO ? IPUSWAP_PROTO_FITO :
			     IPUSWAP_PROTO_SWAP,
			     mode == IPUSWAP_MODE_ONHOST ? IPUSWAP_AGENT_ONHOST :
			     IPUSWAP_AGENT_IPU,
			     mode == IPUSWAP_MODE_FITO ? fito_flags : 0);
	if (ret) {
		/* The kernel would only report the errno; say what it means. */
		scx_bpf_error("no valid IPU window bound (ipuswap_attach: %d)",
			      ret);
		return ret;
	}
	ipu_attached = true;

	/* The loader may print stats before the first tick. */
	fw_sample();

	ret = scx_bpf_create_dsq(SHARED_DSQ, -1);
	return ret ? ret : scx_bpf_create_dsq(FALLBACK_DSQ, -1);
}

void BPF_STRUCT_OPS(ipuswap_exit, struct scx_exit_info *ei)
{
	if (ipu_attached) {
		ipuswap_detach();
		ipu_attached = false;
	}
	/* Last: the loader treats the recorded exit as "all done". */
	UEI_RECORD(uei, ei);
}

/*
 * Exit dumps (an ejection, or SysRq-D): what the window says, decoded, next
 * to what the host knows. The words are read raw: a dump shows a forged or
 * garbage word as it is.
 */
static const char *home_state_name(u64 w)
{
	switch (IPUSWAP_HOME_STATE(w)) {
	case IPUSWAP_TASK_FREE:		return "FREE";
	case IPUSWAP_TASK_HOST:		return "HOST";
	case IPUSWAP_TASK_QUEUED:	return "QUEUED";
	case IPUSWAP_TASK_PROPOSE:	return "PROPOSE";
	case IPUSWAP_TASK_COMMIT:	return "COMMIT";
	default:			return "?";
	}
}

static const char *cell_state_name(u64 w)
{
	switch (IPUSWAP_CELL_STATE(w)) {
	case IPUSWAP_CELL_EMPTY:	return "EMPTY";
	case IPUSWAP_CELL_PROPOSE:	return "PROPOSE";
	case IPUSWAP_CELL_COMMIT:	return "COMMIT";
	case IPUSWAP_CELL_ABORT:	return "ABORT";
	default:			return "?";
	}
}

static const char *mode_name(void)
{
	switch (mode) {
	case IPUSWAP_MODE_SWAP:		return "swap";
	case IPUSWAP_MODE_ONHOST:	return "onhost";
	case IPUSWAP_MODE_FITO:		return "fito";
	default:			return "bpf";
	}
}

void BPF_STRUCT_OPS(ipuswap_dump, struct scx_dump_ctx *dctx)
{
	scx_bpf_dump("ipuswap: mode=%s attached=%d fw_liveness=%llu fw_alive=%d",
		     mode_name(), ipu_attached, ipuswap_fw_liveness(),
		     ipuswap_fw_alive());
}

void BPF_STRUCT_OPS(ipuswap_dump_cpu, struct scx_dump_ctx *dctx, s32 cpu, bool idle)
{
	u64 w;

	if (!swap_path() || !ipu_attached)
		return;
	w = ipuswap_cell_word(cpu);
	scx_bpf_dump("ipuswap: cpu%d cell %s slot=%u ver=%u reason=%u (0x%llx)%s",
		     cpu, cell_state_name(w), IPUSWAP_CELL_IDX(w),
		     IPUSWAP_CELL_VER(w), IPUSWAP_CELL_REASON(w), w,
		     idle ? " idle" : "");
}

void BPF_STRUCT_OPS(ipuswap_dump_task, struct scx_dump_ctx *dctx, struct task_struct *p)
{
	struct task_ctx *tctx = task_ctx(p);
	u64 w;

	if (!tctx || tctx->idx < 0) {
		scx_bpf_dump("ipuswap: no slot (served by the host alone)");
		return;
	}
	if (!swap_path()) {
		/* FITO: the firmware works from events, not the home word. */
		scx_bpf_dump("ipuswap: fito slot=%d", tctx->idx);
		return;
	}
	w = ipuswap_task_word(tctx->idx);
	scx_bpf_dump("ipuswap: slot=%d home %s owner=%u loc=%u ver=%u (0x%llx) host_offered=%d",
		     tctx->idx, home_state_name(w), IPUSWAP_HOME_OWNER(w),
		     IPUSWAP_HOME_LOC(w), IPUSWAP_HOME_VER(w), w,
		     ipuswap_task_offered(tctx->idx));
}

SCX_OPS_DEFINE(ipuswap_ops,
	       .select_cpu		= (void *)ipuswap_select_cpu,
	       .enqueue			= (void *)ipuswap_enqueue,
	       .dispatch		= (void *)ipuswap_dispatch,
	       .tick			= (void *)ipuswap_tick,
	       .running			= (void *)ipuswap_running,
	       .stopping		= (void *)ipuswap_stopping,
	       .dequeue			= (void *)ipuswap_dequeue,
	       .set_weight		= (void *)ipuswap_set_weight,
	       .set_cpumask		= (void *)ipuswap_set_cpumask,
	       .init_task		= (void *)ipuswap_init_task,
	       .exit_task		= (void *)ipuswap_exit_task,
	       .cpu_online		= (void *)ipuswap_cpu_online,
	       .cpu_offline		= (void *)ipuswap_cpu_offline,
	       .enable			= (void *)ipuswap_enable,
	       .init			= (void *)ipuswap_init,
	       .exit			= (void *)ipuswap_exit,
	       .dump			= (void *)ipuswap_dump,
	       .dump_cpu		= (void *)ipuswap_dump_cpu,
	       .dump_task		= (void *)ipuswap_dump_task,
	       /* "ipuswap_<version>_g<hash>" (bpf/Makefile), like scx's */
	       .name			= IPUSWAP_OPS_NAME);
