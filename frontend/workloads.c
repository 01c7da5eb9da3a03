#include "workloads.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema.h"

/* ------------------------------------------------------------ kinds */

static const char *const fe_wl_kind_names[FE_WL_COUNT] = {
	[FE_WL_POD] = "Pod", [FE_WL_DEPLOYMENT] = "Deployment", [FE_WL_STATEFULSET] = "StatefulSet",
	[FE_WL_DAEMONSET] = "DaemonSet", [FE_WL_REPLICASET] = "ReplicaSet", [FE_WL_JOB] = "Job",
	[FE_WL_CRONJOB] = "CronJob",
};

const char *fe_wl_kind_name(enum fe_wl_kind k)
{
	return k < FE_WL_COUNT ? fe_wl_kind_names[k] : "?";
}

/* What a document is, once its apiVersion and kind are known. */
enum wl_what { WL_OTHER = -1, WL_NAMESPACE = FE_WL_COUNT, WL_NODE };

/* The API groups each kind lives in ("" is the core group, apiVersion "v1"): a kind of
 * the same name in another group (a CRD) is not ours and is skipped. */
static const struct {
	const char *kind;
	int what;
	const char *groups[2];
} wl_kinds[] = {
	{"Namespace", WL_NAMESPACE, {""}},
	{"Node", WL_NODE, {""}},
	{"Pod", FE_WL_POD, {""}},
	{"Deployment", FE_WL_DEPLOYMENT, {"apps", "extensions"}},
	{"StatefulSet", FE_WL_STATEFULSET, {"apps"}},
	{"DaemonSet", FE_WL_DAEMONSET, {"apps", "extensions"}},
	{"ReplicaSet", FE_WL_REPLICASET, {"apps", "extensions"}},
	{"Job", FE_WL_JOB, {"batch"}},
	{"CronJob", FE_WL_CRONJOB, {"batch"}},
};
#define WL_NKINDS (sizeof(wl_kinds) / sizeof(wl_kinds[0]))

/* index into wl_kinds, or -1 */
static int wl_kind_index(const char *kind, size_t len)
{
	for (size_t i = 0; i < WL_NKINDS; i++)
		if (strlen(wl_kinds[i].kind) == len && strncmp(wl_kinds[i].kind, kind, len) == 0)
			return (int)i;
	return -1;
}

static bool wl_group_ok(int ki, const char *api)
{
	const char *slash = strchr(api, '/');
	size_t glen = slash ? (size_t)(slash - api) : 0;
	for (int g = 0; g < 2 && wl_kinds[ki].groups[g]; g++)
		if (strlen(wl_kinds[ki].groups[g]) == glen && strncmp(wl_kinds[ki].groups[g], api, glen) == 0)
			return true;
	return false;
}

/* ------------------------------------------------------------ the reader */

struct wl_reader {
	struct fe_inventory *inv;
	struct fe_diags *d;
	const struct fe_source *src;
	bool bad;		/* the object being read has an error: it is not kept */
};

static struct fe_loc wl_loc(const struct wl_reader *r, const struct fe_ynode *n)
{
	return fe_ynode_loc(r->src, n);
}

