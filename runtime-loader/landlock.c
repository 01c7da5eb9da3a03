/*
 * run --target T --bundle FILE|DIR -- CMD: CMD confined by Landlock, unprivileged.
 *
 * Reads T's ruleset description (backends/landlock.h) from a bundle (structure and every
 * hash checked; with --key, its signature too) or from the output directory of `karmorc
 * compile`, probes the kernel's Landlock ABI, turns the description into a ruleset, sets
 * no_new_privs, restricts itself and execs CMD.  What the running ABI lacks is dropped
 * and said, as the kernel's sandboxer sample does.
 *
 * Landlock only grants, and a rule on a directory grants to everything below it.  So the
 * ruleset is built by a walk from "/": at each node, the rights every path below it may
 * have (the description's base and grants covering the whole subtree, less whatever any
 * deny entry inside the subtree refuses) go in one rule; the walk descends only into
 * directories that hold an entry, granting each sibling on the way ("everything except").
 * The walk reads the host's files as they are now: a snapshot (karmorc reports KC0416).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../backends/bundle.h"
#include "../backends/landlock.h"
#include "bundle.h"
#include "ll_desc.h"
#include "loader.h"

/* Landlock's UAPI (linux/landlock.h), our own copy: Debian 12's headers stop at ABI 2 */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif
#define LL_CREATE_RULESET_VERSION (1u << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_RULE_NET_PORT 2
#define LL_FS_EXECUTE (1ull << 0)
#define LL_FS_WRITE_FILE (1ull << 1)
#define LL_FS_READ_FILE (1ull << 2)
#define LL_FS_READ_DIR (1ull << 3)
#define LL_FS_REMOVE_DIR (1ull << 4)
#define LL_FS_REMOVE_FILE (1ull << 5)
#define LL_FS_MAKE_CHAR (1ull << 6)
#define LL_FS_MAKE_DIR (1ull << 7)
#define LL_FS_MAKE_REG (1ull << 8)
#define LL_FS_MAKE_SOCK (1ull << 9)
#define LL_FS_MAKE_FIFO (1ull << 10)
#define LL_FS_MAKE_BLOCK (1ull << 11)
#define LL_FS_MAKE_SYM (1ull << 12)
#define LL_FS_REFER (1ull << 13)	/* ABI 2 */
#define LL_FS_TRUNCATE (1ull << 14)	/* ABI 3 */
#define LL_RESTRICT_SELF_LOG_NEW_EXEC_ON (1u << 1)	/* ABI 7 */
#define LL_NET_BIND_TCP (1ull << 0)	/* ABI 4 */
#define LL_NET_CONNECT_TCP (1ull << 1)

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;	/* ABI 4 */
	uint64_t scoped;		/* ABI 6 */
};
struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

/* the rights a non-directory may hold (the kernel refuses others on a file's rule) */
#define LL_FILE_RIGHTS (LL_FS_EXECUTE | LL_FS_WRITE_FILE | LL_FS_READ_FILE | LL_FS_TRUNCATE)
#define LL_DIR_WRITE (LL_FS_REMOVE_DIR | LL_FS_REMOVE_FILE | LL_FS_MAKE_CHAR | LL_FS_MAKE_DIR | LL_FS_MAKE_REG | \
		      LL_FS_MAKE_SOCK | LL_FS_MAKE_FIFO | LL_FS_MAKE_BLOCK | LL_FS_MAKE_SYM | LL_FS_REFER)

struct ll_build {
	const struct kl_ll_desc *d;
	int abi;
	uint64_t fs_mask;	/* the rights this kernel has */
	int ruleset;
	size_t nrules;
	char path[PATH_MAX];
	int unlistable;		/* directories whose entries could not be listed */
};

/* ---------------------------------------------------------------- the description */
struct ll_find {
	const char *want;
	unsigned char *data;
	size_t size;
};

static int ll_find_section(void *ctx, const char *name, size_t nlen, const unsigned char *data, size_t size)
{
	struct ll_find *f = ctx;
	if (nlen != strlen(f->want) || memcmp(name, f->want, nlen))
		return 0;
	f->data = malloc(size ? size : 1);
	if (!f->data)
		return -1;
	memcpy(f->data, data, size);
	f->size = size;
	return 1;
}

