// SPDX-License-Identifier: GPL-2.0
/*
 * Run with the firmware started as `ipuswap-fw --corrupt-header FIELD` and
 * IPUSWAP_CORRUPT=FIELD: the driver must refuse the window with a clear
 * message, bind nothing, and stay unloadable. Without the variable the
 * firmware is healthy and the test is skipped.
 */
#include "kselftest_harness.h"
#include "ipuswap_test.h"

TEST(corrupt_window_is_refused)
{
	const char *field = getenv("IPUSWAP_CORRUPT");
	const char *needle;
	int ret;

	if (!field)
		SKIP(return, "firmware header not corrupted in this VM run");
	if (!strcmp(field, "magic"))
		needle = "window refused: bad magic";
	else if (!strcmp(field, "version"))
		needle = "window refused: wire version";
	else if (!strcmp(field, "size"))
		needle = "window refused: header size";
	else
		SKIP(return, "unknown corruption '%s'", field);

	if (ipt_module_loaded())
		ipt_unload_module();
	/* The driver registers; only the device probe fails. */
	ret = ipt_load_module(NULL);
	ASSERT_EQ(0, ret) TH_LOG("finit_module: %s", strerror(-ret));
	ASSERT_EQ(1, ipt_dmesg_count(needle)) TH_LOG("expected one '%s' in dmesg", needle);
	ASSERT_FALSE(ipt_exists(IPUSWAP_DEBUGFS "/info"));
	ASSERT_EQ(0, ipt_dmesg_count("Oops"));
	ASSERT_EQ(0, ipt_dmesg_count("BUG:"));
	ASSERT_EQ(0, ipt_unload_module());
}

TEST_HARNESS_MAIN
