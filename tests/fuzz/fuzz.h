/*
 * Helpers shared by the libFuzzer targets of shmconc.
 *
 * Each target is one C file defining LLVMFuzzerInitialize and
 * LLVMFuzzerTestOneInput, compiled together with the library sources (and
 * bin/cli.c) by tests/fuzz/run with -fsanitize=fuzzer,address,undefined.
 * These helpers are static so that every target stays a single
 * translation unit of its own plus the library.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H 1

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Every target uses only some of the helpers below. */
#define FUZZ_UNUSED __attribute__((__unused__))

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report a broken property and abort, which libFuzzer records as a crash. */
static void fuzz_fail(const char *fmt, ...)
    __attribute__((__format__(__printf__, 1, 2), __noreturn__));

static FUZZ_UNUSED void
fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz property violated: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* Our private directory, removed at exit if the target ends normally. */
static char fuzz_dir[PATH_MAX];

static FUZZ_UNUSED void
fuzz_rmtree(const char *path)
{
	char sub[PATH_MAX];
	struct dirent *e;
	DIR *d;

	d = opendir(path);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		if (unlink(sub) < 0 && (errno == EISDIR || errno == EPERM))
			fuzz_rmtree(sub);
	}
	closedir(d);
	rmdir(path);
}

static FUZZ_UNUSED void
fuzz_cleanup(void)
{
	if (fuzz_dir[0] != '\0')
		fuzz_rmtree(fuzz_dir);
}

/*
 * Make a private directory for this target, under $SHMC_FUZZ_DIR if set
 * (the runner points it at a directory it removes afterwards, so that a
 * crashed target leaves nothing behind), else under /dev/shm.  Returns
 * its path; exits if it cannot.
 */
static FUZZ_UNUSED const char *
fuzz_private_dir(const char *target)
{
	const char *base = getenv("SHMC_FUZZ_DIR");

	if (base == NULL || *base == '\0')
		base = "/dev/shm";
	snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/shmconc-%s.XXXXXX", base,
	    target);
	if (mkdtemp(fuzz_dir) == NULL) {
		fprintf(stderr, "%s: mkdtemp %s: %s\n", target, fuzz_dir,
		    strerror(errno));
		exit(1);
	}
	atexit(fuzz_cleanup);
	return fuzz_dir;
}

/* Nanoseconds on CLOCK_MONOTONIC. */
static FUZZ_UNUSED int64_t
fuzz_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* An absolute CLOCK_MONOTONIC deadline ms milliseconds from now. */
static FUZZ_UNUSED struct timespec
fuzz_deadline_ms(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* Write all of buf to path, replacing it.  0 or an errno value. */
static FUZZ_UNUSED int
fuzz_write_file(const char *path, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	FILE *f;
	int r = 0;

	f = fopen(path, "wbe");
	if (f == NULL)
		return errno;
	if (len > 0 && fwrite(p, 1, len, f) != len)
		r = errno != 0 ? errno : EIO;
	if (fclose(f) != 0 && r == 0)
		r = errno;
	return r;
}

#endif /* TESTS_FUZZ_FUZZ_H */
