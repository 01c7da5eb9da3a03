/* kc_report: the C-compiler style text and the JSON lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void test_report_register(void)
{
	CU_pSuite s = CU_add_suite("report", NULL, NULL);
	CU_add_test(s, "text: location, source line, caret, fix", test_text_format);
	CU_add_test(s, "related locations", test_related_note);
	CU_add_test(s, "JSON lines", test_json_format);
}
