/*
 * ipuswap.pml - Promela model of the bilateral swap (kmod/ipuswap_swap.h,
 * kmod/ipuswap_wire.h, Documentation/protocol.md). Checked with spin by
 * `make -C selftests/model`; README.md there says what is modelled, what is
 * abstracted and what each check shows.
 *
 * Agents:
 *   Cpu(c)  one process per host CPU: ops.dispatch (load the cell; if it
 *           holds a proposal, load the task's home word and take it --
 *           REFLECT + COMMIT -- or decline it, then answer in the cell; if
 *           nothing was taken, self-serve a QUEUED or PROPOSE task),
 *           ops.stopping (COMMIT -> HOST), and the host's task events
 *           (wakeup = enqueue, sleep = retract, requeue = retract then
 *           enqueue, create, destroy; with ATTRS an affinity change).
 *   Fw()    the firmware: stage a QUEUED task for a CPU and propose it in
 *           that CPU's cell (withdrawing an older proposal there, or giving
 *           up), decline a staged task, withdraw a cell's proposal.
 *
 * The window: one home word per task {state, owner, location, version} and
 * one cell word per CPU {state, reason, task index, version}, field by
 * field. Every transition of ipuswap_swap.h is one atomic step holding the
 * header's legality checks on the word the agent loaded (`seen`) and ONE
 * compare-and-swap of that ONE word (home_cas, cell_cas). Loads are steps of
 * their own (see "Step structure" below for the host's single-word steps),
 * so everything that can happen between an agent's load and its CAS is
 * explored; in particular the firmware loads in one step and CASes in a
 * later one, always.
 *
 * Ghost state (running[], hst[]) changes only in the atomic step of the CAS
 * that makes it true; check_inv() asserts the invariants at the end of every
 * step that writes a shared variable, i.e. in every reachable state.
 *
 * Bounds. The host workload is EVENTS task events, and the two sides
 * together decline at most DECLINES times; every other transition moves a
 * task forward (QUEUED -> PROPOSE -> COMMIT -> HOST), so each task makes a
 * bounded number of transitions and the search is finite.
 *
 * Versions are bytes and are never reduced modulo anything: with the bounds
 * above no task gets near 255 transitions (home_cas asserts < MAX_VER), so
 * no version ever wraps and the model is exact with respect to the 32-bit
 * version of the wire format. (A real version wraps after 2^32 transitions
 * of one task; for that to fool a CAS the task would have to make exactly a
 * multiple of 2^32 transitions between one agent's load and its CAS, i.e.
 * within one PCIe round trip.)
 *
 * Environment faults:
 *   - Doorbells are not modelled: the firmware is a free-running process
 *     that may act at any time or never again, and the host never waits for
 *     it -- every pattern of delivered and lost doorbells is covered (a
 *     doorbell only shortens a poll).
 *   - The firmware may stop for ever between any two of its steps (between
 *     a load and its CAS, after staging and before proposing, ...): see the
 *     comment above Fw().
 *
 * Variants (-D on the spin command line):
 *   FITO_BROKEN   the host enforces the cell's decision "run task T on CPU c"
 *                 as sent: a plain store, no version or state check (Wave /
 *                 FITO). spin must find an invariant violation.
 *   ATTRS         model the allowed-CPU mask: written by the host only while
 *                 it owns the task; the firmware stages only for a CPU in the
 *                 mask it read; the host self-serves only allowed tasks.
 *   FW_ATTR_FIRST (with ATTRS) the firmware loads the attributes BEFORE the
 *                 home word -- the wrong order for the seqlock of
 *                 Documentation/protocol.md. spin must find a proposal for a
 *                 CPU the task is not allowed on.
 *   IDLE_SLEEP    idle host CPUs sleep until kicked (enqueue kicks its hint
 *                 CPU), and the host self-serves a task proposed for another
 *                 CPU only once the firmware looks dead -- the policy of
 *                 kmod/ipuswap_sched.c and bpf/scx_ipuswap.bpf.c. No CPU is
 *                 kicked for a proposal (the SCHED interrupt only counts;
 *                 FW_DOORBELL adds a lossy kick). The progress property
 *                 fails. KICK_PROPOSED, the fix: a CPU that leaves a task
 *                 to the CPU it is proposed for kicks that CPU.
 *   TAKE_NO_VERSION  ipuswap_home_take() without its version compare (the CAS
 *                 stays): invariant (3) fails -- a newer proposal than the
 *                 cell names is committed -- but (1), (2), (4) still hold.
 *   HOST_WAITS    the host does not self-serve PROPOSE tasks (it waits for
 *                 the proposal). The progress property must fail.
 *   ANSWER_RETRY  the host retries a failed cell answer with the word the
 *                 failed CAS returned. spin must find it answering a
 *                 proposal it never reflected on.
 *   SPLIT_HOST    the host's single-word steps as separate load and CAS.
 *   FULL_ANSWERS  keep reason, index and version in answered cells.
 *   LIVE          add the LTL progress properties (pan -a -f).
 */

#ifndef N_TASKS
#define N_TASKS		3
#endif
#ifndef N_CPUS
#define N_CPUS		2
#endif
/*
 * The configuration. Host task events (a wakeup = enqueue, a sleep =
 * retract, a requeue = retract then enqueue (with ATTRS possibly after an
 * affinity change), create, destroy) are the bounded host workload. This
 * default (3 tasks, 2 CPUs, 1 event, 1 decline) has ~1.5e8 states (`make
 * deep`); `make check` covers it in smaller pieces.
 */
#ifndef EVENTS
#define EVENTS		1
#endif
/* Firmware processes: the real engine keeps several CASes in flight; N_FW
 * independent firmware processes over the same window model that. */
