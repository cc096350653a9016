/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ipuswap_dev.h - the /dev/ipuswap interface, between the module
 * (ipuswap_cdev.c) and the on-host agent (ipu-firmware/transport_host.c).
 *
 *   open   O_RDWR, CAP_SYS_ADMIN (else EPERM), one open file at a time
 *          (else EBUSY); EBUSY too while a scheduler is attached with
 *          the IPU as its agent (only the on-host agent may serve it)
 *   mmap   MAP_SHARED at IPUSWAP_DEV_MMAP_OFFSET, at most the window's
 *          size: the window, write-back cached like the module's mapping;
 *          never executable (PROT_EXEC and mprotect() to it fail); EBUSY
 *          and SIGBUS (a mapping made before) while the IPU serves
 *   read   exactly IPUSWAP_DEV_READ_SIZE bytes: a __u64 with bit
 *          IPUSWAP_DEV_BIT(v) set for each doorbell vector v the host rang
 *          for the on-host agent since the last read (like an eventfd);
 *          EAGAIN with O_NONBLOCK when there are none
 *   poll   readable while such bits are pending
 *
 * After the device is unbound the file is revoked: read() fails with
 * ENODEV, poll() reports EPOLLHUP | EPOLLERR, the mapping raises SIGBUS.
 */
#ifndef IPUSWAP_DEV_H
#define IPUSWAP_DEV_H

#define IPUSWAP_DEV_NAME	"ipuswap"
#define IPUSWAP_DEV_PATH	"/dev/" IPUSWAP_DEV_NAME
#define IPUSWAP_DEV_MMAP_OFFSET	0
#define IPUSWAP_DEV_READ_SIZE	8
#define IPUSWAP_DEV_BIT(vec)	(1ULL << (vec))

#endif /* IPUSWAP_DEV_H */
