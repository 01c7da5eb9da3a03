#include "match.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "glob.h"

struct fe_matcher {
	const struct ir_program *prog;
	struct fe_arena arena;
	pcre2_code **globs;	/* by ir_str id of the pattern, compiled on first use */
	bool *glob_bad;
	size_t nglobs;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	int *dfa_ws;		/* workspace of the DFA matcher */
	size_t dfa_wslen;
};

struct fe_matcher *fe_matcher_new(const struct ir_program *p)
{
	struct fe_matcher *m = calloc(1, sizeof(*m));
	if (!m)
		abort();
	m->prog = p;
	fe_arena_init(&m->arena);
	m->nglobs = p->strs.count;
	m->globs = calloc(m->nglobs ? m->nglobs : 1, sizeof(*m->globs));
	m->glob_bad = calloc(m->nglobs ? m->nglobs : 1, sizeof(*m->glob_bad));
	m->md = pcre2_match_data_create(1, NULL);
	m->mctx = pcre2_match_context_create(NULL);
	if (!m->globs || !m->glob_bad || !m->md || !m->mctx)
		abort();
	/* Globs are matched with PCRE2's DFA algorithm: no backtracking, so no pattern can
	 * make a match exponential or hit a backtracking limit (which would fail open). */
	m->dfa_wslen = 4096;
	m->dfa_ws = malloc(m->dfa_wslen * sizeof(*m->dfa_ws));
	if (!m->dfa_ws)
		abort();
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
	for (size_t i = 0; i < m->nglobs; i++)
		pcre2_code_free(m->globs[i]);
	free(m->globs);
	free(m->glob_bad);
	pcre2_match_data_free(m->md);
	pcre2_match_context_free(m->mctx);
	free(m->dfa_ws);
	fe_arena_free(&m->arena);
	free(m);
}

static bool fe_glob_match(struct fe_matcher *m, ir_str pattern, const char *s)
{
	if (pattern >= m->nglobs || m->glob_bad[pattern])
		return false;
	if (!m->globs[pattern]) {
		const char *err;
		char *re = fe_glob_to_regex(&m->arena, ir_s(&m->prog->strs, pattern), &err);
		int code;
		PCRE2_SIZE off;
		if (re)
			m->globs[pattern] = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED,
							  PCRE2_DOLLAR_ENDONLY | PCRE2_DOTALL, &code, &off, NULL);
		if (!m->globs[pattern]) {
			m->glob_bad[pattern] = true;	/* unreachable: the schema refuses bad globs (KC0129) */
			return false;
		}
	}
	for (;;) {
		int rc = pcre2_dfa_match(m->globs[pattern], (PCRE2_SPTR)s, strlen(s), 0, 0, m->md, m->mctx, m->dfa_ws,
					 m->dfa_wslen);
		if (rc >= 0)
			return true;
		if (rc == PCRE2_ERROR_NOMATCH)
			return false;
		if (rc == PCRE2_ERROR_DFA_WSSIZE && m->dfa_wslen < (1u << 22)) {
			m->dfa_wslen *= 4;	/* a very branchy glob: give the matcher more room */
			int *ws = realloc(m->dfa_ws, m->dfa_wslen * sizeof(*ws));
			if (!ws)
				abort();
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

