/* fe_workloads: the inventory reader (every kind, lists, files, errors) and targets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../frontend/workloads.h"
#include "../compiler/targets.h"
#include "unit.h"

struct inv {
	struct fe_arena arena;
	struct fe_diags diags;
	struct fe_inventory inv;
};

static void inv_begin(struct inv *f)
{
	fe_arena_init(&f->arena);
	fe_diags_init(&f->diags, &f->arena);
	fe_inventory_init(&f->inv, &f->arena, &f->diags);
}

static void inv_text(struct inv *f, const char *name, const char *yaml)
{
	inv_begin(f);
	fe_inventory_load_text(&f->inv, name, yaml, strlen(yaml));
	fe_inventory_finish(&f->inv);
}

static void inv_free(struct inv *f)
{
	fe_diags_free(&f->diags);
	fe_arena_free(&f->arena);
}

static const struct fe_diag *inv_find(const struct inv *f, enum fe_diag_code code)
{
	for (size_t i = 0; i < f->diags.len; i++)
		if (f->diags.items[i].code == code)
			return &f->diags.items[i];
	return NULL;
}

static size_t inv_count(const struct inv *f, enum fe_diag_code code)
{
	size_t n = 0;
	for (size_t i = 0; i < f->diags.len; i++)
		n += f->diags.items[i].code == code;
	return n;
}

static const struct fe_workload *inv_wl(const struct inv *f, const char *ns, const char *name)
{
	for (size_t i = 0; i < f->inv.nworkloads; i++)
		if (strcmp(f->inv.workloads[i].namespace, ns) == 0 && strcmp(f->inv.workloads[i].name, name) == 0)
			return &f->inv.workloads[i];
	return NULL;
}

static const char *label(const struct ir_kv *kv, uint32_t n, const char *key)
{
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			return kv[i].value;
	return NULL;
}

/* a located finding: code, severity, file, line, column */
static void expect_at(const struct inv *f, enum fe_diag_code code, enum fe_severity sev, const char *file,
		      unsigned line, unsigned col)
{
	const struct fe_diag *d = inv_find(f, code);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_EQUAL(d->severity, sev);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d->loc.src);
	CU_ASSERT_STRING_EQUAL(d->loc.src->name, file);
	CU_ASSERT_EQUAL(d->loc.line, line);
	CU_ASSERT_EQUAL(d->loc.col, col);
	if (d->loc.line != line || d->loc.col != col)
		fprintf(stderr, "\n  KC%04d at %u:%u (%s), expected %u:%u\n", (int)code, d->loc.line, d->loc.col,
			d->message, line, col);
}

/* ------------------------------------------------------------ kinds */

#define DEPLOY(kind, api, name, ns, app)                                                             \
	"apiVersion: " api "\nkind: " kind "\nmetadata:\n  name: " name "\n  namespace: " ns "\nspec:\n" \
	"  template:\n    metadata:\n      labels: {app: " app "}\n    spec:\n      containers:\n"       \
	"      - {name: main, image: img:1}\n"

static const char every_kind[] =
	"apiVersion: v1\nkind: Namespace\nmetadata: {name: prod}\n---\n"
	"apiVersion: v1\nkind: Pod\nmetadata: {name: solo, labels: {app: solo}}\n"
	"spec:\n  containers:\n  - {name: c, image: i:1}\n---\n"
	DEPLOY("Deployment", "apps/v1", "d", "prod", "d") "---\n"
	DEPLOY("StatefulSet", "apps/v1", "s", "prod", "s") "---\n"
	DEPLOY("DaemonSet", "apps/v1", "ds", "prod", "ds") "---\n"
	DEPLOY("ReplicaSet", "apps/v1", "rs", "prod", "rs") "---\n"
	DEPLOY("Job", "batch/v1", "j", "prod", "j") "---\n"
	"apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj, namespace: prod}\nspec:\n"
	"  schedule: '* * * * *'\n  jobTemplate:\n    spec:\n      template:\n"
	"        metadata: {labels: {app: cj}}\n        spec:\n          containers:\n"
	"          - {name: main, image: img:1}\n---\n"
	"apiVersion: v1\nkind: Node\nmetadata:\n  name: node-9\n  labels: {kubernetes.io/hostname: node-9}\n";

