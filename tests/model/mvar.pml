/*
 * mvar.pml: a Promela model of the MVar protocol of lib/mvar.c (reserve,
 * copy, commit under an internal robust lock), checked with spin by
 * tests/model/run.
 *
 * What is modelled.  The internal lock (the lock word of lib/mutex.c: 0
 * or the owner's ID, taken over by a CAS from a dead owner, after which
 * the new owner runs recover()); the box (the state word FULL | cur and
 * two value buffers, a buffer holding TORN while a memcpy into it is
 * under way); the reservation (resv, resv_kind, and for a HOLD the state
 * word it held, SHMC__HELD); the restored flag; the FIFO queue kept in
 * the participant slots (queue kind and ticket), with settle()'s
 * hand-offs and head()'s skipping of dead waiters; the park words and
 * wake().  Three participants:
 *
 *   P  the putter:  put(1), then put(2)
 *   T  the taker:   take(), twice
 *   H  the holder:  one of modify (commits a new value, old + 2),
 *                   modify whose function fails (end_hold(0)), or
 *                   take_with (end_hold(1)), chosen nondeterministically
 *
 * Death.  Up to MAXDEATHS participants (default 1) stop forever at any
 * step, leaving the lock, their reservation and their queue entry as
 * they are; dead[] is what their lease tells the others
 * (shmc__peer_alive).  Outside the lock the killer process stops them
 * (between any two steps, or while they sleep).  Inside the lock a
 * critical section is one atomic step, since nobody else can look at
 * what the lock guards until it is released (TICK below reads state and
 * resv without the lock, as spinners read state, and only to decide
 * whether to wake), and the holder itself may die at every die() point:
 * after each store to shared memory, before the next.  Stores are seen
 * in program order; a dead participant's stores before its death are all
 * visible to whoever takes the lock over.
 *
 * Waiting.  A participant that cannot go on sleeps (end_sleep) until its
 * park word is bumped by wake(), or a tick (ETIME), after which it runs
 * recover().  In C every tick wakes the sleeper; here a tick is taken
 * only when it can change something: the lock or the reservation is
 * held by a dead participant, or the attempt would now succeed.  Any
 * other tick is a stutter (lock, recover finds nothing to repair,
 * attempt fails, unlock).  So every execution is finite: the run script
 * checks that the state graph has no cycle at all (no livelock), and the
 * monitor checks every state where nothing can move (no deadlock).
 *
 * Not modelled: readers and their pins (rd_pending, grants), swap,
 * deadlines and give_back(), try_ calls, the nq[] counts (a hint: head()
 * scans the slots), stale queue entries of a reclaimed slot, INCONS and
 * NOTREC (mv_lock always makes the lock consistent after recover),
 * lengths, scribbling peers.
 *
 * Properties:
 *  - no torn value: a participant never copies a TORN buffer, and the
 *    box is never FULL with a TORN current buffer (INV);
 *  - no value lost or duplicated: every value committed into the box is
 *    consumed (taken, taken by take_with, or replaced by modify) at most
 *    once, and the values committed and not consumed are exactly the one
 *    in the box when it is FULL, none when it is empty (INV);
 *  - a value held by a take_with or modify that died stays in the box,
 *    and whoever next gets it is told (restored: EOWNERDEAD), and only
 *    such a value is;
 *  - a live holder's reservation is never cancelled (no EBADMSG);
 *  - progress: no cycle (run script), no invalid end state, and where
 *    nothing can move, every survivor has finished or waits for what no
 *    survivor can supply (monitor).
 *
 * Each statement's comment names the C function or store it stands for;
 * the inlines are named after the C functions (settle, head, recover,
 * mv_lock, commit_value, attempt, run, end_hold).
 *
 * One difference from lib/mvar.c at the time of writing: settle() here
 * stores resv_kind before resv.  With resv first, a participant killed
 * between the two stores leaves a live waiter reserved under a stale
 * kind: its attempt fails and recover() spares it, so it and everyone
 * queued behind it wait forever.  -DSETTLE_RESV_FIRST models that order
 * and the monitor fails.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef MAXDEATHS
#define MAXDEATHS 1
#endif

/* Participant IDs; 0 means none (lock free, no reservation). */
#define P       1
#define T       2
#define H       3
#define NID     4

