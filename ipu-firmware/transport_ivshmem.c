// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The emulated IPU: ipuswap-fw is the ivshmem server QEMU's
 * ivshmem-doorbell device connects to (-chardev socket,path=P,id=ipu
 * -device ivshmem-doorbell,chardev=ipu,vectors=N).
 *
 * Protocol (every message one little-endian int64, fds by SCM_RIGHTS),
 * sent to a client as soon as it connects:
 *
 *   0                       protocol version, no fd
 *   1                       the client's own peer id, no fd
 *   -1      + memfd         the shared memory (BAR2)
 *   0       + eventfd, x N  the firmware peer's vectors: QEMU writes these
 *                           when the guest rings Doorbell (0 << 16) | v
 *   1       + eventfd, x N  the guest's own vectors: QEMU turns a write to
 *                           eventfd v into the guest's MSI-X vector v
 *
 * The firmware is peer 0 and never a client itself. The eventfds go after
 * the memfd and the firmware's before the guest's own: the other order
 * crashed QEMU 7.2 (DESIGN.md §6).
 *
 * One guest at a time: the window has one host. A second connection while
 * a guest is attached is closed at once; after the guest goes away the
 * next connection is served with fresh guest eventfds. The memfd and the
 * firmware's eventfds live as long as the process.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "transport.h"

#define IVS_FW_PEER		0
#define IVS_GUEST_PEER		1
#define IVS_MAX_VECTORS		64
#define IVS_PROTOCOL_VERSION	0

/* epoll tags; vectors use their own number. */
#define TAG_LISTEN	(IVS_MAX_VECTORS + 0)
#define TAG_CLIENT	(IVS_MAX_VECTORS + 1)

