// SPDX-License-Identifier: GPL-2.0
/*
 * ipuswap: host driver for an IPU that runs scheduling policy.
 *
 * The IPU (or its emulation, QEMU's ivshmem-doorbell whose server is our
 * firmware) exposes a doorbell register block and a shared window. This
 * driver maps both, validates the window the firmware published (it is
 * untrusted input), enables MSI-X so the firmware can interrupt us, watches
 * the firmware's liveness counter, and offers kfuncs to the sched_ext
 * scheduler (ipuswap_kfuncs.c).
 *
 * For the on-host reference (IPUSWAP_AGENT_ONHOST) the same firmware binary
 * runs on a host CPU: /dev/ipuswap lets it map the window and read the
 * doorbells the host rings for it (see "On-host agent" below).
 *
 * Diagnostics live in debugfs, /sys/kernel/debug/ipuswap/:
 *   info   key=value lines: window, firmware liveness, ping statistics
 *   ping   write N to run N ping round trips (doorbell out, MSI-X back)
 *   wirecheck  write 1: host and firmware cross-check their builds of the
 *          wire header (encode and decode every kind of word)
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/rwsem.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "ipuswap.h"

/* ivshmem-doorbell BAR0 registers (QEMU docs/specs/ivshmem-spec.rst) */
#define IPUSWAP_BAR_REGS		0
#define IPUSWAP_REG_INTR_MASK		0x00	/* INTx only, unused with MSI-X */
#define IPUSWAP_REG_INTR_STATUS		0x04
#define IPUSWAP_REG_IV_POSITION		0x08	/* our own peer id */
#define IPUSWAP_REG_DOORBELL		0x0c
#define   IPUSWAP_DOORBELL_PEER_SHIFT	16
#define   IPUSWAP_DOORBELL_VECTOR	GENMASK(15, 0)
#define   IPUSWAP_PEER_MAX		0xffff

/* BAR2: the shared window (struct ipuswap_window_hdr at offset 0) */
#define IPUSWAP_BAR_WINDOW		2

#define IPUSWAP_PING_MAX		100000
/* A batch gives up after this many unanswered pings in a row. */
#define IPUSWAP_PING_GIVE_UP		3

struct ipuswap_dev __rcu *ipuswap_current;
static DEFINE_MUTEX(ipuswap_bind_lock);	/* serializes probe/remove */

static unsigned int live_timeout_ms = 2000;
static unsigned int ping_timeout_ms = 1000;

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
module_param_cb(ping_timeout_ms, &ipuswap_ms_ops, &ping_timeout_ms, 0644);
MODULE_PARM_DESC(ping_timeout_ms,
		 "A diagnostic ping unanswered for this long counts as lost (10..600000, default 1000)");

/*
 * With the on-host agent, runqueue doorbells go to it; CTRL doorbells still
 * go to the IPU firmware, which answers pings and liveness in every mode.
 */
void ipuswap_ring(struct ipuswap_dev *idev, enum ipuswap_vector vec)
{
	if (vec == IPUSWAP_VEC_SCHED &&
	    READ_ONCE(idev->agent) == IPUSWAP_AGENT_ONHOST) {
		ipuswap_onhost_ring(idev, vec);
		return;
	}
	writel((idev->fw_peer_id << IPUSWAP_DOORBELL_PEER_SHIFT) |
	       (vec & IPUSWAP_DOORBELL_VECTOR),
	       idev->regs + IPUSWAP_REG_DOORBELL);
}

void ipuswap_set_host_state(struct ipuswap_dev *idev, u32 state)
{
	/* Earlier window writes are visible before the new state. */
	smp_store_release(&idev->hdr->host_state, state);
	ipuswap_ring(idev, IPUSWAP_VEC_CTRL);
}

static irqreturn_t ipuswap_irq_ctrl(int irq, void *data)
{
	struct ipuswap_dev *idev = data;
	/* Pairs with the firmware's release store of the answer. */
	u64 ack = smp_load_acquire(&idev->hdr->fw_ping_ack);

	atomic64_inc(&idev->irqs[IPUSWAP_VEC_CTRL]);
	wake_up(&idev->ctrl_wq);
	/* A stale answer (to a ping that already timed out) is ignored. */
	spin_lock(&idev->ping_irq_lock);
	if (ack == idev->ping_seq && !completion_done(&idev->ping_done)) {
		idev->ping_recv_ns = ktime_get_ns();
		complete(&idev->ping_done);
	}
	spin_unlock(&idev->ping_irq_lock);
	return IRQ_HANDLED;
}

