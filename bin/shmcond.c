/*
 * shmcond: a condition variable from the shell.
 *
 * The textbook pattern, with commands for the predicate and the update:
 * "shmcond wait NAME -- PREDICATE" locks the mutex, runs PREDICATE, and
 * while it fails waits on the condition variable and runs it again; it
 * exits 0 once PREDICATE succeeds.  "shmcond signal NAME -- UPDATE" (or
 * broadcast) locks the mutex, runs UPDATE, unlocks, and wakes one waiter
 * (or all).  The state itself is the user's: files, typically, which the
 * predicate reads and the update writes, under the mutex.
 *
 * Names.  The object NAME is two shmconc objects: the condition variable
 * NAME and the mutex NAME.lock, both created on first use.  The mutex is
 * an ordinary one, so "shmlock NAME.lock command" updates the state under
 * the same lock, and "shmcond broadcast NAME" then wakes the waiters.
 * NAME is at most 195 bytes, so that NAME.lock is a valid name too.
 *
 * Why signal takes the mutex even without UPDATE: a waiter runs its
 * predicate and starts waiting while it holds the mutex, and the wait
 * releases it atomically.  Once the signaller has held the mutex, every
 * waiter that ran its predicate before the state changed is asleep, so
 * the wake-up cannot fall between its predicate and its wait.
 *
 * Predicates and updates run as children, under the mutex, started with
 * posix_spawn (no fork handlers run, and the library's descriptors are
 * close-on-exec, so they are never participants).  A predicate that
 * exits with 126 or 127, as a shell does for a command it cannot run or
 * find, cannot become true: that is an error, not a false predicate.  A
 * predicate killed by a signal is an error too.
 *
 * Signals.  While shmcond waits for the mutex or on the condition
 * variable, SIGHUP, SIGINT and SIGTERM end it at once (cli_signals' 130
 * and 143): it holds nothing.  While it holds the mutex they are blocked,
 * and while a child runs they are forwarded to it (except those from the
 * terminal, which reach the child anyway); a wait interrupted so exits
 * with 128 plus the signal number once it has unlocked, unless the
 * predicate succeeded.  A death between the library's return and our
 * blocking, a few instructions, leaves the mutex to a dead owner, and the
 * next user warns and goes on.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <shmconc.h>

#include "bin/cli.h"

/* The suffix of the mutex's name, and the longest NAME with it. */
#define LOCK_SUFFIX     ".lock"
#define NAME_MAX_LEN    195

/* The options; each verb accepts those in its mask. */
#define OPT_WAIT        0x01    /* -w */
#define OPT_EXIT        0x02    /* -E */
#define OPT_CMD         0x04    /* -c */

/* Whether a verb takes a command: none, optional, required. */
#define CMD_NONE        0
#define CMD_OPTIONAL    1
#define CMD_REQUIRED    2

enum verb_id {
	BROADCAST, RM, SIGNAL, WAIT
};

#define OPT_ALL         (OPT_WAIT | OPT_EXIT | OPT_CMD)

/* The verbs; operands is CMD_*, whether a verb takes a command. */
static const struct cli_verb verbs[] = {
	{ "broadcast",  BROADCAST,      OPT_ALL,        CMD_OPTIONAL },
	{ "rm",         RM,             0,              CMD_NONE },
	{ "signal",     SIGNAL,         OPT_ALL,        CMD_OPTIONAL },
	{ "wait",       WAIT,           OPT_ALL,        CMD_REQUIRED },
};

static const struct cli_optname optnames[] = {
	{ OPT_WAIT, "-w" },
	{ OPT_EXIT, "-E" },
	{ OPT_CMD, "-c" },
};

static const char synopsis[] =
    "shmcond [-hV]\n"
    "shmcond wait [-w secs] [-E code] name [--] predicate [argument ...]\n"
    "shmcond wait [-w secs] [-E code] name -c predicate\n"
    "shmcond signal | broadcast [-w secs] [-E code] name\n"
    "        [[--] update [argument ...] | -c update]\n"
    "shmcond rm name\n";

/* What the command line asks for. */
struct cmd {
	const struct cli_verb *verb;
	const char *name;
	char lockname[NAME_MAX_LEN + 1 + sizeof(LOCK_SUFFIX)];
	char **argv;            /* the command, or NULL */
	const char *command;    /* -c */
	int given;              /* OPT_ bits of the options given */
	int wait;               /* -w was given: use deadline */
	struct timespec deadline;
	int conflict;           /* -E: status for a timeout */
};

