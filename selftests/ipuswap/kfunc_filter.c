// SPDX-License-Identifier: GPL-2.0
/*
 * ipuswap's kfuncs are for sched_ext schedulers only (issue 11): a
 * struct_ops program of another type (kfunc_filter.bpf.c, a TCP congestion
 * control calling ipuswap_fw_alive()) is refused by the verifier, and the
 * scheduler's own object, loaded the same way, is accepted. Neither is
 * attached: loading is where the verifier decides.
 */
#include <stdarg.h>
#include <bpf/libbpf.h>

#include "kselftest_harness.h"
#include "ipuswap_test.h"

/* libbpf's messages, the verifier log among them. */
static char log_buf[1 << 20];
static size_t log_len;

static int collect(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if (level == LIBBPF_DEBUG || log_len >= sizeof(log_buf) - 1)
		return 0;
	n = vsnprintf(log_buf + log_len, sizeof(log_buf) - log_len, fmt, ap);
	if (n > 0)
		log_len += (size_t)n < sizeof(log_buf) - log_len ? (size_t)n
								 : sizeof(log_buf) - 1 - log_len;
	return 0;
}

/* bpf_object__load() of build/REL: 0 or its -errno; libbpf's log in log_buf. */
static int load_object(const char *rel)
{
	struct bpf_object *obj;
	char path[512];
	int err;

	ipt_path(path, sizeof(path), rel);
	log_len = 0;
	log_buf[0] = '\0';
	libbpf_set_print(collect);
	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return -errno;
	err = bpf_object__load(obj);
	bpf_object__close(obj);
	return err;
}

FIXTURE(filter) {
};

FIXTURE_SETUP(filter)
{
	if (!ipt_module_loaded())
		ASSERT_EQ(0, ipt_load_module(NULL));
}

FIXTURE_TEARDOWN(filter)
{
	ipt_unload_module_settled(10);
}

TEST_F_TIMEOUT(filter, tcp_congestion_ops_cannot_call_kfuncs, 120)
{
	int err = load_object("selftests/kfunc_filter.bpf.o");

	ASSERT_NE(0, err) TH_LOG("a tcp_congestion_ops program loaded a call to ipuswap_fw_alive()");
	TH_LOG("refused (%d): %s", err, strstr(log_buf, "ipuswap_fw_alive") ?
	       "the verifier log names ipuswap_fw_alive" : log_buf);
	ASSERT_NE(NULL, strstr(log_buf, "ipuswap_fw_alive"))
		TH_LOG("refused, but not for the kfunc:\n%s", log_buf);
}

TEST_F_TIMEOUT(filter, scheduler_object_loads, 300)
{
	int err = load_object("bpf/scx_ipuswap.bpf.o");

	ASSERT_EQ(0, err) TH_LOG("scx_ipuswap.bpf.o refused:\n%s", log_buf);
}

TEST_HARNESS_MAIN
