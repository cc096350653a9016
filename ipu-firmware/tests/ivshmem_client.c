// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ivshmem_client.h"

static int fail(struct ivc *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->err, sizeof(c->err), fmt, ap);
	va_end(ap);
	return -1;
}

int ivc_recv(int sock, int64_t *val, int *fd, int timeout_ms)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct pollfd pfd = { .fd = sock, .events = POLLIN };
	uint64_t le;
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *cm;
	ssize_t n;

	*fd = -1;
	if (poll(&pfd, 1, timeout_ms) == 0)
		return -ETIMEDOUT;
	/* 8 bytes at a time, as QEMU reads: fds stay with their message. */
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return -errno;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
	if (n != sizeof(le) || (msg.msg_flags & MSG_CTRUNC))
		return -EPROTO;
	*val = (int64_t)le64toh(le);
	return 0;
}

static int expect(struct ivc *c, const char *what, int64_t want, int want_fd,
		  int *fd_out)
{
	int64_t v;
	int fd, ret;

	ret = ivc_recv(c->sock, &v, &fd, 5000);
	if (ret)
		return fail(c, "%s: %s", what, strerror(-ret));
	if (v != want) {
		if (fd >= 0)
			close(fd);
		return fail(c, "%s: got %lld, want %lld", what, (long long)v,
			    (long long)want);
	}
	if (want_fd != (fd >= 0)) {
		if (fd >= 0)
			close(fd);
		return fail(c, "%s: %s an fd", what, want_fd ? "without" : "with");
	}
	if (fd_out)
		*fd_out = fd;
	return 0;
}

static int handshake(struct ivc *c)
{
	char what[64];
	unsigned int v;
	int64_t extra;
	int fd, ret;

	if (expect(c, "version", 0, 0, NULL) ||
	    expect(c, "peer id", 1, 0, NULL) ||
	    expect(c, "shm", -1, 1, &c->shm_fd))
		return -1;
	for (v = 0; v < c->nr_vectors; v++) {
		snprintf(what, sizeof(what), "peer 0 vector %u", v);
		if (expect(c, what, 0, 1, &c->fw_efd[v]))
			return -1;
	}
	for (v = 0; v < c->nr_vectors; v++) {
		snprintf(what, sizeof(what), "own vector %u", v);
		if (expect(c, what, 1, 1, &c->own_efd[v]))
			return -1;
	}
	ret = ivc_recv(c->sock, &extra, &fd, 100);
	if (ret != -ETIMEDOUT) {
		if (fd >= 0)
			close(fd);
		return fail(c, "unexpected message after handshake (%s)",
			    ret ? strerror(-ret) : "data");
	}
	return 0;
}

static int map_shm(struct ivc *c)
{
	struct stat st;

	if (fstat(c->shm_fd, &st))
		return fail(c, "fstat shm: %s", strerror(errno));
	c->shm_size = st.st_size;
	c->shm = mmap(NULL, c->shm_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      c->shm_fd, 0);
	if (c->shm == MAP_FAILED) {
		c->shm = NULL;
		return fail(c, "mmap shm: %s", strerror(errno));
	}
	return 0;
}

int ivc_connect(struct ivc *c, const char *path, unsigned int nr_vectors)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	unsigned int v;

	memset(c, 0, sizeof(*c));
	c->sock = c->shm_fd = -1;
	for (v = 0; v < IVC_MAX_VECTORS; v++)
		c->fw_efd[v] = c->own_efd[v] = -1;
	c->nr_vectors = nr_vectors;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	c->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->sock < 0)
		return fail(c, "socket: %s", strerror(errno));
	if (connect(c->sock, (struct sockaddr *)&sa, sizeof(sa)))
		return fail(c, "connect %s: %s", path, strerror(errno));
	if (handshake(c))
		return -1;
	return map_shm(c);
}

void ivc_close(struct ivc *c)
{
	unsigned int v;

	if (c->shm)
		munmap(c->shm, c->shm_size);
	c->shm = NULL;
	for (v = 0; v < IVC_MAX_VECTORS; v++) {
		if (c->fw_efd[v] >= 0)
			close(c->fw_efd[v]);
		if (c->own_efd[v] >= 0)
			close(c->own_efd[v]);
		c->fw_efd[v] = c->own_efd[v] = -1;
	}
	if (c->shm_fd >= 0)
		close(c->shm_fd);
	if (c->sock >= 0)
		close(c->sock);
	c->shm_fd = c->sock = -1;
}

int ivc_ring(struct ivc *c, unsigned int vec)
{
	uint64_t one = 1;

	return write(c->fw_efd[vec], &one, sizeof(one)) == sizeof(one) ? 0 : -1;
}

int ivc_wait_irq(struct ivc *c, unsigned int vec, int timeout_ms)
{
	struct pollfd pfd = { .fd = c->own_efd[vec], .events = POLLIN };
	uint64_t cnt;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return 0;
	return read(c->own_efd[vec], &cnt, sizeof(cnt)) == sizeof(cnt);
}
