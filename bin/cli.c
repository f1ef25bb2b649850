/*
 * Helpers shared by the shmconc commands.
 *
 * Messages: the library returns error codes instead of setting errno, so
 * cli_warn and cli_fail take the code and describe it with shmc_strerror,
 * which knows the shmconc meanings of EMEDIUMTYPE and friends.  Exit
 * codes: cli_exit_code maps a library error onto the table shared by all
 * commands (DESIGN.md section 7, and every section 1 page).
 *
 * Parsers are strict on purpose: a timeout of "1x", "-1" or "nan" is a
 * usage error, not a silent zero as atof would make it.  Each parser
 * accepts exactly its documented format and returns EINVAL for anything
 * else, including values out of range.
 *
 * Output: a command that consumes a value (shmvar take, shmchan recv)
 * must deliver it before it commits, so that a closed pipe or a full disk
 * leaves the value where it was.  cli_write_all reports EPIPE instead of
 * dying of SIGPIPE (cli_signals ignores it), and cli_drain waits until the
 * reader of a pipe has actually read what was written, since a write into
 * a pipe succeeds whether or not anyone ever reads it.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <shmconc.h>

#include "bin/cli.h"

/* The longest timeout: a year. */
#define MAX_SECONDS     31536000L

/* The first and the longest sleep of cli_drain, in milliseconds. */
#define DRAIN_MIN_MS    1
#define DRAIN_MAX_MS    50

const char *cli_progname = "shmconc";

extern char **environ;

/* The signals forwarded to a command, and our mask before we held. */
static const int fwd_sigs[] = { SIGHUP, SIGINT, SIGTERM };
static sigset_t fwd_set, orig_mask;

/* The running command, or 0; the last signal forwarded to it. */
static volatile sig_atomic_t child;
static volatile sig_atomic_t caught;

/*
 * Set the program name, and make sure descriptors 0, 1 and 2 are open.
 * Were standard output closed, the library's next open would return 1,
 * and the value a take writes to "standard output" would land in the
 * shared-memory object itself.  A closed one is opened on /dev/null the
 * wrong way round, so that using it fails with EBADF instead of reading
 * nothing or throwing a value away.
 */
void
cli_init(const char *argv0)
{
	const char *p;
	int fd;

	for (fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF &&
		    open("/dev/null", fd == STDIN_FILENO ? O_WRONLY :
		    O_RDONLY) != fd)
			_exit(CLI_OSERR);
	if (argv0 == NULL || *argv0 == '\0')
		return;
	p = strrchr(argv0, '/');
	cli_progname = p != NULL && p[1] != '\0' ? p + 1 : argv0;
}

/*
 * The exit code for a library error.  Would-block and timeout codes are
 * 1 whichever call produced them; everything that says "this object or
 * this input is not what it should be" is 65; unknown codes are 71.
 */
int
cli_exit_code(int err)
{
	switch (err) {
	case 0:
		return CLI_OK;
	case EAGAIN:
	case EBUSY:
	case ETIMEDOUT:
		return CLI_WOULDBLOCK;
	case EPIPE:
		return CLI_PEER;
	case EOWNERDEAD:
		return CLI_OWNERDEAD;
	case EDEADLK:
		return CLI_DEADLOCK;
	case EINVAL:
		return CLI_USAGE;
	case EMSGSIZE:
	case EMEDIUMTYPE:
	case EPROTOTYPE:
	case EPROTONOSUPPORT:
	case EBADMSG:
	case ENODATA:
	case ELOOP:
		return CLI_DATA;
	case ENOENT:
		return CLI_NOOBJ;
	case EEXIST:
		return CLI_EXISTS;
	case EACCES:
	case EPERM:
		return CLI_PERM;
	default:
		return CLI_OSERR;
	}
}

static void
vwarn_code(int err, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", cli_progname);
	vfprintf(stderr, fmt, ap);
	if (err != 0)
		fprintf(stderr, ": %s", shmc_strerror(err));
	fputc('\n', stderr);
}

