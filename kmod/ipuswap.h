/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipuswap host driver: private definitions shared by the PCI driver and the
 * kfuncs.
 */
#ifndef IPUSWAP_H
#define IPUSWAP_H

#include <linux/completion.h>
#include <linux/irq_work.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "ipuswap_swap.h"

#define IPUSWAP_DRV_NAME	"ipuswap"
#define IPUSWAP_PING_SAMPLES	1024

/* Host-side counters of the swap path, per CPU (see debugfs info). */
enum ipuswap_sched_stat {
	IPUSWAP_ST_CREATE,
	IPUSWAP_ST_DESTROY,
	IPUSWAP_ST_ENQUEUE,
	IPUSWAP_ST_TAKE,	/* firmware proposal committed */
	IPUSWAP_ST_SELF,	/* host served a task itself */
	IPUSWAP_ST_STOP,
	IPUSWAP_ST_RETRACT,
	IPUSWAP_NR_SCHED_STATS,
};

/* Host-side counters of the FITO baseline, per CPU (ipuswap_fito.c). */
enum ipuswap_fito_stat {
	IPUSWAP_FS_EVENTS,		/* events posted */
	IPUSWAP_FS_DOORBELLS,		/* doorbells rung for events */
	IPUSWAP_FS_RING_FULL,		/* event not posted: ring full */
	IPUSWAP_FS_COMMIT,		/* decision committed (valid) */
	IPUSWAP_FS_STALE_ENFORCED,	/* stale decision run anyway (no abort) */
	IPUSWAP_FS_STALE_DROPPED,	/* ... whose task sched_ext then dropped */
	IPUSWAP_FS_STALE_REFUSED,	/* ... not allowed on the CPU: refused */
	IPUSWAP_FS_ABORTED,		/* decision aborted at commit */
	IPUSWAP_FS_REQUESTS,		/* CPU_IDLE requests posted */
	IPUSWAP_FS_WAITS,		/* dispatches that waited for the firmware */
	IPUSWAP_FS_WAIT_NS,		/* ... total time waited */
	IPUSWAP_FS_TIMEOUTS,		/* ... waits that ended without a decision */
	IPUSWAP_FS_SELF,		/* tasks the host served itself, no decision */
	IPUSWAP_NR_FITO_STATS,
};

struct ipuswap_sched_stats {
	u64 count[IPUSWAP_NR_SCHED_STATS];
	u64 aborts[IPUSWAP_NR_FITO_REASONS];
	u64 fito[IPUSWAP_NR_FITO_STATS];
};

/* Which array of struct ipuswap_sched_stats ipuswap_sched_sum() adds up. */
enum ipuswap_stat_kind {
	IPUSWAP_SK_COUNT,		/* count[enum ipuswap_sched_stat] */
	IPUSWAP_SK_ABORT,		/* aborts[reason] */
	IPUSWAP_SK_FITO,		/* fito[enum ipuswap_fito_stat] */
};

/* FITO: the host's own view of a task (the firmware only has copies). */
enum ipuswap_fito_task_state {
	IPUSWAP_FT_IDLE		= 0,	/* not runnable, or running */
	IPUSWAP_FT_QUEUED	= 1,	/* enqueued, no CPU has it yet */
};

struct ipuswap_fito_task {
	u32 barrier;			/* bumped by every event about the task */
	atomic_t state;			/* enum ipuswap_fito_task_state */
};

/* FITO: per-CPU event batching (IPUSWAP_FITO_WC). */
struct ipuswap_fito_cpu {
	u64 head;			/* events this CPU posted to its ring */
	u32 unrung;			/* events posted since the last doorbell */
};

/* Who uses the swap region (idev->sched_attached). */
enum ipuswap_region_owner {
	IPUSWAP_REGION_IDLE	= 0,
	IPUSWAP_REGION_SCHED	= 1,	/* a scheduler attached */
	IPUSWAP_REGION_CHECK	= 2,	/* a wire check borrows it */
};

/* One bound IPU. Only one may be bound at a time (ipuswap_current). */
struct ipuswap_dev {
	struct pci_dev *pdev;
	void __iomem *regs;			/* BAR0: ivshmem registers */
	struct ipuswap_window_hdr *hdr;		/* BAR2: the shared window */
	u64 window_size;
	u32 peer_id;				/* our ivshmem peer id */
	u32 fw_peer_id;				/* firmware's, from the header */
	struct ipuswap_layout layout;		/* swap region for this machine */
	wait_queue_head_t ctrl_wq;		/* woken by every CTRL interrupt */

	/* Ping and wire check: each exchange runs under ping_lock. */
	struct mutex ping_lock;
	struct completion ping_done;
	spinlock_t ping_irq_lock;		/* ping_seq/ping_recv_ns vs. IRQ */
	u64 ping_seq;				/* outstanding request */
	u64 ping_recv_ns;			/* set by the IRQ handler */
	u64 ping_count;
	u64 ping_lost;
	u64 ping_last_ns;
	u32 ping_nr_samples;
	u32 ping_next_sample;
	u64 ping_samples[IPUSWAP_PING_SAMPLES];

