/*
 * chan-bench: the speed of shmc_chan against a pipe, a POSIX message
 * queue, a SOCK_SEQPACKET socketpair and the textbook ring.
 *
 * One program that prints one table, in the style of mutex-bench.  Speed
 * is never a pass/fail test of the suite; this is a report for people,
 * run by `make bench`.  It prints PASS or FAIL for each target of the
 * channel's speed section (issue 4) but exits 0 unless something is
 * broken: a failing call, a worker that dies, or a message that arrives
 * wrong (lost, doubled, torn or out of its sender's order).
 *
 * Overview.  Each figure is the median of R runs (-r, default 7) with the
 * minimum and the maximum; one warm-up round before each section is thrown
 * away.  Within a round the ways of passing messages take turns (in
 * reverse order every other round), so that the noise of a shared machine
 * falls on all of them alike, and a ratio is taken within each round and
 * the median of those is reported.  Times come from CLOCK_MONOTONIC;
 * nothing is pinned.
 *
 * A run.  S senders (forked processes, or for information threads, both
 * through shmc_task_spawn) send M messages in all to one receiver, the
 * parent; M / SLOW_DIV through the kernel's ways, which are slow enough
 * for that to take as long.  Each sender first sends WARM messages, which
 * the receiver takes before it checks in at the starting line: that maps
 * every page of the ring or pipe, attaches every thread, and leaves
 * everyone running.  Then
 * all spin at the starting line, as in mutex-bench (see there why spin),
 * and the run lasts from the first participant's start to the receiver's
 * last message: messages (or bytes) per second.  Every message carries
 * its sender, the sender's counter and the counter again in its last 8
 * bytes; the receiver checks each sender's order, the last bytes (a torn
 * message) and the counts, and, after the senders are gone, the end of
 * the stream: EPIPE from the channel, end-of-file from the pipe and the
 * socket, and empty for the queue and the ring.
 *
 * The ways compared, all with one shared object for every sender:
 *
 *   shmc_chan        an anonymous channel (capacity 1024, size 64) opened
 *                    by the parent as sender and receiver; fork children
 *                    share its sender role, and the parent gives its own
 *                    up with shmc_chan_shutdown once they run.  Senders
 *                    call shmc_chan_send, the receiver shmc_chan_recv.
 *   shmc_chan batch  the same with shmc_chan_send_many and
 *                    shmc_chan_recv_many, 64 messages a call.
 *   pipe             each message one write(2) of 64 bytes, atomic since
 *                    64 <= PIPE_BUF, and one read(2) of 64 bytes.
 *   POSIX mq         mq_send/mq_receive, msgsize 64 and maxmsg 10 (the
 *                    default limit; less if the system allows less).
 *   SOCK_SEQPACKET   a UNIX socketpair; send(2) and recv(2) of 64 bytes.
 *   textbook ring    1024 slots of 64 bytes in MAP_SHARED memory around a
 *                    process-shared pthread mutex and two process-shared
 *                    condition variables, not_empty and not_full; each
 *                    side signals the other after every message.
 *
 * The targets (issue 4): shmc_chan at least 15 times a pipe with one
 * sender; at least 2.5 times the textbook ring with one sender and 2 times
 * with 2 and 4.  With 64 KiB messages and one sender, shmc_chan
 * (capacity 64) at least 8 times a pipe enlarged to 1 MiB with
 * F_SETPIPE_SZ, in GB/s (10^9 bytes per second).  The 64-byte run with
 * one sender is repeated with threads, for information.  If the build has
 * bin/shmchan, the shell target is measured too: `seq N | shmchan send q`
 * into `shmchan recv -f q | wc -l` at least as fast as `seq N | cat |
 * wc -l`.
 *
 * Three columns explain a figure.  CPUs adds up each participant's CPU
 * time over the run's length: 2 when two of them ran side by side all
 * along (it cannot pass the number of CPUs), about 1 when they took turns,
 * as the textbook ring's two sides do when the scheduler puts them on one
 * CPU: then one fills the ring while the other sleeps, and a message costs
 * a lock and a copy in one cache.  Sleeps are the participants' voluntary
 * context switches per thousand messages: near 0 when the channel's
 * spinning caught every message, 1000 or more when every message went
 * through the kernel's wait queues.  Other is the CPU time that other
 * processes (or the hypervisor, as steal time) took during the run, from
 * /proc/stat, in CPUs.  A run of the spinning kinds (the channel) with
 * CPUs below PAR_MIN did not run side by side (stacked on one vCPU, or a
 * vCPU taken away by the host) and is done again, as is any run where a
 * participant started late or others took more than OTHER_MAX CPUs.  For
 * the kernel's ways and the textbook ring, which sleep by design, CPUs do
 * not spoil a run.  A run spoilt by a busy machine is tried again only
 * BUSY_RETRIES times, and a warning counts the busy runs that were kept:
 * their figures say more about the other load than about the channel.
 * With more participants than CPUs (2 and 4 senders on a 2-CPU machine)
 * the figures include the scheduler's time slices, and a warning says
 * so.
 *
 * Only the public API of libshmconc is used.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmconc.h"
#include "bench/common.h"

#define OTHER_MAX       0.25    /* more CPUs taken by others spoils a run */
#define BUSY_RETRIES    1       /* how often to redo a run spoilt so */

#define SENDERS_MAX     4       /* senders of the largest run */
#define SMALL           64      /* bytes in a small message */
#define SMALL_CAP       1024    /* slots of the channel and the ring */
#define BATCH           64      /* messages per send_many/recv_many */
#define BIG             65536   /* bytes in a big message */
#define BIG_CAP         64      /* slots of the big channel */
#define BIG_PIPE        (1 << 20) /* the big pipe, if F_SETPIPE_SZ allows */
#define MQ_MAXMSG       10      /* the default fs.mqueue.msg_max */
#define MAGIC           0x43484e42U /* "CHNB" */

/*
 * Messages per run (M), normal and quick (-q), and the warm-up messages
 * per sender before the start (enough to map the whole ring).
 */
