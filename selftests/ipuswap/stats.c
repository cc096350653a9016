// SPDX-License-Identifier: GPL-2.0
/*
 * scx_ipuswap's stats socket (the scx_stats line protocol) and the scx
 * command-line conventions: both requests answer valid JSON (parsed here
 * with jansson) while a load runs, the values move, unknown requests get
 * EINVAL, a second instance never takes a live socket over but a stale one
 * is replaced, --monitor loads nothing and waits while no scheduler serves,
 * and every new flag's bad value is refused with status 2.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <jansson.h>

#include "kselftest_harness.h"
#include "ipuswap_test.h"

#define SOCK_DFL	"/var/run/scx/root/stats"
#define SOCK_ALT	"/tmp/ipuswap-stats-test/stats"
#define REQ_STATS	"{\"req\":\"stats\",\"args\":{\"target\":\"top\"}}"
#define REQ_META	"{\"req\":\"stats_meta\"}"

static const struct ipt_work work = { .spins = 10000, .sleep_us = 100 };
static struct ipt_trickle trickle = { .shape = &work };

static int sock_open(const char *path)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* One request line on @fd, its reply line parsed; NULL if not JSON. */
static json_t *sock_ask(int fd, const char *req)
{
	static char buf[1 << 16];
	size_t used = 0;
	double end = ipt_now() + 10;
	char line[4096];

	snprintf(line, sizeof(line), "%s\n", req);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line))
		return NULL;
	while (ipt_now() < end && used < sizeof(buf) - 1) {
		struct timeval tv = { .tv_sec = 1 };
		fd_set rd;
		ssize_t n;

		FD_ZERO(&rd);
		FD_SET(fd, &rd);
		if (select(fd + 1, &rd, NULL, NULL, &tv) <= 0)
			continue;
		n = read(fd, buf + used, sizeof(buf) - 1 - used);
		if (n <= 0)
			return NULL;
		used += n;
		buf[used] = '\0';
		if (strchr(buf, '\n'))
			return json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
	}
	return NULL;
}

/* A fresh connection for one request. */
static json_t *ask(const char *path, const char *req)
{
	int fd = sock_open(path);
	json_t *reply;

	if (fd < 0)
		return NULL;
	reply = sock_ask(fd, req);
	close(fd);
	return reply;
}

static long long reply_errno(json_t *reply)
{
	json_t *e = json_object_get(reply, "errno");

	return json_is_integer(e) ? json_integer_value(e) : -1;
}

static json_t *reply_resp(json_t *reply)
{
	return json_object_get(json_object_get(reply, "args"), "resp");
}

/* The loader with stdout and stderr on one pipe (ipt_loader_start: stdout only). */
static int start_merged(struct ipt_loader *l, const char *const extra[])
{
	return ipt_loader_spawn(l, extra, true);
}

/* ipt_sched_attach() with start_merged(); the module is the fixture's. */
static bool attach(struct ipt_loader *l, const char *const args[])
{
	return !start_merged(l, args) &&
	       ipt_loader_wait_line(l, "scx_ipuswap: attached", 120);
}

FIXTURE(stats) {
	struct ipt_loader loader, other;
	bool running, other_running;
};

FIXTURE_SETUP(stats)
{
	if (!ipt_module_loaded())
		ASSERT_EQ(0, ipt_load_module(NULL));
	self->running = self->other_running = false;
	trickle.stop = 0;
}

FIXTURE_TEARDOWN(stats)
{
	trickle.stop = 1;
	if (self->other_running)
		ipt_loader_stop(&self->other, SIGKILL, 30);
	if (self->running)
		ipt_loader_stop(&self->loader, SIGINT, 60);
	if (ipt_module_loaded())
		ipt_unload_module_settled(10);
}

/* Does @resp carry every field @fields describes, of the kind it says? */
static bool matches_meta(struct __test_metadata *_metadata, json_t *fields, json_t *resp)
{
	const char *name;
	json_t *f;

	json_object_foreach(fields, name, f) {
		json_t *v = json_object_get(resp, name);
		const char *datum = json_string_value(json_object_get(f, "datum"));

		if (!json_is_string(json_object_get(f, "desc"))) {
			TH_LOG("meta field %s has no desc", name);
			return false;
		}
		if (!v) {
			TH_LOG("stats lack meta field %s", name);
			return false;
		}
		if (datum && !strcmp(datum, "u64") && !json_is_integer(v)) {
			TH_LOG("%s is not an integer", name);
			return false;
		}
		if (datum && !strcmp(datum, "string") && !json_is_string(v)) {
			TH_LOG("%s is not a string", name);
			return false;
		}
		if (json_object_get(f, "dict") && !json_is_object(v)) {
			TH_LOG("%s is not a dict", name);
			return false;
		}
	}
	json_object_foreach(resp, name, f) {
		if (!json_object_get(fields, name)) {
			TH_LOG("stats field %s is not in the meta", name);
			return false;
		}
	}
	return true;
}

