/*
 * be_dfa: a set of AppArmor globs (matchPatterns) compiled into one deterministic,
 * minimised automaton over bytes, with tagged accepting states: what the BPF programs
 * walk over a resolved path in O(path length) (bpf/karmor.h, "pattern automata").
 *
 * The automaton is built from the very regexes the verdict model matches with PCRE2
 * (fe_glob_to_regex), so a glob has one meaning: each regex is parsed (the subset
 * fe_glob_to_regex writes: literals, escapes, classes with ranges and negation, '*',
 * '+', '?', non-capturing groups with '|', anchored by ^ and $), turned into an NFA
 * (Thompson), made deterministic over byte classes (bytes no regex tells apart share
 * a column) by subset construction, and minimised (Moore: states are split until
 * states in one block agree on their tags and on the block of every successor).
 *
 * State 0 is the dead state (every transition returns to it: the walk can stop), state
 * 1 the start; the others are numbered breadth-first, so the result is deterministic.
 * For every state the compiler also knows which globs match some path strictly below
 * it (the state after a '/' and at least one more byte): renaming a directory is a
 * write of every path below it that a rule protects (DESIGN §4.12).
 */
#ifndef BE_DFA_H
#define BE_DFA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A set of glob indices (ascending), named by an id 1.. in the automaton. */
struct be_dfa_set {
	uint32_t *items;
	uint32_t n;
};

struct be_dfa {
	uint32_t nstates, nclasses;
	uint8_t classes[256];	/* byte -> column */
	uint32_t *trans;	/* nstates * nclasses: next state */
	uint32_t *accept;	/* per state: id of the globs that match a path ending here (0: none) */
	uint32_t *below;	/* per state: id of the globs that match a path strictly below it */
	struct be_dfa_set *accept_sets, *below_sets;	/* [id - 1] */
	uint32_t naccept, nbelow;
};

enum be_dfa_status { BE_DFA_OK = 0, BE_DFA_SYNTAX, BE_DFA_TOO_BIG };

/* Builds the automaton of globs[0..n).  BE_DFA_SYNTAX: glob *bad cannot be read (*err
 * says why); BE_DFA_TOO_BIG: more than max_states states (before or after
 * minimisation).  On failure *d is empty. */
enum be_dfa_status be_dfa_build(const char *const *globs, size_t n, uint32_t max_states, struct be_dfa *d,
				size_t *bad, const char **err);
void be_dfa_free(struct be_dfa *d);

/* The automaton as the kernel's karmor_dfa map holds it from its base (bpf/karmor.h,
 * "pattern automata"), malloc'ed, *nwords words; NULL when out of memory. */
uint32_t *be_dfa_image(const struct be_dfa *d, uint32_t *nwords);

#endif
