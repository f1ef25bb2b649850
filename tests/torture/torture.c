/*
 * Kill torture: many processes run randomised workloads over every
 * primitive while a supervisor SIGKILLs them at random times and at every
 * named stop point, and pauses them with SIGSTOP/SIGCONT; then independent
 * history checkers verify that nothing acknowledged was lost, nothing torn,
 * nothing duplicated beyond the documented bound, order kept, mutual
 * exclusion never violated and no operation hung.  See tests/torture/README
 * for the design; the exit status is the verdict.
 *
 * Usage: torture [-v] [-s SECONDS] [-S SEED] [-t TICK_MS]
 *                [-W mutex,mvar,chanA,chanB] [-K] [-P] [-p POINT] [-F]
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmconc.h"
#include "tests/tap/timing.h"

/* ------------------------------------------------------------------ */
/* Parameters                                                          */

#define MS              1000000ULL
#define SEC             1000000000ULL
#define OP_NS           (2 * SEC)       /* deadline of every operation */
#define SLACK_NS        (500 * MS)      /* allowed beyond the deadline */
#define MAXMSG          512             /* MVar value and message size */
#define HDRLEN          32              /* token header */
#define NMANY           4               /* send_many / recv_many batch */
#define PENDSZ          (NMANY * MAXMSG)
#define MAXW            65536           /* incarnations in one run */
#define LOGCAP          (16U << 20)     /* delivery log entries */
#define LOGMARGIN       100000          /* consumers stop this near full */
#define LOGAHEAD        50              /* permille of a share usable at 0 */
#define MLOGCAP         (8U << 20)      /* mutex increment log entries */
#define NLAT            (1U << 18)      /* latency samples kept */
#define NMSG            128             /* violation messages kept */
#define MSGLEN          240
#define MAXPAUSE_TICKS  5
#define KILL_MEAN_MS    40              /* mean gap between random kills */
#define PAUSE_MEAN_MS   50              /* mean gap between pauses */
#define ARM_TIMEOUT_NS  (1 * SEC)
#define LIFE_MAX_S      30              /* a worker leaves cleanly after
						   a random 1..N seconds */
#define END_GRACE_NS    (OP_NS + SEC)   /* for workers to quit cleanly */

/* Objects, their names (shmconc.<name> in the private directory). */
enum { O_MUTEX, O_MVAR, O_CHANA, O_CHANB, NOBJ };
static const char *const obj_name[NOBJ] = {
	"mutex/cond", "mvar", "chan-A", "chan-B"
};
/* What each object's consumers log, relatively (see log_room). */
static const unsigned int log_weight[NOBJ] = { 0, 2, 9, 5 };
#define N_MUTEX "t.mutex"
#define N_COND  "t.cond"
#define N_MVAR  "t.mvar"
#define N_CHANA "t.chanA"
#define N_CHANB "t.chanB"

/* Roles of worker processes and how many of each run at once. */
enum {
	R_INC, R_WAIT, R_PROD, R_CONS, R_SENDA, R_RECVA, R_SENDB, R_RECVB,
	NROLE
};
static const int role_count[NROLE] = { 3, 2, 3, 3, 3, 1, 3, 1 };
static const int role_obj[NROLE] = {
	O_MUTEX, O_MUTEX, O_MVAR, O_MVAR, O_CHANA, O_CHANA, O_CHANB, O_CHANB
};
static const char *const role_name[NROLE] = {
	"incrementer", "waiter", "producer", "consumer", "sender-A",
	"receiver-A", "sender-B", "receiver-B"
};
#define RB(r)   (1U << (r))
#define NSLOT   19      /* sum of role_count */

/*
 * Stop points and the roles that can reach them: the library's (lib/,
 * SHMC__STOP), then the harness's own ("x-" names), where a worker stops
 * itself at a step of its own: inside a callback after it logged the
 * value (killed after delivery, before the commit), or inside the mutex's
 * critical section.  The library's part must name every SHMC__STOP point
 * in the .c files of lib/ (commit_value in mvar.c takes its point from its
 * callers): "points covered" is out of the library points listed here, so
 * a point missing here would be missing from the total too.
 */
enum { G_MVAR, G_CHANA, G_CHANB, G_MUTEX, NGROUP };
struct point {
	const char *name;
	unsigned int roles;
	unsigned int groups;    /* groups (objects) it is armed for */
};
static const struct point points[] = {
	{ "mvar-take-copied", RB(R_CONS), 1U << G_MVAR },
	{ "mvar-put-copied", RB(R_PROD), 1U << G_MVAR },
	{ "mvar-swap-copied", RB(R_PROD), 1U << G_MVAR },
	{ "mvar-hold", RB(R_CONS) | RB(R_PROD), 1U << G_MVAR },
	{ "mvar-modify-computed", RB(R_PROD), 1U << G_MVAR },
	{ "mvar-modify-copied", RB(R_PROD), 1U << G_MVAR },
	{ "chan-send-claimed", RB(R_SENDA) | RB(R_SENDB),
	    (1U << G_CHANA) | (1U << G_CHANB) },
	{ "chan-send-copied", RB(R_SENDA) | RB(R_SENDB),
	    (1U << G_CHANA) | (1U << G_CHANB) },
	{ "chan-recv-copied", RB(R_RECVA) | RB(R_RECVB),
	    (1U << G_CHANA) | (1U << G_CHANB) },
	{ "chan-recv-freed", RB(R_RECVA) | RB(R_RECVB),
	    (1U << G_CHANA) | (1U << G_CHANB) },
	{ "create-header", RB(R_INC) | RB(R_WAIT), 1U << G_MUTEX },
	{ "create-init", RB(R_INC) | RB(R_WAIT), 1U << G_MUTEX },
	{ "x-mutex-held", RB(R_INC), 1U << G_MUTEX },
	{ "x-mutex-logged", RB(R_INC), 1U << G_MUTEX },
	{ "x-take_with-fn", RB(R_CONS), 1U << G_MVAR },
	{ "x-modify-fn", RB(R_PROD), 1U << G_MVAR },
	{ "x-recv_with-fn", RB(R_RECVA) | RB(R_RECVB),
	    (1U << G_CHANA) | (1U << G_CHANB) },
};
#define NPOINT  ((int)(sizeof(points) / sizeof(points[0])))
static const unsigned int group_roles[NGROUP] = {
	RB(R_PROD) | RB(R_CONS), RB(R_SENDA) | RB(R_RECVA),
	RB(R_SENDB) | RB(R_RECVB), RB(R_INC) | RB(R_WAIT)
};
static const char *const group_name[NGROUP] = {
	"mvar", "chan-A", "chan-B", "mutex"
};

/* A point of the harness rather than of the library. */
#define HARNESS_POINT(p)        (strncmp(points[p].name, "x-", 2) == 0)

/* ------------------------------------------------------------------ */
/* Shared state: one MAP_SHARED anonymous region, inherited by fork.    */

enum { W_FREE, W_STARTING, W_READY, W_LEAVING, W_DEAD };

/* Operation kinds, for hang reports. */
enum {
	K_NONE, K_LOCK, K_CONDWAIT, K_PUT, K_SWAP, K_MODIFY, K_TAKE,
	K_TAKE_WITH, K_READ, K_SEND, K_SEND_MANY, K_RECV, K_RECV_WITH,
	K_RECV_MANY, K_CREATE, K_OPEN, NKIND
};
static const char *const kind_name[NKIND] = {
	"none", "lock", "cond-wait", "put", "swap", "modify", "take",
	"take_with", "read", "send", "send_many", "recv", "recv_with",
	"recv_many", "create", "open"
};

/* One worker incarnation.  Each restart gets a new one. */
struct wrec {
	_Atomic int32_t pid;
	int32_t role;
	int32_t slot;
	_Atomic uint32_t state;         /* W_* */
	_Atomic uint32_t dying;         /* the supervisor is killing it */
	_Atomic uint32_t killed;        /* it died by SIGKILL */
	_Atomic uint32_t killed_in_fn;  /* stopped in a callback, after it
					   logged, before the commit */
	_Atomic uint64_t kill_t;        /* when the supervisor killed it */
	_Atomic uint32_t kill_point;    /* at point kill_point-1, or 0 */
	_Atomic uint64_t pause_t;       /* when it was last paused */
	_Atomic uint32_t arm;           /* supervisor: stop at point arm-1 */
	_Atomic uint32_t stop_at;       /* worker: SHMCONC_STOP is point-1 */
	_Atomic uint32_t pauses;        /* SIGSTOPs the supervisor sent */
	_Atomic uint32_t op_kind;
	_Atomic uint32_t op_pauses;
	_Atomic uint64_t op_start;      /* CLOCK_MONOTONIC ns, 0: none */
	_Atomic uint64_t op_limit;
	_Atomic uint64_t hang_seen;     /* op_start of an op counted hung */
	_Atomic uint64_t op_stall;      /* B->stall_ns at op_start */
	_Atomic uint64_t op_runq;       /* its runqueue wait before op_start */
	_Atomic uint64_t done;          /* produced: seq < done acknowledged */
	_Atomic uint32_t inflight;      /* seqs from done maybe produced */
	_Atomic uint32_t pend_valid;    /* pend may hold delivered values */
	_Atomic uint64_t ready_ns;      /* receiver: when its open returned */
	_Atomic uint64_t ops;
	uint32_t nerr;                  /* errors it noted */
	unsigned char pend[PENDSZ];     /* take/recv/swap copy into here */
};

/* Delivery log entry flags. */
#define F_VALID         0x01
#define F_CB            0x02    /* logged in a callback, before commit */
#define F_DONE          0x04    /* the operation returned success */
#define F_OWNERDEAD     0x08    /* it returned EOWNERDEAD */
#define F_CANCEL        0x10    /* the callback's take did not happen */
#define F_DRAIN         0x20    /* the supervisor's final drain */
#define F_INFO          0x40    /* pos, isender, iseq are set */

/* One delivery: a token taken from the MVar or received from a channel. */
struct lent {
	_Atomic uint32_t flags;
	uint32_t who;           /* consumer incarnation, 0: supervisor */
	uint32_t src;           /* producer incarnation */
	uint32_t obj;
	uint64_t seq;
	uint64_t pos;           /* channel position (shmc_msginfo) */
	uint64_t t;
	uint32_t isender, iseq; /* shmc_msginfo */
};

/* One increment of the mutex-protected counter. */
struct ment {
	_Atomic uint64_t check; /* written last; hash of the rest + index */
	uint32_t who;
	uint32_t pad;
	uint64_t seq;
	uint64_t t;
};

struct mdata {
	_Atomic uint32_t inside;        /* incarnation in the critical section */
	uint32_t pad;
	_Atomic uint64_t counter;
	_Atomic uint64_t rolled;        /* repairs that rolled forward */
	struct ment log[MLOGCAP];
};

struct board {
	_Atomic uint32_t quit;
	_Atomic uint32_t frozen;        /* -F: an error was seen */
	_Atomic uint32_t ninc;
	_Atomic uint64_t log_n;
	_Atomic uint64_t logged[NOBJ];  /* log entries per object */
	uint64_t t0, run_ns;            /* the run's start and length */
	uint64_t share[NOBJ];           /* of the log, in entries */
	_Atomic uint64_t kill_ns[NOBJ]; /* earliest kill since a success */
	_Atomic uint64_t ops[NOBJ];
	_Atomic uint64_t timeouts[NOBJ];
	_Atomic uint64_t eownerdead[NOBJ];
	_Atomic uint64_t hangs;
	_Atomic uint64_t late;          /* over deadline + slack, raw */
	_Atomic uint64_t stall_ns;      /* machine stalls: see stall_clock */
	_Atomic uint64_t kill_stall[NOBJ];
	_Atomic uint64_t kops[NKIND];   /* per kind: successes */
	_Atomic uint64_t kfail[NKIND];  /* per kind: timeouts, EAGAIN... */
	_Atomic uint64_t kns[NKIND];    /* per kind: total time */
	_Atomic uint64_t exclusion;
	_Atomic uint64_t false_death;
	_Atomic uint64_t false_epipe;
	_Atomic uint64_t epipe;
	_Atomic uint64_t torn;
	_Atomic uint64_t errors;
	_Atomic uint64_t takeover_fail;
	_Atomic uint64_t reads;
	_Atomic uint64_t lat_n;
	_Atomic uint64_t lat_max[NOBJ]; /* per object, ns */
	char kill_what[NOBJ][64];       /* the pending kill, for reports */
	char worst_what[NOBJ][96];      /* the kill of the slowest recovery */
	uint32_t lat[NLAT];             /* recovery latency, us */
	_Atomic uint64_t cwl_n;
	uint32_t cwl[NLAT];             /* cond wake latency, us */
	_Atomic uint32_t rx_cur[2];     /* current receiver of chan A, B */
	_Atomic uint32_t nmsg;
	char msg[NMSG][MSGLEN];
};

