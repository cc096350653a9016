/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ipuswap_atomic.h - single accesses to the window's header words.
 *
 * The one definition of how a header word (__u32 or __u64, one writer,
 * ipuswap_wire.h) is read and published, for the kernel and for C11 code
 * (firmware, twin, tests): acquire loads pair with release stores, relaxed
 * ones are single untorn accesses. Swap words are read and changed only
 * through ipuswap_load()/ipuswap_cas() in ipuswap_swap.h.
 */
#ifndef IPUSWAP_ATOMIC_H
#define IPUSWAP_ATOMIC_H

#include "ipuswap_wire.h"

#ifdef __KERNEL__
#include <linux/atomic.h>
#include <linux/compiler.h>

/* Pairs with the writer's ipuswap_store_release() of the same word. */
#define ipuswap_load_acquire(p)		smp_load_acquire(p)
#define ipuswap_load_relaxed(p)		READ_ONCE(*(p))
/* Earlier writes are visible to whoever acquire-loads the new value. */
#define ipuswap_store_release(p, v)	smp_store_release(p, v)
#define ipuswap_store_relaxed(p, v)	WRITE_ONCE(*(p), v)
/* Orders everything before it against everything after it. */
#define ipuswap_fence()			smp_mb()
#else
/* A cross-process atomic must not fall back to a lock. */
_Static_assert(__GCC_ATOMIC_LLONG_LOCK_FREE == 2 && __GCC_ATOMIC_INT_LOCK_FREE == 2,
	       "window words need lock-free atomics");

#define ipuswap_load_acquire(p)		__atomic_load_n(p, __ATOMIC_ACQUIRE)
#define ipuswap_load_relaxed(p)		__atomic_load_n(p, __ATOMIC_RELAXED)
#define ipuswap_store_release(p, v)	__atomic_store_n(p, v, __ATOMIC_RELEASE)
#define ipuswap_store_relaxed(p, v)	__atomic_store_n(p, v, __ATOMIC_RELAXED)
#define ipuswap_fence()			__atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

/*
 * Copy the identity and host words of a header, each read once, magic
 * first with acquire (it pairs with the writer's release store of magic,
 * so the identity read after it is complete). Check the copy
 * (ipuswap_hdr_check()), never the window.
 */
static inline void ipuswap_hdr_read(struct ipuswap_window_hdr *dst,
				    const struct ipuswap_window_hdr *src)
{
	dst->magic = ipuswap_load_acquire(&src->magic);
	dst->version = ipuswap_load_relaxed(&src->version);
	dst->size = ipuswap_load_relaxed(&src->size);
	dst->hdr_size = ipuswap_load_relaxed(&src->hdr_size);
	dst->nr_vectors = ipuswap_load_relaxed(&src->nr_vectors);
	dst->fw_peer_id = ipuswap_load_relaxed(&src->fw_peer_id);
	dst->region_offset = ipuswap_load_relaxed(&src->region_offset);
	dst->region_size = ipuswap_load_relaxed(&src->region_size);
	dst->host_state = ipuswap_load_acquire(&src->host_state);
	dst->host_nr_cpus = ipuswap_load_relaxed(&src->host_nr_cpus);
	dst->host_proto = ipuswap_load_relaxed(&src->host_proto);
	dst->host_agent = ipuswap_load_relaxed(&src->host_agent);
	dst->host_fito_flags = ipuswap_load_relaxed(&src->host_fito_flags);
	dst->host_attach_seq = ipuswap_load_relaxed(&src->host_attach_seq);
}

#endif /* IPUSWAP_ATOMIC_H */
