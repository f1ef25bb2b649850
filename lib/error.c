/*
 * Error descriptions and the library version.
 *
 * The segment layer borrows a few errno values for shmconc conditions that
 * have no errno of their own (EMEDIUMTYPE for "not a shmconc object", ...).
 * shmc_strerror gives those their shmconc meaning, so that a command can
 * print one clear line; every other code gets the C library's text.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *
shmc_version(void)
{
	return PACKAGE_VERSION;
}

const char *
shmc_strerror(int err)
{
	const char *s;

	switch (err) {
	case EMEDIUMTYPE:
		return "not a shmconc object";
	case EPROTOTYPE:
		return "shmconc object of another kind";
	case EPROTONOSUPPORT:
		return "shmconc object of another layout version";
	case EBADMSG:
		return "shmconc object corrupt";
	case ENODATA:
		return "shmconc object truncated";
	case EUSERS:
		return "participant table full";
	case EOWNERDEAD:
		return "previous owner died";
	case ENOTRECOVERABLE:
		return "state not recoverable";
	}
	/* A constant string, unlike strerror's buffer for unknown codes. */
	s = strerrordesc_np(err);
	return s != NULL ? s : "unknown error";
}

#ifdef SHMC_STOP_POINTS
/* Stop this process with SIGSTOP if SHMCONC_STOP names point. */
void
shmc__stop(const char *point)
{
	const char *want = getenv("SHMCONC_STOP");

	if (want != NULL && strcmp(want, point) == 0)
		raise(SIGSTOP);
}
#endif