static void test_every_kind(void)
{
	struct inv f;
	inv_text(&f, "all.yaml", every_kind);
	CU_ASSERT_EQUAL(f.diags.errors, 0);
	CU_ASSERT_EQUAL(f.diags.warnings, 0);
	CU_ASSERT_EQUAL(f.inv.nnamespaces, 1);
	CU_ASSERT_EQUAL(f.inv.nworkloads, 7);
	CU_ASSERT_EQUAL_FATAL(f.inv.nnodes, 1);
	CU_ASSERT_STRING_EQUAL(f.inv.nodes[0].name, "node-9");
	CU_ASSERT_STRING_EQUAL(label(f.inv.nodes[0].labels, f.inv.nodes[0].nlabels, "kubernetes.io/hostname"),
			       "node-9");
	static const struct { const char *ns, *name; enum fe_wl_kind kind; const char *app; } want[] = {
		{"default", "solo", FE_WL_POD, "solo"}, {"prod", "cj", FE_WL_CRONJOB, "cj"},
		{"prod", "d", FE_WL_DEPLOYMENT, "d"}, {"prod", "ds", FE_WL_DAEMONSET, "ds"},
		{"prod", "j", FE_WL_JOB, "j"}, {"prod", "rs", FE_WL_REPLICASET, "rs"},
		{"prod", "s", FE_WL_STATEFULSET, "s"},
	};
	/* sorted by namespace, then name: the input order does not matter */
	for (size_t i = 0; i < 7 && i < f.inv.nworkloads; i++) {
		const struct fe_workload *w = &f.inv.workloads[i];
		CU_ASSERT_STRING_EQUAL(w->namespace, want[i].ns);
		CU_ASSERT_STRING_EQUAL(w->name, want[i].name);
		CU_ASSERT_EQUAL(w->kind, want[i].kind);
		CU_ASSERT_STRING_EQUAL(label(w->labels, w->nlabels, "app"), want[i].app);
		CU_ASSERT_EQUAL_FATAL(w->ncontainers, 1);
		CU_ASSERT_FALSE(w->containers[0].init);
	}
	CU_ASSERT_STRING_EQUAL(fe_wl_kind_name(FE_WL_CRONJOB), "CronJob");
	CU_ASSERT_PTR_NOT_NULL(fe_inventory_namespace(&f.inv, "prod"));
	CU_ASSERT_PTR_NULL(fe_inventory_namespace(&f.inv, "default"));
	inv_free(&f);
}

static void test_lists(void)
{
	struct inv f;
	/* a v1 List of mixed kinds, and a typed PodList whose items carry no kind */
	inv_text(&f, "list.yaml",
		 "apiVersion: v1\nkind: List\nitems:\n"
		 "- apiVersion: v1\n  kind: Pod\n  metadata: {name: a, namespace: x}\n"
		 "  spec: {containers: [{name: c, image: i}]}\n"
		 "- apiVersion: v1\n  kind: Node\n  metadata: {name: n1}\n"
		 "- apiVersion: v1\n  kind: Service\n  metadata: {name: svc}\n"
		 "---\napiVersion: v1\nkind: PodList\nitems:\n"
		 "- metadata: {name: b, namespace: x}\n  spec: {containers: [{name: c, image: i}]}\n");
	CU_ASSERT_EQUAL(f.diags.errors, 0);
	CU_ASSERT_EQUAL(f.inv.nworkloads, 2);
	CU_ASSERT_EQUAL(f.inv.nnodes, 1);
	CU_ASSERT_EQUAL(f.inv.skipped, 1);
	CU_ASSERT_EQUAL(f.inv.documents, 4);	/* the objects, not the two lists */
	CU_ASSERT_PTR_NOT_NULL(inv_wl(&f, "x", "b"));
	expect_at(&f, FE_WL_SKIPPED, FE_NOTE, "list.yaml", 12, 9);
	inv_free(&f);

	/* a List inside a List, and an item that is not a mapping */
	inv_text(&f, "nested.yaml",
		 "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: List\n  items: []\n- 42\n");
	CU_ASSERT_EQUAL(inv_count(&f, FE_WL_NOT_OBJECT), 2);
	expect_at(&f, FE_WL_NOT_OBJECT, FE_ERROR, "nested.yaml", 5, 9);
	inv_free(&f);
}