/* T's description from a bundle FILE or a compile output DIR; 0, or -1 said */
static int ll_desc_load(const char *from, const char *key, const char *target, struct kl_ll_desc *d)
{
	char name[PATH_MAX], err[3 * PATH_MAX];
	struct stat sb;
	if (strlen(target) > 200 || strchr(target, '/') || !strcmp(target, ".") || !strcmp(target, "..")) {
		kl_err("'%s' is not a target name", target);
		return -1;
	}
	snprintf(name, sizeof(name), KLL_FOLDER "/%s" KLL_SUFFIX, target);
	if (stat(from, &sb)) {
		kl_err("%s: %s", from, strerror(errno));
		return -1;
	}
	unsigned char *text;
	size_t len;
	char where[PATH_MAX + 300];
	if (S_ISDIR(sb.st_mode)) {
		if (key) {
			kl_err("--key checks a bundle's signature; %s is a directory", from);
			return -1;
		}
		snprintf(where, sizeof(where), "%s/%s", from, name);
		text = kl_slurp(where, &len, KLL_MAX_SIZE);
		if (!text) {
			kl_err("%s: %s%s", where, strerror(errno),
			       errno == ENOENT ? " (no such target, or it was not compiled with --target=landlock)" : "");
			return -1;
		}
	} else {
		size_t blen;
		unsigned char *b = kl_slurp(from, &blen, KB_MAX_SIZE);
		if (!b) {
			kl_err("%s: %s", from, strerror(errno));
			return -1;
		}
		if (key) {
			char sigpath[PATH_MAX], trusted[512];
			snprintf(sigpath, sizeof(sigpath), "%s.minisig", from);
			if (kl_signature_verify_files(key, sigpath, b, blen, trusted, sizeof(trusted), err, sizeof(err))) {
				kl_err("%s: the signature does not hold: %s", from, err);
				free(b);
				return -1;
			}
		}
		struct ll_find f = {name, NULL, 0};
		int r = kl_bundle_walk(b, blen, NULL, ll_find_section, &f, err, sizeof(err));
		free(b);
		if (r < 0 || (r == 0 && !f.data)) {
			free(f.data);
			if (r < 0 && err[0])
				kl_err("%s: %s", from, err);
			else if (r < 0)
				kl_err("%s: out of memory", from);
			else
				kl_err("%s: the bundle has no %s (no such target, or it holds no landlock backend)", from, name);
			return -1;
		}
		text = f.data;
		len = f.size;
		snprintf(where, sizeof(where), "%s:%s", from, name);
	}
	int r = kl_ll_desc_parse((const char *)text, len, where, d, err, sizeof(err));
	free(text);
	if (r) {
		kl_err("%s", err);
		return -1;
	}
	if (strcmp(d->target, target)) {
		kl_err("%s names target %s, not %s", where, d->target, target);
		kl_ll_desc_free(d);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- the walk */

/* a is n or below it (both normalised) */
static int ll_under_eq(const char *a, const char *n)
{
	size_t l = strlen(n);
	if (!strcmp(n, "/"))
		return 1;
	return !strncmp(a, n, l) && (a[l] == 0 || a[l] == '/');
}

static int ll_strictly_under(const char *a, const char *n)
{
	return strcmp(a, n) && ll_under_eq(a, n);
}

/* whether n's parent is p */
static int ll_child_of(const char *n, const char *p)
{
	const char *slash = strrchr(n, '/');
	if (!slash || !strcmp(n, "/"))
		return 0;
	size_t pl = slash == n ? 1 : (size_t)(slash - n);
	return strlen(p) == pl && !strncmp(n, p, pl);
}

/* The ops every path of n's subtree has (common), the ops some entry refuses somewhere in it
 * (denied; dir_denied: to some directory in it, for listing), the ops granted to all of it by
 * tree entries (tree: what a directory's entries may be made and removed by), and whether
 * any entry lies inside it (descend).  common and tree have the denied ops removed. */
static void ll_node(const struct kl_ll_desc *d, const char *n, int isdir, unsigned *common, unsigned *denied,
		    unsigned *dir_denied, unsigned *tree, int *descend)
{
	*common = *tree = d->base;
	*denied = *dir_denied = 0;
	*descend = 0;
	for (size_t i = 0; i < d->n; i++) {
		const struct kl_ll_entry *e = &d->e[i];
		int covers_all, touches;
		if (e->inert)
			continue;
		switch (e->kind) {
		case KLL_TREE:
			covers_all = ll_under_eq(n, e->path);
			touches = covers_all || ll_strictly_under(e->path, n);
			if (ll_strictly_under(e->path, n))
				*descend = 1;
			if (covers_all && !e->deny)
				*tree |= e->ops;
			break;
		case KLL_DIR:
			covers_all = !isdir && (ll_child_of(n, e->path) || !strcmp(n, e->path));
			touches = ll_under_eq(e->path, n) || (!isdir && ll_child_of(n, e->path));
			if (ll_under_eq(e->path, n))
				*descend = 1;
			if (isdir && ll_child_of(n, e->path)) {
				/* a directory directly in D: the entry holds for it (listing it), not
				 * for what it holds, which its own children's rules give back */
				if (e->deny)
					*dir_denied |= e->ops;
				*descend = 1;
			}
			break;
		default:
			covers_all = !isdir && !strcmp(n, e->path);
			touches = ll_under_eq(e->path, n);
			/* a file entry naming a directory holds for it, not for what it holds */
			if (ll_strictly_under(e->path, n) || (isdir && !strcmp(e->path, n)))
				*descend = 1;
			break;
		}
		if (e->deny && touches) {
			*denied |= e->ops;
			if (e->kind != KLL_FILE || e->names_dir)
				*dir_denied |= e->ops;
		}
		else if (!e->deny && covers_all)
			*common |= e->ops;
	}
	*tree &= ~*denied;
}

/* granted: the ops granted to all of the subtree, denials not yet removed */
static uint64_t ll_rights(const struct ll_build *b, unsigned granted, unsigned tree, unsigned denied,
			  unsigned dir_denied, int isdir)
{
	uint64_t r = 0;
	unsigned ops = granted & ~denied;
	if (ops & KLL_READ)
		r |= LL_FS_READ_FILE;
	if (granted & ~dir_denied & KLL_READ)
		r |= LL_FS_READ_DIR;	/* listing: judged on directories only */
	if (ops & KLL_WRITE)
		r |= LL_FS_WRITE_FILE | LL_FS_TRUNCATE;
	if ((tree & KLL_WRITE) && isdir)
		r |= LL_DIR_WRITE;
	if (ops & KLL_EXEC) {
		r |= LL_FS_EXECUTE;
		/* the kernel opens a program for reading to run it */
		if (!(denied & KLL_READ))
			r |= LL_FS_READ_FILE;
	}
	if (!isdir)
		r &= LL_FILE_RIGHTS;
	return r & b->fs_mask;
}

static uint64_t ll_handled(const struct ll_build *b)
{
	return ll_rights(b, b->d->handle, b->d->handle & KLL_WRITE, 0, 0, 1);
}

static int ll_add_rule(struct ll_build *b, int fd, uint64_t rights)
{
	struct ll_path_beneath_attr pb = {rights, fd};
	if (b->nrules == KLL_MAX_RULES) {
		kl_err("the ruleset would need more than %u rules", KLL_MAX_RULES);
		return -1;
	}
	if (syscall(SYS_landlock_add_rule, b->ruleset, LL_RULE_PATH_BENEATH, &pb, 0)) {
		kl_err("landlock_add_rule %s: %s", b->path, strerror(errno));
		return -1;
	}
	b->nrules++;
	return 0;
}

static int ll_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* b->path is the node (fd: an O_PATH descriptor of it, sb its status); granted: what its
 * directories give */
static int ll_walk(struct ll_build *b, int fd, const struct stat *sb, uint64_t granted)
{
	unsigned common, denied, dir_denied, tree;
	int descend, isdir = S_ISDIR(sb->st_mode);
	ll_node(b->d, b->path, isdir, &common, &denied, &dir_denied, &tree, &descend);
	/* another name of a blocked file (a hard link) is the same file: a rule on it would
	 * be a rule on the blocked one */
	for (size_t i = 0; i < b->d->n && !isdir && sb->st_nlink > 1; i++) {
		const struct kl_ll_entry *e = &b->d->e[i];
		if (e->ino && e->ino == sb->st_ino && e->dev == sb->st_dev && (e->ops & ~denied)) {
			denied |= e->ops;
			dir_denied |= e->ops;
			if (strcmp(e->path, b->path))
				kl_warn("landlock: %s is the same file as %s (a hard link), which the target blocks: "
					"refused there too", b->path, e->path);
		}
	}
	uint64_t want = ll_rights(b, common, tree, denied, dir_denied, isdir) & ll_handled(b);
	if (want & ~granted) {
		if (ll_add_rule(b, fd, want & ~granted))
			return -1;
		granted |= want;
	}
	if (!isdir || !descend)
		return 0;
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!dir) {
		if (dfd >= 0)
			close(dfd);
		kl_warn("landlock: %s cannot be listed (%s): its entries get no grant of their own", b->path,
			strerror(errno));
		b->unlistable++;
		return 0;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (!nn) {
				rc = -1;
				break;
			}
			names = nn;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(dir);
	if (rc)
		kl_err("out of memory listing %s", b->path);
	if (n > 1)
		qsort(names, n, sizeof(*names), ll_name_cmp);
	size_t plen = strlen(b->path);
	for (size_t i = 0; i < n && !rc; i++) {
		size_t nl = strlen(names[i]);
		if (plen + 1 + nl + 1 > sizeof(b->path)) {
			kl_warn("landlock: %s/%s: path too long, not granted", b->path, names[i]);
			continue;
		}
		snprintf(b->path + plen, sizeof(b->path) - plen, "%s%s", plen == 1 ? "" : "/", names[i]);
		struct stat csb;
		int cfd = openat(fd, names[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
		/* a symbolic link is never opened itself: what it names is reached by its own path */
		if (cfd >= 0 && !fstat(cfd, &csb) && !S_ISLNK(csb.st_mode))
			rc = ll_walk(b, cfd, &csb, granted);
		if (cfd >= 0)
			close(cfd);
		b->path[plen] = 0;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* ---------------------------------------------------------------- the run registry */

/* field 22 of /proc/PID/stat: when the process started (pids are reused, this is not) */
static int ll_starttime(long pid, unsigned long long *t)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *p = strrchr(buf, ')');	/* comm may hold spaces and parentheses */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	return p && sscanf(p + 1, "%llu", t) == 1 ? 0 : -1;
}

int kl_ll_run_target(const char *state_dir, long pid, char *target, size_t len)
{
	char path[PATH_MAX], line[512];
	unsigned long long want, now;
	snprintf(path, sizeof(path), "%s-" KL_LL_RUNS "/%ld", state_dir, pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	int ok = fgets(line, sizeof(line), f) != NULL;
	fclose(f);
	char *tab = ok ? strchr(line, '\t') : NULL;
	if (!tab || sscanf(line, "%llu", &want) != 1)
		return -1;
	/* a live process must be the one recorded; a finished one can only be it */
	if (!ll_starttime(pid, &now) && now != want)
		return -1;
	tab[strcspn(tab, "\n")] = 0;
	snprintf(target, len, "%s", tab + 1);
	return 0;
}

/* Records that this process (about to become CMD) has target's ruleset, when the state
 * directory can be written (root); the records of processes gone are removed then. */
static void ll_register(const char *state_dir, const char *target)
{
	char dir[PATH_MAX], path[PATH_MAX + 300], tmp[PATH_MAX + 320];
	unsigned long long t;
	snprintf(dir, sizeof(dir), "%s-" KL_LL_RUNS, state_dir);
	if ((mkdir(dir, 0755) && errno != EEXIST) || access(dir, W_OK))
		return;	/* an unprivileged run: nothing recorded, events name the target only when one */
	DIR *d = opendir(dir);
	for (struct dirent *de; d && (de = readdir(d));) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);
		char name[256];
		if (*end || pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) && errno == ESRCH) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		} else if (kl_ll_run_target(state_dir, pid, name, sizeof(name))) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);	/* the pid is another process's now */
		}
	}
	if (d)
		closedir(d);
	if (ll_starttime((long)getpid(), &t))
		return;
	snprintf(path, sizeof(path), "%s/%ld", dir, (long)getpid());
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f)
		return;
	int bad = fprintf(f, "%llu\t%s\n", t, target) < 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path))
		unlink(tmp);
}

