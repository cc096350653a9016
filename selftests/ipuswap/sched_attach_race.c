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
#include <sys/resource.h>

#include "kselftest_harness.h"
#include "ipuswap_test.h"

#define NR_ROUNDS	3
#define LOAD_CPU	1

struct load {
	volatile int stop;
	int forked, reaped;	/* children that exited 0 */
	int pongs;		/* ping-pong round trips */
	int moves;		/* affinity and nice changes */
	int ping[2], pong[2];	/* pipes */
	pid_t pinger, ponger;	/* tids, for the mover */
	pthread_t threads[4];
};

static void pin(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	if (cpu >= 0) {
		CPU_SET(cpu, &set);
	} else {
		CPU_SET(0, &set);
		CPU_SET(LOAD_CPU, &set);
	}
	sched_setaffinity(tid, sizeof(set), &set);
}

static void *forker(void *arg)
{
	struct load *l = arg;

	pin(0, LOAD_CPU);
	while (!l->stop) {
		pid_t pid = fork();
		int status;

		if (pid == 0)
			_exit(0);
		if (pid < 0)
			continue;
		__atomic_add_fetch(&l->forked, 1, __ATOMIC_RELAXED);
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status) && !WEXITSTATUS(status))
			__atomic_add_fetch(&l->reaped, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* One byte there and back: each side sleeps in read() until woken. */
static void *pinger(void *arg)
{
	struct load *l = arg;
	char c = 0;

	l->pinger = gettid();
	pin(0, LOAD_CPU);
	while (!l->stop) {
		if (write(l->ping[1], &c, 1) != 1 || read(l->pong[0], &c, 1) != 1)
			break;
		__atomic_add_fetch(&l->pongs, 1, __ATOMIC_RELAXED);
	}
	c = 1;	/* tells the ponger to leave */
	if (write(l->ping[1], &c, 1) != 1)
		return NULL;
	return NULL;
}

static void *ponger(void *arg)
{
	struct load *l = arg;
	char c;

	l->ponger = gettid();
	pin(0, LOAD_CPU);
	while (read(l->ping[0], &c, 1) == 1 && !c)
		if (write(l->pong[1], &c, 1) != 1)
			break;
	return NULL;
}

static void *mover(void *arg)
{
	struct load *l = arg;

	pin(0, LOAD_CPU);
	for (int i = 0; !l->stop; i++) {
		pid_t t = i & 1 ? l->pinger : l->ponger;

		if (!t)
			continue;
		pin(t, i & 2 ? LOAD_CPU : -1);
		setpriority(PRIO_PROCESS, t, i % 10);
		__atomic_add_fetch(&l->moves, 2, __ATOMIC_RELAXED);
		usleep(200);
	}
	pin(l->pinger, LOAD_CPU);
	pin(l->ponger, LOAD_CPU);
	return NULL;
}

static int load_start(struct load *l)
{
	void *(*fn[4])(void *) = { forker, ponger, pinger, mover };

	if (pipe(l->ping) || pipe(l->pong))
		return -1;
	for (int i = 0; i < 4; i++)
		if (pthread_create(&l->threads[i], NULL, fn[i], l))
			return -1;
	return 0;
}

/* Stop the load; false if a thread did not finish within 60 s. */
static bool load_stop(struct load *l)
{
	struct timespec until;
	bool ok = true;

	l->stop = 1;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 60;
	for (int i = 0; i < 4; i++)
		ok &= !pthread_timedjoin_np(l->threads[i], NULL, &until);
	return ok;
}

FIXTURE(race) {
	struct ipt_loader loader;
	bool running;
	struct load load;
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

	pin(0, 0);
	ASSERT_EQ(0, load_start(&self->load));
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
	ASSERT_TRUE(load_stop(&self->load)) TH_LOG("a load thread never finished");
	ASSERT_EQ(self->load.forked, self->load.reaped);
	ASSERT_GT(self->load.moves, 0);

	ipt_splat_counts(now);
	for (size_t i = 0; i < IPT_NR_SPLATS; i++) {
		EXPECT_EQ(self->splats[i], now[i]) TH_LOG("dmesg gained '%s'", ipt_splats[i]);
	}
}

TEST_HARNESS_MAIN