/* The objects of a cmd, once open. */
struct obj {
	struct shmc_mutex *m;
	struct shmc_cond *cv;
};

/* Print "shmcond: message" and the usage, and exit 64. */
#define usage_error(...) cli_usage_error(synopsis, __VA_ARGS__)
static void fail_object(int, const char *) CLI_NORETURN;

/* Exit for an error of an open or unlink call on name. */
static void
fail_object(int err, const char *name)
{
	if (err == EINVAL)
		cli_bad_name(name, NAME_MAX_LEN);
	cli_fail(err, "%s", name);
}

/* Open the mutex, then the condition variable, creating them. */
static void
open_obj(const struct cmd *c, struct obj *o)
{
	int r;

	if ((r = shmc_mutex_open(c->lockname, SHMC_CREAT, NULL, &o->m)) != 0)
		fail_object(r, r == EINVAL ? c->name : c->lockname);
	if ((r = shmc_cond_open(c->name, SHMC_CREAT, NULL, &o->cv)) != 0)
		fail_object(r, c->name);
}

/* Close both handles; the mutex is not held. */
static void
close_obj(struct obj *o)
{
	(void)shmc_cond_close(o->cv);
	(void)shmc_mutex_close(o->m);
}

/*
 * After a lock or a wait returned EOWNERDEAD: the state is the user's,
 * so say so and go on.
 */
static void
owner_died(const struct cmd *c, struct obj *o)
{
	int r;

	cli_warn(0, "%s: a previous holder of %s died holding it; going on",
	    c->name, c->lockname);
	if ((r = shmc_mutex_consistent(o->m)) != 0)
		cli_fail(r, "%s", c->lockname);
}

/*
 * Lock the mutex by the deadline, or exit with the conflict status.  From
 * the moment we hold it, the forwarded signals are blocked.
 */
static void
hold(const struct cmd *c, struct obj *o)
{
	int r;

	r = shmc_mutex_timedlock(o->m, c->wait ? &c->deadline : NULL);
	if (r == 0 || r == EOWNERDEAD)
		cli_hold_signals();
	if (r == ETIMEDOUT) {
		close_obj(o);
		exit(c->conflict);
	}
	if (r == EOWNERDEAD)
		owner_died(c, o);
	else if (r != 0)
		cli_fail(r, "%s", c->lockname);
}

static void
unhold(const struct cmd *c, struct obj *o)
{
	int r;

	if ((r = shmc_mutex_unlock(o->m)) != 0)
		cli_fail(r, "%s: unlock", c->lockname);
}

/* Has the deadline of c passed? */
static int
expired(const struct cmd *c)
{
	struct timespec now;

	if (!c->wait)
		return 0;
	(void)clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > c->deadline.tv_sec ||
	    (now.tv_sec == c->deadline.tv_sec &&
	    now.tv_nsec >= c->deadline.tv_nsec);
}

/*
 * wait: the predicate loop.  After a timeout the predicate runs once
 * more, so that a change that came with the deadline is not missed; a
 * deadline that has passed already (-w 0) runs it once.
 */
static int
do_wait(const struct cmd *c)
{
	struct obj o;
	int r, st, killed, sig;

	open_obj(c, &o);
	hold(c, &o);
	for (;;) {
		st = cli_run(c->argv, c->command, &killed);
		if (st == 0 || killed || st == CLI_NOEXEC ||
		    st == CLI_NOTFOUND)
			break;
		if ((sig = cli_caught_signal()) != 0) {
			st = CLI_SIGBASE + sig;
			break;
		}
		if (expired(c)) {
			st = c->conflict;
			break;
		}
		cli_release_signals();
		r = shmc_cond_timedwait(o.cv, o.m, c->wait ? &c->deadline :
		    NULL);
		if (r == 0 || r == ETIMEDOUT || r == EOWNERDEAD)
			cli_hold_signals();
		if (r == EOWNERDEAD)
			owner_died(c, &o);
		else if (r != 0 && r != ETIMEDOUT)
			cli_fail(r, "%s", c->name);
	}
	unhold(c, &o);
	close_obj(&o);
	return st;
}

/*
 * signal and broadcast: run the update under the mutex; wake nobody if it
 * fails.  The wake-up comes after the unlock, so that the waiter it wakes
 * finds the mutex free; a signal that arrives meanwhile stays blocked.
 */
static int
do_notify(const struct cmd *c)
{
	struct obj o;
	int st = 0, killed;

	open_obj(c, &o);
	hold(c, &o);
	if (c->argv != NULL || c->command != NULL)
		st = cli_run(c->argv, c->command, &killed);
	unhold(c, &o);
	if (st == 0 && c->verb->id == SIGNAL)
		(void)shmc_cond_signal(o.cv);
	else if (st == 0)
		(void)shmc_cond_broadcast(o.cv);
	close_obj(&o);
	return st;
}

