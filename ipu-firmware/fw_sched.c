// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * fw_sched: the firmware's staging engine (see fw_sched.h).
 *
 * Per CPU the pipeline is: see the cell free (a cell scan) -> stage a task
 * (home CAS) -> propose it (cell CAS) -> see the host's answer (a later
 * cell scan). Only one CAS per CPU is in flight; CPUs overlap. The cell
 * words and the task table are read in bulk, one read of each in flight.
 *
 * A snapshot is only a hint: every action on it is a CAS expecting the
 * word the snapshot holds, so a stale snapshot costs an abort, never a
 * wrong transition. To avoid acting on snapshots older than our own last
 * write, each read and CAS gets the order in which it took effect on the
 * window (fw_pcie exec_order); a snapshot taken before our last CAS on a
 * word is not used for that word.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipuswap_swap.h"
#include "fw_engine.h"
#include "fw_sched.h"

#define ORDER_PENDING	UINT64_MAX
#define SCAN_SLACK	64		/* tasks scanned past the high-water mark */
#define VTIME_LAG	(8 * FW_SCHED_SLICE_NS)	/* sleeper credit bound */

enum next_op { NX_NONE, NX_PROPOSE, NX_DECLINE };

struct fw_cas {
	struct fw_pcie_op op;		/* first: the model hands this back */
	struct fw_sched *s;
	struct fw_cpu *c;
	enum fw_sched_opk kind;
	__u64 *word;			/* the window word */
	__u64 seen;			/* in: expected; out: new or current */
	uint32_t idx, ver;
	enum ipuswap_reason r;
	uint64_t t_ns;			/* when it took effect (for on_stage) */
};

struct fw_cpu {
	uint32_t cpu;
	bool busy;			/* a CAS of this pipeline is in flight */
	enum next_op next;		/* follow-up that could not be issued */
	bool cell_pending;		/* our CAS on the cell is in flight */
	bool cell_known;		/* cell holds a word newer than our CAS */
	uint64_t cell;
	uint64_t cell_order;
	bool counted_has, bad_has;
	uint64_t counted;		/* last answer counted */
	uint64_t bad;			/* last bad cell word counted */
	/* The staged task, between stage and propose/decline. */
	uint64_t staged;
	uint32_t st_idx, st_weight;
	uint64_t st_vtime;
	/* The last proposal, to charge vtime when its commit is seen. */
	bool prop_valid;
	uint32_t prop_idx, prop_ver, prop_weight;
	uint64_t prop_vtime;
	struct fw_cas cas;
};

enum bulk_what { BULK_CELLS, BULK_TABLE, BULK_HDR };

struct fw_bulk {
	struct fw_pcie_op op;		/* first */
	enum bulk_what what;
	bool busy;
	void *dst;
	const void *src;
	size_t len;
	uint32_t n;			/* table: entries covered */
};

struct fw_cand {
	uint64_t word;
	uint64_t vtime;			/* effective (clamped) */
	const __u64 *cpus;		/* in the snapshot */
	uint32_t idx;
	uint32_t weight;
	bool used;
};

struct fw_sched {
	void *win;
	size_t win_size;
	struct fw_pcie *p;
	struct fw_sched_cfg cfg;
	struct ipuswap_layout l;
	struct ipuswap_window_hdr hdr0;	/* validated at create */
	struct ipuswap_window_hdr hdr_buf;
	uint32_t first, count, rr;
	struct fw_cpu *cpus;
	struct fw_bulk cells_rd, table_rd, hdr_rd;
	__u8 *cells_buf;
	__u8 *table_buf[2];
	unsigned int cur;		/* table_buf[cur] backs the candidates */
	uint32_t table_n;		/* entries in the current snapshot */
	uint64_t table_order;
	bool have_table;
	struct fw_cand *cand;
	uint32_t nr_cand, cand_first, nr_used;
	uint64_t table_issued_ns;
	uint64_t *claim_order;		/* per task: our last stage/decline */
	uint64_t *bad_word;		/* per task: last bad word counted */
	__u8 *bad_has;
	uint32_t hwm;
	uint32_t scans_since_full;
	uint64_t vclock;
	uint64_t next_poll_ns;
	uint64_t next_hdr_scan;
	bool want_table;		/* a cell wanted work and none fit */
	bool staged_since_read;		/* the table changed by our hand */
	bool draining;
	bool stale;			/* the header changed: start over */
	struct fw_sched_stats st;
};

