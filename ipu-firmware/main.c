// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipuswap-fw: the IPU firmware of ipuswap, run either as the emulated IPU
 * (the ivshmem server for QEMU's ivshmem-doorbell device) or on the real
 * IPU's ARM complex (UIO). See DESIGN.md §2 and §6. With --transport host
 * the same binary runs inside the host as the on-host reference agent,
 * against the window the host driver exposes as /dev/ipuswap.
 *
 * All arguments are checked before anything is created, so a bad command
 * line leaves no socket, memfd or log state behind.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipuswap_dev.h"
#include "ipuswap_wire.h"
#include "fw_core.h"
#include "log.h"
#include "transport.h"

#define DEFAULT_SHM_SIZE	(4ULL << 20)
#define DEFAULT_UIO_DEV		"/dev/uio0"
#define DEFAULT_HOST_DEV	IPUSWAP_DEV_PATH
#define ONHOST_BW_GBPS		1e4	/* the most fw_pcie_cfg_check() accepts */
#define MAX_VECTORS		64

struct options {
	const struct transport_ops *ops;
	struct transport_cfg tcfg;
	struct fw_config fcfg;
	bool pcie_read_set, pcie_write_set, pcie_atomic_set;
};

enum {
	OPT_SOCKET = 256,
	OPT_SHM_SIZE,
	OPT_VECTORS,
	OPT_TICK_US,
	OPT_TRANSPORT,
	OPT_UIO_DEV,
	OPT_UIO_DOORBELL,
	OPT_CORRUPT,
	OPT_FAULT,
	OPT_FAULT_CLOCK,
	OPT_PCIE_READ,
	OPT_PCIE_WRITE,
	OPT_PCIE_ATOMIC,
	OPT_PCIE_SCALE,
	OPT_POLL_US,
	OPT_DEV,
	OPT_SEED,
};

static const struct option long_opts[] = {
	{ "socket",		required_argument, NULL, OPT_SOCKET },
	{ "shm-size",		required_argument, NULL, OPT_SHM_SIZE },
	{ "vectors",		required_argument, NULL, OPT_VECTORS },
	{ "tick-us",		required_argument, NULL, OPT_TICK_US },
	{ "transport",		required_argument, NULL, OPT_TRANSPORT },
	{ "uio-dev",		required_argument, NULL, OPT_UIO_DEV },
	{ "uio-doorbell",	required_argument, NULL, OPT_UIO_DOORBELL },
	{ "corrupt-header",	required_argument, NULL, OPT_CORRUPT },
	{ "fault",		required_argument, NULL, OPT_FAULT },
	{ "fault-clock",	required_argument, NULL, OPT_FAULT_CLOCK },
	{ "pcie-read-ns",	required_argument, NULL, OPT_PCIE_READ },
	{ "pcie-write-ns",	required_argument, NULL, OPT_PCIE_WRITE },
	{ "pcie-atomic-ns",	required_argument, NULL, OPT_PCIE_ATOMIC },
	{ "pcie-scale",		required_argument, NULL, OPT_PCIE_SCALE },
	{ "poll-us",		required_argument, NULL, OPT_POLL_US },
	{ "dev",		required_argument, NULL, OPT_DEV },
	{ "seed",		required_argument, NULL, OPT_SEED },
	{ "verbose",		no_argument,	   NULL, 'v' },
	{ "help",		no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *f)
{
	fprintf(f,
"Usage: ipuswap-fw [OPTIONS]\n"
"The ipuswap IPU firmware: serves the shared window and doorbells.\n"
"\n"
"  --transport ivshmem|uio|host\n"
"                           emulated IPU (ivshmem server for QEMU, default),\n"
"                           real IPU through UIO, or on-host reference agent\n"
"                           run inside the host on the driver's device\n"
"  --socket PATH            UNIX socket QEMU connects to (ivshmem, required)\n"
"  --shm-size SIZE          window bytes, K/M/G suffixes, power of two,\n"
"                           64K..1G (ivshmem; default 4M)\n"
"  --vectors N              doorbell vectors, %d..%d (default %d)\n"
"  --tick-us N              liveness tick period in microseconds,\n"
"                           %d..%d (default %d)\n"
"  --uio-dev PATH           UIO device (uio; default %s)\n"
"  --uio-doorbell OFF       doorbell register offset in UIO map1 (default 0)\n"
"  --dev PATH               host driver's device (host; default %s)\n"
"  --corrupt-header FIELD   write a wrong magic|version|size (tests)\n"
"  --fault KIND@SECONDS     inject a fault SECONDS after the host driver is\n"
"                           first seen; repeatable. KIND: kill, hang,\n"
"                           restart (engine recovers from the window),\n"
"                           garbage (random words in the swap region for\n"
"                           2 s), slow@SECONDS:NS (every access NS slower),\n"
"                           storm (every vector raised every 50 us for 6 s),\n"
"                           hostile@SECONDS[:FOR] (keeps serving, but also\n"
"                           writes well-formed lies for FOR seconds, default\n"
"                           until exit; the seed is printed as\n"
"                           '# hostile: seed=N')\n"
"  --seed N                 replay the lies of --fault hostile (0..2^64-1)\n"
"  --fault-clock bind|sched count --fault SECONDS from the driver binding\n"
"                           (default) or from a scheduler attaching\n"
"  --pcie-read-ns NS        latency model of the IPU's window accesses:\n"
"  --pcie-write-ns NS       non-posted read, posted write, AtomicOp CAS\n"
"  --pcie-atomic-ns NS      (defaults %.0f, %.0f, %.0f; see fw_pcie.h; with\n"
"                           --transport host all 0: no PCIe on the host)\n"
"  --pcie-scale F           multiply the model by F (guest-time calibration)\n"
"  --poll-us N              keep staging N us after each wake-up before\n"
"                           blocking again (0..%d, default %d)\n"
"  -v, --verbose            more log lines (repeatable)\n"
"  -h, --help               this text\n",
		IPUSWAP_NR_VECTORS, MAX_VECTORS, IPUSWAP_NR_VECTORS,
		FW_TICK_US_MIN, FW_TICK_US_MAX, FW_TICK_US_DEFAULT,
		DEFAULT_UIO_DEV, DEFAULT_HOST_DEV,
		FW_PCIE_READ_NS, FW_PCIE_WRITE_NS, FW_PCIE_ATOMIC_NS,
		FW_POLL_US_MAX, FW_POLL_US_DEFAULT);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
bad_usage(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "ipuswap-fw: %s\n"
		"Try 'ipuswap-fw --help' for more information.\n", msg);
	exit(2);
}

/* A non-negative decimal number of nanoseconds (or a factor). */
static double parse_double(const char *opt, const char *arg, double max)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (!*arg || *end || errno || !(v >= 0) || v > max)
		bad_usage("%s '%s': expected a number from 0 to %g", opt, arg, max);
	return v;
}

/* A decimal number with an optional K, M or G (binary) suffix. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -errno;
	switch (*end) {
	case 'K': case 'k':
		shift = 10;
		break;
	case 'M': case 'm':
		shift = 20;
		break;
	case 'G': case 'g':
		shift = 30;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (shift && end[1])
		return -EINVAL;
	if (v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

/* Decimal, or with base 0 also 0x hex (for register offsets). */
static unsigned long parse_uint(const char *flag, const char *s, int base,
				unsigned long min, unsigned long max)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, base);
	if (*s < '0' || *s > '9' || *end || errno || v < min || v > max)
		bad_usage("%s '%s': expected an integer from %lu to %lu",
			  flag, s, min, max);
	return v;
}

