/*
 * Participants: who is attached to a segment, and whether they are alive.
 *
 * Overview.  A participant is one thread of one process using one segment.
 * Each owns a slot of the segment's participant table and is named
 * everywhere by its ID, (generation << 10) | slot.  Threads of one process
 * are participants of their own, so they exclude each other exactly as
 * processes do: each thread attaches on its first operation on a handle,
 * and detaches when it exits (a pthread key destructor) or when the handle
 * is closed.
 *
 * Liveness is a kernel fact, not a pid guess.  A participant holds an
 * open-file-description (OFD) write lock on the byte of the segment file
 * whose offset is its slot number, taken through a descriptor of its own,
 * for as long as it is attached.  The kernel drops the lock when the last
 * descriptor of that open file description goes away: on close, on exit,
 * on SIGKILL.  So ID (slot, gen) is alive exactly when the byte is locked
 * and the slot still carries generation gen.  There is no heartbeat, no pid
 * reuse race, and a stopped process is not dead.
 *
 * Claiming a slot: take the byte lock first (F_OFD_SETLK, which fails if
 * anyone holds it), then bump the slot's generation.  A checker reads the
 * generation, asks the kernel about the byte (F_OFD_GETLK, through the
 * segment's own descriptor, which never holds a lease, so every lease
 * conflicts with it), and reads the generation again; any mismatch or an
 * unlocked byte means the ID's owner is gone.  Between a new claimant's
 * lock and its generation bump the old ID briefly looks alive; a waiter
 * only concludes later, at its next tick.
 *
 * Fork.  A child must not keep its parent's participants alive, and a
 * parent waiting for its child must see the child as a participant from
 * the moment fork returns.  The prepare handler therefore claims one slot
 * per segment through a fresh open file description; the child inherits
 * that descriptor and the parent closes its copy, so the lease passes to
 * the child alone.  The child closes its copies of the parent's leases
 * (the parent's own descriptors keep those locks) and adopts the
 * pre-claimed slot for its thread.
 *
 * Layout: see struct shmc__peer in peer.h.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/prctl.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "peer.h"
#include "shm.h"

/*
 * One participant of this process: a thread attached to a segment, or a
 * role that a handle holds for as long as it is open (a channel's sender
 * or receiver), whichever thread uses it.  A shared role survives fork:
 * the child's copy of the descriptor keeps the same lease alive, as a
 * copied handle should.  A private role does not.
 */
#define ATT_THREAD      0
#define ATT_SHARED      1
#define ATT_PRIVATE     2

struct shmc__att {
	struct shmc__att *next;
	pthread_t thread;       /* ATT_THREAD only */
	int kind;               /* ATT_* */
	int fd;                 /* the open file description of its lease */
	uint32_t id;
};

SHMC__TLS struct shmc__tls_ent shmc__tls[SHMC__TLS_N];
static SHMC__TLS unsigned int tls_next;

/*
 * Every open segment of this process, for the fork handlers and for the
 * thread-exit destructor.  Lock order: reg_lock, then a segment's lock.
 */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shmc__seg *reg_head;

unsigned int shmc__forks;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t exit_key;
static int once_err;

/* This process's start time, for display; read once per process. */
static pid_t info_pid;
static uint64_t info_start;

static pid_t
self_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

/*
 * Field `field` (counting from 1, as proc(5) does) of /proc/self/stat,
 * or 0 if it cannot be read.  The command name in field 2 may hold spaces
 * and parentheses, so fields are counted after its last ')'.
 */
