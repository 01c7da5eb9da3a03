/*
 * The Landlock backend: one ruleset description per target (backends/landlock.h), which
 * `karmor-loader run --target T -- CMD` turns into a Landlock ruleset on the host, as an
 * unprivileged user if need be.  Landlock only grants: a handled right is refused unless a
 * rule on the file or one of its directories grants it.  So the verdict model (DESIGN §4)
 * becomes:
 *
 *   file class an allow-list, posture block -> read, write and exec handled, nothing in
 *                                base: the Allow rules and the baseline (§4.9) grant
 *   otherwise (deny-list, or posture audit) -> the ops of the Block rules handled and in
 *                                base: "everything except", the loader granting every
 *                                sibling along a blocked path's ancestry at run time
 *   Block, or a static modifier that refuses -> a deny entry (readOnly: write only)
 *   Allow                     -> a grant entry (readOnly: read, and a deny of write)
 *   ownerOnly                 -> refused to the owner too (Landlock cannot tell owners)
 *   TCP                       -> `net tcp` (bind and connect) where every TCP socket is
 *                                refused; socket creation itself is not (KC0405)
 *
 * Not expressed, each a located diagnostic and a gap the real-kernel rig skips by: Audit
 * and the audit posture of an allow-list (KC0414: Landlock reports no event), fromSource
 * (KC0413: a ruleset holds for the whole process tree), ownerOnly (KC0415, refused to
 * the owner as well), globs and exec names (KC0406), network, capability, syscall and
 * the other rule kinds no LSM names (KC0405, KC0401).  The kernel asks for read when it
 * executes a file, so an Allow of exec grants reading the program and a Block of read
 * refuses running it (KC0412's situation under SELinux; here KC0415).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../frontend/match.h"
#include "backend.h"
#include "landlock.h"

struct ll_entry {
	const char *path;
	enum kll_kind kind;
	bool deny;
	unsigned ops;
};

struct ll_state {
	struct be_ctx *ctx;
	const struct ir_target *t;
	const struct ir_program *p;
	struct ll_entry *entries;
	size_t n, cap;
	bool *expressed;	/* per rule of t: written to the ruleset */
};

static void ll_add(struct ll_state *st, const char *path, enum kll_kind kind, bool deny, unsigned ops)
{
	if (!ops)
		return;
	if (st->n == st->cap) {
		st->cap = st->cap ? 2 * st->cap : 32;
		struct ll_entry *ne = fe_arena_alloc(st->ctx->arena, st->cap * sizeof(*ne));
		if (st->n)
			memcpy(ne, st->entries, st->n * sizeof(*ne));
		st->entries = ne;
	}
	st->entries[st->n++] = (struct ll_entry){path, kind, deny, ops};
}

static int ll_entry_cmp(const void *pa, const void *pb)
{
	const struct ll_entry *a = pa, *b = pb;
	int c = strcmp(a->path, b->path);
	if (c)
		return c;
	if (a->kind != b->kind)
		return (int)a->kind - (int)b->kind;
	return (int)a->deny - (int)b->deny;
}

static const char *ll_ops(unsigned ops)
{
	static const char *const names[8] = {"-", "read", "write", "read,write", "exec", "read,exec",
					     "write,exec", "read,write,exec"};
	return names[ops & KLL_ALL];
}

static enum kll_kind ll_kind(enum ir_match m)
{
	return m == IR_M_DIR ? KLL_DIR : m == IR_M_DIR_RECURSIVE ? KLL_TREE : KLL_FILE;
}

/* The directory a path's new entries are made in ("/a/b" and "/a/b/" -> "/a/") */
static const char *ll_parent(struct fe_arena *a, const char *path)
{
	size_t len = strlen(path);
	if (len > 1 && path[len - 1] == '/')
		len--;
	while (len > 1 && path[len - 1] != '/')
		len--;
	return fe_arena_printf(a, "%.*s", (int)len, path);
}

