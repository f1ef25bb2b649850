/*
 * mutex-bench: the speed of shmc_mutex against glibc's robust mutex.
 *
 * One program that prints one table.  Speed is never a pass/fail test of
 * the suite; this is a report for people, run by `make bench`.  It always
 * exits 0 unless something is broken: a failing call, a worker that dies,
 * or a counter that proves mutual exclusion was lost.
 *
 * Overview.  Each figure is the median of R runs (-r, default 7) with
 * the minimum and the maximum; one warm-up round before each section is
 * thrown away.  Within a round the mutexes take turns (in reverse order
 * every other round), so that the noise of a shared machine, a stolen
 * CPU or a frequency step, falls on all of them alike.  A ratio is taken
 * within each round and the median of those is reported, so that slow
 * drift between rounds cancels out.  Times come from CLOCK_MONOTONIC;
 * nothing is pinned.
 *
 * Uncontended: one thread locks and unlocks N times in a row.  This is
 * the fast path that DESIGN.md promises to be atomics only.  The baseline
 * is a glibc pthread_mutex_t made PTHREAD_PROCESS_SHARED and
 * PTHREAD_MUTEX_ROBUST in a MAP_SHARED mapping, the nearest thing glibc
 * offers to what shmc_mutex promises; a plain process-shared one is shown
 * for information.  The target is shmc/robust <= 1.10.
 *
 * Contended: two workers, forked processes or threads (both through
 * shmc_task_spawn), each lock, increment a shared counter and unlock M/2
 * times.  The time runs from the first worker's start to the last one's
 * end, divided by M.  Three columns explain a figure.  Hand-offs count
 * how often the counter passed from one worker to the other: a mutex that
 * lets its holder take it again at once runs long stretches on one side,
 * which is fast, since the lock and the counter stay in one CPU's cache,
 * but means the other side waited; with a critical section this short
 * the cost per pair follows the hand-offs.  Sleeps count the workers'
 * voluntary context switches, that is, futex waits that really slept.
 * CPUs adds up each worker's CPU time over its own run time: 2 when they
 * ran side by side all along, 1 when they only took turns on one CPU (or
 * slept half the time, which the sleeps would show).  A run that did not
 * contend (CPUs below PAR_MIN, or a worker that started late) is done
 * again; see worker().  Every run checks that the counter ends at exactly
 * M.
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
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmconc.h"
#include "bench/common.h"

#define WORKERS         2       /* workers of the contended runs (-v: 2) */
#define TARGET          1.10    /* uncontended shmc/robust at most */

/* Lock+unlock pairs per run: normal, and quick (-q) for smoke use. */
#define UNCONT_N        10000000L
#define UNCONT_N_QUICK  1000000L
#define CONT_M          2000000L
#define CONT_M_QUICK    200000L

/* The mutexes compared. */
enum kind {
	K_SHMC,
	K_ROBUST,
	K_PLAIN,
	NKINDS
};

static const char *const kind_name[NKINDS] = {
	"shmc_mutex",
	"glibc robust pshared",
	"glibc pshared (not robust)"
};

/*
 * Everything the parent and the workers share, in one MAP_SHARED
 * anonymous mapping, so that forked workers see it exactly as threads
 * do.  Words written by different parties sit on cache lines of their
 * own.  The shmc_mutex lives in its own segment.
 */
struct shared {
	_Alignas(LINE) pthread_mutex_t robust;
	_Alignas(LINE) pthread_mutex_t plain;

	/* Guarded by the mutex under test. */
	_Alignas(LINE) uint64_t counter;
	uint64_t handoffs;
	int last;

	/* The starting line of a contended run: workers that are ready. */
	_Alignas(LINE) atomic_int ready;

	/* What each worker reports; read by the parent after the join. */
	struct {
		_Alignas(LINE) uint64_t start_ns;
		uint64_t end_ns;
		uint64_t cpu_ns;
		long sleeps;
		int err;
	} res[WORKERS];
};

/* One worker's orders. */
struct job {
	struct shared *sh;
	struct shmc_mutex *m;
	enum kind kind;
	int who;
	long iters;
};

/* What one contended run measured. */
struct run {
	double ns;              /* per lock+unlock pair */
	double handoffs;        /* per thousand pairs */
	double sleeps;          /* per thousand pairs */
	double cpus;            /* how many workers were on a CPU, on average */
	int spoilt;             /* the workers did not really contend */
};

/* Lock and unlock the mutex a job works on; 0 or an error number. */
static int
mx_lock(const struct job *j)
{
	switch (j->kind) {
	case K_SHMC:
		return shmc_mutex_lock(j->m);
	case K_ROBUST:
		return pthread_mutex_lock(&j->sh->robust);
	default:
		return pthread_mutex_lock(&j->sh->plain);
	}
}