/* ---------------------------------------------------------------- run */

int kl_landlock_abi(void)
{
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
	return abi > 0 ? (int)abi : -errno;
}

int kl_ll_run(const char *from, const char *key, const char *target, const char *state_dir, int verbose,
	      char **cmd)
{
	struct kl_ll_desc d;
	if (ll_desc_load(from, key, target, &d))
		return KL_EXIT_RUN_FAIL;
	struct ll_build b;
	memset(&b, 0, sizeof(b));
	b.d = &d;
	b.ruleset = -1;
	b.abi = kl_landlock_abi();
	for (size_t i = 0; i < d.n; i++) {
		struct stat sb;
		struct kl_ll_entry *e = &d.e[i];
		/* Landlock binds rules to files: a path through a symbolic link (/bin/sh, /lib64/...)
		 * is the file it resolves to, where the walk (which never follows links) meets it */
		char real[PATH_MAX];
		if (realpath(e->path, real) && strcmp(real, e->path)) {
			char *copy = strdup(real);
			if (copy) {
				free(e->path);
				e->path = copy;
			}
		}
		if (e->kind != KLL_FILE)
			continue;
		if (stat(e->path, &sb)) {
			e->inert = e->slash;
			continue;
		}
		e->names_dir = S_ISDIR(sb.st_mode);
		e->inert = e->names_dir != e->slash;
		if (e->deny && !e->names_dir) {
			e->dev = sb.st_dev;
			e->ino = sb.st_ino;
		}
	}
	int rc = KL_EXIT_RUN_FAIL;
	if (b.abi < 0) {
		kl_err("Landlock is not available here (%s): nothing confines %s",
		       b.abi == -ENOSYS ? "the kernel has no Landlock" : b.abi == -EOPNOTSUPP ?
		       "Landlock is built in but not enabled at boot (lsm=...,landlock)" : strerror(-b.abi), cmd[0]);
		goto out;
	}
	b.fs_mask = (LL_FS_MAKE_SYM << 1) - 1;
	if (b.abi >= 2)
		b.fs_mask |= LL_FS_REFER;
	else if (d.handle & KLL_WRITE)
		kl_warn("landlock ABI %d: moving or linking a file into another directory is always refused (REFER needs ABI 2)",
			b.abi);
	if (b.abi >= 3)
		b.fs_mask |= LL_FS_TRUNCATE;
	else if (d.handle & KLL_WRITE)
		kl_warn("landlock ABI %d: truncate(2) of a write-blocked file is not refused (TRUNCATE needs ABI 3); "
			"opening it for writing is", b.abi);
	struct ll_ruleset_attr attr = {ll_handled(&b), 0, 0};
	size_t attr_size = sizeof(attr.handled_access_fs);
	if (d.net_tcp) {
		if (b.abi >= 4) {
			attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
			attr_size = offsetof(struct ll_ruleset_attr, scoped);
		} else {
			kl_warn("landlock ABI %d: TCP bind and connect are not refused (they need ABI 4)", b.abi);
		}
	}
	if (!attr.handled_access_fs && !attr.handled_access_net) {
		if (verbose)
			fprintf(stderr, "karmor-loader: run: landlock ABI %d: target %s restricts nothing Landlock handles\n",
				b.abi, target);
	} else {
		b.ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
		if (b.ruleset < 0) {
			kl_err("landlock_create_ruleset: %s", strerror(errno));
			goto out;
		}
		int root = open("/", O_PATH | O_CLOEXEC);
		if (root < 0) {
			kl_err("/: %s", strerror(errno));
			goto out;
		}
		strcpy(b.path, "/");
		struct stat rsb;
		int w = 0;
		if (fstat(root, &rsb)) {
			kl_err("/: %s", strerror(errno));
			w = -1;
		} else if (attr.handled_access_fs) {
			w = ll_walk(&b, root, &rsb, 0);
		}
		close(root);
		if (w)
			goto out;
		if (verbose)
			fprintf(stderr, "karmor-loader: run: landlock ABI %d: target %s: %zu rules%s\n", b.abi, target,
				b.nrules, d.net_tcp && b.abi >= 4 ? ", TCP bind and connect refused" : "");
		if (b.abi >= 7)
			ll_register(state_dir, target);
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
			kl_err("prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
			goto out;
		}
		/* ABI 7: the denials of CMD (a new exec after restrict_self) are logged only when
		 * asked for; the audit records are then what `events --landlock` reads */
		unsigned flags = b.abi >= 7 ? LL_RESTRICT_SELF_LOG_NEW_EXEC_ON : 0;
		if (syscall(SYS_landlock_restrict_self, b.ruleset, flags)) {
			kl_err("landlock_restrict_self: %s", strerror(errno));
			goto out;
		}
		close(b.ruleset);
		b.ruleset = -1;
	}
	kl_ll_desc_free(&d);
	execvp(cmd[0], cmd);
	kl_err("%s: %s%s", cmd[0], strerror(errno),
	       errno == EACCES ? " (the target's rules may not let it be executed)" : "");
	/* this process is confined now: exit at once (no exit handler of ours or of a
	 * sanitizer is owed anything, and /proc may be out of its reach) */
	fflush(stderr);
	_exit(KL_EXIT_RUN_FAIL);
out:
	if (b.ruleset >= 0)
		close(b.ruleset);
	kl_ll_desc_free(&d);
	return rc;
}
