/*
 * The SELinux backend: one CIL module per host target (DESIGN §5), compiled by stock
 * secilc against any base that provides the names below.  SELinux decides on labels,
 * not paths, and has no deny rule, so the verdict model (DESIGN §4) becomes:
 *
 *   every path a rule names   -> file contexts (filecon): an exact path; a dir D/ as D
 *                                itself, its direct children D/[^/]+ and, where some rule
 *                                reaches further, D/[^/]+/.+; each entry's type is the set
 *                                of rules the verdict model matches there (computed with
 *                                the model's own matcher on a witness path of the entry)
 *   Block                     -> the type is in no attribute the base grants through, and
 *                                `domain` is granted every permission but the blocked ones
 *   Audit                     -> the permissions are granted, and `auditallow` logs them
 *   readOnly                  -> only the write permissions are blocked (or audited)
 *   new files                 -> they take their parent directory's type; where the model
 *                                gives the new child other rules (below a non-recursive
 *                                dir), a typetransition names the right type
 *   fromSource (a program)    -> a domain dN per program, entered when its path (a type of
 *                                its own, the entrypoint) is executed; every type grants each
 *                                domain what that program's rules leave (the grants of
 *                                everything else go to `others`); a program a source runs
 *                                enters d0, which has the rules of every other process
 *
 * What a host's processes may do elsewhere is the base's business: the module names only
 * `domain` (every process type), `fs_t` and `tmpfs_t` (filesystems that store labels),
 * `system_u`, `object_r`, `s0` and the kernel's file classes.  Debian's reference policy
 * and the rig's small base (scripts/vm/selinux-base.cil) both provide them.
 *
 * Not expressed (yet, or ever), each a located diagnostic and a gap: container targets
 * (KC0411: hosts only), ownerOnly and reads of a file whose exec is allowed (KC0412:
 * labels, not paths), fromSource directories, network and capability rules, and
 * allow-lists (KC0413), globs and exec names (KC0406), syscall rules (KC0401).
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../frontend/match.h"
#include "backend.h"

/* the verdict model's operations on a path, as bits */
enum { SE_READ = 1, SE_WRITE = 2, SE_EXEC = 4 };

/* One file-context entry of the target. */
struct se_entry {
	const char *regex;	/* the filecon path (a regex, anchored by libselinux) */
	const char *filetype;	/* "any" or "dir" */
	const char *witness;	/* a path the entry labels and no other entry does */
	const char *child;	/* a path created inside it (NULL: not a directory entry) */
	uint32_t enters;	/* 1 + the fromSource program this path is (its exec enters that
				 * program's domain), or 0 */
	/* the rules matching the witness, per subject (0: any process, 1 + i: the
	 * program sources[i]): "0:3,17;1:3,17,20" (rule indices) */
	const char *set;
	const char *rules;	/* every rule among them, "3,17,20", in program order */
	const char *child_set;	/* the same as set for `child`; NULL without one */
	unsigned *denied, *audited;	/* per subject: SE_* */
	unsigned *posture;	/* per subject: the operations the class's posture decides */
	uint32_t type;		/* index into the target's types */
};

/* One type of the module: rule sets, the sets its new children get, and the domain
 * its exec enters. */
struct se_type {
	const char *set, *child_set, *rules;
	uint32_t enters;
	unsigned *denied, *audited, *posture;	/* per subject */
	uint32_t child_type;	/* UINT32_MAX: inherits (the child set is its own) */
	const struct se_entry *first;	/* the first entry labelled with it */
};

struct se_state {
	struct be_ctx *ctx;
	const char *block;	/* the module's block: se_block_name, then _vVERSION (se_version_block) */
	const struct ir_target *t;
	const struct ir_program *p;
	struct fe_matcher *m;
	struct fe_arena *a;
	uint32_t *rules;	/* the rules the module expresses (indices into p->rules) */
	size_t nrules;
	bool *hit;		/* se_rule_set's scratch: which of them match a path */
	struct se_entry *entries;
	size_t nentries, entries_cap;
	struct fe_hindex entry_index;	/* (regex, file type) -> entries[], while they are added */
	struct se_type *types;
	size_t ntypes;
	struct fe_hindex type_index;	/* (set, child set, enters) -> types[] */
	/* the fromSource programs (exact paths), sorted: each gets a domain d1, d2, ...
	 * (subject 1 + i); subject 0 is every other process */
	const char **sources;
	size_t nsources;
	/* the classes in allow-list mode (DESIGN §4.3: any Allow rule of the class, the
	 * rules the module does not express included) */
	bool allowlist[IR_PC_COUNT];
	/* per subject, the decision on each socket class and each capability */
	struct se_decision *sockets, *caps;	/* [sub * SE_NSOCKETS + c], [sub * SE_NCAPS + c] */
};

/* How a subject's socket class or capability is decided: the verdict, and the rules
 * (and the posture) that decide it, for the rule table. */
struct se_decision {
	enum ir_action action;
	bool posture;		/* the class's default posture decides (no Allow grants it) */
	const char *rules;	/* "3,17": the rules matching it for the subject, in program order */
};

/* The file classes and their permissions (the kernel's, as Debian's reference policy
 * and the small base declare them), split by the operation of the verdict model that
 * needs them.  Permissions in no list (getattr, search, open, ...) are always granted:
 * the model judges no stat and no path walk. */
static const char *const se_file_classes[] = {"file", "lnk_file", "chr_file", "blk_file", "sock_file", "fifo_file"};
static const char se_always[] = "getattr open relabelto audit_access";
static const char se_read[] = "read map ioctl lock watch watch_reads watch_mount watch_sb watch_with_perm";
/* metadata and relabelling are writes (DESIGN §4.12): relabelfrom would let a process move a
 * blocked file out of its type */
static const char se_write[] = "write append create setattr unlink link rename relabelfrom quotaon mounton";
static const char se_exec[] = "execute execute_no_trans entrypoint execmod";
/* a directory: reading it lists it; writing it removes, renames or creates it itself, or
 * changes its metadata.  Its entries (add_name, remove_name, write) are judged on the
 * child's own type. */
static const char se_dir_always[] = "getattr open search add_name remove_name write relabelto audit_access";
static const char se_dir_read[] = "read ioctl lock watch watch_reads watch_mount watch_sb watch_with_perm";
static const char se_dir_write[] = "create setattr rename reparent rmdir relabelfrom quotaon mounton";

/* The socket classes (with the policy capability extended_socket_class, which both bases
 * declare) and the verdict model's network operations whose sockets the kernel puts in
 * each, as scripts/vm/actor.c makes them (the policy language's socket types name the
 * INET socket of that type and protocol 0, seqpacket the unix one).  SELinux decides a
 * class as a whole: names that share one share its decision. */
#define SE_NSOCKETS 9
static const struct se_socket_class {
	const char *cls;
	const char *names[6];
} se_socket_classes[SE_NSOCKETS] = {
	{"tcp_socket", {"tcp", "stream", "all"}},
	{"udp_socket", {"udp", "dgram"}},
	{"sctp_socket", {"sctp"}},
	{"icmp_socket", {"icmp", "icmpv6"}},	/* ping sockets: SOCK_DGRAM */
	{"rawip_socket", {"raw", "icmp", "icmpv6", "udplite", "rdm"}},
	{"packet_socket", {"packet"}},
	{"unix_stream_socket", {"unix", "seqpacket"}},
	{"unix_dgram_socket", {"unix"}},
	{"dccp_socket", {"dccp"}},
};