static int
mx_unlock(const struct job *j)
{
	switch (j->kind) {
	case K_SHMC:
		return shmc_mutex_unlock(j->m);
	case K_ROBUST:
		return pthread_mutex_unlock(&j->sh->robust);
	default:
		return pthread_mutex_unlock(&j->sh->plain);
	}
}

/*
 * Time n uncontended lock+unlock pairs of one mutex in the calling
 * thread.  Each kind has its own loop with direct calls, so that no
 * indirection is measured.  Returns nanoseconds per pair; a failing call
 * ends the program.
 */
static double
uncontended(enum kind k, struct shmc_mutex *m, struct shared *sh, long n)
{
	pthread_mutex_t *pm;
	uint64_t t0, t1;
	long i;
	int r = 0;

	pm = k == K_ROBUST ? &sh->robust : &sh->plain;
	t0 = now_ns();
	if (k == K_SHMC) {
		for (i = 0; i < n && r == 0; i++) {
			r = shmc_mutex_lock(m);
			if (r == 0)
				r = shmc_mutex_unlock(m);
		}
	} else {
		for (i = 0; i < n && r == 0; i++) {
			r = pthread_mutex_lock(pm);
			if (r == 0)
				r = pthread_mutex_unlock(pm);
		}
	}
	t1 = now_ns();
	if (r != 0)
		errx(1, "uncontended %s: %s", kind_name[k], shmc_strerror(r));
	return (double)(t1 - t0) / (double)n;
}

/*
 * One contended worker, run as a process or as a thread.  It locks and
 * unlocks once before the start, because a thread attaches to a shmconc
 * object on its first call and that should not be timed.  Then it checks
 * in and spins until every worker has, runs its share and reports its
 * start and end times, its CPU time and its sleeps.  Returns 0, or 1
 * after a failing call (the error is in res).
 *
 * The start is a busy spin on purpose.  On the 2-vCPU KVM guest this was
 * written on, a worker woken from a sleeping barrier was often put on its
 * peer's CPU rather than on the idle one (probably because the kernel
 * takes a halted vCPU for a preempted one), and the two then took turns
 * by time slices, with a handful of hand-offs in the whole run; a
 * sched_yield loop did no better.  Workers that spin keep their vCPUs
 * running and mostly start within microseconds.  The runs where a new
 * worker is still stacked on its peer's CPU, or where the host takes a
 * vCPU away, show up as a late start or a low CPUs figure and are done
 * again (see LATE_PCT and PAR_MIN).
 */
static int
worker(void *arg)
{
	const struct job *j = arg;
	struct shared *sh = j->sh;
	uint64_t cpu;
	long i, sleeps;
	int r;

	r = mx_lock(j);
	if (r == 0)
		r = mx_unlock(j);
	sh->res[j->who].err = r;
	/* Even a failed worker checks in, or the others spin for ever. */
	start_line(&sh->ready, WORKERS);
	if (r != 0)
		return 1;
	sh->res[j->who].start_ns = now_ns();
	cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	sleeps = sleeps_so_far();
	for (i = 0; i < j->iters; i++) {
		r = mx_lock(j);
		if (r != 0)
			break;
		sh->counter++;
		if (sh->last != j->who) {
			sh->handoffs++;
			sh->last = j->who;
		}
		r = mx_unlock(j);
		if (r != 0)
			break;
	}
	sh->res[j->who].end_ns = now_ns();
	sh->res[j->who].cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu;
	sh->res[j->who].sleeps = sleeps_so_far() - sleeps;
	sh->res[j->who].err = r;
	return r != 0;
}

/*
 * One contended run: WORKERS tasks (mode SHMC_PROCESS or SHMC_THREAD)
 * share total lock+unlock pairs of mutex k.  The run lasts from the first
 * worker's start to the last one's end.  It is spoilt if a worker started
 * more than LATE_PCT percent of the run after another, or if fewer than
 * PAR_MIN CPUs worked on average.  Exits with a message if a worker fails
 * or the counter is wrong.
 */
