#include "verdict.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../frontend/glob.h"

struct kc_matcher {
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

struct kc_matcher *kc_matcher_new(const struct ir_program *p)
{
	struct kc_matcher *m = calloc(1, sizeof(*m));
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

void kc_matcher_free(struct kc_matcher *m)
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

static bool kc_glob_match(struct kc_matcher *m, ir_str pattern, const char *s)
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
static bool kc_dir_match(const char *dir, const char *path, bool recursive)
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

bool kc_source_matches(const struct ir_program *p, const struct ir_source *s, const char *source)
{
	switch (s->kind) {
	case IR_SRC_ANY:
		return true;
	case IR_SRC_PATH:
		return source && strcmp(ir_s(&p->strs, s->path), source) == 0;
	case IR_SRC_DIR:
		return source && kc_dir_match(ir_s(&p->strs, s->path), source, false);
	case IR_SRC_DIR_RECURSIVE:
		return source && kc_dir_match(ir_s(&p->strs, s->path), source, true);
	}
	return false;
}

static bool kc_path_matches(struct kc_matcher *m, enum ir_match match, ir_str target, const char *path)
{
	const char *t = ir_s(&m->prog->strs, target);
	switch (match) {
	case IR_M_PATH:
		return strcmp(t, path) == 0;
	case IR_M_DIR:
		return kc_dir_match(t, path, false);
	case IR_M_DIR_RECURSIVE:
		return kc_dir_match(t, path, true);
	case IR_M_PATTERN:
		return kc_glob_match(m, target, path);
	case IR_M_EXECNAME: {
		const char *base = strrchr(path, '/');
		return strcmp(t, base ? base + 1 : path) == 0;
	}
	default:
		return false;
	}
}

/* Protocols and capabilities: case-insensitive, `all` is every protocol, cap_ ignored. */
static bool kc_name_matches(const char *rule, const char *name, bool capability)
{
	if (capability && strncasecmp(name, "cap_", 4) == 0)
		name += 4;
	if (!capability && strcmp(rule, "all") == 0)
		return true;
	return strcasecmp(rule, name) == 0;
}

bool kc_rule_matches(struct kc_matcher *m, const struct ir_rule *r, const struct kc_operation *op)
{
	const char *res = op->resource ? op->resource : "";
	switch (op->op) {
	case KC_OP_EXEC:
		return r->cls == IR_PROCESS && kc_path_matches(m, r->match, r->target, res);
	case KC_OP_READ:
	case KC_OP_WRITE:
		return r->cls == IR_FILE && kc_path_matches(m, r->match, r->target, res);
	case KC_OP_NETWORK:
		return r->cls == IR_NETWORK && r->match == IR_M_PROTOCOL &&
		       kc_name_matches(ir_s(&m->prog->strs, r->target), res, false);
	case KC_OP_CAPABILITY:
		return r->cls == IR_CAPABILITY && kc_name_matches(ir_s(&m->prog->strs, r->target), res, true);
	case KC_OP_SYSCALL:
		if (r->cls != IR_SYSCALL || strcmp(ir_s(&m->prog->strs, r->target), res) != 0)
			return false;
		return !r->has_path || (op->path && kc_path_matches(m, r->path_match, r->path, op->path));
	}
	return false;
}

static bool kc_label_present(const struct kc_workload *w, const char *key, const char *value)
{
	for (size_t i = 0; i < w->nlabels; i++)
		if (strcmp(w->labels[i].key, key) == 0 && strcmp(w->labels[i].value, value) == 0)
			return true;
	return false;
}

/* "k=v" from a matchExpressions value */
static bool kc_kv_present(const struct kc_workload *w, const char *kv)
{
	const char *eq = strchr(kv, '=');
	for (size_t i = 0; i < w->nlabels; i++) {
		size_t kl = strlen(w->labels[i].key);
		if (eq) {
			if ((size_t)(eq - kv) == kl && strncmp(kv, w->labels[i].key, kl) == 0 &&
			    strcmp(eq + 1, w->labels[i].value) == 0)
				return true;
		} else if (strcmp(kv, w->labels[i].key) == 0) {
			return true;	/* a bare key: the label is present with any value */
		}
	}
	return false;
}

static bool kc_hostname_matches(const struct kc_workload *w, const char *key, const char *value)
{
	if (strcmp(value, "*") == 0)
		return true;
	/* comma-separated host names */
	const char *p = value;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		for (size_t i = 0; i < w->nlabels; i++)
			if (strcmp(w->labels[i].key, key) == 0 && strlen(w->labels[i].value) == len &&
			    strncmp(w->labels[i].value, p, len) == 0)
				return true;
		if (!e)
			return false;
		p = e + 1;
	}
}

static bool kc_exprs_match(const struct ir_program *p, const struct ir_policy *pol, const struct kc_workload *w)
{
	const char *ns = w->namespace ? w->namespace : "default";
	for (uint32_t i = 0; i < pol->nexprs; i++) {
		const struct ir_expr *e = &pol->exprs[i];
		bool any = false;
		for (uint32_t v = 0; v < e->values.n && !any; v++) {
			const char *val = ir_s(&p->strs, e->values.items[v]);
			any = e->key == IR_EXPR_NAMESPACE ? strcmp(val, ns) == 0 : kc_kv_present(w, val);
		}
		if (e->op == IR_OP_IN ? !any : any)
			return false;
	}
	return true;
}

bool kc_selects(const struct ir_program *p, const struct ir_policy *pol, const struct kc_workload *w)
{
	if (pol->kind == IR_HSP) {
		if (!w->host)
			return false;
		for (uint32_t i = 0; i < pol->nlabels; i++) {
			const char *k = ir_s(&p->strs, pol->labels[i].key), *v = ir_s(&p->strs, pol->labels[i].value);
			bool ok = (strcmp(k, "kubearmor.io/hostname") == 0 || strcmp(k, "kubernetes.io/hostname") == 0)
					  ? kc_hostname_matches(w, k, v)
					  : kc_label_present(w, k, v);
			if (!ok)
				return false;
		}
		return true;
	}
	if (w->host)
		return false;
	const char *ns = w->namespace ? w->namespace : "default";
	if (pol->kind == IR_KSP && strcmp(ir_s(&p->strs, pol->namespace), ns) != 0)
		return false;
	for (uint32_t i = 0; i < pol->nlabels; i++)
		if (!kc_label_present(w, ir_s(&p->strs, pol->labels[i].key), ir_s(&p->strs, pol->labels[i].value)))
			return false;
	if (!kc_exprs_match(p, pol, w))
		return false;
	if (pol->has_containers) {
		bool found = false;
		for (uint32_t i = 0; i < pol->containers.n && !found; i++)
			found = w->container && strcmp(ir_s(&p->strs, pol->containers.items[i]), w->container) == 0;
		if (!found)
			return false;
	}
	return true;
}

static enum ir_posture_class kc_op_class(enum kc_op op)
{
	switch (op) {
	case KC_OP_NETWORK: return IR_PC_NETWORK;
	case KC_OP_CAPABILITY: return IR_PC_CAPABILITIES;
	default: return IR_PC_FILE;
	}
}

/* Rules that can switch a posture class into allow-list mode. */
static bool kc_counts_for_allow_list(const struct ir_rule *r, enum ir_posture_class pc)
{
	switch (r->cls) {
	case IR_PROCESS:
	case IR_FILE:
		return pc == IR_PC_FILE;
	case IR_NETWORK:
		/* DNS rules have no operation in the model; a DNS Allow must not make every
		 * protocol fall to the posture with no way to grant it */
		return pc == IR_PC_NETWORK && r->match == IR_M_PROTOCOL;
	case IR_CAPABILITY:
		return pc == IR_PC_CAPABILITIES;
	default:
		return false;	/* syscalls only audit; presets and devices are not posture classes */
	}
}

static long kc_baseline_grant(const struct kc_operation *op)
{
	if (op->op != KC_OP_READ && op->op != KC_OP_WRITE)
		return -1;	/* the baseline never includes exec */
	for (size_t i = 0; i < ir_baseline_count; i++) {
		const struct ir_baseline_entry *b = &ir_baseline[i];
		size_t len = strlen(b->path);
		bool hit = b->path[len - 1] == '/' ? strncmp(op->resource, b->path, len) == 0
						   : strcmp(op->resource, b->path) == 0;
		if (hit && (op->op == KC_OP_READ ? b->read : b->write))
			return (long)i;
	}
	return -1;
}

struct kc_verdict kc_decide(struct kc_matcher *m, const struct kc_workload *w,
			    const enum ir_posture posture[IR_PC_COUNT], const struct kc_operation *op)
{
	const struct ir_program *p = m->prog;
	struct kc_verdict v;
	memset(&v, 0, sizeof(v));
	v.rule = v.baseline = -1;
	v.pclass = kc_op_class(op->op);
	v.posture = posture[v.pclass];

	long block = -1, audit = -1, grant = -1;
	enum kc_reason block_reason = KC_R_BLOCK_RULE;
	for (uint32_t pi = 0; pi < p->npolicies; pi++) {
		const struct ir_policy *pol = &p->policies[pi];
		if (!kc_selects(p, pol, w))
			continue;
		for (uint32_t ri = pol->first_rule; ri < pol->first_rule + pol->nrules; ri++) {
			const struct ir_rule *r = &p->rules[ri];
			if (op->op != KC_OP_SYSCALL && r->action == IR_ALLOW && kc_counts_for_allow_list(r, v.pclass))
				v.allow_list = true;
			if (!kc_rule_matches(m, r, op))
				continue;
			v.applicable++;
			if (!kc_source_matches(p, &r->source, op->source))
				continue;
			bool ro = r->flags & IR_RULE_READONLY, oo = r->flags & IR_RULE_OWNERONLY;
			bool ro_refuses = ro && op->op != KC_OP_READ, oo_refuses = oo && !op->owner;
			bool has_mod = ro || oo, refuses = ro_refuses || oo_refuses;
			enum kc_reason why = ro_refuses ? KC_R_READONLY : KC_R_OWNERONLY;
			/* rules are in (policy name, document order): the first hit of each kind decides */
			switch (r->action) {
			case IR_BLOCK:
				if ((!has_mod || refuses) && block < 0) {
					block = ri;
					block_reason = has_mod ? why : KC_R_BLOCK_RULE;
				}
				break;
			case IR_AUDIT:
				if ((!has_mod || refuses) && audit < 0)
					audit = ri;
				break;
			case IR_ALLOW:
				if (has_mod && refuses) {
					if (block < 0) {
						block = ri;
						block_reason = why;
					}
				} else if (grant < 0) {
					grant = ri;
				}
				break;
			}
		}
	}

	if (op->op == KC_OP_SYSCALL) {
		/* syscall rules only ever audit (DESIGN §4.5); no posture class */
		v.allow_list = false;
		if (audit >= 0) {
			v.action = IR_AUDIT;
			v.reason = KC_R_SYSCALL;
			v.rule = audit;
			v.policy = ir_s(&p->strs, p->policies[p->rules[audit].policy].name);
		} else {
			v.action = IR_ALLOW;
			v.reason = KC_R_NO_RULE;
		}
		return v;
	}
	if (block >= 0) {
		v.action = IR_BLOCK;
		v.reason = block_reason;
		v.rule = block;
		v.policy = ir_s(&p->strs, p->policies[p->rules[block].policy].name);
		return v;
	}
	if (v.allow_list && grant < 0 && v.pclass == IR_PC_FILE)
		v.baseline = kc_baseline_grant(op);
	if (v.allow_list && grant < 0 && v.baseline < 0) {
		v.action = v.posture == IR_POSTURE_BLOCK ? IR_BLOCK : IR_AUDIT;
		v.reason = KC_R_POSTURE;
		v.policy = "DefaultPosture";
		return v;
	}
	if (audit >= 0) {
		v.action = IR_AUDIT;
		v.reason = KC_R_AUDIT_RULE;
		v.rule = audit;
		v.policy = ir_s(&p->strs, p->policies[p->rules[audit].policy].name);
		return v;
	}
	v.action = IR_ALLOW;
	if (grant >= 0) {
		v.reason = KC_R_GRANTED;
		v.rule = grant;
	} else {
		v.reason = v.baseline >= 0 ? KC_R_BASELINE : KC_R_NO_RULE;
	}
	return v;
}

const char *kc_op_name(enum kc_op op)
{
	static const char *const names[] = {"exec", "read", "write", "network", "capability", "syscall"};
	return names[op];
}

bool kc_op_parse(const char *s, enum kc_op *out)
{
	for (int i = 0; i <= KC_OP_SYSCALL; i++) {
		if (strcmp(s, kc_op_name((enum kc_op)i)) == 0) {
			*out = (enum kc_op)i;
			return true;
		}
	}
	return false;
}

const char *kc_reason_text(enum kc_reason r)
{
	switch (r) {
	case KC_R_BLOCK_RULE: return "a Block rule matches";
	case KC_R_READONLY: return "a readOnly rule matches and the operation is not a read";
	case KC_R_OWNERONLY: return "an ownerOnly rule matches and the acting user does not own the file";
	case KC_R_POSTURE: return "the class is an allow-list here and no Allow rule grants this";
	case KC_R_AUDIT_RULE: return "an Audit rule matches";
	case KC_R_SYSCALL: return "a syscall rule matches (syscall rules only audit)";
	case KC_R_GRANTED: return "an Allow rule grants it";
	case KC_R_BASELINE: return "the baseline a process needs to start grants it";
	case KC_R_NO_RULE: return "no rule applies";
	}
	return "";
}
