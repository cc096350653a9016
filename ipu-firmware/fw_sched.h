/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * fw_sched: the firmware's staging engine for the swap protocol.
 *
 * For every CPU cell it serves, the engine keeps a decision staged: it
 * picks a QUEUED task allowed on that CPU, stages it (home word QUEUED ->
 * PROPOSE(cpu), one CAS expecting the version it read) and proposes it in
 * the CPU's cell (one CAS). The host takes or refuses the proposal in the
 * same cell; the engine counts the answer and refills the cell.
 *
 * It is transport-independent: it gets a pointer to the window and its
 * size, and reaches the window only through a fw_pcie model, so every
 * access is charged as a PCIe access by the IPU. It pipelines: the cell
 * words and the task table are bulk-read, and stage/propose CASes for
 * different CPUs are in flight together.
 *
 * Nothing the engine keeps must agree with the window: what it holds are
 * snapshots (validated again by the CAS that uses them) and per-CPU
 * pipeline state. An engine can be destroyed at any point, even with
 * operations in flight (a crash), and a new one started on the same
 * window: every word is left in a state the host can move on from alone.
 *
 * Everything the host wrote is validated before use: the header (magic,
 * version, size, region bounds, host_nr_cpus), each home word
 * (ipuswap_home_valid), each cell word (ipuswap_cell_valid), the weight
 * and the CPU bitmap. A bad value is counted and skipped, never followed.
 *
 * Only a window whose host_state is SCHED is touched (while BOUND the host
 * may use the region for other things); the header is re-read every
 * FW_SCHED_HDR_EVERY cell scans and a change that restarts engines
 * (ipuswap_hdr_restarts(): layout inputs, a new attach, another protocol)
 * ends the engine (-ESTALE).
 *
 * Withdrawing: the engine never withdraws a live proposal. It clears a
 * cell only when a task-table snapshot proves the proposal can never be
 * taken: the home word's version is at least two past the cell's, or one
 * past it and not COMMIT on this CPU (a take may be answered shortly), or
 * equal but not PROPOSE for this CPU. Versions only grow, so any snapshot
 * showing that is proof, however old. Without this a CPU whose proposed
 * task was served elsewhere would get no new decision until it next
 * dispatched and answered ABORT itself.
 *
 * The table is scanned up to a high-water mark of slots in use (plus 64),
 * with a full scan every FW_SCHED_FULL_EVERY scans, since the header gives
 * no task count.
 *
 * Policy: weighted virtual time. Each commit the host answers charges the
 * task FW_SCHED_SLICE_NS * 100 / weight in its fw_vtime (a window field
 * owned by the firmware, so a restarted engine keeps fairness); a CPU gets
 * the allowed QUEUED task with the lowest vtime, preferring one whose home
 * location (enqueue hint or last CPU) is that CPU.
 */
#ifndef IPUSWAP_FW_SCHED_H
#define IPUSWAP_FW_SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "ipuswap_wire.h"
#include "fw_pcie.h"

#define FW_SCHED_WEIGHT_MIN	1
#define FW_SCHED_WEIGHT_MAX	10000
#define FW_SCHED_SLICE_NS	1000000ULL	/* vtime charge at weight 100 */
#define FW_SCHED_HINT_LOOKAHEAD	8	/* allowed candidates checked for a hint */
#define FW_SCHED_HDR_EVERY	1024	/* cell scans between header checks */
#define FW_SCHED_FULL_EVERY	16	/* table scans between full-table scans */
#define FW_SCHED_TABLE_AGE_NS	20000	/* re-read a table we staged from after */

struct fw_sched_cfg {
	/* CPUs served: [cpu_first, cpu_first + cpu_count); count 0 = the rest. */
	uint32_t cpu_first;
	uint32_t cpu_count;
	/*
	 * Idle backoff: when a pass found nothing to do, the next cell scan
	 * is issued no sooner than this (0: scan back to back).
	 */
	uint64_t idle_poll_ns;
	/*
	 * Optional, for measurement harnesses: called on the firmware thread
	 * after a stage succeeded and before the cell is proposed. `word` is
	 * the PROPOSE home word, t_ns when the CAS took effect.
	 */
	void (*on_stage)(void *arg, uint32_t idx, uint32_t cpu, uint64_t word,
			 uint64_t t_ns);
	void *arg;
};

/*
 * What fw_sched_validate() found wrong with a header: a field
 * ipuswap_hdr_check() refuses (the same numbers), or the engine's own
 * conditions after them.
 */
