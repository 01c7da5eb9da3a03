/*
 * fe_hash: the one hash table of the tree.  An open-addressing index over an array the
 * caller owns: the table stores only (hash, index) pairs, the caller keeps the entries and
 * decides what "equal" means.  So one small piece of code serves the string table, the
 * glob cache and the backends' finding dedup, whatever their keys look like.
 *
 *	uint32_t h = fe_hash(&key, sizeof(key)), id;
 *	for (uint32_t c = fe_hindex_first(&ix, h); fe_hindex_next(&ix, h, &c, &id);)
 *		if (equal(&items[id], &key))
 *			return id;		// found
 *	fe_hindex_add(&ix, h, new_id);	// not found: the caller appends items[new_id]
 */
#ifndef FE_HASH_H
#define FE_HASH_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct fe_hslot {
	uint32_t hash;
	uint32_t id1;	/* index + 1; 0 marks an empty slot */
};

struct fe_hindex {
	struct fe_hslot *slots;	/* heap; a power of two of them, at most half full */
	uint32_t nslots, count;
};

/* FNV-1a over n bytes; fe_hash_more continues a running hash (start from fe_hash(NULL, 0)). */
uint32_t fe_hash(const void *data, size_t n);
uint32_t fe_hash_more(uint32_t h, const void *data, size_t n);
/* A faster hash of longer keys (strings), for indexes only: nothing printed depends on its
 * values, which may change (fe_hash's are part of names karmorc writes). */
uint32_t fe_hash_text(const void *data, size_t n);

/* The probe sequence of `hash`: fe_hindex_next yields each candidate index in turn and
 * returns false at the first empty slot (then the key is absent). */
uint32_t fe_hindex_first(const struct fe_hindex *ix, uint32_t hash);
bool fe_hindex_next(const struct fe_hindex *ix, uint32_t hash, uint32_t *cursor, uint32_t *id);
/* Records that items[id] has `hash`; the caller has checked it is not there yet.  May grow
 * the table, which invalidates cursors. */
void fe_hindex_add(struct fe_hindex *ix, uint32_t hash, uint32_t id);
void fe_hindex_free(struct fe_hindex *ix);

#endif
