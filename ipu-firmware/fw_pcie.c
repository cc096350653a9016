// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fw_pcie: the firmware-side PCIe latency model (see fw_pcie.h for what it
 * models and what it does not).
 *
 * The in-flight set is a small array scanned linearly: it holds at most
 * FW_PCIE_MAX_INFLIGHT entries, and a scan of 64 pointers is cheaper than
 * keeping a heap ordered on every submit.
 */
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include "ipuswap_atomic.h"
#include "fw_pcie.h"

void fw_pcie_cfg_default(struct fw_pcie_cfg *cfg)
{
	cfg->read_ns = FW_PCIE_READ_NS;
	cfg->write_ns = FW_PCIE_WRITE_NS;
	cfg->atomic_ns = FW_PCIE_ATOMIC_NS;
	cfg->bw_gbps = FW_PCIE_BW_GBPS;
	cfg->scale = 1.0;
	cfg->exec_frac = FW_PCIE_EXEC_FRAC;
	cfg->max_inflight = FW_PCIE_INFLIGHT;
	cfg->spin_yield = false;
}

static bool cost_ok(double v)
{
	return isfinite(v) && v >= 0 && v <= FW_PCIE_COST_MAX_NS;
}

const char *fw_pcie_cfg_check(const struct fw_pcie_cfg *c)
{
	if (!cost_ok(c->read_ns) || !cost_ok(c->write_ns) || !cost_ok(c->atomic_ns))
		return "latencies must be finite, 0..1e9 ns";
	if (!isfinite(c->bw_gbps) || c->bw_gbps < 0.001 || c->bw_gbps > 1e4)
		return "bandwidth must be 0.001..10000 GB/s";
	if (!isfinite(c->scale) || c->scale < 0 || c->scale > 1e4)
		return "scale must be 0..10000";
	if (!isfinite(c->exec_frac) || c->exec_frac < 0 || c->exec_frac > 1)
		return "exec_frac must be 0..1";
	if (c->max_inflight < 1 || c->max_inflight > FW_PCIE_MAX_INFLIGHT)
		return "max_inflight must be 1..64";
	if (!cost_ok(c->read_ns * c->scale) || !cost_ok(c->atomic_ns * c->scale) ||
	    !cost_ok(c->write_ns * c->scale))
		return "scaled latencies must stay below 1 s";
	return NULL;
}

void fw_pcie_init(struct fw_pcie *p, const struct fw_pcie_cfg *cfg)
{
	memset(p, 0, sizeof(*p));
	p->cfg = *cfg;
	p->read_ns = cfg->read_ns * cfg->scale;
	p->write_ns = cfg->write_ns * cfg->scale;
	p->atomic_ns = cfg->atomic_ns * cfg->scale;
	/* GB/s is bytes per ns. */
	p->ns_per_byte = cfg->scale / cfg->bw_gbps;
	p->now = fw_pcie_clock();
}

uint64_t fw_pcie_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void fw_pcie_sleep_until(uint64_t t, bool yield)
{
	uint64_t now = fw_pcie_clock();
	struct timespec ts;

	if (now >= t)
		return;
	/* Sleep the bulk of a long wait, spin the tail: nanosleep overshoots. */
	if (t - now > FW_PCIE_SPIN_MAX_NS) {
		uint64_t d = t - now - FW_PCIE_SPIN_MAX_NS;

		ts.tv_sec = (time_t)(d / 1000000000ULL);
		ts.tv_nsec = (long)(d % 1000000000ULL);
		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
	}
	while (fw_pcie_clock() < t)
		if (yield)
			sched_yield();
}

/*
 * When an access issued now takes effect and when its answer is back.
 * Bulk completions (more than a cache line of data) share one return path
 * of bw_gbps, so bulk reads queue behind each other; a word-sized answer
 * occupies it for under a nanosecond and is not queued.
 */
static void plan(struct fw_pcie *p, struct fw_pcie_op *op,
		 enum fw_pcie_kind kind, size_t bytes)
{
	double lat = kind == FW_PCIE_ATOMIC ? p->atomic_ns : p->read_ns;
	double out = lat * p->cfg.exec_frac;
	uint64_t exec = p->now + (uint64_t)out;
	uint64_t data = (uint64_t)((double)bytes * p->ns_per_byte);
	uint64_t start = exec;

	if (bytes > FW_PCIE_SMALL_BYTES) {
		if (start < p->rx_free_ns)
			start = p->rx_free_ns;
		p->rx_free_ns = start + data;
	}
	op->issue_ns = p->now;
	op->exec_ns = exec;
	op->done_ns = start + data + (uint64_t)(lat - out);
	op->executed = false;
	op->exec_order = UINT64_MAX;
	if (kind == FW_PCIE_ATOMIC) {
		p->stats.atomics++;
	} else {
		p->stats.reads++;
		p->stats.read_bytes += bytes;
	}
}

int fw_pcie_submit(struct fw_pcie *p, struct fw_pcie_op *op,
		   enum fw_pcie_kind kind, size_t bytes)
{
	if (fw_pcie_full(p))
		return -EBUSY;
	p->now = fw_pcie_clock();
	plan(p, op, kind, bytes);
	p->inflight[p->nr++] = op;
	if (p->nr > p->stats.max_inflight)
		p->stats.max_inflight = p->nr;
	return 0;
}

