/*
 * Robust mutex with pthread semantics, shared between processes.
 *
 * Overview.  One 32-bit lock word (mutex.h) holds the owner's participant
 * ID and two flags.  Lock is a compare-and-swap from 0 to our ID: no
 * system call and no table access when uncontended.  A locker that finds
 * the word taken spins for a few microseconds, then sets the WAITERS flag
 * and sleeps on the word with a futex; unlock swaps in 0 and wakes one
 * sleeper if the flag was set (Drepper's "mutex3", as musl and glibc do it).
 *
 * Owner death.  The owner's ID names a participant whose liveness the
 * kernel vouches for (peer.c).  A locker checks it once before its first
 * sleep and again after every tick it sleeps through; if the owner is gone
 * it takes the word over with a CAS from the dead ID to its own ID plus
 * INCONS, and reports EOWNERDEAD.  The CAS makes the takeover exclusive
 * even when several lockers notice the death together.  Then, as with
 * pthread robust mutexes: shmc_mutex_consistent clears INCONS; an unlock
 * with INCONS still set stores NOTREC, and every later lock fails with
 * ENOTRECOVERABLE.  An owner that dies while INCONS is set hands
 * EOWNERDEAD to the next locker again.
 *
 * Unlike glibc's robust mutex there is no robust list: glibc keeps list
 * pointers inside the mutex and the kernel writes through them at thread
 * exit, so a peer scribbling on shared memory could make us write to an
 * address of its choosing.  Our word holds no pointer; a word naming a
 * slot that does not exist is reported as EBADMSG.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "futex.h"
#include "mutex.h"
#include "wait.h"

/*
 * How many times one attempt retries a CAS that lost to a change of the
 * word.  Each loss means another participant made progress; a word that
 * keeps changing this often is being scribbled on.
 */
#define CAS_TRIES       1000

/* The object area starts zeroed: free, no waiters. */
const struct shmc__kind shmc__mutex_kind = {
	SHMC__KIND_MUTEX, sizeof(struct shmc__mutex_obj), NULL, NULL
};

int
shmc_mutex_open(const char *name, int flags, const struct shmc_attr *attr,
    struct shmc_mutex **out)
{
	static const uint64_t param[SHMC__NPARAM];
	struct shmc_mutex *m;
	int r;

	m = malloc(sizeof(*m));
	if (m == NULL)
		return ENOMEM;
	r = shmc__seg_open(name, flags, attr, &shmc__mutex_kind, param, NULL,
	    &m->seg, &m->tick_ms);
	if (r != 0) {
		free(m);
		return r;
	}
	m->obj = m->seg->obj;
	*out = m;
	return 0;
}

int
shmc_mutex_close(struct shmc_mutex *m)
{
	if (m == NULL)
		return 0;
	shmc__seg_close(m->seg);
	free(m);
	return 0;
}

int
shmc_mutex_unlink(const char *name)
{
	return shmc__seg_unlink(name, &shmc__mutex_kind);
}

/*
 * One attempt to take the mutex for participant me, the core of trylock
 * and of the lock loop.  If it is held and check is set, ask the kernel
 * whether the owner lives (one system call) and take it over if not.
 * extra is ORed into the word we store (WAITERS, once we have slept: others
 * may be asleep too).  Returns 0 or EOWNERDEAD when acquired (the dead
 * owner's ID then in *seen), EBUSY with the word seen in *seen when held,
 * or ENOTRECOVERABLE, EDEADLK, EBADMSG.
 */
