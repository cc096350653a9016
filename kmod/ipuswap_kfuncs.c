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
 *
 * Return: 0, or -ENODEV when no IPU with a valid window is bound, or
 * -EBUSY when another scheduler already holds it.
 */
__bpf_kfunc s32 ipuswap_attach(void)
{
	struct ipuswap_dev *idev;
	s32 ret = -ENODEV;

	rcu_read_lock();
	idev = rcu_dereference(ipuswap_current);
	if (idev) {
		ret = -EBUSY;
		if (atomic_cmpxchg(&idev->sched_attached, IPUSWAP_REGION_IDLE,
				   IPUSWAP_REGION_SCHED) == IPUSWAP_REGION_IDLE) {
			ipuswap_sched_reset(idev);
			ipuswap_set_host_state(idev, IPUSWAP_HOST_SCHED);
			ret = 0;
		}
	}
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
				   IPUSWAP_REGION_IDLE) == IPUSWAP_REGION_SCHED)
		ipuswap_set_host_state(idev, IPUSWAP_HOST_BOUND);
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