static struct board *B;
static struct wrec *W;
static struct lent *L;
static struct mdata *M;

static int verbose;
static unsigned int tick_ms = 20;
static unsigned int workloads = 0xf;    /* -W: 1 << O_* */
static int no_kills, no_pauses, only_point = -1, freeze;
static unsigned int pace = 1;   /* long runs space kills out by this */
static char shm_dir[64];

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */

static void
busy_ns(uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	while (now_ns() < end)
		;
}

static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rng_state;

static uint64_t
rnd(void)
{
	rng_state += 0x9e3779b97f4a7c15ULL;
	return mix64(rng_state);
}

static uint64_t
rnd_below(uint64_t n)
{
	return n == 0 ? 0 : rnd() % n;
}

/* A violation or an error: kept in shared memory for the report. */
static void
note(const char *fmt, ...)
{
	uint32_t i;
	va_list ap;

	i = atomic_fetch_add(&B->nmsg, 1);
	if (i >= NMSG)
		return;
	va_start(ap, fmt);
	vsnprintf(B->msg[i], MSGLEN, fmt, ap);
	va_end(ap);
	if (verbose)
		fprintf(stderr, "torture: %s\n", B->msg[i]);
	if (i == NMSG - 1)
		snprintf(B->msg[i], MSGLEN, "(further notes left out)");
}

static void
lat_push(_Atomic uint64_t *n, uint32_t *arr, uint64_t ns)
{
	uint64_t i = atomic_fetch_add(n, 1);

	if (i < NLAT)
		arr[i] = (uint32_t)(ns / 1000 > UINT32_MAX ? UINT32_MAX :
		    ns / 1000);
}

/* ------------------------------------------------------------------ */
/* Tokens: self-checking values                                        */

/*
 * Layout: magic, src, seq, len, obj, sum (64-bit FNV-1a of the first 24
 * bytes and the payload); the payload is a stream derived from (obj, src,
 * seq), so that a value made of two values' pieces never checks.
 */
#define MAGIC   0x746f726bU

