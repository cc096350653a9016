/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* The TAP plumbing the firmware's unit-test programs share. */
#ifndef IPUSWAP_TESTS_TAP_H
#define IPUSWAP_TESTS_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

/* Cleared by a failed EXPECT; each test starts with it set. */
static bool cur_ok;

static inline void diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Non-fatal: report and keep checking, the test fails at the end. */
#define EXPECT(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			diag("%s:%d: %s", __FILE__, __LINE__, #cond);	\
			diag(__VA_ARGS__);				\
			cur_ok = false;					\
		}							\
	} while (0)

struct tap_test {
	const char *name;
	bool (*fn)(void);
};

/* Run every test, print TAP; returns the process exit status. */
static inline int tap_run(const char *suite, const struct tap_test *tests, unsigned int n)
{
	unsigned int i, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("TAP version 13\n1..%u\n", n);
	for (i = 0; i < n; i++) {
		bool ok;

		cur_ok = true;
		ok = tests[i].fn() && cur_ok;
		printf("%sok %u - %s: %s\n", ok ? "" : "not ", i + 1, suite, tests[i].name);
		failed += !ok;
	}
	if (failed)
		diag("%u of %u tests failed", failed, n);
	return failed ? 1 : 0;
}

#endif /* IPUSWAP_TESTS_TAP_H */
