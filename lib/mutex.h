/*
 * Robust mutex: shared layout and what the condition variable needs.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef SHMC_MUTEX_H
#define SHMC_MUTEX_H 1

#include <time.h>               /* struct timespec */

#include "internal.h"
#include "peer.h"
#include "shm.h"

/*
 * The lock word: 0 when free, else the owner's participant ID (peer.h)
 * with two flags.  WAITERS: someone may be asleep on the word, so unlock
 * must wake.  INCONS: the owner took the mutex over from a dead owner and
 * has not called consistent.  NOTREC, the reserved all-ones ID, marks a
 * mutex that was unlocked while inconsistent: every lock fails.
 */
#define SHMC__MUTEX_WAITERS     0x80000000U
#define SHMC__MUTEX_INCONS      0x40000000U
#define SHMC__MUTEX_NOTREC      SHMC__ID_MASK

/*
 * The object area: the lock word, and the ID of the last owner that died
 * holding the mutex, written by whoever took it over, for display.
 */
struct shmc__mutex_obj {
	shmc__word word;
	shmc__word died;
	uint32_t reserved[14];
};
_Static_assert(sizeof(struct shmc__mutex_obj) == SHMC__LINE,
    "a mutex is one cache line");

struct shmc_mutex {
	struct shmc__seg *seg;
	struct shmc__mutex_obj *obj;
	unsigned int tick_ms;           /* this handle's liveness tick */
};

int shmc__mutex_owner(struct shmc_mutex *m);
int shmc__lock_word(struct shmc__seg *seg, shmc__word *w, uint32_t me,
    const struct timespec *deadline, unsigned int tick_ms, uint32_t *dead);
int shmc__unlock_word(shmc__word *w, uint32_t me);
int shmc__consistent_word(shmc__word *w, uint32_t me);

#endif /* SHMC_MUTEX_H */