static struct fe_diag *wl_error(struct wl_reader *r, const struct fe_ynode *n, enum fe_diag_code code,
				const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static struct fe_diag *wl_error(struct wl_reader *r, const struct fe_ynode *n, enum fe_diag_code code,
				const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct fe_diag *dg = fe_diag_vadd(r->d, FE_ERROR, code, wl_loc(r, n), fmt, ap);
	va_end(ap);
	r->bad = true;
	return dg;
}

/* The API server treats a null field as absent (`kubectl get -o yaml` writes
 * `creationTimestamp: null`), so null is absent here too. */
static const struct fe_ynode *wl_field(const struct fe_ynode *map, const char *key)
{
	const struct fe_ynode *v = fe_ymap_get(map, key);
	return v && v->kind == FE_YN_SCALAR && v->type == FE_YS_NULL ? NULL : v;
}

enum wl_want { WL_MAP, WL_SEQ, WL_STR };

static const char *const wl_want_names[] = {"a mapping", "a list", "a string"};

/*
 * `map`.`key`, checked to be what the API server wants (`path` names it in messages).
 * Absent: NULL, an error when required (located at `map`, which lacks it).  Wrong
 * type: NULL and an error at the value.  A required string must not be empty.
 */
static const struct fe_ynode *wl_get(struct wl_reader *r, const struct fe_ynode *map, const char *key,
				     enum wl_want want, const char *path, bool required)
{
	const struct fe_ynode *v = wl_field(map, key);
	if (!v) {
		if (required)
			wl_error(r, map, FE_WL_REQUIRED, "%s is required", path);
		return NULL;
	}
	bool ok = want == WL_MAP   ? v->kind == FE_YN_MAP
		  : want == WL_SEQ ? v->kind == FE_YN_SEQ
				   : v->kind == FE_YN_SCALAR && v->type == FE_YS_STR;
	if (!ok) {
		struct fe_diag *dg = wl_error(r, v, FE_WL_WRONG_TYPE, "%s must be %s, not %s", path,
					      wl_want_names[want], fe_ynode_kind_name(v));
		if (want == WL_STR && v->kind == FE_YN_SCALAR)
			fe_diag_fixit(r->d, dg, "quote the value: \"%s\"", v->str);
		return NULL;
	}
	if (want == WL_STR && required && v->len == 0) {
		wl_error(r, v, FE_WL_REQUIRED, "%s must not be empty", path);
		return NULL;
	}
	return v;
}

static const char *wl_strdup(struct wl_reader *r, const struct fe_ynode *n)
{
	return fe_arena_strndup(r->inv->arena, n->str, n->len);
}

/* Kubernetes' name rules (apimachinery validation): object names are DNS-1123
 * subdomains (253), namespaces and container names DNS-1123 labels (63). */
static void wl_check_name(struct wl_reader *r, const struct fe_ynode *n, const char *path, bool label)
{
	size_t max = label ? 63 : 253;
	if (n->len <= max && fe_regex_match(label ? FE_RE_DNS1123_LABEL : FE_RE_DNS1123_SUBDOMAIN, n->str, n->len))
		return;
	struct fe_diag *dg = wl_error(r, n, FE_WL_BAD_NAME, "%s '%s' is not a DNS-1123 %s", path, n->str,
				      label ? "label" : "subdomain");
	fe_diag_fixit(r->d, dg, "lower-case letters, digits and '-'%s, at most %zu characters, starting and "
		      "ending with a letter or digit", label ? "" : " (and '.' between parts)", max);
}

static int wl_kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ir_kv *)a)->key, ((const struct ir_kv *)b)->key);
}

/* labels / annotations: map[string]string, sorted by key.  An unquoted `true` or `8080`
 * is not a string: kubectl refuses it, and so does this. */
static const struct ir_kv *wl_strmap(struct wl_reader *r, const struct fe_ynode *meta, const char *key,
				     const char *path, uint32_t *n)
{
	*n = 0;
	char p[128];
	snprintf(p, sizeof(p), "%s.%s", path, key);
	const struct fe_ynode *m = meta ? wl_get(r, meta, key, WL_MAP, p, false) : NULL;
	if (!m || m->n == 0)
		return NULL;
	struct ir_kv *kv = fe_arena_alloc(r->inv->arena, m->n * sizeof(*kv));
	uint32_t k = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct fe_ynode *v = fe_ymap_val(m, i), *name = fe_ymap_key(m, i);
		if (v->kind != FE_YN_SCALAR || v->type != FE_YS_STR) {
			struct fe_diag *dg = wl_error(r, v, FE_WL_WRONG_TYPE, "the value of %s '%s' must be a string, "
						      "not %s", p, name->str, fe_ynode_kind_name(v));
			if (v->kind == FE_YN_SCALAR)
				fe_diag_fixit(r->d, dg, "quote the value: \"%s\"", v->str);
			continue;
		}
		kv[k].key = wl_strdup(r, name);
		kv[k].value = wl_strdup(r, v);
		k++;
	}
	if (k > 1)
		qsort(kv, k, sizeof(*kv), wl_kv_cmp);
	*n = k;
	return kv;
}

