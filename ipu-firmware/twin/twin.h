/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ipuswap-twin: the native twin of the swap protocol. The real fw_sched
 * engine runs on firmware threads against the module's own host sequences
 * (ipuswap_host.h) driven by one thread per emulated host CPU, in one
 * process, over one aligned window laid out by ipuswap_layout().
 *
 * The harness keeps ghost state next to each task (never in the window and
 * never consulted by a decision) and checks the protocol's invariants
 * after every step.
 */
#ifndef IPUSWAP_TWIN_H
#define IPUSWAP_TWIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ipuswap_host.h"
#include "fw_pcie.h"
#include "fw_sched.h"

#define TWIN_MAX_CPUS		256
#define TWIN_MASK_WORDS		(TWIN_MAX_CPUS / 64)
#define TWIN_MAX_FW_THREADS	16
#define TWIN_SELF_TRIES		4	/* queue entries looked at per dispatch */
#define TWIN_DRAIN_S		10.0	/* bound on the final drain */

/* ---- histograms (ns) ---------------------------------------------------- */

#define HIST_LIN	1024		/* 1 ns buckets below this */
#define HIST_SUB	16		/* then 16 buckets per power of two */
#define HIST_NB		(HIST_LIN + 44 * HIST_SUB)

struct hist {
	uint64_t n;
	uint64_t max;
	uint64_t b[HIST_NB];
};

void hist_add(struct hist *h, uint64_t v);
void hist_merge(struct hist *dst, const struct hist *src);
uint64_t hist_pct(const struct hist *h, double q);	/* q in 0..1 */

/* ---- PRNG: splitmix64, one per thread ----------------------------------- */

static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline uint32_t rng_below(uint64_t *s, uint32_t n)
{
	return n ? (uint32_t)(((rng_next(s) >> 32) * n) >> 32) : 0;
}

/* true with probability num/1024 */
static inline bool rng_chance(uint64_t *s, uint32_t num)
{
	return rng_below(s, 1024) < num;
}

/* ---- configuration ------------------------------------------------------ */

struct twin_cfg {
	uint64_t seed;
	double duration_s;
	unsigned int cpus;
	unsigned int tasks;
	unsigned int fw_threads;
	unsigned int host_threads;	/* 0: one per CPU */
	uint64_t window;		/* bytes */
	struct fw_pcie_cfg pcie;
	double fw_stop_at;		/* < 0: never */
	double fw_restart_every;	/* 0: never */
	double max_wait_s;		/* starvation bound per task */
	unsigned int run_max_ns;	/* a task "runs" 0..this */
	bool self_serve;		/* host serves its own queue */
	bool churn;			/* block, retract, attribute changes */
	bool bad_attrs;			/* sometimes publish invalid attributes */
	bool idle_yield;		/* host yields when it found nothing */
	bool chaos;			/* a rogue proposer writes bad proposals */
	int verbose;
};

/* ---- ghost + host knowledge per task ------------------------------------ */

enum {
	G_HOST = 1,		/* owned by a host thread, blocked, or parked */
	G_QUEUED = 2,		/* enqueued: home QUEUED or PROPOSE */
	G_RUN = 16,		/* + cpu: running there (home COMMIT) */
};

struct ttask {
	/* What the host scheduler itself knows (a kernel knows this). */
	_Atomic uint32_t qgen;		/* bumped when it leaves the runqueue */
	_Atomic uint64_t mask[TWIN_MASK_WORDS];	/* allowed CPUs */
	_Atomic bool queued;		/* offered, nobody claimed it since */
	/* Ghost: checks and measurements only. */
	_Atomic int where;
	_Atomic uint64_t enq, disp, retr;
	_Atomic uint64_t enq_ns;
	_Atomic uint32_t staged_ver;	/* set by the firmware hook */
	_Atomic uint64_t staged_ns;
	_Atomic bool parked;
};

struct qent {
	uint32_t idx;
	uint32_t gen;
};

/* The host's runqueue: FIFO of (task, generation); stale entries dropped lazily. */
struct hostq {
	pthread_mutex_t lock;
	struct qent *e;
	uint32_t cap, head, n;
};

/* Tasks that blocked, and when they wake. */
struct blocked {
	pthread_mutex_t lock;
	struct bent { uint32_t idx; uint64_t wake_ns; } *e;
	uint32_t n, cap;
};

/* Per host thread counters and timings. */
struct hstats {
	uint64_t steps;
	uint64_t takes, take_fail[IPUSWAP_NR_REASONS];
	uint64_t answers, answer_fail;
	uint64_t self, self_fail, self_tries;
	uint64_t enq, stops, retracts, retract_fail;
	uint64_t blocks, attr_changes, bad_attr_writes;
	uint64_t not_allowed, bad_cell, repairs, idle;
	uint64_t max_wait_ns;
	struct hist h_take, h_self, h_enq, h_retract, h_declat;
};

struct twin;

/* One host thread; its host view carries the hooks' context (host.c). */
struct hctx {
	struct ipuswap_host host;
	struct twin *tw;
	pthread_t thr;
	unsigned int id;
	uint32_t cpu_first, cpu_count;
	uint64_t rng;
	struct hstats st;
};

struct fwctx {
	struct twin *tw;
	pthread_t thr;
	unsigned int id;
	uint32_t cpu_first, cpu_count;
	struct fw_sched_stats st;
	struct fw_pcie_stats pst;
	uint64_t restarts, create_fail;
};

struct twin {
	struct twin_cfg cfg;
	void *win;
	size_t size;
	struct ipuswap_window_hdr *hdr;
	struct ipuswap_layout l;
	struct ttask *t;
	struct hostq q;
	struct blocked bl;
	uint64_t t0;
	_Atomic bool fw_stop;
	_Atomic bool draining;
	_Atomic bool host_stop;
	_Atomic uint32_t parked;
	_Atomic uint64_t violations;
	_Atomic int32_t *running;	/* ghost: task running on each CPU, -1 */
	pthread_t chaos_thr;
	uint64_t chaos_props;		/* rogue proposals written */
	uint64_t chaos_garbage;		/* undecodable cell words written */
	uint64_t *reported;		/* monitor: enq count already reported */
	pthread_mutex_t log_lock;
	unsigned int nr_host, nr_fw;
	struct hctx *host;
	struct fwctx *fw;
};

/* host.c */
void twin_violation(struct twin *tw, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int twin_queue_init(struct hostq *q, uint32_t cap);
void twin_create_tasks(struct twin *tw, uint64_t *rng);
void *twin_host_thread(void *arg);
void *twin_chaos_thread(void *arg);
void twin_on_stage(void *arg, uint32_t idx, uint32_t cpu, uint64_t word,
		   uint64_t t_ns);
void twin_monitor(struct twin *tw);
void twin_final_check(struct twin *tw);

static inline uint64_t twin_now(void)
{
	return fw_pcie_clock();
}

#endif /* IPUSWAP_TWIN_H */
