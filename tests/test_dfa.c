/* be_dfa (backends/dfa.c): minimal, deterministic automata whose tags are the globs. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

#include "../backends/dfa.h"
#include "../bpf/karmor.h"
#include "unit.h"

/* The automaton of globs[0..n) as the kernel holds it; *d keeps the sets. */
static uint32_t *build(const char *const *globs, size_t n, struct be_dfa *d, uint32_t *nwords)
{
	size_t bad = 0;
	const char *err = NULL;
	CU_ASSERT_EQUAL_FATAL(be_dfa_build(globs, n, KARMOR_DFA_MAX_STATES, d, &bad, &err), BE_DFA_OK);
	uint32_t *w = be_dfa_image(d, nwords);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	return w;
}

/* The globs the automaton says match s: a bit per glob. */
static unsigned matches(const uint32_t *w, const struct be_dfa *d, const char *s)
{
	uint32_t st = karmor_dfa_walk(w, KARMOR_DFA_START, s);
	uint32_t id = w[karmor_dfa_accept(w[KARMOR_DFA_NSTATES], w[KARMOR_DFA_NCLASSES]) + st];
	unsigned bits = 0;
	for (uint32_t i = 0; id && i < d->accept_sets[id - 1].n; i++)
		bits |= 1u << d->accept_sets[id - 1].items[i];
	return bits;
}

static void test_tags(void)
{
	const char *globs[] = {"/tmp/*", "/tmp/**", "/tmp/a.key", "/etc/{passwd,shadow}"};
	struct be_dfa d;
	uint32_t n;
	uint32_t *w = build(globs, 4, &d, &n);
	CU_ASSERT_EQUAL(matches(w, &d, "/tmp/a.key"), 0x7u);
	CU_ASSERT_EQUAL(matches(w, &d, "/tmp/x/y"), 0x2u);	/* '*' stops at '/', '**' does not */
	CU_ASSERT_EQUAL(matches(w, &d, "/tmp/"), 0x0u);	/* a trailing star needs a byte */
	CU_ASSERT_EQUAL(matches(w, &d, "/etc/shadow"), 0x8u);
	CU_ASSERT_EQUAL(matches(w, &d, "/etc/shadow2"), 0x0u);
	/* the walk stops in the dead state at the first byte no glob can continue with */
	CU_ASSERT_EQUAL(karmor_dfa_walk(w, KARMOR_DFA_START, "/usr"), KARMOR_DFA_DEAD);
	free(w);
	be_dfa_free(&d);
}

static void test_minimal_and_deterministic(void)
{
	/* the same language written three ways: one automaton, the same words */
	const char *a[] = {"/x/{a,b}/y"}, *b[] = {"/x/[ab]/y"}, *c[] = {"/x/{b,a}/y"};
	struct be_dfa da, db, dc;
	uint32_t na, nb, nc;
	uint32_t *wa = build(a, 1, &da, &na), *wb = build(b, 1, &db, &nb), *wc = build(c, 1, &dc, &nc);
	CU_ASSERT_EQUAL(da.nstates, 8);	/* dead, start, "/", "/x", "/x/", "/x/a", "/x/a/", "/x/a/y" */
	CU_ASSERT_EQUAL(na, nb);
	CU_ASSERT_EQUAL(na, nc);
	CU_ASSERT(na == nb && memcmp(wa, wb, na * sizeof(*wa)) == 0);
	CU_ASSERT(na == nc && memcmp(wa, wc, na * sizeof(*wa)) == 0);
	free(wa);
	free(wb);
	free(wc);
	be_dfa_free(&da);
	be_dfa_free(&db);
	be_dfa_free(&dc);
}

static void test_below(void)
{
	/* the globs some path strictly below a directory matches: what its rename writes */
	const char *globs[] = {"/k/sec*/key.*", "/var/**/*.log"};
	struct be_dfa d;
	uint32_t n;
	uint32_t *w = build(globs, 2, &d, &n);
	uint32_t ns = w[KARMOR_DFA_NSTATES], k = w[KARMOR_DFA_NCLASSES];
	const char *dirs[] = {"/k", "/k/secA", "/var", "/var/a/b", "/k/open", "/usr"};
	const unsigned want[] = {0x1, 0x1, 0x2, 0x2, 0x0, 0x0};
	for (int i = 0; i < 6; i++) {
		uint32_t id = w[karmor_dfa_below(ns, k) + karmor_dfa_walk(w, KARMOR_DFA_START, dirs[i])];
		unsigned bits = 0;
		for (uint32_t j = 0; id && j < d.below_sets[id - 1].n; j++)
			bits |= 1u << d.below_sets[id - 1].items[j];
		CU_ASSERT_EQUAL(bits, want[i]);
	}
	free(w);
	be_dfa_free(&d);
}

static void test_bounds(void)
{
	/* a glob whose automaton needs more states than allowed is refused, not truncated: "the
	 * 10th byte from the end is an 'a'" takes 2^10 states to remember */
	const char *globs[] = {"/**a??????????"};
	struct be_dfa d;
	size_t bad = 0;
	const char *err = NULL;
	CU_ASSERT_EQUAL(be_dfa_build(globs, 1, 64, &d, &bad, &err), BE_DFA_TOO_BIG);
	CU_ASSERT_PTR_NOT_NULL(err);
	CU_ASSERT_EQUAL(d.nstates, 0);
	CU_ASSERT_EQUAL(be_dfa_build(globs, 1, KARMOR_DFA_MAX_STATES, &d, &bad, &err), BE_DFA_OK);
	CU_ASSERT(d.nstates > 1024);
	be_dfa_free(&d);
	/* a glob that does not read is named */
	const char *broken[] = {"/ok", "/x/[ab"};
	CU_ASSERT_EQUAL(be_dfa_build(broken, 2, KARMOR_DFA_MAX_STATES, &d, &bad, &err), BE_DFA_SYNTAX);
	CU_ASSERT_EQUAL(bad, 1);
}

void test_dfa_register(void)
{
	CU_pSuite s = CU_add_suite("pattern automata", NULL, NULL);
	CU_add_test(s, "accepting states name the globs that match", test_tags);
	CU_add_test(s, "minimal: one language, one automaton, the same words", test_minimal_and_deterministic);
	CU_add_test(s, "the globs below a directory", test_below);
	CU_add_test(s, "too many states refused; a bad glob named", test_bounds);
}
