/*
 * AppArmor from a bundle (karmor-loader(8), BACKENDS): the bundle's profiles go into
 * the kernel through libapparmor, all or nothing.  The binary policy karmorc bundle
 * --apparmor-binary built is used when the kernel's feature set is the one it was built
 * for; otherwise apparmor_parser, if installed, compiles the profiles' text for this
 * kernel; otherwise nothing is loaded and the reason is said.  --mode=monitor loads the
 * complain-mode build of every profile: AppArmor then permits and logs what the enforce
 * build would refuse.  What was loaded is STATE_DIR/apparmor:
 *   karmor-loader-apparmor 1
 *   enforcement<TAB>enforce|monitor
 *   source<TAB>binary|apparmor_parser
 *   profile<TAB>TARGET<TAB>PROFILE_NAME      (one per target)
 *   rules<TAB>TARGET                         (a target with a rule table)
 * and each loaded build as STATE_DIR/TARGET.aa, each rule table as TARGET.rules (events
 * attribute the audit records with it).  Every profile of an apply goes to the kernel in
 * one write, which replaces the loaded ones in place and loads the others, all or none;
 * a re-apply then removes the profiles the new bundle no longer has.  The apply is
 * journaled (below), so a loader killed at any step leaves the old profiles or the new ones
 * enforcing, and the next command finishes or undoes it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/apparmor.h>

#include "../backends/bundle.h"
#include "loader.h"

#define KL_AA_MAGIC "karmor-loader-apparmor 1"
#define KL_AA_PROFILES "/sys/kernel/security/apparmor/profiles"
#define KL_AA_MAX_TEXT (64u << 20)	/* apparmor_parser's output read back */

struct kl_aa_profile {
	char *target;	/* the section's file name (apparmor/TARGET) */
	char *name;	/* the profile it declares */
	unsigned char *text, *bin[2];	/* the text; binary policy, enforce and complain */
	size_t tlen, blen[2];
	unsigned char *compiled;	/* apparmor_parser's build for this kernel */
	size_t clen;
	const unsigned char *loaded;	/* the build loaded: one of the above */
	size_t llen;
	unsigned char *rules;	/* apparmor-rules/TARGET.rules: events attribute records with it */
	size_t rlen;
};

struct kl_aa_set {
	struct kl_aa_profile *p;
	unsigned n;
	unsigned char *features;
	size_t flen;
};

struct kl_aa_set *kl_aa_set_new(void)
{
	return calloc(1, sizeof(struct kl_aa_set));
}

void kl_aa_set_free(struct kl_aa_set *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->n; i++) {
		free(s->p[i].target);
		free(s->p[i].name);
		free(s->p[i].text);
		free(s->p[i].bin[0]);
		free(s->p[i].bin[1]);
		free(s->p[i].compiled);
		free(s->p[i].rules);
	}
	free(s->p);
	free(s->features);
	free(s);
}

unsigned kl_aa_set_count(const struct kl_aa_set *s)
{
	return s ? s->n : 0;
}