/* The capabilities: SELinux's capability class holds 0-31, capability2 the rest. */
static const struct se_capability {
	const char *name;
	unsigned number;
} se_capabilities[] = {
#define FE_CAPABILITY(name, number, crd) {#name, number},
#include "../frontend/names.def"
};
#define SE_NCAPS (sizeof(se_capabilities) / sizeof(se_capabilities[0]))

/* Capabilities Debian's reference policy reserves (its neverallow rules: mac_override for
 * every domain, sys_module for the module loaders): a module's domains never get them. */
static const char *const se_reserved_caps[] = {"sys_module", "mac_override", NULL};

static bool se_reserved(const char *cap)
{
	for (size_t k = 0; se_reserved_caps[k]; k++)
		if (!strcmp(se_reserved_caps[k], cap))
			return true;
	return false;
}

/* ------------------------------------------------------------ which rules */

static bool se_socket_name_known(const char *name)
{
	if (strcasecmp(name, "all") == 0)
		return true;
	for (size_t c = 0; c < SE_NSOCKETS; c++)
		for (size_t k = 0; k < 6 && se_socket_classes[c].names[k]; k++)
			if (fe_name_matches(name, se_socket_classes[c].names[k], false))
				return true;
	return false;
}

static bool se_expressed(struct se_state *st, uint32_t ri)
{
	struct be_ctx *ctx = st->ctx;
	const struct ir_rule *r = &st->p->rules[ri];
	const char *what = ir_s(&st->p->strs, r->target);

	if (r->cls == IR_SYSCALL) {
		be_gap(ctx, st->t, ri, IR_PC_COUNT, FE_BE_SYSCALL, NULL,
		       "syscall rules only audit, and SELinux cannot audit a system call by name");
		return false;
	}
	if (r->cls == IR_NETWORK && r->match == IR_M_DOMAIN) {
		be_gap(ctx, st->t, ri, IR_PC_NETWORK, FE_BE_NOT_ENFORCED, NULL, "DNS rules are not enforced by SELinux");
		return false;
	}
	if (r->cls == IR_PRESET || r->cls == IR_DEVICE) {
		be_gap(ctx, st->t, ri, IR_PC_FILE, FE_BE_NOT_ENFORCED, NULL, "%s rules are not enforced by SELinux",
		       ir_class_name(r->cls));
		return false;
	}
	enum ir_posture_class pc = ir_posture_class_of(r->cls);
	if (r->source.kind == IR_SRC_DIR || r->source.kind == IR_SRC_DIR_RECURSIVE) {
		be_gap(ctx, st->t, ri, pc, FE_BE_SOURCE, NULL,
		       "%s rule on %s: fromSource directories (every program below one) are not expressed by "
		       "the SELinux backend; a fromSource path is", ir_class_name(r->cls), what);
		return false;
	}
	if (r->cls == IR_NETWORK || r->cls == IR_CAPABILITY) {
		/* a module can take nothing from the base's own domains: these rules hold for the
		 * domains of fromSource programs, which are the module's */
		if (r->source.kind != IR_SRC_PATH) {
			be_gap(ctx, st->t, ri, pc, FE_BE_SOURCE, NULL,
			       "%s rule on %s without fromSource: the SELinux backend confines the sockets and "
			       "capabilities of fromSource programs only (a domain of their own)", ir_class_name(r->cls),
			       what);
			return false;
		}
		bool known = r->cls == IR_NETWORK ? se_socket_name_known(what) : false;
		for (size_t c = 0; r->cls == IR_CAPABILITY && c < SE_NCAPS; c++)
			known = known || fe_name_matches(what, se_capabilities[c].name, true);
		if (!known) {
			const char **only = fe_arena_alloc(ctx->arena, 2 * sizeof(*only));
			only[0] = what;
			only[1] = NULL;
			be_gap(ctx, st->t, ri, pc, r->cls == IR_NETWORK ? FE_BE_PROTOCOL : FE_BE_NOT_ENFORCED,
			       &(struct be_gap_scope){.only = only}, "%s '%s' is not one SELinux has a class or "
			       "permission for here", r->cls == IR_NETWORK ? "protocol" : "capability", what);
			return false;
		}
		return true;
	}
	if (r->action == IR_ALLOW && r->source.kind != IR_SRC_PATH) {
		be_gap(ctx, st->t, ri, pc, FE_BE_SOURCE, NULL,
		       "%s Allow rule on %s without fromSource: the SELinux backend grants through the domains of "
		       "fromSource programs", ir_class_name(r->cls), what);
		return false;
	}
	if (r->match == IR_M_PATTERN || r->match == IR_M_EXECNAME) {
		/* a file context names paths by prefix; a glob or an exec name can match below any
		 * more specific entry, which libselinux would prefer */
		be_gap(ctx, st->t, ri, IR_PC_FILE, FE_BE_PATH, NULL,
		       "%s %s: globs and exec names are not written as file contexts", ir_class_name(r->cls), what);
		return false;
	}
	if (r->flags & IR_RULE_OWNERONLY) {
		be_gap(ctx, st->t, ri, IR_PC_FILE, FE_BE_LABELS, NULL,
		       "ownerOnly on %s: SELinux decides on labels and cannot compare the file's owner with the "
		       "process's user", what);
		return false;
	}
	for (const char *c = what; *c; c++)
		if (*c == '"' || (unsigned char)*c < 0x20 || *c == 0x7f) {
			be_gap(ctx, st->t, ri, IR_PC_FILE, FE_BE_PATH, NULL,
			       "%s: a path with a quote or a control character cannot be written as a file context",
			       what);
			return false;
		}
	if (r->cls == IR_PROCESS && r->action == IR_ALLOW)
		be_gap(ctx, st->t, ri, IR_PC_FILE, FE_BE_LABELS, &(struct be_gap_scope){.reads_of_target = true},
		       "process Allow on %s: the kernel reads a program to execute it and maps it as the new process, and "
		       "SELinux checks both, so reading it is granted too (to the rule's program, and to the programs "
		       "that programs run); the verdict model grants only the exec", what);
	if (r->cls == IR_FILE && r->action == IR_BLOCK && !(r->flags & IR_RULE_READONLY))
		/* the kernel opens a program for reading to run it, and SELinux checks that read */
		fe_diag_add(ctx->diags, FE_WARNING, FE_BE_LABELS, r->loc,
			    "selinux: file Block on %s (target %s) also refuses running it: the kernel reads a "
			    "program to execute it, and SELinux checks that read", what, st->t->name);
	return true;
}

/* ------------------------------------------------------------ entries */

/* p with the regex metacharacters escaped (file contexts are regexes) */
static const char *se_escape(struct fe_arena *a, const char *p)
{
	size_t n = strlen(p);
	char *s = fe_arena_alloc(a, 2 * n + 1), *o = s;
	for (; *p; p++) {
		if (strchr(".^$*+?()[]{}|\\", *p))
			*o++ = '\\';
		*o++ = *p;
	}
	*o = '\0';
	return s;
}

