/*
 * mvar-bench: the speed of shmc_mvar against pipes, semaphores and a raw
 * busy-spin, and the CPU a blocked taker burns.
 *
 * One program that prints one table, in the style of mutex-bench.  Speed
 * is never a pass/fail test of the suite; this is a report for people,
 * run by `make bench`.  It prints PASS or FAIL for each target of the
 * MVar's speed section but always exits 0 unless something is broken: a
 * failing call, a worker that dies, or a value that arrives wrong (lost,
 * doubled or torn).
 *
 * Overview.  Each figure is the median of R runs (-r, default 7) with the
 * minimum and the maximum; one warm-up round before the section is thrown
 * away.  Within a round the ways of passing a value take turns (in
 * reverse order every other round), so that the noise of a shared
 * machine falls on all of them alike, and a ratio is taken within each
 * round and the median of those is reported.  Times come from
 * CLOCK_MONOTONIC; nothing is pinned.
 *
 * Ping-pong.  Two workers, forked processes (or, for information,
 * threads; both through shmc_task_spawn), pass an 8-byte counter back and
 * forth N times; A sends i and B answers i + 1, which A checks.  The time
 * runs from the first worker's start to the last one's end, divided by N:
 * nanoseconds per round trip.  The ways compared:
 *
 *   shmc_mvar        two empty MVars; A: put(m1), take(m2); B: take(m1),
 *                    put(m2).  A waiter spins for SHMCONC_SPIN_US before
 *                    it sleeps, so both sides should stay on their CPUs.
 *   busy-spin        the floor: one 64-bit word on a cache line of its
 *                    own, which A sets to 2i+1 and B to 2i+2, each
 *                    spinning until it is its turn.  Two cache-line
 *                    transfers per round trip and nothing else.
 *   semaphore pair   two sem_t made pshared in a MAP_SHARED mapping;
 *                    A: post(s1), wait(s2); B: wait(s1), post(s2); the
 *                    value in a shared word.  glibc does not spin, so
 *                    every wait sleeps in the kernel.
 *   pipe pair        A writes 8 bytes to one pipe and reads the answer
 *                    from another; B the other way round.
 *
 * The targets: shmc_mvar at least 20 times faster than the pipe pair, and
 * within 1.2 times the busy-spin.  Two columns explain a figure.  Sleeps
 * are the workers' voluntary context switches per round trip: 0 when the
 * MVar's spinning caught every value, 2 when every wait slept (pipes,
 * semaphores).  CPUs adds up each worker's CPU time over its run time: 2
 * when both spun side by side all along.  A run of the spinning kinds
 * (MVar, busy-spin) with CPUs below PAR_MIN did not run side by side (the
 * workers were stacked on one vCPU, or the host took one away) and is done
 * again, as is any run where a worker started late; see worker().  For
 * pipes and semaphores, which sleep by design, only a late start spoils a
 * run.
 *
 * Blocked taker.  A forked child takes from an empty MVar; the parent
 * puts after BLOCK_S seconds.  The child measures its own CPU time over
 * the take with CLOCK_PROCESS_CPUTIME_ID, which is exact to the
 * nanosecond and leaves out the fork and exit that getrusage
 * (RUSAGE_CHILDREN) would add; its voluntary context switches show the
 * wake-ups (one per liveness tick, SHMCONC_TICK_MS, is expected).  The
 * target is under 1% of the wait.  Median of min(R, 3) runs, as each lasts
 * BLOCK_S seconds.
 *
 * Only the public API of libshmconc is used.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmconc.h"
#include "bench/common.h"

#define WORKERS         2       /* the two sides of a ping-pong */
#define TARGET_PIPE     20.0    /* pipe/mvar at least */
#define TARGET_SPIN     1.20    /* mvar/busy-spin at most */
#define TARGET_CPU_PCT  1.0     /* a blocked taker's CPU, below */
#define SPIN_YIELD      (1L << 14) /* busy-spin reads before a yield */
#define BLOCK_S         2       /* the blocked taker's wait, in seconds */
#define BLOCK_RUNS      3       /* the most blocked-taker runs */

