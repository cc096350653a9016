/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_ipuswap loader: loads and attaches the scheduler, prints stats, and
 * reports why the kernel ejected it if it did.
 *
 * Exit status: 0 after a signal or --duration, 2 for a bad command line,
 * 1 when the scheduler could not load or the kernel ejected it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <ipuswap_wire.h>
#include <scx/common.h>
#include "scx_ipuswap.h"
#include "scx_ipuswap.bpf.skel.h"

#define PROG		"scx_ipuswap"
#define MODULE_BTF	"/sys/kernel/btf/ipuswap"
#define SCX_SYSFS	"/sys/kernel/sched_ext"

enum {
	EXIT_USAGE	= 2,
	SECS_MAX	= 1000000,	/* ~11 days; anything above is a typo */
	SLICE_US_MAX	= 1000000,
	FITO_TIMEOUT_US_MAX = 1000,	/* the module caps waits there too */
	POLL_NS		= 100 * 1000 * 1000,	/* how soon an ejection is seen */
	NSEC_PER_SEC	= 1000 * 1000 * 1000,
	NSEC_PER_USEC	= 1000,
};

/* getopt_long() values of the options that have no short form */
enum {
	OPT_STATS	= 256,
	OPT_DURATION,
	OPT_SLICE_US,
	OPT_MODE,
	OPT_MONITOR,
	OPT_FITO,
	OPT_FITO_TIMEOUT,
	OPT_STEAL,
};

#define IPUSWAP_INFO	"/sys/kernel/debug/ipuswap/info"

const char help_fmt[] =
"A sched_ext scheduler whose decisions are made on an IPU and exchanged with\n"
"the host as bilateral swaps. Needs ipuswap.ko with a bound window.\n"
"\n"
"See the top comment in scx_ipuswap.bpf.c for the design.\n"
"\n"
"Usage: %s [--mode swap|onhost|fito|bpf] [--fito LIST] [--fito-timeout-us US]\n"
"       [--steal] [--stats SECS] [--duration SECS] [--slice-us US] [-f] [-v]\n"
"       %s --monitor SECS\n"
"\n"
"  --mode MODE       swap: the firmware proposes, the host commits (default)\n"
"                    onhost: swap, with the firmware binary running on a host\n"
"                    CPU (ipuswap-fw --transport host) instead of the IPU\n"
"                    fito: Wave's model: events to the firmware, decisions\n"
"                    back in per-CPU transaction slots\n"
"                    bpf: the same policy in BPF alone, no agent\n"
"  --fito LIST       fito: Wave's mitigations, comma-separated from wc,\n"
"                    prestage, prefetch, abort; or all (default) or none\n"
"  --fito-timeout-us US  fito: how long a dispatch waits for a requested\n"
"                    decision before serving a task itself (default 100,\n"
"                    max 1000)\n"
"  --monitor SECS    Do not load anything: print the module's counters of a\n"
"                    running instance every SECS seconds until SIGINT\n"
"  --stats SECS      Print a stats line every SECS seconds (default 1, 0: none)\n"
"  --duration SECS   Detach and exit 0 after SECS seconds (default: until\n"
"                    SIGINT/SIGTERM)\n"
"  --slice-us US     Time slice in microseconds (default 20000)\n"
"  --steal           swap/onhost: an idle CPU may take a task the firmware\n"
"                    proposed to another CPU (default: leave it to that CPU)\n"
"  -f, --fifo        FIFO order on the shared queue instead of weighted vtime\n"
"  -v, --verbose     Print libbpf debug messages\n"
"  -h, --help        Display this help and exit\n"
"\n"
"Prints \"" PROG ": attached\" once running and one final stats line at exit.\n";

static const struct option long_opts[] = {
	{ "stats",	required_argument,	NULL,	OPT_STATS },
	{ "duration",	required_argument,	NULL,	OPT_DURATION },
	{ "slice-us",	required_argument,	NULL,	OPT_SLICE_US },
	{ "mode",	required_argument,	NULL,	OPT_MODE },
	{ "monitor",	required_argument,	NULL,	OPT_MONITOR },
	{ "fito",	required_argument,	NULL,	OPT_FITO },
	{ "fito-timeout-us", required_argument,	NULL,	OPT_FITO_TIMEOUT },
	{ "fifo",	no_argument,		NULL,	'f' },
	{ "steal",	no_argument,		NULL,	OPT_STEAL },
	{ "verbose",	no_argument,		NULL,	'v' },
	{ "help",	no_argument,		NULL,	'h' },
	{ NULL,		0,			NULL,	0 },
};

