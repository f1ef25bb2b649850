/*
 * shmvar: an MVar from the shell.
 *
 * Each run does one operation on one MVar, named with GHC's verbs: new,
 * put, take, read, swap, try-take, try-put, try-read, is-empty, modify and
 * rm.  Values are raw bytes, binary-safe: from the command line or
 * standard input, and to standard output.  Exit codes are the table that
 * every shmconc command shares (bin/cli.h).
 *
 * Output before commit.  take, try-take and swap hand the value to
 * standard output while the MVar still holds it (shmc_mvar_take_with and
 * shmc_mvar_modify) and commit only once it is written and, into a pipe,
 * read; a closed pipe or a full disk leaves the value in the MVar.  swap
 * is therefore a modify whose function prints the old value, rather than
 * shmc_mvar_swap, which commits before we could print.  modify runs a
 * shell command as a filter in the same way: the old value stays unless
 * the command succeeds.
 *
 * Options are parsed with getopt_long, which lets them follow the verb
 * and the name ("shmvar modify x -c CMD"); "--" ends them, for a value
 * that starts with a dash.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <shmconc.h>

#include "bin/cli.h"

/* The largest value of a new MVar by default, and at most (shmconc.h). */
#define DEFAULT_SIZE    (64UL * 1024)
#define MAX_SIZE        (1UL << 30)

/* The options; each verb accepts those in its mask. */
#define OPT_SIZE        0x01    /* -s */
#define OPT_MODE        0x02    /* -m */
#define OPT_EXCL        0x04    /* --excl */
#define OPT_WAIT        0x08    /* -w, -n */
#define OPT_EXIT        0x10    /* -E */
#define OPT_CMD         0x20    /* -c */

/* getopt_long's value for --excl, which has no short form. */
#define LONG_EXCL       256

enum verb_id {
	IS_EMPTY, MODIFY, NEW, PUT, READ, RM, SWAP, TAKE, TRY_PUT, TRY_READ,
	TRY_TAKE
};

/* The verbs; operands is 1 for those with an optional VALUE after NAME. */
static const struct cli_verb verbs[] = {
	{ "is-empty",   IS_EMPTY,       0,                              0 },
	{ "modify",     MODIFY,         OPT_WAIT | OPT_EXIT | OPT_CMD,  0 },
	{ "new",        NEW,            OPT_SIZE | OPT_MODE | OPT_EXCL, 1 },
	{ "put",        PUT,            OPT_WAIT | OPT_EXIT,            1 },
	{ "read",       READ,           OPT_WAIT | OPT_EXIT,            0 },
	{ "rm",         RM,             0,                              0 },
	{ "swap",       SWAP,           OPT_WAIT | OPT_EXIT,            1 },
	{ "take",       TAKE,           OPT_WAIT | OPT_EXIT,            0 },
	{ "try-put",    TRY_PUT,        OPT_EXIT,                       1 },
	{ "try-read",   TRY_READ,       OPT_EXIT,                       0 },
	{ "try-take",   TRY_TAKE,       OPT_EXIT,                       0 },
};

static const struct cli_optname optnames[] = {
	{ OPT_SIZE, "-s" },
	{ OPT_MODE, "-m" },
	{ OPT_EXCL, "--excl" },
	{ OPT_WAIT, "-w or -n" },
	{ OPT_EXIT, "-E" },
	{ OPT_CMD, "-c" },
};

static const char synopsis[] =
    "shmvar [-hV]\n"
    "shmvar new [-s size] [-m mode] [--excl] name [value | -]\n"
    "shmvar put | swap [-n | -w secs] [-E code] name [value | -]\n"
    "shmvar take | read [-n | -w secs] [-E code] name\n"
    "shmvar try-put [-E code] name [value | -]\n"
    "shmvar try-take | try-read [-E code] name\n"
    "shmvar modify [-n | -w secs] [-E code] -c command name\n"
    "shmvar is-empty | rm name\n";

