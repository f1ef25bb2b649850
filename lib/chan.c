/*
 * Channel: a bounded multi-producer single-consumer queue of byte messages
 * between processes, with Rust's std::sync::mpsc::sync_channel semantics.
 *
 * Overview.  A ring of capacity slots (one for a rendezvous channel), a
 * tail that senders advance and a head that only the receiver advances.
 * Each slot has a 64-bit state word: the position it is for, and FREE,
 * CLAIMED by a participant, COMMITTED or SKIPPED.  A sender claims the
 * slot of position t = tail with one CAS from (t, FREE) to (t, its ID),
 * then moves tail on (anyone who finds the slot claimed helps), writes the
 * message, and commits with one store of (t, COMMITTED).  The receiver
 * reads the slot at head, copies the message out, and frees the slot for
 * position head + capacity with one CAS.  This is Vyukov's bounded queue
 * with the claim made on the slot rather than on the index, so that the
 * claim names its owner atomically.  No locks: a send into a channel with
 * room and an awake receiver is two CAS, a copy and one store.
 *
 * Crash safety.  A sender killed between claim and commit leaves its slot
 * CLAIMED by a dead participant.  The receiver, waiting at that slot,
 * checks the claimant's lease at its next tick, marks the slot SKIPPED
 * and steps over it (counted in skipped): no torn or phantom message, and
 * the receiver stalls one tick at most.  The claim records the sending
 * thread's own participant, not the sender role, because a role can be
 * shared with fork children and would outlive the thread that died.  The
 * receiver's commit is the last thing it does: a receiver killed after
 * copying (or after writing the message out, in recv_with) leaves it for
 * the next receiver, which delivers it again: at least once, at most one
 * duplicate per receiver death, told apart by (sender, seq) in
 * shmc_msginfo.
 *
 * Ending.  Senders and the receiver are roles (peer.c): participants held
 * by a handle, not a thread.  A sender role is shared with fork children,
 * so a sender is gone when every copy of its handle is closed or dead.
 * recv reports the end (EPIPE) when the channel is empty, no creator's
 * hold is left, as many senders as expected have joined, and no sender
 * role is alive.  A named channel starts with the creator's hold unless it
 * was created expecting a number of senders, so that a receiver started
 * before the senders does not see the end: `shmchan close` (that is,
 * shmc_chan_shutdown) releases the hold.  send fails with EPIPE once the
 * receiver closed, or, checked when the channel is full and every few
 * hundred sends, once its role is dead.
 *
 * Waiting: eventcounts.  The receiver sleeps on rx_ev after announcing
 * itself in rx_sleep; a sender reads rx_sleep after its commit and wakes
 * it only then, clearing the flag so that one wake-up serves many
 * commits.  Senders waiting for room, or for a rendezvous message to be
 * taken, announce themselves in tx_sleep and sleep on tx_ev.  Both sides
 * spin for the spin budget first.  The announcement and the re-check on
 * one side, and the commit and the check on the other, are sequentially
 * consistent, so no wake-up is lost; every sleep is bounded by the tick.
 *
 * Model: tests/model/chan.pml mirrors the slot states (claim, commit,
 * skip), tail helping, the receiver's copy-then-free and the end of the
 * channel, with any process stopping for ever at any step; spin checks
 * at-least-once delivery with at most one duplicate per receiver death,
 * no phantom message, per-sender order, and that the end is reported only
 * once every sender is gone (make model).
 *
 * Layout: see struct shmc__chan_obj and struct shmc__chan_slot in chan.h.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chan.h"
#include "futex.h"
#include "peer.h"
#include "wait.h"

/* How often a sender checks the receiver's lease on the fast path. */
#define CHECK_EVERY     256

/* Retries of a loop that only a scribbling peer can make go round. */
#define LOOP_MAX        100000

/* deliver(): a rendezvous sender withdrew the message first. */
#define WITHDRAWN       (-1)

/* How long a try_send on a rendezvous channel waits for the hand-over. */
#define TRY_WAIT_NS     10000000L

/* A side's slip: see slip_next. */
#define SLIP_MIN        32      /* pause instructions */
#define SLIP_MAX        128
#define SLIP_RUN        4       /* messages after a slip that say "stream" */
#define SLIP_PROBE      256     /* waits between two tries */
#define SLIP_LEN        1024    /* longer messages do not stream so */

/* This thread's sends since it last checked the receiver's lease. */
static SHMC__TLS unsigned int sends;

/*
 * A side's slip (see slip_next): messages since its last wait, its slip
 * and its waits.  Per thread, not in the handle: threads that share a
 * handle would otherwise bounce its line with every message.
 */
struct slip {
	unsigned int run;
	unsigned int slip;
	unsigned int waits;
};
static SHMC__TLS struct slip rx_slip, tx_slip;

/* What recv does with a message: copy it out, or hand it to a function. */
struct rx {
	void *buf;
	size_t size;
	size_t *len;
	int (*fn)(void *arg, const void *msg, size_t len,
	    const struct shmc_msginfo *info);
	void *arg;
	void *scratch;
};

/* Whether this channel was created by name: then it starts held. */
struct create {
	int named;
};

static uint64_t
stride_of(uint64_t size)
{
	return sizeof(struct shmc__chan_slot) +
	    (size + SHMC__LINE - 1) / SHMC__LINE * SHMC__LINE;
}

static uint32_t
obj_size(const uint64_t *param)
{
	uint64_t slots, total;

	if (param[0] == 0 || param[0] > SHMC__CHAN_MAXSIZE ||
	    param[1] > SHMC__CHAN_MAXCAP || param[2] > SHMC__PEERS_MAX ||
	    param[3] != 0)
		return 0;
	slots = param[1] == 0 ? 1 : param[1];
	total = sizeof(struct shmc__chan_obj) + slots * stride_of(param[0]);
	return total > UINT32_MAX / 2 ? 0 : (uint32_t)total;
}