static int
attempt(struct shmc__seg *seg, shmc__word *w, uint32_t me, uint32_t extra,
    int check, uint32_t *seen)
{
	uint32_t v, owner;
	int tries, alive;

	for (tries = 0; tries < CAS_TRIES; tries++) {
		/* Relaxed: the CAS below re-validates and carries acquire. */
		v = atomic_load_explicit(w, memory_order_relaxed);
		if (v == 0) {
			/*
			 * Acquire on success: pairs with the release in
			 * unlock, so our critical section sees everything
			 * the previous owner wrote in its own.
			 */
			if (atomic_compare_exchange_weak_explicit(w, &v,
			    me | extra, memory_order_acquire,
			    memory_order_relaxed))
				return 0;
			continue;
		}
		if (v == SHMC__MUTEX_NOTREC)
			return ENOTRECOVERABLE;
		owner = v & SHMC__ID_MASK;
		if (owner == me)
			return EDEADLK;
		*seen = v;
		if (!check)
			return EBUSY;
		alive = shmc__peer_alive(seg, owner);
		if (alive > 0)
			return EBUSY;
		if (alive < 0)
			return EBADMSG;
		/*
		 * The owner is gone.  Take over exactly the word we judged,
		 * keeping WAITERS for the other sleepers.  Acquire: the dead
		 * owner's stores are as visible as they will ever be.
		 */
		if (atomic_compare_exchange_strong_explicit(w, &v,
		    me | SHMC__MUTEX_INCONS | (v & SHMC__MUTEX_WAITERS) | extra,
		    memory_order_acquire, memory_order_relaxed))
			return EOWNERDEAD;
	}
	return EBADMSG;
}

/*
 * The contended path of lock: spin once, check the owner's liveness, then
 * sleep on the word, one tick at a time, checking again after each tick.
 */
static int
lock_slow(struct shmc__seg *seg, shmc__word *w, uint32_t me,
    const struct timespec *deadline, unsigned int tick_ms, uint32_t *last)
{
	uint32_t seen = 0, extra = 0;
	uint64_t due = 0;
	int r, check = 0, spun = 0, marked = 0;

	for (;;) {
		r = attempt(seg, w, me, extra, check, &seen);
		if (r != EBUSY)
			break;
		check = 0;
		if (!spun) {
			/* Spin without announcing ourselves, then look at
			 * the owner once before we first sleep. */
			spun = 1;
			(void)shmc__spin_while(w, seen);
			check = 1;
			continue;
		}
		if (!(seen & SHMC__MUTEX_WAITERS)) {
			/*
			 * Announce a sleeper so that unlock wakes us.
			 * Relaxed: the futex call below re-checks the word
			 * in the kernel, which is what orders us against
			 * the unlocker's exchange.
			 */
			if (!atomic_compare_exchange_strong_explicit(w, &seen,
			    seen | SHMC__MUTEX_WAITERS, memory_order_relaxed,
			    memory_order_relaxed))
				continue;
			seen |= SHMC__MUTEX_WAITERS;
		}
		extra = SHMC__MUTEX_WAITERS;
		if (!marked) {
			shmc__peer_waiting(seg, me, SHMC__WAIT_LOCK, 0);
			marked = 1;
		}
		r = shmc__sleep_while(w, seen, deadline, tick_ms, &due);
		/* ETIMEDOUT, or ENODATA: the object was truncated. */
		if (r != 0 && r != ETIME)
			break;
		check = r == ETIME;
	}
	if (marked)
		shmc__peer_waiting(seg, me, SHMC__WAIT_NONE, 0);
	*last = seen;
	return r;
}

/*
 * Take the lock word w of seg for participant me: the robust mutex
 * protocol, shared with the primitives that keep an internal lock (MVar).
 * Returns 0, EOWNERDEAD (acquired from a dead owner, whose ID goes to
 * *dead if dead is not NULL), ETIMEDOUT, ENOTRECOVERABLE, EDEADLK,
 * EBADMSG or ENODATA.
 */
int
shmc__lock_word(struct shmc__seg *seg, shmc__word *w, uint32_t me,
    const struct timespec *deadline, unsigned int tick_ms, uint32_t *dead)
{
	uint32_t v = 0;
	int r;

	/* The fast path; acquire as in attempt(). */
	if (SHMC__LIKELY(atomic_compare_exchange_strong_explicit(w, &v, me,
	    memory_order_acquire, memory_order_relaxed)))
		return 0;
	r = lock_slow(seg, w, me, deadline, tick_ms, &v);
	if (r == EOWNERDEAD && dead != NULL)
		*dead = v & SHMC__ID_MASK;
	return r;
}

/*
 * Release the lock word w held by me.  Returns EPERM if me does not hold
 * it; a word left inconsistent becomes not recoverable.
 */
