// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * wakelat: wakeup latency of SCHED_OTHER threads, a cyclictest for
 * sched_ext (which schedules only SCHED_NORMAL/SCHED_EXT tasks, so no RT
 * priorities here).
 *
 * timer mode: each thread sleeps to an absolute CLOCK_MONOTONIC deadline
 *   and records how late it ran (timer expiry -> on a CPU).
 * pipe mode: per pair, a waker writes its CLOCK_MONOTONIC stamp into a pipe
 *   every interval; the wakee, blocked in read(), records now - stamp.
 * --load N adds N busy-spinning threads that a woken thread must win a CPU
 * back from. Thread phases are staggered over one interval so wakeups do
 * not all land on the same tick. Samples go to one preallocated array,
 * bounded by MAX_SAMPLES; a run that would need more is refused up front.
 */
#include <fcntl.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/prctl.h>

#define BENCH_NAME "wakelat"
#include "bench.h"

#define MAX_THREADS	256
#define MAX_SAMPLES	(4u << 20)	/* all threads together: 32 MiB */
#define START_LEAD_NS	(10 * 1000000ULL) /* from release to first deadline */

static const char usage[] =
"Usage: wakelat [--pipe] [--threads N] [--interval-us US] [--duration S]\n"
"               [--load N] [--json]\n"
"  --pipe            pipe mode: N waker/wakee pairs (default: timer mode)\n"
"  --threads N       measuring threads, or pairs with --pipe (1-256, default 2)\n"
"  --interval-us US  wakeup period per thread (10-10000000, default 1000)\n"
"  --duration S      seconds, may be fractional (0-3600, default 5)\n"
"  --load N          extra busy-spinning threads (0-256, default 0)\n"
"  --json            print one JSON object instead of the text line\n";

static struct {
	bool pipe, json;
	long threads, interval_us, load;
	double duration;
} opt = { .threads = 2, .interval_us = 1000, .duration = 5 };

struct worker {
	pthread_t tid, wakee;
	int fd[2];		/* pipe mode: waker writes fd[1], wakee reads fd[0] */
	uint64_t first;		/* first deadline (ns); set after the barrier */
	uint64_t *lat;		/* this thread's slice of the sample array */
	size_t n, cap;
};

static uint64_t end_ns, interval_ns;
static pthread_barrier_t start_barrier;
static atomic_bool stop_load;

