/*
 * Tests of a peer that scribbles on objects while others use them
 * (DESIGN.md section 3, the threat model of shmconc(7)).  Worker processes
 * use a mutex with a condition variable, an MVar, a buffered channel and a
 * rendezvous channel, each call with a deadline; meanwhile a scribbler
 * process maps the objects' files and writes random values, participant
 * IDs and stale values (undoing its own earlier scribbles) into their
 * object areas and participant tables, at a rate that changes as it goes.
 * Then: no worker died of a signal or reported a sanitizer error, every
 * call returned within its deadline plus a slack and with a result that its
 * manual page lists under ERRORS, and objects made afresh still work.
 * tests/fuzz/fuzz-ops.c scribbles between calls of one thread; this test
 * scribbles during them.
 *
 * The scribbles come from a seed printed as a diagnostic: SCRIBBLE_SEED=N
 * replays them (the interleaving with the workers differs from run to run).
 * SCRIBBLE_SECONDS=N scribbles for N seconds instead of 3.  Each worker
 * records every call it makes in shared memory: the function, the result,
 * and how long it ran past its deadline, not counting the time the machine
 * kept it from running (/proc/thread-self/schedstat).  A worker still busy
 * long after the end is reported with the call it is in, then killed.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmconc.h"
#include "lib/mutex.h"
#include "lib/peer.h"
#include "lib/shm.h"
#include "tests/tap/basic.h"
#include "tests/tap/shmc.h"
#include "tests/tap/timing.h"

/*
 * The liveness tick of every handle, and the slack a call may take past
 * its deadline: two ticks (one to notice, one to act) and half a second
 * for a loaded machine, on top of the time it waited for a CPU.
 */
#define TICK_MS         20
#define SLACK_MS        (2 * TICK_MS + 500)

/* The objects: participant slots, value and message size, capacity. */
#define PEERS           16
#define VSIZE           64
#define CAPACITY        4

/*
 * Timing of a run, in milliseconds: the longest wait a worker asks for;
 * what a try call may wait for another participant (MVar, rendezvous);
 * how long the workers run before the scribbler starts, and after it
 * stops; and how long after the end a worker may still be busy before it
 * counts as hung.
 */
#define WAIT_MAX_MS     100
#define TRY_MS          10
#define WARMUP_MS       300
#define TAIL_MS         500
#define GRACE_MS        (WAIT_MAX_MS + SLACK_MS + 2000)
#define SECONDS_DEFAULT 3

/* What our callbacks return to refuse a value or a message. */
#define REFUSE          ECANCELED

/* Result codes we count one by one; the last bucket takes the rest. */
#define NCODE           160

/* Violations kept for the diagnostics. */
#define MAX_BAD         32

#define NS              1000000000ULL
#define MS              1000000ULL

enum kind { K_MUTEX, K_COND, K_MVAR, K_CHAN, K_RDV, NKIND };
static const char *const kind_name[NKIND] = {
	"mutex", "cond", "mvar", "chan", "rendezvous"
};
static const char *const obj_name[NKIND] = {
	"scr-m", "scr-c", "scr-v", "scr-ch", "scr-rv"
};

/*
 * Every error code each function's page lists under ERRORS, with the
 * conditions left out: which ones a scribble can bring about is what the
 * test finds out.  END ends a list.
 */
#define END             (-1)
#define ATTACH          EUSERS, EMFILE, ENFILE, ENOMEM
#define ANY_MUTEX       ATTACH, EBADMSG, ENODATA
#define ANY_MVAR        ATTACH, EBADMSG, ENODATA
#define ANY_SEND        EPERM, EPIPE, EMSGSIZE, EINVAL, ATTACH, EBADMSG, \
	ENODATA
#define ANY_RECV        EPERM, EPIPE, EBADMSG, ENODATA

static const int ok_lock[] = {
	0, EOWNERDEAD, ENOTRECOVERABLE, EDEADLK, ETIMEDOUT, EINVAL,
	ANY_MUTEX, END
};
static const int ok_trylock[] = {
	0, EOWNERDEAD, ENOTRECOVERABLE, EDEADLK, EBUSY, ANY_MUTEX, END
};
static const int ok_unlock[] = { 0, EPERM, ANY_MUTEX, END };
static const int ok_consistent[] = { 0, EPERM, EINVAL, ANY_MUTEX, END };
static const int ok_wait[] = {
	0, EPERM, EOWNERDEAD, ENOTRECOVERABLE, ATTACH, EBADMSG, ETIMEDOUT,
	EINVAL, ENODATA, END
};
static const int ok_signal[] = { 0, ENODATA, END };
static const int ok_try_take[] = {
	0, EMSGSIZE, EOWNERDEAD, EAGAIN, ANY_MVAR, END
};
static const int ok_take[] = {
	0, EMSGSIZE, EOWNERDEAD, EDEADLK, ETIMEDOUT, EINVAL, ANY_MVAR, END
};
static const int ok_try_put[] = { 0, EMSGSIZE, EINVAL, EAGAIN, ANY_MVAR, END };
static const int ok_put[] = {
	0, EMSGSIZE, EINVAL, EDEADLK, ETIMEDOUT, ANY_MVAR, END
};
static const int ok_try_read[] = { 0, EMSGSIZE, EAGAIN, ANY_MVAR, END };
static const int ok_read[] = {
	0, EMSGSIZE, EDEADLK, ETIMEDOUT, EINVAL, ANY_MVAR, END
};
static const int ok_swap[] = {
	0, EMSGSIZE, EINVAL, EOWNERDEAD, EDEADLK, ETIMEDOUT, ANY_MVAR, END
};
static const int ok_take_with[] = {
	0, EOWNERDEAD, EDEADLK, ETIMEDOUT, EINVAL, ENOMEM, REFUSE, ANY_MVAR,
	END
};
static const int ok_modify[] = {
	0, EOWNERDEAD, EDEADLK, ETIMEDOUT, EINVAL, ENOMEM, EMSGSIZE, REFUSE,
	ANY_MVAR, END
};
static const int ok_is_empty[] = { 0, ENODATA, END };
static const int ok_try_send[] = { 0, EAGAIN, ANY_SEND, END };
static const int ok_send[] = { 0, ETIMEDOUT, ANY_SEND, END };
static const int ok_try_recv[] = { 0, EMSGSIZE, EAGAIN, ANY_RECV, END };
static const int ok_recv[] = {
	0, EMSGSIZE, ETIMEDOUT, EINVAL, ANY_RECV, END
};
static const int ok_recv_with[] = {
	0, ETIMEDOUT, EINVAL, ENOMEM, REFUSE, ANY_RECV, END
};
static const int ok_stat[] = { 0, ENODATA, END };

