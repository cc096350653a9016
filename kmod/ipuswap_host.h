/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ipuswap_host.h - the host's sequences of swap transitions, defined once.
 *
 * Each host operation of the protocol (peek, take, self-serve, enqueue,
 * retract, stop, create, destroy) is a short sequence of the transitions in
 * ipuswap_swap.h: load and check a word, repair it if no legal transition
 * could have produced it, perform one transition, answer the cell. The
 * module's kfuncs (ipuswap_sched.c) and the native twin's host
 * (ipu-firmware/twin/host.c) both run these functions, so the twin tests
 * the host the module is.
 *
 * What differs between the two is what the host knows in its own memory,
 * reached through struct ipuswap_host_ops: which slots are in use, which
 * it offered and nobody claimed since ("queued"), which CPUs are online,
 * and where aborts are counted.
 *
 * The queued bit is the host's truth about an offered task, and the token
 * of its claim: take, self-serve and retract first clear it atomically
 * (ops->claim) and act on the window only if they won it, so no two host
 * CPUs ever move the same offered task at once; a claim that does not
 * happen gives the bit back. Holding it, the host knows the task is queued
 * and nobody on the host has it: the home word can only be QUEUED or
 * PROPOSE, since the firmware can produce nothing else from QUEUED. Any
 * other word, however well-formed, is a forgery: it is counted (BAD_WORD)
 * and put back to QUEUED. The firmware cannot make the host drop, run
 * twice or run unoffered a task, and a proposal to another CPU is left to
 * it a bounded number of times (IPUSWAP_HOST_DEFER).
 *
 * Every function returns IPUSWAP_OK or the reason it did not happen; a
 * cell is only ever answered with a wire reason (STALE..SELF_SERVED), the
 * host-side outcomes (NO_PROPOSAL, ELSEWHERE) are returned, never written.
 *
 * Nothing here sleeps or waits for the firmware or for another host CPU:
 * a claim token held elsewhere is an answer (STALE), never spun on; the
 * only loops are the bounded retries (IPUSWAP_HOST_TRIES) of retract and
 * claim against a concurrent CAS.
 */
#ifndef IPUSWAP_HOST_H
#define IPUSWAP_HOST_H

#include "ipuswap_swap.h"

/* CAS attempts against a firmware transition racing the host's. */
#define IPUSWAP_HOST_TRIES	4

/*
 * How often a self-serve may leave a task to the CPU it is proposed for, or
 * lose its CAS to a word that moved, before the host runs it anyway: neither
 * a proposal that sits unserved nor a firmware rewriting the word faster
 * than the host can swap it holds a task back for longer than this many
 * self-serve attempts (reset at each enqueue).
 */
#define IPUSWAP_HOST_DEFER	32

struct ipuswap_host;

struct ipuswap_host_ops {
	/* Is @idx a slot the host handed out (create, not yet destroy)? */
	bool (*in_use)(const struct ipuswap_host *h, __u32 idx);
	/* Did the host offer @idx (enqueue) with nobody claiming it since? */
	bool (*queued)(const struct ipuswap_host *h, __u32 idx);
	/* Set (an offer, or giving a claim back: ordered after prior writes) or clear. */
	void (*set_queued)(const struct ipuswap_host *h, __u32 idx, bool on);
	/* Clear the queued bit, fully ordered; was it set (the claim token won)? */
	bool (*claim)(const struct ipuswap_host *h, __u32 idx);
	/* May @cpu (< nr_cpus) still dispatch a proposal left to it? */
	bool (*cpu_online)(const struct ipuswap_host *h, __u32 cpu);
	/* Count an abort the sequence dealt with itself (a repaired word). */
	void (*count)(const struct ipuswap_host *h, enum ipuswap_reason why);
};

