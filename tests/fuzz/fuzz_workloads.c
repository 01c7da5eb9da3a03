/* The workload inventory reader (--workloads): Namespaces, Deployments, Pods, Nodes and
 * the rest, Lists included, as `karmorc compile --workloads` reads a file. */
#include "fuzz.h"

#include "../../frontend/workloads.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fe_arena a;
	struct fe_diags d;
	struct fe_inventory inv;
	fe_arena_init(&a);
	fe_diags_init(&d, &a);
	fe_inventory_init(&inv, &a, &d);
	fe_inventory_load_text(&inv, "fuzz.yaml", (const char *)data, size);
	fe_inventory_finish(&inv);
	fe_diags_free(&d);
	fe_arena_free(&a);
	return 0;
}