/* The functions the workers call, and what each may return. */
enum func {
	FN_LOCK, FN_TRYLOCK, FN_UNLOCK, FN_CONSISTENT,
	FN_WAIT, FN_SIGNAL, FN_BROADCAST,
	FN_TRY_TAKE, FN_TAKE, FN_TRY_PUT, FN_PUT, FN_TRY_READ, FN_READ, FN_SWAP,
	FN_TAKE_WITH, FN_MODIFY, FN_IS_EMPTY,
	FN_TRY_SEND, FN_SEND, FN_SEND_MANY, FN_TRY_RECV, FN_RECV, FN_RECV_MANY,
	FN_RECV_WITH, FN_STAT,
	NFN
};
static const struct {
	const char *name;
	const int *ok;
} funcs[NFN] = {
	{ "shmc_mutex_timedlock", ok_lock },
	{ "shmc_mutex_trylock", ok_trylock },
	{ "shmc_mutex_unlock", ok_unlock },
	{ "shmc_mutex_consistent", ok_consistent },
	{ "shmc_cond_timedwait", ok_wait },
	{ "shmc_cond_signal", ok_signal },
	{ "shmc_cond_broadcast", ok_signal },
	{ "shmc_mvar_try_take", ok_try_take },
	{ "shmc_mvar_timedtake", ok_take },
	{ "shmc_mvar_try_put", ok_try_put },
	{ "shmc_mvar_timedput", ok_put },
	{ "shmc_mvar_try_read", ok_try_read },
	{ "shmc_mvar_timedread", ok_read },
	{ "shmc_mvar_timedswap", ok_swap },
	{ "shmc_mvar_timedtake_with", ok_take_with },
	{ "shmc_mvar_timedmodify", ok_modify },
	{ "shmc_mvar_is_empty", ok_is_empty },
	{ "shmc_chan_try_send", ok_try_send },
	{ "shmc_chan_timedsend", ok_send },
	{ "shmc_chan_send_many", ok_send },
	{ "shmc_chan_try_recv", ok_try_recv },
	{ "shmc_chan_timedrecv", ok_recv },
	{ "shmc_chan_recv_many", ok_recv },
	{ "shmc_chan_recv_with", ok_recv_with },
	{ "shmc_chan_stat", ok_stat },
};

/*
 * The workers, by role, and the group whose exit a test line checks: the
 * mutex and condition variable are used together.
 */
enum role { R_MUTEX, R_MVAR, R_CH_SEND, R_CH_RECV, R_RV_SEND, R_RV_RECV };
static const enum role roles[] = {
	R_MUTEX, R_MUTEX, R_MVAR, R_MVAR, R_CH_SEND, R_CH_SEND, R_CH_RECV,
	R_RV_SEND, R_RV_SEND, R_RV_RECV
};
#define NWORKERS        ((int)ARRAY_SIZE(roles))
#define NGROUP          4
static const char *const group_name[NGROUP] = {
	"mutex and cond", "mvar", "chan", "rendezvous"
};
static const int role_group[] = { 0, 1, 2, 2, 3, 3 };

/* What went wrong with one call. */
enum { BAD_TIME, BAD_CODE, BAD_LEN, NBADKIND };

struct bad {
	int what;                       /* BAD_* */
	int kind, func, code;
	int worker;
	long over_ms;                   /* past the deadline, net */
	long starved_ms;                /* waiting for a CPU meanwhile */
	long at_ms;                     /* after the scribbler started */
	long len;                       /* BAD_LEN: the length */
};

/* The call a worker is in, for a report if it never comes back. */
struct cur {
	_Atomic int func;               /* -1 between calls */
	_Atomic int kind;
	_Atomic uint64_t start, deadline;
};

/* Plain data shared with the children: an anonymous MAP_SHARED page. */
struct shared {
	_Atomic uint64_t t_go;          /* the scribbler starts */
	_Atomic uint64_t t_stop;        /* ...and stops */
	_Atomic uint64_t t_end;         /* the workers stop; 0: not yet set */
	_Atomic int ready;              /* workers that opened their objects */
	_Atomic uint32_t count[NKIND][NFN][NCODE];
	_Atomic int64_t worst[NKIND];   /* largest net overrun, ns */
	_Atomic unsigned int late[NKIND];       /* past the slack, allowed */
	_Atomic unsigned int nbad[NKIND][NBADKIND];
	_Atomic unsigned int bad_used;
	struct bad bad[MAX_BAD];
	struct cur cur[NWORKERS];
	_Atomic uint64_t scribbles[NKIND];
};
static struct shared *sh;

static uint64_t seed;
static unsigned int seconds = SECONDS_DEFAULT;

/* This worker process: its number, random state and schedstat file. */
static int me;
static uint64_t rng;
static int sched_fd = -1;

/* splitmix64: small, and good enough for choosing scribbles. */
static uint64_t
rnd(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A number from 0 to n - 1. */
static uint64_t
below(uint64_t *state, uint64_t n)
{
	return n == 0 ? 0 : rnd(state) % n;
}

/* A name for a result code, for the tables. */
static const char *
code_name(int code)
{
	static const struct {
		int code;
		const char *name;
	} names[] = {
		{ 0, "0" }, { EAGAIN, "EAGAIN" }, { EBUSY, "EBUSY" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { EOWNERDEAD, "EOWNERDEAD" },
		{ ENOTRECOVERABLE, "ENOTRECOVERABLE" }, { EDEADLK, "EDEADLK" },
		{ EBADMSG, "EBADMSG" }, { EMSGSIZE, "EMSGSIZE" },
		{ EPIPE, "EPIPE" }, { EPERM, "EPERM" }, { EINVAL, "EINVAL" },
		{ EUSERS, "EUSERS" }, { ENOMEM, "ENOMEM" },
		{ EMFILE, "EMFILE" }, { ENFILE, "ENFILE" },
		{ ENODATA, "ENODATA" },
		{ ECANCELED, "ECANCELED" },
	};
	static char buf[16];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].code == code)
			return names[i].name;
	if (code >= NCODE - 1)
		return "other";
	snprintf(buf, sizeof(buf), "E#%d", code);
	return buf;
}

static int
bucket(int code)
{
	return code < 0 || code >= NCODE - 1 ? NCODE - 1 : code;
}

static int
documented(int func, int code)
{
	const int *p;

	for (p = funcs[func].ok; *p != END; p++)
		if (*p == code)
			return 1;
	return 0;
}

/*
 * How long this thread has waited, runnable, for a CPU (the second field
 * of /proc/thread-self/schedstat), in ns; 0 if the kernel does not say.
 */
static int64_t
runnable_ns(void)
{
	return (int64_t)schedstat_wait_ns(sched_fd);
}

/* Keep the details of a violation, if there is room. */
static void
note_bad(int what, int kind, int func, int code, int64_t over,
    int64_t starved, long len)
{
	struct bad *b;
	unsigned int i;
	uint64_t go = atomic_load(&sh->t_go);

	atomic_fetch_add(&sh->nbad[kind][what], 1);
	i = atomic_fetch_add(&sh->bad_used, 1);
	if (i >= MAX_BAD)
		return;
	b = &sh->bad[i];
	b->what = what;
	b->kind = kind;
	b->func = func;
	b->code = code;
	b->worker = me;
	b->over_ms = (long)(over / (int64_t)MS);
	b->starved_ms = (long)(starved / (int64_t)MS);
	b->at_ms = (long)(((int64_t)now_ns() - (int64_t)go) / (int64_t)MS);
	b->len = len;
}

/* One call being made: what, and when it started. */
struct call {
	int kind, func;
	uint64_t start, deadline;
	int64_t rq;
};

