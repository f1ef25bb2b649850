/*
 * The time a thread or process has spent runnable but kept from a CPU, for
 * tests that must not take a loaded machine for a late call.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef TAP_SCHEDSTAT_H
#define TAP_SCHEDSTAT_H 1

#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

/*
 * The second field of the /proc schedstat file open at fd (of
 * /proc/thread-self, /proc/self or /proc/PID), in ns; 0 if fd is
 * negative or the kernel does not say.  Inline and header-only: the
 * fuzz targets, built apart from libtap, use it too.
 */
static inline uint64_t
schedstat_wait_ns(int fd)
{
	char buf[128];
	unsigned long long run, wait;
	ssize_t n;

	if (fd < 0)
		return 0;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return sscanf(buf, "%llu %llu", &run, &wait) == 2 ? wait : 0;
}

#endif /* TAP_SCHEDSTAT_H */