static irqreturn_t ipuswap_irq_sched(int irq, void *data)
{
	struct ipuswap_dev *idev = data;

	atomic64_inc(&idev->irqs[IPUSWAP_VEC_SCHED]);
	return IRQ_HANDLED;
}

/* One round trip: publish a sequence number, ring, wait for the MSI-X. */
static int ipuswap_ping_one(struct ipuswap_dev *idev)
{
	u64 sent, lat, seq, recv;
	long left;

	lockdep_assert_held(&idev->ping_lock);
	/* The IRQ handler matches answers to the request under this lock. */
	spin_lock_irq(&idev->ping_irq_lock);
	reinit_completion(&idev->ping_done);
	seq = ++idev->ping_seq;
	spin_unlock_irq(&idev->ping_irq_lock);
	sent = ktime_get_ns();
	/* Pairs with the firmware's acquire load of the request. */
	smp_store_release(&idev->hdr->host_ping_seq, seq);
	ipuswap_ring(idev, IPUSWAP_VEC_CTRL);

	left = wait_for_completion_interruptible_timeout(&idev->ping_done,
							 msecs_to_jiffies(ping_timeout_ms));
	if (left < 0)
		return left;
	spin_lock_irq(&idev->ping_irq_lock);
	recv = idev->ping_recv_ns;
	spin_unlock_irq(&idev->ping_irq_lock);
	if (!left || recv < sent) {
		idev->ping_lost++;
		return -ETIMEDOUT;
	}
	lat = recv - sent;
	idev->ping_count++;
	idev->ping_last_ns = lat;
	idev->ping_samples[idev->ping_next_sample] = lat;
	idev->ping_next_sample = (idev->ping_next_sample + 1) % IPUSWAP_PING_SAMPLES;
	if (idev->ping_nr_samples < IPUSWAP_PING_SAMPLES)
		idev->ping_nr_samples++;
	return 0;
}

static ssize_t ipuswap_ping_write(struct file *file, const char __user *buf,
				  size_t len, loff_t *ppos)
{
	struct ipuswap_dev *idev = file->private_data;
	unsigned int n, i, lost = 0, in_a_row = 0;
	int ret;

	ret = kstrtouint_from_user(buf, len, 0, &n);
	if (ret)
		return ret;
	if (n < 1 || n > IPUSWAP_PING_MAX)
		return -EINVAL;

	if (mutex_lock_interruptible(&idev->ping_lock))
		return -EINTR;
	for (i = 0; i < n; i++) {
		ret = ipuswap_ping_one(idev);
		if (!ret) {
			in_a_row = 0;
			continue;
		}
		if (ret != -ETIMEDOUT)
			break;
		ret = 0;
		lost++;
		/*
		 * A firmware that died mid-batch: report it, don't hold the
		 * caller (and ping_lock, which unbind takes) for hours.
		 */
		if (++in_a_row == IPUSWAP_PING_GIVE_UP)
			break;
	}
	mutex_unlock(&idev->ping_lock);
	if (ret)
		return ret;
	return lost ? -ETIMEDOUT : len;
}

static const struct file_operations ipuswap_ping_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = ipuswap_ping_write,
	.llseek = noop_llseek,
};

/* Compare the firmware's decoding of host word i with ours. */
static bool ipuswap_check_one(struct ipuswap_dev *idev, struct ipuswap_check *chk, u32 i)
{
	struct ipuswap_check_decoded d = chk->fw_decoded[i];
	u64 w = ipuswap_check_sample(i);
	bool home = i % 2 == 0;

	if (READ_ONCE(chk->fw_words[i]) != w)
		return false;
	if (home)
		return d.state == IPUSWAP_HOME_STATE(w) &&
		       d.owner_or_reason == IPUSWAP_HOME_OWNER(w) &&
		       d.loc_or_idx == IPUSWAP_HOME_LOC(w) &&
		       d.version == IPUSWAP_HOME_VER(w) &&
		       d.home_valid == ipuswap_home_valid(w, chk->nr_cpus);
	return d.state == IPUSWAP_CELL_STATE(w) &&
	       d.owner_or_reason == IPUSWAP_CELL_REASON(w) &&
	       d.loc_or_idx == IPUSWAP_CELL_IDX(w) &&
	       d.version == IPUSWAP_CELL_VER(w) &&
	       d.cell_valid == ipuswap_cell_valid(w, chk->nr_tasks);
}

