#include "targets.h"

#include <assert.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../backends/backend.h"
#include "../frontend/workloads.h"

/* ---- names and identities ---- */

static void kc_slug_append(struct be_buf *b, const char *s, size_t max)
{
	size_t start = b->len;
	for (const char *p = s; *p && b->len - start < max; p++) {
		char c = *p;
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (c >= 'A' && c <= 'Z') {
			c = (char)(c + 32);
			alnum = true;
		}
		if (alnum) {
			char one[2] = {c, 0};
			be_puts(b, one);
		} else if (b->len > start && b->s[b->len - 1] != '-') {
			be_puts(b, "-");
		}
	}
	while (b->len > start && b->s[b->len - 1] == '-')
		b->s[--b->len] = '\0';
}

/* "karmorc-<kind>-<readable slug>-<8 hex of SHA-256(identity)>": stable, unique, legal as an
 * AppArmor profile name and a file name. */
static const char *kc_target_name(struct fe_arena *a, const char *kind, const char *readable, const char *identity)
{
	unsigned char md[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(md, (const unsigned char *)identity, strlen(identity));
	struct be_buf b = {0};
	be_printf(&b, "karmorc-%s-", kind);
	kc_slug_append(&b, readable, 48);
	be_printf(&b, "%s%02x%02x%02x%02x", b.s[b.len - 1] == '-' ? "" : "-", md[0], md[1], md[2], md[3]);
	const char *out = fe_arena_strdup(a, b.s);
	be_buf_free(&b);
	return out;
}

static int kc_cstr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A workload as text, with its labels sorted: the identity of a scenario target. */
static const char *kc_workload_text(struct fe_arena *a, const struct kc_workload *w)
{
	const char **kv = fe_arena_alloc(a, (w->nlabels + 1) * sizeof(*kv));
	for (size_t i = 0; i < w->nlabels; i++)
		kv[i] = fe_arena_printf(a, "%s=%s", w->labels[i].key, w->labels[i].value);
	if (w->nlabels > 1)
		qsort(kv, w->nlabels, sizeof(*kv), kc_cstr_cmp);
	struct be_buf b = {0};
	if (w->host)
		be_puts(&b, "host");
	else
		be_printf(&b, "namespace %s", w->namespace ? w->namespace : "default");
	for (size_t i = 0; i < w->nlabels; i++)
		be_printf(&b, "%s%s", i ? "," : " labels ", kv[i]);
	if (!w->host && w->container)
		be_printf(&b, " container %s", w->container);
	const char *out = fe_arena_strdup(a, b.s);
	be_buf_free(&b);
	return out;
}

/* A policy's selector as text: policies with the same text form one target when there is
 * no workload inventory (DESIGN §3). */
static const char *kc_selector_text(struct fe_arena *a, const struct ir_program *p, const struct ir_policy *pol)
{
	struct be_buf b = {0};
	const struct ir_strtab *s = &p->strs;
	if (pol->kind == IR_HSP)
		be_puts(&b, "host");
	else if (pol->kind == IR_CSP)
		be_puts(&b, "cluster");
	else
		be_printf(&b, "namespace %s", ir_s(s, pol->namespace));
	const char **kv = fe_arena_alloc(a, (pol->nlabels + 1) * sizeof(*kv));
	for (uint32_t i = 0; i < pol->nlabels; i++)
		kv[i] = fe_arena_printf(a, "%s=%s", ir_s(s, pol->labels[i].key), ir_s(s, pol->labels[i].value));
	if (pol->nlabels > 1)
		qsort(kv, pol->nlabels, sizeof(*kv), kc_cstr_cmp);
	for (uint32_t i = 0; i < pol->nlabels; i++)
		be_printf(&b, "%s%s", i ? "," : " labels ", kv[i]);
	for (uint32_t i = 0; i < pol->nexprs; i++) {
		const struct ir_expr *e = &pol->exprs[i];
		be_printf(&b, " %s %s", e->key == IR_EXPR_NAMESPACE ? "namespace" : "label",
			  e->op == IR_OP_IN ? "in" : "notin");
		for (uint32_t v = 0; v < e->values.n; v++)
			be_printf(&b, "%s%s", v ? "," : " ", ir_s(s, e->values.items[v]));
	}
	if (pol->has_containers) {
		be_puts(&b, " containers");
		for (uint32_t i = 0; i < pol->containers.n; i++)
			be_printf(&b, "%s%s", i ? "," : " ", ir_s(s, pol->containers.items[i]));
	}
	const char *out = fe_arena_strdup(a, b.s);
	be_buf_free(&b);
	return out;
}

/* ---- the index: identity text -> target ---- */

void kc_targets_init(struct kc_targets *ts)
{
	memset(ts, 0, sizeof(*ts));
}

void kc_targets_free(struct kc_targets *ts)
{
	free(ts->items);
	free(ts->keys);
	fe_hindex_free(&ts->index);
	memset(ts, 0, sizeof(*ts));
}

/* The target with identity `key`, or a new empty one (*added set) appended at the end. */
static size_t kc_targets_find_or_add(struct kc_targets *ts, const char *key, bool *added)
{
	uint32_t h = fe_hash(key, strlen(key)), id;
	for (uint32_t c = fe_hindex_first(&ts->index, h); fe_hindex_next(&ts->index, h, &c, &id);) {
		if (strcmp(ts->keys[id], key) == 0) {
			*added = false;
			return id;
		}
	}
	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? ts->cap * 2 : 16;
		/* each kept as soon as it is grown: an out-of-memory exit leaves nothing unowned */
		struct ir_target *items = realloc(ts->items, ts->cap * sizeof(*items));
		if (!items)
			fe_oom();
		ts->items = items;
		const char **keys = realloc(ts->keys, ts->cap * sizeof(*keys));
		if (!keys)
			fe_oom();
		ts->keys = keys;
	}
	memset(&ts->items[ts->n], 0, sizeof(ts->items[ts->n]));
	ts->keys[ts->n] = key;
	fe_hindex_add(&ts->index, h, (uint32_t)ts->n);
	*added = true;
	return ts->n++;
}