TEST_F_TIMEOUT(stats, socket_answers_while_loaded, 300)
{
	const char *args[] = { "--stats", "0", NULL };
	json_t *meta, *r1, *r2, *fields, *top;
	long long e1, e2, d1, d2;
	pthread_t loader_load[2];

	ASSERT_TRUE(attach(&self->loader, args));
	self->running = true;
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&loader_load[i], NULL, ipt_trickle, &trickle));
	usleep(500 * 1000);

	meta = ask(SOCK_DFL, REQ_META);
	ASSERT_NE(NULL, meta) TH_LOG("no JSON reply to stats_meta at " SOCK_DFL);
	ASSERT_EQ(0, reply_errno(meta));
	top = json_object_get(reply_resp(meta), "ipuswap");
	ASSERT_STREQ("true", json_string_value(json_object_get(top, "top")));
	ASSERT_STREQ("ipuswap", json_string_value(json_object_get(top, "name")));
	fields = json_object_get(top, "fields");
	ASSERT_GE(json_object_size(fields), 10);

	r1 = ask(SOCK_DFL, REQ_STATS);
	ASSERT_NE(NULL, r1);
	ASSERT_EQ(0, reply_errno(r1));
	ASSERT_TRUE(matches_meta(_metadata, fields, reply_resp(r1)));
	/* The module's counters ride along. */
	ASSERT_TRUE(json_is_integer(json_object_get(json_object_get(reply_resp(r1), "module"),
						    "dispatch_taken")));
	sleep(2);
	r2 = ask(SOCK_DFL, REQ_STATS);
	ASSERT_NE(NULL, r2);
	ASSERT_EQ(0, reply_errno(r2));
	trickle.stop = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(loader_load[i], NULL);

	e1 = json_integer_value(json_object_get(reply_resp(r1), "enqueues"));
	e2 = json_integer_value(json_object_get(reply_resp(r2), "enqueues"));
	d1 = json_integer_value(json_object_get(reply_resp(r1), "dispatches"));
	d2 = json_integer_value(json_object_get(reply_resp(r2), "dispatches"));
	TH_LOG("enqueues %lld -> %lld, dispatches %lld -> %lld", e1, e2, d1, d2);
	ASSERT_GT(e2, e1);
	ASSERT_GT(d2, d1);
	json_decref(meta);
	json_decref(r1);
	json_decref(r2);
}

TEST_F_TIMEOUT(stats, unknown_request_is_einval, 300)
{
	const char *args[] = { "--stats", "0", NULL };
	const char *bad[] = {
		"{\"req\":\"bogus\"}", "not json",
		"{\"req\":\"stats\",\"args\":{\"target\":\"nope\"}}", "[1,2]",
	};
	json_t *reply;
	int fd;

	ASSERT_TRUE(attach(&self->loader, args));
	self->running = true;
	fd = sock_open(SOCK_DFL);
	ASSERT_GE(fd, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reply = sock_ask(fd, bad[i]);
		ASSERT_NE(NULL, reply) TH_LOG("no JSON reply to '%s'", bad[i]);
		EXPECT_EQ(EINVAL, reply_errno(reply)) TH_LOG("'%s'", bad[i]);
		EXPECT_TRUE(json_is_string(reply_resp(reply)));
		json_decref(reply);
	}
	/* The same connection still serves. */
	reply = sock_ask(fd, REQ_STATS);
	ASSERT_NE(NULL, reply);
	ASSERT_EQ(0, reply_errno(reply));
	json_decref(reply);
	close(fd);
}

TEST_F_TIMEOUT(stats, second_instance_refuses_live_socket, 300)
{
	const char *args[] = { "--stats", "0", NULL };
	char state[64];
	json_t *reply;
	int status;

	ASSERT_TRUE(attach(&self->loader, args));
	self->running = true;
	ASSERT_EQ(0, start_merged(&self->other, args));
	self->other_running = true;
	ASSERT_TRUE(ipt_loader_wait_line(&self->other, "another scheduler is serving stats", 60));
	status = ipt_loader_stop(&self->other, 0, 60);
	self->other_running = false;
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(1, WEXITSTATUS(status));

	/* The first instance keeps its socket and its attach. */
	ipt_scx_state(state, sizeof(state));
	ASSERT_STREQ("enabled", state);
	reply = ask(SOCK_DFL, REQ_STATS);
	ASSERT_NE(NULL, reply);
	ASSERT_EQ(0, reply_errno(reply));
	json_decref(reply);
}

TEST_F_TIMEOUT(stats, stale_socket_is_replaced, 300)
{
	const char *args[] = { "--stats", "0", NULL };
	char state[64];
	struct stat st;
	json_t *reply;
	int status;

	ASSERT_TRUE(attach(&self->loader, args));
	ipt_loader_stop(&self->loader, SIGKILL, 30);
	/* Killed: its socket file stays behind, with nobody listening. */
	ASSERT_EQ(0, lstat(SOCK_DFL, &st));
	ASSERT_TRUE(S_ISSOCK(st.st_mode));
	ASSERT_GT(0, sock_open(SOCK_DFL));
	for (int i = 0; i < 100; i++) {
		ipt_scx_state(state, sizeof(state));
		if (!strcmp(state, "disabled"))
			break;
		usleep(100 * 1000);
	}
	ASSERT_STREQ("disabled", state);

	ASSERT_TRUE(attach(&self->loader, args));
	self->running = true;
	reply = ask(SOCK_DFL, REQ_STATS);
	ASSERT_NE(NULL, reply);
	ASSERT_EQ(0, reply_errno(reply));
	json_decref(reply);
	ASSERT_TRUE(ipt_sched_detach(&self->loader, &status)) TH_LOG("status %#x", status);
	self->running = false;
	/* A clean exit removes its socket file. */
	ASSERT_FALSE(ipt_exists(SOCK_DFL));
}