#define SMALL_M         2000000L
#define SMALL_M_QUICK   200000L
#define SMALL_WARM      SMALL_CAP
#define SLOW_DIV        4       /* the kernel's ways send M / SLOW_DIV */
#define BIG_M           16384L  /* 1 GiB */
#define BIG_M_QUICK     2048L
#define BIG_WARM        BIG_CAP

/* The shell target: lines through shmchan and through cat. */
#define SHELL_LINES     10000000L
#define SHELL_LINES_QUICK 1000000L
#define SHELL_RUNS_MAX  3

/* Targets (issue 4). */
#define TARGET_PIPE     15.0    /* chan/pipe, 64 bytes, 1 sender */
#define TARGET_RING_1   2.5     /* chan/ring, 1 sender */
#define TARGET_RING_N   2.0     /* chan/ring, 2 and 4 senders */
#define TARGET_BIG      8.0     /* chan/pipe, 64 KiB */
#define TARGET_SHELL    1.0     /* cat time / shmchan time */

/* The ways of passing messages, in table order. */
enum kind {
	K_CHAN,         /* shmc_chan_send, shmc_chan_recv */
	K_BATCH,        /* shmc_chan_send_many, shmc_chan_recv_many */
	K_PIPE,
	K_MQ,
	K_SEQPACKET,
	K_RING,         /* the textbook ring */
	NKINDS
};

static const char *const kind_name[NKINDS] = {
	"shmc_chan send/recv",
	"shmc_chan batches of 64",
	"pipe",
	"POSIX mq",
	"SOCK_SEQPACKET socketpair",
	"textbook ring (mutex+2 conds)"
};

/* Which kinds this system offers (the queue may be missing). */
static int avail[NKINDS] = { 1, 1, 1, 1, 1, 1 };

/* The queue's maxmsg, and why it is not MQ_MAXMSG if it is not. */
static long mq_maxmsg = MQ_MAXMSG;
static char mq_note[160];

/* The big pipe's size: what F_SETPIPE_SZ gave, and why if not BIG_PIPE. */
static int big_pipe_size;
static char pipe_note[160];

/* The first 16 bytes of every message; its counter ends it again. */
struct head {
	uint32_t magic;
	uint32_t who;           /* the sender, 1..SENDERS_MAX */
	uint64_t seq;           /* the sender's counter, from 0 */
};

/* The textbook ring, in the shared mapping. */
struct ring {
	_Alignas(LINE) pthread_mutex_t lock;
	pthread_cond_t not_empty;
	pthread_cond_t not_full;
	uint64_t head;          /* next to receive */
	uint64_t tail;          /* next to fill */
	_Alignas(LINE) unsigned char slot[SMALL_CAP][SMALL];
};

/*
 * Everything the parent and the workers share, in one MAP_SHARED
 * anonymous mapping, so that forked workers see it exactly as threads
 * do.  Words written by different parties sit on cache lines of their
 * own.  res[0] is the receiver's, res[1..] the senders'.
 */
struct shared {
	_Alignas(LINE) atomic_int ready;
	struct {
		_Alignas(LINE) uint64_t start_ns;
		uint64_t end_ns;
		uint64_t cpu_ns;
		long sleeps;
		long preempts;
		int err;
	} res[SENDERS_MAX + 1];
	struct ring ring;
};

/*
 * One run's setup, made by the parent before it spawns the senders (who
 * get a copy, or share it as threads).
 */
struct ctx {
	struct shared *sh;
	enum kind kind;
	int mode;               /* SHMC_PROCESS... or SHMC_THREAD */
	int nsenders;
	size_t size;            /* bytes per message */
	long warm;              /* warm-up messages per sender */
	long share[SENDERS_MAX + 1]; /* timed messages of each sender */
	long total;             /* timed messages of all */
	struct shmc_chan *ch;
	int fd[2];              /* pipe or socketpair: read, write */
	mqd_t mq;
};

/* One sender's orders. */
struct job {
	const struct ctx *c;
	int who;
};

/* What one run measured. */
struct run {
	double rate;            /* messages per second */
	double cpus;            /* how many participants were on a CPU */
	double sleeps;          /* per thousand messages */
	double other;           /* CPUs busy with other work, or stolen */
	int spoilt;             /* late start, or not side by side */
	int busy;               /* others used more than OTHER_MAX CPUs */
};

/*
 * The time all CPUs spent on anything but idling, stolen time included,
 * in nanoseconds (from /proc/stat, in clock ticks); 0 if unknown.
 */
static uint64_t
busy_ns(void)
{
	unsigned long long v[8];
	long hz;
	FILE *f;
	int n;

	f = fopen("/proc/stat", "re");
	if (f == NULL)
		return 0;
	/* user nice system idle iowait irq softirq steal */
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	hz = sysconf(_SC_CLK_TCK);
	if (n != 8 || hz <= 0)
		return 0;
	return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) *
	    (uint64_t)(NSEC_PER_SEC / hz);
}

/* The description of an error number, libshmconc's or the system's. */
static const char *
error_text(int e)
{
	return shmc_strerror(e);
}

/* Write message number seq of sender who into buf. */
static inline void
fill(unsigned char *buf, size_t size, int who, uint64_t seq)
{
	struct head h = { MAGIC, (uint32_t)who, seq };

	memcpy(buf, &h, sizeof(h));
	memcpy(buf + size - sizeof(seq), &seq, sizeof(seq));
}

/* Describe run c in a few words, for messages. */
static const char *
run_name(const struct ctx *c)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "%s, %zu bytes, %d sender%s, %s",
	    kind_name[c->kind], c->size, c->nsenders,
	    c->nsenders > 1 ? "s" : "",
	    c->mode & SHMC_PROCESS ? "processes" : "threads");
	return buf;
}

/*
 * Check a received message: its length, its magic, its sender, its
 * sender's order and its last bytes.  A wrong one ends the program.
 */
