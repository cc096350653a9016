/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * ipuswap wire format: the layout of the shared window and the doorbell
 * vectors. This is the one definition used by the kernel module, the BPF
 * scheduler and the IPU firmware; nothing else may restate it.
 *
 * The window is a power-of-two sized region of memory both agents map: in
 * the emulated IPU it is the ivshmem-doorbell BAR2 (a memfd the firmware
 * created), on a real IPU it is host memory the IPU reaches over PCIe.
 *
 * Window layout (offsets in bytes):
 *
 *   0x0000  struct ipuswap_window_hdr       one page
 *             +0x000  identity, written once by the firmware at start
 *             +0x040  firmware-written words (liveness, ping answer)
 *             +0x080  host-written words (ping request, host state)
 *   0x1000  swap region, laid out by ipuswap_layout() from its size and
 *           the host's CPU count (hdr.host_nr_cpus):
 *             CPU cells      nr_cpus x struct ipuswap_cpu_cell (64 B each)
 *             task table     nr_tasks x task_stride (struct ipuswap_task
 *                            followed by the allowed-CPU bitmap)
 *   ...     up to hdr.size
 *
 * Every field has exactly one writer, except the swap words (home and cell
 * decision words), which both sides change by compare-and-swap. Fields
 * written by different agents sit on different cache lines so neither
 * side's writes bounce the other's lines more than the protocol needs, with
 * two exceptions: the CPU cell, where a separate line would cost a transfer
 * rather than save one (struct ipuswap_cpu_cell), and a task entry's
 * fw_vtime, a known limit (Documentation/protocol.md).
 */
#ifndef IPUSWAP_WIRE_H
#define IPUSWAP_WIRE_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define IPUSWAP_MAGIC		0x50415753	/* "SWAP" as little-endian bytes */
#define IPUSWAP_WIRE_VERSION	2

#define IPUSWAP_CACHELINE	64
#define IPUSWAP_HDR_SIZE	4096
#define IPUSWAP_WINDOW_MIN	(64ULL * 1024)
#define IPUSWAP_WINDOW_MAX	(1ULL << 30)

/*
 * Doorbell vectors. The same numbers are used in both directions: the host
 * rings firmware vector N, the firmware raises host (MSI-X) vector N. A
 * doorbell only means "look at the window now"; losing one loses nothing.
 */
enum ipuswap_vector {
	IPUSWAP_VEC_CTRL	= 0,	/* ping, host attach/detach notices */
	IPUSWAP_VEC_SCHED	= 1,	/* runqueue work is waiting */
	IPUSWAP_NR_VECTORS	= 2,
};

/* hdr.host_state: what the host driver is doing with the window. */
enum ipuswap_host_state {
	IPUSWAP_HOST_ABSENT	= 0,	/* no driver bound */
	IPUSWAP_HOST_BOUND	= 1,	/* driver bound, no scheduler */
	IPUSWAP_HOST_SCHED	= 2,	/* a scheduler is attached */
};

/* hdr.host_proto: which protocol the attached scheduler speaks. */
enum ipuswap_proto {
	IPUSWAP_PROTO_SWAP	= 0,	/* bilateral swap (home words, cells) */
	IPUSWAP_PROTO_FITO	= 1,	/* Wave-style baseline: events + txns */
	IPUSWAP_NR_PROTOS,
};

/*
 * hdr.host_agent: which agent serves the region. The IPU firmware serves
 * it unless the host asked for the on-host reference, where the same
 * firmware binary runs on a host CPU against the window mapped through the
 * module's character device and the IPU leaves the region alone.
 */
enum ipuswap_agent {
	IPUSWAP_AGENT_IPU	= 0,
	IPUSWAP_AGENT_ONHOST	= 1,
	IPUSWAP_NR_AGENTS,
};

