#include "match.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "glob.h"

/* A compiled glob: built on first use, NULL code when the pattern cannot compile. */
struct fe_glob_entry {
	ir_str pattern;
	pcre2_code *code;
};

/*
 * The matcher is made per target by the backends, so its cost must follow what it
 * matched, not the size of the program: compiled globs are found through a hash of their
 * pattern id instead of an array as long as the string table (which made new and free
 * O(strings) each, 8% of compiling 10,000 policies).
 */
struct fe_matcher {
	const struct ir_program *prog;
	struct fe_arena arena;
	struct fe_glob_entry *globs;	/* heap, in order of first use */
	uint32_t nglobs, globs_cap;
	struct fe_hindex glob_index;	/* pattern id -> globs[] */
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	int *dfa_ws;		/* workspace of the DFA matcher */
	size_t dfa_wslen;
};

struct fe_matcher *fe_matcher_new(const struct ir_program *p)
{
	struct fe_matcher *m = calloc(1, sizeof(*m));
	if (!m)
		fe_oom();
	m->prog = p;
	fe_arena_init(&m->arena);
	m->md = pcre2_match_data_create(1, NULL);
	m->mctx = pcre2_match_context_create(NULL);
	if (!m->md || !m->mctx)
		fe_oom();
	/* Globs are matched with PCRE2's DFA algorithm: no backtracking, so no pattern can
	 * make a match exponential or hit a backtracking limit (which would fail open). */
	m->dfa_wslen = 4096;
	m->dfa_ws = malloc(m->dfa_wslen * sizeof(*m->dfa_ws));
	if (!m->dfa_ws)
		fe_oom();
	return m;
}

const struct ir_program *fe_matcher_program(const struct fe_matcher *m)
{
	return m->prog;
}

void fe_matcher_free(struct fe_matcher *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->nglobs; i++)
		pcre2_code_free(m->globs[i].code);
	free(m->globs);
	fe_hindex_free(&m->glob_index);
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	free(m->dfa_ws);
	fe_arena_free(&m->arena);
	free(m);
}

/* The compiled form of `pattern`, compiling it on first use; NULL when it cannot compile. */
static pcre2_code *fe_glob_code(struct fe_matcher *m, ir_str pattern)
{
	uint32_t h = fe_hash(&pattern, sizeof(pattern)), id;
	for (uint32_t c = fe_hindex_first(&m->glob_index, h); fe_hindex_next(&m->glob_index, h, &c, &id);)
		if (m->globs[id].pattern == pattern)
			return m->globs[id].code;
	const char *err;
	char *re = fe_glob_to_regex(&m->arena, ir_s(&m->prog->strs, pattern), &err);
	pcre2_code *code = NULL;
	int ecode;
	PCRE2_SIZE off;
	if (re)
		code = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_DOLLAR_ENDONLY | PCRE2_DOTALL, &ecode,
				     &off, NULL);
	if (!code && re && ecode == PCRE2_ERROR_HEAP_FAILED)
		fe_oom();
	/* a NULL code is remembered too: unreachable, since the schema refuses bad globs (KC0129) */
	if (m->nglobs == m->globs_cap) {
		m->globs_cap = m->globs_cap ? m->globs_cap * 2 : 16;
		struct fe_glob_entry *g = realloc(m->globs, m->globs_cap * sizeof(*g));
		if (!g)
			fe_oom();
		m->globs = g;
	}
	m->globs[m->nglobs] = (struct fe_glob_entry){pattern, code};
	fe_hindex_add(&m->glob_index, h, m->nglobs++);
	return code;
}

static bool fe_glob_match(struct fe_matcher *m, ir_str pattern, const char *s)
{
	pcre2_code *code = fe_glob_code(m, pattern);
	if (!code)
		return false;
	for (;;) {
		int rc = pcre2_dfa_match(code, (PCRE2_SPTR)s, strlen(s), 0, 0, m->md, m->mctx, m->dfa_ws,
					 m->dfa_wslen);
		if (rc >= 0)
			return true;
		if (rc == PCRE2_ERROR_NOMATCH)
			return false;
		if (rc == PCRE2_ERROR_DFA_WSSIZE && m->dfa_wslen < (1u << 22)) {
			m->dfa_wslen *= 4;	/* a very branchy glob: give the matcher more room */
			int *ws = realloc(m->dfa_ws, m->dfa_wslen * sizeof(*ws));
			if (!ws)
				fe_oom();
			m->dfa_ws = ws;
			continue;
		}
		/* cannot happen for converted globs; never answer "no match" for an unknown */
		fprintf(stderr, "karmorc: internal error: glob match failed (%d)\n", rc);
		exit(3);
	}
}

