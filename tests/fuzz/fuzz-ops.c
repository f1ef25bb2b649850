/*
 * fuzz-ops: operations on an object whose shared state a peer scribbled.
 *
 * Each input makes a fresh, valid object of one kind in a private
 * SHMCONC_DIR (a mutex, a condition variable, an MVar holding a value, a
 * buffered channel holding two messages, or a rendezvous channel), then,
 * through a second writable mapping of its file, overwrites its object
 * area and participant table with the input's bytes, as a hostile peer
 * with write access could (the header stays: it is validated once at open
 * and only a private copy of it is used).  Then it runs a few operations
 * chosen by the input, each with a short deadline, and closes everything.
 *
 * DESIGN.md section 3: every call returns 0 or a documented error code,
 * within its deadline plus a bounded slack (FUZZ_SLACK_MS, default 1000
 * ms, not counting time spent waiting for a CPU on a loaded machine; the
 * deadlines are 1 ms, a try call may wait 10 ms, the tick is 1 ms), and
 * never crashes, reads or writes outside its own memory, or leaks.  No
 * untimed blocking call is ever made.  FUZZ_VERBOSE=1 prints each call
 * with its result and duration; FUZZ_SKIP=TEXT leaves out the calls whose
 * text holds TEXT (for example "timedmodify"), to look past a known
 * defect.
 *
 * Who is attached matters as much as what the words hold, so every object
 * has, besides this thread (attached before the scribble), a live
 * participant (a lease we hold, as another process would), a dead one (a
 * lease that was dropped, as by a SIGKILLed process) and, for channels,
 * the receiver and sender roles.  Their IDs differ from run to run, so the
 * input names them by token: an aligned 32-bit word 0xfeedF00N of the
 * overlay becomes the ID of participant N (P_ below), plus the mutex flag
 * WAITERS if F has bit 8 and INCONS if it has bit 4.  For the same reason
 * the participant table is overlaid in the order of those participants
 * (this thread's slot first, then the live one's, ...), not by slot
 * number.
 *
 * Input layout:
 *   byte 0       the kind (modulo 5: mutex, cond, MVar, channel,
 *                rendezvous channel)
 *   bytes 1-6    six operations, each byte taken modulo the number of
 *                operations of that kind
 *   bytes 7-     overlaid on the object area (and the padding after it),
 *                then on the participant slots in the order above; bytes
 *                past the input's end keep the valid object's contents
 *
 * Seeds: SHMC_FUZZ_MKSEEDS=DIR makes LLVMFuzzerInitialize write, for each
 * kind, inputs whose overlay is the unchanged valid object, and exit.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/mman.h>

#include <fcntl.h>

#include "chan.h"
#include "cond.h"
#include "fuzz.h"
#include "mutex.h"
#include "mvar.h"
#include "peer.h"
#include "shm.h"
#include "shmconc.h"
#include "tests/tap/timing.h"

#define KINDS           5
#define NOPS            6
#define HEAD            (1 + NOPS)

#define K_MUTEX         0
#define K_COND          1
#define K_MVAR          2
#define K_CHAN          3
#define K_RENDEZVOUS    4

/* Value and message size, and channel capacity, of the objects we make. */
#define VSIZE           32
#define CAPACITY        3
#define PEERS           6

/* The participants a token names. */
#define P_SELF          0       /* this thread */
#define P_LIVE          1       /* a live participant */
#define P_DEAD          2       /* a participant whose lease was dropped */
#define P_BOGUS         3       /* an ID naming no slot of the table */
#define P_RECEIVER      4       /* a channel's receiver role */
#define P_SENDER        5       /* a channel's sender role */
#define NPART           6

/*
 * A token: 0xfeed in the high half, then the WAITERS flag (0x8000), the
 * INCONS flag (0x4000), and the participant in the low byte.
 */
#define TOKEN_MASK      0xffff0000U
#define TOKEN_MARK      0xfeed0000U
#define TOKEN_WAITERS   0x8000U
#define TOKEN_INCONS    0x4000U
#define TOKEN(p, flags) (TOKEN_MARK | (flags) | (p))

/* What our callbacks return to refuse a value. */
#define REFUSE          ECANCELED

