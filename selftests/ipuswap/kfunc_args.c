// SPDX-License-Identifier: GPL-2.0
/*
 * A verified BPF program may pass any value to a kfunc (issue 15, finding
 * 1): kfunc_args.bpf.c, a sched_ext scheduler of its own, calls every
 * ipuswap kfunc from ops.init with slots and CPUs no table has (-9, what
 * an empty FITO cell reads as, among them). Each call must come back
 * -BAD_ARG, be counted once (abort_bad_arg), and leave no splat.
 *
 * Finding 3: in FITO mode the same scheduler makes the requests of one
 * balance cycle (32, SCX_DSP_MAX_LOOPS) back to back while every request
 * would time out; the module must wait once for them all, not 32 times.
 */
#include <bpf/libbpf.h>
#include <linux/types.h>

#include "kselftest_harness.h"
#include "ipuswap_test.h"
#include "ipuswap_wire.h"
#include "kfunc_args.h"

/* The object's internal map whose name ends in @suffix (".rodata"...). */
static struct bpf_map *internal_map(struct bpf_object *obj, const char *suffix)
{
	struct bpf_map *map;
	size_t n = strlen(suffix);

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);

		if (strlen(name) >= n && !strcmp(name + strlen(name) - n, suffix))
			return map;
	}
	return NULL;
}

FIXTURE(args) {
	int splats[IPT_NR_SPLATS];
};

FIXTURE_SETUP(args)
{
	char state[64];

	if (!ipt_module_loaded())
		ASSERT_EQ(0, ipt_load_module(NULL));
	ipt_scx_state(state, sizeof(state));
	ASSERT_STREQ("disabled", state);
	ipt_splat_counts(self->splats);
}

FIXTURE_TEARDOWN(args)
{
	ipt_unload_module_settled(10);
}

/*
 * Load kfunc_args.bpf.o for @proto, enable it (its ops.init does the
 * calls), disable it; what it recorded goes to @res.
 */
static int run_scheduler(struct __test_metadata *_metadata, __u32 proto,
			 struct kfa_result *res)
{
	struct bpf_object *obj;
	struct bpf_link *link;
	struct bpf_map *map;
	struct kfa_cfg *cfg;
	char path[512], state[64];
	size_t size;
	double end;

	ipt_path(path, sizeof(path), "selftests/kfunc_args.bpf.o");
	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return -errno;
	map = internal_map(obj, ".rodata");
	cfg = map ? bpf_map__initial_value(map, &size) : NULL;
	if (!cfg || size < sizeof(*cfg)) {
		bpf_object__close(obj);
		return -ENOENT;
	}
	cfg->proto = proto;
	if (bpf_object__load(obj)) {
		bpf_object__close(obj);
		return -EINVAL;
	}
	link = bpf_map__attach_struct_ops(bpf_object__find_map_by_name(obj, "kfa_ops"));
	if (!link) {
		bpf_object__close(obj);
		return -errno;
	}
	/* ops.init ran before the attach returned; .data is mapped live. */
	map = internal_map(obj, ".data");
	memcpy(res, bpf_map__initial_value(map, &size), sizeof(*res));
	bpf_link__destroy(link);
	bpf_object__close(obj);
	for (end = ipt_now() + 30; ipt_now() < end; usleep(50 * 1000)) {
		ipt_scx_state(state, sizeof(state));
		if (!strcmp(state, "disabled"))
			return 0;
	}
	return -ETIMEDOUT;
}

static void check_refused(struct __test_metadata *_metadata, const struct kfa_result *res,
			  int splats[IPT_NR_SPLATS])
{
	int now[IPT_NR_SPLATS];

	ASSERT_EQ(0, res->attach_ret);
	TH_LOG("%u hostile calls; %u not refused as -BAD_ARG (first: line %u, %d)",
	       res->nr_bad, res->nr_wrong, res->wrong_line, res->wrong_ret);
	EXPECT_EQ(0, res->nr_wrong);
	EXPECT_GE(res->nr_bad, 100);
	/* Each counted once, as every other abort. */
	EXPECT_EQ(res->nr_bad, ipt_info("abort_bad_arg"));
	ipt_splat_counts(now);
	for (size_t i = 0; i < IPT_NR_SPLATS; i++) {
		EXPECT_EQ(splats[i], now[i]) TH_LOG("dmesg gained \"%s\"", ipt_splats[i]);
	}
}

TEST_F_TIMEOUT(args, swap_kfuncs_refuse_bad_args, 120)
{
	struct kfa_result res;

	ASSERT_EQ(0, run_scheduler(_metadata, IPUSWAP_PROTO_SWAP, &res));
	check_refused(_metadata, &res, self->splats);
}

TEST_F_TIMEOUT(args, fito_kfuncs_refuse_bad_args_and_wait_once_per_cycle, 120)
{
	long long waits, capped;
	struct kfa_result res;

	ASSERT_EQ(0, run_scheduler(_metadata, IPUSWAP_PROTO_FITO, &res));
	check_refused(_metadata, &res, self->splats);
	EXPECT_EQ(-IPUSWAP_R_BAD_ARG, res.commit_empty)
		TH_LOG("ipuswap_fito_commit(0, -9) on an empty cell: %d", res.commit_empty);

	/* Our task, stranded: queued on the host, no longer the firmware's. */
	ASSERT_LE(0, res.decided) TH_LOG("the firmware never decided (%d)", res.decided);
	ASSERT_EQ(-IPUSWAP_R_NOT_ALLOWED, res.refused);
	for (int i = 0; i < KFA_NR_REQUESTS; i++) {
		EXPECT_EQ(-IPUSWAP_R_NO_PROPOSAL, res.loop_rets[i]) TH_LOG("request %d", i);
	}
	/* One wait before the cycle (the decision), the cycle's own. */
	waits = ipt_info("fito_waits") - 1;
	capped = ipt_info("fito_wait_capped");
	TH_LOG("%d requests in one cycle: %lld waited, %lld capped, %llu us in all, "
	       "%llu context switches", KFA_NR_REQUESTS, waits, capped,
	       (unsigned long long)res.loop_ns / 1000,
	       (unsigned long long)res.loop_switches);
	/* A switch (we were preempted between requests) starts a cycle. */
	EXPECT_LE(waits, 1 + (long long)res.loop_switches);
	EXPECT_GE(waits, 1);
	EXPECT_EQ(KFA_NR_REQUESTS, waits + capped);
}

TEST_HARNESS_MAIN
