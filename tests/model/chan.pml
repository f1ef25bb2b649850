/*
 * chan.pml: a Promela model of the channel protocol of lib/chan.c (claim,
 * commit, skip; deliver; the end of the channel), checked with spin by
 * tests/model/run.
 *
 * What is modelled.  A ring of CAP = 2 slots, each with its state word
 * (pos, status), status FREE, a claimant's ID, COMMITTED or SKIPPED, and
 * its message (the header and data written by the claimant, TORN while
 * being written); tail, with helping; head; the receiver word; the
 * sender roles and joined; ended().  Positions are not reduced modulo
 * anything: the workload bounds them.  Participants:
 *
 *   S1, S2  senders: each joins (become_sender), sends N1 = 2 and
 *           N2 = 1 messages (send_one), so that the ring wraps, and
 *           closes (drop_sender)
 *   R1      the receiver: receives until EPIPE, then closes
 *   R2      a successor: once R1 is dead, becomes the receiver
 *           (become_receiver) and receives until EPIPE
 *
 * Death.  Up to MAXDEATHS participants (default 1) stop forever at any
 * step, leaving their claims, roles and the receiver word as they are;
 * dead[] is what their lease tells the others.  Every step is one atomic
 * instruction on shared memory (a load, a store or a CAS; a few loads
 * are merged where, as noted there, their order cannot matter), and the
 * killer may stop a participant between any two, or while it waits.
 * The memory model is sequentially consistent (lib/chan.c's comments
 * give the orders that make the C code behave so where it matters).
 *
 * Waiting.  A waiter blocks until the word it waits on (a slot state)
 * moves from what it saw, or a tick (ETIME) that can change something:
 * for the receiver, a dead claimant at head or the end of the channel;
 * for a sender waiting for room, a gone receiver.  Other ticks are
 * stutters.  Every execution is finite; the run script checks that the
 * state graph has no cycle (no livelock).
 *
 * Not modelled: rendezvous channels (capacity 0: TAKING, withdrawal,
 * wait_taken), recv_with, try_ calls, deadlines, send_many/recv_many,
 * the creator's hold (expected senders are used instead), the eventcount
 * words (a wait ends when its word moves), lengths, fork children
 * sharing a role, scribbling peers.
 *
 * Properties:
 *  - no torn or phantom message: what a receiver copies out was
 *    committed by its sender, whole;
 *  - at most once per receiver life: a message is delivered twice only
 *    after a receiver death, at most one duplicate per death;
 *  - per-sender FIFO: a sender's messages arrive in its order (a
 *    duplicate repeats the last one);
 *  - the end: EPIPE only when every sender is gone (closed or dead),
 *    joined >= expected, and every committed message was delivered
 *    (at least once);
 *  - the receiver never meets a slot of another lap at head (EBADMSG);
 *  - progress: no cycle (run script), no invalid end state, and where
 *    nothing can move, no sender is stuck, and a live receiver waits
 *    only for a sender that never joined (monitor); in particular it is
 *    never stuck behind a dead sender's claim.
 *
 * Faults this model finds, each with a -D option that models the code
 * without its fix (the search then fails):
 *  - NO_HEAD_LAG_FIX: a receiver killed between freeing the slot at head
 *    (deliver or skip) and moving head on leaves head one lap behind the
 *    slot; recv_one() returned EBADMSG for good.  Fix (lib/chan.c has
 *    it): a slot at head whose position is head + capacity means head
 *    lags: move it on.
 * and two where this model differs from lib/chan.c at the time of
 * writing:
 *  - NO_ENDED_RECHECK: recv_one() loads the slot at head (FREE), and only
 *    then asks ended(); a last sender may claim, commit and close in
 *    between, and EPIPE loses its message.  Fix: after ended(), EPIPE
 *    only if the slot is still what was loaded.
 *  - NO_TAIL_LAG_FIX: a sender killed between its claim and moving tail
 *    on, whose slot the receiver skips (frees for the next lap) before
 *    any other sender helped tail on, leaves tail at a position whose
 *    slot is already of the next lap; send_one() takes that for "tail
 *    moved under us" for ever (EBADMSG after LOOP_MAX).  Fix: a slot at
 *    tail whose position is tail + capacity: help tail on.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef MAXDEATHS
#define MAXDEATHS 1
#endif
#ifndef N1
#define N1      2               /* messages S1 sends */
#endif
#ifndef N2
#define N2      1               /* messages S2 sends */
#endif
#define NMSG    2               /* the most a sender sends */
#define CAP     2               /* slots in the ring */
#define EXPECTED 2              /* attr->senders */

/* Participant IDs.  A claimant's ID is a slot status, so 1..4. */
#define S1      1
#define S2      2
#define R1      3
#define R2      4
#define NID     5

