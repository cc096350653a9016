// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipuswap-fw core: the firmware side of the window header.
 *
 * Everything blocks in one epoll: the liveness timerfd, the fault timerfd,
 * the signalfd and the transport's pollfd. The firmware never spins, since
 * in the emulator it shares two cores with QEMU's vCPU threads.
 *
 * Every header word has one writer (ipuswap_wire.h). The firmware publishes
 * its words with release stores and reads the host's with acquire loads,
 * through ipuswap_atomic.h like every other agent.
 *
 * While a scheduler is attached, the engine for its protocol
 * (fw_engine.h: fw_sched for the swap, fw_fito for the FITO baseline)
 * serves the region.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "ipuswap_atomic.h"
#include "ipuswap_swap.h"
#include "fw_core.h"
#include "fw_engine.h"
#include "fw_hostile.h"
#include "log.h"

enum fw_tag { TAG_SIGNAL, TAG_TICK, TAG_FAULT, TAG_TRANSPORT, TAG_STORM };

struct fw_core {
	struct transport *t;
	const struct fw_config *cfg;
	struct ipuswap_window_hdr *hdr;
	int epfd;
	int tickfd;
	int faultfd;
	int stormfd;			/* storm@: the flood's timer */
	int sigfd;
	uint32_t host_state;		/* last host_state we saw */
	bool clock_started;		/* the fault clock */
	struct timespec t0;
	unsigned int next_fault;
	struct fw_fault faults[FW_MAX_FAULTS];	/* sorted by at_s */
	bool hung;
	int exit_sig;

	/* Scheduling: the staging engine runs while a scheduler is attached. */
	struct fw_pcie pcie;
	struct fw_pcie_cfg pcie_cfg;	/* current model (slow@ changes it) */
	const struct fw_engine_ops *eops;	/* the running engine's, or NULL */
	void *engine;
	uint64_t decisions_done;	/* proposals of engines already gone */
	enum fw_sched_hdr_err last_err;
	struct timespec garbage_until;	/* garbage@: hostile until then */
	uint64_t rng;
	struct timespec storm_until;	/* storm@: flooding until then */
	uint64_t storm_rung;		/* interrupts raised by the storm */
	bool hostile_on;		/* hostile@: lying (fw_hostile.c) */
	struct timespec hostile_until;	/* until then; tv_sec 0: until exit */
	uint64_t hostile_next_ns;	/* no lie before then (fw_pcie_clock) */
	struct fw_hostile hostile;
};

/* ---- fault table --------------------------------------------------------- */

static void fault_kill(struct fw_core *c, const struct fw_fault *f);
static void fault_hang(struct fw_core *c, const struct fw_fault *f);
static void fault_restart(struct fw_core *c, const struct fw_fault *f);
static void fault_slow(struct fw_core *c, const struct fw_fault *f);
static void fault_garbage(struct fw_core *c, const struct fw_fault *f);
static void fault_storm(struct fw_core *c, const struct fw_fault *f);
static void fault_hostile(struct fw_core *c, const struct fw_fault *f);
static void storm_start(struct fw_core *c, double secs);
static void hostile_unlie(struct fw_core *c);

/* KIND@SECONDS:ARG: what ARG is, if the kind takes one. */
enum fw_fault_arg {
	ARG_NONE,
	ARG_NS,			/* slow: nanoseconds, required */
	ARG_SECS,		/* hostile: seconds, optional (0: until exit) */
};

/* To add a fault: a name and what it does when its time comes. */
static const struct fw_fault_kind {
	const char *name;
	void (*fire)(struct fw_core *c, const struct fw_fault *f);
	enum fw_fault_arg arg;
} fault_kinds[] = {
	{ "kill", fault_kill, ARG_NONE },
	{ "hang", fault_hang, ARG_NONE },
	{ "restart", fault_restart, ARG_NONE },
	{ "slow", fault_slow, ARG_NS },
	{ "garbage", fault_garbage, ARG_NONE },
	{ "storm", fault_storm, ARG_NONE },
	{ "hostile", fault_hostile, ARG_SECS },
};

#define NR_FAULT_KINDS (sizeof(fault_kinds) / sizeof(fault_kinds[0]))

const char *fw_fault_name(unsigned int kind)
{
	return kind < NR_FAULT_KINDS ? fault_kinds[kind].name : "?";
}

