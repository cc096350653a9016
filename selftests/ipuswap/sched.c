// SPDX-License-Identifier: GPL-2.0
/*
 * scx_ipuswap through sched_ext: it attaches, schedules a storm of short
 * threads and processes to completion, pins the module while attached, and
 * detaches cleanly.
 */
#include "kselftest_harness.h"
#include "ipuswap_test.h"

#define NR_ROUNDS	10
#define NR_THREADS	64
#define NR_FORKS	64

static const struct ipt_work work = { .spins = 10000, .sleep_us = 100 };

FIXTURE(sched) {
	struct ipt_loader loader;
	bool running;
};

FIXTURE_SETUP(sched)
{
	if (!ipt_module_loaded())
		ASSERT_EQ(0, ipt_load_module(NULL));
	self->running = false;
}

FIXTURE_TEARDOWN(sched)
{
	if (self->running)
		ipt_loader_stop(&self->loader, SIGKILL, 30);
	if (ipt_module_loaded())
		ipt_unload_module_settled(10);
}

TEST_F_TIMEOUT(sched, attach_run_pin_detach, 600)
{
	const char *args[] = { "--stats", "2", NULL };
	char state[64], ops[64];
	int status, completed;
	bool clean;

	self->running = true;
	ASSERT_TRUE(ipt_sched_attach(&self->loader, NULL, args));

	ipt_scx_state(state, sizeof(state));
	ASSERT_STREQ("enabled", state);
	ASSERT_EQ(0, ipt_read(SCX_OPS, ops, sizeof(ops)));
	/* "ipuswap_<version>_g<hash>" (bpf/Makefile) */
	ASSERT_EQ(0, strncmp("ipuswap_", ops, 8)) TH_LOG("ops.name '%s'", ops);

	completed = ipt_storm(&work, NR_ROUNDS, NR_THREADS, NR_FORKS);
	TH_LOG("%d of %d short tasks completed under scx_ipuswap", completed,
	       NR_ROUNDS * NR_THREADS + NR_FORKS);
	ASSERT_EQ(NR_ROUNDS * NR_THREADS + NR_FORKS, completed);
	ipt_scx_state(state, sizeof(state));
	ASSERT_STREQ("enabled", state) TH_LOG("scheduler was ejected during the storm");

	/* The attached scheduler's kfunc calls hold the module. */
	ASSERT_EQ(-EWOULDBLOCK, ipt_unload_module());
	ASSERT_NE(0, system("rmmod ipuswap 2>/dev/null"));
	ASSERT_TRUE(ipt_module_loaded());

	clean = ipt_sched_detach(&self->loader, &status);
	self->running = false;
	ASSERT_TRUE(clean) TH_LOG("loader status %#x", status);
	ipt_scx_state(state, sizeof(state));
	ASSERT_STREQ("disabled", state);
	ASSERT_FALSE(ipt_exists(SCX_OPS));
	ASSERT_EQ(0, ipt_unload_module_settled(10));
}

TEST_F_TIMEOUT(sched, duration_detaches_by_itself, 300)
{
	const char *args[] = { "--duration", "3", "--stats", "0", NULL };
	char state[64];
	int status;

	self->running = true;
	ASSERT_TRUE(ipt_sched_attach(&self->loader, NULL, args));
	status = ipt_loader_stop(&self->loader, 0, 120);
	self->running = false;
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ipt_scx_state(state, sizeof(state));
	ASSERT_STREQ("disabled", state);
}

TEST_F_TIMEOUT(sched, refuses_without_module, 300)
{
	const char *args[] = { "--stats", "0", NULL };
	char state[64];
	int status;

	ASSERT_EQ(0, ipt_unload_module_settled(10));
	ASSERT_EQ(0, ipt_loader_start(&self->loader, args));
	self->running = true;
	status = ipt_loader_stop(&self->loader, 0, 120);
	self->running = false;
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_NE(0, WEXITSTATUS(status)) TH_LOG("loader ran without ipuswap.ko");
	ipt_scx_state(state, sizeof(state));
	ASSERT_STREQ("disabled", state);
}

TEST_F(sched, bad_flag_is_an_error)
{
	const char *args[] = { "--stats", "-3", NULL };
	int status;

	ASSERT_EQ(0, ipt_loader_start(&self->loader, args));
	self->running = true;
	status = ipt_loader_stop(&self->loader, 0, 60);
	self->running = false;
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(2, WEXITSTATUS(status));
}

#define TRACEFS "/sys/kernel/tracing"

