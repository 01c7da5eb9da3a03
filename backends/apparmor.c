/*
 * The AppArmor backend: one profile per target, implementing the verdict model of
 * DESIGN §4 (not KubeArmor's AppArmor quirks):
 *   Block          -> `audit deny` (deny wins over every allow, and the event is logged)
 *   Allow          -> a grant; it matters only when the class is an allow-list, where the
 *                     bare class rule (`file,` `network,` `capability,`) is left out
 *   Audit          -> the `audit` qualifier: permitted and logged
 *   audit posture  -> for an allow-list file class the profile is in complain mode: what
 *                     no rule grants is permitted and logged, while `deny` still enforces
 *   readOnly/ownerOnly -> static denials with `owner`/`other` (DESIGN §4.2)
 *   fromSource     -> a child profile per source, entered by `px`; it holds the global
 *                     rules plus the source's own
 * The start-up baseline (ir_baseline, DESIGN §4.9) is written out explicitly; no
 * abstraction is included.  What cannot be expressed is a diagnostic and a gap.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../frontend/match.h"
#include "backend.h"

enum { AA_M = 1, AA_R = 2, AA_W = 4, AA_L = 8, AA_K = 16, AA_X = 32 };
#define AA_ALL_FILE (AA_M | AA_R | AA_W | AA_L | AA_K)
#define AA_NOT_READ (AA_W | AA_L | AA_K)

/* A path in AppArmor syntax, with its place among the target's paths in strcmp order:
 * every profile's rules are sorted by path, and comparing ranks costs less than strings. */
struct aa_path {
	const char *s;		/* NULL: it cannot be written */
	uint32_t rank;		/* equal strings, equal ranks (aa_rank_paths) */
};

/* One file rule before merging: rules with the same qualifier, path and exec transition
 * are merged into one line, so the parser sees no duplicates. */
struct aa_rule {
	const char *qual;	/* "", "audit ", "audit deny ", with "owner "/"other " */
	const struct aa_path *path;
	unsigned perms;
	const char *xmode;	/* "ix", "px": only with AA_X on a non-deny rule */
	const char *xtarget;	/* "-> NAME" or "" */
};

/* One profile's rules, emptied by aa_render for the next profile of the target. */
struct aa_body {
	struct aa_rule *rules, *sorted;	/* sorted: aa_sort_rules's output, as large as rules */
	size_t nrules, cap;
	const char **other;	/* network, capability and class lines, in the target's arena */
	size_t nother, ocap;
	size_t *start;		/* per path rank, where its rules start in `sorted` (target's arena) */
	uint32_t npaths;	/* the number of path ranks */
};

/* every capability the kernel mediates, including those the CRD cannot name: a
 * capability allow-list refuses the ones it does not grant (the rendered list is sorted) */
static const char *const aa_capabilities[] = {
#define FE_CAPABILITY(name, number, crd) #name,
#include "../frontend/names.def"
};
#define AA_NCAPS (sizeof(aa_capabilities) / sizeof(aa_capabilities[0]))

/* A fromSource program of the target: it gets a child profile. */
struct aa_source {
	const char *path;
	ir_str id;		/* path, interned */
	struct aa_path lit;	/* path in AppArmor syntax */
	const char *child;	/* the child profile's name */
	const char *enter;	/* "-> TARGET//CHILD" */
	bool exec_global;	/* in a file allow-list: a global Allow rule grants its exec */
	const char *table_key[IR_PC_COUNT];	/* its rule table keys (aa_table_key); NULL: not yet */
};

/* Which profiles hold a rule (aa_info.src); else the index of the one source whose child
 * profile holds it. */
enum { AA_EVERY = -1, AA_NOWHERE = -2 };
/* The profile being written: the main one, else a source's index (child profile). */
enum { AA_MAIN = -1 };

/* What depends on the rule only, computed once per target: a global rule is written into
 * the main profile and into every child profile (two dozen of them at scale). */
struct aa_info {
	int src;		/* AA_EVERY, AA_NOWHERE or a source */
	int enters;		/* an exact path of a source: exec enters its child profile; else -1 */
	struct aa_path expr;	/* aa_target_expr */
	struct aa_path *anc;	/* aa_ancestors of a file or process rule that refuses something */
	size_t nanc;
	bool partial;
	signed char global;	/* what the global Allow rules grant of an Audit rule: an enum aa_grant, for
				 * a network or capability rule whether they grant its name; -1: not yet */
	const char *named_line;	/* a network or capability rule's line (aa_named_rule); NULL: not yet */
};

struct aa_state {
	struct be_ctx *ctx;
	const struct ir_target *t;
	const struct ir_program *p;
	struct fe_matcher *m;
	struct fe_arena *a;		/* the target's memory, freed when it is emitted */
	bool allow_list[IR_PC_COUNT];
	bool complain;
	const char *every_key[IR_PC_COUNT];	/* the rule table's TARGET//ALL keys; NULL: not yet */
	struct aa_source *sources;	/* distinct fromSource paths, sorted */
	size_t nsources;
	struct fe_hindex source_index;	/* interned path -> sources[] */
	struct aa_info *info;		/* per rule, as t->rules */
	uint32_t *allows;		/* the Allow rules' positions in t->rules, grouped by profile */
	size_t *group;			/* group g is allows[group[g] .. group[g + 1]): 0 the global rules,
					 * s + 1 those of source s only */
	const char *to_main;		/* "-> TARGET" */
	struct aa_path all_files;	/* "/{,**}" */
	struct aa_path *baseline;	/* ir_baseline's paths */
	uint32_t npaths;		/* path ranks, see aa_rank_paths */
	bool cap_global[AA_NCAPS];	/* capabilities the global Allow rules grant */
};

/* A denial whose record is missing affects only the ops that rule decides itself. */
static const struct be_gap_scope aa_matching_only = {.matching_only = true};

static void aa_add(struct aa_body *b, const char *qual, const struct aa_path *path, unsigned perms,
		   const char *xmode, const char *xtarget)
{
	if (!b)
		return;	/* findings only */
	if (b->nrules == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 32;
		/* each kept as soon as it is grown: an out-of-memory exit leaves nothing unowned */
		struct aa_rule *r = realloc(b->rules, b->cap * sizeof(*r));
		if (!r)
			fe_oom();
		b->rules = r;
		struct aa_rule *sorted = realloc(b->sorted, b->cap * sizeof(*sorted));
		if (!sorted)
			fe_oom();
		b->sorted = sorted;
	}
	b->rules[b->nrules++] = (struct aa_rule){qual, path, perms, xmode ? xmode : "", xtarget ? xtarget : ""};
}

/* line: a literal, or in the target's arena */
static void aa_other(struct aa_body *b, const char *line)
{
	if (!b)
		return;	/* findings only */
	if (b->nother == b->ocap) {
		b->ocap = b->ocap ? b->ocap * 2 : 16;
		const char **o = realloc(b->other, b->ocap * sizeof(*o));
		if (!o)
			fe_oom();
		b->other = o;
	}
	b->other[b->nother++] = line;
}

static void aa_body_free(struct aa_body *b)
{
	free(b->rules);
	free(b->sorted);
	free(b->other);
	memset(b, 0, sizeof(*b));
}

/* ---- names and paths ---- */