#ifndef N_FW
#define N_FW		1
#endif
/* Declines (PROPOSE -> QUEUED), by either side, in all. */
#ifndef DECLINES
#define DECLINES	1
#endif

/* ipuswap_wire.h: enum ipuswap_task_state */
#define T_FREE		0
#define T_HOST		1
#define T_QUEUED	2
#define T_PROPOSE	3
#define T_COMMIT	4
/* enum ipuswap_owner */
#define O_NONE		0
#define O_HOST		1
#define O_FW		2
/* enum ipuswap_cell_state */
#define C_EMPTY		0
#define C_PROPOSE	1
#define C_COMMIT	2
#define C_ABORT		3
#define C_NR_STATES	4
/* enum ipuswap_reason */
#define R_OK		0
#define R_STALE		1
#define R_STATE		2
#define R_BAD_INDEX	3
#define R_BAD_CPU	4
#define R_BAD_WORD	5
#define R_NOT_ALLOWED	6
#define R_DECLINED	7
#define R_SELF_SERVED	8
#define NR_REASONS	9
/* IPUSWAP_LOC_NONE (0xffff) scaled to a byte; N_CPUS < LOC_NONE. */
#define LOC_NONE	255
#define NO_TASK		255
#define MAX_VER		250

/* Ghost: the host scheduler's own view of a task (the kernel's, not the
 * window's): sleeping/owned by the host, enqueued, running. */
#define H_SLEEP		0
#define H_RQ		1
#define H_RUN		2

typedef Home { byte st; byte own; byte loc; byte ver };
typedef Cell { byte st; byte rsn; byte idx; byte ver };

/* The window. */
Home home[N_TASKS];
Cell cell[N_CPUS];
#ifdef ATTRS
byte allowed[N_TASKS];		/* bit c: may run on CPU c; host-written */
#define ALLOWED(t, c)	(((allowed[t] >> (c)) & 1) == 1)
#else
#define ALLOWED(t, c)	true
#endif

/* Ghost state. */
byte running[N_CPUS];		/* task running on each CPU, or NO_TASK */
byte hst[N_TASKS];		/* H_SLEEP / H_RQ / H_RUN */
byte events = EVENTS;		/* host workload left */
byte busy;			/* host events under way (a requeue is two steps) */
bool evt[N_TASKS];		/* an event on this task is under way: the
				 * kernel serialises a task's enqueue, dequeue
				 * and attribute changes (its rq lock) */
#define WORK_OVER	(events == 0 && busy == 0)
byte declines = DECLINES;	/* declines left */
bool fw_stopped;		/* the firmware stopped for ever */
#ifdef IDLE_SLEEP
bool kick[N_CPUS];		/* a pending wakeup (resched) for an idle CPU */
#endif
byte nexit;			/* host CPUs that saw the workload finished */

#define PENDING_ST(s)	((s) == T_QUEUED || (s) == T_PROPOSE)
#define PENDING(t)	PENDING_ST(home[t].st)

/* ipuswap_home_valid() */
#define HOME_VALID(h)							\
	((h.st == T_FREE && h.own != O_FW && h.loc == LOC_NONE) ||	\
	 (h.st == T_HOST && h.own == O_HOST && h.loc == LOC_NONE) ||	\
	 (h.st == T_QUEUED && (h.own == O_HOST || h.own == O_FW) &&	\
	  (h.loc < N_CPUS || h.loc == LOC_NONE)) ||			\
	 (h.st == T_PROPOSE && h.own == O_FW && h.loc < N_CPUS) ||	\
	 (h.st == T_COMMIT && h.own == O_HOST && h.loc < N_CPUS))

/* ipuswap_cell_valid() */
#define CELL_VALID(w)							\
	(w.st == C_EMPTY ||						\
	 (w.st < C_NR_STATES && w.idx < N_TASKS &&			\
	  (w.st == C_ABORT -> w.rsn < NR_REASONS : w.rsn == R_OK)))

/* An acquire load of a word: one step of its own. */
#define READ_HOME(t, h)							\
	h.st = home[t].st; h.own = home[t].own; h.loc = home[t].loc;	\
	h.ver = home[t].ver
#define READ_CELL(c, w)							\
	w.st = cell[c].st; w.rsn = cell[c].rsn; w.idx = cell[c].idx;	\
	w.ver = cell[c].ver
#define CLEAR_HOME(h)	h.st = 0; h.own = 0; h.loc = 0; h.ver = 0
#define CLEAR_CELL(w)	w.st = 0; w.rsn = 0; w.idx = 0; w.ver = 0

/*
 * ipuswap_swap(): the one compare-and-swap. The new word's version is the
 * seen version + 1 (IPUSWAP_NEXT). Success or not, `seen` ends up holding
 * the current word (the new one, or what was there instead).
 * Only ever used inside an atomic step.
 */
inline home_cas(t, seen, nst, nown, nloc, ok)
{
	if
	:: home[t].st == seen.st && home[t].own == seen.own &&
	   home[t].loc == seen.loc && home[t].ver == seen.ver ->
		assert(seen.ver < MAX_VER);
		home[t].st = nst;
		home[t].own = nown;
		home[t].loc = nloc;
		home[t].ver = seen.ver + 1;
		ok = true
	:: else ->
		ok = false
	fi;
	READ_HOME(t, seen)
}

inline cell_cas(c, seen, nst, nrsn, nidx, nver, ok)
{
	if
	:: cell[c].st == seen.st && cell[c].rsn == seen.rsn &&
	   cell[c].idx == seen.idx && cell[c].ver == seen.ver ->
		cell[c].st = nst;
		cell[c].rsn = nrsn;
		cell[c].idx = nidx;
		cell[c].ver = nver;
		ok = true
	:: else ->
		ok = false
	fi;
	READ_CELL(c, seen)
}

