/*
 * Tests for the segment layer (lib/shm.c): object names, open flags and
 * attributes, file modes, kinds, foreign and damaged files at a name,
 * concurrent and interrupted creation, anonymous objects, error texts and
 * a full participant table.  Everything goes through the public open and
 * unlink calls, plus direct manipulation of the files in the private shm
 * directory.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shmconc.h"
#include "lib/shm.h"
#include "tests/tap/basic.h"
#include "tests/tap/shmc.h"

/* Children of the creation race and increments per child. */
#define RACERS          8
#define RACE_ROUNDS     20
#define RACE_LOOPS      1000

/* The unprivileged user of the ownership tests. */
#define OTHER_UID       65534

/* Plain data shared with forked children: an anonymous MAP_SHARED page. */
struct shared {
	volatile unsigned long counter;
	volatile int inside;
	volatile int overlap;
	int flip[sizeof(struct shmc__hdr)];
};
static struct shared *sh;

/* The bytes of a valid mutex file, the template of the damaged copies. */
static unsigned char *image;
static size_t image_len;

/* FNV-1a 64, as lib/shm.c computes the header checksum. */
static uint64_t
fnv1a(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Open the mutex name and close it again; returns what open returned. */
static int
try_mutex(const char *name, int flags, const struct shmc_attr *attr)
{
	struct shmc_mutex *m;
	int r;

	r = shmc_mutex_open(name, flags, attr, &m);
	if (r == 0)
		shmc_mutex_close(m);
	return r;
}

static int
try_cond(const char *name, int flags, const struct shmc_attr *attr)
{
	struct shmc_cond *c;
	int r;

	r = shmc_cond_open(name, flags, attr, &c);
	if (r == 0)
		shmc_cond_close(c);
	return r;
}

/* Open the mutex name or bail. */
static struct shmc_mutex *
open_mutex(const char *name, int flags, const struct shmc_attr *attr)
{
	struct shmc_mutex *m;
	int r;

	r = shmc_mutex_open(name, flags, attr, &m);
	if (r != 0)
		bail("cannot open mutex %s: %s",
		    name != NULL ? name : "(anonymous)", shmc_strerror(r));
	return m;
}

/* Does the file of object name exist (as anything, without following)? */
static int
file_exists(const char *name)
{
	struct stat st;
	char *path = test_shm_path(name);
	int r;

	r = lstat(path, &st) == 0;
	free(path);
	return r;
}

/* The permission bits of the file of object name, or -1. */
static int
file_mode(const char *name, uid_t *uid)
{
	struct stat st;
	char *path = test_shm_path(name);
	int r;

	r = stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : -1;
	if (r >= 0 && uid != NULL)
		*uid = st.st_uid;
	free(path);
	return r;
}

/* Replace the file of object name with len bytes of data. */
static void
write_file(const char *name, const void *data, size_t len)
{
	char *path = test_shm_path(name);
	const char *p = data;
	ssize_t n;
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		sysbail("cannot create %s", path);
	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0)
			sysbail("cannot write %s", path);
		p += n;
		len -= (size_t)n;
	}
	close(fd);
	free(path);
}

/* Read the whole file of object name into a malloc'd buffer. */
static unsigned char *
read_file(const char *name, size_t *len)
{
	char *path = test_shm_path(name);
	unsigned char *buf;
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		sysbail("cannot open %s", path);
	buf = bmalloc((size_t)st.st_size);
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			sysbail("cannot read %s", path);
		got += (size_t)n;
	}
	close(fd);
	free(path);
	*len = got;
	return buf;
}

/* Remove the file of object name directly, whatever it is. */
static void
remove_file(const char *name)
{
	char *path = test_shm_path(name);

	if (unlink(path) < 0 && errno == EISDIR)
		rmdir(path);
	free(path);
}

/*
 * Write a copy of the template with the header edited by edit (which may
 * be NULL) and the checksum recomputed, under name.
 */
static void
write_edited(const char *name, void (*edit)(struct shmc__hdr *))
{
	unsigned char *copy = bmalloc(image_len);
	struct shmc__hdr h;

	memcpy(copy, image, image_len);
	memcpy(&h, copy, sizeof(h));
	if (edit != NULL)
		edit(&h);
	h.checksum = fnv1a(&h, offsetof(struct shmc__hdr, checksum));
	memcpy(copy, &h, sizeof(h));
	write_file(name, copy, image_len);
	free(copy);
}

static void edit_version(struct shmc__hdr *h) { h->version = 2; }
static void edit_fingerprint(struct shmc__hdr *h) { h->fingerprint ^= 1; }
static void edit_kind_cond(struct shmc__hdr *h) { h->kind = 2; }
static void edit_kind_9(struct shmc__hdr *h) { h->kind = 9; }
static void edit_kind_0(struct shmc__hdr *h) { h->kind = 0; }
static void edit_npeers_0(struct shmc__hdr *h) { h->npeers = 0; }
static void edit_npeers_max(struct shmc__hdr *h) { h->npeers = 1023; }
static void edit_obj_off(struct shmc__hdr *h) { h->obj_off += 64; }
static void edit_peer_off(struct shmc__hdr *h) { h->peer_off += 64; }
static void edit_peer_size(struct shmc__hdr *h) { h->peer_size = 64; }
static void edit_hdr_size(struct shmc__hdr *h) { h->hdr_size = 256; }
static void edit_reserved(struct shmc__hdr *h) { h->reserved[2] = 1; }
static void edit_param(struct shmc__hdr *h) { h->param[0] = 1; }
static void edit_display(struct shmc__hdr *h) { h->ctime_sec = 12345; }

