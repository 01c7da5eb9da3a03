#include "hash.h"
#include "arena.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint32_t fe_hash_more(uint32_t h, const void *data, size_t n)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

uint32_t fe_hash(const void *data, size_t n)
{
	return fe_hash_more(2166136261u, data, n);
}

uint32_t fe_hash_text(const void *data, size_t n)
{
	/* eight bytes a step (FNV-1a takes one): a multiply and a fold per word */
	const unsigned char *p = data;
	uint64_t h = 0x9e3779b97f4a7c15u ^ n, w;
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdu;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, p, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53u;
	return (uint32_t)(h ^ (h >> 32));
}

/* A hash's home slot: its top bits after a multiply (Fibonacci hashing), so that hashes
 * that differ only in high bits (FNV-1a of keys that differ in one byte) spread out. */
static uint32_t fe_hindex_home(const struct fe_hindex *ix, uint32_t hash)
{
	return (hash * 2654435769u) >> (32 - __builtin_ctz(ix->nslots));	/* nslots: 64 or more */
}

uint32_t fe_hindex_first(const struct fe_hindex *ix, uint32_t hash)
{
	return ix->nslots ? fe_hindex_home(ix, hash) : 0;
}

bool fe_hindex_next(const struct fe_hindex *ix, uint32_t hash, uint32_t *cursor, uint32_t *id)
{
	if (!ix->nslots)
		return false;
	/* linear probing; the stored hash skips most unequal entries without asking the caller */
	for (;;) {
		const struct fe_hslot *s = &ix->slots[*cursor];
		if (!s->id1)
			return false;
		*cursor = (*cursor + 1) & (ix->nslots - 1);
		if (s->hash == hash) {
			*id = s->id1 - 1;
			return true;
		}
	}
}

static void fe_hindex_grow(struct fe_hindex *ix)
{
	uint32_t nslots = ix->nslots ? ix->nslots * 2 : 64;
	struct fe_hslot *slots = calloc(nslots, sizeof(*slots));
	if (!slots) {
		fe_oom();
	}
	const struct fe_hindex grown = {slots, nslots, 0};
	for (uint32_t i = 0; i < ix->nslots; i++) {
		if (!ix->slots[i].id1)
			continue;
		uint32_t j = fe_hindex_home(&grown, ix->slots[i].hash);
		while (slots[j].id1)
			j = (j + 1) & (nslots - 1);
		slots[j] = ix->slots[i];
	}
	free(ix->slots);
	ix->slots = slots;
	ix->nslots = nslots;
}

void fe_hindex_add(struct fe_hindex *ix, uint32_t hash, uint32_t id)
{
	if (2 * (ix->count + 1) > ix->nslots)
		fe_hindex_grow(ix);
	uint32_t j = fe_hindex_home(ix, hash);
	while (ix->slots[j].id1)
		j = (j + 1) & (ix->nslots - 1);
	ix->slots[j].hash = hash;
	ix->slots[j].id1 = id + 1;
	ix->count++;
}

void fe_hindex_free(struct fe_hindex *ix)
{
	free(ix->slots);
	memset(ix, 0, sizeof(*ix));
}