/* ---- ipuswap_swap.h, transition by transition ---- */

/* ipuswap_expect(): valid and in `state`, else BAD_WORD / STATE */
#define EXPECT(seen, state)						\
	(!HOME_VALID(seen) -> R_BAD_WORD :				\
	 (seen.st == (state) -> R_OK : R_STATE))

/* host: FREE -> HOST */
inline sw_create(t, seen, r, ok)
{
	r = EXPECT(seen, T_FREE);
	if
	:: r == R_OK ->
		home_cas(t, seen, T_HOST, O_HOST, LOC_NONE, ok);
		r = (ok -> R_OK : R_STALE)
	:: else -> skip
	fi
}

/* host: HOST -> FREE */
inline sw_destroy(t, seen, r, ok)
{
	r = EXPECT(seen, T_HOST);
	if
	:: r == R_OK ->
		home_cas(t, seen, T_FREE, O_HOST, LOC_NONE, ok);
		r = (ok -> R_OK : R_STALE)
	:: else -> skip
	fi
}

/* host: HOST -> QUEUED(hint) */
inline sw_enqueue(t, seen, hint, r, ok)
{
	r = EXPECT(seen, T_HOST);
	if
	:: r == R_OK ->
		if
		:: hint < N_CPUS -> home_cas(t, seen, T_QUEUED, O_HOST, hint, ok)
		:: else -> home_cas(t, seen, T_QUEUED, O_HOST, LOC_NONE, ok)
		fi;
		r = (ok -> R_OK : R_STALE)
	:: else -> skip
	fi
}

/* firmware, PROPOSE: QUEUED -> PROPOSE(cpu) */
inline sw_stage(t, seen, cpu, r, ok)
{
	r = EXPECT(seen, T_QUEUED);
	if
	:: r == R_OK && cpu >= N_CPUS -> r = R_BAD_CPU
	:: r == R_OK && cpu < N_CPUS ->
		home_cas(t, seen, T_PROPOSE, O_FW, cpu, ok);
		r = (ok -> R_OK : R_STALE)
	:: else -> skip
	fi
}

/* host on cpu, REFLECT + COMMIT: PROPOSE(cpu, ver) -> COMMIT(cpu).
 * TAKE_NO_VERSION drops the version compare (the CAS stays). */
#ifdef TAKE_NO_VERSION
#define TAKE_VER_OK(seen, pver)	true
#else
#define TAKE_VER_OK(seen, pver)	(seen.ver == pver)
#endif
inline sw_take(t, seen, cpu, pver, r, ok)
{
	r = EXPECT(seen, T_PROPOSE);
	if
	:: r != R_OK -> r = (r == R_STATE -> R_STALE : r)
	:: r == R_OK && !TAKE_VER_OK(seen, pver) -> r = R_STALE
	:: r == R_OK && TAKE_VER_OK(seen, pver) && seen.loc != cpu -> r = R_BAD_CPU
	:: r == R_OK && TAKE_VER_OK(seen, pver) && seen.loc == cpu ->
		home_cas(t, seen, T_COMMIT, O_HOST, cpu, ok);
		r = (ok -> R_OK : R_STALE)
	fi
}

/* host on cpu: QUEUED|PROPOSE -> COMMIT(cpu) */
inline sw_self_serve(t, seen, cpu, r, ok)
{
	if
	:: !HOME_VALID(seen) -> r = R_BAD_WORD
	:: HOME_VALID(seen) && cpu >= N_CPUS -> r = R_BAD_CPU
	:: HOME_VALID(seen) && cpu < N_CPUS && !PENDING_ST(seen.st) -> r = R_STATE
	:: HOME_VALID(seen) && cpu < N_CPUS && PENDING_ST(seen.st) ->
		home_cas(t, seen, T_COMMIT, O_HOST, cpu, ok);
		r = (ok -> R_OK : R_STALE)
	fi
}

/* either side, ABORT: PROPOSE(cpu) -> QUEUED(cpu) */
inline sw_decline(t, seen, who, r, ok)
{
	r = EXPECT(seen, T_PROPOSE);
	if
	:: r == R_OK && who != O_HOST && who != O_FW -> r = R_BAD_WORD
	:: r == R_OK && (who == O_HOST || who == O_FW) ->
		home_cas(t, seen, T_QUEUED, who, seen.loc, ok);
		r = (ok -> R_OK : R_STALE)
	:: else -> skip
	fi
}

/* host: QUEUED|PROPOSE -> HOST */
inline sw_retract(t, seen, r, ok)
{
	if
	:: !HOME_VALID(seen) -> r = R_BAD_WORD
	:: HOME_VALID(seen) && !PENDING_ST(seen.st) -> r = R_STATE
	:: HOME_VALID(seen) && PENDING_ST(seen.st) ->
		home_cas(t, seen, T_HOST, O_HOST, LOC_NONE, ok);
		r = (ok -> R_OK : R_STALE)
	fi
}

/* host: COMMIT -> HOST */
inline sw_stop(t, seen, r, ok)
{
	r = EXPECT(seen, T_COMMIT);
	if
	:: r == R_OK ->
		home_cas(t, seen, T_HOST, O_HOST, LOC_NONE, ok);
		r = (ok -> R_OK : R_STALE)
	:: else -> skip
	fi
}

/* firmware: EMPTY|COMMIT|ABORT -> PROPOSE(idx, ver) */
inline cl_propose(c, seen, pidx, pver, r, ok)
{
	if
	:: !CELL_VALID(seen) -> r = R_BAD_WORD
	:: CELL_VALID(seen) && seen.st == C_PROPOSE -> r = R_STATE
	:: CELL_VALID(seen) && seen.st != C_PROPOSE && pidx >= N_TASKS -> r = R_BAD_INDEX
	:: CELL_VALID(seen) && seen.st != C_PROPOSE && pidx < N_TASKS ->
		cell_cas(c, seen, C_PROPOSE, R_OK, pidx, pver, ok);
		r = (ok -> R_OK : R_STALE)
	fi
}

