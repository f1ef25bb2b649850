/*
 * Tests of hostile peers and bad conditions (lib/shm.c): a peer that
 * truncates the file of a live object while we have it mapped, to nothing
 * or to half, between our calls or while we sleep in one; the SIGBUS
 * guard's chaining to the application's own handler and to the default;
 * the guard table's limit; a full shm file system; and a process out of
 * file descriptors.  Foreign files at the name, damaged headers, objects
 * of another user and names unlinked while in use are tested in shm-t.c.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmconc.h"
#include "lib/chan.h"
#include "lib/cond.h"
#include "lib/mutex.h"
#include "lib/mvar.h"
#include "lib/shm.h"
#include "tests/tap/basic.h"
#include "tests/tap/shmc.h"
#include "tests/tap/timing.h"

/* The tick of the objects that we sleep on, and the slack we allow. */
#define TICK_MS         100
#define SLACK_MS        900

/* How long the cutter waits before it truncates a sleeper's object. */
#define CUT_DELAY_MS    150

/* GUARD_MAX in lib/shm.c: how many mappings the guard watches. */
#define GUARDS          256

/* Sizes of the MVar and channel whose second half their calls reach. */
#define BIG_MVAR        16384
#define BIG_CHAN_SIZE   1024
#define BIG_CHAN_CAP    16

/* Plain data shared with forked children: an anonymous MAP_SHARED page. */
struct shared {
	volatile uint64_t cut_ns;       /* when the cutter truncated */
	volatile int r[16];             /* results of a child's steps */
};
static struct shared *sh;

static long page_size;

/* What the application's own SIGBUS handler saw. */
static volatile sig_atomic_t app_hits;
static void *volatile app_addr;

/* The helpers' plain (not SA_SIGINFO) handler jumps back through this. */
static sigjmp_buf plain_jump;
static volatile sig_atomic_t plain_hits;

enum kind { K_MUTEX, K_COND, K_MVAR, K_CHAN, K_RDV };
static const char *const kind_name[] = {
	"mutex", "cond", "mvar", "chan", "rendezvous"
};

/* One object under test; a condition variable comes with its mutex. */
struct obj {
	enum kind kind;
	int big;                        /* MVar or channel: the big layout */
	char name[64];
	struct shmc_mutex *m;
	struct shmc_cond *c;
	struct shmc_mvar *mv;
	struct shmc_chan *ch;
};

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		continue;
}

/*
 * Run this program again as helper what (see helper()); its exit code.
 * In a sanitizer build, AddressSanitizer would otherwise install its own
 * SIGBUS handler first, and report the helpers that die on purpose.
 */
static int
run_helper(const char *what)
{
	const char *asan = getenv("ASAN_OPTIONS");
	char *opts;
	pid_t pid;

	opts = basprintf("%s%shandle_sigbus=0:detect_leaks=0",
	    asan != NULL ? asan : "", asan != NULL && *asan != '\0' ? ":" : "");
	pid = fork();
	if (pid < 0)
		sysbail("fork");
	if (pid == 0) {
		if (setenv("ASAN_OPTIONS", opts, 1) == 0)
			execl("/proc/self/exe", "hostile-t", what,
			    (char *)NULL);
		_exit(127);
	}
	free(opts);
	return test_reap(pid);
}

/* Is any page of base..base+len mapped? */
static int
is_mapped(void *base, size_t len)
{
	unsigned char *vec;
	int r;

	vec = bmalloc(len / (size_t)page_size + 1);
	r = mincore(base, len, vec) == 0 || errno != ENOMEM;
	free(vec);
	return r;
}

/* How many descriptors this process has open. */
static int
count_fds(void)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	d = opendir("/proc/self/fd");
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;           /* opendir's own */
}

