/*
 * Tests for shmc_chan (lib/chan.c): Rust sync_channel semantics between
 * processes and between threads (capacities 0, 1 and 8, try and timed
 * variants, sizes, recv_with, the batch calls, roles), per-sender FIFO
 * order and shmc_msginfo, how a channel ends (anonymous, named with the
 * creator's hold, named with a number of expected senders under
 * adversarial start orders), EPIPE to senders, participants killed at
 * every step of a send and a receive (stop points), and a stress run.
 *
 * Each scenario with peers runs in both modes where it applies, with the
 * same peer functions spawned as processes and as threads
 * (shmc_task_spawn).  Plain shared data lives in an anonymous MAP_SHARED
 * page mapped before any spawn, so both kinds of peer see it.
 * Participants killed at a chosen step are plain fork()ed children, so
 * that the test can wait for them to stop (test_wait_stopped) and reap
 * them itself (test_kill).
 *
 * Messages are made from (sender index, counter): the first byte is the
 * index, the next four the counter, the rest a pseudo-random stream seeded
 * by both, and the length may be derived from both too.  The receiver
 * rebuilds the message it expects next from each sender and compares
 * every byte, so a torn, phantom, lost, duplicated or reordered message
 * shows.
 *
 * Every call that could wait for ever is a timed call with a deadline of
 * a few seconds, so that a lost message or a wedged channel fails a test
 * instead of hanging the program.  CHAN_T_QUICK=1 in the environment
 * shrinks the long runs (for valgrind).
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shmconc.h"
#include "lib/chan.h"
#include "tests/tap/basic.h"
#include "tests/tap/shmc.h"

#define TICK_MS         20

/* How long a call that must succeed may take before it counts as lost. */
#define WAIT_MS         5000

/* The bound on "within a few ticks": noticing a dead or gone peer. */
#define PROMPT_MS       1500

/* Senders of the FIFO and stress scenarios; the largest sender index. */
#define NSEND           4
#define NIDX            8

/* The largest message of any scenario. */
#define MAXMSG          256

/* Messages of the long runs, and with CHAN_T_QUICK. */
#define FIFO_MSGS       100000L
#define FIFO_QUICK      10000L
#define STRESS_MSGS     1000000L
#define STRESS_QUICK    20000L

/* Messages of the transfer and batch scenarios. */
#define XFER_MSGS       2000L
#define MANY_MSGS       1000L

/* Plain data shared by the test and its peers. */
struct shared {
	int err;                        /* the first error a peer met */
	int ready;                      /* a peer is in place */
	int step;                       /* how far a peer got */
	int go;                         /* the peer may go on */
	int rc;                         /* what a peer's call returned */
	int rc2;                        /* ... and another one */
	long long t_ns;                 /* when it returned, or began */
	char str[64];                   /* the message a peer got */
	unsigned long acked[NIDX];      /* messages a sender had sent */
	int started[NIDX];              /* a sender is about to send */
	struct shmc_msginfo info;       /* what a receiver was given */
	unsigned long got;              /* a receiver peer's results */
	unsigned long bad;
	unsigned long badinfo;
	int rc_end;
	char why[160];
};

static struct shared *sh;
static struct shmc_chan *gch;           /* a channel that peers inherit */
static long fifo_msgs = FIFO_MSGS;
static long stress_msgs = STRESS_MSGS;

