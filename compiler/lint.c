#include "lint.h"

#include <getopt.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../backends/options.h"
#include "../frontend/hash.h"
#include "../frontend/load.h"
#include "../frontend/match.h"
#include "compile.h"
#include "explain.h"
#include "pipeline.h"
#include "report.h"
#include "verdict.h"

/* ---- check names and SARIF texts ---- */

const char *kc_check_name(enum fe_diag_code code)
{
	switch (code) {
	case FE_LINT_CONFLICT: return "conflict";
	case FE_LINT_SHADOWED:
	case FE_LINT_SHADOWED_POSTURE: return "shadowed";
	case FE_LINT_DUPLICATE: return "duplicate";
	case FE_LINT_DEAD_SOURCE: return "dead-source";
	case FE_LINT_POSTURE: return "posture";
	case FE_LINT_NO_TARGET: return "no-target";
	case FE_LINT_CAPACITY:
	case FE_BE_CAPACITY: return "capacity";
	default: break;
	}
	int n = (int)code;
	return n < 100 ? "input" : n < 300 ? "schema" : n < 400 ? "scenario" : n < 500 ? "backend-gap" : n < 600 ? "inventory" : "lint";
}

const char *kc_code_name(enum fe_diag_code code)
{
	switch (code) {
#define X(num, id, summary) case FE_##id: return #id;
#include "../frontend/diag_codes.def"
#undef X
	}
	return "UNKNOWN";
}

const char *kc_code_help(enum fe_diag_code code)
{
	switch (code) {
	case FE_LINT_CONFLICT:
		return "Two rules of one target match the same operations (same path, directory, pattern, exec name, "
		       "protocol or capability) from overlapping sources and give them different actions. Only one "
		       "decides (DESIGN 4.3: Block, then the posture of an allow-list, then Audit, then Allow). "
		       "Keep the rule that states the intent and remove the other.";
	case FE_LINT_SHADOWED:
		return "Every operation this Allow or Audit rule matches, from every source it names, is matched by "
		       "an unconditional Block rule of the same target, which decides first. The rule never decides; "
		       "remove it, or narrow the Block rule.";
	case FE_LINT_SHADOWED_POSTURE:
		return "The class is an allow-list on this target and no Allow rule (nor the baseline) grants any "
		       "operation this Audit rule matches, so the default posture decides them before the Audit rule "
		       "is consulted. Add an Allow rule for what should run, or remove the Audit rule.";
	case FE_LINT_DUPLICATE:
		return "The same rule (class, match, target, modifiers, fromSource, action) applies twice to one target, "
		       "in one policy or across policies. The first one decides and names the alert; remove the other.";
	case FE_LINT_DEAD_SOURCE:
		return "A rule's fromSource program can never start on this target: its exec is refused by a Block rule "
		       "or by the block posture of an allow-list, whatever program calls it. The rule never applies.";
	case FE_LINT_POSTURE:
		return "An Allow rule turns its posture class (file, network or capabilities) into an allow-list on the "
		       "target: everything of that class no Allow rule grants now gets the default posture. The note "
		       "names the posture and where it comes from (--posture, or the default audit).";
	case FE_LINT_NO_TARGET:
		return "With a workload inventory (--workloads), no container and no node of it is selected by this "
		       "policy: its namespace, labels, match expressions or container names match nothing the "
		       "inventory holds. Fix the selector, or the inventory is not the cluster the policy is for.";
	case FE_LINT_CAPACITY:
		return "How much of a bounded resource of a backend the targets of one output use, as N of M: for "
		       "bpf the map entries all targets share, the targets loaded at once, and per target its rules, "
		       "fromSource slots and the fromSource entries one executable matches (the largest target is "
		       "named). A note; going over a limit is error KC0408.";
	case FE_BE_CAPACITY:
		return "The targets of one output need more of a bounded resource of the BPF maps (bpf/karmor.h) than "
		       "the object holds, so compile writes nothing. Compile fewer policies into one output directory "
		       "(each is applied on its own), or split a target's fromSource entries.";
	default:
		return NULL;
	}
}

/* ---- the analyses ---- */

enum kc_effect { KC_E_PASS, KC_E_GRANT, KC_E_AUDIT, KC_E_BLOCK };

struct kc_seen {
	uint32_t code, a, b;	/* no padding: hashed as bytes */
};

struct kc_lint {
	const struct ir_program *p;
	struct ir_program sub;		/* the program with only the current target's policies' rules */
	struct ir_policy *subpols;
	struct fe_matcher *m;		/* over `sub` (same string table as `p`) */
	struct fe_diags *d;
	/* the analyses' own strings (rule texts, prefixes, witnesses): forgotten after each
	 * target, since a finding's message is copied into the diagnostics' arena */
	struct fe_arena scratch;
	const struct kc_lint_options *o;
	const struct ir_target *t;
	struct kc_seen *seen;		/* findings already made: one per (code, rule, other) */
	size_t nseen, seen_cap;
	struct fe_hindex seen_ix;	/* over seen[] */
	bool *flagged;			/* per rule of the target: already reported as shadowed */
	bool allow_list[IR_PC_COUNT];
	long first_allow[IR_PC_COUNT];
};

static const char *S(const struct kc_lint *L, ir_str id)
{
	return ir_s(&L->p->strs, id);
}

/* True the first time (code, a, b) is seen: a finding is made once, whatever the targets.
 * The keys live in L->seen, indexed by the tree's one hash table (frontend/hash.h). */
static bool kc_first_time(struct kc_lint *L, uint32_t code, uint32_t a, uint32_t b)
{
	struct kc_seen key = {code, a, b};
	uint32_t h = fe_hash(&key, sizeof(key)), id;
	for (uint32_t c = fe_hindex_first(&L->seen_ix, h); fe_hindex_next(&L->seen_ix, h, &c, &id);)
		if (L->seen[id].code == code && L->seen[id].a == a && L->seen[id].b == b)
			return false;
	if (L->nseen == L->seen_cap) {
		size_t cap = L->seen_cap ? L->seen_cap * 2 : 256;
		struct kc_seen *ns = realloc(L->seen, cap * sizeof(*ns));
		if (!ns)
			fe_oom();
		L->seen = ns;
		L->seen_cap = cap;
	}
	L->seen[L->nseen] = key;
	fe_hindex_add(&L->seen_ix, h, (uint32_t)L->nseen++);
	return true;
}

/* "the Block file rule for dir /etc/ (recursive) from /bin/bash of policy 'p'" */
static const char *kc_rule_text(struct kc_lint *L, uint32_t ri)
{
	const struct ir_rule *r = &L->p->rules[ri];
	struct fe_arena *a = &L->scratch;
	const char *what = S(L, r->target);
	const char *kind;
	switch (r->match) {
	case IR_M_PATH: kind = "path "; break;
	case IR_M_DIR: kind = "dir "; break;
	case IR_M_DIR_RECURSIVE: kind = "dir "; break;
	case IR_M_PATTERN: kind = "pattern "; break;
	case IR_M_EXECNAME: kind = "exec name "; break;
	case IR_M_PROTOCOL: kind = "protocol "; break;
	case IR_M_CAPABILITY: kind = "capability "; break;
	default: kind = ""; break;
	}
	const char *mods = (r->flags & IR_RULE_READONLY) && (r->flags & IR_RULE_OWNERONLY) ? ", readOnly, ownerOnly"
			   : (r->flags & IR_RULE_READONLY)				      ? ", readOnly"
			   : (r->flags & IR_RULE_OWNERONLY)				      ? ", ownerOnly"
											      : "";
	const char *src = "";
	if (r->source.kind != IR_SRC_ANY)
		src = fe_arena_printf(a, " from %s%s%s", r->source.kind == IR_SRC_PATH ? "" : "dir ",
				      S(L, r->source.path),
				      r->source.kind == IR_SRC_DIR_RECURSIVE ? " (recursive)" : "");
	return fe_arena_printf(a, "the %s %s rule for %s%s%s%s%s of policy '%s'", ir_action_name(r->action),
			       ir_class_name(r->cls), kind, what, r->match == IR_M_DIR_RECURSIVE ? " (recursive)" : "",
			       mods, src, S(L, L->p->policies[r->policy].name));
}

