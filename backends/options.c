/* be_options[]: see options.h. */
#include "options.h"

#include <stddef.h>

const struct be_option be_options[] = {
	{&be_bpf, "bpf-map-budget", "SIZE", be_bpf_set_budget},
	{NULL, NULL, NULL, NULL},
};
