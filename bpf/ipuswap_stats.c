/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scx_ipuswap's statistics (see ipuswap_stats.h): the field table, reading
 * the values (the BPF side's per-CPU map, the module's debugfs counters),
 * and printing them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "scx_ipuswap.h"
#include "ipuswap_stats.h"

#define IPUSWAP_INFO	"/sys/kernel/debug/ipuswap/info"

enum field_src {
	SRC_BPF,	/* .idx: enum ipuswap_stat, summed over CPUs */
	SRC_MOD,	/* .key: a key of the module's debugfs info */
	SRC_ABORTS,	/* the sum of the module's abort_<reason> */
	SRC_MODE,	/* --mode */
	SRC_MODULE,	/* every debugfs info key, as a dict */
};

enum {
	F_LINE	= 1,	/* on the "stats:" line */
};

struct field {
	const char *name;
	enum field_src src;
	int idx;
	const char *key;
	unsigned int flags;
	const char *desc;
};

/* Line order is table order; the line is what running.md documents. */
static const struct field fields[] = {
	{ "enqueues", SRC_BPF, IPUSWAP_STAT_ENQUEUE, NULL, F_LINE,
	  "ops.enqueue() calls (BPF)" },
	{ "dispatches", SRC_BPF, IPUSWAP_STAT_DISPATCH, NULL, F_LINE,
	  "ops.dispatch() calls that ran a task (BPF)" },
	{ "local", SRC_BPF, IPUSWAP_STAT_LOCAL, NULL, F_LINE,
	  "per-CPU kthreads put straight on their own CPU (BPF)" },
	{ "fallback", SRC_BPF, IPUSWAP_STAT_FALLBACK, NULL, F_LINE,
	  "tasks the offload path refused, run from the fallback DSQ (BPF)" },
	{ "taken", SRC_BPF, IPUSWAP_STAT_TAKEN, NULL, F_LINE,
	  "firmware proposals taken, PROPOSE -> COMMIT; fito: decisions committed (BPF)" },
	{ "self", SRC_BPF, IPUSWAP_STAT_SELF, NULL, F_LINE,
	  "queued tasks the host served itself, without a proposal (BPF)" },
	{ "requeue", SRC_BPF, IPUSWAP_STAT_REQUEUE, NULL, F_LINE,
	  "self-serve skipped a task proposed to another CPU (BPF)" },
	{ "host_aborts", SRC_BPF, IPUSWAP_STAT_ABORT, NULL, F_LINE,
	  "proposals or decisions the host could not take, undecodable cells (BPF)" },
	{ "fw_samples", SRC_BPF, IPUSWAP_STAT_FW_SAMPLE, NULL, 0,
	  "firmware liveness samples taken by ops.tick() (BPF)" },
	{ "waited", SRC_BPF, IPUSWAP_STAT_WAITED, NULL, 0,
	  "fito: decisions that arrived while a dispatch waited (BPF)" },
	{ "fw_liveness", SRC_MOD, 0, "fw_liveness", F_LINE,
	  "the firmware's liveness counter in the window header (module)" },
	{ "fw_alive", SRC_MOD, 0, "fw_alive", F_LINE,
	  "1 while the firmware's liveness advances, else 0 (module)" },
	{ "fw_decisions", SRC_MOD, 0, "fw_decisions", F_LINE,
	  "the firmware's own running count of proposals, never reset (module)" },
	{ "dispatch_taken", SRC_MOD, 0, "dispatch_taken", F_LINE,
	  "proposals taken, counted by the kfuncs; swap only (module)" },
	{ "dispatch_self", SRC_MOD, 0, "dispatch_self", F_LINE,
	  "tasks self-served, counted by the kfuncs; swap only (module)" },
	{ "aborts", SRC_ABORTS, 0, NULL, F_LINE,
	  "proposals refused at commit, summed over abort_<reason> (module)" },
	{ "mode", SRC_MODE, 0, NULL, 0,
	  "the scheduler's --mode: swap, onhost, fito or bpf" },
	{ "module", SRC_MODULE, 0, NULL, 0,
	  "every key=value of /sys/kernel/debug/ipuswap/info (running.md), "
	  "abort_<reason> and fito_* included; reset at every attach" },
};

#define NR_FIELDS	(sizeof(fields) / sizeof(fields[0]))

static json_t *field_meta(const struct field *f)
{
	switch (f->src) {
	case SRC_MODE:
		return json_pack("{s:s,s:s}", "datum", "string", "desc", f->desc);
	case SRC_MODULE:
		return json_pack("{s:{s:s,s:s},s:s}", "dict", "key", "string",
				 "datum", "u64", "desc", f->desc);
	default:
		return json_pack("{s:s,s:s}", "datum", "u64", "desc", f->desc);
	}
}