static bool verbose;
static volatile sig_atomic_t exit_req;
static int nr_cpus;

static int libbpf_print_fn(enum libbpf_print_level level, const char *format,
			   va_list args)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, format, args);
}

static void sigint_handler(int sig)
{
	exit_req = 1;
}

static void __attribute__((noreturn)) usage_error(const char *fmt, ...)
{
	va_list args;

	fputs(PROG ": ", stderr);
	va_start(args, fmt);
	vfprintf(stderr, fmt, args);
	va_end(args);
	fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
	exit(EXIT_USAGE);
}

/* Seconds as a non-negative decimal ("0.5" is fine), in nanoseconds. */
static u64 parse_secs(const char *opt, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	/* !(v >= 0) also rejects NaN */
	if (errno || end == arg || *end || !(v >= 0) || v > SECS_MAX)
		usage_error("--%s: '%s' is not a number of seconds (0 to %d)",
			    opt, arg, SECS_MAX);
	return (u64)(v * NSEC_PER_SEC);
}

/* Whole microseconds, 1 to @max, in nanoseconds. */
static u64 parse_us(const char *opt, const char *arg, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || !v || v > max)
		usage_error("--%s: '%s' is not a number of microseconds "
			    "(1 to %lu)", opt, arg, max);
	return (u64)v * NSEC_PER_USEC;
}

/* "all", "none" or a comma list of mitigations -> IPUSWAP_FITO_* bits */
static u32 parse_fito(const char *arg)
{
	static const struct { const char *name; u32 bit; } names[] = {
		{ "wc", IPUSWAP_FITO_WC }, { "prestage", IPUSWAP_FITO_PRESTAGE },
		{ "prefetch", IPUSWAP_FITO_PREFETCH }, { "abort", IPUSWAP_FITO_ABORT },
	};
	char buf[128], *tok, *save;
	u32 flags = 0;

	if (!strcmp(arg, "all"))
		return IPUSWAP_FITO_ALL;
	if (!strcmp(arg, "none"))
		return 0;
	if (strlen(arg) >= sizeof(buf))
		usage_error("--fito: '%s' is too long", arg);
	strcpy(buf, arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		size_t i;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(tok, names[i].name))
				break;
		if (i == sizeof(names) / sizeof(names[0]))
			usage_error("--fito: '%s' is not one of wc, prestage, "
				    "prefetch, abort, all, none", tok);
		flags |= names[i].bit;
	}
	if (!flags)
		usage_error("--fito: '%s' names no mitigation (use none)", arg);
	return flags;
}

static u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* Returns early on a signal, which is what lets SIGINT end the wait. */
static void sleep_until(u64 ns)
{
	struct timespec ts = {
		.tv_sec = ns / NSEC_PER_SEC,
		.tv_nsec = ns % NSEC_PER_SEC,
	};

	clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/*
 * The module's counters (debugfs), appended to a stats line: the swap
 * path's own view, including the firmware's decision count from the window.
 * With -v, aborts by reason too. Prints nothing if the module is absent.
 */
static bool show_fito;

static void print_module_stats(bool all_aborts)
{
	static const char * const keys[] = {
		"dispatch_taken", "dispatch_self", "fw_alive", "fw_decisions",
		"fw_liveness",
	};
	char line[256];
	u64 aborts = 0;
	FILE *f;

	f = fopen(IPUSWAP_INFO, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '=');

		if (!eq)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (show_fito && !strncmp(line, "fito_", 5)) {
			printf(" %s", line);
			continue;
		}
		if (!strncmp(line, "abort_", 6)) {
			aborts += strtoull(eq + 1, NULL, 10);
			if (all_aborts)
				printf(" %s", line);
			continue;
		}
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if ((size_t)(eq - line) == strlen(keys[i]) &&
			    !strncmp(line, keys[i], eq - line))
				printf(" %s", line);
	}
	fclose(f);
	printf(" aborts=%llu", (unsigned long long)aborts);
}