static const char *aa_hash8(struct fe_arena *a, const char *s)
{
	unsigned char md[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(md, (const unsigned char *)s, strlen(s));
	return fe_arena_printf(a, "%02x%02x%02x%02x", md[0], md[1], md[2], md[3]);
}

/* Child profile for a source: readable, and unique through a hash of the full path
 * (KubeArmor's sanitiser maps /bi/nab and /bin/ab to the same name). */
static const char *aa_child_name(struct fe_arena *a, const char *source)
{
	char slug[48];
	size_t j = 0;
	for (const char *p = source; *p && j + 1 < sizeof(slug); p++) {
		char c = *p;
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (alnum || (j && slug[j - 1] != '-'))
			slug[j++] = alnum ? c : '-';
	}
	while (j && slug[j - 1] == '-')
		j--;
	slug[j] = '\0';
	return fe_arena_printf(a, "src-%s-%s", slug, aa_hash8(a, source));
}

/* A literal path in AppArmor syntax: glob characters escaped, quoted when needed.
 * Returns NULL for what a profile cannot hold (control characters). */
static const char *aa_literal(struct fe_arena *a, const char *path, const char *suffix)
{
	size_t sl = strlen(suffix);
	char *out = fe_arena_alloc(a, 2 * strlen(path) + sl + 3), *o = out;	/* every byte escaped, quotes */
	bool quote = strpbrk(path, " \t\"") != NULL;
	if (quote)
		*o++ = '"';
	for (const char *p = path; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			return NULL;
		/* `@{` would start a variable: escaping its brace is enough (`\@` is refused) */
		if (strchr("*?[]{}^\\\",", c))
			*o++ = '\\';
		*o++ = (char)c;
	}
	memcpy(o, suffix, sl);
	o += sl;
	if (quote)
		*o++ = '"';
	*o = '\0';
	return out;
}

/* A class of a glob at *p ('['), read as the verdict model reads it (fe_glob: '!' or '^'
 * negates, a ']' first is literal, '\\' is literal, "a-z" a range), written in the form
 * apparmor_parser accepts: `[^` for both negations, a literal '-' first (AppArmor refuses
 * one anywhere else), ']', '[', '^' and '\\' escaped.  Advances *p to the class's ']' and *o
 * past what it wrote; false (nothing done) when the class has no ']'. */
static bool aa_glob_class(const char **p, char **o)
{
	const char *g = *p, *k = g + 1;
	bool neg = *k == '!' || *k == '^';
	if (neg)
		k++;
	const char *end = *k == ']' ? k + 1 : k;
	while (*end && *end != ']')
		end++;
	if (!*end)
		return false;
	char *out = *o;
	*out++ = '[';
	if (neg)
		*out++ = '^';
	bool dash = false;
	for (const char *q = k; q < end; q++) {
		if (q + 2 < end && q[1] == '-')
			q += 2;	/* a range */
		else if (*q == '-')
			dash = true;
	}
	if (dash)
		*out++ = '-';
	for (const char *q = k; q < end; q++) {
		bool range = q + 2 < end && q[1] == '-';
		if (!range && *q == '-')
			continue;
		for (int e = 0; e < (range ? 3 : 1); e += 2) {
			if (e)
				*out++ = '-';
			if (strchr("[]^\\", q[e]))
				*out++ = '\\';
			*out++ = q[e];
		}
		if (range)
			q += 2;
	}
	*out++ = ']';
	*o = out;
	*p = end;
	return true;
}

/* A matchPatterns glob: AppArmor's own syntax, but classes as aa_glob_class writes them,
 * `@{` keeps its brace escaped, and a glob with blanks or quotes is quoted.  NULL: not an absolute path,
 * or control characters. */
static const char *aa_glob(struct fe_arena *a, const char *glob)
{
	if (glob[0] != '/')
		return NULL;
	char *out = fe_arena_alloc(a, 3 * strlen(glob) + 3), *o = out;	/* "@" becomes "[@]", "]" "\\]", quotes */
	bool quote = strpbrk(glob, " \t\"") != NULL;
	if (quote)
		*o++ = '"';
	for (const char *p = glob; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			return NULL;
		if (c == '\\') {
			if (!p[1])
				return NULL;
			*o++ = '\\';
			*o++ = *++p;
		} else if (c == '[' && aa_glob_class(&p, &o)) {
			continue;
		} else if (c == '"') {
			*o++ = '\\';
			*o++ = '"';
		} else if (c == '@' && p[1] == '{') {
			memcpy(o, "[@]", 3);	/* `@{` would start a variable; the brace stays a glob */
			o += 3;
		} else {
			*o++ = (char)c;
		}
	}
	if (quote)
		*o++ = '"';
	*o = '\0';
	return out;
}

/* The AppArmor expression for a rule's target; NULL when it cannot be written. */
static const char *aa_target_expr(struct aa_state *st, const struct ir_rule *r)
{
	struct fe_arena *a = st->a;
	const char *s = ir_s(&st->p->strs, r->target);
	switch (r->match) {
	case IR_M_PATH: return aa_literal(a, s, "");
	/* "D/" covers D itself whatever its type (DESIGN §4.1), so a file at D too: the
	 * slash goes into the alternation ("/" itself has nothing to strip) */
	case IR_M_DIR:
	case IR_M_DIR_RECURSIVE: {
		bool rec = r->match == IR_M_DIR_RECURSIVE;
		size_t n = strlen(s);
		if (n <= 1)
			return aa_literal(a, s, rec ? "{,**}" : "{,*,*/}");
		return aa_literal(a, fe_arena_strndup(a, s, n - 1), rec ? "{,/,/**}" : "{,/,/*,/*/}");
	}
	case IR_M_PATTERN: return aa_glob(a, s);
	case IR_M_EXECNAME: {
		const char *lit = aa_literal(a, s, "");
		return lit && lit[0] != '"' ? fe_arena_printf(a, "/{**/,}%s", lit) : NULL;
	}
	default: return NULL;
	}
}

/* ---- what the profile's own rules grant ---- */

/* Rules of profile ps: the global ones, plus, in a source's child profile, the source's own. */
static bool aa_applies(const struct aa_state *st, uint32_t i, int ps)
{
	int src = st->info[i].src;
	return src == AA_EVERY || (ps != AA_MAIN && src == ps);
}

/* The Allow rules of group g (see aa_state.group), as positions in t->rules. */
static const uint32_t *aa_group(const struct aa_state *st, size_t g, size_t *n)
{
	*n = st->group[g + 1] - st->group[g];
	return st->allows + st->group[g];
}

/* The Allow rules that only profile ps holds: none in the main profile. */
static const uint32_t *aa_own(const struct aa_state *st, int ps, size_t *n)
{
	if (ps == AA_MAIN) {
		*n = 0;
		return NULL;
	}
	return aa_group(st, (size_t)ps + 1, n);
}

/* A finding of rule i that depends on the rule only is the same in every profile that holds
 * it, and be_gap drops the repeats: it is reported from the first, the main profile for a
 * global rule (a child profile holds it again two dozen times at scale). */
static bool aa_first_holder(const struct aa_state *st, uint32_t i, int ps)
{
	return ps == AA_MAIN || st->info[i].src != AA_EVERY;
}

/* Does an Allow process rule among these grant exec of `path`? */
static bool aa_grants_exec(struct aa_state *st, const uint32_t *allows, size_t n, const char *path)
{
	for (size_t k = 0; k < n; k++) {
		const struct ir_rule *r = &st->p->rules[st->t->rules[allows[k]]];
		if (r->cls == IR_PROCESS && !(r->flags & IR_RULE_OWNERONLY) &&
		    fe_path_matches(st->m, r->match, r->target, path))
			return true;
	}
	return false;
}

/* Does an Allow process rule of profile ps grant exec of source s? */
static bool aa_exec_granted(struct aa_state *st, int ps, size_t s)
{
	size_t n;
	const uint32_t *own = aa_own(st, ps, &n);
	return st->sources[s].exec_global || aa_grants_exec(st, own, n, st->sources[s].path);
}

/* Does an Allow rule of class cls among these grant `name` (a capability, or a protocol)? */
static bool aa_grants_name(const struct aa_state *st, const uint32_t *allows, size_t n, enum ir_class cls,
			   const char *name)
{
	for (size_t k = 0; k < n; k++) {
		const struct ir_rule *r = &st->p->rules[st->t->rules[allows[k]]];
		if (r->cls != cls || (cls == IR_NETWORK && r->match != IR_M_PROTOCOL))
			continue;
		const char *t = ir_s(&st->p->strs, r->target);
		if (strcmp(t, name) == 0 || (cls == IR_NETWORK && strcmp(t, "all") == 0))
			return true;
	}
	return false;
}

/* How an Audit rule relates to what the Allow rules (and the baseline) grant, inside a
 * block-posture allow-list, where only the granted part may be audited:
 * AA_GRANT_NONE: nothing of it is granted (write nothing: the denial is the verdict);
 * AA_GRANT_ALL: all of it is granted (write the audit rule); AA_GRANT_PART: some of it may
 * be, which AppArmor cannot say.  Over several Allow rules: PART if one says PART, else
 * ALL if one says ALL, whatever their order. */
enum aa_grant { AA_GRANT_NONE, AA_GRANT_ALL, AA_GRANT_PART };

/* What one Allow rule r of the Audit rule's class grants of it. */
static enum aa_grant aa_grant_by(struct aa_state *st, const struct ir_rule *audit, const struct ir_rule *r)
{
	const char *at = ir_s(&st->p->strs, audit->target);
	if (r->match == audit->match && r->target == audit->target && r->flags == audit->flags)
		return AA_GRANT_ALL;	/* identical target */
	/* one path wholly inside an unmodified grant */
	if (audit->match == IR_M_PATH && !r->flags && fe_path_matches(st->m, r->match, r->target, at))
		return AA_GRANT_ALL;
	const char *gt = ir_s(&st->p->strs, r->target);
	if (audit->match == IR_M_PATH) {
		if (fe_path_matches(st->m, r->match, r->target, at))
			return AA_GRANT_PART;	/* granted only for some accesses (modifiers) */
	} else if (r->match == IR_M_PATH) {
		if (fe_path_matches(st->m, audit->match, audit->target, gt))
			return AA_GRANT_PART;
	} else if ((audit->match == IR_M_DIR || audit->match == IR_M_DIR_RECURSIVE) &&
		   (r->match == IR_M_DIR || r->match == IR_M_DIR_RECURSIVE)) {
		if (strncmp(at, gt, strlen(at)) == 0 || strncmp(gt, at, strlen(gt)) == 0)
			return AA_GRANT_PART;
	} else {
		return AA_GRANT_PART;	/* patterns and exec names: assume they may overlap */
	}
	return AA_GRANT_NONE;
}

/* What the Allow rules among these grant of the Audit rule. */
static enum aa_grant aa_grants_audit(struct aa_state *st, const struct ir_rule *audit, const uint32_t *allows, size_t n)
{
	enum aa_grant result = AA_GRANT_NONE;
	for (size_t k = 0; k < n && result != AA_GRANT_PART; k++) {
		const struct ir_rule *r = &st->p->rules[st->t->rules[allows[k]]];
		if (r->cls != audit->cls)
			continue;
		enum aa_grant g = aa_grant_by(st, audit, r);
		if (g != AA_GRANT_NONE)
			result = g;
	}
	return result;
}

/* Rule i's grant by the global Allow rules, the part every profile shares: computed once. */
static enum aa_grant aa_global_grant(struct aa_state *st, uint32_t i)
{
	struct aa_info *in = &st->info[i];
	if (in->global < 0) {
		size_t n;
		const uint32_t *global = aa_group(st, 0, &n);
		in->global = (signed char)aa_grants_audit(st, &st->p->rules[st->t->rules[i]], global, n);
	}
	return (enum aa_grant)in->global;
}

/* What profile ps grants of Audit rule i (a file or process rule). */
static enum aa_grant aa_audit_grant(struct aa_state *st, uint32_t i, int ps)
{
	const struct ir_rule *audit = &st->p->rules[st->t->rules[i]];
	enum aa_grant result = aa_global_grant(st, i);
	if (result != AA_GRANT_PART) {
		size_t n;
		const uint32_t *own = aa_own(st, ps, &n);
		enum aa_grant g = aa_grants_audit(st, audit, own, n);
		if (g != AA_GRANT_NONE)
			result = g;
	}
	if (audit->cls == IR_FILE && result == AA_GRANT_NONE) {
		const char *at = ir_s(&st->p->strs, audit->target);
		if (audit->match == IR_M_PATTERN || audit->match == IR_M_EXECNAME)
			return AA_GRANT_PART;	/* a glob may reach the baseline's paths */
		for (size_t b = 0; b < ir_baseline_count; b++) {
			const char *bp = ir_baseline[b].path;
			size_t bl = strlen(bp);
			bool dir = bp[bl - 1] == '/';
			if (audit->match == IR_M_PATH ? (dir ? strncmp(at, bp, bl) == 0 : strcmp(at, bp) == 0)
						      : strncmp(at, bp, strlen(at) < bl ? strlen(at) : bl) == 0)
				return AA_GRANT_PART;
		}
	}
	return result;
}

/* Does profile ps grant the name of Audit rule i (a network or capability rule)? */
static bool aa_name_granted(struct aa_state *st, uint32_t i, int ps)
{
	const struct ir_rule *r = &st->p->rules[st->t->rules[i]];
	const char *name = ir_s(&st->p->strs, r->target);
	struct aa_info *in = &st->info[i];
	size_t n;
	if (in->global < 0) {
		const uint32_t *global = aa_group(st, 0, &n);
		in->global = aa_grants_name(st, global, n, r->cls, name);
	}
	const uint32_t *own = aa_own(st, ps, &n);
	return in->global || aa_grants_name(st, own, n, r->cls, name);
}

/* ---- one profile body ---- */

/* How exec of a rule's target continues.  A source always enters its child profile (px on
 * the exact path, which beats any glob), even from itself.  From a child profile every
 * other program runs under the main profile again, whose rules are the global ones (the
 * source is the acting program's executable).  In the main profile programs keep the
 * profile (ix).  All glob exec rules of a profile share one mode, as the parser demands. */
static const char *aa_exec_mode(const struct aa_state *st, int ps, uint32_t i, const char **target)
{
	int enters = st->info[i].enters;
	if (enters >= 0) {
		*target = st->sources[enters].enter;
		return "px";
	}
	if (ps != AA_MAIN) {
		*target = st->to_main;
		return "px";
	}
	*target = "";
	return "ix";
}

/* The directories above what a rule protects, as AppArmor directory paths ("/a/", "/a/b/"), not "/"
 * itself: renaming or removing one moves every path below it (DESIGN §4.12), so the rule's
 * denials cover them with `w` (rename, removal, creation, chmod/chown of the directory itself;
 * creating or removing a file inside is judged by the file's own path).  A pattern contributes the
 * prefixes before its first component that holds `**` (that component matches any depth: denying
 * writes to every directory it matches would refuse creating directories anywhere below);
 * *partial is set when it has such a component (or an alternation across '/') before its last.
 * An exec name has no directory.  Returns the number written to out[]. */
static size_t aa_ancestors(struct aa_state *st, const struct ir_rule *r, const char **out, size_t max, bool *partial)
{
	struct fe_arena *a = st->a;
	const char *s = ir_s(&st->p->strs, r->target);
	size_t n = strlen(s), k = 0;
	*partial = false;
	if (r->match == IR_M_EXECNAME || n < 2 || s[0] != '/')
		return 0;
	if (r->match != IR_M_PATTERN) {
		size_t end = s[n - 1] == '/' ? n - 1 : n;	/* a dir's own slash: D is the rule's, not an ancestor */
		for (size_t i = 1; i < end && k < max; i++) {
			if (s[i] != '/')
				continue;
			const char *lit = aa_literal(a, fe_arena_strndup(a, s, i + 1), "");
			if (lit)
				out[k++] = lit;
		}
		return k;
	}
	int braces = 0, brackets = 0;
	size_t comp = 1;	/* start of the current component */
	for (size_t i = 1; i < n && k < max; i++) {
		char c = s[i];
		if (c == '\\' && i + 1 < n) {
			i++;
			continue;
		}
		if (brackets) {
			if (c == ']')
				brackets = 0;
			continue;
		}
		if (c == '[') {
			brackets = 1;
			if (i + 1 < n && (s[i + 1] == '!' || s[i + 1] == '^'))
				i++;
			if (i + 1 < n && s[i + 1] == ']')
				i++;	/* a leading ']' is a member */
			continue;
		}
		if (c == '{')
			braces++;
		else if (c == '}' && braces)
			braces--;
		if (c != '/')
			continue;
		if (braces) {
			*partial = true;	/* an alternation across directories: its prefixes are not one glob */
			return k;
		}
		if (i == n - 1)
			break;	/* "D/": the pattern's own directory */
		for (size_t j = comp; j + 1 < i; j++) {
			if (s[j] == '*' && s[j + 1] == '*') {
				*partial = true;
				return k;
			}
		}
		const char *g = aa_glob(a, fe_arena_strndup(a, s, i + 1));
		if (g)
			out[k++] = g;
		comp = i + 1;
	}
	return k;
}

static void aa_file_rule(struct aa_state *st, struct aa_body *b, uint32_t i, int ps)
{
	long ri = st->t->rules[i];
	const struct ir_rule *r = &st->p->rules[ri];
	const struct aa_info *in = &st->info[i];
	const struct aa_path *e = &in->expr;
	bool first = aa_first_holder(st, i, ps);
	if (!e->s) {
		if (first)
			be_gap(st->ctx, st->t, ri, IR_PC_FILE, FE_BE_PATH, NULL,
			       "'%s' cannot be written as an AppArmor path", ir_s(&st->p->strs, r->target));
		return;
	}
	bool proc = r->cls == IR_PROCESS;
	bool ro = r->flags & IR_RULE_READONLY, oo = r->flags & IR_RULE_OWNERONLY;
	bool allow_list = st->allow_list[IR_PC_FILE];
	/* An executable mapping of a file is an exec of it (DESIGN §4.12): a process rule covers `m`
	 * with `x` (so `ld.so PROGRAM` maps nothing a Block refuses), and in an allow-list a file rule
	 * grants no `m` (only process rules and the baseline's libraries may be mapped executable).
	 * Outside an allow-list `file,` grants `m` anyway, so file grants keep it there. */
	unsigned all = proc ? AA_X | AA_M : AA_ALL_FILE;
	unsigned grant = proc ? AA_X | AA_M : allow_list ? AA_ALL_FILE & ~AA_M : AA_ALL_FILE;
	unsigned grant_read = allow_list ? AA_R : AA_M | AA_R;
	const char *xt = "", *xm = proc ? aa_exec_mode(st, ps, i, &xt) : "";
	if (first && st->complain && (r->action == IR_BLOCK || ((ro || oo) && r->action == IR_ALLOW))) {
		/* In complain mode the kernel does not enforce `audit deny` (it logs ALLOWED), and a
		 * plain deny is enforced without a record: Block cannot be both.  The rule is still
		 * enforced (silently); cases that depend on its record are reported. */
		be_gap(st->ctx, st->t, ri, IR_PC_FILE, FE_BE_POSTURE, &aa_matching_only,
		       "a denial in a profile in complain mode (file audit posture with an allow-list) is enforced "
		       "without an audit record");
	}
	const char *deny = st->complain ? "deny " : "audit deny ";
	const char *deny_owner = st->complain ? "deny owner " : "audit deny owner ";
	const char *deny_other = st->complain ? "deny other " : "audit deny other ";
	switch (r->action) {
	case IR_BLOCK:
		if (ro && oo) {
			aa_add(b, deny_owner, e, AA_NOT_READ, NULL, NULL);
			aa_add(b, deny_other, e, all, NULL, NULL);
		} else if (ro) {
			aa_add(b, deny, e, AA_NOT_READ, NULL, NULL);
		} else if (oo) {
			aa_add(b, deny_other, e, all, NULL, NULL);
		} else {
			aa_add(b, deny, e, all, NULL, NULL);
		}
		break;
	case IR_ALLOW:
		/* outside an allow-list the bare class rule already grants everything */
		if (ro && oo) {
			if (allow_list)
				aa_add(b, "owner ", e, grant_read, NULL, NULL);
			aa_add(b, deny_owner, e, AA_NOT_READ, NULL, NULL);
			aa_add(b, deny_other, e, all, NULL, NULL);
		} else if (ro) {
			if (allow_list)
				aa_add(b, "", e, grant_read, NULL, NULL);
			aa_add(b, deny, e, AA_NOT_READ, NULL, NULL);
		} else if (oo) {
			if (allow_list)
				aa_add(b, "owner ", e, grant, xm, xt);
			aa_add(b, deny_other, e, all, NULL, NULL);
		} else if (allow_list) {
			aa_add(b, "", e, grant, xm, xt);
		}
		break;
	case IR_AUDIT:
		if (allow_list && !st->complain) {
			/* block-posture allow-list: the posture decides before Audit, so an Audit rule
			 * only audits what an Allow rule grants */
			enum aa_grant g = aa_audit_grant(st, i, ps);
			if (g == AA_GRANT_PART) {
				be_gap(st->ctx, st->t, ri, IR_PC_FILE, FE_BE_AUDIT_OVERLAP, NULL,
				       "Audit rule '%s' overlaps what an Allow rule grants in a block-posture allow-list; "
				       "AppArmor cannot audit only the granted part", ir_s(&st->p->strs, r->target));
				return;
			}
			if (g == AA_GRANT_NONE)
				return;	/* never granted: the implicit denial is the verdict */
		}
		if (ro && oo) {
			aa_add(b, "audit owner ", e, AA_NOT_READ, NULL, NULL);
			aa_add(b, "audit other ", e, grant, xm, xt);
		} else if (ro) {
			aa_add(b, "audit ", e, AA_NOT_READ, NULL, NULL);
		} else if (oo) {
			aa_add(b, "audit other ", e, grant, xm, xt);
		} else {
			aa_add(b, "audit ", e, grant, xm, xt);
		}
		break;
	}
	/* a rule that refuses something also refuses moving the directories above its paths */
	for (size_t k = 0; k < in->nanc; k++)
		aa_add(b, deny, &in->anc[k], AA_W, NULL, NULL);
}

/* AppArmor's network keywords for the model's protocol names; NULL: none exists. */
static const char *aa_protocol(const char *proto)
{
	static const char *const ok[] = {"tcp", "udp", "icmp", "raw", "stream", "dgram", "seqpacket", "rdm", "packet"};
	if (strcmp(proto, "all") == 0)
		return "";
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(proto, ok[i]) == 0)
			return ok[i];
	return NULL;	/* sctp, dccp, icmpv6: "Invalid network entry" (kubearmor-semantics §3.9) */
}

