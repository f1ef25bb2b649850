/*
 * MVar: GHC's one-slot box, shared between processes, crash-safe and FIFO.
 *
 * Overview.  An MVar is empty or holds one value of at most max bytes.
 * take waits for a value and empties the box, put waits for an empty box
 * and fills it, read waits for a value and copies it; swap, take_with and
 * modify are built from the same steps.  Everything that changes the box
 * happens under an internal robust lock (the mutex.h protocol on the first
 * word), so a participant killed while holding it is noticed like a dead
 * mutex owner, and the next one repairs the box (repair()) before going on.
 *
 * Crash safety: reserve, copy, commit.  The box has two value buffers and
 * a state word naming the current one.  A put, swap or modify writes the
 * new value into the other buffer and then commits with one store of the
 * state word; a take copies the value out and then commits with one store.
 * A participant killed at any point before the commit store leaves the
 * box exactly as before, after it exactly as after: never a lost, doubled
 * or torn value.  take_with and modify run a caller's function on the
 * value without the lock held: they first reserve the value (resv, kind
 * HOLD), and the value stays in the box until they commit.  If the holder
 * dies, whoever next finds the reservation checks its lease, cancels it,
 * and marks the value restored: the next taker gets it with EOWNERDEAD.
 *
 * Waiting and FIFO.  A waiter first spins on the state word for the spin
 * budget without queueing, so that two processes passing values back and
 * forth never touch the queue or the kernel.  After that it queues: its
 * participant slot records what it waits for and a ticket from a counter,
 * and it sleeps on its slot's own futex word (park).  Whoever changes the
 * box calls settle(), which restores the invariants that make service
 * FIFO: a full, unreserved box is handed to the queued taker with the
 * smallest ticket (resv, kind TAKE), an empty one to the first queued
 * putter (kind PUT), and every queued reader is granted the current
 * buffer.  A newcomer cannot overtake a queued waiter, since it finds the
 * box reserved.  A dead head is skipped: settle checks the lease of the
 * participant it hands to.  Queue entries carry the participant ID they
 * were made under, so a slot reclaimed by someone new is never mistaken
 * for a waiter.  No pointers: the queue is the slots themselves.
 *
 * Readers.  Every reader queued when a value arrives is granted that
 * value's buffer, and the buffer is pinned (rd_pending) until each of them
 * has copied it, even if a taker empties the box meanwhile: a put that
 * would overwrite a pinned buffer waits.  So a blocked reader always gets
 * the next value put, as in GHC.  A dead reader's pin is dropped when a
 * writer waiting on it checks leases at its tick.
 *
 * Blocked indefinitely.  A waiter on an anonymous MVar checks at every
 * tick whether it is the last live participant of a single-threaded
 * process; then nothing can ever complete its call, and it returns
 * EDEADLK, as GHC raises BlockedIndefinitelyOnMVar.
 *
 * Model: tests/model/mvar.pml mirrors the internal robust lock and its
 * recovery, the two buffers and the one-store commits of take, put and
 * modify, and a participant stopping for ever at any step; spin checks
 * that no value is lost, duplicated or torn (make model).
 *
 * Layout: see struct shmc__mvar_obj in mvar.h.  Every field but lock and
 * state is read and written only under the internal lock, so relaxed
 * atomics suffice for them: the lock's acquire and release order them.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "futex.h"
#include "mutex.h"
#include "mvar.h"
#include "peer.h"
#include "wait.h"

/* How long a try_ call may wait for another participant's operation. */
#define TRY_WAIT_NS     10000000L

/* What run() is asked to do. */
enum {
	OP_TAKE,        /* copy the value out and empty the box */
	OP_PUT,         /* fill the empty box */
	OP_READ,        /* copy the value out */
	OP_SWAP,        /* copy the value out and replace it */
	OP_HOLD,        /* copy the value out and reserve it */
	OP_COMMIT       /* replace the value we hold */
};

struct op {
	int kind;
	const void *in;         /* PUT, SWAP, COMMIT: the new value */
	size_t inlen;
	void *out;              /* TAKE, READ, SWAP, HOLD: where it goes */
	size_t outsize;
	size_t *outlen;
};

/* The value handed to obj_init by shmc_mvar_open_full. */
struct first {
	const void *value;
	size_t len;
};

/*
 * Relaxed loads and stores for the fields guarded by the internal lock:
 * its acquire and release order them (see the head comment).
 */
static inline uint32_t
ld(shmc__word *w)
{
	return atomic_load_explicit(w, memory_order_relaxed);
}

