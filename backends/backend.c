#include "backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void be_oom(void)
{
	fputs("karmorc: internal error: out of memory\n", stderr);
	exit(3);
}

static void be_reserve(struct be_buf *b, size_t more)
{
	if (b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 1024;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s)
		be_oom();
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
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	be_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
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
	ctx->files = NULL;
	ctx->gaps = NULL;
	ctx->nfiles = ctx->ngaps = 0;
}

struct be_file *be_new_file(struct be_ctx *ctx, const char *path)
{
	if (ctx->nfiles == ctx->files_cap) {
		ctx->files_cap = ctx->files_cap ? ctx->files_cap * 2 : 16;
		struct be_file *f = realloc(ctx->files, ctx->files_cap * sizeof(*f));
		if (!f)
			be_oom();
		ctx->files = f;
	}
	struct be_file *f = &ctx->files[ctx->nfiles++];
	memset(f, 0, sizeof(*f));
	f->path = fe_arena_strdup(ctx->arena, path);
	return f;
}

static void be_gap_v(struct be_ctx *ctx, const struct ir_target *t, long rule, struct fe_loc loc,
		     enum ir_posture_class pc, enum fe_diag_code code, const char *fmt, va_list ap)
	__attribute__((format(printf, 7, 0)));
static void be_gap_v(struct be_ctx *ctx, const struct ir_target *t, long rule, struct fe_loc loc,
		     enum ir_posture_class pc, enum fe_diag_code code, const char *fmt, va_list ap)
{
	char msg[768];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* a rule seen again in a child profile is the same finding */
	for (size_t i = 0; i < ctx->ngaps; i++) {
		const struct be_gap *o = &ctx->gaps[i];
		if (o->target == ctx->target_index && o->rule == rule && o->code == code && o->pclass == pc &&
		    rule >= 0)
			return;
	}
	const char *policy = "";
	if (rule >= 0) {
		const struct ir_rule *r = &ctx->prog->rules[rule];
		loc = r->loc;
		policy = ir_s(&ctx->prog->strs, ctx->prog->policies[r->policy].name);
	}
	fe_diag_add(ctx->diags, FE_WARNING, code, loc, "%s: %s%s%s (target %s); cases that depend on it are "
		    "not enforced as the verdict model says", ctx->backend, msg, *policy ? " in policy " : "",
		    policy, t->name);
	if (ctx->ngaps == ctx->gaps_cap) {
		ctx->gaps_cap = ctx->gaps_cap ? ctx->gaps_cap * 2 : 16;
		struct be_gap *g = realloc(ctx->gaps, ctx->gaps_cap * sizeof(*g));
		if (!g)
			be_oom();
		ctx->gaps = g;
	}
	struct be_gap *g = &ctx->gaps[ctx->ngaps++];
	g->target = ctx->target_index;
	g->rule = rule;
	g->pclass = pc;
	g->code = code;
	g->only = NULL;
	g->matching_only = false;
	g->reads_of_target = false;
	g->all_classes = false;
}

void be_gap(struct be_ctx *ctx, const struct ir_target *t, long rule, enum ir_posture_class pc,
	    enum fe_diag_code code, const char *fmt, ...)
{
	struct fe_loc none = {NULL, 0, 0};
	va_list ap;
	va_start(ap, fmt);
	be_gap_v(ctx, t, rule, none, pc, code, fmt, ap);
	va_end(ap);
}

void be_gap_at(struct be_ctx *ctx, const struct ir_target *t, struct fe_loc at, enum ir_posture_class pc,
	       enum fe_diag_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	be_gap_v(ctx, t, -1, at, pc, code, fmt, ap);
	va_end(ap);
}

const struct be_backend *be_find(const char *name)
{
	if (strcmp(name, be_apparmor.name) == 0)
		return &be_apparmor;
	if (strcmp(name, be_bpf.name) == 0)
		return &be_bpf;
	return NULL;
}
