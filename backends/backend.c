#include "backend.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void be_reserve(struct be_buf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s)
		fe_oom();
	b->s = s;
	b->cap = cap;
}

void be_puts(struct be_buf *b, const char *s)
{
	size_t n = strlen(s);
	be_reserve(b, n);
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

void be_write(struct be_buf *b, const void *data, size_t n)
{
	be_reserve(b, n);
	if (n)
		memcpy(b->s + b->len, data, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void be_printf(struct be_buf *b, const char *fmt, ...)
{
	/* into the room the buffer has; formatted again only when that was too small */
	be_reserve(b, 64);
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->s[b->len] = '\0';
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		be_reserve(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void be_put_field(struct be_buf *b, const char *s)
{
	/* runs without a TAB, newline or CR at once; each of those as a space */
	while (*s) {
		size_t n = strcspn(s, "\t\n\r");
		be_write(b, s, n);
		s += n;
		if (*s) {
			be_write(b, " ", 1);
			s++;
		}
	}
}

void be_table_row(struct be_buf *out, const struct ir_program *p, long ri, const char *action,
		  enum ir_posture_class pc, const char *name, const char *target, const char *ops)
{
	const struct ir_strtab *strs = &p->strs;
	if (ri < 0) {
		be_printf(out, "\t%s\tDefaultPosture\t0\t\t\t-:0:0\t%s\t", action, ir_posture_class_name(pc));
		be_put_field(out, name);
	} else {
		const struct ir_rule *r = &p->rules[ri];
		be_printf(out, "\t%s\t", action);
		be_put_field(out, ir_s(strs, p->policies[r->policy].name));
		be_printf(out, "\t%d\t", r->severity);
		for (uint32_t k = 0; k < r->tags.n; k++) {
			if (k)
				be_puts(out, ",");
			be_put_field(out, ir_s(strs, r->tags.items[k]));
		}
		be_puts(out, "\t");
		be_put_field(out, ir_s(strs, r->message));
		be_puts(out, "\t");
		be_put_field(out, r->loc.src && r->loc.src->name ? r->loc.src->name : "-");
		be_printf(out, ":%u:%u\t%s\t", r->loc.line, r->loc.col, ir_class_name(r->cls));
		be_put_field(out, ir_s(strs, r->target));
	}
	be_puts(out, "\t");
	be_put_field(out, target);
	be_printf(out, "\t%s", ops);
}

void be_buf_free(struct be_buf *b)
{
	free(b->s);
	memset(b, 0, sizeof(*b));
}

void be_ctx_init(struct be_ctx *ctx, const struct ir_program *p, struct fe_diags *d, struct fe_arena *a,
		 const char *backend)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->prog = p;
	ctx->diags = d;
	ctx->arena = a;
	ctx->backend = backend;
}

void be_ctx_free(struct be_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nfiles; i++)
		be_buf_free(&ctx->files[i].text);
	free(ctx->files);
	free(ctx->gaps);
	free(ctx->usage);
	fe_hindex_free(&ctx->gap_index);
	free(ctx->warnings);
	fe_hindex_free(&ctx->warning_index);
	fe_hindex_free(&ctx->ident_index);
	ctx->warnings = NULL;
	ctx->nwarnings = 0;
	ctx->files = NULL;
	ctx->gaps = NULL;
	ctx->usage = NULL;
	ctx->nfiles = ctx->ngaps = ctx->nusage = 0;
}

struct be_file *be_new_file(struct be_ctx *ctx, const char *path)
{
	if (ctx->nfiles == ctx->files_cap) {
		ctx->files_cap = ctx->files_cap ? ctx->files_cap * 2 : 16;
		struct be_file *f = realloc(ctx->files, ctx->files_cap * sizeof(*f));
		if (!f)
			fe_oom();
		ctx->files = f;
	}
	struct be_file *f = &ctx->files[ctx->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = fe_arena_strdup(ctx->arena, path);
	return f;
}

void be_usage_add(struct be_ctx *ctx, const struct be_usage *u)
{
	if (ctx->nusage == ctx->usage_cap) {
		ctx->usage_cap = ctx->usage_cap ? ctx->usage_cap * 2 : 16;
		struct be_usage *nu = realloc(ctx->usage, ctx->usage_cap * sizeof(*nu));
		if (!nu)
			fe_oom();
		ctx->usage = nu;
	}
	ctx->usage[ctx->nusage++] = *u;
}

const char *be_num(struct fe_arena *a, uint64_t n)
{
	char digits[32], out[48];
	snprintf(digits, sizeof(digits), "%llu", (unsigned long long)n);
	size_t len = strlen(digits), j = 0;
	for (size_t i = 0; i < len; i++) {
		if (i && (len - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = digits[i];
	}
	out[j] = '\0';
	return fe_arena_strdup(a, out);
}

/* The dedup key of a rule's gap: equal keys are one finding. */
struct be_gap_key {
	uint32_t target;
	int32_t code, pclass;
	long rule;
};

static struct be_gap_key be_gap_key_of(const struct be_gap *g)
{
	struct be_gap_key k;
	memset(&k, 0, sizeof(k));	/* padding too: the key is hashed as bytes */
	k.target = g->target;
	k.code = (int32_t)g->code;
	k.pclass = (int32_t)g->pclass;
	k.rule = g->rule;
	return k;
}

/* Where a gap of a whole class is shown when the backend names no place: the target's
 * first rule of that class, else its first policy (a finding is always located). */
static struct fe_loc be_gap_where(const struct be_ctx *ctx, const struct ir_target *t, enum ir_posture_class pc)
{
	const struct ir_program *p = ctx->prog;
	for (uint32_t i = 0; i < t->nrules; i++) {
		const struct ir_rule *r = &p->rules[t->rules[i]];
		if (pc == IR_PC_COUNT ? r->cls == IR_SYSCALL : r->cls != IR_SYSCALL && ir_posture_class_of(r->cls) == pc)
			return r->loc;
	}
	if (t->npolicies)
		return p->policies[t->policies[0]].loc;
	return (struct fe_loc){NULL, 0, 0};
}

static const char *const be_gap_consequence =
	"cases that depend on it are not enforced as the verdict model says";

/* A target seen again for warning w: counted once, not once a rule of it. */
static void be_gap_count(struct be_gap_warning *w, const struct ir_target *t)
{
	if (w->last_target != t->name) {	/* another target, not another rule of this one */
		w->ntargets++;
		w->last_target = t->name;
	}
}

/* The key of a warning by what its message is made of (be_gap_at_same) */
struct be_gap_ident {
	int32_t code;
	uint32_t line, col;
	const void *src, *key1, *key2;
};

static uint32_t be_gap_ident_hash(enum fe_diag_code code, struct fe_loc loc, const void *key1, const void *key2,
				  struct be_gap_ident *k)
{
	memset(k, 0, sizeof(*k));	/* padding too: the key is hashed as bytes */
	k->code = (int32_t)code;
	k->line = loc.line;
	k->col = loc.col;
	k->src = loc.src;
	k->key1 = key1;
	k->key2 = key2;
	return fe_hash(k, sizeof(*k));
}

/* The warning whose message (key1, key2) made at (code, loc), if one was: then its body need
 * not be formatted again. */
static struct be_gap_warning *be_gap_known(struct be_ctx *ctx, enum fe_diag_code code, struct fe_loc loc,
					   const void *key1, const void *key2)
{
	struct be_gap_ident k;
	uint32_t h = be_gap_ident_hash(code, loc, key1, key2, &k), id;
	for (uint32_t c = fe_hindex_first(&ctx->ident_index, h); fe_hindex_next(&ctx->ident_index, h, &c, &id);) {
		struct be_gap_warning *w = &ctx->warnings[id];
		struct be_gap_ident o;
		be_gap_ident_hash(w->code, w->loc, w->key1, w->key2, &o);
		if (memcmp(&o, &k, sizeof(k)) == 0)
			return w;
	}
	return NULL;
}

/* The warning of a gap: made the first time (code, place, body) is seen on any target;
 * seen again on another target, it only counts that target.  With keys (be_gap_at_same),
 * the warning is also found by (code, place, key1, key2) from then on. */
static void be_gap_warn(struct be_ctx *ctx, const struct ir_target *t, enum fe_diag_code code, struct fe_loc loc,
			const char *body, const void *key1, const void *key2)
{
	uint32_t h = fe_hash_text(body, strlen(body));
	h = fe_hash_more(h, &code, sizeof(code));
	h = fe_hash_more(h, &loc.src, sizeof(loc.src));
	h = fe_hash_more(h, &loc.line, sizeof(loc.line));
	h = fe_hash_more(h, &loc.col, sizeof(loc.col));
	uint32_t id;
	struct be_gap_warning *w = NULL;
	for (uint32_t c = fe_hindex_first(&ctx->warning_index, h); fe_hindex_next(&ctx->warning_index, h, &c, &id);) {
		struct be_gap_warning *o = &ctx->warnings[id];
		if (o->hash == h && o->code == code && o->loc.src == loc.src && o->loc.line == loc.line &&
		    o->loc.col == loc.col && strcmp(o->body, body) == 0) {
			be_gap_count(o, t);
			w = o;
			break;
		}
	}
	if (!w) {
		size_t before = ctx->diags->len;
		fe_diag_add(ctx->diags, FE_WARNING, code, loc, "%s (target %s); %s", body, t->name, be_gap_consequence);
		if (ctx->diags->len == before)
			return;	/* past the diagnostics' limit: nothing to count */
		if (ctx->nwarnings == ctx->warnings_cap) {
			ctx->warnings_cap = ctx->warnings_cap ? ctx->warnings_cap * 2 : 64;
			struct be_gap_warning *nw = realloc(ctx->warnings, ctx->warnings_cap * sizeof(*nw));
			if (!nw)
				fe_oom();
			ctx->warnings = nw;
		}
		w = &ctx->warnings[ctx->nwarnings];
		*w = (struct be_gap_warning){
			before, h, 1, code, loc, fe_arena_strdup(ctx->arena, body), t->name, t->name, NULL, NULL,
		};
		fe_hindex_add(&ctx->warning_index, h, (uint32_t)ctx->nwarnings++);
	}
	if (key1 && !w->key1) {
		struct be_gap_ident k;
		w->key1 = key1;
		w->key2 = key2;
		fe_hindex_add(&ctx->ident_index, be_gap_ident_hash(code, loc, key1, key2, &k), (uint32_t)(w - ctx->warnings));
	}
}

void be_gaps_finish(struct be_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nwarnings; i++) {
		const struct be_gap_warning *w = &ctx->warnings[i];
		struct fe_diag *dg = &ctx->diags->items[w->diag];
		dg->ntargets = w->ntargets;
		if (w->ntargets > 1)
			dg->message = fe_arena_printf(ctx->arena, "%s (target %s and %u other target%s); %s", w->body,
						      w->first_target, w->ntargets - 1, w->ntargets == 2 ? "" : "s",
						      be_gap_consequence);
	}
	free(ctx->warnings);
	fe_hindex_free(&ctx->warning_index);
	fe_hindex_free(&ctx->ident_index);
	ctx->warnings = NULL;
	ctx->nwarnings = ctx->warnings_cap = 0;
}

/* The gap record of the target being emitted (what cases depend on), hashed for be_gap's dedup */
static struct be_gap be_gap_of(const struct be_ctx *ctx, long rule, enum ir_posture_class pc, enum fe_diag_code code,
			       const struct be_gap_scope *scope)
{
	struct be_gap g;
	memset(&g, 0, sizeof(g));
	g.target = ctx->target_index;
	g.rule = rule;
	g.pclass = pc;
	g.code = code;
	if (scope)
		g.scope = *scope;
	return g;
}

/* On the first gap of another target: the dedup index restarts (its key holds the target, so
 * it need only hold this target's gaps: small enough to stay in cache, where one over every
 * target's did not), and unless cases will read them the earlier targets' gaps are only
 * counted (100 MB at 10,000 policies). */
static void be_gap_next_target(struct be_ctx *ctx)
{
	if (ctx->gap_index_target == ctx->target_index + 1)
		return;
	fe_hindex_free(&ctx->gap_index);
	ctx->gap_index_target = ctx->target_index + 1;
	if (!ctx->keep_gaps) {
		ctx->ngaps_dropped += ctx->ngaps;
		ctx->ngaps = 0;
	}
}

static void be_gap_record(struct be_ctx *ctx, const struct be_gap *g, uint32_t h)
{
	if (ctx->ngaps == ctx->gaps_cap) {
		ctx->gaps_cap = ctx->gaps_cap ? ctx->gaps_cap * 2 : 16;
		struct be_gap *ng = realloc(ctx->gaps, ctx->gaps_cap * sizeof(*ng));
		if (!ng)
			fe_oom();
		ctx->gaps = ng;
	}
	if (g->rule >= 0)
		fe_hindex_add(&ctx->gap_index, h, (uint32_t)ctx->ngaps);
	ctx->gaps[ctx->ngaps++] = *g;
}

static void be_gap_v(struct be_ctx *ctx, const struct ir_target *t, long rule, struct fe_loc loc,
		     enum ir_posture_class pc, enum fe_diag_code code, const struct be_gap_scope *scope,
		     const void *key1, const void *key2, const char *fmt, va_list ap) __attribute__((format(printf, 10, 0)));
static void be_gap_v(struct be_ctx *ctx, const struct ir_target *t, long rule, struct fe_loc loc,
		     enum ir_posture_class pc, enum fe_diag_code code, const struct be_gap_scope *scope,
		     const void *key1, const void *key2, const char *fmt, va_list ap)
{
	struct be_gap g = be_gap_of(ctx, rule, pc, code, scope);
	/* a rule seen again in a child profile is the same finding: found in O(1) through a
	 * hash of (target, rule, code, class) -- a scan was 22% of compiling 10,000 policies */
	struct be_gap_key key = be_gap_key_of(&g);
	uint32_t h = fe_hash(&key, sizeof(key)), id;
	be_gap_next_target(ctx);
	if (rule >= 0) {
		for (uint32_t c = fe_hindex_first(&ctx->gap_index, h); fe_hindex_next(&ctx->gap_index, h, &c, &id);) {
			struct be_gap_key o = be_gap_key_of(&ctx->gaps[id]);
			if (memcmp(&o, &key, sizeof(key)) == 0)
				return;
		}
	}
	if (rule < 0 && !loc.src)
		loc = be_gap_where(ctx, t, pc);
	const char *policy = "";
	if (rule >= 0) {
		const struct ir_rule *r = &ctx->prog->rules[rule];
		loc = r->loc;
		policy = ir_s(&ctx->prog->strs, ctx->prog->policies[r->policy].name);
	}
	struct be_gap_warning *known = key1 ? be_gap_known(ctx, code, loc, key1, key2) : NULL;
	if (known) {
		be_gap_count(known, t);
	} else {
		/* "BACKEND: MESSAGE in policy P", formatted in place (the message up to 767 bytes) */
		char body[1024];
		int n = snprintf(body, sizeof(body), "%s: ", ctx->backend);
		if (n < 0 || (size_t)n >= sizeof(body))
			n = 0;
		size_t room = sizeof(body) - (size_t)n < 768 ? sizeof(body) - (size_t)n : 768;
		vsnprintf(body + n, room, fmt, ap);
		if (*policy) {
			size_t len = strlen(body);
			snprintf(body + len, sizeof(body) - len, " in policy %s", policy);
		}
		be_gap_warn(ctx, t, code, loc, body, key1, key2);
	}
	be_gap_record(ctx, &g, h);
}

void be_gap(struct be_ctx *ctx, const struct ir_target *t, long rule, enum ir_posture_class pc,
	    enum fe_diag_code code, const struct be_gap_scope *scope, const char *fmt, ...)
{
	struct fe_loc none = {NULL, 0, 0};
	va_list ap;
	va_start(ap, fmt);
	be_gap_v(ctx, t, rule, none, pc, code, scope, NULL, NULL, fmt, ap);
	va_end(ap);
}

void be_gap_rule(struct be_ctx *ctx, const struct ir_target *t, long rule, enum ir_posture_class pc,
		 enum fe_diag_code code, const struct be_gap_scope *scope, const char *fmt, ...)
{
	assert(rule >= 0);
	struct fe_loc none = {NULL, 0, 0};
	va_list ap;
	va_start(ap, fmt);
	be_gap_v(ctx, t, rule, none, pc, code, scope, fmt, &ctx->prog->rules[rule], fmt, ap);
	va_end(ap);
}

void be_gap_at(struct be_ctx *ctx, const struct ir_target *t, struct fe_loc at, enum ir_posture_class pc,
	       enum fe_diag_code code, const struct be_gap_scope *scope, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	be_gap_v(ctx, t, -1, at, pc, code, scope, NULL, NULL, fmt, ap);
	va_end(ap);
}

void be_gap_at_same(struct be_ctx *ctx, const struct ir_target *t, struct fe_loc at, enum ir_posture_class pc,
		    enum fe_diag_code code, const struct be_gap_scope *scope, const void *key1, const void *key2,
		    const char *fmt, ...)
{
	assert(key1 && at.src);
	va_list ap;
	va_start(ap, fmt);
	be_gap_v(ctx, t, -1, at, pc, code, scope, key1, key2, fmt, ap);
	va_end(ap);
}

bool be_gap_repeat(struct be_ctx *ctx, const struct ir_target *t, struct fe_loc at, enum ir_posture_class pc,
		   enum fe_diag_code code, const struct be_gap_scope *scope, const void *key1, const void *key2)
{
	assert(key1 && at.src);
	struct be_gap_warning *known = be_gap_known(ctx, code, at, key1, key2);
	if (!known)
		return false;
	be_gap_count(known, t);
	be_gap_next_target(ctx);
	struct be_gap g = be_gap_of(ctx, -1, pc, code, scope);
	be_gap_record(ctx, &g, 0);
	return true;
}

/* ---- rule tables ---- */

void be_table_field(struct be_buf *out, const char *s)
{
	be_puts(out, "\t");
	be_put_field(out, s && *s ? s : "-");
}

void be_table_target(struct be_buf *out, struct fe_arena *a, const struct ir_target *t)
{
	const struct ir_identity *id = t->identity;
	be_puts(out, "@target");
	be_table_field(out, t->name);
	be_table_field(out, t->host ? "host" : "container");
	be_table_field(out, id ? id->namespace : NULL);
	be_table_field(out, id ? id->kind : NULL);
	be_table_field(out, id ? id->workload : NULL);
	be_table_field(out, id ? id->pod : NULL);
	be_table_field(out, id ? id->container : NULL);
	be_table_field(out, id ? id->image : NULL);
	struct be_buf labels = {0};
	uint32_t n = 0;
	const struct ir_kv *kv = id ? be_identity_labels(a, id, &n) : NULL;
	for (uint32_t k = 0; k < n; k++)
		be_printf(&labels, "%s%s=%s", k ? "," : "", kv[k].key, kv[k].value);
	be_table_field(out, labels.len ? labels.s : NULL);
	be_buf_free(&labels);
	be_puts(out, "\n");
}

/* ---- the table ---- */

/* Every backend, in the order --target=all writes them. */
const struct be_backend *const be_backends[] = {&be_apparmor, &be_bpf, &be_selinux, &be_landlock, NULL};

const struct be_backend *be_find(const char *name)
{
	for (const struct be_backend *const *b = be_backends; *b; b++)
		if (strcmp(name, (*b)->name) == 0)
			return *b;
	return NULL;
}

const struct be_capability *be_capability_of(const struct be_backend *b, enum ir_class cls, enum ir_match m)
{
	for (size_t i = 0; i < b->ncaps; i++)
		if (b->caps[i].cls == cls && b->caps[i].match == m)
			return &b->caps[i];
	return NULL;
}

/* ---- output folders ---- */

bool be_mkdirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return false;
	}
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == '\0') {
			char saved = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, 0755) != 0 && errno != EEXIST)
				return false;
			buf[i] = saved;
		}
	}
	return true;
}