static void
begin(struct call *c, int kind, int func, uint64_t deadline)
{
	struct cur *cu = &sh->cur[me];

	c->kind = kind;
	c->func = func;
	c->deadline = deadline;
	c->rq = runnable_ns();
	c->start = now_ns();
	atomic_store(&cu->kind, kind);
	atomic_store(&cu->start, c->start);
	atomic_store(&cu->deadline, deadline);
	atomic_store(&cu->func, func);
}

/*
 * Record the result r of the call c: count it, and check the time it took
 * and that its page lists it.  Returns r.
 */
/*
 * Calls whose overrun is not bounded by the slack when a scribble names a
 * live participant as the holder of a lock the call must take back after
 * it slept: shmc_cond_timedwait re-acquires the mutex however long a live
 * owner holds it, as POSIX says; the MVar's blocking calls re-take its
 * internal lock to leave the queue, a limitation shmc_mvar(3) lists in
 * BUGS.  They wait until that participant exits, so they still count as
 * hung when they outlast the run (the check after it).
 */
static int
slack_exempt(int func)
{
	switch (func) {
	case FN_WAIT:
	case FN_TAKE:
	case FN_PUT:
	case FN_READ:
	case FN_SWAP:
	case FN_TAKE_WITH:
	case FN_MODIFY:
		return 1;
	default:
		return 0;
	}
}

static int
end(struct call *c, int r)
{
	uint64_t t = now_ns();
	int64_t starved = runnable_ns() - c->rq, over, worst;

	atomic_store(&sh->cur[me].func, -1);
	atomic_fetch_add(&sh->count[c->kind][c->func][bucket(r)], 1);
	if (starved < 0)
		starved = 0;
	over = (int64_t)t - (int64_t)c->deadline - starved;
	worst = atomic_load(&sh->worst[c->kind]);
	while (over > worst && !atomic_compare_exchange_weak(
	    &sh->worst[c->kind], &worst, over))
		continue;
	if (over > (int64_t)(SLACK_MS * MS) && slack_exempt(c->func))
		atomic_fetch_add(&sh->late[c->kind], 1);
	else if (over > (int64_t)(SLACK_MS * MS))
		note_bad(BAD_TIME, c->kind, c->func, r, over, starved, 0);
	if (!documented(c->func, r))
		note_bad(BAD_CODE, c->kind, c->func, r, over, starved, 0);
	return r;
}

/*
 * Make one call: begin sets the record up before the call's arguments are
 * evaluated (the comma operator orders them), end checks the result.
 */
#define CALL(c, kind, func, deadline, expr) \
	(begin(&(c), (kind), (func), (deadline)), end(&(c), (expr)))

/* A length a call returned must fit the room it was given. */
static void
check_len(int kind, int func, int r, size_t len, size_t room)
{
	if ((r == 0 || r == EOWNERDEAD) && len > room)
		note_bad(BAD_LEN, kind, func, r, 0, 0, (long)len);
}

/* A deadline from 1 to WAIT_MAX_MS milliseconds from now. */
static uint64_t
soon(void)
{
	return now_ns() + (1 + below(&rng, WAIT_MAX_MS)) * MS;
}

/* What a call that does not wait may take, at most. */
static uint64_t
at_once(void)
{
	return now_ns() + TRY_MS * MS;
}

/* A short random pause between calls, so that the workers share the CPUs. */
static void
pause_a_little(void)
{
	sleep_ns(below(&rng, 500) * 1000);
}

static int
running(void)
{
	return now_ns() < atomic_load(&sh->t_end);
}

/* Read every byte of a buffer, so that ASan checks the whole of it. */
static unsigned int
touch(const void *p, size_t len)
{
	const volatile unsigned char *b = p;
	unsigned int sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += b[i];
	return sum;
}

/* A buffer of exactly n bytes (at least one), so that ASan sees overruns. */
static unsigned char *
buffer(size_t n)
{
	unsigned char *p = bmalloc(n == 0 ? 1 : n);

	memset(p, 'b', n == 0 ? 1 : n);
	return p;
}

static struct shmc_attr
attrs(enum kind k)
{
	struct shmc_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.tick_ms = TICK_MS;
	attr.peers = PEERS;
	attr.size = VSIZE;
	attr.capacity = k == K_CHAN ? CAPACITY : 0;
	return attr;
}

/*
 * Mutex and condition variable: lock (timed or try), then, holding it,
 * perhaps wait on the condition variable for up to 40 ms, signal or
 * broadcast, and unlock.  A mutex taken over from a dead owner is made
 * consistent.
 */
static void
holding(struct shmc_mutex *m, struct shmc_cond *c, int r)
{
	struct call cl;
	int held = 1;

	if (r == EOWNERDEAD)
		(void)CALL(cl, K_MUTEX, FN_CONSISTENT, at_once(),
		    shmc_mutex_consistent(m));
	if (below(&rng, 2) == 0) {
		uint64_t dl = now_ns() + below(&rng, 40) * MS;
		struct timespec ts = ts_of(dl);

		r = CALL(cl, K_COND, FN_WAIT, dl,
		    shmc_cond_timedwait(c, m, &ts));
		/* The codes after which the caller holds the mutex. */
		held = r == 0 || r == ETIMEDOUT || r == EOWNERDEAD ||
		    r == EINVAL || r == EUSERS || r == EMFILE || r == ENFILE ||
		    r == ENOMEM;
		if (r == EOWNERDEAD)
			(void)CALL(cl, K_MUTEX, FN_CONSISTENT, at_once(),
			    shmc_mutex_consistent(m));
	}
	if (below(&rng, 4) == 0)
		sleep_ns(below(&rng, 1000) * 1000);
	if (below(&rng, 2) == 0)
		(void)CALL(cl, K_COND, FN_SIGNAL, at_once(),
		    shmc_cond_signal(c));
	else
		(void)CALL(cl, K_COND, FN_BROADCAST, at_once(),
		    shmc_cond_broadcast(c));
	if (held)
		(void)CALL(cl, K_MUTEX, FN_UNLOCK, at_once(),
		    shmc_mutex_unlock(m));
}

static int
work_mutex(void)
{
	struct shmc_attr attr = attrs(K_MUTEX);
	struct shmc_mutex *m;
	struct shmc_cond *c;
	struct timespec ts;
	struct call cl;
	uint64_t dl;
	int r;

	if (shmc_mutex_open(obj_name[K_MUTEX], 0, &attr, &m) != 0 ||
	    shmc_cond_open(obj_name[K_COND], 0, &attr, &c) != 0)
		return 2;
	atomic_fetch_add(&sh->ready, 1);
	while (atomic_load(&sh->t_end) == 0)
		sleep_ns(MS);
	while (running()) {
		switch (below(&rng, 8)) {
		case 0:
			(void)CALL(cl, K_COND, FN_SIGNAL, at_once(),
			    shmc_cond_signal(c));
			break;
		case 1:
			r = CALL(cl, K_MUTEX, FN_TRYLOCK, at_once(),
			    shmc_mutex_trylock(m));
			if (r == 0 || r == EOWNERDEAD)
				holding(m, c, r);
			break;
		default:
			dl = soon();
			ts = ts_of(dl);
			r = CALL(cl, K_MUTEX, FN_LOCK, dl,
			    shmc_mutex_timedlock(m, &ts));
			if (r == 0 || r == EOWNERDEAD)
				holding(m, c, r);
			break;
		}
		pause_a_little();
	}
	shmc_cond_close(c);
	shmc_mutex_close(m);
	return 0;
}