static inline void
check(const struct ctx *c, const unsigned char *buf, size_t len,
    uint64_t *next, long count)
{
	struct head h;
	uint64_t tail;

	if (len != c->size)
		errx(1, "%s: message %ld has %zu bytes", run_name(c), count,
		    len);
	memcpy(&h, buf, sizeof(h));
	memcpy(&tail, buf + len - sizeof(tail), sizeof(tail));
	if (h.magic != MAGIC || h.who < 1 || h.who > (uint32_t)c->nsenders)
		errx(1, "%s: message %ld is not one that was sent",
		    run_name(c), count);
	if (h.seq != next[h.who])
		errx(1, "%s: message %ld is number %llu of sender %u, "
		    "expected %llu: lost, doubled or out of order",
		    run_name(c), count, (unsigned long long)h.seq, h.who,
		    (unsigned long long)next[h.who]);
	if (tail != h.seq)
		errx(1, "%s: message %ld of sender %u is torn", run_name(c),
		    count, h.who);
	next[h.who]++;
}

/* Write all of buf to fd; 0 or an error number. */
static int
write_all(int fd, const unsigned char *buf, size_t size)
{
	ssize_t n;

	while (size > 0) {
		n = write(fd, buf, size);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		buf += n;
		size -= (size_t)n;
	}
	return 0;
}

/* Read exactly size bytes from fd; 0, EPIPE at end-of-file, or errno. */
static int
read_all(int fd, unsigned char *buf, size_t size)
{
	ssize_t n;
	size_t got = 0;

	while (got < size) {
		n = read(fd, buf + got, size - got);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return got == 0 ? EPIPE : EBADMSG;
		got += (size_t)n;
	}
	return 0;
}

/* Send one message of c's kind (not the batch kind). */
static inline int
send_msg(const struct ctx *c, const unsigned char *buf)
{
	struct ring *rg = &c->sh->ring;
	ssize_t n;
	int r;

	switch (c->kind) {
	case K_CHAN:
	case K_BATCH:
		return shmc_chan_send(c->ch, buf, c->size);
	case K_PIPE:
		if (c->size <= PIPE_BUF) {
			/* One write: atomic, so all or an error. */
			n = write(c->fd[1], buf, c->size);
			return n == (ssize_t)c->size ? 0 : n < 0 ? errno : EIO;
		}
		return write_all(c->fd[1], buf, c->size);
	case K_MQ:
		return mq_send(c->mq, (const char *)buf, c->size, 0) < 0 ?
		    errno : 0;
	case K_SEQPACKET:
		n = send(c->fd[1], buf, c->size, MSG_NOSIGNAL);
		return n == (ssize_t)c->size ? 0 : n < 0 ? errno : EIO;
	case K_RING:
		if ((r = pthread_mutex_lock(&rg->lock)) != 0)
			return r;
		while (rg->tail - rg->head == SMALL_CAP)
			if ((r = pthread_cond_wait(&rg->not_full,
			    &rg->lock)) != 0) {
				pthread_mutex_unlock(&rg->lock);
				return r;
			}
		memcpy(rg->slot[rg->tail % SMALL_CAP], buf, SMALL);
		rg->tail++;
		pthread_cond_signal(&rg->not_empty);
		return pthread_mutex_unlock(&rg->lock);
	default:
		return EINVAL;
	}
}

/*
 * Receive one message of c's kind (not the batch kind) into buf, which
 * has room for c->size bytes; its length goes to *len.  EPIPE at the end
 * of the stream.
 */
static inline int
recv_msg(const struct ctx *c, unsigned char *buf, size_t *len)
{
	struct ring *rg = &c->sh->ring;
	ssize_t n;
	int r;

	switch (c->kind) {
	case K_CHAN:
	case K_BATCH:
		return shmc_chan_recv(c->ch, buf, c->size, len);
	case K_PIPE:
		*len = c->size;
		return read_all(c->fd[0], buf, c->size);
	case K_MQ:
		/* mq_receive wants room for msgsize, which is c->size. */
		n = mq_receive(c->mq, (char *)buf, c->size, NULL);
		if (n < 0)
			return errno;
		*len = (size_t)n;
		return 0;
	case K_SEQPACKET:
		n = recv(c->fd[0], buf, c->size, 0);
		if (n < 0)
			return errno;
		if (n == 0)
			return EPIPE;
		*len = (size_t)n;
		return 0;
	case K_RING:
		if ((r = pthread_mutex_lock(&rg->lock)) != 0)
			return r;
		while (rg->tail == rg->head)
			if ((r = pthread_cond_wait(&rg->not_empty,
			    &rg->lock)) != 0) {
				pthread_mutex_unlock(&rg->lock);
				return r;
			}
		memcpy(buf, rg->slot[rg->head % SMALL_CAP], SMALL);
		rg->head++;
		pthread_cond_signal(&rg->not_full);
		*len = SMALL;
		return pthread_mutex_unlock(&rg->lock);
	default:
		return EINVAL;
	}
}

/*
 * Send n messages as sender who, numbered from *seq on: one call each, or
 * BATCH a call for the batch kind.  buf has room for BATCH messages.
 */
static int
send_n(const struct ctx *c, int who, unsigned char *buf, uint64_t *seq,
    long n)
{
	struct iovec iov[BATCH];
	size_t k, i, sent;
	int r;

	if (c->kind != K_BATCH) {
		for (; n > 0; n--) {
			fill(buf, c->size, who, (*seq)++);
			r = send_msg(c, buf);
			if (r != 0)
				return r;
		}
		return 0;
	}
	while (n > 0) {
		k = n < BATCH ? (size_t)n : BATCH;
		for (i = 0; i < k; i++) {
			iov[i].iov_base = buf + i * c->size;
			iov[i].iov_len = c->size;
			fill(iov[i].iov_base, c->size, who, *seq + i);
		}
		r = shmc_chan_send_many(c->ch, iov, k, &sent, NULL);
		if (r != 0)
			return r;
		if (sent == 0 || sent > k)
			return EIO;
		*seq += sent;
		n -= (long)sent;
	}
	return 0;
}

/*
 * Receive and check n messages; *count counts them all.  buf has room
 * for BATCH messages.  A failing call ends the program.
 */
