// SPDX-License-Identifier: GPL-2.0
/*
 * ipuswap: diagnostics in debugfs, /sys/kernel/debug/ipuswap/:
 *   info       key=value lines: window, firmware liveness, ping statistics,
 *              the swap and FITO counters
 *   ping       write N to run N ping round trips (doorbell out, MSI-X back)
 *   wirecheck  write 1: host and firmware cross-check their builds of the
 *              wire header (encode and decode every kind of word)
 * Every exchange with the firmware runs under idev->ping_lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "ipuswap.h"

#define IPUSWAP_PING_MAX		100000
/* A batch gives up after this many unanswered pings in a row. */
#define IPUSWAP_PING_GIVE_UP		3

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
							 msecs_to_jiffies(ipuswap_ping_timeout_ms));
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

/*
 * Compare the firmware's decoding of host word i with ours. The firmware may
 * still be writing (a late or hostile answer): each field is read once and
 * only what was read is compared. Validity is judged for the CPU and task
 * counts the host asked about, not for what the window says now.
 */
static bool ipuswap_check_one(struct ipuswap_dev *idev, struct ipuswap_check *chk, u32 i)
{
	const struct ipuswap_check_decoded *d = &chk->fw_decoded[i];
	u32 version = READ_ONCE(d->version);
	u16 loc_or_idx = READ_ONCE(d->loc_or_idx);
	u8 state = READ_ONCE(d->state);
	u8 owner_or_reason = READ_ONCE(d->owner_or_reason);
	u8 home_valid = READ_ONCE(d->home_valid);
	u8 cell_valid = READ_ONCE(d->cell_valid);
	u64 w = ipuswap_check_sample(i);

	if (READ_ONCE(chk->fw_words[i]) != w)
		return false;
	if (i % 2 == 0)
		return state == IPUSWAP_HOME_STATE(w) &&
		       owner_or_reason == IPUSWAP_HOME_OWNER(w) &&
		       loc_or_idx == IPUSWAP_HOME_LOC(w) &&
		       version == IPUSWAP_HOME_VER(w) &&
		       home_valid == ipuswap_home_valid(w, idev->layout.nr_cpus);
	return state == IPUSWAP_CELL_STATE(w) &&
	       owner_or_reason == IPUSWAP_CELL_REASON(w) &&
	       loc_or_idx == IPUSWAP_CELL_IDX(w) &&
	       version == IPUSWAP_CELL_VER(w) &&
	       cell_valid == ipuswap_cell_valid(w, idev->layout.nr_tasks);
}

/* The layout the firmware reported, each field read once. */
static void ipuswap_check_layout(const struct ipuswap_check *chk, struct ipuswap_layout *l)
{
	l->nr_cpus = READ_ONCE(chk->fw_layout.nr_cpus);
	l->cpu_words = READ_ONCE(chk->fw_layout.cpu_words);
	l->task_stride = READ_ONCE(chk->fw_layout.task_stride);
	l->nr_tasks = READ_ONCE(chk->fw_layout.nr_tasks);
	l->cells_offset = READ_ONCE(chk->fw_layout.cells_offset);
	l->tasks_offset = READ_ONCE(chk->fw_layout.tasks_offset);
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
	struct ipuswap_layout fw_layout;
	u32 sizes[8], fw_size, i, bad = 0;
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
						msecs_to_jiffies(ipuswap_ping_timeout_ms));
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
	ipuswap_check_layout(chk, &fw_layout);
	if (memcmp(&fw_layout, &idev->layout, sizeof(fw_layout))) {
		dev_err(dev, "wirecheck: firmware derives a different swap-region layout\n");
		bad++;
	}
	ipuswap_check_sizes(sizes);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		fw_size = READ_ONCE(chk->fw_sizes[i]);
		if (fw_size != sizes[i]) {
			dev_err(dev, "wirecheck: geometry %u is %u in the firmware, %u here\n",
				i, fw_size, sizes[i]);
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
	[IPUSWAP_FS_WAIT_CAPPED] = "wait_capped",
};

static int ipuswap_info_show(struct seq_file *m, void *unused)
{
	struct ipuswap_dev *idev = m->private;
	struct ipuswap_window_hdr *hdr = idev->hdr;
	u64 p50 = 0, p99 = 0, *sorted = NULL;
	u32 n, i, proto, agent, fito_flags;

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
	/* How often a storm on each vector was masked (ipuswap_pci.c). */
	seq_printf(m, "irqs_ctrl_throttled=%lld\nirqs_sched_throttled=%lld\n",
		   atomic64_read(&idev->irq_limit[IPUSWAP_VEC_CTRL].throttled),
		   atomic64_read(&idev->irq_limit[IPUSWAP_VEC_SCHED].throttled));
	ipuswap_sched_mode(idev, &proto, &agent, &fito_flags);
	seq_printf(m, "proto=%u\nagent=%u\nfito_flags=%#x\n", proto, agent, fito_flags);
	for (i = 0; i < IPUSWAP_NR_FITO_STATS; i++)
		seq_printf(m, "fito_%s=%llu\n", ipuswap_fito_stat_names[i],
			   ipuswap_sched_sum(idev, IPUSWAP_SK_FITO, i));
	mutex_unlock(&idev->ping_lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(ipuswap_info);

void ipuswap_diag_create(struct ipuswap_dev *idev)
{
	idev->debugfs = debugfs_create_dir(IPUSWAP_DRV_NAME, NULL);
	debugfs_create_file("info", 0444, idev->debugfs, idev, &ipuswap_info_fops);
	debugfs_create_file("ping", 0200, idev->debugfs, idev, &ipuswap_ping_fops);
	debugfs_create_file("wirecheck", 0200, idev->debugfs, idev, &ipuswap_wirecheck_fops);
}

void ipuswap_diag_remove(struct ipuswap_dev *idev)
{
	debugfs_remove_recursive(idev->debugfs);
}
