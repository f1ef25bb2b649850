/*
 * shmchan: a multi-producer single-consumer channel from the shell.
 *
 * Each run does one thing to one channel: new, send, recv, close, rm or
 * stat.  Messages are strings of bytes: command-line arguments, lines or
 * NUL-separated records of standard input, or length-framed binary
 * records, and the same on standard output.  Exit codes are the table that
 * every shmconc command shares (bin/cli.h).
 *
 * Ending.  Every send opens the channel as a sender, and so joins it, and
 * leaves it when it exits.  A channel made by "new" is held until "shmchan
 * close", or with -S N ends once N senders have joined and left; recv
 * reports the end by exiting 0.  See shmc_chan(3), "Ending a channel".
 *
 * Throughput.  send reads standard input in large blocks and sends the
 * records of each block with shmc_chan_send_many, up to BATCH at a time,
 * pointing into the block rather than copying it.  recv -f writes
 * messages in large blocks too, while more are waiting: see recv_follow
 * for what that costs in the delivery guarantee.
 *
 * Output before commit.  A plain recv and recv -n hand each message to
 * standard output while the channel still holds it (shmc_chan_recv_with)
 * and, into a pipe, wait until the reader has read it; a closed pipe or a
 * full disk leaves the message in the channel.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <shmconc.h>

#include "bin/cli.h"

/*
 * Defaults and limits of a new channel (shmconc.h).  The default capacity
 * lets a stream of lines go through in long runs: with 64 slots, sender
 * and receiver took turns so often that a million lines took four times
 * as long as with 1024 (bench/chan-bench, shell).  It is the most, by
 * powers of two from 64 to 1024, whose slots take no more than
 * DEFAULT_SLOTS_BYTES: 1024 slots of the default 4 KiB are about 4 MiB.
 */
#define DEFAULT_CAPACITY 1024
#define MIN_DEFAULT_CAPACITY 64
#define DEFAULT_SLOTS_BYTES (8UL << 20)
#define DEFAULT_SIZE    4096
#define MAX_CAPACITY    65536
#define MAX_SIZE        (64UL << 20)
#define MAX_SENDERS     1022
#define DEFAULT_PEERS   64
#define MAX_PEERS       1022

/* Shared memory a channel may take at most: its slots stay below 2 GiB. */
#define MAX_SLOTS_BYTES ((1ULL << 31) - 4096)
#define SLOT_HEADER     64

/* Messages per shmc_chan_send_many call, and the size of the I/O blocks. */
#define BATCH           256
#define READ_BLOCK      (256UL * 1024)
#define WRITE_BLOCK     (128UL * 1024)

/* A length-framed record: a 4-byte big-endian length, then the bytes. */
#define RAW_HEADER      4

/* The options; each verb accepts those in its mask. */
#define OPT_CAPACITY    0x001   /* -c */
#define OPT_SIZE        0x002   /* -s */
#define OPT_MODE        0x004   /* -m */
#define OPT_SENDERS     0x008   /* -S */
#define OPT_EXCL        0x010   /* --excl */
#define OPT_NUL         0x020   /* -0 */
#define OPT_RAW         0x040   /* --raw */
#define OPT_WAIT        0x080   /* -w */
#define OPT_COUNT       0x100   /* -n */
#define OPT_FOLLOW      0x200   /* -f */

/* getopt_long's values for the options without a short form. */
#define LONG_EXCL       256
#define LONG_RAW        257

/* How messages are framed on standard input and output. */
enum frame { FRAME_LINE, FRAME_NUL, FRAME_RAW };

enum verb_id { CLOSE, NEW, RECV, RM, SEND, STAT };

/* The verbs; operands is 1 for those with MESSAGE operands after NAME. */
static const struct cli_verb verbs[] = {
	{ "close",      CLOSE,  0,                                      0 },
	{ "new",        NEW,    OPT_CAPACITY | OPT_SIZE | OPT_MODE |
	    OPT_SENDERS | OPT_EXCL,                                     0 },
	{ "recv",       RECV,   OPT_NUL | OPT_RAW | OPT_WAIT | OPT_COUNT |
	    OPT_FOLLOW,                                                 0 },
	{ "rm",         RM,     0,                                      0 },
	{ "send",       SEND,   OPT_NUL | OPT_RAW | OPT_WAIT,           1 },
	{ "stat",       STAT,   0,                                      0 },
};

