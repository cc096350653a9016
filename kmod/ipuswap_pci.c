// SPDX-License-Identifier: GPL-2.0
/*
 * ipuswap: host driver for an IPU that runs scheduling policy; this file is
 * the PCI driver.
 *
 * The IPU (or its emulation, QEMU's ivshmem-doorbell whose server is our
 * firmware) exposes a doorbell register block and a shared window. This
 * file binds it: module init/exit, probe/remove, mapping BAR0 and BAR2,
 * validating the window the firmware published (untrusted input), MSI-X
 * and its handlers, ringing the firmware, host_state, and the watch on the
 * firmware's liveness counter. The rest of the module:
 *
 *   ipuswap_kfuncs.c   the kfuncs the sched_ext scheduler calls
 *   ipuswap_sched.c    the swap path; ipuswap_fito.c the FITO baseline
 *   ipuswap_diag.c     debugfs: info, ping, wirecheck
 *   ipuswap_cdev.c     /dev/ipuswap for the on-host agent
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/module.h>

#include "ipuswap.h"
#include "ipuswap_atomic.h"
#include "ipuswap_dev.h"

/* ivshmem-doorbell BAR0 registers (QEMU docs/specs/ivshmem-spec.rst) */
#define IPUSWAP_BAR_REGS		0
#define IPUSWAP_REG_INTR_MASK		0x00	/* INTx only, unused with MSI-X */
#define IPUSWAP_REG_INTR_STATUS		0x04
#define IPUSWAP_REG_IV_POSITION		0x08	/* our own peer id */
#define IPUSWAP_REG_DOORBELL		0x0c
#define   IPUSWAP_DOORBELL_PEER_SHIFT	16
#define   IPUSWAP_DOORBELL_VECTOR	GENMASK(15, 0)
#define   IPUSWAP_PEER_MAX		0xffff

struct ipuswap_dev __rcu *ipuswap_current;
static DEFINE_MUTEX(ipuswap_bind_lock);	/* serializes probe/remove */

static unsigned int live_timeout_ms = 2000;
unsigned int ipuswap_ping_timeout_ms = 1000;

