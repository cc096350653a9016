// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The lies of --fault hostile (fw_hostile.h), one small function per
 * family in the table below. A family reads what it needs from the window
 * like an engine would, builds a word the protocol's form checks accept,
 * and writes it (plainly, or by CAS to race the host on the same word).
 * It never touches anything outside the layout the header describes.
 */
#include <stdio.h>
#include <string.h>

#include "ipuswap_atomic.h"
#include "ipuswap_swap.h"
#include "fw_hostile.h"

#define PROTO_SWAP	(1u << IPUSWAP_PROTO_SWAP)
#define PROTO_FITO	(1u << IPUSWAP_PROTO_FITO)

/* What every family gets: the window as the header says it is laid out. */
struct lie_ctx {
	struct fw_hostile *h;
	char *win;
	struct ipuswap_window_hdr *hdr;
	uint32_t proto;
	struct ipuswap_layout l;
	__u64 rings_off;	/* FITO */
	struct fw_hostile_lie *out;
};

/* xorshift64*, seeded through splitmix64 so that any seed (even 0) works. */
static uint64_t rnd(struct fw_hostile *h)
{
	uint64_t x = h->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	h->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint32_t rnd_below(struct fw_hostile *h, uint32_t n)
{
	return n ? (uint32_t)(rnd(h) % n) : 0;
}

void fw_hostile_init(struct fw_hostile *h, uint64_t seed)
{
	uint64_t z = seed + 0x9e3779b97f4a7c15ULL;

	memset(h, 0, sizeof(*h));
	h->seed = seed;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	h->rng = (z ^ (z >> 31)) | 1;
	h->last_flood = -1e9;
}

static struct ipuswap_task *task_at(struct lie_ctx *c, uint32_t idx)
{
	return ipuswap_task_at(c->win, &c->l, idx);
}

static struct ipuswap_cpu_cell *cell_at(struct lie_ctx *c, uint32_t cpu)
{
	return ipuswap_cell_at(c->win, &c->l, cpu);
}

/*
 * Remember task slots in use: in the swap, slots whose home word is not
 * FREE (a bounded scan per lie); in FITO, slots the host's events named.
 */
static void learn_slots(struct lie_ctx *c)
{
	struct fw_hostile *h = c->h;
	uint32_t i, idx;

	if (c->proto == IPUSWAP_PROTO_SWAP) {
		for (i = 0; i < 64; i++) {
			idx = h->scan++ % c->l.nr_tasks;
			if (IPUSWAP_HOME_STATE(ipuswap_load(&task_at(c, idx)->home)) ==
			    IPUSWAP_TASK_FREE)
				continue;
			h->slots[h->nr_slots++ % 128] = idx;
			if (idx > h->hi)
				h->hi = idx;
		}
		/* The host allocates from the bottom: skip the empty top of the table. */
		if (h->scan >= c->l.nr_tasks || h->scan > h->hi + 1024)
			h->scan = 0;
		return;
	}
	for (i = 0; i < 8; i++) {
		struct ipuswap_fito_ring *r =
			ipuswap_fito_ring_at(c->win, c->rings_off, rnd_below(h, c->l.nr_cpus));
		struct ipuswap_fito_event *ev = &r->ev[rnd_below(h, IPUSWAP_FITO_RING_SLOTS)];

		if (ipuswap_load_relaxed(&ev->type) != IPUSWAP_EV_RUNNABLE)
			continue;
		idx = ipuswap_load_relaxed(&ev->idx);
		if (idx < c->l.nr_tasks)
			h->slots[h->nr_slots++ % 128] = idx;
	}
}

/* A slot in use, or false if none was seen yet. */
static bool pick_slot(struct lie_ctx *c, uint32_t *idx)
{
	uint32_t n = c->h->nr_slots < 128 ? c->h->nr_slots : 128;

	if (!n)
		return false;
	*idx = c->h->slots[rnd_below(c->h, n)];
	return true;
}

static void wrote(struct lie_ctx *c, enum fw_hostile_where where, void *p, uint64_t val,
		  bool cas, bool ok)
{
	if (c->out->where != FW_HW_NONE && c->out->written) {
		c->out->where2 = where;
		c->out->off2 = (uint64_t)((char *)p - c->win);
		c->out->val2 = val;
		return;
	}
	c->out->where = where;
	c->out->off = (uint64_t)((char *)p - c->win);
	c->out->val = val;
	c->out->cas = cas;
	c->out->written = ok;
}

static void store_word(struct lie_ctx *c, enum fw_hostile_where where, __u64 *p, uint64_t val)
{
	ipuswap_store_relaxed(p, val);
	wrote(c, where, p, val, false, true);
}

static void cas_word(struct lie_ctx *c, enum fw_hostile_where where, __u64 *p, __u64 old,
		     uint64_t val)
{
	wrote(c, where, p, val, true, ipuswap_cas(p, &old, val));
}

/* A transient lie: the true value goes back at the next restore. */
static void lie_transient(struct lie_ctx *c, enum fw_hostile_where where, void *p,
			  unsigned int size, uint64_t val)
{
	struct fw_hostile_pending *pd;
	uint64_t truth;

	if (c->h->nr_pending == FW_HOSTILE_PENDING)
		return;
	if (size == 4) {
		truth = __atomic_load_n((uint32_t *)p, __ATOMIC_ACQUIRE);
		val = (uint32_t)val;
		if (val == truth)
			val ^= 1;
		__atomic_store_n((uint32_t *)p, (uint32_t)val, __ATOMIC_RELEASE);
	} else {
		truth = __atomic_load_n((uint64_t *)p, __ATOMIC_ACQUIRE);
		if (val == truth)
			val ^= 1;
		__atomic_store_n((uint64_t *)p, val, __ATOMIC_RELEASE);
	}
	pd = &c->h->pending[c->h->nr_pending++];
	pd->p = p;
	pd->size = size;
	pd->truth = truth;
	pd->lie = val;
	wrote(c, where, p, val, false, true);
}

void fw_hostile_restore(struct fw_hostile *h)
{
	unsigned int i;

	/* Newest first, in case two lies hit one field. */
	for (i = h->nr_pending; i-- > 0;) {
		struct fw_hostile_pending *pd = &h->pending[i];

		if (pd->size == 4) {
			uint32_t want = (uint32_t)pd->lie;

			__atomic_compare_exchange_n((uint32_t *)pd->p, &want, (uint32_t)pd->truth,
						    false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		} else {
			uint64_t want = pd->lie;

			__atomic_compare_exchange_n((uint64_t *)pd->p, &want, pd->truth, false,
						    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
		}
	}
	h->nr_pending = 0;
}

/* A version the host might believe: a little past @v. */
static uint32_t near_version(struct lie_ctx *c, uint32_t v)
{
	return v + 1 + rnd_below(c->h, 3);
}

static uint16_t any_cpu(struct lie_ctx *c)
{
	return (uint16_t)rnd_below(c->h, c->l.nr_cpus);
}

/* A CPU the task may not use, if a few tries find one; else any CPU. */
static uint16_t disallowed_cpu(struct lie_ctx *c, uint32_t idx)
{
	const __u64 *cpus = task_at(c, idx)->cpus;
	uint16_t cpu = any_cpu(c);
	int tries;

	for (tries = 0; tries < 8; tries++) {
		if (!(ipuswap_load_relaxed(&cpus[cpu / 64]) & (1ULL << (cpu % 64))))
			break;
		cpu = any_cpu(c);
	}
	return cpu;
}

/* ---- the families ---------------------------------------------------------- */

/* Any state and a legal owner for it, over a slot in use, a version ahead. */
static void lie_forge_home(struct lie_ctx *c)
{
	static const uint8_t owners[][2] = {
		[IPUSWAP_TASK_FREE] = { IPUSWAP_OWNER_HOST, IPUSWAP_OWNER_NONE },
		[IPUSWAP_TASK_HOST] = { IPUSWAP_OWNER_HOST, IPUSWAP_OWNER_HOST },
		[IPUSWAP_TASK_QUEUED] = { IPUSWAP_OWNER_HOST, IPUSWAP_OWNER_FW },
		[IPUSWAP_TASK_PROPOSE] = { IPUSWAP_OWNER_FW, IPUSWAP_OWNER_FW },
		[IPUSWAP_TASK_COMMIT] = { IPUSWAP_OWNER_HOST, IPUSWAP_OWNER_HOST },
	};
	uint8_t st = (uint8_t)rnd_below(c->h, IPUSWAP_TASK_NR_STATES);
	uint16_t loc = IPUSWAP_LOC_NONE;
	uint32_t idx;
	__u64 *home;

	if (!pick_slot(c, &idx))
		return;
	home = &task_at(c, idx)->home;
	if (st >= IPUSWAP_TASK_PROPOSE || (st == IPUSWAP_TASK_QUEUED && rnd_below(c->h, 2)))
		loc = any_cpu(c);
	store_word(c, FW_HW_HOME, home,
		   IPUSWAP_HOME(st, owners[st][rnd_below(c->h, 2)], loc,
				near_version(c, IPUSWAP_HOME_VER(ipuswap_load(home)))));
}

/*
 * Stage a queued task for a CPU it may not use; half the time also
 * propose it in that CPU's cell, half the time leave no cell at all.
 */
static void lie_propose_bad_cpu(struct lie_ctx *c)
{
	uint32_t idx;
	uint64_t w, next;
	uint16_t cpu;

	if (!pick_slot(c, &idx))
		return;
	w = ipuswap_load(&task_at(c, idx)->home);
	if (IPUSWAP_HOME_STATE(w) != IPUSWAP_TASK_QUEUED || !ipuswap_home_valid(w, c->l.nr_cpus))
		return;
	cpu = disallowed_cpu(c, idx);
	next = IPUSWAP_HOME(IPUSWAP_TASK_PROPOSE, IPUSWAP_OWNER_FW, cpu, IPUSWAP_HOME_VER(w) + 1);
	cas_word(c, FW_HW_HOME, &task_at(c, idx)->home, w, next);
	if (c->out->written && rnd_below(c->h, 2))
		store_word(c, FW_HW_CELL, &cell_at(c, cpu)->decision,
			   IPUSWAP_CELL(IPUSWAP_CELL_PROPOSE, IPUSWAP_OK, idx,
					IPUSWAP_HOME_VER(next)));
}

/*
 * A cell word in any state naming a slot in use that was not staged for
 * this CPU, at a version near the task's (in FITO: a decision for a task
 * the firmware never decided on, sometimes from an older firmware run).
 */
static void lie_cell_wrong_slot(struct lie_ctx *c)
{
	static const uint8_t states[] = { IPUSWAP_CELL_PROPOSE, IPUSWAP_CELL_PROPOSE,
					  IPUSWAP_CELL_COMMIT, IPUSWAP_CELL_ABORT,
					  IPUSWAP_CELL_EMPTY };
	uint8_t st = states[rnd_below(c->h, sizeof(states))], reason = IPUSWAP_OK;
	uint16_t cpu = any_cpu(c);
	uint32_t idx, ver;

	if (!pick_slot(c, &idx))
		return;
	if (c->proto == IPUSWAP_PROTO_FITO) {
		st = IPUSWAP_CELL_PROPOSE;
		ver = rnd_below(c->h, 64);
		if (rnd_below(c->h, 4) == 0) {
			uint64_t gen = ipuswap_load_relaxed(&c->hdr->fw_generation);

			store_word(c, FW_HW_FITO_GEN, &cell_at(c, cpu)->fito_gen, gen - 1);
		}
	} else {
		ver = near_version(c, IPUSWAP_HOME_VER(ipuswap_load(&task_at(c, idx)->home))) - 2;
	}
	if (st == IPUSWAP_CELL_ABORT)
		reason = 1 + rnd_below(c->h, IPUSWAP_R_SELF_SERVED);
	if (st == IPUSWAP_CELL_EMPTY)
		idx = 0;
	store_word(c, FW_HW_CELL, &cell_at(c, cpu)->decision, IPUSWAP_CELL(st, reason, idx, ver));
}

/* The word as it is, its version rolled back or jumped far ahead. */
static void lie_version_skew(struct lie_ctx *c)
{
	uint32_t idx, ver;
	uint64_t w;

	if (!pick_slot(c, &idx))
		return;
	w = ipuswap_load(&task_at(c, idx)->home);
	if (!ipuswap_home_valid(w, c->l.nr_cpus) || IPUSWAP_HOME_STATE(w) == IPUSWAP_TASK_FREE)
		return;
	ver = IPUSWAP_HOME_VER(w);
	if (rnd_below(c->h, 2))
		ver -= 1 + rnd_below(c->h, 4);
	else
		ver += 1u << rnd_below(c->h, 31);
	store_word(c, FW_HW_HOME, &task_at(c, idx)->home, (w & 0xffffffffULL) | (uint64_t)ver << 32);
}

/*
 * A CAS on a word the host is about to move, to the successor some legal
 * transition would write, by the wrong side or out of turn: stage to any
 * CPU, decline, a stop or an enqueue the host never did.
 */
static void lie_race_cas(struct lie_ctx *c)
{
	uint32_t idx, v;
	uint64_t w, next;

	if (!pick_slot(c, &idx))
		return;
	w = ipuswap_load(&task_at(c, idx)->home);
	if (!ipuswap_home_valid(w, c->l.nr_cpus))
		return;
	v = IPUSWAP_HOME_VER(w) + 1;
	switch (IPUSWAP_HOME_STATE(w)) {
	case IPUSWAP_TASK_QUEUED:
		next = IPUSWAP_HOME(IPUSWAP_TASK_PROPOSE, IPUSWAP_OWNER_FW, any_cpu(c), v);
		break;
	case IPUSWAP_TASK_PROPOSE:
		next = IPUSWAP_HOME(IPUSWAP_TASK_QUEUED, IPUSWAP_OWNER_FW, IPUSWAP_HOME_LOC(w), v);
		break;
	case IPUSWAP_TASK_COMMIT:
		next = IPUSWAP_HOME(IPUSWAP_TASK_HOST, IPUSWAP_OWNER_HOST, IPUSWAP_LOC_NONE, v);
		break;
	case IPUSWAP_TASK_HOST:
		next = IPUSWAP_HOME(IPUSWAP_TASK_QUEUED, IPUSWAP_OWNER_HOST, any_cpu(c), v);
		break;
	default:
		return;
	}
	cas_word(c, FW_HW_HOME, &task_at(c, idx)->home, w, next);
}

/*
 * A burst of legal firmware transitions on one queued task, as fast as the
 * firmware can: stage it to any CPU, decline it, again, so that a host CAS
 * on the word loses nearly every time (the host runs it on its own truth
 * after IPUSWAP_HOST_DEFER lost self-serves). Reported as its last word.
 */
#define CHURN_CASES	256

static void lie_churn(struct lie_ctx *c)
{
	uint32_t idx, i;
	__u64 *home, w;
	bool any = false;

	if (!pick_slot(c, &idx))
		return;
	home = &task_at(c, idx)->home;
	w = ipuswap_load(home);
	for (i = 0; i < CHURN_CASES; i++) {
		uint64_t next;

		if (!ipuswap_home_valid(w, c->l.nr_cpus))
			break;
		if (IPUSWAP_HOME_STATE(w) == IPUSWAP_TASK_QUEUED)
			next = IPUSWAP_HOME(IPUSWAP_TASK_PROPOSE, IPUSWAP_OWNER_FW, any_cpu(c),
					    IPUSWAP_HOME_VER(w) + 1);
		else if (IPUSWAP_HOME_STATE(w) == IPUSWAP_TASK_PROPOSE)
			next = IPUSWAP_HOME(IPUSWAP_TASK_QUEUED, IPUSWAP_OWNER_FW,
					    IPUSWAP_HOME_LOC(w), IPUSWAP_HOME_VER(w) + 1);
		else
			break;
		if (ipuswap_cas(home, &w, next)) {
			w = next;
			any = true;
		}
	}
	wrote(c, FW_HW_HOME, home, ipuswap_load(home), true, any);
}

/* A firmware-owned header field the host checked at probe, rewritten. */
static void lie_hdr_fw(struct lie_ctx *c)
{
	struct ipuswap_window_hdr *h = c->hdr;
	uint64_t r = rnd(c->h);

	switch (rnd_below(c->h, 9)) {
	case 0:
		lie_transient(c, FW_HW_HDR, &h->size, 8, h->size << 1);
		break;
	case 1:
		lie_transient(c, FW_HW_HDR, &h->region_offset, 4, h->region_offset + 64);
		break;
	case 2:
		lie_transient(c, FW_HW_HDR, &h->region_size, 8, h->region_size + 4096);
		break;
	case 3:
		lie_transient(c, FW_HW_HDR, &h->nr_vectors, 4, IPUSWAP_MAX_VECTORS);
		break;
	case 4:
		lie_transient(c, FW_HW_HDR, &h->fw_generation, 8, h->fw_generation + 1 + r % 3);
		break;
	case 5:
		lie_transient(c, FW_HW_HDR, &h->fw_tick_ns, 8, 1 + r % 1000000000);
		break;
	case 6:
		lie_transient(c, FW_HW_HDR, &h->fw_ping_ack, 8, h->fw_ping_ack + 1);
		break;
	case 7:
		lie_transient(c, FW_HW_HDR, &h->fw_check_ack, 8, h->fw_check_ack + 1);
		break;
	default:
		lie_transient(c, FW_HW_HDR, &h->fw_decisions, 8, r >> 1);
		break;
	}
}

/*
 * A host-owned header field, which the firmware must never write. Each lie
 * is a value the host itself never writes (far-off sequence numbers, out of
 * range enums): the restore's CAS then cannot mistake a write of the host's
 * for its own lie and undo it.
 */
static void lie_hdr_host(struct lie_ctx *c)
{
	struct ipuswap_window_hdr *h = c->hdr;
	uint64_t r = rnd(c->h), far = (1ULL << 40) + (r >> 24);

	switch (rnd_below(c->h, 8)) {
	case 0:
		lie_transient(c, FW_HW_HDR, &h->host_ping_seq, 8, h->host_ping_seq + far);
		break;
	case 1:
		lie_transient(c, FW_HW_HDR, &h->host_state, 4, IPUSWAP_HOST_SCHED + 1 + r % 8);
		break;
	case 2:
		lie_transient(c, FW_HW_HDR, &h->host_nr_cpus, 4, IPUSWAP_MAX_CPUS + 1 + r % 8);
		break;
	case 3:
		lie_transient(c, FW_HW_HDR, &h->host_check_seq, 8, h->host_check_seq + far);
		break;
	case 4:
		lie_transient(c, FW_HW_HDR, &h->host_proto, 4, IPUSWAP_NR_PROTOS + r % 8);
		break;
	case 5:
		lie_transient(c, FW_HW_HDR, &h->host_agent, 4, IPUSWAP_NR_AGENTS + r % 8);
		break;
	case 6:
		lie_transient(c, FW_HW_HDR, &h->host_fito_flags, 4,
			      (IPUSWAP_FITO_ALL + 1) << (r % 8) | h->host_fito_flags);
		break;
	default:
		lie_transient(c, FW_HW_HDR, &h->host_attach_seq, 4,
			      h->host_attach_seq + (1u << 30) + (uint32_t)(r % 1000));
		break;
	}
}

/* A FITO ring's consumer index ahead of the producer, or a ring behind. */
static void lie_fito_tail(struct lie_ctx *c)
{
	struct ipuswap_fito_ring *r = ipuswap_fito_ring_at(c->win, c->rings_off, any_cpu(c));
	uint64_t head = ipuswap_load_relaxed(&r->host_head), tail;

	switch (rnd_below(c->h, 3)) {
	case 0:
		tail = head + 1 + rnd_below(c->h, IPUSWAP_FITO_RING_SLOTS);
		break;
	case 1:
		tail = head - IPUSWAP_FITO_RING_SLOTS - 1 - rnd_below(c->h, 1000);
		break;
	default:
		tail = rnd(c->h);
		break;
	}
	lie_transient(c, FW_HW_TAIL, &r->fw_tail, 8, tail);
}

/* Every vector raised for FW_HOSTILE_FLOOD_S (the core's storm timer). */
static void lie_flood(struct lie_ctx *c)
{
	c->out->where = FW_HW_FLOOD;
	c->out->written = true;
}

static const struct fw_hostile_family {
	const char *name;
	void (*lie)(struct lie_ctx *c);
	unsigned int weight;	/* relative frequency */
	unsigned int protos;	/* where it applies */
} families[] = {
	{ "forge_home", lie_forge_home, 3, PROTO_SWAP },
	{ "propose_bad_cpu", lie_propose_bad_cpu, 3, PROTO_SWAP },
	{ "cell_wrong_slot", lie_cell_wrong_slot, 3, PROTO_SWAP | PROTO_FITO },
	{ "version_skew", lie_version_skew, 2, PROTO_SWAP },
	{ "race_cas", lie_race_cas, 3, PROTO_SWAP },
	{ "churn", lie_churn, 1, PROTO_SWAP },
	{ "hdr_fw", lie_hdr_fw, 1, PROTO_SWAP | PROTO_FITO },
	{ "hdr_host", lie_hdr_host, 1, PROTO_SWAP | PROTO_FITO },
	{ "fito_tail", lie_fito_tail, 3, PROTO_FITO },
	{ "flood", lie_flood, 1, PROTO_SWAP | PROTO_FITO },
};

#define NR_FAMILIES (sizeof(families) / sizeof(families[0]))
_Static_assert(NR_FAMILIES <= sizeof(((struct fw_hostile *)0)->lies) / sizeof(uint64_t),
	       "fw_hostile.lies has a counter per family");

unsigned int fw_hostile_nr_families(void)
{
	return NR_FAMILIES;
}

const char *fw_hostile_family_name(unsigned int family)
{
	return family < NR_FAMILIES ? families[family].name : "?";
}

static unsigned int pick_family(struct fw_hostile *h, uint32_t proto)
{
	unsigned int i, total = 0, r;

	for (i = 0; i < NR_FAMILIES; i++)
		if (families[i].protos & (1u << proto))
			total += families[i].weight;
	r = rnd_below(h, total);
	for (i = 0; i < NR_FAMILIES; i++) {
		if (!(families[i].protos & (1u << proto)))
			continue;
		if (r < families[i].weight)
			break;
		r -= families[i].weight;
	}
	return i;
}

/* The layout the host attached with, from a header that passes its checks. */
static bool lie_setup(struct lie_ctx *c, size_t win_size)
{
	struct ipuswap_window_hdr hd;

	ipuswap_hdr_read(&hd, c->hdr);
	if (ipuswap_hdr_check(&hd, win_size) != IPUSWAP_HF_OK ||
	    hd.host_state != IPUSWAP_HOST_SCHED)
		return false;
	c->proto = hd.host_proto;
	if (c->proto == IPUSWAP_PROTO_SWAP)
		return !ipuswap_layout(hd.region_offset, hd.region_size, hd.host_nr_cpus, &c->l);
	if (c->proto == IPUSWAP_PROTO_FITO)
		return !ipuswap_fito_layout(hd.region_offset, hd.region_size, hd.host_nr_cpus,
					    &c->rings_off, &c->l);
	return false;
}

bool fw_hostile_lie(struct fw_hostile *h, void *win, size_t win_size, double now_s,
		    struct fw_hostile_lie *out)
{
	struct lie_ctx c = { .h = h, .win = win, .hdr = win, .out = out };

	memset(out, 0, sizeof(*out));
	fw_hostile_restore(h);
	if (!lie_setup(&c, win_size))
		return false;
	learn_slots(&c);
	out->family = pick_family(h, c.proto);
	families[out->family].lie(&c);
	if (out->where == FW_HW_FLOOD && now_s - h->last_flood < FW_HOSTILE_FLOOD_GAP_S)
		out->where = FW_HW_NONE;
	if (out->where == FW_HW_NONE || !out->written)
		return false;
	h->lies[out->family]++;
	h->total++;
	if (out->where != FW_HW_FLOOD)
		return false;
	h->last_flood = now_s;
	return true;
}

void fw_hostile_report(const struct fw_hostile *h, char *buf, size_t size)
{
	size_t n;
	unsigned int i;

	n = (size_t)snprintf(buf, size, "seed=%llu %llu lies:", (unsigned long long)h->seed,
			     (unsigned long long)h->total);
	for (i = 0; i < NR_FAMILIES && n < size; i++)
		n += (size_t)snprintf(buf + n, size - n, " %s=%llu", families[i].name,
				      (unsigned long long)h->lies[i]);
}