static struct fe_diag *kc_finding(struct kc_lint *L, enum fe_severity sev, enum fe_diag_code code, uint32_t ri,
				  long related, const char *related_msg, const char *msg)
{
	struct fe_diag *dg = fe_diag_add(L->d, sev, code, L->p->rules[ri].loc, "%s", msg);
	dg->check = kc_check_name(code);
	dg->target = L->t->name;
	if (related >= 0)
		fe_diag_related(L->d, dg, L->p->rules[related].loc, "%s", related_msg);
	return dg;
}

/* The operations a rule's class performs (DESIGN §4.1). */
static bool kc_lint_class(const struct ir_rule *r)
{
	return r->cls == IR_PROCESS || r->cls == IR_FILE || r->cls == IR_CAPABILITY ||
	       (r->cls == IR_NETWORK && r->match == IR_M_PROTOCOL);
}

static int kc_class_ops(const struct ir_rule *r, enum kc_op ops[2])
{
	switch (r->cls) {
	case IR_PROCESS: ops[0] = KC_OP_EXEC; return 1;
	case IR_FILE: ops[0] = KC_OP_READ; ops[1] = KC_OP_WRITE; return 2;
	case IR_NETWORK: ops[0] = KC_OP_NETWORK; return 1;
	default: ops[0] = KC_OP_CAPABILITY; return 1;
	}
}

/* What one matching rule does to an operation from a source it covers (DESIGN §4.2-3, as kc_decide
 * reads a rule). */
static enum kc_effect kc_effect(const struct ir_rule *r, enum kc_op op, bool owner)
{
	bool ro = r->flags & IR_RULE_READONLY, oo = r->flags & IR_RULE_OWNERONLY;
	bool refuses = (ro && op != KC_OP_READ) || (oo && !owner);
	bool has_mod = ro || oo;
	switch (r->action) {
	case IR_BLOCK: return !has_mod || refuses ? KC_E_BLOCK : KC_E_PASS;
	case IR_AUDIT: return !has_mod || refuses ? KC_E_AUDIT : KC_E_PASS;
	case IR_ALLOW: return has_mod && refuses ? KC_E_BLOCK : KC_E_GRANT;
	}
	return KC_E_PASS;
}

/* Matches what the rule matches, ignoring actions and sources: class, match kind and target. */
static bool kc_same_key(const struct ir_rule *a, const struct ir_rule *b)
{
	return a->cls == b->cls && a->match == b->match && a->target == b->target && a->has_path == b->has_path &&
	       (!a->has_path || (a->path_match == b->path_match && a->path == b->path));
}

static int kc_key_cmp(const struct ir_rule *a, const struct ir_rule *b)
{
	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	if (a->match != b->match)
		return a->match < b->match ? -1 : 1;
	if (a->target != b->target)
		return a->target < b->target ? -1 : 1;
	if (a->has_path != b->has_path)
		return a->has_path ? 1 : -1;
	if (a->has_path && a->path_match != b->path_match)
		return a->path_match < b->path_match ? -1 : 1;
	if (a->has_path && a->path != b->path)
		return a->path < b->path ? -1 : 1;
	return 0;
}

static bool kc_strlist_eq(const struct ir_strlist *a, const struct ir_strlist *b)
{
	if (a->n != b->n)
		return false;
	for (uint32_t i = 0; i < a->n; i++)
		if (a->items[i] != b->items[i])
			return false;
	return true;
}

static bool kc_same_rule(const struct ir_rule *a, const struct ir_rule *b)
{
	return kc_same_key(a, b) && a->action == b->action && a->flags == b->flags &&
	       a->source.kind == b->source.kind && (a->source.kind == IR_SRC_ANY || a->source.path == b->source.path) &&
	       kc_strlist_eq(&a->allowed_args, &b->allowed_args);
}

static bool kc_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Is there a program both sources cover?  Proven by a witness, else false (silent). */
static bool kc_sources_overlap(struct kc_lint *L, const struct ir_source *a, const struct ir_source *b)
{
	if (a->kind == IR_SRC_ANY || b->kind == IR_SRC_ANY)
		return true;
	const struct ir_source *both[2] = {a, b};
	for (int i = 0; i < 2; i++) {
		const char *s = S(L, both[i]->path);
		size_t n = strlen(s);
		const char *cand[3] = {s, NULL, NULL};
		if (both[i]->kind != IR_SRC_PATH) {
			cand[1] = fe_arena_printf(&L->scratch, "%.*s", (int)(n ? n - 1 : 0), s);
			cand[2] = fe_arena_printf(&L->scratch, "%skarmorc-lint-witness", s);
		}
		for (int c = 0; c < 3; c++)
			if (cand[c] && fe_source_matches(L->p, a, cand[c]) && fe_source_matches(L->p, b, cand[c]))
				return true;
	}
	return false;
}

/* Does source `outer` cover every program source `inner` covers? */
static bool kc_source_within(struct kc_lint *L, const struct ir_source *inner, const struct ir_source *outer)
{
	if (outer->kind == IR_SRC_ANY)
		return true;
	if (inner->kind == IR_SRC_ANY)
		return false;
	const char *i = S(L, inner->path), *o = S(L, outer->path);
	switch (outer->kind) {
	case IR_SRC_PATH:
		return inner->kind == IR_SRC_PATH && strcmp(i, o) == 0;
	case IR_SRC_DIR:
		return inner->kind == IR_SRC_PATH ? fe_dir_match(o, i, false)
						  : inner->kind == IR_SRC_DIR && strcmp(i, o) == 0;
	case IR_SRC_DIR_RECURSIVE:
		return inner->kind == IR_SRC_PATH ? fe_dir_match(o, i, true) : kc_has_prefix(i, o);
	default:
		return false;
	}
}

/* The fixed text every match of a glob starts with (before its first special character). */
static const char *kc_glob_prefix(struct kc_lint *L, const char *g)
{
	size_t n = strcspn(g, "*?[]{}\\");
	return fe_arena_printf(&L->scratch, "%.*s", (int)n, g);
}

/* Does Block rule `b` match every operation rule `r` matches (same class)?  Exact or false. */
static bool kc_ops_within(struct kc_lint *L, const struct ir_rule *r, const struct ir_rule *b)
{
	const char *rt = S(L, r->target), *bt = S(L, b->target);
	if (r->cls == IR_NETWORK)
		return strcmp(bt, "all") == 0;
	if (r->cls == IR_CAPABILITY)
		return false;	/* one name each: equal names are the same key */
	switch (r->match) {
	case IR_M_PATH:
		return fe_path_matches(L->m, b->match, b->target, rt);
	case IR_M_DIR:
	case IR_M_DIR_RECURSIVE:
		/* the dir, its children (and below): all start with the dir, all under a recursive one */
		return b->match == IR_M_DIR_RECURSIVE && kc_has_prefix(rt, bt);
	case IR_M_PATTERN:
		return b->match == IR_M_DIR_RECURSIVE && kc_has_prefix(kc_glob_prefix(L, rt), bt);
	default:
		return false;	/* exec names, or a glob inside a glob: not decided */
	}
}