static struct kl_aa_profile *profile_of(struct kl_aa_set *s, const char *target, size_t len)
{
	for (unsigned i = 0; i < s->n; i++)
		if (strlen(s->p[i].target) == len && !memcmp(s->p[i].target, target, len))
			return &s->p[i];
	struct kl_aa_profile *v = realloc(s->p, (s->n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	s->p = v;
	struct kl_aa_profile *p = &s->p[s->n];
	memset(p, 0, sizeof(*p));
	p->target = strndup(target, len);
	if (!p->target)
		return NULL;
	s->n++;
	return p;
}

static unsigned char *copy(const unsigned char *data, size_t size)
{
	unsigned char *c = malloc(size ? size : 1);
	if (c)
		memcpy(c, data, size);
	return c;
}

static int has_prefix(const char *s, size_t len, const char *pre)
{
	size_t n = strlen(pre);
	return len > n && !memcmp(s, pre, n);
}

int kl_aa_set_add(struct kl_aa_set *s, const char *name, size_t nlen, const unsigned char *data, size_t size)
{
	/* apparmor/T (the text), apparmor-binary/T and apparmor-complain/T (its two builds) */
	static const char *const dirs[3] = {"apparmor/", KB_AA_ENFORCE_DIR "/", KB_AA_COMPLAIN_DIR "/"};
	if (nlen == strlen(KB_AA_FEATURES) && !memcmp(name, KB_AA_FEATURES, nlen)) {
		if (!(s->features = copy(data, size)))
			return -1;
		s->flen = size;
		return 0;
	}
	size_t rl = strlen(KL_AA_RULES_DIR "/"), sl = strlen(KL_AA_RULES_SUFFIX);
	if (has_prefix(name, nlen, KL_AA_RULES_DIR "/") && nlen > rl + sl &&
	    !memcmp(name + nlen - sl, KL_AA_RULES_SUFFIX, sl) && !memchr(name + rl, '/', nlen - rl)) {
		struct kl_aa_profile *p = profile_of(s, name + rl, nlen - rl - sl);
		if (!p || !(p->rules = copy(data, size)))
			return -1;
		p->rlen = size;
		return 0;
	}
	for (int k = 0; k < 3; k++) {
		if (!has_prefix(name, nlen, dirs[k]))
			continue;
		const char *t = name + strlen(dirs[k]);
		size_t tl = nlen - strlen(dirs[k]);
		if (memchr(t, '/', tl))
			return 0;
		struct kl_aa_profile *p = profile_of(s, t, tl);
		unsigned char *c = p ? copy(data, size) : NULL;
		if (!c)
			return -1;
		if (k == 0) {
			p->text = c;
			p->tlen = size;
		} else {
			p->bin[k - 1] = c;
			p->blen[k - 1] = size;
		}
	}
	return 0;
}

/* the name of the first "profile NAME" of a text (karmorc writes one top-level profile per
 * file, named after its target); malloc'd, NULL if there is none */
static char *profile_name(const unsigned char *text, size_t len)
{
	const char *p = (const char *)text, *end = p + len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (le - p > 8 && !memcmp(p, "profile ", 8)) {
			const char *n = p + 8, *e = n;
			while (e < le && *e != ' ' && *e != '{')
				e++;
			return e > n ? strndup(n, (size_t)(e - n)) : NULL;
		}
		p = nl ? nl + 1 : end;
	}
	return NULL;
}

/* ------------------------------------------------------------ apparmor_parser */

static const char *find_parser(void)
{
	static const char *const where[] = {"/sbin/apparmor_parser", "/usr/sbin/apparmor_parser",
					    "/usr/bin/apparmor_parser"};
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

/* apparmor_parser -Q -K -S [-C]: the text of p on stdin, its binary policy for this
 * kernel (apparmor_parser reads the kernel's features) from stdout; both through memfds,
 * so neither side waits on a pipe */
static int parser_compile(const char *parser, struct kl_aa_profile *p, int complain)
{
	int in = memfd_create("karmor-aa-text", MFD_CLOEXEC), out = memfd_create("karmor-aa-bin", MFD_CLOEXEC);
	int rc = -1;
	if (in < 0 || out < 0 || write(in, p->text, p->tlen) != (ssize_t)p->tlen || lseek(in, 0, SEEK_SET)) {
		kl_err("%s: cannot hand the profile to apparmor_parser: %s", p->target, strerror(errno));
		goto out;
	}
	pid_t pid = fork();
	if (pid == 0) {
		if (dup2(in, 0) < 0 || dup2(out, 1) < 0)
			_exit(127);
		execl(parser, "apparmor_parser", "-Q", "-K", "-S", complain ? "-C" : (char *)NULL, (char *)NULL);
		_exit(127);
	}
	int st = 0;
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
		kl_err("%s: %s refused the profile (status %d; its message is above)", p->target, parser,
		       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		goto out;
	}
	struct stat sb;
	if (fstat(out, &sb) || sb.st_size <= 0 || (size_t)sb.st_size > KL_AA_MAX_TEXT) {
		kl_err("%s: apparmor_parser wrote no binary policy", p->target);
		goto out;
	}
	p->clen = (size_t)sb.st_size;
	p->compiled = malloc(p->clen);
	if (!p->compiled || pread(out, p->compiled, p->clen, 0) != (ssize_t)p->clen) {
		kl_err("%s: cannot read apparmor_parser's output: %s", p->target, p->compiled ? strerror(errno) : "out of memory");
		goto out;
	}
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

/* ------------------------------------------------------------ state */

struct aa_state {
	int monitor;
	int lines;	/* read so far */
	char source[32];
	unsigned n;
	char **target, **name;
	unsigned nrules;
	char **rules;	/* the targets with a rule table (TARGET.rules) */
};

static void aa_state_free(struct aa_state *st)
{
	for (unsigned i = 0; i < st->n; i++) {
		free(st->target[i]);
		free(st->name[i]);
	}
	for (unsigned i = 0; i < st->nrules; i++)
		free(st->rules[i]);
	free(st->target);
	free(st->name);
	free(st->rules);
	memset(st, 0, sizeof(*st));
}

static int aa_state_has_rules(const struct aa_state *st, const char *target)
{
	for (unsigned i = 0; i < st->nrules; i++)
		if (!strcmp(st->rules[i], target))
			return 1;
	return 0;
}

int kl_aa_applied(const char *state_dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", state_dir, KL_AA_STATE_FILE);
	return access(path, F_OK) == 0;
}

static int aa_state_line(void *ctx, char *line, int lineno, int complete)
{
	struct aa_state *st = ctx;
	char *tab = strchr(line, '\t'), *tab2 = tab ? strchr(tab + 1, '\t') : NULL;
	int ok = 1;
	st->lines = lineno;
	if (!complete)
		return -1;	/* written whole, then renamed: a line without its newline is damage */
	if (lineno == 1) {
		ok = !strcmp(line, KL_AA_MAGIC);
	} else if (tab && !tab2 && !strncmp(line, "enforcement\t", 12)) {
		ok = !strcmp(tab + 1, "enforce") || !strcmp(tab + 1, "monitor");
		st->monitor = !strcmp(tab + 1, "monitor");
	} else if (tab && !tab2 && !strncmp(line, "source\t", 7)) {
		snprintf(st->source, sizeof(st->source), "%s", tab + 1);
	} else if (tab && !tab2 && !strncmp(line, "rules\t", 6) && tab[1]) {
		char **r = realloc(st->rules, (st->nrules + 1) * sizeof(*r));
		if (r)
			st->rules = r;
		ok = r && (r[st->nrules] = strdup(tab + 1));
		if (ok)
			st->nrules++;
	} else if (tab2 && !strchr(tab2 + 1, '\t') && !strncmp(line, "profile\t", 8) && tab2 > tab + 1 && tab2[1]) {
		char **t = realloc(st->target, (st->n + 1) * sizeof(*t));
		if (t)
			st->target = t;
		char **nm = t ? realloc(st->name, (st->n + 1) * sizeof(*nm)) : NULL;
		if (nm)
			st->name = nm;
		ok = t && nm;
		if (ok) {
			st->target[st->n] = strndup(tab + 1, (size_t)(tab2 - tab - 1));
			st->name[st->n] = strdup(tab2 + 1);
			st->n++;
			ok = st->target[st->n - 1] && st->name[st->n - 1];
		}
	} else {
		ok = 0;
	}
	return ok ? 0 : -1;
}

/* STATE_DIR/apparmor + suffix ("": the applied state; ".new", ".next": an apply's, see
 * the journal below): 1 read, 0 none, -1 damaged or unreadable (reported) */
static int aa_state_read_as(const char *state_dir, const char *suffix, struct aa_state *st)
{
	char path[PATH_MAX];
	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/%s%s", state_dir, KL_AA_STATE_FILE, suffix);
	int r = kl_read_lines(path, aa_state_line, st);
	if (r == 0)
		return 0;
	if (r < 0 || st->lines < 1) {
		kl_err("%s:%d: not a karmor-loader AppArmor state, or damaged", path, st->lines);
		aa_state_free(st);
		return -1;
	}
	return 1;
}

static int aa_state_read(const char *state_dir, struct aa_state *st)
{
	return aa_state_read_as(state_dir, "", st);
}

int kl_aa_monitor(const char *state_dir)
{
	struct aa_state st;
	int have = aa_state_read(state_dir, &st);
	int monitor = have > 0 ? st.monitor : -1;
	if (have > 0)
		aa_state_free(&st);
	return monitor;
}

/* ------------------------------------------------------------ the kernel */

/* "NAME (MODE)" lines of the kernel's profile list: the mode of name, or NULL if it is not
 * loaded; into buf */
static const char *loaded_mode(const char *name, char *buf, size_t len)
{
	FILE *f = fopen(KL_AA_PROFILES, "re");
	if (!f)
		return NULL;
	char line[4096];
	const char *found = NULL;
	size_t n = strlen(name);
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, n) || strncmp(line + n, " (", 2))
			continue;
		char *close = strchr(line + n + 2, ')');
		if (close) {
			*close = '\0';
			snprintf(buf, len, "%s", line + n + 2);
			found = buf;
		}
	}
	fclose(f);
	return found;
}

