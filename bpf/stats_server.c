/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The scx_stats line protocol on a UNIX socket (see stats_server.h).
 *
 * One thread polls the listening socket, a wake-up pipe and up to
 * MAX_CLIENTS connections. Connections are non-blocking and a client that
 * does not read its replies is dropped, so nothing a client does can hold
 * the thread, and stats_server_stop() (the scheduler's exit path) never
 * waits for more than one stats read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "stats_server.h"

enum {
	MAX_CLIENTS	= 16,
	REQ_MAX		= 4096,	/* a request is a few dozen bytes */
};

struct client {
	int fd;			/* -1: free */
	size_t used;
	char buf[REQ_MAX];
};

struct stats_server {
	struct sockaddr_un addr;
	int lfd, wake[2];
	dev_t dev;		/* the socket file we made, to remove only it */
	ino_t ino;
	json_t *meta;
	stats_read_fn read;
	pthread_mutex_t lock;	/* ctx against stats_server_set_ctx() */
	void *ctx;
	pthread_t thread;
	struct client clients[MAX_CLIENTS];
};

/* mkdir -p of @path's directory, 0755 */
static int make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		if (last)
			return 0;
		*p = '/';
	}
}

/*
 * Is someone serving at @addr? 0: no (nothing there, or a stale socket
 * file, which is removed); else a negative errno: -EADDRINUSE for a live
 * listener, -EEXIST for a file that is not a socket.
 */
static int claim_path(const struct sockaddr_un *addr)
{
	struct stat st;
	int fd, ret;

	if (lstat(addr->sun_path, &st))
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) ? -errno : 0;
	close(fd);
	if (!ret)
		return -EADDRINUSE;
	if (ret != -ECONNREFUSED)
		return ret;
	/* Nobody listens: a crashed instance's leftover. */
	return unlink(addr->sun_path) && errno != ENOENT ? -errno : 0;
}

static json_t *reply(int err, json_t *resp)
{
	return json_pack("{s:i,s:{s:o}}", "errno", err, "args", "resp", resp);
}

static json_t * __attribute__((format(printf, 2, 3)))
error_reply(int err, const char *fmt, ...)
{
	char why[256];
	va_list args;

	va_start(args, fmt);
	vsnprintf(why, sizeof(why), fmt, args);
	va_end(args);
	return reply(err, json_string(why));
}

static json_t *do_stats(struct stats_server *srv, json_t *args)
{
	json_t *target = args ? json_object_get(args, "target") : NULL;
	const char *name = "top";
	json_t *resp = NULL;
	int err = EAGAIN;

	if (target && !json_is_string(target))
		return error_reply(EINVAL, "\"target\" is not a string");
	if (target)
		name = json_string_value(target);
	/* One statistics struct, the top one. */
	if (strcmp(name, "top"))
		return error_reply(EINVAL, "unknown stats target '%s'", name);

	pthread_mutex_lock(&srv->lock);
	if (srv->ctx)
		resp = srv->read(srv->ctx, &err);
	pthread_mutex_unlock(&srv->lock);
	if (!resp)
		return error_reply(err, "no stats: %s%s", strerror(err),
				   err == EAGAIN ? " (the scheduler is loading or restarting)" : "");
	return reply(0, resp);
}

static json_t *handle(struct stats_server *srv, const char *line)
{
	json_t *req, *args, *out;
	json_error_t jerr;
	const char *name;

	req = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
	if (!req)
		return error_reply(EINVAL, "not JSON: %s", jerr.text);
	name = json_string_value(json_object_get(req, "req"));
	args = json_object_get(req, "args");
	if (!json_is_object(req) || !name)
		out = error_reply(EINVAL, "not a request: no \"req\" string");
	else if (args && !json_is_object(args) && !json_is_null(args))
		out = error_reply(EINVAL, "\"args\" is not an object");
	else if (!strcmp(name, "stats"))
		out = do_stats(srv, json_is_object(args) ? args : NULL);
	else if (!strcmp(name, "stats_meta"))
		out = reply(0, json_incref(srv->meta));
	else
		out = error_reply(EINVAL, "unknown request '%.64s'", name);
	json_decref(req);
	return out;
}

static void drop(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	c->used = 0;
}

