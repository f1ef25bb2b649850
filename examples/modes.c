/*
 * modes: the same workers as processes, then with -t as threads.
 *
 * Four workers each add up a quarter of 1..4000 and send their sum,
 * with their process ID, through an anonymous shmconc channel to main,
 * which prints the total.  The only difference between the two modes is
 * the flag given to shmc_task_spawn, and the output shows what it
 * changes: processes have pids of their own and private copies of every
 * global variable, so main never sees their writes to one; threads share
 * main's pid and its memory; and a thread starts faster.  The channel
 * works the same both ways.
 *
 * Usage: modes [-t]
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include <sys/wait.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <shmconc.h>

#define NWORKERS        4
#define PER_WORKER      1000LL  /* numbers each worker adds */

/* What a worker sends to main. */
struct result {
	long long sum;
	long pid;
	int worker;
};

static struct shmc_chan *chan;  /* inherited by processes, shared by threads */
static atomic_int touched;      /* plain memory, not shared by processes */

static void
die(const char *what, int err)
{
	fprintf(stderr, "modes: %s: %s\n", what, shmc_strerror(err));
	exit(1);
}

/* Worker n (1..NWORKERS): add up its quarter and send the sum to main. */
static int
work(void *arg)
{
	struct result res;
	long long i;
	int r;

	res.worker = (int)(intptr_t)arg;
	res.pid = (long)getpid();
	res.sum = 0;
	for (i = (res.worker - 1) * PER_WORKER + 1;
	    i <= res.worker * PER_WORKER; i++)
		res.sum += i;
	atomic_fetch_add(&touched, 1);
	if ((r = shmc_chan_send(chan, &res, sizeof(res))) != 0)
		die("send", r);
	return 0;
}

int
main(int argc, char **argv)
{
	struct shmc_task *task[NWORKERS];
	struct shmc_attr attr;
	struct result res;
	struct timespec t0, t1, dl;
	long long total = 0, n = NWORKERS * PER_WORKER;
	long pid[NWORKERS], self = (long)getpid();
	size_t len;
	int flags = SHMC_PROCESS, opt, i, k, r, status, distinct = 0, mine = 0;

	while ((opt = getopt(argc, argv, "t")) != -1 && opt == 't')
		flags = SHMC_THREAD;
	if (opt != -1 || optind != argc) {
		fprintf(stderr, "usage: modes [-t]\n");
		return 64;
	}
	attr = (struct shmc_attr){ .size = sizeof(res), .capacity = NWORKERS };
	if ((r = shmc_chan_open(NULL, SHMC_CREAT | SHMC_SENDER |
	    SHMC_RECEIVER, &attr, &chan)) != 0)
		die("channel", r);
	printf("modes: %d workers as %s, main pid %ld\n", NWORKERS,
	    flags == SHMC_PROCESS ? "processes" : "threads", self);
	/* A process task would flush its copy of anything left buffered. */
	fflush(stdout);

	/* Time the spawns: a fork copies page tables, a thread maps a stack. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < NWORKERS; i++)
		if ((r = shmc_task_spawn(flags, work, (void *)(intptr_t)(i + 1),
		    &task[i])) != 0)
			die("spawn", r);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	/* A worker that died before it sent would leave main waiting. */
	clock_gettime(CLOCK_MONOTONIC, &dl);
	dl.tv_sec += 10;
	for (i = 0; i < NWORKERS; i++) {
		if ((r = shmc_chan_timedrecv(chan, &res, sizeof(res), &len,
		    &dl)) != 0)
			die("receive", r);
		printf("  worker %d: pid %ld, sum %lld\n", res.worker, res.pid,
		    res.sum);
		total += res.sum;
		pid[i] = res.pid;
		for (k = 0; k < i && pid[k] != pid[i]; k++)
			continue;
		distinct += k == i;
		mine += pid[i] == self;
	}
	for (i = 0; i < NWORKERS; i++) {
		if ((r = shmc_task_join(task[i], &status)) != 0)
			die("join", r);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "modes: worker %d failed\n", i + 1);
			return 1;
		}
	}
	shmc_chan_close(chan);

	printf("pids: %d distinct, %d of them main's: %s\n", distinct, mine,
	    flags == SHMC_PROCESS ? "a process each" : "threads of main");
	printf("touched: %d (a global each worker added 1 to, seen by main: "
	    "%s)\n", atomic_load(&touched), flags == SHMC_PROCESS ?
	    "each process had a copy" : "threads share it");
	printf("start: %.1f us per worker\n", ((t1.tv_sec - t0.tv_sec) * 1e9 +
	    (t1.tv_nsec - t0.tv_nsec)) / 1e3 / NWORKERS);
	printf("total: %lld (expected %lld)\n", total, n * (n + 1) / 2);
	return total == n * (n + 1) / 2 ? 0 : 1;
}