/* ------------------------------------------------------------ the journal
 *
 * An apply is journaled in STATE_DIR, so that a loader killed at any step leaves either
 * the profiles applied before or the new ones enforcing (never a mix, never neither), and
 * the next command settles on one with its state:
 *   1. staged: each build and rule table as TARGET.aa.new, TARGET.rules.new, then the new
 *      state as apparmor.new (the kernel untouched);
 *   2. recorded: apparmor.new renamed apparmor.next, the point of no return;
 *   3. loaded: every profile in one write to the kernel's replace interface, which takes
 *      all of them or none (it replaces what is loaded, loads the rest);
 *   4. finished: the applied profiles the new bundle lacks removed, the builds renamed,
 *      the tables of the targets that went removed, apparmor.next renamed apparmor.
 * kl_aa_recover (run by the next apply, detach, status, run, events) deletes what an apply
 * killed before step 2 staged, and does steps 3 and 4 again for one killed after it (each
 * step is idempotent, so recovery may be killed too). */

#define KL_AA_STAGED ".new"
#define KL_AA_LOADED ".next"

/* the state file and each build and rule table, in dir, with suffix */
static int write_files(const struct kl_aa_set *s, const char *dir, const char *suffix, int monitor, const char *source)
{
	char path[PATH_MAX + 300];
	for (unsigned i = 0; i < s->n; i++) {
		snprintf(path, sizeof(path), "%s/%s%s%s", dir, s->p[i].target, KL_AA_BUILD_SUFFIX, suffix);
		if (kl_write_file(path, s->p[i].loaded, s->p[i].llen, O_TRUNC)) {
			kl_err("cannot write the state %s: %s", path, strerror(errno));
			return -1;
		}
		snprintf(path, sizeof(path), "%s/%s%s%s", dir, s->p[i].target, KL_AA_RULES_SUFFIX, suffix);
		if (s->p[i].rules && kl_write_file(path, s->p[i].rules, s->p[i].rlen, O_TRUNC)) {
			kl_err("cannot write the state %s: %s", path, strerror(errno));
			return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/%s%s", dir, KL_AA_STATE_FILE, suffix);
	FILE *f = fopen(path, "we");
	int ok = f != NULL;
	if (f) {
		fprintf(f, "%s\nenforcement\t%s\nsource\t%s\n", KL_AA_MAGIC, monitor ? "monitor" : "enforce", source);
		for (unsigned i = 0; i < s->n; i++)
			fprintf(f, "profile\t%s\t%s\n", s->p[i].target, s->p[i].name);
		for (unsigned i = 0; i < s->n; i++)
			if (s->p[i].rules)
				fprintf(f, "rules\t%s\n", s->p[i].target);
		ok = !ferror(f);
		ok &= fclose(f) == 0;
	}
	if (!ok)
		kl_err("cannot write the state %s: %s", path, strerror(errno));
	return ok ? 0 : -1;
}

/* the applied profile of old named name: its index, or -1 */
static int old_index(const struct aa_state *old, const char *name)
{
	for (unsigned i = 0; old && i < old->n; i++)
		if (!strcmp(old->name[i], name))
			return (int)i;
	return -1;
}

/* STATE_DIR/TARGET + suffix + suffix2 into path */
static void state_path(char *path, size_t len, const char *state_dir, const char *target, const char *suffix,
		       const char *suffix2)
{
	snprintf(path, len, "%s/%s%s%s", state_dir, target, suffix, suffix2);
}

/* every staged file (NAME.new) of state_dir: removed (remove), or is there one? */
static int staged_files(const char *state_dir, int remove)
{
	DIR *d = opendir(state_dir);
	if (!d)
		return 0;
	struct dirent *e;
	size_t sl = strlen(KL_AA_STAGED);
	int found = 0;
	while ((e = readdir(d)) && (remove || !found)) {
		size_t n = strlen(e->d_name);
		if (n <= sl || strcmp(e->d_name + n - sl, KL_AA_STAGED))
			continue;
		found = 1;
		if (remove && unlinkat(dirfd(d), e->d_name, 0) && errno != ENOENT)
			kl_warn("%s/%s: cannot remove: %s", state_dir, e->d_name, strerror(errno));
	}
	closedir(d);
	return found;
}

/* what an apply staged before recording it, deleted (the kernel was not touched); 0, or
 * -1 reported */
static int undo_apply(const char *state_dir)
{
	staged_files(state_dir, 1);
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/%s", state_dir, KL_AA_STATE_FILE);
	/* a first apply's directory goes with it */
	if (access(path, F_OK) == 0 || errno != ENOENT)
		return 0;
	return kl_remove_state_dir(state_dir);
}

/* the new builds of a recorded apply (TARGET.aa.new, or TARGET.aa once finish_apply moved
 * it), in one write to the kernel; 0, or -1 reported */
static int load_recorded(aa_kernel_interface *ki, const char *state_dir, const struct aa_state *next)
{
	unsigned char *all = NULL;
	size_t len = 0;
	int rc = 0;
	for (unsigned i = 0; i < next->n && rc == 0; i++) {
		char path[PATH_MAX + 300];
		state_path(path, sizeof(path), state_dir, next->target[i], KL_AA_BUILD_SUFFIX, KL_AA_STAGED);
		if (access(path, F_OK))
			state_path(path, sizeof(path), state_dir, next->target[i], KL_AA_BUILD_SUFFIX, "");
		size_t n = 0;
		unsigned char *b = kl_slurp(path, &n, KL_AA_MAX_TEXT);
		unsigned char *more = b ? realloc(all, len + n + 1) : NULL;
		if (!more) {
			kl_err("%s: %s", path, strerror(errno));
			rc = -1;
		} else {
			all = more;
			memcpy(all + len, b, n);
			len += n;
		}
		free(b);
	}
	if (rc == 0 && len && aa_kernel_interface_replace_policy(ki, (const char *)all, len)) {
		kl_err("the kernel refused the profiles: %s", strerror(errno));
		rc = -1;
	}
	free(all);
	return rc;
}

/* step 4 of a recorded and loaded apply; 0, or -1 reported */
static int finish_apply(aa_kernel_interface *ki, const char *state_dir)
{
	struct aa_state next, old;
	int have_next = aa_state_read_as(state_dir, KL_AA_LOADED, &next);
	int have_old = aa_state_read(state_dir, &old);
	int rc = have_next <= 0 || have_old < 0 ? -1 : 0;
	char from[PATH_MAX + 300], to[PATH_MAX + 300];
	/* the applied profiles the new bundle does not have */
	for (unsigned i = 0; rc == 0 && have_old > 0 && i < old.n; i++) {
		if (old_index(&next, old.name[i]) >= 0)
			continue;
		if (aa_kernel_interface_remove_policy(ki, old.name[i]) && errno != ENOENT) {
			kl_err("cannot remove the profile %s, which the new bundle does not have: %s", kl_vis(old.name[i]),
			       strerror(errno));
			rc = -1;
		}
		KL_CHECKPOINT("a profile the new bundle lacks removed");
	}
	/* the new builds and tables in place (a table the new bundle lacks goes) */
	for (unsigned i = 0; rc == 0 && i < next.n; i++) {
		const char *t = next.target[i];
		state_path(from, sizeof(from), state_dir, t, KL_AA_BUILD_SUFFIX, KL_AA_STAGED);
		state_path(to, sizeof(to), state_dir, t, KL_AA_BUILD_SUFFIX, "");
		if (rename(from, to) && errno != ENOENT)
			rc = -1;
		state_path(from, sizeof(from), state_dir, t, KL_AA_RULES_SUFFIX, KL_AA_STAGED);
		if (rc == 0)
			state_path(to, sizeof(to), state_dir, t, KL_AA_RULES_SUFFIX, "");
		if (rc == 0 && (aa_state_has_rules(&next, t) ? rename(from, to) : unlink(to)) && errno != ENOENT)
			rc = -1;
		if (rc)
			kl_err("cannot put %s in place: %s", to, strerror(errno));
		KL_CHECKPOINT("a build in place");
	}
	/* the builds and tables of the targets that went */
	for (unsigned i = 0; rc == 0 && have_old > 0 && i < old.n; i++) {
		int kept = 0;
		for (unsigned k = 0; k < next.n && !kept; k++)
			kept = !strcmp(next.target[k], old.target[i]);
		for (int k = 0; k < 2 && !kept; k++) {
			state_path(to, sizeof(to), state_dir, old.target[i], k ? KL_AA_RULES_SUFFIX : KL_AA_BUILD_SUFFIX, "");
			unlink(to);
		}
	}
	snprintf(from, sizeof(from), "%s/%s%s", state_dir, KL_AA_STATE_FILE, KL_AA_LOADED);
	snprintf(to, sizeof(to), "%s/%s", state_dir, KL_AA_STATE_FILE);
	if (rc == 0 && rename(from, to)) {
		kl_err("cannot put %s in place: %s", to, strerror(errno));
		rc = -1;
	}
	aa_state_free(&next);
	aa_state_free(&old);
	return rc;
}

int kl_aa_recover(const char *state_dir)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof(path), "%s/%s%s", state_dir, KL_AA_STATE_FILE, KL_AA_LOADED);
	int recorded = access(path, F_OK) == 0;
	if (!recorded && !staged_files(state_dir, 0))
		return 0;
	sigset_t old;
	kl_hold_signals(&old);
	int rc = 0;
	if (recorded) {
		aa_kernel_interface *ki = NULL;
		struct aa_state next;
		if (aa_kernel_interface_new(&ki, NULL, NULL)) {
			kl_err("AppArmor's policy interface: %s", strerror(errno));
			rc = -1;
		} else if (aa_state_read_as(state_dir, KL_AA_LOADED, &next) <= 0) {
			rc = -1;
		} else {
			rc = load_recorded(ki, state_dir, &next);
			aa_state_free(&next);
			if (rc == 0)
				rc = finish_apply(ki, state_dir);
		}
		aa_kernel_interface_unref(ki);
	} else {
		rc = undo_apply(state_dir);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rc)
		kl_err("an AppArmor apply that was interrupted left %s, which could not be %s; run 'karmor-loader "
		       "detach'", state_dir, recorded ? "finished" : "undone");
	else
		kl_warn("an AppArmor apply that was interrupted was %s", recorded ? "finished" : "undone");
	return rc;
}

