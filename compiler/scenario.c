#include "scenario.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../frontend/load.h"
#include "pipeline.h"
#include "report.h"
#include "verdict.h"

struct sc_ctx {
	struct fe_arena *arena;
	struct fe_diags *d;
	const struct fe_source *src;
	bool ok;
};

static void sc_error(struct sc_ctx *c, const struct fe_ynode *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void sc_error(struct sc_ctx *c, const struct fe_ynode *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fe_diag_vadd(c->d, FE_ERROR, FE_SCENARIO, fe_ynode_loc(c->src, n), fmt, ap);
	va_end(ap);
	c->ok = false;
}

/* Unknown keys are errors here too: a typo in `expect` must not pass silently. */
static void sc_keys(struct sc_ctx *c, const struct fe_ynode *map, const char *const *known, size_t n,
		    const char *where)
{
	for (size_t i = 0; i < map->n; i++) {
		const struct fe_ynode *k = fe_ymap_key(map, i);
		bool found = false;
		for (size_t j = 0; j < n && !found; j++)
			found = strcmp(k->str, known[j]) == 0;
		if (!found) {
			const char *s = fe_suggest(k->str, known, n);
			if (s)
				sc_error(c, k, "unknown field '%s' in %s (did you mean '%s'?)", k->str, where, s);
			else
				sc_error(c, k, "unknown field '%s' in %s", k->str, where);
		}
	}
}

static const char *sc_str(struct sc_ctx *c, const struct fe_ynode *map, const char *key, bool required)
{
	const struct fe_ynode *n = fe_ymap_get(map, key);
	if (!n || (n->kind == FE_YN_SCALAR && n->type == FE_YS_NULL)) {
		if (required)
			sc_error(c, map, "'%s' is required", key);
		return NULL;
	}
	if (n->kind != FE_YN_SCALAR) {
		sc_error(c, n, "'%s' must be a string", key);
		return NULL;
	}
	return n->str;
}

static bool sc_labels(struct sc_ctx *c, const struct fe_ynode *map, struct kc_label **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!map)
		return true;
	if (map->kind != FE_YN_MAP) {
		sc_error(c, map, "labels must be a mapping");
		return false;
	}
	*out = fe_arena_alloc(c->arena, (map->n ? map->n : 1) * sizeof(**out));
	for (size_t i = 0; i < map->n; i++) {
		const struct fe_ynode *v = fe_ymap_val(map, i);
		if (v->kind != FE_YN_SCALAR) {
			sc_error(c, v, "label values must be strings");
			return false;
		}
		(*out)[i].key = fe_ymap_key(map, i)->str;
		(*out)[i].value = v->str;
	}
	*n = map->n;
	return true;
}

static bool sc_host(struct sc_ctx *c, const struct fe_ynode *h, struct kc_workload *w, struct kc_inventory_ref *ref)
{
	static const char *const keys[] = {"labels", "name"};
	if (h->kind != FE_YN_MAP) {
		sc_error(c, h, "'host' must be a mapping with 'labels' (or 'name', a node of the inventory)");
		return false;
	}
	sc_keys(c, h, keys, 2, "host");
	if (fe_ymap_get(h, "name")) {
		if (fe_ymap_get(h, "labels"))
			sc_error(c, fe_ymap_get(h, "labels"), "a node of the inventory ('name') has its own labels");
		*ref = (struct kc_inventory_ref){true, true, NULL, NULL, sc_str(c, h, "name", true), NULL,
						 fe_ynode_loc(c->src, fe_ymap_get(h, "name"))};
		w->host = true;
		return c->ok;
	}
	struct kc_label *labels;
	w->host = true;
	bool ok = sc_labels(c, fe_ymap_get(h, "labels"), &labels, &w->nlabels);
	w->labels = labels;
	return ok;
}

