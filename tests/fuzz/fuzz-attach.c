/*
 * fuzz-attach: attach to a segment file holding arbitrary bytes.
 *
 * The input becomes the whole file shmconc.f of a private SHMCONC_DIR, as
 * a hostile peer could leave it, and every way of attaching to it is tried:
 * the open call of each kind (the right kind and the wrong ones, a channel
 * also with both roles), a few calls that never wait on what opened, and
 * the inspection calls.  DESIGN.md section 3: whatever the file holds, no
 * crash, no leak, no hang, and a failed open reports one of the documented
 * errors.
 *
 * Few mutations of a valid file get past the header checksum, so each
 * input whose first bytes are the magic is tried a second time repaired:
 * checksum recomputed and the file sized as the header says (if that is
 * small).  That second round reaches the layout checks behind the
 * checksum and the attach code behind them with a mutated header.
 *
 * Seeds: SHMC_FUZZ_MKSEEDS=DIR makes LLVMFuzzerInitialize write a valid
 * file of each kind into DIR and exit (tests/fuzz/run --mkseeds).
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <fcntl.h>

#include "fuzz.h"
#include "shm.h"
#include "shmconc.h"

/* The largest file the repaired round makes. */
#define REPAIR_MAX      (1U << 20)

static char path[PATH_MAX];
static unsigned char *repair_buf;

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

/* Errors an open of an existing file of ours may give (shmc_mutex(3)). */
static void
check_open(const char *what, int r)
{
	switch (r) {
	case 0:
	case EMEDIUMTYPE:
	case EPROTOTYPE:
	case EPROTONOSUPPORT:
	case EBADMSG:
	case ENODATA:
	case ENOMEM:
	case EUSERS:            /* every participant slot taken */
	case EBUSY:             /* a channel with a live receiver */
		return;
	default:
		fuzz_fail("%s: undocumented error %d (%s)", what, r,
		    shmc_strerror(r));
	}
}

static void
check_inspect(const char *what, int r)
{
	switch (r) {
	case 0:
	case EMEDIUMTYPE:
	case EPROTOTYPE:
	case EPROTONOSUPPORT:
	case EBADMSG:
	case ENODATA:
	case ENOMEM:
		return;
	default:
		fuzz_fail("%s: undocumented error %d (%s)", what, r,
		    shmc_strerror(r));
	}
}

static void
try_all(void)
{
	struct shmc_mutex *m;
	struct shmc_cond *c;
	struct shmc_mvar *mv;
	struct shmc_chan *ch, *ch2;
	struct shmc_chan_stat cst;
	struct shmc_info info;
	struct shmc_peer_info peers[8];
	size_t n, size;
	int r, empty;

	r = shmc_mutex_open("f", 0, NULL, &m);
	check_open("shmc_mutex_open", r);
	if (r == 0) {
		/* trylock never waits; it may look at the owner's lease. */
		r = shmc_mutex_trylock(m);
		if (r == 0 || r == EOWNERDEAD)
			(void)shmc_mutex_unlock(m);
		shmc_mutex_close(m);
	}

	r = shmc_cond_open("f", 0, NULL, &c);
	check_open("shmc_cond_open", r);
	if (r == 0) {
		(void)shmc_cond_signal(c);
		(void)shmc_cond_broadcast(c);
		shmc_cond_close(c);
	}

	r = shmc_mvar_open("f", 0, NULL, &mv);
	check_open("shmc_mvar_open", r);
	if (r == 0) {
		(void)shmc_mvar_is_empty(mv, &empty);
		if (shmc_mvar_size(mv, &size) == 0 && size > (1U << 30))
			fuzz_fail("shmc_mvar_size: %zu", size);
		shmc_mvar_close(mv);
	}

	r = shmc_chan_open("f", 0, NULL, &ch);
	check_open("shmc_chan_open", r);
	if (r == 0) {
		(void)shmc_chan_stat(ch, &cst);
		/* Both roles: reads the receiver word and claims slots. */
		r = shmc_chan_open("f", SHMC_SENDER | SHMC_RECEIVER, NULL,
		    &ch2);
		check_open("shmc_chan_open(SENDER|RECEIVER)", r);
		if (r == 0) {
			(void)shmc_chan_stat(ch2, &cst);
			shmc_chan_close(ch2);
		}
		shmc_chan_close(ch);
	}

	r = shmc_inspect("f", &info);
	if (r != 0)
		fuzz_fail("shmc_inspect: %d (%s)", r, shmc_strerror(r));
	check_inspect("shmc_inspect: info.error", info.error);
	if (info.error == 0 && (info.kind < SHMC_KIND_MUTEX ||
	    info.kind > SHMC_KIND_CHAN))
		fuzz_fail("shmc_inspect: kind %d", info.kind);

	r = shmc_inspect_peers("f", peers, SHMC__ARRAY_SIZE(peers), &n);
	check_inspect("shmc_inspect_peers", r);
	if (n > SHMC__ARRAY_SIZE(peers))
		fuzz_fail("shmc_inspect_peers: n = %zu", n);
	if (r == 0 && info.error != 0)
		fuzz_fail("shmc_inspect_peers: 0, but inspect said %d",
		    info.error);
}

