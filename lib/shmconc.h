/*
 * shmconc: concurrency primitives in POSIX shared memory that survive the
 * death of any participant.
 *
 * A robust mutex, a condition variable and (in later versions) MVars and
 * multi-producer single-consumer channels, shared by forked children and by
 * unrelated processes that open an object by name, and usable in the same
 * way between threads.  A participant may be killed with SIGKILL at any
 * instruction: nothing hangs for longer than one liveness tick and the
 * survivors are told through an error code.  shmconc(7) is the overview;
 * each group below has its own section 3 page with the full contract.
 *
 * Every function returns 0 or a positive errno value, as the pthread
 * functions do; none sets errno and none returns EINTR.  The blocking call
 * is the timed call with a NULL deadline.  Deadlines are absolute times on
 * CLOCK_MONOTONIC.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef SHMCONC_H
#define SHMCONC_H 1

#include <stddef.h>             /* size_t */
#include <sys/uio.h>            /* struct iovec */
#include <sys/types.h>          /* pid_t */
#include <time.h>               /* struct timespec */

#ifdef __cplusplus
# define SHMC_BEGIN_DECLS extern "C" {
# define SHMC_END_DECLS }
#else
# define SHMC_BEGIN_DECLS
# define SHMC_END_DECLS
#endif

#if defined(__GNUC__) || defined(__clang__)
# define SHMC_NONNULL(...) __attribute__((__nonnull__(__VA_ARGS__)))
# define SHMC_WUR __attribute__((__warn_unused_result__))
#else
# define SHMC_NONNULL(...)
# define SHMC_WUR
#endif

SHMC_BEGIN_DECLS

/* The version of this header; shmc_version() gives the library's. */
#define SHMC_VERSION_MAJOR 0
#define SHMC_VERSION_MINOR 1
#define SHMC_VERSION_PATCH 0
#define SHMC_VERSION_STRING "0.1.0"

/*
 * Flags of the open calls, as open(2): with none, the object must exist.
 * SHMC_CREAT creates a missing object; with SHMC_EXCL an existing one is
 * EEXIST.  SHMC_ANYOWNER accepts an object created by another user (the
 * default refuses it with EPERM); the file permissions still apply.
 */
#define SHMC_CREAT      0x01
#define SHMC_EXCL       0x02
#define SHMC_ANYOWNER   0x04

/* Roles a channel handle takes (shmc_chan_open flags). */
#define SHMC_SENDER     0x100
#define SHMC_RECEIVER   0x200

/*
 * Attributes of an open call.  Zero every field (or pass NULL) for the
 * defaults.  mode, peers and the kind parameters only matter when the call
 * creates the object; tick_ms is a property of the handle.
 *
 * mode         permission bits of a new named object (default 0600; the
 *              umask does not apply)
 * peers        participant slots of a new object: how many threads and
 *              processes may be attached at once (default 64, at most 1022)
 * tick_ms      liveness tick of this handle, in milliseconds: the bound on
 *              every sleep and so on the time to notice a dead peer
 *              (default SHMCONC_TICK_MS from the environment, else 100)
 * size         the largest value of a new MVar or message of a new
 *              channel, in bytes (default 4096; at most 1 GiB for an MVar,
 *              64 MiB for a channel); ignored by the other kinds
 * capacity     messages a new channel buffers (0, the default: a
 *              rendezvous channel, whose send waits until the message is
 *              received; at most 65536)
 * senders      senders a new named channel waits for before it can end
 *              (see shmc_chan(3)); 0: it ends after shmc_chan_shutdown
 */
struct shmc_attr {
	unsigned int mode;
	unsigned int peers;
	unsigned int tick_ms;
	unsigned int size;
	unsigned int capacity;
	unsigned int senders;
	unsigned int reserved[10];
};

/* The library's version string, for example "0.1.0". */
const char *shmc_version(void);

/*
 * A description of an error code returned by this library.  Codes with a
 * shmconc meaning (EMEDIUMTYPE: not a shmconc object, EPROTOTYPE: an object
 * of another kind, ...) get that meaning; others get strerror's text.
 */
const char *shmc_strerror(int err);

