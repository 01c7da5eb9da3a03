/*
 * fe_diag: diagnostics as data.  Every stage appends findings here; the
 * compiler renders them (text or JSON).  A finding always carries a location.
 */
#ifndef FE_DIAG_H
#define FE_DIAG_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "arena.h"

enum fe_diag_code {
#define X(num, id, summary) FE_##id = num,
#include "diag_codes.def"
#undef X
};

enum fe_severity { FE_NOTE, FE_WARNING, FE_ERROR };

/* A file's bytes, kept for the whole compilation so diagnostics can quote lines. */
struct fe_source {
	const char *name;
	const char *text;	/* NULL once dropped: a file without findings keeps no copy */
	size_t len;
	bool on_disk;		/* text can be read again from `name` (not stdin) */
};

struct fe_loc {
	const struct fe_source *src;
	unsigned line, col;	/* 1-based; 0 when the finding is about the whole file */
};

struct fe_diag {
	enum fe_severity severity;
	enum fe_diag_code code;
	struct fe_loc loc;
	const char *message;
	const char *fixit;	/* suggested replacement text or advice, may be NULL */
	struct fe_loc related;	/* e.g. the first occurrence of a duplicate key */
	const char *related_message;
	size_t seq;		/* insertion order, the sort's tie-break */
	const char *check;	/* lint: the check's stable name (DESIGN §7), NULL: from the code */
	const char *target;	/* lint: the target the finding concerns, or NULL */
	unsigned ntargets;	/* the targets it holds for, `target` the first (0: one, or none) */
	const char *backend;	/* lint: the backend that made the finding (backend-gap, capacity), or NULL */
};

struct fe_diags {
	struct fe_arena *arena;
	struct fe_diag *items;
	size_t len, cap;
	size_t errors, warnings;
	size_t limit;		/* stop recording after this many (0 = no limit) */
	size_t seq;		/* findings ever added, for a stable order */
};

void fe_diags_init(struct fe_diags *d, struct fe_arena *a);
void fe_diags_free(struct fe_diags *d);
struct fe_diag *fe_diag_add(struct fe_diags *d, enum fe_severity sev, enum fe_diag_code code,
			    struct fe_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
struct fe_diag *fe_diag_vadd(struct fe_diags *d, enum fe_severity sev, enum fe_diag_code code,
			     struct fe_loc loc, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));
void fe_diag_fixit(struct fe_diags *d, struct fe_diag *dg, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void fe_diag_related(struct fe_diags *d, struct fe_diag *dg, struct fe_loc loc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Sorts by file name, line, column, then insertion order, so output is deterministic. */
void fe_diags_sort(struct fe_diags *d);
void fe_diags_sort_from(struct fe_diags *d, size_t first);
/* Forgets findings [first, len) once they have been printed; the counts stay. */
void fe_diags_truncate(struct fe_diags *d, size_t first);

const char *fe_diag_code_summary(enum fe_diag_code code);
const char *fe_severity_name(enum fe_severity sev);

#endif