static void print_stats(struct scx_ipuswap *skel)
{
	u64 totals[IPUSWAP_NR_STATS] = {};
	u64 vals[nr_cpus];
	u32 idx;
	int cpu;

	for (idx = 0; idx < IPUSWAP_NR_STATS; idx++) {
		if (bpf_map__lookup_elem(skel->maps.stats, &idx, sizeof(idx),
					 vals, sizeof(vals), 0))
			continue;
		for (cpu = 0; cpu < nr_cpus; cpu++)
			totals[idx] += vals[cpu];
	}

	printf("stats: enqueues=%llu dispatches=%llu local=%llu fallback=%llu "
	       "taken=%llu self=%llu requeue=%llu host_aborts=%llu",
	       (unsigned long long)totals[IPUSWAP_STAT_ENQUEUE],
	       (unsigned long long)totals[IPUSWAP_STAT_DISPATCH],
	       (unsigned long long)totals[IPUSWAP_STAT_LOCAL],
	       (unsigned long long)totals[IPUSWAP_STAT_FALLBACK],
	       (unsigned long long)totals[IPUSWAP_STAT_TAKEN],
	       (unsigned long long)totals[IPUSWAP_STAT_SELF],
	       (unsigned long long)totals[IPUSWAP_STAT_REQUEUE],
	       (unsigned long long)totals[IPUSWAP_STAT_ABORT]);
	print_module_stats(verbose);
	printf("\n");
}

/* --monitor: the module's counters of whatever scheduler is running. */
static int monitor(u64 every_ns)
{
	if (access(IPUSWAP_INFO, R_OK)) {
		fprintf(stderr, PROG ": %s: %s (is ipuswap.ko loaded and bound?)\n",
			IPUSWAP_INFO, strerror(errno));
		return EXIT_FAILURE;
	}
	while (!exit_req) {
		printf("monitor:");
		print_module_stats(verbose);
		printf("\n");
		sleep_until(now_ns() + every_ns);
	}
	return 0;
}

