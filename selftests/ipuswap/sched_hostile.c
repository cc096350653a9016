// SPDX-License-Identifier: GPL-2.0
/*
 * A hostile IPU (issue 15): the VM's firmware runs with
 * `--fault-clock sched --fault hostile@S` (IPUSWAP_FAULT=hostile): from S s
 * after the first attach it keeps serving and ticking but also writes
 * well-formed lies on every step (ipu-firmware/fw_hostile.c: forged home
 * and cell words, proposals for CPUs a task may not use, version rollbacks
 * and jumps, CASes racing the host's, header fields and FITO ring tails
 * rewritten, interrupt floods).
 *
 * Under scx_ipuswap --mode swap, then --mode fito, then --mode fito --fito
 * none (no commit-time validation; make check leaves it out with
 * `sched_hostile,-V,fito_none`), a storm-like load runs
 * through LIE_SECS of lies: rounds of short threads, a fork/exit storm, a
 * pipe ping-pong and a thread moving those two between CPU sets and nice
 * levels. Asserted: every workload thread completes; sched_ext never
 * ejected the scheduler (still enabled, enable_seq unchanged, no "BPF
 * scheduler ... disabled" line, the loader exits 0); dmesg gains no splat
 * or soft lockup; and the module's counters show the lies were seen and
 * repaired, so a firmware that did not lie cannot pass.
 */
#define _GNU_SOURCE
#include <sys/klog.h>

#include "kselftest_harness.h"
#include "ipuswap_test.h"
#include "ipt_load.h"

#define LIE_SECS	18
#define NR_WORKERS	32
#define SCX_ENABLE_SEQ	"/sys/kernel/sched_ext/enable_seq"

static const struct ipt_work work = { .spins = 15000, .sleep_us = 100 };

/*
 * What this kernel prints when something went wrong: the splats
 * (ipt_splats), lockups and stalls, and a sched_ext ejection ("BPF
 * scheduler ... disabled (REASON)" for any reason but the loader's detach).
 */
static const char *const bad_lines[] = {
	"WARNING:", "BUG:", "Oops", "lockdep", "possible recursive locking",
	"suspicious RCU usage", "soft lockup", "hard LOCKUP", "runnable task stall",
	"hung_task", "self-detected stall", "rcu: INFO",
	/* ops.name is "ipuswap_<version>_g<hash>"; ours is the only one here */
	"\" disabled (",
	"disabled (unregistered from user space)",
};

#define NR_BAD_LINES	(sizeof(bad_lines) / sizeof(bad_lines[0]))
#define NR_EJECT_LINES	2	/* the last two: ejections = first - second */

/* Count each bad line in the kernel log, read once (a dmesg each is slow under TCG). */
static void bad_counts(int counts[NR_BAD_LINES])
{
	int size = klogctl(10, NULL, 0), n;	/* SYSLOG_ACTION_SIZE_BUFFER */
	char *buf = malloc(size > 0 ? size + 1 : 1), *line, *save;

	memset(counts, 0, NR_BAD_LINES * sizeof(int));
	n = buf && size > 0 ? klogctl(3, buf, size) : -1;	/* SYSLOG_ACTION_READ_ALL */
	if (n < 0) {
		for (size_t i = 0; i < NR_BAD_LINES; i++)
			counts[i] = -1;
		free(buf);
		return;
	}
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		for (size_t i = 0; i < NR_BAD_LINES; i++)
			counts[i] += strstr(line, bad_lines[i]) != NULL;
	free(buf);
}

FIXTURE(hostile) {
	struct ipt_loader loader;
	bool running;
	struct ipt_load load;
	int bad[NR_BAD_LINES];
	long long enable_seq;
};

FIXTURE_VARIANT(hostile) {
	const char *mode;
	const char *fito;	/* --fito LIST, or the loader's default (all) */
};

FIXTURE_VARIANT_ADD(hostile, swap) { .mode = "swap" };
FIXTURE_VARIANT_ADD(hostile, fito) { .mode = "fito" };
/* Without abort the host enforces what the firmware decided: lies included. */
FIXTURE_VARIANT_ADD(hostile, fito_none) { .mode = "fito", .fito = "none" };

static long long enable_seq(void)
{
	char buf[32];

	return ipt_read(SCX_ENABLE_SEQ, buf, sizeof(buf)) ? -1 : atoll(buf);
}

FIXTURE_SETUP(hostile)
{
	const char *args[] = { "--mode", variant->mode, "--stats", "5",
			       variant->fito ? "--fito" : NULL, variant->fito, NULL };

	memset(&self->load, 0, sizeof(self->load));
	self->running = false;
	if (!getenv("IPUSWAP_FAULT") || strcmp(getenv("IPUSWAP_FAULT"), "hostile"))
		SKIP(return, "the firmware does not lie in this VM (IPUSWAP_FAULT=hostile)");
	bad_counts(self->bad);
	ASSERT_TRUE(ipt_sched_attach(&self->loader, "live_timeout_ms=1000", args));
	self->running = true;
	self->enable_seq = enable_seq();
}

FIXTURE_TEARDOWN(hostile)
{
	self->load.stop = 1;
	/* The module stays for the next case: an unload waits for RCU, slow here. */
	if (self->running)
		ipt_loader_stop(&self->loader, SIGKILL, 30);
}