/* One host's view of one attached window: set up once, then read only. */
struct ipuswap_host {
	void *win;
	struct ipuswap_layout l;
	const struct ipuswap_host_ops *ops;
	/*
	 * Host memory, one byte per slot: how often self-serve left the task
	 * to another CPU or lost its CAS since its enqueue; written only by
	 * the holder of the slot's claim token. NULL for a host that always
	 * steals.
	 */
	__u8 *defer;
};

static inline __u64 *ipuswap_host_home_at(const struct ipuswap_host *h, __u32 idx)
{
	return &ipuswap_task_at(h->win, &h->l, idx)->home;
}

static inline __u64 *ipuswap_host_cell_at(const struct ipuswap_host *h, __u32 cpu)
{
	return &ipuswap_cell_at(h->win, &h->l, cpu)->decision;
}

/*
 * Load slot @idx's home word into *seen and make sure it is one the
 * protocol can produce. A garbage word (buggy or hostile IPU) is counted
 * and replaced by HOST: callers are the paths where the host owns the task
 * (enqueue, stop); an offered task's word is checked by
 * ipuswap_host_offered(). Returns false if there is still no valid word to
 * act on (the repair lost a race to another garbage write).
 */
static inline bool ipuswap_host_home(const struct ipuswap_host *h, __u32 idx, __u64 *seen)
{
	__u64 *home = ipuswap_host_home_at(h, idx);
	__u32 nr_cpus = h->l.nr_cpus;

	*seen = ipuswap_load(home);
	if (ipuswap_home_valid(*seen, nr_cpus))
		return true;
	h->ops->count(h, IPUSWAP_R_BAD_WORD);
	ipuswap_home_repair(home, seen, nr_cpus);
	return ipuswap_home_valid(*seen, nr_cpus);
}

/* Is @w a valid QUEUED or PROPOSE word: one an offered task may have? */
static inline bool ipuswap_host_word_offered(__u64 w, __u32 nr_cpus)
{
	return ipuswap_home_valid(w, nr_cpus) &&
	       (IPUSWAP_HOME_STATE(w) == IPUSWAP_TASK_QUEUED ||
		IPUSWAP_HOME_STATE(w) == IPUSWAP_TASK_PROPOSE);
}

/*
 * Caller holds slot @idx's claim token: the host offered the task and no
 * host CPU has it, so its word must be QUEUED or PROPOSE. Anything else
 * (garbage, or a well-formed HOST, COMMIT or FREE the firmware forged) is
 * counted, taken home and offered again (HOST, then QUEUED). Returns false
 * if the word moved under the repair (give the token back, look later).
 */
static inline bool ipuswap_host_offered(const struct ipuswap_host *h, __u32 idx, __u64 *seen)
{
	__u64 *home = ipuswap_host_home_at(h, idx);
	__u32 nr_cpus = h->l.nr_cpus;

	*seen = ipuswap_load(home);
	if (ipuswap_host_word_offered(*seen, nr_cpus))
		return true;
	h->ops->count(h, IPUSWAP_R_BAD_WORD);
	if ((IPUSWAP_HOME_STATE(*seen) != IPUSWAP_TASK_HOST ||
	     !ipuswap_home_valid(*seen, nr_cpus)) &&
	    ipuswap_swap(home, seen, IPUSWAP_NEXT(IPUSWAP_TASK_HOST, IPUSWAP_OWNER_HOST,
						  IPUSWAP_LOC_NONE, *seen)))
		return false;
	return !ipuswap_home_enqueue(home, seen, nr_cpus, IPUSWAP_LOC_NONE);
}

/* Does a word look offered (QUEUED or PROPOSE)? Only a hint without the token. */
static inline bool ipuswap_host_looks_queued(const struct ipuswap_host *h, __u32 idx)
{
	return ipuswap_host_word_offered(ipuswap_load(ipuswap_host_home_at(h, idx)),
					 h->l.nr_cpus);
}

