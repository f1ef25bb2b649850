/*
 * shmls: list shmconc objects, as lsipc(1) lists System V IPC.
 *
 * Every file in our namespace gets a row, whatever it holds: a valid
 * object with its kind, state and participants, and a file that is not
 * one (foreign, corrupt, of another layout version, unreadable, or named
 * against the rules) with a STATE that says why.  All of it comes from
 * shmc_inspect and shmc_inspect_peers, which only look: nothing here
 * attaches, locks, waits or writes, so listing a wedged or scribbled
 * object is as safe and as quick as listing a healthy one.
 *
 * Output is a table aligned in columns, a raw table for scripts (one
 * space between cells, blanks inside a cell escaped), or JSON.  Names
 * and commands are untrusted bytes: in a table, control characters,
 * backslashes and bytes outside printable ASCII become \xHH, as
 * util-linux escapes them; JSON gets proper string escapes.
 *
 * -N describes one object: every field on a line of its own, then a
 * table of its participants, including dead ones, with the command line
 * of each process that still runs (checked against its start time, so
 * that a reused pid shows as the thread name it had, in brackets).
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <shmconc.h>

#include "bin/cli.h"

/* The shm directory and the prefix of our files, as lib/shm.c has them. */
#define SHM_DIR_DEFAULT "/dev/shm"
#define SHM_PREFIX      "shmconc."

/* Output formats. */
#define FMT_TABLE       0
#define FMT_RAW         1
#define FMT_JSON        2

/* getopt_long's value for --stale, which has no short form. */
#define LONG_STALE      256

/* The most columns -o may ask for, repeats included. */
#define MAX_COLS        64

/* How a column's cells go into JSON. */
#define J_STR           0       /* a string */
#define J_STRNULL       1       /* a string, or null for "-" */
#define J_NUM           2       /* a number, or null for "-" */

enum col_id {
	C_NAME, C_KIND, C_STATE, C_HOLDER, C_OWNER, C_PERMS, C_SIZE,
	C_ATTACHED, C_WAITERS, C_CTIME, C_UID, C_SLOTS, C_VALSIZE, C_ERROR,
	C_COUNT
};

static const struct column {
	const char *name;       /* heading, and the name for -o */
	const char *key;        /* JSON key */
	int right;              /* right-aligned in a table */
	int json;               /* J_* */
} columns[C_COUNT] = {
	{ "NAME",       "name",         0,      J_STR },
	{ "KIND",       "kind",         0,      J_STRNULL },
	{ "STATE",      "state",        0,      J_STRNULL },
	{ "HOLDER",     "holder",       1,      J_NUM },
	{ "OWNER",      "owner",        0,      J_STRNULL },
	{ "PERMS",      "perms",        0,      J_STRNULL },
	{ "SIZE",       "size",         1,      J_NUM },
	{ "ATTACHED",   "attached",     1,      J_NUM },
	{ "WAITERS",    "waiters",      1,      J_NUM },
	{ "CTIME",      "ctime",        0,      J_STRNULL },
	{ "UID",        "uid",          1,      J_NUM },
	{ "SLOTS",      "slots",        1,      J_NUM },
	{ "VALSIZE",    "valsize",      1,      J_NUM },
	{ "ERROR",      "error",        0,      J_STRNULL },
};

static const int default_cols[] = {
	C_NAME, C_KIND, C_STATE, C_HOLDER, C_OWNER, C_PERMS, C_SIZE,
	C_ATTACHED, C_WAITERS, C_CTIME
};

static const char synopsis[] =
    "shmls [-bJnr] [-o list] [-t kind] [--stale]\n"
    "shmls [-bJnr] -N name\n"
    "shmls -h | -V\n";

/* What the command line asks for. */
struct opts {
	int format;             /* FMT_* */
	int noheadings;         /* -n */
	int bytes;              /* -b */
	int stale;              /* --stale */
	int kind;               /* -t: SHMC_KIND_*, or 0 for all */
	const char *name;       /* -N */
	int cols[MAX_COLS];     /* -o */
	size_t ncols;
	int given_list;         /* -o, -t or --stale: not with -N */
};

/* One object, as inspected. */
struct row {
	struct shmc_info info;
	const char *listed;     /* the name as shmc_list gave it */
	int badname;            /* it breaks the naming rules */
	int have_stat;          /* owner, mode, size and time are known */
};

