/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfuncs exported by ipuswap.ko for sched_ext_ops struct_ops programs (the
 * module's kfunc set filter refuses any other program).
 *
 * They are strong (not __weak) on purpose: libbpf resolves them from the
 * module's BTF (/sys/kernel/btf/ipuswap) at load time, so the scheduler
 * cannot load at all unless the module is loaded.
 *
 * The swap kfuncs return >= 0 on success, otherwise -(enum ipuswap_reason)
 * from ipuswap_wire.h.
 */
#ifndef IPUSWAP_KFUNCS_BPF_H
#define IPUSWAP_KFUNCS_BPF_H

/*
 * 0 if an IPU window is bound and valid and now ours, else -errno; call
 * from ops.init. proto, agent, fito_flags: enums in ipuswap_wire.h.
 */
s32 ipuswap_attach(u32 proto, u32 agent, u32 fito_flags) __ksym;
/* undo a successful ipuswap_attach(); call from ops.exit */
void ipuswap_detach(void) __ksym;
/* firmware liveness counter (hdr.fw_liveness) */
u64 ipuswap_fw_liveness(void) __ksym;
/* false once fw_liveness has stopped advancing */
bool ipuswap_fw_alive(void) __ksym;

/* The swap path (kmod/ipuswap_sched.c). */
s32 ipuswap_task_create(struct task_struct *p) __ksym;
void ipuswap_task_destroy(s32 idx) __ksym;
s32 ipuswap_task_enqueue(s32 idx, s32 hint) __ksym;
s32 ipuswap_cell_peek(s32 cpu) __ksym;
s32 ipuswap_task_take(s32 cpu, s32 idx, bool allowed) __ksym;
s32 ipuswap_task_self_serve(s32 idx, s32 cpu, bool steal) __ksym;
s32 ipuswap_task_proposed_cpu(s32 idx) __ksym;
void ipuswap_task_stop(s32 idx, u64 runtime_ns) __ksym;
s32 ipuswap_task_retract(s32 idx) __ksym;
s32 ipuswap_task_update(s32 idx, struct task_struct *p) __ksym;
/* Raw words and the host's queued bit, for ops.dump (0/false: no such slot or CPU) */
u64 ipuswap_task_word(s32 idx) __ksym;
bool ipuswap_task_offered(s32 idx) __ksym;
u64 ipuswap_cell_word(s32 cpu) __ksym;

/* The FITO baseline (kmod/ipuswap_fito.c). */
s32 ipuswap_fito_enqueue(s32 idx, struct task_struct *p, s32 hint) __ksym;
void ipuswap_fito_dequeue(s32 idx) __ksym;
void ipuswap_fito_update(s32 idx, struct task_struct *p) __ksym;
s32 ipuswap_fito_self_serve(s32 idx, s32 cpu) __ksym;
s32 ipuswap_fito_txn_peek(s32 cpu) __ksym;
s32 ipuswap_fito_request(s32 cpu, u64 timeout_ns) __ksym;
s32 ipuswap_fito_commit(s32 cpu, s32 idx, bool allowed) __ksym;

#endif /* IPUSWAP_KFUNCS_BPF_H */