/* host: PROPOSE -> COMMIT (why == OK) or ABORT(why); idx, ver kept */
inline cl_answer(c, seen, why, res, ok)
{
	if
	:: !CELL_VALID(seen) -> res = R_BAD_WORD
	:: CELL_VALID(seen) && seen.st != C_PROPOSE -> res = R_STATE
	:: CELL_VALID(seen) && seen.st == C_PROPOSE ->
#ifdef FULL_ANSWERS
		if
		:: why == R_OK ->
			cell_cas(c, seen, C_COMMIT, why, seen.idx, seen.ver, ok)
		:: else ->
			cell_cas(c, seen, C_ABORT, why, seen.idx, seen.ver, ok)
		fi;
#else
		/* An answered cell's reason, index and version are for the
		 * firmware's statistics only: no agent's behaviour depends on
		 * them (a cell is only ever tested for PROPOSE, and only the
		 * firmware moves a cell out of COMMIT/ABORT, so no CAS can
		 * race on them). They are dropped to keep the state space
		 * small; -DFULL_ANSWERS keeps them. */
		if
		:: why == R_OK ->
			cell_cas(c, seen, C_COMMIT, R_OK, 0, 0, ok)
		:: else ->
			cell_cas(c, seen, C_ABORT, R_STALE, 0, 0, ok)
		fi;
#endif
		res = (ok -> R_OK : R_STALE)
	fi
}

/* firmware: PROPOSE -> EMPTY */
inline cl_withdraw(c, seen, r, ok)
{
	if
	:: !CELL_VALID(seen) -> r = R_BAD_WORD
	:: CELL_VALID(seen) && seen.st != C_PROPOSE -> r = R_STATE
	:: CELL_VALID(seen) && seen.st == C_PROPOSE ->
		cell_cas(c, seen, C_EMPTY, R_OK, 0, 0, ok);
		r = (ok -> R_OK : R_STALE)
	fi
}

/* ---- ghost bookkeeping and invariants ---- */

/* A host CPU starts running task t (same atomic step as the CAS). */
inline on_dispatch(c, t)
{
	assert(running[c] == NO_TASK);
	/* (2)+(4): only a task the host enqueued and has not retracted or
	 * already dispatched; at most once per enqueue */
	assert(hst[t] == H_RQ);
	running[c] = t;
	hst[t] = H_RUN
}

/*
 * The safety invariants, asserted at the end of every step that changes a
 * shared variable (so in every reachable state):
 *  (1) a task is in exactly one place: COMMIT <=> running on exactly one
 *      CPU, the one in its home word; any other state => running nowhere
 *  (2) never on two CPUs; at most one dispatch per enqueue
 *  (4) the window's runnable set is the host's runqueue: QUEUED|PROPOSE
 *      <=> enqueued by the host and neither retracted nor dispatched
 *      (nothing is lost or invented by the window)
 *  and every word is one a legal transition could have produced.
 */
inline check_inv()
{
	d_step {
	i_ = 0;
	do
	:: i_ < N_TASKS ->
		assert(HOME_VALID(home[i_]));
		n_ = 0;
		j_ = 0;
		do
		:: j_ < N_CPUS ->
			if
			:: running[j_] == i_ -> n_++
			:: else -> skip
			fi;
			j_++
		:: else -> break
		od;
		assert(n_ <= 1);				/* (2) */
		if
		:: home[i_].st == T_COMMIT ->			/* (1) */
			assert(n_ == 1 && running[home[i_].loc] == i_ &&
			       hst[i_] == H_RUN)
		:: else ->
			assert(n_ == 0 && hst[i_] != H_RUN)
		fi;
		assert(PENDING(i_) == (hst[i_] == H_RQ));	/* (4) */
		i_++
	:: else -> break
	od;
	j_ = 0;
	do
	:: j_ < N_CPUS ->
		assert(CELL_VALID(cell[j_]));
#ifdef ATTRS
		assert(running[j_] == NO_TASK || ALLOWED(running[j_], j_));
#endif
		j_++
	:: else -> break
	od;
	i_ = 0;
	j_ = 0;
	n_ = 0
	}
}

/* ---- narration for counterexample replays (spin -t). It adds no states:
 * it runs inside atomic steps, and pan does not print ---- */

inline say_st(x)
{
	if
	:: x == T_FREE -> printf("FREE")
	:: x == T_HOST -> printf("HOST")
	:: x == T_QUEUED -> printf("QUEUED")
	:: x == T_PROPOSE -> printf("PROPOSE")
	:: x == T_COMMIT -> printf("COMMIT")
	:: else -> printf("state%d", x)
	fi
}

inline say_home(h)
{
	say_st(h.st);
	if
	:: h.loc != LOC_NONE -> printf("(cpu%d)", h.loc)
	:: else -> skip
	fi;
	printf(" v%d", h.ver)
}

inline say_cell(w)
{
	if
	:: w.st == C_EMPTY -> printf("EMPTY")
	:: w.st == C_PROPOSE -> printf("PROPOSE(T%d v%d)", w.idx, w.ver)
	:: w.st == C_COMMIT -> printf("COMMIT")
	:: else -> printf("ABORT")
	fi
}

inline say_r(x)
{
	if
	:: x == R_OK -> printf("ok")
	:: x == R_STALE -> printf("STALE")
	:: x == R_STATE -> printf("STATE")
	:: x == R_BAD_CPU -> printf("BAD_CPU")
	:: x == R_BAD_WORD -> printf("BAD_WORD")
	:: x == R_DECLINED -> printf("DECLINED")
	:: else -> printf("reason%d", x)
	fi
}

