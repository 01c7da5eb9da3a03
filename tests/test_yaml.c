/* fe_yaml: node tree, marks, scalar resolution, limits, duplicate keys. */
#include <string.h>

#include "../frontend/yaml.h"
#include "unit.h"

struct ytest {
	struct fe_arena arena;
	struct fe_diags diags;
	struct fe_source src;
	struct fe_yfile file;
	bool ok;
};

static void yparse(struct ytest *t, const char *text, size_t len)
{
	fe_arena_init(&t->arena);
	fe_diags_init(&t->diags, &t->arena);
	t->src.name = "t.yaml";
	t->src.text = text;
	t->src.len = len;
	t->ok = fe_yaml_parse(&t->arena, &t->diags, &t->src, &t->file);
}

static void yfree(struct ytest *t)
{
	fe_diags_free(&t->diags);
	fe_arena_free(&t->arena);
}

static bool yhas(const struct ytest *t, enum fe_diag_code code)
{
	for (size_t i = 0; i < t->diags.len; i++)
		if (t->diags.items[i].code == code)
			return true;
	return false;
}

static void test_scalar_types(void)
{
	static const char text[] = "a: 5\nb: '5'\nc: true\nd: yes\ne: ~\nf:\ng: 1.5\nh: hello\ni: 0x1F\nj: \"null\"\n";
	struct ytest t;
	yparse(&t, text, strlen(text));
	CU_ASSERT_TRUE(t.ok);
	CU_ASSERT_EQUAL(t.file.ndocs, 1);
	const struct fe_ynode *r = t.file.docs[0].root;
	CU_ASSERT_EQUAL(fe_ymap_get(r, "a")->type, FE_YS_INT);
	CU_ASSERT_EQUAL(fe_ymap_get(r, "b")->type, FE_YS_STR);
	CU_ASSERT_EQUAL(fe_ymap_get(r, "c")->type, FE_YS_BOOL);
	CU_ASSERT_TRUE(fe_yscalar_bool(fe_ymap_get(r, "c")));
	CU_ASSERT_EQUAL(fe_ymap_get(r, "d")->type, FE_YS_BOOL);
	CU_ASSERT_EQUAL(fe_ymap_get(r, "e")->type, FE_YS_NULL);
	CU_ASSERT_EQUAL(fe_ymap_get(r, "f")->type, FE_YS_NULL);
	CU_ASSERT_EQUAL(fe_ymap_get(r, "g")->type, FE_YS_FLOAT);
	CU_ASSERT_EQUAL(fe_ymap_get(r, "h")->type, FE_YS_STR);
	long v = 0;
	CU_ASSERT_TRUE(fe_yscalar_long(fe_ymap_get(r, "i"), &v));
	CU_ASSERT_EQUAL(v, 31);
	CU_ASSERT_EQUAL(fe_ymap_get(r, "j")->type, FE_YS_STR);
	yfree(&t);
}

static void test_marks_and_crlf(void)
{
	static const char text[] = "---\r\nkind: x\r\nspec:\r\n  file:  \t# comment\r\n    severity: 3\r\n";
	struct ytest t;
	yparse(&t, text, strlen(text));
	CU_ASSERT_TRUE(t.ok);
	const struct fe_ynode *sev = fe_ymap_get(fe_ymap_get(fe_ymap_get(t.file.docs[0].root, "spec"), "file"),
						 "severity");
	CU_ASSERT_PTR_NOT_NULL_FATAL(sev);
	CU_ASSERT_EQUAL(sev->line, 5);
	CU_ASSERT_EQUAL(sev->col, 15);
	yfree(&t);
}

static void test_multi_doc_and_flow(void)
{
	static const char text[] = "a: [x, y]\n---\nb: {c: d}\n---\n";
	struct ytest t;
	yparse(&t, text, strlen(text));
	CU_ASSERT_TRUE(t.ok);
	CU_ASSERT_EQUAL(t.file.ndocs, 3);
	CU_ASSERT_EQUAL(fe_ymap_get(t.file.docs[0].root, "a")->n, 2);
	CU_ASSERT_STRING_EQUAL(fe_ymap_get(fe_ymap_get(t.file.docs[1].root, "b"), "c")->str, "d");
	CU_ASSERT_PTR_NULL(t.file.docs[2].root);
	yfree(&t);
}

static void test_multiline_and_curly_quotes(void)
{
	static const char text[] = "action:\n  Block\nmessage: \xe2\x80\x9cquoted\xe2\x80\x9d text\n";
	struct ytest t;
	yparse(&t, text, strlen(text));
	CU_ASSERT_TRUE(t.ok);
	CU_ASSERT_STRING_EQUAL(fe_ymap_get(t.file.docs[0].root, "action")->str, "Block");
	CU_ASSERT_STRING_EQUAL(fe_ymap_get(t.file.docs[0].root, "message")->str,
			       "\xe2\x80\x9cquoted\xe2\x80\x9d text");
	yfree(&t);
}

