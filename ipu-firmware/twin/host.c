// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The twin's host side: what scx_ipuswap does on each CPU, driving the
 * module's own host sequences (kmod/ipuswap_host.h: peek, take, self-serve,
 * enqueue, retract, stop, create, destroy), plus the ghost checks. Only
 * the host's memory is the twin's: its runqueue, which slots it offered
 * (struct ttask.queued), the allowed-CPU masks.
 *
 * Per emulated CPU, one step is: dispatch (peek and take the cell's
 * proposal, else self-serve from the host's own runqueue a bounded number
 * of times; never wait for the firmware), run the task briefly, then stop
 * it and either re-enqueue it or block it. Other host CPUs retract queued
 * tasks now and then and change attributes of tasks they own.
 *
 * Ghost rules. A task's ghost `where` names its one place: owned by a host
 * thread (HOST), in the runqueue (QUEUED), or running on CPU c (RUN+c).
 * Whoever hands a task to others (enqueue) moves the ghost *before* its
 * CAS; whoever claims it (take, self-serve, retract) moves it *after* its
 * CAS, with an atomic exchange that must find QUEUED: a second claim of the
 * same enqueue would find RUN and is a violation even if the window said
 * nothing. enq == disp + retr must hold after every claim.
 */
#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ipuswap_host.h"
#include "twin.h"

#define MAX_REPORTS	20

/* ---- violations ---------------------------------------------------------- */

void twin_violation(struct twin *tw, const char *fmt, ...)
{
	uint64_t n = atomic_fetch_add(&tw->violations, 1) + 1;
	va_list ap;

	if (n > MAX_REPORTS)
		return;
	pthread_mutex_lock(&tw->log_lock);
	fprintf(stderr, "twin: VIOLATION at %.6fs: ",
		(double)(twin_now() - tw->t0) / 1e9);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (n == MAX_REPORTS)
		fprintf(stderr, "twin: (further violations counted, not shown)\n");
	pthread_mutex_unlock(&tw->log_lock);
}

#define VIOL(tw, ...) twin_violation(tw, __VA_ARGS__)

static const char *where_str(int w, char *buf, size_t n)
{
	if (w == G_HOST)
		return "HOST";
	if (w == G_QUEUED)
		return "QUEUED";
	if (w >= G_RUN) {
		snprintf(buf, n, "RUN(cpu %d)", w - G_RUN);
		return buf;
	}
	snprintf(buf, n, "?%d", w);
	return buf;
}

/* ---- window access ------------------------------------------------------- */

static __u64 *home_of(struct twin *tw, uint32_t idx)
{
	return &ipuswap_task_at(tw->win, &tw->l, idx)->home;
}

/* ---- the host's memory, as the shared host sequences see it --------------- */

static struct hctx *hctx_of(const struct ipuswap_host *host)
{
	return (struct hctx *)((char *)host - offsetof(struct hctx, host));
}

static bool th_in_use(const struct ipuswap_host *host, __u32 idx)
{
	return idx < hctx_of(host)->tw->cfg.tasks;	/* all created at start */
}

static bool th_queued(const struct ipuswap_host *host, __u32 idx)
{
	return atomic_load(&hctx_of(host)->tw->t[idx].queued);
}

static void th_set_queued(const struct ipuswap_host *host, __u32 idx, bool on)
{
	atomic_store(&hctx_of(host)->tw->t[idx].queued, on);
}

static bool th_claim(const struct ipuswap_host *host, __u32 idx)
{
	return atomic_exchange(&hctx_of(host)->tw->t[idx].queued, false);
}

static bool th_cpu_online(const struct ipuswap_host *host, __u32 cpu)
{
	(void)host;
	(void)cpu;
	return true;			/* the twin's CPUs never go offline */
}

static void th_count(const struct ipuswap_host *host, enum ipuswap_reason why)
{
	if (why == IPUSWAP_R_BAD_WORD)
		hctx_of(host)->st.repairs++;
}

static const struct ipuswap_host_ops twin_host_ops = {
	.in_use = th_in_use,
	.queued = th_queued,
	.set_queued = th_set_queued,
	.claim = th_claim,
	.cpu_online = th_cpu_online,
	.count = th_count,
};

/* The twin's host always steals (self-serve with steal): no defer counts. */
static void host_init(struct hctx *h)
{
	h->host = (struct ipuswap_host){ .win = h->tw->win, .l = h->tw->l,
					 .ops = &twin_host_ops };
}