/*
 * Round trips per run: for the fast kinds (MVar, busy-spin) and the slow
 * ones (semaphores, pipes), normal and quick (-q) for smoke use.
 */
#define FAST_N          1000000L
#define SLOW_N          50000L
#define FAST_N_QUICK    100000L
#define SLOW_N_QUICK    5000L

/* The ways of passing a value, in table order. */
enum kind {
	K_MVAR,         /* shmc_mvar, processes */
	K_SPIN,         /* busy-spin on a cache line, processes */
	K_SEM,          /* POSIX semaphore pair, processes */
	K_PIPE,         /* pipe pair, processes */
	K_MVAR_THR,     /* shmc_mvar, threads */
	NKINDS
};

static const char *const kind_name[NKINDS] = {
	"shmc_mvar, processes",
	"busy-spin, processes",
	"semaphore pair, processes",
	"pipe pair, processes",
	"shmc_mvar, threads"
};

/*
 * Everything the parent and the workers share, in one MAP_SHARED
 * anonymous mapping, so that forked workers see it exactly as threads
 * do.  Words written by different parties sit on cache lines of their
 * own.  The MVars live in segments of their own.
 */
struct shared {
	/* The busy-spin word: 2i+1 is B's turn, 2i+2 is A's. */
	_Alignas(LINE) _Atomic uint64_t turn;

	/* The semaphore pair and the value it guards. */
	_Alignas(LINE) sem_t sem[2];
	_Alignas(LINE) uint64_t semval;

	/* The starting line of a run: workers that are ready. */
	_Alignas(LINE) atomic_int ready;

	/* The blocked taker: its start, and what it measured. */
	_Alignas(LINE) atomic_int waiting;
	uint64_t wait_start_ns;
	uint64_t wait_ns;
	uint64_t wait_cpu_ns;
	long wait_sleeps;
	uint64_t wait_value;
	int wait_err;

	/* What each worker reports; read by the parent after the join. */
	struct {
		_Alignas(LINE) uint64_t start_ns;
		uint64_t end_ns;
		uint64_t cpu_ns;
		long sleeps;
		int err;        /* an error number, or -1: a wrong value */
		uint64_t bad;   /* the round trip of a wrong value */
	} res[WORKERS];
};

/* The two pipes: A writes to ab, B to ba.  Made before any fork. */
static int ab[2] = { -1, -1 }, ba[2] = { -1, -1 };

/* One worker's orders. */
struct job {
	struct shared *sh;
	struct shmc_mvar *mv[2];
	enum kind kind;
	int who;
	long n;
};

/* What one run measured. */
struct run {
	double ns;              /* per round trip */
	double sleeps;          /* per round trip, both workers */
	double cpus;            /* how many workers were on a CPU, on average */
	int spoilt;             /* the workers did not run side by side */
};

/* Wait on a semaphore, through signals; 0 or an error number. */
static int
sem_wait_all(sem_t *s)
{
	while (sem_wait(s) < 0)
		if (errno != EINTR)
			return errno;
	return 0;
}

/* Move exactly 8 bytes through a pipe; 0 or an error number. */
static int
pipe_write(int fd, uint64_t v)
{
	ssize_t n;

	do
		n = write(fd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(v) ? 0 : n < 0 ? errno : EIO;
}

static int
pipe_read(int fd, uint64_t *v)
{
	ssize_t n;

	do
		n = read(fd, v, sizeof(*v));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*v) ? 0 : n < 0 ? errno : EIO;
}

/*
 * Wait until the busy-spin word is want.  A pure spin, but one that
 * yields after SPIN_YIELD reads: when both workers share one vCPU, each
 * would otherwise wait a whole time slice per turn; such a run has a low
 * CPUs figure and is done again.
 */
static void
spin_until(_Atomic uint64_t *w, uint64_t want)
{
	long i = 0;

	/* Acquire: the peer's turn is over before ours starts. */
	while (atomic_load_explicit(w, memory_order_acquire) != want) {
		cpu_relax();
		if (++i == SPIN_YIELD) {
			i = 0;
			sched_yield();
		}
	}
}

