// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The lies of --fault hostile (fw_hostile.c), under ASan + UBSan: every
 * swap word written passes the host's form checks (ipuswap_home_valid(),
 * ipuswap_cell_valid()), nothing is written but what the lie reports, a
 * restore puts every transient lie back, every family of each protocol
 * fires, and one seed on one window replays the same lies.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipuswap_atomic.h"
#include "ipuswap_host.h"
#include "fw_hostile.h"
#include "tap.h"
#include "test_window.h"

#define WIN_SIZE	(128u * 1024)
#define NR_CPUS		4
#define NR_USED		48	/* task slots the "host" has in use */
#define NR_LIES		10000

struct win {
	struct ipuswap_window_hdr *hdr;
	struct ipuswap_layout l;
	__u64 rings_off;
	uint32_t proto;
};

/* A window as a host attached with @proto leaves it, tasks in every state. */
static void win_setup(struct win *w, uint32_t proto)
{
	uint32_t i;

	w->hdr = test_window(WIN_SIZE, NR_CPUS);
	w->hdr->host_proto = proto;
	w->proto = proto;
	if (proto == IPUSWAP_PROTO_SWAP) {
		if (ipuswap_layout(w->hdr->region_offset, w->hdr->region_size, NR_CPUS, &w->l))
			abort();
	} else if (ipuswap_fito_layout(w->hdr->region_offset, w->hdr->region_size, NR_CPUS,
				       &w->rings_off, &w->l)) {
		abort();
	}
	for (i = 0; i < NR_USED; i++) {
		struct ipuswap_task *t = ipuswap_task_at(w->hdr, &w->l, i);
		uint16_t cpu = i % NR_CPUS;

		/* A quarter pinned to one CPU, so "a CPU it may not use" exists. */
		t->cpus[0] = i % 4 ? (1u << NR_CPUS) - 1 : 1u << cpu;
		t->weight = 100;
		switch (i % 4) {
		case 0:
			t->home = IPUSWAP_HOME(IPUSWAP_TASK_HOST, IPUSWAP_OWNER_HOST,
					       IPUSWAP_LOC_NONE, 10 + i);
			break;
		case 1:
			t->home = IPUSWAP_HOME(IPUSWAP_TASK_QUEUED, IPUSWAP_OWNER_HOST, cpu, 10 + i);
			break;
		case 2:
			t->home = IPUSWAP_HOME(IPUSWAP_TASK_PROPOSE, IPUSWAP_OWNER_FW, cpu, 10 + i);
			break;
		default:
			t->home = IPUSWAP_HOME(IPUSWAP_TASK_COMMIT, IPUSWAP_OWNER_HOST, cpu, 10 + i);
			break;
		}
	}
	if (proto != IPUSWAP_PROTO_FITO)
		return;
	for (i = 0; i < NR_CPUS; i++) {
		struct ipuswap_fito_ring *r = ipuswap_fito_ring_at(w->hdr, w->rings_off, i);
		uint32_t e;

		for (e = 0; e < 40; e++) {
			r->ev[e].seq = e + 1;
			r->ev[e].type = IPUSWAP_EV_RUNNABLE;
			r->ev[e].idx = (uint16_t)((i * 40 + e) % NR_USED);
			r->ev[e].barrier = e;
		}
		r->host_head = 40;
		r->fw_tail = 40;
	}
}

static bool is_home(const struct win *w, uint64_t off)
{
	return off >= w->l.tasks_offset && (off - w->l.tasks_offset) % w->l.task_stride == 0 &&
	       (off - w->l.tasks_offset) / w->l.task_stride < w->l.nr_tasks;
}

static bool is_cell(const struct win *w, uint64_t off, size_t field)
{
	return off >= w->l.cells_offset + field &&
	       (off - w->l.cells_offset - field) % sizeof(struct ipuswap_cpu_cell) == 0 &&
	       (off - w->l.cells_offset) / sizeof(struct ipuswap_cpu_cell) < w->l.nr_cpus;
}

static bool is_tail(const struct win *w, uint64_t off)
{
	uint64_t at = w->rings_off + __builtin_offsetof(struct ipuswap_fito_ring, fw_tail);

	return w->proto == IPUSWAP_PROTO_FITO && off >= at &&
	       (off - at) % sizeof(struct ipuswap_fito_ring) == 0 &&
	       (off - w->rings_off) / sizeof(struct ipuswap_fito_ring) < NR_CPUS;
}

