/*
 * bpf-emulate --patterns: the glob automata (backends/dfa.c, bpf/karmor.h "pattern
 * automata") against the verdict model's matcher, differentially.
 *
 * Every glob of every policy file under the given paths (default: testdata/ and
 * ../shared/corpus/) is read by the frontend, as karmorc reads it.  Paths are generated
 * from each glob (its wildcards, classes and alternatives filled in at random, then
 * mutated by one byte or one component, so that both matches and near misses occur) and
 * pooled.  Then:
 *   - each glob alone: its automaton, as the image holds it (be_dfa_image), walked word by
 *     word as the programs walk karmor_dfa (karmor_dfa_walk), against fe_path_matches
 *     (PCRE2) for its own paths and a sample of the pool;
 *   - all globs of each file together, and every glob in sets of PAT_CHUNK: the set of
 *     globs the accepting state names must be exactly the globs the model matches, for
 *     the set's own paths and a sample of the pool;
 *   - the sets "below" a directory: every glob the model matches for a path must be in
 *     the set below each of the path's proper ancestor directories.
 * Prints the number of comparisons, the first differences, and "N passed, M failed"
 * counting automata (one passes when every comparison agrees); exit 1 on any difference.
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../backends/dfa.h"
#include "../frontend/load.h"
#include "../frontend/match.h"
#include "bpf_emulate.h"

#define PAT_SAMPLES 24		/* paths generated per glob, each also mutated */
#define PAT_POOL_SAMPLE 400	/* pool paths each single glob is also tried against */
#define PAT_SET_SAMPLE 1500	/* ... and each set of globs */
#define PAT_CHUNK 24		/* globs per set of the "every glob" pass */
#define PAT_MAX_REPORT 20

struct pat_rng {
	uint64_t s;
};

static uint32_t pat_next(struct pat_rng *r)
{
	r->s ^= r->s << 13;
	r->s ^= r->s >> 7;
	r->s ^= r->s << 17;
	return (uint32_t)(r->s >> 11);
}

struct pat_str {
	char *s;
	size_t len, cap;
};

static void pat_putc(struct pat_str *b, char c)
{
	if (b->len + 2 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->s = emu_xrealloc(b->s, b->cap);
	}
	b->s[b->len++] = c;
	b->s[b->len] = '\0';
}

static void pat_puts(struct pat_str *b, const char *s)
{
	while (*s)
		pat_putc(b, *s++);
}

/* The end of the brace group or class starting at g[i] ('{' or '['), or 0 if unbalanced. */
static size_t pat_group_end(const char *g, size_t i)
{
	if (g[i] == '[') {
		size_t j = i + 1;
		if (g[j] == '^' || g[j] == '!')
			j++;
		if (g[j] == ']')
			j++;
		while (g[j] && g[j] != ']')
			j++;
		return g[j] ? j : 0;
	}
	int depth = 0;
	for (size_t j = i; g[j]; j++) {
		if (g[j] == '\\' && g[j + 1])
			j++;
		else if (g[j] == '{')
			depth++;
		else if (g[j] == '}' && --depth == 0)
			return j;
	}
	return 0;
}

static void pat_expand(struct pat_rng *r, const char *g, size_t from, size_t to, struct pat_str *out, int depth);

/* One alternative of the group g[open..close] (close is its '}'), expanded. */
static void pat_alternative(struct pat_rng *r, const char *g, size_t open, size_t close, struct pat_str *out, int depth)
{
	size_t starts[64], n = 0, d = 0;
	starts[n++] = open + 1;
	for (size_t j = open + 1; j < close; j++) {
		if (g[j] == '\\' && g[j + 1])
			j++;
		else if (g[j] == '{')
			d++;
		else if (g[j] == '}')
			d--;
		else if (g[j] == ',' && d == 0 && n < 64)
			starts[n++] = j + 1;
	}
	size_t k = pat_next(r) % n;
	size_t end = k + 1 < n ? starts[k + 1] - 1 : close;
	pat_expand(r, g, starts[k], end, out, depth + 1);
}

