/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A load that makes the scheduler's ops call every kfunc of its mode
 * without pause, for the tests that race something against it
 * (sched_attach_race, sched_hostile):
 *
 *  - a fork/exit storm: task_create, task_destroy (init_task, exit_task);
 *  - two threads waking each other through pipes: enqueue, take,
 *    self_serve, stop (swap), the fito event and decision kfuncs (fito);
 *  - a thread moving those two between CPU sets and nice levels:
 *    task_update, task_retract / fito_update (set_cpumask, set_weight).
 *
 * Needs _GNU_SOURCE (sched_setaffinity, gettid, pthread_timedjoin_np).
 */
#ifndef IPT_LOAD_H
#define IPT_LOAD_H

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct ipt_load {
	volatile int stop;
	int cpu;		/* the CPU the load lives on, -1: any */
	int nr_cpus;
	int forked, reaped;	/* children that exited 0 */
	int pongs;		/* ping-pong round trips */
	int moves;		/* affinity and nice changes */
	int ping[2], pong[2];	/* pipes */
	pid_t pinger, ponger;	/* tids, for the mover */
	pthread_t threads[4];
};

/* Thread @tid (0: the caller) on @cpu alone, or on every CPU with -1. */
static inline void ipt_pin(pid_t tid, int cpu)
{
	int n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int c = 0; c < n; c++)
		if (cpu < 0 || c == cpu)
			CPU_SET(c, &set);
	sched_setaffinity(tid, sizeof(set), &set);
}

static inline void *ipt_load_forker(void *arg)
{
	struct ipt_load *l = arg;

	ipt_pin(0, l->cpu);
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
static inline void *ipt_load_pinger(void *arg)
{
	struct ipt_load *l = arg;
	char c = 0;

	l->pinger = gettid();
	ipt_pin(0, l->cpu);
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

static inline void *ipt_load_ponger(void *arg)
{
	struct ipt_load *l = arg;
	char c;

	l->ponger = gettid();
	ipt_pin(0, l->cpu);
	while (read(l->ping[0], &c, 1) == 1 && !c)
		if (write(l->pong[1], &c, 1) != 1)
			break;
	return NULL;
}

/*
 * Moves pinger and ponger between one CPU (the load's, or each CPU in
 * turn for a load on any) and all of them, and through nice 0..9.
 */
static inline void *ipt_load_mover(void *arg)
{
	struct ipt_load *l = arg;

	ipt_pin(0, l->cpu);
	for (int i = 0; !l->stop; i++) {
		pid_t t = i & 1 ? l->pinger : l->ponger;
		int one = l->cpu >= 0 ? l->cpu : (i >> 2) % l->nr_cpus;

		if (!t)
			continue;
		ipt_pin(t, i & 2 ? one : -1);
		setpriority(PRIO_PROCESS, t, i % 10);
		__atomic_add_fetch(&l->moves, 2, __ATOMIC_RELAXED);
		usleep(200);
	}
	ipt_pin(l->pinger, l->cpu);
	ipt_pin(l->ponger, l->cpu);
	return NULL;
}

/* Start the load on @cpu (-1: any CPU); 0 or -1. */
static inline int ipt_load_start(struct ipt_load *l, int cpu)
{
	void *(*fn[4])(void *) = {
		ipt_load_forker, ipt_load_ponger, ipt_load_pinger, ipt_load_mover,
	};

	l->cpu = cpu;
	l->nr_cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (l->nr_cpus < 1 || pipe(l->ping) || pipe(l->pong))
		return -1;
	for (int i = 0; i < 4; i++)
		if (pthread_create(&l->threads[i], NULL, fn[i], l))
			return -1;
	return 0;
}

/* Stop the load; false if a thread did not finish within 60 s. */
static inline bool ipt_load_stop(struct ipt_load *l)
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

#endif /* IPT_LOAD_H */
