#include "ir.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *ir_xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		fe_oom();
	return p;
}

void ir_strtab_init(struct ir_strtab *t, struct fe_arena *a)
{
	memset(t, 0, sizeof(*t));
	t->arena = a;
	ir_intern(t, "", 0);	/* id 0 */
}

void ir_strtab_free(struct ir_strtab *t)
{
	free(t->strs);
	free(t->lens);
	fe_hindex_free(&t->index);
	memset(t, 0, sizeof(*t));
}

ir_str ir_intern(struct ir_strtab *t, const char *s, size_t len)
{
	uint32_t h = fe_hash_text(s, len), id;
	for (uint32_t c = fe_hindex_first(&t->index, h); fe_hindex_next(&t->index, h, &c, &id);)
		if (t->lens[id] == len && memcmp(t->strs[id], s, len) == 0)
			return id;
	if (t->count == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->strs = ir_xrealloc(t->strs, t->cap * sizeof(*t->strs));
		t->lens = ir_xrealloc(t->lens, t->cap * sizeof(*t->lens));
	}
	id = t->count++;
	t->strs[id] = fe_arena_strndup(t->arena, s, len);
	t->lens[id] = (uint32_t)len;
	fe_hindex_add(&t->index, h, id);
	return id;
}

ir_str ir_intern_cstr(struct ir_strtab *t, const char *s)
{
	return ir_intern(t, s, strlen(s));
}

void ir_program_init(struct ir_program *p, struct fe_arena *a)
{
	memset(p, 0, sizeof(*p));
	p->arena = a;
	ir_strtab_init(&p->strs, a);
}

void ir_program_free(struct ir_program *p)
{
	ir_strtab_free(&p->strs);
	free(p->policies);
	free(p->rules);
	memset(p, 0, sizeof(*p));
}

uint32_t ir_program_add(struct ir_program *p, const struct ir_policy *pol, const struct ir_rule *rules,
			uint32_t nrules)
{
	assert(!p->finished);
	if (p->npolicies == p->policies_cap) {
		p->policies_cap = p->policies_cap ? p->policies_cap * 2 : 64;
		p->policies = ir_xrealloc(p->policies, p->policies_cap * sizeof(*p->policies));
	}
	if (p->count_rules_only) {
		(void)rules;	/* NULL here: lowering kept none */
		uint32_t idx = p->npolicies++;
		p->policies[idx] = *pol;
		p->policies[idx].first_rule = 0;
		p->policies[idx].nrules = 0;
		p->nrules += nrules;
		return idx;
	}
	if (p->nrules + nrules > p->rules_cap) {
		while (p->nrules + nrules > p->rules_cap)
			p->rules_cap = p->rules_cap ? p->rules_cap * 2 : 256;
		p->rules = ir_xrealloc(p->rules, p->rules_cap * sizeof(*p->rules));
	}
	uint32_t idx = p->npolicies++;
	p->policies[idx] = *pol;
	p->policies[idx].first_rule = p->nrules;
	p->policies[idx].nrules = nrules;
	if (nrules)
		memcpy(p->rules + p->nrules, rules, nrules * sizeof(*rules));
	p->nrules += nrules;
	return idx;
}

/* qsort needs the string table; programs are finished one at a time. */
static const struct ir_program *ir_sort_program;

static int ir_policy_cmp(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	const struct ir_policy *x = &ir_sort_program->policies[a], *y = &ir_sort_program->policies[b];
	const struct ir_strtab *t = &ir_sort_program->strs;
	int c = strcmp(ir_s(t, x->name), ir_s(t, y->name));
	if (c)
		return c;
	if ((c = strcmp(ir_s(t, x->namespace), ir_s(t, y->namespace))))
		return c;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	if ((c = strcmp(x->loc.src->name, y->loc.src->name)))
		return c;
	if (x->doc_index != y->doc_index)
		return x->doc_index < y->doc_index ? -1 : 1;
	return a < b ? -1 : a > b;
}

