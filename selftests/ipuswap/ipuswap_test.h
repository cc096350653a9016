/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the ipuswap kselftests: module load/unload through the
 * real syscalls, debugfs/sysfs readers, the scheduler loader as a child.
 * Paths are relative to the project directory (scripts/vm-run runs there);
 * IPUSWAP_BUILD overrides the build directory.
 */
#ifndef IPUSWAP_TEST_H
#define IPUSWAP_TEST_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IPUSWAP_DEBUGFS "/sys/kernel/debug/ipuswap"
#define SCX_STATE "/sys/kernel/sched_ext/state"
#define SCX_OPS "/sys/kernel/sched_ext/root/ops"

static inline const char *ipt_build(void)
{
	const char *b = getenv("IPUSWAP_BUILD");

	return b && *b ? b : "build";
}

static inline void ipt_path(char *buf, size_t len, const char *rel)
{
	snprintf(buf, len, "%s/%s", ipt_build(), rel);
}

/* Read a small file into buf without its trailing newline; -errno. */
static inline int ipt_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return 0;
}

static inline int ipt_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

/*
 * Value of key=value in /sys/kernel/debug/ipuswap/info, or -1. The file
 * outgrew 4 KiB (FITO and interrupt counters): read up to 64 KiB.
 */
static inline long long ipt_info(const char *key)
{
	const size_t size = 1 << 16;
	char *buf = malloc(size), *line, *save = NULL;
	size_t klen = strlen(key);
	long long v = -1;

	if (!buf || ipt_read(IPUSWAP_DEBUGFS "/info", buf, size)) {
		free(buf);
		return -1;
	}
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, key, klen) && line[klen] == '=') {
			v = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	free(buf);
	return v;
}

static inline bool ipt_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/*
 * How many PCI devices ipuswap is bound to (-ENOENT without the driver);
 * the address of the last one goes to bdf.
 */
static inline int ipt_bound_devices(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/drivers/ipuswap");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -ENOENT;
	bdf[0] = '\0';
	while ((e = readdir(d)))
		if (strchr(e->d_name, ':')) {
			snprintf(bdf, len, "%s", e->d_name);
			n++;
		}
	closedir(d);
	return n;
}

static inline bool ipt_module_loaded(void)
{
	return ipt_exists("/sys/module/ipuswap");
}

/* finit_module(2) of build/ipuswap.ko; returns 0 or -errno. */
static inline int ipt_load_module(const char *params)
{
	char path[512];
	int fd, ret;

	ipt_path(path, sizeof(path), "ipuswap.ko");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

static inline double ipt_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* delete_module(2) without waiting; returns 0 or -errno. */
static inline int ipt_unload_module(void)
{
	return syscall(SYS_delete_module, "ipuswap", O_NONBLOCK) ? -errno : 0;
}


/*
 * After a scheduler detaches, its BPF programs (and their module reference)
 * are freed after an RCU grace period: retry "in use" for a while.
 */
static inline int ipt_unload_module_settled(int secs)
{
	double end = ipt_now() + secs;
	int ret;

	while ((ret = ipt_unload_module()) == -EWOULDBLOCK && ipt_now() < end)
		usleep(100 * 1000);
	return ret;
}

/* sched_ext's state ("enabled", "disabled", ...), or "missing". */
static inline void ipt_scx_state(char *buf, size_t len)
{
	if (ipt_read(SCX_STATE, buf, len))
		snprintf(buf, len, "missing");
}

/*
 * The workload of the scheduling suites: short tasks that spin, yield,
 * sleep and spin again, so each is enqueued and dispatched several times.
 */
struct ipt_work {
	unsigned long spins;	/* loop iterations before and after the sleep */
	unsigned int sleep_us;
	int done;		/* tasks that completed (atomic) */
};

static inline void *ipt_short_task(void *arg)
{
	struct ipt_work *w = arg;
	volatile unsigned long x = 0;

	for (unsigned long i = 0; i < w->spins; i++)
		x += i;
	sched_yield();
	usleep(w->sleep_us);
	for (unsigned long i = 0; i < w->spins; i++)
		x += i;
	__atomic_add_fetch(&w->done, 1, __ATOMIC_RELAXED);
	return NULL;
}

#define IPT_MAX_THREADS	256

/*
 * @rounds rounds of @threads short threads, then @forks short processes one
 * after another; returns how many completed, -1 if one could not start.
 */
static inline int ipt_storm(const struct ipt_work *shape, int rounds, int threads, int forks)
{
	struct ipt_work w = *shape;
	pthread_t tids[IPT_MAX_THREADS];
	int completed = 0;

	if (threads > IPT_MAX_THREADS)
		return -1;
	w.done = 0;
	for (int r = 0; r < rounds; r++) {
		for (int i = 0; i < threads; i++)
			if (pthread_create(&tids[i], NULL, ipt_short_task, &w))
				return -1;
		for (int i = 0; i < threads; i++)
			pthread_join(tids[i], NULL);
	}
	completed = w.done;
	for (int i = 0; i < forks; i++) {
		pid_t pid = fork();
		int status;

		if (pid == 0) {
			struct ipt_work one = *shape;

			one.done = 0;
			ipt_short_task(&one);
			_exit(one.done == 1 ? 0 : 1);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid)
			return -1;
		if (WIFEXITED(status) && !WEXITSTATUS(status))
			completed++;
	}
	return completed;
}

/* Does dmesg contain needle, and how many times? */
static inline int ipt_dmesg_count(const char *needle)
{
	char cmd[512], line[1024];
	int count = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "dmesg 2>/dev/null");
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			count++;
	pclose(f);
	return count;
}

