#include "dfa.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bpf/karmor.h"
#include "../frontend/arena.h"
#include "../frontend/glob.h"

static void *dfa_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		fe_oom();
	return q;
}

/* *pp grown to n bytes, for a pointer in a local: it keeps the old block until the new one
 * is in hand (an out-of-memory exit leaves it reachable, not leaked) */
static void dfa_grow(void *pp, size_t n)
{
	void *old, *q;
	memcpy(&old, pp, sizeof(old));
	q = realloc(old, n ? n : 1);
	if (!q)
		fe_oom();
	memcpy(pp, &q, sizeof(q));
}

static void *dfa_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);
	if (!p)
		fe_oom();
	return p;
}

/* ---- vectors of u32, interned: subset states, Moore signatures, tag sets ---- */

struct dfa_vtab {
	uint32_t *pool;
	size_t npool, poolcap;
	uint64_t *off;
	uint32_t *len;
	uint32_t n, cap;
	uint32_t *slots;	/* index + 1, 0 = empty */
	size_t nslots;
};

static uint64_t dfa_vhash(const uint32_t *v, uint32_t n)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	for (uint32_t i = 0; i < n; i++) {
		h ^= v[i];
		h *= 0x100000001b3ull;
		h ^= h >> 29;
	}
	return h;
}

static const uint32_t *dfa_vget(const struct dfa_vtab *t, uint32_t id, uint32_t *n)
{
	*n = t->len[id];
	return t->pool + t->off[id];
}

static void dfa_vrehash(struct dfa_vtab *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 1024;
	uint32_t *slots = dfa_xcalloc(nslots, sizeof(*slots));
	for (uint32_t id = 0; id < t->n; id++) {
		uint32_t n;
		const uint32_t *v = dfa_vget(t, id, &n);
		size_t j = dfa_vhash(v, n) & (nslots - 1);
		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = id + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
}

/* The id of v[0..n) (ids are 0.. in first-seen order); *created when it is new. */
static uint32_t dfa_vintern(struct dfa_vtab *t, const uint32_t *v, uint32_t n, bool *created)
{
	if (2 * ((size_t)t->n + 1) > t->nslots)
		dfa_vrehash(t);
	size_t j = dfa_vhash(v, n) & (t->nslots - 1);
	while (t->slots[j]) {
		uint32_t id = t->slots[j] - 1, m;
		const uint32_t *w = dfa_vget(t, id, &m);
		if (m == n && (n == 0 || memcmp(v, w, n * sizeof(*v)) == 0)) {
			*created = false;
			return id;
		}
		j = (j + 1) & (t->nslots - 1);
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->off = dfa_xrealloc(t->off, t->cap * sizeof(*t->off));
		t->len = dfa_xrealloc(t->len, t->cap * sizeof(*t->len));
	}
	if (t->npool + n > t->poolcap) {
		t->poolcap = (t->npool + n) * 2 + 256;
		t->pool = dfa_xrealloc(t->pool, t->poolcap * sizeof(*t->pool));
	}
	if (n)
		memcpy(t->pool + t->npool, v, n * sizeof(*v));
	t->off[t->n] = t->npool;
	t->len[t->n] = n;
	t->npool += n;
	t->slots[j] = t->n + 1;
	*created = true;
	return t->n++;
}

static void dfa_vfree(struct dfa_vtab *t)
{
	free(t->pool);
	free(t->off);
	free(t->len);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* ---- the NFA (Thompson) ---- */

struct dfa_cset {
	uint64_t w[4];
};

static void dfa_cset_add(struct dfa_cset *c, unsigned b)
{
	c->w[b >> 6] |= 1ull << (b & 63);
}

static bool dfa_cset_has(const struct dfa_cset *c, unsigned b)
{
	return (c->w[b >> 6] >> (b & 63)) & 1;
}

enum { DFA_N_SET, DFA_N_EPS, DFA_N_SPLIT, DFA_N_MATCH };
#define DFA_NONE UINT32_MAX

struct dfa_node {
	uint8_t kind;
	uint32_t out, out2;	/* EPS: out; SPLIT: out, out2; SET: out on a byte of the set */
	uint32_t arg;		/* SET: charset index; MATCH: the glob's index */
};

struct dfa_nfa {
	struct dfa_node *nodes;
	uint32_t n, cap;
	struct dfa_cset *sets;
	uint32_t nsets, setcap;
};

static uint32_t dfa_node(struct dfa_nfa *a, uint8_t kind, uint32_t arg)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 256;
		a->nodes = dfa_xrealloc(a->nodes, a->cap * sizeof(*a->nodes));
	}
	a->nodes[a->n] = (struct dfa_node){kind, DFA_NONE, DFA_NONE, arg};
	return a->n++;
}