const char *fw_fault_parse(const char *spec, struct fw_fault *out)
{
	static char why[160];
	const char *at = strchr(spec, '@');
	size_t len, i, n;
	char *end;
	double s;

	if (!at)
		return "expected KIND@SECONDS";
	len = at - spec;
	for (i = 0; i < NR_FAULT_KINDS; i++)
		if (strlen(fault_kinds[i].name) == len &&
		    !strncmp(fault_kinds[i].name, spec, len))
			break;
	if (i == NR_FAULT_KINDS) {
		n = snprintf(why, sizeof(why), "unknown fault kind '%.*s' (known:",
			     (int)len, spec);
		for (i = 0; i < NR_FAULT_KINDS && n < sizeof(why); i++)
			n += snprintf(why + n, sizeof(why) - n, " %s",
				      fault_kinds[i].name);
		if (n < sizeof(why))
			snprintf(why + n, sizeof(why) - n, ")");
		return why;
	}
	errno = 0;
	s = strtod(at + 1, &end);
	if (at[1] == '\0' || (*end && *end != ':') || errno || !isfinite(s) ||
	    s < 0 || s > FW_FAULT_MAX_S)
		return "SECONDS must be a number from 0 to 1000000";
	out->kind = i;
	out->at_s = s;
	out->arg = 0;
	if (fault_kinds[i].arg == ARG_NS) {
		const char *a = end + 1;

		if (*end != ':')
			return "this fault needs KIND@SECONDS:NANOSECONDS";
		errno = 0;
		out->arg = strtod(a, &end);
		if (!*a || *end || errno || !isfinite(out->arg) || out->arg < 0 ||
		    out->arg > 1e9)
			return "NANOSECONDS must be a number from 0 to 1000000000";
	} else if (fault_kinds[i].arg == ARG_SECS && *end) {
		const char *a = end + 1;

		errno = 0;
		out->arg = strtod(a, &end);
		if (!*a || *end || errno || !isfinite(out->arg) || out->arg <= 0 ||
		    out->arg > FW_FAULT_MAX_S)
			return "the duration (KIND@SECONDS:FOR) must be a number of seconds "
			       "above 0, up to 1000000 (none: until exit)";
	} else if (*end) {
		return "this fault takes no :ARG";
	}
	return NULL;
}

const char *fw_corrupt_parse(const char *s, enum fw_corrupt *out)
{
	if (!strcmp(s, "magic"))
		*out = FW_CORRUPT_MAGIC;
	else if (!strcmp(s, "version"))
		*out = FW_CORRUPT_VERSION;
	else if (!strcmp(s, "size"))
		*out = FW_CORRUPT_SIZE;
	else
		return "expected magic, version or size";
	return NULL;
}

/* ---- the window header --------------------------------------------------- */

/*
 * (Re)initialise the header. The host trusts nothing until it sees magic
 * (acquire), so magic is cleared first and stored last (release): a host
 * never sees a valid magic next to half-written identity fields.
 */
static void window_init(struct fw_core *c)
{
	struct ipuswap_window_hdr *h = c->hdr;
	uint32_t magic = IPUSWAP_MAGIC;
	uint64_t gen;

	ipuswap_store_relaxed(&h->magic, 0);
	/* Make the cleared magic visible before any identity word changes. */
	ipuswap_fence();

	/* No swap region contents yet: it is all free space. */
	ipuswap_hdr_init(h, c->t->size, c->t->nr_vectors, c->t->fw_peer_id);
	switch (c->cfg->corrupt) {
	case FW_CORRUPT_MAGIC:
		magic ^= 1;
		break;
	case FW_CORRUPT_VERSION:
		h->version += 99;
		break;
	case FW_CORRUPT_SIZE:
		h->size *= 2;
		break;
	case FW_CORRUPT_NONE:
		break;
	}

	ipuswap_store_relaxed(&h->fw_tick_ns, (uint64_t)c->cfg->tick_us * 1000);
	gen = ipuswap_load_relaxed(&h->fw_generation) + 1;
	ipuswap_store_relaxed(&h->fw_generation, gen);

	ipuswap_store_release(&h->magic, magic);
	fw_dbg(1, "window header ready (generation %llu%s)",
	       (unsigned long long)gen,
	       c->cfg->corrupt != FW_CORRUPT_NONE ? ", corrupted on purpose" : "");
}

