#include "yaml.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ---- scalar resolution (YAML 1.1, as kubectl's go-yaml v2 and PyYAML) ---- */

static bool fe_match_any(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (strcmp(s, *words) == 0)
			return true;
	return false;
}

static const char *const fe_null_words[] = {"", "~", "null", "Null", "NULL", NULL};

static bool fe_is_int(const char *s)
{
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	if (!*p)
		return false;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'b')) {
		const char *digits = p[1] == 'x' ? "0123456789abcdefABCDEF_" : "01_";
		p += 2;
		return *p && strspn(p, digits) == strlen(p);
	}
	if (strspn(p, "0123456789_") == strlen(p))
		return true;
	/* sexagesimal 1:20 */
	if (*p >= '1' && *p <= '9') {
		size_t n = strspn(p, "0123456789_:");
		return n == strlen(p) && strchr(p, ':') != NULL;
	}
	return false;
}

static bool fe_is_float(const char *s)
{
	static const char *const specials[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
					       "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN", NULL};
	if (fe_match_any(s, specials))
		return true;
	const char *p = s;
	if (*p == '+' || *p == '-')
		p++;
	size_t digits = strspn(p, "0123456789_");
	p += digits;
	if (*p != '.')
		return false;
	p++;
	p += strspn(p, "0123456789_");
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		size_t ed = strspn(p, "0123456789");
		if (!ed)
			return false;
		p += ed;
	}
	return *p == '\0' && (digits > 0 || s[strspn(s, "+-.")] != '\0');
}

/* 1 true, 0 false, -1 neither: the YAML 1.1 boolean words, looked up by length. */
static int fe_bool_word(const char *s, size_t len)
{
	static const char *const by_len[6][7] = {
		{NULL},
		{"y", "Y", "n", "N", NULL},
		{"no", "No", "NO", "on", "On", "ON", NULL},
		{"yes", "Yes", "YES", "off", "Off", "OFF", NULL},
		{"true", "True", "TRUE", NULL},
		{"false", "False", "FALSE", NULL},
	};
	static const signed char truth[6][7] = {
		{0}, {1, 1, 0, 0}, {0, 0, 0, 1, 1, 1}, {1, 1, 1, 0, 0, 0}, {1, 1, 1}, {0, 0, 0},
	};
	if (len == 0 || len > 5)
		return -1;
	for (int i = 0; by_len[len][i]; i++)
		if (memcmp(by_len[len][i], s, len) == 0)
			return truth[len][i];
	return -1;
}

static enum fe_yscalar_type fe_resolve_plain_len(const char *s, size_t len);

static enum fe_yscalar_type fe_resolve_plain(const char *s)
{
	return fe_resolve_plain_len(s, strlen(s));
}

static enum fe_yscalar_type fe_resolve_plain_len(const char *s, size_t len)
{
	/* most scalars are paths and names: decide those on the first character */
	switch (s[0]) {
	case '\0': case '~':
		break;
	case 'n': case 'N': case 'y': case 'Y': case 't': case 'T': case 'f': case 'F': case 'o': case 'O':
		if (s[1] && s[2] && s[3] && s[4] && s[5])
			return FE_YS_STR;	/* longer than every null/bool word ("false") */
		break;
	case '+': case '-': case '.': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		break;
	default:
		return FE_YS_STR;
	}
	if ((len <= 1 || (len == 4 && (s[0] == 'n' || s[0] == 'N'))) && fe_match_any(s, fe_null_words))
		return FE_YS_NULL;
	if (fe_bool_word(s, len) >= 0)
		return FE_YS_BOOL;
	if (fe_is_int(s))
		return FE_YS_INT;
	if (fe_is_float(s))
		return FE_YS_FLOAT;
	return FE_YS_STR;
}

bool fe_yscalar_bool(const struct fe_ynode *n)
{
	return fe_bool_word(n->str, n->len) == 1;
}

bool fe_yscalar_long(const struct fe_ynode *n, long *out)
{
	char buf[64];
	size_t j = 0;
	for (const char *p = n->str; *p && j + 1 < sizeof(buf); p++)
		if (*p != '_')
			buf[j++] = *p;
	buf[j] = '\0';
	if (strchr(buf, ':'))
		return false;	/* sexagesimal: never a sensible severity */
	int base = 10;
	const char *start = buf;
	bool neg = false;
	if (*start == '+' || *start == '-')
		neg = *start++ == '-';
	if (start[0] == '0' && start[1] == 'x') {
		base = 16;
		start += 2;
	} else if (start[0] == '0' && start[1] == 'b') {
		base = 2;
		start += 2;
	} else if (start[0] == '0' && start[1]) {
		base = 8;
	}
	errno = 0;
	char *end;
	unsigned long long v = strtoull(start, &end, base);
	if (errno || *end || v > (unsigned long long)0x7fffffffffffffffLL)
		return false;
	*out = neg ? -(long)v : (long)v;
	return true;
}

