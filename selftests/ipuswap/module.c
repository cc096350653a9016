// SPDX-License-Identifier: GPL-2.0
/*
 * ipuswap.ko against the emulated IPU: it loads, binds the device, exposes
 * its BTF, answers pings through doorbell + MSI-X, and rejects bad input.
 */
#include "kselftest_harness.h"
#include "ipuswap_test.h"

FIXTURE(mod) {
	bool loaded;
};

FIXTURE_SETUP(mod)
{
	int ret;

	if (ipt_module_loaded())
		ipt_unload_module();
	ret = ipt_load_module(NULL);
	ASSERT_EQ(0, ret) TH_LOG("finit_module: %s", strerror(-ret));
	self->loaded = true;
}

FIXTURE_TEARDOWN(mod)
{
	if (self->loaded)
		EXPECT_EQ(0, ipt_unload_module());
}

TEST_F_TIMEOUT(mod, binds_device_and_has_btf, 60)
{
	char bdf[256];
	int bound = ipt_bound_devices(bdf, sizeof(bdf));

	ASSERT_EQ(1, bound) TH_LOG("driver bound %d devices", bound);
	ASSERT_TRUE(ipt_exists("/sys/kernel/btf/ipuswap"));
	ASSERT_TRUE(ipt_exists(IPUSWAP_DEBUGFS "/info"));
	ASSERT_GE(ipt_info("window_size"), 64 * 1024);
	/* vm-run gives the guest peer 1 and the firmware peer 0. */
	ASSERT_EQ(0, ipt_info("fw_peer_id"));
	ASSERT_NE(ipt_info("fw_peer_id"), ipt_info("peer_id"));
	ASSERT_EQ(1, ipt_info("host_state"));
}

/* The firmware advances its counter; a loaded host may delay it a while. */
TEST_F_TIMEOUT(mod, liveness_advances, 60)
{
	long long a = ipt_info("fw_liveness"), b;
	double t0 = ipt_now();

	do {
		usleep(100 * 1000);
		b = ipt_info("fw_liveness");
	} while (b <= a && ipt_now() - t0 < 20);
	TH_LOG("liveness %lld -> %lld in %.1f s", a, b, ipt_now() - t0);
	ASSERT_GT(b, a);
	ASSERT_EQ(1, ipt_info("fw_alive"));
}

TEST_F_TIMEOUT(mod, ping_1000_none_lost, 300)
{
	long long before_irqs = ipt_info("irqs_ctrl");
	int ret;

	ret = ipt_write(IPUSWAP_DEBUGFS "/ping", "1000");
	ASSERT_EQ(0, ret) TH_LOG("ping: %s (lost %lld)", strerror(-ret), ipt_info("ping_lost"));
	ASSERT_EQ(1000, ipt_info("ping_count"));
	ASSERT_EQ(0, ipt_info("ping_lost"));
	/* Every answer arrived as an interrupt, not by polling. */
	ASSERT_GE(ipt_info("irqs_ctrl") - before_irqs, 1000);
	TH_LOG("ping round trip in the VM: p50 %lld ns, p99 %lld ns",
	       ipt_info("ping_p50_ns"), ipt_info("ping_p99_ns"));
	printf("# ping_p50_ns=%lld ping_p99_ns=%lld\n",
	       ipt_info("ping_p50_ns"), ipt_info("ping_p99_ns"));
}

/* The module's and the firmware's builds of ipuswap_wire.h agree. */
TEST_F_TIMEOUT(mod, wire_header_agrees_with_firmware, 60)
{
	int ret = ipt_write(IPUSWAP_DEBUGFS "/wirecheck", "1");

	ASSERT_EQ(0, ret) TH_LOG("wirecheck: %s, %lld mismatches (see dmesg)",
				 strerror(-ret), ipt_info("wirecheck_mismatches"));
	ASSERT_EQ(128, ipt_info("wirecheck_words"));
	ASSERT_EQ(0, ipt_info("wirecheck_mismatches"));
	/* Twice: sequence numbers carry over, the second is a new request. */
	ASSERT_EQ(0, ipt_write(IPUSWAP_DEBUGFS "/wirecheck", "1"));
	ASSERT_EQ(-EINVAL, ipt_write(IPUSWAP_DEBUGFS "/wirecheck", "2"));
	ASSERT_GE(ipt_info("nr_tasks"), 64);
}

TEST_F(mod, ping_rejects_bad_counts)
{
	ASSERT_EQ(-EINVAL, ipt_write(IPUSWAP_DEBUGFS "/ping", "0"));
	ASSERT_EQ(-EINVAL, ipt_write(IPUSWAP_DEBUGFS "/ping", "banana"));
	ASSERT_EQ(-EINVAL, ipt_write(IPUSWAP_DEBUGFS "/ping", "100001"));
	ASSERT_EQ(0, ipt_info("ping_count"));
}

TEST_F(mod, param_rejects_bad_value_and_keeps_old)
{
	char buf[32];
	const char *p = "/sys/module/ipuswap/parameters/live_timeout_ms";

	ASSERT_EQ(-EINVAL, ipt_write(p, "5"));
	ASSERT_EQ(-EINVAL, ipt_write(p, "-1"));
	ASSERT_EQ(0, ipt_read(p, buf, sizeof(buf)));
	ASSERT_STREQ("2000", buf);
	ASSERT_EQ(0, ipt_write(p, "3000"));
	ASSERT_EQ(0, ipt_read(p, buf, sizeof(buf)));
	ASSERT_STREQ("3000", buf);
}

TEST(load_with_bad_param_fails_cleanly)
{
	if (ipt_module_loaded())
		ipt_unload_module();
	ASSERT_EQ(-EINVAL, ipt_load_module("live_timeout_ms=1"));
	ASSERT_FALSE(ipt_module_loaded());
}

TEST(unbind_and_rebind)
{
	char bdf[256] = "";

	if (ipt_module_loaded())
		ipt_unload_module();
	ASSERT_EQ(0, ipt_load_module(NULL));
	ASSERT_EQ(1, ipt_bound_devices(bdf, sizeof(bdf)));
	ASSERT_EQ(0, ipt_write("/sys/bus/pci/drivers/ipuswap/unbind", bdf));
	ASSERT_FALSE(ipt_exists(IPUSWAP_DEBUGFS "/info"));
	ASSERT_EQ(0, ipt_write("/sys/bus/pci/drivers/ipuswap/bind", bdf));
	ASSERT_EQ(0, ipt_write(IPUSWAP_DEBUGFS "/ping", "10"));
	ASSERT_EQ(0, ipt_write(IPUSWAP_DEBUGFS "/wirecheck", "1"));
	/* A rebind continues the host's sequence words: still answered. */
	ASSERT_EQ(0, ipt_write("/sys/bus/pci/drivers/ipuswap/unbind", bdf));
	ASSERT_EQ(0, ipt_write("/sys/bus/pci/drivers/ipuswap/bind", bdf));
	ASSERT_EQ(0, ipt_write(IPUSWAP_DEBUGFS "/ping", "10"));
	ASSERT_EQ(0, ipt_write(IPUSWAP_DEBUGFS "/wirecheck", "1"));
	ASSERT_EQ(0, ipt_unload_module());
}

TEST_HARNESS_MAIN