/*
 * The guest (the host side of the window) is gone: whatever it left in its
 * words describes nobody. Nobody else writes them until the next guest
 * connects, and that cannot happen before we return to epoll.
 */
static void window_forget_host(struct fw_core *c)
{
	struct ipuswap_window_hdr *h = c->hdr;

	ipuswap_store_relaxed(&h->host_state, IPUSWAP_HOST_ABSENT);
	ipuswap_store_relaxed(&h->host_nr_cpus, 0);
	ipuswap_store_relaxed(&h->host_ping_seq, 0);
	ipuswap_store_relaxed(&h->host_check_seq, 0);
	ipuswap_store_relaxed(&h->fw_check_ack, 0);
	ipuswap_store_release(&h->fw_ping_ack, 0);
}

static const char *host_state_name(uint32_t s)
{
	switch (s) {
	case IPUSWAP_HOST_ABSENT:
		return "absent";
	case IPUSWAP_HOST_BOUND:
		return "bound";
	case IPUSWAP_HOST_SCHED:
		return "sched";
	}
	return "invalid";
}

/* ---- faults ------------------------------------------------------------- */

static struct timespec ts_add(struct timespec t, double s)
{
	double whole = floor(s);

	t.tv_sec += (time_t)whole;
	t.tv_nsec += (long)((s - whole) * 1e9);
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	return t;
}

static double ts_diff(struct timespec a, struct timespec b)
{
	return (double)(a.tv_sec - b.tv_sec) + (a.tv_nsec - b.tv_nsec) / 1e9;
}