static const struct cli_optname optnames[] = {
	{ OPT_CAPACITY, "-c" },
	{ OPT_SIZE, "-s" },
	{ OPT_MODE, "-m" },
	{ OPT_SENDERS, "-S" },
	{ OPT_EXCL, "--excl" },
	{ OPT_NUL, "-0" },
	{ OPT_RAW, "--raw" },
	{ OPT_WAIT, "-w" },
	{ OPT_COUNT, "-n" },
	{ OPT_FOLLOW, "-f" },
};

static const char synopsis[] =
    "shmchan [-hV]\n"
    "shmchan new [-c capacity] [-s size] [-m mode] [-S senders] [--excl] "
    "name\n"
    "shmchan send [-0 | --raw] [-w secs] name\n"
    "shmchan send [-w secs] name message ...\n"
    "shmchan recv [-0 | --raw] [-f | -n count] [-w secs] name\n"
    "shmchan close | rm | stat name\n";

/* What the command line asks for. */
struct cmd {
	const struct cli_verb *verb;
	const char *name;
	char **messages;        /* MESSAGE operands of send */
	int nmessages;
	int given;              /* OPT_ bits of the options given */
	unsigned long capacity; /* -c */
	size_t size;            /* -s */
	unsigned int mode;      /* -m */
	unsigned long senders;  /* -S */
	enum frame frame;       /* -0, --raw */
	const char *wait;       /* -w, as given; NULL: wait for ever */
	unsigned long count;    /* -n */
};

/* Records of standard input on their way into the channel. */
struct input {
	struct shmc_chan *ch;
	const struct cmd *c;
	struct iovec iov[BATCH];
	size_t n;               /* records in iov */
	uintmax_t sent;         /* messages sent so far */
};

/* Standard output of recv: framed messages, and the error of a write. */
struct output {
	unsigned char *buf;
	size_t cap;
	size_t len;             /* bytes in buf, not written yet */
	size_t count;           /* messages in buf */
	enum frame frame;
	int drain;              /* into a pipe, wait until they are read */
	int err;
};

/*
 * The channel this process has open, closed at exit: a sender that exits
 * leaves the channel at once rather than when its lease is found dead, a
 * tick later, and a receiver lets blocked senders fail without delay.
 */
static struct shmc_chan *open_chan;

/*
 * recv -f and signals: while committed messages wait in the output
 * buffer (holding), SIGINT and SIGTERM only set caught, and the follow
 * loop writes them out before it exits.  Otherwise they end the process at
 * once, as cli_signals makes them.
 */
static volatile sig_atomic_t holding;
static volatile sig_atomic_t caught;

static void fail_object(int, const char *) CLI_NORETURN;
/* Print "shmchan: message" and the usage, and exit 64. */
#define usage_error(...) cli_usage_error(synopsis, __VA_ARGS__)

/*
 * Exit for an error of an open or unlink call.  The library checks
 * names, and a bad one is its only EINVAL here, since we check the
 * attributes ourselves.
 */
static void
fail_object(int err, const char *name)
{
	if (err == EINVAL)
		cli_bad_name(name, 200);
	if (err == ENOENT)
		cli_failx(CLI_NOOBJ, "%s: no such channel", name);
	if (err == EBUSY)
		cli_failx(CLI_OSERR, "%s: another receiver is active", name);
	cli_fail(err, "%s", name);
}

static void
close_chan(void)
{
	if (open_chan != NULL)
		(void)shmc_chan_close(open_chan);
	open_chan = NULL;
}

/* Open the channel with the roles in flags, to be closed at exit. */
static struct shmc_chan *
open_channel(const char *name, int flags)
{
	struct shmc_chan *ch;
	int r;

	if ((r = shmc_chan_open(name, flags, NULL, &ch)) != 0)
		fail_object(r, name);
	open_chan = ch;
	if (atexit(close_chan) != 0)
		cli_fail(ENOMEM, "%s", name);
	return ch;
}

/* The largest message of the channel. */
static size_t
max_size(struct shmc_chan *ch)
{
	struct shmc_chan_stat st;

	(void)shmc_chan_stat(ch, &st);
	return st.size;
}

/*
 * The deadline of the next wait: -w seconds from now, or NULL to wait for
 * ever.  The timeout bounds each wait, not the whole command.
 */