static uint32_t dfa_set_node(struct dfa_nfa *a, const struct dfa_cset *c)
{
	if (a->nsets == a->setcap) {
		a->setcap = a->setcap ? a->setcap * 2 : 64;
		a->sets = dfa_xrealloc(a->sets, a->setcap * sizeof(*a->sets));
	}
	a->sets[a->nsets] = *c;
	return dfa_node(a, DFA_N_SET, a->nsets++);
}

/* a fragment: from start to end, an EPS node whose out is still open */
struct dfa_frag {
	uint32_t start, end;
};

struct dfa_parser {
	const char *s;
	size_t i;
	struct dfa_nfa *a;
	const char *err;
	int depth;
};

#define DFA_MAX_DEPTH 64	/* groups inside groups; fe_glob allows 16 */

static int dfa_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* After a '\\': the byte it stands for (PCRE2: \xhh, or any non-alphanumeric byte itself). */
static bool dfa_escape(struct dfa_parser *p, unsigned *byte)
{
	char c = p->s[p->i];
	if (c == 'x') {
		int hi = dfa_hex(p->s[p->i + 1]), lo = hi >= 0 ? dfa_hex(p->s[p->i + 2]) : -1;
		if (hi < 0) {
			p->err = "'\\x' without hex digits";
			return false;
		}
		if (lo < 0) {
			*byte = (unsigned)hi;
			p->i += 2;
		} else {
			*byte = (unsigned)(hi * 16 + lo);
			p->i += 3;
		}
		return true;
	}
	if (!c || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
		p->err = "an escape that is not a literal byte";
		return false;
	}
	*byte = (unsigned char)c;
	p->i++;
	return true;
}

/* '[' ... ']' (p->i after the '['): PCRE2's reading, without POSIX classes (fe_glob escapes '[') */
static bool dfa_class(struct dfa_parser *p, struct dfa_cset *c)
{
	memset(c, 0, sizeof(*c));
	bool neg = p->s[p->i] == '^', first = true;
	if (neg)
		p->i++;
	for (;;) {
		char ch = p->s[p->i];
		if (!ch) {
			p->err = "a class without its ']'";
			return false;
		}
		if (ch == ']' && !first) {
			p->i++;
			break;
		}
		first = false;
		unsigned lo, hi;
		if (ch == '\\') {
			p->i++;
			if (!dfa_escape(p, &lo))
				return false;
		} else if (ch == '[' && p->s[p->i + 1] == ':') {
			p->err = "a POSIX class";
			return false;
		} else {
			lo = (unsigned char)ch;
			p->i++;
		}
		hi = lo;
		if (p->s[p->i] == '-' && p->s[p->i + 1] && p->s[p->i + 1] != ']') {
			p->i++;
			if (p->s[p->i] == '\\') {
				p->i++;
				if (!dfa_escape(p, &hi))
					return false;
			} else {
				hi = (unsigned char)p->s[p->i++];
			}
			if (hi < lo) {
				p->err = "a range out of order";
				return false;
			}
		}
		for (unsigned b = lo; b <= hi; b++)
			dfa_cset_add(c, b);
	}
	if (neg)
		for (int k = 0; k < 4; k++)
			c->w[k] = ~c->w[k];
	return true;
}

static bool dfa_alt(struct dfa_parser *p, struct dfa_frag *f);

