/*
 * shmrm: remove shmconc objects, as ipcrm(1) removes System V IPC.
 *
 * Removing an object removes its name: processes that have it open keep
 * using it, and nobody new can find it.  That is rarely what anyone wants
 * for an object in use, so by default shmrm removes an object only if no
 * participant is alive, with shmc_remove(name, SHMC_STALE): it takes the
 * lease of every participant slot first, which fails if any is held and
 * keeps anyone from attaching until the name is gone, so the check and
 * the removal are one step.  An object in use is refused (status 1, the
 * "would block" of every shmconc command) with a list of who uses it;
 * -f removes it anyway and says whom that concerned.  --stale makes an
 * object in use no failure at all, only something to leave alone.
 *
 * Any file in our namespace may be removed, including foreign and corrupt
 * ones: the namespace is ours.  A file whose name breaks the naming rules
 * is the exception, because shmc_remove refuses such a name; -a and
 * --stale report it and go on.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <shmconc.h>

#include "bin/cli.h"

/* getopt_long's values for the options without a short form. */
#define LONG_DRY_RUN    256
#define LONG_STALE      257

static const char synopsis[] =
    "shmrm [-fv] [--dry-run] name ...\n"
    "shmrm [-fv] [--dry-run] -a [kind]\n"
    "shmrm [-v] [--dry-run] --stale [-a [kind] | name ...]\n"
    "shmrm -h | -V\n";

/* What the command line asks for. */
struct opts {
	int all;                /* -a, or --stale without names */
	int kind;               /* -a KIND: SHMC_KIND_*, or 0 for all */
	int force;              /* -f */
	int verbose;            /* -v */
	int dry_run;            /* --dry-run */
	int stale;              /* --stale */
	char **names;
	int nnames;
};

/* Print "shmrm: message" and the usage, and exit 64. */
#define usage_error(...) cli_usage_error(synopsis, __VA_ARGS__)

/*
 * s in buf (size at least 4 * strlen(s) + 1 is always enough, else it is
 * cut) with control characters, DEL, bytes outside ASCII and backslashes
 * as \xHH, as shmls(1) prints names: a listed name may be any bytes.
 */
static const char *
escape(const char *s, char *buf, size_t size)
{
	const unsigned char *p;
	size_t n = 0;

	for (p = (const unsigned char *)s; *p != '\0' && n + 5 <= size; p++)
		if (*p < 0x20 || *p >= 0x7f || *p == '\\')
			n += (size_t)snprintf(buf + n, size - n, "\\x%02x",
			    *p);
		else
			buf[n++] = (char)*p;
	buf[n] = '\0';
	return buf;
}

/*
 * What an object is, for messages: "mvar jobs", or "junk (not a shmconc
 * object)" for a file that is not a readable object.  The name is the
 * canonical one, without the leading slash a user may give.
 */
static void
describe(const char *name, const struct shmc_info *in, char *buf,
    size_t size)
{
	char e[1024];
	const char *k = in->error == 0 ? cli_kind_name(in->kind) : NULL;

	escape(in->name[0] != '\0' ? in->name : name, e, sizeof(e));
	if (k != NULL)
		(void)snprintf(buf, size, "%s %s", k, e);
	else if (in->error == ELOOP)
		(void)snprintf(buf, size, "%s (a symbolic link)", e);
	else
		(void)snprintf(buf, size, "%s (%s)", e,
		    shmc_strerror(in->error != 0 ? in->error : EMEDIUMTYPE));
}

/*
 * Print, on standard error, one line per live process attached to name:
 * its pid and command (a process with several attached threads once).
 * Returns how many it printed.
 */
static size_t
print_users(const char *name, unsigned int slots)
{
	struct shmc_peer_info *peers;
	char cmd[4096], e[4 * sizeof(cmd) + 1];
	size_t n, i, j, shown = 0;

	if (slots == 0 || (peers = calloc(slots, sizeof(*peers))) == NULL)
		return 0;
	if (shmc_inspect_peers(name, peers, slots, &n) != 0)
		n = 0;
	for (i = 0; i < n; i++) {
		if (!peers[i].alive)
			continue;
		for (j = 0; j < i; j++)
			if (peers[j].alive && peers[j].pid == peers[i].pid)
				break;
		if (j < i)
			continue;
		cli_peer_command(&peers[i], cmd, sizeof(cmd));
		fprintf(stderr, "    pid %d: %s\n", peers[i].pid,
		    escape(cmd, e, sizeof(e)));
		shown++;
	}
	free(peers);
	return shown;
}

/*
 * Remove one object, or say what would happen with --dry-run.  listed
 * says that the name came from the listing of -a or --stale, not from
 * the command line: then an object gone meanwhile is no error, and -a
 * KIND skips the other kinds.  Returns the exit status for this object.
 */