/* A table of escaped cells, for the aligned and the raw formats. */
struct table {
	size_t ncols;
	const char *const *heads;
	const int *right;
	char **cells;           /* nrows * ncols */
	size_t nrows, cap;
};

/* Print "shmls: message" and the usage, and exit 64. */
#define usage_error(...) cli_usage_error(synopsis, __VA_ARGS__)

static void *
xmalloc(size_t n)
{
	void *p;

	if ((p = malloc(n > 0 ? n : 1)) == NULL)
		cli_fail(ENOMEM, "malloc");
	return p;
}

/*
 * A copy of s safe to print in a table: control characters, DEL, bytes
 * outside ASCII and the backslash itself become \xHH, so that the
 * escaping cannot be confused with a name that contains "\x".  In raw
 * output a space becomes \x20 too, so that cells never contain blanks.
 */
static char *
escape(const char *s, int raw)
{
	const unsigned char *p;
	char *out, *q;

	out = xmalloc(strlen(s) * 4 + 1);
	for (p = (const unsigned char *)s, q = out; *p != '\0'; p++) {
		if (*p < 0x20 || *p >= 0x7f || *p == '\\' ||
		    (raw && *p == ' ')) {
			(void)sprintf(q, "\\x%02x", *p);
			q += 4;
		} else
			*q++ = (char)*p;
	}
	*q = '\0';
	return out;
}

/*
 * The length of the valid UTF-8 sequence at s, or 0 if there is none
 * (an overlong form, a surrogate, a code point above U+10FFFF, or a
 * truncated sequence).
 */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		if (s[0] == 0xe0)
			lo = 0xa0;
		else if (s[0] == 0xed)
			hi = 0x9f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		if (s[0] == 0xf0)
			lo = 0x90;
		else if (s[0] == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/*
 * Print s as a JSON string.  Valid UTF-8 passes through; control
 * characters and DEL are \u00XX, as is each byte that is not part of
 * valid UTF-8 (read as Latin-1: JSON has no way to carry a raw byte).
 */
static void
json_string(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	putchar('"');
	while (*p != '\0') {
		if (*p == '"' || *p == '\\') {
			printf("\\%c", *p++);
			continue;
		}
		if (*p >= 0x20 && *p < 0x7f) {
			putchar(*p++);
			continue;
		}
		if (*p >= 0x80 && (n = utf8_len(p)) > 0) {
			fwrite(p, 1, n, stdout);
			p += n;
			continue;
		}
		printf("\\u%04x", *p++);
	}
	putchar('"');
}

/* Print "key": and a JSON value per the column's type. */
static void
json_member(const char *key, const char *value, int type)
{
	json_string(key);
	fputs(": ", stdout);
	if (type != J_STR && strcmp(value, "-") == 0)
		fputs("null", stdout);
	else if (type == J_NUM)
		fputs(value, stdout);
	else
		json_string(value);
}

static void
table_init(struct table *t, size_t ncols, const char *const *heads,
    const int *right)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->heads = heads;
	t->right = right;
}

/* Add a row of t->ncols raw cells, escaping them. */
static void
table_add(struct table *t, char *const *cells, int raw)
{
	char **nc;
	size_t i;

	if (t->nrows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		nc = realloc(t->cells, t->cap * t->ncols * sizeof(*nc));
		if (nc == NULL)
			cli_fail(ENOMEM, "realloc");
		t->cells = nc;
	}
	for (i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = escape(cells[i], raw);
	t->nrows++;
}

/* Print one cell padded to width w, or unpadded if it is the last. */
static void
put_cell(const char *s, size_t w, int right, int last)
{
	if (right)
		printf("%*s", (int)w, s);
	else if (last)
		fputs(s, stdout);
	else
		printf("%-*s", (int)w, s);
}

/*
 * Print t: aligned in columns one space apart, text on the left and
 * numbers on the right, with no trailing blanks; or, raw, with a single
 * space between cells.  Frees the cells.
 */
static void
table_print(struct table *t, int raw, int noheadings)
{
	size_t *w, r, c, len;

	w = xmalloc(t->ncols * sizeof(*w));
	for (c = 0; c < t->ncols; c++) {
		w[c] = noheadings ? 0 : strlen(t->heads[c]);
		for (r = 0; r < t->nrows; r++) {
			len = strlen(t->cells[r * t->ncols + c]);
			if (len > w[c])
				w[c] = len;
		}
	}
	if (raw)
		memset(w, 0, t->ncols * sizeof(*w));
	for (r = noheadings ? 1 : 0; r <= t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			if (c > 0)
				putchar(' ');
			put_cell(r == 0 ? t->heads[c] :
			    t->cells[(r - 1) * t->ncols + c], w[c],
			    t->right[c] && !raw, c == t->ncols - 1);
		}
		putchar('\n');
	}
	for (r = 0; r < t->nrows * t->ncols; r++)
		free(t->cells[r]);
	free(t->cells);
	free(w);
}

