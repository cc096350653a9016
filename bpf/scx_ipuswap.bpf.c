/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_ipuswap: a sched_ext scheduler whose decisions are to be made by
 * firmware on an IPU, exchanged with the host as bilateral swaps on a shared
 * window (see DESIGN.md). This is the walking skeleton: every piece is wired
 * end to end, but the policy still runs here on the host.
 *
 * a. What it does now
 *
 *    One shared DSQ ordered by weighted vtime (or FIFO with the fifo_sched
 *    knob) that every CPU consumes from in ops.dispatch(). Per-CPU kthreads
 *    can run on one CPU only, so they skip the shared DSQ and go straight to
 *    that CPU's local DSQ. ops.select_cpu() only picks a CPU and never
 *    dispatches, so every placement passes through ops.enqueue(): that is
 *    the one place the swap path will have to hook.
 *
 * b. The module and the firmware
 *
 *    ops.init() binds to ipuswap.ko with ipuswap_attach() and refuses to
 *    load when no valid IPU window is bound; ops.exit() detaches. ops.tick()
 *    samples the firmware's liveness counter and alive flag for the loader's
 *    stats. Liveness only informs (stats now, a deliberate detach later); it
 *    never decides where a task runs, so a dead firmware cannot strand one.
 *
 * c. Next
 *
 *    Route ops.enqueue() and ops.dispatch() through the module's swap
 *    kfuncs: enqueue proposes the task's home word to the firmware, dispatch
 *    takes the decision the firmware committed for this CPU if there is one
 *    and otherwise performs the swap itself from the shared runqueue. The
 *    host's dispatch path never waits for the IPU.
 *
 * d. Trade-offs
 *
 *    Every CPU samples liveness on every tick: the kfuncs read one word of
 *    the window, cheaper than coordinating which CPU should sample. The
 *    published sample is last-writer-wins across CPUs, good enough for stats.
 *    Ticks only come while a task runs, so on an idle machine the sample is
 *    as old as the last busy tick.
 */
#include <scx/common.bpf.h>
#include "ipuswap_kfuncs.bpf.h"
#include "scx_ipuswap.h"
/* Not read yet; included so the BPF build checks the layout asserts too. */
#include <ipuswap_wire.h>

char _license[] SEC("license") = "GPL";

enum {
	SHARED_DSQ		= 0,
	NICE0_WEIGHT		= 100,	/* p->scx.weight of a nice 0 task */
};

const volatile u64 slice_ns = SCX_SLICE_DFL;
const volatile bool fifo_sched;

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

void BPF_STRUCT_OPS(ipuswap_enqueue, struct task_struct *p, u64 enq_flags)
{
	u64 vtime;

	stat_inc(IPUSWAP_STAT_ENQUEUE);

	/*
	 * On the shared DSQ a per-CPU kthread would be skipped by every CPU
	 * but its own; we are on its CPU's runqueue, so queue it right here.
	 */
	if ((p->flags & PF_KTHREAD) && p->nr_cpus_allowed == 1) {
		stat_inc(IPUSWAP_STAT_LOCAL);
		scx_bpf_dispatch(p, SCX_DSQ_LOCAL, slice_ns, enq_flags);
		return;
	}

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

void BPF_STRUCT_OPS(ipuswap_dispatch, s32 cpu, struct task_struct *prev)
{
	if (scx_bpf_consume(SHARED_DSQ))
		stat_inc(IPUSWAP_STAT_DISPATCH);
}

void BPF_STRUCT_OPS(ipuswap_running, struct task_struct *p)
{
	/* Racy across CPUs, but only ever moves forward; an error is brief. */
	if (!fifo_sched && vtime_before(vtime_now, p->scx.dsq_vtime))
		vtime_now = p->scx.dsq_vtime;
}

void BPF_STRUCT_OPS(ipuswap_stopping, struct task_struct *p, bool runnable)
{
	u64 used;

	if (fifo_sched)
		return;

	/*
	 * Charge the part of the slice the task used, scaled by the inverse
	 * of its weight. A slice we did not set (e.g. while bypassing) can be
	 * larger than ours; charge nothing rather than wrap around.
	 */
	used = p->scx.slice < slice_ns ? slice_ns - p->scx.slice : 0;
	p->scx.dsq_vtime += used * NICE0_WEIGHT / p->scx.weight;
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

	ret = ipuswap_attach();
	if (ret) {
		/* The kernel would only report the errno; say what it means. */
		scx_bpf_error("no valid IPU window bound (ipuswap_attach: %d)",
			      ret);
		return ret;
	}
	ipu_attached = true;

	/* The loader may print stats before the first tick. */
	fw_sample();

	return scx_bpf_create_dsq(SHARED_DSQ, -1);
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

SCX_OPS_DEFINE(ipuswap_ops,
	       .select_cpu		= (void *)ipuswap_select_cpu,
	       .enqueue			= (void *)ipuswap_enqueue,
	       .dispatch		= (void *)ipuswap_dispatch,
	       .tick			= (void *)ipuswap_tick,
	       .running			= (void *)ipuswap_running,
	       .stopping		= (void *)ipuswap_stopping,
	       .enable			= (void *)ipuswap_enable,
	       .init			= (void *)ipuswap_init,
	       .exit			= (void *)ipuswap_exit,
	       .name			= "ipuswap");