static bool sc_workload(struct sc_ctx *c, const struct fe_ynode *cs, struct kc_workload *w,
			struct kc_inventory_ref *ref)
{
	static const char *const keys[] = {"namespace", "labels", "container", "host", "name", "kind"};
	const struct fe_ynode *wl = fe_ymap_get(cs, "workload"), *host = fe_ymap_get(cs, "host");
	memset(w, 0, sizeof(*w));
	if (wl && host) {
		sc_error(c, host, "give either 'workload' or 'host', not both");
		return false;
	}
	if (host)
		return sc_host(c, host, w, ref);
	if (!wl) {
		sc_error(c, cs, "a case needs 'workload' (a container) or 'host'");
		return false;
	}
	if (wl->kind != FE_YN_MAP) {
		sc_error(c, wl, "'workload' must be a mapping");
		return false;
	}
	sc_keys(c, wl, keys, 6, "workload");
	if (fe_ymap_get(wl, "host"))
		return sc_host(c, fe_ymap_get(wl, "host"), w, ref);
	w->namespace = sc_str(c, wl, "namespace", false);
	w->container = sc_str(c, wl, "container", false);
	if (fe_ymap_get(wl, "name")) {
		/* a workload of the inventory: its labels and its namespace's posture come from there */
		if (fe_ymap_get(wl, "labels"))
			sc_error(c, fe_ymap_get(wl, "labels"), "a workload of the inventory ('name') has its own labels");
		*ref = (struct kc_inventory_ref){true, false, w->namespace ? w->namespace : "default",
						 sc_str(c, wl, "kind", false), sc_str(c, wl, "name", true), w->container,
						 fe_ynode_loc(c->src, fe_ymap_get(wl, "name"))};
		return c->ok;
	}
	if (fe_ymap_get(wl, "kind"))
		sc_error(c, fe_ymap_get(wl, "kind"), "'kind' goes with 'name' (a workload of the inventory)");
	struct kc_label *labels;
	bool ok = sc_labels(c, fe_ymap_get(wl, "labels"), &labels, &w->nlabels);
	w->labels = labels;
	return ok;
}

static bool sc_action(const char *s, enum ir_action *out)
{
	for (int i = IR_ALLOW; i <= IR_BLOCK; i++) {
		if (strcmp(s, ir_action_name((enum ir_action)i)) == 0) {
			*out = (enum ir_action)i;
			return true;
		}
	}
	return false;
}

static char *sc_dirname(struct fe_arena *a, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return fe_arena_strdup(a, ".");
	return fe_arena_strndup(a, path, (size_t)(slash - path) + (slash == path));
}

/* `create: true`: the case's path does not exist before the operation, which creates it
 * (DESIGN §4.11: a creation is a write of the new path).  Only a write can create (the rig
 * performs an open with O_CREAT|O_EXCL, or mkdir for a resource ending in '/'); the new
 * file is its creator's, so `owner: false` contradicts it; and the rig must be able to
 * remove the path first, so it is absolute, normalised and not the root. */
static void sc_create(struct sc_ctx *c, const struct fe_ynode *cs, struct kc_case *k, bool op_ok)
{
	const struct fe_ynode *cr = fe_ymap_get(cs, "create");
	if (!cr)
		return;
	if (cr->kind != FE_YN_SCALAR || cr->type != FE_YS_BOOL) {
		sc_error(c, cr, "'create' must be true or false");
		return;
	}
	k->op.create = fe_yscalar_bool(cr);
	if (!k->op.create)
		return;
	if (op_ok && k->op.op != KC_OP_WRITE) {
		sc_error(c, cr, "'create' is only for op: write (creating a file or directory is a write of its "
			 "path), not op: %s", kc_op_name(k->op.op));
		return;
	}
	const struct fe_ynode *own = fe_ymap_get(cs, "owner");
	if (own && own->kind == FE_YN_SCALAR && own->type == FE_YS_BOOL && !k->op.owner)
		sc_error(c, own, "a created file belongs to the user who creates it: 'owner: false' cannot go with "
			 "'create: true'");
	const char *res = k->op.resource;
	const struct fe_ynode *rn = fe_ymap_get(cs, "resource");
	if (!res || !rn)
		return;
	bool normal = res[0] == '/' && res[1] != '\0';
	for (const char *p = res; normal && *p; p++) {
		if (*p != '/')
			continue;
		/* the component after this '/': empty (but for a final '/'), "." or ".." */
		const char *q = p + 1, *e = strchr(q, '/');
		size_t n = e ? (size_t)(e - q) : strlen(q);
		if ((n == 0 && e) || (n == 1 && q[0] == '.') || (n == 2 && q[0] == '.' && q[1] == '.'))
			normal = false;
	}
	if (!normal)
		sc_error(c, rn, "a creation needs an absolute, normalised path below '/' (no '//', '.' or '..' "
			 "component; a final '/' makes it a directory), not '%s'", res);
}

