/* The Landlock ruleset description reader karmor-loader run uses on a compile output
 * directory or a bundle's section (runtime-loader/ll_desc.c).  A description it accepts
 * must hold what its format promises: absolute paths, known kinds, operations within
 * read, write and exec, and no more entries than the bound. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "../../runtime-loader/ll_desc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kl_ll_desc d;
	char err[8192];
	if (kl_ll_desc_parse((const char *)data, size, "fuzz.ruleset", &d, err, sizeof(err)) != 0) {
		if (!err[0])
			abort();	/* a refusal always says why */
		return 0;
	}
	if (d.n > KLL_MAX_ENTRIES || !d.target[0] || (d.handle & ~(unsigned)KLL_ALL) || (d.base & ~(unsigned)KLL_ALL))
		abort();
	for (size_t i = 0; i < d.n; i++)
		if (d.e[i].path[0] != '/' || !d.e[i].ops || (d.e[i].ops & ~(unsigned)KLL_ALL) || d.e[i].kind > KLL_TREE)
			abort();
	kl_ll_desc_free(&d);
	return 0;
}