/* Every directory above path ("/a/b/c" -> "/", "/a/", "/a/b/"), NULL-terminated */
static const char **ll_ancestors(struct fe_arena *a, const char *path, bool include_self_dir)
{
	size_t len = strlen(path), n = 0;
	const char **out = fe_arena_alloc(a, (len + 2) * sizeof(*out));
	for (size_t i = 0; i < len; i++)
		if (path[i] == '/' && (i + 1 < len || include_self_dir))
			out[n++] = fe_arena_printf(a, "%.*s", (int)(i + 1), path);
	out[n] = NULL;
	return out;
}

/* the scope of a finding no scenario case depends on (the rig performs none of it) */
static const char *const ll_no_resource[] = {NULL};
static const struct be_gap_scope ll_no_case = {.only = ll_no_resource};

/* Whether the rule can be written at all; reports why not (its gap) */
static bool ll_expressed(struct ll_state *st, uint32_t ri)
{
	struct be_ctx *ctx = st->ctx;
	const struct ir_rule *r = &st->p->rules[ri];
	const char *what = ir_s(&st->p->strs, r->target);
	enum ir_posture_class pc = ir_posture_class_of(r->cls);

	if (r->cls == IR_SYSCALL) {
		be_gap_rule(ctx, st->t, ri, IR_PC_COUNT, FE_BE_SYSCALL, NULL,
		       "syscall rules only audit, and Landlock neither audits nor names system calls");
		return false;
	}
	if (r->cls == IR_PRESET || r->cls == IR_DEVICE || (r->cls == IR_NETWORK && r->match == IR_M_DOMAIN)) {
		be_gap_rule(ctx, st->t, ri, pc, FE_BE_NOT_ENFORCED, NULL, "%s rules are not enforced by Landlock",
		       r->cls == IR_NETWORK ? "DNS" : ir_class_name(r->cls));
		return false;
	}
	if (r->cls == IR_CAPABILITY) {
		be_gap_rule(ctx, st->t, ri, pc, FE_BE_NOT_ENFORCED, NULL,
		       "capability %s: Landlock has no control over capabilities", what);
		return false;
	}
	if (r->cls == IR_NETWORK) {
		be_gap_rule(ctx, st->t, ri, pc, FE_BE_NOT_ENFORCED, NULL,
		       "network rule on %s: Landlock cannot refuse creating a socket; at most it refuses TCP bind and "
		       "connect (ABI 4), which the ruleset does where every TCP socket is refused", what);
		return false;
	}
	if (r->action == IR_AUDIT) {
		be_gap_rule(ctx, st->t, ri, pc, FE_BE_AUDIT, NULL,
		       "Audit rule on %s: Landlock reports no permitted access (it logs denials only, from ABI 7), so "
		       "the operations are permitted without an event", what);
		return false;
	}
	if (r->source.kind != IR_SRC_ANY) {
		be_gap_rule(ctx, st->t, ri, pc, FE_BE_SOURCE, NULL,
		       "%s %s rule on %s with fromSource: a Landlock ruleset holds for every program of the process "
		       "tree alike, so the rule is not written%s", ir_action_name(r->action), ir_class_name(r->cls), what,
		       r->action == IR_ALLOW ? " (it still makes the class an allow-list, so its program is refused "
					       "what it alone grants)" : "");
		return false;
	}
	if (r->match == IR_M_PATTERN || r->match == IR_M_EXECNAME) {
		be_gap_rule(ctx, st->t, ri, IR_PC_FILE, FE_BE_PATH, NULL,
		       "%s %s: Landlock binds rules to files and directories, not to globs or exec names",
		       ir_class_name(r->cls), what);
		return false;
	}
	if (what[0] != '/') {
		be_gap_rule(ctx, st->t, ri, IR_PC_FILE, FE_BE_PATH, NULL, "%s: not an absolute path", what);
		return false;
	}
	for (const char *c = what; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			be_gap_rule(ctx, st->t, ri, IR_PC_FILE, FE_BE_PATH, NULL,
			       "%s: a path with a control character cannot be written to a ruleset description", what);
			return false;
		}
	if (r->flags & IR_RULE_OWNERONLY)
		be_gap_rule(ctx, st->t, ri, IR_PC_FILE, FE_BE_OWNER, &(struct be_gap_scope){.owner_ops = true},
		       "ownerOnly on %s: Landlock cannot compare the file's owner with the process's user, so what the "
		       "rule refuses to others is refused to the owner too", what);
	return true;
}