static void aa_named_rule(struct aa_state *st, struct aa_body *b, uint32_t i, int ps)
{
	struct fe_arena *a = st->a;
	long ri = st->t->rules[i];
	const struct ir_rule *r = &st->p->rules[ri];
	bool net = r->cls == IR_NETWORK;
	enum ir_posture_class pc = net ? IR_PC_NETWORK : IR_PC_CAPABILITIES;
	const char *name = ir_s(&st->p->strs, r->target);
	const char *kw = net ? aa_protocol(name) : name;
	bool first = aa_first_holder(st, i, ps);
	if (!kw) {
		if (first)
			be_gap(st->ctx, st->t, ri, pc, FE_BE_PROTOCOL, NULL, "AppArmor has no network keyword for protocol "
			       "'%s'", name);
		return;
	}
	const char *cls = net ? "network" : "capability";
	const char *qual;	/* what comes before the class */
	switch (r->action) {
	case IR_BLOCK:
		if (first && st->complain)	/* see aa_file_rule: complain mode ignores `audit deny` */
		{
			be_gap(st->ctx, st->t, ri, pc, FE_BE_POSTURE, &aa_matching_only, "a denial in a profile in complain "
			       "mode is enforced without an audit record");
		}
		qual = st->complain ? "deny " : "audit deny ";
		break;
	case IR_ALLOW:
		if (!st->allow_list[pc])
			return;	/* the bare class rule grants it */
		qual = "";
		break;
	default:
		if (st->allow_list[pc] && st->t->posture[pc] == IR_POSTURE_BLOCK && !st->complain && net &&
		    strcmp(name, "all") == 0 && !aa_name_granted(st, i, ps)) {
			be_gap(st->ctx, st->t, ri, pc, FE_BE_AUDIT_OVERLAP, NULL, "Audit rule for every protocol overlaps what the "
			       "Allow rules grant in a block-posture allow-list; AppArmor cannot audit only the granted part");
			return;
		}
		if (st->allow_list[pc] && st->t->posture[pc] == IR_POSTURE_BLOCK && !st->complain &&
		    !aa_name_granted(st, i, ps))
			return;	/* not granted: the implicit denial is the verdict */
		qual = "audit ";
		break;
	}
	if (!b)
		return;	/* findings only */
	/* the same in every profile of the target: made once */
	if (!st->info[i].named_line)
		st->info[i].named_line = fe_arena_printf(a, "%s%s%s%s,", qual, cls, *kw ? " " : "", kw);
	aa_other(b, st->info[i].named_line);
}