/* The STATE word of a file that is not a readable object. */
static const char *
unreadable_state(int err)
{
	switch (err) {
	case EMEDIUMTYPE:
	case ELOOP:
	case EISDIR:
	case ENXIO:
	case ENODEV:
		return "foreign";
	case EBADMSG:
	case ENODATA:
	case EPROTOTYPE:
	case EOVERFLOW:
		return "corrupt";
	case EPROTONOSUPPORT:
		return "version";
	case EACCES:
	case EPERM:
		return "denied";
	}
	return "error";
}

/* The STATE of a row, in buf. */
static void
state_text(const struct row *r, char *buf, size_t size)
{
	const struct shmc_info *in = &r->info;
	const char *s = "-";

	if (r->badname)
		s = "badname";
	else if (in->error != 0)
		s = unreadable_state(in->error);
	else if (in->kind == SHMC_KIND_MUTEX) {
		switch (in->state) {
		case SHMC_STATE_FREE:
			s = "free";
			break;
		case SHMC_STATE_HELD:
			s = "held";
			break;
		case SHMC_STATE_OWNER_DIED:
			s = "owner-died";
			break;
		case SHMC_STATE_INCONSISTENT:
			s = "inconsistent";
			break;
		case SHMC_STATE_NOT_RECOVERABLE:
			s = "not-recoverable";
			break;
		default:
			/* The lock word names no valid participant. */
			s = "unknown";
			break;
		}
	} else if (in->kind == SHMC_KIND_MVAR)
		s = in->state == SHMC_STATE_FULL ? "full" : "empty";
	else if (in->kind == SHMC_KIND_CHAN) {
		(void)snprintf(buf, size, "%u/%u %usnd %s%s", in->chan.depth,
		    in->chan.capacity, in->chan.senders,
		    in->chan.receiver > 0 ? "rx" :
		    in->chan.receiver == 0 ? "no-rx" : "rx-gone",
		    in->chan.held ? " held" : "");
		return;
	}
	(void)snprintf(buf, size, "%s", s);
}

/* The pid of a mutex's holder, if it has one. */
static int
holder(const struct shmc_info *in)
{
	if (in->error != 0 || in->kind != SHMC_KIND_MUTEX)
		return 0;
	if (in->state != SHMC_STATE_HELD &&
	    in->state != SHMC_STATE_OWNER_DIED &&
	    in->state != SHMC_STATE_INCONSISTENT)
		return 0;
	return in->holder;
}

/* rwxrwxrwx, with s, S, t and T as ls(1) shows them. */
static void
perms_text(unsigned int mode, char *buf)
{
	static const char rwx[] = "rwxrwxrwx";
	int i;

	for (i = 0; i < 9; i++)
		buf[i] = mode & (0400U >> i) ? rwx[i] : '-';
	if (mode & 04000)
		buf[2] = buf[2] == 'x' ? 's' : 'S';
	if (mode & 02000)
		buf[5] = buf[5] == 'x' ? 's' : 'S';
	if (mode & 01000)
		buf[8] = buf[8] == 'x' ? 't' : 'T';
	buf[9] = '\0';
}

/*
 * A size as util-linux prints it: bytes with a B below 1 KiB, else in
 * the largest power of 1024 that keeps it at least 1, with one decimal
 * when it is not whole ("512B", "4K", "1.5M").
 */
static void
human_size(unsigned long long n, char *buf, size_t size)
{
	static const char units[] = "BKMGTPE";
	unsigned long long unit = 1, whole, tenth;
	int u = 0;

	while (n / unit >= 1024 && u < 6) {
		unit *= 1024;
		u++;
	}
	whole = n / unit;
	tenth = ((n % unit) * 10 + unit / 2) / unit;
	if (tenth == 10) {
		whole++;
		tenth = 0;
	}
	if (u == 0 || tenth == 0)
		(void)snprintf(buf, size, "%llu%c", whole, units[u]);
	else
		(void)snprintf(buf, size, "%llu.%llu%c", whole, tenth,
		    units[u]);
}