/*
 * Robust mutex.  Any attached thread or process may lock; only the owner
 * may unlock.  When the owner dies (process killed, or thread exited or
 * closed the handle) while holding it, the next locker acquires it and gets
 * EOWNERDEAD; it repairs the protected state and calls
 * shmc_mutex_consistent, or unlocks and every later lock is
 * ENOTRECOVERABLE.  Relocking by the owner is EDEADLK, unlocking by anyone
 * else EPERM.  trylock never blocks (EBUSY); timedlock gives up at the
 * deadline (ETIMEDOUT).  See shmc_mutex(3).
 */
struct shmc_mutex;

int shmc_mutex_open(const char *name, int flags, const struct shmc_attr *attr,
    struct shmc_mutex **out) SHMC_NONNULL(4) SHMC_WUR;
int shmc_mutex_close(struct shmc_mutex *m);
int shmc_mutex_unlink(const char *name) SHMC_NONNULL(1);
int shmc_mutex_lock(struct shmc_mutex *m) SHMC_NONNULL(1) SHMC_WUR;
int shmc_mutex_trylock(struct shmc_mutex *m) SHMC_NONNULL(1) SHMC_WUR;
int shmc_mutex_timedlock(struct shmc_mutex *m, const struct timespec *deadline)
    SHMC_NONNULL(1) SHMC_WUR;
int shmc_mutex_unlock(struct shmc_mutex *m) SHMC_NONNULL(1);
int shmc_mutex_consistent(struct shmc_mutex *m) SHMC_NONNULL(1);

/*
 * Condition variable, used with a shmc_mutex the caller holds.  wait
 * releases the mutex, sleeps until a signal or broadcast (or spuriously),
 * and re-acquires it, passing EOWNERDEAD through.  signal wakes at least
 * one waiter, broadcast all; neither ever blocks, whatever happened to the
 * waiters, and neither needs the mutex.  See shmc_cond(3).
 */
struct shmc_cond;

int shmc_cond_open(const char *name, int flags, const struct shmc_attr *attr,
    struct shmc_cond **out) SHMC_NONNULL(4) SHMC_WUR;
int shmc_cond_close(struct shmc_cond *c);
int shmc_cond_unlink(const char *name) SHMC_NONNULL(1);
int shmc_cond_wait(struct shmc_cond *c, struct shmc_mutex *m)
    SHMC_NONNULL(1, 2) SHMC_WUR;
int shmc_cond_timedwait(struct shmc_cond *c, struct shmc_mutex *m,
    const struct timespec *deadline) SHMC_NONNULL(1, 2) SHMC_WUR;
int shmc_cond_signal(struct shmc_cond *c) SHMC_NONNULL(1);
int shmc_cond_broadcast(struct shmc_cond *c) SHMC_NONNULL(1);

/*
 * MVar, after GHC's Control.Concurrent.MVar: a box that is empty or holds
 * one value of at most attr.size bytes.  take empties it, waiting while it
 * is empty; put fills it, waiting while it is full; read copies the value
 * without emptying it; swap replaces the value and returns the old one;
 * take_with hands the value to fn and empties the box only if fn returns
 * 0; modify takes the value, runs fn on it and puts fn's result, or puts
 * the old value back if fn fails.  Any participant may call anything
 * concurrently.  Queued waiters are served in arrival order, one taker
 * per put and one putter per take; every blocked reader gets the next
 * value put.  try_ calls never wait for the MVar (EAGAIN); timed calls give
 * up at the deadline (ETIMEDOUT).  A value larger than the caller's buffer
 * is EMSGSIZE and stays where it is.  A participant killed inside any call
 * leaves the MVar as before the call or as after it; a value held by a
 * take_with or modify whose caller died (it may have acted on the value)
 * is restored, and the next take, swap, take_with or modify returns it with
 * EOWNERDEAD.  On an anonymous MVar that no other live
 * participant can reach, a call that would wait for ever returns EDEADLK.
 * See shmc_mvar(3).
 */
struct shmc_mvar;

int shmc_mvar_open(const char *name, int flags, const struct shmc_attr *attr,
    struct shmc_mvar **out) SHMC_NONNULL(4) SHMC_WUR;
int shmc_mvar_open_full(const char *name, int flags,
    const struct shmc_attr *attr, const void *value, size_t len,
    struct shmc_mvar **out) SHMC_NONNULL(6) SHMC_WUR;