static const struct timespec *
deadline(const struct cmd *c, struct timespec *when)
{
	if (c->wait == NULL)
		return NULL;
	(void)cli_seconds(c->wait, when);
	return when;
}

/*
 * The exit status for the result r of an operation on c->name, with a
 * message where one is due.  A timeout is quiet, as with flock(1).
 */
static int
status(const struct cmd *c, int r)
{
	switch (r) {
	case 0:
		return CLI_OK;
	case EAGAIN:
	case ETIMEDOUT:
		return CLI_WOULDBLOCK;
	default:
		cli_warn(r, "%s", c->name);
		return cli_exit_code(r);
	}
}

/*
 * new: create the channel.  Without --excl an existing channel is left as
 * it is, so that every shell of a pipeline may run the same "new" before
 * it uses the channel.  With -S, make room in the participant table for
 * that many senders at once: each takes two slots, one for its role and
 * one for its thread.
 */
static int
do_new(const struct cmd *c)
{
	struct shmc_attr attr;
	struct shmc_chan *ch;
	unsigned long long slots, stride;
	unsigned long capacity;
	int flags, r;

	capacity = c->capacity;
	stride = SLOT_HEADER + (c->size + 63) / 64 * 64;
	if (!(c->given & OPT_CAPACITY))
		while (capacity > MIN_DEFAULT_CAPACITY &&
		    capacity * stride > DEFAULT_SLOTS_BYTES)
			capacity /= 2;
	slots = capacity == 0 ? 1 : capacity;
	if (slots * stride > MAX_SLOTS_BYTES)
		cli_failx(CLI_USAGE, "a capacity of %lu messages of %zu bytes "
		    "takes 2 GiB or more", capacity, c->size);
	memset(&attr, 0, sizeof(attr));
	attr.size = (unsigned int)c->size;
	attr.capacity = (unsigned int)capacity;
	attr.senders = (unsigned int)c->senders;
	attr.mode = c->mode;
	if (2 * c->senders + 8 > DEFAULT_PEERS)
		attr.peers = 2 * c->senders + 8 > MAX_PEERS ? MAX_PEERS :
		    (unsigned int)(2 * c->senders + 8);
	flags = SHMC_CREAT;
	if (c->given & OPT_EXCL)
		flags |= SHMC_EXCL;
	r = shmc_chan_open(c->name, flags, &attr, &ch);
	if (r == EEXIST)
		cli_failx(CLI_EXISTS, "%s: exists already", c->name);
	if (r != 0)
		fail_object(r, c->name);
	(void)shmc_chan_close(ch);
	return CLI_OK;
}

/*
 * Send the records gathered in in->iov.  A timeout after some progress
 * is no timeout: -w bounds the wait for each message, so we go on with
 * a new deadline.  Exits on any error.
 */
static void
send_batch(struct input *in)
{
	struct timespec when;
	size_t off = 0, n;
	int r;

	while (off < in->n) {
		r = shmc_chan_send_many(in->ch, in->iov + off, in->n - off, &n,
		    deadline(in->c, &when));
		off += n;
		in->sent += n;
		if (r == 0 || (r == ETIMEDOUT && n > 0))
			continue;
		if (r == EPIPE)
			cli_failx(CLI_PEER, "%s: the receiver is gone; %ju "
			    "messages were sent, the rest were not",
			    in->c->name, in->sent);
		exit(status(in->c, r));
	}
	in->n = 0;
}

/* Add a record to the batch, sending the batch when it is full. */
static void
add_record(struct input *in, const unsigned char *p, size_t len)
{
	in->iov[in->n].iov_base = (void *)(uintptr_t)p;
	in->iov[in->n].iov_len = len;
	if (++in->n == BATCH)
		send_batch(in);
}

/*
 * Exit for a record longer than the channel takes, of len bytes (0 when
 * the record is a line or NUL-terminated and its end was not read); the
 * records before it are sent first.
 */
static void
fail_too_long(struct input *in, size_t len, size_t max)
{
	const char *what = in->c->frame == FRAME_LINE ? "line" : "record";

	send_batch(in);
	if (len > max)
		cli_failx(CLI_DATA, "%s: %s %ju is %zu bytes, longer than the "
		    "maximum of %zu; sent %ju before it", in->c->name, what,
		    in->sent + 1, len, max, in->sent);
	cli_failx(CLI_DATA, "%s: %s %ju is longer than the maximum of %zu "
	    "bytes; sent %ju before it", in->c->name, what, in->sent + 1,
	    max, in->sent);
}