/*
 * The proposal in @cpu's cell, validated against host memory: a garbage
 * cell is repaired to EMPTY (BAD_WORD); one naming a slot not in use is
 * answered ABORT(BAD_INDEX). On IPUSWAP_OK *idx is the proposed slot.
 */
static inline enum ipuswap_reason
ipuswap_host_peek(const struct ipuswap_host *h, __u32 cpu, __u32 *idx)
{
	__u64 *cell = ipuswap_host_cell_at(h, cpu), cw = ipuswap_load(cell);

	if (!ipuswap_cell_valid(cw, h->l.nr_tasks)) {
		h->ops->count(h, IPUSWAP_R_BAD_WORD);
		ipuswap_cell_repair(cell, &cw, h->l.nr_tasks);
		return IPUSWAP_R_BAD_WORD;
	}
	if (IPUSWAP_CELL_STATE(cw) != IPUSWAP_CELL_PROPOSE)
		return IPUSWAP_R_NO_PROPOSAL;
	*idx = IPUSWAP_CELL_IDX(cw);
	if (!h->ops->in_use(h, *idx)) {
		ipuswap_cell_answer(cell, &cw, h->l.nr_tasks, IPUSWAP_R_BAD_INDEX);
		return IPUSWAP_R_BAD_INDEX;
	}
	return IPUSWAP_OK;
}

/*
 * A take that found the word moved: tell the firmware what happened
 * instead, as precisely as the word says (a host CPU has it: SELF_SERVED; the
 * firmware declined it: DECLINED; anything else: STALE).
 */
static inline enum ipuswap_reason ipuswap_host_why_stale(__u64 seen)
{
	if (IPUSWAP_HOME_STATE(seen) == IPUSWAP_TASK_COMMIT)
		return IPUSWAP_R_SELF_SERVED;
	if (IPUSWAP_HOME_STATE(seen) == IPUSWAP_TASK_QUEUED &&
	    IPUSWAP_HOME_OWNER(seen) == IPUSWAP_OWNER_FW)
		return IPUSWAP_R_DECLINED;
	return IPUSWAP_R_STALE;
}

/*
 * REFLECT + COMMIT on @cpu: take slot @idx, which the cell proposes. The
 * host must have offered the task and hold its claim token, and the home
 * word must be PROPOSE(@cpu) at exactly the version the cell names.
 * @allowed is the host's own verdict on whether @cpu may run the task (its
 * cpumask); if not, a proposal still standing is declined (PROPOSE ->
 * QUEUED) so another CPU can run it. Either way the cell is answered:
 * COMMIT, or ABORT(reason); a slot the host did not offer (or another host
 * CPU is claiming) is STALE. On return *prop is the cell word acted on; on
 * IPUSWAP_OK *held is the task's new word (COMMIT on @cpu).
 *
 * Returns NO_PROPOSAL (cell left alone) if the cell no longer proposes @idx.
 */
