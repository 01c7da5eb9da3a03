/* kc_report: renders diagnostics as a C compiler does, or as JSON lines. */
#ifndef KC_REPORT_H
#define KC_REPORT_H
#include <stdbool.h>
#include <stdio.h>

#include "../frontend/diag.h"

enum kc_format { KC_FORMAT_TEXT, KC_FORMAT_JSON, KC_FORMAT_SARIF };

/* Prints every diagnostic (sorted); notes are shown only when `notes` is set. */
void kc_report(FILE *out, struct fe_diags *d, enum kc_format fmt, bool notes);
/* Prints findings [first, len) (sorted) and forgets them; for streaming per file. */
void kc_report_from(FILE *out, struct fe_diags *d, size_t first, enum kc_format fmt, bool notes);
void kc_json_string(FILE *out, const char *s);
/* `lint`: every finding, notes included (sorted).  JSON lines carry `check`, `target`, `backend` and a
 * `related` list (DESIGN §7); SARIF 2.1.0 is one log with a rule per code. */
void kc_report_lint(FILE *out, struct fe_diags *d, enum kc_format fmt);

#endif