static inline void
st(shmc__word *w, uint32_t v)
{
	atomic_store_explicit(w, v, memory_order_relaxed);
}

static uint64_t
buf_size(uint64_t max)
{
	return (max + SHMC__LINE - 1) / SHMC__LINE * SHMC__LINE;
}

static uint32_t
obj_size(const uint64_t *param)
{
	if (param[0] == 0 || param[0] > SHMC__MVAR_MAX || param[1] != 0 ||
	    param[2] != 0 || param[3] != 0)
		return 0;
	return (uint32_t)(sizeof(struct shmc__mvar_obj) +
	    2 * buf_size(param[0]));
}

static void
obj_init(void *o, const uint64_t *param, const void *arg)
{
	struct shmc__mvar_obj *obj = o;
	const struct first *first = arg;

	memset(obj, 0, sizeof(*obj));
	obj->max = (uint32_t)param[0];
	if (first != NULL) {
		memcpy(obj->data, first->value, first->len);
		obj->len[0] = (uint32_t)first->len;
		obj->state = SHMC__MVAR_FULL;
		obj->puts = 1;
	}
}

const struct shmc__kind shmc__mvar_kind = {
	SHMC__KIND_MVAR, 0, obj_size, obj_init
};

/* The participant slot of ID id. */
static struct shmc__peer *
peer(struct shmc_mvar *mv, uint32_t id)
{
	return &mv->seg->peers[SHMC__ID_SLOT(id)];
}

/*
 * The queue state of slot s, if its entry was made by the participant
 * that holds the slot now (its ID in *id); a stale entry is cleared.
 */
static uint32_t
entry(struct shmc_mvar *mv, uint32_t s, uint32_t *id)
{
	struct shmc__peer *p = &mv->seg->peers[s];
	uint32_t k, qid;

	k = ld(&p->prim[SHMC__MV_KIND]);
	if (k == SHMC__Q_NONE)
		return k;
	qid = ld(&p->prim[SHMC__MV_ID]);
	/* Relaxed: a claimant cannot queue here without our lock. */
	if (SHMC__ID_SLOT(qid) != s || SHMC__ID_GEN(qid) !=
	    atomic_load_explicit(&p->gen, memory_order_relaxed)) {
		st(&p->prim[SHMC__MV_KIND], SHMC__Q_NONE);
		return SHMC__Q_NONE;
	}
	*id = qid;
	return k;
}

/*
 * Wake participant id from its sleep on its park word.  id may come
 * straight from the box (resv), where a scribbling peer can put anything:
 * a slot beyond the table is not ours to touch.
 */
static void
wake(struct shmc_mvar *mv, uint32_t id)
{
	shmc__word *park;

	if (SHMC__ID_SLOT(id) >= mv->seg->hdr.npeers)
		return;
	park = &peer(mv, id)->park;
	/*
	 * Release: pairs with the sleeper's acquire load of park before it
	 * dropped the internal lock; it re-takes the lock before looking at
	 * the box, which orders the rest.
	 */
	atomic_fetch_add_explicit(park, 1, memory_order_release);
	shmc__futex_wake(park, 1);
}

static void
enqueue(struct shmc_mvar *mv, uint32_t me, uint32_t kind)
{
	struct shmc__peer *p = peer(mv, me);
	struct shmc__mvar_obj *obj = mv->obj;
	uint32_t t = ld(&obj->ticket);

	st(&obj->ticket, t + 1);
	st(&p->prim[SHMC__MV_ID], me);
	st(&p->prim[SHMC__MV_TICKET], t);
	st(&p->prim[SHMC__MV_KIND], kind);
	st(&obj->nq[kind], ld(&obj->nq[kind]) + 1);
}

/* Take slot s, of queue state kind, off the queue. */
static void
dequeue(struct shmc_mvar *mv, uint32_t s, uint32_t kind)
{
	struct shmc__mvar_obj *obj = mv->obj;

	st(&mv->seg->peers[s].prim[SHMC__MV_KIND], SHMC__Q_NONE);
	if (kind < SHMC__ARRAY_SIZE(obj->nq) && ld(&obj->nq[kind]) > 0)
		st(&obj->nq[kind], ld(&obj->nq[kind]) - 1);
}

/*
 * Find, dequeue and return in *id the live participant queued as kind
 * with the smallest ticket; dead ones met on the way are dequeued too.
 * Returns 0 if none.  The count in nq is only a hint that spares the scan
 * when nobody is queued; every scan corrects it.
 */