static void run(struct fw_pcie *p, struct fw_pcie_op *op)
{
	op->exec(op);
	op->executed = true;
	op->exec_order = ++p->exec_seq;
}

void fw_pcie_progress(struct fw_pcie *p)
{
	struct fw_pcie_op *next;
	unsigned int i;

	p->now = fw_pcie_clock();
	for (;;) {
		next = NULL;
		for (i = 0; i < p->nr; i++) {
			struct fw_pcie_op *op = p->inflight[i];

			if (op->executed || op->exec_ns > p->now)
				continue;
			/* Ties keep submission order (the array is in that order). */
			if (!next || op->exec_ns < next->exec_ns)
				next = op;
		}
		if (!next)
			return;
		run(p, next);
	}
}

struct fw_pcie_op *fw_pcie_reap(struct fw_pcie *p)
{
	struct fw_pcie_op *op;
	unsigned int i, best = 0;
	bool found = false;

	fw_pcie_progress(p);
	for (i = 0; i < p->nr; i++) {
		op = p->inflight[i];
		if (!op->executed || op->done_ns > p->now)
			continue;
		if (!found || op->done_ns < p->inflight[best]->done_ns) {
			best = i;
			found = true;
		}
	}
	if (!found)
		return NULL;
	op = p->inflight[best];
	/* Keep the array in submission order for fair tie-breaking. */
	memmove(&p->inflight[best], &p->inflight[best + 1],
		(p->nr - best - 1) * sizeof(p->inflight[0]));
	p->nr--;
	return op;
}

/* The earliest pending event: a due exec() or a completion. */
static bool next_event(const struct fw_pcie *p, uint64_t *t)
{
	unsigned int i;
	bool any = false;

	*t = UINT64_MAX;
	for (i = 0; i < p->nr; i++) {
		const struct fw_pcie_op *op = p->inflight[i];
		uint64_t e = op->executed ? op->done_ns : op->exec_ns;

		if (!any || e < *t)
			*t = e;
		any = true;
	}
	return any;
}

static void wait_until(struct fw_pcie *p, uint64_t t)
{
	uint64_t now = fw_pcie_clock();

	if (now >= t)
		return;
	p->stats.waits++;
	p->stats.wait_ns += t - now;
	fw_pcie_sleep_until(t, p->cfg.spin_yield);
}

bool fw_pcie_wait(struct fw_pcie *p)
{
	uint64_t t;

	if (!next_event(p, &t))
		return false;
	wait_until(p, t);
	return true;
}

void fw_pcie_quiesce(struct fw_pcie *p)
{
	unsigned int i;
	uint64_t t;

	for (;;) {
		fw_pcie_progress(p);
		t = 0;
		for (i = 0; i < p->nr; i++) {
			const struct fw_pcie_op *op = p->inflight[i];

			if (!op->executed)
				t = op->exec_ns > t ? op->exec_ns : t;
			else if (op->done_ns > p->now)
				t = op->done_ns > t ? op->done_ns : t;
		}
		if (!t)
			return;
		wait_until(p, t);
	}
}

void fw_pcie_abandon(struct fw_pcie *p)
{
	p->nr = 0;
}

/* Let time pass until t while outstanding operations take effect. */
static void advance_to(struct fw_pcie *p, uint64_t t)
{
	uint64_t e;

	for (;;) {
		fw_pcie_progress(p);
		if (p->now >= t)
			return;
		if (!next_event(p, &e) || e > t)
			e = t;
		wait_until(p, e);
	}
}

void fw_pcie_copy_in(void *dst, const void *src, size_t len)
{
	const __u64 *s = src;
	__u64 *d = dst;
	size_t i;

	for (i = 0; i < len / 8; i++)
		d[i] = ipuswap_load_acquire(&s[i]);
}

struct sync_read {
	struct fw_pcie_op op;
	void *dst;
	const void *src;
	size_t len;
};

static void sync_read_exec(struct fw_pcie_op *op)
{
	struct sync_read *r = (struct sync_read *)op;

	fw_pcie_copy_in(r->dst, r->src, r->len);
}

void fw_pcie_read(struct fw_pcie *p, void *dst, const void *src, size_t len)
{
	struct sync_read r = {
		.op.exec = sync_read_exec, .dst = dst, .src = src, .len = len,
	};

	p->now = fw_pcie_clock();
	plan(p, &r.op, FW_PCIE_READ, len);
	advance_to(p, r.op.exec_ns);
	run(p, &r.op);
	advance_to(p, r.op.done_ns);
}

__u64 fw_pcie_read64(struct fw_pcie *p, const __u64 *src)
{
	__u64 v;

	fw_pcie_read(p, &v, src, sizeof(v));
	return v;
}

void fw_pcie_write64(struct fw_pcie *p, __u64 *dst, __u64 v)
{
	ipuswap_store_release(dst, v);
	p->stats.writes++;
	p->now = fw_pcie_clock();
	advance_to(p, p->now + (uint64_t)p->write_ns);
}
