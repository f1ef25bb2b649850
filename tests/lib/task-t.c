/*
 * Tests for shmc_task (lib/task.c): the same function run in a process or
 * in a thread, its exit status, its process ID, mutual exclusion through a
 * shared mutex in both modes, SHMC_DIE_WITH_PARENT, and what a process task
 * does with stdio buffers and atexit handlers.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmconc.h"
#include "tests/tap/basic.h"
#include "tests/tap/shmc.h"

/* The increments of each of the four tasks of the mutual exclusion test. */
#define INCREMENTS      100000

/* Plain data shared by the test and its process tasks. */
struct shared {
	long counter;           /* incremented under the mutex */
	int inside;             /* tasks inside the critical section */
	int overlap;            /* set if two were ever inside together */
	pid_t pid;              /* a task's own idea of its process ID */
};

static struct shared *sh;
static struct shmc_mutex *lock;

static int
return_42(void *arg)
{
	(void)arg;
	return 42;
}

static int
return_300(void *arg)
{
	(void)arg;
	return 300;
}

static int
return_minus_1(void *arg)
{
	(void)arg;
	return -1;
}

/* Abort, without leaving a core file behind. */
static int
call_abort(void *arg)
{
	struct rlimit rl = { 0, 0 };

	(void)arg;
	(void)setrlimit(RLIMIT_CORE, &rl);
	abort();
}

static int
raise_kill(void *arg)
{
	(void)arg;
	raise(SIGKILL);
	return 0;
}

static int
store_pid(void *arg)
{
	(void)arg;
	__atomic_store_n(&sh->pid, getpid(), __ATOMIC_SEQ_CST);
	return 0;
}

/* INCREMENTS increments of the shared counter under the mutex. */
static int
count(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < INCREMENTS; i++) {
		if (shmc_mutex_lock(lock) != 0)
			return 1;
		if (sh->inside++ != 0)
			sh->overlap = 1;
		sh->counter++;
		sh->inside--;
		if (shmc_mutex_unlock(lock) != 0)
			return 2;
	}
	return 0;
}

/* Say who we are and that we run, on the pipe in arg, then sleep. */
static int
sleeper(void *arg)
{
	int fd = *(int *)arg;
	char c = 'R';

	__atomic_store_n(&sh->pid, getpid(), __ATOMIC_SEQ_CST);
	if (write(fd, &c, 1) != 1)
		return 1;
	for (;;)
		pause();
}

static int
pauser(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	/* NOTREACHED */
	return 0;
}

/* Spawn a SHMC_DIE_WITH_PARENT task into *arg, and end this thread. */
static void *
short_lived(void *arg)
{
	struct shmc_task **t = arg;

	if (shmc_task_spawn(SHMC_PROCESS | SHMC_DIE_WITH_PARENT, pauser, NULL,
	    t) != 0)
		*t = NULL;
	return NULL;
}

/* Print without a newline, leaving the text in the stdio buffer. */
static int
print_t(void *arg)
{
	(void)arg;
	printf("T");
	return 0;
}

static int
return_0(void *arg)
{
	(void)arg;
	return 0;
}

/* An atexit handler that writes a marker straight to standard output. */
static void
marker(void)
{
	ssize_t n;

	n = write(STDOUT_FILENO, "X", 1);
	(void)n;
}

/* Join a task and return its wait(2) status, or bail. */
static int
join(struct shmc_task *t)
{
	int r, status;

	r = shmc_task_join(t, &status);
	if (r != 0)
		bail("cannot join a task: %s", shmc_strerror(r));
	return status;
}

/* Spawn fn in mode flags, join it, and return its wait(2) status. */
static int
run(int flags, int (*fn)(void *))
{
	return join(test_spawn(flags, fn, NULL));
}

/* Wait for process pid and return its status; bail on error. */
static int
reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			sysbail("waitpid %ld", (long)pid);
	return status;
}

/*
 * Fork an intermediate process M that spawns a process task T running
 * sleeper with flags, waits until T runs, and exits.  Returns M's exit
 * status; T's process ID is then in sh->pid, and since we are a child
 * subreaper, T is our child now.
 */
