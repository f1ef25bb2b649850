/*
 * Channel: shared layout and handle.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef SHMC_CHAN_H
#define SHMC_CHAN_H 1

#include "internal.h"
#include "shm.h"

/* Limits: the largest message, the most slots, and the defaults. */
#define SHMC__CHAN_MAXSIZE      (64U << 20)
#define SHMC__CHAN_MAXCAP       65536U
#define SHMC__CHAN_DEFAULT      4096

/*
 * A slot's state word: the position it belongs to in the high half, its
 * status in the low half.  FREE: empty, writable by whoever claims that
 * position.  A participant ID: claimed by that sender, being written.
 * COMMITTED: holds a message for the receiver.  SKIPPED: the claim was
 * given up (its sender died, or withdrew a rendezvous message); the
 * receiver steps over it.  TAKING: on a rendezvous channel, the receiver
 * is handing the message to a recv_with function, and its sender may no
 * longer withdraw it.
 */
#define SHMC__SLOT_FREE         0U
#define SHMC__SLOT_COMMITTED    0x80000000U
#define SHMC__SLOT_SKIPPED      0x40000000U
#define SHMC__SLOT_TAKING       0xc0000000U
#define SHMC__STATE(pos, st)    (((uint64_t)(uint32_t)(pos) << 32) | (st))
#define SHMC__STATE_POS(s)      ((uint32_t)((s) >> 32))
#define SHMC__STATE_ST(s)       ((uint32_t)(s))

/* receiver: none has come yet, or the last one closed. */
#define SHMC__RX_NONE           0U
#define SHMC__RX_GONE           SHMC__ID_MASK

/* Role words in a role participant's slot (struct shmc__peer prim[]). */
#define SHMC__CH_ROLE           0
#define SHMC__CH_ROLE_ID        1
#define SHMC__CH_SEQ            2
#define SHMC__ROLE_SENDER       1
#define SHMC__ROLE_RECEIVER     2

/*
 * One slot: a cache-line header, then the message.  Written by the sender
 * that claimed it, between its claim and its commit; read by the receiver
 * after it sees the commit.
 */
struct shmc__chan_slot {
	_Atomic uint64_t state;
	uint32_t len;
	uint32_t sender;        /* the sender role's participant ID */
	uint32_t seq;           /* that sender's sequence number */
	uint32_t reserved[11];
	unsigned char data[];
};
_Static_assert(sizeof(struct shmc__chan_slot) == SHMC__LINE,
    "a slot header is one cache line");

/*
 * The object area: four cache lines of control words, each line written
 * by one side only where possible, then the slots.
 *
 * line 0, fixed at creation and roles:
 *  0 capacity     slots in the ring (1 for a rendezvous channel)
 *  4 size         largest message
 *  8 rendezvous   1: a send returns only once its message is received
 * 12 expected     senders that must join before end-of-channel
 * 16 receiver     the receiver role's ID, SHMC__RX_NONE or SHMC__RX_GONE
 * 20 hold         1 while the creator's hold on the channel lasts
 * 24 joined       senders that have joined so far
 * line 1, senders:   tail, the next position to claim
 * line 2, receiver:  head, the next position to receive; skipped, claims
 *                    given up and stepped over
 * line 3, sleeping:  rx_ev/rx_sleep, the receiver's eventcount and
 *                    "asleep" flag; tx_ev/tx_sleep, the senders' (the
 *                    flag is set by sleepers and cleared by their waker)
 */
struct shmc__chan_obj {
	uint32_t capacity;
	uint32_t size;
	uint32_t rendezvous;
	uint32_t expected;
	shmc__word receiver;
	shmc__word hold;
	shmc__word joined;
	uint32_t reserved0[9];
	_Atomic uint64_t tail;
	uint64_t reserved1[7];
	_Atomic uint64_t head;
	_Atomic uint64_t skipped;
	uint64_t reserved2[6];
	shmc__word rx_ev;
	shmc__word rx_sleep;
	shmc__word tx_ev;
	shmc__word tx_sleep;
	uint32_t reserved3[12];
	unsigned char slots[];
};
_Static_assert(sizeof(struct shmc__chan_obj) == 4 * SHMC__LINE,
    "channel control is four cache lines");
_Static_assert(offsetof(struct shmc__chan_obj, tail) == SHMC__LINE,
    "tail has a line of its own");
_Static_assert(offsetof(struct shmc__chan_obj, head) == 2 * SHMC__LINE,
    "head has a line of its own");
_Static_assert(offsetof(struct shmc__chan_obj, rx_ev) == 3 * SHMC__LINE,
    "the sleep words have a line of their own");

struct shmc_chan {
	struct shmc__seg *seg;
	struct shmc__chan_obj *obj;
	unsigned int tick_ms;           /* this handle's liveness tick */
	uint32_t capacity;              /* private copies of the parameters */
	uint32_t size;
	uint32_t rendezvous;
	size_t stride;                  /* bytes from one slot to the next */
	uint32_t sender;                /* our sender role's ID, or 0 */
	uint32_t receiver;              /* our receiver role's ID, or 0 */
	unsigned int rx_forks;          /* shmc__forks when we became it */
};

void shmc__chan_stat(struct shmc__seg *seg, struct shmc_chan_stat *st);

#endif /* SHMC_CHAN_H */