/* ---- the host ---- */

/*
 * Step structure. A stored state exists only between atomic steps, and
 * every atomic step below contains exactly one access to a shared word (a
 * load, or a transition's CAS) followed by the purely local computation that
 * leads to the next access; so the interleavings explored are exactly the
 * interleavings of window accesses.
 *
 * Host steps that act on ONE word and nothing else (self-serve in the scan,
 * stop, enqueue, retract, create, destroy) are, by default, the load and the
 * CAS in one atomic step. This is exact, not an approximation: between a
 * load and a CAS on the same word with no other access in between, another
 * agent's interleaved transition can only make the CAS fail, which writes
 * nothing and hands back the current word -- the same as loading later. So
 * the split and the merged forms produce the same sequences of window
 * states. -DSPLIT_HOST splits them anyway (the Makefile checks a smaller
 * configuration that way). The take path -- the cell, then the home word,
 * then the home CAS, then the cell CAS -- involves two words and is always
 * split, as are all of the firmware's loads and CASes.
 */

/*
 * What the host serves itself. HOST_WAITS is a deliberately broken policy:
 * the host leaves a task the firmware has staged (PROPOSE) to the proposal,
 * i.e. it waits for the firmware. The progress check must then fail.
 */
#if defined(HOST_WAITS)
#define SERVABLE(h, c)	(h.st == T_QUEUED)
#elif defined(IDLE_SLEEP)
/* the kmod's policy (ipuswap_task_self_serve() with steal = !fw_alive):
 * leave a task proposed for another CPU to that CPU while the firmware
 * looks alive (here: has not stopped -- an instant, perfect detector) */
#define SERVABLE(h, c)	(h.st == T_QUEUED ||				\
			 (h.st == T_PROPOSE && (h.loc == c || fw_stopped)))
#else
#define SERVABLE(h, c)	PENDING_ST(h.st)
#endif

/* A runnable task the scan leaves to the CPU it is proposed for. With
 * KICK_PROPOSED (the fix for IDLE_SLEEP) that CPU is kicked. */
#ifdef KICK_PROPOSED
#define LEAVE(h, c)							\
	if								\
	:: PENDING_ST(h.st) && !SERVABLE(h, c) ->			\
		printf("cpu%d: T%d is proposed for cpu%d: leave it, kick cpu%d\n", \
		       c, s, h.loc, h.loc);				\
		kick[h.loc] = true					\
	:: else -> skip							\
	fi
#else
#define LEAVE(h, c)							\
	if								\
	:: PENDING_ST(h.st) && !SERVABLE(h, c) ->			\
		printf("cpu%d: T%d is proposed for cpu%d: leave it\n",	\
		       c, s, h.loc)					\
	:: else -> skip							\
	fi
#endif

/* host CPU locals back to a fixed value (keeps the state space small) */
#define CPU_RESET							\
	t = 0; s = 0; r = 0; v = 0; ok = false; cok = false;		\
	found = false; done = false; CLEAR_HOME(hs); CLEAR_CELL(cs)

