/*
 * Tests for shmc_mvar (lib/mvar.c): GHC's MVar semantics between processes
 * and between threads, sizes and timeouts, FIFO service observed through
 * the participant table, participants killed at every step of every
 * operation (stop points), and EDEADLK for an orphaned anonymous MVar.
 *
 * Each scenario with peers runs twice, with the same peer functions
 * spawned as processes and as threads (shmc_task_spawn).  Plain shared
 * data lives in an anonymous MAP_SHARED page mapped before any spawn, so
 * both kinds of peer see it.  Participants killed at a chosen step are
 * plain fork()ed children, so that the test can wait for them to stop
 * (test_wait_stopped) and reap them itself (test_kill).
 *
 * Every call that could wait for ever is a timed call with a deadline of
 * a few seconds, so that a lost value or a wedged MVar fails a test
 * instead of hanging the program.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmconc.h"
#include "lib/mvar.h"
#include "lib/peer.h"
#include "tests/tap/basic.h"
#include "tests/tap/shmc.h"

/*
 * Two liveness ticks.  The short one bounds the time to notice a dead
 * participant, for the kill and EDEADLK tests.  Scenarios where nobody
 * dies use the long one: a waiter also wakes at every tick to look at the
 * MVar again, so with a short tick a lost wake-up would only be late;
 * with a long one the waiter sleeps until its deadline and the test fails.
 */
#define TICK_MS         20
#define LONG_TICK_MS    30000

/* How long a call that must succeed may take before it counts as lost. */
#define WAIT_MS         5000

/*
 * How long a hand-off to parked waiters may take.  A waiter whose wake-up
 * was lost still finds its value when its deadline comes (WAIT_MS), so
 * the hand-off must be well before it.
 */
#define PROMPT_MS       2500

/* Values of the producer/consumer and many-putter scenarios. */
#define PC_VALUES       100000
#define MP_THREADS      4
#define MP_VALUES       10000

/* Peers of the FIFO and read scenarios. */
#define NPEERS          5

/* Plain data shared by the test and its peers. */
struct shared {
	int err;                        /* the first error a peer met */
	int rc[NPEERS];                 /* what each peer's call returned */
	int got[NPEERS];                /* the int value each peer got */
	char str[NPEERS][16];           /* the string value each peer got */
	int go;                         /* a peer waiting for it may end */
};

static struct shared *sh;
static struct shmc_mvar *gmv;           /* the MVar the peers use */
static const char *gname;               /* ... or the name they open */

