/*
 * SELinux from a bundle (karmor-loader(8), BACKENDS): the bundle's CIL modules (karmorc
 * writes one per host target, selinux/TARGET.cil) go into the host's policy store through
 * libsemanage in one transaction, the policy the store then builds is loaded (libselinux,
 * as load_policy does), and the files the modules' file contexts name are relabelled
 * (selinux_restorecon, as restorecon does).  Everything is linked in: no semodule,
 * load_policy or restorecon is run.  What was applied is STATE_DIR/selinux:
 *   karmor-loader-selinux 1
 *   module<TAB>TARGET                       (one per target; the module is named TARGET)
 * with each module as STATE_DIR/TARGET.cil (what detach relabels) and its rule table as
 * TARGET.rules (events attribute AVC records with it).
 *
 * The journal, so that a loader killed at any step leaves the old modules or the new ones,
 * and the next command settles on one:
 *   1. staged: TARGET.cil.new, TARGET.rules.new, then selinux.new (nothing else touched);
 *   2. recorded: selinux.new renamed selinux.next, the point of no return;
 *   3. the store: one transaction removes the modules of the state applied before that the
 *      new one lacks and installs every new module (libsemanage swaps the store whole);
 *   4. the policy the store built loaded; the files of old and new modules relabelled;
 *   5. finished: the staged files renamed, the old ones removed, selinux.next renamed selinux.
 * kl_se_recover deletes what an apply killed before step 2 staged, and does steps 3 to 5 again
 * for one killed after it (each is idempotent).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <selinux/label.h>
#include <selinux/restorecon.h>
#include <selinux/selinux.h>
#include <semanage/semanage.h>

#include "loader.h"

#define KL_SE_MAGIC "karmor-loader-selinux 1"
#define KL_SE_STAGED ".new"
#define KL_SE_RECORDED ".next"
#define KL_SE_PRIORITY 400	/* semodule -i's */
#define KL_SE_MAX_MODULE (64u << 20)

struct kl_se_module {
	char *target;			/* selinux/TARGET.cil: the module's name */
	unsigned char *cil, *rules;
	size_t clen, rlen;
};

struct kl_se_set {
	struct kl_se_module *m;
	unsigned n;
};

struct kl_se_set *kl_se_set_new(void)
{
	return calloc(1, sizeof(struct kl_se_set));
}

void kl_se_set_free(struct kl_se_set *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++) {
		free(s->m[i].target);
		free(s->m[i].cil);
		free(s->m[i].rules);
	}
	free(s->m);
	free(s);
}

unsigned kl_se_set_count(const struct kl_se_set *s)
{
	unsigned n = 0;
	for (unsigned i = 0; s && i < s->n; i++)
		n += s->m[i].cil != NULL;
	return n;
}

static struct kl_se_module *module_of(struct kl_se_set *s, const char *target, size_t len)
{
	for (unsigned i = 0; i < s->n; i++)
		if (strlen(s->m[i].target) == len && !memcmp(s->m[i].target, target, len))
			return &s->m[i];
	struct kl_se_module *m = realloc(s->m, (s->n + 1) * sizeof(*m));
	if (!m)
		return NULL;
	s->m = m;
	memset(&m[s->n], 0, sizeof(*m));
	if (!(m[s->n].target = strndup(target, len)))
		return NULL;
	return &m[s->n++];
}

int kl_se_set_add(struct kl_se_set *s, const char *name, size_t nlen, const unsigned char *data, size_t size)
{
	static const char dir[] = "selinux/";
	size_t dl = sizeof(dir) - 1;
	if (nlen <= dl || memcmp(name, dir, dl) || memchr(name + dl, '/', nlen - dl))
		return 0;
	const char *t = name + dl;
	size_t tl = nlen - dl;
	int cil = tl > 4 && !memcmp(t + tl - 4, ".cil", 4), rules = tl > 6 && !memcmp(t + tl - 6, ".rules", 6);
	if (!cil && !rules)
		return 0;
	struct kl_se_module *m = module_of(s, t, tl - (cil ? 4 : 6));
	unsigned char *c = m ? malloc(size ? size : 1) : NULL;
	if (!c)
		return -1;
	memcpy(c, data, size);
	if (cil) {
		free(m->cil);
		m->cil = c;
		m->clen = size;
	} else {
		free(m->rules);
		m->rules = c;
		m->rlen = size;
	}
	return 0;
}

