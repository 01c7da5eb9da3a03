/*
 * kl_state: what apply leaves behind besides the kernel objects.
 *   STATE_DIR/state      text, one record per line, fields separated by TABs:
 *                          karmor-loader-state 1
 *                          mode<TAB>lsm|without-lsm
 *                          pin-dir<TAB>PATH
 *                          generation<TAB>N
 *                          enforcement<TAB>enforce|monitor   (absent: enforce)
 *                          target<TAB>SLOT<TAB>host|-<TAB>NAME<TAB>IMAGE_FILE
 *                          bind<TAB>SLOT<TAB>CGROUP_ID<TAB>CGROUP_DIR
 *   STATE_DIR/NAME.kmi   a copy of each applied image (events and status read
 *                        rule ids and capacities back from them)
 *   STATE_DIR/run-PID    one bind line for the cgroup of a running `run`
 * Names and paths with a TAB or a newline are refused by apply and run, so the
 * format needs no quoting.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "loader.h"

void kl_state_free(struct kl_state *st)
{
	for (unsigned i = 0; i < st->ntargets; i++) {
		free(st->targets[i].name);
		free(st->targets[i].file);
		if (st->targets[i].img_loaded)
			kl_image_free(&st->targets[i].img);
	}
	for (unsigned i = 0; i < st->nbinds; i++)
		free(st->binds[i].path);
	free(st->targets);
	free(st->binds);
	free(st->pin_dir);
	memset(st, 0, sizeof(*st));
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (n + 1 < cap) {
			if (ferror(f)) {
				free(buf);
				buf = NULL;
				errno = EIO;
			}
			break;
		}
		cap *= 2;
		char *b = realloc(buf, cap);
		if (!b) {
			free(buf);
			buf = NULL;
			errno = ENOMEM;
			break;
		}
		buf = b;
	}
	int e = errno;
	fclose(f);
	errno = e;
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

/* splits line into at most max TAB-separated fields; returns the count */
static int split(char *line, char **f, int max)
{
	int n = 0;
	f[n++] = line;
	for (char *p = line; *p; p++) {
		if (*p == '\t') {
			*p = '\0';
			if (n == max)
				return max + 1;
			f[n++] = p + 1;
		}
	}
	return n;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 20)
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, NULL, 10);
	if (errno || v > max)
		return -1;
	*out = v;
	return 0;
}

static int add_bind(struct kl_state *st, unsigned slot, uint64_t cgid, const char *path, int run)
{
	struct kl_sbind *b = realloc(st->binds, (st->nbinds + 1) * sizeof(*b));
	if (!b)
		return -1;
	st->binds = b;
	b = &st->binds[st->nbinds];
	b->path = strdup(path);
	if (!b->path)
		return -1;
	b->slot = slot;
	b->cgid = cgid;
	b->run = run;
	st->nbinds++;
	return 0;
}

/* one bind line's fields (after "bind") */
static int parse_bind(struct kl_state *st, char **f, int n, int run)
{
	uint64_t slot, cgid;
	if (n != 4 || parse_u64(f[1], KARMOR_MAX_TARGETS - 1, &slot) || parse_u64(f[2], UINT64_MAX, &cgid) ||
	    f[3][0] != '/')
		return -1;
	return add_bind(st, (unsigned)slot, cgid, f[3], run);
}

static int cmp_target(const void *a, const void *b)
{
	const struct kl_starget *x = a, *y = b;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* STATE_DIR/run-PID files: binds of running `run` commands */
static int read_runs(const char *state_dir, struct kl_state *st)
{
	DIR *d = opendir(state_dir);
	if (!d)
		return 0;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, KL_RUN_PREFIX, strlen(KL_RUN_PREFIX)))
			continue;
		char path[PATH_MAX];
		size_t len;
		snprintf(path, sizeof(path), "%s/%s", state_dir, de->d_name);
		char *buf = read_all(path, &len);
		if (!buf)
			continue;	/* the run just ended */
		char *nl = strchr(buf, '\n');
		if (nl)
			*nl = '\0';
		char *f[5];
		int n = split(buf, f, 4);
		if (n < 1 || strcmp(f[0], "bind") || parse_bind(st, f, n, 1)) {
			kl_err("%s: malformed", path);
			rc = -1;
		}
		free(buf);
	}
	closedir(d);
	return rc;
}