static bool ipuswap_check_answered(struct ipuswap_dev *idev)
{
	/* Pairs with the firmware's release store after its answers. */
	return smp_load_acquire(&idev->hdr->fw_check_ack) == idev->check_seq;
}

static int ipuswap_wirecheck(struct ipuswap_dev *idev)
{
	/* Offsets validated at probe, never re-read from the window. */
	struct ipuswap_check *chk = (void *)idev->hdr + idev->layout.cells_offset;
	struct device *dev = &idev->pdev->dev;
	u32 sizes[8], i, bad = 0;
	long left;

	lockdep_assert_held(&idev->ping_lock);
	/* The check borrows the swap region: no scheduler may attach meanwhile. */
	if (atomic_cmpxchg(&idev->sched_attached, IPUSWAP_REGION_IDLE,
			   IPUSWAP_REGION_CHECK) != IPUSWAP_REGION_IDLE)
		return -EBUSY;
	memset(chk, 0, sizeof(*chk));
	chk->nr_words = IPUSWAP_CHECK_WORDS;
	chk->nr_cpus = idev->layout.nr_cpus;
	chk->nr_tasks = idev->layout.nr_tasks;
	for (i = 0; i < IPUSWAP_CHECK_WORDS; i++)
		chk->host_words[i] = ipuswap_check_sample(i);
	idev->check_seq++;
	/* The request is visible only after the samples are. */
	smp_store_release(&idev->hdr->host_check_seq, idev->check_seq);
	ipuswap_ring(idev, IPUSWAP_VEC_CTRL);
	left = wait_event_interruptible_timeout(idev->ctrl_wq, ipuswap_check_answered(idev),
						msecs_to_jiffies(ping_timeout_ms));
	if (left <= 0) {
		/*
		 * A late answer may still land here after a scheduler attached;
		 * it is garbage to the swap path, which repairs and counts it.
		 */
		atomic_set(&idev->sched_attached, IPUSWAP_REGION_IDLE);
		return left ? left : -ETIMEDOUT;
	}

	for (i = 0; i < IPUSWAP_CHECK_WORDS; i++) {
		if (!ipuswap_check_one(idev, chk, i)) {
			if (!bad)
				dev_err(dev, "wirecheck: word %u (%#llx) decoded differently by the firmware\n",
					i, ipuswap_check_sample(i));
			bad++;
		}
	}
	if (memcmp(&chk->fw_layout, &idev->layout, sizeof(idev->layout))) {
		dev_err(dev, "wirecheck: firmware derives a different swap-region layout\n");
		bad++;
	}
	ipuswap_check_sizes(sizes);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (chk->fw_sizes[i] != sizes[i]) {
			dev_err(dev, "wirecheck: geometry %u is %u in the firmware, %u here\n",
				i, chk->fw_sizes[i], sizes[i]);
			bad++;
		}
	}
	idev->check_words = IPUSWAP_CHECK_WORDS;
	idev->check_mismatches = bad;
	memset(chk, 0, sizeof(*chk));
	atomic_set(&idev->sched_attached, IPUSWAP_REGION_IDLE);
	return bad ? -EPROTO : 0;
}

static ssize_t ipuswap_wirecheck_write(struct file *file, const char __user *buf,
				       size_t len, loff_t *ppos)
{
	struct ipuswap_dev *idev = file->private_data;
	unsigned int one;
	int ret;

	ret = kstrtouint_from_user(buf, len, 0, &one);
	if (ret)
		return ret;
	if (one != 1)
		return -EINVAL;
	if (mutex_lock_interruptible(&idev->ping_lock))
		return -EINTR;
	ret = ipuswap_wirecheck(idev);
	mutex_unlock(&idev->ping_lock);
	return ret ? ret : len;
}

static const struct file_operations ipuswap_wirecheck_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = ipuswap_wirecheck_write,
	.llseek = noop_llseek,
};

