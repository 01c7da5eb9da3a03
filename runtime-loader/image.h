/*
 * kl_image: reads and validates one map image (bpf/karmor.h, "the image").
 * Used by karmor-loader and by the unit tests; it trusts nothing in the
 * file: every offset, count, string id, role, class, source slot and rule id
 * is checked, and the SHA-256 trailer must match, before anything is used.
 */
#ifndef KL_IMAGE_H
#define KL_IMAGE_H
#include <stddef.h>
#include <stdint.h>

#include "../bpf/karmor.h"

/* Capability numbers an image may hold: CAP_CHOWN (0) .. CAP_CHECKPOINT_RESTORE
 * (40), the 41 names karmorc knows (backends/bpf.c).  Fixed here, not taken from
 * the build host's <linux/capability.h>, so what the loader accepts does not
 * depend on the headers it was built with. */
#define KL_CAP_COUNT 41

struct kl_image {
	unsigned char *data;	/* the whole file, owned */
	size_t size;
	const struct karmor_image_header *hdr;
	const struct karmor_image_rule *rules;	/* hdr->nrules */
	const struct karmor_image_path *paths;	/* hdr->npaths */
	const struct karmor_image_id *nets;	/* hdr->nnets */
	const struct karmor_image_id *caps;	/* hdr->ncaps */
	const struct karmor_image_src *srcs;	/* hdr->nsrcs */
	const char *strtab;			/* hdr->strtab_size bytes */
	const struct karmor_image_identity *ident;	/* NULL: no identity (a selector's target) */
	const struct karmor_image_label *labels;	/* ident->nlabels */
	const __u32 *dfa;			/* hdr->dfa_words, validated; NULL: no pattern */
	const struct karmor_image_sys *sys;	/* hdr->nsys: the syscall section */
};

/* Reads FILE.  On failure returns -1, leaves *img empty and writes
 * "FILE: what is wrong" (one line, no newline) to err. */
int kl_image_read(const char *file, struct kl_image *img, char *err, size_t errlen);
/* The same for bytes in memory (copied); `name` is used in messages. */
int kl_image_parse(const void *data, size_t size, const char *name, struct kl_image *img, char *err,
		   size_t errlen);
void kl_image_free(struct kl_image *img);

/* The max_entries of every map the budget counts (bpf/karmor.h, "map sizes") for images
 * asking for c together: what they need, at least 1.  -1 when a map would exceed its limit
 * (the kernel's, or KARMOR_MAX_TARGETS), with why in err. */
int kl_map_sizes(const struct karmor_map_counts *c, uint32_t max_entries[KARMOR_BM_COUNT], char *err, size_t errlen);

/* A string of a validated image (ids are checked by kl_image_parse). */
static inline const char *kl_image_str(const struct kl_image *img, uint32_t id)
{
	return img->strtab + id;
}

/* A string reference of a validated image: NUL-terminated, ref.len bytes. */
static inline const char *kl_image_ref(const struct kl_image *img, struct karmor_image_strref ref)
{
	return img->strtab + ref.off;
}

#endif