/* ---- building targets ---- */

/* t holds the policies pols[0..np) (program order) and their rules, in program order:
 * one allocation each, however many policies (the one way every target is filled) */
static void kc_target_bind(struct fe_arena *a, struct ir_target *t, const struct ir_program *p,
			   const uint32_t *pols, uint32_t np)
{
	uint32_t nr = 0;
	for (uint32_t i = 0; i < np; i++)
		nr += p->policies[pols[i]].nrules;
	uint32_t *tp = fe_arena_alloc(a, (np + 1) * sizeof(*tp));
	uint32_t *tr = fe_arena_alloc(a, (nr + 1) * sizeof(*tr));
	if (np)
		memcpy(tp, pols, np * sizeof(*tp));
	uint32_t k = 0;
	for (uint32_t i = 0; i < np; i++) {
		const struct ir_policy *pol = &p->policies[pols[i]];
		for (uint32_t r = 0; r < pol->nrules; r++)
			tr[k++] = pol->first_rule + r;
	}
	t->policies = tp;
	t->npolicies = np;
	t->rules = tr;
	t->nrules = nr;
}

/* scratch for a list of policy indices: one per policy of p */
static uint32_t *kc_policy_scratch(const struct ir_program *p)
{
	uint32_t *s = malloc((p->npolicies + 1) * sizeof(*s));
	if (!s) {
		fe_oom();
	}
	return s;
}

/* the policies that select w, in program order, into scratch; returns their number */
static uint32_t kc_selecting(const struct ir_program *p, const struct kc_workload *w, uint32_t *scratch)
{
	uint32_t np = 0;
	for (uint32_t i = 0; i < p->npolicies; i++)
		if (kc_selects(p, &p->policies[i], w))
			scratch[np++] = i;
	return np;
}

