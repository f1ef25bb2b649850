/*
 * Segments: named and anonymous shared-memory objects.
 *
 * A segment is one file: a named object is the file shmconc.NAME in the
 * POSIX shm directory (/dev/shm, or $SHMCONC_DIR), an anonymous one a
 * memfd that forked children inherit.  Every primitive is one segment.
 *
 * Layout.  An immutable 128-byte header (shm.h), then the kind's object
 * area at a cache-line boundary, then the participant table (peer.h), the
 * whole rounded up to the page size.  Only offsets are stored, and every
 * offset is recomputed from the kind's parameters and compared on open, so
 * a scribbled header is refused rather than followed.
 *
 * Implementation notes.
 *
 * No half-initialised object is ever visible.  A creator makes the file
 * unnamed (O_TMPFILE), allocates all of it (posix_fallocate: a full tmpfs
 * is ENOSPC now, not a SIGBUS later), initialises it, and only then links
 * it under its name.  linkat fails with EEXIST if another creator won; we
 * then open the winner's object.  A creator killed half-way leaves an
 * unnamed file that the kernel frees with its descriptor.  Opening tries
 * to attach first and creates second, so the common case is one open(2).
 *
 * Opening never trusts the file: O_NOFOLLOW refuses a symbolic link,
 * O_NONBLOCK keeps a FIFO planted at the name from blocking us, fstat
 * checks for a regular file of our uid, the header is read with pread (not
 * through the mapping, so a short file cannot SIGBUS us) and validated,
 * the size must be exactly the one the header implies, and only that size
 * is mapped.  Published objects are never resized; anonymous ones are
 * sealed against it.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "peer.h"
#include "shm.h"
#include "wait.h"

#define SHM_DIR_DEFAULT "/dev/shm"
#define SHM_PREFIX      "shmconc."

/* How often open goes round attach-then-create before giving up. */
#define OPEN_TRIES      8

/* Serial numbers of open segments; 0 is never used. */
static _Atomic uint64_t next_serial = 1;

