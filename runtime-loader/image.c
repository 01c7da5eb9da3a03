/*
 * kl_image: reads and validates one map image (bpf/karmor.h).  Nothing in the file is
 * trusted: the checksum, then every offset, count, string id, role, class, slot and
 * rule id is checked before a pointer into the file is handed out, so the loader can
 * copy records into maps without further checks.
 */
#include "image.h"

#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the map image reader assumes a little-endian host"
#endif

#define KL_IMAGE_MAX_BYTES (1ull << 31)	/* far above what the capacities allow */
#define KL_SHA_BYTES 32
#define KL_RULE_CLASSES 7		/* process .. devices (karmor_image_rule.cls) */
#define KL_TF_KNOWN                                                                                   \
	(KARMOR_TF_EXECNAME_PROC | KARMOR_TF_EXECNAME_FILE | KARMOR_TF_SOURCES | KARMOR_TF_HOST | KARMOR_TF_CONFINE | \
	 KARMOR_TF_ANC | KARMOR_TF_DIRS_PROC | KARMOR_TF_DIRS_FILE | KARMOR_TF_NAMES_FILE | KARMOR_TF_SYSCALLS)

static int kl_fail(char *err, size_t errlen, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int kl_fail(char *err, size_t errlen, const char *name, const char *fmt, ...)
{
	if (err && errlen) {
		int n = snprintf(err, errlen, "%s: ", name);
		if (n >= 0 && (size_t)n < errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -1;
}

/* One section: `count` records of `size` bytes at `off`, after `*end` (the previous
 * section's end) and before the trailer.  Advances *end. */
static bool kl_section(const struct karmor_image_header *h, uint64_t off, uint64_t count, uint64_t size,
		       uint64_t *end, const char *what, char *err, size_t errlen, const char *name)
{
	uint64_t limit = h->file_size - KL_SHA_BYTES;
	if (off % 8) {
		kl_fail(err, errlen, name, "the %s section offset %llu is not 8-byte aligned", what, (unsigned long long)off);
		return false;
	}
	if (off < *end || off > limit) {
		kl_fail(err, errlen, name, "the %s section offset %llu is outside its place in the file (%llu..%llu)", what,
			(unsigned long long)off, (unsigned long long)*end, (unsigned long long)limit);
		return false;
	}
	if (size && count > (limit - off) / size) {
		kl_fail(err, errlen, name, "the %s section (%llu records of %llu bytes at %llu) runs past the end of the "
			"data (%llu)", what, (unsigned long long)count, (unsigned long long)size, (unsigned long long)off,
			(unsigned long long)limit);
		return false;
	}
	*end = off + count * size;
	return true;
}

static bool kl_str_ok(const struct karmor_image_header *h, uint32_t id)
{
	return id < h->strtab_size;
}

static bool kl_rule_id_ok(const struct karmor_image_header *h, uint32_t id, bool baseline_ok)
{
	return id <= h->nrules || (baseline_ok && id == KARMOR_RULE_BASELINE);
}

static bool kl_effect_ok(const struct karmor_image_header *h, const struct karmor_effect *e, bool baseline_ok)
{
	return kl_rule_id_ok(h, e->block, false) && kl_rule_id_ok(h, e->audit, false) &&
	       kl_rule_id_ok(h, e->grant, baseline_ok);
}

/* A string reference: inside the table, no NUL in it, a NUL after it, bounded. */
static bool kl_ref_ok(const struct karmor_image_header *h, const char *strtab, struct karmor_image_strref r)
{
	return r.len <= KARMOR_IDENT_STR_MAX && r.off < h->strtab_size && r.len < h->strtab_size - r.off &&
	       strtab[r.off + r.len] == '\0' && memchr(strtab + r.off, '\0', r.len) == NULL;
}

static int kl_ref_cmp(const char *strtab, struct karmor_image_strref a, struct karmor_image_strref b)
{
	return strcmp(strtab + a.off, strtab + b.off);
}

/* The identity section (bpf/karmor.h): its size is exactly the record and its labels. */
static int kl_validate_identity(struct kl_image *img, const char *strtab, const char *name, char *err, size_t errlen)
{
	const struct karmor_image_header *h = img->hdr;
	img->ident = NULL;
	img->labels = NULL;
	if (!h->ident_size)
		return 0;
	if (h->ident_size < sizeof(struct karmor_image_identity))
		return kl_fail(err, errlen, name, "the identity section (%u bytes) is shorter than its record", h->ident_size);
	const struct karmor_image_identity *id = (const void *)(img->data + h->ident_off);
	if (id->nlabels > KARMOR_IDENT_MAX_LABELS)
		return kl_fail(err, errlen, name, "the identity has %u labels, more than %u", id->nlabels,
			       KARMOR_IDENT_MAX_LABELS);
	if (h->ident_size != sizeof(*id) + (uint64_t)id->nlabels * sizeof(struct karmor_image_label))
		return kl_fail(err, errlen, name, "the identity section is %u bytes, not the size of its record and %u labels",
			       h->ident_size, id->nlabels);
	if (id->flags & ~(uint32_t)(KARMOR_IDENT_HOST | KARMOR_IDENT_INIT))
		return kl_fail(err, errlen, name, "unknown identity flags 0x%x",
			       id->flags & ~(uint32_t)(KARMOR_IDENT_HOST | KARMOR_IDENT_INIT));
	const struct karmor_image_strref refs[6] = {id->kind, id->namespace_, id->workload, id->pod, id->container,
						    id->image};
	static const char *const what[6] = {"kind", "namespace", "workload", "pod", "container", "image"};
	for (int i = 0; i < 6; i++)
		if (!kl_ref_ok(h, strtab, refs[i]))
			return kl_fail(err, errlen, name, "the identity's %s (%u bytes at %u) is not a string of the string "
				       "table (at most %u bytes)", what[i], refs[i].len, refs[i].off, KARMOR_IDENT_STR_MAX);
	bool host = id->flags & KARMOR_IDENT_HOST;
	if (host != !!(h->flags & KARMOR_TF_HOST))
		return kl_fail(err, errlen, name, "the identity's host flag disagrees with the target's");
	bool ok = id->kind.len && id->workload.len;
	if (host)
		ok = ok && !(id->flags & KARMOR_IDENT_INIT) && !id->namespace_.len && !id->pod.len && !id->container.len &&
		     !id->image.len && strcmp(strtab + id->kind.off, "Node") == 0;
	else
		ok = ok && id->namespace_.len && id->pod.len && id->container.len;
	if (!ok)
		return kl_fail(err, errlen, name, "the identity of a %s lacks a field or has one it cannot have",
			       host ? "node" : "container");
	const struct karmor_image_label *labels = (const void *)(id + 1);
	for (uint32_t i = 0; i < id->nlabels; i++) {
		if (!kl_ref_ok(h, strtab, labels[i].key) || !kl_ref_ok(h, strtab, labels[i].value) || !labels[i].key.len)
			return kl_fail(err, errlen, name, "identity label %u: not a non-empty key and a value of the string "
				       "table", i);
		if (i > 0) {
			int c = kl_ref_cmp(strtab, labels[i - 1].key, labels[i].key);
			if (!c)
				c = kl_ref_cmp(strtab, labels[i - 1].value, labels[i].value);
			if (c >= 0)
				return kl_fail(err, errlen, name, "identity label %u is out of order or a duplicate", i);
		}
	}
	img->ident = id;
	img->labels = labels;
	return 0;
}

/* The pattern automaton (bpf/karmor.h, "pattern automata"): its size is exactly its
 * layout's, and every column, state and set id is in range, so the programs' walk can
 * never leave it; the dead state stays dead. */
static int kl_validate_dfa(struct kl_image *img, const char *name, char *err, size_t errlen)
{
	const struct karmor_image_header *h = img->hdr;
	img->dfa = NULL;
	if (!h->dfa_words)
		return 0;
	const uint32_t *w = (const void *)(img->data + h->dfa_off);
	if (h->dfa_words < KARMOR_DFA_TRANS || h->dfa_words > KARMOR_DFA_MAX_WORDS)
		return kl_fail(err, errlen, name, "the pattern automaton has %u words (at most %u)", h->dfa_words,
			       KARMOR_DFA_MAX_WORDS);
	uint32_t n = w[KARMOR_DFA_NSTATES], k = w[KARMOR_DFA_NCLASSES];
	if (n < 2 || n > KARMOR_DFA_MAX_STATES || k < 1 || k > 256 || karmor_dfa_words(n, k) != h->dfa_words)
		return kl_fail(err, errlen, name, "the pattern automaton's %u states and %u columns do not fill its %u "
			       "words (2..%u states, 1..256 columns)", n, k, h->dfa_words, KARMOR_DFA_MAX_STATES);
	for (int c = 0; c < 256; c++)
		if (w[KARMOR_DFA_CLASSES + c] >= k)
			return kl_fail(err, errlen, name, "the pattern automaton's byte %d is in column %u of %u", c,
				       w[KARMOR_DFA_CLASSES + c], k);
	for (uint64_t s = 0; s < n; s++)
		for (uint32_t c = 0; c < k; c++) {
			uint32_t to = w[karmor_dfa_next(s, k, c)];
			if (to >= n || (s == KARMOR_DFA_DEAD && to != KARMOR_DFA_DEAD))
				return kl_fail(err, errlen, name, "the pattern automaton's state %llu goes to state %u (of %u)",
					       (unsigned long long)s, to, n);
		}
	for (uint32_t s = 0; s < n; s++) {
		uint32_t a = w[karmor_dfa_accept(n, k) + s], b = w[karmor_dfa_below(n, k) + s];
		if (a > n || b > n || (s == KARMOR_DFA_DEAD && (a || b)))
			return kl_fail(err, errlen, name, "the pattern automaton's state %u names glob sets %u and %u", s, a,
				       b);
	}
	img->dfa = w;
	return 0;
}

static int kl_cmp_u(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

/* A rule id of the syscall section: 0, or one of the target's syscall rules (class 4). */
static bool kl_sys_rule_ok(const struct karmor_image_header *h, const struct karmor_image_rule *rules, uint32_t id)
{
	return id == 0 || (id <= h->nrules && rules[id - 1].cls == 4);
}

/* The syscall section (bpf/karmor.h: syscall rules): keys of known roles, syscalls and slots,
 * path keys only for syscalls that take a path, rule ids of syscall rules, sorted, no
 * duplicates, and the target's flag set exactly when there are records. */
static int kl_validate_sys(struct kl_image *img, const char *strtab, const struct karmor_image_rule *rules,
			   const char *name, char *err, size_t errlen)
{
	const struct karmor_image_header *h = img->hdr;
	const struct karmor_image_sys *sys = (const void *)(img->data + h->sys_off);
	if (!!(h->flags & KARMOR_TF_SYSCALLS) != (h->nsys > 0))
		return kl_fail(err, errlen, name, "the syscall flag disagrees with %u syscall entries", h->nsys);
	for (uint32_t i = 0; i < h->nsys; i++) {
		const struct karmor_image_sys *e = &sys[i];
		const struct karmor_sys_value *v = &e->value;
		if (!kl_str_ok(h, e->str))
			return kl_fail(err, errlen, name, "syscall entry %u: string id %u is outside the string table", i,
				       e->str);
		const char *str = strtab + e->str;
		size_t len = strlen(str);
		if (e->nr >= KARMOR_SYS_COUNT || e->source > h->nsources || e->pad[0] || e->pad[1] || e->pad[2])
			return kl_fail(err, errlen, name, "syscall entry %u: syscall %u or source slot %u out of range", i,
				       e->nr, e->source);
		if (!kl_sys_rule_ok(h, rules, v->audit) || !kl_sys_rule_ok(h, rules, v->direct))
			return kl_fail(err, errlen, name, "syscall entry %u: a rule id is not one of the target's syscall "
				       "rules", i);
		bool ok;
		if (e->role == KARMOR_SYS_ROLE_CALL)
			ok = len == 0 && !v->direct && !(v->flags & ~KARMOR_SYSF_PATHS) && (v->audit || v->flags);
		else if (e->role == KARMOR_ROLE_EXACT)
			ok = len > 1 && str[0] == '/' && str[len - 1] != '/' && !v->direct && !v->flags && v->audit;
		else if (e->role == KARMOR_ROLE_DIR)
			ok = len > 0 && str[0] == '/' && str[len - 1] == '/' && !v->flags && (v->audit || v->direct);
		else
			ok = false;
		if (ok && e->role != KARMOR_SYS_ROLE_CALL)
			ok = (karmor_sys_path_arg(e->nr) & KARMOR_SYSP_PATH) != 0;
		if (!ok)
			return kl_fail(err, errlen, name, "syscall entry %u ('%s', syscall %u): role %u or its value is "
				       "invalid", i, str, e->nr, e->role);
		if (i > 0) {
			const struct karmor_image_sys *q = &sys[i - 1];
			int c = kl_cmp_u(q->role, e->role);
			if (!c)
				c = kl_cmp_u(q->source, e->source);
			if (!c)
				c = kl_cmp_u(q->nr, e->nr);
			if (!c)
				c = strcmp(strtab + q->str, str);
			if (c >= 0)
				return kl_fail(err, errlen, name, "syscall entry %u ('%s') is out of order or a duplicate", i,
					       str);
		}
	}
	img->sys = sys;
	return 0;
}

/* Validates img->data[0..size); on success sets the section pointers. */
/* bsearch: a key's last component (the NUL-terminated tail of its string) against a name key */
static int kl_name_cmp(const void *key, const void *elem)
{
	const char *const *k = key;
	return strcmp(k[0], k[1] + ((const struct karmor_image_path *)elem)->str);
}

/* The name filter (bpf/karmor.h): file_open allows an object whose name no ROLE_NAME key holds
 * without looking further, so the flag may stand only where exact and exec-name keys alone
 * decide the file class, and only with the name of each of them; ROLE_NAME keys only with it. */
static int kl_names_check(const struct karmor_image_header *h, const struct karmor_image_path *paths,
			  const char *strtab, char *err, size_t errlen, const char *name)
{
	uint32_t first = h->npaths;	/* ROLE_NAME keys sort last (role first): [first, npaths) */
	while (first > 0 && paths[first - 1].role == KARMOR_ROLE_NAME)
		first--;
	bool flag = (h->flags & KARMOR_TF_NAMES_FILE) != 0;
	if (!flag && first < h->npaths)
		return kl_fail(err, errlen, name, "name keys without the name filter flag");
	if (!flag)
		return 0;
	if (h->allow_list[KARMOR_PC_FILE] || h->dfa_words)
		return kl_fail(err, errlen, name, "the name filter flag on a target with a file allow-list or globs");
	for (uint32_t i = first; i < h->npaths; i++)
		if (paths[i].cls != KARMOR_CLS_FILE || paths[i].source != 0)
			return kl_fail(err, errlen, name, "path entry %u: a name key of class %u, source slot %u", i,
				       paths[i].cls, paths[i].source);
	for (uint32_t i = 0; i < first; i++) {
		const struct karmor_image_path *p = &paths[i];
		if (p->cls != KARMOR_CLS_FILE || p->role == KARMOR_ROLE_ANC)
			continue;
		if (p->role != KARMOR_ROLE_EXACT && p->role != KARMOR_ROLE_EXECNAME)
			return kl_fail(err, errlen, name, "path entry %u: a file key of role %u under the name filter flag",
				       i, p->role);
		const char *s = strtab + p->str, *slash = strrchr(s, '/');
		const char *k[2] = {slash ? slash + 1 : s, strtab};
		if (!bsearch(k, paths + first, h->npaths - first, sizeof(*paths), kl_name_cmp))
			return kl_fail(err, errlen, name, "path entry %u ('%.58s'): its name is not a name key, so the "
				       "name filter would pass what it matches", i, s);
	}
	return 0;
}

static int kl_validate(struct kl_image *img, const char *name, char *err, size_t errlen)
{
	const unsigned char *d = img->data;
	size_t size = img->size;
	if (size < sizeof(struct karmor_image_header) + KL_SHA_BYTES)
		return kl_fail(err, errlen, name, "%zu bytes is too short for a map image (truncated?)", size);
	const struct karmor_image_header *h = (const void *)d;
	if (memcmp(h->magic, KARMOR_IMAGE_MAGIC, 8) != 0)
		return kl_fail(err, errlen, name, "not a karmor map image (bad magic)");
	if (h->version != KARMOR_IMAGE_VERSION)
		return kl_fail(err, errlen, name, "image format version %u, this program reads version %u", h->version,
			       KARMOR_IMAGE_VERSION);
	if (h->endian != KARMOR_IMAGE_LITTLE)
		return kl_fail(err, errlen, name, "endian field %u: only little-endian images (1) are read", h->endian);
	if (h->header_size != sizeof(*h))
		return kl_fail(err, errlen, name, "header size %u, expected %zu", h->header_size, sizeof(*h));
	if (h->file_size != size)
		return kl_fail(err, errlen, name, "the header says %llu bytes, the file has %zu (truncated or extended)",
			       (unsigned long long)h->file_size, size);
	unsigned char md[KL_SHA_BYTES];
	crypto_hash_sha256(md, d, size - KL_SHA_BYTES);
	if (sodium_memcmp(md, d + size - KL_SHA_BYTES, KL_SHA_BYTES) != 0)
		return kl_fail(err, errlen, name, "SHA-256 checksum mismatch: the image is corrupt");
	if (h->flags & ~(uint32_t)KL_TF_KNOWN)
		return kl_fail(err, errlen, name, "unknown target flags 0x%x", h->flags & ~(uint32_t)KL_TF_KNOWN);
	for (int c = 0; c < KARMOR_PC_COUNT; c++)
		if (h->allow_list[c] > 1 || h->posture[c] > KARMOR_POSTURE_BLOCK)
			return kl_fail(err, errlen, name, "class %d: allow-list %u / posture %u out of range", c,
				       h->allow_list[c], h->posture[c]);
	if (h->nsources > KARMOR_MAX_SOURCES)
		return kl_fail(err, errlen, name, "%u fromSource slots, more than %d", h->nsources, KARMOR_MAX_SOURCES);
	if (!!(h->flags & KARMOR_TF_SOURCES) != (h->nsources > 0))
		return kl_fail(err, errlen, name, "the sources flag disagrees with %u fromSource slots", h->nsources);
	if (h->nrules > KARMOR_MAX_RULES || h->npaths > KARMOR_MAP_MAX_ENTRIES || h->nnets > KARMOR_MAP_MAX_ENTRIES ||
	    h->ncaps > KARMOR_MAP_MAX_ENTRIES || h->nsrcs > KARMOR_MAP_MAX_ENTRIES || h->nsys > KARMOR_MAP_MAX_ENTRIES)
		return kl_fail(err, errlen, name, "a record count exceeds what a map can hold (rules %u, paths %u, "
			       "network %u, capabilities %u, sources %u; at most %u rules, %u entries of a map)",
			       h->nrules, h->npaths, h->nnets, h->ncaps, h->nsrcs, KARMOR_MAX_RULES, KARMOR_MAP_MAX_ENTRIES);

	uint64_t end = sizeof(*h);
	if (!kl_section(h, h->rules_off, h->nrules, sizeof(struct karmor_image_rule), &end, "rules", err, errlen, name) ||
	    !kl_section(h, h->paths_off, h->npaths, sizeof(struct karmor_image_path), &end, "paths", err, errlen, name) ||
	    !kl_section(h, h->nets_off, h->nnets, sizeof(struct karmor_image_id), &end, "network", err, errlen, name) ||
	    !kl_section(h, h->caps_off, h->ncaps, sizeof(struct karmor_image_id), &end, "capabilities", err, errlen,
			name) ||
	    !kl_section(h, h->srcs_off, h->nsrcs, sizeof(struct karmor_image_src), &end, "sources", err, errlen, name) ||
	    !kl_section(h, h->ident_off, h->ident_size, 1, &end, "identity", err, errlen, name) ||
	    !kl_section(h, h->dfa_off, karmor_round8((uint64_t)h->dfa_words * 4), 1, &end, "pattern", err, errlen,
			name) ||
	    !kl_section(h, h->sys_off, h->nsys, sizeof(struct karmor_image_sys), &end, "syscall", err, errlen, name) ||
	    !kl_section(h, h->strtab_off, h->strtab_size, 1, &end, "strings", err, errlen, name))
		return -1;
	if (end != size - KL_SHA_BYTES)
		return kl_fail(err, errlen, name, "%llu bytes between the strings and the checksum",
			       (unsigned long long)(size - KL_SHA_BYTES - end));
	const char *strtab = (const char *)d + h->strtab_off;
	if (h->strtab_size == 0 || strtab[h->strtab_size - 1] != '\0' || strtab[0] != '\0')
		return kl_fail(err, errlen, name, "the string table does not start and end with a NUL");
	if (!kl_str_ok(h, h->name) || !kl_str_ok(h, h->describe) || !kl_str_ok(h, h->karmorc_version))
		return kl_fail(err, errlen, name, "a header string id is outside the string table (%u bytes)",
			       h->strtab_size);
	const char *tname = strtab + h->name;
	if (!*tname || strchr(tname, '/') || strcmp(tname, ".") == 0 || strcmp(tname, "..") == 0)
		return kl_fail(err, errlen, name, "the target name '%s' is not a usable file name", tname);
	img->hdr = h;
	if (kl_validate_identity(img, strtab, name, err, errlen))
		return -1;
	if (kl_validate_dfa(img, name, err, errlen))
		return -1;
	/* set ids (ROLE_PATTERN, ROLE_BELOW keys) are below these */
	uint32_t max_accept = 0, max_below = 0;
	if (img->dfa) {
		uint32_t n = img->dfa[KARMOR_DFA_NSTATES], k = img->dfa[KARMOR_DFA_NCLASSES];
		for (uint32_t i = 0; i < n; i++) {
			uint32_t a = img->dfa[karmor_dfa_accept(n, k) + i], b = img->dfa[karmor_dfa_below(n, k) + i];
			max_accept = a > max_accept ? a : max_accept;
			max_below = b > max_below ? b : max_below;
		}
	}

	const struct karmor_image_rule *rules = (const void *)(d + h->rules_off);
	for (uint32_t i = 0; i < h->nrules; i++) {
		const struct karmor_image_rule *r = &rules[i];
		if (!kl_str_ok(h, r->policy) || !kl_str_ok(h, r->namespace_) || !kl_str_ok(h, r->kind) ||
		    !kl_str_ok(h, r->tags) || !kl_str_ok(h, r->message) || !kl_str_ok(h, r->file) ||
		    !kl_str_ok(h, r->target))
			return kl_fail(err, errlen, name, "rule %u: a string id is outside the string table", i + 1);
		if (r->severity > 10 || r->action > KARMOR_BLOCK || r->cls >= KL_RULE_CLASSES)
			return kl_fail(err, errlen, name, "rule %u: severity %u, action %u or class %u out of range", i + 1,
				       r->severity, r->action, r->cls);
	}

	const struct karmor_image_path *paths = (const void *)(d + h->paths_off);
	uint32_t dirs = 0;	/* the KARMOR_TF_DIRS_* flags the keys call for */
	for (uint32_t i = 0; i < h->npaths; i++) {
		const struct karmor_image_path *p = &paths[i];
		if (p->role > KARMOR_ROLE_NAME || p->cls > KARMOR_CLS_FILE || p->source > h->nsources)
			return kl_fail(err, errlen, name, "path entry %u: role %u, class %u or source slot %u out of range", i,
				       p->role, p->cls, p->source);
		if (p->role == KARMOR_ROLE_DIR)
			dirs |= p->cls == KARMOR_CLS_PROCESS ? KARMOR_TF_DIRS_PROC : KARMOR_TF_DIRS_FILE;
		/* a set of globs: its id names accepting states of the automaton; else a string */
		bool set = p->role == KARMOR_ROLE_PATTERN || p->role == KARMOR_ROLE_BELOW;
		char what[64];
		if (set) {
			uint32_t most = p->role == KARMOR_ROLE_PATTERN ? max_accept : max_below;
			if (!p->str || p->str > most || (p->role == KARMOR_ROLE_BELOW && p->cls != KARMOR_CLS_FILE))
				return kl_fail(err, errlen, name, "path entry %u: glob set %u of role %u is not one the "
					       "automaton names (at most %u)", i, p->str, p->role, most);
			snprintf(what, sizeof(what), "glob set %u", p->str);
		} else {
			if (!kl_str_ok(h, p->str))
				return kl_fail(err, errlen, name, "path entry %u: string id %u is outside the string table", i,
					       p->str);
			const char *s = strtab + p->str;
			size_t len = strlen(s);
			bool ok = p->role == KARMOR_ROLE_EXECNAME || p->role == KARMOR_ROLE_NAME ? len > 0 && !strchr(s, '/')
				  : p->role == KARMOR_ROLE_DIR	   ? len > 0 && s[0] == '/' && s[len - 1] == '/'
								   : len > 1 && s[0] == '/' && s[len - 1] != '/';
			if (!ok)
				return kl_fail(err, errlen, name, "path entry %u: '%s' is not a valid key for role %u", i, s,
					       p->role);
			snprintf(what, sizeof(what), "'%.58s'", s);
		}
		for (int part = 0; part < KARMOR_NPARTS; part++)
			for (int v = 0; v < KARMOR_NVARIANTS; v++)
				if (!kl_effect_ok(h, &p->value.e[part][v], !set))	/* the baseline grants strings only */
					return kl_fail(err, errlen, name, "path entry %u (%s): a rule id is not one of the %u "
						       "rules", i, what, h->nrules);
		if (i > 0) {
			const struct karmor_image_path *q = &paths[i - 1];
			int c = kl_cmp_u(q->role, p->role);
			if (!c)
				c = kl_cmp_u(q->cls, p->cls);
			if (!c)
				c = kl_cmp_u(q->source, p->source);
			if (!c)
				c = set ? kl_cmp_u(q->str, p->str) : strcmp(strtab + q->str, strtab + p->str);
			if (c >= 0)
				return kl_fail(err, errlen, name, "path entry %u (%s) is out of order or a duplicate", i, what);
		}
	}
	/* the programs skip the prefix lookups of a class whose flag is clear */
	if ((h->flags & (KARMOR_TF_DIRS_PROC | KARMOR_TF_DIRS_FILE)) != dirs)
		return kl_fail(err, errlen, name, "the directory flags (0x%x) do not match the directory keys (0x%x)",
			       h->flags & (KARMOR_TF_DIRS_PROC | KARMOR_TF_DIRS_FILE), dirs);
	if (kl_names_check(h, paths, strtab, err, errlen, name))
		return -1;

	const struct karmor_image_id *sets[2] = {(const void *)(d + h->nets_off), (const void *)(d + h->caps_off)};
	const uint32_t counts[2] = {h->nnets, h->ncaps};
	for (int k = 0; k < 2; k++) {
		const char *what = k ? "capability" : "network";
		for (uint32_t i = 0; i < counts[k]; i++) {
			const struct karmor_image_id *e = &sets[k][i];
			bool id_ok = k ? e->id < KL_CAP_COUNT : e->id > KARMOR_PROTO_NONE && e->id < KARMOR_PROTO_COUNT;
			if (!id_ok || e->source > h->nsources)
				return kl_fail(err, errlen, name, "%s entry %u: id %u or source slot %u out of range", what, i,
					       e->id, e->source);
			if (!kl_effect_ok(h, &e->e, false))
				return kl_fail(err, errlen, name, "%s entry %u: a rule id is not one of the %u rules", what, i,
					       h->nrules);
			if (i > 0) {
				const struct karmor_image_id *q = &sets[k][i - 1];
				int c = kl_cmp_u(q->source, e->source);
				if (!c)
					c = kl_cmp_u(q->id, e->id);
				if (c >= 0)
					return kl_fail(err, errlen, name, "%s entry %u is out of order or a duplicate", what, i);
			}
		}
	}

	const struct karmor_image_src *srcs = (const void *)(d + h->srcs_off);
	for (uint32_t i = 0; i < h->nsrcs; i++) {
		const struct karmor_image_src *s = &srcs[i];
		if (!kl_str_ok(h, s->str))
			return kl_fail(err, errlen, name, "source entry %u: string id %u is outside the string table", i,
				       s->str);
		const char *str = strtab + s->str;
		size_t len = strlen(str);
		const struct karmor_src_value *v = &s->value;
		bool ok;
		if (s->role == KARMOR_ROLE_EXACT)
			ok = len > 1 && str[0] == '/' && str[len - 1] != '/' && v->exact && !v->recursive && !v->direct;
		else if (s->role == KARMOR_ROLE_DIR)
			ok = len > 0 && str[0] == '/' && str[len - 1] == '/' && !v->exact && (v->recursive || v->direct);
		else
			ok = false;
		if (!ok || v->exact > h->nsources || v->recursive > h->nsources || v->direct > h->nsources)
			return kl_fail(err, errlen, name, "source entry %u ('%s'): role %u or slots %u/%u/%u invalid "
				       "(%u slots)", i, str, s->role, v->exact, v->recursive, v->direct, h->nsources);
		if (i > 0) {
			const struct karmor_image_src *q = &srcs[i - 1];
			int c = kl_cmp_u(q->role, s->role);
			if (!c)
				c = strcmp(strtab + q->str, str);
			if (c >= 0)
				return kl_fail(err, errlen, name, "source entry %u ('%s') is out of order or a duplicate", i,
					       str);
		}
	}

	if (kl_validate_sys(img, strtab, rules, name, err, errlen))
		return -1;
	img->hdr = h;
	img->rules = rules;
	img->paths = paths;
	img->nets = sets[0];
	img->caps = sets[1];
	img->srcs = srcs;
	img->strtab = strtab;
	return 0;
}

/* Takes ownership of data (freed on failure). */
static int kl_image_adopt(unsigned char *data, size_t size, const char *name, struct kl_image *img, char *err,
			  size_t errlen)
{
	memset(img, 0, sizeof(*img));
	img->data = data;
	img->size = size;
	if (sodium_init() < 0) {
		kl_image_free(img);
		return kl_fail(err, errlen, name, "libsodium cannot be initialised");
	}
	if (kl_validate(img, name, err, errlen) != 0) {
		kl_image_free(img);
		return -1;
	}
	return 0;
}

int kl_image_parse(const void *data, size_t size, const char *name, struct kl_image *img, char *err, size_t errlen)
{
	memset(img, 0, sizeof(*img));
	if (size > KL_IMAGE_MAX_BYTES)
		return kl_fail(err, errlen, name, "%zu bytes is larger than any map image can be", size);
	unsigned char *copy = malloc(size ? size : 1);
	if (!copy)
		return kl_fail(err, errlen, name, "out of memory");
	if (size)
		memcpy(copy, data, size);
	return kl_image_adopt(copy, size, name, img, err, errlen);
}

int kl_image_read(const char *file, struct kl_image *img, char *err, size_t errlen)
{
	memset(img, 0, sizeof(*img));
	FILE *f = fopen(file, "rb");
	if (!f)
		return kl_fail(err, errlen, file, "%s", strerror(errno));
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			if (cap >= KL_IMAGE_MAX_BYTES) {
				free(buf);
				fclose(f);
				return kl_fail(err, errlen, file, "larger than any map image can be");
			}
			cap = cap ? cap * 2 : 65536;
			unsigned char *nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return kl_fail(err, errlen, file, "out of memory");
			}
			buf = nb;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;
		free(buf);
		fclose(f);
		return kl_fail(err, errlen, file, "%s", strerror(e));
	}
	fclose(f);
	return kl_image_adopt(buf, len, file, img, err, errlen);
}

void kl_image_free(struct kl_image *img)
{
	free(img->data);
	memset(img, 0, sizeof(*img));
}

int kl_map_sizes(const struct karmor_map_counts *c, uint32_t max_entries[KARMOR_BM_COUNT], char *err, size_t errlen)
{
	for (enum karmor_budget_map m = 0; m < KARMOR_BM_COUNT; m++) {
		const struct karmor_map_desc *d = karmor_map_desc(m);
		uint64_t n = karmor_map_entries(c, m), limit = karmor_map_limit(m);
		if (d->sized && n > limit) {
			snprintf(err, errlen, "the images need %" PRIu64 " entries of the %s (%s), more than the %" PRIu64
				 " it can hold%s", n, d->what, d->name, limit,
				 m == KARMOR_BM_TARGETS || m == KARMOR_BM_COUNTERS ? " (targets loaded at once)"
										 : " (the kernel's limit for a hash map)");
			return -1;
		}
		max_entries[m] = n ? (uint32_t)n : 1;	/* the kernel refuses an empty map */
	}
	return 0;
}