static uint64_t
fnv(uint64_t h, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
payload(unsigned char *p, size_t n, uint32_t obj, uint32_t src, uint64_t seq)
{
	uint64_t s = mix64(((uint64_t)obj << 56) ^ ((uint64_t)src << 36) ^ seq);
	size_t i;

	for (i = 0; i < n; i++) {
		if (i % 8 == 0)
			s = mix64(s);
		p[i] = (unsigned char)(s >> (8 * (i % 8)));
	}
}

static size_t
tok_make(unsigned char *buf, uint32_t obj, uint32_t src, uint64_t seq)
{
	uint32_t magic = MAGIC, len;
	uint64_t sum;

	len = (uint32_t)(HDRLEN + rnd_below(MAXMSG - HDRLEN + 1));
	memcpy(buf, &magic, 4);
	memcpy(buf + 4, &src, 4);
	memcpy(buf + 8, &seq, 8);
	memcpy(buf + 16, &len, 4);
	memcpy(buf + 20, &obj, 4);
	payload(buf + HDRLEN, len - HDRLEN, obj, src, seq);
	sum = fnv(fnv(0xcbf29ce484222325ULL, buf, 24), buf + HDRLEN,
	    len - HDRLEN);
	memcpy(buf + 24, &sum, 8);
	return len;
}

/* 0 and the token's identity if buf[0..n) is a whole token of obj. */
static int
tok_check(const unsigned char *buf, size_t n, uint32_t obj, uint32_t *src,
    uint64_t *seq)
{
	unsigned char want[MAXMSG];
	uint32_t magic, len, o;
	uint64_t sum;

	if (n < HDRLEN || n > MAXMSG)
		return -1;
	memcpy(&magic, buf, 4);
	memcpy(src, buf + 4, 4);
	memcpy(seq, buf + 8, 8);
	memcpy(&len, buf + 16, 4);
	memcpy(&o, buf + 20, 4);
	memcpy(&sum, buf + 24, 8);
	if (magic != MAGIC || len != n || o != obj)
		return -1;
	if (fnv(fnv(0xcbf29ce484222325ULL, buf, 24), buf + HDRLEN,
	    n - HDRLEN) != sum)
		return -1;
	payload(want, n - HDRLEN, obj, *src, *seq);
	return memcmp(want, buf + HDRLEN, n - HDRLEN) == 0 ? 0 : -1;
}

/* The length a token in buf claims, or 0. */
static size_t
tok_len(const unsigned char *buf)
{
	uint32_t magic, len;

	memcpy(&magic, buf, 4);
	memcpy(&len, buf + 16, 4);
	return magic == MAGIC && len >= HDRLEN && len <= MAXMSG ? len : 0;
}

/* ------------------------------------------------------------------ */
/* Worker side                                                         */

static uint32_t me;             /* this worker's incarnation */
static struct wrec *R;          /* its record */

/*
 * Whether a consumer of obj may log another delivery.  The log is finite
 * (LOGCAP), and a fast channel fills it in a minute or so; after that
 * nothing could be consumed, and every object would stall.  So each
 * object gets a share of the log (main), spread evenly over the run: at
 * a time t into it an object may have used LOGAHEAD permille of its share
 * plus the fraction t / run of it.  A consumer ahead of that line sleeps
 * a tick; the line moves on by thousands of entries a second, so no
 * object waits long, and kills stay spread over the whole run.
 */
static int
log_room(uint32_t obj)
{
	uint64_t el = now_ns() - B->t0, allow;

	if (atomic_load(&B->log_n) + LOGMARGIN >= LOGCAP)
		return 0;
	allow = B->share[obj] / 1000 * LOGAHEAD;
	if (el < B->run_ns)
		allow += (uint64_t)((double)B->share[obj] * el / B->run_ns);
	else
		allow = B->share[obj];
	return atomic_load(&B->logged[obj]) < allow;
}

/* Append a delivery; returns its index, or -1 if the log is full. */
static int64_t
log_add(uint32_t who, uint32_t obj, uint32_t src, uint64_t seq,
    uint32_t flags, const struct shmc_msginfo *info)
{
	uint64_t i = atomic_fetch_add(&B->log_n, 1);
	struct lent *e;

	if (i >= LOGCAP)
		return -1;
	atomic_fetch_add(&B->logged[obj], 1);
	e = &L[i];
	e->who = who;
	e->obj = obj;
	e->src = src;
	e->seq = seq;
	e->t = now_ns();
	if (info != NULL) {
		e->pos = info->pos;
		e->isender = info->sender;
		e->iseq = info->seq;
		flags |= F_INFO;
	}
	atomic_store_explicit(&e->flags, flags | F_VALID,
	    memory_order_release);
	return (int64_t)i;
}

static void
log_mark(int64_t i, uint32_t flags)
{
	if (i >= 0)
		atomic_fetch_or(&L[i].flags, flags);
}

/*
 * The time process pid (0: this one) has spent runnable but waiting for a
 * CPU, in ns: the second field of /proc/PID/schedstat, or 0 if unknown.
 * A worker kept off the CPU by the machine's load is not hung.
 */
static uint64_t
runq_wait(pid_t pid)
{
	static int self_fd = -1;
	char path[64];
	uint64_t wait;
	int fd;

	if (pid == 0 && self_fd < 0)
		self_fd = open("/proc/self/schedstat", O_RDONLY | O_CLOEXEC);
	if (pid == 0)
		return schedstat_wait_ns(self_fd);
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	wait = schedstat_wait_ns(fd);
	if (fd >= 0)
		close(fd);
	return wait;
}

/* This worker's runqueue wait, sampled at most every 20 ms. */
static uint64_t
runq_sample(uint64_t t)
{
	static uint64_t last_t, last;

	if (t - last_t > 20 * MS) {
		last = runq_wait(0);
		last_t = t;
	}
	return last;
}

/* Start an operation of kind that must end by limit ns from now. */
static void
op_begin_l(int kind, uint64_t limit)
{
	uint64_t t = now_ns();

	atomic_store(&R->op_kind, (uint32_t)kind);
	atomic_store(&R->op_pauses, atomic_load(&R->pauses));
	atomic_store(&R->op_limit, limit);

	atomic_store(&R->op_stall, atomic_load(&B->stall_ns));
	atomic_store(&R->op_runq, runq_sample(t));
	atomic_store(&R->op_start, t);
}

static void
op_begin(int kind)
{
	op_begin_l(kind, OP_NS);
}

/*
 * Machine stalls.  On a loaded machine (other jobs, a virtual machine
 * whose host steals its CPUs) every process may be kept off the CPU for
 * hundreds of milliseconds; that is not the library's doing.  The
 * supervisor, which only sleeps a millisecond per loop, adds what it
 * oversleeps beyond STALL_FREE_NS to B->stall_ns; a deadline check allows
 * the slack plus the stall time that passed during the operation.
 */
#define STALL_FREE_NS   (5 * MS)

/*
 * The slack allowed beyond a deadline: SLACK_NS, plus the longest pause
 * we inflict ourselves, since any call may wait for a holder we paused
 * (an MVar call re-takes its internal lock without a deadline).
 */
static uint64_t
slack_ns(void)
{
	return SLACK_NS + MAXPAUSE_TICKS * tick_ms * MS;
}

static uint64_t
stall_since(uint64_t then)
{
	return atomic_load(&B->stall_ns) - then;
}

/*
 * An operation of w that started at start has run el ns: count it late
 * if it overran its deadline plus the slack, and hung (once) if it did so
 * even after the machine's stalls meanwhile are taken off.
 */
static int
hang_count(struct wrec *w, uint64_t start, uint64_t el, const char *who)
{
	uint64_t prev, lim = atomic_load(&w->op_limit) + slack_ns();
	uint64_t stall = stall_since(atomic_load(&w->op_stall)), rq;

	if (el <= lim)
		return 0;
	/* Add the time this worker itself waited for a CPU meanwhile. */
	rq = runq_wait(w == R ? 0 : atomic_load(&w->pid));
	if (rq > atomic_load(&w->op_runq))
		stall += rq - atomic_load(&w->op_runq);
	prev = atomic_load(&w->hang_seen);
	if (prev == start || (prev != start + 1 &&
	    !atomic_compare_exchange_strong(&w->hang_seen, &prev, start + 1)))
		goto check;
	atomic_fetch_add(&B->late, 1);
check:
	if (el <= lim + stall)
		return 0;
	prev = atomic_load(&w->hang_seen);
	if (prev == start || !atomic_compare_exchange_strong(&w->hang_seen,
	    &prev, start))
		return 0;
	atomic_fetch_add(&B->hangs, 1);
	note("hang (%s): %s #%u pid %d: %s ran %.1f ms, deadline %llu ms "
	    "+ slack %llu ms + machine stalls and own CPU wait %.1f ms", who,
	    role_name[w->role], (unsigned)(w - W), (int)atomic_load(&w->pid),
	    kind_name[atomic_load(&w->op_kind)], el / 1e6,
	    (unsigned long long)(atomic_load(&w->op_limit) / MS),
	    (unsigned long long)(slack_ns() / MS), stall / 1e6);
	return 1;
}

/* End an operation on obj; ok: it succeeded (for recovery latency). */
static void
op_end(int obj, int ok)
{
	uint64_t start = atomic_load(&R->op_start), t = now_ns(), k, m;

	if (start != 0 && atomic_load(&R->op_pauses) ==
	    atomic_load(&R->pauses))
		(void)hang_count(R, start, t - start, "worker");
	atomic_store(&R->op_start, 0);
	k = atomic_load(&R->op_kind);
	atomic_fetch_add(ok ? &B->kops[k] : &B->kfail[k], 1);
	atomic_fetch_add(&B->kns[k], t - start);
	if (!ok)
		return;
	atomic_fetch_add(&B->ops[obj], 1);
	atomic_fetch_add(&R->ops, 1);
	k = atomic_load(&B->kill_ns[obj]);
	if (k != 0 && k < t && atomic_compare_exchange_strong(&B->kill_ns[obj],
	    &k, 0)) {
		lat_push(&B->lat_n, B->lat, t - k);
		if (verbose && t - k > 300 * MS) {
			char what[64];

			memcpy(what, B->kill_what[obj], sizeof(what));
			what[sizeof(what) - 1] = '\0';
			note("slow recovery (information): the %s: %.1f ms "
			    "from a kill of %s to a %s by #%u; machine stalls "
			    "meanwhile %.1f ms", obj_name[obj], (t - k) / 1e6,
			    what, kind_name[atomic_load(&R->op_kind)], me,
			    stall_since(atomic_load(&B->kill_stall[obj])) /
			    1e6);
		}
		m = atomic_load(&B->lat_max[obj]);
		while (t - k > m && !atomic_compare_exchange_weak(
		    &B->lat_max[obj], &m, t - k))
			;
		if (t - k > m) {
			char what[64];

			memcpy(what, B->kill_what[obj], sizeof(what));
			what[sizeof(what) - 1] = '\0';
			snprintf(B->worst_what[obj], sizeof(B->worst_what[obj]),
			    "%s, then %s", what,
			    kind_name[atomic_load(&R->op_kind)]);
		}
	}
}

static void
unexpected(const char *what, int r)
{
	atomic_fetch_add(&B->errors, 1);
	if (++R->nerr <= 3)
		note("%s #%u: %s returned %d (%s)%s", role_name[R->role], me,
		    what, r, shmc_strerror(r), R->nerr == 3 ?
		    "; its further errors are only counted" : "");
	atomic_store(&B->frozen, 1);
	/* Do not spin on a broken object. */
	sleep_ns(tick_ms * MS);
}

/* Set SHMCONC_STOP for the next operation if we are armed for it. */
static int
arm_point(void)
{
	uint32_t a = atomic_load(&R->arm);

	if (a == 0 || a > (uint32_t)NPOINT ||
	    !(points[a - 1].roles & RB(R->role)))
		return -1;
	atomic_store(&R->stop_at, a);
	setenv("SHMCONC_STOP", points[a - 1].name, 1);
	return (int)a - 1;
}

static void
disarm_point(void)
{
	unsetenv("SHMCONC_STOP");
	atomic_store(&R->stop_at, 0);
}

/* A harness stop point: stop here if armed for it. */
static void
hstop(const char *name)
{
	uint32_t a = atomic_load(&R->stop_at);

	if (a != 0 && a <= (uint32_t)NPOINT &&
	    strcmp(points[a - 1].name, name) == 0)
		raise(SIGSTOP);
}

/* Is this worker armed for a point whose name starts with prefix? */
static int
armed_for(const char *prefix)
{
	uint32_t a = atomic_load(&R->arm);

	return a != 0 && a <= (uint32_t)NPOINT &&
	    strncmp(points[a - 1].name, prefix, strlen(prefix)) == 0;
}

static struct timespec
op_deadline(void)
{
	return ts_of(now_ns() + OP_NS);
}

/* --- workload 1: mutex + condvar counter ------------------------- */

static struct shmc_mutex *mx;
static struct shmc_cond *cv;

static uint64_t
ment_check(const struct ment *e, uint64_t idx)
{
	uint64_t h = mix64(e->who ^ (idx << 32));

	h = mix64(h ^ e->seq);
	h = mix64(h ^ e->t);
	return h | 1;
}

static int
ment_valid(uint64_t idx)
{
	struct ment *e = &M->log[idx];
	uint64_t c = atomic_load(&e->check);

	return c != 0 && c == ment_check(e, idx);
}

/*
 * Repair after EOWNERDEAD: an increment whose log entry is whole but whose
 * counter store did not happen is rolled forward; a torn entry is left to
 * be overwritten.  Then the state is consistent.
 */
static void
mutex_repair(void)
{
	uint64_t c = atomic_load(&M->counter);

	if (c < MLOGCAP && ment_valid(c)) {
		atomic_store(&M->counter, c + 1);
		atomic_fetch_add(&M->rolled, 1);
	}
	if (shmc_mutex_consistent(mx) != 0)
		unexpected("mutex_consistent", EINVAL);
}

/* We just acquired the mutex (eod: with EOWNERDEAD). */
static void
enter_inside(int eod)
{
	uint32_t prev = atomic_exchange(&M->inside, me);

	if (prev == 0)
		return;
	if (!eod) {
		atomic_fetch_add(&B->exclusion, 1);
		note("mutual exclusion: %s #%u acquired the mutex while #%u "
		    "(%s) was inside", role_name[R->role], me, prev,
		    prev < MAXW ? role_name[W[prev].role] : "?");
	} else if (prev >= MAXW || !atomic_load(&W[prev].dying)) {
		atomic_fetch_add(&B->false_death, 1);
		note("false death: %s #%u got EOWNERDEAD while the holder #%u "
		    "(pid %d) was not killed", role_name[R->role], me, prev,
		    prev < MAXW ? (int)atomic_load(&W[prev].pid) : 0);
	}
}

static void
leave_inside(void)
{
	uint32_t prev = atomic_exchange(&M->inside, 0);

	if (prev != me) {
		atomic_fetch_add(&B->exclusion, 1);
		note("mutual exclusion: %s #%u found #%u inside its own "
		    "critical section", role_name[R->role], me, prev);
	}
}

static void
inc_op(void)
{
	struct timespec dl = op_deadline();
	struct ment *e;
	uint64_t c, seq;
	int r, eod, pt;

	pt = armed_for("x-mutex") ? arm_point() : -1;
	op_begin(K_LOCK);
	r = rnd_below(8) == 0 ? shmc_mutex_trylock(mx) :
	    shmc_mutex_timedlock(mx, &dl);
	if (r == EBUSY || r == ETIMEDOUT) {
		if (r == ETIMEDOUT)
			atomic_fetch_add(&B->timeouts[O_MUTEX], 1);
		if (pt >= 0)
			disarm_point();
		op_end(O_MUTEX, 0);
		return;
	}
	if (r != 0 && r != EOWNERDEAD) {
		unexpected("mutex lock", r);
		if (pt >= 0)
			disarm_point();
		op_end(O_MUTEX, 0);
		return;
	}
	eod = r == EOWNERDEAD;
	if (eod) {
		atomic_fetch_add(&B->eownerdead[O_MUTEX], 1);
		mutex_repair();
	}
	enter_inside(eod);
	hstop("x-mutex-held");
	busy_ns(rnd_below(10000));
	c = atomic_load(&M->counter);
	if (c < MLOGCAP - 1) {
		seq = atomic_load(&R->done);
		atomic_store(&R->inflight, 1);
		e = &M->log[c];
		e->who = me;
		e->seq = seq;
		e->t = now_ns();
		atomic_store(&e->check, ment_check(e, c));
		hstop("x-mutex-logged");
		busy_ns(rnd_below(5000));
		atomic_store(&M->counter, c + 1);
		atomic_store(&R->done, seq + 1);
		atomic_store(&R->inflight, 0);
	}
	leave_inside();
	r = shmc_mutex_unlock(mx);
	if (r != 0)
		unexpected("mutex unlock", r);
	if (pt >= 0)
		disarm_point();
	if (rnd_below(2))
		(void)shmc_cond_broadcast(cv);
	else
		(void)shmc_cond_signal(cv);
	op_end(O_MUTEX, 1);
}

/* For a late wake-up: who wrote entries from..to-1, and their fate. */
static void
wake_detail(uint64_t from, uint64_t to, uint64_t t)
{
	struct wrec *w;
	uint64_t k, kt, pt;
	uint32_t kp;

	for (k = from; k < to && k < from + 4; k++) {
		w = M->log[k].who < MAXW ? &W[M->log[k].who] : W;
		kt = atomic_load(&w->kill_t);
		kp = atomic_load(&w->kill_point);
		pt = atomic_load(&w->pause_t);
		note("  entry %llu by #%u at -%.1f ms; writer %s%s%s "
		    "%.1f ms ago; last paused %.1f ms ago",
		    (unsigned long long)k, M->log[k].who,
		    (t - M->log[k].t) / 1e6, kt ? "killed" : "alive",
		    kt ? (kp ? " at " : " at random") : "",
		    kp ? points[kp - 1].name : "", kt ? (t - kt) / 1e6 : 0.0,
		    pt ? (t - pt) / 1e6 : -1.0);
	}
}

static void
wait_op(void)
{
	struct timespec dl = op_deadline();
	uint64_t target, c, t, lat, dlns, k, late_sigs;
	int r, eod, ok = 0, timedout = 0;

	dlns = (uint64_t)dl.tv_sec * SEC + (uint64_t)dl.tv_nsec;
	op_begin(K_CONDWAIT);
	r = shmc_mutex_timedlock(mx, &dl);
	if (r == ETIMEDOUT) {
		atomic_fetch_add(&B->timeouts[O_MUTEX], 1);
		op_end(O_MUTEX, 0);
		return;
	}
	if (r != 0 && r != EOWNERDEAD) {
		unexpected("mutex lock", r);
		op_end(O_MUTEX, 0);
		return;
	}
	eod = r == EOWNERDEAD;
	if (eod) {
		atomic_fetch_add(&B->eownerdead[O_MUTEX], 1);
		mutex_repair();
	}
	enter_inside(eod);
	target = atomic_load(&M->counter) + 1 + rnd_below(3);
	if (target >= MLOGCAP - 1)
		target = 0;
	while (target != 0 && atomic_load(&M->counter) < target) {
		leave_inside();
		r = shmc_cond_timedwait(cv, mx, &dl);
		eod = r == EOWNERDEAD;
		if (eod) {
			atomic_fetch_add(&B->eownerdead[O_MUTEX], 1);
			mutex_repair();
		}
		if (r != 0 && r != EOWNERDEAD && r != ETIMEDOUT) {
			/* We may not hold the mutex: stop here. */
			unexpected("cond_timedwait", r);
			op_end(O_MUTEX, 0);
			return;
		}
		enter_inside(eod);
		if (r == ETIMEDOUT) {
			timedout = 1;
			break;
		}
	}
	c = atomic_load(&M->counter);
	t = now_ns();
	/*
	 * A lost wake-up: the wait timed out although increments, each
	 * followed by a signal or broadcast, were made after the counter
	 * passed the target, well before the deadline.  Every sleep of the
	 * wait is bounded by the tick and re-checks the sequence number, so
	 * any signal should have ended it.  Three of them, in case the
	 * signallers were killed before they signalled.  (How late a waiter
	 * comes back is not a wake-up matter: it also has to win the
	 * mutex back, which is not fair, and to get a CPU.)
	 */
	if (timedout && target != 0 && c > target &&
	    atomic_load(&R->op_pauses) == atomic_load(&R->pauses)) {
		for (k = target, late_sigs = 0; k < c && late_sigs < 3; k++)
			if (M->log[k].t + SLACK_NS + stall_since(
			    atomic_load(&R->op_stall)) < dlns)
				late_sigs++;
		if (late_sigs >= 3) {
			atomic_fetch_add(&B->hangs, 1);
			note("hang (lost wake-up): waiter #%u timed out with "
			    "counter %llu past its target %llu for %.1f ms",
			    me, (unsigned long long)c,
			    (unsigned long long)target,
			    (dlns - M->log[target].t) / 1e6);
			wake_detail(target - 1, c, t);
		}
	}
	if (target != 0 && c >= target) {
		ok = 1;
		/* When the counter got there: the increment's own time. */
		lat = t > M->log[target - 1].t ? t - M->log[target - 1].t : 0;
		lat_push(&B->cwl_n, B->cwl, lat);
		if (verbose > 1 && lat > 200 * MS) {
			note("slow wake-up (information): waiter #%u saw "
			    "counter %llu reach %llu %.1f ms later; op began "
			    "%.1f ms before; machine stalls meanwhile %.1f ms",
			    me, (unsigned long long)c,
			    (unsigned long long)target, lat / 1e6,
			    (t - atomic_load(&R->op_start)) / 1e6,
			    stall_since(atomic_load(&R->op_stall)) / 1e6);
			wake_detail(target - 1, c, t);
		}
	}
	if (timedout)
		atomic_fetch_add(&B->timeouts[O_MUTEX], 1);
	leave_inside();
	r = shmc_mutex_unlock(mx);
	if (r != 0)
		unexpected("mutex unlock", r);
	op_end(O_MUTEX, ok);
}

/* Create a scratch object with a create-* stop point armed. */
static void
create_op(void)
{
	struct shmc_mutex *m;
	char name[64];
	int r;

	if (arm_point() < 0)
		return;
	snprintf(name, sizeof(name), "s.%u", me);
	op_begin(K_CREATE);
	r = shmc_mutex_open(name, SHMC_CREAT | SHMC_EXCL, NULL, &m);
	unsetenv("SHMCONC_STOP");
	if (r == 0) {
		/*
		 * Not stopped (disarmed meanwhile): clean up, still marked
		 * as at a stop point, so that no random kill leaves it.
		 */
		(void)shmc_mutex_close(m);
		(void)shmc_mutex_unlink(name);
	} else
		unexpected("scratch create", r);
	disarm_point();
	op_end(O_MUTEX, 0);
}

/* --- workload 2: MVar hand-offs ---------------------------------- */

static struct shmc_mvar *mv;

struct cbctx {
	uint32_t obj;
	int64_t idx;            /* log entry made by the callback */
	const unsigned char *newv;
	size_t newlen;
};

static void
torn(const char *what, const unsigned char *buf, size_t n)
{
	uint32_t src = 0;
	uint64_t seq = 0;

	if (n >= 16) {
		memcpy(&src, buf + 4, 4);
		memcpy(&seq, buf + 8, 8);
	}
	atomic_fetch_add(&B->torn, 1);
	note("torn: %s #%u got %zu bytes (claims src %u seq %llu) by %s",
	    role_name[R->role], me, n, src, (unsigned long long)seq, what);
}

/* Callback of take_with and recv_with: check and log before commit. */
static int
cb_log(struct cbctx *cx, const void *v, size_t n,
    const struct shmc_msginfo *info, const char *what)
{
	uint32_t src;
	uint64_t seq;

	if (tok_check(v, n, cx->obj, &src, &seq) != 0) {
		torn(what, v, n);
		return 0;
	}
	cx->idx = log_add(me, cx->obj, src, seq, F_CB, info);
	return 0;
}

static int
tw_fn(void *arg, const void *value, size_t len)
{
	(void)cb_log(arg, value, len, NULL, "take_with");
	hstop("x-take_with-fn");
	return 0;
}

static int
mod_fn(void *arg, const void *old, size_t oldlen, void *new_value,
    size_t size, size_t *newlen)
{
	struct cbctx *cx = arg;

	(void)cb_log(cx, old, oldlen, NULL, "modify");
	hstop("x-modify-fn");
	if (cx->newlen > size)
		return EMSGSIZE;
	memcpy(new_value, cx->newv, cx->newlen);
	*newlen = cx->newlen;
	return 0;
}

/* Check and log a value copied to R->pend by a plain take or swap. */
static void
pend_log(uint32_t obj, size_t off, size_t n, uint32_t flags,
    const struct shmc_msginfo *info, const char *what)
{
	uint32_t src;
	uint64_t seq;

	if (tok_check(R->pend + off, n, obj, &src, &seq) != 0) {
		torn(what, R->pend + off, n);
		return;
	}
	(void)log_add(me, obj, src, seq, flags, info);
}

static void
pend_begin(size_t n)
{
	memset(R->pend, 0, n);
	atomic_store(&R->pend_valid, 1);
}

static void
prod_op(void)
{
	unsigned char tok[MAXMSG];
	struct timespec dl;
	struct cbctx cx;
	uint64_t seq, limit;
	size_t len, olen;
	int k, r, pt, empty;

	if (!log_room(O_MVAR)) {
		sleep_ns(tick_ms * MS);
		return;
	}
	pt = arm_point();
	if (pt >= 0) {
		if (strcmp(points[pt].name, "mvar-put-copied") == 0)
			k = 0;
		else if (strcmp(points[pt].name, "mvar-swap-copied") == 0)
			k = 2;
		else
			k = 3;
	} else {
		/*
		 * swap and modify wait for a value: with every producer in
		 * one of them, nobody would put.  Mostly put, and swap or
		 * modify only a box that looks full, with a short deadline.
		 */
		k = (int)rnd_below(20);
		k = k < 14 ? 0 : k < 16 ? 1 : k < 18 ? 2 : 3;
		if (k >= 2 && (shmc_mvar_is_empty(mv, &empty) != 0 || empty))
			k = 0;
	}
	seq = atomic_load(&R->done);
	len = tok_make(tok, O_MVAR, me, seq);
	atomic_store(&R->inflight, 1);
	limit = k >= 2 && pt < 0 ? 3 * tick_ms * MS : OP_NS;
	dl = ts_of(now_ns() + limit);
	switch (k) {
	case 0:
	case 1:
		op_begin(K_PUT);
		r = k == 0 ? shmc_mvar_timedput(mv, tok, len, &dl) :
		    shmc_mvar_try_put(mv, tok, len);
		break;
	case 2:
		op_begin_l(K_SWAP, limit);
		pend_begin(MAXMSG);
		r = shmc_mvar_timedswap(mv, tok, len, R->pend, MAXMSG, &olen,
		    &dl);
		if (r == 0 || r == EOWNERDEAD)
			pend_log(O_MVAR, 0, olen, F_DONE |
			    (r == EOWNERDEAD ? F_OWNERDEAD : 0), NULL, "swap");
		atomic_store(&R->pend_valid, 0);
		break;
	default:
		/*
		 * The commit of modify has no deadline: it may wait for a
		 * reader to copy the value out, and a reader may be paused
		 * for up to MAXPAUSE_TICKS or die (noticed at a tick).
		 */
		op_begin_l(K_MODIFY, limit + (MAXPAUSE_TICKS + 2) * tick_ms *
		    MS);
		cx.obj = O_MVAR;
		cx.idx = -1;
		cx.newv = tok;
		cx.newlen = len;
		r = shmc_mvar_timedmodify(mv, mod_fn, &cx, &dl);
		if (r == 0 || r == EOWNERDEAD)
			log_mark(cx.idx, F_DONE |
			    (r == EOWNERDEAD ? F_OWNERDEAD : 0));
		else
			log_mark(cx.idx, F_CANCEL);
		break;
	}
	if (pt >= 0)
		disarm_point();
	if (r == EOWNERDEAD)
		atomic_fetch_add(&B->eownerdead[O_MVAR], 1);
	if (r == 0 || r == EOWNERDEAD)
		atomic_store(&R->done, seq + 1);
	else if (r == ETIMEDOUT)
		atomic_fetch_add(&B->timeouts[O_MVAR], 1);
	else if (r != EAGAIN)
		unexpected(kind_name[atomic_load(&R->op_kind)], r);
	atomic_store(&R->inflight, 0);
	op_end(O_MVAR, r == 0 || r == EOWNERDEAD);
}

static void
cons_op(void)
{
	unsigned char buf[MAXMSG];
	struct timespec dl;
	struct cbctx cx;
	uint32_t src;
	uint64_t seq;
	size_t len;
	int k, r, pt;

	if (!log_room(O_MVAR)) {
		sleep_ns(tick_ms * MS);
		return;
	}
	pt = arm_point();
	if (pt >= 0)
		k = strcmp(points[pt].name, "mvar-take-copied") == 0 ? 1 : 0;
	else {
		k = (int)rnd_below(20);
		k = k < 8 ? 0 : k < 14 ? 1 : k < 16 ? 2 : 3;
	}
	dl = op_deadline();
	switch (k) {
	case 0:
		op_begin(K_TAKE_WITH);
		cx.obj = O_MVAR;
		cx.idx = -1;
		r = shmc_mvar_timedtake_with(mv, tw_fn, &cx, &dl);
		if (r == 0 || r == EOWNERDEAD)
			log_mark(cx.idx, F_DONE |
			    (r == EOWNERDEAD ? F_OWNERDEAD : 0));
		else
			log_mark(cx.idx, F_CANCEL);
		break;
	case 1:
	case 2:
		op_begin(K_TAKE);
		pend_begin(MAXMSG);
		r = k == 1 ? shmc_mvar_timedtake(mv, R->pend, MAXMSG, &len,
		    &dl) : shmc_mvar_try_take(mv, R->pend, MAXMSG, &len);
		if (r == 0 || r == EOWNERDEAD)
			pend_log(O_MVAR, 0, len, F_DONE |
			    (r == EOWNERDEAD ? F_OWNERDEAD : 0), NULL, "take");
		atomic_store(&R->pend_valid, 0);
		break;
	default:
		op_begin(K_READ);
		r = shmc_mvar_timedread(mv, buf, sizeof(buf), &len, &dl);
		if (r == 0) {
			if (tok_check(buf, len, O_MVAR, &src, &seq) != 0)
				torn("read", buf, len);
			atomic_fetch_add(&B->reads, 1);
		}
		break;
	}
	if (pt >= 0)
		disarm_point();
	if (r == EOWNERDEAD)
		atomic_fetch_add(&B->eownerdead[O_MVAR], 1);
	if (r == ETIMEDOUT)
		atomic_fetch_add(&B->timeouts[O_MVAR], 1);
	else if (r != 0 && r != EOWNERDEAD && r != EAGAIN)
		unexpected(kind_name[atomic_load(&R->op_kind)], r);
	op_end(O_MVAR, r == 0 || r == EOWNERDEAD);
}

/* --- workloads 3 and 4: channels -------------------------------- */

static struct shmc_chan *ch;
static uint32_t ch_obj;         /* O_CHANA or O_CHANB */

/* A sender got EPIPE: was the receiver alive through the whole send? */
static void
check_epipe(void)
{
	uint32_t rx = atomic_load(&B->rx_cur[ch_obj - O_CHANA]);
	uint64_t start = atomic_load(&R->op_start);
	struct wrec *w;

	atomic_fetch_add(&B->epipe, 1);
	if (rx == 0 || rx >= MAXW)
		return;
	w = &W[rx];
	if (atomic_load(&w->state) == W_READY && !atomic_load(&w->dying) &&
	    atomic_load(&w->ready_ns) < start) {
		atomic_fetch_add(&B->false_epipe, 1);
		note("false disconnect: %s #%u got EPIPE while receiver #%u "
		    "(pid %d) was alive", role_name[R->role], me, rx,
		    (int)atomic_load(&w->pid));
	}
}

static void
send_op(void)
{
	unsigned char toks[NMANY][MAXMSG];
	struct iovec iov[NMANY];
	struct timespec dl;
	uint64_t seq;
	size_t n = 1, sent = 0, i;
	int k, r, pt;

	pt = arm_point();
	if (pt >= 0)
		k = 0;
	else {
		k = (int)rnd_below(20);
		k = k < 12 ? 0 : k < 15 ? 1 : 2;
	}
	if (k == 2)
		n = 1 + rnd_below(ch_obj == O_CHANB ? 2 : NMANY);
	seq = atomic_load(&R->done);
	for (i = 0; i < n; i++) {
		iov[i].iov_base = toks[i];
		iov[i].iov_len = tok_make(toks[i], ch_obj, me, seq + i);
	}
	atomic_store(&R->inflight, (uint32_t)n);
	dl = op_deadline();
	if (k == 2) {
		op_begin(K_SEND_MANY);
		r = shmc_chan_send_many(ch, iov, n, &sent, &dl);
	} else {
		op_begin(K_SEND);
		r = k == 0 ? shmc_chan_timedsend(ch, toks[0], iov[0].iov_len,
		    &dl) : shmc_chan_try_send(ch, toks[0], iov[0].iov_len);
		sent = r == 0;
	}
	if (pt >= 0)
		disarm_point();
	atomic_store(&R->done, seq + sent);
	atomic_store(&R->inflight, 0);
	if (r == EPIPE)
		check_epipe();
	else if (r == ETIMEDOUT)
		atomic_fetch_add(&B->timeouts[ch_obj], 1);
	else if (r != 0 && r != EAGAIN)
		unexpected(kind_name[atomic_load(&R->op_kind)], r);
	op_end(ch_obj, sent > 0);
	if (r == EPIPE)
		sleep_ns(tick_ms * MS);
}

static int
rw_fn(void *arg, const void *msg, size_t len, const struct shmc_msginfo *info)
{
	(void)cb_log(arg, msg, len, info, "recv_with");
	hstop("x-recv_with-fn");
	return 0;
}

static void
recv_op(void)
{
	size_t lens[NMANY], len, got = 0, off, i, n;
	struct timespec dl;
	struct cbctx cx;
	int k, r, pt;

	if (!log_room(ch_obj)) {
		sleep_ns(tick_ms * MS);
		return;
	}
	pt = arm_point();
	if (pt >= 0)
		k = HARNESS_POINT(pt) ? 0 : (int)rnd_below(2);
	else {
		k = (int)rnd_below(20);
		k = k < 10 ? 0 : k < 15 ? 1 : k < 17 ? 2 : 3;
	}
	dl = op_deadline();
	switch (k) {
	case 0:
		op_begin(K_RECV_WITH);
		cx.obj = ch_obj;
		cx.idx = -1;
		r = shmc_chan_recv_with(ch, rw_fn, &cx, &dl);
		if (r == 0)
			log_mark(cx.idx, F_DONE);
		else
			log_mark(cx.idx, F_CANCEL);
		got = r == 0;
		break;
	case 1:
	case 2:
		op_begin(K_RECV);
		pend_begin(MAXMSG);
		r = k == 1 ? shmc_chan_timedrecv(ch, R->pend, MAXMSG, &len,
		    &dl) : shmc_chan_try_recv(ch, R->pend, MAXMSG, &len);
		if (r == 0)
			pend_log(ch_obj, 0, len, F_DONE, NULL, "recv");
		atomic_store(&R->pend_valid, 0);
		got = r == 0;
		break;
	default:
		op_begin(K_RECV_MANY);
		pend_begin(PENDSZ);
		n = 1 + rnd_below(NMANY);
		r = shmc_chan_recv_many(ch, R->pend, PENDSZ, lens, n, &got,
		    &dl);
		for (i = 0, off = 0; r == 0 && i < got; off += lens[i++])
			pend_log(ch_obj, off, lens[i], F_DONE, NULL,
			    "recv_many");
		atomic_store(&R->pend_valid, 0);
		break;
	}
	if (pt >= 0)
		disarm_point();
	if (r == ETIMEDOUT)
		atomic_fetch_add(&B->timeouts[ch_obj], 1);
	else if (r != 0 && r != EAGAIN)
		unexpected(kind_name[atomic_load(&R->op_kind)], r);
	op_end(ch_obj, got > 0);
}

/* --- worker main ------------------------------------------------- */

static int
open_objects(void)
{
	uint64_t until = now_ns() + 2 * SEC;
	const char *cname;
	int r;

	switch (R->role) {
	case R_INC:
	case R_WAIT:
		r = shmc_mutex_open(N_MUTEX, 0, NULL, &mx);
		if (r == 0)
			r = shmc_cond_open(N_COND, 0, NULL, &cv);
		return r;
	case R_PROD:
	case R_CONS:
		return shmc_mvar_open(N_MVAR, 0, NULL, &mv);
	default:
		break;
	}
	ch_obj = role_obj[R->role];
	cname = ch_obj == O_CHANA ? N_CHANA : N_CHANB;
	if (R->role == R_SENDA || R->role == R_SENDB)
		return shmc_chan_open(cname, SHMC_SENDER, NULL, &ch);
	for (;;) {
		r = shmc_chan_open(cname, SHMC_RECEIVER, NULL, &ch);
		if (r != EBUSY || now_ns() > until)
			break;
		sleep_ns(MS);
	}
	if (r == EBUSY) {
		atomic_fetch_add(&B->takeover_fail, 1);
		note("takeover: receiver #%u still got EBUSY after 2 s; the "
		    "previous receiver is dead", me);
	}
	if (r == 0) {
		atomic_store(&R->ready_ns, now_ns());
		atomic_store(&B->rx_cur[ch_obj - O_CHANA], me);
	}
	return r;
}

static void
close_objects(void)
{
	if (mx != NULL)
		(void)shmc_mutex_close(mx);
	if (cv != NULL)
		(void)shmc_cond_close(cv);
	if (mv != NULL)
		(void)shmc_mvar_close(mv);
	if (ch != NULL)
		(void)shmc_chan_close(ch);
}

static void
worker(uint32_t inc, uint64_t seed, pid_t parent)
{
	static const char *const comm[NROLE] = {
		"t-inc", "t-wait", "t-prod", "t-cons", "t-sendA", "t-recvA",
		"t-sendB", "t-recvB"
	};
	uint64_t n = 0, leave;
	int r;

	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(9);
	signal(SIGALRM, SIG_DFL);
	me = inc;
	R = &W[inc];
	rng_state = mix64(seed ^ ((uint64_t)inc << 20));
	(void)prctl(PR_SET_NAME, comm[R->role], 0, 0, 0);
	op_begin(K_OPEN);
	r = open_objects();
	op_end(role_obj[R->role], 0);
	if (r != 0) {
		unexpected("open", r);
		_exit(3);
	}
	atomic_store(&R->state, W_READY);
	leave = now_ns() + (1 + rnd_below(LIFE_MAX_S)) * SEC;
	while (!atomic_load(&B->quit)) {
		if (now_ns() > leave && atomic_load(&R->arm) == 0)
			break;
		switch (R->role) {
		case R_INC:
		case R_WAIT:
			if (armed_for("create"))
				create_op();
			else if (R->role == R_INC) {
				inc_op();
				sleep_ns(rnd_below(200) * 1000);
			} else
				wait_op();
			break;
		case R_PROD:
			prod_op();
			break;
		case R_CONS:
			cons_op();
			break;
		case R_SENDA:
		case R_SENDB:
			send_op();
			break;
		default:
			recv_op();
			break;
		}
		if (++n % 64 == 0 && rnd_below(4) == 0)
			sleep_ns(rnd_below(200) * 1000);
	}
	atomic_store(&R->state, W_LEAVING);
	close_objects();
	_exit(0);
}

/* ------------------------------------------------------------------ */
/* Supervisor                                                          */

struct sup {
	uint32_t inc;           /* incarnation in this slot, 0: none */
	int role;
	int paused;
	uint64_t resume_ns;
};

static struct sup slots[NSLOT];
static int nslots;
static uint64_t seed;
static pid_t sup_pid;
static int ending;

static uint64_t kills_random, kills_point[NPOINT], kills_hang, kills_end;
static uint64_t kills_role[NROLE], deaths_role[NROLE];
static uint64_t pauses_total, arm_timeouts, crashes, clean_exits;
static uint64_t sup_gap_max;    /* the supervisor's longest loop, ns */
static uint64_t spawn_fail, half_objects;
static uint32_t armed[NGROUP];          /* armed incarnation per group */
static uint64_t armed_since[NGROUP], next_arm[NGROUP];
static int next_point[NGROUP];

static volatile sig_atomic_t alarmed;

static void
on_alarm(int sig)
{
	static const char m[] = "torture: global timeout, killing workers\n";
	int i;

	(void)sig;
	alarmed = 1;
	for (i = 0; i < NSLOT; i++)
		if (slots[i].inc != 0 && W[slots[i].inc].pid > 0)
			kill(W[slots[i].inc].pid, SIGKILL);
	(void)!write(2, m, sizeof(m) - 1);
	_exit(2);
}

static int
spawn(int s)
{
	uint32_t inc = atomic_fetch_add(&B->ninc, 1);
	struct wrec *w;
	pid_t pid;

	if (inc >= MAXW) {
		spawn_fail++;
		return -1;
	}
	w = &W[inc];
	w->role = slots[s].role;
	w->slot = s;
	atomic_store(&w->state, W_STARTING);
	pid = fork();
	if (pid < 0) {
		spawn_fail++;
		atomic_store(&w->state, W_DEAD);
		return -1;
	}
	if (pid == 0)
		worker(inc, seed, sup_pid);
	atomic_store(&w->pid, pid);
	slots[s].inc = inc;
	slots[s].paused = 0;
	return 0;
}

static int
slot_of_pid(pid_t pid)
{
	int s;

	for (s = 0; s < nslots; s++)
		if (slots[s].inc != 0 && W[slots[s].inc].pid == pid)
			return s;
	return -1;
}

static int
group_of(uint32_t inc)
{
	int g;

	for (g = 0; g < NGROUP; g++)
		if (armed[g] == inc)
			return g;
	return -1;
}

static void
kill_inc(uint32_t inc, const char *why)
{
	struct wrec *w = &W[inc];
	uint64_t zero = 0;

	atomic_store(&w->kill_t, now_ns());
	atomic_store(&w->dying, 1);
	/* The earliest kill not yet followed by a success on the object. */
	atomic_store(&B->kill_stall[role_obj[w->role]],
	    atomic_load(&B->stall_ns));
	if (atomic_compare_exchange_strong(&B->kill_ns[role_obj[w->role]],
	    &zero, now_ns()))
		snprintf(B->kill_what[role_obj[w->role]],
		    sizeof(B->kill_what[0]), "%s %s", role_name[w->role], why);
	kill(w->pid, SIGKILL);
	kills_role[w->role]++;
}

/* The scratch object a create-* kill must not have published. */
static void
check_scratch(uint32_t inc)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/shmconc.s.%u", shm_dir, inc);
	if (lstat(path, &st) == 0) {
		half_objects++;
		note("half-initialised object: %s exists after its creator "
		    "was killed at a create stop point", path);
		unlink(path);
	}
}

