/* kc_report: the C-compiler style text and the JSON lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../compiler/lint.h"
#include "../compiler/report.h"
#include "unit.h"

static char *render(struct unit_prog *u, enum kc_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	kc_report(f, &u->diags, fmt, true);
	fclose(f);
	return buf;
}

static void test_text_format(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "dir/p.yaml",
		  "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: p}\nspec:\n"
		  "  file:\n    matchDirectories:\n    - dir: /etc\n");
	char *out = render(&u, KC_FORMAT_TEXT);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "dir/p.yaml:7:12: error: dir must end with '/' [KC0104]\n"
					   "    7 |     - dir: /etc\n"
					   "      |            ^\n"
					   "      = fix: dir: /etc/\n"));
	free(out);
	unit_free(&u);
}

static void test_related_note(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "d.yaml", "a: 1\n\tb: 2\n");	/* tab indentation: syntax error */
	CU_ASSERT_TRUE(unit_has(&u, FE_YAML_SYNTAX, FE_ERROR));
	unit_free(&u);
	unit_load(&u, FE_SCHEMA_CRD, "d.yaml", "a: 1\nb: 2\na: 3\n");
	char *out = render(&u, KC_FORMAT_TEXT);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "d.yaml:3:1: error: duplicate key 'a'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "d.yaml:1:1: note: 'a' first appears here"));
	free(out);
	unit_free(&u);
}

static void test_json_format(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "q\"uote.yaml", "- x\n");
	char *out = render(&u, KC_FORMAT_JSON);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"file\":\"q\\\"uote.yaml\",\"line\":1,\"column\":1,"
					   "\"severity\":\"error\",\"code\":\"KC0100\",\"message\":"));
	CU_ASSERT_EQUAL(out[strlen(out) - 1], '\n');
	free(out);
	unit_free(&u);
}

/* lint's capacity check: a note per resource within its limit, none over it (the backend's
 * KC0408 says that); check names; the backend in the JSON line */
static void test_lint_capacity(void)
{
	struct fe_arena a;
	struct fe_diags d;
	fe_arena_init(&a);
	fe_diags_init(&d, &a);
	struct fe_source src = {"p.yaml", NULL, 0, false};
	struct fe_loc loc = {&src, 3, 1};
	const struct be_usage u[3] = {
		{"path map entries (KARMOR_MAX_PATH_KEYS)", false, 1040, 65536, 1000, 3, "t-a", loc},
		{"targets loaded at once (KARMOR_MAX_TARGETS)", false, 3, 256, 1, 3, NULL, loc},
		{"fromSource slots of one target (KARMOR_MAX_SOURCES)", true, 256, 255, 256, 3, "t-b", loc},
	};
	kc_lint_capacity("bpf", u, 3, &d);
	CU_ASSERT_EQUAL(d.len, 2);
	CU_ASSERT_EQUAL(d.errors, 0);
	CU_ASSERT_EQUAL(d.items[0].severity, FE_NOTE);
	CU_ASSERT_EQUAL(d.items[0].code, FE_LINT_CAPACITY);
	CU_ASSERT_STRING_EQUAL(d.items[0].check, "capacity");
	CU_ASSERT_STRING_EQUAL(d.items[0].target, "t-a");
	CU_ASSERT_PTR_NOT_NULL(strstr(d.items[0].message, "1,040 of 65,536 path map entries"));
	CU_ASSERT_PTR_NOT_NULL(strstr(d.items[0].message, "target t-a uses the most (1,000)"));
	CU_ASSERT_PTR_NULL(d.items[1].target);
	CU_ASSERT_PTR_NOT_NULL(strstr(d.items[1].message, "by its 3 targets together, 1 each"));
	CU_ASSERT_STRING_EQUAL(kc_check_name(FE_BE_CAPACITY), "capacity");
	CU_ASSERT_STRING_EQUAL(kc_check_name(FE_LINT_CAPACITY), "capacity");
	CU_ASSERT_STRING_EQUAL(kc_check_name(FE_BE_SYSCALL), "backend-gap");
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	kc_report_lint(f, &d, KC_FORMAT_JSON);
	fclose(f);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"check\":\"capacity\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"target\":\"t-a\",\"backend\":\"bpf\""));
	free(buf);
	fe_diags_free(&d);
	fe_arena_free(&a);
}

void test_report_register(void)
{
	CU_pSuite s = CU_add_suite("report", NULL, NULL);
	CU_add_test(s, "text: location, source line, caret, fix", test_text_format);
	CU_add_test(s, "related locations", test_related_note);
	CU_add_test(s, "JSON lines", test_json_format);
	CU_add_test(s, "lint capacity notes", test_lint_capacity);
}
