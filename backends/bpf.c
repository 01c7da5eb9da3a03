/*
 * The BPF-LSM backend: one map image per target (bpf/karmor.h, "the image"), which
 * karmor-loader copies into the maps of the fixed, policy-agnostic object
 * (bpf/karmor.bpf.c).  The compiler does everything the kernel must not: the rules of
 * each key are reduced to the smallest Block, Audit and Allow rule id for each of the
 * four variants (read/write x owner/other), readOnly and ownerOnly already resolved,
 * so the kernel only looks keys up (O(path depth)) and takes minima (karmor_decide).
 *   path, dir, recursive dir, exec name -> karmor_paths keys (ROLE_EXACT, ROLE_DIR
 *                   with a DIRECT and a MAIN part, ROLE_EXECNAME); a dir rule "D/" also
 *                   puts its effects on the ROLE_EXACT key "D" (D itself, of any type)
 *                   and on the ROLE_SELF key "D" (D a directory: no path rule applies)
 *   protocol, capability -> karmor_net / karmor_caps keys
 *   pattern (glob)  -> one automaton per class (backends/dfa.c) in the image's dfa section;
 *                   ROLE_PATTERN keys per set of globs a path can match, ROLE_BELOW keys
 *                   per set of globs some path below a directory can match (its rename)
 *   fromSource      -> slots 1..n per target, found by the kernel through karmor_srcs
 *   baseline        -> ROLE_DIR/ROLE_EXACT grants with KARMOR_RULE_BASELINE
 *   syscall rules   -> karmor_sys keys (a matchSyscalls key per (source, syscall), path and
 *                   dir keys per (source, syscall) for matchPaths), judged by the raw
 *                   tracepoints on sys_enter/sys_exit: audit only (bpf_sys_* below)
 */
#include <assert.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../bpf/karmor.h"
#include "../frontend/glob.h"
#include "../frontend/schema.h"
#include "backend.h"
#include "dfa.h"
#include "options.h"

/* The image is little-endian and written from host structs. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the map image writer assumes a little-endian host"
#endif

_Static_assert(sizeof(struct karmor_image_header) % 8 == 0, "header keeps records 8-aligned");
_Static_assert(sizeof(struct karmor_image_rule) % 8 == 0, "rule records are 8-aligned");
_Static_assert(sizeof(struct karmor_image_path) % 8 == 0, "path records are 8-aligned");
_Static_assert(sizeof(struct karmor_image_id) % 8 == 0, "id records are 8-aligned");
_Static_assert(sizeof(struct karmor_image_src) % 8 == 0, "src records are 8-aligned");
_Static_assert(sizeof(struct karmor_image_sys) % 8 == 0, "syscall records are 8-aligned");
_Static_assert(sizeof(struct karmor_image_identity) % 8 == 0 && sizeof(struct karmor_image_label) % 8 == 0,
	       "the identity section keeps the strings 8-aligned");
_Static_assert((int)IR_ALLOW == KARMOR_ALLOW && (int)IR_AUDIT == KARMOR_AUDIT && (int)IR_BLOCK == KARMOR_BLOCK,
	       "rule actions are stored as karmor_verdict");
_Static_assert((int)IR_PC_FILE == KARMOR_PC_FILE && (int)IR_PC_NETWORK == KARMOR_PC_NETWORK &&
	       (int)IR_PC_CAPABILITIES == KARMOR_PC_CAPABILITIES, "posture classes line up");

/* What one target needs of the maps, kept for the run's totals (be_bpf_finish). */
struct bpf_usage {
	const char *name;
	struct fe_loc loc;	/* the target's first policy */
	uint64_t paths, nets, caps, srcs, rules, dfa_words, dfa_states;
	uint64_t sys;	/* syscall section records */
	uint64_t slots, task_srcs;	/* fromSource slots, the most one executable matches */
	bool task_measured;
	struct bpf_usage *next;
};

struct be_bpf_run {
	struct bpf_usage *first, **tail;
	size_t ntargets;
	uint64_t budget;	/* bytes the maps may take: --bpf-map-budget, else KARMOR_MAP_BUDGET_DEFAULT */
};

/* The run's totals, kept in ctx->run (arena memory), made on first use. */
static struct be_bpf_run *bpf_run(struct be_ctx *ctx)
{
	if (!ctx->run) {
		struct be_bpf_run *run = fe_arena_zalloc(ctx->arena, sizeof(*run));
		run->tail = &run->first;
		run->budget = KARMOR_MAP_BUDGET_DEFAULT;
		ctx->run = run;
	}
	return ctx->run;
}

static void *bpf_grow(void *p, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return p;
	*cap = *cap ? *cap * 2 : 64;
	void *q = realloc(p, *cap * size);
	if (!q)
		fe_oom();
	return q;
}

/* ---- a small open-addressing map: 64-bit key -> record index ---- */

struct bpf_index {
	uint64_t *keys;
	uint32_t *vals;	/* record index + 1, 0 = empty */
	size_t cap, n;
};

static uint64_t bpf_mix(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	return k;
}

/* The record index of key; a new key gets `next` (and *created is set). */
static uint32_t bpf_index_get(struct bpf_index *m, uint64_t key, uint32_t next, bool *created)
{
	if (2 * (m->n + 1) > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		uint64_t *keys = calloc(cap, sizeof(*keys));
		uint32_t *vals = calloc(cap, sizeof(*vals));
		if (!keys || !vals)
			fe_oom();
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->vals[i])
				continue;
			size_t j = bpf_mix(m->keys[i]) & (cap - 1);
			while (vals[j])
				j = (j + 1) & (cap - 1);
			keys[j] = m->keys[i];
			vals[j] = m->vals[i];
		}
		free(m->keys);
		free(m->vals);
		m->keys = keys;
		m->vals = vals;
		m->cap = cap;
	}
	size_t j = bpf_mix(key) & (m->cap - 1);
	while (m->vals[j]) {
		if (m->keys[j] == key) {
			*created = false;
			return m->vals[j] - 1;
		}
		j = (j + 1) & (m->cap - 1);
	}
	m->keys[j] = key;
	m->vals[j] = next + 1;
	m->n++;
	*created = true;
	return next;
}

static void bpf_index_free(struct bpf_index *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- the state of one target ---- */

struct bpf_pathrec {
	const char *s;	/* the key string (for sorting); NULL for ROLE_PATTERN and ROLE_BELOW */
	uint32_t str;	/* its id in st->strs; the set id for ROLE_PATTERN and ROLE_BELOW */
	uint16_t source;
	uint8_t role, cls;
	struct karmor_path_value v;
};

struct bpf_idrec {
	uint16_t source, id;
	struct karmor_effect e;
};

struct bpf_srcrec {
	const char *s;
	uint32_t str;
	uint16_t role;
	struct karmor_src_value v;
};

/* one record of the syscall section (bpf/karmor.h: syscall rules) */
struct bpf_sysrec {
	const char *s;
	uint32_t str;
	uint16_t source, nr;
	uint8_t role;
	struct karmor_sys_value v;
};

/* one distinct fromSource spec of the target: slot = index + 1 */
struct bpf_spec {
	enum ir_source_kind kind;
	const char *path;
	long rule;	/* the first rule naming it, for messages */
};

struct bpf_ids {
	struct bpf_idrec *items;
	size_t n, cap;
	struct bpf_index index;
};

struct bpf_state {
	struct be_ctx *ctx;
	const struct ir_target *t;
	const struct ir_program *p;
	struct ir_strtab strs;	/* the image's strings, in first-use order */
	struct bpf_pathrec *paths;
	size_t npaths, paths_cap;
	struct bpf_index path_index;
	struct bpf_ids nets, caps;
	struct bpf_srcrec *srcs;
	size_t nsrcs, srcs_cap;
	struct bpf_index src_index;
	struct bpf_spec *specs;
	size_t nspecs;
	struct bpf_sysrec *sys;
	size_t nsys, sys_cap;
	struct bpf_index sys_index;
	bool *enforced;		/* per target rule: it has keys in the maps */
	size_t task_srcs;	/* the most slots one executable matches */
	bool task_measured;	/* task_srcs was counted (see bpf_target_capacity) */
	bool allow_list[KARMOR_PC_COUNT];
	uint32_t flags;
	uint32_t *dfa;		/* the pattern automaton's words (karmor_dfa layout), or NULL */
	uint32_t dfa_words;
	bool failed;		/* an error stops this target's image */
};

static const char *bpf_str(const struct bpf_state *st, ir_str id)
{
	return ir_s(&st->p->strs, id);
}

static uint32_t bpf_intern(struct bpf_state *st, const char *s)
{
	return ir_intern_cstr(&st->strs, s);
}

/* ---- names the kernel mediates ---- */

struct bpf_name {
	const char *name;
	unsigned id;
};

/* enum karmor_proto; what the kernel classifies a socket as (bpf/karmor.h) */
static const struct bpf_name bpf_protocols[] = {
	{"tcp", KARMOR_PROTO_TCP}, {"udp", KARMOR_PROTO_UDP}, {"icmp", KARMOR_PROTO_ICMP},
	{"icmpv6", KARMOR_PROTO_ICMPV6}, {"raw", KARMOR_PROTO_RAW}, {"sctp", KARMOR_PROTO_SCTP},
	{"udplite", KARMOR_PROTO_UDPLITE}, {"all", KARMOR_PROTO_ALL},
};

/* Names a case may use that no socket the kernel mediates is classified as: socket types
 * and families other than INET/INET6 (the policy language names them, bpf/karmor.h does
 * not mediate them), and "all" used as an operation. */
static const char *const bpf_unmediated_protocols[] = {"stream", "dgram", "rdm", "seqpacket", "dccp", "packet",
						       "unix", "all", NULL};

/* CAP_* numbers of <linux/capability.h>, by the policy language's names */
static const struct bpf_name bpf_capabilities[] = {
#define FE_CAPABILITY(name, number, crd) {#name, number},
#include "../frontend/names.def"
};

static long bpf_name_id(const struct bpf_name *tab, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(tab[i].name, name) == 0)
			return tab[i].id;
	return -1;
}

/* ---- paths the kernel can see ---- */

/* NULL when the kernel's scan can meet `s` (a file path, or a dir ending in '/');
 * else why it cannot: the programs see resolved, canonical paths of bounded depth. */