/*
 * A time in seconds since the epoch, local: "2026-11-27 09:12" for a
 * table, with seconds for -N, ISO 8601 for JSON.
 */
#define TIME_TABLE      0
#define TIME_LONG       1
#define TIME_ISO        2

static void
time_text(long long sec, int how, char *buf, size_t size)
{
	time_t t = (time_t)sec;
	struct tm tm;
	size_t n = 0;

	if (localtime_r(&t, &tm) != NULL) {
		/* Literal formats, so that the compiler can check them. */
		if (how == TIME_TABLE)
			n = strftime(buf, size, "%Y-%m-%d %H:%M", &tm);
		else if (how == TIME_LONG)
			n = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
		else
			n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S%z", &tm);
	}
	if (n == 0) {
		(void)snprintf(buf, size, "%lld", sec);
		return;
	}
	/* +0100 to +01:00, the extended form of the rest. */
	if (how == TIME_ISO && n >= 5 && n + 1 < size) {
		memmove(buf + n - 1, buf + n - 2, 3);
		buf[n - 2] = ':';
	}
}

/* The owner's user name, or the uid if it has none. */
static void
owner_text(unsigned int uid, char *buf, size_t size)
{
	struct passwd *pw;

	if ((pw = getpwuid((uid_t)uid)) != NULL)
		(void)snprintf(buf, size, "%s", pw->pw_name);
	else
		(void)snprintf(buf, size, "%u", uid);
}

/*
 * One cell of a row, unescaped, in buf: "-" where there is nothing to
 * show.  SIZE is in bytes unless human.
 */
static void
cell(const struct row *r, int col, int human, int json, char *buf,
    size_t size)
{
	const struct shmc_info *in = &r->info;
	int readable = !r->badname && in->error == 0;
	const char *k;

	(void)snprintf(buf, size, "-");
	switch (col) {
	case C_NAME:
		(void)snprintf(buf, size, "%s", r->badname || in->name[0] ==
		    '\0' ? r->listed : in->name);
		break;
	case C_KIND:
		if (readable && (k = cli_kind_name(in->kind)) != NULL)
			(void)snprintf(buf, size, "%s", k);
		break;
	case C_STATE:
		state_text(r, buf, size);
		break;
	case C_HOLDER:
		if (holder(in) != 0)
			(void)snprintf(buf, size, "%d", holder(in));
		break;
	case C_OWNER:
		if (r->have_stat)
			owner_text(in->uid, buf, size);
		break;
	case C_PERMS:
		if (r->have_stat && size > 9)
			perms_text(in->mode, buf);
		break;
	case C_SIZE:
		if (r->have_stat && human)
			human_size(in->size, buf, size);
		else if (r->have_stat)
			(void)snprintf(buf, size, "%llu", in->size);
		break;
	case C_ATTACHED:
		if (readable)
			(void)snprintf(buf, size, "%u", in->attached);
		break;
	case C_WAITERS:
		if (readable)
			(void)snprintf(buf, size, "%u", in->waiters);
		break;
	case C_CTIME:
		if (r->have_stat)
			time_text(in->ctime, json ? TIME_ISO : TIME_TABLE,
			    buf, size);
		break;
	case C_UID:
		if (r->have_stat)
			(void)snprintf(buf, size, "%u", in->uid);
		break;
	case C_SLOTS:
		if (readable)
			(void)snprintf(buf, size, "%u", in->peers);
		break;
	case C_VALSIZE:
		if (readable && (in->kind == SHMC_KIND_MVAR ||
		    in->kind == SHMC_KIND_CHAN))
			(void)snprintf(buf, size, "%u", in->value_size);
		break;
	case C_ERROR:
		if (r->badname)
			(void)snprintf(buf, size, "name breaks the naming "
			    "rules");
		else if (in->error != 0)
			(void)snprintf(buf, size, "%s",
			    shmc_strerror(in->error));
		break;
	}
}

