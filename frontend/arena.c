#include "arena.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FE_ARENA_CHUNK (64 * 1024)

_Noreturn void fe_oom(void)
{
	fputs("karmorc: internal error: out of memory\n", stderr);
	exit(3);
}

void fe_arena_init(struct fe_arena *a)
{
	a->head = NULL;
	a->used_total = 0;
}

void fe_arena_free(struct fe_arena *a)
{
	struct fe_arena_chunk *c = a->head;
	while (c) {
		struct fe_arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->used_total = 0;
}

void fe_arena_reset(struct fe_arena *a)
{
	struct fe_arena_chunk *keep = NULL, *c = a->head;
	while (c) {
		struct fe_arena_chunk *next = c->next;
		if (!keep && c->size == FE_ARENA_CHUNK)
			keep = c;
		else
			free(c);
		c = next;
	}
	if (keep) {
		keep->next = NULL;
		keep->used = 0;
	}
	a->head = keep;
	a->used_total = 0;
}

void *fe_arena_alloc_slow(struct fe_arena *a, size_t n)
{
	struct fe_arena_chunk *c = a->head;
	n = (n + 15) & ~(size_t)15;
	if (n == 0)
		n = 16;
	if (!c || c->size - c->used < n) {
		size_t size = n > FE_ARENA_CHUNK / 4 ? n : FE_ARENA_CHUNK;
		c = malloc(sizeof(*c) + size);
		if (!c)
			fe_oom();
		c->size = size;
		c->used = 0;
		/* A big one-off block goes behind the current chunk so that chunk keeps filling. */
		if (size != FE_ARENA_CHUNK && a->head) {
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = c->data + c->used;
	c->used += n;
	a->used_total += n;
	return p;
}

void *fe_arena_zalloc(struct fe_arena *a, size_t n)
{
	void *p = fe_arena_alloc(a, n);
	memset(p, 0, n);
	return p;
}

char *fe_arena_strndup(struct fe_arena *a, const char *s, size_t n)
{
	char *p = fe_arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *fe_arena_strdup(struct fe_arena *a, const char *s)
{
	return fe_arena_strndup(a, s, strlen(s));
}

char *fe_arena_printf(struct fe_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	char *p = fe_arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void fe_vec_push(struct fe_vec *v, void *item)
{
	if (v->len == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 16;
		void **items = realloc(v->items, cap * sizeof(*items));
		if (!items)
			fe_oom();
		v->items = items;
		v->cap = cap;
	}
	v->items[v->len++] = item;
}

void fe_vec_free(struct fe_vec *v)
{
	free(v->items);
	v->items = NULL;
	v->len = v->cap = 0;
}
