/*
 * Blocking: deadlines, bounded spinning, and sleeps bounded by the tick.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef SHMC_WAIT_H
#define SHMC_WAIT_H 1

#include <errno.h>              /* EINVAL */
#include <time.h>               /* struct timespec */

#include "internal.h"

/* The liveness tick: the default and the largest accepted, in ms. */
#define SHMC__TICK_DEFAULT_MS   100
#define SHMC__TICK_MAX_MS       60000

/* The spin before a sleep: the default and the largest, in us. */
#define SHMC__SPIN_DEFAULT_US   20
#define SHMC__SPIN_MAX_US       10000

/*
 * EINVAL for a deadline whose nanoseconds are out of range, as pthreads.
 * Inline: every blocking call makes this check on its fast path.
 */
static inline int
shmc__deadline_valid(const struct timespec *deadline)
{
	if (deadline != NULL &&
	    (deadline->tv_nsec < 0 || deadline->tv_nsec >= 1000000000L))
		return EINVAL;
	return 0;
}
unsigned int shmc__tick_ms(unsigned int attr_tick_ms);
int shmc__spin(int (*done)(const void *arg), const void *arg);
int shmc__spin_slip(int (*done)(const void *arg), const void *arg,
    unsigned int slip);
int shmc__spin_while(shmc__word *word, uint32_t seen);
int shmc__sleep_while(shmc__word *word, uint32_t seen,
    const struct timespec *deadline, unsigned int tick_ms, uint64_t *due);

#endif /* SHMC_WAIT_H */