static const char *const obj_names[KINDS] = {
	"m", "c", "v", "ch", "rv"
};

static char dir[PATH_MAX];
static long slack_ms = 1000;
static int verbose;             /* FUZZ_VERBOSE: print every call */
static const char *skip;        /* FUZZ_SKIP: calls not to make */

/* The objects of one run. */
struct objs {
	int kind;
	struct shmc_mutex *m;
	struct shmc_cond *c;
	struct shmc_mutex *cm;          /* the condition variable's mutex */
	struct shmc_mvar *mv;
	struct shmc_chan *ch;
	struct shmc__seg *seg;          /* the scribbled object's */
	uint32_t id[NPART];             /* the participants, by P_ */
	uint32_t order[PEERS];          /* slots in overlay order */
	int fd;                         /* our second view of the file */
	unsigned char *map;
	size_t map_size;
	size_t obj_off, obj_len;        /* object area and padding */
	size_t peer_off, peer_size;     /* the table */
	size_t region_len;              /* object area, padding and table */
};

/*
 * Every error code a call on a live object documents, and the code our
 * callbacks return.  Open-time codes are not expected here.
 */
static void
check_code(const char *what, int r)
{
	switch (r) {
	case 0:
	case EAGAIN:
	case EBUSY:
	case ETIMEDOUT:
	case EOWNERDEAD:
	case ENOTRECOVERABLE:
	case EDEADLK:
	case EBADMSG:
	case EMSGSIZE:
	case EPIPE:
	case EPERM:
	case EINVAL:            /* consistent on a consistent mutex */
	case EUSERS:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
	case REFUSE:
		return;
	default:
		fuzz_fail("%s: undocumented result %d (%s)", what, r,
		    shmc_strerror(r));
	}
}

/*
 * How long this thread has waited, runnable, for a CPU (the second field
 * of /proc/thread-self/schedstat), in ns; 0 if the kernel does not say.
 * A loaded machine must not pass for a call that overstays its deadline.
 */
static int sched_fd = -1;

static int64_t
runnable_ns(void)
{
	return (int64_t)schedstat_wait_ns(sched_fd);
}

/*
 * Check that a call took no longer than its wait plus the slack, not
 * counting the time it was kept from running by other processes.
 */
static void
check_time(const char *what, int64_t start, int64_t start_rq, long wait_ms,
    int r)
{
	int64_t took = fuzz_now_ns() - start;
	int64_t starved = runnable_ns() - start_rq;

	if (verbose)
		fprintf(stderr, "%8lld us  %-15s %s\n",
		    (long long)(took / 1000), shmc_strerror(r), what);
	if (starved > 0)
		took -= starved;
	if (took > (int64_t)(wait_ms + slack_ms) * 1000000)
		fuzz_fail("%s took %lld ms (and waited %lld ms for a CPU), "
		    "more than %ld ms plus %ld ms of slack", what,
		    (long long)(took / 1000000),
		    (long long)(starved / 1000000), wait_ms, slack_ms);
}

