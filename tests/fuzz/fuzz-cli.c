/*
 * fuzz-cli: the command-line parsers of bin/cli.c.
 *
 * The input is split at its NUL bytes into strings, and each string goes
 * to cli_seconds, cli_size, cli_number (with several ranges) and
 * cli_mode.  Each result is compared with an independent reading of the
 * format that bin/cli.h documents, written here without the tricks of the
 * real parsers (arbitrary-precision digits instead of overflow checks):
 * the two must agree on what is valid and on the value, and a deadline
 * must lie the parsed duration after the time of the call.  The whole
 * input also goes through cli_read_all from a memfd, with a limit taken
 * from its first byte.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/mman.h>

#include <fcntl.h>

#include "fuzz.h"
#include "bin/cli.h"

#define MAX_SECONDS     31536000LL
#define MAX_STRINGS     16

/* An unsigned value that saturates instead of wrapping. */
typedef unsigned __int128 big;
#define BIG_CAP         ((big)1 << 80)   /* still fits after << 30 */

static int memfd = -1;

static big
big_digit(big v, char c)
{
	v = v * 10 + (big)(c - '0');
	return v > BIG_CAP ? BIG_CAP : v;
}

/*
 * cli_seconds: digits, an optional point and at most nine digits after
 * it, at least one digit in all, at most MAX_SECONDS.  Returns 1 if valid.
 */
static int
ref_seconds(const char *s, int64_t *ns)
{
	big sec = 0;
	int64_t frac = 0, scale = 100000000;
	int digits = 0, fdigits = 0;

	for (; *s >= '0' && *s <= '9'; s++, digits++)
		sec = big_digit(sec, *s);
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, fdigits++) {
			if (fdigits < 9)
				frac += (*s - '0') * scale;
			scale /= 10;
		}
	}
	if (*s != '\0' || digits + fdigits == 0 || fdigits > 9)
		return 0;
	if (sec > MAX_SECONDS || (sec == MAX_SECONDS && frac > 0))
		return 0;
	*ns = (int64_t)sec * 1000000000LL + frac;
	return 1;
}

/* cli_size: digits, then K, M or G in either case; fits a size_t. */
static int
ref_size(const char *s, size_t *out)
{
	big v = 0;
	int shift = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9'; p++)
		v = big_digit(v, *p);
	if (p == s)
		return 0;
	switch (*p) {
	case 'k': case 'K': shift = 10; p++; break;
	case 'm': case 'M': shift = 20; p++; break;
	case 'g': case 'G': shift = 30; p++; break;
	}
	if (*p != '\0')
		return 0;
	v <<= shift;
	if (v > (big)SIZE_MAX)
		return 0;
	*out = (size_t)v;
	return 1;
}

/* cli_number: an optional minus, digits, within [lo, hi]. */
static int
ref_number(const char *s, long lo, long hi, long *out)
{
	big v = 0;
	int neg = 0;
	const char *p = s;
	__int128 x;

	if (*p == '-') {
		neg = 1;
		p++;
	}
	if (*p < '0' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++)
		v = big_digit(v, *p);
	if (*p != '\0')
		return 0;
	x = neg ? -(__int128)v : (__int128)v;
	if (x < lo || x > hi)
		return 0;
	*out = (long)x;
	return 1;
}

/* cli_mode: one to four octal digits, at most 0777. */
static int
ref_mode(const char *s, unsigned int *out)
{
	unsigned int v = 0;
	size_t n = strlen(s), i;

	if (n == 0 || n > 4)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '7')
			return 0;
		v = v * 8 + (unsigned int)(s[i] - '0');
	}
	if (v > 0777)
		return 0;
	*out = v;
	return 1;
}

/* Print a string with its odd bytes escaped, for a failure message. */
static const char *
show(const char *s)
{
	static char buf[512];
	size_t o = 0;

	for (; *s != '\0' && o + 5 < sizeof(buf); s++) {
		if (*s >= 0x20 && *s < 0x7f)
			buf[o++] = *s;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			    "\\x%02x", (unsigned char)*s);
	}
	buf[o] = '\0';
	return buf;
}

