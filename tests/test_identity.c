/* A target's identity (DESIGN §3) in every output: targets compiled from a workload
 * inventory (frontend/workloads.h, kc_targets_from_inventory), the AppArmor profile's
 * identity lines (escaped: the inventory does not check label or image syntax), the
 * BPF image's identity section read back by the loader's reader, and byte-identical
 * outputs whatever the order of the inventory's files. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../backends/backend.h"
#include "../compiler/targets.h"
#include "../frontend/workloads.h"
#include "../runtime-loader/image.h"
#include "unit.h"

extern char **environ;

static const char id_policies[] =
	"apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: web-sleep, namespace: prod}\n"
	"spec:\n  selector:\n    matchLabels: {app: web}\n  process:\n    matchPaths:\n    - path: /bin/sleep\n"
	"  action: Block\n---\n"
	"apiVersion: security.kubearmor.com/v1\nkind: KubeArmorHostPolicy\nmetadata: {name: host-any}\n"
	"spec:\n  nodeSelector:\n    matchLabels: {kubearmor.io/hostname: '*'}\n  process:\n"
	"    matchPaths:\n    - path: /usr/bin/wget\n  action: Block\n";

/* Values the inventory reader lets through: a newline that would end a comment and start
 * profile text, a backslash, '=' in a key, non-ASCII (a NUL the YAML reader refuses). */
static const char hostile[] =
	"apiVersion: v1\nkind: Pod\nmetadata:\n  name: evil\n  namespace: prod\n  labels:\n    app: web\n"
	"    zz: \"a\\n#include <abstractions/base>\\n  capability sys_admin,\\nb\"\n"
	"    \"k=x\": \"back\\\\slash\"\n    utf: \"caf\\u00e9\"\n"
	"spec:\n  containers:\n  - name: main\n    image: \"img\\r\\n}\\nprofile x {\"\n"
	"---\napiVersion: v1\nkind: Node\nmetadata: {name: node-9, labels: {zone: \"z\\n1\", a: b}}\n";

struct id_run {
	struct unit_prog u;
	struct fe_inventory inv;
	struct kc_targets targets;
	const struct ir_target *ts;
	size_t n;
	struct be_ctx aa, bpf;
};

/* the inventory: testdata/workloads/dir's files one by one (in the given order) and `hostile` */
static void id_build(struct id_run *r, bool reverse)
{
	static const char *const files[] = {"testdata/workloads/dir/10-namespaces.yaml", "testdata/workloads/dir/20-apps.yml",
					    "testdata/workloads/dir/sub/30-jobs.yaml", "testdata/workloads/dir/sub/40-list.yaml"};
	const size_t nf = sizeof(files) / sizeof(files[0]);
	memset(r, 0, sizeof(*r));
	unit_load(&r->u, FE_SCHEMA_CRD, "policies.yaml", id_policies);
	fe_inventory_init(&r->inv, &r->u.arena, &r->u.diags);
	if (reverse)
		fe_inventory_load_text(&r->inv, "hostile.yaml", hostile, strlen(hostile));
	for (size_t i = 0; i < nf; i++)
		fe_inventory_load_path(&r->inv, files[reverse ? nf - 1 - i : i]);
	if (!reverse)
		fe_inventory_load_text(&r->inv, "hostile.yaml", hostile, strlen(hostile));
	fe_inventory_finish(&r->inv);
	static const enum ir_posture audit3[IR_PC_COUNT] = {IR_POSTURE_AUDIT, IR_POSTURE_AUDIT, IR_POSTURE_AUDIT};
	kc_targets_init(&r->targets);
	kc_targets_from_inventory(&r->targets, &r->u.arena, &r->u.prog, &r->inv, audit3);
	r->ts = r->targets.items;
	r->n = r->targets.n;
	be_ctx_init(&r->aa, &r->u.prog, &r->u.diags, &r->u.arena, "apparmor");
	be_ctx_init(&r->bpf, &r->u.prog, &r->u.diags, &r->u.arena, "bpf");
	r->bpf.version = "9.9.9";
	for (size_t i = 0; i < r->n; i++) {
		r->aa.target_index = r->bpf.target_index = (uint32_t)i;
		be_apparmor.emit(&r->aa, &r->ts[i]);
		be_bpf.emit(&r->bpf, &r->ts[i]);
	}
}

