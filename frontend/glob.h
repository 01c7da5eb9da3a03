/*
 * fe_glob: AppArmor globs (the meaning of matchPatterns, DESIGN §4.1) turned
 * into PCRE2 regexes: `*` any run within one path component, `**` any run
 * across components, `?` one character but '/', `[...]` a class, `{a,b}`
 * alternation (nested).  As in AppArmor, a trailing star after a slash needs
 * at least one character, so the glob /tmp/STAR does not match /tmp/ itself.
 */
#ifndef FE_GLOB_H
#define FE_GLOB_H
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

#define FE_GLOB_MAX_LEN 4096

/* True when `glob` converts (and compiles); otherwise *err says why. */
bool fe_glob_check(const char *glob, const char **err);
/* Returns the regex (anchored at both ends) or NULL with *err set to a reason. */
char *fe_glob_to_regex(struct fe_arena *a, const char *glob, const char **err);

#endif