/*
 * NR_LIES lies on a window of @proto. A shadow copy follows every lie the
 * family reported; after the restore the window must equal it exactly.
 */
static bool run_lies(uint32_t proto, const char *const *must_fire)
{
	struct fw_hostile *h = malloc(sizeof(*h));
	uint64_t fired[16] = { 0 }, floods = 0, transient = 0;
	struct fw_hostile_lie lie;
	unsigned int i, f;
	unsigned char *shadow;
	struct win w;

	win_setup(&w, proto);
	shadow = malloc(WIN_SIZE);
	memcpy(shadow, w.hdr, WIN_SIZE);
	fw_hostile_init(h, 20261201);
	for (i = 0; i < NR_LIES; i++) {
		bool flood = fw_hostile_lie(h, w.hdr, WIN_SIZE, i * 0.001, &lie);

		EXPECT(flood == (lie.where == FW_HW_FLOOD), "lie %u: flood %d, where %d", i,
		       flood, lie.where);
		if (lie.where != FW_HW_NONE && lie.written)
			fired[lie.family]++;
		floods += flood;
		switch (lie.where) {
		case FW_HW_HOME:
			EXPECT(proto == IPUSWAP_PROTO_SWAP, "lie %u: a home word in FITO", i);
			EXPECT(is_home(&w, lie.off), "lie %u (%s): home word at %#llx", i,
			       fw_hostile_family_name(lie.family), (unsigned long long)lie.off);
			EXPECT(ipuswap_home_valid(lie.val, NR_CPUS), "lie %u (%s): home %#llx fails the form check",
			       i, fw_hostile_family_name(lie.family), (unsigned long long)lie.val);
			break;
		case FW_HW_CELL:
			EXPECT(is_cell(&w, lie.off, 0), "lie %u (%s): cell word at %#llx", i,
			       fw_hostile_family_name(lie.family), (unsigned long long)lie.off);
			EXPECT(ipuswap_cell_valid(lie.val, w.l.nr_tasks),
			       "lie %u (%s): cell %#llx fails the form check", i,
			       fw_hostile_family_name(lie.family), (unsigned long long)lie.val);
			break;
		case FW_HW_FITO_GEN:
			EXPECT(is_cell(&w, lie.off, __builtin_offsetof(struct ipuswap_cpu_cell, fito_gen)),
			       "lie %u: fito_gen at %#llx", i, (unsigned long long)lie.off);
			break;
		case FW_HW_HDR:
			EXPECT(lie.off + 4 <= sizeof(struct ipuswap_window_hdr), "lie %u: header at %#llx",
			       i, (unsigned long long)lie.off);
			transient++;
			break;
		case FW_HW_TAIL:
			EXPECT(is_tail(&w, lie.off), "lie %u: tail at %#llx", i,
			       (unsigned long long)lie.off);
			transient++;
			break;
		case FW_HW_NONE:
		case FW_HW_FLOOD:
			break;
		}
		/* Persistent lies stay: the shadow takes them (a lost CAS wrote nothing). */
		if (lie.written && (lie.where == FW_HW_HOME || lie.where == FW_HW_CELL ||
				    lie.where == FW_HW_FITO_GEN))
			memcpy(shadow + lie.off, &lie.val, 8);
		if (lie.where2 != FW_HW_NONE) {
			EXPECT(lie.where2 == FW_HW_CELL, "lie %u: second write %d", i, lie.where2);
			EXPECT(is_cell(&w, lie.off2, 0) && ipuswap_cell_valid(lie.val2, w.l.nr_tasks),
			       "lie %u (%s): second word %#llx at %#llx", i,
			       fw_hostile_family_name(lie.family), (unsigned long long)lie.val2,
			       (unsigned long long)lie.off2);
			memcpy(shadow + lie.off2, &lie.val2, 8);
		}
		fw_hostile_restore(h);
		if (memcmp(shadow, w.hdr, WIN_SIZE)) {
			size_t b;

			for (b = 0; b < WIN_SIZE && shadow[b] == ((unsigned char *)w.hdr)[b]; b++)
				;
			EXPECT(0, "lie %u (%s): the window differs at %#zx beyond what it reported",
			       i, fw_hostile_family_name(lie.family), b);
			break;
		}
	}
	diag("%s: %llu lies, %llu transient, %llu floods (at most one per %.0f s)",
	     proto == IPUSWAP_PROTO_SWAP ? "swap" : "fito", (unsigned long long)h->total,
	     (unsigned long long)transient, (unsigned long long)floods, FW_HOSTILE_FLOOD_GAP_S);
	for (f = 0; f < fw_hostile_nr_families(); f++)
		if (fired[f])
			diag("  %s: %llu", fw_hostile_family_name(f), (unsigned long long)fired[f]);
	for (; *must_fire; must_fire++) {
		for (f = 0; f < fw_hostile_nr_families(); f++)
			if (!strcmp(fw_hostile_family_name(f), *must_fire))
				break;
		EXPECT(f < fw_hostile_nr_families() && fired[f] > 0, "family %s never lied",
		       *must_fire);
	}
	/* Floods are rate-limited by the caller's clock: 10 s of lies here. */
	EXPECT(floods >= 1 && floods <= NR_LIES * 0.001 / FW_HOSTILE_FLOOD_GAP_S + 1,
	       "%llu floods", (unsigned long long)floods);
	free(shadow);
	free(w.hdr);
	free(h);
	return true;
}