/* hdr.host_fito_flags: Wave's mitigations, each a switch. */
enum ipuswap_fito_flag {
	IPUSWAP_FITO_WC		= 1u << 0,	/* batch events, one doorbell per 64 B */
	IPUSWAP_FITO_PRESTAGE	= 1u << 1,	/* fw keeps a decision ready per CPU */
	IPUSWAP_FITO_PREFETCH	= 1u << 2,	/* fw reads event rings in bulk */
	IPUSWAP_FITO_ABORT	= 1u << 3,	/* host validates at commit time */
	IPUSWAP_FITO_ALL	= (1u << 4) - 1,
};

struct ipuswap_window_hdr {
	/* +0x000: identity; firmware writes once, before setting magic. */
	__u32 magic;
	__u32 version;
	__u64 size;		/* window bytes, a power of two */
	__u32 hdr_size;		/* IPUSWAP_HDR_SIZE */
	__u32 nr_vectors;	/* doorbell vectors the firmware serves */
	__u32 fw_peer_id;	/* doorbell target (ivshmem peer id) */
	__u32 region_offset;	/* swap region start, >= hdr_size */
	__u64 region_size;	/* swap region bytes */
	__u8 pad0[IPUSWAP_CACHELINE - 40];

	/* +0x040: written by the firmware only. */
	__u64 fw_liveness;	/* advanced on every firmware tick */
	__u64 fw_generation;	/* bumped each time the firmware (re)starts */
	__u64 fw_ping_ack;	/* last host_ping_seq answered */
	__u64 fw_tick_ns;	/* period of fw_liveness, nanoseconds */
	__u64 fw_check_ack;	/* last host_check_seq answered */
	__u64 fw_decisions;	/* proposals the firmware made (stats only) */
	__u8 pad1[IPUSWAP_CACHELINE - 48];

	/* +0x080: written by the host only. */
	__u64 host_ping_seq;	/* ping request; answered in fw_ping_ack */
	__u32 host_state;	/* enum ipuswap_host_state */
	__u32 host_nr_cpus;	/* possible CPUs on the host */
	__u64 host_check_seq;	/* wire self-check request (struct ipuswap_check) */
	/* Set before host_state becomes SCHED, constant while it is: */
	__u32 host_proto;	/* enum ipuswap_proto: how the region is used */
	__u32 host_agent;	/* enum ipuswap_agent: who serves the region */
	__u32 host_fito_flags;	/* FITO: enum ipuswap_fito_flag bits */
	__u32 host_attach_seq;	/* bumped by every attach: agents restart */
	__u8 pad2[IPUSWAP_CACHELINE - 40];
};

_Static_assert(sizeof(struct ipuswap_window_hdr) == 3 * IPUSWAP_CACHELINE,
	       "window header layout changed");
_Static_assert(__builtin_offsetof(struct ipuswap_window_hdr, fw_liveness) ==
	       IPUSWAP_CACHELINE, "firmware line moved");
_Static_assert(__builtin_offsetof(struct ipuswap_window_hdr, host_ping_seq) ==
	       2 * IPUSWAP_CACHELINE, "host line moved");
_Static_assert(sizeof(struct ipuswap_window_hdr) <= IPUSWAP_HDR_SIZE,
	       "header does not fit its page");

/*
 * Home words and cell words.
 *
 * Every task the scheduler manages has one 64-bit home word; every CPU has
 * one 64-bit decision word in its cell. A transition is a single
 * compare-and-swap on one of these words (ipuswap_swap.h), so there is no
 * second copy that could go stale.
 *
 *   home word  63........32 31......16 15....8 7.....0
 *              version      location   owner   state
 *   cell word  63........32 31......16 15....8 7.....0
 *              task version task index reason  state
 *
 * The version of a home word advances on every transition. A cell names a
 * task and the home-word version the proposer saw, so a proposal whose task
 * moved since can never be enforced: the commit's CAS expects that version.
 */

/* Task states, named after the phases of the Open Atomic Ethernet swap. */
enum ipuswap_task_state {
	IPUSWAP_TASK_FREE	= 0,	/* slot unused */
	IPUSWAP_TASK_HOST	= 1,	/* known to the host, not runnable */
	IPUSWAP_TASK_QUEUED	= 2,	/* runnable, offered in the shared runqueue */
	IPUSWAP_TASK_PROPOSE	= 3,	/* firmware proposes it for CPU `location` */
	IPUSWAP_TASK_COMMIT	= 4,	/* a host CPU committed it: it runs there */
	IPUSWAP_TASK_NR_STATES,
};

