/*
 * kc_cases: the case manifest the real-kernel rig runs (scripts/vmtest): for `compile
 * --scenario`, one line per case with the profile (or image) its process runs under and,
 * when the backend reported a gap the case depends on, that gap's code: the rig skips such
 * a case instead of failing it.  The op column is the op the rig performs: the model's op,
 * except `create` for a write that creates its path (`create: true` in the scenario).
 */
#include "cases.h"

#include <string.h>
#include <strings.h>

#include "verdict.h"

static enum ir_posture_class kc_op_pclass(enum kc_op op)
{
	return op == KC_OP_NETWORK ? IR_PC_NETWORK : op == KC_OP_CAPABILITY ? IR_PC_CAPABILITIES
	       : op == KC_OP_SYSCALL ? IR_PC_COUNT : IR_PC_FILE;
}

/* The code of a gap operation op depends on, or NULL. */
static const char *kc_op_skip(struct fe_arena *a, const struct be_ctx *be, const struct kc_targets *ts,
			      uint32_t ti, struct fe_matcher *m, const struct kc_operation *op)
{
	const struct ir_program *p = be->prog;
	enum ir_posture_class pc = kc_op_pclass(op->op);
	for (size_t g = 0; g < be->ngaps; g++) {
		const struct be_gap *gap = &be->gaps[g];
		if (gap->target != ti || (gap->pclass != pc && !gap->scope.all_classes))
			continue;
		if (gap->scope.reads_of_target) {
			const struct ir_rule *r = &p->rules[gap->rule];
			if (op->op == KC_OP_READ && op->resource && fe_path_matches(m, r->match, r->target, op->resource))
				return fe_arena_printf(a, "KC%04d", (int)gap->code);
			continue;
		}
		if (gap->scope.execs_of_target) {
			const struct ir_rule *r = &p->rules[gap->rule];
			if (op->op == KC_OP_EXEC && op->resource && fe_path_matches(m, r->match, r->target, op->resource))
				return fe_arena_printf(a, "KC%04d", (int)gap->code);
			continue;
		}
		if (gap->scope.creates_in) {
			if (!(op->op == KC_OP_WRITE && op->create && op->resource))
				continue;
			size_t len = strlen(op->resource);
			if (len > 1 && op->resource[len - 1] == '/')
				len--;
			while (len > 1 && op->resource[len - 1] != '/')
				len--;
			bool listed = false;
			for (const char *const *d = gap->scope.creates_in; *d && !listed; d++)
				listed = strlen(*d) == len && strncmp(*d, op->resource, len) == 0;
			if (listed)
				return fe_arena_printf(a, "KC%04d", (int)gap->code);
			continue;
		}
		/* a file made by the acting user is theirs: a creation (a syscall's too) is the owner's */
		if (gap->scope.owner_ops && !op->owner && !op->create && op->op != KC_OP_SYSCALL)
			continue;
		if (gap->scope.source_exec) {
			struct kc_operation start = {.op = KC_OP_EXEC, .resource = op->source, .source = op->source,
						     .owner = true};
			if (op->source && kc_decide(m, &ts->items[ti], &start).action == IR_BLOCK)
				return fe_arena_printf(a, "KC%04d", (int)gap->code);
			continue;
		}
		if (gap->scope.only) {
			bool listed = false;
			for (const char *const *o = gap->scope.only; *o && !listed; o++)
				listed = op->resource && strcasecmp(*o, op->resource) == 0;
			if (!listed)
				continue;
		}
		if (gap->scope.posture_only && kc_decide(m, &ts->items[ti], op).reason != KC_R_POSTURE)
			continue;
		bool depends = gap->rule < 0;
		if (!depends && gap->scope.matching_only) {
			/* only a Block this very rule decides is affected (e.g. a denial without a record) */
			struct kc_verdict v = kc_decide(m, &ts->items[ti], op);
			depends = v.action == IR_BLOCK && v.rule == gap->rule;
		} else if (!depends) {
			const struct ir_rule *r = &p->rules[gap->rule];
			/* the rule matches the op, or it is an Allow that makes the class an allow-list */
			depends = (kc_rule_matches(m, r, op) && fe_source_matches(p, &r->source, op->source)) ||
				  (r->action == IR_ALLOW && pc != IR_PC_COUNT);
		}
		if (depends)
			return fe_arena_printf(a, "KC%04d", (int)gap->code);
	}
	return NULL;
}

/* The code of a gap this case depends on, or NULL: a syscall that writes its path is
 * that write too (DESIGN §4.11), so the write's gaps count as well. */
static const char *kc_case_skip(struct fe_arena *a, const struct be_ctx *be, const struct kc_targets *ts,
				uint32_t ti, struct fe_matcher *m, const struct kc_case *k)
{
	const char *skip = kc_op_skip(a, be, ts, ti, m, &k->op);
	if (!skip && k->op.op == KC_OP_SYSCALL && k->op.path && k->op.resource &&
	    kc_syscall_writes_path(k->op.resource)) {
		struct kc_operation write = {KC_OP_WRITE, k->op.path, k->op.source, k->op.owner, NULL,
					     kc_syscall_creates_path(k->op.resource)};
		skip = kc_op_skip(a, be, ts, ti, m, &write);
	}
	return skip;
}

/* a field of cases.tsv: "-" for none */
static void kc_tsv_field(struct be_buf *b, const char *s)
{
	be_put_field(b, s ? s : "-");
}

void kc_cases_manifest(struct kc_pipeline *pl, struct kc_output *o)
{
	struct be_ctx *be = &o->be;
	const struct kc_scenario *sc = &pl->sc;
	struct be_buf *b = &be_new_file(be, "cases.tsv")->text;
	struct fe_matcher *m = fe_matcher_new(pl->prog);
	be_puts(b, "index\tname\tprofile\tsource\towner\top\tresource\tpath\texpect\tskip\tpolicy\n");
	for (size_t i = 0; i < sc->ncases; i++) {
		const struct kc_case *k = &sc->cases[i];
		size_t t = pl->case_target[i];
		const struct ir_target *tg = &pl->targets.items[t];
		bool confined = tg->npolicies > 0;
		const char *subject = confined ? o->backend->subject_for(be, tg, k->op.source) : "unconfined";
		const char *skip = confined ? kc_case_skip(&pl->arena, be, &pl->targets, (uint32_t)t, m, k) : NULL;
		if (!skip && k->malformed)
			skip = "KC0300";
		/* a kind of target the backend does not serve (selinux: containers) is not its case */
		if (!skip && !(o->backend->subjects & (tg->host ? BE_HOSTS : BE_CONTAINERS)))
			skip = "KC0411";
		be_printf(b, "%zu\t", i);
		kc_tsv_field(b, k->name);
		be_puts(b, "\t");
		kc_tsv_field(b, subject);
		be_puts(b, "\t");
		kc_tsv_field(b, k->op.source);
		/* the op the rig performs: a write that creates its path (`create: true`) is
		 * `create`, for which the rig removes the path first (DESIGN §4.11) */
		be_printf(b, "\t%d\t%s\t", k->op.owner ? 1 : 0, k->op.create ? "create" : kc_op_name(k->op.op));
		kc_tsv_field(b, k->op.resource);
		be_puts(b, "\t");
		kc_tsv_field(b, k->op.path);
		be_printf(b, "\t%s\t", ir_action_name(k->expect));
		kc_tsv_field(b, skip);
		/* the policy the case expects to name its event, if it says */
		be_puts(b, "\t");
		kc_tsv_field(b, k->policy);
		be_puts(b, "\n");
	}
	fe_matcher_free(m);
}
