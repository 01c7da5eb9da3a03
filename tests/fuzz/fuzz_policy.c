/* The policy reader: libyaml, the schema, lowering into the IR, and the program's finish
 * (ordering, duplicate identities), as `karmorc check` runs them on a file. */
#include "fuzz.h"

#include "../../frontend/load.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fe_arena a;
	struct fe_diags d;
	struct ir_program p;
	struct fe_loader l;
	fe_arena_init(&a);
	fe_diags_init(&d, &a);
	ir_program_init(&p, &a);
	fe_loader_init(&l, &a, &d, &p, FE_SCHEMA_CRD);
	fe_load_text(&l, "fuzz.yaml", (const char *)data, size);
	fe_loader_finish(&l);
	ir_program_free(&p);
	fe_diags_free(&d);
	fe_arena_free(&a);
	return 0;
}
