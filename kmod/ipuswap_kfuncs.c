// SPDX-License-Identifier: GPL-2.0
/*
 * kfuncs the scx_ipuswap scheduler calls to attach and watch the IPU (the
 * swap path itself is in ipuswap_sched.c). They run in sched_ext callbacks,
 * often under a runqueue lock: they never sleep, never wait for the IPU and
 * only touch local memory plus, at attach/detach, one posted doorbell write.
 * With no IPU bound they report that instead of failing the caller.
 */
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/btf_ids.h>

#include "ipuswap.h"

__bpf_kfunc_start_defs();

/**
 * ipuswap_attach - claim the bound IPU for a scheduler
 * @proto: enum ipuswap_proto, how the scheduler uses the region
 * @agent: enum ipuswap_agent, who serves it (the IPU, or the firmware
 *	   binary running on the host through /dev/ipuswap)
 * @fito_flags: enum ipuswap_fito_flag bits, PROTO_FITO only
 *
 * Return: 0; -EINVAL for an unknown protocol, agent or flag; -ENODEV when
 * no IPU with a valid window is bound; -EBUSY when another scheduler (or a
 * wire check) holds it; -ENOSPC when the window cannot hold the FITO rings
 * for this many CPUs. Nothing changes on failure.
 */
__bpf_kfunc s32 ipuswap_attach(u32 proto, u32 agent, u32 fito_flags)
{
	struct ipuswap_dev *idev;
	s32 ret = -EINVAL;

	if (proto >= IPUSWAP_NR_PROTOS || agent >= IPUSWAP_NR_AGENTS ||
	    (fito_flags & ~IPUSWAP_FITO_ALL) ||
	    (proto != IPUSWAP_PROTO_FITO && fito_flags))
		return ret;
	rcu_read_lock();
	idev = rcu_dereference(ipuswap_current);
	ret = -ENODEV;
	if (!idev)
		goto out;
	ret = -EBUSY;
	if (atomic_cmpxchg(&idev->sched_attached, IPUSWAP_REGION_IDLE,
			   IPUSWAP_REGION_SCHED) != IPUSWAP_REGION_IDLE)
		goto out;
	/* Kfuncs see REGION_SCHED from here: layout and mode first. */
	idev->layout = idev->swap_layout;
	WRITE_ONCE(idev->proto, proto);
	WRITE_ONCE(idev->agent, agent);
	WRITE_ONCE(idev->fito_flags, fito_flags);
	ret = proto == IPUSWAP_PROTO_FITO ? ipuswap_fito_attach(idev) : 0;
	if (ret) {
		WRITE_ONCE(idev->proto, IPUSWAP_PROTO_SWAP);
		WRITE_ONCE(idev->agent, IPUSWAP_AGENT_IPU);
		atomic_set(&idev->sched_attached, IPUSWAP_REGION_IDLE);
		goto out;
	}
	ipuswap_sched_reset(idev);
	WRITE_ONCE(idev->hdr->host_proto, proto);
	WRITE_ONCE(idev->hdr->host_agent, agent);
	WRITE_ONCE(idev->hdr->host_fito_flags, fito_flags);
	WRITE_ONCE(idev->hdr->host_attach_seq, READ_ONCE(idev->hdr->host_attach_seq) + 1);
	ipuswap_set_host_state(idev, IPUSWAP_HOST_SCHED);
out:
	rcu_read_unlock();
	return ret;
}

/**
 * ipuswap_detach - release the IPU claimed by ipuswap_attach()
 */
__bpf_kfunc void ipuswap_detach(void)
{
	struct ipuswap_dev *idev;

	rcu_read_lock();
	idev = rcu_dereference(ipuswap_current);
	if (idev && atomic_cmpxchg(&idev->sched_attached, IPUSWAP_REGION_SCHED,
				   IPUSWAP_REGION_IDLE) == IPUSWAP_REGION_SCHED) {
		ipuswap_set_host_state(idev, IPUSWAP_HOST_BOUND);
		/* The IPU's doorbells again, and the layout a wire check expects. */
		WRITE_ONCE(idev->agent, IPUSWAP_AGENT_IPU);
		WRITE_ONCE(idev->proto, IPUSWAP_PROTO_SWAP);
		idev->layout = idev->swap_layout;
	}
	rcu_read_unlock();
}

/**
 * ipuswap_fw_liveness - the firmware's liveness counter, 0 without an IPU
 */
__bpf_kfunc u64 ipuswap_fw_liveness(void)
{
	struct ipuswap_dev *idev;
	u64 live = 0;

	rcu_read_lock();
	idev = rcu_dereference(ipuswap_current);
	if (idev)
		live = READ_ONCE(idev->hdr->fw_liveness);
	rcu_read_unlock();
	return live;
}

/**
 * ipuswap_fw_alive - whether the firmware's liveness counter still advances
 */
__bpf_kfunc bool ipuswap_fw_alive(void)
{
	struct ipuswap_dev *idev;
	bool alive = false;

	rcu_read_lock();
	idev = rcu_dereference(ipuswap_current);
	if (idev)
		alive = READ_ONCE(idev->fw_alive);
	rcu_read_unlock();
	return alive;
}

__bpf_kfunc_end_defs();

BTF_KFUNCS_START(ipuswap_kfunc_ids)
BTF_ID_FLAGS(func, ipuswap_attach)
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
/* The FITO baseline, ipuswap_fito.c. */
BTF_ID_FLAGS(func, ipuswap_fito_enqueue, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ipuswap_fito_dequeue)
BTF_ID_FLAGS(func, ipuswap_fito_update, KF_TRUSTED_ARGS)
BTF_ID_FLAGS(func, ipuswap_fito_self_serve)
BTF_ID_FLAGS(func, ipuswap_fito_txn_peek)
BTF_ID_FLAGS(func, ipuswap_fito_request)
BTF_ID_FLAGS(func, ipuswap_fito_commit)
BTF_KFUNCS_END(ipuswap_kfunc_ids)

static const struct btf_kfunc_id_set ipuswap_kfunc_set = {
	.owner = THIS_MODULE,
	.set = &ipuswap_kfunc_ids,
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