/* What the command line asks for. */
struct cmd {
	const struct cli_verb *verb;
	const char *name;
	const char *value;      /* VALUE; NULL if none was given */
	int given;              /* OPT_ bits of the options given */
	size_t size;            /* -s */
	unsigned int mode;      /* -m */
	int wait;               /* -w or -n was given: use deadline */
	struct timespec deadline;
	int conflict;           /* -E: status for would-block and timeout */
	const char *command;    /* -c */
};

/* The state of an output callback: the error of the write, if any. */
struct output {
	int err;
};

/* The state of swap's callback. */
struct swap {
	struct output out;
	const unsigned char *value;
	size_t len;
};

/* The state of modify's callback. */
struct filter {
	const char *command;
	int status;             /* the command's failure as an exit status */
	int err;                /* an error of ours while running it */
};

extern char **environ;

static void fail_object(int, const char *) CLI_NORETURN;
static void fail_output(const struct cmd *, int) CLI_NORETURN;
static void fail_too_long(const char *, size_t) CLI_NORETURN;
/* Print "shmvar: message" and the usage, and exit 64. */
#define usage_error(...) cli_usage_error(synopsis, __VA_ARGS__)

/*
 * Exit for an error of an open or unlink call.  The library checks
 * names, and a bad one is its only EINVAL here, since we check the size
 * and mode ourselves.
 */
static void
fail_object(int err, const char *name)
{
	if (err == EINVAL)
		cli_bad_name(name, 200);
	if (err == ENOENT)
		cli_failx(CLI_NOOBJ, "%s: no such MVar", name);
	cli_fail(err, "%s", name);
}

static struct shmc_mvar *
open_mvar(const char *name)
{
	struct shmc_mvar *mv;
	int r;

	if ((r = shmc_mvar_open(name, 0, NULL, &mv)) != 0)
		fail_object(r, name);
	return mv;
}

static void
fail_too_long(const char *name, size_t max)
{
	cli_failx(CLI_DATA, "%s: value longer than the maximum of %zu bytes",
	    name, max);
}

/*
 * The value to put, in a new buffer: VALUE, or all of standard input if
 * VALUE is missing or "-".  Longer than max bytes is an error, before
 * anything changes.
 */
static unsigned char *
get_value(const struct cmd *c, size_t max, size_t *len)
{
	unsigned char *buf;
	int r;

	if (c->value != NULL && strcmp(c->value, "-") != 0) {
		*len = strlen(c->value);
		if (*len > max)
			fail_too_long(c->name, max);
		if ((buf = malloc(*len + 1)) == NULL)
			cli_fail(ENOMEM, "%s", c->name);
		memcpy(buf, c->value, *len);
		return buf;
	}
	r = cli_read_all(STDIN_FILENO, max, &buf, len);
	if (r == EMSGSIZE)
		fail_too_long(c->name, max);
	if (r != 0)
		cli_failx(CLI_OSERR, "standard input: %s", shmc_strerror(r));
	return buf;
}

/*
 * Exit after a failed write of a value to standard output.  The value is
 * still in the MVar (or was only read).  A reader that went away is no
 * error of ours to report: exit quietly with the status of a process
 * killed by SIGPIPE, as the writer in a pipeline usually is.
 */
static void
fail_output(const struct cmd *c, int err)
{
	if (err == EPIPE)
		exit(CLI_SIGBASE + SIGPIPE);
	if (c->verb->id == READ || c->verb->id == TRY_READ)
		cli_failx(CLI_OSERR, "standard output: %s", shmc_strerror(err));
	cli_failx(CLI_OSERR, "standard output: %s (the value stays in %s)",
	    shmc_strerror(err), c->name);
}

/*
 * The exit status for the result r of an operation on c->name, with a
 * message where one is due.  Would-block and timeout are quiet, as with
 * flock(1) and test(1).
 */