static void
recv_n(const struct ctx *c, unsigned char *buf, uint64_t *next, long n,
    long *count)
{
	size_t lens[BATCH], k, got, i, len;
	int r;

	if (c->kind != K_BATCH) {
		for (; n > 0; n--) {
			r = recv_msg(c, buf, &len);
			if (r != 0)
				errx(1, "%s: receive %ld: %s", run_name(c),
				    *count, error_text(r));
			check(c, buf, len, next, (*count)++);
		}
		return;
	}
	while (n > 0) {
		k = n < BATCH ? (size_t)n : BATCH;
		r = shmc_chan_recv_many(c->ch, buf, k * c->size, lens, k,
		    &got, NULL);
		if (r != 0)
			errx(1, "%s: receive %ld: %s", run_name(c), *count,
			    error_text(r));
		if (got == 0 || got > k)
			errx(1, "%s: recv_many got %zu of %zu", run_name(c),
			    got, k);
		for (i = 0; i < got; i++)
			check(c, buf + i * c->size, lens[i], next,
			    (*count)++);
		n -= (long)got;
	}
}

/*
 * One sender, run as a process or a thread: send the warm-up messages,
 * check in, spin until everyone has, send its share and report its start
 * and end, its CPU time and its context switches.  Even a failed sender
 * checks in, or the others spin for ever; the receiver then notices the
 * missing messages (or the run's alarm fires).
 */
static int
sender(void *arg)
{
	const struct job *j = arg;
	const struct ctx *c = j->c;
	struct shared *sh = c->sh;
	unsigned char *buf;
	uint64_t seq = 0, cpu;
	long vol, invol, vol1, invol1;
	int r;

	buf = calloc(BATCH, c->size);
	if (buf == NULL) {
		sh->res[j->who].err = ENOMEM;
		start_line(&sh->ready, c->nsenders + 1);
		return 1;
	}
	r = send_n(c, j->who, buf, &seq, c->warm);
	sh->res[j->who].err = r;
	start_line(&sh->ready, c->nsenders + 1);
	if (r != 0) {
		free(buf);
		return 1;
	}
	sh->res[j->who].start_ns = now_ns();
	cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	switches_so_far(&vol, &invol);
	r = send_n(c, j->who, buf, &seq, c->share[j->who]);
	sh->res[j->who].end_ns = now_ns();
	sh->res[j->who].cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu;
	switches_so_far(&vol1, &invol1);
	sh->res[j->who].sleeps = vol1 - vol;
	sh->res[j->who].preempts = invol1 - invol;
	sh->res[j->who].err = r;
	free(buf);
	return r != 0;
}

/*
 * Make run c's object: a new channel, pipe, queue or socketpair, or the
 * ring emptied.  A failing call ends the program.
 */
static void
open_kind(struct ctx *c)
{
	struct shmc_attr attr;
	struct mq_attr ma;
	struct ring *rg = &c->sh->ring;
	char name[64];
	int r;

	c->fd[0] = c->fd[1] = -1;
	switch (c->kind) {
	case K_CHAN:
	case K_BATCH:
		memset(&attr, 0, sizeof(attr));
		attr.capacity = c->size == BIG ? BIG_CAP : SMALL_CAP;
		attr.size = (unsigned int)c->size;
		r = shmc_chan_open(NULL, SHMC_CREAT | SHMC_SENDER |
		    SHMC_RECEIVER, &attr, &c->ch);
		if (r != 0)
			errx(1, "%s: shmc_chan_open: %s", run_name(c),
			    error_text(r));
		break;
	case K_PIPE:
		if (pipe(c->fd) < 0)
			err(1, "%s: pipe", run_name(c));
		if (c->size == BIG && big_pipe_size > 0 &&
		    fcntl(c->fd[1], F_SETPIPE_SZ, big_pipe_size) < 0)
			err(1, "%s: F_SETPIPE_SZ", run_name(c));
		break;
	case K_MQ:
		snprintf(name, sizeof(name), "/chan-bench.%ld", (long)getpid());
		memset(&ma, 0, sizeof(ma));
		ma.mq_maxmsg = mq_maxmsg;
		ma.mq_msgsize = (long)c->size;
		c->mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &ma);
		if (c->mq == (mqd_t)-1)
			err(1, "%s: mq_open", run_name(c));
		/* The descriptors keep it; forked senders inherit them. */
		mq_unlink(name);
		break;
	case K_SEQPACKET:
		if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, c->fd) < 0)
			err(1, "%s: socketpair", run_name(c));
		break;
	case K_RING:
		rg->head = rg->tail = 0;
		break;
	default:
		break;
	}
}

/*
 * The parent's part of the end of the stream: give up its own sender
 * role or write end, so that only the senders' keep the stream open.
 */
static void
end_stream(struct ctx *c)
{
	switch (c->kind) {
	case K_CHAN:
	case K_BATCH:
		(void)shmc_chan_shutdown(c->ch);
		break;
	case K_PIPE:
	case K_SEQPACKET:
		close(c->fd[1]);
		c->fd[1] = -1;
		break;
	default:
		break;
	}
}

/*
 * Once the senders are gone, check that the stream has ended and nothing
 * is left: EPIPE from the channel, end-of-file from the pipe and socket,
 * an empty queue and ring.  Then close the object.
 */
static void
close_kind(struct ctx *c, unsigned char *buf)
{
	struct mq_attr ma;
	size_t len;
	int r;

	switch (c->kind) {
	case K_CHAN:
	case K_BATCH:
	case K_PIPE:
	case K_SEQPACKET:
		r = recv_msg(c, buf, &len);
		if (r != EPIPE)
			errx(1, "%s: after the last message: %s instead of "
			    "the end of the stream", run_name(c),
			    r == 0 ? "one more message" : error_text(r));
		break;
	case K_MQ:
		if (mq_getattr(c->mq, &ma) < 0)
			err(1, "%s: mq_getattr", run_name(c));
		if (ma.mq_curmsgs != 0)
			errx(1, "%s: %ld messages left after the last",
			    run_name(c), (long)ma.mq_curmsgs);
		break;
	case K_RING:
		if (c->sh->ring.head != c->sh->ring.tail)
			errx(1, "%s: %llu messages left after the last",
			    run_name(c), (unsigned long long)
			    (c->sh->ring.tail - c->sh->ring.head));
		break;
	default:
		break;
	}
	switch (c->kind) {
	case K_CHAN:
	case K_BATCH:
		shmc_chan_close(c->ch);
		break;
	case K_PIPE:
	case K_SEQPACKET:
		close(c->fd[0]);
		if (c->fd[1] >= 0)
			close(c->fd[1]);
		break;
	case K_MQ:
		mq_close(c->mq);
		break;
	default:
		break;
	}
}

