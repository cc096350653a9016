// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define LOG_PREFIX "ipuswap-fw: "

int fw_verbose;

void fw_log(const char *fmt, ...)
{
	char buf[512];
	size_t pre = sizeof(LOG_PREFIX) - 1;
	va_list ap;
	int n;

	memcpy(buf, LOG_PREFIX, pre);
	va_start(ap, fmt);
	n = vsnprintf(buf + pre, sizeof(buf) - pre - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - pre - 2)
		n = sizeof(buf) - pre - 2;	/* truncated: keep the newline */
	n += pre;
	buf[n++] = '\n';
	/* Nothing sensible to do if stderr is gone. */
	if (write(STDERR_FILENO, buf, n) < 0)
		return;
}
