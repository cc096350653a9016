// SPDX-License-Identifier: GPL-2.0
/*
 * The firmware fails while scx_ipuswap --mode swap runs a workload. Run in a
 * VM whose firmware was started with `--fault-clock sched --fault KIND@S`
 * and IPUSWAP_FAULT=KIND (kill, hang, garbage, restart, slow, storm); S counts from
 * the scheduler attaching, which is this test's setup, so with S below
 * WORKLOAD_SECS the fault lands in the middle of the workload.
 * Whatever the fault: no oops, no stall, every thread finishes, the
 * scheduler stays enabled; then the fault-specific evidence is checked.
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
#include "ipuswap_test.h"

#define WORKLOAD_SECS	12
#define NR_WORKERS	100

static const struct ipt_work work = { .spins = 15000, .sleep_us = 100 };

/* Rounds of short threads for @secs; returns started - finished. */
static int workload(int secs, int *rounds)
{
	double end = ipt_now() + secs;
	int started = 0, done = 0, n;

	*rounds = 0;
	while (ipt_now() < end) {
		n = ipt_storm(&work, 1, NR_WORKERS, 0);
		if (n < 0)
			return -1;
		started += NR_WORKERS;
		done += n;
		(*rounds)++;
	}
	return started - done;
}

FIXTURE(fault) {
	struct ipt_loader loader;
	bool running;
};

FIXTURE_SETUP(fault)
{
	const char *args[] = { "--mode", "swap", "--stats", "5", NULL };

	if (!getenv("IPUSWAP_FAULT"))
		SKIP(return, "firmware runs without a fault schedule in this VM");
	ASSERT_EQ(0, ipt_load_module("live_timeout_ms=1000"));
	self->running = true;
	ASSERT_TRUE(ipt_sched_attach(&self->loader, NULL, args));
}

FIXTURE_TEARDOWN(fault)
{
	int status = 0;

	if (self->running)
		EXPECT_TRUE(ipt_sched_detach(&self->loader, &status))
			TH_LOG("loader status %#x", status);
	if (ipt_module_loaded())
		EXPECT_EQ(0, ipt_unload_module_settled(10));
}

TEST_F_TIMEOUT(fault, workload_survives, 600)
{
	const char *kind = getenv("IPUSWAP_FAULT");
	long long gen0 = ipt_info("fw_generation");
	long long taken0 = ipt_info("dispatch_taken");
	long long self0 = ipt_info("dispatch_self");
	long long irqs0 = ipt_info("irqs_ctrl") + ipt_info("irqs_sched");
	long long taken, selfd, bad, irqs, throttled = 0;
	int rounds, missing, more, ping = 0;
	char state[64];
	double t0 = ipt_now();

	if (!strcmp(kind, "storm")) {
		/* Halfway the storm is on (4 s to 10 s): a ping must still get through. */
		missing = workload(WORKLOAD_SECS / 2, &rounds);
		ping = ipt_write(IPUSWAP_DEBUGFS "/ping", "20");
		missing += workload(WORKLOAD_SECS - WORKLOAD_SECS / 2, &more);
		rounds += more;
	} else {
		missing = workload(WORKLOAD_SECS, &rounds);
	}
	irqs = ipt_info("irqs_ctrl") + ipt_info("irqs_sched") - irqs0;
	taken = ipt_info("dispatch_taken") - taken0;
	selfd = ipt_info("dispatch_self") - self0;
	bad = ipt_info("abort_bad_word") + ipt_info("abort_bad_index") +
	      ipt_info("abort_bad_cpu");
	TH_LOG("fault %s: %d rounds of %d threads, %lld taken, %lld self-served, "
	       "%lld bad values rejected, fw_alive=%lld, generation %lld -> %lld",
	       kind, rounds, NR_WORKERS, taken, selfd, bad, ipt_info("fw_alive"), gen0,
	       ipt_info("fw_generation"));
	printf("# fault=%s rounds=%d taken=%lld self=%lld rejected=%lld fw_alive=%lld\n",
	       kind, rounds, taken, selfd, bad, ipt_info("fw_alive"));
	ASSERT_EQ(0, missing) TH_LOG("%d threads never finished", missing);
	ASSERT_GT(rounds, 0);
	ASSERT_EQ(0, ipt_read(SCX_STATE, state, sizeof(state)));
	ASSERT_STREQ("enabled", state);
	ASSERT_EQ(0, ipt_dmesg_count("Oops"));
	ASSERT_EQ(0, ipt_dmesg_count("BUG:"));
	ASSERT_EQ(0, ipt_dmesg_count("runnable task stall"));
	ASSERT_GT(selfd, 0) TH_LOG("host never served itself: did it wait?");

	if (!strcmp(kind, "kill") || !strcmp(kind, "hang")) {
		ASSERT_EQ(0, ipt_info("fw_alive"));
		ASSERT_EQ(1, ipt_dmesg_count("firmware liveness stopped"));
		/* The loader told its user. */
		ASSERT_TRUE(ipt_loader_wait_line(&self->loader, "firmware not advancing", 30));
	} else if (!strcmp(kind, "garbage")) {
		ASSERT_GT(bad, 0) TH_LOG("garbage written but nothing rejected");
		ASSERT_EQ(1, ipt_info("fw_alive"));
	} else if (!strcmp(kind, "slow")) {
		ASSERT_EQ(1, ipt_info("fw_alive"));
		ASSERT_GT(taken, 0);
	} else if (!strcmp(kind, "storm")) {
		throttled = ipt_info("irqs_ctrl_throttled") + ipt_info("irqs_sched_throttled");
		TH_LOG("storm: %lld interrupts handled (%.0f/s), masked %lld times, ping %d",
		       irqs, irqs / (ipt_now() - t0), throttled, ping);
		printf("# fault=storm irqs=%lld irqs_per_s=%.0f throttled=%lld\n", irqs,
		       irqs / (ipt_now() - t0), throttled);
		ASSERT_GT(throttled, 0) TH_LOG("a storm of %lld interrupts was never masked", irqs);
		/*
		 * Masked past 32 unsolicited interrupts per 100 ms and vector:
		 * at most 320/s each whatever the storm (plus the pings').
		 */
		ASSERT_LT(irqs / (ipt_now() - t0), 2 * 320 + 100);
		ASSERT_EQ(0, ping) TH_LOG("ping during the storm: %s", strerror(-ping));
		ASSERT_EQ(0, ipt_info("ping_lost"));
		ASSERT_EQ(1, ipt_info("fw_alive"));
		ASSERT_GT(taken, 0);
		ASSERT_EQ(0, ipt_dmesg_count("WARNING"));
	} else if (!strcmp(kind, "restart")) {
		ASSERT_EQ(gen0 + 1, ipt_info("fw_generation"));
		ASSERT_GT(taken, 0);
		ASSERT_EQ(1, ipt_info("fw_alive"));
	}
}

TEST_HARNESS_MAIN