/* The text every path a file/process rule matches starts with, or NULL when it has none
 * (a literal path and an exec name are handled on their own). */
static const char *kc_match_prefix(struct kc_lint *L, enum ir_match match, const char *t)
{
	switch (match) {
	case IR_M_DIR:
	case IR_M_DIR_RECURSIVE:
		return fe_arena_printf(&L->scratch, "%.*s", (int)(strlen(t) ? strlen(t) - 1 : 0), t);
	case IR_M_PATTERN: return kc_glob_prefix(L, t);
	default: return NULL;
	}
}

/* Proven that no path matches both (match kind, text) pairs?  Exact or false. */
static bool kc_paths_disjoint(struct kc_lint *L, enum ir_match am, ir_str aid, const char *a, enum ir_match bm,
			      ir_str bid, const char *b)
{
	if (am == IR_M_PATH)
		return bid ? !fe_path_matches(L->m, bm, bid, a) : !(bm == IR_M_PATH ? strcmp(a, b) == 0 : kc_has_prefix(a, b));
	if (bm == IR_M_PATH)
		return !fe_path_matches(L->m, am, aid, b);
	if (am == IR_M_EXECNAME || bm == IR_M_EXECNAME)
		return am == IR_M_EXECNAME && bm == IR_M_EXECNAME && strcmp(a, b) != 0;
	const char *pa = kc_match_prefix(L, am, a), *pb = kc_match_prefix(L, bm, b);
	if (!pa || !pb)
		return false;
	return !kc_has_prefix(pa, pb) && !kc_has_prefix(pb, pa);
}

/* Can no Allow rule of the target (nor the baseline) grant what Audit rule `r` matches? */
static bool kc_nothing_grants(struct kc_lint *L, const struct ir_rule *r)
{
	const char *rt = S(L, r->target);
	for (uint32_t k = 0; k < L->t->nrules; k++) {
		const struct ir_rule *a = &L->p->rules[L->t->rules[k]];
		if (a->action != IR_ALLOW || a->cls != r->cls)
			continue;
		const char *at = S(L, a->target);
		if (r->cls == IR_NETWORK) {
			if (a->match == IR_M_PROTOCOL &&
			    (strcmp(at, rt) == 0 || strcmp(at, "all") == 0 || strcmp(rt, "all") == 0))
				return false;
		} else if (r->cls == IR_CAPABILITY) {
			if (strcmp(at, rt) == 0)
				return false;
		} else if (!kc_paths_disjoint(L, r->match, r->target, rt, a->match, a->target, at)) {
			return false;
		}
	}
	if (r->cls == IR_FILE) {
		for (size_t i = 0; i < ir_baseline_count; i++) {
			const char *bp = ir_baseline[i].path;
			bool dir = bp[strlen(bp) - 1] == '/';
			if (r->match == IR_M_PATH) {
				if (dir ? kc_has_prefix(rt, bp) : strcmp(rt, bp) == 0)
					return false;
			} else if (!kc_paths_disjoint(L, IR_M_PATH, 0, bp, r->match, r->target, rt) ||
				   (dir && !kc_paths_disjoint(L, IR_M_DIR_RECURSIVE, 0, bp, r->match, r->target, rt))) {
				return false;
			}
		}
	}
	return true;
}

static const char *kc_op_list(struct fe_arena *a, const char *sofar, const char *op, int owners)
{
	const char *who = owners == 3 ? "" : owners == 1 ? " by the owner" : " by a non-owner";
	return fe_arena_printf(a, "%s%s%s%s", sofar, *sofar ? ", " : "", op, who);
}

/* conflict and duplicate: rules with the same key (same operations) */
static void kc_lint_same_key(struct kc_lint *L, const uint32_t *grp, size_t n)
{
	struct fe_arena *a = &L->scratch;
	for (size_t j = 1; j < n; j++) {
		const struct ir_rule *rj = &L->p->rules[grp[j]];
		size_t dup = n;
		for (size_t i = 0; i < j && dup == n; i++)
			if (kc_same_rule(&L->p->rules[grp[i]], rj))
				dup = i;
		if (dup < n) {
			if (kc_first_time(L, FE_LINT_DUPLICATE, grp[j], grp[dup])) {
				const char *msg = fe_arena_printf(
					a, "duplicate: %s repeats %s on %s; the first one decides and names the alert",
					kc_rule_text(L, grp[j]), kc_rule_text(L, grp[dup]), L->t->describe);
				kc_finding(L, FE_WARNING, FE_LINT_DUPLICATE, grp[j], grp[dup], "the first occurrence",
					   msg);
			}
			continue;
		}
		if (!kc_lint_class(rj))
			continue;	/* syscall rules only audit; DNS, presets, devices have no operation */
		for (size_t i = 0; i < j; i++) {
			const struct ir_rule *ri = &L->p->rules[grp[i]];
			if (kc_same_rule(ri, rj) || !kc_sources_overlap(L, &ri->source, &rj->source))
				continue;
			enum kc_op ops[2];
			int nops = kc_class_ops(rj, ops);
			const char *where = "";
			enum kc_effect win = KC_E_PASS, lose = KC_E_PASS;
			for (int o = 0; o < nops; o++) {
				int owners = 0;
				for (int ow = 0; ow < 2; ow++) {
					enum kc_effect ei = kc_effect(ri, ops[o], ow == 0), ej = kc_effect(rj, ops[o], ow == 0);
					if (ei == KC_E_PASS || ej == KC_E_PASS || ei == ej)
						continue;
					owners |= 1 << ow;
					enum kc_effect w = ei > ej ? ei : ej, l = ei > ej ? ej : ei;
					if (w > win || (w == win && l < lose) || lose == KC_E_PASS) {
						win = w;
						lose = l;
					}
				}
				if (owners)
					where = kc_op_list(a, where, kc_op_name(ops[o]),
							   ops[o] == KC_OP_READ || ops[o] == KC_OP_WRITE ||
									   ops[o] == KC_OP_EXEC
								   ? owners
								   : 3);
			}
			if (!*where || !kc_first_time(L, FE_LINT_CONFLICT, grp[j], grp[i]))
				continue;
			bool i_wins = kc_effect(ri, ops[0], true) == win || kc_effect(ri, ops[nops - 1], false) == win;
			const char *why = win == KC_E_BLOCK
						  ? "a matching Block rule, or a readOnly/ownerOnly that refuses, decides before "
						    "any Allow or Audit rule (DESIGN §4.3.1)"
						  : "an Audit rule that matches audits what an Allow rule grants (DESIGN §4.3.3)";
			const char *winner = win == KC_E_BLOCK ? "Block" : "Audit";
			const char *msg = fe_arena_printf(
				a, "conflict: %s and %s both match %s on %s from overlapping sources; %s wins (%s): %s",
				kc_rule_text(L, grp[j]), kc_rule_text(L, grp[i]), where, L->t->describe,
				i_wins ? "the other rule" : "this rule", winner, why);
			kc_finding(L, win == KC_E_BLOCK ? FE_WARNING : FE_NOTE, FE_LINT_CONFLICT, grp[j], grp[i],
				   fe_arena_printf(a, "the other rule (%s)", ir_action_name(ri->action)), msg);
		}
	}
}

