// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * ipuswap-fito-rtt: what one FITO decision costs the host, natively.
 *
 * A host thread plays the module without prestaging: it posts RUNNABLE for
 * a task and CPU_IDLE for CPU 0 to its ring, then spins on CPU 0's
 * transaction slot until the decision arrives (what ops.dispatch() waits
 * for in --mode fito without prestage), commits it, and repeats. The real
 * fw_fito engine runs on a second thread through the PCIe latency model.
 * The time from posting the request to seeing the decision is the host's
 * wait per dispatch; the swap has no such wait (the host serves a queued
 * task itself when no proposal is staged).
 *
 *   ipuswap-fito-rtt [--rounds N] [--read-ns NS] [--prefetch] [--csv]
 *
 * Needs two cores to mean anything: both threads spin.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipuswap_atomic.h"
#include "ipuswap_swap.h"
#include "fw_fito.h"
#include "fw_pcie.h"
#include "twin.h"	/* struct hist */

#define WIN	(1u << 20)
#define NCPU	2u
#define NTASKS	32u

struct rtt {
	void *mem;
	struct ipuswap_window_hdr *h;
	__u64 rings;
	struct ipuswap_layout l;
	struct fw_pcie pcie;
	struct fw_fito *f;
	volatile int stop;
};

static void *fw_thread(void *arg)
{
	struct rtt *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
		fw_fito_step(r->f);
	return NULL;
}

static void post(struct rtt *r, __u64 *head, __u8 type, __u16 idx, __u32 barrier)
{
	struct ipuswap_fito_ring *ring = ipuswap_fito_ring_at(r->mem, r->rings, 0);
	struct ipuswap_fito_event *ev = &ring->ev[*head % IPUSWAP_FITO_RING_SLOTS];

	/* The ring must have room: the engine keeps up, but check. */
	while (*head - ipuswap_load_acquire(&ring->fw_tail) >=
	       IPUSWAP_FITO_RING_SLOTS)
		;
	ev->type = type;
	ev->flags = 0;
	ev->idx = idx;
	ev->barrier = barrier;
	ev->weight = 100;
	ev->cpu = 0;
	ev->cpus = (1ULL << NCPU) - 1;
	ipuswap_store_release(&ev->seq, (__u32)(*head + 1));
	(*head)++;
}

static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s [--rounds N] [--read-ns NS] [--prefetch] [--csv]\n", prog);
	return 2;
}

int main(int argc, char **argv)
{
	unsigned long rounds = 20000, i;
	double read_ns = FW_PCIE_READ_NS;
	bool prefetch = false, csv = false;
	enum fw_sched_hdr_err err;
	struct fw_pcie_cfg cfg;
	__u32 barrier[NTASKS] = { 0 };
	static struct hist hist;
	uint64_t sum = 0;
	struct rtt r = { 0 };
	__u64 head = 0, *slot;
	pthread_t fw;
	int a;

	for (a = 1; a < argc; a++) {
		char *end = NULL;

		if (!strcmp(argv[a], "--prefetch")) {
			prefetch = true;
		} else if (!strcmp(argv[a], "--csv")) {
			csv = true;
		} else if (!strcmp(argv[a], "--rounds") && a + 1 < argc) {
			rounds = strtoul(argv[++a], &end, 10);
			if (*end || !rounds || rounds > 10000000)
				return usage(argv[0]);
		} else if (!strcmp(argv[a], "--read-ns") && a + 1 < argc) {
			read_ns = strtod(argv[++a], &end);
			if (*end || !(read_ns >= 0) || read_ns > 1e6)
				return usage(argv[0]);
		} else {
			return usage(argv[0]);
		}
	}

	r.mem = aligned_alloc(4096, WIN);
	if (!r.mem)
		return 1;
	memset(r.mem, 0, WIN);
	r.h = r.mem;
	ipuswap_hdr_init(r.h, WIN, IPUSWAP_NR_VECTORS, 0);
	r.h->magic = IPUSWAP_MAGIC;
	r.h->host_nr_cpus = NCPU;
	r.h->host_state = IPUSWAP_HOST_SCHED;
	r.h->host_proto = IPUSWAP_PROTO_FITO;
	r.h->host_fito_flags = prefetch ? IPUSWAP_FITO_PREFETCH : 0;
	ipuswap_fito_layout(r.h->region_offset, r.h->region_size, NCPU, &r.rings, &r.l);
	/* The default model's proportions, scaled to the read latency asked for. */
	fw_pcie_cfg_default(&cfg);
	cfg.read_ns = read_ns;
	cfg.atomic_ns = read_ns * FW_PCIE_ATOMIC_NS / FW_PCIE_READ_NS;
	cfg.write_ns = read_ns * FW_PCIE_WRITE_NS / FW_PCIE_READ_NS;
	fw_pcie_init(&r.pcie, &cfg);
	if (fw_fito_create(&r.f, r.mem, WIN, &r.pcie, &err)) {
		fprintf(stderr, "fw_fito_create: %s\n", fw_sched_hdr_err_str(err));
		return 1;
	}
	if (pthread_create(&fw, NULL, fw_thread, &r))
		return 1;

	slot = &ipuswap_cell_at(r.mem, &r.l, 0)->decision;
	for (i = 0; i < rounds; i++) {
		__u16 idx = (__u16)(i % NTASKS);
		uint64_t t0;
		__u64 d;

		post(&r, &head, IPUSWAP_EV_RUNNABLE, idx, ++barrier[idx]);
		t0 = fw_pcie_clock();
		post(&r, &head, IPUSWAP_EV_CPU_IDLE, 0, 0);
		while (IPUSWAP_CELL_STATE(d = ipuswap_load(slot)) !=
		       IPUSWAP_CELL_PROPOSE)
			;
		t0 = fw_pcie_clock() - t0;
		hist_add(&hist, t0);
		sum += t0;
		ipuswap_cas(slot, &d, IPUSWAP_CELL(IPUSWAP_CELL_COMMIT, 0, IPUSWAP_CELL_IDX(d),
						   IPUSWAP_CELL_VER(d)));
		/* It ran: the engine learns nothing more until the next event. */
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(fw, NULL);

	if (csv)
		printf("fito_rtt,%g,%s,%lu,%.0f,%.0f,%.0f\n", read_ns,
		       prefetch ? "prefetch" : "none", rounds, (double)hist_pct(&hist, 0.5),
		       (double)hist_pct(&hist, 0.99), (double)sum / rounds);
	else
		printf("fito-rtt: read_ns=%g mitigations=%s rounds=%lu request->decision "
		       "p50=%.0f ns p99=%.0f ns mean=%.0f ns ring_reads=%llu\n",
		       read_ns, prefetch ? "prefetch" : "none", rounds, (double)hist_pct(&hist, 0.5),
		       (double)hist_pct(&hist, 0.99), (double)sum / rounds,
		       (unsigned long long)fw_fito_stats(r.f)->ring_reads);
	fw_fito_destroy(r.f);
	free(r.mem);
	return 0;
}