static uint64_t
fnv1a(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/*
 * A hash of the layout constants this build was compiled with.  Two
 * builds that agree on the layout version but not on a structure size
 * (another compiler, a patched copy) refuse each other's objects.
 */
static uint32_t
fingerprint(void)
{
	const uint32_t facts[] = {
		SHMC__LAYOUT_VERSION, SHMC__LINE, SHMC__SLOT_BITS,
		sizeof(struct shmc__hdr), sizeof(struct shmc__peer),
		offsetof(struct shmc__peer, gen),
		offsetof(struct shmc__peer, park),
		offsetof(struct shmc__peer, comm),
	};
	uint64_t h;

	h = fnv1a(facts, sizeof(facts));
	return (uint32_t)(h ^ (h >> 32));
}

static uint64_t
align_up(uint64_t n, uint64_t to)
{
	return (n + to - 1) / to * to;
}

/*
 * Check a user's object name and return the canonical form (without the
 * optional leading slash).  Names are 1 to 200 bytes of [A-Za-z0-9._-],
 * not starting with a dot or a dash; anything else is EINVAL.
 */
int
shmc__name_check(const char *name, const char **canonical)
{
	const char *p;
	size_t len;

	if (name == NULL)
		return EINVAL;
	if (*name == '/')
		name++;
	len = strnlen(name, SHMC__NAME_MAX + 1);
	if (len == 0 || len > SHMC__NAME_MAX)
		return EINVAL;
	if (name[0] == '.' || name[0] == '-')
		return EINVAL;
	for (p = name; *p != '\0'; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-')
			continue;
		return EINVAL;
	}
	*canonical = name;
	return 0;
}

/*
 * Move a new descriptor of ours above 2.  A program that runs with
 * standard output closed would otherwise get our object as its descriptor
 * 1 and write its output into shared memory.  Returns the descriptor, or
 * -1 with errno set (the original is closed then).
 */
int
shmc__fd_high(int fd)
{
	int nfd, e;

	if (fd < 0 || fd > 2)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	e = errno;
	close(fd);
	errno = e;
	return nfd;
}

/* The shm directory: $SHMCONC_DIR, else /dev/shm. */
static const char *
shm_dir(void)
{
	const char *dir = getenv("SHMCONC_DIR");

	return dir != NULL && *dir != '\0' ? dir : SHM_DIR_DEFAULT;
}

/* The file path of a canonical name. */
static int
name_path(const char *name, char *path, size_t size)
{
	int n;

	n = snprintf(path, size, "%s/%s%s", shm_dir(), SHM_PREFIX, name);
	if (n < 0 || (size_t)n >= size)
		return ENAMETOOLONG;
	return 0;
}

/* The size of kind's object area for param, or 0 if param is invalid. */
static uint64_t
kind_size(const struct shmc__kind *kind, const uint64_t *param)
{
	unsigned int i;

	if (kind->obj_size != NULL)
		return kind->obj_size(param);
	for (i = 0; i < SHMC__NPARAM; i++)
		if (param[i] != 0)
			return 0;
	return kind->size;
}

/*
 * Fill in the layout fields of h for kind with the given parameters and
 * table size.  Returns EINVAL if the parameters are invalid or the object
 * would not fit the 32-bit offsets.
 */
static int
layout(struct shmc__hdr *h, const struct shmc__kind *kind,
    const uint64_t *param, uint32_t npeers)
{
	uint64_t obj_size, peer_off, total;
	long page;

	obj_size = kind_size(kind, param);
	if (obj_size == 0)
		return EINVAL;
	page = sysconf(_SC_PAGESIZE);
	h->obj_off = (uint32_t)align_up(sizeof(*h), SHMC__LINE);
	peer_off = align_up(h->obj_off + obj_size, SHMC__LINE);
	total = align_up(peer_off + (uint64_t)npeers *
	    sizeof(struct shmc__peer), page > 0 ? (uint64_t)page : 4096);
	if (total > UINT32_MAX)
		return EINVAL;
	h->kind = kind->kind;
	h->obj_size = (uint32_t)obj_size;
	h->peer_off = (uint32_t)peer_off;
	h->npeers = npeers;
	h->peer_size = sizeof(struct shmc__peer);
	h->hdr_size = sizeof(*h);
	h->total_size = total;
	memcpy(h->param, param, sizeof(h->param));
	return 0;
}

/*
 * Validate a header read from a file against the kind we expect.  The
 * order of the checks decides which error a damaged header gets: not ours
 * at all, another version, corrupt, another build's layout, another kind.
 */
static int
hdr_check(const struct shmc__hdr *h, const struct shmc__kind *kind)
{
	struct shmc__hdr want;
	size_t i;

	if (memcmp(h->magic, SHMC__MAGIC, sizeof(h->magic)) != 0)
		return EMEDIUMTYPE;
	if (h->version != SHMC__LAYOUT_VERSION)
		return EPROTONOSUPPORT;
	if (fnv1a(h, offsetof(struct shmc__hdr, checksum)) != h->checksum)
		return EBADMSG;
	if (h->fingerprint != fingerprint())
		return EPROTONOSUPPORT;
	if (h->hdr_size != sizeof(*h) || h->npeers == 0 ||
	    h->npeers > SHMC__PEERS_MAX)
		return EBADMSG;
	for (i = 0; i < SHMC__ARRAY_SIZE(h->reserved); i++)
		if (h->reserved[i] != 0)
			return EBADMSG;
	if (h->kind < SHMC__KIND_MUTEX || h->kind > SHMC__KIND_CHAN)
		return EBADMSG;
	if (h->kind != kind->kind)
		return EPROTOTYPE;
	memset(&want, 0, sizeof(want));
	if (layout(&want, kind, h->param, h->npeers) != 0)
		return EBADMSG;
	if (want.obj_off != h->obj_off || want.obj_size != h->obj_size ||
	    want.peer_off != h->peer_off || want.peer_size != h->peer_size ||
	    want.total_size != h->total_size)
		return EBADMSG;
	return 0;
}

/*
 * Check that fd is a shmconc object of the expected kind and copy its
 * header to *h.  Reads with pread, never through a mapping.
 */
static int
fd_check(int fd, int flags, const struct shmc__kind *kind,
    struct shmc__hdr *h, struct stat *stp)
{
	struct stat st;
	ssize_t n;
	int r;

	if (fstat(fd, &st) < 0)
		return errno;
	if (!S_ISREG(st.st_mode))
		return EMEDIUMTYPE;
	if (!(flags & SHMC_ANYOWNER) && st.st_uid != geteuid())
		return EPERM;
	memset(h, 0, sizeof(*h));
	do
		n = pread(fd, h, sizeof(*h), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno;
	if ((size_t)n < sizeof(h->magic) ||
	    memcmp(h->magic, SHMC__MAGIC, sizeof(h->magic)) != 0)
		return EMEDIUMTYPE;
	if ((size_t)n < sizeof(*h))
		return ENODATA;
	r = hdr_check(h, kind);
	if (r != 0)
		return r;
	if ((uint64_t)st.st_size < h->total_size)
		return ENODATA;
	if ((uint64_t)st.st_size > h->total_size)
		return EBADMSG;
	*stp = st;
	return 0;
}

/* Open an existing named object and map it into seg. */
static int
attach(const char *path, int flags, const struct shmc__kind *kind,
    struct shmc__seg *seg)
{
	struct stat st;
	void *base;
	int fd, r;

	fd = shmc__fd_high(open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC));
	if (fd < 0) {
		r = errno;
		/* A directory, socket or device at the name is not ours. */
		return r == EISDIR || r == ENXIO || r == ENODEV ?
		    EMEDIUMTYPE : r;
	}
	r = fd_check(fd, flags, kind, &seg->hdr, &st);
	if (r != 0) {
		close(fd);
		return r;
	}
	base = mmap(NULL, seg->hdr.total_size, PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		r = errno;
		close(fd);
		return r;
	}
	seg->fd = fd;
	seg->base = base;
	seg->size = seg->hdr.total_size;
	seg->dev = st.st_dev;
	seg->ino = st.st_ino;
	return 0;
}

/*
 * Create a new object: named at path, or anonymous when path is NULL.
 * Returns EEXIST if another creator linked the name first; the caller
 * then attaches to theirs.
 */
static int
create(const char *path, unsigned int mode, const struct shmc__kind *kind,
    const uint64_t *param, const void *arg, uint32_t npeers,
    struct shmc__seg *seg)
{
	struct shmc__hdr *h = &seg->hdr;
	struct stat st;
	char proc[64];
	void *base = MAP_FAILED;
	int fd, r;

	memset(h, 0, sizeof(*h));
	r = layout(h, kind, param, npeers);
	if (r != 0)
		return r;
	memcpy(h->magic, SHMC__MAGIC, sizeof(h->magic));
	h->version = SHMC__LAYOUT_VERSION;
	h->fingerprint = fingerprint();
	h->creator_uid = geteuid();
	h->ctime_sec = (uint64_t)time(NULL);
	h->checksum = fnv1a(h, offsetof(struct shmc__hdr, checksum));

	if (path == NULL)
		fd = memfd_create("shmconc", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	else
		fd = open(shm_dir(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	fd = shmc__fd_high(fd);
	if (fd < 0)
		return errno == EISDIR ? ENOTSUP : errno;
	/* Set the mode exactly: the umask applied to the open above. */
	if (path != NULL && fchmod(fd, mode) < 0)
		goto fail_errno;
	r = posix_fallocate(fd, 0, (off_t)h->total_size);
	if (r != 0)
		goto fail;
	base = mmap(NULL, h->total_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (base == MAP_FAILED)
		goto fail_errno;
	memcpy(base, h, sizeof(*h));
	SHMC__STOP("create-header");
	if (kind->init != NULL)
		kind->init((unsigned char *)base + h->obj_off, param, arg);
	SHMC__STOP("create-init");
	if (path == NULL) {
		if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
		    F_SEAL_SEAL) < 0)
			goto fail_errno;
	} else {
		/*
		 * Publish.  The initialising stores above are in the page
		 * cache before linkat returns; an opener finds the name only
		 * through the kernel, after it, so it sees them all.
		 */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, path,
		    AT_SYMLINK_FOLLOW) < 0)
			goto fail_errno;
	}
	if (fstat(fd, &st) < 0)
		goto fail_errno;
	seg->fd = fd;
	seg->base = base;
	seg->size = h->total_size;
	seg->anon = path == NULL;
	seg->dev = st.st_dev;
	seg->ino = st.st_ino;
	return 0;

fail_errno:
	r = errno;
fail:
	if (base != MAP_FAILED)
		munmap(base, h->total_size);
	close(fd);
	return r;
}

static int
attr_check(int flags, const struct shmc_attr *attr)
{
	size_t i;

	if ((flags & ~(SHMC_CREAT | SHMC_EXCL | SHMC_ANYOWNER)) != 0)
		return EINVAL;
	if ((flags & SHMC_EXCL) && !(flags & SHMC_CREAT))
		return EINVAL;
	if ((attr->mode & ~0777U) != 0 || attr->peers > SHMC__PEERS_MAX ||
	    attr->tick_ms > SHMC__TICK_MAX_MS)
		return EINVAL;
	for (i = 0; i < SHMC__ARRAY_SIZE(attr->reserved); i++)
		if (attr->reserved[i] != 0)
			return EINVAL;
	return 0;
}

/*
 * Open or create the segment name (NULL for a new anonymous one) of the
 * given kind.  param holds the kind's parameters for a new object and arg
 * its initialiser's argument.  Also returns the liveness tick the new
 * handle is to use.
 */
int
shmc__seg_open(const char *name, int flags, const struct shmc_attr *attr,
    const struct shmc__kind *kind, const uint64_t *param, const void *arg,
    struct shmc__seg **out, unsigned int *tick_ms)
{
	static const struct shmc_attr defaults;
	struct shmc__seg *seg, *use;
	const char *canon = "";
	char path[PATH_MAX];
	unsigned int mode, npeers;
	uint32_t holder;
	int r, tries;

	if (attr == NULL)
		attr = &defaults;
	r = attr_check(flags, attr);
	if (r == 0 && name != NULL)
		r = shmc__name_check(name, &canon);
	if (r == 0 && name != NULL)
		r = name_path(canon, path, sizeof(path));
	if (r != 0)
		return r;
	seg = calloc(1, sizeof(*seg));
	if (seg == NULL)
		return ENOMEM;
	mode = attr->mode != 0 ? attr->mode : 0600;
	npeers = attr->peers != 0 ? attr->peers : SHMC__PEERS_DEFAULT;
	if (name == NULL)
		r = create(NULL, mode, kind, param, arg, npeers, seg);
	else {
		/*
		 * Attach first, create second.  Between the two the object
		 * may appear (EEXIST from linkat) or vanish (ENOENT from
		 * open); go round again a bounded number of times.
		 */
		for (tries = 0; tries < OPEN_TRIES; tries++) {
			if (!(flags & SHMC_EXCL)) {
				r = attach(path, flags, kind, seg);
				if (r != ENOENT || !(flags & SHMC_CREAT))
					break;
			}
			r = create(path, mode, kind, param, arg, npeers, seg);
			if (r != EEXIST || (flags & SHMC_EXCL))
				break;
		}
	}
	if (r != 0) {
		free(seg);
		return r;
	}
	seg->peers = (struct shmc__peer *)(seg->base + seg->hdr.peer_off);
	seg->obj = seg->base + seg->hdr.obj_off;
	seg->serial = atomic_fetch_add_explicit(&next_serial, 1,
	    memory_order_relaxed);
	snprintf(seg->name, sizeof(seg->name), "%s", canon);
	r = shmc__peer_register(seg, &use);
	if (r != 0 || use != seg) {
		munmap(seg->base, seg->size);
		close(seg->fd);
		free(seg);
		if (r != 0)
			return r;
	}
	/*
	 * An anonymous object's creator holds a participant for as long as
	 * it has the object open, whether or not any of its threads has used
	 * it yet: a fork child waiting on the object must not take itself
	 * for the last one alive (see shmc__peer_alone).
	 */
	if (use->anon && (r = shmc__peer_role(use, 0, &holder)) != 0) {
		shmc__seg_close(use);
		return r;
	}
	*out = use;
	*tick_ms = shmc__tick_ms(attr->tick_ms);
	return 0;
}

/*
 * Drop one handle's reference to seg.  With the last one, release this
 * process's participants, unmap it and free it.  The caller guarantees no
 * other thread is inside an operation on it.
 */
void
shmc__seg_close(struct shmc__seg *seg)
{
	if (seg == NULL || !shmc__peer_unregister(seg))
		return;
	munmap(seg->base, seg->size);
	close(seg->fd);
	free(seg);
}

/*
 * Remove the name of an object of the given kind.  The object is checked
 * first, so that removing a mutex by the name of a channel is EPROTOTYPE
 * rather than a surprise; the file itself lives on while it is open.
 */
int
shmc__seg_unlink(const char *name, const struct shmc__kind *kind)
{
	struct shmc__hdr h;
	const char *canon;
	char path[PATH_MAX];
	struct stat a, b;
	int fd, r;

	r = shmc__name_check(name, &canon);
	if (r == 0)
		r = name_path(canon, path, sizeof(path));
	if (r != 0)
		return r;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (fd < 0)
		return errno == EISDIR || errno == ENXIO ? EMEDIUMTYPE : errno;
	r = fd_check(fd, SHMC_ANYOWNER, kind, &h, &a);
	close(fd);
	if (r != 0)
		return r;
	/* Refuse if the name was replaced while we looked. */
	if (lstat(path, &b) < 0)
		return errno;
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		return ENOENT;
	if (unlink(path) < 0)
		return errno;
	return 0;
}

/* The kind a header names, or NULL if it names none. */
static const struct shmc__kind *
kind_of(uint32_t kind)
{
	static const struct shmc__kind *const kinds[] = {
		NULL, &shmc__mutex_kind, &shmc__cond_kind, &shmc__mvar_kind,
		&shmc__chan_kind
	};

	return kind < SHMC__ARRAY_SIZE(kinds) ? kinds[kind] : NULL;
}

/*
 * Open the object name for looking only: read-only, never attached, never
 * waited on, validated against the kind its own header names, and mapped
 * without write access.  *st gets the file's status even when the object
 * is refused, so that a listing can still show who owns a foreign file.
 * The segment is not registered; shmc__seg_unpeek releases it.
 */
int
shmc__seg_peek(const char *name, struct shmc__seg *seg, struct stat *st)
{
	const struct shmc__kind *kind;
	const char *canon;
	char path[PATH_MAX];
	void *base;
	ssize_t n;
	int fd, r;

	memset(seg, 0, sizeof(*seg));
	memset(st, 0, sizeof(*st));
	r = shmc__name_check(name, &canon);
	if (r == 0)
		r = name_path(canon, path, sizeof(path));
	if (r != 0)
		return r;
	fd = shmc__fd_high(open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC));
	if (fd < 0) {
		r = errno == EISDIR || errno == ENXIO ? EMEDIUMTYPE : errno;
		/* Still say whose it is and what it is, if we can. */
		if (r != ENOENT && lstat(path, st) < 0)
			memset(st, 0, sizeof(*st));
		return r;
	}
	if (fstat(fd, st) < 0) {
		r = errno;
		close(fd);
		return r;
	}
	do
		n = pread(fd, &seg->hdr, sizeof(seg->hdr), 0);
	while (n < 0 && errno == EINTR);
	kind = kind_of(n == sizeof(seg->hdr) ? seg->hdr.kind : 0);
	if (kind == NULL)
		kind = &shmc__mutex_kind;       /* fd_check says what is wrong */
	r = fd_check(fd, SHMC_ANYOWNER, kind, &seg->hdr, st);
	if (r != 0) {
		close(fd);
		return r;
	}
	base = mmap(NULL, seg->hdr.total_size, PROT_READ, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		r = errno;
		close(fd);
		return r;
	}
	seg->fd = fd;
	seg->base = base;
	seg->size = seg->hdr.total_size;
	seg->peers = (struct shmc__peer *)(seg->base + seg->hdr.peer_off);
	seg->obj = seg->base + seg->hdr.obj_off;
	snprintf(seg->name, sizeof(seg->name), "%s", canon);
	return 0;
}

