/*
 * bpf-emulate: the BPF backend's map images judged by the kernel's own algorithm, on
 * the host.  For every scenario file it runs `karmorc compile --target=bpf --scenario`,
 * loads each image as karmor-loader does (kl_image_read, strings hashed with a random
 * seed into hash tables keyed like the kernel's maps), and performs every case the
 * manifest does not skip exactly as the BPF programs would: the source slots from the
 * karmor_srcs scan of the executable, the path scan of bpf/karmor.h with the
 * karmor_match_* functions, the network and capability lookups, karmor_decide, and for a
 * syscall the tracepoints' judgement (bpf/karmor.h, "syscall rules": the karmor_sys keys,
 * karmor_sys_normalize, karmor_sys_match_*) beside the path hooks' for a syscall that
 * writes its path.  The
 * verdict must be the case's `expect` (which `karmorc test` proves is the model's), and
 * for Audit and Block the rule an event would name (the image's rule table) must be the
 * one the verdict model names (kc_decide on the same scenario, loaded in-process):
 * the same policy, file, line and column, or DefaultPosture.
 *
 *   bpf-emulate [--karmorc FILE] [--seed N] [-v] [SCENARIO_FILE...]
 *   bpf-emulate --patterns [--seed N] [POLICY_PATH...]     (tests/bpf_patterns.c)
 *
 * Default: every scenario file under testdata/scenarios/ (not under policies/), run
 * from the source tree's top directory.  Prints one line per failed case (file, case,
 * expected, got), the skipped cases per code, and "N passed, M failed".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../compiler/pipeline.h"
#include "../compiler/scenario.h"
#include "../compiler/verdict.h"
#include "../frontend/schema.h"
#include "../runtime-loader/image.h"
#include "bpf_emulate.h"

void emu_oom(void)
{
	fputs("bpf-emulate: out of memory\n", stderr);
	exit(3);
}

void *emu_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		emu_oom();
	return q;
}

char *emu_xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		emu_oom();
	return d;
}

/* ---- a hash table with the kernel maps' keys (two 64-bit words) ---- */

struct emu_map {
	uint64_t (*keys)[2];
	const void **vals;
	size_t cap, n;
};