/* A background load: short tasks of *shape one after another until stop. */
struct ipt_trickle {
	const struct ipt_work *shape;
	volatile int stop;
};

static inline void *ipt_trickle(void *arg)
{
	struct ipt_trickle *tr = arg;

	while (!tr->stop) {
		struct ipt_work w = *tr->shape;
		pthread_t t;

		if (!pthread_create(&t, NULL, ipt_short_task, &w))
			pthread_join(t, NULL);
	}
	return NULL;
}

/* The scheduler loader as a child; its stdout is readable from fd. */
struct ipt_loader {
	pid_t pid;
	int fd;
};

/* Fork and exec the loader; its stdout (and stderr, if @merge) is readable from l->fd. */
static inline int ipt_loader_spawn(struct ipt_loader *l, const char *const extra[], bool merge)
{
	char path[512];
	const char *argv[16] = { NULL };
	int p[2], i = 0;

	ipt_path(path, sizeof(path), "bpf/scx_ipuswap");
	argv[i++] = path;
	while (extra && *extra && i < 15)
		argv[i++] = *extra++;
	if (pipe(p))
		return -errno;
	l->pid = fork();
	if (l->pid < 0)
		return -errno;
	if (l->pid == 0) {
		/*
		 * The harness (-O2) can skip a fixture's teardown after a failed
		 * ASSERT: the loader must not outlive its test and hold sched_ext.
		 */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(p[1], 1);
		if (merge)
			dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execv(path, (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	l->fd = p[0];
	return 0;
}

static inline int ipt_loader_start(struct ipt_loader *l, const char *const extra[])
{
	return ipt_loader_spawn(l, extra, false);
}

/* Wait up to secs for a line containing needle; copies output to stderr. */
static inline bool ipt_loader_wait_line(struct ipt_loader *l, const char *needle, int secs)
{
	static char acc[65536];
	static size_t used;
	double end = ipt_now() + secs;

	used = 0;
	acc[0] = '\0';
	while (ipt_now() < end) {
		struct timeval tv = { .tv_sec = 1 };
		fd_set rd;
		ssize_t n;

		FD_ZERO(&rd);
		FD_SET(l->fd, &rd);
		if (select(l->fd + 1, &rd, NULL, NULL, &tv) <= 0)
			continue;
		if (used >= sizeof(acc) - 1)
			used = 0;
		n = read(l->fd, acc + used, sizeof(acc) - 1 - used);
		if (n <= 0)
			return false;
		fprintf(stderr, "%.*s", (int)n, acc + used);
		used += n;
		acc[used] = '\0';
		if (strstr(acc, needle))
			return true;
	}
	return false;
}

/* Send sig and reap; returns the wait status, or -1 after secs. */
static inline int ipt_loader_stop(struct ipt_loader *l, int sig, int secs)
{
	double end = ipt_now() + secs;
	char buf[4096];
	int status;

	if (l->pid <= 0)
		return -1;
	if (sig)
		kill(l->pid, sig);
	while (ipt_now() < end) {
		ssize_t n;

		if (waitpid(l->pid, &status, WNOHANG) == l->pid) {
			while ((n = read(l->fd, buf, sizeof(buf))) > 0)
				fprintf(stderr, "%.*s", (int)n, buf);
			close(l->fd);
			return status;
		}
		usleep(50000);
	}
	kill(l->pid, SIGKILL);
	waitpid(l->pid, &status, 0);
	close(l->fd);
	return -1;
}

/*
 * The scheduling suites' fixture: ipuswap.ko loaded (with @params if it is
 * not loaded yet), the loader started with @args and attached.
 */
static inline bool ipt_sched_attach(struct ipt_loader *l, const char *params,
				    const char *const args[])
{
	l->pid = 0;
	if (!ipt_module_loaded() && ipt_load_module(params))
		return false;
	if (ipt_loader_start(l, args))
		return false;
	return ipt_loader_wait_line(l, "scx_ipuswap: attached", 120);
}

/* SIGINT, and did the loader exit 0? Its status goes to *status if asked. */
static inline bool ipt_sched_detach(struct ipt_loader *l, int *status)
{
	int st = ipt_loader_stop(l, SIGINT, 60);

	if (status)
		*status = st;
	return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

/* The firmware binary as the on-host agent (--mode onhost), against /dev/ipuswap. */
static inline pid_t ipt_agent_start(void)
{
	char path[512];
	pid_t pid;

	ipt_path(path, sizeof(path), "fw/ipuswap-fw");
	pid = fork();
	if (pid == 0) {
		execl(path, path, "--transport", "host", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static inline void ipt_agent_stop(pid_t agent)
{
	if (agent > 0) {
		kill(agent, SIGTERM);
		waitpid(agent, NULL, 0);
	}
}

/*
 * What a kernel splat starts with: a test records the counts before and
 * compares after (CONFIG_PROVE_LOCKING=y reports through the lockdep ones).
 */
static const char *const ipt_splats[] = {
	"WARNING:", "BUG:", "Oops", "lockdep", "possible recursive locking",
	"suspicious RCU usage", "UBSAN:",
};

#define IPT_NR_SPLATS	(sizeof(ipt_splats) / sizeof(ipt_splats[0]))

static inline void ipt_splat_counts(int counts[IPT_NR_SPLATS])
{
	for (size_t i = 0; i < IPT_NR_SPLATS; i++)
		counts[i] = ipt_dmesg_count(ipt_splats[i]);
}

#endif /* IPUSWAP_TEST_H */
