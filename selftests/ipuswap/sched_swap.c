// SPDX-License-Identifier: GPL-2.0
/*
 * scx_ipuswap --mode swap end to end: the firmware proposes, the host
 * commits through the module's swap kfuncs. Tasks run, nothing is lost, the
 * firmware takes part in the dispatches, affinity and weights hold.
 *
 * How many dispatches the firmware stages depends on the emulated IPU
 * getting CPU time (70-87% on an idle 2-core host, 34% on a busy one), so
 * the share is printed as a figure ("# taken=") and measured by make bench;
 * the test only asserts that some were taken.
 */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <math.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "ipuswap_test.h"

#define NR_WORKERS	200
#define NR_ROUNDS	5

static const struct ipt_work work = { .spins = 50000, .sleep_us = 200 };

/* Hundreds of short threads and a fork/exit storm; returns completions. */
static int storm(int rounds)
{
	return ipt_storm(&work, rounds, NR_WORKERS, 100);
}

FIXTURE(swap) {
	struct ipt_loader loader;
	bool running;
};

FIXTURE_SETUP(swap)
{
	const char *args[] = { "--mode", "swap", "--stats", "5", NULL };

	self->running = true;
	ASSERT_TRUE(ipt_sched_attach(&self->loader, NULL, args));
}

FIXTURE_TEARDOWN(swap)
{
	char state[64];
	int status = 0;

	if (self->running)
		EXPECT_TRUE(ipt_sched_detach(&self->loader, &status))
			TH_LOG("loader status %#x", status);
	ipt_scx_state(state, sizeof(state));
	EXPECT_STREQ("disabled", state);
	EXPECT_EQ(0, ipt_unload_module_settled(10));
}

TEST_F_TIMEOUT(swap, storm_completes_proposals_taken, 900)
{
	long long taken0 = ipt_info("dispatch_taken"), self0 = ipt_info("dispatch_self");
	long long taken, selfd;
	char state[64];
	int done;

	done = storm(NR_ROUNDS);
	ASSERT_EQ(NR_ROUNDS * NR_WORKERS + 100, done);
	ipt_scx_state(state, sizeof(state));
	ASSERT_STREQ("enabled", state) TH_LOG("scheduler ejected (watchdog?)");
	taken = ipt_info("dispatch_taken") - taken0;
	selfd = ipt_info("dispatch_self") - self0;
	TH_LOG("dispatches: %lld taken from the firmware's proposals, %lld self-served (%.1f%% taken)",
	       taken, selfd, 100.0 * taken / (taken + selfd ? taken + selfd : 1));
	printf("# taken=%lld self=%lld ratio=%.3f\n", taken, selfd,
	       (double)taken / (taken + selfd ? taken + selfd : 1));
	ASSERT_GT(taken + selfd, 1000);
	ASSERT_GT(taken, 0) TH_LOG("no proposal of the firmware was taken");
	ASSERT_EQ(0, ipt_info("abort_bad_word"));
	ASSERT_EQ(0, ipt_info("abort_bad_index"));
}

struct pin_arg {
	int violations;
	int changes;
	int ncpus;
};

