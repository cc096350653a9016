/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fw_engine: what the core needs of an engine that serves the region while
 * a scheduler is attached, one table per protocol (hdr.host_proto), the
 * way transport_ops hides where the window comes from:
 *
 *   IPUSWAP_PROTO_SWAP  fw_sched_engine (fw_sched.c), the staging engine
 *   IPUSWAP_PROTO_FITO  fw_fito_engine (fw_fito.c), the FITO baseline
 *
 * An engine reads and checks the header itself at create, and step()
 * reports -ESTALE once the header says it must start over
 * (ipuswap_hdr_restarts()); the core then destroys it and creates anew.
 */
#ifndef IPUSWAP_FW_ENGINE_H
#define IPUSWAP_FW_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "ipuswap_wire.h"
#include "fw_pcie.h"
#include "fw_sched.h"

struct fw_engine_ops {
	const char *name;
	/* 0, -EINVAL (*err says why: the header) or -ENOMEM. */
	int (*create)(void **engine, void *win, size_t win_size, struct fw_pcie *pcie,
		      enum fw_sched_hdr_err *err);
	/* 1: progress, 0: idle, -ESTALE: the header changed, start over. */
	int (*step)(void *engine);
	/* How long an idle engine may sleep before its next step (0: the default). */
	uint64_t (*idle_ns)(const void *engine);
	/* Decisions made so far (hdr.fw_decisions adds them up). */
	uint64_t (*decisions)(const void *engine);
	/* For the log: what it serves ("2 CPUs, ..."), and its totals at stop ("" for none). */
	void (*describe)(const void *engine, char *buf, size_t size);
	void (*report)(const void *engine, char *buf, size_t size);
	/* Outstanding operations are abandoned, not completed. */
	void (*destroy)(void *engine);
};

extern const struct fw_engine_ops fw_sched_engine;
extern const struct fw_engine_ops fw_fito_engine;

#endif /* IPUSWAP_FW_ENGINE_H */