static int kc_rule_idx_cmp(const void *pa, const void *pb, void *prog)
{
	const struct ir_program *p = prog;
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	int c = kc_key_cmp(&p->rules[a], &p->rules[b]);
	return c ? c : a < b ? -1 : a > b;
}

static void kc_lint_conflicts(struct kc_lint *L)
{
	size_t n = L->t->nrules;
	uint32_t *idx = malloc((n + 1) * sizeof(*idx));
	if (!idx)
		fe_oom();
	memcpy(idx, L->t->rules, n * sizeof(*idx));
	qsort_r(idx, n, sizeof(*idx), kc_rule_idx_cmp, (void *)L->p);
	for (size_t s = 0; s < n;) {
		size_t e = s + 1;
		while (e < n && kc_same_key(&L->p->rules[idx[s]], &L->p->rules[idx[e]]))
			e++;
		if (e - s > 1)
			kc_lint_same_key(L, idx + s, e - s);
		s = e;
	}
	free(idx);
}

/* The Block rules that can shadow (unconditional, of a lint class), found by what they could
 * contain instead of a scan of every rule of the target per Allow or Audit rule (quadratic:
 * most of lint's time on a node of 10,000 policies).  A file or process Block rule whose target
 * ends in '/' is found by that text: the texts that can contain rule r's paths are the
 * prefixes of r's text that end in '/' (and r's text itself, or it with a '/', for a path);
 * every other one (patterns, exec names) is tried for each rule, as network Block rules for
 * "all" are.  The first in target order that shadows is the one reported, as before. */
enum { KC_NCLASS = IR_DEVICE + 1 };

struct kc_shadow_ix {
	uint32_t *keyed;		/* positions in the target, one per (class, target text), indexed */
	uint32_t *next;			/* keyed[i]'s next position with the same key (ascending), 0: none */
	uint32_t *last;			/* keyed[i]'s last position so far */
	uint32_t nkeyed;
	struct fe_hindex ix;
	uint32_t *scan[KC_NCLASS];	/* positions tried for every rule of the class */
	uint32_t nscan[KC_NCLASS];
	char *buf;			/* a prefix being looked up */
};

static uint32_t kc_shadow_hash(enum ir_class cls, const char *s, size_t n)
{
	uint32_t c = (uint32_t)cls;
	return fe_hash_more(fe_hash(&c, sizeof(c)), s, n);
}

static bool kc_shadow_candidate(const struct ir_rule *b)
{
	return b->action == IR_BLOCK && !(b->flags & (IR_RULE_READONLY | IR_RULE_OWNERONLY)) && kc_lint_class(b);
}

static void kc_shadow_ix_init(struct kc_lint *L, struct kc_shadow_ix *x)
{
	memset(x, 0, sizeof(*x));
	size_t n = (size_t)L->t->nrules + 1;
	x->keyed = malloc(n * sizeof(*x->keyed));
	x->next = calloc(n, sizeof(*x->next));
	x->last = malloc(n * sizeof(*x->last));
	for (int c = 0; c < KC_NCLASS; c++)
		if (!(x->scan[c] = malloc(n * sizeof(*x->scan[c]))))
			fe_oom();
	if (!x->keyed || !x->next || !x->last)
		fe_oom();
	for (uint32_t q = 0; q < L->t->nrules; q++) {
		const struct ir_rule *b = &L->p->rules[L->t->rules[q]];
		if (!kc_shadow_candidate(b))
			continue;
		const char *bt = S(L, b->target);
		size_t bl = strlen(bt);
		bool dir = b->match == IR_M_DIR || b->match == IR_M_DIR_RECURSIVE;
		if ((b->cls == IR_FILE || b->cls == IR_PROCESS) && (b->match == IR_M_PATH || (dir && bl && bt[bl - 1] == '/'))) {
			/* one entry per key, the positions chained behind it: a text that a hundred
			 * Block rules share is one probe, not a hundred */
			uint32_t h = kc_shadow_hash(b->cls, bt, bl), id, *group = NULL;
			for (uint32_t c = fe_hindex_first(&x->ix, h); !group && fe_hindex_next(&x->ix, h, &c, &id);) {
				const struct ir_rule *o = &L->p->rules[L->t->rules[x->keyed[id]]];
				if (o->cls == b->cls && strcmp(S(L, o->target), bt) == 0)
					group = &x->keyed[id];
			}
			if (group) {
				size_t g = (size_t)(group - x->keyed);
				x->next[x->last[g]] = q;
				x->last[g] = q;
			} else {
				fe_hindex_add(&x->ix, h, x->nkeyed);
				x->last[x->nkeyed] = q;
				x->keyed[x->nkeyed++] = q;
			}
		} else if (b->cls == IR_FILE || b->cls == IR_PROCESS || (b->cls == IR_NETWORK && strcmp(bt, "all") == 0)) {
			x->scan[b->cls][x->nscan[b->cls]++] = q;
		}	/* other network and capability Block rules never contain another rule's operations */
	}
}

static void kc_shadow_ix_free(struct kc_shadow_ix *x)
{
	free(x->keyed);
	free(x->next);
	free(x->last);
	for (int c = 0; c < KC_NCLASS; c++)
		free(x->scan[c]);
	free(x->buf);
	fe_hindex_free(&x->ix);
}

/* Does Block rule at position q shadow r? (the test of every rule, as it was) */
static bool kc_shadows(struct kc_lint *L, const struct ir_rule *r, uint32_t q)
{
	const struct ir_rule *b = &L->p->rules[L->t->rules[q]];
	if (!kc_shadow_candidate(b) || b->cls != r->cls || kc_same_key(r, b))
		return false;	/* the same key is a conflict */
	return kc_source_within(L, &r->source, &b->source) && kc_ops_within(L, r, b);
}

/* The keyed Block rules with text s[0..n) that shadow r: the first one's position into *best. */
static void kc_shadow_lookup(struct kc_lint *L, struct kc_shadow_ix *x, const struct ir_rule *r, const char *s,
			     size_t n, uint32_t *best)
{
	uint32_t h = kc_shadow_hash(r->cls, s, n), id;
	for (uint32_t c = fe_hindex_first(&x->ix, h); fe_hindex_next(&x->ix, h, &c, &id);) {
		const struct ir_rule *b = &L->p->rules[L->t->rules[x->keyed[id]]];
		const char *bt = S(L, b->target);
		if (b->cls != r->cls || strlen(bt) != n || memcmp(bt, s, n) != 0)
			continue;
		/* the key's positions ascend: the first that shadows is the one */
		for (uint32_t q = x->keyed[id]; q < *best; q = x->next[q]) {
			if (kc_shadows(L, r, q)) {
				*best = q;
				break;
			}
			if (!x->next[q])
				break;
		}
		return;
	}
}