static void test_multidoc_and_directory(void)
{
	struct inv f;
	inv_begin(&f);
	fe_inventory_load_path(&f.inv, "testdata/workloads/dir");
	fe_inventory_finish(&f.inv);
	CU_ASSERT_FALSE(f.inv.io_error);
	CU_ASSERT_EQUAL(f.diags.errors, 0);
	CU_ASSERT_EQUAL(f.diags.warnings, 0);
	/* 10-namespaces.yaml, 20-apps.yml, sub/30-jobs.yaml, sub/40-list.yaml; not notes.txt
	 * nor .hidden.yaml */
	CU_ASSERT_EQUAL(f.inv.files, 4);
	CU_ASSERT_EQUAL(f.inv.nnamespaces, 2);
	CU_ASSERT_EQUAL(f.inv.nworkloads, 7);
	CU_ASSERT_EQUAL(f.inv.nnodes, 1);
	CU_ASSERT_EQUAL(f.inv.skipped, 1);
	expect_at(&f, FE_WL_SKIPPED, FE_NOTE, "testdata/workloads/dir/10-namespaces.yaml", 16, 7);
	const struct fe_workload *cache = inv_wl(&f, "default", "cache");
	CU_ASSERT_PTR_NOT_NULL(cache);
	const struct fe_workload *backup = inv_wl(&f, "prod", "backup");
	CU_ASSERT_PTR_NOT_NULL_FATAL(backup);
	CU_ASSERT_EQUAL(backup->kind, FE_WL_CRONJOB);
	CU_ASSERT_STRING_EQUAL(label(backup->labels, backup->nlabels, "app"), "backup");
	CU_ASSERT_PTR_NULL(inv_wl(&f, "default", "hidden"));
	/* the same inventory named file by file, in another order, reads the same */
	struct inv g;
	inv_begin(&g);
	static const char *const files[] = {"sub/40-list.yaml", "20-apps.yml", "sub/30-jobs.yaml", "10-namespaces.yaml"};
	char path[256];
	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "testdata/workloads/dir/%s", files[i]);
		fe_inventory_load_path(&g.inv, path);
	}
	fe_inventory_finish(&g.inv);
	CU_ASSERT_EQUAL_FATAL(g.inv.nworkloads, f.inv.nworkloads);
	for (size_t i = 0; i < f.inv.nworkloads; i++) {
		CU_ASSERT_STRING_EQUAL(g.inv.workloads[i].name, f.inv.workloads[i].name);
		CU_ASSERT_STRING_EQUAL(g.inv.workloads[i].namespace, f.inv.workloads[i].namespace);
	}
	inv_free(&g);
	inv_free(&f);

	/* a path that does not exist is an I/O failure, as for policies */
	inv_begin(&f);
	fe_inventory_load_path(&f.inv, "testdata/workloads/no-such-dir");
	fe_inventory_finish(&f.inv);
	CU_ASSERT_TRUE(f.inv.io_error);
	CU_ASSERT_EQUAL(inv_count(&f, FE_WL_EMPTY), 0);	/* the I/O failure already says it */
	inv_free(&f);
}

static void test_init_containers(void)
{
	struct inv f;
	inv_begin(&f);
	fe_inventory_load_path(&f.inv, "testdata/workloads/dir/20-apps.yml");
	fe_inventory_finish(&f.inv);
	const struct fe_workload *web = inv_wl(&f, "prod", "web");
	CU_ASSERT_PTR_NOT_NULL_FATAL(web);
	CU_ASSERT_EQUAL_FATAL(web->ncontainers, 3);
	CU_ASSERT_STRING_EQUAL(web->containers[0].name, "init-db");
	CU_ASSERT_TRUE(web->containers[0].init);
	CU_ASSERT_STRING_EQUAL(web->containers[0].image, "busybox:1.36");
	CU_ASSERT_STRING_EQUAL(web->containers[1].name, "nginx");
	CU_ASSERT_FALSE(web->containers[1].init);
	CU_ASSERT_STRING_EQUAL(web->containers[2].image, "envoy:1.29");
	CU_ASSERT_EQUAL(web->containers[1].loc.line, 20);
	CU_ASSERT_STRING_EQUAL(label(web->labels, web->nlabels, "tier"), "front");
	inv_free(&f);

	/* one name for an init container and a container: the API server refuses the pod */
	inv_text(&f, "dup.yaml",
		 "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n"
		 "  initContainers:\n  - {name: app, image: i}\n  containers:\n  - {name: app, image: i}\n");
	expect_at(&f, FE_WL_DUP_CONTAINER, FE_ERROR, "dup.yaml", 8, 12);
	const struct fe_diag *d = inv_find(&f, FE_WL_DUP_CONTAINER);
	CU_ASSERT_EQUAL(d->related.line, 6);
	CU_ASSERT_EQUAL(f.inv.nworkloads, 0);	/* an object with an error is not kept */
	inv_free(&f);
}

/* ------------------------------------------------------------ postures */