int
shmc__unlock_word(shmc__word *w, uint32_t me)
{
	uint32_t v;

	/* Relaxed: only we can have stored our own ID here. */
	v = atomic_load_explicit(w, memory_order_relaxed);
	if ((v & SHMC__ID_MASK) != me)
		return EPERM;
	if (v & SHMC__MUTEX_INCONS) {
		/*
		 * Unlocked without being made consistent: the mutex is
		 * unusable from now on.  Release, and wake everyone so that
		 * every sleeper returns ENOTRECOVERABLE.
		 */
		atomic_store_explicit(w, SHMC__MUTEX_NOTREC,
		    memory_order_release);
		shmc__futex_wake(w, INT_MAX);
		return 0;
	}
	/*
	 * Release: pairs with the acquire of the next owner's CAS.  The
	 * exchange returns the WAITERS flag as it was at the very moment we
	 * let go, so a sleeper that set it is always woken.
	 */
	v = atomic_exchange_explicit(w, 0, memory_order_release);
	if (v & SHMC__MUTEX_WAITERS)
		shmc__futex_wake(w, 1);
	return 0;
}

/* Clear INCONS on a word held by me: EPERM, or EINVAL if not set. */
int
shmc__consistent_word(shmc__word *w, uint32_t me)
{
	uint32_t v;

	/* Relaxed: only the owner sets or clears INCONS. */
	v = atomic_load_explicit(w, memory_order_relaxed);
	if ((v & SHMC__ID_MASK) != me)
		return EPERM;
	if (!(v & SHMC__MUTEX_INCONS))
		return EINVAL;
	/* Relaxed: others may add WAITERS meanwhile; the AND keeps it. */
	atomic_fetch_and_explicit(w, ~SHMC__MUTEX_INCONS, memory_order_relaxed);
	return 0;
}

int
shmc_mutex_timedlock(struct shmc_mutex *m, const struct timespec *deadline)
{
	uint32_t me, dead;
	int r;

	r = shmc__deadline_valid(deadline);
	if (r == 0)
		r = shmc__peer_self(m->seg, &me);
	if (r != 0)
		return r;
	r = shmc__lock_word(m->seg, &m->obj->word, me, deadline, m->tick_ms,
	    &dead);
	/* Relaxed: for display (shmc_inspect); we hold the mutex. */
	if (r == EOWNERDEAD)
		atomic_store_explicit(&m->obj->died, dead, memory_order_relaxed);
	return shmc__seg_check(m->seg, r);
}

int
shmc_mutex_lock(struct shmc_mutex *m)
{
	return shmc_mutex_timedlock(m, NULL);
}

int
shmc_mutex_trylock(struct shmc_mutex *m)
{
	uint32_t me, seen;
	int r;

	r = shmc__peer_self(m->seg, &me);
	if (r != 0)
		return r;
	r = attempt(m->seg, &m->obj->word, me, 0, 1, &seen);
	/* Relaxed: for display, as in timedlock. */
	if (r == EOWNERDEAD)
		atomic_store_explicit(&m->obj->died, seen & SHMC__ID_MASK,
		    memory_order_relaxed);
	return shmc__seg_check(m->seg, r);
}

int
shmc_mutex_unlock(struct shmc_mutex *m)
{
	uint32_t me;
	int r;

	r = shmc__peer_self(m->seg, &me);
	if (r != 0)
		return r;
	return shmc__seg_check(m->seg, shmc__unlock_word(&m->obj->word, me));
}

int
shmc_mutex_consistent(struct shmc_mutex *m)
{
	uint32_t me;
	int r;

	r = shmc__peer_self(m->seg, &me);
	if (r != 0)
		return r;
	return shmc__seg_check(m->seg,
	    shmc__consistent_word(&m->obj->word, me));
}

/* 0 if the calling thread owns m, else EPERM (or an attach error). */
int
shmc__mutex_owner(struct shmc_mutex *m)
{
	uint32_t me;
	int r;

	r = shmc__peer_self(m->seg, &me);
	if (r != 0)
		return r;
	/* Relaxed: only we can have stored our own ID here. */
	if ((atomic_load_explicit(&m->obj->word, memory_order_relaxed) &
	    SHMC__ID_MASK) != me)
		return EPERM;
	return 0;
}
