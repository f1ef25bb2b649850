/*
 * Helpers for tests of shmconc objects.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmconc.h"
#include "tests/tap/basic.h"
#include "tests/tap/shmc.h"

const struct test_mode test_modes[2] = {
	{ SHMC_PROCESS, "process" },
	{ SHMC_THREAD, "thread" },
};

static char shm_dir[64];

/* Remove every file of the private directory, then the directory. */
static void
shm_cleanup(int success, int primary)
{
	DIR *d;
	struct dirent *e;
	char path[512];

	(void)success;
	if (!primary || shm_dir[0] == '\0')
		return;
	d = opendir(shm_dir);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", shm_dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(shm_dir);
}

void
test_shm_setup(void)
{
	snprintf(shm_dir, sizeof(shm_dir), "/dev/shm/shmconc-test.XXXXXX");
	if (mkdtemp(shm_dir) == NULL)
		sysbail("cannot create %s", shm_dir);
	if (setenv("SHMCONC_DIR", shm_dir, 1) < 0)
		sysbail("cannot set SHMCONC_DIR");
	test_cleanup_register(shm_cleanup);
}

char *
test_shm_path(const char *name)
{
	if (*name == '/')
		name++;
	return basprintf("%s/shmconc.%s", shm_dir, name);
}

int
test_shm_count(void)
{
	DIR *d;
	struct dirent *e;
	int n = 0;

	d = opendir(shm_dir);
	if (d == NULL)
		sysbail("cannot open %s", shm_dir);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

void *
test_shared_page(size_t size)
{
	void *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		sysbail("cannot map a shared page");
	return p;
}

int
test_wait_stopped(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, WUNTRACED) < 0)
		if (errno != EINTR)
			sysbail("waitpid %ld", (long)pid);
	return WIFSTOPPED(st);
}

void
test_kill(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

int
test_exit_code(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		sysbail("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

pid_t
test_fork(int (*fn)(void *), void *arg)
{
	pid_t pid;

	pid = fork();
	if (pid < 0)
		sysbail("fork");
	if (pid == 0)
		_exit(fn(arg) & 0xff);
	return pid;
}

int
test_reap(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			sysbail("waitpid");
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

struct shmc_task *
test_spawn(int flags, int (*fn)(void *), void *arg)
{
	struct shmc_task *t;
	int r;

	r = shmc_task_spawn(flags, fn, arg, &t);
	if (r != 0)
		bail("cannot spawn a task: %s", shmc_strerror(r));
	return t;
}

int
test_join(struct shmc_task *t)
{
	int r, status;

	r = shmc_task_join(t, &status);
	if (r != 0)
		bail("cannot join a task: %s", shmc_strerror(r));
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return -1;
}

/* Add ms to now, carrying into seconds either way. */
struct timespec
test_in_ms(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec < 0) {
		ts.tv_sec--;
		ts.tv_nsec += 1000000000L;
	}
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

long
test_ms_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000L +
	    (b->tv_nsec - a->tv_nsec) / 1000000L;
}

int
test_not_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec >= b->tv_nsec);
}
