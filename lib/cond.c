/*
 * Condition variable for shmc_mutex, shared between processes.
 *
 * Overview.  An eventcount (CK's ck_ec, the "sequence word" of DESIGN.md):
 * a waiter reads the sequence number while it still holds the mutex,
 * releases the mutex, and sleeps while the number is unchanged; signal and
 * broadcast add one to it and wake one or all sleepers.  Any signal issued
 * after the waiter released the mutex changes the number, so no wake-up
 * is lost, and the number is the only state a waiter relies on.
 *
 * Why not glibc's process-shared pthread_cond_t: its waiters take turns in
 * groups whose bookkeeping lives in the condvar, and a waiter killed at the
 * wrong moment leaves signal and destroy waiting for it for ever
 * (sourceware bug 21422, reproduced on glibc 2.36).  Here a dead waiter
 * leaves nothing that anyone waits for: signal and broadcast are an atomic
 * add and at most one futex wake, and never block.
 *
 * The waiters count only spares signal a system call when nobody waits.
 * A waiter killed while asleep leaves it one too high for good; the cost
 * is a wasted futex wake per signal, never a lost or blocked one.
 *
 * A futex wake of one sleeper may pick a sleeper whose number is newer
 * than another's; the older one then sees the change at its next tick and
 * returns, as a spurious wake-up, which callers must allow for anyway.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "cond.h"
#include "futex.h"
#include "mutex.h"
#include "peer.h"
#include "wait.h"

/* The object area starts zeroed: free, no waiters. */
const struct shmc__kind shmc__cond_kind = {
	SHMC__KIND_COND, sizeof(struct shmc__cond_obj), NULL, NULL
};

int
shmc_cond_open(const char *name, int flags, const struct shmc_attr *attr,
    struct shmc_cond **out)
{
	static const uint64_t param[SHMC__NPARAM];
	struct shmc_cond *c;
	int r;

	c = malloc(sizeof(*c));
	if (c == NULL)
		return ENOMEM;
	r = shmc__seg_open(name, flags, attr, &shmc__cond_kind, param, NULL,
	    &c->seg, &c->tick_ms);
	if (r != 0) {
		free(c);
		return r;
	}
	c->obj = c->seg->obj;
	*out = c;
	return 0;
}

int
shmc_cond_close(struct shmc_cond *c)
{
	if (c == NULL)
		return 0;
	shmc__seg_close(c->seg);
	free(c);
	return 0;
}

int
shmc_cond_unlink(const char *name)
{
	return shmc__seg_unlink(name, &shmc__cond_kind);
}

/*
 * Wait until the sequence number moves past seen or the deadline passes.
 * Returns 0, ETIMEDOUT or ENODATA.
 */
static int
wait_seq(struct shmc_cond *c, uint32_t seen, const struct timespec *deadline)
{
	shmc__word *seq = &c->obj->seq;
	uint64_t due = 0;
	int r;

	if (shmc__spin_while(seq, seen))
		return 0;
	/*
	 * Announce a sleeper.  Sequentially consistent, with the signaller's
	 * add to seq and load of waiters: either it sees our count and
	 * wakes, or our futex call sees its new number and does not sleep.
	 */
	atomic_fetch_add_explicit(&c->obj->waiters, 1, memory_order_seq_cst);
	for (;;) {
		r = shmc__sleep_while(seq, seen, deadline, c->tick_ms, &due);
		/* ETIMEDOUT, or ENODATA: the object was truncated. */
		if (r != 0 && r != ETIME)
			break;
		/* Acquire: pairs with the signaller's add. */
		if (atomic_load_explicit(seq, memory_order_acquire) != seen) {
			r = 0;
			break;
		}
	}
	/* Relaxed: a count for signallers, ordered by nothing else. */
	atomic_fetch_sub_explicit(&c->obj->waiters, 1, memory_order_relaxed);
	return r;
}

int
shmc_cond_timedwait(struct shmc_cond *c, struct shmc_mutex *m,
    const struct timespec *deadline)
{
	uint32_t me, seen;
	int r, r2;

	/* Check everything before we let go of the mutex. */
	r = shmc__deadline_valid(deadline);
	if (r == 0)
		r = shmc__mutex_owner(m);
	if (r == 0)
		r = shmc__peer_self(c->seg, &me);
	if (r != 0)
		return r;
	/*
	 * Read the number while we hold the mutex: a signaller that changes
	 * the predicate under the mutex and then signals must move it past
	 * this value.  Acquire: pairs with the signaller's add.
	 */
	seen = atomic_load_explicit(&c->obj->seq, memory_order_acquire);
	shmc__peer_waiting(c->seg, me, SHMC__WAIT_COND, 0);
	r = shmc_mutex_unlock(m);
	if (r == 0)
		r = wait_seq(c, seen, deadline);
	shmc__peer_waiting(c->seg, me, SHMC__WAIT_NONE, 0);
	/*
	 * Re-acquire whatever happened; its news outranks a timeout, and a
	 * truncated condition variable.
	 */
	r2 = shmc_mutex_lock(m);
	/*
	 * We let go of m above: a lock word that names us again was written
	 * by a scribbling peer.
	 */
	if (r2 == EDEADLK)
		r2 = EBADMSG;
	return r2 != 0 ? r2 : shmc__seg_check(c->seg, r);
}

int
shmc_cond_wait(struct shmc_cond *c, struct shmc_mutex *m)
{
	return shmc_cond_timedwait(c, m, NULL);
}

/*
 * Move the sequence number on and wake up to count sleepers.  Sequentially
 * consistent, against the waiter's add to waiters (see wait_seq); the add
 * also releases whatever the signaller wrote before, to the waiter's
 * acquire load of seq.
 */
static void
bump(struct shmc_cond *c, int count)
{
	atomic_fetch_add_explicit(&c->obj->seq, 1, memory_order_seq_cst);
	if (atomic_load_explicit(&c->obj->waiters, memory_order_seq_cst) != 0)
		shmc__futex_wake(&c->obj->seq, count);
}

int
shmc_cond_signal(struct shmc_cond *c)
{
	bump(c, 1);
	return shmc__seg_check(c->seg, 0);
}

int
shmc_cond_broadcast(struct shmc_cond *c)
{
	bump(c, INT_MAX);
	return shmc__seg_check(c->seg, 0);
}