static void test_duplicate_keys(void)
{
	static const char text[] = "a: 1\nb: 2\na: 3\n";
	struct ytest t;
	yparse(&t, text, strlen(text));
	CU_ASSERT_TRUE(yhas(&t, FE_YAML_DUP_KEY));
	CU_ASSERT_EQUAL(t.diags.items[0].loc.line, 3);
	CU_ASSERT_EQUAL(t.diags.items[0].related.line, 1);
	/* the last value wins, as in every YAML loader */
	CU_ASSERT_STRING_EQUAL(fe_ymap_get(t.file.docs[0].root, "a")->str, "3");
	yfree(&t);
}

static void test_duplicate_keys_big_map(void)
{
	/* over 16 keys takes the sorting path */
	char text[4096];
	size_t len = 0;
	for (int i = 0; i < 100; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "k%d: v\n", i);
	len += (size_t)snprintf(text + len, sizeof(text) - len, "k42: again\n");
	struct ytest t;
	yparse(&t, text, len);
	CU_ASSERT_EQUAL(t.diags.errors, 1);
	CU_ASSERT_TRUE(yhas(&t, FE_YAML_DUP_KEY));
	CU_ASSERT_EQUAL(t.diags.items[0].loc.line, 101);
	CU_ASSERT_EQUAL(t.diags.items[0].related.line, 43);
	yfree(&t);
}

static void test_depth_limit(void)
{
	static char text[20002];
	memset(text, '[', 20000);
	text[20000] = '\n';
	struct ytest t;
	yparse(&t, text, 20001);
	CU_ASSERT_FALSE(t.ok);
	CU_ASSERT_TRUE(yhas(&t, FE_YAML_DEPTH));
	yfree(&t);
}

static void test_aliases_refused(void)
{
	static const char text[] = "a: &x [1, 2]\nb: *x\n";
	struct ytest t;
	yparse(&t, text, strlen(text));
	CU_ASSERT_FALSE(t.ok);
	CU_ASSERT_TRUE(yhas(&t, FE_YAML_ALIAS));
	yfree(&t);
}

static void test_binary_and_syntax(void)
{
	static const char bin[] = "a: b\n\0\x01\x02";
	struct ytest t;
	yparse(&t, bin, sizeof(bin) - 1);
	CU_ASSERT_FALSE(t.ok);
	CU_ASSERT_TRUE(yhas(&t, FE_FILE_BINARY));
	CU_ASSERT_EQUAL(t.diags.items[0].loc.line, 2);
	yfree(&t);

	static const char bad_utf8[] = "a: \xff\xfe\n";
	yparse(&t, bad_utf8, strlen(bad_utf8));
	CU_ASSERT_FALSE(t.ok);
	CU_ASSERT_TRUE(yhas(&t, FE_FILE_BINARY));
	yfree(&t);

	static const char trunc[] = "a: \"unterminated\n";
	yparse(&t, trunc, strlen(trunc));
	CU_ASSERT_FALSE(t.ok);
	CU_ASSERT_TRUE(yhas(&t, FE_YAML_SYNTAX));
	CU_ASSERT_TRUE(t.diags.items[0].loc.line >= 1);
	yfree(&t);
}

static void test_tags_and_complex_keys(void)
{
	static const char tagged[] = "a: !!str 5\n";
	struct ytest t;
	yparse(&t, tagged, strlen(tagged));
	CU_ASSERT_TRUE(t.ok);
	CU_ASSERT_EQUAL(fe_ymap_get(t.file.docs[0].root, "a")->type, FE_YS_STR);
	yfree(&t);

	static const char custom[] = "a: !custom 5\n";
	yparse(&t, custom, strlen(custom));
	CU_ASSERT_FALSE(t.ok);
	CU_ASSERT_TRUE(yhas(&t, FE_YAML_TAG));
	yfree(&t);

	static const char complex[] = "? [a, b]\n: x\n";
	yparse(&t, complex, strlen(complex));
	CU_ASSERT_FALSE(t.ok);
	CU_ASSERT_TRUE(yhas(&t, FE_YAML_KEY_TYPE));
	yfree(&t);
}

void test_yaml_register(void)
{
	CU_pSuite s = CU_add_suite("yaml", NULL, NULL);
	CU_add_test(s, "scalar types (YAML 1.1 resolution)", test_scalar_types);
	CU_add_test(s, "line/column marks with CRLF and tabs", test_marks_and_crlf);
	CU_add_test(s, "multi-document streams and flow collections", test_multi_doc_and_flow);
	CU_add_test(s, "multi-line plain scalars and curly quotes", test_multiline_and_curly_quotes);
	CU_add_test(s, "duplicate keys name both places", test_duplicate_keys);
	CU_add_test(s, "duplicate keys in a big mapping", test_duplicate_keys_big_map);
	CU_add_test(s, "20,000 nested [ is an error", test_depth_limit);
	CU_add_test(s, "anchors and aliases are refused", test_aliases_refused);
	CU_add_test(s, "binary, invalid UTF-8, truncated input", test_binary_and_syntax);
	CU_add_test(s, "tags and complex keys", test_tags_and_complex_keys);
}
