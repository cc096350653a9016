// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipuswap-twin: run the real fw_sched engine against a host driver of the
 * same transitions, natively, with the PCIe latency model on the firmware
 * side, and check the protocol's invariants (see twin.h, host.c).
 *
 * --bench sweeps injected latencies and reports the firmware's staging
 * rate, the decision latency and the host's per-transition costs.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ipuswap_atomic.h"
#include "ipuswap_swap.h"
#include "twin.h"

#define DEF_WINDOW	(64ULL << 10)
#define BENCH_CPUS	8
#define BENCH_TASKS	64
#define BENCH_SECS	2.0

/* ---- results ----------------------------------------------------------------- */

struct twin_result {
	double secs;			/* firmware phase */
	uint64_t steps, takes, self, proposals, stage_aborts, violations;
	uint64_t retracts, blocks, attr_changes, not_allowed, max_wait_ns;
	uint64_t fw_restarts, chaos_props, chaos_garbage;
	struct fw_sched_stats fw;
	struct fw_pcie_stats pcie;
	struct hstats host;		/* merged */
	bool drained;
};

static void hstats_merge(struct hstats *d, const struct hstats *s)
{
	unsigned int i;

	d->steps += s->steps;
	d->takes += s->takes;
	for (i = 0; i < IPUSWAP_NR_REASONS; i++)
		d->take_fail[i] += s->take_fail[i];
	d->answers += s->answers;
	d->answer_fail += s->answer_fail;
	d->self += s->self;
	d->self_fail += s->self_fail;
	d->self_tries += s->self_tries;
	d->enq += s->enq;
	d->stops += s->stops;
	d->retracts += s->retracts;
	d->retract_fail += s->retract_fail;
	d->blocks += s->blocks;
	d->attr_changes += s->attr_changes;
	d->bad_attr_writes += s->bad_attr_writes;
	d->not_allowed += s->not_allowed;
	d->bad_cell += s->bad_cell;
	d->repairs += s->repairs;
	d->idle += s->idle;
	if (s->max_wait_ns > d->max_wait_ns)
		d->max_wait_ns = s->max_wait_ns;
	hist_merge(&d->h_take, &s->h_take);
	hist_merge(&d->h_self, &s->h_self);
	hist_merge(&d->h_enq, &s->h_enq);
	hist_merge(&d->h_retract, &s->h_retract);
	hist_merge(&d->h_declat, &s->h_declat);
}

/* ---- the firmware threads ------------------------------------------------- */

static void *fw_thread(void *arg)
{
	struct fwctx *f = arg;
	struct twin *tw = f->tw;
	const struct twin_cfg *cfg = &tw->cfg;
	struct fw_sched_cfg sc = {
		.cpu_first = f->cpu_first, .cpu_count = f->cpu_count,
		.on_stage = twin_on_stage, .arg = tw,
	};
	uint64_t stop_at = cfg->fw_stop_at >= 0 ?
			   tw->t0 + (uint64_t)(cfg->fw_stop_at * 1e9) : UINT64_MAX;
	uint64_t every = (uint64_t)(cfg->fw_restart_every * 1e9);
	uint64_t next_restart = every ? tw->t0 + every : UINT64_MAX, now;
	enum fw_sched_hdr_err err;
	struct fw_sched *s = NULL;
	uint64_t last_ok = 0;
	unsigned int quiet = 0;
	struct fw_pcie p;
	int r;

	fw_pcie_init(&p, &cfg->pcie);
	while (!atomic_load_explicit(&tw->fw_stop, memory_order_relaxed)) {
		now = twin_now();
		if (now >= stop_at)
			break;	/* a crash: what is in flight never happens */
		if (!s) {
			if (fw_sched_create(&s, tw->win, tw->size, &p, &sc, &err)) {
				f->create_fail++;
				fw_pcie_sleep_until(now + 1000000, false);
				continue;
			}
		}
		r = fw_sched_step(s);
		/*
		 * With no latency to wait out the engine never yields; on a
		 * shared core give the host a turn when nothing moved.
		 */
		if (cfg->pcie.spin_yield && r > 0) {
			const struct fw_sched_stats *st = fw_sched_stats(s);
			uint64_t sum = st->ok[FW_OP_STAGE] + st->ok[FW_OP_PROPOSE] +
				       st->ok[FW_OP_WITHDRAW];

			if (sum == last_ok && ++quiet >= 8) {
				sched_yield();
				quiet = 0;
			} else if (sum != last_ok) {
				last_ok = sum;
				quiet = 0;
			}
		}
		if (r == 0)
			fw_pcie_sleep_until(now + 1000, cfg->pcie.spin_yield);
		if (r < 0 || now >= next_restart) {
			/* Restart from whatever the window holds. */
			fw_sched_stats_add(&f->st, fw_sched_stats(s));
			fw_sched_destroy(s);
			s = NULL;
			last_ok = 0;
			f->restarts++;
			if (now >= next_restart)
				next_restart += every;
		}
	}
	if (s) {
		/* A clean stop finishes its pipelines; a crash does not. */
		if (atomic_load(&tw->fw_stop))
			fw_sched_drain(s);
		fw_sched_stats_add(&f->st, fw_sched_stats(s));
		fw_sched_destroy(s);
	}
	f->pst = p.stats;
	return NULL;
}

/* ---- one run ------------------------------------------------------------------ */

