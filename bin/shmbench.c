/*
 * shmbench: processes versus threads, measured.
 *
 * The same workloads run with SHMC_PROCESS and with SHMC_THREAD workers
 * (both through shmc_task_spawn), and the channel's 64-byte transfers also
 * run through a pipe, a POSIX message queue and a SOCK_SEQPACKET
 * socketpair between processes, as baselines, and its 64 KiB transfers
 * through a pipe of 1 MiB.  One table comes out: text, CSV or JSON.
 * shmbench(1) says what each row measures.
 *
 * Method.  Each figure is the median of R runs (-r) with the minimum and
 * the maximum.  Within a round of the channel section the ways of passing
 * messages take turns, and each ratio to a baseline is taken within one
 * round, so that the noise of a shared machine falls on both sides of it;
 * the median of those ratios is reported.  Times come from
 * CLOCK_MONOTONIC; nothing is pinned.  Every run is verified: exit
 * statuses, counters, the values of every round trip, and the sender,
 * sequence number and trailer of every message.  A failed check ends the
 * program with status 71, as does a run that outlasts the alarm.
 *
 * Workers wait for each other at a starting line by spinning (with a
 * sched_yield now and then, since with 4 senders there are more of them
 * than CPUs on small machines).  The contended mutex runs are redone when
 * the two workers did not actually run side by side (a late start, or
 * fewer than PAR_MIN CPUs busy on average), as in bench/mutex-bench.c.
 *
 * Only the public API of libshmconc is used.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <gnu/libc-version.h>
#include <limits.h>
#include <math.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <shmconc.h>

#include "bin/cli.h"

#define NSEC_PER_SEC    1000000000L
#define LINE            64
#define MAXW            64      /* workers of one run, at most */
#define RUNS_DEFAULT    7
#define RUNS_QUICK      3
#define RUNS_MAX        101
#define LATE_PCT        5       /* a later start than this spoils a run */
#define PAR_MIN         1.5     /* and so do fewer CPUs at work than this */
#define RETRIES         3       /* how often to redo a spoilt run */
#define SMALL           64      /* bytes of a small message */
#define BIG             65536   /* bytes of a big message */
#define SMALL_CAP       1024    /* channel capacity for small messages */
#define BIG_CAP         64      /* and for big ones */
#define BIG_PIPE        1048576 /* pipe buffer for big messages */
#define MQ_MAXMSG       10      /* the usual default limit */
#define TRAILER         0x5a5a5a5a5a5a5a5aULL
#define MAXFIG          64
#define MAXNOTE         8

enum { M_PROC, M_THREAD, NMODES };
static const char *const mode_name[NMODES] = { "process", "thread" };
static const int mode_flags[NMODES] = {
	SHMC_PROCESS | SHMC_DIE_WITH_PARENT, SHMC_THREAD
};

/* The counts of one run; quick or full. */
struct counts {
	long spawn;             /* workers spawned and joined per run */
	long idle;              /* idle workers per memory run */
	long uncont;            /* uncontended lock+unlock pairs */
	long handoff;           /* contended pairs, both workers together */
	long pingpong;          /* MVar round trips */
	long chan;              /* 64-byte messages through shmc_chan */
	long base;              /* 64-byte messages through a baseline */
	long big;               /* 64 KiB messages */
	unsigned int limit;     /* alarm per run, seconds */
};

static const struct counts full_counts = {
	64, 32, 4000000, 2000000, 200000, 5000000, 200000, 32000, 300
};
static const struct counts quick_counts = {
	16, 8, 200000, 40000, 2000, 20000, 4000, 400, 60
};

/* What the parent and every worker share: one MAP_SHARED mapping. */
struct shared {
	_Alignas(LINE) atomic_int ready;
	_Alignas(LINE) atomic_int go;
	_Alignas(LINE) uint64_t counter;
	uint64_t handoffs;
	int last;
	struct {
		_Alignas(LINE) uint64_t start_ns;
		uint64_t end_ns;
		uint64_t cpu_ns;
		double val[2];
		int err;                /* a library error, or -1: see msg */
		char msg[160];
	} res[MAXW];
};

/* A worker's orders. */
struct job {
	struct shared *sh;
	int who;
	int nready;             /* participants at the starting line */
	long iters;
	int kind;               /* channel section: way of passing */
	int fd;                 /* pipe or socket to write, idle pipe */
	mqd_t mq;
	struct shmc_mutex *m;
	struct shmc_mvar *a, *b;
	struct shmc_chan *ch;
	size_t size;            /* message size */
	int mode;               /* memory probe: M_PROC or M_THREAD */
};

/* One row of the table: a measure, for one mode or one pair of ways. */
struct fig {
	const char *id;
	const char *label;
	const char *unit;
	const char *mode;
	int prec;
	int na;
	double med, min, max;
};

static struct fig figs[MAXFIG];
static int nfigs;
static char notes[MAXNOTE][200];
static int nnotes;
static struct shared *sh;
static struct counts cnt;
static int runs = RUNS_DEFAULT;

enum { F_TEXT, F_CSV, F_JSON };

static const char synopsis[] =
    "shmbench [-q] [-r runs] [--csv | --json]\n"
    "shmbench -h | -V\n";

static void note(const char *fmt, ...) CLI_PRINTF(1, 2);

static void
note(const char *fmt, ...)
{
	va_list ap;

	if (nnotes == MAXNOTE)
		return;
	va_start(ap, fmt);
	vsnprintf(notes[nnotes++], sizeof(notes[0]), fmt, ap);
	va_end(ap);
}

static uint64_t
clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t
now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	atomic_signal_fence(memory_order_seq_cst);
#endif
}

/* Check in at the starting line and spin until n participants have. */
static void
start_line(int n)
{
	unsigned long spins = 0;

	atomic_fetch_add_explicit(&sh->ready, 1, memory_order_acq_rel);
	while (atomic_load_explicit(&sh->ready, memory_order_acquire) < n) {
		cpu_relax();
		if (++spins % 4096 == 0)
			sched_yield();
	}
}

/* Reset the shared state before a run of n workers. */
static void
reset(int n)
{
	int w;

	atomic_store(&sh->ready, 0);
	atomic_store(&sh->go, 0);
	sh->counter = 0;
	sh->handoffs = 0;
	sh->last = -1;
	for (w = 0; w < n && w < MAXW; w++)
		memset(&sh->res[w], 0, sizeof(sh->res[w]));
}

