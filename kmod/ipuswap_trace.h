/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ipuswap_trace.h - tracepoints: every host operation on a home word, with
 * its outcome and the word it left, and every counted abort.
 *
 *   perf trace -e 'ipuswap:*'    or
 *   echo 1 > /sys/kernel/tracing/events/ipuswap/enable
 *
 * Only ipuswap_sched.c creates them (CREATE_TRACE_POINTS).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM ipuswap

#if !defined(_IPUSWAP_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _IPUSWAP_TRACE_H

#include <linux/tracepoint.h>
#include "ipuswap_wire.h"

/*
 * @op on slot @idx from @cpu (-1: not a CPU's operation) ended with
 * @reason (0: done); @word is the home word it left, or on failure the
 * word it found.
 */
TRACE_EVENT(ipuswap_swap,
	TP_PROTO(const char *op, s32 cpu, s32 idx, u64 word, u32 reason),
	TP_ARGS(op, cpu, idx, word, reason),
	TP_STRUCT__entry(
		__string(op, op)
		__field(s32, cpu)
		__field(s32, idx)
		__field(u64, word)
		__field(u32, reason)
		__string(state, ipuswap_task_state_name(IPUSWAP_HOME_STATE(word)))
		__string(owner, ipuswap_owner_name(IPUSWAP_HOME_OWNER(word)))
		__string(why, ipuswap_reason_name(reason))
	),
	TP_fast_assign(
		__assign_str(op);
		__entry->cpu = cpu;
		__entry->idx = idx;
		__entry->word = word;
		__entry->reason = reason;
		__assign_str(state);
		__assign_str(owner);
		__assign_str(why);
	),
	TP_printk("%s slot=%d cpu=%d -> %s: %s owner=%s loc=%u ver=%u",
		  __get_str(op), __entry->idx, __entry->cpu, __get_str(why),
		  __get_str(state), __get_str(owner),
		  (unsigned int)IPUSWAP_HOME_LOC(__entry->word),
		  (unsigned int)IPUSWAP_HOME_VER(__entry->word))
);

/* An abort was counted (debugfs abort_<why>), by either protocol. */
TRACE_EVENT(ipuswap_abort,
	TP_PROTO(u32 reason),
	TP_ARGS(reason),
	TP_STRUCT__entry(
		__field(u32, reason)
		__string(why, ipuswap_reason_name(reason))
	),
	TP_fast_assign(
		__entry->reason = reason;
		__assign_str(why);
	),
	TP_printk("%s", __get_str(why))
);

#endif /* _IPUSWAP_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE ipuswap_trace
#include <trace/define_trace.h>
