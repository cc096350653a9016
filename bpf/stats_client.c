/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_stats client (see stats_client.h). A reply is a line of JSON; it may
 * arrive in pieces, so bytes are gathered up to the newline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "stats_client.h"

enum { REPLY_MAX = 1 << 20 };	/* a reply is a few KiB */

int stats_client_connect(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* One line from @fd into a malloc'd NUL-terminated buffer, or NULL + errno. */
static char *read_line(int fd, int timeout_ms)
{
	long long end = now_ms() + timeout_ms;
	size_t used = 0, size = 4096;
	char *buf = malloc(size), *nl;

	while (buf) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = end - now_ms();
		ssize_t n;
		int ret;

		if (left <= 0) {
			errno = ETIMEDOUT;
			break;
		}
		ret = poll(&p, 1, left);
		if (ret < 0 && errno == EINTR)
			break;	/* a signal: let the caller see exit_req */
		if (ret <= 0)
			continue;
		if (used + 1 == size) {
			char *bigger = size < REPLY_MAX ? realloc(buf, size * 2) : NULL;

			if (!bigger) {
				errno = EPROTO;
				break;
			}
			buf = bigger;
			size *= 2;
		}
		n = read(fd, buf + used, size - 1 - used);
		if (n < 0 && errno == EINTR)
			break;
		if (n <= 0) {
			errno = EPIPE;
			break;
		}
		used += n;
		buf[used] = '\0';
		nl = strchr(buf, '\n');
		if (nl) {
			*nl = '\0';
			return buf;
		}
	}
	free(buf);
	return NULL;
}

json_t *stats_client_request(int fd, json_t *req, int timeout_ms)
{
	char *text = json_dumps(req, JSON_COMPACT), *line;
	json_t *reply;
	size_t len;
	ssize_t n;

	if (!text) {
		errno = ENOMEM;
		return NULL;
	}
	len = strlen(text);
	text[len] = '\n';
	n = send(fd, text, len + 1, MSG_NOSIGNAL);
	free(text);
	if (n != (ssize_t)len + 1) {
		errno = EPIPE;
		return NULL;
	}
	line = read_line(fd, timeout_ms);
	if (!line)
		return NULL;
	reply = json_loads(line, 0, NULL);
	free(line);
	if (!json_is_object(reply)) {
		json_decref(reply);
		errno = EPROTO;
		return NULL;
	}
	return reply;
}