static void test_posture_annotations(void)
{
	struct inv f;
	inv_text(&f, "ns.yaml",
		 "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  annotations:\n"
		 "    kubearmor-file-posture: BLOCK\n    kubearmor-capabilities-posture: audit\n"
		 "    unrelated: x\n");
	CU_ASSERT_EQUAL(f.diags.errors, 0);
	const struct fe_namespace *ns = fe_inventory_namespace(&f.inv, "a");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns);
	CU_ASSERT_TRUE(ns->has_posture[IR_PC_FILE]);
	CU_ASSERT_EQUAL(ns->posture[IR_PC_FILE], IR_POSTURE_BLOCK);
	CU_ASSERT_EQUAL(ns->posture_loc[IR_PC_FILE].line, 6);
	CU_ASSERT_EQUAL(ns->posture_loc[IR_PC_FILE].col, 29);
	CU_ASSERT_FALSE(ns->has_posture[IR_PC_NETWORK]);
	CU_ASSERT_TRUE(ns->has_posture[IR_PC_CAPABILITIES]);
	CU_ASSERT_EQUAL(ns->posture[IR_PC_CAPABILITIES], IR_POSTURE_AUDIT);
	inv_free(&f);

	/* a misspelt value would silently be audit in KubeArmor: an error here */
	inv_text(&f, "ns.yaml",
		 "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  annotations:\n"
		 "    kubearmor-network-posture: blok\n");
	expect_at(&f, FE_WL_BAD_POSTURE, FE_ERROR, "ns.yaml", 6, 32);
	CU_ASSERT_PTR_NOT_NULL(inv_find(&f, FE_WL_BAD_POSTURE)->fixit);
	inv_free(&f);
}

/* ------------------------------------------------------------ malformed input */

static const struct {
	const char *what, *yaml;
	enum fe_diag_code code;
	unsigned line, col;
} malformed[] = {
	{"metadata without name", "apiVersion: v1\nkind: Pod\nmetadata:\n  namespace: x\nspec: {}\n",
	 FE_WL_REQUIRED, 4, 3},
	{"container without name",
	 "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - image: i\n", FE_WL_REQUIRED, 6, 5},
	{"container without image",
	 "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n", FE_WL_REQUIRED, 6, 5},
	{"containers not a list",
	 "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: nginx\n", FE_WL_WRONG_TYPE, 5, 15},
	{"no container", "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: []\n",
	 FE_WL_REQUIRED, 5, 15},
	{"label value not a string",
	 "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels:\n    enabled: true\n"
	 "spec: {containers: [{name: c, image: i}]}\n", FE_WL_WRONG_TYPE, 6, 14},
	{"name not a string", "apiVersion: v1\nkind: Node\nmetadata:\n  name: 42\n", FE_WL_WRONG_TYPE, 4, 9},
	{"name not DNS-1123", "apiVersion: v1\nkind: Node\nmetadata:\n  name: Node_1\n", FE_WL_BAD_NAME, 4, 9},
	{"container name not a label",
	 "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: web.1, image: i}\n",
	 FE_WL_BAD_NAME, 6, 12},
	{"deployment without template",
	 "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  replicas: 2\n", FE_WL_REQUIRED, 5, 3},
	{"cronjob without jobTemplate",
	 "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec:\n  schedule: x\n", FE_WL_REQUIRED, 5, 3},
	{"pod template without spec",
	 "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d}\nspec:\n  template:\n    metadata: {}\n",
	 FE_WL_REQUIRED, 6, 5},
	{"document is a list", "- apiVersion: v1\n  kind: Pod\n", FE_WL_NOT_OBJECT, 1, 1},
	{"no apiVersion nor kind", "metadata: {name: x}\n", FE_WL_NOT_OBJECT, 1, 1},
	{"kind without apiVersion", "kind: Pod\nmetadata: {name: x}\n", FE_WL_REQUIRED, 1, 1},
	{"kind not a string", "apiVersion: v1\nkind: [Pod]\n", FE_WL_WRONG_TYPE, 2, 7},
	{"metadata not a mapping", "apiVersion: v1\nkind: Namespace\nmetadata: ns\n", FE_WL_WRONG_TYPE, 3, 11},
	{"no metadata", "apiVersion: v1\nkind: Namespace\n", FE_WL_REQUIRED, 1, 1},
	{"empty name", "apiVersion: v1\nkind: Namespace\nmetadata: {name: ''}\n", FE_WL_REQUIRED, 3, 18},
	{"namespace not a label",
	 "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a.b}\nspec: {containers: [{name: c, image: i}]}\n",
	 FE_WL_BAD_NAME, 3, 32},
};