/* ------------------------------------------------------------ the store */

static void se_msg(void *ctx, semanage_handle_t *h, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void se_msg(void *ctx, semanage_handle_t *h, const char *fmt, ...)
{
	(void)ctx;
	if (semanage_msg_get_level(h) > SEMANAGE_MSG_WARN)
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "karmor-loader: libsemanage: %s\n", buf);
}

int kl_se_usable(char *why, size_t len)
{
	if (is_selinux_enabled() != 1) {
		snprintf(why, len, "SELinux is not active");
		return 0;
	}
	semanage_handle_t *h = semanage_handle_create();
	int managed = h ? semanage_is_managed(h) : -1;
	semanage_handle_destroy(h);
	if (managed != 1) {
		snprintf(why, len, "SELinux is active, but no policy store is managed here (/etc/selinux/semanage.conf, "
				   "/var/lib/selinux): karmor-loader installs modules into one");
		return 0;
	}
	return 1;
}

/* a connected handle, or NULL (reported) */
static semanage_handle_t *se_connect(void)
{
	semanage_handle_t *h = semanage_handle_create();
	if (!h) {
		kl_err("out of memory");
		return NULL;
	}
	semanage_msg_set_callback(h, se_msg, NULL);
	if (semanage_is_managed(h) != 1 || semanage_connect(h) < 0) {
		kl_err("cannot open the SELinux policy store (%s)", geteuid() ? "installing modules needs root" : "see above");
		semanage_handle_destroy(h);
		return NULL;
	}
	/* the policy is loaded here, not by the load_policy program; the file contexts are
	 * checked by setfiles when the store's configuration names one that is there */
	semanage_set_reload(h, 0);
	if (access("/sbin/setfiles", X_OK) && access("/usr/sbin/setfiles", X_OK))
		semanage_set_check_contexts(h, 0);
	semanage_set_default_priority(h, KL_SE_PRIORITY);
	return h;
}

static void se_close(semanage_handle_t *h)
{
	if (!h)
		return;
	if (semanage_is_connected(h))
		semanage_disconnect(h);
	semanage_handle_destroy(h);
}

/* is module name in the store (at any priority)? 1, 0, -1 (reported) */
static int se_installed(semanage_handle_t *h, const char *name)
{
	semanage_module_info_t *list = NULL;
	int n = 0, found = 0;
	if (semanage_module_list(h, &list, &n) < 0) {
		kl_err("cannot list the modules of the SELinux policy store");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		semanage_module_info_t *m = semanage_module_list_nth(list, i);
		if (!found && !strcmp(semanage_module_get_name(m), name))
			found = 1;
		semanage_module_info_datum_destroy(m);
	}
	free(list);
	return found;
}

/* ------------------------------------------------------------ state */

struct se_state {
	int lines;
	unsigned n;
	char **target;
};

static void se_state_free(struct se_state *st)
{
	for (unsigned i = 0; i < st->n; i++)
		free(st->target[i]);
	free(st->target);
	memset(st, 0, sizeof(*st));
}

static int se_state_has(const struct se_state *st, const char *target)
{
	for (unsigned i = 0; st && i < st->n; i++)
		if (!strcmp(st->target[i], target))
			return 1;
	return 0;
}

static int se_state_line(void *ctx, char *line, int lineno, int complete)
{
	struct se_state *st = ctx;
	st->lines = lineno;
	if (!complete)
		return -1;	/* written whole, then renamed: a line without its newline is damage */
	if (lineno == 1)
		return strcmp(line, KL_SE_MAGIC) ? -1 : 0;
	if (strncmp(line, "module\t", 7) || !line[7] || strchr(line + 7, '\t') || strchr(line + 7, '/'))
		return -1;
	char **t = realloc(st->target, (st->n + 1) * sizeof(*t));
	if (!t)
		return -1;
	st->target = t;
	if (!(t[st->n] = strdup(line + 7)))
		return -1;
	st->n++;
	return 0;
}

/* STATE_DIR/selinux + suffix: 1 read, 0 none, -1 damaged or unreadable (reported) */
static int se_state_read(const char *state_dir, const char *suffix, struct se_state *st)
{
	char path[PATH_MAX];
	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/%s%s", state_dir, KL_SE_STATE_FILE, suffix);
	int r = kl_read_lines(path, se_state_line, st);
	if (r == 0)
		return 0;
	if (r < 0 || st->lines < 1) {
		kl_err("%s:%d: not a karmor-loader SELinux state, or damaged", path, st->lines);
		se_state_free(st);
		return -1;
	}
	return 1;
}

