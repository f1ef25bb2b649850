/*
 * Self-test for the TAP library in tests/tap.
 *
 * Run with no arguments, this is an ordinary test program.  Some behaviour
 * (failures, the exit summary, bail, the timeout, cleanup functions) can only
 * be seen from outside a test program, so the program also has modes, named
 * by its first argument, in which it acts as a small test program of its
 * own; the main run executes itself in each mode and checks what it printed
 * and how it exited.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/tap/basic.h"
#include "tests/tap/process.h"

/* How a run of this program in one mode must behave. */
struct mode {
	const char	*name;
	int		 exit;
	const char	*out;
	const char	*err;
};

static const struct mode modes[] = {
	{ "fail", 1,
	  "1..4\nok 1 - a\nok 2\nnot ok 3 - b\nnot ok 4 - c\n",
	  "#     wanted: 1\n#       seen: 2\n"
	  "# Looks like you failed 2 tests of 4\n" },
	{ "short", 1,
	  "1..3\nok 1 - a\n",
	  "# Looks like you planned 3 tests but ran 1\n" },
	{ "skipall", 0, "1..0 # SKIP no reason\n", "" },
	{ "bail", 255, "1..2\nok 1 - a\nBail out! oops 5\n", "" },
	{ "timeout", 255, "1..1\nBail out! timed out after 1 seconds\n", "" },
	{ "blocks", 0,
	  "1..6\nok 1 # skip why 1\nok 2 # skip\nok 3 # skip many\n"
	  "ok 4 # skip many\nok 5 - blk x\nok 6 - blk x\n", "" },
	{ "cleanup", 0,
	  "1..2\nok 1 - a\nB 0 0\nA 0 0\nok 2 - b\nB 1 1\nA 1 1\n", "" },
	{ "diags", 1,
	  "1..3\nnot ok 1 - s\nnot ok 2 - h\nnot ok 3 - c\n",
	  "#     wanted: a\n"
	  "#             b\n"
	  "#       seen: a\n"
	  "#             \n"
	  "#     wanted: 0xff\n"
	  "#       seen: 0x10\n"
	  "#       wanted exit: 0\n"
	  "#         seen exit: exit 2\n"
	  "#     wanted stdout: x\n"
	  "#                    \n"
	  "#       seen stdout: y\n"
	  "#                    \n"
	  "#       seen stderr: e\n"
	  "#                    \n"
	  "# Looks like you failed 3 tests of 3\n" },
};

/* Cleanup functions for the cleanup mode, showing their order and flags. */
static void
cleanup_a(int success, int primary)
{
	printf("A %d %d\n", success, primary);
	fflush(stdout);
}

static void
cleanup_b(int success, int primary)
{
	printf("B %d %d\n", success, primary);
	fflush(stdout);
}

/*
 * Act as the small test program for one mode.  Returns the exit status, or
 * does not return at all in the modes that bail or skip.
 */
static int
run_mode(const char *name)
{
	static const char *const sh_argv[] = {
		"sh", "-c", "echo y; echo e >&2; exit 2", NULL
	};
	pid_t pid;

	if (strcmp(name, "fail") == 0) {
		plan(4);
		ok(1, "a");
		ok(1, NULL);
		ok(0, "b");
		is_int(1, 2, "c");
	} else if (strcmp(name, "short") == 0) {
		plan(3);
		ok(1, "a");
	} else if (strcmp(name, "skipall") == 0) {
		skip_all("no %s", "reason");
	} else if (strcmp(name, "bail") == 0) {
		plan(2);
		ok(1, "a");
		bail("oops %d", 5);
	} else if (strcmp(name, "timeout") == 0) {
		test_timeout(1);
		plan(1);
		for (;;)
			pause();
	} else if (strcmp(name, "blocks") == 0) {
		plan(6);
		skip("why %d", 1);
		skip(NULL);
		skip_block(2, "many");
		ok_block(2, 1, "blk %s", "x");
	} else if (strcmp(name, "cleanup") == 0) {
		plan(2);
		test_cleanup_register(cleanup_a);
		test_cleanup_register(cleanup_b);
		ok(1, "a");
		if ((pid = fork()) < 0)
			sysbail("fork");
		if (pid == 0)
			exit(0);
		if (waitpid(pid, NULL, 0) != pid)
			sysbail("waitpid");
		ok(1, "b");
	} else if (strcmp(name, "diags") == 0) {
		plan(3);
		is_string("a\nb", "a\n", "s");
		is_hex(0xff, 0x10, "h");
		is_command(0, "x\n", sh_argv, "c");
	} else
		bail("unknown mode %s", name);
	return 0;
}

/* Run this program in every mode and check its output and exit status. */
static void
test_modes(const char *self)
{
	const char *argv[3];
	char *out, *err;
	size_t i;
	int rc, status;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		argv[0] = self;
		argv[1] = modes[i].name;
		argv[2] = NULL;
		rc = run_command(argv, NULL, 0, &out, NULL, &err, NULL,
		    &status);
		if (rc != 0)
			bail("cannot run %s %s: %s", self, modes[i].name,
			    strerror(rc));
		ok(WIFEXITED(status) && WEXITSTATUS(status) == modes[i].exit,
		    "mode %s exits with %d", modes[i].name, modes[i].exit);
		is_string(modes[i].out, out, "mode %s standard output",
		    modes[i].name);
		is_string(modes[i].err, err, "mode %s standard error",
		    modes[i].name);
		free(out);
		free(err);
	}
}