const char *fe_yscalar_type_name(enum fe_yscalar_type t)
{
	switch (t) {
	case FE_YS_STR: return "a string";
	case FE_YS_INT: return "an integer";
	case FE_YS_FLOAT: return "a number";
	case FE_YS_BOOL: return "a boolean";
	case FE_YS_NULL: return "null";
	}
	return "a value";
}

const char *fe_ynode_kind_name(const struct fe_ynode *n)
{
	if (!n)
		return "nothing";
	switch (n->kind) {
	case FE_YN_MAP: return "a mapping";
	case FE_YN_SEQ: return "a list";
	case FE_YN_SCALAR: return fe_yscalar_type_name(n->type);
	}
	return "a value";
}

/* ---- tree helpers ---- */

struct fe_ynode *fe_ymap_get(const struct fe_ynode *map, const char *key)
{
	if (!map || map->kind != FE_YN_MAP)
		return NULL;
	/* The last occurrence wins, as in YAML loaders; duplicates are reported anyway. */
	size_t len = strlen(key);
	for (size_t i = map->n; i-- > 0;) {
		const struct fe_ynode *k = fe_ymap_key(map, i);
		if (k->kind == FE_YN_SCALAR && k->len == len && memcmp(k->str, key, len) == 0)
			return fe_ymap_val(map, i);
	}
	return NULL;
}

struct fe_loc fe_ynode_loc(const struct fe_source *src, const struct fe_ynode *n)
{
	struct fe_loc l = {src, n ? n->line : 0, n ? n->col : 0};
	return l;
}

/* ---- the builder ---- */

struct fe_yframe {
	struct fe_ynode *node;
	size_t first;		/* index in the value stack where this collection's items start */
};

struct fe_ybuilder {
	struct fe_arena *arena;
	struct fe_diags *diags;
	const struct fe_source *src;
	struct fe_yframe frames[FE_YAML_MAX_DEPTH + 1];
	size_t depth;
	struct fe_ynode **stack;	/* pending children of open collections */
	size_t sp, scap;
	size_t nodes;
};

static struct fe_loc fe_mark_loc(const struct fe_source *src, yaml_mark_t m)
{
	struct fe_loc l = {src, (unsigned)m.line + 1, (unsigned)m.column + 1};
	return l;
}

/* Converts a byte offset to line/column, for libyaml reader errors (no mark). */
static struct fe_loc fe_offset_loc(const struct fe_source *src, size_t off)
{
	struct fe_loc l = {src, 1, 1};
	if (off > src->len)
		off = src->len;
	for (size_t i = 0; i < off; i++) {
		if (src->text[i] == '\n') {
			l.line++;
			l.col = 1;
		} else if (((unsigned char)src->text[i] & 0xC0) != 0x80) {
			l.col++;	/* columns count characters, as libyaml's marks do */
		}
	}
	return l;
}

static void fe_ystack_push(struct fe_ybuilder *b, struct fe_ynode *n)
{
	if (b->sp == b->scap) {
		size_t cap = b->scap ? b->scap * 2 : 256;
		struct fe_ynode **s = realloc(b->stack, cap * sizeof(*s));
		if (!s) {
			fe_oom();
		}
		b->stack = s;
		b->scap = cap;
	}
	b->stack[b->sp++] = n;
}

static int fe_key_cmp(const void *pa, const void *pb)
{
	const struct fe_ynode *a = *(struct fe_ynode *const *)pa, *b = *(struct fe_ynode *const *)pb;
	int c = strcmp(a->str, b->str);
	if (c)
		return c;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->col < b->col ? -1 : a->col > b->col;
}

static void fe_report_dup(struct fe_ybuilder *b, const struct fe_ynode *first, const struct fe_ynode *again)
{
	struct fe_diag *dg = fe_diag_add(b->diags, FE_ERROR, FE_YAML_DUP_KEY, fe_ynode_loc(b->src, again),
					 "duplicate key '%s': YAML keeps only this one and silently drops the "
					 "earlier value", again->str);
	fe_diag_related(b->diags, dg, fe_ynode_loc(b->src, first), "'%s' first appears here", first->str);
	fe_diag_fixit(b->diags, dg, "merge the two '%s' entries into one", again->str);
}