/*
 * One run: nsenders tasks (mode SHMC_PROCESS or SHMC_THREAD) send total
 * messages of size bytes, with warm warm-up messages each, of kind k to
 * the calling thread.  Exits with a message if anything fails or a
 * message arrives wrong.
 */
static struct run
one_run(struct shared *sh, enum kind k, int mode, int nsenders, size_t size,
    long total, long warm)
{
	struct shmc_task *task[SENDERS_MAX + 1];
	struct job job[SENDERS_MAX + 1];
	uint64_t next[SENDERS_MAX + 1];
	struct ctx c;
	struct run run;
	unsigned char *buf;
	uint64_t first = UINT64_MAX, last = 0, end, cpu, len, busy, ours = 0;
	double cpus = 0;
	long vol, invol, vol1, invol1, count = 0, slept, preempted;
	int w, r, status;

	/* A pipe, queue or socket is slow enough for fewer messages. */
	if (size == SMALL && (k == K_PIPE || k == K_MQ || k == K_SEQPACKET))
		total /= SLOW_DIV;
	memset(&c, 0, sizeof(c));
	c.sh = sh;
	c.kind = k;
	c.mode = mode;
	c.nsenders = nsenders;
	c.size = size;
	c.warm = warm;
	c.total = total;
	for (w = 1; w <= nsenders; w++)
		c.share[w] = total / nsenders + (w - 1 < total % nsenders);
	buf = calloc(BATCH, size);
	if (buf == NULL)
		err(1, "calloc");
	open_kind(&c);
	memset(next, 0, sizeof(next));
	memset(sh->res, 0, sizeof(sh->res));
	atomic_store_explicit(&sh->ready, 0, memory_order_relaxed);
	alarm(RUN_LIMIT_S);
	for (w = 1; w <= nsenders; w++) {
		job[w].c = &c;
		job[w].who = w;
		r = shmc_task_spawn(mode, sender, &job[w], &task[w]);
		if (r != 0)
			errx(1, "%s: spawn: %s", run_name(&c), error_text(r));
	}
	if (mode & SHMC_PROCESS)
		end_stream(&c);

	/* The receiver: warm-up, starting line, the timed messages. */
	recv_n(&c, buf, next, warm * nsenders, &count);
	busy = busy_ns();
	start_line(&sh->ready, nsenders + 1);
	sh->res[0].start_ns = now_ns();
	cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	switches_so_far(&vol, &invol);
	recv_n(&c, buf, next, total, &count);
	end = sh->res[0].end_ns = now_ns();
	sh->res[0].cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu;
	switches_so_far(&vol1, &invol1);
	sh->res[0].sleeps = vol1 - vol;
	sh->res[0].preempts = invol1 - invol;
	busy = busy > 0 ? busy_ns() - busy : 0;

	for (w = 1; w <= nsenders; w++) {
		r = shmc_task_join(task[w], &status);
		if (r != 0)
			errx(1, "%s: join: %s", run_name(&c), error_text(r));
		if (sh->res[w].err != 0)
			errx(1, "%s: sender %d: %s", run_name(&c), w,
			    error_text(sh->res[w].err));
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			errx(1, "%s: sender %d died (status %#x)",
			    run_name(&c), w, (unsigned int)status);
		if (next[w] != (uint64_t)(warm + c.share[w]))
			errx(1, "%s: %llu messages of sender %d, expected "
			    "%ld", run_name(&c), (unsigned long long)next[w],
			    w, warm + c.share[w]);
	}
	if (!(mode & SHMC_PROCESS))
		end_stream(&c);
	close_kind(&c, buf);
	alarm(0);
	free(buf);

	slept = preempted = 0;
	for (w = 0; w <= nsenders; w++) {
		if (sh->res[w].start_ns < first)
			first = sh->res[w].start_ns;
		if (sh->res[w].start_ns > last)
			last = sh->res[w].start_ns;
	}
	for (w = 0; w <= nsenders; w++) {
		/* A sender's CPU time over the whole run, not its own part. */
		cpus += (double)sh->res[w].cpu_ns / (double)(end - first + 1);
		ours += sh->res[w].cpu_ns;
		slept += sh->res[w].sleeps;
		preempted += sh->res[w].preempts;
	}
	len = end - first;
	run.rate = (double)total * NSEC_PER_SEC / (double)(len + 1);
	run.cpus = cpus;
	run.sleeps = (double)slept * 1000 / (double)total;
	/* Clock ticks are coarse: a short run may show a little below 0. */
	run.other = busy > ours ? (double)(busy - ours) / (double)(len + 1) :
	    0;
	run.busy = run.other > OTHER_MAX;
	run.spoilt = (last - first) * 100 > len * LATE_PCT ||
	    ((k == K_CHAN || k == K_BATCH) && cpus < PAR_MIN) || run.busy;
	if (verbose) {
		fprintf(stderr, "%s: %.2f ms, starts", run_name(&c),
		    (double)len / 1e6);
		for (w = 0; w <= nsenders; w++)
			fprintf(stderr, " +%.0f", (double)(sh->res[w].start_ns -
			    first) / 1e3);
		fprintf(stderr, " us, %.2f CPUs, %.2f other, %ld sleeps, "
		    "%ld preempted%s\n", cpus, run.other, slept, preempted,
		    run.busy ? ", busy" : run.spoilt ? ", spoilt" : "");
	}
	return run;
}

/* A row's label and figure in this table's columns (bench_figure). */
static void
print_figure(const char *label, struct stats st, int prec, int more)
{
	bench_figure(label, 32, st, prec, more ? 26 : 0);
}

/* A ratio of one kind to another, with a target (0: none). */
struct ratio {
	enum kind a, b;
	double target;
};

