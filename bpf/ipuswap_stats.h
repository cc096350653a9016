/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_ipuswap's statistics: one table of fields (name, kind, description,
 * where the value comes from) that makes the scx_stats metadata, the
 * socket's replies, the "stats:" lines and --help-stats alike.
 */
#ifndef IPUSWAP_STATS_H
#define IPUSWAP_STATS_H

#include <stdbool.h>
#include <stdio.h>
#include <jansson.h>

/* What a stats read needs: the BPF side's per-CPU "stats" map. */
struct ipuswap_stats_src {
	int map_fd;
	int nr_cpus;
	const char *mode;	/* --mode's name */
};

/* The top struct's name in the metadata. */
#define IPUSWAP_STATS_TOP	"ipuswap"

/* scx_stats metadata: {"ipuswap":{"name":..,"top":"true","desc":..,"fields":{..}}} */
json_t *ipuswap_stats_meta(void);

/* A stats_read_fn (stats_server.h): @ctx is a struct ipuswap_stats_src. */
json_t *ipuswap_stats_read(void *ctx, int *err);

/*
 * One line: "@prefix: key=value ..." from a reply's resp; with @verbose the
 * module's abort_<reason> too, in fito mode its fito_* counters.
 */
void ipuswap_stats_print(FILE *f, const char *prefix, json_t *resp, bool verbose);

/* --help-stats: every field of @meta and what it means. */
void ipuswap_stats_describe(FILE *f, json_t *meta);

#endif /* IPUSWAP_STATS_H */
