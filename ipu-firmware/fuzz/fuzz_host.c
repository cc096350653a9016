// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness: the module's host sequences (kmod/ipuswap_host.h over
 * ipuswap_swap.h, compiled natively through their portability layer as the
 * twin does) against a firmware that writes whatever the fuzzer says into
 * home and cell words, between host operations.
 *
 * The harness is the host: it keeps what the module keeps in its own
 * memory (slots in use, queued bits, allowed CPUs) behind the same
 * struct ipuswap_host_ops, plus a model of where each task is (the BPF
 * scheduler's view: held, queued, running on a CPU). Invariants:
 *  - no access outside the window (ASan);
 *  - every result is a reason code the function documents;
 *  - a success leaves the word it reports in the window, in the state the
 *    operation promises (take/self-serve: COMMIT on this CPU);
 *  - a task the host holds is never lost as far as the host can tell: take
 *    commits only a task the host offered, self-serve never tells the host
 *    to drop (STATE) a task it offered and nobody on the host claimed, and
 *    once the firmware stops lying every offered task reaches a CPU within
 *    a bounded number of dispatch rounds.
 */
#include <stdbool.h>
#include <stdint.h>

#include "fuzz.h"
#include "ipuswap_host.h"

#define NSLOTS		8	/* slots the host uses: small, so words collide */
#define MAX_CPUS	8
#define DRAIN_ROUNDS	8	/* dispatch rounds for a queued task to run */

static bool trace_on;	/* FUZZ_TRACE=1: print each operation (to replay a crash) */

#define TRACE(...) do { if (trace_on) fprintf(stderr, __VA_ARGS__); } while (0)

enum where { M_FREE, M_HOST, M_QUEUED, M_RUNNING };

struct fhost {
	struct ipuswap_host h;
	bool in_use[NSLOTS], queued[NSLOTS], online[MAX_CPUS];
	enum where where[NSLOTS];
	__u32 run_cpu[NSLOTS];
	__u64 allowed[NSLOTS];		/* CPUs the host lets the task run on */
	__u8 defer[NSLOTS];		/* the host sequences' per-slot defer counts */
	unsigned long long repaired;
};

static struct fhost *fh_of(const struct ipuswap_host *h)
{
	return (struct fhost *)h;
}

/* The table may be bigger than NSLOTS: a cell can name any slot. */
static bool fh_in_use(const struct ipuswap_host *h, __u32 idx)
{
	return idx < NSLOTS && fh_of(h)->in_use[idx];
}

static bool fh_queued(const struct ipuswap_host *h, __u32 idx)
{
	FUZZ_CHECK(idx < NSLOTS, "queued() of slot %u the host never used", idx);
	return fh_of(h)->queued[idx];
}

static void fh_set_queued(const struct ipuswap_host *h, __u32 idx, bool on)
{
	FUZZ_CHECK(idx < NSLOTS && fh_of(h)->in_use[idx], "set_queued(%u) of a slot not in use",
		   idx);
	fh_of(h)->queued[idx] = on;
}

static bool fh_claim(const struct ipuswap_host *h, __u32 idx)
{
	bool was;

	FUZZ_CHECK(idx < NSLOTS && fh_of(h)->in_use[idx], "claim(%u) of a slot not in use", idx);
	was = fh_of(h)->queued[idx];
	fh_of(h)->queued[idx] = false;
	return was;
}

static bool fh_cpu_online(const struct ipuswap_host *h, __u32 cpu)
{
	FUZZ_CHECK(cpu < h->l.nr_cpus, "cpu_online(%u) of %u CPUs", cpu, h->l.nr_cpus);
	return fh_of(h)->online[cpu];
}

static void fh_count(const struct ipuswap_host *h, enum ipuswap_reason why)
{
	FUZZ_CHECK(why > IPUSWAP_OK && why < IPUSWAP_NR_REASONS, "counted reason %u", why);
	fh_of(h)->repaired++;
}

static const struct ipuswap_host_ops fh_ops = {
	.in_use = fh_in_use,
	.queued = fh_queued,
	.set_queued = fh_set_queued,
	.claim = fh_claim,
	.cpu_online = fh_cpu_online,
	.count = fh_count,
};

static __u64 home_of(struct fhost *m, __u32 idx)
{
	return ipuswap_load(ipuswap_host_home_at(&m->h, idx));
}

/* r is one of the reasons in the (zero-terminated after OK) list. */
static bool one_of(enum ipuswap_reason r, const enum ipuswap_reason *ok, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (r == ok[i])
			return true;
	return false;
}

#define EXPECT_REASON(r, what, ...) do {					\
	static const enum ipuswap_reason ok_[] = { __VA_ARGS__ };		\
	FUZZ_CHECK(one_of(r, ok_, sizeof(ok_) / sizeof(ok_[0])),		\
		   "%s returned %u (%s)", what, r, ipuswap_reason_name(r));	\
} while (0)

