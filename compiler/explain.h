/* kc_explain: `karmorc explain` -- the verdict for one operation, the deciding rule and why. */
#ifndef KC_EXPLAIN_H
#define KC_EXPLAIN_H
#include <stdbool.h>

#include "../frontend/ir.h"

int kc_cmd_explain(int argc, char **argv);
/* Parses "file=block,network=audit" into posture[]; false on a bad spec. */
bool kc_parse_posture(const char *spec, enum ir_posture posture[IR_PC_COUNT]);

#endif
