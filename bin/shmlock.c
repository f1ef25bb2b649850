/*
 * shmlock: run a command holding a robust shared-memory mutex, as flock(1)
 * runs one holding a file lock.
 *
 * shmlock opens the mutex NAME (creating it if it is missing), locks it,
 * runs the command as a child, waits for it, unlocks and exits with the
 * command's status.  The options are flock's: -n, -w, -E, -c, --verbose;
 * --holder tells who holds a mutex and --fail-if-owner-died refuses to
 * run after a holder died.  Exit codes are the table that every shmconc
 * command shares (bin/cli.h).
 *
 * Who holds the lock.  The mutex belongs to a thread, so it is shmlock
 * that holds it, not the command: the command cannot unlock it, and
 * whatever it forks or leaves behind holds nothing.  A shmlock killed,
 * even by SIGKILL, is a dead owner, and the next locker gets the mutex
 * with EOWNERDEAD.  We then print one warning naming the dead holder,
 * mark the mutex consistent and run the command, since shmlock cannot
 * know what the state it protects needs.
 *
 * Naming a dead holder.  Once a locker has taken the mutex over, the dead
 * owner's ID is gone from the lock word, so the holder is looked up with
 * shmc_inspect before each attempt; a wait is cut into slices of at most
 * SLICE_MS so that the holder we remember is never much older than the
 * death we report.  The slices cost nothing in fairness: the mutex is not
 * FIFO, and a locker between two slices takes a free mutex at once.  The
 * first attempt does not wait at all, so that --verbose can say at once
 * that we wait, and for whom.
 *
 * Signals.  While shmlock waits for the mutex, SIGHUP, SIGINT and SIGTERM
 * end it at once (130 and 143, as cli_signals does): it holds nothing.
 * From the moment it holds the mutex they are blocked, and while the
 * command runs they are forwarded to it; shmlock then exits with the
 * command's status, whatever the command made of the signal.  A signal
 * that the terminal sent (SI_KERNEL) is not forwarded: it went to the
 * whole foreground process group, the command included.  The command is
 * waited for with waitid(WNOWAIT) before it is reaped, so that a signal
 * is never forwarded to a pid that is already free for reuse.
 *
 * The command is started with posix_spawn, which runs no fork handlers:
 * the library's descriptors are close-on-exec, and the child never
 * becomes a participant of the mutex.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/types.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <shmconc.h>

#include "bin/cli.h"

/* The longest slice of a wait for the mutex (see above). */
#define SLICE_MS        500

/* The most of a holder's command line we show. */
#define DESC_MAX        256

/* getopt_long's values for the options with no short form. */
#define LONG_FAIL_DEAD  256
#define LONG_HOLDER     257
#define LONG_VERBOSE    258

static const char synopsis[] =
    "shmlock [-hV]\n"
    "shmlock [-n | -w secs] [-E code] [--verbose] [--fail-if-owner-died] "
    "name\n"
    "        command [argument ...]\n"
    "shmlock [-n | -w secs] [-E code] [--verbose] [--fail-if-owner-died] "
    "name\n"
    "        -c command\n"
    "shmlock --holder name\n";

/* What the command line asks for. */
struct cmd {
	const char *name;
	const char *holder;     /* --holder NAME */
	char **argv;            /* the command, or NULL with -c */
	const char *command;    /* -c */
	int wait;               /* -n or -w was given: use deadline */
	struct timespec deadline;
	int conflict;           /* -E: status for would-block and timeout */
	int verbose;
	int fail_dead;          /* --fail-if-owner-died */
	int lock_opts;          /* an option that --holder does not take */
};

/* The holder of the mutex as last seen, before an attempt to lock it. */
struct seen {
	int state;              /* SHMC_STATE_*; 0 if unknown */
	int pid;                /* the holder's pid, or 0 */
	char desc[DESC_MAX];    /* its command line, or "" */
};

/* Print "shmlock: message" and the usage, and exit 64. */
#define usage_error(...) cli_usage_error(synopsis, __VA_ARGS__)

/* Exit for a failed open or inspection of the mutex name. */
static void
fail_object(int err, const char *name)
{
	if (err == EINVAL)
		cli_bad_name(name, 200);
	if (err == EPROTOTYPE)
		cli_failx(CLI_DATA, "%s: not a mutex", name);
	cli_fail(err, "%s", name);
}