/* Atomic access to fields that peers poll. */
static int
get(const int *p)
{
	return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void
set(int *p, int v)
{
	__atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/* Remember the first error a peer met, for a diagnostic. */
static void
note(int r)
{
	int zero = 0;

	if (r != 0)
		__atomic_compare_exchange_n(&sh->err, &zero, r, 0,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Milliseconds since t (from now_ns). */
static long
ms_since(long long t)
{
	return (long)((now_ns() - t) / 1000000LL);
}

/* Is it now at or after the deadline? */
static int
passed(const struct timespec *deadline)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec > deadline->tv_sec ||
	    (ts.tv_sec == deadline->tv_sec && ts.tv_nsec >= deadline->tv_nsec);
}

/* Poll *p until it is at least v, for at most 10 s.  1 if it got there. */
static int
wait_until(const int *p, int v)
{
	int i;

	for (i = 0; i < 10000; i++) {
		if (get(p) >= v)
			return 1;
		usleep(1000);
	}
	return 0;
}

/*
 * Messages.  A sender's message number c has a length from min to max
 * derived from (s, c), byte 0 is s, bytes 1 to 4 are c (as far as the
 * message goes), and the rest is a stream seeded by (s, c).
 */
static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static size_t
msg_len(unsigned int s, unsigned long c, unsigned int min, unsigned int max)
{
	if (min >= max)
		return min;
	return min + mix(((uint64_t)s << 40) ^ c) % (max - min + 1);
}

static void
msg_fill(unsigned char *buf, size_t len, unsigned int s, unsigned long c)
{
	uint64_t x = mix(((uint64_t)s << 40) ^ c ^ 0x5bd1e995ULL);
	size_t i = 0;
	int k;

	if (len > 0)
		buf[i++] = (unsigned char)s;
	for (k = 0; k < 4 && i < len; k++)
		buf[i++] = (unsigned char)(c >> (8 * k));
	while (i < len) {
		x = mix(x);
		for (k = 0; k < 8 && i < len; k++)
			buf[i++] = (unsigned char)(x >> (8 * k));
	}
}

/* Make message c of sender s into buf; its length. */
static size_t
msg_make(unsigned char *buf, unsigned int s, unsigned long c,
    unsigned int min, unsigned int max)
{
	size_t len = msg_len(s, c, min, max);

	msg_fill(buf, len, s, c);
	return len;
}

/*
 * A receiver's check of the messages it gets: each must be the next one
 * of its sender, byte for byte.  With info, also the shmc_msginfo rules:
 * one ID per sender and different IDs for different senders, seq up by
 * exactly 1 per sender, pos strictly increasing.
 */
struct checker {
	unsigned int min, max;
	int lone;                       /* one sender: an empty message is
					   sender 0's */
	unsigned long next[NIDX];       /* the counter expected next */
	unsigned long got;              /* good messages */
	unsigned long bad;              /* wrong ones */
	unsigned long badinfo;          /* wrong shmc_msginfo */
	int seen[NIDX];
	unsigned int id[NIDX];
	unsigned int seq[NIDX];
	unsigned long long pos;
	int any;
	char why[160];
};

static void
checker_init(struct checker *ck, unsigned int min, unsigned int max)
{
	memset(ck, 0, sizeof(*ck));
	ck->min = min;
	ck->max = max;
}

static void why(struct checker *ck, const char *fmt, ...)
    __attribute__((__format__(printf, 2, 3)));

/* Keep the first reason a check failed, for a diagnostic. */
static void
why(struct checker *ck, const char *fmt, ...)
{
	va_list args;

	if (ck->why[0] != '\0')
		return;
	va_start(args, fmt);
	vsnprintf(ck->why, sizeof(ck->why), fmt, args);
	va_end(args);
}

static void
check_info(struct checker *ck, unsigned int s,
    const struct shmc_msginfo *info)
{
	unsigned int i;

	if (!ck->seen[s]) {
		for (i = 0; i < NIDX; i++)
			if (ck->seen[i] && ck->id[i] == info->sender) {
				ck->badinfo++;
				why(ck, "senders %u and %u share ID %#x", i,
				    s, info->sender);
			}
		ck->seen[s] = 1;
		ck->id[s] = info->sender;
	} else {
		if (info->sender != ck->id[s]) {
			ck->badinfo++;
			why(ck, "sender %u: ID %#x, was %#x", s,
			    info->sender, ck->id[s]);
		}
		if (info->seq != ck->seq[s] + 1U) {
			ck->badinfo++;
			why(ck, "sender %u: seq %u after %u", s, info->seq,
			    ck->seq[s]);
		}
	}
	ck->seq[s] = info->seq;
	if (ck->any && info->pos <= ck->pos) {
		ck->badinfo++;
		why(ck, "pos %llu after %llu", info->pos, ck->pos);
	}
	ck->pos = info->pos;
	ck->any = 1;
}

/* Check one message; 0 if it was the one expected. */
static int
check(struct checker *ck, const void *msg, size_t len,
    const struct shmc_msginfo *info)
{
	const unsigned char *m = msg;
	unsigned char want[MAXMSG];
	unsigned long c, was;
	unsigned int s;
	size_t n;

	if (len == 0 && ck->lone)
		s = 0;
	else if (len < 1 || m[0] >= NIDX) {
		ck->bad++;
		why(ck, "message %lu: no sender (length %zu)", ck->got, len);
		return -1;
	} else
		s = m[0];
	c = ck->next[s];
	n = msg_make(want, s, c, ck->min, ck->max);
	if (info != NULL)
		check_info(ck, s, info);
	if (len == n && memcmp(want, m, n) == 0) {
		ck->next[s]++;
		ck->got++;
		return 0;
	}
	ck->bad++;
	was = 0;
	if (len >= 5)
		was = m[1] | (unsigned long)m[2] << 8 |
		    (unsigned long)m[3] << 16 | (unsigned long)m[4] << 24;
	why(ck, "sender %u: wanted message %lu (%zu bytes), got %zu bytes"
	    " that say %lu", s, c, n, len, was);
	/* Resynchronise on what the message says it is. */
	ck->next[s] = len >= 5 ? was + 1 : c + 1;
	return -1;
}

static int
check_fn(void *arg, const void *msg, size_t len,
    const struct shmc_msginfo *info)
{
	(void)check(arg, msg, len, info);
	return 0;
}

/* Receive and check until a call fails (the end: EPIPE); what failed. */
static int
drain(struct shmc_chan *ch, struct checker *ck, int with_info)
{
	unsigned char buf[MAXMSG];
	struct timespec dl;
	size_t len;
	int r;

	for (;;) {
		dl = test_in_ms(WAIT_MS);
		if (with_info)
			r = shmc_chan_recv_with(ch, check_fn, ck, &dl);
		else {
			r = shmc_chan_timedrecv(ch, buf, sizeof(buf), &len,
			    &dl);
			if (r == 0)
				(void)check(ck, buf, len, NULL);
		}
		if (r != 0)
			return r;
	}
}

/* Receive and check n messages; 0 or what failed. */
static int
take(struct shmc_chan *ch, struct checker *ck, long n)
{
	unsigned char buf[MAXMSG];
	struct timespec dl;
	size_t len;
	long i;
	int r;

	for (i = 0; i < n; i++) {
		dl = test_in_ms(WAIT_MS);
		r = shmc_chan_timedrecv(ch, buf, sizeof(buf), &len, &dl);
		if (r != 0)
			return r;
		(void)check(ck, buf, len, NULL);
	}
	return 0;
}

static void
ck_diag(const struct checker *ck)
{
	if (ck->why[0] != '\0')
		diag("%s", ck->why);
}

static void
set_attr(struct shmc_attr *attr, unsigned int cap, unsigned int size,
    unsigned int senders)
{
	memset(attr, 0, sizeof(*attr));
	attr->tick_ms = TICK_MS;
	attr->capacity = cap;
	attr->size = size;
	attr->senders = senders;
}

static struct shmc_chan *
open_chan(const char *name, int flags, unsigned int cap, unsigned int size,
    unsigned int senders)
{
	struct shmc_attr attr;
	struct shmc_chan *ch;
	int r;

	set_attr(&attr, cap, size, senders);
	r = shmc_chan_open(name, flags, &attr, &ch);
	if (r != 0)
		bail("cannot open channel %s: %s", name ? name : "(anonymous)",
		    shmc_strerror(r));
	return ch;
}

/* Close a channel and remove its name. */
static void
done_chan(struct shmc_chan *ch, const char *name)
{
	shmc_chan_close(ch);
	if (name != NULL && shmc_chan_unlink(name) != 0)
		bail("cannot unlink %s", name);
}

static struct shmc_chan_stat
stat_of(struct shmc_chan *ch)
{
	struct shmc_chan_stat st;

	if (shmc_chan_stat(ch, &st) != 0)
		bail("cannot stat a channel");
	return st;
}

/* Fork a child that dies with us (a stopped one would stay for ever). */
static pid_t
fork_child(void)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		sysbail("cannot fork");
	if (pid == 0)
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	return pid;
}

/* Send one string with a deadline of WAIT_MS. */
static int
send_str(struct shmc_chan *ch, const char *s)
{
	struct timespec dl = test_in_ms(WAIT_MS);

	return shmc_chan_timedsend(ch, s, strlen(s), &dl);
}

/* Receive a string (at most 63 bytes) with a deadline of ms. */
static int
recv_str(struct shmc_chan *ch, char *buf, size_t size, long ms)
{
	struct timespec dl = test_in_ms(ms);
	size_t len = 0;
	int r;

	r = shmc_chan_timedrecv(ch, buf, size - 1, &len, &dl);
	buf[r == 0 ? len : 0] = '\0';
	return r;
}

/*
 * Peers.  Each returns 0 on success and a small code saying which step
 * failed otherwise; the error code itself goes to sh->err.
 */

/* What a sender peer does. */
enum { HOW_SEND, HOW_TIMED, HOW_MANY };

struct job {
	const char *name;       /* channel to open, or NULL: use gch */
	int flags;              /* more open flags (SHMC_CREAT) */
	unsigned int cap, size, senders;        /* if it creates it */
	unsigned int index;     /* sender index, byte 0 of its messages */
	long n;                 /* messages */
	unsigned int min, max;  /* their lengths */
	int how;                /* HOW_* */
	int delay_ms;           /* pause before the first */
	int close;              /* close gch's copy at the end */
};

/* Send n messages as sender index; then close what we opened. */
static int
sender(void *arg)
{
	struct job *j = arg;
	unsigned char bufs[64][MAXMSG];
	struct iovec iov[64];
	struct shmc_attr attr;
	struct shmc_chan *ch = gch;
	struct timespec dl;
	size_t sent;
	long c;
	int k = 0, r = 0, code = 0;

	if (j->name != NULL) {
		set_attr(&attr, j->cap, j->size, j->senders);
		r = shmc_chan_open(j->name, SHMC_SENDER | j->flags, &attr,
		    &ch);
		note(r);
		if (r != 0)
			return 1;
	}
	if (j->delay_ms > 0)
		usleep(j->delay_ms * 1000);
	for (c = 0; c < j->n && r == 0; c++) {
		if (j->how == HOW_MANY) {
			iov[k].iov_base = bufs[k];
			iov[k].iov_len = msg_make(bufs[k], j->index,
			    (unsigned long)c, j->min, j->max);
			if (++k < (int)ARRAY_SIZE(iov) && c + 1 < j->n)
				continue;
			dl = test_in_ms(WAIT_MS);
			r = shmc_chan_send_many(ch, iov, (size_t)k, &sent, &dl);
			if (r == 0 && sent != (size_t)k)
				r = EPROTO;
			k = 0;
			continue;
		}
		iov[0].iov_len = msg_make(bufs[0], j->index, (unsigned long)c,
		    j->min, j->max);
		if (j->how == HOW_SEND)
			r = shmc_chan_send(ch, bufs[0], iov[0].iov_len);
		else {
			dl = test_in_ms(WAIT_MS);
			r = shmc_chan_timedsend(ch, bufs[0], iov[0].iov_len,
			    &dl);
		}
	}
	note(r);
	if (r != 0)
		code = 2;
	if (j->name != NULL || j->close)
		shmc_chan_close(ch);
	return code;
}

/*
 * The receiver of the start-order scenario: create or open the channel,
 * receive and check until the end, and report.
 */
static int
receiver(void *arg)
{
	struct job *j = arg;
	struct shmc_attr attr;
	struct shmc_chan *ch;
	struct checker ck;
	int r;

	set_attr(&attr, j->cap, j->size, j->senders);
	r = shmc_chan_open(j->name, SHMC_RECEIVER | j->flags, &attr, &ch);
	note(r);
	if (r != 0)
		return 1;
	set(&sh->ready, 1);
	checker_init(&ck, j->min, j->max);
	sh->rc_end = drain(ch, &ck, 1);
	sh->got = ck.got;
	sh->bad = ck.bad;
	sh->badinfo = ck.badinfo;
	memcpy(sh->why, ck.why, sizeof(sh->why));
	shmc_chan_close(ch);
	return 0;
}

/*
 * The rendezvous receiver: take one message 200 ms after it is told to
 * (go 1), noting when it began to; then, when told again (go 2), look for
 * a message that must have been withdrawn; then take one more.
 */
static int
rdv_receiver(void *arg)
{
	struct shmc_chan *ch;
	char buf[64];
	size_t len;
	int r;

	r = shmc_chan_open(arg, SHMC_RECEIVER, NULL, &ch);
	note(r);
	if (r != 0)
		return 1;
	set(&sh->ready, 1);
	if (!wait_until(&sh->go, 1))
		return 2;
	usleep(200000);
	__atomic_store_n(&sh->t_ns, now_ns(), __ATOMIC_SEQ_CST);
	sh->rc = recv_str(ch, sh->str, sizeof(sh->str), WAIT_MS);
	set(&sh->step, 1);
	if (!wait_until(&sh->go, 2))
		return 2;
	sh->rc2 = shmc_chan_try_recv(ch, buf, sizeof(buf), &len);
	set(&sh->step, 2);
	r = recv_str(ch, sh->str, sizeof(sh->str), WAIT_MS);
	note(r);
	shmc_chan_close(ch);
	return r != 0 ? 3 : 0;
}

/* Try to become the receiver of a channel that has a live one. */
static int
busy_receiver(void *arg)
{
	struct shmc_chan *ch;

	sh->rc = shmc_chan_open(arg, SHMC_RECEIVER, NULL, &ch);
	if (sh->rc == 0)
		shmc_chan_close(ch);
	return 0;
}

/* Receive on a fork child's copy of the receiver's handle, gch. */
static int
copy_receiver(void *arg)
{
	char buf[64];
	size_t len;

	(void)arg;
	sh->rc = shmc_chan_try_recv(gch, buf, sizeof(buf), &len);
	shmc_chan_close(gch);
	return 0;
}

/* Take one message, close, and say so. */
static int
closing_receiver(void *arg)
{
	struct shmc_chan *ch;
	int r;

	r = shmc_chan_open(arg, SHMC_RECEIVER, NULL, &ch);
	note(r);
	if (r != 0)
		return 1;
	set(&sh->ready, 1);
	sh->rc = recv_str(ch, sh->str, sizeof(sh->str), WAIT_MS);
	shmc_chan_close(ch);
	set(&sh->step, 1);
	return 0;
}

/* Become the receiver, take nothing, and close after 200 ms. */
static int
idle_receiver(void *arg)
{
	struct shmc_chan *ch;
	int r;

	r = shmc_chan_open(arg, SHMC_RECEIVER, NULL, &ch);
	note(r);
	if (r != 0)
		return 1;
	set(&sh->ready, 1);
	usleep(200000);
	shmc_chan_close(ch);
	return 0;
}

/* Shut a channel down from a handle of our own, after 100 ms. */
static int
shutter(void *arg)
{
	struct shmc_chan *ch;
	int r;

	usleep(100000);
	r = shmc_chan_open(arg, 0, NULL, &ch);
	note(r);
	if (r != 0)
		return 1;
	__atomic_store_n(&sh->t_ns, now_ns(), __ATOMIC_SEQ_CST);
	r = shmc_chan_shutdown(ch);
	note(r);
	shmc_chan_close(ch);
	return r != 0 ? 2 : 0;
}

/*
 * Fill a channel of capacity 4, then block in a timed send until the
 * receiver is gone; report what it returned and when.
 */
static int
blocked_sender(void *arg)
{
	struct shmc_attr attr;
	struct shmc_chan *ch;
	struct timespec dl;
	int i, r;

	set_attr(&attr, 0, 0, 0);
	r = shmc_chan_open(arg, SHMC_SENDER, &attr, &ch);
	note(r);
	if (r != 0)
		return 1;
	for (i = 0; i < 4 && r == 0; i++)
		r = send_str(ch, i == 0 ? "q0" : i == 1 ? "q1" : i == 2 ?
		    "q2" : "q3");
	note(r);
	if (r != 0)
		return 2;
	set(&sh->ready, 1);
	dl = test_in_ms(WAIT_MS);
	sh->rc = shmc_chan_timedsend(ch, "q4", 2, &dl);
	__atomic_store_n(&sh->t_ns, now_ns(), __ATOMIC_SEQ_CST);
	shmc_chan_close(ch);
	return 0;
}

/* try_send on gch, a rendezvous channel, and say when it returned. */
static int
rdv_try_sender(void *arg)
{
	(void)arg;
	sh->rc = shmc_chan_try_send(gch, "try", 3);
	set(&sh->step, 1);
	return 0;
}

/* Receive one message on gch, however long it takes to come. */
static int
waiting_receiver(void *arg)
{
	(void)arg;
	sh->rc = recv_str(gch, sh->str, sizeof(sh->str), WAIT_MS);
	return 0;
}

/* Is the receiver of ch asleep, waiting for a message? */
static int
asleep(struct shmc_chan *ch)
{
	/* Seq_cst: a look at the word the receiver sets before it sleeps. */
	return atomic_load(&ch->obj->rx_sleep) != 0;
}

/*
 * 1. One handle and no peers: every call once, errors, limits, roles,
 * takeover by a new receiver.
 */
static int
fail_fn(void *arg, const void *msg, size_t len,
    const struct shmc_msginfo *info)
{
	(void)msg;
	(void)len;
	(void)info;
	++*(int *)arg;
	return EIO;
}

struct copied {
	char str[64];
	size_t len;
	struct shmc_msginfo info;
	int calls;
};

static int
copy_fn(void *arg, const void *msg, size_t len,
    const struct shmc_msginfo *info)
{
	struct copied *cp = arg;

	cp->calls++;
	cp->len = len;
	if (len < sizeof(cp->str)) {
		memcpy(cp->str, msg, len);
		cp->str[len] = '\0';
	}
	cp->info = *info;
	return 0;
}

static void
test_basics(void)
{
	struct shmc_chan *ch, *tx, *none, *ch2;
	struct shmc_chan_stat st;
	struct shmc_attr attr;
	struct shmc_mvar *mv;
	struct timespec dl;
	struct copied cp;
	struct iovec iov[2];
	unsigned char big[128];
	char buf[64];
	size_t len, lens[4], got, sent;
	int i, r, calls;

	is_int(0, shmc_chan_open("basic", SHMC_CREAT | SHMC_EXCL |
	    SHMC_SENDER | SHMC_RECEIVER, (set_attr(&attr, 4, 64, 0), &attr),
	    &ch), "create a named channel as sender and receiver");
	st = stat_of(ch);
	ok(st.capacity == 4 && st.size == 64 && st.depth == 0,
	    "...stat: capacity 4, size 64, depth 0");
	ok(st.senders == 1 && st.joined == 1 && st.receiver == 1,
	    "...one live sender, the receiver live");
	ok(st.held == 1 && st.expected == 0, "...held by its creator");

	/* Empty: try and timed receive. */
	is_int(EAGAIN, shmc_chan_try_recv(ch, buf, sizeof(buf), &len),
	    "try_recv on an empty channel");
	dl = test_in_ms(100);
	r = shmc_chan_timedrecv(ch, buf, sizeof(buf), &len, &dl);
	is_int(ETIMEDOUT, r, "timedrecv on an empty channel");
	ok(passed(&dl), "...not before the deadline");
	is_int(ETIMEDOUT, shmc_chan_recv_with(ch, copy_fn, &cp, &dl),
	    "recv_with with a past deadline");

	/* One message, and an empty one. */
	is_int(0, send_str(ch, "hello"), "send a message");
	is_int(1, stat_of(ch).depth, "...depth 1");
	len = 0;
	memset(buf, 0, sizeof(buf));
	r = shmc_chan_recv(ch, buf, sizeof(buf), &len);
	ok(r == 0 && len == 5 && memcmp(buf, "hello", 5) == 0,
	    "...received whole");
	is_int(0, shmc_chan_send(ch, NULL, 0), "send an empty message");
	len = 99;
	r = shmc_chan_try_recv(ch, buf, sizeof(buf), &len);
	ok(r == 0 && len == 0, "...received with length 0");

	/* Full: try and timed send. */
	r = 0;
	for (i = 0; i < 4 && r == 0; i++) {
		snprintf(buf, sizeof(buf), "m%d", i);
		r = shmc_chan_try_send(ch, buf, strlen(buf));
	}
	is_int(0, r, "try_send fills the channel");
	is_int(EAGAIN, shmc_chan_try_send(ch, "m4", 2),
	    "try_send on a full channel");
	dl = test_in_ms(100);
	r = shmc_chan_timedsend(ch, "m4", 2, &dl);
	is_int(ETIMEDOUT, r, "timedsend on a full channel");
	ok(passed(&dl), "...not before the deadline");
	st = stat_of(ch);
	ok(st.depth == 4 && st.sent == 6 && st.received == 2,
	    "...stat: depth 4, 6 sent, 2 received");
	r = 0;
	for (i = 0; i < 4 && r == 0; i++) {
		char want[8];

		snprintf(want, sizeof(want), "m%d", i);
		r = recv_str(ch, buf, sizeof(buf), WAIT_MS);
		if (r == 0 && strcmp(buf, want) != 0)
			r = -1;
	}
	is_int(0, r, "...the four come out in order");

	/* Sizes. */
	memset(big, 'x', sizeof(big));
	is_int(EMSGSIZE, shmc_chan_send(ch, big, 65),
	    "send of 65 bytes to a channel of size 64");
	is_int(EAGAIN, shmc_chan_try_recv(ch, buf, sizeof(buf), &len),
	    "...nothing was sent");
	is_int(0, shmc_chan_send(ch, big, 64), "send of 64 bytes");
	r = shmc_chan_recv(ch, buf, 10, &len);
	is_int(EMSGSIZE, r, "recv into a buffer of 10 bytes");
	is_int(1, stat_of(ch).depth, "...the message stays");
	len = 0;
	r = shmc_chan_recv(ch, big, sizeof(big), &len);
	ok(r == 0 && len == 64, "...a big enough buffer gets it");

	/* recv_with. */
	memset(&cp, 0, sizeof(cp));
	if (send_str(ch, "abc") != 0 || send_str(ch, "def") != 0)
		bail("cannot send");
	dl = test_in_ms(WAIT_MS);
	r = shmc_chan_recv_with(ch, copy_fn, &cp, &dl);
	ok(r == 0 && cp.calls == 1 && strcmp(cp.str, "abc") == 0,
	    "recv_with hands the message to the function");
	ok(cp.info.sender == ch->sender && cp.info.seq == 7 &&
	    cp.info.pos == 7, "...with its sender, seq and position");
	is_int(1, stat_of(ch).depth, "...and commits it");
	calls = 0;
	r = shmc_chan_recv_with(ch, fail_fn, &calls, &dl);
	ok(r == EIO && calls == 1, "recv_with whose function fails: its error");
	is_int(1, stat_of(ch).depth, "...the message stays");
	r = recv_str(ch, buf, sizeof(buf), WAIT_MS);
	ok(r == 0 && strcmp(buf, "def") == 0, "...for the next recv");

	/* recv_many stops at a message that does not fit. */
	for (i = 0; i < 3; i++)
		if (shmc_chan_send(ch, big, 30) != 0)
			bail("cannot send");
	r = shmc_chan_recv_many(ch, big, 64, lens, 4, &got, NULL);
	ok(r == 0 && got == 2 && lens[0] == 30 && lens[1] == 30,
	    "recv_many takes the two messages that fit in its buffer");
	r = shmc_chan_recv_many(ch, big, 10, lens, 4, &got, NULL);
	ok(r == EMSGSIZE && got == 0,
	    "...a buffer too small for the next is EMSGSIZE");
	r = shmc_chan_recv_many(ch, big, sizeof(big), lens, 4, &got, NULL);
	ok(r == 0 && got == 1 && lens[0] == 30, "...which stays");

	/* Roles. */
	is_int(EBUSY, shmc_chan_open("basic", SHMC_RECEIVER, NULL, &ch2),
	    "a second receiver is EBUSY");
	tx = open_chan("basic", SHMC_SENDER, 0, 0, 0);
	none = open_chan("basic", 0, 0, 0, 0);
	is_int(2, stat_of(ch).senders, "...a second sender joins");
	is_int(EPERM, shmc_chan_try_recv(tx, buf, sizeof(buf), &len),
	    "try_recv without SHMC_RECEIVER");
	is_int(EPERM, shmc_chan_recv(tx, buf, sizeof(buf), &len),
	    "...recv");
	dl = test_in_ms(100);
	is_int(EPERM, shmc_chan_timedrecv(tx, buf, sizeof(buf), &len, &dl),
	    "...timedrecv");
	is_int(EPERM, shmc_chan_recv_with(tx, copy_fn, &cp, &dl),
	    "...recv_with");
	is_int(EPERM, shmc_chan_recv_many(tx, big, sizeof(big), lens, 4, &got,
	    &dl), "...recv_many");
	is_int(EPERM, shmc_chan_send(none, "x", 1), "send without SHMC_SENDER");
	is_int(EPERM, shmc_chan_try_send(none, "x", 1), "...try_send");
	is_int(EPERM, shmc_chan_timedsend(none, "x", 1, &dl),
	    "...timedsend");
	iov[0].iov_base = (void *)"x";
	iov[0].iov_len = 1;
	r = shmc_chan_send_many(none, iov, 1, &sent, &dl);
	ok(r == EPERM && sent == 0, "...send_many");
	is_int(EAGAIN, shmc_chan_try_recv(ch, buf, sizeof(buf), &len),
	    "...nothing was sent");

	/* Takeover: a new receiver continues where a closed one stopped. */
	if (send_str(tx, "one") != 0 || send_str(tx, "two") != 0)
		bail("cannot send");
	if (recv_str(ch, buf, sizeof(buf), WAIT_MS) != 0)
		bail("cannot receive");
	shmc_chan_close(ch);
	is_int(-1, stat_of(none).receiver, "the receiver closes: stat -1");
	is_int(1, stat_of(none).senders, "...its sender role is gone too");
	is_int(EPIPE, send_str(tx, "three"), "...send is EPIPE");
	is_int(0, shmc_chan_open("basic", SHMC_RECEIVER, NULL, &ch),
	    "a new receiver takes over");
	r = recv_str(ch, buf, sizeof(buf), WAIT_MS);
	ok(r == 0 && strcmp(buf, "two") == 0, "...it gets the next message");
	is_int(EAGAIN, shmc_chan_try_recv(ch, buf, sizeof(buf), &len),
	    "...and not the refused one");

	/* The hold, and shutdown from a handle without a role. */
	shmc_chan_close(tx);
	is_int(EAGAIN, shmc_chan_try_recv(ch, buf, sizeof(buf), &len),
	    "no sender left: no end while the hold lasts");
	is_int(0, shmc_chan_shutdown(none), "shutdown from a third handle");
	is_int(0, stat_of(ch).held, "...releases the hold");
	is_int(EPIPE, shmc_chan_try_recv(ch, buf, sizeof(buf), &len),
	    "...and the empty channel has ended");
	is_int(EPIPE, recv_str(ch, buf, sizeof(buf), WAIT_MS),
	    "...recv is EPIPE too");
	shmc_chan_close(none);
	done_chan(ch, "basic");

	/* Kinds and limits. */
	if (shmc_mvar_open("basic-mv", SHMC_CREAT, NULL, &mv) != 0)
		bail("cannot create an MVar");
	is_int(EPROTOTYPE, shmc_chan_open("basic-mv", SHMC_RECEIVER, NULL,
	    &ch), "an MVar opened as a channel");
	is_int(EPROTOTYPE, shmc_chan_unlink("basic-mv"),
	    "...unlinked as a channel");
	ch = open_chan("basic-ch", SHMC_CREAT, 2, 0, 0);
	shmc_mvar_close(mv);
	is_int(EPROTOTYPE, shmc_mvar_open("basic-ch", 0, NULL, &mv),
	    "a channel opened as an MVar");
	is_int(4096, stat_of(ch).size, "...the default size is 4096");
	done_chan(ch, "basic-ch");
	if (shmc_mvar_unlink("basic-mv") != 0)
		bail("cannot unlink the MVar");
	set_attr(&attr, 65537, 0, 0);
	is_int(EINVAL, shmc_chan_open(NULL, SHMC_RECEIVER, &attr, &ch),
	    "capacity 65537 is EINVAL");
	set_attr(&attr, 1, (64U << 20) + 1, 0);
	is_int(EINVAL, shmc_chan_open(NULL, SHMC_RECEIVER, &attr, &ch),
	    "size above 64 MiB is EINVAL");
}

/*
 * Anonymous channels: never held; a rendezvous channel's timed send is
 * withdrawn at its deadline; try_send on it does not wait.
 */
static void
test_anonymous(void)
{
	struct shmc_chan_stat st;
	struct shmc_task *t;
	struct timespec dl;
	char buf[64];
	size_t len;
	int i, k, done, r;

	gch = open_chan(NULL, SHMC_SENDER | SHMC_RECEIVER, 0, 64, 0);
	st = stat_of(gch);
	ok(st.capacity == 0 && st.held == 0 && st.senders == 1,
	    "an anonymous rendezvous channel: capacity 0, not held");
	dl = test_in_ms(100);
	r = shmc_chan_timedsend(gch, "late", 4, &dl);
	is_int(ETIMEDOUT, r, "...timedsend nobody receives");
	ok(passed(&dl), "...not before the deadline");
	is_int(EAGAIN, shmc_chan_try_recv(gch, buf, sizeof(buf), &len),
	    "...the message was withdrawn");

	/* try_send must not wait for a receiver; rescue it if it does. */
	memset(sh, 0, sizeof(*sh));
	t = test_spawn(SHMC_THREAD, rdv_try_sender, NULL);
	for (i = 0; i < 1000 && !get(&sh->step); i++)
		usleep(1000);
	done = get(&sh->step);
	if (!done)
		(void)recv_str(gch, buf, sizeof(buf), WAIT_MS);
	test_join(t);
	ok(done, "...try_send with no receiver waiting returns at once");
	is_int(EAGAIN, sh->rc, "...EAGAIN");
	is_int(EAGAIN, shmc_chan_try_recv(gch, buf, sizeof(buf), &len),
	    "...and leaves no message");

	/*
	 * To a receiver asleep in recv, try_send hands the message over.  The
	 * hand-over is bounded (the receiver must wake in time), so a loaded
	 * machine gets a few tries.
	 */
	memset(sh, 0, sizeof(*sh));
	t = test_spawn(SHMC_THREAD, waiting_receiver, NULL);
	r = EAGAIN;
	for (i = 0; i < 10 && r == EAGAIN; i++) {
		for (k = 0; k < 5000 && !asleep(gch); k++)
			usleep(1000);
		r = shmc_chan_try_send(gch, "taken", 5);
	}
	is_int(0, r, "...try_send to a receiver waiting in recv");
	is_int(0, test_join(t), "...the receiver returns");
	ok(sh->rc == 0 && strcmp(sh->str, "taken") == 0, "...with it");
	done_chan(gch, NULL);

	gch = open_chan(NULL, SHMC_SENDER | SHMC_RECEIVER, 8, 64, 0);
	if (send_str(gch, "last") != 0)
		bail("cannot send");
	is_int(0, shmc_chan_shutdown(gch), "shutdown of an anonymous channel");
	is_int(EPERM, send_str(gch, "more"), "...its sender role is gone");
	r = recv_str(gch, buf, sizeof(buf), WAIT_MS);
	ok(r == 0 && strcmp(buf, "last") == 0, "...what was sent stays");
	is_int(EPIPE, shmc_chan_try_recv(gch, buf, sizeof(buf), &len),
	    "...then it has ended");
	done_chan(gch, NULL);
}

/*
 * Capacities 0, 1 and 8: a sender peer's messages of 0 to 200 bytes all
 * arrive, complete and in order; then the end.
 */
static void
test_transfer(void)
{
	static const unsigned int caps[] = { 0, 1, 8 };
	struct shmc_chan *rx;
	struct shmc_task *t;
	struct checker ck;
	struct job j;
	unsigned int i, k;
	int r;

	for (k = 0; k < ARRAY_SIZE(caps); k++) {
		for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
			memset(sh, 0, sizeof(*sh));
			rx = open_chan("xfer", SHMC_CREAT | SHMC_EXCL |
			    SHMC_RECEIVER, caps[k], 200, 1);
			memset(&j, 0, sizeof(j));
			j.name = "xfer";
			j.n = XFER_MSGS;
			j.min = 0;
			j.max = 200;
			j.how = HOW_TIMED;
			t = test_spawn(test_modes[i].flags, sender, &j);
			checker_init(&ck, 0, 200);
			ck.lone = 1;
			r = drain(rx, &ck, 0);
			ok(ck.got == XFER_MSGS && ck.bad == 0,
			    "capacity %u, a %s sender: %ld messages complete"
			    " and in order", caps[k], test_modes[i].name,
			    XFER_MSGS);
			if (ck.got != XFER_MSGS || ck.bad != 0) {
				diag("got %lu, %lu bad", ck.got, ck.bad);
				ck_diag(&ck);
			}
			is_int(EPIPE, r, "...then EPIPE");
			is_int(0, test_join(t), "...the sender exits 0");
			if (sh->err != 0)
				diag("the sender failed: %s",
				    shmc_strerror(sh->err));
			done_chan(rx, "xfer");
		}
	}
}

/*
 * Rendezvous: a send returns only once the receiver took the message; a
 * timed send that nobody takes is withdrawn.
 */
static void
test_rendezvous(void)
{
	struct shmc_chan *tx;
	struct shmc_task *t;
	struct timespec dl;
	long long start, end;
	unsigned int i;
	int r, r2;

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		memset(sh, 0, sizeof(*sh));
		tx = open_chan("rdv", SHMC_CREAT | SHMC_EXCL | SHMC_SENDER, 0,
		    64, 0);
		t = test_spawn(test_modes[i].flags, rdv_receiver,
		    (void *)"rdv");
		if (!wait_until(&sh->ready, 1))
			bail("the receiver did not open");
		start = now_ns();
		set(&sh->go, 1);
		r = send_str(tx, "first");
		end = now_ns();
		is_int(0, r, "rendezvous with a %s receiver: send returns 0",
		    test_modes[i].name);
		ok(end >= __atomic_load_n(&sh->t_ns, __ATOMIC_SEQ_CST) &&
		    (end - start) / 1000000 >= 199,
		    "...not before the receiver took it (%lld ms)",
		    (end - start) / 1000000);
		if (!wait_until(&sh->step, 1))
			bail("the receiver did not receive");
		ok(sh->rc == 0 && strcmp(sh->str, "first") == 0,
		    "...the receiver got it");
		dl = test_in_ms(150);
		r = shmc_chan_timedsend(tx, "withdrawn", 9, &dl);
		r2 = passed(&dl);
		is_int(ETIMEDOUT, r, "...a timedsend it does not take");
		ok(r2, "...not before the deadline");
		set(&sh->go, 2);
		if (!wait_until(&sh->step, 2))
			bail("the receiver did not try");
		is_int(EAGAIN, sh->rc2, "...was withdrawn: try_recv is EAGAIN");
		r = send_str(tx, "second");
		is_int(0, test_join(t), "...the next message goes through");
		ok(r == 0 && strcmp(sh->str, "second") == 0,
		    "...and is the one received");
		done_chan(tx, "rdv");
	}
}

