/*
 * fe_schema: tables mirroring the KubeArmorPolicy, KubeArmorHostPolicy and
 * KubeArmorClusterPolicy CRDs field by field (KubeArmor 510cee31,
 * deployments/CRD/KubeArmor*Policy.yaml), and the validator that walks a document with them.
 * --schema=crd is the CRD plus kubectl --validate=strict (unknown fields are
 * errors); --schema=daemon accepts what non-Kubernetes KubeArmor accepts, with
 * warnings.
 */
#ifndef FE_SCHEMA_H
#define FE_SCHEMA_H
#include <stdbool.h>

#include "diag.h"
#include "ir.h"
#include "yaml.h"

enum fe_schema_mode { FE_SCHEMA_CRD, FE_SCHEMA_DAEMON };

/* Validates one policy document of a known kind; true when it has no error. */
bool fe_schema_validate(struct fe_diags *d, const struct fe_source *src, const struct fe_ynode *root,
			enum ir_kind kind, enum fe_schema_mode mode);

/* The CRD regexes, compiled once with PCRE2 (unanchored search, Go's `$`). */
enum fe_regex {
	FE_RE_PATH, FE_RE_DIR, FE_RE_EXECNAME, FE_RE_SYSCALL_PATH, FE_RE_PROTOCOL, FE_RE_CAPABILITY,
	FE_RE_DNS1123_SUBDOMAIN, FE_RE_DNS1123_LABEL, FE_RE_COUNT
};
bool fe_regex_match(enum fe_regex which, const char *s, size_t len);
const char *fe_regex_source(enum fe_regex which);

/* Name tables for semantic checks (lower case, without cap_). */
bool fe_is_protocol(const char *s);
bool fe_is_capability(const char *s);
bool fe_is_syscall(const char *s);
/* x86-64 syscall number of a CRD syscall name, or -1 */
int fe_syscall_number(const char *s);
/* Does the syscall act on a path it is given (syscalls.matchPaths can match it)? */
bool fe_syscall_takes_path(const char *s);

/* Protocol and capability lists ("tcp, UDP"): the next name, lower case, without spaces
 * (a capability without its cap_ prefix, *had_prefix then set); false past the end. */
#define FE_NAME_MAX 64
bool fe_name_list_next(const char **cursor, char item[FE_NAME_MAX], bool capability, bool *had_prefix);

/* Closest candidate within a small edit distance, or NULL ("did you mean"). */
const char *fe_suggest(const char *word, const char *const *candidates, size_t n);

/* Normalises a possibly lower-case action; -1 when it is not an action. */
int fe_parse_action(const char *s, bool *was_lower);

#endif