/* an empty directory? */
static int dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	int empty = 1;
	while (empty && (e = readdir(d)))
		empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
	closedir(d);
	return empty;
}

static int cmp_profile(const void *x, const void *y)
{
	return strcmp(((const struct kl_aa_profile *)x)->target, ((const struct kl_aa_profile *)y)->target);
}

int kl_aa_apply(struct kl_aa_set *s, const char *state_dir, int monitor, const char *label)
{
	if (!s->n) {
		kl_err("%s: the bundle holds no AppArmor profile", label);
		return KL_EXIT_FAIL;
	}
	qsort(s->p, s->n, sizeof(*s->p), cmp_profile);
	for (unsigned i = 0; i < s->n; i++) {
		struct kl_aa_profile *p = &s->p[i];
		if (!p->text || !(p->name = profile_name(p->text, p->tlen)) || strpbrk(p->target, "\t\n") ||
		    strpbrk(p->name, "\t\n")) {
			kl_err("%s: apparmor/%s: %s", label, kl_vis(p->target),
			       p->text ? "declares no profile karmor-loader can name" : "a build or rule table without its profile");
			return KL_EXIT_FAIL;
		}
	}
	if (kl_aa_recover(state_dir))
		return KL_EXIT_FAIL;
	struct aa_state old;
	int have_old = aa_state_read(state_dir, &old);
	if (have_old < 0)
		return KL_EXIT_FAIL;
	aa_features *kf = NULL, *bf = NULL;
	if (aa_features_new_from_kernel(&kf)) {
		aa_state_free(&old);
		kl_err("cannot read the kernel's AppArmor features: %s (is securityfs mounted?)", strerror(errno));
		return KL_EXIT_FAIL;
	}
	/* which build: the bundle's binary policy when it was built for exactly this feature set */
	int have_bin = s->features != NULL;
	for (unsigned i = 0; i < s->n; i++)
		have_bin &= s->p[i].bin[monitor] != NULL;
	int match = 0;
	if (have_bin) {
		if (aa_features_new_from_string(&bf, (const char *)s->features, s->flen) == 0)
			match = aa_features_is_equal(kf, bf);
		aa_features_unref(bf);
	}
	const char *source, *why;
	const char *parser = match ? NULL : find_parser();
	int rc = KL_EXIT_FAIL;
	aa_kernel_interface *ki = NULL;
	if (match) {
		source = "binary";
		why = "the bundle's binary policy, built for this kernel's AppArmor features";
	} else if (parser) {
		source = "apparmor_parser";
		why = have_bin ? "compiled by apparmor_parser: the bundle's binary policy was built for other AppArmor "
				 "features"
			       : "compiled by apparmor_parser: the bundle has no binary policy (karmorc bundle "
				 "--apparmor-binary)";
		for (unsigned i = 0; i < s->n; i++)
			if (parser_compile(parser, &s->p[i], monitor))
				goto out;
	} else {
		kl_err("%s: AppArmor profiles cannot be loaded here: %s, and apparmor_parser is not installed; build "
		       "the bundle with karmorc bundle --apparmor-binary FILE, FILE from 'karmor-loader probe "
		       "--apparmor-features' on this host (nothing applied)",
		       label,
		       have_bin ? "the bundle's binary policy was built for other AppArmor features"
				: "the bundle has no binary policy");
		goto out;
	}
	if (aa_kernel_interface_new(&ki, kf, NULL)) {
		kl_err("cannot open AppArmor's policy interface: %s", strerror(errno));
		goto out;
	}
	for (unsigned i = 0; i < s->n; i++) {
		s->p[i].loaded = match ? s->p[i].bin[monitor] : s->p[i].compiled;
		s->p[i].llen = match ? s->p[i].blen[monitor] : s->p[i].clen;
	}
	/* a profile of the bundle already loaded, not by this state: not ours to replace */
	for (unsigned i = 0; i < s->n; i++) {
		char mode[32];
		if (old_index(have_old ? &old : NULL, s->p[i].name) < 0 && loaded_mode(s->p[i].name, mode, sizeof(mode))) {
			kl_err("%s: a profile %s is already loaded, not by this loader's state; remove it first",
			       s->p[i].target, kl_vis(s->p[i].name));
			goto out;
		}
	}
	if (!have_old && mkdir(state_dir, 0700) && (errno != EEXIST || !dir_empty(state_dir))) {
		if (errno == EEXIST)
			kl_err("%s exists and holds files that are not a karmor-loader state; remove it first", state_dir);
		else
			kl_err("cannot make the state directory %s: %s", state_dir, strerror(errno));
		goto out;
	}
	/* every profile in one write: the kernel takes all of them or none */
	size_t total = 0;
	for (unsigned i = 0; i < s->n; i++)
		total += s->p[i].llen;
	unsigned char *all = malloc(total ? total : 1);
	if (!all) {
		kl_err("out of memory");
		goto out;
	}
	for (size_t i = 0, off = 0; i < s->n; off += s->p[i].llen, i++)
		memcpy(all + off, s->p[i].loaded, s->p[i].llen);

	/* from here on a signal must not leave half an apply (a kill is kl_aa_recover's) */
	sigset_t old_mask;
	kl_hold_signals(&old_mask);
	char staged[PATH_MAX + 32], recorded_path[PATH_MAX + 32];
	snprintf(staged, sizeof(staged), "%s/%s%s", state_dir, KL_AA_STATE_FILE, KL_AA_STAGED);
	snprintf(recorded_path, sizeof(recorded_path), "%s/%s%s", state_dir, KL_AA_STATE_FILE, KL_AA_LOADED);
	int recorded = 0, loaded = 0;
	if (write_files(s, state_dir, KL_AA_STAGED, monitor, source) == 0) {
		KL_CHECKPOINT("the new state staged");
		recorded = rename(staged, recorded_path) == 0;
		if (!recorded)
			kl_err("cannot write the state %s: %s", recorded_path, strerror(errno));
	}
	if (recorded) {
		KL_CHECKPOINT("the apply recorded");
		if (aa_kernel_interface_replace_policy(ki, (const char *)all, total)) {
			int e = errno;
			kl_err("the kernel refused the profiles: %s%s", strerror(e),
			       e == EACCES || e == EPERM ? " (loading AppArmor policy needs CAP_MAC_ADMIN)" : "");
			/* it took none of them: the record goes too */
			if (unlink(recorded_path))
				kl_err("cannot remove %s: %s", recorded_path, strerror(errno));
		} else {
			loaded = 1;
		}
	}
	if (loaded) {
		KL_CHECKPOINT("the profiles loaded");
		rc = KL_EXIT_OK;
		if (finish_apply(ki, state_dir))
			kl_warn("the new profiles enforce; the next karmor-loader command finishes the state in %s",
				kl_vis(state_dir));
	} else {
		if (undo_apply(state_dir))
			kl_err("the state in %s could not be put back; run 'karmor-loader detach'", kl_vis(state_dir));
		kl_err("nothing was applied%s", have_old ? "; the profiles applied before enforce" : "");
	}
	free(all);
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (rc == KL_EXIT_OK) {
		for (unsigned i = 0; i < s->n; i++)
			printf("%s: profile %s (%s)\n", kl_vis(s->p[i].target), kl_vis(s->p[i].name),
			       monitor ? "complain" : "enforce");
		printf("applied %u target%s (AppArmor%s; %s): %u profile%s loaded, state in %s%s\n", s->n,
		       s->n == 1 ? "" : "s", monitor ? ", mode monitor: every profile in complain mode" : "", why, s->n,
		       s->n == 1 ? "" : "s", kl_vis(state_dir), have_old ? "; it replaced the profiles applied before" : "");
	}
out:
	aa_kernel_interface_unref(ki);
	aa_features_unref(kf);
	aa_state_free(&old);
	return rc;
}

