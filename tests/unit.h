/* Shared helpers for the CUnit suites: one suite per module, registered from unit_main.c. */
#ifndef UNIT_H
#define UNIT_H
#include <CUnit/CUnit.h>
#include <stdbool.h>

#include "../compiler/verdict.h"
#include "../frontend/load.h"

void test_yaml_register(void);
void test_schema_register(void);
void test_glob_register(void);
void test_ir_register(void);
void test_verdict_register(void);
void test_report_register(void);
void test_bpf_image_register(void);
void test_workloads_register(void);
void test_backends_register(void);
void test_identity_register(void);
void test_dfa_register(void);

/* A compilation of in-memory YAML: arena, diagnostics, program. */
struct unit_prog {
	struct fe_arena arena;
	struct fe_diags diags;
	struct ir_program prog;
	struct fe_loader loader;
};
void unit_load(struct unit_prog *u, enum fe_schema_mode mode, const char *name, const char *yaml);
void unit_free(struct unit_prog *u);
/* true when a diagnostic with this code (and severity) was reported */
bool unit_has(const struct unit_prog *u, enum fe_diag_code code, enum fe_severity sev);
const struct fe_diag *unit_find(const struct unit_prog *u, enum fe_diag_code code);

#endif