/* A worker records what went wrong, for the parent to report. */
static int
wfail(int who, int err, const char *fmt, ...) CLI_PRINTF(3, 4);

static int
wfail(int who, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sh->res[who].msg, sizeof(sh->res[who].msg), fmt, ap);
	va_end(ap);
	sh->res[who].err = err != 0 ? err : -1;
	return 1;
}

/* A check failed: say what and exit 71. */
static void vfail(const char *fmt, ...) CLI_PRINTF(1, 2) CLI_NORETURN;

static void
vfail(const char *fmt, ...)
{
	char buf[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	cli_failx(CLI_OSERR, "%s", buf);
}

static struct shmc_task *
spawn(int mode, int (*fn)(void *), void *arg, const char *what)
{
	struct shmc_task *t;
	int r;

	r = shmc_task_spawn(mode_flags[mode], fn, arg, &t);
	if (r != 0)
		vfail("%s, %s: spawn: %s", what, mode_name[mode],
		    shmc_strerror(r));
	return t;
}

/* Join worker who and check that it exited 0 without a complaint. */
static void
join_ok(struct shmc_task *t, int who, int mode, const char *what)
{
	int r, status;

	r = shmc_task_join(t, &status);
	if (r != 0)
		vfail("%s, %s: join: %s", what, mode_name[mode],
		    shmc_strerror(r));
	if (sh->res[who].err != 0)
		vfail("%s, %s: worker %d: %s%s%s", what, mode_name[mode], who,
		    sh->res[who].msg, sh->res[who].err > 0 ? ": " : "",
		    sh->res[who].err > 0 ? shmc_strerror(sh->res[who].err) :
		    "");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		vfail("%s, %s: worker %d died (status %#x)", what,
		    mode_name[mode], who, (unsigned int)status);
}

/* SIGALRM: a run took far too long. */
static void
on_alarm(int sig)
{
	static const char msg[] =
	    "shmbench: a run took too long (hung?); giving up\n";
	ssize_t n;

	(void)sig;
	n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)n;
	_exit(CLI_OSERR);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Add a row from n measured values.  Every figure must be a positive
 * finite number; anything else is a failed measurement.
 */
static void
add_fig(const char *id, const char *label, const char *unit,
    const char *mode, int prec, const double *v, int n)
{
	double s[RUNS_MAX];
	struct fig *f;
	int i;

	if (nfigs == MAXFIG)
		vfail("too many figures");
	for (i = 0; i < n; i++)
		if (!isfinite(v[i]) || v[i] <= 0)
			vfail("%s, %s: measured %g %s, not a positive figure",
			    label, mode, v[i], unit);
	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	f = &figs[nfigs++];
	f->id = id;
	f->label = label;
	f->unit = unit;
	f->mode = mode;
	f->prec = prec;
	f->na = 0;
	f->min = s[0];
	f->max = s[n - 1];
	f->med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void
add_na(const char *id, const char *label, const char *unit,
    const char *mode)
{
	struct fig *f;

	if (nfigs == MAXFIG)
		vfail("too many figures");
	f = &figs[nfigs++];
	memset(f, 0, sizeof(*f));
	f->id = id;
	f->label = label;
	f->unit = unit;
	f->mode = mode;
	f->na = 1;
}

/* ---- spawn + join ------------------------------------------------- */

static int
w_return(void *arg)
{
	return (int)(intptr_t)arg % 200 + 1;
}

/* Spawn n workers that return at once, then join them: us per worker. */
static double
run_spawn(int mode, long n)
{
	struct shmc_task *t[MAXW];
	uint64_t t0, t1;
	long i;
	int r, status;

	alarm(cnt.limit);
	t0 = now_ns();
	for (i = 0; i < n; i++)
		t[i] = spawn(mode, w_return, (void *)(intptr_t)i,
		    "spawn+join");
	for (i = 0; i < n; i++) {
		r = shmc_task_join(t[i], &status);
		if (r != 0)
			vfail("spawn+join, %s: join: %s", mode_name[mode],
			    shmc_strerror(r));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != i % 200 + 1)
			vfail("spawn+join, %s: worker %ld: status %#x, "
			    "expected exit %ld", mode_name[mode], i,
			    (unsigned int)status, i % 200 + 1);
	}
	t1 = now_ns();
	alarm(0);
	return (double)(t1 - t0) / (double)n / 1e3;
}

/* ---- memory per idle worker --------------------------------------- */

/* A value in kB from a /proc file of "Key:   123 kB" lines, or -1. */
static long
proc_kb(const char *path, const char *key)
{
	char line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

/* An idle worker: check in, then block in read(2) until released. */
static int
w_idle(void *arg)
{
	const struct job *j = arg;
	char c;

	atomic_fetch_add(&sh->ready, 1);
	if (read(j->fd, &c, 1) != 1)
		return wfail(j->who, errno, "idle worker: read");
	return 0;
}

/*
 * The memory probe, a process of its own (a fresh fork in which no thread
 * ever ran, so that no cached thread stack is reused).  One idle worker
 * is started first and kept: it takes the one-time costs.  Then n more:
 * processes are measured by the sum of the PSS of each one
 * (/proc/PID/smaps_rollup), threads by the growth of the probe's VmRSS
 * and VmSize (/proc/self/status).  The figures per worker go to
 * res[0].val.
 */
static int
probe_mem(void *arg)
{
	const struct job *pj = arg;
	struct shmc_task *t[MAXW + 1];
	struct job job[MAXW + 1];
	long n = pj->iters, i, rss0 = 0, vm0 = 0, rss1, vm1, pss, sum = 0;
	char path[64], buf[MAXW + 1];
	pid_t pid;
	int fd[2], r, status;

	if (pipe(fd) < 0)
		return wfail(0, errno, "memory probe: pipe");
	atomic_store(&sh->ready, 0);
	for (i = 0; i <= n; i++) {
		job[i] = *pj;
		job[i].who = 1 + (int)i;
		job[i].fd = fd[0];
		if (i == 1) {
			while (atomic_load(&sh->ready) < 1)
				usleep(1000);
			rss0 = proc_kb("/proc/self/status", "VmRSS");
			vm0 = proc_kb("/proc/self/status", "VmSize");
		}
		r = shmc_task_spawn(mode_flags[pj->mode], w_idle, &job[i],
		    &t[i]);
		if (r != 0)
			return wfail(0, r, "memory probe: spawn");
	}
	while (atomic_load(&sh->ready) < n + 1)
		usleep(1000);
	/* Let any page the workers touch on their way to read(2) settle. */
	usleep(20000);
	if (pj->mode == M_PROC) {
		for (i = 1; i <= n; i++) {
			if ((r = shmc_task_pid(t[i], &pid)) != 0)
				return wfail(0, r, "memory probe: pid");
			snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup",
			    (long)pid);
			pss = proc_kb(path, "Pss");
			if (pss <= 0)
				return wfail(0, 0, "memory probe: no Pss in "
				    "%s", path);
			sum += pss;
		}
		sh->res[0].val[0] = (double)sum / (double)n;
	} else {
		rss1 = proc_kb("/proc/self/status", "VmRSS");
		vm1 = proc_kb("/proc/self/status", "VmSize");
		if (rss0 <= 0 || vm0 <= 0 || rss1 <= 0 || vm1 <= 0)
			return wfail(0, 0, "memory probe: no VmRSS or VmSize "
			    "in /proc/self/status");
		sh->res[0].val[0] = (double)(rss1 - rss0) / (double)n;
		sh->res[0].val[1] = (double)(vm1 - vm0) / (double)n;
	}
	memset(buf, 'x', sizeof(buf));
	if (write(fd[1], buf, (size_t)n + 1) != n + 1)
		return wfail(0, errno, "memory probe: write");
	for (i = 0; i <= n; i++) {
		r = shmc_task_join(t[i], &status);
		if (r != 0)
			return wfail(0, r, "memory probe: join");
		if (sh->res[i + 1].err != 0)
			return wfail(0, sh->res[i + 1].err > 0 ?
			    sh->res[i + 1].err : 0, "memory probe: %s",
			    sh->res[i + 1].msg);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return wfail(0, 0, "memory probe: worker died "
			    "(status %#x)", (unsigned int)status);
	}
	return 0;
}

static void
run_memory(int mode, double *per, double *vm)
{
	struct shmc_task *t;
	struct job pj;

	memset(&pj, 0, sizeof(pj));
	pj.sh = sh;
	pj.mode = mode;
	pj.iters = cnt.idle;
	reset(MAXW);
	alarm(cnt.limit);
	t = spawn(M_PROC, probe_mem, &pj, "memory probe");
	join_ok(t, 0, M_PROC, "memory probe");
	alarm(0);
	*per = sh->res[0].val[0];
	*vm = sh->res[0].val[1];
}

/* ---- mutex -------------------------------------------------------- */

static int
w_uncont(void *arg)
{
	const struct job *j = arg;
	uint64_t t0, t1;
	long i;
	int r;

	r = shmc_mutex_lock(j->m);      /* attaches a thread; not timed */
	if (r == 0)
		r = shmc_mutex_unlock(j->m);
	t0 = now_ns();
	for (i = 0; i < j->iters && r == 0; i++) {
		r = shmc_mutex_lock(j->m);
		if (r == 0)
			r = shmc_mutex_unlock(j->m);
	}
	t1 = now_ns();
	if (r != 0)
		return wfail(j->who, r, "lock+unlock");
	sh->res[j->who].val[0] = (double)(t1 - t0) / (double)j->iters;
	return 0;
}

static double
run_uncont(int mode, struct shmc_mutex *m)
{
	struct shmc_task *t;
	struct job j;

	memset(&j, 0, sizeof(j));
	j.sh = sh;
	j.m = m;
	j.iters = cnt.uncont;
	reset(1);
	alarm(cnt.limit);
	t = spawn(mode, w_uncont, &j, "mutex uncontended");
	join_ok(t, 0, mode, "mutex uncontended");
	alarm(0);
	return sh->res[0].val[0];
}

static int
w_handoff(void *arg)
{
	const struct job *j = arg;
	uint64_t cpu;
	long i;
	int r;

	r = shmc_mutex_lock(j->m);
	if (r == 0)
		r = shmc_mutex_unlock(j->m);
	if (r != 0)
		wfail(j->who, r, "first lock");
	start_line(j->nready);          /* even after a failure */
	if (r != 0)
		return 1;
	sh->res[j->who].start_ns = now_ns();
	cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (i = 0; i < j->iters; i++) {
		if ((r = shmc_mutex_lock(j->m)) != 0)
			break;
		sh->counter++;
		if (sh->last != j->who) {
			sh->handoffs++;
			sh->last = j->who;
		}
		if ((r = shmc_mutex_unlock(j->m)) != 0)
			break;
	}
	sh->res[j->who].end_ns = now_ns();
	sh->res[j->who].cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu;
	if (r != 0)
		return wfail(j->who, r, "lock or unlock");
	return 0;
}

/* One contended run; *spoilt when the workers did not run side by side. */
static double
run_handoff(int mode, struct shmc_mutex *m, int *spoilt)
{
	struct shmc_task *t[2];
	struct job j[2];
	uint64_t first = UINT64_MAX, last = 0, end = 0;
	double cpus = 0;
	int w;

	reset(2);
	alarm(cnt.limit);
	for (w = 0; w < 2; w++) {
		memset(&j[w], 0, sizeof(j[w]));
		j[w].sh = sh;
		j[w].m = m;
		j[w].who = w;
		j[w].nready = 2;
		j[w].iters = cnt.handoff / 2 + (w < cnt.handoff % 2);
		t[w] = spawn(mode, w_handoff, &j[w], "mutex hand-off");
	}
	for (w = 0; w < 2; w++) {
		join_ok(t[w], w, mode, "mutex hand-off");
		if (sh->res[w].start_ns < first)
			first = sh->res[w].start_ns;
		if (sh->res[w].start_ns > last)
			last = sh->res[w].start_ns;
		if (sh->res[w].end_ns > end)
			end = sh->res[w].end_ns;
		cpus += (double)sh->res[w].cpu_ns /
		    (double)(sh->res[w].end_ns - sh->res[w].start_ns + 1);
	}
	alarm(0);
	if (sh->counter != (uint64_t)cnt.handoff)
		vfail("mutex hand-off, %s: counter is %llu, expected %ld: "
		    "mutual exclusion failed", mode_name[mode],
		    (unsigned long long)sh->counter, cnt.handoff);
	if (sh->handoffs < 1)
		vfail("mutex hand-off, %s: no hand-off counted",
		    mode_name[mode]);
	*spoilt = (last - first) * 100 > (end - first) * LATE_PCT ||
	    cpus < PAR_MIN;
	return (double)(end - first) / (double)cnt.handoff;
}

/* ---- MVar ping-pong ----------------------------------------------- */

static int
w_ping(void *arg)
{
	const struct job *j = arg;
	uint64_t v, got;
	size_t len;
	long i;
	int r;

	for (i = -1; i < j->iters; i++) {
		if (i == 0) {
			start_line(2);
			sh->res[j->who].start_ns = now_ns();
		}
		v = (uint64_t)i * 2 + 1;
		if ((r = shmc_mvar_put(j->a, &v, sizeof(v))) != 0)
			return wfail(j->who, r, "put");
		if ((r = shmc_mvar_take(j->b, &got, sizeof(got), &len)) != 0)
			return wfail(j->who, r, "take");
		if (len != sizeof(got) || got != v + 1)
			return wfail(j->who, 0, "round trip %ld: got %llu, "
			    "expected %llu", i, (unsigned long long)got,
			    (unsigned long long)(v + 1));
	}
	sh->res[j->who].end_ns = now_ns();
	return 0;
}

static int
w_pong(void *arg)
{
	const struct job *j = arg;
	uint64_t v;
	size_t len;
	long i;
	int r;

	for (i = -1; i < j->iters; i++) {
		if (i == 0)
			start_line(2);
		if ((r = shmc_mvar_take(j->a, &v, sizeof(v), &len)) != 0)
			return wfail(j->who, r, "take");
		if (len != sizeof(v) || v != (uint64_t)i * 2 + 1)
			return wfail(j->who, 0, "round trip %ld: got %llu",
			    i, (unsigned long long)v);
		v++;
		if ((r = shmc_mvar_put(j->b, &v, sizeof(v))) != 0)
			return wfail(j->who, r, "put");
	}
	return 0;
}

static double
run_pingpong(int mode, struct shmc_mvar *a, struct shmc_mvar *b)
{
	struct shmc_task *t[2];
	struct job j[2];
	int w, empty = 0;

	reset(2);
	alarm(cnt.limit);
	for (w = 0; w < 2; w++) {
		memset(&j[w], 0, sizeof(j[w]));
		j[w].sh = sh;
		j[w].who = w;
		j[w].a = a;
		j[w].b = b;
		j[w].iters = cnt.pingpong;
		t[w] = spawn(mode, w ? w_pong : w_ping, &j[w],
		    "MVar round trip");
	}
	for (w = 0; w < 2; w++)
		join_ok(t[w], w, mode, "MVar round trip");
	alarm(0);
	if (shmc_mvar_is_empty(a, &empty) != 0 || !empty ||
	    shmc_mvar_is_empty(b, &empty) != 0 || !empty)
		vfail("MVar round trip, %s: an MVar is left full",
		    mode_name[mode]);
	return (double)(sh->res[0].end_ns - sh->res[0].start_ns) /
	    (double)cnt.pingpong / 1e3;
}

/* ---- channel and baselines ---------------------------------------- */

enum { K_CHAN, K_PIPE, K_MQ, K_SEQ, NKINDS };
static const char *const kind_name[NKINDS] = {
	"shmc_chan", "pipe", "POSIX mq", "SOCK_SEQPACKET"
};

/* Message layout: sender, sequence number, ..., sequence ^ TRAILER. */
static void
stamp(unsigned char *buf, size_t size, uint32_t who, uint64_t seq)
{
	uint64_t tr = seq ^ TRAILER;

	memcpy(buf, &who, sizeof(who));
	memcpy(buf + 8, &seq, sizeof(seq));
	memcpy(buf + size - 8, &tr, sizeof(tr));
}

/*
 * Write one message to a pipe: 0 or an error number.  Up to PIPE_BUF
 * bytes the first write(2) takes it all, atomically, so that the messages
 * of several senders never mix; a bigger one may go in pieces, and only
 * one sender sends such messages.
 */
static int
write_msg(int fd, const unsigned char *buf, size_t size)
{
	size_t done = 0;
	ssize_t n;

	while (done < size) {
		n = write(fd, buf + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		done += (size_t)n;
	}
	return 0;
}

static int
w_send(void *arg)
{
	const struct job *j = arg;
	unsigned char *buf;
	ssize_t n;
	long i;
	int r = 0;

	buf = calloc(1, j->size);
	if (buf == NULL)
		return wfail(j->who, ENOMEM, "sender");
	start_line(j->nready);
	for (i = 0; i < j->iters; i++) {
		stamp(buf, j->size, (uint32_t)j->who, (uint64_t)i);
		switch (j->kind) {
		case K_CHAN:
			r = shmc_chan_send(j->ch, buf, j->size);
			break;
		case K_MQ:
			r = mq_send(j->mq, (const char *)buf, j->size, 0) < 0 ?
			    errno : 0;
			break;
		case K_PIPE:
			r = write_msg(j->fd, buf, j->size);
			break;
		default:
			n = send(j->fd, buf, j->size, 0);
			r = n < 0 ? errno : (size_t)n != j->size ? EIO : 0;
			break;
		}
		if (r == EINTR) {
			i--;
			continue;
		}
		if (r != 0) {
			free(buf);
			return wfail(j->who, r, "send %ld", i);
		}
	}
	free(buf);
	return 0;
}

/* The objects of one way of passing messages. */
struct way {
	int kind;
	size_t size;
	struct shmc_chan *ch;
	mqd_t mq;
	int fd[2];
};

static int mq_ok;               /* mq_open works here */
static char mq_why[120];
static int pipe_small;          /* big pipes that kept the default size */
static char pipe_why[120];

static void
way_open(struct way *w, int kind, size_t size)
{
	struct shmc_attr attr;
	struct mq_attr ma;
	char name[64];
	int r;

	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->size = size;
	w->fd[0] = w->fd[1] = -1;
	switch (kind) {
	case K_CHAN:
		memset(&attr, 0, sizeof(attr));
		attr.size = (unsigned int)size;
		attr.capacity = size == BIG ? BIG_CAP : SMALL_CAP;
		r = shmc_chan_open(NULL, SHMC_CREAT | SHMC_SENDER |
		    SHMC_RECEIVER, &attr, &w->ch);
		if (r != 0)
			vfail("shmc_chan_open: %s", shmc_strerror(r));
		break;
	case K_MQ:
		snprintf(name, sizeof(name), "/shmbench.%ld", (long)getpid());
		memset(&ma, 0, sizeof(ma));
		ma.mq_maxmsg = MQ_MAXMSG;
		ma.mq_msgsize = (long)size;
		w->mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &ma);
		if (w->mq == (mqd_t)-1)
			vfail("mq_open: %s", strerror(errno));
		mq_unlink(name);
		break;
	case K_PIPE:
		if (pipe(w->fd) < 0)
			vfail("pipe: %s", strerror(errno));
		/* Refused (pipe-max-size, a user's limit): keep the default. */
		if (size > PIPE_BUF &&
		    fcntl(w->fd[1], F_SETPIPE_SZ, BIG_PIPE) < 0 &&
		    pipe_small++ == 0)
			snprintf(pipe_why, sizeof(pipe_why), "%s",
			    strerror(errno));
		break;
	default:
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, w->fd) < 0)
			vfail("socketpair: %s", strerror(errno));
		break;
	}
}