/* ---- header ------------------------------------------------------------- */

/* The engine's own conditions; the header's are named by ipuswap_hdr_fault_name(). */
static const char *const hdr_err_str[FW_HDR_NR_ERRS] = {
	[FW_HDR_NOT_SCHED] = "no scheduler attached (host_state != SCHED)",
	[FW_HDR_NR_CPUS] = "host_nr_cpus is 0 or above IPUSWAP_MAX_CPUS",
	[FW_HDR_LAYOUT] = "swap region cannot hold 64 tasks for host_nr_cpus",
	[FW_HDR_CPU_RANGE] = "configured CPU range outside host_nr_cpus",
};

const char *fw_sched_hdr_err_str(enum fw_sched_hdr_err e)
{
	if (e < FW_HDR_NOT_SCHED)
		return ipuswap_hdr_fault_name(e);
	return e < FW_HDR_NR_ERRS ? hdr_err_str[e] : "?";
}

enum fw_sched_hdr_err fw_sched_validate(const struct ipuswap_window_hdr *h,
					size_t win_size,
					const struct fw_sched_cfg *cfg,
					struct ipuswap_layout *l)
{
	enum ipuswap_hdr_fault f = ipuswap_hdr_check(h, win_size);
	uint64_t end, table;

	if (f != IPUSWAP_HF_OK)
		return (enum fw_sched_hdr_err)f;
	if (h->host_state != IPUSWAP_HOST_SCHED)
		return FW_HDR_NOT_SCHED;
	if (h->host_nr_cpus == 0 || h->host_nr_cpus > IPUSWAP_MAX_CPUS)
		return FW_HDR_NR_CPUS;
	if (ipuswap_layout(h->region_offset, h->region_size, h->host_nr_cpus, l))
		return FW_HDR_LAYOUT;
	/* ipuswap_layout() trusts its inputs; the result must fit anyway. */
	table = (uint64_t)l->nr_tasks * l->task_stride;
	end = l->tasks_offset + table;
	if (l->tasks_offset < l->cells_offset || end > h->region_offset + h->region_size)
		return FW_HDR_LAYOUT;
	if (cfg->cpu_first >= l->nr_cpus ||
	    (uint64_t)cfg->cpu_first + cfg->cpu_count > l->nr_cpus)
		return FW_HDR_CPU_RANGE;
	return FW_HDR_OK;
}

/* ---- small helpers ------------------------------------------------------ */

static struct ipuswap_task *snap_task(const struct fw_sched *s, unsigned int buf,
				      uint32_t idx)
{
	return (struct ipuswap_task *)(s->table_buf[buf] +
				       (size_t)idx * s->l.task_stride);
}

static bool cpu_allowed(const __u64 *cpus, uint32_t cpu)
{
	return (cpus[cpu / 64] >> (cpu % 64)) & 1;
}

static bool any_cpu(const struct fw_sched *s, const __u64 *cpus)
{
	uint32_t w, tail = s->l.nr_cpus % 64;
	uint64_t m;

	for (w = 0; w < s->l.cpu_words; w++) {
		m = cpus[w];
		if (w == s->l.cpu_words - 1 && tail)
			m &= (1ULL << tail) - 1;
		if (m)
			return true;
	}
	return false;
}

/* Count a bad host value once per (task, home word), not once per scan. */
static void count_bad(struct fw_sched *s, uint32_t idx, uint64_t word,
		      uint64_t *counter)
{
	if (s->bad_has[idx] && s->bad_word[idx] == word)
		return;
	s->bad_has[idx] = 1;
	s->bad_word[idx] = word;
	(*counter)++;
}

/* ---- cells ---------------------------------------------------------------- */

static bool cell_fillable(const struct fw_sched *s, uint64_t w)
{
	return ipuswap_cell_valid(w, s->l.nr_tasks) &&
	       IPUSWAP_CELL_STATE(w) != IPUSWAP_CELL_PROPOSE;
}

static void charge(struct fw_sched *s, struct fw_cpu *c)
{
	struct ipuswap_task *t = ipuswap_task_at(s->win, &s->l, c->prop_idx);
	uint64_t v = c->prop_vtime + FW_SCHED_SLICE_NS * 100 / c->prop_weight;

	fw_pcie_write64(s->p, &t->fw_vtime, v);
	s->st.vtime_charges++;
	c->prop_valid = false;
}