/* Reap and handle what happened to children; restart the dead. */
static void
reap(void)
{
	uint32_t inc, sa;
	struct wrec *w;
	int st, s, g;
	pid_t pid;

	while ((pid = waitpid(-1, &st, WNOHANG | WUNTRACED)) > 0) {
		s = slot_of_pid(pid);
		if (s < 0)
			continue;
		inc = slots[s].inc;
		w = &W[inc];
		if (WIFSTOPPED(st)) {
			if (slots[s].paused || atomic_load(&w->dying))
				continue;
			sa = atomic_load(&w->stop_at);
			if (sa == 0 || sa > (uint32_t)NPOINT) {
				note("%s #%u stopped by signal %d outside a "
				    "stop point; continued", role_name[w->role],
				    inc, WSTOPSIG(st));
				kill(pid, SIGCONT);
				continue;
			}
			kills_point[sa - 1]++;
			atomic_store(&w->kill_point, sa);
			if (strstr(points[sa - 1].name, "-fn") != NULL)
				atomic_store(&w->killed_in_fn, 1);
			if (verbose > 1)
				fprintf(stderr, "torture: kill %s #%u at %s\n",
				    role_name[w->role], inc,
				    points[sa - 1].name);
			kill_inc(inc, points[sa - 1].name);
			continue;
		}
		if (WIFCONTINUED(st))
			continue;
		/* Dead. */
		deaths_role[w->role]++;
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL &&
		    atomic_load(&w->dying))
			atomic_store(&w->killed, 1);
		else if (WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
		    atomic_load(&w->state) == W_LEAVING)
			clean_exits++;
		else {
			crashes++;
			if (WIFSIGNALED(st))
				atomic_store(&w->killed, 1);
			note("crash: %s #%u pid %d %s %d",
			    role_name[w->role], inc, (int)pid,
			    WIFSIGNALED(st) ? "died of signal" :
			    "exited with", WIFSIGNALED(st) ? WTERMSIG(st) :
			    WEXITSTATUS(st));
		}
		atomic_store(&w->state, W_DEAD);
		if (w->role == R_INC || w->role == R_WAIT)
			check_scratch(inc);
		g = group_of(inc);
		if (g >= 0) {
			armed[g] = 0;
			next_arm[g] = now_ns() + (10 + rnd_below(50)) * pace *
			    MS;
		}
		slots[s].inc = 0;
		slots[s].paused = 0;
		if (!ending)
			(void)spawn(s);
	}
}

