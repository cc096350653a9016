// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Host unit tests for ipuswap-fw: they run the real binary, talk to it as
 * QEMU would (ivshmem_client.c) and print TAP.
 *
 *   fw_test /path/to/ipuswap-fw
 *
 * Every firmware started is tracked and killed at exit; sockets and logs
 * live in a private mkdtemp directory that is removed at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ipuswap_atomic.h"
#include "tap.h"
#include "ivshmem_client.h"

#define MAX_CHILDREN	64
#define START_MS	5000
#define IRQ_MS		5000

struct fw {
	pid_t pid;
	bool reaped;
	int status;
	char sock[108];
	char log[160];
};

static const char *fw_bin;
static char tmpdir[64];
static pid_t children[MAX_CHILDREN];
static unsigned int nr_children, serial;

/* ---- small helpers ------------------------------------------------------ */

#define CHECK(cond, ...)					\
	do {							\
		if (!(cond)) {					\
			diag("%s:%d: %s", __FILE__, __LINE__, #cond); \
			diag(__VA_ARGS__);			\
			goto out;				\
		}						\
	} while (0)

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void kill_children(void)
{
	unsigned int i;

	for (i = 0; i < nr_children; i++) {
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
			children[i] = 0;
		}
	}
}

static void forget_child(pid_t pid)
{
	unsigned int i;

	for (i = 0; i < nr_children; i++)
		if (children[i] == pid)
			children[i] = 0;
}

static void remove_tmpdir(void)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	if (!tmpdir[0] || !(d = opendir(tmpdir)))
		return;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(tmpdir);
}