/* the errors, on stderr, when a test finds any */
static void id_show_errors(const struct id_run *r)
{
	for (size_t i = 0; i < r->u.diags.len; i++)
		if (r->u.diags.items[i].severity == FE_ERROR)
			fprintf(stderr, "\ntest_identity.c: %s:%u: %s\n",
				r->u.diags.items[i].loc.src ? r->u.diags.items[i].loc.src->name : "-",
				r->u.diags.items[i].loc.line, r->u.diags.items[i].message);
}

static void id_free(struct id_run *r)
{
	be_ctx_free(&r->aa);
	be_ctx_free(&r->bpf);
	kc_targets_free(&r->targets);
	unit_free(&r->u);
}

static const struct ir_target *id_target(const struct id_run *r, const char *workload, const char *container)
{
	for (size_t i = 0; i < r->n; i++) {
		const struct ir_identity *id = r->ts[i].identity;
		if (id && strcmp(id->workload, workload) == 0 &&
		    (container ? id->container && strcmp(id->container, container) == 0 : !id->container))
			return &r->ts[i];
	}
	return NULL;
}

static const struct be_buf *id_file(const struct be_ctx *ctx, const char *dir, const char *name, const char *suffix)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s%s", dir, name, suffix);
	for (size_t i = 0; i < ctx->nfiles; i++)
		if (strcmp(ctx->files[i].path, path) == 0)
			return &ctx->files[i].text;
	return NULL;
}

/* the profile's comment lines before `profile`, as one string */
static char *id_header(const struct be_buf *b)
{
	const char *end = strstr(b->s, "\nprofile ");
	size_t n = end ? (size_t)(end - b->s) + 1 : 0;
	char *h = malloc(n + 1);
	memcpy(h, b->s, n);
	h[n] = '\0';
	return h;
}

static void test_apparmor_identity(void)
{
	struct id_run r;
	id_build(&r, false);
	id_show_errors(&r);
	CU_ASSERT_EQUAL_FATAL(r.u.diags.errors, 0);
	const struct ir_target *web = id_target(&r, "web", "init-db"), *evil = id_target(&r, "evil", "main"),
			       *node = id_target(&r, "node-9", NULL);
	CU_ASSERT_FATAL(web && evil && node);

	const struct be_buf *b = id_file(&r.aa, "apparmor", web->name, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	char *h = id_header(b);
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "# AppArmor profile written by karmorc for the init container init-db of "
					 "Deployment prod/web\n"
					 "# identity.kind: Deployment\n"
					 "# identity.namespace: prod\n"
					 "# identity.workload: web\n"
					 "# identity.pod: web-*\n"
					 "# identity.container: init-db\n"
					 "# identity.init: true\n"
					 "# identity.image: busybox:1.36\n"
					 "# identity.label: app=web\n"
					 "# identity.label: tier=front\n"
					 "# policies: web-sleep\n"));
	free(h);

	/* hostile values stay inside their comment, reversibly escaped, labels sorted */
	b = id_file(&r.aa, "apparmor", evil->name, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	h = id_header(b);
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "# identity.image: img\\x0d\\x0a}\\x0aprofile x {\n"
					 "# identity.label: app=web\n"
					 "# identity.label: k\\x3dx=back\\\\slash\n"
					 "# identity.label: utf=caf\\xc3\\xa9\n"
					 "# identity.label: zz=a\\x0a#include <abstractions/base>\\x0a  capability "
					 "sys_admin,\\x0ab\n"));
	for (const char *line = h; *line; line = strchr(line, '\n') + 1)
		CU_ASSERT_EQUAL(strncmp(line, "# ", 2), 0);	/* every line before `profile` is a comment */
	free(h);

	b = id_file(&r.aa, "apparmor", node->name, "");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	h = id_header(b);
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "for the node node-9\n# identity.kind: Node\n# identity.node: node-9\n"
					 "# identity.label: a=b\n# identity.label: zone=z\\x0a1\n# policies: host-any\n"));
	CU_ASSERT_PTR_NULL(strstr(h, "identity.namespace"));
	free(h);

	/* the parser takes the hostile profile as one profile (where it is installed) */
	if (access("/sbin/apparmor_parser", X_OK) == 0 || access("/usr/sbin/apparmor_parser", X_OK) == 0) {
		b = id_file(&r.aa, "apparmor", evil->name, "");
		char path[] = "/tmp/karmorc-identity-XXXXXX";
		int fd = mkstemp(path);
		CU_ASSERT_FATAL(fd >= 0);
		CU_ASSERT_EQUAL(write(fd, b->s, b->len), (ssize_t)b->len);
		close(fd);
		char *argv[] = {"apparmor_parser", "-Q", "-K", path, NULL};
		posix_spawn_file_actions_t fa;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
		pid_t pid;
		int status = -1;
		if (posix_spawnp(&pid, "apparmor_parser", &fa, NULL, argv, environ) == 0)
			waitpid(pid, &status, 0);
		posix_spawn_file_actions_destroy(&fa);
		CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		unlink(path);
	}
	id_free(&r);
}