static void
obj_init(void *o, const uint64_t *param, const void *arg)
{
	const struct create *cr = arg;
	struct shmc__chan_obj *obj = o;
	struct shmc__chan_slot *s;
	uint32_t i;

	memset(obj, 0, sizeof(*obj));
	obj->size = (uint32_t)param[0];
	obj->capacity = param[1] == 0 ? 1 : (uint32_t)param[1];
	obj->rendezvous = param[1] == 0;
	obj->expected = (uint32_t)param[2];
	obj->hold = cr->named && param[2] == 0;
	for (i = 0; i < obj->capacity; i++) {
		s = (struct shmc__chan_slot *)(obj->slots +
		    i * stride_of(param[0]));
		s->state = SHMC__STATE(i, SHMC__SLOT_FREE);
	}
}

const struct shmc__kind shmc__chan_kind = {
	SHMC__KIND_CHAN, 0, obj_size, obj_init
};

static struct shmc__chan_slot *
slot(struct shmc_chan *ch, uint64_t pos)
{
	return (struct shmc__chan_slot *)(ch->obj->slots +
	    (pos % ch->capacity) * ch->stride);
}

/*
 * Wake whoever announced in *flag that they sleep on *ev, at most n of
 * them; the caller has just published what they wait for.  The flag is
 * taken with an exchange, so that of many wakers only the first makes
 * the system call: the others see it clear and know that a wake-up is
 * on its way.  Without that, every message committed while a woken
 * receiver was still on its way to a CPU (20-30 us here) cost its sender
 * a futex call too.
 */
static void
wake(shmc__word *flag, shmc__word *ev, int n)
{
	/*
	 * Sequentially consistent, after the caller's seq_cst publication:
	 * either we see the flag, or the sleeper's re-check after setting
	 * it sees what we published.  The plain load first keeps the line
	 * shared while nobody sleeps.  If the exchange finds the flag clear,
	 * either another waker cleared it, and bumps ev after its exchange
	 * (every sleeper read ev before it set the flag, so its futex wait
	 * cannot miss that bump), or the receiver cleared its own flag on
	 * waking, and is awake; a sleeper that sets the flag after our
	 * exchange re-checks after us.
	 */
	if (atomic_load_explicit(flag, memory_order_seq_cst) &&
	    atomic_exchange_explicit(flag, 0, memory_order_seq_cst)) {
		/* Release: a woken sleeper re-reads what we published. */
		atomic_fetch_add_explicit(ev, 1, memory_order_release);
		shmc__futex_wake(ev, n);
	}
}

/* Wake the receiver if it announced that it sleeps. */
static void
wake_receiver(struct shmc_chan *ch)
{
	wake(&ch->obj->rx_sleep, &ch->obj->rx_ev, 1);
}

/*
 * Wake every sender waiting for room or for its message to be taken, now
 * that the receiver has moved head to h.  On a buffered channel, only once
 * half the ring is free: a sender woken for every freed slot costs a
 * system call per message when the receiver is the faster side.  A sender
 * the receiver leaves asleep wakes at its tick anyway.
 */
static void
wake_senders(struct shmc_chan *ch, uint64_t h)
{
	uint64_t tail;

	/*
	 * Sequentially consistent, after the caller's seq_cst free of a
	 * slot (and, on a rendezvous channel, its seq_cst store of head):
	 * see wake().  The flag first, so that the line of tail, which senders
	 * write for every message, is not pulled over here for every
	 * message too.
	 */
	if (!atomic_load_explicit(&ch->obj->tx_sleep, memory_order_seq_cst))
		return;
	/* Relaxed: a hint for the batching; wake() decides. */
	tail = atomic_load_explicit(&ch->obj->tail, memory_order_relaxed);
	if (!ch->rendezvous && tail > h && tail - h > ch->capacity / 2)
		return;
	/* All of them: they share the flag, and each re-checks its slot. */
	wake(&ch->obj->tx_sleep, &ch->obj->tx_ev, INT_MAX);
}

/* Is the receiver gone: closed, or its role dead? check: ask the kernel. */
static int
receiver_gone(struct shmc_chan *ch, int check)
{
	uint32_t rx;

	/* Relaxed: a hint re-read on every call; leases decide. */
	rx = atomic_load_explicit(&ch->obj->receiver, memory_order_relaxed);
	if (rx == SHMC__RX_GONE)
		return 1;
	return check && rx != SHMC__RX_NONE &&
	    shmc__peer_alive(ch->seg, rx) <= 0;
}

/* Is the role in slot s valid (claimed by its current holder) as role? */
static int
role_in(struct shmc_chan *ch, uint32_t s, uint32_t role, uint32_t *id)
{
	struct shmc__peer *p = &ch->seg->peers[s];

	/* Relaxed: role words are written before the role is used. */
	if (atomic_load_explicit(&p->prim[SHMC__CH_ROLE],
	    memory_order_relaxed) != role)
		return 0;
	*id = atomic_load_explicit(&p->prim[SHMC__CH_ROLE_ID],
	    memory_order_relaxed);
	return SHMC__ID_SLOT(*id) == s && SHMC__ID_GEN(*id) ==
	    atomic_load_explicit(&p->gen, memory_order_relaxed);
}

/* How many sender roles are alive (one lease check each), up to max. */
static unsigned int
live_senders(struct shmc_chan *ch, unsigned int max)
{
	unsigned int n = 0;
	uint32_t s, id;

	for (s = 0; s < ch->seg->hdr.npeers && n < max; s++)
		if (role_in(ch, s, SHMC__ROLE_SENDER, &id) &&
		    shmc__peer_alive(ch->seg, id) > 0)
			n++;
	return n;
}