static int
head(struct shmc_mvar *mv, uint32_t kind, uint32_t *id)
{
	struct shmc__mvar_obj *obj = mv->obj;
	uint32_t s, qid, best, best_id = 0, best_t = 0, t, count;

	while (ld(&obj->nq[kind]) != 0) {
		best = UINT32_MAX;
		count = 0;
		for (s = 0; s < mv->seg->hdr.npeers; s++) {
			if (entry(mv, s, &qid) != kind)
				continue;
			count++;
			t = ld(&mv->seg->peers[s].prim[SHMC__MV_TICKET]);
			if (best == UINT32_MAX || (int32_t)(t - best_t) < 0) {
				best = s;
				best_t = t;
				best_id = qid;
			}
		}
		st(&obj->nq[kind], count);
		if (best == UINT32_MAX)
			break;
		dequeue(mv, best, kind);
		if (shmc__peer_alive(mv->seg, best_id) > 0) {
			*id = best_id;
			return 1;
		}
	}
	return 0;
}

/* Grant buffer idx to every queued reader. */
static void
grant_readers(struct shmc_mvar *mv, uint32_t idx)
{
	struct shmc__mvar_obj *obj = mv->obj;
	uint32_t s, qid;

	if (ld(&obj->nq[SHMC__Q_READ]) == 0)
		return;
	for (s = 0; s < mv->seg->hdr.npeers; s++) {
		if (entry(mv, s, &qid) != SHMC__Q_READ)
			continue;
		st(&mv->seg->peers[s].prim[SHMC__MV_KIND],
		    SHMC__Q_GRANT0 + idx);
		st(&obj->rd_pending[idx], ld(&obj->rd_pending[idx]) + 1);
		wake(mv, qid);
	}
	st(&obj->nq[SHMC__Q_READ], 0);
}

/*
 * Restore the invariants that make service FIFO, after any change: queued
 * readers hold a grant whenever there is a value; a full box with queued
 * takers is reserved for the first; an empty box with queued putters is
 * reserved for the first, once no reader pins the buffer it will write.
 */
static void
settle(struct shmc_mvar *mv)
{
	struct shmc__mvar_obj *obj = mv->obj;
	uint32_t s, cur, id;

	s = ld(&obj->state);
	cur = s & SHMC__MVAR_CUR;
	if (s & SHMC__MVAR_FULL) {
		grant_readers(mv, cur);
		/*
		 * The kind first: a participant killed between the two
		 * stores must not leave a live waiter holding the box under
		 * a stale kind, which its attempt refuses and recover()
		 * spares (tests/model/mvar.pml, SETTLE_RESV_FIRST).
		 */
		if (ld(&obj->resv) == 0 && head(mv, SHMC__Q_TAKE, &id)) {
			st(&obj->resv_kind, SHMC__RESV_TAKE);
			st(&obj->resv, id);
			wake(mv, id);
		}
	} else if (ld(&obj->resv) == 0 && ld(&obj->rd_pending[cur ^ 1]) == 0 &&
	    head(mv, SHMC__Q_PUT, &id)) {
		st(&obj->resv_kind, SHMC__RESV_PUT);
		st(&obj->resv, id);
		wake(mv, id);
	}
}

/* Drop me's grant on buffer idx; the last reader wakes a waiting writer. */
static void
release_grant(struct shmc_mvar *mv, uint32_t me, uint32_t idx)
{
	struct shmc__mvar_obj *obj = mv->obj;
	uint32_t n, resv;

	st(&peer(mv, me)->prim[SHMC__MV_KIND], SHMC__Q_NONE);
	n = ld(&obj->rd_pending[idx]);
	if (n > 0)
		st(&obj->rd_pending[idx], --n);
	resv = ld(&obj->resv);
	if (n == 0 && resv != 0 && resv != me)
		wake(mv, resv);
	settle(mv);
}

/*
 * Count the grants on each buffer again, dropping those of dead readers.
 * One lease check per granted reader: only called when a writer is stuck.
 */
static void
recount_readers(struct shmc_mvar *mv)
{
	struct shmc__mvar_obj *obj = mv->obj;
	uint32_t s, k, qid, n[2] = { 0, 0 };

	for (s = 0; s < mv->seg->hdr.npeers; s++) {
		k = entry(mv, s, &qid);
		if (k != SHMC__Q_GRANT0 && k != SHMC__Q_GRANT1)
			continue;
		if (shmc__peer_alive(mv->seg, qid) > 0)
			n[k - SHMC__Q_GRANT0]++;
		else
			st(&mv->seg->peers[s].prim[SHMC__MV_KIND],
			    SHMC__Q_NONE);
	}
	st(&obj->rd_pending[0], n[0]);
	st(&obj->rd_pending[1], n[1]);
}