static void ref_is(const struct kl_image *img, struct karmor_image_strref ref, const char *want)
{
	CU_ASSERT_STRING_EQUAL(kl_image_ref(img, ref), want ? want : "");
	CU_ASSERT_EQUAL(ref.len, want ? strlen(want) : 0);
}

static void test_bpf_identity(void)
{
	struct id_run r;
	id_build(&r, false);
	id_show_errors(&r);
	CU_ASSERT_EQUAL_FATAL(r.u.diags.errors, 0);
	size_t checked = 0;
	for (size_t i = 0; i < r.n; i++) {
		const struct ir_target *t = &r.ts[i];
		const struct ir_identity *id = t->identity;
		const struct be_buf *b = id_file(&r.bpf, "bpf", t->name, KARMOR_IMAGE_SUFFIX);
		CU_ASSERT_PTR_NOT_NULL_FATAL(b);
		struct kl_image img;
		char err[256] = "";
		CU_ASSERT_EQUAL_FATAL(kl_image_parse(b->s, b->len, "t.kmi", &img, err, sizeof(err)), 0);
		CU_ASSERT_PTR_NOT_NULL_FATAL(img.ident);
		const struct karmor_image_identity *ii = img.ident;
		CU_ASSERT_EQUAL(!!(ii->flags & KARMOR_IDENT_HOST), t->host);
		CU_ASSERT_EQUAL(!!(ii->flags & KARMOR_IDENT_INIT), id->init);
		ref_is(&img, ii->kind, id->kind);
		ref_is(&img, ii->workload, id->workload);
		ref_is(&img, ii->namespace_, id->namespace);
		ref_is(&img, ii->pod, id->pod);
		ref_is(&img, ii->container, id->container);
		ref_is(&img, ii->image, id->image);
		CU_ASSERT_EQUAL_FATAL(ii->nlabels, id->nlabels);	/* no duplicates here: all kept, in key order */
		for (uint32_t l = 0; l < id->nlabels; l++) {
			ref_is(&img, img.labels[l].key, id->labels[l].key);
			ref_is(&img, img.labels[l].value, id->labels[l].value);
		}
		CU_ASSERT_STRING_EQUAL(kl_image_str(&img, img.hdr->describe), t->describe);
		kl_image_free(&img);
		checked++;
	}
	CU_ASSERT(checked >= 10);
	const struct ir_target *evil = id_target(&r, "evil", "main");
	CU_ASSERT_PTR_NOT_NULL_FATAL(evil);
	CU_ASSERT_STRING_EQUAL(evil->identity->image, "img\r\n}\nprofile x {");
	id_free(&r);
}

/* the same inventory, its files in the opposite order: every file byte for byte */
static void test_identity_deterministic(void)
{
	struct id_run a, b;
	id_build(&a, false);
	id_build(&b, true);
	CU_ASSERT_EQUAL_FATAL(a.n, b.n);
	const struct be_ctx *ca[2] = {&a.aa, &a.bpf}, *cb[2] = {&b.aa, &b.bpf};
	for (int k = 0; k < 2; k++) {
		CU_ASSERT_EQUAL_FATAL(ca[k]->nfiles, cb[k]->nfiles);
		for (size_t i = 0; i < ca[k]->nfiles; i++) {
			CU_ASSERT_STRING_EQUAL(ca[k]->files[i].path, cb[k]->files[i].path);
			CU_ASSERT_EQUAL_FATAL(ca[k]->files[i].text.len, cb[k]->files[i].text.len);
			CU_ASSERT(memcmp(ca[k]->files[i].text.s, cb[k]->files[i].text.s, ca[k]->files[i].text.len) == 0);
		}
	}
	id_free(&a);
	id_free(&b);
}