/* Does the target judge paths (file or process rules)?  Then paths must keep their meaning. */
static bool aa_confines_paths(const struct aa_state *st)
{
	if (ir_target_allows_mount(st->p, st->t))
		return false;	/* the target's opt-out (DESIGN §4.12), reported by compile */
	for (uint32_t i = 0; i < st->t->nrules; i++) {
		enum ir_class c = st->p->rules[st->t->rules[i]].cls;
		if (c == IR_FILE || c == IR_PROCESS)
			return true;
	}
	return false;
}

/* The bare class rules, and complement lists where a posture needs them. */
static void aa_class_headers(struct aa_state *st, struct aa_body *b, int ps)
{
	struct fe_arena *a = st->a;
	if (!st->allow_list[IR_PC_FILE] && ps == AA_MAIN) {
		aa_other(b, "file,");
	} else if (!st->allow_list[IR_PC_FILE]) {
		/* a child profile spells `file,` out, so that the programs its source starts run
		 * under the main profile (px) instead of inheriting the source's rules (ix) */
		aa_add(b, "", &st->all_files, AA_ALL_FILE | AA_X, "px", st->to_main);
	} else {
		for (size_t i = 0; i < ir_baseline_count; i++) {
			const struct ir_baseline_entry *e = &ir_baseline[i];
			aa_add(b, "", &st->baseline[i], (e->read ? AA_M | AA_R : 0) | (e->write ? AA_W : 0), NULL, NULL);
		}
	}
	/* network */
	long first_allow = -1;	/* the rule that made the class an allow-list, to point at */
	for (uint32_t i = 0; i < st->t->nrules && first_allow < 0; i++) {
		const struct ir_rule *r = &st->p->rules[st->t->rules[i]];
		if (r->cls == IR_NETWORK && r->match == IR_M_PROTOCOL && r->action == IR_ALLOW)
			first_allow = st->t->rules[i];
	}
	if (!st->allow_list[IR_PC_NETWORK])
		aa_other(b, "network,");
	else if ((st->t->posture[IR_PC_NETWORK] == IR_POSTURE_BLOCK) == st->complain && ps == AA_MAIN)
		be_gap(st->ctx, st->t, first_allow, IR_PC_NETWORK, FE_BE_POSTURE, NULL,
		       "a network allow-list with %s posture next to a file class in %s mode cannot be written: AppArmor's "
		       "network keywords overlap, so no complement list exists", ir_posture_name(st->t->posture[IR_PC_NETWORK]),
		       st->complain ? "complain" : "enforce");
	/* capabilities: names are disjoint, so the complement can be listed */
	if (!st->allow_list[IR_PC_CAPABILITIES]) {
		aa_other(b, "capability,");
	} else if ((st->t->posture[IR_PC_CAPABILITIES] == IR_POSTURE_BLOCK) == st->complain) {
		const char *q = st->complain ? "deny " : "audit ";
		if (st->complain && ps == AA_MAIN)
			be_gap(st->ctx, st->t, -1, IR_PC_CAPABILITIES, FE_BE_POSTURE, NULL, "a capability allow-list with block "
			       "posture in a profile in complain mode denies without an audit record");
		size_t n;
		const uint32_t *own = aa_own(st, ps, &n);
		for (size_t i = 0; i < AA_NCAPS && b; i++)
			if (!st->cap_global[i] && !aa_grants_name(st, own, n, IR_CAPABILITY, aa_capabilities[i]))
				aa_other(b, fe_arena_printf(a, "%scapability %s,", q, aa_capabilities[i]));
	}
	/* classes outside the policy language stay usable: a profile refuses what it does
	 * not mention, and the verdict model allows it */
	aa_other(b, "signal,");
	aa_other(b, "unix,");
	/* ...except what would let a task walk around its rules (DESIGN §4.12).  Where paths are
	 * judged, paths must keep their meaning: no mount (bind mounts, new trees, remounts), umount
	 * or pivot_root.  apparmor_parser 3.0 leaves the mount class out of the policy when it holds
	 * only denials, and the kernel then mediates no mount at all: one grant that can never apply
	 * (a file system type that does not exist, and the deny covers it anyway) keeps it in. */
	if (aa_confines_paths(st)) {
		const char *q = st->complain ? "deny " : "audit deny ";
		aa_other(b, fe_arena_printf(a, "%smount,", q));
		aa_other(b, fe_arena_printf(a, "%sumount,", q));
		aa_other(b, fe_arena_printf(a, "%spivot_root,", q));
		aa_other(b, "mount fstype=karmorc-none -> /karmorc-none/,");
	} else {
		aa_other(b, "mount,");
		aa_other(b, "umount,");
		aa_other(b, "pivot_root,");
	}
	/* A task may be traced and read by others (their profiles decide), but may itself trace or
	 * read (/proc/PID/mem, environ, fd, ns, root, ...) only tasks of its own target: the main
	 * profile and its children.  Anything else is refused by omission, which the kernel logs; in
	 * complain mode omission permits, so unconfined tasks are refused explicitly (tasks of other
	 * profiles are a gap, reported in aa_bypass_gaps). */
	/* nor switch enforcement off: loading, replacing or removing policy (its own profile through
	 * .remove, say) needs CAP_MAC_ADMIN, refused whatever the capability rules say */
	aa_other(b, st->complain ? "deny capability mac_admin," : "audit deny capability mac_admin,");
	aa_other(b, "ptrace (readby, tracedby),");
	aa_other(b, fe_arena_printf(a, "ptrace (read, trace) peer=%s{,//*},", st->t->name));
	if (st->complain)
		aa_other(b, "deny ptrace (read, trace) peer=unconfined,");
}

static void aa_body(struct aa_state *st, struct aa_body *b, int ps)
{
	aa_class_headers(st, b, ps);
	for (uint32_t i = 0; i < st->t->nrules; i++) {
		if (!aa_applies(st, i, ps))
			continue;
		const struct ir_rule *r = &st->p->rules[st->t->rules[i]];
		switch (r->cls) {
		case IR_PROCESS:
		case IR_FILE:
			aa_file_rule(st, b, i, ps);
			break;
		case IR_NETWORK:
			if (r->match == IR_M_PROTOCOL)
				aa_named_rule(st, b, i, ps);
			break;
		case IR_CAPABILITY:
			aa_named_rule(st, b, i, ps);
			break;
		default:
			break;	/* reported once per target in aa_emit */
		}
	}
	/* entering a source's child profile: `px` on the exact path (an exact rule beats any
	 * glob's exec mode).  In an allow-list it is written only where exec is granted. */
	for (size_t s = 0; s < st->nsources; s++) {
		const struct aa_source *src = &st->sources[s];
		bool granted = !st->allow_list[IR_PC_FILE] || aa_exec_granted(st, ps, s);
		/* in complain mode an ungranted exec is permitted and logged (the audit posture):
		 * the same with the transition, so the source still gets its rules */
		if (!granted && !st->complain)
			continue;
		if (!src->lit.s) {
			if (ps == AA_MAIN)
				be_gap(st->ctx, st->t, -1, IR_PC_FILE, FE_BE_PATH, NULL, "source '%s' cannot be written as an "
				       "AppArmor path, so its child profile cannot be entered", src->path);
			continue;
		}
		aa_add(b, granted ? "" : "audit ", &src->lit, AA_X, "px", src->enter);
	}
	/* A profile entered by px must let the program map its own binary, or the kernel
	 * cannot start it: a child maps its source; the main profile maps what the children
	 * start under it (their granted exec rules). */
	if (ps != AA_MAIN && st->sources[ps].lit.s)
		aa_add(b, "", &st->sources[ps].lit, AA_M | AA_R, NULL, NULL);
	if (ps == AA_MAIN && st->allow_list[IR_PC_FILE] && st->nsources) {
		for (uint32_t i = 0; i < st->t->nrules; i++) {
			long ri = st->t->rules[i];
			const struct ir_rule *r = &st->p->rules[ri];
			if (r->cls != IR_PROCESS || r->action != IR_ALLOW || r->source.kind != IR_SRC_PATH)
				continue;
			const struct aa_path *e = &st->info[i].expr;
			if (!e->s)
				continue;
			aa_add(b, "", e, AA_M | AA_R, NULL, NULL);
			static const struct be_gap_scope reads = {.reads_of_target = true};
			be_gap(st->ctx, st->t, ri, IR_PC_FILE, FE_BE_POSTURE, &reads, "a program started from a fromSource "
			       "profile must be able to map its binary, so reads of '%s' are granted in an allow-list",
			       ir_s(&st->p->strs, r->target));
		}
	}
	if (ps != AA_MAIN && st->allow_list[IR_PC_FILE]) {
		const char **only = fe_arena_alloc(st->ctx->arena, 2 * sizeof(*only));
		only[0] = st->sources[ps].path;
		only[1] = NULL;
		be_gap(st->ctx, st->t, -1, IR_PC_FILE, FE_BE_POSTURE, &(struct be_gap_scope){.only = only},
		       "a source's child profile must map the source's binary, so the source's reads of its own "
		       "binary are granted in an allow-list");
	}
}

/* Two strings of a rule: mostly the same literal or the target's one copy, so the pointers
 * decide most comparisons (a path's rules are largely repeats, merged by aa_render). */