/* Has the channel ended, given that it is empty at head? */
static int
ended(struct shmc_chan *ch)
{
	struct shmc__chan_obj *obj = ch->obj;

	/* Relaxed: hints; the sender leases decide. */
	if (atomic_load_explicit(&obj->hold, memory_order_relaxed) ||
	    atomic_load_explicit(&obj->joined, memory_order_relaxed) <
	    ch->seg->hdr.param[2])
		return 0;
	return live_senders(ch, 1) == 0;
}

struct pos_seen {
	_Atomic uint64_t *word;
	uint64_t seen;
};

static int
pos_changed(const void *arg)
{
	const struct pos_seen *ps = arg;

	/* Acquire: the caller goes on to read what the change published. */
	return atomic_load_explicit(ps->word, memory_order_acquire) !=
	    ps->seen;
}

/*
 * Spin while *word == seen, after slip pauses; 1 if it moved within the
 * spin budget.
 */
static int
spin_pos(_Atomic uint64_t *word, uint64_t seen, unsigned int slip)
{
	struct pos_seen ps = { word, seen };

	return shmc__spin_slip(pos_changed, &ps, slip);
}

/*
 * How long a side that finds it must wait goes on waiting before it looks
 * again: its slip, in pause instructions.  The receiver finds the channel
 * empty, a sender finds it full.  While messages stream and the waiting
 * side is the faster one, it catches up after every message and then
 * reads the state of the very slot that the other side is about to write:
 * the line goes back and forth twice a message, and the other side waits
 * for it.  A side that stays a few slots behind reads (or claims) lines
 * that the other has finished with: twice the messages a second here.  So
 * once in SLIP_PROBE waits a side tries a slip; if at least SLIP_RUN
 * messages went through after it, a stream is running, and the next slip
 * doubles, up to SLIP_MAX (3 us here, a pause taking 25 ns).  Fewer, as
 * when the sender waits for an answer, and the slip is dropped: a lone
 * message is never delayed but by a probe.  A message longer than
 * SLIP_LEN breaks a run: its copy costs more than the lines of the slot's
 * state, and a side slipping then only idles (64 KiB messages looked
 * slower so, in noisy runs).  The state is the thread's: a thread that
 * uses two channels in turn mixes their hints.
 */
static unsigned int
slip_next(struct slip *sl)
{
	unsigned int run = sl->run;

	sl->run = 0;
	if (sl->slip > 0)
		sl->slip = run < SLIP_RUN ? 0 : sl->slip < SLIP_MAX ?
		    2 * sl->slip : SLIP_MAX;
	else if (++sl->waits % SLIP_PROBE == 0)
		sl->slip = SLIP_MIN;
	return sl->slip;
}

/* One more message through this side: len bytes. */
static void
slip_count(struct slip *sl, size_t len)
{
	sl->run = len > SLIP_LEN ? 0 : sl->run + 1;
}

/*
 * Sleep, as a sender, until *word (a slot state or head) moves from seen,
 * the deadline passes (ETIMEDOUT) or a tick goes by (ETIME), announced in
 * tx_sleep and sleeping on tx_ev.  Senders share the flag, so a sender
 * never clears it: another may still sleep.  A flag left set by senders
 * that woke at their tick costs the receiver one needless wake-up.
 */
static int
sender_sleep(struct shmc_chan *ch, _Atomic uint64_t *word, uint64_t seen,
    const struct timespec *deadline, uint64_t *due)
{
	struct shmc__chan_obj *obj = ch->obj;
	uint32_t v, me;
	int r;

	/* We attached in chan_send: only ENODATA, the object truncated. */
	if ((r = shmc__peer_self(ch->seg, &me)) != 0)
		return r;
	shmc__peer_waiting(ch->seg, me, SHMC__WAIT_SEND, 0);
	v = atomic_load_explicit(&obj->tx_ev, memory_order_acquire);
	/* Sequentially consistent: see wake(). */
	atomic_store_explicit(&obj->tx_sleep, 1, memory_order_seq_cst);
	if (atomic_load_explicit(word, memory_order_seq_cst) != seen)
		r = 0;
	else
		r = shmc__sleep_while(&obj->tx_ev, v, deadline, ch->tick_ms,
		    due);
	shmc__peer_waiting(ch->seg, me, SHMC__WAIT_NONE, 0);
	return r;
}

/*
 * A sender's wait: spin, after slip pauses, then sleep.  *due: see
 * shmc__sleep_while.
 */
static int
sender_wait(struct shmc_chan *ch, _Atomic uint64_t *word, uint64_t seen,
    unsigned int slip, const struct timespec *deadline, uint64_t *due)
{
	if (spin_pos(word, seen, slip))
		return 0;
	return sender_sleep(ch, word, seen, deadline, due);
}

/* The receiver's counterpart of sender_sleep, on rx_ev and rx_sleep. */
static int
receiver_sleep(struct shmc_chan *ch, _Atomic uint64_t *word, uint64_t seen,
    const struct timespec *deadline, uint64_t *due)
{
	struct shmc__chan_obj *obj = ch->obj;
	uint32_t v;
	int r;

	shmc__peer_waiting(ch->seg, ch->receiver, SHMC__WAIT_RECV, 0);
	v = atomic_load_explicit(&obj->rx_ev, memory_order_acquire);
	/* Sequentially consistent: see wake(). */
	atomic_store_explicit(&obj->rx_sleep, 1, memory_order_seq_cst);
	if (atomic_load_explicit(word, memory_order_seq_cst) != seen)
		r = 0;
	else
		r = shmc__sleep_while(&obj->rx_ev, v, deadline, ch->tick_ms,
		    due);
	/*
	 * Relaxed: we are the only receiver, and awake; a sender that
	 * still finds the flag set only wakes us needlessly.
	 */
	atomic_store_explicit(&obj->rx_sleep, 0, memory_order_relaxed);
	shmc__peer_waiting(ch->seg, ch->receiver, SHMC__WAIT_NONE, 0);
	return r;
}