static unsigned long long
self_stat(int field)
{
	char buf[1024], *p;
	unsigned long long v;
	FILE *f;
	size_t n;
	int i;

	f = fopen("/proc/self/stat", "re");
	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (i = 0; i < field - 2 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %llu", &v) != 1)
		return 0;
	return v;
}

/* This process's start time in clock ticks after boot (field 22). */
static uint64_t
self_start(void)
{
	if (info_pid != getpid()) {
		info_start = self_stat(22);
		info_pid = getpid();
	}
	return info_start;
}

/*
 * A new open file description of seg's file, for a lease.  Opening
 * /proc/self/fd/N reaches the same inode even after the name was unlinked
 * or replaced, and works for a memfd.
 */
static int
reopen(const struct shmc__seg *seg)
{
	char proc[64];
	int fd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", seg->fd);
	fd = shmc__fd_high(open(proc, O_RDWR | O_NOCTTY | O_CLOEXEC));
	return fd < 0 ? -errno : fd;
}

/* Fill in the display fields of a slot we hold the lease of. */
static void
stamp(struct shmc__peer *p)
{
	char comm[16] = "";
	uint32_t w[4];
	unsigned int i;

	(void)prctl(PR_GET_NAME, comm, 0, 0, 0);
	memcpy(w, comm, sizeof(w));
	/* Relaxed: display fields, read by no one to make a decision. */
	atomic_store_explicit(&p->pid, (uint32_t)getpid(),
	    memory_order_relaxed);
	atomic_store_explicit(&p->tid, (uint32_t)self_tid(),
	    memory_order_relaxed);
	atomic_store_explicit(&p->start, self_start(), memory_order_relaxed);
	atomic_store_explicit(&p->wait_what, SHMC__WAIT_NONE,
	    memory_order_relaxed);
	for (i = 0; i < 4; i++)
		atomic_store_explicit(&p->comm[i], w[i], memory_order_relaxed);
}

/*
 * Claim a free slot of seg through fd: lock its lease byte, bump its
 * generation, stamp it.  Slots marked free are tried first, starting at a
 * place that depends on the thread so that concurrent claimers rarely
 * collide; then every slot, since a dead participant leaves its slot
 * marked attached.  Returns 0 and the new ID, or EUSERS if all are taken.
 */
static int
claim(struct shmc__seg *seg, int fd, uint32_t *id)
{
	struct shmc__peer *p;
	struct flock fl;
	uint32_t n, i, slot, start, gen;
	int pass;

	n = seg->hdr.npeers;
	start = (uint32_t)self_tid() % n;
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < n; i++) {
			slot = (start + i) % n;
			p = &seg->peers[slot];
			/* Relaxed: a hint; the lease below decides. */
			if (pass == 0 && atomic_load_explicit(&p->state,
			    memory_order_relaxed) != SHMC__PEER_FREE)
				continue;
			memset(&fl, 0, sizeof(fl));
			fl.l_type = F_WRLCK;
			fl.l_whence = SEEK_SET;
			fl.l_start = slot;
			fl.l_len = 1;
			if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
				if (errno == EAGAIN || errno == EACCES)
					continue;
				return errno;
			}
			/*
			 * We hold the lease.  Whatever a peer left in gen,
			 * the next one is in 1..GEN_MAX.  Release: a checker
			 * that reads the new generation and then sees the
			 * lease locked rightly takes us for alive; the stamp
			 * fields are display only.
			 */
			gen = atomic_load_explicit(&p->gen,
			    memory_order_relaxed) % SHMC__GEN_MAX + 1;
			atomic_store_explicit(&p->gen, gen,
			    memory_order_release);
			stamp(p);
			atomic_store_explicit(&p->state, SHMC__PEER_ATTACHED,
			    memory_order_release);
			*id = SHMC__ID(slot, gen);
			return 0;
		}
	}
	return EUSERS;
}

/*
 * Detach: mark the slot free, then drop our reference to the lease with
 * the descriptor.  A shared role may live on in fork children, so its slot
 * is not marked free.
 */
static void
release(struct shmc__seg *seg, struct shmc__att *att)
{
	struct shmc__peer *p = &seg->peers[SHMC__ID_SLOT(att->id)];

	/* Release: a hint for claimers; liveness ends with close below. */
	if (att->kind != ATT_SHARED)
		atomic_store_explicit(&p->state, SHMC__PEER_FREE,
		    memory_order_release);
	close(att->fd);
	free(att);
}

/* Detach every participant of seg that belongs to thread (all if NULL). */
static void
release_thread(struct shmc__seg *seg, const pthread_t *thread)
{
	struct shmc__att **pp, *att;

	pp = &seg->atts;
	while ((att = *pp) != NULL) {
		if (thread == NULL || (att->kind == ATT_THREAD &&
		    pthread_equal(att->thread, *thread))) {
			*pp = att->next;
			release(seg, att);
		} else
			pp = &att->next;
	}
}

