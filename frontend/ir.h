/*
 * The IR: the one vocabulary every stage speaks (DESIGN §3).  The frontend
 * builds it; the compiler (targets, verdict model, analyses) and the backends
 * only read it.  All memory lives in the program's arena.
 */
#ifndef IR_H
#define IR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "hash.h"

typedef uint32_t ir_str;	/* interned string id; 0 is "" */

struct ir_strtab {
	struct fe_arena *arena;
	const char **strs;	/* id -> string */
	uint32_t *lens;
	uint32_t count, cap;
	struct fe_hindex index;	/* string -> id */
};

void ir_strtab_init(struct ir_strtab *t, struct fe_arena *a);
void ir_strtab_free(struct ir_strtab *t);
ir_str ir_intern(struct ir_strtab *t, const char *s, size_t len);
ir_str ir_intern_cstr(struct ir_strtab *t, const char *s);
static inline const char *ir_s(const struct ir_strtab *t, ir_str id) { return t->strs[id]; }

enum ir_kind {
#define FE_KIND(e, name) e,
#include "names.def"
};

/* Rule classes; process and file share the file posture class (DESIGN §4.1). */
enum ir_class { IR_PROCESS, IR_FILE, IR_NETWORK, IR_CAPABILITY, IR_SYSCALL, IR_PRESET, IR_DEVICE };

enum ir_match {
	IR_M_PATH, IR_M_DIR, IR_M_DIR_RECURSIVE, IR_M_PATTERN, IR_M_EXECNAME,
	IR_M_PROTOCOL, IR_M_CAPABILITY, IR_M_SYSCALL, IR_M_DOMAIN, IR_M_PRESET, IR_M_DEVICE,
};

/* Ordered by strength: a higher value wins when several rules decide. */
enum ir_action {
#define FE_ACTION(e, name, lower) e,
#include "names.def"
};

enum ir_posture_class { IR_PC_FILE, IR_PC_NETWORK, IR_PC_CAPABILITIES, IR_PC_COUNT };
enum ir_posture { IR_POSTURE_AUDIT, IR_POSTURE_BLOCK };

enum ir_source_kind { IR_SRC_ANY, IR_SRC_PATH, IR_SRC_DIR, IR_SRC_DIR_RECURSIVE };

#define IR_RULE_READONLY 0x1u
#define IR_RULE_OWNERONLY 0x2u
#define IR_RULE_PTS_ONLY 0x4u	/* `pts: false` was written (KubeArmor: the rule is about tasks with a
				   terminal); kept for backends, the verdict model has no terminal */

struct ir_source {
	enum ir_source_kind kind;
	ir_str path;		/* a file, or a directory ending in '/' */
};

struct ir_strlist {
	const ir_str *items;
	uint32_t n;
};

struct ir_rule {
	enum ir_class cls;
	enum ir_match match;
	enum ir_action action;	/* effective: rule, else section, else spec, else Block */
	unsigned flags;
	ir_str target;		/* path, dir (ends in '/'), glob, exec name, protocol,
				   capability (lower case, no cap_), syscall, domain, preset */
	struct ir_source source;	/* one source per rule: fromSource lists are expanded */
	/* syscalls.matchPaths: the path the syscall must touch (IR_M_PATH/DIR/DIR_RECURSIVE) */
	bool has_path;
	enum ir_match path_match;
	ir_str path;
	int severity;		/* 0 when unset everywhere */
	struct ir_strlist tags;
	ir_str message;
	struct ir_strlist allowed_args;
	uint32_t policy;	/* index into program.policies */
	struct fe_loc loc;	/* the YAML node the rule came from */
};

struct ir_label {
	ir_str key, value;
};

enum ir_expr_key { IR_EXPR_LABEL, IR_EXPR_NAMESPACE };
enum ir_expr_op { IR_OP_IN, IR_OP_NOTIN };

struct ir_expr {
	enum ir_expr_key key;
	enum ir_expr_op op;
	struct ir_strlist values;
	struct fe_loc loc;
};

struct ir_policy {
	enum ir_kind kind;
	ir_str name;
	ir_str namespace;	/* KSP: metadata.namespace or "default"; 0 for cluster kinds */
	struct fe_loc loc;	/* the document */
	size_t doc_index;
	/* KSP selector.matchLabels without the special key; HSP nodeSelector.matchLabels */
	const struct ir_label *labels;
	uint32_t nlabels;
	const struct ir_expr *exprs;
	uint32_t nexprs;
	/* kubearmor.io/container.name: restricts to these containers when has_containers */
	bool has_containers;
	struct ir_strlist containers;
	ir_str apparmor;	/* native AppArmor lines, 0 when absent */
	/* metadata.annotations "karmorc.io/allow-mount": "true" -- the targets it selects
	 * may mount, unmount, pivot_root and create user namespaces (DESIGN §4.12 opt-out) */
	bool allow_mount;
	struct fe_loc allow_mount_loc;
	/* spec level values, after defaulting */
	enum ir_action action;
	int severity;
	struct ir_strlist tags;
	ir_str message;
	/* rules: program.rules[first_rule .. first_rule + nrules) */
	uint32_t first_rule, nrules;
};