/* send_many and recv_many: 1000 small messages, in batches both ways. */
static void
test_many(void)
{
	unsigned char buf[4096];
	size_t lens[256], got, k, off;
	struct shmc_chan *rx;
	struct shmc_task *t;
	struct timespec dl;
	struct checker ck;
	struct job j;
	unsigned int i;
	size_t first = 0;
	int r, calls;

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		memset(sh, 0, sizeof(*sh));
		rx = open_chan("many", SHMC_CREAT | SHMC_EXCL | SHMC_RECEIVER,
		    64, 16, 1);
		memset(&j, 0, sizeof(j));
		j.name = "many";
		j.n = MANY_MSGS;
		j.min = 1;
		j.max = 16;
		j.how = HOW_MANY;
		t = test_spawn(test_modes[i].flags, sender, &j);
		/* The first batch of 64 fills the channel: wait for it. */
		for (k = 0; k < 5000 && stat_of(rx).depth < 64; k++)
			usleep(1000);
		checker_init(&ck, 1, 16);
		calls = 0;
		for (;;) {
			dl = test_in_ms(WAIT_MS);
			r = shmc_chan_recv_many(rx, buf, sizeof(buf), lens,
			    ARRAY_SIZE(lens), &got, &dl);
			if (r != 0)
				break;
			if (calls++ == 0)
				first = got;
			for (k = 0, off = 0; k < got; off += lens[k++])
				(void)check(&ck, buf + off, lens[k], NULL);
		}
		ok(ck.got == MANY_MSGS && ck.bad == 0,
		    "send_many to recv_many, a %s sender: %ld messages in"
		    " order", test_modes[i].name, MANY_MSGS);
		if (ck.got != MANY_MSGS || ck.bad != 0)
			ck_diag(&ck);
		ok(first >= 64, "...the first recv_many takes the 64 waiting"
		    " (%zu)", first);
		is_int(EPIPE, r, "...then EPIPE");
		is_int(0, test_join(t), "...the sender exits 0");
		done_chan(rx, "many");
	}
}