/* The position of the first Block rule that shadows r, or UINT32_MAX. */
static uint32_t kc_first_shadowing(struct kc_lint *L, struct kc_shadow_ix *x, const struct ir_rule *r)
{
	uint32_t best = UINT32_MAX;
	for (uint32_t i = 0; i < x->nscan[r->cls]; i++) {
		if (kc_shadows(L, r, x->scan[r->cls][i])) {
			best = x->scan[r->cls][i];
			break;
		}
	}
	if (r->cls != IR_FILE && r->cls != IR_PROCESS)
		return best;
	const char *rt = S(L, r->target);
	const char *s = r->match == IR_M_PATTERN ? kc_glob_prefix(L, rt) : rt;
	size_t n = strlen(s);
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/')
			kc_shadow_lookup(L, x, r, s, i + 1, &best);
	if (r->match == IR_M_PATH) {
		size_t rl = strlen(rt);
		kc_shadow_lookup(L, x, r, rt, rl, &best);
		x->buf = realloc(x->buf, rl + 2);
		if (!x->buf)
			fe_oom();
		memcpy(x->buf, rt, rl);
		x->buf[rl] = '/';
		x->buf[rl + 1] = '\0';
		kc_shadow_lookup(L, x, r, x->buf, rl + 1, &best);
	}
	return best;
}

/* shadowed: an Allow or Audit rule wholly inside an unconditional Block rule, or an Audit rule
 * that the posture of an allow-list always pre-empts */
static void kc_lint_shadowed(struct kc_lint *L)
{
	struct fe_arena *a = &L->scratch;
	struct kc_shadow_ix x;
	kc_shadow_ix_init(L, &x);
	for (uint32_t k = 0; k < L->t->nrules; k++) {
		uint32_t ri = L->t->rules[k];
		const struct ir_rule *r = &L->p->rules[ri];
		if (r->action == IR_BLOCK || !kc_lint_class(r))
			continue;
		uint32_t q = kc_first_shadowing(L, &x, r);
		bool done = q != UINT32_MAX;
		if (done) {
			uint32_t bi = L->t->rules[q];
			if (kc_first_time(L, FE_LINT_SHADOWED, ri, bi)) {
				const char *msg = fe_arena_printf(
					a, "shadowed: %s never decides on %s: every operation it matches is blocked first by %s%s",
					kc_rule_text(L, ri), L->t->describe, kc_rule_text(L, bi),
					r->action == IR_ALLOW ? " (it still makes its class an allow-list)" : "");
				kc_finding(L, FE_WARNING, FE_LINT_SHADOWED, ri, bi, "the Block rule that decides instead", msg);
			}
		}
		if (done || r->action != IR_AUDIT)
			continue;
		enum ir_posture_class pc = ir_posture_class_of(r->cls);
		if (!L->allow_list[pc] || !kc_nothing_grants(L, r) ||
		    !kc_first_time(L, FE_LINT_SHADOWED_POSTURE, ri, (uint32_t)L->first_allow[pc]))
			continue;
		enum ir_posture po = L->t->posture[pc];
		const char *msg = fe_arena_printf(
			a, "shadowed: %s never decides on %s: the %s class is an allow-list there and no Allow rule "
			   "grants what it matches, so the default posture '%s' decides first (DESIGN §4.3.2)",
			kc_rule_text(L, ri), L->t->describe, ir_posture_class_name(pc), ir_posture_name(po));
		kc_finding(L, po == IR_POSTURE_BLOCK ? FE_WARNING : FE_NOTE, FE_LINT_SHADOWED_POSTURE, ri,
			   L->first_allow[pc], "the Allow rule that makes the class an allow-list", msg);
	}
	kc_shadow_ix_free(&x);
}

/* posture: a note per class an Allow rule turns into an allow-list */
static void kc_lint_posture(struct kc_lint *L)
{
	static const char *const what[IR_PC_COUNT] = {
		"every exec, read and write that no Allow rule grants (beyond the baseline)",
		"every protocol that no Allow rule grants", "every capability that no Allow rule grants"};
	for (int pc = 0; pc < IR_PC_COUNT; pc++) {
		if (!L->allow_list[pc] || !kc_first_time(L, FE_LINT_POSTURE, (uint32_t)L->first_allow[pc], (uint32_t)pc))
			continue;
		uint32_t ri = (uint32_t)L->first_allow[pc];
		const char *cls = ir_posture_class_name((enum ir_posture_class)pc);
		/* with an inventory the posture may come from the namespace's annotation */
		const struct ir_identity *id = L->t->identity;
		const struct fe_loc *annotation = id && id->posture_loc[pc].src ? &id->posture_loc[pc] : NULL;
		const char *from = annotation ? fe_arena_printf(&L->scratch, "from the kubearmor-%s-posture annotation "
							       "of namespace %s", cls, id->namespace)
				   : L->o->posture_given[pc] ? "from --posture"
							     : "the default: no --posture for this class";
		const char *msg = fe_arena_printf(
			&L->scratch, "posture: %s makes the %s class of %s an allow-list: %s now gets the default "
				     "posture '%s' (%s)",
			kc_rule_text(L, ri), cls, L->t->describe, what[pc], ir_posture_name(L->t->posture[pc]), from);
		struct fe_diag *dg = kc_finding(L, FE_NOTE, FE_LINT_POSTURE, ri, -1, NULL, msg);
		if (annotation)
			fe_diag_related(L->d, dg, *annotation, "the namespace's %s posture annotation", cls);
	}
}

/* One program's exec, decided once per target (kc_lint_dead_sources). */
struct kc_prog_verdict {
	ir_str prog;
	bool dead;
	struct kc_verdict first;	/* from the first caller, as the owner */
};

