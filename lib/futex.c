/*
 * Futex wait and wake on words in shared memory.
 *
 * The only place where libshmconc talks to futex(2), as musl keeps its
 * futex calls in __wait.c and __timedwait.c.  Every word lives in a
 * MAP_SHARED mapping used by several processes, so these are the shared
 * (not FUTEX_PRIVATE_FLAG) operations: the kernel keys the wait queue on
 * the file page and offset, not on this process's address.
 *
 * Deadlines are absolute CLOCK_MONOTONIC times.  FUTEX_WAIT_BITSET takes
 * an absolute timeout on that clock when FUTEX_CLOCK_REALTIME is not set,
 * so a waiter that is interrupted and retries never stretches its wait.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/syscall.h>

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <unistd.h>

#include "futex.h"

/*
 * Sleep while *word equals expected, until woken or the deadline (NULL for
 * none).  The kernel compares the word and queues us atomically with
 * respect to a waker's FUTEX_WAKE, so a wake that follows a change of the
 * word is never lost.  Returns 0 when woken (or spuriously), EAGAIN when
 * the word already differed, ETIMEDOUT at the deadline, EINTR on a signal.
 * The caller always re-reads the word: a return of 0 proves nothing.
 */
int
shmc__futex_wait(shmc__word *word, uint32_t expected,
    const struct timespec *deadline)
{
	long r;
	int saved = errno, e;

	r = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_BITSET, expected,
	    deadline, NULL, FUTEX_BITSET_MATCH_ANY);
	/* Our functions return their errors; they leave errno alone. */
	e = errno;
	errno = saved;
	if (r == 0)
		return 0;
	switch (e) {
	case EAGAIN:
	case ETIMEDOUT:
	case EINTR:
		return e;
	default:
		/*
		 * EFAULT or EINVAL would mean a bad mapping or deadline,
		 * both checked before we get here.  Treat it as a spurious
		 * wake-up: every caller loops with a deadline.
		 */
		return 0;
	}
}

/*
 * Wake up to count sleepers on word (INT_MAX for all).  The caller has
 * already changed the word with a release store or read-modify-write, so
 * a woken sleeper sees the change when it re-reads.
 */
void
shmc__futex_wake(shmc__word *word, int count)
{
	int saved = errno;

	(void)syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, count, NULL,
	    NULL, 0);
	errno = saved;
}