/* Duplicate keys: quadratic for small maps, sort for big ones. */
static void fe_check_dup_keys(struct fe_ybuilder *b, struct fe_ynode *map)
{
	size_t n = map->n;
	if (n < 2)
		return;
	if (n <= 16) {
		for (size_t i = 1; i < n; i++) {
			const struct fe_ynode *ki = fe_ymap_key(map, i);
			for (size_t j = 0; j < i; j++) {
				const struct fe_ynode *kj = fe_ymap_key(map, j);
				if (ki->len == kj->len && memcmp(ki->str, kj->str, ki->len) == 0) {
					fe_report_dup(b, kj, ki);
					break;
				}
			}
		}
		return;
	}
	struct fe_ynode **keys = malloc(n * sizeof(*keys));
	if (!keys) {
		fe_oom();
	}
	for (size_t i = 0; i < n; i++)
		keys[i] = fe_ymap_key(map, i);
	qsort(keys, n, sizeof(*keys), fe_key_cmp);
	size_t run = 0;
	for (size_t i = 1; i < n; i++) {
		if (strcmp(keys[i]->str, keys[run]->str) == 0)
			fe_report_dup(b, keys[run], keys[i]);
		else
			run = i;
	}
	free(keys);
}

/* A node, with room for `extra` bytes right behind it (a scalar's text): one allocation. */
static struct fe_ynode *fe_new_node(struct fe_ybuilder *b, enum fe_ynode_kind kind, yaml_mark_t m, size_t extra)
{
	struct fe_ynode *n = fe_arena_alloc(b->arena, sizeof(*n) + extra);
	*n = (struct fe_ynode){.kind = kind, .line = (unsigned)m.line + 1, .col = (unsigned)m.column + 1};
	b->nodes++;
	return n;
}

/* A finished node goes to its parent's pending list, or becomes the document root. */
static void fe_attach(struct fe_ybuilder *b, struct fe_ynode *n, struct fe_ynode **root)
{
	if (b->depth == 0)
		*root = n;
	else
		fe_ystack_push(b, n);
}

static bool fe_tag_ok(struct fe_ybuilder *b, const yaml_event_t *ev, const unsigned char *tag,
		      enum fe_yscalar_type *forced)
{
	static const struct { const char *tag; enum fe_yscalar_type type; } known[] = {
		{"tag:yaml.org,2002:str", FE_YS_STR}, {"tag:yaml.org,2002:int", FE_YS_INT},
		{"tag:yaml.org,2002:bool", FE_YS_BOOL}, {"tag:yaml.org,2002:null", FE_YS_NULL},
		{"tag:yaml.org,2002:float", FE_YS_FLOAT}, {"tag:yaml.org,2002:map", FE_YS_STR},
		{"tag:yaml.org,2002:seq", FE_YS_STR}, {"!", FE_YS_STR},
	};
	if (!tag)
		return true;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (strcmp((const char *)tag, known[i].tag) == 0) {
			if (forced)
				*forced = known[i].type;
			return true;
		}
	}
	fe_diag_add(b->diags, FE_ERROR, FE_YAML_TAG, fe_mark_loc(b->src, ev->start_mark),
		    "explicit tag '%s' is not supported in policies", (const char *)tag);
	return false;
}

static void fe_report_parser_error(struct fe_ybuilder *b, yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "malformed YAML";
	if (p->error == YAML_READER_ERROR) {
		struct fe_diag *dg = fe_diag_add(b->diags, FE_ERROR, FE_FILE_BINARY,
						 fe_offset_loc(b->src, p->problem_offset),
						 "not a text file: %s", problem);
		fe_diag_fixit(b->diags, dg, "policies must be UTF-8 text");
		return;
	}
	if (p->error == YAML_MEMORY_ERROR) {
		fputs("karmorc: internal error: out of memory in libyaml\n", stderr);
		exit(3);
	}
	struct fe_diag *dg = fe_diag_add(b->diags, FE_ERROR, FE_YAML_SYNTAX,
					 fe_mark_loc(b->src, p->problem_mark), "%s%s%s", problem,
					 p->context ? " " : "", p->context ? p->context : "");
	if (p->context && (p->context_mark.line != p->problem_mark.line ||
			   p->context_mark.column != p->problem_mark.column))
		fe_diag_related(b->diags, dg, fe_mark_loc(b->src, p->context_mark), "%s", p->context);
}