int kl_state_read(const char *state_dir, struct kl_state *st)
{
	memset(st, 0, sizeof(*st));
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", state_dir, KL_STATE_FILE);
	size_t len;
	char *buf = read_all(path, &len);
	if (!buf) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		kl_err("%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	int lineno = 0, ok = 1, have_magic = 0;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line && ok; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (lineno == 1) {
			have_magic = !strcmp(line, KL_STATE_MAGIC);
			ok = have_magic;
			continue;
		}
		char *f[6];
		int n = split(line, f, 5);
		uint64_t v, slot;
		if (!strcmp(f[0], "mode") && n == 2 && (!strcmp(f[1], "lsm") || !strcmp(f[1], "without-lsm"))) {
			st->without_lsm = !strcmp(f[1], "without-lsm");
		} else if (!strcmp(f[0], "pin-dir") && n == 2 && f[1][0] == '/') {
			free(st->pin_dir);
			st->pin_dir = strdup(f[1]);
			ok = st->pin_dir != NULL;
		} else if (!strcmp(f[0], "enforcement") && n == 2 &&
			   (!strcmp(f[1], "enforce") || !strcmp(f[1], "monitor"))) {
			st->monitor = !strcmp(f[1], "monitor");
		} else if (!strcmp(f[0], "generation") && n == 2 && !parse_u64(f[1], UINT32_MAX, &v)) {
			st->generation = (uint32_t)v;
		} else if (!strcmp(f[0], "target") && n == 5 && !parse_u64(f[1], KARMOR_MAX_TARGETS - 1, &slot) &&
			   (!strcmp(f[2], "host") || !strcmp(f[2], "-")) && f[3][0] && f[4][0] &&
			   !strchr(f[4], '/')) {
			struct kl_starget *t = realloc(st->targets, (st->ntargets + 1) * sizeof(*t));
			ok = t != NULL;
			if (ok) {
				st->targets = t;
				t = &st->targets[st->ntargets++];
				memset(t, 0, sizeof(*t));
				t->slot = (unsigned)slot;
				t->host = !strcmp(f[2], "host");
				t->name = strdup(f[3]);
				t->file = strdup(f[4]);
				ok = t->name && t->file;
			}
		} else if (!strcmp(f[0], "bind")) {
			ok = parse_bind(st, f, n, 0) == 0;
		} else {
			ok = 0;
		}
	}
	free(buf);
	if (!ok || !have_magic || !st->pin_dir) {
		kl_err("%s:%d: not a karmor-loader state file, or damaged (run 'karmor-loader detach --state-dir %s')",
		       path, lineno, state_dir);
		kl_state_free(st);
		return -1;
	}
	qsort(st->targets, st->ntargets, sizeof(*st->targets), cmp_target);
	for (unsigned i = 1; i < st->ntargets; i++) {
		if (st->targets[i].slot == st->targets[i - 1].slot) {
			kl_err("%s: slot %u appears twice (damaged; run 'karmor-loader detach')", path,
			       st->targets[i].slot);
			kl_state_free(st);
			return -1;
		}
	}
	if (read_runs(state_dir, st)) {
		kl_state_free(st);
		return -1;
	}
	return 1;
}

int kl_state_write_file(const char *path, const struct kl_state *st)
{
	FILE *f = fopen(path, "wxe");
	if (!f)
		return -1;
	fprintf(f, "%s\nmode\t%s\npin-dir\t%s\ngeneration\t%" PRIu32 "\n", KL_STATE_MAGIC,
		st->without_lsm ? "without-lsm" : "lsm", st->pin_dir, st->generation);
	fprintf(f, "enforcement\t%s\n", st->monitor ? "monitor" : "enforce");
	for (unsigned i = 0; i < st->ntargets; i++) {
		const struct kl_starget *t = &st->targets[i];
		fprintf(f, "target\t%u\t%s\t%s\t%s\n", t->slot, t->host ? "host" : "-", t->name, t->file);
	}
	for (unsigned i = 0; i < st->nbinds; i++) {
		const struct kl_sbind *b = &st->binds[i];
		if (!b->run)
			fprintf(f, "bind\t%u\t%" PRIu64 "\t%s\n", b->slot, b->cgid, b->path);
	}
	int bad = ferror(f);
	if (fclose(f) || bad) {
		if (!errno)
			errno = EIO;
		return -1;
	}
	return 0;
}

