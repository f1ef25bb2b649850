/*
 * MVar: shared layout and handle.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef SHMC_MVAR_H
#define SHMC_MVAR_H 1

#include "internal.h"
#include "shm.h"

/* The largest value an MVar may hold, and the default. */
#define SHMC__MVAR_MAX          (1U << 30)
#define SHMC__MVAR_DEFAULT      4096

/* state: FULL, and which of the two buffers holds the current value. */
#define SHMC__MVAR_FULL         0x2U
#define SHMC__MVAR_CUR          0x1U

/*
 * resv_kind: what the reservation in resv means.  TAKE: the value was
 * handed to that queued taker; PUT: the empty box was handed to that
 * queued putter; HOLD: that participant is running a take_with or modify
 * callback on the value, which stays in the box until it commits.  A HOLD
 * also records, in bits 8-15, the state word it held (SHMC__HELD), so
 * that recovery can tell whether a dead holder had committed.
 */
#define SHMC__RESV_TAKE         1
#define SHMC__RESV_PUT          2
#define SHMC__RESV_HOLD         3
#define SHMC__HELD(state)       (((state) & 0xffU) << 8)

/*
 * Per-participant queue state, in the words the participant table keeps
 * for the primitive (struct shmc__peer prim[]): what it waits for, its
 * ticket (arrival order), and the participant ID it was queued under, so
 * that a slot reclaimed by someone new never inherits a stale entry.
 */
#define SHMC__MV_KIND           0
#define SHMC__MV_TICKET         1
#define SHMC__MV_ID             2
#define SHMC__Q_NONE            0
#define SHMC__Q_TAKE            1
#define SHMC__Q_READ            2
#define SHMC__Q_PUT             3
#define SHMC__Q_GRANT0          4       /* a reader granted buffer 0 */
#define SHMC__Q_GRANT1          5       /* ... or buffer 1 */

/*
 * The object area.  Every word but state is read and written only under
 * the internal lock; state is also read without it (is_empty, spinners).
 * The two value buffers follow, each max bytes rounded up to a cache line.
 *
 *  0 lock        internal robust lock (the mutex.h protocol)
 *  4 state       SHMC__MVAR_FULL | current buffer
 *  8 resv        participant holding a reservation, or 0
 * 12 resv_kind   SHMC__RESV_*
 * 16 restored    1: the value came back from a dead taker or modifier
 * 20 ticket      next queue ticket
 * 24 nq[4]       queued participants by SHMC__Q_* (a hint: recounted by
 *                every scan)
 * 40 rd_pending  readers granted each buffer that have not read it yet
 * 48 len         length of the value in each buffer
 * 56 puts        values put so far, for display
 * 60 max         the largest value: param[0], checked on open
 */
struct shmc__mvar_obj {
	shmc__word lock;
	shmc__word state;
	shmc__word resv;
	shmc__word resv_kind;
	shmc__word restored;
	shmc__word ticket;
	shmc__word nq[4];
	shmc__word rd_pending[2];
	shmc__word len[2];
	shmc__word puts;
	uint32_t max;
	unsigned char data[];
};
_Static_assert(sizeof(struct shmc__mvar_obj) == SHMC__LINE,
    "the MVar's control words are one cache line");
_Static_assert(offsetof(struct shmc__mvar_obj, max) == 60, "MVar layout");

struct shmc_mvar {
	struct shmc__seg *seg;
	struct shmc__mvar_obj *obj;
	unsigned int tick_ms;           /* this handle's liveness tick */
	uint32_t max;                   /* private copy of obj->max */
	unsigned char *buf[2];          /* the buffers, in our mapping */
};

#endif /* SHMC_MVAR_H */