static __u64 *cell_of(struct twin *tw, uint32_t cpu)
{
	return &ipuswap_cell_at(tw->win, &tw->l, cpu)->decision;
}

static bool host_allowed(struct twin *tw, uint32_t idx, uint32_t cpu)
{
	return (atomic_load_explicit(&tw->t[idx].mask[cpu / 64],
				     memory_order_relaxed) >> (cpu % 64)) & 1;
}

static void spin_ns(uint64_t ns)
{
	uint64_t end;

	if (!ns)
		return;
	end = twin_now() + ns;
	while (twin_now() < end)
		;
}

/* ---- the host's runqueue ------------------------------------------------- */

int twin_queue_init(struct hostq *q, uint32_t cap)
{
	q->e = calloc(cap, sizeof(*q->e));
	q->cap = cap;
	q->head = q->n = 0;
	pthread_mutex_init(&q->lock, NULL);
	return q->e ? 0 : -ENOMEM;
}

/* Drop entries whose task left the queue since; called with lock held. */
static void q_compact(struct twin *tw, struct hostq *q)
{
	uint32_t i, k = 0;

	for (i = 0; i < q->n; i++) {
		struct qent e = q->e[(q->head + i) % q->cap];

		if (e.gen == atomic_load(&tw->t[e.idx].qgen))
			q->e[k++] = e;
	}
	q->head = 0;
	q->n = k;
}

static void q_push(struct twin *tw, uint32_t idx, uint32_t gen)
{
	struct hostq *q = &tw->q;

	pthread_mutex_lock(&q->lock);
	if (q->n == q->cap)
		q_compact(tw, q);
	if (q->n == q->cap)
		VIOL(tw, "host queue overflow (%u live entries)", q->n);
	else
		q->e[(q->head + q->n++) % q->cap] = (struct qent){ idx, gen };
	pthread_mutex_unlock(&q->lock);
}

static bool q_pop(struct twin *tw, struct qent *out)
{
	struct hostq *q = &tw->q;
	bool got = false;

	pthread_mutex_lock(&q->lock);
	if (q->n) {
		*out = q->e[q->head];
		q->head = (q->head + 1) % q->cap;
		q->n--;
		got = true;
	}
	pthread_mutex_unlock(&q->lock);
	return got;
}

/* ---- ghost transitions ------------------------------------------------------ */

static void ghost_move(struct twin *tw, uint32_t idx, int from, int to,
		       const char *what)
{
	int prev = atomic_exchange(&tw->t[idx].where, to);
	char a[32], b[32];

	if (prev != from)
		VIOL(tw, "%s task %u: ghost was %s, expected %s", what, idx,
		     where_str(prev, a, sizeof(a)), where_str(from, b, sizeof(b)));
}

static void ghost_counts(struct twin *tw, uint32_t idx, const char *what)
{
	struct ttask *g = &tw->t[idx];
	uint64_t e = atomic_load(&g->enq), d = atomic_load(&g->disp),
		 r = atomic_load(&g->retr);

	if (d + r != e)
		VIOL(tw, "%s task %u: enqueued %llu times but dispatched %llu + "
		     "retracted %llu", what, idx, (unsigned long long)e,
		     (unsigned long long)d, (unsigned long long)r);
}

/* A host CPU won the task (take or self-serve): one place, one dispatch. */
static void claim(struct hctx *h, uint32_t idx, uint32_t cpu, uint64_t now)
{
	struct twin *tw = h->tw;
	struct ttask *g = &tw->t[idx];
	uint64_t wait = now - atomic_load(&g->enq_ns);
	int32_t prev = -1;

	ghost_move(tw, idx, G_QUEUED, G_RUN + (int)cpu, "dispatch of");
	atomic_fetch_add(&g->disp, 1);
	ghost_counts(tw, idx, "dispatch of");
	if (!atomic_compare_exchange_strong(&tw->running[cpu], &prev, (int32_t)idx))
		VIOL(tw, "cpu %u dispatched task %u while running task %d", cpu,
		     idx, prev);
	/* It left the runqueue: its queue entries are stale now. */
	atomic_fetch_add(&g->qgen, 1);
	if (wait > h->st.max_wait_ns)
		h->st.max_wait_ns = wait;
	if ((double)wait > tw->cfg.max_wait_s * 1e9)
		VIOL(tw, "task %u waited %.3f s in the runqueue (bound %.3f s)",
		     idx, (double)wait / 1e9, tw->cfg.max_wait_s);
}

