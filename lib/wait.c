/*
 * Blocking: deadlines, bounded spinning, and sleeps bounded by the tick.
 *
 * Every blocking call in libshmconc waits for a shared word to change, in
 * two phases.  First it spins, re-reading the word for a bounded time
 * (SHMCONC_SPIN_US, default 20 us): on a small virtual machine a wake-up
 * through the kernel costs 20-30 us while a cache-line transfer costs well
 * under a microsecond, so a peer that answers quickly is seen without any
 * system call.  Then it sleeps on the word with a futex, never longer than
 * the liveness tick (default 100 ms): a sleeper wakes at least once a tick
 * to check whether the peer it waits for is still alive, which bounds the
 * time to notice a dead owner, a disconnected peer or a lost wake-up.  A
 * sleeping waiter uses no CPU.
 *
 * The word protocol (which values mean what, who sets a waiters bit) is the
 * caller's; this file only waits.  Deadlines are absolute CLOCK_MONOTONIC
 * times, so retries after a tick or a signal never stretch a wait.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "futex.h"
#include "shm.h"
#include "wait.h"

#define NSEC_PER_SEC    1000000000L

/* The most pause instructions between two reads of a word we spin on. */
#define SPIN_BACKOFF_MAX        64

/*
 * The spin budget in nanoseconds, read once from SHMCONC_SPIN_US.  -1 means
 * not read yet.  Two threads may both compute it; they compute the same
 * value, so relaxed accesses suffice.
 */
static _Atomic long spin_ns = -1;

/*
 * How far this thread's spins are cut: the budget is shifted right so.
 * One spin in SPIN_PROBE of a cut thread has the whole budget (see
 * shmc__spin_slip); spins counts them.
 */
#define SPIN_CUT_MAX    5
#define SPIN_PROBE      64
static SHMC__TLS unsigned int spin_cut, spins;

/* A hint to the CPU that we are spinning (and to a hyperthread sibling). */
static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/*
 * Parse a whole decimal number from the environment variable var into
 * *value if it is present and lies in lo..hi.  Returns 1 if it did.
 */
static int
env_number(const char *var, long lo, long hi, long *value)
{
	const char *s;
	char *end;
	long v;

	s = getenv(var);
	if (s == NULL || *s == '\0')
		return 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < lo || v > hi)
		return 0;
	*value = v;
	return 1;
}

/* Can this process run on one CPU only? */
static int
one_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		return CPU_COUNT(&set) == 1;
	return sysconf(_SC_NPROCESSORS_ONLN) == 1;
}

static long
spin_budget(void)
{
	long ns, us;

	ns = atomic_load_explicit(&spin_ns, memory_order_relaxed);
	if (SHMC__LIKELY(ns >= 0))
		return ns;
	us = SHMC__SPIN_DEFAULT_US;
	(void)env_number("SHMCONC_SPIN_US", 0, SHMC__SPIN_MAX_US, &us);
	/*
	 * With one CPU the peer cannot run while we spin: never spin.  One
	 * CPU online, or a process confined to one (taskset -c 0), as it was
	 * at its first wait.
	 */
	if (one_cpu())
		us = 0;
	atomic_store_explicit(&spin_ns, us * 1000, memory_order_relaxed);
	return us * 1000;
}

/*
 * The tick of a new handle: the attribute if set, else SHMCONC_TICK_MS,
 * else the default.  The attribute was range-checked by the caller.
 */
unsigned int
shmc__tick_ms(unsigned int attr_tick_ms)
{
	long ms = SHMC__TICK_DEFAULT_MS;

	if (attr_tick_ms != 0)
		return attr_tick_ms;
	(void)env_number("SHMCONC_TICK_MS", 1, SHMC__TICK_MAX_MS, &ms);
	return (unsigned int)ms;
}

/*
 * Spin until done(arg) is true, for at most the spin budget.  Returns 1 if
 * it became true, 0 if the budget ran out.  Between tries we back off
 * exponentially, up to 64 pause instructions (a few microseconds at most):
 * reading a word in a tight loop keeps pulling its cache line away from
 * the participant that is about to change it, which made a contended mutex
 * hand-off three times slower in our benchmark.  The clock is read at the
 * second try, then every 8: through the vDSO it costs some 20 ns, as much
 * as a short wait, which the first try often ends; the budget counts from
 * there.
 *
 * slip: pause so many times before the first try (see the channel's
 * slip_next: a side that waits so lets a stream of messages build up).
 *
 * The budget adapts, per thread: every spin that ran out halves the next
 * one, down to a 32nd, and every spin that succeeded doubles it back.  A
 * spin only pays when the peer runs on another CPU at the same time; when
 * the scheduler stacks both on one CPU (more workers than CPUs, or a busy
 * machine) every spin runs out and only delays the sleep that lets the
 * peer run, so after a few such misses we spin briefly.  But a peer that
 * runs and takes a little longer than the cut budget (a sender copying 64
 * KiB, 10 us on a slow day) would then keep us sleeping for every message,
 * each sleep costing it a wake-up, and no spin would ever succeed to undo
 * the cut: one spin in SPIN_PROBE has the whole budget, and its success
 * undoes the cut at once.  A receiver waiting for messages 20 us apart
 * slept for 70% of them, and now for 19%.
 */