void
cli_warn(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_code(err, fmt, ap);
	va_end(ap);
}

void
cli_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_code(err, fmt, ap);
	va_end(ap);
	exit(err != 0 ? cli_exit_code(err) : CLI_OSERR);
}

void
cli_failx(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_code(0, fmt, ap);
	va_end(ap);
	exit(status);
}

/*
 * Print the synopsis, indenting its continuation lines under the first
 * one, as BSD usage messages do.
 */
void
cli_usage(int status, const char *synopsis)
{
	FILE *f = status == 0 ? stdout : stderr;
	const char *p;

	fputs("usage: ", f);
	for (p = synopsis; *p != '\0'; p++) {
		fputc(*p, f);
		if (*p == '\n' && p[1] != '\0')
			fputs("       ", f);
	}
	if (p == synopsis || p[-1] != '\n')
		fputc('\n', f);
	exit(status == 0 ? CLI_OK : CLI_USAGE);
}

/* Say what is wrong with the command line, then how to use it. */
void
cli_usage_error(const char *synopsis, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_warn(0, "%s", msg);
	cli_usage(CLI_USAGE, synopsis);
}

/* Say what a valid name is, for a name the library found invalid. */
void
cli_bad_name(const char *name, int max)
{
	cli_failx(CLI_USAGE, "bad name '%s': names are 1 to %d of "
	    "A-Z a-z 0-9 . _ - and do not start with . or -", name, max);
}

/*
 * Name the option as getopt_long left it: by its letter in optopt, or,
 * for a long option (optopt 0, or a value of 256 and up), by the word in
 * argv before optind.
 */
void
cli_bad_option(const char *synopsis, int ch, char **argv)
{
	char opt[3] = "-?";
	const char *s;

	opt[1] = (char)optopt;
	s = optopt > 0 && optopt < 128 ? opt : argv[optind - 1];
	if (ch == ':')
		cli_usage_error(synopsis, "option %s needs an argument", s);
	cli_usage_error(synopsis, "unknown option '%s'", s);
}

void
cli_version(const char *prog)
{
	printf("%s (shmconc) %s\n", prog, shmc_version());
	exit(CLI_OK);
}

const struct cli_verb *
cli_find_verb(const char *synopsis, const struct cli_verb *verbs, size_t n,
    const char *word)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(word, verbs[i].name) == 0)
			return &verbs[i];
	cli_usage_error(synopsis, "unknown verb '%s'", word);
}

void
cli_check_options(const char *synopsis, const struct cli_verb *verb,
    int given, const struct cli_optname *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (given & names[i].bit & ~verb->opts)
			cli_usage_error(synopsis, "%s: option %s does not "
			    "apply", verb->name, names[i].name);
}

/*
 * Parse decimal seconds with an optional fraction: at least one digit on
 * one side of an optional point, at most nine after it.  Leading zeros
 * are fine; anything strtod would take beyond that is not.
 */
int
cli_seconds(const char *s, struct timespec *deadline)
{
	struct timespec now;
	long sec = 0, nsec = 0, scale = 100000000L;
	int digits = 0, frac = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++, digits++) {
		sec = sec * 10 + (*p - '0');
		if (sec > MAX_SECONDS)
			return EINVAL;
	}
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
			if (++frac > 9)
				return EINVAL;
			nsec += (*p - '0') * scale;
			scale /= 10;
		}
	if (digits == 0 || *p != '\0' || (sec == MAX_SECONDS && nsec > 0))
		return EINVAL;
	if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
		return errno;
	deadline->tv_sec = now.tv_sec + sec;
	deadline->tv_nsec = now.tv_nsec + nsec;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
	return 0;
}