static void se_add_entry(struct se_state *st, const char *regex, const char *filetype, const char *witness,
			 const char *child)
{
	/* one entry per (regex, file type): a path several rules name is one entry */
	uint32_t h = fe_hash_more(fe_hash(regex, strlen(regex) + 1), filetype, strlen(filetype)), id;
	for (uint32_t c = fe_hindex_first(&st->entry_index, h); fe_hindex_next(&st->entry_index, h, &c, &id);)
		if (strcmp(st->entries[id].regex, regex) == 0 && strcmp(st->entries[id].filetype, filetype) == 0)
			return;
	fe_hindex_add(&st->entry_index, h, (uint32_t)st->nentries);
	if (st->nentries == st->entries_cap) {
		size_t cap = st->entries_cap ? 2 * st->entries_cap : 16;
		struct se_entry *e = fe_arena_alloc(st->a, cap * sizeof(*e));
		if (st->nentries)
			memcpy(e, st->entries, st->nentries * sizeof(*e));
		st->entries = e;
		st->entries_cap = cap;
	}
	struct se_entry *e = &st->entries[st->nentries++];
	memset(e, 0, sizeof(*e));
	e->regex = regex;
	e->filetype = filetype;
	e->witness = witness;
	e->child = child;
}

/* A component no rule names: the witnesses' stand-in for "any name". */
#define SE_ANY "\x7f"

/* the entries labelling `path`: an exact path, or a dir D/ (recursive or not) as D itself,
 * its children, and everything deeper */
static void se_entries_for(struct se_state *st, const char *path, bool dir)
{
	struct fe_arena *a = st->a;

	if (!dir) {
		se_add_entry(st, se_escape(a, path), "any", path, NULL);
		return;
	}
	size_t n = strlen(path);
	char *base = fe_arena_alloc(a, n + 1);
	memcpy(base, path, n + 1);
	if (n > 1 && base[n - 1] == '/')
		base[n - 1] = '\0';
	bool root = strcmp(base, "/") == 0;
	const char *stem = root ? "" : se_escape(a, base), *b = root ? "" : base;
	const char *child = fe_arena_printf(a, "%s/" SE_ANY, b), *deeper = fe_arena_printf(a, "%s/" SE_ANY "/" SE_ANY, b);
	se_add_entry(st, root ? "/" : stem, "dir", fe_arena_printf(a, "%s/", b), child);
	se_add_entry(st, fe_arena_printf(a, "%s/[^/]+", stem), "any", child, deeper);
	se_add_entry(st, fe_arena_printf(a, "%s/[^/]+/.+", stem), "any", deeper, fe_arena_printf(a, "%s/" SE_ANY, deeper));
}

/* whether a type of this rule set is the module's own (else the base's label stays) */
static bool se_own(const char *set, const char *rules, uint32_t enters)
{
	return *rules || enters || set[0] == 'b';
}

/* whether rule r holds for subject sub (0: every process but the fromSource programs') */
static bool se_applies(const struct se_state *st, const struct ir_rule *r, size_t sub)
{
	return r->source.kind != IR_SRC_PATH ||
	       (sub && strcmp(ir_s(&st->p->strs, r->source.path), st->sources[sub - 1]) == 0);
}

/* The rules matching `path` for each subject (a rule with fromSource only for its own
 * program's), as se_entry.set, with the denied and audited operations per subject and
 * every rule among them (*rules).  In an allow-list file class, what no Allow rule (nor
 * the baseline, DESIGN §4.9) grants a subject falls to the posture; the set then also
 * names the baseline's grants, which make the path's type. */
static const char *se_rule_set(struct se_state *st, const char *path, unsigned *denied, unsigned *audited,
			       unsigned *posture, const char **rules)
{
	struct be_buf key = {0}, all = {0};
	/* which rules match the path, once (a dir's witness ends in '/': the model's way of
	 * naming the directory itself, which no `path:` rule matches); then per subject */
	bool *hit = st->hit;
	for (size_t k = 0; k < st->nrules; k++) {
		const struct ir_rule *r = &st->p->rules[st->rules[k]];
		hit[k] = (r->cls == IR_FILE || r->cls == IR_PROCESS) && fe_path_matches(st->m, r->match, r->target, path);
		if (hit[k])
			be_printf(&all, "%s%u", all.len ? "," : "", st->rules[k]);
	}
	unsigned baseline = 0;
	if (st->allowlist[IR_PC_FILE]) {
		baseline = (ir_baseline_find(path, false) >= 0 ? SE_READ : 0) |
			   (ir_baseline_find(path, true) >= 0 ? SE_WRITE : 0);
		if (baseline)
			be_printf(&key, "b%u;", baseline);
	}
	for (size_t sub = 0; sub <= st->nsources; sub++) {
		unsigned granted = baseline;
		denied[sub] = audited[sub] = posture[sub] = 0;
		be_printf(&key, "%s%zu:", sub ? ";" : "", sub);
		bool first = true;
		for (size_t k = 0; k < st->nrules; k++) {
			const struct ir_rule *r = &st->p->rules[st->rules[k]];
			if (!hit[k] || !se_applies(st, r, sub))
				continue;
			bool ro = r->cls == IR_FILE && (r->flags & IR_RULE_READONLY);
			unsigned ops = r->cls == IR_PROCESS ? SE_EXEC : ro ? SE_WRITE : SE_READ | SE_WRITE;
			if (r->action == IR_BLOCK)
				denied[sub] |= ops;
			else if (r->action == IR_AUDIT)
				audited[sub] |= ops;
			else if (ro) {
				/* readOnly refuses the writes whatever the action; the reads are granted */
				denied[sub] |= SE_WRITE;
				granted |= SE_READ;
			} else
				/* the kernel reads a program to run it, and SELinux checks that read: a
				 * granted exec grants it too (a gap, se_expressed) */
				granted |= r->cls == IR_PROCESS ? SE_EXEC | SE_READ : ops;
			be_printf(&key, "%s%u", first ? "" : ",", st->rules[k]);
			first = false;
		}
		if (st->allowlist[IR_PC_FILE]) {
			unsigned rest = (SE_READ | SE_WRITE | SE_EXEC) & ~granted & ~denied[sub];
			posture[sub] = rest;
			if (st->t->posture[IR_PC_FILE] == IR_POSTURE_BLOCK)
				denied[sub] |= rest;
			else
				audited[sub] |= rest;
		}
	}
	*rules = fe_arena_strdup(st->a, all.len ? all.s : "");
	const char *out = fe_arena_strdup(st->a, key.s);
	be_buf_free(&key);
	be_buf_free(&all);
	return out;
}

static int se_entry_cmp(const void *pa, const void *pb)
{
	const struct se_entry *a = pa, *b = pb;
	int c = strcmp(a->regex, b->regex);
	return c ? c : strcmp(a->filetype, b->filetype);
}

