/*
 * kc_verdict: the verdict model of DESIGN §4, implemented once.  `explain`,
 * `test` and the backends' conformance checks all ask this module what an
 * operation's verdict is.
 */
#ifndef KC_VERDICT_H
#define KC_VERDICT_H
#include <stdbool.h>
#include <stddef.h>

#include "../frontend/ir.h"
#include "../frontend/match.h"
#include "targets.h"

enum kc_op { KC_OP_EXEC, KC_OP_READ, KC_OP_WRITE, KC_OP_NETWORK, KC_OP_CAPABILITY, KC_OP_SYSCALL };

struct kc_operation {
	enum kc_op op;
	const char *resource;	/* path, protocol, capability or syscall name */
	const char *source;	/* executable of the acting process */
	bool owner;		/* the acting user owns the file */
	const char *path;	/* syscall only: the path it touches, or NULL */
	bool create;		/* write only: the path does not exist yet, the write creates it (an
				 * open with O_CREAT, or mkdir when the resource ends in '/'); the new
				 * file is its creator's, so ownerOnly never refuses it (DESIGN §4.11) */
};

enum kc_reason {
	KC_R_BLOCK_RULE,	/* a Block rule matched */
	KC_R_READONLY,		/* a readOnly rule refused a non-read */
	KC_R_OWNERONLY,		/* an ownerOnly rule refused a non-owner */
	KC_R_POSTURE,		/* allow-list class, nothing granted: default posture */
	KC_R_AUDIT_RULE,	/* an Audit rule matched */
	KC_R_SYSCALL,		/* a syscall rule matched: always Audit */
	KC_R_GRANTED,		/* an Allow rule granted it */
	KC_R_BASELINE,		/* the baseline granted it (DESIGN §4.9) */
	KC_R_NO_RULE,		/* nothing applies */
};

struct kc_verdict {
	enum ir_action action;
	enum kc_reason reason;
	long rule;		/* deciding rule index, or -1 */
	long baseline;		/* baseline entry index for KC_R_BASELINE, else -1 */
	const char *policy;	/* the policy an alert names, "DefaultPosture", or NULL (no alert) */
	enum ir_posture_class pclass;
	enum ir_posture posture;
	bool allow_list;	/* the op's class is in allow-list mode for this workload */
	size_t applicable;	/* rules of the op's class that apply to the target */
	bool as_write;		/* a syscall op judged as the write of its path it performs (§4.11) */
};

/* Does syscall `name` write the path it is given (creates, removes, renames, changes the
 * mode, owner, size, times or attributes of it: DESIGN §4.11)?  Such an op is also a
 * `write` of that path. */
bool kc_syscall_writes_path(const char *name);

/* Of those, does syscall `name` create the path it is given (mkdir, mknod, creat, symlink,
 * link: the new name)?  Such a write is a creation: the new file is its creator's. */
bool kc_syscall_creates_path(const char *name);


/* Does the rule's resource side match (ignoring fromSource)? */
bool kc_rule_matches(struct fe_matcher *m, const struct ir_rule *r, const struct kc_operation *op);

/* Does an Allow rule like `r` put class `pc` in allow-list mode (DESIGN §4.3.2)? */
bool kc_counts_for_allow_list(const struct ir_rule *r, enum ir_posture_class pc);

/* The verdict of op on target t (its rules and postures: see targets.h for how a
 * workload's target is found). */
struct kc_verdict kc_decide(struct fe_matcher *m, const struct ir_target *t, const struct kc_operation *op);

const char *kc_op_name(enum kc_op op);
bool kc_op_parse(const char *s, enum kc_op *out);
const char *kc_reason_text(enum kc_reason r);

#endif