int shmc_mvar_close(struct shmc_mvar *mv);
int shmc_mvar_unlink(const char *name) SHMC_NONNULL(1);
int shmc_mvar_take(struct shmc_mvar *mv, void *buf, size_t size, size_t *len)
    SHMC_NONNULL(1, 4) SHMC_WUR;
int shmc_mvar_try_take(struct shmc_mvar *mv, void *buf, size_t size,
    size_t *len) SHMC_NONNULL(1, 4) SHMC_WUR;
int shmc_mvar_timedtake(struct shmc_mvar *mv, void *buf, size_t size,
    size_t *len, const struct timespec *deadline) SHMC_NONNULL(1, 4) SHMC_WUR;
int shmc_mvar_put(struct shmc_mvar *mv, const void *value, size_t len)
    SHMC_NONNULL(1) SHMC_WUR;
int shmc_mvar_try_put(struct shmc_mvar *mv, const void *value, size_t len)
    SHMC_NONNULL(1) SHMC_WUR;
int shmc_mvar_timedput(struct shmc_mvar *mv, const void *value, size_t len,
    const struct timespec *deadline) SHMC_NONNULL(1) SHMC_WUR;
int shmc_mvar_read(struct shmc_mvar *mv, void *buf, size_t size, size_t *len)
    SHMC_NONNULL(1, 4) SHMC_WUR;
int shmc_mvar_try_read(struct shmc_mvar *mv, void *buf, size_t size,
    size_t *len) SHMC_NONNULL(1, 4) SHMC_WUR;
int shmc_mvar_timedread(struct shmc_mvar *mv, void *buf, size_t size,
    size_t *len, const struct timespec *deadline) SHMC_NONNULL(1, 4) SHMC_WUR;
int shmc_mvar_swap(struct shmc_mvar *mv, const void *value, size_t len,
    void *old, size_t size, size_t *oldlen) SHMC_NONNULL(1, 6) SHMC_WUR;
int shmc_mvar_timedswap(struct shmc_mvar *mv, const void *value, size_t len,
    void *old, size_t size, size_t *oldlen, const struct timespec *deadline)
    SHMC_NONNULL(1, 6) SHMC_WUR;
int shmc_mvar_take_with(struct shmc_mvar *mv,
    int (*fn)(void *arg, const void *value, size_t len), void *arg)
    SHMC_NONNULL(1, 2) SHMC_WUR;
int shmc_mvar_timedtake_with(struct shmc_mvar *mv,
    int (*fn)(void *arg, const void *value, size_t len), void *arg,
    const struct timespec *deadline) SHMC_NONNULL(1, 2) SHMC_WUR;
int shmc_mvar_modify(struct shmc_mvar *mv,
    int (*fn)(void *arg, const void *old, size_t oldlen, void *new_value,
    size_t size, size_t *newlen), void *arg) SHMC_NONNULL(1, 2) SHMC_WUR;
int shmc_mvar_timedmodify(struct shmc_mvar *mv,
    int (*fn)(void *arg, const void *old, size_t oldlen, void *new_value,
    size_t size, size_t *newlen), void *arg, const struct timespec *deadline)
    SHMC_NONNULL(1, 2) SHMC_WUR;
int shmc_mvar_is_empty(struct shmc_mvar *mv, int *empty) SHMC_NONNULL(1, 2);
int shmc_mvar_size(struct shmc_mvar *mv, size_t *size) SHMC_NONNULL(1, 2);

/*
 * Channel, after Rust's std::sync::mpsc::sync_channel: a bounded queue of
 * byte messages (at most attr.size bytes each) with any number of senders
 * and one receiver.  A handle opened with SHMC_SENDER sends; one opened
 * with SHMC_RECEIVER receives, and a second live receiver is EBUSY.
 *
 *   call                     who                  concurrently with
 *   send, try_send, ...      sender handles       everything
 *   recv, try_recv, ...      the receiver handle  senders; not itself
 *   shutdown                 any handle           all but sends through
 *                                                 the same handle
 *   stat                     any handle           everything
 *
 * Messages of one sender arrive in the order sent.  send waits while the
 * channel is full (capacity 0: until the message is received) and fails
 * with EPIPE, the message still the caller's, once the receiver is gone.
 * recv waits while it is empty and returns EPIPE once the channel has
 * ended: every sender gone (closed, exited or killed), no more expected,
 * and every message received.  A sender killed inside send leaves no
 * message and no hole; a receiver killed inside recv leaves the message
 * for the next receiver (at least once; shmc_msginfo tells duplicates).
 * try_ calls never wait (EAGAIN); timed calls stop at the deadline
 * (ETIMEDOUT).  See shmc_chan(3).
 */