/* The pthread key destructor: a thread is exiting, detach it everywhere. */
static void
thread_exit(void *unused)
{
	struct shmc__seg *seg;
	pthread_t self = pthread_self();

	(void)unused;
	pthread_mutex_lock(&reg_lock);
	for (seg = reg_head; seg != NULL; seg = seg->next) {
		pthread_mutex_lock(&seg->lock);
		release_thread(seg, &self);
		pthread_mutex_unlock(&seg->lock);
	}
	pthread_mutex_unlock(&reg_lock);
}

/*
 * Before fork: freeze the registry and every segment's attachment list,
 * and pre-claim a participant for the child on each segment.  A failure
 * to pre-claim only means the child attaches on first use instead.
 */
static void
fork_prepare(void)
{
	struct shmc__seg *seg;
	int fd;

	pthread_mutex_lock(&reg_lock);
	for (seg = reg_head; seg != NULL; seg = seg->next) {
		pthread_mutex_lock(&seg->lock);
		seg->fork_fd = -1;
		fd = reopen(seg);
		if (fd < 0)
			continue;
		if (claim(seg, fd, &seg->fork_id) == 0)
			seg->fork_fd = fd;
		else
			close(fd);
	}
}

/* After fork, in the parent: hand the pre-claimed leases to the child. */
static void
fork_parent(void)
{
	struct shmc__seg *seg;

	for (seg = reg_head; seg != NULL; seg = seg->next) {
		if (seg->fork_fd >= 0)
			close(seg->fork_fd);
		seg->fork_fd = -1;
		pthread_mutex_unlock(&seg->lock);
	}
	pthread_mutex_unlock(&reg_lock);
}

/*
 * After fork, in the child: forget the parent's participants (closing our
 * copies of their descriptors leaves their locks with the parent) and
 * adopt the pre-claimed one for this, the only thread.
 */
static void
fork_child(void)
{
	struct shmc__seg *seg;
	struct shmc__att *att, *next, *kept;

	memset(shmc__tls, 0, sizeof(shmc__tls));
	info_pid = 0;
	shmc__forks++;
	for (seg = reg_head; seg != NULL; seg = seg->next) {
		kept = NULL;
		for (att = seg->atts; att != NULL; att = next) {
			next = att->next;
			if (att->kind == ATT_SHARED) {
				att->next = kept;
				kept = att;
				continue;
			}
			close(att->fd);
			free(att);
		}
		seg->atts = kept;
		att = seg->fork_fd < 0 ? NULL : malloc(sizeof(*att));
		if (att == NULL) {
			if (seg->fork_fd >= 0)
				close(seg->fork_fd);
		} else {
			att->thread = pthread_self();
			att->kind = ATT_THREAD;
			att->fd = seg->fork_fd;
			att->id = seg->fork_id;
			att->next = seg->atts;
			seg->atts = att;
			stamp(&seg->peers[SHMC__ID_SLOT(att->id)]);
			(void)pthread_setspecific(exit_key, seg);
		}
		seg->fork_fd = -1;
		pthread_mutex_unlock(&seg->lock);
	}
	/* As in fork_parent: the locks fork_prepare took are ours to drop. */
	pthread_mutex_unlock(&reg_lock);
}

static void
once_init(void)
{
	if (pthread_key_create(&exit_key, thread_exit) != 0)
		once_err = EAGAIN;
	else if (pthread_atfork(fork_prepare, fork_parent, fork_child) != 0)
		once_err = ENOMEM;
}

/*
 * Add a newly mapped segment to this process's registry, or, if this
 * process already has the same named object (same device and inode)
 * registered, take a reference to that one instead: a process keeps one
 * mapping per object, so that a thread is one participant however many
 * handles it opens.  *use is the segment the caller is to use; if it is
 * not seg, the caller unmaps and frees seg.  The check and the insertion
 * are one step under reg_lock, so racing opens agree.
 */