static bool dfa_atom(struct dfa_parser *p, struct dfa_frag *f)
{
	struct dfa_nfa *a = p->a;
	struct dfa_cset c;
	memset(&c, 0, sizeof(c));
	char ch = p->s[p->i];
	if (ch == '(') {
		if (strncmp(p->s + p->i, "(?:", 3) != 0) {
			p->err = "a group that is not '(?:'";
			return false;
		}
		if (++p->depth > DFA_MAX_DEPTH) {
			p->err = "groups nested too deep";
			return false;
		}
		p->i += 3;
		if (!dfa_alt(p, f))
			return false;
		if (p->s[p->i] != ')') {
			p->err = "a group without its ')'";
			return false;
		}
		p->i++;
		p->depth--;
		return true;
	}
	if (ch == '[') {
		p->i++;
		if (!dfa_class(p, &c))
			return false;
	} else if (ch == '\\') {
		unsigned b;
		p->i++;
		if (!dfa_escape(p, &b))
			return false;
		dfa_cset_add(&c, b);
	} else if (strchr("^$.|?*+{}", ch)) {
		p->err = "a regex operator fe_glob does not write";
		return false;
	} else {
		dfa_cset_add(&c, (unsigned char)ch);
		p->i++;
	}
	uint32_t n = dfa_set_node(a, &c), e = dfa_node(a, DFA_N_EPS, 0);
	a->nodes[n].out = e;
	*f = (struct dfa_frag){n, e};
	return true;
}

static bool dfa_seq(struct dfa_parser *p, struct dfa_frag *f)
{
	struct dfa_nfa *a = p->a;
	uint32_t e = dfa_node(a, DFA_N_EPS, 0);
	*f = (struct dfa_frag){e, e};
	for (;;) {
		char ch = p->s[p->i];
		if (!ch || ch == '|' || ch == ')' || (ch == '$' && !p->s[p->i + 1]))
			return true;
		struct dfa_frag g;
		if (!dfa_atom(p, &g))
			return false;
		char q = p->s[p->i];
		if (q == '*' || q == '+' || q == '?') {
			p->i++;
			uint32_t s = dfa_node(a, DFA_N_SPLIT, 0), end = dfa_node(a, DFA_N_EPS, 0);
			a->nodes[s].out = g.start;
			a->nodes[s].out2 = end;
			if (q == '?')
				a->nodes[g.end].out = end;
			else
				a->nodes[g.end].out = s;	/* back to the choice: loop or leave */
			g = (struct dfa_frag){q == '+' ? g.start : s, end};
		}
		a->nodes[f->end].out = g.start;
		f->end = g.end;
	}
}

static bool dfa_alt(struct dfa_parser *p, struct dfa_frag *f)
{
	struct dfa_nfa *a = p->a;
	if (!dfa_seq(p, f))
		return false;
	while (p->s[p->i] == '|') {
		p->i++;
		struct dfa_frag g;
		if (!dfa_seq(p, &g))
			return false;
		uint32_t s = dfa_node(a, DFA_N_SPLIT, 0), e = dfa_node(a, DFA_N_EPS, 0);
		a->nodes[s].out = f->start;
		a->nodes[s].out2 = g.start;
		a->nodes[f->end].out = e;
		a->nodes[g.end].out = e;
		*f = (struct dfa_frag){s, e};
	}
	return true;
}

/* The fragment of one glob, ending in a MATCH node tagged `tag`. */
static bool dfa_glob(struct dfa_nfa *a, const char *glob, uint32_t tag, uint32_t *start, const char **err)
{
	struct fe_arena ar;
	fe_arena_init(&ar);
	const char *re = fe_glob_to_regex(&ar, glob, err);
	bool ok = false;
	if (re) {
		struct dfa_parser p = {re, 0, a, NULL, 0};
		struct dfa_frag f;
		size_t n = strlen(re);
		if (n < 2 || re[0] != '^' || re[n - 1] != '$') {
			p.err = "a regex that is not anchored";
		} else {
			p.i = 1;
			if (dfa_alt(&p, &f) && !(p.s[p.i] == '$' && !p.s[p.i + 1]) && !p.err)
				p.err = "an unbalanced ')'";
		}
		if (!p.err) {
			uint32_t m = dfa_node(a, DFA_N_MATCH, tag);
			a->nodes[f.end].out = m;
			*start = f.start;
			ok = true;
		} else {
			*err = p.err;
		}
	}
	fe_arena_free(&ar);
	return ok;
}

/* ---- subset construction ---- */

