/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The firmware core: owns the window header, the liveness tick, the ping
 * answer and fault injection. It knows nothing about the transport beyond
 * transport.h.
 */
#ifndef IPUSWAP_FW_CORE_H
#define IPUSWAP_FW_CORE_H

#include <stdint.h>

#include "fw_pcie.h"
#include "transport.h"

#define FW_TICK_US_DEFAULT	1000
#define FW_TICK_US_MIN		10
#define FW_TICK_US_MAX		10000000
#define FW_MAX_FAULTS		16
#define FW_FAULT_MAX_S		1000000.0

/* --corrupt-header: which identity field to get wrong on purpose. */
enum fw_corrupt {
	FW_CORRUPT_NONE,
	FW_CORRUPT_MAGIC,	/* magic ^ 1 */
	FW_CORRUPT_VERSION,	/* version + 99 */
	FW_CORRUPT_SIZE,	/* size * 2 */
};

/* --fault KIND@SECONDS; kind indexes the fault table in fw_core.c. */
struct fw_fault {
	unsigned int kind;
	double at_s;		/* after the host first left ABSENT */
	double arg;		/* slow@S:NS: the extra nanoseconds per access;
				 * hostile@S:FOR: seconds of lies (0: until exit)
				 */
};

#define FW_POLL_US_DEFAULT	200
#define FW_POLL_US_MAX		1000000
#define FW_GARBAGE_S		2.0	/* garbage@S writes garbage this long */
#define FW_STORM_S		6.0	/* storm@S floods interrupts this long, */
#define FW_STORM_PERIOD_US	50	/* raising every vector this often */
#define FW_HOSTILE_GAP_US	100	/* hostile@ lies at most this often, */
#define FW_HOSTILE_PER_STEP	4	/* this many lies each time */

struct fw_config {
	unsigned int tick_us;
	unsigned int poll_us;	/* keep staging this long after a wake-up */
	struct fw_pcie_cfg pcie;	/* latency model of the IPU's accesses */
	/*
	 * On-host agent: the window belongs to another firmware instance (the
	 * IPU's); only serve the scheduler, and only while the host asks for
	 * IPUSWAP_AGENT_ONHOST. Never write the header.
	 */
	bool onhost;
	enum fw_corrupt corrupt;
	/*
	 * Faults count from the first sight of a bound driver, or with
	 * fault_from_sched of an attached scheduler: a test's workload then
	 * meets the fault however long the attach took.
	 */
	bool fault_from_sched;
	unsigned int nr_faults;
	struct fw_fault faults[FW_MAX_FAULTS];
	/* hostile@: --seed N replays a run's lies; otherwise one is chosen. */
	bool hostile_seed_set;
	uint64_t hostile_seed;
};

/* Parsers for the CLI: return NULL, or why the text is not acceptable. */
const char *fw_corrupt_parse(const char *s, enum fw_corrupt *out);
const char *fw_fault_parse(const char *spec, struct fw_fault *out);
const char *fw_fault_name(unsigned int kind);

/*
 * Run the firmware on an opened transport until a signal arrives on sigfd
 * (a signalfd for SIGINT/SIGTERM). Returns the signal number, or a
 * negative errno if the firmware could not run.
 */
int fw_run(struct transport *t, const struct fw_config *cfg, int sigfd);

#endif /* IPUSWAP_FW_CORE_H */