void kc_targets_from_selectors(struct kc_targets *ts, struct fe_arena *a, const struct ir_program *p,
			       const enum ir_posture posture[IR_PC_COUNT])
{
	/* the target of each policy, then each target's policies (a counting sort keeps
	 * program order) */
	assert(ts->n == 0);	/* the selectors' targets are the whole set */
	uint32_t *of = kc_policy_scratch(p), *grouped = kc_policy_scratch(p);
	for (uint32_t i = 0; i < p->npolicies; i++) {
		const struct ir_policy *pol = &p->policies[i];
		const char *key = kc_selector_text(a, p, pol);
		bool added;
		size_t t = kc_targets_find_or_add(ts, key, &added);
		struct ir_target *nt = &ts->items[t];
		if (added) {
			const char *kind = pol->kind == IR_HSP ? "host" : pol->kind == IR_CSP ? "cluster" : "ns";
			nt->name = kc_target_name(a, kind, key, key);
			nt->describe = fe_arena_printf(a, "the selector %s", key);
			nt->host = pol->kind == IR_HSP;
			memcpy(nt->posture, posture, sizeof(nt->posture));
		}
		of[i] = (uint32_t)t;
	}
	size_t nt = ts->n;
	uint32_t *start = calloc(nt + 1, sizeof(*start));
	if (!start) {
		fe_oom();
	}
	for (uint32_t i = 0; i < p->npolicies; i++)
		start[of[i] + 1]++;
	for (size_t t = 0; t < nt; t++)
		start[t + 1] += start[t];
	uint32_t *fill = kc_policy_scratch(p);
	memcpy(fill, start, nt * sizeof(*fill));
	for (uint32_t i = 0; i < p->npolicies; i++)
		grouped[fill[of[i]]++] = i;
	for (size_t t = 0; t < nt; t++)
		kc_target_bind(a, &ts->items[t], p, grouped + start[t], start[t + 1] - start[t]);
	free(fill);
	free(start);
	free(grouped);
	free(of);
}

size_t kc_targets_add_workload(struct kc_targets *ts, struct fe_arena *a, const struct ir_program *p,
			       const struct kc_workload *w, const enum ir_posture posture[IR_PC_COUNT])
{
	const char *key = kc_workload_text(a, w);
	bool added;
	size_t t = kc_targets_find_or_add(ts, key, &added);
	if (!added)
		return t;
	struct ir_target *nt = &ts->items[t];
	uint32_t *pols = kc_policy_scratch(p);
	kc_target_bind(a, nt, p, pols, kc_selecting(p, w, pols));
	free(pols);
	nt->name = kc_target_name(a, w->host ? "host" : "wl", key, key);
	nt->describe = fe_arena_printf(a, "the workload %s", key);
	nt->host = w->host;
	memcpy(nt->posture, posture, sizeof(nt->posture));
	return t;
}

void kc_target_scenario_identity(struct fe_arena *a, struct ir_target *t, const struct kc_workload *w,
				 struct fe_loc where)
{
	if (t->identity)
		return;
	const char *key = kc_workload_text(a, w);
	const char *name = fe_arena_printf(a, "scenario-%08x", fe_hash(key, strlen(key)));
	struct ir_kv *labels = fe_arena_alloc(a, (w->nlabels + 1) * sizeof(*labels));
	for (size_t i = 0; i < w->nlabels; i++) {
		labels[i] = (struct ir_kv){w->labels[i].key, w->labels[i].value};
		if (w->host && strcmp(w->labels[i].key, "kubernetes.io/hostname") == 0)
			name = w->labels[i].value;
	}
	struct ir_identity *id = fe_arena_zalloc(a, sizeof(*id));
	if (w->host)
		*id = (struct ir_identity){.kind = "Node", .workload = name};
	else
		*id = (struct ir_identity){.namespace = w->namespace ? w->namespace : "default", .kind = "Pod",
					   .workload = name, .pod = name,
					   .container = w->container ? w->container : "scenario", .image = "scenario"};
	id->labels = labels;
	id->nlabels = (uint32_t)w->nlabels;
	id->loc = where;
	t->identity = id;
}

/* ---- selection (DESIGN §4.7) ---- */

static bool kc_label_present(const struct kc_workload *w, const char *key, const char *value)
{
	for (size_t i = 0; i < w->nlabels; i++)
		if (strcmp(w->labels[i].key, key) == 0 && strcmp(w->labels[i].value, value) == 0)
			return true;
	return false;
}