/* The take_with callback: check the value, and refuse one in four. */
static int
take_fn(void *arg, const void *value, size_t len)
{
	(void)arg;
	if (len > VSIZE)
		note_bad(BAD_LEN, K_MVAR, FN_TAKE_WITH, 0, 0, 0, (long)len);
	else
		(void)touch(value, len);
	return below(&rng, 4) == 0 ? REFUSE : 0;
}

/* The modify callback: a new value of random length, or a refusal. */
static int
modify_fn(void *arg, const void *old, size_t oldlen, void *new_value,
    size_t size, size_t *newlen)
{
	size_t n = below(&rng, VSIZE + 1);

	(void)arg;
	if (oldlen > VSIZE || size != VSIZE) {
		note_bad(BAD_LEN, K_MVAR, FN_MODIFY, 0, 0, 0,
		    (long)(oldlen > VSIZE ? oldlen : size));
		return REFUSE;
	}
	(void)touch(old, oldlen);
	if (below(&rng, 4) == 0)
		return REFUSE;
	memset(new_value, 'm', n);
	*newlen = n;
	return 0;
}

/*
 * MVar: every kind of call, with values of random length and, now and
 * then, a buffer too small for the value.
 */
static int
work_mvar(void)
{
	struct shmc_attr attr = attrs(K_MVAR);
	struct shmc_mvar *mv;
	struct timespec ts;
	struct call cl;
	unsigned char *buf, val[VSIZE];
	size_t room, vlen, len;
	uint64_t dl;
	int r, empty;

	if (shmc_mvar_open(obj_name[K_MVAR], 0, &attr, &mv) != 0)
		return 2;
	atomic_fetch_add(&sh->ready, 1);
	while (atomic_load(&sh->t_end) == 0)
		sleep_ns(MS);
	memset(val, 'v', sizeof(val));
	while (running()) {
		room = below(&rng, 4) == 0 ? below(&rng, VSIZE) : VSIZE;
		vlen = below(&rng, VSIZE + 1);
		buf = buffer(room);
		len = 0;
		dl = soon();
		ts = ts_of(dl);
		switch (below(&rng, 10)) {
		case 0:
			r = CALL(cl, K_MVAR, FN_TRY_TAKE, at_once(),
			    shmc_mvar_try_take(mv, buf, room, &len));
			check_len(K_MVAR, FN_TRY_TAKE, r, len, room);
			break;
		case 1:
			r = CALL(cl, K_MVAR, FN_TAKE, dl,
			    shmc_mvar_timedtake(mv, buf, room, &len, &ts));
			check_len(K_MVAR, FN_TAKE, r, len, room);
			break;
		case 2:
			(void)CALL(cl, K_MVAR, FN_TRY_PUT, at_once(),
			    shmc_mvar_try_put(mv, val, vlen));
			break;
		case 3:
			(void)CALL(cl, K_MVAR, FN_PUT, dl,
			    shmc_mvar_timedput(mv, val, vlen, &ts));
			break;
		case 4:
			r = CALL(cl, K_MVAR, FN_TRY_READ, at_once(),
			    shmc_mvar_try_read(mv, buf, room, &len));
			check_len(K_MVAR, FN_TRY_READ, r, len, room);
			break;
		case 5:
			r = CALL(cl, K_MVAR, FN_READ, dl,
			    shmc_mvar_timedread(mv, buf, room, &len, &ts));
			check_len(K_MVAR, FN_READ, r, len, room);
			break;
		case 6:
			r = CALL(cl, K_MVAR, FN_SWAP, dl,
			    shmc_mvar_timedswap(mv, val, vlen, buf, room, &len,
			    &ts));
			check_len(K_MVAR, FN_SWAP, r, len, room);
			break;
		case 7:
			(void)CALL(cl, K_MVAR, FN_TAKE_WITH, dl,
			    shmc_mvar_timedtake_with(mv, take_fn, NULL, &ts));
			break;
		case 8:
			(void)CALL(cl, K_MVAR, FN_MODIFY, dl,
			    shmc_mvar_timedmodify(mv, modify_fn, NULL, &ts));
			break;
		default:
			(void)CALL(cl, K_MVAR, FN_IS_EMPTY, at_once(),
			    shmc_mvar_is_empty(mv, &empty));
			break;
		}
		free(buf);
		pause_a_little();
	}
	shmc_mvar_close(mv);
	return 0;
}

/*
 * A sender of channel k: single messages (now and then one too long),
 * batches of three, and a look at the figures.
 */
static int
work_send(enum kind k)
{
	struct shmc_attr attr = attrs(k);
	struct shmc_chan *ch;
	struct shmc_chan_stat st;
	struct timespec ts;
	struct iovec iov[3];
	struct call cl;
	unsigned char msg[VSIZE + 1];
	size_t len, sent, i;
	uint64_t dl;

	if (shmc_chan_open(obj_name[k], SHMC_SENDER, &attr, &ch) != 0)
		return 2;
	atomic_fetch_add(&sh->ready, 1);
	while (atomic_load(&sh->t_end) == 0)
		sleep_ns(MS);
	memset(msg, 's', sizeof(msg));
	while (running()) {
		len = below(&rng, 16) == 0 ? VSIZE + 1 : below(&rng, VSIZE + 1);
		dl = soon();
		ts = ts_of(dl);
		switch (below(&rng, 6)) {
		case 0:
			(void)CALL(cl, k, FN_TRY_SEND, at_once(),
			    shmc_chan_try_send(ch, msg, len));
			break;
		case 1:
			for (i = 0; i < ARRAY_SIZE(iov); i++) {
				iov[i].iov_base = msg;
				iov[i].iov_len = below(&rng, VSIZE + 1);
			}
			sent = 0;
			(void)CALL(cl, k, FN_SEND_MANY, dl,
			    shmc_chan_send_many(ch, iov, ARRAY_SIZE(iov), &sent,
			    &ts));
			if (sent > ARRAY_SIZE(iov))
				note_bad(BAD_LEN, k, FN_SEND_MANY, 0, 0, 0,
				    (long)sent);
			break;
		case 2:
			(void)CALL(cl, k, FN_STAT, at_once(),
			    shmc_chan_stat(ch, &st));
			break;
		default:
			(void)CALL(cl, k, FN_SEND, dl,
			    shmc_chan_timedsend(ch, msg, len, &ts));
			break;
		}
		pause_a_little();
	}
	shmc_chan_close(ch);
	return 0;
}

/* The recv_with callback: check the message, and refuse one in four. */
static int
recv_fn(void *arg, const void *msg, size_t len,
    const struct shmc_msginfo *info)
{
	const enum kind *k = arg;

	if (len > VSIZE)
		note_bad(BAD_LEN, *k, FN_RECV_WITH, 0, 0, 0, (long)len);
	else
		(void)touch(msg, len);
	(void)touch(info, sizeof(*info));
	return below(&rng, 4) == 0 ? REFUSE : 0;
}