/* Who performed the transition that produced the word. */
enum ipuswap_owner {
	IPUSWAP_OWNER_NONE	= 0,
	IPUSWAP_OWNER_HOST	= 1,
	IPUSWAP_OWNER_FW	= 2,
};

/* Cell (per-CPU decision) states. */
enum ipuswap_cell_state {
	IPUSWAP_CELL_EMPTY	= 0,	/* nothing proposed for this CPU */
	IPUSWAP_CELL_PROPOSE	= 1,	/* firmware: run task `index` at `version` */
	IPUSWAP_CELL_COMMIT	= 2,	/* host took it (reflect + commit) */
	IPUSWAP_CELL_ABORT	= 3,	/* host declined it, `reason` says why */
	IPUSWAP_CELL_NR_STATES,
};

/*
 * Why a transition did not happen. Every abort leaves the word exactly as
 * it was and is counted by reason on the side that saw it. The values are
 * wire format (an ABORT cell carries one); their names are in
 * ipuswap_reason_name(), the only table of them.
 */
enum ipuswap_reason {
	IPUSWAP_OK		= 0,
	IPUSWAP_R_STALE		= 1,	/* the word moved since it was read */
	IPUSWAP_R_STATE		= 2,	/* transition not legal from this state */
	IPUSWAP_R_BAD_INDEX	= 3,	/* task index out of the table */
	IPUSWAP_R_BAD_CPU	= 4,	/* CPU number out of range or not ours */
	IPUSWAP_R_BAD_WORD	= 5,	/* undecodable state/owner combination */
	IPUSWAP_R_NOT_ALLOWED	= 6,	/* CPU not in the task's allowed mask */
	IPUSWAP_R_DECLINED	= 7,	/* the proposal was declined: task QUEUED again */
	IPUSWAP_R_SELF_SERVED	= 8,	/* the host served the task itself */
	/* Host-side outcomes, counted but never written into a cell: */
	IPUSWAP_R_NO_PROPOSAL	= 9,	/* the CPU's cell held no proposal */
	IPUSWAP_R_NO_IPU	= 10,	/* no IPU bound, or no scheduler attached */
	IPUSWAP_R_BAD_ARG	= 11,	/* a kfunc argument is invalid */
	IPUSWAP_R_ELSEWHERE	= 12,	/* proposed to another (online) CPU */
	IPUSWAP_NR_REASONS,
};

#define IPUSWAP_LOC_NONE	0xffffu
#define IPUSWAP_MAX_CPUS	4096u		/* < IPUSWAP_LOC_NONE */
#define IPUSWAP_MAX_TASKS	0xffffu		/* 16-bit task index */
#define IPUSWAP_MIN_TASKS	64u

#define IPUSWAP_HOME(state, owner, loc, ver)				\
	((__u64)(__u8)(state) | (__u64)(__u8)(owner) << 8 |		\
	 (__u64)(__u16)(loc) << 16 | (__u64)(__u32)(ver) << 32)
#define IPUSWAP_HOME_STATE(w)	((__u8)(w))
#define IPUSWAP_HOME_OWNER(w)	((__u8)((w) >> 8))
#define IPUSWAP_HOME_LOC(w)	((__u16)((w) >> 16))
#define IPUSWAP_HOME_VER(w)	((__u32)((w) >> 32))

#define IPUSWAP_CELL(state, reason, idx, ver)				\
	((__u64)(__u8)(state) | (__u64)(__u8)(reason) << 8 |		\
	 (__u64)(__u16)(idx) << 16 | (__u64)(__u32)(ver) << 32)
#define IPUSWAP_CELL_STATE(w)	((__u8)(w))
#define IPUSWAP_CELL_REASON(w)	((__u8)((w) >> 8))
#define IPUSWAP_CELL_IDX(w)	((__u16)((w) >> 16))
#define IPUSWAP_CELL_VER(w)	((__u32)((w) >> 32))

