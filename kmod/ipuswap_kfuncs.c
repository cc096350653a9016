// SPDX-License-Identifier: GPL-2.0
/*
 * The kfunc set of ipuswap.ko: attach/detach and the firmware's liveness
 * here, the swap path in ipuswap_sched.c, the FITO baseline in
 * ipuswap_fito.c; registered for sched_ext_ops struct_ops programs only.
 *
 * Attach builds a complete per-attach context (struct ipuswap_sched:
 * layout, protocol, agent, FITO tables), resets the region for it and only
 * then publishes it with rcu_assign_pointer(); every other kfunc reads
 * that context and nothing else of the attach (ipuswap_ctx_get()). Detach
 * unpublishes it first, then restores the host state, and frees it after
 * a grace period, so a kfunc that raced the detach finishes on the
 * context it started with. The swap region's owner (idle, a scheduler, a
 * wire check) is a separate word so that the wire check, which borrows
 * the region, excludes attach and is excluded by it.
 *
 * Attach is sleepable (sched_ext's ops.init is), and waits for a grace
 * period so that nothing of the previous attach still writes the region it
 * resets. The other kfuncs run in sched_ext callbacks, often under a
 * runqueue lock: they never sleep, never wait for the IPU and only touch
 * local memory plus, at attach and detach, one posted doorbell write. With
 * no IPU bound they say so.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>
#include <linux/err.h>

#include "ipuswap.h"

/* The attach copies what it needs of the device: it may sleep in between. */
struct ipuswap_attach_dev {
	struct ipuswap_layout layout;
	u64 region_offset;
	u64 region_size;
};

static bool ipuswap_attach_same(struct ipuswap_dev *idev, const struct ipuswap_attach_dev *d)
{
	return !memcmp(&idev->layout, &d->layout, sizeof(d->layout)) &&
	       idev->region_offset == d->region_offset &&
	       idev->region_size == d->region_size;
}

/* Claim @idev's region for @s, reset it and publish @s; caller holds RCU. */
static int ipuswap_attach_publish(struct ipuswap_dev *idev, struct ipuswap_sched *s)
{
	struct ipuswap_window_hdr *hdr = idev->hdr;

	if (atomic_cmpxchg(&idev->sched_attached, IPUSWAP_REGION_IDLE,
			   IPUSWAP_REGION_SCHED) != IPUSWAP_REGION_IDLE)
		return -EBUSY;
	s->idev = idev;
	s->host.win = hdr;
	ipuswap_sched_reset(s);
	WRITE_ONCE(hdr->host_proto, s->proto);
	WRITE_ONCE(hdr->host_agent, s->agent);
	WRITE_ONCE(hdr->host_fito_flags, s->fito_flags);
	WRITE_ONCE(hdr->host_attach_seq, READ_ONCE(hdr->host_attach_seq) + 1);
	/* Complete before any kfunc can see it. */
	rcu_assign_pointer(idev->sched, s);
	ipuswap_set_host_state(idev, IPUSWAP_HOST_SCHED);
	return 0;
}

__bpf_kfunc_start_defs();

/**
 * ipuswap_attach - claim the bound IPU for a scheduler
 * @proto: enum ipuswap_proto, how the scheduler uses the region
 * @agent: enum ipuswap_agent, who serves it (the IPU, or the firmware
 *	   binary running on the host through /dev/ipuswap)
 * @fito_flags: enum ipuswap_fito_flag bits, PROTO_FITO only
 *
 * Sleepable (KF_SLEEPABLE): the context is allocated here, and the last
 * detach's stragglers are waited for; call it from ops.init.
 *
 * Return: 0; -EINVAL for an unknown protocol, agent or flag; -ENODEV when
 * no IPU with a valid window is bound (or it was unbound meanwhile);
 * -EBUSY when another scheduler (or a wire check) holds it; -ENOSPC when
 * the window cannot hold the FITO rings for this many CPUs; -ENOMEM.
 * Nothing changes on failure.
 */
