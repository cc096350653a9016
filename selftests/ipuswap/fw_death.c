// SPDX-License-Identifier: GPL-2.0
/*
 * Run with the firmware started as `ipuswap-fw --fault kill@S` and
 * IPUSWAP_FW_KILLED=1: the firmware dies S seconds after the driver binds,
 * in the middle of a ping batch this test starts at once.
 * The driver must notice that liveness stopped, say so exactly once, keep
 * answering its users, and unload cleanly.
 */
#include "kselftest_harness.h"
#include "ipuswap_test.h"

FIXTURE(fw) {
};

FIXTURE_SETUP(fw)
{
}

FIXTURE_TEARDOWN(fw)
{
	if (ipt_module_loaded())
		ipt_unload_module();
}

TEST_F_TIMEOUT(fw, killed_is_noticed_once, 300)
{
	double end;
	long long live;
	int ret;

	if (!getenv("IPUSWAP_FW_KILLED"))
		SKIP(return, "firmware not set to die in this VM run");
	if (ipt_module_loaded())
		ipt_unload_module();
	ASSERT_EQ(0, ipt_load_module("live_timeout_ms=1000"));
	ASSERT_EQ(1, ipt_info("fw_alive"));

	/*
	 * A batch that outlives the firmware gives up after 3 losses in a
	 * row, also when earlier pings of it were answered (it used to stop
	 * only when the first three were lost: 1 s per ping for hours).
	 */
	ret = ipt_write(IPUSWAP_DEBUGFS "/ping", "100000");
	ASSERT_EQ(-ETIMEDOUT, ret);
	TH_LOG("batch of 100000: %lld answered, %lld lost before it gave up",
	       ipt_info("ping_count"), ipt_info("ping_lost"));
	ASSERT_GT(ipt_info("ping_count"), 0) TH_LOG("firmware died before the batch began");
	ASSERT_EQ(3, ipt_info("ping_lost"));

	end = ipt_now() + 120;
	while (ipt_info("fw_alive") != 0 && ipt_now() < end)
		usleep(100 * 1000);
	ASSERT_EQ(0, ipt_info("fw_alive")) TH_LOG("liveness never stopped");
	live = ipt_info("fw_liveness");
	TH_LOG("liveness stopped at %lld", live);

	/* A dead firmware answers no ping; the driver reports, not hangs. */
	ret = ipt_write(IPUSWAP_DEBUGFS "/ping", "3");
	ASSERT_EQ(-ETIMEDOUT, ret);
	ASSERT_EQ(6, ipt_info("ping_lost"));

	sleep(3);
	ASSERT_EQ(1, ipt_dmesg_count("firmware liveness stopped"));
	ASSERT_EQ(live, ipt_info("fw_liveness"));
	ASSERT_EQ(0, ipt_unload_module());
	ASSERT_EQ(0, ipt_dmesg_count("Oops"));
}

TEST_HARNESS_MAIN