/* The ops rule r denies and grants for the target (DESIGN §4.2-4.3) */
static void ll_rule_ops(const struct ir_rule *r, unsigned *deny, unsigned *grant)
{
	unsigned all = r->cls == IR_PROCESS ? KLL_EXEC : KLL_READ | KLL_WRITE;
	bool ro = r->flags & IR_RULE_READONLY, owner = r->flags & IR_RULE_OWNERONLY;
	*deny = *grant = 0;
	if (ro)
		*deny = all & ~KLL_READ;	/* readOnly: reads pass, anything else is Block */
	else if (r->action == IR_BLOCK)
		*deny = all;
	if (owner)
		*deny = all;	/* ownerOnly: what it lets the owner do is not expressible */
	if (r->action == IR_ALLOW)
		*grant = all & ~*deny;
}

/* the dynamic loaders an allow-list that grants exec lets run (ELF interpreters) */
static const char *const ll_interpreters[] = {"/lib64/ld-linux-x86-64.so.2", "/lib/ld-linux.so.2",
					      "/lib/ld-linux-aarch64.so.1", "/lib/ld-musl-x86_64.so.1",
					      "/lib/ld-musl-aarch64.so.1"};
#define LL_NINTERPRETERS (sizeof(ll_interpreters) / sizeof(ll_interpreters[0]))

/* ---- the rule table (karmor-loader events --landlock) ----
 * landlock-rules/TARGET.rules, in the format of apparmor-rules/ (backends/apparmor.c, "the
 * rule table"): an @target line, then lines keyed TARGET/file in the verdict model's
 * order: the Block rules the ruleset holds (ops r, w, x), and for a closed allow-list its
 * grants ("Allow" lines: the Allow rules, the baseline, the dynamic loaders) before the
 * posture.  A Landlock record (ABI 7) names a path and the rights it lacked: the first
 * line that fits names the alert. */
static void ll_table_line(struct ll_state *st, struct be_buf *out, const char *key, long ri, const char *action,
			  const char *ops, const char *match)
{
	be_put_field(out, key);
	be_table_row(out, st->p, ri, action, IR_PC_FILE, "", st->t->name, ops);
	be_table_field(out, match);
	be_puts(out, "\n");
}

static const char *ll_ops_letters(unsigned ops)
{
	static const char *const letters[8] = {"-", "r", "w", "rw", "x", "rx", "wx", "rwx"};
	return letters[ops & KLL_ALL];
}