struct ir_program {
	struct fe_arena *arena;
	struct ir_strtab strs;
	struct ir_policy *policies;
	uint32_t npolicies, policies_cap;
	struct ir_rule *rules;
	uint32_t nrules, rules_cap;
	bool finished;	/* before: rules are in input order, policies[i].first_rule points into them */
	/* `check` only validates: rules are counted (nrules) but not kept, rules stays NULL */
	bool count_rules_only;
};

/* A label as plain strings: identities come from manifests, not from policies, so
 * their strings are not in the program's string table. */
struct ir_kv {
	const char *key, *value;
};

/*
 * Who a target is, when it comes from a workload inventory (frontend/workloads.h):
 * what the loader's events name (DESIGN §3).  A container target has every field;
 * a host target has kind "Node", workload (the node name) and labels only.
 */
struct ir_identity {
	const char *namespace;		/* NULL for a host */
	const char *kind;		/* "Deployment", "Pod", ..., or "Node" */
	const char *workload;		/* the object's metadata.name (the node name for a host) */
	const char *pod;		/* pod name: the Pod's own, or "<workload>-*" for a controller */
	const char *container;		/* NULL for a host */
	const char *image;		/* NULL for a host */
	bool init;			/* an initContainer */
	const struct ir_kv *labels;	/* pod template labels, or node labels; sorted by key */
	uint32_t nlabels;
	struct fe_loc loc;		/* the object in its manifest (the container entry for a container) */
	/* where each class's posture came from: the namespace annotation, or src NULL when it is
	 * the default the caller gave (--posture, else audit) */
	struct fe_loc posture_loc[IR_PC_COUNT];
};

/*
 * A target (DESIGN §3): one enforcement subject -- a container workload, a host, or,
 * without a workload inventory, one distinct selector.  It holds the rules that apply
 * (indices into program.rules, in program order) and the posture of each class.
 */
struct ir_target {
	const char *name;	/* stable, unique: used to name profiles and files */
	const char *describe;	/* human text: the workload or the selector */
	bool host;
	const uint32_t *rules;
	uint32_t nrules;
	const uint32_t *policies;	/* the policies that apply, in program order */
	uint32_t npolicies;
	enum ir_posture posture[IR_PC_COUNT];
	const struct ir_identity *identity;	/* NULL without a workload inventory */
};

void ir_program_init(struct ir_program *p, struct fe_arena *a);
void ir_program_free(struct ir_program *p);
/* Adds a policy and its rules (copied); returns its provisional index. */
uint32_t ir_program_add(struct ir_program *p, const struct ir_policy *pol, const struct ir_rule *rules,
			uint32_t nrules);
/* Orders policies by (name, namespace, kind, file, document) so every output is
 * independent of the order of inputs, then lays out the flat rule array. */
void ir_program_finish(struct ir_program *p);

enum ir_posture_class ir_posture_class_of(enum ir_class c);
const char *ir_kind_name(enum ir_kind k);
const char *ir_class_name(enum ir_class c);
const char *ir_match_name(enum ir_match m);
const char *ir_action_name(enum ir_action a);
const char *ir_posture_name(enum ir_posture p);
const char *ir_posture_class_name(enum ir_posture_class c);

/*
 * The baseline (DESIGN §4.9): what a process needs to start when the file
 * class is an allow-list.  Defined once here; explain, test and every backend
 * use this table.
 */
struct ir_baseline_entry {
	const char *path;	/* a file, or a directory ending in '/' meaning everything below */
	bool read, write;	/* read includes mmap */
};
extern const struct ir_baseline_entry ir_baseline[];
extern const size_t ir_baseline_count;
/* The baseline entry granting a read (write: a write) of `path`, or -1. */
long ir_baseline_find(const char *path, bool write);

/* The annotation of the DESIGN §4.12 opt-out, and whether a target has it (any of
 * its policies asks): a policy that selects a target opts the whole target out. */
#define IR_ALLOW_MOUNT_ANNOTATION "karmorc.io/allow-mount"
const struct ir_policy *ir_target_allows_mount(const struct ir_program *p, const struct ir_target *t);

#endif