static inline enum ipuswap_reason
ipuswap_host_take(const struct ipuswap_host *h, __u32 cpu, __u32 idx, bool allowed,
		  __u64 *prop, __u64 *held)
{
	__u64 *cell = ipuswap_host_cell_at(h, cpu), *home, seen, cw;
	enum ipuswap_reason r = IPUSWAP_R_NOT_ALLOWED;
	__u32 nr_cpus = h->l.nr_cpus, ver;

	*prop = cw = ipuswap_load(cell);
	if (IPUSWAP_CELL_STATE(*prop) != IPUSWAP_CELL_PROPOSE || IPUSWAP_CELL_IDX(*prop) != idx)
		return IPUSWAP_R_NO_PROPOSAL;
	ver = IPUSWAP_CELL_VER(*prop);
	home = ipuswap_host_home_at(h, idx);
	if (!allowed) {
		/* Nothing runs: no claim needed to send a standing proposal back. */
		seen = ipuswap_load(home);
		if (ipuswap_home_valid(seen, nr_cpus) &&
		    IPUSWAP_HOME_STATE(seen) == IPUSWAP_TASK_PROPOSE &&
		    IPUSWAP_HOME_VER(seen) == ver && IPUSWAP_HOME_LOC(seen) == cpu)
			ipuswap_home_decline(home, &seen, nr_cpus, IPUSWAP_OWNER_HOST);
		ipuswap_cell_answer(cell, &cw, h->l.nr_tasks, r);
		return r;
	}
	if (!h->ops->claim(h, idx)) {
		/* Not offered, or another host CPU has it: never commit. */
		r = ipuswap_host_why_stale(ipuswap_load(home));
		ipuswap_cell_answer(cell, &cw, h->l.nr_tasks, r);
		return r;
	}
	r = IPUSWAP_R_STALE;
	if (ipuswap_host_offered(h, idx, &seen))
		r = ipuswap_home_take(home, &seen, nr_cpus, cpu, ver);
	if (r == IPUSWAP_R_STALE)
		r = ipuswap_host_why_stale(seen);
	/* The home word decided; the cell only tells the firmware. */
	ipuswap_cell_answer(cell, &cw, h->l.nr_tasks, r);
	if (r) {
		h->ops->set_queued(h, idx, true);	/* still offered */
		return r;
	}
	*held = seen;
	return IPUSWAP_OK;
}

/*
 * Leave a task proposed to @loc (not this CPU) to that CPU? Only if it is
 * online, its cell still proposes this very version (otherwise nobody is
 * going to take it) and the task has not been left there too often since
 * its enqueue. Caller holds the claim token.
 */
static inline bool ipuswap_host_defer(const struct ipuswap_host *h, __u32 idx, __u64 seen)
{
	__u32 loc = IPUSWAP_HOME_LOC(seen);
	__u64 cw;

	if (!h->defer || h->defer[idx] >= IPUSWAP_HOST_DEFER || !h->ops->cpu_online(h, loc))
		return false;
	cw = ipuswap_load(ipuswap_host_cell_at(h, loc));
	if (IPUSWAP_CELL_STATE(cw) != IPUSWAP_CELL_PROPOSE || IPUSWAP_CELL_IDX(cw) != idx ||
	    IPUSWAP_CELL_VER(cw) != IPUSWAP_HOME_VER(seen))
		return false;
	h->defer[idx]++;
	return true;
}

/*
 * A self-serve lost its CAS (STALE) holding slot @idx's claim token. Within
 * the slot's budget that is a race (the firmware staging the task): look
 * again later. Past it the firmware is fighting the host for the word, and
 * the token alone says what matters: the host offered the task and no host
 * CPU has it. So it runs on @cpu: one CAS to COMMIT, and if even that loses,
 * the word is left for the next enqueue to repair. The token stays taken:
 * no other host CPU can run the task. Counted as a repair (BAD_WORD).
 */
static inline bool ipuswap_host_force(const struct ipuswap_host *h, __u32 idx, __u32 cpu,
				      __u64 *held)
{
	__u64 *home = ipuswap_host_home_at(h, idx), seen;

	if (!h->defer)
		return false;
	if (h->defer[idx] < IPUSWAP_HOST_DEFER) {
		h->defer[idx]++;
		return false;
	}
	h->ops->count(h, IPUSWAP_R_BAD_WORD);
	seen = ipuswap_load(home);
	*held = IPUSWAP_NEXT(IPUSWAP_TASK_COMMIT, IPUSWAP_OWNER_HOST, cpu, seen);
	ipuswap_cas(home, &seen, *held);
	return true;
}

/*
 * The host never waits: run queued slot @idx on @cpu without a proposal.
 * A task the firmware proposed to another online CPU, whose cell holds
 * the proposal, is left to that CPU (ELSEWHERE: keep it queued, and make
 * sure that CPU dispatches) at most IPUSWAP_HOST_DEFER times, unless
 * @steal, e.g. because the firmware looks dead. STATE means the host no
 * longer has it queued (someone else has it: drop it); STALE, keep it
 * queued and look again later, which a word that keeps moving can make
 * happen at most IPUSWAP_HOST_DEFER times (ipuswap_host_force()).
 */
