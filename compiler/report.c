#include "report.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../frontend/hash.h"
#include "compile.h"
#include "lint.h"

/* matches the loader's file size limit */
#define FE_MAX_QUOTED_FILE (16u * 1024 * 1024)

/* Length of the valid UTF-8 sequence at p (1-4), or 0 if it is not one. */
static size_t kc_utf8_seq(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	size_t n = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
	if ((n == 2 && p[0] < 0xC2) || p[0] > 0xF4)
		return 0;	/* overlong, or beyond U+10FFFF */
	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	if (n == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
		return 0;	/* overlong, or a surrogate */
	if (n == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
		return 0;
	return n;
}

/* A JSON string; bytes that are not UTF-8 (a file name can hold any) become U+FFFD. */
void kc_json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; p && *p;) {
		size_t n = kc_utf8_seq(p);
		if (n == 0) {
			fputs("\\ufffd", out);
			p++;
			continue;
		}
		if (n > 1) {
			fwrite(p, 1, n, out);
			p += n;
			continue;
		}
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
		p++;
	}
	fputc('"', out);
}

/* The files being quoted: their text (read again from disk when the loader dropped it)
 * and where each line starts, so any number of findings costs one read per file and O(1)
 * per quote.  Findings are sorted by file, but a finding's related location is often in
 * another file (the other rule of a conflict, anywhere in the input), so every file quoted
 * stays in hand until the report ends: at most the input's own size. */
struct kc_quoted {
	const struct fe_source *src;
	const char *text;	/* the source's own text, or `owned`; NULL: unreadable */
	char *owned;
	size_t len;
	size_t *lines;		/* offset of line i+1 */
	size_t nlines;
};
static struct kc_quoted *kc_quoted;
static size_t kc_nquoted, kc_quoted_cap;
static struct fe_hindex kc_quoted_ix;	/* over kc_quoted[], by source */

static void kc_text_cache_drop(void)
{
	for (size_t i = 0; i < kc_nquoted; i++) {
		free(kc_quoted[i].owned);
		free(kc_quoted[i].lines);
	}
	free(kc_quoted);
	fe_hindex_free(&kc_quoted_ix);
	kc_quoted = NULL;
	kc_nquoted = kc_quoted_cap = 0;
}

static char *kc_read_file(const char *name, size_t *len)
{
	FILE *f = fopen(name, "rb");
	if (!f)
		return NULL;
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
	*len = n;
	return buf;
}

/* The entry holding src's text and line starts, or NULL when it cannot be read. */
static const struct kc_quoted *kc_quoted_file(const struct fe_source *src)
{
	uint32_t h = fe_hash(&src, sizeof(src)), id;
	for (uint32_t c = fe_hindex_first(&kc_quoted_ix, h); fe_hindex_next(&kc_quoted_ix, h, &c, &id);)
		if (kc_quoted[id].src == src)
			return kc_quoted[id].text ? &kc_quoted[id] : NULL;
	if (kc_nquoted == kc_quoted_cap) {
		size_t cap = kc_quoted_cap ? kc_quoted_cap * 2 : 16;
		struct kc_quoted *nq = realloc(kc_quoted, cap * sizeof(*nq));
		if (!nq)
			return NULL;	/* the finding is printed without its quote */
		kc_quoted = nq;
		kc_quoted_cap = cap;
	}
	struct kc_quoted *q = &kc_quoted[kc_nquoted];
	memset(q, 0, sizeof(*q));
	fe_hindex_add(&kc_quoted_ix, h, (uint32_t)kc_nquoted++);
	q->src = src;
	if (src->text) {
		q->text = src->text;
		q->len = src->len;
	} else if (src->on_disk) {
		q->owned = kc_read_file(src->name, &q->len);
		q->text = q->owned;
	}
	if (!q->text)
		return NULL;
	size_t cap = 64, n = 0;
	size_t *lines = malloc(cap * sizeof(*lines));
	const char *t = q->text, *end = t + q->len;
	for (const char *p = t; lines && p <= end;) {
		if (n == cap) {
			size_t *nl = realloc(lines, (cap *= 2) * sizeof(*lines));
			if (!nl) {
				free(lines);
				lines = NULL;
				break;
			}
			lines = nl;
		}
		lines[n++] = (size_t)(p - t);
		const char *next = memchr(p, '\n', (size_t)(end - p));
		if (!next)
			break;
		p = next + 1;
	}
	q->lines = lines;
	q->nlines = lines ? n : 0;
	if (!lines)
		q->text = NULL;
	return lines ? q : NULL;
}