/* Remember the first error a peer met, for a diagnostic. */
static void
note(int r)
{
	int zero = 0;

	if (r != 0)
		__atomic_compare_exchange_n(&sh->err, &zero, r, 0,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static struct shmc_mvar *
open_mv(const char *name, int flags, unsigned int size, unsigned int tick)
{
	struct shmc_attr attr;
	struct shmc_mvar *mv;
	int r;

	memset(&attr, 0, sizeof(attr));
	attr.tick_ms = tick;
	attr.size = size;
	r = shmc_mvar_open(name, flags, &attr, &mv);
	if (r != 0)
		bail("cannot open MVar %s: %s", name ? name : "(anonymous)",
		    shmc_strerror(r));
	return mv;
}

static struct shmc_mvar *
open_full(const char *name, int flags, const char *value)
{
	struct shmc_attr attr;
	struct shmc_mvar *mv;
	int r;

	memset(&attr, 0, sizeof(attr));
	attr.tick_ms = TICK_MS;
	r = shmc_mvar_open_full(name, flags, &attr, value, strlen(value), &mv);
	if (r != 0)
		bail("cannot open MVar %s: %s", name ? name : "(anonymous)",
		    shmc_strerror(r));
	return mv;
}

/* Close an MVar and remove its name. */
static void
done_mv(struct shmc_mvar *mv, const char *name)
{
	shmc_mvar_close(mv);
	if (name != NULL && shmc_mvar_unlink(name) != 0)
		bail("cannot unlink %s", name);
}

/* Take a string value (at most 63 bytes) with a deadline of WAIT_MS. */
static int
take_str(struct shmc_mvar *mv, char *buf, size_t size)
{
	struct timespec dl = test_in_ms(WAIT_MS);
	size_t len = 0;
	int r;

	r = shmc_mvar_timedtake(mv, buf, size - 1, &len, &dl);
	buf[r == 0 || r == EOWNERDEAD ? len : 0] = '\0';
	return r;
}

static int
put_str(struct shmc_mvar *mv, const char *s)
{
	struct timespec dl = test_in_ms(WAIT_MS);

	return shmc_mvar_timedput(mv, s, strlen(s), &dl);
}

/* Take an int value with a deadline of WAIT_MS; -1 if it was no int. */
static int
take_int(struct shmc_mvar *mv, int *v)
{
	struct timespec dl = test_in_ms(WAIT_MS);
	size_t len = 0;
	int r;

	r = shmc_mvar_timedtake(mv, v, sizeof(*v), &len, &dl);
	if (r == 0 && len != sizeof(*v))
		*v = -1;
	return r;
}

static int
put_int(struct shmc_mvar *mv, int v)
{
	struct timespec dl = test_in_ms(WAIT_MS);

	return shmc_mvar_timedput(mv, &v, sizeof(v), &dl);
}

static int
empty(struct shmc_mvar *mv)
{
	int e = -1;

	shmc_mvar_is_empty(mv, &e);
	return e;
}

/*
 * The participant table.  A participant is queued as kind (SHMC__Q_*) and
 * asleep waiting for what (SHMC__WAIT_*) when its slot says so under the
 * ID it holds now and it is alive: a killed waiter leaves its entry.
 */
static int
queued(struct shmc_mvar *mv, uint32_t kind, uint32_t what)
{
	struct shmc__seg *seg = mv->seg;
	struct shmc__peer *p;
	uint32_t s, id;
	int n = 0;

	for (s = 0; s < seg->hdr.npeers; s++) {
		p = &seg->peers[s];
		if (atomic_load(&p->prim[SHMC__MV_KIND]) != kind ||
		    atomic_load(&p->wait_what) != what)
			continue;
		id = atomic_load(&p->prim[SHMC__MV_ID]);
		if (SHMC__ID_SLOT(id) == s && shmc__peer_alive(seg, id) > 0)
			n++;
	}
	return n;
}

/*
 * Wait until n live participants are queued as kind.  Returns 1, or 0
 * after 10 s.
 */
static int
wait_queued(struct shmc_mvar *mv, uint32_t kind, uint32_t what, int n)
{
	int i;

	for (i = 0; i < 10000; i++) {
		if (queued(mv, kind, what) >= n)
			return 1;
		usleep(1000);
	}
	diag("%d waiters of kind %u never queued", n, kind);
	return 0;
}

/* Slots that hold any queue entry or reader grant. */
static int
entries(struct shmc_mvar *mv)
{
	struct shmc__seg *seg = mv->seg;
	uint32_t s;
	int n = 0;

	for (s = 0; s < seg->hdr.npeers; s++)
		if (atomic_load(&seg->peers[s].prim[SHMC__MV_KIND]) !=
		    SHMC__Q_NONE)
			n++;
	return n;
}

/*
 * Callbacks of take_with and modify.
 */

/* take_with: copy the value into the buffer arg (16 bytes), succeed. */
static int
tw_copy(void *arg, const void *value, size_t len)
{
	char *buf = arg;

	if (len >= 16)
		return EMSGSIZE;
	memcpy(buf, value, len);
	buf[len] = '\0';
	return 0;
}

/* take_with: look at the value, then refuse it. */
static int
tw_refuse(void *arg, const void *value, size_t len)
{
	(void)tw_copy(arg, value, len);
	return ENOSPC;
}

/* modify: append "!" to the value. */
static int
mod_append(void *arg, const void *old, size_t oldlen, void *new_value,
    size_t size, size_t *newlen)
{
	(void)arg;
	if (oldlen + 1 > size)
		return EMSGSIZE;
	memcpy(new_value, old, oldlen);
	((char *)new_value)[oldlen] = '!';
	*newlen = oldlen + 1;
	return 0;
}

/* modify: the new value is "new". */
static int
mod_new(void *arg, const void *old, size_t oldlen, void *new_value,
    size_t size, size_t *newlen)
{
	(void)arg;
	(void)old;
	(void)oldlen;
	(void)size;
	memcpy(new_value, "new", 3);
	*newlen = 3;
	return 0;
}

/* modify: fail with EIO after scribbling on the new value. */
static int
mod_fail(void *arg, const void *old, size_t oldlen, void *new_value,
    size_t size, size_t *newlen)
{
	(void)arg;
	(void)old;
	(void)oldlen;
	memset(new_value, 'x', size < 8 ? size : 8);
	*newlen = 8;
	return EIO;
}

/* modify: claim a new value longer than the MVar holds. */
static int
mod_too_big(void *arg, const void *old, size_t oldlen, void *new_value,
    size_t size, size_t *newlen)
{
	(void)arg;
	(void)old;
	(void)oldlen;
	(void)new_value;
	*newlen = size + 1;
	return 0;
}

/* modify: the new value is the empty one. */
static int
mod_zero(void *arg, const void *old, size_t oldlen, void *new_value,
    size_t size, size_t *newlen)
{
	(void)arg;
	(void)old;
	(void)oldlen;
	(void)new_value;
	(void)size;
	*newlen = 0;
	return 0;
}

/*
 * Peers.  Each returns 0 on success and a small code saying which step
 * failed otherwise; the error code itself goes to sh->err.
 */

/* Open the named MVar gname itself, put "hello", close it. */
static int
named_putter(void *arg)
{
	struct shmc_attr attr;
	struct shmc_mvar *mv;
	int r;

	(void)arg;
	memset(&attr, 0, sizeof(attr));
	attr.tick_ms = TICK_MS;
	r = shmc_mvar_open(gname, 0, &attr, &mv);
	note(r);
	if (r != 0)
		return 1;
	r = put_str(mv, "hello");
	note(r);
	shmc_mvar_close(mv);
	return r != 0 ? 2 : 0;
}

/* Put "late" after 300 ms. */
static int
late_putter(void *arg)
{
	int r;

	(void)arg;
	usleep(300000);
	r = put_str(gmv, "late");
	note(r);
	return r != 0;
}

/* Open gname with the long tick and put "c". */
static int
c_putter(void *arg)
{
	struct shmc_mvar *mv;
	int r;

	(void)arg;
	mv = open_mv(gname, 0, 0, LONG_TICK_MS);
	r = put_str(mv, "c");
	note(r);
	shmc_mvar_close(mv);
	return r != 0;
}

/* Put 0 .. PC_VALUES - 1 in order. */
static int
producer(void *arg)
{
	int i, r;

	(void)arg;
	for (i = 0; i < PC_VALUES; i++) {
		r = put_int(gmv, i);
		if (r != 0) {
			note(r);
			return 1;
		}
	}
	return 0;
}

/* Put (thread << 20) | seq for seq 0 .. MP_VALUES - 1. */
static int
multi_putter(void *arg)
{
	int t = (int)(intptr_t)arg, i, r;

	for (i = 0; i < MP_VALUES; i++) {
		r = put_int(gmv, (t << 20) | i);
		if (r != 0) {
			note(r);
			return 1;
		}
	}
	return 0;
}

/* Peer i takes an int into got[i]. */
static int
int_taker(void *arg)
{
	int i = (int)(intptr_t)arg;

	sh->rc[i] = take_int(gmv, &sh->got[i]);
	note(sh->rc[i]);
	return sh->rc[i] != 0;
}

/* Peer i puts the int i + 1. */
static int
int_putter(void *arg)
{
	int i = (int)(intptr_t)arg;

	sh->rc[i] = put_int(gmv, i + 1);
	note(sh->rc[i]);
	return sh->rc[i] != 0;
}

/* Peer i takes a string into str[i]. */
static int
str_taker(void *arg)
{
	int i = (int)(intptr_t)arg;

	sh->rc[i] = take_str(gmv, sh->str[i], sizeof(sh->str[i]));
	note(sh->rc[i]);
	return sh->rc[i] != 0;
}

/*
 * Peer i takes into a 1-byte buffer, then stays alive until told to go,
 * so that what was promised to it can only pass on by its giving it up.
 */
static int
small_taker(void *arg)
{
	int i = (int)(intptr_t)arg, n;

	sh->rc[i] = take_str(gmv, sh->str[i], 2);
	for (n = 0; n < 10000 && !__atomic_load_n(&sh->go, __ATOMIC_SEQ_CST);
	    n++)
		usleep(1000);
	return 0;
}

/* Peer i reads a string into str[i]. */
static int
str_reader(void *arg)
{
	struct timespec dl = test_in_ms(WAIT_MS);
	int i = (int)(intptr_t)arg;
	size_t len = 0;

	sh->rc[i] = shmc_mvar_timedread(gmv, sh->str[i],
	    sizeof(sh->str[i]) - 1, &len, &dl);
	sh->str[i][sh->rc[i] == 0 ? len : 0] = '\0';
	note(sh->rc[i]);
	return sh->rc[i] != 0;
}

/* A thread that would put a result, and ends first. */
static int
deserter(void *arg)
{
	(void)arg;
	usleep(300000);
	return 0;
}

/* A process that would put a result, and is SIGKILLed first. */
static int
killed_child(void *arg)
{
	(void)arg;
	usleep(300000);
	raise(SIGKILL);
	return 1;
}

/*
 * Victims: fork()ed children that run one operation on mv and stop in it,
 * at a stop point or (fd >= 0) inside the caller's function, where they
 * write a byte to fd and wait to be killed.
 */
enum { V_TAKE, V_PUT, V_SWAP, V_TAKE_WITH, V_MODIFY, V_READ };

static int victim_fd = -1;

static int
tw_stop(void *arg, const void *value, size_t len)
{
	ssize_t n;

	(void)arg;
	(void)value;
	(void)len;
	n = write(victim_fd, "S", 1);
	(void)n;
	for (;;)
		pause();
	return 0;
}

static int
mod_stop(void *arg, const void *old, size_t oldlen, void *new_value,
    size_t size, size_t *newlen)
{
	(void)mod_new(arg, old, oldlen, new_value, size, newlen);
	return tw_stop(arg, old, oldlen);
}

static pid_t
victim(struct shmc_mvar *mv, int op, const char *point, int fd)
{
	struct timespec dl;
	char buf[64];
	size_t len;
	pid_t pid;
	int r = -1;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		sysbail("cannot fork");
	if (pid > 0)
		return pid;
	if (point != NULL && setenv("SHMCONC_STOP", point, 1) < 0)
		_exit(100);
	victim_fd = fd;
	dl = test_in_ms(2 * WAIT_MS);
	switch (op) {
	case V_TAKE:
		r = shmc_mvar_timedtake(mv, buf, sizeof(buf), &len, &dl);
		break;
	case V_PUT:
		r = shmc_mvar_timedput(mv, "new", 3, &dl);
		break;
	case V_SWAP:
		r = shmc_mvar_timedswap(mv, "new", 3, buf, sizeof(buf), &len,
		    &dl);
		break;
	case V_TAKE_WITH:
		r = shmc_mvar_timedtake_with(mv, fd >= 0 ? tw_stop : tw_copy,
		    buf, &dl);
		break;
	case V_MODIFY:
		r = shmc_mvar_timedmodify(mv, fd >= 0 ? mod_stop : mod_new,
		    NULL, &dl);
		break;
	case V_READ:
		r = shmc_mvar_timedread(mv, buf, sizeof(buf), &len, &dl);
		break;
	}
	_exit(r == 0 ? 0 : r < 100 ? r : 99);
}

/*
 * 1. Basics: every operation once, on a named MVar, in one thread; names
 * of the wrong kind; open_full and the size limits of open.
 */
static void
test_basics(void)
{
	struct shmc_mvar *mv, *mv2;
	struct shmc_mutex *m;
	struct shmc_attr attr;
	struct shmc_task *t;
	char buf[64], seen[16];
	size_t len, size;
	unsigned int i;
	int e, r;

	mv = open_mv("basic", SHMC_CREAT | SHMC_EXCL, 0, TICK_MS);
	is_int(1, empty(mv), "a new MVar is empty");
	size = 0;
	is_int(0, shmc_mvar_size(mv, &size), "size");
	is_int(4096, (long)size, "...is 4096 by default");
	is_int(EAGAIN, shmc_mvar_try_take(mv, buf, sizeof(buf), &len),
	    "try_take on empty: EAGAIN");
	is_int(EAGAIN, shmc_mvar_try_read(mv, buf, sizeof(buf), &len),
	    "try_read on empty: EAGAIN");
	is_int(0, shmc_mvar_try_put(mv, "v1", 2), "try_put on empty");
	is_int(0, empty(mv), "...is full");
	is_int(EAGAIN, shmc_mvar_try_put(mv, "v2", 2),
	    "try_put on full: EAGAIN");
	len = 0;
	r = shmc_mvar_read(mv, buf, sizeof(buf), &len);
	is_int(0, r, "read");
	ok(len == 2 && memcmp(buf, "v1", 2) == 0, "...gets the value");
	is_int(0, empty(mv), "...and leaves it");
	len = 0;
	r = shmc_mvar_try_read(mv, buf, sizeof(buf), &len);
	ok(r == 0 && len == 2 && memcmp(buf, "v1", 2) == 0,
	    "try_read on full gets the value");
	len = 0;
	r = shmc_mvar_swap(mv, "swapped", 7, buf, sizeof(buf), &len);
	is_int(0, r, "swap");
	ok(len == 2 && memcmp(buf, "v1", 2) == 0, "...returns the old value");
	r = shmc_mvar_take(mv, buf, sizeof(buf), &len);
	ok(r == 0 && len == 7 && memcmp(buf, "swapped", 7) == 0,
	    "...and leaves the new one: take gets it");
	is_int(1, empty(mv), "take empties");
	is_int(EAGAIN, shmc_mvar_try_take(mv, buf, sizeof(buf), &len),
	    "...a second try_take is EAGAIN");

	if (put_str(mv, "tw") != 0)
		bail("cannot put");
	memset(seen, 0, sizeof(seen));
	is_int(0, shmc_mvar_take_with(mv, tw_copy, seen),
	    "take_with, function returns 0");
	is_string("tw", seen, "...the function saw the value");
	is_int(1, empty(mv), "...and the MVar is empty");
	if (put_str(mv, "keep") != 0)
		bail("cannot put");
	memset(seen, 0, sizeof(seen));
	is_int(ENOSPC, shmc_mvar_take_with(mv, tw_refuse, seen),
	    "take_with, function returns ENOSPC");
	is_string("keep", seen, "...the function saw the value");
	r = shmc_mvar_try_take(mv, buf, sizeof(buf) - 1, &len);
	buf[r == 0 ? len : 0] = '\0';
	ok(r == 0 && strcmp(buf, "keep") == 0, "...which stays in the MVar");

	if (put_str(mv, "m") != 0)
		bail("cannot put");
	is_int(0, shmc_mvar_modify(mv, mod_append, NULL), "modify");
	is_int(0, shmc_mvar_modify(mv, mod_append, NULL), "...again");
	r = shmc_mvar_read(mv, buf, sizeof(buf) - 1, &len);
	buf[r == 0 ? len : 0] = '\0';
	is_string("m!!", buf, "...replaces the value");
	is_int(EIO, shmc_mvar_modify(mv, mod_fail, NULL),
	    "modify whose function fails: its error");
	r = shmc_mvar_read(mv, buf, sizeof(buf) - 1, &len);
	buf[r == 0 ? len : 0] = '\0';
	is_string("m!!", buf, "...the old value stays");
	is_int(EMSGSIZE, shmc_mvar_modify(mv, mod_too_big, NULL),
	    "modify to more than the size: EMSGSIZE");
	r = shmc_mvar_take(mv, buf, sizeof(buf) - 1, &len);
	buf[r == 0 ? len : 0] = '\0';
	ok(r == 0 && strcmp(buf, "m!!") == 0, "...the old value stays");

	/* Zero-length values are values. */
	is_int(0, shmc_mvar_put(mv, NULL, 0), "put a zero-length value");
	is_int(0, empty(mv), "...the MVar is full");
	len = 99;
	r = shmc_mvar_take(mv, NULL, 0, &len);
	ok(r == 0 && len == 0, "...take it into no buffer");
	is_int(EINVAL, shmc_mvar_put(mv, NULL, 1), "put NULL of length 1");
	if (put_str(mv, "z") != 0)
		bail("cannot put");
	is_int(0, shmc_mvar_modify(mv, mod_zero, NULL),
	    "modify to a zero-length value");
	memset(seen, 'x', sizeof(seen));
	r = shmc_mvar_take_with(mv, tw_copy, seen);
	ok(r == 0 && seen[0] == '\0', "...take_with sees it");

	/* Other kinds, and open_full. */
	memset(&attr, 0, sizeof(attr));
	r = shmc_mutex_open("basic", 0, NULL, &m);
	is_int(EPROTOTYPE, r, "an MVar opened as a mutex");
	if (r == 0)
		shmc_mutex_close(m);
	if (shmc_mutex_open("basic-lock", SHMC_CREAT, NULL, &m) != 0)
		bail("cannot create a mutex");
	is_int(EPROTOTYPE, shmc_mvar_open("basic-lock", 0, NULL, &mv2),
	    "a mutex opened as an MVar");
	is_int(EPROTOTYPE, shmc_mvar_open("basic-lock", SHMC_CREAT, NULL,
	    &mv2), "...also with SHMC_CREAT");
	is_int(EPROTOTYPE, shmc_mvar_unlink("basic-lock"),
	    "...unlinked as an MVar");
	shmc_mutex_close(m);
	if (shmc_mutex_unlink("basic-lock") != 0)
		bail("cannot unlink the mutex");

	if (put_str(mv, "first") != 0)
		bail("cannot put");
	r = shmc_mvar_open_full("basic", SHMC_CREAT, NULL, "second", 6, &mv2);
	is_int(0, r, "open_full of an existing full MVar");
	if (r == 0) {
		r = shmc_mvar_take(mv2, buf, sizeof(buf) - 1, &len);
		buf[r == 0 ? len : 0] = '\0';
		is_string("first", buf, "...leaves its value");
		shmc_mvar_close(mv2);
	} else
		ok(0, "...leaves its value");
	r = shmc_mvar_open_full("basic", SHMC_CREAT, NULL, "third", 5, &mv2);
	is_int(0, r, "open_full of an existing empty MVar");
	is_int(1, r == 0 ? empty(mv2) : -1, "...leaves it empty");
	if (r == 0)
		shmc_mvar_close(mv2);
	is_int(EEXIST, shmc_mvar_open_full("basic", SHMC_CREAT | SHMC_EXCL,
	    NULL, "x", 1, &mv2), "...exclusively: EEXIST");

	attr.size = 8;
	is_int(EMSGSIZE, shmc_mvar_open_full("basic-big", SHMC_CREAT, &attr,
	    "123456789", 9, &mv2), "open_full with len > size: EMSGSIZE");
	is_int(ENOENT, shmc_mvar_open("basic-big", 0, NULL, &mv2),
	    "...creates nothing");
	attr.size = (1U << 30) + 1;
	is_int(EINVAL, shmc_mvar_open(NULL, 0, &attr, &mv2),
	    "attr.size above 1 GiB: EINVAL");
	attr.size = 1U << 30;
	attr.tick_ms = TICK_MS;
	mv2 = NULL;
	r = shmc_mvar_open(NULL, 0, &attr, &mv2);
	if (r == ENOMEM || r == ENOSPC || r == EFBIG)
		skip("no room for a 2 GiB anonymous MVar");
	else {
		size = 0;
		if (r == 0)
			shmc_mvar_size(mv2, &size);
		ok(r == 0 && size == 1U << 30, "attr.size of exactly 1 GiB");
	}
	if (r == 0)
		shmc_mvar_close(mv2);
	attr.size = 100;
	r = shmc_mvar_open_full(NULL, 0, &attr, "anon", 4, &mv2);
	is_int(0, r, "open_full anonymous with attr.size 100");
	if (r == 0) {
		size = 0;
		shmc_mvar_size(mv2, &size);
		is_int(100, (long)size, "...its size");
		r = shmc_mvar_try_take(mv2, buf, sizeof(buf) - 1, &len);
		buf[r == 0 ? len : 0] = '\0';
		is_string("anon", buf, "...its value");
		shmc_mvar_close(mv2);
	} else {
		ok(0, "...its size");
		ok(0, "...its value");
	}

	/* A named MVar opened by a peer itself. */
	gname = "basic";
	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		t = test_spawn(test_modes[i].flags, named_putter, NULL);
		r = take_str(mv, buf, sizeof(buf));
		ok(r == 0 && strcmp(buf, "hello") == 0,
		    "a %s opens the name itself and puts", test_modes[i].name);
		is_int(0, test_join(t), "...and exits 0");
	}

	shmc_mvar_close(mv);
	is_int(0, shmc_mvar_unlink("basic"), "unlink");
	is_int(ENOENT, shmc_mvar_open("basic", 0, NULL, &mv),
	    "...it no longer opens");
	is_int(ENOENT, shmc_mvar_unlink("basic"), "...unlink again: ENOENT");
	is_int(0, shmc_mvar_close(NULL), "close NULL");
	e = test_shm_count();
	is_int(0, e, "no object is left");
}

/*
 * 2. Sizes: a value larger than the MVar or than the caller's buffer is
 * EMSGSIZE and nothing changes.
 */
static void
test_sizes(void)
{
	struct shmc_mvar *mv;
	struct shmc_task *t[2];
	char buf[64];
	size_t len;
	unsigned int i;
	int parked, r;

	mv = open_mv("sizes", SHMC_CREAT | SHMC_EXCL, 8, TICK_MS);
	is_int(EMSGSIZE, shmc_mvar_put(mv, "123456789", 9),
	    "put of size + 1 bytes: EMSGSIZE");
	is_int(1, empty(mv), "...the MVar stays empty");
	is_int(EMSGSIZE, shmc_mvar_try_put(mv, "123456789", 9),
	    "...try_put too");
	is_int(0, shmc_mvar_put(mv, "12345678", 8), "put of size bytes");
	is_int(EMSGSIZE, shmc_mvar_take(mv, buf, 7, &len),
	    "take into a 7-byte buffer: EMSGSIZE");
	is_int(0, empty(mv), "...the value stays");
	is_int(EMSGSIZE, shmc_mvar_try_take(mv, buf, 7, &len),
	    "...try_take too");
	is_int(EMSGSIZE, shmc_mvar_read(mv, buf, 7, &len),
	    "read into a 7-byte buffer: EMSGSIZE");
	is_int(EMSGSIZE, shmc_mvar_swap(mv, "ab", 2, buf, 7, &len),
	    "swap with a 7-byte old buffer: EMSGSIZE");
	is_int(EMSGSIZE, shmc_mvar_swap(mv, "123456789", 9, buf, sizeof(buf),
	    &len), "swap in a value of size + 1: EMSGSIZE");
	is_int(EMSGSIZE, shmc_mvar_put(mv, "123456789", 9),
	    "put of size + 1 on full: EMSGSIZE, not a wait");
	len = 0;
	r = shmc_mvar_take(mv, buf, 8, &len);
	ok(r == 0 && len == 8 && memcmp(buf, "12345678", 8) == 0,
	    "take into an 8-byte buffer gets the value unchanged");
	is_int(EAGAIN, shmc_mvar_try_take(mv, buf, sizeof(buf), &len),
	    "...and empties the MVar");
	done_mv(mv, "sizes");

	/* A queued taker whose buffer is too small passes the value on. */
	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		memset(sh, 0, sizeof(*sh));
		gmv = open_mv(NULL, 0, 0, LONG_TICK_MS);
		t[0] = test_spawn(test_modes[i].flags, small_taker,
		    (void *)(intptr_t)0);
		parked = wait_queued(gmv, SHMC__Q_TAKE, SHMC__WAIT_TAKE, 1);
		t[1] = test_spawn(test_modes[i].flags, str_taker,
		    (void *)(intptr_t)1);
		parked = wait_queued(gmv, SHMC__Q_TAKE, SHMC__WAIT_TAKE, 2) &&
		    parked;
		ok(parked, "a %s taker with a 1-byte buffer, then another,"
		    " queued", test_modes[i].name);
		is_int(0, put_str(gmv, "abc"), "...put 3 bytes");
		r = test_join(t[1]);
		__atomic_store_n(&sh->go, 1, __ATOMIC_SEQ_CST);
		is_int(0, r + test_join(t[0]), "...both exit 0");
		is_int(EMSGSIZE, sh->rc[0], "...the first gets EMSGSIZE");
		is_string("abc", sh->str[1], "...the second gets the value");
		is_int(1, empty(gmv), "...and nothing is left");
		done_mv(gmv, NULL);
	}
}