int kl_aa_detach(const char *state_dir)
{
	struct aa_state st;
	int have = aa_state_read(state_dir, &st);
	if (have <= 0)
		return have < 0 ? KL_EXIT_FAIL : KL_EXIT_OK;
	aa_kernel_interface *ki = NULL;
	int rc = KL_EXIT_OK;
	unsigned removed = 0;
	sigset_t old;
	kl_hold_signals(&old);
	if (aa_kernel_interface_new(&ki, NULL, NULL)) {
		kl_err("cannot open AppArmor's policy interface: %s (the state in %s is kept)", strerror(errno),
		       state_dir);
		rc = KL_EXIT_FAIL;
	}
	for (unsigned i = 0; ki && i < st.n; i++) {
		if (aa_kernel_interface_remove_policy(ki, st.name[i]) == 0)
			removed++;
		else if (errno != ENOENT) {
			kl_err("cannot remove the profile %s: %s", kl_vis(st.name[i]), strerror(errno));
			rc = KL_EXIT_FAIL;
		}
	}
	if (rc == KL_EXIT_OK && kl_remove_state_dir(state_dir)) {
		rc = KL_EXIT_FAIL;
	} else if (rc != KL_EXIT_OK) {
		kl_err("the state in %s is kept; run 'karmor-loader detach' again once the cause is fixed", state_dir);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (rc == KL_EXIT_OK)
		printf("detached: %u AppArmor profile%s removed, state %s removed\n", removed, removed == 1 ? "" : "s",
		       kl_vis(state_dir));
	aa_kernel_interface_unref(ki);
	aa_state_free(&st);
	return rc;
}

int kl_aa_status(const char *state_dir, int json)
{
	struct aa_state st;
	if (aa_state_read(state_dir, &st) <= 0)
		return KL_EXIT_FAIL;
	struct kl_json j;
	kl_json_init(&j);
	unsigned nloaded = 0;
	if (json) {
		kl_json_open(&j, NULL, '{');
		kl_json_bool(&j, "attached", 1);
		kl_json_str(&j, "backend", "apparmor");
		kl_json_str(&j, "enforcement", st.monitor ? "monitor" : "enforce");
		kl_json_str(&j, "source", st.source);
		kl_json_str(&j, "state_dir", state_dir);
		kl_json_open(&j, "targets", '[');
	} else {
		printf("attached (AppArmor, %s), state in %s\n",
		       st.monitor ? "mode monitor: every profile in complain mode" : "mode enforce", kl_vis(state_dir));
	}
	for (unsigned i = 0; i < st.n; i++) {
		char buf[64];
		const char *mode = loaded_mode(st.name[i], buf, sizeof(buf));
		nloaded += mode != NULL;
		if (json) {
			kl_json_open(&j, NULL, '{');
			kl_json_str(&j, "name", st.target[i]);
			kl_json_str(&j, "profile", st.name[i]);
			kl_json_bool(&j, "loaded", mode != NULL);
			if (mode)
				kl_json_str(&j, "profile_mode", mode);
			kl_json_close(&j, '}');
		} else {
			printf("%s: profile %s, %s\n", kl_vis(st.target[i]), kl_vis(st.name[i]),
			       mode ? mode : "NOT LOADED (removed by someone else?)");
		}
	}
	int rc = KL_EXIT_OK;
	if (json) {
		kl_json_close(&j, ']');
		kl_json_close(&j, '}');
		rc = kl_json_print(&j, stdout) ? KL_EXIT_FAIL : KL_EXIT_OK;
	}
	if (nloaded != st.n) {
		kl_err("%u of %u profiles are not loaded", st.n - nloaded, st.n);
		rc = KL_EXIT_FAIL;
	}
	kl_json_free(&j);
	aa_state_free(&st);
	if (fflush(stdout) && rc == KL_EXIT_OK)
		rc = KL_EXIT_FAIL;
	return rc;
}

int kl_aa_run(const char *state_dir, const char *target, char **argv)
{
	struct aa_state st;
	if (aa_state_read(state_dir, &st) <= 0)
		return KL_EXIT_RUN_FAIL;
	const char *name = NULL;
	for (unsigned i = 0; i < st.n && !name; i++)
		if (!strcmp(st.target[i], target))
			name = st.name[i];
	if (!name) {
		kl_err("no target '%s' is applied (%u AppArmor profile%s in %s)", target, st.n, st.n == 1 ? "" : "s",
		       state_dir);
		aa_state_free(&st);
		return KL_EXIT_RUN_FAIL;
	}
	/* change_onexec: CMD starts confined, and nothing of ours runs under the profile */
	if (aa_change_onexec(name)) {
		kl_err("cannot confine the command with the profile %s: %s", kl_vis(name), strerror(errno));
		aa_state_free(&st);
		return KL_EXIT_RUN_FAIL;
	}
	aa_state_free(&st);
	fflush(stdout);
	execvp(argv[0], argv);
	int e = errno;
	kl_err("%s: %s", argv[0], strerror(e));
	return e == ENOENT ? 127 : 126;
}

int kl_aa_write_features(FILE *f)
{
	aa_features *kf = NULL;
	if (aa_features_new_from_kernel(&kf))
		return -1;
	fflush(f);
	int r = aa_features_write_to_fd(kf, fileno(f));
	aa_features_unref(kf);
	return r;
}