/* the type for (set, child set), made on first use */
static uint32_t se_type_of(struct se_state *st, struct se_entry *e)
{
	const char *cs = e->child_set ? e->child_set : e->set;
	uint32_t h = fe_hash_more(fe_hash_more(fe_hash(e->set, strlen(e->set) + 1), cs, strlen(cs) + 1), &e->enters,
				  sizeof(e->enters)), id;
	for (uint32_t c = fe_hindex_first(&st->type_index, h); fe_hindex_next(&st->type_index, h, &c, &id);)
		if (strcmp(st->types[id].set, e->set) == 0 && strcmp(st->types[id].child_set, cs) == 0 &&
		    st->types[id].enters == e->enters)
			return id;
	fe_hindex_add(&st->type_index, h, (uint32_t)st->ntypes);
	struct se_type *ty = &st->types[st->ntypes];
	ty->set = e->set;
	ty->child_set = cs;
	ty->rules = e->rules;
	ty->enters = e->enters;
	ty->denied = e->denied;
	ty->posture = e->posture;
	ty->audited = fe_arena_alloc(st->a, (st->nsources + 1) * sizeof(*ty->audited));
	for (size_t sub = 0; sub <= st->nsources; sub++)
		ty->audited[sub] = e->audited[sub] & ~e->denied[sub];
	ty->child_type = UINT32_MAX;
	ty->first = e;
	return (uint32_t)st->ntypes++;
}

/* ------------------------------------------------------------ sockets and capabilities */

/* The verdict model (DESIGN §4.3) on network or capability operation `name` for subject
 * sub, with the rules that match it there */
static struct se_decision se_decide_name(struct se_state *st, enum ir_class cls, const char *name, size_t sub)
{
	struct se_decision d = {IR_ALLOW, false, ""};
	struct be_buf list = {0};
	bool blocked = false, granted = false, audited = false;
	for (size_t k = 0; k < st->nrules; k++) {
		const struct ir_rule *r = &st->p->rules[st->rules[k]];
		if (r->cls != cls || !se_applies(st, r, sub) ||
		    !fe_name_matches(ir_s(&st->p->strs, r->target), name, cls == IR_CAPABILITY))
			continue;
		be_printf(&list, "%s%u", list.len ? "," : "", st->rules[k]);
		blocked = blocked || r->action == IR_BLOCK;
		granted = granted || r->action == IR_ALLOW;
		audited = audited || r->action == IR_AUDIT;
	}
	enum ir_posture_class pc = ir_posture_class_of(cls);
	if (blocked)
		d.action = IR_BLOCK;
	else if (st->allowlist[pc] && !granted) {
		d.posture = true;
		d.action = st->t->posture[pc] == IR_POSTURE_BLOCK ? IR_BLOCK : IR_AUDIT;
	} else if (audited)
		d.action = IR_AUDIT;
	d.rules = fe_arena_strdup(st->a, list.len ? list.s : "");
	be_buf_free(&list);
	return d;
}

/* Every subject's decision on each socket class (its names must agree, else the first name
 * or a Block rule decides and the others are a gap) and each capability. */
static void se_decide_sockets_caps(struct se_state *st)
{
	size_t nsub = st->nsources + 1;
	st->sockets = fe_arena_alloc(st->a, nsub * SE_NSOCKETS * sizeof(*st->sockets));
	st->caps = fe_arena_alloc(st->a, nsub * SE_NCAPS * sizeof(*st->caps));
	for (size_t sub = 0; sub < nsub; sub++) {
		for (size_t c = 0; c < SE_NSOCKETS; c++) {
			const struct se_socket_class *sc = &se_socket_classes[c];
			struct se_decision names[6];
			size_t n = 0, best = 0;
			/* the class's first name decides it, unless a Block rule refuses another name
			 * (a Block is never weakened) */
			for (; n < 6 && sc->names[n]; n++) {
				names[n] = se_decide_name(st, IR_NETWORK, sc->names[n], sub);
				if (names[n].action == IR_BLOCK && !names[n].posture && names[best].action != IR_BLOCK)
					best = n;
			}
			st->sockets[sub * SE_NSOCKETS + c] = names[best];
			const char **differ = fe_arena_alloc(st->ctx->arena, (n + 1) * sizeof(*differ));
			size_t nd = 0;
			for (size_t k = 0; k < n; k++)
				if (names[k].action != names[best].action)
					differ[nd++] = sc->names[k];
			differ[nd] = NULL;
			if (nd)
				be_gap_at(st->ctx, st->t, st->p->rules[st->rules[0]].loc, IR_PC_NETWORK, FE_BE_PROTOCOL,
					  &(struct be_gap_scope){.only = differ},
					  "%s sockets of %s share SELinux's class %s with %s sockets, which are %s for %s: "
					  "SELinux decides the class as a whole", differ[0], sub ? st->sources[sub - 1] :
					  "other programs", sc->cls, sc->names[best], ir_action_name(names[best].action),
					  sub ? "it" : "them");
		}
		for (size_t c = 0; c < SE_NCAPS; c++)
			st->caps[sub * SE_NCAPS + c] = se_decide_name(st, IR_CAPABILITY, se_capabilities[c].name, sub);
	}
	if (st->nsources)
		be_gap_at(st->ctx, st->t, st->p->rules[st->rules[0]].loc, IR_PC_CAPABILITIES, FE_BE_SOURCE,
			  &(struct be_gap_scope){.only = se_reserved_caps},
			  "the domains of fromSource programs never have CAP_SYS_MODULE and CAP_MAC_OVERRIDE: Debian's "
			  "reference policy reserves them (neverallow), so a module grants neither");
}

/* ------------------------------------------------------------ writing */

static void se_perms(struct be_buf *out, const char *always, const char *read, const char *write, const char *exec,
		     unsigned ops)
{
	be_puts(out, always);
	if (read && (ops & SE_READ))
		be_printf(out, " %s", read);
	if (write && (ops & SE_WRITE))
		be_printf(out, " %s", write);
	if (exec && (ops & SE_EXEC))
		be_printf(out, " %s", exec);
}

static void se_grants(struct be_buf *out, const char *who, const char *type, unsigned permitted, unsigned audited)
{
	for (size_t c = 0; c < sizeof(se_file_classes) / sizeof(se_file_classes[0]); c++) {
		bool file = strcmp(se_file_classes[c], "file") == 0;
		be_printf(out, "    (allow %s %s (%s (", who, type, se_file_classes[c]);
		se_perms(out, se_always, se_read, se_write, file ? se_exec : NULL, permitted);
		be_puts(out, ")))\n");
		unsigned au = audited & permitted & (file ? ~0u : ~(unsigned)SE_EXEC);
		if (au) {
			be_printf(out, "    (auditallow %s %s (%s (", who, type, se_file_classes[c]);
			se_perms(out, "open", se_read, se_write, file ? se_exec : NULL, au);
			be_puts(out, ")))\n");
		}
	}
	be_printf(out, "    (allow %s %s (dir (", who, type);
	se_perms(out, se_dir_always, se_dir_read, se_dir_write, NULL, permitted);
	be_puts(out, ")))\n");
	if (audited & permitted & (SE_READ | SE_WRITE)) {
		be_printf(out, "    (auditallow %s %s (dir (", who, type);
		se_perms(out, "open", se_dir_read, se_dir_write, NULL, audited & permitted);
		be_puts(out, ")))\n");
	}
}

static const char *se_ops_text(struct fe_arena *a, unsigned ops)
{
	return fe_arena_printf(a, "%s%s%s%s", ops & SE_READ ? " read" : "", ops & SE_WRITE ? " write" : "",
			       ops & SE_EXEC ? " exec" : "", ops ? "" : " nothing");
}

/* CIL names: letters, digits and '_' (the block's name comes from the target's), and a
 * version: SE_VERSION_HOLD until the module is written, then eight hex digits of its hash */