static int setup_window(struct twin *tw)
{
	struct ipuswap_window_hdr *h;
	uint32_t idx;

	tw->size = tw->cfg.window;
	tw->win = aligned_alloc(4096, tw->size);
	if (!tw->win)
		return -ENOMEM;
	memset(tw->win, 0, tw->size);
	h = tw->hdr = tw->win;
	/* Identity, as the firmware writes it at start (magic last). */
	ipuswap_hdr_init(h, tw->size, IPUSWAP_NR_VECTORS, 0);
	h->fw_generation = 1;
	ipuswap_store_release(&h->magic, IPUSWAP_MAGIC);
	/* The host side: its CPU count, then the layout both derive from it. */
	h->host_nr_cpus = tw->cfg.cpus;
	if (ipuswap_layout(h->region_offset, h->region_size, h->host_nr_cpus, &tw->l))
		return -EINVAL;
	if (tw->cfg.tasks > tw->l.nr_tasks)
		return -E2BIG;
	/*
	 * A zeroed home word is not a valid FREE word (FREE needs location
	 * NONE), so the host initialises the table before attaching.
	 */
	for (idx = 0; idx < tw->l.nr_tasks; idx++)
		ipuswap_task_at(tw->win, &tw->l, idx)->home =
			IPUSWAP_HOME(IPUSWAP_TASK_FREE, IPUSWAP_OWNER_NONE,
				     IPUSWAP_LOC_NONE, 0);
	ipuswap_store_release(&h->host_state, IPUSWAP_HOST_SCHED);
	return 0;
}

static void free_twin(struct twin *tw)
{
	free(tw->win);
	free(tw->t);
	free(tw->q.e);
	free(tw->bl.e);
	free((void *)tw->running);
	free(tw->reported);
	free(tw->host);
	free(tw->fw);
}

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - floor(s)) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Partition n CPUs over k threads: thread i gets [*first, *first + *count). */
static void split(unsigned int n, unsigned int k, unsigned int i,
		  uint32_t *first, uint32_t *count)
{
	*first = (uint32_t)((uint64_t)n * i / k);
	*count = (uint32_t)((uint64_t)n * (i + 1) / k) - *first;
}

static int twin_run(const struct twin_cfg *cfg, struct twin_result *res)
{
	struct twin *tw = calloc(1, sizeof(*tw));
	uint64_t rng = cfg->seed, t_end, t_fw_end, deadline;
	unsigned int i;
	int ret;

	memset(res, 0, sizeof(*res));
	if (!tw)
		return -ENOMEM;
	tw->cfg = *cfg;
	pthread_mutex_init(&tw->log_lock, NULL);
	pthread_mutex_init(&tw->bl.lock, NULL);
	ret = setup_window(tw);
	if (ret) {
		if (ret == -E2BIG)
			fprintf(stderr, "twin: a %llu-byte window holds %u tasks for "
				"%u CPUs; --tasks %u does not fit\n",
				(unsigned long long)cfg->window, tw->l.nr_tasks,
				cfg->cpus, cfg->tasks);
		else
			fprintf(stderr, "twin: window setup failed (%d)\n", ret);
		free_twin(tw);
		free(tw);
		return ret;
	}
	tw->nr_host = cfg->host_threads ? cfg->host_threads : cfg->cpus;
	tw->nr_fw = cfg->fw_threads;
	tw->t = calloc(cfg->tasks, sizeof(*tw->t));
	tw->running = malloc(cfg->cpus * sizeof(*tw->running));
	tw->reported = calloc(cfg->tasks, sizeof(*tw->reported));
	tw->bl.cap = cfg->tasks;
	tw->bl.e = calloc(cfg->tasks, sizeof(*tw->bl.e));
	tw->host = calloc(tw->nr_host, sizeof(*tw->host));
	tw->fw = calloc(tw->nr_fw ? tw->nr_fw : 1, sizeof(*tw->fw));
	if (!tw->t || !tw->running || !tw->reported || !tw->bl.e || !tw->host ||
	    !tw->fw || twin_queue_init(&tw->q, 4 * cfg->tasks + 64)) {
		free_twin(tw);
		free(tw);
		return -ENOMEM;
	}
	for (i = 0; i < cfg->cpus; i++)
		atomic_store(&tw->running[i], -1);

	tw->t0 = twin_now();
	twin_create_tasks(tw, &rng);
	for (i = 0; i < tw->nr_fw; i++) {
		struct fwctx *f = &tw->fw[i];

		f->tw = tw;
		f->id = i;
		split(cfg->cpus, tw->nr_fw, i, &f->cpu_first, &f->cpu_count);
		pthread_create(&f->thr, NULL, fw_thread, f);
	}
	for (i = 0; i < tw->nr_host; i++) {
		struct hctx *h = &tw->host[i];

		h->tw = tw;
		h->id = i;
		h->rng = cfg->seed ^ (0x5851f42d4c957f2dULL * (i + 1));
		split(cfg->cpus, tw->nr_host, i, &h->cpu_first, &h->cpu_count);
		pthread_create(&h->thr, NULL, twin_host_thread, h);
	}
	if (cfg->chaos)
		pthread_create(&tw->chaos_thr, NULL, twin_chaos_thread, tw);

	/* Run, watching for starvation. */
	t_end = tw->t0 + (uint64_t)(cfg->duration_s * 1e9);
	while (twin_now() < t_end) {
		sleep_s(0.005);
		twin_monitor(tw);
	}
	atomic_store(&tw->fw_stop, true);
	for (i = 0; i < tw->nr_fw; i++)
		pthread_join(tw->fw[i].thr, NULL);
	if (cfg->chaos)
		pthread_join(tw->chaos_thr, NULL);
	t_fw_end = twin_now();

	/* The firmware is gone: the host alone must drain every task. */
	atomic_store(&tw->draining, true);
	deadline = t_fw_end + (uint64_t)(TWIN_DRAIN_S * 1e9);
	while (atomic_load(&tw->parked) < cfg->tasks && twin_now() < deadline) {
		sleep_s(0.001);
		twin_monitor(tw);
	}
	res->drained = atomic_load(&tw->parked) == cfg->tasks;
	atomic_store(&tw->host_stop, true);
	for (i = 0; i < tw->nr_host; i++)
		pthread_join(tw->host[i].thr, NULL);
	twin_final_check(tw);

	res->secs = cfg->duration_s;
	for (i = 0; i < tw->nr_host; i++)
		hstats_merge(&res->host, &tw->host[i].st);
	for (i = 0; i < tw->nr_fw; i++) {
		struct fw_pcie_stats *a = &res->pcie, *b = &tw->fw[i].pst;

		fw_sched_stats_add(&res->fw, &tw->fw[i].st);
		res->fw_restarts += tw->fw[i].restarts;
		a->reads += b->reads;
		a->read_bytes += b->read_bytes;
		a->atomics += b->atomics;
		a->writes += b->writes;
		a->waits += b->waits;
		a->wait_ns += b->wait_ns;
		if (b->max_inflight > a->max_inflight)
			a->max_inflight = b->max_inflight;
	}
	res->steps = res->host.steps;
	res->takes = res->host.takes;
	res->self = res->host.self;
	res->proposals = res->fw.ok[FW_OP_PROPOSE];
	for (i = 0; i < IPUSWAP_NR_REASONS; i++)
		res->stage_aborts += res->fw.aborts[FW_OP_STAGE][i];
	res->retracts = res->host.retracts;
	res->blocks = res->host.blocks;
	res->attr_changes = res->host.attr_changes;
	res->not_allowed = res->host.not_allowed;
	res->max_wait_ns = res->host.max_wait_ns;
	res->violations = atomic_load(&tw->violations);
	res->chaos_props = tw->chaos_props;
	res->chaos_garbage = tw->chaos_garbage;
	free_twin(tw);
	free(tw);
	return 0;
}

