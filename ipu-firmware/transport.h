/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The transport: how the firmware reaches the shared window and the
 * doorbells. The firmware core only sees this interface, so the same core
 * runs as the emulated IPU (ivshmem server for QEMU), on the real IPU's
 * ARM complex (UIO), and inside the host as the on-host reference agent
 * (the host driver's character device).
 */
#ifndef IPUSWAP_FW_TRANSPORT_H
#define IPUSWAP_FW_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

/* What one wait() saw. */
struct transport_events {
	uint64_t doorbells;		/* bit v: the host rang vector v */
	unsigned int connected:1;	/* a host peer appeared */
	unsigned int disconnected:1;	/* the host peer went away */
};

struct transport_cfg {
	const char *socket_path;	/* ivshmem: where QEMU connects */
	uint64_t shm_size;		/* ivshmem: window bytes */
	unsigned int nr_vectors;	/* doorbell vectors each way */
	const char *uio_dev;		/* uio: /dev/uioN */
	uint64_t uio_doorbell_off;	/* uio: doorbell register in map1 */
	const char *host_dev;		/* host: the driver's device, /dev/ipuswap */
};

struct transport;

struct transport_ops {
	const char *name;
	/*
	 * Map the window and set up doorbells. Fills win, size, nr_vectors,
	 * fw_peer_id and pollfd. Returns 0 or a negative errno; on failure
	 * everything it created is gone again.
	 */
	int (*open)(struct transport *t, const struct transport_cfg *cfg);
	/*
	 * Wait up to timeout_ms (-1: forever, 0: just look) for doorbells or
	 * peer changes, and consume them. Returns 1 if ev says something,
	 * 0 on timeout, or a negative errno.
	 */
	int (*wait)(struct transport *t, int timeout_ms,
		    struct transport_events *ev);
	/* Raise host interrupt vector vec. No host peer: silently nothing. */
	int (*notify_host)(struct transport *t, unsigned int vec);
	/* Undo open(): unmap, close, remove the socket. */
	void (*close)(struct transport *t);
};

struct transport {
	const struct transport_ops *ops;
	void *win;		/* the shared window, hdr at offset 0 */
	size_t size;		/* window bytes */
	unsigned int nr_vectors;
	unsigned int fw_peer_id; /* the id the host rings (ivshmem peer id) */
	/*
	 * Readable whenever wait(t, 0, ...) has something to report, so the
	 * core can block on it in its own epoll next to its timers.
	 */
	int pollfd;
	/*
	 * Set (negative errno) by a transport that cannot go on, e.g. the
	 * host driver revoked its device; the process then exits non-zero.
	 */
	int fatal;
	void *priv;
};

extern const struct transport_ops transport_ivshmem_ops;
extern const struct transport_ops transport_uio_ops;
extern const struct transport_ops transport_host_ops;

#endif /* IPUSWAP_FW_TRANSPORT_H */
