/*
 * fuzz-names: object names through the public API.
 *
 * The input, up to its first NUL, is a name.  SHMCONC_DIR is an empty
 * private directory, so every call must fail: shmc_mutex_unlink,
 * shmc_mvar_open without SHMC_CREAT and shmc_inspect with EINVAL for a
 * name that breaks the rules of DESIGN.md section 3 and ENOENT for one
 * that keeps them (checked against an independent reading of the rules),
 * and shmc_remove, whose rule is only "not empty, no slash", likewise.
 * A valid name and the same name with a leading slash are one object.
 *
 * Nothing may touch a file outside the directory: next to it lie canary
 * objects (a valid mutex and MVar, by names a path trick could reach)
 * that must survive every input, and the directory must stay empty.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#include "config.h"

#include "fuzz.h"
#include "shm.h"
#include "shmconc.h"

/* The longest name tried, beyond the 200-byte limit. */
#define NAME_MAX_TRY    4200

static char ns[PATH_MAX];

/* The canaries, in the parent of SHMCONC_DIR, and their inodes. */
static const char *const canaries[] = {
	"shmconc.canary", "shmconc.ns", "canary", "shmconc.mvar"
};
static char canary_path[4][PATH_MAX];
static ino_t canary_ino[4];

/* The rules, read from DESIGN.md section 3: 1 if name is valid. */
static int
ref_valid(const char *name, const char **canon)
{
	const char *p;
	size_t len;

	if (*name == '/')
		name++;
	len = strlen(name);
	if (len < 1 || len > 200 || name[0] == '.' || name[0] == '-')
		return 0;
	for (p = name; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			return 0;
	*canon = name;
	return 1;
}

static void
expect(const char *what, const char *name, int r, int want)
{
	if (r != want)
		fuzz_fail("%s(\"%.80s\"%s): %d (%s), not %d (%s)", what, name,
		    strlen(name) > 80 ? "..." : "", r, shmc_strerror(r), want,
		    shmc_strerror(want));
}

/* The canaries are all there, unchanged, and the directory is empty. */
static void
check_files(const char *name)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	size_t i;

	for (i = 0; i < SHMC__ARRAY_SIZE(canaries); i++)
		if (lstat(canary_path[i], &st) != 0 ||
		    st.st_ino != canary_ino[i])
			fuzz_fail("\"%.80s\" removed or replaced %s", name,
			    canary_path[i]);
	d = opendir(ns);
	if (d == NULL)
		fuzz_fail("\"%.80s\": %s is gone", name, ns);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			fuzz_fail("\"%.80s\" left %s in %s", name, e->d_name,
			    ns);
	closedir(d);
}

static void
try_name(const char *name)
{
	struct shmc_mvar *mv = NULL;
	struct shmc_info info;
	const char *canon = NULL;
	char *slashed;
	int valid, want, r;
	size_t len;

	valid = ref_valid(name, &canon);
	want = valid ? ENOENT : EINVAL;

	expect("shmc_mutex_unlink", name, shmc_mutex_unlink(name), want);
	r = shmc_mvar_open(name, 0, NULL, &mv);
	if (r == 0)
		shmc_mvar_close(mv);
	expect("shmc_mvar_open", name, r, want);
	r = shmc_inspect(name, &info);
	expect("shmc_inspect", name, r, want);
	if (valid && strcmp(info.name, canon) != 0)
		fuzz_fail("shmc_inspect(\"%.80s\"): name \"%.80s\", not "
		    "\"%.80s\"", name, info.name, canon);

	/* shmc_remove: any name without a slash after the first byte. */
	len = strlen(name);
	r = shmc_remove(name, name[0] != '\0' && name[1] == 'S' ?
	    SHMC_STALE : 0);
	canon = name[0] == '/' ? name + 1 : name;
	if (*canon == '\0' || strchr(canon, '/') != NULL)
		expect("shmc_remove", name, r, EINVAL);
	else if (r != ENOENT && !(r == ENAMETOOLONG && len > 200))
		expect("shmc_remove", name, r, ENOENT);

	/* "x" and "/x" are the same object. */
	if (valid && name[0] != '/') {
		slashed = malloc(len + 2);
		if (slashed == NULL)
			return;
		slashed[0] = '/';
		memcpy(slashed + 1, name, len + 1);
		r = shmc_inspect(slashed, &info);
		expect("shmc_inspect", slashed, r, ENOENT);
		if (strcmp(info.name, name) != 0)
			fuzz_fail("shmc_inspect(\"/%.80s\"): name \"%.80s\"",
			    name, info.name);
		free(slashed);
	}
	check_files(name);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name;

	if (size > NAME_MAX_TRY)
		size = NAME_MAX_TRY;
	name = malloc(size + 1);
	if (name == NULL)
		return 0;
	memcpy(name, data, size);
	name[size] = '\0';
	try_name(name);
	free(name);
	return 0;
}

/* Make a canary object of the given kind in the parent directory. */
static void
make_canary(size_t i, const char *parent)
{
	struct shmc_mutex *m;
	struct shmc_mvar *mv;
	struct stat st;
	FILE *f;
	int r = 0;

	snprintf(canary_path[i], sizeof(canary_path[i]), "%s/%s", parent,
	    canaries[i]);
	if (strncmp(canaries[i], "shmconc.", 8) == 0) {
		if (strcmp(canaries[i], "shmconc.mvar") == 0) {
			r = shmc_mvar_open(canaries[i] + 8, SHMC_CREAT, NULL,
			    &mv);
			if (r == 0)
				shmc_mvar_close(mv);
		} else {
			r = shmc_mutex_open(canaries[i] + 8, SHMC_CREAT, NULL,
			    &m);
			if (r == 0)
				shmc_mutex_close(m);
		}
	} else if ((f = fopen(canary_path[i], "we")) == NULL ||
	    fclose(f) != 0)
		r = errno;
	if (r != 0 || lstat(canary_path[i], &st) != 0)
		fuzz_fail("canary %s: %s", canary_path[i], strerror(r));
	canary_ino[i] = st.st_ino;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *parent;
	size_t i;

	(void)argc;
	(void)argv;
	parent = fuzz_private_dir("names");
	/* The canaries are made in the parent, which is SHMCONC_DIR first. */
	if (setenv("SHMCONC_DIR", parent, 1) != 0)
		exit(1);
	for (i = 0; i < SHMC__ARRAY_SIZE(canaries); i++)
		make_canary(i, parent);
	snprintf(ns, sizeof(ns), "%s/ns", parent);
	if (mkdir(ns, 0700) != 0 || setenv("SHMCONC_DIR", ns, 1) != 0)
		exit(1);
	return 0;
}