static void test_malformed(void)
{
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		struct inv f;
		inv_text(&f, "bad.yaml", malformed[i].yaml);
		const struct fe_diag *d = inv_find(&f, malformed[i].code);
		if (!d || d->loc.line != malformed[i].line || d->loc.col != malformed[i].col) {
			fprintf(stderr, "\n  malformed '%s': want KC%04d at %u:%u, got", malformed[i].what,
				(int)malformed[i].code, malformed[i].line, malformed[i].col);
			for (size_t k = 0; k < f.diags.len; k++)
				fprintf(stderr, " KC%04d@%u:%u(%s)", (int)f.diags.items[k].code, f.diags.items[k].loc.line,
					f.diags.items[k].loc.col, f.diags.items[k].message);
			fputc('\n', stderr);
		}
		CU_ASSERT_PTR_NOT_NULL(d);
		CU_ASSERT(d && d->severity == FE_ERROR && d->loc.line == malformed[i].line &&
			  d->loc.col == malformed[i].col);
		CU_ASSERT_EQUAL(f.inv.nworkloads + f.inv.nnodes + f.inv.nnamespaces, 0);
		inv_free(&f);
	}

	/* on disk: the file's own name in the location */
	struct inv f;
	inv_begin(&f);
	fe_inventory_load_path(&f.inv, "testdata/workloads/bad/no-name.yaml");
	fe_inventory_finish(&f.inv);
	expect_at(&f, FE_WL_REQUIRED, FE_ERROR, "testdata/workloads/bad/no-name.yaml", 5, 3);
	CU_ASSERT_STRING_EQUAL(inv_find(&f, FE_WL_REQUIRED)->message, "metadata.name is required");
	inv_free(&f);
}

/* Every prefix of a valid inventory: errors, never a crash (run under ASan by make test SAN=1). */
static void test_truncated_inputs(void)
{
	size_t len = strlen(every_kind);
	for (size_t cut = 0; cut <= len; cut += 3) {
		struct inv f;
		inv_begin(&f);
		fe_inventory_load_text(&f.inv, "cut.yaml", every_kind, cut);
		fe_inventory_finish(&f.inv);
		CU_ASSERT(f.inv.nworkloads <= 7);
		inv_free(&f);
	}
}

