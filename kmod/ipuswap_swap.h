/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ipuswap_swap.h - the bilateral swap transitions, defined once.
 *
 * Compiled into the kernel module, the firmware and the native twin. Each
 * transition is one compare-and-swap on one word of the window
 * (ipuswap_wire.h): the caller passes the word it read (`seen`); the
 * function checks the transition is legal from it and swaps in the new
 * word. On success *seen becomes the new word. If the CAS itself fails,
 * *seen becomes the current word, so the caller learns what happened from
 * the same access; a refusal decided from `seen` alone (illegal state, bad
 * CPU, version mismatch) leaves *seen as the caller read it. Nothing is
 * written on failure: an abort leaves both sides where they were.
 *
 * Who may do what (enforced by the state and owner encoded in the word):
 *
 *   create     host   FREE             -> HOST
 *   enqueue    host   HOST             -> QUEUED(hint)
 *   stage      fw     QUEUED           -> PROPOSE(cpu)        (propose)
 *   take       host   PROPOSE(cpu)     -> COMMIT(cpu)         (reflect+commit)
 *   self_serve host   QUEUED|PROPOSE   -> COMMIT(cpu)         (host never waits)
 *   decline    either PROPOSE(cpu)     -> QUEUED(cpu)         (abort)
 *   retract    host   QUEUED|PROPOSE   -> HOST
 *   stop       host   COMMIT           -> HOST
 *   destroy    host   HOST             -> FREE
 *   repair     host   invalid word     -> HOST (home) / EMPTY (cell)
 *
 * Ordering: loads of words are acquire; a successful CAS is a full barrier
 * (kernel) or acq_rel (C11), so attribute writes made before a transition
 * are visible to whoever observes the new word.
 */
#ifndef IPUSWAP_SWAP_H
#define IPUSWAP_SWAP_H

#include "ipuswap_wire.h"

/* Portability layer: the only place the two worlds differ. */
#ifdef __KERNEL__
#include <linux/atomic.h>
#include <linux/types.h>

static __always_inline __u64 ipuswap_load(__u64 *p)
{
	/* Pairs with the full barrier of the CAS that wrote the word. */
	return smp_load_acquire(p);
}

static __always_inline bool ipuswap_cas(__u64 *p, __u64 *old, __u64 new)
{
	return try_cmpxchg64(p, old, new);
}
#else
#include <stdbool.h>

