/*
 * kl_json escaping (runtime-loader/json.c), built and run by tests/loader/run.sh:
 * paths from the kernel are raw bytes, the output must be valid JSON and
 * match what Go's encoding/json (KubeArmor's) writes for the same bytes;
 * nesting past KL_JSON_DEPTH is refused without writing out of bounds (the
 * sanitizer build checks that); kl_vis leaves nothing a terminal acts on.
 * Prints one line per failing case and "N cases, M failed"; exit 1 on failure.
 */
#include <stdio.h>
#include <stdlib.h>
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

/* text output (kl_vis): what a terminal would act on becomes \xHH */
static const struct jcase vis_cases[] = {
	C("/etc/passwd", "/etc/passwd"),
	C("esc\x1b[31mred\x1b]0;title\x07", "esc\\x1b[31mred\\x1b]0;title\\x07"),
	C("nl\ncr\rtab\tdel\x7f", "nl\\x0acr\\x0dtab\\x09del\\x7f"),
	C("back\\slash", "back\\x5cslash"),
	C("csi\xc2\x9b" "2J nbsp\xc2\xa0", "csi\\xc2\\x9b" "2J nbsp\xc2\xa0"),
	C("raw c1\x9b bad\xff", "raw c1\\x9b bad\\xff"),
	C("caf\xc3\xa9 \xe2\x82\xac", "caf\xc3\xa9 \xe2\x82\xac"),
	C("trunc\xe2\x82", "trunc\\xe2\\x82"),
	C("nul\0after", "nul"),
	C("", ""),
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

	/* nesting: KL_JSON_DEPTH levels are fine; more are refused, and writing on
	 * past them (members, closes) stays within first[].  The writer is on the
	 * heap, sized exactly, and goes far past the limit, so the sanitizer build
	 * sees any write beyond it */
	static const int extras[] = {0, 1, 2, 40};
	for (size_t x = 0; x < sizeof(extras) / sizeof(extras[0]); x++) {
		int levels = KL_JSON_DEPTH + extras[x];
		struct kl_json *h = malloc(sizeof(*h));
		if (!h) {
			printf("FAIL out of memory\n");
			return 1;
		}
		kl_json_init(h);
		for (int k = 0; k < levels; k++)
			kl_json_open(h, k ? "k" : NULL, '{');
		kl_json_str(h, "x", "y");
		kl_json_u64(h, "n", 1);
		for (int k = 0; k < levels; k++)
			kl_json_close(h, '}');
		int refused = kl_json_print(h, null ? null : stdout) != 0;
		n++;
		if (refused != (extras[x] > 0) || h->depth != 0 || h->excess != 0) {
			printf("FAIL nesting %d levels: print %s, depth %d, excess %u\n", levels,
			       refused ? "refused" : "accepted", h->depth, h->excess);
			failed++;
		}
		kl_json_free(h);
		free(h);
	}
	kl_json_reset(&j);
	kl_json_close(&j, '}');
	n++;
	if (kl_json_print(&j, null ? null : stdout) == 0 || j.depth != 0) {
		printf("FAIL a close without an open is accepted\n");
		failed++;
	}
	if (null)
		fclose(null);
	kl_json_free(&j);

	for (size_t i = 0; i < sizeof(vis_cases) / sizeof(vis_cases[0]); i++, n++) {
		const char *got = kl_visn(vis_cases[i].in, vis_cases[i].len);
		if (strcmp(got, vis_cases[i].want)) {
			printf("FAIL kl_vis case %zu: got %s, want %s\n", i, got, vis_cases[i].want);
			failed++;
		}
	}
	/* the rotating buffers: KL_VIS_SLOTS results stay valid together */
	const char *keep[KL_VIS_SLOTS];
	char want_k[KL_VIS_SLOTS][16];
	for (int k = 0; k < KL_VIS_SLOTS; k++) {
		snprintf(want_k[k], sizeof(want_k[k]), "s%d\\x1b", k);
		char in[16];
		snprintf(in, sizeof(in), "s%d\x1b", k);
		keep[k] = kl_vis(in);
	}
	n++;
	for (int k = 0; k < KL_VIS_SLOTS; k++) {
		if (strcmp(keep[k], want_k[k])) {
			printf("FAIL kl_vis slot %d: %s, want %s\n", k, keep[k], want_k[k]);
			failed++;
			break;
		}
	}
	printf("%d cases, %d failed\n", n, failed);
	return failed ? 1 : 0;
}