/*
 * Receive one message into buf; 0 or an error number (EPIPE: the end).
 * A pipe is a stream: read until the message is whole, or the stream
 * ends; *len then says how much came, and a short message is a torn one.
 */
static int
way_recv(struct way *w, unsigned char *buf, size_t *len)
{
	size_t got = 0;
	ssize_t n;

	for (;;) {
		switch (w->kind) {
		case K_CHAN:
			return shmc_chan_recv(w->ch, buf, w->size, len);
		case K_MQ:
			n = mq_receive(w->mq, (char *)buf, w->size, NULL);
			break;
		case K_PIPE:
			n = read(w->fd[0], buf + got, w->size - got);
			break;
		default:
			n = recv(w->fd[0], buf, w->size, 0);
			break;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0 && got == 0)
			return EPIPE;
		got += (size_t)n;
		if (w->kind == K_PIPE && n > 0 && got < w->size)
			continue;
		*len = got;
		return 0;
	}
}

/*
 * One run: s senders (mode) send total messages of w->size bytes to the
 * parent, the receiver.  The time runs from the starting line to the
 * last message.  Returns messages per second; every message is checked.
 */
static double
run_chan(int mode, int kind, size_t size, int s, long total)
{
	struct shmc_task *t[MAXW];
	struct job j[MAXW];
	struct way w;
	struct timespec dl;
	unsigned char *buf;
	uint64_t next[MAXW], seq, tr, t0, t1;
	uint32_t who;
	size_t len;
	long i;
	int k, r;
	char what[80];
	struct mq_attr ma;

	snprintf(what, sizeof(what), "%s, %zu bytes, %d sender%s",
	    kind_name[kind], size, s, s > 1 ? "s" : "");
	way_open(&w, kind, size);
	buf = malloc(size);
	if (buf == NULL)
		vfail("%s: out of memory", what);
	reset(s);
	alarm(cnt.limit);
	for (k = 0; k < s; k++) {
		memset(&j[k], 0, sizeof(j[k]));
		j[k].sh = sh;
		j[k].who = k;
		j[k].nready = s + 1;
		j[k].kind = kind;
		j[k].size = size;
		j[k].ch = w.ch;
		j[k].mq = w.mq;
		j[k].fd = w.fd[1];
		j[k].iters = total / s + (k < total % s);
		next[k] = 0;
		t[k] = spawn(mode, w_send, &j[k], what);
	}
	/* Only the senders' write ends may keep the stream open. */
	if (kind == K_PIPE || kind == K_SEQ) {
		close(w.fd[1]);
		w.fd[1] = -1;
	}
	start_line(s + 1);
	t0 = now_ns();
	for (i = 0; i < total; i++) {
		if ((r = way_recv(&w, buf, &len)) != 0)
			vfail("%s, %s: receive %ld of %ld: %s", what,
			    mode_name[mode], i, total, kind == K_CHAN ?
			    shmc_strerror(r) : strerror(r));
		memcpy(&who, buf, sizeof(who));
		memcpy(&seq, buf + 8, sizeof(seq));
		memcpy(&tr, buf + size - 8, sizeof(tr));
		if (len != size || who >= (uint32_t)s ||
		    seq != next[who] || tr != (seq ^ TRAILER))
			vfail("%s, %s: message %ld is wrong (%zu bytes, "
			    "sender %u, number %llu): lost, doubled, torn or "
			    "out of order", what, mode_name[mode], i, len,
			    who, (unsigned long long)seq);
		next[who]++;
	}
	t1 = now_ns();
	for (k = 0; k < s; k++) {
		join_ok(t[k], k, mode, what);
		if (next[k] != (uint64_t)j[k].iters)
			vfail("%s, %s: %llu messages of sender %d, expected "
			    "%ld", what, mode_name[mode],
			    (unsigned long long)next[k], k, j[k].iters);
	}
	/* The end of the stream, and nothing left over. */
	switch (kind) {
	case K_CHAN:
		(void)shmc_chan_shutdown(w.ch);
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl.tv_sec += 10;
		r = shmc_chan_timedrecv(w.ch, buf, size, &len, &dl);
		if (r != EPIPE)
			vfail("%s, %s: after the last message: %s, expected "
			    "the end of the channel", what, mode_name[mode],
			    r == 0 ? "one more message" : shmc_strerror(r));
		shmc_chan_close(w.ch);
		break;
	case K_MQ:
		if (mq_getattr(w.mq, &ma) < 0 || ma.mq_curmsgs != 0)
			vfail("%s: messages left in the queue", what);
		mq_close(w.mq);
		break;
	default:
		r = way_recv(&w, buf, &len);
		if (r != EPIPE)
			vfail("%s: after the last message: %s, expected the "
			    "end of file", what,
			    r == 0 ? "one more message" : strerror(r));
		close(w.fd[0]);
		break;
	}
	alarm(0);
	free(buf);
	return (double)total * NSEC_PER_SEC / (double)(t1 - t0 + 1);
}

