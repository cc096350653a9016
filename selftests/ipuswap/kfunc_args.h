/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What kfunc_args.bpf.c is told (.rodata) and what it records (.data),
 * shared with kfunc_args.c, which reads both through libbpf.
 */
#ifndef KFUNC_ARGS_H
#define KFUNC_ARGS_H

#define KFA_NR_REQUESTS	32			/* SCX_DSP_MAX_LOOPS */
#define KFA_REQUEST_NS	100000ULL		/* the scheduler's default timeout */

struct kfa_cfg {
	__u32 proto;				/* enum ipuswap_proto */
};

struct kfa_result {
	__s32 attach_ret;
	__u32 nr_bad;		/* calls that must have been refused as BAD_ARG */
	__u32 nr_wrong;		/* ... that returned something else */
	__u32 wrong_line;	/* the first of those: its line, what it returned */
	__s32 wrong_ret;
	__s32 commit_empty;	/* FITO: commit(0, -9) with every cell empty */
	__s32 decided;		/* FITO: the firmware's decision for our task */
	__s32 refused;		/* ... answered NOT_ALLOWED */
	__s32 loop_rets[KFA_NR_REQUESTS];
	__u64 loop_ns;		/* the KFA_NR_REQUESTS requests of one cycle */
	__u64 loop_switches;	/* context switches of ours during them */
};

#endif /* KFUNC_ARGS_H */