/*
 * Four senders batching into a tiny channel, to a receiver whose tick is
 * a minute: a sender that finds the channel full must first tell the
 * receiver of the messages of its batch so far, or both sides sleep until
 * a deadline (send_many used to).  Process mode only: the threads would
 * share the receiver's process.
 */
static void
test_many_full(void)
{
	struct shmc_task *t[4];
	struct shmc_attr attr;
	struct shmc_chan *rx;
	struct timespec dl;
	struct checker ck;
	struct job j[4];
	unsigned char buf[64];
	size_t len;
	unsigned int k;
	int r, codes = 0;

	memset(sh, 0, sizeof(*sh));
	set_attr(&attr, 4, 16, 4);
	attr.tick_ms = 60000;
	r = shmc_chan_open("manyfull", SHMC_CREAT | SHMC_EXCL | SHMC_RECEIVER,
	    &attr, &rx);
	if (r != 0)
		bail("shmc_chan_open manyfull: %s", shmc_strerror(r));
	for (k = 0; k < 4; k++) {
		memset(&j[k], 0, sizeof(j[k]));
		j[k].name = "manyfull";
		j[k].index = k;
		j[k].n = MANY_MSGS;
		j[k].min = 1;
		j[k].max = 16;
		j[k].how = HOW_MANY;
		t[k] = test_spawn(SHMC_PROCESS, sender, &j[k]);
	}
	checker_init(&ck, 1, 16);
	do {
		dl = test_in_ms(WAIT_MS);
		r = shmc_chan_timedrecv(rx, buf, sizeof(buf), &len, &dl);
		if (r == 0)
			(void)check(&ck, buf, len, NULL);
	} while (r == 0);
	ok(ck.got == 4 * MANY_MSGS && ck.bad == 0, "send_many from 4 "
	    "senders into 4 slots: %ld messages, in order per sender",
	    4 * MANY_MSGS);
	if (ck.got != 4 * MANY_MSGS || ck.bad != 0)
		ck_diag(&ck);
	is_int(EPIPE, r, "...then EPIPE, no wait for a deadline");
	for (k = 0; k < 4; k++)
		codes += test_join(t[k]) != 0;
	is_int(0, codes, "...and every sender exits 0");
	done_chan(rx, "manyfull");
}