/* Seconds from start until now, for --verbose. */
static double
elapsed(const struct timespec *start)
{
	struct timespec now;

	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Is a before b? */
static int
before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * The command line of the live process pid from /proc, arguments joined
 * by spaces and anything unprintable shown as '?', as ps(1) shows it.
 * Empty if it cannot be read.
 */
static void
proc_cmdline(int pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	size_t i;
	int fd;

	buf[0] = '\0';
	(void)snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	buf[n] = '\0';
	for (i = 0; i < (size_t)n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
		else if (!isprint((unsigned char)buf[i]))
			buf[i] = '?';
}

/*
 * The thread name that the participant with pid left in its slot of the
 * mutex, for a holder whose /proc entry is gone.  A live slot of that
 * pid is preferred for a live holder, a dead one for a dead holder.
 */
static void
slot_comm(const char *name, int pid, int alive, char *buf, size_t size)
{
	struct shmc_peer_info *peers;
	size_t i, n, max = 1022;
	int found = 0;

	buf[0] = '\0';
	if ((peers = calloc(max, sizeof(*peers))) == NULL)
		return;
	if (shmc_inspect_peers(name, peers, max, &n) == 0)
		for (i = 0; i < n; i++) {
			if (peers[i].pid != pid ||
			    (found && (peers[i].alive != 0) != alive))
				continue;
			(void)snprintf(buf, size, "%s", peers[i].comm);
			found = 1;
		}
	free(peers);
	for (; *buf != '\0'; buf++)
		if (!isprint((unsigned char)*buf))
			*buf = '?';
}

/* Describe the holder pid of name: its command line, or its name. */
static void
describe(const char *name, int pid, int alive, char *buf, size_t size)
{
	buf[0] = '\0';
	if (alive)
		proc_cmdline(pid, buf, size);
	if (buf[0] == '\0')
		slot_comm(name, pid, alive, buf, size);
	if (buf[0] == '\0')
		(void)snprintf(buf, size, "?");
}

/*
 * Look at the mutex: its state and holder.  The description is read only
 * when the holder changed since the last look.
 */
static void
look(const char *name, struct seen *s)
{
	struct shmc_info info;
	int pid;

	if (shmc_inspect(name, &info) != 0 || info.error != 0 ||
	    info.kind != SHMC_KIND_MUTEX) {
		memset(s, 0, sizeof(*s));
		return;
	}
	pid = info.state == SHMC_STATE_FREE ||
	    info.state == SHMC_STATE_NOT_RECOVERABLE ? 0 : info.holder;
	if (pid != s->pid || (info.state == SHMC_STATE_OWNER_DIED) !=
	    (s->state == SHMC_STATE_OWNER_DIED)) {
		s->desc[0] = '\0';
		if (pid != 0)
			describe(name, pid,
			    info.state != SHMC_STATE_OWNER_DIED, s->desc,
			    sizeof(s->desc));
	}
	s->state = info.state;
	s->pid = pid;
}

/*
 * Warn that the previous holder died, naming it if we know who it was:
 * the holder we saw dead, or the one we saw alive whose process is gone
 * now.  A holder seen alive whose process lives on may have handed the
 * mutex on before the death, so it is not named.
 */
static void
warn_dead(const struct cmd *c, const struct seen *s, const char *then)
{
	if (s->pid != 0 && (s->state == SHMC_STATE_OWNER_DIED ||
	    (kill(s->pid, 0) != 0 && errno == ESRCH)))
		cli_warn(0, "%s: the previous holder, pid %d (%s), died "
		    "holding the lock; %s", c->name, s->pid, s->desc, then);
	else
		cli_warn(0, "%s: the previous holder died holding the lock; "
		    "%s", c->name, then);
}

/*
 * --verbose: say that the mutex is busy, who holds it if we know, and
 * what we do about it: wait, or give up after secs seconds.
 */
static void
verbose_busy(const struct cmd *c, const struct seen *s, const char *what,
    double secs)
{
	char when[64] = "";

	if (secs >= 0)
		(void)snprintf(when, sizeof(when), " %.3f seconds", secs);
	if (s->pid != 0)
		cli_warn(0, "%s: held by %d (%s); %s%s", c->name, s->pid,
		    s->desc, what, when);
	else
		cli_warn(0, "%s: held; %s%s", c->name, what, when);
}

/*
 * Lock the mutex, or exit: with the conflict status when -n or -w gives
 * up, with 4 when --fail-if-owner-died finds a dead holder.  From the
 * moment we hold the mutex, the forwarded signals are blocked.  A mutex
 * whose holder died is made consistent.
 */
static void
acquire(const struct cmd *c, struct shmc_mutex *m)
{
	struct timespec start, slice;
	struct seen s;
	int r, n;

	(void)clock_gettime(CLOCK_MONOTONIC, &start);
	memset(&s, 0, sizeof(s));
	look(c->name, &s);
	for (n = 0;; n++) {
		if (c->fail_dead && s.state == SHMC_STATE_OWNER_DIED) {
			warn_dead(c, &s, "not running the command");
			exit(CLI_OWNERDEAD);
		}
		(void)clock_gettime(CLOCK_MONOTONIC, &slice);
		slice.tv_nsec += n == 0 ? 0 : SLICE_MS * 1000000L;
		if (slice.tv_nsec >= 1000000000L) {
			slice.tv_sec++;
			slice.tv_nsec -= 1000000000L;
		}
		if (c->wait && before(&c->deadline, &slice))
			slice = c->deadline;
		r = shmc_mutex_timedlock(m, &slice);
		if (r == 0 || r == EOWNERDEAD) {
			cli_hold_signals();
			break;
		}
		if (r != ETIMEDOUT)
			cli_fail(r, "%s", c->name);
		look(c->name, &s);
		(void)clock_gettime(CLOCK_MONOTONIC, &slice);
		if (c->wait && !before(&slice, &c->deadline)) {
			if (c->verbose)
				verbose_busy(c, &s, "not acquired after",
				    elapsed(&start));
			exit(c->conflict);
		}
		if (n == 0 && c->verbose)
			verbose_busy(c, &s, "waiting", -1);
	}
	if (c->verbose)
		cli_warn(0, "%s: acquired after %.3f seconds", c->name,
		    elapsed(&start));
	if (r == EOWNERDEAD) {
		if (c->fail_dead) {
			/*
			 * Exit holding it: the mutex stays as we found
			 * it, inconsistent, and the next locker is told.
			 */
			warn_dead(c, &s, "not running the command");
			exit(CLI_OWNERDEAD);
		}
		warn_dead(c, &s, "running the command");
		if ((r = shmc_mutex_consistent(m)) != 0)
			cli_fail(r, "%s", c->name);
	}
}

/*
 * Run the command, saying so with --verbose, and wait for it: its status
 * as cli_run gives it.
 */
static int
run(const struct cmd *c)
{
	int killed;

	if (c->verbose)
		cli_warn(0, "%s: running %s", c->name, c->command != NULL ?
		    c->command : c->argv[0]);
	return cli_run(c->argv, c->command, &killed);
}

/*
 * --holder: print "PID COMMAND" of the holder, or nothing if the mutex
 * is free or does not exist.  A dead holder is printed too, and said to
 * be dead on standard error.
 */
static int
do_holder(const char *name)
{
	struct shmc_info info;
	char desc[4096];
	int r;

	if ((r = shmc_inspect(name, &info)) == ENOENT)
		return CLI_OK;
	if (r != 0)
		fail_object(r, name);
	if (info.error == ENOENT)
		return CLI_OK;
	if (info.error != 0)
		fail_object(info.error, name);
	if (info.kind != SHMC_KIND_MUTEX)
		fail_object(EPROTOTYPE, name);
	switch (info.state) {
	case SHMC_STATE_FREE:
		return CLI_OK;
	case SHMC_STATE_NOT_RECOVERABLE:
		cli_warn(0, "%s: not recoverable: a holder died and the state "
		    "was never repaired", name);
		return CLI_OK;
	case SHMC_STATE_HELD:
	case SHMC_STATE_INCONSISTENT:
	case SHMC_STATE_OWNER_DIED:
		break;
	default:
		cli_failx(CLI_OSERR, "%s: cannot tell who holds it", name);
	}
	describe(name, info.holder, info.state != SHMC_STATE_OWNER_DIED,
	    desc, sizeof(desc));
	printf("%d %s\n", info.holder, desc);
	if (fflush(stdout) != 0 || ferror(stdout))
		cli_fail(errno, "standard output");
	if (info.state == SHMC_STATE_OWNER_DIED)
		cli_warn(0, "%s: its holder %d died holding it", name,
		    info.holder);
	return CLI_OK;
}

/*
 * The command after the name: "-c STRING", "--command STRING",
 * "--command=STRING", or a command and its arguments, optionally after
 * "--".  With -c given before the name, nothing may follow it.
 */
static void
parse_command(int argc, char **argv, struct cmd *c)
{
	const char *a;

	if (argc == 0) {
		if (c->command == NULL)
			usage_error("missing command");
		return;
	}
	if (c->command != NULL)
		usage_error("both -c and a command");
	a = argv[0];
	if (strcmp(a, "-c") == 0 || strcmp(a, "--command") == 0) {
		if (argc != 2)
			usage_error("%s takes exactly one command string", a);
		c->command = argv[1];
	} else if (strncmp(a, "--command=", 10) == 0) {
		if (argc != 1)
			usage_error("--command takes exactly one command "
			    "string");
		c->command = a + 10;
	} else if (strcmp(a, "--") == 0) {
		if (argc == 1)
			usage_error("missing command");
		c->argv = argv + 1;
	} else
		c->argv = argv;
}

/* Parse the command line into *c, exiting on -h, -V or any error. */
static void
parse(int argc, char **argv, struct cmd *c)
{
	static const struct option longopts[] = {
		{ "command",            required_argument, NULL, 'c' },
		{ "conflict-exit-code", required_argument, NULL, 'E' },
		{ "fail-if-owner-died", no_argument,       NULL,
		    LONG_FAIL_DEAD },
		{ "help",               no_argument,       NULL, 'h' },
		{ "holder",             required_argument, NULL, LONG_HOLDER },
		{ "nonblock",           no_argument,       NULL, 'n' },
		{ "timeout",            required_argument, NULL, 'w' },
		{ "verbose",            no_argument,       NULL, LONG_VERBOSE },
		{ "version",            no_argument,       NULL, 'V' },
		{ "wait",               required_argument, NULL, 'w' },
		{ NULL,                 0,                 NULL, 0 }
	};
	int ch;

	memset(c, 0, sizeof(*c));
	c->conflict = CLI_WOULDBLOCK;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:E:Vc:hnw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'E':
			c->conflict = cli_opt_exit_code(optarg);
			c->lock_opts = 1;
			break;
		case 'V':
			cli_version("shmlock");
		case 'c':
			if (c->command != NULL)
				usage_error("-c given twice");
			c->command = optarg;
			c->lock_opts = 1;
			break;
		case 'h':
			cli_usage(CLI_OK, synopsis);
		case 'n':
			(void)cli_seconds("0", &c->deadline);
			c->wait = 1;
			c->lock_opts = 1;
			break;
		case 'w':
			cli_opt_seconds(optarg, &c->deadline);
			c->wait = 1;
			c->lock_opts = 1;
			break;
		case LONG_FAIL_DEAD:
			c->fail_dead = 1;
			c->lock_opts = 1;
			break;
		case LONG_HOLDER:
			c->holder = optarg;
			break;
		case LONG_VERBOSE:
			c->verbose = 1;
			c->lock_opts = 1;
			break;
		default:
			cli_bad_option(synopsis, ch, argv);
		}
	}
	argc -= optind;
	argv += optind;
	if (c->holder != NULL) {
		if (argc > 0)
			usage_error("--holder takes no other operand");
		if (c->lock_opts)
			usage_error("--holder takes no other option");
		return;
	}
	if (argc == 0)
		usage_error("missing name");
	c->name = argv[0];
	parse_command(argc - 1, argv + 1, c);
}

int
main(int argc, char **argv)
{
	struct shmc_mutex *m;
	struct cmd c;
	int r, status;

	cli_init(argv[0]);
	parse(argc, argv, &c);
	if (c.holder != NULL)
		return do_holder(c.holder);
	cli_forward_signals();
	if ((r = shmc_mutex_open(c.name, SHMC_CREAT, NULL, &m)) != 0)
		fail_object(r, c.name);
	acquire(&c, m);
	status = run(&c);
	if ((r = shmc_mutex_unlock(m)) != 0)
		cli_fail(r, "%s: unlock", c.name);
	shmc_mutex_close(m);
	return status;
}
