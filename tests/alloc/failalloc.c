/* tests/alloc/failalloc.c -- LD_PRELOAD'ed into karmorc by tests/alloc/run.sh: the N-th
 * allocation of the process (malloc, calloc, realloc; libyaml's, PCRE2's and libc's
 * included) fails with ENOMEM, as SQLite's tests fail the N-th malloc.
 *   FAILALLOC_AT=N      fail the N-th allocation (counted from this library's start)
 *   FAILALLOC_COUNT=F   write the number of allocations made to F at exit
 * Under ASan it must come before the ASan runtime (ASAN_OPTIONS=verify_asan_link_order=0):
 * the real allocator is then ASan's, found with dlsym(RTLD_NEXT).  Built with -D_GNU_SOURCE
 * (RTLD_NEXT). */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);

static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static unsigned long fa_count, fa_at;
static int fa_resolving;
/* dlsym may allocate while the real functions are being found: from here (never freed) */
static _Alignas(16) char fa_early[8192];
static size_t fa_early_used;

static void *fa_early_alloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n > sizeof(fa_early) - fa_early_used)
		return NULL;
	void *p = fa_early + fa_early_used;
	fa_early_used += n;
	return p;	/* static storage: already zero */
}

static int fa_is_early(const void *p)
{
	return (const char *)p >= fa_early && (const char *)p < fa_early + sizeof(fa_early);
}

static void fa_resolve(void)
{
	if (real_free)
		return;
	fa_resolving = 1;
	real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
	fa_resolving = 0;
}

static void fa_report(void)
{
	const char *path = getenv("FAILALLOC_COUNT");
	FILE *f = path ? fopen(path, "w") : NULL;
	if (f) {
		fprintf(f, "%lu\n", fa_count);
		fclose(f);
	}
}

__attribute__((constructor)) static void fa_start(void)
{
	fa_resolve();
	const char *at = getenv("FAILALLOC_AT");
	fa_at = at ? strtoul(at, NULL, 10) : 0;
	if (getenv("FAILALLOC_COUNT"))
		atexit(fa_report);
	fa_count = 0;
}

/* 1: this allocation fails (FAILALLOC_TRACE=1: where, on stderr; addr2line -e EXE +OFFSET) */
static int fa_fails(void)
{
	if (++fa_count != fa_at)
		return 0;
	if (getenv("FAILALLOC_TRACE")) {
		void *pc[32];
		int n = backtrace(pc, 32);
		backtrace_symbols_fd(pc, n, 2);
	}
	return 1;
}

void *malloc(size_t n)
{
	if (fa_resolving)
		return fa_early_alloc(n);
	fa_resolve();
	if (fa_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	if (fa_resolving)
		return size && n > ((size_t)-1) / size ? NULL : fa_early_alloc(n * size);
	fa_resolve();
	if (fa_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	fa_resolve();
	if (fa_is_early(p)) {
		void *q = malloc(n);
		size_t left = (size_t)(fa_early + sizeof(fa_early) - (char *)p);
		if (q)
			memcpy(q, p, n < left ? n : left);	/* never past the early block's end */
		return q;
	}
	if (fa_fails()) {
		errno = ENOMEM;
		return NULL;
	}
	return real_realloc(p, n);
}

void free(void *p)
{
	if (!p || fa_is_early(p))
		return;
	fa_resolve();
	real_free(p);
}