/* ---- transitions the host performs ---------------------------------------- */

static void enqueue(struct hctx *h, uint32_t idx, uint32_t hint)
{
	struct twin *tw = h->tw;
	struct ttask *g = &tw->t[idx];
	uint32_t gen = atomic_load(&g->qgen);
	__u64 seen = 0;
	uint64_t t0, t1;
	enum ipuswap_reason r;

	/* Handed over at the CAS: the ghost moves first. */
	atomic_fetch_add(&g->enq, 1);
	atomic_store(&g->enq_ns, twin_now());
	ghost_move(tw, idx, G_HOST, G_QUEUED, "enqueue of");
	t0 = twin_now();
	r = ipuswap_host_enqueue(&h->host, idx, hint, &seen);
	t1 = twin_now();
	hist_add(&h->st.h_enq, t1 - t0);
	h->st.enq++;
	if (r != IPUSWAP_OK) {
		VIOL(tw, "enqueue of owned task %u failed (%s): home %#llx", idx,
		     ipuswap_reason_name(r),
		     (unsigned long long)__atomic_load_n(home_of(tw, idx), __ATOMIC_ACQUIRE));
		return;
	}
	q_push(tw, idx, gen);
}

/* New attributes, written while the host owns the task (state HOST). */
static void change_attrs(struct hctx *h, uint32_t idx)
{
	struct twin *tw = h->tw;
	struct ipuswap_task *t = ipuswap_task_at(tw->win, &tw->l, idx);
	uint64_t m[TWIN_MASK_WORDS] = { 0 };
	uint32_t n = tw->cfg.cpus, kind = rng_below(&h->rng, 10), w, i;
	uint32_t weight = 1 + rng_below(&h->rng, FW_SCHED_WEIGHT_MAX);
	uint32_t tail = n % 64;

	if (kind < 7) {
		for (i = 0; i < n; i++)
			m[i / 64] |= 1ULL << (i % 64);
	} else if (kind < 9) {
		for (i = 0; i < n; i++)
			if (rng_below(&h->rng, 2))
				m[i / 64] |= 1ULL << (i % 64);
	}
	if (kind == 9 || !m[0]) {
		i = rng_below(&h->rng, n);
		m[i / 64] |= 1ULL << (i % 64);
	}
	for (w = 0; w < TWIN_MASK_WORDS; w++)
		atomic_store_explicit(&tw->t[idx].mask[w], m[w], memory_order_relaxed);
	/* Sometimes publish what the firmware must refuse or ignore. */
	if (tw->cfg.bad_attrs && rng_chance(&h->rng, 30)) {
		h->st.bad_attr_writes++;
		if (rng_below(&h->rng, 2))
			weight = rng_below(&h->rng, 2) ? 0 : FW_SCHED_WEIGHT_MAX + 1 +
				 rng_below(&h->rng, 1000000);
		else if (tail)
			m[tw->l.cpu_words - 1] |= ~((1ULL << tail) - 1);
	}
	__atomic_store_n(&t->weight, weight, __ATOMIC_RELAXED);
	for (w = 0; w < tw->l.cpu_words; w++)
		__atomic_store_n(&t->cpus[w], m[w], __ATOMIC_RELAXED);
	h->st.attr_changes++;
}

static void block(struct hctx *h, uint32_t idx)
{
	struct twin *tw = h->tw;
	struct blocked *b = &tw->bl;

	pthread_mutex_lock(&b->lock);
	if (b->n < b->cap)
		b->e[b->n++] = (struct bent){ idx, twin_now() +
					     rng_below(&h->rng, 200000) };
	else
		VIOL(tw, "blocked list overflow");
	pthread_mutex_unlock(&b->lock);
	h->st.blocks++;
}

/* Wake blocked tasks that are due (all of them while draining). */
static void wake_due(struct hctx *h)
{
	struct twin *tw = h->tw;
	struct blocked *b = &tw->bl;
	struct bent got[4];
	bool drain = atomic_load(&tw->draining);
	uint64_t now = twin_now();
	uint32_t i = 0, n = 0;

	if (pthread_mutex_trylock(&b->lock))
		return;
	while (i < b->n && n < 4) {
		if (drain || b->e[i].wake_ns <= now) {
			got[n++] = b->e[i];
			b->e[i] = b->e[--b->n];
		} else {
			i++;
		}
	}
	pthread_mutex_unlock(&b->lock);
	for (i = 0; i < n; i++) {
		if (tw->cfg.churn && rng_chance(&h->rng, 100))
			change_attrs(h, got[i].idx);
		enqueue(h, got[i].idx, IPUSWAP_LOC_NONE);
	}
}