/*
 * A live worker of one of roles, not paused, dying or armed (need_ready:
 * done opening its objects), at random; 0 if none.
 */
static uint32_t
pick(unsigned int roles, int need_ready)
{
	uint32_t cand[NSLOT], inc;
	int s, n = 0;

	for (s = 0; s < nslots; s++) {
		inc = slots[s].inc;
		if (inc == 0 || !(roles & RB(slots[s].role)) ||
		    slots[s].paused || atomic_load(&W[inc].dying) ||
		    atomic_load(&W[inc].arm) != 0 ||
		    atomic_load(&W[inc].stop_at) != 0 || group_of(inc) >= 0)
			continue;
		if (need_ready && atomic_load(&W[inc].state) != W_READY)
			continue;
		cand[n++] = inc;
	}
	return n == 0 ? 0 : cand[rnd_below((uint64_t)n)];
}

static void
arm_groups(uint64_t t)
{
	uint32_t inc;
	int g, i, p;

	for (g = 0; g < NGROUP; g++) {
		if (armed[g] != 0) {
			if (t - armed_since[g] > ARM_TIMEOUT_NS) {
				atomic_store(&W[armed[g]].arm, 0);
				if (verbose > 1)
					fprintf(stderr, "torture: %s: #%u did "
					    "not reach its stop point\n",
					    group_name[g], armed[g]);
				armed[g] = 0;
				arm_timeouts++;
				next_arm[g] = t;
			}
			continue;
		}
		if (t < next_arm[g])
			continue;
		/* The next point of this group, round robin. */
		for (i = 0; i < NPOINT; i++) {
			p = (next_point[g] + i) % NPOINT;
			if ((points[p].groups & (1U << g)) &&
			    (only_point < 0 || only_point == p))
				break;
		}
		if (i == NPOINT)
			continue;
		next_point[g] = (p + 1) % NPOINT;
		inc = pick(points[p].roles & group_roles[g], 1);
		if (inc == 0)
			continue;
		armed[g] = inc;
		armed_since[g] = t;
		atomic_store(&W[inc].arm, (uint32_t)p + 1);
	}
}

static void
hang_scan(uint64_t t)
{
	uint64_t start;
	struct wrec *w;
	int s;

	for (s = 0; s < nslots; s++) {
		if (slots[s].inc == 0 || slots[s].paused)
			continue;
		w = &W[slots[s].inc];
		start = atomic_load(&w->op_start);
		if (start == 0 || atomic_load(&w->dying) || t < start ||
		    atomic_load(&w->op_pauses) != atomic_load(&w->pauses) ||
		    !hang_count(w, start, t - start, "supervisor"))
			continue;
		kills_hang++;
		kill_inc(slots[s].inc, "hung");
	}
}