/*
 * 3. Timed calls, on a named MVar (an anonymous one with no other live
 * participant would be EDEADLK): the deadline, bad deadlines, and no trace
 * left by a waiter that timed out.
 */
static void
test_timed(void)
{
	struct shmc_mvar *mv;
	struct shmc_task *t;
	struct timespec dl, now;
	char buf[64];
	size_t len;
	unsigned int i;
	uint32_t me;
	int r;

	mv = open_mv("timed", SHMC_CREAT | SHMC_EXCL, 0, TICK_MS);
	dl = test_in_ms(100);
	is_int(ETIMEDOUT, shmc_mvar_timedtake(mv, buf, sizeof(buf), &len,
	    &dl), "timedtake on empty, 100 ms: ETIMEDOUT");
	clock_gettime(CLOCK_MONOTONIC, &now);
	ok(test_not_before(&now, &dl), "...not before the deadline");
	ok(test_ms_between(&dl, &now) < WAIT_MS, "...nor long after it");
	if (shmc__peer_self(mv->seg, &me) != 0)
		bail("cannot find our participant");
	is_int(SHMC__Q_NONE, atomic_load(&mv->seg->peers[SHMC__ID_SLOT(me)].
	    prim[SHMC__MV_KIND]), "...it left no queue entry");
	is_int(SHMC__WAIT_NONE, atomic_load(&mv->seg->peers[SHMC__ID_SLOT(me)].
	    wait_what), "...and does not show as waiting");
	dl = test_in_ms(50);
	is_int(ETIMEDOUT, shmc_mvar_timedread(mv, buf, sizeof(buf), &len,
	    &dl), "timedread on empty: ETIMEDOUT");
	dl = test_in_ms(50);
	is_int(ETIMEDOUT, shmc_mvar_timedswap(mv, "x", 1, buf, sizeof(buf),
	    &len, &dl), "timedswap on empty: ETIMEDOUT");
	dl = test_in_ms(50);
	is_int(ETIMEDOUT, shmc_mvar_timedtake_with(mv, tw_copy, buf, &dl),
	    "timedtake_with on empty: ETIMEDOUT");
	dl = test_in_ms(50);
	is_int(ETIMEDOUT, shmc_mvar_timedmodify(mv, mod_append, NULL, &dl),
	    "timedmodify on empty: ETIMEDOUT");
	dl = test_in_ms(-1000);
	is_int(ETIMEDOUT, shmc_mvar_timedtake(mv, buf, sizeof(buf), &len,
	    &dl), "timedtake with a past deadline: ETIMEDOUT");
	is_int(1, empty(mv), "...still empty");
	is_int(0, entries(mv), "...and no queue entry anywhere");

	if (put_str(mv, "full") != 0)
		bail("cannot put");
	dl = test_in_ms(100);
	is_int(ETIMEDOUT, shmc_mvar_timedput(mv, "x", 1, &dl),
	    "timedput on full: ETIMEDOUT");
	clock_gettime(CLOCK_MONOTONIC, &now);
	ok(test_not_before(&now, &dl), "...not before the deadline");
	is_int(0, entries(mv), "...it left no queue entry");
	dl = test_in_ms(1000);
	dl.tv_nsec = 1000000000L;
	is_int(EINVAL, shmc_mvar_timedtake(mv, buf, sizeof(buf), &len, &dl),
	    "timedtake with tv_nsec 1e9: EINVAL");
	dl.tv_nsec = -1;
	is_int(EINVAL, shmc_mvar_timedread(mv, buf, sizeof(buf), &len, &dl),
	    "timedread with tv_nsec -1: EINVAL");
	is_int(EINVAL, shmc_mvar_timedput(mv, "x", 1, &dl),
	    "timedput with tv_nsec -1: EINVAL");
	dl = test_in_ms(-1000);
	len = 0;
	r = shmc_mvar_timedread(mv, buf, sizeof(buf), &len, &dl);
	ok(r == 0 && len == 4 && memcmp(buf, "full", 4) == 0,
	    "timedread with a past deadline on full gets the value");
	r = take_str(mv, buf, sizeof(buf));
	ok(r == 0 && strcmp(buf, "full") == 0, "...which the bad calls left");

	/* After the timeouts, a peer and we still pass values. */
	gmv = mv;
	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		t = test_spawn(test_modes[i].flags, late_putter, NULL);
		r = take_str(mv, buf, sizeof(buf));
		ok(r == 0 && strcmp(buf, "late") == 0,
		    "after timeouts, a %s puts and we take",
		    test_modes[i].name);
		is_int(0, test_join(t), "...it exits 0");
	}
	is_int(0, entries(mv), "...no queue entry is left");
	done_mv(mv, "timed");
}