/*
 * The receiver of channel k: single messages (now and then into a buffer
 * too small), batches of up to four, and messages handed to a callback.
 */
static int
work_recv(enum kind k)
{
	struct shmc_attr attr = attrs(k);
	struct shmc_chan *ch;
	struct timespec ts;
	struct call cl;
	unsigned char *buf;
	size_t room, len, lens[4], got, sum, i;
	uint64_t dl;
	int r;

	if (shmc_chan_open(obj_name[k], SHMC_RECEIVER, &attr, &ch) != 0)
		return 2;
	atomic_fetch_add(&sh->ready, 1);
	while (atomic_load(&sh->t_end) == 0)
		sleep_ns(MS);
	while (running()) {
		room = below(&rng, 4) == 0 ? below(&rng, VSIZE) : VSIZE;
		dl = soon();
		ts = ts_of(dl);
		len = 0;
		switch (below(&rng, 6)) {
		case 0:
			buf = buffer(room);
			r = CALL(cl, k, FN_TRY_RECV, at_once(),
			    shmc_chan_try_recv(ch, buf, room, &len));
			check_len(k, FN_TRY_RECV, r, len, room);
			break;
		case 1:
			room *= 2;
			buf = buffer(room);
			got = 0;
			r = CALL(cl, k, FN_RECV_MANY, dl,
			    shmc_chan_recv_many(ch, buf, room, lens,
			    ARRAY_SIZE(lens), &got, &ts));
			if (got > ARRAY_SIZE(lens)) {
				note_bad(BAD_LEN, k, FN_RECV_MANY, r, 0, 0,
				    (long)got);
				break;
			}
			for (i = 0, sum = 0; i < got; i++)
				sum += lens[i];
			if (sum > room)
				note_bad(BAD_LEN, k, FN_RECV_MANY, r, 0, 0,
				    (long)sum);
			break;
		case 2:
			buf = NULL;
			(void)CALL(cl, k, FN_RECV_WITH, dl,
			    shmc_chan_recv_with(ch, recv_fn, &k, &ts));
			break;
		default:
			buf = buffer(room);
			r = CALL(cl, k, FN_RECV, dl,
			    shmc_chan_timedrecv(ch, buf, room, &len, &ts));
			check_len(k, FN_RECV, r, len, room);
			break;
		}
		free(buf);
		pause_a_little();
	}
	shmc_chan_close(ch);
	return 0;
}

/* A worker: its number is the argument. */
static int
worker(void *arg)
{
	me = (int)(intptr_t)arg;
	rng = seed ^ (0x5851f42d4c957f2dULL * (uint64_t)(me + 1));
	sched_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	atomic_store(&sh->cur[me].func, -1);
	switch (roles[me]) {
	case R_MUTEX:
		return work_mutex();
	case R_MVAR:
		return work_mvar();
	case R_CH_SEND:
		return work_send(K_CHAN);
	case R_CH_RECV:
		return work_recv(K_CHAN);
	case R_RV_SEND:
		return work_send(K_RDV);
	default:
		return work_recv(K_RDV);
	}
}

/* Scribbles the scribbler remembers, per object, to undo them. */
#define UNDO_MAX        1024

/* The scribbler's view of one object: its file, mapped a second time. */
struct target {
	unsigned char *map;
	size_t size;
	size_t obj_off, obj_len;        /* object area, with its padding */
	size_t peer_off, peer_size;
	uint32_t npeers;
	struct {
		size_t off;
		int wide;
		uint64_t old;
	} undo[UNDO_MAX];               /* the latest scribbles, a stack */
	int nundo;
};

static void
target_open(struct target *t, enum kind k)
{
	struct shmc__hdr h;
	char *path = test_shm_path(obj_name[k]);
	int fd;

	memset(t, 0, sizeof(*t));
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
		sysbail("cannot read %s", path);
	t->size = (size_t)h.total_size;
	t->map = mmap(NULL, t->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0);
	if (t->map == MAP_FAILED)
		sysbail("cannot map %s", path);
	close(fd);
	free(path);
	t->obj_off = h.obj_off;
	t->obj_len = h.peer_off - h.obj_off;
	t->peer_off = h.peer_off;
	t->peer_size = h.peer_size;
	t->npeers = h.npeers;
}

static uint64_t
load(const struct target *t, size_t off, int wide)
{
	if (wide)
		return atomic_load_explicit((_Atomic uint64_t *)(void *)
		    (t->map + off), memory_order_relaxed);
	return atomic_load_explicit((_Atomic uint32_t *)(void *)
	    (t->map + off), memory_order_relaxed);
}

static void
store(const struct target *t, size_t off, int wide, uint64_t v)
{
	if (wide)
		atomic_store_explicit((_Atomic uint64_t *)(void *)
		    (t->map + off), v, memory_order_relaxed);
	else
		atomic_store_explicit((_Atomic uint32_t *)(void *)
		    (t->map + off), (uint32_t)v, memory_order_relaxed);
}

/*
 * A plausible participant ID: the current generation of a slot (or of a
 * slot past the table, now and then), perhaps with the mutex flags.
 */
static uint32_t
plausible_id(const struct target *t, uint64_t *g)
{
	uint32_t slot = (uint32_t)below(g, t->npeers + 2), gen, id, i;

	/* Half the time, a slot marked attached: a live one, most likely. */
	for (i = below(g, 2) == 0 ? 0 : 4 * t->npeers; i < 4 * t->npeers;
	    i++) {
		slot = (uint32_t)below(g, t->npeers);
		if (load(t, t->peer_off + slot * t->peer_size + 4, 0) ==
		    SHMC__PEER_ATTACHED)
			break;
	}
	if (slot < t->npeers)
		gen = (uint32_t)load(t, t->peer_off + slot * t->peer_size, 0);
	else
		gen = (uint32_t)below(g, 4);
	id = SHMC__ID(slot, gen & 0xfffffU) & SHMC__ID_MASK;
	switch (below(g, 4)) {
	case 0:
		return id | SHMC__MUTEX_WAITERS;
	case 1:
		return id | SHMC__MUTEX_INCONS;
	default:
		return id;
	}
}

/*
 * One scribble on t: a 32-bit or, where aligned, a 64-bit value at a
 * random place.  A quarter go to the first word of a cache line of the
 * object area (a lock word, a slot's state), a quarter to its first 16
 * bytes, where the other control words and slot headers are; a quarter
 * anywhere in it; a quarter into the participant table.  The values are
 * plausible participant IDs, small numbers, the old value moved by a
 * little or with one bit flipped, random words, 0, all ones, and a
 * mutex's "not recoverable".  The old value is remembered for an undo.
 */