/*
 * The outcome of a claim begun at @t0 (retract, self-serve): timed unless
 * the task simply was not queued (STATE), failures counted in @fail.
 */
static bool claimed(enum ipuswap_reason r, uint64_t t0, struct hist *hist, uint64_t *fail)
{
	if (r != IPUSWAP_R_STATE)
		hist_add(hist, twin_now() - t0);
	if (r != IPUSWAP_OK && r != IPUSWAP_R_STATE)
		(*fail)++;
	return r == IPUSWAP_OK;
}

/* Another CPU dequeues a queued task (it blocked, or its affinity changes). */
static void retract_random(struct hctx *h)
{
	struct twin *tw = h->tw;
	uint32_t idx = rng_below(&h->rng, tw->cfg.tasks);
	enum ipuswap_reason r;
	uint64_t t0;
	__u64 seen;

	/*
	 * No filtering here: the sequence itself must refuse a task that is
	 * not in the runqueue (STATE), and retry a race with the firmware.
	 */
	t0 = twin_now();
	r = ipuswap_host_retract(&h->host, idx, &seen);
	if (!claimed(r, t0, &h->st.h_retract, &h->st.retract_fail))
		return;
	h->st.retracts++;
	ghost_move(tw, idx, G_QUEUED, G_HOST, "retract of");
	atomic_fetch_add(&tw->t[idx].retr, 1);
	ghost_counts(tw, idx, "retract of");
	atomic_fetch_add(&tw->t[idx].qgen, 1);
	if (rng_below(&h->rng, 2)) {
		change_attrs(h, idx);
		enqueue(h, idx, IPUSWAP_LOC_NONE);
	} else {
		block(h, idx);
	}
}

/*
 * Dispatch from the cell: peek, REFLECT on the host's own mask, take.
 * Returns the task index, or -1 (the sequence answered the cell ABORT, or
 * there was no valid proposal). A take must commit exactly the version the
 * cell named: COMMIT(cpu) at that version + 1.
 */
static int take(struct hctx *h, uint32_t cpu, __u64 *held)
{
	struct twin *tw = h->tw;
	enum ipuswap_reason r;
	__u64 prop, seen, want;
	uint64_t t0, t1;
	uint32_t idx;
	bool allowed;

	r = ipuswap_host_peek(&h->host, cpu, &idx);
	if (r == IPUSWAP_R_BAD_WORD || r == IPUSWAP_R_BAD_INDEX)
		h->st.bad_cell++;
	if (r)
		return -1;
	/*
	 * Reflect against our own truth, read after the cell: the mask only
	 * changes while another CPU owns the task, which moves its version,
	 * so a mask older than the proposal fails the take as stale.
	 */
	allowed = host_allowed(tw, idx, cpu);
	t0 = twin_now();
	r = ipuswap_host_take(&h->host, cpu, idx, allowed, &prop, &seen);
	t1 = twin_now();
	hist_add(&h->st.h_take, t1 - t0);
	if (r == IPUSWAP_R_NO_PROPOSAL)
		return -1;	/* withdrawn between peek and take */
	h->st.answers++;
	if (r == IPUSWAP_OK) {
		struct ttask *g = &tw->t[idx];

		want = IPUSWAP_HOME(IPUSWAP_TASK_COMMIT, IPUSWAP_OWNER_HOST, cpu,
				    IPUSWAP_CELL_VER(prop) + 1);
		if (seen != want)
			VIOL(tw, "take of task %u on cpu %u produced word %#llx for cell "
			     "version %u (want %#llx)", idx, cpu,
			     (unsigned long long)seen, IPUSWAP_CELL_VER(prop),
			     (unsigned long long)want);
		claim(h, idx, cpu, t1);
		if (atomic_load(&g->staged_ver) == IPUSWAP_CELL_VER(prop))
			hist_add(&h->st.h_declat, t1 - atomic_load(&g->staged_ns));
		h->st.takes++;
		*held = seen;
		return (int)idx;
	}
	if (r == IPUSWAP_R_NOT_ALLOWED)
		h->st.not_allowed++;
	h->st.take_fail[r]++;
	return -1;
}