/* an SELinux state, or a recorded apply not finished (its modules may be in the store) */
int kl_se_applied(const char *state_dir)
{
	char path[PATH_MAX], next[PATH_MAX + 8];
	snprintf(path, sizeof(path), "%s/%s", state_dir, KL_SE_STATE_FILE);
	snprintf(next, sizeof(next), "%s%s", path, KL_SE_RECORDED);
	return access(path, F_OK) == 0 || access(next, F_OK) == 0;
}

/* STATE_DIR/TARGET.cil (or .rules) + suffix */
static void se_path(char *path, size_t len, const char *state_dir, const char *target, const char *ext,
		    const char *suffix)
{
	snprintf(path, len, "%s/%s%s%s", state_dir, target, ext, suffix);
}

/* a module's text as the state keeps it: staged, the staged copy of a recorded apply (else
 * the applied one, once finished); else the applied one (what the store held before: a
 * re-apply's module of the same target replaces it, the files it named are relabelled
 * too); malloc'd, NULL (reported) */
static unsigned char *se_module_text(const char *state_dir, const char *target, int staged, size_t *len)
{
	char path[PATH_MAX + 300];
	se_path(path, sizeof(path), state_dir, target, ".cil", staged ? KL_SE_STAGED : "");
	if (access(path, F_OK))	/* the other one (a module a recorded apply adds has no applied copy) */
		se_path(path, sizeof(path), state_dir, target, ".cil", staged ? "" : KL_SE_STAGED);
	unsigned char *b = kl_slurp(path, len, KL_SE_MAX_MODULE);
	if (!b)
		kl_err("%s: %s", path, strerror(errno));
	return b;
}

/* ------------------------------------------------------------ labels */

/* The paths a module's file contexts name, for relabelling: each (filecon "REGEX" ...)
 * as its literal prefix; a whole literal is that path alone, else the directory the
 * literal part ends in, with everything below it.  fn(ctx, path, recursive). */
static int se_filecon_paths(const unsigned char *text, size_t len, int (*fn)(void *, const char *, int), void *ctx)
{
	static const char key[] = "(filecon \"";
	const char *p = (const char *)text, *end = p + len;
	int rc = 0;
	while (p < end) {
		const char *hit = memmem(p, (size_t)(end - p), key, sizeof(key) - 1);
		if (!hit)
			break;
		const char *s = hit + sizeof(key) - 1;
		char lit[PATH_MAX];
		size_t n = 0;
		int whole = 1;
		for (; s < end && *s != '"' && n + 1 < sizeof(lit); s++) {
			if (*s == '\\' && s + 1 < end && s[1] != '"') {
				lit[n++] = *++s;
			} else if (strchr(".*+?[](){}|^$", *s)) {
				whole = 0;
				break;
			} else {
				lit[n++] = *s;
			}
		}
		lit[n] = '\0';
		p = s;
		if (!whole) {
			char *slash = strrchr(lit, '/');
			if (!slash)
				continue;
			slash[slash == lit] = '\0';	/* keep "/" itself */
		}
		if (lit[0] == '/' && fn(ctx, lit, !whole))
			rc = -1;
	}
	return rc;
}

struct se_relabel {
	unsigned ok, failed;
};

static int se_relabel_one(void *ctx, const char *path, int recursive)
{
	struct se_relabel *r = ctx;
	if (access(path, F_OK))
		return 0;	/* nothing there to label yet: a file made later takes its label then */
	unsigned flags = SELINUX_RESTORECON_IGNORE_DIGEST | (recursive ? SELINUX_RESTORECON_RECURSE : 0);
	if (selinux_restorecon(path, flags)) {
		kl_warn("cannot relabel %s: %s", kl_vis(path), strerror(errno));
		r->failed++;
		return -1;
	}
	r->ok++;
	return 0;
}

/* the policy the store built, loaded; then every file old's and next's modules name
 * relabelled with the file contexts of that policy; 0, or -1 (reported) */