/* "k=v" from a matchExpressions value */
static bool kc_kv_present(const struct kc_workload *w, const char *kv)
{
	const char *eq = strchr(kv, '=');
	for (size_t i = 0; i < w->nlabels; i++) {
		size_t kl = strlen(w->labels[i].key);
		if (eq) {
			if ((size_t)(eq - kv) == kl && strncmp(kv, w->labels[i].key, kl) == 0 &&
			    strcmp(eq + 1, w->labels[i].value) == 0)
				return true;
		} else if (strcmp(kv, w->labels[i].key) == 0) {
			return true;	/* a bare key: the label is present with any value */
		}
	}
	return false;
}

static bool kc_hostname_matches(const struct kc_workload *w, const char *key, const char *value)
{
	if (strcmp(value, "*") == 0)
		return true;
	/* comma-separated host names */
	const char *p = value;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		for (size_t i = 0; i < w->nlabels; i++)
			if (strcmp(w->labels[i].key, key) == 0 && strlen(w->labels[i].value) == len &&
			    strncmp(w->labels[i].value, p, len) == 0)
				return true;
		if (!e)
			return false;
		p = e + 1;
	}
}

static bool kc_exprs_match(const struct ir_program *p, const struct ir_policy *pol, const struct kc_workload *w)
{
	const char *ns = w->namespace ? w->namespace : "default";
	for (uint32_t i = 0; i < pol->nexprs; i++) {
		const struct ir_expr *e = &pol->exprs[i];
		bool any = false;
		for (uint32_t v = 0; v < e->values.n && !any; v++) {
			const char *val = ir_s(&p->strs, e->values.items[v]);
			any = e->key == IR_EXPR_NAMESPACE ? strcmp(val, ns) == 0 : kc_kv_present(w, val);
		}
		if (e->op == IR_OP_IN ? !any : any)
			return false;
	}
	return true;
}

bool kc_selects(const struct ir_program *p, const struct ir_policy *pol, const struct kc_workload *w)
{
	if (pol->kind == IR_HSP) {
		if (!w->host)
			return false;
		for (uint32_t i = 0; i < pol->nlabels; i++) {
			const char *k = ir_s(&p->strs, pol->labels[i].key), *v = ir_s(&p->strs, pol->labels[i].value);
			bool ok = (strcmp(k, "kubearmor.io/hostname") == 0 || strcmp(k, "kubernetes.io/hostname") == 0)
					  ? kc_hostname_matches(w, k, v)
					  : kc_label_present(w, k, v);
			if (!ok)
				return false;
		}
		return true;
	}
	if (w->host)
		return false;
	const char *ns = w->namespace ? w->namespace : "default";
	if (pol->kind == IR_KSP && strcmp(ir_s(&p->strs, pol->namespace), ns) != 0)
		return false;
	for (uint32_t i = 0; i < pol->nlabels; i++)
		if (!kc_label_present(w, ir_s(&p->strs, pol->labels[i].key), ir_s(&p->strs, pol->labels[i].value)))
			return false;
	if (!kc_exprs_match(p, pol, w))
		return false;
	if (pol->has_containers) {
		bool found = false;
		for (uint32_t i = 0; i < pol->containers.n && !found; i++)
			found = w->container && strcmp(ir_s(&p->strs, pol->containers.items[i]), w->container) == 0;
		if (!found)
			return false;
	}
	return true;
}

/* ------------------------------------------- targets of a workload inventory */

static struct kc_label *wl_kc_labels(struct fe_arena *a, const struct ir_kv *kv, uint32_t n, size_t extra)
{
	struct kc_label *l = fe_arena_alloc(a, (n + extra + 1) * sizeof(*l));
	for (uint32_t i = 0; i < n; i++) {
		l[i].key = kv[i].key;
		l[i].value = kv[i].value;
	}
	return l;
}

/* the next target of an inventory: keyed by its identity text, which the inventory
 * makes unique (fe_inventory_finish drops duplicates) */
static struct ir_target *kc_inventory_target(struct kc_targets *ts, const char *ident)
{
	bool added;
	size_t t = kc_targets_find_or_add(ts, ident, &added);
	assert(added);
	return &ts->items[t];
}