/*
 * send with message operands: all of them are checked before any is
 * sent.
 */
static void
send_operands(struct input *in, size_t max)
{
	const struct cmd *c = in->c;
	size_t len;
	int i;

	for (i = 0; i < c->nmessages; i++)
		if ((len = strlen(c->messages[i])) > max)
			cli_failx(CLI_DATA, "%s: message %d is %zu bytes, "
			    "longer than the maximum of %zu; nothing was sent",
			    c->name, i + 1, len, max);
	for (i = 0; i < c->nmessages; i++)
		add_record(in, (unsigned char *)c->messages[i],
		    strlen(c->messages[i]));
	send_batch(in);
}

static uint32_t
get_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/*
 * Take the complete records of buf[*start, end) into the batch and
 * advance *start past them.  A record that cannot fit the channel is an
 * error as soon as we can tell, before the rest of it is read.
 */
static void
parse_records(struct input *in, const unsigned char *buf, size_t *start,
    size_t end, size_t max)
{
	const unsigned char *p, *q;
	size_t avail, len;
	int delim = in->c->frame == FRAME_NUL ? '\0' : '\n';

	for (;;) {
		p = buf + *start;
		avail = end - *start;
		if (in->c->frame == FRAME_RAW) {
			if (avail < RAW_HEADER)
				return;
			len = get_be32(p);
			if (len > max)
				fail_too_long(in, len, max);
			if (avail - RAW_HEADER < len)
				return;
			add_record(in, p + RAW_HEADER, len);
			*start += RAW_HEADER + len;
			continue;
		}
		q = memchr(p, delim, avail <= max ? avail : max + 1);
		if (q == NULL) {
			if (avail > max)
				fail_too_long(in, 0, max);
			return;
		}
		add_record(in, p, (size_t)(q - p));
		*start += (size_t)(q - p) + 1;
	}
}

/*
 * send without message operands: the records of standard input.  Each
 * block read is sent before the next read, so that a slow writer's lines
 * go on at once; a partial record moves to the front of the buffer, which
 * has room for the longest record and a block more.
 */
static void
send_input(struct input *in, size_t max)
{
	unsigned char *buf;
	size_t cap, start = 0, end = 0;
	struct pollfd pfd;
	ssize_t n;
	int e;

	cap = max + RAW_HEADER + READ_BLOCK;
	if ((buf = malloc(cap)) == NULL)
		cli_fail(ENOMEM, "%s", in->c->name);
	for (;;) {
		n = read(STDIN_FILENO, buf + end, cap - end);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* Standard input was left in non-blocking mode. */
			pfd.fd = STDIN_FILENO;
			pfd.events = POLLIN;
			(void)poll(&pfd, 1, -1);
			continue;
		}
		if (n < 0) {
			e = errno;
			cli_failx(CLI_OSERR, "standard input: %s; sent %ju "
			    "messages", strerror(e), in->sent);
		}
		if (n == 0)
			break;
		end += (size_t)n;
		parse_records(in, buf, &start, end, max);
		send_batch(in);
		memmove(buf, buf + start, end - start);
		end -= start;
		start = 0;
	}
	if (end > 0 && in->c->frame == FRAME_RAW)
		cli_failx(CLI_DATA, "%s: record %ju is cut short; sent %ju "
		    "before it", in->c->name, in->sent + 1, in->sent);
	/* A last line or record without its delimiter is a message too. */
	if (end > 0)
		add_record(in, buf, end);
	send_batch(in);
	free(buf);
}

static int
do_send(const struct cmd *c)
{
	struct input in;
	size_t max;

	memset(&in, 0, sizeof(in));
	in.c = c;
	in.ch = open_channel(c->name, SHMC_SENDER);
	max = max_size(in.ch);
	if (c->nmessages > 0)
		send_operands(&in, max);
	else
		send_input(&in, max);
	return CLI_OK;
}

/* Bytes of framing around a message of the output. */
static size_t
frame_extra(enum frame frame)
{
	return frame == FRAME_RAW ? RAW_HEADER : 1;
}

/* Frame the message of len bytes that is already at out->buf + out->len. */
static void
frame_in_place(struct output *out, size_t len)
{
	unsigned char *p = out->buf + out->len;

	switch (out->frame) {
	case FRAME_LINE:
		p[len] = '\n';
		break;
	case FRAME_NUL:
		p[len] = '\0';
		break;
	case FRAME_RAW:
		/* The message was received after the room for this. */
		put_be32(p, (uint32_t)len);
		break;
	}
	out->len += len + frame_extra(out->frame);
	out->count++;
}

