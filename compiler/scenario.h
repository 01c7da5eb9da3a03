/* kc_scenario: `karmorc test` -- scenario files (DESIGN §7) run through the verdict model. */
#ifndef KC_SCENARIO_H
#define KC_SCENARIO_H
#include <stdio.h>

#include "../frontend/schema.h"
#include "verdict.h"

/* A case's workload named in the workload inventory (`workload: {namespace, name, kind,
 * container}` or `host: {name}`) instead of described by labels. */
struct kc_inventory_ref {
	bool used;
	bool host;
	const char *namespace, *kind, *name, *container;	/* kind, container: NULL = any */
	struct fe_loc loc;	/* the name, for "no such workload" */
};

struct kc_case {
	const char *name;
	unsigned line;
	struct fe_loc loc;	/* the case's mapping */
	struct kc_workload workload;
	struct kc_inventory_ref ref;
	struct kc_operation op;
	enum ir_action expect;
	const char *policy;	/* the policy the alert must name, or NULL */
	bool malformed;
};

/* A loaded scenario file: its own arena, diagnostics and program. */
struct kc_scenario {
	const char *path;
	struct fe_arena arena;
	struct fe_diags diags;
	struct ir_program prog;
	enum ir_posture posture[IR_PC_COUNT];
	char **workload_paths;	/* `workloads:`, relative to the scenario file */
	size_t nworkload_paths;
	struct kc_case *cases;
	size_t ncases;
	const char *read_error;	/* the file could not be read */
	bool io_error;
};

bool kc_scenario_load(struct kc_scenario *sc, const char *path, enum fe_schema_mode mode);
void kc_scenario_free(struct kc_scenario *sc);

struct kc_test_totals {
	size_t passed, failed;
	size_t file_errors;	/* scenario files that could not be run */
	size_t io_errors;	/* ...of which could not be read at all (exit 3) */
};

/* Runs one scenario file, printing a line per case to `out` and diagnostics to `err`;
 * inventory (nworkloads paths, from --workloads) joins the file's own `workloads:`. */
void kc_scenario_run(const char *path, enum fe_schema_mode mode, char *const *workloads, size_t nworkloads,
		     FILE *out, FILE *err, struct kc_test_totals *totals);

#endif