/* metadata.name (required), checked by the rule of its kind */
static const char *wl_name(struct wl_reader *r, const struct fe_ynode *meta, bool label)
{
	const struct fe_ynode *n = wl_get(r, meta, "name", WL_STR, "metadata.name", true);
	if (!n)
		return NULL;
	wl_check_name(r, n, "metadata.name", label);
	return wl_strdup(r, n);
}

/* ---- objects ---- */

static const char *const wl_posture_keys[IR_PC_COUNT] = {
	[IR_PC_FILE] = "kubearmor-file-posture",
	[IR_PC_NETWORK] = "kubearmor-network-posture",
	[IR_PC_CAPABILITIES] = "kubearmor-capabilities-posture",
};

/*
 * kind: Namespace
 * metadata: {name: NS, annotations: {kubearmor-file-posture: audit|block, ...}}
 * KubeArmor accepts the values case-insensitively and silently turns anything else into
 * the default; karmorc refuses anything else, since a misspelt `block` would weaken it.
 */
static void wl_namespace(struct wl_reader *r, const struct fe_ynode *root, const struct fe_ynode *meta)
{
	struct fe_namespace *ns = fe_arena_zalloc(r->inv->arena, sizeof(*ns));
	ns->loc = wl_loc(r, root);
	ns->name = wl_name(r, meta, true);
	uint32_t nann;
	wl_strmap(r, meta, "annotations", "metadata", &nann);	/* reports a wrong type, once */
	const struct fe_ynode *ann = wl_field(meta, "annotations");
	if (ann && ann->kind != FE_YN_MAP)
		ann = NULL;
	for (int c = 0; ann && c < IR_PC_COUNT; c++) {
		const struct fe_ynode *v = wl_field(ann, wl_posture_keys[c]);
		if (!v || v->kind != FE_YN_SCALAR || v->type != FE_YS_STR)
			continue;	/* absent, or already reported by wl_strmap */
		if (strcasecmp(v->str, "audit") == 0 || strcasecmp(v->str, "block") == 0) {
			ns->has_posture[c] = true;
			ns->posture[c] = strcasecmp(v->str, "block") == 0 ? IR_POSTURE_BLOCK : IR_POSTURE_AUDIT;
			ns->posture_loc[c] = wl_loc(r, v);
		} else {
			struct fe_diag *dg = wl_error(r, v, FE_WL_BAD_POSTURE, "%s is '%s', neither 'audit' nor 'block'",
						      wl_posture_keys[c], v->str);
			fe_diag_fixit(r->d, dg, "write 'audit' or 'block' (KubeArmor would silently use its "
				      "default, audit)");
		}
	}
	if (!r->bad)
		fe_vec_push(&r->inv->ns_in, ns);
}

static void wl_node(struct wl_reader *r, const struct fe_ynode *root, const struct fe_ynode *meta)
{
	struct fe_node *nd = fe_arena_zalloc(r->inv->arena, sizeof(*nd));
	nd->loc = wl_loc(r, root);
	nd->name = wl_name(r, meta, false);
	nd->labels = wl_strmap(r, meta, "labels", "metadata", &nd->nlabels);
	if (!r->bad)
		fe_vec_push(&r->inv->node_in, nd);
}

