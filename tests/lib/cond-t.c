/*
 * Tests for shmc_cond (lib/cond.c): opening and naming, errors, predicate
 * loops, signal and broadcast, dead and timed-out waiters, EOWNERDEAD
 * passed through a wait, and named objects opened by unrelated peers.
 *
 * Each scenario with peers runs twice, with the same worker functions
 * spawned as processes and as threads (shmc_task_spawn).  Plain shared
 * data lives in an anonymous MAP_SHARED page mapped before any spawn, so
 * both kinds of peer see it.
 *
 * The condition variables get a long liveness tick.  A waiter wakes at
 * every tick to look at the sequence number, so with a short tick a lost
 * wake-up would only be late; with a long one the waiter sleeps until its
 * deadline and the test fails.  The mutexes keep a short tick, since that
 * is what bounds the time to notice a dead owner.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmconc.h"
#include "tests/tap/basic.h"
#include "tests/tap/shmc.h"

#define MUTEX_TICK_MS   20
#define COND_TICK_MS    30000

/* How long a wait that must succeed may take before it counts as lost. */
#define WAIT_MS         5000

/* Ping-pong rounds between two participants. */
#define ROUNDS          1000

/* Plain data shared by the test and its peers. */
struct shared {
	int flag;               /* the predicate of simple hand-offs */
	int go;                 /* the predicate of parked waiters */
	int turn;               /* whose turn it is, in ping-pong */
	int tokens;             /* posted and not yet consumed */
	int parked;             /* waiters that reached their wait */
	int woken;              /* waiters whose wait ended well */
	int consumed;           /* tokens consumed */
	int held;               /* a holder has the mutex */
	int release;            /* the holder may let it go */
	long count;             /* ping-pong increments */
	int err;                /* the first error a peer met */
	int rc_wait;            /* what a waiter's wait returned */
	int rc_relock;          /* ... a trylock of the mutex it holds */
	int rc_consistent;      /* ... shmc_mutex_consistent */
	int rc_unlock;          /* ... shmc_mutex_unlock */
};

static struct shared *sh;
static struct shmc_mutex *gm;
static struct shmc_cond *gc;
static const char *self;        /* argv[0], to run ourselves again */
static int holder_fd = -1;      /* a pipe a process holder blocks on */

