/* backends/backend.c: the table, the capability matrices against what emit reports, and
 * be_gap (scopes travel with findings; a rule's duplicate is one finding). */
#include <stdio.h>
#include <string.h>

#include "../backends/backend.h"
#include "../compiler/targets.h"
#include "unit.h"


static void test_table(void)
{
	size_t n = 0;
	for (const struct be_backend *const *b = be_backends; *b; b++, n++) {
		CU_ASSERT_PTR_EQUAL(be_find((*b)->name), *b);
		CU_ASSERT_PTR_NOT_NULL((*b)->folder);
		CU_ASSERT_PTR_NOT_NULL((*b)->emit);
		CU_ASSERT_PTR_NOT_NULL((*b)->subject_for);
		CU_ASSERT((*b)->subjects & BE_BOTH);
		/* a backend's option has a hook that reads it */
		if ((*b)->option)
			CU_ASSERT((*b)->prepare || (*b)->after_write);
	}
	CU_ASSERT(n >= 2);
	CU_ASSERT_PTR_NULL(be_find("all"));
	CU_ASSERT_PTR_NULL(be_capability_of(&be_apparmor, IR_FILE, IR_M_PATH));	/* not listed: full */
}

/* The matrix says what emit does: a rule of a kind a backend marks BE_NONE is reported
 * with the row's code by that backend's emit. */
static void test_matrix_tells_the_truth(void)
{
	static const struct {
		enum ir_class cls;
		enum ir_match match;
		const char *body;
	} kinds[] = {
		{IR_SYSCALL, IR_M_SYSCALL, "  syscalls:\n    matchSyscalls:\n    - syscall: [unlink]\n  action: Audit\n"},
		{IR_FILE, IR_M_PATTERN, "  file:\n    matchPatterns:\n    - pattern: /etc/*.conf\n  action: Block\n"},
		{IR_PROCESS, IR_M_PATTERN, "  process:\n    matchPatterns:\n    - pattern: /usr/bin/*sh\n  action: Block\n"},
	};
	size_t none_rows = 0;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char yaml[512];
		snprintf(yaml, sizeof(yaml),
			 "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
			 "metadata: {name: k, namespace: ns}\nspec:\n  selector:\n    matchLabels: {app: x}\n%s",
			 kinds[k].body);
		for (const struct be_backend *const *b = be_backends; *b; b++) {
			const struct be_capability *row = be_capability_of(*b, kinds[k].cls, kinds[k].match);
			if (!row || row->support != BE_NONE)
				continue;
			none_rows++;
			struct unit_prog u;
			unit_load(&u, FE_SCHEMA_CRD, "k.yaml", yaml);
			CU_ASSERT_EQUAL(u.diags.errors, 0);
			struct kc_targets ts;
			kc_targets_init(&ts);
			kc_targets_from_selectors(&ts, &u.arena, &u.prog, (enum ir_posture[IR_PC_COUNT]){0});
			struct be_ctx be;
			be_ctx_init(&be, &u.prog, &u.diags, &u.arena, (*b)->name);
			be.version = "9.9.9";
			(*b)->emit(&be, &ts.items[0]);
			bool reported = false;
			for (size_t g = 0; g < be.ngaps; g++)
				reported |= be.gaps[g].code == row->code;
			CU_ASSERT_TRUE(reported);
			be_ctx_free(&be);
			kc_targets_free(&ts);
			unit_free(&u);
		}
	}
	/* syscalls in apparmor (bpf audits them, and matches patterns) */
	CU_ASSERT(none_rows >= 1);
}

