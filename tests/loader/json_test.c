/*
 * kl_json escaping (runtime-loader/json.c), built and run by tests/loader/run.sh:
 * paths from the kernel are raw bytes, the output must be valid JSON and
 * match what Go's encoding/json (KubeArmor's) writes for the same bytes.
 * Prints one line per failing case and "N cases, M failed"; exit 1 on failure.
 */
#include <stdio.h>
#include <string.h>

#include "loader.h"

struct jcase {
	const char *in;
	size_t len;	/* bytes of in (it may hold NULs) */
	const char *want;
};

#define C(s, w) {s, sizeof(s) - 1, w}

static const struct jcase cases[] = {
	C("/etc/passwd", "\"/etc/passwd\""),
	C("a\"b\\c", "\"a\\\"b\\\\c\""),
	C("tab\there\nnl\rcr", "\"tab\\there\\nnl\\rcr\""),
	C("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\""),
	C("\b\f", "\"\\b\\f\""),
	C("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""),
	C("bad\xff\xfe", "\"bad\\ufffd\\ufffd\""),
	C("trunc\xe2\x82", "\"trunc\\ufffd\\ufffd\""),
	C("overlong\xc0\xaf", "\"overlong\\ufffd\\ufffd\""),
	C("surrogate\xed\xa0\x80", "\"surrogate\\ufffd\\ufffd\\ufffd\""),
	C("big\xf4\x90\x80\x80", "\"big\\ufffd\\ufffd\\ufffd\\ufffd\""),
	C("ls\xe2\x80\xa8ps\xe2\x80\xa9", "\"ls\\u2028ps\\u2029\""),
	C("nul\0after", "\"nul\""),
	C("split\xe2\0\x82\xac", "\"split\\ufffd\""),
	C("", "\"\""),
};

int main(void)
{
	struct kl_json j;
	int failed = 0, n = 0;
	kl_json_init(&j);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++, n++) {
		kl_json_reset(&j);
		kl_json_strn(&j, NULL, cases[i].in, cases[i].len);
		if (j.oom || strcmp(j.buf, cases[i].want)) {
			printf("FAIL case %zu: got %s, want %s\n", i, j.oom ? "(oom)" : j.buf, cases[i].want);
			failed++;
		}
	}
	/* structure: commas, nesting, numbers */
	kl_json_reset(&j);
	kl_json_open(&j, NULL, '{');
	kl_json_str(&j, "a", "x");
	kl_json_u64(&j, "b", 18446744073709551615ull);
	kl_json_i64(&j, "c", -5);
	kl_json_open(&j, "d", '[');
	kl_json_str(&j, NULL, "p");
	kl_json_bool(&j, NULL, 1);
	kl_json_open(&j, NULL, '{');
	kl_json_close(&j, '}');
	kl_json_close(&j, ']');
	kl_json_str(&j, "k\"ey", NULL);
	kl_json_close(&j, '}');
	const char *want = "{\"a\":\"x\",\"b\":18446744073709551615,\"c\":-5,\"d\":[\"p\",true,{}],\"k\\\"ey\":\"\"}";
	n++;
	if (j.oom || strcmp(j.buf, want)) {
		printf("FAIL structure: got %s, want %s\n", j.buf, want);
		failed++;
	}
	n++;
	FILE *null = fopen("/dev/null", "w");
	if (!null || kl_json_print(&j, null) != 0) {
		printf("FAIL print of a complete object\n");
		failed++;
	}
	if (null)
		fclose(null);
	kl_json_free(&j);
	printf("%d cases, %d failed\n", n, failed);
	return failed ? 1 : 0;
}