static int ipuswap_param_set_ms(const char *val, const struct kernel_param *kp)
{
	unsigned int ms;
	int ret;

	ret = kstrtouint(val, 0, &ms);
	if (ret)
		return ret;
	if (ms < 10 || ms > 600000) {
		pr_err("%s must be 10..600000 ms, got %u\n", kp->name, ms);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = ms;
	return 0;
}

static const struct kernel_param_ops ipuswap_ms_ops = {
	.set = ipuswap_param_set_ms,
	.get = param_get_uint,
};

module_param_cb(live_timeout_ms, &ipuswap_ms_ops, &live_timeout_ms, 0644);
MODULE_PARM_DESC(live_timeout_ms,
		 "Firmware is declared dead when its liveness counter stalls this long (10..600000, default 2000)");
module_param_cb(ping_timeout_ms, &ipuswap_ms_ops, &ipuswap_ping_timeout_ms, 0644);
MODULE_PARM_DESC(ping_timeout_ms,
		 "A diagnostic ping unanswered for this long counts as lost (10..600000, default 1000)");

/*
 * Ring the IPU firmware. Runqueue doorbells for the on-host agent go
 * through ipuswap_ctx_ring() instead; CTRL doorbells always come here, the
 * IPU firmware answers pings and liveness in every mode.
 */
void ipuswap_ring(struct ipuswap_dev *idev, enum ipuswap_vector vec)
{
	writel((idev->fw_peer_id << IPUSWAP_DOORBELL_PEER_SHIFT) |
	       (vec & IPUSWAP_DOORBELL_VECTOR),
	       idev->regs + IPUSWAP_REG_DOORBELL);
}

void ipuswap_set_host_state(struct ipuswap_dev *idev, u32 state)
{
	/* Earlier window writes are visible before the new state. */
	smp_store_release(&idev->hdr->host_state, state);
	ipuswap_ring(idev, IPUSWAP_VEC_CTRL);
	if (state == IPUSWAP_HOST_SCHED)
		ipuswap_cdev_sched_attached(idev);
}

/*
 * Interrupt storms. The firmware may raise MSI-X as fast as it likes, and
 * every interrupt costs a host CPU. The host expects an interrupt only as
 * the answer to a request of its own: a CTRL interrupt that completes a
 * ping or answers a wire check in flight. Every other one (any SCHED
 * interrupt: the host reads the swap region when it needs it; a late
 * answer) is unsolicited, and a vector with more than IPUSWAP_IRQ_BUDGET
 * unsolicited interrupts in IPUSWAP_IRQ_WINDOW_NS is masked
 * (disable_irq_nosync()) and unmasked by a work after a back-off, doubled
 * each time the storm goes on (IPUSWAP_IRQ_BACKOFF_MIN_MS up to _MAX_MS)
 * and reset by a calm window. A storm thus costs at most a budget of
 * handler runs per back-off, and requests are never what trips it. No
 * wake-up is lost: the answers are in the window, an interrupt that
 * arrived masked is resent on unmask, and the unmask work looks at the
 * ping answer and wakes the wire check itself.
 */
#define IPUSWAP_IRQ_WINDOW_NS		(100 * NSEC_PER_MSEC)
#define IPUSWAP_IRQ_BUDGET		32
#define IPUSWAP_IRQ_BACKOFF_MIN_MS	10
#define IPUSWAP_IRQ_BACKOFF_MAX_MS	160

/* Count one unsolicited interrupt; mask the vector past the budget. */
static void ipuswap_irq_admit(struct ipuswap_irq_limit *lim)
{
	u64 now = ktime_get_mono_fast_ns();

	/* One handler at a time per vector: no lock needed. */
	if (now - lim->window_start_ns >= IPUSWAP_IRQ_WINDOW_NS) {
		lim->window_start_ns = now;
		lim->count = 0;
		lim->backoff_ms = IPUSWAP_IRQ_BACKOFF_MIN_MS;
	}
	if (++lim->count <= IPUSWAP_IRQ_BUDGET)
		return;
	disable_irq_nosync(lim->irq);
	atomic64_inc(&lim->throttled);
	if (!READ_ONCE(lim->stopping))
		schedule_delayed_work(&lim->unmask, msecs_to_jiffies(lim->backoff_ms));
	lim->backoff_ms = min(lim->backoff_ms * 2, IPUSWAP_IRQ_BACKOFF_MAX_MS);
}

/*
 * What a CTRL interrupt says: a ping or wire check may be answered. True
 * if it completed a ping or a wire check in flight is answered.
 */
static bool ipuswap_ctrl_answered(struct ipuswap_dev *idev)
{
	/* Pairs with the firmware's release store of the answer. */
	u64 ack = smp_load_acquire(&idev->hdr->fw_ping_ack);
	bool news = false;
	unsigned long flags;

	wake_up(&idev->ctrl_wq);
	/* A stale answer (to a ping that already timed out) is ignored. */
	spin_lock_irqsave(&idev->ping_irq_lock, flags);
	if (ack == idev->ping_seq && !completion_done(&idev->ping_done)) {
		idev->ping_recv_ns = ktime_get_ns();
		complete(&idev->ping_done);
		news = true;
	}
	spin_unlock_irqrestore(&idev->ping_irq_lock, flags);
	if (news || atomic_read(&idev->sched_attached) != IPUSWAP_REGION_CHECK)
		return news;
	/* Pairs with the firmware's release store after its answers. */
	return smp_load_acquire(&idev->hdr->fw_check_ack) == READ_ONCE(idev->check_seq);
}

static void ipuswap_irq_unmask(struct work_struct *work)
{
	struct ipuswap_irq_limit *lim = container_of(to_delayed_work(work),
						     struct ipuswap_irq_limit, unmask);

	/* Masked: the handler cannot run while we reset its window. */
	lim->window_start_ns = ktime_get_mono_fast_ns();
	lim->count = 0;
	enable_irq(lim->irq);
	if (lim->vec == IPUSWAP_VEC_CTRL)
		ipuswap_ctrl_answered(lim->idev);
}

static irqreturn_t ipuswap_irq_ctrl(int irq, void *data)
{
	struct ipuswap_dev *idev = data;

	atomic64_inc(&idev->irqs[IPUSWAP_VEC_CTRL]);
	if (!ipuswap_ctrl_answered(idev))
		ipuswap_irq_admit(&idev->irq_limit[IPUSWAP_VEC_CTRL]);
	return IRQ_HANDLED;
}

static irqreturn_t ipuswap_irq_sched(int irq, void *data)
{
	struct ipuswap_dev *idev = data;

	atomic64_inc(&idev->irqs[IPUSWAP_VEC_SCHED]);
	ipuswap_irq_admit(&idev->irq_limit[IPUSWAP_VEC_SCHED]);
	return IRQ_HANDLED;
}

/* Before the vectors are freed (devm): no unmask work may be left. */
static void ipuswap_irq_limit_stop(void *data)
{
	struct ipuswap_irq_limit *lim = data;

	WRITE_ONCE(lim->stopping, true);
	synchronize_irq(lim->irq);		/* no handler queues it again */
	cancel_delayed_work_sync(&lim->unmask);
}

/*
 * Liveness is advisory: it feeds stats and a deliberate detach, never the
 * correctness of a transition. Say once when it stops and once when it
 * resumes.
 */
static void ipuswap_live_work(struct work_struct *work)
{
	struct ipuswap_dev *idev = container_of(to_delayed_work(work),
						struct ipuswap_dev, live_work);
	u64 live = READ_ONCE(idev->hdr->fw_liveness);

	if (live != idev->live_last) {
		idev->live_last = live;
		idev->live_changed = jiffies;
		if (!READ_ONCE(idev->fw_alive)) {
			WRITE_ONCE(idev->fw_alive, true);
			dev_info(&idev->pdev->dev, "firmware liveness advancing (%llu)\n", live);
		}
	} else if (READ_ONCE(idev->fw_alive) &&
		   time_after(jiffies, idev->live_changed +
			      msecs_to_jiffies(live_timeout_ms))) {
		WRITE_ONCE(idev->fw_alive, false);
		dev_warn(&idev->pdev->dev,
			 "firmware liveness stopped at %llu (no progress for %u ms)\n",
			 live, live_timeout_ms);
	}
	schedule_delayed_work(&idev->live_work, msecs_to_jiffies(100));
}

/*
 * The firmware wrote the header; trust none of it until checked. Each field
 * is read once (ipuswap_hdr_read()) and only that copy is checked and kept:
 * the firmware may change the window later.
 */
static int ipuswap_check_window(struct ipuswap_dev *idev)
{
	struct device *dev = &idev->pdev->dev;
	int nr_msix = pci_msix_vec_count(idev->pdev);
	struct ipuswap_window_hdr h = {};
	enum ipuswap_hdr_fault fault;

	ipuswap_hdr_read(&h, idev->hdr);
	fault = ipuswap_hdr_check(&h, idev->window_size);
	if (fault != IPUSWAP_HF_OK) {
		dev_err(dev, "window refused: %s (magic %#x, wire version %u, driver speaks %u, size %llu, BAR2 %llu, hdr_size %u, %u vectors, region [%u, +%llu))\n",
			ipuswap_hdr_fault_name(fault), h.magic, h.version,
			IPUSWAP_WIRE_VERSION, h.size, idev->window_size, h.hdr_size,
			h.nr_vectors, h.region_offset, h.region_size);
		return -EINVAL;
	}
	/* Compared unsigned: no count may wrap into range. */
	if (nr_msix < 0 || h.nr_vectors > (unsigned int)nr_msix) {
		dev_err(dev, "window refused: firmware serves %u vectors, need %u..%d\n",
			h.nr_vectors, IPUSWAP_NR_VECTORS, nr_msix);
		return -EINVAL;
	}
	if (h.fw_peer_id > IPUSWAP_PEER_MAX || h.fw_peer_id == idev->peer_id) {
		dev_err(dev, "window refused: firmware peer id %u invalid (ours is %u)\n",
			h.fw_peer_id, idev->peer_id);
		return -EINVAL;
	}
	if (ipuswap_layout(h.region_offset, h.region_size, nr_cpu_ids, &idev->layout)) {
		dev_err(dev, "window refused: %llu-byte swap region cannot hold %u tasks for %u CPUs\n",
			h.region_size, IPUSWAP_MIN_TASKS, nr_cpu_ids);
		return -EINVAL;
	}
	idev->region_offset = h.region_offset;
	idev->region_size = h.region_size;
	if (h.region_size < sizeof(struct ipuswap_check)) {
		dev_err(dev, "window refused: swap region smaller than the wire check area\n");
		return -EINVAL;
	}
	idev->fw_peer_id = h.fw_peer_id;
	return 0;
}

static int ipuswap_map(struct ipuswap_dev *idev)
{
	struct pci_dev *pdev = idev->pdev;
	resource_size_t start = pci_resource_start(pdev, IPUSWAP_BAR_WINDOW);
	resource_size_t len = pci_resource_len(pdev, IPUSWAP_BAR_WINDOW);
	int ret;

	idev->regs = pcim_iomap_region(pdev, IPUSWAP_BAR_REGS, IPUSWAP_DRV_NAME);
	if (IS_ERR(idev->regs))
		return dev_err_probe(&pdev->dev, PTR_ERR(idev->regs), "cannot map BAR0\n");

	if (!ipuswap_window_size_ok(len)) {
		dev_err(&pdev->dev, "window refused: BAR2 is %llu bytes, need a power of two in [%llu, %llu]\n",
			(u64)len, IPUSWAP_WINDOW_MIN, IPUSWAP_WINDOW_MAX);
		return -EINVAL;
	}
	ret = pcim_request_region(pdev, IPUSWAP_BAR_WINDOW, IPUSWAP_DRV_NAME);
	if (ret)
		return dev_err_probe(&pdev->dev, ret, "cannot claim BAR2\n");
	/*
	 * Write-back cacheable: the window is ordinary memory on both sides
	 * and the protocol relies on atomic compare-and-swap on it.
	 */
	idev->hdr = devm_memremap(&pdev->dev, start, len, MEMREMAP_WB);
	if (IS_ERR(idev->hdr))
		return dev_err_probe(&pdev->dev, PTR_ERR(idev->hdr), "cannot map BAR2\n");
	idev->window_size = len;
	idev->peer_id = readl(idev->regs + IPUSWAP_REG_IV_POSITION);
	return 0;
}

static int ipuswap_setup_irqs(struct ipuswap_dev *idev)
{
	static const char * const names[IPUSWAP_NR_VECTORS] = {
		[IPUSWAP_VEC_CTRL] = IPUSWAP_DRV_NAME "-ctrl",
		[IPUSWAP_VEC_SCHED] = IPUSWAP_DRV_NAME "-sched",
	};
	static const irq_handler_t handlers[IPUSWAP_NR_VECTORS] = {
		[IPUSWAP_VEC_CTRL] = ipuswap_irq_ctrl,
		[IPUSWAP_VEC_SCHED] = ipuswap_irq_sched,
	};
	struct pci_dev *pdev = idev->pdev;
	int i, ret;

	/* Without bus mastering QEMU silently drops every MSI-X message. */
	pci_set_master(pdev);
	ret = pci_alloc_irq_vectors(pdev, IPUSWAP_NR_VECTORS, IPUSWAP_NR_VECTORS,
				    PCI_IRQ_MSIX);
	if (ret < 0)
		return dev_err_probe(&pdev->dev, ret, "cannot enable %d MSI-X vectors\n",
				     IPUSWAP_NR_VECTORS);
	for (i = 0; i < IPUSWAP_NR_VECTORS; i++) {
		struct ipuswap_irq_limit *lim = &idev->irq_limit[i];

		lim->idev = idev;
		lim->vec = i;
		lim->irq = pci_irq_vector(pdev, i);
		lim->backoff_ms = IPUSWAP_IRQ_BACKOFF_MIN_MS;
		INIT_DELAYED_WORK(&lim->unmask, ipuswap_irq_unmask);
		ret = devm_request_irq(&pdev->dev, lim->irq, handlers[i], 0, names[i], idev);
		if (ret)
			return dev_err_probe(&pdev->dev, ret, "cannot request %s\n", names[i]);
		/* Released before the vector is freed. */
		ret = devm_add_action_or_reset(&pdev->dev, ipuswap_irq_limit_stop, lim);
		if (ret)
			return ret;
	}
	return 0;
}

static void ipuswap_sched_release(void *data)
{
	ipuswap_sched_free(data);
}

static int ipuswap_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct ipuswap_dev *idev;
	int ret;

	idev = devm_kzalloc(&pdev->dev, sizeof(*idev), GFP_KERNEL);
	if (!idev)
		return -ENOMEM;
	idev->pdev = pdev;
	mutex_init(&idev->ping_lock);
	init_completion(&idev->ping_done);
	spin_lock_init(&idev->ping_irq_lock);
	init_waitqueue_head(&idev->ctrl_wq);
	INIT_DELAYED_WORK(&idev->live_work, ipuswap_live_work);
	ipuswap_cdev_init(idev);

	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = ipuswap_map(idev);
	if (ret)
		return ret;
	ret = ipuswap_check_window(idev);
	if (ret)
		return ret;
	ret = ipuswap_sched_alloc(idev);
	if (ret)
		return ret;
	/* Released after remove(), i.e. after the RCU grace period there. */
	ret = devm_add_action_or_reset(&pdev->dev, ipuswap_sched_release, idev);
	if (ret)
		return ret;
	ret = ipuswap_setup_irqs(idev);
	if (ret)
		return ret;

	mutex_lock(&ipuswap_bind_lock);
	if (rcu_access_pointer(ipuswap_current)) {
		mutex_unlock(&ipuswap_bind_lock);
		dev_err(&pdev->dev, "another IPU is already bound; only one is supported\n");
		return -EBUSY;
	}
	ret = ipuswap_cdev_register(idev);
	if (ret) {
		mutex_unlock(&ipuswap_bind_lock);
		return dev_err_probe(&pdev->dev, ret, "cannot register %s\n",
				     IPUSWAP_DEV_PATH);
	}
	pci_set_drvdata(pdev, idev);
	/* Sequence words are ours: continue them across driver reloads. */
	idev->ping_seq = READ_ONCE(idev->hdr->host_ping_seq);
	idev->check_seq = READ_ONCE(idev->hdr->host_check_seq);
	idev->live_last = READ_ONCE(idev->hdr->fw_liveness);
	idev->live_changed = jiffies;
	idev->fw_alive = true;
	WRITE_ONCE(idev->hdr->host_nr_cpus, nr_cpu_ids);
	ipuswap_set_host_state(idev, IPUSWAP_HOST_BOUND);
	ipuswap_diag_create(idev);
	rcu_assign_pointer(ipuswap_current, idev);
	mutex_unlock(&ipuswap_bind_lock);

	schedule_delayed_work(&idev->live_work, msecs_to_jiffies(100));
	dev_info(&pdev->dev, "bound: window %llu bytes, peer %u, firmware peer %u, generation %llu\n",
		 idev->window_size, idev->peer_id, idev->fw_peer_id,
		 READ_ONCE(idev->hdr->fw_generation));
	return 0;
}