/*
 * One live receiver: another participant is refused; a fork child's copy
 * of the receiver's handle cannot receive (or end the receiver).
 */
static void
test_busy(void)
{
	struct shmc_task *t;
	char buf[64];
	unsigned int i;

	gch = open_chan("busy", SHMC_CREAT | SHMC_EXCL | SHMC_RECEIVER |
	    SHMC_SENDER, 4, 64, 0);
	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		memset(sh, 0, sizeof(*sh));
		t = test_spawn(test_modes[i].flags, busy_receiver,
		    (void *)"busy");
		is_int(0, test_join(t), "a %s opens a second receiver",
		    test_modes[i].name);
		is_int(EBUSY, sh->rc, "...EBUSY");
	}
	memset(sh, 0, sizeof(*sh));
	t = test_spawn(SHMC_PROCESS, copy_receiver, NULL);
	is_int(0, test_join(t), "a fork child's copy of the receiver's handle");
	is_int(EPERM, sh->rc, "...does not receive");
	is_int(1, stat_of(gch).receiver, "...closing it leaves the receiver");
	if (send_str(gch, "still") != 0)
		bail("cannot send");
	ok(recv_str(gch, buf, sizeof(buf), WAIT_MS) == 0 &&
	    strcmp(buf, "still") == 0, "...which still receives");
	done_chan(gch, "busy");
}

/*
 * 2. Per-sender FIFO: four senders, two sending one message at a time and
 * two in batches, each on its own handle; shmc_msginfo; the end.
 */
static void
test_fifo(void)
{
	struct shmc_task *t[NSEND];
	struct shmc_chan_stat st;
	struct shmc_chan *rx;
	struct checker ck;
	struct job j[NSEND];
	unsigned int i, k;
	long long start;
	int good, r;

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		memset(sh, 0, sizeof(*sh));
		rx = open_chan("fifo", SHMC_CREAT | SHMC_EXCL | SHMC_RECEIVER,
		    64, 8, NSEND);
		start = now_ns();
		for (k = 0; k < NSEND; k++) {
			memset(&j[k], 0, sizeof(j[k]));
			j[k].name = "fifo";
			j[k].index = k;
			j[k].n = fifo_msgs;
			j[k].min = 8;
			j[k].max = 8;
			j[k].how = k < 2 ? HOW_SEND : HOW_MANY;
			t[k] = test_spawn(test_modes[i].flags, sender, &j[k]);
		}
		checker_init(&ck, 8, 8);
		r = drain(rx, &ck, 1);
		ok(ck.got == (unsigned long)(NSEND * fifo_msgs) && ck.bad == 0,
		    "%d %s senders x %ld messages: each sender's in order",
		    NSEND, test_modes[i].name, fifo_msgs);
		if (ck.got != (unsigned long)(NSEND * fifo_msgs) ||
		    ck.bad != 0) {
			diag("got %lu, %lu bad", ck.got, ck.bad);
			ck_diag(&ck);
		}
		ok(ck.badinfo == 0, "...shmc_msginfo: one ID per sender, seq up"
		    " by 1, pos increasing");
		if (ck.badinfo != 0)
			ck_diag(&ck);
		is_int(EPIPE, r, "...then EPIPE, all senders closed");
		if (r != EPIPE ||
		    ck.got != (unsigned long)(NSEND * fifo_msgs)) {
			/* Let blocked senders go (EPIPE) before joining. */
			shmc_chan_close(rx);
			rx = NULL;
		}
		good = 0;
		for (k = 0; k < NSEND; k++)
			if (test_join(t[k]) == 0)
				good++;
		is_int(NSEND, good, "...each sender exits 0");
		if (sh->err != 0)
			diag("a sender failed: %s", shmc_strerror(sh->err));
		if (rx != NULL)
			st = stat_of(rx);
		else
			memset(&st, 0, sizeof(st));
		ok(st.senders == 0 && st.joined == NSEND && st.depth == 0 &&
		    st.skipped == 0, "...stat: no sender left, %d joined,"
		    " nothing skipped", NSEND);
		diag("fifo, %s: %ld ms", test_modes[i].name, ms_since(start));
		done_chan(rx, "fifo");
	}
}

/*
 * 3a. An anonymous channel ends when every copy of every sender handle
 * is gone: the creator shuts down its own, the peers close theirs.
 */