/*
 * Fill in the file's owner, mode, size and time from the directory entry
 * when shmc_inspect could not: for a name it refuses, and for a file it
 * could not open (it zeroes them then, although shmc_inspect(3) promises
 * them for every unreadable file).  lstat, so that a symbolic link is
 * described and not followed.  Returns 0 or an errno value.
 */
static int
stat_fallback(struct row *r)
{
	const char *dir = getenv("SHMCONC_DIR");
	char path[4096];
	struct stat st;
	int n;

	if (dir == NULL || *dir == '\0')
		dir = SHM_DIR_DEFAULT;
	n = snprintf(path, sizeof(path), "%s/%s%s", dir, SHM_PREFIX,
	    r->listed);
	if (n < 0 || (size_t)n >= sizeof(path))
		return ENAMETOOLONG;
	if (lstat(path, &st) != 0)
		return errno;
	r->info.uid = st.st_uid;
	r->info.mode = st.st_mode & 07777;
	r->info.size = (unsigned long long)st.st_size;
	r->info.ctime = st.st_ctime;
	r->have_stat = 1;
	return 0;
}

/*
 * Inspect the listed name into *r.  Returns 0, or ENOENT if the object
 * went away meanwhile (to be skipped).  A name against the rules, or any
 * other failure, still makes a row.
 */
static int
inspect(const char *name, struct row *r)
{
	int e;

	memset(r, 0, sizeof(*r));
	r->listed = name;
	e = shmc_inspect(name, &r->info);
	if (e == ENOENT)
		return e;
	if (e == EINVAL) {
		memset(&r->info, 0, sizeof(r->info));
		r->badname = 1;
	} else if (e != 0) {
		memset(&r->info, 0, sizeof(r->info));
		r->info.error = e;
	}
	/* A file always has a ctime; 0 means it was not read. */
	r->have_stat = e == 0 && r->info.ctime != 0;
	if (!r->have_stat && stat_fallback(r) == ENOENT)
		return ENOENT;
	return 0;
}

/* Does the row pass -t and --stale? */
static int
selected(const struct opts *o, const struct row *r)
{
	int readable = !r->badname && r->info.error == 0;

	if (o->kind != 0 && (!readable || r->info.kind != o->kind))
		return 0;
	if (o->stale && readable && r->info.attached > 0)
		return 0;
	return 1;
}

/* Print the members of a row for the given columns, as JSON. */
static void
json_row(const struct row *r, const int *cols, size_t ncols)
{
	char buf[512];
	size_t c;

	for (c = 0; c < ncols; c++) {
		if (c > 0)
			fputs(", ", stdout);
		cell(r, cols[c], 0, 1, buf, sizeof(buf));
		json_member(columns[cols[c]].key, buf,
		    columns[cols[c]].json);
	}
}

/* The listing. */
static int
list(const struct opts *o)
{
	const char *heads[MAX_COLS];
	int right[MAX_COLS];
	char *cells[MAX_COLS], buf[MAX_COLS][512];
	struct table t;
	struct row r;
	char **names;
	size_t n, i, c;
	int e, first = 1;

	if ((e = shmc_list(&names, &n)) != 0)
		cli_failx(e == EACCES || e == EPERM ? CLI_PERM : CLI_OSERR,
		    "cannot list the shm directory: %s", shmc_strerror(e));
	for (c = 0; c < o->ncols; c++) {
		heads[c] = columns[o->cols[c]].name;
		right[c] = columns[o->cols[c]].right;
		cells[c] = buf[c];
	}
	table_init(&t, o->ncols, heads, right);
	if (o->format == FMT_JSON)
		printf("{\n   \"shmconc\": [");
	for (i = 0; i < n; i++) {
		if (inspect(names[i], &r) != 0 || !selected(o, &r))
			continue;
		if (o->format == FMT_JSON) {
			printf("%s\n      {", first ? "" : ",");
			json_row(&r, o->cols, o->ncols);
			putchar('}');
			first = 0;
			continue;
		}
		for (c = 0; c < o->ncols; c++)
			cell(&r, o->cols[c], !o->bytes, 0, buf[c],
			    sizeof(buf[c]));
		table_add(&t, cells, o->format == FMT_RAW);
	}
	if (o->format == FMT_JSON)
		printf("\n   ]\n}\n");
	else
		table_print(&t, o->format == FMT_RAW, o->noheadings);
	shmc_list_free(names, n);
	return CLI_OK;
}