/*
 * Cancel a reservation whose holder is dead.  A value held by a dead
 * take_with or modify stays in the box, marked restored.
 */
static void
recover(struct shmc_mvar *mv, uint32_t me)
{
	struct shmc__mvar_obj *obj = mv->obj;
	uint32_t resv = ld(&obj->resv);

	if (resv != 0 && resv != me && shmc__peer_alive(mv->seg, resv) <= 0) {
		/*
		 * Only the held value, still in the box, was restored: a
		 * holder may die after its commit emptied the box or replaced
		 * the value and before it cleared its reservation.  The kind
		 * records the state it held (see attempt), which any commit
		 * changes.
		 */
		if (ld(&obj->resv_kind) == (SHMC__RESV_HOLD |
		    SHMC__HELD(ld(&obj->state))))
			st(&obj->restored, 1);
		st(&obj->resv, 0);
	}
	if (ld(&obj->rd_pending[0]) != 0 || ld(&obj->rd_pending[1]) != 0)
		recount_readers(mv);
	settle(mv);
}

/*
 * Take the internal lock.  If its holder died inside an operation, every
 * commit is one store, so the box itself is whole: only the derived state
 * (reader pins, a dead reservation, a hand-off not made) needs repair.
 */
static int
mv_lock(struct shmc_mvar *mv, uint32_t me, const struct timespec *deadline)
{
	int r;

	r = shmc__lock_word(mv->seg, &mv->obj->lock, me, deadline,
	    mv->tick_ms, NULL);
	if (r == EOWNERDEAD) {
		recover(mv, me);
		r = shmc__consistent_word(&mv->obj->lock, me);
	}
	if (r == ENOTRECOVERABLE || r == EDEADLK || r == EINVAL)
		r = EBADMSG;
	return r;
}

static void
mv_unlock(struct shmc_mvar *mv, uint32_t me)
{
	(void)shmc__unlock_word(&mv->obj->lock, me);
}

/*
 * Write a new value into the buffer that is not current and make it the
 * current, full one: the commit of put, swap and modify.
 */
static void
commit_value(struct shmc_mvar *mv, const void *in, size_t len,
    const char *point)
{
	struct shmc__mvar_obj *obj = mv->obj;
	uint32_t next;

	next = (ld(&obj->state) & SHMC__MVAR_CUR) ^ 1;
	if (len > 0)
		memcpy(mv->buf[next], in, len);
	st(&obj->len[next], (uint32_t)len);
	SHMC__STOP(point);
	(void)point;
	/*
	 * Release: the commit.  Lock-free readers of state (is_empty,
	 * spinners) that see it then take the lock before they look further.
	 */
	atomic_store_explicit(&obj->state, SHMC__MVAR_FULL | next,
	    memory_order_release);
	st(&obj->puts, ld(&obj->puts) + 1);
	st(&obj->resv, 0);
	st(&obj->restored, 0);
}

/*
 * Copy buffer idx out to op, or EMSGSIZE if it does not fit; a length
 * beyond max can only come from a scribbling peer.
 */
static int
copy_out(struct shmc_mvar *mv, uint32_t idx, struct op *op)
{
	uint32_t n = ld(&mv->obj->len[idx]);

	if (n > mv->max)
		return EBADMSG;
	*op->outlen = n;
	if (n > op->outsize)
		return EMSGSIZE;
	if (n > 0)
		memcpy(op->out, mv->buf[idx], n);
	*op->outlen = n;
	return 0;
}

/*
 * One attempt at op for me, under the internal lock.  Returns EAGAIN when
 * it has to wait, else its result.
 */