json_t *ipuswap_stats_meta(void)
{
	json_t *fmeta = json_object();

	for (size_t i = 0; i < NR_FIELDS; i++)
		json_object_set_new(fmeta, fields[i].name, field_meta(&fields[i]));
	return json_pack("{s:{s:s,s:s,s:s,s:o}}", IPUSWAP_STATS_TOP,
			 "name", IPUSWAP_STATS_TOP, "top", "true",
			 "desc", "scx_ipuswap: the BPF scheduler's and ipuswap.ko's counters",
			 "fields", fmeta);
}

/* The module's key=value lines as an object; empty without the module. */
static json_t *read_module(void)
{
	json_t *mod = json_object();
	char line[256];
	FILE *f;

	f = fopen(IPUSWAP_INFO, "r");
	if (!f)
		return mod;
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '='), *end;
		unsigned long long v;

		if (!eq)
			continue;
		*eq = '\0';
		errno = 0;
		v = strtoull(eq + 1, &end, 0);	/* fito_flags is hex */
		if (errno || end == eq + 1 || (*end && *end != '\n'))
			continue;
		json_object_set_new(mod, line, json_integer((json_int_t)v));
	}
	fclose(f);
	return mod;
}

static json_int_t module_sum(json_t *mod, const char *prefix)
{
	json_int_t sum = 0;
	const char *key;
	json_t *v;

	json_object_foreach(mod, key, v)
		if (!strncmp(key, prefix, strlen(prefix)))
			sum += json_integer_value(v);
	return sum;
}

json_t *ipuswap_stats_read(void *ctx, int *err)
{
	const struct ipuswap_stats_src *src = ctx;
	unsigned long long totals[IPUSWAP_NR_STATS] = {};
	unsigned long long vals[src->nr_cpus];
	json_t *out, *mod;

	for (unsigned int idx = 0; idx < IPUSWAP_NR_STATS; idx++) {
		if (bpf_map_lookup_elem(src->map_fd, &idx, vals)) {
			*err = errno;
			return NULL;
		}
		for (int cpu = 0; cpu < src->nr_cpus; cpu++)
			totals[idx] += vals[cpu];
	}
	mod = read_module();
	out = json_object();
	for (size_t i = 0; i < NR_FIELDS; i++) {
		const struct field *f = &fields[i];
		json_t *v;

		switch (f->src) {
		case SRC_BPF:
			v = json_integer((json_int_t)totals[f->idx]);
			break;
		case SRC_MOD:
			v = json_integer(json_integer_value(json_object_get(mod, f->key)));
			break;
		case SRC_ABORTS:
			v = json_integer(module_sum(mod, "abort_"));
			break;
		case SRC_MODE:
			v = json_string(src->mode);
			break;
		default:
			v = json_incref(mod);
			break;
		}
		json_object_set_new(out, f->name, v);
	}
	json_decref(mod);
	return out;
}

static void print_prefixed(FILE *f, json_t *mod, const char *prefix)
{
	const char *key;
	json_t *v;

	json_object_foreach(mod, key, v)
		if (!strncmp(key, prefix, strlen(prefix)))
			fprintf(f, " %s=%lld", key, (long long)json_integer_value(v));
}

void ipuswap_stats_print(FILE *f, const char *prefix, json_t *resp, bool verbose)
{
	json_t *mod = json_object_get(resp, "module");
	const char *mode = json_string_value(json_object_get(resp, "mode"));

	fprintf(f, "%s:", prefix);
	for (size_t i = 0; i < NR_FIELDS; i++) {
		const struct field *fl = &fields[i];

		if (!(fl->flags & F_LINE))
			continue;
		/* The per-reason detail goes before the sum it adds up to. */
		if (fl->src == SRC_ABORTS) {
			if (verbose)
				print_prefixed(f, mod, "abort_");
			if (mode && !strcmp(mode, "fito"))
				print_prefixed(f, mod, "fito_");
		}
		fprintf(f, " %s=%lld", fl->name,
			(long long)json_integer_value(json_object_get(resp, fl->name)));
	}
	fputc('\n', f);
}

static const char *kind(json_t *field)
{
	static char buf[64];
	json_t *dict = json_object_get(field, "dict");

	if (dict) {
		snprintf(buf, sizeof(buf), "{%s:%s}",
			 json_string_value(json_object_get(dict, "key")),
			 json_string_value(json_object_get(dict, "datum")));
		return buf;
	}
	return json_string_value(json_object_get(field, "datum"));
}

void ipuswap_stats_describe(FILE *f, json_t *meta)
{
	json_t *top = json_object_get(meta, IPUSWAP_STATS_TOP);
	json_t *fmeta = json_object_get(top, "fields"), *v;
	const char *name;

	fprintf(f, "[%s] %s\n", IPUSWAP_STATS_TOP,
		json_string_value(json_object_get(top, "desc")));
	json_object_foreach(fmeta, name, v)
		fprintf(f, "  %-15s %-16s %s\n", name, kind(v),
			json_string_value(json_object_get(v, "desc")));
}