static bool t_swap_well_formed(void)
{
	static const char *const fams[] = { "forge_home", "propose_bad_cpu", "cell_wrong_slot",
					    "version_skew", "race_cas", "churn", "hdr_fw",
					    "hdr_host", "flood", NULL };

	return run_lies(IPUSWAP_PROTO_SWAP, fams);
}

static bool t_fito_well_formed(void)
{
	static const char *const fams[] = { "cell_wrong_slot", "hdr_fw", "hdr_host", "fito_tail",
					    "flood", NULL };

	return run_lies(IPUSWAP_PROTO_FITO, fams);
}

/* Same seed, same window: the same lies, in the same order. */
static bool t_replay(void)
{
	struct fw_hostile *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	struct fw_hostile_lie la, lb;
	unsigned int i, differ = 0;
	struct win wa, wb;
	uint32_t proto;

	for (proto = 0; proto < IPUSWAP_NR_PROTOS; proto++) {
		win_setup(&wa, proto);
		win_setup(&wb, proto);
		fw_hostile_init(a, 12345);
		fw_hostile_init(b, 12345);
		for (i = 0; i < 5000; i++) {
			fw_hostile_lie(a, wa.hdr, WIN_SIZE, i * 0.001, &la);
			fw_hostile_lie(b, wb.hdr, WIN_SIZE, i * 0.001, &lb);
			if (memcmp(&la, &lb, sizeof(la))) {
				EXPECT(0, "proto %u lie %u: %s %#llx vs %s %#llx", proto, i,
				       fw_hostile_family_name(la.family), (unsigned long long)la.val,
				       fw_hostile_family_name(lb.family), (unsigned long long)lb.val);
				break;
			}
		}
		EXPECT(!memcmp(wa.hdr, wb.hdr, WIN_SIZE), "proto %u: the windows differ", proto);
		/* Another seed: other lies. */
		fw_hostile_init(b, 12346);
		for (i = 0; i < 100; i++) {
			fw_hostile_lie(a, wa.hdr, WIN_SIZE, 10 + i * 0.001, &la);
			fw_hostile_lie(b, wb.hdr, WIN_SIZE, 10 + i * 0.001, &lb);
			differ += la.family != lb.family || la.val != lb.val;
		}
		EXPECT(differ > 50, "proto %u: seeds 12345 and 12346 agree on %u of 100 lies",
		       proto, 100 - differ);
		free(wa.hdr);
		free(wb.hdr);
	}
	free(a);
	free(b);
	return true;
}

/* No lie without an attached host, nor outside a window the header says is bad. */
static bool t_no_host_no_lie(void)
{
	struct fw_hostile *h = malloc(sizeof(*h));
	struct fw_hostile_lie lie;
	struct win w;
	unsigned int i;

	win_setup(&w, IPUSWAP_PROTO_SWAP);
	fw_hostile_init(h, 1);
	w.hdr->host_state = IPUSWAP_HOST_BOUND;
	for (i = 0; i < 100; i++)
		EXPECT(!fw_hostile_lie(h, w.hdr, WIN_SIZE, i, &lie) && lie.where == FW_HW_NONE,
		       "lied to a host without a scheduler");
	w.hdr->host_state = IPUSWAP_HOST_SCHED;
	w.hdr->region_size = WIN_SIZE;	/* past the end of the window */
	for (i = 0; i < 100; i++)
		EXPECT(!fw_hostile_lie(h, w.hdr, WIN_SIZE, i, &lie) && lie.where == FW_HW_NONE,
		       "lied through a header that fails its checks");
	free(w.hdr);
	free(h);
	return true;
}