/* dead-source: a fromSource program whose exec kc_decide refuses from every calling program */
static void kc_lint_dead_sources(struct kc_lint *L)
{
	struct fe_arena *a = &L->scratch;
	/* callers: one per class of programs the target's fromSource entries tell apart */
	size_t ncand = 0;
	const char **cand = malloc((3 * (size_t)L->t->nrules + 2) * sizeof(*cand));
	if (!cand)
		fe_oom();
	cand[ncand++] = "/karmorc-lint/any-other-program";
	/* cand[1..] by text, so that each rule's source is looked up, not compared with every one */
	struct fe_hindex cand_ix = {0};
	for (uint32_t k = 0; k < L->t->nrules; k++) {
		const struct ir_source *s = &L->p->rules[L->t->rules[k]].source;
		if (s->kind == IR_SRC_ANY)
			continue;
		const char *sp = S(L, s->path);
		uint32_t h = fe_hash(sp, strlen(sp)), id;
		bool dup = false;
		for (uint32_t c = fe_hindex_first(&cand_ix, h); !dup && fe_hindex_next(&cand_ix, h, &c, &id);)
			dup = strcmp(cand[id], sp) == 0;
		if (dup)
			continue;
		size_t first_new = ncand;
		cand[ncand++] = sp;
		if (s->kind != IR_SRC_PATH) {
			cand[ncand++] = fe_arena_printf(a, "%.*s", (int)(strlen(sp) ? strlen(sp) - 1 : 0), sp);
			cand[ncand++] = fe_arena_printf(a, "%skarmorc-lint-witness", sp);
		}
		for (size_t c = first_new; c < ncand; c++)
			fe_hindex_add(&cand_ix, fe_hash(cand[c], strlen(cand[c])), (uint32_t)c);
	}
	fe_hindex_free(&cand_ix);
	/* Whether a program is dead depends on the program alone, not on the rule naming it: each
	 * distinct program is decided once (progs[]), against only the rules that match its exec
	 * (plus the rule that makes the file class an allow-list, which kc_decide reads for the
	 * posture): the same verdicts as over every rule, without a pass over the target per
	 * (rule, caller) -- that was cubic, minutes for a node of 10,000 policies. */
	struct kc_prog_verdict *progs = NULL;
	size_t nprogs = 0, progs_cap = 0;
	struct fe_hindex prog_ix = {0}, pair_ix = {0};
	uint32_t *pairs = malloc((2 * (size_t)L->t->nrules + 2) * sizeof(*pairs)), npairs = 0;
	if (!pairs)
		fe_oom();
	uint32_t *matching = malloc(((size_t)L->t->nrules + 2) * sizeof(*matching));
	if (!matching)
		fe_oom();
	for (uint32_t k = 0; k < L->t->nrules; k++) {
		uint32_t ri = L->t->rules[k];
		const struct ir_rule *r = &L->p->rules[ri];
		if (r->source.kind != IR_SRC_PATH)
			continue;
		/* once per (policy, program) */
		uint32_t key[2] = {r->policy, r->source.path}, id;
		uint32_t h = fe_hash(key, sizeof(key));
		bool earlier = false;
		for (uint32_t c = fe_hindex_first(&pair_ix, h); !earlier && fe_hindex_next(&pair_ix, h, &c, &id);)
			earlier = pairs[2 * id] == key[0] && pairs[2 * id + 1] == key[1];
		if (earlier)
			continue;
		pairs[2 * npairs] = key[0];
		pairs[2 * npairs + 1] = key[1];
		fe_hindex_add(&pair_ix, h, npairs++);
		const char *prog = S(L, r->source.path);
		struct kc_prog_verdict *pv = NULL;
		h = fe_hash(&r->source.path, sizeof(r->source.path));
		for (uint32_t c = fe_hindex_first(&prog_ix, h); !pv && fe_hindex_next(&prog_ix, h, &c, &id);)
			if (progs[id].prog == r->source.path)
				pv = &progs[id];
		if (!pv) {
			if (nprogs == progs_cap) {
				progs_cap = progs_cap ? 2 * progs_cap : 16;
				progs = realloc(progs, progs_cap * sizeof(*progs));
				if (!progs)
					fe_oom();
			}
			pv = &progs[nprogs];
			fe_hindex_add(&prog_ix, h, (uint32_t)nprogs++);
			pv->prog = r->source.path;
			struct kc_operation probe = {KC_OP_EXEC, prog, NULL, true, NULL, false};
			struct ir_target sub = *L->t;
			uint32_t nm = 0;
			for (uint32_t q = 0; q < L->t->nrules; q++) {
				uint32_t qi = L->t->rules[q];
				if ((long)qi == L->first_allow[IR_PC_FILE] || kc_rule_matches(L->m, &L->p->rules[qi], &probe))
					matching[nm++] = qi;
			}
			sub.rules = matching;
			sub.nrules = nm;
			memset(&pv->first, 0, sizeof(pv->first));
			pv->dead = true;
			for (size_t c = 0; c < ncand && pv->dead; c++) {
				for (int ow = 0; ow < 2 && pv->dead; ow++) {
					struct kc_operation op = {KC_OP_EXEC, prog, cand[c], ow == 0, NULL, false};
					struct kc_verdict v = kc_decide(L->m, &sub, &op);
					if (c == 0 && ow == 0)
						pv->first = v;
					pv->dead = v.action == IR_BLOCK;
				}
			}
		}
		bool dead = pv->dead;
		struct kc_verdict first = pv->first;
		if (!dead || !kc_first_time(L, FE_LINT_DEAD_SOURCE, ri, r->policy))
			continue;
		const char *why;
		long rel = -1;
		const char *relmsg = NULL;
		if (first.reason == KC_R_POSTURE) {
			why = fe_arena_printf(a, "no Allow rule grants its exec in the file allow-list and the default "
						 "posture is 'block'");
			rel = L->first_allow[IR_PC_FILE];
			relmsg = "the Allow rule that makes the file class an allow-list";
		} else {
			why = fe_arena_printf(a, "its exec is refused by %s (%s)", kc_rule_text(L, (uint32_t)first.rule),
					      kc_reason_text(first.reason));
			rel = first.rule;
			relmsg = "the rule that refuses the exec";
		}
		const char *msg = fe_arena_printf(
			a, "dead-source: the fromSource program %s of policy '%s' can never run on %s, whatever program "
			   "starts it: %s; its rules never apply",
			prog, S(L, L->p->policies[r->policy].name), L->t->describe, why);
		kc_finding(L, FE_WARNING, FE_LINT_DEAD_SOURCE, ri, rel, relmsg, msg);
	}
	free(progs);
	free(pairs);
	free(matching);
	fe_hindex_free(&prog_ix);
	fe_hindex_free(&pair_ix);
	free(cand);
}

static void kc_lint_target(struct kc_lint *L, const struct ir_target *t)
{
	L->t = t;
	fe_arena_reset(&L->scratch);
	if (!t->nrules || !t->npolicies)
		return;
	/* the sub-program holds only this target's rules, so kc_decide sees exactly the target */
	for (uint32_t i = 0; i < L->p->npolicies; i++)
		L->subpols[i].nrules = 0;
	for (uint32_t i = 0; i < t->npolicies; i++)
		L->subpols[t->policies[i]].nrules = L->p->policies[t->policies[i]].nrules;
	for (int pc = 0; pc < IR_PC_COUNT; pc++) {
		L->allow_list[pc] = false;
		L->first_allow[pc] = -1;
	}
	for (uint32_t k = 0; k < t->nrules; k++) {
		const struct ir_rule *r = &L->p->rules[t->rules[k]];
		for (int pc = 0; pc < IR_PC_COUNT; pc++)
			if (r->action == IR_ALLOW && !L->allow_list[pc] && kc_counts_for_allow_list(r, (enum ir_posture_class)pc)) {
				L->allow_list[pc] = true;
				L->first_allow[pc] = t->rules[k];
			}
	}
	kc_lint_conflicts(L);
	kc_lint_shadowed(L);
	kc_lint_dead_sources(L);
	kc_lint_posture(L);
}

/* no-target: with an inventory the targets are its containers and nodes, each holding
 * every policy that selects it, so a policy no target holds selects nothing it knows. */
static void kc_lint_no_target(const struct ir_program *p, const struct ir_target *targets, size_t ntargets,
			      struct fe_diags *d)
{
	bool *held = calloc(p->npolicies + 1, sizeof(*held));
	if (!held)
		fe_oom();
	size_t containers = 0, nodes = 0;
	for (size_t i = 0; i < ntargets; i++) {
		containers += !targets[i].host;
		nodes += targets[i].host;
		for (uint32_t k = 0; k < targets[i].npolicies; k++)
			held[targets[i].policies[k]] = true;
	}
	for (uint32_t i = 0; i < p->npolicies; i++) {
		if (held[i])
			continue;
		const struct ir_policy *pol = &p->policies[i];
		bool host = pol->kind == IR_HSP;
		struct fe_diag *dg = fe_diag_add(
			d, FE_WARNING, FE_LINT_NO_TARGET, pol->loc,
			"no-target: the %s '%s' selects no %s of the inventory (%zu container%s, %zu node%s); it applies "
			"to nothing",
			ir_kind_name(pol->kind), ir_s(&p->strs, pol->name), host ? "node" : "container", containers,
			containers == 1 ? "" : "s", nodes, nodes == 1 ? "" : "s");
		dg->check = kc_check_name(FE_LINT_NO_TARGET);
	}
	free(held);
}