int main(int argc, char **argv)
{
	u64 stats_ns = NSEC_PER_SEC, duration_ns = 0, slice_ns = 0;
	bool fifo = false, has_deadline = false;
	u32 mode = IPUSWAP_MODE_SWAP, fito_flags = IPUSWAP_FITO_ALL;
	u64 fito_timeout_ns = 100 * NSEC_PER_USEC;
	bool fito_given = false, steal = false;
	u64 monitor_ns = 0;
	struct sigaction sa = { .sa_handler = sigint_handler };
	struct scx_ipuswap *skel;
	struct bpf_link *link;
	u64 start_ns, ecode;
	bool ejected;
	int opt, cur;

	/*
	 * Parse before touching BPF so --help works on any kernel. "+" stops
	 * at the first non-option, so argv[cur] is the element being parsed.
	 */
	opterr = 0;
	for (cur = optind;
	     (opt = getopt_long(argc, argv, "+:fvh", long_opts, NULL)) != -1;
	     cur = optind) {
		switch (opt) {
		case OPT_STATS:
			stats_ns = parse_secs("stats", optarg);
			break;
		case OPT_DURATION:
			duration_ns = parse_secs("duration", optarg);
			has_deadline = true;
			break;
		case OPT_SLICE_US:
			slice_ns = parse_us("slice-us", optarg, SLICE_US_MAX);
			break;
		case OPT_MODE:
			if (!strcmp(optarg, "swap"))
				mode = IPUSWAP_MODE_SWAP;
			else if (!strcmp(optarg, "bpf"))
				mode = IPUSWAP_MODE_BPF;
			else if (!strcmp(optarg, "fito"))
				mode = IPUSWAP_MODE_FITO;
			else if (!strcmp(optarg, "onhost"))
				mode = IPUSWAP_MODE_ONHOST;
			else
				usage_error("--mode: '%s' is not swap, onhost, fito or bpf",
					    optarg);
			break;
		case OPT_FITO:
			fito_flags = parse_fito(optarg);
			fito_given = true;
			break;
		case OPT_FITO_TIMEOUT:
			fito_timeout_ns = parse_us("fito-timeout-us", optarg,
						   FITO_TIMEOUT_US_MAX);
			fito_given = true;
			break;
		case OPT_MONITOR:
			monitor_ns = parse_secs("monitor", optarg);
			if (!monitor_ns)
				usage_error("--monitor: needs a period above 0");
			break;
		case OPT_STEAL:
			steal = true;
			break;
		case 'f':
			fifo = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			printf(help_fmt, basename(argv[0]), basename(argv[0]));
			return 0;
		case ':':
			usage_error("option '%s' requires an argument",
				    argv[cur]);
		default:
			if (!strncmp(argv[cur], "--", 2))
				usage_error("unrecognized option '%s'",
					    argv[cur]);
			usage_error("invalid option '-%c'", optopt);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
	if (fito_given && mode != IPUSWAP_MODE_FITO)
		usage_error("--fito and --fito-timeout-us need --mode fito");
	if (steal && mode != IPUSWAP_MODE_SWAP && mode != IPUSWAP_MODE_ONHOST)
		usage_error("--steal needs --mode swap or onhost");
	show_fito = mode == IPUSWAP_MODE_FITO;

	/* Tests read stdout through a pipe and wait for single lines. */
	setvbuf(stdout, NULL, _IOLBF, 0);

	libbpf_set_print(libbpf_print_fn);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (monitor_ns)
		return monitor(monitor_ns);

	/* SCX_OPS_OPEN() would only say "kernel too old?" */
	if (access(SCX_SYSFS, F_OK)) {
		fprintf(stderr, PROG ": this kernel has no sched_ext (%s missing)\n",
			SCX_SYSFS);
		return EXIT_FAILURE;
	}

	nr_cpus = libbpf_num_possible_cpus();
	SCX_BUG_ON(nr_cpus <= 0, "libbpf_num_possible_cpus() failed (%d)",
		   nr_cpus);

	start_ns = now_ns();
restart:
	skel = SCX_OPS_OPEN(ipuswap_ops, scx_ipuswap);

	if (slice_ns)
		skel->rodata->slice_ns = slice_ns;
	skel->rodata->fifo_sched = fifo;
	skel->rodata->swap_steal = steal;
	skel->rodata->mode = mode;
	skel->rodata->fito_flags = fito_flags;
	skel->rodata->fito_timeout_ns = fito_timeout_ns;

	/* libbpf's own error for this case names a kfunc, not the cause. */
	if (access(MODULE_BTF, F_OK))
		fprintf(stderr, PROG ": %s missing: is ipuswap.ko loaded?\n",
			MODULE_BTF);

	SCX_OPS_LOAD(skel, ipuswap_ops, scx_ipuswap, uei);
	link = SCX_OPS_ATTACH(skel, ipuswap_ops, scx_ipuswap);

	/*
	 * A failed ops.init() (no IPU window) still attaches the link; the
	 * kernel has already ejected the scheduler by the time we get here.
	 */
	if (!UEI_EXITED(skel, uei)) {
		u64 next_ns = now_ns() + stats_ns;

		printf(PROG ": attached\n");

		bool was_alive = true;

		while (!exit_req && !UEI_EXITED(skel, uei)) {
			u64 now = now_ns(), wake;

			/* Say when the host starts or stops serving alone. */
			if (skel->bss->fw_alive != was_alive) {
				was_alive = skel->bss->fw_alive;
				printf(PROG ": firmware %s\n", was_alive ?
				       "alive again: its proposals are taken again" :
				       "not advancing: the host serves every task itself");
			}

			if (has_deadline && now >= start_ns + duration_ns)
				break;
			if (stats_ns && now >= next_ns) {
				print_stats(skel);
				/* after a stall, resume the cadence from now */
				next_ns += stats_ns;
				if (next_ns <= now)
					next_ns = now + stats_ns;
			}

			wake = now + POLL_NS;
			if (stats_ns && next_ns < wake)
				wake = next_ns;
			if (has_deadline && start_ns + duration_ns < wake)
				wake = start_ns + duration_ns;
			sleep_until(wake);
		}
	}

	/* Decide before detaching: detaching records an exit of its own. */
	ejected = UEI_EXITED(skel, uei);

	bpf_link__destroy(link);
	print_stats(skel);
	ecode = UEI_REPORT(skel, uei);
	scx_ipuswap__destroy(skel);

	if (ejected && UEI_ECODE_RESTART(ecode) && !exit_req)
		goto restart;
	return ejected ? EXIT_FAILURE : 0;
}