static void ipuswap_remove(struct pci_dev *pdev)
{
	struct ipuswap_dev *idev = pci_get_drvdata(pdev);

	/* Before the window is unmapped (devm, after we return). */
	ipuswap_cdev_remove(idev);
	mutex_lock(&ipuswap_bind_lock);
	RCU_INIT_POINTER(ipuswap_current, NULL);
	mutex_unlock(&ipuswap_bind_lock);
	/* kfuncs still looking at idev finish before its memory goes. */
	synchronize_rcu();
	/* ... an attach queued no revocation of /dev/ipuswap's mapping, */
	ipuswap_cdev_flush();
	/* ... and so does a wake-up they queued for the on-host agent. */
	irq_work_sync(&idev->onhost_work);
	ipuswap_diag_remove(idev);
	cancel_delayed_work_sync(&idev->live_work);
	ipuswap_set_host_state(idev, IPUSWAP_HOST_ABSENT);
	dev_info(&pdev->dev, "unbound\n");
}

static const struct pci_device_id ipuswap_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, 0x1110) },	/* ivshmem */
	{ }
};
MODULE_DEVICE_TABLE(pci, ipuswap_ids);

static struct pci_driver ipuswap_driver = {
	.name = IPUSWAP_DRV_NAME,
	.id_table = ipuswap_ids,
	.probe = ipuswap_probe,
	.remove = ipuswap_remove,
};

static int __init ipuswap_module_init(void)
{
	int ret;

	ret = ipuswap_kfuncs_register();
	if (ret) {
		pr_err("cannot register kfuncs (%d); is module BTF missing?\n", ret);
		return ret;
	}
	return pci_register_driver(&ipuswap_driver);
}

static void __exit ipuswap_module_exit(void)
{
	pci_unregister_driver(&ipuswap_driver);
}

module_init(ipuswap_module_init);
module_exit(ipuswap_module_exit);

MODULE_DESCRIPTION("ipuswap: sched_ext policy offload to an IPU through bilateral swaps");
MODULE_AUTHOR("ipuswap developers");
MODULE_LICENSE("GPL");