static void arm_fault_timer(struct fw_core *c)
{
	struct itimerspec its = { 0 };

	if (!c->clock_started || c->next_fault >= c->cfg->nr_faults)
		return;
	its.it_value = ts_add(c->t0, c->faults[c->next_fault].at_s);
	timerfd_settime(c->faultfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* Faults count from the first moment a host driver (or scheduler) is seen. */
static void start_fault_clock(struct fw_core *c)
{
	if (c->clock_started)
		return;
	clock_gettime(CLOCK_MONOTONIC, &c->t0);
	c->clock_started = true;
	if (c->cfg->nr_faults)
		fw_dbg(1, "fault clock started");
	arm_fault_timer(c);
}

/* A crash: no cleanup, the socket file stays behind, as it would. */
static void fault_kill(struct fw_core *c, const struct fw_fault *f)
{
	(void)c;
	(void)f;
	kill(getpid(), SIGKILL);
	for (;;)
		pause();
}

/*
 * A firmware that is alive but stuck: liveness stops, doorbells go
 * unanswered, the process and the guest's connection stay. Only the
 * signalfd (and later faults) still wake us.
 */
static void fault_hang(struct fw_core *c, const struct fw_fault *f)
{
	struct itimerspec off = { 0 };

	(void)f;
	c->hung = true;
	timerfd_settime(c->tickfd, 0, &off, NULL);
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->tickfd, NULL);
	epoll_ctl(c->epfd, EPOLL_CTL_DEL, c->t->pollfd, NULL);
}

static void on_fault_timer(struct fw_core *c)
{
	struct timespec now;
	uint64_t exp;
	struct fw_fault *f;

	if (read(c->faultfd, &exp, sizeof(exp)) < 0 && errno == EAGAIN)
		return;
	hostile_unlie(c);	/* a fault (restart) reads our own words */
	clock_gettime(CLOCK_MONOTONIC, &now);
	while (c->next_fault < c->cfg->nr_faults) {
		f = &c->faults[c->next_fault];
		if (ts_diff(now, c->t0) < f->at_s)
			break;
		c->next_fault++;
		fw_dbg(1, "fault %s due at %gs fired at %.6fs",
		       fw_fault_name(f->kind), f->at_s, ts_diff(now, c->t0));
		fw_log("fault %s at %gs", fw_fault_name(f->kind), f->at_s);
		fault_kinds[f->kind].fire(c, f);
	}
	arm_fault_timer(c);
}

/* ---- scheduling ---------------------------------------------------------- */

/* The engine for each protocol the host may ask for (hdr.host_proto). */
static const struct fw_engine_ops *const engines[IPUSWAP_NR_PROTOS] = {
	[IPUSWAP_PROTO_SWAP] = &fw_sched_engine,
	[IPUSWAP_PROTO_FITO] = &fw_fito_engine,
};

static void sched_stop(struct fw_core *c, const char *why)
{
	char report[256];

	if (!c->engine)
		return;
	c->decisions_done += c->eops->decisions(c->engine);
	c->eops->report(c->engine, report, sizeof(report));
	if (report[0])
		fw_log("%s: %s", c->eops->name, report);
	c->eops->destroy(c->engine);
	c->engine = NULL;
	c->eops = NULL;
	fw_log("%s engine stopped (%s)", c->cfg->onhost ? "on-host" : "staging", why);
}

/* Whether the host wants this instance (IPU or on-host) to serve it. */
static bool agent_is_us(struct fw_core *c)
{
	uint32_t want = c->cfg->onhost ? IPUSWAP_AGENT_ONHOST : IPUSWAP_AGENT_IPU;

	return ipuswap_load_acquire(&c->hdr->host_agent) == want;
}

static bool sched_start(struct fw_core *c)
{
	enum fw_sched_hdr_err err = FW_HDR_OK;
	uint32_t proto = ipuswap_load_acquire(&c->hdr->host_proto);
	const struct fw_engine_ops *ops = proto < IPUSWAP_NR_PROTOS ? engines[proto] : NULL;
	char what[160];
	int ret;

	fw_pcie_init(&c->pcie, &c->pcie_cfg);
	ret = ops ? ops->create(&c->engine, c->hdr, c->t->size, &c->pcie, &err) : -EPROTO;
	if (ret) {
		/* Say it once per distinct reason, not on every tick. */
		if (!ops && c->last_err != FW_HDR_NR_ERRS)
			fw_log("cannot stage: host_proto %u unknown", proto);
		else if (ops && err != c->last_err)
			fw_log("cannot stage: %s", ret == -EINVAL ?
			       fw_sched_hdr_err_str(err) : strerror(-ret));
		c->last_err = ops ? err : FW_HDR_NR_ERRS;
		c->engine = NULL;
		return false;
	}
	c->last_err = FW_HDR_OK;
	c->eops = ops;
	ops->describe(c->engine, what, sizeof(what));
	fw_log("%s engine started: %s", ops->name, what);
	return true;
}

/* ---- hostile@: a firmware that serves and lies (fw_hostile.c) ------------ */

static void hostile_stop(struct fw_core *c, const char *why)
{
	char report[512];

	if (!c->hostile_on)
		return;
	fw_hostile_restore(&c->hostile);
	c->hostile_on = false;
	fw_hostile_report(&c->hostile, report, sizeof(report));
	fw_log("hostile: stopped (%s): %s, %llu interrupts raised", why, report,
	       (unsigned long long)c->storm_rung);
}

/*
 * From now on every engine step is followed by FW_HOSTILE_PER_STEP lies (at
 * most every FW_HOSTILE_GAP_US), for f->arg seconds or until exit; the engine and
 * liveness go on as if nothing happened.
 */
static void fault_hostile(struct fw_core *c, const struct fw_fault *f)
{
	clock_gettime(CLOCK_MONOTONIC, &c->hostile_until);
	if (f->arg > 0)
		c->hostile_until = ts_add(c->hostile_until, f->arg);
	else
		c->hostile_until.tv_sec = 0;
	c->hostile_on = true;
	fw_log("hostile: lying %s, seed %llu (replay: --seed %llu)",
	       f->arg > 0 ? "for a while" : "until exit",
	       (unsigned long long)c->hostile.seed, (unsigned long long)c->hostile.seed);
}

/* Whether the lies go on; on every tick and before every lie. */
static bool hostile_lying(struct fw_core *c, struct timespec *now)
{
	if (!c->hostile_on)
		return false;
	clock_gettime(CLOCK_MONOTONIC, now);
	if (c->hostile_until.tv_sec && ts_diff(*now, c->hostile_until) >= 0) {
		hostile_stop(c, "period over");
		return false;
	}
	return true;
}

/* After an engine step: one lie, and an interrupt flood when it says so. */
static void hostile_step(struct fw_core *c)
{
	struct fw_hostile_lie lie;
	uint64_t ns = fw_pcie_clock();
	struct timespec now;
	unsigned int i;

	if (!c->hostile_on || ns < c->hostile_next_ns || !hostile_lying(c, &now))
		return;
	c->hostile_next_ns = ns + FW_HOSTILE_GAP_US * 1000ULL;
	for (i = 0; i < FW_HOSTILE_PER_STEP; i++) {
		if (fw_hostile_lie(&c->hostile, c->hdr, c->t->size, ts_diff(now, c->t0), &lie))
			storm_start(c, FW_HOSTILE_FLOOD_S);
		fw_dbg(3, "hostile: %s at +%#llx: %#llx%s", fw_hostile_family_name(lie.family),
		       (unsigned long long)lie.off, (unsigned long long)lie.val,
		       lie.written ? "" : " (lost the race)");
	}
	/* While the engine is busy the storm timer waits: flood from here too. */
	if (ts_diff(now, c->storm_until) < 0)
		for (i = 0; i < IPUSWAP_NR_VECTORS; i++)
			if (!c->t->ops->notify_host(c->t, i))
				c->storm_rung++;
}

/* Our own reads of the header must see the truth, not our own lies. */
static void hostile_unlie(struct fw_core *c)
{
	if (c->hostile_on)
		fw_hostile_restore(&c->hostile);
}

/*
 * Serve the scheduler while one is attached and asks for this agent: run
 * the engine until it is idle, and keep polling it for poll_us so that a
 * burst of enqueues is served without one doorbell each. Then return to
 * epoll: the firmware never spins for longer than its budget.
 */
static void sched_service(struct fw_core *c)
{
	uint64_t deadline, now;
	int r;

	if (c->host_state != IPUSWAP_HOST_SCHED || !agent_is_us(c)) {
		sched_stop(c, c->host_state != IPUSWAP_HOST_SCHED ? "host detached" :
			   "another agent serves the host");
		return;
	}
	if (!c->engine && !sched_start(c))
		return;
	now = fw_pcie_clock();
	deadline = now + (uint64_t)c->cfg->poll_us * 1000;
	for (;;) {
		hostile_unlie(c);
		r = c->eops->step(c->engine);
		if (r < 0) {
			sched_stop(c, "header changed");
			break;
		}
		hostile_step(c);
		now = fw_pcie_clock();
		if (now >= deadline)
			break;
		if (r == 0) {
			uint64_t idle = c->eops->idle_ns(c->engine);

			fw_pcie_sleep_until(now + (idle ? idle : 5000), true);
		}
	}
	if (c->engine)
		ipuswap_store_release(&c->hdr->fw_decisions,
				      c->decisions_done + c->eops->decisions(c->engine));
}

/*
 * A firmware restart: everything the engine held is dropped, as after a
 * reboot of the IPU, and a new engine recovers from the window alone.
 */
static void fault_restart(struct fw_core *c, const struct fw_fault *f)
{
	(void)f;
	sched_stop(c, "restart");
	ipuswap_store_release(&c->hdr->fw_generation, ipuswap_load_relaxed(&c->hdr->fw_generation) + 1);
	if (c->host_state == IPUSWAP_HOST_SCHED && agent_is_us(c))
		sched_start(c);
}

/* Every access of the IPU gets slower by f->arg ns from now on. */
static void fault_slow(struct fw_core *c, const struct fw_fault *f)
{
	c->pcie_cfg.read_ns += f->arg;
	c->pcie_cfg.write_ns += f->arg;
	c->pcie_cfg.atomic_ns += f->arg;
	sched_stop(c, "slowed down");
}

/* A hostile or broken IPU: random words all over the swap region. */
static void fault_garbage(struct fw_core *c, const struct fw_fault *f)
{
	(void)f;
	sched_stop(c, "writing garbage");
	clock_gettime(CLOCK_MONOTONIC, &c->garbage_until);
	c->garbage_until = ts_add(c->garbage_until, FW_GARBAGE_S);
	c->rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)c->garbage_until.tv_nsec;
}

