/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfuncs exported by ipuswap.ko for BPF_PROG_TYPE_STRUCT_OPS programs.
 *
 * They are strong (not __weak) on purpose: libbpf resolves them from the
 * module's BTF (/sys/kernel/btf/ipuswap) at load time, so the scheduler
 * cannot load at all unless the module is loaded.
 */
#ifndef IPUSWAP_KFUNCS_BPF_H
#define IPUSWAP_KFUNCS_BPF_H

/* 0 if an IPU window is bound and valid, else -ENODEV; call from ops.init */
s32 ipuswap_attach(void) __ksym;
/* undo a successful ipuswap_attach(); call from ops.exit */
void ipuswap_detach(void) __ksym;
/* firmware liveness counter (hdr.fw_liveness) */
u64 ipuswap_fw_liveness(void) __ksym;
/* false once fw_liveness has stopped advancing */
bool ipuswap_fw_alive(void) __ksym;

#endif /* IPUSWAP_KFUNCS_BPF_H */