/* without an inventory (one target per selector): no identity section, no identity lines */
static void test_selector_no_identity(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "policies.yaml", id_policies);
	struct kc_targets ts;
	kc_targets_init(&ts);
	kc_targets_from_selectors(&ts, &u.arena, &u.prog, (enum ir_posture[IR_PC_COUNT]){0});
	CU_ASSERT_EQUAL_FATAL(ts.n, 2);
	struct be_ctx aa, bpf;
	be_ctx_init(&aa, &u.prog, &u.diags, &u.arena, "apparmor");
	be_ctx_init(&bpf, &u.prog, &u.diags, &u.arena, "bpf");
	for (size_t i = 0; i < ts.n; i++) {
		be_apparmor.emit(&aa, &ts.items[i]);
		be_bpf.emit(&bpf, &ts.items[i]);
		const struct be_buf *p = id_file(&aa, "apparmor", ts.items[i].name, "");
		const struct be_buf *b = id_file(&bpf, "bpf", ts.items[i].name, KARMOR_IMAGE_SUFFIX);
		CU_ASSERT_FATAL(p && b);
		CU_ASSERT_PTR_NULL(strstr(p->s, "# identity."));
		struct kl_image img;
		char err[256];
		CU_ASSERT_EQUAL_FATAL(kl_image_parse(b->s, b->len, "t.kmi", &img, err, sizeof(err)), 0);
		CU_ASSERT_PTR_NULL(img.ident);
		CU_ASSERT_EQUAL(img.hdr->ident_size, 0);
		CU_ASSERT_STRING_EQUAL(kl_image_str(&img, img.hdr->describe), ts.items[i].describe);
		kl_image_free(&img);
	}
	be_ctx_free(&aa);
	be_ctx_free(&bpf);
	kc_targets_free(&ts);
	unit_free(&u);
}

/* an identity beyond what an image records: KC0408, no image (the profile is still written) */
static void test_identity_bounds(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "policies.yaml", id_policies);
	struct fe_inventory inv;
	fe_inventory_init(&inv, &u.arena, &u.diags);
	size_t big = KARMOR_IDENT_STR_MAX + 1;
	char *yaml = malloc(big + 256);
	int n = snprintf(yaml, big + 256, "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: prod, labels: "
			 "{app: web, long: \"%0*d\"}}\nspec: {containers: [{name: c, image: i}]}\n", (int)big, 0);
	fe_inventory_load_text(&inv, "big.yaml", yaml, (size_t)n);
	fe_inventory_finish(&inv);
	CU_ASSERT_EQUAL_FATAL(u.diags.errors, 0);
	static const enum ir_posture audit3[IR_PC_COUNT] = {IR_POSTURE_AUDIT, IR_POSTURE_AUDIT, IR_POSTURE_AUDIT};
	struct kc_targets kts;
	kc_targets_init(&kts);
	kc_targets_from_inventory(&kts, &u.arena, &u.prog, &inv, audit3);
	CU_ASSERT_EQUAL_FATAL(kts.n, 1);
	const struct ir_target *ts = kts.items;
	struct be_ctx bpf;
	be_ctx_init(&bpf, &u.prog, &u.diags, &u.arena, "bpf");
	be_bpf.emit(&bpf, &ts[0]);
	CU_ASSERT_PTR_NULL(id_file(&bpf, "bpf", ts[0].name, KARMOR_IMAGE_SUFFIX));
	CU_ASSERT_TRUE(unit_has(&u, FE_BE_CAPACITY, FE_ERROR));
	be_ctx_free(&bpf);
	kc_targets_free(&kts);
	free(yaml);
	unit_free(&u);
}

void test_identity_register(void)
{
	CU_pSuite s = CU_add_suite("target identity", NULL, NULL);
	CU_add_test(s, "apparmor: identity lines, escaped, parser accepts", test_apparmor_identity);
	CU_add_test(s, "bpf: identity section round trip", test_bpf_identity);
	CU_add_test(s, "identity outputs byte-identical in any input order", test_identity_deterministic);
	CU_add_test(s, "selector targets carry no identity", test_selector_no_identity);
	CU_add_test(s, "an identity beyond the image's bounds: KC0408", test_identity_bounds);
}