static uint64_t next_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* One tick's worth of garbage; returns false once the period is over. */
static bool write_garbage(struct fw_core *c)
{
	uint64_t off = ipuswap_load_acquire(&c->hdr->region_offset), words, i;
	struct timespec now;
	__u64 *region;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ts_diff(now, c->garbage_until) >= 0)
		return false;
	if (off < IPUSWAP_HDR_SIZE || off >= c->t->size)
		return true;
	region = (__u64 *)((char *)c->hdr + off);
	words = (c->t->size - off) / sizeof(__u64);
	/* Cells first (where the host looks on every dispatch), then anywhere. */
	for (i = 0; i < 256 && i * 8 < words; i++)
		ipuswap_store_relaxed(&region[i * 8], next_rand(&c->rng));
	for (i = 0; i < 1024; i++)
		ipuswap_store_relaxed(&region[next_rand(&c->rng) % words], next_rand(&c->rng));
	return true;
}

/*
 * An interrupt storm: for FW_STORM_S, every FW_STORM_PERIOD_US raise each
 * vector, whatever the host asked. Once per period is enough: raises the
 * host has not taken yet add up to one interrupt (an eventfd counter, a
 * pending MSI-X bit). Everything else (liveness, pings, the engine) goes
 * on: only the interrupts lie.
 */
