/* kc_cases: the case manifest of `compile --scenario` (cases.tsv) for the real-kernel rig. */
#ifndef KC_CASES_H
#define KC_CASES_H

#include "pipeline.h"

/* Adds cases.tsv to o's files: every case of the scenario, the subject its process runs
 * under in o's backend, and the code of a gap it depends on (then the rig skips it). */
void kc_cases_manifest(struct kc_pipeline *pl, struct kc_output *o);

#endif