/*
 * A stall: no successful operation on an object for longer than an
 * operation's deadline plus the slack after a kill, although its workers
 * keep trying.  Each call may return in time (ETIMEDOUT) while the object
 * never recovers, as when a dead holder is never noticed.
 */
static void
stall_scan(uint64_t t)
{
	static uint64_t seen[NOBJ];
	uint64_t k;
	int o;

	for (o = 0; o < NOBJ; o++) {
		k = atomic_load(&B->kill_ns[o]);
		if (k == 0 || k == seen[o] || t < k ||
		    t - k <= OP_NS + slack_ns() +
		    stall_since(atomic_load(&B->kill_stall[o])))
			continue;
		seen[o] = k;
		atomic_fetch_add(&B->hangs, 1);
		note("stall: no successful operation on the %s for %.1f s "
		    "after a kill%s", obj_name[o], (t - k) / 1e9,
		    atomic_load(&B->log_n) + LOGMARGIN >= LOGCAP ?
		    " (the delivery log is full)" : "");
	}
}

static void
pause_one(uint64_t t)
{
	uint32_t inc = pick(~0U, 1);
	int s;

	if (inc == 0)
		return;
	s = W[inc].slot;
	atomic_fetch_add(&W[inc].pauses, 1);
	atomic_store(&W[inc].pause_t, t);
	if (kill(W[inc].pid, SIGSTOP) < 0)
		return;
	slots[s].paused = 1;
	slots[s].resume_ns = t + (1 + rnd_below(MAXPAUSE_TICKS)) * tick_ms *
	    MS;
	pauses_total++;
}

static void
resume_due(uint64_t t, int all)
{
	int s;

	for (s = 0; s < nslots; s++)
		if (slots[s].inc != 0 && slots[s].paused &&
		    (all || t >= slots[s].resume_ns)) {
			kill(W[slots[s].inc].pid, SIGCONT);
			slots[s].paused = 0;
		}
}

static void
random_kill(void)
{
	uint32_t inc;
	int s, n = 0;
	uint32_t cand[NSLOT];

	/* Any live worker, paused or not, but not one armed at a point. */
	for (s = 0; s < nslots; s++) {
		inc = slots[s].inc;
		if (inc == 0 || atomic_load(&W[inc].dying) ||
		    group_of(inc) >= 0 || atomic_load(&W[inc].stop_at) != 0)
			continue;
		cand[n++] = inc;
	}
	if (n == 0)
		return;
	inc = cand[rnd_below((uint64_t)n)];
	kills_random++;
	kill_inc(inc, slots[W[inc].slot].paused ? "random, paused" :
	    "random");
}

/* One supervisor loop took gap ns (it sleeps 1 ms): account stalls. */
static void
stall_clock(uint64_t gap)
{
	if (gap > sup_gap_max)
		sup_gap_max = gap;
	if (gap > STALL_FREE_NS)
		atomic_fetch_add(&B->stall_ns, gap - STALL_FREE_NS);
}

/*
 * -F: on the first violation or error, stop every worker and ourselves
 * so that the objects can be inspected (shmls, a debugger); SIGCONT to
 * the supervisor goes on.
 */
static void
freeze_all(void)
{
	int s;

	for (s = 0; s < nslots; s++)
		if (slots[s].inc != 0)
			kill(W[slots[s].inc].pid, SIGSTOP);
	alarm(0);
	fprintf(stderr, "torture: frozen after: %s\n"
	    "torture: objects in %s; workers stopped; kill -CONT %d to go "
	    "on\n", B->msg[0], shm_dir, (int)getpid());
	for (s = 0; s < nslots; s++)
		if (slots[s].inc != 0)
			fprintf(stderr, "  %s #%u pid %d op %s\n",
			    role_name[slots[s].role], slots[s].inc,
			    (int)W[slots[s].inc].pid,
			    kind_name[atomic_load(&W[slots[s].inc].op_kind)]);
	raise(SIGSTOP);
	freeze = 0;
	for (s = 0; s < nslots; s++)
		if (slots[s].inc != 0) {
			kill(W[slots[s].inc].pid, SIGCONT);
			slots[s].paused = 0;
		}
}

static int
live_workers(void)
{
	int s, n = 0;

	for (s = 0; s < nslots; s++)
		n += slots[s].inc != 0;
	return n;
}

/* ------------------------------------------------------------------ */
/* Drains and history checkers                                         */

static uint64_t drained[NOBJ], skipped[2];

static void
drain(void)
{
	unsigned char buf[MAXMSG];
	struct shmc_chan_stat cs;
	struct shmc_mvar *v;
	struct shmc_chan *c;
	struct timespec dl;
	uint64_t seq, until;
	uint32_t src;
	size_t len;
	int r, i;

	r = shmc_mvar_open(N_MVAR, 0, NULL, &v);
	if (r != 0) {
		note("drain: cannot open the MVar: %s", shmc_strerror(r));
		atomic_fetch_add(&B->errors, 1);
	} else {
		for (;;) {
			dl = ts_of(now_ns() + 10 * tick_ms * MS);
			r = shmc_mvar_timedtake(v, buf, sizeof(buf), &len, &dl);
			if (r != 0 && r != EOWNERDEAD)
				break;
			if (tok_check(buf, len, O_MVAR, &src, &seq) != 0) {
				atomic_fetch_add(&B->torn, 1);
				note("torn: drain of the MVar got %zu bytes",
				    len);
				continue;
			}
			(void)log_add(0, O_MVAR, src, seq, F_DONE | F_DRAIN |
			    (r == EOWNERDEAD ? F_OWNERDEAD : 0), NULL);
			drained[O_MVAR]++;
		}
		if (r != ETIMEDOUT) {
			note("drain: MVar take returned %s", shmc_strerror(r));
			atomic_fetch_add(&B->errors, 1);
		}
		(void)shmc_mvar_close(v);
	}
	for (i = 0; i < 2; i++) {
		until = now_ns() + 2 * SEC;
		while ((r = shmc_chan_open(i == 0 ? N_CHANA : N_CHANB,
		    SHMC_RECEIVER, NULL, &c)) == EBUSY && now_ns() < until)
			sleep_ns(MS);
		if (r != 0) {
			note("drain: cannot receive from %s: %s",
			    obj_name[O_CHANA + i], shmc_strerror(r));
			atomic_fetch_add(&B->errors, 1);
			continue;
		}
		for (;;) {
			dl = ts_of(now_ns() + 10 * tick_ms * MS);
			r = shmc_chan_timedrecv(c, buf, sizeof(buf), &len, &dl);
			if (r != 0)
				break;
			if (tok_check(buf, len, O_CHANA + (uint32_t)i, &src,
			    &seq) != 0) {
				atomic_fetch_add(&B->torn, 1);
				note("torn: drain of %s got %zu bytes",
				    obj_name[O_CHANA + i], len);
				continue;
			}
			(void)log_add(0, O_CHANA + (uint32_t)i, src, seq,
			    F_DONE | F_DRAIN, NULL);
			drained[O_CHANA + i]++;
		}
		if (r != ETIMEDOUT) {
			note("drain: %s recv returned %s",
			    obj_name[O_CHANA + i], shmc_strerror(r));
			atomic_fetch_add(&B->errors, 1);
		}
		if (shmc_chan_stat(c, &cs) == 0)
			skipped[i] = cs.skipped;
		(void)shmc_chan_close(c);
	}
}

/* Figures of the checkers. */
static uint64_t lost, dup_doc, dup_beyond, phantom, order_viol, untold;
static uint64_t mutex_torn, maybe_seen, unconfirmed, dup_bound;

/*
 * Per token: c confirmed deliveries (the call returned), u unconfirmed
 * ones (logged in a callback by a worker killed before its call returned:
 * maybe committed), x uncommitted ones (killed while stopped inside the
 * callback, so certainly before the commit: the value must come again),
 * p values copied out by a killed worker, commit unknown.
 */
struct tstate {
	uint8_t c, u, x, p, need_eod;
};

/* Per producing incarnation: the state of each of its tokens. */
static struct tstate **tstates;
static uint64_t *tcount;
static int64_t *last_seq;       /* channels: last delivered seq per src */

static struct tstate *
tlookup(uint32_t obj, uint32_t src, uint64_t seq)
{
	if (src == 0 || src >= atomic_load(&B->ninc) || src >= MAXW ||
	    tstates[src] == NULL || role_obj[W[src].role] != (int)obj ||
	    seq >= tcount[src])
		return NULL;
	return &tstates[src][seq];
}

static int
producer(int role)
{
	return role == R_PROD || role == R_SENDA || role == R_SENDB;
}

static void
check_mutex(void)
{
	uint32_t n = atomic_load(&B->ninc), i;
	uint64_t c = atomic_load(&M->counter), k, *next, done, infl;
	struct ment *e;

	next = calloc(n + 1, sizeof(*next));
	if (next == NULL)
		abort();
	for (k = 0; k < c && k < MLOGCAP; k++) {
		e = &M->log[k];
		if (!ment_valid(k)) {
			mutex_torn++;
			if (mutex_torn <= 5)
				note("mutex: log entry %llu under the counter "
				    "%llu is torn", (unsigned long long)k,
				    (unsigned long long)c);
			continue;
		}
		if (e->who == 0 || e->who >= n || W[e->who].role != R_INC) {
			phantom++;
			note("mutex: entry %llu names #%u, no incrementer",
			    (unsigned long long)k, e->who);
			continue;
		}
		if (e->seq == next[e->who])
			next[e->who]++;
		else if (e->seq < next[e->who]) {
			dup_beyond++;
			note("mutex: increment %u/%llu counted twice (entry "
			    "%llu)", e->who, (unsigned long long)e->seq,
			    (unsigned long long)k);
		} else {
			lost += e->seq - next[e->who];
			note("mutex: increments %u/%llu..%llu missing before "
			    "entry %llu", e->who,
			    (unsigned long long)next[e->who],
			    (unsigned long long)e->seq - 1,
			    (unsigned long long)k);
			next[e->who] = e->seq + 1;
		}
	}
	for (i = 1; i < n; i++) {
		if (W[i].role != R_INC)
			continue;
		done = atomic_load(&W[i].done);
		infl = atomic_load(&W[i].inflight);
		if (next[i] < done) {
			lost += done - next[i];
			note("mutex: #%u acknowledged %llu increments, the log "
			    "has %llu", i, (unsigned long long)done,
			    (unsigned long long)next[i]);
		} else if (next[i] > done + infl) {
			phantom += next[i] - done - infl;
			note("mutex: #%u acknowledged %llu increments (+%llu in "
			    "flight), the log has %llu", i,
			    (unsigned long long)done,
			    (unsigned long long)infl,
			    (unsigned long long)next[i]);
		}
	}
	free(next);
}