/*
 * One cache line per CPU, written by both sides: the exception to "one
 * writer per line" above. `decision` is CAS'd by both, so every swap moves
 * the line between them whatever else shares it. The host bumps host_taken
 * or host_self right after its own CAS on `decision`, while it holds the
 * line anyway; they are statistics for diagnostics that no engine reads.
 * fito_gen is written by the FITO firmware just before the decision it
 * qualifies (the host zeroes it at attach, before the firmware serves), and
 * the host reads the two together at commit. Moving the counters or
 * fito_gen to lines of their own would add a line transfer per dispatch.
 */
struct ipuswap_cpu_cell {
	__u64 decision;		/* cell word; fw proposes, host commits/aborts */
	__u64 host_taken;	/* host: decisions committed on this CPU */
	__u64 host_self;	/* host: tasks this CPU served itself */
	__u64 fito_gen;		/* FITO: fw_generation of the decision */
	__u8 pad[IPUSWAP_CACHELINE - 32];
};

/*
 * A task table entry; `cpus` (the allowed-CPU bitmap, host-written) has
 * layout.cpu_words words. Attributes are written by the host only while it
 * owns the task (state HOST or COMMIT, or after a retract); the version in
 * the home word tells the firmware whether what it read is still current.
 */
struct ipuswap_task {
	__u64 home;		/* home word */
	__u32 pid;		/* host: for diagnostics only, never trusted back */
	__u32 weight;		/* host: sched_ext weight (1..10000) */
	__u64 runtime_ns;	/* host: runtime account */
	__u64 fw_vtime;		/* firmware: policy state, kept here so a
				 * restarted firmware recovers from the window
				 */
	__u64 cpus[];		/* host: allowed CPUs */
};

struct ipuswap_layout {
	__u32 nr_cpus;
	__u32 cpu_words;	/* __u64 words in a task's CPU bitmap */
	__u32 task_stride;	/* bytes per task entry, cache-line multiple */
	__u32 nr_tasks;
	__u64 cells_offset;	/* from the window start */
	__u64 tasks_offset;
};

_Static_assert(sizeof(struct ipuswap_cpu_cell) == IPUSWAP_CACHELINE,
	       "cell is one cache line");
_Static_assert(sizeof(struct ipuswap_task) == 32, "task entry head changed");

/*
 * Both sides derive the same layout from the header; returns 0, or -1 if
 * the CPU count is out of range or the region cannot hold
 * IPUSWAP_MIN_TASKS tasks for this many CPUs.
 */
static inline int ipuswap_layout(__u64 region_offset, __u64 region_size,
				 __u32 nr_cpus, struct ipuswap_layout *l)
{
	__u64 cells, per_task, n;

	if (nr_cpus == 0 || nr_cpus > IPUSWAP_MAX_CPUS)
		return -1;
	l->nr_cpus = nr_cpus;
	l->cpu_words = (nr_cpus + 63) / 64;
	per_task = sizeof(struct ipuswap_task) + 8ULL * l->cpu_words;
	l->task_stride = (__u32)((per_task + IPUSWAP_CACHELINE - 1) &
				 ~(__u64)(IPUSWAP_CACHELINE - 1));
	cells = (__u64)nr_cpus * sizeof(struct ipuswap_cpu_cell);
	if (cells > region_size)
		return -1;
	n = (region_size - cells) / l->task_stride;
	if (n > IPUSWAP_MAX_TASKS)
		n = IPUSWAP_MAX_TASKS;
	if (n < IPUSWAP_MIN_TASKS)
		return -1;
	l->nr_tasks = (__u32)n;
	l->cells_offset = region_offset;
	l->tasks_offset = region_offset + cells;
	return 0;
}