/* 4. Producer/consumer: PC_VALUES ints, each once, in order. */
static void
test_producer_consumer(void)
{
	struct shmc_task *t;
	unsigned int i;
	size_t len;
	int n, r, v;

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		memset(sh, 0, sizeof(*sh));
		gmv = open_mv(NULL, 0, 0, LONG_TICK_MS);
		t = test_spawn(test_modes[i].flags, producer, NULL);
		r = 0;
		for (n = 0; n < PC_VALUES; n++) {
			r = take_int(gmv, &v);
			if (r != 0 || v != n)
				break;
		}
		is_int(PC_VALUES, n, "%d values from a %s, each once, in order",
		    PC_VALUES, test_modes[i].name);
		if (n < PC_VALUES)
			diag("value %d: got %d, %s", n, v, shmc_strerror(r));
		is_int(0, test_join(t), "...the producer exits 0");
		is_int(EAGAIN, shmc_mvar_try_take(gmv, &v, sizeof(v), &len),
		    "...nothing is left");
		if (sh->err != 0)
			diag("the producer met: %s", shmc_strerror(sh->err));
		done_mv(gmv, NULL);
	}
}

/*
 * 5. read: every blocked reader gets the next value put, and a taker
 * queued after them gets it too.
 */
static void
test_read(void)
{
	struct shmc_task *t[NPEERS];
	char buf[64];
	size_t len;
	unsigned int i;
	struct timespec start, end;
	int j, good, parked, r;

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		memset(sh, 0, sizeof(*sh));
		gmv = open_mv(NULL, 0, 0, LONG_TICK_MS);
		for (j = 0; j < 3; j++)
			t[j] = test_spawn(test_modes[i].flags, str_reader,
			    (void *)(intptr_t)j);
		parked = wait_queued(gmv, SHMC__Q_READ, SHMC__WAIT_READ, 3);
		t[3] = test_spawn(test_modes[i].flags, str_taker,
		    (void *)(intptr_t)3);
		parked = wait_queued(gmv, SHMC__Q_TAKE, SHMC__WAIT_TAKE, 1) &&
		    parked && queued(gmv, SHMC__Q_READ, SHMC__WAIT_READ) == 3;
		ok(parked, "3 %s readers, then a taker, queued on empty",
		    test_modes[i].name);
		clock_gettime(CLOCK_MONOTONIC, &start);
		r = put_str(gmv, "v1");
		is_int(0, r, "...one put");
		good = 0;
		for (j = 0; j < 4; j++)
			if (test_join(t[j]) == 0 &&
			    strcmp(sh->str[j], "v1") == 0)
				good++;
		clock_gettime(CLOCK_MONOTONIC, &end);
		is_int(4, good, "...each reader and the taker get it");
		ok(test_ms_between(&start, &end) < PROMPT_MS,
		    "...promptly (%ld ms)", test_ms_between(&start, &end));
		is_int(1, empty(gmv), "...the MVar ends empty");
		is_int(0, entries(gmv), "...with no queue entry or grant left");

		if (put_str(gmv, "v2") != 0)
			bail("cannot put");
		t[4] = test_spawn(test_modes[i].flags, str_reader,
		    (void *)(intptr_t)4);
		is_int(0, test_join(t[4]), "a %s reader on full",
		    test_modes[i].name);
		is_string("v2", sh->str[4], "...gets the value");
		is_int(0, empty(gmv), "...without emptying the MVar");
		r = shmc_mvar_try_take(gmv, buf, sizeof(buf), &len);
		ok(r == 0 && len == 2 && memcmp(buf, "v2", 2) == 0,
		    "...which still holds it");
		done_mv(gmv, NULL);
	}
}