static const char *bpf_path_problem(const char *s, bool dir)
{
	size_t n = strlen(s);
	if (n == 0 || s[0] != '/')
		return "it is not an absolute path";
	if (n >= KARMOR_PATH_MAX)
		return "it is longer than the longest path the programs resolve (4,096 bytes)";
	if (!dir && s[n - 1] == '/')
		return "it ends in '/'";
	if (dir && s[n - 1] != '/')
		return "it does not end in '/'";
	size_t depth = 0;
	for (const char *c = s; *c; c++) {
		if (*c != '/')
			continue;
		depth++;
		const char *next = c + 1;
		size_t len = strcspn(next, "/");
		if (!next[0])
			break;
		if (len == 0)
			return "it holds an empty component ('//'), which a resolved path never does";
		if ((len == 1 && next[0] == '.') || (len == 2 && next[0] == '.' && next[1] == '.'))
			return "it holds a '.' or '..' component, which a resolved path never does";
	}
	if (depth > KARMOR_MAX_DEPTH)
		return "it is deeper than the 64 directory levels the programs scan";
	return NULL;
}

static const char *bpf_execname_problem(const char *s)
{
	if (!*s || strchr(s, '/'))
		return "an exec name must be one non-empty path component";
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return "'.' and '..' are never the last component of a resolved path";
	if (strlen(s) >= KARMOR_PATH_MAX)
		return "it is longer than the longest path the programs resolve";
	return NULL;
}

/* ---- effects ---- */

/* One rule's contribution to a key's effect for one variant: DESIGN §4.2-4.3 exactly as
 * kc_decide applies them (a refusing modifier blocks whatever the action; only an Allow
 * whose modifiers let the access pass grants). */
static void bpf_effect_add(struct karmor_effect *e, const struct ir_rule *r, uint32_t id, bool is_write,
			   bool is_owner)
{
	bool ro = r->flags & IR_RULE_READONLY, oo = r->flags & IR_RULE_OWNERONLY;
	bool has_mod = ro || oo, refuses = (ro && is_write) || (oo && !is_owner);
	switch (r->action) {
	case IR_BLOCK:
		if (!has_mod || refuses)
			e->block = karmor_min_id(e->block, id);
		break;
	case IR_AUDIT:
		if (!has_mod || refuses)
			e->audit = karmor_min_id(e->audit, id);
		break;
	case IR_ALLOW:
		if (has_mod && refuses)
			e->block = karmor_min_id(e->block, id);
		else
			e->grant = karmor_min_id(e->grant, id);
		break;
	}
}

/* The record of key (str, source, role, cls), made on first use; s: the key string, NULL for
 * a set of globs (str is then its id: the roles differ, so the two never collide). */
static struct karmor_path_value *bpf_path_rec(struct bpf_state *st, uint32_t str, const char *s, uint16_t source,
					       uint8_t role, uint8_t cls)
{
	uint64_t key = (uint64_t)str << 32 | (uint64_t)source << 16 | (uint64_t)role << 8 | cls;
	bool created;
	uint32_t i = bpf_index_get(&st->path_index, key, (uint32_t)st->npaths, &created);
	if (created) {
		st->paths = bpf_grow(st->paths, &st->paths_cap, st->npaths, sizeof(*st->paths));
		struct bpf_pathrec *pr = &st->paths[st->npaths++];
		memset(pr, 0, sizeof(*pr));
		pr->s = s;
		pr->str = str;
		pr->source = source;
		pr->role = role;
		pr->cls = cls;
		if (role == KARMOR_ROLE_DIR)
			st->flags |= cls == KARMOR_CLS_PROCESS ? KARMOR_TF_DIRS_PROC : KARMOR_TF_DIRS_FILE;
	}
	return &st->paths[i].v;
}

/* the key of the first len bytes of s */
static struct karmor_path_value *bpf_path_key(struct bpf_state *st, const char *s, size_t len, uint16_t source,
					       uint8_t role, uint8_t cls)
{
	uint32_t str = ir_intern(&st->strs, s, len);
	return bpf_path_rec(st, str, st->strs.strs[str], source, role, cls);
}

/* the key of a set of globs (ROLE_PATTERN, ROLE_BELOW): its id, not a string */
static struct karmor_path_value *bpf_set_key(struct bpf_state *st, uint32_t id, uint16_t source, uint8_t role,
					      uint8_t cls)
{
	return bpf_path_rec(st, id, NULL, source, role, cls);
}

static struct karmor_effect *bpf_id_key(struct bpf_ids *ids, uint16_t source, uint16_t id)
{
	bool created;
	uint32_t i = bpf_index_get(&ids->index, (uint64_t)source << 16 | id, (uint32_t)ids->n, &created);
	if (created) {
		ids->items = bpf_grow(ids->items, &ids->cap, ids->n, sizeof(*ids->items));
		struct bpf_idrec *r = &ids->items[ids->n++];
		memset(r, 0, sizeof(*r));
		r->source = source;
		r->id = id;
	}
	return &ids->items[i].e;
}

static struct karmor_src_value *bpf_src_key(struct bpf_state *st, const char *s, uint16_t role)
{
	uint32_t str = bpf_intern(st, s);
	bool created;
	uint32_t i = bpf_index_get(&st->src_index, (uint64_t)str << 32 | role, (uint32_t)st->nsrcs, &created);
	if (created) {
		st->srcs = bpf_grow(st->srcs, &st->srcs_cap, st->nsrcs, sizeof(*st->srcs));
		struct bpf_srcrec *r = &st->srcs[st->nsrcs++];
		memset(r, 0, sizeof(*r));
		r->s = st->strs.strs[str];
		r->str = str;
		r->role = role;
	}
	return &st->srcs[i].v;
}

/* ---- fromSource slots ---- */

static int bpf_spec_cmp(const void *pa, const void *pb)
{
	const struct bpf_spec *a = pa, *b = pb;
	int c = strcmp(a->path, b->path);
	return c ? c : (int)a->kind - (int)b->kind;
}

static uint16_t bpf_slot(const struct bpf_state *st, const struct ir_source *src)
{
	if (src->kind == IR_SRC_ANY)
		return 0;
	struct bpf_spec key = {src->kind, bpf_str(st, src->path), -1};
	const struct bpf_spec *s = bsearch(&key, st->specs, st->nspecs, sizeof(*st->specs), bpf_spec_cmp);
	return s ? (uint16_t)(s - st->specs + 1) : 0;
}

