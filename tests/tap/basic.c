/*
 * Basic routines for writing tests that speak the Test Anything Protocol.
 *
 * Every result line goes to standard output and is flushed at once, because
 * tests fork and a child must never inherit unwritten output.  Diagnostics go
 * to standard error.  At exit, the process that called plan() reports a
 * mismatched count or failed tests and exits with status 1 if there were
 * any; forked children report nothing.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/tap/basic.h"

/* A registered cleanup function, kept on a stack so the last runs first. */
struct cleanup {
	void		(*func)(int, int);
	struct cleanup	*next;
};

unsigned long testnum = 1;

static unsigned long planned;		/* Count given to plan(). */
static unsigned long failed;		/* Tests reported as failed so far. */
static pid_t plan_pid;			/* The process that called plan(). */
static int skipped_all;			/* Set by skip_all(). */
static int aborted;			/* Set by bail() and sysbail(). */
static int finish_armed;		/* The atexit handler is registered. */
static struct cleanup *cleanups;	/* Newest registration first. */

/* The message written by the SIGALRM handler, prepared in advance. */
static char timeout_msg[64];
static size_t timeout_len;

/*
 * Print a diagnostic built from a format, optionally followed by the text of
 * an errno value when err is not zero.  Standard output is flushed first so
 * that the diagnostic appears after the results that led to it.
 */
static void __attribute__((__format__(printf, 2, 0)))
vdiag(int err, const char *fmt, va_list args)
{
	fflush(stdout);
	fputs("# ", stderr);
	vfprintf(stderr, fmt, args);
	if (err != 0)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	fflush(stderr);
}

/*
 * Print "Bail out!" with a message on standard output and exit with status
 * 255.  The atexit handler sees the aborted flag and prints no summary.
 */
static void __attribute__((__noreturn__, __format__(printf, 2, 0)))
vbail(int err, const char *fmt, va_list args)
{
	fflush(stderr);
	fputs("Bail out! ", stdout);
	vprintf(fmt, args);
	if (err != 0)
		printf(": %s", strerror(err));
	putchar('\n');
	fflush(stdout);
	aborted = 1;
	exit(255);
}

/*
 * Print a value being compared as a diagnostic under a label.  A value that
 * spans several lines has its later lines indented to line up under the
 * first, so that a trailing newline still shows as an empty last line.
 */
static void
diag_value(const char *label, const char *value)
{
	const char *end;
	int indent;

	if (value == NULL) {
		diag("%s(null)", label);
		return;
	}
	indent = (int)strlen(label);
	end = strchr(value, '\n');
	if (end == NULL) {
		diag("%s%s", label, value);
		return;
	}
	diag("%s%.*s", label, (int)(end - value), value);
	for (value = end + 1; (end = strchr(value, '\n')) != NULL;
	    value = end + 1)
		diag("%*s%.*s", indent, "", (int)(end - value), value);
	diag("%*s%s", indent, "", value);
}

/*
 * Run at exit.  The cleanup functions always run, newest first.  Only the
 * process that called plan() goes on to describe what went wrong and, if
 * anything did, to replace the exit status with 1; the remaining atexit
 * handlers are skipped then, so standard I/O is flushed by hand.
 */
static void
finish(void)
{
	struct cleanup *c;
	unsigned long run;
	int primary, success;

	run = testnum - 1;
	primary = plan_pid != 0 && getpid() == plan_pid;
	success = !aborted &&
	    (skipped_all || (plan_pid != 0 && run == planned && failed == 0));

	if (primary && !aborted && !skipped_all) {
		if (run != planned)
			diag("Looks like you planned %lu test%s but ran %lu",
			    planned, planned == 1 ? "" : "s", run);
		if (failed > 0)
			diag("Looks like you failed %lu test%s of %lu",
			    failed, failed == 1 ? "" : "s", run);
	}

	while ((c = cleanups) != NULL) {
		cleanups = c->next;
		c->func(success, primary);
		free(c);
	}

	if (primary && !aborted && !success) {
		fflush(stdout);
		fflush(stderr);
		_exit(1);
	}
}

/* Register finish() with atexit, once. */
static void
arm_finish(void)
{
	if (finish_armed)
		return;
	if (atexit(finish) != 0)
		bail("cannot register the exit handler");
	finish_armed = 1;
}

void
plan(unsigned long count)
{
	if (plan_pid != 0)
		bail("plan() called twice");
	if (setvbuf(stdout, NULL, _IOLBF, BUFSIZ) != 0)
		sysbail("cannot make standard output line buffered");
	planned = count;
	plan_pid = getpid();
	arm_finish();
	printf("1..%lu\n", count);
	fflush(stdout);
}

void
skip_all(const char *fmt, ...)
{
	va_list args;

	plan_pid = getpid();
	skipped_all = 1;
	fputs("1..0 # SKIP", stdout);
	if (fmt != NULL && fmt[0] != '\0') {
		putchar(' ');
		va_start(args, fmt);
		vprintf(fmt, args);
		va_end(args);
	}
	putchar('\n');
	fflush(stdout);
	exit(0);
}