proctype Cpu(byte c)
{
	Home hs;
	Cell cs;
	byte t, s, r, v, i_, j_, n_;
	bool ok, cok, found, done;

top:
	if
	:: /* ops.stopping: the running task stops (COMMIT -> HOST). A
	    * task still runnable is enqueued again by a later event. */
		atomic {
			running[c] != NO_TASK ->
			t = running[c];
			READ_HOME(t, hs);
			printf("cpu%d: T%d stops: ", c, t); say_home(hs);
			sw_stop(t, hs, r, ok);
			printf(" -> "); say_r(r); printf("\n");
			/* nobody else may move a COMMIT word */
			assert(r == R_OK);
			running[c] = NO_TASK;
			hst[t] = H_SLEEP;
			check_inv();
			CPU_RESET
		};
		goto top

	:: /* ops.dispatch, 1: load the cell */
		atomic {
			running[c] == NO_TASK ->
#ifdef ATTRS
			done = WORK_OVER;
#endif
			READ_CELL(c, cs);
			if
			:: cs.st == C_PROPOSE ->
				t = cs.idx; v = cs.ver;
				printf("cpu%d: dispatch: cell says ", c);
				say_cell(cs); printf("\n")
			:: else -> CLEAR_CELL(cs); goto scan
			fi
		};
		/* 2: load the proposed task's home word */
		atomic {
			READ_HOME(t, hs);
			printf("cpu%d: load T%d: ", c, t); say_home(hs); printf("\n")
		};
#ifdef FITO_BROKEN
		/* FITO: "run t on c" is enforced as sent */
		atomic {
			printf("cpu%d: FITO: enforce \"run T%d on cpu%d\" as sent; T%d is ",
			       c, t, c, t);
			say_home(home[t]); printf("\n");
			s = home[t].ver;
			home[t].st = T_COMMIT;
			home[t].own = O_HOST;
			home[t].loc = c;
			home[t].ver = home[t].ver + 1;
			on_dispatch(c, t);
			found = true;
			r = R_OK;
			check_inv();
			/* (3) enforced only on the version proposed */
			assert(s == v);
			s = 0;
			CLEAR_HOME(hs)
		};
#else
		/* 3: REFLECT + COMMIT, or decline */
		if
		:: atomic {
			s = hs.ver;
			sw_take(t, hs, c, v, r, ok);
			printf("cpu%d: take T%d at v%d: ", c, t, v); say_r(r);
			printf(" (T%d now ", t); say_home(hs); printf(")\n");
			if
			:: r == R_OK ->
				/* (3) the version CASed from is the cell's:
				 * never a version that moved */
				assert(s == v && hs.ver == v + 1);
				on_dispatch(c, t);
				found = true
			:: else -> skip
			fi;
			check_inv();
			s = 0; ok = false; CLEAR_HOME(hs)
		   }
		:: atomic {
			declines > 0 && hs.st == T_PROPOSE && hs.loc == c &&
			hs.ver == v ->
			/* policy: not now */
			sw_decline(t, hs, O_HOST, r, ok);
			printf("cpu%d: decline T%d: ", c, t); say_r(r); printf("\n");
			if
			:: r == R_OK -> declines--; r = R_DECLINED
			:: else -> skip
			fi;
			check_inv();
			ok = false; CLEAR_HOME(hs)
		   }
		fi;
#endif
		/* 4: answer in the cell. If the firmware withdrew the proposal
		 * meanwhile this fails and changes nothing: the home word
		 * already decided. */
#ifdef ANSWER_RETRY
		/* WRONG: retry a failed answer with the word the CAS handed
		 * back -- which may be a new proposal nobody reflected on */
		do
		:: atomic {
			ok = (cs.idx == t && cs.ver == v);
			printf("cpu%d: answer ", c); say_cell(cs);
			printf(" with "); say_r(r);
			cl_answer(c, cs, r, s, cok);
			printf(": "); say_r(s); printf("\n");
			assert(s != R_OK || ok);
			check_inv();
			if
			:: s == R_STALE && cs.st == C_PROPOSE -> skip
			:: else -> break
			fi
		   }
		od;
		atomic {
#else
		atomic {
			/* the answer is about the proposal reflected on */
			ok = (cs.idx == t && cs.ver == v);
			printf("cpu%d: answer ", c); say_cell(cs);
			printf(" with "); say_r(r);
			cl_answer(c, cs, r, s, cok);
			printf(": "); say_r(s); printf("\n");
			assert(s != R_OK || ok);
			check_inv();
#endif
			s = 0; t = 0; v = 0; r = 0; ok = false; cok = false;
			CLEAR_CELL(cs);
			if
			:: found -> CPU_RESET; goto top
			:: else -> skip
			fi
		};
scan:
		/* 5: nothing taken: serve the host's own queue, never wait.
		 * One step per task examined. */
		do
		:: atomic {
			s < N_TASKS ->
#ifdef SPLIT_HOST
			READ_HOME(s, hs)
		   };
			do
			:: SERVABLE(hs, c) && ALLOWED(s, c) ->
				atomic {
					printf("cpu%d: self-serve T%d: ", c, s); say_home(hs);
					sw_self_serve(s, hs, c, r, ok);
					printf(" -> "); say_r(r); printf("\n");
					if
					:: r == R_OK ->
						on_dispatch(c, s);
						check_inv();
						CPU_RESET;
						goto top
					:: else -> skip	/* hs is current: retry */
					fi;
					check_inv()
				}
			:: else -> break
			od;
			atomic { LEAVE(hs, c); s++; r = 0; ok = false; CLEAR_HOME(hs) }
#else
			READ_HOME(s, hs);
			if
			:: SERVABLE(hs, c) && ALLOWED(s, c) ->
				printf("cpu%d: self-serve T%d: ", c, s); say_home(hs);
				sw_self_serve(s, hs, c, r, ok);
				printf(" -> "); say_r(r); printf("\n");
				/* cannot fail: nothing moved since the load */
				assert(r == R_OK);
				on_dispatch(c, s);
				check_inv();
				CPU_RESET;
				goto top
			:: else -> LEAVE(hs, c); s++; CLEAR_HOME(hs)
			fi
		   }
#endif
		:: atomic {
			s >= N_TASKS ->
			/*
			 * Found nothing. Leave if the workload is over, so that
			 * init can check that nothing was left behind:
			 *
			 * ATTRS: the workload was over before this dispatch
			 * began (done). With no more enqueues nothing becomes
			 * runnable again (a decline keeps a task QUEUED), so a
			 * task runnable now was runnable throughout and this
			 * scan examined it: none is runnable here.
			 *
			 * Otherwise: the workload is over now. A task runnable
			 * now was last made runnable by an enqueue (or at
			 * start) and stayed so; the CPU that enqueued it
			 * dispatches -- and scans -- after that enqueue before
			 * it can leave, and any CPU may run any task, so it
			 * cannot leave while the task is runnable either. This
			 * needs no per-CPU snapshot and so halves the states.
			 */
#if defined(IDLE_SLEEP)
			CPU_RESET; goto end_idle
#elif defined(ATTRS)
			if
			:: done ->
				printf("cpu%d: nothing to run, workload over\n", c);
				nexit++; CPU_RESET; goto fin
			:: else -> CPU_RESET; goto top
			fi
#else
			if
			:: WORK_OVER ->
				printf("cpu%d: nothing to run, workload over\n", c);
				nexit++; CPU_RESET; goto fin
			:: else -> CPU_RESET; goto top
			fi
#endif
		   }
		od

	:: /* a host task event on some task (any CPU may run it) */
		atomic {
			events > 0 ->
			events--;
			select(t : 0 .. N_TASKS - 1);
			if
			:: evt[t] -> CPU_RESET; goto top	/* it is locked */
			:: else -> evt[t] = true; busy++
			fi;
			READ_HOME(t, hs);
#ifdef SPLIT_HOST
		};
		atomic {
#endif
			if
			:: hs.st == T_HOST ->
				/* wakeup */
				goto enqueue
			:: hs.st == T_HOST ->
				/* exit: the slot is released */
				sw_destroy(t, hs, r, ok);
				printf("cpu%d: destroy T%d: ", c, t); say_r(r); printf("\n")
			:: hs.st == T_FREE ->
				sw_create(t, hs, r, ok);
				printf("cpu%d: create T%d: ", c, t); say_r(r); printf("\n")
			:: PENDING_ST(hs.st) ->
				/* dequeue: sleep, or an affinity / priority
				 * change, after which it is enqueued again */
				printf("cpu%d: retract T%d: ", c, t); say_home(hs);
				sw_retract(t, hs, r, ok);
				printf(" -> "); say_r(r); printf("\n");
				if
				:: r == R_OK ->
					hst[t] = H_SLEEP;
					check_inv();
					if
					:: skip
					:: goto enqueue
					fi
				:: else -> skip
				fi
			:: else -> skip	/* running: nothing to do */
			fi;
			check_inv();
			evt[t] = false;
			busy--;
			CPU_RESET
		};
		goto top
	fi;
enqueue:
#ifdef ATTRS
	/* the host owns the task (HOST, and the event holds its lock): it may
	 * write its attributes -- a plain store, visible at once */
	if
	:: skip
	:: atomic { select(v : 1 .. (1 << N_CPUS) - 1); allowed[t] = v; v = 0 }
	fi;
#endif
	/* HOST -> QUEUED(hint: this CPU) */
	atomic {
		READ_HOME(t, hs);
#ifdef SPLIT_HOST
	};
	atomic {
#endif
		sw_enqueue(t, hs, c, r, ok);
		printf("cpu%d: enqueue T%d: ", c, t); say_r(r);
#ifdef ATTRS
		printf(" (allowed mask %d)", allowed[t]);
#endif
		printf("\n");
		if
		:: r == R_OK -> hst[t] = H_RQ
		:: else -> skip
		fi;
#ifdef IDLE_SLEEP
		kick[c] = true;	/* enqueue kicks the hint CPU (here: c) */
#endif
		check_inv();
		evt[t] = false;
		busy--;
		CPU_RESET
	};
	goto top;
#ifdef IDLE_SLEEP
end_idle:
	/* Idle: sleep until kicked. (A sleeping CPU also wakes to run a host
	 * event, which makes the host more eager, never less.) */
	printf("cpu%d: idle, sleeps\n", c);
	atomic { kick[c] || events > 0 -> kick[c] = false };
	goto top;
#endif
fin:
	skip
}