/* Atomic access to fields that are read without the mutex. */
static int
get(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void
set(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

static void
add(int *p, int v)
{
	__atomic_add_fetch(p, v, __ATOMIC_SEQ_CST);
}

/* Remember the first error a peer met, for a diagnostic. */
static void
note(int r)
{
	int zero = 0;

	if (r != 0)
		__atomic_compare_exchange_n(&sh->err, &zero, r, 0,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

/* Poll *p until it is v, for at most 10 s.  Returns 1 if it got there. */
static int
wait_until(const int *p, int v)
{
	int i;

	for (i = 0; i < 10000; i++) {
		if (get(p) == v)
			return 1;
		usleep(1000);
	}
	return 0;
}

static void
open_mutex(const char *name, int flags, struct shmc_mutex **m)
{
	struct shmc_attr attr;
	int r;

	memset(&attr, 0, sizeof(attr));
	attr.tick_ms = MUTEX_TICK_MS;
	r = shmc_mutex_open(name, flags, &attr, m);
	if (r != 0)
		bail("cannot open mutex %s: %s", name ? name : "(anonymous)",
		    shmc_strerror(r));
}

static void
open_cond(const char *name, int flags, struct shmc_cond **c)
{
	struct shmc_attr attr;
	int r;

	memset(&attr, 0, sizeof(attr));
	attr.tick_ms = COND_TICK_MS;
	r = shmc_cond_open(name, flags, &attr, c);
	if (r != 0)
		bail("cannot open cond %s: %s", name ? name : "(anonymous)",
		    shmc_strerror(r));
}

/* Fresh anonymous objects and cleared shared data for one scenario. */
static void
fixture(void)
{
	memset(sh, 0, sizeof(*sh));
	open_mutex(NULL, 0, &gm);
	open_cond(NULL, 0, &gc);
}

static void
fixture_done(void)
{
	if (get(&sh->err) != 0)
		diag("a peer failed with: %s", shmc_strerror(get(&sh->err)));
	shmc_cond_close(gc);
	shmc_mutex_close(gm);
}

/*
 * Wait until n waiters have said, under the mutex, that they are about to
 * wait, then until the mutex is free (the last one let go of it by
 * entering its wait), then a little more for it to fall asleep.
 */
static void
park(int n)
{
	int i, r;

	if (!wait_until(&sh->parked, n))
		bail("the waiters did not park");
	for (i = 0; i < 10000; i++) {
		r = shmc_mutex_trylock(gm);
		if (r == 0) {
			if (shmc_mutex_unlock(gm) != 0)
				bail("cannot unlock");
			usleep(20000);
			return;
		}
		if (r != EBUSY)
			bail("trylock: %s", shmc_strerror(r));
		usleep(1000);
	}
	bail("the waiter never released the mutex");
}

/* Unlock after a wait unless the wait left us without the mutex. */
static int
unlock_after(int r)
{
	if (r == ENOTRECOVERABLE)
		return r;
	return shmc_mutex_unlock(gm);
}

/*
 * Peers.  Each returns 0 on success and a small code saying which step
 * failed otherwise; the error code itself goes to sh->err.
 */

/* Hold the mutex until told to let it go. */
static int
holder(void *arg)
{
	int r;

	(void)arg;
	r = shmc_mutex_lock(gm);
	note(r);
	if (r != 0)
		return 1;
	set(&sh->held, 1);
	if (!wait_until(&sh->release, 1))
		return 2;
	r = shmc_mutex_unlock(gm);
	note(r);
	return r != 0 ? 3 : 0;
}

/* Set the flag once the consumer waits for it, and signal. */
static int
producer(void *arg)
{
	int r;

	(void)arg;
	if (!wait_until(&sh->parked, 1))
		return 1;
	r = shmc_mutex_lock(gm);
	note(r);
	if (r != 0)
		return 2;
	sh->flag = 1;
	r = shmc_cond_signal(gc);
	note(r);
	note(shmc_mutex_unlock(gm));
	return r != 0 ? 3 : 0;
}

/* Take ROUNDS turns as player me; the other is 1 - me. */
static int
play(int me)
{
	struct timespec deadline;
	int i, r;

	r = shmc_mutex_lock(gm);
	if (r != 0)
		return r;
	for (i = 0; i < ROUNDS && r == 0; i++) {
		deadline = test_in_ms(WAIT_MS);
		while (sh->turn != me && r == 0)
			r = shmc_cond_timedwait(gc, gm, &deadline);
		if (r != 0)
			break;
		sh->count++;
		sh->turn = 1 - me;
		r = shmc_cond_signal(gc);
	}
	if (unlock_after(r) != 0 && r == 0)
		r = EPERM;
	return r;
}

static int
player(void *arg)
{
	int r;

	(void)arg;
	r = play(1);
	note(r);
	return r != 0;
}

/* Wait for go; count ourselves as woken if the wait went well. */
static int
go_waiter(void *arg)
{
	struct timespec deadline;
	int r, r2;

	(void)arg;
	deadline = test_in_ms(WAIT_MS);
	r = shmc_mutex_lock(gm);
	note(r);
	if (r != 0)
		return 1;
	add(&sh->parked, 1);
	while (!get(&sh->go) && r == 0)
		r = shmc_cond_timedwait(gc, gm, &deadline);
	note(r);
	if (r == 0)
		sh->woken++;
	r2 = unlock_after(r);
	note(r2);
	return r != 0 ? 2 : r2 != 0 ? 3 : 0;
}

/* Wait for a token and consume it. */
static int
token_waiter(void *arg)
{
	struct timespec deadline;
	int r, r2;

	(void)arg;
	deadline = test_in_ms(WAIT_MS);
	r = shmc_mutex_lock(gm);
	note(r);
	if (r != 0)
		return 1;
	add(&sh->parked, 1);
	while (sh->tokens == 0 && r == 0)
		r = shmc_cond_timedwait(gc, gm, &deadline);
	note(r);
	if (r == 0) {
		sh->tokens--;
		sh->consumed++;
	}
	r2 = unlock_after(r);
	note(r2);
	return r != 0 ? 2 : r2 != 0 ? 3 : 0;
}

/* Wait with a 50 ms deadline that nobody signals before. */
static int
timeout_waiter(void *arg)
{
	struct timespec deadline;
	int r;

	(void)arg;
	r = shmc_mutex_lock(gm);
	note(r);
	if (r != 0)
		return 1;
	add(&sh->parked, 1);
	deadline = test_in_ms(50);
	sh->rc_wait = shmc_cond_timedwait(gc, gm, &deadline);
	sh->rc_unlock = unlock_after(sh->rc_wait);
	return 0;
}

/*
 * Wait for go, and report what the wait returned and, if we hold the mutex
 * after it, what relocking, making it consistent and unlocking return.
 */
static int
dead_owner_waiter(void *arg)
{
	struct timespec deadline;
	int r;

	(void)arg;
	deadline = test_in_ms(WAIT_MS);
	r = shmc_mutex_lock(gm);
	note(r);
	if (r != 0)
		return 1;
	add(&sh->parked, 1);
	while (!get(&sh->go) && r == 0)
		r = shmc_cond_timedwait(gc, gm, &deadline);
	sh->rc_wait = r;
	if (r == 0 || r == EOWNERDEAD) {
		sh->rc_relock = shmc_mutex_trylock(gm);
		sh->rc_consistent = shmc_mutex_consistent(gm);
		sh->rc_unlock = shmc_mutex_unlock(gm);
	}
	return 0;
}

/*
 * Lock the mutex and die holding it: a process blocks on a pipe until it
 * is killed, a thread simply ends.
 */
static int
doomed_holder(void *arg)
{
	char c;
	int r;

	(void)arg;
	r = shmc_mutex_lock(gm);
	note(r);
	if (r != 0)
		return 1;
	set(&sh->held, 1);
	if (holder_fd >= 0)
		while (read(holder_fd, &c, 1) != 0)
			;
	return 0;
}

/* The names and data file of the named hand-off for tag. */
static void
named(const char *tag, char **lock, char **cond, char **data)
{
	const char *dir = getenv("SHMCONC_DIR");

	if (dir == NULL)
		dir = "/dev/shm";
	*lock = basprintf("cond-t.%s.lock", tag);
	*cond = basprintf("cond-t.%s.cond", tag);
	*data = basprintf("%s/cond-t.%s.data", dir, tag);
}

/*
 * The peer of the named hand-off.  It inherits nothing: it opens the
 * objects by name and maps the data file itself, announces itself, waits
 * for go, and answers by setting turn.
 */
static int
named_peer(void *arg)
{
	struct shmc_mutex *m;
	struct shmc_cond *c;
	struct shmc_attr attr;
	struct shared *d;
	struct timespec deadline;
	char *lname, *cname, *path;
	int fd, r, code = 0;

	named(arg, &lname, &cname, &path);
	memset(&attr, 0, sizeof(attr));
	attr.tick_ms = MUTEX_TICK_MS;
	if (shmc_mutex_open(lname, 0, &attr, &m) != 0)
		return 10;
	attr.tick_ms = COND_TICK_MS;
	if (shmc_cond_open(cname, 0, &attr, &c) != 0)
		return 11;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 12;
	d = mmap(NULL, sizeof(*d), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (d == MAP_FAILED)
		return 13;
	deadline = test_in_ms(WAIT_MS);
	r = shmc_mutex_lock(m);
	if (r != 0)
		return 14;
	d->flag = 1;
	r = shmc_cond_signal(c);
	while (!d->go && r == 0)
		r = shmc_cond_timedwait(c, m, &deadline);
	if (r == 0) {
		d->turn = 1;
		r = shmc_cond_signal(c);
	}
	if (r != 0)
		code = 15;
	if (r != ENOTRECOVERABLE && shmc_mutex_unlock(m) != 0)
		code = 16;
	munmap(d, sizeof(*d));
	shmc_cond_close(c);
	shmc_mutex_close(m);
	free(lname);
	free(cname);
	free(path);
	return code;
}

/* Run named_peer in a new program: ourselves, run again with a mode. */
static int
exec_peer(void *arg)
{
	fflush(NULL);
	execl(self, self, "named-peer", (char *)arg, (char *)NULL);
	_exit(127);
}

/* Open, close and unlink, and names of the wrong kind. */
static void
test_names(void)
{
	struct shmc_cond *c, *c2;
	struct shmc_mutex *m, *m2;
	struct shmc_attr attr;
	char *cname, *mname, *slash, *path, *mpath;
	int before;

	cname = basprintf("cond-t.%ld.names", (long)getpid());
	mname = basprintf("cond-t.%ld.names-lock", (long)getpid());
	path = test_shm_path(cname);
	mpath = test_shm_path(mname);
	is_int(0, shmc_cond_open(cname, SHMC_CREAT, NULL, &c),
	    "create a named cond");
	ok(access(path, F_OK) == 0, "...its file exists");
	is_int(EEXIST, shmc_cond_open(cname, SHMC_CREAT | SHMC_EXCL, NULL,
	    &c2), "...exclusive create fails");
	c2 = NULL;
	is_int(0, shmc_cond_open(cname, 0, NULL, &c2), "...opens again");
	shmc_cond_close(c2);
	c2 = NULL;
	slash = basprintf("/%s", cname);
	is_int(0, shmc_cond_open(slash, 0, NULL, &c2),
	    "...opens with a leading slash");
	shmc_cond_close(c2);
	free(slash);
	is_int(EINVAL, shmc_cond_open(cname, SHMC_EXCL, NULL, &c2),
	    "SHMC_EXCL without SHMC_CREAT");
	is_int(EINVAL, shmc_cond_open("a/b", SHMC_CREAT, NULL, &c2),
	    "a name with a slash inside");
	memset(&attr, 0, sizeof(attr));
	attr.tick_ms = 60001;
	is_int(EINVAL, shmc_cond_open(cname, 0, &attr, &c2),
	    "a tick above 60000 ms");

	open_mutex(mname, SHMC_CREAT, &m);
	is_int(EPROTOTYPE, shmc_cond_open(mname, 0, NULL, &c2),
	    "a mutex opened as a cond");
	is_int(EPROTOTYPE, shmc_cond_open(mname, SHMC_CREAT, NULL, &c2),
	    "...also with SHMC_CREAT");
	is_int(EPROTOTYPE, shmc_mutex_open(cname, 0, NULL, &m2),
	    "a cond opened as a mutex");
	is_int(EPROTOTYPE, shmc_cond_unlink(mname),
	    "a mutex unlinked as a cond");
	ok(access(mpath, F_OK) == 0, "...stays");

	is_int(0, shmc_cond_unlink(cname), "unlink a cond");
	ok(access(path, F_OK) < 0 && errno == ENOENT, "...its file is gone");
	is_int(ENOENT, shmc_cond_open(cname, 0, NULL, &c2),
	    "...it no longer opens");
	is_int(ENOENT, shmc_cond_unlink(cname), "...unlink again");
	is_int(0, shmc_cond_signal(c), "...an open handle still signals");
	is_int(0, shmc_cond_close(c), "...and closes");
	is_int(0, shmc_cond_close(NULL), "close NULL");

	before = test_shm_count();
	is_int(0, shmc_cond_open(NULL, 0, NULL, &c), "anonymous cond");
	is_int(before, test_shm_count(), "...makes no file");
	is_int(0, shmc_cond_broadcast(c), "...broadcasts");
	is_int(0, shmc_cond_close(c), "...closes");

	shmc_mutex_close(m);
	if (shmc_mutex_unlink(mname) != 0)
		bail("cannot unlink %s", mname);
	free(cname);
	free(mname);
	free(path);
	free(mpath);
}

/* Errors reported before the mutex is let go, and timeouts. */
static void
test_errors(void)
{
	struct timespec deadline, now;
	unsigned int i;

	fixture();
	is_int(EPERM, shmc_cond_wait(gc, gm), "wait without the mutex");
	is_int(0, shmc_mutex_trylock(gm), "...leaves it free");
	is_int(0, shmc_mutex_unlock(gm), "...unlock");

	if (shmc_mutex_lock(gm) != 0)
		bail("cannot lock");
	deadline = test_in_ms(1000);
	deadline.tv_nsec = 1000000000L;
	is_int(EINVAL, shmc_cond_timedwait(gc, gm, &deadline),
	    "timedwait with tv_nsec 1e9");
	deadline.tv_nsec = -1;
	is_int(EINVAL, shmc_cond_timedwait(gc, gm, &deadline),
	    "timedwait with tv_nsec -1");
	is_int(0, shmc_mutex_unlock(gm), "...the mutex is still held");

	if (shmc_mutex_lock(gm) != 0)
		bail("cannot lock");
	deadline = test_in_ms(50);
	is_int(ETIMEDOUT, shmc_cond_timedwait(gc, gm, &deadline),
	    "timedwait 50 ms with no signal");
	clock_gettime(CLOCK_MONOTONIC, &now);
	ok(test_not_before(&now, &deadline), "...not before the deadline");
	ok(test_ms_between(&deadline, &now) < 5000, "...nor long after it");
	is_int(0, shmc_mutex_unlock(gm), "...holding the mutex again");

	if (shmc_mutex_lock(gm) != 0)
		bail("cannot lock");
	deadline = test_in_ms(-1000);
	is_int(ETIMEDOUT, shmc_cond_timedwait(gc, gm, &deadline),
	    "timedwait with a past deadline");
	is_int(0, shmc_mutex_unlock(gm), "...holding the mutex again");
	fixture_done();

	/* Another participant holds the mutex: wait is EPERM for us. */
	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		struct shmc_task *t;

		fixture();
		t = test_spawn(test_modes[i].flags, holder, NULL);
		if (!wait_until(&sh->held, 1))
			bail("the holder did not lock");
		is_int(EPERM, shmc_cond_wait(gc, gm),
		    "wait while a %s holds the mutex", test_modes[i].name);
		is_int(EBUSY, shmc_mutex_trylock(gm), "...it still holds it");
		set(&sh->release, 1);
		is_int(0, test_join(t), "...and unlocks it");
		fixture_done();
	}
}

/* The classic predicate loop, then ping-pong on two predicates. */
static void
test_predicate(void)
{
	struct timespec start, end;
	struct shmc_task *t;
	unsigned int i;
	int r;

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		fixture();
		t = test_spawn(test_modes[i].flags, producer, NULL);
		if (shmc_mutex_lock(gm) != 0)
			bail("cannot lock");
		set(&sh->parked, 1);
		clock_gettime(CLOCK_MONOTONIC, &start);
		r = 0;
		while (!sh->flag) {
			r = shmc_cond_wait(gc, gm);
			if (r != 0)
				break;
		}
		clock_gettime(CLOCK_MONOTONIC, &end);
		is_int(0, r, "predicate loop with a %s producer",
		    test_modes[i].name);
		is_int(1, sh->flag, "...returns with the flag set");
		ok(test_ms_between(&start, &end) < WAIT_MS,
		    "...promptly (%ld ms)", test_ms_between(&start, &end));
		is_int(0, unlock_after(r), "...holding the mutex");
		is_int(0, test_join(t), "...the producer exits 0");
		fixture_done();

		fixture();
		t = test_spawn(test_modes[i].flags, player, NULL);
		r = play(0);
		is_int(0, r, "%d ping-pong rounds with a %s", ROUNDS,
		    test_modes[i].name);
		is_int(0, test_join(t), "...its side succeeds");
		is_int(2L * ROUNDS, sh->count, "...exactly %d turns",
		    2 * ROUNDS);
		fixture_done();
	}
}

/* Broadcast wakes every waiter. */
static void
test_broadcast(void)
{
	struct shmc_task *t[4];
	unsigned int i, j;
	int good, r;

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		fixture();
		for (j = 0; j < 4; j++)
			t[j] = test_spawn(test_modes[i].flags, go_waiter, NULL);
		if (!wait_until(&sh->parked, 4))
			bail("the waiters did not park");
		/* Each let go of the mutex only by entering its wait. */
		if (shmc_mutex_lock(gm) != 0)
			bail("cannot lock");
		set(&sh->go, 1);
		r = shmc_cond_broadcast(gc);
		if (shmc_mutex_unlock(gm) != 0)
			bail("cannot unlock");
		good = 0;
		for (j = 0; j < 4; j++)
			if (test_join(t[j]) == 0)
				good++;
		is_int(0, r, "broadcast to four %s waiters",
		    test_modes[i].name);
		is_int(4, sh->woken, "...wakes them all");
		is_int(4, good, "...each exits 0");
		fixture_done();
	}
}

/* One signal per token: every waiter gets one. */
static void
test_signal(void)
{
	struct shmc_task *t[3];
	unsigned int i, j;
	int good, r;

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		fixture();
		for (j = 0; j < 3; j++)
			t[j] = test_spawn(test_modes[i].flags, token_waiter,
			    NULL);
		if (!wait_until(&sh->parked, 3))
			bail("the waiters did not park");
		r = 0;
		for (j = 0; j < 3; j++) {
			if (shmc_mutex_lock(gm) != 0)
				bail("cannot lock");
			sh->tokens++;
			if (r == 0)
				r = shmc_cond_signal(gc);
			if (shmc_mutex_unlock(gm) != 0)
				bail("cannot unlock");
		}
		good = 0;
		for (j = 0; j < 3; j++)
			if (test_join(t[j]) == 0)
				good++;
		is_int(0, r, "three signals to three %s waiters",
		    test_modes[i].name);
		is_int(3, sh->consumed, "...each takes a token");
		is_int(0, sh->tokens, "...none is left");
		is_int(3, good, "...each exits 0");
		fixture_done();
	}
}

/*
 * A waiter that is gone leaves nothing behind: a process killed in its
 * wait, or (threads cannot be killed alone) a thread whose wait timed out.
 */
static void
test_dead_waiter(void)
{
	struct timespec start, end;
	struct shmc_task *t;
	unsigned int i;
	pid_t pid;
	int j, r;

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		fixture();
		if (test_modes[i].flags == SHMC_PROCESS) {
			t = test_spawn(SHMC_PROCESS, go_waiter, NULL);
			park(1);
			if (shmc_task_pid(t, &pid) != 0)
				bail("no pid");
			kill(pid, SIGKILL);
			is_int(128 + SIGKILL, test_join(t),
			    "a process waiter is killed in its wait");
		} else {
			t = test_spawn(SHMC_THREAD, timeout_waiter, NULL);
			if (test_join(t) != 0)
				bail("the timeout waiter failed");
			ok(sh->rc_wait == ETIMEDOUT && sh->rc_unlock == 0,
			    "a thread waiter times out");
		}
		is_int(0, shmc_mutex_trylock(gm), "...the mutex is free");
		if (shmc_mutex_unlock(gm) != 0)
			bail("cannot unlock");

		clock_gettime(CLOCK_MONOTONIC, &start);
		r = shmc_cond_signal(gc);
		clock_gettime(CLOCK_MONOTONIC, &end);
		is_int(0, r, "...signal afterwards");
		ok(test_ms_between(&start, &end) < 100, "...returns at once");
		clock_gettime(CLOCK_MONOTONIC, &start);
		r = shmc_cond_broadcast(gc);
		clock_gettime(CLOCK_MONOTONIC, &end);
		is_int(0, r, "...broadcast afterwards");
		ok(test_ms_between(&start, &end) < 100, "...returns at once");

		sh->parked = 0;
		t = test_spawn(test_modes[i].flags, go_waiter, NULL);
		park(1);
		if (shmc_mutex_lock(gm) != 0)
			bail("cannot lock");
		set(&sh->go, 1);
		r = shmc_cond_signal(gc);
		if (shmc_mutex_unlock(gm) != 0)
			bail("cannot unlock");
		j = test_join(t);
		ok(r == 0 && j == 0 && sh->woken == 1,
		    "...a new %s waiter is woken by a signal",
		    test_modes[i].name);

		clock_gettime(CLOCK_MONOTONIC, &start);
		r = shmc_cond_close(gc);
		clock_gettime(CLOCK_MONOTONIC, &end);
		gc = NULL;
		is_int(0, r, "...close");
		ok(test_ms_between(&start, &end) < 100, "...returns at once");
		fixture_done();
	}
}