/* The state word: SHMC__MVAR_FULL | SHMC__MVAR_CUR. */
#define FULL    2
#define CURB    1
#define ISFULL  ((state & FULL) != 0)
#define CUR     (state & CURB)

/* Buffer contents: a value 1..4, 0 never written, TORN mid-memcpy. */
#define TORN    7
#define NVAL    5

/* resv_kind (SHMC__RESV_*); for a HOLD, held is SHMC__HELD(state). */
#define R_TAKE  1
#define R_PUT   2
#define R_HOLD  3

/* Queue kinds in a participant slot (SHMC__Q_*). */
#define Q_NONE  0
#define Q_TAKE  1
#define Q_PUT   3

/* run()'s operations (OP_*) and results. */
#define OP_TAKE   0
#define OP_PUT    1
#define OP_HOLD   4
#define OP_COMMIT 5
#define OK          0
#define EAGAIN      1
#define EOWNERDEAD  2
#define EBADMSG     3

bool dead[NID];                 /* the lease: shmc__peer_alive() <= 0 */
bool done[NID];                 /* finished all its operations */
byte deaths;

/* struct shmc__mvar_obj */
byte lk;                        /* lock: 0 or the owner's ID */
byte state;                     /* FULL | cur */
byte buf[2];                    /* the two value buffers */
byte resv;                      /* who holds the reservation, or 0 */
byte resv_kind;                 /* R_* */
byte held;                      /* a HOLD's SHMC__HELD(state) */
bool restored;

/* struct shmc__peer prim[] (queue kind, ticket) and park, per slot. */
byte qkind[NID];
byte qticket[NID];
bool park[NID];

/* Ghosts, for the properties only. */
bool put_val[NVAL];             /* value v was committed into the box */
bool gone[NVAL];                /* value v was consumed */
byte hv;                        /* the value H holds under a HOLD */
byte orphan;                    /* the value H held when it died */
bool rest[NVAL];                /* value v was restored by recover() */

#define ALIVE(v)  (put_val[v] && !gone[v])
#define NALIVE    (ALIVE(1) + ALIVE(2) + ALIVE(3) + ALIVE(4))
#define INV       (!(ISFULL && buf[CUR] == TORN) && \
                   NALIVE == (ISFULL -> 1 : 0) && \
                   (!ISFULL || ALIVE(buf[CUR])))

/* attempt() would succeed now (for the tick, see the head comment). */
#define CAN       ((op == OP_PUT -> \
                      (!ISFULL && (resv == 0 || \
                       (resv == me && resv_kind == R_PUT))) : \
                      (ISFULL && (resv == 0 || \
                       (resv == me && resv_kind == R_TAKE)))))
#define TICK      ((lk != 0 && dead[lk]) || \
                   (resv != 0 && dead[resv]) || CAN)

/* The participant may be killed here, between two of its stores. */
inline die()
{
	if
	:: deaths < MAXDEATHS ->
		d_step {
			deaths++;
			orphan = (me == H -> hv : orphan);
			dead[me] = 1    /* the unless escape stops it now */
		}
	:: true
	fi
}

/*
 * head(kind): dequeue and return in sid the live waiter of kind with the
 * smallest ticket; dead ones met on the way are dequeued too.
 */
inline head(kind)
{
	sid = 0;
	do
	:: best = 0;
	   i = 1;
	   do
	   :: i < NID ->
		if
		:: qkind[i] == kind &&
		   (best == 0 || qticket[i] < qticket[best]) -> best = i
		:: else
		fi;
		i++
	   :: else -> break
	   od;
	   i = 0;
	   if
	   :: best == 0 -> break
	   :: else ->
		qkind[best] = Q_NONE;           /* dequeue() */
		qticket[best] = 0;
		die();
		if
		:: !dead[best] -> sid = best; break
		:: else
		fi
	   fi
	od;
	best = 0
}

