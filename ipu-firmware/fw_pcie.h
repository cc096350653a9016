/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fw_pcie: a latency model for the firmware's accesses to the window.
 *
 * In the real system the window is host memory; the host touches it as
 * local memory and the IPU reaches it over PCIe. So only the firmware's
 * accesses are modelled here. Each access is charged one of:
 *
 *   read_ns    non-posted read round trip (request out, completion back).
 *              Default 550 ns: pcie-bench (Neugebauer et al., SIGCOMM '18)
 *              measured ~0.55 us for a small DMA read on a modern host.
 *   write_ns   posted write: the issuing core's occupancy only; nothing
 *              comes back. Default 80 ns. An assumption, not a measurement:
 *              a posted 8-byte TLP is a few ns on a Gen4 x16 link, but an
 *              ordered (not write-combined) store to device/uncached space
 *              keeps the issuing core on the order of 100 ns.
 *   atomic_ns  PCIe AtomicOp (CAS) round trip. Default 1000 ns, an
 *              assumption (no measurement used): a non-posted request
 *              that also needs a read-modify-write at the root complex,
 *              so taken as about twice a read.
 *   max_inflight  outstanding non-posted operations. Default 32, an
 *              assumption about the DMA engine's queue; PCIe tags allow
 *              far more.
 *   bw_gbps    read-completion bandwidth for bulk reads (one read latency
 *              + bytes / bandwidth). Default 12 GB/s, about what a Gen4
 *              x16 link delivers to DMA reads after TLP overheads.
 *   scale      multiplies every cost above (to express guest-perceived time
 *              when the host side runs slower, e.g. under TCG).
 *
 * Several operations may be in flight at once, like a DMA engine with many
 * outstanding tags. An operation is submitted with an exec() callback that
 * performs the access on the window. The model runs exec() when the access
 * would reach the host (exec_frac of the round trip after issue, by default
 * halfway) and hands the operation back to the caller (fw_pcie_reap) only
 * when the completion would arrive. So a CAS takes effect on the window
 * before the firmware learns its outcome, as on the wire, and the firmware
 * logic never sees a result early.
 *
 * Honesty limits (read before quoting numbers made with this model):
 *  - It is a fixed-latency model: no queueing in the root complex, no
 *    contention with other DMA traffic, no latency distribution or tail.
 *    Only the completion data path is serialised, and only for bulk reads
 *    (more than 64 bytes), which share bw_gbps in submission order. The
 *    access itself happens at exec_frac of the round trip, not delayed by
 *    the data path. No request-side bandwidth or credit limits beyond
 *    max_inflight.
 *  - Time passes only when the firmware thread calls into the model: an
 *    exec() whose moment has come runs at the next fw_pcie_* call, so a
 *    descheduled or busy firmware thread delays effects (on 2 oversubscribed
 *    cores this is visible). Delays spin on CLOCK_MONOTONIC below 50 us and
 *    nanosleep beyond; the spinning burns a core, as a polling ARM core
 *    would (spin_yield makes the spin sched_yield(), for shared cores).
 *  - The host side is real memory on the same machine: a host access costs
 *    what it costs here (cache-line transfers between cores), not what it
 *    costs next to a PCIe root complex with DMA traffic in flight.
 *  - Bulk reads copy 64-bit words in address order with acquire loads, so
 *    a task's attributes are never older than its home word in the copy.
 *    A real DMA read is coherent per cache line at best and unordered
 *    across lines. fw_sched's safety does not depend on the order (every
 *    stage is a CAS on the home word); a torn read can only make it weigh
 *    a task wrongly or propose a CPU the host then refuses (NOT_ALLOWED).
 *  - Posted writes take effect immediately; their cost is write_ns of the
 *    issuing thread's time. PCIe does not let a read pass an earlier
 *    posted write; immediate effect trivially keeps that order.
 *  - Non-posted operations may complete out of order (PCIe allows NP
 *    requests to pass each other); within one kind they complete in issue
 *    order here. Whether the E2000's ARM cores can issue AtomicOps to host
 *    memory at all (rather than through a DMA engine) is not modelled.
 */
#ifndef IPUSWAP_FW_PCIE_H
#define IPUSWAP_FW_PCIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>	/* __u64: the window's word type */

#define FW_PCIE_READ_NS		550.0
#define FW_PCIE_WRITE_NS	80.0
#define FW_PCIE_ATOMIC_NS	1000.0
#define FW_PCIE_BW_GBPS		12.0
#define FW_PCIE_EXEC_FRAC	0.5
#define FW_PCIE_MAX_INFLIGHT	64	/* array bound; cfg may ask for fewer */
#define FW_PCIE_INFLIGHT	32	/* default outstanding non-posted ops */
#define FW_PCIE_SPIN_MAX_NS	50000	/* longer waits sleep */
#define FW_PCIE_COST_MAX_NS	1e9	/* sanity bound for any single cost */
#define FW_PCIE_SMALL_BYTES	64	/* answers this small do not queue */

