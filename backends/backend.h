/*
 * be_: the one interface every backend implements (DESIGN §5): emit the artifacts of
 * one target, reporting as diagnostics (and as "gaps") everything it cannot express.
 * Backends read the IR only (frontend/ir.h); they never see YAML.
 */
#ifndef BE_BACKEND_H
#define BE_BACKEND_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../frontend/diag.h"
#include "../frontend/ir.h"

/* A growable text buffer for generated files. */
struct be_buf {
	char *s;
	size_t len, cap;
};
void be_puts(struct be_buf *b, const char *s);
/* Appends n bytes as they are (binary files: NULs allowed). */
void be_write(struct be_buf *b, const void *data, size_t n);
void be_printf(struct be_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void be_buf_free(struct be_buf *b);
/* s as one field of a TAB-separated line: TAB, CR and LF become spaces */
void be_put_field(struct be_buf *b, const char *s);
/* The columns of a rule table line after its key (karmor-loader attributes audit records
 * with them): TAB action, policy, severity, tags, message, location, class, the rule's
 * own target, then target's name and ops; no newline.  ri < 0: the default posture of
 * class pc (name: what the posture line is about, for its rule column). */
void be_table_row(struct be_buf *out, const struct ir_program *p, long ri, const char *action,
		  enum ir_posture_class pc, const char *name, const char *target, const char *ops);

/* One generated file, relative to the output directory.  A file a backend makes while
 * emitting a target is final when emit returns: compile writes it then (to a temporary name,
 * renamed in the write stage) and frees its text, so memory holds one target's output. */
struct be_file {
	const char *path;
	struct be_buf text;
	bool staged;		/* written to its temporary name; text freed */
};

/* Which operations of the class depend on a gap.  It travels with the finding into
 * be_gap(), so it can never land on another finding (be_gap drops duplicates). */
struct be_gap_scope {
	const char *const *only;	/* NULL: every op of the class; else only these resources */
	bool matching_only;		/* only ops the rule matches depend on it (not its allow-list effect) */
	bool reads_of_target;		/* only reads of paths the rule's target matches depend on it */
	bool execs_of_target;		/* only execs of paths the rule's target matches depend on it */
	const char *const *creates_in;	/* NULL, or only creations of entries directly in these
					 * directories ("/a/", NULL-terminated) depend on it */
	bool owner_ops;			/* only the owner's operations depend on it */
	bool source_exec;		/* only ops whose acting program the model may not execute
					 * (the backend starts it under the target's rules) */
	bool all_classes;		/* every op of the target depends on it */
	bool posture_only;		/* only ops the class's default posture decides depend on it */
};

/* Something a backend could not express for a target: a case that depends on it is
 * skipped (not failed) by the real-kernel rig, with this code. */
struct be_gap {
	uint32_t target;
	long rule;			/* rule index, or -1 for the whole class */
	enum ir_posture_class pclass;	/* class affected (syscall rules: IR_PC_COUNT) */
	enum fe_diag_code code;
	struct be_gap_scope scope;
};

/* A bounded resource of a backend's output and how much of it one run uses (DESIGN §5;
 * `lint`'s capacity check reports each as "N of M used").  Going over is the backend's own
 * error (it stops the write); these records only say how close a run comes. */
struct be_usage {
	const char *resource;		/* what is counted, with the limit's name: "entries of the path map (KARMOR_MAX_PATH_KEYS)" */
	bool per_target;		/* the limit holds for each target: `used` is the largest target's */
	uint64_t used, limit;
	uint64_t most;			/* the largest target's share (per_target: == used) */
	size_t ntargets;		/* the targets of the output */
	const char *target;		/* the one target, or the one that uses the most (the first of
					 * equals); NULL when several all use the same */
	struct fe_loc loc;		/* that target's first policy (NULL target: the first target's) */
};

/* One warning of a gap, made once whatever the number of targets it holds for: the same
 * rule's gap on 170 containers is one finding that counts them (be_gaps_finish), not 170. */
struct be_gap_warning {
	size_t diag;			/* its index in ctx->diags */
	uint32_t hash;			/* of (code, place, body) */
	uint32_t ntargets;
	enum fe_diag_code code;
	struct fe_loc loc;
	const char *body;		/* the message without the target */
	const char *first_target;
	const char *last_target;	/* targets are emitted one after the other: counts each once */
	const void *key1, *key2;	/* be_gap_at_same's key (NULL: none) */
};

struct be_ctx {
	const struct ir_program *prog;
	struct fe_diags *diags;
	struct fe_arena *arena;
	const char *backend;		/* name, for messages */
	struct be_file *files;
	size_t nfiles, files_cap;
	struct be_gap *gaps;		/* every target's when keep_gaps, else the current target's */
	size_t ngaps, gaps_cap;
	size_t ngaps_dropped;		/* gaps of earlier targets not kept */
	bool keep_gaps;			/* a scenario's cases read them after emit */
	struct fe_hindex gap_index;	/* rule gaps of one target, for be_gap's dedup */
	uint32_t gap_index_target;	/* 1 + that target's index, 0: none yet */
	struct be_gap_warning *warnings;	/* the gaps' warnings, across targets */
	size_t nwarnings, warnings_cap;
	struct fe_hindex warning_index;	/* over warnings[] */
	struct fe_hindex ident_index;	/* over warnings[], by be_gap_at_same's (code, place, key1, key2) */
	uint32_t target_index;		/* of the target being emitted */
	bool findings_only;		/* lint: only the findings are wanted; a backend may skip building
					 * the files' text (the gaps and usage must be the same) */
	const char *version;		/* karmorc's version, for artifacts that record it */
	void *run;			/* the backend's own state over the run (arena memory) */
	struct be_usage *usage;		/* its bounded resources, filled by emit or finish */
	size_t nusage, usage_cap;
};

/* Which enforcement subjects a backend serves (DESIGN §5). */
enum be_subjects { BE_CONTAINERS = 1u, BE_HOSTS = 2u, BE_BOTH = 3u };

/* How a backend expresses one kind of rule: a row of its capability matrix. */
enum be_support {
	BE_FULL,	/* as the verdict model says */
	BE_PARTIAL,	/* some rules of the kind, or some of their ops, are a gap (`code`) */
	BE_NONE,	/* never enforced: every rule of the kind is a gap (`code`) */
};
struct be_capability {
	enum ir_class cls;
	enum ir_match match;
	enum be_support support;
	enum fe_diag_code code;		/* the finding a gap of this kind is reported with */
	const char *note;		/* when it is a gap, in a few words */
};

/* The rows every backend of today shares (as QBE's AMD64_COMMON): rule kinds that no
 * LSM hook mediates by name, so no backend enforces them. */
#define BE_CAPS_NOT_ENFORCED \
	{IR_NETWORK, IR_M_DOMAIN, BE_NONE, FE_BE_NOT_ENFORCED, "DNS rules"}, \
	{IR_SYSCALL, IR_M_SYSCALL, BE_NONE, FE_BE_SYSCALL, "system calls by name"}, \
	{IR_PRESET, IR_M_PRESET, BE_NONE, FE_BE_NOT_ENFORCED, "presets"}, \
	{IR_DEVICE, IR_M_DEVICE, BE_NONE, FE_BE_NOT_ENFORCED, "devices"}

/*
 * A backend is data (DESIGN §5, QBE's struct Target): the driver walks be_backends[] and
 * never names one.  Each backend file defines one instance with designated initialisers.
 * Run order for one output: prepare, emit per target, finish, (files written), after_write.
 */
struct be_backend {
	const char *name;		/* --target=NAME */
	const char *folder;		/* its files go to DIR/<folder>/ (and nothing else does) */
	const char *tables;		/* NULL, or the folder of its rule tables (karmor-loader events) */
	const char *built_for;		/* what its artifacts need of a host (a bundle's manifest) */
	unsigned subjects;		/* enum be_subjects: the targets it is given */
	const struct be_capability *caps;	/* the capability matrix: every rule kind not listed is BE_FULL */
	size_t ncaps;
	/* Emits one target; files go to ctx->files, findings to ctx->diags and ctx->gaps. */
	void (*emit)(struct be_ctx *ctx, const struct ir_target *t);
	/* Optional: whole-output work once every target is emitted (capacity totals, printed
	 * to `out` unless it is NULL, and recorded with be_usage_add); false when the output
	 * cannot be applied (an error is reported). */
	bool (*finish)(struct be_ctx *ctx, FILE *out);
	/* The profile (or equivalent) a process runs under when its executable is `source`. */
	const char *(*subject_for)(struct be_ctx *ctx, const struct ir_target *t, const char *source);
	/* Optional: the backend's own `compile` option (a long option taking an argument) and
	 * its help, e.g. "bpf-object" / "FILE". */
	const char *option, *option_arg;
	/* Optional: runs before any policy is read, with the option's argument or NULL; may add
	 * files that do not depend on the policies (the BPF object); false: nothing can be
	 * written (exit 3, the reason printed). */
	bool (*prepare)(struct be_ctx *ctx, const char *arg);
	/* Optional: runs after the files are written to dir, when the option was given. */
	bool (*after_write)(const struct be_ctx *ctx, const char *dir, const char *arg);
};

extern const struct be_backend be_apparmor;
extern const struct be_backend be_bpf;
extern const struct be_backend be_selinux;
extern const struct be_backend be_landlock;
/* Every backend, in output order; NULL-terminated. */
extern const struct be_backend *const be_backends[];
const struct be_backend *be_find(const char *name);
/* The row of b's capability matrix for rules of class cls and match kind m (NULL: BE_FULL). */
const struct be_capability *be_capability_of(const struct be_backend *b, enum ir_class cls, enum ir_match m);

/* Output helpers the driver and backends share. */
/* mkdir -p; false with errno set on failure. */
bool be_mkdirs(const char *path);
/* Removes from DIR/<sub>/ every file that is not one of ctx->files under `prefix`: the
 * folder then holds exactly this run's artifacts. */
void be_remove_stale(const char *dir, const char *sub, const struct be_ctx *ctx, const char *prefix);

/* backends/couplings.c: analyses every backend on a Linux kernel shares. */
/* Which classes of t are allow-lists (an Allow rule of the class applies), as the
 * verdict model counts them. */
void be_allow_lists(const struct ir_program *p, const struct ir_target *t, bool allow_list[IR_PC_COUNT]);
/* Reports, as KC0402 gaps, the classes the kernel couples for t (see couplings.c). */
void be_kernel_couplings(struct be_ctx *ctx, const struct ir_target *t);

/* The first line of a rule table (karmor-loader events): "@target", the target's name,
 * "host" or "container", its identity (namespace, kind, workload, pod, container, image,
 * labels as k=v,...), "-" for what it lacks; TAB-separated, with its newline. */
void be_table_target(struct be_buf *out, struct fe_arena *a, const struct ir_target *t);
/* TAB and s as one field of such a line ("-" when s is NULL or empty) */
void be_table_field(struct be_buf *out, const char *s);

/* A target's identity labels (ir_identity) sorted by key, then value, exact duplicates
 * dropped: the order every output records them in.  Arena memory; *n their number. */
const struct ir_kv *be_identity_labels(struct fe_arena *a, const struct ir_identity *id, uint32_t *n);

void be_ctx_init(struct be_ctx *ctx, const struct ir_program *p, struct fe_diags *d, struct fe_arena *a,
		 const char *backend);
void be_ctx_free(struct be_ctx *ctx);
struct be_file *be_new_file(struct be_ctx *ctx, const char *path);
/* Records how much of one bounded resource the run uses (copied). */
void be_usage_add(struct be_ctx *ctx, const struct be_usage *u);
/* n with thousands separators ("65,536"), in `a`: capacities read as the man page writes them. */
const char *be_num(struct fe_arena *a, uint64_t n);
/* Reports what cannot be expressed: a warning naming rule, target and backend, and a gap
 * whose dependent operations are `scope` (NULL: every op of the class).  A rule's gap seen
 * again for the same target (a rule repeated in a child profile) is the same finding and
 * is dropped. */
void be_gap(struct be_ctx *ctx, const struct ir_target *t, long rule, enum ir_posture_class pc,
	    enum fe_diag_code code, const struct be_gap_scope *scope, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* be_gap for a message made of the rule alone (fmt's arguments read from the rule, and
 * constants): on the next target of the rule it is counted without being formatted again. */
void be_gap_rule(struct be_ctx *ctx, const struct ir_target *t, long rule, enum ir_posture_class pc,
		 enum fe_diag_code code, const struct be_gap_scope *scope, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* Once every target of the output is emitted: a gap's warning that holds for several
 * targets names the first and counts the others. */
void be_gaps_finish(struct be_ctx *ctx);
/* The same for something that is not one rule (e.g. a policy's native lines) at `at`. */
void be_gap_at(struct be_ctx *ctx, const struct ir_target *t, struct fe_loc at, enum ir_posture_class pc,
	       enum fe_diag_code code, const struct be_gap_scope *scope, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));
/* be_gap_at for a message that (code, at, key1, key2) determine: the caller promises that
 * the same four always give the same text (key1: say, the format of the message at its
 * call site; key2: what its arguments are read from, e.g. the rule), so that on the next
 * target it is counted without being formatted again (aa_bypass: 12% of lint's time). */
void be_gap_at_same(struct be_ctx *ctx, const struct ir_target *t, struct fe_loc at, enum ir_posture_class pc,
		    enum fe_diag_code code, const struct be_gap_scope *scope, const void *key1, const void *key2,
		    const char *fmt, ...) __attribute__((format(printf, 9, 10)));
/* When be_gap_at_same made the warning of (code, at, key1, key2) already: records this
 * target's gap, counts the target and returns true, with nothing formatted; else false. */
bool be_gap_repeat(struct be_ctx *ctx, const struct ir_target *t, struct fe_loc at, enum ir_posture_class pc,
		   enum fe_diag_code code, const struct be_gap_scope *scope, const void *key1, const void *key2);

#endif