static void
check_seconds(const char *s)
{
	struct timespec dl;
	int64_t before, after, at, want = 0;
	int r, ok;

	dl.tv_sec = -1;
	dl.tv_nsec = -1;
	before = fuzz_now_ns();
	r = cli_seconds(s, &dl);
	after = fuzz_now_ns();
	ok = ref_seconds(s, &want);
	if (r != 0 && r != EINVAL)
		fuzz_fail("cli_seconds(\"%s\"): %d", show(s), r);
	if ((r == 0) != ok)
		fuzz_fail("cli_seconds(\"%s\"): %s, but the format says %s",
		    show(s), r == 0 ? "accepted" : "refused",
		    ok ? "valid" : "invalid");
	if (r != 0)
		return;
	if (dl.tv_nsec < 0 || dl.tv_nsec >= 1000000000L)
		fuzz_fail("cli_seconds(\"%s\"): tv_nsec %ld", show(s),
		    dl.tv_nsec);
	at = (int64_t)dl.tv_sec * 1000000000LL + dl.tv_nsec;
	if (at < before + want || at > after + want)
		fuzz_fail("cli_seconds(\"%s\"): deadline %lld ns after the "
		    "call, not %lld", show(s), (long long)(at - before),
		    (long long)want);
}

static void
check_size(const char *s)
{
	size_t got = 0, want = 0;
	int r, ok;

	r = cli_size(s, &got);
	ok = ref_size(s, &want);
	if (r != 0 && r != EINVAL)
		fuzz_fail("cli_size(\"%s\"): %d", show(s), r);
	if ((r == 0) != ok)
		fuzz_fail("cli_size(\"%s\"): %s, but the format says %s",
		    show(s), r == 0 ? "accepted" : "refused",
		    ok ? "valid" : "invalid");
	if (r == 0 && got != want)
		fuzz_fail("cli_size(\"%s\"): %zu, not %zu", show(s), got,
		    want);
}

static void
check_number(const char *s)
{
	static const long ranges[][2] = {
		{ 0, 100 }, { -5, 5 }, { 1, 65536 }, { 1, 1022 },
		{ LONG_MIN, LONG_MAX }, { LONG_MIN + 1, -1 },
	};
	long got, want;
	size_t i;
	int r, ok;

	for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		got = 0;
		want = 0;
		r = cli_number(s, ranges[i][0], ranges[i][1], &got);
		ok = ref_number(s, ranges[i][0], ranges[i][1], &want);
		if (r != 0 && r != EINVAL)
			fuzz_fail("cli_number(\"%s\"): %d", show(s), r);
		if ((r == 0) != ok)
			fuzz_fail("cli_number(\"%s\", %ld, %ld): %s, but the "
			    "format says %s", show(s), ranges[i][0],
			    ranges[i][1], r == 0 ? "accepted" : "refused",
			    ok ? "valid" : "invalid");
		if (r == 0 && got != want)
			fuzz_fail("cli_number(\"%s\"): %ld, not %ld", show(s),
			    got, want);
	}
}

static void
check_mode(const char *s)
{
	unsigned int got = 0, want = 0;
	int r, ok;

	r = cli_mode(s, &got);
	ok = ref_mode(s, &want);
	if (r != 0 && r != EINVAL)
		fuzz_fail("cli_mode(\"%s\"): %d", show(s), r);
	if ((r == 0) != ok)
		fuzz_fail("cli_mode(\"%s\"): %s, but the format says %s",
		    show(s), r == 0 ? "accepted" : "refused",
		    ok ? "valid" : "invalid");
	if (r == 0 && got != want)
		fuzz_fail("cli_mode(\"%s\"): %o, not %o", show(s), got, want);
}

/* cli_read_all of the whole input from a memfd, with a small limit. */
static void
check_read_all(const uint8_t *data, size_t size)
{
	unsigned char *buf = NULL;
	size_t max, len = 0;
	int r;

	max = size > 0 ? (size_t)data[0] * 4 : 0;
	if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) !=
	    (ssize_t)size || lseek(memfd, 0, SEEK_SET) != 0)
		fuzz_fail("memfd: %s", strerror(errno));
	r = cli_read_all(memfd, max, &buf, &len);
	if (size > max) {
		if (r != EMSGSIZE)
			fuzz_fail("cli_read_all: %zu bytes, limit %zu: %d",
			    size, max, r);
		return;
	}
	if (r != 0 || len != size || (size > 0 && memcmp(buf, data, size)))
		fuzz_fail("cli_read_all: %zu bytes, limit %zu: %d, %zu bytes",
		    size, max, r, len);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *s, *end;
	int n;

	copy = malloc(size + 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	end = copy + size;
	for (s = copy, n = 0; s <= end && n < MAX_STRINGS; n++) {
		check_seconds(s);
		check_size(s);
		check_number(s);
		check_mode(s);
		s += strlen(s) + 1;
	}
	free(copy);
	check_read_all(data, size);
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	memfd = memfd_create("fuzz-cli", MFD_CLOEXEC);
	if (memfd < 0)
		exit(1);
	return 0;
}