static int aa_same_cmp(const char *a, const char *b)
{
	return a == b ? 0 : strcmp(a, b);
}

static int aa_rule_cmp(const void *pa, const void *pb)
{
	const struct aa_rule *a = pa, *b = pb;
	if (a->path->rank != b->path->rank)
		return a->path->rank < b->path->rank ? -1 : 1;
	int c;
	if ((c = aa_same_cmp(a->qual, b->qual)))
		return c;
	if ((c = aa_same_cmp(a->xmode, b->xmode)))
		return c;
	return aa_same_cmp(a->xtarget, b->xtarget);
}

static int aa_str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void aa_perms(struct be_buf *out, unsigned perms, const char *xmode)
{
	char s[8];
	size_t n = 0;
	static const struct {
		unsigned bit;
		char c;
	} order[] = {{AA_M, 'm'}, {AA_R, 'r'}, {AA_W, 'w'}, {AA_L, 'l'}, {AA_K, 'k'}};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (perms & order[i].bit)
			s[n++] = order[i].c;
	be_write(out, s, n);
	if (perms & AA_X)
		be_puts(out, *xmode ? xmode : "x");
}

/* Sorts the body's rules as aa_rule_cmp: by path rank with a counting sort, in time linear
 * in the rules and the target's paths (qsort was a fifth of compiling c10000), then the few
 * rules of one path with qsort. */
static void aa_sort_rules(struct aa_body *b)
{
	memset(b->start, 0, (b->npaths + 1) * sizeof(*b->start));
	for (size_t i = 0; i < b->nrules; i++)
		b->start[b->rules[i].path->rank + 1]++;
	for (uint32_t r = 1; r <= b->npaths; r++)
		b->start[r] += b->start[r - 1];
	for (size_t i = 0; i < b->nrules; i++)
		b->sorted[b->start[b->rules[i].path->rank]++] = b->rules[i];
	for (size_t i = 0, j; i < b->nrules; i = j) {
		for (j = i + 1; j < b->nrules && b->sorted[j].path->rank == b->sorted[i].path->rank; j++)
			;
		if (j - i > 1)
			qsort(b->sorted + i, j - i, sizeof(*b->sorted), aa_rule_cmp);
	}
	struct aa_rule *r = b->rules;
	b->rules = b->sorted;
	b->sorted = r;
}

/* Sorted, merged, deduplicated: deterministic and minimal.  Written with be_puts (these
 * lines are most of the output), and the body is emptied for the next profile. */
static void aa_render(struct be_buf *out, struct aa_body *b, const char *indent)
{
	if (b->nother > 1)
		qsort(b->other, b->nother, sizeof(*b->other), aa_str_cmp);
	for (size_t i = 0; i < b->nother; i++) {
		if (i == 0 || strcmp(b->other[i], b->other[i - 1]) != 0) {
			be_puts(out, indent);
			be_puts(out, b->other[i]);
			be_puts(out, "\n");
		}
	}
	aa_sort_rules(b);
	for (size_t i = 0; i < b->nrules;) {
		struct aa_rule merged = b->rules[i];
		size_t j = i + 1;
		for (; j < b->nrules && aa_rule_cmp(&b->rules[j], &merged) == 0; j++)
			merged.perms |= b->rules[j].perms;
		be_puts(out, indent);
		be_puts(out, merged.qual);
		be_puts(out, merged.path->s);
		be_puts(out, " ");
		aa_perms(out, merged.perms, merged.xmode);
		if (*merged.xtarget) {
			be_puts(out, " ");
			be_puts(out, merged.xtarget);
		}
		be_puts(out, ",\n");
		i = j;
	}
	b->nrules = b->nother = 0;
}

/* Text inside a `#` comment: a control character (a newline above all) would end the
 * comment and turn the rest into profile text, so it is written as '?'. */
static void aa_comment_text(struct be_buf *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char one[2] = {(char)(*p < 0x20 || *p == 0x7f ? '?' : *p), 0};
		be_puts(out, one);
	}
}

/* An identity value inside a `#` comment, reversibly: printable ASCII as it is, a
 * backslash doubled, every other byte (a newline or carriage return that would end the
 * comment, other controls, non-ASCII) and the bytes of `also` as \xHH.  The inventory
 * does not check label or image syntax (frontend/workloads.c), so anything can come. */
static void aa_comment_escaped(struct be_buf *out, const char *s, const char *also)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\\')
			be_puts(out, "\\\\");
		else if (*p < 0x20 || *p > 0x7e || strchr(also, *p))
			be_printf(out, "\\x%02x", *p);
		else
			be_write(out, p, 1);
	}
}

/* "# identity.FIELD: VALUE" lines: who the target is, for people and tools reading the
 * profile (DESIGN §3); a selector's target has none (its first line names the selector). */
static void aa_identity(struct be_buf *out, struct fe_arena *a, const struct ir_target *t)
{
	const struct ir_identity *id = t->identity;
	if (!id)
		return;
	const char *host_fields[][2] = {{"kind", id->kind}, {"node", id->workload}};
	const char *ct_fields[][2] = {
		{"kind", id->kind}, {"namespace", id->namespace}, {"workload", id->workload}, {"pod", id->pod},
		{"container", id->container}, {"init", id->init ? "true" : "false"}, {"image", id->image},
	};
	const char *(*fields)[2] = t->host ? host_fields : ct_fields;
	size_t nf = t->host ? sizeof(host_fields) / sizeof(host_fields[0]) : sizeof(ct_fields) / sizeof(ct_fields[0]);
	for (size_t i = 0; i < nf; i++) {
		be_printf(out, "# identity.%s: ", fields[i][0]);
		aa_comment_escaped(out, fields[i][1] ? fields[i][1] : "", "");
		be_puts(out, "\n");
	}
	uint32_t n;
	const struct ir_kv *kv = be_identity_labels(a, id, &n);
	for (uint32_t i = 0; i < n; i++) {
		be_puts(out, "# identity.label: ");
		aa_comment_escaped(out, kv[i].key, "=");	/* the first '=' ends the key */
		be_puts(out, "=");
		aa_comment_escaped(out, kv[i].value, "");
		be_puts(out, "\n");
	}
}

/* ---- ways around a rule that AppArmor in the targeted kernel cannot close (DESIGN §4.12) ---- */

/* A KC0409 finding at a rule, for one technique.  It is a gap only for ops named after the
 * technique, which are never a scenario's file ops (those are paths), so no case of the rig is
 * skipped for it; the attack suite reads the technique from the message. */
enum aa_technique {
	AA_T_DESCRIPTORS, AA_T_SETXATTR, AA_T_UTIME, AA_T_INTERPRETER, AA_T_PROC_LINKS, AA_T_RENAME, AA_T_USERNS,
	AA_T_MOUNT_API, AA_T_PTRACE, AA_T_COUNT
};
/* Each technique as the `only` list of its findings' scope: static, since a target at scale
 * has thousands of these findings (one list each in the arena was 16 bytes apiece). */
static const char *const aa_techniques[AA_T_COUNT][2] = {
	[AA_T_DESCRIPTORS] = {"descriptors", NULL}, [AA_T_SETXATTR] = {"setxattr", NULL},
	[AA_T_UTIME] = {"utime", NULL}, [AA_T_INTERPRETER] = {"interpreter", NULL},
	[AA_T_PROC_LINKS] = {"proc-links", NULL}, [AA_T_RENAME] = {"rename", NULL}, [AA_T_USERNS] = {"userns", NULL},
	[AA_T_MOUNT_API] = {"mount-api", NULL}, [AA_T_PTRACE] = {"ptrace", NULL},
};