/* Slot status (SHMC__SLOT_*): FREE, a claimant ID, or these. */
#define FREE      0
#define COMMITTED 5
#define SKIPPED   6

/* The receiver word (SHMC__RX_*). */
#define RX_NONE   0
#define RX_GONE   7

/* Messages: sender s's message of sequence number q is (s-1)*NMSG+q+1. */
#define MSG(s, q)  (((s) - 1) * NMSG + (q) + 1)
#define SENDER(m)  (((m) - 1) / NMSG + 1)
#define SEQ(m)     (((m) - 1) % NMSG)
#define NM         (2 * NMSG + 1)
#define TORN       15

/* Local decisions (act). */
#define A_CLAIM    1            /* sender: the slot at tail is free */
#define A_HELP     2            /* sender: claimed by another */
#define A_FULL     3            /* sender: holds the last lap */
#define A_RETRY    4            /* sender: tail moved under us */
#define A_CLAIMED  5            /* our claim succeeded; receiver: claimed */
#define A_DELIVER  6            /* receiver: committed */
#define A_SKIP     7            /* receiver: skipped */
#define A_EMPTY    8            /* receiver: free */
#define A_LAG      9            /* receiver: a slot of the next lap */

bool dead[NID];                 /* the lease: shmc__peer_alive() <= 0 */
bool done[NID];
byte deaths;
byte rdeaths;                   /* receiver deaths */

/* struct shmc__chan_obj and the slots */
byte tail;
byte head;
byte receiver = R1;             /* R1 opened with SHMC_RECEIVER first */
byte joined;
bool role[NID];                 /* a sender role, held and not closed */
byte spos[CAP];                 /* slot state word: position ... */
byte sst[CAP];                  /* ... and status */
byte smsg[CAP];                 /* slot header and data */

/* Ghosts, for the properties only. */
bool committed[NM];
byte delivered[NM];             /* times copied out by a receiver */
byte last[3];                   /* per sender: last seq delivered, + 1 */
byte dups;

#define ROLE_LIVE(s)  (role[s] && !dead[s])
#define ENDED_NOW     (joined >= EXPECTED && !ROLE_LIVE(S1) && \
                       !ROLE_LIVE(S2))
#define RX_GONE_NOW   (receiver == RX_GONE || \
                       (receiver != RX_NONE && dead[receiver]))

/*
 * A receiver copied message m out: no torn or phantom message, at most
 * one duplicate per receiver death, per-sender FIFO.
 */
inline got_msg(slot)
{
	d_step {
		m = smsg[slot];
		assert(m != TORN && m != 0);
		assert(committed[m]);
		if
		:: delivered[m] > 0 -> dups++; assert(dups <= rdeaths)
		:: else
		fi;
		delivered[m]++;
		/* FIFO: later than the last, or a duplicate of it */
		assert(SEQ(m) + 1 > last[SENDER(m)] ||
		       (SEQ(m) + 1 == last[SENDER(m)] && delivered[m] > 1));
		last[SENDER(m)] = SEQ(m) + 1;
		m = 0
	}
}

/* The receiver returns EPIPE: the channel has really ended. */
inline check_end()
{
	d_step {
		assert(joined >= EXPECTED);
		assert(!ROLE_LIVE(S1) && !ROLE_LIVE(S2));
		i = 1;
		do
		:: i < NM ->
			assert(!committed[i] || delivered[i] > 0);
			i++
		:: else -> break
		od;
		i = 0
	}
}

/*
 * A sender: become_sender(), send_one() N times (each a claim of the
 * slot at tail, tail moved on, the message written, the commit), then
 * close (drop_sender).  Each step below is one atomic instruction on
 * shared memory (with the local decisions that follow it).
 */
