/*
 * Basic routines for writing tests that speak the Test Anything Protocol.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef TAP_BASIC_H
#define TAP_BASIC_H 1

#include <stdarg.h>
#include <stddef.h>

/*
 * The attributes below are GCC extensions that Clang also understands.  Make
 * them vanish on any other compiler so that the header stays usable.
 */
#if !defined(__GNUC__) && !defined(__attribute__)
#define __attribute__(spec)	/* empty */
#endif

/* The number of elements of an array (not of a pointer to one). */
#define ARRAY_SIZE(array)	(sizeof(array) / sizeof((array)[0]))

/*
 * The number that the next reported test will carry.  It starts at 1 and is
 * incremented by every ok, skip and is_* call.
 */
extern unsigned long testnum;

/*
 * Print the plan ("1..count"), make standard output line buffered and
 * arrange for the summary and the cleanup functions to run at exit.  The
 * process that calls plan() is the primary process.
 */
void	plan(unsigned long count);

/* Skip the whole test program: print "1..0 # SKIP reason" and exit 0. */
void	skip_all(const char *fmt, ...)
	    __attribute__((__noreturn__, __format__(printf, 1, 2)));

/*
 * Report the result of one test.  The description is optional: fmt may be
 * NULL.  okv() is ok() with the description arguments given as a va_list,
 * for building new checks on top of it.
 */
void	ok(int success, const char *fmt, ...)
	    __attribute__((__format__(printf, 2, 3)));
void	okv(int success, const char *fmt, va_list args)
	    __attribute__((__format__(printf, 2, 0)));

/* Report one test as skipped, with an optional reason. */
void	skip(const char *reason, ...)
	    __attribute__((__format__(printf, 1, 2)));

/* Report the same result for, or skip, the next n tests. */
void	ok_block(unsigned long n, int success, const char *fmt, ...)
	    __attribute__((__format__(printf, 3, 4)));
void	skip_block(unsigned long n, const char *reason, ...)
	    __attribute__((__format__(printf, 2, 3)));

/*
 * Compare a wanted value with a seen value as one test, printing both as
 * diagnostics when they differ.  is_string() accepts NULL for either string
 * and considers two NULLs equal.
 */
void	is_int(long wanted, long seen, const char *fmt, ...)
	    __attribute__((__format__(printf, 3, 4)));
void	is_string(const char *wanted, const char *seen, const char *fmt, ...)
	    __attribute__((__format__(printf, 3, 4)));
void	is_hex(unsigned long wanted, unsigned long seen, const char *fmt, ...)
	    __attribute__((__format__(printf, 3, 4)));

/*
 * Abort the test program: print "Bail out! message" on standard output and
 * exit with status 255.  sysbail() appends the text of the current errno.
 */
void	bail(const char *fmt, ...)
	    __attribute__((__noreturn__, __nonnull__,
	    __format__(printf, 1, 2)));
void	sysbail(const char *fmt, ...)
	    __attribute__((__noreturn__, __nonnull__,
	    __format__(printf, 1, 2)));

/*
 * Print a diagnostic, prefixed with "# ", on standard error.  sysdiag()
 * appends the text of the current errno.
 */
void	diag(const char *fmt, ...)
	    __attribute__((__nonnull__, __format__(printf, 1, 2)));
void	sysdiag(const char *fmt, ...)
	    __attribute__((__nonnull__, __format__(printf, 1, 2)));

/* Allocate memory, bailing out if that fails. */
void	*bmalloc(size_t size)
	    __attribute__((__alloc_size__(1), __malloc__,
	    __warn_unused_result__));
void	*bcalloc(size_t n, size_t size)
	    __attribute__((__alloc_size__(1, 2), __malloc__,
	    __warn_unused_result__));
char	*bstrdup(const char *s)
	    __attribute__((__malloc__, __nonnull__, __warn_unused_result__));
char	*basprintf(const char *fmt, ...)
	    __attribute__((__malloc__, __nonnull__, __warn_unused_result__,
	    __format__(printf, 1, 2)));

/*
 * Register a function to run when the test program exits.  Functions run in
 * the reverse order of their registration.  The first argument is true when
 * every test so far passed and the plan was met; the second is true only in
 * the process that called plan(), so a forked child that exits sees false.
 */
void	test_cleanup_register(void (*func)(int success, int primary))
	    __attribute__((__nonnull__));

/*
 * Bail out, without running the cleanup functions, if the test program is
 * still running after the given number of seconds.  Call it first.
 */
void	test_timeout(unsigned int seconds);

#endif /* TAP_BASIC_H */