static bool bpf_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Slots an executable matches at once, at most (the kernel keeps KARMOR_MAX_TASK_SOURCES
 * per task): a path matches at most one exact spec and one direct dir spec (its parent's),
 * and every recursive spec above it.  The worst paths are an exact spec's path, a new
 * child of a direct spec's dir and a new child of a recursive spec's dir. */
static size_t bpf_max_task_sources(const struct bpf_state *st, size_t *worst, const char **example)
{
	size_t best = 0;
	*worst = 0;
	*example = "";
	for (size_t i = 0; i < st->nspecs; i++) {
		const struct bpf_spec *s = &st->specs[i];
		size_t n = 0;
		for (size_t j = 0; j < st->nspecs; j++) {
			const struct bpf_spec *o = &st->specs[j];
			if (s->kind == IR_SRC_PATH) {
				const char *slash = strrchr(s->path, '/');
				size_t parent = slash ? (size_t)(slash - s->path) + 1 : 0;
				n += (o->kind == IR_SRC_PATH && strcmp(o->path, s->path) == 0) ||
				     (o->kind == IR_SRC_DIR && strlen(o->path) == parent &&
				      strncmp(o->path, s->path, parent) == 0) ||
				     (o->kind == IR_SRC_DIR_RECURSIVE && bpf_has_prefix(s->path, o->path));
			} else {
				/* a new child of s's dir */
				n += (o->kind == IR_SRC_DIR && strcmp(o->path, s->path) == 0) ||
				     (o->kind == IR_SRC_DIR_RECURSIVE && bpf_has_prefix(s->path, o->path));
			}
		}
		if (n > best) {
			best = n;
			*worst = i;
			*example = s->kind == IR_SRC_PATH ? s->path : fe_arena_printf(st->ctx->arena, "%s*", s->path);
		}
	}
	return best;
}

/* ---- the rules ---- */

static bool bpf_is_path_class(const struct ir_rule *r)
{
	return r->cls == IR_PROCESS || r->cls == IR_FILE;
}

/* ---- syscall rules (bpf/karmor.h: syscall rules) ---- */

/* Whether syscall rule r can have keys; reports why not.  Its fromSource is checked
 * with every other class's (bpf_classify). */
static bool bpf_sys_classify(struct bpf_state *st, long ri, const struct ir_rule *r, const char *target)
{
	struct be_ctx *ctx = st->ctx;
	int nr = fe_syscall_number(target);
	if (nr < 0 || nr >= KARMOR_SYS_COUNT) {
		be_gap(ctx, st->t, ri, IR_PC_COUNT, FE_BE_SYSCALL, NULL, "syscall '%s' has no x86-64 number the programs "
		       "know", target);
		return false;
	}
	if (!r->has_path)
		return true;
	const char *path = bpf_str(st, r->path);
	/* a syscall that takes no path never meets a matchPaths rule, in the verdict model too
	 * (kc_rule_matches; the schema warns, KC0130): no keys, and nothing lost */
	if (!(karmor_sys_path_arg((unsigned)nr) & KARMOR_SYSP_PATH))
		return false;
	const char *why = bpf_path_problem(path, r->path_match != IR_M_PATH);
	if (why) {
		be_gap(ctx, st->t, ri, IR_PC_COUNT, FE_BE_PATH, NULL, "syscall matchPaths '%s' cannot be matched in the "
		       "kernel: %s", path, why);
		return false;
	}
	return true;
}

static struct karmor_sys_value *bpf_sys_key(struct bpf_state *st, const char *s, size_t len, uint16_t source,
					    uint16_t nr, uint8_t role)
{
	uint32_t str = ir_intern(&st->strs, s, len);
	uint64_t key = (uint64_t)str << 32 | (uint64_t)source << 24 | (uint64_t)nr << 8 | role;
	bool created;
	uint32_t i = bpf_index_get(&st->sys_index, key, (uint32_t)st->nsys, &created);
	if (created) {
		st->sys = bpf_grow(st->sys, &st->sys_cap, st->nsys, sizeof(*st->sys));
		struct bpf_sysrec *r = &st->sys[st->nsys++];
		memset(r, 0, sizeof(*r));
		r->s = st->strs.strs[str];
		r->str = str;
		r->source = source;
		r->nr = nr;
		r->role = role;
	}
	return &st->sys[i].v;
}

/* The keys of one syscall rule (id = its rule id): the matchSyscalls key of (source,
 * syscall), or the path keys of matchPaths and the flag on that key that sends the
 * kernel to them.  A dir "D/" also matches D (its ROLE_EXACT key), as in the path map. */
static void bpf_sys_keys(struct bpf_state *st, const struct ir_rule *r, uint32_t id, uint16_t source,
			 const char *target)
{
	uint16_t nr = (uint16_t)fe_syscall_number(target);
	struct karmor_sys_value *call = bpf_sys_key(st, "", 0, source, nr, KARMOR_SYS_ROLE_CALL);
	st->flags |= KARMOR_TF_SYSCALLS;
	if (!r->has_path) {
		call->audit = karmor_min_id(call->audit, id);
		return;
	}
	call->flags |= KARMOR_SYSF_PATHS;
	const char *path = bpf_str(st, r->path);
	size_t len = strlen(path);
	struct karmor_sys_value *v;
	if (r->path_match == IR_M_PATH) {
		v = bpf_sys_key(st, path, len, source, nr, KARMOR_ROLE_EXACT);
		v->audit = karmor_min_id(v->audit, id);
		return;
	}
	v = bpf_sys_key(st, path, len, source, nr, KARMOR_ROLE_DIR);
	if (r->path_match == IR_M_DIR)
		v->direct = karmor_min_id(v->direct, id);
	else
		v->audit = karmor_min_id(v->audit, id);
	if (len > 1) {
		v = bpf_sys_key(st, path, len - 1, source, nr, KARMOR_ROLE_EXACT);
		v->audit = karmor_min_id(v->audit, id);
	}
}

static int bpf_sys_cmp(const void *pa, const void *pb)
{
	const struct bpf_sysrec *a = pa, *b = pb;
	if (a->role != b->role)
		return a->role < b->role ? -1 : 1;
	if (a->source != b->source)
		return a->source < b->source ? -1 : 1;
	if (a->nr != b->nr)
		return a->nr < b->nr ? -1 : 1;
	return strcmp(a->s, b->s);
}

/* Decides which rules get keys (reporting the others) and collects their fromSource specs. */
static void bpf_classify(struct bpf_state *st)
{
	struct be_ctx *ctx = st->ctx;
	const struct ir_target *t = st->t;
	bool dns_seen = false, other_seen = false, unmediated_seen = false;
	st->enforced = fe_arena_zalloc(ctx->arena, (t->nrules + 1) * sizeof(*st->enforced));
	st->specs = fe_arena_alloc(ctx->arena, (t->nrules + 1) * sizeof(*st->specs));
	for (uint32_t i = 0; i < t->nrules; i++) {
		long ri = t->rules[i];
		const struct ir_rule *r = &st->p->rules[ri];
		const char *target = bpf_str(st, r->target);
		const char *why = NULL;
		/* allow-list mode exactly as the verdict model counts it (kc_counts_for_allow_list) */
		if (r->action == IR_ALLOW) {
			if (bpf_is_path_class(r))
				st->allow_list[KARMOR_PC_FILE] = true;
			else if (r->cls == IR_NETWORK && r->match == IR_M_PROTOCOL)
				st->allow_list[KARMOR_PC_NETWORK] = true;
			else if (r->cls == IR_CAPABILITY)
				st->allow_list[KARMOR_PC_CAPABILITIES] = true;
		}
		switch (r->cls) {
		case IR_PROCESS:
		case IR_FILE:
			switch (r->match) {
			case IR_M_PATH: why = bpf_path_problem(target, false); break;
			case IR_M_DIR:
			case IR_M_DIR_RECURSIVE: why = bpf_path_problem(target, true); break;
			case IR_M_EXECNAME: why = bpf_execname_problem(target); break;
			case IR_M_PATTERN: {
				const char *err;
				if (!fe_glob_check(target, &err))
					why = err;	/* the schema refuses these (KC0129): not reached */
				break;
			}
			default: continue;
			}
			if (why) {
				be_gap(ctx, t, ri, IR_PC_FILE, FE_BE_PATH, NULL, "'%s' cannot be matched in the kernel: %s", target,
				       why);
				continue;
			}
			break;
		case IR_NETWORK:
			if (r->match == IR_M_DOMAIN) {
				if (!dns_seen)
					fe_diag_add(ctx->diags, FE_WARNING, FE_BE_NOT_ENFORCED, r->loc,
						    "bpf: DNS rules are not enforced by the BPF programs (target %s); no "
						    "operation of the verdict model depends on them", t->name);
				dns_seen = true;
				continue;
			}
			if (r->match != IR_M_PROTOCOL)
				continue;
			if (!unmediated_seen) {
				/* sockets the programs do not classify fall outside the network class */
				unmediated_seen = true;
				static const struct be_gap_scope unmediated = {.only = bpf_unmediated_protocols};
				be_gap_at(ctx, t, r->loc, IR_PC_NETWORK, FE_BE_PROTOCOL, &unmediated, "only INET and INET6 "
					  "sockets of the protocols tcp, udp, icmp, icmpv6, raw, sctp and udplite are mediated; "
					  "stream, dgram, rdm, seqpacket, dccp, packet and unix operations are not");
			}
			if (bpf_name_id(bpf_protocols, sizeof(bpf_protocols) / sizeof(bpf_protocols[0]), target) < 0) {
				const char **only = fe_arena_alloc(ctx->arena, 2 * sizeof(*only));
				only[0] = target;
				only[1] = NULL;
				be_gap(ctx, t, ri, IR_PC_NETWORK, FE_BE_PROTOCOL, &(struct be_gap_scope){.only = only},
				       "protocol '%s' is not one the BPF programs classify sockets as (tcp, udp, icmp, "
				       "icmpv6, raw, sctp, udplite)", target);
				continue;
			}
			break;
		case IR_CAPABILITY:
			if (bpf_name_id(bpf_capabilities, sizeof(bpf_capabilities) / sizeof(bpf_capabilities[0]), target) <
			    0) {
				be_gap(ctx, t, ri, IR_PC_CAPABILITIES, FE_BE_NOT_ENFORCED, NULL, "capability '%s' has no number "
				       "the programs know", target);
				continue;
			}
			break;
		case IR_SYSCALL:
			if (!bpf_sys_classify(st, ri, r, target))
				continue;
			break;
		case IR_PRESET:
		case IR_DEVICE:
			if (!other_seen)
				fe_diag_add(ctx->diags, FE_WARNING, FE_BE_NOT_ENFORCED, r->loc,
					    "bpf: %s rules are not enforced by the BPF programs (target %s)",
					    ir_class_name(r->cls), t->name);
			other_seen = true;
			continue;
		}
		if (r->source.kind != IR_SRC_ANY) {
			const char *sp = bpf_str(st, r->source.path);
			if ((why = bpf_path_problem(sp, r->source.kind != IR_SRC_PATH))) {
				be_gap(ctx, t, ri, ir_posture_class_of(r->cls), FE_BE_PATH, NULL, "fromSource '%s' cannot be "
				       "matched against an executable in the kernel: %s", sp, why);
				continue;
			}
			bool seen = false;
			for (size_t k = 0; k < st->nspecs && !seen; k++)
				seen = st->specs[k].kind == r->source.kind && strcmp(st->specs[k].path, sp) == 0;
			if (!seen)
				st->specs[st->nspecs++] = (struct bpf_spec){r->source.kind, sp, ri};
		}
		st->enforced[i] = true;
	}
	if (st->nspecs > 1)
		qsort(st->specs, st->nspecs, sizeof(*st->specs), bpf_spec_cmp);
}

/* DESIGN §4.12: renaming a directory is a write of every path below it that a
 * rule protects.  Each proper ancestor A of a rule's path or dir (not "/", not
 * a dir rule's D itself, which its ROLE_EXACT key covers) gets a ROLE_ANC key
 * with the rule's refusals and audits of a write (for a process rule: of an
 * exec, so a blocked program cannot be renamed out of its rule either); never
 * grants, so an allow-list is unaffected. */
static void bpf_ancestor_keys(struct bpf_state *st, const struct ir_rule *r, uint32_t id, uint16_t source,
			      const char *target, size_t len)
{
	if (len && target[len - 1] == '/')
		len--;	/* "D/": D is the object, its ancestors are above it */
	for (size_t n = len; n > 1;) {
		while (n > 0 && target[n - 1] != '/')
			n--;
		if (n <= 1)
			break;
		n--;	/* target[0..n) is an ancestor, without its '/' */
		struct karmor_path_value *v = bpf_path_key(st, target, n, source, KARMOR_ROLE_ANC, KARMOR_CLS_FILE);
		for (unsigned var = 0; var < KARMOR_NVARIANTS; var++) {
			if (!(var >> 1))
				continue;	/* writes only */
			struct karmor_effect e = {0, 0, 0};
			bpf_effect_add(&e, r, id, true, (var & 1) == 0);
			v->e[KARMOR_PART_MAIN][var].block = karmor_min_id(v->e[KARMOR_PART_MAIN][var].block, e.block);
			v->e[KARMOR_PART_MAIN][var].audit = karmor_min_id(v->e[KARMOR_PART_MAIN][var].audit, e.audit);
		}
		st->flags |= KARMOR_TF_ANC;
	}
}

/* The globs of the target, process and file rules together: one automaton (backends/dfa.c)
 * whose accepting states name sets of globs.  Each set gets a ROLE_PATTERN key per class and
 * source with the effects of the rules using its globs, exactly as a ROLE_EXACT key holds
 * the rules of one path; each set of globs that some path below a directory matches gets a
 * ROLE_BELOW key with their write refusals and audits (a rename, as bpf_ancestor_keys). */
static void bpf_patterns(struct bpf_state *st)
{
	const struct ir_target *t = st->t;
	struct fe_arena *a = st->ctx->arena;
	const char **globs = fe_arena_alloc(a, (t->nrules + 1) * sizeof(*globs));
	uint32_t *first = fe_arena_alloc(a, (t->nrules + 1) * sizeof(*first));	/* a glob's first rule */
	uint32_t *next = fe_arena_alloc(a, (t->nrules + 1) * sizeof(*next));	/* the glob's next rule */
	uint32_t *last = fe_arena_alloc(a, (t->nrules + 1) * sizeof(*last));
	struct bpf_index by_str = {0};
	uint32_t n = 0;
	for (uint32_t i = 0; i < t->nrules; i++) {
		const struct ir_rule *r = &st->p->rules[t->rules[i]];
		if (!st->enforced[i] || !bpf_is_path_class(r) || r->match != IR_M_PATTERN)
			continue;
		bool created;
		uint32_t g = bpf_index_get(&by_str, r->target, n, &created);
		next[i] = UINT32_MAX;
		if (created) {
			globs[n++] = bpf_str(st, r->target);
			first[g] = last[g] = i;
		} else {
			next[last[g]] = i;
			last[g] = i;
		}
	}
	bpf_index_free(&by_str);
	if (!n)
		return;
	struct be_dfa d;
	size_t bad = 0;
	const char *err = NULL;
	enum be_dfa_status rc = be_dfa_build(globs, n, KARMOR_DFA_MAX_STATES, &d, &bad, &err);
	if (rc == BE_DFA_OK && karmor_dfa_words(d.nstates, d.nclasses) > KARMOR_DFA_MAX_WORDS) {
		be_dfa_free(&d);
		rc = BE_DFA_TOO_BIG;
	}
	if (rc != BE_DFA_OK) {
		const struct ir_rule *r = &st->p->rules[t->rules[first[rc == BE_DFA_SYNTAX ? bad : 0]]];
		if (rc == BE_DFA_SYNTAX)
			fe_diag_add(st->ctx->diags, FE_ERROR, FE_BE_PATH, r->loc, "bpf: internal error: glob '%s' of target "
				    "%s could not be compiled into an automaton: %s", globs[bad], t->name, err);
		else
			fe_diag_add(st->ctx->diags, FE_ERROR, FE_BE_CAPACITY, r->loc, "bpf: the %s glob%s of target %s make "
				    "an automaton larger than the programs walk (%s states, %s words: KARMOR_DFA_MAX_STATES, "
				    "KARMOR_DFA_MAX_WORDS): split the target's policies or use fewer '**' and '{...}'",
				    be_num(a, n), n == 1 ? "" : "s", t->name, be_num(a, KARMOR_DFA_MAX_STATES),
				    be_num(a, KARMOR_DFA_MAX_WORDS))->target = t->name;
		st->failed = true;
		return;
	}
	st->dfa = be_dfa_image(&d, &st->dfa_words);
	if (!st->dfa)
		fe_oom();
	for (uint32_t id = 1; id <= d.naccept; id++) {
		const struct be_dfa_set *set = &d.accept_sets[id - 1];
		for (uint32_t k = 0; k < set->n; k++)
			for (uint32_t i = first[set->items[k]]; i != UINT32_MAX; i = next[i]) {
				const struct ir_rule *r = &st->p->rules[t->rules[i]];
				uint8_t cls = r->cls == IR_PROCESS ? KARMOR_CLS_PROCESS : KARMOR_CLS_FILE;
				struct karmor_path_value *v =
					bpf_set_key(st, id, bpf_slot(st, &r->source), KARMOR_ROLE_PATTERN, cls);
				for (unsigned var = 0; var < KARMOR_NVARIANTS; var++)
					bpf_effect_add(&v->e[KARMOR_PART_MAIN][var], r, i + 1, (var >> 1) != 0,
						       (var & 1) == 0);
			}
	}
	for (uint32_t id = 1; id <= d.nbelow; id++) {
		const struct be_dfa_set *set = &d.below_sets[id - 1];
		for (uint32_t k = 0; k < set->n; k++)
			for (uint32_t i = first[set->items[k]]; i != UINT32_MAX; i = next[i]) {
				const struct ir_rule *r = &st->p->rules[t->rules[i]];
				struct karmor_path_value *v =
					bpf_set_key(st, id, bpf_slot(st, &r->source), KARMOR_ROLE_BELOW, KARMOR_CLS_FILE);
				for (unsigned var = 2; var < KARMOR_NVARIANTS; var++) {	/* writes only */
					struct karmor_effect e = {0, 0, 0};
					bpf_effect_add(&e, r, i + 1, true, (var & 1) == 0);
					struct karmor_effect *to = &v->e[KARMOR_PART_MAIN][var];
					to->block = karmor_min_id(to->block, e.block);
					to->audit = karmor_min_id(to->audit, e.audit);
				}
				st->flags |= KARMOR_TF_ANC;
			}
	}
	be_dfa_free(&d);
}

/* The name filter (bpf/karmor.h): where only exact and exec-name keys decide a file verdict,
 * the last component of each, once, as a ROLE_NAME key; file_open looks the opened object's
 * name up and resolves its path only when one is there.  A key of any other role of the file
 * class (dir, self, glob set) keeps the filter off; ROLE_ANC keys serve a rename only. */
static void bpf_name_keys(struct bpf_state *st)
{
	if (st->allow_list[KARMOR_PC_FILE] || st->dfa)
		return;
	size_t n = st->npaths;
	for (size_t i = 0; i < n; i++) {
		const struct bpf_pathrec *pr = &st->paths[i];
		if (pr->cls == KARMOR_CLS_FILE && pr->role != KARMOR_ROLE_EXACT && pr->role != KARMOR_ROLE_EXECNAME &&
		    pr->role != KARMOR_ROLE_ANC)
			return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct bpf_pathrec *pr = &st->paths[i];	/* bpf_path_key may move st->paths */
		if (pr->cls != KARMOR_CLS_FILE || pr->role == KARMOR_ROLE_ANC)
			continue;
		const char *s = pr->s, *slash = strrchr(s, '/');
		const char *name = slash ? slash + 1 : s;
		assert(*name);	/* an exact key is a file's path, an exec name a component */
		bpf_path_key(st, name, strlen(name), 0, KARMOR_ROLE_NAME, KARMOR_CLS_FILE);
	}
	st->flags |= KARMOR_TF_NAMES_FILE;
}

static void bpf_keys(struct bpf_state *st)
{
	const struct ir_target *t = st->t;
	for (uint32_t i = 0; i < t->nrules; i++) {
		if (!st->enforced[i])
			continue;
		const struct ir_rule *r = &st->p->rules[t->rules[i]];
		uint32_t id = i + 1;	/* rule ids are 1-based positions in the target's rules */
		uint16_t source = bpf_slot(st, &r->source);
		const char *target = bpf_str(st, r->target);
		if (r->cls == IR_SYSCALL) {
			bpf_sys_keys(st, r, id, source, target);
			continue;
		}
		if (bpf_is_path_class(r) && r->match == IR_M_PATTERN) {
			st->flags |= KARMOR_TF_CONFINE;
			continue;	/* all globs at once: bpf_patterns */
		}
		if (bpf_is_path_class(r)) {
			uint8_t cls = r->cls == IR_PROCESS ? KARMOR_CLS_PROCESS : KARMOR_CLS_FILE;
			uint8_t role = KARMOR_ROLE_EXACT;
			int part = KARMOR_PART_MAIN;
			if (r->match == IR_M_DIR) {
				role = KARMOR_ROLE_DIR;
				part = KARMOR_PART_DIRECT;
			} else if (r->match == IR_M_DIR_RECURSIVE) {
				role = KARMOR_ROLE_DIR;
			} else if (r->match == IR_M_EXECNAME) {
				role = KARMOR_ROLE_EXECNAME;
				st->flags |= cls == KARMOR_CLS_PROCESS ? KARMOR_TF_EXECNAME_PROC : KARMOR_TF_EXECNAME_FILE;
			}
			size_t len = strlen(target);
			struct karmor_path_value *v = bpf_path_key(st, target, len, source, role, cls);
			for (unsigned var = 0; var < KARMOR_NVARIANTS; var++)
				bpf_effect_add(&v->e[part][var], r, id, (var >> 1) != 0, (var & 1) == 0);
			/* A dir rule "D/" also matches D itself, whatever D is (fe_dir_match): the
			 * object's full path "D" is an exact key, so both kinds go there too.  The
			 * root has no such path; the baseline's dirs get no such key (it grants
			 * below them only). */
			if (role == KARMOR_ROLE_DIR && len > 1) {
				v = bpf_path_key(st, target, len - 1, source, KARMOR_ROLE_EXACT, cls);
				for (unsigned var = 0; var < KARMOR_NVARIANTS; var++)
					bpf_effect_add(&v->e[KARMOR_PART_MAIN][var], r, id, (var >> 1) != 0, (var & 1) == 0);
				/* ... and when D is a directory, only the dir rules (no path rule names one) */
				v = bpf_path_key(st, target, len - 1, source, KARMOR_ROLE_SELF, cls);
				for (unsigned var = 0; var < KARMOR_NVARIANTS; var++)
					bpf_effect_add(&v->e[KARMOR_PART_MAIN][var], r, id, (var >> 1) != 0, (var & 1) == 0);
			}
			if (r->match != IR_M_EXECNAME) {
				bpf_ancestor_keys(st, r, id, source, target, len);
				st->flags |= KARMOR_TF_CONFINE;
			}
		} else {
			bool net = r->cls == IR_NETWORK;
			long n = net ? bpf_name_id(bpf_protocols, sizeof(bpf_protocols) / sizeof(bpf_protocols[0]), target)
				     : bpf_name_id(bpf_capabilities, sizeof(bpf_capabilities) / sizeof(bpf_capabilities[0]),
						   target);
			struct karmor_effect *e = bpf_id_key(net ? &st->nets : &st->caps, source, (uint16_t)n);
			/* no modifiers in these classes; the model treats the op as a write by the owner */
			bpf_effect_add(e, r, id, true, true);
		}
	}
	bpf_patterns(st);
	/* the baseline (DESIGN §4.9): only where the file class is an allow-list */
	if (st->allow_list[KARMOR_PC_FILE]) {
		for (size_t b = 0; b < ir_baseline_count; b++) {
			const struct ir_baseline_entry *be = &ir_baseline[b];
			bool dir = be->path[strlen(be->path) - 1] == '/';
			struct karmor_path_value *v = bpf_path_key(st, be->path, strlen(be->path), 0,
								   dir ? KARMOR_ROLE_DIR : KARMOR_ROLE_EXACT, KARMOR_CLS_FILE);
			for (unsigned var = 0; var < KARMOR_NVARIANTS; var++)
				if ((var >> 1) ? be->write : be->read)
					v->e[KARMOR_PART_MAIN][var].grant =
						karmor_min_id(v->e[KARMOR_PART_MAIN][var].grant, KARMOR_RULE_BASELINE);
		}
	}
	for (size_t s = 0; s < st->nspecs && s < KARMOR_MAX_SOURCES; s++) {
		const struct bpf_spec *sp = &st->specs[s];
		uint16_t slot = (uint16_t)(s + 1);
		struct karmor_src_value *v =
			bpf_src_key(st, sp->path, sp->kind == IR_SRC_PATH ? KARMOR_ROLE_EXACT : KARMOR_ROLE_DIR);
		if (sp->kind == IR_SRC_PATH)
			v->exact = slot;
		else if (sp->kind == IR_SRC_DIR)
			v->direct = slot;
		else
			v->recursive = slot;
	}
	bpf_name_keys(st);
}

/* ---- the image ---- */

static int bpf_path_cmp(const void *pa, const void *pb)
{
	const struct bpf_pathrec *a = pa, *b = pb;
	if (a->role != b->role)
		return a->role < b->role ? -1 : 1;
	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	if (a->source != b->source)
		return a->source < b->source ? -1 : 1;
	if (!a->s || !b->s)	/* sets of globs: by id */
		return a->str < b->str ? -1 : a->str > b->str;
	return strcmp(a->s, b->s);
}

static int bpf_id_cmp(const void *pa, const void *pb)
{
	const struct bpf_idrec *a = pa, *b = pb;
	if (a->source != b->source)
		return a->source < b->source ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int bpf_src_cmp(const void *pa, const void *pb)
{
	const struct bpf_srcrec *a = pa, *b = pb;
	if (a->role != b->role)
		return a->role < b->role ? -1 : 1;
	return strcmp(a->s, b->s);
}

static const char *bpf_tags(struct bpf_state *st, const struct ir_strlist *tags)
{
	if (!tags->n)
		return "";
	struct be_buf b = {0};
	for (uint32_t i = 0; i < tags->n; i++) {
		if (i)
			be_puts(&b, ",");
		be_puts(&b, bpf_str(st, tags->items[i]));
	}
	const char *out = fe_arena_strdup(st->ctx->arena, b.s);
	be_buf_free(&b);
	return out;
}

/* The identity's strings and labels as string ids of the image (converted to string
 * references once the offsets are known). */
struct bpf_ident {
	uint32_t flags;
	uint32_t strs[6];	/* kind, namespace, workload, pod, container, image */
	uint32_t *labels;	/* key, value, key, value ... */
	uint32_t nlabels;
};

static void bpf_ident_intern(struct bpf_state *st, const struct ir_identity *id, struct bpf_ident *bi)
{
	bool host = st->t->host;
	bi->flags = (host ? KARMOR_IDENT_HOST : 0) | (id->init ? KARMOR_IDENT_INIT : 0);
	const char *v[6] = {id->kind, id->namespace, id->workload, id->pod, id->container, id->image};
	for (int i = 0; i < 6; i++)
		bi->strs[i] = bpf_intern(st, host && i != 0 && i != 2 ? "" : v[i] ? v[i] : "");
	const struct ir_kv *kv = be_identity_labels(st->ctx->arena, id, &bi->nlabels);
	bi->labels = fe_arena_alloc(st->ctx->arena, (2 * bi->nlabels + 1) * sizeof(*bi->labels));
	for (uint32_t i = 0; i < bi->nlabels; i++) {
		bi->labels[2 * i] = bpf_intern(st, kv[i].key);
		bi->labels[2 * i + 1] = bpf_intern(st, kv[i].value);
	}
}

static struct karmor_image_strref bpf_strref(const struct bpf_state *st, const uint64_t *off, uint32_t id)
{
	return (struct karmor_image_strref){(uint32_t)off[id], st->strs.lens[id]};
}

/* Is the identity within the bounds the loader accepts (bpf/karmor.h)?  Reported when not. */
static bool bpf_identity_fits(struct bpf_state *st)
{
	const struct ir_identity *id = st->t->identity;
	if (!id)
		return true;
	uint32_t n;
	const struct ir_kv *kv = be_identity_labels(st->ctx->arena, id, &n);
	if (n > KARMOR_IDENT_MAX_LABELS) {
		fe_diag_add(st->ctx->diags, FE_ERROR, FE_BE_CAPACITY, id->loc, "bpf: target %s has %u labels, more "
			    "than an image records (%u, KARMOR_IDENT_MAX_LABELS)", st->t->name, n, KARMOR_IDENT_MAX_LABELS);
		return false;
	}
	const char *what[6] = {"kind", "namespace", "name", "pod", "container", "image"};
	const char *v[6] = {id->kind, id->namespace, id->workload, id->pod, id->container, id->image};
	for (int i = 0; i < 6; i++) {
		if (v[i] && strlen(v[i]) > KARMOR_IDENT_STR_MAX) {
			fe_diag_add(st->ctx->diags, FE_ERROR, FE_BE_CAPACITY, id->loc, "bpf: the %s of target %s is %zu "
				    "bytes long, more than an image records (%u, KARMOR_IDENT_STR_MAX)", what[i], st->t->name,
				    strlen(v[i]), KARMOR_IDENT_STR_MAX);
			return false;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		if (strlen(kv[i].key) > KARMOR_IDENT_STR_MAX || strlen(kv[i].value) > KARMOR_IDENT_STR_MAX) {
			fe_diag_add(st->ctx->diags, FE_ERROR, FE_BE_CAPACITY, id->loc, "bpf: a label of target %s is longer "
				    "than an image records (%u bytes for its key and for its value, KARMOR_IDENT_STR_MAX)",
				    st->t->name, KARMOR_IDENT_STR_MAX);
			return false;
		}
	}
	return true;
}

/* At most how many bytes the image's strings take: those interned so far and each rule's
 * (bpf_write_image interns them), counted as if none were shared. */
static uint64_t bpf_strings_bound(const struct bpf_state *st)
{
	uint64_t n = 8;	/* the padding */
	for (uint32_t i = 0; i < st->strs.count; i++)
		n += st->strs.lens[i] + 1;
	for (uint32_t i = 0; i < st->t->nrules; i++) {
		const struct ir_rule *r = &st->p->rules[st->t->rules[i]];
		const struct ir_policy *pol = &st->p->policies[r->policy];
		n += strlen(bpf_str(st, pol->name)) + strlen(bpf_str(st, pol->namespace)) + strlen(ir_kind_name(pol->kind)) +
		     strlen(bpf_str(st, r->message)) + strlen(r->loc.src && r->loc.src->name ? r->loc.src->name : "") +
		     strlen(bpf_str(st, r->target)) + 6;
		for (uint32_t k = 0; k < r->tags.n; k++)
			n += strlen(bpf_str(st, r->tags.items[k])) + 1;
	}
	return n;
}

static void bpf_write_image(struct bpf_state *st, struct be_buf *out)
{
	const struct ir_target *t = st->t;
	const struct ir_program *p = st->p;
	struct karmor_image_header h;
	memset(&h, 0, sizeof(h));
	memcpy(h.magic, KARMOR_IMAGE_MAGIC, 8);
	h.version = KARMOR_IMAGE_VERSION;
	h.endian = KARMOR_IMAGE_LITTLE;
	h.header_size = sizeof(h);
	h.flags = st->flags;
	h.name = bpf_intern(st, t->name);
	h.describe = bpf_intern(st, t->describe ? t->describe : "");
	h.karmorc_version = bpf_intern(st, st->ctx->version ? st->ctx->version : "");
	struct bpf_ident bi = {0};
	if (t->identity)
		bpf_ident_intern(st, t->identity, &bi);
	for (int c = 0; c < KARMOR_PC_COUNT; c++) {
		h.allow_list[c] = st->allow_list[c];
		h.posture[c] = t->posture[c] == IR_POSTURE_BLOCK ? KARMOR_POSTURE_BLOCK : KARMOR_POSTURE_AUDIT;
	}
	h.nsources = (uint16_t)st->nspecs;
	if (st->ctx->findings_only && bpf_strings_bound(st) <= UINT32_MAX)
		return;	/* lint: the strings fit, whatever they share; no image is wanted */

	struct karmor_image_rule *rules = calloc(t->nrules + 1, sizeof(*rules));
	if (!rules)
		fe_oom();
	for (uint32_t i = 0; i < t->nrules; i++) {
		const struct ir_rule *r = &p->rules[t->rules[i]];
		const struct ir_policy *pol = &p->policies[r->policy];
		struct karmor_image_rule *ir = &rules[i];
		ir->policy = bpf_intern(st, bpf_str(st, pol->name));
		ir->namespace_ = bpf_intern(st, bpf_str(st, pol->namespace));
		ir->kind = bpf_intern(st, ir_kind_name(pol->kind));
		ir->tags = bpf_intern(st, bpf_tags(st, &r->tags));
		ir->message = bpf_intern(st, bpf_str(st, r->message));
		ir->file = bpf_intern(st, r->loc.src && r->loc.src->name ? r->loc.src->name : "");
		ir->line = r->loc.line;
		ir->col = r->loc.col;
		ir->target = bpf_intern(st, bpf_str(st, r->target));
		ir->severity = (uint8_t)(r->severity > 0 && r->severity <= 10 ? r->severity : 0);
		ir->action = (uint8_t)r->action;
		ir->cls = (uint8_t)r->cls;
	}
	if (st->npaths > 1)
		qsort(st->paths, st->npaths, sizeof(*st->paths), bpf_path_cmp);
	if (st->nets.n > 1)
		qsort(st->nets.items, st->nets.n, sizeof(*st->nets.items), bpf_id_cmp);
	if (st->caps.n > 1)
		qsort(st->caps.items, st->caps.n, sizeof(*st->caps.items), bpf_id_cmp);
	if (st->nsrcs > 1)
		qsort(st->srcs, st->nsrcs, sizeof(*st->srcs), bpf_src_cmp);
	if (st->nsys > 1)
		qsort(st->sys, st->nsys, sizeof(*st->sys), bpf_sys_cmp);

	/* string ids are offsets: the strings in first-use order, each with its NUL */
	uint64_t *off = malloc((st->strs.count + 1) * sizeof(*off));
	if (!off)
		fe_oom();
	uint64_t strtab = 0;
	for (uint32_t i = 0; i < st->strs.count; i++) {
		off[i] = strtab;
		strtab += st->strs.lens[i] + 1;
	}
	uint64_t strtab_size = (strtab + 7) & ~(uint64_t)7;	/* NUL padding keeps the trailer aligned */
	h.nrules = t->nrules;
	h.npaths = (uint32_t)st->npaths;
	h.nnets = (uint32_t)st->nets.n;
	h.ncaps = (uint32_t)st->caps.n;
	h.nsrcs = (uint32_t)st->nsrcs;
	h.strtab_size = (uint32_t)strtab_size;
	h.rules_off = sizeof(h);
	h.paths_off = h.rules_off + (uint64_t)t->nrules * sizeof(struct karmor_image_rule);
	h.nets_off = h.paths_off + (uint64_t)st->npaths * sizeof(struct karmor_image_path);
	h.caps_off = h.nets_off + (uint64_t)st->nets.n * sizeof(struct karmor_image_id);
	h.srcs_off = h.caps_off + (uint64_t)st->caps.n * sizeof(struct karmor_image_id);
	h.ident_off = h.srcs_off + (uint64_t)st->nsrcs * sizeof(struct karmor_image_src);
	h.ident_size = t->identity ? (uint32_t)(sizeof(struct karmor_image_identity) +
						 bi.nlabels * sizeof(struct karmor_image_label))
				   : 0;
	h.dfa_off = h.ident_off + h.ident_size;
	h.dfa_words = st->dfa_words;
	h.sys_off = h.dfa_off + karmor_round8((uint64_t)st->dfa_words * sizeof(uint32_t));
	h.nsys = (uint32_t)st->nsys;
	h.strtab_off = h.sys_off + (uint64_t)st->nsys * sizeof(struct karmor_image_sys);
	h.file_size = h.strtab_off + strtab_size + crypto_hash_sha256_BYTES;
	if (strtab_size > UINT32_MAX) {
		fe_diag_add(st->ctx->diags, FE_ERROR, FE_BE_CAPACITY, p->policies[t->policies[0]].loc,
			    "bpf: the strings of target %s take %llu bytes, more than an image can hold (4 GiB)", t->name,
			    (unsigned long long)strtab_size);
		free(rules);
		free(off);
		return;
	}
	if (st->ctx->findings_only) {	/* lint: the sizes are checked, no image is wanted */
		free(rules);
		free(off);
		return;
	}
	h.name = (uint32_t)off[h.name];
	h.describe = (uint32_t)off[h.describe];
	h.karmorc_version = (uint32_t)off[h.karmorc_version];

	unsigned char *img = calloc(1, h.file_size);
	if (!img)
		fe_oom();
	memcpy(img, &h, sizeof(h));
	for (uint32_t i = 0; i < t->nrules; i++) {
		struct karmor_image_rule *ir = &rules[i];
		ir->policy = (uint32_t)off[ir->policy];
		ir->namespace_ = (uint32_t)off[ir->namespace_];
		ir->kind = (uint32_t)off[ir->kind];
		ir->tags = (uint32_t)off[ir->tags];
		ir->message = (uint32_t)off[ir->message];
		ir->file = (uint32_t)off[ir->file];
		ir->target = (uint32_t)off[ir->target];
	}
	if (t->nrules)
		memcpy(img + h.rules_off, rules, t->nrules * sizeof(*rules));
	for (size_t i = 0; i < st->npaths; i++) {
		struct karmor_image_path rec;
		memset(&rec, 0, sizeof(rec));
		rec.str = st->paths[i].s ? (uint32_t)off[st->paths[i].str] : st->paths[i].str;
		rec.source = st->paths[i].source;
		rec.role = st->paths[i].role;
		rec.cls = st->paths[i].cls;
		rec.value = st->paths[i].v;
		memcpy(img + h.paths_off + i * sizeof(rec), &rec, sizeof(rec));
	}
	const struct bpf_ids *sets[2] = {&st->nets, &st->caps};
	uint64_t set_off[2] = {h.nets_off, h.caps_off};
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < sets[k]->n; i++) {
			struct karmor_image_id rec;
			memset(&rec, 0, sizeof(rec));
			rec.source = sets[k]->items[i].source;
			rec.id = sets[k]->items[i].id;
			rec.e = sets[k]->items[i].e;
			memcpy(img + set_off[k] + i * sizeof(rec), &rec, sizeof(rec));
		}
	}
	for (size_t i = 0; i < st->nsrcs; i++) {
		struct karmor_image_src rec;
		memset(&rec, 0, sizeof(rec));
		rec.str = (uint32_t)off[st->srcs[i].str];
		rec.role = st->srcs[i].role;
		rec.value = st->srcs[i].v;
		memcpy(img + h.srcs_off + i * sizeof(rec), &rec, sizeof(rec));
	}
	if (t->identity) {
		struct karmor_image_identity rec;
		memset(&rec, 0, sizeof(rec));
		rec.flags = bi.flags;
		rec.nlabels = bi.nlabels;
		struct karmor_image_strref *f[6] = {&rec.kind, &rec.namespace_, &rec.workload, &rec.pod, &rec.container,
						    &rec.image};
		for (int i = 0; i < 6; i++)
			*f[i] = bpf_strref(st, off, bi.strs[i]);
		memcpy(img + h.ident_off, &rec, sizeof(rec));
		for (uint32_t i = 0; i < bi.nlabels; i++) {
			struct karmor_image_label l = {bpf_strref(st, off, bi.labels[2 * i]),
						       bpf_strref(st, off, bi.labels[2 * i + 1])};
			memcpy(img + h.ident_off + sizeof(rec) + i * sizeof(l), &l, sizeof(l));
		}
	}
	if (st->dfa_words)
		memcpy(img + h.dfa_off, st->dfa, (size_t)st->dfa_words * sizeof(uint32_t));
	for (size_t i = 0; i < st->nsys; i++) {
		struct karmor_image_sys rec;
		memset(&rec, 0, sizeof(rec));
		rec.str = (uint32_t)off[st->sys[i].str];
		rec.source = st->sys[i].source;
		rec.nr = st->sys[i].nr;
		rec.role = st->sys[i].role;
		rec.value = st->sys[i].v;
		memcpy(img + h.sys_off + i * sizeof(rec), &rec, sizeof(rec));
	}
	for (uint32_t i = 0; i < st->strs.count; i++)
		memcpy(img + h.strtab_off + off[i], st->strs.strs[i], st->strs.lens[i]);
	crypto_hash_sha256(img + h.file_size - crypto_hash_sha256_BYTES, img, h.file_size - crypto_hash_sha256_BYTES);
	be_write(out, img, h.file_size);
	free(img);
	free(rules);
	free(off);
}

/* ---- capacity ---- */

/* fromSource entries of one target up to which the most one executable matches is counted */
#define BPF_MEASURE_SPECS 4096

static bool bpf_target_capacity(struct bpf_state *st, struct fe_loc loc)
{
	struct be_ctx *ctx = st->ctx;
	const struct ir_target *t = st->t;
	bool ok = true;
	if (t->nrules > KARMOR_MAX_RULES) {
		fe_diag_add(ctx->diags, FE_ERROR, FE_BE_CAPACITY, loc, "bpf: target %s has %s rules, more than a rule "
			    "table holds (%s, KARMOR_MAX_RULES)", t->name, be_num(ctx->arena, t->nrules),
			    be_num(ctx->arena, KARMOR_MAX_RULES));
		ok = false;
	}
	if (st->nspecs > KARMOR_MAX_SOURCES) {
		const struct ir_rule *r = &st->p->rules[st->specs[KARMOR_MAX_SOURCES].rule];
		fe_diag_add(ctx->diags, FE_ERROR, FE_BE_CAPACITY, r->loc, "bpf: target %s has %zu distinct fromSource "
			    "entries, more than the %d slots of a target (KARMOR_MAX_SOURCES)", t->name, st->nspecs,
			    KARMOR_MAX_SOURCES);
		ok = false;
	}
	/* counted in pairs of entries: far beyond the slots of a target (itself an error) the
	 * count is not worth its cost, and the resource is left unmeasured */
	if (st->nspecs > BPF_MEASURE_SPECS)
		return false;
	size_t worst;
	const char *example;
	size_t most = bpf_max_task_sources(st, &worst, &example);
	st->task_srcs = most;
	st->task_measured = true;
	if (most > KARMOR_MAX_TASK_SOURCES) {
		const struct ir_rule *r = &st->p->rules[st->specs[worst].rule];
		fe_diag_add(ctx->diags, FE_ERROR, FE_BE_CAPACITY, r->loc, "bpf: an executable at %s would match %zu "
			    "fromSource entries of target %s at once, more than the kernel keeps for a task (%d, "
			    "KARMOR_MAX_TASK_SOURCES)", example, most, t->name, KARMOR_MAX_TASK_SOURCES);
		ok = false;
	}
	return ok;
}

static void bpf_emit(struct be_ctx *ctx, const struct ir_target *t)
{
	struct bpf_state st;
	memset(&st, 0, sizeof(st));
	st.ctx = ctx;
	st.t = t;
	st.p = ctx->prog;
	ir_strtab_init(&st.strs, ctx->arena);
	struct fe_loc loc = t->npolicies ? st.p->policies[t->policies[0]].loc : (struct fe_loc){NULL, 0, 0};

	bpf_classify(&st);
	for (uint32_t pi = 0; pi < t->npolicies; pi++) {
		const struct ir_policy *pol = &st.p->policies[t->policies[pi]];
		if (pol->apparmor)
			fe_diag_add(ctx->diags, FE_WARNING, FE_BE_NATIVE, pol->loc, "bpf: the native AppArmor lines of "
				    "policy %s are not used by the BPF programs (target %s); the verdict model does not "
				    "account for them either", bpf_str(&st, pol->name), t->name);
	}
	bool fits = bpf_target_capacity(&st, loc);
	fits = bpf_identity_fits(&st) && fits;
	if (fits) {
		bpf_keys(&st);
		be_kernel_couplings(ctx, t);
		if (st.nspecs)
			st.flags |= KARMOR_TF_SOURCES;
		const struct ir_policy *opt = ir_target_allows_mount(st.p, t);
		if (opt && (st.flags & KARMOR_TF_CONFINE)) {
			st.flags &= ~(uint32_t)KARMOR_TF_CONFINE;
			fe_diag_add(ctx->diags, FE_NOTE, FE_BE_CONFINEMENT_OPT_OUT, opt->allow_mount_loc,
				    "bpf: target %s may mount, unmount, pivot_root and create user namespaces "
				    "(policy %s opts it out)", t->name, bpf_str(&st, opt->name));
		}
		if (t->host)
			st.flags |= KARMOR_TF_HOST;
	}
	if (fits && !st.failed) {
		struct be_file *f = ctx->findings_only ? NULL
				    : be_new_file(ctx, fe_arena_printf(ctx->arena, "bpf/%s%s", t->name, KARMOR_IMAGE_SUFFIX));
		bpf_write_image(&st, f ? &f->text : NULL);
	}

	struct be_bpf_run *run = bpf_run(ctx);
	struct bpf_usage *u = fe_arena_zalloc(ctx->arena, sizeof(*u));
	u->name = t->name;
	u->loc = loc;
	u->paths = st.npaths;
	u->nets = st.nets.n;
	u->caps = st.caps.n;
	u->srcs = fits ? st.nsrcs : st.nspecs;	/* keys are not built for a target over capacity */
	u->rules = t->nrules;
	u->sys = st.nsys;
	u->dfa_words = st.dfa_words;
	u->dfa_states = st.dfa ? st.dfa[KARMOR_DFA_NSTATES] : 0;
	u->slots = st.nspecs;
	u->task_srcs = st.task_srcs;
	u->task_measured = st.task_measured;
	*run->tail = u;
	run->tail = &u->next;
	run->ntargets++;

	free(st.dfa);
	free(st.paths);
	free(st.nets.items);
	free(st.caps.items);
	free(st.srcs);
	free(st.sys);
	bpf_index_free(&st.sys_index);
	bpf_index_free(&st.path_index);
	bpf_index_free(&st.nets.index);
	bpf_index_free(&st.caps.index);
	bpf_index_free(&st.src_index);
	ir_strtab_free(&st.strs);
}

static void bpf_usage_line(FILE *out, struct fe_arena *a, const char *name, const struct bpf_usage *u)
{
	fprintf(out, "bpf: %s: %s path entries, %s network, %s capability, %s source entries, %s rule%s", name,
		be_num(a, u->paths), be_num(a, u->nets), be_num(a, u->caps), be_num(a, u->srcs), be_num(a, u->rules),
		u->rules == 1 ? "" : "s");
	if (u->dfa_words)
		fprintf(out, ", %s pattern words", be_num(a, u->dfa_words));
	if (u->sys)
		fprintf(out, ", %s syscall entries", be_num(a, u->sys));
}

/* What a set of targets asks of the maps (bpf/karmor.h, "map sizes"). */
static void bpf_count(struct karmor_map_counts *c, const struct bpf_usage *u)
{
	c->targets++;
	c->paths += u->paths;
	c->nets += u->nets;
	c->caps += u->caps;
	c->srcs += u->srcs;
	c->dfa_words += u->dfa_words;
	c->sys += u->sys;
}

/* The bytes one target's entries add to the maps: its share of the budget. */
static uint64_t bpf_target_bytes(const struct bpf_usage *u)
{
	struct karmor_map_counts none = {0, 0, 0, 0, 0, 0, 0}, one = none;
	bpf_count(&one, u);
	return karmor_maps_bytes(&one, KARMOR_BUDGET_CPUS, NULL) - karmor_maps_bytes(&none, KARMOR_BUDGET_CPUS, NULL);
}

/* The bounded resources of one output (bpf/karmor.h): the maps all targets share (sized by
 * the loader from the images, so bounded by the kernel's limit and the memory budget), then
 * what each target may hold.  KARMOR_MAX_CGROUPS is not here: bindings are made at load
 * time, not by the compiler. */
enum { BPF_R_PATHS, BPF_R_NETS, BPF_R_CAPS, BPF_R_SRCS, BPF_R_DFA, BPF_R_TARGETS, BPF_R_BYTES, BPF_R_RULES, BPF_R_SLOTS,
       BPF_R_TASK, BPF_R_STATES, BPF_R_SYS, BPF_NR };

static const struct {
	const char *what;
	uint64_t limit;		/* 0: the run's budget */
	bool per_target;
} bpf_resources[BPF_NR] = {
	[BPF_R_PATHS] = {"path map entries (KARMOR_MAP_MAX_ENTRIES)", KARMOR_MAP_MAX_ENTRIES, false},
	[BPF_R_NETS] = {"network map entries (KARMOR_MAP_MAX_ENTRIES)", KARMOR_MAP_MAX_ENTRIES, false},
	[BPF_R_CAPS] = {"capability map entries (KARMOR_MAP_MAX_ENTRIES)", KARMOR_MAP_MAX_ENTRIES, false},
	[BPF_R_SRCS] = {"source map entries (KARMOR_MAP_MAX_ENTRIES)", KARMOR_MAP_MAX_ENTRIES, false},
	[BPF_R_DFA] = {"pattern map words (KARMOR_MAP_MAX_ENTRIES)", KARMOR_MAP_MAX_ENTRIES, false},
	[BPF_R_TARGETS] = {"targets loaded at once (KARMOR_MAX_TARGETS)", KARMOR_MAX_TARGETS, false},
	[BPF_R_BYTES] = {"bytes of kernel memory for the maps (the budget, --bpf-map-budget)", 0, false},
	[BPF_R_RULES] = {"rules of one target (KARMOR_MAX_RULES)", KARMOR_MAX_RULES, true},
	[BPF_R_SLOTS] = {"fromSource slots of one target (KARMOR_MAX_SOURCES)", KARMOR_MAX_SOURCES, true},
	[BPF_R_TASK] = {"fromSource entries one executable matches at once (KARMOR_MAX_TASK_SOURCES)",
			KARMOR_MAX_TASK_SOURCES, true},
	[BPF_R_STATES] = {"states of one target's pattern automaton (KARMOR_DFA_MAX_STATES)", KARMOR_DFA_MAX_STATES, true},
	[BPF_R_SYS] = {"syscall map entries (KARMOR_MAP_MAX_ENTRIES)", KARMOR_MAP_MAX_ENTRIES, false},
};

static void bpf_amounts(const struct bpf_usage *u, uint64_t n[BPF_NR])
{
	n[BPF_R_PATHS] = u->paths;
	n[BPF_R_NETS] = u->nets;
	n[BPF_R_CAPS] = u->caps;
	n[BPF_R_SRCS] = u->srcs;
	n[BPF_R_DFA] = u->dfa_words;
	n[BPF_R_TARGETS] = 1;
	n[BPF_R_BYTES] = bpf_target_bytes(u);
	n[BPF_R_RULES] = u->rules;
	n[BPF_R_SLOTS] = u->slots;
	n[BPF_R_TASK] = u->task_srcs;
	n[BPF_R_STATES] = u->dfa_states;
	n[BPF_R_SYS] = u->sys;
}

/* Each resource's use, for `lint` (be_usage): a shared map's total (the bytes: of every
 * map, `bytes`), or the largest target's own; the target named is the one that uses the
 * most (the first of equals). */
static void bpf_record_usage(struct be_ctx *ctx, const struct be_bpf_run *run, uint64_t bytes)
{
	if (!run->first)
		return;	/* nothing emitted: nothing used */
	uint64_t total[BPF_NR] = {0}, most[BPF_NR] = {0}, least[BPF_NR];
	const struct bpf_usage *by[BPF_NR];
	bool measured[BPF_NR];
	for (int k = 0; k < BPF_NR; k++) {
		measured[k] = true;
		by[k] = run->first;
		least[k] = UINT64_MAX;
	}
	for (const struct bpf_usage *u = run->first; u; u = u->next) {
		uint64_t n[BPF_NR];
		bpf_amounts(u, n);
		measured[BPF_R_TASK] &= u->task_measured;
		for (int k = 0; k < BPF_NR; k++) {
			total[k] += n[k];
			least[k] = n[k] < least[k] ? n[k] : least[k];
			if (n[k] > most[k]) {
				most[k] = n[k];
				by[k] = u;
			}
		}
	}
	total[BPF_R_BYTES] = bytes;	/* the fixed maps and the buckets too, not only the targets' shares */
	for (int k = 0; k < BPF_NR; k++) {
		if (!measured[k])
			continue;	/* a number that was not counted is not reported */
		/* when every target uses as much, no one of them stands out */
		bool one = run->ntargets == 1 || least[k] != most[k];
		struct be_usage rec = {bpf_resources[k].what, bpf_resources[k].per_target,
				       bpf_resources[k].per_target ? most[k] : total[k],
				       bpf_resources[k].limit ? bpf_resources[k].limit : run->budget, most[k], run->ntargets,
				       one ? by[k]->name : NULL, by[k]->loc};
		be_usage_add(ctx, &rec);
	}
}

/* The budget's error: every map's bytes, the sized ones by name. */
static const char *bpf_budget_detail(struct fe_arena *a, const struct karmor_map_counts *c)
{
	__u64 bytes[KARMOR_BM_COUNT], fixed = 0;
	karmor_maps_bytes(c, KARMOR_BUDGET_CPUS, bytes);
	const char *s = "";
	for (enum karmor_budget_map m = 0; m < KARMOR_BM_COUNT; m++) {
		const struct karmor_map_desc *d = karmor_map_desc(m);
		if (!d->sized) {
			fixed += bytes[m];
			continue;
		}
		s = fe_arena_printf(a, "%s%s %s bytes (%s entries), ", s, d->what, be_num(a, bytes[m]),
				    be_num(a, karmor_map_entries(c, m)));
	}
	return fe_arena_printf(a, "%sthe fixed maps (cgroups, ring buffer) %s bytes", s, be_num(a, fixed));
}

static bool bpf_finish(struct be_ctx *ctx, FILE *out)
{
	struct bpf_usage total;
	memset(&total, 0, sizeof(total));
	struct fe_arena *a = ctx->arena;
	/* no policy applies to any target: an empty output, still a complete one */
	struct be_bpf_run *run = bpf_run(ctx);
	struct karmor_map_counts c = {0, 0, 0, 0, 0, 0, 0};
	/* the first target that takes a map over its limit, or the maps over the budget, is
	 * where the error points */
	const struct bpf_usage *over[KARMOR_BM_COUNT] = {NULL}, *over_budget = NULL;
	for (const struct bpf_usage *u = run->first; u; u = u->next) {
		if (out) {
			bpf_usage_line(out, a, u->name, u);
			fputc('\n', out);
		}
		total.paths += u->paths;
		total.nets += u->nets;
		total.caps += u->caps;
		total.srcs += u->srcs;
		total.sys += u->sys;
		total.rules += u->rules;
		total.dfa_words += u->dfa_words;
		bpf_count(&c, u);
		for (enum karmor_budget_map m = 0; m < KARMOR_BM_COUNT; m++)
			if (karmor_map_desc(m)->sized && !over[m] && karmor_map_entries(&c, m) > karmor_map_limit(m))
				over[m] = u;
		if (!over_budget && karmor_maps_bytes(&c, KARMOR_BUDGET_CPUS, NULL) > run->budget)
			over_budget = u;
	}
	uint64_t bytes = karmor_maps_bytes(&c, KARMOR_BUDGET_CPUS, NULL);
	if (out) {
		bpf_usage_line(out, a, fe_arena_printf(a, "total (%s target%s)", be_num(a, c.targets),
						      c.targets == 1 ? "" : "s"), &total);
		fprintf(out, "; maps %s of %s bytes (--bpf-map-budget)\n", be_num(a, bytes), be_num(a, run->budget));
	}
	bpf_record_usage(ctx, run, bytes);
	bool ok = true;
	if (over[KARMOR_BM_TARGETS]) {
		const struct bpf_usage *u = over[KARMOR_BM_TARGETS];
		fe_diag_add(ctx->diags, FE_ERROR, FE_BE_CAPACITY, u->loc, "bpf: this output has %s targets, more "
			    "than the %s that can be loaded at once (KARMOR_MAX_TARGETS); target %s is the first one over",
			    be_num(a, c.targets), be_num(a, KARMOR_MAX_TARGETS), u->name)->target = u->name;
		ok = false;
	}
	for (enum karmor_budget_map m = KARMOR_BM_PATHS; m < KARMOR_BM_COUNT; m++) {
		if (!over[m])
			continue;	/* (from the path map on: the counters, 3 a target, go over only with the targets) */
		fe_diag_add(ctx->diags, FE_ERROR, FE_BE_CAPACITY, over[m]->loc, "bpf: the targets of this output need %s "
			    "entries of the %s, more than the %s a BPF hash map can hold (KARMOR_MAP_MAX_ENTRIES); target %s "
			    "takes it over: compile fewer policies into one output directory",
			    be_num(a, karmor_map_entries(&c, m)), karmor_map_desc(m)->what, be_num(a, karmor_map_limit(m)),
			    over[m]->name)->target = over[m]->name;
		ok = false;
	}
	if (ok && over_budget) {
		fe_diag_add(ctx->diags, FE_ERROR, FE_BE_CAPACITY, over_budget->loc, "bpf: the maps of this output need %s "
			    "bytes of kernel memory, more than the budget of %s (--bpf-map-budget): %s; target %s takes "
			    "them over: raise the budget or compile fewer policies into one output directory",
			    be_num(a, bytes), be_num(a, run->budget), bpf_budget_detail(a, &c),
			    over_budget->name)->target = over_budget->name;
		ok = false;
	}
	return ok;
}

/* --bpf-map-budget SIZE: bytes, or with a binary unit K, M, G, T or P (KiB, ... also taken). */
bool be_bpf_set_budget(struct be_ctx *ctx, const char *value)
{
	static const char units[] = "KMGTP";
	uint64_t n = 0;
	const char *p = value;
	while (*p >= '0' && *p <= '9' && n <= (UINT64_MAX - 9) / 10)
		n = n * 10 + (uint64_t)(*p++ - '0');
	int shift = 0;
	const char *u = *p ? strchr(units, *p) : NULL;
	if (u) {
		shift = 10 * (int)(u - units + 1);
		p += p[1] == 'i' && p[2] == 'B' ? 3 : 1;
	}
	/* at most 2^50 bytes (1 PiB): beyond that no node has the memory, and sums stay far from overflow */
	if (p == value || *p || n == 0 || n > (1ull << 50) >> shift) {
		fprintf(stderr, "karmorc: --bpf-map-budget '%s': expected a size from 1 byte to 1P, in bytes "
			"or with K, M, G, T or P (binary: 256M is 268,435,456 bytes)\n", value);
		return false;
	}
	bpf_run(ctx)->budget = n << shift;
	return true;
}

static const char *bpf_subject_for(struct be_ctx *ctx, const struct ir_target *t, const char *source)
{
	(void)ctx;
	(void)source;
	return t->name;	/* fromSource is decided per task inside the one target */
}

/* The BPF object the images are for, copied beside them: --bpf-object, $KARMORC_BPF_OBJECT,
 * then where a build tree or an install puts it relative to this executable. */
static bool bpf_object_read(const char *given, struct be_buf *out)
{
	const char *env = getenv("KARMORC_BPF_OBJECT");
	char exe[4096], cand[5][4200];
	size_t n = 0;
	if (given) {
		snprintf(cand[n++], sizeof(cand[0]), "%s", given);
	} else if (env && *env) {
		snprintf(cand[n++], sizeof(cand[0]), "%s", env);
	} else {
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (len > 0) {
			exe[len] = '\0';
			char *slash = strrchr(exe, '/');
			if (slash)
				*slash = '\0';
			snprintf(cand[n++], sizeof(cand[0]), "%s/bpf/karmor.bpf.o", exe);
			snprintf(cand[n++], sizeof(cand[0]), "%s/../bpf/karmor.bpf.o", exe);
			snprintf(cand[n++], sizeof(cand[0]), "%s/../lib/karmorc/karmor.bpf.o", exe);
		}
	}
	for (size_t i = 0; i < n; i++) {
		FILE *f = fopen(cand[i], "rb");
		if (!f) {
			if (given || (env && *env) || (errno != ENOENT && errno != ENOTDIR)) {
				fprintf(stderr, "karmorc: %s: %s (the BPF object%s)\n", cand[i], strerror(errno),
					given ? " named by --bpf-object" : env && *env ? " named by $KARMORC_BPF_OBJECT" : "");
				return false;
			}
			continue;
		}
		char chunk[65536];
		size_t got;
		while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
			be_write(out, chunk, got);
		bool err = ferror(f);
		fclose(f);
		/* an ELF object for the BPF machine (EM_BPF = 247), little-endian, 64-bit */
		if (err || out->len < 64 || memcmp(out->s, "\177ELF", 4) != 0 || out->s[4] != 2 || out->s[5] != 1 ||
		    (unsigned char)out->s[18] != 247 || out->s[19] != 0) {
			fprintf(stderr, "karmorc: %s: %s\n", cand[i], err ? strerror(errno) : "not a little-endian 64-bit ELF "
				"object for BPF (EM_BPF)");
			return false;
		}
		return true;
	}
	fprintf(stderr, "karmorc: the BPF object karmor.bpf.o was not found (looked in");
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s %s", i ? "," : "", cand[i]);
	fprintf(stderr, "): build it with `make` in the karmorc source tree, or name it with --bpf-object FILE "
		"or $KARMORC_BPF_OBJECT\n");
	return false;
}

/* --bpf-object: the object is found (and checked) before any policy is read: without it no
 * output directory can be applied.  It is copied beside the images. */
static bool bpf_prepare(struct be_ctx *ctx, const char *arg)
{
	struct be_buf object = {0};
	if (!bpf_object_read(arg, &object)) {
		be_buf_free(&object);
		return false;
	}
	be_new_file(ctx, "bpf/karmor.bpf.o")->text = object;	/* the file owns the bytes now */
	return true;
}

/* What the BPF programs cannot do as the verdict model says (the emit code reports each). */
static const struct be_capability bpf_caps[] = {
	{IR_NETWORK, IR_M_PROTOCOL, BE_PARTIAL, FE_BE_PROTOCOL, "only INET/INET6 sockets of known protocols"},
	{IR_CAPABILITY, IR_M_CAPABILITY, BE_PARTIAL, FE_BE_NOT_ENFORCED, "capabilities without a number"},
	/* syscall rules (audit only): raw tracepoints, as the verdict model says (no row: full) */
	{IR_NETWORK, IR_M_DOMAIN, BE_NONE, FE_BE_NOT_ENFORCED, "DNS rules"},
	{IR_PRESET, IR_M_PRESET, BE_NONE, FE_BE_NOT_ENFORCED, "presets"},
	{IR_DEVICE, IR_M_DEVICE, BE_NONE, FE_BE_NOT_ENFORCED, "devices"},
};

const struct be_backend be_bpf = {
	.name = "bpf",
	.folder = "bpf",
	.built_for = "BPF-LSM: Linux >= 5.17 with BTF and bpf in lsm= (proven on Debian 12, 6.1); map images for bpf/karmor.bpf.o",
	.subjects = BE_BOTH,
	.caps = bpf_caps,
	.ncaps = sizeof(bpf_caps) / sizeof(bpf_caps[0]),
	.emit = bpf_emit,
	.finish = bpf_finish,
	.subject_for = bpf_subject_for,
	.option = "bpf-object",
	.option_arg = "FILE",
	.prepare = bpf_prepare,
};