proctype sender(byte me)
{
	byte t, sp, ss, n, nmsg, act;
	bool check;

	nmsg = (me == S1 -> N1 : N2);
	{
		role[me] = 1;                   /* become_sender: the role */
		joined++;                       /* ... then the join */
send_loop:
		/*
		 * send_one(): receiver_gone(ch, check), check being set
		 * every CHECK_EVERY sends (any send, here) or after a
		 * tick; and load tail.  One step: the receiver's death
		 * between the two loads is the same as after the second.
		 */
		if
		:: atomic { n == nmsg -> goto close }
		:: atomic { n < nmsg && receiver == RX_GONE -> goto close }
		:: atomic { n < nmsg && receiver != RX_GONE &&
		       receiver != RX_NONE && dead[receiver] ->
			if
			:: goto close                   /* checked: EPIPE */
			:: !check -> t = tail           /* not checked */
			fi;
			check = 0 }
		:: atomic { n < nmsg && receiver != RX_GONE &&
		       (receiver == RX_NONE || !dead[receiver]) ->
			t = tail;
			check = 0 }
		fi;
		d_step {                                /* load slot state */
			sp = spos[t % CAP];
			ss = sst[t % CAP];
			if
			:: sp == t && ss == FREE -> act = A_CLAIM
			:: sp == t && ss != FREE -> act = A_HELP
			:: sp + CAP == t -> act = A_FULL
#ifndef NO_TAIL_LAG_FIX
			/*
			 * The slot of t was claimed, given up and skipped
			 * (freed for the next lap) before anyone moved tail
			 * past t: help it on.  Without this, send_one()
			 * takes it for "tail moved under us" forever.
			 */
			:: sp == t + CAP -> act = A_HELP
#endif
			:: else -> act = A_RETRY        /* tail moved */
			fi
		}
		if
		:: d_step { act == A_CLAIM ->
			/* the claim: CAS (t, FREE) -> (t, me) */
			if
			:: spos[t % CAP] == t && sst[t % CAP] == FREE ->
				sst[t % CAP] = me;
				act = A_CLAIMED
			:: else
			fi }
			if
			:: act == A_CLAIMED -> act = 0
			:: else -> act = 0; goto send_loop
			fi
		:: d_step { act == A_HELP ->
			/* claimed by another: CAS tail t -> t + 1 */
			if
			:: tail == t -> tail = t + 1
			:: else
			fi;
			act = 0 }
			goto send_loop
		:: act == A_RETRY -> act = 0; goto send_loop
		:: act == A_FULL ->
			/* full: sender_wait() on the slot state */
end_full:		if
			:: atomic { spos[t % CAP] != sp || sst[t % CAP] != ss ->
				act = 0 }
			:: atomic { RX_GONE_NOW -> check = 1; act = 0 } /* ETIME */
			fi;
			goto send_loop
		fi;
		d_step {                /* CAS tail t -> t + 1 */
			if
			:: tail == t -> tail = t + 1
			:: else
			fi
		}
		/* "chan-send-claimed"; seq from prim[SHMC__CH_SEQ]: n */
		smsg[t % CAP] = TORN;           /* len, sender, seq, data ... */
		smsg[t % CAP] = MSG(me, n);     /* ... "chan-send-copied" */
		/*
		 * The commit: CAS (t, me) -> (t, COMMITTED).  It fails only
		 * if the receiver took us for dead and skipped the slot; then
		 * the message goes again.  Here only the dead are skipped.
		 */
		d_step {
			if
			:: spos[t % CAP] == t && sst[t % CAP] == me ->
				sst[t % CAP] = COMMITTED;
				committed[MSG(me, n)] = 1;
				n++
			:: else
			fi;
			t = 0; sp = 0; ss = 0
		}
		goto send_loop;
close:
		/* shmc_chan_close(): drop_sender(), the role released */
		atomic {
			role[me] = 0;
			t = 0; sp = 0; ss = 0; n = 0; check = 0; act = 0
		}
		done[me] = 1
	} unless { dead[me] -> d_step { t = 0; sp = 0; ss = 0; n = 0;
	    check = 0; act = 0 } }
}

/*
 * A receiver: recv_one() until EPIPE, then close.  R2 first waits for
 * R1's death and becomes the receiver (become_receiver).
 */
