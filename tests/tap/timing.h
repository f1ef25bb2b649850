/*
 * Time for the tests: the monotonic clock, sleeps, and the time a thread or
 * process has spent runnable but kept from a CPU, for tests that must not
 * take a loaded machine for a late call.  Header-only: the fuzz targets
 * and the torture harness, built apart from libtap, use it too.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef TAP_TIMING_H
#define TAP_TIMING_H 1

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* Nanoseconds on CLOCK_MONOTONIC. */
static inline uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000U + (uint64_t)ts.tv_nsec;
}

/* ns nanoseconds as a timespec (a CLOCK_MONOTONIC instant, or a span). */
static inline struct timespec
ts_of(uint64_t ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ns / 1000000000U);
	ts.tv_nsec = (long)(ns % 1000000000U);
	return ts;
}

/* Sleep ns nanoseconds, signals or not. */
static inline void
sleep_ns(uint64_t ns)
{
	struct timespec ts = ts_of(ns);

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		continue;
}

/*
 * The second field of the /proc schedstat file open at fd (of
 * /proc/thread-self, /proc/self or /proc/PID), in ns; 0 if fd is
 * negative or the kernel does not say.
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

#endif /* TAP_TIMING_H */