/* Can this system make a POSIX message queue of 64-byte messages? */
static void
probe_mq(void)
{
	struct mq_attr ma;
	char name[64];
	mqd_t q;

	snprintf(name, sizeof(name), "/shmbench.%ld", (long)getpid());
	memset(&ma, 0, sizeof(ma));
	ma.mq_maxmsg = MQ_MAXMSG;
	ma.mq_msgsize = SMALL;
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &ma);
	if (q == (mqd_t)-1) {
		snprintf(mq_why, sizeof(mq_why), "%s", strerror(errno));
		return;
	}
	mq_unlink(name);
	mq_close(q);
	mq_ok = 1;
}

/* ---- the sections ------------------------------------------------- */

static void
section_tasks(void)
{
	double v[NMODES][RUNS_MAX], vm[RUNS_MAX], dummy;
	int i, m, mm;

	/* First, while no thread has ever run in this process. */
	for (i = 0; i < runs; i++)
		for (mm = 0; mm < NMODES; mm++) {
			m = i % 2 ? NMODES - 1 - mm : mm;
			run_memory(m, &v[m][i], m == M_THREAD ? &vm[i] :
			    &dummy);
		}
	add_fig("idle_memory", "memory per idle worker", "KiB",
	    mode_name[M_PROC], 0, v[M_PROC], runs);
	add_fig("idle_memory", "memory per idle worker", "KiB",
	    mode_name[M_THREAD], 0, v[M_THREAD], runs);
	add_fig("address_space", "address space per idle thread", "KiB",
	    mode_name[M_THREAD], 0, vm, runs);

	for (m = 0; m < NMODES; m++)
		(void)run_spawn(m, cnt.spawn);  /* warm-up */
	for (i = 0; i < runs; i++)
		for (mm = 0; mm < NMODES; mm++) {
			m = i % 2 ? NMODES - 1 - mm : mm;
			v[m][i] = run_spawn(m, cnt.spawn);
		}
	for (m = 0; m < NMODES; m++)
		add_fig("spawn_join", "spawn + join", "us/worker",
		    mode_name[m], 1, v[m], runs);
}

