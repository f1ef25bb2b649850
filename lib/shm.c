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
 * Truncation while mapped.  None of that stops a peer with write access
 * from truncating the file of a live object, and our next access to a
 * page past its new end would be a SIGBUS that kills us.  So we do what
 * libwayland-server does for client shm pools (wl_shm_buffer_begin_access):
 * at the first open of a named object, a process-wide SIGBUS handler is
 * installed (once), keeping the previous action.  Every named mapping, and
 * every read-only peek, is entered in a fixed table of GUARD_MAX entries
 * that the handler reads without a lock, each entry under a sequence
 * count.  On a fault (BUS_ADRERR) inside one of them the handler maps
 * private zero pages over the whole mapping, marks the entry lost, counts
 * it in shmc__lost and returns, and the faulting instruction runs again,
 * on zeros.  Any other SIGBUS goes to the previous action: its function,
 * with or without SA_SIGINFO; or, for the default or ignore, the default,
 * restored before we return so that the fault recurs and kills us as it
 * would have (an ignored SIGBUS from a fault kills anyway).  An
 * application that installs its own SIGBUS handler after opening an object
 * must chain to ours in the same way.  A segment that finds the table full
 * is not guarded: a truncation kills us, as it did before.
 *
 * A truncation that we do not touch is found another way: a sleeper
 * compares the file's size with its mapping at every tick (fstat), and so
 * does a thread that attaches.  Every operation on a lost segment fails
 * with ENODATA: shmc__peer_self checks at the start, and each public
 * operation again at its end (shmc__seg_check), since what it did may
 * have been done on zeros.  Both checks are one relaxed load of shmc__lost
 * while nothing is lost.  Closing a lost segment unmaps it as usual.
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
#include <signal.h>
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

/* How many mappings the SIGBUS guard can watch at once. */
#define GUARD_MAX       256

/*
 * One guarded mapping.  The owner writes an entry only between the mmap
 * and the first access, and between the last access and the munmap; seq
 * is odd while it does, so a reader (the signal handler, a sleeper) that
 * sees seq even and unchanged around its reads has a consistent entry.
 * base is 0 in a free entry.  lost is set by whoever finds the mapping
 * lost, handler or sleeper, and counted once in shmc__lost.
 */
struct guard {
	_Atomic unsigned int seq;
	_Atomic uintptr_t base;
	_Atomic size_t len;
	_Atomic int fd;
	_Atomic int lost;
};

/* A consistent copy of an entry in use. */
struct guard_view {
	uintptr_t base;
	size_t len;
	int fd;
};

static struct guard guards[GUARD_MAX];
static _Atomic unsigned int guard_high;         /* entries ever used */
static pthread_once_t guard_once = PTHREAD_ONCE_INIT;
static struct sigaction guard_old;              /* the action we replaced */
static int guard_on;                            /* our handler is in */

_Atomic unsigned int shmc__lost;

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

/*
 * Read entry g into *v if it is in use and was not being changed, with the
 * reader's side of the sequence count.  Async-signal-safe.
 */
static int
guard_read(struct guard *g, struct guard_view *v)
{
	unsigned int s;

	/* Acquire: pairs with the owner's release of an even count. */
	s = atomic_load_explicit(&g->seq, memory_order_acquire);
	if (s & 1)
		return 0;
	v->base = atomic_load_explicit(&g->base, memory_order_relaxed);
	v->len = atomic_load_explicit(&g->len, memory_order_relaxed);
	v->fd = atomic_load_explicit(&g->fd, memory_order_relaxed);
	/* Acquire: the reads above happen before the count's re-read. */
	atomic_thread_fence(memory_order_acquire);
	return v->base != 0 &&
	    atomic_load_explicit(&g->seq, memory_order_relaxed) == s;
}

/* The entry in use whose mapping holds addr, or NULL.  Async-signal-safe. */
static struct guard *
guard_find(uintptr_t addr, struct guard_view *v)
{
	unsigned int i, n;

	/* Relaxed: an entry claimed after this load is not ours to find. */
	n = atomic_load_explicit(&guard_high, memory_order_relaxed);
	for (i = 0; i < n && i < GUARD_MAX; i++)
		if (guard_read(&guards[i], v) && addr - v->base < v->len)
			return &guards[i];
	return NULL;
}