static void
put_file(const uint8_t *data, size_t size)
{
	int r;

	r = fuzz_write_file(path, data, size);
	if (r != 0)
		fuzz_fail("write %s: %s", path, strerror(r));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct shmc__hdr h;
	size_t len;

	put_file(data, size);
	try_all();

	/* The repaired round: only for inputs that are ours at first sight. */
	if (size < sizeof(h) || memcmp(data, SHMC__MAGIC, 8) != 0)
		return 0;
	memcpy(&h, data, sizeof(h));
	len = h.total_size >= sizeof(h) && h.total_size <= REPAIR_MAX ?
	    (size_t)h.total_size : size;
	if (len > REPAIR_MAX)
		len = REPAIR_MAX;
	memset(repair_buf, 0, len);
	memcpy(repair_buf, data, size < len ? size : len);
	h.checksum = fnv1a(&h, offsetof(struct shmc__hdr, checksum));
	memcpy(repair_buf, &h, sizeof(h));
	if (len == size && memcmp(repair_buf, data, size) == 0)
		return 0;       /* already valid: done above */
	put_file(repair_buf, len);
	try_all();
	return 0;
}

/* Copy the file of object name to dir/name, for the seed corpus. */
static void
copy_object(const char *name, const char *dir)
{
	static unsigned char buf[1 << 16];
	char src[PATH_MAX], dst[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(src, sizeof(src), "%s/shmconc.%s", getenv("SHMCONC_DIR"),
	    name);
	snprintf(dst, sizeof(dst), "%s/%s", dir, name);
	fd = open(src, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : pread(fd, buf, sizeof(buf), 0);
	if (fd >= 0)
		close(fd);
	if (n <= 0 || fuzz_write_file(dst, buf, (size_t)n) != 0)
		fuzz_fail("seed %s: cannot copy %s", name, src);
}

static void
seed_check(const char *what, int r)
{
	if (r != 0)
		fuzz_fail("seed %s: %s", what, shmc_strerror(r));
}

/*
 * Write a valid file of each kind into dir, for the seed corpus, each
 * with a small participant table and small values so that the files are
 * one page: a held mutex, a condition variable, an empty and a full MVar,
 * a buffered channel holding a message and a rendezvous channel, the
 * channels with a sender and a receiver.
 */
static void
make_seeds(const char *dir)
{
	struct shmc_attr attr;
	struct shmc_mutex *m;
	struct shmc_cond *c;
	struct shmc_mvar *mv;
	struct shmc_chan *ch;

	memset(&attr, 0, sizeof(attr));
	attr.peers = 3;
	attr.size = 16;
	seed_check("mutex", shmc_mutex_open("mutex", SHMC_CREAT, &attr, &m));
	seed_check("mutex lock", shmc_mutex_lock(m));
	copy_object("mutex", dir);
	seed_check("mutex unlock", shmc_mutex_unlock(m));
	shmc_mutex_close(m);

	seed_check("cond", shmc_cond_open("cond", SHMC_CREAT, &attr, &c));
	copy_object("cond", dir);
	shmc_cond_close(c);

	seed_check("mvar", shmc_mvar_open("mvar", SHMC_CREAT, &attr, &mv));
	copy_object("mvar", dir);
	shmc_mvar_close(mv);
	seed_check("mvar-full", shmc_mvar_open_full("mvar-full", SHMC_CREAT,
	    &attr, "hello", 5, &mv));
	copy_object("mvar-full", dir);
	shmc_mvar_close(mv);

	attr.capacity = 2;
	seed_check("chan", shmc_chan_open("chan", SHMC_CREAT | SHMC_SENDER |
	    SHMC_RECEIVER, &attr, &ch));
	seed_check("chan send", shmc_chan_send(ch, "msg", 3));
	copy_object("chan", dir);
	shmc_chan_close(ch);
	attr.capacity = 0;
	seed_check("chan-rendezvous", shmc_chan_open("chan-rendezvous",
	    SHMC_CREAT | SHMC_SENDER | SHMC_RECEIVER, &attr, &ch));
	copy_object("chan-rendezvous", dir);
	shmc_chan_close(ch);
	exit(0);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir, *seeds;

	(void)argc;
	(void)argv;
	dir = fuzz_private_dir("attach");
	if (setenv("SHMCONC_DIR", dir, 1) != 0 ||
	    setenv("SHMCONC_TICK_MS", "1", 1) != 0 ||
	    setenv("SHMCONC_SPIN_US", "0", 1) != 0)
		exit(1);
	snprintf(path, sizeof(path), "%s/shmconc.f", dir);
	repair_buf = malloc(REPAIR_MAX);
	if (repair_buf == NULL)
		exit(1);
	seeds = getenv("SHMC_FUZZ_MKSEEDS");
	if (seeds != NULL && *seeds != '\0')
		make_seeds(seeds);
	return 0;
}