static void storm_start(struct fw_core *c, double secs)
{
	struct itimerspec its = { 0 };

	clock_gettime(CLOCK_MONOTONIC, &c->storm_until);
	c->storm_until = ts_add(c->storm_until, secs);
	its.it_interval.tv_nsec = FW_STORM_PERIOD_US * 1000L;
	its.it_value = its.it_interval;
	timerfd_settime(c->stormfd, 0, &its, NULL);
}

static void fault_storm(struct fw_core *c, const struct fw_fault *f)
{
	(void)f;
	storm_start(c, FW_STORM_S);
}

static void on_storm(struct fw_core *c)
{
	struct itimerspec off = { 0 };
	struct timespec now;
	unsigned int v;
	uint64_t exp;

	if (read(c->stormfd, &exp, sizeof(exp)) < 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ts_diff(now, c->storm_until) >= 0) {
		timerfd_settime(c->stormfd, 0, &off, NULL);
		if (!c->hostile_on)
			fw_log("storm over: %llu interrupts raised",
			       (unsigned long long)c->storm_rung);
		return;
	}
	for (v = 0; v < IPUSWAP_NR_VECTORS; v++)
		if (!c->t->ops->notify_host(c->t, v))
			c->storm_rung++;
}

/* ---- host words ----------------------------------------------------------- */

static void check_host_state(struct fw_core *c)
{
	uint32_t s = ipuswap_load_acquire(&c->hdr->host_state);

	if (s == c->host_state)
		return;
	fw_log("host state %s -> %s", host_state_name(c->host_state),
	       host_state_name(s));
	c->host_state = s;
	if (s == IPUSWAP_HOST_SCHED || (s != IPUSWAP_HOST_ABSENT && !c->cfg->fault_from_sched))
		start_fault_clock(c);
}

/* Answer a ping once: whoever (doorbell or tick) sees it first. */
static void answer_ping(struct fw_core *c)
{
	struct ipuswap_window_hdr *h = c->hdr;
	uint64_t seq = ipuswap_load_acquire(&h->host_ping_seq);

	if (seq == ipuswap_load_relaxed(&h->fw_ping_ack))
		return;
	ipuswap_store_release(&h->fw_ping_ack, seq);
	c->t->ops->notify_host(c->t, IPUSWAP_VEC_CTRL);
}

/*
 * Wire self-check (struct ipuswap_check): decode what the host encoded,
 * encode the same samples ourselves, report our layout and geometry. Every
 * host-written count is clamped before use: the window is shared memory.
 */
static void answer_check(struct fw_core *c)
{
	struct ipuswap_window_hdr *h = c->hdr;
	uint64_t seq = ipuswap_load_acquire(&h->host_check_seq);
	uint64_t off = ipuswap_load_acquire(&h->region_offset);
	struct ipuswap_check *chk;
	uint32_t i, n;

	if (seq == ipuswap_load_relaxed(&h->fw_check_ack))
		return;
	if (off < IPUSWAP_HDR_SIZE || off > c->t->size ||
	    c->t->size - off < sizeof(*chk)) {
		fw_log("wire check: no room in the window, not answered");
		ipuswap_store_release(&h->fw_check_ack, seq);
		return;
	}
	chk = (struct ipuswap_check *)((char *)h + off);
	n = chk->nr_words;
	if (n > IPUSWAP_CHECK_WORDS)
		n = IPUSWAP_CHECK_WORDS;
	for (i = 0; i < n; i++) {
		struct ipuswap_check_decoded *d = &chk->fw_decoded[i];
		uint64_t w = chk->host_words[i];

		memset(d, 0, sizeof(*d));
		if (i % 2 == 0) {
			d->state = IPUSWAP_HOME_STATE(w);
			d->owner_or_reason = IPUSWAP_HOME_OWNER(w);
			d->loc_or_idx = IPUSWAP_HOME_LOC(w);
			d->version = IPUSWAP_HOME_VER(w);
		} else {
			d->state = IPUSWAP_CELL_STATE(w);
			d->owner_or_reason = IPUSWAP_CELL_REASON(w);
			d->loc_or_idx = IPUSWAP_CELL_IDX(w);
			d->version = IPUSWAP_CELL_VER(w);
		}
		d->home_valid = ipuswap_home_valid(w, chk->nr_cpus);
		d->cell_valid = ipuswap_cell_valid(w, chk->nr_tasks);
		chk->fw_words[i] = ipuswap_check_sample(i);
	}
	memset(&chk->fw_layout, 0, sizeof(chk->fw_layout));
	if (ipuswap_layout(off, ipuswap_load_relaxed(&h->region_size), ipuswap_load_acquire(&h->host_nr_cpus),
			   &chk->fw_layout))
		memset(&chk->fw_layout, 0, sizeof(chk->fw_layout));
	ipuswap_check_sizes(chk->fw_sizes);
	fw_dbg(1, "wire check %llu: %u words", (unsigned long long)seq, n);
	ipuswap_store_release(&h->fw_check_ack, seq);
	c->t->ops->notify_host(c->t, IPUSWAP_VEC_CTRL);
}