/* A success must leave the word it reports, and COMMIT on @cpu to run. */
static void ran(struct fhost *m, __u32 idx, __u32 cpu, __u64 held, const char *what)
{
	FUZZ_CHECK(m->where[idx] == M_QUEUED, "%s committed slot %u the host did not offer "
		   "(model state %d)", what, idx, m->where[idx]);
	FUZZ_CHECK(held == home_of(m, idx) && IPUSWAP_HOME_STATE(held) == IPUSWAP_TASK_COMMIT &&
		   IPUSWAP_HOME_OWNER(held) == IPUSWAP_OWNER_HOST &&
		   IPUSWAP_HOME_LOC(held) == cpu, "%s: slot %u word %#llx after success", what,
		   idx, (unsigned long long)home_of(m, idx));
	FUZZ_CHECK(!m->queued[idx], "%s left slot %u's queued bit set", what, idx);
	m->where[idx] = M_RUNNING;
	m->run_cpu[idx] = cpu;
}

/* The BPF's dispatch on @cpu: the proposal first, then its own queue. */
static bool dispatch(struct fhost *m, __u32 cpu, __u32 pick, bool steal)
{
	enum ipuswap_reason r;
	__u64 prop, held;
	__u32 idx = 0, i;

	r = ipuswap_host_peek(&m->h, cpu, &idx);
	TRACE("cpu %u: peek %s (slot %u)\n", cpu, ipuswap_reason_name(r), idx);
	EXPECT_REASON(r, "peek", IPUSWAP_OK, IPUSWAP_R_BAD_WORD, IPUSWAP_R_NO_PROPOSAL,
		      IPUSWAP_R_BAD_INDEX);
	if (r == IPUSWAP_OK) {
		FUZZ_CHECK(idx < NSLOTS && m->in_use[idx], "peek returned slot %u not in use", idx);
		r = ipuswap_host_take(&m->h, cpu, idx, m->allowed[idx] >> cpu & 1, &prop, &held);
		TRACE("cpu %u: take %u %s, home %#llx\n", cpu, idx, ipuswap_reason_name(r),
		      (unsigned long long)home_of(m, idx));
		EXPECT_REASON(r, "take", IPUSWAP_OK, IPUSWAP_R_NO_PROPOSAL, IPUSWAP_R_NOT_ALLOWED,
			      IPUSWAP_R_BAD_WORD, IPUSWAP_R_STALE, IPUSWAP_R_BAD_CPU,
			      IPUSWAP_R_SELF_SERVED, IPUSWAP_R_DECLINED);
		if (r == IPUSWAP_OK) {
			/* Only the proposal the cell named: its version, one transition on. */
			FUZZ_CHECK(IPUSWAP_CELL_VER(prop) + 1 == IPUSWAP_HOME_VER(held) &&
				   IPUSWAP_CELL_IDX(prop) == idx, "take of slot %u committed %#llx "
				   "for cell %#llx", idx, (unsigned long long)held,
				   (unsigned long long)prop);
			ran(m, idx, cpu, held, "take");
			return true;
		}
	}
	/* No proposal taken: serve a queued task allowed here, from @pick on. */
	for (i = 0; i < NSLOTS; i++) {
		idx = (pick + i) % NSLOTS;
		if (m->where[idx] != M_QUEUED || !(m->allowed[idx] >> cpu & 1))
			continue;
		r = ipuswap_host_self_serve(&m->h, idx, cpu, steal, &held);
		TRACE("cpu %u: self_serve %u%s %s, home %#llx\n", cpu, idx, steal ? " steal" : "",
		      ipuswap_reason_name(r), (unsigned long long)home_of(m, idx));
		EXPECT_REASON(r, "self_serve", IPUSWAP_OK, IPUSWAP_R_ELSEWHERE, IPUSWAP_R_STALE,
			      IPUSWAP_R_BAD_WORD, IPUSWAP_R_STATE, IPUSWAP_R_BAD_CPU);
		if (r == IPUSWAP_OK) {
			ran(m, idx, cpu, held, "self_serve");
			return true;
		}
		if (r == IPUSWAP_R_STATE) {
			/* The caller drops the entry: only right if a host CPU has it. */
			FUZZ_CHECK(!m->queued[idx], "self_serve said drop (STATE) for slot %u the "
				   "host offered and nobody claimed (word %#llx)", idx,
				   (unsigned long long)home_of(m, idx));
			m->where[idx] = M_HOST;
		}
		return false;
	}
	return false;
}