int
shmc__spin_slip(int (*done)(const void *arg), const void *arg,
    unsigned int slip)
{
	uint64_t end = 0, t;
	unsigned int i, n, backoff = 1;
	int probe;
	long budget;

	budget = spin_budget();
	probe = spin_cut > 0 && ++spins % SPIN_PROBE == 0;
	if (!probe)
		budget >>= spin_cut;
	if (budget > 0)
		for (n = 0; n < slip; n++)
			cpu_relax();
	for (i = 1;; i++) {
		if (done(arg)) {
			if (probe)
				spin_cut = 0;
			else if (spin_cut > 0)
				spin_cut--;
			return 1;
		}
		if (budget == 0)
			break;
		if (i == 2 || (i & 7) == 0) {
			t = now_ns();
			if (end == 0)
				end = t + (uint64_t)budget;
			else if (t >= end)
				break;
		}
		for (n = 0; n < backoff; n++)
			cpu_relax();
		if (backoff < SPIN_BACKOFF_MAX)
			backoff <<= 1;
	}
	if (spin_cut < SPIN_CUT_MAX)
		spin_cut++;
	return 0;
}

int
shmc__spin(int (*done)(const void *arg), const void *arg)
{
	return shmc__spin_slip(done, arg, 0);
}

struct word_seen {
	shmc__word *word;
	uint32_t seen;
};

static int
word_changed(const void *arg)
{
	const struct word_seen *ws = arg;

	/*
	 * Acquire: once we see the new value, everything its writer
	 * published before its release store is visible to the caller, who
	 * goes on to read the state the word guards.
	 */
	return atomic_load_explicit(ws->word, memory_order_acquire) !=
	    ws->seen;
}

/* Spin while *word == seen; 1 if it changed within the spin budget. */
int
shmc__spin_while(shmc__word *word, uint32_t seen)
{
	struct word_seen ws = { word, seen };

	return shmc__spin(word_changed, &ws);
}

/*
 * Is the segment that word lies in lost (shm.c)?  A word in a lost
 * segment may read as zeros for ever, and nobody can wake it: its sleeper
 * must not go round its loop again.  Before a sleep this costs one relaxed
 * load while nothing is lost; after a tick (ticked) it also compares the
 * file's size with the mapping, one fstat, which finds a truncation that
 * no access has run into.
 */
static int
word_lost(shmc__word *word, int ticked)
{
	if (ticked)
		return shmc__addr_lost(word, 1);
	/* Relaxed: as in shmc__seg_lost; shmc__addr_lost fences. */
	if (SHMC__LIKELY(atomic_load_explicit(&shmc__lost,
	    memory_order_relaxed) == 0))
		return 0;
	return shmc__addr_lost(word, 0);
}

/*
 * Sleep while *word == seen, until woken, the deadline (NULL for none) or
 * the caller's next liveness check, *due (CLOCK_MONOTONIC nanoseconds; 0:
 * one tick from now).  Returns 0 when woken or when the word had already
 * changed (the caller re-reads it), ETIMEDOUT once the deadline has
 * passed, and ETIME once *due has come, then setting *due to 0: the caller
 * checks the liveness of the peer it waits for.  *due is the caller's, kept
 * across the rounds of its wait, so that wake-ups coming faster than the
 * tick (other waiters' progress, signals) cannot put the check off for
 * ever.  Signals are absorbed.  ENODATA if word's segment is lost (found
 * before the sleep or when the check is due): the caller returns it.
 */
int
shmc__sleep_while(shmc__word *word, uint32_t seen,
    const struct timespec *deadline, unsigned int tick_ms, uint64_t *due)
{
	struct timespec ts, until;
	uint64_t now;
	int ticked = 1, r;

	if (word_lost(word, 0))
		return ENODATA;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* Compared as a timespec: a deadline before the epoch has passed. */
	if (deadline != NULL && (ts.tv_sec > deadline->tv_sec ||
	    (ts.tv_sec == deadline->tv_sec && ts.tv_nsec >= deadline->tv_nsec)))
		return ETIMEDOUT;
	now = (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
	if (*due == 0)
		*due = now + (uint64_t)tick_ms * 1000000;
	if (now < *due) {
		until.tv_sec = (time_t)(*due / NSEC_PER_SEC);
		until.tv_nsec = (long)(*due % NSEC_PER_SEC);
		if (deadline != NULL && (deadline->tv_sec < until.tv_sec ||
		    (deadline->tv_sec == until.tv_sec &&
		    deadline->tv_nsec < until.tv_nsec))) {
			until = *deadline;
			ticked = 0;
		}
		/*
		 * A signal handler interrupts the wait (the kernel does not
		 * restart a futex wait with a timeout): wait again until the
		 * same instant.
		 */
		do
			r = shmc__futex_wait(word, seen, &until);
		while (r == EINTR);
		if (r != ETIMEDOUT)
			return 0;
		if (!ticked)
			return ETIMEDOUT;
	}
	*due = 0;
	return word_lost(word, 1) ? ENODATA : ETIME;
}