/*
 * Claim a slot, write msg into it and commit it; the position goes to
 * *pos.  Waits while the channel is full.  owed, for send_many, says that
 * messages of its batch were committed and the receiver not yet told.
 */
static int
send_one(struct shmc_chan *ch, uint32_t me, const void *msg, size_t len,
    const struct timespec *deadline, int try, uint64_t *pos, int *owed)
{
	struct shmc__chan_obj *obj = ch->obj;
	struct shmc__chan_slot *s;
	uint64_t t, st, next, due = 0;
	uint32_t seq;
	int r, loops = 0, check = 0;

	if (++sends >= CHECK_EVERY) {
		sends = 0;
		check = 1;
	}
again:
	for (;;) {
		if (receiver_gone(ch, check))
			return EPIPE;
		check = 0;
		if (++loops > LOOP_MAX)
			return EBADMSG;
		/* Acquire: pairs with the release of whoever moved it. */
		t = atomic_load_explicit(&obj->tail, memory_order_acquire);
		s = slot(ch, t);
		/*
		 * Claim, if the slot is free for t: a CAS straight away
		 * rather than a read first, which would fetch the line only
		 * to fetch it again for writing.  Acquire on success: the
		 * receiver's release that freed the slot happens before our
		 * writes.  Acquire on failure too: st is then what is there,
		 * and we may go on to read what its writer published.
		 */
		st = SHMC__STATE(t, SHMC__SLOT_FREE);
		if (atomic_compare_exchange_strong_explicit(&s->state, &st,
		    SHMC__STATE(t, me), memory_order_acquire,
		    memory_order_acquire))
			break;
		if (SHMC__STATE_POS(st) == (uint32_t)t ||
		    SHMC__STATE_POS(st) == (uint32_t)(t + ch->capacity)) {
			/*
			 * Claimed by another: help it move tail on.  Or the
			 * claim of t was given up and the receiver skipped
			 * it, freeing the slot for the next lap, before
			 * anyone moved tail past t: tail is stale, not
			 * moving, so help it on too (tests/model/chan.pml,
			 * NO_TAIL_LAG_FIX).
			 */
			atomic_compare_exchange_strong_explicit(&obj->tail, &t,
			    t + 1, memory_order_release, memory_order_relaxed);
			continue;
		}
		if (SHMC__STATE_POS(st) != (uint32_t)(t - ch->capacity))
			continue;       /* tail moved under us */
		/* Full: the slot still holds the message of one lap ago. */
		if (try)
			return EAGAIN;
		/*
		 * send_many wakes the receiver once per batch: if it sleeps
		 * on a message of ours that it has not been told of, we
		 * would wait for each other until its tick.  Once: a wake-up
		 * on every round of our wait would only disturb its sleep.
		 */
		if (owed != NULL && *owed) {
			wake_receiver(ch);
			*owed = 0;
		}
		r = sender_wait(ch, &s->state, st, slip_next(&tx_slip),
		    deadline, &due);
		/* ETIMEDOUT, or ENODATA: the object was truncated. */
		if (r != 0 && r != ETIME)
			return r;
		check = r == ETIME;
		loops = 0;
	}
	/*
	 * Move tail on, unless a helper did.  Release: a sender that sees
	 * the new tail also sees our claim.  The CAS gets a copy: on failure
	 * it overwrites its expected value, and t is our position.
	 */
	next = t;
	atomic_compare_exchange_strong_explicit(&obj->tail, &next, t + 1,
	    memory_order_release, memory_order_relaxed);
	SHMC__STOP("chan-send-claimed");
	seq = atomic_fetch_add_explicit(
	    &ch->seg->peers[SHMC__ID_SLOT(ch->sender)].prim[SHMC__CH_SEQ], 1,
	    memory_order_relaxed);
	s->len = (uint32_t)len;
	s->sender = ch->sender;
	s->seq = seq;
	if (len > 0)
		memcpy(s->data, msg, len);
	SHMC__STOP("chan-send-copied");
	/*
	 * The commit.  Sequentially consistent (and so a release of the
	 * message above): see wake_receiver, which the caller runs next.  A
	 * CAS from our own claim: if the receiver took us for dead and
	 * skipped the slot (a stopped sender whose lease check raced a
	 * reclaim, or a scribbled word), the slot is no longer ours, and
	 * the message goes again in a new one rather than over a slot the
	 * receiver has passed.
	 */
	st = SHMC__STATE(t, me);
	if (!atomic_compare_exchange_strong_explicit(&s->state, &st,
	    SHMC__STATE(t, SHMC__SLOT_COMMITTED), memory_order_seq_cst,
	    memory_order_relaxed)) {
		loops = 0;
		goto again;
	}
	slip_count(&tx_slip, len);
	*pos = t;
	return 0;
}

/*
 * Rendezvous: wait until the receiver has taken position t.  If it is
 * gone, or the deadline passes, withdraw the message with a CAS; if the
 * CAS loses, the receiver took it after all.
 */