#define SE_VERSION_HOLD "_v00000000"
static const char *se_block_name(struct fe_arena *a, const char *target)
{
	char *s = fe_arena_printf(a, "karmor_%s" SE_VERSION_HOLD, target);
	for (char *c = s; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9')))
			*c = '_';
	return s;
}

/* The block's version, from the module's text: a module whose rules change gets other type
 * names, so a file labelled by the module applied before holds a type the new policy does
 * not have (unlabeled until relabelled) rather than one of the new module that means other
 * rules, which its rules may forbid relabelling from (karmor-loader(8), SELinux).  The same
 * module keeps its names, and its files their labels.  Every HOLD in each buffer becomes the
 * version. */
static void se_version_block(const struct se_state *st, struct be_buf *module, struct be_buf *rules)
{
	/* of the statements, not the comments (which say where the rules were read) */
	crypto_hash_sha256_state h;
	crypto_hash_sha256_init(&h);
	for (const char *line = module->s, *end = module->s + module->len; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) + 1 : (size_t)(end - line);
		if (line[strspn(line, " ")] != ';')
			crypto_hash_sha256_update(&h, (const unsigned char *)line, n);
		line += n;
	}
	unsigned char md[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_final(&h, md);
	char hex[9];
	snprintf(hex, sizeof(hex), "%02x%02x%02x%02x", md[0], md[1], md[2], md[3]);
	size_t bl = strlen(st->block), vl = strlen(SE_VERSION_HOLD);
	struct be_buf *both[2] = {module, rules};
	for (int k = 0; k < 2; k++) {
		for (char *at = both[k]->s; at && (at = memmem(at, both[k]->len - (size_t)(at - both[k]->s), st->block, bl));
		     at += bl)
			memcpy(at + bl - vl + 2, hex, 8);
	}
}

/* the rules of a rule list ("3,17"), as " POLICY(FILE:LINE)" each */
static void se_rule_names(struct se_state *st, struct be_buf *out, const char *list)
{
	if (!*list)
		be_puts(out, " none");
	for (const char *c = list; *c;) {
		uint32_t ri = (uint32_t)strtoul(c, (char **)&c, 10);
		const struct ir_rule *r = &st->p->rules[ri];
		be_printf(out, " %s(%s:%u)", ir_s(&st->p->strs, st->p->policies[r->policy].name),
			  r->loc.src && r->loc.src->name ? r->loc.src->name : "-", r->loc.line);
		if (*c == ',')
			c++;
	}
}

/* who a subject's grants name: every process (no fromSource program), every process but
 * the programs' domains, or one program's domain */
static const char *se_subject(struct se_state *st, size_t sub)
{
	if (!sub)
		return st->nsources ? "others" : "domain";
	return fe_arena_printf(st->a, "d%zu", sub);
}

/* One subject's sockets and capabilities.  A module domain (d0, d1, ...) is granted what
 * its decisions permit and nothing else (the bases grant sockets and capabilities to
 * their own domains only), and a `neverallow` guards each refusal: secilc fails on a base
 * that would grant it anyway.  The base's own domains (others) can only be audited. */
static void se_write_sockets_caps(struct se_state *st, struct be_buf *out, size_t sub, const char *who, bool own)
{
	for (size_t c = 0; c < SE_NSOCKETS; c++) {
		const struct se_decision *d = &st->sockets[sub * SE_NSOCKETS + c];
		const char *cls = se_socket_classes[c].cls;
		if (own && d->action == IR_BLOCK)
			be_printf(out, "    (neverallow %s self (%s (create)))\n", who, cls);
		else if (own)
			be_printf(out, "    (allow %s self (%s (all)))\n", who, cls);
		if (d->action == IR_AUDIT)
			be_printf(out, "    (auditallow %s self (%s (create)))\n", who, cls);
	}
	static const char *const cap_classes[] = {"capability", "capability2"};
	for (size_t k = 0; k < 2; k++) {
		struct be_buf allowed = {0}, audited = {0}, refused = {0};
		for (size_t c = 0; c < SE_NCAPS; c++) {
			if ((se_capabilities[c].number >= 32) != (k == 1))
				continue;
			const struct se_decision *d = &st->caps[sub * SE_NCAPS + c];
			if (se_reserved(se_capabilities[c].name))
				continue;	/* neither granted nor refused here: the base's */
			struct be_buf *b = d->action == IR_BLOCK ? &refused : &allowed;
			be_printf(b, "%s%s", b->len ? " " : "", se_capabilities[c].name);
			if (d->action == IR_AUDIT)
				be_printf(&audited, "%s%s", audited.len ? " " : "", se_capabilities[c].name);
		}
		if (own && allowed.len)
			be_printf(out, "    (allow %s self (%s (%s)))\n", who, cap_classes[k], allowed.s);
		if (own && refused.len)
			be_printf(out, "    (neverallow %s self (%s (%s)))\n", who, cap_classes[k], refused.s);
		if (audited.len)
			be_printf(out, "    (auditallow %s self (%s (%s)))\n", who, cap_classes[k], audited.s);
		be_buf_free(&allowed);
		be_buf_free(&audited);
		be_buf_free(&refused);
	}
}

/* what a subject's file posture audits on every file the module does not label */
static void se_write_file_posture(struct be_buf *out, const char *who)
{
	for (size_t c = 0; c < sizeof(se_file_classes) / sizeof(se_file_classes[0]); c++) {
		bool file = strcmp(se_file_classes[c], "file") == 0;
		be_printf(out, "    (auditallow %s file_type (%s (", who, se_file_classes[c]);
		se_perms(out, "open", se_read, se_write, file ? se_exec : NULL, SE_READ | SE_WRITE | SE_EXEC);
		be_puts(out, ")))\n");
	}
	be_printf(out, "    (auditallow %s file_type (dir (", who);
	se_perms(out, "open", se_dir_read, se_dir_write, NULL, SE_READ | SE_WRITE);
	be_puts(out, ")))\n");
}

static void se_write_module(struct se_state *st, struct be_buf *out)
{
	const struct ir_target *t = st->t;
	const char *block = st->block;

	be_printf(out, "; karmorc %s: SELinux CIL module for host target %s (%s)\n",
		  st->ctx->version ? st->ctx->version : "", t->name, t->describe ? t->describe : "");
	be_puts(out, "; compile with the base:  secilc BASE.cil... THIS.cil   (or semodule -i THIS.cil)\n");
	be_puts(out, "; every type below is the set of rules the verdict model matches on the paths it labels\n");
	be_printf(out, "(block %s\n", block);
	if (st->nsources) {
		/* a domain per fromSource program, entered when it is executed; a program it runs
		 * enters d0, every other process's rules (DESIGN §4: the acting program is the
		 * executable of the process) */
		be_puts(out, "    (typeattribute sources)\n    (typeattributeset sources (");
		for (size_t i = 0; i < st->nsources; i++)
			be_printf(out, "%sd%zu", i ? " " : "", i + 1);
		be_puts(out, "))\n    (typeattribute others)\n    (typeattributeset others (and domain (not sources)))\n");
		for (size_t i = 0; i <= st->nsources; i++) {
			be_printf(out, "    ; d%zu: processes running %s\n", i, i ? st->sources[i - 1] : "a program of no fromSource rule, started by one that is");
			be_printf(out, "    (type d%zu)\n    (roletype system_r d%zu)\n    (typeattributeset domain (d%zu))\n", i, i, i);
		}
		be_puts(out, "    (allow sources d0 (process (transition)))\n");
		be_puts(out, "    (typetransition sources file_type process d0)\n");
		/* sockets and capabilities: each domain's own, then what the base's domains
		 * have audited */
		for (size_t sub = 0; sub <= st->nsources; sub++)
			se_write_sockets_caps(st, out, sub, fe_arena_printf(st->a, "d%zu", sub), true);
		se_write_sockets_caps(st, out, 0, "others", false);
	}
	if (st->allowlist[IR_PC_FILE] && st->t->posture[IR_PC_FILE] == IR_POSTURE_AUDIT) {
		/* an allow-list file class audits every file the module leaves to the base */
		if (!st->nsources)
			se_write_file_posture(out, "domain");
		for (size_t sub = 0; st->nsources && sub <= st->nsources; sub++)
			se_write_file_posture(out, sub ? fe_arena_printf(st->a, "d%zu", sub) : "others");
	}
	for (size_t i = 0; i < st->ntypes; i++) {
		const struct se_type *ty = &st->types[i];
		const char *name = fe_arena_printf(st->a, "r%zu", i + 1);
		be_printf(out, "    ; %s: blocked%s; audited%s; rules", name, se_ops_text(st->a, ty->denied[0]),
			  se_ops_text(st->a, ty->audited[0]));
		se_rule_names(st, out, ty->rules);
		be_puts(out, "\n");
		for (size_t sub = 1; sub <= st->nsources; sub++)
			be_printf(out, "    ;   for d%zu (%s): blocked%s; audited%s\n", sub, st->sources[sub - 1],
				  se_ops_text(st->a, ty->denied[sub]), se_ops_text(st->a, ty->audited[sub]));
		be_printf(out, "    (type %s)\n    (roletype object_r %s)\n", name, name);
		if (!se_own(ty->set, ty->rules, ty->enters)) {
			be_printf(out, "    (typeattributeset file_type (%s))\n", name);	/* no rule: the base decides */
		} else {
			for (size_t sub = 0; sub <= st->nsources; sub++)
				se_grants(out, se_subject(st, sub), name, (SE_READ | SE_WRITE | SE_EXEC) & ~ty->denied[sub],
					  ty->audited[sub]);
			/* labels are kept on ext4 and friends (fs_t) and on tmpfs */
			be_printf(out, "    (allow %s fs_t (filesystem (associate)))\n", name);
			be_printf(out, "    (allow %s tmpfs_t (filesystem (associate)))\n", name);
		}
		/* a program a source may run enters d0 (its transition below), whatever d0's own
		 * rules say of running it: the exec is the source's, and so are the kernel's
		 * mappings of the program that complete it (made as d0) */
		bool source_runs = false;
		for (size_t sub = 1; sub <= st->nsources && !ty->enters; sub++)
			source_runs = source_runs || !(ty->denied[sub] & SE_EXEC);
		if (source_runs && (ty->denied[0] & (SE_EXEC | SE_READ)))
			be_printf(out, "    (allow d0 %s (file (entrypoint execute read map open getattr)))\n", name);
		if (ty->enters) {
			be_printf(out, "    (typetransition domain %s process d%u)\n", name, ty->enters);
			be_printf(out, "    (allow domain d%u (process (transition)))\n", ty->enters);
			be_printf(out, "    (allow d%u %s (file (entrypoint)))\n", ty->enters, name);
		} else if (st->nsources && se_own(ty->set, ty->rules, ty->enters)) {
			be_printf(out, "    (typetransition sources %s process d0)\n", name);
		}
	}
	/* new files inside a directory of one type that the model gives other rules */
	for (size_t i = 0; i < st->ntypes; i++) {
		const struct se_type *ty = &st->types[i];
		if (ty->child_type == UINT32_MAX)
			continue;
		for (size_t c = 0; c < sizeof(se_file_classes) / sizeof(se_file_classes[0]); c++)
			be_printf(out, "    (typetransition domain r%zu %s r%u)\n", i + 1, se_file_classes[c],
				  ty->child_type + 1);
		be_printf(out, "    (typetransition domain r%zu dir r%u)\n", i + 1, ty->child_type + 1);
	}
	for (size_t i = 0; i < st->nentries; i++) {
		const struct se_entry *e = &st->entries[i];
		if (!se_own(e->set, e->rules, e->enters))
			continue;	/* no rule there: the base's own label stays */
		be_printf(out, "    (filecon \"%s\" %s (system_u object_r r%u ((s0) (s0))))\n", e->regex, e->filetype,
			  e->type + 1);
	}
	be_puts(out, ")\n");
}

/* The rule table karmor-loader attributes AVC records with (karmor-loader(8), events
 * --selinux), TAB-separated: a key, the action the record stands for, policy, severity,
 * tags (comma-separated), message, location, class, the rule's own target, the target's
 * name, and the operations (r, w, x; "-": any) the line decides.  The key of a file
 * record is its target type ("BLOCK.rN"), or "BLOCK.rN@BLOCK.dK" where program K's rules
 * differ there; a file the module does not label is "*" ("*@BLOCK.dK").  A socket or
 * capability record's key is its source type and class ("BLOCK.dK/tcp_socket",
 * "BLOCK.dK/capability:net_raw"; "* /..." for the base's domains).  For one key, lines come
 * in the verdict model's order: Block rules, the posture, Audit rules; the first line of
 * the record's action and operation names the alert. */
static const char *se_ops_letters(struct fe_arena *a, unsigned ops)
{
	return fe_arena_printf(a, "%s%s%s", ops & SE_READ ? "r" : "", ops & SE_WRITE ? "w" : "", ops & SE_EXEC ? "x" : "");
}

/* one line after its key: a rule's, or the posture's (ri < 0) */
static void se_row(struct se_state *st, struct be_buf *out, long ri, const char *action, enum ir_posture_class pc,
		   const char *name, const char *ops)
{
	be_table_row(out, st->p, ri, action, pc, name, st->t->name, ops);
	be_puts(out, "\n");
}

/* the lines of a type for one subject, each starting with KEY (a placeholder) */
static void se_type_rows(struct se_state *st, struct be_buf *out, const struct se_type *ty, size_t sub)
{
	for (int pass = 0; pass < 3; pass++) {
		if (pass == 1) {
			if (ty->posture[sub]) {
				be_puts(out, "KEY");
				se_row(st, out, -1, st->t->posture[IR_PC_FILE] == IR_POSTURE_BLOCK ? "Block" : "Audit",
				       IR_PC_FILE, "", se_ops_letters(st->a, ty->posture[sub]));
			}
			continue;
		}
		for (const char *c = ty->rules; *c;) {
			uint32_t ri = (uint32_t)strtoul(c, (char **)&c, 10);
			if (*c == ',')
				c++;
			const struct ir_rule *r = &st->p->rules[ri];
			if (!se_applies(st, r, sub))
				continue;
			bool ro = r->cls == IR_FILE && (r->flags & IR_RULE_READONLY);
			unsigned ops = r->cls == IR_PROCESS ? SE_EXEC : ro ? SE_WRITE : SE_READ | SE_WRITE;
			const char *action = r->action == IR_AUDIT ? "Audit" : "Block";
			if ((pass == 0) != (r->action != IR_AUDIT) || (r->action == IR_ALLOW && !ro))
				continue;
			be_puts(out, "KEY");
			se_row(st, out, ri, action, IR_PC_FILE, "", se_ops_letters(st->a, ops));
		}
	}
}

/* the lines of a socket class or capability decision */
static void se_decision_rows(struct se_state *st, struct be_buf *out, const char *key, const struct se_decision *d,
			     enum ir_posture_class pc, const char *name)
{
	if (d->action == IR_ALLOW)
		return;
	for (int pass = 0; pass < 3; pass++) {
		if (pass == 1) {
			if (d->posture) {
				be_puts(out, key);
				se_row(st, out, -1, d->action == IR_BLOCK ? "Block" : "Audit", pc, name, "-");
			}
			continue;
		}
		for (const char *c = d->rules; *c;) {
			uint32_t ri = (uint32_t)strtoul(c, (char **)&c, 10);
			if (*c == ',')
				c++;
			enum ir_action act = st->p->rules[ri].action;
			if (act == IR_ALLOW || (pass == 0) != (act == IR_BLOCK))
				continue;
			be_puts(out, key);
			se_row(st, out, ri, ir_action_name(act), pc, "", "-");
		}
	}
}

/* buf's lines with KEY replaced by key */
static void se_keyed(struct be_buf *out, const struct be_buf *rows, const char *key)
{
	for (const char *c = rows->s; c && *c;) {
		const char *nl = strchr(c, '\n');
		size_t n = nl ? (size_t)(nl - c) + 1 : strlen(c);
		be_puts(out, key);
		be_write(out, c + 3, n - 3);
		c += n;
	}
}

static void se_write_rules(struct se_state *st, struct be_buf *out)
{
	const char *block = st->block;
	be_printf(out, "# karmorc %s: rule table of the SELinux module of %s (karmor-loader events --selinux)\n",
		  st->ctx->version ? st->ctx->version : "", st->t->name);
	be_puts(out, "# key\taction\tpolicy\tseverity\ttags\tmessage\tlocation\tclass\trule\ttarget\tops\n");
	for (size_t i = 0; i < st->ntypes; i++) {
		struct be_buf first = {0};
		se_type_rows(st, &first, &st->types[i], 0);
		se_keyed(out, &first, fe_arena_printf(st->a, "%s.r%zu", block, i + 1));
		for (size_t sub = 1; sub <= st->nsources; sub++) {
			struct be_buf rows = {0};
			se_type_rows(st, &rows, &st->types[i], sub);
			if (rows.len != first.len || (rows.len && memcmp(rows.s, first.s, rows.len)))
				se_keyed(out, &rows, fe_arena_printf(st->a, "%s.r%zu@%s.d%zu", block, i + 1, block, sub));
			be_buf_free(&rows);
		}
		be_buf_free(&first);
	}
	if (st->allowlist[IR_PC_FILE] && st->t->posture[IR_PC_FILE] == IR_POSTURE_AUDIT) {
		/* the files the module leaves to the base */
		for (size_t sub = 0; sub <= st->nsources; sub++) {
			be_puts(out, sub ? fe_arena_printf(st->a, "*@%s.d%zu", block, sub) : "*");
			se_row(st, out, -1, "Audit", IR_PC_FILE, "", "rwx");
		}
	}
	for (size_t sub = 0; st->nsources && sub <= st->nsources + 1; sub++) {
		/* sub nsources + 1: the base's domains, which have subject 0's decisions */
		size_t dsub = sub > st->nsources ? 0 : sub;
		const char *who = sub > st->nsources ? "*" : fe_arena_printf(st->a, "%s.d%zu", block, sub);
		for (size_t c = 0; c < SE_NSOCKETS; c++)
			se_decision_rows(st, out, fe_arena_printf(st->a, "%s/%s", who, se_socket_classes[c].cls),
					 &st->sockets[dsub * SE_NSOCKETS + c], IR_PC_NETWORK, se_socket_classes[c].names[0]);
		for (size_t c = 0; c < SE_NCAPS; c++)
			se_decision_rows(st, out, fe_arena_printf(st->a, "%s/capability:%s", who, se_capabilities[c].name),
					 &st->caps[dsub * SE_NCAPS + c], IR_PC_CAPABILITIES, se_capabilities[c].name);
	}
}

/* ------------------------------------------------------------ emit */

static void se_emit(struct be_ctx *ctx, const struct ir_target *t)
{
	struct se_state st;
	memset(&st, 0, sizeof(st));
	st.ctx = ctx;
	st.t = t;
	st.p = ctx->prog;
	struct fe_arena scratch;
	fe_arena_init(&scratch);
	st.a = &scratch;
	st.m = fe_matcher_new(ctx->prog);

	st.rules = fe_arena_alloc(st.a, (t->nrules + 1) * sizeof(*st.rules));
	for (uint32_t i = 0; i < t->nrules; i++)
		if (se_expressed(&st, t->rules[i]))
			st.rules[st.nrules++] = t->rules[i];
	be_kernel_couplings(ctx, t);
	for (uint32_t i = 0; i < t->npolicies; i++) {
		const struct ir_policy *pol = &st.p->policies[t->policies[i]];
		if (pol->apparmor) {
			static const struct be_gap_scope any_class = {.all_classes = true};
			be_gap_at(ctx, t, pol->loc, IR_PC_FILE, FE_BE_NATIVE, &any_class,
				  "the native AppArmor lines of policy %s are not SELinux", ir_s(&st.p->strs, pol->name));
		}
	}

	/* the fromSource programs, sorted (se_expressed kept exact paths only) */
	st.sources = fe_arena_alloc(st.a, (st.nrules + 1) * sizeof(*st.sources));
	for (size_t k = 0; k < st.nrules; k++) {
		const struct ir_rule *r = &st.p->rules[st.rules[k]];
		if (r->source.kind != IR_SRC_PATH)
			continue;
		const char *src = ir_s(&st.p->strs, r->source.path);
		size_t j = 0;
		while (j < st.nsources && strcmp(st.sources[j], src) < 0)
			j++;
		if (j < st.nsources && strcmp(st.sources[j], src) == 0)
			continue;
		memmove(&st.sources[j + 1], &st.sources[j], (st.nsources - j) * sizeof(*st.sources));
		st.sources[j] = src;
		st.nsources++;
	}
	/* allow-list mode, from every rule of the target (DESIGN §4.3) */
	for (uint32_t i = 0; i < t->nrules; i++) {
		const struct ir_rule *r = &st.p->rules[t->rules[i]];
		if (r->action != IR_ALLOW || r->cls == IR_SYSCALL || r->cls == IR_PRESET || r->cls == IR_DEVICE ||
		    (r->cls == IR_NETWORK && r->match != IR_M_PROTOCOL))
			continue;
		st.allowlist[ir_posture_class_of(r->cls)] = true;
	}
	static const char *const class_what[IR_PC_COUNT] = {
		[IR_PC_FILE] = "every file the module does not label",
		[IR_PC_NETWORK] = "the sockets of every program without a fromSource rule",
		[IR_PC_CAPABILITIES] = "the capabilities of every program without a fromSource rule",
	};
	for (int pc = 0; pc < IR_PC_COUNT; pc++)
		if (st.allowlist[pc] && t->posture[pc] == IR_POSTURE_BLOCK)
			be_gap_at(ctx, t, st.p->rules[t->rules[0]].loc, (enum ir_posture_class)pc, FE_BE_POSTURE,
				  &(struct be_gap_scope){.posture_only = true},
				  "the %s class is an allow-list with posture block: a module cannot take from the base's "
				  "domains what the base grants them (%s); it refuses only what it labels and its own "
				  "domains", ir_posture_class_name((enum ir_posture_class)pc), class_what[pc]);
	st.hit = fe_arena_alloc(st.a, (st.nrules + 1) * sizeof(*st.hit));
	for (size_t k = 0; k < st.nrules; k++) {
		const struct ir_rule *r = &st.p->rules[st.rules[k]];
		if (r->cls == IR_FILE || r->cls == IR_PROCESS)
			se_entries_for(&st, ir_s(&st.p->strs, r->target), r->match != IR_M_PATH);
	}
	if (st.allowlist[IR_PC_FILE])
		for (size_t b = 0; b < ir_baseline_count; b++) {
			const char *bp = ir_baseline[b].path;
			se_entries_for(&st, bp, bp[strlen(bp) - 1] == '/');
		}
	for (size_t i = 0; i < st.nsources; i++)
		se_add_entry(&st, se_escape(st.a, st.sources[i]), "any", st.sources[i], NULL);
	fe_hindex_free(&st.entry_index);	/* the entries are sorted next: the index would be stale */
	if (st.nentries > 1)
		qsort(st.entries, st.nentries, sizeof(*st.entries), se_entry_cmp);
	size_t nsub = st.nsources + 1;
	st.types = fe_arena_alloc(st.a, (2 * st.nentries + 1) * sizeof(*st.types));
	unsigned *scratch_ops = fe_arena_alloc(st.a, 3 * nsub * sizeof(*scratch_ops));
	for (size_t i = 0; i < st.nentries; i++) {
		struct se_entry *e = &st.entries[i];
		const char *ignored;
		e->denied = fe_arena_alloc(st.a, nsub * sizeof(*e->denied));
		e->audited = fe_arena_alloc(st.a, nsub * sizeof(*e->audited));
		e->posture = fe_arena_alloc(st.a, nsub * sizeof(*e->posture));
		e->set = se_rule_set(&st, e->witness, e->denied, e->audited, e->posture, &e->rules);
		if (e->child)
			e->child_set = se_rule_set(&st, e->child, scratch_ops, scratch_ops + nsub, scratch_ops + 2 * nsub,
						   &ignored);
		/* a fromSource program's own path: its exec enters the program's domain */
		for (size_t k = 0; k < st.nsources && !e->child; k++)
			if (strcmp(e->witness, st.sources[k]) == 0)
				e->enters = (uint32_t)k + 1;
	}
	for (size_t i = 0; i < st.nentries; i++)
		if (se_own(st.entries[i].set, st.entries[i].rules, st.entries[i].enters))
			st.entries[i].type = se_type_of(&st, &st.entries[i]);
	se_decide_sockets_caps(&st);
	/* the children's types: a directory entry whose new children get other rules */
	for (size_t i = 0; i < st.ntypes; i++) {
		struct se_type *ty = &st.types[i];
		if (strcmp(ty->set, ty->child_set) == 0)
			continue;
		struct se_entry *child = fe_arena_alloc(st.a, sizeof(*child));
		memset(child, 0, sizeof(*child));
		child->denied = fe_arena_alloc(st.a, nsub * sizeof(*child->denied));
		child->audited = fe_arena_alloc(st.a, nsub * sizeof(*child->audited));
		child->posture = fe_arena_alloc(st.a, nsub * sizeof(*child->posture));
		child->set = se_rule_set(&st, ty->first->child, child->denied, child->audited, child->posture,
					 &child->rules);
		/* the child's own children: a new directory inside it gets its rules again
		 * (below a non-recursive dir every depth has the same rules) */
		child->child_set = child->set;
		child->witness = ty->first->child;
		uint32_t ct = se_type_of(&st, child);
		st.types[i].child_type = ct;
	}

	if (st.ntypes && !ctx->findings_only) {
		st.block = se_block_name(st.a, t->name);
		struct be_file *m = be_new_file(ctx, fe_arena_printf(st.a, "selinux/%s.cil", t->name));
		se_write_module(&st, &m->text);
		struct be_file *r = be_new_file(ctx, fe_arena_printf(st.a, "selinux/%s.rules", t->name));
		se_write_rules(&st, &r->text);
		se_version_block(&st, &m->text, &r->text);
	}
	if (st.nrules)
		fe_diag_add(ctx->diags, FE_WARNING, FE_BE_LABELS, st.p->rules[st.rules[0]].loc,
			    "selinux: SELinux labels files, not paths (target %s): its rules hold for the files that "
			    "exist when the module's file contexts are applied (setfiles, restorecon) and for files "
			    "created in a directory they label; a hard link elsewhere shares its file's label, and a "
			    "file keeps its label when its directory is renamed", t->name);
	fe_hindex_free(&st.type_index);
	fe_matcher_free(st.m);
	fe_arena_free(&scratch);
}

static const char *se_subject_for(struct be_ctx *ctx, const struct ir_target *t, const char *source)
{
	(void)ctx;
	(void)source;
	return t->name;
}

/* What SELinux cannot do as the verdict model says (the emit code reports each). */
static const struct be_capability se_caps[] = {
	{IR_FILE, IR_M_PATTERN, BE_NONE, FE_BE_PATH, "globs"},
	{IR_PROCESS, IR_M_PATTERN, BE_NONE, FE_BE_PATH, "globs"},
	{IR_PROCESS, IR_M_EXECNAME, BE_NONE, FE_BE_PATH, "exec names"},
	{IR_FILE, IR_M_EXECNAME, BE_NONE, FE_BE_PATH, "exec names"},
	{IR_FILE, IR_M_PATH, BE_PARTIAL, FE_BE_LABELS, "labels: ownerOnly, files made later"},
	{IR_FILE, IR_M_DIR, BE_PARTIAL, FE_BE_LABELS, "labels: ownerOnly"},
	{IR_FILE, IR_M_DIR_RECURSIVE, BE_PARTIAL, FE_BE_LABELS, "labels: ownerOnly"},
	{IR_PROCESS, IR_M_PATH, BE_PARTIAL, FE_BE_SOURCE, "fromSource, Allow"},
	{IR_PROCESS, IR_M_DIR, BE_PARTIAL, FE_BE_SOURCE, "fromSource, Allow"},
	{IR_PROCESS, IR_M_DIR_RECURSIVE, BE_PARTIAL, FE_BE_SOURCE, "fromSource, Allow"},
	{IR_NETWORK, IR_M_PROTOCOL, BE_NONE, FE_BE_SOURCE, "needs fromSource (a domain per program)"},
	{IR_CAPABILITY, IR_M_CAPABILITY, BE_NONE, FE_BE_SOURCE, "needs fromSource (a domain per program)"},
	BE_CAPS_NOT_ENFORCED,
};

const struct be_backend be_selinux = {
	.name = "selinux",
	.folder = "selinux",
	.built_for = "SELinux CIL modules for secilc or semodule, over a base with domain, file_type, fs_t, tmpfs_t and extended_socket_class; host targets",
	.subjects = BE_HOSTS,
	.caps = se_caps,
	.ncaps = sizeof(se_caps) / sizeof(se_caps[0]),
	.emit = se_emit,
	.subject_for = se_subject_for,
};