static struct run
contended(enum kind k, struct shmc_mutex *m, struct shared *sh, int mode,
    long total)
{
	struct shmc_task *task[WORKERS];
	struct job job[WORKERS];
	struct run run;
	uint64_t first = UINT64_MAX, last = 0, end = 0;
	double cpus = 0;
	long slept = 0;
	int w, r, status;
	const char *what;

	what = mode & SHMC_PROCESS ? "processes" : "threads";
	sh->counter = 0;
	sh->handoffs = 0;
	sh->last = -1;
	atomic_store_explicit(&sh->ready, 0, memory_order_relaxed);
	alarm(RUN_LIMIT_S);
	for (w = 0; w < WORKERS; w++) {
		job[w].sh = sh;
		job[w].m = m;
		job[w].kind = k;
		job[w].who = w;
		job[w].iters = total / WORKERS + (w < total % WORKERS);
		memset(&sh->res[w], 0, sizeof(sh->res[w]));
		r = shmc_task_spawn(mode, worker, &job[w], &task[w]);
		if (r != 0)
			errx(1, "contended %s, %s: spawn: %s", kind_name[k],
			    what, shmc_strerror(r));
	}
	for (w = 0; w < WORKERS; w++) {
		r = shmc_task_join(task[w], &status);
		if (r != 0)
			errx(1, "contended %s, %s: join: %s", kind_name[k],
			    what, shmc_strerror(r));
		if (sh->res[w].err != 0)
			errx(1, "contended %s, %s: worker %d: %s",
			    kind_name[k], what, w,
			    shmc_strerror(sh->res[w].err));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			errx(1, "contended %s, %s: worker %d died (status %#x)",
			    kind_name[k], what, w, (unsigned int)status);
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
	/* One line per run; it names exactly two workers. */
	if (verbose)
		fprintf(stderr, "%s, %s: %.2f ms, starts +%.0f +%.0f us, "
		    "ends +%.0f +%.0f us, %.2f CPUs, %llu hand-offs, "
		    "%ld sleeps\n", kind_name[k], what,
		    (double)(end - first) / 1e6,
		    (double)(sh->res[0].start_ns - first) / 1e3,
		    (double)(sh->res[1].start_ns - first) / 1e3,
		    (double)(sh->res[0].end_ns - first) / 1e3,
		    (double)(sh->res[1].end_ns - first) / 1e3, cpus,
		    (unsigned long long)sh->handoffs, slept);
	if (sh->counter != (uint64_t)total)
		errx(1, "contended %s, %s: counter is %llu, expected %ld: "
		    "mutual exclusion failed", kind_name[k], what,
		    (unsigned long long)sh->counter, total);
	run.ns = (double)(end - first) / (double)total;
	run.handoffs = (double)sh->handoffs * 1000 / (double)total;
	run.sleeps = (double)slept * 1000 / (double)total;
	run.cpus = cpus;
	run.spoilt = (last - first) * 100 > (end - first) * LATE_PCT ||
	    run.cpus < PAR_MIN;
	return run;
}

/* Make the two glibc baselines in the shared mapping. */
static void
init_pthread(struct shared *sh)
{
	pthread_mutexattr_t a;
	int r;

	if ((r = pthread_mutexattr_init(&a)) != 0 ||
	    (r = pthread_mutexattr_setpshared(&a,
	    PTHREAD_PROCESS_SHARED)) != 0 ||
	    (r = pthread_mutex_init(&sh->plain, &a)) != 0 ||
	    (r = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)) != 0 ||
	    (r = pthread_mutex_init(&sh->robust, &a)) != 0)
		errx(1, "pthread mutex: %s", strerror(r));
	pthread_mutexattr_destroy(&a);
}

/* A row's label and figure in this table's columns (bench_figure). */
static void
print_figure(const char *label, struct stats st, int prec, int more)
{
	bench_figure(label, 28, st, prec, more ? 22 : 0);
}

/*
 * The header: what machine and libraries the figures belong to, and the
 * environment that changes shmconc's behaviour.
 */
static void
print_header(int runs, long n, long m)
{
	long ncpu;

	ncpu = bench_header("mutex", runs);
	printf("pairs per run: %ld uncontended, %ld contended\n", n, m);
	bench_env();
	if (ncpu < WORKERS)
		printf("warning: %d workers on %ld CPUs: the contended figures "
		    "measure the scheduler\n", WORKERS, ncpu);
}

/*
 * The uncontended section: a warm-up round, then runs rounds of the three
 * kinds in turn, then the table rows and the verdict on the target.
 */
static void
section_uncontended(struct shmc_mutex *m, struct shared *sh, int runs,
    long n)
{
	double v[NKINDS][RUNS_MAX], ratio[RUNS_MAX];
	struct stats st;
	int i, k, kk;

	for (k = 0; k < NKINDS; k++)
		(void)uncontended((enum kind)k, m, sh, n);
	for (i = 0; i < runs; i++) {
		for (kk = 0; kk < NKINDS; kk++) {
			k = i % 2 ? NKINDS - 1 - kk : kk;
			v[k][i] = uncontended((enum kind)k, m, sh, n);
		}
		ratio[i] = v[K_SHMC][i] / v[K_ROBUST][i];
	}
	printf("%-30s%s\n", "uncontended lock+unlock", "ns/pair");
	for (k = 0; k < NKINDS; k++)
		print_figure(kind_name[k], summarize(v[k], runs), 1, 0);
	st = summarize(ratio, runs);
	print_figure("ratio shmc/robust", st, 2, 1);
	bench_target("<=", 2, TARGET, "", st.med <= TARGET);
}

