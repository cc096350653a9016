// SPDX-License-Identifier: GPL-2.0
/*
 * Attach and detach race the kfuncs (issue 11): CPU 0 attaches and detaches
 * scx_ipuswap a few times while CPU 1 runs a load that makes the
 * scheduler's own ops call every kfunc of the mode without pause:
 *
 *  - a fork/exit storm: task_create, task_destroy (init_task, exit_task);
 *  - two threads waking each other through pipes: enqueue, take,
 *    self_serve, stop (swap), fito_enqueue/request/commit/self_serve/
 *    dequeue (fito);
 *  - a thread moving those two between CPU sets and nice levels:
 *    task_update, task_retract / fito_update (set_cpumask, set_weight).
 *
 * Every attach must succeed, every task of the load complete, and dmesg
 * gain no splat (the VM kernel has CONFIG_PROVE_LOCKING=y).
 */
#define _GNU_SOURCE

#include "kselftest_harness.h"
#include "ipuswap_test.h"
#include "ipt_load.h"

#define NR_ROUNDS	3
#define LOAD_CPU	1

FIXTURE(race) {
	struct ipt_loader loader;
	bool running;
	struct ipt_load load;
	int splats[IPT_NR_SPLATS];
};

FIXTURE_VARIANT(race) {
	const char *mode;
};

FIXTURE_VARIANT_ADD(race, swap) { .mode = "swap" };
FIXTURE_VARIANT_ADD(race, fito) { .mode = "fito" };

FIXTURE_SETUP(race)
{
	memset(&self->load, 0, sizeof(self->load));
	self->running = false;
	if (!ipt_module_loaded())
		ASSERT_EQ(0, ipt_load_module(NULL));
	ipt_splat_counts(self->splats);
}

FIXTURE_TEARDOWN(race)
{
	if (self->running)
		ipt_loader_stop(&self->loader, SIGKILL, 30);
	self->load.stop = 1;
	ipt_unload_module_settled(10);
}

TEST_F_TIMEOUT(race, attach_detach_under_kfunc_load, 600)
{
	const char *args[] = { "--mode", variant->mode, "--stats", "0", NULL };
	int now[IPT_NR_SPLATS], status, pongs;
	char state[64];

	ipt_pin(0, 0);
	ASSERT_EQ(0, ipt_load_start(&self->load, LOAD_CPU));
	for (int round = 0; round < NR_ROUNDS; round++) {
		ASSERT_TRUE(ipt_sched_attach(&self->loader, NULL, args))
			TH_LOG("round %d: --mode %s did not attach", round, variant->mode);
		self->running = true;
		ipt_scx_state(state, sizeof(state));
		ASSERT_STREQ("enabled", state);
		/* The load must run under the scheduler, not only around it. */
		pongs = self->load.pongs;
		usleep(500 * 1000);
		TH_LOG("round %d: %d forks, %d round trips, %d moves so far; this attach: dispatch_self=%lld fito_commit=%lld",
		       round, self->load.forked, self->load.pongs, self->load.moves,
		       ipt_info("dispatch_self"), ipt_info("fito_commit"));
		ASSERT_GT(self->load.pongs, pongs) TH_LOG("round %d: the load stalled", round);
		bool clean = ipt_sched_detach(&self->loader, &status);

		self->running = false;
		ASSERT_TRUE(clean) TH_LOG("round %d: loader status %#x", round, status);
		ipt_scx_state(state, sizeof(state));
		ASSERT_STREQ("disabled", state);
	}
	ASSERT_TRUE(ipt_load_stop(&self->load)) TH_LOG("a load thread never finished");
	ASSERT_EQ(self->load.forked, self->load.reaped);
	ASSERT_GT(self->load.moves, 0);

	ipt_splat_counts(now);
	for (size_t i = 0; i < IPT_NR_SPLATS; i++) {
		EXPECT_EQ(self->splats[i], now[i]) TH_LOG("dmesg gained '%s'", ipt_splats[i]);
	}
}

TEST_HARNESS_MAIN