/* One of containers / initContainers of a pod spec: a list of {name, image, ...}. */
static void wl_containers(struct wl_reader *r, const struct fe_ynode *spec, const char *key, const char *path,
			  bool init, struct fe_vec *out, struct fe_vec *names)
{
	char p[160];
	snprintf(p, sizeof(p), "%s.%s", path, key);
	const struct fe_ynode *seq = wl_get(r, spec, key, WL_SEQ, p, !init);
	if (!seq)
		return;
	if (!init && seq->n == 0)
		wl_error(r, seq, FE_WL_REQUIRED, "%s must hold at least one container", p);
	for (size_t i = 0; i < seq->n; i++) {
		const struct fe_ynode *c = seq->items[i];
		char ip[192];
		snprintf(ip, sizeof(ip), "%s[%zu]", p, i);
		if (c->kind != FE_YN_MAP) {
			wl_error(r, c, FE_WL_WRONG_TYPE, "%s must be a mapping, not %s", ip, fe_ynode_kind_name(c));
			continue;
		}
		char fp[224];
		snprintf(fp, sizeof(fp), "%s.name", ip);
		const struct fe_ynode *name = wl_get(r, c, "name", WL_STR, fp, true);
		snprintf(fp, sizeof(fp), "%s.image", ip);
		const struct fe_ynode *image = wl_get(r, c, "image", WL_STR, fp, true);
		if (!name)
			continue;
		snprintf(fp, sizeof(fp), "%s.name", ip);
		wl_check_name(r, name, fp, true);
		/* the API server refuses two containers (init or not) of one name in a pod */
		for (size_t j = 0; j < names->len; j++) {
			const struct fe_ynode *other = names->items[j];
			if (other->len == name->len && strcmp(other->str, name->str) == 0) {
				struct fe_diag *dg = wl_error(r, name, FE_WL_DUP_CONTAINER,
							      "two containers of this pod are named '%s'", name->str);
				fe_diag_related(r->d, dg, wl_loc(r, other), "the other '%s'", name->str);
				break;
			}
		}
		fe_vec_push(names, (void *)name);
		struct fe_container *k = fe_arena_zalloc(r->inv->arena, sizeof(*k));
		k->name = wl_strdup(r, name);
		k->image = image ? wl_strdup(r, image) : "";
		k->init = init;
		k->loc = wl_loc(r, c);
		fe_vec_push(out, k);
	}
}

/*
 * A workload: where its pod template is, by kind --
 *   Pod:                                 metadata.labels, spec
 *   Deployment, StatefulSet, DaemonSet,
 *   ReplicaSet, Job:                     spec.template.{metadata.labels, spec}
 *   CronJob:                             spec.jobTemplate.spec.template.{metadata.labels, spec}
 * and in the pod spec: containers (required, at least one), initContainers.
 */
static void wl_workload(struct wl_reader *r, enum fe_wl_kind kind, const struct fe_ynode *root,
			const struct fe_ynode *meta)
{
	struct fe_workload *w = fe_arena_zalloc(r->inv->arena, sizeof(*w));
	w->kind = kind;
	w->loc = wl_loc(r, root);
	w->name = wl_name(r, meta, false);
	const struct fe_ynode *nsn = wl_get(r, meta, "namespace", WL_STR, "metadata.namespace", false);
	if (nsn && nsn->len) {
		wl_check_name(r, nsn, "metadata.namespace", true);
		w->namespace = wl_strdup(r, nsn);
	} else {
		w->namespace = "default";
	}

	/* tpath: where the pod template is; its metadata holds the labels, its spec the pod */
	const char *tpath = kind == FE_WL_CRONJOB ? "spec.jobTemplate.spec.template" : "spec.template";
	char mpath[64], spath[64];
	snprintf(mpath, sizeof(mpath), "%s.metadata", kind == FE_WL_POD ? "" : tpath);
	snprintf(spath, sizeof(spath), "%s.spec", kind == FE_WL_POD ? "" : tpath);
	const struct fe_ynode *tmeta = meta, *pspec = NULL;
	if (kind == FE_WL_POD) {
		pspec = wl_get(r, root, "spec", WL_MAP, "spec", true);
	} else {
		const struct fe_ynode *spec = wl_get(r, root, "spec", WL_MAP, "spec", true), *tmpl = NULL;
		if (spec && kind == FE_WL_CRONJOB) {
			const struct fe_ynode *jt = wl_get(r, spec, "jobTemplate", WL_MAP, "spec.jobTemplate", true);
			const struct fe_ynode *js = jt ? wl_get(r, jt, "spec", WL_MAP, "spec.jobTemplate.spec", true)
						       : NULL;
			tmpl = js ? wl_get(r, js, "template", WL_MAP, tpath, true) : NULL;
		} else if (spec) {
			tmpl = wl_get(r, spec, "template", WL_MAP, tpath, true);
		}
		tmeta = tmpl ? wl_get(r, tmpl, "metadata", WL_MAP, mpath, false) : NULL;
		pspec = tmpl ? wl_get(r, tmpl, "spec", WL_MAP, spath, true) : NULL;
	}
	/* a Pod's labels are its own metadata.labels; "metadata" names them */
	w->labels = wl_strmap(r, tmeta, "labels", kind == FE_WL_POD ? "metadata" : mpath, &w->nlabels);
	const char *path = kind == FE_WL_POD ? "spec" : spath;
	if (pspec) {
		struct fe_vec cs = {0}, names = {0};
		wl_containers(r, pspec, "initContainers", path, true, &cs, &names);
		wl_containers(r, pspec, "containers", path, false, &cs, &names);
		struct fe_container *arr = fe_arena_alloc(r->inv->arena, (cs.len ? cs.len : 1) * sizeof(*arr));
		for (size_t i = 0; i < cs.len; i++)
			arr[i] = *(struct fe_container *)cs.items[i];
		w->containers = arr;
		w->ncontainers = (uint32_t)cs.len;
		fe_vec_free(&cs);
		fe_vec_free(&names);
	}
	if (!r->bad)
		fe_vec_push(&r->inv->wl_in, w);
}