static inline enum ipuswap_reason
ipuswap_host_self_serve(const struct ipuswap_host *h, __u32 idx, __u32 cpu, bool steal,
			__u64 *held)
{
	__u64 *home = ipuswap_host_home_at(h, idx), seen;
	__u32 nr_cpus = h->l.nr_cpus;
	enum ipuswap_reason r;

	if (cpu >= nr_cpus)
		return IPUSWAP_R_BAD_CPU;
	if (!h->ops->claim(h, idx))
		/* A word still offered: another host CPU may give it back. */
		return ipuswap_host_looks_queued(h, idx) ? IPUSWAP_R_STALE : IPUSWAP_R_STATE;
	/*
	 * One attempt, no retry: a lost race is most often the firmware
	 * proposing the task meanwhile, and a proposal should be taken (the
	 * firmware charges its policy only for taken proposals). STALE: keep
	 * it queued and look again later.
	 */
	r = IPUSWAP_R_STALE;
	if (ipuswap_host_offered(h, idx, &seen)) {
		/* Offered, so a PROPOSE is valid: it names a CPU < nr_cpus. */
		if (!steal && IPUSWAP_HOME_STATE(seen) == IPUSWAP_TASK_PROPOSE &&
		    IPUSWAP_HOME_LOC(seen) != cpu && ipuswap_host_defer(h, idx, seen))
			r = IPUSWAP_R_ELSEWHERE;
		else
			r = ipuswap_home_self_serve(home, &seen, nr_cpus, cpu);
	}
	if (r == IPUSWAP_R_STALE && ipuswap_host_force(h, idx, cpu, held))
		return IPUSWAP_OK;
	if (r) {
		h->ops->set_queued(h, idx, true);	/* still offered */
		return r;
	}
	*held = seen;
	return IPUSWAP_OK;
}

/*
 * Offer slot @idx (owned by the host) in the shared runqueue, with @hint
 * the CPU it prefers (>= nr_cpus: none). *held is the new word. The host
 * owns a task it enqueues: a QUEUED, PROPOSE or FREE word over one it did
 * not offer is the firmware's forgery, counted and taken back to HOST.
 * COMMIT is STATE (the caller stops it first: a dispatch of it was dropped).
 */
static inline enum ipuswap_reason
ipuswap_host_enqueue(const struct ipuswap_host *h, __u32 idx, __u32 hint, __u64 *held)
{
	__u64 *home = ipuswap_host_home_at(h, idx), seen;
	enum ipuswap_reason r;
	__u8 st;

	if (!ipuswap_host_home(h, idx, &seen))
		return IPUSWAP_R_BAD_WORD;
	st = IPUSWAP_HOME_STATE(seen);
	if (st != IPUSWAP_TASK_HOST && st != IPUSWAP_TASK_COMMIT && !h->ops->queued(h, idx)) {
		h->ops->count(h, IPUSWAP_R_BAD_WORD);
		if (ipuswap_swap(home, &seen, IPUSWAP_NEXT(IPUSWAP_TASK_HOST, IPUSWAP_OWNER_HOST,
							   IPUSWAP_LOC_NONE, seen)))
			return IPUSWAP_R_STALE;
	}
	/* Not the host's (e.g. queued already): leave its queued bit alone. */
	if (IPUSWAP_HOME_STATE(seen) != IPUSWAP_TASK_HOST)
		return IPUSWAP_R_STATE;
	r = ipuswap_home_enqueue(home, &seen, h->l.nr_cpus,
				 hint < h->l.nr_cpus ? (__u16)hint : IPUSWAP_LOC_NONE);
	if (r)
		return r;
	if (h->defer)
		h->defer[idx] = 0;
	/*
	 * After the CAS: until the bit is set a take or self-serve cannot
	 * claim the task (STALE), which only delays it.
	 */
	h->ops->set_queued(h, idx, true);
	*held = seen;
	return IPUSWAP_OK;
}