/*
 * The FITO baseline (DESIGN.md §4): Wave/ghOSt's one-way messages, run on
 * the same window so the two models can be measured side by side.
 *
 * Region layout when hdr.host_proto is FITO (ipuswap_fito_layout()):
 *
 *   rings     nr_cpus x struct ipuswap_fito_ring: one host -> firmware
 *             event ring per host CPU (single producer: that CPU)
 *   cells     nr_cpus x struct ipuswap_cpu_cell: `decision` is the CPU's
 *             transaction slot (cell encoding; the version field carries
 *             the task barrier the firmware saw), fito_gen the firmware
 *             generation that wrote it
 *   tasks     as in ipuswap_layout(), on what is left
 *
 * Host -> firmware: an event describes what happened to a task (or CPU)
 * and carries the task's barrier, a host-owned counter bumped by every
 * event about that task. An entry is published by writing its seq (ring
 * position + 1) last; the firmware reads entries until it finds one whose
 * seq is not the next it expects, and reports progress in fw_tail.
 *
 * Firmware -> host: a decision is a plain (posted) write of
 * CELL(PROPOSE, 0, task, barrier) into the CPU's slot, made only when the
 * slot does not hold a PROPOSE. The host answers with one CAS to COMMIT or
 * ABORT(reason). Unlike the swap, the decision is a copy of the firmware's
 * view: by the time the host reads it the task may have moved on, so with
 * IPUSWAP_FITO_ABORT the host validates it against the barrier, and
 * without it enforces it anyway (and counts that).
 */
enum ipuswap_fito_event_type {
	IPUSWAP_EV_NONE		= 0,
	IPUSWAP_EV_RUNNABLE	= 1,	/* task queued on the host (cpu: hint) */
	IPUSWAP_EV_BLOCKED	= 2,	/* task left the runqueue without a decision */
	IPUSWAP_EV_SERVED	= 3,	/* the host ran the task without a decision */
	IPUSWAP_EV_DEAD		= 4,	/* slot released */
	IPUSWAP_EV_ATTR		= 5,	/* weight/affinity changed (flags: runnable) */
	IPUSWAP_EV_CPU_IDLE	= 6,	/* CPU `cpu` asks for a decision */
	IPUSWAP_NR_EV_TYPES,
};

#define IPUSWAP_EV_F_RUNNABLE	1u	/* ATTR: the task is (still) queued */

struct ipuswap_fito_event {
	__u32 seq;		/* ring position + 1; written last */
	__u8 type;		/* enum ipuswap_fito_event_type */
	__u8 flags;
	__u16 idx;		/* task slot */
	__u32 barrier;		/* the task's barrier after this event */
	__u32 weight;
	__u32 cpu;		/* RUNNABLE: hint; CPU_IDLE: the CPU */
	__u32 pad;
	__u64 cpus;		/* allowed CPUs 0..63 (commit checks the rest) */
};

#define IPUSWAP_FITO_RING_SLOTS	256	/* power of two */
#define IPUSWAP_FITO_EV_PER_REC	(IPUSWAP_CACHELINE / sizeof(struct ipuswap_fito_event))

struct ipuswap_fito_ring {
	__u64 host_head;	/* host: events produced (stats only) */
	__u64 host_doorbells;	/* host: doorbells rung for this ring */
	__u8 pad0[IPUSWAP_CACHELINE - 16];
	__u64 fw_tail;		/* firmware: events consumed */
	__u8 pad1[IPUSWAP_CACHELINE - 8];
	struct ipuswap_fito_event ev[IPUSWAP_FITO_RING_SLOTS];
};

_Static_assert(sizeof(struct ipuswap_fito_event) * 2 == IPUSWAP_CACHELINE,
	       "two events per 64-byte record");
_Static_assert(sizeof(struct ipuswap_fito_ring) % IPUSWAP_CACHELINE == 0,
	       "rings are cache-line multiples");

/*
 * Why the host refused a FITO transaction (ghOSt's commit failures), in
 * the reason field of an ABORT answer; numbered after enum ipuswap_reason.
 */
enum ipuswap_fito_reason {
	IPUSWAP_R_TARGET_STALE	= IPUSWAP_NR_REASONS,	/* barrier moved */
	IPUSWAP_R_AGENT_STALE,		/* written by an earlier firmware run */
	IPUSWAP_R_NOT_RUNNABLE,		/* task not queued on the host */
	/* Host-side outcome, never written into a slot: */
	IPUSWAP_R_RING_FULL,		/* event not posted, the ring was full */
	IPUSWAP_NR_FITO_REASONS,
};