void
shmc__seg_unpeek(struct shmc__seg *seg)
{
	if (seg->base != NULL)
		munmap(seg->base, seg->size);
	if (seg->base != NULL)
		close(seg->fd);
	seg->base = NULL;
}

/*
 * Remove the name of any object in our namespace, of any kind and even if
 * it is damaged or foreign.  With stale, only if nobody is attached: we
 * take the lease bytes of every possible participant slot first, which
 * fails if any is held (EBUSY) and keeps anyone from attaching until the
 * name is gone.  That needs no trust in the header.
 */
int
shmc__seg_remove(const char *name, int stale)
{
	struct flock fl;
	struct stat st;
	const char *canon = name;
	char path[PATH_MAX];
	int fd, r = 0;

	/*
	 * Any name shmc__seg_list can return may be removed, even one that
	 * breaks the rules (someone else made that file): it only has to
	 * stay inside the directory.
	 */
	if (*canon == '/')
		canon++;
	if (*canon == '\0' || strchr(canon, '/') != NULL)
		return EINVAL;
	r = name_path(canon, path, sizeof(path));
	if (r != 0)
		return r;
	if (!stale)
		return unlink(path) < 0 ? errno : 0;
	fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC);
	if (fd < 0)
		return errno == EISDIR || errno == ENXIO ? EMEDIUMTYPE : errno;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = SHMC__PEERS_MAX;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		r = EMEDIUMTYPE;
	else if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
		r = errno == EAGAIN || errno == EACCES ? EBUSY : errno;
	else if (unlink(path) < 0)
		r = errno;
	close(fd);
	return r;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names of every file in our namespace (shmconc.*), sorted, whatever
 * they hold, in a malloc'd array of malloc'd strings.
 */
int
shmc__seg_list(char ***names, size_t *n)
{
	struct dirent *e;
	char **v = NULL, **nv;
	size_t len = 0, cap = 0, plen = strlen(SHM_PREFIX);
	DIR *d;
	int r = 0;

	d = opendir(shm_dir());
	if (d == NULL)
		return errno;
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, SHM_PREFIX, plen) != 0 ||
		    e->d_name[plen] == '\0')
			continue;
		if (len == cap) {
			cap = cap ? 2 * cap : 16;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				r = ENOMEM;
				break;
			}
			v = nv;
		}
		if ((v[len] = strdup(e->d_name + plen)) == NULL) {
			r = ENOMEM;
			break;
		}
		len++;
	}
	closedir(d);
	if (r != 0) {
		while (len > 0)
			free(v[--len]);
		free(v);
		return r;
	}
	if (len > 0)
		qsort(v, len, sizeof(*v), name_cmp);
	*names = v;
	*n = len;
	return 0;
}