/* Mark g lost, counting it once.  Async-signal-safe. */
static void
guard_mark(struct guard *g)
{
	/*
	 * Release, on the count: a thread that sees it and then fences
	 * (shmc__seg_lost_slow) sees the mark made before it.  The handler
	 * maps the zero pages after the mark, so that nobody finds them
	 * while the count is still zero.
	 */
	if (atomic_exchange_explicit(&g->lost, 1, memory_order_relaxed) == 0)
		atomic_fetch_add_explicit(&shmc__lost, 1, memory_order_release);
}

/*
 * Do what the previous SIGBUS action would have done.  A function is
 * called as it expects to be (its mask and flags other than SA_SIGINFO
 * are not applied: it runs inside our handler).  Otherwise the default is
 * restored: a fault then recurs when we return and kills the process as
 * it would have without us, and a SIGBUS that was sent, not caused, is
 * raised again (it is blocked until we return).  A sent SIGBUS that was
 * ignored stays ignored; one from a fault cannot be, so it gets the
 * default too.
 */
static void
guard_chain(int sig, siginfo_t *si, void *ctx)
{
	struct sigaction dfl;

	if (guard_old.sa_handler != SIG_DFL &&
	    guard_old.sa_handler != SIG_IGN) {
		if (guard_old.sa_flags & SA_SIGINFO)
			guard_old.sa_sigaction(sig, si, ctx);
		else
			guard_old.sa_handler(sig);
		return;
	}
	if (si->si_code <= 0 && guard_old.sa_handler == SIG_IGN)
		return;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	(void)sigaction(SIGBUS, &dfl, NULL);
	if (si->si_code <= 0)
		(void)raise(SIGBUS);
}

/*
 * The SIGBUS handler.  Only async-signal-safe calls: mmap is not on the
 * POSIX list, but on Linux it is the bare system call.  errno is kept for
 * the code we interrupted.
 */
static void
guard_handler(int sig, siginfo_t *si, void *ctx)
{
	struct guard_view v;
	struct guard *g;
	int e = errno;

	if (si->si_code == BUS_ADRERR &&
	    (g = guard_find((uintptr_t)si->si_addr, &v)) != NULL) {
		/*
		 * Mark first: another thread of ours that finds the zero
		 * pages must not also find shmc__lost still zero, and
		 * return success for a call made on zeros.
		 */
		guard_mark(g);
		if (mmap((void *)v.base, v.len, PROT_READ | PROT_WRITE,
		    MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) !=
		    MAP_FAILED) {
			errno = e;
			return;
		}
	}
	guard_chain(sig, si, ctx);
	errno = e;
}

/*
 * Install the handler, once per process.  The previous action is read
 * first and the handler installed second, so that the handler never runs
 * before guard_old holds what it chains to.
 */
static void
guard_install(void)
{
	struct sigaction sa;

	if (sigaction(SIGBUS, NULL, &guard_old) < 0)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = guard_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) == 0)
		guard_on = 1;
}

/*
 * Enter the mapping base..base+len of file fd in the table.  Returns the
 * entry, or -1 if the table is full or the handler could not be installed:
 * the mapping is then simply not guarded.
 */
static int
guard_add(void *base, size_t len, int fd)
{
	struct guard *g;
	unsigned int i, s, high;

	pthread_once(&guard_once, guard_install);
	if (!guard_on)
		return -1;
	for (i = 0; i < GUARD_MAX; i++) {
		g = &guards[i];
		/*
		 * Acquire: pairs with the release of the even count by the
		 * entry's last claimant or remover, so that a base of 0 read
		 * after it is not older than that count; the CAS below
		 * decides.
		 */
		s = atomic_load_explicit(&g->seq, memory_order_acquire);
		if ((s & 1) || atomic_load_explicit(&g->base,
		    memory_order_relaxed) != 0)
			continue;
		/*
		 * Claim: an odd count.  Any other claim or release since we
		 * read the count changed it, so winning means the entry is
		 * still free.  Acquire: after its previous owner's release.
		 */
		if (!atomic_compare_exchange_strong_explicit(&g->seq, &s,
		    s + 1, memory_order_acquire, memory_order_relaxed))
			continue;
		/* Release fence: the odd count before the new fields. */
		atomic_thread_fence(memory_order_release);
		atomic_store_explicit(&g->base, (uintptr_t)base,
		    memory_order_relaxed);
		atomic_store_explicit(&g->len, len, memory_order_relaxed);
		atomic_store_explicit(&g->fd, fd, memory_order_relaxed);
		atomic_store_explicit(&g->lost, 0, memory_order_relaxed);
		/* Release: the fields before the even count. */
		atomic_store_explicit(&g->seq, s + 2, memory_order_release);
		/* Relaxed: readers look at entries below it, claimed or not. */
		high = atomic_load_explicit(&guard_high, memory_order_relaxed);
		while (high < i + 1 && !atomic_compare_exchange_weak_explicit(
		    &guard_high, &high, i + 1, memory_order_relaxed,
		    memory_order_relaxed))
			continue;
		return (int)i;
	}
	return -1;
}

