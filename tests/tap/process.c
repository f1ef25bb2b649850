/*
 * Helpers for tests that run a command the way a user would.
 *
 * run_command() forks and executes a command with pipes on its standard
 * input, output and error.  The parent polls all three at once, so a command
 * that writes a lot while its input is still being fed cannot deadlock with
 * us.  SIGPIPE is ignored while feeding input, so a command that exits
 * without reading all of it is not an error.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/tap/basic.h"
#include "tests/tap/process.h"

/* The smallest free space a capture buffer has before each read. */
#define READ_CHUNK	4096

/* Everything read so far from the command's standard output or error. */
struct capture {
	int	 fd;		/* Read end of the pipe, -1 once at EOF. */
	int	 keep;		/* Whether the caller wants the data. */
	char	*buf;		/* Data read, with room for a final NUL. */
	size_t	 len;		/* Bytes of data in buf. */
	size_t	 size;		/* Bytes allocated for buf. */
};

/* Close a descriptor if it is open and mark it closed. */
static void
close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/*
 * Replace fd with a duplicate numbered 3 or above that is closed on exec.
 * The child can then dup2() its pipe ends onto 0, 1 and 2 without one
 * overwriting another, and no other pipe end leaks into the command.
 * Returns the new descriptor, or -1 with errno set; fd is closed either way.
 */
static int
move_fd_high(int fd)
{
	int nfd, saved;

	if (fd < 0)
		return -1;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	saved = errno;
	close(fd);
	errno = saved;
	return nfd;
}

/* Make a pipe whose ends are both moved high.  Returns 0 or an errno. */
static int
make_pipe(int fds[2])
{
	int raw[2];

	fds[0] = fds[1] = -1;
	if (pipe(raw) != 0)
		return errno;
	fds[0] = move_fd_high(raw[0]);
	fds[1] = move_fd_high(raw[1]);
	if (fds[0] < 0 || fds[1] < 0) {
		int saved = errno;

		close_fd(&fds[0]);
		close_fd(&fds[1]);
		return saved;
	}
	return 0;
}

/*
 * In the child, put the three descriptors in place and execute the command.
 * Only async-signal-safe calls are made, and _exit() keeps the parent's
 * atexit handlers (the test summary, the cleanup functions) from running.
 */
static void __attribute__((__noreturn__))
exec_child(const char *const argv[], int in, int out, int err)
{
	static const char msg[] = "run_command: cannot execute ";
	ssize_t n;

	if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(err, STDERR_FILENO) < 0)
		_exit(127);
	/* execvp() does not modify argv; its prototype just predates const. */
	execvp(argv[0], (char *const *)argv);
	n = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	n = write(STDERR_FILENO, argv[0], strlen(argv[0]));
	n = write(STDERR_FILENO, "\n", 1);
	(void)n;
	_exit(127);
}

/*
 * Read what is available on a capture's pipe, growing its buffer when the
 * data is kept and throwing the data away otherwise.  The descriptor is
 * closed at EOF.  Returns 0 or an errno value.
 */
static int
capture_read(struct capture *c)
{
	char scratch[READ_CHUNK];
	char *dst, *nbuf;
	size_t room, nsize;
	ssize_t n;

	if (c->keep) {
		if (c->size - c->len < READ_CHUNK + 1) {
			if (c->size > SIZE_MAX / 2)
				return ENOMEM;
			nsize = c->size == 0 ? 2 * READ_CHUNK : 2 * c->size;
			if ((nbuf = realloc(c->buf, nsize)) == NULL)
				return ENOMEM;
			c->buf = nbuf;
			c->size = nsize;
		}
		dst = c->buf + c->len;
		room = c->size - c->len - 1;
	} else {
		dst = scratch;
		room = sizeof(scratch);
	}

	n = read(c->fd, dst, room);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : errno;
	if (n == 0)
		close_fd(&c->fd);
	else if (c->keep)
		c->len += (size_t)n;
	return 0;
}

/*
 * Write as much of the remaining input as the pipe takes without blocking,
 * closing the pipe once all of it is written or once the command has closed
 * its end.  Returns 0 or an errno value.
 */
static int
feed_input(int *fd, const char *input, size_t inlen, size_t *done)
{
	ssize_t n;

	n = write(*fd, input + *done, inlen - *done);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN)
			return 0;
		if (errno != EPIPE)
			return errno;
		close_fd(fd);
		return 0;
	}
	*done += (size_t)n;
	if (*done == inlen)
		close_fd(fd);
	return 0;
}

/*
 * Shuttle data between us and the command until its input is fully written
 * (or refused) and both of its outputs are at EOF.  Returns 0 or an errno.
 */
static int
shuttle(int *in_fd, const char *input, size_t inlen, struct capture cap[2])
{
	struct pollfd pfd[3];
	int who[3];		/* -1 for the input, else an index in cap. */
	size_t done = 0;
	nfds_t i, n;
	int rc;

	for (;;) {
		n = 0;
		if (*in_fd >= 0) {
			pfd[n].fd = *in_fd;
			pfd[n].events = POLLOUT;
			who[n++] = -1;
		}
		for (i = 0; i < 2; i++) {
			if (cap[i].fd >= 0) {
				pfd[n].fd = cap[i].fd;
				pfd[n].events = POLLIN;
				who[n++] = (int)i;
			}
		}
		if (n == 0)
			return 0;

		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		for (i = 0; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (who[i] < 0)
				rc = feed_input(in_fd, input, inlen, &done);
			else
				rc = capture_read(&cap[who[i]]);
			if (rc != 0)
				return rc;
		}
	}
}