static int
wait_taken(struct shmc_chan *ch, uint64_t t, const struct timespec *deadline)
{
	struct shmc__chan_obj *obj = ch->obj;
	struct shmc__chan_slot *s = slot(ch, t);
	uint64_t h, st, due = 0;
	int r = 0, check = 0;

	for (;;) {
		/* Acquire: pairs with the receiver's release of head. */
		h = atomic_load_explicit(&obj->head, memory_order_acquire);
		if (h > t)
			return 0;
		if (r == ETIMEDOUT || receiver_gone(ch, check)) {
			st = SHMC__STATE(t, SHMC__SLOT_COMMITTED);
			/* Relaxed: nothing of ours to publish. */
			if (atomic_compare_exchange_strong_explicit(&s->state,
			    &st, SHMC__STATE(t, SHMC__SLOT_SKIPPED),
			    memory_order_relaxed, memory_order_relaxed)) {
				wake_receiver(ch);
				return r == ETIMEDOUT ? r : EPIPE;
			}
			/* Taken, or being taken (TAKING): it is delivered. */
			if (SHMC__STATE_POS(st) != (uint32_t)t ||
			    SHMC__STATE_ST(st) != SHMC__SLOT_COMMITTED)
				return 0;
		}
		r = sender_wait(ch, &obj->head, h, 0, deadline, &due);
		/* ENODATA: truncated; there is nothing left to withdraw. */
		if (r != 0 && r != ETIME && r != ETIMEDOUT)
			return r;
		check = r == ETIME;
	}
}

static int
chan_send(struct shmc_chan *ch, const void *msg, size_t len,
    const struct timespec *deadline, int try)
{
	struct timespec soon;
	uint64_t pos;
	uint32_t me;
	int r;

	if (ch->sender == 0)
		return EPERM;
	if (len > ch->size)
		return EMSGSIZE;
	if (msg == NULL && len > 0)
		return EINVAL;
	r = shmc__deadline_valid(deadline);
	if (r == 0)
		r = shmc__peer_self(ch->seg, &me);
	if (r != 0)
		return r;
	if (try && ch->rendezvous) {
		/*
		 * As Rust's try_send on a zero-capacity channel: only to a
		 * receiver that is waiting, and the hand-over is bounded.
		 * Relaxed: a hint; wait_taken withdraws if it is wrong.
		 */
		if (!atomic_load_explicit(&ch->obj->rx_sleep,
		    memory_order_relaxed))
			return EAGAIN;
		clock_gettime(CLOCK_MONOTONIC, &soon);
		soon.tv_nsec += TRY_WAIT_NS;
		if (soon.tv_nsec >= 1000000000L) {
			soon.tv_sec++;
			soon.tv_nsec -= 1000000000L;
		}
		deadline = &soon;
	}
	r = send_one(ch, me, msg, len, deadline, try, &pos, NULL);
	if (r == 0)
		wake_receiver(ch);
	if (r == 0 && ch->rendezvous) {
		r = wait_taken(ch, pos, deadline);
		if (try && r == ETIMEDOUT)
			r = EAGAIN;
	}
	return shmc__seg_check(ch->seg, r);
}

int
shmc_chan_send(struct shmc_chan *ch, const void *msg, size_t len)
{
	return chan_send(ch, msg, len, NULL, 0);
}

int
shmc_chan_try_send(struct shmc_chan *ch, const void *msg, size_t len)
{
	return chan_send(ch, msg, len, NULL, 1);
}

int
shmc_chan_timedsend(struct shmc_chan *ch, const void *msg, size_t len,
    const struct timespec *deadline)
{
	return chan_send(ch, msg, len, deadline, 0);
}

/*
 * Send n messages, one slot each, waking the receiver once for the lot
 * rather than per message.  *sent counts those sent before any error.
 */
int
shmc_chan_send_many(struct shmc_chan *ch, const struct iovec *msgs,
    size_t n, size_t *sent, const struct timespec *deadline)
{
	uint64_t pos = 0;
	uint32_t me;
	size_t i;
	int r, owed = 0;

	*sent = 0;
	if (ch->sender == 0)
		return EPERM;
	if (ch->rendezvous) {
		for (i = 0; i < n; i++) {
			r = chan_send(ch, msgs[i].iov_base, msgs[i].iov_len,
			    deadline, 0);
			if (r != 0)
				return r;
			++*sent;
		}
		return 0;
	}
	r = shmc__deadline_valid(deadline);
	if (r == 0)
		r = shmc__peer_self(ch->seg, &me);
	for (i = 0; r == 0 && i < n; i++) {
		if (msgs[i].iov_len > ch->size)
			r = EMSGSIZE;
		else if (msgs[i].iov_base == NULL && msgs[i].iov_len > 0)
			r = EINVAL;
		else
			r = send_one(ch, me, msgs[i].iov_base,
			    msgs[i].iov_len, deadline, 0, &pos, &owed);
		if (r == 0) {
			++*sent;
			owed = 1;
		}
		/* Do not keep the receiver waiting for the whole batch. */
		if ((i & 63) == 63 && owed) {
			wake_receiver(ch);
			owed = 0;
		}
	}
	if (*sent > 0)
		wake_receiver(ch);
	return shmc__seg_check(ch->seg, r);
}

/*
 * Move head past h, whose slot we have just freed, and wake the senders
 * that wait.  Release: pairs with wait_taken's acquire of head, after
 * which a rendezvous sender is done.  That sender sleeps on head itself,
 * not on the slot whose seq_cst free came before: so on a rendezvous
 * channel the store is sequentially consistent too, and either
 * wake_senders' load of tx_sleep sees the sender's announcement or the
 * sender's re-check of head sees the new head.
 */
static void
advance_head(struct shmc_chan *ch, uint64_t h)
{
	if (ch->rendezvous)
		atomic_store_explicit(&ch->obj->head, h + 1,
		    memory_order_seq_cst);
	else
		atomic_store_explicit(&ch->obj->head, h + 1,
		    memory_order_release);
	wake_senders(ch, h + 1);
}

/* Step over the slot at head h, given up by its sender; free it. */
static void
skip(struct shmc_chan *ch, struct shmc__chan_slot *s, uint64_t h)
{
	struct shmc__chan_obj *obj = ch->obj;

	/* Sequentially consistent: see wake_senders, called next. */
	atomic_store_explicit(&s->state,
	    SHMC__STATE(h + ch->capacity, SHMC__SLOT_FREE),
	    memory_order_seq_cst);
	atomic_fetch_add_explicit(&obj->skipped, 1, memory_order_relaxed);
	advance_head(ch, h);
}