static void aa_bypass(struct aa_state *st, const struct ir_rule *r, enum aa_technique technique, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void aa_bypass(struct aa_state *st, const struct ir_rule *r, enum aa_technique technique, const char *fmt, ...)
{
	/* the message is fmt's over what r holds (each call passes a text of its own, so fmt also
	 * says the technique): on the next target of r it is only counted */
	const char *const *only = aa_techniques[technique];
	const struct be_gap_scope scope = {.only = only};
	if (be_gap_repeat(st->ctx, st->t, r->loc, IR_PC_FILE, FE_BE_BYPASS, &scope, fmt, r))
		return;
	char msg[640];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	be_gap_at_same(st->ctx, st->t, r->loc, IR_PC_FILE, FE_BE_BYPASS, &scope, fmt, r, "technique %s: %s, in policy %s",
		       only[0], msg, ir_s(&st->p->strs, st->p->policies[r->policy].name));
}

/* Is CAP_SYS_ADMIN refused in every profile of the target?  Then no task of it can mount with
 * the new mount API, in a user namespace of its own or not. */
static bool aa_sys_admin_refused(const struct aa_state *st)
{
	bool granted = false, blocked = false;
	for (uint32_t i = 0; i < st->t->nrules; i++) {
		const struct ir_rule *r = &st->p->rules[st->t->rules[i]];
		if (r->cls != IR_CAPABILITY || strcmp(ir_s(&st->p->strs, r->target), "sys_admin") != 0)
			continue;
		if (r->action == IR_BLOCK && r->source.kind == IR_SRC_ANY)
			blocked = true;
		if (r->action == IR_ALLOW)
			granted = true;
	}
	return blocked || (st->allow_list[IR_PC_CAPABILITIES] && st->t->posture[IR_PC_CAPABILITIES] == IR_POSTURE_BLOCK &&
			   !granted);
}

/* Could the rule's target name something under /proc/? */
static bool aa_under_proc(const struct aa_state *st, const struct ir_rule *r)
{
	const char *s = ir_s(&st->p->strs, r->target);
	if (r->match == IR_M_EXECNAME)
		return false;
	if (r->match != IR_M_PATTERN)
		return strncmp(s, "/proc/", 6) == 0 || strcmp(s, "/proc") == 0 || strcmp(s, "/") == 0;
	size_t lit = strcspn(s, "*?[{\\");	/* the literal prefix */
	return strncmp(s, "/proc/", lit < 6 ? lit : 6) == 0;
}

static void aa_bypass_gaps(struct aa_state *st)
{
	const struct ir_rule *first_path = NULL, *first_exec_allow = NULL, *first_allow = NULL;
	for (uint32_t i = 0; i < st->t->nrules; i++) {
		const struct ir_rule *r = &st->p->rules[st->t->rules[i]];
		if (r->cls != IR_FILE && r->cls != IR_PROCESS)
			continue;
		if (!first_path)
			first_path = r;
		if (r->action == IR_ALLOW && !first_allow)
			first_allow = r;
		if (r->action == IR_ALLOW && r->cls == IR_PROCESS && !first_exec_allow)
			first_exec_allow = r;
		const char *tg = ir_s(&st->p->strs, r->target);
		bool ro = r->flags & IR_RULE_READONLY, oo = r->flags & IR_RULE_OWNERONLY;
		bool refuses = r->action == IR_BLOCK || (r->action == IR_ALLOW && (ro || oo));
		/* a write refused by the rule: Block of a file, readOnly, ownerOnly (for others) */
		bool refuses_write = refuses && (r->cls == IR_FILE || ro || oo);
		if (refuses && r->cls == IR_FILE)
			aa_bypass(st, r, AA_T_DESCRIPTORS, "AppArmor in Linux 6.1 does not judge a descriptor that an "
				  "unconfined task opened (before the profile applied, inherited, or received over a unix "
				  "socket) when it is used, so reads, writes and mappings of '%s' through one pass", tg);
		if (refuses_write) {
			aa_bypass(st, r, AA_T_SETXATTR, "AppArmor in Linux 6.1 does not mediate setxattr(2) or removexattr(2), "
				  "so the extended attributes of '%s' can be changed although the rule refuses writing it", tg);
			aa_bypass(st, r, AA_T_UTIME, "AppArmor in Linux 6.1 does not mediate utime(2) or utimensat(2), so the "
				  "times of '%s' can be changed although the rule refuses writing it", tg);
		}
		if (r->cls == IR_PROCESS && r->action == IR_BLOCK && !ro)
			aa_bypass(st, r, AA_T_INTERPRETER, "AppArmor in Linux 6.1 does not check a program the kernel opens as "
				  "the ELF interpreter (PT_INTERP) of another program or as the #! interpreter of a script, so "
				  "'%s' still runs that way", tg);
		if (refuses && aa_under_proc(st, r))
			aa_bypass(st, r, AA_T_PROC_LINKS, "/proc/PID/ns, fd, root, cwd, exe and map_files of a task of this "
				  "target resolve to their object, which AppArmor judges by the object's own path (namespace "
				  "files not at all), not by the /proc path '%s' names (tasks of other profiles are refused "
				  "by the ptrace rules)", tg);
		if (refuses && st->info[i].partial)
			aa_bypass(st, r, AA_T_RENAME, "a directory that a '**' (or an alternation across '/') of '%s' "
				  "matches can be renamed out of the pattern; only the directories above it are "
				  "protected", tg);
	}
	if (first_path)
		aa_bypass(st, first_path, AA_T_USERNS, "AppArmor in Linux 6.1 cannot refuse creating a user namespace (its "
			  "feature set has no namespace mediation); mount, umount and pivot_root stay refused inside one");
	/* an allow-list refuses what it does not grant: once, at the rule that made it one (unless that
	 * rule already had its own finding) */
	if (first_allow && !(first_allow->cls == IR_FILE && (first_allow->flags & (IR_RULE_READONLY | IR_RULE_OWNERONLY))))
		aa_bypass(st, first_allow, AA_T_DESCRIPTORS, "AppArmor in Linux 6.1 does not judge a descriptor that an "
			  "unconfined task opened (before the profile applied, inherited, or received over a unix socket) "
			  "when it is used, so reads, writes and mappings of files no Allow rule grants pass through one");
	if (first_path && !aa_sys_admin_refused(st))
		aa_bypass(st, first_path, AA_T_MOUNT_API, "AppArmor in Linux 6.1 does not mediate open_tree(2), "
			  "move_mount(2), fsopen(2) or fsmount(2), so a task with CAP_SYS_ADMIN (an unprivileged one gets it "
			  "in a user namespace of its own, whose creation AppArmor in 6.1 cannot refuse) can put any tree, "
			  "protected paths included, at another path; refusing capability sys_admin closes it");
	if (first_exec_allow && (!st->complain || st->t->posture[IR_PC_FILE] == IR_POSTURE_BLOCK))
		aa_bypass(st, first_exec_allow, AA_T_INTERPRETER, "AppArmor in Linux 6.1 does not check a program the "
			  "kernel opens as the ELF interpreter (PT_INTERP) of another program or as the #! interpreter of a "
			  "script, so a program no Allow rule grants still runs as the interpreter of one that is granted");
	if (st->complain && first_allow)
		aa_bypass(st, first_allow, AA_T_PTRACE, "in complain mode a task may trace and read tasks confined by other "
			  "profiles (permitted and logged); only unconfined tasks are refused");
}

/* The profile's opening: who it is for, the policies, the classes' modes, its first line. */
static void aa_header(struct be_buf *out, const struct aa_state *st)
{
	const struct ir_target *t = st->t;
	be_puts(out, "# AppArmor profile written by karmorc for ");
	aa_comment_text(out, t->describe);
	be_puts(out, "\n");
	aa_identity(out, st->a, t);
	be_puts(out, "# policies:");
	const char *last = NULL;
	for (uint32_t i = 0; i < t->npolicies; i++) {
		const char *pn = ir_s(&st->p->strs, st->p->policies[t->policies[i]].name);
		if (!last || strcmp(last, pn) != 0) {
			be_puts(out, " ");
			aa_comment_text(out, pn);
		}
		last = pn;
	}
	be_puts(out, "\n");
	for (int c = 0; c < IR_PC_COUNT; c++)
		be_printf(out, "# %s class: %s, posture %s\n", ir_posture_class_name((enum ir_posture_class)c),
			  st->allow_list[c] ? "allow-list" : "deny-list", ir_posture_name(t->posture[c]));
	be_printf(out, "profile %s flags=(attach_disconnected,mediate_deleted%s) {\n", t->name,
		  st->complain ? ",complain" : "");
}

/* A policy's native lines, pasted as written. */
static void aa_native_lines(struct be_buf *out, const struct ir_strtab *strs, const struct ir_policy *pol)
{
	be_puts(out, "  # native lines of policy ");
	aa_comment_text(out, ir_s(strs, pol->name));
	be_puts(out, "\n");
	for (const char *line = ir_s(strs, pol->apparmor); *line;) {
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		be_printf(out, "  %.*s\n", (int)n, line);
		line += n + (nl != NULL);
	}
}

static int aa_source_cmp(const void *a, const void *b)
{
	return strcmp(((const struct aa_source *)a)->path, ((const struct aa_source *)b)->path);
}

/* The index of an interned path in st->sources; -1: not a source. */
static int aa_source_of(const struct aa_state *st, ir_str path)
{
	uint32_t h = fe_hash(&path, sizeof(path)), id;
	for (uint32_t c = fe_hindex_first(&st->source_index, h); fe_hindex_next(&st->source_index, h, &c, &id);)
		if (st->sources[id].id == path)
			return (int)id;
	return -1;
}

static void aa_add_source(struct aa_state *st, ir_str path)
{
	if (aa_source_of(st, path) >= 0)
		return;
	fe_hindex_add(&st->source_index, fe_hash(&path, sizeof(path)), (uint32_t)st->nsources);
	st->sources[st->nsources++] = (struct aa_source){.path = ir_s(&st->p->strs, path), .id = path};
}

static int aa_path_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct aa_path *const *)a)->s, (*(const struct aa_path *const *)b)->s);
}

/* Ranks every path the target's profiles can hold (see aa_path); returns the number of ranks. */
static uint32_t aa_rank_paths(struct aa_state *st)
{
	size_t n = 0, max = st->t->nrules + st->nsources + ir_baseline_count + 1;
	for (uint32_t i = 0; i < st->t->nrules; i++)
		max += st->info[i].nanc;
	struct aa_path **all = fe_arena_alloc(st->a, max * sizeof(*all));
	all[n++] = &st->all_files;
	for (size_t b = 0; b < ir_baseline_count; b++)
		all[n++] = &st->baseline[b];
	for (size_t s = 0; s < st->nsources; s++)
		if (st->sources[s].lit.s)
			all[n++] = &st->sources[s].lit;
	for (uint32_t i = 0; i < st->t->nrules; i++) {
		struct aa_info *in = &st->info[i];
		if (in->expr.s)
			all[n++] = &in->expr;
		for (size_t k = 0; k < in->nanc; k++)
			all[n++] = &in->anc[k];
	}
	qsort(all, n, sizeof(*all), aa_path_cmp);
	uint32_t rank = 0;
	for (size_t k = 0; k < n; k++) {
		if (k && strcmp(all[k]->s, all[k - 1]->s) != 0)
			rank++;
		all[k]->rank = rank;
	}
	return n ? rank + 1 : 0;
}

/* What the profiles of the target share, computed before any is written: the sources'
 * names, each rule's aa_info, the Allow rules grouped by profile, and what the global
 * Allow rules grant of the sources' exec and of the capabilities. */