static void host_op(struct fhost *m, struct fz *f)
{
	__u32 nr_cpus = m->h.l.nr_cpus;
	__u32 idx = fz_u8(f) % NSLOTS, cpu = fz_u8(f) % nr_cpus;
	enum ipuswap_reason r;
	bool was;
	__u64 held;

	switch (fz_u8(f) % 7) {
	case 0:		/* create (a new task gets the slot) */
		if (m->where[idx] != M_FREE)
			break;
		m->in_use[idx] = true;
		r = ipuswap_host_create(&m->h, idx, &held);
		TRACE("%s %u: %s, home %#llx\n", "create", idx, ipuswap_reason_name(r),
		      (unsigned long long)home_of(m, idx));
		FUZZ_CHECK(r == IPUSWAP_OK && held == home_of(m, idx) &&
			   IPUSWAP_HOME_STATE(held) == IPUSWAP_TASK_HOST, "create: %u", r);
		m->where[idx] = M_HOST;
		m->allowed[idx] = fz_u8(f) | 1ULL << (fz_u8(f) % nr_cpus);
		ipuswap_task_at(m->h.win, &m->h.l, idx)->cpus[0] = m->allowed[idx];
		break;
	case 1:		/* destroy (the task exited; sched_ext dequeued it first) */
		if (m->where[idx] != M_HOST)
			break;
		r = ipuswap_host_destroy(&m->h, idx);
		TRACE("%s %u: %s, home %#llx\n", "destroy", idx, ipuswap_reason_name(r),
		      (unsigned long long)home_of(m, idx));
		FUZZ_CHECK(r == IPUSWAP_OK && IPUSWAP_HOME_STATE(home_of(m, idx)) ==
			   IPUSWAP_TASK_FREE, "destroy: %u", r);
		m->in_use[idx] = false;
		m->where[idx] = M_FREE;
		break;
	case 2:		/* enqueue */
		if (m->where[idx] != M_HOST)
			break;
		was = m->queued[idx];
		r = ipuswap_host_enqueue(&m->h, idx, fz_u8(f) & 1 ? cpu : IPUSWAP_LOC_NONE, &held);
		TRACE("%s %u: %s, home %#llx\n", "enqueue", idx, ipuswap_reason_name(r),
		      (unsigned long long)home_of(m, idx));
		EXPECT_REASON(r, "enqueue", IPUSWAP_OK, IPUSWAP_R_BAD_WORD, IPUSWAP_R_STATE,
			      IPUSWAP_R_STALE);
		if (r == IPUSWAP_OK) {
			FUZZ_CHECK(held == home_of(m, idx) &&
				   IPUSWAP_HOME_STATE(held) == IPUSWAP_TASK_QUEUED &&
				   m->queued[idx], "enqueue: word %#llx queued %d",
				   (unsigned long long)held, m->queued[idx]);
			m->where[idx] = M_QUEUED;
		} else {
			/* The BPF runs it from its fallback queue: still the host's. */
			FUZZ_CHECK(!m->queued[idx] || (was && r == IPUSWAP_R_STATE),
				   "failed enqueue left slot %u queued", idx);
		}
		break;
	case 3:		/* dispatch */
		dispatch(m, cpu, fz_u8(f), fz_u8(f) & 1);
		break;
	case 4:		/* retract (the task blocked or its affinity changes) */
		if (m->where[idx] != M_QUEUED)
			break;
		r = ipuswap_host_retract(&m->h, idx, &held);
		TRACE("%s %u: %s, home %#llx\n", "retract", idx, ipuswap_reason_name(r),
		      (unsigned long long)home_of(m, idx));
		EXPECT_REASON(r, "retract", IPUSWAP_OK, IPUSWAP_R_BAD_WORD, IPUSWAP_R_STATE,
			      IPUSWAP_R_STALE);
		if (r == IPUSWAP_OK)
			FUZZ_CHECK(held == home_of(m, idx) && !m->queued[idx] &&
				   IPUSWAP_HOME_STATE(held) == IPUSWAP_TASK_HOST, "retract: %#llx",
				   (unsigned long long)held);
		/* sched_ext dequeued it whatever the window said (the bit stays the host's). */
		m->where[idx] = M_HOST;
		break;
	case 5:		/* stop (it ran; it leaves its CPU) */
		if (m->where[idx] != M_RUNNING)
			break;
		r = ipuswap_host_stop(&m->h, idx, &held);
		TRACE("%s %u: %s, home %#llx\n", "stop", idx, ipuswap_reason_name(r),
		      (unsigned long long)home_of(m, idx));
		EXPECT_REASON(r, "stop", IPUSWAP_OK, IPUSWAP_R_BAD_WORD, IPUSWAP_R_STATE,
			      IPUSWAP_R_STALE);
		if (r == IPUSWAP_OK)
			FUZZ_CHECK(held == home_of(m, idx) &&
				   IPUSWAP_HOME_STATE(held) == IPUSWAP_TASK_HOST, "stop: %#llx",
				   (unsigned long long)held);
		m->where[idx] = M_HOST;
		break;
	default:	/* a CPU goes offline or comes back */
		m->online[cpu] = !m->online[cpu];
		TRACE("cpu %u %s\n", cpu, m->online[cpu] ? "online" : "offline");
		break;
	}
}