#ifndef __bpf__
/* The name of a reason of either protocol; "?" for any other value. */
static inline const char *ipuswap_reason_name(unsigned int r)
{
	static const char *const names[IPUSWAP_NR_FITO_REASONS] = {
		[IPUSWAP_OK] = "ok",
		[IPUSWAP_R_STALE] = "stale",
		[IPUSWAP_R_STATE] = "state",
		[IPUSWAP_R_BAD_INDEX] = "bad_index",
		[IPUSWAP_R_BAD_CPU] = "bad_cpu",
		[IPUSWAP_R_BAD_WORD] = "bad_word",
		[IPUSWAP_R_NOT_ALLOWED] = "not_allowed",
		[IPUSWAP_R_DECLINED] = "declined",
		[IPUSWAP_R_SELF_SERVED] = "self_served",
		[IPUSWAP_R_NO_PROPOSAL] = "no_proposal",
		[IPUSWAP_R_NO_IPU] = "no_ipu",
		[IPUSWAP_R_BAD_ARG] = "bad_arg",
		[IPUSWAP_R_ELSEWHERE] = "elsewhere",
		[IPUSWAP_R_TARGET_STALE] = "target_stale",
		[IPUSWAP_R_AGENT_STALE] = "agent_stale",
		[IPUSWAP_R_NOT_RUNNABLE] = "not_runnable",
		[IPUSWAP_R_RING_FULL] = "ring_full",
	};

	return r < IPUSWAP_NR_FITO_REASONS && names[r] ? names[r] : "?";
}

/* The name of a home word's state; "?" for any other value. */
static inline const char *ipuswap_task_state_name(unsigned int st)
{
	static const char *const names[IPUSWAP_TASK_NR_STATES] = {
		[IPUSWAP_TASK_FREE] = "FREE",
		[IPUSWAP_TASK_HOST] = "HOST",
		[IPUSWAP_TASK_QUEUED] = "QUEUED",
		[IPUSWAP_TASK_PROPOSE] = "PROPOSE",
		[IPUSWAP_TASK_COMMIT] = "COMMIT",
	};

	return st < IPUSWAP_TASK_NR_STATES ? names[st] : "?";
}

/* The name of a home word's owner; "?" for any other value. */
static inline const char *ipuswap_owner_name(unsigned int o)
{
	static const char *const names[IPUSWAP_OWNER_FW + 1] = {
		[IPUSWAP_OWNER_NONE] = "none",
		[IPUSWAP_OWNER_HOST] = "host",
		[IPUSWAP_OWNER_FW] = "fw",
	};

	return o <= IPUSWAP_OWNER_FW ? names[o] : "?";
}
#endif

static inline int ipuswap_fito_layout(__u64 region_offset, __u64 region_size,
				      __u32 nr_cpus, __u64 *rings_offset,
				      struct ipuswap_layout *l)
{
	__u64 rings = (__u64)nr_cpus * sizeof(struct ipuswap_fito_ring);

	if (nr_cpus == 0 || nr_cpus > IPUSWAP_MAX_CPUS || rings >= region_size)
		return -1;
	*rings_offset = region_offset;
	return ipuswap_layout(region_offset + rings, region_size - rings, nr_cpus, l);
}

static inline struct ipuswap_fito_ring *
ipuswap_fito_ring_at(void *window, __u64 rings_offset, __u32 cpu)
{
	return (struct ipuswap_fito_ring *)((char *)window + rings_offset) + cpu;
}

/*
 * Wire self-check. With no scheduler attached, the host may borrow the
 * start of the swap region (hdr.region_offset) for a struct ipuswap_check, fill host_words with
 * sample words, and bump hdr.host_check_seq. The firmware decodes every
 * host word with its own build of this header, encodes the same samples
 * itself, reports the layout and struct geometry it was compiled with, and
 * answers in hdr.fw_check_ack. The host then compares: the two builds of
 * this header must agree bit for bit.
 */
