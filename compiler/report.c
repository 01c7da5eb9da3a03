#include "report.h"

#include <stdlib.h>
#include <string.h>

/* matches the loader's file size limit */
#define FE_MAX_QUOTED_FILE (16u * 1024 * 1024)

void kc_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		switch (*p) {
		case '"': fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

/* Files are not kept in memory after loading (load.c); the report reads a file again
 * to quote it.  Findings are sorted by file, so a one-file cache reads each file once. */
static struct {
	const struct fe_source *src;
	char *text;
	size_t len;
} kc_text_cache;

static void kc_text_cache_drop(void)
{
	free(kc_text_cache.text);
	memset(&kc_text_cache, 0, sizeof(kc_text_cache));
}

static bool kc_source_text(const struct fe_source *src, const char **text, size_t *len)
{
	if (src->text) {
		*text = src->text;
		*len = src->len;
		return true;
	}
	if (!src->on_disk)
		return false;
	if (kc_text_cache.src != src) {
		kc_text_cache_drop();
		kc_text_cache.src = src;
		FILE *f = fopen(src->name, "rb");
		if (f) {
			char *buf = NULL;
			size_t cap = 0, n = 0, got;
			do {
				if (n == cap) {
					cap = cap ? cap * 2 : 64 * 1024;
					if (cap > 2 * FE_MAX_QUOTED_FILE)
						break;
					char *nb = realloc(buf, cap);
					if (!nb)
						break;
					buf = nb;
				}
				got = fread(buf + n, 1, cap - n, f);
				n += got;
			} while (got > 0);
			fclose(f);
			kc_text_cache.text = buf;
			kc_text_cache.len = n;
		}
	}
	*text = kc_text_cache.text;
	*len = kc_text_cache.len;
	return *text != NULL;
}

/* The text of line `line` (1-based), without its end of line. */
static const char *kc_line_text(const struct fe_source *src, unsigned line, size_t *len)
{
	const char *text;
	size_t size;
	if (!kc_source_text(src, &text, &size))
		return NULL;
	const char *p = text, *end = text + size;
	for (unsigned l = 1; l < line && p < end; l++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return NULL;
		p = nl + 1;
	}
	if (p >= end && line > 1)
		return NULL;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
	if (n && p[n - 1] == '\r')
		n--;
	*len = n;
	return p;
}

static void kc_print_loc(FILE *out, const struct fe_loc *loc)
{
	if (!loc->src)
		fputs("karmorc", out);
	else if (loc->line)
		fprintf(out, "%s:%u:%u", loc->src->name, loc->line, loc->col);
	else
		fputs(loc->src->name, out);
}

/* Source line and caret; columns count characters, tabs are kept so the caret lines up. */
static void kc_print_excerpt(FILE *out, const struct fe_loc *loc)
{
	size_t len;
	if (!loc->src || !loc->line)
		return;
	const char *text = kc_line_text(loc->src, loc->line, &len);
	if (!text)
		return;
	if (len > 200)
		len = 200;	/* a minified or binary line is not worth quoting whole */
	int width = fprintf(out, "%5u", loc->line);
	fputs(" | ", out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		fputc(c < 0x20 && c != '\t' ? '?' : c, out);
	}
	fprintf(out, "\n%*s | ", width, "");
	unsigned col = 1;
	for (size_t i = 0; i < len && col < loc->col; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c & 0xC0) == 0x80)
			continue;	/* UTF-8 continuation byte */
		fputc(c == '\t' ? '\t' : ' ', out);
		col++;
	}
	fputs("^\n", out);
}

static void kc_report_text(FILE *out, const struct fe_diag *dg)
{
	kc_print_loc(out, &dg->loc);
	fprintf(out, ": %s: %s [KC%04d]\n", fe_severity_name(dg->severity), dg->message, (int)dg->code);
	kc_print_excerpt(out, &dg->loc);
	if (dg->fixit)
		fprintf(out, "%*s = fix: %s\n", 5, "", dg->fixit);
	if (dg->related_message) {
		kc_print_loc(out, &dg->related);
		fprintf(out, ": note: %s\n", dg->related_message);
		kc_print_excerpt(out, &dg->related);
	}
}

static void kc_report_json(FILE *out, const struct fe_diag *dg)
{
	fputs("{\"file\":", out);
	kc_json_string(out, dg->loc.src ? dg->loc.src->name : "");
	fprintf(out, ",\"line\":%u,\"column\":%u,\"severity\":\"%s\",\"code\":\"KC%04d\",\"message\":", dg->loc.line,
		dg->loc.col, fe_severity_name(dg->severity), (int)dg->code);
	kc_json_string(out, dg->message);
	if (dg->fixit) {
		fputs(",\"fix\":", out);
		kc_json_string(out, dg->fixit);
	}
	if (dg->related_message) {
		fputs(",\"related\":{\"file\":", out);
		kc_json_string(out, dg->related.src ? dg->related.src->name : "");
		fprintf(out, ",\"line\":%u,\"column\":%u,\"message\":", dg->related.line, dg->related.col);
		kc_json_string(out, dg->related_message);
		fputc('}', out);
	}
	fputs("}\n", out);
}

void kc_report(FILE *out, struct fe_diags *d, enum kc_format fmt, bool notes)
{
	kc_report_from(out, d, 0, fmt, notes);
}

void kc_report_from(FILE *out, struct fe_diags *d, size_t first, enum kc_format fmt, bool notes)
{
	fe_diags_sort_from(d, first);
	for (size_t i = first; i < d->len; i++) {
		const struct fe_diag *dg = &d->items[i];
		if (dg->severity == FE_NOTE && !notes)
			continue;
		if (fmt == KC_FORMAT_JSON)
			kc_report_json(out, dg);
		else
			kc_report_text(out, dg);
	}
	kc_text_cache_drop();
	fe_diags_truncate(d, first);
}