/* Parse digits with an optional K, M or G suffix, without overflow. */
int
cli_size(const char *s, size_t *out)
{
	size_t v = 0, d;
	const char *p;
	int shift;

	for (p = s; *p >= '0' && *p <= '9'; p++) {
		d = (size_t)(*p - '0');
		if (v > (SIZE_MAX - d) / 10)
			return EINVAL;
		v = v * 10 + d;
	}
	if (p == s)
		return EINVAL;
	switch (*p) {
	case '\0':
		shift = 0;
		break;
	case 'K':
	case 'k':
		shift = 10;
		break;
	case 'M':
	case 'm':
		shift = 20;
		break;
	case 'G':
	case 'g':
		shift = 30;
		break;
	default:
		return EINVAL;
	}
	if (shift != 0 && *++p != '\0')
		return EINVAL;
	if (v > SIZE_MAX >> shift)
		return EINVAL;
	*out = v << shift;
	return 0;
}

/*
 * Parse a decimal integer with strtol, refusing what strtol would skip
 * or ignore: leading blanks, a plus sign, trailing characters.
 */
int
cli_number(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (!((*s >= '0' && *s <= '9') ||
	    (*s == '-' && s[1] >= '0' && s[1] <= '9')))
		return EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || errno == ERANGE || v < lo || v > hi)
		return EINVAL;
	*out = v;
	return 0;
}

/* Parse one to four octal digits no larger than 0777. */
int
cli_mode(const char *s, unsigned int *out)
{
	unsigned int v = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '7'; p++) {
		if (p - s == 4)
			return EINVAL;
		v = v * 8 + (unsigned int)(*p - '0');
	}
	if (p == s || *p != '\0' || v > 0777)
		return EINVAL;
	*out = v;
	return 0;
}

void
cli_opt_seconds(const char *arg, struct timespec *deadline)
{
	if (cli_seconds(arg, deadline) != 0)
		cli_failx(CLI_USAGE, "bad timeout '%s': seconds, such as 2 or "
		    "0.5, at most a year", arg);
}

int
cli_opt_exit_code(const char *arg)
{
	long n;

	if (cli_number(arg, 0, 255, &n) != 0)
		cli_failx(CLI_USAGE, "bad exit code '%s': 0 to 255", arg);
	return (int)n;
}

unsigned int
cli_opt_mode(const char *arg)
{
	unsigned int mode;

	if (cli_mode(arg, &mode) != 0 || mode == 0)
		cli_failx(CLI_USAGE, "bad mode '%s': octal, 1 to 0777", arg);
	return mode;
}

const char *
cli_kind_name(int kind)
{
	switch (kind) {
	case SHMC_KIND_MUTEX:
		return "mutex";
	case SHMC_KIND_COND:
		return "cond";
	case SHMC_KIND_MVAR:
		return "mvar";
	case SHMC_KIND_CHAN:
		return "chan";
	}
	return NULL;
}

int
cli_kind_parse(const char *s)
{
	int k;

	for (k = SHMC_KIND_MUTEX; k <= SHMC_KIND_CHAN; k++)
		if (strcasecmp(s, cli_kind_name(k)) == 0)
			return k;
	return 0;
}

/* Wait until fd is ready for events; a descriptor in non-blocking mode. */
static int
wait_fd(int fd, short events)
{
	struct pollfd pfd;

	pfd.fd = fd;
	pfd.events = events;
	if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
		return errno;
	return 0;
}

/*
 * Read fd to its end.  The buffer doubles from 4 KiB up to max + 1 bytes;
 * the extra byte is how we tell an input of exactly max bytes from a
 * longer one without reading the rest of it.
 */
int
cli_read_all(int fd, size_t max, unsigned char **buf, size_t *len)
{
	unsigned char *b, *nb;
	size_t cap, limit, n = 0;
	ssize_t r;
	int e;

	limit = max < SIZE_MAX ? max + 1 : max;
	cap = limit < 4096 ? limit : 4096;
	if ((b = malloc(cap > 0 ? cap : 1)) == NULL)
		return ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap == limit)
				break;
			cap = cap > limit / 2 ? limit : cap * 2;
			if ((nb = realloc(b, cap)) == NULL) {
				free(b);
				return ENOMEM;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r == 0)
			break;
		if (r < 0) {
			e = errno;
			if (e == EINTR)
				continue;
			if (e == EAGAIN && (e = wait_fd(fd, POLLIN)) == 0)
				continue;
			free(b);
			return e;
		}
		n += (size_t)r;
	}
	if (n > max) {
		free(b);
		return EMSGSIZE;
	}
	*buf = b;
	*len = n;
	return 0;
}

