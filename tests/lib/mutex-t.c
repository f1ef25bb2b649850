/*
 * Tests for shmc_mutex (lib/mutex.c): pthread robust semantics between
 * processes and between threads, and what happens when an owner dies.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmconc.h"
#include "lib/mutex.h"
#include "tests/tap/basic.h"
#include "tests/tap/shmc.h"

#define TICK_MS 50

/* Plain data shared by every participant: an anonymous MAP_SHARED page. */
struct shared {
	volatile unsigned long counter;
	volatile int inside;
	volatile int overlap;
};
static struct shared *sh;
static struct shmc_mutex *gm;     /* the mutex the workers use */
static const char *gname;         /* named mutex for the process workers */

static struct shmc_mutex *
open_mutex(const char *name, int flags)
{
	struct shmc_attr attr;
	struct shmc_mutex *m;
	int r;

	memset(&attr, 0, sizeof(attr));
	attr.tick_ms = TICK_MS;
	r = shmc_mutex_open(name, flags, &attr, &m);
	if (r != 0)
		bail("cannot open mutex %s: %s", name ? name : "(anonymous)",
		    shmc_strerror(r));
	return m;
}

/*
 * A worker: 100000 increments under the mutex, also checking that no one
 * else is ever inside.  A process worker opens the named mutex itself, as
 * an unrelated process would; a thread worker shares the handle.
 */
static int
worker(void *arg)
{
	struct shmc_mutex *m = gm;
	int i, own = arg != NULL;

	if (own)
		m = open_mutex(gname, 0);
	for (i = 0; i < 100000; i++) {
		if (shmc_mutex_lock(m) != 0)
			return 1;
		if (sh->inside++ != 0)
			sh->overlap = 1;
		sh->counter++;
		sh->inside--;
		if (shmc_mutex_unlock(m) != 0)
			return 2;
	}
	if (own)
		shmc_mutex_close(m);
	return 0;
}

/* Fork a child that locks m, says so on a pipe, and waits to be killed. */
static pid_t
spawn_holder(struct shmc_mutex *m)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p) < 0)
		sysbail("pipe");
	pid = fork();
	if (pid < 0)
		sysbail("fork");
	if (pid == 0) {
		close(p[0]);
		c = shmc_mutex_lock(m) == 0 ? 'L' : 'E';
		(void)write(p[1], &c, 1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1 || c != 'L')
		bail("holder did not lock");
	close(p[0]);
	return pid;
}

/* Fork a child that blocks in lock and exits with what lock returned. */
static pid_t
spawn_waiter(struct shmc_mutex *m)
{
	pid_t pid;
	int r;

	pid = fork();
	if (pid < 0)
		sysbail("fork");
	if (pid == 0) {
		r = shmc_mutex_lock(m);
		if (r == EOWNERDEAD)
			shmc_mutex_consistent(m);
		if (r == 0 || r == EOWNERDEAD)
			shmc_mutex_unlock(m);
		_exit(r);
	}
	return pid;
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/*
 * Fork a child that blocks in timedlock (deadline: 100 ticks) while a
 * timer interrupts it every fifth of a tick, and exits with what timedlock
 * returned: signals faster than the tick must not keep it from noticing a
 * dead holder at its tick.
 */
static pid_t
spawn_waiter_signalled(struct shmc_mutex *m)
{
	struct itimerval it = { { 0, TICK_MS * 200 }, { 0, TICK_MS * 200 } };
	struct sigaction sa;
	struct timespec dl;
	pid_t pid;
	int r;

	pid = fork();
	if (pid < 0)
		sysbail("fork");
	if (pid == 0) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_alarm;
		sa.sa_flags = SA_RESTART;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGALRM, &sa, NULL) < 0 ||
		    setitimer(ITIMER_REAL, &it, NULL) < 0)
			_exit(100);
		dl = test_in_ms(100 * TICK_MS);
		r = shmc_mutex_timedlock(m, &dl);
		if (r == EOWNERDEAD)
			shmc_mutex_consistent(m);
		if (r == 0 || r == EOWNERDEAD)
			shmc_mutex_unlock(m);
		_exit(r);
	}
	return pid;
}

/*
 * Wait until the child pid sleeps on a futex: we cannot see that from
 * outside directly, so wait for its participant slot to show it waiting.
 */
static void
wait_parked(struct shmc_mutex *m, int n)
{
	struct shmc__seg *seg = m->seg;
	uint32_t i;
	int count, tries;

	for (tries = 0; tries < 5000; tries++) {
		count = 0;
		for (i = 0; i < seg->hdr.npeers; i++)
			if (atomic_load(&seg->peers[i].wait_what) ==
			    SHMC__WAIT_LOCK)
				count++;
		if (count >= n)
			return;
		usleep(1000);
	}
	bail("waiters never parked");
}

