// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Latency histograms: exact to the nanosecond below 1024 ns (where the
 * host transitions live), then 16 buckets per power of two (6% wide), so a
 * percentile costs no sorting and a sample costs no allocation.
 */
#include "twin.h"

static unsigned int bucket(uint64_t v)
{
	unsigned int e, i;

	if (v < HIST_LIN)
		return (unsigned int)v;
	e = 63 - (unsigned int)__builtin_clzll(v);	/* >= 10 */
	i = HIST_LIN + (e - 10) * HIST_SUB + (unsigned int)((v >> (e - 4)) & 15);
	return i < HIST_NB ? i : HIST_NB - 1;
}

/* The smallest value that falls into bucket i. */
static uint64_t bucket_low(unsigned int i)
{
	unsigned int e, sub;

	if (i < HIST_LIN)
		return i;
	e = 10 + (i - HIST_LIN) / HIST_SUB;
	sub = (i - HIST_LIN) % HIST_SUB;
	return (uint64_t)(16 + sub) << (e - 4);
}

void hist_add(struct hist *h, uint64_t v)
{
	h->b[bucket(v)]++;
	h->n++;
	if (v > h->max)
		h->max = v;
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	unsigned int i;

	for (i = 0; i < HIST_NB; i++)
		dst->b[i] += src->b[i];
	dst->n += src->n;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t hist_pct(const struct hist *h, double q)
{
	uint64_t rank, seen = 0;
	unsigned int i;

	if (!h->n)
		return 0;
	rank = (uint64_t)(q * (double)h->n);
	if (rank >= h->n)
		rank = h->n - 1;
	for (i = 0; i < HIST_NB; i++) {
		seen += h->b[i];
		if (seen > rank)
			return bucket_low(i);
	}
	return h->max;
}