/*
 * settle(): a full, unreserved box is reserved for the first queued
 * taker, an empty one for the first queued putter (readers: not
 * modelled).  Stores resv_kind, then resv (SETTLE_RESV_FIRST: the other
 * way round, see the head comment), then wakes.
 */
inline settle()
{
	if
	:: ISFULL && resv == 0 -> qk = Q_TAKE; kind = R_TAKE
	:: !ISFULL && resv == 0 -> qk = Q_PUT; kind = R_PUT
	:: else -> qk = Q_NONE
	fi;
	sid = 0;
	if
	:: qk != Q_NONE -> head(qk); qk = Q_NONE
	:: else
	fi;
	if
	:: sid != 0 ->
#ifndef SETTLE_RESV_FIRST
		resv_kind = kind;       /* st(&obj->resv_kind, ...) */
		die();
		resv = sid;             /* st(&obj->resv, id) */
		die();
#else
		resv = sid;             /* st(&obj->resv, id) */
		die();
		resv_kind = kind;       /* st(&obj->resv_kind, ...) */
		die();
#endif
		park[sid] = 1;          /* wake(mv, id) */
		die();
		sid = 0
	:: else
	fi;
	kind = 0
}

/*
 * recover(): cancel a dead participant's reservation; only a value held
 * by a dead take_with/modify that is still in the box as it held it is
 * marked restored.  Then settle().
 */
inline recover()
{
	if
	:: resv != 0 && resv != me && dead[resv] ->
		if
		:: resv_kind == R_HOLD && held == state ->
			d_step { restored = 1; rest[buf[CUR]] = 1 }
			die()
		:: else
		fi;
		resv = 0;
		die()
	:: else
	fi;
	settle()
}

/*
 * mv_lock(): shmc__lock_word (a CAS from 0, or from a dead owner's ID:
 * EOWNERDEAD) and, after a takeover, recover().  Blocks while a live
 * participant holds the lock.
 */
inline mv_lock()
{
	if
	:: lk == 0 -> lk = me
	:: lk != 0 && dead[lk] -> lk = me; die(); recover()
	fi;
	die()
}

/*
 * commit_value(v, old): write v into the buffer that is not current,
 * then commit with one store of the state word, then clear resv and
 * restored.  old: the value it replaces (modify), or 0.
 */
inline commit_value(v, old)
{
	nxt = CUR ^ 1;
	d_step { buf[nxt] = TORN; assert(INV) }         /* memcpy under way */
	die();
	d_step { buf[nxt] = v; assert(INV) }            /* memcpy, len done */
	die();
	d_step {        /* the commit: store of FULL | next */
		state = FULL | nxt;
		assert(!put_val[v]);
		put_val[v] = 1;
		if
		:: old != 0 -> assert(!gone[old]); gone[old] = 1; hv = 0
		:: else
		fi;
		nxt = 0;
		assert(INV)
	}
	die();
	resv = 0;
	die();
	restored = 0;
	die()
}

/*
 * attempt(): one attempt at op under the lock; r = EAGAIN: wait.  Every
 * path that changes the box ends with settle(), as in lib/mvar.c.
 */