/* dir ends in '/'.  Non-recursive: the dir itself and its direct children;
 * recursive: everything below it (DESIGN §4.1). */
bool fe_dir_match(const char *dir, const char *path, bool recursive)
{
	size_t dl = strlen(dir), pl = strlen(path);
	if (pl + 1 == dl && strncmp(dir, path, pl) == 0)
		return true;	/* "/etc" for "/etc/" */
	if (pl < dl || strncmp(dir, path, dl) != 0)
		return false;
	if (recursive)
		return true;
	const char *rest = path + dl;
	const char *slash = strchr(rest, '/');
	return !slash || slash[1] == '\0';	/* a child, or a child directory written with its slash */
}

bool fe_source_matches(const struct ir_program *p, const struct ir_source *s, const char *source)
{
	switch (s->kind) {
	case IR_SRC_ANY:
		return true;
	case IR_SRC_PATH:
		return source && strcmp(ir_s(&p->strs, s->path), source) == 0;
	case IR_SRC_DIR:
		return source && fe_dir_match(ir_s(&p->strs, s->path), source, false);
	case IR_SRC_DIR_RECURSIVE:
		return source && fe_dir_match(ir_s(&p->strs, s->path), source, true);
	}
	return false;
}

bool fe_path_matches(struct fe_matcher *m, enum ir_match match, ir_str target, const char *path)
{
	const char *t = ir_s(&m->prog->strs, target);
	switch (match) {
	case IR_M_PATH:
		return strcmp(t, path) == 0;
	case IR_M_DIR:
		return fe_dir_match(t, path, false);
	case IR_M_DIR_RECURSIVE:
		return fe_dir_match(t, path, true);
	case IR_M_PATTERN:
		return fe_glob_match(m, target, path);
	case IR_M_EXECNAME: {
		const char *base = strrchr(path, '/');
		return strcmp(t, base ? base + 1 : path) == 0;
	}
	default:
		return false;
	}
}

/* s with every byte but letters, digits and '/' escaped: PCRE2 reads "\\X" as X for any
 * other ASCII X, and bytes >= 0x80 and controls stand for themselves when written as \x{HH} */
static char *fe_regex_literal(struct fe_arena *a, const char *s, size_t n)
{
	char *out = fe_arena_alloc(a, 8 * n + 1), *o = out;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/')
			*o++ = (char)c;
		else if (c < 0x20 || c >= 0x7f)
			o += sprintf(o, "\\x{%02x}", c);
		else {
			*o++ = '\\';
			*o++ = (char)c;
		}
	}
	*o = '\0';
	return out;
}

char *fe_match_regex(struct fe_arena *a, enum ir_match match, const char *t)
{
	size_t n = strlen(t);
	switch (match) {
	case IR_M_PATH:
		return fe_arena_printf(a, "^%s$", fe_regex_literal(a, t, n));
	case IR_M_DIR:
	case IR_M_DIR_RECURSIVE:
		/* fe_dir_match: "D" itself, "D/", and its children (direct ones, with or without
		 * their own slash), or everything below */
		if (n == 0 || t[n - 1] != '/')
			return NULL;
		return fe_arena_printf(a, "^%s(/%s)?$", fe_regex_literal(a, t, n - 1),
				       match == IR_M_DIR ? "([^/]+/?)?" : ".*");
	case IR_M_PATTERN: {
		const char *err;
		return fe_glob_to_regex(a, t, &err);
	}
	case IR_M_EXECNAME:
		return fe_arena_printf(a, "^(.*/)?%s$", fe_regex_literal(a, t, n));
	default:
		return NULL;
	}
}

bool fe_name_matches(const char *rule, const char *name, bool capability)
{
	if (capability && strncasecmp(rule, "cap_", 4) == 0)
		rule += 4;
	if (capability && strncasecmp(name, "cap_", 4) == 0)
		name += 4;
	if (!capability && strcasecmp(rule, "all") == 0)
		return true;
	return strcasecmp(rule, name) == 0;
}
