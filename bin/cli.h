/*
 * Helpers shared by the shmconc commands: exit codes, messages, parsing of
 * durations, sizes and numbers, whole reads and writes, and signals.
 *
 * The library returns errno values instead of setting errno, so messages
 * take the error code as an argument and describe it with shmc_strerror.
 * Every command exits with the codes of DESIGN.md section 7, which
 * cli_exit_code derives from a library error.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef BIN_CLI_H
#define BIN_CLI_H 1

#include <stddef.h>             /* size_t */
#include <time.h>               /* struct timespec */

/* Exit codes shared by every command (DESIGN.md section 7). */
#define CLI_OK          0       /* success */
#define CLI_WOULDBLOCK  1       /* would block (-n) or timed out (-w) */
#define CLI_PEER        3       /* peer disconnected */
#define CLI_OWNERDEAD   4       /* done, but the previous holder died */
#define CLI_DEADLOCK    5       /* blocked indefinitely */
#define CLI_USAGE       64      /* usage error (EX_USAGE) */
#define CLI_DATA        65      /* bad data, or a foreign or corrupt object */
#define CLI_NOOBJ       66      /* no such object */
#define CLI_OSERR       71      /* other system error */
#define CLI_EXISTS      73      /* object already exists */
#define CLI_PERM        77      /* permission denied */
#define CLI_NOEXEC      126     /* a command could not be executed */
#define CLI_NOTFOUND    127     /* a command was not found */
#define CLI_SIGBASE     128     /* plus the signal number: killed by it */

#if defined(__GNUC__) || defined(__clang__)
# define CLI_NORETURN __attribute__((__noreturn__))
# define CLI_PRINTF(f, a) __attribute__((__format__(__printf__, f, a)))
#else
# define CLI_NORETURN
# define CLI_PRINTF(f, a)
#endif

/* The program name for messages, set by cli_init. */
extern const char *cli_progname;

/*
 * Set the program name to the last component of argv0, and open any of
 * descriptors 0, 1 and 2 that is closed, so that no object the library
 * opens can take its place (using it then fails with EBADF).  Call it
 * first.
 */
void cli_init(const char *argv0);

/* The exit code for a library error (0 for 0). */
int cli_exit_code(int err);

/*
 * Print "prog: message: description of err" on standard error; with err
 * 0, only "prog: message".  cli_fail then exits with cli_exit_code(err)
 * (CLI_OSERR for 0), cli_failx with status.
 */
void cli_warn(int err, const char *fmt, ...) CLI_PRINTF(2, 3);
void cli_fail(int err, const char *fmt, ...) CLI_PRINTF(2, 3) CLI_NORETURN;
void cli_failx(int status, const char *fmt, ...) CLI_PRINTF(2, 3)
    CLI_NORETURN;

/*
 * Print "usage: " and synopsis (one or more lines, each but the first
 * indented to match) and exit: to standard output with status 0, or to
 * standard error with CLI_USAGE for any other status.
 */
void cli_usage(int status, const char *synopsis) CLI_NORETURN;

/*
 * Print "prog: message" on standard error, then the usage of synopsis,
 * and exit with CLI_USAGE.  cli_bad_name exits with CLI_USAGE after
 * saying that name is not a valid object name of 1 to max bytes.
 */
void cli_usage_error(const char *synopsis, const char *fmt, ...)
    CLI_PRINTF(2, 3) CLI_NORETURN;
void cli_bad_name(const char *name, int max) CLI_NORETURN;

/*
 * For the default case of a getopt_long loop: exit with CLI_USAGE after
 * saying which option, as given, ch is about (':' for an option missing
 * its argument, anything else for an unknown one).
 */
void cli_bad_option(const char *synopsis, int ch, char **argv)
    CLI_NORETURN;

/* Print "prog (shmconc) version" on standard output for -V, and exit 0. */
void cli_version(const char *prog) CLI_NORETURN;

/*
 * Verbs (shmvar, shmchan, shmcond).  A verb accepts the options in opts,
 * a mask of bits each command defines and names in a table of struct
 * cli_optname; id and operands (what may follow NAME) are the command's
 * own.  cli_find_verb returns the verb named word, and
 * cli_check_options that none of the options in given is foreign to
 * verb; both exit with a usage error instead.
 */