static int
status(const struct cmd *c, int r)
{
	switch (r) {
	case 0:
		return CLI_OK;
	case EAGAIN:
	case EBUSY:
	case ETIMEDOUT:
		return c->conflict;
	case EOWNERDEAD:
		cli_warn(0, "%s: the previous taker died; this is its value, "
		    "restored", c->name);
		return CLI_OWNERDEAD;
	default:
		cli_warn(r, "%s", c->name);
		return cli_exit_code(r);
	}
}

/* The deadline to pass to a timed call: NULL waits for ever. */
static const struct timespec *
deadline(const struct cmd *c)
{
	return c->wait ? &c->deadline : NULL;
}

/*
 * Write a value to standard output and, into a pipe, wait until it has
 * been read: the take or swap commits only if this returns 0.
 */
static int
output_value(void *arg, const void *value, size_t len)
{
	struct output *out = arg;

	out->err = cli_write_all(STDOUT_FILENO, value, len);
	if (out->err == 0)
		out->err = cli_drain(STDOUT_FILENO);
	return out->err;
}

/*
 * new: create the MVar, full if a value was given.  Without --excl an
 * existing MVar is opened and left as it is, so that any number of shells
 * may run the same "new" before they use it.
 */
static int
do_new(const struct cmd *c)
{
	struct shmc_attr attr;
	struct shmc_mvar *mv;
	unsigned char *value;
	size_t len;
	int flags, r;

	memset(&attr, 0, sizeof(attr));
	attr.size = (unsigned int)c->size;
	attr.mode = c->mode;
	flags = SHMC_CREAT;
	if (c->given & OPT_EXCL)
		flags |= SHMC_EXCL;
	if (c->value != NULL) {
		value = get_value(c, c->size, &len);
		r = shmc_mvar_open_full(c->name, flags, &attr, value, len,
		    &mv);
		free(value);
	} else
		r = shmc_mvar_open(c->name, flags, &attr, &mv);
	if (r == EEXIST)
		cli_failx(CLI_EXISTS, "%s: exists already", c->name);
	if (r != 0)
		fail_object(r, c->name);
	shmc_mvar_close(mv);
	return CLI_OK;
}

/*
 * put and try-put.  The value is read before the wait, so that a value
 * that is too long fails at once and changes nothing.
 */
static int
do_put(const struct cmd *c)
{
	struct shmc_mvar *mv;
	unsigned char *value;
	size_t len, max;
	int r;

	mv = open_mvar(c->name);
	(void)shmc_mvar_size(mv, &max);
	value = get_value(c, max, &len);
	if (c->verb->id == TRY_PUT)
		r = shmc_mvar_try_put(mv, value, len);
	else
		r = shmc_mvar_timedput(mv, value, len, deadline(c));
	free(value);
	shmc_mvar_close(mv);
	return status(c, r);
}

/*
 * take and try-take.  There is no try_take_with: a deadline that has
 * passed already is the same, since a timed call still succeeds if it
 * can proceed at once.
 */
static int
do_take(const struct cmd *c)
{
	struct output out = { 0 };
	struct timespec now;
	struct shmc_mvar *mv;
	const struct timespec *when = deadline(c);
	int r;

	if (c->verb->id == TRY_TAKE) {
		(void)cli_seconds("0", &now);
		when = &now;
	}
	mv = open_mvar(c->name);
	r = shmc_mvar_timedtake_with(mv, output_value, &out, when);
	shmc_mvar_close(mv);
	if (out.err != 0)
		fail_output(c, out.err);
	return status(c, r);
}

/* read and try-read: nothing is consumed, so the output comes after. */
static int
do_read(const struct cmd *c)
{
	struct shmc_mvar *mv;
	unsigned char *buf;
	size_t len, max;
	int r, w;

	mv = open_mvar(c->name);
	(void)shmc_mvar_size(mv, &max);
	if ((buf = malloc(max)) == NULL)
		cli_fail(ENOMEM, "%s", c->name);
	if (c->verb->id == TRY_READ)
		r = shmc_mvar_try_read(mv, buf, max, &len);
	else
		r = shmc_mvar_timedread(mv, buf, max, &len, deadline(c));
	shmc_mvar_close(mv);
	if (r == 0 && (w = cli_write_all(STDOUT_FILENO, buf, len)) != 0)
		fail_output(c, w);
	free(buf);
	return status(c, r);
}

