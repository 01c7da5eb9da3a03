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
 * and each loaded build as STATE_DIR/TARGET.aa.  A re-apply replaces the profiles in
 * place (the kernel swaps each one whole), adds the new ones, and removes the ones the new
 * bundle no longer has; if the kernel refuses one, the profiles it replaced get their
 * loaded builds back and the ones it added are removed.
 */
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
};

static void aa_state_free(struct aa_state *st)
{
	for (unsigned i = 0; i < st->n; i++) {
		free(st->target[i]);
		free(st->name[i]);
	}
	free(st->target);
	free(st->name);
	memset(st, 0, sizeof(*st));
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

/* 1 read, 0 none, -1 damaged or unreadable (reported) */
static int aa_state_read(const char *state_dir, struct aa_state *st)
{
	char path[PATH_MAX];
	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/%s", state_dir, KL_AA_STATE_FILE);
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

/* the state file and each build, in dir, as NAME + suffix */
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
		ok = !ferror(f);
		ok &= fclose(f) == 0;
	}
	if (!ok)
		kl_err("cannot write the state %s: %s", path, strerror(errno));
	return ok ? 0 : -1;
}

/* A first apply: the directory made whole beside STATE_DIR, then renamed.  A re-apply:
 * the files written as *.new in STATE_DIR, then STATE_DIR/apparmor.new renamed over
 * STATE_DIR/apparmor (from there on the new state holds), then the builds. */
static int write_state(const struct kl_aa_set *s, const char *state_dir, int monitor, const char *source,
		       const struct aa_state *old)
{
	char tmp[PATH_MAX], from[PATH_MAX + 300], to[PATH_MAX + 300];
	if (old) {
		if (write_files(s, state_dir, ".new", monitor, source))
			return -1;
		snprintf(from, sizeof(from), "%s/%s.new", state_dir, KL_AA_STATE_FILE);
		snprintf(to, sizeof(to), "%s/%s", state_dir, KL_AA_STATE_FILE);
		if (rename(from, to)) {
			kl_err("cannot write the state %s: %s", to, strerror(errno));
			return -1;
		}
		for (unsigned i = 0; i < s->n; i++) {
			snprintf(from, sizeof(from), "%s/%s%s.new", state_dir, s->p[i].target, KL_AA_BUILD_SUFFIX);
			snprintf(to, sizeof(to), "%s/%s%s", state_dir, s->p[i].target, KL_AA_BUILD_SUFFIX);
			if (rename(from, to))
				kl_warn("%s: %s (a later re-apply that fails cannot restore this profile)", to, strerror(errno));
			snprintf(from, sizeof(from), "%s/%s%s.new", state_dir, s->p[i].target, KL_AA_RULES_SUFFIX);
			snprintf(to, sizeof(to), "%s/%s%s", state_dir, s->p[i].target, KL_AA_RULES_SUFFIX);
			if (s->p[i].rules ? rename(from, to) != 0 : unlink(to) != 0 && errno != ENOENT)
				kl_warn("%s: %s (events may name the rules of the profile replaced)", to, strerror(errno));
		}
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s.new-%ld", state_dir, (long)getpid());
	if (mkdir(tmp, 0700)) {
		kl_err("cannot make the state directory %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (write_files(s, tmp, "", monitor, source) || rename(tmp, state_dir)) {
		int e = errno;
		if (e == ENOTEMPTY || e == EEXIST)
			kl_err("%s exists and holds files that are not a karmor-loader state; remove it first", state_dir);
		else if (e)
			kl_err("cannot write the state %s: %s", state_dir, strerror(e));
		kl_remove_state_dir(tmp);
		return -1;
	}
	return 0;
}

/* the applied profile of old named name: its index, or -1 */
static int old_index(const struct aa_state *old, const char *name)
{
	for (unsigned i = 0; old && i < old->n; i++)
		if (!strcmp(old->name[i], name))
			return (int)i;
	return -1;
}

/* undoes the first n loads of this apply: a replaced profile gets its applied build back
 * (STATE_DIR/TARGET.aa), an added one goes */
static void undo_loads(aa_kernel_interface *ki, struct kl_aa_set *s, unsigned n, const struct aa_state *old,
		       const char *state_dir)
{
	for (unsigned i = n; i-- > 0;) {
		int k = old_index(old, s->p[i].name);
		if (k < 0) {
			if (aa_kernel_interface_remove_policy(ki, s->p[i].name) && errno != ENOENT)
				kl_err("rollback: cannot remove the profile %s: %s", s->p[i].name, strerror(errno));
			continue;
		}
		char path[PATH_MAX + 300];
		snprintf(path, sizeof(path), "%s/%s%s", state_dir, old->target[k], KL_AA_BUILD_SUFFIX);
		size_t len = 0;
		unsigned char *b = kl_slurp(path, &len, KL_AA_MAX_TEXT);
		if (!b || aa_kernel_interface_replace_policy(ki, (const char *)b, len))
			kl_err("rollback: cannot restore the profile %s from %s: %s; it stays the new bundle's",
			       s->p[i].name, path, strerror(errno));
		free(b);
	}
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
	/* from here on a signal must not leave half the profiles loaded */
	sigset_t old_mask;
	kl_hold_signals(&old_mask);
	unsigned loaded = 0;
	for (; loaded < s->n; loaded++) {
		struct kl_aa_profile *p = &s->p[loaded];
		int replace = old_index(have_old ? &old : NULL, p->name) >= 0;
		if (replace ? aa_kernel_interface_replace_policy(ki, (const char *)p->loaded, p->llen)
			    : aa_kernel_interface_load_policy(ki, (const char *)p->loaded, p->llen)) {
			int e = errno;
			if (e == EEXIST)
				kl_err("%s: a profile %s is already loaded, not by this loader's state; remove it first",
				       p->target, kl_vis(p->name));
			else if (e == EACCES || e == EPERM)
				kl_err("%s: the kernel refused the profile %s: %s (loading AppArmor policy needs "
				       "CAP_MAC_ADMIN)",
				       p->target, kl_vis(p->name), strerror(e));
			else
				kl_err("%s: the kernel refused the profile %s: %s", p->target, kl_vis(p->name), strerror(e));
			break;
		}
	}
	if (loaded == s->n && write_state(s, state_dir, monitor, source, have_old ? &old : NULL) == 0) {
		rc = KL_EXIT_OK;
		/* the applied profiles the new bundle does not have, and their builds */
		for (unsigned i = 0; have_old && i < old.n; i++) {
			int kept = 0;
			for (unsigned k = 0; k < s->n && !kept; k++)
				kept = !strcmp(s->p[k].name, old.name[i]);
			if (!kept && aa_kernel_interface_remove_policy(ki, old.name[i]) && errno != ENOENT)
				kl_warn("cannot remove the profile %s, which the new bundle does not have: %s",
					kl_vis(old.name[i]), strerror(errno));
			kept = 0;
			for (unsigned k = 0; k < s->n && !kept; k++)
				kept = !strcmp(s->p[k].target, old.target[i]);
			char path[PATH_MAX + 300];
			snprintf(path, sizeof(path), "%s/%s%s", state_dir, old.target[i], KL_AA_BUILD_SUFFIX);
			if (!kept)
				unlink(path);
			snprintf(path, sizeof(path), "%s/%s%s", state_dir, old.target[i], KL_AA_RULES_SUFFIX);
			if (!kept)
				unlink(path);
		}
	} else {
		undo_loads(ki, s, loaded, have_old ? &old : NULL, state_dir);
		kl_err("nothing was applied%s", have_old ? "; the profiles applied before enforce" : "");
	}
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