static void
section_mutex(void)
{
	struct shmc_mutex *mx;
	double v[NMODES][RUNS_MAX];
	int i, m, mm, try, spoilt, redone = 0, kept = 0, r;

	if ((r = shmc_mutex_open(NULL, SHMC_CREAT, NULL, &mx)) != 0)
		vfail("shmc_mutex_open: %s", shmc_strerror(r));
	for (i = 0; i < runs; i++)
		for (mm = 0; mm < NMODES; mm++) {
			m = i % 2 ? NMODES - 1 - mm : mm;
			v[m][i] = run_uncont(m, mx);
		}
	for (m = 0; m < NMODES; m++)
		add_fig("mutex_uncontended", "mutex lock+unlock, uncontended",
		    "ns/pair", mode_name[m], 1, v[m], runs);
	for (m = 0; m < NMODES; m++)
		(void)run_handoff(m, mx, &spoilt);      /* warm-up */
	for (i = 0; i < runs; i++)
		for (mm = 0; mm < NMODES; mm++) {
			m = i % 2 ? NMODES - 1 - mm : mm;
			for (try = 0;; try++) {
				v[m][i] = run_handoff(m, mx, &spoilt);
				if (!spoilt || try == RETRIES)
					break;
				redone++;
			}
			kept += spoilt;
		}
	for (m = 0; m < NMODES; m++)
		add_fig("mutex_handoff", "mutex hand-off, 2 workers",
		    "ns/pair", mode_name[m], 1, v[m], runs);
	if (redone > 0)
		note("mutex hand-off: %d runs redone because the workers did "
		    "not run side by side; %d such runs kept", redone, kept);
	shmc_mutex_close(mx);
}