/* swap's function for shmc_mvar_modify: print the old value, give ours. */
static int
swap_value(void *arg, const void *old, size_t oldlen, void *new_value,
    size_t size, size_t *newlen)
{
	struct swap *sw = arg;

	if (output_value(&sw->out, old, oldlen) != 0)
		return sw->out.err;
	if (sw->len > size)
		return EMSGSIZE;
	memcpy(new_value, sw->value, sw->len);
	*newlen = sw->len;
	return 0;
}

/* swap: a modify, so that the old value is out before the commit. */
static int
do_swap(const struct cmd *c)
{
	struct swap sw = { { 0 }, NULL, 0 };
	struct shmc_mvar *mv;
	unsigned char *value;
	size_t max;
	int r;

	mv = open_mvar(c->name);
	(void)shmc_mvar_size(mv, &max);
	value = get_value(c, max, &sw.len);
	sw.value = value;
	r = shmc_mvar_timedmodify(mv, swap_value, &sw, deadline(c));
	shmc_mvar_close(mv);
	free(value);
	if (sw.out.err != 0)
		fail_output(c, sw.out.err);
	return status(c, r);
}

/* Move fd above the standard descriptors, keeping it close-on-exec. */
static int
high_fd(int *fd)
{
	int nfd;

	if (*fd > STDERR_FILENO)
		return 0;
	if ((nfd = fcntl(*fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1)) < 0)
		return errno;
	close(*fd);
	*fd = nfd;
	return 0;
}

/*
 * Start /bin/sh -c command with pipes on its standard input and output.
 * Our ends come back in *to and *from, non-blocking.  The child gets
 * SIGPIPE back at its default, which we ignore; our signal handlers do
 * not survive the exec.
 */
static int
spawn_shell(const char *command, pid_t *pid, int *to, int *from)
{
	static char sh[] = "sh", dash_c[] = "-c";
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t sa;
	sigset_t sigs;
	char *argv[4];
	int in[2], out[2], i, r;

	if (pipe2(in, O_CLOEXEC) != 0)
		return errno;
	if (pipe2(out, O_CLOEXEC) != 0) {
		r = errno;
		close(in[0]);
		close(in[1]);
		return r;
	}
	/* dup2 onto 0 and 1 must not overwrite one of the pipes. */
	for (r = 0, i = 0; r == 0 && i < 2; i++)
		if ((r = high_fd(&in[i])) == 0)
			r = high_fd(&out[i]);
	argv[0] = sh;
	argv[1] = dash_c;
	argv[2] = (char *)command;
	argv[3] = NULL;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGPIPE);
	if (r == 0 && (r = posix_spawn_file_actions_init(&fa)) == 0) {
		if ((r = posix_spawnattr_init(&sa)) == 0) {
			(void)posix_spawn_file_actions_adddup2(&fa, in[0],
			    STDIN_FILENO);
			(void)posix_spawn_file_actions_adddup2(&fa, out[1],
			    STDOUT_FILENO);
			(void)posix_spawnattr_setsigdefault(&sa, &sigs);
			(void)posix_spawnattr_setflags(&sa,
			    POSIX_SPAWN_SETSIGDEF);
			r = posix_spawn(pid, "/bin/sh", &fa, &sa, argv,
			    environ);
			posix_spawnattr_destroy(&sa);
		}
		posix_spawn_file_actions_destroy(&fa);
	}
	close(in[0]);
	close(out[1]);
	if (r == 0 && (fcntl(in[1], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(out[0], F_SETFL, O_NONBLOCK) != 0))
		r = errno;
	if (r != 0) {
		close(in[1]);
		close(out[0]);
		return r;
	}
	*to = in[1];
	*from = out[0];
	return 0;
}

