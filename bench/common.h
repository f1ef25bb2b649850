/*
 * The harness the benchmarks share: the clock, the starting line, medians,
 * the options, the header and the figures and verdicts of the table.
 *
 * Each benchmark (mutex-bench, mvar-bench, chan-bench) prints one table of
 * medians [min..max] over its runs, redoes a run that was spoilt (a late
 * start, too few CPUs at work) up to RETRIES times, and ends a run that
 * hangs with SIGALRM.  What a run is, and what spoils it, is each
 * program's own; the constants and the pieces here are common to all of
 * them.  The helpers the programs had before keep their names; the new
 * ones start with bench_.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H 1

#include <stdatomic.h>          /* atomic_int, atomic_signal_fence */
#include <stddef.h>             /* size_t */
#include <stdint.h>             /* uint64_t */
#include <time.h>               /* clockid_t */

#define NSEC_PER_SEC    1000000000L
#define LINE            64      /* cache line size, for padding */
#define RUNS_DEFAULT    7       /* runs per figure (-r) */
#define RUNS_MAX        101
#define RUN_LIMIT_S     600     /* a run longer than this hangs */
#define LATE_PCT        5       /* a later start than this spoils a run */
#define PAR_MIN         1.5     /* and so do fewer CPUs at work than this */
#define RETRIES         5       /* how often to redo a spoilt run */

/* The median, minimum and maximum of one figure over the runs. */
struct stats {
	double med;
	double min;
	double max;
};

/* -v: describe every run on stderr. */
extern int verbose;

/* The time on clock, in nanoseconds; now_ns is CLOCK_MONOTONIC's. */
uint64_t clock_ns(clockid_t clock);
uint64_t now_ns(void);

/* A hint to the CPU that we are spinning. */
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

/*
 * Check in at the starting line *ready and spin until n participants
 * have.  The parent resets *ready before it spawns them.
 */
void start_line(atomic_int *ready, int n);

/* Summarize v[0..n-1] (1 <= n <= RUNS_MAX) without reordering it. */
struct stats summarize(const double *v, int n);

/*
 * The voluntary and involuntary context switches of the calling thread
 * so far (0 if unknown); sleeps_so_far is the voluntary ones.
 */
void switches_so_far(long *vol, long *invol);
long sleeps_so_far(void);

/*
 * Parse the options every benchmark takes, [-hqv] [-r runs]: -r sets
 * *runs and -v verbose; -h calls usage(0), a bad option or an operand
 * usage(64), which exits.  Returns whether -q was given.
 */
int bench_options(int argc, char **argv, int *runs, void (*usage)(int));

/*
 * A new zero-filled MAP_SHARED anonymous mapping of size bytes, for what
 * the parent shares with its workers; exits if there is none.
 */
void *bench_map_shared(size_t size);

/* Make SIGALRM print msg on stderr and exit 1: a run has hung. */
void bench_alarm(const char *msg);

/*
 * The header of the table.  bench_header prints its first line, the
 * machine and the libraries of "shmconc what benchmark", and returns the
 * number of CPUs online; bench_env echoes the environment that changes
 * shmconc's behaviour.
 */
long bench_header(const char *what, int runs);
void bench_env(void);

/*
 * Print a row's label and its figure, "median [min..max]" with prec
 * decimals, after two blanks in columns of lw and fw characters; with fw
 * 0 the figure ends the line instead.
 */
void bench_figure(const char *label, int lw, struct stats st, int prec,
    int fw);

/* Print the verdict on a target: "target op bound[unit] PASS" or FAIL. */
void bench_target(const char *op, int prec, double bound, const char *unit,
    int pass);

#endif /* BENCH_COMMON_H */
