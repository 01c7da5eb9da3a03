#include "lower.h"

#include <assert.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ node access */

static const char *lw_str(const struct fe_ynode *map, const char *key)
{
	const struct fe_ynode *n = fe_ymap_get(map, key);
	return n && n->kind == FE_YN_SCALAR && n->type == FE_YS_STR ? n->str : NULL;
}

static const struct fe_ynode *lw_map(const struct fe_ynode *map, const char *key)
{
	const struct fe_ynode *n = fe_ymap_get(map, key);
	return n && n->kind == FE_YN_MAP ? n : NULL;
}

static const struct fe_ynode *lw_seq(const struct fe_ynode *map, const char *key)
{
	const struct fe_ynode *n = fe_ymap_get(map, key);
	return n && n->kind == FE_YN_SEQ ? n : NULL;
}

/* The fields a rule entry, a section or a spec can carry, gathered in one pass over the
 * mapping (lowering would otherwise search every mapping a dozen times). */
enum lw_key {
	K_PATH, K_EXECNAME, K_DIR, K_PATTERN, K_PROTOCOL, K_CAPABILITY, K_DOMAIN, K_RECURSIVE, K_READONLY,
	K_OWNERONLY, K_PTS, K_FROMSOURCE, K_ALLOWEDARGS, K_SEVERITY, K_TAGS, K_MESSAGE, K_ACTION, K_SYSCALL,
	K_COUNT
};
static const char *const lw_key_names[K_COUNT] = {
	"path", "execname", "dir", "pattern", "protocol", "capability", "domain", "recursive", "readOnly",
	"ownerOnly", "pts", "fromSource", "allowedArgs", "severity", "tags", "message", "action", "syscall",
};

struct lw_fields {
	const struct fe_ynode *v[K_COUNT];
};

static void lw_gather(const struct fe_ynode *map, struct lw_fields *f)
{
	memset(f, 0, sizeof(*f));
	if (!map || map->kind != FE_YN_MAP)
		return;
	/* candidates by first letter, so a key is compared with one or two names */
	static signed char first[26][4];
	static bool ready;
	if (!ready) {
		memset(first, -1, sizeof(first));
		for (int j = 0; j < K_COUNT; j++) {
			int l = lw_key_names[j][0] - 'a', s = 0;
			while (s < 4 && first[l][s] >= 0)
				s++;
			assert(s < 4);	/* at most four names share a first letter */
			first[l][s] = (signed char)j;
		}
		ready = true;
	}
	for (size_t i = 0; i < map->n; i++) {
		const struct fe_ynode *k = fe_ymap_key(map, i);
		int l = k->str[0] - 'a';
		if (l < 0 || l >= 26)
			continue;
		for (int s = 0; s < 4 && first[l][s] >= 0; s++) {
			int j = first[l][s];
			if (strcmp(k->str, lw_key_names[j]) == 0) {
				f->v[j] = fe_ymap_val(map, i);	/* the last occurrence wins */
				break;
			}
		}
	}
}

static const char *lw_fstr(const struct lw_fields *f, enum lw_key k)
{
	const struct fe_ynode *n = f->v[k];
	return n && n->kind == FE_YN_SCALAR && n->type == FE_YS_STR ? n->str : NULL;
}

static bool lw_fbool(const struct lw_fields *f, enum lw_key k)
{
	const struct fe_ynode *n = f->v[k];
	return n && n->kind == FE_YN_SCALAR && n->type == FE_YS_BOOL && fe_yscalar_bool(n);
}

static const struct fe_ynode *lw_fseq(const struct lw_fields *f, enum lw_key k)
{
	const struct fe_ynode *n = f->v[k];
	return n && n->kind == FE_YN_SEQ ? n : NULL;
}

/* ------------------------------------------------- rules present check */

static const char *const lw_sections[] = {"process", "file", "network", "capabilities", "syscalls", "device"};
static const char *const lw_match_keys[][3] = {
	{"matchPaths", "matchDirectories", "matchPatterns"},
	{"matchPaths", "matchDirectories", "matchPatterns"},
	{"matchProtocols", "matchDNSQueries", NULL},
	{"matchCapabilities", NULL, NULL},
	{"matchSyscalls", "matchPaths", NULL},
	{"matchDevice", NULL, NULL},
};