/* ---- reporting ----------------------------------------------------------------- */

static void print_reasons(const char *what, const uint64_t *v)
{
	unsigned int i;
	bool any = false;

	for (i = 1; i < IPUSWAP_NR_REASONS; i++)
		if (v[i]) {
			printf("%s%s=%llu", any ? " " : "", ipuswap_reason_name(i),
			       (unsigned long long)v[i]);
			any = true;
		}
	if (!any)
		printf("none");
	printf("  (%s)\n", what);
}

static void print_verbose(const struct twin_result *r)
{
	static const char *const opn[FW_OP_NR] = { "stage", "propose", "decline",
						   "withdraw" };
	const struct fw_sched_stats *f = &r->fw;
	unsigned int k;

	printf("twin: fw: cell_scans=%llu table_scans=%llu hdr_checks=%llu restarts=%llu\n",
	       (unsigned long long)f->cell_scans, (unsigned long long)f->table_scans,
	       (unsigned long long)f->hdr_checks, (unsigned long long)r->fw_restarts);
	for (k = 0; k < FW_OP_NR; k++) {
		printf("twin: fw: %-8s ok=%llu aborts: ", opn[k],
		       (unsigned long long)f->ok[k]);
		print_reasons("by reason", f->aborts[k]);
	}
	printf("twin: fw: failed stages found: free=%llu host=%llu queued=%llu "
	       "propose=%llu commit=%llu invalid=%llu\n",
	       (unsigned long long)f->stage_lost[0], (unsigned long long)f->stage_lost[1],
	       (unsigned long long)f->stage_lost[2], (unsigned long long)f->stage_lost[3],
	       (unsigned long long)f->stage_lost[4], (unsigned long long)f->stage_lost[5]);
	printf("twin: fw: answers seen: commit=%llu abort: ",
	       (unsigned long long)f->answers_commit);
	print_reasons("host's reasons", f->answers_abort);
	printf("twin: fw: vtime_charges=%llu bad_home=%llu bad_weight=%llu bad_cpus=%llu "
	       "bad_cell=%llu no_candidate=%llu\n",
	       (unsigned long long)f->vtime_charges, (unsigned long long)f->bad_home,
	       (unsigned long long)f->bad_weight, (unsigned long long)f->bad_cpus,
	       (unsigned long long)f->bad_cell, (unsigned long long)f->no_candidate);
	printf("twin: pcie: reads=%llu (%llu bytes) atomics=%llu writes=%llu "
	       "waits=%llu (%.3f s) max_inflight=%llu\n",
	       (unsigned long long)r->pcie.reads, (unsigned long long)r->pcie.read_bytes,
	       (unsigned long long)r->pcie.atomics, (unsigned long long)r->pcie.writes,
	       (unsigned long long)r->pcie.waits, (double)r->pcie.wait_ns / 1e9,
	       (unsigned long long)r->pcie.max_inflight);
	printf("twin: host: takes=%llu failed takes: ", (unsigned long long)r->host.takes);
	print_reasons("answered ABORT", r->host.take_fail);
	printf("twin: host: answers=%llu answer_lost=%llu self=%llu self_fail=%llu "
	       "enq=%llu stops=%llu retracts=%llu retract_fail=%llu blocks=%llu "
	       "attr_changes=%llu bad_attr_writes=%llu bad_cells=%llu repairs=%llu idle=%llu\n",
	       (unsigned long long)r->host.answers, (unsigned long long)r->host.answer_fail,
	       (unsigned long long)r->host.self, (unsigned long long)r->host.self_fail,
	       (unsigned long long)r->host.enq, (unsigned long long)r->host.stops,
	       (unsigned long long)r->host.retracts,
	       (unsigned long long)r->host.retract_fail,
	       (unsigned long long)r->host.blocks,
	       (unsigned long long)r->host.attr_changes,
	       (unsigned long long)r->host.bad_attr_writes,
	       (unsigned long long)r->host.bad_cell, (unsigned long long)r->host.repairs,
	       (unsigned long long)r->host.idle);
	printf("twin: host ns p50/p99: take %llu/%llu self_serve %llu/%llu enqueue %llu/%llu "
	       "retract %llu/%llu; decision latency %llu/%llu\n",
	       (unsigned long long)hist_pct(&r->host.h_take, 0.5),
	       (unsigned long long)hist_pct(&r->host.h_take, 0.99),
	       (unsigned long long)hist_pct(&r->host.h_self, 0.5),
	       (unsigned long long)hist_pct(&r->host.h_self, 0.99),
	       (unsigned long long)hist_pct(&r->host.h_enq, 0.5),
	       (unsigned long long)hist_pct(&r->host.h_enq, 0.99),
	       (unsigned long long)hist_pct(&r->host.h_retract, 0.5),
	       (unsigned long long)hist_pct(&r->host.h_retract, 0.99),
	       (unsigned long long)hist_pct(&r->host.h_declat, 0.5),
	       (unsigned long long)hist_pct(&r->host.h_declat, 0.99));
}

