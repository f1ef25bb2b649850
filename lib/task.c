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
#include <fcntl.h>
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

/*
 * The child side of a process task; never returns.  With
 * SHMC_DIE_WITH_PARENT, arm the death signal and then tell the parent
 * through ready, a pipe it waits on: the signal fires when the thread that
 * forked us ends, so that thread must still be there when it is armed.  If
 * the whole parent process died even before that, we were reparented, and
 * go the way the signal would have taken us.
 */
static void
run_child(struct shmc_task *t, pid_t parent, int ready)
{
	int rc;

	if (t->flags & SHMC_DIE_WITH_PARENT) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 ||
		    getppid() != parent)
			raise(SIGKILL);
		(void)write(ready, "", 1);
		close(ready);
	}
	rc = t->fn(t->arg);
	fflush(NULL);
	_exit(rc & 0xff);
}

/* Fork a process task; see run_child for the SHMC_DIE_WITH_PARENT pipe. */
static int
spawn_process(struct shmc_task *t)
{
	int ready[2] = { -1, -1 }, r = 0;
	pid_t parent = getpid();
	ssize_t n;
	char c;

	if ((t->flags & SHMC_DIE_WITH_PARENT) && pipe2(ready, O_CLOEXEC) < 0)
		return errno == ENFILE || errno == EMFILE ? EAGAIN : errno;
	fflush(NULL);
	t->pid = fork();
	if (t->pid == 0) {
		if (ready[0] >= 0)
			close(ready[0]);
		run_child(t, parent, ready[1]);
	}
	if (t->pid < 0)
		r = errno == ENOMEM ? ENOMEM : EAGAIN;
	if (ready[0] >= 0) {
		close(ready[1]);
		/* One byte, or end of file if the child died first. */
		do
			n = read(ready[0], &c, 1);
		while (n < 0 && errno == EINTR);
		close(ready[0]);
	}
	return r;
}

int
shmc_task_spawn(int flags, int (*fn)(void *), void *arg,
    struct shmc_task **out)
{
	struct shmc_task *t;
	int mode, r;

	mode = flags & (SHMC_PROCESS | SHMC_THREAD);
	if ((mode != SHMC_PROCESS && mode != SHMC_THREAD) ||
	    (flags & ~(mode | SHMC_DIE_WITH_PARENT)) != 0)
		return EINVAL;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return ENOMEM;
	t->flags = flags;
	t->fn = fn;
	t->arg = arg;
	if (mode == SHMC_THREAD)
		r = pthread_create(&t->thread, NULL, trampoline, t);
	else
		r = spawn_process(t);
	if (r != 0) {
		free(t);
		return r;
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