/* false: the client is gone or misbehaved and was dropped */
static bool send_reply(struct client *c, json_t *out)
{
	char *text = out ? json_dumps(out, JSON_COMPACT) : NULL;
	size_t len;
	ssize_t n;

	json_decref(out);
	if (!text)
		return false;
	len = strlen(text);
	text[len] = '\n';	/* json_dumps' NUL: the line's end */
	n = send(c->fd, text, len + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	free(text);
	return n == (ssize_t)len + 1;
}

static void serve(struct stats_server *srv, struct client *c)
{
	char *nl;
	ssize_t n;

	n = read(c->fd, c->buf + c->used, sizeof(c->buf) - c->used);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop(c);
		return;
	}
	c->used += n;
	while ((nl = memchr(c->buf, '\n', c->used))) {
		size_t len = nl - c->buf + 1;

		*nl = '\0';
		if (!send_reply(c, handle(srv, c->buf))) {
			drop(c);
			return;
		}
		memmove(c->buf, c->buf + len, c->used - len);
		c->used -= len;
	}
	if (c->used == sizeof(c->buf)) {
		send_reply(c, error_reply(EINVAL, "request longer than %d bytes",
					  REQ_MAX));
		drop(c);
	}
}

static void accept_client(struct stats_server *srv)
{
	int fd = accept4(srv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (srv->clients[i].fd < 0) {
			srv->clients[i].fd = fd;
			srv->clients[i].used = 0;
			return;
		}
	}
	close(fd);	/* full: the client sees EOF */
}

static void *server_thread(void *arg)
{
	struct stats_server *srv = arg;

	for (;;) {
		struct pollfd p[2 + MAX_CLIENTS];
		int slot[2 + MAX_CLIENTS], n = 2;

		p[0] = (struct pollfd){ .fd = srv->wake[0], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = srv->lfd, .events = POLLIN };
		for (int i = 0; i < MAX_CLIENTS; i++) {
			if (srv->clients[i].fd < 0)
				continue;
			p[n] = (struct pollfd){ .fd = srv->clients[i].fd, .events = POLLIN };
			slot[n++] = i;
		}
		if (poll(p, n, -1) < 0)
			continue;	/* EINTR */
		if (p[0].revents)
			return NULL;
		if (p[1].revents & POLLIN)
			accept_client(srv);
		for (int i = 2; i < n; i++)
			if (p[i].revents)
				serve(srv, &srv->clients[slot[i]]);
	}
}

struct stats_server *stats_server_start(const char *path, json_t *meta,
					stats_read_fn read, void *ctx)
{
	struct stats_server *srv;
	sigset_t all, old;
	struct stat st;
	int err;

	if (strlen(path) >= sizeof(srv->addr.sun_path) || !path[0]) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return NULL;
	srv->addr.sun_family = AF_UNIX;
	strcpy(srv->addr.sun_path, path);
	srv->meta = meta;
	srv->read = read;
	srv->ctx = ctx;
	srv->lfd = srv->wake[0] = srv->wake[1] = -1;
	for (int i = 0; i < MAX_CLIENTS; i++)
		srv->clients[i].fd = -1;
	pthread_mutex_init(&srv->lock, NULL);

	err = make_parent(path);
	if (!err)
		err = claim_path(&srv->addr);
	if (err)
		goto fail;
	srv->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv->lfd < 0 ||
	    bind(srv->lfd, (struct sockaddr *)&srv->addr, sizeof(srv->addr)))
		goto fail_errno;
	if (lstat(path, &st) || listen(srv->lfd, MAX_CLIENTS))
		goto fail_unlink;
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	if (pipe2(srv->wake, O_CLOEXEC))
		goto fail_unlink;

	/* Signals (SIGINT, SIGTERM) are the main thread's to handle. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&srv->thread, NULL, server_thread, srv);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!err)
		return srv;
	errno = err;
fail_unlink:
	err = -errno;
	unlink(path);
	goto fail;
fail_errno:
	err = -errno;
fail:
	if (srv->lfd >= 0)
		close(srv->lfd);
	if (srv->wake[0] >= 0) {
		close(srv->wake[0]);
		close(srv->wake[1]);
	}
	pthread_mutex_destroy(&srv->lock);
	free(srv);
	errno = -err;
	return NULL;
}

void stats_server_set_ctx(struct stats_server *srv, void *ctx)
{
	pthread_mutex_lock(&srv->lock);
	srv->ctx = ctx;
	pthread_mutex_unlock(&srv->lock);
}

void stats_server_stop(struct stats_server *srv)
{
	struct stat st;
	ssize_t n;

	if (!srv)
		return;
	/* A pipe with room for it: the write cannot fail or block. */
	n = write(srv->wake[1], "x", 1);
	(void)n;
	pthread_join(srv->thread, NULL);
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (srv->clients[i].fd >= 0)
			close(srv->clients[i].fd);
	close(srv->lfd);
	close(srv->wake[0]);
	close(srv->wake[1]);
	/* Only our own socket file: never one a later instance made. */
	if (!lstat(srv->addr.sun_path, &st) && st.st_dev == srv->dev &&
	    st.st_ino == srv->ino)
		unlink(srv->addr.sun_path);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