void kc_lint_program(const struct ir_program *p, const struct ir_target *targets, size_t ntargets,
		     const struct kc_lint_options *o, struct fe_diags *d)
{
	if (o->inventory)
		kc_lint_no_target(p, targets, ntargets, d);
	struct kc_lint L;
	memset(&L, 0, sizeof(L));
	L.p = p;
	L.d = d;
	L.o = o;
	fe_arena_init(&L.scratch);
	L.sub = *p;
	L.subpols = malloc((p->npolicies + 1) * sizeof(*L.subpols));
	if (!L.subpols)
		fe_oom();
	if (p->npolicies)
		memcpy(L.subpols, p->policies, p->npolicies * sizeof(*L.subpols));
	L.sub.policies = L.subpols;
	L.m = fe_matcher_new(&L.sub);
	/* A target with the same policies and postures as one already analysed (the containers
	 * of one pod, workloads with the same labels) has the same findings, and each finding is
	 * made once whatever the targets (kc_first_time): analysing it again would find nothing. */
	struct fe_hindex same_ix = {0};
	for (size_t i = 0; i < ntargets; i++) {
		const struct ir_target *t = &targets[i];
		uint32_t h = fe_hash(&t->host, sizeof(t->host)), id;
		h = fe_hash_more(h, t->posture, sizeof(t->posture));
		h = fe_hash_more(h, t->policies, t->npolicies * sizeof(*t->policies));
		bool seen = false;
		for (uint32_t c = fe_hindex_first(&same_ix, h); !seen && fe_hindex_next(&same_ix, h, &c, &id);) {
			const struct ir_target *u = &targets[id];
			seen = u->host == t->host && memcmp(u->posture, t->posture, sizeof(t->posture)) == 0 &&
			       u->npolicies == t->npolicies &&
			       (!t->npolicies || memcmp(u->policies, t->policies, t->npolicies * sizeof(*t->policies)) == 0);
		}
		if (seen)
			continue;
		fe_hindex_add(&same_ix, h, (uint32_t)i);
		kc_lint_target(&L, t);
	}
	fe_hindex_free(&same_ix);
	fe_arena_free(&L.scratch);
	fe_matcher_free(L.m);
	free(L.subpols);
	free(L.seen);
	fe_hindex_free(&L.seen_ix);
}

/* ---- capacity: what the backends used ---- */

void kc_lint_capacity(const char *backend, const struct be_usage *u, size_t n, struct fe_diags *d)
{
	struct fe_arena *a = d->arena;
	for (size_t i = 0; i < n; i++) {
		if (u[i].used > u[i].limit)
			continue;	/* the backend's own error (KC0408) says so, with where */
		const char *amount = fe_arena_printf(a, "%s: %s of %s %s used", backend, be_num(a, u[i].used),
						     be_num(a, u[i].limit), u[i].resource);
		const char *by;
		if (u[i].ntargets == 1)
			by = fe_arena_printf(a, "by its one target, %s", u[i].target);
		else if (!u[i].target)
			by = u[i].per_target ? fe_arena_printf(a, "by each of its %zu targets", u[i].ntargets)
					     : fe_arena_printf(a, "by its %zu targets together, %s each", u[i].ntargets,
							       be_num(a, u[i].most));
		else if (u[i].per_target)
			by = fe_arena_printf(a, "by target %s, the most of its %zu targets", u[i].target, u[i].ntargets);
		else
			by = fe_arena_printf(a, "by its %zu targets together; target %s uses the most (%s)", u[i].ntargets,
					     u[i].target, be_num(a, u[i].most));
		struct fe_diag *dg = fe_diag_add(d, FE_NOTE, FE_LINT_CAPACITY, u[i].loc, "capacity: %s in one output, %s",
						 amount, by);
		dg->check = kc_check_name(FE_LINT_CAPACITY);
		dg->target = u[i].target;
		dg->backend = backend;
	}
}

/* ---- the command ---- */

/* "apparmor, bpf": the backend table's names, for messages */
static void kc_backend_names(FILE *f)
{
	for (const struct be_backend *const *b = be_backends; *b; b++)
		fprintf(f, "%s%s", b == be_backends ? "" : ", ", (*b)->name);
}

/* A backend's own option that lint takes: only one its prepare reads (lint writes nothing,
 * so an after-write option has nothing to act on). */
static bool kc_lint_takes_option(const struct be_backend *b)
{
	return b->option && b->prepare;
}

static void kc_lint_usage(FILE *f)
{
	fputs("usage: karmorc lint [--format=text|json|sarif] [--fail-level=error|warning|note]\n"
	      "                    [--posture CLASS=MODE,...] [--schema=crd|daemon] [--workloads PATH]...\n"
	      "                    [--backend NAME,...|none]", f);
	for (const struct be_backend *const *b = be_backends; *b; b++)
		if (kc_lint_takes_option(*b))
			fprintf(f, " [--%s %s]", (*b)->option, (*b)->option_arg);
	for (const struct be_option *x = be_options; x->backend; x++)
		fprintf(f, " [--%s %s]", x->name, x->arg);
	fputs(" PATH...\n"
	      "checks: conflict, shadowed, duplicate, dead-source, posture, no-target (KC0600-KC0606), and for each backend\n"
	      "of --backend (", f);
	kc_backend_names(f);
	fputs("; default: every one; none: no backend) capacity (KC0607, KC0408) and\n"
	      "backend-gap (KC04xx): the backends run as compile runs them, nothing written; plus the input's\n"
	      "own findings.  Exit 0 clean, 1 a finding at or above --fail-level (default error), 2 usage, 3 I/O\n",
	      f);
}

/* --backend NAME,...: marks each named backend of the table; "none" alone chooses none (the
 * rule analyses only).  False (reported) for an unknown or empty name. */
static bool kc_parse_backends(const char *arg, bool *chosen, size_t nbackends)
{
	if (strcmp(arg, "none") == 0)
		return true;
	for (const char *p = arg;;) {
		size_t len = strcspn(p, ",");
		size_t i = 0;
		while (i < nbackends && !(strlen(be_backends[i]->name) == len && strncmp(be_backends[i]->name, p, len) == 0))
			i++;
		if (i == nbackends) {
			fprintf(stderr, "karmorc: lint: --backend: unknown backend '%.*s' (the backends: ", (int)len, p);
			kc_backend_names(stderr);
			fputs("; or none)\n", stderr);
			return false;
		}
		chosen[i] = true;
		if (!p[len])
			return true;
		p += len + 1;
	}
}

/* Where backend i's own option is in getopt's table (as compile does). */
#define KC_LINT_BACKEND_OPT 256
#define KC_LINT_EXTRA_OPT 512

