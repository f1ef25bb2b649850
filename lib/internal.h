/*
 * Internal definitions shared by every file of libshmconc.
 *
 * Nothing here is installed.  Internal functions that cross files are named
 * shmc__name; static helpers get plain names.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef SHMC_INTERNAL_H
#define SHMC_INTERNAL_H 1

#include <stdatomic.h>          /* _Atomic, atomic_* */
#include <stddef.h>             /* size_t, offsetof */
#include <stdint.h>             /* uint32_t, uint64_t */

#include "shmconc.h"

/*
 * The size we pad shared structures to, so that words written by different
 * participants do not share a cache line.  64 bytes is right for every
 * x86-64 and most ARM cores; it is part of the layout (see shm.h).
 */
#define SHMC__LINE      64

#define SHMC__LIKELY(x)         __builtin_expect(!!(x), 1)
#define SHMC__UNLIKELY(x)       __builtin_expect(!!(x), 0)
#define SHMC__ARRAY_SIZE(a)     (sizeof(a) / sizeof((a)[0]))

/*
 * Thread-local variables of the library.  The initial-exec model makes an
 * access one load off the thread pointer; the default for a shared
 * library calls __tls_get_addr, which showed up in profiles of a send.
 * It takes a few bytes of the static TLS that glibc reserves for
 * libraries loaded later, so a dlopen() of the library still works.
 */
#define SHMC__TLS       __thread __attribute__((tls_model("initial-exec")))

/*
 * A shared word.  Every word in shared memory that more than one
 * participant touches is one of these and is only accessed through the
 * C11 atomic functions, each with a comment saying what it orders against.
 */
typedef _Atomic uint32_t shmc__word;

/*
 * Stop points, for tests that must kill a participant at a precise step of
 * an operation rather than by luck.  Only the copy of the library that the
 * test suite links is built with SHMC_STOP_POINTS; there, a participant
 * whose environment has SHMCONC_STOP set to a point's name stops itself
 * with SIGSTOP on reaching it, and the test kills it while it is stopped.
 * The installed library has no stop points at all.
 */
#ifdef SHMC_STOP_POINTS
void shmc__stop(const char *point);
# define SHMC__STOP(point)      shmc__stop(point)
#else
# define SHMC__STOP(point)      ((void)0)
#endif

#endif /* SHMC_INTERNAL_H */
