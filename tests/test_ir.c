/* IR: string interning and the deterministic order of policies. */
#include <string.h>

#include "unit.h"

static void test_intern(void)
{
	struct fe_arena a;
	struct ir_strtab t;
	fe_arena_init(&a);
	ir_strtab_init(&t, &a);
	CU_ASSERT_EQUAL(ir_intern_cstr(&t, ""), 0);
	ir_str x = ir_intern_cstr(&t, "/etc/passwd");
	CU_ASSERT_EQUAL(ir_intern_cstr(&t, "/etc/passwd"), x);
	CU_ASSERT_NOT_EQUAL(ir_intern_cstr(&t, "/etc/shadow"), x);
	/* survive many rehashes */
	char buf[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(buf, sizeof(buf), "s%d", i);
		ir_intern_cstr(&t, buf);
	}
	CU_ASSERT_EQUAL(ir_intern_cstr(&t, "/etc/passwd"), x);
	CU_ASSERT_STRING_EQUAL(ir_s(&t, ir_intern_cstr(&t, "s4321")), "s4321");
	CU_ASSERT_EQUAL(t.count, 5003);
	ir_strtab_free(&t);
	fe_arena_free(&a);
}

#define POL(name, path) \
	"apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: " name "}\n" \
	"spec:\n  file:\n    matchPaths:\n    - path: " path "\n"

static void test_order_independent(void)
{
	struct unit_prog u1, u2;
	unit_load(&u1, FE_SCHEMA_CRD, "a.yaml", POL("zeta", "/z") "---\n" POL("alpha", "/a"));
	unit_load(&u2, FE_SCHEMA_CRD, "a.yaml", POL("alpha", "/a") "---\n" POL("zeta", "/z"));
	CU_ASSERT_EQUAL_FATAL(u1.prog.npolicies, 2);
	CU_ASSERT_EQUAL_FATAL(u2.prog.npolicies, 2);
	for (int i = 0; i < 2; i++) {
		CU_ASSERT_STRING_EQUAL(ir_s(&u1.prog.strs, u1.prog.policies[i].name),
				       ir_s(&u2.prog.strs, u2.prog.policies[i].name));
		CU_ASSERT_STRING_EQUAL(ir_s(&u1.prog.strs, u1.prog.rules[i].target),
				       ir_s(&u2.prog.strs, u2.prog.rules[i].target));
		CU_ASSERT_EQUAL(u1.prog.rules[i].policy, (uint32_t)i);
	}
	CU_ASSERT_STRING_EQUAL(ir_s(&u1.prog.strs, u1.prog.policies[0].name), "alpha");
	CU_ASSERT_STRING_EQUAL(ir_s(&u1.prog.strs, u1.prog.policies[0].namespace), "default");
	unit_free(&u1);
	unit_free(&u2);
}

static void test_duplicate_identity(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "a.yaml", POL("same", "/a") "---\n" POL("same", "/b"));
	CU_ASSERT_TRUE(unit_has(&u, FE_DUP_POLICY, FE_WARNING));
	CU_ASSERT_EQUAL(u.prog.npolicies, 2);
	unit_free(&u);
}

void test_ir_register(void)
{
	CU_pSuite s = CU_add_suite("ir", NULL, NULL);
	CU_add_test(s, "string interning", test_intern);
	CU_add_test(s, "policy order does not depend on input order", test_order_independent);
	CU_add_test(s, "duplicate policy identity is reported", test_duplicate_identity);
}
