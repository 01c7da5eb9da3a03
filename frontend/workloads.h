/*
 * fe_workloads: the workload inventory (`--workloads PATH`, DESIGN §3).  A strict,
 * bounded reader of Kubernetes manifests -- Namespace (posture annotations), Pod,
 * Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, Node, and List
 * objects holding them -- and the step that turns a program and an inventory into
 * targets: one per (namespace, workload, container) and one per node.
 *
 * Files and directories are walked by the policy loader (load.h: sorted, *.yaml and
 * *.yml, the same size and YAML limits); this module only reads documents.  Fields it
 * does not use are not checked (a manifest's schema is the API server's business); the
 * fields it uses are checked as the API server would, with a located error.  Objects of
 * other kinds (ConfigMap, Service, KubeArmor policies...) are skipped with a note.
 *
 * Usage:
 *	struct fe_inventory inv;
 *	fe_inventory_init(&inv, arena, diags);
 *	fe_inventory_load_path(&inv, path);		// as often as needed
 *	fe_inventory_finish(&inv);			// sorts, reports duplicates
 *	if (!diags->errors && !inv.io_error)
 *		n = kc_targets_from_inventory(prog, &inv, posture, arena, &targets);  // compiler/targets.h
 */
#ifndef FE_WORKLOADS_H
#define FE_WORKLOADS_H
#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "ir.h"
#include "load.h"
#include "yaml.h"

/* The workload kinds, in the order targets of one namespace and name are listed. */
enum fe_wl_kind {
	FE_WL_POD, FE_WL_DEPLOYMENT, FE_WL_STATEFULSET, FE_WL_DAEMONSET, FE_WL_REPLICASET,
	FE_WL_JOB, FE_WL_CRONJOB, FE_WL_COUNT
};

struct fe_container {
	const char *name;
	const char *image;
	bool init;		/* from initContainers */
	struct fe_loc loc;	/* the list entry */
};

struct fe_workload {
	enum fe_wl_kind kind;
	const char *namespace;		/* metadata.namespace, else "default" */
	const char *name;
	const struct ir_kv *labels;	/* the pod template's labels (a Pod: its own); sorted by key */
	uint32_t nlabels;
	const struct fe_container *containers;	/* initContainers first, then containers, in file order */
	uint32_t ncontainers;
	struct fe_loc loc;		/* the document (or List item) */
};

struct fe_namespace {
	const char *name;
	bool has_posture[IR_PC_COUNT];	/* the annotation is present */
	enum ir_posture posture[IR_PC_COUNT];
	struct fe_loc posture_loc[IR_PC_COUNT];	/* the annotation's value */
	struct fe_loc loc;
};

struct fe_node {
	const char *name;
	const struct ir_kv *labels;	/* metadata.labels, sorted by key */
	uint32_t nlabels;
	struct fe_loc loc;
};

struct fe_inventory {
	struct fe_arena *arena;		/* everything below lives here */
	struct fe_diags *diags;
	/* after fe_inventory_finish: sorted (namespaces and nodes by name, workloads by
	 * namespace, name, kind), one entry per identity */
	struct fe_namespace *namespaces;
	size_t nnamespaces;
	struct fe_workload *workloads;
	size_t nworkloads;
	struct fe_node *nodes;
	size_t nnodes;
	size_t files, documents, skipped;	/* statistics: files read, objects read (List items
						   included, Lists not), objects skipped */
	bool io_error;			/* a path could not be read: exit 3 */
	/* private: the file walk and the objects as they come */
	struct fe_loader loader;
	struct fe_vec ns_in, wl_in, node_in;
	bool finished;
};

void fe_inventory_init(struct fe_inventory *inv, struct fe_arena *a, struct fe_diags *d);
/* A file, a directory (every *.yaml / *.yml below, sorted) or "-" (stdin).  I/O
 * failures are reported on stderr and set io_error, as for policies. */
void fe_inventory_load_path(struct fe_inventory *inv, const char *path);
/* In-memory text read as if it were a file called `name` (tests, stdin already read). */
void fe_inventory_load_text(struct fe_inventory *inv, const char *name, const char *text, size_t len);
/* Sorts, drops duplicate identities (warning KC0507, the first by file name and line
 * stays), warns when nothing was found (KC0508), and frees the loader's buffers. */
void fe_inventory_finish(struct fe_inventory *inv);

/* Lookups in a finished inventory; NULL when absent. */
const struct fe_namespace *fe_inventory_namespace(const struct fe_inventory *inv, const char *name);
const char *fe_wl_kind_name(enum fe_wl_kind k);
/* The postures of a workload in namespace ns (NULL: not in the inventory): each class's
 * annotation where it is set, else defaults[class]. */
void fe_namespace_posture(const struct fe_namespace *ns, const enum ir_posture defaults[IR_PC_COUNT],
			  enum ir_posture out[IR_PC_COUNT]);


#endif
