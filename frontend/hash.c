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

uint32_t fe_hindex_first(const struct fe_hindex *ix, uint32_t hash)
{
	return ix->nslots ? hash & (ix->nslots - 1) : 0;
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
	for (uint32_t i = 0; i < ix->nslots; i++) {
		if (!ix->slots[i].id1)
			continue;
		uint32_t j = ix->slots[i].hash & (nslots - 1);
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
	uint32_t j = hash & (ix->nslots - 1);
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