/* A duplicate finding is dropped whole: the scope given with it never lands on another. */
static void test_gap_scope_travels(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "g.yaml",
		  "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: g, namespace: ns}\n"
		  "spec:\n  selector:\n    matchLabels: {app: x}\n  file:\n    matchPaths:\n    - path: /a\n"
		  "    - path: /b\n  action: Block\n");
	CU_ASSERT_EQUAL_FATAL(u.prog.nrules, 2);
	struct ir_target t = {.name = "t", .describe = "t"};
	struct be_ctx be;
	be_ctx_init(&be, &u.prog, &u.diags, &u.arena, "test");
	be.keep_gaps = true;	/* as for a scenario's cases */
	static const struct be_gap_scope matching = {.matching_only = true};
	be_gap(&be, &t, 0, IR_PC_FILE, FE_BE_POSTURE, &matching, "first");
	be_gap(&be, &t, 1, IR_PC_FILE, FE_BE_PROTOCOL, NULL, "second");
	be_gap(&be, &t, 0, IR_PC_FILE, FE_BE_POSTURE, &matching, "first again");	/* dropped */
	CU_ASSERT_EQUAL(be.ngaps, 2);
	CU_ASSERT_TRUE(be.gaps[0].scope.matching_only);
	CU_ASSERT_FALSE(be.gaps[1].scope.matching_only);
	/* another target, or a class-wide gap, is another finding */
	be.target_index = 1;
	be_gap(&be, &t, 0, IR_PC_FILE, FE_BE_POSTURE, NULL, "other target");
	be_gap(&be, &t, -1, IR_PC_FILE, FE_BE_POSTURE, NULL, "class");
	be_gap(&be, &t, -1, IR_PC_FILE, FE_BE_POSTURE, NULL, "class");
	CU_ASSERT_EQUAL(be.ngaps, 5);
	be_ctx_free(&be);

	/* without cases to read them, an earlier target's gaps are only counted */
	be_ctx_init(&be, &u.prog, &u.diags, &u.arena, "test");
	be_gap(&be, &t, 0, IR_PC_FILE, FE_BE_POSTURE, NULL, "first");
	be_gap(&be, &t, 1, IR_PC_FILE, FE_BE_POSTURE, NULL, "second");
	be.target_index = 1;
	be_gap(&be, &t, 0, IR_PC_FILE, FE_BE_POSTURE, NULL, "first");
	CU_ASSERT_EQUAL(be.ngaps, 1);
	CU_ASSERT_EQUAL(be.ngaps_dropped, 2);
	CU_ASSERT_EQUAL(be.gaps[0].target, 1);
	be_ctx_free(&be);
	unit_free(&u);
}

/* be_gap_rule and be_gap_at_same: the message of a rule seen again on another target is
 * counted there, not formatted again (the caller's promise: the same rule and format give
 * the same text, so the arguments of the second call are never read) */
static void test_gap_same_message(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "s.yaml",
		  "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: s, namespace: ns}\n"
		  "spec:\n  selector:\n    matchLabels: {app: x}\n  file:\n    matchPaths:\n    - path: /a\n"
		  "    - path: /b\n  action: Block\n");
	CU_ASSERT_EQUAL_FATAL(u.prog.nrules, 2);
	struct ir_target t0 = {.name = "t0", .describe = "t0"}, t1 = {.name = "t1", .describe = "t1"};
	struct be_ctx be;
	be_ctx_init(&be, &u.prog, &u.diags, &u.arena, "test");
	size_t before = u.diags.len;
	static const char fmt[] = "rule on %s";
	be_gap_rule(&be, &t0, 0, IR_PC_FILE, FE_BE_PATH, NULL, fmt, "/a");
	be.target_index = 1;
	be_gap_rule(&be, &t1, 0, IR_PC_FILE, FE_BE_PATH, NULL, fmt, "NOT READ");
	be_gap_rule(&be, &t1, 1, IR_PC_FILE, FE_BE_PATH, NULL, fmt, "/b");	/* another rule: its own */
	CU_ASSERT_EQUAL(u.diags.len, before + 2);
	CU_ASSERT_EQUAL(be.ngaps + be.ngaps_dropped, 3);
	/* at a place: found again only once be_gap_at_same made it */
	struct fe_loc at = u.prog.rules[1].loc;
	static const char key[] = "technique";
	CU_ASSERT_FALSE(be_gap_repeat(&be, &t0, at, IR_PC_FILE, FE_BE_BYPASS, NULL, key, &u.prog.rules[1]));
	be_gap_at_same(&be, &t0, at, IR_PC_FILE, FE_BE_BYPASS, NULL, key, &u.prog.rules[1], "bypass of %s", "/b");
	CU_ASSERT_TRUE(be_gap_repeat(&be, &t1, at, IR_PC_FILE, FE_BE_BYPASS, NULL, key, &u.prog.rules[1]));
	CU_ASSERT_FALSE(be_gap_repeat(&be, &t1, at, IR_PC_FILE, FE_BE_BYPASS, NULL, key, &u.prog.rules[0]));
	CU_ASSERT_EQUAL(u.diags.len, before + 3);
	be_gaps_finish(&be);
	const char *m0 = u.diags.items[before].message, *m2 = u.diags.items[before + 2].message;
	CU_ASSERT_PTR_NOT_NULL(strstr(m0, "test: rule on /a in policy s (target t0 and 1 other target)"));
	CU_ASSERT_PTR_NULL(strstr(m0, "NOT READ"));
	CU_ASSERT_PTR_NOT_NULL(strstr(m2, "bypass of /b (target t0 and 1 other target)"));
	be_ctx_free(&be);
	unit_free(&u);
}

void test_backends_register(void)
{
	CU_pSuite s = CU_add_suite("backends", NULL, NULL);
	CU_add_test(s, "the backend table", test_table);
	CU_add_test(s, "capability matrices match what emit reports", test_matrix_tells_the_truth);
	CU_add_test(s, "be_gap: a message made once is counted on other targets", test_gap_same_message);
	CU_add_test(s, "be_gap: scopes travel with findings", test_gap_scope_travels);
}