struct cli_verb {
	const char *name;
	int id;
	int opts;
	int operands;
};

struct cli_optname {
	int bit;
	const char *name;
};

const struct cli_verb *cli_find_verb(const char *synopsis,
    const struct cli_verb *verbs, size_t n, const char *word);
void cli_check_options(const char *synopsis, const struct cli_verb *verb,
    int given, const struct cli_optname *names, size_t n);

/*
 * Parsers.  Each accepts exactly its format, with no sign, blank or
 * trailing character beyond it, and returns 0 or EINVAL.  cli_seconds
 * turns "2", "0.5" or ".25" (at most 31536000 seconds and nine fraction
 * digits) into an absolute CLOCK_MONOTONIC deadline that many seconds
 * from now.  cli_size reads a byte count with an optional K, M or G
 * suffix (powers of 1024, either case).  cli_number reads a decimal
 * integer in [lo, hi].  cli_mode reads octal permission bits up to 0777.
 */
int cli_seconds(const char *s, struct timespec *deadline);
int cli_size(const char *s, size_t *out);
int cli_number(const char *s, long lo, long hi, long *out);
int cli_mode(const char *s, unsigned int *out);

/*
 * Option arguments that several commands take: -w secs (a deadline, as
 * cli_seconds), -E code (an exit status, 0 to 255) and -m mode (1 to
 * 0777).  Each exits with CLI_USAGE and a message saying what it takes
 * if arg is not that.
 */
void cli_opt_seconds(const char *arg, struct timespec *deadline);
int cli_opt_exit_code(const char *arg);
unsigned int cli_opt_mode(const char *arg);

/*
 * Kinds of object: cli_kind_name is the word for a SHMC_KIND_ value, or
 * NULL for none we know; cli_kind_parse is the kind a word names, in any
 * case, or 0.
 */
const char *cli_kind_name(int kind);
int cli_kind_parse(const char *s);

/*
 * Read fd to its end into a new buffer (*buf, to be freed; *len bytes).
 * More than max bytes is EMSGSIZE, after reading at most max + 1.
 * cli_write_all writes all of buf, across short writes and EINTR.
 * cli_drain waits until the readers of a pipe have read everything in it
 * (at once for anything but a pipe).  All return 0 or an errno value; a
 * pipe with no reader is EPIPE once cli_signals has ignored SIGPIPE.
 */
int cli_read_all(int fd, size_t max, unsigned char **buf, size_t *len);
int cli_write_all(int fd, const void *buf, size_t len);
int cli_drain(int fd);

/*
 * Make SIGINT and SIGTERM end the process at once with status 130 and
 * 143, and ignore SIGPIPE.  A signal that was ignored when the program
 * started stays ignored.
 */
void cli_signals(void);

/*
 * Running a command (shmlock, shmcond).  cli_forward_signals calls
 * cli_signals, then makes SIGHUP, SIGINT and SIGTERM (those not ignored
 * at start) end the process at once with 128 plus the signal number when
 * no command runs, and forwards them to the command while one does.
 * cli_hold_signals blocks them; cli_release_signals restores the mask
 * the process had before.  cli_caught_signal is the last signal
 * forwarded, else one pending while blocked, else 0.
 *
 * cli_run runs argv, or command with /bin/sh -c if it is not NULL, and
 * waits for it, with the signals let through to be forwarded.  Call it
 * with them held.  It returns the status as a shell gives it: the exit
 * status, 128 plus the number of the signal that killed it (*killed set),
 * CLI_NOTFOUND or CLI_NOEXEC if it could not be started.
 */
void cli_forward_signals(void);
void cli_hold_signals(void);
void cli_release_signals(void);
int cli_caught_signal(void);
int cli_run(char **argv, const char *command, int *killed);

struct shmc_peer_info;

/*
 * cli_proc_start is field 22 of /proc/pid/stat, the start time in clock
 * ticks after boot, or 0.  cli_peer_command puts in buf the command line
 * of a participant's process, its arguments joined by spaces, if the
 * process still runs with the start time it recorded; else its thread
 * name in brackets.
 */
unsigned long long cli_proc_start(int pid);
void cli_peer_command(const struct shmc_peer_info *p, char *buf,
    size_t size);

#endif /* BIN_CLI_H */
