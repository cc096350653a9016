/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Logging for ipuswap-fw. Every line goes to stderr prefixed "ipuswap-fw: "
 * and is written with a single write(2), so lines from a dying process (or
 * interleaved with a test harness reading the same file) are never torn.
 */
#ifndef IPUSWAP_FW_LOG_H
#define IPUSWAP_FW_LOG_H

extern int fw_verbose;

void fw_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Only printed with -v (level 1) or -vv (level 2). */
#define fw_dbg(level, ...)					\
	do {							\
		if (fw_verbose >= (level))			\
			fw_log(__VA_ARGS__);			\
	} while (0)

#endif /* IPUSWAP_FW_LOG_H */
