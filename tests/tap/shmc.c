/*
 * Helpers for tests of shmconc objects.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/tap/basic.h"
#include "tests/tap/shmc.h"

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