/*
 * Deliver the message at head h, whose state is st (COMMITTED, or TAKING
 * left by a dead receiver): copy it out (or to scratch, then to rx->fn),
 * then commit by freeing the slot.  Returns 0, WITHDRAWN if a rendezvous
 * sender withdrew it first, EMSGSIZE, EBADMSG, or the function's error
 * (the message then stays).
 */
static int
deliver(struct shmc_chan *ch, struct shmc__chan_slot *s, uint64_t h,
    uint64_t st, struct rx *rx)
{
	struct shmc_msginfo info;
	uint32_t n;
	int r;

	n = s->len;
	if (n > ch->size)
		return EBADMSG;
	if (rx->fn != NULL) {
		/*
		 * On a rendezvous channel, first stop the sender from
		 * withdrawing what the function is about to write out.
		 * Relaxed: the message was acquired with the state already.
		 */
		if (ch->rendezvous &&
		    SHMC__STATE_ST(st) == SHMC__SLOT_COMMITTED &&
		    !atomic_compare_exchange_strong_explicit(&s->state, &st,
		    SHMC__STATE(h, SHMC__SLOT_TAKING), memory_order_relaxed,
		    memory_order_relaxed))
			return WITHDRAWN;
		if (ch->rendezvous)
			st = SHMC__STATE(h, SHMC__SLOT_TAKING);
		memcpy(rx->scratch, s->data, n);
		info.sender = s->sender;
		info.seq = s->seq;
		info.pos = h;
		SHMC__STOP("chan-recv-copied");
		r = rx->fn(rx->arg, rx->scratch, n, &info);
		if (r != 0) {
			/* Relaxed: only we move a TAKING slot. */
			if (SHMC__STATE_ST(st) == SHMC__SLOT_TAKING)
				atomic_store_explicit(&s->state,
				    SHMC__STATE(h, SHMC__SLOT_COMMITTED),
				    memory_order_relaxed);
			return r;
		}
	} else {
		if (n > rx->size)
			return EMSGSIZE;
		memcpy(rx->buf, s->data, n);
		*rx->len = n;
		SHMC__STOP("chan-recv-copied");
	}
	/*
	 * Commit: free the slot for the next lap.  Sequentially consistent
	 * (see wake_senders); a CAS because a rendezvous sender may have
	 * withdrawn the message, and then it was never ours.
	 */
	if (!atomic_compare_exchange_strong_explicit(&s->state, &st,
	    SHMC__STATE(h + ch->capacity, SHMC__SLOT_FREE),
	    memory_order_seq_cst, memory_order_relaxed))
		return WITHDRAWN;
	SHMC__STOP("chan-recv-freed");
	advance_head(ch, h);
	return 0;
}

/*
 * Receive one message at head: wait while the channel is empty or the
 * head slot is being written; step over dead senders' claims; report the
 * end of the channel.
 */
static int
recv_one(struct shmc_chan *ch, struct rx *rx, const struct timespec *deadline,
    int try)
{
	struct shmc__chan_obj *obj = ch->obj;
	struct shmc__chan_slot *s;
	uint64_t h, st, due = 0;
	uint32_t status, len;
	int r, loops = 0, check = 0;

	for (;;) {
		if (++loops > LOOP_MAX)
			return EBADMSG;
		/* Relaxed: only we write head. */
		h = atomic_load_explicit(&obj->head, memory_order_relaxed);
		s = slot(ch, h);
		/* Acquire: pairs with the sender's commit. */
		st = atomic_load_explicit(&s->state, memory_order_acquire);
		status = SHMC__STATE_ST(st);
		if (SHMC__STATE_POS(st) == (uint32_t)(h + ch->capacity)) {
			/*
			 * A receiver before us freed this slot and died before
			 * it moved head on: finish its step.
			 */
			advance_head(ch, h);
			continue;
		}
		if (SHMC__STATE_POS(st) != (uint32_t)h)
			return EBADMSG;
		if (status == SHMC__SLOT_COMMITTED ||
		    status == SHMC__SLOT_TAKING) {
			/* Stable while committed: deliver checks it. */
			len = s->len;
			r = deliver(ch, s, h, st, rx);
			if (r == 0)
				slip_count(&rx_slip, len);
			if (r != WITHDRAWN)
				return r;
			continue;
		}
		if (status == SHMC__SLOT_SKIPPED) {
			skip(ch, s, h);
			continue;
		}
		if (status != SHMC__SLOT_FREE) {
			/* Claimed: being written, unless its sender died. */
			if (check && shmc__peer_alive(ch->seg, status) <= 0) {
				/* Relaxed: nothing to publish but the mark. */
				atomic_compare_exchange_strong_explicit(
				    &s->state, &st,
				    SHMC__STATE(h, SHMC__SLOT_SKIPPED),
				    memory_order_relaxed,
				    memory_order_relaxed);
				check = 0;
				continue;
			}
			if (try)
				return EAGAIN;
		} else if (try) {
			if (!ended(ch))
				return EAGAIN;
			/* See below. */
			if (atomic_load_explicit(&s->state,
			    memory_order_acquire) == st)
				return EPIPE;
			continue;
		}
		if (spin_pos(&s->state, st, slip_next(&rx_slip)))
			continue;
		/*
		 * Empty, and about to sleep: has the channel ended?  Only if
		 * the slot is still empty after ended() says so: a last
		 * sender may have claimed, committed and closed since we
		 * loaded it (tests/model/chan.pml, NO_ENDED_RECHECK).
		 * Acquire: we saw its role gone, which it gave up after its
		 * commit.
		 */
		if (status == SHMC__SLOT_FREE && ended(ch) &&
		    atomic_load_explicit(&s->state, memory_order_acquire) == st)
			return EPIPE;
		r = receiver_sleep(ch, &s->state, st, deadline, &due);
		/* ETIMEDOUT, or ENODATA: the object was truncated. */
		if (r != 0 && r != ETIME)
			return r;
		check = r == ETIME;
		loops = 1;
	}
}