/*
 * 6. FIFO: takers parked in a known order (each seen queued in the
 * participant table before the next starts) get the puts in that order;
 * likewise putters parked on a full MVar.
 */
static void
test_fifo(void)
{
	struct shmc_task *t[NPEERS];
	struct timespec start, end;
	unsigned int i;
	int j, good, inorder, parked, r, v;

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		memset(sh, 0, sizeof(*sh));
		gmv = open_mv(NULL, 0, 0, LONG_TICK_MS);
		parked = 0;
		for (j = 0; j < NPEERS; j++) {
			t[j] = test_spawn(test_modes[i].flags, int_taker,
			    (void *)(intptr_t)j);
			parked += wait_queued(gmv, SHMC__Q_TAKE,
			    SHMC__WAIT_TAKE, j + 1);
		}
		is_int(NPEERS, parked, "%d %s takers queued one by one",
		    NPEERS, test_modes[i].name);
		clock_gettime(CLOCK_MONOTONIC, &start);
		r = 0;
		for (j = 0; j < NPEERS && r == 0; j++)
			r = put_int(gmv, j + 1);
		is_int(0, r, "...%d puts", NPEERS);
		good = 0;
		for (j = 0; j < NPEERS; j++)
			if (test_join(t[j]) == 0)
				good++;
		clock_gettime(CLOCK_MONOTONIC, &end);
		is_int(NPEERS, good, "...each takes a value");
		ok(test_ms_between(&start, &end) < PROMPT_MS,
		    "...promptly (%ld ms)", test_ms_between(&start, &end));
		inorder = 0;
		for (j = 0; j < NPEERS; j++)
			if (sh->got[j] == j + 1)
				inorder++;
			else
				diag("taker %d got %d", j + 1, sh->got[j]);
		is_int(NPEERS, inorder, "...in the order they parked");
		is_int(1, empty(gmv), "...nothing is left");
		done_mv(gmv, NULL);

		memset(sh, 0, sizeof(*sh));
		gmv = open_mv(NULL, 0, 0, LONG_TICK_MS);
		if (put_int(gmv, 0) != 0)
			bail("cannot put");
		parked = 0;
		for (j = 0; j < NPEERS; j++) {
			t[j] = test_spawn(test_modes[i].flags, int_putter,
			    (void *)(intptr_t)j);
			parked += wait_queued(gmv, SHMC__Q_PUT,
			    SHMC__WAIT_PUT, j + 1);
		}
		is_int(NPEERS, parked, "%d %s putters queued one by one on"
		    " full", NPEERS, test_modes[i].name);
		clock_gettime(CLOCK_MONOTONIC, &start);
		inorder = 0;
		for (j = 0; j <= NPEERS; j++) {
			v = -1;
			r = take_int(gmv, &v);
			if (r == 0 && v == j)
				inorder++;
			else
				diag("take %d: %d, %s", j, v, shmc_strerror(r));
		}
		is_int(NPEERS + 1, inorder,
		    "...takes get the old value, then theirs in order");
		good = 0;
		for (j = 0; j < NPEERS; j++)
			if (test_join(t[j]) == 0)
				good++;
		clock_gettime(CLOCK_MONOTONIC, &end);
		is_int(NPEERS, good, "...each putter exits 0");
		ok(test_ms_between(&start, &end) < PROMPT_MS,
		    "...promptly (%ld ms)", test_ms_between(&start, &end));
		is_int(1, empty(gmv), "...nothing is left");
		done_mv(gmv, NULL);
	}
}