static int
attempt(struct shmc_mvar *mv, uint32_t me, struct op *op)
{
	struct shmc__mvar_obj *obj = mv->obj;
	struct shmc__peer *p = peer(mv, me);
	uint32_t s, cur, resv, kind, k;
	int r;

	s = ld(&obj->state);
	cur = s & SHMC__MVAR_CUR;
	resv = ld(&obj->resv);
	kind = ld(&obj->resv_kind) & 0xff;
	switch (op->kind) {
	case OP_READ:
		k = ld(&p->prim[SHMC__MV_KIND]);
		if (ld(&p->prim[SHMC__MV_ID]) == me &&
		    (k == SHMC__Q_GRANT0 || k == SHMC__Q_GRANT1)) {
			r = copy_out(mv, k - SHMC__Q_GRANT0, op);
			release_grant(mv, me, k - SHMC__Q_GRANT0);
			return r;
		}
		if (!(s & SHMC__MVAR_FULL))
			return EAGAIN;
		return copy_out(mv, cur, op);
	case OP_PUT:
		if ((s & SHMC__MVAR_FULL) || (resv != 0 && (resv != me ||
		    kind != SHMC__RESV_PUT)) || ld(&obj->rd_pending[cur ^ 1]))
			return EAGAIN;
		commit_value(mv, op->in, op->inlen, "mvar-put-copied");
		settle(mv);
		return 0;
	case OP_COMMIT:
		if (resv != me || kind != SHMC__RESV_HOLD)
			return EBADMSG;
		if (ld(&obj->rd_pending[cur ^ 1]) != 0)
			return EAGAIN;
		commit_value(mv, op->in, op->inlen, "mvar-modify-copied");
		settle(mv);
		return 0;
	}
	/* TAKE, SWAP and HOLD: the value, if it is there and ours to have. */
	if (!(s & SHMC__MVAR_FULL) || (resv != 0 && (resv != me ||
	    kind != SHMC__RESV_TAKE)))
		return EAGAIN;
	if (op->kind == OP_SWAP && ld(&obj->rd_pending[cur ^ 1]) != 0)
		return EAGAIN;
	r = copy_out(mv, cur, op);
	if (r != 0) {
		/* Too big for this caller: pass a hand-off on. */
		if (resv == me)
			st(&obj->resv, 0);
		settle(mv);
		return r;
	}
	/*
	 * The restored mark goes with the commit (commit_value clears it for
	 * swap): a caller killed before its commit leaves the news for the
	 * next one.
	 */
	r = ld(&obj->restored) ? EOWNERDEAD : 0;
	switch (op->kind) {
	case OP_TAKE:
		SHMC__STOP("mvar-take-copied");
		/* Release: the commit; see commit_value. */
		atomic_store_explicit(&obj->state, cur, memory_order_release);
		st(&obj->resv, 0);
		st(&obj->restored, 0);
		break;
	case OP_SWAP:
		commit_value(mv, op->in, op->inlen, "mvar-swap-copied");
		break;
	default:
		st(&obj->resv, me);
		st(&obj->resv_kind, SHMC__RESV_HOLD | SHMC__HELD(s));
		break;
	}
	settle(mv);
	return r;
}

/*
 * Give back what a waiter that gives up was handed: a reservation made
 * for it by settle, or a read grant.
 */
static void
give_back(struct shmc_mvar *mv, uint32_t me)
{
	struct shmc__mvar_obj *obj = mv->obj;
	struct shmc__peer *p = peer(mv, me);
	uint32_t k;

	if (ld(&obj->resv) == me &&
	    (ld(&obj->resv_kind) & 0xff) != SHMC__RESV_HOLD) {
		st(&obj->resv, 0);
		settle(mv);
	}
	k = ld(&p->prim[SHMC__MV_KIND]);
	if (ld(&p->prim[SHMC__MV_ID]) == me &&
	    (k == SHMC__Q_GRANT0 || k == SHMC__Q_GRANT1))
		release_grant(mv, me, k - SHMC__Q_GRANT0);
}

/* The queue a waiting op joins, and what shmls shows it waiting for. */
static uint32_t
queue_of(int kind, uint32_t *what)
{
	switch (kind) {
	case OP_PUT:
		*what = SHMC__WAIT_PUT;
		return SHMC__Q_PUT;
	case OP_READ:
		*what = SHMC__WAIT_READ;
		return SHMC__Q_READ;
	case OP_COMMIT:
		*what = SHMC__WAIT_PUT;
		return SHMC__Q_NONE;
	default:
		*what = SHMC__WAIT_TAKE;
		return SHMC__Q_TAKE;
	}
}

/*
 * Do op for this thread, waiting (spin, then queue and sleep, one tick at
 * a time) while it cannot be done, until deadline; try: never wait for
 * the box.  The one wait loop of the MVar.
 */