/* Reads a scenario file: its policies into sc->prog, its posture, and its cases.  Every
 * problem is a diagnostic; sc->io_error is set when the file cannot be read at all. */
bool kc_scenario_load(struct kc_scenario *sc, const char *path, enum fe_schema_mode mode)
{
	memset(sc, 0, sizeof(*sc));
	sc->path = path;
	fe_arena_init(&sc->arena);
	fe_diags_init(&sc->diags, &sc->arena);
	ir_program_init(&sc->prog, &sc->arena);
	for (int k = 0; k < IR_PC_COUNT; k++)
		sc->posture[k] = IR_POSTURE_AUDIT;
	struct fe_arena *arena = &sc->arena;
	struct fe_diags *d = &sc->diags;
	struct sc_ctx c = {arena, d, NULL, true};

	bool too_big;
	struct fe_source *src = fe_source_read(arena, path, &too_big);
	if (!src || too_big) {
		sc->io_error = !src;
		sc->read_error = src ? "file too large" : fe_arena_strdup(arena, strerror(errno));
		return false;
	}
	c.src = src;
	struct fe_yfile yf;
	const struct fe_ynode *root = NULL;
	if (fe_yaml_parse(arena, d, src, &yf) && yf.ndocs >= 1)
		root = yf.docs[0].root;
	if (d->errors == 0 && (!root || root->kind != FE_YN_MAP)) {
		struct fe_loc at = {src, 1, 1};
		fe_diag_add(d, FE_ERROR, FE_SCENARIO, at, "a scenario file is one mapping with 'policies' and 'cases'");
	}
	if (d->errors)
		return false;
	static const char *const top_keys[] = {"policies", "posture", "cases", "description", "workloads"};
	sc_keys(&c, root, top_keys, 5, "the scenario");

	/* policies, relative to the scenario file */
	const struct fe_ynode *pols = fe_ymap_get(root, "policies");
	if (!pols || pols->kind != FE_YN_SEQ || pols->n == 0) {
		sc_error(&c, pols ? pols : root, "'policies' must be a non-empty list of files or directories");
		return false;
	}
	struct fe_loader loader;
	fe_loader_init(&loader, arena, d, &sc->prog, mode);
	const char *dir = sc_dirname(arena, path);
	for (size_t i = 0; i < pols->n; i++) {
		const struct fe_ynode *pn = pols->items[i];
		if (pn->kind != FE_YN_SCALAR) {
			sc_error(&c, pn, "policy entries are paths");
			continue;
		}
		const char *full = pn->str[0] == '/' ? pn->str : fe_arena_printf(arena, "%s/%s", dir, pn->str);
		size_t before = loader.policies;
		fe_load_path(&loader, full);
		if (loader.io_error) {
			fe_diag_add(d, FE_ERROR, FE_SCENARIO_POLICY, fe_ynode_loc(src, pn), "cannot read '%s'", full);
			loader.io_error = false;
		} else if (loader.policies == before) {
			fe_diag_add(d, FE_ERROR, FE_SCENARIO_POLICY, fe_ynode_loc(src, pn), "'%s' holds no policy", full);
		}
	}
	fe_loader_finish(&loader);

	/* workloads: the inventory's manifests, relative to the scenario file too (read with
	 * the pipeline's inventory) */
	const struct fe_ynode *wls = fe_ymap_get(root, "workloads");
	if (wls && (wls->kind != FE_YN_SEQ || wls->n == 0)) {
		sc_error(&c, wls, "'workloads' must be a non-empty list of files or directories");
	} else if (wls) {
		sc->workload_paths = fe_arena_zalloc(arena, (wls->n + 1) * sizeof(*sc->workload_paths));
		for (size_t i = 0; i < wls->n; i++) {
			const struct fe_ynode *wn = wls->items[i];
			if (wn->kind != FE_YN_SCALAR) {
				sc_error(&c, wn, "workloads entries are paths");
				continue;
			}
			sc->workload_paths[sc->nworkload_paths++] =
				fe_arena_printf(arena, "%s%s%s", wn->str[0] == '/' ? "" : dir, wn->str[0] == '/' ? "" : "/",
						wn->str);
		}
	}

	const struct fe_ynode *pm = fe_ymap_get(root, "posture");
	if (pm) {
		static const char *const classes[] = {"file", "network", "capabilities"};
		if (pm->kind != FE_YN_MAP) {
			sc_error(&c, pm, "'posture' must be a mapping such as {file: block}");
		} else {
			sc_keys(&c, pm, classes, 3, "posture");
			for (int k = 0; k < IR_PC_COUNT; k++) {
				const char *v = sc_str(&c, pm, classes[k], false);
				if (!v)
					continue;
				if (strcmp(v, "block") == 0)
					sc->posture[k] = IR_POSTURE_BLOCK;
				else if (strcmp(v, "audit") != 0)
					sc_error(&c, fe_ymap_get(pm, classes[k]), "posture must be 'audit' or 'block'");
			}
		}
	}
	const struct fe_ynode *cases = fe_ymap_get(root, "cases");
	if (!cases || cases->kind != FE_YN_SEQ || cases->n == 0) {
		sc_error(&c, cases ? cases : root, "'cases' must be a non-empty list");
		return false;
	}
	if (d->errors)
		return false;

	static const char *const case_keys[] = {"name", "workload", "host", "source", "owner", "op",
						"resource", "path", "create", "expect", "policy"};
	sc->cases = fe_arena_zalloc(arena, cases->n * sizeof(*sc->cases));
	for (size_t i = 0; i < cases->n; i++) {
		const struct fe_ynode *cs = cases->items[i];
		struct kc_case *k = &sc->cases[sc->ncases++];
		size_t errs = d->errors;
		k->line = cs->line;
		k->loc = (struct fe_loc){c.src, cs->line, cs->col};
		if (cs->kind != FE_YN_MAP) {
			sc_error(&c, cs, "a case is a mapping");
			k->malformed = true;
			continue;
		}
		sc_keys(&c, cs, case_keys, sizeof(case_keys) / sizeof(case_keys[0]), "a case");
		k->name = sc_str(&c, cs, "name", true);
		sc_workload(&c, cs, &k->workload, &k->ref);
		const char *op_s = sc_str(&c, cs, "op", true);
		bool op_ok = op_s && kc_op_parse(op_s, &k->op.op);
		if (op_s && !op_ok)
			sc_error(&c, fe_ymap_get(cs, "op"), "op must be exec, read, write, network, capability or "
				 "syscall");
		k->op.resource = sc_str(&c, cs, "resource", true);
		k->op.source = sc_str(&c, cs, "source", false);
		if (!k->op.source)
			k->op.source = "/bin/sh";
		k->op.path = sc_str(&c, cs, "path", false);
		if (k->op.path && k->op.op != KC_OP_SYSCALL)
			sc_error(&c, fe_ymap_get(cs, "path"), "'path' is only for op: syscall");
		k->op.owner = true;
		const struct fe_ynode *own = fe_ymap_get(cs, "owner");
		if (own) {
			if (own->kind != FE_YN_SCALAR || own->type != FE_YS_BOOL)
				sc_error(&c, own, "'owner' must be true or false");
			else
				k->op.owner = fe_yscalar_bool(own);
		}
		sc_create(&c, cs, k, op_ok);
		const char *expect_s = sc_str(&c, cs, "expect", true);
		if (expect_s && !sc_action(expect_s, &k->expect))
			sc_error(&c, fe_ymap_get(cs, "expect"), "expect must be Allow, Audit or Block");
		k->policy = sc_str(&c, cs, "policy", false);
		k->malformed = d->errors != errs;
	}
	return true;
}

