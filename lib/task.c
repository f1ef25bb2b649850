/*
 * Tasks: run the same function in a new process or in a new thread.
 *
 * This is the seam where shmconc contrasts heavyweight processes with
 * lightweight threads: shmc_task_spawn(SHMC_PROCESS, fn, arg) forks and
 * runs fn in the child, shmc_task_spawn(SHMC_THREAD, fn, arg) runs it in a
 * new pthread, and shmc_task_join reports either as a wait(2) status.
 * Shared objects work the same in both: a forked child attaches as a
 * participant of its own (see peer.c), and so does each thread.
 *
 * A process task flushes stdio before fork, so that buffered output is not
 * written twice, and leaves with _exit, so that the parent's atexit
 * handlers (a test harness's summary, say) do not run in the child.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/prctl.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "shmconc.h"
#include "task.h"

static void *
trampoline(void *p)
{
	struct shmc_task *t = p;

	t->ret = t->fn(t->arg);
	return NULL;
}

/* The child side of a process task; never returns. */
static void
run_child(struct shmc_task *t, pid_t parent)
{
	int rc;

	if (t->flags & SHMC_DIE_WITH_PARENT) {
		/*
		 * The death signal fires when the thread that forked us
		 * ends.  If it ended before the prctl, getppid no longer
		 * names it, and we go the way the signal would have taken us.
		 */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
		    getppid() != parent)
			raise(SIGKILL);
	}
	rc = t->fn(t->arg);
	fflush(NULL);
	_exit(rc & 0xff);
}

int
shmc_task_spawn(int flags, int (*fn)(void *), void *arg,
    struct shmc_task **out)
{
	struct shmc_task *t;
	int mode, r;
	pid_t parent;

	mode = flags & (SHMC_PROCESS | SHMC_THREAD);
	if ((flags & ~(SHMC_PROCESS | SHMC_THREAD | SHMC_DIE_WITH_PARENT)) != 0 ||
	    (mode != SHMC_PROCESS && mode != SHMC_THREAD))
		return EINVAL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return ENOMEM;
	t->flags = flags;
	t->fn = fn;
	t->arg = arg;
	if (mode == SHMC_THREAD) {
		r = pthread_create(&t->thread, NULL, trampoline, t);
		if (r != 0) {
			free(t);
			return r;
		}
	} else {
		parent = getpid();
		fflush(NULL);
		t->pid = fork();
		if (t->pid < 0) {
			r = errno;
			free(t);
			return r == ENOMEM ? ENOMEM : EAGAIN;
		}
		if (t->pid == 0)
			run_child(t, parent);
	}
	*out = t;
	return 0;
}

int
shmc_task_join(struct shmc_task *t, int *status)
{
	int st = 0, r = 0;
	pid_t p;

	if (t->flags & SHMC_THREAD) {
		r = pthread_join(t->thread, NULL);
		if (r == 0)
			st = (t->ret & 0xff) << 8;
	} else {
		do
			p = waitpid(t->pid, &st, 0);
		while (p < 0 && errno == EINTR);
		if (p < 0)
			r = errno;
	}
	if (r == 0 && status != NULL)
		*status = st;
	free(t);
	return r;
}

int
shmc_task_pid(const struct shmc_task *t, pid_t *pid)
{
	if (!(t->flags & SHMC_PROCESS))
		return EINVAL;
	*pid = t->pid;
	return 0;
}
