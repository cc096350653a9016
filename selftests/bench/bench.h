/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Helpers shared by the bench workloads: strict argument parsing (every bad
 * argument exits 2 before anything runs), the monotonic clock, a hard
 * timeout, and nearest-rank percentiles.
 *
 * Define BENCH_NAME (the program name, used in every message) before
 * including this file.
 */
#ifndef IPUSWAP_BENCH_H
#define IPUSWAP_BENCH_H

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NSEC_PER_SEC	1000000000ULL
#define BENCH_GUARD_S	30	/* hard timeout beyond --duration */

static inline void bench_die(const char *what)
{
	fprintf(stderr, BENCH_NAME ": %s: %s\n", what, strerror(errno));
	exit(1);
}

static inline void bench_bad_arg(const char *opt, const char *val,
				 const char *why)
{
	fprintf(stderr, BENCH_NAME ": %s '%s': %s (see --help)\n", opt, val, why);
	exit(2);
}

/* getopt_long has already said what was wrong. */
static inline void bench_bad_opt(void)
{
	fputs(BENCH_NAME ": see --help\n", stderr);
	exit(2);
}

static inline void bench_no_more_args(int argc, char **argv)
{
	if (optind < argc)
		bench_bad_arg("argument", argv[optind], "unexpected");
}

static inline long bench_parse_long(const char *opt, const char *s,
				    long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end)
		bench_bad_arg(opt, s, "not an integer");
	if (v < min || v > max)
		bench_bad_arg(opt, s, "out of range");
	return v;
}

/* A duration in seconds, fractions allowed: (0, 3600]. */
static inline double bench_parse_secs(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v))
		bench_bad_arg(opt, s, "not a number");
	if (v <= 0 || v > 3600)
		bench_bad_arg(opt, s, "out of range (0-3600 s)");
	return v;
}

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static inline void bench_spawn(pthread_t *t, void *(*fn)(void *), void *arg)
{
	errno = pthread_create(t, NULL, fn, arg);
	if (errno)
		bench_die("pthread_create");
}

static inline void bench_on_alarm(int sig)
{
	static const char msg[] = BENCH_NAME ": hard timeout, aborting\n";

	(void)sig;
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(1);
}

/* A hang inside the VM would stall the whole `make bench`: turn it into an error. */
static inline void bench_guard(double duration)
{
	signal(SIGALRM, bench_on_alarm);
	alarm((unsigned int)duration + 1 + BENCH_GUARD_S);
}

static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank over sorted ns samples: the smallest with >= p% at or below. */
static inline double bench_pct_us(const uint64_t *s, size_t n, unsigned int p)
{
	size_t rank = (p * n + 99) / 100;

	return s[rank ? rank - 1 : 0] / 1000.0;
}

#endif /* IPUSWAP_BENCH_H */