/* How many PASS and FAIL verdicts were printed; for the last line. */
static int npass, nfail;

/* Print a verdict for a median ratio against a target of at least t. */
static void
verdict(double med, double t)
{
	if (t <= 0) {
		printf("(report)\n");
		return;
	}
	bench_target(">=", 1, t, "", med >= t);
	if (med >= t)
		npass++;
	else
		nfail++;
}

/*
 * A section: a warm-up round, then runs rounds of the kinds in turn; the
 * rows, in millions of messages per second (or GB/s with big messages),
 * and the ratios.  A spoilt run would flatter or wrong its kind, so it is
 * done again, up to RETRIES times; but only BUSY_RETRIES times when other
 * processes took the CPUs, since on a machine that stays busy trying again
 * only makes the benchmark take longer.  Notes after the rows say how
 * often that happened.
 */
static void
section(struct shared *sh, const char *title, const int *kinds, int nk,
    int mode, int nsenders, size_t size, long total, long warm, int runs,
    const struct ratio *ratios, int nr)
{
	double v[NKINDS][RUNS_MAX], cp[NKINDS][RUNS_MAX], sl[NKINDS][RUNS_MAX];
	double ot[NKINDS][RUNS_MAX];
	double ratio[RUNS_MAX], scale;
	struct stats st;
	struct run run;
	char label[64];
	int i, k, kk, q, try, nredo = 0, nkept = 0, nbusy = 0, nruns = 0, tries;
	long ncpu;

	/* Mmsg/s for small messages, GB/s for big ones. */
	scale = size == BIG ? (double)size / 1e9 : 1e-6;
	for (kk = 0; kk < nk; kk++)
		if (avail[kinds[kk]])
			(void)one_run(sh, (enum kind)kinds[kk], mode, nsenders,
			    size, total, warm);
	for (i = 0; i < runs; i++) {
		for (q = 0; q < nk; q++) {
			k = kinds[i % 2 ? nk - 1 - q : q];
			if (!avail[k])
				continue;
			for (try = 0;; try++) {
				run = one_run(sh, (enum kind)k, mode, nsenders,
				    size, total, warm);
				tries = run.busy ? BUSY_RETRIES : RETRIES;
				if (!run.spoilt || try >= tries)
					break;
				nredo++;
			}
			nruns++;
			nbusy += run.busy;
			nkept += run.spoilt && !run.busy;
			v[k][i] = run.rate * scale;
			cp[k][i] = run.cpus;
			sl[k][i] = run.sleeps;
			ot[k][i] = run.other;
		}
	}
	printf("%-34s%-26s%-6s%-10s%s\n", title,
	    size == BIG ? "GB/s" : "Mmsg/s", "CPUs", "sleep/1k", "other");
	for (kk = 0; kk < nk; kk++) {
		k = kinds[kk];
		if (k == K_MQ && mq_maxmsg != MQ_MAXMSG) {
			snprintf(label, sizeof(label), "%s (maxmsg %ld)",
			    kind_name[k], mq_maxmsg);
		} else if (k == K_PIPE && size == BIG) {
			snprintf(label, sizeof(label), "pipe (%d KiB)",
			    big_pipe_size > 0 ? big_pipe_size / 1024 : 64);
		} else if (k == K_CHAN && size == BIG) {
			snprintf(label, sizeof(label), "shmc_chan (capacity %d)",
			    BIG_CAP);
		} else
			snprintf(label, sizeof(label), "%s", kind_name[k]);
		if (!avail[k]) {
			printf("  %-32sn/a\n", label);
			continue;
		}
		print_figure(label, summarize(v[k], runs), size == BIG ? 2 : 3,
		    1);
		printf("%-6.2f%-10.1f%.2f\n", summarize(cp[k], runs).med,
		    summarize(sl[k], runs).med, summarize(ot[k], runs).med);
	}
	for (q = 0; q < nr; q++) {
		if (!avail[ratios[q].a] || !avail[ratios[q].b])
			continue;
		for (i = 0; i < runs; i++)
			ratio[i] = v[ratios[q].a][i] / v[ratios[q].b][i];
		snprintf(label, sizeof(label), "ratio %s/%s",
		    ratios[q].a == K_BATCH ? "batch" :
		    ratios[q].a == K_CHAN ? "shmc" : kind_name[ratios[q].a],
		    ratios[q].b == K_CHAN ? "shmc" :
		    ratios[q].b == K_RING ? "textbook" :
		    ratios[q].b == K_SEQPACKET ? "seqpacket" :
		    ratios[q].b == K_MQ ? "mq" : kind_name[ratios[q].b]);
		st = summarize(ratio, runs);
		print_figure(label, st, 2, 1);
		verdict(st.med, ratios[q].target);
	}
	ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	if (nsenders + 1 > ncpu)
		printf("  warning: %d senders and a receiver on %ld CPUs: "
		    "these figures include the scheduler\n", nsenders, ncpu);
	if (nredo > 0)
		printf("  note: %d runs redone because the participants did "
		    "not run side by side or others used the CPUs\n", nredo);
	if (nkept > 0)
		printf("  note: %d runs kept although the participants did not "
		    "run side by side\n", nkept);
	if (nbusy > 0)
		printf("  warning: %d of %d runs kept although other processes "
		    "used more than %.2f CPUs\n", nbusy, nruns, OTHER_MAX);
}