__bpf_kfunc s32 ipuswap_attach(u32 proto, u32 agent, u32 fito_flags)
{
	struct ipuswap_attach_dev d;
	struct ipuswap_sched *s;
	struct ipuswap_dev *idev;
	int ret = -ENODEV;

	if (proto >= IPUSWAP_NR_PROTOS || agent >= IPUSWAP_NR_AGENTS ||
	    (fito_flags & ~IPUSWAP_FITO_ALL) ||
	    (proto != IPUSWAP_PROTO_FITO && fito_flags))
		return -EINVAL;
	scoped_guard(rcu) {
		idev = rcu_dereference(ipuswap_current);
		if (!idev)
			return -ENODEV;
		d.layout = idev->layout;
		d.region_offset = idev->region_offset;
		d.region_size = idev->region_size;
	}
	s = ipuswap_sched_new(&d.layout, d.region_offset, d.region_size, proto, agent,
			      fito_flags);
	if (IS_ERR(s))
		return PTR_ERR(s);
	/*
	 * A kfunc that raced the last detach may still be writing the region
	 * through the old context; let it finish before the reset below.
	 */
	synchronize_rcu();
	scoped_guard(rcu) {
		/* Sized for the device we looked at: still the bound one? */
		idev = rcu_dereference(ipuswap_current);
		if (idev && ipuswap_attach_same(idev, &d))
			ret = ipuswap_attach_publish(idev, s);
	}
	if (ret)
		ipuswap_sched_delete(s);
	return ret;
}

static void ipuswap_sched_delete_rcu(struct rcu_head *rcu)
{
	ipuswap_sched_delete(container_of(rcu, struct ipuswap_sched, rcu));
}

/**
 * ipuswap_detach - release the IPU claimed by ipuswap_attach()
 *
 * Kfuncs already running on the old context finish on it; it is freed
 * after a grace period.
 */
__bpf_kfunc void ipuswap_detach(void)
{
	struct ipuswap_dev *idev;
	struct ipuswap_sched *s;

	guard(rcu)();
	idev = rcu_dereference(ipuswap_current);
	if (!idev)
		return;
	/* Unpublish first; the device's unbind may race us for it. */
	s = unrcu_pointer(xchg(&idev->sched, RCU_INITIALIZER(NULL)));
	if (!s)
		return;
	ipuswap_set_host_state(idev, IPUSWAP_HOST_BOUND);
	atomic_set_release(&idev->sched_attached, IPUSWAP_REGION_IDLE);
	call_rcu(&s->rcu, ipuswap_sched_delete_rcu);
}

/**
 * ipuswap_fw_liveness - the firmware's liveness counter
 *
 * Return: hdr.fw_liveness, 0 without an IPU.
 */
__bpf_kfunc u64 ipuswap_fw_liveness(void)
{
	struct ipuswap_dev *idev;

	guard(rcu)();
	idev = rcu_dereference(ipuswap_current);
	return idev ? READ_ONCE(idev->hdr->fw_liveness) : 0;
}

/**
 * ipuswap_fw_alive - whether the firmware's liveness counter still advances
 *
 * Return: true while it advances (the module's liveness watch), false
 * without an IPU.
 */
__bpf_kfunc bool ipuswap_fw_alive(void)
{
	struct ipuswap_dev *idev;

	guard(rcu)();
	idev = rcu_dereference(ipuswap_current);
	return idev && READ_ONCE(idev->fw_alive);
}

__bpf_kfunc_end_defs();

/*
 * Unbind: free a context still published (no kfunc can reach @idev any
 * more, remove() waited for a grace period), and wait for those a detach
 * queued, which must not outlive the module.
 */
void ipuswap_detach_unbound(struct ipuswap_dev *idev)
{
	struct ipuswap_sched *s = unrcu_pointer(xchg(&idev->sched, RCU_INITIALIZER(NULL)));

	if (s)
		ipuswap_sched_delete(s);
	rcu_barrier();
}