/*
 * 7. Kill tests: a participant stopped at each step of each operation
 * and SIGKILLed there.  Exactly one value remains, the right one, and the
 * next call completes.
 */
static const struct {
	const char *who;
	int op;
	const char *point;      /* NULL: stopped inside its function */
	const char *before;     /* the value it starts from, NULL: empty */
	const char *after;      /* what the next take gets, NULL: empty */
	int rc;                 /* ...and with what */
} kills[] = {
	{ "taker", V_TAKE, "mvar-take-copied", "old", "old", 0 },
	{ "putter", V_PUT, "mvar-put-copied", NULL, NULL, 0 },
	{ "swapper", V_SWAP, "mvar-swap-copied", "old", "old", 0 },
	{ "take_with holder", V_TAKE_WITH, "mvar-hold", "old", "old",
	    EOWNERDEAD },
	{ "take_with holder", V_TAKE_WITH, NULL, "old", "old", EOWNERDEAD },
	{ "modifier", V_MODIFY, "mvar-hold", "old", "old", EOWNERDEAD },
	{ "modifier", V_MODIFY, NULL, "old", "old", EOWNERDEAD },
	{ "modifier", V_MODIFY, "mvar-modify-computed", "old", "old",
	    EOWNERDEAD },
	{ "modifier", V_MODIFY, "mvar-modify-copied", "old", "old",
	    EOWNERDEAD },
};

static void
test_kill_points(void)
{
	struct shmc_mvar *mv;
	struct timespec dl;
	const char *where;
	char buf[64];
	size_t len;
	unsigned int i;
	int p[2], stopped, r;
	pid_t pid;
	char c;

	for (i = 0; i < ARRAY_SIZE(kills); i++) {
		where = kills[i].point ? kills[i].point : "its function";
		if (kills[i].before != NULL)
			mv = open_full("kill", SHMC_CREAT | SHMC_EXCL,
			    kills[i].before);
		else
			mv = open_mv("kill", SHMC_CREAT | SHMC_EXCL, 0,
			    TICK_MS);
		if (kills[i].point != NULL) {
			pid = victim(mv, kills[i].op, kills[i].point, -1);
			stopped = test_wait_stopped(pid);
		} else {
			if (pipe(p) < 0)
				sysbail("cannot create a pipe");
			pid = victim(mv, kills[i].op, NULL, p[1]);
			close(p[1]);
			stopped = read(p[0], &c, 1) == 1 && c == 'S';
			close(p[0]);
		}
		ok(stopped, "%s stopped %s %s", kills[i].who,
		    kills[i].point ? "at" : "inside", where);
		is_int(EAGAIN, shmc_mvar_try_take(mv, buf, sizeof(buf), &len),
		    "...while it is stopped, try_take is EAGAIN");
		test_kill(pid);
		if (kills[i].after != NULL) {
			r = take_str(mv, buf, sizeof(buf));
			is_int(kills[i].rc, r, "...killed: the next take"
			    " returns %s", kills[i].rc ? "EOWNERDEAD" : "0");
			is_string(kills[i].after, buf, "...with \"%s\"",
			    kills[i].after);
		} else {
			is_int(EAGAIN, shmc_mvar_try_take(mv, buf, sizeof(buf),
			    &len), "...killed: the MVar is still empty");
			r = put_str(mv, "next");
			is_int(0, r, "...the next put completes");
			r = take_str(mv, buf, sizeof(buf));
			is_string("next", buf, "...and its value is taken");
		}
		is_int(EAGAIN, shmc_mvar_try_take(mv, buf, sizeof(buf), &len),
		    "...then it is empty: no duplicate");
		done_mv(mv, "kill");
	}

	/*
	 * A restored value stays marked until someone gets it: through
	 * readers and failed callbacks, up to a swap; the swap's new value
	 * is not marked.
	 */
	mv = open_full("kill", SHMC_CREAT | SHMC_EXCL, "old");
	pid = victim(mv, V_MODIFY, "mvar-hold", -1);
	if (!test_wait_stopped(pid))
		bail("the modifier did not stop");
	test_kill(pid);
	len = 0;
	r = shmc_mvar_try_read(mv, buf, sizeof(buf), &len);
	ok((r == 0 || r == EOWNERDEAD) && len == 3 &&
	    memcmp(buf, "old", 3) == 0, "modifier killed: read gets the"
	    " restored value");
	dl = test_in_ms(WAIT_MS);
	is_int(ENOSPC, shmc_mvar_timedtake_with(mv, tw_refuse, buf, &dl),
	    "...take_with whose function fails: its error");
	dl = test_in_ms(WAIT_MS);
	is_int(EIO, shmc_mvar_timedmodify(mv, mod_fail, NULL, &dl),
	    "...modify whose function fails: its error");
	len = 0;
	dl = test_in_ms(WAIT_MS);
	r = shmc_mvar_timedswap(mv, "new", 3, buf, sizeof(buf), &len, &dl);
	is_int(EOWNERDEAD, r, "...then swap still gets EOWNERDEAD");
	ok(len == 3 && memcmp(buf, "old", 3) == 0, "...with the old value");
	r = take_str(mv, buf, sizeof(buf));
	is_int(0, r, "...the value swapped in is not marked");
	is_string("new", buf, "...take gets it");
	is_int(EAGAIN, shmc_mvar_try_take(mv, buf, sizeof(buf), &len),
	    "...and nothing is left");
	done_mv(mv, "kill");
}