/*
 * Feed in to the command through to and collect its output from from into
 * buf (size bytes) at the same time, so that neither of us can fill a
 * pipe and wait for the other.  Returns 0 with *len set, EMSGSIZE as soon
 * as the output is longer than size, or an errno value.  A command that
 * stops reading its input (EPIPE) is fine: it need not read it all.
 * Closes both descriptors; closing from early gets a command that writes
 * on a SIGPIPE.
 */
static int
pump(int to, const unsigned char *in, size_t inlen, int from,
    unsigned char *buf, size_t size, size_t *len)
{
	struct pollfd pfd[2];
	unsigned char extra;
	size_t off = 0, got = 0;
	ssize_t n;
	int r = 0;

	if (inlen == 0) {
		close(to);
		to = -1;
	}
	while (r == 0 && (to != -1 || from != -1)) {
		/* poll skips the negative descriptor of a closed pipe. */
		pfd[0].fd = to;
		pfd[0].events = POLLOUT;
		pfd[1].fd = from;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) < 0) {
			if (errno != EINTR)
				r = errno;
			continue;
		}
		if (to != -1 && pfd[0].revents != 0) {
			n = write(to, in + off, inlen - off);
			if (n >= 0)
				off += (size_t)n;
			else if (errno == EPIPE)
				off = inlen;
			else if (errno != EAGAIN && errno != EINTR)
				r = errno;
			if (off == inlen) {
				close(to);
				to = -1;
			}
		}
		if (from != -1 && pfd[1].revents != 0) {
			if (got < size)
				n = read(from, buf + got, size - got);
			else
				n = read(from, &extra, 1);
			if (n == 0) {
				close(from);
				from = -1;
			} else if (n > 0 && got == size)
				r = EMSGSIZE;
			else if (n > 0)
				got += (size_t)n;
			else if (errno != EAGAIN && errno != EINTR)
				r = errno;
		}
	}
	if (to != -1)
		close(to);
	if (from != -1)
		close(from);
	*len = got;
	return r;
}

/*
 * modify's function for shmc_mvar_modify: run the command with the old
 * value on its standard input; its standard output is the new value if
 * it exits 0.  Any failure returns non-zero, and the library puts the old
 * value back; f->status or f->err says what happened.
 */
static int
filter(void *arg, const void *old, size_t oldlen, void *new_value,
    size_t size, size_t *newlen)
{
	struct filter *f = arg;
	pid_t pid;
	int to, from, r, st;

	if ((r = spawn_shell(f->command, &pid, &to, &from)) != 0) {
		cli_warn(r, "cannot run /bin/sh");
		f->status = r == ENOENT ? CLI_NOTFOUND : CLI_NOEXEC;
		return r;
	}
	r = pump(to, old, oldlen, from, new_value, size, newlen);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			if (r == 0)
				r = errno;
			break;
		}
	if (r != 0) {
		f->err = r;
		return r;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	f->status = WIFSIGNALED(st) ? CLI_SIGBASE + WTERMSIG(st) :
	    WEXITSTATUS(st);
	return ECANCELED;
}

/*
 * modify: the command's failure is its own exit status, and it speaks for
 * itself on standard error; ours get a message.
 */
static int
do_modify(const struct cmd *c)
{
	struct filter f = { c->command, 0, 0 };
	struct shmc_mvar *mv;
	size_t max;
	int r;

	mv = open_mvar(c->name);
	(void)shmc_mvar_size(mv, &max);
	r = shmc_mvar_timedmodify(mv, filter, &f, deadline(c));
	shmc_mvar_close(mv);
	if (f.err == EMSGSIZE)
		cli_failx(CLI_DATA, "%s: the command's output is longer than "
		    "the maximum of %zu bytes; the value stays", c->name, max);
	if (f.err != 0)
		cli_failx(CLI_OSERR, "%s: running the command: %s; the value "
		    "stays", c->name, shmc_strerror(f.err));
	if (f.status != 0)
		return f.status;
	return status(c, r);
}