static int se_load_and_relabel(const char *state_dir, const struct se_state *old, const struct se_state *next,
			       struct se_relabel *r)
{
	if (selinux_mkload_policy(1)) {
		kl_err("cannot load the policy the store built (%s): %s", selinux_binary_policy_path(), strerror(errno));
		return -1;
	}
	KL_CHECKPOINT("the policy loaded");
	struct selabel_handle *lh = selabel_open(SELABEL_CTX_FILE, NULL, 0);	/* this policy's contexts */
	if (!lh) {
		kl_err("cannot read the file contexts of the loaded policy: %s", strerror(errno));
		return -1;
	}
	selinux_restorecon_set_sehandle(lh);
	const struct se_state *both[2] = {old, next};
	for (int k = 0; k < 2; k++) {
		for (unsigned i = 0; both[k] && i < both[k]->n; i++) {
			size_t len = 0;
			unsigned char *text = se_module_text(state_dir, both[k]->target[i], k == 1, &len);
			if (text)
				se_filecon_paths(text, len, se_relabel_one, r);
			free(text);
		}
	}
	KL_CHECKPOINT("the files relabelled");
	return 0;	/* a file that cannot be relabelled was warned about: the modules are in */
}

/* step 3: one transaction, old's modules that next lacks removed, next's installed; 0, -1 */
static int se_store(const char *state_dir, const struct se_state *old, const struct se_state *next)
{
	semanage_handle_t *h = se_connect();
	if (!h)
		return -1;
	int rc = -1;
	if (semanage_begin_transaction(h) < 0) {
		kl_err("cannot begin a transaction of the SELinux policy store");
		goto out;
	}
	for (unsigned i = 0; old && i < old->n; i++) {
		if (se_state_has(next, old->target[i]))
			continue;
		int in = se_installed(h, old->target[i]);
		if (in < 0)
			goto out;
		if (in && semanage_module_remove(h, old->target[i]) < 0) {
			kl_err("cannot remove the module %s", kl_vis(old->target[i]));
			goto out;
		}
	}
	for (unsigned i = 0; next && i < next->n; i++) {
		size_t len = 0;
		unsigned char *text = se_module_text(state_dir, next->target[i], 1, &len);
		if (!text)
			goto out;
		int r = semanage_module_install(h, (char *)text, len, next->target[i], "cil");
		free(text);
		if (r < 0) {
			kl_err("the SELinux policy store refused the module %s", kl_vis(next->target[i]));
			goto out;
		}
	}
	/* the store builds and checks the whole policy; it takes every change or none */
	if (semanage_commit(h) < 0) {
		kl_err("the SELinux policy store refused the modules (see above); it is as it was");
		goto out;
	}
	KL_CHECKPOINT("the store committed");
	rc = 0;
out:
	se_close(h);
	return rc;
}

/* the state directory, if nothing is left in it (a first apply's that did not happen) */
static void se_rmdir_if_empty(const char *state_dir)
{
	if (rmdir(state_dir) && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
		kl_warn("cannot remove %s: %s", state_dir, strerror(errno));
}

/* every staged file (NAME.new) of state_dir removed */
static void se_unstage(const char *state_dir)
{
	DIR *d = opendir(state_dir);
	if (!d)
		return;
	struct dirent *e;
	size_t sl = strlen(KL_SE_STAGED);
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (n > sl && !strcmp(e->d_name + n - sl, KL_SE_STAGED) && unlinkat(dirfd(d), e->d_name, 0) &&
		    errno != ENOENT)
			kl_warn("%s/%s: cannot remove: %s", state_dir, e->d_name, strerror(errno));
	}
	closedir(d);
}

/* step 5: the staged files in place, old's others removed, the record made the state */
static int se_finish(const char *state_dir, const struct se_state *old, const struct se_state *next)
{
	char from[PATH_MAX + 300], to[PATH_MAX + 300];
	static const char *const ext[2] = {".cil", ".rules"};
	for (unsigned i = 0; i < next->n; i++) {
		for (int k = 0; k < 2; k++) {
			se_path(from, sizeof(from), state_dir, next->target[i], ext[k], KL_SE_STAGED);
			se_path(to, sizeof(to), state_dir, next->target[i], ext[k], "");
			if (rename(from, to) && errno != ENOENT) {
				kl_err("cannot rename %s: %s", from, strerror(errno));
				return -1;
			}
		}
	}
	for (unsigned i = 0; old && i < old->n; i++) {
		if (se_state_has(next, old->target[i]))
			continue;
		for (int k = 0; k < 2; k++) {
			se_path(to, sizeof(to), state_dir, old->target[i], ext[k], "");
			if (unlink(to) && errno != ENOENT)
				kl_warn("cannot remove %s: %s", to, strerror(errno));
		}
	}
	snprintf(from, sizeof(from), "%s/%s%s", state_dir, KL_SE_STATE_FILE, KL_SE_RECORDED);
	snprintf(to, sizeof(to), "%s/%s", state_dir, KL_SE_STATE_FILE);
	if (rename(from, to)) {
		kl_err("cannot rename %s: %s", from, strerror(errno));
		return -1;
	}
	return 0;
}