static void sleep_until(uint64_t t)
{
	struct timespec ts = { .tv_sec = t / NSEC_PER_SEC,
			       .tv_nsec = t % NSEC_PER_SEC };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/*
 * Timer mode records how late each wakeup ran; in pipe mode this is the
 * waker and sends its wake time to the wakee instead. Periods already
 * missed are skipped, as cyclictest does, so one long stall reads as one
 * large sample and not as a burst of catch-up samples that never slept.
 */
static void *tick_thread(void *arg)
{
	struct worker *w = arg;
	uint64_t next, now;

	/* Main fixes the common base between the two waits. */
	pthread_barrier_wait(&start_barrier);
	pthread_barrier_wait(&start_barrier);
	for (next = w->first; next < end_ns; ) {
		sleep_until(next);
		now = bench_now_ns();
		/* 8 bytes < PIPE_BUF: the write is atomic, never split. */
		if (opt.pipe && write(w->fd[1], &now, sizeof(now)) != sizeof(now))
			bench_die("pipe write");
		if (!opt.pipe && w->n < w->cap)
			w->lat[w->n++] = now - next;
		do
			next += interval_ns;
		while (next <= now);
	}
	if (opt.pipe)
		close(w->fd[1]);	/* the wakee sees EOF and stops */
	return NULL;
}

static void *wakee_thread(void *arg)
{
	struct worker *w = arg;
	uint64_t stamp;
	ssize_t r;

	while ((r = read(w->fd[0], &stamp, sizeof(stamp))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r != sizeof(stamp))
			bench_die("pipe read");
		if (w->n < w->cap)
			w->lat[w->n++] = bench_now_ns() - stamp;
	}
	close(w->fd[0]);
	return NULL;
}

static void *load_thread(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop_load, memory_order_relaxed))
		;
	return NULL;
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "pipe", no_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 't' },
		{ "interval-us", required_argument, NULL, 'i' },
		{ "duration", required_argument, NULL, 'd' },
		{ "load", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'p': opt.pipe = true; break;
		case 'j': opt.json = true; break;
		case 't':
			opt.threads = bench_parse_long("--threads", optarg, 1, MAX_THREADS);
			break;
		case 'i':
			opt.interval_us = bench_parse_long("--interval-us", optarg, 10, 10000000);
			break;
		case 'd': opt.duration = bench_parse_secs("--duration", optarg); break;
		case 'l':
			opt.load = bench_parse_long("--load", optarg, 0, MAX_THREADS);
			break;
		case 'h': fputs(usage, stdout); exit(0);
		default: bench_bad_opt();
		}
	}
	bench_no_more_args(argc, argv);
	if ((opt.duration * 1e6 / opt.interval_us + 2) * opt.threads > MAX_SAMPLES) {
		fprintf(stderr, "wakelat: more than %u samples; raise --interval-us "
			"or lower --duration or --threads\n", MAX_SAMPLES);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	double p50, p99, max, mean;
	uint64_t *all, base, sum = 0;
	const char *mode;
	struct worker *w;
	pthread_t *load;
	size_t n = 0, cap;
	long i;

	parse_args(argc, argv);
	mode = opt.pipe ? "pipe" : "timer";
	bench_guard(opt.duration);
	/*
	 * SCHED_OTHER timers get 50 us of slack by default (RT tasks none):
	 * drop it so timers fire on time and only the scheduler's delay shows.
	 * The threads created below inherit it.
	 */
	if (prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0))
		bench_die("PR_SET_TIMERSLACK");

	interval_ns = opt.interval_us * 1000ULL;
	cap = (size_t)(opt.duration * 1e6 / opt.interval_us) + 2;
	w = calloc(opt.threads, sizeof(*w));
	load = calloc(opt.load + 1, sizeof(*load));
	all = malloc(opt.threads * cap * sizeof(*all));
	if (!w || !load || !all)
		bench_die("malloc");
	for (i = 0; i < opt.threads; i++) {
		w[i].lat = all + i * cap;
		w[i].cap = cap;
		if (opt.pipe && pipe2(w[i].fd, O_CLOEXEC))
			bench_die("pipe2");
	}
	errno = pthread_barrier_init(&start_barrier, NULL, opt.threads + 1);
	if (errno)
		bench_die("pthread_barrier_init");

	for (i = 0; i < opt.load; i++)
		bench_spawn(&load[i], load_thread, NULL);
	for (i = 0; i < opt.threads; i++) {
		bench_spawn(&w[i].tid, tick_thread, &w[i]);
		if (opt.pipe)
			bench_spawn(&w[i].wakee, wakee_thread, &w[i]);
	}

	/* Every ticking thread is ready: fix the schedule, then release. */
	pthread_barrier_wait(&start_barrier);
	base = bench_now_ns() + START_LEAD_NS;
	end_ns = base + (uint64_t)(opt.duration * 1e9);
	for (i = 0; i < opt.threads; i++)
		w[i].first = base + interval_ns * i / opt.threads;
	pthread_barrier_wait(&start_barrier);

	for (i = 0; i < opt.threads; i++) {
		pthread_join(w[i].tid, NULL);
		if (opt.pipe)
			pthread_join(w[i].wakee, NULL);
		/* Pack the slices together. */
		memmove(all + n, w[i].lat, w[i].n * sizeof(*all));
		n += w[i].n;
	}
	atomic_store(&stop_load, true);
	for (i = 0; i < opt.load; i++)
		pthread_join(load[i], NULL);
	if (!n) {
		fprintf(stderr, "wakelat: no samples\n");
		return 1;
	}

	qsort(all, n, sizeof(*all), bench_cmp_u64);
	for (size_t k = 0; k < n; k++)
		sum += all[k];
	p50 = bench_pct_us(all, n, 50);
	p99 = bench_pct_us(all, n, 99);
	max = all[n - 1] / 1000.0;
	mean = (double)sum / n / 1000.0;
	if (opt.json)
		printf("{\"bench\":\"wakelat\",\"mode\":\"%s\",\"threads\":%ld,"
		       "\"interval_us\":%ld,\"duration_s\":%g,\"load\":%ld,"
		       "\"samples\":%zu,\"p50_us\":%.1f,\"p99_us\":%.1f,"
		       "\"max_us\":%.1f,\"mean_us\":%.1f}\n", mode, opt.threads,
		       opt.interval_us, opt.duration, opt.load, n, p50, p99, max, mean);
	else
		printf("wakelat: mode=%s samples=%zu p50_us=%.1f p99_us=%.1f "
		       "max_us=%.1f mean_us=%.1f\n", mode, n, p50, p99, max, mean);
	return 0;
}