static int
remove_one(const struct opts *o, const char *name, int listed)
{
	struct shmc_info info;
	char what[2048], e[1024];
	int r, busy;

	r = shmc_inspect(name, &info);
	if (r == ENOENT && listed)
		return CLI_OK;
	if (r == ENOENT) {
		cli_warn(0, "%s: no such object", escape(name, e, sizeof(e)));
		return CLI_NOOBJ;
	}
	if (r == EINVAL && !listed) {
		cli_warn(0, "bad name '%s': names are 1 to 200 of A-Z a-z "
		    "0-9 . _ - and do not start with . or -",
		    escape(name, e, sizeof(e)));
		return CLI_USAGE;
	}
	if (r == EINVAL) {
		if (o->kind != 0)
			return CLI_OK;
		cli_warn(0, "%s: name breaks the naming rules, cannot remove "
		    "it; use rm(1) on the file", escape(name, e, sizeof(e)));
		return CLI_DATA;
	}
	if (r != 0) {
		memset(&info, 0, sizeof(info));
		info.error = r;
	}
	if (o->kind != 0 && (info.error != 0 || info.kind != o->kind))
		return CLI_OK;
	describe(name, &info, what, sizeof(what));
	busy = info.error == 0 && info.attached > 0;

	if (o->dry_run) {
		if (busy && o->stale) {
			if (o->verbose)
				printf("would skip %s: in use\n", what);
			return CLI_OK;
		}
		if (busy && !o->force) {
			cli_warn(0, "%s is in use by:", what);
			print_users(name, info.peers);
			cli_warn(0, "%s would not be removed (-f removes it "
			    "anyway)", what);
			return CLI_WOULDBLOCK;
		}
		printf("would remove %s\n", what);
		if (busy) {
			cli_warn(0, "%s is in use by:", what);
			print_users(name, info.peers);
		}
		return CLI_OK;
	}

	if (o->force) {
		/* Who is attached, said before they lose the name. */
		if (busy) {
			cli_warn(0, "removing %s, in use by:", what);
			print_users(name, info.peers);
		}
		r = shmc_remove(name, 0);
	} else {
		r = shmc_remove(name, SHMC_STALE);
		/*
		 * A symbolic link, directory or socket cannot have been
		 * attached to, and cannot take leases: remove it plainly.
		 */
		if (r == ELOOP || r == EMEDIUMTYPE)
			r = shmc_remove(name, 0);
		if (r == EBUSY && o->stale) {
			if (o->verbose)
				printf("skipped %s: in use\n", what);
			return CLI_OK;
		}
		if (r == EBUSY) {
			cli_warn(0, "%s is in use by:", what);
			if (print_users(name, info.peers) == 0)
				fprintf(stderr, "    (participants that "
				    "cannot be shown)\n");
			cli_warn(0, "%s not removed (-f removes it anyway)",
			    what);
			return CLI_WOULDBLOCK;
		}
	}
	if (r == ENOENT && listed)
		return CLI_OK;
	if (r == ENOENT) {
		cli_warn(0, "%s: no such object", escape(name, e, sizeof(e)));
		return CLI_NOOBJ;
	}
	if (r != 0) {
		cli_warn(r, "%s", escape(name, e, sizeof(e)));
		return cli_exit_code(r);
	}
	if (o->verbose)
		printf("removed %s\n", what);
	return CLI_OK;
}

/* Parse the command line into *o, exiting on -h, -V or any error. */
static void
parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "all",        no_argument,    NULL, 'a' },
		{ "dry-run",    no_argument,    NULL, LONG_DRY_RUN },
		{ "force",      no_argument,    NULL, 'f' },
		{ "help",       no_argument,    NULL, 'h' },
		{ "stale",      no_argument,    NULL, LONG_STALE },
		{ "verbose",    no_argument,    NULL, 'v' },
		{ "version",    no_argument,    NULL, 'V' },
		{ NULL,         0,              NULL, 0 }
	};
	int ch;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":Vafhv", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'V':
			cli_version("shmrm");
		case 'a':
			o->all = 1;
			break;
		case 'f':
			o->force = 1;
			break;
		case 'h':
			cli_usage(CLI_OK, synopsis);
		case 'v':
			o->verbose = 1;
			break;
		case LONG_DRY_RUN:
			o->dry_run = 1;
			break;
		case LONG_STALE:
			o->stale = 1;
			break;
		default:
			cli_bad_option(synopsis, ch, argv);
		}
	}
	o->names = argv + optind;
	o->nnames = argc - optind;
	if (o->force && o->stale)
		usage_error("-f and --stale contradict each other");
	if (o->all) {
		if (o->nnames > 1)
			usage_error("-a takes at most one kind");
		if (o->nnames == 1 &&
		    (o->kind = cli_kind_parse(o->names[0])) == 0)
			usage_error("unknown kind '%s': mutex, cond, mvar or "
			    "chan", o->names[0]);
		o->nnames = 0;
	} else if (o->stale && o->nnames == 0)
		o->all = 1;
	else if (o->nnames == 0)
		usage_error("missing name");
}

int
main(int argc, char **argv)
{
	struct opts o;
	char **names;
	size_t n, i;
	int r, worst = CLI_OK;

	cli_init(argv[0]);
	parse(argc, argv, &o);
	if (o.all) {
		if ((r = shmc_list(&names, &n)) != 0)
			cli_failx(r == EACCES || r == EPERM ? CLI_PERM :
			    CLI_OSERR, "cannot list the shm directory: %s",
			    shmc_strerror(r));
		for (i = 0; i < n; i++)
			if ((r = remove_one(&o, names[i], 1)) > worst)
				worst = r;
		shmc_list_free(names, n);
	} else
		for (i = 0; i < (size_t)o.nnames; i++)
			if ((r = remove_one(&o, o.names[i], 0)) > worst)
				worst = r;
	if (fflush(stdout) != 0 || ferror(stdout))
		cli_failx(CLI_OSERR, "standard output: %s",
		    shmc_strerror(errno));
	return worst;
}