static int
run(struct shmc_mvar *mv, struct op *op, const struct timespec *deadline,
    int try)
{
	struct shmc__mvar_obj *obj = mv->obj;
	struct shmc__peer *p;
	struct timespec soon;
	uint32_t me, v, q, what;
	uint64_t due = 0;
	int r, r2, queued = 0, spun = 0, check = 0, marked = 0;

	r = shmc__deadline_valid(deadline);
	if (r == 0)
		r = shmc__peer_self(mv->seg, &me);
	if (r != 0)
		return r;
	if (try) {
		clock_gettime(CLOCK_MONOTONIC, &soon);
		soon.tv_nsec += TRY_WAIT_NS;
		if (soon.tv_nsec >= 1000000000L) {
			soon.tv_sec++;
			soon.tv_nsec -= 1000000000L;
		}
		deadline = &soon;
	}
	r = mv_lock(mv, me, deadline);
	if (r != 0)
		return try && r == ETIMEDOUT ? EAGAIN : r;
	p = peer(mv, me);
	q = queue_of(op->kind, &what);
	for (;;) {
		r = attempt(mv, me, op);
		if (r != EAGAIN || try)
			break;
		if (check) {
			check = 0;
			recover(mv, me);
			r = attempt(mv, me, op);
			if (r != EAGAIN)
				break;
			if (mv->seg->anon && shmc__peer_alone(mv->seg)) {
				r = EDEADLK;
				break;
			}
		}
		if (!spun) {
			/*
			 * Spin on the state word, unqueued.  Relaxed: a hint;
			 * the attempt under the lock decides.
			 */
			spun = check = 1;
			v = atomic_load_explicit(&obj->state,
			    memory_order_relaxed);
			mv_unlock(mv, me);
			(void)shmc__spin_while(&obj->state, v);
			/*
			 * Not queued yet, so nothing to clean up: the
			 * deadline holds even against a participant stopped
			 * inside an operation.
			 */
			if ((r = mv_lock(mv, me, deadline)) != 0)
				return r;
			continue;
		}
		if (!queued && q != SHMC__Q_NONE && ld(&obj->resv) != me) {
			enqueue(mv, me, q);
			queued = 1;
		}
		if (!marked) {
			shmc__peer_waiting(mv->seg, me, what, 0);
			marked = 1;
		}
		/* Acquire: pairs with wake(); see there. */
		v = atomic_load_explicit(&p->park, memory_order_acquire);
		mv_unlock(mv, me);
		r = shmc__sleep_while(&p->park, v, deadline, mv->tick_ms,
		    &due);
		/*
		 * ENODATA: the object was truncated under us, and what is
		 * left of it is zeros; there is no queue to leave.
		 */
		if (r != 0 && r != ETIME && r != ETIMEDOUT)
			return r;
		/*
		 * Queued: we must take the lock back, deadline or not, to
		 * leave the queue; it is held only briefly, unless by a
		 * participant stopped inside an operation.
		 */
		if ((r2 = mv_lock(mv, me, NULL)) != 0)
			return r2;
		if (r == ETIMEDOUT) {
			r = attempt(mv, me, op);
			if (r == EAGAIN)
				r = ETIMEDOUT;
			break;
		}
		check = r == ETIME;
	}
	if (queued && ld(&p->prim[SHMC__MV_ID]) == me &&
	    ld(&p->prim[SHMC__MV_KIND]) == q)
		dequeue(mv, SHMC__ID_SLOT(me), q);
	if (r == ETIMEDOUT || r == EDEADLK)
		give_back(mv, me);
	if (marked)
		shmc__peer_waiting(mv->seg, me, SHMC__WAIT_NONE, 0);
	mv_unlock(mv, me);
	return shmc__seg_check(mv->seg, r);
}

/*
 * End a HOLD: empty the box (take_with whose function succeeded) or leave
 * the value in it (a function that failed; restored says the value had
 * come back from a dead holder, which the next taker must still hear).
 */
static void
end_hold(struct shmc_mvar *mv, int take, int restored)
{
	struct shmc__mvar_obj *obj = mv->obj;
	uint32_t me;

	/* We attached in run(): only ENODATA, the object truncated. */
	if (shmc__peer_self(mv->seg, &me) != 0 || mv_lock(mv, me, NULL) != 0)
		return;
	if (ld(&obj->resv) == me &&
	    (ld(&obj->resv_kind) & 0xff) == SHMC__RESV_HOLD) {
		if (take) {
			/* Release: the commit; see commit_value. */
			atomic_store_explicit(&obj->state,
			    ld(&obj->state) & SHMC__MVAR_CUR,
			    memory_order_release);
			/* The news went with the value, as in attempt(). */
			st(&obj->restored, 0);
		} else if (restored)
			st(&obj->restored, 1);
		st(&obj->resv, 0);
		settle(mv);
	}
	mv_unlock(mv, me);
}