/*
 * A cell word seen at `order`: keep it unless our own CAS on the cell is
 * pending or we already know a newer word; count a new answer once.
 */
static void observe_cell(struct fw_sched *s, struct fw_cpu *c, uint64_t w,
			 uint64_t order)
{
	__u8 st = IPUSWAP_CELL_STATE(w);

	if (c->cell_pending || (c->cell_known && order < c->cell_order))
		return;
	c->cell = w;
	c->cell_order = order;
	c->cell_known = true;
	if (!ipuswap_cell_valid(w, s->l.nr_tasks)) {
		if (!c->bad_has || c->bad != w)
			s->st.bad_cell++;
		c->bad_has = true;
		c->bad = w;
		return;
	}
	if (st != IPUSWAP_CELL_COMMIT && st != IPUSWAP_CELL_ABORT)
		return;
	if (c->counted_has && c->counted == w)
		return;
	c->counted_has = true;
	c->counted = w;
	if (st == IPUSWAP_CELL_ABORT) {
		s->st.answers_abort[IPUSWAP_CELL_REASON(w)]++;
		c->prop_valid = false;
		return;
	}
	s->st.answers_commit++;
	if (c->prop_valid && c->prop_idx == IPUSWAP_CELL_IDX(w) &&
	    c->prop_ver == IPUSWAP_CELL_VER(w))
		charge(s, c);
}

/*
 * Can the unanswered proposal in this cell still be taken? Only if the
 * task's home word is PROPOSE(this cpu) at exactly the cell's version.
 * Versions only grow, so a snapshot that shows a later version proves the
 * proposal dead, however old the snapshot. One step later and COMMIT on
 * this CPU means the host took it and its answer may still be on the way:
 * leave that to the host.
 */
static bool proposal_dead(const struct fw_sched *s, const struct fw_cpu *c)
{
	uint32_t idx = IPUSWAP_CELL_IDX(c->cell), ver = IPUSWAP_CELL_VER(c->cell);
	uint64_t h;
	int32_t d;

	if (!s->have_table || idx >= s->table_n)
		return false;
	h = snap_task(s, s->cur, idx)->home;
	d = (int32_t)(IPUSWAP_HOME_VER(h) - ver);
	if (d < 0)
		return false;	/* snapshot older than the proposal */
	if (d == 0)
		return IPUSWAP_HOME_STATE(h) != IPUSWAP_TASK_PROPOSE ||
		       IPUSWAP_HOME_LOC(h) != c->cpu;
	if (d == 1)
		return IPUSWAP_HOME_STATE(h) != IPUSWAP_TASK_COMMIT ||
		       IPUSWAP_HOME_LOC(h) != c->cpu;
	return true;
}

/* ---- the task table ------------------------------------------------------ */