void ir_program_finish(struct ir_program *p)
{
	assert(!p->finished);
	uint32_t n = p->npolicies;
	uint32_t *order = ir_xrealloc(NULL, (n ? n : 1) * sizeof(*order));
	for (uint32_t i = 0; i < n; i++)
		order[i] = i;
	ir_sort_program = p;
	qsort(order, n, sizeof(*order), ir_policy_cmp);
	ir_sort_program = NULL;

	/* Rules move to their policy's new place, in place (a cycle permutation): the rule
	 * array is the biggest thing a compilation holds, so it is never copied whole. */
	uint32_t total = p->count_rules_only ? 0 : p->nrules;
	struct ir_policy *pols = ir_xrealloc(NULL, (n ? n : 1) * sizeof(*pols));
	uint32_t *dest = ir_xrealloc(NULL, (total ? total : 1) * sizeof(*dest));
	uint32_t next = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct ir_policy *old = &p->policies[order[i]];
		pols[i] = *old;
		pols[i].first_rule = next;
		for (uint32_t r = 0; r < old->nrules; r++) {
			dest[old->first_rule + r] = next + r;
			p->rules[old->first_rule + r].policy = i;
		}
		next += old->nrules;
	}
	assert(next == total);
	for (uint32_t i = 0; i < total; i++) {
		while (dest[i] != i) {
			uint32_t j = dest[i];
			struct ir_rule tmp = p->rules[j];
			p->rules[j] = p->rules[i];
			p->rules[i] = tmp;
			dest[i] = dest[j];
			dest[j] = j;
		}
	}
	free(dest);
	free(p->policies);
	p->policies = pols;
	p->policies_cap = n;
	free(order);
	p->finished = true;
}

enum ir_posture_class ir_posture_class_of(enum ir_class c)
{
	switch (c) {
	case IR_NETWORK: return IR_PC_NETWORK;
	case IR_CAPABILITY: return IR_PC_CAPABILITIES;
	default: return IR_PC_FILE;
	}
}

const char *ir_kind_name(enum ir_kind k)
{
	static const char *const names[] = {
#define FE_KIND(e, name) [e] = #name,
#include "names.def"
	};
	return names[k];
}

const char *ir_class_name(enum ir_class c)
{
	static const char *const names[] = {"process", "file", "network", "capabilities", "syscalls", "presets",
					    "device"};
	return names[c];
}

const char *ir_match_name(enum ir_match m)
{
	static const char *const names[] = {"path", "dir", "dir (recursive)", "pattern", "execname", "protocol",
					    "capability", "syscall", "domain", "preset", "device"};
	return names[m];
}

const char *ir_action_name(enum ir_action a)
{
	static const char *const names[] = {
#define FE_ACTION(e, name, lower) [e] = #name,
#include "names.def"
	};
	return names[a];
}

const char *ir_posture_name(enum ir_posture p)
{
	return p == IR_POSTURE_BLOCK ? "block" : "audit";
}

const char *ir_posture_class_name(enum ir_posture_class c)
{
	static const char *const names[] = {"file", "network", "capabilities"};
	return names[c];
}

const struct ir_baseline_entry ir_baseline[] = {
	{"/lib/", true, false},
	{"/lib64/", true, false},
	{"/usr/lib/", true, false},
	{"/etc/ld.so.cache", true, false},
	{"/dev/null", true, true},
	{"/dev/zero", true, true},
	{"/dev/urandom", true, false},
	{"/dev/random", true, false},
};
const size_t ir_baseline_count = sizeof(ir_baseline) / sizeof(ir_baseline[0]);

long ir_baseline_find(const char *path, bool write)
{
	for (size_t i = 0; i < ir_baseline_count; i++) {
		const struct ir_baseline_entry *b = &ir_baseline[i];
		size_t len = strlen(b->path);
		bool hit = b->path[len - 1] == '/' ? strncmp(path, b->path, len) == 0 : strcmp(path, b->path) == 0;
		if (hit && (write ? b->write : b->read))
			return (long)i;
	}
	return -1;
}

const struct ir_policy *ir_target_allows_mount(const struct ir_program *p, const struct ir_target *t)
{
	for (uint32_t i = 0; i < t->npolicies; i++)
		if (p->policies[t->policies[i]].allow_mount)
			return &p->policies[t->policies[i]];
	return NULL;
}