/* ---- the firmware ---- */

/*
 * The firmware may stop for ever between any two of its steps. For the
 * safety checks this needs no code: a stopped firmware and one that is never
 * scheduled again are indistinguishable, and the search covers every
 * interleaving, including all those in which the firmware takes no further
 * step after any given point (between its load and its CAS, after staging
 * and before proposing, ...). For the progress check (LIVE), where weak
 * fairness would otherwise force a live firmware to move, FwFault sets
 * fw_stopped at an arbitrary moment and every firmware step that touches
 * the window is guarded by !fw_stopped, so a stopped firmware is blocked for
 * ever wherever it was.
 */
#define FW_RESET							\
	t = 0; c = 0; r = 0; m = 0; ok = false;				\
	CLEAR_HOME(hs); CLEAR_CELL(cs)

proctype Fw()
{
	Home hs;
	Cell cs;
	byte t, c, r, m, i_, j_, n_;
	bool ok;

loop:
	if
	:: /* PROPOSE, 1: load a task's home word; stage it if QUEUED */
		atomic {
			!fw_stopped ->
			select(t : 0 .. N_TASKS - 1);
#ifdef FW_ATTR_FIRST
			/* WRONG order: the attributes before the home word */
			m = allowed[t];
			printf("fw:   load mask of T%d: %d\n", t, m)
		};
		atomic {
			!fw_stopped ->
#endif
			READ_HOME(t, hs);
			if
			:: hs.st == T_QUEUED ->
				printf("fw:   load T%d: ", t); say_home(hs); printf("\n")
			:: else -> FW_RESET; goto loop
			fi;
#if defined(ATTRS) && !defined(FW_ATTR_FIRST)
		};
		/* 2: the attributes, after the home word (acquire) */
		atomic {
			!fw_stopped ->
			m = allowed[t];
			printf("fw:   load mask of T%d: %d\n", t, m);
#endif
			/* policy: pick a CPU (in the mask it read) */
			select(c : 0 .. N_CPUS - 1);
#ifdef ATTRS
			if
			:: ((m >> c) & 1) == 0 -> FW_RESET; goto loop
			:: else -> skip
			fi
#endif
		};
		/* 3: the stage CAS, QUEUED(v) -> PROPOSE(c, v+1) */
		atomic {
			!fw_stopped ->
			sw_stage(t, hs, c, r, ok);
			printf("fw:   stage T%d for cpu%d: ", t, c); say_r(r);
			printf(" (T%d now ", t); say_home(hs); printf(")\n");
#ifdef ATTRS
			/* the version protects what was read after it:
			 * the proposal respects the task's current mask */
			assert(r != R_OK || ALLOWED(t, c));
#endif
			/* (3) the firmware never makes a COMMIT */
			assert(r != R_OK || home[t].st == T_PROPOSE);
			check_inv();
			if
			:: r == R_OK -> skip
			:: else -> FW_RESET; goto loop
			fi
		};
		/* 4: load the cell; hs is the PROPOSE word, whose version
		 * goes in the cell */
		atomic { !fw_stopped -> READ_CELL(c, cs) };
		do
		:: atomic {
			/* 5: propose in the cell */
			!fw_stopped && cs.st != C_PROPOSE ->
			cl_propose(c, cs, t, hs.ver, r, ok);
			printf("fw:   propose T%d v%d in cell%d: ", t, hs.ver, c);
			say_r(r); printf("\n");
#if defined(IDLE_SLEEP) && defined(FW_DOORBELL)
			/* a doorbell that kicks the CPU -- or is lost */
			if
			:: r == R_OK -> kick[c] = true
			:: true -> skip
			fi;
#endif
			check_inv();
			if
			:: r == R_OK -> FW_RESET; goto loop
			:: else -> skip	/* cs is current: look again */
			fi
		   }
		:: atomic {
			/* an older proposal is pending: withdraw it */
			!fw_stopped && cs.st == C_PROPOSE ->
			cl_withdraw(c, cs, r, ok);
			printf("fw:   withdraw cell%d: ", c); say_r(r); printf("\n");
			check_inv()
		   }
		:: atomic {
			/* or leave t staged with no cell: the host
			 * self-serves it, or it is declined later */
			cs.st == C_PROPOSE -> FW_RESET; goto loop
		   }
		od

	:: /* ABORT: decline a staged task, PROPOSE -> QUEUED */
		atomic {
			declines > 0 && !fw_stopped ->
			select(t : 0 .. N_TASKS - 1);
			READ_HOME(t, hs);
			if
			:: hs.st == T_PROPOSE -> skip
			:: else -> FW_RESET; goto loop
			fi
		};
		atomic {
			!fw_stopped ->
			if
			:: declines > 0 ->
				sw_decline(t, hs, O_FW, r, ok);
				printf("fw:   decline T%d: ", t); say_r(r); printf("\n");
				if
				:: r == R_OK -> declines--
				:: else -> skip
				fi
			:: else -> r = R_STALE	/* out of declines */
			fi;
			/* (3) the firmware never makes a COMMIT */
			assert(r != R_OK || home[t].st == T_QUEUED);
			check_inv();
			FW_RESET
		};
		goto loop

	:: /* withdraw a cell's proposal, PROPOSE -> EMPTY. (Documentation/
	    * protocol.md does this after a successful decline; the header
	    * allows it at any time, so the model does too.) */
		atomic {
			!fw_stopped ->
			select(c : 0 .. N_CPUS - 1);
			READ_CELL(c, cs);
			if
			:: cs.st == C_PROPOSE -> skip
			:: else -> FW_RESET; goto loop
			fi
		};
		atomic {
			!fw_stopped ->
			cl_withdraw(c, cs, r, ok);
			printf("fw:   withdraw cell%d: ", c); say_r(r); printf("\n");
			check_inv();
			FW_RESET
		};
		goto loop
	fi
}