enum fw_sched_hdr_err {
	FW_HDR_OK		= IPUSWAP_HF_OK,
	FW_HDR_MAGIC		= IPUSWAP_HF_MAGIC,
	FW_HDR_VERSION		= IPUSWAP_HF_VERSION,
	FW_HDR_SIZE		= IPUSWAP_HF_SIZE,	/* hdr.size != the window we mapped */
	FW_HDR_HDR_SIZE		= IPUSWAP_HF_HDR_SIZE,
	FW_HDR_VECTORS		= IPUSWAP_HF_VECTORS,
	FW_HDR_REGION		= IPUSWAP_HF_REGION,	/* outside the window or misaligned */
	FW_HDR_NOT_SCHED	= IPUSWAP_NR_HF, /* host_state != SCHED: not ours */
	FW_HDR_NR_CPUS,		/* host_nr_cpus 0 or > IPUSWAP_MAX_CPUS */
	FW_HDR_LAYOUT,		/* region too small for 64 tasks at this count */
	FW_HDR_CPU_RANGE,	/* cfg asks for CPUs the host does not have */
	FW_HDR_NR_ERRS,
};

/* Operations the engine performs; aborts are counted per op and reason. */
enum fw_sched_opk {
	FW_OP_STAGE,		/* home QUEUED -> PROPOSE */
	FW_OP_PROPOSE,		/* cell -> PROPOSE */
	FW_OP_DECLINE,		/* home PROPOSE -> QUEUED (propose failed) */
	FW_OP_WITHDRAW,		/* cell PROPOSE -> EMPTY (proposal dead) */
	FW_OP_NR,
};

struct fw_sched_stats {
	uint64_t cell_scans;		/* bulk reads of the cells */
	uint64_t table_scans;		/* bulk reads of the task table */
	uint64_t hdr_checks;
	uint64_t ok[FW_OP_NR];		/* successful transitions by op */
	uint64_t aborts[FW_OP_NR][IPUSWAP_NR_REASONS];	/* failed, by reason */
	/* What a failed stage found instead, by the state of that word. */
	uint64_t stage_lost[IPUSWAP_TASK_NR_STATES + 1];	/* +1: invalid */
	uint64_t answers_commit;	/* cells the host answered COMMIT */
	uint64_t answers_abort[IPUSWAP_NR_REASONS];	/* ... ABORT, by reason */
	uint64_t vtime_charges;
	/* Host-written values that failed validation (counted once per value). */
	uint64_t bad_home;		/* home word no transition can produce */
	uint64_t bad_weight;		/* weight outside 1..10000 */
	uint64_t bad_cpus;		/* no allowed CPU below nr_cpus */
	uint64_t bad_cell;		/* undecodable cell word */
	uint64_t no_candidate;		/* a cell wanted work, none fit */
	uint64_t idle_passes;
};

struct fw_sched;

/*
 * Check a header (a local copy) against the window size, derive the layout
 * and check the CPU range cfg asks for. Pure: no window access.
 */
enum fw_sched_hdr_err fw_sched_validate(const struct ipuswap_window_hdr *h,
					size_t win_size,
					const struct fw_sched_cfg *cfg,
					struct ipuswap_layout *l);
const char *fw_sched_hdr_err_str(enum fw_sched_hdr_err e);

/*
 * Read and validate the header through the model, and set up an engine.
 * Returns 0, -EINVAL (*err says why), or -ENOMEM.
 */
int fw_sched_create(struct fw_sched **out, void *win, size_t win_size,
		    struct fw_pcie *pcie, const struct fw_sched_cfg *cfg,
		    enum fw_sched_hdr_err *err);
/*
 * Run the pipeline: reap completions, act on them, issue what can be
 * issued, and wait for the model if nothing else can happen. Returns 1 if
 * it made progress, 0 if idle (nothing outstanding; the caller may sleep
 * up to fw_sched_idle_ns() or until a doorbell), or -ESTALE if the header
 * changed under it (destroy and create again).
 */
int fw_sched_step(struct fw_sched *s);
uint64_t fw_sched_idle_ns(const struct fw_sched *s);
/* Stop issuing new stages and finish every pipeline in flight. */
void fw_sched_drain(struct fw_sched *s);
/* Free the engine; outstanding operations are abandoned, not completed. */
void fw_sched_destroy(struct fw_sched *s);

const struct fw_sched_stats *fw_sched_stats(const struct fw_sched *s);
const struct ipuswap_layout *fw_sched_layout(const struct fw_sched *s);
void fw_sched_stats_add(struct fw_sched_stats *sum, const struct fw_sched_stats *x);

#endif /* IPUSWAP_FW_SCHED_H */