void
okv(int success, const char *fmt, va_list args)
{
	fflush(stderr);
	printf("%sok %lu", success ? "" : "not ", testnum++);
	if (!success)
		failed++;
	if (fmt != NULL && fmt[0] != '\0') {
		fputs(" - ", stdout);
		vprintf(fmt, args);
	}
	putchar('\n');
	fflush(stdout);
}

void
ok(int success, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	okv(success, fmt, args);
	va_end(args);
}

/* Report one skipped test, with a reason when one is given. */
static void __attribute__((__format__(printf, 1, 0)))
vskip(const char *reason, va_list args)
{
	fflush(stderr);
	printf("ok %lu # skip", testnum++);
	if (reason != NULL && reason[0] != '\0') {
		putchar(' ');
		vprintf(reason, args);
	}
	putchar('\n');
	fflush(stdout);
}

void
skip(const char *reason, ...)
{
	va_list args;

	va_start(args, reason);
	vskip(reason, args);
	va_end(args);
}

void
ok_block(unsigned long n, int success, const char *fmt, ...)
{
	va_list args, copy;
	unsigned long i;

	va_start(args, fmt);
	for (i = 0; i < n; i++) {
		va_copy(copy, args);
		okv(success, fmt, copy);
		va_end(copy);
	}
	va_end(args);
}

void
skip_block(unsigned long n, const char *reason, ...)
{
	va_list args, copy;
	unsigned long i;

	va_start(args, reason);
	for (i = 0; i < n; i++) {
		va_copy(copy, args);
		vskip(reason, copy);
		va_end(copy);
	}
	va_end(args);
}

void
is_int(long wanted, long seen, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	okv(wanted == seen, fmt, args);
	va_end(args);
	if (wanted != seen) {
		diag("    wanted: %ld", wanted);
		diag("      seen: %ld", seen);
	}
}

void
is_string(const char *wanted, const char *seen, const char *fmt, ...)
{
	va_list args;
	int same;

	if (wanted == NULL || seen == NULL)
		same = wanted == seen;
	else
		same = strcmp(wanted, seen) == 0;
	va_start(args, fmt);
	okv(same, fmt, args);
	va_end(args);
	if (!same) {
		diag_value("    wanted: ", wanted);
		diag_value("      seen: ", seen);
	}
}

void
is_hex(unsigned long wanted, unsigned long seen, const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	okv(wanted == seen, fmt, args);
	va_end(args);
	if (wanted != seen) {
		diag("    wanted: 0x%lx", wanted);
		diag("      seen: 0x%lx", seen);
	}
}

void
bail(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vbail(0, fmt, args);
}

void
sysbail(const char *fmt, ...)
{
	va_list args;
	int err = errno;

	va_start(args, fmt);
	vbail(err, fmt, args);
}

void
diag(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vdiag(0, fmt, args);
	va_end(args);
}

void
sysdiag(const char *fmt, ...)
{
	va_list args;
	int err = errno;

	va_start(args, fmt);
	vdiag(err, fmt, args);
	va_end(args);
}

void *
bmalloc(size_t size)
{
	void *p;

	if ((p = malloc(size == 0 ? 1 : size)) == NULL)
		sysbail("cannot allocate %zu bytes", size);
	return p;
}

void *
bcalloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((p = calloc(n, size)) == NULL)
		sysbail("cannot allocate %zu elements of %zu bytes", n, size);
	return p;
}

char *
bstrdup(const char *s)
{
	size_t len;
	char *p;

	len = strlen(s) + 1;
	p = bmalloc(len);
	memcpy(p, s, len);
	return p;
}

char *
basprintf(const char *fmt, ...)
{
	va_list args;
	char *p;
	int len;

	va_start(args, fmt);
	len = vsnprintf(NULL, 0, fmt, args);
	va_end(args);
	if (len < 0)
		sysbail("cannot format \"%s\"", fmt);
	p = bmalloc((size_t)len + 1);
	va_start(args, fmt);
	if (vsnprintf(p, (size_t)len + 1, fmt, args) != len)
		bail("formatting \"%s\" gave two different lengths", fmt);
	va_end(args);
	return p;
}

void
test_cleanup_register(void (*func)(int success, int primary))
{
	struct cleanup *c;

	c = bmalloc(sizeof(*c));
	c->func = func;
	c->next = cleanups;
	cleanups = c;
	arm_finish();
}

/*
 * The SIGALRM handler.  Only async-signal-safe calls are allowed here, so the
 * message was formatted by test_timeout() and goes out with one write(2).
 */
static void __attribute__((__noreturn__))
on_timeout(int signo)
{
	ssize_t n;

	(void)signo;
	n = write(STDOUT_FILENO, timeout_msg, timeout_len);
	(void)n;
	_exit(255);
}

void
test_timeout(unsigned int seconds)
{
	struct sigaction sa;
	int len;

	len = snprintf(timeout_msg, sizeof(timeout_msg),
	    "Bail out! timed out after %u seconds\n", seconds);
	if (len < 0 || (size_t)len >= sizeof(timeout_msg))
		bail("cannot format the timeout message");
	timeout_len = (size_t)len;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_timeout;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGALRM, &sa, NULL) != 0)
		sysbail("cannot install the SIGALRM handler");
	alarm(seconds);
}