/*
 * Take back a queued or proposed slot @idx (it blocked, or its attributes
 * change). The claim token is taken first; a host CPU claiming the task
 * meanwhile (its token) or the firmware's stage/decline can race the host
 * here, so a bounded retry settles it. With the token, a forged word is
 * counted and repaired on the way to HOST. STATE: it was not queued;
 * STALE: still offered (its queued bit is given back).
 */
static inline enum ipuswap_reason
ipuswap_host_retract(const struct ipuswap_host *h, __u32 idx, __u64 *held)
{
	__u64 *home = ipuswap_host_home_at(h, idx), seen;
	int tries;

	for (tries = 0; !h->ops->claim(h, idx); tries++) {
		if (!ipuswap_host_looks_queued(h, idx))
			return IPUSWAP_R_STATE;
		if (tries == IPUSWAP_HOST_TRIES)
			return IPUSWAP_R_STALE;	/* another host CPU is claiming it */
	}
	for (tries = 0; tries < IPUSWAP_HOST_TRIES; tries++) {
		if (!ipuswap_host_offered(h, idx, &seen))
			continue;
		if (!ipuswap_home_retract(home, &seen, h->l.nr_cpus)) {
			*held = seen;
			return IPUSWAP_OK;
		}
	}
	h->ops->set_queued(h, idx, true);	/* still offered */
	return IPUSWAP_R_STALE;
}

/* Slot @idx stopped running on its CPU: COMMIT -> HOST. STATE: not COMMIT. */
static inline enum ipuswap_reason
ipuswap_host_stop(const struct ipuswap_host *h, __u32 idx, __u64 *held)
{
	__u64 seen;
	enum ipuswap_reason r;

	if (!ipuswap_host_home(h, idx, &seen))
		return IPUSWAP_R_BAD_WORD;
	r = ipuswap_home_stop(ipuswap_host_home_at(h, idx), &seen, h->l.nr_cpus);
	if (!r)
		*held = seen;
	return r;
}

/*
 * Force slot @idx's word to HOST, whatever (possibly garbage) it held: the
 * host allocates slots, so a slot it hands out or takes back is its own.
 */
static inline enum ipuswap_reason
ipuswap_host_claim(const struct ipuswap_host *h, __u32 idx, __u64 *held)
{
	__u64 *home = ipuswap_host_home_at(h, idx);
	int tries;

	for (tries = 0; tries < IPUSWAP_HOST_TRIES; tries++) {
		__u64 seen = ipuswap_load(home);
		__u64 next = IPUSWAP_NEXT(IPUSWAP_TASK_HOST, IPUSWAP_OWNER_HOST,
					  IPUSWAP_LOC_NONE, seen);

		if (!ipuswap_swap(home, &seen, next)) {
			*held = seen;
			return IPUSWAP_OK;
		}
	}
	return IPUSWAP_R_STALE;
}

/* A slot the host just allocated becomes HOST (create). */
static inline enum ipuswap_reason
ipuswap_host_create(const struct ipuswap_host *h, __u32 idx, __u64 *held)
{
	h->ops->set_queued(h, idx, false);
	return ipuswap_host_claim(h, idx, held);
}

/* Release slot @idx from any state back to FREE (destroy). */
static inline enum ipuswap_reason
ipuswap_host_destroy(const struct ipuswap_host *h, __u32 idx)
{
	enum ipuswap_reason r;
	__u64 seen;

	h->ops->set_queued(h, idx, false);
	r = ipuswap_host_claim(h, idx, &seen);
	return r ? r : ipuswap_home_destroy(ipuswap_host_home_at(h, idx), &seen,
					    h->l.nr_cpus);
}

#endif /* IPUSWAP_HOST_H */