/* The 64-byte sections: processes with 1, 2 and 4 senders, threads. */
static void
sections_small(struct shared *sh, int runs, long total)
{
	static const int kinds[] = {
		K_CHAN, K_BATCH, K_PIPE, K_MQ, K_SEQPACKET, K_RING
	};
	static const int nsenders[] = { 1, 2, 4 };
	struct ratio ratios[] = {
		{ K_CHAN, K_PIPE, 0 },
		{ K_CHAN, K_MQ, 0 },
		{ K_CHAN, K_SEQPACKET, 0 },
		{ K_CHAN, K_RING, 0 },
		{ K_BATCH, K_CHAN, 0 },
	};
	const int nk = (int)(sizeof(kinds) / sizeof(kinds[0]));
	const int nr = (int)(sizeof(ratios) / sizeof(ratios[0]));
	char title[64];
	unsigned int i;

	for (i = 0; i < sizeof(nsenders) / sizeof(nsenders[0]); i++) {
		ratios[0].target = nsenders[i] == 1 ? TARGET_PIPE : 0;
		ratios[3].target = nsenders[i] == 1 ? TARGET_RING_1 :
		    TARGET_RING_N;
		snprintf(title, sizeof(title), "64 B, %d sender%s, processes",
		    nsenders[i], nsenders[i] > 1 ? "s" : "");
		section(sh, title, kinds, nk, SHMC_PROCESS |
		    SHMC_DIE_WITH_PARENT, nsenders[i], SMALL, total, SMALL_WARM,
		    runs, ratios, nr);
		fflush(stdout);
	}
	ratios[0].target = 0;
	ratios[3].target = 0;
	section(sh, "64 B, 1 sender, threads", kinds, nk, SHMC_THREAD, 1,
	    SMALL, total, SMALL_WARM, runs, ratios, nr);
	fflush(stdout);
}

/* The 64 KiB section: one sender, processes, GB/s. */
static void
section_big(struct shared *sh, int runs, long total)
{
	static const int kinds[] = { K_CHAN, K_PIPE };
	static const struct ratio ratios[] = {
		{ K_CHAN, K_PIPE, TARGET_BIG }
	};

	section(sh, "64 KiB, 1 sender, processes", kinds, 2,
	    SHMC_PROCESS | SHMC_DIE_WITH_PARENT, 1, BIG, total, BIG_WARM, runs,
	    ratios, 1);
	if (pipe_note[0] != '\0')
		printf("  note: %s\n", pipe_note);
	fflush(stdout);
}

/*
 * Run script with /bin/sh -c, the arguments after it being $0, $1, ...;
 * returns its time in seconds, or a negative number if it failed.
 */
