// SPDX-License-Identifier: GPL-2.0
/*
 * ipuswap.ko against the emulated IPU: it loads, binds the device, exposes
 * its BTF, answers pings through doorbell + MSI-X, and rejects bad input;
 * /dev/ipuswap is for a privileged on-host agent only, never executable.
 */
#define _GNU_SOURCE
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/statvfs.h>

#include "kselftest_harness.h"
#include "ipuswap_test.h"
#include "ipuswap_dev.h"
#include "ipuswap_wire.h"

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

/* open() of /dev/ipuswap in a child without CAP_SYS_ADMIN: 0 or errno. */
static int open_without_sys_admin(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	int status, fd;
	pid_t pid = fork();

	if (pid == 0) {
		/* Still uid 0, so the file mode lets it in: only the capability is gone. */
		if (syscall(SYS_capget, &h, d))
			_exit(100);
		d[CAP_TO_INDEX(CAP_SYS_ADMIN)].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
		if (syscall(SYS_capset, &h, d))
			_exit(101);
		fd = open(IPUSWAP_DEV_PATH, O_RDWR);
		_exit(fd >= 0 ? 0 : errno);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F(mod, cdev_open_needs_cap_sys_admin)
{
	int fd;

	ASSERT_EQ(EPERM, open_without_sys_admin());
	/* With it, it opens (nothing attached). */
	fd = open(IPUSWAP_DEV_PATH, O_RDWR);
	ASSERT_GE(fd, 0) TH_LOG("open as root: %s", strerror(errno));
	close(fd);
}

TEST_F(mod, cdev_mapping_never_executable)
{
	long page = sysconf(_SC_PAGESIZE);
	struct statvfs sv;
	void *p;
	int fd;

	fd = open(IPUSWAP_DEV_PATH, O_RDWR);
	ASSERT_GE(fd, 0) TH_LOG("open: %s", strerror(errno));
	/* A noexec /dev would clear VM_MAYEXEC itself and prove nothing. */
	ASSERT_EQ(0, statvfs(IPUSWAP_DEV_PATH, &sv));
	ASSERT_FALSE(sv.f_flag & ST_NOEXEC);
	p = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, IPUSWAP_DEV_MMAP_OFFSET);
	ASSERT_NE(MAP_FAILED, p) TH_LOG("mmap: %s", strerror(errno));
	ASSERT_EQ(IPUSWAP_MAGIC, ((volatile struct ipuswap_window_hdr *)p)->magic);
	ASSERT_EQ(-1, mprotect(p, page, PROT_READ | PROT_EXEC));
	ASSERT_EQ(EACCES, errno);
	munmap(p, page);
	ASSERT_EQ(MAP_FAILED, mmap(NULL, page, PROT_READ | PROT_EXEC, MAP_SHARED, fd,
				   IPUSWAP_DEV_MMAP_OFFSET));
	close(fd);
}

/* While the IPU serves an attached scheduler, no second firmware on the host. */
FIXTURE(cdev_ipu) {
	struct ipt_loader loader;
	bool running;
	pid_t child;
};

FIXTURE_SETUP(cdev_ipu)
{
	self->running = false;
	self->child = 0;
	if (!ipt_module_loaded())
		ASSERT_EQ(0, ipt_load_module(NULL));
}

FIXTURE_TEARDOWN(cdev_ipu)
{
	if (self->child > 0) {
		kill(self->child, SIGKILL);
		waitpid(self->child, NULL, 0);
	}
	if (self->running)
		ipt_loader_stop(&self->loader, SIGINT, 60);
	if (ipt_module_loaded())
		ipt_unload_module_settled(10);
}

TEST_F_TIMEOUT(cdev_ipu, refused_unless_onhost_asked, 300)
{
	const char *args[] = { "--mode", "swap", "--stats", "0", NULL };
	long page = sysconf(_SC_PAGESIZE);
	int to_child[2], from_child[2], status, fd, open_errno, refusals;
	bool detached;
	char c = 0;

	/* A mapping made before the attach (as the on-host agent would). */
	ASSERT_EQ(0, pipe2(to_child, O_CLOEXEC));	/* not the loader's */
	ASSERT_EQ(0, pipe2(from_child, O_CLOEXEC));
	self->child = fork();
	ASSERT_GE(self->child, 0);
	if (self->child == 0) {
		volatile struct ipuswap_window_hdr *h;

		fd = open(IPUSWAP_DEV_PATH, O_RDWR);
		h = fd < 0 ? MAP_FAILED : mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
		if (h == MAP_FAILED || h->magic != IPUSWAP_MAGIC)
			_exit(1);
		c = 'm';
		if (write(from_child[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(2);
		/* Revoked by the attach: this faults with SIGBUS. */
		_exit(h->magic == IPUSWAP_MAGIC ? 0 : 3);
	}
	ASSERT_EQ(1, read(from_child[0], &c, 1));
	ASSERT_EQ('m', c);

	self->running = ipt_sched_attach(&self->loader, NULL, args);
	ASSERT_TRUE(self->running);
	usleep(300 * 1000);	/* the revocation is a work queued by the attach */
	/* Nothing asserted until the detach: the scheduler must not outlive us. */
	EXPECT_EQ(1, write(to_child[1], &c, 1));
	EXPECT_EQ(self->child, waitpid(self->child, &status, 0));
	self->child = 0;
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		TH_LOG("the mapping outlived the attach with the IPU's agent: status %#x", status);
	/* And no new file while the IPU serves. */
	fd = open(IPUSWAP_DEV_PATH, O_RDWR);
	open_errno = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	refusals = ipt_dmesg_count("the on-host agent needs scx_ipuswap --mode onhost");
	detached = ipt_sched_detach(&self->loader, &status);
	self->running = false;
	ASSERT_TRUE(detached) TH_LOG("loader status %#x", status);
	ASSERT_EQ(EBUSY, open_errno) TH_LOG("open while the IPU serves: %s", strerror(open_errno));
	ASSERT_GE(refusals, 1);

	fd = open(IPUSWAP_DEV_PATH, O_RDWR);
	ASSERT_GE(fd, 0) TH_LOG("open after detach: %s", strerror(errno));
	close(fd);
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