void kc_targets_from_inventory(struct kc_targets *ts, struct fe_arena *a, const struct ir_program *p,
			       const struct fe_inventory *inv, const enum ir_posture defaults[IR_PC_COUNT])
{
	assert(ts->n == 0);	/* the inventory's targets are the whole set */
	uint32_t *scratch = kc_policy_scratch(p);
	for (size_t i = 0; i < inv->nworkloads; i++) {
		const struct fe_workload *w = &inv->workloads[i];
		const struct fe_namespace *ns = fe_inventory_namespace(inv, w->namespace);
		const char *kind = fe_wl_kind_name(w->kind);
		const char *pod = w->kind == FE_WL_POD ? w->name : fe_arena_printf(a, "%s-*", w->name);
		struct kc_label *labels = wl_kc_labels(a, w->labels, w->nlabels, 0);
		for (uint32_t c = 0; c < w->ncontainers; c++) {
			const struct fe_container *ct = &w->containers[c];
			const char *ident = fe_arena_printf(a, "namespace %s %s %s container %s", w->namespace, kind,
							    w->name, ct->name);
			struct ir_target *t = kc_inventory_target(ts, ident);
			struct ir_identity *id = fe_arena_zalloc(a, sizeof(*id));
			*id = (struct ir_identity){w->namespace, kind, w->name, pod, ct->name, ct->image, ct->init,
						   w->labels, w->nlabels, ct->loc, {{0}}};
			fe_namespace_posture(ns, defaults, t->posture);
			for (int pc = 0; pc < IR_PC_COUNT && ns; pc++)
				if (ns->has_posture[pc])
					id->posture_loc[pc] = ns->posture_loc[pc];
			t->name = kc_target_name(a, "wl", fe_arena_printf(a, "%s-%s-%s", w->namespace, w->name,
									  ct->name), ident);
			t->describe = fe_arena_printf(a, "the %scontainer %s of %s %s/%s", ct->init ? "init " : "",
						      ct->name, kind, w->namespace, w->name);
			t->identity = id;
			struct kc_workload kw = {false, w->namespace, labels, w->nlabels, ct->name};
			kc_target_bind(a, t, p, scratch, kc_selecting(p, &kw, scratch));
		}
	}
	for (size_t i = 0; i < inv->nnodes; i++) {
		const struct fe_node *nd = &inv->nodes[i];
		struct ir_target *t = kc_inventory_target(ts, fe_arena_printf(a, "node %s", nd->name));
		struct ir_identity *id = fe_arena_zalloc(a, sizeof(*id));
		*id = (struct ir_identity){NULL, "Node", nd->name, NULL, NULL, NULL, false, nd->labels, nd->nlabels,
					   nd->loc, {{0}}};
		memcpy(t->posture, defaults, sizeof(t->posture));
		t->host = true;
		t->name = kc_target_name(a, "host", nd->name, fe_arena_printf(a, "node %s", nd->name));
		t->describe = fe_arena_printf(a, "the node %s", nd->name);
		t->identity = id;
		/* KubeArmor matches kubearmor.io/hostname against the node's own name
		 * (DESIGN §4.7); a node object need not carry that label */
		struct kc_label *labels = wl_kc_labels(a, nd->labels, nd->nlabels, 1);
		size_t nl = nd->nlabels;
		bool has = false;
		for (uint32_t l = 0; l < nd->nlabels; l++)
			has |= strcmp(nd->labels[l].key, "kubearmor.io/hostname") == 0;
		if (!has) {
			labels[nl].key = "kubearmor.io/hostname";
			labels[nl].value = nd->name;
			nl++;
		}
		struct kc_workload kw = {true, NULL, labels, nl, NULL};
		kc_target_bind(a, t, p, scratch, kc_selecting(p, &kw, scratch));
	}
	free(scratch);
}

size_t kc_targets_find_identity(const struct kc_targets *ts, bool host, const char *ns, const char *kind,
				const char *name, const char *container, size_t *count)
{
	size_t found = (size_t)-1;
	*count = 0;
	for (size_t i = 0; i < ts->n; i++) {
		const struct ir_identity *id = ts->items[i].identity;
		if (!id || ts->items[i].host != host || strcmp(id->workload, name) != 0)
			continue;
		if (!host && (strcmp(id->namespace, ns) != 0 || (kind && strcasecmp(id->kind, kind) != 0) ||
			      (container && strcmp(id->container, container) != 0)))
			continue;
		if ((*count)++ == 0)
			found = i;
	}
	return found;
}