static int
orphan_task(int flags)
{
	struct shmc_task *t;
	int p[2];
	char c;
	pid_t m;

	if (pipe(p) < 0)
		sysbail("cannot create a pipe");
	sh->pid = 0;
	fflush(NULL);
	m = fork();
	if (m < 0)
		sysbail("cannot fork");
	if (m == 0) {
		if (shmc_task_spawn(flags, sleeper, &p[1], &t) != 0)
			_exit(1);
		if (read(p[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	close(p[0]);
	close(p[1]);
	return reap(m);
}

/*
 * Wait up to 2 s for process pid to end, leaving it for a later wait.
 * Returns 1 if it ended.
 */
static int
ends_soon(pid_t pid)
{
	siginfo_t info;
	int i;

	for (i = 0; i < 200; i++) {
		memset(&info, 0, sizeof(info));
		if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG |
		    WNOWAIT) < 0 && errno != EINTR)
			sysbail("waitid %ld", (long)pid);
		if (info.si_pid == pid)
			return 1;
		usleep(10000);
	}
	return 0;
}

/*
 * Run fn in a forked child whose standard output is a pipe, and return what
 * it wrote there (malloc'd).  The child's exit status goes to *status.
 */
static char *
capture(void (*fn)(void), int *status)
{
	char buf[256];
	size_t len = 0;
	ssize_t n;
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		sysbail("cannot create a pipe");
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		sysbail("cannot fork");
	if (pid == 0) {
		close(p[0]);
		if (dup2(p[1], STDOUT_FILENO) < 0)
			_exit(126);
		close(p[1]);
		fn();
		_exit(125);
	}
	close(p[1]);
	while (len < sizeof(buf) - 1) {
		n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(p[0]);
	*status = reap(pid);
	return bstrdup(buf);
}

/*
 * Leave "P" in the stdio buffer, run a process task that prints "T"
 * without a newline, then print "J" and leave: "PTJ" if nothing is lost
 * or written twice.
 */
static void
stdio_scenario(void)
{
	int status;

	printf("P");
	status = join(test_spawn(SHMC_PROCESS, print_t, NULL));
	printf("J");
	fflush(stdout);
	_exit(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1);
}

/*
 * Register an atexit handler that writes "X", run a process task, then
 * exit normally: "X" once if the task did not run the handler.
 */
static void
atexit_scenario(void)
{
	int status;

	if (atexit(marker) != 0)
		_exit(124);
	status = join(test_spawn(SHMC_PROCESS, return_0, NULL));
	exit(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1);
}

int
main(void)
{
	struct shmc_task *t;
	pthread_t thread;
	unsigned int i;
	int j, r, status, good, raw[2][3];
	pid_t pid, tpid;
	char *out;

	test_timeout(60);
	plan(41);
	test_shm_setup();
	sh = test_shared_page(sizeof(*sh));

	/* Flags must name exactly one mode; DIE_WITH_PARENT is optional. */
	is_int(EINVAL, shmc_task_spawn(0, return_42, NULL, &t),
	    "spawn with no mode");
	is_int(EINVAL, shmc_task_spawn(SHMC_PROCESS | SHMC_THREAD, return_42,
	    NULL, &t), "spawn with both modes");
	is_int(EINVAL, shmc_task_spawn(0x100, return_42, NULL, &t),
	    "spawn with an unknown flag");
	is_int(EINVAL, shmc_task_spawn(SHMC_PROCESS | 0x100, return_42, NULL,
	    &t), "...with a mode too");
	is_int(EINVAL, shmc_task_spawn(SHMC_DIE_WITH_PARENT, return_42, NULL,
	    &t), "spawn with only SHMC_DIE_WITH_PARENT");
	r = shmc_task_spawn(SHMC_THREAD | SHMC_DIE_WITH_PARENT, return_42,
	    NULL, &t);
	is_int(0, r, "a thread task accepts SHMC_DIE_WITH_PARENT");
	status = r == 0 ? join(t) : 0;
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 42,
	    "...and runs as usual");

	/* The return value of fn becomes a wait(2) exit status. */
	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		raw[i][0] = status = run(test_modes[i].flags, return_42);
		ok(WIFEXITED(status), "%s task returning 42 exits",
		    test_modes[i].name);
		is_int(42, WEXITSTATUS(status), "...with status 42");
		raw[i][1] = status = run(test_modes[i].flags, return_300);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == (300 & 0xff),
		    "%s task returning 300 exits with 300 & 0xff",
		    test_modes[i].name);
		raw[i][2] = status = run(test_modes[i].flags, return_minus_1);
		ok(WIFEXITED(status) && WEXITSTATUS(status) == 255,
		    "%s task returning -1 exits with 255", test_modes[i].name);
	}
	ok(memcmp(raw[0], raw[1], sizeof(raw[0])) == 0,
	    "thread and process statuses are the same numbers");
	t = test_spawn(SHMC_PROCESS, return_42, NULL);
	is_int(0, shmc_task_join(t, NULL), "join with no status");

	/* A process task killed by a signal is reported as such. */
	status = run(SHMC_PROCESS, call_abort);
	ok(WIFSIGNALED(status), "process task calling abort is signalled");
	is_int(SIGABRT, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
	    "...by SIGABRT");
	status = run(SHMC_PROCESS, raise_kill);
	ok(WIFSIGNALED(status), "process task raising SIGKILL is signalled");
	is_int(SIGKILL, WIFSIGNALED(status) ? WTERMSIG(status) : 0,
	    "...by SIGKILL");

	/* shmc_task_pid names the child of a process task only. */
	sh->pid = 0;
	t = test_spawn(SHMC_PROCESS, store_pid, NULL);
	pid = 0;
	is_int(0, shmc_task_pid(t, &pid), "pid of a process task");
	status = join(t);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    pid != getpid() && pid == sh->pid, "...is the child's own pid");
	t = test_spawn(SHMC_THREAD, return_42, NULL);
	is_int(EINVAL, shmc_task_pid(t, &pid), "pid of a thread task");
	(void)join(t);

	/*
	 * Mutual exclusion, the same function as processes and as threads:
	 * 4 participants x 100000 increments give exactly 400000.
	 */
	r = shmc_mutex_open(NULL, 0, NULL, &lock);
	if (r != 0)
		bail("cannot open an anonymous mutex: %s", shmc_strerror(r));
	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		struct shmc_task *tasks[4];

		sh->counter = 0;
		sh->inside = 0;
		sh->overlap = 0;
		for (j = 0; j < 4; j++)
			tasks[j] = test_spawn(test_modes[i].flags, count, NULL);
		good = 0;
		for (j = 0; j < 4; j++) {
			status = join(tasks[j]);
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
				good++;
		}
		is_int(4, good, "four %s tasks increment a counter",
		    test_modes[i].name);
		is_int(4L * INCREMENTS, sh->counter,
		    "...to exactly 4 x %d", INCREMENTS);
		is_int(0, sh->overlap, "...never two inside at once");
	}
	shmc_mutex_close(lock);

	/*
	 * SHMC_DIE_WITH_PARENT: an intermediate process M spawns T and exits.
	 * As a child subreaper we inherit T and can reap it.
	 */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		sysbail("cannot become a child subreaper");
	status = orphan_task(SHMC_PROCESS | SHMC_DIE_WITH_PARENT);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "parent of a SHMC_DIE_WITH_PARENT task exits");
	tpid = __atomic_load_n(&sh->pid, __ATOMIC_SEQ_CST);
	status = 0;
	r = 0;
	if (tpid > 0)
		for (j = 0; j < 200; j++) {
			r = waitpid(tpid, &status, WNOHANG);
			if (r != 0)
				break;
			usleep(10000);
		}
	ok(r == tpid && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "...the task is killed within 2 s");
	ok(tpid > 0 && kill(tpid, 0) < 0 && errno == ESRCH, "...and is gone");
	if (tpid > 0 && r == 0)
		test_kill(tpid);
	status = orphan_task(SHMC_PROCESS);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "parent of a plain process task exits");
	tpid = __atomic_load_n(&sh->pid, __ATOMIC_SEQ_CST);
	usleep(200000);
	ok(tpid > 0 && kill(tpid, 0) == 0 && waitpid(tpid, &status,
	    WNOHANG) == 0, "...the task survives it");
	if (tpid > 0) {
		kill(tpid, SIGKILL);
		status = reap(tpid);
	}
	ok(tpid > 0 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "...until we kill it");

	/*
	 * SHMC_DIE_WITH_PARENT follows the spawning thread: a task spawned by
	 * a thread that ends at once dies with it, though the process lives.
	 */
	if (pthread_create(&thread, NULL, short_lived, &t) != 0 ||
	    pthread_join(thread, NULL) != 0 || t == NULL)
		bail("cannot spawn a task from a thread");
	if (shmc_task_pid(t, &tpid) != 0)
		bail("no pid");
	r = ends_soon(tpid);
	if (!r)
		kill(tpid, SIGKILL);
	status = join(t);
	ok(r && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	    "a SHMC_DIE_WITH_PARENT task dies with its spawning thread");

	/* Stdio buffers are neither lost nor doubled; atexit stays home. */
	out = capture(stdio_scenario, &status);
	is_string("PTJ", out, "process task output appears exactly once");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "...and the task exits 0");
	free(out);
	out = capture(atexit_scenario, &status);
	is_string("X", out, "atexit handlers do not run in a process task");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "...and the task exits 0");
	free(out);
	return 0;
}