/*
 * One object: apiVersion and kind first (a List item may inherit them from a typed
 * list such as PodList, whose items carry none), then by kind.  `in_list` forbids a
 * List inside a List, which Kubernetes never writes.
 */
static void wl_object(struct wl_reader *r, const struct fe_ynode *root, const char *def_api, int def_kind,
		      bool in_list)
{
	r->bad = false;
	if (root->kind != FE_YN_MAP) {
		wl_error(r, root, FE_WL_NOT_OBJECT, "%s is %s, not a Kubernetes object (a mapping with apiVersion "
			 "and kind)", in_list ? "a List item" : "the document", fe_ynode_kind_name(root));
		return;
	}
	const struct fe_ynode *api = wl_field(root, "apiVersion"), *kind = wl_field(root, "kind");
	if (!api && !kind && !def_api) {
		wl_error(r, root, FE_WL_NOT_OBJECT, "%s has no apiVersion and no kind: it is not a Kubernetes "
			 "object", in_list ? "this List item" : "this document");
		return;
	}
	const char *api_s = def_api, *kind_s = def_kind >= 0 ? wl_kinds[def_kind].kind : NULL;
	if (api) {
		api = wl_get(r, root, "apiVersion", WL_STR, "apiVersion", true);
		api_s = api ? api->str : NULL;
	}
	if (kind) {
		kind = wl_get(r, root, "kind", WL_STR, "kind", true);
		kind_s = kind ? kind->str : NULL;
	}
	if (r->bad)
		return;
	if (!api_s || !kind_s) {
		wl_error(r, root, FE_WL_REQUIRED, "%s is required", api_s ? "kind" : "apiVersion");
		return;
	}
	/* kind: List (v1), or a typed list (PodList, DeploymentList...) */
	size_t klen = strlen(kind_s);
	int list_of = -1;
	bool is_list = strcmp(kind_s, "List") == 0 && strcmp(api_s, "v1") == 0;
	if (!is_list && klen > 4 && strcmp(kind_s + klen - 4, "List") == 0) {
		list_of = wl_kind_index(kind_s, klen - 4);
		is_list = list_of >= 0 && wl_group_ok(list_of, api_s);
	}
	if (is_list) {
		if (in_list) {
			wl_error(r, kind ? kind : root, FE_WL_NOT_OBJECT, "a %s inside a List is not accepted", kind_s);
			return;
		}
		const struct fe_ynode *items = wl_get(r, root, "items", WL_SEQ, "items", false);
		for (size_t i = 0; items && i < items->n; i++)
			wl_object(r, items->items[i], list_of >= 0 ? api_s : NULL, list_of, true);
		return;
	}

	r->inv->documents++;	/* objects, not the Lists that hold them */
	int ki = wl_kind_index(kind_s, klen);
	if (ki < 0 || !wl_group_ok(ki, api_s)) {
		r->inv->skipped++;
		fe_diag_add(r->d, FE_NOTE, FE_WL_SKIPPED, wl_loc(r, kind ? kind : root),
			    "skipping %s '%s': not a workload, namespace or node", kind_s, api_s);
		return;
	}
	const struct fe_ynode *meta = wl_get(r, root, "metadata", WL_MAP, "metadata", true);
	if (!meta)
		return;
	if (wl_kinds[ki].what == WL_NAMESPACE)
		wl_namespace(r, root, meta);
	else if (wl_kinds[ki].what == WL_NODE)
		wl_node(r, root, meta);
	else
		wl_workload(r, (enum fe_wl_kind)wl_kinds[ki].what, root, meta);
}