static void ll_write_table(struct ll_state *st, bool closed, bool exec_grant)
{
	struct fe_arena *a = st->ctx->arena;
	const struct ir_target *t = st->t;
	struct be_buf *out = &be_new_file(st->ctx, fe_arena_printf(a, "landlock-rules/%s.rules", t->name))->text;
	be_printf(out, "# karmorc %s: rule table of the Landlock ruleset of %s (karmor-loader events --landlock)\n",
		  st->ctx->version ? st->ctx->version : "", t->name);
	be_puts(out, "# @target\tname\thost|container\tnamespace\tkind\tworkload\tpod\tcontainer\timage\tlabels\n");
	be_puts(out, "# key\taction\tpolicy\tseverity\ttags\tmessage\tlocation\tclass\trule\ttarget\tops\tmatch\n");
	be_table_target(out, a, t);
	const char *key = fe_arena_printf(a, "%s/file", t->name);
	/* the Block lines, then (a closed allow-list) the grants: the rules the ruleset holds */
	for (int grants = 0; grants <= (closed ? 1 : 0); grants++)
		for (uint32_t i = 0; i < t->nrules; i++) {
			const struct ir_rule *r = &st->p->rules[t->rules[i]];
			unsigned deny, grant;
			if (!st->expressed[i])
				continue;
			ll_rule_ops(r, &deny, &grant);
			/* the kernel reads a program to run it: an exec grant grants that read too */
			unsigned ops = grants ? grant | (grant & KLL_EXEC ? KLL_READ : 0) : deny;
			if (ops)
				ll_table_line(st, out, key, t->rules[i], grants ? "Allow" : "Block", ll_ops_letters(ops),
					      fe_match_regex(a, r->match, ir_s(&st->p->strs, r->target)));
		}
	if (!closed)
		return;
	for (size_t b = 0; b < ir_baseline_count + (exec_grant ? LL_NINTERPRETERS : 0); b++) {
		bool interp = b >= ir_baseline_count;
		const char *bp = interp ? ll_interpreters[b - ir_baseline_count] : ir_baseline[b].path;
		bool dir = bp[strlen(bp) - 1] == '/';
		be_put_field(out, key);
		be_puts(out, "\tAllow\t(baseline)\t0\t\t\t-:0:0\tfile\t");
		be_put_field(out, bp);
		be_table_field(out, t->name);
		be_printf(out, "\t%s", interp ? "x" : ir_baseline[b].write ? "rw" : "r");
		be_table_field(out, fe_match_regex(a, dir ? IR_M_DIR_RECURSIVE : IR_M_PATH, bp));
		be_puts(out, "\n");
	}
	ll_table_line(st, out, key, -1, "Block", "rwx", "-");
}

