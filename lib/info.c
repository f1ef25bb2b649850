/*
 * Inspection and removal of objects, for shmls(1), shmrm(1) and the like.
 *
 * Everything here looks without touching: an object is opened read-only
 * and mapped without write access (shmc__seg_peek), no participant slot
 * is claimed, no lock is taken and nothing waits.  Each shared word is
 * read once and judged as it is, so a scribbled object gives odd figures,
 * never a crash; a file that is not a valid object is described by the
 * error that opening it would give.  Liveness is asked of the kernel, one
 * lease check per slot in use, as everywhere else.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "cond.h"
#include "mutex.h"
#include "mvar.h"
#include "peer.h"
#include "shm.h"

/* The participant ID that slot s holds now, or 0 if it never was used. */
static uint32_t
slot_id(const struct shmc__seg *seg, uint32_t s)
{
	/* Relaxed: a snapshot; the lease check decides. */
	uint32_t gen = atomic_load_explicit(&seg->peers[s].gen,
	    memory_order_relaxed);

	return gen == 0 || gen > SHMC__GEN_MAX ? 0 : SHMC__ID(s, gen);
}

/* Is slot s held by a live participant? */
static int
slot_alive(const struct shmc__seg *seg, uint32_t s)
{
	uint32_t id = slot_id(seg, s);

	return id != 0 && shmc__peer_alive(seg, id) > 0;
}

/* The state of the mutex in seg, and its holder's pid. */
static int
mutex_state(const struct shmc__seg *seg, int *holder)
{
	const struct shmc__mutex_obj *obj = seg->obj;
	uint32_t w, owner;
	int alive;

	/* Relaxed: a snapshot. */
	w = atomic_load_explicit(&obj->word, memory_order_relaxed);
	if (w == 0)
		return SHMC_STATE_FREE;
	if (w == SHMC__MUTEX_NOTREC)
		return SHMC_STATE_NOT_RECOVERABLE;
	owner = w & SHMC__ID_MASK;
	alive = shmc__peer_alive(seg, owner);
	if (alive < 0)
		return SHMC_STATE_NONE;
	*holder = (int)atomic_load_explicit(
	    &seg->peers[SHMC__ID_SLOT(owner)].pid, memory_order_relaxed);
	if (!alive)
		return SHMC_STATE_OWNER_DIED;
	return w & SHMC__MUTEX_INCONS ? SHMC_STATE_INCONSISTENT :
	    SHMC_STATE_HELD;
}

/* The pid of the last owner that died holding the mutex in seg, or 0. */
static int
dead_pid(const struct shmc__seg *seg)
{
	const struct shmc__mutex_obj *obj = seg->obj;
	uint32_t id;

	/* Relaxed: a display word. */
	id = atomic_load_explicit(&obj->died, memory_order_relaxed);
	if (id == 0 || SHMC__ID_SLOT(id) >= seg->hdr.npeers)
		return 0;
	return (int)atomic_load_explicit(&seg->peers[SHMC__ID_SLOT(id)].pid,
	    memory_order_relaxed);
}