static const char *
role_name(int role)
{
	switch (role) {
	case SHMC_ROLE_SENDER:
		return "sender";
	case SHMC_ROLE_RECEIVER:
		return "receiver";
	}
	return "-";
}

static const char *
wait_name(int what)
{
	switch (what) {
	case SHMC_WAIT_LOCK:
		return "lock";
	case SHMC_WAIT_COND:
		return "cond";
	case SHMC_WAIT_TAKE:
		return "take";
	case SHMC_WAIT_PUT:
		return "put";
	case SHMC_WAIT_READ:
		return "read";
	}
	return "-";
}

/*
 * When a participant began to wait: the time of day if within a day,
 * else the date, as ps(1) shows STIME; ISO 8601 for JSON.
 */
static void
since_text(const struct shmc_peer_info *p, int json, char *buf,
    size_t size)
{
	long long sec = p->wait_since / 1000000000LL;
	time_t t = (time_t)sec, now = time(NULL);
	struct tm tm;

	(void)snprintf(buf, size, "-");
	if (p->waiting == SHMC_WAIT_NONE || p->wait_since <= 0)
		return;
	if (json)
		time_text(sec, TIME_ISO, buf, size);
	else if (localtime_r(&t, &tm) != NULL)
		(void)strftime(buf, size, now - t < 86400 && now >= t ?
		    "%H:%M:%S" : "%Y-%m-%d", &tm);
}

/* A detail line: "Label:" padded, then the value escaped. */
static void
detail(const char *label, const char *fmt, ...) CLI_PRINTF(2, 3);

static void
detail(const char *label, const char *fmt, ...)
{
	char buf[512], *e;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	e = escape(buf, 0);
	printf("%-14s%s\n", label, e);
	free(e);
}

/* The fields of -N, in text. */
static void
details_text(const struct row *r)
{
	const struct shmc_info *in = &r->info;
	const struct shmc_chan_stat *ch = &in->chan;
	char buf[512];
	const char *k;

	cell(r, C_NAME, 0, 0, buf, sizeof(buf));
	detail("Name:", "%s", buf);
	k = in->error == 0 ? cli_kind_name(in->kind) : NULL;
	detail("Kind:", "%s", k != NULL ? k : "-");
	state_text(r, buf, sizeof(buf));
	detail("State:", "%s", buf);
	if (in->error != 0)
		detail("Error:", "%s", shmc_strerror(in->error));
	if (in->kind == SHMC_KIND_MUTEX && in->error == 0 && holder(in) != 0)
		detail("Holder:", "%d", holder(in));
	else if (in->kind == SHMC_KIND_MUTEX && in->error == 0)
		detail("Holder:", "-");
	if (r->have_stat) {
		owner_text(in->uid, buf, sizeof(buf));
		detail("Owner:", "%s (%u)", buf, in->uid);
		perms_text(in->mode, buf);
		detail("Perms:", "%s (%04o)", buf, in->mode);
		detail("Size:", "%llu", in->size);
		time_text(in->ctime, TIME_LONG, buf, sizeof(buf));
		detail(in->error == 0 ? "Created:" : "Changed:", "%s", buf);
	}
	if (in->error != 0)
		return;
	detail("Slots:", "%u", in->peers);
	detail("Attached:", "%u", in->attached);
	detail("Waiters:", "%u", in->waiters);
	if (in->kind == SHMC_KIND_MVAR)
		detail("Value size:", "%u", in->value_size);
	if (in->kind != SHMC_KIND_CHAN)
		return;
	detail("Message size:", "%u", ch->size);
	detail("Capacity:", "%u%s", ch->capacity,
	    ch->capacity == 0 ? " (rendezvous)" : "");
	detail("Depth:", "%u", ch->depth);
	detail("Sent:", "%llu", ch->sent);
	detail("Received:", "%llu", ch->received);
	detail("Skipped:", "%llu", ch->skipped);
	detail("Senders:", "%u", ch->senders);
	detail("Joined:", "%u", ch->joined);
	detail("Expected:", "%u", ch->expected);
	detail("Receiver:", "%s", ch->receiver > 0 ? "alive" :
	    ch->receiver == 0 ? "none yet" : "gone");
	detail("Held:", "%s", ch->held ? "yes" : "no");
}