/* The host never waits: serve a task from the host's own runqueue. */
static int self_serve(struct hctx *h, uint32_t cpu, __u64 *held)
{
	struct twin *tw = h->tw;
	struct qent e;
	unsigned int k;

	for (k = 0; k < TWIN_SELF_TRIES; k++) {
		enum ipuswap_reason r;
		uint64_t t0;
		__u64 seen;

		if (!q_pop(tw, &e))
			return -1;
		h->st.self_tries++;
		if (e.gen != atomic_load(&tw->t[e.idx].qgen))
			continue;	/* it left the queue since */
		if (!host_allowed(tw, e.idx, cpu)) {
			q_push(tw, e.idx, e.gen);	/* some other CPU's */
			continue;
		}
		/* Unfiltered: running or retracted tasks must be refused. */
		t0 = twin_now();
		r = ipuswap_host_self_serve(&h->host, e.idx, cpu, true, &seen);
		if (!claimed(r, t0, &h->st.h_self, &h->st.self_fail))
			continue;	/* claimed by someone else */
		claim(h, e.idx, cpu, twin_now());
		h->st.self++;
		*held = seen;
		return (int)e.idx;
	}
	return -1;
}

/* ---- one CPU step ---------------------------------------------------------- */

static void check_held(struct hctx *h, uint32_t idx, __u64 held, const char *when)
{
	__u64 now = __atomic_load_n(home_of(h->tw, idx), __ATOMIC_ACQUIRE);

	if (now != held)
		VIOL(h->tw, "task %u moved %s: home %#llx, runner holds %#llx", idx,
		     when, (unsigned long long)now, (unsigned long long)held);
}

static bool cpu_step(struct hctx *h, uint32_t cpu)
{
	struct twin *tw = h->tw;
	const struct twin_cfg *cfg = &tw->cfg;
	bool drain = atomic_load(&tw->draining);
	__u64 held = 0, seen;
	int idx;
	int32_t me;
	uint32_t roll;

	h->st.steps++;
	if (cfg->churn || drain)
		wake_due(h);
	if (cfg->churn && !drain && rng_chance(&h->rng, 40))
		retract_random(h);

	/* Dispatch: our cell first, then our own queue. */
	idx = take(h, cpu, &held);
	if (idx < 0 && (cfg->self_serve || drain))
		idx = self_serve(h, cpu, &held);
	if (idx < 0) {
		h->st.idle++;
		return false;
	}

	/* Run. Nobody but this CPU may move a COMMIT task. */
	check_held(h, (uint32_t)idx, held, "while starting to run");
	if (cfg->run_max_ns)
		spin_ns(rng_below(&h->rng, cfg->run_max_ns + 1));
	check_held(h, (uint32_t)idx, held, "while running");

	if (ipuswap_host_stop(&h->host, (uint32_t)idx, &seen)) {
		VIOL(tw, "stop of running task %d failed: home %#llx", idx,
		     (unsigned long long)__atomic_load_n(home_of(tw, (uint32_t)idx),
							 __ATOMIC_ACQUIRE));
		return true;
	}
	h->st.stops++;
	me = idx;
	if (!atomic_compare_exchange_strong(&tw->running[cpu], &me, -1))
		VIOL(tw, "cpu %u stopped task %d but ran %d", cpu, idx, me);
	ghost_move(tw, (uint32_t)idx, G_RUN + (int)cpu, G_HOST, "stop of");

	if (drain) {
		atomic_store(&tw->t[idx].parked, true);
		atomic_fetch_add(&tw->parked, 1);
		return true;
	}
	roll = cfg->churn ? rng_below(&h->rng, 100) : 0;
	if (roll < 65) {
		enqueue(h, (uint32_t)idx, cpu);
	} else if (roll < 90) {
		block(h, (uint32_t)idx);
	} else if (roll < 97) {
		change_attrs(h, (uint32_t)idx);
		enqueue(h, (uint32_t)idx, cpu);
	} else {
		change_attrs(h, (uint32_t)idx);
		block(h, (uint32_t)idx);
	}
	return true;
}