static double
time_shell(const char *script, char *const args[])
{
	char *argv[8];
	uint64_t t0;
	pid_t pid;
	int i, status;

	argv[0] = (char *)"sh";
	argv[1] = (char *)"-c";
	argv[2] = (char *)script;
	for (i = 0; args[i] != NULL && i < 4; i++)
		argv[3 + i] = args[i];
	argv[3 + i] = NULL;
	fflush(stdout);
	t0 = now_ns();
	pid = fork();
	if (pid < 0)
		err(1, "fork");
	if (pid == 0) {
		execv("/bin/sh", argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		err(1, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return (double)(now_ns() - t0) / NSEC_PER_SEC;
}

/*
 * Find bin/shmchan in the build: in the current directory (make bench
 * runs there), else next to our bench/ directory (argv0 is
 * bench/.libs/... when libtool's wrapper ran us).  0 if it is there.
 */
static int
find_shmchan(const char *argv0, char *path, size_t size)
{
	static const char *const up[] = { "/..", "/../.." };
	const char *slash;
	unsigned int i;

	snprintf(path, size, "bin/shmchan");
	if (access(path, X_OK) == 0)
		return 0;
	slash = strrchr(argv0, '/');
	for (i = 0; slash != NULL && i < sizeof(up) / sizeof(up[0]); i++) {
		snprintf(path, size, "%.*s%s/bin/shmchan",
		    (int)(slash - argv0), argv0, up[i]);
		if (access(path, X_OK) == 0)
			return 0;
	}
	return -1;
}

/*
 * The shell target, if the build has bin/shmchan: seq N lines through
 * shmchan against the same through cat, each checked by wc -l.
 * min(runs, SHELL_RUNS_MAX) runs each, in turn.  The channel has
 * shmchan's default capacity and size.  The time includes starting the
 * shell and the commands, the same for both but for shmchan's new and rm.
 */
static void
section_shell(const char *argv0, int runs, long lines)
{
	/*
	 * $0: shmchan, $1: the channel's name, $2: lines.  The channel ends
	 * once its one sender (-S 1) has joined and left.
	 */
	static const char chan_script[] =
	    "\"$0\" new -S 1 \"$1\" || exit 1\n"
	    "seq \"$2\" | \"$0\" send \"$1\" & pid=$!\n"
	    "n=$(\"$0\" recv -f \"$1\" | wc -l)\n"
	    "wait $pid; st=$?\n"
	    "\"$0\" rm \"$1\"\n"
	    "test \"$st\" -eq 0 && test \"$n\" -eq \"$2\"\n";
	static const char cat_script[] =
	    "n=$(seq \"$2\" | cat | wc -l)\n"
	    "test \"$n\" -eq \"$2\"\n";
	double tc[SHELL_RUNS_MAX], tp[SHELL_RUNS_MAX], ratio[SHELL_RUNS_MAX];
	char path[PATH_MAX], name[64], nlines[32], title[64];
	char *args[4];
	struct stats st;
	int i, n;

	snprintf(title, sizeof(title), "shell, %ld lines", lines);
	if (find_shmchan(argv0, path, sizeof(path)) != 0) {
		printf("%s\n  skipped: no bin/shmchan in this build (yet)\n",
		    title);
		return;
	}
	snprintf(name, sizeof(name), "chan-bench.%ld", (long)getpid());
	snprintf(nlines, sizeof(nlines), "%ld", lines);
	args[0] = path;
	args[1] = name;
	args[2] = nlines;
	args[3] = NULL;
	n = runs < SHELL_RUNS_MAX ? runs : SHELL_RUNS_MAX;
	for (i = 0; i < n; i++) {
		tc[i] = time_shell(chan_script, args);
		tp[i] = time_shell(cat_script, args);
		if (tc[i] < 0 || tp[i] < 0)
			errx(1, "shell: the %s pipeline failed or lost lines",
			    tc[i] < 0 ? "shmchan" : "cat");
		ratio[i] = tp[i] / tc[i];
	}
	printf("%-34s%s\n", title, "seconds");
	print_figure("seq | shmchan send/recv -f | wc",
	    summarize(tc, n), 2, 0);
	print_figure("seq | cat | wc", summarize(tp, n), 2, 0);
	st = summarize(ratio, n);
	print_figure("ratio cat time/shmchan time", st, 2, 1);
	verdict(st.med, TARGET_SHELL);
}

/* Find out what the queue and the big pipe may be on this system. */
static void
probe(void)
{
	struct mq_attr ma;
	char name[64];
	FILE *f;
	long max;
	mqd_t mq;
	int fd[2];

	snprintf(name, sizeof(name), "/chan-bench.%ld", (long)getpid());
	memset(&ma, 0, sizeof(ma));
	ma.mq_maxmsg = MQ_MAXMSG;
	ma.mq_msgsize = SMALL;
	mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &ma);
	if (mq == (mqd_t)-1 && (errno == EINVAL || errno == ENOSPC)) {
		f = fopen("/proc/sys/fs/mqueue/msg_max", "re");
		if (f != NULL && fscanf(f, "%ld", &max) == 1 && max >= 1 &&
		    max < MQ_MAXMSG) {
			ma.mq_maxmsg = mq_maxmsg = max;
			snprintf(mq_note, sizeof(mq_note), "maxmsg %d refused "
			    "(%s); fs.mqueue.msg_max allows %ld", MQ_MAXMSG,
			    strerror(errno), max);
			mq = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600,
			    &ma);
		}
		if (f != NULL)
			fclose(f);
	}
	if (mq == (mqd_t)-1) {
		avail[K_MQ] = 0;
		snprintf(mq_note, sizeof(mq_note), "no POSIX mq: mq_open: %s",
		    strerror(errno));
	} else {
		mq_close(mq);
		mq_unlink(name);
	}

	if (pipe(fd) < 0)
		err(1, "pipe");
	big_pipe_size = fcntl(fd[1], F_SETPIPE_SZ, BIG_PIPE);
	if (big_pipe_size < 0) {
		snprintf(pipe_note, sizeof(pipe_note), "F_SETPIPE_SZ %d: %s; "
		    "the pipe keeps its default size", BIG_PIPE,
		    strerror(errno));
		big_pipe_size = 0;
	} else if (big_pipe_size != BIG_PIPE)
		snprintf(pipe_note, sizeof(pipe_note), "F_SETPIPE_SZ %d gave "
		    "%d bytes", BIG_PIPE, big_pipe_size);
	close(fd[0]);
	close(fd[1]);
}

/*
 * The header: what machine and libraries the figures belong to, and the
 * environment that changes shmconc's behaviour.
 */
static void
print_header(int runs, long small_m, long big_m)
{
	long ncpu;

	ncpu = bench_header("channel", runs);
	printf("messages per run: %ld of 64 B (%ld through the kernel; "
	    "capacity %d, %d warm-up per sender), %ld of 64 KiB (capacity "
	    "%d)\n", small_m, small_m / SLOW_DIV, SMALL_CAP, SMALL_WARM, big_m,
	    BIG_CAP);
	bench_env();
	if (mq_note[0] != '\0')
		printf("note: %s\n", mq_note);
	if (ncpu < SENDERS_MAX + 1)
		printf("warning: up to %d senders and a receiver on %ld CPUs: "
		    "runs with more participants than CPUs measure the "
		    "scheduler too\n", SENDERS_MAX, ncpu);
}

/* Make the textbook ring's mutex and condition variables. */
static void
init_ring(struct ring *rg)
{
	pthread_mutexattr_t ma;
	pthread_condattr_t ca;
	int r;

	if ((r = pthread_mutexattr_init(&ma)) != 0 ||
	    (r = pthread_mutexattr_setpshared(&ma,
	    PTHREAD_PROCESS_SHARED)) != 0 ||
	    (r = pthread_mutex_init(&rg->lock, &ma)) != 0 ||
	    (r = pthread_condattr_init(&ca)) != 0 ||
	    (r = pthread_condattr_setpshared(&ca,
	    PTHREAD_PROCESS_SHARED)) != 0 ||
	    (r = pthread_cond_init(&rg->not_empty, &ca)) != 0 ||
	    (r = pthread_cond_init(&rg->not_full, &ca)) != 0)
		errx(1, "textbook ring: %s", strerror(r));
	pthread_mutexattr_destroy(&ma);
	pthread_condattr_destroy(&ca);
}

static void
usage(int status)
{
	FILE *f = status == 0 ? stdout : stderr;

	fprintf(f, "usage: chan-bench [-hqv] [-r runs]\n"
	    "  -h       print this help and exit\n"
	    "  -q       quick: %ld messages of 64 B (a quarter of them through "
	    "the\n"
	    "           kernel) and %ld of 64 KiB per run\n"
	    "           instead of %ld and %ld, and %ld shell lines instead\n"
	    "           of %ld (a smoke test)\n"
	    "  -r runs  runs per figure, 1..%d (default %d)\n"
	    "  -v       describe every run on stderr\n",
	    SMALL_M_QUICK, BIG_M_QUICK, SMALL_M, BIG_M, SHELL_LINES_QUICK,
	    SHELL_LINES, RUNS_MAX, RUNS_DEFAULT);
	exit(status);
}

int
main(int argc, char **argv)
{
	struct shared *sh;
	long small_m = SMALL_M, big_m = BIG_M, lines = SHELL_LINES;
	int runs = RUNS_DEFAULT;

	if (bench_options(argc, argv, &runs, usage)) {
		small_m = SMALL_M_QUICK;
		big_m = BIG_M_QUICK;
		lines = SHELL_LINES_QUICK;
	}

	bench_alarm("chan-bench: a run took too long; deadlock?\n");
	/* A sender whose reader is gone gets EPIPE, not SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	sh = bench_map_shared(sizeof(*sh));
	init_ring(&sh->ring);
	probe();

	print_header(runs, small_m, big_m);
	fflush(stdout);
	sections_small(sh, runs, small_m);
	section_big(sh, runs, big_m);
	section_shell(argv[0], runs, lines);
	printf("targets: %d PASS, %d FAIL\n", npass, nfail);

	pthread_mutex_destroy(&sh->ring.lock);
	pthread_cond_destroy(&sh->ring.not_empty);
	pthread_cond_destroy(&sh->ring.not_full);
	munmap(sh, sizeof(*sh));
	return 0;
}
