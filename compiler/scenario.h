/* kc_scenario: `karmorc test` -- scenario files (DESIGN §7) run through the verdict model. */
#ifndef KC_SCENARIO_H
#define KC_SCENARIO_H
#include <stdio.h>

#include "../frontend/schema.h"

struct kc_test_totals {
	size_t passed, failed;
	size_t file_errors;	/* scenario files that could not be run */
	size_t io_errors;	/* ...of which could not be read at all (exit 3) */
};

/* Runs one scenario file, printing a line per case to `out` and diagnostics to `err`. */
void kc_scenario_run(const char *path, enum fe_schema_mode mode, FILE *out, FILE *err,
		     struct kc_test_totals *totals);

#endif