int kl_state_load_images(const char *state_dir, struct kl_state *st)
{
	for (unsigned i = 0; i < st->ntargets; i++) {
		struct kl_starget *t = &st->targets[i];
		if (t->img_loaded)
			continue;
		char path[PATH_MAX], err[512];
		snprintf(path, sizeof(path), "%s/%s", state_dir, t->file);
		if (kl_image_read(path, &t->img, err, sizeof(err))) {
			kl_err("%s", err);
			return -1;
		}
		t->img_loaded = 1;
	}
	return 0;
}

const struct kl_starget *kl_state_target(const struct kl_state *st, unsigned slot)
{
	for (unsigned i = 0; i < st->ntargets; i++)
		if (st->targets[i].slot == slot)
			return &st->targets[i];
	return NULL;
}

const char *kl_pin_dir(const struct kl_dirs *d, const struct kl_state *st, int have_state)
{
	if (d->pin_dir)
		return d->pin_dir;
	if (have_state && st->pin_dir)
		return st->pin_dir;
	return KARMOR_PIN_DIR;
}

int kl_pin_path(char *buf, size_t len, const char *pin_dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", pin_dir, name);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int kl_pin_open(const char *pin_dir, const char *name)
{
	char path[PATH_MAX];
	if (kl_pin_path(path, sizeof(path), pin_dir, name))
		return -1;
	return bpf_obj_get(path);
}

void kl_hold_signals(sigset_t *old)
{
	sigset_t hold;
	sigemptyset(&hold);
	sigaddset(&hold, SIGINT);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGHUP);
	sigaddset(&hold, SIGQUIT);
	sigprocmask(SIG_BLOCK, &hold, old);
}

int kl_lock(const char *pin_dir)
{
	/* the parent of the pin directory exists when anything can be pinned */
	char parent[PATH_MAX];
	snprintf(parent, sizeof(parent), "%s", pin_dir);
	char *slash = strrchr(parent, '/');
	if (slash && slash != parent)
		*slash = '\0';
	else if (slash)
		slash[1] = '\0';
	else
		snprintf(parent, sizeof(parent), ".");
	int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void kl_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int is_pin_name(const char *n)
{
	return !strncmp(n, KL_LINK_PREFIX, strlen(KL_LINK_PREFIX)) ||
	       !strncmp(n, KL_PROG_PREFIX, strlen(KL_PROG_PREFIX)) || !strncmp(n, "karmor_", 7);
}

/* unlinks the pins of one kind (links first: they hold the attachments) */
static int unpin_pass(const char *pin_dir, int links, int *count)
{
	DIR *d = opendir(pin_dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		if (!is_pin_name(n))
			continue;
		int is_link = !strncmp(n, KL_LINK_PREFIX, strlen(KL_LINK_PREFIX));
		if (is_link != links)
			continue;
		char path[PATH_MAX];
		if (kl_pin_path(path, sizeof(path), pin_dir, n) || unlinkat(dirfd(d), n, 0)) {
			kl_err("%s/%s: cannot remove: %s", pin_dir, n, strerror(errno));
			rc = -1;
			continue;
		}
		(*count)++;
	}
	closedir(d);
	return rc;
}

int kl_unpin_all(const char *pin_dir)
{
	int count = 0;
	if (unpin_pass(pin_dir, 1, &count) || unpin_pass(pin_dir, 0, &count))
		return -1;
	if (rmdir(pin_dir) && errno != ENOENT) {
		if (errno == ENOTEMPTY || errno == EEXIST)
			kl_warn("%s: left in place: it holds files karmor-loader did not make", pin_dir);
		else {
			kl_err("%s: cannot remove: %s", pin_dir, strerror(errno));
			return -1;
		}
	}
	return count;
}

int kl_pins_left(const char *pin_dir, char *buf, size_t len)
{
	if (len)
		buf[0] = '\0';
	DIR *d = opendir(pin_dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	struct dirent *de;
	int count = 0;
	size_t off = 0;
	while ((de = readdir(d))) {
		if (!is_pin_name(de->d_name))
			continue;
		count++;
		if (off < len) {
			int n = snprintf(buf + off, len - off, "%s%s", count > 1 ? ", " : "", de->d_name);
			off += n > 0 ? (size_t)n : 0;
		}
	}
	closedir(d);
	if (off >= len && len > 4)
		snprintf(buf + len - 4, 4, "...");
	return count;
}

char *kl_state_salvage_pin_dir(const char *state_dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", state_dir, KL_STATE_FILE);
	size_t len;
	char *buf = read_all(path, &len);
	if (!buf)
		return NULL;
	char *found = NULL;
	int n = 0;
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "pin-dir\t/", 9) || strchr(line + 8, '\t'))
			continue;
		n++;
		found = line + 8;
	}
	/* two pin-dir lines: no telling which one is right */
	char *r = n == 1 ? strdup(found) : NULL;
	free(buf);
	return r;
}