void kc_scenario_free(struct kc_scenario *sc)
{
	ir_program_free(&sc->prog);
	fe_diags_free(&sc->diags);
	fe_arena_free(&sc->arena);
}

/* test runs the pipeline to the targets (each case's workload resolved as compile does)
 * and decides every case on its target. */
void kc_scenario_run(const char *path, enum fe_schema_mode mode, char *const *workloads, size_t nworkloads,
		     FILE *out, FILE *err, struct kc_test_totals *totals)
{
	struct kc_pipeline pl;
	kc_pipeline_init(&pl, "test");
	pl.mode = mode;
	pl.scenario = path;
	pl.workload_paths = workloads;
	pl.nworkload_paths = nworkloads;
	kc_pipeline_run(&pl, KC_STAGE_TARGETS);	/* errors are reported below, case by case */
	struct kc_scenario *sc = &pl.sc;
	if (sc->read_error) {
		fprintf(err, "karmorc: %s: %s\n", path, sc->read_error);
		fprintf(out, "FAIL %s: the scenario file cannot be read\n", path);
		totals->file_errors++;
		totals->io_errors += sc->io_error;
		kc_pipeline_free(&pl);
		return;
	}
	if (!pl.scenario_ok || (sc->diags.errors && sc->ncases == 0)) {
		totals->file_errors++;
		fprintf(out, "FAIL %s: the scenario file cannot be run\n", path);
		kc_report(err, &sc->diags, KC_FORMAT_TEXT, false);
		kc_pipeline_free(&pl);
		return;
	}
	struct fe_matcher *m = fe_matcher_new(&sc->prog);
	bool policy_errors = false;
	for (size_t i = 0; i < sc->diags.len; i++)
		policy_errors |= sc->diags.items[i].severity == FE_ERROR && sc->diags.items[i].code != FE_SCENARIO;
	for (size_t i = 0; i < sc->ncases; i++) {
		const struct kc_case *k = &sc->cases[i];
		if (k->malformed || policy_errors) {
			totals->failed++;
			fprintf(out, "FAIL %s: %s: %s (see diagnostics)\n", path, k->name ? k->name : "?",
				k->malformed ? "malformed case" : "the policies have errors");
			continue;
		}
		struct kc_verdict v = kc_decide(m, &pl.targets.items[pl.case_target[i]], &k->op);
		bool pass = v.action == k->expect;
		if (k->policy)
			pass = pass && v.policy && strcmp(v.policy, k->policy) == 0;
		if (pass) {
			totals->passed++;
			fprintf(out, "ok   %s: %s\n", path, k->name);
			continue;
		}
		totals->failed++;
		fprintf(out, "FAIL %s:%u: %s: expected %s", path, k->line, k->name, ir_action_name(k->expect));
		if (k->policy)
			fprintf(out, " (%s)", k->policy);
		fprintf(out, ", got %s", ir_action_name(v.action));
		if (v.policy)
			fprintf(out, " (%s)", v.policy);
		if (v.rule >= 0) {
			const struct ir_rule *r = &sc->prog.rules[v.rule];
			fprintf(out, " from %s:%u:%u", r->loc.src->name, r->loc.line, r->loc.col);
		}
		fprintf(out, ": %s\n", kc_reason_text(v.reason));
	}
	kc_report(err, &sc->diags, KC_FORMAT_TEXT, false);
	fe_matcher_free(m);
	kc_pipeline_free(&pl);
}