void *twin_host_thread(void *arg)
{
	struct hctx *h = arg;
	struct twin *tw = h->tw;
	struct timespec nap = { 0, 20000 };
	uint32_t c;
	bool any;

	host_init(h);
	while (!atomic_load_explicit(&tw->host_stop, memory_order_relaxed)) {
		any = false;
		for (c = h->cpu_first; c < h->cpu_first + h->cpu_count; c++)
			any |= cpu_step(h, c);
		/* Oversubscribed cores: let the others (and the firmware) run. */
		if (!any && tw->cfg.idle_yield)
			sched_yield();
		if (!tw->cfg.churn)
			continue;	/* bench: consume as fast as possible */
		if (rng_chance(&h->rng, 64))
			sched_yield();
		else if (rng_chance(&h->rng, 4))
			nanosleep(&nap, NULL);
	}
	return NULL;
}

/* ---- a rogue proposer ------------------------------------------------------ */

/*
 * --chaos: a second "firmware" that cannot be trusted. It writes proposals
 * the host must refuse: versions that moved (older or newer than the home
 * word), the right version for another CPU, tasks that are not runnable,
 * slots never created. It uses the cell transition, so only idle cells are
 * written; the real engine then finds its own propose failing and must put
 * its staged task back. Now and then it writes an undecodable word instead,
 * which the host must repair (ipuswap_cell_repair) to get decisions again. Any take that succeeds on such a proposal is caught
 * by the take check in take() (version and CPU of the word taken).
 */