static void
section_mvar(void)
{
	struct shmc_attr attr;
	struct shmc_mvar *a, *b;
	double v[NMODES][RUNS_MAX];
	int i, m, mm, r;

	memset(&attr, 0, sizeof(attr));
	attr.size = 8;
	if ((r = shmc_mvar_open(NULL, SHMC_CREAT, &attr, &a)) != 0 ||
	    (r = shmc_mvar_open(NULL, SHMC_CREAT, &attr, &b)) != 0)
		vfail("shmc_mvar_open: %s", shmc_strerror(r));
	for (m = 0; m < NMODES; m++)
		(void)run_pingpong(m, a, b);    /* warm-up */
	for (i = 0; i < runs; i++)
		for (mm = 0; mm < NMODES; mm++) {
			m = i % 2 ? NMODES - 1 - mm : mm;
			v[m][i] = run_pingpong(m, a, b);
		}
	for (m = 0; m < NMODES; m++)
		add_fig("mvar_roundtrip", "MVar ping-pong round trip",
		    "us", mode_name[m], 2, v[m], runs);
	shmc_mvar_close(a);
	shmc_mvar_close(b);
}

static const char *const chan_id[3] = {
	"chan64_1", "chan64_2", "chan64_4"
};
static const char *const chan_label[3] = {
	"shmc_chan 64 B, 1 sender", "shmc_chan 64 B, 2 senders",
	"shmc_chan 64 B, 4 senders"
};
static const char *const base_id[NKINDS][3] = {
	{ NULL, NULL, NULL },
	{ "pipe64_1", "pipe64_2", "pipe64_4" },
	{ "mq64_1", "mq64_2", "mq64_4" },
	{ "seqpacket64_1", "seqpacket64_2", "seqpacket64_4" },
};
static const char *const base_label[NKINDS][3] = {
	{ NULL, NULL, NULL },
	{ "pipe 64 B, 1 sender", "pipe 64 B, 2 senders",
	  "pipe 64 B, 4 senders" },
	{ "POSIX mq 64 B, 1 sender", "POSIX mq 64 B, 2 senders",
	  "POSIX mq 64 B, 4 senders" },
	{ "seqpacket 64 B, 1 sender", "seqpacket 64 B, 2 senders",
	  "seqpacket 64 B, 4 senders" },
};
static const char *const ratio_id[NKINDS][3] = {
	{ NULL, NULL, NULL },
	{ "ratio_pipe_1", "ratio_pipe_2", "ratio_pipe_4" },
	{ "ratio_mq_1", "ratio_mq_2", "ratio_mq_4" },
	{ "ratio_seqpacket_1", "ratio_seqpacket_2", "ratio_seqpacket_4" },
};
static const char *const ratio_label[NKINDS][3] = {
	{ NULL, NULL, NULL },
	{ "shmc_chan/pipe, 1 sender", "shmc_chan/pipe, 2 senders",
	  "shmc_chan/pipe, 4 senders" },
	{ "shmc_chan/mq, 1 sender", "shmc_chan/mq, 2 senders",
	  "shmc_chan/mq, 4 senders" },
	{ "shmc_chan/seqpacket, 1 sender",
	  "shmc_chan/seqpacket, 2 senders",
	  "shmc_chan/seqpacket, 4 senders" },
};