/* The text of line `line` (1-based), without its end of line. */
static const char *kc_line_text(const struct fe_source *src, unsigned line, size_t *len)
{
	const struct kc_quoted *q = kc_quoted_file(src);
	if (!q || line == 0 || line > q->nlines)
		return NULL;
	const char *p = q->text + q->lines[line - 1];
	const char *end = q->text + q->len;
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

/* Source line and caret; columns count characters, tabs are kept so the caret lines up.
 * A line over 512 bytes (minified or generated) is shown as a window around the column. */
static void kc_print_excerpt(FILE *out, const struct fe_loc *loc)
{
	size_t len;
	if (!loc->src || !loc->line)
		return;
	const char *text = kc_line_text(loc->src, loc->line, &len);
	if (!text)
		return;
	/* byte offset of the caret's character, and of the window's first character */
	size_t caret = 0;
	for (unsigned col = 1; caret < len && col < loc->col; col++) {
		caret++;
		while (caret < len && ((unsigned char)text[caret] & 0xC0) == 0x80)
			caret++;
	}
	size_t from = 0, to = len;
	if (len > 512) {
		if (caret > 120) {
			from = caret - 80;
			while (from < caret && ((unsigned char)text[from] & 0xC0) == 0x80)
				from++;
		}
		to = from + 160 < len ? from + 160 : len;
	}
	while (to < len && ((unsigned char)text[to] & 0xC0) == 0x80)
		to++;
	int width = fprintf(out, "%5u", loc->line);
	fputs(" | ", out);
	if (from)
		fputs("...", out);
	for (size_t i = from; i < to; i++) {
		unsigned char c = (unsigned char)text[i];
		putc_unlocked(c < 0x20 && c != '\t' ? '?' : c, out);
	}
	if (to < len)
		fputs("...", out);
	fprintf(out, "\n%*s | %s", width, "", from ? "   " : "");
	for (size_t i = from; i < caret && i < to; i++) {
		unsigned char c = (unsigned char)text[i];
		if ((c & 0xC0) == 0x80)
			continue;	/* UTF-8 continuation byte */
		putc_unlocked(c == '\t' ? '\t' : ' ', out);
	}
	fputs("^\n", out);
}

/* Messages quote input text: control characters are shown as '?' so a finding stays one line. */
static void kc_print_clean(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		putc_unlocked(*p < 0x20 || *p == 0x7f ? '?' : *p, out);
}

static void kc_report_text(FILE *out, const struct fe_diag *dg)
{
	kc_print_loc(out, &dg->loc);
	fprintf(out, ": %s: ", fe_severity_name(dg->severity));
	kc_print_clean(out, dg->message);
	fprintf(out, " [KC%04d]\n", (int)dg->code);
	kc_print_excerpt(out, &dg->loc);
	if (dg->fixit) {
		fprintf(out, "%*s = fix: ", 5, "");
		kc_print_clean(out, dg->fixit);
		fputc('\n', out);
	}
	if (dg->related_message) {
		kc_print_loc(out, &dg->related);
		fputs(": note: ", out);
		kc_print_clean(out, dg->related_message);
		fputc('\n', out);
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

/* ---- lint: JSON lines with check, target and related[]; SARIF 2.1.0 ---- */

static const char *kc_diag_check(const struct fe_diag *dg)
{
	return dg->check ? dg->check : kc_check_name(dg->code);
}

static void kc_json_loc_fields(FILE *out, const struct fe_loc *loc)
{
	fputs("\"file\":", out);
	kc_json_string(out, loc->src ? loc->src->name : "");
	fprintf(out, ",\"line\":%u,\"column\":%u", loc->line, loc->col);
}

static void kc_report_json_lint(FILE *out, const struct fe_diag *dg)
{
	fputc('{', out);
	kc_json_loc_fields(out, &dg->loc);
	fprintf(out, ",\"severity\":\"%s\",\"code\":\"KC%04d\",\"check\":", fe_severity_name(dg->severity), (int)dg->code);
	kc_json_string(out, kc_diag_check(dg));
	fputs(",\"message\":", out);
	kc_json_string(out, dg->message);
	if (dg->target) {
		fputs(",\"target\":", out);
		kc_json_string(out, dg->target);
		if (dg->ntargets > 1)
			fprintf(out, ",\"targets\":%u", dg->ntargets);
	}
	if (dg->backend) {
		fputs(",\"backend\":", out);
		kc_json_string(out, dg->backend);
	}
	if (dg->fixit) {
		fputs(",\"fix\":", out);
		kc_json_string(out, dg->fixit);
	}
	fputs(",\"related\":[", out);
	if (dg->related_message) {
		fputc('{', out);
		kc_json_loc_fields(out, &dg->related);
		fputs(",\"message\":", out);
		kc_json_string(out, dg->related_message);
		fputc('}', out);
	}
	fputs("]}\n", out);
}

/* A file name as a URI reference: relative names stay relative (to the working directory,
 * SARIF's %SRCROOT%), absolute ones become file:// URIs; other bytes are percent-encoded. */
static void kc_sarif_uri(FILE *out, const char *name)
{
	fputc('"', out);
	if (name[0] == '/')
		fputs("file://", out);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			     strchr("-._~/", *p);
		if (plain)
			fputc(*p, out);
		else
			fprintf(out, "%%%02X", *p);
	}
	fputc('"', out);
}

static void kc_sarif_physical(FILE *out, const struct fe_loc *loc)
{
	fputs("\"physicalLocation\":{\"artifactLocation\":{\"uri\":", out);
	kc_sarif_uri(out, loc->src->name);
	if (loc->src->name[0] != '/')
		fputs(",\"uriBaseId\":\"%SRCROOT%\"", out);
	fputc('}', out);
	if (loc->line)
		fprintf(out, ",\"region\":{\"startLine\":%u,\"startColumn\":%u}", loc->line, loc->col ? loc->col : 1);
	fputc('}', out);
}

/* FNV-1a 64: the finding's identity without its line and column, so it survives moved lines */
static uint64_t kc_fnv(uint64_t h, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++)
		h = (h ^ *p) * 0x100000001b3ull;
	return (h ^ 0xff) * 0x100000001b3ull;	/* a separator */
}

static const char *const kc_sarif_level[] = {"note", "warning", "error"};

static const struct {
	int num;
	const char *id, *summary;
} kc_codes[] = {
#define X(num, id, summary) {num, #id, summary},
#include "../frontend/diag_codes.def"
#undef X
};

static void kc_sarif_name(FILE *out, const char *id)
{
	/* YAML_SYNTAX -> YamlSyntax */
	fputc('"', out);
	bool up = true;
	for (const char *p = id; *p; p++) {
		if (*p == '_') {
			up = true;
			continue;
		}
		fputc(up ? *p : (*p >= 'A' && *p <= 'Z' ? *p + 32 : *p), out);
		up = false;
	}
	fputc('"', out);
}

static void kc_report_sarif(FILE *out, const struct fe_diags *d)
{
	size_t ncodes = sizeof(kc_codes) / sizeof(kc_codes[0]);
	fputs("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{"
	      "\"tool\":{\"driver\":{\"name\":\"karmorc\",\"version\":\"" KC_VERSION "\","
	      "\"informationUri\":\"man:karmorc(1)\",\"rules\":[",
	      out);
	for (size_t i = 0; i < ncodes; i++) {
		enum fe_diag_code code = (enum fe_diag_code)kc_codes[i].num;
		const char *help = kc_code_help(code);
		fprintf(out, "%s\n{\"id\":\"KC%04d\",\"name\":", i ? "," : "", kc_codes[i].num);
		kc_sarif_name(out, kc_codes[i].id);
		fputs(",\"shortDescription\":{\"text\":", out);
		kc_json_string(out, kc_codes[i].summary);
		fputs("},\"fullDescription\":{\"text\":", out);
		kc_json_string(out, help ? help : kc_codes[i].summary);
		fputs("},\"help\":{\"text\":", out);
		char buf[160];
		snprintf(buf, sizeof(buf), "KC%04d (check '%s') is described in karmorc(1), section DIAGNOSTICS%s.",
			 kc_codes[i].num, kc_check_name(code), help ? " and section LINT" : "");
		kc_json_string(out, buf);
		fprintf(out, "},\"helpUri\":\"man:karmorc(1)#KC%04d\",\"properties\":{\"check\":", kc_codes[i].num);
		kc_json_string(out, kc_check_name(code));
		fputs("}}", out);
	}
	fputs("]}},\"columnKind\":\"unicodeCodePoints\",\"results\":[", out);
	for (size_t i = 0; i < d->len; i++) {
		const struct fe_diag *dg = &d->items[i];
		size_t rule = 0;
		while (rule < ncodes && kc_codes[rule].num != (int)dg->code)
			rule++;
		fprintf(out, "%s\n{\"ruleId\":\"KC%04d\",\"ruleIndex\":%zu,\"level\":\"%s\",\"message\":{\"text\":",
			i ? "," : "", (int)dg->code, rule, kc_sarif_level[dg->severity]);
		kc_json_string(out, dg->message);
		fputs("},\"locations\":[", out);
		if (dg->loc.src) {
			fputc('{', out);
			kc_sarif_physical(out, &dg->loc);
			fputc('}', out);
		}
		fputs("],\"relatedLocations\":[", out);
		if (dg->related_message && dg->related.src) {
			fputs("{\"id\":1,", out);
			kc_sarif_physical(out, &dg->related);
			fputs(",\"message\":{\"text\":", out);
			kc_json_string(out, dg->related_message);
			fputs("}}", out);
		}
		char code[8];
		snprintf(code, sizeof(code), "KC%04d", (int)dg->code);
		uint64_t h = 0xcbf29ce484222325ull;
		h = kc_fnv(h, code);
		h = kc_fnv(h, dg->loc.src ? dg->loc.src->name : "");
		h = kc_fnv(h, dg->target);
		h = kc_fnv(h, dg->backend);
		h = kc_fnv(h, dg->message);
		h = kc_fnv(h, dg->related.src ? dg->related.src->name : "");
		h = kc_fnv(h, dg->related_message);
		fprintf(out, "],\"partialFingerprints\":{\"karmorcFinding/v1\":\"%016llx\"},\"properties\":{\"check\":",
			(unsigned long long)h);
		kc_json_string(out, kc_diag_check(dg));
		if (dg->target) {
			fputs(",\"target\":", out);
			kc_json_string(out, dg->target);
			if (dg->ntargets > 1)
				fprintf(out, ",\"targets\":%u", dg->ntargets);
		}
		if (dg->backend) {
			fputs(",\"backend\":", out);
			kc_json_string(out, dg->backend);
		}
		fputs("}}", out);
	}
	fputs("\n]}]}\n", out);
}

void kc_report_lint(FILE *out, struct fe_diags *d, enum kc_format fmt)
{
	fe_diags_sort(d);
	if (fmt == KC_FORMAT_SARIF) {
		kc_report_sarif(out, d);
		return;
	}
	for (size_t i = 0; i < d->len; i++) {
		if (fmt == KC_FORMAT_JSON)
			kc_report_json_lint(out, &d->items[i]);
		else
			kc_report_text(out, &d->items[i]);
	}
	kc_text_cache_drop();
}