static size_t emu_slot(const struct emu_map *m, uint64_t k0, uint64_t k1)
{
	uint64_t h = (k0 ^ (k1 * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;
	return (size_t)(h ^ (h >> 29)) & (m->cap - 1);
}

/* inserts (the loader refuses a duplicate key; so do we) */
static bool emu_put(struct emu_map *m, uint64_t k0, uint64_t k1, const void *v)
{
	if (2 * (m->n + 1) > m->cap) {
		struct emu_map bigger = {NULL, NULL, m->cap ? m->cap * 2 : 1024, 0};
		bigger.keys = calloc(bigger.cap, sizeof(*bigger.keys));
		bigger.vals = calloc(bigger.cap, sizeof(*bigger.vals));
		if (!bigger.keys || !bigger.vals)
			emu_oom();
		for (size_t i = 0; i < m->cap; i++)
			if (m->vals[i])
				emu_put(&bigger, m->keys[i][0], m->keys[i][1], m->vals[i]);
		free(m->keys);
		free(m->vals);
		*m = bigger;
	}
	size_t i = emu_slot(m, k0, k1);
	while (m->vals[i]) {
		if (m->keys[i][0] == k0 && m->keys[i][1] == k1)
			return false;
		i = (i + 1) & (m->cap - 1);
	}
	m->keys[i][0] = k0;
	m->keys[i][1] = k1;
	m->vals[i] = v;
	m->n++;
	return true;
}

static const void *emu_get(const struct emu_map *m, uint64_t k0, uint64_t k1)
{
	if (!m->cap)
		return NULL;
	size_t i = emu_slot(m, k0, k1);
	while (m->vals[i]) {
		if (m->keys[i][0] == k0 && m->keys[i][1] == k1)
			return m->vals[i];
		i = (i + 1) & (m->cap - 1);
	}
	return NULL;
}

static void emu_map_free(struct emu_map *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- the kernel's state: targets and maps ---- */

struct emu_kernel {
	uint64_t seed;
	struct kl_image *images;	/* slot = index */
	struct karmor_target *targets;
	size_t ntargets;
	struct emu_map paths, nets, caps, srcs;
	struct emu_map sys;	/* karmor_sys: (hash, emu_sys_k1) */
};

/* karmor_sys's key without its hash (targets of a scenario are far fewer than 2^24) */
static uint64_t emu_sys_k1(uint32_t target, uint16_t source, uint16_t nr, uint8_t role)
{
	return (uint64_t)target << 40 | (uint64_t)source << 24 | (uint64_t)nr << 8 | role;
}

static uint64_t emu_path_k1(uint32_t target, uint16_t source, uint8_t role, uint8_t cls)
{
	return (uint64_t)target << 32 | (uint64_t)source << 16 | (uint64_t)role << 8 | cls;
}

static uint64_t emu_id_k1(uint32_t target, uint16_t source, uint16_t id)
{
	return (uint64_t)target << 32 | (uint64_t)source << 16 | id;
}

/* What karmor-loader does with one image: a target slot and its map entries. */
static bool emu_load(struct emu_kernel *k, struct kl_image *img, const char *file)
{
	uint32_t slot = (uint32_t)k->ntargets;
	const struct karmor_image_header *h = img->hdr;
	k->images = emu_xrealloc(k->images, (k->ntargets + 1) * sizeof(*k->images));
	k->targets = emu_xrealloc(k->targets, (k->ntargets + 1) * sizeof(*k->targets));
	k->images[slot] = *img;
	struct karmor_target *t = &k->targets[slot];
	memset(t, 0, sizeof(*t));
	t->flags = h->flags | KARMOR_TF_LOADED;
	memcpy(t->allow_list, h->allow_list, sizeof(t->allow_list));
	memcpy(t->posture, h->posture, sizeof(t->posture));
	t->nsources = h->nsources;
	k->ntargets++;
	img = &k->images[slot];
	t->dfa = img->dfa ? 1 : 0;	/* (the kernel's base; here the image's own words) */
	for (uint32_t i = 0; i < h->npaths; i++) {
		const struct karmor_image_path *p = &img->paths[i];
		bool set = p->role == KARMOR_ROLE_PATTERN || p->role == KARMOR_ROLE_BELOW;
		if (set) {	/* the key of a set of globs is its id */
			if (!emu_put(&k->paths, p->str, emu_path_k1(slot, p->source, p->role, p->cls), &p->value))
				return false;
			continue;
		}
		if (!emu_put(&k->paths, karmor_hash_string(k->seed, kl_image_str(img, p->str)),
			     emu_path_k1(slot, p->source, p->role, p->cls), &p->value)) {
			fprintf(stderr, "bpf-emulate: %s: path key '%s' twice (or a hash collision)\n", file,
				kl_image_str(img, p->str));
			return false;
		}
	}
	for (uint32_t i = 0; i < h->nnets; i++)
		if (!emu_put(&k->nets, 0, emu_id_k1(slot, img->nets[i].source, img->nets[i].id), &img->nets[i].e))
			return false;
	for (uint32_t i = 0; i < h->ncaps; i++)
		if (!emu_put(&k->caps, 0, emu_id_k1(slot, img->caps[i].source, img->caps[i].id), &img->caps[i].e))
			return false;
	for (uint32_t i = 0; i < h->nsrcs; i++) {
		const struct karmor_image_src *s = &img->srcs[i];
		if (!emu_put(&k->srcs, karmor_hash_string(k->seed, kl_image_str(img, s->str)),
			     (uint64_t)slot << 32 | s->role, &s->value))
			return false;
	}
	for (uint32_t i = 0; i < h->nsys; i++) {
		const struct karmor_image_sys *y = &img->sys[i];
		uint64_t hash = y->role == KARMOR_SYS_ROLE_CALL ? 0 : karmor_hash_string(k->seed, kl_image_str(img, y->str));
		if (slot >= 1u << 24 || !emu_put(&k->sys, hash, emu_sys_k1(slot, y->source, y->nr, y->role), &y->value)) {
			fprintf(stderr, "bpf-emulate: %s: syscall key '%s' (syscall %u) twice (or a hash collision)\n", file,
				kl_image_str(img, y->str), y->nr);
			return false;
		}
	}
	return true;
}

static void emu_kernel_free(struct emu_kernel *k)
{
	for (size_t i = 0; i < k->ntargets; i++)
		kl_image_free(&k->images[i]);
	free(k->images);
	free(k->targets);
	emu_map_free(&k->paths);
	emu_map_free(&k->nets);
	emu_map_free(&k->caps);
	emu_map_free(&k->srcs);
	emu_map_free(&k->sys);
	memset(k, 0, sizeof(*k));
}

/* ---- what the programs do ---- */

/* fromSource slots of an executable: the karmor_srcs scan (bpf/karmor.h) */
static void emu_task_slots(const struct emu_kernel *k, uint32_t target, const char *exe, __u16 *slots, __u8 *n)
{
	*n = 0;
	if (!(k->targets[target].flags & KARMOR_TF_SOURCES) || !exe || exe[0] != '/')
		return;
	__u64 h = k->seed;
	__u16 pending = 0;
	for (const char *c = exe; *c; c++) {
		h = karmor_hash_step(h, (unsigned char)*c);
		if (*c != '/')
			continue;
		pending = 0;
		const struct karmor_src_value *v =
			emu_get(&k->srcs, karmor_hash_final(h), (uint64_t)target << 32 | KARMOR_ROLE_DIR);
		if (v) {
			karmor_slots_add(slots, n, v->recursive);
			pending = v->direct;
		}
	}
	karmor_slots_add(slots, n, pending);	/* the last prefix was the parent */
	const struct karmor_src_value *v =
		emu_get(&k->srcs, karmor_hash_final(h), (uint64_t)target << 32 | KARMOR_ROLE_EXACT);
	if (v)
		karmor_slots_add(slots, n, v->exact);
}

/* The path scan of bpf/karmor.h for a resolved path (no trailing '/'; the root is "/").
 * The object's type does not matter: D itself of a dir rule "D/" is the exact key "D". */
static int emu_path_verdict(const struct emu_kernel *k, uint32_t target, const __u16 *slots, __u8 nslots,
			    const char *path, bool is_dir, uint8_t cls, bool reads, bool writes, bool owner, __u32 *rule)
{
	const struct karmor_target *t = &k->targets[target];
	__u16 sources[KARMOR_MAX_TASK_SOURCES + 1];
	int nsrc = 0;
	sources[nsrc++] = 0;
	for (int i = 0; i < nslots; i++)
		sources[nsrc++] = slots[i];
	struct karmor_match m;
	karmor_match_init(&m, reads, writes, owner);
	__u64 h = k->seed, hbase = k->seed;
	for (const char *c = path; *c; c++) {
		h = karmor_hash_step(h, (unsigned char)*c);
		if (*c == '/') {
			karmor_match_begin_prefix(&m);
			/* as the programs: a class without dir keys skips the lookups */
			bool dirs = t->flags & (cls == KARMOR_CLS_PROCESS ? KARMOR_TF_DIRS_PROC : KARMOR_TF_DIRS_FILE);
			for (int s = 0; dirs && s < nsrc; s++) {
				const struct karmor_path_value *v =
					emu_get(&k->paths, karmor_hash_final(h), emu_path_k1(target, sources[s], KARMOR_ROLE_DIR, cls));
				if (v)
					karmor_match_dir(&m, v);
			}
			hbase = k->seed;
		} else {
			hbase = karmor_hash_step(hbase, (unsigned char)*c);
		}
	}
	karmor_match_end_prefixes(&m);
	const __u32 *dfa = k->images[target].dfa;
	if (t->dfa && dfa) {
		uint32_t st = karmor_dfa_walk(dfa, KARMOR_DFA_START, path);
		if (is_dir && strcmp(path, "/") != 0)
			st = karmor_dfa_walk(dfa, st, "/");	/* a directory's glob match is with its '/' */
		__u32 id = dfa[karmor_dfa_accept(dfa[KARMOR_DFA_NSTATES], dfa[KARMOR_DFA_NCLASSES]) + st];
		for (int s = 0; id && s < nsrc; s++) {
			const struct karmor_path_value *v =
				emu_get(&k->paths, id, emu_path_k1(target, sources[s], KARMOR_ROLE_PATTERN, cls));
			if (v)
				karmor_match_main(&m, v);
		}
	}
	if (strcmp(path, "/") != 0) {
		bool execname = !is_dir &&
				(t->flags & (cls == KARMOR_CLS_PROCESS ? KARMOR_TF_EXECNAME_PROC : KARMOR_TF_EXECNAME_FILE));
		for (int s = 0; s < nsrc; s++) {
			const struct karmor_path_value *v =
				emu_get(&k->paths, karmor_hash_final(h),
					emu_path_k1(target, sources[s], is_dir ? KARMOR_ROLE_SELF : KARMOR_ROLE_EXACT, cls));
			if (v)
				karmor_match_main(&m, v);	/* also D itself of a dir rule "D/" */
			if (execname) {
				v = emu_get(&k->paths, karmor_hash_final(hbase),
					    emu_path_k1(target, sources[s], KARMOR_ROLE_EXECNAME, cls));
				if (v)
					karmor_match_main(&m, v);
			}
		}
	}
	return karmor_match_verdict(&m, t->allow_list[KARMOR_PC_FILE], t->posture[KARMOR_PC_FILE], rule);
}

/* file_open's name filter (bpf/karmor.h): the target has no file key ending with the path's
 * last component, so the open is a plain Allow without the scan (the root is a mount's root,
 * which the program never filters) */
static bool emu_unnamed(const struct emu_kernel *k, uint32_t target, const char *path)
{
	if (!(k->targets[target].flags & KARMOR_TF_NAMES_FILE) || !strcmp(path, "/"))
		return false;
	__u64 h = k->seed;
	for (const char *c = strrchr(path, '/') + 1; *c; c++)
		h = karmor_hash_step(h, (unsigned char)*c);
	return !emu_get(&k->paths, karmor_hash_final(h), emu_path_k1(target, 0, KARMOR_ROLE_NAME, KARMOR_CLS_FILE));
}

static int emu_id_verdict(const struct emu_kernel *k, const struct emu_map *map, int pclass, uint32_t target,
			  const __u16 *slots, __u8 nslots, const __u16 *ids, int nids, __u32 *rule)
{
	const struct karmor_target *t = &k->targets[target];
	struct karmor_effect acc = {0, 0, 0};
	for (int s = -1; s < nslots; s++) {
		__u16 src = s < 0 ? 0 : slots[s];
		for (int i = 0; i < nids; i++) {
			const struct karmor_effect *e = emu_get(map, 0, emu_id_k1(target, src, ids[i]));
			if (e)
				karmor_acc_add(&acc, e);
		}
	}
	return karmor_id_verdict(&acc, t->allow_list[pclass], t->posture[pclass], rule);
}

/* The syscall tracepoint's judgement (bpf/karmor.h, "syscall rules") of syscall `name` on
 * `path` (absolute, or NULL): the rule id of its audit, 0 for none. */
static __u32 emu_sys_audit(const struct emu_kernel *k, uint32_t target, const __u16 *slots, __u8 nslots,
			   const char *name, const char *path)
{
	if (!(k->targets[target].flags & KARMOR_TF_SYSCALLS))
		return 0;
	int nr = fe_syscall_number(name);
	if (nr < 0)
		return 0;
	__u16 sources[KARMOR_MAX_TASK_SOURCES + 1];
	int nsrc = 0;
	sources[nsrc++] = 0;
	for (int i = 0; i < nslots; i++)
		sources[nsrc++] = slots[i];
	__u32 audit = 0, pmask = 0;
	for (int s = 0; s < nsrc; s++) {
		const struct karmor_sys_value *v =
			emu_get(&k->sys, 0, emu_sys_k1(target, sources[s], (uint16_t)nr, KARMOR_SYS_ROLE_CALL));
		if (!v)
			continue;
		audit = karmor_min_id(audit, v->audit);
		if (v->flags & KARMOR_SYSF_PATHS)
			pmask |= 1u << s;
	}
	/* the path: the argument the kernel reads, absolute, normalised */
	if (!pmask || !(karmor_sys_path_arg((unsigned)nr) & KARMOR_SYSP_PATH) || !path || path[0] != '/' ||
	    strlen(path) >= KARMOR_SYS_USER_PATH)
		return audit;
	char *p = emu_xstrdup(path);
	karmor_sys_normalize(p);
	struct karmor_sys_match m = {0, 0};
	__u64 h = k->seed;
	for (const char *c = p; *c; c++) {
		h = karmor_hash_step(h, (unsigned char)*c);
		if (*c != '/')
			continue;
		karmor_sys_begin_prefix(&m);
		for (int s = 0; s < nsrc; s++) {
			if (!(pmask & (1u << s)))
				continue;
			const struct karmor_sys_value *v =
				emu_get(&k->sys, karmor_hash_final(h), emu_sys_k1(target, sources[s], (uint16_t)nr, KARMOR_ROLE_DIR));
			if (v)
				karmor_sys_dir(&m, v);
		}
	}
	karmor_sys_end_prefixes(&m);
	if (strcmp(p, "/") != 0) {
		for (int s = 0; s < nsrc; s++) {
			if (!(pmask & (1u << s)))
				continue;
			const struct karmor_sys_value *v = emu_get(&k->sys, karmor_hash_final(h),
								   emu_sys_k1(target, sources[s], (uint16_t)nr, KARMOR_ROLE_EXACT));
			if (v)
				karmor_sys_main(&m, v);
		}
	}
	free(p);
	return karmor_min_id(audit, m.audit);
}

/* The socket the rig's actor makes for a protocol name (scripts/vm/actor.c), as the
 * programs classify it (bpf/karmor.h): 0 = a socket they do not mediate. */
static __u16 emu_protocol(const char *name)
{
	static const struct {
		const char *name;
		__u16 id;
	} tab[] = {
		{"tcp", KARMOR_PROTO_TCP}, {"udp", KARMOR_PROTO_UDP}, {"icmp", KARMOR_PROTO_ICMP},
		{"icmpv6", KARMOR_PROTO_ICMPV6}, {"raw", KARMOR_PROTO_RAW}, {"sctp", KARMOR_PROTO_SCTP},
		{"udplite", KARMOR_PROTO_UDPLITE},
		{"stream", KARMOR_PROTO_TCP},	/* AF_INET SOCK_STREAM 0 */
		{"dgram", KARMOR_PROTO_UDP},	/* AF_INET SOCK_DGRAM 0 */
		{"all", KARMOR_PROTO_TCP},	/* the actor makes a TCP socket */
		/* rdm (SOCK_RDM), seqpacket/unix (AF_UNIX), packet (AF_PACKET), dccp: not mediated */
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcasecmp(tab[i].name, name) == 0)
			return tab[i].id;
	return 0;
}

/* CAP_* of a capability name (case-insensitive, cap_ ignored); 0xffff = no such capability */
static __u16 emu_capability(const char *name)
{
	static const char *const names[] = {
#define FE_CAPABILITY(name, number, crd) [number] = #name,
#include "../frontend/names.def"
	};
	if (strncasecmp(name, "cap_", 4) == 0)
		name += 4;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(names[i], name) == 0)
			return (__u16)i;
	return 0xffff;
}

/* ---- cases.tsv ---- */

enum { C_INDEX, C_NAME, C_PROFILE, C_SOURCE, C_OWNER, C_OP, C_RESOURCE, C_PATH, C_EXPECT, C_SKIP, C_POLICY, C_NCOLS };

struct emu_case {
	char *col[C_NCOLS];
	int line;
};

static char *emu_read_all(const char *file, size_t *len)
{
	FILE *f = fopen(file, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0, got;
	do {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			buf = emu_xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* by enum karmor_verdict, which has the model's order (Allow, Audit, Block) */
static const char *const emu_verdicts[] = {
#define FE_ACTION(e, name, lower) [e] = #name,
#include "../frontend/names.def"
};
_Static_assert((int)IR_ALLOW == (int)KARMOR_ALLOW && (int)IR_AUDIT == (int)KARMOR_AUDIT &&
		       (int)IR_BLOCK == (int)KARMOR_BLOCK,
	       "the image's verdicts have the model's order");

struct emu_totals {
	long pass, fail, skip;
	char **codes;
	long *code_counts;
	size_t ncodes;
};

static void emu_skip(struct emu_totals *tot, const char *code)
{
	tot->skip++;
	for (size_t i = 0; i < tot->ncodes; i++) {
		if (strcmp(tot->codes[i], code) == 0) {
			tot->code_counts[i]++;
			return;
		}
	}
	tot->codes = emu_xrealloc(tot->codes, (tot->ncodes + 1) * sizeof(*tot->codes));
	tot->code_counts = emu_xrealloc(tot->code_counts, (tot->ncodes + 1) * sizeof(*tot->code_counts));
	tot->codes[tot->ncodes] = emu_xstrdup(code);
	tot->code_counts[tot->ncodes++] = 1;
}

static int emu_case(const struct emu_kernel *k, const struct emu_case *c, const char **target_names, __u32 *rule,
		    const char **why)
{
	*rule = KARMOR_RULE_NONE;
	*why = "";
	if (strcmp(c->col[C_PROFILE], "unconfined") == 0)
		return KARMOR_ALLOW;	/* no target is bound to the workload's cgroup */
	uint32_t target = 0;
	while (target < k->ntargets && strcmp(target_names[target], c->col[C_PROFILE]) != 0)
		target++;
	if (target == k->ntargets) {
		*why = "no image for this profile";
		return -1;
	}
	__u16 slots[KARMOR_MAX_TASK_SOURCES];
	__u8 nslots;
	emu_task_slots(k, target, c->col[C_SOURCE], slots, &nslots);
	const char *op = c->col[C_OP], *res = c->col[C_RESOURCE];
	bool owner = strcmp(c->col[C_OWNER], "0") != 0 && strcmp(c->col[C_OWNER], "false") != 0;
	/* a syscall: the tracepoint's audit; one that writes its path also reaches the path
	 * hooks (path_unlink, path_rmdir, path_rename, path_chmod, ...) as a write of it
	 * (DESIGN §4.11, the verdict model's list).  The rig sees both events: a Block from the
	 * hook wins; else the syscall rule's audit names the event, else the hook's audit
	 * (kc_decide's order). */
	if (!strcmp(op, "syscall")) {
		const char *path = c->col[C_PATH][0] == '/' ? c->col[C_PATH] : NULL;
		__u32 sys = emu_sys_audit(k, target, slots, nslots, res, path);
		int w = KARMOR_ALLOW;
		__u32 wrule = KARMOR_RULE_NONE;
		if (path && kc_syscall_writes_path(res)) {
			char *wp = emu_xstrdup(path);
			size_t len = strlen(wp);
			bool is_dir = wp[len - 1] == '/';	/* the kernel knows the object is one */
			while (len > 1 && wp[len - 1] == '/')
				wp[--len] = '\0';
			/* mkdir, mknod, symlink, link: the new name has no inode yet, its owner is the creator */
			bool wowner = owner || kc_syscall_creates_path(res);
			w = emu_path_verdict(k, target, slots, nslots, wp, is_dir, KARMOR_CLS_FILE, false, true, wowner, &wrule);
			free(wp);
		}
		if (w == KARMOR_BLOCK || (!sys && w == KARMOR_AUDIT)) {
			*rule = wrule;
			return w;
		}
		*rule = sys;
		return sys ? KARMOR_AUDIT : KARMOR_ALLOW;
	}
	/* a creation (`create: true`): path_mknod (open with O_CREAT) or path_mkdir judge the
	 * new name as a write by its owner (no inode yet: karmor_owner says the creator's), and
	 * file_open then judges the new file the same way, so one write verdict is both */
	if (!strcmp(op, "create")) {
		op = "write";
		owner = true;
	}
	if (!strcmp(op, "exec") || !strcmp(op, "read") || !strcmp(op, "write")) {
		if (res[0] != '/') {
			*why = "not an absolute path";
			return -1;
		}
		/* the kernel's path of a directory has no trailing '/' (except the root); it knows
		 * the object is one (KARMOR_EV_DIR) */
		char *path = emu_xstrdup(res);
		size_t len = strlen(path);
		bool is_dir = path[len - 1] == '/';
		while (len > 1 && path[len - 1] == '/')
			path[--len] = '\0';
		bool opens = strcmp(op, "exec") != 0;	/* read, write: file_open */
		*rule = KARMOR_RULE_NONE;
		int v = opens && emu_unnamed(k, target, path) ? KARMOR_ALLOW
			: !strcmp(op, "exec")
				? emu_path_verdict(k, target, slots, nslots, path, is_dir, KARMOR_CLS_PROCESS, false, true, owner,
						   rule)
				: emu_path_verdict(k, target, slots, nslots, path, is_dir, KARMOR_CLS_FILE, !strcmp(op, "read"),
						   !strcmp(op, "write"), owner, rule);
		free(path);
		return v;
	}
	if (!strcmp(op, "network")) {
		__u16 id = emu_protocol(res);
		if (!id)
			return KARMOR_ALLOW;	/* a socket the programs do not mediate */
		__u16 ids[2] = {id, KARMOR_PROTO_ALL};
		return emu_id_verdict(k, &k->nets, KARMOR_PC_NETWORK, target, slots, nslots, ids, 2, rule);
	}
	if (!strcmp(op, "capability")) {
		__u16 id = emu_capability(res);
		return emu_id_verdict(k, &k->caps, KARMOR_PC_CAPABILITIES, target, slots, nslots, &id, 1, rule);
	}
	*why = "unknown op";
	return -1;
}

/* ---- one scenario file ---- */

static int emu_run_karmorc(const char *karmorc, const char *scenario, const char *out, const char *log)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execl(karmorc, karmorc, "compile", "--target=bpf", "--scenario", scenario, "-o", out, (char *)NULL);
		fprintf(stderr, "bpf-emulate: %s: %s\n", karmorc, strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void emu_rmtree(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	char path[4096];
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			emu_rmtree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static int emu_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The rule an event names vs the one the verdict model names; NULL when they agree. */
static const char *emu_rule_mismatch(const struct emu_kernel *k, const char *profile, const char *const *target_names,
				     __u32 rule, struct fe_matcher *m, const struct kc_case *kc,
				     const struct ir_target *target, char *buf, size_t len)
{
	const struct ir_program *p = fe_matcher_program(m);
	/* the verdict on the case's target, as the pipeline resolved it for every command */
	struct kc_verdict v = kc_decide(m, target, &kc->op);
	const char *want_policy = v.policy ? v.policy : "-";
	const struct ir_rule *want = v.rule >= 0 ? &p->rules[v.rule] : NULL;
	uint32_t t = 0;
	while (t < k->ntargets && strcmp(target_names[t], profile) != 0)
		t++;
	if (t == k->ntargets)
		return "no image";
	const struct kl_image *img = &k->images[t];
	if (rule == KARMOR_RULE_NONE) {
		if (!want && strcmp(want_policy, "DefaultPosture") == 0)
			return NULL;
		snprintf(buf, len, "the event names DefaultPosture, the model %s", want_policy);
		return buf;
	}
	if (rule > img->hdr->nrules) {
		snprintf(buf, len, "rule id %u is not in the image", rule);
		return buf;
	}
	const struct karmor_image_rule *r = &img->rules[rule - 1];
	const char *pol = kl_image_str(img, r->policy), *file = kl_image_str(img, r->file);
	if (want && strcmp(pol, want_policy) == 0 && want->loc.src && strcmp(file, want->loc.src->name) == 0 &&
	    r->line == want->loc.line && r->col == want->loc.col)
		return NULL;
	snprintf(buf, len, "the event names rule %u (%s, %s:%u:%u), the model %s (%s:%u:%u)", rule, pol, file, r->line,
		 r->col, want_policy, want && want->loc.src ? want->loc.src->name : "-", want ? want->loc.line : 0,
		 want ? want->loc.col : 0);
	return buf;
}

static void emu_file(const char *karmorc, const char *scenario, uint64_t seed, bool verbose, struct emu_totals *tot)
{
	char tmp[] = "/tmp/bpf-emulate.XXXXXX";
	if (!mkdtemp(tmp)) {
		printf("FAIL %s: mkdtemp: %s\n", scenario, strerror(errno));
		tot->fail++;
		return;
	}
	char out[4200], log[4200], tsv[4300], bpfdir[4300];
	snprintf(out, sizeof(out), "%s/out", tmp);
	snprintf(log, sizeof(log), "%s/compile.log", tmp);
	snprintf(tsv, sizeof(tsv), "%s/cases.tsv", out);
	snprintf(bpfdir, sizeof(bpfdir), "%s/bpf", out);
	int rc = emu_run_karmorc(karmorc, scenario, out, log);
	size_t len;
	char *text = rc == 0 ? emu_read_all(tsv, &len) : NULL;
	if (!text) {
		size_t ll;
		char *l = emu_read_all(log, &ll);
		printf("FAIL %s: karmorc compile --target=bpf exited %d: %.300s\n", scenario, rc, l ? l : "");
		free(l);
		tot->fail++;
		emu_rmtree(tmp);
		return;
	}

	/* the images, as the loader would apply the whole directory */
	struct emu_kernel k;
	memset(&k, 0, sizeof(k));
	k.seed = seed;
	char **names = NULL;
	size_t nnames = 0;
	DIR *d = opendir(bpfdir);
	bool object = false, ok = d != NULL;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t nl = strlen(e->d_name);
		if (strcmp(e->d_name, "karmor.bpf.o") == 0)
			object = true;
		if (nl > 4 && strcmp(e->d_name + nl - 4, KARMOR_IMAGE_SUFFIX) == 0) {
			names = emu_xrealloc(names, (nnames + 1) * sizeof(*names));
			names[nnames++] = emu_xstrdup(e->d_name);
		}
	}
	if (d)
		closedir(d);
	if (!object) {
		printf("FAIL %s: no karmor.bpf.o beside the images\n", scenario);
		ok = false;
	}
	if (nnames > 1)
		qsort(names, nnames, sizeof(*names), emu_name_cmp);
	const char **target_names = calloc(nnames + 1, sizeof(*target_names));
	if (!target_names)
		emu_oom();
	for (size_t i = 0; i < nnames && ok; i++) {
		char file[8400], err[512];
		snprintf(file, sizeof(file), "%s/%s", bpfdir, names[i]);
		struct kl_image img;
		if (kl_image_read(file, &img, err, sizeof(err)) != 0) {
			printf("FAIL %s: %s\n", scenario, err);
			ok = false;
			break;
		}
		if (!emu_load(&k, &img, file)) {
			printf("FAIL %s: %s cannot be loaded into the maps\n", scenario, names[i]);
			ok = false;
			break;
		}
		target_names[i] = kl_image_str(&k.images[i], k.images[i].hdr->name);
		names[i][strlen(names[i]) - 4] = '\0';
		if (strcmp(target_names[i], names[i]) != 0) {
			printf("FAIL %s: image %s.kmi names its target %s\n", scenario, names[i], target_names[i]);
			ok = false;
		}
	}
	/* the verdict model on the same file, for the rule each event would name: the pipeline
	 * to the targets, as `karmorc test` runs it */
	struct kc_pipeline pl;
	kc_pipeline_init(&pl, "test");
	pl.scenario = scenario;
	bool sc_ok = kc_pipeline_run(&pl, KC_STAGE_TARGETS) == 0 && pl.scenario_ok && !pl.sc.diags.errors;
	const struct kc_scenario *sc = &pl.sc;
	struct fe_matcher *matcher = sc_ok ? fe_matcher_new(&pl.sc.prog) : NULL;
	if (ok && !sc_ok) {
		printf("FAIL %s: the scenario cannot be loaded in-process\n", scenario);
		ok = false;
	}
	if (!ok) {
		tot->fail++;
	} else {
		/* the cases */
		struct emu_case *cases = NULL;
		size_t ncases = 0;
		int line = 0;
		for (char *p = text; p && *p;) {
			char *nl = strchr(p, '\n');
			if (nl)
				*nl = '\0';
			char *row = p;
			p = nl ? nl + 1 : NULL;
			if (++line == 1)
				continue;	/* the header */
			struct emu_case c;
			memset(&c, 0, sizeof(c));
			c.line = line;
			int col = 0;
			for (char *f = row; f; col++) {
				char *tab = strchr(f, '\t');
				if (tab)
					*tab = '\0';
				if (col < C_NCOLS)
					c.col[col] = f;
				f = tab ? tab + 1 : NULL;
			}
			if (col != C_NCOLS) {
				printf("FAIL %s: cases.tsv line %d has %d fields, not %d\n", scenario, line, col, C_NCOLS);
				tot->fail++;
				continue;
			}
			cases = emu_xrealloc(cases, (ncases + 1) * sizeof(*cases));
			cases[ncases++] = c;
		}
		if (ncases != sc->ncases) {
			printf("FAIL %s: cases.tsv has %zu cases, the scenario %zu\n", scenario, ncases, sc->ncases);
			tot->fail++;
			ncases = 0;
		}
		for (size_t i = 0; i < ncases; i++) {
			const struct emu_case *c = &cases[i];
			char why_rule[512];
			const char *rule_bad = NULL;
			if (strcmp(c->col[C_SKIP], "-") != 0) {
				emu_skip(tot, c->col[C_SKIP]);
				if (verbose)
					printf("skip %s: case %s (%s): %s\n", scenario, c->col[C_INDEX], c->col[C_NAME],
					       c->col[C_SKIP]);
				continue;
			}
			__u32 rule;
			const char *why;
			int v = emu_case(&k, c, target_names, &rule, &why);
			if (v < 0) {
				printf("FAIL %s: case %s (%s): %s\n", scenario, c->col[C_INDEX], c->col[C_NAME], why);
				tot->fail++;
			} else if (strcmp(emu_verdicts[v], c->col[C_EXPECT]) != 0) {
				printf("FAIL %s: case %s (%s): %s %s %s: expected %s, got %s (rule %u)\n", scenario,
				       c->col[C_INDEX], c->col[C_NAME], c->col[C_SOURCE], c->col[C_OP], c->col[C_RESOURCE],
				       c->col[C_EXPECT], emu_verdicts[v], rule);
				tot->fail++;
			} else if (v != KARMOR_ALLOW &&
				   (rule_bad = emu_rule_mismatch(&k, c->col[C_PROFILE], target_names, rule, matcher,
								 &sc->cases[i], &pl.targets.items[pl.case_target[i]],
								 why_rule, sizeof(why_rule)))) {
				printf("FAIL %s: case %s (%s): %s %s %s: %s\n", scenario, c->col[C_INDEX], c->col[C_NAME],
				       c->col[C_SOURCE], c->col[C_OP], c->col[C_RESOURCE], rule_bad);
				tot->fail++;
			} else {
				if (verbose)
					printf("ok   %s: case %s (%s): %s\n", scenario, c->col[C_INDEX], c->col[C_NAME],
					       emu_verdicts[v]);
				tot->pass++;
			}
		}
		free(cases);
	}
	fe_matcher_free(matcher);
	kc_pipeline_free(&pl);
	free(target_names);
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	emu_kernel_free(&k);
	free(text);
	emu_rmtree(tmp);
}

/* ---- the scenario files ---- */

static bool emu_has_cases(const char *file)
{
	size_t len;
	char *text = emu_read_all(file, &len);
	bool yes = text && (strncmp(text, "cases:", 6) == 0 || strstr(text, "\ncases:"));
	free(text);
	return yes;
}

static void emu_find(const char *dir, char ***files, size_t *n)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		struct stat st;
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (strcmp(e->d_name, "policies") != 0)
				emu_find(path, files, n);
			continue;
		}
		size_t nl = strlen(e->d_name);
		if (nl > 5 && strcmp(e->d_name + nl - 5, ".yaml") == 0 && emu_has_cases(path)) {
			*files = emu_xrealloc(*files, (*n + 1) * sizeof(**files));
			(*files)[(*n)++] = emu_xstrdup(path);
		}
	}
	closedir(d);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"karmorc", required_argument, NULL, 'k'}, {"seed", required_argument, NULL, 's'},
		{"verbose", no_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'},
		{"patterns", no_argument, NULL, 'p'}, {NULL, 0, NULL, 0},
	};
	bool patterns = false;
	const char *karmorc = "build/karmorc";
	uint64_t seed = 0;
	bool seed_given = false, verbose = false;
	int c;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'k': karmorc = optarg; break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			seed_given = true;
			break;
		case 'v': verbose = true; break;
		case 'p': patterns = true; break;
		case 'h':
			puts("usage: bpf-emulate [--karmorc FILE] [--seed N] [-v] [SCENARIO_FILE...]\n"
			     "       bpf-emulate --patterns [--seed N] [POLICY_PATH...]");
			return 0;
		default:
			fputs("usage: bpf-emulate [--karmorc FILE] [--seed N] [-v] [SCENARIO_FILE...]\n", stderr);
			return 2;
		}
	}
	if (!seed_given && getrandom(&seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		fprintf(stderr, "bpf-emulate: getrandom: %s\n", strerror(errno));
		return 3;
	}
	if (patterns)
		return emu_patterns_main(argc - optind, argv + optind, seed);
	char **files = NULL;
	size_t nfiles = 0;
	for (int i = optind; i < argc; i++) {
		files = emu_xrealloc(files, (nfiles + 1) * sizeof(*files));
		files[nfiles++] = emu_xstrdup(argv[i]);
	}
	if (!nfiles)
		emu_find("testdata/scenarios", &files, &nfiles);
	if (!nfiles) {
		fputs("bpf-emulate: no scenario files (run it from the source tree's top directory)\n", stderr);
		return 2;
	}
	if (nfiles > 1)
		qsort(files, nfiles, sizeof(*files), emu_name_cmp);
	printf("bpf-emulate: %zu scenario files, hash seed 0x%016llx\n", nfiles, (unsigned long long)seed);
	struct emu_totals tot;
	memset(&tot, 0, sizeof(tot));
	for (size_t i = 0; i < nfiles; i++)
		emu_file(karmorc, files[i], seed, verbose, &tot);
	printf("%ld cases skipped (the backend reports it cannot enforce what they depend on)", tot.skip);
	for (size_t i = 0; i < tot.ncodes; i++)
		printf("%s %s x%ld", i ? "," : ":", tot.codes[i], tot.code_counts[i]);
	printf("\n%ld passed, %ld failed\n", tot.pass, tot.fail);
	for (size_t i = 0; i < tot.ncodes; i++)
		free(tot.codes[i]);
	free(tot.codes);
	free(tot.code_counts);
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	return tot.fail ? 1 : 0;
}