struct shmc_chan;

/*
 * Where a received message came from.  pos is unique and increasing in
 * the channel; (sender, seq) is unique per sender handle, whose threads
 * and fork children share the counter.
 */
struct shmc_msginfo {
	unsigned int sender;            /* the sending handle's ID */
	unsigned int seq;               /* its sequence number (wraps) */
	unsigned long long pos;         /* position in the channel */
};

/* A snapshot of a channel, for display. */
struct shmc_chan_stat {
	unsigned long long sent;        /* positions claimed so far */
	unsigned long long received;    /* positions received or skipped */
	unsigned long long skipped;     /* claims of dead senders skipped */
	unsigned int capacity;          /* 0 for a rendezvous channel */
	unsigned int size;
	unsigned int depth;             /* messages waiting */
	unsigned int senders;           /* live senders */
	unsigned int expected;          /* attr.senders */
	unsigned int joined;            /* senders that ever joined */
	int receiver;                   /* 1 live, 0 none yet, -1 gone */
	int held;                       /* the creator's hold lasts */
	unsigned int reserved[8];
};

int shmc_chan_open(const char *name, int flags, const struct shmc_attr *attr,
    struct shmc_chan **out) SHMC_NONNULL(4) SHMC_WUR;
int shmc_chan_close(struct shmc_chan *ch);
int shmc_chan_unlink(const char *name) SHMC_NONNULL(1);
int shmc_chan_shutdown(struct shmc_chan *ch) SHMC_NONNULL(1);
int shmc_chan_send(struct shmc_chan *ch, const void *msg, size_t len)
    SHMC_NONNULL(1) SHMC_WUR;
int shmc_chan_try_send(struct shmc_chan *ch, const void *msg, size_t len)
    SHMC_NONNULL(1) SHMC_WUR;
int shmc_chan_timedsend(struct shmc_chan *ch, const void *msg, size_t len,
    const struct timespec *deadline) SHMC_NONNULL(1) SHMC_WUR;
int shmc_chan_send_many(struct shmc_chan *ch, const struct iovec *msgs,
    size_t n, size_t *sent, const struct timespec *deadline)
    SHMC_NONNULL(1, 4) SHMC_WUR;
int shmc_chan_recv(struct shmc_chan *ch, void *buf, size_t size, size_t *len)
    SHMC_NONNULL(1, 4) SHMC_WUR;
int shmc_chan_try_recv(struct shmc_chan *ch, void *buf, size_t size,
    size_t *len) SHMC_NONNULL(1, 4) SHMC_WUR;
int shmc_chan_timedrecv(struct shmc_chan *ch, void *buf, size_t size,
    size_t *len, const struct timespec *deadline) SHMC_NONNULL(1, 4) SHMC_WUR;
int shmc_chan_recv_many(struct shmc_chan *ch, void *buf, size_t size,
    size_t *lens, size_t n, size_t *got, const struct timespec *deadline)
    SHMC_NONNULL(1, 4, 6) SHMC_WUR;
int shmc_chan_recv_with(struct shmc_chan *ch,
    int (*fn)(void *arg, const void *msg, size_t len,
    const struct shmc_msginfo *info), void *arg,
    const struct timespec *deadline) SHMC_NONNULL(1, 2) SHMC_WUR;
int shmc_chan_stat(struct shmc_chan *ch, struct shmc_chan_stat *st)
    SHMC_NONNULL(1, 2);

/*
 * Inspection and removal, for tools such as shmls(1) and shmrm(1).  The
 * inspect calls only look: they never attach, wait, or change an object,
 * and they describe damaged or foreign files in our namespace rather than
 * fail on them.  shmc_list names every file in the namespace; shmc_remove
 * removes one of any kind, with SHMC_STALE only if no participant is
 * alive (EBUSY otherwise), keeping anyone from attaching meanwhile.
 * See shmc_inspect(3).
 */
