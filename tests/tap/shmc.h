/*
 * Helpers for tests of shmconc objects.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef TAP_SHMC_H
#define TAP_SHMC_H 1

#include <sys/types.h>          /* pid_t */

#include <time.h>               /* struct timespec */

struct shmc_task;

/*
 * Point SHMCONC_DIR at a new private directory under /dev/shm, removed
 * with its contents when the test ends, so that tests never see or leave
 * objects of anyone else.  Call once, after plan().
 */
void test_shm_setup(void);

/* The path of the file of object name in that directory (malloc'd). */
char *test_shm_path(const char *name)
    __attribute__((__malloc__, __nonnull__, __warn_unused_result__));

/* How many files the private directory holds now. */
int test_shm_count(void);

/*
 * A new anonymous MAP_SHARED mapping of size bytes, zero-filled, for
 * plain data the test shares with the peers it spawns or forks after.
 * Bails on errors.
 */
void *test_shared_page(size_t size) __attribute__((__warn_unused_result__));

/*
 * Wait until process pid has stopped (at a stop point: SHMCONC_STOP) and
 * return 1, or return 0 if it exited or died instead.  Bails on errors.
 */
int test_wait_stopped(pid_t pid);

/* SIGKILL pid and reap it. */
void test_kill(pid_t pid);

/*
 * Reap process pid: its exit status, or 128 plus the number of the
 * signal that killed it.  Bails on errors.
 */
int test_exit_code(pid_t pid);

/*
 * Fork a child that runs fn(arg) and exits with its value (& 0xff), or
 * bail.  test_reap reaps it: its exit status, or 1000 plus the number of
 * the signal that killed it, which no errno value a child returns can be
 * mistaken for.
 */
pid_t test_fork(int (*fn)(void *), void *arg);
int test_reap(pid_t pid);

/*
 * The two modes of shmc_task_spawn, with the word test descriptions use
 * for each, so that a scenario can run with peers of both kinds.
 */
struct test_mode {
	int flags;
	const char *name;
};
extern const struct test_mode test_modes[2];

/*
 * Spawn fn(arg) as a task in mode flags, or bail.  test_join joins it and
 * returns its exit status, or 128 plus the number of the signal that
 * killed it; it bails on errors.
 */
struct shmc_task *test_spawn(int flags, int (*fn)(void *), void *arg);
int test_join(struct shmc_task *t);

/*
 * Deadlines.  test_in_ms is the CLOCK_MONOTONIC time ms milliseconds from
 * now (in the past for a negative ms).  test_ms_between is the
 * milliseconds from a to b, and test_not_before whether a is at or after
 * b.
 */
struct timespec test_in_ms(long ms);
long test_ms_between(const struct timespec *a, const struct timespec *b);
int test_not_before(const struct timespec *a, const struct timespec *b);

#endif /* TAP_SHMC_H */
