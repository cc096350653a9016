// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The real-IPU transport, for ipuswap-fw cross-compiled to aarch64 and run
 * on the IPU's ARM complex. It builds here (natively and for aarch64) but
 * CANNOT be run here: there is no IPU, and no UIO device exposing its
 * window; nothing in this file has been exercised against hardware.
 *
 * Assumptions about the UIO device (--uio-dev /dev/uioN), to be checked
 * against the IPU's platform driver when one exists:
 *
 *   map0  the shared window: host memory the IPU reaches over PCIe,
 *         power-of-two sized; mapped with mmap offset 0. Its size comes
 *         from /sys/class/uio/uioN/maps/map0/size.
 *   map1  the IPU's doorbell block (MMIO); mmap offset 1 * page size.
 *         A 32-bit write of v to the register at --uio-doorbell OFF
 *         (default 0) raises host MSI-X vector v, like the ivshmem
 *         Doorbell register with the host as the target peer.
 *   irq   one UIO interrupt for every host -> IPU doorbell, whatever the
 *         vector: read(2) returns a 4-byte event count, and writing a
 *         4-byte 1 re-enables the interrupt (uio irqcontrol). Because the
 *         vector is not known, every wake reports all vectors: a doorbell
 *         is only a hint to look at the window, so over-reporting is safe.
 *
 * The host is the PCIe root and is "there" from the start, so the first
 * wait() reports a connection and there is never a disconnect.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"
#include "transport.h"

struct uio {
	int fd;
	void *map1;
	size_t map1_size;
	uint64_t db_off;
	bool announced;
};

/* Order window writes before the doorbell write reaches the device. */
static inline void io_wmb(void)
{
#if defined(__aarch64__)
	__asm__ __volatile__("dmb oshst" ::: "memory");
#else
	atomic_thread_fence(memory_order_seq_cst);
#endif
}

static int uio_index(const char *dev, unsigned int *idx)
{
	const char *base = strrchr(dev, '/');
	char tail;

	base = base ? base + 1 : dev;
	if (sscanf(base, "uio%u%c", idx, &tail) != 1)
		return -EINVAL;
	return 0;
}

static int map_size(unsigned int idx, unsigned int map, size_t *size)
{
	char path[96];
	unsigned long long v;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/class/uio/uio%u/maps/map%u/size",
		 idx, map);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fscanf(f, "%llx", &v);
	fclose(f);
	if (n != 1 || !v || v > SIZE_MAX)
		return -EINVAL;
	*size = (size_t)v;
	return 0;
}

static int uio_irq_enable(struct uio *u)
{
	uint32_t one = 1;

	return write(u->fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

static void uio_close(struct transport *t)
{
	struct uio *u = t->priv;

	if (!u)
		return;
	if (t->win)
		munmap(t->win, t->size);
	if (u->map1)
		munmap(u->map1, u->map1_size);
	if (u->fd >= 0)
		close(u->fd);
	free(u);
	t->win = NULL;
	t->priv = NULL;
	t->pollfd = -1;
}

static int uio_map(struct transport *t, struct uio *u, unsigned int idx)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t size0;
	void *p;
	int ret;

	ret = map_size(idx, 0, &size0);
	if (!ret)
		ret = map_size(idx, 1, &u->map1_size);
	if (ret)
		return ret;
	if (u->db_off % 4 || u->db_off + 4 > u->map1_size)
		return -ERANGE;
	p = mmap(NULL, size0, PROT_READ | PROT_WRITE, MAP_SHARED, u->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	t->win = p;
	t->size = size0;
	p = mmap(NULL, u->map1_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 u->fd, page);
	if (p == MAP_FAILED)
		return -errno;
	u->map1 = p;
	return 0;
}

static int uio_open(struct transport *t, const struct transport_cfg *cfg)
{
	unsigned int idx;
	struct uio *u;
	int ret;

	if (!cfg->uio_dev || uio_index(cfg->uio_dev, &idx))
		return -EINVAL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->db_off = cfg->uio_doorbell_off;
	t->priv = u;
	u->fd = open(cfg->uio_dev, O_RDWR | O_CLOEXEC);
	ret = u->fd < 0 ? -errno : 0;
	if (!ret)
		ret = uio_map(t, u, idx);
	if (!ret)
		ret = uio_irq_enable(u);
	if (ret) {
		fw_log("cannot use %s: %s", cfg->uio_dev, strerror(-ret));
		uio_close(t);
		return ret;
	}
	t->nr_vectors = cfg->nr_vectors;
	t->fw_peer_id = 0;
	t->pollfd = u->fd;
	fw_log("using %s (window %zu bytes, %u vectors, doorbell map1+0x%" PRIx64 ")",
	       cfg->uio_dev, t->size, t->nr_vectors, u->db_off);
	return 0;
}

static int uio_wait(struct transport *t, int timeout_ms,
		    struct transport_events *ev)
{
	struct uio *u = t->priv;
	struct pollfd pfd = { .fd = u->fd, .events = POLLIN };
	bool first = !u->announced;
	uint32_t count;
	int n, ret;

	memset(ev, 0, sizeof(*ev));
	u->announced = true;
	ev->connected = first;
	n = poll(&pfd, 1, first ? 0 : timeout_ms);
	if (n < 0)
		return errno == EINTR ? first : -errno;
	if (n > 0 && read(u->fd, &count, sizeof(count)) == sizeof(count)) {
		ev->doorbells = t->nr_vectors >= 64 ? ~0ULL :
				(1ULL << t->nr_vectors) - 1;
		ret = uio_irq_enable(u);
		if (ret)
			return ret;
	}
	return ev->doorbells || ev->connected;
}

static int uio_notify_host(struct transport *t, unsigned int vec)
{
	struct uio *u = t->priv;
	volatile uint32_t *db;

	if (vec >= t->nr_vectors)
		return -EINVAL;
	db = (volatile uint32_t *)((char *)u->map1 + u->db_off);
	io_wmb();
	*db = vec;
	return 0;
}

const struct transport_ops transport_uio_ops = {
	.name		= "uio",
	.open		= uio_open,
	.wait		= uio_wait,
	.notify_host	= uio_notify_host,
	.close		= uio_close,
};