static void
check_tokens(void)
{
	uint32_t n = atomic_load(&B->ninc), i, fl, src, *uper;
	uint64_t ln = atomic_load(&B->log_n), k, s, done, tot, ex, bound;
	uint64_t last_pos[NOBJ];
	int have_pos[NOBJ] = { 0 };
	struct tstate *ts;
	struct lent *e;
	size_t off, len;
	uint64_t seq;
	int confirmed;

	if (ln > LOGCAP)
		ln = LOGCAP;
	tstates = calloc(n + 1, sizeof(*tstates));
	tcount = calloc(n + 1, sizeof(*tcount));
	last_seq = calloc(n + 1, sizeof(*last_seq));
	uper = calloc(n + 1, sizeof(*uper));
	if (tstates == NULL || tcount == NULL || last_seq == NULL ||
	    uper == NULL)
		abort();
	for (i = 1; i < n; i++) {
		last_seq[i] = -1;
		if (!producer(W[i].role))
			continue;
		tcount[i] = atomic_load(&W[i].done) +
		    atomic_load(&W[i].inflight);
		tstates[i] = calloc(tcount[i] + 1, sizeof(struct tstate));
		if (tstates[i] == NULL)
			abort();
	}
	/* Deliveries, in log order. */
	for (k = 0; k < ln; k++) {
		e = &L[k];
		fl = atomic_load(&e->flags);
		if (!(fl & F_VALID) || (fl & F_CANCEL))
			continue;
		confirmed = (fl & F_DONE) || !(fl & F_CB) ||
		    e->who == 0 || !atomic_load(&W[e->who].killed);
		ts = tlookup(e->obj, e->src, e->seq);
		if (ts == NULL) {
			phantom++;
			note("%s: delivery %llu of %u/%llu, never produced "
			    "(by #%u)", obj_name[e->obj],
			    (unsigned long long)k, e->src,
			    (unsigned long long)e->seq, e->who);
			continue;
		}
		if (confirmed) {
			if (ts->need_eod && !(fl & F_OWNERDEAD)) {
				untold++;
				note("%s: %u/%llu came back from a dead "
				    "holder to #%u without EOWNERDEAD",
				    obj_name[e->obj], e->src,
				    (unsigned long long)e->seq, e->who);
			}
			ts->need_eod = 0;
			if (ts->c < 255)
				ts->c++;
		} else {
			unconfirmed++;
			if (atomic_load(&W[e->who].killed_in_fn) && ts->x < 255)
				ts->x++;
			else if (ts->u < 255)
				ts->u++;
			if (++uper[e->who] > 1) {
				dup_beyond++;
				note("%s: dead #%u left %u unconfirmed "
				    "deliveries", obj_name[e->obj], e->who,
				    uper[e->who]);
			}
			if (e->obj == O_MVAR)
				ts->need_eod = 1;
		}
		if (e->obj == O_MVAR)
			continue;
		/* Channels: per-sender order, and positions. */
		if ((int64_t)e->seq < last_seq[e->src]) {
			order_viol++;
			note("%s: %u/%llu delivered (entry %llu) after "
			    "%u/%lld", obj_name[e->obj], e->src,
			    (unsigned long long)e->seq,
			    (unsigned long long)k, e->src,
			    (long long)last_seq[e->src]);
		} else
			last_seq[e->src] = (int64_t)e->seq;
		if (fl & F_INFO) {
			if (have_pos[e->obj] && e->pos < last_pos[e->obj]) {
				order_viol++;
				note("%s: position %llu delivered after %llu",
				    obj_name[e->obj],
				    (unsigned long long)e->pos,
				    (unsigned long long)last_pos[e->obj]);
			}
			have_pos[e->obj] = 1;
			last_pos[e->obj] = e->pos;
		}
	}
	/* Values copied out by dead workers whose commit is unknown. */
	for (i = 1; i < n; i++) {
		if (!atomic_load(&W[i].killed) ||
		    !atomic_load(&W[i].pend_valid))
			continue;
		for (off = 0; off + HDRLEN <= PENDSZ; off += len) {
			len = tok_len(W[i].pend + off);
			if (len == 0 || off + len > PENDSZ ||
			    tok_check(W[i].pend + off, len,
			    (uint32_t)role_obj[W[i].role], &src, &seq) != 0)
				break;
			ts = tlookup((uint32_t)role_obj[W[i].role], src, seq);
			if (ts != NULL && ts->p < 255)
				ts->p++;
			maybe_seen++;
		}
	}
	/* Every token: delivered once, or documented duplicates. */
	for (i = 1; i < n; i++) {
		if (tstates[i] == NULL)
			continue;
		done = atomic_load(&W[i].done);
		for (s = 0; s < tcount[i]; s++) {
			ts = &tstates[i][s];
			tot = (uint64_t)ts->c + ts->u + ts->p;
			if (tot == 0 && ts->x > 0) {
				lost++;
				note("%s: %u/%llu was not committed by the "
				    "worker killed in its callback, and never "
				    "delivered again", obj_name[role_obj[
				    W[i].role]], i, (unsigned long long)s);
			} else if (s < done && tot == 0) {
				lost++;
				if (lost <= 10)
					note("%s: %u/%llu acknowledged, never "
					    "delivered", obj_name[role_obj[
					    W[i].role]], i,
					    (unsigned long long)s);
			}
			if (ts->c > 1) {
				dup_beyond += ts->c - 1U;
				note("%s: %u/%llu delivered %u times",
				    obj_name[role_obj[W[i].role]], i,
				    (unsigned long long)s, ts->c);
			}
			ex = (uint64_t)ts->c + ts->u + ts->x;
			if (ex > 1)
				dup_doc += ex - 1 - (ts->c > 1 ?
				    ts->c - 1U : 0);
		}
	}
	/* The bound: at most one per death of a consumer or receiver. */
	bound = 0;
	for (i = 1; i < n; i++)
		if (atomic_load(&W[i].killed) && (W[i].role == R_CONS ||
		    W[i].role == R_PROD || W[i].role == R_RECVA ||
		    W[i].role == R_RECVB))
			bound++;
	dup_bound = bound;
	if (dup_doc > bound) {
		dup_beyond += dup_doc - bound;
		note("duplicates %llu exceed the bound %llu",
		    (unsigned long long)dup_doc, (unsigned long long)bound);
	}
	free(uper);
}

static int
leftover_files(void)
{
	static const char *const ours[] = {
		"shmconc." N_MUTEX, "shmconc." N_COND, "shmconc." N_MVAR,
		"shmconc." N_CHANA, "shmconc." N_CHANB
	};
	struct dirent *d;
	size_t i;
	DIR *dir;
	int n = 0, mine;

	dir = opendir(shm_dir);
	if (dir == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		for (i = 0, mine = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
			mine |= strcmp(d->d_name, ours[i]) == 0;
		if (!mine) {
			n++;
			note("leftover file: %s/%s", shm_dir, d->d_name);
		}
	}
	closedir(dir);
	return n;
}

static void
remove_dir(void)
{
	struct dirent *d;
	char path[512];
	DIR *dir;

	(void)shmc_mutex_unlink(N_MUTEX);
	(void)shmc_cond_unlink(N_COND);
	(void)shmc_mvar_unlink(N_MVAR);
	(void)shmc_chan_unlink(N_CHANA);
	(void)shmc_chan_unlink(N_CHANB);
	dir = opendir(shm_dir);
	if (dir != NULL) {
		while ((d = readdir(dir)) != NULL) {
			if (strcmp(d->d_name, ".") == 0 ||
			    strcmp(d->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", shm_dir,
			    d->d_name);
			unlink(path);
		}
		closedir(dir);
	}
	rmdir(shm_dir);
}

/* Final state of the mutex: take it once more, repairing if need be. */
static void
final_mutex(void)
{
	struct timespec dl = ts_of(now_ns() + 2 * SEC);
	int r;

	me = 0;
	if (shmc_mutex_open(N_MUTEX, 0, NULL, &mx) != 0)
		return;
	r = shmc_mutex_timedlock(mx, &dl);
	if (r == EOWNERDEAD) {
		uint64_t c = atomic_load(&M->counter);

		if (c < MLOGCAP && ment_valid(c)) {
			atomic_store(&M->counter, c + 1);
			atomic_fetch_add(&M->rolled, 1);
		}
		(void)shmc_mutex_consistent(mx);
	}
	if (r == 0 || r == EOWNERDEAD)
		(void)shmc_mutex_unlock(mx);
	else {
		note("final mutex lock: %s", shmc_strerror(r));
		atomic_fetch_add(&B->errors, 1);
	}
	(void)shmc_mutex_close(mx);
	mx = NULL;
}

/* Is point p armed in this run (its group's workload runs)? */
static int
point_enabled(int p)
{
	static const int gobj[NGROUP] = { O_MVAR, O_CHANA, O_CHANB, O_MUTEX };

	/* (the same order as the groups) */
	int g;

	if (only_point >= 0 && only_point != p)
		return 0;
	for (g = 0; g < NGROUP; g++)
		if ((points[p].groups & (1U << g)) &&
		    (workloads & (1U << gobj[g])))
			return 1;
	return 0;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void
percentiles(uint32_t *arr, uint64_t n, double *p50, double *p99,
    double *max)
{
	if (n > NLAT)
		n = NLAT;
	*p50 = *p99 = *max = 0;
	if (n == 0)
		return;
	qsort(arr, n, sizeof(*arr), cmp_u32);
	*p50 = arr[n / 2] / 1000.0;
	*p99 = arr[n * 99 / 100] / 1000.0;
	*max = arr[n - 1] / 1000.0;
}

static void *
map_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "torture: mmap %zu bytes: %s\n", size,
		    strerror(errno));
		exit(2);
	}
	return p;
}

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: torture [-v] [-s SECONDS] [-S SEED] [-t TICK_MS]\n"
	    "               [-W mutex,mvar,chanA,chanB] [-K] [-P] "
	    "[-p POINT] [-F]\n");
	exit(status);
}

static int
create_objects(unsigned int capacity)
{
	struct shmc_attr a;
	struct shmc_mutex *m;
	struct shmc_cond *c;
	struct shmc_mvar *v;
	struct shmc_chan *q;
	int r;

	memset(&a, 0, sizeof(a));
	a.peers = 128;
	a.size = MAXMSG;
	if ((r = shmc_mutex_open(N_MUTEX, SHMC_CREAT | SHMC_EXCL, &a, &m)) != 0)
		return r;
	(void)shmc_mutex_close(m);
	if ((r = shmc_cond_open(N_COND, SHMC_CREAT | SHMC_EXCL, &a, &c)) != 0)
		return r;
	(void)shmc_cond_close(c);
	if ((r = shmc_mvar_open(N_MVAR, SHMC_CREAT | SHMC_EXCL, &a, &v)) != 0)
		return r;
	(void)shmc_mvar_close(v);
	a.capacity = capacity;
	if ((r = shmc_chan_open(N_CHANA, SHMC_CREAT | SHMC_EXCL, &a, &q)) != 0)
		return r;
	(void)shmc_chan_close(q);
	a.capacity = 0;
	if ((r = shmc_chan_open(N_CHANB, SHMC_CREAT | SHMC_EXCL, &a, &q)) != 0)
		return r;
	(void)shmc_chan_close(q);
	return 0;
}