TEST_F_TIMEOUT(stats, monitor_waits_for_a_scheduler, 300)
{
	const char *mon_args[] = { "--monitor", "1", "--stats-socket", SOCK_ALT, NULL };
	const char *args[] = { "--stats", "0", "--stats-socket", SOCK_ALT, NULL };
	char state[64];
	int status;

	unlink(SOCK_ALT);
	ASSERT_EQ(0, start_merged(&self->other, mon_args));
	self->other_running = true;
	ASSERT_TRUE(ipt_loader_wait_line(&self->other, "waiting for", 30));
	/* Once, not every retry; and a monitor loads nothing. */
	ASSERT_FALSE(ipt_loader_wait_line(&self->other, "waiting for", 3));
	ipt_scx_state(state, sizeof(state));
	ASSERT_STREQ("disabled", state);

	ASSERT_TRUE(attach(&self->loader, args));
	self->running = true;
	ASSERT_TRUE(ipt_loader_wait_line(&self->other, "dispatch_taken=", 60));
	status = ipt_loader_stop(&self->other, SIGINT, 30);
	self->other_running = false;
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) TH_LOG("status %#x", status);
}

/* The loader's output and exit status for @args, run to completion. */
static int run_loader(const char *const args[], char *out, size_t len)
{
	struct ipt_loader l;
	size_t used = 0;
	ssize_t n;
	int status;

	if (start_merged(&l, args))
		return -1;
	while (used < len - 1 && (n = read(l.fd, out + used, len - 1 - used)) > 0)
		used += n;
	out[used] = '\0';
	close(l.fd);
	if (waitpid(l.pid, &status, 0) != l.pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST(new_flags_refuse_bad_values)
{
	static const struct { const char *args[4]; const char *says; } bad[] = {
		{ { "--stats-socket", "relative/stats" }, "is not an absolute path" },
		{ { "--stats-socket" }, "requires an argument" },
		{ { "--exit-dump-len", "2000000" }, "0 to 1048576" },
		{ { "--exit-dump-len", "-1" }, "0 to 1048576" },
		{ { "--exit-dump-len", "lots" }, "0 to 1048576" },
		{ { "-s", "0" }, "1 to 1000000" },
		{ { "-s", "x" }, "1 to 1000000" },
		{ { "--monitor", "0" }, "needs a period above 0" },
		{ { "--monitor", "soon" }, "is not a number of seconds" },
		{ { "--stats", "-1" }, "is not a number of seconds" },
	};
	char out[8192];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(2, run_loader(bad[i].args, out, sizeof(out))) TH_LOG("%s %s",
			bad[i].args[0], bad[i].args[1] ?: "");
		EXPECT_NE(NULL, strstr(out, bad[i].says)) TH_LOG("%s: '%s'", bad[i].args[0], out);
	}
}

TEST(version_and_help_stats)
{
	const char *version[] = { "-V", NULL }, *help[] = { "--help-stats", NULL };
	char out[8192];

	ASSERT_EQ(0, run_loader(version, out, sizeof(out)));
	ASSERT_EQ(0, strncmp("scx_ipuswap ", out, 12)) TH_LOG("'%s'", out);
	ASSERT_NE(NULL, strstr(out, "ops.name ipuswap_")) TH_LOG("'%s'", out);
	ASSERT_EQ(0, run_loader(help, out, sizeof(out)));
	ASSERT_NE(NULL, strstr(out, "enqueues ")) TH_LOG("'%s'", out);
	ASSERT_NE(NULL, strstr(out, "module ")) TH_LOG("'%s'", out);
}

/* The attached scheduler's ops.name is the one -V prints. */
TEST_F_TIMEOUT(stats, ops_name_carries_version, 300)
{
	const char *args[] = { "--stats", "0", NULL }, *version[] = { "-V", NULL };
	char out[8192], ops[256], want[256];
	char *p;

	ASSERT_EQ(0, run_loader(version, out, sizeof(out)));
	p = strstr(out, "ops.name ");
	ASSERT_NE(NULL, p);
	snprintf(want, sizeof(want), "%s", p + strlen("ops.name "));
	want[strcspn(want, ")\n")] = '\0';
	ASSERT_TRUE(attach(&self->loader, args));
	self->running = true;
	ASSERT_EQ(0, ipt_read(SCX_OPS, ops, sizeof(ops)));
	ASSERT_STREQ(want, ops);
}

TEST_HARNESS_MAIN