int
cli_write_all(int fd, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	ssize_t w;
	int e;

	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0) {
			e = errno;
			if (e == EINTR)
				continue;
			if (e == EAGAIN && (e = wait_fd(fd, POLLOUT)) == 0)
				continue;
			return e;
		}
		if (w == 0)
			return EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * If fd is a pipe or FIFO, wait until its readers have read everything in
 * it, checking with FIONREAD (which Linux answers on the write end too)
 * and sleeping with backoff in between.  A pipe whose last reader is gone
 * reports POLLERR, and then the data still in it will never be read: that
 * is EPIPE.  For anything else, or where FIONREAD fails, return 0 at once.
 */
int
cli_drain(int fd)
{
	struct pollfd pfd;
	struct stat st;
	int n, ms = DRAIN_MIN_MS;

	if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode))
		return 0;
	for (;;) {
		if (ioctl(fd, FIONREAD, &n) != 0 || n == 0)
			return 0;
		/* No events asked for: only POLLERR, no reader, wakes us. */
		pfd.fd = fd;
		pfd.events = 0;
		if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
			return errno;
		/*
		 * The reader is gone; it may have read everything first, as
		 * head -n 1 does before it exits.
		 */
		if (pfd.revents & POLLERR)
			return ioctl(fd, FIONREAD, &n) == 0 && n == 0 ? 0 : EPIPE;
		if (ms < DRAIN_MAX_MS)
			ms *= 2;
	}
}

/*
 * The handler of SIGINT and SIGTERM.  Dying at any instruction is safe:
 * the library leaves every object as before or as after the operation in
 * progress, so there is nothing to clean up, and _exit is all we do.
 */
static void
on_signal(int sig)
{
	_exit(CLI_SIGBASE + sig);
}

void
cli_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_signal;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		/*
		 * A shell starts background commands with SIGINT ignored;
		 * leave such a signal as we found it, as sort(1) does.
		 */
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		(void)sigaction(sigs[i], &sa, NULL);
	}
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
}

/*
 * Forward the signal to the running command, or, with none running, end
 * at once, as cli_signals does: we are waiting and hold nothing (or, in a
 * window of a few instructions, a mutex whose next user is told).  A
 * signal the kernel sent, from the terminal, reaches the command anyway.
 */
static void
on_forward(int sig, siginfo_t *si, void *uc)
{
	pid_t pid = (pid_t)child;

	(void)uc;
	if (pid <= 0)
		_exit(CLI_SIGBASE + sig);
	caught = sig;
	if (si == NULL || si->si_code != SI_KERNEL)
		(void)kill(pid, sig);
}

/*
 * Install on_forward for the forwarded signals, except those ignored when
 * we started, which stay ignored for us and for the command.  cli_signals
 * ignores SIGPIPE for us; cli_run gives it back to the command.
 */