/* steps 3 to 5 of a recorded apply (selinux.next); 0, or -1 reported */
static int se_redo(const char *state_dir, struct se_relabel *r)
{
	struct se_state old, next;
	int have_old = se_state_read(state_dir, "", &old);
	if (have_old < 0)
		return -1;
	int rc = -1;
	if (se_state_read(state_dir, KL_SE_RECORDED, &next) <= 0) {
		se_state_free(&old);
		return -1;
	}
	if (se_store(state_dir, have_old ? &old : NULL, &next) == 0 &&
	    se_load_and_relabel(state_dir, have_old ? &old : NULL, &next, r) == 0 &&
	    se_finish(state_dir, have_old ? &old : NULL, &next) == 0)
		rc = 0;
	se_state_free(&old);
	se_state_free(&next);
	return rc;
}

int kl_se_recover(const char *state_dir)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/%s%s", state_dir, KL_SE_STATE_FILE, KL_SE_RECORDED);
	if (access(path, F_OK) == 0) {
		struct se_relabel r = {0, 0};
		fprintf(stderr, "karmor-loader: finishing an SELinux apply that was interrupted after it was recorded\n");
		if (se_redo(state_dir, &r)) {
			kl_err("the interrupted SELinux apply could not be finished; run 'karmor-loader detach'");
			return -1;
		}
		return 0;
	}
	snprintf(path, sizeof(path), "%s/%s%s", state_dir, KL_SE_STATE_FILE, KL_SE_STAGED);
	if (access(path, F_OK) == 0 || errno != ENOENT) {
		/* staged, never recorded: the store was not touched */
		se_unstage(state_dir);
		se_rmdir_if_empty(state_dir);
	}
	return 0;
}

/* ------------------------------------------------------------ apply, detach, status */

static int cmp_module(const void *x, const void *y)
{
	return strcmp(((const struct kl_se_module *)x)->target, ((const struct kl_se_module *)y)->target);
}

/* the staged files and state (step 1); 0, or -1 reported */
static int se_stage(const struct kl_se_set *s, const char *state_dir)
{
	char path[PATH_MAX + 300];
	for (unsigned i = 0; i < s->n; i++) {
		se_path(path, sizeof(path), state_dir, s->m[i].target, ".cil", KL_SE_STAGED);
		if (kl_write_file(path, s->m[i].cil, s->m[i].clen, O_TRUNC))
			goto fail;
		se_path(path, sizeof(path), state_dir, s->m[i].target, ".rules", KL_SE_STAGED);
		if (s->m[i].rules && kl_write_file(path, s->m[i].rules, s->m[i].rlen, O_TRUNC))
			goto fail;
	}
	snprintf(path, sizeof(path), "%s/%s%s", state_dir, KL_SE_STATE_FILE, KL_SE_STAGED);
	FILE *f = fopen(path, "we");
	if (!f)
		goto fail;
	fprintf(f, "%s\n", KL_SE_MAGIC);
	for (unsigned i = 0; i < s->n; i++)
		fprintf(f, "module\t%s\n", s->m[i].target);
	int bad = ferror(f);
	if (fclose(f) || bad)
		goto fail;
	return 0;
fail:
	kl_err("cannot write the state %s: %s", path, strerror(errno));
	return -1;
}