static void on_tick(struct fw_core *c)
{
	struct ipuswap_window_hdr *h = c->hdr;
	struct timespec now;
	uint64_t exp;

	if (read(c->tickfd, &exp, sizeof(exp)) < 0)
		return;
	hostile_unlie(c);
	hostile_lying(c, &now);
	if (c->cfg->onhost) {
		/* The header, liveness and pings belong to the IPU's firmware. */
		check_host_state(c);
		sched_service(c);
		return;
	}
	ipuswap_store_relaxed(&h->fw_tick_ns, (uint64_t)c->cfg->tick_us * 1000);
	ipuswap_store_release(&h->fw_liveness, ipuswap_load_relaxed(&h->fw_liveness) + 1);
	/* Doorbells may be lost; the tick catches what they missed. */
	check_host_state(c);
	answer_ping(c);
	answer_check(c);
	if (c->garbage_until.tv_sec) {
		if (write_garbage(c))
			return;
		c->garbage_until.tv_sec = 0;
		fw_log("garbage period over");
	}
	sched_service(c);
}

static void on_transport(struct fw_core *c, int timeout_ms)
{
	struct transport_events ev;
	unsigned int v;

	if (c->t->ops->wait(c->t, timeout_ms, &ev) <= 0)
		return;
	hostile_unlie(c);
	if (ev.disconnected) {
		if (!c->cfg->onhost)
			window_forget_host(c);
		check_host_state(c);
	}
	if (ev.connected)
		check_host_state(c);
	if ((ev.doorbells & (1ULL << IPUSWAP_VEC_CTRL)) && !c->cfg->onhost) {
		check_host_state(c);
		answer_ping(c);
		answer_check(c);
	}
	if ((ev.doorbells & (1ULL << IPUSWAP_VEC_SCHED)) && !c->garbage_until.tv_sec)
		sched_service(c);
	for (v = IPUSWAP_VEC_SCHED + 1; v < c->t->nr_vectors; v++)
		if (ev.doorbells & (1ULL << v))
			fw_dbg(2, "doorbell %u (no work for it yet)", v);
}