static void pat_expand(struct pat_rng *r, const char *g, size_t from, size_t to, struct pat_str *out, int depth)
{
	static const char *const star[] = {"", "a", "xyz", "a.b", "-_", "ab1", ".x", "*"};
	static const char *const dstar[] = {"", "a", "a/b", "a/b/c", "x.y/z", "/", "q/", "a//b"};
	static const char anych[] = "aZ9._-/x*?[{,";
	for (size_t i = from; i < to; i++) {
		char c = g[i];
		if (depth > 20) {
			pat_putc(out, c);
			continue;
		}
		if (c == '*') {
			bool dbl = g[i + 1] == '*';
			while (g[i + 1] == '*')
				i++;
			pat_puts(out, dbl ? dstar[pat_next(r) % 8] : star[pat_next(r) % 8]);
		} else if (c == '?') {
			pat_putc(out, anych[pat_next(r) % (sizeof(anych) - 1)]);
		} else if (c == '[' && pat_group_end(g, i)) {
			size_t end = pat_group_end(g, i), j = i + 1;
			bool neg = g[j] == '^' || g[j] == '!';
			if (neg)
				j++;
			/* a member (or, negated, a byte that is not one), or any byte at all */
			if (pat_next(r) % 4 == 0 || neg || end == j)
				pat_putc(out, anych[pat_next(r) % (sizeof(anych) - 1)]);
			else
				pat_putc(out, g[j + pat_next(r) % (end - j)]);
			i = end;
		} else if (c == '{' && pat_group_end(g, i)) {
			size_t end = pat_group_end(g, i);
			pat_alternative(r, g, i, end, out, depth);
			i = end;
		} else if (c == '\\' && g[i + 1]) {
			pat_putc(out, g[++i]);
		} else {
			pat_putc(out, c);
		}
	}
}

/* ---- the pool of paths ---- */

struct pat_pool {
	char **paths;
	size_t n, cap;
};

static void pat_add(struct pat_pool *p, const char *s)
{
	if (!*s)
		return;	/* a resolved path is never empty */
	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 1024;
		p->paths = emu_xrealloc(p->paths, p->cap * sizeof(*p->paths));
	}
	p->paths[p->n++] = emu_xstrdup(s);
}

static int pat_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Paths from glob g: PAT_SAMPLES expansions, each also with one mutation. */
static void pat_generate(struct pat_rng *r, const char *g, struct pat_pool *pool)
{
	static const char bytes[] = "/a.-_x*?[]{},\\";
	for (int k = 0; k < PAT_SAMPLES; k++) {
		struct pat_str s = {0};
		pat_expand(r, g, 0, strlen(g), &s, 0);
		if (!s.s)
			continue;
		pat_add(pool, s.s);
		size_t n = s.len, at = n ? pat_next(r) % n : 0;
		switch (pat_next(r) % 5) {
		case 0:	/* drop a byte */
			if (n > 1) {
				memmove(s.s + at, s.s + at + 1, n - at);
				s.len--;
			}
			break;
		case 1:	/* change a byte */
			if (n)
				s.s[at] = bytes[pat_next(r) % (sizeof(bytes) - 1)];
			break;
		case 2:	/* a component more */
			pat_puts(&s, pat_next(r) % 2 ? "/x" : "/");
			break;
		case 3: {	/* cut at a slash */
			char *slash = strrchr(s.s, '/');
			if (slash && slash != s.s)
				*slash = '\0';
			break;
		}
		default:	/* a byte more */
			pat_putc(&s, bytes[pat_next(r) % (sizeof(bytes) - 1)]);
			break;
		}
		pat_add(pool, s.s);
		free(s.s);
	}
}

/* ---- the globs of the policy files ---- */

struct pat_glob {
	ir_str id;		/* in the program's strings, for fe_path_matches */
	const char *text;
	uint32_t file;		/* the source file it is first seen in */
};

struct pat_ctx {
	struct ir_program prog;
	struct fe_matcher *m;
	struct pat_glob *globs;
	size_t nglobs;
	uint32_t nfiles;
	unsigned long long compared, differences;
	unsigned long automata, automata_failed;	/* one test each: every comparison agrees */
};

static void pat_report(struct pat_ctx *c, const char *what, const char *glob, const char *path, bool model, bool dfa)
{
	if (c->differences++ < PAT_MAX_REPORT)
		printf("DIFF %s: glob '%s' path '%s': model %s, automaton %s\n", what, glob, path,
		       model ? "matches" : "does not match", dfa ? "matches" : "does not match");
}

/* The globs in `globs`, together: for every path, the accepting set against the model; and
 * for the model's matches, the sets below the path's ancestors. */