inline attempt()
{
	if
	:: op == OP_PUT &&
	   (ISFULL || (resv != 0 && (resv != me || resv_kind != R_PUT))) ->
		r = EAGAIN
	:: op == OP_COMMIT && (resv != me || resv_kind != R_HOLD) ->
		r = EBADMSG
	:: (op == OP_TAKE || op == OP_HOLD) &&
	   (!ISFULL || (resv != 0 && (resv != me || resv_kind != R_TAKE))) ->
		r = EAGAIN
	:: else ->
		if
		:: op == OP_PUT || op == OP_COMMIT ->
			/* put: commit_value(val); modify: commit_value(new) */
			if
			:: op == OP_PUT -> nv = val; old = 0
			:: else -> nv = got + 2; old = got
			fi;
			commit_value(nv, old);
			nv = 0;
			old = 0
		:: else ->      /* OP_TAKE, OP_HOLD */
			/*
			 * copy_out(), and r from restored, which stays set
			 * until a commit: a caller killed before its commit
			 * leaves the news for the next one.
			 */
			got = buf[CUR];
			assert(got != TORN);
			assert(got != orphan || restored);
			assert(!restored || rest[got]);
			r = (restored -> EOWNERDEAD : OK);
			if
			:: op == OP_TAKE ->
				d_step {        /* the commit: store of cur */
					state = CUR;
					assert(!gone[got]);
					gone[got] = 1;
					assert(INV)
				}
				die();
				resv = 0;
				die();
				restored = 0;
				die()
			:: else ->
				/* st(resv, me); st(resv_kind, HOLD | HELD(s)) */
				resv = me;
				die();
				d_step {
					resv_kind = R_HOLD;
					held = state;
					hv = got
				}
				die()
			fi
		fi;
		settle();
		if
		:: op == OP_PUT || op == OP_COMMIT -> r = OK
		:: else
		fi
	fi
}

/*
 * run(): the wait loop of lib/mvar.c.  Each round is one critical
 * section: lock, attempt; after a tick, recover and attempt again; the
 * first time it fails, spin unqueued on the state word (a hint), after
 * that queue (enqueue(), unless a hand-off is already ours), read the
 * park word, and sleep until a wake or a tick.
 */
inline run_op()
{
	spun = 0;
	check = 0;
	queued = 0;
end_sleep:
	do
	:: atomic {
		/*
		 * shmc__sleep_while(&p->park, v, ...) returns on a wake or
		 * at a tick (ETIME); the lock is taken in the same step
		 * when it is free (the wake alone changes nothing shared).
		 */
		if
		:: !slp
		:: slp && park[me] -> check = 0         /* woken */
		:: slp && TICK -> check = 1             /* ETIME */
		fi;
		slp = 0;
		mv_lock();
		/* attempt; after a tick, recover and attempt again */
		do
		:: attempt();
		   if
		   :: r == EAGAIN && check -> check = 0; recover()
		   :: else -> break
		   fi
		od;
		if
		:: r != EAGAIN ->
			if
			:: queued && qkind[me] == q ->
				qkind[me] = Q_NONE;     /* dequeue() */
				qticket[me] = 0;
				die()
			:: else
			fi;
			queued = 0
		:: r == EAGAIN && !spun ->
			spun = 1;
			check = 1
		:: r == EAGAIN && spun ->
			if
			:: !queued && q != Q_NONE && resv != me ->
				/*
				 * enqueue(): the ticket counter, kept
				 * small: only the order of the tickets
				 * of queued entries matters.
				 */
				i = 1;
				do
				:: i < NID ->
					if
					:: qkind[i] != Q_NONE &&
					   qticket[i] >= qticket[me] ->
						qticket[me] = qticket[i] + 1
					:: else
					fi;
					i++
				:: else -> break
				od;
				i = 0;
				qkind[me] = q;
				die();
				queued = 1
			:: else
			fi;
			park[me] = 0;           /* v = park */
			slp = 1
		fi;
		lk = 0                          /* mv_unlock() */
	   };
	   if
	   :: r != EAGAIN -> break
	   :: else              /* sleep, or (!slp) spin_while: a hint */
	   fi
	od;
	spun = 0;
	check = 0
}