/*
 * Side A: send i, expect i + 1 back, n times.  Returns 0, an error number
 * or -1 for a wrong value (its round trip in *bad).
 */
static int
side_a(const struct job *j, uint64_t *bad)
{
	struct shared *sh = j->sh;
	uint64_t i, v = 0;
	size_t len = 0;
	int r = 0;

	for (i = 0; i < (uint64_t)j->n && r == 0; i++) {
		switch (j->kind) {
		case K_MVAR:
		case K_MVAR_THR:
			r = shmc_mvar_put(j->mv[0], &i, sizeof(i));
			if (r == 0)
				r = shmc_mvar_take(j->mv[1], &v, sizeof(v),
				    &len);
			if (r == 0 && len != sizeof(v))
				r = -1;
			break;
		case K_SPIN:
			/* Release: hand the turn over. */
			atomic_store_explicit(&sh->turn, 2 * i + 1,
			    memory_order_release);
			spin_until(&sh->turn, 2 * i + 2);
			v = i + 1;
			break;
		case K_SEM:
			sh->semval = i;
			if (sem_post(&sh->sem[0]) < 0)
				r = errno;
			else
				r = sem_wait_all(&sh->sem[1]);
			v = sh->semval;
			break;
		default:
			r = pipe_write(ab[1], i);
			if (r == 0)
				r = pipe_read(ba[0], &v);
			break;
		}
		if (r == 0 && v != i + 1)
			r = -1;
	}
	*bad = i - 1;
	return r;
}

/* Side B: answer every i with i + 1, n times; as side_a. */
static int
side_b(const struct job *j, uint64_t *bad)
{
	struct shared *sh = j->sh;
	uint64_t i, v = 0;
	size_t len = 0;
	int r = 0;

	for (i = 0; i < (uint64_t)j->n && r == 0; i++) {
		switch (j->kind) {
		case K_MVAR:
		case K_MVAR_THR:
			r = shmc_mvar_take(j->mv[0], &v, sizeof(v), &len);
			if (r == 0 && (len != sizeof(v) || v != i))
				r = -1;
			v++;
			if (r == 0)
				r = shmc_mvar_put(j->mv[1], &v, sizeof(v));
			break;
		case K_SPIN:
			spin_until(&sh->turn, 2 * i + 1);
			atomic_store_explicit(&sh->turn, 2 * i + 2,
			    memory_order_release);
			break;
		case K_SEM:
			r = sem_wait_all(&sh->sem[0]);
			if (r == 0 && sh->semval != i)
				r = -1;
			sh->semval = i + 1;
			if (r == 0 && sem_post(&sh->sem[1]) < 0)
				r = errno;
			break;
		default:
			r = pipe_read(ab[0], &v);
			if (r == 0 && v != i)
				r = -1;
			if (r == 0)
				r = pipe_write(ba[1], v + 1);
			break;
		}
	}
	*bad = i - 1;
	return r;
}

/*
 * One ping-pong worker, run as a process or as a thread.  An MVar worker
 * first tries a take on both MVars (both are empty, nobody puts before
 * the start), because a thread attaches to a shmconc object on its first
 * call and that should not be timed.  Then it checks in and spins until
 * both workers have, plays its side and reports its start and end times,
 * its CPU time and its sleeps.  Returns 0, or 1 after a failure (the
 * error is in res).
 *
 * The start is a busy spin on purpose, as in mutex-bench: on a small KVM
 * guest a worker woken from a sleeping barrier is often put on its peer's
 * CPU.  A run where the workers still end up stacked, or the host takes a
 * vCPU away, shows a late start or a low CPUs figure and is done again.
 */