/*
 * The mutex owner dies while a waiter waits: the waiter's wait returns
 * EOWNERDEAD, holding the mutex, which it can make consistent.
 */
static void
test_owner_dead(void)
{
	struct shmc_task *w, *h;
	unsigned int i;
	int p[2], r;
	pid_t pid;

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		fixture();
		w = test_spawn(test_modes[i].flags, dead_owner_waiter, NULL);
		park(1);
		if (test_modes[i].flags == SHMC_PROCESS) {
			if (pipe(p) < 0)
				sysbail("cannot create a pipe");
			holder_fd = p[0];
			h = test_spawn(SHMC_PROCESS, doomed_holder, NULL);
			if (!wait_until(&sh->held, 1))
				bail("the holder did not lock");
			if (shmc_task_pid(h, &pid) != 0)
				bail("no pid");
			kill(pid, SIGKILL);
			is_int(128 + SIGKILL, test_join(h),
			    "a process holder is killed");
			close(p[0]);
			close(p[1]);
			holder_fd = -1;
		} else {
			h = test_spawn(SHMC_THREAD, doomed_holder, NULL);
			is_int(0, test_join(h), "a thread holder ends");
			is_int(1, sh->held, "...holding the mutex");
		}
		/* Nobody can hold the mutex to set go: its owner is dead. */
		set(&sh->go, 1);
		r = shmc_cond_signal(gc);
		is_int(0, test_join(w), "...a %s waiter is signalled",
		    test_modes[i].name);
		if (r != 0)
			diag("signal: %s", shmc_strerror(r));
		is_int(EOWNERDEAD, sh->rc_wait, "...its wait is EOWNERDEAD");
		is_int(EDEADLK, sh->rc_relock, "...it holds the mutex");
		is_int(0, sh->rc_consistent, "...makes it consistent");
		is_int(0, sh->rc_unlock, "...and unlocks it");
		is_int(0, shmc_mutex_lock(gm), "...which locks again");
		if (shmc_mutex_unlock(gm) != 0)
			bail("cannot unlock");
		fixture_done();
	}
}