static void
section_chan(void)
{
	static const int senders[3] = { 1, 2, 4 };
	double c[NMODES][3][RUNS_MAX], b[NKINDS][3][RUNS_MAX];
	double ratio[NKINDS][3][RUNS_MAX], big[NMODES][RUNS_MAX];
	double bigpipe[RUNS_MAX], bigratio[RUNS_MAX];
	int i, si, m, k, kk, nk = NKINDS;

	probe_mq();
	if (!mq_ok)
		note("POSIX mq: n/a: mq_open: %s", mq_why);
	(void)run_chan(M_PROC, K_CHAN, SMALL, 1, cnt.chan / 4); /* warm-up */
	for (i = 0; i < runs; i++)
		for (si = 0; si < 3; si++)
			/* chan process, chan thread, then the baselines */
			for (kk = 0; kk < nk + 1; kk++) {
				k = i % 2 ? nk - kk : kk;
				if (k <= 1) {
					m = k;
					c[m][si][i] = run_chan(m, K_CHAN, SMALL,
					    senders[si], cnt.chan);
				} else if (k - 1 != K_MQ || mq_ok) {
					b[k - 1][si][i] = run_chan(M_PROC,
					    k - 1, SMALL, senders[si],
					    cnt.base);
				}
			}
	for (i = 0; i < runs; i++)
		for (si = 0; si < 3; si++)
			for (k = K_PIPE; k < NKINDS; k++)
				ratio[k][si][i] = c[M_PROC][si][i] /
				    b[k][si][i];
	for (si = 0; si < 3; si++)
		for (m = 0; m < NMODES; m++)
			add_fig(chan_id[si], chan_label[si], "msg/s",
			    mode_name[m], 0, c[m][si], runs);
	for (i = 0; i < runs; i++)
		/* chan process, chan thread, then the pipe, as above */
		for (kk = 0; kk < NMODES + 1; kk++) {
			k = i % 2 ? NMODES - kk : kk;
			if (k < NMODES)
				big[k][i] = run_chan(k, K_CHAN, BIG, 1,
				    cnt.big) * BIG / 1e9;
			else
				bigpipe[i] = run_chan(M_PROC, K_PIPE, BIG, 1,
				    cnt.big) * BIG / 1e9;
		}
	for (i = 0; i < runs; i++)
		bigratio[i] = big[M_PROC][i] / bigpipe[i];
	if (pipe_small > 0)
		note("pipe 64 KiB: F_SETPIPE_SZ %d: %s; %d of %d runs used "
		    "the default pipe size", BIG_PIPE, pipe_why, pipe_small,
		    runs);
	for (m = 0; m < NMODES; m++)
		add_fig("chan64k_1", "shmc_chan 64 KiB, 1 sender", "GB/s",
		    mode_name[m], 2, big[m], runs);
	for (k = K_PIPE; k < NKINDS; k++)
		for (si = 0; si < 3; si++) {
			if (k == K_MQ && !mq_ok)
				add_na(base_id[k][si], base_label[k][si],
				    "msg/s", mode_name[M_PROC]);
			else
				add_fig(base_id[k][si], base_label[k][si],
				    "msg/s", mode_name[M_PROC], 0, b[k][si],
				    runs);
		}
	add_fig("pipe64k_1", "pipe 64 KiB, 1 sender", "GB/s",
	    mode_name[M_PROC], 2, bigpipe, runs);
	for (k = K_PIPE; k < NKINDS; k++)
		for (si = 0; si < 3; si++) {
			if (k == K_MQ && !mq_ok)
				add_na(ratio_id[k][si], ratio_label[k][si],
				    "x", mode_name[M_PROC]);
			else
				add_fig(ratio_id[k][si], ratio_label[k][si],
				    "x", mode_name[M_PROC], 2, ratio[k][si],
				    runs);
		}
	add_fig("ratio_pipe64k_1", "shmc_chan/pipe, 64 KiB", "x",
	    mode_name[M_PROC], 2, bigratio, runs);
}

/* ---- output ------------------------------------------------------- */

struct machine {
	long ncpu;
	char kernel[65];
	const char *glibc;
	char warn[2][200];
	int nwarn;
};

static void
machine(struct machine *mc)
{
	struct utsname u;

	memset(mc, 0, sizeof(*mc));
	mc->ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (uname(&u) < 0)
		strcpy(mc->kernel, "?");
	else
		snprintf(mc->kernel, sizeof(mc->kernel), "%s", u.release);
	mc->glibc = gnu_get_libc_version();
	if (mc->ncpu < 5)
		snprintf(mc->warn[mc->nwarn++], sizeof(mc->warn[0]),
		    "workers outnumber CPUs: 4 senders + 1 receiver on %ld "
		    "CPU%s; those figures include time slicing", mc->ncpu,
		    mc->ncpu == 1 ? "" : "s");
	if (mc->ncpu < 2)
		snprintf(mc->warn[mc->nwarn++], sizeof(mc->warn[0]),
		    "2 workers on 1 CPU: the hand-off and ping-pong figures "
		    "measure the scheduler");
}

static void
cell(char *buf, size_t size, const struct fig *f)
{
	if (f == NULL)
		snprintf(buf, size, "-");
	else if (f->na)
		snprintf(buf, size, "n/a");
	else
		snprintf(buf, size, "%.*f [%.*f..%.*f]", f->prec, f->med,
		    f->prec, f->min, f->prec, f->max);
}