static int
worker(void *arg)
{
	const struct job *j = arg;
	struct shared *sh = j->sh;
	uint64_t cpu, bad = 0, v;
	size_t len;
	long sleeps;
	int r = 0, k;

	if (j->kind == K_MVAR || j->kind == K_MVAR_THR)
		for (k = 0; k < 2 && r == 0; k++) {
			r = shmc_mvar_try_take(j->mv[k], &v, sizeof(v), &len);
			if (r == EAGAIN)
				r = 0;
			else if (r == 0)
				r = -1;
		}
	sh->res[j->who].err = r;
	/* Even a failed worker checks in, or the other spins for ever. */
	start_line(&sh->ready, WORKERS);
	if (r != 0)
		return 1;
	sh->res[j->who].start_ns = now_ns();
	cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	sleeps = sleeps_so_far();
	r = j->who == 0 ? side_a(j, &bad) : side_b(j, &bad);
	sh->res[j->who].end_ns = now_ns();
	sh->res[j->who].cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu;
	sh->res[j->who].sleeps = sleeps_so_far() - sleeps;
	sh->res[j->who].err = r;
	sh->res[j->who].bad = bad;
	return r != 0;
}

/* What failed in a worker, for a message. */
static const char *
failure(int err)
{
	return err == -1 ? "wrong value (lost, doubled or torn)" :
	    shmc_strerror(err);
}

/*
 * One ping-pong run of kind k: two workers pass n values.  The run lasts
 * from the first worker's start to the last one's end.  It is spoilt if a
 * worker started more than LATE_PCT percent of the run after the other,
 * or, for the spinning kinds, if fewer than PAR_MIN CPUs worked on
 * average.  Exits with a message if a worker fails.
 */
static struct run
pingpong(enum kind k, struct shmc_mvar *const mv[2], struct shared *sh,
    long n)
{
	struct shmc_task *task[WORKERS];
	struct job job[WORKERS];
	struct run run;
	uint64_t first = UINT64_MAX, last = 0, end = 0;
	double cpus = 0;
	long slept = 0;
	int w, r, status, mode;

	mode = k == K_MVAR_THR ? SHMC_THREAD :
	    SHMC_PROCESS | SHMC_DIE_WITH_PARENT;
	atomic_store_explicit(&sh->turn, 0, memory_order_relaxed);
	sh->semval = 0;
	atomic_store_explicit(&sh->ready, 0, memory_order_relaxed);
	alarm(RUN_LIMIT_S);
	for (w = 0; w < WORKERS; w++) {
		job[w].sh = sh;
		job[w].mv[0] = mv[0];           /* A puts here, B takes */
		job[w].mv[1] = mv[1];           /* and the other way */
		job[w].kind = k;
		job[w].who = w;
		job[w].n = n;
		memset(&sh->res[w], 0, sizeof(sh->res[w]));
		r = shmc_task_spawn(mode, worker, &job[w], &task[w]);
		if (r != 0)
			errx(1, "%s: spawn: %s", kind_name[k],
			    shmc_strerror(r));
	}
	for (w = 0; w < WORKERS; w++) {
		r = shmc_task_join(task[w], &status);
		if (r != 0)
			errx(1, "%s: join: %s", kind_name[k],
			    shmc_strerror(r));
		if (sh->res[w].err != 0)
			errx(1, "%s: worker %c, round trip %llu: %s",
			    kind_name[k], "AB"[w],
			    (unsigned long long)sh->res[w].bad,
			    failure(sh->res[w].err));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			errx(1, "%s: worker %c died (status %#x)",
			    kind_name[k], "AB"[w], (unsigned int)status);
		if (sh->res[w].start_ns < first)
			first = sh->res[w].start_ns;
		if (sh->res[w].start_ns > last)
			last = sh->res[w].start_ns;
		if (sh->res[w].end_ns > end)
			end = sh->res[w].end_ns;
		cpus += (double)sh->res[w].cpu_ns /
		    (double)(sh->res[w].end_ns - sh->res[w].start_ns + 1);
		slept += sh->res[w].sleeps;
	}
	alarm(0);
	run.ns = (double)(end - first) / (double)n;
	run.sleeps = (double)slept / (double)n;
	run.cpus = cpus;
	run.spoilt = (last - first) * 100 > (end - first) * LATE_PCT ||
	    ((k == K_MVAR || k == K_SPIN || k == K_MVAR_THR) &&
	    run.cpus < PAR_MIN);
	if (verbose)
		fprintf(stderr, "%s: %.2f ms, starts +%.0f +%.0f us, "
		    "%.1f ns/rt, %.2f CPUs, %ld sleeps%s\n", kind_name[k],
		    (double)(end - first) / 1e6,
		    (double)(sh->res[0].start_ns - first) / 1e3,
		    (double)(sh->res[1].start_ns - first) / 1e3, run.ns, cpus,
		    slept, run.spoilt ? ", spoilt" : "");
	return run;
}

