/*
 * kc_pipeline: the passes of karmorc, listed once (DESIGN §1; QBE's main.c):
 *
 *   load      policy files (or a scenario file: its policies, posture and workloads),
 *             and the workload inventory -> the program and its diagnostics
 *   targets   -> the enforcement subjects (targets.h): one per distinct selector, one
 *             per container and node of a workload inventory (--workloads), or one
 *             per workload a scenario case or explain names
 *   analyses  whole-set analyses over the targets: lint's checks (lint.h), when asked
 *             (the backends' gap reports come from emit)
 *   emit      every chosen backend over every target it serves, then its finish; with
 *             lint's options, lint's capacity check over what the backends used
 *   write     the files, all or nothing, and the backends' after-write steps
 *
 * Each command runs a prefix: check = load (validate only); explain and test = load,
 * targets; lint = load, targets, analyses, emit (its backends' findings, nothing
 * written); compile = all of it.  A command fills the options part of struct kc_pipeline,
 * calls kc_pipeline_run with the last stage it needs, reads the results, and calls
 * kc_pipeline_free.
 */
#ifndef KC_PIPELINE_H
#define KC_PIPELINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "../backends/backend.h"
#include "../backends/options.h"
#include "../frontend/load.h"
#include "../frontend/workloads.h"
#include "lint.h"
#include "scenario.h"
#include "targets.h"

enum kc_stage { KC_STAGE_LOAD, KC_STAGE_TARGETS, KC_STAGE_ANALYSES, KC_STAGE_EMIT, KC_STAGE_WRITE };

/* One backend's run in the emit and write stages. */
struct kc_output {
	const struct be_backend *backend;
	const char *arg;		/* its option's argument (be_backend.option), or NULL */
	struct be_ctx be;
	bool folder_made;		/* write: DIR/<folder> did not exist before this run */
	bool tables_made;		/* write: DIR/<tables> did not exist before this run */
};

struct kc_pipeline {
	/* ---- options, set by the command (kc_pipeline_init gives the defaults) ---- */
	const char *command;		/* for messages: "compile" */
	enum fe_schema_mode mode;
	enum ir_posture posture[IR_PC_COUNT];	/* without a scenario */
	char *const *paths;		/* policy files, directories or "-" */
	size_t npaths;
	const char *scenario;		/* instead of paths: a scenario file */
	/* --workloads: manifests (files, directories or "-") whose workloads and nodes are the
	 * targets (frontend/workloads.h); explain then picks one of them, a scenario's cases
	 * may name them (with a scenario, its own `workloads:` are read too) */
	char *const *workload_paths;
	size_t nworkload_paths;
	bool validate_only;		/* check: keep no IR */
	void (*on_file)(void *ctx, struct fe_diags *d, size_t first);	/* check: streaming */
	void *on_file_ctx;
	/* What load does with errors: NULL keeps going (check and test report them their own
	 * way); else it reports them and stops with "karmorc: COMMAND: <this>". */
	const char *refusal;
	bool need_policy;		/* no policy at all is an error (FE_NO_POLICY) */
	const struct kc_workload *workload;	/* explain: the one workload to resolve */
	const struct kc_lint_options *lint;	/* analyses: lint's checks over every target */
	struct kc_output outputs[8];	/* emit: the backends, in order */
	const char *const *option_args;	/* emit: be_options[k]'s value, or NULL (no array: none given) */
	size_t noutputs;
	FILE *totals;			/* emit: where the backends' finish prints capacity totals (NULL: nowhere) */
	const char *outdir;		/* write: -o DIR */
	bool no_summary;		/* write: no "N files written" line (bundle: DIR is its scratch) */
	const char *version;		/* recorded in artifacts */

	/* ---- results, filled by the stages ---- */
	struct fe_arena arena;
	struct fe_diags *diags;		/* own_diags, or the scenario's */
	struct ir_program *prog;	/* own_prog, or the scenario's */
	struct fe_diags own_diags;
	struct ir_program own_prog;
	struct kc_scenario sc;		/* when scenario is set */
	bool scenario_ok;		/* kc_scenario_load succeeded */
	size_t files, policies, recognised;	/* what load saw (check's summary) */
	bool io_error;
	struct fe_inventory inv;	/* when have_inventory */
	bool have_inventory;		/* --workloads, or a scenario's `workloads:` */
	const struct be_backend *unprepared;	/* the backend whose prepare failed (exit 3) */
	bool bad_option;		/* a be_options value was refused (exit 2) */
	struct kc_targets targets;
	size_t *case_target;		/* scenario: the target of each case */
	size_t workload_target;		/* explain: the target of `workload` */
	bool outdir_made;		/* write: -o DIR did not exist before this run (removed on failure) */
	bool staging_failed;		/* write: a target's file could not be written (reported) */
};

void kc_pipeline_init(struct kc_pipeline *pl, const char *command);
void kc_pipeline_free(struct kc_pipeline *pl);
/* Runs the stages up to and including `last`; returns the exit code (DESIGN §7): 0, or
 * 1 (input errors, reported), 3 (I/O or internal failure, reported). */
int kc_pipeline_run(struct kc_pipeline *pl, enum kc_stage last);

#endif