/* How many entries directory dir holds. */
static int
count_dir(const char *dir)
{
	struct dirent *e;
	DIR *d;
	int n = 0;

	d = opendir(dir);
	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/*
 * Map one page of a new plain file privately, truncate the file and read
 * the page: a SIGBUS outside any shmconc mapping.  Returns what was read;
 * *where gets the page.
 */
static int
touch_truncated(void **where)
{
	char *path;
	volatile char *p;
	int fd, v;

	path = basprintf("%s/plain.%ld", getenv("SHMCONC_DIR"),
	    (long)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || ftruncate(fd, page_size) < 0)
		sysbail("cannot create %s", path);
	p = mmap(NULL, (size_t)page_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED || ftruncate(fd, 0) < 0)
		sysbail("cannot map and truncate %s", path);
	unlink(path);
	close(fd);
	free(path);
	if (where != NULL)
		*where = (void *)p;
	v = p[0];
	munmap((void *)p, (size_t)page_size);
	return v;
}

/*
 * The application's handler: note the fault and map a zero page over it,
 * so that the read runs again and succeeds.
 */
static void
app_bus(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t page = (uintptr_t)si->si_addr & ~((uintptr_t)page_size - 1);

	(void)sig;
	(void)ctx;
	app_hits++;
	app_addr = si->si_addr;
	(void)mmap((void *)page, (size_t)page_size, PROT_READ | PROT_WRITE,
	    MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void
plain_bus(int sig)
{
	(void)sig;
	plain_hits++;
	siglongjmp(plain_jump, 1);
}

/*
 * Truncate the file of object name to nothing, or to half its size.  The
 * path comes from the environment, which the helpers inherit too.
 */
static void
cut_file(const char *name, int half)
{
	struct stat st;
	char *path = basprintf("%s/shmconc.%s", getenv("SHMCONC_DIR"), name);

	if (stat(path, &st) < 0 ||
	    truncate(path, half ? st.st_size / 2 : 0) < 0)
		sysbail("cannot truncate %s", path);
	free(path);
}

/*
 * Helpers run in a fresh process (run_helper), so that the SIGBUS action
 * in place at their first open is the one they set:
 *   default       a SIGBUS outside our mappings still kills;
 *   ignore        ...also when it was ignored;
 *   plain         ...and reaches a handler without SA_SIGINFO;
 *   sent          a SIGBUS sent with kill still kills;
 *   sent-ignored  ...and is still ignored, and the guard stays in place;
 *   full          the mapping after GUARDS others is unguarded.
 * Exit 0 means the helper got as far as it should not have, or, for plain
 * and sent-ignored, that all went well.
 */
static int
helper(const char *what)
{
	struct rlimit core = { 0, 0 };
	struct shmc_mutex *m, *g[GUARDS + 1], *extra;
	struct sigaction sa;
	char name[64];
	int i;

	alarm(20);
	(void)setrlimit(RLIMIT_CORE, &core);
	page_size = sysconf(_SC_PAGESIZE);
	if (strcmp(what, "ignore") == 0 || strcmp(what, "sent-ignored") == 0)
		signal(SIGBUS, SIG_IGN);
	if (strcmp(what, "plain") == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = plain_bus;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGBUS, &sa, NULL) < 0)
			return 90;
	}
	if (strcmp(what, "full") == 0) {
		/* GUARDS objects, one more, then trade the first for a new. */
		for (i = 0; i <= GUARDS; i++) {
			snprintf(name, sizeof(name), "full%d.%ld", i,
			    (long)getpid());
			if (shmc_mutex_open(name, SHMC_CREAT, NULL,
			    &g[i]) != 0 || shmc_mutex_lock(g[i]) != 0 ||
			    shmc_mutex_unlock(g[i]) != 0)
				return 91;
		}
		shmc_mutex_close(g[0]);
		snprintf(name, sizeof(name), "extra.%ld", (long)getpid());
		if (shmc_mutex_open(name, SHMC_CREAT, NULL, &extra) != 0 ||
		    shmc_mutex_lock(extra) != 0 ||
		    shmc_mutex_unlock(extra) != 0)
			return 92;
		cut_file(name, 0);
		for (i = 1; i <= GUARDS; i++) {
			snprintf(name, sizeof(name), "full%d.%ld", i,
			    (long)getpid());
			cut_file(name, 0);
		}
		/* The guarded ones: ENODATA; the last one kills us. */
		if (shmc_mutex_lock(extra) != ENODATA)
			return 93;
		for (i = 1; i < GUARDS; i++)
			if (shmc_mutex_lock(g[i]) != ENODATA)
				return 94;
		return shmc_mutex_lock(g[GUARDS]) == 0 ? 0 : 98;
	}
	snprintf(name, sizeof(name), "helper.%ld", (long)getpid());
	if (shmc_mutex_open(name, SHMC_CREAT, NULL, &m) != 0 ||
	    shmc_mutex_lock(m) != 0 || shmc_mutex_unlock(m) != 0)
		return 95;
	if (strcmp(what, "sent") == 0 || strcmp(what, "sent-ignored") == 0) {
		kill(getpid(), SIGBUS);
		if (strcmp(what, "sent") == 0)
			return 0;
		cut_file(name, 0);
		return shmc_mutex_lock(m) == ENODATA ? 0 : 96;
	}
	if (strcmp(what, "plain") == 0) {
		if (sigsetjmp(plain_jump, 1) == 0)
			(void)touch_truncated(NULL);
		return plain_hits == 1 ? 0 : 97;
	}
	(void)touch_truncated(NULL);
	return 0;
}

/* Create the mutex name, or bail. */
static struct shmc_mutex *
open_mutex(const char *name)
{
	struct shmc_mutex *m;
	int r;

	r = shmc_mutex_open(name, SHMC_CREAT | SHMC_EXCL, NULL, &m);
	if (r != 0)
		bail("cannot open mutex %s: %s", name, shmc_strerror(r));
	return m;
}

/* Open a new object of kind k under name; bails on failure. */
static void
obj_open(struct obj *o, enum kind k, const char *name, int big)
{
	struct shmc_attr attr;
	char mname[80];
	int r;

	memset(o, 0, sizeof(*o));
	o->kind = k;
	o->big = big;
	snprintf(o->name, sizeof(o->name), "%s", name);
	memset(&attr, 0, sizeof(attr));
	attr.tick_ms = TICK_MS;
	switch (k) {
	case K_MUTEX:
		r = shmc_mutex_open(name, SHMC_CREAT | SHMC_EXCL, &attr, &o->m);
		break;
	case K_COND:
		snprintf(mname, sizeof(mname), "%s.m", name);
		r = shmc_mutex_open(mname, SHMC_CREAT | SHMC_EXCL, &attr,
		    &o->m);
		if (r == 0)
			r = shmc_cond_open(name, SHMC_CREAT | SHMC_EXCL, &attr,
			    &o->c);
		break;
	case K_MVAR:
		attr.size = big ? BIG_MVAR : 0;
		r = shmc_mvar_open(name, SHMC_CREAT | SHMC_EXCL, &attr,
		    &o->mv);
		break;
	default:
		attr.size = big ? BIG_CHAN_SIZE : 0;
		attr.capacity = k == K_RDV ? 0 : big ? BIG_CHAN_CAP : 4;
		r = shmc_chan_open(name, SHMC_CREAT | SHMC_EXCL | SHMC_SENDER |
		    SHMC_RECEIVER, &attr, &o->ch);
		break;
	}
	if (r != 0)
		bail("cannot open %s %s: %s", kind_name[k], name,
		    shmc_strerror(r));
}

/* The segment of the object under test (not the condvar's mutex). */
static struct shmc__seg *
obj_seg(const struct obj *o)
{
	switch (o->kind) {
	case K_MUTEX:
		return o->m->seg;
	case K_COND:
		return o->c->seg;
	case K_MVAR:
		return o->mv->seg;
	default:
		return o->ch->seg;
	}
}

/*
 * One round of calls that do not block on a healthy object: lock and
 * unlock; signal, then a wait of a millisecond; put and take; send and
 * receive; a try_send on a rendezvous channel with nobody receiving.  The
 * big MVar and channel move a full-size value, through the next buffer or
 * slot.  Returns 0 or the first error.
 */
static int
obj_op(struct obj *o)
{
	static unsigned char buf[BIG_MVAR];
	struct timespec soon;
	size_t len, n;
	int r;

	switch (o->kind) {
	case K_MUTEX:
		r = shmc_mutex_lock(o->m);
		return r != 0 ? r : shmc_mutex_unlock(o->m);
	case K_COND:
		r = shmc_cond_signal(o->c);
		if (r != 0)
			return r;
		if ((r = shmc_mutex_lock(o->m)) != 0)
			return r;
		clock_gettime(CLOCK_MONOTONIC, &soon);
		soon.tv_nsec += 1000000;
		if (soon.tv_nsec >= 1000000000L) {
			soon.tv_sec++;
			soon.tv_nsec -= 1000000000L;
		}
		r = shmc_cond_timedwait(o->c, o->m, &soon);
		(void)shmc_mutex_unlock(o->m);
		return r == ETIMEDOUT ? 0 : r;
	case K_MVAR:
		n = o->big ? BIG_MVAR : 1;
		memset(buf, 'v', n);
		r = shmc_mvar_put(o->mv, buf, n);
		return r != 0 ? r : shmc_mvar_take(o->mv, buf, sizeof(buf),
		    &len);
	case K_RDV:
		r = shmc_chan_try_send(o->ch, "r", 1);
		return r == EAGAIN ? 0 : r;
	default:
		n = o->big ? BIG_CHAN_SIZE : 1;
		memset(buf, 'c', n);
		r = shmc_chan_send(o->ch, buf, n);
		return r != 0 ? r : shmc_chan_recv(o->ch, buf, sizeof(buf),
		    &len);
	}
}

static void *
thread_op(void *arg)
{
	return (void *)(long)obj_op(arg);
}

/* obj_op in a new thread: its first call attaches it. */
static int
obj_op_thread(struct obj *o)
{
	pthread_t t;
	void *ret;
	int r;

	r = pthread_create(&t, NULL, thread_op, o);
	if (r != 0) {
		errno = r;
		sysbail("pthread_create");
	}
	pthread_join(t, &ret);
	return (int)(long)ret;
}

/*
 * The call that blocks on an idle object: lock (another process holds
 * it), wait (nobody signals), take (empty), receive (empty, and held),
 * send on a rendezvous channel (nobody takes the message).  For the
 * condition variable, *held says whether we hold its mutex after.
 */
static int
obj_block(struct obj *o, int *held)
{
	unsigned char buf[64];
	size_t len;
	int r;

	switch (o->kind) {
	case K_MUTEX:
		return shmc_mutex_lock(o->m);
	case K_COND:
		if ((r = shmc_mutex_lock(o->m)) != 0)
			return r;
		r = shmc_cond_wait(o->c, o->m);
		*held = shmc_mutex_unlock(o->m) == 0;
		return r;
	case K_MVAR:
		return shmc_mvar_take(o->mv, buf, sizeof(buf), &len);
	case K_RDV:
		return shmc_chan_send(o->ch, "r", 1);
	default:
		return shmc_chan_recv(o->ch, buf, sizeof(buf), &len);
	}
}

static void
obj_close(struct obj *o)
{
	shmc_cond_close(o->c);
	shmc_mutex_close(o->m);
	shmc_mvar_close(o->mv);
	shmc_chan_close(o->ch);
}

/* A process that opens the object by name now: what it gets. */
static int
child_open(void *arg)
{
	const struct obj *o = arg;
	struct shmc_mutex *m;
	struct shmc_cond *c;
	struct shmc_mvar *mv;
	struct shmc_chan *ch;

	switch (o->kind) {
	case K_MUTEX:
		return shmc_mutex_open(o->name, 0, NULL, &m);
	case K_COND:
		return shmc_cond_open(o->name, 0, NULL, &c);
	case K_MVAR:
		return shmc_mvar_open(o->name, 0, NULL, &mv);
	default:
		return shmc_chan_open(o->name, SHMC_SENDER, NULL, &ch);
	}
}

/* The hostile peer: truncate after a delay, and say when. */
struct cutter {
	const char *name;
	int half;
	int delay_ms;
};

static int
child_cut(void *arg)
{
	const struct cutter *cu = arg;

	if (cu->delay_ms > 0)
		sleep_ms(cu->delay_ms);
	cut_file(cu->name, cu->half);
	sh->cut_ns = now_ns();
	return 0;
}

/* The mutex holder of the blocked case: lock, report, wait, unlock. */
struct holder {
	struct shmc_mutex *m;
	int ready;              /* write end */
	int go;                 /* read end */
};

static int
child_hold(void *arg)
{
	const struct holder *h = arg;
	char c = 'x';

	if (shmc_mutex_lock(h->m) != 0 || write(h->ready, &c, 1) != 1)
		return 200;
	if (read(h->go, &c, 1) < 0)
		return 201;
	return shmc_mutex_unlock(h->m);
}

/* What opening the object's file gets once it is cut so. */
static int
open_error(int half)
{
	return half ? ENODATA : EMEDIUMTYPE;
}

/*
 * Four tests after o was lost: a later call fails too, a process opening
 * it now gets the error of a cut file, and close unmaps it.
 */
static void
after_loss(struct obj *o, int half, const char *verb)
{
	void *base;
	size_t size;

	is_int(ENODATA, obj_op(o), "...and so %s every later call", verb);
	is_int(open_error(half), test_reap(test_fork(child_open, o)),
	    "...a process that opens it now gets %s",
	    half ? "ENODATA" : "EMEDIUMTYPE");
	base = obj_seg(o)->base;
	size = obj_seg(o)->size;
	obj_close(o);
	ok(!is_mapped(base, size), "...close works and unmaps it");
}

/*
 * A peer truncates the object between two of our calls.  Cut to nothing,
 * our next call touches a missing page; cut to half, a call that reaches
 * the second half (the big MVar's other buffer, the big channel's later
 * slots) or a new thread's first call (which looks at the file) finds it.
 * Four tests.
 */
static void
between(enum kind k, int half)
{
	struct cutter cu;
	struct obj o;
	char name[64];
	const char *what = half ? "half" : "nothing";
	int r, i;

	snprintf(name, sizeof(name), "between-%s-%d", kind_name[k], half);
	obj_open(&o, k, name, 1);
	if ((r = obj_op(&o)) != 0)
		bail("%s: %s", name, shmc_strerror(r));
	cu.name = name;
	cu.half = half;
	cu.delay_ms = 0;
	if (test_reap(test_fork(child_cut, &cu)) != 0)
		bail("cannot cut %s", name);
	if (!half)
		r = obj_op(&o);
	else if (k == K_MUTEX || k == K_COND)
		r = obj_op_thread(&o);
	else
		for (i = 0, r = 0; r == 0 && i <= BIG_CHAN_CAP; i++)
			r = obj_op(&o);
	is_int(ENODATA, r, "%s cut to %s between calls: ENODATA, no SIGBUS",
	    kind_name[k], what);
	after_loss(&o, half, "is");
}

/*
 * A peer truncates the object while we sleep in a call that another
 * process keeps from completing: we get ENODATA within a tick.  Six tests
 * for the mutex and the condition variable, five for the others.
 */
static void
blocked(enum kind k, int half)
{
	struct cutter cu;
	struct holder h;
	struct obj o;
	char name[64], c = 'g';
	const char *what = half ? "half" : "nothing";
	int ready[2], go[2], r, held = -1, code;
	pid_t holder = 0, cutter;
	uint64_t done, took;

	snprintf(name, sizeof(name), "blocked-%s-%d", kind_name[k], half);
	obj_open(&o, k, name, 0);
	if ((r = obj_op(&o)) != 0)
		bail("%s: %s", name, shmc_strerror(r));
	if (k == K_MUTEX) {
		if (pipe(ready) < 0 || pipe(go) < 0)
			sysbail("pipe");
		h.m = o.m;
		h.ready = ready[1];
		h.go = go[0];
		holder = test_fork(child_hold, &h);
		if (read(ready[0], &c, 1) != 1)
			bail("the holder of %s did not lock it", name);
	}
	sh->cut_ns = 0;
	cu.name = name;
	cu.half = half;
	cu.delay_ms = CUT_DELAY_MS;
	cutter = test_fork(child_cut, &cu);
	r = obj_block(&o, &held);
	done = now_ns();
	is_int(ENODATA, r, "%s cut to %s while we sleep in it: ENODATA",
	    kind_name[k], what);
	took = sh->cut_ns != 0 && done > sh->cut_ns ?
	    (done - sh->cut_ns) / 1000000 : 0;
	ok(sh->cut_ns != 0 && took <= TICK_MS + SLACK_MS,
	    "...within a tick (%lu ms after the cut)", (unsigned long)took);
	if (test_reap(cutter) != 0)
		bail("cannot cut %s", name);
	if (k == K_COND)
		ok(held == 1, "...holding the mutex again");
	if (k == K_MUTEX) {
		if (write(go[1], &c, 1) != 1)
			sysbail("write");
		code = test_reap(holder);
		if (half)
			ok(code == 0 || code == ENODATA,
			    "...the holder unlocks or gets ENODATA (%d)", code);
		else
			is_int(ENODATA, code, "...the holder gets ENODATA");
		close(ready[0]);
		close(ready[1]);
		close(go[0]);
		close(go[1]);
	}
	after_loss(&o, half, "does");
}

/*
 * A full shm file system, in a mount namespace of a child of our own: a
 * 64 KiB tmpfs.  The results go to sh->r; the exit code says whether the
 * child got as far as the tests (100 + the step it could not take).
 */
static int
child_full(void *arg)
{
	const char *mnt = arg;
	struct shmc_attr attr;
	struct shmc_mutex *m;
	struct shmc_mvar *mv;
	struct shmc_chan *ch;
	char *filler, *path, block[4096];
	ssize_t n;
	int fd;

	if (unshare(CLONE_NEWNS) < 0) {
		sh->r[15] = errno;
		return 100;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		sh->r[15] = errno;
		return 101;
	}
	if (mount("shmconc-full", mnt, "tmpfs", MS_NOSUID | MS_NODEV,
	    "size=64k,mode=0700") < 0) {
		sh->r[15] = errno;
		return 102;
	}
	if (setenv("SHMCONC_DIR", mnt, 1) < 0)
		return 103;
	sh->r[0] = shmc_mutex_open("a", SHMC_CREAT | SHMC_EXCL, NULL, &m);
	if (sh->r[0] == 0)
		shmc_mutex_close(m);

	/* Fill the file system up with a plain file. */
	filler = basprintf("%s/filler", mnt);
	fd = open(filler, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return 104;
	memset(block, 'f', sizeof(block));
	do
		n = write(fd, block, sizeof(block));
	while (n > 0);
	close(fd);
	sh->r[1] = n < 0 ? errno : 0;
	sh->r[2] = shmc_mutex_open("b", SHMC_CREAT, NULL, &m);
	path = basprintf("%s/shmconc.b", mnt);
	sh->r[3] = access(path, F_OK) == 0;
	free(path);
	sh->r[4] = count_dir(mnt);
	sh->r[5] = shmc_mutex_open("a", 0, NULL, &m);
	if (sh->r[5] == 0) {
		sh->r[5] = shmc_mutex_lock(m);
		if (sh->r[5] == 0)
			sh->r[5] = shmc_mutex_unlock(m);
		shmc_mutex_close(m);
	}

	/* Objects bigger than the whole file system. */
	unlink(filler);
	free(filler);
	memset(&attr, 0, sizeof(attr));
	attr.size = 1024 * 1024;
	sh->r[6] = shmc_mvar_open("bigvar", SHMC_CREAT, &attr, &mv);
	attr.size = 65536;
	attr.capacity = 4;
	sh->r[7] = shmc_chan_open("bigchan", SHMC_CREAT | SHMC_SENDER, &attr,
	    &ch);
	sh->r[8] = count_dir(mnt);
	sh->r[9] = shmc_mvar_open("smallvar", SHMC_CREAT, NULL, &mv);
	if (sh->r[9] == 0)
		shmc_mvar_close(mv);
	return 0;
}

/*
 * Out of file descriptors, in a child: the limit set at the lowest free
 * descriptor, then one above it, then back.  Results in sh->r.
 */
static int
child_emfile(void *arg)
{
	struct rlimit old, rl;
	struct shmc_mutex *m;
	struct shmc_mvar *mv;
	struct shmc_chan *ch;
	int fd, fds, files;

	(void)arg;
	if (shmc_mutex_open("emf-old", SHMC_CREAT, NULL, &m) != 0)
		return 100;
	shmc_mutex_close(m);
	fds = count_fds();
	files = test_shm_count();
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || getrlimit(RLIMIT_NOFILE, &old) < 0)
		return 101;
	close(fd);
	rl = old;
	rl.rlim_cur = (rlim_t)fd;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 102;
	sh->r[0] = shmc_mutex_open("emf-new", SHMC_CREAT, NULL, &m);
	sh->r[1] = shmc_mutex_open("emf-old", 0, NULL, &m);
	sh->r[2] = shmc_mvar_open(NULL, 0, NULL, &mv);
	sh->r[3] = shmc_chan_open("emf-chan", SHMC_CREAT | SHMC_SENDER, NULL,
	    &ch);
	rl.rlim_cur = (rlim_t)fd + 1;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 103;
	sh->r[4] = shmc_mutex_open("emf-old", 0, NULL, &m);
	if (sh->r[4] != 0)
		return 104;
	sh->r[5] = shmc_mutex_lock(m);
	if (setrlimit(RLIMIT_NOFILE, &old) < 0)
		return 105;
	sh->r[6] = shmc_mutex_lock(m);
	if (sh->r[6] == 0)
		sh->r[6] = shmc_mutex_unlock(m);
	shmc_mutex_close(m);
	sh->r[7] = test_shm_count() == files;
	sh->r[8] = count_fds() == fds;
	sh->r[9] = shmc_mutex_open("emf-new", SHMC_CREAT, NULL, &m);
	if (sh->r[9] == 0)
		shmc_mutex_close(m);
	return 0;
}

int
main(int argc, char **argv)
{
	static const enum kind kinds[] = {
		K_MUTEX, K_COND, K_MVAR, K_CHAN, K_RDV
	};
	struct sigaction sa;
	struct shmc_mutex *m, *m2;
	char mnt[] = "/tmp/shmconc-full.XXXXXX";
	void *where = NULL;
	size_t i;
	int half, code, v;

	if (argc > 1)
		return helper(argv[1]);
	test_timeout(60);
	plan(11 + 8 * 4 + 10 * 5 + 4 + 10 + 10 + 2);
	test_shm_setup();
	page_size = sysconf(_SC_PAGESIZE);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		sysbail("mmap");

	/*
	 * The application's own SIGBUS handler, installed before the first
	 * open, still gets the faults outside our mappings.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = app_bus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, NULL) < 0)
		sysbail("sigaction");
	m = open_mutex("app");
	v = touch_truncated(&where);
	is_int(1, app_hits, "our handler chains to the application's");
	ok(app_addr == where && v == 0, "...with the fault's address");
	is_int(0, (int)atomic_load(&shmc__lost), "...and loses no object");
	ok(shmc_mutex_lock(m) == 0 && shmc_mutex_unlock(m) == 0,
	    "...which still works");
	shmc_mutex_close(m);

	/* The same in fresh processes with other actions in place. */
	is_int(1000 + SIGBUS, run_helper("default"),
	    "SIG_DFL before the first open: a foreign fault still kills");
	is_int(1000 + SIGBUS, run_helper("ignore"),
	    "SIG_IGN before the first open: ...also");
	is_int(0, run_helper("plain"),
	    "a handler without SA_SIGINFO gets the foreign fault");
	is_int(1000 + SIGBUS, run_helper("sent"),
	    "a SIGBUS sent with kill still kills");
	is_int(0, run_helper("sent-ignored"),
	    "...and an ignored one is still ignored, guard in place");

	/* The table: GUARDS mappings, then unguarded; closing frees one. */
	is_int(1000 + SIGBUS, run_helper("full"),
	    "%d mappings are guarded, one more is not", GUARDS);

	/*
	 * Guard entries are given back, also by a second open of an object
	 * that shares the first one's mapping: after many more opens than
	 * entries, a new object is still guarded.
	 */
	for (i = 0; i < 2 * GUARDS; i++) {
		if (shmc_mutex_open("churn", SHMC_CREAT, NULL, &m) != 0 ||
		    shmc_mutex_open("churn", 0, NULL, &m2) != 0 ||
		    shmc_mutex_lock(m2) != 0 || shmc_mutex_unlock(m) != 0)
			bail("cannot open churn");
		shmc_mutex_close(m);
		shmc_mutex_close(m2);
	}
	m = open_mutex("churned");
	cut_file("churned", 0);
	is_int(ENODATA, shmc_mutex_lock(m),
	    "after %d opens and closes a new object is still guarded",
	    4 * GUARDS);
	shmc_mutex_close(m);

	/* A peer truncates an object between our calls. */
	for (half = 0; half <= 1; half++)
		for (i = 0; i < ARRAY_SIZE(kinds) - 1; i++)
			between(kinds[i], half);

	/* ...or while we sleep in one. */
	for (half = 0; half <= 1; half++)
		for (i = 0; i < ARRAY_SIZE(kinds); i++)
			blocked(kinds[i], half);

	/* A full shm file system. */
	if (geteuid() != 0)
		skip_block(10, "a tmpfs of our own needs root");
	else {
		if (mkdtemp(mnt) == NULL)
			sysbail("mkdtemp");
		memset((void *)sh->r, 0, sizeof(sh->r));
		code = test_reap(test_fork(child_full, mnt));
		rmdir(mnt);
		if (code >= 100 && code <= 102)
			skip_block(10, "cannot mount a tmpfs of our own: %s",
			    strerror(sh->r[15]));
		else {
			is_int(0, code, "full shm file system: test ran");
			is_int(0, sh->r[0], "...a mutex fits into 64 KiB");
			is_int(ENOSPC, sh->r[1], "...which a file then fills");
			is_int(ENOSPC, sh->r[2],
			    "...creating a mutex is ENOSPC");
			ok(!sh->r[3], "...and leaves no file behind");
			is_int(2, sh->r[4], "...nor anything else");
			is_int(0, sh->r[5], "...the existing mutex works");
			is_int(ENOSPC, sh->r[6],
			    "an MVar of 1 MiB in 64 KiB is ENOSPC");
			is_int(ENOSPC, sh->r[7],
			    "...a channel of 4 messages of 64 KiB too");
			ok(sh->r[8] == 1 && sh->r[9] == 0,
			    "...leaving nothing, and a small MVar fits");
		}
	}

	/* Out of file descriptors. */
	memset((void *)sh->r, 0, sizeof(sh->r));
	code = test_reap(test_fork(child_emfile, NULL));
	is_int(0, code, "no file descriptor left: test ran");
	is_int(EMFILE, sh->r[0], "...creating a mutex is EMFILE");
	is_int(EMFILE, sh->r[1], "...opening one too");
	is_int(EMFILE, sh->r[2], "...an anonymous MVar too");
	is_int(EMFILE, sh->r[3], "...a channel too");
	is_int(0, sh->r[4], "with one descriptor, the mutex opens");
	is_int(EMFILE, sh->r[5], "...but locking it (attaching) is EMFILE");
	is_int(0, sh->r[6], "with the limit back, it locks");
	ok(sh->r[7] && sh->r[8], "...no file and no descriptor was left");
	is_int(0, sh->r[9], "...and the mutex is created");

	/* Our faults never reached the application's handler. */
	is_int(1, app_hits, "the application's handler saw only its fault");
	is_int(0, (int)atomic_load(&shmc__lost),
	    "no lost object is left counted");
	return 0;
}