#define SHMC_KIND_MUTEX         1
#define SHMC_KIND_COND          2
#define SHMC_KIND_MVAR          3
#define SHMC_KIND_CHAN          4

#define SHMC_STATE_NONE         0       /* condvar, channel */
#define SHMC_STATE_FREE         1       /* mutex: unlocked */
#define SHMC_STATE_HELD         2       /* mutex: held by a live owner */
#define SHMC_STATE_OWNER_DIED   3       /* mutex: its owner died holding it */
#define SHMC_STATE_INCONSISTENT 4       /* mutex: taken over, not repaired */
#define SHMC_STATE_NOT_RECOVERABLE 5    /* mutex */
#define SHMC_STATE_EMPTY        6       /* MVar */
#define SHMC_STATE_FULL         7       /* MVar */

#define SHMC_WAIT_NONE          0
#define SHMC_WAIT_LOCK          1
#define SHMC_WAIT_COND          2
#define SHMC_WAIT_TAKE          3
#define SHMC_WAIT_PUT           4
#define SHMC_WAIT_READ          5
#define SHMC_WAIT_SEND          6
#define SHMC_WAIT_RECV          7

#define SHMC_ROLE_THREAD        0
#define SHMC_ROLE_SENDER        1
#define SHMC_ROLE_RECEIVER      2

#define SHMC_STALE              0x01

struct shmc_info {
	char name[204];                 /* canonical name */
	int kind;                       /* SHMC_KIND_*, 0 if unreadable */
	int error;                      /* 0, or why it cannot be read */
	unsigned int uid;               /* owner */
	unsigned int mode;              /* permission bits */
	unsigned long long size;        /* file size in bytes */
	long long ctime;                /* creation, seconds since the epoch */
	unsigned int peers;             /* participant slots */
	unsigned int attached;          /* live participants */
	unsigned int waiters;           /* participants asleep on it */
	int state;                      /* SHMC_STATE_* */
	int holder;                     /* mutex: the owner's pid, or 0 */
	unsigned int value_size;        /* MVar value, channel message */
	struct shmc_chan_stat chan;     /* a channel's figures */
	int died;                       /* mutex: pid of the last owner that
					   died holding it, or 0 */
	unsigned int reserved[7];
};

struct shmc_peer_info {
	unsigned int slot;
	int alive;                      /* its lease is held */
	int left;                       /* it detached cleanly */
	int pid;
	int tid;
	unsigned long long start;       /* process start, ticks after boot */
	char comm[17];                  /* thread name */
	int role;                       /* SHMC_ROLE_* (channels) */
	int waiting;                    /* SHMC_WAIT_* */
	long long wait_since;           /* CLOCK_REALTIME, ns */
};

int shmc_list(char ***names, size_t *n) SHMC_NONNULL(1, 2) SHMC_WUR;
void shmc_list_free(char **names, size_t n);
int shmc_inspect(const char *name, struct shmc_info *info)
    SHMC_NONNULL(1, 2);
int shmc_inspect_peers(const char *name, struct shmc_peer_info *peers,
    size_t max, size_t *n) SHMC_NONNULL(1, 4);
int shmc_remove(const char *name, int flags) SHMC_NONNULL(1);

/*
 * Tasks: run fn(arg) in a new process (SHMC_PROCESS, a fork of the caller)
 * or a new thread (SHMC_THREAD) with the same code.  With
 * SHMC_DIE_WITH_PARENT a process task is killed when the thread that
 * spawned it ends, as a thread dies with its process.  join waits for the
 * task and stores a wait(2) status: WIFEXITED with fn's return value (low
 * 8 bits), or WIFSIGNALED for a process killed by a signal.  Each task is
 * joined exactly once.  See shmc_task(3).
 */
#define SHMC_PROCESS            0x01
#define SHMC_THREAD             0x02
#define SHMC_DIE_WITH_PARENT    0x10

struct shmc_task;

int shmc_task_spawn(int flags, int (*fn)(void *), void *arg,
    struct shmc_task **out) SHMC_NONNULL(2, 4) SHMC_WUR;
int shmc_task_join(struct shmc_task *t, int *status) SHMC_NONNULL(1);
int shmc_task_pid(const struct shmc_task *t, pid_t *pid) SHMC_NONNULL(1, 2);

SHMC_END_DECLS

#endif /* SHMCONC_H */