/* Write out what is buffered; 0 or the error of the write. */
static int
flush_output(struct output *out)
{
	int err = 0;

	if (out->len > 0)
		err = cli_write_all(STDOUT_FILENO, out->buf, out->len);
	out->len = 0;
	out->count = 0;
	return err;
}

/*
 * Wait until the reader of a pipe on standard output has read everything
 * in it.  cli_drain reports EPIPE once the reader is gone, even if it read
 * everything before it went, as head(1) does with its last line; only data
 * left in the pipe is lost.
 */
static int
drain_output(void)
{
	int err, n;

	err = cli_drain(STDOUT_FILENO);
	if (err == EPIPE && ioctl(STDOUT_FILENO, FIONREAD, &n) == 0 && n == 0)
		return 0;
	return err;
}

/*
 * shmc_chan_recv_with's function: write the message, and into a pipe
 * wait until it has been read, before the receive commits.  The buffer is
 * empty when this runs.
 */
static int
output_message(void *arg, const void *msg, size_t len,
    const struct shmc_msginfo *info)
{
	struct output *out = arg;
	size_t skip = out->frame == FRAME_RAW ? RAW_HEADER : 0;

	(void)info;
	memcpy(out->buf + skip, msg, len);
	frame_in_place(out, len);
	out->err = flush_output(out);
	if (out->err == 0 && out->drain)
		out->err = drain_output();
	return out->err;
}

/*
 * Exit after a failed write to standard output.  lost messages had been
 * received into the buffer; otherwise the message stays in the channel.
 * A reader that went away is no error of ours to report: exit quietly
 * with the status of a process killed by SIGPIPE, as the writer in a
 * pipeline usually is.
 */
static void
fail_output(const struct cmd *c, int err, size_t lost)
{
	if (err == EPIPE)
		exit(CLI_SIGBASE + SIGPIPE);
	if (lost > 0)
		cli_failx(CLI_OSERR, "standard output: %s; %zu messages "
		    "received from %s were not written", shmc_strerror(err),
		    lost, c->name);
	cli_failx(CLI_OSERR, "standard output: %s (the message stays in %s)",
	    shmc_strerror(err), c->name);
}

/* The end of the channel: everything written, and read from a pipe. */
static int
output_end(const struct cmd *c, struct output *out)
{
	size_t lost = out->count;
	int err;

	if ((err = flush_output(out)) != 0)
		fail_output(c, err, lost);
	if ((err = drain_output()) != 0)
		fail_output(c, err, 0);
	return CLI_OK;
}

/*
 * recv -f's handler of SIGINT and SIGTERM.  With nothing held, die at
 * once as cli_signals does: the library leaves the channel whole at any
 * instruction.  Holding received messages, let the loop write them out
 * first; a second signal does not wait for that.
 */
static void
on_follow_signal(int sig)
{
	if (!holding || caught)
		_exit(CLI_SIGBASE + sig);
	caught = sig;
}

static void
follow_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_follow_signal;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			(void)sigaction(sigs[i], &sa, NULL);
}

/* A signal came while we held messages: write them, then die of it. */
static void
follow_caught(const struct cmd *c, struct output *out)
{
	size_t lost = out->count;
	int err;

	if ((err = flush_output(out)) != 0 && err != EPIPE)
		cli_warn(0, "standard output: %s; %zu messages received from "
		    "%s were not written", shmc_strerror(err), lost, c->name);
	_exit(CLI_SIGBASE + caught);
}

/*
 * recv -f.  Each round first takes the messages that are waiting, without
 * sleeping, into the output buffer, and writes the buffer whenever it
 * fills; these messages are committed as they enter the buffer, so that
 * a stream costs one write(2) per block rather than one per message.  A
 * write that fails then loses the messages of that block.  Once the
 * channel is empty, the buffer is written out, and the next message,
 * after a wait, goes through output_message: written before it is
 * committed, so that a reader that has gone away, or a disk that filled
 * up, while we waited leaves it in the channel.
 */
