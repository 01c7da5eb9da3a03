#include "verdict.h"

#include "../frontend/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


bool kc_rule_matches(struct fe_matcher *m, const struct ir_rule *r, const struct kc_operation *op)
{
	const char *res = op->resource ? op->resource : "";
	switch (op->op) {
	case KC_OP_EXEC:
		return r->cls == IR_PROCESS && fe_path_matches(m, r->match, r->target, res);
	case KC_OP_READ:
	case KC_OP_WRITE:
		return r->cls == IR_FILE && fe_path_matches(m, r->match, r->target, res);
	case KC_OP_NETWORK:
		return r->cls == IR_NETWORK && r->match == IR_M_PROTOCOL &&
		       fe_name_matches(ir_s(&fe_matcher_program(m)->strs, r->target), res, false);
	case KC_OP_CAPABILITY:
		return r->cls == IR_CAPABILITY && fe_name_matches(ir_s(&fe_matcher_program(m)->strs, r->target), res, true);
	case KC_OP_SYSCALL:
		if (r->cls != IR_SYSCALL || strcmp(ir_s(&fe_matcher_program(m)->strs, r->target), res) != 0)
			return false;
		/* a syscall that takes no path never meets a matchPaths rule (KC0130) */
		return !r->has_path || (op->path && fe_syscall_takes_path(res) && fe_path_matches(m, r->path_match, r->path,
												 op->path));
	}
	return false;
}

static enum ir_posture_class kc_op_class(enum kc_op op)
{
	switch (op) {
	case KC_OP_NETWORK: return IR_PC_NETWORK;
	case KC_OP_CAPABILITY: return IR_PC_CAPABILITIES;
	default: return IR_PC_FILE;
	}
}

/* Rules that can switch a posture class into allow-list mode (when their action is Allow). */
bool kc_counts_for_allow_list(const struct ir_rule *r, enum ir_posture_class pc)
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
	return ir_baseline_find(op->resource, op->op == KC_OP_WRITE);
}

bool kc_syscall_writes_path(const char *name)
{
	static const char *const writes[] = {
		"unlink",  "unlinkat",	"rmdir",    "rename",	  "renameat", "renameat2",   "mkdir",
		"mkdirat", "mknod",	"mknodat",  "link",	  "linkat",   "symlink",     "symlinkat",
		"creat",   "chmod",	"fchmodat", "chown",	  "lchown",   "fchownat",    "truncate",
		"utime",   "utimes",	"futimesat", "utimensat", "setxattr", "lsetxattr",   "removexattr",
		"lremovexattr",
	};
	for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++)
		if (strcmp(name, writes[i]) == 0)
			return true;
	return false;
}

bool kc_syscall_creates_path(const char *name)
{
	static const char *const creates[] = {
		"mkdir", "mkdirat", "mknod", "mknodat", "link", "linkat", "symlink", "symlinkat", "creat",
	};
	for (size_t i = 0; i < sizeof(creates) / sizeof(creates[0]); i++)
		if (strcmp(name, creates[i]) == 0)
			return true;
	return false;
}

static struct kc_verdict kc_decide_one(struct fe_matcher *m, const struct ir_target *t, const struct kc_operation *op);

/* A syscall that writes its path is that write too (DESIGN §4.11): what refuses the write
 * refuses the syscall, as the kernel's path hooks do; otherwise a syscall rule audits it
 * (and names the alert), else the write's own verdict stands.  A syscall that creates its
 * path is that creation (the creator owns the new name). */
struct kc_verdict kc_decide(struct fe_matcher *m, const struct ir_target *t, const struct kc_operation *op)
{
	struct kc_verdict v = kc_decide_one(m, t, op);
	if (op->op != KC_OP_SYSCALL || !op->path || !kc_syscall_writes_path(op->resource ? op->resource : ""))
		return v;
	struct kc_operation write = {KC_OP_WRITE, op->path, op->source, op->owner, NULL,
				     kc_syscall_creates_path(op->resource)};
	struct kc_verdict w = kc_decide_one(m, t, &write);
	if (w.action == IR_BLOCK || (v.action == IR_ALLOW && w.action == IR_AUDIT)) {
		w.as_write = true;
		return w;
	}
	return v;
}

static struct kc_verdict kc_decide_one(struct fe_matcher *m, const struct ir_target *t, const struct kc_operation *op)
{
	const struct ir_program *p = fe_matcher_program(m);
	struct kc_verdict v;
	memset(&v, 0, sizeof(v));
	v.rule = v.baseline = -1;
	v.pclass = kc_op_class(op->op);
	v.posture = t->posture[v.pclass];

	long block = -1, audit = -1, grant = -1;
	enum kc_reason block_reason = KC_R_BLOCK_RULE;
	/* the target's rules are in (policy name, document order) */
	for (uint32_t i = 0; i < t->nrules; i++) {
		long ri = t->rules[i];
		const struct ir_rule *r = &p->rules[ri];
		if (op->op != KC_OP_SYSCALL && r->action == IR_ALLOW && kc_counts_for_allow_list(r, v.pclass))
			v.allow_list = true;
		if (!kc_rule_matches(m, r, op))
			continue;
		v.applicable++;
		if (!fe_source_matches(p, &r->source, op->source))
			continue;
		bool ro = r->flags & IR_RULE_READONLY, oo = r->flags & IR_RULE_OWNERONLY;
		/* a creation's new file is its creator's (AppArmor and the BPF programs both judge it
		 * with the creator as owner), whatever op->owner says */
		bool ro_refuses = ro && op->op != KC_OP_READ, oo_refuses = oo && !op->owner && !op->create;
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