bool fe_check_rules_present(struct fe_diags *d, const struct fe_source *src, const struct fe_ynode *root,
			    enum ir_kind kind)
{
	const struct fe_ynode *spec = lw_map(root, "spec");
	bool ok = true;
	size_t entries = 0;
	if (spec) {
		for (size_t s = 0; s < sizeof(lw_sections) / sizeof(lw_sections[0]); s++) {
			const struct fe_ynode *sec = fe_ymap_get(spec, lw_sections[s]);
			if (!sec || sec->kind != FE_YN_MAP)
				continue;	/* absent, null (warned) or mistyped (an error already) */
			size_t here = 0;
			for (int k = 0; k < 3 && lw_match_keys[s][k]; k++) {
				const struct fe_ynode *list = lw_seq(sec, lw_match_keys[s][k]);
				here += list ? list->n : 0;
			}
			if (here == 0) {
				struct fe_diag *dg = fe_diag_add(d, FE_ERROR, FE_EMPTY_SECTION, fe_ynode_loc(src, sec),
								 "section '%s' has no match entry, so it enforces "
								 "nothing", lw_sections[s]);
				fe_diag_fixit(d, dg, "add a %s list, or delete the section", lw_match_keys[s][0]);
				ok = false;
			}
			entries += here;
		}
		const struct fe_ynode *presets = lw_seq(spec, "presets");
		entries += presets ? presets->n : 0;
		const char *aa = lw_str(spec, "apparmor");
		entries += aa && *aa;
	}
	if (entries == 0) {
		const struct fe_ynode *at = spec ? spec : root;
		struct fe_diag *dg = fe_diag_add(d, FE_ERROR, FE_NO_RULES, fe_ynode_loc(src, at),
						 "this %s has no rule at all, so it enforces nothing", ir_kind_name(kind));
		fe_diag_fixit(d, dg, "add a process, file, network, capabilities or syscalls section with match "
			      "entries");
		ok = false;
	}
	return ok;
}

/* ------------------------------------------------------------ lowering */

struct lw_attrs {
	int severity;
	bool has_tags;
	struct ir_strlist tags;
	ir_str message;
	bool has_action;
	enum ir_action action;
};

struct lw_ctx {
	struct ir_program *p;
	struct fe_diags *d;
	const struct fe_source *src;
	enum ir_kind kind;
	enum fe_schema_mode mode;
	struct ir_rule *rules;
	uint32_t nrules, cap;
	bool ok;
};

/* Strings of rules and selectors.  A program that keeps no rules (`check`) needs none. */
static ir_str lw_intern(struct lw_ctx *c, const char *s)
{
	return c->p->count_rules_only ? 0 : ir_intern_cstr(&c->p->strs, s);
}

static struct ir_strlist lw_strlist(struct lw_ctx *c, const struct fe_ynode *seq)
{
	struct ir_strlist l = {NULL, 0};
	if (!seq || seq->kind != FE_YN_SEQ || seq->n == 0)
		return l;
	ir_str *items = fe_arena_alloc(c->p->arena, seq->n * sizeof(*items));
	for (size_t i = 0; i < seq->n; i++)
		if (seq->items[i]->kind == FE_YN_SCALAR)
			items[l.n++] = lw_intern(c, seq->items[i]->str);
	l.items = items;
	return l;
}

static enum ir_action lw_action(const char *s)
{
	bool lower;
	int a = fe_parse_action(s, &lower);
	return a < 0 ? IR_BLOCK : (enum ir_action)a;
}

/* Reads severity/tags/message/action of one level; unset fields inherit from `up`. */
static struct lw_attrs lw_attrs_from(struct lw_ctx *c, const struct lw_fields *f, const struct lw_attrs *up)
{
	struct lw_attrs a = *up;
	const struct fe_ynode *sev = f->v[K_SEVERITY];
	long v;
	if (sev && sev->kind == FE_YN_SCALAR && sev->type == FE_YS_INT && fe_yscalar_long(sev, &v) && v != 0)
		a.severity = (int)v;
	const struct fe_ynode *tags = lw_fseq(f, K_TAGS);
	if (tags && tags->n) {
		a.tags = lw_strlist(c, tags);
		a.has_tags = true;
	}
	const char *msg = lw_fstr(f, K_MESSAGE);
	if (msg && *msg)
		a.message = lw_intern(c, msg);
	const char *act = lw_fstr(f, K_ACTION);
	if (act && *act) {
		a.action = lw_action(act);
		a.has_action = true;
	}
	return a;
}

static struct lw_attrs lw_attrs_of(struct lw_ctx *c, const struct fe_ynode *map, const struct lw_attrs *up)
{
	struct lw_fields f;
	lw_gather(map, &f);
	return lw_attrs_from(c, &f, up);
}

