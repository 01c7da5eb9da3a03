/* CUnit runner for every module's unit tests; prints CUnit's summary and exits non-zero on failure. */
#include <CUnit/Basic.h>
#include <string.h>

#include "unit.h"

void unit_load(struct unit_prog *u, enum fe_schema_mode mode, const char *name, const char *yaml)
{
	fe_arena_init(&u->arena);
	fe_diags_init(&u->diags, &u->arena);
	ir_program_init(&u->prog, &u->arena);
	fe_loader_init(&u->loader, &u->arena, &u->diags, &u->prog, mode);
	fe_load_text(&u->loader, name, yaml, strlen(yaml));
	fe_loader_finish(&u->loader);
}

void unit_free(struct unit_prog *u)
{
	ir_program_free(&u->prog);
	fe_diags_free(&u->diags);
	fe_arena_free(&u->arena);
}

const struct fe_diag *unit_find(const struct unit_prog *u, enum fe_diag_code code)
{
	for (size_t i = 0; i < u->diags.len; i++)
		if (u->diags.items[i].code == code)
			return &u->diags.items[i];
	return NULL;
}

bool unit_has(const struct unit_prog *u, enum fe_diag_code code, enum fe_severity sev)
{
	for (size_t i = 0; i < u->diags.len; i++)
		if (u->diags.items[i].code == code && u->diags.items[i].severity == sev)
			return true;
	return false;
}

int main(void)
{
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 3;
	test_yaml_register();
	test_schema_register();
	test_glob_register();
	test_ir_register();
	test_verdict_register();
	test_report_register();
	test_bpf_image_register();
	test_workloads_register();
	test_backends_register();
	test_identity_register();
	test_dfa_register();
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	unsigned run = CU_get_number_of_tests_run();
	unsigned tests_failed = CU_get_number_of_tests_failed();
	printf("\nunit: %u passed, %u failed\n", run - tests_failed, tests_failed);
	CU_cleanup_registry();
	return failed ? 1 : 0;
}