static int cand_cmp(const void *a, const void *b)
{
	const struct fw_cand *x = a, *y = b;

	if (x->vtime != y->vtime)
		return x->vtime < y->vtime ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Insertion sort where it is cheaper than qsort's calls through a pointer. */
static void sort_cands(struct fw_cand *c, uint32_t n)
{
	struct fw_cand x;
	uint32_t i, j;

	if (n > 128) {
		qsort(c, n, sizeof(*c), cand_cmp);
		return;
	}
	for (i = 1; i < n; i++) {
		x = c[i];
		for (j = i; j > 0 && cand_cmp(&c[j - 1], &x) > 0; j--)
			c[j] = c[j - 1];
		c[j] = x;
	}
}

/* A new table snapshot arrived in table_buf[cur]: rebuild the candidates. */
static void rebuild(struct fw_sched *s, uint32_t n, uint64_t order)
{
	uint64_t vmin = UINT64_MAX, floor;
	uint32_t idx, hwm = 0, i;

	s->nr_cand = 0;
	s->cand_first = 0;
	s->nr_used = 0;
	for (idx = 0; idx < n; idx++) {
		struct ipuswap_task *t = snap_task(s, s->cur, idx);
		uint64_t w = t->home;
		struct fw_cand *c;

		if (!ipuswap_home_valid(w, s->l.nr_cpus)) {
			count_bad(s, idx, w, &s->st.bad_home);
			hwm = idx + 1;
			continue;
		}
		if (IPUSWAP_HOME_STATE(w) != IPUSWAP_TASK_FREE)
			hwm = idx + 1;
		if (IPUSWAP_HOME_STATE(w) != IPUSWAP_TASK_QUEUED)
			continue;
		if (t->weight < FW_SCHED_WEIGHT_MIN || t->weight > FW_SCHED_WEIGHT_MAX) {
			count_bad(s, idx, w, &s->st.bad_weight);
			continue;
		}
		if (!any_cpu(s, t->cpus)) {
			count_bad(s, idx, w, &s->st.bad_cpus);
			continue;
		}
		/* Our own stage/decline took effect after this snapshot. */
		if (s->claim_order[idx] > order)
			continue;
		c = &s->cand[s->nr_cand++];
		c->idx = idx;
		c->word = w;
		c->weight = t->weight;
		c->vtime = t->fw_vtime;
		c->cpus = t->cpus;
		c->used = false;
		if (c->vtime < vmin)
			vmin = c->vtime;
	}
	/* A full scan sets the high-water mark; a partial one may only raise it. */
	if (n == s->l.nr_tasks || hwm > s->hwm)
		s->hwm = hwm;
	if (s->nr_cand && vmin > s->vclock)
		s->vclock = vmin;
	/* Long sleepers get at most VTIME_LAG of credit. */
	floor = s->vclock > VTIME_LAG ? s->vclock - VTIME_LAG : 0;
	for (i = 0; i < s->nr_cand; i++)
		if (s->cand[i].vtime < floor)
			s->cand[i].vtime = floor;
	sort_cands(s->cand, s->nr_cand);
	s->table_n = n;
	s->table_order = order;
	s->have_table = true;
}

/* Lowest vtime allowed on cpu, or one at its home location if close. */
static struct fw_cand *pick(struct fw_sched *s, uint32_t cpu)
{
	struct fw_cand *best = NULL, *c;
	unsigned int seen = 0;
	uint32_t i;

	while (s->cand_first < s->nr_cand && s->cand[s->cand_first].used)
		s->cand_first++;
	for (i = s->cand_first; i < s->nr_cand; i++) {
		c = &s->cand[i];
		if (c->used || !cpu_allowed(c->cpus, cpu))
			continue;
		if (s->claim_order[c->idx] > s->table_order) {
			c->used = true;
			s->nr_used++;
			continue;
		}
		if (IPUSWAP_HOME_LOC(c->word) == cpu)
			return c;
		if (!best)
			best = c;
		if (++seen >= FW_SCHED_HINT_LOOKAHEAD)
			break;
	}
	return best;
}

/* ---- CAS pipeline ------------------------------------------------------- */

static void cas_exec(struct fw_pcie_op *op)
{
	struct fw_cas *x = (struct fw_cas *)op;
	const struct ipuswap_layout *l = &x->s->l;

	switch (x->kind) {
	case FW_OP_STAGE:
		x->r = ipuswap_home_stage(x->word, &x->seen, l->nr_cpus, x->c->cpu);
		if (x->s->cfg.on_stage)
			x->t_ns = fw_pcie_clock();
		break;
	case FW_OP_PROPOSE:
		x->r = ipuswap_cell_propose(x->word, &x->seen, l->nr_tasks,
					    x->idx, x->ver);
		break;
	case FW_OP_DECLINE:
		x->r = ipuswap_home_decline(x->word, &x->seen, l->nr_cpus,
				       IPUSWAP_OWNER_FW);
		break;
	case FW_OP_WITHDRAW:
		x->r = ipuswap_cell_withdraw(x->word, &x->seen, l->nr_tasks);
		break;
	case FW_OP_NR:
		break;
	}
}

static int submit_cas(struct fw_sched *s, struct fw_cpu *c, enum fw_sched_opk kind,
		      __u64 *word, uint64_t seen)
{
	struct fw_cas *x = &c->cas;

	x->kind = kind;
	x->word = word;
	x->seen = seen;
	if (fw_pcie_submit(s->p, &x->op, FW_PCIE_ATOMIC, sizeof(__u64)))
		return -EBUSY;
	c->busy = true;
	if (kind == FW_OP_PROPOSE || kind == FW_OP_WITHDRAW)
		c->cell_pending = true;
	else
		s->claim_order[c->st_idx] = ORDER_PENDING;
	return 0;
}

static __u64 *cell_word(struct fw_sched *s, struct fw_cpu *c)
{
	return &ipuswap_cell_at(s->win, &s->l, c->cpu)->decision;
}

static __u64 *home_word(struct fw_sched *s, uint32_t idx)
{
	return &ipuswap_task_at(s->win, &s->l, idx)->home;
}

/* Issue the follow-up a completed stage or propose asked for. */
static bool issue_next(struct fw_sched *s, struct fw_cpu *c)
{
	int ret = 0;

	switch (c->next) {
	case NX_NONE:
		return false;
	case NX_PROPOSE:
		c->cas.idx = c->st_idx;
		c->cas.ver = IPUSWAP_HOME_VER(c->staged);
		ret = submit_cas(s, c, FW_OP_PROPOSE, cell_word(s, c), c->cell);
		break;
	case NX_DECLINE:
		ret = submit_cas(s, c, FW_OP_DECLINE, home_word(s, c->st_idx),
				 c->staged);
		break;
	}
	if (ret)
		return false;
	c->next = NX_NONE;
	return true;
}

/*
 * A stage lost its race: the word it got back says to whom (the host
 * served it: COMMIT; retracted it: HOST; re-queued it: QUEUED at a newer
 * version). Keep that newer word in the snapshot, so a proposal naming the
 * task is known dead sooner; its attributes are not trusted until the
 * next table read, so it is not staged again from here.
 */
static void lost(struct fw_sched *s, uint32_t idx, uint64_t w)
{
	struct ipuswap_task *t;

	s->st.stage_lost[ipuswap_home_valid(w, s->l.nr_cpus) ?
			 IPUSWAP_HOME_STATE(w) : IPUSWAP_TASK_NR_STATES]++;
	if (!s->have_table || idx >= s->table_n)
		return;
	t = snap_task(s, s->cur, idx);
	if ((int32_t)(IPUSWAP_HOME_VER(w) - IPUSWAP_HOME_VER(t->home)) > 0)
		t->home = w;
}

static void cas_done(struct fw_sched *s, struct fw_cas *x)
{
	struct fw_cpu *c = x->c;

	c->busy = false;
	if (x->r == IPUSWAP_OK)
		s->st.ok[x->kind]++;
	else
		s->st.aborts[x->kind][x->r]++;

	switch (x->kind) {
	case FW_OP_STAGE:
		s->claim_order[c->st_idx] = x->op.exec_order;
		if (x->r != IPUSWAP_OK) {
			lost(s, c->st_idx, x->seen);
			break;
		}
		c->staged = x->seen;
		if (s->cfg.on_stage)
			s->cfg.on_stage(s->cfg.arg, c->st_idx, c->cpu, x->seen, x->t_ns);
		/* The cell must still be the word we saw free. */
		c->next = c->cell_known && cell_fillable(s, c->cell) ?
			  NX_PROPOSE : NX_DECLINE;
		issue_next(s, c);
		break;
	case FW_OP_DECLINE:
		/* Failed: the host moved the task first, which is its right. */
		s->claim_order[c->st_idx] = x->op.exec_order;
		break;
	case FW_OP_PROPOSE:
		c->cell_pending = false;
		observe_cell(s, c, x->seen, x->op.exec_order);
		if (x->r == IPUSWAP_OK) {
			c->prop_valid = true;
			c->prop_idx = c->st_idx;
			c->prop_ver = IPUSWAP_HOME_VER(c->staged);
			c->prop_weight = c->st_weight;
			c->prop_vtime = c->st_vtime;
			break;
		}
		/* Nobody will be told about the staged task: put it back. */
		c->next = NX_DECLINE;
		issue_next(s, c);
		break;
	case FW_OP_WITHDRAW:
		c->cell_pending = false;
		observe_cell(s, c, x->seen, x->op.exec_order);
		break;
	case FW_OP_NR:
		break;
	}
}

/* ---- bulk reads ----------------------------------------------------------- */

static void bulk_exec(struct fw_pcie_op *op)
{
	struct fw_bulk *b = (struct fw_bulk *)op;

	fw_pcie_copy_in(b->dst, b->src, b->len);
}

static void cells_done(struct fw_sched *s)
{
	bool idle = true;
	uint32_t i;

	s->st.cell_scans++;
	for (i = 0; i < s->count; i++) {
		struct fw_cpu *c = &s->cpus[i];
		const struct ipuswap_cpu_cell *cell =
			(const void *)(s->cells_buf + (size_t)i * sizeof(*cell));

		observe_cell(s, c, cell->decision, s->cells_rd.op.exec_order);
		if (c->busy || c->cell_pending || !c->cell_known)
			idle = false;
		else if (cell_fillable(s, c->cell) || proposal_dead(s, c))
			idle = false;
	}
	s->next_poll_ns = idle && s->cfg.idle_poll_ns ?
			  fw_pcie_clock() + s->cfg.idle_poll_ns : 0;
}

static void hdr_done(struct fw_sched *s)
{
	struct ipuswap_layout l;

	s->st.hdr_checks++;
	if (ipuswap_hdr_restarts(&s->hdr0, &s->hdr_buf) ||
	    fw_sched_validate(&s->hdr_buf, s->win_size, &s->cfg, &l) != FW_HDR_OK)
		s->stale = true;
}

static void bulk_done(struct fw_sched *s, struct fw_bulk *b)
{
	b->busy = false;
	switch (b->what) {
	case BULK_CELLS:
		cells_done(s);
		break;
	case BULK_TABLE:
		s->st.table_scans++;
		s->cur ^= 1;
		rebuild(s, b->n, b->op.exec_order);
		break;
	case BULK_HDR:
		hdr_done(s);
		break;
	}
}

static bool submit_bulk(struct fw_sched *s, struct fw_bulk *b)
{
	if (fw_pcie_submit(s->p, &b->op, FW_PCIE_READ, b->len))
		return false;
	b->busy = true;
	return true;
}

static bool issue_table_read(struct fw_sched *s)
{
	struct fw_bulk *b = &s->table_rd;
	uint32_t n = s->l.nr_tasks;

	if (s->scans_since_full + 1 < FW_SCHED_FULL_EVERY && s->have_table) {
		/* Round up so a growing table is found a chunk at a time. */
		uint64_t part = ((uint64_t)s->hwm + 2 * SCAN_SLACK - 1) /
				SCAN_SLACK * SCAN_SLACK;

		if (part < n)
			n = (uint32_t)part;
	}
	b->n = n;
	b->dst = s->table_buf[s->cur ^ 1];
	b->len = (size_t)n * s->l.task_stride;
	if (!submit_bulk(s, b))
		return false;
	s->scans_since_full = n == s->l.nr_tasks ? 0 : s->scans_since_full + 1;
	s->want_table = false;
	s->staged_since_read = false;
	s->table_issued_ns = b->op.issue_ns;
	return true;
}

/* ---- the step ----------------------------------------------------------- */

static bool fill(struct fw_sched *s, struct fw_cpu *c)
{
	struct fw_cand *k;

	if (c->busy || c->cell_pending || !c->cell_known)
		return false;
	if (c->next != NX_NONE)
		return issue_next(s, c);
	if (s->draining)
		return false;
	if (!cell_fillable(s, c->cell)) {
		if (!ipuswap_cell_valid(c->cell, s->l.nr_tasks) || !proposal_dead(s, c))
			return false;
		return !submit_cas(s, c, FW_OP_WITHDRAW, cell_word(s, c), c->cell);
	}
	k = pick(s, c->cpu);
	if (!k) {
		if (!s->want_table)
			s->st.no_candidate++;
		s->want_table = true;
		return false;
	}
	c->st_idx = k->idx;
	c->st_weight = k->weight;
	c->st_vtime = k->vtime;
	if (submit_cas(s, c, FW_OP_STAGE, home_word(s, k->idx), k->word))
		return false;
	k->used = true;
	s->nr_used++;
	s->staged_since_read = true;
	return true;
}

/*
 * Re-read the table when a cell found nothing, when candidates run low,
 * or when we staged from a snapshot older than FW_SCHED_TABLE_AGE_NS (so
 * tasks the host re-queued are seen). Not after every stage: rebuilding
 * the candidates is most of the engine's own CPU time.
 */
static bool table_wanted(struct fw_sched *s)
{
	if (s->want_table || !s->have_table)
		return true;
	if (!s->staged_since_read)
		return false;
	if (s->nr_cand - s->nr_used < 2 * s->count)
		return true;
	return fw_pcie_clock() - s->table_issued_ns >= FW_SCHED_TABLE_AGE_NS;
}

static bool issue(struct fw_sched *s)
{
	bool did = false;
	uint32_t i, n;

	if (!s->hdr_rd.busy && s->st.cell_scans >= s->next_hdr_scan) {
		if (submit_bulk(s, &s->hdr_rd)) {
			s->next_hdr_scan = s->st.cell_scans + FW_SCHED_HDR_EVERY;
			did = true;
		}
	}
	if (!s->cells_rd.busy && !s->draining &&
	    (!s->next_poll_ns || fw_pcie_clock() >= s->next_poll_ns))
		did |= submit_bulk(s, &s->cells_rd);
	if (!s->table_rd.busy && !s->draining && table_wanted(s))
		did |= issue_table_read(s);
	/* Rotate the starting CPU so no CPU is always served last. */
	for (n = 0; n < s->count && !fw_pcie_full(s->p); n++) {
		i = (s->rr + n) % s->count;
		did |= fill(s, &s->cpus[i]);
	}
	s->rr = s->count ? (s->rr + 1) % s->count : 0;
	return did;
}

static bool reap(struct fw_sched *s)
{
	struct fw_pcie_op *op;
	bool did = false;

	while ((op = fw_pcie_reap(s->p))) {
		did = true;
		if (op == &s->cells_rd.op || op == &s->table_rd.op ||
		    op == &s->hdr_rd.op)
			bulk_done(s, (struct fw_bulk *)op);
		else
			cas_done(s, (struct fw_cas *)op);
	}
	return did;
}

int fw_sched_step(struct fw_sched *s)
{
	bool did;

	did = reap(s);
	if (s->stale)
		return -ESTALE;
	did |= issue(s);
	if (did)
		return 1;
	if (fw_pcie_wait(s->p))
		return 1;
	s->st.idle_passes++;
	return 0;
}

uint64_t fw_sched_idle_ns(const struct fw_sched *s)
{
	uint64_t now = fw_pcie_clock();

	return s->next_poll_ns > now ? s->next_poll_ns - now : 0;
}

void fw_sched_drain(struct fw_sched *s)
{
	uint32_t i;
	bool pending;

	s->draining = true;
	for (;;) {
		reap(s);
		pending = false;
		for (i = 0; i < s->count; i++) {
			struct fw_cpu *c = &s->cpus[i];

			if (c->next != NX_NONE && !c->busy)
				issue_next(s, c);
			pending |= c->next != NX_NONE;
		}
		if (!fw_pcie_inflight(s->p) && !pending)
			return;
		fw_pcie_wait(s->p);
	}
}

/* ---- setup ---------------------------------------------------------------- */

int fw_sched_create(struct fw_sched **out, void *win, size_t win_size,
		    struct fw_pcie *pcie, const struct fw_sched_cfg *cfg,
		    enum fw_sched_hdr_err *err)
{
	struct ipuswap_window_hdr h;
	struct ipuswap_layout l;
	struct fw_sched_cfg c = *cfg;
	struct fw_sched *s;
	size_t table;
	uint32_t i;

	*out = NULL;
	*err = FW_HDR_SIZE;
	if (win_size < sizeof(h))
		return -EINVAL;
	/* One read of the header; the layout comes from this copy only. */
	fw_pcie_read(pcie, &h, win, sizeof(h));
	if (c.cpu_count == 0 && c.cpu_first < h.host_nr_cpus)
		c.cpu_count = h.host_nr_cpus - c.cpu_first;
	*err = fw_sched_validate(&h, win_size, &c, &l);
	if (*err != FW_HDR_OK)
		return -EINVAL;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->win = win;
	s->win_size = win_size;
	s->p = pcie;
	s->cfg = c;
	s->l = l;
	s->hdr0 = h;
	s->first = c.cpu_first;
	s->count = c.cpu_count;
	table = (size_t)l.nr_tasks * l.task_stride;
	s->cpus = calloc(s->count, sizeof(*s->cpus));
	s->cells_buf = aligned_alloc(IPUSWAP_CACHELINE,
				     (size_t)s->count * IPUSWAP_CACHELINE);
	s->table_buf[0] = aligned_alloc(IPUSWAP_CACHELINE, table);
	s->table_buf[1] = aligned_alloc(IPUSWAP_CACHELINE, table);
	s->cand = calloc(l.nr_tasks, sizeof(*s->cand));
	s->claim_order = calloc(l.nr_tasks, sizeof(*s->claim_order));
	s->bad_word = calloc(l.nr_tasks, sizeof(*s->bad_word));
	s->bad_has = calloc(l.nr_tasks, 1);
	if (!s->cpus || !s->cells_buf || !s->table_buf[0] || !s->table_buf[1] ||
	    !s->cand || !s->claim_order || !s->bad_word || !s->bad_has) {
		fw_sched_destroy(s);
		return -ENOMEM;
	}
	for (i = 0; i < s->count; i++) {
		struct fw_cpu *cp = &s->cpus[i];

		cp->cpu = s->first + i;
		cp->cas.op.exec = cas_exec;
		cp->cas.s = s;
		cp->cas.c = cp;
	}
	s->cells_rd = (struct fw_bulk){
		.op.exec = bulk_exec, .what = BULK_CELLS, .dst = s->cells_buf,
		.src = ipuswap_cell_at(win, &l, s->first),
		.len = (size_t)s->count * IPUSWAP_CACHELINE,
	};
	s->table_rd = (struct fw_bulk){
		.op.exec = bulk_exec, .what = BULK_TABLE,
		.src = ipuswap_task_at(win, &l, 0),
	};
	s->hdr_rd = (struct fw_bulk){
		.op.exec = bulk_exec, .what = BULK_HDR, .dst = &s->hdr_buf,
		.src = win, .len = sizeof(s->hdr_buf),
	};
	s->next_hdr_scan = FW_SCHED_HDR_EVERY;
	*out = s;
	return 0;
}

void fw_sched_destroy(struct fw_sched *s)
{
	if (!s)
		return;
	/* Outstanding operations point into s: they die with it. */
	fw_pcie_abandon(s->p);
	free(s->cpus);
	free(s->cells_buf);
	free(s->table_buf[0]);
	free(s->table_buf[1]);
	free(s->cand);
	free(s->claim_order);
	free(s->bad_word);
	free(s->bad_has);
	free(s);
}

const struct fw_sched_stats *fw_sched_stats(const struct fw_sched *s)
{
	return &s->st;
}

const struct ipuswap_layout *fw_sched_layout(const struct fw_sched *s)
{
	return &s->l;
}

_Static_assert(sizeof(struct fw_sched_stats) % sizeof(uint64_t) == 0,
	       "stats hold only uint64_t counters");

void fw_sched_stats_add(struct fw_sched_stats *sum, const struct fw_sched_stats *x)
{
	const uint64_t *a = (const uint64_t *)x;
	uint64_t *b = (uint64_t *)sum;
	size_t i;

	/* Every field is a uint64_t counter. */
	for (i = 0; i < sizeof(*x) / sizeof(uint64_t); i++)
		b[i] += a[i];
}

/* ---- as the core's engine for IPUSWAP_PROTO_SWAP ------------------------- */

static int engine_create(void **engine, void *win, size_t win_size, struct fw_pcie *pcie,
			 enum fw_sched_hdr_err *err)
{
	struct fw_sched_cfg cfg = { 0 };	/* every CPU, no idle backoff */
	struct fw_sched *s;
	int ret = fw_sched_create(&s, win, win_size, pcie, &cfg, err);

	*engine = s;
	return ret;
}

static int engine_step(void *s)
{
	return fw_sched_step(s);
}

static uint64_t engine_idle_ns(const void *s)
{
	return fw_sched_idle_ns(s);
}

static uint64_t engine_decisions(const void *s)
{
	return fw_sched_stats(s)->ok[FW_OP_PROPOSE];
}

static void engine_describe(const void *s, char *buf, size_t size)
{
	const struct ipuswap_layout *l = fw_sched_layout(s);

	snprintf(buf, size, "%u CPUs, %u task slots", l->nr_cpus, l->nr_tasks);
}

static void engine_report(const void *s, char *buf, size_t size)
{
	(void)s;
	if (size)
		buf[0] = '\0';		/* the core's lines say enough */
}

static void engine_destroy(void *s)
{
	fw_sched_destroy(s);
}

const struct fw_engine_ops fw_sched_engine = {
	.name		= "staging",
	.create		= engine_create,
	.step		= engine_step,
	.idle_ns	= engine_idle_ns,
	.decisions	= engine_decisions,
	.describe	= engine_describe,
	.report		= engine_report,
	.destroy	= engine_destroy,
};