BTF_KFUNCS_START(ipuswap_kfunc_ids)
BTF_ID_FLAGS(func, ipuswap_attach, KF_SLEEPABLE)
BTF_ID_FLAGS(func, ipuswap_detach)
BTF_ID_FLAGS(func, ipuswap_fw_liveness)
BTF_ID_FLAGS(func, ipuswap_fw_alive)
/* The swap path, ipuswap_sched.c: one set per module and hook. */
BTF_ID_FLAGS(func, ipuswap_task_create, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ipuswap_task_destroy)
BTF_ID_FLAGS(func, ipuswap_task_enqueue)
BTF_ID_FLAGS(func, ipuswap_cell_peek)
BTF_ID_FLAGS(func, ipuswap_task_take)
BTF_ID_FLAGS(func, ipuswap_task_self_serve)
BTF_ID_FLAGS(func, ipuswap_task_proposed_cpu)
BTF_ID_FLAGS(func, ipuswap_task_stop)
BTF_ID_FLAGS(func, ipuswap_task_retract)
BTF_ID_FLAGS(func, ipuswap_task_update, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ipuswap_task_word)
BTF_ID_FLAGS(func, ipuswap_task_offered)
BTF_ID_FLAGS(func, ipuswap_cell_word)
/* The FITO baseline, ipuswap_fito.c. */
BTF_ID_FLAGS(func, ipuswap_fito_enqueue, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ipuswap_fito_dequeue)
BTF_ID_FLAGS(func, ipuswap_fito_update, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ipuswap_fito_self_serve)
BTF_ID_FLAGS(func, ipuswap_fito_txn_peek)
BTF_ID_FLAGS(func, ipuswap_fito_request)
BTF_ID_FLAGS(func, ipuswap_fito_commit)
BTF_KFUNCS_END(ipuswap_kfunc_ids)

/* vmlinux's BTF id of struct sched_ext_ops, resolved at build time. */
BTF_ID_LIST_SINGLE(ipuswap_scx_ops_btf_id, struct, sched_ext_ops)

/*
 * Only a sched_ext scheduler may call these. Registration is per program
 * type, and BPF_PROG_TYPE_STRUCT_OPS covers every struct_ops (TCP
 * congestion control, HID, test modules...): without the filter any of
 * them could attach to the IPU, or move task words from a context that
 * holds no runqueue lock. A struct_ops program's attach_btf_id is the id
 * of the struct it implements; a struct_ops a module defines has an id
 * above every vmlinux id, so equality names sched_ext_ops exactly. The
 * verifier then refuses the call: "calling kernel function ... is not
 * allowed".
 */
static int ipuswap_kfunc_filter(const struct bpf_prog *prog, u32 kfunc_id)
{
	if (!btf_id_set8_contains(&ipuswap_kfunc_ids, kfunc_id))
		return 0;
	if (prog->type != BPF_PROG_TYPE_STRUCT_OPS || !ipuswap_scx_ops_btf_id[0] ||
	    prog->aux->attach_btf_id != ipuswap_scx_ops_btf_id[0])
		return -EACCES;
	return 0;
}

static const struct btf_kfunc_id_set ipuswap_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &ipuswap_kfunc_ids,
	.filter = ipuswap_kfunc_filter,
};

int ipuswap_kfuncs_register(void)
{
	/* Without module BTF the scheduler could not link against us. */
	if (!IS_ENABLED(CONFIG_DEBUG_INFO_BTF_MODULES)) {
		pr_err("ipuswap: kernel lacks CONFIG_DEBUG_INFO_BTF_MODULES, kfuncs unusable\n");
		return -ENOENT;
	}
	return register_btf_kfunc_id_set(BPF_PROG_TYPE_STRUCT_OPS, &ipuswap_kfunc_set);
}