static void *
thread_lock_and_exit(void *arg)
{
	struct shmc_mutex *m = arg;

	return (void *)(long)shmc_mutex_lock(m);
}

static void *
thread_unlock(void *arg)
{
	return (void *)(long)shmc_mutex_unlock(arg);
}

static void *
thread_trylock(void *arg)
{
	return (void *)(long)shmc_mutex_trylock(arg);
}

static long
in_thread(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	void *ret;

	if (pthread_create(&t, NULL, fn, arg) != 0)
		bail("pthread_create");
	pthread_join(t, &ret);
	return (long)ret;
}

static void
mutual_exclusion(int mode, const char *what)
{
	struct shmc_task *t[4];
	int i, st, bad = 0;

	sh->counter = 0;
	sh->overlap = 0;
	for (i = 0; i < 4; i++)
		if (shmc_task_spawn(mode, worker,
		    mode == SHMC_PROCESS ? (void *)1 : NULL, &t[i]) != 0)
			bail("spawn");
	for (i = 0; i < 4; i++)
		if (shmc_task_join(t[i], &st) != 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			bad++;
	is_int(0, bad, "%s: every worker succeeded", what);
	is_int(400000, (long)sh->counter, "...4 x 100000 increments");
	is_int(0, sh->overlap, "...never two inside");
}

int
main(void)
{
	struct shmc_mutex *m, *m2;
	struct timespec dl, t0, t1;
	pid_t holder, waiter, w2;
	long elapsed;
	int fds[2];
	char c;

	test_timeout(120);
	plan(53);
	test_shm_setup();
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		sysbail("mmap");

	/* Basic pthread semantics in one thread. */
	m = open_mutex("basic", SHMC_CREAT);
	is_int(0, shmc_mutex_lock(m), "lock a free mutex");
	is_int(EDEADLK, shmc_mutex_lock(m), "...relock by the owner");
	is_int(EDEADLK, shmc_mutex_trylock(m), "...trylock by the owner");
	is_int(EPERM, in_thread(thread_unlock, m),
	    "...unlock by another thread");
	is_int(EBUSY, in_thread(thread_trylock, m),
	    "...trylock by another thread");
	is_int(EINVAL, shmc_mutex_consistent(m), "...consistent when not needed");
	is_int(0, shmc_mutex_unlock(m), "...unlock");
	is_int(EPERM, shmc_mutex_unlock(m), "...unlock again");
	is_int(EPERM, shmc_mutex_consistent(m), "...consistent by a non-owner");
	is_int(0, shmc_mutex_trylock(m), "...trylock a free mutex");
	is_int(0, shmc_mutex_unlock(m), "...unlock");

	/* Timed lock: the deadline, and an invalid one. */
	dl = test_in_ms(0);
	dl.tv_nsec = 1000000000L;
	is_int(EINVAL, shmc_mutex_timedlock(m, &dl), "timedlock bad deadline");
	dl = test_in_ms(-1000);
	is_int(0, shmc_mutex_timedlock(m, &dl), "past deadline, free mutex");
	is_int(0, shmc_mutex_unlock(m), "...unlock");
	holder = spawn_holder(m);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	dl = test_in_ms(150);
	is_int(ETIMEDOUT, shmc_mutex_timedlock(m, &dl),
	    "timedlock on a held mutex times out");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ok(elapsed >= 149, "...not before the deadline (%ld ms)", elapsed);

	/* A stopped holder is not dead. */
	kill(holder, SIGSTOP);
	dl = test_in_ms(4 * TICK_MS);
	is_int(ETIMEDOUT, shmc_mutex_timedlock(m, &dl),
	    "a stopped holder is not taken for dead");
	kill(holder, SIGCONT);

	/* The holder is killed: the next locker gets EOWNERDEAD. */
	test_kill(holder);
	dl = test_in_ms(5000);
	is_int(EOWNERDEAD, shmc_mutex_timedlock(m, &dl),
	    "holder killed: next locker gets EOWNERDEAD");
	is_int(0, shmc_mutex_consistent(m), "...consistent");
	is_int(0, shmc_mutex_unlock(m), "...unlock");
	is_int(0, shmc_mutex_lock(m), "...later lockers get 0");
	is_int(0, shmc_mutex_unlock(m), "...unlock");

	/* A waiter already asleep when the holder dies. */
	holder = spawn_holder(m);
	waiter = spawn_waiter(m);
	wait_parked(m, 1);
	test_kill(holder);
	is_int(EOWNERDEAD, test_exit_code(waiter),
	    "sleeping waiter gets EOWNERDEAD when the holder dies");
	is_int(0, shmc_mutex_trylock(m), "...it made the mutex consistent");
	is_int(0, shmc_mutex_unlock(m), "...unlock");

	/* The same, with a timer interrupting the waiter's sleeps. */
	holder = spawn_holder(m);
	waiter = spawn_waiter_signalled(m);
	wait_parked(m, 1);
	test_kill(holder);
	is_int(EOWNERDEAD, test_exit_code(waiter),
	    "...even with a signal every fifth of a tick, not ETIMEDOUT");

	/* Unlock without consistent: not recoverable, for everyone. */
	holder = spawn_holder(m);
	waiter = spawn_waiter(m);
	wait_parked(m, 1);
	test_kill(holder);
	is_int(EOWNERDEAD, test_exit_code(waiter), "waiter recovers again");
	holder = spawn_holder(m);
	test_kill(holder);
	is_int(EOWNERDEAD, shmc_mutex_lock(m), "next holder dies too");
	w2 = spawn_waiter(m);
	wait_parked(m, 1);
	is_int(0, shmc_mutex_unlock(m), "...unlock without consistent");
	is_int(ENOTRECOVERABLE, test_exit_code(w2),
	    "...a sleeping waiter gets ENOTRECOVERABLE");
	is_int(ENOTRECOVERABLE, shmc_mutex_lock(m), "...so does lock");
	is_int(ENOTRECOVERABLE, shmc_mutex_trylock(m), "...and trylock");
	m2 = open_mutex("basic", 0);
	is_int(ENOTRECOVERABLE, in_thread(thread_trylock, m2),
	    "...through another handle too");
	shmc_mutex_close(m2);
	shmc_mutex_close(m);
	is_int(0, shmc_mutex_unlink("basic"), "unlink it");

	/* A recoverer that dies before consistent hands EOWNERDEAD on. */
	m = open_mutex(NULL, SHMC_CREAT);
	holder = spawn_holder(m);
	test_kill(holder);
	waiter = fork();
	if (waiter == 0)
		_exit(shmc_mutex_lock(m));
	is_int(EOWNERDEAD, test_exit_code(waiter), "recoverer got EOWNERDEAD");
	is_int(EOWNERDEAD, shmc_mutex_lock(m),
	    "...it died without consistent: EOWNERDEAD again");
	is_int(0, shmc_mutex_consistent(m), "...consistent");
	is_int(0, shmc_mutex_unlock(m), "...unlock");

	/* Thread mode: a thread that exits holding the mutex is dead. */
	is_int(0, in_thread(thread_lock_and_exit, m),
	    "a thread locks and exits");
	is_int(EOWNERDEAD, shmc_mutex_lock(m), "...next locker: EOWNERDEAD");
	is_int(0, shmc_mutex_consistent(m), "...consistent");
	is_int(0, shmc_mutex_unlock(m), "...unlock");
	shmc_mutex_close(m);

	/*
	 * Two handles on one object in one thread are one owner: relocking
	 * through the other is EDEADLK, not a deadlock with oneself.
	 */
	m = open_mutex("closed", SHMC_CREAT);
	m2 = open_mutex("/closed", 0);
	is_int(0, shmc_mutex_lock(m2), "lock through a second handle");
	is_int(EDEADLK, shmc_mutex_lock(m), "...relock through the first");
	shmc_mutex_close(m2);
	is_int(0, shmc_mutex_unlock(m),
	    "...still ours after closing the second handle");

	/*
	 * Closing a process's last handle while holding counts as death.
	 * The child says when it has closed both: before that, trylock is
	 * EBUSY (a window that valgrind's slowness made wide).
	 */
	if (pipe(fds) < 0)
		sysbail("pipe");
	holder = fork();
	if (holder == 0) {
		close(fds[0]);
		m2 = open_mutex("closed", 0);
		if (shmc_mutex_lock(m2) != 0)
			_exit(1);
		shmc_mutex_close(m2);
		shmc_mutex_close(m);
		if (write(fds[1], "c", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(fds[1]);
	if (read(fds[0], &c, 1) != 1)
		bail("the holder did not close its handles");
	close(fds[0]);
	waiter = shmc_mutex_trylock(m);
	is_int(EOWNERDEAD, waiter,
	    "last handle closed while held, process alive: EOWNERDEAD");
	test_kill(holder);
	shmc_mutex_consistent(m);
	shmc_mutex_unlock(m);

	/* A lock word naming a slot that does not exist is corruption. */
	atomic_store(&m->obj->word, SHMC__ID(1000, 1));
	is_int(EBADMSG, shmc_mutex_trylock(m), "corrupt owner: EBADMSG");
	atomic_store(&m->obj->word, 0);
	shmc_mutex_close(m);

	/*
	 * Mutual exclusion, 4 participants x 100000: processes that open the
	 * named mutex themselves, then threads sharing one handle.
	 */
	gname = "count";
	gm = open_mutex(gname, SHMC_CREAT);
	mutual_exclusion(SHMC_PROCESS, "processes");
	mutual_exclusion(SHMC_THREAD, "threads");
	shmc_mutex_close(gm);
	return 0;
}
