// SPDX-License-Identifier: GPL-2.0
/*
 * The VM itself: the kernel we built boots, sched_ext is there, the
 * emulated IPU is on the PCI bus, and the topology is what vm-run asked for.
 */
#include <sys/utsname.h>

#include "kselftest_harness.h"
#include "ipuswap_test.h"

TEST(kernel_is_the_built_one)
{
	const char *want = getenv("IPUSWAP_KERNELRELEASE");
	struct utsname u;

	ASSERT_EQ(0, uname(&u));
	if (!want)
		SKIP(return, "IPUSWAP_KERNELRELEASE not set by the runner");
	TH_LOG("running %s, built %s", u.release, want);
	ASSERT_STREQ(want, u.release);
}

TEST(sched_ext_present_and_idle)
{
	char buf[64];

	ASSERT_EQ(0, ipt_read(SCX_STATE, buf, sizeof(buf)))
		TH_LOG("%s missing: kernel without CONFIG_SCHED_CLASS_EXT?", SCX_STATE);
	ASSERT_STREQ("disabled", buf);
}

/* Find the ivshmem-doorbell function (1af4:1110) on the PCI bus. */
static bool find_ivshmem(char *bdf, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	bool found = false;

	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		char path[512], vendor[16], device[16];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/vendor", e->d_name);
		if (ipt_read(path, vendor, sizeof(vendor)))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/device", e->d_name);
		if (ipt_read(path, device, sizeof(device)))
			continue;
		if (!strcmp(vendor, "0x1af4") && !strcmp(device, "0x1110")) {
			snprintf(bdf, len, "%s", e->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

TEST(emulated_ipu_on_pci_bus)
{
	char bdf[256], path[512];
	unsigned long long start, end, flags;
	FILE *f;

	ASSERT_TRUE(find_ivshmem(bdf, sizeof(bdf)))
		TH_LOG("no 1af4:1110 device: QEMU did not attach ivshmem-doorbell");
	/* BAR2 is the shared window: a power of two, 64-bit prefetchable. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource", bdf);
	f = fopen(path, "r");
	ASSERT_NE(NULL, f);
	for (int i = 0; i <= 2; i++)
		ASSERT_EQ(3, fscanf(f, "%llx %llx %llx", &start, &end, &flags));
	fclose(f);
	TH_LOG("%s BAR2 %llu bytes", bdf, end - start + 1);
	ASSERT_NE(0, start);
	ASSERT_EQ(0, (end - start + 1) & (end - start));
	/* MSI-X capability: the msi_irqs directory appears once enabled, so
	 * check the config space capability list instead.
	 */
	snprintf(path, sizeof(path), "lspci -s %s -vv 2>/dev/null | grep -q MSI-X", bdf);
	ASSERT_EQ(0, system(path)) TH_LOG("no MSI-X capability on %s", bdf);
}

TEST(two_numa_nodes)
{
	ASSERT_TRUE(ipt_exists("/sys/devices/system/node/node0"));
	ASSERT_TRUE(ipt_exists("/sys/devices/system/node/node1"));
}

TEST(writable_tmpfs_and_project)
{
	char path[512];

	ASSERT_EQ(0, access("/tmp", W_OK));
	ASSERT_EQ(0, access("/run", W_OK));
	ASSERT_EQ(0, access("/var", W_OK));
	ipt_path(path, sizeof(path), ".");
	ASSERT_EQ(0, access(path, W_OK)) TH_LOG("project share not writable");
	/* The host root is read-only. */
	ASSERT_NE(0, access("/usr", W_OK));
}

TEST_HARNESS_MAIN