struct fw_pcie_cfg {
	double read_ns;
	double write_ns;
	double atomic_ns;
	double bw_gbps;
	double scale;
	double exec_frac;	/* 0..1: where in the round trip exec() runs */
	unsigned int max_inflight;
	/*
	 * Spin with sched_yield(): on an oversubscribed machine a pure spin
	 * holds the core for a whole time slice while the thread that would
	 * make progress (the host) waits for it.
	 */
	bool spin_yield;
};

enum fw_pcie_kind {
	FW_PCIE_READ,		/* non-posted read of `bytes` bytes */
	FW_PCIE_ATOMIC,		/* AtomicOp (CAS) */
};

/*
 * One outstanding access. Embed it in the caller's own struct and recover
 * that with container_of-style arithmetic in exec() and after reap.
 */
struct fw_pcie_op {
	void (*exec)(struct fw_pcie_op *op);	/* the access itself */
	/* Set by the model: */
	uint64_t issue_ns;
	uint64_t exec_ns;	/* when exec() is due */
	uint64_t done_ns;	/* when the result reaches the firmware */
	uint64_t exec_order;	/* order of exec() in this model; UINT64_MAX: not yet */
	bool executed;
};

struct fw_pcie_stats {
	uint64_t reads;		/* non-posted reads, bulk included */
	uint64_t read_bytes;
	uint64_t atomics;
	uint64_t writes;
	uint64_t waits;		/* times the firmware had to wait */
	uint64_t wait_ns;	/* ... and for how long in total */
	uint64_t max_inflight;	/* high-water mark */
};

struct fw_pcie {
	struct fw_pcie_cfg cfg;
	/* Scaled costs, in ns. */
	double read_ns, write_ns, atomic_ns, ns_per_byte;
	uint64_t rx_free_ns;	/* completion data path busy until */
	uint64_t now;		/* last clock reading */
	uint64_t exec_seq;	/* exec_order of the last exec() run */
	unsigned int nr;
	struct fw_pcie_op *inflight[FW_PCIE_MAX_INFLIGHT];
	struct fw_pcie_stats stats;
};

/* Defaults for every field; then override what you need. */
void fw_pcie_cfg_default(struct fw_pcie_cfg *cfg);
/* NULL, or why cfg is out of range (negative, not finite, too large). */
const char *fw_pcie_cfg_check(const struct fw_pcie_cfg *cfg);
void fw_pcie_init(struct fw_pcie *p, const struct fw_pcie_cfg *cfg);

/* CLOCK_MONOTONIC in ns. */
uint64_t fw_pcie_clock(void);
/*
 * Busy-wait (sub-50 us, yielding if asked) or sleep until CLOCK_MONOTONIC
 * reaches t. No model effects.
 */
void fw_pcie_sleep_until(uint64_t t, bool yield);

/*
 * Submit op (exec set by the caller). Returns 0, or -EBUSY if max_inflight
 * operations are outstanding (reap some first).
 */
int fw_pcie_submit(struct fw_pcie *p, struct fw_pcie_op *op,
		   enum fw_pcie_kind kind, size_t bytes);
/* Run every exec() that is due, in exec order. */
void fw_pcie_progress(struct fw_pcie *p);
/* One completed operation (earliest completion first), or NULL. */
struct fw_pcie_op *fw_pcie_reap(struct fw_pcie *p);
/* Wait for the next event (an exec or a completion); false if none. */
bool fw_pcie_wait(struct fw_pcie *p);
/* Wait until every outstanding operation completed; they stay reapable. */
void fw_pcie_quiesce(struct fw_pcie *p);
/* Forget every outstanding operation without running it (a crash). */
void fw_pcie_abandon(struct fw_pcie *p);

static inline unsigned int fw_pcie_inflight(const struct fw_pcie *p)
{
	return p->nr;
}

static inline bool fw_pcie_full(const struct fw_pcie *p)
{
	return p->nr >= p->cfg.max_inflight;
}

/*
 * Synchronous accesses: the calling thread waits out the whole cost, while
 * outstanding operations keep making progress. src/dst of bulk copies must
 * be 8-byte aligned, len a multiple of 8.
 */
void fw_pcie_read(struct fw_pcie *p, void *dst, const void *src, size_t len);
__u64 fw_pcie_read64(struct fw_pcie *p, const __u64 *src);
void fw_pcie_write64(struct fw_pcie *p, __u64 *dst, __u64 v);

/* The copy a bulk read performs (acquire load per 64-bit word). */
void fw_pcie_copy_in(void *dst, const void *src, size_t len);

#endif /* IPUSWAP_FW_PCIE_H */