int kc_cmd_lint(int argc, char **argv)
{
	static const struct option fixed[] = {
		{"format", required_argument, NULL, 'f'}, {"fail-level", required_argument, NULL, 'l'},
		{"posture", required_argument, NULL, 'P'}, {"schema", required_argument, NULL, 'S'},
		{"workloads", required_argument, NULL, 'w'}, {"backend", required_argument, NULL, 'B'},
		{"help", no_argument, NULL, 'h'},
	};
	enum { NFIXED = sizeof(fixed) / sizeof(fixed[0]), KC_MAX_BACKENDS = 16 };
	/* the fixed options, then each backend's own that lint takes (--bpf-object FILE), then the
	 * backends' further ones (be_options: --bpf-map-budget SIZE), as compile takes them */
	struct option opts[NFIXED + 2 * KC_MAX_BACKENDS + 1];
	const char *backend_arg[KC_MAX_BACKENDS] = {NULL}, *extra_arg[KC_MAX_BACKENDS] = {NULL};
	bool chosen[KC_MAX_BACKENDS] = {false};
	size_t nbackends = 0, nextra = 0, nopts = NFIXED;
	memcpy(opts, fixed, sizeof(fixed));
	for (const struct be_backend *const *b = be_backends; *b && nbackends < KC_MAX_BACKENDS; b++, nbackends++)
		if (kc_lint_takes_option(*b))
			opts[nopts++] = (struct option){(*b)->option, required_argument, NULL,
							KC_LINT_BACKEND_OPT + (int)nbackends};
	for (; nextra < KC_MAX_BACKENDS && be_options[nextra].backend; nextra++)
		opts[nopts++] = (struct option){be_options[nextra].name, required_argument, NULL,
						KC_LINT_EXTRA_OPT + (int)nextra};
	opts[nopts] = (struct option){NULL, 0, NULL, 0};
	bool backend_given = false;
	enum kc_format fmt = KC_FORMAT_TEXT;
	enum fe_severity fail = FE_ERROR;
	enum fe_schema_mode mode = FE_SCHEMA_CRD;
	struct kc_lint_options o;
	memset(&o, 0, sizeof(o));
	char **workloads = calloc((size_t)argc + 1, sizeof(*workloads));
	size_t nworkloads = 0;
	if (!workloads)
		fe_oom();
	int c, rc = 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'w': workloads[nworkloads++] = optarg; break;
		case 'f':
			if (strcmp(optarg, "text") == 0)
				fmt = KC_FORMAT_TEXT;
			else if (strcmp(optarg, "json") == 0)
				fmt = KC_FORMAT_JSON;
			else if (strcmp(optarg, "sarif") == 0)
				fmt = KC_FORMAT_SARIF;
			else {
				fprintf(stderr, "karmorc: lint: --format must be text, json or sarif\n");
				goto out;
			}
			break;
		case 'l':
			if (strcmp(optarg, "error") == 0)
				fail = FE_ERROR;
			else if (strcmp(optarg, "warning") == 0)
				fail = FE_WARNING;
			else if (strcmp(optarg, "note") == 0)
				fail = FE_NOTE;
			else {
				fprintf(stderr, "karmorc: lint: --fail-level must be error, warning or note\n");
				goto out;
			}
			break;
		case 'P': {
			/* parsed twice from opposite defaults: a class given has the same value in both */
			enum ir_posture lo[IR_PC_COUNT], hi[IR_PC_COUNT];
			for (int i = 0; i < IR_PC_COUNT; i++) {
				lo[i] = IR_POSTURE_AUDIT;
				hi[i] = IR_POSTURE_BLOCK;
			}
			if (!kc_parse_posture(optarg, lo) || !kc_parse_posture(optarg, hi)) {
				fprintf(stderr, "karmorc: lint: bad --posture '%s'\n", optarg);
				goto out;
			}
			for (int i = 0; i < IR_PC_COUNT; i++)
				if (lo[i] == hi[i]) {
					o.posture[i] = lo[i];
					o.posture_given[i] = true;
				}
			break;
		}
		case 'S':
			if (strcmp(optarg, "crd") == 0)
				mode = FE_SCHEMA_CRD;
			else if (strcmp(optarg, "daemon") == 0)
				mode = FE_SCHEMA_DAEMON;
			else {
				fprintf(stderr, "karmorc: lint: --schema must be crd or daemon\n");
				goto out;
			}
			break;
		case 'B':
			if (!kc_parse_backends(optarg, chosen, nbackends))
				goto out;
			backend_given = true;
			break;
		case 'h':
			kc_lint_usage(stdout);
			rc = 0;
			goto out;
		default:
			if (c >= KC_LINT_BACKEND_OPT && (size_t)(c - KC_LINT_BACKEND_OPT) < nbackends) {
				backend_arg[c - KC_LINT_BACKEND_OPT] = optarg;
				break;
			}
			if (c >= KC_LINT_EXTRA_OPT && (size_t)(c - KC_LINT_EXTRA_OPT) < nextra) {
				extra_arg[c - KC_LINT_EXTRA_OPT] = optarg;
				break;
			}
			kc_lint_usage(stderr);
			goto out;
		}
	}
	if (optind >= argc) {
		kc_lint_usage(stderr);
		goto out;
	}
	for (size_t i = 0; i < nbackends; i++) {
		if (!backend_given)
			chosen[i] = true;	/* the default: every backend of the table */
		if (backend_arg[i] && !chosen[i]) {
			fprintf(stderr, "karmorc: lint: --%s goes with --backend %s only\n", be_backends[i]->option,
				be_backends[i]->name);
			goto out;
		}
	}
	for (size_t k = 0; k < nextra; k++) {
		size_t i = 0;
		while (i < nbackends && be_backends[i] != be_options[k].backend)
			i++;
		if (extra_arg[k] && (i == nbackends || !chosen[i])) {
			fprintf(stderr, "karmorc: lint: --%s goes with --backend %s only\n", be_options[k].name,
				be_options[k].backend->name);
			goto out;
		}
	}
	if (sodium_init() < 0) {
		fputs("karmorc: internal error: libsodium cannot be initialised\n", stderr);
		rc = 3;
		goto out;
	}
	o.inventory = nworkloads > 0;
	/* load -> targets -> analyses -> emit (pipeline.h), never write; errors do not stop lint,
	 * they are findings */
	struct kc_pipeline pl;
	kc_pipeline_init(&pl, "lint");
	pl.mode = mode;
	memcpy(pl.posture, o.posture, sizeof(pl.posture));
	pl.paths = argv + optind;
	pl.npaths = (size_t)(argc - optind);
	pl.need_policy = true;
	pl.lint = &o;
	pl.workload_paths = workloads;
	pl.nworkload_paths = nworkloads;
	pl.option_args = extra_arg;
	pl.version = KC_VERSION;	/* emitted as compile would, though never written */
	for (size_t i = 0; i < nbackends; i++)
		if (chosen[i] && pl.noutputs < sizeof(pl.outputs) / sizeof(pl.outputs[0]))
			pl.outputs[pl.noutputs++] = (struct kc_output){.backend = be_backends[i], .arg = backend_arg[i]};
	rc = kc_pipeline_run(&pl, KC_STAGE_EMIT);
	if (pl.bad_option) {
		kc_pipeline_free(&pl);	/* the backend said what is wrong with the value */
		rc = 2;
		goto out;
	}
	if (pl.unprepared) {
		/* its prepare said why; say what lint can do about it */
		const struct be_backend *b = pl.unprepared;
		fprintf(stderr, "karmorc: lint: the %s backend cannot be run", b->name);
		if (kc_lint_takes_option(b))
			fprintf(stderr, ": name its input with --%s %s,", b->option, b->option_arg);
		fputs(" or choose the backends with --backend NAME,... (", stderr);
		kc_backend_names(stderr);
		fputs(")\n", stderr);
		kc_pipeline_free(&pl);
		rc = 3;
		goto out;
	}
	struct fe_diags *d = pl.diags;
	bool failed = false;
	for (size_t i = 0; i < d->len && !failed; i++)
		failed = d->items[i].severity >= fail;
	failed = failed || d->errors || (fail <= FE_WARNING && d->warnings);
	kc_report_lint(stdout, d, fmt);
	rc = pl.io_error || rc == 3 ? 3 : failed ? 1 : 0;
	kc_pipeline_free(&pl);
out:
	free(workloads);
	return rc;
}
