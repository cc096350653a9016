// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness: the header checks every agent runs before it uses a
 * window (ipuswap_hdr_check(), the layouts derived from a header that
 * passed, the firmware's fw_sched_validate()) and the restart test
 * (ipuswap_hdr_restarts()), on headers the fuzzer writes.
 *
 * Invariants: a header that passes puts its region inside the window, and
 * every layout derived from it fits in the region; the firmware accepts no
 * header the shared check refuses; restarts is false for equal headers,
 * symmetric, and true exactly when a field it compares changed.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz.h"
#include "ipuswap_atomic.h"
#include "fw_sched.h"

#define FIELD(f) { offsetof(struct ipuswap_window_hdr, f), \
		   sizeof(((struct ipuswap_window_hdr *)0)->f) }

/* The fields ipuswap_hdr_restarts() compares (protocol.md: what restarts). */
static const struct { size_t off, len; } restart_fields[] = {
	FIELD(magic), FIELD(version), FIELD(size), FIELD(region_offset),
	FIELD(region_size), FIELD(host_state), FIELD(host_nr_cpus), FIELD(host_proto),
	FIELD(host_agent), FIELD(host_fito_flags), FIELD(host_attach_seq),
};

static void check_layout(const struct ipuswap_window_hdr *h, const struct ipuswap_layout *l,
			 __u64 start)
{
	__u64 end = h->region_offset + h->region_size;

	FUZZ_CHECK(l->nr_cpus == h->host_nr_cpus, "layout nr_cpus");
	FUZZ_CHECK(l->nr_tasks >= IPUSWAP_MIN_TASKS && l->nr_tasks <= IPUSWAP_MAX_TASKS,
		   "layout nr_tasks %u", l->nr_tasks);
	FUZZ_CHECK(l->task_stride % IPUSWAP_CACHELINE == 0 &&
		   l->task_stride >= sizeof(struct ipuswap_task) + 8ULL * l->cpu_words &&
		   64ULL * l->cpu_words >= l->nr_cpus, "layout task stride %u", l->task_stride);
	FUZZ_CHECK(l->cells_offset >= start && l->cells_offset % IPUSWAP_CACHELINE == 0,
		   "cells at %#llx", (unsigned long long)l->cells_offset);
	FUZZ_CHECK(l->tasks_offset == l->cells_offset + 64ULL * l->nr_cpus, "tasks offset");
	FUZZ_CHECK(l->tasks_offset + (__u64)l->nr_tasks * l->task_stride <= end,
		   "task table ends past the region (%u tasks of %u B at %#llx, region end %#llx)",
		   l->nr_tasks, l->task_stride, (unsigned long long)l->tasks_offset,
		   (unsigned long long)end);
}