static void
test_end_anonymous(void)
{
	struct shmc_task *t[3];
	struct shmc_chan_stat st;
	struct timespec dl;
	struct checker ck;
	struct job j[3];
	char buf[64];
	unsigned int k;
	size_t len;
	int good, r, r2;

	/* Processes inherit the sender role; the creator lets go first. */
	memset(sh, 0, sizeof(*sh));
	gch = open_chan(NULL, SHMC_SENDER | SHMC_RECEIVER, 16, 64, 0);
	for (k = 0; k < 3; k++) {
		memset(&j[k], 0, sizeof(j[k]));
		j[k].index = k;
		j[k].n = 100;
		j[k].min = 5;
		j[k].max = 64;
		j[k].how = HOW_TIMED;
		j[k].delay_ms = 50 + 40 * (int)k;
		j[k].close = 1;
		t[k] = test_spawn(SHMC_PROCESS, sender, &j[k]);
	}
	r = shmc_chan_shutdown(gch);
	st = stat_of(gch);
	ok(r == 0 && st.senders == 1 && st.held == 0,
	    "anonymous, 3 forked senders: after the creator's shutdown their"
	    " copies keep the role");
	checker_init(&ck, 5, 64);
	r = drain(gch, &ck, 0);
	ok(ck.got == 300 && ck.bad == 0, "...300 messages in order");
	ck_diag(&ck);
	is_int(EPIPE, r, "...then EPIPE, once they all closed");
	good = 0;
	for (k = 0; k < 3; k++)
		if (test_join(t[k]) == 0)
			good++;
	is_int(3, good, "...each exits 0");
	done_chan(gch, NULL);

	/* Threads share the handle: it ends after the creator's shutdown. */
	memset(sh, 0, sizeof(*sh));
	gch = open_chan(NULL, SHMC_SENDER | SHMC_RECEIVER, 512, 64, 0);
	for (k = 0; k < 3; k++) {
		memset(&j[k], 0, sizeof(j[k]));
		j[k].index = k;
		j[k].n = 100;
		j[k].min = 5;
		j[k].max = 64;
		j[k].how = HOW_TIMED;
		t[k] = test_spawn(SHMC_THREAD, sender, &j[k]);
	}
	good = 0;
	for (k = 0; k < 3; k++)
		if (test_join(t[k]) == 0)
			good++;
	checker_init(&ck, 5, 64);
	r = take(gch, &ck, 300);
	ok(r == 0 && ck.got == 300 && ck.bad == 0,
	    "anonymous, 3 thread senders: 300 messages in order");
	ck_diag(&ck);
	is_int(3, good, "...each exits 0");
	dl = test_in_ms(100);
	is_int(ETIMEDOUT, shmc_chan_timedrecv(gch, buf, sizeof(buf), &len,
	    &dl), "...no end while the handle is a sender");
	r = shmc_chan_shutdown(gch);
	r2 = recv_str(gch, buf, sizeof(buf), WAIT_MS);
	ok(r == 0 && r2 == EPIPE, "...EPIPE after its shutdown");
	done_chan(gch, NULL);
}

/*
 * 3b. A named channel is held by its creator: senders come and go and it
 * does not end until a shutdown, which wakes a blocked receiver.
 */
static void
test_end_held(void)
{
	struct shmc_task *t[2];
	struct shmc_chan_stat st;
	struct shmc_chan *rx;
	struct timespec dl;
	struct checker ck;
	struct job j[3];
	char buf[64];
	long long start, end;
	unsigned int i, k;
	size_t len;
	int r, r2;

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		memset(sh, 0, sizeof(*sh));
		rx = open_chan("held", SHMC_CREAT | SHMC_EXCL | SHMC_RECEIVER,
		    8, 64, 0);
		dl = test_in_ms(100);
		is_int(ETIMEDOUT, shmc_chan_timedrecv(rx, buf, sizeof(buf),
		    &len, &dl), "held channel, %s senders: no end before any"
		    " sender", test_modes[i].name);
		for (k = 0; k < 3; k++) {
			memset(&j[k], 0, sizeof(j[k]));
			j[k].name = "held";
			j[k].index = k;
			j[k].n = 2;
			j[k].min = 5;
			j[k].max = 64;
			j[k].how = HOW_TIMED;
		}
		t[0] = test_spawn(test_modes[i].flags, sender, &j[0]);
		r = test_join(t[0]);
		t[1] = test_spawn(test_modes[i].flags, sender, &j[1]);
		r2 = test_join(t[1]);
		ok(r == 0 && r2 == 0, "...two senders send and close");
		checker_init(&ck, 5, 64);
		r = take(rx, &ck, 4);
		ok(r == 0 && ck.got == 4 && ck.bad == 0,
		    "...their messages arrive");
		dl = test_in_ms(150);
		is_int(ETIMEDOUT, shmc_chan_timedrecv(rx, buf, sizeof(buf),
		    &len, &dl), "...no end after they left");
		st = stat_of(rx);
		ok(st.held == 1 && st.joined == 2 && st.senders == 0,
		    "...stat: held, 2 joined, none live");
		t[0] = test_spawn(test_modes[i].flags, sender, &j[2]);
		r = test_join(t[0]);
		t[1] = test_spawn(test_modes[i].flags, shutter, (void *)"held");
		r2 = take(rx, &ck, 2);
		ok(r == 0 && r2 == 0 && ck.got == 6 && ck.bad == 0,
		    "...a third sender's messages arrive");
		ck_diag(&ck);
		start = now_ns();
		r = recv_str(rx, buf, sizeof(buf), WAIT_MS);
		end = now_ns();
		is_int(EPIPE, r, "...a shutdown from a %s's handle ends it",
		    test_modes[i].name);
		ok(end >= __atomic_load_n(&sh->t_ns, __ATOMIC_SEQ_CST) &&
		    (end - start) / 1000000 < PROMPT_MS,
		    "...waking the blocked receiver (%lld ms)",
		    (end - start) / 1000000);
		is_int(0, test_join(t[1]), "...the %s exits 0",
		    test_modes[i].name);
		is_int(0, stat_of(rx).held, "...stat: no longer held");
		done_chan(rx, "held");
	}
}

/*
 * 3c. A named channel expecting 3 senders, under adversarial start
 * orders: the receiver must not see the end before the third sender has
 * joined, wherever it starts among them (first, between, last), with
 * pauses between starts longer than the tick, and each sender closing
 * right after its messages.  Every order runs twice, with two pauses.
 */
static void
test_end_expected(void)
{
	static const char *const orders[] = { "RSSS", "SRSS", "SSRS", "SSSR" };
	static const int pauses[] = { 60, 25 };
	struct shmc_task *t[4];
	struct job j[4];
	unsigned int i, k, n, p;
	int good, s;

	for (p = 0; p < ARRAY_SIZE(pauses); p++) {
		for (n = 0; n < ARRAY_SIZE(orders); n++) {
			for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
				memset(sh, 0, sizeof(*sh));
				s = 0;
				for (k = 0; k < 4; k++) {
					memset(&j[k], 0, sizeof(j[k]));
					j[k].name = "expect";
					j[k].flags = SHMC_CREAT;
					j[k].cap = 16;
					j[k].size = 64;
					j[k].senders = 3;
					j[k].n = 3;
					j[k].min = 5;
					j[k].max = 64;
					j[k].how = HOW_TIMED;
					if (orders[n][k] == 'S')
						j[k].index = (unsigned int)s++;
					t[k] = test_spawn(test_modes[i].flags,
					    orders[n][k] == 'R' ? receiver :
					    sender, &j[k]);
					usleep(pauses[p] * 1000);
				}
				good = 0;
				for (k = 0; k < 4; k++)
					if (test_join(t[k]) == 0)
						good++;
				ok(sh->got == 9 && sh->bad == 0 &&
				    sh->rc_end == EPIPE, "expecting 3 senders,"
				    " order %s, %d ms apart, %s peers: all 9"
				    " messages, then EPIPE", orders[n],
				    pauses[p], test_modes[i].name);
				if (sh->got != 9 || sh->bad != 0 ||
				    sh->rc_end != EPIPE)
					diag("got %lu, %lu bad, then %s: %s",
					    sh->got, sh->bad,
					    shmc_strerror(sh->rc_end),
					    sh->why);
				is_int(4, good, "...each exits 0");
				if (shmc_chan_unlink("expect") != 0)
					bail("cannot unlink");
			}
		}
	}
}

/*
 * 3d. EPIPE to senders once the receiver closed; the message stays with
 * the sender: a successor receiver does not get it.
 */
static void
test_epipe(void)
{
	struct shmc_chan *tx, *rx;
	struct shmc_task *t;
	struct timespec dl;
	struct iovec iov;
	char buf[64];
	long long start;
	unsigned int i;
	size_t len, sent;
	int r;

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		memset(sh, 0, sizeof(*sh));
		tx = open_chan("epipe", SHMC_CREAT | SHMC_EXCL | SHMC_SENDER,
		    4, 64, 0);
		t = test_spawn(test_modes[i].flags, closing_receiver,
		    (void *)"epipe");
		if (!wait_until(&sh->ready, 1))
			bail("the receiver did not open");
		r = send_str(tx, "one");
		is_int(0, test_join(t),
		    "a %s receiver takes a message and closes",
		    test_modes[i].name);
		ok(r == 0 && sh->rc == 0 && strcmp(sh->str, "one") == 0,
		    "...the message arrived");
		is_int(EPIPE, shmc_chan_try_send(tx, "two", 3),
		    "...then try_send is EPIPE");
		is_int(EPIPE, shmc_chan_send(tx, "two", 3), "...send is EPIPE");
		is_int(EPIPE, send_str(tx, "two"), "...timedsend is EPIPE");
		iov.iov_base = (void *)"two";
		iov.iov_len = 3;
		dl = test_in_ms(WAIT_MS);
		r = shmc_chan_send_many(tx, &iov, 1, &sent, &dl);
		ok(r == EPIPE && sent == 0, "...send_many is EPIPE, none sent");
		is_int(-1, stat_of(tx).receiver,
		    "...stat: the receiver is gone");
		rx = open_chan("epipe", SHMC_RECEIVER, 0, 0, 0);
		is_int(EAGAIN, shmc_chan_try_recv(rx, buf, sizeof(buf), &len),
		    "...a successor receiver does not get the refused message");
		r = send_str(tx, "three");
		ok(r == 0 && recv_str(rx, buf, sizeof(buf), WAIT_MS) == 0 &&
		    strcmp(buf, "three") == 0, "...and gets the next one");
		shmc_chan_close(rx);
		done_chan(tx, "epipe");

		/* A rendezvous send waiting for its receiver. */
		memset(sh, 0, sizeof(*sh));
		tx = open_chan("epipe0", SHMC_CREAT | SHMC_EXCL | SHMC_SENDER,
		    0, 64, 0);
		t = test_spawn(test_modes[i].flags, idle_receiver,
		    (void *)"epipe0");
		if (!wait_until(&sh->ready, 1))
			bail("the receiver did not open");
		start = now_ns();
		r = send_str(tx, "never");
		is_int(EPIPE, r, "a rendezvous send whose %s receiver closes:"
		    " EPIPE", test_modes[i].name);
		ok(ms_since(start) < PROMPT_MS, "...promptly (%ld ms)",
		    ms_since(start));
		is_int(0, test_join(t), "...the receiver exits 0");
		rx = open_chan("epipe0", SHMC_RECEIVER, 0, 0, 0);
		is_int(EAGAIN, shmc_chan_try_recv(rx, buf, sizeof(buf), &len),
		    "...the message was withdrawn");
		shmc_chan_close(rx);
		done_chan(tx, "epipe0");
	}
}

