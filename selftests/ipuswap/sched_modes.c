// SPDX-License-Identifier: GPL-2.0
/*
 * Every scheduler mode side by side (issue 6): bpf, onhost, swap and fito
 * with each of Wave's mitigation sets run a message-passing workload
 * (hackbench from rt-tests) to completion without being ejected, and the
 * module's counters say what each protocol did:
 *
 *  - fito with no mitigations, under the firmware's latency model, enforces
 *    stale decisions and counts them; with the abort switch none is
 *    enforced (they are aborted at commit instead);
 *  - swap never enforces a stale decision and never waits for the
 *    firmware (the counters it shares with fito stay 0);
 *  - onhost: the firmware binary running in this machine, not the IPU,
 *    made the decisions that were taken.
 */
#define _GNU_SOURCE
#include "kselftest_harness.h"
#include "ipuswap_test.h"

FIXTURE(modes) {
	struct ipt_loader loader;
	pid_t agent;
};

FIXTURE_VARIANT(modes) {
	const char *mode;
	const char *fito;	/* --fito LIST, or NULL */
	bool steal;		/* --steal */
};

/* The configurations tagged "test" in selftests/modes.list. */
#define MODE_VARIANT(name, m, f, s)				\
	FIXTURE_VARIANT_ADD(modes, name) { .mode = m, .fito = f, .steal = s }
#include "modes.h"

FIXTURE_SETUP(modes)
{
	const char *args[8] = { "--mode", variant->mode, "--stats", "0" };
	int n = 4;

	if (variant->fito) {
		args[n++] = "--fito";
		args[n++] = variant->fito;
	}
	if (variant->steal)
		args[n++] = "--steal";
	self->agent = 0;
	if (!ipt_module_loaded())
		ASSERT_EQ(0, ipt_load_module(NULL));
	if (!strcmp(variant->mode, "onhost")) {
		self->agent = ipt_agent_start();
		ASSERT_GT(self->agent, 0);
	}
	ASSERT_TRUE(ipt_sched_attach(&self->loader, NULL, args));
}

FIXTURE_TEARDOWN(modes)
{
	ipt_agent_stop(self->agent);
	ipt_unload_module_settled(10);
}

static long long counter(const char *key)
{
	long long v = ipt_info(key);

	return v < 0 ? 0 : v;
}

TEST_F_TIMEOUT(modes, hackbench_completes, 600)
{
	char state[64];
	int status;

	status = system("hackbench -g 2 -l 50 >/dev/null");
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("hackbench failed under --mode %s --fito %s: %#x", variant->mode,
		       variant->fito ?: "-", status);
	ASSERT_EQ(0, ipt_read(SCX_STATE, state, sizeof(state)));
	ASSERT_STREQ("enabled", state) TH_LOG("scheduler ejected (watchdog?)");

	/* Counters were reset by this attach; read them before detaching. */
	long long taken = counter("dispatch_taken");
	long long enforced = counter("fito_stale_enforced");
	long long dropped = counter("fito_stale_dropped");
	long long aborted = counter("fito_aborted");
	/* Commit-time validation's own reasons (a CPU outside the cpumask is
	 * refused in every set, since the kernel would eject the scheduler).
	 */
	long long validated = counter("abort_target_stale") + counter("abort_agent_stale") +
			      counter("abort_not_runnable");
	long long waits = counter("fito_waits");
	long long commits = counter("fito_commit");

	TH_LOG("%s/%s: taken=%lld fito_commit=%lld stale_enforced=%lld dropped=%lld aborted=%lld (validation %lld) waits=%lld timeouts=%lld",
	       variant->mode, variant->fito ?: "-", taken, commits, enforced, dropped,
	       aborted, validated, waits, counter("fito_timeouts"));

	ASSERT_TRUE(ipt_sched_detach(&self->loader, &status)) TH_LOG("loader status %#x", status);
	ASSERT_EQ(0, ipt_read(SCX_STATE, state, sizeof(state)));
	ASSERT_STREQ("disabled", state);

	if (!strcmp(variant->mode, "swap") || !strcmp(variant->mode, "onhost")) {
		/* The swap has no path that waits or enforces a copy. */
		ASSERT_EQ(0, enforced);
		ASSERT_EQ(0, waits);
		ASSERT_EQ(0, counter("fito_events"));
		ASSERT_GT(taken, 0) TH_LOG("no decision of the %s agent taken",
					    variant->mode);
	}
	if (!strcmp(variant->mode, "fito")) {
		ASSERT_GT(commits + enforced, 0) TH_LOG("the firmware decided nothing");
		/* Without the abort switch nothing is validated, with it nothing enforced. */
		if (strstr(variant->fito, "abort") || !strcmp(variant->fito, "all")) {
			ASSERT_EQ(0, enforced);
			ASSERT_GT(validated, 0) TH_LOG("abort on, yet no stale decision caught");
		} else {
			ASSERT_EQ(0, validated);
		}
		if (!strcmp(variant->fito, "none")) {
			ASSERT_GT(enforced, 0) TH_LOG("no stale decision seen without mitigations");
		}
	}
}

TEST_HARNESS_MAIN