/* A row's label and figure in this table's columns (bench_figure). */
static void
print_figure(const char *label, struct stats st, int prec, int more)
{
	bench_figure(label, 28, st, prec, more ? 28 : 0);
}

/*
 * The header: what machine and libraries the figures belong to, and the
 * environment that changes shmconc's behaviour.
 */
static void
print_header(int runs, long fast, long slow)
{
	long ncpu;

	ncpu = bench_header("mvar", runs);
	printf("round trips per run: %ld (mvar, busy-spin), %ld (semaphores, "
	    "pipes)\n", fast, slow);
	bench_env();
	if (ncpu < WORKERS)
		printf("warning: %d workers on %ld CPUs: the ping-pong figures "
		    "measure the scheduler\n", WORKERS, ncpu);
}

/* Round trips per run of kind k. */
static long
trips(enum kind k, long fast, long slow)
{
	return k == K_SEM || k == K_PIPE ? slow : fast;
}

/* Print the verdict on a ratio: PASS or FAIL against a bound. */
static void
print_target(const char *label, struct stats st, const char *op,
    double bound, int pass)
{
	print_figure(label, st, 2, 1);
	bench_target(op, 2, bound, "", pass);
}

/*
 * The ping-pong section: a warm-up round, then runs rounds of every kind
 * in turn, then the rows, the ratios and the verdicts.  A spoilt run would
 * not measure what the row says, so it is done again, up to RETRIES
 * times; a note after the rows says how often that happened.
 */
static void
section_pingpong(struct shmc_mvar *const mv[2], struct shared *sh, int runs,
    long fast, long slow)
{
	static double v[NKINDS][RUNS_MAX], s[NKINDS][RUNS_MAX];
	static double c[NKINDS][RUNS_MAX];
	double pipe_r[RUNS_MAX], sem_r[RUNS_MAX], spin_r[RUNS_MAX];
	double thr_r[RUNS_MAX];
	struct stats st;
	struct run run;
	int i, k, kk, try, nredo = 0, nkept = 0;

	for (k = 0; k < NKINDS; k++)
		(void)pingpong((enum kind)k, mv, sh,
		    trips((enum kind)k, fast, slow) / 10);
	for (i = 0; i < runs; i++) {
		for (kk = 0; kk < NKINDS; kk++) {
			k = i % 2 ? NKINDS - 1 - kk : kk;
			for (try = 0;; try++) {
				run = pingpong((enum kind)k, mv, sh,
				    trips((enum kind)k, fast, slow));
				if (!run.spoilt || try == RETRIES)
					break;
				nredo++;
			}
			nkept += run.spoilt;
			v[k][i] = run.ns;
			s[k][i] = run.sleeps;
			c[k][i] = run.cpus;
		}
		pipe_r[i] = v[K_PIPE][i] / v[K_MVAR][i];
		sem_r[i] = v[K_SEM][i] / v[K_MVAR][i];
		spin_r[i] = v[K_MVAR][i] / v[K_SPIN][i];
		thr_r[i] = v[K_MVAR_THR][i] / v[K_MVAR][i];
	}
	printf("%-30s%-28s%-10s%s\n", "ping-pong, 8-byte value",
	    "ns/round trip", "sleep/rt", "CPUs");
	for (k = 0; k < NKINDS; k++) {
		print_figure(kind_name[k], summarize(v[k], runs), 1, 1);
		printf("%-10.3f%.2f\n", summarize(s[k], runs).med,
		    summarize(c[k], runs).med);
	}
	st = summarize(pipe_r, runs);
	print_target("ratio pipe/mvar", st, ">=", TARGET_PIPE,
	    st.med >= TARGET_PIPE);
	st = summarize(spin_r, runs);
	print_target("ratio mvar/busy-spin", st, "<=", TARGET_SPIN,
	    st.med <= TARGET_SPIN);
	print_figure("ratio semaphore/mvar", summarize(sem_r, runs), 2, 1);
	printf("(report)\n");
	print_figure("ratio threads/processes", summarize(thr_r, runs), 2, 1);
	printf("(report)\n");
	if (nredo > 0)
		printf("  note: %d runs redone because the workers did not "
		    "run side by side, %d kept\n", nredo, nkept);
}