/* Keeps a finished rule; a program that keeps no rules (`check`) only counts it. */
static void lw_keep(struct lw_ctx *c, const struct ir_rule *rule)
{
	if (c->p->count_rules_only) {
		c->nrules++;
		return;
	}
	if (c->nrules == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		struct ir_rule *r = realloc(c->rules, c->cap * sizeof(*r));
		if (!r) {
			fe_oom();
		}
		c->rules = r;
	}
	c->rules[c->nrules++] = *rule;
}

static char *lw_dir_norm(struct lw_ctx *c, const char *dir)
{
	size_t len = strlen(dir);
	if (len && dir[len - 1] == '/')
		return (char *)dir;
	return fe_arena_printf(c->p->arena, "%s/", dir);	/* daemon mode: warned in the schema */
}

/* Emits one rule per fromSource entry (or one with any source). */
static void lw_emit(struct lw_ctx *c, const struct ir_rule *proto, const struct lw_fields *entry,
		    bool syscall_sources)
{
	const struct fe_ynode *from = lw_fseq(entry, K_FROMSOURCE);
	if (c->kind == IR_HSP && proto->action == IR_ALLOW && (!from || from->n == 0) &&
	    proto->cls != IR_SYSCALL) {
		struct fe_diag *dg = fe_diag_add(c->d, FE_WARNING, FE_HOST_ALLOW_NO_SOURCE, proto->loc,
						 "host Allow rule without fromSource is ignored (DESIGN §4.6): "
						 "it would turn every host process into an allow-list");
		fe_diag_fixit(c->d, dg, "add fromSource naming the program this Allow is for");
		return;
	}
	if (!from || from->n == 0) {
		lw_keep(c, proto);
		return;
	}
	for (size_t i = 0; i < from->n; i++) {
		const struct fe_ynode *src = from->items[i];
		if (src->kind != FE_YN_MAP)
			continue;
		struct lw_fields sf;
		lw_gather(src, &sf);
		const char *path = lw_fstr(&sf, K_PATH);
		const char *dir = syscall_sources ? lw_fstr(&sf, K_DIR) : NULL;
		struct ir_rule r = *proto;
		if (path && *path) {
			r.source.kind = IR_SRC_PATH;
			r.source.path = lw_intern(c, path);
		} else if (dir && *dir) {
			r.source.kind = lw_fbool(&sf, K_RECURSIVE) ? IR_SRC_DIR_RECURSIVE : IR_SRC_DIR;
			r.source.path = lw_intern(c, lw_dir_norm(c, dir));
		} else {
			assert(!"the schema refuses a fromSource entry without path or dir");
			continue;
		}
		lw_keep(c, &r);
	}
}

/* Starts a rule from an entry: effective attributes, modifiers, location. */
static void lw_base(struct lw_ctx *c, struct ir_rule *r, enum ir_class cls, const struct fe_ynode *entry,
		    const struct lw_fields *f, const struct lw_attrs *section)
{
	struct lw_attrs a = lw_attrs_from(c, f, section);
	memset(r, 0, sizeof(*r));
	r->cls = cls;
	r->action = a.action;
	r->severity = a.severity;
	r->tags = a.tags;
	r->message = a.message;
	r->loc = fe_ynode_loc(c->src, entry);
	if (lw_fbool(f, K_READONLY))
		r->flags |= IR_RULE_READONLY;
	if (lw_fbool(f, K_OWNERONLY))
		r->flags |= IR_RULE_OWNERONLY;
	const struct fe_ynode *pts = f->v[K_PTS];
	if (pts && pts->kind == FE_YN_SCALAR && pts->type == FE_YS_BOOL && !fe_yscalar_bool(pts))
		r->flags |= IR_RULE_PTS_ONLY;
}

/* Gathers entry `e` of a match list and starts its rule. */
static void lw_entry(struct lw_ctx *c, struct ir_rule *r, struct lw_fields *f, enum ir_class cls,
		     enum ir_match match, const struct fe_ynode *e, const struct lw_attrs *sa)
{
	lw_gather(e, f);
	lw_base(c, r, cls, e, f, sa);
	r->match = match;
}