/* Free entry i (-1: none) before its mapping is unmapped. */
static void
guard_remove(int i)
{
	struct guard *g;
	unsigned int s;

	if (i < 0)
		return;
	g = &guards[i];
	/* Relaxed: only the owner changes an entry in use. */
	s = atomic_load_explicit(&g->seq, memory_order_relaxed);
	atomic_store_explicit(&g->seq, s + 1, memory_order_relaxed);
	/* Release fence: the odd count before the fields change. */
	atomic_thread_fence(memory_order_release);
	/* Relaxed: a count of mappings; nothing else is ordered by it. */
	if (atomic_exchange_explicit(&g->lost, 0, memory_order_relaxed))
		atomic_fetch_sub_explicit(&shmc__lost, 1, memory_order_relaxed);
	atomic_store_explicit(&g->base, 0, memory_order_relaxed);
	atomic_store_explicit(&g->len, 0, memory_order_relaxed);
	atomic_store_explicit(&g->fd, -1, memory_order_relaxed);
	/* Release: pairs with guard_read's and guard_add's acquire. */
	atomic_store_explicit(&g->seq, s + 2, memory_order_release);
}

/* Mark g lost if its file is now shorter than its mapping. */
static int
guard_check(struct guard *g, const struct guard_view *v)
{
	struct stat st;

	if (fstat(v->fd, &st) == 0 && (uint64_t)st.st_size < v->len)
		guard_mark(g);
	/* Relaxed: our own mark, or one the fence in the caller orders. */
	return atomic_load_explicit(&g->lost, memory_order_relaxed);
}

/* The slow path of shmc__seg_lost: shmc__lost is not zero. */
int
shmc__seg_lost_slow(const struct shmc__seg *seg)
{
	/* Acquire fence: pairs with guard_mark's release of the count. */
	atomic_thread_fence(memory_order_acquire);
	return seg->guard >= 0 && atomic_load_explicit(
	    &guards[seg->guard].lost, memory_order_relaxed);
}

/*
 * Is seg lost, looking at its file too?  Returns ENODATA if it is, else 0.
 * One fstat: for slow paths only (a thread attaching).
 */
int
shmc__seg_verify(struct shmc__seg *seg)
{
	struct guard_view v;
	struct guard *g;

	if (seg->guard < 0)
		return 0;
	g = &guards[seg->guard];
	if (guard_read(g, &v) && guard_check(g, &v))
		return ENODATA;
	return shmc__seg_lost(seg) ? ENODATA : 0;
}

/*
 * Does addr lie in a lost mapping?  With check, first compare the file's
 * size with the mapping (one fstat, for a sleeper at its tick).
 */
int
shmc__addr_lost(const void *addr, int check)
{
	struct guard_view v;
	struct guard *g;

	g = guard_find((uintptr_t)addr, &v);
	if (g == NULL)
		return 0;
	if (check)
		return guard_check(g, &v);
	/* Acquire fence: as in shmc__seg_lost_slow. */
	atomic_thread_fence(memory_order_acquire);
	return atomic_load_explicit(&g->lost, memory_order_relaxed);
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
	/* Sealed against shrinking, an anonymous object needs no guard. */
	seg->guard = seg->anon ? -1 : guard_add(seg->base, seg->size, seg->fd);
	seg->serial = atomic_fetch_add_explicit(&next_serial, 1,
	    memory_order_relaxed);
	snprintf(seg->name, sizeof(seg->name), "%s", canon);
	r = shmc__peer_register(seg, &use);
	if (r != 0 || use != seg) {
		guard_remove(seg->guard);
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
	guard_remove(seg->guard);
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
	seg->guard = -1;
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
	seg->guard = guard_add(base, seg->size, fd);
	seg->peers = (struct shmc__peer *)(seg->base + seg->hdr.peer_off);
	seg->obj = seg->base + seg->hdr.obj_off;
	snprintf(seg->name, sizeof(seg->name), "%s", canon);
	return 0;
}

void
shmc__seg_unpeek(struct shmc__seg *seg)
{
	if (seg->base != NULL) {
		guard_remove(seg->guard);
		munmap(seg->base, seg->size);
		close(seg->fd);
	}
	seg->guard = -1;
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
