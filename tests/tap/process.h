/*
 * Helpers for tests that run a command the way a user would.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef TAP_PROCESS_H
#define TAP_PROCESS_H 1

#include <stddef.h>

#include "tests/tap/basic.h"

/*
 * Run argv[0] (searched for in PATH) with the arguments in argv, which ends
 * with a NULL pointer.  The inlen bytes at input are fed to its standard
 * input; if input is NULL, standard input is /dev/null.  Standard output and
 * standard error are captured in full into malloc'd buffers that the caller
 * frees; each has a NUL after its last byte, and its length is stored
 * through outlen or errlen when those are not NULL.  Passing NULL for out or
 * err discards that stream, and its length pointer is then ignored.  The raw
 * wait(2) status is stored in *status.  A command that cannot be executed
 * exits with status 127.
 *
 * Returns 0, or an errno value if the command could not be run; nothing is
 * stored through the pointers then.
 */
int	run_command(const char *const argv[], const char *input, size_t inlen,
	    char **out, size_t *outlen, char **err, size_t *errlen, int *status)
	    __attribute__((__nonnull__(1, 8), __warn_unused_result__));

/*
 * Run a command with no input and check, as a single test, that it exits
 * with wanted_exit and that its standard output is wanted_out (which may be
 * NULL to accept any output).  On failure the status and both outputs are
 * printed as diagnostics.
 */
void	is_command(int wanted_exit, const char *wanted_out,
	    const char *const argv[], const char *fmt, ...)
	    __attribute__((__nonnull__(3), __format__(printf, 4, 5)));

#endif /* TAP_PROCESS_H */
