// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * rpcbench: a closed-loop request/response benchmark standing in for Wave's
 * RPC workloads. Server and clients run in this one process.
 *
 * Server: --workers threads. All connections are made before the clock
 *   starts (main connects and accepts each in turn) and handed round-robin
 *   to the workers, so exactly N server threads do the work and nothing
 *   else runs on the server side. Each worker poll()s its connections,
 *   reads a whole request, spins --work-us of busy work and echoes it.
 * Clients: --clients threads, one connection each, one request in flight:
 *   send --size bytes, wait for the echo, time the round trip.
 *
 * Shutdown: clients stop after --duration and close their connection; a
 * worker exits once all its connections have hung up. A hard alarm at
 * duration + 30 s turns any hang into an error exit.
 */
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#define BENCH_NAME "rpcbench"
#include "bench.h"

#define MAX_THREADS	256
#define MAX_SAMPLES	(4u << 20)	/* all clients together: 32 MiB */

static const char usage[] =
"Usage: rpcbench [--workers N] [--clients M] [--duration S] [--work-us US]\n"
"                [--size B] [--transport tcp|unix]\n"
"  --workers N        server threads (1-256, default 2)\n"
"  --clients M        client threads, one connection each (1-256, default 4)\n"
"  --duration S       seconds, may be fractional (0-3600, default 5)\n"
"  --work-us US       server busy work per request (0-1000000, default 20)\n"
"  --size B           request and response bytes (1-65536, default 64)\n"
"  --transport T      tcp (127.0.0.1, ephemeral port) or unix (default tcp)\n";

static struct {
	long workers, clients, work_us, size;
	double duration;
	int unix_sock;
} opt = { .workers = 2, .clients = 4, .work_us = 20, .size = 64, .duration = 5 };

struct worker {
	pthread_t tid;
	struct pollfd *pfd;	/* its connections; fd -1 once hung up */
	int n;
};

struct client {
	pthread_t tid;
	int fd;
	uint64_t reqs;
	uint64_t *rtt;		/* its slice of the samples; later ones untimed */
	size_t n, cap;
};

static uint64_t end_ns;

/* Move all len bytes; the peer closing mid-message is an error here. */
static void xfer(int fd, char *p, size_t len, bool send)
{
	while (len) {
		ssize_t r = send ? write(fd, p, len) : read(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			bench_die(send ? "write" : "read");
		if (r == 0) {
			fprintf(stderr, "rpcbench: connection closed mid-message\n");
			exit(1);
		}
		p += r;
		len -= r;
	}
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	char *buf = malloc(opt.size);
	int live = w->n;

	if (!buf)
		bench_die("malloc");
	while (live > 0) {
		if (poll(w->pfd, w->n, -1) < 0) {
			if (errno == EINTR)
				continue;
			bench_die("poll");
		}
		for (int i = 0; i < w->n; i++) {
			int fd = w->pfd[i].fd;
			uint64_t until;
			ssize_t r;

			if (fd < 0 || !w->pfd[i].revents)
				continue;
			r = read(fd, buf, opt.size);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0 && errno != ECONNRESET)
				bench_die("server read");
			if (r <= 0) {	/* the client is done */
				close(fd);
				w->pfd[i].fd = -1;
				live--;
				continue;
			}
			/*
			 * The client wrote the whole request at once, so the
			 * rest is already in flight: wait for it here.
			 */
			xfer(fd, buf + r, opt.size - r, false);
			/* Request handling: burn CPU, do not sleep. */
			until = bench_now_ns() + opt.work_us * 1000ULL;
			while (bench_now_ns() < until)
				;
			xfer(fd, buf, opt.size, true);
		}
	}
	free(buf);
	return NULL;
}

static void *client_thread(void *arg)
{
	struct client *c = arg;
	char *buf = calloc(1, opt.size);
	uint64_t t0, seq;

	if (!buf)
		bench_die("calloc");
	while ((t0 = bench_now_ns()) < end_ns) {
		seq = c->reqs;
		memcpy(buf, &seq, opt.size < 8 ? opt.size : 8);
		xfer(c->fd, buf, opt.size, true);
		xfer(c->fd, buf, opt.size, false);
		/* An echo out of step would mean the framing is broken. */
		if (memcmp(buf, &seq, opt.size < 8 ? opt.size : 8)) {
			fprintf(stderr, "rpcbench: response out of sequence\n");
			exit(1);
		}
		if (c->n < c->cap)
			c->rtt[c->n++] = bench_now_ns() - t0;
		c->reqs++;
	}
	close(c->fd);		/* the worker reads EOF and drops us */
	free(buf);
	return NULL;
}

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "workers", required_argument, NULL, 'w' },
		{ "clients", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "work-us", required_argument, NULL, 'u' },
		{ "size", required_argument, NULL, 's' },
		{ "transport", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'w':
			opt.workers = bench_parse_long("--workers", optarg, 1, MAX_THREADS);
			break;
		case 'c':
			opt.clients = bench_parse_long("--clients", optarg, 1, MAX_THREADS);
			break;
		case 'u':
			opt.work_us = bench_parse_long("--work-us", optarg, 0, 1000000);
			break;
		case 's': opt.size = bench_parse_long("--size", optarg, 1, 65536); break;
		case 't':
			if (strcmp(optarg, "tcp") && strcmp(optarg, "unix"))
				bench_bad_arg("--transport", optarg, "must be tcp or unix");
			opt.unix_sock = !strcmp(optarg, "unix");
			break;
		case 'd': opt.duration = bench_parse_secs("--duration", optarg); break;
		case 'h': fputs(usage, stdout); exit(0);
		default: bench_bad_opt();
		}
	}
	bench_no_more_args(argc, argv);
}

