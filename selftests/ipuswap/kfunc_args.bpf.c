// SPDX-License-Identifier: GPL-2.0
/*
 * A sched_ext scheduler that calls every ipuswap kfunc with arguments a
 * verified program may pass but no table has: negative, huge and unused
 * slots, CPUs out of range (issue 15, finding 1). Its ops.init attaches
 * (cfg.proto), makes the calls, records what came back, detaches and
 * returns 0; selftests/ipuswap/kfunc_args.c checks the records.
 *
 * With PROTO_FITO it also measures the FITO wait of one balance cycle
 * (finding 3): a task the firmware no longer has but the host still holds
 * queued makes every request wait; the KFA_NR_REQUESTS requests one
 * cycle's dispatch loop can make, back to back, must wait once in total.
 */
#include <scx/common.bpf.h>

#include "ipuswap_wire.h"
#include "ipuswap_kfuncs.bpf.h"
#include "kfunc_args.h"

char _license[] SEC("license") = "GPL";

#define DECISION_NS	(500ULL * 1000 * 1000)	/* longest we poll for a decision */
#define GAP_NS		(3ULL * 1000 * 1000)	/* > the module's cycle gap */

const volatile struct kfa_cfg cfg;
struct kfa_result res = { .attach_ret = 1, .commit_empty = -100, .decided = -100, .refused = -100 };

static void expect(s32 got, s32 want, u32 line)
{
	if (got == want)
		return;
	if (!res.nr_wrong++) {
		res.wrong_line = line;
		res.wrong_ret = got;
	}
}

/* A call BPF may make with a bad argument: refused and counted once. */
#define BAD(call)	do { res.nr_bad++; expect((call), -IPUSWAP_R_BAD_ARG, __LINE__); } while (0)
/* The same for kfuncs that return nothing: only the counter tells. */
#define BAD_VOID(call)	do { res.nr_bad++; call; } while (0)

/* Slots no table has, or (@unused) one the host did not hand out. */
static void bad_slots(s32 *s, s32 unused)
{
	s[0] = -9;		/* what an empty cell reads as */
	s[1] = -1;
	s[2] = -2147483647 - 1;
	s[3] = -65536;
	s[4] = 65535;
	s[5] = 65536;
	s[6] = 2147483647;
	s[7] = unused;
}
#define NR_BAD_IDX	8

static void bad_cpus(s32 *c)
{
	s32 n = scx_bpf_nr_cpu_ids();

	c[0] = -9;
	c[1] = -1;
	c[2] = -2147483647 - 1;
	c[3] = n;
	c[4] = n + 1;
	c[5] = 4096;
	c[6] = 2147483647;
}
#define NR_BAD_CPU	7

/* Swap kfuncs; @good is a slot in use, @unused one that is not. */
static void swap_calls(struct task_struct *me, s32 good, s32 unused)
{
	s32 cpus[NR_BAD_CPU], slots[NR_BAD_IDX], i, idx, cpu;

	bad_cpus(cpus);
	bad_slots(slots, unused);
	bpf_for(i, 0, NR_BAD_IDX) {
		idx = slots[i];
		BAD_VOID(ipuswap_task_destroy(idx));
		BAD(ipuswap_task_enqueue(idx, 0));
		BAD(ipuswap_task_take(0, idx, true));
		BAD(ipuswap_task_take(0, idx, false));
		BAD(ipuswap_task_self_serve(idx, 0, true));
		BAD(ipuswap_task_self_serve(idx, 0, false));
		res.nr_bad++;
		expect(ipuswap_task_proposed_cpu(idx), -1, __LINE__);
		BAD_VOID(ipuswap_task_stop(idx, ~0ULL));
		BAD(ipuswap_task_retract(idx));
		BAD(ipuswap_task_update(idx, me));
		/* The dump's readers: 0 / false for a slot the host has not. */
		res.nr_bad++;
		expect(ipuswap_task_word(idx) != 0, 0, __LINE__);
		res.nr_bad++;
		expect(ipuswap_task_offered(idx), 0, __LINE__);
	}
	bpf_for(i, 0, NR_BAD_CPU) {
		cpu = cpus[i];
		BAD(ipuswap_cell_peek(cpu));
		res.nr_bad++;
		expect(ipuswap_cell_word(cpu) != 0, 0, __LINE__);
		BAD(ipuswap_task_take(cpu, good, true));
		BAD(ipuswap_task_self_serve(good, cpu, true));
		BAD(ipuswap_task_take(cpu, -9, true));
		/* A hint may be "none" (negative), never past the CPUs. */
		if (cpu >= 0)
			BAD(ipuswap_task_enqueue(good, cpu));
	}
}