static int
open_common(const char *name, int flags, const struct shmc_attr *attr,
    const struct first *first, struct shmc_mvar **out)
{
	uint64_t param[SHMC__NPARAM] = { SHMC__MVAR_DEFAULT, 0, 0, 0 };
	struct shmc_mvar *mv;
	int r;

	if (attr != NULL && attr->size != 0)
		param[0] = attr->size;
	if (param[0] > SHMC__MVAR_MAX)
		return EINVAL;
	if (first != NULL && first->len > param[0])
		return EMSGSIZE;
	if (first != NULL && first->value == NULL && first->len > 0)
		return EINVAL;
	mv = malloc(sizeof(*mv));
	if (mv == NULL)
		return ENOMEM;
	r = shmc__seg_open(name, flags, attr, &shmc__mvar_kind, param, first,
	    &mv->seg, &mv->tick_ms);
	if (r != 0) {
		free(mv);
		return r;
	}
	/* The header's parameter, validated on open, not obj->max. */
	mv->max = (uint32_t)mv->seg->hdr.param[0];
	mv->obj = mv->seg->obj;
	mv->buf[0] = mv->obj->data;
	mv->buf[1] = mv->obj->data + buf_size(mv->max);
	*out = mv;
	return 0;
}

int
shmc_mvar_open(const char *name, int flags, const struct shmc_attr *attr,
    struct shmc_mvar **out)
{
	return open_common(name, flags, attr, NULL, out);
}

int
shmc_mvar_open_full(const char *name, int flags, const struct shmc_attr *attr,
    const void *value, size_t len, struct shmc_mvar **out)
{
	struct first first = { value, len };

	return open_common(name, flags, attr, &first, out);
}

int
shmc_mvar_close(struct shmc_mvar *mv)
{
	if (mv == NULL)
		return 0;
	shmc__seg_close(mv->seg);
	free(mv);
	return 0;
}

int
shmc_mvar_unlink(const char *name)
{
	return shmc__seg_unlink(name, &shmc__mvar_kind);
}

static int
take(struct shmc_mvar *mv, void *buf, size_t size, size_t *len,
    const struct timespec *deadline, int try)
{
	struct op op = { OP_TAKE, NULL, 0, buf, size, len };

	return run(mv, &op, deadline, try);
}

int
shmc_mvar_take(struct shmc_mvar *mv, void *buf, size_t size, size_t *len)
{
	return take(mv, buf, size, len, NULL, 0);
}

int
shmc_mvar_try_take(struct shmc_mvar *mv, void *buf, size_t size,
    size_t *len)
{
	return take(mv, buf, size, len, NULL, 1);
}

int
shmc_mvar_timedtake(struct shmc_mvar *mv, void *buf, size_t size,
    size_t *len, const struct timespec *deadline)
{
	return take(mv, buf, size, len, deadline, 0);
}

static int
put(struct shmc_mvar *mv, const void *value, size_t len,
    const struct timespec *deadline, int try)
{
	struct op op = { OP_PUT, value, len, NULL, 0, NULL };

	if (len > mv->max)
		return EMSGSIZE;
	if (value == NULL && len > 0)
		return EINVAL;
	return run(mv, &op, deadline, try);
}

int
shmc_mvar_put(struct shmc_mvar *mv, const void *value, size_t len)
{
	return put(mv, value, len, NULL, 0);
}

int
shmc_mvar_try_put(struct shmc_mvar *mv, const void *value, size_t len)
{
	return put(mv, value, len, NULL, 1);
}

int
shmc_mvar_timedput(struct shmc_mvar *mv, const void *value, size_t len,
    const struct timespec *deadline)
{
	return put(mv, value, len, deadline, 0);
}

static int
read_value(struct shmc_mvar *mv, void *buf, size_t size, size_t *len,
    const struct timespec *deadline, int try)
{
	struct op op = { OP_READ, NULL, 0, buf, size, len };

	return run(mv, &op, deadline, try);
}

int
shmc_mvar_read(struct shmc_mvar *mv, void *buf, size_t size, size_t *len)
{
	return read_value(mv, buf, size, len, NULL, 0);
}

int
shmc_mvar_try_read(struct shmc_mvar *mv, void *buf, size_t size,
    size_t *len)
{
	return read_value(mv, buf, size, len, NULL, 1);
}

