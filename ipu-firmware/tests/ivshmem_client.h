/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A fake QEMU for the tests: connects to ipuswap-fw as an ivshmem-doorbell
 * device would, checks every handshake message, maps the window and plays
 * the guest side of the doorbells.
 */
#ifndef IVSHMEM_CLIENT_H
#define IVSHMEM_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#define IVC_MAX_VECTORS 64

struct ivc {
	int sock;
	int shm_fd;
	void *shm;
	size_t shm_size;
	unsigned int nr_vectors;
	int fw_efd[IVC_MAX_VECTORS];	/* write: ring firmware vector v */
	int own_efd[IVC_MAX_VECTORS];	/* readable: our interrupt v fired */
	char err[256];			/* why the last call failed */
};

/* One message: 0, -EPIPE on EOF, -ETIMEDOUT, -EPROTO on a short read. */
int ivc_recv(int sock, int64_t *val, int *fd, int timeout_ms);

/*
 * Connect and run the whole handshake, expecting exactly nr_vectors
 * eventfds for peer 0 and for ourselves (peer 1), then nothing more.
 * Returns 0, or -1 with c->err saying what was wrong.
 */
int ivc_connect(struct ivc *c, const char *path, unsigned int nr_vectors);
void ivc_close(struct ivc *c);

int ivc_ring(struct ivc *c, unsigned int vec);
/* 1 if our interrupt vec fired within timeout_ms (and consume it), else 0. */
int ivc_wait_irq(struct ivc *c, unsigned int vec, int timeout_ms);

#endif