static void test_skipped_kinds(void)
{
	struct inv f;
	inv_text(&f, "mixed.yaml",
		 "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: b}\n---\n"
		 "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n---\n"
		 "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: p}\n---\n"
		 "apiVersion: example.com/v1\nkind: Deployment\nmetadata: {name: not-apps}\n---\n"
		 "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: i}]}\n");
	CU_ASSERT_EQUAL(f.diags.errors, 0);
	CU_ASSERT_EQUAL(f.diags.warnings, 0);
	CU_ASSERT_EQUAL(f.inv.skipped, 4);
	CU_ASSERT_EQUAL(inv_count(&f, FE_WL_SKIPPED), 4);
	CU_ASSERT_EQUAL(f.inv.nworkloads, 1);
	expect_at(&f, FE_WL_SKIPPED, FE_NOTE, "mixed.yaml", 2, 7);
	inv_free(&f);

	/* nothing usable at all */
	inv_text(&f, "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
	CU_ASSERT_EQUAL(inv_count(&f, FE_WL_EMPTY), 1);
	CU_ASSERT_EQUAL(f.diags.errors, 0);
	inv_free(&f);
}

static void test_bounds(void)
{
	/* the YAML reader's limits hold for inventories: depth, aliases */
	char deep[400];
	size_t n = 0;
	n += (size_t)snprintf(deep, sizeof(deep), "apiVersion: v1\nkind: Pod\nmetadata: ");
	for (int i = 0; i < 70; i++)
		deep[n++] = '[';
	deep[n] = '\0';
	struct inv f;
	inv_text(&f, "deep.yaml", deep);
	CU_ASSERT_EQUAL(inv_count(&f, FE_YAML_DEPTH), 1);
	inv_free(&f);
	inv_text(&f, "alias.yaml",
		 "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: &l {a: b}}\n"
		 "spec: {containers: [{name: c, image: i}]}\n---\napiVersion: v1\nkind: Pod\n"
		 "metadata: {name: q, labels: *l}\n");
	CU_ASSERT_EQUAL(inv_count(&f, FE_YAML_ALIAS), 1);
	CU_ASSERT_EQUAL(f.inv.nworkloads, 0);
	inv_free(&f);
}

static void test_duplicates(void)
{
	struct inv f;
	inv_begin(&f);
	static const char pod[] = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, labels: {v: \"%d\"}}\n"
				  "spec: {containers: [{name: c, image: i}]}\n";
	char text[256];
	/* b.yaml first on the command line, a.yaml second: a.yaml's definition is used */
	snprintf(text, sizeof(text), pod, 2);
	fe_inventory_load_text(&f.inv, "b.yaml", text, strlen(text));
	snprintf(text, sizeof(text), pod, 1);
	fe_inventory_load_text(&f.inv, "a.yaml", text, strlen(text));
	fe_inventory_finish(&f.inv);
	CU_ASSERT_EQUAL_FATAL(f.inv.nworkloads, 1);
	CU_ASSERT_STRING_EQUAL(label(f.inv.workloads[0].labels, f.inv.workloads[0].nlabels, "v"), "1");
	expect_at(&f, FE_WL_DUPLICATE, FE_WARNING, "b.yaml", 1, 1);
	CU_ASSERT_STRING_EQUAL(inv_find(&f, FE_WL_DUPLICATE)->related.src->name, "a.yaml");
	inv_free(&f);
}

/* What ../shared/bench/gen-corpus.py --workloads writes (testdata/workloads/README). */
static void test_bench_inventory(void)
{
	struct inv f;
	inv_begin(&f);
	fe_inventory_load_path(&f.inv, "testdata/workloads/gen-corpus-110.yaml");
	fe_inventory_finish(&f.inv);
	CU_ASSERT_EQUAL(f.diags.len, 0);
	CU_ASSERT_EQUAL(f.inv.nnamespaces, 20);
	CU_ASSERT_EQUAL(f.inv.nworkloads, 110);
	CU_ASSERT_EQUAL(f.inv.nnodes, 1);
	const struct fe_namespace *ns0 = fe_inventory_namespace(&f.inv, "ns-0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(ns0);
	CU_ASSERT_EQUAL(ns0->posture[IR_PC_FILE], IR_POSTURE_BLOCK);
	inv_free(&f);
}

/* ------------------------------------------------------------ targets */

static const enum ir_posture audit3[IR_PC_COUNT] = {IR_POSTURE_AUDIT, IR_POSTURE_AUDIT, IR_POSTURE_AUDIT};

#define KSP(name, ns, labels, path)                                                                   \
	"apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: " name         \
	", namespace: " ns "}\nspec:\n  selector:\n    matchLabels: " labels "\n  process:\n"          \
	"    matchPaths:\n    - path: " path "\n  action: Block\n---\n"

static const char policies[] =
	KSP("web-sleep", "prod", "{app: web}", "/bin/sleep")
	KSP("web-nginx-only", "prod", "{app: web, kubearmor.io/container.name: '[nginx]'}", "/bin/cat")
	KSP("dev-agent", "dev", "{app: agent}", "/bin/ls")
	"apiVersion: security.kubearmor.com/v1\nkind: KubeArmorClusterPolicy\nmetadata: {name: csp-prod}\n"
	"spec:\n  selector:\n    matchExpressions:\n    - key: namespace\n      operator: In\n"
	"      values: [prod]\n  file:\n    matchPaths:\n    - path: /etc/shadow\n    - path: /etc/gshadow\n"
	"  action: Block\n---\n"
	"apiVersion: security.kubearmor.com/v1\nkind: KubeArmorHostPolicy\nmetadata: {name: host-node-1}\n"
	"spec:\n  nodeSelector:\n    matchLabels: {kubernetes.io/hostname: node-1}\n  process:\n"
	"    matchPaths:\n    - path: /usr/bin/nc\n  action: Block\n---\n"
	"apiVersion: security.kubearmor.com/v1\nkind: KubeArmorHostPolicy\nmetadata: {name: host-any}\n"
	"spec:\n  nodeSelector:\n    matchLabels: {kubearmor.io/hostname: '*'}\n  process:\n"
	"    matchPaths:\n    - path: /usr/bin/wget\n  action: Block\n";

static const struct ir_target *find_target(const struct ir_target *ts, size_t n, const char *ns, const char *wl,
					   const char *container)
{
	for (size_t i = 0; i < n; i++) {
		const struct ir_identity *id = ts[i].identity;
		if (!id)
			continue;
		if (!container && ts[i].host && strcmp(id->workload, wl) == 0)
			return &ts[i];
		if (container && !ts[i].host && strcmp(id->namespace, ns) == 0 && strcmp(id->workload, wl) == 0 &&
		    strcmp(id->container, container) == 0)
			return &ts[i];
	}
	return NULL;
}

static bool has_policy(const struct unit_prog *u, const struct ir_target *t, const char *name)
{
	for (uint32_t i = 0; i < t->npolicies; i++)
		if (strcmp(ir_s(&u->prog.strs, u->prog.policies[t->policies[i]].name), name) == 0)
			return true;
	return false;
}

static void test_targets(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "policies.yaml", policies);
	CU_ASSERT_EQUAL_FATAL(u.diags.errors, 0);
	struct inv f;
	inv_begin(&f);
	fe_inventory_load_path(&f.inv, "testdata/workloads/dir");
	/* a second node, and a pod with web's labels in dev: the prod KSP must not reach it */
	static const char more[] =
		"apiVersion: v1\nkind: Node\nmetadata: {name: node-2, labels: {kubernetes.io/hostname: node-2}}\n"
		"---\napiVersion: v1\nkind: Pod\nmetadata: {name: web-copy, namespace: dev, labels: {app: web}}\n"
		"spec: {containers: [{name: nginx, image: nginx:1.25}]}\n"
		"---\napiVersion: v1\nkind: Pod\nmetadata: {name: web-pod, namespace: prod, labels: {app: web}}\n"
		"spec: {containers: [{name: nginx, image: nginx:1.25}]}\n";
	fe_inventory_load_text(&f.inv, "more.yaml", more, strlen(more));
	fe_inventory_finish(&f.inv);
	CU_ASSERT_EQUAL_FATAL(f.diags.errors, 0);

	struct kc_targets kts, kts2;
	kc_targets_init(&kts);
	kc_targets_from_inventory(&kts, &u.arena, &u.prog, &f.inv, audit3);
	const struct ir_target *ts = kts.items;
	size_t n = kts.n;
	/* containers: web 3, db 1, backup 1 (prod); agent, migrate, debug, web-copy (dev);
	 * cache (default); web-pod (prod); then two nodes */
	CU_ASSERT_EQUAL(n, 3 + 1 + 1 + 4 + 1 + 1 + 2);

	/* one KSP selects two workloads (web, web-pod), every container of them */
	const struct ir_target *web_nginx = find_target(ts, n, "prod", "web", "nginx");
	const struct ir_target *web_side = find_target(ts, n, "prod", "web", "sidecar");
	const struct ir_target *web_init = find_target(ts, n, "prod", "web", "init-db");
	const struct ir_target *pod_nginx = find_target(ts, n, "prod", "web-pod", "nginx");
	const struct ir_target *copy = find_target(ts, n, "dev", "web-copy", "nginx");
	const struct ir_target *db = find_target(ts, n, "prod", "db", "postgres");
	const struct ir_target *agent = find_target(ts, n, "dev", "agent", "agent");
	const struct ir_target *cache = find_target(ts, n, "default", "cache", "redis");
	const struct ir_target *n1 = find_target(ts, n, NULL, "node-1", NULL);
	const struct ir_target *n2 = find_target(ts, n, NULL, "node-2", NULL);
	CU_ASSERT_FATAL(web_nginx && web_side && web_init && pod_nginx && copy && db && agent && cache && n1 && n2);
	CU_ASSERT_TRUE(has_policy(&u, web_nginx, "web-sleep"));
	CU_ASSERT_TRUE(has_policy(&u, web_side, "web-sleep"));
	CU_ASSERT_TRUE(has_policy(&u, web_init, "web-sleep"));
	CU_ASSERT_TRUE(has_policy(&u, pod_nginx, "web-sleep"));
	/* container.name restricts to nginx, in both workloads */
	CU_ASSERT_TRUE(has_policy(&u, web_nginx, "web-nginx-only"));
	CU_ASSERT_TRUE(has_policy(&u, pod_nginx, "web-nginx-only"));
	CU_ASSERT_FALSE(has_policy(&u, web_side, "web-nginx-only"));
	CU_ASSERT_FALSE(has_policy(&u, web_init, "web-nginx-only"));
	/* selectors in different namespaces never share a target */
	CU_ASSERT_FALSE(has_policy(&u, copy, "web-sleep"));
	CU_ASSERT_FALSE(has_policy(&u, copy, "csp-prod"));
	CU_ASSERT_TRUE(has_policy(&u, agent, "dev-agent"));
	CU_ASSERT_EQUAL(agent->npolicies, 1);
	CU_ASSERT_FALSE(has_policy(&u, web_nginx, "dev-agent"));
	/* the CSP reaches every prod container and nothing else */
	CU_ASSERT_TRUE(has_policy(&u, db, "csp-prod"));
	CU_ASSERT_TRUE(has_policy(&u, web_init, "csp-prod"));
	CU_ASSERT_EQUAL(cache->npolicies, 0);	/* kept, unconfined */
	/* merged: every rule of every selecting policy, in program order */
	CU_ASSERT_EQUAL(web_nginx->npolicies, 3);
	CU_ASSERT_EQUAL(web_nginx->nrules, 1 + 1 + 2);
	for (uint32_t i = 1; i < web_nginx->nrules; i++)
		CU_ASSERT(web_nginx->rules[i - 1] < web_nginx->rules[i]);
	/* hosts: HSP by node labels; kubearmor.io/hostname '*' is every node; no container */
	CU_ASSERT_TRUE(n1->host);
	CU_ASSERT_TRUE(has_policy(&u, n1, "host-node-1"));
	CU_ASSERT_TRUE(has_policy(&u, n1, "host-any"));
	CU_ASSERT_FALSE(has_policy(&u, n2, "host-node-1"));
	CU_ASSERT_TRUE(has_policy(&u, n2, "host-any"));
	CU_ASSERT_FALSE(has_policy(&u, web_nginx, "host-any"));
	for (size_t i = 0; i < n; i++)
		CU_ASSERT(ts[i].host || !has_policy(&u, &ts[i], "host-node-1"));

	/* postures from the namespace annotations; defaults elsewhere and on hosts */
	CU_ASSERT_EQUAL(web_nginx->posture[IR_PC_FILE], IR_POSTURE_BLOCK);
	CU_ASSERT_EQUAL(web_nginx->posture[IR_PC_NETWORK], IR_POSTURE_AUDIT);
	CU_ASSERT_PTR_NOT_NULL(web_nginx->identity->posture_loc[IR_PC_FILE].src);
	CU_ASSERT_EQUAL(web_nginx->identity->posture_loc[IR_PC_FILE].line, 7);
	CU_ASSERT_PTR_NULL(web_nginx->identity->posture_loc[IR_PC_CAPABILITIES].src);
	CU_ASSERT_EQUAL(agent->posture[IR_PC_FILE], IR_POSTURE_AUDIT);
	CU_ASSERT_EQUAL(n1->posture[IR_PC_FILE], IR_POSTURE_AUDIT);

	/* identity */
	const struct ir_identity *id = web_init->identity;
	CU_ASSERT_STRING_EQUAL(id->kind, "Deployment");
	CU_ASSERT_STRING_EQUAL(id->pod, "web-*");
	CU_ASSERT_STRING_EQUAL(id->image, "busybox:1.36");
	CU_ASSERT_TRUE(id->init);
	CU_ASSERT_EQUAL(id->nlabels, 2);
	CU_ASSERT_STRING_EQUAL(pod_nginx->identity->pod, "web-pod");
	CU_ASSERT_STRING_EQUAL(n1->identity->kind, "Node");
	CU_ASSERT_PTR_NULL(n1->identity->container);
	CU_ASSERT_STRING_EQUAL(label(n1->identity->labels, n1->identity->nlabels, "kubernetes.io/os"), "linux");
	/* names: unique and legal as profile and file names */
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT_EQUAL(strspn(ts[i].name, "abcdefghijklmnopqrstuvwxyz0123456789-"), strlen(ts[i].name));
		for (size_t j = 0; j < i; j++)
			CU_ASSERT(strcmp(ts[i].name, ts[j].name) != 0);
	}
	CU_ASSERT_EQUAL(strncmp(n1->name, "karmorc-host-node-1-", 20), 0);

	/* --posture block for everything: annotations still win where they are set */
	static const enum ir_posture block3[IR_PC_COUNT] = {IR_POSTURE_BLOCK, IR_POSTURE_BLOCK, IR_POSTURE_BLOCK};
	kc_targets_init(&kts2);
	kc_targets_from_inventory(&kts2, &u.arena, &u.prog, &f.inv, block3);
	const struct ir_target *ts2 = kts2.items;
	size_t n2count = kts2.n;
	CU_ASSERT_EQUAL(n2count, n);
	const struct ir_target *w2 = find_target(ts2, n2count, "prod", "web", "nginx");
	CU_ASSERT_EQUAL(w2->posture[IR_PC_NETWORK], IR_POSTURE_AUDIT);
	CU_ASSERT_EQUAL(w2->posture[IR_PC_CAPABILITIES], IR_POSTURE_BLOCK);
	CU_ASSERT_STRING_EQUAL(w2->name, web_nginx->name);	/* stable */
	kc_targets_free(&kts2);
	kc_targets_free(&kts);
	inv_free(&f);
	unit_free(&u);
}

void test_workloads_register(void)
{
	CU_pSuite s = CU_add_suite("workloads", NULL, NULL);
	CU_add_test(s, "every kind, sorted", test_every_kind);
	CU_add_test(s, "List and typed lists", test_lists);
	CU_add_test(s, "multi-document files and directories", test_multidoc_and_directory);
	CU_add_test(s, "initContainers and duplicate container names", test_init_containers);
	CU_add_test(s, "namespace posture annotations", test_posture_annotations);
	CU_add_test(s, "malformed manifests: located errors", test_malformed);
	CU_add_test(s, "truncated inputs never crash", test_truncated_inputs);
	CU_add_test(s, "other kinds are skipped with a note", test_skipped_kinds);
	CU_add_test(s, "YAML bounds hold", test_bounds);
	CU_add_test(s, "duplicate objects: the first by file wins", test_duplicates);
	CU_add_test(s, "gen-corpus.py inventory reads clean", test_bench_inventory);
	CU_add_test(s, "targets: selection, merge, posture, identity", test_targets);
}