/*
 * A firmware that rewrites a queued task's word whenever the host is about
 * to swap it: every CAS the host tries loses. The host's own memory (the
 * queued bit, the per-slot count) is all it has; the task must still run.
 */
struct fight {
	struct ipuswap_host host;	/* first: the hooks cast back */
	bool queued;
	__u8 defer;
	unsigned int forged, counted;
};

static struct fight *fight_of(const struct ipuswap_host *h)
{
	return (struct fight *)h;
}

static bool fight_in_use(const struct ipuswap_host *h, __u32 idx)
{
	(void)h;
	return idx == 0;
}

static bool fight_queued(const struct ipuswap_host *h, __u32 idx)
{
	(void)idx;
	return fight_of(h)->queued;
}

static void fight_set_queued(const struct ipuswap_host *h, __u32 idx, bool on)
{
	(void)idx;
	fight_of(h)->queued = on;
}

static bool fight_claim(const struct ipuswap_host *h, __u32 idx)
{
	(void)idx;
	bool was = fight_of(h)->queued;

	fight_of(h)->queued = false;
	return was;
}

static bool fight_online(const struct ipuswap_host *h, __u32 cpu)
{
	(void)h;
	(void)cpu;
	return true;
}

/*
 * The host counts a forged word right between reading it and swapping it:
 * that is when the firmware strikes again, a well-formed HOST one version on.
 */
static void fight_count(const struct ipuswap_host *h, enum ipuswap_reason why)
{
	__u64 *home = ipuswap_host_home_at(h, 0), w = ipuswap_load(home);

	(void)why;
	fight_of(h)->counted++;
	fight_of(h)->forged++;
	ipuswap_store_relaxed(home, IPUSWAP_HOME(IPUSWAP_TASK_HOST, IPUSWAP_OWNER_HOST,
						 IPUSWAP_LOC_NONE, IPUSWAP_HOME_VER(w) + 1));
}

static const struct ipuswap_host_ops fight_ops = {
	.in_use = fight_in_use, .queued = fight_queued, .set_queued = fight_set_queued,
	.claim = fight_claim, .cpu_online = fight_online, .count = fight_count,
};

static bool t_fought_task_runs(void)
{
	struct fight *f = calloc(1, sizeof(*f));
	struct win w;
	__u64 held = 0;
	unsigned int tries;
	enum ipuswap_reason r = IPUSWAP_R_STALE;

	win_setup(&w, IPUSWAP_PROTO_SWAP);
	f->host = (struct ipuswap_host){ .win = w.hdr, .l = w.l, .ops = &fight_ops,
					 .defer = &f->defer };
	/* Slot 0 offered (the host's truth), its word already forged. */
	ipuswap_task_at(w.hdr, &w.l, 0)->home =
		IPUSWAP_HOME(IPUSWAP_TASK_HOST, IPUSWAP_OWNER_HOST, IPUSWAP_LOC_NONE, 7);
	f->queued = true;
	for (tries = 0; tries < 4 * IPUSWAP_HOST_DEFER && r; tries++)
		r = ipuswap_host_self_serve(&f->host, 0, 1, false, &held);
	diag("a fought self-serve: %s after %u attempts, %u forgeries", ipuswap_reason_name(r),
	     tries, f->forged);
	EXPECT(r == IPUSWAP_OK, "the task never ran: %u self-serves, all %s", tries,
	       ipuswap_reason_name(r));
	EXPECT(tries <= IPUSWAP_HOST_DEFER + 1, "ran only after %u attempts", tries);
	EXPECT(!f->queued, "ran but still offered: another CPU could run it too");
	EXPECT(IPUSWAP_HOME_STATE(held) == IPUSWAP_TASK_COMMIT && IPUSWAP_HOME_LOC(held) == 1,
	       "ran as %#llx", (unsigned long long)held);
	free(w.hdr);
	free(f);
	return true;
}

static const struct tap_test tests[] = {
	{ "swap: every lie well-formed, only reported words change, all families fire",
	  t_swap_well_formed },
	{ "fito: every lie well-formed, transient lies restored, all families fire",
	  t_fito_well_formed },
	{ "one seed replays the same lies, another seed others", t_replay },
	{ "no lies without an attached scheduler or through a bad header", t_no_host_no_lie },
	{ "a task whose word the firmware rewrites before every host CAS still runs",
	  t_fought_task_runs },
};

int main(void)
{
	return tap_run("hostile", tests, sizeof(tests) / sizeof(tests[0]));
}
