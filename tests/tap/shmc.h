/*
 * Helpers for tests of shmconc objects.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef TAP_SHMC_H
#define TAP_SHMC_H 1

#include <sys/types.h>          /* pid_t */

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
 * Wait until process pid has stopped (at a stop point: SHMCONC_STOP) and
 * return 1, or return 0 if it exited or died instead.  Bails on errors.
 */
int test_wait_stopped(pid_t pid);

/* SIGKILL pid and reap it. */
void test_kill(pid_t pid);

#endif /* TAP_SHMC_H */
