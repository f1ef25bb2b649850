/*
 * Condition variable: shared layout.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef SHMC_COND_H
#define SHMC_COND_H 1

#include "internal.h"
#include "shm.h"

/*
 * The object area.  seq is an eventcount: every signal and broadcast adds
 * one.  waiters counts participants that may be asleep on seq, so that a
 * signal with nobody waiting makes no system call.
 */
struct shmc__cond_obj {
	shmc__word seq;
	shmc__word waiters;
	uint32_t reserved[14];
};
_Static_assert(sizeof(struct shmc__cond_obj) == SHMC__LINE,
    "a condition variable is one cache line");

struct shmc_cond {
	struct shmc__seg *seg;
	struct shmc__cond_obj *obj;
	unsigned int tick_ms;           /* this handle's liveness tick */
};

#endif /* SHMC_COND_H */