#define IPUSWAP_CHECK_WORDS	128

struct ipuswap_check_decoded {
	__u32 version;
	__u16 loc_or_idx;
	__u8 state;
	__u8 owner_or_reason;
	__u8 home_valid;	/* ipuswap_home_valid(word, nr_cpus) */
	__u8 cell_valid;	/* ipuswap_cell_valid(word, nr_tasks) */
	__u8 pad[6];
};

struct ipuswap_check {
	__u32 nr_words;					/* host */
	__u32 nr_cpus;					/* host: for validity */
	__u32 nr_tasks;					/* host: for validity */
	__u32 pad;
	__u64 host_words[IPUSWAP_CHECK_WORDS];		/* host */
	struct ipuswap_check_decoded fw_decoded[IPUSWAP_CHECK_WORDS];	/* fw */
	__u64 fw_words[IPUSWAP_CHECK_WORDS];		/* fw: its encodings */
	struct ipuswap_layout fw_layout;		/* fw: from hdr fields */
	__u32 fw_sizes[8];				/* fw: sizeof/offsetof */
};

/*
 * Sample i for the self-check: even samples are home words, odd ones cell
 * words; fields sweep every state, owner/reason and edge values. Both sides
 * derive the same fields from i.
 */
static inline __u64 ipuswap_check_sample(__u32 i)
{
	static const __u32 vers[] = { 0, 1, 0x7fffffffu, 0xffffffffu };
	static const __u16 locs[] = { 0, 1, 0xfffeu, IPUSWAP_LOC_NONE };
	__u32 k = i / 2;

	if (i % 2 == 0)
		return IPUSWAP_HOME(k % 6, (k / 6) % 4, locs[(k / 24) % 4], vers[k % 4]);
	return IPUSWAP_CELL(k % 5, (k / 5) % 10, locs[(k / 50) % 4], vers[(k + 1) % 4]);
}

/* The geometry a build of this header was compiled with. */
static inline void ipuswap_check_sizes(__u32 sizes[8])
{
	sizes[0] = sizeof(struct ipuswap_window_hdr);
	sizes[1] = __builtin_offsetof(struct ipuswap_window_hdr, fw_check_ack);
	sizes[2] = __builtin_offsetof(struct ipuswap_window_hdr, host_check_seq);
	sizes[3] = sizeof(struct ipuswap_cpu_cell);
	sizes[4] = sizeof(struct ipuswap_task);
	sizes[5] = sizeof(struct ipuswap_layout);
	sizes[6] = sizeof(struct ipuswap_check);
	sizes[7] = IPUSWAP_WIRE_VERSION;
}

/*
 * The header, checked and written once for every agent.
 *
 * ipuswap_hdr_check() is what every reader of a header requires of it
 * before using anything in it (the module at probe, the firmware's engines,
 * the on-host agent). It is pure: callers pass a copy they read once
 * (ipuswap_hdr_read() in ipuswap_atomic.h), so a firmware changing the
 * window meanwhile cannot make the copy pass and the window differ. It
 * returns the first bad field; each caller adds its own context on top
 * (MSI-X vectors, peer ids, host_state, the layout for its CPU count).
 * @win_size is the size the caller mapped; a caller that has not mapped the
 * whole window yet passes h->size.
 */
#define IPUSWAP_MAX_VECTORS	64	/* doorbells are reported as a u64 bitmask */

enum ipuswap_hdr_fault {
	IPUSWAP_HF_OK		= 0,
	IPUSWAP_HF_MAGIC	= 1,
	IPUSWAP_HF_VERSION	= 2,
	IPUSWAP_HF_SIZE		= 3,	/* not a valid window size, or not the mapped one */
	IPUSWAP_HF_HDR_SIZE	= 4,
	IPUSWAP_HF_VECTORS	= 5,
	IPUSWAP_HF_REGION	= 6,	/* misaligned or outside the window */
	IPUSWAP_NR_HF,
};