static bool pat_check_set(struct pat_ctx *c, const size_t *which, size_t n, const struct pat_pool *pool,
			  const char *what)
{
	/* (false: the set is larger than an automaton may be, so not compared) */
	const char **texts = emu_xrealloc(NULL, n * sizeof(*texts));
	for (size_t i = 0; i < n; i++)
		texts[i] = c->globs[which[i]].text;
	struct be_dfa d;
	size_t bad;
	const char *err;
	enum be_dfa_status rc = be_dfa_build(texts, n, KARMOR_DFA_MAX_STATES, &d, &bad, &err);
	free(texts);
	if (rc != BE_DFA_OK) {
		printf("%s: %zu globs make no automaton (%s)%s\n", what, n, err,
		       rc == BE_DFA_TOO_BIG ? ": not compared as a set" : "");
		if (rc != BE_DFA_TOO_BIG) {
			c->differences++;
			c->automata++;
			c->automata_failed++;
		}
		return rc == BE_DFA_TOO_BIG;
	}
	uint32_t nwords;
	uint32_t *w = be_dfa_image(&d, &nwords);
	if (!w)
		emu_oom();
	uint32_t ns = w[KARMOR_DFA_NSTATES], k = w[KARMOR_DFA_NCLASSES];
	bool *in = emu_xrealloc(NULL, n * sizeof(*in));
	unsigned long long before = c->differences;
	for (size_t p = 0; p < pool->n; p++) {
		const char *path = pool->paths[p];
		uint32_t st = karmor_dfa_walk(w, KARMOR_DFA_START, path);
		uint32_t id = w[karmor_dfa_accept(ns, k) + st];
		memset(in, 0, n * sizeof(*in));
		if (id)
			for (uint32_t j = 0; j < d.accept_sets[id - 1].n; j++)
				in[d.accept_sets[id - 1].items[j]] = true;
		for (size_t i = 0; i < n; i++) {
			bool model = fe_path_matches(c->m, IR_M_PATTERN, c->globs[which[i]].id, path);
			c->compared++;
			if (model != in[i])
				pat_report(c, what, c->globs[which[i]].text, path, model, in[i]);
			if (!model || path[0] != '/')
				continue;
			/* every proper ancestor directory D of the path: the glob is in the set below D */
			for (const char *s = strchr(path + 1, '/'); s && s[1]; s = strchr(s + 1, '/')) {
				char *dir = emu_xstrdup(path);
				dir[s - path] = '\0';
				uint32_t ds = karmor_dfa_walk(w, KARMOR_DFA_START, dir);
				uint32_t bid = w[karmor_dfa_below(ns, k) + ds];
				bool below = false;
				for (uint32_t j = 0; bid && j < d.below_sets[bid - 1].n && !below; j++)
					below = d.below_sets[bid - 1].items[j] == i;
				c->compared++;
				if (!below) {
					if (c->differences++ < PAT_MAX_REPORT)
						printf("DIFF %s: glob '%s' matches '%s' but is not in the set below '%s'\n", what,
						       c->globs[which[i]].text, path, dir);
				}
				free(dir);
			}
		}
	}
	free(in);
	free(w);
	be_dfa_free(&d);
	c->automata++;
	c->automata_failed += c->differences != before;
	return true;
}

/* The globs which[0..n) as a set, against their own paths and `sample` paths of the pool. */
static bool pat_check_sample(struct pat_ctx *c, const size_t *which, size_t n, const size_t *own_from,
			     const struct pat_pool *pool, int sample_n, struct pat_rng *rng, const char *what)
{
	struct pat_pool sample = {0};
	for (size_t i = 0; i < n; i++)
		for (size_t p = own_from[which[i]]; p < own_from[which[i] + 1]; p++)
			pat_add(&sample, pool->paths[p]);
	for (int k = 0; k < sample_n && pool->n; k++)
		pat_add(&sample, pool->paths[pat_next(rng) % pool->n]);
	bool ok = pat_check_set(c, which, n, &sample, what);
	for (size_t p = 0; p < sample.n; p++)
		free(sample.paths[p]);
	free(sample.paths);
	return ok;
}

static void pat_find(const char *path, char ***files, size_t *n)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		size_t l = strlen(path);
		if ((l > 5 && strcmp(path + l - 5, ".yaml") == 0) || (l > 4 && strcmp(path + l - 4, ".yml") == 0)) {
			*files = emu_xrealloc(*files, (*n + 1) * sizeof(**files));
			(*files)[(*n)++] = emu_xstrdup(path);
		}
		return;
	}
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char sub[4096];
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		pat_find(sub, files, n);
	}
	closedir(d);
}