static void
print_text(const struct machine *mc, int quick)
{
	const struct fig *p, *t;
	char a[64], b[64];
	int i, k, seen;

	printf("shmbench: %ld CPUs, Linux %s, glibc %s, libshmconc %s\n",
	    mc->ncpu, mc->kernel, mc->glibc, shmc_version());
	printf("%d runs per figure%s: median [min..max]\n", runs,
	    quick ? " (quick)" : "");
	for (i = 0; i < mc->nwarn; i++)
		printf("warning: %s\n", mc->warn[i]);
	printf("\n%-32s %-10s %-30s %s\n", "measure", "unit", "processes",
	    "threads");
	for (i = 0; i < nfigs; i++) {
		for (seen = 0, k = 0; k < i; k++)
			if (strcmp(figs[k].id, figs[i].id) == 0)
				seen = 1;
		if (seen)
			continue;
		p = t = NULL;
		for (k = i; k < nfigs; k++)
			if (strcmp(figs[k].id, figs[i].id) == 0) {
				if (strcmp(figs[k].mode, "process") == 0)
					p = &figs[k];
				else
					t = &figs[k];
			}
		cell(a, sizeof(a), p);
		cell(b, sizeof(b), t);
		printf("%-32s %-10s %-30s %s\n", figs[i].label, figs[i].unit,
		    a, b);
	}
	for (i = 0; i < nnotes; i++)
		printf("note: %s\n", notes[i]);
}

static void
print_csv(const struct machine *mc)
{
	int i;

	for (i = 0; i < mc->nwarn; i++)
		fprintf(stderr, "%s: warning: %s\n", cli_progname,
		    mc->warn[i]);
	for (i = 0; i < nnotes; i++)
		fprintf(stderr, "%s: note: %s\n", cli_progname, notes[i]);
	printf("measure,mode,unit,median,min,max\n");
	for (i = 0; i < nfigs; i++)
		if (figs[i].na)
			printf("%s,%s,%s,n/a,n/a,n/a\n", figs[i].id,
			    figs[i].mode, figs[i].unit);
		else
			printf("%s,%s,%s,%.6g,%.6g,%.6g\n", figs[i].id,
			    figs[i].mode, figs[i].unit, figs[i].med,
			    figs[i].min, figs[i].max);
}

/* A JSON string. */
static void
jstr(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
print_json(const struct machine *mc, int quick)
{
	int i;

	printf("{\n  \"program\": \"shmbench\",\n  \"libshmconc\": ");
	jstr(shmc_version());
	printf(",\n  \"machine\": {\"cpus\": %ld, \"kernel\": ", mc->ncpu);
	jstr(mc->kernel);
	printf(", \"glibc\": ");
	jstr(mc->glibc);
	printf("},\n  \"runs\": %d,\n  \"quick\": %s,\n  \"warnings\": [",
	    runs, quick ? "true" : "false");
	for (i = 0; i < mc->nwarn; i++) {
		printf(i ? ", " : "");
		jstr(mc->warn[i]);
	}
	printf("],\n  \"notes\": [");
	for (i = 0; i < nnotes; i++) {
		printf(i ? ", " : "");
		jstr(notes[i]);
	}
	printf("],\n  \"figures\": [\n");
	for (i = 0; i < nfigs; i++) {
		printf("    {\"measure\": ");
		jstr(figs[i].id);
		printf(", \"label\": ");
		jstr(figs[i].label);
		printf(", \"mode\": ");
		jstr(figs[i].mode);
		printf(", \"unit\": ");
		jstr(figs[i].unit);
		if (figs[i].na)
			printf(", \"median\": null, \"min\": null, "
			    "\"max\": null}");
		else
			printf(", \"median\": %.6g, \"min\": %.6g, "
			    "\"max\": %.6g}", figs[i].med, figs[i].min,
			    figs[i].max);
		printf(i + 1 < nfigs ? ",\n" : "\n");
	}
	printf("  ]\n}\n");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "csv",        no_argument,            NULL, 'c' },
		{ "json",       no_argument,            NULL, 'j' },
		{ "help",       no_argument,            NULL, 'h' },
		{ "quick",      no_argument,            NULL, 'q' },
		{ "runs",       required_argument,      NULL, 'r' },
		{ "version",    no_argument,            NULL, 'V' },
		{ NULL,         0,                      NULL, 0 }
	};
	struct machine mc;
	int ch, quick = 0, fmt = F_TEXT, runs_set = 0;
	long v;

	cli_init(argv[0]);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":hqr:V", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			fmt = F_CSV;
			break;
		case 'j':
			fmt = F_JSON;
			break;
		case 'h':
			cli_usage(CLI_OK, synopsis);
			break;
		case 'q':
			quick = 1;
			break;
		case 'r':
			if (cli_number(optarg, 1, RUNS_MAX, &v) != 0) {
				cli_warn(0, "bad number of runs '%s' "
				    "(1..%d)", optarg, RUNS_MAX);
				cli_usage(CLI_USAGE, synopsis);
			}
			runs = (int)v;
			runs_set = 1;
			break;
		case 'V':
			printf("shmbench (shmconc) %s\n", shmc_version());
			return CLI_OK;
		case ':':
			cli_warn(0, "option %s needs an argument",
			    argv[optind - 1]);
			cli_usage(CLI_USAGE, synopsis);
			break;
		default:
			if (optopt != 0)
				cli_warn(0, "unknown option '-%c'", optopt);
			else
				cli_warn(0, "unknown option '%s'",
				    argv[optind - 1]);
			cli_usage(CLI_USAGE, synopsis);
		}
	}
	if (optind != argc) {
		cli_warn(0, "unexpected operand '%s'", argv[optind]);
		cli_usage(CLI_USAGE, synopsis);
	}
	cnt = quick ? quick_counts : full_counts;
	if (quick && !runs_set)
		runs = RUNS_QUICK;

	signal(SIGALRM, on_alarm);
	signal(SIGPIPE, SIG_IGN);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		vfail("mmap: %s", strerror(errno));
	memset(sh, 0, sizeof(*sh));
	machine(&mc);

	section_tasks();        /* first: the memory probe wants no threads */
	section_mutex();
	section_mvar();
	section_chan();

	if (fmt == F_CSV)
		print_csv(&mc);
	else if (fmt == F_JSON)
		print_json(&mc, quick);
	else
		print_text(&mc, quick);
	if (fflush(stdout) != 0 || ferror(stdout))
		vfail("standard output: %s", strerror(errno));
	return CLI_OK;
}
