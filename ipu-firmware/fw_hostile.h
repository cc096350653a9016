/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * --fault hostile: a firmware that keeps serving but also lies. Every lie
 * is well-formed (it passes the host's form checks, ipuswap_home_valid()
 * and ipuswap_cell_valid()), so only the host's own truth can catch it.
 * The lies come from a seeded PRNG: the same seed on the same window gives
 * the same lies, so a run that found something can be replayed.
 *
 * Two kinds of lie:
 *  - swap words (home words, cells): persistent; the host has to repair
 *    them (ipuswap_host.h), the firmware never puts them back;
 *  - everything else (header fields, FITO ring tails): transient; the next
 *    fw_hostile_restore() puts the true value back, by CAS, so the lying
 *    firmware's own engine keeps serving and a value the host wrote
 *    meanwhile is never overwritten.
 * The core asks for an interrupt flood through fw_hostile_lie()'s return.
 */
#ifndef IPUSWAP_FW_HOSTILE_H
#define IPUSWAP_FW_HOSTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ipuswap_wire.h"

#define FW_HOSTILE_FLOOD_S	2.0	/* one flood raises every vector this long */
#define FW_HOSTILE_FLOOD_GAP_S	4.0	/* and starts at most this often */
#define FW_HOSTILE_PENDING	4	/* transient lies awaiting restore */

/* What one lie wrote, for the log and the tests. */
enum fw_hostile_where {
	FW_HW_NONE,		/* nothing written (no slot in use, wrong protocol) */
	FW_HW_HOME,		/* a home word: `val` passes ipuswap_home_valid() */
	FW_HW_CELL,		/* a cell word: `val` passes ipuswap_cell_valid() */
	FW_HW_HDR,		/* a header field (transient) */
	FW_HW_TAIL,		/* a FITO ring's fw_tail (transient) */
	FW_HW_FITO_GEN,		/* a cell's fito_gen (FITO) */
	FW_HW_FLOOD,		/* the core should flood interrupts */
};

struct fw_hostile_lie {
	unsigned int family;	/* index into the family table */
	enum fw_hostile_where where;
	uint64_t off;		/* byte offset of the word in the window */
	uint64_t val;		/* what was written */
	bool cas;		/* written by CAS (racing the host) */
	bool written;		/* false: the CAS lost, nothing changed */
	/* A second word the same lie wrote (a cell after its home word), or NONE. */
	enum fw_hostile_where where2;
	uint64_t off2, val2;
};

struct fw_hostile_pending {
	void *p;
	unsigned int size;	/* 4 or 8 */
	uint64_t truth, lie;
};

struct fw_hostile {
	uint64_t seed;
	uint64_t rng;
	uint64_t lies[16];	/* per family: lies written */
	uint64_t total;
	uint32_t slots[128];	/* task slots seen in use */
	unsigned int nr_slots;
	uint32_t scan;		/* next slot to look at */
	uint32_t hi;		/* highest slot seen in use */
	double last_flood;	/* seconds (caller's clock) of the last flood */
	unsigned int nr_pending;
	struct fw_hostile_pending pending[FW_HOSTILE_PENDING];
};

void fw_hostile_init(struct fw_hostile *h, uint64_t seed);

/*
 * Write one lie into the window @win of @win_size bytes (its header says
 * which protocol and CPU count the host attached with). @now_s is the
 * caller's clock, in seconds, for the flood's rate. Puts back the previous
 * transient lies first. Returns what was written in *@out; true if the
 * caller should start an interrupt flood.
 */
bool fw_hostile_lie(struct fw_hostile *h, void *win, size_t win_size, double now_s,
		    struct fw_hostile_lie *out);

/* Put back every transient lie still in place (the caller reads them next). */
void fw_hostile_restore(struct fw_hostile *h);

unsigned int fw_hostile_nr_families(void);
const char *fw_hostile_family_name(unsigned int family);

/* "N lies: forge_home=..., ..." for the exit log. */
void fw_hostile_report(const struct fw_hostile *h, char *buf, size_t size);

#endif /* IPUSWAP_FW_HOSTILE_H */