static void lw_process_or_file(struct lw_ctx *c, const struct fe_ynode *sec, enum ir_class cls,
			       const struct lw_attrs *spec)
{
	struct lw_attrs sa = lw_attrs_of(c, sec, spec);
	const struct fe_ynode *list;
	struct lw_fields f;
	struct ir_rule r;
	list = lw_seq(sec, "matchPaths");
	for (size_t i = 0; list && i < list->n; i++) {
		lw_entry(c, &r, &f, cls, IR_M_PATH, list->items[i], &sa);
		const char *path = lw_fstr(&f, K_PATH), *exe = lw_fstr(&f, K_EXECNAME);
		if (!path)
			r.match = IR_M_EXECNAME;
		r.target = lw_intern(c, path ? path : exe ? exe : "");
		r.allowed_args = lw_strlist(c, lw_fseq(&f, K_ALLOWEDARGS));
		lw_emit(c, &r, &f, false);
	}
	list = lw_seq(sec, "matchDirectories");
	for (size_t i = 0; list && i < list->n; i++) {
		lw_entry(c, &r, &f, cls, IR_M_DIR, list->items[i], &sa);
		if (lw_fbool(&f, K_RECURSIVE))
			r.match = IR_M_DIR_RECURSIVE;
		r.target = lw_intern(c, lw_dir_norm(c, lw_fstr(&f, K_DIR)));
		lw_emit(c, &r, &f, false);
	}
	list = lw_seq(sec, "matchPatterns");
	for (size_t i = 0; list && i < list->n; i++) {
		lw_entry(c, &r, &f, cls, IR_M_PATTERN, list->items[i], &sa);
		r.target = lw_intern(c, lw_fstr(&f, K_PATTERN));
		lw_emit(c, &r, &f, false);
	}
}

/* Splits "tcp, UDP" into lower-case names (capabilities lose a cap_ prefix). */
static void lw_name_list(struct lw_ctx *c, const struct ir_rule *proto, const struct lw_fields *f, const char *s,
			 bool capability)
{
	const char *p = s;
	char name[FE_NAME_MAX];
	bool prefixed;
	while (fe_name_list_next(&p, name, capability, &prefixed)) {
		if (*name) {
			struct ir_rule r = *proto;
			r.target = lw_intern(c, name);
			lw_emit(c, &r, f, false);
		}
	}
}

static void lw_network(struct lw_ctx *c, const struct fe_ynode *sec, const struct lw_attrs *spec)
{
	struct lw_attrs sa = lw_attrs_of(c, sec, spec);
	const struct fe_ynode *list;
	struct lw_fields f;
	struct ir_rule r;
	list = lw_seq(sec, "matchProtocols");
	for (size_t i = 0; list && i < list->n; i++) {
		lw_entry(c, &r, &f, IR_NETWORK, IR_M_PROTOCOL, list->items[i], &sa);
		lw_name_list(c, &r, &f, lw_fstr(&f, K_PROTOCOL), false);
	}
	list = lw_seq(sec, "matchDNSQueries");
	for (size_t i = 0; list && i < list->n; i++) {
		lw_entry(c, &r, &f, IR_NETWORK, IR_M_DOMAIN, list->items[i], &sa);
		/* KubeArmor trims leading and trailing dots */
		const char *dom = lw_fstr(&f, K_DOMAIN);
		size_t len = strlen(dom);
		while (len && *dom == '.') {
			dom++;
			len--;
		}
		while (len && dom[len - 1] == '.')
			len--;
		r.target = ir_intern(&c->p->strs, dom, len);
		lw_emit(c, &r, &f, false);
	}
}

static void lw_capabilities(struct lw_ctx *c, const struct fe_ynode *sec, const struct lw_attrs *spec)
{
	struct lw_attrs sa = lw_attrs_of(c, sec, spec);
	const struct fe_ynode *list;
	struct lw_fields f;
	struct ir_rule r;
	list = lw_seq(sec, "matchCapabilities");
	for (size_t i = 0; list && i < list->n; i++) {
		lw_entry(c, &r, &f, IR_CAPABILITY, IR_M_CAPABILITY, list->items[i], &sa);
		lw_name_list(c, &r, &f, lw_fstr(&f, K_CAPABILITY), true);
	}
}