int kl_se_apply(struct kl_se_set *s, const char *state_dir, int monitor, const char *label)
{
	if (monitor) {
		kl_err("--mode=monitor: SELinux has no complain mode for one module (a permissive domain would "
		       "free every process of the host); apply in enforce mode, or choose --backend bpf or apparmor "
		       "(nothing applied)");
		return KL_EXIT_FAIL;
	}
	for (unsigned i = 0; i < s->n; i++) {
		const char *t = s->m[i].target;
		if (!s->m[i].cil || !*t || strpbrk(t, "\t\n/") || t[0] == '.') {
			kl_err("%s: selinux/%s: %s", label, kl_vis(t), s->m[i].cil ? "not a module name" : "a rule table "
				"without its module");
			return KL_EXIT_FAIL;
		}
	}
	if (!s->n) {
		kl_err("%s: the bundle holds no SELinux module (karmorc writes one per host target)", label);
		return KL_EXIT_FAIL;
	}
	qsort(s->m, s->n, sizeof(*s->m), cmp_module);
	if (kl_se_recover(state_dir))
		return KL_EXIT_FAIL;
	struct se_state old;
	int have_old = se_state_read(state_dir, "", &old);
	if (have_old < 0)
		return KL_EXIT_FAIL;
	/* a module of the bundle already in the store, not by this state: not ours to replace */
	semanage_handle_t *h = se_connect();
	int rc = KL_EXIT_FAIL;
	for (unsigned i = 0; h && i < s->n; i++) {
		int in = se_installed(h, s->m[i].target);
		if (in && (in < 0 || !se_state_has(have_old ? &old : NULL, s->m[i].target))) {
			if (in > 0)
				kl_err("%s: a module %s is already in the SELinux policy store, not by this loader's state; "
				       "remove it first (semodule -r)", label, kl_vis(s->m[i].target));
			se_close(h);
			goto out;
		}
	}
	se_close(h);
	if (!h)
		goto out;
	if (!have_old && mkdir(state_dir, 0700) && errno != EEXIST) {
		kl_err("cannot make the state directory %s: %s", state_dir, strerror(errno));
		goto out;
	}

	/* from here on a signal must not leave half an apply (a kill is kl_se_recover's) */
	sigset_t old_mask;
	kl_hold_signals(&old_mask);
	char staged[PATH_MAX + 32], recorded[PATH_MAX + 32];
	snprintf(staged, sizeof(staged), "%s/%s%s", state_dir, KL_SE_STATE_FILE, KL_SE_STAGED);
	snprintf(recorded, sizeof(recorded), "%s/%s%s", state_dir, KL_SE_STATE_FILE, KL_SE_RECORDED);
	int is_recorded = 0;
	if (se_stage(s, state_dir) == 0) {
		KL_CHECKPOINT("the new state staged");
		is_recorded = rename(staged, recorded) == 0;
		if (!is_recorded)
			kl_err("cannot write the state %s: %s", recorded, strerror(errno));
	}
	struct se_state next;
	int have_next = is_recorded ? se_state_read(state_dir, KL_SE_RECORDED, &next) : 0;
	struct se_relabel r = {0, 0};
	if (have_next > 0) {
		KL_CHECKPOINT("the apply recorded");
		if (se_store(state_dir, have_old ? &old : NULL, &next)) {
			/* the store took none of it: the record goes too */
			if (unlink(recorded))
				kl_err("cannot remove %s: %s", recorded, strerror(errno));
		} else if (se_load_and_relabel(state_dir, have_old ? &old : NULL, &next, &r)) {
			/* the kernel holds the policy it had: the record stays, for the next command */
			kl_err("the modules are in the policy store, but not enforcing; the next karmor-loader command "
			       "tries again (or 'karmor-loader detach' takes them out)");
			se_state_free(&next);
			sigprocmask(SIG_SETMASK, &old_mask, NULL);
			goto out;
		} else {
			if (se_finish(state_dir, have_old ? &old : NULL, &next))
				kl_warn("the new modules enforce; the next karmor-loader command finishes the state in %s",
					kl_vis(state_dir));
			rc = KL_EXIT_OK;
		}
		se_state_free(&next);
	}
	if (rc != KL_EXIT_OK) {
		se_unstage(state_dir);
		se_rmdir_if_empty(state_dir);	/* a first apply's */
		kl_err("nothing was applied%s", have_old ? "; the modules applied before enforce" : "");
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (rc == KL_EXIT_OK) {
		for (unsigned i = 0; i < s->n; i++)
			printf("%s: module %s (priority %d)\n", kl_vis(s->m[i].target), kl_vis(s->m[i].target),
			       KL_SE_PRIORITY);
		printf("applied %u target%s (SELinux: %u module%s in the policy store, the policy loaded, %u path%s "
		       "relabelled), state in %s%s\n",
		       s->n, s->n == 1 ? "" : "s", s->n, s->n == 1 ? "" : "s", r.ok, r.ok == 1 ? "" : "s",
		       kl_vis(state_dir), have_old ? "; it replaced the modules applied before" : "");
	}
out:
	se_state_free(&old);
	return rc;
}

int kl_se_detach(const char *state_dir)
{
	/* the applied modules, and those of a recorded apply that could not be finished */
	struct se_state st, next;
	int have = se_state_read(state_dir, "", &st), have_next = se_state_read(state_dir, KL_SE_RECORDED, &next);
	if (have < 0 || have_next < 0 || (!have && !have_next)) {
		se_state_free(&st);
		se_state_free(&next);
		return have < 0 || have_next < 0 ? KL_EXIT_FAIL : KL_EXIT_OK;
	}
	for (unsigned i = 0; i < next.n; i++) {
		if (se_state_has(&st, next.target[i]))
			continue;
		char **t = realloc(st.target, (st.n + 1) * sizeof(*t));
		if (!t || !(t[st.n] = strdup(next.target[i]))) {
			if (t)
				st.target = t;
			kl_err("out of memory");
			se_state_free(&st);
			se_state_free(&next);
			return KL_EXIT_FAIL;
		}
		st.target = t;
		st.n++;
	}
	se_state_free(&next);
	sigset_t old;
	kl_hold_signals(&old);
	int rc = KL_EXIT_FAIL;
	struct se_relabel r = {0, 0};
	/* the modules out of the store (those still there), the policy without them loaded,
	 * their files relabelled with what the base says */
	if (se_store(state_dir, &st, NULL) == 0 && se_load_and_relabel(state_dir, &st, NULL, &r) == 0 &&
	    kl_remove_state_dir(state_dir) == 0)
		rc = KL_EXIT_OK;
	else
		kl_err("the state in %s is kept; run 'karmor-loader detach' again once the cause is fixed",
		       kl_vis(state_dir));
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rc == KL_EXIT_OK)
		printf("detached: %u SELinux module%s removed from the policy store, %u path%s relabelled, state %s "
		       "removed\n",
		       st.n, st.n == 1 ? "" : "s", r.ok, r.ok == 1 ? "" : "s", kl_vis(state_dir));
	se_state_free(&st);
	return rc;
}