	/* Liveness watch, run by live_work only. */
	struct delayed_work live_work;
	u64 live_last;				/* fw_liveness at last change */
	unsigned long live_changed;		/* jiffies of last change */
	bool fw_alive;				/* read locklessly by kfuncs */

	u64 check_seq;
	u32 check_words;			/* words compared by the last check */
	u32 check_mismatches;

	/* Swap path (ipuswap_sched.c). Slot ownership lives in host memory. */
	unsigned long *slot_used;		/* layout.nr_tasks bits */
	unsigned long *slot_queued;		/* host view: offered, not taken */
	u32 slot_hint;				/* where to look for a free slot */
	struct ipuswap_sched_stats __percpu *stats;

	/* Attach parameters (constant while a scheduler is attached). */
	u32 proto;				/* enum ipuswap_proto */
	u32 agent;				/* enum ipuswap_agent */
	u32 fito_flags;				/* enum ipuswap_fito_flag */
	struct ipuswap_layout swap_layout;	/* layout for PROTO_SWAP */
	u64 region_offset;			/* hdr values validated at probe: */
	u64 region_size;			/* the window may change them later */
	u64 fito_rings_offset;			/* PROTO_FITO: ring array */
	struct ipuswap_fito_task *fito_tasks;	/* swap_layout.nr_tasks */
	struct ipuswap_fito_cpu __percpu *fito_cpu;
	atomic_t fito_queued;			/* tasks in IPUSWAP_FT_QUEUED */

	/*
	 * On-host agent (IPUSWAP_AGENT_ONHOST): the window is mmap()ed by the
	 * firmware binary running on the host through /dev/ipuswap, and the
	 * host's doorbells reach it as bits readable from that device. The
	 * doorbell may be rung under a runqueue lock, so the wake-up is
	 * deferred to an irq_work.
	 */
	struct miscdevice misc;
	bool misc_registered;
	atomic64_t onhost_pending;		/* vector bits not yet read */
	struct irq_work onhost_work;

	atomic64_t irqs[IPUSWAP_NR_VECTORS];
	atomic_t sched_attached;		/* enum ipuswap_region_owner */
	struct dentry *debugfs;
};

extern struct ipuswap_dev __rcu *ipuswap_current;

/* The bound device if a scheduler is attached; caller holds rcu_read_lock(). */
static inline struct ipuswap_dev *ipuswap_sched_dev(void)
{
	struct ipuswap_dev *idev = rcu_dereference(ipuswap_current);

	return idev && atomic_read(&idev->sched_attached) == IPUSWAP_REGION_SCHED ?
	       idev : NULL;
}

/* Is @idx a task slot the host handed out (host memory, not the window)? */
static inline bool ipuswap_slot_in_use(struct ipuswap_dev *idev, s32 idx)
{
	return idx >= 0 && idx < idev->layout.nr_tasks && test_bit(idx, idev->slot_used);
}

void ipuswap_ring(struct ipuswap_dev *idev, enum ipuswap_vector vec);
void ipuswap_set_host_state(struct ipuswap_dev *idev, u32 state);

/* ipuswap_pci.c: the PCI driver; BAR2 is the window */
#define IPUSWAP_BAR_WINDOW	2
extern unsigned int ipuswap_ping_timeout_ms;

/* ipuswap_diag.c: debugfs info, ping, wirecheck */
void ipuswap_diag_create(struct ipuswap_dev *idev);
void ipuswap_diag_remove(struct ipuswap_dev *idev);

/* ipuswap_cdev.c: /dev/ipuswap for the on-host agent */
void ipuswap_cdev_init(struct ipuswap_dev *idev);
int ipuswap_cdev_register(struct ipuswap_dev *idev);
void ipuswap_cdev_remove(struct ipuswap_dev *idev);

int ipuswap_kfuncs_register(void);
void ipuswap_onhost_ring(struct ipuswap_dev *idev, enum ipuswap_vector vec);
int ipuswap_sched_alloc(struct ipuswap_dev *idev);
void ipuswap_sched_free(struct ipuswap_dev *idev);
void ipuswap_sched_reset(struct ipuswap_dev *idev);
u64 ipuswap_sched_sum(struct ipuswap_dev *idev, enum ipuswap_stat_kind kind, int stat);
int ipuswap_fito_attach(struct ipuswap_dev *idev);
void ipuswap_fito_task_created(struct ipuswap_dev *idev, s32 idx);
void ipuswap_fito_task_destroyed(struct ipuswap_dev *idev, s32 idx);

#endif /* IPUSWAP_H */