/*
 * What shows the host saw the lies. Swap: words repaired (garbage or
 * forged), which a firmware that does not lie leaves at 0. FITO with
 * validation: decisions refused as written by an earlier firmware run (no
 * restart here: only a forged fito_gen), also 0 without lies. FITO without
 * it enforces whatever the firmware decided, lies included, by design: the
 * stale decisions it counts happen without lies too, so there the floods
 * (throttled, asserted for every variant) are what a truthful firmware
 * cannot produce. Ring-full happens without lies too: printed only.
 */
static long long seen(const FIXTURE_VARIANT(hostile) *v)
{
	if (strcmp(v->mode, "fito"))
		return ipt_info("abort_bad_word");
	if (!v->fito)
		return ipt_info("abort_agent_stale");
	return ipt_info("fito_stale_enforced") + ipt_info("fito_stale_dropped") +
	       ipt_info("fito_stale_refused");
}

static long long throttled(void)
{
	return ipt_info("irqs_ctrl_throttled") + ipt_info("irqs_sched_throttled");
}

TEST_F_TIMEOUT(hostile, load_survives_lies, 600)
{
	bool fito = !strcmp(variant->mode, "fito");
	const char *name = variant->fito ? "fito:none" : variant->mode;
	long long seen0 = seen(variant), thr0 = throttled();
	long long self0 = ipt_info(fito ? "fito_self" : "dispatch_self");
	long long commit0 = ipt_info(fito ? "fito_commit" : "dispatch_taken");
	long long stale0 = ipt_info("abort_stale"), ring0 = ipt_info("fito_ring_full");
	int now[NR_BAD_LINES], started = 0, done = 0, rounds = 0, status, n;
	long long lies, thr, selfd, commits;
	double end = ipt_now() + LIE_SECS;
	char state[64];
	bool clean;

	ASSERT_EQ(0, ipt_load_start(&self->load, -1));
	while (ipt_now() < end) {
		n = ipt_storm(&work, 1, NR_WORKERS, 2);
		ASSERT_GE(n, 0) TH_LOG("round %d: a thread or process did not start", rounds);
		started += NR_WORKERS + 2;
		done += n;
		rounds++;
		ipt_scx_state(state, sizeof(state));
		ASSERT_STREQ("enabled", state) TH_LOG("ejected after %d rounds", rounds);
	}
	ASSERT_TRUE(ipt_load_stop(&self->load)) TH_LOG("a load thread never finished");

	lies = seen(variant) - seen0;
	thr = throttled() - thr0;
	selfd = ipt_info(fito ? "fito_self" : "dispatch_self") - self0;
	commits = ipt_info(fito ? "fito_commit" : "dispatch_taken") - commit0;
	TH_LOG("--mode %s, %d s of lies: %d rounds (%d of %d tasks done), %d forks, %d round trips, %d moves; "
	       "lies repaired %lld (stale %lld, ring_full %lld), irqs throttled %lld, %s %lld, self %lld",
	       name, LIE_SECS, rounds, done, started, self->load.forked, self->load.pongs,
	       self->load.moves, lies, ipt_info("abort_stale") - stale0,
	       ipt_info("fito_ring_full") - ring0, thr, fito ? "commit" : "taken", commits, selfd);
	printf("# fault=hostile mode=%s rounds=%d repaired=%lld throttled=%lld %s=%lld self=%lld\n",
	       name, rounds, lies, thr, fito ? "commit" : "taken", commits, selfd);

	/* Every task of the load completed. */
	ASSERT_EQ(started, done) TH_LOG("%d tasks never finished", started - done);
	ASSERT_EQ(self->load.forked, self->load.reaped);
	ASSERT_GT(self->load.pongs, 0);
	ASSERT_GT(self->load.moves, 0);

	/* The scheduler was never ejected, and leaves cleanly. */
	ipt_scx_state(state, sizeof(state));
	ASSERT_STREQ("enabled", state);
	ASSERT_EQ(self->enable_seq, enable_seq()) TH_LOG("sched_ext re-enabled: an ejection?");
	ASSERT_EQ(1, ipt_info("fw_alive")) TH_LOG("liveness must keep ticking through the lies");
	clean = ipt_sched_detach(&self->loader, &status);
	self->running = false;
	ASSERT_TRUE(clean) TH_LOG("loader status %#x (1: the kernel ejected it)", status);

	/* No splat, lockup, stall or ejection. */
	bad_counts(now);
	ASSERT_LE(0, now[0]) TH_LOG("cannot read the kernel log");
	ASSERT_EQ(now[NR_BAD_LINES - 2] - now[NR_BAD_LINES - 1],
		  self->bad[NR_BAD_LINES - 2] - self->bad[NR_BAD_LINES - 1])
		TH_LOG("sched_ext ejected the scheduler");
	for (size_t i = 0; i < NR_BAD_LINES - NR_EJECT_LINES; i++) {
		EXPECT_EQ(self->bad[i], now[i]) TH_LOG("dmesg gained '%s'", bad_lines[i]);
	}

	/* The firmware lied, and the host saw it: nonzero, or this proved nothing. */
	ASSERT_GT(lies, 0) TH_LOG("no lie was repaired: did the firmware lie?");
	ASSERT_GT(thr, 0) TH_LOG("the interrupt floods were never throttled");
	ASSERT_GT(selfd + commits, 0);
}

TEST_HARNESS_MAIN