void be_remove_stale(const char *dir, const char *sub, const struct be_ctx *ctx, const char *prefix)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		bool ours = false;
		for (size_t i = 0; i < ctx->nfiles && !ours; i++) {
			const char *base = strrchr(ctx->files[i].path, '/');
			ours = strncmp(ctx->files[i].path, prefix, strlen(prefix)) == 0 && base &&
			       strcmp(base + 1, e->d_name) == 0;
		}
		if (!ours && unlinkat(dirfd(d), e->d_name, 0) != 0 && errno != EISDIR)
			fprintf(stderr, "karmorc: %s/%s: %s\n", path, e->d_name, strerror(errno));
	}
	closedir(d);
}

static int be_kv_cmp(const void *pa, const void *pb)
{
	const struct ir_kv *a = pa, *b = pb;
	int c = strcmp(a->key, b->key);
	return c ? c : strcmp(a->value, b->value);
}

const struct ir_kv *be_identity_labels(struct fe_arena *a, const struct ir_identity *id, uint32_t *n)
{
	/* the inventory sorts by key already; the value breaks ties so no input order shows */
	struct ir_kv *kv = fe_arena_alloc(a, (id->nlabels + 1) * sizeof(*kv));
	if (id->nlabels)
		memcpy(kv, id->labels, id->nlabels * sizeof(*kv));
	if (id->nlabels > 1)
		qsort(kv, id->nlabels, sizeof(*kv), be_kv_cmp);
	uint32_t k = 0;
	for (uint32_t i = 0; i < id->nlabels; i++)
		if (!k || be_kv_cmp(&kv[k - 1], &kv[i]) != 0)
			kv[k++] = kv[i];
	*n = k;
	return kv;
}