/* The loader's document hook: every document of every inventory file comes here while
 * its nodes (in the loader's scratch arena) are alive; what is kept is copied. */
static void wl_document(void *ctx, const struct fe_source *src, const struct fe_ydoc *doc)
{
	struct fe_inventory *inv = ctx;
	if (!doc->root)
		return;		/* an empty document (e.g. after a trailing ---) */
	struct wl_reader r = {inv, inv->diags, src, false};
	wl_object(&r, doc->root, NULL, -1, false);
}

void fe_inventory_init(struct fe_inventory *inv, struct fe_arena *a, struct fe_diags *d)
{
	memset(inv, 0, sizeof(*inv));
	inv->arena = a;
	inv->diags = d;
	/* the loader walks files and directories for us; it never sees a program */
	fe_loader_init(&inv->loader, a, d, NULL, FE_SCHEMA_CRD);
	inv->loader.on_document = wl_document;
	inv->loader.on_document_ctx = inv;
}

void fe_inventory_load_path(struct fe_inventory *inv, const char *path)
{
	fe_load_path(&inv->loader, path);
	inv->files = inv->loader.files;
	inv->io_error |= inv->loader.io_error;
}

void fe_inventory_load_text(struct fe_inventory *inv, const char *name, const char *text, size_t len)
{
	fe_load_text(&inv->loader, name, text, len);
	inv->files = inv->loader.files;
}

/* ---- finishing: a deterministic order, one object per identity ---- */

static int wl_loc_cmp(const struct fe_loc *a, const struct fe_loc *b)
{
	int c = strcmp(a->src->name, b->src->name);
	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->col < b->col ? -1 : a->col > b->col;
}

static int wl_ns_cmp(const void *pa, const void *pb)
{
	const struct fe_namespace *a = *(void *const *)pa, *b = *(void *const *)pb;
	int c = strcmp(a->name, b->name);
	return c ? c : wl_loc_cmp(&a->loc, &b->loc);
}

static int wl_node_cmp(const void *pa, const void *pb)
{
	const struct fe_node *a = *(void *const *)pa, *b = *(void *const *)pb;
	int c = strcmp(a->name, b->name);
	return c ? c : wl_loc_cmp(&a->loc, &b->loc);
}

static int wl_wl_ident_cmp(const struct fe_workload *a, const struct fe_workload *b)
{
	int c = strcmp(a->namespace, b->namespace);
	if (c)
		return c;
	if ((c = strcmp(a->name, b->name)))
		return c;
	return a->kind < b->kind ? -1 : a->kind > b->kind;
}

static int wl_wl_cmp(const void *pa, const void *pb)
{
	const struct fe_workload *a = *(void *const *)pa, *b = *(void *const *)pb;
	int c = wl_wl_ident_cmp(a, b);
	return c ? c : wl_loc_cmp(&a->loc, &b->loc);
}

/* Sorts v with cmp and copies one element per identity (same(a, b)) into a fresh array;
 * a later one of the same identity draws KC0507.  The first by file name and line wins,
 * whatever the order of the paths given, so the output never depends on it. */