/* Run one call: time it and check its result. */
#define CALL(wait_ms, r, call) do {                                     \
	int64_t start_, start_rq_;                                      \
	if (skip != NULL && strstr(#call, skip) != NULL)                \
		return;                                                 \
	start_rq_ = runnable_ns();                                      \
	start_ = fuzz_now_ns();                                         \
	(r) = (call);                                                   \
	check_time(#call, start_, start_rq_, (wait_ms), (r));           \
	check_code(#call, (r));                                         \
} while (0)

/* Read every byte of a buffer, so that ASan checks the whole of it. */
static unsigned int
touch(const void *p, size_t len)
{
	const volatile unsigned char *b = p;
	unsigned int sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum += b[i];
	return sum;
}

static int
take_fn(void *arg, const void *value, size_t len)
{
	const uint8_t *op = arg;

	if (len > VSIZE)
		fuzz_fail("take_with: a value of %zu bytes", len);
	(void)touch(value, len);
	return *op & 0x80 ? REFUSE : 0;
}

static int
modify_fn(void *arg, const void *old, size_t oldlen, void *new_value,
    size_t size, size_t *newlen)
{
	const uint8_t *op = arg;
	size_t n = *op % (VSIZE + 1);

	if (oldlen > VSIZE)
		fuzz_fail("modify: an old value of %zu bytes", oldlen);
	if (size < VSIZE)
		fuzz_fail("modify: room for only %zu bytes", size);
	(void)touch(old, oldlen);
	if (*op & 0x80)
		return REFUSE;
	memset(new_value, 'n', n);
	*newlen = n;
	return 0;
}

static int
recv_fn(void *arg, const void *msg, size_t len,
    const struct shmc_msginfo *info)
{
	const uint8_t *op = arg;

	if (len > VSIZE)
		fuzz_fail("recv_with: a message of %zu bytes", len);
	(void)touch(msg, len);
	(void)touch(info, sizeof(*info));
	return *op & 0x80 ? REFUSE : 0;
}

/* The inspection calls, which read the whole table and object area. */
static void
inspect(const char *name, int peers)
{
	struct shmc_info info;
	struct shmc_peer_info pi[PEERS + 1];
	size_t n;
	int r;

	if (!peers) {
		CALL(0, r, shmc_inspect(name, &info));
		if (r != 0 || info.error != 0)
			fuzz_fail("shmc_inspect: %d, error %d", r, info.error);
		if (info.peers != PEERS || info.attached > PEERS)
			fuzz_fail("shmc_inspect: %u peers, %u attached",
			    info.peers, info.attached);
		return;
	}
	CALL(0, r, shmc_inspect_peers(name, pi, SHMC__ARRAY_SIZE(pi), &n));
	if (r != 0 || n > PEERS)
		fuzz_fail("shmc_inspect_peers: %d, %zu peers", r, n);
}

/* After a lock that succeeded, we own the mutex: unlock must work. */
static void
locked(struct shmc_mutex *m, int r, const uint8_t *op)
{
	int r2;

	if (r != 0 && r != EOWNERDEAD)
		return;
	if (r == EOWNERDEAD && (*op & 0x80)) {
		CALL(0, r2, shmc_mutex_consistent(m));
		if (r2 != 0)
			fuzz_fail("consistent after EOWNERDEAD: %d", r2);
	}
	CALL(0, r2, shmc_mutex_unlock(m));
	if (r2 != 0)
		fuzz_fail("unlock of a mutex we hold: %d", r2);
}

static void
op_mutex(struct objs *o, const uint8_t *op)
{
	struct timespec dl;
	int r;

	switch (*op % 6) {
	case 0:
		dl = fuzz_deadline_ms(1);
		CALL(1, r, shmc_mutex_timedlock(o->m, &dl));
		locked(o->m, r, op);
		break;
	case 1:
		CALL(0, r, shmc_mutex_trylock(o->m));
		locked(o->m, r, op);
		break;
	case 2:
		CALL(0, r, shmc_mutex_unlock(o->m));
		break;
	case 3:
		CALL(0, r, shmc_mutex_consistent(o->m));
		break;
	default:
		inspect(obj_names[K_MUTEX], *op % 6 == 5);
		break;
	}
}

static void
op_cond(struct objs *o, const uint8_t *op)
{
	struct timespec dl;
	int r, r2;

	switch (*op % 5) {
	case 0:
		CALL(0, r, shmc_cond_signal(o->c));
		break;
	case 1:
		CALL(0, r, shmc_cond_broadcast(o->c));
		break;
	case 2:
		/* Our own mutex is not scribbled on: the lock must work. */
		dl = fuzz_deadline_ms(1);
		CALL(1, r, shmc_mutex_timedlock(o->cm, &dl));
		if (r != 0)
			fuzz_fail("lock of a clean mutex: %d", r);
		dl = fuzz_deadline_ms(1);
		CALL(1, r, shmc_cond_timedwait(o->c, o->cm, &dl));
		CALL(0, r2, shmc_mutex_unlock(o->cm));
		if (r2 != 0)
			fuzz_fail("unlock after timedwait (%d): %d", r, r2);
		break;
	default:
		inspect(obj_names[K_COND], *op % 5 == 4);
		break;
	}
}

static void
check_len(const char *what, int r, size_t len, size_t room)
{
	if ((r == 0 || r == EOWNERDEAD) && len > room)
		fuzz_fail("%s: %zu bytes into %zu", what, len, room);
}

static void
op_mvar(struct objs *o, const uint8_t *op)
{
	/* A buffer one byte short of a full value, now and then. */
	unsigned char buf[VSIZE], old[VSIZE], val[VSIZE];
	size_t room = *op & 0x40 ? VSIZE - 1 : VSIZE;
	size_t len = 0, vlen = *op % (VSIZE + 1);
	struct timespec dl;
	int r, empty;

	memset(val, 'p', sizeof(val));
	dl = fuzz_deadline_ms(1);
	switch (*op % 14) {
	case 0:
		CALL(10, r, shmc_mvar_try_take(o->mv, buf, room, &len));
		check_len("try_take", r, len, room);
		break;
	case 1:
		CALL(10, r, shmc_mvar_try_put(o->mv, val, vlen));
		break;
	case 2:
		CALL(10, r, shmc_mvar_try_read(o->mv, buf, room, &len));
		check_len("try_read", r, len, room);
		break;
	case 3:
		CALL(1, r, shmc_mvar_timedread(o->mv, buf, room, &len, &dl));
		check_len("timedread", r, len, room);
		break;
	case 4:
		CALL(1, r, shmc_mvar_timedtake(o->mv, buf, room, &len, &dl));
		check_len("timedtake", r, len, room);
		break;
	case 5:
		CALL(1, r, shmc_mvar_timedput(o->mv, val, vlen, &dl));
		break;
	case 6:
		CALL(1, r, shmc_mvar_timedswap(o->mv, val, vlen, old, room,
		    &len, &dl));
		check_len("timedswap", r, len, room);
		break;
	case 7:
		CALL(1, r, shmc_mvar_timedmodify(o->mv, modify_fn,
		    (void *)op, &dl));
		break;
	case 8:
		CALL(1, r, shmc_mvar_timedtake_with(o->mv, take_fn,
		    (void *)op, &dl));
		break;
	case 9:
		CALL(0, r, shmc_mvar_is_empty(o->mv, &empty));
		break;
	case 10:
		CALL(0, r, shmc_mvar_size(o->mv, &len));
		if (r == 0 && len != VSIZE)
			fuzz_fail("shmc_mvar_size: %zu, not %d", len, VSIZE);
		break;
	case 11:
		/* An oversized put is refused before anything is read. */
		CALL(10, r, shmc_mvar_try_put(o->mv, val, VSIZE + 1));
		if (r != EMSGSIZE)
			fuzz_fail("oversized try_put: %d", r);
		break;
	default:
		inspect(obj_names[K_MVAR], *op % 14 == 13);
		break;
	}
}

static void
op_chan(struct objs *o, const uint8_t *op)
{
	unsigned char buf[2 * VSIZE], msg[VSIZE];
	size_t room = *op & 0x40 ? VSIZE - 1 : VSIZE;
	size_t len = 0, mlen = *op % (VSIZE + 1), lens[3], got, sent;
	struct shmc_chan_stat st;
	struct iovec iov[2];
	struct timespec dl;
	int r;

	memset(msg, 's', sizeof(msg));
	dl = fuzz_deadline_ms(1);
	switch (*op % 12) {
	case 0:
		CALL(10, r, shmc_chan_try_recv(o->ch, buf, room, &len));
		check_len("try_recv", r, len, room);
		break;
	case 1:
		CALL(1, r, shmc_chan_timedrecv(o->ch, buf, room, &len, &dl));
		check_len("timedrecv", r, len, room);
		break;
	case 2:
		CALL(10, r, shmc_chan_try_send(o->ch, msg, mlen));
		break;
	case 3:
		CALL(1, r, shmc_chan_timedsend(o->ch, msg, mlen, &dl));
		break;
	case 4:
		iov[0].iov_base = msg;
		iov[0].iov_len = mlen;
		iov[1].iov_base = msg;
		iov[1].iov_len = VSIZE - mlen;
		/* A rendezvous send_many waits for each hand-over in turn. */
		CALL(2, r, shmc_chan_send_many(o->ch, iov, 2, &sent, &dl));
		if (sent > 2)
			fuzz_fail("send_many: sent %zu of 2", sent);
		break;
	case 5:
		CALL(1, r, shmc_chan_recv_many(o->ch, buf, room + VSIZE,
		    lens, 3, &got, &dl));
		if (got > 3)
			fuzz_fail("recv_many: got %zu of 3", got);
		for (len = 0; r == 0 && got-- > 0;)
			len += lens[got];
		check_len("recv_many", r, len, room + VSIZE);
		break;
	case 6:
		CALL(1, r, shmc_chan_recv_with(o->ch, recv_fn, (void *)op,
		    &dl));
		break;
	case 7:
		CALL(0, r, shmc_chan_stat(o->ch, &st));
		if (st.depth > CAPACITY || st.size != VSIZE)
			fuzz_fail("stat: depth %u, size %u", st.depth,
			    st.size);
		break;
	case 8:
		CALL(0, r, shmc_chan_shutdown(o->ch));
		break;
	case 9:
		/* EPERM once shutdown gave up the sender role. */
		CALL(0, r, shmc_chan_try_send(o->ch, msg, VSIZE + 1));
		if (r != EMSGSIZE && r != EPERM)
			fuzz_fail("oversized try_send: %d", r);
		break;
	default:
		inspect(obj_names[o->kind], *op % 12 == 11);
		break;
	}
}

static void
must(const char *what, int r)
{
	if (r != 0)
		fuzz_fail("setup: %s: %s", what, shmc_strerror(r));
}

/*
 * Attach this thread, make the live and the dead participant, note the
 * channel roles, and order the slots for the overlay: the participants'
 * slots first, the free ones after, by number.
 */
static void
participants(struct objs *o)
{
	uint32_t s, n = 0, i;
	int used;

	switch (o->kind) {
	case K_MUTEX:
		o->seg = o->m->seg;
		break;
	case K_COND:
		o->seg = o->c->seg;
		break;
	case K_MVAR:
		o->seg = o->mv->seg;
		break;
	default:
		o->seg = o->ch->seg;
		break;
	}
	must("attach", shmc__peer_self(o->seg, &o->id[P_SELF]));
	must("live", shmc__peer_role(o->seg, 0, &o->id[P_LIVE]));
	must("dead", shmc__peer_role(o->seg, 0, &o->id[P_DEAD]));
	shmc__peer_unrole(o->seg, o->id[P_DEAD]);
	o->id[P_BOGUS] = SHMC__ID(PEERS + 3, 1);
	if (o->ch != NULL) {
		o->id[P_RECEIVER] = o->ch->receiver;
		o->id[P_SENDER] = o->ch->sender;
	} else {
		o->id[P_RECEIVER] = o->id[P_LIVE];
		o->id[P_SENDER] = o->id[P_DEAD];
	}
	for (i = 0; i < NPART; i++) {
		if (i == P_BOGUS)
			continue;
		s = SHMC__ID_SLOT(o->id[i]);
		for (used = 0, n = 0; n < PEERS && o->order[n] != 0; n++)
			used |= o->order[n] == s + 1;
		if (!used && n < PEERS)
			o->order[n] = s + 1;
	}
	for (s = 0; s < PEERS; s++) {
		for (used = 0, n = 0; n < PEERS && o->order[n] != 0; n++)
			used |= o->order[n] == s + 1;
		if (!used && n < PEERS)
			o->order[n] = s + 1;
	}
	for (n = 0; n < PEERS; n++)
		o->order[n]--;
}

/* The address in our second mapping of byte off of the overlay. */
static unsigned char *
region_at(struct objs *o, size_t off)
{
	if (off < o->obj_len)
		return o->map + o->obj_off + off;
	off -= o->obj_len;
	return o->map + o->peer_off + o->order[off / o->peer_size] *
	    o->peer_size + off % o->peer_size;
}

/* Overlay n bytes (n at most region_len), then resolve the tokens. */
static void
scribble(struct objs *o, const uint8_t *data, size_t n)
{
	unsigned char *p;
	uint32_t w, v;
	size_t off, k;

	for (off = 0; off < n; off += k) {
		/* Up to the end of the object area or of a slot. */
		k = off < o->obj_len ? o->obj_len - off :
		    o->peer_size - (off - o->obj_len) % o->peer_size;
		if (k > n - off)
			k = n - off;
		memcpy(region_at(o, off), data + off, k);
	}
	for (off = 0; off + 4 <= n; off += 4) {
		p = region_at(o, off);
		memcpy(&w, p, 4);
		if ((w & TOKEN_MASK) != TOKEN_MARK || (w & 0xff) >= NPART)
			continue;
		v = o->id[w & 0xff];
		if (w & TOKEN_WAITERS)
			v |= SHMC__MUTEX_WAITERS;
		if (w & TOKEN_INCONS)
			v |= SHMC__MUTEX_INCONS;
		memcpy(p, &v, 4);
	}
}

/* Make the valid object of o->kind and map its file a second time. */
static void
setup(struct objs *o)
{
	static const char *const vals[] = { "one", "second message" };
	const char *name = obj_names[o->kind];
	struct shmc_attr attr;
	struct shmc__hdr h;
	char path[PATH_MAX];
	size_t i;

	memset(&attr, 0, sizeof(attr));
	attr.peers = PEERS;
	attr.tick_ms = 1;
	attr.size = VSIZE;
	switch (o->kind) {
	case K_MUTEX:
		must("mutex", shmc_mutex_open(name, SHMC_CREAT | SHMC_EXCL,
		    &attr, &o->m));
		break;
	case K_COND:
		must("cond", shmc_cond_open(name, SHMC_CREAT | SHMC_EXCL,
		    &attr, &o->c));
		must("cond's mutex", shmc_mutex_open(NULL, 0, &attr, &o->cm));
		break;
	case K_MVAR:
		must("mvar", shmc_mvar_open_full(name, SHMC_CREAT | SHMC_EXCL,
		    &attr, "value", 5, &o->mv));
		break;
	case K_CHAN:
	case K_RENDEZVOUS:
		attr.capacity = o->kind == K_CHAN ? CAPACITY : 0;
		must("chan", shmc_chan_open(name, SHMC_CREAT | SHMC_EXCL |
		    SHMC_SENDER | SHMC_RECEIVER, &attr, &o->ch));
		for (i = 0; o->kind == K_CHAN && i < 2; i++)
			must("send", shmc_chan_try_send(o->ch, vals[i],
			    strlen(vals[i])));
		break;
	}
	participants(o);
	snprintf(path, sizeof(path), "%s/shmconc.%s", dir, name);
	o->fd = open(path, O_RDWR | O_CLOEXEC);
	if (o->fd < 0 || pread(o->fd, &h, sizeof(h), 0) != sizeof(h))
		fuzz_fail("setup: %s: %s", path, strerror(errno));
	o->map_size = h.total_size;
	o->map = mmap(NULL, o->map_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    o->fd, 0);
	if (o->map == MAP_FAILED)
		fuzz_fail("setup: mmap %s: %s", path, strerror(errno));
	if (h.npeers != PEERS || h.peer_size != sizeof(struct shmc__peer))
		fuzz_fail("setup: %u slots of %u bytes", h.npeers, h.peer_size);
	o->obj_off = h.obj_off;
	o->obj_len = h.peer_off - h.obj_off;
	o->peer_off = h.peer_off;
	o->peer_size = h.peer_size;
	o->region_len = o->obj_len + (size_t)PEERS * h.peer_size;
}

static void
teardown(struct objs *o)
{
	const char *name = obj_names[o->kind];
	int r = 0;

	munmap(o->map, o->map_size);
	close(o->fd);
	switch (o->kind) {
	case K_MUTEX:
		shmc_mutex_close(o->m);
		r = shmc_mutex_unlink(name);
		break;
	case K_COND:
		shmc_cond_close(o->c);
		shmc_mutex_close(o->cm);
		r = shmc_cond_unlink(name);
		break;
	case K_MVAR:
		shmc_mvar_close(o->mv);
		r = shmc_mvar_unlink(name);
		break;
	default:
		shmc_chan_close(o->ch);
		r = shmc_chan_unlink(name);
		break;
	}
	if (r != 0)
		fuzz_fail("unlink %s: %s", name, shmc_strerror(r));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct objs o;
	size_t n, i;

	if (size < HEAD)
		return 0;
	memset(&o, 0, sizeof(o));
	o.kind = data[0] % KINDS;
	setup(&o);
	n = size - HEAD < o.region_len ? size - HEAD : o.region_len;
	scribble(&o, data + HEAD, n);
	for (i = 0; i < NOPS; i++) {
		switch (o.kind) {
		case K_MUTEX:
			op_mutex(&o, &data[1 + i]);
			break;
		case K_COND:
			op_cond(&o, &data[1 + i]);
			break;
		case K_MVAR:
			op_mvar(&o, &data[1 + i]);
			break;
		default:
			op_chan(&o, &data[1 + i]);
			break;
		}
	}
	teardown(&o);
	return 0;
}

/* Put a 32-bit word at byte off of a seed's overlay. */
static void
seed_word(unsigned char *overlay, size_t off, uint32_t w)
{
	memcpy(overlay + off, &w, 4);
}

/* Write a seed: the kind, six operations and the overlay. */
static void
seed_write(const char *seeddir, const char *what, int kind,
    const uint8_t *ops, const unsigned char *overlay, size_t n)
{
	unsigned char buf[HEAD + 8192];
	char path[PATH_MAX];

	buf[0] = (uint8_t)kind;
	memcpy(buf + 1, ops, NOPS);
	memcpy(buf + HEAD, overlay, n);
	snprintf(path, sizeof(path), "%s/%s-%s", seeddir, obj_names[kind],
	    what);
	if (fuzz_write_file(path, buf, HEAD + n) != 0)
		fuzz_fail("seed %s: %s", path, strerror(errno));
}

/*
 * Seeds: for each kind, the valid object as it is (its participants'
 * IDs turned into tokens), with a few sequences of operations, and
 * variants of it in the states a crash or another participant leaves:
 * held by a live or a dead owner, reserved, claimed by a dead sender, ...
 */
static void
make_seeds(const char *seeddir)
{
	static const uint8_t ops[][NOPS] = {
		{ 0, 1, 2, 3, 4, 5 },
		{ 6, 7, 8, 9, 10, 11 },
		{ 12, 13, 0x41, 0x86, 0x87, 0x88 },
	};
	static const uint8_t busy_ops[NOPS] = { 0, 1, 3, 4, 6, 8 };
	static const uint8_t pinned_ops[NOPS] = { 6, 3, 2, 5, 10, 12 };
	unsigned char base[8192], v[8192];
	size_t j, n, off, slot1;
	uint32_t w, i;
	char what[32];
	struct objs o;
	int k;

	for (k = 0; k < KINDS; k++) {
		memset(&o, 0, sizeof(o));
		o.kind = k;
		setup(&o);
		n = o.region_len;
		if (n > sizeof(base))
			fuzz_fail("seed: a region of %zu bytes", n);
		for (off = 0; off < n; off++)
			base[off] = *region_at(&o, off);
		for (off = 0; off + 4 <= n; off += 4) {
			memcpy(&w, base + off, 4);
			for (i = 0; i < NPART; i++)
				if (w == o.id[i] && i != P_BOGUS)
					seed_word(base, off, TOKEN(i, 0));
		}
		for (j = 0; j < SHMC__ARRAY_SIZE(ops); j++) {
			snprintf(what, sizeof(what), "%zu", j);
			seed_write(seeddir, what, k, ops[j], base, n);
		}
		/* The second slot in overlay order is the live participant. */
		slot1 = o.obj_len + o.peer_size;
		memcpy(v, base, n);
		switch (k) {
		case K_MUTEX:
			seed_word(v, 0, TOKEN(P_LIVE, 0));
			seed_write(seeddir, "live", k, busy_ops, v, n);
			seed_word(v, 0, TOKEN(P_DEAD, TOKEN_WAITERS));
			seed_write(seeddir, "dead", k, busy_ops, v, n);
			seed_word(v, 0, TOKEN(P_DEAD, TOKEN_INCONS));
			seed_write(seeddir, "dead-incons", k, busy_ops, v, n);
			seed_word(v, 0, TOKEN(P_SELF, 0));
			seed_write(seeddir, "self", k, ops[0], v, n);
			break;
		case K_COND:
			seed_word(v, 4, 3);     /* waiters */
			seed_write(seeddir, "waiters", k, ops[0], v, n);
			break;
		case K_MVAR:
			/* The internal lock of a participant that died. */
			seed_word(v, 0, TOKEN(P_DEAD, 0));
			seed_write(seeddir, "lock-dead", k, ops[0], v, n);
			seed_word(v, 0, TOKEN(P_LIVE, 0));
			seed_write(seeddir, "lock-live", k, ops[0], v, n);
			/* A take_with of a dead participant holding the value. */
			memcpy(v, base, n);
			seed_word(v, 8, TOKEN(P_DEAD, 0));
			seed_word(v, 12, SHMC__RESV_HOLD | SHMC__HELD(
			    SHMC__MVAR_FULL));
			seed_write(seeddir, "hold-dead", k, ops[0], v, n);
			/* The value handed to a live, queued taker. */
			memcpy(v, base, n);
			seed_word(v, 8, TOKEN(P_LIVE, 0));
			seed_word(v, 12, SHMC__RESV_TAKE);
			seed_word(v, slot1 + 64 + 4 * SHMC__MV_KIND,
			    SHMC__Q_TAKE);
			seed_word(v, slot1 + 64 + 4 * SHMC__MV_TICKET, 1);
			seed_word(v, slot1 + 64 + 4 * SHMC__MV_ID,
			    TOKEN(P_LIVE, 0));
			seed_write(seeddir, "taker-live", k, ops[1], v, n);
			/*
			 * A live reader granted buffer 1 that has not read it
			 * yet (stopped, say): full, then empty.
			 */
			memcpy(v, base, n);
			seed_word(v, 44, 1);
			seed_word(v, slot1 + 64 + 4 * SHMC__MV_KIND,
			    SHMC__Q_GRANT1);
			seed_word(v, slot1 + 64 + 4 * SHMC__MV_ID,
			    TOKEN(P_LIVE, 0));
			seed_write(seeddir, "reader-pinned", k, pinned_ops, v,
			    n);
			seed_word(v, 4, 0);
			seed_write(seeddir, "reader-live", k, ops[1], v, n);
			break;
		default:
			/*
			 * The slot at head claimed by a dead sender, then by
			 * a live one: state (head 0, the claimant).
			 */
			seed_word(v, 256, TOKEN(P_DEAD, 0));
			seed_word(v, 260, 0);
			seed_write(seeddir, "claim-dead", k, ops[0], v, n);
			seed_word(v, 256, TOKEN(P_LIVE, 0));
			seed_write(seeddir, "claim-live", k, ops[0], v, n);
			/* Another receiver, alive; then a dead one. */
			memcpy(v, base, n);
			seed_word(v, 16, TOKEN(P_LIVE, 0));
			seed_write(seeddir, "receiver-live", k, ops[1], v, n);
			seed_word(v, 16, TOKEN(P_DEAD, 0));
			seed_write(seeddir, "receiver-dead", k, ops[1], v, n);
			break;
		}
		teardown(&o);
	}
	exit(0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *s;

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s", fuzz_private_dir("ops"));
	/* No spinning: every wait goes to the 1 ms sleeps at once. */
	if (setenv("SHMCONC_DIR", dir, 1) != 0 ||
	    setenv("SHMCONC_SPIN_US", "0", 1) != 0)
		exit(1);
	s = getenv("FUZZ_VERBOSE");
	verbose = s != NULL && *s != '\0' && *s != '0';
	sched_fd = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	skip = getenv("FUZZ_SKIP");
	if (skip != NULL && *skip == '\0')
		skip = NULL;
	s = getenv("FUZZ_SLACK_MS");
	if (s != NULL && atol(s) > 0)
		slack_ms = atol(s);
	s = getenv("SHMC_FUZZ_MKSEEDS");
	if (s != NULL && *s != '\0')
		make_seeds(s);
	return 0;
}