static void opt_shm_size(struct options *o, const char *arg)
{
	uint64_t v;

	if (parse_size(arg, &v))
		bad_usage("--shm-size '%s': not a size (use e.g. 65536, 64K, 4M, 1G)",
			  arg);
	if (v < IPUSWAP_WINDOW_MIN || v > IPUSWAP_WINDOW_MAX)
		bad_usage("--shm-size '%s': must be from 64K to 1G", arg);
	if (v & (v - 1))
		bad_usage("--shm-size '%s': not a power of two", arg);
	o->tcfg.shm_size = v;
}

static void opt_fault(struct options *o, const char *arg)
{
	struct fw_config *f = &o->fcfg;
	const char *why;

	if (f->nr_faults == FW_MAX_FAULTS)
		bad_usage("--fault '%s': at most %d faults", arg, FW_MAX_FAULTS);
	why = fw_fault_parse(arg, &f->faults[f->nr_faults]);
	if (why)
		bad_usage("--fault '%s': %s", arg, why);
	f->nr_faults++;
}

/*
 * The on-host agent reaches the window as local memory: no PCIe costs
 * unless asked for. Bulk reads get the model's top bandwidth (there is no
 * option for it), so only the real copy costs.
 */
static void opt_onhost(struct options *o)
{
	struct fw_pcie_cfg *p = &o->fcfg.pcie;

	o->fcfg.onhost = true;
	if (!o->pcie_read_set)
		p->read_ns = 0;
	if (!o->pcie_write_set)
		p->write_ns = 0;
	if (!o->pcie_atomic_set)
		p->atomic_ns = 0;
	p->bw_gbps = ONHOST_BW_GBPS;
}