int
shmc_inspect(const char *name, struct shmc_info *info)
{
	struct shmc__seg seg;
	struct stat st;
	const char *canon;
	uint32_t s, w;
	int r;

	memset(info, 0, sizeof(*info));
	r = shmc__name_check(name, &canon);
	if (r != 0)
		return r;
	snprintf(info->name, sizeof(info->name), "%s", canon);
	r = shmc__seg_peek(name, &seg, &st);
	if (r == ENOENT)
		return r;
	info->uid = st.st_uid;
	info->mode = st.st_mode & 07777;
	info->size = (unsigned long long)st.st_size;
	info->ctime = st.st_ctime;
	if (r != 0) {
		info->error = r;
		return 0;
	}
	info->kind = (int)seg.hdr.kind;
	info->ctime = (long long)seg.hdr.ctime_sec;
	info->peers = seg.hdr.npeers;
	for (s = 0; s < seg.hdr.npeers; s++) {
		if (!slot_alive(&seg, s))
			continue;
		info->attached++;
		/* Relaxed: display words. */
		w = atomic_load_explicit(&seg.peers[s].wait_what,
		    memory_order_relaxed);
		if (w != SHMC__WAIT_NONE)
			info->waiters++;
	}
	switch (seg.hdr.kind) {
	case SHMC__KIND_MUTEX:
		info->state = mutex_state(&seg, &info->holder);
		info->died = dead_pid(&seg);
		break;
	case SHMC__KIND_MVAR:
		info->value_size = (unsigned int)seg.hdr.param[0];
		/* Acquire: pairs with the commit stores of state. */
		info->state = atomic_load_explicit(
		    &((struct shmc__mvar_obj *)seg.obj)->state,
		    memory_order_acquire) & SHMC__MVAR_FULL ?
		    SHMC_STATE_FULL : SHMC_STATE_EMPTY;
		break;
	case SHMC__KIND_CHAN:
		info->value_size = (unsigned int)seg.hdr.param[0];
		shmc__chan_stat(&seg, &info->chan);
		break;
	}
	shmc__seg_unpeek(&seg);
	return 0;
}

int
shmc_inspect_peers(const char *name, struct shmc_peer_info *peers,
    size_t max, size_t *n)
{
	struct shmc__seg seg;
	struct shmc__peer *p;
	struct shmc_peer_info *pi;
	struct stat st;
	uint32_t s, comm[4], role;
	unsigned int i;
	int r;

	*n = 0;
	r = shmc__seg_peek(name, &seg, &st);
	if (r != 0)
		return r;
	for (s = 0; s < seg.hdr.npeers && *n < max; s++) {
		if (slot_id(&seg, s) == 0)
			continue;
		p = &seg.peers[s];
		pi = &peers[(*n)++];
		memset(pi, 0, sizeof(*pi));
		pi->slot = s;
		pi->alive = slot_alive(&seg, s);
		/* Relaxed: a hint, like all display words. */
		pi->left = !pi->alive && atomic_load_explicit(&p->state,
		    memory_order_relaxed) == SHMC__PEER_FREE;
		/* Relaxed, all: display words, a snapshot. */
		pi->pid = (int)atomic_load_explicit(&p->pid,
		    memory_order_relaxed);
		pi->tid = (int)atomic_load_explicit(&p->tid,
		    memory_order_relaxed);
		pi->start = atomic_load_explicit(&p->start,
		    memory_order_relaxed);
		for (i = 0; i < 4; i++)
			comm[i] = atomic_load_explicit(&p->comm[i],
			    memory_order_relaxed);
		memcpy(pi->comm, comm, sizeof(comm));
		pi->comm[16] = '\0';
		pi->waiting = (int)atomic_load_explicit(&p->wait_what,
		    memory_order_relaxed);
		pi->wait_since = (long long)atomic_load_explicit(
		    &p->wait_since, memory_order_relaxed);
		if (seg.hdr.kind == SHMC__KIND_CHAN) {
			role = atomic_load_explicit(&p->prim[SHMC__CH_ROLE],
			    memory_order_relaxed);
			if (atomic_load_explicit(&p->prim[SHMC__CH_ROLE_ID],
			    memory_order_relaxed) == slot_id(&seg, s))
				pi->role = role == SHMC__ROLE_SENDER ?
				    SHMC_ROLE_SENDER :
				    role == SHMC__ROLE_RECEIVER ?
				    SHMC_ROLE_RECEIVER : SHMC_ROLE_THREAD;
		}
	}
	shmc__seg_unpeek(&seg);
	return 0;
}

int
shmc_list(char ***names, size_t *n)
{
	return shmc__seg_list(names, n);
}

void
shmc_list_free(char **names, size_t n)
{
	while (n > 0)
		free(names[--n]);
	free(names);
}

int
shmc_remove(const char *name, int flags)
{
	if ((flags & ~SHMC_STALE) != 0)
		return EINVAL;
	return shmc__seg_remove(name, flags & SHMC_STALE);
}