static void aa_prepare(struct aa_state *st)
{
	const struct ir_target *t = st->t;
	struct fe_arena *a = st->a;
	if (st->nsources > 1)
		qsort(st->sources, st->nsources, sizeof(*st->sources), aa_source_cmp);
	fe_hindex_free(&st->source_index);	/* the sort moved them */
	st->to_main = fe_arena_printf(a, "-> %s", t->name);
	st->all_files.s = "/{,**}";
	st->baseline = fe_arena_zalloc(a, (ir_baseline_count + 1) * sizeof(*st->baseline));
	for (size_t b = 0; b < ir_baseline_count; b++) {
		const char *bp = ir_baseline[b].path;
		/* D followed by two stars: everything below D, not D itself (AppArmor's `**` after a
		 * slash needs a character), as the model's baseline */
		st->baseline[b].s = bp[strlen(bp) - 1] == '/' ? fe_arena_printf(a, "%s**", bp) : bp;
	}
	for (size_t s = 0; s < st->nsources; s++) {
		struct aa_source *src = &st->sources[s];
		fe_hindex_add(&st->source_index, fe_hash(&src->id, sizeof(src->id)), (uint32_t)s);
		src->lit.s = aa_literal(a, src->path, "");
		src->child = aa_child_name(a, src->path);
		src->enter = fe_arena_printf(a, "-> %s//%s", t->name, src->child);
	}
	st->info = fe_arena_zalloc(a, (t->nrules + 1) * sizeof(*st->info));
	st->group = fe_arena_zalloc(a, (st->nsources + 2) * sizeof(*st->group));
	for (uint32_t i = 0; i < t->nrules; i++) {
		const struct ir_rule *r = &st->p->rules[t->rules[i]];
		struct aa_info *in = &st->info[i];
		int src = r->source.kind == IR_SRC_PATH ? aa_source_of(st, r->source.path) : -1;
		in->src = r->source.kind == IR_SRC_ANY ? AA_EVERY : src >= 0 ? src : AA_NOWHERE;
		in->enters = r->match == IR_M_PATH ? aa_source_of(st, r->target) : -1;
		in->global = -1;
		bool ro = r->flags & IR_RULE_READONLY, oo = r->flags & IR_RULE_OWNERONLY;
		if (r->cls == IR_FILE || r->cls == IR_PROCESS) {
			in->expr.s = aa_target_expr(st, r);
			if (r->action == IR_BLOCK || (r->action == IR_ALLOW && (ro || oo))) {
				const char *anc[64];
				in->nanc = aa_ancestors(st, r, anc, sizeof(anc) / sizeof(anc[0]), &in->partial);
				in->anc = fe_arena_zalloc(a, (in->nanc + 1) * sizeof(*in->anc));
				for (size_t k = 0; k < in->nanc; k++)
					in->anc[k].s = anc[k];
			}
		}
		if (r->action == IR_ALLOW && in->src != AA_NOWHERE)
			st->group[in->src + 2]++;	/* counted at the end of group src + 1 */
	}
	for (size_t g = 1; g <= st->nsources; g++)
		st->group[g + 1] += st->group[g];
	size_t *next = fe_arena_alloc(a, (st->nsources + 1) * sizeof(*next));
	memcpy(next, st->group, (st->nsources + 1) * sizeof(*next));
	st->allows = fe_arena_alloc(a, (st->group[st->nsources + 1] + 1) * sizeof(*st->allows));
	for (uint32_t i = 0; i < t->nrules; i++)
		if (st->p->rules[t->rules[i]].action == IR_ALLOW && st->info[i].src != AA_NOWHERE)
			st->allows[next[st->info[i].src + 1]++] = i;
	size_t n;
	const uint32_t *global = aa_group(st, 0, &n);
	for (size_t s = 0; s < st->nsources && st->allow_list[IR_PC_FILE]; s++)
		st->sources[s].exec_global = aa_grants_exec(st, global, n, st->sources[s].path);
	for (size_t c = 0; c < AA_NCAPS && st->allow_list[IR_PC_CAPABILITIES]; c++)
		st->cap_global[c] = aa_grants_name(st, global, n, IR_CAPABILITY, aa_capabilities[c]);
	if (!st->ctx->findings_only)
		st->npaths = aa_rank_paths(st);
}

/* ---- the rule table (karmor-loader events) ---- */

/* The table karmor-loader attributes AppArmor's audit records with (karmor-loader(8),
 * EVENTS), apparmor-rules/TARGET.rules, TAB-separated.  A line "@target" first: the target's
 * name, "host" or "container", and its identity (namespace, kind, workload, pod,
 * container, image, labels as k=v,...; "-" for none).  Then be_table_row's columns after a
 * key PROFILE/CLASS (CLASS file, network or capability; PROFILE TARGET//ALL for a line every
 * profile of the target holds, the main one and each child, written once rather than once a
 * profile: 20 MB a target at 10,000 policies), and a last column, what the line
 * matches: for file lines a PCRE2 pattern over the record's path (fe_match_regex), for
 * network lines AppArmor's protocol keyword, for capability lines the capability; "-" for
 * everything.  Ops say which operations a file line decides: r, w, x, and o when only a
 * non-owner's, O when only an owner's.  For one key, lines come in the verdict model's
 * order (DESIGN §4), counting the TARGET//ALL lines among a profile's own: Block rules (and the
 * refusals of readOnly and ownerOnly Allow rules),
 * the posture of an allow-list after its grants ("Allow" lines: the Allow rules, and for
 * files the baseline; the posture does not decide what they grant), Audit rules; the
 * first line that fits a record names its alert. */

/* one line: key, be_table_row's columns, what it matches */
static void aa_table_line(struct aa_state *st, struct be_buf *out, const char *key, long ri, const char *action,
			  enum ir_posture_class pc, const char *ops, const char *match)
{
	be_put_field(out, key);
	be_table_row(out, st->p, ri, action, pc, "", st->t->name, ops);
	be_table_field(out, match);
	be_puts(out, "\n");
}

