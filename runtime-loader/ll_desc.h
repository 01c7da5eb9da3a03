/*
 * Reading a Landlock ruleset description (backends/landlock.h): no I/O and nothing of the
 * kernel here, so the fuzz harness (tests/fuzz/fuzz_landlock.c) runs it on bytes in memory;
 * `run` (landlock.c) reads the file and builds the ruleset.
 */
#ifndef KL_LL_DESC_H
#define KL_LL_DESC_H
#include <stddef.h>
#include <sys/types.h>

#include "../backends/landlock.h"

struct kl_ll_entry {
	char *path;		/* normalised: no trailing '/' except "/" itself */
	enum kll_kind kind;
	int deny;
	unsigned ops;
	int names_dir;		/* a file entry naming a directory of the host */
	int slash;		/* written with a trailing '/': it names a directory */
	int inert;		/* a file entry naming what the host has not: a path without '/'
				 * names no directory, one with '/' nothing else (DESIGN §4.1) */
	dev_t dev;		/* deny file entries: the file it names (ino 0: none) */
	ino_t ino;
};

struct kl_ll_desc {
	char target[256];
	unsigned handle, base;
	int net_tcp;
	struct kl_ll_entry *e;
	size_t n;
};

/* text (len bytes, from `where`, for messages) into d; 0, or -1 with "WHERE:LINE: reason"
 * in err (d then holds nothing) */
int kl_ll_desc_parse(const char *text, size_t len, const char *where, struct kl_ll_desc *d, char *err,
		     size_t errlen);
void kl_ll_desc_free(struct kl_ll_desc *d);

#endif