static int
child_trylock(void *arg)
{
	return shmc_mutex_trylock(arg);
}

/* Lock and exit holding the mutex: a dead owner. */
static int
child_lock(void *arg)
{
	return shmc_mutex_lock(arg);
}

/* Lock, unlock and report both. */
static int
child_lock_unlock(void *arg)
{
	int r;

	r = shmc_mutex_lock(arg);
	if (r != 0)
		return r;
	return shmc_mutex_unlock(arg) == 0 ? 0 : 200;
}

/* Flip every header byte in turn of a copy of the template and open it. */
static int
child_flip(void *arg)
{
	unsigned char *copy = bmalloc(image_len);
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(struct shmc__hdr); i++) {
		memcpy(copy, image, image_len);
		copy[i] ^= 0xff;
		write_file("flip", copy, image_len);
		sh->flip[i] = try_mutex("flip", 0, NULL);
	}
	remove_file("flip");
	free(copy);
	return 0;
}

/* The expected error for a header whose byte at offset was flipped. */
static int
flip_error(size_t offset)
{
	if (offset < offsetof(struct shmc__hdr, version))
		return EMEDIUMTYPE;
	if (offset < offsetof(struct shmc__hdr, fingerprint))
		return EPROTONOSUPPORT;
	/* The checksum is checked before the fingerprint. */
	return EBADMSG;
}

/* One racer: wait for the start, open with flags, count under the lock. */
struct racer {
	const char *name;
	int go;
	int flags;
};

static int
child_race(void *arg)
{
	struct racer *rc = arg;
	struct shmc_mutex *m;
	char c;
	int i, r;

	if (read(rc->go, &c, 1) != 0)
		return 3;
	r = shmc_mutex_open(rc->name, rc->flags, NULL, &m);
	if (r == EEXIST)
		return 100;
	if (r != 0)
		return 1;
	if (rc->flags & SHMC_EXCL)
		return 0;
	for (i = 0; i < RACE_LOOPS; i++) {
		if (shmc_mutex_lock(m) != 0)
			return 2;
		if (sh->inside++ != 0)
			sh->overlap = 1;
		/* Now and then, let another racer run inside. */
		if (i % 100 == 0)
			sched_yield();
		sh->counter++;
		sh->inside--;
		if (shmc_mutex_unlock(m) != 0)
			return 2;
	}
	shmc_mutex_close(m);
	return 0;
}

/*
 * One round of the creation race: RACERS children open name with flags at
 * once.  Stores how many opened (exit 0) and how many got EEXIST.
 */
static void
race(const char *name, int flags, int *opened, int *exists)
{
	struct racer rc;
	pid_t pid[RACERS];
	int go[2], i, code;

	if (pipe(go) < 0)
		sysbail("pipe");
	rc.name = name;
	rc.flags = flags;
	rc.go = go[0];
	for (i = 0; i < RACERS; i++) {
		pid[i] = fork();
		if (pid[i] < 0)
			sysbail("fork");
		if (pid[i] == 0) {
			close(go[1]);
			_exit(child_race(&rc));
		}
	}
	close(go[0]);
	/* End of file on the pipe starts every racer at once. */
	close(go[1]);
	*opened = *exists = 0;
	for (i = 0; i < RACERS; i++) {
		code = test_reap(pid[i]);
		if (code == 0)
			(*opened)++;
		else if (code == 100)
			(*exists)++;
		else
			diag("racer %d of %s exited with %d", i, name, code);
	}
}

/* A creator that stops itself at point, then trylocks what it opened. */
struct creator {
	const char *name;
	const char *point;
};

static int
child_create(void *arg)
{
	struct creator *cr = arg;
	struct shmc_mutex *m;
	int r;

	if (setenv("SHMCONC_STOP", cr->point, 1) < 0)
		return 201;
	r = shmc_mutex_open(cr->name, SHMC_CREAT, NULL, &m);
	if (r != 0)
		return 202;
	return shmc_mutex_trylock(m);
}

/* As the unprivileged user: open name with flags, lock and unlock. */
struct asuser {
	const char *name;
	int flags;
};

static int
child_other_user(void *arg)
{
	struct asuser *au = arg;
	struct shmc_mutex *m;
	int r;

	if (setgid(OTHER_UID) < 0 || setuid(OTHER_UID) < 0)
		return 201;
	r = shmc_mutex_open(au->name, au->flags, NULL, &m);
	if (r != 0)
		return r;
	r = shmc_mutex_lock(m);
	if (r == 0)
		r = shmc_mutex_unlock(m);
	return r;
}

/* Threads of the participant table tests. */
static void *
thread_trylock(void *arg)
{
	int r;

	r = shmc_mutex_trylock(arg);
	if (r == 0)
		(void)shmc_mutex_unlock(arg);
	return (void *)(long)r;
}