static void
scribble(struct target *t, uint64_t *g)
{
	size_t off;
	uint64_t old, v;
	uint32_t lo;
	int wide;

	switch (below(g, 4)) {
	case 0:
		off = t->obj_off + below(g, t->obj_len / SHMC__LINE) *
		    SHMC__LINE;
		break;
	case 1:
		off = t->obj_off + below(g, t->obj_len / SHMC__LINE) *
		    SHMC__LINE + below(g, 4) * 4;
		break;
	case 2:
		off = t->obj_off + below(g, t->obj_len / 4) * 4;
		break;
	default:
		off = t->peer_off + below(g, t->npeers) * t->peer_size +
		    below(g, t->peer_size / 4) * 4;
		break;
	}
	wide = off % 8 == 0 && below(g, 3) == 0;
	old = load(t, off, wide);
	switch (below(g, 16)) {
	case 0:
	case 1:
	case 2:
	case 3:
		/* For a 64-bit word: a channel slot claimed by that ID. */
		v = (old & 0xffffffff00000000ULL) | plausible_id(t, g);
		break;
	case 4:
	case 5:
		/* Or a channel slot's other states. */
		lo = (uint32_t)below(g, 8);
		if (wide && below(g, 2) == 0)
			lo = below(g, 2) == 0 ? SHMC__MUTEX_WAITERS :
			    SHMC__MUTEX_INCONS;
		v = (old & 0xffffffff00000000ULL) | lo;
		break;
	case 6:
	case 7:
		v = old + (below(g, 2) == 0 ? 1 : -1) * (below(g, 3) + 1);
		break;
	case 8:
	case 9:
		/* The position half of a slot's state, moved by one. */
		v = old + ((uint64_t)(below(g, 2) == 0 ? 1 : -1) << 32);
		break;
	case 10:
	case 11:
		v = old ^ ((uint64_t)1 << below(g, wide ? 64 : 32));
		break;
	case 12:
	case 13:
		v = rnd(g);
		break;
	case 14:
		v = 0;
		break;
	default:
		v = below(g, 2) == 0 ? ~(uint64_t)0 : SHMC__MUTEX_NOTREC;
		break;
	}
	store(t, off, wide, v);
	if (t->nundo == UNDO_MAX) {
		memmove(&t->undo[0], &t->undo[1],
		    (UNDO_MAX - 1) * sizeof(t->undo[0]));
		t->nundo--;
	}
	t->undo[t->nundo].off = off;
	t->undo[t->nundo].wide = wide;
	t->undo[t->nundo].old = old;
	t->nundo++;
}

/*
 * Undo the latest scribble on t not yet undone: put back the value it
 * overwrote, which is sane again or, if the workers have moved on since,
 * stale.
 */
static void
unscribble(struct target *t)
{
	if (t->nundo == 0)
		return;
	t->nundo--;
	store(t, t->undo[t->nundo].off, t->undo[t->nundo].wide,
	    t->undo[t->nundo].old);
}

/*
 * The scribbler: from t_go to t_stop, scribble on the objects at random,
 * at a rate chosen anew every 50 to 300 ms: calm (one scribble every 10 to
 * 40 ms, most of them undoing earlier ones), steady (every 1 to 4 ms, half
 * of them undos) or, one time in five, a storm (bursts of up to 8 every
 * 0.1 to 0.5 ms, few undos).  A new rate may also begin by undoing every
 * scribble remembered on an object.  The undos give the workers spells of
 * a sane object between the damage.
 */
static int
scribbler(void *arg)
{
	static const int undo_pct[3] = { 90, 50, 15 };
	struct target t[NKIND];
	uint64_t g = seed, stop, next_mode = 0, t_now;
	int k, mode = 0, n;

	(void)arg;
	for (k = 0; k < NKIND; k++)
		target_open(&t[k], (enum kind)k);
	while (now_ns() < atomic_load(&sh->t_go))
		sleep_ns(MS);
	stop = atomic_load(&sh->t_stop);
	while ((t_now = now_ns()) < stop) {
		if (t_now >= next_mode) {
			mode = (int)below(&g, 5);
			mode = mode < 2 ? 0 : mode < 4 ? 1 : 2;
			next_mode = t_now + (50 + below(&g, 251)) * MS;
			for (k = 0; k < NKIND; k++) {
				if (below(&g, 4) != 0)
					continue;
				while (t[k].nundo > 0)
					unscribble(&t[k]);
			}
		}
		n = mode == 2 ? 1 + (int)below(&g, 8) : 1;
		while (n-- > 0) {
			k = (int)below(&g, NKIND);
			if ((int)below(&g, 100) < undo_pct[mode])
				unscribble(&t[k]);
			else
				scribble(&t[k], &g);
			atomic_fetch_add(&sh->scribbles[k], 1);
		}
		switch (mode) {
		case 0:
			sleep_ns((10 + below(&g, 31)) * MS);
			break;
		case 1:
			sleep_ns((1000 + below(&g, 3001)) * 1000);
			break;
		default:
			sleep_ns((100 + below(&g, 401)) * 1000);
			break;
		}
	}
	for (k = 0; k < NKIND; k++)
		munmap(t[k].map, t[k].size);
	return 0;
}

/* Create the objects of the run, and close our handles on them. */
static void
create_objects(void)
{
	struct shmc_attr attr;
	struct shmc_mutex *m;
	struct shmc_cond *c;
	struct shmc_mvar *mv;
	struct shmc_chan *ch;
	int r, k;

	attr = attrs(K_MUTEX);
	r = shmc_mutex_open(obj_name[K_MUTEX], SHMC_CREAT | SHMC_EXCL, &attr,
	    &m);
	if (r != 0)
		bail("cannot create the mutex: %s", shmc_strerror(r));
	shmc_mutex_close(m);
	r = shmc_cond_open(obj_name[K_COND], SHMC_CREAT | SHMC_EXCL, &attr, &c);
	if (r != 0)
		bail("cannot create the cond: %s", shmc_strerror(r));
	shmc_cond_close(c);
	attr = attrs(K_MVAR);
	r = shmc_mvar_open(obj_name[K_MVAR], SHMC_CREAT | SHMC_EXCL, &attr,
	    &mv);
	if (r != 0)
		bail("cannot create the mvar: %s", shmc_strerror(r));
	shmc_mvar_close(mv);
	for (k = K_CHAN; k <= K_RDV; k++) {
		attr = attrs((enum kind)k);
		r = shmc_chan_open(obj_name[k], SHMC_CREAT | SHMC_EXCL, &attr,
		    &ch);
		if (r != 0)
			bail("cannot create the %s: %s", kind_name[k],
			    shmc_strerror(r));
		shmc_chan_close(ch);
	}
}

/*
 * Look at every object as shmls(1) does, while the scribbler works.
 * Returns how many calls failed.
 */
static int
inspect_all(unsigned int *calls)
{
	struct shmc_info info;
	struct shmc_peer_info peers[PEERS + 1];
	size_t n;
	int k, bad = 0;

	for (k = 0; k < NKIND; k++) {
		if (shmc_inspect(obj_name[k], &info) != 0 || info.error != 0)
			bad++;
		if (shmc_inspect_peers(obj_name[k], peers, ARRAY_SIZE(peers),
		    &n) != 0 || n > PEERS)
			bad++;
		*calls += 2;
	}
	return bad;
}

/* Describe a wait status for a diagnostic. */
static const char *
status_text(int code, int killed)
{
	static char buf[64];

	if (killed)
		return "hung, killed";
	if (code >= 1000)
		snprintf(buf, sizeof(buf), "killed by signal %d (%s)",
		    code - 1000, strsignal(code - 1000));
	else
		snprintf(buf, sizeof(buf), "exit status %d", code);
	return buf;
}