int
main(int argc, char **argv)
{
	static const unsigned int caps[] = { 1, 2, 4, 16 };
	unsigned int seconds = 120, capacity;
	uint64_t start, t, end, next_kill, next_pause, next_report;
	uint64_t kills_points = 0, ops_total = 0, timeouts_total = 0;
	double p50, p99, pmax, c50, c99, cmax;
	struct utsname un;
	char tickbuf[16];
	int opt, s, r, role, covered = 0, targeted = 0, leftover, ok;
	int have_seed = 0, i;
	unsigned int wsum;

	while ((opt = getopt(argc, argv, "s:S:t:vhW:KPp:F")) != -1) {
		switch (opt) {
		case 'F':
			freeze = 1;
			break;
		case 'W':
			workloads = 0;
			if (strstr(optarg, "mutex") != NULL)
				workloads |= 1U << O_MUTEX;
			if (strstr(optarg, "mvar") != NULL)
				workloads |= 1U << O_MVAR;
			if (strstr(optarg, "chanA") != NULL)
				workloads |= 1U << O_CHANA;
			if (strstr(optarg, "chanB") != NULL)
				workloads |= 1U << O_CHANB;
			if (workloads == 0)
				usage(64);
			break;
		case 'K':
			no_kills = 1;
			break;
		case 'P':
			no_pauses = 1;
			break;
		case 'p':
			for (only_point = 0; only_point < NPOINT; only_point++)
				if (strcmp(points[only_point].name, optarg) == 0)
					break;
			if (only_point == NPOINT)
				usage(64);
			break;
		case 's':
			seconds = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			have_seed = 1;
			break;
		case 't':
			tick_ms = (unsigned int)strtoul(optarg, NULL, 10);
			if (tick_ms == 0)
				usage(64);
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(0);
			break;
		default:
			usage(64);
		}
	}
	if (optind != argc)
		usage(64);
	if (!have_seed)
		seed = mix64((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32)
		    ^ now_ns());
	rng_state = seed;
	/* Incarnations are bounded (MAXW): about 100 kills a second fit
	 * 600 s; longer runs kill less often. */
	pace = 1 + seconds / 500;
	setvbuf(stdout, NULL, _IOLBF, 0);
	sup_pid = getpid();

	B = map_shared(sizeof(*B));
	W = map_shared(sizeof(*W) * MAXW);
	L = map_shared(sizeof(*L) * LOGCAP);
	M = map_shared(sizeof(*M));
	atomic_store(&B->ninc, 1);      /* incarnation 0: the supervisor */

	snprintf(shm_dir, sizeof(shm_dir), "/dev/shm/shmconc-torture.XXXXXX");
	if (mkdtemp(shm_dir) == NULL) {
		fprintf(stderr, "torture: mkdtemp: %s\n", strerror(errno));
		return 2;
	}
	snprintf(tickbuf, sizeof(tickbuf), "%u", tick_ms);
	setenv("SHMCONC_DIR", shm_dir, 1);
	setenv("SHMCONC_TICK_MS", tickbuf, 1);
	unsetenv("SHMCONC_STOP");
	capacity = caps[rnd_below(sizeof(caps) / sizeof(caps[0]))];
	r = create_objects(capacity);
	if (r != 0) {
		fprintf(stderr, "torture: creating objects: %s\n",
		    shmc_strerror(r));
		remove_dir();
		return 2;
	}
	uname(&un);
	printf("torture: seed %llu (-S %llu to repeat)\n",
	    (unsigned long long)seed, (unsigned long long)seed);
	printf("torture: kernel %s, glibc %s, %ld CPUs, tick %u ms, "
	    "%u s, chan-A capacity %u, chan-B rendezvous\n", un.release,
	    gnu_get_libc_version(), sysconf(_SC_NPROCESSORS_ONLN), tick_ms,
	    seconds, capacity);

	signal(SIGALRM, on_alarm);
	alarm(seconds + 60);
	for (s = 0, role = 0; role < NROLE; role++)
		if (workloads & (1U << role_obj[role]))
			for (i = 0; i < role_count[role]; i++)
				slots[s++].role = role;
	nslots = s;
	/* The log's shares (log_room): by the objects' usual appetites. */
	for (i = 0, wsum = 0; i < NOBJ; i++)
		if (workloads & (1U << i))
			wsum += log_weight[i];
	for (i = 0; i < NOBJ; i++)
		if ((workloads & (1U << i)) && wsum > 0)
			B->share[i] = (uint64_t)(LOGCAP - LOGMARGIN) *
			    log_weight[i] / wsum;
	B->t0 = now_ns();
	B->run_ns = (uint64_t)seconds * SEC;
	for (s = 0; s < nslots; s++)
		(void)spawn(s);

	start = now_ns();
	end = start + (uint64_t)seconds * SEC;
	next_kill = start + 200 * MS;
	next_pause = start + 100 * MS;
	next_report = start + 10 * SEC;
	for (i = 0; i < NGROUP; i++)
		next_arm[i] = start + 100 * MS;
	t = now_ns();
	while (!alarmed) {
		uint64_t t0 = t;

		t = now_ns();
		stall_clock(t - t0);
		if (t >= end)
			break;
		reap();
		resume_due(t, 0);
		if (atomic_load(&B->ninc) >= MAXW - 2 * NSLOT) {
			note("incarnations used up: ending early");
			break;
		}
		if (t >= next_kill && !no_kills) {
			random_kill();
			next_kill = t + rnd_below(2 * KILL_MEAN_MS) * pace *
			    MS;
		}
		if (t >= next_pause && !no_pauses) {
			pause_one(t);
			next_pause = t + rnd_below(2 * PAUSE_MEAN_MS) * MS;
		}
		arm_groups(t);
		hang_scan(t);
		stall_scan(t);
		if (freeze && (atomic_load(&B->frozen) ||
		    atomic_load(&B->nmsg) > 0))
			freeze_all();
		if (verbose && t >= next_report) {
			for (i = 0, kills_points = 0; i < NPOINT; i++)
				kills_points += kills_point[i];
			fprintf(stderr, "torture: %llu s: %u incarnations, "
			    "kills %llu random + %llu at points, ops %llu "
			    "mutex %llu mvar %llu chan-A %llu chan-B\n",
			    (unsigned long long)((t - start) / SEC),
			    atomic_load(&B->ninc) - 1,
			    (unsigned long long)kills_random,
			    (unsigned long long)kills_points,
			    (unsigned long long)atomic_load(&B->ops[0]),
			    (unsigned long long)atomic_load(&B->ops[1]),
			    (unsigned long long)atomic_load(&B->ops[2]),
			    (unsigned long long)atomic_load(&B->ops[3]));
			next_report = t + 10 * SEC;
		}
		sleep_ns(MS);
	}

	/* The end: let every worker finish its operation and leave. */
	ending = 1;
	atomic_store(&B->quit, 1);
	for (i = 0; i < NGROUP; i++)
		if (armed[i] != 0)
			atomic_store(&W[armed[i]].arm, 0);
	resume_due(0, 1);
	end = now_ns() + END_GRACE_NS;
	t = now_ns();
	while (live_workers() > 0 && now_ns() < end) {
		uint64_t t0 = t;

		t = now_ns();
		stall_clock(t - t0);
		reap();
		hang_scan(t);
		sleep_ns(MS);
	}
	for (s = 0; s < nslots; s++)
		if (slots[s].inc != 0) {
			note("%s #%u did not quit within %llu ms; killed",
			    role_name[slots[s].role], slots[s].inc,
			    (unsigned long long)(END_GRACE_NS / MS));
			kills_end++;
			kill_inc(slots[s].inc, "at the end");
		}
	end = now_ns() + 5 * SEC;
	while (live_workers() > 0 && now_ns() < end) {
		reap();
		sleep_ns(MS);
	}
	atomic_store(&B->quit, 2);

	final_mutex();
	drain();
	leftover = leftover_files();
	remove_dir();
	check_mutex();
	check_tokens();

	/* The report. */
	for (i = 0, kills_points = 0; i < NPOINT; i++) {
		kills_points += kills_point[i];
		if (!point_enabled(i) || HARNESS_POINT(i))
			continue;
		targeted++;
		covered += kills_point[i] > 0;
	}
	for (i = 0; i < NOBJ; i++) {
		ops_total += atomic_load(&B->ops[i]);
		timeouts_total += atomic_load(&B->timeouts[i]);
	}
	percentiles(B->lat, atomic_load(&B->lat_n), &p50, &p99, &pmax);
	percentiles(B->cwl, atomic_load(&B->cwl_n), &c50, &c99, &cmax);

	printf("\n%-34s %s\n", "figure", "value");
	printf("%-34s %llu random / %llu at stop points\n", "kills injected",
	    (unsigned long long)kills_random,
	    (unsigned long long)kills_points);
	for (i = 0; i < NPOINT; i++)
		printf("  %-32s %llu\n", points[i].name,
		    (unsigned long long)kills_point[i]);
	printf("%-34s %d/%d (the library's; x- are the harness's)\n",
	    "points covered", covered, targeted);
	printf("%-34s %llu\n", "pauses (SIGSTOP/SIGCONT)",
	    (unsigned long long)pauses_total);
	printf("%-34s %llu (mutex %llu, mvar %llu, chan-A %llu, "
	    "chan-B %llu; reads %llu)\n", "operations",
	    (unsigned long long)ops_total,
	    (unsigned long long)atomic_load(&B->ops[O_MUTEX]),
	    (unsigned long long)atomic_load(&B->ops[O_MVAR]),
	    (unsigned long long)atomic_load(&B->ops[O_CHANA]),
	    (unsigned long long)atomic_load(&B->ops[O_CHANB]),
	    (unsigned long long)atomic_load(&B->reads));
	printf("%-34s %llu\n", "counter (mutex)",
	    (unsigned long long)atomic_load(&M->counter));
	printf("%-34s %llu\n", "lost", (unsigned long long)lost);
	printf("%-34s %llu (bound %llu deaths); beyond: %llu\n",
	    "duplicated (documented)", (unsigned long long)dup_doc,
	    (unsigned long long)dup_bound, (unsigned long long)dup_beyond);
	printf("%-34s %llu\n", "torn",
	    (unsigned long long)(atomic_load(&B->torn) + mutex_torn));
	printf("%-34s %llu\n", "phantom (never produced)",
	    (unsigned long long)phantom);
	printf("%-34s %llu\n", "order violations",
	    (unsigned long long)order_viol);
	printf("%-34s %llu\n", "mutual exclusion violations",
	    (unsigned long long)atomic_load(&B->exclusion));
	printf("%-34s %llu / %llu\n", "false deaths (EOWNERDEAD/EPIPE)",
	    (unsigned long long)atomic_load(&B->false_death),
	    (unsigned long long)atomic_load(&B->false_epipe));
	printf("%-34s %llu\n", "deaths not told (EOWNERDEAD)",
	    (unsigned long long)untold);
	printf("%-34s %llu\n", "hangs", (unsigned long long)atomic_load(
	    &B->hangs));
	printf("%-34s %.1f / %.1f / %.1f ms (%llu samples)\n",
	    "recovery latency p50/p99/max", p50, p99, pmax,
	    (unsigned long long)atomic_load(&B->lat_n));
	printf("%-34s %.1f / %.1f / %.1f / %.1f ms\n",
	    "  max: mutex / mvar / chan-A / chan-B",
	    atomic_load(&B->lat_max[O_MUTEX]) / 1e6,
	    atomic_load(&B->lat_max[O_MVAR]) / 1e6,
	    atomic_load(&B->lat_max[O_CHANA]) / 1e6,
	    atomic_load(&B->lat_max[O_CHANB]) / 1e6);
	printf("%-34s %.1f / %.1f / %.1f ms\n",
	    "cond wake latency p50/p99/max", c50, c99, cmax);
	printf("%-34s %d\n", "leftover files", leftover);
	printf("%-34s %llu (chan-A %llu, chan-B %llu)\n", "skipped claims",
	    (unsigned long long)(skipped[0] + skipped[1]),
	    (unsigned long long)skipped[0], (unsigned long long)skipped[1]);
	printf("%-34s %llu mutex, %llu mvar; %llu rolled forward\n",
	    "EOWNERDEAD seen",
	    (unsigned long long)atomic_load(&B->eownerdead[O_MUTEX]),
	    (unsigned long long)atomic_load(&B->eownerdead[O_MVAR]),
	    (unsigned long long)atomic_load(&M->rolled));
	printf("%-34s %llu unconfirmed, %llu maybe (copied, commit "
	    "unknown)\n", "deliveries to the dead",
	    (unsigned long long)unconfirmed, (unsigned long long)maybe_seen);
	printf("%-34s %llu mvar, %llu chan-A, %llu chan-B\n", "drained",
	    (unsigned long long)drained[O_MVAR],
	    (unsigned long long)drained[O_CHANA],
	    (unsigned long long)drained[O_CHANB]);
	printf("%-34s %llu timeouts, %llu EPIPE, %llu arm timeouts\n",
	    "legitimate waits", (unsigned long long)timeouts_total,
	    (unsigned long long)atomic_load(&B->epipe),
	    (unsigned long long)arm_timeouts);
	printf("%-34s %u (%llu clean exits, %llu hung killed, %llu at end)\n",
	    "incarnations", atomic_load(&B->ninc) - 1,
	    (unsigned long long)clean_exits, (unsigned long long)kills_hang,
	    (unsigned long long)kills_end);
	printf("%-34s longest %.1f ms, %.1f s in all; %llu ops over "
	    "deadline + slack before they are taken off\n",
	    "machine stalls (supervisor)", sup_gap_max / 1e6,
	    atomic_load(&B->stall_ns) / 1e9,
	    (unsigned long long)atomic_load(&B->late));
	printf("%-34s %llu crashes, %llu errors, %llu takeover failures, "
	    "%llu half-initialised objects\n", "other failures",
	    (unsigned long long)crashes,
	    (unsigned long long)atomic_load(&B->errors),
	    (unsigned long long)atomic_load(&B->takeover_fail),
	    (unsigned long long)half_objects);

	if (verbose) {
		for (i = 0; i < NOBJ; i++)
			if (B->worst_what[i][0] != '\0')
				fprintf(stderr, "torture: slowest recovery of "
				    "the %s: %.1f ms after a kill of %s\n",
				    obj_name[i], B->lat_max[i] / 1e6,
				    B->worst_what[i]);
		fprintf(stderr, "torture: per operation kind: ok / failed "
		    "(timeouts, EAGAIN, EPIPE) / mean ms\n");
		for (i = 1; i < NKIND; i++)
			if (B->kops[i] + B->kfail[i] > 0)
				fprintf(stderr, "  %-10s %10llu %8llu %8.3f\n",
				    kind_name[i],
				    (unsigned long long)B->kops[i],
				    (unsigned long long)B->kfail[i],
				    B->kns[i] / 1e6 / (double)(B->kops[i] +
				    B->kfail[i]));
	}
	if (atomic_load(&B->nmsg) > 0) {
		fprintf(stderr, "\ntorture: %u notes%s:\n",
		    atomic_load(&B->nmsg), atomic_load(&B->nmsg) > NMSG ?
		    " (first ones)" : "");
		for (i = 0; i < NMSG && (uint32_t)i < atomic_load(&B->nmsg);
		    i++)
			fprintf(stderr, "  %s\n", B->msg[i]);
	}
	ok = lost == 0 && dup_beyond == 0 && phantom == 0 &&
	    atomic_load(&B->torn) + mutex_torn == 0 && order_viol == 0 &&
	    atomic_load(&B->exclusion) == 0 &&
	    atomic_load(&B->false_death) == 0 &&
	    atomic_load(&B->false_epipe) == 0 && untold == 0 &&
	    atomic_load(&B->hangs) == 0 && leftover == 0 && crashes == 0 &&
	    atomic_load(&B->errors) == 0 &&
	    atomic_load(&B->takeover_fail) == 0 && half_objects == 0;
	printf("\ntorture: %s (seed %llu)\n", ok ? "PASS" : "FAIL",
	    (unsigned long long)seed);
	return ok ? 0 : 1;
}