static int
recv_follow(const struct cmd *c, struct shmc_chan *ch, struct output *out)
{
	static const struct timespec past;      /* 0: long gone */
	struct timespec when;
	size_t extra, skip, len, lost;
	int r, err;

	extra = frame_extra(out->frame);
	skip = out->frame == FRAME_RAW ? RAW_HEADER : 0;
	follow_signals();
	for (;;) {
		holding = 1;
		for (;;) {
			if (caught)
				follow_caught(c, out);
			if (out->cap - out->len < extra) {
				lost = out->count;
				if ((err = flush_output(out)) != 0)
					fail_output(c, err, lost);
			}
			r = shmc_chan_timedrecv(ch, out->buf + out->len + skip,
			    out->cap - out->len - extra, &len, &past);
			if (r == EMSGSIZE && out->len > 0) {
				lost = out->count;
				if ((err = flush_output(out)) != 0)
					fail_output(c, err, lost);
				continue;
			}
			if (r != 0)
				break;
			frame_in_place(out, len);
		}
		if (r == EPIPE)
			return output_end(c, out);
		lost = out->count;
		if ((err = flush_output(out)) != 0)
			fail_output(c, err, lost);
		if (caught)
			follow_caught(c, out);
		if (r != ETIMEDOUT)
			return status(c, r);
		holding = 0;
		if (caught)
			follow_caught(c, out);
		r = shmc_chan_recv_with(ch, output_message, out,
		    deadline(c, &when));
		if (out->err != 0)
			fail_output(c, out->err, 0);
		if (r == EPIPE)
			return output_end(c, out);
		if (r != 0)
			return status(c, r);
	}
}

/*
 * recv and recv -n: one message at a time, each written (and read from a
 * pipe) before it is committed.  Fewer than count at the end of the
 * channel is success.
 */
static int
do_recv(const struct cmd *c)
{
	struct shmc_chan *ch;
	struct output out;
	struct timespec when;
	unsigned long i;
	int r;

	ch = open_channel(c->name, SHMC_RECEIVER);
	memset(&out, 0, sizeof(out));
	out.frame = c->frame;
	out.cap = max_size(ch) + RAW_HEADER;
	if (out.cap < WRITE_BLOCK)
		out.cap = WRITE_BLOCK;
	if ((out.buf = malloc(out.cap)) == NULL)
		cli_fail(ENOMEM, "%s", c->name);
	if (c->given & OPT_FOLLOW)
		r = recv_follow(c, ch, &out);
	else {
		out.drain = 1;
		r = 0;
		for (i = 0; r == 0 && i < c->count; i++) {
			r = shmc_chan_recv_with(ch, output_message, &out,
			    deadline(c, &when));
			if (out.err != 0)
				fail_output(c, out.err, 0);
		}
		r = r == EPIPE ? CLI_OK : status(c, r);
	}
	free(out.buf);
	return r;
}

/* close: release the creator's hold, so that the channel can end. */
static int
do_close(const struct cmd *c)
{
	(void)shmc_chan_shutdown(open_channel(c->name, 0));
	return CLI_OK;
}

static int
do_rm(const struct cmd *c)
{
	int r;

	if ((r = shmc_chan_unlink(c->name)) != 0)
		fail_object(r, c->name);
	return CLI_OK;
}

/* stat: the snapshot of shmc_chan_stat, one "key: value" a line. */
static int
do_stat(const struct cmd *c)
{
	struct shmc_chan_stat st;

	(void)shmc_chan_stat(open_channel(c->name, 0), &st);
	printf("capacity: %u\n", st.capacity);
	printf("size: %u\n", st.size);
	printf("depth: %u\n", st.depth);
	printf("sent: %llu\n", st.sent);
	printf("received: %llu\n", st.received);
	printf("skipped: %llu\n", st.skipped);
	printf("senders: %u\n", st.senders);
	printf("expected: %u\n", st.expected);
	printf("joined: %u\n", st.joined);
	printf("receiver: %s\n", st.receiver > 0 ? "alive" :
	    st.receiver == 0 ? "none" : "gone");
	printf("held: %s\n", st.held ? "yes" : "no");
	if (fflush(stdout) != 0 || ferror(stdout))
		cli_failx(CLI_OSERR, "standard output: %s", strerror(errno));
	return CLI_OK;
}

/* Parse a count option: a decimal number in [lo, hi]. */
static unsigned long
parse_count(const char *s, long lo, long hi, const char *what)
{
	long n;

	if (cli_number(s, lo, hi, &n) != 0)
		cli_failx(CLI_USAGE, "bad %s '%s': %ld to %ld", what, s, lo,
		    hi);
	return (unsigned long)n;
}