/* The fields of -N, as JSON members (after the columns). */
static void
details_json(const struct row *r)
{
	const struct shmc_chan_stat *ch = &r->info.chan;

	if (r->info.error != 0 || r->info.kind != SHMC_KIND_CHAN)
		return;
	printf(",\n      \"channel\": {\"capacity\": %u, \"depth\": %u, "
	    "\"size\": %u, \"sent\": %llu, \"received\": %llu, "
	    "\"skipped\": %llu, \"senders\": %u, \"joined\": %u, "
	    "\"expected\": %u, \"receiver\": \"%s\", \"held\": %s}",
	    ch->capacity, ch->depth, ch->size, ch->sent, ch->received,
	    ch->skipped, ch->senders, ch->joined, ch->expected,
	    ch->receiver > 0 ? "alive" : ch->receiver == 0 ? "none" : "gone",
	    ch->held ? "true" : "false");
}

/* -N: one object in detail, with its participants. */
static int
details(const struct opts *o)
{
	static const char *const heads[] = {
		"SLOT", "PID", "TID", "ALIVE", "ROLE", "WAITING", "SINCE",
		"COMMAND"
	};
	static const int right[] = { 1, 1, 1, 0, 0, 0, 0, 0 };
	static int all[C_COUNT];
	struct shmc_peer_info *peers = NULL;
	char b[8][4096], *cells[8], *name;
	struct table t;
	struct row r;
	size_t n = 0, i, c;
	int e;

	memset(&r, 0, sizeof(r));
	r.listed = o->name;
	name = escape(o->name, 0);
	e = shmc_inspect(o->name, &r.info);
	if (e == EINVAL)
		cli_bad_name(name, 200);
	if (e == ENOENT)
		cli_failx(CLI_NOOBJ, "%s: no such object", name);
	if (e != 0)
		cli_fail(e, "%s", name);
	r.have_stat = r.info.ctime != 0;
	if (!r.have_stat) {
		/* The fallback wants the name as it is in the directory. */
		r.listed = r.info.name;
		(void)stat_fallback(&r);
	}
	if (r.info.error == 0 && r.info.peers > 0) {
		peers = xmalloc(r.info.peers * sizeof(*peers));
		e = shmc_inspect_peers(o->name, peers, r.info.peers, &n);
		if (e == ENOENT)
			cli_failx(CLI_NOOBJ, "%s: no such object", name);
		if (e != 0) {
			cli_warn(e, "%s: participants", name);
			n = 0;
		}
	}
	if (o->format == FMT_JSON) {
		for (c = 0; c < C_COUNT; c++)
			all[c] = (int)c;
		printf("{\n   \"shmconc\": [\n      {");
		json_row(&r, all, C_COUNT);
		details_json(&r);
		printf(",\n      \"participants\": [");
		for (i = 0; i < n; i++) {
			printf("%s\n         {\"slot\": %u, \"pid\": %d, "
			    "\"tid\": %d, \"alive\": %s, \"start\": %llu, ",
			    i > 0 ? "," : "", peers[i].slot, peers[i].pid,
			    peers[i].tid, peers[i].alive ? "true" : "false",
			    peers[i].start);
			json_member("comm", peers[i].comm, J_STR);
			fputs(", ", stdout);
			json_member("role", role_name(peers[i].role),
			    J_STRNULL);
			fputs(", ", stdout);
			json_member("waiting", wait_name(peers[i].waiting),
			    J_STRNULL);
			fputs(", ", stdout);
			since_text(&peers[i], 1, b[0], sizeof(b[0]));
			json_member("since", b[0], J_STRNULL);
			fputs(", ", stdout);
			cli_peer_command(&peers[i], b[0], sizeof(b[0]));
			json_member("command", b[0], J_STR);
			putchar('}');
		}
		printf("%s]}\n   ]\n}\n", n > 0 ? "\n      " : "");
		free(peers);
		free(name);
		return CLI_OK;
	}
	details_text(&r);
	if (n > 0) {
		putchar('\n');
		table_init(&t, 8, heads, right);
		for (c = 0; c < 8; c++)
			cells[c] = b[c];
		for (i = 0; i < n; i++) {
			(void)snprintf(b[0], sizeof(b[0]), "%u",
			    peers[i].slot);
			(void)snprintf(b[1], sizeof(b[1]), "%d", peers[i].pid);
			(void)snprintf(b[2], sizeof(b[2]), "%d", peers[i].tid);
			(void)snprintf(b[3], sizeof(b[3]), "%s",
			    peers[i].alive ? "yes" : "no");
			(void)snprintf(b[4], sizeof(b[4]), "%s",
			    role_name(peers[i].role));
			(void)snprintf(b[5], sizeof(b[5]), "%s",
			    wait_name(peers[i].waiting));
			since_text(&peers[i], 0, b[6], sizeof(b[6]));
			cli_peer_command(&peers[i], b[7], sizeof(b[7]));
			table_add(&t, cells, o->format == FMT_RAW);
		}
		table_print(&t, o->format == FMT_RAW, o->noheadings);
	}
	free(peers);
	free(name);
	return CLI_OK;
}

