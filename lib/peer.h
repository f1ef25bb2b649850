/*
 * Participants: the table of who is attached to a segment, their leases,
 * and this thread's own participant.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef SHMC_PEER_H
#define SHMC_PEER_H 1

#include "internal.h"
#include "shm.h"

/*
 * A participant ID names one attachment: (generation << 10) | slot.  It is
 * what lock words store as their owner.  Generations run from 1 to
 * SHMC__GEN_MAX, so an ID is never 0 and never has bit 30 or 31 set; the
 * primitives use those bits as flags.  The all-ones ID (slot 1023) is
 * never a participant either, so it can serve as a special value.
 */
#define SHMC__SLOT_BITS         10
#define SHMC__SLOT_MASK         ((1U << SHMC__SLOT_BITS) - 1)
#define SHMC__GEN_MAX           0xffffeU
#define SHMC__ID_MASK           0x3fffffffU
#define SHMC__ID(slot, gen)     (((gen) << SHMC__SLOT_BITS) | (slot))
#define SHMC__ID_SLOT(id)       ((id) & SHMC__SLOT_MASK)
#define SHMC__ID_GEN(id)        (((id) & SHMC__ID_MASK) >> SHMC__SLOT_BITS)

_Static_assert(SHMC__PEERS_MAX < SHMC__SLOT_MASK, "slot 1023 is reserved");

/* Slot states, a hint for claimers and for display; the lease decides. */
#define SHMC__PEER_FREE         0
#define SHMC__PEER_ATTACHED     1

/* What a participant sleeps on, for display (wait_what). */
#define SHMC__WAIT_NONE         0
#define SHMC__WAIT_LOCK         1
#define SHMC__WAIT_COND         2
#define SHMC__WAIT_TAKE         3
#define SHMC__WAIT_PUT          4
#define SHMC__WAIT_READ         5
#define SHMC__WAIT_SEND         6
#define SHMC__WAIT_RECV         7

/*
 * One slot of the participant table, two cache lines.  The first line is
 * written by its participant at attach time and when it starts or stops
 * sleeping; others only read it.  The second line is for the primitives'
 * per-participant state.
 *
 *  0 gen          generation of the current or last claimant
 *  4 state        SHMC__PEER_*
 *  8 pid, tid     of the claimant, for display
 * 16 start        process start time in clock ticks after boot, so that a
 *                 display can tell a reused pid; never used for liveness
 * 24 wait_since   CLOCK_REALTIME ns when it began to sleep, for display
 * 32 wait_what    SHMC__WAIT_*, and wait_arg its argument
 * 40 park         a futex word of its own to sleep on
 * 48 comm         the thread's name, 16 bytes, NUL-padded
 * 64 prim         owned by the primitive
 */
struct shmc__peer {
	shmc__word gen;
	shmc__word state;
	shmc__word pid;
	shmc__word tid;
	_Atomic uint64_t start;
	_Atomic uint64_t wait_since;
	shmc__word wait_what;
	shmc__word wait_arg;
	shmc__word park;
	uint32_t reserved;
	shmc__word comm[4];
	shmc__word prim[16];
};
_Static_assert(sizeof(struct shmc__peer) == 2 * SHMC__LINE,
    "a participant slot is two cache lines");
_Static_assert(offsetof(struct shmc__peer, comm) == 48, "slot layout");
_Static_assert(offsetof(struct shmc__peer, prim) == SHMC__LINE,
    "slot layout");
_Static_assert(ATOMIC_INT_LOCK_FREE == 2 && ATOMIC_LLONG_LOCK_FREE == 2,
    "shared atomics must be lock-free to work across processes");

/*
 * This thread's participant IDs, a small cache in front of the segment's
 * attachment list.  An entry is valid while its segment's serial matches:
 * serials are never reused, so a closed segment's entries go stale.
 */
struct shmc__tls_ent {
	const struct shmc__seg *seg;
	uint64_t serial;
	uint32_t id;
};
#define SHMC__TLS_N     4
extern SHMC__TLS struct shmc__tls_ent shmc__tls[SHMC__TLS_N];

/* Forks this process has been through as the child (see fork_child). */
extern unsigned int shmc__forks;

int shmc__peer_register(struct shmc__seg *seg, struct shmc__seg **use);
int shmc__peer_unregister(struct shmc__seg *seg);
int shmc__peer_attach(struct shmc__seg *seg, uint32_t *id);
int shmc__peer_alive(const struct shmc__seg *seg, uint32_t id);
int shmc__peer_alone(struct shmc__seg *seg);
int shmc__peer_role(struct shmc__seg *seg, int shared, uint32_t *id);
void shmc__peer_unrole(struct shmc__seg *seg, uint32_t id);
void shmc__peer_waiting(struct shmc__seg *seg, uint32_t id, uint32_t what,
    uint32_t arg);

/*
 * This thread's participant ID on seg, attaching it on first use.  The fast
 * path is a few compares on thread-local memory, after the test for a lost
 * segment, which every operation makes here.  Returns 0, ENODATA if seg
 * is lost (shm.c), or EUSERS, EMFILE, ENFILE or ENOMEM from attaching.
 */
static inline int
shmc__peer_self(struct shmc__seg *seg, uint32_t *id)
{
	unsigned int i;

	if (SHMC__UNLIKELY(shmc__seg_lost(seg)))
		return ENODATA;
	for (i = 0; i < SHMC__TLS_N; i++) {
		if (shmc__tls[i].seg == seg &&
		    shmc__tls[i].serial == seg->serial) {
			*id = shmc__tls[i].id;
			return 0;
		}
	}
	return shmc__peer_attach(seg, id);
}

#endif /* SHMC_PEER_H */