struct ivshmem {
	struct sockaddr_un addr;
	dev_t sock_dev;			/* to unlink only our own socket */
	ino_t sock_ino;
	bool sock_bound;
	int listen_fd;
	int epfd;
	int memfd;
	unsigned int nr_vectors;
	int fw_efd[IVS_MAX_VECTORS];	/* guest -> firmware doorbells */
	int client_fd;			/* the guest's QEMU, or -1 */
	int guest_efd[IVS_MAX_VECTORS];	/* firmware -> guest interrupts */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int epoll_add(int epfd, int fd, uint32_t events, uint32_t tag)
{
	struct epoll_event ev = { .events = events, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int send_msg(int sock, int64_t val, int fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	int64_t le = (int64_t)htole64((uint64_t)val);
	struct iovec iov = { .iov_base = &le, .iov_len = sizeof(le) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cm;
	ssize_t n;

	if (fd >= 0) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(le) ? 0 : -EIO;
}

/* The whole handshake, in the order QEMU 7.2 survives (see top). */
static int send_handshake(struct ivshmem *iv, int sock)
{
	unsigned int v;
	int ret;

	ret = send_msg(sock, IVS_PROTOCOL_VERSION, -1);
	if (!ret)
		ret = send_msg(sock, IVS_GUEST_PEER, -1);
	if (!ret)
		ret = send_msg(sock, -1, iv->memfd);
	for (v = 0; !ret && v < iv->nr_vectors; v++)
		ret = send_msg(sock, IVS_FW_PEER, iv->fw_efd[v]);
	for (v = 0; !ret && v < iv->nr_vectors; v++)
		ret = send_msg(sock, IVS_GUEST_PEER, iv->guest_efd[v]);
	return ret;
}

static void drop_guest(struct ivshmem *iv)
{
	unsigned int v;

	if (iv->client_fd >= 0)
		epoll_ctl(iv->epfd, EPOLL_CTL_DEL, iv->client_fd, NULL);
	close_fd(&iv->client_fd);
	for (v = 0; v < iv->nr_vectors; v++)
		close_fd(&iv->guest_efd[v]);
}

static int serve_guest(struct ivshmem *iv, int sock)
{
	/* A QEMU that stops reading must not wedge the firmware. */
	struct timeval tmo = { .tv_sec = 2 };
	unsigned int v;
	int ret;

	iv->client_fd = sock;
	for (v = 0; v < iv->nr_vectors; v++) {
		iv->guest_efd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (iv->guest_efd[v] < 0)
			return -errno;
	}
	if (setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tmo, sizeof(tmo)))
		return -errno;
	ret = send_handshake(iv, sock);
	if (ret)
		return ret;
	return epoll_add(iv->epfd, sock, EPOLLIN | EPOLLRDHUP, TAG_CLIENT);
}

static void on_listen(struct ivshmem *iv, struct transport_events *ev)
{
	int sock, ret;

	for (;;) {
		sock = accept4(iv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (sock < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != EINTR && errno != ECONNABORTED)
				fw_log("accept: %s", strerror(errno));
			return;
		}
		if (iv->client_fd >= 0) {
			fw_log("refusing second guest connection: peer %d is attached",
			       IVS_GUEST_PEER);
			close(sock);
			continue;
		}
		ret = serve_guest(iv, sock);
		if (ret) {
			fw_log("guest handshake failed: %s", strerror(-ret));
			drop_guest(iv);
			continue;
		}
		fw_log("guest connected as peer %d", IVS_GUEST_PEER);
		ev->connected = 1;
	}
}

/* QEMU never sends anything; readable means it went away. */
static void on_client(struct ivshmem *iv, uint32_t events,
		      struct transport_events *ev)
{
	char buf[64];
	ssize_t n;

	n = recv(iv->client_fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n > 0) {
		fw_dbg(1, "ignoring %zd bytes from guest", n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR) &&
	    !(events & (EPOLLHUP | EPOLLERR)))
		return;
	drop_guest(iv);
	fw_log("guest disconnected");
	ev->disconnected = 1;
}

static void on_doorbell(struct ivshmem *iv, unsigned int v,
			struct transport_events *ev)
{
	uint64_t cnt;

	/* The count does not matter: a doorbell means "look now". */
	if (read(iv->fw_efd[v], &cnt, sizeof(cnt)) == sizeof(cnt))
		ev->doorbells |= 1ULL << v;
}

static int ivs_wait(struct transport *t, int timeout_ms,
		    struct transport_events *ev)
{
	struct ivshmem *iv = t->priv;
	struct epoll_event evs[16];
	int i, n;

	memset(ev, 0, sizeof(*ev));
	n = epoll_wait(iv->epfd, evs, 16, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		uint32_t tag = evs[i].data.u32;

		if (tag == TAG_LISTEN)
			on_listen(iv, ev);
		else if (tag == TAG_CLIENT && iv->client_fd >= 0)
			on_client(iv, evs[i].events, ev);
		else if (tag < iv->nr_vectors)
			on_doorbell(iv, tag, ev);
	}
	return ev->doorbells || ev->connected || ev->disconnected;
}

static int ivs_notify_host(struct transport *t, unsigned int vec)
{
	struct ivshmem *iv = t->priv;
	uint64_t one = 1;

	if (vec >= iv->nr_vectors)
		return -EINVAL;
	if (iv->client_fd < 0)
		return 0;
	/* EAGAIN: the counter is saturated, the interrupt is pending anyway. */
	if (write(iv->guest_efd[vec], &one, sizeof(one)) < 0 && errno != EAGAIN)
		return -errno;
	return 0;
}

static int make_window(struct transport *t, struct ivshmem *iv, uint64_t size)
{
	iv->memfd = memfd_create("ipuswap-window",
				 MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (iv->memfd < 0)
		return -errno;
	if (ftruncate(iv->memfd, (off_t)size))
		return -errno;
	/* The BAR's size is fixed once QEMU maps it; make that a fact. */
	if (fcntl(iv->memfd, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL))
		return -errno;
	t->win = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      iv->memfd, 0);
	if (t->win == MAP_FAILED) {
		t->win = NULL;
		return -errno;
	}
	t->size = size;
	return 0;
}

/*
 * The socket path may be left over from a firmware that crashed (or was
 * killed by a fault): remove it. But if a live socket is bound there,
 * another server owns it and we must not steal its guests.
 *
 * The probe is a SOCK_SEQPACKET connect: Linux answers EPROTOTYPE when a
 * live socket of another type (our stream listener) is bound to the path
 * and ECONNREFUSED when none is, and it never queues a connection on the
 * live server, which would otherwise see a "guest" come and go.
 */
static int bind_socket(struct ivshmem *iv)
{
	const struct sockaddr *sa = (const struct sockaddr *)&iv->addr;
	const char *path = iv->addr.sun_path;
	struct stat st;
	int probe, err;

	if (!bind(iv->listen_fd, sa, sizeof(iv->addr)))
		return 0;
	if (errno != EADDRINUSE)
		return -errno;
	if (lstat(path, &st) || !S_ISSOCK(st.st_mode)) {
		fw_log("%s exists and is not a socket", path);
		return -EEXIST;
	}
	probe = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -errno;
	err = connect(probe, sa, sizeof(iv->addr)) ? errno : 0;
	close(probe);
	if (err == 0 || err == EPROTOTYPE) {
		fw_log("%s is in use by a running server", path);
		return -EADDRINUSE;
	}
	if (err != ECONNREFUSED)
		return -err;
	fw_dbg(1, "removing stale socket %s", path);
	if (unlink(path) && errno != ENOENT)
		return -errno;
	return bind(iv->listen_fd, sa, sizeof(iv->addr)) ? -errno : 0;
}

static int make_socket(struct ivshmem *iv, const char *path)
{
	struct stat st;
	int ret;

	if (strlen(path) >= sizeof(iv->addr.sun_path))
		return -ENAMETOOLONG;
	iv->addr.sun_family = AF_UNIX;
	strcpy(iv->addr.sun_path, path);
	iv->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
			       SOCK_NONBLOCK, 0);
	if (iv->listen_fd < 0)
		return -errno;
	ret = bind_socket(iv);
	if (ret)
		return ret;
	iv->sock_bound = true;
	if (!lstat(path, &st)) {
		iv->sock_dev = st.st_dev;
		iv->sock_ino = st.st_ino;
	}
	if (listen(iv->listen_fd, 8))
		return -errno;
	return epoll_add(iv->epfd, iv->listen_fd, EPOLLIN, TAG_LISTEN);
}

static int make_doorbells(struct ivshmem *iv)
{
	unsigned int v;
	int ret;

	for (v = 0; v < iv->nr_vectors; v++) {
		iv->fw_efd[v] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (iv->fw_efd[v] < 0)
			return -errno;
		ret = epoll_add(iv->epfd, iv->fw_efd[v], EPOLLIN, v);
		if (ret)
			return ret;
	}
	return 0;
}

static void ivs_close(struct transport *t)
{
	struct ivshmem *iv = t->priv;
	unsigned int v;
	struct stat st;

	if (!iv)
		return;
	drop_guest(iv);
	/* Only unlink the socket if it is still the one we created. */
	if (iv->sock_bound && !lstat(iv->addr.sun_path, &st) &&
	    st.st_dev == iv->sock_dev && st.st_ino == iv->sock_ino)
		unlink(iv->addr.sun_path);
	close_fd(&iv->listen_fd);
	for (v = 0; v < IVS_MAX_VECTORS; v++)
		close_fd(&iv->fw_efd[v]);
	close_fd(&iv->epfd);
	if (t->win)
		munmap(t->win, t->size);
	close_fd(&iv->memfd);
	free(iv);
	t->win = NULL;
	t->priv = NULL;
	t->pollfd = -1;
}

static int ivs_open(struct transport *t, const struct transport_cfg *cfg)
{
	struct ivshmem *iv;
	unsigned int v;
	int ret;

	if (!cfg->socket_path || !cfg->nr_vectors ||
	    cfg->nr_vectors > IVS_MAX_VECTORS)
		return -EINVAL;
	iv = calloc(1, sizeof(*iv));
	if (!iv)
		return -ENOMEM;
	iv->listen_fd = iv->epfd = iv->memfd = iv->client_fd = -1;
	for (v = 0; v < IVS_MAX_VECTORS; v++)
		iv->fw_efd[v] = iv->guest_efd[v] = -1;
	iv->nr_vectors = cfg->nr_vectors;
	t->priv = iv;

	iv->epfd = epoll_create1(EPOLL_CLOEXEC);
	ret = iv->epfd < 0 ? -errno : 0;
	if (!ret)
		ret = make_window(t, iv, cfg->shm_size);
	if (!ret)
		ret = make_doorbells(iv);
	if (!ret)
		ret = make_socket(iv, cfg->socket_path);
	if (ret) {
		fw_log("cannot serve ivshmem on %s: %s", cfg->socket_path,
		       strerror(-ret));
		ivs_close(t);
		return ret;
	}
	t->nr_vectors = iv->nr_vectors;
	t->fw_peer_id = IVS_FW_PEER;
	t->pollfd = iv->epfd;
	fw_log("listening on %s (shm %zu bytes, %u vectors)",
	       cfg->socket_path, t->size, t->nr_vectors);
	return 0;
}

const struct transport_ops transport_ivshmem_ops = {
	.name		= "ivshmem",
	.open		= ivs_open,
	.wait		= ivs_wait,
	.notify_host	= ivs_notify_host,
	.close		= ivs_close,
};