/* rm: remove both names; either may be missing, not both. */
static int
do_rm(const struct cmd *c)
{
	int r, rl;

	r = shmc_cond_unlink(c->name);
	if (r == EINVAL)
		fail_object(r, c->name);
	rl = shmc_mutex_unlink(c->lockname);
	if (rl == EINVAL)
		fail_object(rl, c->name);
	if (r == ENOENT && rl == ENOENT)
		cli_failx(CLI_NOOBJ, "%s: no such condition variable",
		    c->name);
	if (r != 0 && r != ENOENT)
		cli_fail(r, "%s", c->name);
	if (rl != 0 && rl != ENOENT)
		cli_fail(rl, "%s", c->lockname);
	return CLI_OK;
}

/*
 * Parse the options of argv[1..] up to the first operand, or past "--",
 * and return the index of that operand.  argv[0] is the program name or
 * the operand before: each call starts getopt afresh.
 */
static int
parse_opts(int argc, char **argv, struct cmd *c)
{
	static const struct option longopts[] = {
		{ "command",            required_argument, NULL, 'c' },
		{ "conflict-exit-code", required_argument, NULL, 'E' },
		{ "help",               no_argument,       NULL, 'h' },
		{ "timeout",            required_argument, NULL, 'w' },
		{ "version",            no_argument,       NULL, 'V' },
		{ "wait",               required_argument, NULL, 'w' },
		{ NULL,                 0,                 NULL, 0 }
	};
	int ch;

	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "+:E:Vc:hw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'E':
			c->conflict = cli_opt_exit_code(optarg);
			c->given |= OPT_EXIT;
			break;
		case 'V':
			cli_version("shmcond");
		case 'c':
			if (c->command != NULL)
				usage_error("-c given twice");
			c->command = optarg;
			c->given |= OPT_CMD;
			break;
		case 'h':
			cli_usage(CLI_OK, synopsis);
		case 'w':
			cli_opt_seconds(optarg, &c->deadline);
			c->wait = 1;
			c->given |= OPT_WAIT;
			break;
		default:
			cli_bad_option(synopsis, ch, argv);
		}
	}
	return optind;
}

/*
 * Parse the command line into *c, exiting on -h, -V or any error.
 * Options may come before the verb, between the verb and the name, and
 * after the name; the first operand after the name, or whatever follows
 * "--", starts the command.
 */
static void
parse(int argc, char **argv, struct cmd *c)
{
	const char *verb;
	int k;

	memset(c, 0, sizeof(*c));
	c->conflict = CLI_WOULDBLOCK;
	k = parse_opts(argc, argv, c);
	if (k >= argc)
		usage_error("missing verb");
	c->verb = cli_find_verb(synopsis, verbs,
	    sizeof(verbs) / sizeof(verbs[0]), argv[k]);
	verb = c->verb->name;
	argc -= k;
	argv += k;
	k = parse_opts(argc, argv, c);
	if (k >= argc)
		usage_error("%s: missing name", verb);
	c->name = argv[k];
	argc -= k;
	argv += k;
	k = parse_opts(argc, argv, c);
	if (k < argc)
		c->argv = argv + k;
	cli_check_options(synopsis, c->verb, c->given, optnames,
	    sizeof(optnames) / sizeof(optnames[0]));
	if (c->argv != NULL && c->command != NULL)
		usage_error("%s: both -c and a command", verb);
	if (c->argv != NULL && c->verb->operands == CMD_NONE)
		usage_error("%s: too many operands", verb);
	if (c->argv == NULL && c->command == NULL &&
	    c->verb->operands == CMD_REQUIRED)
		usage_error("%s: missing predicate", verb);
	if (strlen(c->name) > NAME_MAX_LEN + 1)
		fail_object(EINVAL, c->name);
	(void)snprintf(c->lockname, sizeof(c->lockname), "%s%s", c->name,
	    LOCK_SUFFIX);
}

int
main(int argc, char **argv)
{
	struct cmd c;

	cli_init(argv[0]);
	parse(argc, argv, &c);
	cli_forward_signals();
	switch (c.verb->id) {
	case BROADCAST:
	case SIGNAL:
		return do_notify(&c);
	case RM:
		return do_rm(&c);
	case WAIT:
		return do_wait(&c);
	}
	return CLI_OSERR;
}
