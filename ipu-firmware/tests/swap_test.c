// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for the swap transitions (kmod/ipuswap_swap.h), the host's
 * sequences of them (kmod/ipuswap_host.h, which the module's kfuncs run),
 * the window layout (ipuswap_layout), the PCIe model (fw_pcie) and the
 * staging engine (fw_sched) fed malformed windows. Built with ASan +
 * UBSan; prints TAP.
 *
 * Each transition is checked on its success path (new word, *seen) and on
 * every way it can refuse: the refused word must be left exactly as it
 * was, and a lost race (STALE) must hand back the current word.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "test_window.h"
#include "ipuswap_host.h"
#include "fw_pcie.h"
#include "fw_sched.h"

#define NCPU	4u
#define NTASK	100u
#define WIN	(64u << 10)

#define H(st, ow, loc, ver)	IPUSWAP_HOME(IPUSWAP_TASK_##st, IPUSWAP_OWNER_##ow, loc, ver)
#define NONE			IPUSWAP_LOC_NONE
#define C(st, why, idx, ver)	IPUSWAP_CELL(IPUSWAP_CELL_##st, why, idx, ver)

typedef unsigned long long ull;

/* ---- transition checking helpers ---------------------------------------- */

/* A refused transition: reason r, word untouched, seen as passed. */
static void refused(const char *what, enum ipuswap_reason got, enum ipuswap_reason want,
		    __u64 word, __u64 before, __u64 seen, __u64 passed)
{
	EXPECT(got == want, "%s: reason %d, want %d", what, got, want);
	EXPECT(word == before, "%s: word changed %#llx -> %#llx", what,
	       (ull)before, (ull)word);
	EXPECT(seen == passed, "%s: seen changed %#llx -> %#llx", what,
	       (ull)passed, (ull)seen);
}

/* A successful transition: word == seen == want. */
static void done(const char *what, enum ipuswap_reason got, __u64 word, __u64 seen,
		 __u64 want)
{
	EXPECT(got == IPUSWAP_OK, "%s: reason %d", what, got);
	EXPECT(word == want && seen == want, "%s: word %#llx seen %#llx want %#llx",
	       what, (ull)word, (ull)seen, (ull)want);
}

/* Evaluate the transition first: argument order is unspecified in C. */
#define DONE(what, call, want)						\
	do {								\
		enum ipuswap_reason r_ = (call);			\
		done(what, r_, w, s, want);				\
	} while (0)

#define REFUSED(what, call, want_r, before, passed)			\
	do {								\
		enum ipuswap_reason r_ = (call);			\
		refused(what, r_, want_r, w, before, s, passed);	\
	} while (0)

/* ---- success paths ------------------------------------------------------- */

static bool t_home_success(void)
{
	__u64 w = H(FREE, NONE, NONE, 7), s = w;

	DONE("create", ipuswap_home_create(&w, &s, NCPU),
	     H(HOST, HOST, NONE, 8));
	DONE("enqueue hint 2", ipuswap_home_enqueue(&w, &s, NCPU, 2),
	     H(QUEUED, HOST, 2, 9));
	DONE("stage cpu 3", ipuswap_home_stage(&w, &s, NCPU, 3),
	     H(PROPOSE, FW, 3, 10));
	DONE("take cpu 3 v10", ipuswap_home_take(&w, &s, NCPU, 3, 10),
	     H(COMMIT, HOST, 3, 11));
	DONE("stop", ipuswap_home_stop(&w, &s, NCPU),
	     H(HOST, HOST, NONE, 12));
	DONE("enqueue no hint", ipuswap_home_enqueue(&w, &s, NCPU, NONE),
	     H(QUEUED, HOST, NONE, 13));
	DONE("self_serve QUEUED", ipuswap_home_self_serve(&w, &s, NCPU, 1),
	     H(COMMIT, HOST, 1, 14));
	DONE("stop", ipuswap_home_stop(&w, &s, NCPU),
	     H(HOST, HOST, NONE, 15));
	/* A hint the host does not have becomes "no hint". */
	DONE("enqueue hint out of range", ipuswap_home_enqueue(&w, &s, NCPU, NCPU),
	     H(QUEUED, HOST, NONE, 16));
	DONE("stage cpu 0", ipuswap_home_stage(&w, &s, NCPU, 0),
	     H(PROPOSE, FW, 0, 17));
	/* Another CPU may serve a task proposed elsewhere: never wait. */
	DONE("self_serve PROPOSE(0) on 2", ipuswap_home_self_serve(&w, &s, NCPU, 2),
	     H(COMMIT, HOST, 2, 18));
	DONE("stop", ipuswap_home_stop(&w, &s, NCPU),
	     H(HOST, HOST, NONE, 19));
	DONE("enqueue", ipuswap_home_enqueue(&w, &s, NCPU, 1),
	     H(QUEUED, HOST, 1, 20));
	DONE("retract QUEUED", ipuswap_home_retract(&w, &s, NCPU),
	     H(HOST, HOST, NONE, 21));
	DONE("enqueue", ipuswap_home_enqueue(&w, &s, NCPU, 1),
	     H(QUEUED, HOST, 1, 22));
	DONE("stage cpu 2", ipuswap_home_stage(&w, &s, NCPU, 2),
	     H(PROPOSE, FW, 2, 23));
	DONE("retract PROPOSE", ipuswap_home_retract(&w, &s, NCPU),
	     H(HOST, HOST, NONE, 24));
	DONE("enqueue", ipuswap_home_enqueue(&w, &s, NCPU, 1),
	     H(QUEUED, HOST, 1, 25));
	DONE("stage cpu 2", ipuswap_home_stage(&w, &s, NCPU, 2),
	     H(PROPOSE, FW, 2, 26));
	/* Decline keeps the proposed CPU as the hint and records who. */
	DONE("decline by fw", ipuswap_home_decline(&w, &s, NCPU, IPUSWAP_OWNER_FW),
	     H(QUEUED, FW, 2, 27));
	DONE("stage a fw-owned QUEUED", ipuswap_home_stage(&w, &s, NCPU, 1),
	     H(PROPOSE, FW, 1, 28));
	DONE("decline by host", ipuswap_home_decline(&w, &s, NCPU, IPUSWAP_OWNER_HOST),
	     H(QUEUED, HOST, 1, 29));
	DONE("retract", ipuswap_home_retract(&w, &s, NCPU),
	     H(HOST, HOST, NONE, 30));
	DONE("destroy", ipuswap_home_destroy(&w, &s, NCPU),
	     H(FREE, HOST, NONE, 31));
	DONE("create from host-freed slot", ipuswap_home_create(&w, &s, NCPU),
	     H(HOST, HOST, NONE, 32));
	return cur_ok;
}

static bool t_version_wraps(void)
{
	__u64 w = H(FREE, NONE, NONE, 0xffffffffu), s = w;

	DONE("create at version 2^32-1", ipuswap_home_create(&w, &s, NCPU),
	     H(HOST, HOST, NONE, 0));
	return cur_ok;
}

static bool t_cell_success(void)
{
	__u64 w = C(EMPTY, 0, 0, 0), s = w;

	DONE("propose on EMPTY", ipuswap_cell_propose(&w, &s, NTASK, 5, 40),
	     C(PROPOSE, IPUSWAP_OK, 5, 40));
	DONE("answer commit", ipuswap_cell_answer(&w, &s, NTASK, IPUSWAP_OK),
	     C(COMMIT, IPUSWAP_OK, 5, 40));
	DONE("propose on COMMIT", ipuswap_cell_propose(&w, &s, NTASK, 6, 41),
	     C(PROPOSE, IPUSWAP_OK, 6, 41));
	DONE("answer abort stale", ipuswap_cell_answer(&w, &s, NTASK, IPUSWAP_R_STALE),
	     C(ABORT, IPUSWAP_R_STALE, 6, 41));
	DONE("propose on ABORT",
	     ipuswap_cell_propose(&w, &s, NTASK, NTASK - 1, 0xffffffffu),
	     C(PROPOSE, IPUSWAP_OK, NTASK - 1, 0xffffffffu));
	DONE("withdraw", ipuswap_cell_withdraw(&w, &s, NTASK), C(EMPTY, 0, 0, 0));
	DONE("propose again", ipuswap_cell_propose(&w, &s, NTASK, 0, 1),
	     C(PROPOSE, IPUSWAP_OK, 0, 1));
	DONE("answer not_allowed",
	     ipuswap_cell_answer(&w, &s, NTASK, IPUSWAP_R_NOT_ALLOWED),
	     C(ABORT, IPUSWAP_R_NOT_ALLOWED, 0, 1));
	return cur_ok;
}

/* ---- STALE: the word moved since it was read ------------------------------ */

/*
 * For each transition: read the word, let "the other side" move it, then
 * try with the old reading. The CAS must fail, leave the word as the other
 * side left it, and hand that word back.
 */
static bool t_stale(void)
{
	struct {
		const char *name;
		__u64 start;
		__u64 moved;	/* a legal later word of the same state */
		int op;
	} cases[] = {
		{ "create", H(FREE, HOST, NONE, 1), H(FREE, HOST, NONE, 3), 0 },
		{ "enqueue", H(HOST, HOST, NONE, 1), H(HOST, HOST, NONE, 3), 1 },
		{ "stage", H(QUEUED, HOST, 1, 1), H(QUEUED, HOST, 1, 3), 2 },
		{ "self_serve", H(QUEUED, HOST, 1, 1), H(QUEUED, FW, 1, 3), 3 },
		{ "decline", H(PROPOSE, FW, 1, 1), H(PROPOSE, FW, 2, 3), 4 },
		{ "retract", H(PROPOSE, FW, 1, 1), H(QUEUED, FW, 1, 2), 5 },
		{ "stop", H(COMMIT, HOST, 1, 1), H(COMMIT, HOST, 2, 3), 6 },
		{ "destroy", H(HOST, HOST, NONE, 1), H(HOST, HOST, NONE, 5), 7 },
		{ "take", H(PROPOSE, FW, 1, 1), H(PROPOSE, FW, 1, 3), 8 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		__u64 w = cases[i].moved, s = cases[i].start;
		enum ipuswap_reason r = IPUSWAP_OK;

		switch (cases[i].op) {
		case 0: r = ipuswap_home_create(&w, &s, NCPU); break;
		case 1: r = ipuswap_home_enqueue(&w, &s, NCPU, 0); break;
		case 2: r = ipuswap_home_stage(&w, &s, NCPU, 0); break;
		case 3: r = ipuswap_home_self_serve(&w, &s, NCPU, 0); break;
		case 4: r = ipuswap_home_decline(&w, &s, NCPU, IPUSWAP_OWNER_FW); break;
		case 5: r = ipuswap_home_retract(&w, &s, NCPU); break;
		case 6: r = ipuswap_home_stop(&w, &s, NCPU); break;
		case 7: r = ipuswap_home_destroy(&w, &s, NCPU); break;
		case 8: r = ipuswap_home_take(&w, &s, NCPU, 1, 1); break;
		}
		EXPECT(r == IPUSWAP_R_STALE, "%s: reason %d", cases[i].name, r);
		EXPECT(w == cases[i].moved, "%s: word changed to %#llx", cases[i].name,
		       (ull)w);
		EXPECT(s == cases[i].moved, "%s: seen %#llx, want the current %#llx",
		       cases[i].name, (ull)s, (ull)cases[i].moved);
	}
	return cur_ok;
}

/*
 * A refusal decided from `seen` alone (no CAS) leaves *seen as the caller
 * passed it, even when that reading is stale: only a failed CAS hands back
 * the current word. (The header comment says "on failure it becomes the
 * current word"; this pins down what the code does.)
 */
static bool t_seen_not_refreshed(void)
{
	__u64 w = H(HOST, HOST, NONE, 5), s = H(QUEUED, HOST, 1, 3);
	enum ipuswap_reason r = ipuswap_home_enqueue(&w, &s, NCPU, 0);

	EXPECT(r == IPUSWAP_R_STATE && w == H(HOST, HOST, NONE, 5) &&
	       s == H(QUEUED, HOST, 1, 3), "enqueue with a stale QUEUED reading: "
	       "r %d w %#llx s %#llx", r, (ull)w, (ull)s);
	w = H(COMMIT, HOST, 1, 12);
	s = H(PROPOSE, FW, 1, 10);
	r = ipuswap_home_take(&w, &s, NCPU, 1, 11);
	EXPECT(r == IPUSWAP_R_STALE && w == H(COMMIT, HOST, 1, 12) &&
	       s == H(PROPOSE, FW, 1, 10), "take refused on seen's version: "
	       "r %d s %#llx", r, (ull)s);
	return cur_ok;
}

/* take validates the proposal's version before any CAS. */
static bool t_take_version(void)
{
	__u64 w = H(PROPOSE, FW, 2, 10), s = w, before = w;

	REFUSED("take older version", ipuswap_home_take(&w, &s, NCPU, 2, 9),
		IPUSWAP_R_STALE, before, before);
	REFUSED("take newer version", ipuswap_home_take(&w, &s, NCPU, 2, 11),
		IPUSWAP_R_STALE, before, before);
	/* Not PROPOSE any more: the proposal is stale, not an illegal request. */
	w = s = before = H(COMMIT, HOST, 2, 11);
	REFUSED("take a COMMIT", ipuswap_home_take(&w, &s, NCPU, 2, 10),
		IPUSWAP_R_STALE, before, before);
	w = s = before = H(QUEUED, FW, 2, 11);
	REFUSED("take a declined", ipuswap_home_take(&w, &s, NCPU, 2, 10),
		IPUSWAP_R_STALE, before, before);
	return cur_ok;
}

static bool t_cell_stale(void)
{
	__u64 c = C(PROPOSE, 0, 3, 9), s = C(PROPOSE, 0, 3, 8);
	enum ipuswap_reason r;

	r = ipuswap_cell_answer(&c, &s, NTASK, IPUSWAP_OK);
	EXPECT(r == IPUSWAP_R_STALE && c == C(PROPOSE, 0, 3, 9) && s == c,
	       "answer of an old proposal: r %d c %#llx s %#llx", r, (ull)c, (ull)s);
	s = C(PROPOSE, 0, 3, 8);
	r = ipuswap_cell_withdraw(&c, &s, NTASK);
	EXPECT(r == IPUSWAP_R_STALE && c == C(PROPOSE, 0, 3, 9) && s == c,
	       "withdraw of an old proposal: r %d", r);
	c = C(ABORT, IPUSWAP_R_STALE, 1, 1);
	s = C(EMPTY, 0, 0, 0);
	r = ipuswap_cell_propose(&c, &s, NTASK, 2, 2);
	EXPECT(r == IPUSWAP_R_STALE && c == C(ABORT, IPUSWAP_R_STALE, 1, 1) && s == c,
	       "propose over an unseen answer: r %d", r);
	return cur_ok;
}

/* ---- STATE: transition not legal from this state -------------------------- */

static bool t_state(void)
{
	const __u64 q = H(QUEUED, HOST, 1, 5), hst = H(HOST, HOST, NONE, 5),
		    com = H(COMMIT, HOST, 1, 5), fre = H(FREE, NONE, NONE, 5),
		    pro = H(PROPOSE, FW, 1, 5);
	__u64 w, s;

#define REFUSE_STATE(name, word, call)					\
	do {								\
		w = s = (word);						\
		REFUSED(name, call, IPUSWAP_R_STATE, word, word);	\
	} while (0)

	REFUSE_STATE("create on HOST", hst, ipuswap_home_create(&w, &s, NCPU));
	REFUSE_STATE("create on QUEUED", q, ipuswap_home_create(&w, &s, NCPU));
	REFUSE_STATE("enqueue on QUEUED", q, ipuswap_home_enqueue(&w, &s, NCPU, 0));
	REFUSE_STATE("enqueue on COMMIT", com, ipuswap_home_enqueue(&w, &s, NCPU, 0));
	REFUSE_STATE("enqueue on FREE", fre, ipuswap_home_enqueue(&w, &s, NCPU, 0));
	REFUSE_STATE("stage on HOST", hst, ipuswap_home_stage(&w, &s, NCPU, 0));
	REFUSE_STATE("stage on PROPOSE", pro, ipuswap_home_stage(&w, &s, NCPU, 0));
	REFUSE_STATE("stage on COMMIT", com, ipuswap_home_stage(&w, &s, NCPU, 0));
	REFUSE_STATE("self_serve on HOST", hst, ipuswap_home_self_serve(&w, &s, NCPU, 0));
	REFUSE_STATE("self_serve on COMMIT", com, ipuswap_home_self_serve(&w, &s, NCPU, 0));
	REFUSE_STATE("self_serve on FREE", fre, ipuswap_home_self_serve(&w, &s, NCPU, 0));
	REFUSE_STATE("decline on QUEUED", q,
		     ipuswap_home_decline(&w, &s, NCPU, IPUSWAP_OWNER_FW));
	REFUSE_STATE("decline on COMMIT", com,
		     ipuswap_home_decline(&w, &s, NCPU, IPUSWAP_OWNER_HOST));
	REFUSE_STATE("retract on HOST", hst, ipuswap_home_retract(&w, &s, NCPU));
	REFUSE_STATE("retract on COMMIT", com, ipuswap_home_retract(&w, &s, NCPU));
	REFUSE_STATE("stop on QUEUED", q, ipuswap_home_stop(&w, &s, NCPU));
	REFUSE_STATE("stop on PROPOSE", pro, ipuswap_home_stop(&w, &s, NCPU));
	REFUSE_STATE("stop on HOST", hst, ipuswap_home_stop(&w, &s, NCPU));
	REFUSE_STATE("destroy on QUEUED", q, ipuswap_home_destroy(&w, &s, NCPU));
	REFUSE_STATE("destroy on COMMIT", com, ipuswap_home_destroy(&w, &s, NCPU));
	REFUSE_STATE("destroy on FREE", fre, ipuswap_home_destroy(&w, &s, NCPU));

	REFUSE_STATE("cell propose on PROPOSE", C(PROPOSE, 0, 1, 1),
		     ipuswap_cell_propose(&w, &s, NTASK, 2, 2));
	REFUSE_STATE("cell answer on EMPTY", C(EMPTY, 0, 0, 0),
		     ipuswap_cell_answer(&w, &s, NTASK, IPUSWAP_OK));
	REFUSE_STATE("cell answer on COMMIT", C(COMMIT, 0, 1, 1),
		     ipuswap_cell_answer(&w, &s, NTASK, IPUSWAP_R_STALE));
	REFUSE_STATE("cell answer on ABORT", C(ABORT, IPUSWAP_R_SELF_SERVED, 1, 1),
		     ipuswap_cell_answer(&w, &s, NTASK, IPUSWAP_OK));
	REFUSE_STATE("cell withdraw on EMPTY", C(EMPTY, 0, 0, 0),
		     ipuswap_cell_withdraw(&w, &s, NTASK));
	REFUSE_STATE("cell withdraw on COMMIT", C(COMMIT, 0, 1, 1),
		     ipuswap_cell_withdraw(&w, &s, NTASK));
#undef REFUSE_STATE
	return cur_ok;
}

/* ---- BAD_INDEX, BAD_CPU ------------------------------------------------------ */

static bool t_bad_index_cpu(void)
{
	__u64 w, s, before;

	w = s = before = C(EMPTY, 0, 0, 0);
	REFUSED("propose idx == nr_tasks", ipuswap_cell_propose(&w, &s, NTASK, NTASK, 1),
		IPUSWAP_R_BAD_INDEX, before, before);
	REFUSED("propose idx 0xffff", ipuswap_cell_propose(&w, &s, NTASK, 0xffff, 1),
		IPUSWAP_R_BAD_INDEX, before, before);
	REFUSED("propose idx 2^32-1", ipuswap_cell_propose(&w, &s, NTASK, 0xffffffffu, 1),
		IPUSWAP_R_BAD_INDEX, before, before);

	w = s = before = H(QUEUED, HOST, 1, 5);
	REFUSED("stage cpu == nr_cpus", ipuswap_home_stage(&w, &s, NCPU, NCPU),
		IPUSWAP_R_BAD_CPU, before, before);
	REFUSED("stage cpu 2^32-1", ipuswap_home_stage(&w, &s, NCPU, 0xffffffffu),
		IPUSWAP_R_BAD_CPU, before, before);
	REFUSED("self_serve cpu == nr_cpus", ipuswap_home_self_serve(&w, &s, NCPU, NCPU),
		IPUSWAP_R_BAD_CPU, before, before);
	/* A proposal for CPU 1 cannot be taken by CPU 0, even at its version. */
	w = s = before = H(PROPOSE, FW, 1, 6);
	REFUSED("take by the wrong cpu", ipuswap_home_take(&w, &s, NCPU, 0, 6),
		IPUSWAP_R_BAD_CPU, before, before);
	return cur_ok;
}

/* ---- BAD_WORD: words no legal transition produces --------------------------- */

static bool t_home_valid(void)
{
	static const struct {
		__u64 w;
		bool valid;
		const char *why;
	} v[] = {
		{ H(FREE, NONE, NONE, 0), true, "initial FREE" },
		{ H(FREE, HOST, NONE, 9), true, "destroyed FREE" },
		{ 0, false, "all-zero word (FREE at location 0)" },
		{ H(FREE, FW, NONE, 1), false, "FREE by firmware" },
		{ H(FREE, HOST, 0, 1), false, "FREE with a location" },
		{ H(HOST, HOST, NONE, 1), true, "HOST" },
		{ H(HOST, FW, NONE, 1), false, "HOST by firmware" },
		{ H(HOST, NONE, NONE, 1), false, "HOST by nobody" },
		{ H(HOST, HOST, 1, 1), false, "HOST with a location" },
		{ H(QUEUED, HOST, NONE, 1), true, "QUEUED no hint" },
		{ H(QUEUED, FW, NCPU - 1, 1), true, "QUEUED declined by fw" },
		{ H(QUEUED, NONE, 1, 1), false, "QUEUED by nobody" },
		{ H(QUEUED, HOST, NCPU, 1), false, "QUEUED hint out of range" },
		{ IPUSWAP_HOME(IPUSWAP_TASK_QUEUED, 3, 1, 1), false, "QUEUED unknown owner" },
		{ H(PROPOSE, FW, 0, 1), true, "PROPOSE" },
		{ H(PROPOSE, HOST, 0, 1), false, "PROPOSE by host" },
		{ H(PROPOSE, FW, NONE, 1), false, "PROPOSE to no cpu" },
		{ H(PROPOSE, FW, NCPU, 1), false, "PROPOSE cpu out of range" },
		{ H(COMMIT, HOST, 3, 1), true, "COMMIT" },
		{ H(COMMIT, FW, 3, 1), false, "COMMIT by firmware" },
		{ H(COMMIT, HOST, NONE, 1), false, "COMMIT on no cpu" },
		{ H(COMMIT, HOST, NCPU, 1), false, "COMMIT cpu out of range" },
		{ IPUSWAP_HOME(IPUSWAP_TASK_NR_STATES, IPUSWAP_OWNER_HOST, NONE, 1), false,
		  "unknown state 5" },
		{ IPUSWAP_HOME(0xff, IPUSWAP_OWNER_HOST, NONE, 1), false, "state 255" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		EXPECT(ipuswap_home_valid(v[i].w, NCPU) == v[i].valid,
		       "%s (%#llx) should be %s", v[i].why, (ull)v[i].w,
		       v[i].valid ? "valid" : "invalid");
	return cur_ok;
}

/* Every transition refuses every malformed word, whatever its state. */
static bool t_bad_word(void)
{
	static const __u64 bad[] = {
		0,
		H(FREE, FW, NONE, 1), H(HOST, FW, NONE, 1), H(HOST, HOST, 2, 1),
		H(QUEUED, NONE, 1, 1), H(QUEUED, HOST, NCPU, 1),
		H(PROPOSE, HOST, 1, 1), H(PROPOSE, FW, NCPU, 1), H(PROPOSE, FW, NONE, 1),
		H(COMMIT, FW, 1, 1), H(COMMIT, HOST, NONE, 1), H(COMMIT, HOST, NCPU, 1),
		IPUSWAP_HOME(5, 1, NONE, 1), IPUSWAP_HOME(0x80, 2, 0, 1),
		~0ULL,
	};
	unsigned int i, op;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (op = 0; op < 9; op++) {
			__u64 w = bad[i], s = bad[i];
			enum ipuswap_reason r = IPUSWAP_OK;
			static const char *const n[] = { "create", "enqueue", "stage",
				"take", "self_serve", "decline", "retract", "stop",
				"destroy" };

			switch (op) {
			case 0: r = ipuswap_home_create(&w, &s, NCPU); break;
			case 1: r = ipuswap_home_enqueue(&w, &s, NCPU, 0); break;
			case 2: r = ipuswap_home_stage(&w, &s, NCPU, 0); break;
			case 3: r = ipuswap_home_take(&w, &s, NCPU, 1, 1); break;
			case 4: r = ipuswap_home_self_serve(&w, &s, NCPU, 0); break;
			case 5: r = ipuswap_home_decline(&w, &s, NCPU, IPUSWAP_OWNER_FW); break;
			case 6: r = ipuswap_home_retract(&w, &s, NCPU); break;
			case 7: r = ipuswap_home_stop(&w, &s, NCPU); break;
			case 8: r = ipuswap_home_destroy(&w, &s, NCPU); break;
			}
			EXPECT(r == IPUSWAP_R_BAD_WORD && w == bad[i] && s == bad[i],
			       "%s of %#llx: reason %d, word %#llx", n[op], (ull)bad[i],
			       r, (ull)w);
		}
	}
	/* decline needs a real actor. */
	{
		__u64 w = H(PROPOSE, FW, 1, 1), s = w, before = w;

		REFUSED("decline by nobody",
			ipuswap_home_decline(&w, &s, NCPU, IPUSWAP_OWNER_NONE),
			IPUSWAP_R_BAD_WORD, before, before);
		REFUSED("decline by owner 7", ipuswap_home_decline(&w, &s, NCPU, 7),
			IPUSWAP_R_BAD_WORD, before, before);
	}
	return cur_ok;
}

static bool t_cell_valid(void)
{
	static const struct {
		__u64 w;
		bool valid;
		const char *why;
	} v[] = {
		{ C(EMPTY, 0, 0, 0), true, "EMPTY" },
		{ C(PROPOSE, 0, NTASK - 1, 1), true, "PROPOSE" },
		{ C(PROPOSE, 0, NTASK, 1), false, "PROPOSE idx out of range" },
		{ C(PROPOSE, IPUSWAP_R_STALE, 1, 1), false, "PROPOSE with a reason" },
		{ C(COMMIT, 0, 1, 1), true, "COMMIT" },
		{ C(COMMIT, IPUSWAP_R_SELF_SERVED, 1, 1), false, "COMMIT with a reason" },
		{ C(COMMIT, 0, 0xffff, 1), false, "COMMIT idx 0xffff" },
		{ C(ABORT, IPUSWAP_R_STALE, 1, 1), true, "ABORT stale" },
		{ C(ABORT, IPUSWAP_R_SELF_SERVED, 1, 1), true, "ABORT self-served" },
		{ C(ABORT, IPUSWAP_OK, 1, 1), false, "ABORT without a reason" },
		{ C(ABORT, IPUSWAP_R_SELF_SERVED + 1, 1, 1), false, "ABORT with a host-only reason" },
		{ C(ABORT, 0xff, 1, 1), false, "ABORT reason 255" },
		{ IPUSWAP_CELL(IPUSWAP_CELL_NR_STATES, 0, 0, 0), false, "cell state 4" },
		{ IPUSWAP_CELL(0xff, 0, 0, 0), false, "cell state 255" },
	};
	unsigned int i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		EXPECT(ipuswap_cell_valid(v[i].w, NTASK) == v[i].valid,
		       "%s (%#llx) should be %s", v[i].why, (ull)v[i].w,
		       v[i].valid ? "valid" : "invalid");
	/* Malformed cells are refused by every cell transition. */
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		__u64 w = v[i].w, s = w;

		if (v[i].valid)
			continue;
		EXPECT(ipuswap_cell_propose(&w, &s, NTASK, 1, 1) == IPUSWAP_R_BAD_WORD &&
		       ipuswap_cell_answer(&w, &s, NTASK, IPUSWAP_OK) == IPUSWAP_R_BAD_WORD &&
		       ipuswap_cell_withdraw(&w, &s, NTASK) == IPUSWAP_R_BAD_WORD &&
		       w == v[i].w && s == v[i].w, "%s not refused by every op", v[i].why);
	}
	return cur_ok;
}

/* ---- repair: the host replaces impossible words with its own view ------- */

static bool t_repair(void)
{
	static const __u64 bad_home[] = {
		0, H(COMMIT, FW, 1, 7), H(PROPOSE, FW, NCPU, 8),
		IPUSWAP_HOME(9, 1, NONE, 0xffffffffu), ~0ULL,
	};
	static const __u64 good_home[] = {
		H(FREE, NONE, NONE, 1), H(HOST, HOST, NONE, 2), H(QUEUED, FW, 1, 3),
		H(PROPOSE, FW, 2, 4), H(COMMIT, HOST, 3, 5),
	};
	static const __u64 bad_cell[] = {
		C(PROPOSE, 0, NTASK, 1), C(ABORT, IPUSWAP_OK, 1, 1),
		IPUSWAP_CELL(7, 0, 0, 0), ~0ULL,
	};
	static const __u64 good_cell[] = {
		C(EMPTY, 0, 0, 0), C(PROPOSE, 0, 1, 1), C(COMMIT, 0, 1, 1),
		C(ABORT, IPUSWAP_R_STALE, 1, 1),
	};
	unsigned int i;
	__u64 w, s;

	for (i = 0; i < sizeof(bad_home) / sizeof(bad_home[0]); i++) {
		w = s = bad_home[i];
		DONE("home repair", ipuswap_home_repair(&w, &s, NCPU),
		     H(HOST, HOST, NONE, IPUSWAP_HOME_VER(bad_home[i]) + 1));
		/* Lost race: another repair (or anything) got there first. */
		w = H(HOST, HOST, NONE, 3);
		s = bad_home[i];
		EXPECT(ipuswap_home_repair(&w, &s, NCPU) == IPUSWAP_R_STALE &&
		       w == H(HOST, HOST, NONE, 3) && s == w, "home repair race");
	}
	for (i = 0; i < sizeof(good_home) / sizeof(good_home[0]); i++) {
		w = s = good_home[i];
		REFUSED("home repair of a valid word", ipuswap_home_repair(&w, &s, NCPU),
			IPUSWAP_R_STATE, good_home[i], good_home[i]);
	}
	for (i = 0; i < sizeof(bad_cell) / sizeof(bad_cell[0]); i++) {
		w = s = bad_cell[i];
		DONE("cell repair", ipuswap_cell_repair(&w, &s, NTASK), C(EMPTY, 0, 0, 0));
	}
	for (i = 0; i < sizeof(good_cell) / sizeof(good_cell[0]); i++) {
		w = s = good_cell[i];
		REFUSED("cell repair of a valid word", ipuswap_cell_repair(&w, &s, NTASK),
			IPUSWAP_R_STATE, good_cell[i], good_cell[i]);
	}
	return cur_ok;
}

/* ---- layout ------------------------------------------------------------------ */

static bool t_layout(void)
{
	struct ipuswap_layout l;
	__u64 region = WIN - IPUSWAP_HDR_SIZE;
	__u32 n;

	EXPECT(ipuswap_layout(IPUSWAP_HDR_SIZE, region, 0, &l) == -1, "0 cpus accepted");
	EXPECT(ipuswap_layout(IPUSWAP_HDR_SIZE, 1ULL << 30, IPUSWAP_MAX_CPUS + 1, &l) == -1,
	       "4097 cpus accepted");
	EXPECT(!ipuswap_layout(IPUSWAP_HDR_SIZE, 1ULL << 30, IPUSWAP_MAX_CPUS, &l),
	       "4096 cpus refused in 1 GiB");

	EXPECT(!ipuswap_layout(IPUSWAP_HDR_SIZE, region, 1, &l), "1 cpu refused");
	EXPECT(l.nr_cpus == 1 && l.cpu_words == 1 && l.task_stride == 64 &&
	       l.cells_offset == IPUSWAP_HDR_SIZE &&
	       l.tasks_offset == IPUSWAP_HDR_SIZE + 64 &&
	       l.nr_tasks == (region - 64) / 64,
	       "1 cpu: words %u stride %u tasks %u cells@%llu tasks@%llu",
	       l.cpu_words, l.task_stride, l.nr_tasks, (ull)l.cells_offset,
	       (ull)l.tasks_offset);
	EXPECT(!ipuswap_layout(IPUSWAP_HDR_SIZE, region, 65, &l) &&
	       l.cpu_words == 2 && l.task_stride == 64, "65 cpus: words %u stride %u",
	       l.cpu_words, l.task_stride);
	EXPECT(!ipuswap_layout(IPUSWAP_HDR_SIZE, 1 << 20, 257, &l) &&
	       l.cpu_words == 5 && l.task_stride == 128, "257 cpus: words %u stride %u",
	       l.cpu_words, l.task_stride);
	EXPECT(!ipuswap_layout(IPUSWAP_HDR_SIZE, 1ULL << 30, 4096, &l) &&
	       l.cpu_words == 64 && l.task_stride == 576 && l.nr_tasks == IPUSWAP_MAX_TASKS,
	       "4096 cpus: words %u stride %u tasks %u", l.cpu_words, l.task_stride,
	       l.nr_tasks);
	/* A big region is capped at 16-bit indices. */
	EXPECT(!ipuswap_layout(IPUSWAP_HDR_SIZE, 1ULL << 30, 2, &l) &&
	       l.nr_tasks == IPUSWAP_MAX_TASKS, "cap: %u tasks", l.nr_tasks);

	for (n = 1; n <= IPUSWAP_MAX_CPUS; n++) {
		__u64 r = 1ULL << 30;

		if (ipuswap_layout(IPUSWAP_HDR_SIZE, r, n, &l)) {
			EXPECT(0, "%u cpus refused in 1 GiB", n);
			break;
		}
		EXPECT(l.task_stride % IPUSWAP_CACHELINE == 0 &&
		       l.task_stride >= sizeof(struct ipuswap_task) + 8 * l.cpu_words &&
		       l.cpu_words * 64 >= n && (l.cpu_words - 1) * 64 < n &&
		       l.tasks_offset == l.cells_offset + (__u64)n * 64 &&
		       l.tasks_offset + (__u64)l.nr_tasks * l.task_stride <=
		       IPUSWAP_HDR_SIZE + r, "geometry wrong for %u cpus", n);
		if (!cur_ok)
			break;
	}
	/* Too small: fewer than 64 tasks, or not even the cells. */
	EXPECT(ipuswap_layout(IPUSWAP_HDR_SIZE, 64 * 64 + 63 * 64, 64, &l) == -1,
	       "63 task slots accepted");
	EXPECT(!ipuswap_layout(IPUSWAP_HDR_SIZE, 64 * 64 + 64 * 64, 64, &l) &&
	       l.nr_tasks == 64, "exactly 64 task slots refused");
	EXPECT(ipuswap_layout(IPUSWAP_HDR_SIZE, 100, 4, &l) == -1, "cells overflow accepted");
	EXPECT(ipuswap_layout(IPUSWAP_HDR_SIZE, 0, 1, &l) == -1, "empty region accepted");
	return cur_ok;
}

/* ---- the PCIe model ----------------------------------------------------------- */

struct probe {
	struct fw_pcie_op op;
	uint64_t ran_at;
};

static void probe_exec(struct fw_pcie_op *op)
{
	((struct probe *)op)->ran_at = fw_pcie_clock();
}

static bool t_pcie_model(void)
{
	struct fw_pcie_cfg cfg;
	struct fw_pcie p;
	struct probe a = { .op.exec = probe_exec }, b = { .op.exec = probe_exec },
		     c = { .op.exec = probe_exec };
	struct fw_pcie_op *got;
	uint64_t t0, t;
	__u64 word = 42;

	fw_pcie_cfg_default(&cfg);
	EXPECT(!fw_pcie_cfg_check(&cfg), "defaults refused");
	cfg.read_ns = -1;
	EXPECT(fw_pcie_cfg_check(&cfg), "negative latency accepted");
	cfg.read_ns = 0.0 / 0.0;
	EXPECT(fw_pcie_cfg_check(&cfg), "NaN latency accepted");
	fw_pcie_cfg_default(&cfg);
	cfg.max_inflight = 0;
	EXPECT(fw_pcie_cfg_check(&cfg), "0 in flight accepted");

	fw_pcie_cfg_default(&cfg);
	cfg.read_ns = 40000;
	cfg.atomic_ns = 80000;
	cfg.write_ns = 20000;
	cfg.bw_gbps = 0.1;		/* 10 ns per byte */
	cfg.max_inflight = 2;
	fw_pcie_init(&p, &cfg);

	t0 = fw_pcie_clock();
	EXPECT(!fw_pcie_submit(&p, &a.op, FW_PCIE_ATOMIC, 0), "submit a");
	EXPECT(!fw_pcie_submit(&p, &b.op, FW_PCIE_READ, 1000), "submit b");
	EXPECT(fw_pcie_submit(&p, &c.op, FW_PCIE_READ, 8) == -EBUSY,
	       "third op accepted with max_inflight 2");
	EXPECT(!fw_pcie_reap(&p) && !a.op.executed, "completed at once");
	/* Several in flight: the read overtakes the earlier, slower CAS. */
	while (!(got = fw_pcie_reap(&p)))
		fw_pcie_wait(&p);
	t = fw_pcie_clock();
	EXPECT(got == &b.op, "first completion is not the read");
	EXPECT(t - t0 >= 40000 + 10000, "bulk read done after %llu ns, want >= 50000",
	       (ull)(t - t0));
	EXPECT(b.ran_at - t0 >= 20000, "read took effect after %llu ns (< half trip)",
	       (ull)(b.ran_at - t0));
	while (!(got = fw_pcie_reap(&p)))
		fw_pcie_wait(&p);
	t = fw_pcie_clock();
	EXPECT(got == &a.op && t - t0 >= 80000, "CAS done after %llu ns",
	       (ull)(t - t0));
	EXPECT(a.ran_at - t0 >= 40000 && a.ran_at < t, "CAS took effect at %llu ns",
	       (ull)(a.ran_at - t0));
	EXPECT(!fw_pcie_inflight(&p) && !fw_pcie_wait(&p), "ops left over");

	t0 = fw_pcie_clock();
	EXPECT(fw_pcie_read64(&p, &word) == 42, "read64 value");
	EXPECT(fw_pcie_clock() - t0 >= 40000, "read64 took %llu ns",
	       (ull)(fw_pcie_clock() - t0));
	t0 = fw_pcie_clock();
	fw_pcie_write64(&p, &word, 7);
	EXPECT(word == 7 && fw_pcie_clock() - t0 >= 20000, "write64 took %llu ns",
	       (ull)(fw_pcie_clock() - t0));
	/* Scale multiplies every cost. */
	cfg.scale = 3;
	fw_pcie_init(&p, &cfg);
	t0 = fw_pcie_clock();
	fw_pcie_read64(&p, &word);
	EXPECT(fw_pcie_clock() - t0 >= 120000, "scaled read64 took %llu ns",
	       (ull)(fw_pcie_clock() - t0));
	/* A crash: outstanding operations never take effect. */
	a.op.executed = false;
	EXPECT(!fw_pcie_submit(&p, &a.op, FW_PCIE_ATOMIC, 0), "submit");
	fw_pcie_abandon(&p);
	EXPECT(!fw_pcie_inflight(&p) && !fw_pcie_reap(&p) && !a.op.executed,
	       "abandoned op still there");
	return cur_ok;
}

/* ---- the engine on a window ------------------------------------------------- */

struct win {
	void *mem;
	struct ipuswap_window_hdr *h;
	struct ipuswap_layout l;
};

static void win_init(struct win *w, __u32 ncpu)
{
	__u32 i;

	w->h = test_window(WIN, ncpu);
	w->mem = w->h;
	ipuswap_layout(w->h->region_offset, w->h->region_size, ncpu, &w->l);
	for (i = 0; i < w->l.nr_tasks; i++)
		ipuswap_task_at(w->mem, &w->l, i)->home = H(FREE, NONE, NONE, 0);
}

static struct ipuswap_task *task(struct win *w, __u32 i)
{
	return ipuswap_task_at(w->mem, &w->l, i);
}

static __u64 *cell(struct win *w, __u32 cpu)
{
	return &ipuswap_cell_at(w->mem, &w->l, cpu)->decision;
}

/* A runnable task with weight and allowed CPUs as given. */
static void queued(struct win *w, __u32 i, __u32 weight, __u64 cpus, __u32 ver)
{
	struct ipuswap_task *t = task(w, i);

	t->weight = weight;
	t->cpus[0] = cpus;
	t->home = H(QUEUED, HOST, NONE, ver);
}

static void zero_model(struct fw_pcie *p)
{
	struct fw_pcie_cfg cfg;

	fw_pcie_cfg_default(&cfg);
	cfg.read_ns = cfg.write_ns = cfg.atomic_ns = 0;
	fw_pcie_init(p, &cfg);
}

static void steps(struct fw_sched *s, unsigned int n)
{
	while (n--)
		if (fw_sched_step(s) < 0)
			break;
}

static bool t_hdr_validate(void)
{
	struct fw_sched_cfg cfg = { 0 };
	struct ipuswap_layout l;
	struct win w;
	struct ipuswap_window_hdr h;
	struct fw_pcie p;
	struct fw_sched *s;
	enum fw_sched_hdr_err err;

	win_init(&w, 4);
	h = *w.h;
	EXPECT(fw_sched_validate(&h, WIN, &cfg, &l) == FW_HDR_OK, "good header refused");
#define BAD_HDR(field, value, want)					\
	do {								\
		h = *w.h;						\
		h.field = value;					\
		EXPECT(fw_sched_validate(&h, WIN, &cfg, &l) == (want),	\
		       #field " = " #value ": got %d",			\
		       fw_sched_validate(&h, WIN, &cfg, &l));		\
	} while (0)
	BAD_HDR(magic, IPUSWAP_MAGIC ^ 1, FW_HDR_MAGIC);
	BAD_HDR(version, IPUSWAP_WIRE_VERSION + 1, FW_HDR_VERSION);
	BAD_HDR(size, WIN * 2, FW_HDR_SIZE);
	BAD_HDR(region_offset, 0, FW_HDR_REGION);
	BAD_HDR(region_offset, IPUSWAP_HDR_SIZE + 8, FW_HDR_REGION);
	BAD_HDR(region_offset, 0xffffffc0u, FW_HDR_REGION);
	BAD_HDR(region_size, WIN, FW_HDR_REGION);
	BAD_HDR(region_size, ~0ULL, FW_HDR_REGION);
	BAD_HDR(host_state, IPUSWAP_HOST_BOUND, FW_HDR_NOT_SCHED);
	BAD_HDR(host_nr_cpus, 0, FW_HDR_NR_CPUS);
	BAD_HDR(host_nr_cpus, IPUSWAP_MAX_CPUS + 1, FW_HDR_NR_CPUS);
	BAD_HDR(host_nr_cpus, 0xffffffffu, FW_HDR_NR_CPUS);
	BAD_HDR(host_nr_cpus, 900, FW_HDR_LAYOUT);	/* 64K cannot hold it */
	BAD_HDR(region_size, 4096, FW_HDR_LAYOUT);
#undef BAD_HDR
	h = *w.h;
	cfg.cpu_first = 4;
	EXPECT(fw_sched_validate(&h, WIN, &cfg, &l) == FW_HDR_CPU_RANGE, "cpu_first 4 of 4");
	cfg.cpu_first = 2;
	cfg.cpu_count = 3;
	EXPECT(fw_sched_validate(&h, WIN, &cfg, &l) == FW_HDR_CPU_RANGE, "cpus 2..4 of 4");
	cfg.cpu_count = 0xffffffffu;
	EXPECT(fw_sched_validate(&h, WIN, &cfg, &l) == FW_HDR_CPU_RANGE, "count overflow");

	/* create reads the header through the model and refuses the same way. */
	zero_model(&p);
	memset(&cfg, 0, sizeof(cfg));
	w.h->host_nr_cpus = 0;
	EXPECT(fw_sched_create(&s, w.mem, WIN, &p, &cfg, &err) == -EINVAL &&
	       err == FW_HDR_NR_CPUS && !s, "create with 0 cpus: err %d", err);
	w.h->host_nr_cpus = 4;
	EXPECT(fw_sched_create(&s, w.mem, WIN / 2, &p, &cfg, &err) == -EINVAL &&
	       err == FW_HDR_SIZE, "create with a wrong size: err %d", err);
	EXPECT(fw_sched_create(&s, w.mem, 100, &p, &cfg, &err) == -EINVAL,
	       "create with a 100-byte window");
	EXPECT(!fw_sched_create(&s, w.mem, WIN, &p, &cfg, &err) && s, "create: %d", err);
	EXPECT(fw_sched_layout(s)->nr_cpus == 4, "layout");
	fw_sched_destroy(s);
	free(w.mem);
	return cur_ok;
}

/* One task, one CPU allowed: staged and proposed there, nothing else. */
static bool t_engine_stages(void)
{
	struct fw_sched_cfg cfg = { 0 };
	struct fw_sched *s;
	enum fw_sched_hdr_err err;
	struct fw_pcie p;
	struct win w;
	__u64 hw, cw, seen;
	__u32 cpu;

	win_init(&w, 4);
	queued(&w, 3, 100, 1u << 2, 10);
	zero_model(&p);
	EXPECT(!fw_sched_create(&s, w.mem, WIN, &p, &cfg, &err), "create");
	steps(s, 200);
	hw = task(&w, 3)->home;
	EXPECT(hw == H(PROPOSE, FW, 2, 11), "home %#llx", (ull)hw);
	cw = *cell(&w, 2);
	EXPECT(cw == C(PROPOSE, 0, 3, 11), "cell 2 %#llx", (ull)cw);
	for (cpu = 0; cpu < 4; cpu++)
		if (cpu != 2)
			EXPECT(*cell(&w, cpu) == 0, "cell %u touched", cpu);
	EXPECT(fw_sched_stats(s)->ok[FW_OP_STAGE] == 1 &&
	       fw_sched_stats(s)->ok[FW_OP_PROPOSE] == 1, "counts");

	/* The host takes and answers; the engine counts it and charges vtime. */
	seen = hw;
	EXPECT(!ipuswap_home_take(&task(&w, 3)->home, &seen, 4, 2, 11), "take");
	seen = cw;
	EXPECT(!ipuswap_cell_answer(cell(&w, 2), &seen, w.l.nr_tasks, IPUSWAP_OK), "answer");
	steps(s, 200);
	EXPECT(fw_sched_stats(s)->answers_commit == 1, "commit not counted");
	EXPECT(task(&w, 3)->fw_vtime == FW_SCHED_SLICE_NS, "vtime %llu",
	       (ull)task(&w, 3)->fw_vtime);
	EXPECT(*cell(&w, 2) == C(COMMIT, 0, 3, 11), "cell refilled with nothing to run");
	fw_sched_destroy(s);
	free(w.mem);
	return cur_ok;
}

/* Invalid attributes and impossible home words: counted, never staged. */
static bool t_engine_refuses_bad_tasks(void)
{
	struct fw_sched_cfg cfg = { 0 };
	const struct fw_sched_stats *st;
	struct fw_sched *s;
	enum fw_sched_hdr_err err;
	struct fw_pcie p;
	struct win w;
	__u32 i;

	win_init(&w, 4);
	queued(&w, 0, 0, 0xf, 1);			/* weight 0 */
	queued(&w, 1, FW_SCHED_WEIGHT_MAX + 1, 0xf, 1);	/* weight too big */
	queued(&w, 2, 100, 0, 1);			/* no CPU */
	queued(&w, 3, 100, ~0xfULL, 1);			/* only CPUs >= nr_cpus */
	task(&w, 4)->home = H(COMMIT, FW, 1, 1);	/* a firmware COMMIT */
	task(&w, 5)->home = H(PROPOSE, FW, 9, 1);	/* CPU out of range */
	task(&w, 6)->home = IPUSWAP_HOME(7, 1, 0, 1);	/* unknown state */
	task(&w, 7)->home = 0;				/* never initialised */
	zero_model(&p);
	EXPECT(!fw_sched_create(&s, w.mem, WIN, &p, &cfg, &err), "create");
	steps(s, 500);
	st = fw_sched_stats(s);
	EXPECT(st->bad_weight == 2 && st->bad_cpus == 2 && st->bad_home == 4,
	       "bad_weight %llu bad_cpus %llu bad_home %llu (counted once each?)",
	       (ull)st->bad_weight, (ull)st->bad_cpus, (ull)st->bad_home);
	EXPECT(st->ok[FW_OP_STAGE] == 0, "staged a bad task");
	for (i = 0; i < 4; i++)
		EXPECT(*cell(&w, i) == 0, "cell %u written", i);
	EXPECT(task(&w, 4)->home == H(COMMIT, FW, 1, 1) && task(&w, 7)->home == 0,
	       "bad home word rewritten");
	fw_sched_destroy(s);
	free(w.mem);
	return cur_ok;
}

/* Garbage everywhere: the engine must not crash, read out of bounds or hang. */
static bool t_engine_garbage(void)
{
	struct fw_sched_cfg cfg = { 0 };
	const struct fw_sched_stats *st;
	struct fw_sched *s;
	enum fw_sched_hdr_err err;
	struct fw_pcie p;
	struct win w;
	uint64_t x = 12345;
	__u64 *q, before[8];
	unsigned int nbad, c;
	size_t i, n;
	int round;

	for (round = 0; round < 20; round++) {
		win_init(&w, 1 + round % 7);
		q = (__u64 *)((char *)w.mem + IPUSWAP_HDR_SIZE);
		n = (WIN - IPUSWAP_HDR_SIZE) / 8;
		for (i = 0; i < n; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			/* Some words decode as almost plausible, most do not. */
			q[i] = round % 2 ? x : (x & 0xffffffff00ff0707ULL);
		}
		nbad = 0;
		for (c = 0; c < w.l.nr_cpus; c++) {
			before[c] = *cell(&w, c);
			nbad += !ipuswap_cell_valid(before[c], w.l.nr_tasks);
		}
		zero_model(&p);
		if (fw_sched_create(&s, w.mem, WIN, &p, &cfg, &err)) {
			EXPECT(0, "create on a garbage region: %d", err);
			free(w.mem);
			break;
		}
		steps(s, 3000);
		st = fw_sched_stats(s);
		EXPECT(st->bad_home > 0 && st->bad_cell == nbad,
		       "round %d: bad_home %llu bad_cell %llu, %u bad cells", round,
		       (ull)st->bad_home, (ull)st->bad_cell, nbad);
		/* A malformed cell has no legal transition: left as it was. */
		for (c = 0; c < w.l.nr_cpus; c++)
			if (!ipuswap_cell_valid(before[c], w.l.nr_tasks))
				EXPECT(*cell(&w, c) == before[c], "bad cell %u rewritten", c);
		fw_sched_destroy(s);
		free(w.mem);
	}
	return cur_ok;
}

/*
 * Restart: a new engine finds proposals a previous one left. A live one
 * (home still PROPOSE at the cell's version) is left for the host; a dead
 * one (the home moved on by two transitions) is withdrawn and the cell
 * refilled.
 */
static bool t_engine_restart(void)
{
	struct fw_sched_cfg cfg = { 0 };
	struct fw_sched *s;
	enum fw_sched_hdr_err err;
	struct fw_pcie p;
	struct win w;

	win_init(&w, 2);
	task(&w, 0)->weight = 100;
	task(&w, 0)->cpus[0] = 3;
	task(&w, 0)->home = H(PROPOSE, FW, 0, 5);
	*cell(&w, 0) = C(PROPOSE, 0, 0, 5);		/* live */
	task(&w, 1)->weight = 100;
	task(&w, 1)->cpus[0] = 3;
	task(&w, 1)->home = H(HOST, HOST, NONE, 9);	/* took, stopped */
	*cell(&w, 1) = C(PROPOSE, 0, 1, 7);		/* dead */
	queued(&w, 2, 100, 3, 1);
	zero_model(&p);
	EXPECT(!fw_sched_create(&s, w.mem, WIN, &p, &cfg, &err), "create");
	steps(s, 500);
	EXPECT(*cell(&w, 0) == C(PROPOSE, 0, 0, 5) &&
	       task(&w, 0)->home == H(PROPOSE, FW, 0, 5), "live proposal disturbed");
	EXPECT(fw_sched_stats(s)->ok[FW_OP_WITHDRAW] == 1, "dead proposal not withdrawn");
	EXPECT(*cell(&w, 1) == C(PROPOSE, 0, 2, 2) &&
	       task(&w, 2)->home == H(PROPOSE, FW, 1, 2),
	       "cell 1 not refilled: %#llx, task 2 %#llx", (ull)*cell(&w, 1),
	       (ull)task(&w, 2)->home);
	/* Crash with operations in flight, start again: same words. */
	fw_sched_destroy(s);
	EXPECT(!fw_sched_create(&s, w.mem, WIN, &p, &cfg, &err), "create again");
	steps(s, 500);
	EXPECT(*cell(&w, 0) == C(PROPOSE, 0, 0, 5) && *cell(&w, 1) == C(PROPOSE, 0, 2, 2),
	       "second incarnation changed live proposals");
	fw_sched_destroy(s);
	free(w.mem);
	return cur_ok;
}

/* The cell changed between stage and propose: the task goes back. */
static __u64 *race_cell;

static void steal_cell(void *arg, uint32_t idx, uint32_t cpu, uint64_t word,
		       uint64_t t_ns)
{
	(void)arg, (void)idx, (void)cpu, (void)word, (void)t_ns;
	if (race_cell) {
		*race_cell = C(PROPOSE, 0, 60, 1);	/* someone else's */
		race_cell = NULL;
	}
}

static bool t_engine_propose_fails(void)
{
	struct fw_sched_cfg cfg = { .on_stage = steal_cell };
	const struct fw_sched_stats *st;
	struct fw_sched *s;
	enum fw_sched_hdr_err err;
	struct fw_pcie p;
	struct win w;

	win_init(&w, 1);
	queued(&w, 0, 100, 1, 4);
	race_cell = cell(&w, 0);
	zero_model(&p);
	EXPECT(!fw_sched_create(&s, w.mem, WIN, &p, &cfg, &err), "create");
	steps(s, 300);
	st = fw_sched_stats(s);
	EXPECT(st->aborts[FW_OP_PROPOSE][IPUSWAP_R_STALE] == 1, "propose did not fail stale");
	EXPECT(st->ok[FW_OP_DECLINE] == 1, "not declined");
	EXPECT(task(&w, 0)->home == H(QUEUED, FW, 0, 6), "home %#llx",
	       (ull)task(&w, 0)->home);
	EXPECT(*cell(&w, 0) == C(PROPOSE, 0, 60, 1), "the other proposal was touched");
	fw_sched_destroy(s);
	free(w.mem);
	return cur_ok;
}

/* Only the CPUs configured are served; a header change stops the engine. */
static bool t_engine_range_and_stale_hdr(void)
{
	struct fw_sched_cfg cfg = { .cpu_first = 2, .cpu_count = 2 };
	struct fw_sched *s;
	enum fw_sched_hdr_err err;
	struct fw_pcie p;
	struct win w;
	unsigned int i;
	int r = 0;

	win_init(&w, 4);
	for (i = 0; i < 8; i++)
		queued(&w, i, 100, 0xf, 1);
	zero_model(&p);
	EXPECT(!fw_sched_create(&s, w.mem, WIN, &p, &cfg, &err), "create");
	steps(s, 300);
	EXPECT(*cell(&w, 0) == 0 && *cell(&w, 1) == 0, "served CPUs it does not own");
	EXPECT(IPUSWAP_CELL_STATE(*cell(&w, 2)) == IPUSWAP_CELL_PROPOSE &&
	       IPUSWAP_CELL_STATE(*cell(&w, 3)) == IPUSWAP_CELL_PROPOSE, "own CPUs idle");
	w.h->host_nr_cpus = 3;
	for (i = 0; i < 200000 && r >= 0; i++)
		r = fw_sched_step(s);
	EXPECT(r == -ESTALE, "header change not noticed (%d)", r);
	fw_sched_destroy(s);
	free(w.mem);
	return cur_ok;
}

/* ---- host sequences (ipuswap_host.h) --------------------------------------- */

/* The host's memory as a test sets it; the hooks read and count here. */
struct th {
	struct ipuswap_host host;	/* first: the hooks cast back */
	bool used[NTASK], queued[NTASK], online[NCPU];
	__u8 defer[NTASK];
	unsigned int counted[IPUSWAP_NR_REASONS];
};

static struct th *th_of(const struct ipuswap_host *h)
{
	return (struct th *)h;
}

static bool th_in_use(const struct ipuswap_host *h, __u32 idx)
{
	return idx < NTASK && th_of(h)->used[idx];
}

static bool th_queued(const struct ipuswap_host *h, __u32 idx)
{
	return th_of(h)->queued[idx];
}

static void th_set_queued(const struct ipuswap_host *h, __u32 idx, bool on)
{
	th_of(h)->queued[idx] = on;
}

static bool th_claim(const struct ipuswap_host *h, __u32 idx)
{
	bool was = th_of(h)->queued[idx];

	th_of(h)->queued[idx] = false;
	return was;
}

static bool th_online(const struct ipuswap_host *h, __u32 cpu)
{
	return th_of(h)->online[cpu];
}

static void th_count(const struct ipuswap_host *h, enum ipuswap_reason why)
{
	th_of(h)->counted[why]++;
}

static const struct ipuswap_host_ops th_ops = {
	.in_use = th_in_use, .queued = th_queued, .set_queued = th_set_queued,
	.claim = th_claim, .cpu_online = th_online, .count = th_count,
};

/* A window with every slot in use and HOST at version 1, CPUs online. */
static struct th *th_new(void)
{
	struct th *t = calloc(1, sizeof(*t));
	struct ipuswap_window_hdr *w = test_window(WIN, NCPU);
	unsigned int i;

	if (!t || ipuswap_layout(w->region_offset, w->region_size, NCPU, &t->host.l))
		abort();
	t->host.win = w;
	t->host.ops = &th_ops;
	t->host.defer = t->defer;
	for (i = 0; i < NTASK; i++) {
		t->used[i] = true;
		*ipuswap_host_home_at(&t->host, i) = H(HOST, HOST, NONE, 1);
	}
	for (i = 0; i < NCPU; i++)
		t->online[i] = true;
	return t;
}

static void th_free(struct th *t)
{
	free(t->host.win);
	free(t);
}

#define HOME(t, i)	(*ipuswap_host_home_at(&(t)->host, i))
#define CELLW(t, c)	(*ipuswap_host_cell_at(&(t)->host, c))

static bool t_host_take(void)
{
	struct th *t = th_new();
	enum ipuswap_reason r;
	__u64 prop, held = 0;

	/* Success: PROPOSE(1, v9) named by the cell at v9. */
	HOME(t, 5) = H(PROPOSE, FW, 1, 9);
	CELLW(t, 1) = C(PROPOSE, 0, 5, 9);
	t->queued[5] = true;
	r = ipuswap_host_take(&t->host, 1, 5, true, &prop, &held);
	EXPECT(!r && held == H(COMMIT, HOST, 1, 10) && HOME(t, 5) == held, "take: %d %#llx",
	       r, (ull)HOME(t, 5));
	EXPECT(CELLW(t, 1) == C(COMMIT, 0, 5, 9) && prop == C(PROPOSE, 0, 5, 9), "answer");
	EXPECT(!t->queued[5], "queued bit kept after take");

	/* The cell names another version: STALE, home untouched. */
	HOME(t, 5) = H(PROPOSE, FW, 1, 12);
	CELLW(t, 1) = C(PROPOSE, 0, 5, 11);
	r = ipuswap_host_take(&t->host, 1, 5, true, &prop, &held);
	EXPECT(r == IPUSWAP_R_STALE && HOME(t, 5) == H(PROPOSE, FW, 1, 12), "moved: %d", r);
	EXPECT(CELLW(t, 1) == C(ABORT, IPUSWAP_R_STALE, 5, 11), "stale answer");

	/* Another CPU has it: TAKEN; the firmware declined it: DECLINED. */
	HOME(t, 5) = H(COMMIT, HOST, 2, 13);
	CELLW(t, 1) = C(PROPOSE, 0, 5, 12);
	r = ipuswap_host_take(&t->host, 1, 5, true, &prop, &held);
	EXPECT(r == IPUSWAP_R_SELF_SERVED && CELLW(t, 1) == C(ABORT, IPUSWAP_R_SELF_SERVED, 5, 12),
	       "taken: %d", r);
	HOME(t, 5) = H(QUEUED, FW, 1, 13);
	CELLW(t, 1) = C(PROPOSE, 0, 5, 12);
	r = ipuswap_host_take(&t->host, 1, 5, true, &prop, &held);
	EXPECT(r == IPUSWAP_R_DECLINED && CELLW(t, 1) == C(ABORT, IPUSWAP_R_DECLINED, 5, 12),
	       "declined: %d", r);

	/* Not allowed: the standing proposal goes back to the runqueue. */
	HOME(t, 5) = H(PROPOSE, FW, 1, 20);
	CELLW(t, 1) = C(PROPOSE, 0, 5, 20);
	r = ipuswap_host_take(&t->host, 1, 5, false, &prop, &held);
	EXPECT(r == IPUSWAP_R_NOT_ALLOWED && HOME(t, 5) == H(QUEUED, HOST, 1, 21), "not allowed");
	EXPECT(CELLW(t, 1) == C(ABORT, IPUSWAP_R_NOT_ALLOWED, 5, 20), "not-allowed answer");
	/* ... but one proposed for another CPU is not ours to decline. */
	HOME(t, 5) = H(PROPOSE, FW, 2, 22);
	CELLW(t, 1) = C(PROPOSE, 0, 5, 22);
	r = ipuswap_host_take(&t->host, 1, 5, false, &prop, &held);
	EXPECT(r == IPUSWAP_R_NOT_ALLOWED && HOME(t, 5) == H(PROPOSE, FW, 2, 22),
	       "declined another CPU's proposal");

	/* The cell proposes something else: nothing happens. */
	CELLW(t, 1) = C(PROPOSE, 0, 6, 22);
	r = ipuswap_host_take(&t->host, 1, 5, true, &prop, &held);
	EXPECT(r == IPUSWAP_R_NO_PROPOSAL && CELLW(t, 1) == C(PROPOSE, 0, 6, 22), "no proposal");

	/* A garbage home word is repaired to the host's view, and counted. */
	HOME(t, 7) = 0xdeadbeefcafe00ffULL;
	CELLW(t, 2) = C(PROPOSE, 0, 7, 0xdeadbeef);
	t->queued[7] = true;
	r = ipuswap_host_take(&t->host, 2, 7, true, &prop, &held);
	EXPECT(r == IPUSWAP_R_STALE && HOME(t, 7) == H(QUEUED, HOST, NONE, 0xdeadbef1) &&
	       t->counted[IPUSWAP_R_BAD_WORD] == 1, "repair: %d %#llx", r, (ull)HOME(t, 7));
	th_free(t);
	return cur_ok;
}

static bool t_host_peek(void)
{
	struct th *t = th_new();
	__u32 idx = 0;

	EXPECT(ipuswap_host_peek(&t->host, 0, &idx) == IPUSWAP_R_NO_PROPOSAL, "empty cell");
	CELLW(t, 0) = C(PROPOSE, 0, 3, 4);
	EXPECT(!ipuswap_host_peek(&t->host, 0, &idx) && idx == 3, "proposal");
	t->used[3] = false;
	EXPECT(ipuswap_host_peek(&t->host, 0, &idx) == IPUSWAP_R_BAD_INDEX &&
	       CELLW(t, 0) == C(ABORT, IPUSWAP_R_BAD_INDEX, 3, 4), "slot not in use");
	CELLW(t, 0) = IPUSWAP_CELL(7, 0, 1, 1);
	EXPECT(ipuswap_host_peek(&t->host, 0, &idx) == IPUSWAP_R_BAD_WORD && CELLW(t, 0) == 0 &&
	       t->counted[IPUSWAP_R_BAD_WORD] == 1, "garbage cell");
	th_free(t);
	return cur_ok;
}

static bool t_host_self_serve(void)
{
	struct th *t = th_new();
	__u64 held = 0;

	HOME(t, 1) = H(QUEUED, HOST, NONE, 3);
	t->queued[1] = true;
	EXPECT(!ipuswap_host_self_serve(&t->host, 1, 0, false, &held) &&
	       held == H(COMMIT, HOST, 0, 4) && !t->queued[1], "queued");
	EXPECT(ipuswap_host_self_serve(&t->host, 1, 0, false, &held) == IPUSWAP_R_STATE,
	       "not queued");
	/* Proposed to online CPU 2 (its cell too): left to it, unless stealing or offline. */
	HOME(t, 1) = H(PROPOSE, FW, 2, 8);
	CELLW(t, 2) = C(PROPOSE, 0, 1, 8);
	t->queued[1] = true;
	EXPECT(ipuswap_host_self_serve(&t->host, 1, 0, false, &held) == IPUSWAP_R_ELSEWHERE &&
	       HOME(t, 1) == H(PROPOSE, FW, 2, 8), "left to its CPU");
	EXPECT(!ipuswap_host_self_serve(&t->host, 1, 0, true, &held) &&
	       held == H(COMMIT, HOST, 0, 9), "steal");
	HOME(t, 1) = H(PROPOSE, FW, 2, 10);
	CELLW(t, 2) = C(PROPOSE, 0, 1, 10);
	t->queued[1] = true;
	t->online[2] = false;
	EXPECT(!ipuswap_host_self_serve(&t->host, 1, 0, false, &held) &&
	       held == H(COMMIT, HOST, 0, 11), "its CPU is offline");
	/* Proposed to this CPU: simply served. */
	HOME(t, 1) = H(PROPOSE, FW, 0, 12);
	t->queued[1] = true;
	EXPECT(!ipuswap_host_self_serve(&t->host, 1, 0, false, &held), "own proposal");
	th_free(t);
	return cur_ok;
}

static bool t_host_lifecycle(void)
{
	struct th *t = th_new();
	__u64 held = 0;

	HOME(t, 2) = H(FREE, HOST, NONE, 4);
	EXPECT(!ipuswap_host_create(&t->host, 2, &held) && held == H(HOST, HOST, NONE, 5),
	       "create");
	EXPECT(!ipuswap_host_enqueue(&t->host, 2, 99, &held) &&
	       held == H(QUEUED, HOST, NONE, 6) && t->queued[2], "enqueue, hint out of range");
	EXPECT(ipuswap_host_enqueue(&t->host, 2, 1, &held) == IPUSWAP_R_STATE &&
	       t->queued[2], "enqueue twice");
	EXPECT(!ipuswap_host_retract(&t->host, 2, &held) && held == H(HOST, HOST, NONE, 7) &&
	       !t->queued[2], "retract");
	EXPECT(ipuswap_host_retract(&t->host, 2, &held) == IPUSWAP_R_STATE, "retract twice");
	EXPECT(ipuswap_host_stop(&t->host, 2, &held) == IPUSWAP_R_STATE, "stop of HOST");
	HOME(t, 2) = H(COMMIT, HOST, 3, 9);
	EXPECT(!ipuswap_host_stop(&t->host, 2, &held) && held == H(HOST, HOST, NONE, 10), "stop");
	/* Destroy takes any word back, garbage included. */
	HOME(t, 2) = 0x1234567800ff00ffULL;
	t->queued[2] = true;
	EXPECT(!ipuswap_host_destroy(&t->host, 2) && HOME(t, 2) == H(FREE, HOST, NONE, 0x1234567a) &&
	       !t->queued[2], "destroy garbage: %#llx", (ull)HOME(t, 2));
	th_free(t);
	return cur_ok;
}

/*
 * Well-formed forgeries over what the host knows (issue 15, finding 2; the
 * fuzz inputs corpus/host/host-*): the queued bit is the host's truth.
 */
static bool t_host_forged(void)
{
	struct th *t = th_new();
	__u64 prop, held = 0;
	unsigned int i;
	enum ipuswap_reason r;

	/* Staged, then FREE forged over it: repaired to QUEUED, then served. */
	HOME(t, 4) = H(FREE, HOST, NONE, 3);
	CELLW(t, 0) = C(PROPOSE, 0, 4, 3);
	t->queued[4] = true;
	r = ipuswap_host_take(&t->host, 0, 4, true, &prop, &held);
	EXPECT(r == IPUSWAP_R_STALE && HOME(t, 4) == H(QUEUED, HOST, NONE, 5) && t->queued[4] &&
	       t->counted[IPUSWAP_R_BAD_WORD] == 1, "forged FREE at take: %d %#llx", r,
	       (ull)HOME(t, 4));
	EXPECT(!ipuswap_host_self_serve(&t->host, 4, 0, false, &held) &&
	       held == H(COMMIT, HOST, 0, 6) && !t->queued[4], "served after the repair");
	/* A COMMIT forged over a queued task: served here, not dropped. */
	HOME(t, 4) = H(COMMIT, HOST, 2, 7);
	t->queued[4] = true;
	EXPECT(!ipuswap_host_self_serve(&t->host, 4, 1, false, &held) &&
	       held == H(COMMIT, HOST, 1, 10) && t->counted[IPUSWAP_R_BAD_WORD] == 2,
	       "forged COMMIT: %#llx", (ull)HOME(t, 4));

	/* PROPOSE(0) with no proposal in CPU 0's cell: nobody will take it. */
	HOME(t, 5) = H(PROPOSE, FW, 0, 3);
	CELLW(t, 0) = 0;
	t->queued[5] = true;
	EXPECT(!ipuswap_host_self_serve(&t->host, 5, 1, false, &held) &&
	       held == H(COMMIT, HOST, 1, 4), "proposal with an empty cell");
	/* Even with its cell, a proposal is left to its CPU a bounded number of times. */
	HOME(t, 5) = H(PROPOSE, FW, 0, 5);
	CELLW(t, 0) = C(PROPOSE, 0, 5, 5);
	t->queued[5] = true;
	t->defer[5] = 0;
	for (i = 0; i < IPUSWAP_HOST_DEFER; i++)
		EXPECT(ipuswap_host_self_serve(&t->host, 5, 1, false, &held) == IPUSWAP_R_ELSEWHERE,
		       "deferral %u", i);
	EXPECT(!ipuswap_host_self_serve(&t->host, 5, 1, false, &held) &&
	       held == H(COMMIT, HOST, 1, 6), "served after %u deferrals", IPUSWAP_HOST_DEFER);

	/* A proposal of a task the host never offered is never committed. */
	HOME(t, 6) = H(PROPOSE, FW, 0, 2);
	CELLW(t, 0) = C(PROPOSE, 0, 6, 2);
	r = ipuswap_host_take(&t->host, 0, 6, true, &prop, &held);
	EXPECT(r == IPUSWAP_R_STALE && HOME(t, 6) == H(PROPOSE, FW, 0, 2) && !t->queued[6] &&
	       CELLW(t, 0) == C(ABORT, IPUSWAP_R_STALE, 6, 2), "take unoffered: %d", r);
	EXPECT(ipuswap_host_self_serve(&t->host, 6, 1, true, &held) == IPUSWAP_R_STALE &&
	       HOME(t, 6) == H(PROPOSE, FW, 0, 2), "self-serve unoffered");
	/* ... and its next enqueue takes it home first (counted). */
	EXPECT(!ipuswap_host_enqueue(&t->host, 6, 1, &held) && held == H(QUEUED, HOST, 1, 4) &&
	       t->queued[6] && t->counted[IPUSWAP_R_BAD_WORD] == 3, "enqueue repairs: %#llx",
	       (ull)HOME(t, 6));
	th_free(t);
	return cur_ok;
}

/* Every reason either protocol can count has its own name. */
static bool t_reason_names(void)
{
	unsigned int i, j;

	for (i = 0; i < IPUSWAP_NR_FITO_REASONS; i++) {
		EXPECT(strcmp(ipuswap_reason_name(i), "?"), "reason %u has no name", i);
		for (j = 0; j < i; j++)
			EXPECT(strcmp(ipuswap_reason_name(i), ipuswap_reason_name(j)),
			       "reasons %u and %u share a name", i, j);
	}
	EXPECT(!strcmp(ipuswap_reason_name(IPUSWAP_NR_FITO_REASONS), "?"), "out of range");
	return cur_ok;
}

/* ---- TAP ------------------------------------------------------------------- */

static const struct tap_test tests[] = {
	{ "home transitions: every success path, new word and seen", t_home_success },
	{ "home version wraps at 2^32", t_version_wraps },
	{ "cell transitions: propose/answer/withdraw success paths", t_cell_success },
	{ "STALE: a moved word fails, is left alone and handed back", t_stale },
	{ "refusals decided from seen alone leave seen as passed", t_seen_not_refreshed },
	{ "take: version must equal the cell's; non-PROPOSE is stale", t_take_version },
	{ "cell STALE: answer/withdraw/propose of a moved cell", t_cell_stale },
	{ "STATE: every illegal source state refused, word unchanged", t_state },
	{ "BAD_INDEX / BAD_CPU refused, word unchanged", t_bad_index_cpu },
	{ "ipuswap_home_valid: state, owner and location rules", t_home_valid },
	{ "BAD_WORD: every transition refuses malformed words", t_bad_word },
	{ "ipuswap_cell_valid and malformed cells refused", t_cell_valid },
	{ "repair: invalid home/cell words -> host view, valid refused", t_repair },
	{ "host take: commit, stale/taken/declined answers, not allowed, repair", t_host_take },
	{ "host peek: garbage repaired, slot not in use answered", t_host_peek },
	{ "host self-serve: left to an online CPU unless stealing", t_host_self_serve },
	{ "host create/enqueue/retract/stop/destroy and the queued bit", t_host_lifecycle },
	{ "host: forged words never drop, strand or run an unoffered task", t_host_forged },
	{ "reason names: one per reason, none shared", t_reason_names },
	{ "ipuswap_layout: sizes, limits, cache-aligned stride", t_layout },
	{ "fw_pcie: latencies, several in flight, bulk bandwidth, scale", t_pcie_model },
	{ "fw_sched: header validation refuses every bad field", t_hdr_validate },
	{ "fw_sched: stages an allowed task, counts the answer", t_engine_stages },
	{ "fw_sched: invalid tasks counted and never staged", t_engine_refuses_bad_tasks },
	{ "fw_sched: garbage cells and home words, no crash", t_engine_garbage },
	{ "fw_sched: restart keeps live proposals, withdraws dead", t_engine_restart },
	{ "fw_sched: failed propose declines the staged task", t_engine_propose_fails },
	{ "fw_sched: CPU range honoured, header change -> -ESTALE",
	  t_engine_range_and_stale_hdr },
};

int main(void)
{
	return tap_run("swap", tests, sizeof(tests) / sizeof(tests[0]));
}