/* FITO kfuncs, the same way. */
static void fito_calls(struct task_struct *me, s32 good, s32 unused)
{
	s32 cpus[NR_BAD_CPU], slots[NR_BAD_IDX], i, idx, cpu;

	/* The review's case: an empty cell reads as -9, and so is the slot. */
	res.nr_bad++;
	res.commit_empty = ipuswap_fito_commit(0, -9, true);
	expect(res.commit_empty, -IPUSWAP_R_BAD_ARG, __LINE__);
	bad_cpus(cpus);
	bad_slots(slots, unused);
	bpf_for(i, 0, NR_BAD_IDX) {
		idx = slots[i];
		BAD(ipuswap_fito_enqueue(idx, me, 0));
		BAD_VOID(ipuswap_fito_dequeue(idx));
		BAD_VOID(ipuswap_fito_update(idx, me));
		BAD(ipuswap_fito_self_serve(idx, 0));
		/* Every cell is empty: -9 is what an empty cell reads as. */
		BAD(ipuswap_fito_commit(0, idx, true));
		BAD(ipuswap_fito_commit(0, idx, false));
	}
	bpf_for(i, 0, NR_BAD_CPU) {
		cpu = cpus[i];
		BAD(ipuswap_fito_self_serve(good, cpu));
		BAD(ipuswap_fito_txn_peek(cpu));
		BAD(ipuswap_fito_request(cpu, KFA_REQUEST_NS));
		BAD(ipuswap_fito_commit(cpu, good, true));
		BAD(ipuswap_fito_commit(cpu, -9, true));
		if (cpu >= 0)
			BAD(ipuswap_fito_enqueue(good, me, cpu));
	}
}

static u64 switches(struct task_struct *p)
{
	return p->nvcsw + p->nivcsw;
}

/*
 * Leave @idx queued on the host but not in the firmware's runqueue: it
 * decides for it (and forgets it), and we refuse the decision.
 */
static void strand_for_firmware(s32 idx, s32 cpu)
{
	u64 start = bpf_ktime_get_ns();
	s32 i, r;

	r = ipuswap_fito_request(cpu, 1000000);
	bpf_for(i, 0, 1 << 22) {
		if (r >= 0 || bpf_ktime_get_ns() - start > DECISION_NS)
			break;
		r = ipuswap_fito_txn_peek(cpu);
	}
	res.decided = r;
	if (r == idx)
		res.refused = ipuswap_fito_commit(cpu, idx, false);
}

/* Waits of one cycle: requests back to back, as dispatch loops make them. */
static void cycle_waits(struct task_struct *me, s32 cpu)
{
	u64 start = bpf_ktime_get_ns(), sw;
	s32 i;

	/* Far enough from the last wait to be a cycle of its own. */
	bpf_for(i, 0, 1 << 22) {
		if (bpf_ktime_get_ns() - start > GAP_NS)
			break;
	}
	sw = switches(me);
	start = bpf_ktime_get_ns();
	bpf_for(i, 0, KFA_NR_REQUESTS)
		res.loop_rets[i] = ipuswap_fito_request(cpu, KFA_REQUEST_NS);
	res.loop_ns = bpf_ktime_get_ns() - start;
	res.loop_switches = switches(me) - sw;
}

s32 BPF_STRUCT_OPS_SLEEPABLE(kfa_init)
{
	struct task_struct *me = bpf_get_current_task_btf();
	bool fito = cfg.proto == IPUSWAP_PROTO_FITO;
	s32 good, cpu = bpf_get_smp_processor_id();

	res.attach_ret = ipuswap_attach(cfg.proto, IPUSWAP_AGENT_IPU, 0);
	if (res.attach_ret)
		return 0;
	good = ipuswap_task_create(me);
	if (good >= 0) {
		swap_calls(me, good, good + 1);
		if (fito) {
			fito_calls(me, good, good + 1);
			if (!ipuswap_fito_enqueue(good, me, cpu)) {
				strand_for_firmware(good, cpu);
				cycle_waits(me, cpu);
			}
			ipuswap_fito_dequeue(good);
		}
		ipuswap_task_destroy(good);
	}
	ipuswap_detach();
	return 0;
}

void BPF_STRUCT_OPS(kfa_exit, struct scx_exit_info *ei)
{
}

SEC(".struct_ops.link")
struct sched_ext_ops kfa_ops = {
	.init		= (void *)kfa_init,
	.exit		= (void *)kfa_exit,
	.name		= "ipt_kfunc_args",
};