/* end_hold(): end a HOLD, emptying the box (take) or leaving the value. */
inline end_hold(take, was_restored)
{
	atomic {
		mv_lock();
		assert(resv == me && resv_kind == R_HOLD);
		if
		:: take ->
			atomic {        /* the commit: store of cur */
				state = CUR;
				assert(!gone[got]);
				gone[got] = 1;
				hv = 0;
				assert(INV)
			}
			die()
		:: !take && was_restored ->
			restored = 1;
			die()
		:: else
		fi;
		atomic { resv = 0; hv = 0 };
		die();
		settle();
		lk = 0                          /* mv_unlock() */
	}
}

/* A dead participant's locals no longer matter. */
#define FORGET  atomic { r = 0; got = 0; val = 0; sid = 0; best = 0; \
                         i = 0; nxt = 0; kind = 0; qk = 0; nv = 0; \
                         old = 0; spun = 0; \
                         check = 0; queued = 0; slp = 0 }

active proctype putter()
{
	byte me = P, op = OP_PUT, q = Q_PUT;
	byte r, val, got, sid, best, i, nxt, kind, qk, nv, old;
	bool spun, check, queued, slp;

	{
		val = 1;
		do
		:: val <= 2 ->
			run_op();
			assert(r == OK);
			r = 0;
			val++
		:: else -> break
		od;
		FORGET;
		done[me] = 1
	} unless { dead[me] -> FORGET }
}

active proctype taker()
{
	byte me = T, op = OP_TAKE, q = Q_TAKE;
	byte r, val, got, sid, best, i, nxt, kind, qk, nv, old, n;
	bool spun, check, queued, slp;

	{
		do
		:: n < 2 ->
			run_op();
			assert(r == OK || r == EOWNERDEAD);
			r = 0;
			got = 0;
			n++
		:: else -> break
		od;
		FORGET;
		done[me] = 1
	} unless { dead[me] -> FORGET; n = 0 }
}

active proctype holder()
{
	byte me = H, op = OP_HOLD, q = Q_TAKE;
	byte r, val, got, sid, best, i, nxt, kind, qk, nv, old;
	bool spun, check, queued, slp, hr;

	{
		do
		:: run_op();
		   if
		   :: op == OP_HOLD ->
			assert(r == OK || r == EOWNERDEAD);
			hr = r == EOWNERDEAD;
			/*
			 * fn(arg, value), unlocked.  Whether this was
			 * modify or take_with, and how fn ends, is chosen
			 * here: the HOLD before is the same for all.
			 */
hold_fn:		if
			:: op = OP_COMMIT;      /* modify, fn succeeded */
			   q = Q_NONE
			:: end_hold(0, hr);     /* modify or take_with, fn failed */
			   break
			:: end_hold(1, hr);     /* take_with, fn succeeded */
			   break
			fi
		   :: else ->
			assert(r == OK);        /* never EBADMSG */
			break
		   fi
		od;
		FORGET;
		done[me] = 1
	} unless { dead[me] -> FORGET; hr = 0; op = 0; q = 0 }
}

/* Stop participants outside the lock: any step, or while asleep. */
active proctype killer()
{
	do
	:: atomic { deaths < MAXDEATHS && !done[P] && !dead[P] ->
		deaths++; dead[P] = 1 }
	:: atomic { deaths < MAXDEATHS && !done[T] && !dead[T] ->
		deaths++; dead[T] = 1 }
	:: atomic { deaths < MAXDEATHS && !done[H] && !dead[H] ->
		deaths++; dead[H] = 1; orphan = hv }
	:: break
	od
}

/*
 * Progress, where nothing can move: a survivor that has not finished
 * waits for what no survivor will supply.  The taker and the holder
 * wait for a value: the box is empty and the putter is finished or
 * dead.  The putter waits for room: the box is full and both consumers
 * are finished or dead.
 */
#define STUCK(p)  (!done[p] && !dead[p])
active proctype monitor()
{
end:	timeout ->
	assert(!STUCK(T) || (!ISFULL && !STUCK(P)));
	assert(!STUCK(H) || (!ISFULL && !STUCK(P)));
	assert(!STUCK(P) || (ISFULL && !STUCK(T) && !STUCK(H)))
}