static void ll_emit(struct be_ctx *ctx, const struct ir_target *t)
{
	struct ll_state st = {ctx, t, ctx->prog, NULL, 0, 0, NULL};
	const struct ir_program *p = ctx->prog;
	st.expressed = fe_arena_alloc(ctx->arena, (t->nrules + 1) * sizeof(*st.expressed));
	memset(st.expressed, 0, (t->nrules + 1) * sizeof(*st.expressed));
	bool allow_list[IR_PC_COUNT];
	be_allow_lists(p, t, allow_list);
	bool closed = allow_list[IR_PC_FILE] && t->posture[IR_PC_FILE] == IR_POSTURE_BLOCK;
	unsigned denied_ops = 0;
	bool exec_grant = false;

	for (uint32_t i = 0; i < t->nrules; i++) {
		uint32_t ri = t->rules[i];
		const struct ir_rule *r = &p->rules[ri];
		if (!ll_expressed(&st, ri))
			continue;
		st.expressed[i] = true;
		unsigned deny, grant;
		ll_rule_ops(r, &deny, &grant);
		const char *path = ir_s(&p->strs, r->target);
		enum kll_kind kind = ll_kind(r->match);
		ll_add(&st, path, kind, true, deny);
		if (closed)
			ll_add(&st, path, kind, false, grant);
		denied_ops |= deny;
		if (closed && (grant & KLL_EXEC)) {
			exec_grant = true;
			be_gap_rule(ctx, t, ri, IR_PC_FILE, FE_BE_COARSE, &(struct be_gap_scope){.reads_of_target = true},
			       "process Allow on %s: the kernel reads a program to execute it and Landlock checks that "
			       "read, so reading it is granted too; the verdict model grants only the exec", path);
		}
		if (deny & KLL_READ)
			be_gap_rule(ctx, t, ri, IR_PC_FILE, FE_BE_COARSE, &(struct be_gap_scope){.execs_of_target = true},
			       "file Block on %s also refuses running it: the kernel reads a program to execute it, and "
			       "Landlock checks that read", path);
	}
	if (closed || (denied_ops & KLL_EXEC)) {
		const struct ir_rule *why = NULL;
		for (uint32_t i = 0; i < t->nrules && !why; i++) {
			const struct ir_rule *r = &p->rules[t->rules[i]];
			if ((r->cls == IR_FILE || r->cls == IR_PROCESS) && r->action != IR_AUDIT)
				why = r;
		}
		be_gap_at(ctx, t, why ? why->loc : (struct fe_loc){NULL, 0, 0}, IR_PC_FILE, FE_BE_SOURCE,
			  &(struct be_gap_scope){.all_classes = true, .source_exec = true},
			  "karmor-loader run executes the command under the target's ruleset, so a program the target "
			  "may not execute cannot be started with it (a program is not judged by its own start elsewhere)");
	}
	if (allow_list[IR_PC_FILE] && !closed) {
		struct fe_loc none = {NULL, 0, 0};
		const struct ir_rule *why = NULL;
		for (uint32_t i = 0; i < t->nrules && !why; i++) {
			const struct ir_rule *r = &p->rules[t->rules[i]];
			if (r->action == IR_ALLOW && (r->cls == IR_FILE || r->cls == IR_PROCESS))
				why = r;
		}
		be_gap_at(ctx, t, why ? why->loc : none, IR_PC_FILE, FE_BE_AUDIT,
			  &(struct be_gap_scope){.posture_only = true},
			  "the file class is an allow-list with the audit posture: what no Allow rule grants is permitted "
			  "with an event, and Landlock reports none");
	}
	if (closed && exec_grant) {
		/* a dynamically linked program's ELF interpreter is opened for execution, and
		 * Landlock asks the exec right for it (AppArmor and the model: a mapping) */
		for (size_t k = 0; k < LL_NINTERPRETERS; k++)
			ll_add(&st, ll_interpreters[k], KLL_FILE, false, KLL_EXEC);
		const struct ir_rule *first = NULL;
		for (uint32_t i = 0; i < t->nrules && !first; i++)
			if (p->rules[t->rules[i]].cls == IR_PROCESS && p->rules[t->rules[i]].action == IR_ALLOW)
				first = &p->rules[t->rules[i]];
		be_gap_at(ctx, t, first ? first->loc : (struct fe_loc){NULL, 0, 0}, IR_PC_FILE, FE_BE_BYPASS, &ll_no_case,
			  "the dynamic loader (%s, ...) may be executed, because Landlock asks the exec right for a "
			  "program's ELF interpreter: a program the target may read but not execute can be run through it",
			  ll_interpreters[0]);
	}
	if (closed)
		for (size_t b = 0; b < ir_baseline_count; b++) {
			const struct ir_baseline_entry *e = &ir_baseline[b];
			size_t len = strlen(e->path);
			unsigned ops = (e->read ? KLL_READ : 0) | (e->write ? KLL_WRITE : 0);
			ll_add(&st, e->path, e->path[len - 1] == '/' ? KLL_TREE : KLL_FILE, false, ops);
		}

	/* one entry per (path, kind, deny): ops merged, in a stable order */
	if (st.n > 1)
		qsort(st.entries, st.n, sizeof(*st.entries), ll_entry_cmp);
	size_t m = 0;
	for (size_t i = 0; i < st.n; i++) {
		if (m && ll_entry_cmp(&st.entries[m - 1], &st.entries[i]) == 0)
			st.entries[m - 1].ops |= st.entries[i].ops;
		else
			st.entries[m++] = st.entries[i];
	}
	st.n = m;

	/* Landlock grants creating and removing entries per directory: where the model lets
	 * a process write some children of a directory but not all of them, none can be made
	 * or removed (refused, never let through) */
	const char **coarse = fe_arena_alloc(ctx->arena, 1 * sizeof(*coarse));
	size_t ncoarse = 0, coarse_cap = 1;
	for (size_t i = 0; i < st.n; i++) {
		const struct ll_entry *e = &st.entries[i];
		const char **dirs = NULL;
		if (e->deny && (e->ops & KLL_WRITE))
			dirs = ll_ancestors(ctx->arena, e->path, false);
		else if (!e->deny && closed && (e->ops & KLL_WRITE) && e->kind != KLL_TREE) {
			dirs = fe_arena_alloc(ctx->arena, 2 * sizeof(*dirs));
			dirs[0] = e->kind == KLL_DIR ? e->path : ll_parent(ctx->arena, e->path);
			dirs[1] = NULL;
		}
		for (size_t d = 0; dirs && dirs[d]; d++) {
			bool seen = false;
			for (size_t k = 0; k < ncoarse && !seen; k++)
				seen = strcmp(coarse[k], dirs[d]) == 0;
			if (seen)
				continue;
			if (ncoarse + 1 >= coarse_cap) {
				coarse_cap *= 2;
				const char **nc = fe_arena_alloc(ctx->arena, coarse_cap * sizeof(*nc));
				memcpy(nc, coarse, ncoarse * sizeof(*nc));
				coarse = nc;
			}
			coarse[ncoarse++] = dirs[d];
		}
	}
	coarse[ncoarse] = NULL;
	if (ncoarse) {
		const struct ir_rule *first = NULL;
		for (uint32_t i = 0; i < t->nrules && !first; i++)
			if (p->rules[t->rules[i]].cls == IR_FILE)
				first = &p->rules[t->rules[i]];
		struct fe_loc none = {NULL, 0, 0};
		be_gap_at(ctx, t, first ? first->loc : none, IR_PC_FILE, FE_BE_COARSE,
			  &(struct be_gap_scope){.creates_in = coarse},
			  "Landlock grants making and removing entries per directory, and this target may write only some "
			  "entries of %zu director%s (%s%s): making or removing any entry there is refused", ncoarse,
			  ncoarse == 1 ? "y" : "ies", coarse[0], ncoarse > 1 ? ", ..." : "");
	}

	bool any_deny = false;
	for (size_t i = 0; i < st.n && !any_deny; i++)
		any_deny = st.entries[i].deny;
	unsigned handled = closed ? KLL_ALL : denied_ops;
	unsigned base = closed ? 0 : handled;
	if (handled && any_deny && !closed) {
		const struct ir_rule *first = NULL;
		for (uint32_t i = 0; i < t->nrules && !first; i++) {
			const struct ir_rule *r = &p->rules[t->rules[i]];
			if (r->action == IR_BLOCK && (r->cls == IR_FILE || r->cls == IR_PROCESS))
				first = r;
		}
		be_gap_at(ctx, t, first ? first->loc : (struct fe_loc){NULL, 0, 0}, IR_PC_FILE, FE_BE_SNAPSHOT, &ll_no_case,
			  "some paths of a class the target otherwise permits are blocked, so karmor-loader run grants "
			  "every other file along each blocked path when it starts: a snapshot; files made later beside a "
			  "blocked path (by anyone) get no grant, and a blocked file moved elsewhere by a process outside "
			  "the sandbox is no longer covered");
	}
	if (handled & KLL_WRITE)
		for (uint32_t i = 0; i < t->nrules; i++) {
			const struct ir_rule *r = &p->rules[t->rules[i]];
			unsigned deny, grant;
			if (r->cls != IR_FILE || r->source.kind != IR_SRC_ANY || r->action == IR_AUDIT ||
			    r->match == IR_M_PATTERN || r->match == IR_M_EXECNAME)
				continue;
			ll_rule_ops(r, &deny, &grant);
			if (deny & KLL_WRITE)
				be_gap_rule(ctx, t, t->rules[i], IR_PC_FILE, FE_BE_BYPASS, &ll_no_case,
				       "a write of %s is refused, but changing its mode, owner, times or extended "
				       "attributes is not (Landlock does not mediate them)", ir_s(&p->strs, r->target));
		}

	/* net: every TCP socket refused (a Block on it for every program, or a closed
	 * allow-list that grants it to none) */
	bool tcp_blocked = false, tcp_granted = false, net_list = allow_list[IR_PC_NETWORK];
	for (uint32_t i = 0; i < t->nrules; i++) {
		const struct ir_rule *r = &p->rules[t->rules[i]];
		if (r->cls != IR_NETWORK || r->match != IR_M_PROTOCOL)
			continue;
		const char *proto = ir_s(&p->strs, r->target);
		bool tcp = !strcasecmp(proto, "tcp") || !strcasecmp(proto, "stream") || !strcasecmp(proto, "all");
		if (tcp && r->action == IR_BLOCK && r->source.kind == IR_SRC_ANY)
			tcp_blocked = true;
		if (tcp && r->action == IR_ALLOW)
			tcp_granted = true;
	}
	if (net_list && t->posture[IR_PC_NETWORK] == IR_POSTURE_BLOCK && !tcp_granted)
		tcp_blocked = true;

	if (ctx->findings_only)
		return;
	struct be_file *f = be_new_file(ctx, fe_arena_printf(ctx->arena, KLL_FOLDER "/%s" KLL_SUFFIX, t->name));
	struct be_buf *out = &f->text;
	be_printf(out, "# karmorc %s: the Landlock ruleset of %s (karmor-loader run --target %s)\n", ctx->version,
		  t->describe, t->name);
	be_puts(out, KLL_MAGIC "\n");
	be_printf(out, "target\t%s\n", t->name);
	be_printf(out, "handle\t%s\n", ll_ops(handled));
	be_printf(out, "base\t%s\n", ll_ops(base));
	static const char *const kinds[] = {"file", "dir", "tree"};
	for (size_t i = 0; i < st.n; i++) {
		const struct ll_entry *e = &st.entries[i];
		unsigned ops = e->ops & handled;
		if (!ops || (!e->deny && (ops & ~base) == 0))
			continue;	/* nothing the ruleset handles, or already granted everywhere */
		be_printf(out, "%s\t%s\t%s\t%s\n", e->deny ? "deny" : "grant", kinds[e->kind], ll_ops(ops), e->path);
	}
	if (tcp_blocked)
		be_puts(out, "net\ttcp\n");
	if (handled)
		ll_write_table(&st, closed, exec_grant);
}