/*
 * Named objects opened separately by each side: by a process task and a
 * thread task that open the names themselves, and by an unrelated process
 * (this program run again).
 */
static void
test_named(void)
{
	static const struct {
		int flags;
		int (*fn)(void *);
		const char *name;
	} peers[] = {
		{ SHMC_PROCESS, named_peer, "a process" },
		{ SHMC_THREAD, named_peer, "a thread" },
		{ SHMC_PROCESS, exec_peer, "an unrelated process" },
	};
	struct shmc_mutex *m;
	struct shmc_cond *c;
	struct shmc_task *t;
	struct timespec deadline;
	struct shared *d;
	char *tag, *lname, *cname, *path;
	unsigned int i;
	int fd, r;

	tag = basprintf("%ld", (long)getpid());
	named(tag, &lname, &cname, &path);
	open_mutex(lname, SHMC_CREAT | SHMC_EXCL, &m);
	open_cond(cname, SHMC_CREAT | SHMC_EXCL, &c);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		sysbail("cannot create %s", path);
	if (ftruncate(fd, sizeof(*d)) < 0)
		sysbail("cannot size %s", path);
	d = mmap(NULL, sizeof(*d), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (d == MAP_FAILED)
		sysbail("cannot map %s", path);
	close(fd);

	for (i = 0; i < ARRAY_SIZE(peers); i++) {
		memset(d, 0, sizeof(*d));
		deadline = test_in_ms(WAIT_MS);
		if (shmc_mutex_lock(m) != 0)
			bail("cannot lock");
		t = test_spawn(peers[i].flags, peers[i].fn, tag);
		r = 0;
		while (!d->flag && r == 0)
			r = shmc_cond_timedwait(c, m, &deadline);
		ok(r == 0 && d->flag == 1, "%s opens the names itself",
		    peers[i].name);
		d->go = 1;
		if (r == 0)
			r = shmc_cond_signal(c);
		while (!d->turn && r == 0)
			r = shmc_cond_timedwait(c, m, &deadline);
		ok(r == 0 && d->turn == 1, "...and answers a signal");
		if (r != 0)
			diag("wait: %s", shmc_strerror(r));
		if (r != ENOTRECOVERABLE && shmc_mutex_unlock(m) != 0)
			bail("cannot unlock");
		is_int(0, test_join(t), "...and exits 0");
	}

	munmap(d, sizeof(*d));
	shmc_cond_close(c);
	shmc_mutex_close(m);
	if (shmc_cond_unlink(cname) != 0 || shmc_mutex_unlink(lname) != 0)
		bail("cannot unlink the named objects");
	unlink(path);
	free(tag);
	free(lname);
	free(cname);
	free(path);
}

int
main(int argc, char *argv[])
{
	/* Run again as the unrelated peer of test_named. */
	if (argc == 3 && strcmp(argv[1], "named-peer") == 0) {
		alarm(30);
		return named_peer(argv[2]);
	}
	self = argv[0];

	test_timeout(60);
	plan(114);
	test_shm_setup();
	sh = test_shared_page(sizeof(*sh));

	test_names();
	test_errors();
	test_predicate();
	test_broadcast();
	test_signal();
	test_dead_waiter();
	test_owner_dead();
	test_named();
	return 0;
}
