/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ipuswap wire format: the layout of the shared window and the doorbell
 * vectors. This is the one definition used by the kernel module, the BPF
 * scheduler and the IPU firmware; nothing else may restate it.
 *
 * The window is a power-of-two sized region of memory both agents map: in
 * the emulated IPU it is the ivshmem-doorbell BAR2 (a memfd the firmware
 * created), on a real IPU it is host memory the IPU reaches over PCIe.
 *
 * Window layout (offsets in bytes):
 *
 *   0x0000  struct ipuswap_window_hdr       one page
 *             +0x000  identity, written once by the firmware at start
 *             +0x040  firmware-written words (liveness, ping answer)
 *             +0x080  host-written words (ping request, host state)
 *   0x1000  swap region (home words, cells); filled by the swap protocol
 *   ...     up to hdr.size
 *
 * Every field has exactly one writer. Fields written by different agents
 * sit on different cache lines so neither side's writes bounce the other's
 * lines more than the protocol needs.
 */
#ifndef IPUSWAP_WIRE_H
#define IPUSWAP_WIRE_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define IPUSWAP_MAGIC		0x50415753	/* "SWAP" as little-endian bytes */
#define IPUSWAP_WIRE_VERSION	1

#define IPUSWAP_CACHELINE	64
#define IPUSWAP_HDR_SIZE	4096
#define IPUSWAP_WINDOW_MIN	(64ULL * 1024)
#define IPUSWAP_WINDOW_MAX	(1ULL << 30)

/*
 * Doorbell vectors. The same numbers are used in both directions: the host
 * rings firmware vector N, the firmware raises host (MSI-X) vector N. A
 * doorbell only means "look at the window now"; losing one loses nothing.
 */
enum ipuswap_vector {
	IPUSWAP_VEC_CTRL	= 0,	/* ping, host attach/detach notices */
	IPUSWAP_VEC_SCHED	= 1,	/* runqueue work is waiting */
	IPUSWAP_NR_VECTORS	= 2,
};

/* hdr.host_state: what the host driver is doing with the window. */
enum ipuswap_host_state {
	IPUSWAP_HOST_ABSENT	= 0,	/* no driver bound */
	IPUSWAP_HOST_BOUND	= 1,	/* driver bound, no scheduler */
	IPUSWAP_HOST_SCHED	= 2,	/* a scheduler is attached */
};

struct ipuswap_window_hdr {
	/* +0x000: identity; firmware writes once, before setting magic. */
	__u32 magic;
	__u32 version;
	__u64 size;		/* window bytes, a power of two */
	__u32 hdr_size;		/* IPUSWAP_HDR_SIZE */
	__u32 nr_vectors;	/* doorbell vectors the firmware serves */
	__u32 fw_peer_id;	/* doorbell target (ivshmem peer id) */
	__u32 region_offset;	/* swap region start, >= hdr_size */
	__u64 region_size;	/* swap region bytes */
	__u8 pad0[IPUSWAP_CACHELINE - 40];

	/* +0x040: written by the firmware only. */
	__u64 fw_liveness;	/* advanced on every firmware tick */
	__u64 fw_generation;	/* bumped each time the firmware (re)starts */
	__u64 fw_ping_ack;	/* last host_ping_seq answered */
	__u64 fw_tick_ns;	/* period of fw_liveness, nanoseconds */
	__u8 pad1[IPUSWAP_CACHELINE - 32];

	/* +0x080: written by the host only. */
	__u64 host_ping_seq;	/* ping request; answered in fw_ping_ack */
	__u32 host_state;	/* enum ipuswap_host_state */
	__u32 host_nr_cpus;	/* possible CPUs on the host */
	__u8 pad2[IPUSWAP_CACHELINE - 16];
};

_Static_assert(sizeof(struct ipuswap_window_hdr) == 3 * IPUSWAP_CACHELINE,
	       "window header layout changed");
_Static_assert(__builtin_offsetof(struct ipuswap_window_hdr, fw_liveness) ==
	       IPUSWAP_CACHELINE, "firmware line moved");
_Static_assert(__builtin_offsetof(struct ipuswap_window_hdr, host_ping_seq) ==
	       2 * IPUSWAP_CACHELINE, "host line moved");
_Static_assert(sizeof(struct ipuswap_window_hdr) <= IPUSWAP_HDR_SIZE,
	       "header does not fit its page");

#endif /* IPUSWAP_WIRE_H */
