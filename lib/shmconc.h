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
 */
struct shmc_attr {
	unsigned int mode;
	unsigned int peers;
	unsigned int tick_ms;
	unsigned int reserved[13];
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