/* ---- benchmark ----------------------------------------------------------------- */

/* What one clock_gettime pair around a transition adds by itself. */
static uint64_t clock_pair_ns(void)
{
	struct hist h;
	unsigned int i;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < 200000; i++) {
		uint64_t a = twin_now(), b = twin_now();

		hist_add(&h, b - a);
	}
	return hist_pct(&h, 0.5);
}

/* The machine is shared: say how busy it was when a row ran. */
static double loadavg1(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double v = -1;

	if (f) {
		if (fscanf(f, "%lf", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

struct bench_row {
	const char *mode;
	double load;
	double read_ns, atomic_ns;
	struct twin_cfg cfg;
	struct twin_result r;
};

static void csv_row(FILE *f, const struct bench_row *b, uint64_t clk)
{
	const struct twin_result *r = &b->r;
	const struct hstats *h = &r->host;
	double rt = b->atomic_ns > b->read_ns ? b->atomic_ns : b->read_ns;
	double p50 = (double)hist_pct(&h->h_declat, 0.5);
	double p99 = (double)hist_pct(&h->h_declat, 0.99);

	fprintf(f, "%s,%.0f,%.0f,%.0f,%u,%u,%u,%.1f,%.0f,%.0f,%.0f,%.0f,%.0f,",
		b->mode, b->read_ns, b->atomic_ns, b->cfg.pcie.write_ns, b->cfg.cpus,
		b->cfg.host_threads ? b->cfg.host_threads : b->cfg.cpus, b->cfg.tasks,
		r->secs, (double)r->takes / r->secs, (double)r->proposals / r->secs,
		(double)r->self / r->secs, h->h_declat.n ? p50 : NAN,
		h->h_declat.n ? p99 : NAN);
	if (rt > 0 && h->h_declat.n)
		fprintf(f, "%.2f,%.2f,", p50 / rt, p99 / rt);
	else
		fprintf(f, ",,");
	fprintf(f, "%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%llu,%.2f\n",
		(unsigned long long)hist_pct(&h->h_take, 0.5),
		(unsigned long long)hist_pct(&h->h_take, 0.99),
		(unsigned long long)hist_pct(&h->h_self, 0.5),
		(unsigned long long)hist_pct(&h->h_self, 0.99),
		(unsigned long long)hist_pct(&h->h_enq, 0.5),
		(unsigned long long)hist_pct(&h->h_enq, 0.99),
		(unsigned long long)hist_pct(&h->h_retract, 0.5),
		(unsigned long long)hist_pct(&h->h_retract, 0.99),
		(unsigned long long)r->stage_aborts, (unsigned long long)r->violations,
		(unsigned long long)clk, b->load);
}

static void pct_cell(char *buf, size_t n, const struct hist *h)
{
	if (!h->n)
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%llu/%llu", (unsigned long long)hist_pct(h, 0.5),
			 (unsigned long long)hist_pct(h, 0.99));
}

static int bench(const struct twin_cfg *base, const char *csv)
{
	static const double lat[] = { 0, 500, 1000, 2000, 5000 };
	struct bench_row rows[8];
	unsigned int n = 0, i;
	uint64_t clk = clock_pair_ns(), viol = 0;
	FILE *f = NULL;
	double dflt = 0;

	/* Firmware throughput: read = atomic = L; then the default model. */
	for (i = 0; i <= sizeof(lat) / sizeof(lat[0]); i++) {
		struct bench_row *b = &rows[n++];

		b->cfg = *base;
		b->mode = i < 5 ? "fw" : "fw-default";
		b->read_ns = i < 5 ? lat[i] : FW_PCIE_READ_NS;
		b->atomic_ns = i < 5 ? lat[i] : FW_PCIE_ATOMIC_NS;
		b->cfg.cpus = base->cpus;
		b->cfg.host_threads = 1;
		b->cfg.fw_threads = 1;
		b->cfg.self_serve = false;
		b->cfg.churn = false;
		b->cfg.bad_attrs = false;
		b->cfg.chaos = false;
		b->cfg.run_max_ns = 0;
		b->cfg.fw_stop_at = -1;
		b->cfg.fw_restart_every = 0;
		b->cfg.pcie.read_ns = b->read_ns;
		b->cfg.pcie.atomic_ns = b->atomic_ns;
	}
	/* Host transition costs: every transition in play, no injected latency. */
	rows[n].cfg = *base;
	rows[n].mode = "host-cost";
	rows[n].read_ns = rows[n].atomic_ns = 0;
	rows[n].cfg.cpus = 2;
	rows[n].cfg.tasks = 32;
	rows[n].cfg.host_threads = 0;
	rows[n].cfg.fw_threads = 1;
	rows[n].cfg.self_serve = true;
	rows[n].cfg.churn = true;
	rows[n].cfg.bad_attrs = false;
	rows[n].cfg.chaos = false;
	rows[n].cfg.fw_stop_at = -1;
	rows[n].cfg.fw_restart_every = 0;
	rows[n].cfg.pcie.read_ns = rows[n].cfg.pcie.atomic_ns = 0;
	n++;

	printf("twin: bench: seed=%llu, %.1f s per row, clock_gettime pair %llu ns "
	       "(included in host costs), 2-core machine\n",
	       (unsigned long long)base->seed, base->duration_s,
	       (unsigned long long)clk);
	for (i = 0; i < n; i++) {
		struct bench_row *b = &rows[i];

		b->cfg.seed = base->seed + i;
		b->load = loadavg1();
		if (twin_run(&b->cfg, &b->r))
			return 1;
		viol += b->r.violations;
		if (!strcmp(b->mode, "fw-default"))
			dflt = (double)b->r.takes / b->r.secs;
		if (base->verbose)
			print_verbose(&b->r);
	}

	if (csv) {
		f = fopen(csv, "w");
		if (!f) {
			fprintf(stderr, "twin: %s: %s\n", csv, strerror(errno));
			return 1;
		}
		fprintf(f, "mode,read_ns,atomic_ns,write_ns,cpus,host_threads,tasks,secs,"
			"decisions_per_s,proposals_per_s,self_served_per_s,"
			"declat_p50_ns,declat_p99_ns,declat_p50_per_rt,declat_p99_per_rt,"
			"take_p50_ns,take_p99_ns,self_serve_p50_ns,self_serve_p99_ns,"
			"enqueue_p50_ns,enqueue_p99_ns,retract_p50_ns,retract_p99_ns,"
			"stage_aborts,violations,clock_pair_ns,loadavg1\n");
		for (i = 0; i < n; i++)
			csv_row(f, &rows[i], clk);
		fclose(f);
	}

	printf("\n%-10s %6s %6s %4s %11s %9s %15s %11s %9s %10s %9s %9s %4s %5s\n",
	       "mode", "read", "atomic", "cpus", "decisions/s", "self/s",
	       "declat p50/p99", "ratio", "take", "self_serve", "enqueue", "retract",
	       "viol", "load");
	for (i = 0; i < n; i++) {
		const struct bench_row *b = &rows[i];
		const struct hstats *h = &b->r.host;
		double rt = b->atomic_ns > b->read_ns ? b->atomic_ns : b->read_ns;
		char d[32], ra[32], t[32], s[32], e[32], r[32];

		pct_cell(d, sizeof(d), &h->h_declat);
		if (rt > 0 && h->h_declat.n)
			snprintf(ra, sizeof(ra), "%.2f/%.2f",
				 (double)hist_pct(&h->h_declat, 0.5) / rt,
				 (double)hist_pct(&h->h_declat, 0.99) / rt);
		else
			snprintf(ra, sizeof(ra), "-");
		pct_cell(t, sizeof(t), &h->h_take);
		pct_cell(s, sizeof(s), &h->h_self);
		pct_cell(e, sizeof(e), &h->h_enq);
		pct_cell(r, sizeof(r), &h->h_retract);
		printf("%-10s %6.0f %6.0f %4u %11.0f %9.0f %15s %11s %9s %10s %9s %9s %4llu %5.2f\n",
		       b->mode, b->read_ns, b->atomic_ns, b->cfg.cpus,
		       (double)b->r.takes / b->r.secs, (double)b->r.self / b->r.secs,
		       d, ra, t, s, e, r, (unsigned long long)b->r.violations, b->load);
	}
	printf("(latencies in ns, p50/p99; ratio = decision latency / injected round "
	       "trip; fw rows: 1 firmware thread, %u emulated CPUs consumed by 1 host "
	       "thread that takes every proposal and never self-serves; host-cost: "
	       "2 CPUs, one thread each, all transitions, self-serve on; load = 1-min "
	       "load average before the row, on a %ld-CPU machine)\n", base->cpus,
	       sysconf(_SC_NPROCESSORS_ONLN));
	{
		const struct hstats *h = &rows[n - 1].r.host;
		uint64_t worst50 = 0, worst99 = 0;
		const struct hist *hs[] = { &h->h_take, &h->h_self, &h->h_enq, &h->h_retract };

		for (i = 0; i < 4; i++) {
			if (hist_pct(hs[i], 0.5) > worst50)
				worst50 = hist_pct(hs[i], 0.5);
			if (hist_pct(hs[i], 0.99) > worst99)
				worst99 = hist_pct(hs[i], 0.99);
		}
		printf("target host transition p50 <= 100 ns: %s (worst %llu ns)\n",
		       worst50 <= 100 ? "met" : "NOT met", (unsigned long long)worst50);
		printf("target host transition p99 <= 1 us: %s (worst %llu ns)\n",
		       worst99 <= 1000 ? "met" : "NOT met", (unsigned long long)worst99);
	}
	printf("target 1 fw thread >= 500000 decisions/s at 0.55/1 us: %s (%.0f/s)\n",
	       dflt >= 500000 ? "met" : "NOT met", dflt);
	printf("target 0 violations at every latency: %s (%llu)\n",
	       viol ? "NOT met" : "met", (unsigned long long)viol);
	if (csv)
		printf("twin: wrote %s\n", csv);
	printf("twin: bench seed=%llu violations=%llu\n",
	       (unsigned long long)base->seed, (unsigned long long)viol);
	return viol ? 1 : 0;
}

/* ---- CLI ------------------------------------------------------------------------ */

enum {
	OPT_SEED = 256, OPT_DURATION, OPT_CPUS, OPT_TASKS, OPT_FW_THREADS,
	OPT_HOST_THREADS, OPT_READ, OPT_WRITE, OPT_ATOMIC, OPT_SCALE, OPT_BW,
	OPT_INFLIGHT, OPT_STOP_AT, OPT_RESTART, OPT_BENCH, OPT_CSV, OPT_WINDOW,
	OPT_MAX_WAIT, OPT_RUN_NS, OPT_NO_SELF, OPT_NO_CHURN, OPT_BAD_ATTRS,
	OPT_NO_YIELD, OPT_CHAOS,
};

static const struct option long_opts[] = {
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "tasks", required_argument, NULL, OPT_TASKS },
	{ "fw-threads", required_argument, NULL, OPT_FW_THREADS },
	{ "host-threads", required_argument, NULL, OPT_HOST_THREADS },
	{ "pcie-read-ns", required_argument, NULL, OPT_READ },
	{ "pcie-write-ns", required_argument, NULL, OPT_WRITE },
	{ "pcie-atomic-ns", required_argument, NULL, OPT_ATOMIC },
	{ "pcie-bw-gbps", required_argument, NULL, OPT_BW },
	{ "pcie-inflight", required_argument, NULL, OPT_INFLIGHT },
	{ "scale", required_argument, NULL, OPT_SCALE },
	{ "fw-stop-at", required_argument, NULL, OPT_STOP_AT },
	{ "fw-restart-every", required_argument, NULL, OPT_RESTART },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "max-wait", required_argument, NULL, OPT_MAX_WAIT },
	{ "run-ns", required_argument, NULL, OPT_RUN_NS },
	{ "no-self-serve", no_argument, NULL, OPT_NO_SELF },
	{ "no-churn", no_argument, NULL, OPT_NO_CHURN },
	{ "bad-attrs", no_argument, NULL, OPT_BAD_ATTRS },
	{ "no-yield", no_argument, NULL, OPT_NO_YIELD },
	{ "chaos", no_argument, NULL, OPT_CHAOS },
	{ "bench", no_argument, NULL, OPT_BENCH },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: ipuswap-twin [OPTIONS]\n"
"Native twin of the ipuswap swap protocol: the real firmware staging engine\n"
"(fw_sched) against a host driver of the same transitions, with a PCIe\n"
"latency model on the firmware side and ghost-state invariant checks.\n"
"\n"
"  --seed N               PRNG seed (default: from the clock; always printed)\n"
"  --duration SECS        firmware phase length, then the host drains (default 5)\n"
"  --cpus N               emulated host CPUs, 1..%d (default 2)\n"
"  --tasks N              tasks, 1..window capacity (default 32)\n"
"  --fw-threads N         firmware threads, 1..%d and <= cpus (default 1)\n"
"  --host-threads N       host threads; CPUs are split among them (default: one\n"
"                         per CPU)\n"
"  --pcie-read-ns NS      firmware read round trip (default %.0f)\n"
"  --pcie-write-ns NS     firmware posted write cost (default %.0f)\n"
"  --pcie-atomic-ns NS    firmware CAS round trip (default %.0f)\n"
"  --pcie-bw-gbps GBPS    bulk read bandwidth (default %.0f)\n"
"  --pcie-inflight N      outstanding firmware operations, 1..%d (default %d)\n"
"  --scale X              multiply every PCIe cost by X (default 1)\n"
"  --fw-stop-at SECS      the firmware stops dead at SECS; the host goes on\n"
"  --fw-restart-every SECS  kill and restart the engine every SECS\n"
"  --window SIZE          window bytes, power of two, K/M suffix (default 64K)\n"
"  --max-wait SECS        starvation bound for a queued task (default 5)\n"
"  --run-ns NS            a dispatched task runs 0..NS (default 2000)\n"
"  --no-self-serve        host CPUs only take proposals (they still never wait)\n"
"  --no-churn             no blocking, retracts or attribute changes\n"
"  --bad-attrs            sometimes publish invalid weights/bitmaps\n"
"  --chaos                a rogue proposer writes stale/wrong proposals into\n"
"                         idle cells while the firmware runs\n"
"  --no-yield             pure spinning: the firmware's model waits and idle\n"
"                         host CPUs do not sched_yield() (default: they do,\n"
"                         so oversubscribed cores still make progress)\n"
"  --bench                sweep latencies 0,0.5,1,2,5 us (read = atomic) and\n"
"                         the default model: 1 firmware thread, --cpus CPUs\n"
"                         (default 8) consumed by 1 host thread; then host\n"
"                         transition costs; --duration is per row (default 2)\n"
"  --csv FILE             bench results as CSV\n"
"  -v, --verbose          detailed counters\n"
"  -h, --help             this text\n"
"Exit: 0 with no invariant violation, 1 otherwise, 2 on a bad command line.\n",
		TWIN_MAX_CPUS, TWIN_MAX_FW_THREADS, FW_PCIE_READ_NS, FW_PCIE_WRITE_NS,
		FW_PCIE_ATOMIC_NS, FW_PCIE_BW_GBPS, FW_PCIE_MAX_INFLIGHT,
		FW_PCIE_INFLIGHT);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "ipuswap-twin: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'ipuswap-twin --help' for more information.\n");
	exit(2);
}