static int ipuswap_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static const char * const ipuswap_stat_names[IPUSWAP_NR_SCHED_STATS] = {
	[IPUSWAP_ST_CREATE] = "task_create",
	[IPUSWAP_ST_DESTROY] = "task_destroy",
	[IPUSWAP_ST_ENQUEUE] = "enqueues",
	[IPUSWAP_ST_TAKE] = "dispatch_taken",
	[IPUSWAP_ST_SELF] = "dispatch_self",
	[IPUSWAP_ST_STOP] = "stops",
	[IPUSWAP_ST_RETRACT] = "retracts",
};

static const char * const ipuswap_fito_stat_names[IPUSWAP_NR_FITO_STATS] = {
	[IPUSWAP_FS_EVENTS] = "events",
	[IPUSWAP_FS_DOORBELLS] = "doorbells",
	[IPUSWAP_FS_RING_FULL] = "ring_full",
	[IPUSWAP_FS_COMMIT] = "commit",
	[IPUSWAP_FS_STALE_ENFORCED] = "stale_enforced",
	[IPUSWAP_FS_STALE_DROPPED] = "stale_dropped",
	[IPUSWAP_FS_STALE_REFUSED] = "stale_refused",
	[IPUSWAP_FS_ABORTED] = "aborted",
	[IPUSWAP_FS_REQUESTS] = "requests",
	[IPUSWAP_FS_WAITS] = "waits",
	[IPUSWAP_FS_WAIT_NS] = "wait_ns",
	[IPUSWAP_FS_TIMEOUTS] = "timeouts",
	[IPUSWAP_FS_SELF] = "self",
};