/* Check the allocation helpers. */
static void
test_alloc(void)
{
	unsigned char *zeroes;
	char *s;
	size_t i;
	int clear = 1;

	s = basprintf("%d-%s", 7, "x");
	is_string("7-x", s, "basprintf");
	free(s);
	s = bstrdup("copy");
	is_string("copy", s, "bstrdup");
	free(s);
	zeroes = bcalloc(16, 4);
	for (i = 0; i < 64; i++)
		if (zeroes[i] != 0)
			clear = 0;
	ok(clear, "bcalloc returns zeroed memory");
	free(zeroes);
	s = bmalloc(3);
	memcpy(s, "ab", 3);
	is_string("ab", s, "bmalloc");
	free(s);
}

/* Check run_command() on simple commands. */
static void
test_run_command(void)
{
	static const char *const echo_argv[] = { "/bin/echo", "hello", NULL };
	static const char *const err_argv[] = {
		"sh", "-c", "printf err >&2; exit 3", NULL
	};
	static const char *const missing_argv[] = {
		"/nonexistent/shmconc-no-such-program", NULL
	};
	char *out, *err;
	size_t outlen, errlen;
	int rc, status;

	rc = run_command(echo_argv, NULL, 0, &out, &outlen, &err, &errlen,
	    &status);
	is_int(0, rc, "run_command echo succeeds");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "echo exits 0");
	is_string("hello\n", out, "echo output");
	is_int(6, (long)outlen, "echo output length");
	is_string("", err, "echo prints nothing on standard error");
	free(out);
	free(err);

	rc = run_command(err_argv, NULL, 0, &out, &outlen, &err, &errlen,
	    &status);
	is_int(0, rc, "run_command sh succeeds");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 3, "sh exits 3");
	is_string("", out, "sh prints nothing on standard output");
	is_string("err", err, "sh standard error");
	is_int(3, (long)errlen, "sh standard error length");
	free(out);
	free(err);

	rc = run_command(missing_argv, NULL, 0, NULL, NULL, &err, NULL,
	    &status);
	is_int(0, rc, "run_command on a missing program succeeds");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 127,
	    "missing program exits 127");
	ok(strstr(err, "cannot execute") != NULL,
	    "missing program is reported on standard error");
	free(err);

	is_command(0, "hello\n", echo_argv, "is_command on echo");
	is_command(3, NULL, err_argv, "is_command on sh, output unchecked");
}

/*
 * Check that a large input and output cannot deadlock, and that a command
 * that ignores its input is not an error.
 */
static void
test_large_io(void)
{
	static const char *const cat_argv[] = { "cat", NULL };
	static const char *const deaf_argv[] = { "sh", "-c", "exit 0", NULL };
	const size_t size = 4 * 1024 * 1024;
	char *input, *out;
	size_t i, outlen;
	int rc, status;

	input = bmalloc(size);
	for (i = 0; i < size; i++)
		input[i] = (char)('a' + i % 26);

	rc = run_command(cat_argv, input, size, &out, &outlen, NULL, NULL,
	    &status);
	is_int(0, rc, "run_command cat with large input succeeds");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "cat exits 0");
	ok(outlen == size && memcmp(out, input, size) == 0,
	    "cat copies all its input");
	free(out);

	rc = run_command(deaf_argv, input, size, NULL, NULL, NULL, NULL,
	    &status);
	is_int(0, rc, "run_command on a command ignoring input succeeds");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "that command exits 0");
	free(input);
}

/*
 * Check that a forked child that exits prints nothing: at that point the
 * count does not match the plan, so a summary would be noticed.
 */
static void
test_child_is_silent(void)
{
	char buf[256];
	size_t total = 0;
	ssize_t n;
	pid_t pid;
	int fds[2], status;

	if (pipe(fds) != 0)
		sysbail("pipe");
	if ((pid = fork()) < 0)
		sysbail("fork");
	if (pid == 0) {
		if (dup2(fds[1], STDOUT_FILENO) < 0 ||
		    dup2(fds[1], STDERR_FILENO) < 0)
			_exit(2);
		close(fds[0]);
		close(fds[1]);
		exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) != 0) {
		if (n < 0 && errno != EINTR)
			sysbail("read");
		if (n > 0)
			total += (size_t)n;
	}
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid)
		sysbail("waitpid");
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "forked child exits 0");
	is_int(0, (long)total, "forked child prints no summary");
}

int
main(int argc, char *argv[])
{
	test_timeout(30);
	if (argc > 1)
		return run_mode(argv[1]);

	plan(60);

	ok(1, "ok works");
	is_int(42, 42, "is_int works");
	is_string("abc", "abc", "is_string works");
	is_string(NULL, NULL, "is_string accepts two NULLs");
	is_hex(0xdead, 0xdead, "is_hex works");
	skip("skip works");
	skip_block(2, "skip_block works");
	ok_block(2, 1, "ok_block works");

	test_alloc();
	test_run_command();
	test_large_io();
	test_child_is_silent();
	test_modes(argv[0]);
	return 0;
}
