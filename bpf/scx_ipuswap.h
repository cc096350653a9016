/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What scx_ipuswap.bpf.c and its loader share. The window layout is not
 * here: that lives in kmod/ipuswap_wire.h only.
 */
#ifndef SCX_IPUSWAP_H
#define SCX_IPUSWAP_H

enum ipuswap_mode {
	IPUSWAP_MODE_SWAP	= 0,	/* firmware proposes, host commits by swap */
	IPUSWAP_MODE_BPF	= 1,	/* same policy in BPF alone, no agent */
	IPUSWAP_MODE_FITO	= 2,	/* Wave's model: events out, decisions back */
	IPUSWAP_MODE_ONHOST	= 3,	/* swap, firmware binary on a host CPU */
};

/* Keys of the per-CPU "stats" array map; the loader sums over CPUs. */
enum ipuswap_stat {
	IPUSWAP_STAT_ENQUEUE,	/* ops.enqueue() calls */
	IPUSWAP_STAT_DISPATCH,	/* ops.dispatch() calls that ran a task */
	IPUSWAP_STAT_LOCAL,	/* per-CPU kthreads put straight on their CPU */
	IPUSWAP_STAT_FW_SAMPLE,	/* firmware liveness samples taken */
	IPUSWAP_STAT_TAKEN,	/* offload: a proposal (fito: decision) taken */
	IPUSWAP_STAT_SELF,	/* offload: the host served a queued task itself */
	IPUSWAP_STAT_FALLBACK,	/* offload refused a task: fallback DSQ */
	IPUSWAP_STAT_ABORT,	/* offload: a proposal or decision not taken */
	IPUSWAP_STAT_REQUEUE,	/* self-serve skipped a task proposed elsewhere */
	IPUSWAP_STAT_WAITED,	/* fito: a decision arrived while waiting */
	IPUSWAP_NR_STATS,
};

#endif /* SCX_IPUSWAP_H */