struct dfa_build {
	struct dfa_nfa nfa;
	uint32_t *stack, *mark, gen;
	uint32_t *buf;		/* a set being built */
	uint32_t nbuf;
};

static int dfa_u32_cmp(const void *pa, const void *pb)
{
	uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
	return a < b ? -1 : a > b;
}

/* b->buf[0..nbuf) := the SET and MATCH nodes reachable by epsilon moves from roots, sorted */
static void dfa_closure(struct dfa_build *b, const uint32_t *roots, uint32_t nroots)
{
	const struct dfa_node *nodes = b->nfa.nodes;
	uint32_t sp = 0;
	b->gen++;
	b->nbuf = 0;
	for (uint32_t i = 0; i < nroots; i++)
		if (b->mark[roots[i]] != b->gen) {
			b->mark[roots[i]] = b->gen;
			b->stack[sp++] = roots[i];
		}
	while (sp) {
		uint32_t n = b->stack[--sp];
		const struct dfa_node *nd = &nodes[n];
		if (nd->kind == DFA_N_SET || nd->kind == DFA_N_MATCH) {
			b->buf[b->nbuf++] = n;
			continue;
		}
		uint32_t outs[2] = {nd->out, nd->kind == DFA_N_SPLIT ? nd->out2 : DFA_NONE};
		for (int k = 0; k < 2; k++)
			if (outs[k] != DFA_NONE && b->mark[outs[k]] != b->gen) {
				b->mark[outs[k]] = b->gen;
				b->stack[sp++] = outs[k];
			}
	}
	qsort(b->buf, b->nbuf, sizeof(*b->buf), dfa_u32_cmp);
}

/* Columns: bytes that every charset of the NFA treats alike share one (numbered by first byte). */
static uint32_t dfa_columns(const struct dfa_nfa *a, uint8_t classes[256])
{
	uint32_t cls[256] = {0}, ncls = 1;
	for (uint32_t s = 0; s < a->nsets && ncls < 256; s++) {
		int remap[2][256];
		memset(remap, -1, sizeof(remap));
		uint32_t n = 0;
		for (unsigned byte = 0; byte < 256; byte++) {
			int in = dfa_cset_has(&a->sets[s], byte);
			if (remap[in][cls[byte]] < 0)
				remap[in][cls[byte]] = (int)n++;
			cls[byte] = (uint32_t)remap[in][cls[byte]];
		}
		ncls = n;
	}
	for (unsigned byte = 0; byte < 256; byte++)
		classes[byte] = (uint8_t)cls[byte];
	return ncls;
}

/* Columns that every state treats alike become one (the charsets may split bytes that the
 * minimised automaton does not tell apart: {a,b} and [ab] give the same automaton). */
static void dfa_merge_columns(struct be_dfa *d)
{
	uint32_t m = d->nstates, k = d->nclasses;
	uint32_t *col = dfa_xcalloc(m, sizeof(*col)), *to = dfa_xcalloc(k, sizeof(*to)), *first = dfa_xcalloc(k, sizeof(*first));
	struct dfa_vtab t = {0};
	bool created;
	/* numbered by first byte, as dfa_columns numbers them */
	for (uint32_t c = 0; c < k; c++)
		to[c] = DFA_NONE;
	uint32_t nk = 0;
	for (unsigned byte = 0; byte < 256; byte++) {
		uint32_t c = d->classes[byte];
		if (to[c] != DFA_NONE)
			continue;
		for (uint32_t q = 0; q < m; q++)
			col[q] = d->trans[(size_t)q * k + c];
		uint32_t id = dfa_vintern(&t, col, m, &created);
		if (created)
			first[id] = c;
		to[c] = id;
		nk = t.n;
	}
	dfa_vfree(&t);
	if (nk < k) {
		uint32_t *trans = dfa_xcalloc((size_t)m * nk, sizeof(*trans));
		for (uint32_t q = 0; q < m; q++)
			for (uint32_t c = 0; c < nk; c++)
				trans[(size_t)q * nk + c] = d->trans[(size_t)q * k + first[c]];
		for (unsigned byte = 0; byte < 256; byte++)
			d->classes[byte] = (uint8_t)to[d->classes[byte]];
		free(d->trans);
		d->trans = trans;
		d->nclasses = nk;
	}
	free(col);
	free(to);
	free(first);
}