/*
 * A contended section, with processes or with threads: a warm-up round,
 * then runs rounds of shmc_mutex and the robust baseline in turn.  A
 * spoilt run would flatter its mutex (it was partly uncontended), so it is
 * done again, up to RETRIES times; a note after the rows says how often
 * that happened.
 */
static void
section_contended(struct shmc_mutex *m, struct shared *sh, int mode,
    int runs, long total)
{
	static const enum kind kinds[] = { K_SHMC, K_ROBUST };
	double v[2][RUNS_MAX], h[2][RUNS_MAX], s[2][RUNS_MAX], c[2][RUNS_MAX];
	double ratio[RUNS_MAX];
	struct run run;
	char title[64];
	int i, k, kk, try, nredo = 0, nkept = 0;

	for (k = 0; k < 2; k++)
		(void)contended(kinds[k], m, sh, mode, total);
	for (i = 0; i < runs; i++) {
		for (kk = 0; kk < 2; kk++) {
			k = i % 2 ? 1 - kk : kk;
			for (try = 0;; try++) {
				run = contended(kinds[k], m, sh, mode, total);
				if (!run.spoilt || try == RETRIES)
					break;
				nredo++;
			}
			nkept += run.spoilt;
			v[k][i] = run.ns;
			h[k][i] = run.handoffs;
			s[k][i] = run.sleeps;
			c[k][i] = run.cpus;
		}
		ratio[i] = v[0][i] / v[1][i];
	}
	snprintf(title, sizeof(title), "contended, %d %s", WORKERS,
	    mode & SHMC_PROCESS ? "processes" : "threads");
	printf("%-30s%-22s%-12s%-10s%s\n", title, "ns/pair", "handoff/1k",
	    "sleep/1k", "CPUs");
	for (k = 0; k < 2; k++) {
		print_figure(kind_name[kinds[k]], summarize(v[k], runs), 1,
		    1);
		printf("%-12.1f%-10.2f%.2f\n", summarize(h[k], runs).med,
		    summarize(s[k], runs).med, summarize(c[k], runs).med);
	}
	print_figure("ratio shmc/robust", summarize(ratio, runs), 2, 1);
	printf("(report)\n");
	if (nredo > 0)
		printf("  note: %d runs redone because the workers did not "
		    "contend, %d kept\n", nredo, nkept);
}

static void
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f, "usage: mutex-bench [-hqv] [-r runs]\n"
	    "  -h       print this help and exit\n"
	    "  -q       quick: %ld uncontended and %ld contended pairs per "
	    "run\n"
	    "           instead of %ld and %ld (a smoke test)\n"
	    "  -r runs  runs per figure, 1..%d (default %d)\n"
	    "  -v       describe every contended run on stderr\n",
	    UNCONT_N_QUICK, CONT_M_QUICK, UNCONT_N, CONT_M, RUNS_MAX,
	    RUNS_DEFAULT);
	exit(status);
}

int
main(int argc, char **argv)
{
	struct shmc_mutex *m;
	struct shared *sh;
	long n = UNCONT_N, total = CONT_M;
	int r, runs = RUNS_DEFAULT;

	if (bench_options(argc, argv, &runs, usage)) {
		n = UNCONT_N_QUICK;
		total = CONT_M_QUICK;
	}

	bench_alarm("mutex-bench: a contended run took too long; deadlock?\n");
	sh = bench_map_shared(sizeof(*sh));
	init_pthread(sh);
	r = shmc_mutex_open(NULL, SHMC_CREAT, NULL, &m);
	if (r != 0)
		errx(1, "shmc_mutex_open: %s", shmc_strerror(r));

	print_header(runs, n, total);
	fflush(stdout);
	section_uncontended(m, sh, runs, n);
	fflush(stdout);
	section_contended(m, sh, SHMC_PROCESS | SHMC_DIE_WITH_PARENT, runs,
	    total);
	fflush(stdout);
	section_contended(m, sh, SHMC_THREAD, runs, total);

	shmc_mutex_close(m);
	pthread_mutex_destroy(&sh->robust);
	pthread_mutex_destroy(&sh->plain);
	munmap(sh, sizeof(*sh));
	return 0;
}