/*
 * Is this handle the receiver?  A fork child's copy of the receiver's
 * handle is not: the role does not pass to children (peer.c).
 */
static int
is_receiver(const struct shmc_chan *ch)
{
	return ch->receiver != 0 && ch->rx_forks == shmc__forks;
}

static int
chan_recv(struct shmc_chan *ch, struct rx *rx, const struct timespec *deadline,
    int try)
{
	int r;

	if (!is_receiver(ch))
		return EPERM;
	r = shmc__seg_check(ch->seg, shmc__deadline_valid(deadline));
	return r != 0 ? r : shmc__seg_check(ch->seg,
	    recv_one(ch, rx, deadline, try));
}

int
shmc_chan_timedrecv(struct shmc_chan *ch, void *buf, size_t size,
    size_t *len, const struct timespec *deadline)
{
	struct rx rx = { buf, size, len, NULL, NULL, NULL };

	return chan_recv(ch, &rx, deadline, 0);
}

int
shmc_chan_recv(struct shmc_chan *ch, void *buf, size_t size, size_t *len)
{
	return shmc_chan_timedrecv(ch, buf, size, len, NULL);
}

int
shmc_chan_try_recv(struct shmc_chan *ch, void *buf, size_t size,
    size_t *len)
{
	struct rx rx = { buf, size, len, NULL, NULL, NULL };

	return chan_recv(ch, &rx, NULL, 1);
}

/*
 * Receive up to n messages into buf, one after the other, their lengths
 * in lens: wait for the first, then take what is there and fits.
 */
int
shmc_chan_recv_many(struct shmc_chan *ch, void *buf, size_t size,
    size_t *lens, size_t n, size_t *got, const struct timespec *deadline)
{
	struct rx rx = { buf, size, NULL, NULL, NULL, NULL };
	size_t used = 0;
	int r = 0;

	*got = 0;
	while (*got < n) {
		rx.buf = (unsigned char *)buf + used;
		rx.size = size - used;
		rx.len = &lens[*got];
		r = chan_recv(ch, &rx, deadline, *got > 0);
		if (r != 0)
			break;
		used += lens[(*got)++];
	}
	/* Having something beats what stopped us. */
	return *got > 0 ? 0 : r;
}

int
shmc_chan_recv_with(struct shmc_chan *ch,
    int (*fn)(void *arg, const void *msg, size_t len,
    const struct shmc_msginfo *info), void *arg,
    const struct timespec *deadline)
{
	struct rx rx = { NULL, 0, NULL, fn, arg, NULL };
	int r;

	if (!is_receiver(ch))
		return EPERM;
	rx.scratch = malloc(ch->size > 0 ? ch->size : 1);
	if (rx.scratch == NULL)
		return ENOMEM;
	r = chan_recv(ch, &rx, deadline, 0);
	free(rx.scratch);
	return r;
}

/* Write the role words of a role we just claimed. */
static void
set_role(struct shmc_chan *ch, uint32_t id, uint32_t role)
{
	struct shmc__peer *p = &ch->seg->peers[SHMC__ID_SLOT(id)];

	/* Relaxed: read by scans that then check the lease. */
	atomic_store_explicit(&p->prim[SHMC__CH_SEQ], 0, memory_order_relaxed);
	atomic_store_explicit(&p->prim[SHMC__CH_ROLE_ID], id,
	    memory_order_relaxed);
	atomic_store_explicit(&p->prim[SHMC__CH_ROLE], role,
	    memory_order_relaxed);
}

/*
 * Become the receiver: claim a role that fork children do not inherit,
 * and install it unless a live receiver is there (EBUSY).
 */
static int
become_receiver(struct shmc_chan *ch)
{
	uint32_t id, rx;
	int r, loops;

	r = shmc__peer_role(ch->seg, 0, &id);
	if (r != 0)
		return r;
	set_role(ch, id, SHMC__ROLE_RECEIVER);
	for (loops = 0; loops < LOOP_MAX; loops++) {
		/* Acquire: pairs with a predecessor's release below. */
		rx = atomic_load_explicit(&ch->obj->receiver,
		    memory_order_acquire);
		if (rx != SHMC__RX_NONE && rx != SHMC__RX_GONE &&
		    shmc__peer_alive(ch->seg, rx) > 0) {
			shmc__peer_unrole(ch->seg, id);
			return EBUSY;
		}
		/*
		 * Acq_rel: we take over the head and slots as the last
		 * receiver left them.
		 */
		if (atomic_compare_exchange_strong_explicit(&ch->obj->receiver,
		    &rx, id, memory_order_acq_rel, memory_order_relaxed)) {
			ch->receiver = id;
			ch->rx_forks = shmc__forks;
			return 0;
		}
	}
	shmc__peer_unrole(ch->seg, id);
	return EBADMSG;
}

/* Become a sender: a role fork children share, and count the join. */
static int
become_sender(struct shmc_chan *ch)
{
	uint32_t id;
	int r;

	r = shmc__peer_role(ch->seg, 1, &id);
	if (r != 0)
		return r;
	set_role(ch, id, SHMC__ROLE_SENDER);
	/* Relaxed: a count; the role's lease is what ended() trusts. */
	atomic_fetch_add_explicit(&ch->obj->joined, 1, memory_order_relaxed);
	ch->sender = id;
	return 0;
}

/* Give up the sender role and let the receiver look at the end again. */
static void
drop_sender(struct shmc_chan *ch)
{
	if (ch->sender == 0)
		return;
	shmc__peer_unrole(ch->seg, ch->sender);
	ch->sender = 0;
	/* Release: the receiver re-checks the end after this. */
	atomic_fetch_add_explicit(&ch->obj->rx_ev, 1, memory_order_release);
	shmc__futex_wake(&ch->obj->rx_ev, 1);
}

