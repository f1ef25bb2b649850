/*
 * Segments: named and anonymous shared-memory objects, their header and
 * their layout.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef SHMC_SHM_H
#define SHMC_SHM_H 1

#include <errno.h>              /* ENODATA */
#include <pthread.h>            /* pthread_mutex_t */
#include <sys/stat.h>           /* struct stat */
#include <sys/types.h>          /* dev_t, ino_t */

#include "internal.h"

/* Object kinds, as stored in the header. */
#define SHMC__KIND_MUTEX        1
#define SHMC__KIND_COND         2
#define SHMC__KIND_MVAR         3
#define SHMC__KIND_CHAN         4

#define SHMC__MAGIC             "SHMCONC"       /* 8 bytes with the NUL */
#define SHMC__LAYOUT_VERSION    1
#define SHMC__NAME_MAX          200
#define SHMC__PEERS_DEFAULT     64
#define SHMC__PEERS_MAX         1022
#define SHMC__NPARAM            4

/*
 * The header at offset 0 of every segment.  It is written once by the
 * creator before the object is published and never changes; openers
 * validate it (magic, version, checksum, fingerprint, internal consistency)
 * and from then on use only their private copy, so a peer that scribbles
 * over it cannot move our idea of where anything is.  Fixed-width fields
 * only: this is an ABI between processes and between versions.
 *
 *  0 magic        "SHMCONC\0"
 *  8 version      SHMC__LAYOUT_VERSION
 * 12 fingerprint  hash of this build's layout constants (sizes, offsets)
 * 16 kind         SHMC__KIND_*
 * 20 hdr_size     sizeof(struct shmc__hdr)
 * 24 total_size   the file size, a multiple of the page size
 * 32 obj_off      offset and size of the kind's object area
 * 40 peer_off     offset of the participant table, its slot count and the
 *                 size of one slot
 * 52 creator_uid  effective uid of the creator
 * 56 ctime_sec    creation time (CLOCK_REALTIME), for display
 * 64 param[4]     the kind's parameters (MVar size, channel capacity, ...)
 * 96 reserved     zero
 * 120 checksum    FNV-1a 64 of bytes 0..119
 */
struct shmc__hdr {
	char magic[8];
	uint32_t version;
	uint32_t fingerprint;
	uint32_t kind;
	uint32_t hdr_size;
	uint64_t total_size;
	uint32_t obj_off;
	uint32_t obj_size;
	uint32_t peer_off;
	uint32_t npeers;
	uint32_t peer_size;
	uint32_t creator_uid;
	uint64_t ctime_sec;
	uint64_t param[SHMC__NPARAM];
	uint64_t reserved[3];
	uint64_t checksum;
};
_Static_assert(sizeof(struct shmc__hdr) == 128, "header is 128 bytes");
_Static_assert(offsetof(struct shmc__hdr, param) == 64, "header layout");
_Static_assert(offsetof(struct shmc__hdr, checksum) == 120, "header layout");

/*
 * What a primitive tells the segment layer about its kind.  A kind with
 * no parameters (mutex, condvar) gives the fixed size of its object area,
 * which starts zeroed.  One with parameters gives instead the size of its
 * object area for them (0 if they are invalid, which makes a header
 * carrying them corrupt), and how to initialise a new object area, which
 * the creator does before publishing (arg is the open call's, such as an
 * MVar's first value).
 */
struct shmc__kind {
	uint32_t kind;
	uint32_t size;
	uint32_t (*obj_size)(const uint64_t *param);
	void (*init)(void *obj, const uint64_t *param, const void *arg);
};

/* The kinds, defined by their primitives. */
extern const struct shmc__kind shmc__mutex_kind;
extern const struct shmc__kind shmc__cond_kind;
extern const struct shmc__kind shmc__mvar_kind;
extern const struct shmc__kind shmc__chan_kind;

struct shmc__peer;
struct shmc__att;

/*
 * A segment as one process sees it: one per object per process, shared by
 * every handle this process opens on the object (refs counts them), so
 * that a thread is one participant however many handles it uses.
 * Everything above `lock` is set by shmc__seg_open and never changes until
 * the last shmc__seg_close; the attachment list is guarded by `lock`, refs
 * and the registry links by peer.c's registry lock.
 */
struct shmc__seg {
	unsigned char *base;            /* the mapping */
	size_t size;                    /* its validated size */
	int fd;                         /* holds no lease; see peer.c */
	int anon;                       /* a memfd, not a named object */
	int guard;                      /* SIGBUS guard entry, or -1 */
	struct shmc__hdr hdr;           /* private copy of the header */
	struct shmc__peer *peers;       /* base + hdr.peer_off */
	void *obj;                      /* base + hdr.obj_off */
	dev_t dev;                      /* the file's identity, for sharing */
	ino_t ino;
	uint64_t serial;                /* unique in this process, never reused */
	char name[SHMC__NAME_MAX + 1];  /* canonical name, "" if anonymous */

	pthread_mutex_t lock;
	struct shmc__att *atts;         /* this process's participants */
	int refs;                       /* handles of this process */
	int fork_fd;                    /* lease pre-claimed for a fork child */
	uint32_t fork_id;
	struct shmc__seg *next;         /* peer.c's registry */
	struct shmc__seg *prev;
};

int shmc__seg_open(const char *name, int flags, const struct shmc_attr *attr,
    const struct shmc__kind *kind, const uint64_t *param, const void *arg,
    struct shmc__seg **out, unsigned int *tick_ms);
void shmc__seg_close(struct shmc__seg *seg);
int shmc__seg_unlink(const char *name, const struct shmc__kind *kind);
int shmc__seg_peek(const char *name, struct shmc__seg *seg, struct stat *st);
void shmc__seg_unpeek(struct shmc__seg *seg);
int shmc__seg_remove(const char *name, int stale);
int shmc__seg_list(char ***names, size_t *n);
int shmc__name_check(const char *name, const char **canonical);
int shmc__fd_high(int fd);

/*
 * Lost segments (see the SIGBUS guard in shm.c).  shmc__lost counts the
 * mappings of this process that are lost: a peer truncated the file under
 * them.  It is zero in normal life, so the test every operation makes
 * costs one relaxed load.
 */
extern _Atomic unsigned int shmc__lost;
int shmc__seg_lost_slow(const struct shmc__seg *seg);
int shmc__seg_verify(struct shmc__seg *seg);
int shmc__addr_lost(const void *addr, int check);

/* Is seg lost? */
static inline int
shmc__seg_lost(const struct shmc__seg *seg)
{
	/*
	 * Relaxed: a stale zero only delays the news to the next call, and
	 * a lost mapping reads as zeros meanwhile; the slow path fences.
	 */
	if (SHMC__LIKELY(atomic_load_explicit(&shmc__lost,
	    memory_order_relaxed) == 0))
		return 0;
	return shmc__seg_lost_slow(seg);
}

/*
 * The result r of an operation on seg, or ENODATA if seg was lost: what
 * the operation read or wrote may have been zeros, not the object.
 */
static inline int
shmc__seg_check(const struct shmc__seg *seg, int r)
{
	return shmc__seg_lost(seg) ? ENODATA : r;
}

#endif /* SHMC_SHM_H */