static int ipuswap_info_show(struct seq_file *m, void *unused)
{
	struct ipuswap_dev *idev = m->private;
	struct ipuswap_window_hdr *hdr = idev->hdr;
	u64 p50 = 0, p99 = 0, *sorted = NULL;
	u32 n, i;

	if (mutex_lock_interruptible(&idev->ping_lock))
		return -EINTR;
	n = idev->ping_nr_samples;
	if (n) {
		sorted = kmemdup(idev->ping_samples, n * sizeof(u64), GFP_KERNEL);
		if (sorted) {
			sort(sorted, n, sizeof(u64), ipuswap_cmp_u64, NULL);
			p50 = sorted[n / 2];
			p99 = sorted[min(n - 1, n * 99 / 100)];
			kfree(sorted);
		}
	}
	seq_printf(m, "window_size=%llu\n", idev->window_size);
	seq_printf(m, "peer_id=%u\nfw_peer_id=%u\n", idev->peer_id, idev->fw_peer_id);
	seq_printf(m, "fw_generation=%llu\n", READ_ONCE(hdr->fw_generation));
	seq_printf(m, "fw_liveness=%llu\n", READ_ONCE(hdr->fw_liveness));
	seq_printf(m, "fw_tick_ns=%llu\n", READ_ONCE(hdr->fw_tick_ns));
	seq_printf(m, "fw_alive=%d\n", READ_ONCE(idev->fw_alive));
	seq_printf(m, "host_state=%u\n", READ_ONCE(hdr->host_state));
	seq_printf(m, "sched_attached=%d\n", atomic_read(&idev->sched_attached));
	seq_printf(m, "ping_count=%llu\nping_lost=%llu\n", idev->ping_count,
		   idev->ping_lost);
	seq_printf(m, "ping_last_ns=%llu\nping_samples=%u\n", idev->ping_last_ns, n);
	seq_printf(m, "ping_p50_ns=%llu\nping_p99_ns=%llu\n", p50, p99);
	seq_printf(m, "nr_cpus=%u\nnr_tasks=%u\ntask_stride=%u\n", idev->layout.nr_cpus,
		   idev->layout.nr_tasks, idev->layout.task_stride);
	seq_printf(m, "wirecheck_words=%u\nwirecheck_mismatches=%u\n",
		   idev->check_words, idev->check_mismatches);
	/* The firmware's own count: for stats only, never trusted. */
	seq_printf(m, "fw_decisions=%llu\n", READ_ONCE(hdr->fw_decisions));
	for (i = 0; i < IPUSWAP_NR_SCHED_STATS; i++)
		seq_printf(m, "%s=%llu\n", ipuswap_stat_names[i],
			   ipuswap_sched_sum(idev, IPUSWAP_SK_COUNT, i));
	for (i = IPUSWAP_R_STALE; i < IPUSWAP_NR_FITO_REASONS; i++)
		seq_printf(m, "abort_%s=%llu\n", ipuswap_reason_name(i),
			   ipuswap_sched_sum(idev, IPUSWAP_SK_ABORT, i));
	seq_printf(m, "irqs_ctrl=%lld\nirqs_sched=%lld\n",
		   atomic64_read(&idev->irqs[IPUSWAP_VEC_CTRL]),
		   atomic64_read(&idev->irqs[IPUSWAP_VEC_SCHED]));
	seq_printf(m, "proto=%u\nagent=%u\nfito_flags=%#x\n", READ_ONCE(idev->proto),
		   READ_ONCE(idev->agent), READ_ONCE(idev->fito_flags));
	for (i = 0; i < IPUSWAP_NR_FITO_STATS; i++)
		seq_printf(m, "fito_%s=%llu\n", ipuswap_fito_stat_names[i],
			   ipuswap_sched_sum(idev, IPUSWAP_SK_FITO, i));
	mutex_unlock(&idev->ping_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ipuswap_info);

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

/* The firmware wrote the header; trust none of it until checked. */
static int ipuswap_check_window(struct ipuswap_dev *idev)
{
	struct ipuswap_window_hdr *hdr = idev->hdr;
	struct device *dev = &idev->pdev->dev;
	/* magic is stored last (release): the fields below are complete. */
	u32 magic = smp_load_acquire(&hdr->magic);
	u32 version = READ_ONCE(hdr->version);
	u64 size = READ_ONCE(hdr->size);
	u32 hdr_size = READ_ONCE(hdr->hdr_size);
	u32 nr_vectors = READ_ONCE(hdr->nr_vectors);
	u32 fw_peer = READ_ONCE(hdr->fw_peer_id);
	u64 reg_off = READ_ONCE(hdr->region_offset);
	u64 reg_size = READ_ONCE(hdr->region_size);

	if (magic != IPUSWAP_MAGIC) {
		dev_err(dev, "window refused: bad magic %#x (expected %#x)\n",
			magic, IPUSWAP_MAGIC);
		return -EINVAL;
	}
	if (version != IPUSWAP_WIRE_VERSION) {
		dev_err(dev, "window refused: wire version %u, driver speaks %u\n",
			version, IPUSWAP_WIRE_VERSION);
		return -EINVAL;
	}
	if (size != idev->window_size) {
		dev_err(dev, "window refused: header size %llu != BAR2 size %llu\n",
			size, idev->window_size);
		return -EINVAL;
	}
	if (hdr_size != IPUSWAP_HDR_SIZE) {
		dev_err(dev, "window refused: header size field %u (expected %u)\n",
			hdr_size, IPUSWAP_HDR_SIZE);
		return -EINVAL;
	}
	if (nr_vectors < IPUSWAP_NR_VECTORS ||
	    (int)nr_vectors > pci_msix_vec_count(idev->pdev)) {
		dev_err(dev, "window refused: firmware serves %u vectors, need %u..%d\n",
			nr_vectors, IPUSWAP_NR_VECTORS, pci_msix_vec_count(idev->pdev));
		return -EINVAL;
	}
	if (fw_peer > IPUSWAP_PEER_MAX || fw_peer == idev->peer_id) {
		dev_err(dev, "window refused: firmware peer id %u invalid (ours is %u)\n",
			fw_peer, idev->peer_id);
		return -EINVAL;
	}
	/* Misaligned words would make every CAS a split lock (or a fault). */
	if (reg_off < IPUSWAP_HDR_SIZE || reg_off > size || reg_size > size - reg_off ||
	    !IS_ALIGNED(reg_off, IPUSWAP_CACHELINE)) {
		dev_err(dev, "window refused: swap region [%llu, +%llu) misaligned or outside [%u, %llu)\n",
			reg_off, reg_size, IPUSWAP_HDR_SIZE, size);
		return -EINVAL;
	}
	if (ipuswap_layout(reg_off, reg_size, nr_cpu_ids, &idev->layout)) {
		dev_err(dev, "window refused: %llu-byte swap region cannot hold %u tasks for %u CPUs\n",
			reg_size, IPUSWAP_MIN_TASKS, nr_cpu_ids);
		return -EINVAL;
	}
	/* Attach switches idev->layout between protocols; keep the swap one. */
	idev->swap_layout = idev->layout;
	idev->region_offset = reg_off;
	idev->region_size = reg_size;
	if (reg_size < sizeof(struct ipuswap_check)) {
		dev_err(dev, "window refused: swap region smaller than the wire check area\n");
		return -EINVAL;
	}
	idev->fw_peer_id = fw_peer;
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

	if (!len || !is_power_of_2(len) || len < IPUSWAP_WINDOW_MIN ||
	    len > IPUSWAP_WINDOW_MAX) {
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
		ret = devm_request_irq(&pdev->dev, pci_irq_vector(pdev, i), handlers[i],
				       0, names[i], idev);
		if (ret)
			return dev_err_probe(&pdev->dev, ret, "cannot request %s\n", names[i]);
	}
	return 0;
}

/*
 * On-host agent: /dev/ipuswap.
 *
 * With IPUSWAP_AGENT_ONHOST the firmware binary runs on a host CPU
 * (ipuswap-fw --transport host). It mmap()s the window through this device
 * and read()s the doorbells the host rang for it since its last read, as a
 * u64 bitmask of vectors (like an eventfd); poll() says when there are some.
 *
 * One open file at a time; a second open() gets -EBUSY. There is one
 * agent, and read() consumes the bits, so two readers would each lose the
 * other's doorbells. A mapping holds its file, so the device stays busy
 * until the last mapping is gone as well.
 *
 * Unbind while the file is open: remove() does not wait for the agent,
 * which might never close the file. It revokes the file instead. The file's
 * state (struct ipuswap_cdev_file) lives as long as the file; every file
 * operation uses its idev only under ipuswap_cdev_rwsem (read), and
 * remove() clears idev under the write side and zaps every user mapping of
 * the window before the window is unmapped. A blocked read() holds the read
 * side, so remove() first clears misc_registered and wakes it. Afterwards
 * read() and mmap() fail with -ENODEV, poll() reports EPOLLHUP | EPOLLERR,
 * and touching an old mapping raises SIGBUS.
 *
 * Mapping: pages are inserted at fault time (vmf_insert_pfn) rather than
 * all at mmap() time (remap_pfn_range or vm_iomap_memory). The mmap()
 * handler runs before the new VMA is linked into the file's mapping, where
 * unmap_mapping_range() finds it, so pages inserted there could survive a
 * concurrent remove(); a fault runs only on a linked VMA and checks idev
 * under the lock. Cache attribute: the driver maps BAR2 write-back
 * (devm_memremap(MEMREMAP_WB), which on x86 reserves the range as WB in
 * PAT). vmf_insert_pfn() takes the cache mode of a PFN from that
 * reservation (track_pfn_insert()), so the user mapping is write-back too
 * and never a conflicting alias. Like io_remap_pfn_range(), the protection
 * is marked decrypted, as the kernel's mapping of a device BAR is.
 *
 * Wake-ups: ipuswap_onhost_ring() may run under a runqueue lock, so it only
 * sets a bit and queues onhost_work, whose handler wakes the reader. They
 * wait on ipuswap_cdev_wq, which belongs to the module rather than to idev:
 * poll() and epoll leave their entries on the queue after ->poll() returns,
 * possibly until the file is closed, so the queue must outlive every open
 * file (each holds a module reference); idev does not.
 */
struct ipuswap_cdev_file {
	struct file *file;
	struct ipuswap_dev *idev;	/* NULL once the device was unbound */
};

static DECLARE_RWSEM(ipuswap_cdev_rwsem);	/* ipuswap_cdev_file.idev */
static DEFINE_MUTEX(ipuswap_cdev_lock);		/* ipuswap_cdev_owner */
static struct ipuswap_cdev_file *ipuswap_cdev_owner;	/* the open file */
static DECLARE_WAIT_QUEUE_HEAD(ipuswap_cdev_wq);

void ipuswap_onhost_ring(struct ipuswap_dev *idev, enum ipuswap_vector vec)
{
	BUILD_BUG_ON(IPUSWAP_NR_VECTORS > 64);
	/* The agent reads the window only after it saw the bit. */
	smp_mb__before_atomic();
	atomic64_or(BIT_ULL(vec), &idev->onhost_pending);
	/* No wake-up here: it can take a runqueue lock we may already hold. */
	irq_work_queue(&idev->onhost_work);
}

static void ipuswap_onhost_work(struct irq_work *work)
{
	wake_up_interruptible_poll(&ipuswap_cdev_wq, EPOLLIN | EPOLLRDNORM);
}

/* Take the pending bits; true if there were some or the device is going. */
static bool ipuswap_cdev_take(struct ipuswap_dev *idev, u64 *bits)
{
	*bits = 0;
	if (atomic64_read(&idev->onhost_pending))
		*bits = atomic64_xchg(&idev->onhost_pending, 0);
	return *bits || !READ_ONCE(idev->misc_registered);
}

static ssize_t ipuswap_cdev_read(struct file *file, char __user *buf,
				 size_t len, loff_t *ppos)
{
	struct ipuswap_cdev_file *f = file->private_data;
	struct ipuswap_dev *idev;
	u64 bits = 0;
	int ret;

	if (len != sizeof(bits))
		return -EINVAL;
	down_read(&ipuswap_cdev_rwsem);
	idev = f->idev;
	if (!idev)
		ret = -ENODEV;
	else if (file->f_flags & O_NONBLOCK)
		ret = ipuswap_cdev_take(idev, &bits) ? 0 : -EAGAIN;
	else
		ret = wait_event_interruptible(ipuswap_cdev_wq,
					       ipuswap_cdev_take(idev, &bits));
	if (!ret && !bits)
		ret = -ENODEV;		/* woken because the device is going */
	up_read(&ipuswap_cdev_rwsem);
	if (ret)
		return ret;

	/* Not under the lock: the copy may fault, and faults take it. */
	if (copy_to_user(buf, &bits, sizeof(bits))) {
		/* Give the doorbells back rather than lose them. */
		down_read(&ipuswap_cdev_rwsem);
		if (f->idev)
			atomic64_or(bits, &f->idev->onhost_pending);
		up_read(&ipuswap_cdev_rwsem);
		return -EFAULT;
	}
	return sizeof(bits);
}

static __poll_t ipuswap_cdev_poll(struct file *file, poll_table *wait)
{
	struct ipuswap_cdev_file *f = file->private_data;
	__poll_t mask = EPOLLERR | EPOLLHUP;
	struct ipuswap_dev *idev;

	poll_wait(file, &ipuswap_cdev_wq, wait);
	down_read(&ipuswap_cdev_rwsem);
	idev = f->idev;
	if (idev && READ_ONCE(idev->misc_registered))
		mask = atomic64_read(&idev->onhost_pending) ? EPOLLIN | EPOLLRDNORM : 0;
	up_read(&ipuswap_cdev_rwsem);
	return mask;
}

static vm_fault_t ipuswap_cdev_fault(struct vm_fault *vmf)
{
	struct ipuswap_cdev_file *f = vmf->vma->vm_file->private_data;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	struct ipuswap_dev *idev;

	down_read(&ipuswap_cdev_rwsem);
	idev = f->idev;
	if (idev && vmf->pgoff < idev->window_size >> PAGE_SHIFT)
		ret = vmf_insert_pfn(vmf->vma, vmf->address,
				     PHYS_PFN(pci_resource_start(idev->pdev,
								 IPUSWAP_BAR_WINDOW)) +
				     vmf->pgoff);
	up_read(&ipuswap_cdev_rwsem);
	return ret;
}

static const struct vm_operations_struct ipuswap_cdev_vm_ops = {
	.fault = ipuswap_cdev_fault,
};

static int ipuswap_cdev_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct ipuswap_cdev_file *f = file->private_data;
	int ret = 0;

	/* Shared only: a private copy-on-write window would be meaningless. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	down_read(&ipuswap_cdev_rwsem);
	if (!f->idev)
		ret = -ENODEV;
	else if (vma->vm_pgoff ||
		 vma_pages(vma) > f->idev->window_size >> PAGE_SHIFT)
		ret = -EINVAL;
	up_read(&ipuswap_cdev_rwsem);
	if (ret)
		return ret;
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = pgprot_decrypted(vma->vm_page_prot);
	vma->vm_ops = &ipuswap_cdev_vm_ops;
	return 0;
}

static int ipuswap_cdev_open(struct inode *inode, struct file *file)
{
	/* misc_open() left our miscdevice here; remove() waits for us. */
	struct ipuswap_dev *idev = container_of(file->private_data,
						struct ipuswap_dev, misc);
	struct ipuswap_cdev_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_lock(&ipuswap_cdev_lock);
	if (ipuswap_cdev_owner) {
		mutex_unlock(&ipuswap_cdev_lock);
		kfree(f);
		return -EBUSY;
	}
	f->file = file;
	f->idev = idev;
	ipuswap_cdev_owner = f;
	mutex_unlock(&ipuswap_cdev_lock);
	file->private_data = f;
	return stream_open(inode, file);
}