/*
 * The blocked taker: take from the empty MVar and measure the take.  It
 * says when it starts, so that the parent can time its put from then.
 */
static int
blocked_taker(void *arg)
{
	const struct job *j = arg;
	struct shared *sh = j->sh;
	uint64_t t0, cpu, v = 0;
	size_t len = 0;
	long sleeps;
	int r;

	sleeps = sleeps_so_far();
	cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	t0 = now_ns();
	sh->wait_start_ns = t0;
	/* Release: wait_start_ns is written. */
	atomic_store_explicit(&sh->waiting, 1, memory_order_release);
	r = shmc_mvar_take(j->mv[0], &v, sizeof(v), &len);
	sh->wait_ns = now_ns() - t0;
	sh->wait_cpu_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - cpu;
	sh->wait_sleeps = sleeps_so_far() - sleeps;
	sh->wait_value = v;
	if (r == 0 && len != sizeof(v))
		r = -1;
	sh->wait_err = r;
	return r != 0;
}

/*
 * One blocked-taker run: a forked child takes from mv, which is empty;
 * BLOCK_S seconds after it started, we put.  Returns the child's CPU time
 * over its take, in percent of the take's duration; the wake-ups are in
 * *wakes.
 */
static double
blocked(struct shmc_mvar *mv, struct shared *sh, long *wakes)
{
	struct shmc_task *task;
	struct timespec ts;
	struct job job;
	uint64_t at, v = 0x5eed;
	int r, status;

	memset(&job, 0, sizeof(job));
	job.sh = sh;
	job.mv[0] = mv;
	atomic_store_explicit(&sh->waiting, 0, memory_order_relaxed);
	sh->wait_err = 0;
	alarm(RUN_LIMIT_S);
	r = shmc_task_spawn(SHMC_PROCESS | SHMC_DIE_WITH_PARENT, blocked_taker,
	    &job, &task);
	if (r != 0)
		errx(1, "blocked take: spawn: %s", shmc_strerror(r));
	/* Acquire: pairs with the child's release. */
	while (!atomic_load_explicit(&sh->waiting, memory_order_acquire))
		usleep(1000);
	at = sh->wait_start_ns + (uint64_t)BLOCK_S * NSEC_PER_SEC;
	ts.tv_sec = (time_t)(at / NSEC_PER_SEC);
	ts.tv_nsec = (long)(at % NSEC_PER_SEC);
	while ((r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts,
	    NULL)) == EINTR)
		continue;
	if (r != 0)
		errx(1, "blocked take: clock_nanosleep: %s", strerror(r));
	r = shmc_mvar_put(mv, &v, sizeof(v));
	if (r != 0)
		errx(1, "blocked take: put: %s", shmc_strerror(r));
	r = shmc_task_join(task, &status);
	if (r != 0)
		errx(1, "blocked take: join: %s", shmc_strerror(r));
	alarm(0);
	if (sh->wait_err != 0)
		errx(1, "blocked take: take: %s", failure(sh->wait_err));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		errx(1, "blocked take: the taker died (status %#x)",
		    (unsigned int)status);
	if (sh->wait_value != v)
		errx(1, "blocked take: %s", failure(-1));
	if (verbose)
		fprintf(stderr, "blocked take: %.3f s, %.3f ms CPU, "
		    "%ld sleeps\n", (double)sh->wait_ns / 1e9,
		    (double)sh->wait_cpu_ns / 1e6, sh->wait_sleeps);
	*wakes = sh->wait_sleeps;
	return (double)sh->wait_cpu_ns * 100 / (double)sh->wait_ns;
}

