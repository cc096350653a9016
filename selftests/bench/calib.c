// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * calib: a fixed, deterministic CPU-bound loop for measuring how much
 * slower the TCG guest runs than the host. Run the same binary on both; the
 * ratio of the two loop_ns values is the slowdown factor used to scale
 * guest-side latencies.
 *
 * The loop is a xorshift64 stream that mixes into a 64 KiB table (larger
 * than L1d, inside L2), so it exercises loads and stores as well as ALU
 * work. Every step's result feeds the checksum, which is printed, so the
 * compiler cannot drop any of it. The table is rebuilt from the same seed
 * each repetition, so all repetitions must agree on the checksum. The
 * minimum over --reps is reported: noise only ever adds time.
 */
#include <getopt.h>

#define BENCH_NAME "calib"
#include "bench.h"

#define TABLE_WORDS	(64 * 1024 / sizeof(uint64_t))	/* a power of two */
#define CALIB_STEPS	(10u << 20)	/* about 20-50 ms on a modern x86 core */

static const char usage[] =
"Usage: calib [--reps R]\n"
"  --reps R   repetitions, the fastest is reported (1-1000, default 5)\n";

static uint64_t calib_loop(uint64_t *table)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL, sum = 0;

	for (size_t i = 0; i < TABLE_WORDS; i++)
		table[i] = i * 0xbf58476d1ce4e5b9ULL;
	for (uint32_t i = 0; i < CALIB_STEPS; i++) {
		uint64_t *slot;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		/* High bits pick the slot: the low ones are the weakest. */
		slot = &table[(x >> 40) & (TABLE_WORDS - 1)];
		*slot = (*slot ^ x) * 0xff51afd7ed558ccdULL;
		sum += *slot >> 17;
		sum ^= sum << 5;
	}
	return sum;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reps", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t *table, best = UINT64_MAX, sum = 0;
	long reps = 5;
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'r': reps = bench_parse_long("--reps", optarg, 1, 1000); break;
		case 'h': fputs(usage, stdout); return 0;
		default: bench_bad_opt();
		}
	}
	bench_no_more_args(argc, argv);

	table = malloc(TABLE_WORDS * sizeof(*table));
	if (!table)
		bench_die("malloc");
	for (long r = 0; r < reps; r++) {
		uint64_t t0 = bench_now_ns(), s = calib_loop(table), dt;

		/* Keep all of the loop between the two clock reads. */
		__asm__ volatile("" : "+r"(s) : "r"(table) : "memory");
		dt = bench_now_ns() - t0;

		if (r && s != sum) {
			fprintf(stderr, "calib: checksum changed between reps "
				"(%016llx != %016llx)\n",
				(unsigned long long)s, (unsigned long long)sum);
			return 1;
		}
		sum = s;
		if (dt < best)
			best = dt;
	}
	printf("calib: loop_ns=%llu best_of=%ld checksum=%016llx\n",
	       (unsigned long long)best, reps, (unsigned long long)sum);
	free(table);
	return 0;
}