static int ipuswap_cdev_release(struct inode *inode, struct file *file)
{
	struct ipuswap_cdev_file *f = file->private_data;

	mutex_lock(&ipuswap_cdev_lock);
	if (ipuswap_cdev_owner == f)
		ipuswap_cdev_owner = NULL;
	mutex_unlock(&ipuswap_cdev_lock);
	kfree(f);
	return 0;
}

static const struct file_operations ipuswap_cdev_fops = {
	.owner = THIS_MODULE,
	.open = ipuswap_cdev_open,
	.release = ipuswap_cdev_release,
	.read = ipuswap_cdev_read,
	.poll = ipuswap_cdev_poll,
	.mmap = ipuswap_cdev_mmap,
};

static int ipuswap_cdev_register(struct ipuswap_dev *idev)
{
	int ret;

	idev->misc.minor = MISC_DYNAMIC_MINOR;
	idev->misc.name = IPUSWAP_DRV_NAME;
	idev->misc.fops = &ipuswap_cdev_fops;
	idev->misc.parent = &idev->pdev->dev;
	idev->misc.mode = 0600;
	/* Set first: an open() may come before misc_register() returns. */
	idev->misc_registered = true;
	ret = misc_register(&idev->misc);
	if (ret)
		idev->misc_registered = false;
	return ret;
}