/* The blocked-taker section: its rows and the verdict. */
static void
section_blocked(struct shmc_mvar *mv, struct shared *sh, int runs)
{
	double pct[BLOCK_RUNS], wk[BLOCK_RUNS];
	struct stats st;
	char title[64];
	long wakes;
	int i;

	if (runs > BLOCK_RUNS)
		runs = BLOCK_RUNS;
	for (i = 0; i < runs; i++) {
		pct[i] = blocked(mv, sh, &wakes);
		wk[i] = (double)wakes;
	}
	snprintf(title, sizeof(title), "blocked take, %d s, %d runs",
	    BLOCK_S, runs);
	printf("%-30s%-28s%s\n", title, "CPU % of the wait", "wake-ups");
	st = summarize(pct, runs);
	print_figure("shmc_mvar, process", st, 3, 1);
	printf("%.0f\n", summarize(wk, runs).med);
	bench_target("<", 2, TARGET_CPU_PCT, "%", st.med < TARGET_CPU_PCT);
}

static void
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f, "usage: mvar-bench [-hqv] [-r runs]\n"
	    "  -h       print this help and exit\n"
	    "  -q       quick: %ld and %ld round trips per run (normally "
	    "%ld and %ld)\n"
	    "           and one blocked take (a smoke test)\n"
	    "  -r runs  runs per figure, 1..%d (default %d; blocked take: "
	    "at most %d)\n"
	    "  -v       describe every run on stderr\n",
	    FAST_N_QUICK, SLOW_N_QUICK, FAST_N, SLOW_N, RUNS_MAX,
	    RUNS_DEFAULT, BLOCK_RUNS);
	exit(status);
}

int
main(int argc, char **argv)
{
	struct shmc_attr attr;
	struct shmc_mvar *mv[2];
	struct shared *sh;
	long fast = FAST_N, slow = SLOW_N;
	int i, r, runs = RUNS_DEFAULT, block_runs = -1;
	uint64_t x;
	size_t len;

	if (bench_options(argc, argv, &runs, usage)) {
		fast = FAST_N_QUICK;
		slow = SLOW_N_QUICK;
		block_runs = 1;
	}
	if (block_runs < 0 || block_runs > runs)
		block_runs = runs;

	bench_alarm("mvar-bench: a run took too long; deadlock?\n");
	sh = bench_map_shared(sizeof(*sh));
	if (sem_init(&sh->sem[0], 1, 0) < 0 || sem_init(&sh->sem[1], 1, 0) < 0)
		err(1, "sem_init");
	if (pipe(ab) < 0 || pipe(ba) < 0)
		err(1, "pipe");
	/* Two empty anonymous MVars just big enough for the value. */
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(uint64_t);
	for (i = 0; i < 2; i++) {
		r = shmc_mvar_open(NULL, SHMC_CREAT, &attr, &mv[i]);
		if (r != 0)
			errx(1, "shmc_mvar_open: %s", shmc_strerror(r));
		/*
		 * Both start empty.  The call also attaches this thread: the
		 * blocked taker must see a live participant in us, or its
		 * take could be EDEADLK.
		 */
		r = shmc_mvar_try_take(mv[i], &x, sizeof(x), &len);
		if (r != EAGAIN)
			errx(1, "shmc_mvar_try_take: %s", r == 0 ?
			    "not empty" : shmc_strerror(r));
	}

	print_header(runs, fast, slow);
	fflush(stdout);
	section_pingpong(mv, sh, runs, fast, slow);
	fflush(stdout);
	section_blocked(mv[0], sh, block_runs);

	for (i = 0; i < 2; i++)
		shmc_mvar_close(mv[i]);
	sem_destroy(&sh->sem[0]);
	sem_destroy(&sh->sem[1]);
	munmap(sh, sizeof(*sh));
	return 0;
}
