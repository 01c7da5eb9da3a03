/*
 * kc_targets: target resolution (DESIGN §3, §4.7), one module for every command.
 *
 * A target is one enforcement subject: the rules of every policy that selects it, and
 * the posture of each class.  `compile` emits one artifact per target; `explain` and
 * `test` decide an operation on the target of the workload they are given; so all of
 * them agree on which rules apply.  Two ways to make targets:
 *
 *   kc_targets_from_selectors   no workload inventory: one target per distinct
 *                               selector, in policy order (what `compile PATH...` does);
 *   kc_targets_add_workload     one workload (a scenario case, explain's options, or,
 *                               later, each container and node of a workload inventory):
 *                               finds or adds its target, the policies that select it.
 *
 * Targets live in the arena of the compilation; kc_targets_free releases the index.
 */
#ifndef KC_TARGETS_H
#define KC_TARGETS_H
#include <stdbool.h>
#include <stddef.h>

#include "../frontend/hash.h"
#include "../frontend/ir.h"

struct kc_label {
	const char *key, *value;
};

/* One enforcement subject: a container, or a host (DESIGN §3 "Target"). */
struct kc_workload {
	bool host;
	const char *namespace;		/* containers; "default" when NULL */
	const struct kc_label *labels;	/* pod labels, or node labels for a host */
	size_t nlabels;
	const char *container;		/* optional container name */
};

struct kc_targets {
	struct ir_target *items;	/* heap; the targets' contents are arena memory */
	const char **keys;		/* heap: each target's identity text, for the index */
	size_t n, cap;
	struct fe_hindex index;		/* identity text -> items[] */
};

void kc_targets_init(struct kc_targets *ts);
void kc_targets_free(struct kc_targets *ts);

/* Without a workload inventory: one target per distinct selector (policies with the same
 * selector text share one), in policy order, each with `posture`. */
void kc_targets_from_selectors(struct kc_targets *ts, struct fe_arena *a, const struct ir_program *p,
			       const enum ir_posture posture[IR_PC_COUNT]);

/* The target of workload w: found when an equal workload (same namespace, labels as a
 * set, container; or host and labels) was added before, else added with the policies
 * that select w and `posture`.  Returns its index.  A target no policy selects is kept
 * (npolicies == 0): the workload runs unconfined, and its verdicts are still defined. */
/* A scenario case's workload target is given the identity the case describes, so its
 * artifacts and events carry one as an inventory's would: kind Pod in its namespace, named
 * "scenario-HASH" (of the case's workload), its labels, its container (else "scenario"),
 * image "scenario" (a scenario names none; an image's identity has every field); a host
 * case, kind Node named by its kubernetes.io/hostname label (else "scenario-HASH").  A
 * target that has one keeps it; `where` (the case) locates findings about it. */
void kc_target_scenario_identity(struct fe_arena *a, struct ir_target *t, const struct kc_workload *w,
				 struct fe_loc where);
size_t kc_targets_add_workload(struct kc_targets *ts, struct fe_arena *a, const struct ir_program *p,
			       const struct kc_workload *w, const enum ir_posture posture[IR_PC_COUNT]);

/* Does policy pol select workload w (DESIGN §4.7)? */
bool kc_selects(const struct ir_program *p, const struct ir_policy *pol, const struct kc_workload *w);

struct fe_inventory;

/*
 * Targets from a finished program and a finished inventory (DESIGN §3, §4.7): one per
 * (workload, container), in inventory order, then one per node.  Each holds every
 * policy that selects it (the verdict model's own predicate, kc_selects) with their
 * rules in program order, the posture of its namespace's annotations (else
 * `defaults`, the caller's --posture; hosts always take `defaults`), and its identity.
 * A target that no policy selects is kept with npolicies 0 (its workload runs
 * unconfined; `lint` reports such policies and workloads).  Node targets also match
 * `kubearmor.io/hostname` against the node name, as KubeArmor does.
 * ts must be empty: these targets are the whole set.
 */
void kc_targets_from_inventory(struct kc_targets *ts, struct fe_arena *a, const struct ir_program *p,
			       const struct fe_inventory *inv, const enum ir_posture defaults[IR_PC_COUNT]);

/* A target of the inventory by identity: a container target of namespace ns and workload
 * name (kind compared without case when not NULL, container when not NULL), or with host
 * the node called name.  Returns the first fitting index and sets *count to how many fit
 * (1: unambiguous). */
size_t kc_targets_find_identity(const struct kc_targets *ts, bool host, const char *ns, const char *kind,
				const char *name, const char *container, size_t *count);

#endif