/* Parse the command line into *c, exiting on -h, -V or any error. */
static void
parse(int argc, char **argv, struct cmd *c)
{
	static const struct option longopts[] = {
		{ "capacity",   required_argument, NULL, 'c' },
		{ "count",      required_argument, NULL, 'n' },
		{ "excl",       no_argument,       NULL, LONG_EXCL },
		{ "follow",     no_argument,       NULL, 'f' },
		{ "help",       no_argument,       NULL, 'h' },
		{ "mode",       required_argument, NULL, 'm' },
		{ "null",       no_argument,       NULL, '0' },
		{ "raw",        no_argument,       NULL, LONG_RAW },
		{ "senders",    required_argument, NULL, 'S' },
		{ "size",       required_argument, NULL, 's' },
		{ "timeout",    required_argument, NULL, 'w' },
		{ "version",    no_argument,       NULL, 'V' },
		{ "wait",       required_argument, NULL, 'w' },
		{ NULL,         0,                 NULL, 0 }
	};
	struct timespec when;
	const char *verb;
	int ch;

	memset(c, 0, sizeof(*c));
	c->capacity = DEFAULT_CAPACITY;
	c->size = DEFAULT_SIZE;
	c->count = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":0S:Vc:fhm:n:s:w:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '0':
			c->frame = FRAME_NUL;
			c->given |= OPT_NUL;
			break;
		case 'S':
			c->senders = parse_count(optarg, 0, MAX_SENDERS,
			    "number of senders");
			c->given |= OPT_SENDERS;
			break;
		case 'V':
			cli_version("shmchan");
		case 'c':
			c->capacity = parse_count(optarg, 0, MAX_CAPACITY,
			    "capacity");
			c->given |= OPT_CAPACITY;
			break;
		case 'f':
			c->given |= OPT_FOLLOW;
			break;
		case 'h':
			cli_usage(CLI_OK, synopsis);
		case 'm':
			c->mode = cli_opt_mode(optarg);
			c->given |= OPT_MODE;
			break;
		case 'n':
			c->count = parse_count(optarg, 1, LONG_MAX, "count");
			c->given |= OPT_COUNT;
			break;
		case 's':
			if (cli_size(optarg, &c->size) != 0 || c->size == 0 ||
			    c->size > MAX_SIZE)
				cli_failx(CLI_USAGE, "bad size '%s': bytes, "
				    "with an optional K or M, from 1 to 64M",
				    optarg);
			c->given |= OPT_SIZE;
			break;
		case 'w':
			cli_opt_seconds(optarg, &when);
			c->wait = optarg;
			c->given |= OPT_WAIT;
			break;
		case LONG_EXCL:
			c->given |= OPT_EXCL;
			break;
		case LONG_RAW:
			c->frame = FRAME_RAW;
			c->given |= OPT_RAW;
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
	verb = c->verb->name;
	if (argc < 2)
		usage_error("%s: missing name", verb);
	if (argc > 2 && !c->verb->operands)
		usage_error("%s: too many operands", verb);
	c->name = argv[1];
	c->messages = argv + 2;
	c->nmessages = argc - 2;
	cli_check_options(synopsis, c->verb, c->given, optnames,
	    sizeof(optnames) / sizeof(optnames[0]));
	if ((c->given & OPT_NUL) && (c->given & OPT_RAW))
		usage_error("%s: -0 and --raw exclude each other", verb);
	if ((c->given & OPT_COUNT) && (c->given & OPT_FOLLOW))
		usage_error("%s: -n and -f exclude each other", verb);
	if (c->nmessages > 0 && (c->given & (OPT_NUL | OPT_RAW)))
		usage_error("%s: -0 and --raw frame standard input, not "
		    "message operands", verb);
}

int
main(int argc, char **argv)
{
	struct cmd c;

	cli_init(argv[0]);
	parse(argc, argv, &c);
	cli_signals();
	switch (c.verb->id) {
	case CLOSE:
		return do_close(&c);
	case NEW:
		return do_new(&c);
	case RECV:
		return do_recv(&c);
	case RM:
		return do_rm(&c);
	case SEND:
		return do_send(&c);
	case STAT:
		return do_stat(&c);
	}
	return CLI_OSERR;
}
