/*
 * Tasks: the private representation of a spawned process or thread.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef SHMC_TASK_H
#define SHMC_TASK_H 1

#include <pthread.h>            /* pthread_t */
#include <sys/types.h>          /* pid_t */

struct shmc_task {
	int flags;
	pid_t pid;                      /* SHMC_PROCESS */
	pthread_t thread;               /* SHMC_THREAD */
	int (*fn)(void *);
	void *arg;
	int ret;                        /* fn's result, for a thread */
};

#endif /* SHMC_TASK_H */
