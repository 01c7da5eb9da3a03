/* The scenario reader (`karmorc test`): the file's policies, posture, workloads and
 * cases.  A scenario names files; the input is written as s.yaml into a directory of its
 * own holding one policy, p.yaml, and an input whose 'policies' or 'workloads' could name
 * a path outside it (an entry with '/' or "..", or one that is not a plain string) is
 * skipped, so no run reads the host's files (a device or a FIFO could block it). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../compiler/scenario.h"
#include "../../frontend/yaml.h"

static char fuzz_dir[64], fuzz_scenario[96], fuzz_policy[96];

static void fuzz_cleanup(void)
{
	unlink(fuzz_scenario);
	unlink(fuzz_policy);
	rmdir(fuzz_dir);
}

static int fuzz_write(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t put = fwrite(data, 1, size, f);
	return fclose(f) == 0 && put == size ? 0 : -1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	static const char policy[] = "apiVersion: security.kubearmor.com/v1\n"
				     "kind: KubeArmorPolicy\n"
				     "metadata: {name: p, namespace: ns}\n"
				     "spec:\n"
				     "  selector: {matchLabels: {app: a}}\n"
				     "  file:\n"
				     "    matchDirectories: [{dir: /etc/, recursive: true}]\n"
				     "  action: Block\n";
	snprintf(fuzz_dir, sizeof(fuzz_dir), "/tmp/karmorc-fuzz-scenario.XXXXXX");
	if (!mkdtemp(fuzz_dir))
		abort();
	snprintf(fuzz_scenario, sizeof(fuzz_scenario), "%s/s.yaml", fuzz_dir);
	snprintf(fuzz_policy, sizeof(fuzz_policy), "%s/p.yaml", fuzz_dir);
	if (fuzz_write(fuzz_policy, policy, sizeof(policy) - 1) != 0)
		abort();
	atexit(fuzz_cleanup);
	return 0;
}

/* 1 when every document's 'policies' and 'workloads' entries stay in the directory */
static int fuzz_paths_inside(const uint8_t *data, size_t size)
{
	struct fe_arena a;
	struct fe_diags d;
	fe_arena_init(&a);
	fe_diags_init(&d, &a);
	struct fe_source src = {"s.yaml", (const char *)data, size, false};
	struct fe_yfile yf;
	int inside = 1;
	fe_yaml_parse(&a, &d, &src, &yf);
	for (size_t i = 0; i < yf.ndocs && inside; i++) {
		const struct fe_ynode *root = yf.docs[i].root;
		for (int k = 0; k < 2 && inside && root && root->kind == FE_YN_MAP; k++) {
			const struct fe_ynode *seq = fe_ymap_get(root, k ? "workloads" : "policies");
			if (!seq)
				continue;
			if (seq->kind != FE_YN_SEQ) {
				inside = seq->kind == FE_YN_SCALAR && !memchr(seq->str, '/', seq->len) &&
					 !memmem(seq->str, seq->len, "..", 2);
				continue;
			}
			for (size_t j = 0; j < seq->n && inside; j++) {
				const struct fe_ynode *e = seq->items[j];
				inside = e->kind == FE_YN_SCALAR && !memchr(e->str, '/', e->len) && !memmem(e->str, e->len, "..", 2);
			}
		}
	}
	fe_diags_free(&d);
	fe_arena_free(&a);
	return inside;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fuzz_paths_inside(data, size))
		return 0;
	if (fuzz_write(fuzz_scenario, data, size) != 0)
		abort();
	struct kc_scenario sc;
	kc_scenario_load(&sc, fuzz_scenario, FE_SCHEMA_CRD);
	kc_scenario_free(&sc);
	return 0;
}