/* The firmware: a legal stage + propose, or a well-formed (or raw) lie. */
static void fw_op(struct fhost *m, struct fz *f)
{
	__u32 nr_cpus = m->h.l.nr_cpus, nr_tasks = m->h.l.nr_tasks;
	__u32 idx = fz_u8(f) % NSLOTS, cpu = fz_u8(f) % nr_cpus;
	__u64 *home = ipuswap_host_home_at(&m->h, idx);
	__u64 *cell = ipuswap_host_cell_at(&m->h, cpu);
	__u64 seen = ipuswap_load(home), cw = ipuswap_load(cell);

	TRACE("fw: home %u %#llx, cell %u %#llx -> ", idx, (unsigned long long)seen, cpu,
	      (unsigned long long)cw);
	switch (fz_u8(f) % 4) {
	case 0:
		if (!ipuswap_home_stage(home, &seen, nr_cpus, cpu))
			ipuswap_cell_propose(cell, &cw, nr_tasks, idx, IPUSWAP_HOME_VER(seen));
		break;
	case 1:
		ipuswap_home_decline(home, &seen, nr_cpus, IPUSWAP_OWNER_FW);
		ipuswap_cell_withdraw(cell, &cw, nr_tasks);
		break;
	case 2:
		*home = fz_home(f, seen, nr_cpus);
		break;
	default:
		*cell = fz_cell(f, cw, nr_tasks);
		break;
	}
	TRACE("home %#llx, cell %#llx\n", (unsigned long long)ipuswap_load(home),
	      (unsigned long long)ipuswap_load(cell));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fhost m;
	struct ipuswap_window_hdr *hdr = fuzz_window();
	struct fz f = { data, size };
	__u32 nr_cpus = 1 + fz_u8(&f) % MAX_CPUS, i, round, ops = 0;
	struct ipuswap_layout l;
	__u64 stride;

	memset(&m, 0, sizeof(m));
	trace_on = getenv("FUZZ_TRACE") != NULL;
	/* A small table (64..127 slots): NSLOTS of them used, the rest named by lies. */
	stride = (32 + 8 * ((nr_cpus + 63) / 64) + 63) / 64 * 64;
	fuzz_attached(hdr, IPUSWAP_PROTO_SWAP, nr_cpus,
		      64ULL * nr_cpus + (64 + fz_u8(&f) % 64) * stride);
	FUZZ_CHECK(!ipuswap_layout(hdr->region_offset, hdr->region_size, nr_cpus, &l), "layout");
	m.h = (struct ipuswap_host){ .win = hdr, .l = l, .ops = &fh_ops, .defer = m.defer };
	for (i = 0; i < l.nr_tasks; i++)
		ipuswap_task_at(hdr, &l, i)->home =
			IPUSWAP_HOME(IPUSWAP_TASK_FREE, IPUSWAP_OWNER_NONE, IPUSWAP_LOC_NONE, 0);
	for (i = 0; i < nr_cpus; i++)
		m.online[i] = true;

	while (fz_more(&f) && ops++ < 512) {
		if (fz_u8(&f) & 1)
			host_op(&m, &f);
		else
			fw_op(&m, &f);
	}

	/*
	 * The firmware stops writing but stays alive (no stealing): every
	 * task the host offered must reach a CPU within DRAIN_ROUNDS rounds.
	 */
	for (i = 0; i < nr_cpus; i++)
		m.online[i] = true;
	for (round = 0; round < DRAIN_ROUNDS; round++)
		for (i = 0; i < nr_cpus; i++)
			dispatch(&m, i, round, false);
	for (i = 0; i < NSLOTS; i++)
		FUZZ_CHECK(m.where[i] != M_QUEUED || !m.queued[i],
			   "slot %u offered and never run (word %#llx)", i,
			   (unsigned long long)home_of(&m, i));
	return 0;
}