int
shmc__peer_register(struct shmc__seg *seg, struct shmc__seg **use)
{
	struct shmc__seg *old;

	pthread_once(&once, once_init);
	if (once_err != 0)
		return once_err;
	pthread_mutex_lock(&reg_lock);
	for (old = reg_head; !seg->anon && old != NULL; old = old->next)
		if (!old->anon && old->dev == seg->dev &&
		    old->ino == seg->ino) {
			old->refs++;
			pthread_mutex_unlock(&reg_lock);
			*use = old;
			return 0;
		}
	pthread_mutex_init(&seg->lock, NULL);
	seg->atts = NULL;
	seg->refs = 1;
	seg->fork_fd = -1;
	seg->prev = NULL;
	seg->next = reg_head;
	if (reg_head != NULL)
		reg_head->prev = seg;
	reg_head = seg;
	pthread_mutex_unlock(&reg_lock);
	*use = seg;
	return 0;
}

/*
 * Drop a reference to a segment.  With the last one, remove it from the
 * registry, detach all our participants and return 1: the caller unmaps it.
 */
int
shmc__peer_unregister(struct shmc__seg *seg)
{
	pthread_mutex_lock(&reg_lock);
	if (--seg->refs > 0) {
		pthread_mutex_unlock(&reg_lock);
		return 0;
	}
	if (seg->prev != NULL)
		seg->prev->next = seg->next;
	else
		reg_head = seg->next;
	if (seg->next != NULL)
		seg->next->prev = seg->prev;
	pthread_mutex_lock(&seg->lock);
	release_thread(seg, NULL);
	pthread_mutex_unlock(&seg->lock);
	pthread_mutex_unlock(&reg_lock);
	pthread_mutex_destroy(&seg->lock);
	return 1;
}

/*
 * The slow path of shmc__peer_self: find or create this thread's
 * participant on seg and remember it in the thread's cache.  A new
 * participant first looks at the file's size (one fstat): a truncation
 * that no access has run into yet is ENODATA.
 */
int
shmc__peer_attach(struct shmc__seg *seg, uint32_t *id)
{
	struct shmc__att *att;
	pthread_t self = pthread_self();
	struct shmc__tls_ent *ent;
	int fd, r = 0;

	pthread_mutex_lock(&seg->lock);
	for (att = seg->atts; att != NULL; att = att->next)
		if (att->kind == ATT_THREAD && pthread_equal(att->thread, self))
			break;
	if (att == NULL) {
		att = malloc(sizeof(*att));
		fd = att == NULL ? -ENOMEM : reopen(seg);
		if (fd < 0)
			r = -fd;
		else if ((r = shmc__seg_verify(seg)) != 0 ||
		    (r = claim(seg, fd, &att->id)) != 0)
			close(fd);
		if (r != 0) {
			free(att);
			pthread_mutex_unlock(&seg->lock);
			return r;
		}
		att->fd = fd;
		att->thread = self;
		att->kind = ATT_THREAD;
		att->next = seg->atts;
		seg->atts = att;
		/* Any non-NULL value makes thread_exit run for us. */
		(void)pthread_setspecific(exit_key, seg);
	}
	*id = att->id;
	pthread_mutex_unlock(&seg->lock);
	ent = &shmc__tls[tls_next++ % SHMC__TLS_N];
	ent->seg = seg;
	ent->serial = seg->serial;
	ent->id = *id;
	return 0;
}

/*
 * Is participant id alive?  Returns 1 if so, 0 if it is gone, and -1 if
 * id cannot be a participant of this segment (the shared state that held
 * it is corrupt).  Costs one system call; callers use it on slow paths.
 * If the kernel cannot tell us, we answer alive: a wrong "dead" would
 * break mutual exclusion, a wrong "alive" only delays recovery.
 */
int
shmc__peer_alive(const struct shmc__seg *seg, uint32_t id)
{
	const struct shmc__peer *p;
	struct flock fl;
	uint32_t slot, gen;

	slot = SHMC__ID_SLOT(id);
	gen = SHMC__ID_GEN(id);
	if (slot >= seg->hdr.npeers || gen == 0 || gen > SHMC__GEN_MAX)
		return -1;
	p = &seg->peers[slot];
	/*
	 * Acquire, on both reads: pairs with the claimant's release store
	 * of a new generation, so that a generation change and the lease
	 * it follows are seen in order.
	 */
	if (atomic_load_explicit(&p->gen, memory_order_acquire) != gen)
		return 0;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = slot;
	fl.l_len = 1;
	if (fcntl(seg->fd, F_OFD_GETLK, &fl) < 0)
		return 1;
	if (fl.l_type == F_UNLCK)
		return 0;
	return atomic_load_explicit(&p->gen, memory_order_acquire) == gen;
}