/*
 * Make sure a kept capture holds a NUL-terminated string, allocating an empty
 * one if nothing was read.  Returns 0 or ENOMEM.
 */
static int
capture_finish(struct capture *c)
{
	if (!c->keep)
		return 0;
	if (c->buf == NULL) {
		if ((c->buf = malloc(1)) == NULL)
			return ENOMEM;
		c->size = 1;
	}
	c->buf[c->len] = '\0';
	return 0;
}

/* Hand a finished capture's data over to the caller, if it was kept. */
static void
capture_give(struct capture *c, char **data, size_t *len)
{
	if (!c->keep)
		return;
	*data = c->buf;
	if (len != NULL)
		*len = c->len;
	c->buf = NULL;
}

int
run_command(const char *const argv[], const char *input, size_t inlen,
    char **out, size_t *outlen, char **err, size_t *errlen, int *status)
{
	struct capture cap[2];
	struct sigaction ign, old;
	int inpipe[2] = { -1, -1 }, outpipe[2] = { -1, -1 };
	int errpipe[2] = { -1, -1 };
	int rc, wstatus, flags;
	pid_t pid;

	memset(cap, 0, sizeof(cap));
	cap[0].fd = cap[1].fd = -1;

	if (input != NULL) {
		if ((rc = make_pipe(inpipe)) != 0)
			goto done;
		flags = fcntl(inpipe[1], F_GETFL);
		if (flags < 0 ||
		    fcntl(inpipe[1], F_SETFL, flags | O_NONBLOCK) < 0) {
			rc = errno;
			goto done;
		}
	} else {
		inpipe[0] = move_fd_high(open("/dev/null", O_RDONLY));
		if (inpipe[0] < 0) {
			rc = errno;
			goto done;
		}
	}
	if ((rc = make_pipe(outpipe)) != 0 || (rc = make_pipe(errpipe)) != 0)
		goto done;

	if ((pid = fork()) < 0) {
		rc = errno;
		goto done;
	}
	if (pid == 0)
		exec_child(argv, inpipe[0], outpipe[1], errpipe[1]);

	close_fd(&inpipe[0]);
	close_fd(&outpipe[1]);
	close_fd(&errpipe[1]);
	if (input != NULL && inlen == 0)
		close_fd(&inpipe[1]);
	cap[0].fd = outpipe[0];
	cap[0].keep = out != NULL;
	cap[1].fd = errpipe[0];
	cap[1].keep = err != NULL;
	outpipe[0] = errpipe[0] = -1;

	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	if (sigaction(SIGPIPE, &ign, &old) != 0)
		rc = errno;
	else {
		rc = shuttle(&inpipe[1], input, inlen, cap);
		sigaction(SIGPIPE, &old, NULL);
	}

	/* On error, stop the command rather than wait for it forever. */
	close_fd(&inpipe[1]);
	close_fd(&cap[0].fd);
	close_fd(&cap[1].fd);
	if (rc != 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, &wstatus, 0) < 0) {
		if (errno != EINTR) {
			if (rc == 0)
				rc = errno;
			break;
		}
	}
	if (rc == 0 && (rc = capture_finish(&cap[0])) == 0)
		rc = capture_finish(&cap[1]);
	if (rc == 0) {
		capture_give(&cap[0], out, outlen);
		capture_give(&cap[1], err, errlen);
		*status = wstatus;
	}

done:
	close_fd(&inpipe[0]);
	close_fd(&inpipe[1]);
	close_fd(&outpipe[0]);
	close_fd(&outpipe[1]);
	close_fd(&errpipe[0]);
	close_fd(&errpipe[1]);
	free(cap[0].buf);
	free(cap[1].buf);
	return rc;
}

/* Describe a wait(2) status in a few words. */
static void
describe_status(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "wait status 0x%x", (unsigned int)status);
}

/*
 * Print some output of a command as a diagnostic under a label, with its
 * later lines indented to line up under the first.
 */
static void
diag_output(const char *label, const char *text)
{
	const char *end;
	int indent;

	indent = (int)strlen(label);
	end = strchr(text, '\n');
	if (end == NULL) {
		diag("%s%s", label, text);
		return;
	}
	diag("%s%.*s", label, (int)(end - text), text);
	for (text = end + 1; (end = strchr(text, '\n')) != NULL;
	    text = end + 1)
		diag("%*s%.*s", indent, "", (int)(end - text), text);
	diag("%*s%s", indent, "", text);
}

void
is_command(int wanted_exit, const char *wanted_out,
    const char *const argv[], const char *fmt, ...)
{
	char seen[64];
	char *out = NULL, *err = NULL;
	size_t outlen = 0, errlen = 0;
	va_list args;
	int rc, status = 0, good;

	rc = run_command(argv, NULL, 0, &out, &outlen, &err, &errlen, &status);
	good = rc == 0 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == wanted_exit;
	if (good && wanted_out != NULL)
		good = outlen == strlen(wanted_out) &&
		    memcmp(out, wanted_out, outlen) == 0;

	va_start(args, fmt);
	okv(good, fmt, args);
	va_end(args);

	if (!good && rc != 0)
		diag("cannot run %s: %s", argv[0], strerror(rc));
	else if (!good) {
		describe_status(status, seen, sizeof(seen));
		diag("      wanted exit: %d", wanted_exit);
		diag("        seen exit: %s", seen);
		if (wanted_out != NULL)
			diag_output("    wanted stdout: ", wanted_out);
		diag_output("      seen stdout: ", out);
		diag_output("      seen stderr: ", err);
	}
	free(out);
	free(err);
}