/* A window is a power of two from IPUSWAP_WINDOW_MIN to IPUSWAP_WINDOW_MAX. */
static inline int ipuswap_window_size_ok(__u64 size)
{
	return size >= IPUSWAP_WINDOW_MIN && size <= IPUSWAP_WINDOW_MAX &&
	       !(size & (size - 1));
}

static inline enum ipuswap_hdr_fault
ipuswap_hdr_check(const struct ipuswap_window_hdr *h, __u64 win_size)
{
	if (h->magic != IPUSWAP_MAGIC)
		return IPUSWAP_HF_MAGIC;
	if (h->version != IPUSWAP_WIRE_VERSION)
		return IPUSWAP_HF_VERSION;
	if (h->size != win_size || !ipuswap_window_size_ok(h->size))
		return IPUSWAP_HF_SIZE;
	if (h->hdr_size != IPUSWAP_HDR_SIZE)
		return IPUSWAP_HF_HDR_SIZE;
	if (h->nr_vectors < IPUSWAP_NR_VECTORS || h->nr_vectors > IPUSWAP_MAX_VECTORS)
		return IPUSWAP_HF_VECTORS;
	/* Misaligned words would make every CAS a split lock (or a fault). */
	if (h->region_offset < IPUSWAP_HDR_SIZE || h->region_offset % IPUSWAP_CACHELINE ||
	    h->region_offset > h->size || h->region_size > h->size - h->region_offset)
		return IPUSWAP_HF_REGION;
	return IPUSWAP_HF_OK;
}

#ifndef __bpf__
/* Names start with the field, as "window refused: ..." lines quote them. */
static inline const char *ipuswap_hdr_fault_name(unsigned int f)
{
	static const char *const names[IPUSWAP_NR_HF] = {
		[IPUSWAP_HF_OK] = "ok",
		[IPUSWAP_HF_MAGIC] = "bad magic",
		[IPUSWAP_HF_VERSION] = "wire version mismatch",
		[IPUSWAP_HF_SIZE] = "header size does not match the window",
		[IPUSWAP_HF_HDR_SIZE] = "header hdr_size is not IPUSWAP_HDR_SIZE",
		[IPUSWAP_HF_VECTORS] = "firmware vector count out of range",
		[IPUSWAP_HF_REGION] = "swap region misaligned or outside the window",
	};

	return f < IPUSWAP_NR_HF ? names[f] : "?";
}
#endif

/*
 * The identity a firmware publishes, all but magic: the writer stores
 * magic last, with release (and clears it first when it rewrites the
 * header), so a reader never sees a valid magic beside half-written fields.
 * The whole window after the header page is the swap region.
 */
static inline void ipuswap_hdr_init(struct ipuswap_window_hdr *h, __u64 size,
				    __u32 nr_vectors, __u32 fw_peer_id)
{
	h->version = IPUSWAP_WIRE_VERSION;
	h->size = size;
	h->hdr_size = IPUSWAP_HDR_SIZE;
	h->nr_vectors = nr_vectors;
	h->fw_peer_id = fw_peer_id;
	h->region_offset = IPUSWAP_HDR_SIZE;
	h->region_size = size - IPUSWAP_HDR_SIZE;
}

/*
 * Must an engine serving the region start over? It was set up from header
 * @was; @now is a later copy. Yes if the layout's inputs moved, or the host
 * attached again (host_attach_seq) or changed what it asked for (protocol,
 * agent, FITO switches, CPU count) or left SCHED.
 */
static inline int ipuswap_hdr_restarts(const struct ipuswap_window_hdr *was,
				       const struct ipuswap_window_hdr *now)
{
	return was->magic != now->magic || was->version != now->version ||
	       was->size != now->size || was->region_offset != now->region_offset ||
	       was->region_size != now->region_size ||
	       was->host_state != now->host_state ||
	       was->host_nr_cpus != now->host_nr_cpus ||
	       was->host_proto != now->host_proto ||
	       was->host_agent != now->host_agent ||
	       was->host_fito_flags != now->host_fito_flags ||
	       was->host_attach_seq != now->host_attach_seq;
}

#endif /* IPUSWAP_WIRE_H */