static int trace_clear(void)
{
	int fd = open(TRACEFS "/trace", O_WRONLY | O_TRUNC);

	return fd < 0 ? -errno : close(fd);
}

/* How many lines of the trace buffer contain every one of @needles. */
static int trace_lines(const char *const needles[])
{
	char line[512];
	int n = 0, i;
	FILE *f;

	f = fopen(TRACEFS "/trace", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		for (i = 0; needles[i] && strstr(line, needles[i]); i++)
			;
		n += !needles[i];
	}
	fclose(f);
	return n;
}

/* perf/trace-cmd follow a task through enqueue -> take/self-serve -> stop. */
TEST_F_TIMEOUT(sched, tracepoints_follow_a_task, 300)
{
	const char *args[] = { "--stats", "0", NULL };
	const char *enq[] = { "ipuswap_swap: enqueue slot=", "-> ok: QUEUED owner=host", NULL };
	const char *run[] = { "ipuswap_swap: ", "-> ok: COMMIT owner=host", NULL };
	const char *stop[] = { "ipuswap_swap: stop slot=", "-> ok: HOST owner=host", NULL };
	int status, completed;

	ASSERT_EQ(0, trace_clear());
	ASSERT_EQ(0, ipt_write(TRACEFS "/buffer_size_kb", "4096"));
	ASSERT_EQ(0, ipt_write(TRACEFS "/events/ipuswap/enable", "1"));
	self->running = true;
	ASSERT_TRUE(ipt_sched_attach(&self->loader, NULL, args));
	completed = ipt_storm(&work, 2, 16, 0);
	ASSERT_TRUE(ipt_sched_detach(&self->loader, &status));
	self->running = false;
	ASSERT_EQ(0, ipt_write(TRACEFS "/events/ipuswap/enable", "0"));
	ASSERT_EQ(32, completed);
	TH_LOG("trace: %d enqueues, %d commits (take or self-serve), %d stops",
	       trace_lines(enq), trace_lines(run), trace_lines(stop));
	ASSERT_LT(0, trace_lines(enq));
	ASSERT_LT(0, trace_lines(run));
	ASSERT_LT(0, trace_lines(stop));
	ASSERT_EQ(0, trace_clear());
}

/*
 * SysRq-D makes sched_ext call ops.dump, dump_cpu and dump_task, as an
 * ejection does; with dump length 0 the lines go to the sched_ext_dump
 * tracepoint. They must show the swap state: mode and firmware, each CPU's
 * cell, each runnable task's slot and home word.
 */
TEST_F_TIMEOUT(sched, dump_shows_swap_state, 300)
{
	const char *args[] = { "--stats", "0", NULL };
	const char *head[] = { "ipuswap: mode=swap attached=1 fw_liveness=", NULL };
	const char *cell[] = { "ipuswap: cpu0 cell ", NULL };
	const char *task[] = { "ipuswap: slot=", " home ", "host_offered=", NULL };
	pid_t spin[4];
	int i, status;

	ASSERT_EQ(0, trace_clear());
	ASSERT_EQ(0, ipt_write(TRACEFS "/events/sched_ext/sched_ext_dump/enable", "1"));
	self->running = true;
	ASSERT_TRUE(ipt_sched_attach(&self->loader, NULL, args));
	/* More runners than CPUs, so some are runnable and get dumped. */
	for (i = 0; i < 4; i++) {
		spin[i] = fork();
		ASSERT_LE(0, spin[i]);
		if (!spin[i]) {
			double end = ipt_now() + 4;

			while (ipt_now() < end)
				;
			_exit(0);
		}
	}
	usleep(500 * 1000);
	ASSERT_EQ(0, ipt_write("/proc/sysrq-trigger", "D"));
	for (i = 0; i < 4; i++)
		ASSERT_EQ(spin[i], waitpid(spin[i], &status, 0));
	ASSERT_TRUE(ipt_sched_detach(&self->loader, &status));
	self->running = false;
	ASSERT_EQ(0, ipt_write(TRACEFS "/events/sched_ext/sched_ext_dump/enable", "0"));
	TH_LOG("dump: %d header, %d cpu0 cell, %d task lines", trace_lines(head),
	       trace_lines(cell), trace_lines(task));
	ASSERT_EQ(1, trace_lines(head));
	ASSERT_EQ(1, trace_lines(cell));
	ASSERT_LT(0, trace_lines(task));
	ASSERT_EQ(0, trace_clear());
}

TEST_HARNESS_MAIN
