/*
 * Tests for participants (lib/peer.c): leases, generations, fork
 * re-attachment, thread exit, and the tick.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

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
#include "lib/peer.h"
#include "tests/tap/basic.h"
#include "tests/tap/shmc.h"

/* How many slots of m's table hold a live participant right now. */
static int
live(struct shmc_mutex *m)
{
	struct shmc__seg *seg = m->seg;
	uint32_t i, gen;
	int n = 0;

	for (i = 0; i < seg->hdr.npeers; i++) {
		gen = atomic_load(&seg->peers[i].gen);
		if (gen != 0 && shmc__peer_alive(seg, SHMC__ID(i, gen)) == 1)
			n++;
	}
	return n;
}

static struct shmc_mutex *
open_mutex(const char *name, int flags, unsigned int peers,
    unsigned int tick_ms)
{
	struct shmc_attr attr;
	struct shmc_mutex *m;
	int r;

	memset(&attr, 0, sizeof(attr));
	attr.peers = peers;
	attr.tick_ms = tick_ms;
	r = shmc_mutex_open(name, flags, &attr, &m);
	if (r != 0)
		bail("cannot open mutex: %s", shmc_strerror(r));
	return m;
}

static void *
thread_lock(void *arg)
{
	return (void *)(long)shmc_mutex_lock(arg);
}

int
main(void)
{
	struct shmc_mutex *m, *m2;
	struct timespec dl;
	pthread_t t;
	uint32_t id, id2;
	pid_t p, g;
	int fds[2], i, bad;
	char c;
	void *ret;

	test_timeout(60);
	plan(28);
	test_shm_setup();

	/* Attaching on first use, and the ID that comes with it. */
	m = open_mutex(NULL, SHMC_CREAT, 8, 50);
	is_int(1, live(m), "an anonymous object's opener holds a participant");
	is_int(0, shmc_mutex_lock(m), "lock attaches");
	is_int(2, live(m), "...the locking thread is another");
	id = atomic_load(&m->obj->word) & SHMC__ID_MASK;
	is_int(1, shmc__peer_alive(m->seg, id), "...the owner ID is alive");
	is_int(-1, shmc__peer_alive(m->seg, SHMC__ID(9, 1)),
	    "an ID beyond the table is invalid");
	is_int(0, shmc__peer_alive(m->seg, SHMC__ID(SHMC__ID_SLOT(id),
	    SHMC__ID_GEN(id) + 1)), "an ID of another generation is dead");
	shmc_mutex_unlock(m);

	/* A forked child is a participant from the moment fork returns. */
	if (pipe(fds) < 0)
		sysbail("pipe");
	p = fork();
	if (p == 0) {
		close(fds[1]);
		(void)read(fds[0], &c, 1);
		_exit(shmc_mutex_lock(m) == 0 && shmc_mutex_unlock(m) == 0 ?
		    0 : 1);
	}
	close(fds[0]);
	is_int(3, live(m), "a forked child is live before it runs");
	close(fds[1]);
	is_int(0, test_exit_code(p), "...it uses the inherited handle");
	is_int(2, live(m), "...and is gone when it exits");

	/* Many short-lived children do not use up a small table. */
	bad = 0;
	for (i = 0; i < 30; i++) {
		p = fork();
		if (p == 0)
			_exit(shmc_mutex_lock(m) == 0 &&
			    shmc_mutex_unlock(m) == 0 ? 0 : 1);
		bad += test_exit_code(p) != 0;
	}
	is_int(0, bad, "30 children through an 8-slot table");

	/* A thread is a participant of its own, released when it exits. */
	is_int(0, pthread_create(&t, NULL, thread_lock, m), "a thread locks");
	pthread_join(t, &ret);
	is_int(0, (long)ret, "...it got the mutex");
	id2 = atomic_load(&m->obj->word) & SHMC__ID_MASK;
	ok(id2 != id, "...under an ID of its own");
	is_int(0, shmc__peer_alive(m->seg, id2), "...dead once it exited");
	is_int(2, live(m), "...its slot is free again");
	is_int(EOWNERDEAD, shmc_mutex_lock(m), "...so its lock is ours");
	shmc_mutex_consistent(m);
	shmc_mutex_unlock(m);
	shmc_mutex_close(m);

	/*
	 * The parent dies while a child it forked lives on: the child's
	 * inherited descriptors must not keep the parent's lease alive.
	 */
	m = open_mutex("orphan", SHMC_CREAT, 0, 50);
	if (pipe(fds) < 0)
		sysbail("pipe");
	p = fork();
	if (p == 0) {
		struct shmc_mutex *pm = open_mutex("orphan", 0, 0, 50);

		close(fds[0]);
		if (shmc_mutex_lock(pm) != 0)
			_exit(1);
		g = fork();
		if (g == 0) {
			for (;;)
				pause();
		}
		(void)write(fds[1], &g, sizeof(g));
		for (;;)
			pause();
	}
	close(fds[1]);
	if (read(fds[0], &g, sizeof(g)) != sizeof(g))
		bail("no grandchild");
	close(fds[0]);
	dl = test_in_ms(300);
	is_int(ETIMEDOUT, shmc_mutex_timedlock(m, &dl),
	    "parent holds the lock");
	test_kill(p);
	dl = test_in_ms(5000);
	is_int(EOWNERDEAD, shmc_mutex_timedlock(m, &dl),
	    "...killed while its child lives: EOWNERDEAD");
	is_int(0, kill(g, 0), "...the child is still alive");
	shmc_mutex_consistent(m);
	shmc_mutex_unlock(m);
	kill(g, SIGKILL);
	shmc_mutex_close(m);

	/* Two handles in one process share one mapping and participant. */
	m = open_mutex("two", SHMC_CREAT, 0, 0);
	m2 = open_mutex("two", 0, 0, 0);
	ok(m->seg == m2->seg, "two handles share one segment");
	is_int(0, shmc_mutex_lock(m), "lock through the first handle");
	is_int(EDEADLK, shmc_mutex_trylock(m2), "...the second is the owner");
	is_int(1, live(m), "...one live participant");
	shmc_mutex_close(m2);
	is_int(1, live(m), "...still one after closing the second");
	is_int(0, shmc_mutex_unlock(m), "...unlock through the first");
	shmc_mutex_close(m);

	/* The tick: the attribute, else SHMCONC_TICK_MS, else 100 ms. */
	unsetenv("SHMCONC_TICK_MS");
	m = open_mutex(NULL, SHMC_CREAT, 0, 0);
	is_int(100, m->tick_ms, "default tick is 100 ms");
	shmc_mutex_close(m);
	setenv("SHMCONC_TICK_MS", "7", 1);
	m = open_mutex(NULL, SHMC_CREAT, 0, 0);
	is_int(7, m->tick_ms, "SHMCONC_TICK_MS sets it");
	shmc_mutex_close(m);
	m = open_mutex(NULL, SHMC_CREAT, 0, 33);
	is_int(33, m->tick_ms, "the attribute wins");
	shmc_mutex_close(m);
	return 0;
}