int kl_se_status(const char *state_dir, int json)
{
	struct se_state st;
	if (se_state_read(state_dir, "", &st) <= 0)
		return KL_EXIT_FAIL;
	semanage_handle_t *h = se_connect();
	struct kl_json j;
	kl_json_init(&j);
	unsigned nin = 0;
	if (json) {
		kl_json_open(&j, NULL, '{');
		kl_json_bool(&j, "attached", 1);
		kl_json_str(&j, "backend", "selinux");
		kl_json_str(&j, "enforcement", security_getenforce() == 1 ? "enforce" : "permissive");
		kl_json_str(&j, "state_dir", state_dir);
		kl_json_open(&j, "targets", '[');
	} else {
		printf("attached (SELinux, %s), state in %s\n",
		       security_getenforce() == 1 ? "the host enforcing"
						  : "the host PERMISSIVE: denials are logged, not enforced",
		       kl_vis(state_dir));
	}
	for (unsigned i = 0; i < st.n; i++) {
		int in = h ? se_installed(h, st.target[i]) : -1;
		nin += in == 1;
		if (json) {
			kl_json_open(&j, NULL, '{');
			kl_json_str(&j, "name", st.target[i]);
			kl_json_str(&j, "module", st.target[i]);
			kl_json_bool(&j, "installed", in == 1);
			kl_json_close(&j, '}');
		} else {
			printf("%s: module %s, %s\n", kl_vis(st.target[i]), kl_vis(st.target[i]),
			       in == 1 ? "in the policy store" : in == 0 ? "NOT IN THE POLICY STORE (removed by someone else?)"
									: "unknown (the store cannot be read)");
		}
	}
	se_close(h);
	int rc = KL_EXIT_OK;
	if (json) {
		kl_json_close(&j, ']');
		kl_json_close(&j, '}');
		rc = kl_json_print(&j, stdout) ? KL_EXIT_FAIL : KL_EXIT_OK;
	}
	if (nin != st.n) {
		kl_err("%u of %u modules are not in the policy store", st.n - nin, st.n);
		rc = KL_EXIT_FAIL;
	}
	kl_json_free(&j);
	se_state_free(&st);
	if (fflush(stdout) && rc == KL_EXIT_OK)
		rc = KL_EXIT_FAIL;
	return rc;
}