static int
do_is_empty(const struct cmd *c)
{
	struct shmc_mvar *mv;
	int empty;

	mv = open_mvar(c->name);
	(void)shmc_mvar_is_empty(mv, &empty);
	shmc_mvar_close(mv);
	return empty ? 0 : 1;
}

static int
do_rm(const struct cmd *c)
{
	int r;

	if ((r = shmc_mvar_unlink(c->name)) != 0)
		fail_object(r, c->name);
	return CLI_OK;
}

/* Parse the command line into *c, exiting on -h, -V or any error. */
static void
parse(int argc, char **argv, struct cmd *c)
{
	static const struct option longopts[] = {
		{ "command",            required_argument, NULL, 'c' },
		{ "conflict-exit-code", required_argument, NULL, 'E' },
		{ "excl",               no_argument,       NULL, LONG_EXCL },
		{ "help",               no_argument,       NULL, 'h' },
		{ "mode",               required_argument, NULL, 'm' },
		{ "nonblock",           no_argument,       NULL, 'n' },
		{ "size",               required_argument, NULL, 's' },
		{ "timeout",            required_argument, NULL, 'w' },
		{ "version",            no_argument,       NULL, 'V' },
		{ "wait",               required_argument, NULL, 'w' },
		{ NULL,                 0,                 NULL, 0 }
	};
	int ch;

	memset(c, 0, sizeof(*c));
	c->size = DEFAULT_SIZE;
	c->conflict = CLI_WOULDBLOCK;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":E:Vc:hm:ns:w:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'E':
			c->conflict = cli_opt_exit_code(optarg);
			c->given |= OPT_EXIT;
			break;
		case 'V':
			cli_version("shmvar");
		case 'c':
			c->command = optarg;
			c->given |= OPT_CMD;
			break;
		case 'h':
			cli_usage(CLI_OK, synopsis);
		case 'm':
			c->mode = cli_opt_mode(optarg);
			c->given |= OPT_MODE;
			break;
		case 'n':
			(void)cli_seconds("0", &c->deadline);
			c->wait = 1;
			c->given |= OPT_WAIT;
			break;
		case 's':
			if (cli_size(optarg, &c->size) != 0 || c->size == 0 ||
			    c->size > MAX_SIZE)
				cli_failx(CLI_USAGE, "bad size '%s': bytes, "
				    "with an optional K, M or G, from 1 to 1G",
				    optarg);
			c->given |= OPT_SIZE;
			break;
		case 'w':
			cli_opt_seconds(optarg, &c->deadline);
			c->wait = 1;
			c->given |= OPT_WAIT;
			break;
		case LONG_EXCL:
			c->given |= OPT_EXCL;
			break;
		default:
			cli_bad_option(synopsis, ch, argv);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage_error("missing verb");
	c->verb = cli_find_verb(synopsis, verbs,
	    sizeof(verbs) / sizeof(verbs[0]), argv[0]);
	if (argc < 2)
		usage_error("%s: missing name", c->verb->name);
	if (argc > 2 + c->verb->operands)
		usage_error("%s: too many operands", c->verb->name);
	c->name = argv[1];
	c->value = argc > 2 ? argv[2] : NULL;
	cli_check_options(synopsis, c->verb, c->given, optnames,
	    sizeof(optnames) / sizeof(optnames[0]));
	if (c->verb->id == MODIFY && c->command == NULL)
		usage_error("%s: missing -c command", c->verb->name);
}

int
main(int argc, char **argv)
{
	struct cmd c;

	cli_init(argv[0]);
	parse(argc, argv, &c);
	cli_signals();
	switch (c.verb->id) {
	case IS_EMPTY:
		return do_is_empty(&c);
	case MODIFY:
		return do_modify(&c);
	case NEW:
		return do_new(&c);
	case PUT:
	case TRY_PUT:
		return do_put(&c);
	case READ:
	case TRY_READ:
		return do_read(&c);
	case RM:
		return do_rm(&c);
	case SWAP:
		return do_swap(&c);
	case TAKE:
	case TRY_TAKE:
		return do_take(&c);
	}
	return CLI_OSERR;
}