proctype receiver_p(byte me)
{
	byte h, sp, ss, m, i, act;
	bool check;

	{
		if
		:: me == R2 ->
end_wait:		dead[R1];
			d_step {        /* CAS receiver: R1 (dead) -> R2 */
				assert(receiver == R1 || receiver == RX_GONE);
				receiver = R2
			}
		:: else
		fi;
recv_loop:
		/*
		 * Load head, then the slot state.  One step: only the
		 * receiver writes head (a successor, once its predecessor
		 * is dead), so the first load cannot race.
		 */
		atomic {
			h = head;
			sp = spos[h % CAP];
			ss = sst[h % CAP];
			if
			:: sp != h -> act = A_LAG
			:: sp == h && ss == COMMITTED -> act = A_DELIVER
			:: sp == h && ss == SKIPPED -> act = A_SKIP
			:: sp == h && ss == FREE -> act = A_EMPTY
			:: else -> act = A_CLAIMED      /* claimed by ss */
			fi
		}
		if
		:: act == A_LAG ->
#ifndef NO_HEAD_LAG_FIX
			/*
			 * A receiver died between freeing the slot at head
			 * for the next lap and moving head: move head on
			 * for it.  Without this, recv_one() takes the slot
			 * for corrupt: EBADMSG.
			 */
			d_step {
				assert(sp == h + CAP);
				head = h + 1;
				act = 0
			}
			goto recv_loop
#else
			assert(0)                       /* EBADMSG */
#endif
		:: act == A_DELIVER ->
			/* deliver(): copy out, then the commit (CAS) */
			got_msg(h % CAP);       /* copied: "chan-recv-copied" */
			d_step {        /* CAS (h, COMMITTED) -> (h + CAP, FREE) */
				assert(spos[h % CAP] == h &&
				       sst[h % CAP] == COMMITTED);
				spos[h % CAP] = h + CAP;
				sst[h % CAP] = FREE
			}
			d_step { head = h + 1; check = 0; act = 0 }
			goto recv_loop                  /* the next recv */
		:: act == A_SKIP ->
			/* skip(): free the slot for the next lap, move head */
			d_step {
				spos[h % CAP] = h + CAP;
				sst[h % CAP] = FREE
			}
			d_step { head = h + 1; act = 0 }
			goto recv_loop
		:: act == A_CLAIMED ->
			/* claimed: being written, unless its sender died */
			if
			:: d_step { check && dead[ss] ->
				/* lease checked: CAS (h, ss) -> (h, SKIPPED) */
				if
				:: spos[h % CAP] == h && sst[h % CAP] == ss ->
					sst[h % CAP] = SKIPPED
				:: else
				fi;
				check = 0;
				act = 0 }
				goto recv_loop
			:: else
			fi
		:: act == A_EMPTY ->
			/*
			 * spin_pos() on the slot, then ended(): hold (none
			 * here), joined, live sender roles.  One step: what
			 * ended() reads only ever goes one way (joined grows,
			 * a role once gone stays gone), so reading it all at
			 * once is reading it at the last of its loads; a
			 * spin that sees the slot move is a later load.
			 */
			if
			:: atomic { !ENDED_NOW -> act = 0 }
				goto recv_sleep
			:: else
			fi;
#ifndef NO_ENDED_RECHECK
			/*
			 * Ended; but a last message may have been committed
			 * since the slot was loaded, by a sender that has
			 * closed since: EPIPE only if the slot still is
			 * (h, FREE).
			 */
			if
			:: atomic { spos[h % CAP] != sp || sst[h % CAP] != ss ->
				act = 0 }
				goto recv_loop
			:: else
			fi;
#endif
			goto recv_end
		fi;
recv_sleep:
		/* receiver_sleep() on the slot state; a tick sets check */
end_sleep:
		if
		:: atomic { spos[h % CAP] != sp || sst[h % CAP] != ss ->
			check = 0; act = 0 }
		:: atomic { (ss != FREE && dead[ss]) ||
		       (ss == FREE && ENDED_NOW) ->
			check = 1; act = 0 }            /* ETIME */
		fi;
		goto recv_loop;
recv_end:
		check_end();                            /* EPIPE */
		/* shmc_chan_close(): CAS receiver me -> GONE */
		atomic {
			if
			:: receiver == me -> receiver = RX_GONE
			:: else
			fi;
			h = 0; sp = 0; ss = 0; check = 0; act = 0
		}
		done[me] = 1
	} unless { dead[me] -> d_step { h = 0; sp = 0; ss = 0; m = 0;
	    check = 0; act = 0 } }
}

/* Stop participants: any step, or while they wait. */
proctype killer()
{
	do
	:: atomic { deaths < MAXDEATHS && !done[S1] && !dead[S1] ->
		deaths++; dead[S1] = 1 }
	:: atomic { deaths < MAXDEATHS && !done[S2] && !dead[S2] ->
		deaths++; dead[S2] = 1 }
	:: atomic { deaths < MAXDEATHS && !done[R1] && !dead[R1] ->
		deaths++; rdeaths++; dead[R1] = 1 }
	:: atomic { deaths < MAXDEATHS && dead[R1] && !done[R2] &&
	       !dead[R2] -> deaths++; rdeaths++; dead[R2] = 1 }
	:: break
	od
}

/*
 * Progress, where nothing can move: no sender is stuck, and the
 * receiver (R1, or R2 once R1 is dead) waits only if a sender never
 * joined, so the end can never come.
 */
#define STUCK(p)  (!done[p] && !dead[p])
proctype monitor()
{
end:	timeout ->
	assert(!STUCK(S1) && !STUCK(S2));
	assert(!STUCK(R1) || joined < EXPECTED);
	assert(!(dead[R1] && STUCK(R2)) || joined < EXPECTED)
}

init
{
	atomic {
		spos[1] = 1;            /* obj_init: slot i is (i, FREE) */
		run sender(S1);
		run sender(S2);
		run receiver_p(R1);
		run receiver_p(R2);
		run killer();
		run monitor()
	}
}
