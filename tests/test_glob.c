/* fe_glob: AppArmor glob semantics through PCRE2. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "../frontend/glob.h"
#include "unit.h"

static int glob_match(const char *glob, const char *path)
{
	struct fe_arena a;
	fe_arena_init(&a);
	const char *err;
	char *re = fe_glob_to_regex(&a, glob, &err);
	int result = -1;
	if (re) {
		int code;
		PCRE2_SIZE off;
		pcre2_code *c = pcre2_compile((PCRE2_SPTR)re, PCRE2_ZERO_TERMINATED, PCRE2_DOLLAR_ENDONLY | PCRE2_DOTALL,
					      &code, &off, NULL);
		if (c) {
			pcre2_match_data *md = pcre2_match_data_create(1, NULL);
			result = pcre2_match(c, (PCRE2_SPTR)path, strlen(path), 0, 0, md, NULL) >= 0;
			pcre2_match_data_free(md);
			pcre2_code_free(c);
		}
	}
	fe_arena_free(&a);
	return result;
}

static void test_star(void)
{
	CU_ASSERT_EQUAL(glob_match("/etc/*.conf", "/etc/a.conf"), 1);
	CU_ASSERT_EQUAL(glob_match("/etc/*.conf", "/etc/x/a.conf"), 0);
	CU_ASSERT_EQUAL(glob_match("/etc/*", "/etc/passwd"), 1);
	CU_ASSERT_EQUAL(glob_match("/etc/*", "/etc/"), 0);	/* trailing star needs a character */
	CU_ASSERT_EQUAL(glob_match("/home/*/.bashrc", "/home/u/.bashrc"), 1);
}

static void test_double_star(void)
{
	CU_ASSERT_EQUAL(glob_match("/var/**", "/var/log/a/b"), 1);
	CU_ASSERT_EQUAL(glob_match("/var/**", "/var/"), 0);
	CU_ASSERT_EQUAL(glob_match("/**/liblzma.so.5", "/usr/lib/x86_64/liblzma.so.5"), 1);
	CU_ASSERT_EQUAL(glob_match("/**/liblzma.so.5", "/liblzma.so.5x"), 0);
	CU_ASSERT_EQUAL(glob_match("/etc/{,**}", "/etc/"), 1);
	CU_ASSERT_EQUAL(glob_match("/etc/{,**}", "/etc/a/b"), 1);
}

static void test_classes_and_alternation(void)
{
	CU_ASSERT_EQUAL(glob_match("/tmp/file?", "/tmp/file1"), 1);
	CU_ASSERT_EQUAL(glob_match("/tmp/file?", "/tmp/file/"), 0);
	CU_ASSERT_EQUAL(glob_match("/dev/tty[0-9]", "/dev/tty7"), 1);
	CU_ASSERT_EQUAL(glob_match("/dev/tty[^0-9]", "/dev/tty7"), 0);
	CU_ASSERT_EQUAL(glob_match("/usr/{s,}bin/x", "/usr/sbin/x"), 1);
	CU_ASSERT_EQUAL(glob_match("/usr/{s,}bin/x", "/usr/bin/x"), 1);
	CU_ASSERT_EQUAL(glob_match("/usr/{s,}bin/x", "/usr/xbin/x"), 0);
	CU_ASSERT_EQUAL(glob_match("/a/{b,{c,d}}/e", "/a/d/e"), 1);
	/* regex metacharacters are literal in globs */
	CU_ASSERT_EQUAL(glob_match("/a.b+c", "/a.b+c"), 1);
	CU_ASSERT_EQUAL(glob_match("/a.b+c", "/aXbbc"), 0);
}

static void test_bad_globs(void)
{
	struct fe_arena a;
	fe_arena_init(&a);
	const char *err;
	CU_ASSERT_PTR_NULL(fe_glob_to_regex(&a, "/a/{b,c", &err));
	CU_ASSERT_PTR_NOT_NULL(err);
	CU_ASSERT_PTR_NULL(fe_glob_to_regex(&a, "/a/[bc", &err));
	CU_ASSERT_PTR_NULL(fe_glob_to_regex(&a, "/a/b}", &err));
	/* AppArmor refuses a group with a single alternative */
	CU_ASSERT_PTR_NULL(fe_glob_to_regex(&a, "/a/{b}", &err));
	CU_ASSERT_PTR_NOT_NULL(fe_glob_to_regex(&a, "/a/{b,{c,d}}", &err));
	fe_arena_free(&a);
}

void test_glob_register(void)
{
	CU_pSuite s = CU_add_suite("glob", NULL, NULL);
	CU_add_test(s, "* stays within a component", test_star);
	CU_add_test(s, "** crosses components", test_double_star);
	CU_add_test(s, "?, [...] and {a,b}", test_classes_and_alternation);
	CU_add_test(s, "malformed globs are refused", test_bad_globs);
}