static void lw_syscall_entries(struct lw_ctx *c, const struct fe_ynode *list, const struct lw_attrs *sa,
			       bool with_path)
{
	struct lw_fields f;
	struct ir_rule r;
	for (size_t i = 0; list && i < list->n; i++) {
		const struct fe_ynode *e = list->items[i];
		lw_entry(c, &r, &f, IR_SYSCALL, IR_M_SYSCALL, e, sa);
		r.action = IR_AUDIT;	/* syscall rules only ever audit (DESIGN §4.5) */
		if (with_path) {
			const char *path = lw_fstr(&f, K_PATH);
			assert(path && *path);	/* required by the schema */
			if (!path || !*path)
				continue;
			size_t len = strlen(path);
			r.has_path = true;
			r.path = lw_intern(c, path);
			r.path_match = path[len - 1] != '/' ? IR_M_PATH
				     : lw_fbool(&f, K_RECURSIVE) ? IR_M_DIR_RECURSIVE : IR_M_DIR;
		}
		/* the schema refuses a missing or empty list; nothing to emit then */
		const struct fe_ynode *calls = lw_fseq(&f, K_SYSCALL);
		assert(calls && calls->n);
		for (size_t k = 0; calls && k < calls->n; k++) {
			struct ir_rule one = r;
			one.target = lw_intern(c, calls->items[k]->str);
			lw_emit(c, &one, &f, true);
		}
	}
}

static void lw_selector(struct lw_ctx *c, struct ir_policy *pol, const struct fe_ynode *spec)
{
	const struct fe_ynode *sel = lw_map(spec, c->kind == IR_HSP ? "nodeSelector" : "selector");
	if (!sel)
		return;
	const struct fe_ynode *labels = lw_map(sel, "matchLabels");
	if (labels && labels->n) {
		struct ir_label *out = fe_arena_alloc(c->p->arena, labels->n * sizeof(*out));
		uint32_t n = 0;
		for (size_t i = 0; i < labels->n; i++) {
			const struct fe_ynode *k = fe_ymap_key(labels, i), *v = fe_ymap_val(labels, i);
			const char *val = v->kind == FE_YN_SCALAR ? v->str : "";
			if (c->kind != IR_HSP && strcmp(k->str, "kubearmor.io/container.name") == 0) {
				/* "[a,b]": restrict to those containers; empty items dropped; "[]" = no restriction */
				size_t len = strlen(val);
				if (len >= 2 && val[0] == '[' && val[len - 1] == ']') {
					val++;
					len -= 2;
				}
				ir_str *names = fe_arena_alloc(c->p->arena, (len + 1) * sizeof(*names));
				uint32_t count = 0;
				const char *p = val, *stop = val + len;
				while (p <= stop) {
					const char *e = memchr(p, ',', (size_t)(stop - p));
					if (!e)
						e = stop;
					const char *a = p, *b = e;
					while (a < b && (*a == ' ' || *a == '\t'))
						a++;
					while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
						b--;
					if (b > a)
						names[count++] = ir_intern(&c->p->strs, a, (size_t)(b - a));
					p = e + 1;
				}
				if (count) {
					pol->has_containers = true;
					pol->containers.items = names;
					pol->containers.n = count;
				}
				continue;
			}
			out[n].key = lw_intern(c, k->str);
			out[n].value = lw_intern(c, val);
			n++;
		}
		pol->labels = out;
		pol->nlabels = n;
	}
	const struct fe_ynode *exprs = lw_seq(sel, "matchExpressions");
	if (exprs && exprs->n) {
		struct ir_expr *out = fe_arena_zalloc(c->p->arena, exprs->n * sizeof(*out));
		uint32_t n = 0;
		for (size_t i = 0; i < exprs->n; i++) {
			const struct fe_ynode *e = exprs->items[i];
			const char *key = lw_str(e, "key"), *op = lw_str(e, "operator");
			assert(key && op);	/* required by the schema */
			if (!key || !op)
				continue;
			out[n].key = strcmp(key, "namespace") == 0 ? IR_EXPR_NAMESPACE : IR_EXPR_LABEL;
			out[n].op = strcmp(op, "NotIn") == 0 ? IR_OP_NOTIN : IR_OP_IN;
			out[n].values = lw_strlist(c, lw_seq(e, "values"));
			out[n].loc = fe_ynode_loc(c->src, e);
			n++;
		}
		pol->exprs = out;
		pol->nexprs = n;
	}
}

void fe_policy_identity(struct ir_program *p, const struct fe_source *src, const struct fe_ydoc *doc,
			enum ir_kind kind)
{
	const struct fe_ynode *meta = lw_map(doc->root, "metadata");
	const char *name = lw_str(meta, "name"), *ns = lw_str(meta, "namespace");
	struct ir_policy pol;
	memset(&pol, 0, sizeof(pol));
	pol.kind = kind;
	pol.loc = fe_ynode_loc(src, doc->root);
	pol.doc_index = doc->index;
	pol.name = ir_intern_cstr(&p->strs, name ? name : "");
	if (kind == IR_KSP)
		pol.namespace = ir_intern_cstr(&p->strs, ns && *ns ? ns : "default");
	ir_program_add(p, &pol, NULL, 0);
}