/* Revoke the open file, if any (see "On-host agent" above). */
static void ipuswap_cdev_remove(struct ipuswap_dev *idev)
{
	struct ipuswap_cdev_file *f;

	if (!idev->misc_registered)
		return;
	misc_deregister(&idev->misc);		/* no open() runs or starts */
	WRITE_ONCE(idev->misc_registered, false);
	wake_up_all(&ipuswap_cdev_wq);		/* blocked read() lets go */
	down_write(&ipuswap_cdev_rwsem);
	mutex_lock(&ipuswap_cdev_lock);
	f = ipuswap_cdev_owner;
	ipuswap_cdev_owner = NULL;
	if (f) {
		f->idev = NULL;
		/* Every mapping of the device holds this (the only) file. */
		unmap_mapping_range(f->file->f_mapping, 0, 0, 1);
	}
	mutex_unlock(&ipuswap_cdev_lock);
	up_write(&ipuswap_cdev_rwsem);
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
	init_irq_work(&idev->onhost_work, ipuswap_onhost_work);

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
		return dev_err_probe(&pdev->dev, ret, "cannot register /dev/%s\n",
				     IPUSWAP_DRV_NAME);
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
	idev->debugfs = debugfs_create_dir(IPUSWAP_DRV_NAME, NULL);
	debugfs_create_file("info", 0444, idev->debugfs, idev, &ipuswap_info_fops);
	debugfs_create_file("ping", 0200, idev->debugfs, idev, &ipuswap_ping_fops);
	debugfs_create_file("wirecheck", 0200, idev->debugfs, idev, &ipuswap_wirecheck_fops);
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
	/* ... and so does a wake-up they queued for the on-host agent. */
	irq_work_sync(&idev->onhost_work);
	debugfs_remove_recursive(idev->debugfs);
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

static int __init ipuswap_init(void)
{
	int ret;

	ret = ipuswap_kfuncs_register();
	if (ret) {
		pr_err("cannot register kfuncs (%d); is module BTF missing?\n", ret);
		return ret;
	}
	return pci_register_driver(&ipuswap_driver);
}

static void __exit ipuswap_exit(void)
{
	pci_unregister_driver(&ipuswap_driver);
}

module_init(ipuswap_init);
module_exit(ipuswap_exit);

MODULE_DESCRIPTION("ipuswap: sched_ext policy offload to an IPU through bilateral swaps");
MODULE_AUTHOR("ipuswap developers");
MODULE_LICENSE("GPL");