/* Fork a victim that parks in op on mv and wait until it is queued. */
static pid_t
parked_victim(struct shmc_mvar *mv, int op, uint32_t kind, uint32_t what)
{
	pid_t pid;

	pid = victim(mv, op, NULL, -1);
	if (!wait_queued(mv, kind, what, 1))
		bail("the victim did not queue");
	return pid;
}

/* Stop a parked victim with SIGSTOP. */
static void
stop(pid_t pid)
{
	kill(pid, SIGSTOP);
	if (!test_wait_stopped(pid))
		bail("the victim did not stop");
}

/* Kill tests of queued waiters, and of a value handed to a dead one. */
static void
test_kill_queued(void)
{
	struct shmc_mvar *mv;
	struct shmc_task *t, *t2;
	char buf[64];
	size_t len;
	pid_t pid;
	int i, r;

	/* A queued taker killed: a later live taker gets the put. */
	memset(sh, 0, sizeof(*sh));
	mv = open_mv("queued", SHMC_CREAT | SHMC_EXCL, 0, TICK_MS);
	gmv = mv;
	pid = parked_victim(mv, V_TAKE, SHMC__Q_TAKE, SHMC__WAIT_TAKE);
	test_kill(pid);
	t = test_spawn(SHMC_PROCESS, str_taker, (void *)(intptr_t)0);
	ok(wait_queued(mv, SHMC__Q_TAKE, SHMC__WAIT_TAKE, 1),
	    "queued taker killed, a live one queues after it");
	is_int(0, put_str(mv, "x"), "...put");
	is_int(0, test_join(t), "...the live taker takes");
	is_string("x", sh->str[0], "...the value put");
	is_int(EAGAIN, shmc_mvar_try_take(mv, buf, sizeof(buf), &len),
	    "...and nothing is left");

	/*
	 * A queued taker stopped, the value handed to it, then killed: the
	 * value is not lost with it.
	 */
	pid = parked_victim(mv, V_TAKE, SHMC__Q_TAKE, SHMC__WAIT_TAKE);
	stop(pid);
	is_int(0, put_str(mv, "y"), "put to a stopped queued taker");
	ok(atomic_load(&mv->obj->resv) != 0 &&
	    atomic_load(&mv->obj->resv_kind) == SHMC__RESV_TAKE,
	    "...the value is handed to it");
	is_int(EAGAIN, shmc_mvar_try_take(mv, buf, sizeof(buf), &len),
	    "...a newcomer's try_take finds it promised");
	test_kill(pid);
	r = take_str(mv, buf, sizeof(buf));
	is_int(0, r, "...it is killed: the next take completes");
	is_string("y", buf, "...with the value");
	is_int(EAGAIN, shmc_mvar_try_take(mv, buf, sizeof(buf), &len),
	    "...and nothing is left");

	/* A queued putter killed: its value never appears. */
	if (put_str(mv, "old") != 0)
		bail("cannot put");
	pid = parked_victim(mv, V_PUT, SHMC__Q_PUT, SHMC__WAIT_PUT);
	test_kill(pid);
	r = take_str(mv, buf, sizeof(buf));
	ok(r == 0 && strcmp(buf, "old") == 0,
	    "queued putter killed: take gets the old value");
	is_int(EAGAIN, shmc_mvar_try_take(mv, buf, sizeof(buf), &len),
	    "...and the putter's never appears");

	/* A queued putter handed the empty box, then killed. */
	if (put_str(mv, "old") != 0)
		bail("cannot put");
	pid = parked_victim(mv, V_PUT, SHMC__Q_PUT, SHMC__WAIT_PUT);
	stop(pid);
	r = take_str(mv, buf, sizeof(buf));
	ok(r == 0 && strcmp(buf, "old") == 0, "take with a stopped queued"
	    " putter");
	ok(atomic_load(&mv->obj->resv) != 0 &&
	    atomic_load(&mv->obj->resv_kind) == SHMC__RESV_PUT,
	    "...the empty MVar is handed to it");
	test_kill(pid);
	is_int(0, put_str(mv, "next"), "...it is killed: the next put"
	    " completes");
	r = take_str(mv, buf, sizeof(buf));
	ok(r == 0 && strcmp(buf, "next") == 0, "...and is taken");
	is_int(EAGAIN, shmc_mvar_try_take(mv, buf, sizeof(buf), &len),
	    "...and nothing is left");

	/*
	 * A reader granted a value and stopped before it copied it gets that
	 * value when it continues, though two more were put meanwhile: the
	 * third put, which would overwrite it, waits for it.
	 */
	memset(sh, 0, sizeof(*sh));
	gname = "queued";
	t = test_spawn(SHMC_PROCESS, str_reader, (void *)(intptr_t)0);
	if (!wait_queued(mv, SHMC__Q_READ, SHMC__WAIT_READ, 1) ||
	    shmc_task_pid(t, &pid) != 0)
		bail("the reader did not queue");
	stop(pid);
	r = put_str(mv, "a");
	if (r == 0)
		r = take_str(mv, buf, sizeof(buf));
	if (r == 0)
		r = put_str(mv, "b");
	if (r == 0)
		r = take_str(mv, buf, sizeof(buf));
	is_int(0, r, "two values pass a stopped granted reader");
	t2 = test_spawn(SHMC_PROCESS, c_putter, NULL);
	for (i = 0; i < 10000 && empty(mv) &&
	    queued(mv, SHMC__Q_PUT, SHMC__WAIT_PUT) == 0; i++)
		usleep(1000);
	kill(pid, SIGCONT);
	is_int(0, test_join(t),
	    "...a third put starts and the reader continues");
	is_string("a", sh->str[0], "...it gets the value it was granted");
	is_int(0, test_join(t2), "...the third put completes");
	r = take_str(mv, buf, sizeof(buf));
	ok(r == 0 && strcmp(buf, "c") == 0, "...and is taken");

	/*
	 * A reader granted a value and killed before it copied it: its pin
	 * on the buffer goes.  The third put writes the pinned buffer.
	 */
	pid = parked_victim(mv, V_READ, SHMC__Q_READ, SHMC__WAIT_READ);
	stop(pid);
	r = put_str(mv, "a");
	if (r == 0)
		r = take_str(mv, buf, sizeof(buf));
	if (r == 0)
		r = put_str(mv, "b");
	if (r == 0)
		r = take_str(mv, buf, sizeof(buf));
	is_int(0, r, "two values pass another stopped granted reader");
	test_kill(pid);
	is_int(0, put_str(mv, "c"), "...it is killed: a put over its buffer"
	    " completes");
	r = take_str(mv, buf, sizeof(buf));
	ok(r == 0 && strcmp(buf, "c") == 0, "...and is taken");
	done_mv(mv, "queued");
}