bool fe_lower(struct ir_program *p, struct fe_diags *d, const struct fe_source *src, const struct fe_ydoc *doc,
	      enum ir_kind kind, enum fe_schema_mode mode)
{
	struct lw_ctx c;
	memset(&c, 0, sizeof(c));
	c.p = p;
	c.d = d;
	c.src = src;
	c.kind = kind;
	c.mode = mode;
	c.ok = true;

	const struct fe_ynode *root = doc->root, *meta = lw_map(root, "metadata");
	const struct fe_ynode *spec = lw_map(root, "spec");
	struct ir_policy pol;
	memset(&pol, 0, sizeof(pol));
	pol.kind = kind;
	pol.loc = fe_ynode_loc(src, root);
	pol.doc_index = doc->index;
	/* the identity is always interned: duplicate policies are found by it */
	pol.name = ir_intern_cstr(&p->strs, lw_str(meta, "name") ? lw_str(meta, "name") : "");
	const char *ns = lw_str(meta, "namespace");
	if (kind == IR_KSP)	/* a cluster kind's namespace is ignored (KC0122, from the schema) */
		pol.namespace = ir_intern_cstr(&p->strs, ns && *ns ? ns : "default");
	const struct fe_ynode *opt = fe_ymap_get(lw_map(meta, "annotations"), IR_ALLOW_MOUNT_ANNOTATION);
	if (opt && opt->kind == FE_YN_SCALAR && opt->str && strcmp(opt->str, "true") == 0) {
		pol.allow_mount = true;
		pol.allow_mount_loc = fe_ynode_loc(src, opt);
	}

	struct lw_attrs top;
	memset(&top, 0, sizeof(top));
	top.action = IR_BLOCK;	/* spec action defaults to Block */
	if (spec) {
		top = lw_attrs_of(&c, spec, &top);
		lw_selector(&c, &pol, spec);
		const char *aa = lw_str(spec, "apparmor");
		if (aa && *aa)
			pol.apparmor = lw_intern(&c, aa);
	}
	pol.action = top.action;
	pol.severity = top.severity;
	pol.tags = top.tags;
	pol.message = top.message;

	const struct fe_ynode *sec;
	if (spec && (sec = lw_map(spec, "process")))
		lw_process_or_file(&c, sec, IR_PROCESS, &top);
	if (spec && (sec = lw_map(spec, "file")))
		lw_process_or_file(&c, sec, IR_FILE, &top);
	if (spec && (sec = lw_map(spec, "network")))
		lw_network(&c, sec, &top);
	if (spec && (sec = lw_map(spec, "capabilities")))
		lw_capabilities(&c, sec, &top);
	if (spec && (sec = lw_map(spec, "syscalls"))) {
		struct lw_attrs sa = lw_attrs_of(&c, sec, &top);
		lw_syscall_entries(&c, lw_seq(sec, "matchSyscalls"), &sa, false);
		lw_syscall_entries(&c, lw_seq(sec, "matchPaths"), &sa, true);
	}
	const struct fe_ynode *presets = spec ? lw_seq(spec, "presets") : NULL;
	struct lw_fields f;
	struct ir_rule r;
	for (size_t i = 0; presets && i < presets->n; i++) {
		const struct fe_ynode *e = presets->items[i];
		lw_entry(&c, &r, &f, IR_PRESET, IR_M_PRESET, e, &top);
		r.target = lw_intern(&c, lw_str(e, "name") ? lw_str(e, "name") : "");
		lw_keep(&c, &r);
	}
	if (spec && (sec = lw_map(spec, "device"))) {
		struct lw_attrs sa = lw_attrs_of(&c, sec, &top);
		const struct fe_ynode *list = lw_seq(sec, "matchDevice");
		for (size_t i = 0; list && i < list->n; i++) {
			lw_entry(&c, &r, &f, IR_DEVICE, IR_M_DEVICE, list->items[i], &sa);
			r.target = lw_intern(&c, lw_str(list->items[i], "class") ? lw_str(list->items[i], "class") : "");
			lw_keep(&c, &r);
		}
	}
	if (c.ok)
		ir_program_add(p, &pol, c.rules, c.nrules);
	free(c.rules);
	return c.ok;
}
