/*
 * fe_match: what a rule's target matches (DESIGN §4.1), shared by the verdict model and
 * the backends: literal paths, directories (direct children, or recursive), AppArmor
 * globs (compiled once per pattern, matched with PCRE2's DFA algorithm), exec names,
 * and fromSource.
 */
#ifndef FE_MATCH_H
#define FE_MATCH_H
#include <stdbool.h>

#include "ir.h"

struct fe_matcher;
struct fe_matcher *fe_matcher_new(const struct ir_program *p);
void fe_matcher_free(struct fe_matcher *m);
const struct ir_program *fe_matcher_program(const struct fe_matcher *m);

/* dir ends in '/': the dir itself and its direct children, or everything below it. */
bool fe_dir_match(const char *dir, const char *path, bool recursive);
/* `target` read as a path, dir, recursive dir, pattern or exec name, against `path`. */
bool fe_path_matches(struct fe_matcher *m, enum ir_match match, ir_str target, const char *path);
/* A rule's protocol or capability name against an operation's (DESIGN §4.7): case does
 * not matter, the protocol `all` is every protocol, a cap_ prefix is ignored on either. */
bool fe_name_matches(const char *rule, const char *name, bool capability);
bool fe_source_matches(const struct ir_program *p, const struct ir_source *s, const char *source);
/* What fe_path_matches(match, target, PATH) answers, as a PCRE2 pattern anchored at both ends
 * (compiled with PCRE2_DOLLAR_ENDONLY | PCRE2_DOTALL): for tools that match paths without
 * the IR, such as karmor-loader attributing AppArmor records.  NULL: not a path match, or
 * a glob that does not convert. */
char *fe_match_regex(struct fe_arena *a, enum ir_match match, const char *target);

#endif
