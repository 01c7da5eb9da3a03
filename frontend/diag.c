#include "diag.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fe_diags_init(struct fe_diags *d, struct fe_arena *a)
{
	memset(d, 0, sizeof(*d));
	d->arena = a;
}

void fe_diags_free(struct fe_diags *d)
{
	free(d->items);
	d->items = NULL;
	d->len = d->cap = 0;
}

/* A finding that is dropped by the limit still counts, so exit codes stay right. */
static struct fe_diag fe_diag_sink;

struct fe_diag *fe_diag_vadd(struct fe_diags *d, enum fe_severity sev, enum fe_diag_code code,
			     struct fe_loc loc, const char *fmt, va_list ap)
{
	if (sev == FE_ERROR)
		d->errors++;
	else if (sev == FE_WARNING)
		d->warnings++;
	if (d->limit && d->len >= d->limit) {
		memset(&fe_diag_sink, 0, sizeof(fe_diag_sink));
		return &fe_diag_sink;
	}
	if (d->len == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;
		struct fe_diag *items = realloc(d->items, cap * sizeof(*items));
		if (!items) {
			fe_oom();
		}
		d->items = items;
		d->cap = cap;
	}
	char buf[1024];
	vsnprintf(buf, sizeof(buf), fmt, ap);
	struct fe_diag *dg = &d->items[d->len++];
	memset(dg, 0, sizeof(*dg));
	dg->severity = sev;
	dg->code = code;
	dg->loc = loc;
	dg->message = fe_arena_strdup(d->arena, buf);
	dg->seq = d->seq++;
	return dg;
}

struct fe_diag *fe_diag_add(struct fe_diags *d, enum fe_severity sev, enum fe_diag_code code,
			    struct fe_loc loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct fe_diag *dg = fe_diag_vadd(d, sev, code, loc, fmt, ap);
	va_end(ap);
	return dg;
}

void fe_diag_fixit(struct fe_diags *d, struct fe_diag *dg, const char *fmt, ...)
{
	if (dg == &fe_diag_sink)
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dg->fixit = fe_arena_strdup(d->arena, buf);
}

void fe_diag_related(struct fe_diags *d, struct fe_diag *dg, struct fe_loc loc, const char *fmt, ...)
{
	if (dg == &fe_diag_sink)
		return;
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	dg->related = loc;
	dg->related_message = fe_arena_strdup(d->arena, buf);
}

static int fe_diag_cmp(const void *pa, const void *pb)
{
	const struct fe_diag *a = pa, *b = pb;
	const char *fa = a->loc.src ? a->loc.src->name : "";
	const char *fb = b->loc.src ? b->loc.src->name : "";
	int c = strcmp(fa, fb);
	if (c)
		return c;
	if (a->loc.line != b->loc.line)
		return a->loc.line < b->loc.line ? -1 : 1;
	if (a->loc.col != b->loc.col)
		return a->loc.col < b->loc.col ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void fe_diags_sort_from(struct fe_diags *d, size_t first)
{
	/* qsort is not stable; the seq tie-break keeps insertion order. */
	if (d->len > first + 1)
		qsort(d->items + first, d->len - first, sizeof(*d->items), fe_diag_cmp);
}

void fe_diags_sort(struct fe_diags *d)
{
	fe_diags_sort_from(d, 0);
}

void fe_diags_truncate(struct fe_diags *d, size_t first)
{
	if (first < d->len)
		d->len = first;
}

const char *fe_diag_code_summary(enum fe_diag_code code)
{
	switch (code) {
#define X(num, id, summary) case FE_##id: return summary;
#include "diag_codes.def"
#undef X
	}
	return "unknown";
}

const char *fe_severity_name(enum fe_severity sev)
{
	switch (sev) {
	case FE_NOTE: return "note";
	case FE_WARNING: return "warning";
	case FE_ERROR: return "error";
	}
	return "error";
}