/*
 * Parse the -o list into o->cols: column names separated by commas, in
 * any case; a leading + adds them to the default columns.
 */
static void
parse_columns(struct opts *o, const char *arg)
{
	char *copy, *p, *tok;
	size_t i;
	int c;

	o->ncols = 0;
	if (*arg == '+') {
		arg++;
		for (i = 0; i < sizeof(default_cols) / sizeof(default_cols[0]);
		    i++)
			o->cols[o->ncols++] = default_cols[i];
	}
	if ((copy = strdup(arg)) == NULL)
		cli_fail(ENOMEM, "strdup");
	for (p = copy; (tok = strsep(&p, ",")) != NULL;) {
		for (c = 0; c < C_COUNT; c++)
			if (strcasecmp(tok, columns[c].name) == 0)
				break;
		if (c == C_COUNT) {
			if (*tok == '\0')
				usage_error("empty column name in '%s'", arg);
			usage_error("unknown column '%s'", tok);
		}
		if (o->ncols == MAX_COLS)
			usage_error("more than %d columns", MAX_COLS);
		o->cols[o->ncols++] = c;
	}
	free(copy);
}

/* Parse the command line into *o, exiting on -h, -V or any error. */
static void
parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "bytes",      no_argument,            NULL, 'b' },
		{ "help",       no_argument,            NULL, 'h' },
		{ "json",       no_argument,            NULL, 'J' },
		{ "name",       required_argument,      NULL, 'N' },
		{ "noheadings", no_argument,            NULL, 'n' },
		{ "output",     required_argument,      NULL, 'o' },
		{ "raw",        no_argument,            NULL, 'r' },
		{ "stale",      no_argument,            NULL, LONG_STALE },
		{ "type",       required_argument,      NULL, 't' },
		{ "version",    no_argument,            NULL, 'V' },
		{ NULL,         0,                      NULL, 0 }
	};
	size_t i;
	int ch;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < sizeof(default_cols) / sizeof(default_cols[0]); i++)
		o->cols[o->ncols++] = default_cols[i];
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":JN:Vbhno:rt:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'J':
			o->format = FMT_JSON;
			break;
		case 'N':
			o->name = optarg;
			break;
		case 'V':
			cli_version("shmls");
		case 'b':
			o->bytes = 1;
			break;
		case 'h':
			cli_usage(CLI_OK, synopsis);
		case 'n':
			o->noheadings = 1;
			break;
		case 'o':
			parse_columns(o, optarg);
			o->given_list = 1;
			break;
		case 'r':
			if (o->format != FMT_JSON)
				o->format = FMT_RAW;
			break;
		case 't':
			if ((o->kind = cli_kind_parse(optarg)) == 0)
				usage_error("unknown kind '%s': mutex, cond, "
				    "mvar or chan", optarg);
			o->given_list = 1;
			break;
		case LONG_STALE:
			o->stale = 1;
			o->given_list = 1;
			break;
		default:
			cli_bad_option(synopsis, ch, argv);
		}
	}
	if (optind < argc)
		usage_error("unexpected operand '%s'", argv[optind]);
	if (o->name != NULL && o->given_list)
		usage_error("-N does not go with -o, -t or --stale");
}

int
main(int argc, char **argv)
{
	struct opts o;
	int r;

	cli_init(argv[0]);
	parse(argc, argv, &o);
	r = o.name != NULL ? details(&o) : list(&o);
	if (fflush(stdout) != 0 || ferror(stdout))
		cli_failx(CLI_OSERR, "standard output: %s",
		    shmc_strerror(errno));
	return r;
}