static void opt_one(struct options *o, int c, const char *arg)
{
	const char *why;

	switch (c) {
	case OPT_SOCKET:
		if (!*arg || strlen(arg) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			bad_usage("--socket '%s': empty or longer than %zu bytes",
				  arg, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		o->tcfg.socket_path = arg;
		break;
	case OPT_SHM_SIZE:
		opt_shm_size(o, arg);
		break;
	case OPT_VECTORS:
		o->tcfg.nr_vectors = parse_uint("--vectors", arg, 10,
						IPUSWAP_NR_VECTORS, MAX_VECTORS);
		break;
	case OPT_TICK_US:
		o->fcfg.tick_us = parse_uint("--tick-us", arg, 10, FW_TICK_US_MIN,
					     FW_TICK_US_MAX);
		break;
	case OPT_TRANSPORT:
		if (!strcmp(arg, "ivshmem"))
			o->ops = &transport_ivshmem_ops;
		else if (!strcmp(arg, "uio"))
			o->ops = &transport_uio_ops;
		else if (!strcmp(arg, "host"))
			o->ops = &transport_host_ops;
		else
			bad_usage("--transport '%s': expected ivshmem, uio or host", arg);
		break;
	case OPT_DEV:
		if (!*arg)
			bad_usage("--dev: empty path");
		o->tcfg.host_dev = arg;
		break;
	case OPT_UIO_DEV:
		o->tcfg.uio_dev = arg;
		break;
	case OPT_UIO_DOORBELL:
		o->tcfg.uio_doorbell_off = parse_uint("--uio-doorbell", arg, 0, 0,
						      1UL << 30);
		break;
	case OPT_CORRUPT:
		why = fw_corrupt_parse(arg, &o->fcfg.corrupt);
		if (why)
			bad_usage("--corrupt-header '%s': %s", arg, why);
		break;
	case OPT_FAULT:
		opt_fault(o, arg);
		break;
	case OPT_FAULT_CLOCK:
		if (!strcmp(arg, "sched"))
			o->fcfg.fault_from_sched = true;
		else if (strcmp(arg, "bind"))
			bad_usage("--fault-clock '%s': not bind or sched", arg);
		break;
	case OPT_PCIE_READ:
		o->fcfg.pcie.read_ns = parse_double("--pcie-read-ns", arg, 1e6);
		o->pcie_read_set = true;
		break;
	case OPT_PCIE_WRITE:
		o->fcfg.pcie.write_ns = parse_double("--pcie-write-ns", arg, 1e6);
		o->pcie_write_set = true;
		break;
	case OPT_PCIE_ATOMIC:
		o->fcfg.pcie.atomic_ns = parse_double("--pcie-atomic-ns", arg, 1e6);
		o->pcie_atomic_set = true;
		break;
	case OPT_PCIE_SCALE:
		o->fcfg.pcie.scale = parse_double("--pcie-scale", arg, 10000);
		break;
	case OPT_SEED: {
		unsigned long long v;
		char *end;

		errno = 0;
		v = strtoull(arg, &end, 0);
		if (*arg < '0' || *arg > '9' || *end || errno)
			bad_usage("--seed '%s': expected an integer from 0 to %llu", arg,
				  (unsigned long long)UINT64_MAX);
		o->fcfg.hostile_seed = v;
		o->fcfg.hostile_seed_set = true;
		break;
	}
	case OPT_POLL_US:
		o->fcfg.poll_us = parse_uint("--poll-us", arg, 10, 0, FW_POLL_US_MAX);
		break;
	}
}

static void parse_args(struct options *o, int argc, char **argv)
{
	int c;

	o->ops = &transport_ivshmem_ops;
	o->tcfg.shm_size = DEFAULT_SHM_SIZE;
	o->tcfg.nr_vectors = IPUSWAP_NR_VECTORS;
	o->tcfg.uio_dev = DEFAULT_UIO_DEV;
	o->tcfg.host_dev = DEFAULT_HOST_DEV;
	o->fcfg.tick_us = FW_TICK_US_DEFAULT;
	o->fcfg.poll_us = FW_POLL_US_DEFAULT;
	fw_pcie_cfg_default(&o->fcfg.pcie);

	opterr = 0;	/* our own messages, without argv[0] */
	while ((c = getopt_long(argc, argv, ":vh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			fw_verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case ':':
			bad_usage("option '%s' needs a value", argv[optind - 1]);
		case '?':
			if (optopt)
				bad_usage("unknown option '-%c'", optopt);
			bad_usage("unknown option '%s'", argv[optind - 1]);
		default:
			opt_one(o, c, optarg);
		}
	}
	if (optind < argc)
		bad_usage("unexpected argument '%s'", argv[optind]);
	if (o->fcfg.hostile_seed_set) {
		unsigned int i;

		for (i = 0; i < o->fcfg.nr_faults; i++)
			if (!strcmp(fw_fault_name(o->fcfg.faults[i].kind), "hostile"))
				break;
		if (i == o->fcfg.nr_faults)
			bad_usage("--seed: only --fault hostile takes a seed");
	}
	if (o->ops == &transport_ivshmem_ops && !o->tcfg.socket_path)
		bad_usage("--socket PATH is required with --transport ivshmem");
	if (o->ops == &transport_host_ops)
		opt_onhost(o);
}

/* SIGINT/SIGTERM arrive through a signalfd so the core can block on them. */
static int setup_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct transport t = { .pollfd = -1 };
	int sigfd, ret;

	parse_args(&o, argc, argv);
	sigfd = setup_signals();
	if (sigfd < 0) {
		fw_log("signals: %s", strerror(errno));
		return 1;
	}
	t.ops = o.ops;
	if (t.ops->open(&t, &o.tcfg))
		return 1;
	ret = fw_run(&t, &o.fcfg, sigfd);
	t.ops->close(&t);
	close(sigfd);
	return ret > 0 && !t.fatal ? 0 : 1;
}