/*
 * Reap the workers and the scribbler.  A worker that has not exited
 * GRACE_MS after the end is reported, with the call it is in, and
 * killed.  The parent inspects the objects meanwhile.
 */
static void
reap_all(pid_t *pids, int *codes, int *killed, int n, unsigned int *icalls,
    int *ibad)
{
	uint64_t limit = atomic_load(&sh->t_end) + GRACE_MS * MS, t;
	int left = n, i, st, c;
	struct cur *cu;
	pid_t p;

	while (left > 0) {
		p = waitpid(-1, &st, WNOHANG);
		if (p < 0 && errno != EINTR)
			sysbail("waitpid");
		if (p > 0) {
			for (i = 0; i < n; i++)
				if (pids[i] == p)
					break;
			if (i == n)
				continue;
			codes[i] = WIFEXITED(st) ? WEXITSTATUS(st) :
			    1000 + WTERMSIG(st);
			pids[i] = 0;
			left--;
			continue;
		}
		t = now_ns();
		if (t < atomic_load(&sh->t_stop))
			*ibad += inspect_all(icalls);
		if (t < limit) {
			sleep_ns(20 * MS);
			continue;
		}
		for (i = 0; i < n; i++) {
			if (pids[i] == 0)
				continue;
			if (i < NWORKERS) {
				cu = &sh->cur[i];
				c = atomic_load(&cu->func);
				if (c >= 0)
					diag("worker %d hangs in %s on the %s,"
					    " %ld ms past its deadline", i,
					    funcs[c].name,
					    kind_name[atomic_load(&cu->kind)],
					    (long)((t - atomic_load(
					    &cu->deadline)) / MS));
				else
					diag("worker %d hangs between calls",
					    i);
			} else
				diag("the scribbler hangs");
			kill(pids[i], SIGKILL);
			codes[i] = test_reap(pids[i]);
			killed[i] = 1;
			pids[i] = 0;
			left--;
		}
	}
}

/* One line per function of kind k: how often each result came. */
static void
table(enum kind k)
{
	char line[512];
	uint32_t n;
	size_t len;
	int f, c;

	for (f = 0; f < NFN; f++) {
		len = 0;
		line[0] = '\0';
		for (c = 0; c < NCODE; c++) {
			n = atomic_load(&sh->count[k][f][c]);
			if (n == 0 || len >= sizeof(line))
				continue;
			len += (size_t)snprintf(line + len, sizeof(line) - len,
			    " %s:%u", code_name(c), n);
		}
		if (len > 0)
			diag("  %-10s %-24s%s", kind_name[k], funcs[f].name,
			    line);
	}
}

/* Calls of kind k made, and of those that returned 0. */
static void
totals(enum kind k, unsigned long *calls, unsigned long *zero)
{
	int f, c;

	*calls = *zero = 0;
	for (f = 0; f < NFN; f++) {
		for (c = 0; c < NCODE; c++)
			*calls += atomic_load(&sh->count[k][f][c]);
		*zero += atomic_load(&sh->count[k][f][0]);
	}
}

/* The violations of kind what on kind k, as diagnostics. */
static void
show_bad(enum kind k, int what)
{
	unsigned int i, n = atomic_load(&sh->bad_used);
	const struct bad *b;

	if (n > MAX_BAD)
		n = MAX_BAD;
	for (i = 0; i < n; i++) {
		b = &sh->bad[i];
		if (b->kind != (int)k || b->what != what)
			continue;
		switch (what) {
		case BAD_TIME:
			diag("  worker %d: %s returned %s %ld ms past its "
			    "deadline (and waited %ld ms for a CPU), %ld ms "
			    "after the scribbling began", b->worker,
			    funcs[b->func].name, code_name(b->code),
			    b->over_ms, b->starved_ms, b->at_ms);
			break;
		case BAD_CODE:
			diag("  worker %d: %s returned %d (%s), which its "
			    "page does not list, %ld ms after the scribbling "
			    "began", b->worker, funcs[b->func].name, b->code,
			    shmc_strerror(b->code), b->at_ms);
			break;
		default:
			diag("  worker %d: %s (%s) gave a length or count of "
			    "%ld, more than it had room for", b->worker,
			    funcs[b->func].name, code_name(b->code), b->len);
			break;
		}
	}
}

/* Sanity afterwards: the rendezvous receiver in a child. */
static int
child_rdv_recv(void *arg)
{
	struct shmc_chan *ch = NULL;
	struct timespec ts = test_in_ms(5000);
	char buf[VSIZE];
	size_t len;
	int r;

	r = shmc_chan_open(arg, SHMC_RECEIVER, NULL, &ch);
	if (r == 0)
		r = shmc_chan_timedrecv(ch, buf, sizeof(buf), &len, &ts);
	if (r == 0 && (len != 5 || memcmp(buf, "fresh", 5) != 0))
		r = 99;
	shmc_chan_close(ch);
	return r;
}

/*
 * A fresh object of kind k works, and the scribbled one of the run can
 * still be opened, closed and unlinked.
 */