static double num(const char *opt, const char *s, double lo, double hi)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v < lo || v > hi)
		bad_usage("--%s: '%s' is not a number from %g to %g", opt, s, lo, hi);
	return v;
}

static unsigned int uint_arg(const char *opt, const char *s, unsigned int lo,
			     unsigned int hi)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v < lo || v > hi)
		bad_usage("--%s: '%s' is not an integer from %u to %u", opt, s, lo, hi);
	return (unsigned int)v;
}

static uint64_t size_arg(const char *s)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s >= '0' && *s <= '9' && !errno) {
		if (*end == 'K' || *end == 'k')
			shift = 10, end++;
		else if (*end == 'M' || *end == 'm')
			shift = 20, end++;
		if (!*end && v && v <= (IPUSWAP_WINDOW_MAX >> shift)) {
			v <<= shift;
			if (v >= IPUSWAP_WINDOW_MIN && !(v & (v - 1)))
				return v;
		}
	}
	bad_usage("--window: '%s' is not a power of two from 64K to 1024M", s);
}

int main(int argc, char **argv)
{
	struct twin_cfg cfg = {
		.duration_s = -1, .cpus = 2, .tasks = 32, .fw_threads = 1,
		.window = DEF_WINDOW, .fw_stop_at = -1, .max_wait_s = 5,
		.run_max_ns = 2000, .self_serve = true, .churn = true,
		.idle_yield = true,
	};
	bool have_seed = false, bench_mode = false, cpus_set = false;
	const char *csv = NULL;
	struct twin_result r;
	int opt, ret;

	fw_pcie_cfg_default(&cfg.pcie);
	cfg.pcie.spin_yield = true;
	while ((opt = getopt_long(argc, argv, "vh", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_SEED: {
			char *end;

			errno = 0;
			cfg.seed = strtoull(optarg, &end, 0);
			if (*optarg < '0' || *optarg > '9' || *end || errno)
				bad_usage("--seed: '%s' is not an unsigned integer", optarg);
			have_seed = true;
			break;
		}
		case OPT_DURATION:
			cfg.duration_s = num("duration", optarg, 0.01, 86400);
			break;
		case OPT_CPUS:
			cfg.cpus = uint_arg("cpus", optarg, 1, TWIN_MAX_CPUS);
			cpus_set = true;
			break;
		case OPT_TASKS:
			cfg.tasks = uint_arg("tasks", optarg, 1, IPUSWAP_MAX_TASKS);
			break;
		case OPT_FW_THREADS:
			cfg.fw_threads = uint_arg("fw-threads", optarg, 1, TWIN_MAX_FW_THREADS);
			break;
		case OPT_HOST_THREADS:
			cfg.host_threads = uint_arg("host-threads", optarg, 1, TWIN_MAX_CPUS);
			break;
		case OPT_READ:
			cfg.pcie.read_ns = num("pcie-read-ns", optarg, 0, 1e8);
			break;
		case OPT_WRITE:
			cfg.pcie.write_ns = num("pcie-write-ns", optarg, 0, 1e8);
			break;
		case OPT_ATOMIC:
			cfg.pcie.atomic_ns = num("pcie-atomic-ns", optarg, 0, 1e8);
			break;
		case OPT_BW:
			cfg.pcie.bw_gbps = num("pcie-bw-gbps", optarg, 0.001, 1e4);
			break;
		case OPT_INFLIGHT:
			cfg.pcie.max_inflight = uint_arg("pcie-inflight", optarg, 1,
							 FW_PCIE_MAX_INFLIGHT);
			break;
		case OPT_SCALE:
			cfg.pcie.scale = num("scale", optarg, 0, 1e4);
			break;
		case OPT_STOP_AT:
			cfg.fw_stop_at = num("fw-stop-at", optarg, 0, 86400);
			break;
		case OPT_RESTART:
			cfg.fw_restart_every = num("fw-restart-every", optarg, 0.001, 86400);
			break;
		case OPT_WINDOW:
			cfg.window = size_arg(optarg);
			break;
		case OPT_MAX_WAIT:
			cfg.max_wait_s = num("max-wait", optarg, 0.001, 86400);
			break;
		case OPT_RUN_NS:
			cfg.run_max_ns = uint_arg("run-ns", optarg, 0, 100000000);
			break;
		case OPT_NO_SELF:
			cfg.self_serve = false;
			break;
		case OPT_NO_CHURN:
			cfg.churn = false;
			break;
		case OPT_BAD_ATTRS:
			cfg.bad_attrs = true;
			break;
		case OPT_CHAOS:
			cfg.chaos = true;
			break;
		case OPT_NO_YIELD:
			cfg.idle_yield = false;
			break;
		case OPT_BENCH:
			bench_mode = true;
			break;
		case OPT_CSV:
			csv = optarg;
			break;
		case 'v':
			cfg.verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			/* getopt already said what was wrong. */
			fprintf(stderr, "Try 'ipuswap-twin --help' for more information.\n");
			return 2;
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument '%s'", argv[optind]);
	cfg.pcie.spin_yield = cfg.idle_yield;
	if (csv && !bench_mode)
		bad_usage("--csv needs --bench");
	if (cfg.fw_threads > cfg.cpus)
		bad_usage("--fw-threads %u exceeds --cpus %u", cfg.fw_threads, cfg.cpus);
	if (cfg.host_threads > cfg.cpus)
		bad_usage("--host-threads %u exceeds --cpus %u", cfg.host_threads, cfg.cpus);
	if (fw_pcie_cfg_check(&cfg.pcie))
		bad_usage("PCIe model: %s", fw_pcie_cfg_check(&cfg.pcie));
	{
		struct ipuswap_layout l;

		if (ipuswap_layout(IPUSWAP_HDR_SIZE, cfg.window - IPUSWAP_HDR_SIZE,
				   cfg.cpus, &l))
			bad_usage("a %llu-byte window cannot hold %u CPUs",
				  (unsigned long long)cfg.window, cfg.cpus);
		if (cfg.tasks > l.nr_tasks || (bench_mode && l.nr_tasks < BENCH_TASKS))
			bad_usage("a %llu-byte window holds %u tasks for %u CPUs; "
				  "--tasks %u does not fit (try a larger --window)",
				  (unsigned long long)cfg.window, l.nr_tasks, cfg.cpus,
				  cfg.tasks);
	}
	if (!cfg.self_serve && !cfg.churn && cfg.max_wait_s < 5)
		cfg.max_wait_s = 5;
	if (!have_seed) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		cfg.seed = (uint64_t)ts.tv_sec * 1000003ULL ^ (uint64_t)ts.tv_nsec;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (bench_mode) {
		if (cfg.duration_s < 0)
			cfg.duration_s = BENCH_SECS;
		if (!cpus_set)
			cfg.cpus = BENCH_CPUS;
		cfg.tasks = cfg.tasks < BENCH_TASKS ? BENCH_TASKS : cfg.tasks;
		return bench(&cfg, csv);
	}
	if (cfg.duration_s < 0)
		cfg.duration_s = 5;

	printf("twin: seed=%llu cpus=%u tasks=%u fw-threads=%u duration=%.2fs "
	       "read=%.0fns write=%.0fns atomic=%.0fns scale=%g%s%s%s\n",
	       (unsigned long long)cfg.seed, cfg.cpus, cfg.tasks, cfg.fw_threads,
	       cfg.duration_s, cfg.pcie.read_ns, cfg.pcie.write_ns,
	       cfg.pcie.atomic_ns, cfg.pcie.scale,
	       cfg.fw_stop_at >= 0 ? " fw-stop-at" : "",
	       cfg.fw_restart_every > 0 ? " fw-restarts" : "",
	       cfg.chaos ? " chaos" : "");
	if (cfg.fw_stop_at >= 0)
		printf("twin: firmware stops at %.2fs, host continues alone\n",
		       cfg.fw_stop_at);
	ret = twin_run(&cfg, &r);
	if (ret)
		return ret == -E2BIG ? 2 : 1;
	if (cfg.verbose)
		print_verbose(&r);
	printf("twin: seed=%llu steps=%llu decisions=%llu self_served=%llu "
	       "proposals=%llu stage_aborts=%llu retracts=%llu blocks=%llu "
	       "attr_changes=%llu not_allowed=%llu fw_restarts=%llu "
	       "chaos_proposals=%llu chaos_garbage=%llu repairs=%llu max_wait_ms=%.3f "
	       "drained=%s violations=%llu\n",
	       (unsigned long long)cfg.seed, (unsigned long long)r.steps,
	       (unsigned long long)r.takes, (unsigned long long)r.self,
	       (unsigned long long)r.proposals, (unsigned long long)r.stage_aborts,
	       (unsigned long long)r.retracts, (unsigned long long)r.blocks,
	       (unsigned long long)r.attr_changes, (unsigned long long)r.not_allowed,
	       (unsigned long long)r.fw_restarts, (unsigned long long)r.chaos_props,
	       (unsigned long long)r.chaos_garbage, (unsigned long long)r.host.repairs,
	       (double)r.max_wait_ns / 1e6,
	       r.drained ? "yes" : "NO", (unsigned long long)r.violations);
	return r.violations ? 1 : 0;
}