int
shmc_mvar_timedread(struct shmc_mvar *mv, void *buf, size_t size,
    size_t *len, const struct timespec *deadline)
{
	return read_value(mv, buf, size, len, deadline, 0);
}

int
shmc_mvar_timedswap(struct shmc_mvar *mv, const void *value, size_t len,
    void *old, size_t size, size_t *oldlen, const struct timespec *deadline)
{
	struct op op = { OP_SWAP, value, len, old, size, oldlen };

	if (len > mv->max)
		return EMSGSIZE;
	if (value == NULL && len > 0)
		return EINVAL;
	return run(mv, &op, deadline, 0);
}

int
shmc_mvar_swap(struct shmc_mvar *mv, const void *value, size_t len,
    void *old, size_t size, size_t *oldlen)
{
	return shmc_mvar_timedswap(mv, value, len, old, size, oldlen, NULL);
}

int
shmc_mvar_timedtake_with(struct shmc_mvar *mv,
    int (*fn)(void *arg, const void *value, size_t len), void *arg,
    const struct timespec *deadline)
{
	struct op op = { OP_HOLD, NULL, 0, NULL, 0, NULL };
	size_t len;
	int r, rc;

	op.out = malloc(mv->max);
	if (op.out == NULL)
		return ENOMEM;
	op.outsize = mv->max;
	op.outlen = &len;
	r = run(mv, &op, deadline, 0);
	if (r == 0 || r == EOWNERDEAD) {
		SHMC__STOP("mvar-hold");
		rc = fn(arg, op.out, len);
		end_hold(mv, rc == 0, r == EOWNERDEAD);
		if (rc != 0)
			r = rc;
	}
	free(op.out);
	/* The commit in end_hold may have gone to a truncated object. */
	return shmc__seg_check(mv->seg, r);
}

int
shmc_mvar_take_with(struct shmc_mvar *mv,
    int (*fn)(void *arg, const void *value, size_t len), void *arg)
{
	return shmc_mvar_timedtake_with(mv, fn, arg, NULL);
}

int
shmc_mvar_timedmodify(struct shmc_mvar *mv,
    int (*fn)(void *arg, const void *old, size_t oldlen, void *new_value,
    size_t size, size_t *newlen), void *arg, const struct timespec *deadline)
{
	struct op op = { OP_HOLD, NULL, 0, NULL, 0, NULL };
	unsigned char *old, *new_value;
	size_t oldlen, newlen = 0;
	int r, rc;

	old = malloc(mv->max);
	new_value = malloc(mv->max);
	if (old == NULL || new_value == NULL) {
		free(old);
		free(new_value);
		return ENOMEM;
	}
	op.out = old;
	op.outsize = mv->max;
	op.outlen = &oldlen;
	r = run(mv, &op, deadline, 0);
	if (r == 0 || r == EOWNERDEAD) {
		SHMC__STOP("mvar-hold");
		rc = fn(arg, old, oldlen, new_value, mv->max, &newlen);
		if (rc == 0 && newlen > mv->max)
			rc = EMSGSIZE;
		if (rc != 0) {
			end_hold(mv, 0, r == EOWNERDEAD);
			r = rc;
		} else {
			SHMC__STOP("mvar-modify-computed");
			op.kind = OP_COMMIT;
			op.in = new_value;
			op.inlen = newlen;
			rc = run(mv, &op, deadline, 0);
			if (rc != 0) {
				end_hold(mv, 0, r == EOWNERDEAD);
				r = rc;
			}
		}
	}
	free(old);
	free(new_value);
	/* As in take_with: end_hold's commit. */
	return shmc__seg_check(mv->seg, r);
}

int
shmc_mvar_modify(struct shmc_mvar *mv,
    int (*fn)(void *arg, const void *old, size_t oldlen, void *new_value,
    size_t size, size_t *newlen), void *arg)
{
	return shmc_mvar_timedmodify(mv, fn, arg, NULL);
}

/* A snapshot: by the time the caller looks, it may have changed. */
int
shmc_mvar_is_empty(struct shmc_mvar *mv, int *empty)
{
	/* Acquire: pairs with the commit stores of state. */
	*empty = !(atomic_load_explicit(&mv->obj->state,
	    memory_order_acquire) & SHMC__MVAR_FULL);
	return shmc__seg_check(mv->seg, 0);
}

int
shmc_mvar_size(struct shmc_mvar *mv, size_t *size)
{
	*size = mv->max;
	return shmc__seg_check(mv->seg, 0);
}