bool fe_yaml_parse(struct fe_arena *a, struct fe_diags *d, const struct fe_source *src, struct fe_yfile *out)
{
	struct fe_ybuilder b;
	memset(&b, 0, sizeof(b));
	b.arena = a;
	b.diags = d;
	b.src = src;
	memset(out, 0, sizeof(*out));
	out->src = src;

	/* A NUL byte means binary data; libyaml would stop there with a vaguer message. */
	const char *nul = memchr(src->text, '\0', src->len);
	if (nul) {
		struct fe_diag *dg = fe_diag_add(d, FE_ERROR, FE_FILE_BINARY,
						 fe_offset_loc(src, (size_t)(nul - src->text)),
						 "not a text file: NUL byte at offset %zu", (size_t)(nul - src->text));
		fe_diag_fixit(d, dg, "policies must be UTF-8 text");
		return false;
	}

	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		fe_oom();	/* its only failure: its buffers could not be allocated */
	yaml_parser_set_input_string(&parser, (const unsigned char *)src->text, src->len);

	size_t doc_cap = 0;
	struct fe_ydoc *cur = NULL;
	bool ok = true, done = false, drop_current = false;
	while (!done) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			fe_report_parser_error(&b, &parser);
			ok = false;
			break;
		}
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (out->ndocs == doc_cap) {
				size_t cap = doc_cap ? doc_cap * 2 : 4;
				struct fe_ydoc *docs = fe_arena_alloc(a, cap * sizeof(*docs));
				if (out->ndocs)
					memcpy(docs, out->docs, out->ndocs * sizeof(*docs));
				out->docs = docs;
				doc_cap = cap;
			}
			cur = &out->docs[out->ndocs];
			memset(cur, 0, sizeof(*cur));
			cur->index = out->ndocs++;
			cur->line = (unsigned)ev.start_mark.line + 1;
			cur->col = (unsigned)ev.start_mark.column + 1;
			break;
		case YAML_DOCUMENT_END_EVENT:
			/* an empty document (e.g. after a trailing ---) holds one empty plain scalar */
			if (cur && cur->root && cur->root->kind == FE_YN_SCALAR && cur->root->plain &&
			    cur->root->len == 0)
				cur->root = NULL;
			break;
		case YAML_ALIAS_EVENT:
			fe_diag_add(d, FE_ERROR, FE_YAML_ALIAS, fe_mark_loc(src, ev.start_mark),
				    "alias '*%s': anchors and aliases are not accepted in policies",
				    (const char *)ev.data.alias.anchor);
			ok = false;
			done = true;
			break;
		case YAML_SCALAR_EVENT: {
			if (ev.data.scalar.anchor) {
				fe_diag_add(d, FE_ERROR, FE_YAML_ALIAS, fe_mark_loc(src, ev.start_mark),
					    "anchor '&%s': anchors and aliases are not accepted in policies",
					    (const char *)ev.data.scalar.anchor);
				ok = false;
				done = true;
				break;
			}
			enum fe_yscalar_type forced = FE_YS_STR;
			bool has_tag = ev.data.scalar.tag && !ev.data.scalar.plain_implicit &&
				       !ev.data.scalar.quoted_implicit;
			if (has_tag && !fe_tag_ok(&b, &ev, ev.data.scalar.tag, &forced)) {
				ok = false;
				done = true;
				break;
			}
			if (memchr(ev.data.scalar.value, '\0', ev.data.scalar.length)) {
				/* an escaped "\0": the C string would silently end there */
				fe_diag_add(d, FE_ERROR, FE_FILE_BINARY, fe_mark_loc(src, ev.start_mark),
					    "a NUL character inside a value is not accepted");
				ok = false;
				done = true;
				break;
			}
			if (ev.data.scalar.length > FE_YAML_MAX_SCALAR) {
				fe_diag_add(d, FE_ERROR, FE_YAML_SCALAR_SIZE, fe_mark_loc(src, ev.start_mark),
					    "scalar of %zu bytes exceeds the limit of %d", ev.data.scalar.length,
					    FE_YAML_MAX_SCALAR);
				ok = false;
				done = true;
				break;
			}
			if (has_tag && forced != FE_YS_STR) {
				/* `!!bool maybe` must not silently become false */
				const char *v = (const char *)ev.data.scalar.value;
				enum fe_yscalar_type natural = fe_resolve_plain(v);
				bool fits = natural == forced || (forced == FE_YS_FLOAT && natural == FE_YS_INT);
				if (!fits) {
					fe_diag_add(d, FE_ERROR, FE_YAML_TAG, fe_mark_loc(src, ev.start_mark),
						    "'%s' is not %s, as its tag says", v, fe_yscalar_type_name(forced));
					ok = false;
					done = true;
					break;
				}
			}
			struct fe_ynode *n = fe_new_node(&b, FE_YN_SCALAR, ev.start_mark, ev.data.scalar.length + 1);
			char *text = (char *)(n + 1);
			memcpy(text, ev.data.scalar.value, ev.data.scalar.length);
			text[ev.data.scalar.length] = '\0';
			n->str = text;
			n->len = ev.data.scalar.length;
			n->plain = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !has_tag;
			if (has_tag)
				n->type = forced;
			else if (n->plain)
				n->type = fe_resolve_plain_len(n->str, n->len);
			else
				n->type = FE_YS_STR;
			fe_attach(&b, n, cur ? &cur->root : &n);
			break;
		}
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT: {
			bool is_map = ev.type == YAML_MAPPING_START_EVENT;
			const unsigned char *anchor = is_map ? ev.data.mapping_start.anchor : ev.data.sequence_start.anchor;
			const unsigned char *tag = is_map ? ev.data.mapping_start.tag : ev.data.sequence_start.tag;
			int implicit = is_map ? ev.data.mapping_start.implicit : ev.data.sequence_start.implicit;
			if (anchor) {
				fe_diag_add(d, FE_ERROR, FE_YAML_ALIAS, fe_mark_loc(src, ev.start_mark),
					    "anchor '&%s': anchors and aliases are not accepted in policies",
					    (const char *)anchor);
				ok = false;
				done = true;
				break;
			}
			if (!implicit && tag && !fe_tag_ok(&b, &ev, tag, NULL)) {
				ok = false;
				done = true;
				break;
			}
			if (b.depth >= FE_YAML_MAX_DEPTH) {
				fe_diag_add(d, FE_ERROR, FE_YAML_DEPTH, fe_mark_loc(src, ev.start_mark),
					    "collections nested more than %d deep", FE_YAML_MAX_DEPTH);
				ok = false;
				done = true;
				break;
			}
			struct fe_ynode *n = fe_new_node(&b, is_map ? FE_YN_MAP : FE_YN_SEQ, ev.start_mark, 0);
			b.frames[b.depth].node = n;
			b.frames[b.depth].first = b.sp;
			b.depth++;
			break;
		}
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: {
			assert(b.depth > 0);
			struct fe_yframe *f = &b.frames[--b.depth];
			struct fe_ynode *n = f->node;
			size_t count = b.sp - f->first;
			n->items = fe_arena_alloc(a, (count ? count : 1) * sizeof(*n->items));
			if (count)	/* b.stack is NULL until a first node is pushed */
				memcpy(n->items, b.stack + f->first, count * sizeof(*n->items));
			b.sp = f->first;
			if (n->kind == FE_YN_MAP) {
				assert(count % 2 == 0);
				n->n = count / 2;
				bool keys_ok = true;
				for (size_t i = 0; i < n->n && keys_ok; i++) {
					struct fe_ynode *k = fe_ymap_key(n, i);
					if (k->kind != FE_YN_SCALAR) {
						fe_diag_add(d, FE_ERROR, FE_YAML_KEY_TYPE, fe_ynode_loc(src, k),
							    "mapping key is %s; policy keys are plain strings",
							    fe_ynode_kind_name(k));
						keys_ok = false;
					}
				}
				if (!keys_ok) {
					/* every later stage assumes string keys: the document is dropped */
					ok = false;
					done = true;
					drop_current = true;
					break;
				}
				fe_check_dup_keys(&b, n);
			} else {
				n->n = count;
			}
			fe_attach(&b, n, cur ? &cur->root : &n);
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
		if (!done && b.nodes > FE_YAML_MAX_NODES) {
			fe_diag_add(d, FE_ERROR, FE_YAML_NODES, fe_mark_loc(src, parser.mark),
				    "more than %d YAML nodes in one file", FE_YAML_MAX_NODES);
			ok = false;
			done = true;
		}
	}
	/* A document cut short by an error keeps no half-built tree. */
	if (!ok && cur && (b.depth > 0 || drop_current))
		cur->root = NULL;
	yaml_parser_delete(&parser);
	free(b.stack);
	return ok;
}
