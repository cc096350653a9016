// SPDX-License-Identifier: GPL-2.0
/*
 * A struct_ops program that is not a sched_ext scheduler (a TCP congestion
 * control) calling an ipuswap kfunc. ipuswap.ko offers its kfuncs to
 * sched_ext_ops programs only, so the verifier must refuse this object
 * (selftests/ipuswap/kfunc_filter.c loads it and never attaches it).
 */
#include <vmlinux.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char _license[] SEC("license") = "GPL";

bool ipuswap_fw_alive(void) __ksym;

SEC("struct_ops")
__u32 BPF_PROG(ipt_ssthresh, struct sock *sk)
{
	return ipuswap_fw_alive() ? 4 : 2;
}

SEC("struct_ops")
void BPF_PROG(ipt_cong_avoid, struct sock *sk, __u32 ack, __u32 acked)
{
}

SEC("struct_ops")
__u32 BPF_PROG(ipt_undo_cwnd, struct sock *sk)
{
	return 2;
}

SEC(".struct_ops.link")
struct tcp_congestion_ops ipt_cc = {
	.ssthresh = (void *)ipt_ssthresh,
	.cong_avoid = (void *)ipt_cong_avoid,
	.undo_cwnd = (void *)ipt_undo_cwnd,
	.name = "ipt_kfunc_cc",
};