void be_dfa_free(struct be_dfa *d)
{
	free(d->trans);
	free(d->accept);
	free(d->below);
	for (uint32_t i = 0; i < d->naccept; i++)
		free(d->accept_sets[i].items);
	for (uint32_t i = 0; i < d->nbelow; i++)
		free(d->below_sets[i].items);
	free(d->accept_sets);
	free(d->below_sets);
	memset(d, 0, sizeof(*d));
}

/* The ids of distinct non-empty tag sets (bitsets of w words), and their member lists. */
static uint32_t dfa_set_ids(const uint64_t *bits, uint32_t nstates, uint32_t w, uint32_t *ids,
			    struct be_dfa_set **sets_out)
{
	struct dfa_vtab t = {0};
	struct be_dfa_set *sets = NULL;
	uint32_t nsets = 0, cap = 0;
	uint32_t *v = dfa_xcalloc(2 * (size_t)w, sizeof(*v));
	for (uint32_t s = 0; s < nstates; s++) {
		const uint64_t *b = bits + (size_t)s * w;
		bool any = false;
		for (uint32_t k = 0; k < w; k++) {
			v[2 * k] = (uint32_t)b[k];
			v[2 * k + 1] = (uint32_t)(b[k] >> 32);
			any |= b[k] != 0;
		}
		if (!any) {
			ids[s] = 0;
			continue;
		}
		bool created;
		uint32_t id = dfa_vintern(&t, v, 2 * w, &created);
		ids[s] = id + 1;
		if (!created)
			continue;
		if (nsets == cap) {
			cap = cap ? cap * 2 : 16;
			dfa_grow(&sets, cap * sizeof(*sets));
		}
		struct be_dfa_set *set = &sets[nsets++];
		set->n = 0;
		for (uint32_t k = 0; k < w; k++)
			set->n += (uint32_t)__builtin_popcountll(b[k]);
		set->items = dfa_xcalloc(set->n, sizeof(*set->items));
		uint32_t j = 0;
		for (uint32_t k = 0; k < w; k++)
			for (uint64_t x = b[k]; x; x &= x - 1)
				set->items[j++] = k * 64 + (uint32_t)__builtin_ctzll(x);
	}
	free(v);
	dfa_vfree(&t);
	*sets_out = sets;
	return nsets;
}

