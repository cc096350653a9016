// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The on-host transport (--transport host): ipuswap-fw runs inside the
 * host, on a host CPU, as the on-host reference agent (IPUSWAP_AGENT_ONHOST).
 * The window is the one the IPU firmware created; the host driver exposes
 * it through its character device (--dev, default IPUSWAP_DEV_PATH; the
 * interface is in ipuswap_dev.h). The window is mapped in two steps: the
 * header page first, to learn and check hdr.size, then all of it. The
 * device is opened O_NONBLOCK, so a read with no doorbells is -EAGAIN; it
 * is pollfd.
 *
 * Nothing goes back: the host reads the on-host agent's answers from the
 * window when it next looks and needs no interrupt, so notify_host does
 * nothing. The IPU firmware keeps the header and answers the host's CTRL
 * doorbells (pings, wire checks) meanwhile; the core must not write the
 * header in this mode (fw_config.onhost).
 *
 * The driver is bound before the device exists, so the first wait()
 * reports a connection and there is never a disconnect. If the driver is
 * unbound, it revokes the file: the mapping is gone and read() fails with
 * ENODEV. Whichever the firmware meets first ends it with status 1: a
 * SIGBUS in the window exits at once (the core would touch the window
 * again), an ENODEV stops the firmware as SIGTERM would and is recorded in
 * t->fatal.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ipuswap_atomic.h"
#include "ipuswap_dev.h"
#include "log.h"
#include "transport.h"

_Static_assert(sizeof(uint64_t) == IPUSWAP_DEV_READ_SIZE, "one read is one u64");

/* For the SIGBUS handler: the mapped window, or NULL. */
static void *volatile host_win;
static volatile size_t host_win_size;

static void host_sigbus(int sig, siginfo_t *si, void *uctx)
{
	static const char msg[] =
		"ipuswap-fw: window revoked (host driver unbound); exiting\n";
	const char *a = si->si_addr, *w = host_win;
	ssize_t n;

	(void)uctx;
	if (w && a >= w && a < w + host_win_size) {
		n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)n;
		_exit(1);
	}
	/* Not ours: the access faults again and takes the default action. */
	signal(sig, SIG_DFL);
}

struct host {
	const char *dev;
	int fd;
	bool announced;		/* the first wait() reported the connection */
	bool gone;		/* the driver revoked the device */
};

static void host_close(struct transport *t)
{
	struct host *h = t->priv;

	if (!h)
		return;
	if (t->win) {
		host_win = NULL;
		munmap(t->win, t->size);
	}
	if (h->fd >= 0)
		close(h->fd);
	free(h);
	t->win = NULL;
	t->priv = NULL;
	t->pollfd = -1;
}

/* Read and check the identity the IPU firmware published; 0 or -errno. */
static int host_window_size(const char *dev, int fd, size_t *size)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = page > IPUSWAP_HDR_SIZE ? (size_t)page : IPUSWAP_HDR_SIZE;
	struct ipuswap_window_hdr h;
	enum ipuswap_hdr_fault f;
	void *p;

	p = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, IPUSWAP_DEV_MMAP_OFFSET);
	if (p == MAP_FAILED)
		return -errno;
	ipuswap_hdr_read(&h, p);
	munmap(p, len);
	/* Only the header page is mapped yet: the size is checked for its form. */
	f = ipuswap_hdr_check(&h, h.size);
	if (f != IPUSWAP_HF_OK) {
		fw_log("%s: window refused: %s (magic %#x, version %u, size %llu; this firmware speaks %u)",
		       dev, ipuswap_hdr_fault_name(f), h.magic, h.version,
		       (unsigned long long)h.size, IPUSWAP_WIRE_VERSION);
		return -EPROTO;
	}
	/* IPUSWAP_WINDOW_MAX fits a 32-bit size_t too. */
	*size = (size_t)h.size;
	return 0;
}

/* Header page first, for the size; then the whole window. */
static int host_map(struct transport *t, struct host *h)
{
	size_t size = 0;
	void *p;
	int ret;

	ret = host_window_size(h->dev, h->fd, &size);
	if (ret)
		return ret;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, h->fd, IPUSWAP_DEV_MMAP_OFFSET);
	if (p == MAP_FAILED)
		return -errno;
	t->win = p;
	t->size = size;
	return 0;
}

static int host_catch_sigbus(struct transport *t)
{
	struct sigaction sa = {
		.sa_sigaction = host_sigbus,
		.sa_flags = SA_SIGINFO,
	};

	host_win_size = t->size;
	host_win = t->win;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, NULL) ? -errno : 0;
}

static int host_open(struct transport *t, const struct transport_cfg *cfg)
{
	struct host *h;
	int ret;

	if (!cfg->host_dev)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	t->priv = h;
	h->dev = cfg->host_dev;
	h->fd = open(h->dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ret = h->fd < 0 ? -errno : host_map(t, h);
	if (!ret)
		ret = host_catch_sigbus(t);
	if (ret) {
		fw_log("cannot use %s: %s", h->dev, strerror(-ret));
		host_close(t);
		return ret;
	}
	t->nr_vectors = IPUSWAP_NR_VECTORS;
	t->fw_peer_id = 0;
	t->pollfd = h->fd;
	fw_log("on-host agent using %s (window %zu bytes)", h->dev, t->size);
	return 0;
}

static int host_wait(struct transport *t, int timeout_ms,
		     struct transport_events *ev)
{
	struct host *h = t->priv;
	struct pollfd pfd = { .fd = h->fd, .events = POLLIN };
	bool first = !h->announced;
	uint64_t bits;		/* IPUSWAP_DEV_BIT(vector) */
	ssize_t n;

	memset(ev, 0, sizeof(*ev));
	h->announced = true;
	ev->connected = first;
	if (h->gone)
		return 0;
	n = poll(&pfd, 1, first ? 0 : timeout_ms);
	if (n < 0)
		return errno == EINTR ? first : -errno;
	if (n == 0)
		return first;
	n = read(h->fd, &bits, IPUSWAP_DEV_READ_SIZE);
	if (n == IPUSWAP_DEV_READ_SIZE) {
		ev->doorbells = bits;
	} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
		/* Another look took the bits first: nothing lost. */
	} else {
		/*
		 * Revoked (ENODEV) or broken. Not reported as a disconnect:
		 * the core would then reset the header, which is not ours
		 * and no longer mapped.
		 */
		t->fatal = n < 0 ? -errno : -EIO;
		h->gone = true;
		fw_log("%s: %s; stopping", h->dev, strerror(-t->fatal));
		kill(getpid(), SIGTERM);
		return t->fatal;
	}
	return ev->doorbells || ev->connected;
}

/* The host polls the window for the on-host agent's answers. */
static int host_notify_host(struct transport *t, unsigned int vec)
{
	(void)t;
	(void)vec;
	return 0;
}

const struct transport_ops transport_host_ops = {
	.name		= "host",
	.open		= host_open,
	.wait		= host_wait,
	.notify_host	= host_notify_host,
	.close		= host_close,
};