/* A listening socket on loopback or in the abstract unix namespace. */
static int listen_on(struct sockaddr_storage *ss, socklen_t *len)
{
	int fd;

	memset(ss, 0, sizeof(*ss));
	if (opt.unix_sock) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;
		int n;

		un->sun_family = AF_UNIX;
		/* Abstract (leading NUL): no file to clean up after a crash. */
		n = snprintf(un->sun_path + 1, sizeof(un->sun_path) - 1,
			     "ipuswap-rpcbench-%d", (int)getpid());
		*len = offsetof(struct sockaddr_un, sun_path) + 1 + n;
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;

		in->sin_family = AF_INET;
		in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*in);	/* port 0: the kernel picks one */
	}
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)ss, *len) || listen(fd, 16))
		bench_die("listen");
	if (getsockname(fd, (struct sockaddr *)ss, len))
		bench_die("getsockname");
	return fd;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	struct worker *w;
	struct client *c;
	uint64_t *all, start, elapsed, reqs = 0;
	socklen_t len;
	size_t n = 0;
	int lfd, one = 1;
	long i;

	parse_args(argc, argv);
	signal(SIGPIPE, SIG_IGN);
	bench_guard(opt.duration);

	w = calloc(opt.workers, sizeof(*w));
	c = calloc(opt.clients, sizeof(*c));
	all = malloc(MAX_SAMPLES * sizeof(*all));	/* touched as used */
	if (!w || !c || !all)
		bench_die("malloc");
	for (i = 0; i < opt.workers; i++) {
		/* Round-robin: at most this many connections each. */
		w[i].pfd = calloc(opt.clients / opt.workers + 1, sizeof(*w[i].pfd));
		if (!w[i].pfd)
			bench_die("malloc");
	}

	lfd = listen_on(&ss, &len);
	for (i = 0; i < opt.clients; i++) {
		struct worker *wk = &w[i % opt.workers];
		int sfd;

		c[i].fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c[i].fd < 0 || connect(c[i].fd, (struct sockaddr *)&ss, len))
			bench_die("connect");
		sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (sfd < 0)
			bench_die("accept");
		/* One small message each way: never let Nagle hold it back. */
		if (!opt.unix_sock &&
		    (setsockopt(sfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
		     setsockopt(c[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))))
			bench_die("TCP_NODELAY");
		wk->pfd[wk->n].fd = sfd;
		wk->pfd[wk->n++].events = POLLIN;
		c[i].cap = MAX_SAMPLES / opt.clients;
		c[i].rtt = all + i * c[i].cap;
	}
	close(lfd);

	for (i = 0; i < opt.workers; i++)
		bench_spawn(&w[i].tid, worker_thread, &w[i]);
	start = bench_now_ns();
	end_ns = start + (uint64_t)(opt.duration * 1e9);
	for (i = 0; i < opt.clients; i++)
		bench_spawn(&c[i].tid, client_thread, &c[i]);
	for (i = 0; i < opt.clients; i++)
		pthread_join(c[i].tid, NULL);
	elapsed = bench_now_ns() - start;	/* includes the last round trips */
	for (i = 0; i < opt.workers; i++)
		pthread_join(w[i].tid, NULL);
	for (i = 0; i < opt.clients; i++) {	/* pack the slices */
		reqs += c[i].reqs;
		memmove(all + n, c[i].rtt, c[i].n * sizeof(*all));
		n += c[i].n;
	}

	if (!n) {
		fprintf(stderr, "rpcbench: no request completed\n");
		return 1;
	}
	if (n < reqs)
		fprintf(stderr, "rpcbench: only the first %zu round trips per "
			"client were timed\n", c[0].cap);
	qsort(all, n, sizeof(*all), bench_cmp_u64);
	printf("rpcbench: requests=%llu rps=%.1f p50_us=%.1f p99_us=%.1f "
	       "max_us=%.1f\n", (unsigned long long)reqs, reqs * 1e9 / elapsed,
	       bench_pct_us(all, n, 50), bench_pct_us(all, n, 99),
	       all[n - 1] / 1000.0);
	return 0;
}
