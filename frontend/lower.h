/*
 * fe_lower: a validated policy document -> IR policy and effective rules
 * (DESIGN §3, §4.8): inheritance rule -> section -> spec, spec action
 * defaulting to Block, fromSource and comma lists expanded, host Allow rules
 * without fromSource dropped with a warning.
 */
#ifndef FE_LOWER_H
#define FE_LOWER_H
#include <stdbool.h>

#include "diag.h"
#include "ir.h"
#include "schema.h"
#include "yaml.h"

/* Checks that the policy has rules and that no section is empty; works on any
 * document, valid or not.  Returns false when it reported an error. */
bool fe_check_rules_present(struct fe_diags *d, const struct fe_source *src, const struct fe_ynode *root,
			    enum ir_kind kind);

/* Records only a valid policy's identity (kind, namespace, name, place): what `check`
 * needs to find duplicates, without lowering its rules. */
void fe_policy_identity(struct ir_program *p, const struct fe_source *src, const struct fe_ydoc *doc,
			enum ir_kind kind);

/* Lowers a document that passed fe_schema_validate.  Returns false on error. */
bool fe_lower(struct ir_program *p, struct fe_diags *d, const struct fe_source *src, const struct fe_ydoc *doc,
	      enum ir_kind kind, enum fe_schema_mode mode);

#endif
