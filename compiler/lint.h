/*
 * kc_lint: `karmorc lint` -- analyses over the rules of one target (DESIGN §7):
 * conflict, shadowed, duplicate, dead-source, posture and, with a workload inventory,
 * no-target.  Each adds findings
 * (codes KC06xx) to fe_diags with a check name, the target, and the other
 * rule involved as the related location.  Reasoning is exact or silent: where
 * containment or overlap cannot be decided (one glob inside another), nothing
 * is said.  The meaning of an operation comes from kc_decide (verdict.c).
 *
 * Two checks come from the backends, which lint runs as compile does but writes nothing
 * (pipeline.h, stage emit): backend-gap (their KC04xx findings: what a backend cannot
 * enforce as the verdict model says) and capacity (kc_lint_capacity: how much of each
 * bounded resource the targets use; going over is the backend's KC0408 error).
 */
#ifndef KC_LINT_H
#define KC_LINT_H
#include <stdbool.h>
#include <stddef.h>

#include "../backends/backend.h"
#include "../frontend/diag.h"
#include "../frontend/ir.h"

struct kc_lint_options {
	enum ir_posture posture[IR_PC_COUNT];
	bool posture_given[IR_PC_COUNT];	/* from --posture, else the default (audit) */
	bool inventory;		/* the targets are a workload inventory's (--workloads): no-target runs */
};

/* Runs every analysis over every target; findings go to `d` (allocated in d->arena). */
void kc_lint_program(const struct ir_program *p, const struct ir_target *targets, size_t ntargets,
		     const struct kc_lint_options *o, struct fe_diags *d);

/* capacity: a note "N of M used" per bounded resource of `backend` (KC0607), from the
 * records its emit and finish left; one over its limit is already the backend's error. */
void kc_lint_capacity(const char *backend, const struct be_usage *u, size_t n, struct fe_diags *d);

/* The stable check name of a code (DESIGN §7): lint's own, or the stage a code belongs to. */
const char *kc_check_name(enum fe_diag_code code);
/* SARIF rule texts for a code: a title-case name, a full description and help. */
const char *kc_code_name(enum fe_diag_code code);
const char *kc_code_help(enum fe_diag_code code);

int kc_cmd_lint(int argc, char **argv);

#endif
