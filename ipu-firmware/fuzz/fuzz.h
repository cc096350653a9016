/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What the libFuzzer harnesses share: reading the fuzzer's bytes as fields,
 * window words biased towards well-formed lies (random words are almost
 * never well-formed, so they would not reach the hard cases), a window as
 * an attached host leaves it, and the check that ends a run on a broken
 * invariant (abort: libFuzzer keeps the input as a crash).
 */
#ifndef IPUSWAP_FUZZ_H
#define IPUSWAP_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipuswap_wire.h"
#include "fw_pcie.h"

#define FUZZ_WIN	(64u * 1024)	/* the smallest window: memset per run is cheap */

#define FUZZ_CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "fuzz invariant: " __VA_ARGS__); \
			fprintf(stderr, "\n");				\
			abort();					\
		}							\
	} while (0)

static const uint8_t fuzz_zeros[FUZZ_WIN];

/*
 * The harness's own scans of the window are not what is fuzzed: no
 * coverage callbacks in them (they made a step 50 times slower).
 */
#define FUZZ_NOCOV __attribute__((no_sanitize("coverage"), noinline))

/* Does the 256-byte chunk at @off differ between @a and @b? */
__attribute__((no_sanitize("address")))
static inline FUZZ_NOCOV int fuzz_chunk_differs(const void *a, const void *b, size_t off)
{
	const __u64 *x = (const __u64 *)((const char *)a + off);
	const __u64 *y = (const __u64 *)((const char *)b + off);
	__u64 d = 0;
	unsigned int i;

	for (i = 0; i < 32; i++)
		d |= x[i] ^ y[i];
	return d != 0;
}

/*
 * Harnesses compare only the part of the window a layout uses (@span
 * bytes) before and after each step; nobody may write past it, so it is
 * still zero at the end of the run.
 */
static inline FUZZ_NOCOV int fuzz_zero_from(const void *win, size_t span)
{
	size_t off;

	for (off = span; off < FUZZ_WIN; off += 256)
		if (fuzz_chunk_differs(win, fuzz_zeros, off))
			return 0;
	return 1;
}

static inline size_t fuzz_span(size_t span, __u64 end)
{
	end = (end + 255) & ~255ULL;
	if (end > FUZZ_WIN)
		end = FUZZ_WIN;
	return end > span ? end : span;
}

/* The input, consumed front to back; past its end every field reads 0. */
struct fz {
	const uint8_t *p;
	size_t n;
};

static inline int fz_more(const struct fz *f)
{
	return f->n > 0;
}

static inline uint64_t fz_bytes(struct fz *f, unsigned int k)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < k && f->n; i++, f->p++, f->n--)
		v |= (uint64_t)*f->p << (8 * i);
	return v;
}

static inline uint8_t fz_u8(struct fz *f)
{
	return (uint8_t)fz_bytes(f, 1);
}

static inline uint16_t fz_u16(struct fz *f)
{
	return (uint16_t)fz_bytes(f, 2);
}

static inline uint32_t fz_u32(struct fz *f)
{
	return (uint32_t)fz_bytes(f, 4);
}

static inline uint64_t fz_u64(struct fz *f)
{
	return fz_bytes(f, 8);
}

/* A 16-bit location or index: the edges of @n, NONE, or any value. */
static inline uint16_t fz_loc(struct fz *f, uint32_t n)
{
	switch (fz_u8(f) % 6) {
	case 0:
		return 0;
	case 1:
		return n ? (uint16_t)(n - 1) : 0;
	case 2:
		return (uint16_t)n;
	case 3:
		return IPUSWAP_LOC_NONE;
	case 4:
		return (uint16_t)(fz_u8(f) % (n ? n : 1));
	default:
		return fz_u16(f);
	}
}

/* A version near @cur (same, next, rolled back, jumped) or any value. */
static inline uint32_t fz_ver(struct fz *f, uint32_t cur)
{
	switch (fz_u8(f) % 5) {
	case 0:
		return cur;
	case 1:
		return cur + 1;
	case 2:
		return cur - 1;
	case 3:
		return cur + 2;
	default:
		return fz_u32(f);
	}
}

/* A home word a lying firmware could write over @cur; one in 8 is raw. */
static inline __u64 fz_home(struct fz *f, __u64 cur, uint32_t nr_cpus)
{
	uint8_t sel = fz_u8(f);

	if (sel % 8 == 7)
		return fz_u64(f);
	return IPUSWAP_HOME(sel % 6, (sel >> 3) % 4, fz_loc(f, nr_cpus),
			    fz_ver(f, IPUSWAP_HOME_VER(cur)));
}

/* A cell word likewise, naming slots of a table of @nr_tasks. */
static inline __u64 fz_cell(struct fz *f, __u64 cur, uint32_t nr_tasks)
{
	uint8_t sel = fz_u8(f);

	if (sel % 8 == 7)
		return fz_u64(f);
	return IPUSWAP_CELL(sel % 5, (sel >> 3) % 14, fz_loc(f, nr_tasks),
			    fz_ver(f, IPUSWAP_CELL_VER(cur)));
}

/* The window every harness reuses: page aligned, as mmap gives it. */
static inline void *fuzz_window(void)
{
	static void *win;

	if (!win) {
		win = aligned_alloc(4096, FUZZ_WIN);
		if (!win)
			abort();
	}
	memset(win, 0, FUZZ_WIN);
	return win;
}

/* A header as a firmware publishes it and an attached host completes it. */
static inline void fuzz_attached(struct ipuswap_window_hdr *h, __u32 proto, __u32 nr_cpus,
				 __u64 region_size)
{
	ipuswap_hdr_init(h, FUZZ_WIN, IPUSWAP_NR_VECTORS, 0);
	h->magic = IPUSWAP_MAGIC;
	h->host_state = IPUSWAP_HOST_SCHED;
	h->host_nr_cpus = nr_cpus;
	h->host_proto = proto;
	h->host_attach_seq = 1;
	if (region_size && region_size < h->region_size)
		h->region_size = region_size;
}

/* A PCIe model that costs nothing: the engines never wait for the clock. */
static inline void fuzz_pcie(struct fw_pcie *p, unsigned int max_inflight)
{
	struct fw_pcie_cfg cfg;

	fw_pcie_cfg_default(&cfg);
	cfg.scale = 0;
	cfg.max_inflight = max_inflight ? max_inflight : 1;
	fw_pcie_init(p, &cfg);
}

#endif /* IPUSWAP_FUZZ_H */