/* Pin to one CPU after another while running; never be elsewhere. */
static void *pin_worker(void *argp)
{
	struct pin_arg *arg = argp;

	for (int i = 0; i < 200; i++) {
		int want = (i + (int)(pthread_self() % 7)) % arg->ncpus;
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(want, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			continue;
		__atomic_add_fetch(&arg->changes, 1, __ATOMIC_RELAXED);
		for (int k = 0; k < 20; k++) {
			volatile unsigned long x = 0;

			for (unsigned long j = 0; j < 20000; j++)
				x += j;
			if (sched_getcpu() != want)
				__atomic_add_fetch(&arg->violations, 1, __ATOMIC_RELAXED);
			if (k % 5 == 0)
				sched_yield();
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(swap, affinity_is_respected, 600)
{
	struct pin_arg arg = { .ncpus = sysconf(_SC_NPROCESSORS_ONLN) };
	pthread_t tids[8];

	for (int i = 0; i < 8; i++)
		ASSERT_EQ(0, pthread_create(&tids[i], NULL, pin_worker, &arg));
	for (int i = 0; i < 8; i++)
		pthread_join(tids[i], NULL);
	TH_LOG("%d affinity changes, %d runs outside the allowed CPU", arg.changes,
	       arg.violations);
	ASSERT_GT(arg.changes, 1000);
	ASSERT_EQ(0, arg.violations);
}

/* CPU time of a spinner at nice @nice pinned to CPU 0 over @secs. */
static pid_t spinner(int nice_val)
{
	pid_t pid = fork();

	if (pid == 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(0, &set);
		sched_setaffinity(0, sizeof(set), &set);
		setpriority(PRIO_PROCESS, 0, nice_val);
		for (;;)
			;
	}
	return pid;
}

static double cpu_secs(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long utime, stime;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (ipt_read(path, buf, sizeof(buf)))
		return -1;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &utime, &stime) != 2)
		return -1;
	return (double)(utime + stime) / sysconf(_SC_CLK_TCK);
}

TEST_F_TIMEOUT(swap, weights_share_one_cpu, 300)
{
	/* sched_ext weights: nice 0 = 100, nice 5 = 100 * 335 / 1024. */
	const double want = 1024.0 / 335.0;
	pid_t a = spinner(0), b = spinner(5);
	double ta0, tb0, ta, tb, ratio;

	ASSERT_GT(a, 0);
	ASSERT_GT(b, 0);
	sleep(2);
	ta0 = cpu_secs(a);
	tb0 = cpu_secs(b);
	sleep(12);
	ta = cpu_secs(a) - ta0;
	tb = cpu_secs(b) - tb0;
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
	ASSERT_GT(tb, 0);
	ratio = ta / tb;
	TH_LOG("nice 0 got %.2fs, nice 5 got %.2fs: ratio %.2f, weight ratio %.2f",
	       ta, tb, ratio, want);
	ASSERT_LT(fabs(ratio - want) / want, 0.20);
}

/* --monitor reads a running instance's counters without loading anything. */
TEST_F_TIMEOUT(swap, monitor_shows_running_instance, 120)
{
	const char *args[] = { "--monitor", "1", NULL };
	struct ipt_loader mon;
	int status;

	ASSERT_EQ(0, ipt_loader_start(&mon, args));
	ASSERT_TRUE(ipt_loader_wait_line(&mon, "dispatch_taken=", 30));
	status = ipt_loader_stop(&mon, SIGINT, 30);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static struct ipt_trickle trickle = { .shape = &work };

/* CPU 1 goes offline and comes back while tasks keep being scheduled. */
TEST_F_TIMEOUT(swap, cpu_hotplug_under_load, 300)
{
	const char *cpu1 = "/sys/devices/system/cpu/cpu1/online";
	pthread_t load[4];
	char state[64];
	int done;

	if (access(cpu1, W_OK))
		SKIP(return, "CPU 1 cannot be taken offline in this VM");
	trickle.stop = 0;
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&load[i], NULL, ipt_trickle, &trickle));
	sleep(2);
	ASSERT_EQ(0, ipt_write(cpu1, "0"));
	done = storm(1);
	sleep(2);
	ASSERT_EQ(0, ipt_write(cpu1, "1"));
	done += storm(1);
	trickle.stop = 1;
	for (int i = 0; i < 4; i++)
		pthread_join(load[i], NULL);
	ASSERT_EQ(2 * (NR_WORKERS + 100), done);
	ipt_scx_state(state, sizeof(state));
	ASSERT_STREQ("enabled", state) TH_LOG("scheduler did not survive hotplug");
}

/* The device is unbound under the attached scheduler: nothing strands. */
TEST_F_TIMEOUT(swap, unbind_under_scheduler, 300)
{
	char bdf[256] = "", state[64];
	int done;

	ASSERT_EQ(1, ipt_bound_devices(bdf, sizeof(bdf)));
	ASSERT_EQ(0, ipt_write("/sys/bus/pci/drivers/ipuswap/unbind", bdf));
	done = storm(1);
	ASSERT_EQ(NR_WORKERS + 100, done);
	ipt_scx_state(state, sizeof(state));
	ASSERT_STREQ("enabled", state) TH_LOG("scheduler stalled without its IPU");
	ASSERT_EQ(0, ipt_write("/sys/bus/pci/drivers/ipuswap/bind", bdf));
	done = storm(1);
	ASSERT_EQ(NR_WORKERS + 100, done);
}

/* Detach and attach again while a load runs; rmmod afterwards. */
#define NR_REATTACH	3

TEST_F_TIMEOUT(swap, reattach_under_load, 900)
{
	const char *args[] = { "--mode", "swap", "--stats", "0", NULL };
	pthread_t load[4];
	char state[64];
	int status;

	trickle.stop = 0;
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(0, pthread_create(&load[i], NULL, ipt_trickle, &trickle));
	for (int round = 0; round < NR_REATTACH; round++) {
		bool clean = ipt_sched_detach(&self->loader, &status);

		self->running = false;
		ASSERT_TRUE(clean) TH_LOG("round %d: loader status %#x", round, status);
		self->running = true;
		ASSERT_TRUE(ipt_sched_attach(&self->loader, NULL, args))
			TH_LOG("round %d: no attach", round);
		ipt_scx_state(state, sizeof(state));
		ASSERT_STREQ("enabled", state);
		usleep(300 * 1000);
	}
	trickle.stop = 1;
	for (int i = 0; i < 4; i++)
		pthread_join(load[i], NULL);
}

TEST_HARNESS_MAIN
