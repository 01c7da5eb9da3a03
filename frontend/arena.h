/* fe_arena: one bump allocator per compilation; everything is freed at once. */
#ifndef FE_ARENA_H
#define FE_ARENA_H
#include <stddef.h>

struct fe_arena_chunk {
	struct fe_arena_chunk *next;
	size_t size, used;
	_Alignas(16) unsigned char data[];
};

struct fe_arena {
	struct fe_arena_chunk *head;
	size_t used_total;	/* bytes handed out, for limits and statistics */
};

/* An allocation failed: "karmorc: internal error: out of memory", then exit 3 (the exit
 * handlers remove whatever output the run staged).  Every allocation failure ends here. */
_Noreturn void fe_oom(void);
void fe_arena_init(struct fe_arena *a);
void fe_arena_free(struct fe_arena *a);
/* Forgets every allocation but keeps one chunk for reuse (a per-file scratch arena). */
void fe_arena_reset(struct fe_arena *a);
/* Never returns NULL: an allocation failure aborts (exit 3), since no caller can recover. */
void *fe_arena_alloc_slow(struct fe_arena *a, size_t n);
/* The common case, a bump in the current chunk, is inline: the YAML builder allocates
 * once per node. */
static inline void *fe_arena_alloc(struct fe_arena *a, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct fe_arena_chunk *c = a->head;
	if (n && c && c->size - c->used >= n) {
		void *p = c->data + c->used;
		c->used += n;
		a->used_total += n;
		return p;
	}
	return fe_arena_alloc_slow(a, n);
}
void *fe_arena_zalloc(struct fe_arena *a, size_t n);
char *fe_arena_strndup(struct fe_arena *a, const char *s, size_t n);
char *fe_arena_strdup(struct fe_arena *a, const char *s);
char *fe_arena_printf(struct fe_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A growable array of pointers living in the heap (not the arena), for builders. */
struct fe_vec {
	void **items;
	size_t len, cap;
};
void fe_vec_push(struct fe_vec *v, void *item);
void fe_vec_free(struct fe_vec *v);

#endif