int kl_write_file(const char *path, const void *data, size_t len, int flag)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flag, 0600);
	if (fd < 0)
		return -1;
	const unsigned char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return close(fd);
}

int kl_remove_state_dir(const char *state_dir)
{
	DIR *d = opendir(state_dir);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		size_t len = strlen(n), sl = strlen(KARMOR_IMAGE_SUFFIX);
		size_t al = strlen(KL_AA_BUILD_SUFFIX), rl = strlen(KL_AA_RULES_SUFFIX);
		/* an AppArmor state's files (its builds and rule tables), and the *.new and
		 * apparmor.next an apply left (see apparmor.c, the journal); the same of SELinux */
		char base[256];
		int side = len > 4 && (!strcmp(n + len - 4, ".new") || !strcmp(n + len - 5, ".next"));
		snprintf(base, sizeof(base), "%.*s", side ? (int)(len - (n[len - 1] == 'w' ? 4 : 5)) : (int)len, n);
		size_t bl = strlen(base);
		int aa = !strcmp(base, KL_AA_STATE_FILE) || (bl > al && !strcmp(base + bl - al, KL_AA_BUILD_SUFFIX)) ||
			 (bl > rl && !strcmp(base + bl - rl, KL_AA_RULES_SUFFIX));
		/* an SELinux state's (its modules, TARGET.cil; see selinux.c) */
		aa |= !strcmp(base, KL_SE_STATE_FILE) || (bl > 4 && !strcmp(base + bl - 4, ".cil"));
		int ours = !strcmp(n, KL_STATE_FILE) || aa || !strncmp(n, KL_RUN_PREFIX, strlen(KL_RUN_PREFIX)) ||
			   (len > sl && !strcmp(n + len - sl, KARMOR_IMAGE_SUFFIX));
		if (ours && unlinkat(dirfd(d), n, 0) && errno != ENOENT) {
			kl_err("%s/%s: cannot remove: %s", state_dir, n, strerror(errno));
			rc = -1;
		}
	}
	closedir(d);
	if (rmdir(state_dir) && errno != ENOENT) {
		if (errno == ENOTEMPTY || errno == EEXIST)
			kl_warn("%s: left in place: it holds files karmor-loader did not make", state_dir);
		else {
			kl_err("%s: cannot remove: %s", state_dir, strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

/* mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo */
static void unescape_mount(char *s)
{
	char *o = s;
	for (char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' &&
		    p[3] <= '7') {
			*o++ = (char)(((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

const char *kl_cgroup2_root(void)
{
	static char root[PATH_MAX];
	static int done;
	if (done)
		return root[0] ? root : NULL;
	done = 1;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return NULL;
	char line[4096];
	while (fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE SOURCE SUPER */
		char *sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		char *f5[5];
		char *p = line;
		int n = 0;
		while (n < 5 && p < sep) {
			f5[n++] = p;
			p = strchr(p, ' ');
			if (!p)
				break;
			*p++ = '\0';
		}
		if (n < 5 || strcmp(f5[3], "/"))
			continue;	/* a bind mount of a sub-tree is not the root */
		unescape_mount(f5[4]);
		/* the unified-mode place wins over a hybrid one */
		if (!root[0] || !strcmp(f5[4], "/sys/fs/cgroup"))
			snprintf(root, sizeof(root), "%s", f5[4]);
	}
	fclose(f);
	return root[0] ? root : NULL;
}