static void *wl_unique(struct fe_inventory *inv, struct fe_vec *v, size_t size, int (*cmp)(const void *, const void *),
		       bool (*same)(const void *, const void *), const char *(*describe)(const void *, char *, size_t),
		       const struct fe_loc *(*loc_of)(const void *), size_t *n)
{
	if (v->len > 1)
		qsort(v->items, v->len, sizeof(*v->items), cmp);
	unsigned char *out = fe_arena_alloc(inv->arena, (v->len ? v->len : 1) * size);
	size_t k = 0;
	const void *kept = NULL;
	for (size_t i = 0; i < v->len; i++) {
		if (kept && same(kept, v->items[i])) {
			char what[320];
			struct fe_diag *dg = fe_diag_add(inv->diags, FE_WARNING, FE_WL_DUPLICATE, *loc_of(v->items[i]),
							 "%s is defined twice; the first definition is used",
							 describe(v->items[i], what, sizeof(what)));
			fe_diag_related(inv->diags, dg, *loc_of(kept), "the definition used");
			continue;
		}
		kept = v->items[i];
		memcpy(out + k * size, kept, size);
		k++;
	}
	*n = k;
	fe_vec_free(v);
	return out;
}

static bool wl_ns_same(const void *a, const void *b)
{
	return strcmp(((const struct fe_namespace *)a)->name, ((const struct fe_namespace *)b)->name) == 0;
}
static bool wl_node_same(const void *a, const void *b)
{
	return strcmp(((const struct fe_node *)a)->name, ((const struct fe_node *)b)->name) == 0;
}
static bool wl_wl_same(const void *a, const void *b)
{
	return wl_wl_ident_cmp(a, b) == 0;
}
static const char *wl_ns_describe(const void *x, char *buf, size_t n)
{
	snprintf(buf, n, "Namespace '%s'", ((const struct fe_namespace *)x)->name);
	return buf;
}
static const char *wl_node_describe(const void *x, char *buf, size_t n)
{
	snprintf(buf, n, "Node '%s'", ((const struct fe_node *)x)->name);
	return buf;
}
static const char *wl_wl_describe(const void *x, char *buf, size_t n)
{
	const struct fe_workload *w = x;
	snprintf(buf, n, "%s '%s/%s'", fe_wl_kind_name(w->kind), w->namespace, w->name);
	return buf;
}
static const struct fe_loc *wl_ns_loc(const void *x) { return &((const struct fe_namespace *)x)->loc; }
static const struct fe_loc *wl_node_loc(const void *x) { return &((const struct fe_node *)x)->loc; }
static const struct fe_loc *wl_wl_loc(const void *x) { return &((const struct fe_workload *)x)->loc; }

void fe_inventory_finish(struct fe_inventory *inv)
{
	if (inv->finished)
		return;
	inv->finished = true;
	fe_loader_release(&inv->loader);
	inv->namespaces = wl_unique(inv, &inv->ns_in, sizeof(struct fe_namespace), wl_ns_cmp, wl_ns_same,
				    wl_ns_describe, wl_ns_loc, &inv->nnamespaces);
	inv->nodes = wl_unique(inv, &inv->node_in, sizeof(struct fe_node), wl_node_cmp, wl_node_same,
			       wl_node_describe, wl_node_loc, &inv->nnodes);
	inv->workloads = wl_unique(inv, &inv->wl_in, sizeof(struct fe_workload), wl_wl_cmp, wl_wl_same,
				   wl_wl_describe, wl_wl_loc, &inv->nworkloads);
	/* an inventory that names nothing would leave every compile without targets: say so,
	 * unless the reason (an error, an unreadable path) is already on screen */
	if (!inv->nworkloads && !inv->nnodes && !inv->diags->errors && !inv->io_error) {
		struct fe_loc none = {NULL, 0, 0};
		fe_diag_add(inv->diags, FE_WARNING, FE_WL_EMPTY, none,
			    "the workload inventory holds no workload and no node: no target");
	}
}

const struct fe_namespace *fe_inventory_namespace(const struct fe_inventory *inv, const char *name)
{
	size_t lo = 0, hi = inv->nnamespaces;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(name, inv->namespaces[mid].name);
		if (c == 0)
			return &inv->namespaces[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

void fe_namespace_posture(const struct fe_namespace *ns, const enum ir_posture defaults[IR_PC_COUNT],
			  enum ir_posture out[IR_PC_COUNT])
{
	for (int pc = 0; pc < IR_PC_COUNT; pc++)
		out[pc] = ns && ns->has_posture[pc] ? ns->posture[pc] : defaults[pc];
}
