// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Unit tests for what the core relies on in every engine (fw_engine.h):
 * both engines, driven through their ops tables, start over on the same
 * header changes (ipuswap_hdr_restarts(): protocol.md says a new attach or
 * another protocol, agent or FITO switch restarts the engine) and on no
 * others. Built with ASan + UBSan; prints TAP.
 */
#include <errno.h>
#include <stdlib.h>

#include "tap.h"
#include "test_window.h"
#include "ipuswap_swap.h"
#include "fw_engine.h"
#include "fw_pcie.h"

#define WIN		(1u << 20)
#define NCPU		2u
/*
 * More steps than either engine lets pass between two header reads: a
 * change restarts the swap engine within 481 steps and the FITO engine
 * within 224 (FW_SCHED_HDR_EVERY, FW_FITO_HDR_EVERY). 200000 took 140 s
 * under ASan for the same verdicts.
 */
#define MAX_STEPS	8192

/* A window as the host leaves it when it attaches with @proto. */
static struct ipuswap_window_hdr *attached(__u32 proto)
{
	struct ipuswap_window_hdr *h = test_window(WIN, NCPU);
	struct ipuswap_layout l;
	__u64 rings;
	__u32 i;

	h->host_proto = proto;
	h->host_attach_seq = 1;
	if (proto == IPUSWAP_PROTO_FITO)
		ipuswap_fito_layout(h->region_offset, h->region_size, NCPU, &rings, &l);
	else
		ipuswap_layout(h->region_offset, h->region_size, NCPU, &l);
	for (i = 0; i < l.nr_tasks; i++)
		ipuswap_task_at(h, &l, i)->home =
			IPUSWAP_HOME(IPUSWAP_TASK_FREE, IPUSWAP_OWNER_NONE, IPUSWAP_LOC_NONE, 0);
	return h;
}

/* Steps until the engine says -ESTALE; how many, or -1 if it never did. */
static long steps_to_restart(const struct fw_engine_ops *ops, void *e)
{
	long i;

	for (i = 0; i < MAX_STEPS; i++)
		if (ops->step(e) == -ESTALE)
			return i;
	return -1;
}

enum change {
	CH_ATTACH_SEQ, CH_PROTO, CH_AGENT, CH_FITO_FLAGS, CH_NR_CPUS, CH_STATE,
	CH_REGION, CH_NONE_PING, CH_NONE_CHECK, NR_CHANGES,
};

static const char *const change_name[NR_CHANGES] = {
	"host_attach_seq", "host_proto", "host_agent", "host_fito_flags",
	"host_nr_cpus", "host_state", "region_size", "host_ping_seq (no restart)",
	"host_check_seq (no restart)",
};

static void apply(struct ipuswap_window_hdr *h, enum change c)
{
	switch (c) {
	case CH_ATTACH_SEQ:
		h->host_attach_seq++;
		break;
	case CH_PROTO:
		h->host_proto ^= IPUSWAP_PROTO_FITO;
		break;
	case CH_AGENT:
		h->host_agent = IPUSWAP_AGENT_ONHOST;
		break;
	case CH_FITO_FLAGS:
		h->host_fito_flags ^= IPUSWAP_FITO_WC;
		break;
	case CH_NR_CPUS:
		h->host_nr_cpus--;
		break;
	case CH_STATE:
		h->host_state = IPUSWAP_HOST_BOUND;
		break;
	case CH_REGION:
		h->region_size -= IPUSWAP_CACHELINE;
		break;
	case CH_NONE_PING:
		h->host_ping_seq++;
		break;
	case CH_NONE_CHECK:
		h->host_check_seq++;
		break;
	case NR_CHANGES:
		break;
	}
}

static bool same_restarts(const struct fw_engine_ops *ops, __u32 proto)
{
	enum fw_sched_hdr_err err = FW_HDR_OK;
	struct fw_pcie_cfg cfg;
	struct fw_pcie p;
	unsigned int c;

	fw_pcie_cfg_default(&cfg);
	cfg.read_ns = cfg.write_ns = cfg.atomic_ns = 0;
	for (c = 0; c < NR_CHANGES; c++) {
		struct ipuswap_window_hdr *h = attached(proto);
		bool want = c < CH_NONE_PING;
		void *e = NULL;
		long n;

		fw_pcie_init(&p, &cfg);
		if (ops->create(&e, h, WIN, &p, &err)) {
			EXPECT(0, "%s: create: %s", ops->name, fw_sched_hdr_err_str(err));
			free(h);
			continue;
		}
		EXPECT(steps_to_restart(ops, e) < 0, "%s: restarted on an unchanged header",
		       ops->name);
		apply(h, c);
		n = steps_to_restart(ops, e);
		EXPECT((n >= 0) == want, "%s: %s changed: %s", ops->name, change_name[c],
		       want ? "no restart" : "restarted");
		ops->destroy(e);
		free(h);
	}
	return cur_ok;
}

static bool t_swap_restarts(void)
{
	return same_restarts(&fw_sched_engine, IPUSWAP_PROTO_SWAP);
}

static bool t_fito_restarts(void)
{
	return same_restarts(&fw_fito_engine, IPUSWAP_PROTO_FITO);
}

int main(void)
{
	static const struct tap_test tests[] = {
		{ "swap engine restarts on a new attach, protocol, agent, switches, layout", t_swap_restarts },
		{ "FITO engine restarts on the same header changes", t_fito_restarts },
	};

	return tap_run("engine", tests, sizeof(tests) / sizeof(tests[0]));
}
