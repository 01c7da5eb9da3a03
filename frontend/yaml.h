/*
 * fe_yaml: libyaml events -> a node tree in the arena.  Every node keeps its
 * line and column.  Hostile input is bounded (depth, scalar size, node count);
 * anchors and aliases are refused; duplicate keys are errors naming both places.
 * The builder is iterative: no input can drive it into deep recursion.
 */
#ifndef FE_YAML_H
#define FE_YAML_H
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"

#define FE_YAML_MAX_DEPTH 64
#define FE_YAML_MAX_SCALAR (256 * 1024)
#define FE_YAML_MAX_NODES 1000000

enum fe_ynode_kind { FE_YN_SCALAR, FE_YN_MAP, FE_YN_SEQ };

/* YAML 1.1 resolution of a scalar, as PyYAML and go-yaml v2 (kubectl) do it. */
enum fe_yscalar_type { FE_YS_STR, FE_YS_INT, FE_YS_FLOAT, FE_YS_BOOL, FE_YS_NULL };

struct fe_ynode {
	enum fe_ynode_kind kind;
	enum fe_yscalar_type type;	/* scalars only */
	bool plain;			/* scalar written without quotes or block style */
	unsigned line, col;		/* 1-based */
	const char *str;		/* scalars: NUL-terminated value */
	size_t len;
	size_t n;			/* sequence items, or mapping pairs */
	struct fe_ynode **items;	/* sequence: n items; mapping: key0, value0, key1, value1 ... */
};

struct fe_ydoc {
	struct fe_ynode *root;		/* NULL for an empty document */
	unsigned line, col;
	size_t index;			/* 0-based position in the stream */
};

struct fe_yfile {
	const struct fe_source *src;
	struct fe_ydoc *docs;
	size_t ndocs;
};

/* Parses src.  Returns false (with diagnostics) when the file is not usable YAML;
 * documents before the error are still returned. */
bool fe_yaml_parse(struct fe_arena *a, struct fe_diags *d, const struct fe_source *src,
		   struct fe_yfile *out);

/* Mapping helpers. */
struct fe_ynode *fe_ymap_get(const struct fe_ynode *map, const char *key);
static inline struct fe_ynode *fe_ymap_key(const struct fe_ynode *m, size_t i) { return m->items[2 * i]; }
static inline struct fe_ynode *fe_ymap_val(const struct fe_ynode *m, size_t i) { return m->items[2 * i + 1]; }

struct fe_loc fe_ynode_loc(const struct fe_source *src, const struct fe_ynode *n);
bool fe_yscalar_bool(const struct fe_ynode *n);	/* for FE_YS_BOOL scalars */
/* Parses an FE_YS_INT scalar; false when it does not fit a long. */
bool fe_yscalar_long(const struct fe_ynode *n, long *out);
const char *fe_yscalar_type_name(enum fe_yscalar_type t);
const char *fe_ynode_kind_name(const struct fe_ynode *n);

#endif
