/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A window in memory for the engine tests, as a host attaching would leave it. */
#ifndef IPUSWAP_TESTS_WINDOW_H
#define IPUSWAP_TESTS_WINDOW_H

#include <stdlib.h>
#include <string.h>

#include "ipuswap_wire.h"

/* A zeroed, page-aligned window of @size bytes whose header says SCHED. */
static inline struct ipuswap_window_hdr *test_window(__u64 size, __u32 nr_cpus)
{
	struct ipuswap_window_hdr *h = aligned_alloc(4096, size);

	if (!h)
		abort();
	memset(h, 0, size);
	ipuswap_hdr_init(h, size, IPUSWAP_NR_VECTORS, 0);
	h->magic = IPUSWAP_MAGIC;
	h->host_nr_cpus = nr_cpus;
	h->host_state = IPUSWAP_HOST_SCHED;
	return h;
}

#endif /* IPUSWAP_TESTS_WINDOW_H */