int emu_patterns_main(int nargs, char **args, uint64_t seed)
{
	char **files = NULL;
	size_t nfiles = 0;
	if (nargs == 0) {
		pat_find("testdata", &files, &nfiles);
		pat_find("../shared/corpus", &files, &nfiles);
	}
	for (int i = 0; i < nargs; i++)
		pat_find(args[i], &files, &nfiles);
	if (nfiles > 1)
		qsort(files, nfiles, sizeof(*files), pat_str_cmp);

	struct fe_arena arena;
	fe_arena_init(&arena);
	struct fe_diags diags;
	fe_diags_init(&diags, &arena);
	struct pat_ctx c;
	memset(&c, 0, sizeof(c));
	ir_program_init(&c.prog, &arena);
	struct fe_loader loader;
	fe_loader_init(&loader, &arena, &diags, &c.prog, FE_SCHEMA_CRD);
	for (size_t i = 0; i < nfiles; i++)
		fe_load_path(&loader, files[i]);	/* invalid documents are dropped, as karmorc drops them */
	fe_loader_finish(&loader);
	c.m = fe_matcher_new(&c.prog);

	/* the distinct globs, and for each policy file its globs */
	const char **file_of = emu_xrealloc(NULL, (c.prog.nrules + 1) * sizeof(*file_of));
	size_t *file_glob = emu_xrealloc(NULL, (c.prog.nrules + 1) * sizeof(*file_glob));
	size_t nfg = 0;
	for (uint32_t i = 0; i < c.prog.nrules; i++) {
		const struct ir_rule *r = &c.prog.rules[i];
		if (r->match != IR_M_PATTERN || (r->cls != IR_PROCESS && r->cls != IR_FILE))
			continue;
		size_t g = 0;
		while (g < c.nglobs && c.globs[g].id != r->target)
			g++;
		if (g == c.nglobs) {
			c.globs = emu_xrealloc(c.globs, (c.nglobs + 1) * sizeof(*c.globs));
			c.globs[c.nglobs++] = (struct pat_glob){r->target, ir_s(&c.prog.strs, r->target), 0};
		}
		file_of[nfg] = r->loc.src && r->loc.src->name ? r->loc.src->name : "";
		file_glob[nfg++] = g;
	}
	struct pat_rng rng = {seed | 1};
	struct pat_pool pool = {0};
	static const char *const fixed[] = {"/", "/etc/passwd", "/tmp", "/tmp/", "/tmp/a", "/home/user1/secret.txt",
					    "/bin/sh", "/usr/bin/sleep", "/a/b/c/d/e", "/var/log/x.log", "relative"};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
		pat_add(&pool, fixed[i]);
	size_t *own_from = emu_xrealloc(NULL, (c.nglobs + 1) * sizeof(*own_from));
	for (size_t g = 0; g < c.nglobs; g++) {
		own_from[g] = pool.n;
		pat_generate(&rng, c.globs[g].text, &pool);
	}
	own_from[c.nglobs] = pool.n;
	printf("bpf-emulate --patterns: %zu files, %zu distinct globs, %zu paths, seed 0x%016llx\n", nfiles, c.nglobs,
	       pool.n, (unsigned long long)seed);

	/* each glob alone: its own paths and a sample of the pool */
	for (size_t g = 0; g < c.nglobs; g++)
		pat_check_sample(&c, &g, 1, own_from, &pool, PAT_POOL_SAMPLE, &rng, "alone");
	unsigned long long alone = c.compared;
	/* each file's globs together, then every glob in sets of PAT_CHUNK */
	size_t *which = emu_xrealloc(NULL, (c.nglobs + 1) * sizeof(*which));
	size_t sets = 0, chunks = 0, too_big = 0;
	for (size_t i = 0; i < nfg;) {
		size_t j = i, n = 0;
		for (; j < nfg && strcmp(file_of[j], file_of[i]) == 0; j++) {
			bool dup = false;
			for (size_t q = 0; q < n && !dup; q++)
				dup = which[q] == file_glob[j];
			if (!dup)
				which[n++] = file_glob[j];
		}
		if (n > 1) {
			if (pat_check_sample(&c, which, n, own_from, &pool, PAT_SET_SAMPLE, &rng, file_of[i]))
				sets++;
			else
				too_big++;
		}
		i = j;
	}
	for (size_t g = 0; g < c.nglobs; g += PAT_CHUNK) {
		size_t n = 0;
		for (size_t q = g; q < c.nglobs && n < PAT_CHUNK; q++)
			which[n++] = q;
		if (pat_check_sample(&c, which, n, own_from, &pool, PAT_SET_SAMPLE, &rng, "a set of every glob"))
			chunks++;
		else
			too_big++;
	}
	printf("%llu comparisons (each glob alone: %llu; %zu files' globs together; %zu sets of up to %d globs; "
	       "%zu sets too large for one automaton, not compared), %llu differences\n", c.compared, alone, sets,
	       chunks, PAT_CHUNK, too_big, c.differences);
	/* the summary line alone: scripts/run-tests takes "N passed, M failed" as the whole line */
	printf("automata whose every comparison agrees:\n%lu passed, %lu failed\n", c.automata - c.automata_failed,
	       c.automata_failed);
	for (size_t p = 0; p < pool.n; p++)
		free(pool.paths[p]);
	free(pool.paths);
	free(which);
	free(own_from);
	free(file_of);
	free(file_glob);
	free(c.globs);
	fe_matcher_free(c.m);
	ir_program_free(&c.prog);
	fe_diags_free(&diags);
	fe_arena_free(&arena);
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	return c.differences ? 1 : 0;
}