int
shmc_chan_open(const char *name, int flags, const struct shmc_attr *attr,
    struct shmc_chan **out)
{
	uint64_t param[SHMC__NPARAM] = { SHMC__CHAN_DEFAULT, 0, 0, 0 };
	struct create cr = { name != NULL };
	struct shmc_chan *ch;
	int r;

	if (attr != NULL) {
		if (attr->size != 0)
			param[0] = attr->size;
		param[1] = attr->capacity;
		param[2] = attr->senders;
		/* An anonymous channel has one opener: one sender at most. */
		if (param[0] > SHMC__CHAN_MAXSIZE ||
		    param[1] > SHMC__CHAN_MAXCAP ||
		    param[2] > (name == NULL ? 1 : SHMC__PEERS_MAX))
			return EINVAL;
	}
	ch = calloc(1, sizeof(*ch));
	if (ch == NULL)
		return ENOMEM;
	r = shmc__seg_open(name, flags & ~(SHMC_SENDER | SHMC_RECEIVER), attr,
	    &shmc__chan_kind, param, &cr, &ch->seg, &ch->tick_ms);
	if (r != 0) {
		free(ch);
		return r;
	}
	/* The header's parameters, validated on open, not the object's. */
	ch->obj = ch->seg->obj;
	ch->size = (uint32_t)ch->seg->hdr.param[0];
	ch->rendezvous = ch->seg->hdr.param[1] == 0;
	ch->capacity = ch->rendezvous ? 1 : (uint32_t)ch->seg->hdr.param[1];
	ch->stride = stride_of(ch->size);
	if (flags & SHMC_RECEIVER)
		r = become_receiver(ch);
	if (r == 0 && (flags & SHMC_SENDER))
		r = become_sender(ch);
	if (r != 0) {
		(void)shmc_chan_close(ch);
		return r;
	}
	*out = ch;
	return 0;
}

int
shmc_chan_close(struct shmc_chan *ch)
{
	uint32_t id;

	if (ch == NULL)
		return 0;
	drop_sender(ch);
	if (is_receiver(ch)) {
		id = ch->receiver;
		/* Release: our receiving is over before anyone sees GONE. */
		atomic_compare_exchange_strong_explicit(&ch->obj->receiver,
		    &id, SHMC__RX_GONE, memory_order_release,
		    memory_order_relaxed);
		shmc__peer_unrole(ch->seg, ch->receiver);
		/* Release: blocked senders re-check and get EPIPE. */
		atomic_fetch_add_explicit(&ch->obj->tx_ev, 1,
		    memory_order_release);
		shmc__futex_wake(&ch->obj->tx_ev, INT_MAX);
	}
	shmc__seg_close(ch->seg);
	free(ch);
	return 0;
}

int
shmc_chan_unlink(const char *name)
{
	return shmc__seg_unlink(name, &shmc__chan_kind);
}

/*
 * No new senders: release the creator's hold, and give up this handle's
 * own sender role (fork children keep theirs), as Rust's drop(tx).
 */
int
shmc_chan_shutdown(struct shmc_chan *ch)
{
	/* Release: the receiver re-checks the end after drop_sender's wake. */
	atomic_store_explicit(&ch->obj->hold, 0, memory_order_release);
	drop_sender(ch);
	atomic_fetch_add_explicit(&ch->obj->rx_ev, 1, memory_order_release);
	shmc__futex_wake(&ch->obj->rx_ev, 1);
	return shmc__seg_check(ch->seg, 0);
}

/*
 * The figures of the channel in seg, for shmc_chan_stat and for
 * inspection (a segment peeked at read-only).  A snapshot: nothing is
 * changed and nothing waits.
 */
void
shmc__chan_stat(struct shmc__seg *seg, struct shmc_chan_stat *st)
{
	struct shmc_chan ch;
	struct shmc__chan_obj *obj = seg->obj;
	uint64_t head, tail;
	uint32_t rx;

	memset(&ch, 0, sizeof(ch));
	ch.seg = seg;
	ch.obj = obj;
	ch.rendezvous = seg->hdr.param[1] == 0;
	ch.capacity = ch.rendezvous ? 1 : (uint32_t)seg->hdr.param[1];
	memset(st, 0, sizeof(*st));
	/* Relaxed: a snapshot for display. */
	head = atomic_load_explicit(&obj->head, memory_order_relaxed);
	tail = atomic_load_explicit(&obj->tail, memory_order_relaxed);
	st->sent = tail;
	st->received = head;
	st->skipped = atomic_load_explicit(&obj->skipped,
	    memory_order_relaxed);
	st->capacity = ch.rendezvous ? 0 : ch.capacity;
	st->size = (unsigned int)seg->hdr.param[0];
	st->depth = tail > head && tail - head <= ch.capacity ?
	    (unsigned int)(tail - head) : 0;
	st->senders = live_senders(&ch, UINT_MAX);
	st->expected = (unsigned int)seg->hdr.param[2];
	st->joined = atomic_load_explicit(&obj->joined, memory_order_relaxed);
	rx = atomic_load_explicit(&obj->receiver, memory_order_relaxed);
	st->receiver = rx == SHMC__RX_NONE ? 0 : rx == SHMC__RX_GONE ? -1 :
	    shmc__peer_alive(seg, rx) > 0 ? 1 : -1;
	st->held = atomic_load_explicit(&obj->hold, memory_order_relaxed) != 0;
}

int
shmc_chan_stat(struct shmc_chan *ch, struct shmc_chan_stat *st)
{
	shmc__chan_stat(ch->seg, st);
	return shmc__seg_check(ch->seg, 0);
}