static const char *ll_subject_for(struct be_ctx *ctx, const struct ir_target *t, const char *source)
{
	(void)ctx;
	(void)source;
	return t->name;
}

/* What Landlock cannot do as the verdict model says (the emit code reports each). */
static const struct be_capability ll_caps[] = {
	{IR_FILE, IR_M_PATTERN, BE_NONE, FE_BE_PATH, "globs"},
	{IR_PROCESS, IR_M_PATTERN, BE_NONE, FE_BE_PATH, "globs"},
	{IR_PROCESS, IR_M_EXECNAME, BE_NONE, FE_BE_PATH, "exec names"},
	{IR_FILE, IR_M_EXECNAME, BE_NONE, FE_BE_PATH, "exec names"},
	{IR_FILE, IR_M_PATH, BE_PARTIAL, FE_BE_AUDIT, "Audit, ownerOnly, fromSource"},
	{IR_FILE, IR_M_DIR, BE_PARTIAL, FE_BE_AUDIT, "Audit, ownerOnly, fromSource"},
	{IR_FILE, IR_M_DIR_RECURSIVE, BE_PARTIAL, FE_BE_AUDIT, "Audit, ownerOnly, fromSource"},
	{IR_PROCESS, IR_M_PATH, BE_PARTIAL, FE_BE_AUDIT, "Audit, fromSource"},
	{IR_PROCESS, IR_M_DIR, BE_PARTIAL, FE_BE_AUDIT, "Audit, fromSource"},
	{IR_PROCESS, IR_M_DIR_RECURSIVE, BE_PARTIAL, FE_BE_AUDIT, "Audit, fromSource"},
	{IR_NETWORK, IR_M_PROTOCOL, BE_NONE, FE_BE_NOT_ENFORCED, "socket creation (TCP bind/connect only)"},
	{IR_CAPABILITY, IR_M_CAPABILITY, BE_NONE, FE_BE_NOT_ENFORCED, "capabilities"},
	BE_CAPS_NOT_ENFORCED,
};

const struct be_backend be_landlock = {
	.name = "landlock",
	.folder = KLL_FOLDER,
	.tables = "landlock-rules",
	.built_for = "Landlock (Linux 5.13+, ABI 1; TCP ports from ABI 4), applied unprivileged by karmor-loader run",
	.subjects = BE_BOTH,
	.caps = ll_caps,
	.ncaps = sizeof(ll_caps) / sizeof(ll_caps[0]),
	.emit = ll_emit,
	.subject_for = ll_subject_for,
};