static void check_one(const struct ipuswap_window_hdr *h, __u64 win_size,
		      const struct fw_sched_cfg *cfg)
{
	enum ipuswap_hdr_fault hf = ipuswap_hdr_check(h, win_size);
	struct ipuswap_layout l, fl, sl;
	enum fw_sched_hdr_err fe;
	__u64 rings;

	FUZZ_CHECK(hf < IPUSWAP_NR_HF && ipuswap_hdr_fault_name(hf)[0] != '?', "fault %u", hf);
	fe = fw_sched_validate(h, win_size, cfg, &sl);
	FUZZ_CHECK(fe < FW_HDR_NR_ERRS && fw_sched_hdr_err_str(fe)[0] != '?', "fw error %u", fe);
	/* The firmware reports the shared check's fault first, as the same number. */
	FUZZ_CHECK(hf == IPUSWAP_HF_OK ? fe == FW_HDR_OK || fe >= FW_HDR_NOT_SCHED :
		   (unsigned int)fe == (unsigned int)hf, "hdr_check %u, fw_sched_validate %u",
		   hf, fe);
	if (hf != IPUSWAP_HF_OK)
		return;
	FUZZ_CHECK(h->size == win_size && ipuswap_window_size_ok(h->size), "size passed");
	FUZZ_CHECK(h->region_offset >= IPUSWAP_HDR_SIZE &&
		   h->region_offset % IPUSWAP_CACHELINE == 0 &&
		   h->region_offset + h->region_size <= h->size &&
		   h->region_offset + h->region_size >= h->region_offset, "region passed");
	if (!ipuswap_layout(h->region_offset, h->region_size, h->host_nr_cpus, &l))
		check_layout(h, &l, h->region_offset);
	if (!ipuswap_fito_layout(h->region_offset, h->region_size, h->host_nr_cpus, &rings, &fl)) {
		FUZZ_CHECK(rings == h->region_offset, "rings offset");
		FUZZ_CHECK(fl.cells_offset == rings + (__u64)h->host_nr_cpus *
			   sizeof(struct ipuswap_fito_ring), "FITO cells overlap the rings");
		check_layout(h, &fl, rings);
	}
	if (fe == FW_HDR_OK) {
		__u32 last = cfg->cpu_count ? cfg->cpu_first + cfg->cpu_count : sl.nr_cpus;

		FUZZ_CHECK(h->host_state == IPUSWAP_HOST_SCHED, "engine accepted state %u",
			   h->host_state);
		FUZZ_CHECK(!memcmp(&sl, &l, sizeof(l)), "engine layout differs");
		FUZZ_CHECK(cfg->cpu_first < sl.nr_cpus && last <= sl.nr_cpus &&
			   last > cfg->cpu_first, "engine serves CPUs %u..%u of %u",
			   cfg->cpu_first, last, sl.nr_cpus);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ipuswap_window_hdr a = { 0 }, b, c;
	struct fz f = { data, size };
	struct fw_sched_cfg cfg = { 0 };
	uint8_t sel = fz_u8(&f);
	size_t i, off, len;
	__u64 win_size;
	int want, got;

	/* Mostly a valid header with a few fields overwritten: deeper checks. */
	if (sel & 1) {
		ipuswap_hdr_init(&a, 1ULL << (16 + fz_u8(&f) % 15), IPUSWAP_NR_VECTORS, 0);
		a.magic = IPUSWAP_MAGIC;
		a.host_state = fz_u8(&f) % 4;
		a.host_nr_cpus = fz_u8(&f) & 1 ? fz_u16(&f) : fz_u8(&f) % 9;
		for (i = fz_u8(&f) % 4; i; i--) {
			off = fz_u8(&f) % sizeof(a);
			((uint8_t *)&a)[off] = fz_u8(&f);
		}
	} else {
		for (i = 0; i < sizeof(a); i++)
			((uint8_t *)&a)[i] = fz_u8(&f);
	}
	win_size = sel & 2 ? a.size : 1ULL << (fz_u8(&f) % 40);
	cfg.cpu_first = fz_u8(&f) & 1 ? fz_u32(&f) : 0;
	cfg.cpu_count = fz_u8(&f) & 1 ? fz_u32(&f) : 0;
	check_one(&a, win_size, &cfg);

	/* ipuswap_hdr_read() copies every field it promises, unchanged. */
	ipuswap_hdr_read(&c, &a);
	FUZZ_CHECK(c.magic == a.magic && c.size == a.size && c.region_size == a.region_size &&
		   c.host_attach_seq == a.host_attach_seq && c.host_nr_cpus == a.host_nr_cpus,
		   "hdr_read lost a field");

	/* A later copy with bytes changed: restarts iff a compared field moved. */
	b = a;
	FUZZ_CHECK(!ipuswap_hdr_restarts(&a, &b), "restart on an unchanged header");
	for (i = fz_u8(&f) % 4; i; i--)
		((uint8_t *)&b)[fz_u8(&f) % sizeof(b)] = fz_u8(&f);
	want = 0;
	for (i = 0; i < sizeof(restart_fields) / sizeof(restart_fields[0]); i++) {
		off = restart_fields[i].off;
		len = restart_fields[i].len;
		want |= memcmp((char *)&a + off, (char *)&b + off, len) != 0;
	}
	got = ipuswap_hdr_restarts(&a, &b);
	FUZZ_CHECK(got == want, "restarts %d, want %d", got, want);
	FUZZ_CHECK(got == ipuswap_hdr_restarts(&b, &a), "restarts not symmetric");
	check_one(&b, win_size, &cfg);
	return 0;
}
