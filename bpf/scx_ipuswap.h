/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What scx_ipuswap.bpf.c and its loader share. The window layout is not
 * here: that lives in kmod/ipuswap_wire.h only.
 */
#ifndef SCX_IPUSWAP_H
#define SCX_IPUSWAP_H

/* Keys of the per-CPU "stats" array map; the loader sums over CPUs. */
enum ipuswap_stat {
	IPUSWAP_STAT_ENQUEUE,	/* ops.enqueue() calls */
	IPUSWAP_STAT_DISPATCH,	/* tasks moved from the shared DSQ to a CPU */
	IPUSWAP_STAT_LOCAL,	/* per-CPU kthreads put straight on their CPU */
	IPUSWAP_STAT_FW_SAMPLE,	/* firmware liveness samples taken */
	IPUSWAP_NR_STATS,
};

#endif /* SCX_IPUSWAP_H */