static inline __u64 ipuswap_load(__u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline bool ipuswap_cas(__u64 *p, __u64 *old, __u64 new)
{
	return __atomic_compare_exchange_n(p, old, new, false, __ATOMIC_ACQ_REL,
					   __ATOMIC_ACQUIRE);
}
#endif

/* Is a home word one that some legal transition could have produced? */
static inline bool ipuswap_home_valid(__u64 w, __u32 nr_cpus)
{
	__u8 owner = IPUSWAP_HOME_OWNER(w);
	__u16 loc = IPUSWAP_HOME_LOC(w);

	switch (IPUSWAP_HOME_STATE(w)) {
	case IPUSWAP_TASK_FREE:
		return owner != IPUSWAP_OWNER_FW && loc == IPUSWAP_LOC_NONE;
	case IPUSWAP_TASK_HOST:
		return owner == IPUSWAP_OWNER_HOST && loc == IPUSWAP_LOC_NONE;
	case IPUSWAP_TASK_QUEUED:
		return (owner == IPUSWAP_OWNER_HOST || owner == IPUSWAP_OWNER_FW) &&
		       (loc < nr_cpus || loc == IPUSWAP_LOC_NONE);
	case IPUSWAP_TASK_PROPOSE:
		return owner == IPUSWAP_OWNER_FW && loc < nr_cpus;
	case IPUSWAP_TASK_COMMIT:
		return owner == IPUSWAP_OWNER_HOST && loc < nr_cpus;
	default:
		return false;
	}
}

/* One CAS from *seen to `next`; the common tail of every transition. */
static inline enum ipuswap_reason ipuswap_swap(__u64 *word, __u64 *seen, __u64 next)
{
	if (!ipuswap_cas(word, seen, next))
		return IPUSWAP_R_STALE;
	*seen = next;
	return IPUSWAP_OK;
}

/* Check `seen` is valid and in `state`; returns a reason or IPUSWAP_OK. */
static inline enum ipuswap_reason ipuswap_expect(__u64 seen, __u32 nr_cpus, __u8 state)
{
	if (!ipuswap_home_valid(seen, nr_cpus))
		return IPUSWAP_R_BAD_WORD;
	return IPUSWAP_HOME_STATE(seen) == state ? IPUSWAP_OK : IPUSWAP_R_STATE;
}

#define IPUSWAP_NEXT(state, owner, loc, seen) \
	IPUSWAP_HOME(state, owner, loc, IPUSWAP_HOME_VER(seen) + 1)

/* host: a new task gets a slot. */
static inline enum ipuswap_reason
ipuswap_home_create(__u64 *home, __u64 *seen, __u32 nr_cpus)
{
	enum ipuswap_reason r = ipuswap_expect(*seen, nr_cpus, IPUSWAP_TASK_FREE);

	return r ? r : ipuswap_swap(home, seen, IPUSWAP_NEXT(IPUSWAP_TASK_HOST,
				IPUSWAP_OWNER_HOST, IPUSWAP_LOC_NONE, *seen));
}

/* host: the task's slot is released. */
static inline enum ipuswap_reason
ipuswap_home_destroy(__u64 *home, __u64 *seen, __u32 nr_cpus)
{
	enum ipuswap_reason r = ipuswap_expect(*seen, nr_cpus, IPUSWAP_TASK_HOST);

	return r ? r : ipuswap_swap(home, seen, IPUSWAP_NEXT(IPUSWAP_TASK_FREE,
				IPUSWAP_OWNER_HOST, IPUSWAP_LOC_NONE, *seen));
}

/* host: the task became runnable; hint is the CPU it prefers (or NONE). */
static inline enum ipuswap_reason
ipuswap_home_enqueue(__u64 *home, __u64 *seen, __u32 nr_cpus, __u16 hint)
{
	enum ipuswap_reason r = ipuswap_expect(*seen, nr_cpus, IPUSWAP_TASK_HOST);

	if (r)
		return r;
	if (hint >= nr_cpus)
		hint = IPUSWAP_LOC_NONE;
	return ipuswap_swap(home, seen, IPUSWAP_NEXT(IPUSWAP_TASK_QUEUED,
			    IPUSWAP_OWNER_HOST, hint, *seen));
}

/* firmware, PROPOSE: offer a queued task to `cpu`. */
static inline enum ipuswap_reason
ipuswap_home_stage(__u64 *home, __u64 *seen, __u32 nr_cpus, __u32 cpu)
{
	enum ipuswap_reason r = ipuswap_expect(*seen, nr_cpus, IPUSWAP_TASK_QUEUED);

	if (r)
		return r;
	if (cpu >= nr_cpus)
		return IPUSWAP_R_BAD_CPU;
	return ipuswap_swap(home, seen, IPUSWAP_NEXT(IPUSWAP_TASK_PROPOSE,
			    IPUSWAP_OWNER_FW, cpu, *seen));
}

/*
 * host on `cpu`, REFLECT + COMMIT: take the task proposed for this CPU. The
 * proposal named version `ver`; if the word moved since, nothing happens.
 */
static inline enum ipuswap_reason
ipuswap_home_take(__u64 *home, __u64 *seen, __u32 nr_cpus, __u32 cpu, __u32 ver)
{
	enum ipuswap_reason r = ipuswap_expect(*seen, nr_cpus, IPUSWAP_TASK_PROPOSE);

	if (r)
		return r == IPUSWAP_R_STATE ? IPUSWAP_R_STALE : r;
	if (IPUSWAP_HOME_VER(*seen) != ver)
		return IPUSWAP_R_STALE;
	if (IPUSWAP_HOME_LOC(*seen) != cpu)
		return IPUSWAP_R_BAD_CPU;
	return ipuswap_swap(home, seen, IPUSWAP_NEXT(IPUSWAP_TASK_COMMIT,
			    IPUSWAP_OWNER_HOST, cpu, *seen));
}

/*
 * host on `cpu`: run a queued task without a proposal. A task proposed for
 * another CPU may be taken too (that CPU's take then fails as stale), so
 * the host never has to wait for anyone.
 */
static inline enum ipuswap_reason
ipuswap_home_self_serve(__u64 *home, __u64 *seen, __u32 nr_cpus, __u32 cpu)
{
	__u8 st;

	if (!ipuswap_home_valid(*seen, nr_cpus))
		return IPUSWAP_R_BAD_WORD;
	if (cpu >= nr_cpus)
		return IPUSWAP_R_BAD_CPU;
	st = IPUSWAP_HOME_STATE(*seen);
	if (st != IPUSWAP_TASK_QUEUED && st != IPUSWAP_TASK_PROPOSE)
		return IPUSWAP_R_STATE;
	return ipuswap_swap(home, seen, IPUSWAP_NEXT(IPUSWAP_TASK_COMMIT,
			    IPUSWAP_OWNER_HOST, cpu, *seen));
}

/* either side, ABORT: a proposal is declined; the task is queued again. */
static inline enum ipuswap_reason
ipuswap_home_decline(__u64 *home, __u64 *seen, __u32 nr_cpus, __u8 who)
{
	enum ipuswap_reason r = ipuswap_expect(*seen, nr_cpus, IPUSWAP_TASK_PROPOSE);

	if (r)
		return r;
	if (who != IPUSWAP_OWNER_HOST && who != IPUSWAP_OWNER_FW)
		return IPUSWAP_R_BAD_WORD;
	return ipuswap_swap(home, seen, IPUSWAP_NEXT(IPUSWAP_TASK_QUEUED, who,
			    IPUSWAP_HOME_LOC(*seen), *seen));
}

/* host: the task stopped being runnable (or its attributes must change). */
static inline enum ipuswap_reason
ipuswap_home_retract(__u64 *home, __u64 *seen, __u32 nr_cpus)
{
	__u8 st;

	if (!ipuswap_home_valid(*seen, nr_cpus))
		return IPUSWAP_R_BAD_WORD;
	st = IPUSWAP_HOME_STATE(*seen);
	if (st != IPUSWAP_TASK_QUEUED && st != IPUSWAP_TASK_PROPOSE)
		return IPUSWAP_R_STATE;
	return ipuswap_swap(home, seen, IPUSWAP_NEXT(IPUSWAP_TASK_HOST,
			    IPUSWAP_OWNER_HOST, IPUSWAP_LOC_NONE, *seen));
}

/* host: a committed task stopped running on its CPU. */
static inline enum ipuswap_reason
ipuswap_home_stop(__u64 *home, __u64 *seen, __u32 nr_cpus)
{
	enum ipuswap_reason r = ipuswap_expect(*seen, nr_cpus, IPUSWAP_TASK_COMMIT);

	return r ? r : ipuswap_swap(home, seen, IPUSWAP_NEXT(IPUSWAP_TASK_HOST,
				IPUSWAP_OWNER_HOST, IPUSWAP_LOC_NONE, *seen));
}

/*
 * Cell words. The firmware writes a proposal into an idle cell; the host
 * answers in the same word (commit or abort with a reason); the firmware
 * may withdraw a proposal the host has not answered. The task's home word,
 * not the cell, decides who wins: the cell only tells the other side.
 */
static inline bool ipuswap_cell_valid(__u64 w, __u32 nr_tasks)
{
	__u8 st = IPUSWAP_CELL_STATE(w);

	if (st >= IPUSWAP_CELL_NR_STATES)
		return false;
	if (st == IPUSWAP_CELL_EMPTY)
		return true;
	if (IPUSWAP_CELL_IDX(w) >= nr_tasks)
		return false;
	if (st == IPUSWAP_CELL_ABORT)	/* only reasons a cell can carry */
		return IPUSWAP_CELL_REASON(w) > IPUSWAP_OK &&
		       IPUSWAP_CELL_REASON(w) <= IPUSWAP_R_SELF_SERVED;
	return IPUSWAP_CELL_REASON(w) == IPUSWAP_OK;
}

/* firmware: propose task `idx` at home-word version `ver` to this CPU. */
static inline enum ipuswap_reason
ipuswap_cell_propose(__u64 *cell, __u64 *seen, __u32 nr_tasks, __u32 idx, __u32 ver)
{
	if (!ipuswap_cell_valid(*seen, nr_tasks))
		return IPUSWAP_R_BAD_WORD;
	if (IPUSWAP_CELL_STATE(*seen) == IPUSWAP_CELL_PROPOSE)
		return IPUSWAP_R_STATE;
	if (idx >= nr_tasks)
		return IPUSWAP_R_BAD_INDEX;
	return ipuswap_swap(cell, seen, IPUSWAP_CELL(IPUSWAP_CELL_PROPOSE,
			    IPUSWAP_OK, idx, ver));
}

/* host: answer a proposal, committed (reason OK) or aborted (reason). */
static inline enum ipuswap_reason
ipuswap_cell_answer(__u64 *cell, __u64 *seen, __u32 nr_tasks, enum ipuswap_reason why)
{
	if (!ipuswap_cell_valid(*seen, nr_tasks))
		return IPUSWAP_R_BAD_WORD;
	if (IPUSWAP_CELL_STATE(*seen) != IPUSWAP_CELL_PROPOSE)
		return IPUSWAP_R_STATE;
	return ipuswap_swap(cell, seen, IPUSWAP_CELL(why == IPUSWAP_OK ?
			    IPUSWAP_CELL_COMMIT : IPUSWAP_CELL_ABORT, why,
			    IPUSWAP_CELL_IDX(*seen), IPUSWAP_CELL_VER(*seen)));
}

/* firmware: withdraw an unanswered proposal. */
static inline enum ipuswap_reason
ipuswap_cell_withdraw(__u64 *cell, __u64 *seen, __u32 nr_tasks)
{
	if (!ipuswap_cell_valid(*seen, nr_tasks))
		return IPUSWAP_R_BAD_WORD;
	if (IPUSWAP_CELL_STATE(*seen) != IPUSWAP_CELL_PROPOSE)
		return IPUSWAP_R_STATE;
	return ipuswap_swap(cell, seen, IPUSWAP_CELL(IPUSWAP_CELL_EMPTY, IPUSWAP_OK, 0, 0));
}

/*
 * host: replace a word no legal transition could have produced (a buggy or
 * hostile IPU wrote it) with the host's own view. The host allocates the
 * slots and owns its CPUs, so for a slot in use the truth is "the host has
 * it" and for a cell "nothing proposed". Valid words are left alone.
 */
static inline enum ipuswap_reason
ipuswap_home_repair(__u64 *home, __u64 *seen, __u32 nr_cpus)
{
	if (ipuswap_home_valid(*seen, nr_cpus))
		return IPUSWAP_R_STATE;
	return ipuswap_swap(home, seen, IPUSWAP_NEXT(IPUSWAP_TASK_HOST,
			    IPUSWAP_OWNER_HOST, IPUSWAP_LOC_NONE, *seen));
}

static inline enum ipuswap_reason
ipuswap_cell_repair(__u64 *cell, __u64 *seen, __u32 nr_tasks)
{
	if (ipuswap_cell_valid(*seen, nr_tasks))
		return IPUSWAP_R_STATE;
	return ipuswap_swap(cell, seen, IPUSWAP_CELL(IPUSWAP_CELL_EMPTY, IPUSWAP_OK, 0, 0));
}

/* Addressing inside the window, for a layout from ipuswap_layout(). */
static inline struct ipuswap_cpu_cell *
ipuswap_cell_at(void *window, const struct ipuswap_layout *l, __u32 cpu)
{
	return (struct ipuswap_cpu_cell *)((char *)window + l->cells_offset) + cpu;
}

static inline struct ipuswap_task *
ipuswap_task_at(void *window, const struct ipuswap_layout *l, __u32 idx)
{
	return (struct ipuswap_task *)((char *)window + l->tasks_offset +
				       (__u64)idx * l->task_stride);
}

#endif /* IPUSWAP_SWAP_H */
