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
 * and where aborts are counted. Every function returns IPUSWAP_OK or the
 * reason it did not happen; a cell is only ever answered with a wire
 * reason (STALE..SELF_SERVED), the host-side outcomes (NO_PROPOSAL, ELSEWHERE)
 * are returned, never written.
 *
 * Nothing here sleeps or waits for the firmware; the only loops are the
 * bounded retries (IPUSWAP_HOST_TRIES) of retract and claim against a
 * concurrent firmware CAS.
 */
#ifndef IPUSWAP_HOST_H
#define IPUSWAP_HOST_H

#include "ipuswap_swap.h"

/* CAS attempts against a firmware transition racing the host's. */
#define IPUSWAP_HOST_TRIES	4

struct ipuswap_host;

struct ipuswap_host_ops {
	/* Is @idx a slot the host handed out (create, not yet destroy)? */
	bool (*in_use)(const struct ipuswap_host *h, __u32 idx);
	/* Did the host offer @idx (enqueue) with nobody claiming it since? */
	bool (*queued)(const struct ipuswap_host *h, __u32 idx);
	void (*set_queued)(const struct ipuswap_host *h, __u32 idx, bool on);
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
 * and replaced by the host's own view: QUEUED if the host offered the task
 * and nobody took it, otherwise HOST. Returns false if there is still no
 * valid word to act on (the repair lost a race to another garbage write).
 */
static inline bool ipuswap_host_home(const struct ipuswap_host *h, __u32 idx, __u64 *seen)
{
	__u64 *home = ipuswap_host_home_at(h, idx);
	__u32 nr_cpus = h->l.nr_cpus;

	*seen = ipuswap_load(home);
	if (ipuswap_home_valid(*seen, nr_cpus))
		return true;
	h->ops->count(h, IPUSWAP_R_BAD_WORD);
	if (ipuswap_home_repair(home, seen, nr_cpus))
		return ipuswap_home_valid(*seen, nr_cpus);
	if (h->ops->queued(h, idx))
		ipuswap_home_enqueue(home, seen, nr_cpus, IPUSWAP_LOC_NONE);
	return ipuswap_home_valid(*seen, nr_cpus);
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
 * home word must be PROPOSE(@cpu) at exactly the version the cell names.
 * @allowed is the host's own verdict on whether @cpu may run the task (its
 * cpumask); if not, a proposal still standing is declined (PROPOSE ->
 * QUEUED) so another CPU can run it. Either way the cell is answered:
 * COMMIT, or ABORT(reason). On return *prop is the cell word acted on; on
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
	if (!ipuswap_host_home(h, idx, &seen))
		r = IPUSWAP_R_BAD_WORD;
	else if (allowed)
		r = ipuswap_home_take(home, &seen, nr_cpus, cpu, ver);
	else if (IPUSWAP_HOME_STATE(seen) == IPUSWAP_TASK_PROPOSE &&
		 IPUSWAP_HOME_VER(seen) == ver && IPUSWAP_HOME_LOC(seen) == cpu)
		ipuswap_home_decline(home, &seen, nr_cpus, IPUSWAP_OWNER_HOST);
	if (r == IPUSWAP_R_STALE)
		r = ipuswap_host_why_stale(seen);
	/* The home word decided; the cell only tells the firmware. */
	ipuswap_cell_answer(cell, &cw, h->l.nr_tasks, r);
	if (r)
		return r;
	h->ops->set_queued(h, idx, false);
	*held = seen;
	return IPUSWAP_OK;
}

/*
 * The host never waits: run queued slot @idx on @cpu without a proposal.
 * A task the firmware proposed to another online CPU is left to that CPU
 * (ELSEWHERE: keep it queued, and make sure that CPU dispatches) unless
 * @steal, e.g. because the firmware looks dead. STATE means the task is no
 * longer queued (someone else has it: drop it).
 */
static inline enum ipuswap_reason
ipuswap_host_self_serve(const struct ipuswap_host *h, __u32 idx, __u32 cpu, bool steal,
			__u64 *held)
{
	__u64 *home = ipuswap_host_home_at(h, idx), seen;
	__u32 nr_cpus = h->l.nr_cpus;
	enum ipuswap_reason r;

	if (!ipuswap_host_home(h, idx, &seen))
		return IPUSWAP_R_BAD_WORD;
	/* Valid, so a PROPOSE names a CPU < nr_cpus. */
	if (!steal && IPUSWAP_HOME_STATE(seen) == IPUSWAP_TASK_PROPOSE &&
	    IPUSWAP_HOME_LOC(seen) != cpu && h->ops->cpu_online(h, IPUSWAP_HOME_LOC(seen)))
		return IPUSWAP_R_ELSEWHERE;
	/*
	 * One attempt, no retry: a lost race is most often the firmware
	 * proposing the task meanwhile, and a proposal should be taken (the
	 * firmware charges its policy only for taken proposals). STALE: keep
	 * it queued and look again later.
	 */
	r = ipuswap_home_self_serve(home, &seen, nr_cpus, cpu);
	if (r)
		return r;
	h->ops->set_queued(h, idx, false);
	*held = seen;
	return IPUSWAP_OK;
}

/*
 * Offer slot @idx (owned by the host, HOST) in the shared runqueue, with
 * @hint the CPU it prefers (>= nr_cpus: none). *held is the new word.
 */
static inline enum ipuswap_reason
ipuswap_host_enqueue(const struct ipuswap_host *h, __u32 idx, __u32 hint, __u64 *held)
{
	__u64 *home = ipuswap_host_home_at(h, idx), seen;
	enum ipuswap_reason r;

	if (!ipuswap_host_home(h, idx, &seen))
		return IPUSWAP_R_BAD_WORD;
	/* Not the host's (e.g. queued already): leave its queued bit alone. */
	if (IPUSWAP_HOME_STATE(seen) != IPUSWAP_TASK_HOST)
		return IPUSWAP_R_STATE;
	/* Before the CAS: a take on another CPU may clear it right after. */
	h->ops->set_queued(h, idx, true);
	r = ipuswap_home_enqueue(home, &seen, h->l.nr_cpus,
				 hint < h->l.nr_cpus ? (__u16)hint : IPUSWAP_LOC_NONE);
	if (r) {
		h->ops->set_queued(h, idx, false);
		return r;
	}
	*held = seen;
	return IPUSWAP_OK;
}

/*
 * Take back a queued or proposed slot @idx (it blocked, or its attributes
 * change). Only the firmware's stage/decline can race the host here, so a
 * bounded retry settles it. STATE: it was not queued.
 */
static inline enum ipuswap_reason
ipuswap_host_retract(const struct ipuswap_host *h, __u32 idx, __u64 *held)
{
	__u64 *home = ipuswap_host_home_at(h, idx), seen;
	enum ipuswap_reason r = IPUSWAP_R_BAD_WORD;
	int tries;

	for (tries = 0; tries < IPUSWAP_HOST_TRIES; tries++) {
		r = IPUSWAP_R_BAD_WORD;
		if (!ipuswap_host_home(h, idx, &seen))
			continue;
		r = ipuswap_home_retract(home, &seen, h->l.nr_cpus);
		if (r != IPUSWAP_R_STALE)
			break;
	}
	if (r)
		return r;
	h->ops->set_queued(h, idx, false);
	*held = seen;
	return IPUSWAP_OK;
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
