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

#include "ipuswap_host.h"

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
	IPUSWAP_FS_WAIT_CAPPED,		/* requests not waited: cycle budget spent */
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

/*
 * One attached scheduler (ipuswap_attach() to ipuswap_detach()): built
 * complete before it is published in ipuswap_dev.sched, never changed
 * afterwards except for the host-memory tables it owns, freed a grace
 * period after it is unpublished. Kfuncs read the attach parameters and
 * the layout only from here (ipuswap_ctx_get()).
 */
struct ipuswap_sched {
	struct ipuswap_host host;		/* window, layout, host-memory hooks */
	struct ipuswap_dev *idev;
	u32 proto;				/* enum ipuswap_proto */
	u32 agent;				/* enum ipuswap_agent */
	u32 fito_flags;				/* enum ipuswap_fito_flag */

	/* Slot ownership lives in host memory, host.l.nr_tasks bits each. */
	unsigned long *slot_used;
	unsigned long *slot_queued;		/* offered, nobody claimed it since */
	u32 slot_hint;				/* where to look for a free slot */

	/* PROTO_FITO only (ipuswap_fito.c). */
	u64 fito_rings_offset;
	struct ipuswap_fito_task *fito_tasks;	/* host.l.nr_tasks */
	struct ipuswap_fito_cpu __percpu *fito_cpu;
	atomic_t fito_queued;			/* tasks in IPUSWAP_FT_QUEUED */

	struct rcu_head rcu;
};

/*
 * Interrupt storm guard, one per MSI-X vector: a vector with more
 * unsolicited interrupts than a budget per window is masked, and unmasked
 * by @unmask after a back-off that doubles while the storm lasts
 * (ipuswap_pci.c).
 */
struct ipuswap_irq_limit {
	struct ipuswap_dev *idev;
	struct delayed_work unmask;
	unsigned int irq;
	enum ipuswap_vector vec;
	u64 window_start_ns;		/* these three: handler or masked only */
	u32 count;
	u32 backoff_ms;
	bool stopping;			/* unbinding: stay masked */
	atomic64_t throttled;		/* times masked */
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
	struct ipuswap_layout layout;		/* PROTO_SWAP layout, set at probe */
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

	/*
	 * The attached scheduler, if any (ipuswap_kfuncs.c). sched_attached
	 * says who owns the swap region (a scheduler, or a wire check that
	 * borrows it); sched is what kfuncs use, published last.
	 */
	struct ipuswap_sched __rcu *sched;
	struct ipuswap_sched_stats __percpu *stats;	/* of the last attach */
	u64 region_offset;			/* hdr values validated at probe: */
	u64 region_size;			/* the window may change them later */

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
	struct ipuswap_irq_limit irq_limit[IPUSWAP_NR_VECTORS];	/* ipuswap_pci.c */
	atomic_t sched_attached;		/* enum ipuswap_region_owner */
	struct dentry *debugfs;
};

extern struct ipuswap_dev __rcu *ipuswap_current;

/*
 * The attached scheduler's context on the bound IPU, or NULL; caller holds
 * rcu_read_lock(). rcu_dereference() pairs with the rcu_assign_pointer()
 * that published it complete.
 */
static inline struct ipuswap_sched *ipuswap_sched_ctx(void)
{
	struct ipuswap_dev *idev = rcu_dereference(ipuswap_current);

	return idev ? rcu_dereference(idev->sched) : NULL;
}

/*
 * How ipuswap_ctx_get() checks a kfunc's arguments. Checking is the
 * default: @cpu must be a CPU of the layout and @idx a slot in use unless
 * the kfunc says it has no such argument, so a kfunc that forgets fails
 * closed (-BAD_ARG) instead of indexing a table with what BPF passed.
 */
enum ipuswap_ctx_need {
	IPUSWAP_NO_CPU		= 1u << 0,	/* takes no CPU: @cpu unchecked */
	IPUSWAP_NO_SLOT		= 1u << 1,	/* takes no slot: @idx unchecked */
	IPUSWAP_HINT_CPU	= 1u << 2,	/* @cpu is a hint: negative is none */
	IPUSWAP_NEED_FITO	= 1u << 3,	/* attached with PROTO_FITO */
};

/* Is @idx a task slot the host handed out (host memory, not the window)? */
static inline bool ipuswap_slot_in_use(const struct ipuswap_sched *s, s32 idx)
{
	return idx >= 0 && idx < s->host.l.nr_tasks && test_bit(idx, s->slot_used);
}

struct ipuswap_sched *ipuswap_ctx_get(unsigned int need, s32 cpu, s32 idx, s32 *ret);
s32 ipuswap_ctx_fail(struct ipuswap_sched *s, u32 why);
void ipuswap_ctx_ring(struct ipuswap_sched *s);

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
void ipuswap_cdev_sched_attached(struct ipuswap_dev *idev);
void ipuswap_cdev_flush(void);

int ipuswap_kfuncs_register(void);
void ipuswap_onhost_ring(struct ipuswap_dev *idev, enum ipuswap_vector vec);
int ipuswap_sched_alloc(struct ipuswap_dev *idev);
void ipuswap_sched_free(struct ipuswap_dev *idev);
u64 ipuswap_sched_sum(struct ipuswap_dev *idev, enum ipuswap_stat_kind kind, int stat);
bool ipuswap_sched_mode(struct ipuswap_dev *idev, u32 *proto, u32 *agent, u32 *fito_flags);
struct ipuswap_sched *ipuswap_sched_new(const struct ipuswap_layout *swap, u64 region_offset,
					u64 region_size, u32 proto, u32 agent, u32 fito_flags);
void ipuswap_sched_delete(struct ipuswap_sched *s);
void ipuswap_detach_unbound(struct ipuswap_dev *idev);
void ipuswap_sched_reset(struct ipuswap_sched *s);
int ipuswap_fito_alloc(struct ipuswap_sched *s, const struct ipuswap_layout *swap,
		       u64 region_offset, u64 region_size);
void ipuswap_fito_free(struct ipuswap_sched *s);
void ipuswap_fito_reset(struct ipuswap_sched *s);
void ipuswap_fito_task_created(struct ipuswap_sched *s, s32 idx);
void ipuswap_fito_task_destroyed(struct ipuswap_sched *s, s32 idx);

#endif /* IPUSWAP_H */