/* A receiver that opens, says so and waits to be killed. */
static pid_t
sleeping_receiver(const char *name)
{
	struct shmc_chan *ch;
	pid_t pid;

	pid = fork_child();
	if (pid > 0)
		return pid;
	if (shmc_chan_open(name, SHMC_RECEIVER, NULL, &ch) != 0)
		_exit(1);
	set(&sh->ready, 1);
	for (;;)
		pause();
}

/*
 * 3e. The receiver is killed: a sender blocked on a full channel gets
 * EPIPE within a few ticks; one with room notices within 256 sends; a new
 * receiver takes over and gets what was queued.
 */
static void
test_receiver_killed(void)
{
	struct shmc_chan *tx, *rx;
	struct shmc_task *t;
	long long killed;
	char buf[64];
	unsigned int i;
	size_t len;
	pid_t pid;
	int k, r;

	for (i = 0; i < ARRAY_SIZE(test_modes); i++) {
		memset(sh, 0, sizeof(*sh));
		tx = open_chan("rxkill", SHMC_CREAT | SHMC_EXCL, 4, 64, 0);
		pid = sleeping_receiver("rxkill");
		if (!wait_until(&sh->ready, 1))
			bail("the receiver did not open");
		set(&sh->ready, 0);
		t = test_spawn(test_modes[i].flags, blocked_sender,
		    (void *)"rxkill");
		if (!wait_until(&sh->ready, 1))
			bail("the sender did not fill the channel");
		usleep(100000);
		killed = now_ns();
		test_kill(pid);
		is_int(0, test_join(t), "a %s sender blocked on a full channel",
		    test_modes[i].name);
		is_int(EPIPE, sh->rc, "...gets EPIPE when the receiver is"
		    " killed");
		ok(sh->t_ns > killed && (sh->t_ns - killed) / 1000000 <
		    PROMPT_MS, "...within a few ticks (%lld ms)",
		    (sh->t_ns - killed) / 1000000);
		is_int(-1, stat_of(tx).receiver,
		    "...stat: the receiver is gone");
		rx = open_chan("rxkill", SHMC_RECEIVER, 0, 0, 0);
		r = 0;
		for (k = 0; k < 4 && r == 0; k++) {
			char want[8];

			snprintf(want, sizeof(want), "q%d", k);
			r = recv_str(rx, buf, sizeof(buf), WAIT_MS);
			if (r == 0 && strcmp(buf, want) != 0)
				r = -1;
		}
		ok(r == 0 && shmc_chan_try_recv(rx, buf, sizeof(buf), &len) ==
		    EAGAIN, "...a new receiver takes over: the 4 queued, not"
		    " the refused");
		shmc_chan_close(rx);
		done_chan(tx, "rxkill");
	}

	memset(sh, 0, sizeof(*sh));
	tx = open_chan("rxroom", SHMC_CREAT | SHMC_EXCL | SHMC_SENDER, 1024,
	    16, 0);
	pid = sleeping_receiver("rxroom");
	if (!wait_until(&sh->ready, 1))
		bail("the receiver did not open");
	test_kill(pid);
	r = 0;
	for (k = 0; k < 600 && r == 0; k++)
		r = shmc_chan_try_send(tx, "x", 1);
	is_int(EPIPE, r, "a sender with room: EPIPE after the receiver is"
	    " killed");
	ok(k <= 257, "...within 256 sends (%d)", k);
	done_chan(tx, "rxroom");
}

/*
 * 4. Kill tests with stop points.  A sender killed after its claim or
 * after its copy, before its commit: the receiver skips its slot within a
 * tick, and nothing torn or phantom arrives.
 */
static pid_t
stopped_sender(const char *name, const char *point)
{
	unsigned char buf[MAXMSG];
	struct shmc_chan *ch;
	struct timespec dl;
	size_t len;
	pid_t pid;
	int c;

	pid = fork_child();
	if (pid > 0)
		return pid;
	if (shmc_chan_open(name, SHMC_SENDER, NULL, &ch) != 0)
		_exit(1);
	for (c = 0; c < 4; c++) {
		if (c == 3 && setenv("SHMCONC_STOP", point, 1) < 0)
			_exit(2);
		len = msg_make(buf, 1, (unsigned long)c, 9, MAXMSG);
		dl = test_in_ms(2 * WAIT_MS);
		if (shmc_chan_timedsend(ch, buf, len, &dl) != 0)
			_exit(3);
	}
	_exit(c == 4 ? 4 : 5);
}

static void
test_kill_sender(void)
{
	static const char *const points[] = {
		"chan-send-claimed", "chan-send-copied"
	};
	unsigned char buf[MAXMSG];
	struct shmc_chan *rx, *tx;
	struct shmc_chan_stat st;
	struct timespec dl;
	struct checker ck;
	long long killed;
	unsigned int i;
	long ms;
	size_t len;
	pid_t pid;
	int c, r, stopped;

	for (i = 0; i < ARRAY_SIZE(points); i++) {
		rx = open_chan("skip", SHMC_CREAT | SHMC_EXCL | SHMC_RECEIVER,
		    8, MAXMSG, 0);
		tx = open_chan("skip", SHMC_SENDER, 0, 0, 0);
		pid = stopped_sender("skip", points[i]);
		stopped = test_wait_stopped(pid);
		ok(stopped, "a sender stopped at %s", points[i]);
		for (c = 0; c < 3; c++) {
			len = msg_make(buf, 0, (unsigned long)c, 9, MAXMSG);
			if (shmc_chan_try_send(tx, buf, len) != 0)
				bail("cannot send");
		}
		checker_init(&ck, 9, MAXMSG);
		r = take(rx, &ck, 3);
		ok(r == 0 && ck.got == 3 && ck.next[1] == 3,
		    "...its first 3 messages arrive");
		dl = test_in_ms(5 * TICK_MS);
		r = shmc_chan_timedrecv(rx, buf, sizeof(buf), &len, &dl);
		is_int(ETIMEDOUT, r, "...while it is stopped the receiver"
		    " waits at its slot");
		killed = now_ns();
		test_kill(pid);
		dl = test_in_ms(WAIT_MS);
		r = shmc_chan_timedrecv(rx, buf, sizeof(buf), &len, &dl);
		ms = ms_since(killed);
		if (r == 0)
			(void)check(&ck, buf, len, NULL);
		ok(r == 0 && ms < PROMPT_MS, "...killed: the receiver steps"
		    " over its slot within a few ticks (%ld ms)", ms);
		r = take(rx, &ck, 2);
		ok(r == 0 && ck.got == 6 && ck.bad == 0 && ck.next[0] == 3 &&
		    ck.next[1] == 3, "...the other sender's 3 arrive intact");
		ck_diag(&ck);
		is_int(EAGAIN, shmc_chan_try_recv(rx, buf, sizeof(buf), &len),
		    "...no phantom message");
		st = stat_of(rx);
		ok(st.skipped == 1 && st.sent == 7 && st.received == 7,
		    "...stat: 1 skipped of 7");
		for (c = 3; c < 11; c++) {
			len = msg_make(buf, 0, (unsigned long)c, 9, MAXMSG);
			if (shmc_chan_try_send(tx, buf, len) != 0)
				bail("cannot send");
		}
		r = take(rx, &ck, 8);
		ok(r == 0 && ck.got == 14 && ck.bad == 0,
		    "...the ring goes round: 8 more pass");
		ck_diag(&ck);
		shmc_chan_close(tx);
		done_chan(rx, "skip");
	}
}

/*
 * A receiver killed after copying, before its commit: its successor gets
 * the same message again, and only that one again.  It stops at the stop
 * point (in recv, or in recv_with before the function), or inside its
 * function, having reported what it was given.
 */
enum { RX_RECV, RX_WITH, RX_IN_FN };

static int victim_fd = -1;

static int
stop_fn(void *arg, const void *msg, size_t len,
    const struct shmc_msginfo *info)
{
	ssize_t n;

	(void)arg;
	sh->info = *info;
	sh->got = len >= 5 ? ((const unsigned char *)msg)[1] : 99;
	n = write(victim_fd, "S", 1);
	(void)n;
	for (;;)
		pause();
	return 0;
}

/* Check a message and keep its shmc_msginfo in last_info. */
static struct shmc_msginfo last_info;