static void on_fatal_signal(int sig)
{
	kill_children();
	remove_tmpdir();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void new_paths(struct fw *f)
{
	memset(f, 0, sizeof(*f));
	serial++;
	snprintf(f->sock, sizeof(f->sock), "%s/fw%u.sock", tmpdir, serial);
	snprintf(f->log, sizeof(f->log), "%s/fw%u.log", tmpdir, serial);
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* ---- running the firmware ---------------------------------------------- */

/* argv: NULL-terminated extra arguments; --socket f->sock is added if sock. */
static int spawn(struct fw *f, bool sock, const char *const *args)
{
	const char *argv[32];
	unsigned int n = 0;
	int fd;

	argv[n++] = fw_bin;
	if (sock) {
		argv[n++] = "--socket";
		argv[n++] = f->sock;
	}
	while (args && *args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;

	fflush(stdout);
	f->pid = fork();
	if (f->pid < 0)
		return -1;
	if (!f->pid) {
		fd = open(f->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(127);
		execv(fw_bin, (char *const *)argv);
		_exit(127);
	}
	if (nr_children < MAX_CHILDREN)
		children[nr_children++] = f->pid;
	return 0;
}

static void read_log(const struct fw *f, char *buf, size_t size)
{
	ssize_t n = 0;
	int fd = open(f->log, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, size - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
}

static bool log_has(const struct fw *f, const char *needle)
{
	char buf[16384];

	read_log(f, buf, sizeof(buf));
	return strstr(buf, needle) != NULL;
}

static bool wait_log(const struct fw *f, const char *needle, long ms)
{
	long long end = now_ms() + ms;

	do {
		if (log_has(f, needle))
			return true;
		sleep_ms(5);
	} while (now_ms() < end);
	return false;
}

static void dump_log(const struct fw *f)
{
	char buf[16384], *line, *save;

	read_log(f, buf, sizeof(buf));
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		diag("  fw log: %s", line);
}

/* True if it exited within ms; status in f->status. */
static bool wait_exit(struct fw *f, long ms)
{
	long long end = now_ms() + ms;
	pid_t r;

	if (f->reaped)
		return true;
	do {
		r = waitpid(f->pid, &f->status, WNOHANG);
		if (r == f->pid) {
			f->reaped = true;
			forget_child(f->pid);
			return true;
		}
		sleep_ms(5);
	} while (now_ms() < end);
	return false;
}

static bool alive(struct fw *f)
{
	return !wait_exit(f, 0);
}

static void stop(struct fw *f)
{
	if (f->pid > 0 && !f->reaped) {
		kill(f->pid, SIGKILL);
		wait_exit(f, 5000);
	}
	unlink(f->log);
	unlink(f->sock);
}

static bool exited_with(const struct fw *f, int code)
{
	return WIFEXITED(f->status) && WEXITSTATUS(f->status) == code;
}

static bool start(struct fw *f, const char *const *args)
{
	new_paths(f);
	if (spawn(f, true, args))
		return false;
	if (wait_log(f, "ipuswap-fw: listening on ", START_MS))
		return true;
	diag("firmware did not start");
	dump_log(f);
	return false;
}

static bool connect_guest(struct fw *f, struct ivc *c, unsigned int nvec)
{
	if (!ivc_connect(c, f->sock, nvec))
		return true;
	diag("fake QEMU: %s", c->err);
	dump_log(f);
	ivc_close(c);
	return false;
}

static struct ipuswap_window_hdr *hdr(struct ivc *c)
{
	return c->shm;
}

#define LOAD(p)		ipuswap_load_acquire(&(p))
#define STORE(p, v)	ipuswap_store_release(&(p), (v))

/*
 * What most tests start from: a firmware run with some arguments and a fake
 * QEMU connected to it. rig_down() undoes rig_up() however far it got, and
 * shows the firmware's log if the test failed.
 */
struct rig {
	struct fw f;
	struct ivc c;
	bool keep_sock;		/* leave the socket file behind (a crash's) */
};

static bool rig_start(struct rig *r, const char *const *args)
{
	memset(r, 0, sizeof(*r));
	r->c.sock = -1;
	return start(&r->f, args);
}

static bool rig_up(struct rig *r, const char *const *args, unsigned int nvec)
{
	return rig_start(r, args) && connect_guest(&r->f, &r->c, nvec);
}

static void rig_down(struct rig *r, bool ok)
{
	if (!ok)
		dump_log(&r->f);
	ivc_close(&r->c);
	if (r->keep_sock)
		r->f.sock[0] = '\0';
	stop(&r->f);
}

/* Bind as the host driver would: state, then the CTRL doorbell. */
static void host_bind(struct ivc *c, uint32_t state)
{
	STORE(hdr(c)->host_state, state);
	ivc_ring(c, IPUSWAP_VEC_CTRL);
}

/* One ping over the CTRL doorbell; true if answered with an interrupt. */
static bool ping(struct ivc *c, uint64_t seq, bool ring)
{
	STORE(hdr(c)->host_ping_seq, seq);
	if (ring)
		ivc_ring(c, IPUSWAP_VEC_CTRL);
	if (!ivc_wait_irq(c, IPUSWAP_VEC_CTRL, IRQ_MS)) {
		diag("ping %llu: no interrupt", (unsigned long long)seq);
		return false;
	}
	if (LOAD(hdr(c)->fw_ping_ack) != seq) {
		diag("ping %llu: fw_ping_ack %llu", (unsigned long long)seq,
		     (unsigned long long)LOAD(hdr(c)->fw_ping_ack));
		return false;
	}
	return true;
}

/* ---- command line ------------------------------------------------------- */

/* A bad command line: exit 2, the message on stderr, nothing created. */
static bool bad_cli(const char *const *args, const char *want)
{
	struct fw f;
	char buf[4096];
	bool ok = false;

	new_paths(&f);
	CHECK(!spawn(&f, true, args), "spawn failed");
	CHECK(wait_exit(&f, START_MS), "still running");
	read_log(&f, buf, sizeof(buf));
	CHECK(exited_with(&f, 2), "status 0x%x, output: %s", f.status, buf);
	CHECK(strstr(buf, want), "want '%s' in: %s", want, buf);
	CHECK(strstr(buf, "ipuswap-fw: ") == buf, "no prefix: %s", buf);
	CHECK(strstr(buf, "--help"), "no usage hint: %s", buf);
	CHECK(!exists(f.sock), "socket created anyway");
	ok = true;
out:
	stop(&f);
	return ok;
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static bool t_help(void)
{
	struct fw f;
	char buf[4096];
	bool ok = false;

	new_paths(&f);
	CHECK(!spawn(&f, false, ARGS("--help")), "spawn");
	CHECK(wait_exit(&f, START_MS), "still running");
	read_log(&f, buf, sizeof(buf));
	CHECK(exited_with(&f, 0), "status 0x%x", f.status);
	CHECK(strstr(buf, "Usage: ipuswap-fw") && strstr(buf, "--fault"),
	      "help text: %s", buf);
	ok = true;
out:
	stop(&f);
	return ok;
}

static bool t_bad_unknown_flag(void)
{
	return bad_cli(ARGS("--bogus"), "unknown option '--bogus'") &&
	       bad_cli(ARGS("-x"), "unknown option '-x'") &&
	       bad_cli(ARGS("--shm-size"), "option '--shm-size' needs a value") &&
	       bad_cli(ARGS("stray"), "unexpected argument 'stray'");
}

static bool t_bad_shm_size(void)
{
	return bad_cli(ARGS("--shm-size", "3M"),
		       "--shm-size '3M': not a power of two") &&
	       bad_cli(ARGS("--shm-size", "100000"),
		       "--shm-size '100000': not a power of two") &&
	       bad_cli(ARGS("--shm-size", "32K"),
		       "--shm-size '32K': must be from 64K to 1G") &&
	       bad_cli(ARGS("--shm-size", "2G"),
		       "--shm-size '2G': must be from 64K to 1G") &&
	       bad_cli(ARGS("--shm-size", "4X"), "--shm-size '4X': not a size") &&
	       bad_cli(ARGS("--shm-size", "-4M"), "--shm-size '-4M': not a size");
}

static bool t_bad_fault(void)
{
	return bad_cli(ARGS("--fault", "boom@1"),
		       "--fault 'boom@1': unknown fault kind 'boom' (known: kill hang restart slow garbage storm hostile)") &&
	       bad_cli(ARGS("--fault", "kill"),
		       "--fault 'kill': expected KIND@SECONDS") &&
	       bad_cli(ARGS("--fault", "kill@"), "--fault 'kill@': SECONDS") &&
	       bad_cli(ARGS("--fault", "kill@abc"), "--fault 'kill@abc': SECONDS") &&
	       bad_cli(ARGS("--fault", "hang@-1"), "--fault 'hang@-1': SECONDS") &&
	       bad_cli(ARGS("--fault", "hang@nan"), "--fault 'hang@nan': SECONDS") &&
	       bad_cli(ARGS("--fault", "slow@1"),
		       "--fault 'slow@1': this fault needs KIND@SECONDS:NANOSECONDS") &&
	       bad_cli(ARGS("--fault", "slow@1:x"), "--fault 'slow@1:x': NANOSECONDS") &&
	       bad_cli(ARGS("--fault", "kill@1:5"), "--fault 'kill@1:5': this fault takes no :ARG") &&
	       bad_cli(ARGS("--fault-clock", "boot"), "--fault-clock 'boot': not bind or sched") &&
	       bad_cli(ARGS("--pcie-read-ns", "-1"), "--pcie-read-ns '-1'") &&
	       bad_cli(ARGS("--poll-us", "x"), "--poll-us 'x'");
}

static bool t_bad_hostile(void)
{
	return bad_cli(ARGS("--fault", "hostile"), "--fault 'hostile': expected KIND@SECONDS") &&
	       bad_cli(ARGS("--fault", "hostile@x"), "--fault 'hostile@x': SECONDS") &&
	       bad_cli(ARGS("--fault", "hostile@4:"), "--fault 'hostile@4:': the duration") &&
	       bad_cli(ARGS("--fault", "hostile@4:0"), "--fault 'hostile@4:0': the duration") &&
	       bad_cli(ARGS("--fault", "hostile@4:-3"), "--fault 'hostile@4:-3': the duration") &&
	       bad_cli(ARGS("--fault", "hostile@4:2s"), "--fault 'hostile@4:2s': the duration") &&
	       bad_cli(ARGS("--fault", "hostile@4", "--seed", "x"),
		       "--seed 'x': expected an integer from 0 to 18446744073709551615") &&
	       bad_cli(ARGS("--fault", "hostile@4", "--seed", "-1"), "--seed '-1'") &&
	       bad_cli(ARGS("--fault", "hostile@4", "--seed", "99999999999999999999"),
		       "--seed '99999999999999999999'") &&
	       bad_cli(ARGS("--fault", "kill@4", "--seed", "7"),
		       "--seed: only --fault hostile takes a seed");
}

/* The seed is said first, whether chosen or given; with a guest it lies and goes on. */
static bool t_fault_hostile(void)
{
	struct rig r;
	uint64_t l1;
	bool ok = false;

	CHECK(rig_up(&r, ARGS("--fault", "hostile@0.1:0.3", "--seed", "42"), 2),
	      "start and handshake");
	CHECK(wait_log(&r.f, "# hostile: seed=42\n", 3000), "no seed line");
	host_bind(&r.c, IPUSWAP_HOST_BOUND);
	CHECK(wait_log(&r.f, "ipuswap-fw: hostile: lying for a while, seed 42 (replay: --seed 42)",
		       3000), "no fault line");
	CHECK(wait_log(&r.f, "ipuswap-fw: hostile: stopped (", 3000), "the lies never ended");
	l1 = LOAD(hdr(&r.c)->fw_liveness);
	sleep_ms(50);
	CHECK(LOAD(hdr(&r.c)->fw_liveness) > l1, "liveness stopped");
	kill(r.f.pid, SIGTERM);
	CHECK(wait_exit(&r.f, 5000), "SIGTERM did not end it");
	CHECK(exited_with(&r.f, 0), "status 0x%x", r.f.status);
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

/* Without --seed one is chosen, and said before anything else happens. */
static bool t_fault_hostile_seed_chosen(void)
{
	struct rig r;
	char buf[4096];
	bool ok = false;

	CHECK(rig_up(&r, ARGS("--fault", "hostile@100"), 2), "start and handshake");
	CHECK(wait_log(&r.f, "# hostile: seed=", 3000), "no chosen seed line");
	read_log(&r.f, buf, sizeof(buf));
	CHECK(!strstr(buf, "lying"), "lying before the fault's time: %s", buf);
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool t_bad_vectors(void)
{
	return bad_cli(ARGS("--vectors", "1"),
		       "--vectors '1': expected an integer from 2 to 64") &&
	       bad_cli(ARGS("--vectors", "65"), "--vectors '65'") &&
	       bad_cli(ARGS("--vectors", "two"), "--vectors 'two'");
}

static bool t_bad_misc(void)
{
	struct fw f;
	char buf[4096];
	bool ok = false;

	if (!bad_cli(ARGS("--tick-us", "0"), "--tick-us '0'") ||
	    !bad_cli(ARGS("--corrupt-header", "hdr"),
		     "--corrupt-header 'hdr': expected magic, version or size") ||
	    !bad_cli(ARGS("--transport", "pcie"),
		     "--transport 'pcie': expected ivshmem, uio or host"))
		return false;
	/* No --socket at all. */
	new_paths(&f);
	CHECK(!spawn(&f, false, ARGS("-v")), "spawn");
	CHECK(wait_exit(&f, START_MS), "still running");
	read_log(&f, buf, sizeof(buf));
	CHECK(exited_with(&f, 2), "status 0x%x", f.status);
	CHECK(strstr(buf, "--socket PATH is required"), "got: %s", buf);
	ok = true;
out:
	stop(&f);
	return ok;
}

/* ---- the ivshmem server ------------------------------------------------- */

static bool t_listening_line(void)
{
	struct rig r;
	char want[256];
	bool ok = false;

	CHECK(rig_start(&r, ARGS("--shm-size", "1M", "--vectors", "3")), "start");
	snprintf(want, sizeof(want),
		 "ipuswap-fw: listening on %s (shm 1048576 bytes, 3 vectors)\n",
		 r.f.sock);
	CHECK(log_has(&r.f, want), "want line: %s", want);
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool t_handshake(void)
{
	struct rig r;
	bool ok = false;

	CHECK(rig_up(&r, NULL, IPUSWAP_NR_VECTORS), "start and handshake");
	CHECK(r.c.shm_size == 4u << 20, "shm size %zu", r.c.shm_size);
	CHECK(wait_log(&r.f, "ipuswap-fw: guest connected as peer 1\n", 2000),
	      "no connect line");
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool t_handshake_4_vectors(void)
{
	struct rig r;
	bool ok = false;

	CHECK(rig_up(&r, ARGS("--vectors", "4", "--shm-size", "64K"), 4),
	      "start and handshake");
	CHECK(r.c.shm_size == 65536, "shm size %zu", r.c.shm_size);
	CHECK(hdr(&r.c)->nr_vectors == 4, "nr_vectors %u", hdr(&r.c)->nr_vectors);
	/* A doorbell with no work behind it must not disturb pings. */
	ivc_ring(&r.c, 3);
	CHECK(ping(&r.c, 1, true), "ping");
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool t_header(void)
{
	struct rig r;
	struct ipuswap_window_hdr *h;
	bool ok = false;

	CHECK(rig_up(&r, NULL, 2), "start and handshake");
	h = hdr(&r.c);
	CHECK(LOAD(h->magic) == IPUSWAP_MAGIC, "magic 0x%x", h->magic);
	CHECK(h->version == IPUSWAP_WIRE_VERSION, "version %u", h->version);
	CHECK(h->size == 4u << 20, "size %llu", (unsigned long long)h->size);
	CHECK(h->hdr_size == IPUSWAP_HDR_SIZE, "hdr_size %u", h->hdr_size);
	CHECK(h->nr_vectors == 2, "nr_vectors %u", h->nr_vectors);
	CHECK(h->fw_peer_id == 0, "fw_peer_id %u", h->fw_peer_id);
	CHECK(h->region_offset == IPUSWAP_HDR_SIZE, "region_offset %u",
	      h->region_offset);
	CHECK(h->region_size == (4u << 20) - IPUSWAP_HDR_SIZE,
	      "region_size %llu", (unsigned long long)h->region_size);
	CHECK(h->fw_generation == 1, "fw_generation %llu",
	      (unsigned long long)h->fw_generation);
	CHECK(h->fw_tick_ns == 1000000, "fw_tick_ns %llu",
	      (unsigned long long)h->fw_tick_ns);
	CHECK(h->host_state == IPUSWAP_HOST_ABSENT, "host_state %u",
	      h->host_state);
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool t_liveness(void)
{
	struct rig r;
	uint64_t l1, l2;
	bool ok = false;

	CHECK(rig_up(&r, ARGS("--tick-us", "2000"), 2), "start and handshake");
	CHECK(hdr(&r.c)->fw_tick_ns == 2000000, "fw_tick_ns %llu",
	      (unsigned long long)hdr(&r.c)->fw_tick_ns);
	l1 = LOAD(hdr(&r.c)->fw_liveness);
	sleep_ms(200);
	l2 = LOAD(hdr(&r.c)->fw_liveness);
	/* ~100 ticks; allow a loaded 2-core machine a lot of slack. */
	CHECK(l2 > l1 + 10 && l2 <= l1 + 110, "liveness %llu -> %llu in 200 ms",
	      (unsigned long long)l1, (unsigned long long)l2);
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool t_ping(void)
{
	struct rig r;
	bool ok = false;

	/* A slow tick, so the doorbell (not the tick) answers. */
	CHECK(rig_up(&r, ARGS("--tick-us", "1000000"), 2), "start and handshake");
	CHECK(ping(&r.c, 1, true), "ping 1");
	CHECK(ping(&r.c, 7, true), "ping 7");
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool t_ping_lost_doorbell(void)
{
	struct rig r;
	bool ok = false;

	CHECK(rig_up(&r, ARGS("--tick-us", "20000"), 2), "start and handshake");
	CHECK(ping(&r.c, 5, false), "ping without doorbell not answered by tick");
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool t_1000_pings(void)
{
	struct rig r;
	long long t0;
	uint64_t i;
	bool ok = false;

	CHECK(rig_up(&r, NULL, 2), "start and handshake");
	t0 = now_ms();
	for (i = 1; i <= 1000; i++)
		CHECK(ping(&r.c, i, true), "ping %llu of 1000 lost",
		      (unsigned long long)i);
	diag("1000 pings in %lld ms", now_ms() - t0);
	/* Exactly one interrupt per ping: nothing left over. */
	CHECK(!ivc_wait_irq(&r.c, IPUSWAP_VEC_CTRL, 50), "extra interrupt");
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool t_second_client_refused(void)
{
	struct rig r;
	struct ivc c2 = { .sock = -1 };
	bool ok = false;
	int ret;

	CHECK(rig_up(&r, NULL, 2), "start and first client");
	ret = ivc_connect(&c2, r.f.sock, 2);
	CHECK(ret && strstr(c2.err, "version: Broken pipe"),
	      "second client got: %s", ret ? c2.err : "a full handshake");
	CHECK(wait_log(&r.f, "ipuswap-fw: refusing second guest connection", 2000),
	      "no refusal line");
	CHECK(alive(&r.f), "firmware died");
	CHECK(ping(&r.c, 1, true), "first client no longer served");
	ok = true;
out:
	ivc_close(&c2);
	rig_down(&r, ok);
	return ok;
}

static bool t_reconnect(void)
{
	struct rig r;
	bool ok = false;

	CHECK(rig_up(&r, NULL, 2), "start and first client");
	host_bind(&r.c, IPUSWAP_HOST_BOUND);
	CHECK(ping(&r.c, 3, true), "first ping");
	ivc_close(&r.c);
	CHECK(wait_log(&r.f, "ipuswap-fw: guest disconnected\n", 2000),
	      "no disconnect line");
	CHECK(connect_guest(&r.f, &r.c, 2), "second client");
	/* The previous host's words were forgotten. */
	CHECK(hdr(&r.c)->host_state == IPUSWAP_HOST_ABSENT &&
	      hdr(&r.c)->host_ping_seq == 0 && hdr(&r.c)->fw_ping_ack == 0,
	      "stale host words: state %u seq %llu ack %llu",
	      hdr(&r.c)->host_state, (unsigned long long)hdr(&r.c)->host_ping_seq,
	      (unsigned long long)hdr(&r.c)->fw_ping_ack);
	CHECK(LOAD(hdr(&r.c)->magic) == IPUSWAP_MAGIC, "magic lost");
	CHECK(ping(&r.c, 1, true), "ping on new client");
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool t_host_state_log(void)
{
	struct rig r;
	bool ok = false;

	CHECK(rig_up(&r, NULL, 2), "start and handshake");
	host_bind(&r.c, IPUSWAP_HOST_BOUND);
	CHECK(wait_log(&r.f, "ipuswap-fw: host state absent -> bound\n", 2000),
	      "no absent -> bound");
	/* No doorbell this time: the tick must notice. */
	STORE(hdr(&r.c)->host_state, IPUSWAP_HOST_SCHED);
	CHECK(wait_log(&r.f, "ipuswap-fw: host state bound -> sched\n", 2000),
	      "no bound -> sched");
	ivc_close(&r.c);
	CHECK(wait_log(&r.f, "ipuswap-fw: host state sched -> absent\n", 2000),
	      "no sched -> absent after disconnect");
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool corrupt(const char *field)
{
	struct rig r;
	struct ipuswap_window_hdr *h;
	bool ok = false;
	bool m, v, s;

	CHECK(rig_up(&r, ARGS("--corrupt-header", field), 2), "start and handshake");
	h = hdr(&r.c);
	m = LOAD(h->magic) == IPUSWAP_MAGIC;
	v = h->version == IPUSWAP_WIRE_VERSION;
	s = h->size == 4u << 20;
	if (!strcmp(field, "magic"))
		CHECK(LOAD(h->magic) == (IPUSWAP_MAGIC ^ 1) && v && s,
		      "magic 0x%x version %u", h->magic, h->version);
	else if (!strcmp(field, "version"))
		CHECK(h->version == IPUSWAP_WIRE_VERSION + 99 && m && s,
		      "version %u", h->version);
	else
		CHECK(h->size == 8u << 20 && m && v, "size %llu",
		      (unsigned long long)h->size);
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool t_corrupt_magic(void) { return corrupt("magic"); }
static bool t_corrupt_version(void) { return corrupt("version"); }
static bool t_corrupt_size(void) { return corrupt("size"); }

/* Left behind by t_fault_kill: a stale socket file for t_stale_socket. */
static char stale_sock[108];

/* Enter host @state now: the firmware must die of SIGKILL 200 ms to 5 s later. */
static bool killed_200ms_after(struct fw *f, struct ivc *c, uint32_t state, const char *event)
{
	long long t0 = now_ms(), dt;

	host_bind(c, state);
	CHECK(wait_exit(f, 5000), "still alive 5 s after %s", event);
	dt = now_ms() - t0;
	CHECK(WIFSIGNALED(f->status) && WTERMSIG(f->status) == SIGKILL,
	      "status 0x%x, not SIGKILL", f->status);
	CHECK(dt >= 200, "died %lld ms after %s, before 200", dt, event);
	diag("killed %lld ms after %s", dt, event);
	return true;
out:
	return false;
}

static bool t_fault_kill(void)
{
	struct rig r;
	bool ok = false;

	CHECK(rig_up(&r, ARGS("--fault", "kill@0.2"), 2), "start and handshake");
	/* The clock starts at binding, not at process start or connect. */
	sleep_ms(400);
	CHECK(alive(&r.f), "died before the host bound");
	CHECK(killed_200ms_after(&r.f, &r.c, IPUSWAP_HOST_BOUND, "binding"), "kill@0.2");
	CHECK(log_has(&r.f, "ipuswap-fw: fault kill at 0.2s\n"), "no fault line");
	CHECK(exists(r.f.sock), "a crash should leave the socket behind");
	snprintf(stale_sock, sizeof(stale_sock), "%s", r.f.sock);
	r.keep_sock = true;
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

/* With --fault-clock sched, binding does not start the clock; attaching does. */
static bool t_fault_clock_sched(void)
{
	struct rig r;
	bool ok = false;

	CHECK(rig_up(&r, ARGS("--fault-clock", "sched", "--fault", "kill@0.2"), 2),
	      "start and handshake");
	host_bind(&r.c, IPUSWAP_HOST_BOUND);
	sleep_ms(600);
	CHECK(alive(&r.f), "died after binding, before any scheduler attached");
	CHECK(killed_200ms_after(&r.f, &r.c, IPUSWAP_HOST_SCHED, "the scheduler attached"),
	      "kill@0.2 with --fault-clock sched");
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool t_stale_socket(void)
{
	struct fw f;
	struct ivc c = { .sock = -1 };
	bool ok = false;

	CHECK(stale_sock[0] && exists(stale_sock), "no stale socket from kill test");
	new_paths(&f);
	snprintf(f.sock, sizeof(f.sock), "%s", stale_sock);
	CHECK(!spawn(&f, true, NULL), "spawn");
	CHECK(wait_log(&f, "ipuswap-fw: listening on ", START_MS),
	      "did not replace the stale socket");
	CHECK(connect_guest(&f, &c, 2), "handshake");
	ok = true;
out:
	if (!ok)
		dump_log(&f);
	ivc_close(&c);
	stop(&f);
	return ok;
}

static bool t_socket_in_use(void)
{
	struct fw a, b;
	struct ivc c = { .sock = -1 };
	bool ok = false;

	b.pid = 0;
	CHECK(start(&a, NULL), "start");
	new_paths(&b);
	snprintf(b.sock, sizeof(b.sock), "%s", a.sock);
	CHECK(!spawn(&b, true, NULL), "spawn");
	CHECK(wait_exit(&b, START_MS), "second server still running");
	CHECK(exited_with(&b, 1), "status 0x%x", b.status);
	CHECK(log_has(&b, "is in use by a running server"), "no in-use line");
	CHECK(exists(a.sock), "socket of the running server removed");
	/* The probe must not look like a guest to the running server. */
	CHECK(!log_has(&a, "guest connected"), "probe seen as a guest");
	CHECK(connect_guest(&a, &c, 2), "running server no longer serves");
	ok = true;
out:
	ivc_close(&c);
	b.sock[0] = '\0';	/* a's socket: not b's to remove */
	if (b.pid > 0)
		stop(&b);
	stop(&a);
	return ok;
}

static bool t_not_a_socket(void)
{
	struct fw f;
	bool ok = false;
	int fd;

	new_paths(&f);
	fd = open(f.sock, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0, "create file");
	close(fd);
	CHECK(!spawn(&f, true, NULL), "spawn");
	CHECK(wait_exit(&f, START_MS), "still running");
	CHECK(exited_with(&f, 1), "status 0x%x", f.status);
	CHECK(log_has(&f, "exists and is not a socket"), "no message");
	CHECK(exists(f.sock), "removed a regular file");
	ok = true;
out:
	stop(&f);
	return ok;
}

static bool t_fault_hang(void)
{
	struct rig r;
	uint64_t l1, l2;
	bool ok = false;

	CHECK(rig_up(&r, ARGS("--fault", "hang@0.2"), 2), "start and handshake");
	host_bind(&r.c, IPUSWAP_HOST_BOUND);
	CHECK(ping(&r.c, 1, true), "ping before the hang");
	CHECK(wait_log(&r.f, "ipuswap-fw: fault hang at 0.2s\n", 3000),
	      "no fault line");
	l1 = LOAD(hdr(&r.c)->fw_liveness);
	sleep_ms(100);
	l2 = LOAD(hdr(&r.c)->fw_liveness);
	CHECK(l1 == l2, "liveness still moving: %llu -> %llu",
	      (unsigned long long)l1, (unsigned long long)l2);
	STORE(hdr(&r.c)->host_ping_seq, 2);
	ivc_ring(&r.c, IPUSWAP_VEC_CTRL);
	CHECK(!ivc_wait_irq(&r.c, IPUSWAP_VEC_CTRL, 300), "hung firmware answered");
	CHECK(LOAD(hdr(&r.c)->fw_ping_ack) == 1, "ack moved");
	CHECK(alive(&r.f), "hung firmware exited");
	kill(r.f.pid, SIGTERM);
	CHECK(wait_exit(&r.f, 5000), "SIGTERM did not end the hang");
	CHECK(exited_with(&r.f, 0), "status 0x%x", r.f.status);
	CHECK(!exists(r.f.sock), "socket left behind");
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

/* Interrupts raised on @vec within @ms (eventfd counts add up). */
static uint64_t count_irqs(struct ivc *c, unsigned int vec, int ms)
{
	long long end = now_ms() + ms;
	uint64_t total = 0, cnt;

	struct pollfd pfd = { .fd = c->own_efd[vec], .events = POLLIN };

	while (now_ms() < end)
		if (poll(&pfd, 1, 10) == 1 &&
		    read(c->own_efd[vec], &cnt, sizeof(cnt)) == sizeof(cnt))
			total += cnt;
	return total;
}

/* The storm floods every vector, and the firmware still does its work. */
static bool t_fault_storm(void)
{
	uint64_t n[IPUSWAP_NR_VECTORS], l1, l2, quiet;
	unsigned int v;
	struct rig r;
	bool ok = false;

	CHECK(rig_up(&r, ARGS("--fault", "storm@0.1"), 2), "start and handshake");
	host_bind(&r.c, IPUSWAP_HOST_BOUND);
	CHECK(wait_log(&r.f, "ipuswap-fw: fault storm at 0.1s\n", 3000), "no fault line");
	l1 = LOAD(hdr(&r.c)->fw_liveness);
	for (v = 0; v < IPUSWAP_NR_VECTORS; v++) {
		n[v] = count_irqs(&r.c, v, 300);
		diag("vector %u: %llu interrupts in 300 ms", v, (unsigned long long)n[v]);
		/* Every 50 us, less what a loaded machine's timer merges. */
		CHECK(n[v] >= 600, "vector %u raised only %llu times in 300 ms", v,
		      (unsigned long long)n[v]);
	}
	l2 = LOAD(hdr(&r.c)->fw_liveness);
	CHECK(l2 > l1, "liveness stopped during the storm");
	/* A ping is still answered (the answer is in the window). */
	STORE(hdr(&r.c)->host_ping_seq, 7);
	ivc_ring(&r.c, IPUSWAP_VEC_CTRL);
	for (v = 0; v < 100 && LOAD(hdr(&r.c)->fw_ping_ack) != 7; v++)
		sleep_ms(10);
	CHECK(LOAD(hdr(&r.c)->fw_ping_ack) == 7, "ping unanswered during the storm");
	/* It lasts 6 s (FW_STORM_S). */
	CHECK(wait_log(&r.f, "ipuswap-fw: storm over: ", 9000), "storm never ended");
	count_irqs(&r.c, IPUSWAP_VEC_SCHED, 50);
	quiet = count_irqs(&r.c, IPUSWAP_VEC_SCHED, 300);
	CHECK(quiet == 0, "%llu interrupts after the storm", (unsigned long long)quiet);
	kill(r.f.pid, SIGTERM);
	CHECK(wait_exit(&r.f, 5000), "SIGTERM did not end it");
	CHECK(exited_with(&r.f, 0), "status 0x%x", r.f.status);
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool t_fault_order(void)
{
	struct rig r;
	char buf[8192], *h, *k;
	bool ok = false;

	/* Given out of order; a later fault still fires during a hang. */
	CHECK(rig_up(&r, ARGS("--fault", "kill@0.4", "--fault", "hang@0.1"), 2),
	      "start and handshake");
	host_bind(&r.c, IPUSWAP_HOST_SCHED);
	CHECK(wait_exit(&r.f, 5000), "not killed");
	CHECK(WIFSIGNALED(r.f.status) && WTERMSIG(r.f.status) == SIGKILL,
	      "status 0x%x", r.f.status);
	read_log(&r.f, buf, sizeof(buf));
	h = strstr(buf, "fault hang at 0.1s");
	k = strstr(buf, "fault kill at 0.4s");
	CHECK(h && k && h < k, "order wrong: %s", buf);
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool signal_exit(int sig, bool with_guest)
{
	struct rig r;
	char want[64];
	bool ok = false;

	CHECK(with_guest ? rig_up(&r, NULL, 2) : rig_start(&r, NULL), "start");
	kill(r.f.pid, sig);
	CHECK(wait_exit(&r.f, 5000), "did not exit");
	CHECK(exited_with(&r.f, 0), "status 0x%x", r.f.status);
	snprintf(want, sizeof(want), "ipuswap-fw: exiting on signal %d\n", sig);
	CHECK(log_has(&r.f, want), "want: %s", want);
	CHECK(!exists(r.f.sock), "socket left behind");
	ok = true;
out:
	rig_down(&r, ok);
	return ok;
}

static bool t_sigterm(void) { return signal_exit(SIGTERM, true); }
static bool t_sigint(void) { return signal_exit(SIGINT, false); }

/* ---- TAP ----------------------------------------------------------------- */

static const struct tap_test tests[] = {
	{ "--help exits 0 with usage", t_help },
	{ "unknown flag / missing value / stray argument exit 2", t_bad_unknown_flag },
	{ "bad --shm-size (not 2^n, too small, too big, junk) exit 2", t_bad_shm_size },
	{ "bad --fault specs exit 2", t_bad_fault },
	{ "bad --vectors exit 2", t_bad_vectors },
	{ "bad --fault hostile / --seed exit 2", t_bad_hostile },
	{ "bad --tick-us/--corrupt-header/--transport, no --socket exit 2", t_bad_misc },
	{ "listening log line", t_listening_line },
	{ "handshake: version, id, shm, peer-0 fds, own fds", t_handshake },
	{ "handshake with 4 vectors and a 64K window", t_handshake_4_vectors },
	{ "window header fields", t_header },
	{ "liveness advances at the tick rate", t_liveness },
	{ "ping over CTRL doorbell raises CTRL interrupt", t_ping },
	{ "ping without doorbell answered by the tick", t_ping_lost_doorbell },
	{ "1000 pings, none lost", t_1000_pings },
	{ "second concurrent client refused", t_second_client_refused },
	{ "new client served after disconnect", t_reconnect },
	{ "host state transitions logged", t_host_state_log },
	{ "--corrupt-header magic", t_corrupt_magic },
	{ "--corrupt-header version", t_corrupt_version },
	{ "--corrupt-header size", t_corrupt_size },
	{ "--fault kill@0.2 kills 0.2 s after the host binds", t_fault_kill },
	{ "--fault-clock sched counts from the scheduler attaching", t_fault_clock_sched },
	{ "stale socket file is replaced", t_stale_socket },
	{ "socket in use by a live server is refused", t_socket_in_use },
	{ "regular file at socket path is not removed", t_not_a_socket },
	{ "--fault hang@0.2 stops liveness and pings, SIGTERM still exits", t_fault_hang },
	{ "faults fire in time order, also during a hang", t_fault_order },
	{ "--fault storm@0.1 floods every vector, liveness and pings go on", t_fault_storm },
	{ "--fault hostile@0.1:0.3 --seed 42: seed said, lies end, liveness goes on",
	  t_fault_hostile },
	{ "--fault hostile without --seed says the seed it chose", t_fault_hostile_seed_chosen },
	{ "SIGTERM with a guest: exit 0, socket removed", t_sigterm },
	{ "SIGINT: exit 0, socket removed", t_sigint },
};

int main(int argc, char **argv)
{
	unsigned int n = sizeof(tests) / sizeof(tests[0]);

	if (argc != 2) {
		fprintf(stderr, "usage: %s /path/to/ipuswap-fw\n", argv[0]);
		return 2;
	}
	fw_bin = argv[1];
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ipuswap-fw-test.XXXXXX");
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	atexit(remove_tmpdir);
	atexit(kill_children);
	signal(SIGINT, on_fatal_signal);
	signal(SIGTERM, on_fatal_signal);
	signal(SIGPIPE, SIG_IGN);

	return tap_run("fw", tests, n);
}
