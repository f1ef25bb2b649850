/*
 * The harness the benchmarks share (see common.h).
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>

#include <err.h>
#include <errno.h>
#include <gnu/libc-version.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmconc.h"
#include "bench/common.h"

int verbose;

/* What SIGALRM prints. */
static const char *alarm_msg;
static size_t alarm_len;

uint64_t
clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

uint64_t
now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

void
start_line(atomic_int *ready, int n)
{
	/*
	 * Acquire and release: each check-in orders its setup before the
	 * others' start.
	 */
	atomic_fetch_add_explicit(ready, 1, memory_order_acq_rel);
	while (atomic_load_explicit(ready, memory_order_acquire) < n)
		cpu_relax();
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct stats
summarize(const double *v, int n)
{
	double s[RUNS_MAX];
	struct stats st;

	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	st.min = s[0];
	st.max = s[n - 1];
	st.med = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	return st;
}

void
switches_so_far(long *vol, long *invol)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru) < 0) {
		*vol = *invol = 0;
		return;
	}
	*vol = ru.ru_nvcsw;
	*invol = ru.ru_nivcsw;
}

long
sleeps_so_far(void)
{
	long vol, invol;

	switches_so_far(&vol, &invol);
	return vol;
}

int
bench_options(int argc, char **argv, int *runs, void (*usage)(int))
{
	long v;
	char *end;
	int ch, quick = 0;

	while ((ch = getopt(argc, argv, "hqr:v")) != -1) {
		switch (ch) {
		case 'h':
			usage(0);
			break;
		case 'q':
			quick = 1;
			break;
		case 'r':
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    v < 1 || v > RUNS_MAX)
				errx(64, "-r: runs must be 1..%d", RUNS_MAX);
			*runs = (int)v;
			break;
		case 'v':
			verbose = 1;
			break;
		default:
			usage(64);
		}
	}
	if (optind != argc)
		usage(64);
	return quick;
}

void *
bench_map_shared(size_t size)
{
	void *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		err(1, "mmap");
	memset(p, 0, size);
	return p;
}

/* SIGALRM: a run has hung; its workers die with us. */
static void
on_alarm(int sig)
{
	ssize_t n;

	(void)sig;
	/* Nothing to do if it fails: we are leaving anyway. */
	n = write(STDERR_FILENO, alarm_msg, alarm_len);
	(void)n;
	_exit(1);
}

void
bench_alarm(const char *msg)
{
	alarm_msg = msg;
	alarm_len = strlen(msg);
	signal(SIGALRM, on_alarm);
}

long
bench_header(const char *what, int runs)
{
	struct utsname u;
	long ncpu;

	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (uname(&u) < 0)
		strcpy(u.release, "?");
	printf("shmconc %s benchmark: %ld CPUs, Linux %s, glibc %s, "
	    "libshmconc %s, %d runs (median [min..max])\n", what, ncpu,
	    u.release, gnu_get_libc_version(), shmc_version(), runs);
	return ncpu;
}

void
bench_env(void)
{
	const char *spin, *tick;

	spin = getenv("SHMCONC_SPIN_US");
	tick = getenv("SHMCONC_TICK_MS");
	if (spin != NULL)
		printf("SHMCONC_SPIN_US=%s\n", spin);
	if (tick != NULL)
		printf("SHMCONC_TICK_MS=%s\n", tick);
}

void
bench_figure(const char *label, int lw, struct stats st, int prec, int fw)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.*f [%.*f..%.*f]", prec, st.med,
	    prec, st.min, prec, st.max);
	if (fw > 0)
		printf("  %-*s%-*s", lw, label, fw, buf);
	else
		printf("  %-*s%s\n", lw, label, buf);
}

void
bench_target(const char *op, int prec, double bound, const char *unit,
    int pass)
{
	printf("target %s %.*f%s %s\n", op, prec, bound, unit,
	    pass ? "PASS" : "FAIL");
}