static void
sanity(enum kind k)
{
	struct shmc_attr attr = attrs(k);
	struct shmc_mutex *m = NULL, *m2 = NULL;
	struct shmc_cond *c = NULL;
	struct shmc_mvar *mv = NULL;
	struct shmc_chan *ch = NULL;
	struct timespec ts = test_in_ms(5000), soon_ts;
	char buf[VSIZE], name[32];
	size_t len;
	int r, r2;
	pid_t pid;

	snprintf(name, sizeof(name), "fresh-%s", kind_name[k]);
	switch (k) {
	case K_MUTEX:
		r = shmc_mutex_open(name, SHMC_CREAT | SHMC_EXCL, &attr, &m);
		if (r == 0 && (r = shmc_mutex_timedlock(m, &ts)) == 0)
			r = shmc_mutex_unlock(m);
		shmc_mutex_close(m);
		r2 = shmc_mutex_open(obj_name[k], 0, &attr, &m);
		if (r2 == 0)
			shmc_mutex_close(m);
		if (r2 == 0)
			r2 = shmc_mutex_unlink(obj_name[k]);
		break;
	case K_COND:
		r = shmc_mutex_open("fresh-cond-m", SHMC_CREAT | SHMC_EXCL,
		    &attr, &m2);
		if (r == 0)
			r = shmc_cond_open(name, SHMC_CREAT | SHMC_EXCL, &attr,
			    &c);
		if (r == 0 && (r = shmc_mutex_timedlock(m2, &ts)) == 0) {
			r = shmc_cond_signal(c);
			soon_ts = test_in_ms(TICK_MS);
			if (r == 0)
				r = shmc_cond_timedwait(c, m2, &soon_ts);
			if (r == ETIMEDOUT)
				r = shmc_mutex_unlock(m2);
		}
		shmc_cond_close(c);
		shmc_mutex_close(m2);
		r2 = shmc_cond_open(obj_name[k], 0, &attr, &c);
		if (r2 == 0)
			shmc_cond_close(c);
		if (r2 == 0)
			r2 = shmc_cond_unlink(obj_name[k]);
		break;
	case K_MVAR:
		r = shmc_mvar_open(name, SHMC_CREAT | SHMC_EXCL, &attr, &mv);
		if (r == 0 && (r = shmc_mvar_timedput(mv, "fresh", 5,
		    &ts)) == 0)
			r = shmc_mvar_timedtake(mv, buf, sizeof(buf), &len,
			    &ts);
		if (r == 0 && (len != 5 || memcmp(buf, "fresh", 5) != 0))
			r = EBADMSG;
		shmc_mvar_close(mv);
		r2 = shmc_mvar_open(obj_name[k], 0, &attr, &mv);
		if (r2 == 0)
			shmc_mvar_close(mv);
		if (r2 == 0)
			r2 = shmc_mvar_unlink(obj_name[k]);
		break;
	case K_CHAN:
		r = shmc_chan_open(name, SHMC_CREAT | SHMC_EXCL | SHMC_SENDER |
		    SHMC_RECEIVER, &attr, &ch);
		if (r == 0 && (r = shmc_chan_timedsend(ch, "fresh", 5,
		    &ts)) == 0)
			r = shmc_chan_timedrecv(ch, buf, sizeof(buf), &len,
			    &ts);
		if (r == 0 && (len != 5 || memcmp(buf, "fresh", 5) != 0))
			r = EBADMSG;
		shmc_chan_close(ch);
		r2 = shmc_chan_open(obj_name[k], 0, &attr, &ch);
		if (r2 == 0)
			shmc_chan_close(ch);
		if (r2 == 0)
			r2 = shmc_chan_unlink(obj_name[k]);
		break;
	default:
		r = shmc_chan_open(name, SHMC_CREAT | SHMC_EXCL | SHMC_SENDER,
		    &attr, &ch);
		if (r == 0) {
			pid = test_fork(child_rdv_recv, name);
			r = shmc_chan_timedsend(ch, "fresh", 5, &ts);
			r2 = test_reap(pid);
			if (r == 0)
				r = r2;
		}
		shmc_chan_close(ch);
		r2 = shmc_chan_open(obj_name[k], 0, &attr, &ch);
		if (r2 == 0)
			shmc_chan_close(ch);
		if (r2 == 0)
			r2 = shmc_chan_unlink(obj_name[k]);
		break;
	}
	if (r != 0)
		diag("fresh %s: %s", kind_name[k], shmc_strerror(r));
	if (r2 != 0)
		diag("the scribbled %s: %s", kind_name[k], shmc_strerror(r2));
	ok(r == 0 && r2 == 0,
	    "afterwards a fresh %s works, the scribbled one unlinks",
	    kind_name[k]);
}

int
main(void)
{
	pid_t pids[NWORKERS + 1];
	int codes[NWORKERS + 1], killed[NWORKERS + 1];
	int i, k, g, good, ibad = 0;
	unsigned int icalls = 0;
	unsigned long calls, zero, nscr = 0, hung;
	uint64_t t;
	const char *s;

	s = getenv("SCRIBBLE_SECONDS");
	if (s != NULL && atoi(s) > 0)
		seconds = (unsigned int)atoi(s);
	test_timeout(30 + 2 * seconds);
	plan(2 + NGROUP + 3 * NKIND);
	test_shm_setup();
	s = getenv("SCRIBBLE_SEED");
	if (s != NULL && *s != '\0')
		seed = strtoull(s, NULL, 0);
	else
		seed = now_ns() ^ ((uint64_t)time(NULL) << 20) ^
		    ((uint64_t)getpid() << 40);
	diag("seed %llu (SCRIBBLE_SEED=%llu replays the scribbles), %u s",
	    (unsigned long long)seed, (unsigned long long)seed, seconds);
	sh = test_shared_page(sizeof(*sh));
	create_objects();

	/* The workers open their objects, then wait for the start. */
	memset(killed, 0, sizeof(killed));
	for (i = 0; i < NWORKERS; i++)
		pids[i] = test_fork(worker, (void *)(intptr_t)i);
	t = now_ns();
	while (atomic_load(&sh->ready) < NWORKERS) {
		if (now_ns() - t > 10 * NS)
			bail("the workers did not open their objects");
		sleep_ns(MS);
	}
	t = now_ns();
	atomic_store(&sh->t_go, t + WARMUP_MS * MS);
	atomic_store(&sh->t_stop, t + WARMUP_MS * MS + seconds * NS);
	atomic_store(&sh->t_end, t + WARMUP_MS * MS + seconds * NS +
	    TAIL_MS * MS);
	pids[NWORKERS] = test_fork(scribbler, NULL);
	reap_all(pids, codes, killed, NWORKERS + 1, &icalls, &ibad);

	/* Nobody crashed, hung or failed a sanitizer check. */
	for (k = 0; k < NKIND; k++)
		nscr += atomic_load(&sh->scribbles[k]);
	if (codes[NWORKERS] != 0)
		diag("the scribbler: %s", status_text(codes[NWORKERS],
		    killed[NWORKERS]));
	ok(codes[NWORKERS] == 0 && nscr > 0,
	    "the scribbler wrote %lu values into live objects", nscr);
	for (g = 0; g < NGROUP; g++) {
		good = 1;
		for (i = 0; i < NWORKERS; i++) {
			if (role_group[roles[i]] != g || codes[i] == 0)
				continue;
			diag("worker %d (%s): %s", i, group_name[g],
			    status_text(codes[i], killed[i]));
			good = 0;
		}
		ok(good, "%s: every worker exited normally", group_name[g]);
	}

	/* Every call in time, with a documented result. */
	for (k = 0; k < NKIND; k++) {
		hung = 0;
		for (i = 0; i < NWORKERS; i++)
			if (killed[i] && atomic_load(&sh->cur[i].func) >= 0 &&
			    atomic_load(&sh->cur[i].kind) == k)
				hung++;
		show_bad((enum kind)k, BAD_TIME);
		if (atomic_load(&sh->late[k]) > 0)
			diag("%s: %u calls past the slack, held by a forged "
			    "lock owner that was alive (allowed, see "
			    "slack_exempt)", kind_name[k],
			    atomic_load(&sh->late[k]));
		ok(atomic_load(&sh->nbad[k][BAD_TIME]) == 0 && hung == 0,
		    "%s: every call returned within its deadline + %d ms "
		    "(worst %+ld ms)", kind_name[k], SLACK_MS,
		    (long)(atomic_load(&sh->worst[k]) / (int64_t)MS));
	}
	for (k = 0; k < NKIND; k++) {
		totals((enum kind)k, &calls, &zero);
		show_bad((enum kind)k, BAD_CODE);
		show_bad((enum kind)k, BAD_LEN);
		ok(atomic_load(&sh->nbad[k][BAD_CODE]) == 0 &&
		    atomic_load(&sh->nbad[k][BAD_LEN]) == 0 && zero > 0,
		    "%s: every result is documented "
		    "(%lu calls, %lu returned 0)",
		    kind_name[k], calls, zero);
	}
	diag("results by function:");
	for (k = 0; k < NKIND; k++)
		table((enum kind)k);
	is_int(0, ibad, "inspecting the objects meanwhile never failed "
	    "(%u calls)", icalls);

	/* Objects made afresh work. */
	for (k = 0; k < NKIND; k++)
		sanity((enum kind)k);
	return 0;
}