void
cli_forward_signals(void)
{
	struct sigaction sa, old;
	size_t i;

	cli_signals();
	sigemptyset(&fwd_set);
	for (i = 0; i < sizeof(fwd_sigs) / sizeof(fwd_sigs[0]); i++)
		sigaddset(&fwd_set, fwd_sigs[i]);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_forward;
	sa.sa_mask = fwd_set;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	for (i = 0; i < sizeof(fwd_sigs) / sizeof(fwd_sigs[0]); i++) {
		if (sigaction(fwd_sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		(void)sigaction(fwd_sigs[i], &sa, NULL);
	}
	(void)sigprocmask(SIG_SETMASK, NULL, &orig_mask);
}

/* Block the forwarded signals, as from the moment we hold a mutex. */
void
cli_hold_signals(void)
{
	(void)sigprocmask(SIG_BLOCK, &fwd_set, NULL);
}

/* Give back the mask we started with. */
void
cli_release_signals(void)
{
	(void)sigprocmask(SIG_SETMASK, &orig_mask, NULL);
}

/* The last signal forwarded, or the first forwarded one pending, or 0. */
int
cli_caught_signal(void)
{
	sigset_t set;
	size_t i;

	if (caught != 0)
		return caught;
	if (sigpending(&set) != 0)
		return 0;
	for (i = 0; i < sizeof(fwd_sigs) / sizeof(fwd_sigs[0]); i++)
		if (sigismember(&set, fwd_sigs[i]))
			return fwd_sigs[i];
	return 0;
}

/*
 * Start the command with posix_spawn, SIGPIPE at its default and our
 * original mask, and wait for it.  The first wait does not reap it, so
 * that its pid stays ours while the handler may kill it.
 */
int
cli_run(char **argv, const char *command, int *killed)
{
	static char sh[] = "sh", dash_c[] = "-c";
	posix_spawnattr_t sa;
	sigset_t def;
	siginfo_t si;
	char *shargv[4];
	pid_t pid;
	int r, st;

	*killed = 0;
	if (command != NULL) {
		shargv[0] = sh;
		shargv[1] = dash_c;
		shargv[2] = (char *)command;
		shargv[3] = NULL;
		argv = shargv;
	}
	if ((r = posix_spawnattr_init(&sa)) != 0)
		cli_fail(r, "cannot run %s", argv[0]);
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	(void)posix_spawnattr_setsigdefault(&sa, &def);
	(void)posix_spawnattr_setsigmask(&sa, &orig_mask);
	(void)posix_spawnattr_setflags(&sa,
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	if (command != NULL)
		r = posix_spawn(&pid, "/bin/sh", NULL, &sa, argv, environ);
	else
		r = posix_spawnp(&pid, argv[0], NULL, &sa, argv, environ);
	posix_spawnattr_destroy(&sa);
	if (r != 0) {
		cli_warn(r, "%s", command != NULL ? "/bin/sh" : argv[0]);
		return r == ENOENT ? CLI_NOTFOUND : CLI_NOEXEC;
	}
	child = pid;
	cli_release_signals();
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) != 0)
		if (errno != EINTR)
			break;
	cli_hold_signals();
	child = 0;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			cli_fail(errno, "waiting for %s", argv[0]);
	if (WIFSIGNALED(st)) {
		*killed = 1;
		return CLI_SIGBASE + WTERMSIG(st);
	}
	return WEXITSTATUS(st);
}

/*
 * Field 22 of /proc/pid/stat.  The command name in field 2 may hold
 * spaces and parentheses, so fields are counted after its last ')'.
 */
unsigned long long
cli_proc_start(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v;
	ssize_t n;
	int fd, i;

	(void)snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (i = 0; i < 20 && p != NULL; i++)
		p = strchr(p + 1, ' ');
	if (p == NULL || sscanf(p, " %llu", &v) != 1)
		return 0;
	return v;
}

/*
 * The command line of a participant, if its process still runs (same
 * pid, same start time), as ps(1) shows it; else the thread name the
 * participant recorded, in brackets.
 */
void
cli_peer_command(const struct shmc_peer_info *p, char *buf, size_t size)
{
	char path[64];
	ssize_t n = 0;
	int fd;

	if (p->pid > 0 && p->start != 0 &&
	    cli_proc_start(p->pid) == p->start) {
		(void)snprintf(path, sizeof(path), "/proc/%d/cmdline", p->pid);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) >= 0) {
			n = read(fd, buf, size - 1);
			close(fd);
		}
	}
	if (n > 0) {
		while (n > 0 && buf[n - 1] == '\0')
			n--;
		buf[n] = '\0';
		while (n-- > 0)
			if (buf[n] == '\0')
				buf[n] = ' ';
		if (buf[0] != '\0')
			return;
	}
	(void)snprintf(buf, size, "[%s]", p->comm);
}