static int
info_fn(void *arg, const void *msg, size_t len,
    const struct shmc_msginfo *info)
{
	last_info = *info;
	(void)check(arg, msg, len, NULL);
	return 0;
}

static pid_t
stopped_receiver(const char *name, int how, int fd)
{
	unsigned char buf[MAXMSG];
	struct shmc_chan *ch;
	struct timespec dl;
	struct checker ck;
	pid_t pid;

	pid = fork_child();
	if (pid > 0)
		return pid;
	if (shmc_chan_open(name, SHMC_RECEIVER, NULL, &ch) != 0)
		_exit(1);
	checker_init(&ck, 9, MAXMSG);
	if (take(ch, &ck, 2) != 0 || ck.got != 2)
		_exit(2);
	sh->step = 2;
	victim_fd = fd;
	if (how != RX_IN_FN && setenv("SHMCONC_STOP", "chan-recv-copied",
	    1) < 0)
		_exit(3);
	dl = test_in_ms(2 * WAIT_MS);
	if (how == RX_RECV) {
		size_t len;

		if (shmc_chan_timedrecv(ch, buf, sizeof(buf), &len, &dl) != 0)
			_exit(4);
	} else if (shmc_chan_recv_with(ch, stop_fn, NULL, &dl) != 0)
		_exit(4);
	_exit(5);
}

static void
test_kill_receiver(void)
{
	static const char *const hows[] = {
		"in recv at chan-recv-copied",
		"in recv_with at chan-recv-copied",
		"inside recv_with's function",
	};
	unsigned char buf[MAXMSG];
	struct shmc_chan *rx, *tx;
	struct shmc_msginfo first;
	struct timespec dl;
	struct checker ck;
	unsigned int i;
	size_t len;
	pid_t pid;
	int c, p[2], r, stopped, same;
	char b;

	for (i = 0; i < ARRAY_SIZE(hows); i++) {
		memset(sh, 0, sizeof(*sh));
		tx = open_chan("rxdup", SHMC_CREAT | SHMC_EXCL | SHMC_SENDER,
		    8, MAXMSG, 0);
		for (c = 0; c < 5; c++) {
			len = msg_make(buf, 0, (unsigned long)c, 9, MAXMSG);
			if (shmc_chan_try_send(tx, buf, len) != 0)
				bail("cannot send");
		}
		if (i == RX_IN_FN) {
			if (pipe(p) < 0)
				sysbail("cannot create a pipe");
			pid = stopped_receiver("rxdup", (int)i, p[1]);
			close(p[1]);
			stopped = read(p[0], &b, 1) == 1 && b == 'S';
			close(p[0]);
		} else {
			pid = stopped_receiver("rxdup", (int)i, -1);
			stopped = test_wait_stopped(pid);
		}
		ok(stopped && sh->step == 2, "a receiver took 2 messages and"
		    " stopped %s", hows[i]);
		test_kill(pid);
		r = shmc_chan_open("rxdup", SHMC_RECEIVER, NULL, &rx);
		is_int(0, r, "...killed: a successor receiver takes over");
		if (r != 0)
			bail("no successor");
		checker_init(&ck, 9, MAXMSG);
		ck.next[0] = 2;
		memset(&last_info, 0, sizeof(last_info));
		dl = test_in_ms(WAIT_MS);
		r = shmc_chan_recv_with(rx, info_fn, &ck, &dl);
		first = last_info;
		same = r == 0 && ck.got == 1 && ck.next[0] == 3 &&
		    first.seq == 2 && first.pos == 2 &&
		    first.sender == tx->sender;
		if (i == RX_IN_FN)
			same = same && sh->got == 2 &&
			    first.sender == sh->info.sender &&
			    first.seq == sh->info.seq &&
			    first.pos == sh->info.pos;
		ok(same, "...it gets the same message again (seq %u, pos"
		    " %llu)", first.seq, first.pos);
		r = take(rx, &ck, 2);
		ok(r == 0 && ck.got == 3 && ck.bad == 0 && ck.next[0] == 5,
		    "...then the 2 after it: one duplicate in all");
		ck_diag(&ck);
		is_int(EAGAIN, shmc_chan_try_recv(rx, buf, sizeof(buf), &len),
		    "...and nothing more");
		shmc_chan_close(rx);
		done_chan(tx, "rxdup");
	}
}

/*
 * Every sender killed while blocked on a full channel: the receiver drains
 * what they committed, then sees the end within a few ticks.
 */
static pid_t
doomed_sender(const char *name, unsigned int index)
{
	unsigned char buf[MAXMSG];
	struct shmc_chan *ch;
	unsigned long c;
	size_t len;
	pid_t pid;

	pid = fork_child();
	if (pid > 0)
		return pid;
	if (shmc_chan_open(name, SHMC_SENDER, NULL, &ch) != 0)
		_exit(1);
	set(&sh->started[index], 1);
	for (c = 0;; c++) {
		len = msg_make(buf, index, c, 9, MAXMSG);
		if (shmc_chan_send(ch, buf, len) != 0)
			_exit(2);
		__atomic_store_n(&sh->acked[index], c + 1, __ATOMIC_SEQ_CST);
	}
}

static void
test_all_killed(void)
{
	struct shmc_chan_stat st;
	struct shmc_chan *rx;
	struct checker ck;
	unsigned long a0, a1;
	long long killed;
	pid_t pid[2];
	long ms;
	int k, r;

	memset(sh, 0, sizeof(*sh));
	rx = open_chan("allkill", SHMC_CREAT | SHMC_EXCL | SHMC_RECEIVER, 4,
	    MAXMSG, 2);
	pid[0] = doomed_sender("allkill", 0);
	pid[1] = doomed_sender("allkill", 1);
	if (!wait_until(&sh->started[0], 1) || !wait_until(&sh->started[1], 1))
		bail("the senders did not start");
	for (k = 0; k < 5000 && stat_of(rx).depth < 4; k++)
		usleep(1000);
	usleep(200000);
	a0 = __atomic_load_n(&sh->acked[0], __ATOMIC_SEQ_CST);
	a1 = __atomic_load_n(&sh->acked[1], __ATOMIC_SEQ_CST);
	st = stat_of(rx);
	ok(st.depth == 4 && a0 + a1 == 4 && st.senders == 2,
	    "two senders fill a channel of 4 and block");
	killed = now_ns();
	test_kill(pid[0]);
	test_kill(pid[1]);
	checker_init(&ck, 9, MAXMSG);
	r = drain(rx, &ck, 0);
	ms = ms_since(killed);
	ok(ck.got == 4 && ck.bad == 0 && ck.next[0] == a0 && ck.next[1] == a1,
	    "...both killed: the receiver drains the 4 they sent");
	ck_diag(&ck);
	is_int(EPIPE, r, "...then EPIPE");
	ok(ms < PROMPT_MS, "...within a few ticks (%ld ms)", ms);
	done_chan(rx, "allkill");
}

/*
 * 5. Stress: four process senders (one message at a time, timed, and two
 * in batches) x a million messages of 1 to 256 bytes, each checked byte
 * for byte, with its shmc_msginfo.
 */
static void
test_stress(void)
{
	struct shmc_task *t[NSEND];
	struct shmc_chan *rx;
	struct checker ck;
	struct job j[NSEND];
	long long start;
	unsigned int k;
	int good, r;

	memset(sh, 0, sizeof(*sh));
	rx = open_chan("stress", SHMC_CREAT | SHMC_EXCL | SHMC_RECEIVER, 256,
	    MAXMSG, NSEND);
	start = now_ns();
	for (k = 0; k < NSEND; k++) {
		memset(&j[k], 0, sizeof(j[k]));
		j[k].name = "stress";
		j[k].index = k;
		j[k].n = stress_msgs;
		j[k].min = 1;
		j[k].max = MAXMSG;
		j[k].how = k == 0 ? HOW_SEND : k == 1 ? HOW_TIMED : HOW_MANY;
		t[k] = test_spawn(SHMC_PROCESS, sender, &j[k]);
	}
	checker_init(&ck, 1, MAXMSG);
	r = drain(rx, &ck, 1);
	is_int(NSEND * stress_msgs, ck.got, "stress: %d senders x %ld messages"
	    " of 1 to %d bytes: exact count", NSEND, stress_msgs, MAXMSG);
	ok(ck.bad == 0 && ck.badinfo == 0, "...every one intact, each"
	    " sender's in order");
	ck_diag(&ck);
	is_int(EPIPE, r, "...then EPIPE");
	if (r != EPIPE || ck.got != (unsigned long)(NSEND * stress_msgs)) {
		/* Let blocked senders go (EPIPE) before joining. */
		shmc_chan_close(rx);
		rx = NULL;
	}
	good = 0;
	for (k = 0; k < NSEND; k++)
		if (test_join(t[k]) == 0)
			good++;
	is_int(NSEND, good, "...each sender exits 0");
	if (sh->err != 0)
		diag("a sender failed: %s", shmc_strerror(sh->err));
	diag("stress: %ld ms", ms_since(start));
	done_chan(rx, "stress");
}

int
main(void)
{
	const char *quick = getenv("CHAN_T_QUICK");

	test_timeout(300);
	plan(277);
	test_shm_setup();
	if (quick != NULL && *quick != '\0' && strcmp(quick, "0") != 0) {
		fifo_msgs = FIFO_QUICK;
		stress_msgs = STRESS_QUICK;
	}
	sh = test_shared_page(sizeof(*sh));

	test_basics();
	test_anonymous();
	test_transfer();
	test_rendezvous();
	test_many();
	test_many_full();
	test_busy();
	test_fifo();
	test_end_anonymous();
	test_end_held();
	test_end_expected();
	test_epipe();
	test_receiver_killed();
	test_kill_sender();
	test_kill_receiver();
	test_all_killed();
	test_stress();
	return 0;
}
