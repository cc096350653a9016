// SPDX-License-Identifier: GPL-2.0
/*
 * ipuswap: /dev/ipuswap, the on-host agent's way to the window (the
 * interface: ipuswap_dev.h).
 *
 * With IPUSWAP_AGENT_ONHOST the firmware binary runs on a host CPU
 * (ipuswap-fw --transport host). It mmap()s the window through this device
 * and read()s the doorbells the host rang for it since its last read, as a
 * u64 bitmask of vectors (like an eventfd); poll() says when there are some.
 *
 * Who may use it: the window is the host's scheduling state, so open()
 * needs CAP_SYS_ADMIN (-EPERM), whatever the file mode says. And only the
 * agent the host asked for may serve it: while a scheduler is attached
 * with the IPU as its agent, open() and mmap() fail with -EBUSY, a fault
 * raises SIGBUS, and an attach with the IPU's agent revokes the pages of
 * a mapping made before (ipuswap_cdev_sched_attached()), so there is never
 * a second firmware writing the window. Before any attach the on-host
 * agent may open and map it and wait for the host to ask for
 * IPUSWAP_AGENT_ONHOST (scx_ipuswap --mode onhost). The mapping is never
 * executable: VM_MAYEXEC is cleared, so mprotect(PROT_EXEC) fails.
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
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/rwsem.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "ipuswap.h"
#include "ipuswap_dev.h"

struct ipuswap_cdev_file {
	struct file *file;
	struct ipuswap_dev *idev;	/* NULL once the device was unbound */
};

static DECLARE_RWSEM(ipuswap_cdev_rwsem);	/* ipuswap_cdev_file.idev */
static DEFINE_MUTEX(ipuswap_cdev_lock);		/* ipuswap_cdev_owner */
static struct ipuswap_cdev_file *ipuswap_cdev_owner;	/* the open file */
static DECLARE_WAIT_QUEUE_HEAD(ipuswap_cdev_wq);

/* Whether the attached scheduler's agent is the IPU, not the on-host one. */
static bool ipuswap_cdev_ipu_serves(struct ipuswap_dev *idev)
{
	struct ipuswap_sched *s;

	guard(rcu)();
	s = rcu_dereference(idev->sched);
	return s && s->agent != IPUSWAP_AGENT_ONHOST;
}

static int ipuswap_cdev_refuse(struct ipuswap_dev *idev, const char *what)
{
	dev_info_ratelimited(&idev->pdev->dev,
			     "%s of %s refused: the IPU serves the attached scheduler; the on-host agent needs scx_ipuswap --mode onhost\n",
			     what, IPUSWAP_DEV_PATH);
	return -EBUSY;
}

/*
 * A scheduler attached with the IPU's agent: take away the pages of a
 * mapping made before. Taking the rwsem for writing waits for faults that
 * looked before the attach; those after it see the new agent.
 */
static void ipuswap_cdev_revoke(struct work_struct *work)
{
	struct ipuswap_cdev_file *f;

	down_write(&ipuswap_cdev_rwsem);
	mutex_lock(&ipuswap_cdev_lock);
	f = ipuswap_cdev_owner;
	if (f && f->idev && ipuswap_cdev_ipu_serves(f->idev)) {
		unmap_mapping_range(f->file->f_mapping, 0, 0, 1);
		dev_info(&f->idev->pdev->dev,
			 "%s mapping revoked: a scheduler attached with the IPU as its agent\n",
			 IPUSWAP_DEV_PATH);
	}
	mutex_unlock(&ipuswap_cdev_lock);
	up_write(&ipuswap_cdev_rwsem);
}

static DECLARE_WORK(ipuswap_cdev_revoke_work, ipuswap_cdev_revoke);

/* May run under RCU or a runqueue lock: the revocation is deferred. */
void ipuswap_cdev_sched_attached(struct ipuswap_dev *idev)
{
	if (READ_ONCE(ipuswap_cdev_owner) && ipuswap_cdev_ipu_serves(idev))
		schedule_work(&ipuswap_cdev_revoke_work);
}

/* Unbind, once no attach can queue the work any more. */
void ipuswap_cdev_flush(void)
{
	flush_work(&ipuswap_cdev_revoke_work);
}

void ipuswap_onhost_ring(struct ipuswap_dev *idev, enum ipuswap_vector vec)
{
	BUILD_BUG_ON(IPUSWAP_NR_VECTORS > 64);
	/* The agent reads the window only after it saw the bit. */
	smp_mb__before_atomic();
	atomic64_or(IPUSWAP_DEV_BIT(vec), &idev->onhost_pending);
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

	BUILD_BUG_ON(sizeof(bits) != IPUSWAP_DEV_READ_SIZE);
	if (len != IPUSWAP_DEV_READ_SIZE)
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
	if (copy_to_user(buf, &bits, IPUSWAP_DEV_READ_SIZE)) {
		/* Give the doorbells back rather than lose them. */
		down_read(&ipuswap_cdev_rwsem);
		if (f->idev)
			atomic64_or(bits, &f->idev->onhost_pending);
		up_read(&ipuswap_cdev_rwsem);
		return -EFAULT;
	}
	return IPUSWAP_DEV_READ_SIZE;
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
	if (idev && vmf->pgoff < idev->window_size >> PAGE_SHIFT &&
	    !ipuswap_cdev_ipu_serves(idev))
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
	else if (vma->vm_pgoff != IPUSWAP_DEV_MMAP_OFFSET >> PAGE_SHIFT ||
		 vma_pages(vma) > f->idev->window_size >> PAGE_SHIFT)
		ret = -EINVAL;
	else if (ipuswap_cdev_ipu_serves(f->idev))
		ret = ipuswap_cdev_refuse(f->idev, "mmap");
	up_read(&ipuswap_cdev_rwsem);
	if (ret)
		return ret;
	/* Data only: neither now nor after an mprotect(). */
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	vm_flags_clear(vma, VM_MAYEXEC);
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

	/* The file mode alone is not enough to write the host's scheduling state. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (ipuswap_cdev_ipu_serves(idev))
		return ipuswap_cdev_refuse(idev, "open");
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

void ipuswap_cdev_init(struct ipuswap_dev *idev)
{
	init_irq_work(&idev->onhost_work, ipuswap_onhost_work);
}

int ipuswap_cdev_register(struct ipuswap_dev *idev)
{
	int ret;

	idev->misc.minor = MISC_DYNAMIC_MINOR;
	idev->misc.name = IPUSWAP_DEV_NAME;
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

/* Revoke the open file, if any (see the top of this file). */
void ipuswap_cdev_remove(struct ipuswap_dev *idev)
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
