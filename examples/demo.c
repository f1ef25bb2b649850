/*
 * demo: processes sharing a robust mutex and a condition variable, and
 * one of them killed with SIGKILL while it holds the mutex.
 *
 * Four worker processes add to a counter under a shmconc mutex; a fifth
 * takes the mutex and is killed while holding it.  The next worker to lock
 * is told EOWNERDEAD, checks the counter, marks the mutex consistent and
 * carries on.  The main process sleeps on a condition variable until the
 * workers report that they are done.  Nothing hangs and nothing is lost.
 *
 * Usage: demo [-n INCREMENTS]
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <shmconc.h>

#define NWORKERS        4

/* Plain shared memory for the data the mutex protects. */
struct state {
	long counter;           /* the protected counter */
	long in_flight;         /* counter value a holder is about to store */
	int finished;           /* workers done */
};

static struct state *st;
static int victim_pipe[2];
static struct shmc_mutex *mutex;
static struct shmc_cond *cond;
static long increments = 100000;

static void
die(const char *what, int err)
{
	fprintf(stderr, "demo: %s: %s\n", what, shmc_strerror(err));
	exit(1);
}

/*
 * Lock, repairing the state if the previous owner died while holding it:
 * an increment it had started (in_flight) is rolled back.
 */
static void
lock(const char *who)
{
	int r = shmc_mutex_lock(mutex);

	if (r == EOWNERDEAD) {
		printf("  %s (pid %ld): previous owner died holding the "
		    "mutex; counter %ld is intact, marking it consistent\n",
		    who, (long)getpid(), st->counter);
		st->in_flight = 0;
		r = shmc_mutex_consistent(mutex);
	}
	if (r != 0)
		die("lock", r);
}

static void
unlock(void)
{
	int r = shmc_mutex_unlock(mutex);

	if (r != 0)
		die("unlock", r);
}

static int
worker(void *arg)
{
	char who[32];
	long i;

	snprintf(who, sizeof(who), "worker %ld", (long)arg);
	for (i = 0; i < increments; i++) {
		lock(who);
		st->in_flight = st->counter + 1;
		st->counter = st->in_flight;
		st->in_flight = 0;
		unlock();
	}
	lock(who);
	st->finished++;
	unlock();
	shmc_cond_signal(cond);
	return 0;
}

/*
 * Take the mutex, say so, and wait to be killed.  It says so on a pipe:
 * nobody else can take the mutex to look at shared state while it holds it.
 */
static int
victim(void *arg)
{
	(void)arg;
	lock("victim");
	if (write(victim_pipe[1], "", 1) != 1)
		return 1;
	for (;;)
		pause();
	return 0;
}

int
main(int argc, char **argv)
{
	struct shmc_task *tasks[NWORKERS], *vt;
	char lname[64], cname[64], c;
	pid_t vpid;
	long i;
	int r, status, opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n' || (increments = atol(optarg)) <= 0) {
			fprintf(stderr, "usage: demo [-n INCREMENTS]\n");
			return 64;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (st == MAP_FAILED)
		die("mmap", errno);

	/* Named objects, as unrelated processes would use them. */
	snprintf(lname, sizeof(lname), "demo-%ld.lock", (long)getpid());
	snprintf(cname, sizeof(cname), "demo-%ld.cond", (long)getpid());
	if ((r = shmc_mutex_open(lname, SHMC_CREAT | SHMC_EXCL, NULL,
	    &mutex)) != 0)
		die(lname, r);
	if ((r = shmc_cond_open(cname, SHMC_CREAT | SHMC_EXCL, NULL,
	    &cond)) != 0)
		die(cname, r);
	printf("shmconc demo: %d processes share the mutex %s and the "
	    "condition variable %s\n", NWORKERS + 1, lname, cname);

	/* The victim takes the mutex; we wait until it holds it. */
	if (pipe(victim_pipe) < 0)
		die("pipe", errno);
	if ((r = shmc_task_spawn(SHMC_PROCESS, victim, NULL, &vt)) != 0)
		die("spawn", r);
	shmc_task_pid(vt, &vpid);
	if (read(victim_pipe[0], &c, 1) != 1)
		die("victim", EPIPE);
	printf("  the victim (pid %ld) holds the mutex\n", (long)vpid);
	printf("  %d workers start, each to add %ld under the mutex\n",
	    NWORKERS, increments);

	for (i = 0; i < NWORKERS; i++)
		if ((r = shmc_task_spawn(SHMC_PROCESS, worker, (void *)(i + 1),
		    &tasks[i])) != 0)
			die("spawn", r);
	printf("  main: kill -9 %ld (the victim, holding the mutex)\n",
	    (long)vpid);
	kill(vpid, SIGKILL);
	shmc_task_join(vt, &status);

	/* Sleep on the condition variable until every worker is done. */
	lock("main");
	while (st->finished < NWORKERS)
		if ((r = shmc_cond_wait(cond, mutex)) != 0)
			die("cond wait", r);
	unlock();
	printf("  main: woken by the condition variable: %d workers "
	    "finished\n", st->finished);
	for (i = 0; i < NWORKERS; i++)
		shmc_task_join(tasks[i], &status);

	printf("counter = %ld (expected %d x %ld = %ld): %s\n", st->counter,
	    NWORKERS, increments, NWORKERS * increments,
	    st->counter == NWORKERS * increments ? "nothing lost" : "WRONG");
	shmc_cond_close(cond);
	shmc_mutex_close(mutex);
	shmc_cond_unlink(cname);
	shmc_mutex_unlink(lname);
	return st->counter == NWORKERS * increments ? 0 : 1;
}