static void on_signal(struct fw_core *c)
{
	struct signalfd_siginfo si;

	if (read(c->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	fw_log("exiting on signal %u", si.ssi_signo);
	c->exit_sig = (int)si.ssi_signo;
}

/* ---- setup and loop ----------------------------------------------------- */

static void sort_faults(struct fw_core *c)
{
	unsigned int i, j;
	struct fw_fault f;

	memcpy(c->faults, c->cfg->faults, sizeof(c->faults));
	for (i = 1; i < c->cfg->nr_faults; i++) {
		f = c->faults[i];
		for (j = i; j > 0 && c->faults[j - 1].at_s > f.at_s; j--)
			c->faults[j] = c->faults[j - 1];
		c->faults[j] = f;
	}
}

static int epoll_add(int epfd, int fd, uint32_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

static int core_setup(struct fw_core *c)
{
	unsigned int us = c->cfg->tick_us;
	struct itimerspec tick = { 0 };
	int ret;

	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	c->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	c->faultfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	c->stormfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (c->epfd < 0 || c->tickfd < 0 || c->faultfd < 0 || c->stormfd < 0)
		return -errno;
	ret = epoll_add(c->epfd, c->sigfd, TAG_SIGNAL);
	if (!ret)
		ret = epoll_add(c->epfd, c->tickfd, TAG_TICK);
	if (!ret)
		ret = epoll_add(c->epfd, c->faultfd, TAG_FAULT);
	if (!ret)
		ret = epoll_add(c->epfd, c->stormfd, TAG_STORM);
	if (!ret)
		ret = epoll_add(c->epfd, c->t->pollfd, TAG_TRANSPORT);
	if (ret)
		return ret;
	tick.it_interval.tv_sec = us / 1000000;
	tick.it_interval.tv_nsec = (long)(us % 1000000) * 1000;
	tick.it_value = tick.it_interval;
	return timerfd_settime(c->tickfd, 0, &tick, NULL) ? -errno : 0;
}

static int check_window(const struct transport *t)
{
	if (!ipuswap_window_size_ok(t->size)) {
		fw_log("window of %zu bytes is not a power of two in [%llu, %llu]",
		       t->size, IPUSWAP_WINDOW_MIN, IPUSWAP_WINDOW_MAX);
		return -EINVAL;
	}
	return 0;
}

int fw_run(struct transport *t, const struct fw_config *cfg, int sigfd)
{
	struct fw_core *c;
	struct epoll_event evs[8];
	int i, n, ret;

	ret = check_window(t);
	if (ret)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->t = t;
	c->cfg = cfg;
	c->hdr = t->win;
	c->sigfd = sigfd;
	c->epfd = c->tickfd = c->faultfd = c->stormfd = -1;
	c->pcie_cfg = cfg->pcie;
	sort_faults(c);
	for (i = 0; i < (int)cfg->nr_faults; i++) {
		if (strcmp(fw_fault_name(cfg->faults[i].kind), "hostile"))
			continue;
		/* Chosen now and said first, so that even a run cut short can be replayed. */
		fw_hostile_init(&c->hostile, cfg->hostile_seed_set ? cfg->hostile_seed :
				(uint64_t)time(NULL) * 1000003u ^ (uint64_t)getpid());
		dprintf(STDERR_FILENO, "# hostile: seed=%llu\n",
			(unsigned long long)c->hostile.seed);
		break;
	}

	ret = core_setup(c);
	if (ret) {
		fw_log("firmware setup failed: %s", strerror(-ret));
		goto out;
	}
	if (c->cfg->onhost) {
		struct ipuswap_window_hdr h;
		enum ipuswap_hdr_fault f;

		ipuswap_hdr_read(&h, c->hdr);
		f = ipuswap_hdr_check(&h, t->size);
		if (f != IPUSWAP_HF_OK) {
			fw_log("on-host agent: the window has no valid header (%s; is the IPU firmware running?)",
			       ipuswap_hdr_fault_name(f));
			ret = -EINVAL;
			goto out;
		}
		fw_log("on-host agent: serving the host when it asks for IPUSWAP_AGENT_ONHOST");
	} else {
		window_init(c);
	}
	/* A host may already be there (uio), or bound before we started. */
	on_transport(c, 0);
	check_host_state(c);

	while (!c->exit_sig) {
		n = epoll_wait(c->epfd, evs, 8, -1);
		if (n < 0 && errno != EINTR) {
			ret = -errno;
			fw_log("epoll_wait: %s", strerror(errno));
			goto out;
		}
		for (i = 0; i < n && !c->exit_sig; i++) {
			switch (evs[i].data.u32) {
			case TAG_SIGNAL:
				on_signal(c);
				break;
			case TAG_FAULT:
				on_fault_timer(c);
				break;
			case TAG_TICK:
				if (!c->hung)
					on_tick(c);
				break;
			case TAG_TRANSPORT:
				if (!c->hung)
					on_transport(c, 0);
				break;
			case TAG_STORM:
				on_storm(c);
				break;
			}
		}
	}
	ret = c->exit_sig;
out:
	hostile_stop(c, "exit");
	sched_stop(c, "exit");
	if (c->tickfd >= 0)
		close(c->tickfd);
	if (c->faultfd >= 0)
		close(c->faultfd);
	if (c->stormfd >= 0)
		close(c->stormfd);
	if (c->epfd >= 0)
		close(c->epfd);
	free(c);
	return ret;
}
