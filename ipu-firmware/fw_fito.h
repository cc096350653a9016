/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fw_fito: the firmware side of the FITO baseline (Wave/ghOSt's model,
 * kmod/ipuswap_wire.h "The FITO baseline"), run while hdr.host_proto is
 * IPUSWAP_PROTO_FITO.
 *
 * The engine keeps its own copy of the runqueue, built from the events the
 * host posts to its per-CPU rings, and writes decisions (plain posted
 * writes, never CAS) into per-CPU transaction slots. It decides with the
 * same weighted-vtime policy as fw_sched, charging a task when it decides
 * for it. Its copy is only as fresh as the last event it read: that is the
 * point of the baseline.
 *
 * The host's mitigation switches (hdr.host_fito_flags) change what it does:
 *   PRESTAGE  keep a decision ready in every slot, not only when a CPU
 *             asked (CPU_IDLE event);
 *   PREFETCH  read each ring in bulk (one read of up to FW_FITO_BULK
 *             entries) instead of one read per entry;
 * WC and ABORT act on the host only.
 *
 * Every access goes through the fw_pcie model. Everything read from the
 * window is validated: event type, seq, task index, CPU, weight.
 */
#ifndef IPUSWAP_FW_FITO_H
#define IPUSWAP_FW_FITO_H

#include <stddef.h>
#include <stdint.h>

#include "ipuswap_wire.h"
#include "fw_pcie.h"
#include "fw_sched.h"

#define FW_FITO_BULK		16	/* entries per prefetch read */
#define FW_FITO_HDR_EVERY	256	/* steps between header checks */

struct fw_fito_stats {
	uint64_t events[IPUSWAP_NR_EV_TYPES];	/* consumed, by type */
	uint64_t bad_events;		/* failed validation, skipped */
	uint64_t ring_reads;		/* reads of ring entries (bulk or not) */
	uint64_t slot_reads;		/* reads of transaction slots */
	uint64_t decisions;		/* decisions written */
	uint64_t no_candidate;		/* a CPU wanted one, none fit */
	uint64_t answers_commit;	/* host answered COMMIT */
	uint64_t answers_abort;		/* host answered ABORT */
	uint64_t hdr_checks;
};

struct fw_fito;

/*
 * Read and validate the header and lay out the FITO region. Returns 0,
 * -EINVAL (*err says why), or -ENOMEM.
 */
int fw_fito_create(struct fw_fito **out, void *win, size_t win_size,
		   struct fw_pcie *pcie, enum fw_sched_hdr_err *err);
/* One pass: events, then decisions. 1: progress, 0: idle, -ESTALE. */
int fw_fito_step(struct fw_fito *f);
void fw_fito_destroy(struct fw_fito *f);
const struct fw_fito_stats *fw_fito_stats(const struct fw_fito *f);
const struct ipuswap_layout *fw_fito_layout(const struct fw_fito *f);
uint32_t fw_fito_flags(const struct fw_fito *f);

#endif /* IPUSWAP_FW_FITO_H */