void *twin_chaos_thread(void *arg)
{
	struct twin *tw = arg;
	uint64_t rng = tw->cfg.seed ^ 0xc4a05c4a05ULL;
	struct timespec nap = { 0, 5000 };

	while (!atomic_load_explicit(&tw->fw_stop, memory_order_relaxed)) {
		uint32_t cpu = rng_below(&rng, tw->cfg.cpus);
		uint32_t idx = rng_below(&rng, tw->cfg.tasks + 2), i;
		__u64 *cell, cw, hw = __atomic_load_n(home_of(tw, idx), __ATOMIC_ACQUIRE);
		uint32_t ver;

		/*
		 * Half the time aim where it hurts: a task proposed to a CPU
		 * whose cell is idle (the engine is between stage and propose,
		 * or died there). Only the version then tells the host no.
		 */
		for (i = 0; i < tw->cfg.tasks && rng_below(&rng, 2); i++) {
			uint32_t j = (idx + i) % tw->cfg.tasks;
			__u64 w = __atomic_load_n(home_of(tw, j), __ATOMIC_ACQUIRE);

			if (IPUSWAP_HOME_STATE(w) == IPUSWAP_TASK_PROPOSE &&
			    IPUSWAP_HOME_LOC(w) < tw->cfg.cpus) {
				idx = j;
				hw = w;
				cpu = IPUSWAP_HOME_LOC(w);
				break;
			}
		}
		cell = cell_of(tw, cpu);
		cw = __atomic_load_n(cell, __ATOMIC_ACQUIRE);
		ver = IPUSWAP_HOME_VER(hw);

		switch (rng_below(&rng, 4)) {
		case 0:
			ver -= 1 + rng_below(&rng, 3);	/* moved since */
			break;
		case 1:
			ver += 1 + rng_below(&rng, 2);	/* not yet */
			break;
		default:
			break;				/* as it is now */
		}
		if (rng_chance(&rng, 64)) {
			/* Sometimes plain garbage: the host must repair it. */
			if (__atomic_compare_exchange_n(cell, &cw,
					IPUSWAP_CELL(4 + rng_below(&rng, 250),
						     rng_next(&rng), idx, ver),
					false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				tw->chaos_garbage++;
		} else if (!ipuswap_cell_propose(cell, &cw, tw->l.nr_tasks, idx, ver)) {
			tw->chaos_props++;
		}
		nanosleep(&nap, NULL);
	}
	return NULL;
}

/* ---- setup, monitoring, the end ------------------------------------------- */

/* Create every task (host, before any thread runs) and enqueue it. */
void twin_create_tasks(struct twin *tw, uint64_t *rng)
{
	struct hctx boot = { .tw = tw, .rng = *rng };
	uint32_t idx;

	host_init(&boot);
	for (idx = 0; idx < tw->cfg.tasks; idx++) {
		struct ipuswap_task *t = ipuswap_task_at(tw->win, &tw->l, idx);
		__u64 seen = __atomic_load_n(&t->home, __ATOMIC_ACQUIRE);

		atomic_store(&tw->t[idx].where, G_HOST);
		if (IPUSWAP_HOME_STATE(seen) != IPUSWAP_TASK_FREE ||
		    ipuswap_host_create(&boot.host, idx, &seen)) {
			VIOL(tw, "create of task %u failed: %#llx", idx,
			     (unsigned long long)seen);
			continue;
		}
		__atomic_store_n(&t->pid, 1000 + idx, __ATOMIC_RELAXED);
		change_attrs(&boot, idx);
		if (!tw->cfg.churn) {
			/* Bench: every task may run everywhere, weight 100. */
			uint32_t w;

			for (w = 0; w < TWIN_MASK_WORDS; w++)
				atomic_store(&tw->t[idx].mask[w], 0);
			for (w = 0; w < tw->cfg.cpus; w++)
				atomic_fetch_or(&tw->t[idx].mask[w / 64], 1ULL << (w % 64));
			for (w = 0; w < tw->l.cpu_words; w++)
				__atomic_store_n(&t->cpus[w], atomic_load(&tw->t[idx].mask[w]),
						 __ATOMIC_RELAXED);
			__atomic_store_n(&t->weight, 100, __ATOMIC_RELAXED);
		}
		enqueue(&boot, idx, IPUSWAP_LOC_NONE);
	}
	*rng = boot.rng;
}

void twin_on_stage(void *arg, uint32_t idx, uint32_t cpu, uint64_t word,
		   uint64_t t_ns)
{
	struct twin *tw = arg;

	(void)cpu;
	if (idx >= tw->cfg.tasks)
		return;
	atomic_store(&tw->t[idx].staged_ns, t_ns);
	atomic_store(&tw->t[idx].staged_ver, IPUSWAP_HOME_VER(word));
}

/* Periodic, from the main thread: nobody waits in the runqueue forever. */
void twin_monitor(struct twin *tw)
{
	uint64_t now = twin_now();
	uint32_t idx;

	for (idx = 0; idx < tw->cfg.tasks; idx++) {
		struct ttask *g = &tw->t[idx];
		uint64_t enq = atomic_load(&g->enq), since = atomic_load(&g->enq_ns);

		if (atomic_load(&g->where) != G_QUEUED || tw->reported[idx] == enq)
			continue;
		if (now > since && (double)(now - since) > tw->cfg.max_wait_s * 1e9) {
			tw->reported[idx] = enq;
			VIOL(tw, "task %u queued for %.3f s without a dispatch (home %#llx)",
			     idx, (double)(now - since) / 1e9,
			     (unsigned long long)__atomic_load_n(home_of(tw, idx),
								 __ATOMIC_ACQUIRE));
		}
	}
}

/* Everything stopped: every task parked, owned by the host, then freed. */
void twin_final_check(struct twin *tw)
{
	struct hctx fin = { .tw = tw };
	uint32_t idx, live = 0, c;
	char buf[32];

	host_init(&fin);
	for (idx = 0; idx < tw->cfg.tasks; idx++) {
		struct ttask *g = &tw->t[idx];
		__u64 *home = home_of(tw, idx), seen = __atomic_load_n(home, __ATOMIC_ACQUIRE);
		int w = atomic_load(&g->where);

		if (!atomic_load(&g->parked) || w != G_HOST ||
		    IPUSWAP_HOME_STATE(seen) != IPUSWAP_TASK_HOST) {
			VIOL(tw, "task %u not drained: ghost %s, parked %d, home %#llx",
			     idx, where_str(w, buf, sizeof(buf)),
			     (int)atomic_load(&g->parked), (unsigned long long)seen);
			continue;
		}
		ghost_counts(tw, idx, "final state of");
		if (ipuswap_host_destroy(&fin.host, idx))
			VIOL(tw, "destroy of task %u failed: %#llx", idx,
			     (unsigned long long)seen);
	}
	for (c = 0; c < tw->cfg.cpus; c++)
		if (atomic_load(&tw->running[c]) != -1)
			VIOL(tw, "cpu %u still runs task %d", c,
			     atomic_load(&tw->running[c]));
	/* Every enqueue was consumed: no entry may still look live. */
	pthread_mutex_lock(&tw->q.lock);
	q_compact(tw, &tw->q);
	live = tw->q.n;
	pthread_mutex_unlock(&tw->q.lock);
	if (live)
		VIOL(tw, "%u live entries left in the host queue", live);
}