#ifdef LIVE
/* The environment: at some moment (or never) the firmware stops for ever. */
proctype FwFault()
{
	if
	:: fw_stopped = true; printf("fw:   STOPS for ever\n")
	:: skip
	fi
}
#endif

/* ---- set-up and the end-state check ---- */

init
{
	byte i_, j_, n_;

	atomic {
		/* every task created and enqueued once: QUEUED(hint none) */
		i_ = 0;
		do
		:: i_ < N_TASKS ->
			home[i_].st = T_QUEUED;
			home[i_].own = O_HOST;
			home[i_].loc = LOC_NONE;
			home[i_].ver = 2;
			hst[i_] = H_RQ;
#ifdef ATTRS
			allowed[i_] = (1 << N_CPUS) - 1;
#endif
			i_++
		:: else -> break
		od;
		j_ = 0;
		do
		:: j_ < N_CPUS -> running[j_] = NO_TASK; j_++
		:: else -> break
		od;
		check_inv();
		j_ = 0;
		do
		:: j_ < N_CPUS -> run Cpu(j_); j_++
		:: else -> break
		od;
		j_ = 0;
		do
		:: j_ < N_FW -> run Fw(); j_++
		:: else -> break
		od;
		j_ = 0;
#ifdef LIVE
		run FwFault()
#endif
	};
	/*
	 * (4) nothing lost, as an end-state property: once every host CPU
	 * has seen the (bounded) workload finished and found nothing to run,
	 * no task may be left QUEUED or PROPOSE -- whatever the firmware did,
	 * including stopping half-way through anything.
	 */
	(nexit == N_CPUS);
#ifndef LIVE	/* there the LTL property says it (and more) */
	i_ = 0;
	do
	:: i_ < N_TASKS -> assert(!PENDING(i_)); i_++
	:: else -> break
	od
#endif
}

#ifdef LIVE
/*
 * (4) as liveness. Host progress without the firmware: once the firmware
 * has stopped, every task that is QUEUED or PROPOSE eventually runs
 * (COMMIT) or is retracted (HOST). Checked with weak fairness (pan -a -f):
 * a host CPU that can always move eventually does. The implication is
 * vacuous on runs where the firmware never stops.
 */
#define PEND(k)		(home[k].st == T_QUEUED || home[k].st == T_PROPOSE)
#define RESP(k)		([] ((fw_stopped && PEND(k)) -> <> !PEND(k)))
#define RESP_ANY(k)	([] (PEND(k) -> <> !PEND(k)))
#if N_TASKS > 6
#error "the LTL properties below are written out for at most 6 tasks"
#endif
ltl host_progress {
	RESP(0)
#if N_TASKS > 1
	&& RESP(1)
#endif
#if N_TASKS > 2
	&& RESP(2)
#endif
#if N_TASKS > 3
	&& RESP(3)
#endif
#if N_TASKS > 4
	&& RESP(4)
#endif
#if N_TASKS > 5
	&& RESP(5)
#endif
}
/*
 * The same whether or not the firmware stops: a live firmware (which
 * declines at most DECLINES times) cannot keep a task from the host either.
 */
ltl progress_any_fw {
	RESP_ANY(0)
#if N_TASKS > 1
	&& RESP_ANY(1)
#endif
#if N_TASKS > 2
	&& RESP_ANY(2)
#endif
#if N_TASKS > 3
	&& RESP_ANY(3)
#endif
#if N_TASKS > 4
	&& RESP_ANY(4)
#endif
#if N_TASKS > 5
	&& RESP_ANY(5)
#endif
}
#endif