static void *
thread_lock(void *arg)
{
	int r;

	r = shmc_mutex_lock(arg);
	if (r == 0)
		(void)shmc_mutex_unlock(arg);
	return (void *)(long)r;
}

static int
in_thread(void *(*fn)(void *), struct shmc_mutex *m)
{
	pthread_t t;
	void *ret;
	int r;

	r = pthread_create(&t, NULL, fn, m);
	if (r != 0) {
		errno = r;
		sysbail("pthread_create");
	}
	pthread_join(t, &ret);
	return (int)(long)ret;
}

int
main(void)
{
	static const struct {
		const char *name;
		const char *label;
	} bad[] = {
		{ "", "empty" },
		{ ".", "\".\"" },
		{ "..", "\"..\"" },
		{ ".hidden", "starting with a dot" },
		{ "-x", "starting with a dash" },
		{ "a/b", "with a slash" },
		{ "/", "\"/\"" },
		{ "//x", "with two leading slashes" },
		{ "/.x", "with a slash then a dot" },
		{ "a b", "with a space" },
		{ "a\nb", "with a newline" },
		{ "a\tb", "with a tab" },
		{ "a\x7f", "with 0x7f" },
		{ "caf\xc3\xa9", "with a UTF-8 letter" },
		{ "x*", "with a star" },
	};
	struct shmc_attr attr;
	struct shmc_mutex *m, *m2;
	struct shmc_cond *c;
	struct creator cr;
	struct asuser au;
	struct sockaddr_un addr;
	unsigned char *junk;
	char long_name[SHMC__NAME_MAX + 3], *path, *path2;
	const char *dir;
	size_t i;
	pid_t pid;
	uid_t uid;
	mode_t old_umask;
	unsigned int seed;
	int r, n, before, good, opened, exists, files, counts, round, sock;
	int all_opened, all_one_file, all_counted, all_one_winner;
	int stopped;

	test_timeout(60);
	plan(173);
	test_shm_setup();

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		sysbail("mmap");

	/* Invalid names are EINVAL and create nothing. */
	memset(long_name, 'a', SHMC__NAME_MAX + 1);
	long_name[SHMC__NAME_MAX + 1] = '\0';
	before = test_shm_count();
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		is_int(EINVAL, try_mutex(bad[i].name, SHMC_CREAT, NULL),
		    "name %s is refused", bad[i].label);
	is_int(EINVAL, try_mutex(long_name, SHMC_CREAT, NULL),
	    "name of 201 bytes is refused");
	good = 1;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (try_cond(bad[i].name, SHMC_CREAT, NULL) != EINVAL)
			good = 0;
	ok(good, "...by shmc_cond_open too");
	good = 1;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (shmc_mutex_unlink(bad[i].name) != EINVAL ||
		    shmc_cond_unlink(bad[i].name) != EINVAL)
			good = 0;
	ok(good, "...and by unlink");
	is_int(before, test_shm_count(), "...and no file was created");

	/* 200 bytes is the longest name; a leading slash does not count. */
	long_name[SHMC__NAME_MAX] = '\0';
	is_int(0, try_mutex(long_name, SHMC_CREAT, NULL),
	    "name of 200 bytes is accepted");
	ok(file_exists(long_name), "...as the file shmconc.NAME");
	long_name[0] = '/';
	memset(long_name + 1, 'a', SHMC__NAME_MAX);
	long_name[SHMC__NAME_MAX + 1] = '\0';
	is_int(0, try_mutex(long_name, 0, NULL),
	    "...and reached with a slash");
	is_int(0, shmc_mutex_unlink(long_name), "...and unlinked with one");

	/* "x" and "/x" are one object. */
	before = test_shm_count();
	m = open_mutex("x", SHMC_CREAT | SHMC_EXCL, NULL);
	r = shmc_mutex_open("/x", 0, NULL, &m2);
	is_int(0, r, "/x opens the object created as x");
	if (r != 0)
		bail("cannot go on without /x");
	is_int(before + 1, test_shm_count(), "...which is one file");
	is_int(0, shmc_mutex_lock(m), "...lock through x");
	is_int(EBUSY, test_reap(test_fork(child_trylock, m2)),
	    "...child trylock through /x is EBUSY");
	is_int(EDEADLK, shmc_mutex_trylock(m2),
	    "...owner trylock through /x is EDEADLK");
	is_int(0, shmc_mutex_unlock(m), "...unlock through x");
	is_int(0, test_reap(test_fork(child_lock_unlock, m2)),
	    "...then a child locks through /x");
	shmc_mutex_close(m2);
	shmc_mutex_close(m);

	/* Flags and attributes are checked before anything is done. */
	before = test_shm_count();
	is_int(EINVAL, try_mutex("fa", SHMC_EXCL, NULL),
	    "SHMC_EXCL without SHMC_CREAT is EINVAL");
	is_int(EINVAL, try_mutex("fa", SHMC_CREAT | 0x08, NULL),
	    "unknown flag bit is EINVAL");
	is_int(EINVAL, try_mutex("fa", SHMC_CREAT | (int)0x80000000U, NULL),
	    "...and so is the top bit");
	memset(&attr, 0, sizeof(attr));
	attr.mode = 01600;
	is_int(EINVAL, try_mutex("fa", SHMC_CREAT, &attr),
	    "mode with bits outside 0777 is EINVAL");
	memset(&attr, 0, sizeof(attr));
	attr.peers = SHMC__PEERS_MAX + 1;
	is_int(EINVAL, try_mutex("fa", SHMC_CREAT, &attr),
	    "peers 1023 is EINVAL");
	memset(&attr, 0, sizeof(attr));
	attr.tick_ms = 60001;
	is_int(EINVAL, try_mutex("fa", SHMC_CREAT, &attr),
	    "tick_ms 60001 is EINVAL");
	memset(&attr, 0, sizeof(attr));
	attr.reserved[0] = 1;
	is_int(EINVAL, try_mutex("fa", SHMC_CREAT, &attr),
	    "non-zero reserved[0] is EINVAL");
	memset(&attr, 0, sizeof(attr));
	attr.reserved[ARRAY_SIZE(attr.reserved) - 1] = 1;
	is_int(EINVAL, try_mutex("fa", SHMC_CREAT, &attr),
	    "...and so is the last reserved field");
	is_int(before, test_shm_count(), "...and none created a file");
	memset(&attr, 0, sizeof(attr));
	attr.peers = SHMC__PEERS_MAX;
	attr.tick_ms = 60000;
	is_int(0, try_mutex("fa", SHMC_CREAT, &attr),
	    "peers 1022 and tick_ms 60000 are accepted");
	is_int(ENOENT, try_mutex("missing", 0, NULL),
	    "missing object without SHMC_CREAT is ENOENT");
	ok(!file_exists("missing"), "...and is not created");
	is_int(0, try_mutex("excl", SHMC_CREAT | SHMC_EXCL, NULL),
	    "SHMC_CREAT|SHMC_EXCL creates");
	is_int(EEXIST, try_mutex("excl", SHMC_CREAT | SHMC_EXCL, NULL),
	    "...and is EEXIST the second time");
	is_int(0, try_mutex("excl", SHMC_ANYOWNER, NULL),
	    "SHMC_ANYOWNER opens our own object");

	/* SHMC_CREAT on an existing object opens it, with its state. */
	m = open_mutex("state", SHMC_CREAT | SHMC_EXCL, NULL);
	if (shmc_mutex_lock(m) != 0)
		bail("cannot lock state");
	shmc_mutex_close(m);
	m = open_mutex("state", SHMC_CREAT, NULL);
	is_int(EOWNERDEAD, shmc_mutex_trylock(m),
	    "SHMC_CREAT on an existing object keeps its state");
	is_int(0, shmc_mutex_consistent(m), "...which can be repaired");
	is_int(0, shmc_mutex_unlock(m), "...and unlocked");
	shmc_mutex_close(m);

	/* The mode is exactly the one asked for, whatever the umask. */
	old_umask = umask(0);
	is_int(0, try_mutex("mode1", SHMC_CREAT, NULL), "create with umask 0");
	is_int(0600, file_mode("mode1", &uid), "...gives mode 0600");
	is_int(geteuid(), uid, "...and our uid as owner");
	umask(077);
	is_int(0, try_mutex("mode2", SHMC_CREAT, NULL),
	    "create with umask 077");
	is_int(0600, file_mode("mode2", NULL), "...gives mode 0600");
	memset(&attr, 0, sizeof(attr));
	attr.mode = 0640;
	umask(0);
	is_int(0, try_mutex("mode3", SHMC_CREAT, &attr),
	    "create mode 0640 with umask 0");
	is_int(0640, file_mode("mode3", NULL), "...gives mode 0640");
	umask(077);
	is_int(0, try_mutex("mode4", SHMC_CREAT, &attr),
	    "create mode 0640 with umask 077");
	is_int(0640, file_mode("mode4", NULL), "...gives mode 0640");
	attr.mode = 0666;
	umask(022);
	is_int(0, try_mutex("mode5", SHMC_CREAT, &attr),
	    "create mode 0666 with umask 022");
	is_int(0666, file_mode("mode5", NULL), "...gives mode 0666");
	is_int(0, try_mutex("mode1", SHMC_CREAT, &attr),
	    "SHMC_CREAT with a mode on an existing object");
	is_int(0600, file_mode("mode1", NULL), "...leaves its mode alone");
	umask(old_umask);

	/* Kinds share one name space and are told apart. */
	is_int(0, try_cond("kc", SHMC_CREAT, NULL), "create a cond");
	is_int(EPROTOTYPE, try_mutex("kc", 0, NULL),
	    "...opened as a mutex is EPROTOTYPE");
	is_int(EPROTOTYPE, try_mutex("kc", SHMC_CREAT, NULL),
	    "...also with SHMC_CREAT");
	is_int(EEXIST, try_mutex("kc", SHMC_CREAT | SHMC_EXCL, NULL),
	    "...and with SHMC_EXCL it is EEXIST");
	is_int(EPROTOTYPE, shmc_mutex_unlink("kc"),
	    "...shmc_mutex_unlink is EPROTOTYPE");
	ok(file_exists("kc"), "...and leaves the file");
	is_int(0, shmc_cond_unlink("kc"), "...shmc_cond_unlink removes it");
	ok(!file_exists("kc"), "...and the file is gone");
	is_int(EPROTOTYPE, try_cond("state", 0, NULL),
	    "a mutex opened as a cond is EPROTOTYPE");
	is_int(EPROTOTYPE, shmc_cond_unlink("state"),
	    "...shmc_cond_unlink of it is EPROTOTYPE");
	is_int(ENOENT, shmc_mutex_unlink("missing"),
	    "shmc_mutex_unlink of a missing name is ENOENT");
	is_int(ENOENT, shmc_cond_unlink("missing"),
	    "shmc_cond_unlink of a missing name is ENOENT");

	/* Unlink removes the name only. */
	m = open_mutex("unl", SHMC_CREAT | SHMC_EXCL, NULL);
	is_int(0, shmc_mutex_unlink("/unl"), "unlink an open mutex");
	ok(!file_exists("unl"), "...removes the file");
	is_int(0, shmc_mutex_lock(m), "...the handle still locks");
	is_int(0, shmc_mutex_unlock(m), "...and unlocks");
	is_int(ENOENT, try_mutex("unl", 0, NULL), "...a new open is ENOENT");
	if (shmc_mutex_lock(m) != 0)
		bail("cannot lock unl");
	m2 = open_mutex("unl", SHMC_CREAT, NULL);
	is_int(0, shmc_mutex_trylock(m2), "...SHMC_CREAT makes a new object");
	shmc_mutex_close(m2);
	shmc_mutex_close(m);

	/* Foreign files at the name are not shmconc objects. */
	m = open_mutex("tmpl", SHMC_CREAT | SHMC_EXCL, NULL);
	shmc_mutex_close(m);
	image = read_file("tmpl", &image_len);
	write_file("empty", "", 0);
	is_int(EMEDIUMTYPE, try_mutex("empty", 0, NULL),
	    "empty file is EMEDIUMTYPE");
	is_int(EMEDIUMTYPE, try_mutex("empty", SHMC_CREAT, NULL),
	    "...also with SHMC_CREAT");
	is_int(EMEDIUMTYPE, shmc_mutex_unlink("empty"),
	    "...and to unlink");
	ok(file_exists("empty"), "...which leaves it");
	write_file("magic7", "SHMCONC", 7);
	is_int(EMEDIUMTYPE, try_mutex("magic7", 0, NULL),
	    "7 bytes of magic is EMEDIUMTYPE");
	junk = bcalloc(1, image_len + 4096);
	write_file("zeros", junk, 4096);
	is_int(EMEDIUMTYPE, try_mutex("zeros", 0, NULL),
	    "4096 zero bytes is EMEDIUMTYPE");
	seed = 12345;
	for (i = 0; i < image_len; i++) {
		seed = seed * 1103515245U + 12345U;
		junk[i] = (unsigned char)(seed >> 16);
	}
	junk[0] = 'X';
	write_file("garbage", junk, image_len);
	is_int(EMEDIUMTYPE, try_mutex("garbage", 0, NULL),
	    "random bytes are EMEDIUMTYPE");

	/* A file shorter or longer than its header says. */
	m = open_mutex("trunc", SHMC_CREAT | SHMC_EXCL, NULL);
	shmc_mutex_close(m);
	path = test_shm_path("trunc");
	if (truncate(path, 100) < 0)
		sysbail("truncate %s", path);
	free(path);
	is_int(ENODATA, try_mutex("trunc", 0, NULL),
	    "file truncated to 100 bytes is ENODATA");
	is_int(ENODATA, shmc_mutex_unlink("trunc"), "...also to unlink");
	write_file("short", image, sizeof(struct shmc__hdr) - 1);
	is_int(ENODATA, try_mutex("short", 0, NULL),
	    "header less one byte is ENODATA");
	write_file("short", image, sizeof(struct shmc__hdr));
	is_int(ENODATA, try_mutex("short", 0, NULL),
	    "header alone is ENODATA");
	write_file("short", image, image_len - 4096);
	is_int(ENODATA, try_mutex("short", 0, NULL),
	    "file short by a page is ENODATA");
	memcpy(junk, image, image_len);
	memset(junk + image_len, 0, 4096);
	write_file("long", junk, image_len + 4096);
	is_int(EBADMSG, try_mutex("long", 0, NULL),
	    "file longer by a page is EBADMSG");
	free(junk);

	/* Every single flipped header byte is refused, without a crash. */
	write_file("copy", image, image_len);
	is_int(0, try_mutex("copy", 0, NULL), "exact copy of a mutex opens");
	for (i = 0; i < ARRAY_SIZE(sh->flip); i++)
		sh->flip[i] = -1;
	is_int(0, test_reap(test_fork(child_flip, NULL)),
	    "no flipped header byte crashed");
	good = 1;
	for (i = 0; i < ARRAY_SIZE(sh->flip); i++)
		if (sh->flip[i] != flip_error(i)) {
			diag("flip at %zu: wanted %d, got %d", i,
			    flip_error(i), sh->flip[i]);
			good = 0;
		}
	ok(good, "every flipped header byte is refused");

	/* Consistent-looking headers with one field changed. */
	write_edited("edit", NULL);
	is_int(0, try_mutex("edit", 0, NULL),
	    "copy with recomputed checksum opens");
	write_edited("edit", edit_display);
	is_int(0, try_mutex("edit", 0, NULL), "...also with another ctime");
	write_edited("edit", edit_version);
	is_int(EPROTONOSUPPORT, try_mutex("edit", 0, NULL),
	    "layout version 2 is EPROTONOSUPPORT");
	write_edited("edit", edit_fingerprint);
	is_int(EPROTONOSUPPORT, try_mutex("edit", 0, NULL),
	    "another fingerprint is EPROTONOSUPPORT");
	write_edited("edit", edit_kind_cond);
	is_int(EPROTOTYPE, try_mutex("edit", 0, NULL),
	    "kind cond opened as a mutex is EPROTOTYPE");
	write_edited("edit", edit_kind_9);
	is_int(EBADMSG, try_mutex("edit", 0, NULL), "kind 9 is EBADMSG");
	write_edited("edit", edit_kind_0);
	is_int(EBADMSG, try_mutex("edit", 0, NULL), "kind 0 is EBADMSG");
	write_edited("edit", edit_npeers_0);
	is_int(EBADMSG, try_mutex("edit", 0, NULL), "npeers 0 is EBADMSG");
	write_edited("edit", edit_npeers_max);
	is_int(EBADMSG, try_mutex("edit", 0, NULL), "npeers 1023 is EBADMSG");
	write_edited("edit", edit_obj_off);
	is_int(EBADMSG, try_mutex("edit", 0, NULL),
	    "moved obj_off is EBADMSG");
	write_edited("edit", edit_peer_off);
	is_int(EBADMSG, try_mutex("edit", 0, NULL),
	    "moved peer_off is EBADMSG");
	write_edited("edit", edit_peer_size);
	is_int(EBADMSG, try_mutex("edit", 0, NULL),
	    "another peer_size is EBADMSG");
	write_edited("edit", edit_hdr_size);
	is_int(EBADMSG, try_mutex("edit", 0, NULL),
	    "another hdr_size is EBADMSG");
	write_edited("edit", edit_reserved);
	is_int(EBADMSG, try_mutex("edit", 0, NULL),
	    "non-zero reserved word is EBADMSG");
	write_edited("edit", edit_param);
	is_int(EBADMSG, try_mutex("edit", 0, NULL),
	    "mutex with a parameter is EBADMSG");

	/* Things that are not regular files at the name. */
	path = test_shm_path("tmpl");
	path2 = test_shm_path("link");
	if (symlink(path, path2) < 0)
		sysbail("symlink %s", path2);
	is_int(ELOOP, try_mutex("link", 0, NULL),
	    "symbolic link to an object is ELOOP");
	is_int(ELOOP, shmc_mutex_unlink("link"), "...also to unlink");
	ok(file_exists("link") && file_exists("tmpl"),
	    "...which leaves link and target");
	free(path2);
	free(path);
	path = test_shm_path("dangling");
	if (symlink("/nonexistent/shmconc-target", path) < 0)
		sysbail("symlink %s", path);
	free(path);
	is_int(ELOOP, try_mutex("dangling", SHMC_CREAT, NULL),
	    "dangling symbolic link with SHMC_CREAT is ELOOP");
	path = test_shm_path("fifo");
	if (mkfifo(path, 0600) < 0)
		sysbail("mkfifo %s", path);
	free(path);
	is_int(EMEDIUMTYPE, try_mutex("fifo", 0, NULL),
	    "FIFO is EMEDIUMTYPE without blocking");
	is_int(EMEDIUMTYPE, try_mutex("fifo", SHMC_CREAT, NULL),
	    "...also with SHMC_CREAT");
	is_int(EMEDIUMTYPE, shmc_mutex_unlink("fifo"), "...and to unlink");
	path = test_shm_path("dir");
	if (mkdir(path, 0700) < 0)
		sysbail("mkdir %s", path);
	free(path);
	is_int(EMEDIUMTYPE, try_mutex("dir", 0, NULL),
	    "directory is EMEDIUMTYPE");
	is_int(EMEDIUMTYPE, try_mutex("dir", SHMC_CREAT, NULL),
	    "...also with SHMC_CREAT");
	is_int(EMEDIUMTYPE, shmc_mutex_unlink("dir"), "...and to unlink");
	remove_file("dir");
	path = test_shm_path("sock");
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(addr.sun_path))
		bail("socket path too long: %s", path);
	strcpy(addr.sun_path, path);
	free(path);
	sock = socket(AF_UNIX, SOCK_STREAM, 0);
	if (sock < 0 || bind(sock, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		sysbail("cannot bind %s", addr.sun_path);
	is_int(EMEDIUMTYPE, try_mutex("sock", 0, NULL),
	    "socket is EMEDIUMTYPE");
	close(sock);

	/* Objects of another user: refused unless SHMC_ANYOWNER. */
	if (geteuid() != 0)
		skip_block(8, "needs root");
	else {
		m = open_mutex("other", SHMC_CREAT | SHMC_EXCL, NULL);
		shmc_mutex_close(m);
		path = test_shm_path("other");
		if (chown(path, OTHER_UID, OTHER_UID) < 0)
			sysbail("chown %s", path);
		free(path);
		is_int(EPERM, try_mutex("other", 0, NULL),
		    "object of another user is EPERM");
		is_int(EPERM, try_mutex("other", SHMC_CREAT, NULL),
		    "...also with SHMC_CREAT");
		is_int(0, try_mutex("other", SHMC_ANYOWNER, NULL),
		    "...and opens with SHMC_ANYOWNER");

		/* The same seen from an unprivileged user. */
		dir = getenv("SHMCONC_DIR");
		if (dir == NULL || chmod(dir, 0711) < 0)
			sysbail("cannot open up the shm directory");
		m = open_mutex("rootonly", SHMC_CREAT | SHMC_EXCL, NULL);
		shmc_mutex_close(m);
		memset(&attr, 0, sizeof(attr));
		attr.mode = 0666;
		m = open_mutex("rootpub", SHMC_CREAT | SHMC_EXCL, &attr);
		shmc_mutex_close(m);
		au.name = "rootpub";
		au.flags = 0;
		is_int(EPERM, test_reap(test_fork(child_other_user, &au)),
		    "other user opening our 0666 object is EPERM");
		au.flags = SHMC_ANYOWNER;
		is_int(0, test_reap(test_fork(child_other_user, &au)),
		    "...and with SHMC_ANYOWNER opens and locks it");
		au.name = "rootonly";
		au.flags = 0;
		is_int(EACCES, test_reap(test_fork(child_other_user, &au)),
		    "0600 object is EACCES for another user");
		au.flags = SHMC_ANYOWNER;
		is_int(EACCES, test_reap(test_fork(child_other_user, &au)),
		    "...even with SHMC_ANYOWNER");
		au.name = "userobj";
		au.flags = SHMC_CREAT;
		is_int(EACCES, test_reap(test_fork(child_other_user, &au)),
		    "...creating in a directory it cannot write is EACCES");
		if (chmod(dir, 0700) < 0)
			sysbail("cannot close the shm directory");
	}

	/* Concurrent creators: all open one object. */
	all_opened = all_one_file = all_counted = all_one_winner = 1;
	for (round = 0; round < RACE_ROUNDS; round++) {
		char name[32];

		snprintf(name, sizeof(name), "race%d", round);
		sh->counter = 0;
		sh->inside = sh->overlap = 0;
		before = test_shm_count();
		race(name, SHMC_CREAT, &opened, &exists);
		files = test_shm_count() - before;
		counts = sh->counter == RACERS * RACE_LOOPS && !sh->overlap;
		if (opened != RACERS || files != 1 || !file_exists(name) ||
		    !counts)
			diag("round %d: %d opened, %d new files, count %lu%s",
			    round, opened, files, sh->counter,
			    sh->overlap ? ", overlap" : "");
		if (opened != RACERS)
			all_opened = 0;
		if (files != 1 || !file_exists(name))
			all_one_file = 0;
		if (!counts)
			all_counted = 0;
		(void)shmc_mutex_unlink(name);

		snprintf(name, sizeof(name), "excl%d", round);
		race(name, SHMC_CREAT | SHMC_EXCL, &opened, &exists);
		if (opened != 1 || exists != RACERS - 1) {
			diag("round %d: %d created, %d EEXIST", round, opened,
			    exists);
			all_one_winner = 0;
		}
		(void)shmc_mutex_unlink(name);
	}
	ok(all_opened, "all racers with SHMC_CREAT opened, every round");
	ok(all_one_file, "...and made exactly one file");
	ok(all_counted, "...and shared one mutex (exact count, no overlap)");
	ok(all_one_winner, "with SHMC_EXCL exactly one racer created");

	/* A creator killed or stopped half-way publishes nothing. */
	cr.point = "create-header";
	for (n = 0; n < 2; n++) {
		cr.name = n == 0 ? "half1" : "half2";
		before = test_shm_count();
		pid = test_fork(child_create, &cr);
		stopped = test_wait_stopped(pid);
		ok(stopped, "creator stops at %s", cr.point);
		if (!stopped)
			bail("creator did not stop at %s", cr.point);
		ok(!file_exists(cr.name) && test_shm_count() == before,
		    "...no file is visible");
		is_int(ENOENT, try_mutex(cr.name, 0, NULL),
		    "...open without SHMC_CREAT is ENOENT");
		test_kill(pid);
		m = open_mutex(cr.name, SHMC_CREAT | SHMC_EXCL, NULL);
		ok(shmc_mutex_lock(m) == 0 && shmc_mutex_unlock(m) == 0,
		    "...after its death the name is created and used");
		is_int(before + 1, test_shm_count(), "...as one file");
		shmc_mutex_close(m);
		cr.point = "create-init";
	}

	/* A stopped creator that resumes joins the winner's object. */
	cr.point = "create-header";
	for (n = 0; n < 2; n++) {
		cr.name = n == 0 ? "late1" : "late2";
		pid = test_fork(child_create, &cr);
		if (!test_wait_stopped(pid))
			bail("creator did not stop at %s", cr.point);
		m = open_mutex(cr.name, SHMC_CREAT | SHMC_EXCL, NULL);
		if (shmc_mutex_lock(m) != 0)
			bail("cannot lock %s", cr.name);
		kill(pid, SIGCONT);
		is_int(EBUSY, test_reap(pid),
		    "creator resumed after %s opens the winner's object",
		    cr.point);
		shmc_mutex_unlock(m);
		shmc_mutex_close(m);
		cr.point = "create-init";
	}

	/* Anonymous objects are shared with children and have no file. */
	before = test_shm_count();
	r = shmc_mutex_open(NULL, 0, NULL, &m);
	is_int(0, r, "anonymous mutex");
	if (r != 0)
		bail("cannot go on without an anonymous mutex");
	is_int(0, shmc_mutex_lock(m), "...lock");
	is_int(EBUSY, test_reap(test_fork(child_trylock, m)),
	    "...child trylock is EBUSY");
	is_int(0, shmc_mutex_unlock(m), "...unlock");
	is_int(0, test_reap(test_fork(child_lock_unlock, m)),
	    "...then a child locks");
	is_int(0, test_reap(test_fork(child_lock, m)),
	    "...a child locks and exits");
	r = shmc_mutex_lock(m);
	is_int(EOWNERDEAD, r, "...its death is seen");
	if (r == EOWNERDEAD)
		(void)shmc_mutex_consistent(m);
	if (r == 0 || r == EOWNERDEAD)
		(void)shmc_mutex_unlock(m);
	shmc_mutex_close(m);
	is_int(0, try_mutex(NULL, SHMC_CREAT | SHMC_EXCL, NULL),
	    "anonymous mutex with SHMC_CREAT|SHMC_EXCL");
	r = shmc_cond_open(NULL, 0, NULL, &c);
	is_int(0, r, "anonymous cond");
	if (r == 0)
		shmc_cond_close(c);
	is_int(before, test_shm_count(), "...and no file appeared");

	/* Error texts and the version. */
	is_string("not a shmconc object", shmc_strerror(EMEDIUMTYPE),
	    "shmc_strerror EMEDIUMTYPE");
	is_string("shmconc object of another kind", shmc_strerror(EPROTOTYPE),
	    "shmc_strerror EPROTOTYPE");
	is_string("shmconc object of another layout version",
	    shmc_strerror(EPROTONOSUPPORT), "shmc_strerror EPROTONOSUPPORT");
	is_string("shmconc object corrupt", shmc_strerror(EBADMSG),
	    "shmc_strerror EBADMSG");
	is_string("shmconc object truncated", shmc_strerror(ENODATA),
	    "shmc_strerror ENODATA");
	is_string("participant table full", shmc_strerror(EUSERS),
	    "shmc_strerror EUSERS");
	is_string("previous owner died", shmc_strerror(EOWNERDEAD),
	    "shmc_strerror EOWNERDEAD");
	is_string("state not recoverable", shmc_strerror(ENOTRECOVERABLE),
	    "shmc_strerror ENOTRECOVERABLE");
	is_string(strerror(ENOENT), shmc_strerror(ENOENT),
	    "shmc_strerror ENOENT is the C library's text");
	ok(shmc_strerror(99999) != NULL && *shmc_strerror(99999) != '\0',
	    "shmc_strerror of an unknown number");
	is_string(SHMC_VERSION_STRING, shmc_version(), "shmc_version");

	/* A full participant table is EUSERS, per object, not per handle. */
	memset(&attr, 0, sizeof(attr));
	attr.peers = 1;
	m = open_mutex("full", SHMC_CREAT | SHMC_EXCL, &attr);
	is_int(0, shmc_mutex_lock(m), "one-slot mutex: lock");
	is_int(EUSERS, in_thread(thread_trylock, m),
	    "...trylock in another thread is EUSERS");
	is_int(EUSERS, in_thread(thread_lock, m),
	    "...and lock is EUSERS without blocking");
	m2 = open_mutex("full", 0, NULL);
	is_int(EDEADLK, shmc_mutex_trylock(m2),
	    "...a second handle in this thread is the same participant");
	is_int(0, shmc_mutex_unlock(m), "...unlock");
	shmc_mutex_close(m);
	r = shmc_mutex_trylock(m2);
	is_int(0, r, "...the second handle outlives the first");
	if (r == 0)
		(void)shmc_mutex_unlock(m2);
	shmc_mutex_close(m2);
	attr.peers = 2;
	m = open_mutex("two", SHMC_CREAT | SHMC_EXCL, &attr);
	if (shmc_mutex_lock(m) != 0)
		bail("cannot lock two");
	ok(in_thread(thread_trylock, m) == EBUSY &&
	    in_thread(thread_trylock, m) == EBUSY,
	    "two-slot mutex: an exited thread's slot is reused");
	shmc_mutex_unlock(m);
	shmc_mutex_close(m);

	free(image);
	return 0;
}