/*
 * Record what participant id is about to sleep on (or SHMC__WAIT_NONE when
 * it stops), for shmls and for tests that must observe a waiter parked.
 */
void
shmc__peer_waiting(struct shmc__seg *seg, uint32_t id, uint32_t what,
    uint32_t arg)
{
	struct shmc__peer *p = &seg->peers[SHMC__ID_SLOT(id)];
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	/* Relaxed: display only; wait_what last so a reader sees a pair. */
	atomic_store_explicit(&p->wait_since, (uint64_t)ts.tv_sec *
	    1000000000U + (uint64_t)ts.tv_nsec, memory_order_relaxed);
	atomic_store_explicit(&p->wait_arg, arg, memory_order_relaxed);
	atomic_store_explicit(&p->wait_what, what, memory_order_release);
}

/* Is slot s one of this process's own participants on seg? */
static int
ours(struct shmc__seg *seg, uint32_t s)
{
	struct shmc__att *att;
	int found = 0;

	pthread_mutex_lock(&seg->lock);
	for (att = seg->atts; att != NULL && !found; att = att->next)
		found = SHMC__ID_SLOT(att->id) == s;
	pthread_mutex_unlock(&seg->lock);
	return found;
}

/*
 * Is this process, with only one thread, the only live participant of
 * seg?  Then nobody can ever change the state its thread waits for, if
 * seg is anonymous: other processes reach an anonymous object only by
 * being forked from one that holds it, and both hold a participant from
 * the moment fork returns (the opener's holder role, see shm.c, and the
 * child's pre-claimed slot).  Slots marked free are skipped: on an
 * anonymous object a slot is claimed and marked before anyone can use it.
 */
int
shmc__peer_alone(struct shmc__seg *seg)
{
	const struct shmc__peer *p;
	uint32_t i, gen;

	for (i = 0; i < seg->hdr.npeers; i++) {
		if (ours(seg, i))
			continue;
		p = &seg->peers[i];
		/* Relaxed: hints; shmc__peer_alive decides. */
		if (atomic_load_explicit(&p->state, memory_order_relaxed) ==
		    SHMC__PEER_FREE)
			continue;
		gen = atomic_load_explicit(&p->gen, memory_order_relaxed);
		if (gen != 0 && shmc__peer_alive(seg, SHMC__ID(i, gen)) != 0)
			return 0;
	}
	return self_stat(20) == 1;
}

/*
 * Claim a participant for a role that a handle holds until it gives it up
 * (a channel's sender or receiver), not tied to any thread.  With shared,
 * a fork child's copy of the handle holds the same role (and lease).
 */
int
shmc__peer_role(struct shmc__seg *seg, int shared, uint32_t *id)
{
	struct shmc__att *att;
	int fd, r;

	att = malloc(sizeof(*att));
	if (att == NULL)
		return ENOMEM;
	pthread_mutex_lock(&seg->lock);
	fd = reopen(seg);
	if (fd < 0)
		r = -fd;
	else if ((r = claim(seg, fd, &att->id)) != 0)
		close(fd);
	if (r == 0) {
		att->fd = fd;
		att->kind = shared ? ATT_SHARED : ATT_PRIVATE;
		att->next = seg->atts;
		seg->atts = att;
		*id = att->id;
	} else
		free(att);
	pthread_mutex_unlock(&seg->lock);
	return r;
}

/* Give up a role claimed with shmc__peer_role. */
void
shmc__peer_unrole(struct shmc__seg *seg, uint32_t id)
{
	struct shmc__att **pp, *att;

	pthread_mutex_lock(&seg->lock);
	for (pp = &seg->atts; (att = *pp) != NULL; pp = &att->next) {
		if (att->kind != ATT_THREAD && att->id == id) {
			*pp = att->next;
			release(seg, att);
			break;
		}
	}
	pthread_mutex_unlock(&seg->lock);
}