/* what a rule's line matches in its class; NULL: nothing a record can show */
static const char *aa_table_match(struct aa_state *st, const struct ir_rule *r)
{
	const char *target = ir_s(&st->p->strs, r->target);
	if (r->cls == IR_FILE || r->cls == IR_PROCESS)
		return fe_match_regex(st->a, r->match, target);
	if (r->cls == IR_NETWORK && r->match == IR_M_PROTOCOL) {
		const char *kw = aa_protocol(target);
		return kw && *kw ? kw : kw ? "-" : NULL;
	}
	if (r->cls == IR_CAPABILITY) {
		if (strncasecmp(target, "cap_", 4) == 0)
			target += 4;
		char *lower = fe_arena_strdup(st->a, target);
		for (char *c = lower; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		return lower;
	}
	return NULL;
}

/* The key of a line of class pc held where src says (aa_info.src): TARGET//ALL when every
 * profile holds it (a rule of every source, the baseline, the posture), else that child's. */
static const char *aa_table_key(struct aa_state *st, int src, enum ir_posture_class pc)
{
	static const char *const cls_name[IR_PC_COUNT] = {[IR_PC_FILE] = "file", [IR_PC_NETWORK] = "network",
							  [IR_PC_CAPABILITIES] = "capability"};
	assert(src != AA_NOWHERE);
	const char **key = src == AA_EVERY ? &st->every_key[pc] : &st->sources[src].table_key[pc];
	if (!*key)	/* made once, not once a line */
		*key = src == AA_EVERY ? fe_arena_printf(st->a, "%s//ALL/%s", st->t->name, cls_name[pc])
				       : fe_arena_printf(st->a, "%s//%s/%s", st->t->name, st->sources[src].child, cls_name[pc]);
	return *key;
}

/* The lines of class pc, of every profile at once: each profile's lines (its own and the
 * TARGET//ALL ones) come in the order its own table would give them, because one walk over
 * the rules writes each rule once, under the one profile that holds it or under all. */
static void aa_table_class(struct aa_state *st, struct be_buf *out, enum ir_posture_class pc)
{
	const char *every = aa_table_key(st, AA_EVERY, pc);
	for (int pass = 0; pass < 3; pass++) {
		if (pass == 1) {
			if (!st->allow_list[pc])
				continue;
			/* what the Allow rules (and, for files, the baseline) grant is no posture's:
			 * the grants come first, as "Allow" lines (the kernel logs AUDIT for an
			 * audited grant and for an audit posture alike) */
			for (uint32_t i = 0; i < st->t->nrules; i++) {
				const struct ir_rule *r = &st->p->rules[st->t->rules[i]];
				const char *match = r->action == IR_ALLOW && ir_posture_class_of(r->cls) == pc &&
						    st->info[i].src != AA_NOWHERE ? aa_table_match(st, r) : NULL;
				if (!match)
					continue;
				/* a file rule grants reads and writes (readOnly: reads; ownerOnly: an
				 * owner's, O), a process rule execs */
				bool ro = r->flags & IR_RULE_READONLY, oo = r->flags & IR_RULE_OWNERONLY;
				const char *ops = pc != IR_PC_FILE ? "-" : r->cls == IR_PROCESS ? "x" : ro ? "r" : "rw";
				aa_table_line(st, out, aa_table_key(st, st->info[i].src, pc), st->t->rules[i], "Allow", pc,
					      oo && pc == IR_PC_FILE ? fe_arena_printf(st->a, "%sO", ops) : ops, match);
			}
			for (size_t b = 0; b < ir_baseline_count && pc == IR_PC_FILE; b++) {
				const char *bp = ir_baseline[b].path;
				bool dir = bp[strlen(bp) - 1] == '/';
				be_puts(out, every);
				be_puts(out, "\tAllow\t(baseline)\t0\t\t\t-:0:0\tfile\t");
				be_put_field(out, bp);
				be_table_field(out, st->t->name);
				be_printf(out, "\t%s%s", ir_baseline[b].read ? "r" : "", ir_baseline[b].write ? "w" : "");
				/* D/ in the baseline: everything below D, not D itself (aa_prepare) */
				be_table_field(out, fe_match_regex(st->a, dir ? IR_M_PATTERN : IR_M_PATH, st->baseline[b].s));
				be_puts(out, "\n");
			}
			aa_table_line(st, out, every, -1, st->t->posture[pc] == IR_POSTURE_BLOCK ? "Block" : "Audit", pc,
				      pc == IR_PC_FILE ? "rwx" : "-", "-");
			continue;
		}
		for (uint32_t i = 0; i < st->t->nrules; i++) {
			long ri = st->t->rules[i];
			const struct ir_rule *r = &st->p->rules[ri];
			if (ir_posture_class_of(r->cls) != pc || st->info[i].src == AA_NOWHERE)
				continue;
			bool ro = r->flags & IR_RULE_READONLY, oo = r->flags & IR_RULE_OWNERONLY;
			bool refuses = r->action == IR_BLOCK || (r->action == IR_ALLOW && (ro || oo));
			if (pass == 0 ? !refuses : r->action != IR_AUDIT)
				continue;
			const char *match = aa_table_match(st, r);
			if (!match)
				continue;
			const char *key = aa_table_key(st, st->info[i].src, pc);
			const char *action = pass == 0 ? "Block" : "Audit";
			if (pc != IR_PC_FILE) {
				aa_table_line(st, out, key, ri, action, pc, "-", match);
				continue;
			}
			/* what the rule decides: readOnly everyone's writes, ownerOnly a non-owner's all */
			const char *all = r->cls == IR_PROCESS ? "x" : "rw";
			if (ro)
				aa_table_line(st, out, key, ri, action, pc, r->cls == IR_PROCESS ? "x" : "w", match);
			if (oo)
				aa_table_line(st, out, key, ri, action, pc, fe_arena_printf(st->a, "%so", all), match);
			if (!ro && !oo)
				aa_table_line(st, out, key, ri, action, pc, all, match);
		}
	}
}

static void aa_write_rules(struct aa_state *st)
{
	struct be_buf *out = &be_new_file(st->ctx, fe_arena_printf(st->a, "%s/%s.rules", be_apparmor.tables, st->t->name))->text;
	be_printf(out, "# karmorc %s: rule table of the AppArmor profiles of %s (karmor-loader events)\n",
		  st->ctx->version ? st->ctx->version : "", st->t->name);
	be_puts(out, "# @target\tname\thost|container\tnamespace\tkind\tworkload\tpod\tcontainer\timage\tlabels\n");
	be_puts(out, "# key\taction\tpolicy\tseverity\ttags\tmessage\tlocation\tclass\trule\ttarget\tops\tmatch\n");
	be_table_target(out, st->a, st->t);
	for (int pc = 0; pc < IR_PC_COUNT; pc++)
		aa_table_class(st, out, (enum ir_posture_class)pc);
}

static void aa_emit(struct be_ctx *ctx, const struct ir_target *t)
{
	struct aa_state st;
	memset(&st, 0, sizeof(st));
	st.ctx = ctx;
	st.t = t;
	st.p = ctx->prog;
	st.m = fe_matcher_new(ctx->prog);
	struct fe_arena scratch;	/* the target's own memory: nothing of it outlives emit */
	fe_arena_init(&scratch);
	st.a = &scratch;

	/* allow-list mode per class, and the sources */
	st.sources = fe_arena_alloc(st.a, (t->nrules + 1) * sizeof(*st.sources));
	bool syscall_gap = false, dns_gap = false, other_gap = false;
	for (uint32_t i = 0; i < t->nrules; i++) {
		long ri = t->rules[i];
		const struct ir_rule *r = &st.p->rules[ri];
		if (r->action == IR_ALLOW && (r->cls == IR_PROCESS || r->cls == IR_FILE))
			st.allow_list[IR_PC_FILE] = true;
		if (r->action == IR_ALLOW && r->cls == IR_NETWORK && r->match == IR_M_PROTOCOL)
			st.allow_list[IR_PC_NETWORK] = true;
		if (r->action == IR_ALLOW && r->cls == IR_CAPABILITY)
			st.allow_list[IR_PC_CAPABILITIES] = true;
		if (r->source.kind == IR_SRC_PATH && r->cls != IR_SYSCALL)
			aa_add_source(&st, r->source.path);
		if (r->cls == IR_SYSCALL && !syscall_gap) {
			syscall_gap = true;
			be_gap(ctx, t, ri, IR_PC_COUNT, FE_BE_SYSCALL, NULL,
			       "syscall rules only audit, and AppArmor cannot audit a system call by name");
		} else if (r->cls == IR_SYSCALL) {
			be_gap(ctx, t, ri, IR_PC_COUNT, FE_BE_SYSCALL, NULL, "syscall rule not expressible");
		}
		if (r->cls == IR_NETWORK && r->match == IR_M_DOMAIN && !dns_gap) {
			dns_gap = true;
			fe_diag_add(ctx->diags, FE_WARNING, FE_BE_NOT_ENFORCED, r->loc,
				    "apparmor: DNS rules are not enforced by AppArmor (target %s); no operation of the "
				    "verdict model depends on them", t->name);
		}
		if ((r->cls == IR_PRESET || r->cls == IR_DEVICE) && !other_gap) {
			other_gap = true;
			fe_diag_add(ctx->diags, FE_WARNING, FE_BE_NOT_ENFORCED, r->loc,
				    "apparmor: %s rules are not enforced by AppArmor (target %s)", ir_class_name(r->cls),
				    t->name);
		}
	}
	aa_prepare(&st);
	st.complain = st.allow_list[IR_PC_FILE] && t->posture[IR_PC_FILE] == IR_POSTURE_AUDIT;
	be_kernel_couplings(ctx, t);
	aa_bypass_gaps(&st);

	struct be_file *f = be_new_file(ctx, fe_arena_printf(st.a, "apparmor/%s", t->name));
	/* lint wants the findings only: then no text is built and no body collected (NULL) */
	struct be_buf *out = ctx->findings_only ? NULL : &f->text;
	struct aa_body body;	/* one for every profile of the target: its arrays are reused */
	memset(&body, 0, sizeof(body));
	body.npaths = st.npaths;
	body.start = fe_arena_alloc(st.a, (st.npaths + 1) * sizeof(*body.start));
	struct aa_body *b = out ? &body : NULL;
	if (out)
		aa_header(out, &st);
	aa_body(&st, b, AA_MAIN);
	if (out)
		aa_render(out, &body, "  ");

	/* native lines: pasted as written, outside the verdict model */
	for (uint32_t i = 0; i < t->npolicies; i++) {
		uint32_t pi = t->policies[i];
		if (!st.p->policies[pi].apparmor)
			continue;
		if (out)
			aa_native_lines(out, &st.p->strs, &st.p->policies[pi]);
		/* they can touch any class: counted as file, where such lines almost always act */
		static const struct be_gap_scope any_class = {.all_classes = true};
		be_gap_at(ctx, t, st.p->policies[pi].loc, IR_PC_FILE, FE_BE_NATIVE, &any_class,
			  "the native AppArmor lines of policy %s are pasted verbatim; the verdict model does not "
			  "account for them", ir_s(&st.p->strs, st.p->policies[pi].name));
	}

	for (size_t s = 0; s < st.nsources; s++) {
		if (out) {
			be_printf(out, "\n  # programs started as %s\n", st.sources[s].path);
			be_printf(out, "  profile %s flags=(attach_disconnected,mediate_deleted%s) {\n",
				  st.sources[s].child, st.complain ? ",complain" : "");
		}
		aa_body(&st, b, (int)s);
		if (out) {
			aa_render(out, &body, "    ");
			be_puts(out, "  }\n");
		}
	}
	if (out) {
		be_puts(out, "}\n");
		aa_write_rules(&st);
	}
	aa_body_free(&body);
	fe_hindex_free(&st.source_index);
	fe_arena_free(&scratch);
	fe_matcher_free(st.m);
}

static const char *aa_subject_for(struct be_ctx *ctx, const struct ir_target *t, const char *source)
{
	const struct ir_program *p = ctx->prog;
	for (uint32_t i = 0; i < t->nrules && source; i++) {
		const struct ir_rule *r = &p->rules[t->rules[i]];
		if (r->source.kind == IR_SRC_PATH && r->cls != IR_SYSCALL && strcmp(ir_s(&p->strs, r->source.path), source) == 0)
			return fe_arena_printf(ctx->arena, "%s//%s", t->name, aa_child_name(ctx->arena, source));
	}
	return t->name;
}

/* --apparmor-binary: each profile precompiled by the real parser for a declared kernel
 * feature set (apparmor_parser -Q -S -M FEATURES), so a host needs no parser: as it is into
 * SUB = apparmor-binary/, and with every profile in complain mode (-C) into
 * apparmor-complain/ (karmor-loader apply --mode=monitor loads those). */
static bool aa_precompile(const char *dir, const char *rel, const char *features, bool complain)
{
	const char *sub = complain ? "apparmor-complain" : "apparmor-binary";
	char src[4096], dst[4200];
	snprintf(src, sizeof(src), "%s/%s", dir, rel);
	const char *base = strrchr(rel, '/');
	snprintf(dst, sizeof(dst), "%s/%s/%s", dir, sub, base ? base + 1 : rel);
	char bindir[4200];
	snprintf(bindir, sizeof(bindir), "%s/%s", dir, sub);
	if (!be_mkdirs(bindir)) {
		fprintf(stderr, "karmorc: %s: %s\n", bindir, strerror(errno));
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "karmorc: fork: %s\n", strerror(errno));
		return false;
	}
	if (pid == 0) {
		FILE *out = freopen(dst, "wb", stdout);
		if (!out)
			_exit(126);
		execlp("apparmor_parser", "apparmor_parser", "-Q", "-S", "-M", features, src, complain ? "-C" : (char *)NULL,
		       (char *)NULL);
		fprintf(stderr, "karmorc: apparmor_parser: %s\n", strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "karmorc: apparmor_parser -Q -S -M %s%s %s failed (status %d)\n", features,
			complain ? " -C" : "", src, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		unlink(dst);
		return false;
	}
	return true;
}

/* the feature set the binaries are for, as DIR/apparmor-features (the loader compares it
 * with the host's before it loads them) */
static bool aa_copy_features(const char *dir, const char *features)
{
	char dst[4200];
	snprintf(dst, sizeof(dst), "%s/apparmor-features", dir);
	FILE *in = fopen(features, "rb"), *out = in ? fopen(dst, "wb") : NULL;
	char buf[65536];
	size_t n;
	bool ok = in && out;
	while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	ok = ok && !ferror(in);
	if (out && fclose(out) != 0)
		ok = false;
	if (in)
		fclose(in);
	if (!ok)
		fprintf(stderr, "karmorc: --apparmor-binary %s: cannot copy it to %s: %s\n", features, dst, strerror(errno));
	return ok;
}

static bool aa_after_write(const struct be_ctx *ctx, const char *dir, const char *features)
{
	for (size_t i = 0; i < ctx->nfiles; i++)
		if (strncmp(ctx->files[i].path, "apparmor/", 9) == 0 &&
		    (!aa_precompile(dir, ctx->files[i].path, features, false) ||
		     !aa_precompile(dir, ctx->files[i].path, features, true)))
			return false;
	be_remove_stale(dir, "apparmor-binary", ctx, "apparmor/");
	be_remove_stale(dir, "apparmor-complain", ctx, "apparmor/");
	return aa_copy_features(dir, features);
}

/* What AppArmor cannot do as the verdict model says (the emit code reports each). */
static const struct be_capability aa_caps[] = {
	{IR_FILE, IR_M_PATTERN, BE_PARTIAL, FE_BE_PATH, "globs AppArmor cannot write"},
	{IR_PROCESS, IR_M_PATTERN, BE_PARTIAL, FE_BE_PATH, "globs AppArmor cannot write"},
	{IR_NETWORK, IR_M_PROTOCOL, BE_PARTIAL, FE_BE_PROTOCOL, "protocols without a network keyword"},
	BE_CAPS_NOT_ENFORCED,
};

const struct be_backend be_apparmor = {
	.name = "apparmor",
	.folder = "apparmor",
	.tables = "apparmor-rules",
	.built_for = "AppArmor 3 profiles as text for apparmor_parser (Debian 12: apparmor 3.0); the kernel with AppArmor an active LSM",
	.subjects = BE_BOTH,
	.caps = aa_caps,
	.ncaps = sizeof(aa_caps) / sizeof(aa_caps[0]),
	.emit = aa_emit,
	.subject_for = aa_subject_for,
	.option = "apparmor-binary",
	.option_arg = "FEATURES_FILE",
	.after_write = aa_after_write,
};