/*
 * 8. EDEADLK: a wait on an anonymous MVar that no other live participant
 * can complete, and no false EDEADLK while one can.
 */
static void
test_deadlock(void)
{
	struct shmc_mvar *mv;
	struct shmc_task *t;
	struct timespec dl, start, end;
	char buf[64];
	size_t len;
	unsigned int i;
	pid_t pid;
	int j, r;

	/* The example: the child that would put is killed. */
	mv = open_mv(NULL, 0, 0, TICK_MS);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		sysbail("cannot fork");
	if (pid == 0)
		for (;;)
			pause();
	test_kill(pid);
	dl = test_in_ms(WAIT_MS);
	is_int(EDEADLK, shmc_mvar_timedtake(mv, buf, sizeof(buf), &len, &dl),
	    "anonymous MVar, the only other participant killed: EDEADLK");
	dl = test_in_ms(WAIT_MS);
	is_int(EDEADLK, shmc_mvar_timedread(mv, buf, sizeof(buf), &len, &dl),
	    "...for read too");
	if (put_str(mv, "v") != 0)
		bail("cannot put");
	dl = test_in_ms(WAIT_MS);
	is_int(EDEADLK, shmc_mvar_timedput(mv, "w", 1, &dl),
	    "...for put on full too");
	is_int(0, entries(mv), "...leaving no queue entry");
	shmc_mvar_close(mv);

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		/* The peer dies (or ends) while we wait. */
		mv = open_mv(NULL, 0, 0, TICK_MS);
		gmv = mv;
		t = test_spawn(test_modes[i].flags,
		    test_modes[i].flags == SHMC_PROCESS ? killed_child :
		    deserter, NULL);
		clock_gettime(CLOCK_MONOTONIC, &start);
		dl = test_in_ms(WAIT_MS);
		r = shmc_mvar_timedtake(mv, buf, sizeof(buf), &len, &dl);
		clock_gettime(CLOCK_MONOTONIC, &end);
		is_int(EDEADLK, r, "a %s %s while we take: EDEADLK",
		    test_modes[i].name, test_modes[i].flags == SHMC_PROCESS ?
		    "is killed" : "ends");
		ok(test_ms_between(&start, &end) >= 250,
		    "...not while it lived (%ld ms)",
		    test_ms_between(&start, &end));
		is_int(test_modes[i].flags == SHMC_PROCESS ? 128 + SIGKILL : 0,
		    test_join(t), "...it is gone");

		/* A live peer that puts late: no false EDEADLK. */
		memset(sh, 0, sizeof(*sh));
		t = test_spawn(test_modes[i].flags, late_putter, NULL);
		r = take_str(mv, buf, sizeof(buf));
		is_int(0, r, "a %s puts after 300 ms: take waits for it",
		    test_modes[i].name);
		is_string("late", buf, "...and gets the value");
		is_int(0, test_join(t), "...it exits 0");
		shmc_mvar_close(mv);
	}

	/*
	 * A child waits before its parent, which holds the handle and will
	 * put, has used the MVar: no EDEADLK, the parent is alive.
	 */
	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		memset(sh, 0, sizeof(*sh));
		mv = open_mv(NULL, 0, 0, TICK_MS);
		gmv = mv;
		t = test_spawn(test_modes[i].flags, str_taker,
		    (void *)(intptr_t)0);
		usleep(300000);
		r = put_str(mv, "p");
		j = test_join(t);
		ok(r == 0 && j == 0 && strcmp(sh->str[0], "p") == 0,
		    "a %s waits before the parent first uses the MVar: it"
		    " gets the parent's put", test_modes[i].name);
		if (sh->rc[0] != 0)
			diag("the taker got: %s", shmc_strerror(sh->rc[0]));
		shmc_mvar_close(mv);
	}

	/* A named MVar can always be opened by someone new. */
	mv = open_mv("deadlock", SHMC_CREAT | SHMC_EXCL, 0, TICK_MS);
	dl = test_in_ms(300);
	is_int(ETIMEDOUT, shmc_mvar_timedtake(mv, buf, sizeof(buf), &len, &dl),
	    "a named MVar, no one else: ETIMEDOUT, not EDEADLK");
	done_mv(mv, "deadlock");
}

/* 9. Many putters: MP_THREADS x MP_VALUES, each putter's order kept. */
static void
test_many_putters(void)
{
	struct shmc_task *t[MP_THREADS];
	int next[MP_THREADS];
	unsigned int i;
	int j, n, good, r, v, w, s;

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		memset(sh, 0, sizeof(*sh));
		gmv = open_mv(NULL, 0, 0, LONG_TICK_MS);
		for (j = 0; j < MP_THREADS; j++) {
			next[j] = 0;
			t[j] = test_spawn(test_modes[i].flags, multi_putter,
			    (void *)(intptr_t)j);
		}
		r = 0;
		for (n = 0; n < MP_THREADS * MP_VALUES; n++) {
			v = -1;
			r = take_int(gmv, &v);
			if (r != 0)
				break;
			w = v >> 20;
			s = v & 0xfffff;
			if (v < 0 || w >= MP_THREADS || s != next[w])
				break;
			next[w]++;
		}
		is_int(MP_THREADS * MP_VALUES, n,
		    "%d %s putters x %d values: each once, each putter's in"
		    " order", MP_THREADS, test_modes[i].name, MP_VALUES);
		if (n < MP_THREADS * MP_VALUES)
			diag("value %d: got %#x, %s", n, v, shmc_strerror(r));
		good = 0;
		for (j = 0; j < MP_THREADS; j++)
			if (test_join(t[j]) == 0)
				good++;
		is_int(MP_THREADS, good, "...each putter exits 0");
		is_int(1, empty(gmv), "...nothing is left");
		done_mv(gmv, NULL);
	}
}

int
main(void)
{
	test_timeout(480);
	plan(264);
	test_shm_setup();
	sh = test_shared_page(sizeof(*sh));

	test_basics();
	test_sizes();
	test_timed();
	test_producer_consumer();
	test_read();
	test_fifo();
	test_kill_points();
	test_kill_queued();
	test_deadlock();
	test_many_putters();
	return 0;
}