enum be_dfa_status be_dfa_build(const char *const *globs, size_t n, uint32_t max_states, struct be_dfa *d,
				size_t *bad, const char **err)
{
	memset(d, 0, sizeof(*d));
	struct dfa_build b;
	memset(&b, 0, sizeof(b));
	enum be_dfa_status status = BE_DFA_OK;
	uint32_t *starts = dfa_xcalloc(n, sizeof(*starts));
	for (size_t i = 0; i < n; i++) {
		if (!dfa_glob(&b.nfa, globs[i], (uint32_t)i, &starts[i], err)) {
			*bad = i;
			free(starts);
			free(b.nfa.nodes);
			free(b.nfa.sets);
			return BE_DFA_SYNTAX;
		}
	}
	uint32_t nn = b.nfa.n, w = (uint32_t)((n + 63) / 64);
	b.stack = dfa_xcalloc(nn, sizeof(*b.stack));
	b.mark = dfa_xcalloc(nn, sizeof(*b.mark));
	b.buf = dfa_xcalloc(nn, sizeof(*b.buf));
	uint32_t *moved = dfa_xcalloc(nn, sizeof(*moved));
	uint32_t k = dfa_columns(&b.nfa, d->classes);
	unsigned rep[256];	/* a byte of each column */
	for (int byte = 255; byte >= 0; byte--)
		rep[d->classes[byte]] = (unsigned)byte;

	/* the unminimised automaton: state 0 the empty set (dead), 1 the start */
	struct dfa_vtab sets = {0};
	bool created;
	dfa_vintern(&sets, NULL, 0, &created);
	dfa_closure(&b, starts, (uint32_t)n);
	dfa_vintern(&sets, b.buf, b.nbuf, &created);
	uint32_t limit = max_states > UINT32_MAX / 4 ? UINT32_MAX : max_states * 4;	/* before minimising */
	uint32_t *trans = NULL;
	uint64_t *tags = NULL;
	size_t tcap = 0;
	for (uint32_t s = 0; s < sets.n; s++) {
		if (sets.n > limit) {
			status = BE_DFA_TOO_BIG;
			break;
		}
		if ((size_t)sets.n * k > tcap) {
			tcap = (size_t)sets.n * k * 2;
			dfa_grow(&trans, tcap * sizeof(*trans));
			dfa_grow(&tags, (tcap / k) * w * sizeof(*tags));
		}
		uint32_t len;
		const uint32_t *members = dfa_vget(&sets, s, &len);
		/* copied: interning below may move the pool */
		uint32_t *mine = dfa_xcalloc(len, sizeof(*mine));
		if (len)
			memcpy(mine, members, len * sizeof(*mine));
		memset(tags + (size_t)s * w, 0, w * sizeof(*tags));
		for (uint32_t j = 0; j < len; j++) {
			const struct dfa_node *nd = &b.nfa.nodes[mine[j]];
			if (nd->kind == DFA_N_MATCH)
				tags[(size_t)s * w + nd->arg / 64] |= 1ull << (nd->arg % 64);
		}
		for (uint32_t c = 0; c < k; c++) {
			uint32_t nm = 0;
			for (uint32_t j = 0; j < len; j++) {
				const struct dfa_node *nd = &b.nfa.nodes[mine[j]];
				if (nd->kind == DFA_N_SET && dfa_cset_has(&b.nfa.sets[nd->arg], rep[c]))
					moved[nm++] = nd->out;
			}
			dfa_closure(&b, moved, nm);
			trans[(size_t)s * k + c] = dfa_vintern(&sets, b.buf, b.nbuf, &created);
		}
		free(mine);
	}
	uint32_t ns = sets.n;
	dfa_vfree(&sets);
	free(starts);
	free(moved);
	free(b.stack);
	free(b.mark);
	free(b.buf);
	free(b.nfa.nodes);
	free(b.nfa.sets);
	if (status != BE_DFA_OK) {
		free(trans);
		free(tags);
		*err = "the automaton has too many states";
		return status;
	}

	/* Moore: blocks by tag set, then split by the blocks of the successors until stable */
	uint32_t *block = dfa_xcalloc(ns, sizeof(*block)), *sig = dfa_xcalloc((size_t)k + 1, sizeof(*sig));
	uint32_t *tv = dfa_xcalloc(2 * (size_t)w + 1, sizeof(*tv));
	uint32_t nblocks;
	{
		struct dfa_vtab t = {0};
		for (uint32_t s = 0; s < ns; s++) {
			for (uint32_t j = 0; j < w; j++) {
				tv[2 * j] = (uint32_t)tags[(size_t)s * w + j];
				tv[2 * j + 1] = (uint32_t)(tags[(size_t)s * w + j] >> 32);
			}
			block[s] = dfa_vintern(&t, tv, 2 * w, &created);
		}
		nblocks = t.n;
		dfa_vfree(&t);
	}
	for (;;) {
		struct dfa_vtab t = {0};
		uint32_t *nb = dfa_xcalloc(ns, sizeof(*nb));
		for (uint32_t s = 0; s < ns; s++) {
			sig[0] = block[s];
			for (uint32_t c = 0; c < k; c++)
				sig[c + 1] = block[trans[(size_t)s * k + c]];
			nb[s] = dfa_vintern(&t, sig, k + 1, &created);
		}
		uint32_t count = t.n;
		dfa_vfree(&t);
		free(block);
		block = nb;
		if (count == nblocks)
			break;
		nblocks = count;
	}

	/* numbering: the dead state's block 0, the start's 1, the rest breadth-first */
	uint32_t *num = dfa_xcalloc(nblocks, sizeof(*num)), *repst = dfa_xcalloc(nblocks + 1, sizeof(*repst));
	for (uint32_t i = 0; i < nblocks; i++)
		num[i] = DFA_NONE;
	uint32_t m = 0;
	num[block[0]] = m;
	repst[m++] = 0;
	if (block[1] == block[0]) {
		/* nothing can match: a start of its own that leads to the dead state */
		repst[m++] = 0;
	} else {
		num[block[1]] = m;
		repst[m++] = 1;
	}
	for (uint32_t q = 1; q < m; q++) {
		uint32_t s = repst[q];
		for (uint32_t c = 0; c < k; c++) {
			uint32_t to = trans[(size_t)s * k + c];
			if (num[block[to]] == DFA_NONE) {
				num[block[to]] = m;
				repst[m++] = to;
			}
		}
	}
	if (m > max_states) {
		status = BE_DFA_TOO_BIG;
		*err = "the automaton has too many states";
	} else {
		d->nstates = m;
		d->nclasses = k;
		d->trans = dfa_xcalloc((size_t)m * k, sizeof(*d->trans));
		uint64_t *mtags = dfa_xcalloc((size_t)m * w, sizeof(*mtags));
		for (uint32_t q = 0; q < m; q++) {
			uint32_t s = repst[q];
			for (uint32_t c = 0; c < k; c++)
				d->trans[(size_t)q * k + c] = q == 1 && block[1] == block[0] ? 0
								: num[block[trans[(size_t)s * k + c]]];
			memcpy(mtags + (size_t)q * w, tags + (size_t)s * w, w * sizeof(*mtags));
		}
		dfa_merge_columns(d);
		k = d->nclasses;
		/* below[q]: the tags reachable from q in one or more bytes (a fixed point), taken
		 * after q's '/'; the column of NUL alone never occurs in a path */
		bool *real = dfa_xcalloc(k, sizeof(*real));
		for (unsigned byte = 1; byte < 256; byte++)
			real[d->classes[byte]] = true;
		uint64_t *reach = dfa_xcalloc((size_t)m * w, sizeof(*reach));
		for (bool changed = true; changed;) {
			changed = false;
			for (uint32_t q = m; q-- > 0;) {
				uint64_t *r = reach + (size_t)q * w;
				for (uint32_t c = 0; c < k; c++) {
					if (!real[c])
						continue;
					uint32_t to = d->trans[(size_t)q * k + c];
					for (uint32_t j = 0; j < w; j++) {
						uint64_t x = r[j] | mtags[(size_t)to * w + j] | reach[(size_t)to * w + j];
						changed |= x != r[j];
						r[j] = x;
					}
				}
			}
		}
		uint64_t *below = dfa_xcalloc((size_t)m * w, sizeof(*below));
		for (uint32_t q = 0; q < m; q++) {
			uint32_t to = d->trans[(size_t)q * k + d->classes['/']];
			memcpy(below + (size_t)q * w, reach + (size_t)to * w, w * sizeof(*below));
		}
		d->accept = dfa_xcalloc(m, sizeof(*d->accept));
		d->below = dfa_xcalloc(m, sizeof(*d->below));
		d->naccept = dfa_set_ids(mtags, m, w, d->accept, &d->accept_sets);
		d->nbelow = dfa_set_ids(below, m, w, d->below, &d->below_sets);
		free(real);
		free(reach);
		free(below);
		free(mtags);
	}
	free(num);
	free(repst);
	free(block);
	free(sig);
	free(tv);
	free(trans);
	free(tags);
	if (status != BE_DFA_OK)
		be_dfa_free(d);
	return status;
}

uint32_t *be_dfa_image(const struct be_dfa *d, uint32_t *nwords)
{
	uint64_t n = karmor_dfa_words(d->nstates, d->nclasses);
	uint32_t *w = calloc(n, sizeof(*w));
	if (!w)
		return NULL;
	w[KARMOR_DFA_NSTATES] = d->nstates;
	w[KARMOR_DFA_NCLASSES] = d->nclasses;
	for (int c = 0; c < 256; c++)
		w[KARMOR_DFA_CLASSES + c] = d->classes[c];
	memcpy(w + KARMOR_DFA_TRANS, d->trans, (size_t)d->nstates * d->nclasses * sizeof(*w));
	memcpy(w + karmor_dfa_accept(d->nstates, d->nclasses), d->accept, d->nstates * sizeof(*w));
	memcpy(w + karmor_dfa_below(d->nstates, d->nclasses), d->below, d->nstates * sizeof(*w));
	*nwords = (uint32_t)n;
	return w;
}
