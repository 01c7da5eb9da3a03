#include "pipeline.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cases.h"
#include "report.h"

void kc_pipeline_init(struct kc_pipeline *pl, const char *command)
{
	memset(pl, 0, sizeof(*pl));
	pl->command = command;
	pl->mode = FE_SCHEMA_CRD;
	for (int c = 0; c < IR_PC_COUNT; c++)
		pl->posture[c] = IR_POSTURE_AUDIT;
	fe_arena_init(&pl->arena);
	fe_diags_init(&pl->own_diags, &pl->arena);
	ir_program_init(&pl->own_prog, &pl->arena);
	pl->diags = &pl->own_diags;
	pl->prog = &pl->own_prog;
	kc_targets_init(&pl->targets);
}

static void kc_unstage(struct kc_pipeline *pl);

void kc_pipeline_free(struct kc_pipeline *pl)
{
	kc_unstage(pl);
	for (size_t i = 0; i < pl->noutputs; i++)
		be_ctx_free(&pl->outputs[i].be);
	kc_targets_free(&pl->targets);
	if (pl->scenario)
		kc_scenario_free(&pl->sc);
	ir_program_free(&pl->own_prog);
	fe_diags_free(&pl->own_diags);
	fe_arena_free(&pl->arena);
}

/* Before anything is read: each backend's own input (the BPF object) and options, so that
 * a missing or unusable one stops the run before any policy is judged. */
static bool kc_prepare(struct kc_pipeline *pl, enum kc_stage last)
{
	for (size_t i = 0; i < pl->noutputs; i++) {
		struct kc_output *o = &pl->outputs[i];
		be_ctx_init(&o->be, NULL, NULL, &pl->arena, o->backend->name);
		o->be.version = pl->version;
		o->be.findings_only = last == KC_STAGE_EMIT;	/* lint: nothing is written */
		o->be.keep_gaps = pl->scenario != NULL;		/* its cases read every target's */
		if (o->backend->prepare && !o->backend->prepare(&o->be, o->arg)) {
			pl->unprepared = o->backend;
			return false;
		}
		for (size_t k = 0; pl->option_args && be_options[k].backend; k++) {
			const char *v = pl->option_args[k];
			if (v && be_options[k].backend == o->backend && !be_options[k].set(&o->be, v)) {
				pl->bad_option = true;
				return false;
			}
		}
	}
	return true;
}

/* load: the policies (or the scenario file) into the program; with `refusal` set, errors
 * are reported and stop the run. */
static bool kc_load(struct kc_pipeline *pl)
{
	if (pl->scenario) {
		pl->scenario_ok = kc_scenario_load(&pl->sc, pl->scenario, pl->mode);
		if (pl->sc.read_error) {
			pl->io_error = pl->sc.io_error;
			if (pl->refusal)
				fprintf(stderr, "karmorc: %s: %s\n", pl->scenario, pl->sc.read_error);
			return false;
		}
		pl->diags = &pl->sc.diags;
		pl->prog = &pl->sc.prog;
		memcpy(pl->posture, pl->sc.posture, sizeof(pl->posture));
	} else {
		struct fe_loader l;
		pl->prog->count_rules_only = pl->validate_only;	/* check validates, and keeps no IR */
		fe_loader_init(&l, &pl->arena, pl->diags, pl->prog, pl->mode);
		l.validate_only = pl->validate_only;
		l.on_file = pl->on_file;
		l.on_file_ctx = pl->on_file_ctx;
		for (size_t i = 0; i < pl->npaths; i++)
			fe_load_path(&l, pl->paths[i]);
		fe_loader_finish(&l);
		pl->io_error = l.io_error;
		pl->files = l.files;
		pl->policies = l.policies;
		pl->recognised = l.recognised;
	}
	size_t nsc = pl->scenario ? pl->sc.nworkload_paths : 0;
	if (pl->nworkload_paths || nsc) {
		/* the inventory's diagnostics join the policies': one report, one refusal */
		pl->have_inventory = true;
		fe_inventory_init(&pl->inv, &pl->arena, pl->diags);
		for (size_t i = 0; i < nsc; i++)
			fe_inventory_load_path(&pl->inv, pl->sc.workload_paths[i]);
		for (size_t i = 0; i < pl->nworkload_paths; i++)
			fe_inventory_load_path(&pl->inv, pl->workload_paths[i]);
		fe_inventory_finish(&pl->inv);
		pl->io_error |= pl->inv.io_error;
	}
	struct fe_diags *d = pl->diags;
	if (pl->need_policy && !d->errors && !pl->io_error && pl->prog->npolicies == 0) {
		struct fe_loc none = {NULL, 0, 0};
		if (pl->command && strcmp(pl->command, "lint") == 0)
			fe_diag_add(d, FE_ERROR, FE_NO_POLICY, none, "no KubeArmor policy in %zu file%s", pl->files,
				    pl->files == 1 ? "" : "s");
		else
			fe_diag_add(d, FE_ERROR, FE_NO_POLICY, none, "no KubeArmor policy to compile");
	}
	if (pl->refusal && (d->errors || pl->io_error)) {
		kc_report(stderr, d, KC_FORMAT_TEXT, false);
		fprintf(stderr, "karmorc: %s: %s\n", pl->command, pl->refusal);
		return false;
	}
	return true;
}

/* A scenario case's target: the inventory's workload or node it names, or the workload it
 * describes (with an inventory, in its namespace's posture, as compile would give it);
 * (size_t)-1 after a located error when the inventory has no such target, or several. */
static size_t kc_case_target(struct kc_pipeline *pl, struct kc_case *k)
{
	const struct kc_inventory_ref *r = &k->ref;
	if (!r->used) {
		enum ir_posture posture[IR_PC_COUNT];
		const struct fe_namespace *ns =
			pl->have_inventory && !k->workload.host
				? fe_inventory_namespace(&pl->inv, k->workload.namespace ? k->workload.namespace : "default")
				: NULL;
		fe_namespace_posture(ns, pl->posture, posture);
		size_t t = kc_targets_add_workload(&pl->targets, &pl->arena, pl->prog, &k->workload, posture);
		kc_target_scenario_identity(&pl->arena, &pl->targets.items[t], &k->workload, k->loc);
		return t;
	}
	size_t n = 0, t = pl->have_inventory ? kc_targets_find_identity(&pl->targets, r->host, r->namespace, r->kind,
									     r->name, r->container, &n)
					      : (size_t)-1;
	if (n == 1)
		return t;
	const char *what = r->host ? fe_arena_printf(&pl->arena, "node %s", r->name)
				   : fe_arena_printf(&pl->arena, "workload %s/%s%s%s%s%s", r->namespace,
						     r->kind ? r->kind : "", r->kind ? "/" : "", r->name,
						     r->container ? " container " : "", r->container ? r->container : "");
	if (!pl->have_inventory)
		fe_diag_add(pl->diags, FE_ERROR, FE_SCENARIO, r->loc, "the case names the %s of a workload inventory, "
			    "but there is none (the scenario's 'workloads', or --workloads)", what);
	else if (n == 0)
		fe_diag_add(pl->diags, FE_ERROR, FE_SCENARIO, r->loc, "the workload inventory has no %s", what);
	else
		fe_diag_add(pl->diags, FE_ERROR, FE_SCENARIO, r->loc, "the %s names %zu targets of the inventory (a "
			    "target per container): give its container, and its kind", what, n);
	k->malformed = true;
	return (size_t)-1;
}

/* targets: a scenario's case workloads, the inventory's workloads and nodes (explain
 * picks one of them), explain's workload, or the distinct selectors.  False when a case
 * names a target the inventory does not have (reported). */
static bool kc_resolve_targets(struct kc_pipeline *pl)
{
	if (pl->have_inventory)
		kc_targets_from_inventory(&pl->targets, &pl->arena, pl->prog, &pl->inv, pl->posture);
	if (pl->scenario) {
		bool ok = true;
		pl->case_target = fe_arena_alloc(&pl->arena, (pl->sc.ncases + 1) * sizeof(*pl->case_target));
		for (size_t i = 0; i < pl->sc.ncases; i++) {
			pl->case_target[i] = kc_case_target(pl, &pl->sc.cases[i]);
			ok &= pl->case_target[i] != (size_t)-1;
		}
		return ok;
	}
	if (pl->have_inventory)
		return true;
	if (pl->workload)
		pl->workload_target = kc_targets_add_workload(&pl->targets, &pl->arena, pl->prog, pl->workload,
							      pl->posture);
	else
		kc_targets_from_selectors(&pl->targets, &pl->arena, pl->prog, pl->posture);
	return true;
}

/* analyses: lint's rule analyses over the targets (lint.h), before any backend; the
 * backends' gaps and capacities are reported while emitting, as each needs its own
 * capability matrix and limits. */
static void kc_analyse(struct kc_pipeline *pl)
{
	if (pl->lint)
		kc_lint_program(pl->prog, pl->targets.items, pl->targets.n, pl->lint, pl->diags);
}

/* Names the backend (and the target) on the findings [from, len): lint reports them with
 * both, whatever the backend wrote in its message. */
static void kc_stamp(struct fe_diags *d, size_t from, const char *backend, const char *target)
{
	for (size_t i = from; i < d->len; i++) {
		d->items[i].backend = backend;
		if (!d->items[i].target)
			d->items[i].target = target;
	}
}

/* Each file is written to a temporary name beside its own and renamed in the write stage:
 * a reader never sees half a file, and a failed run leaves none of its files behind. */
static void kc_file_paths(const struct kc_pipeline *pl, const char *rel, char *path, size_t n, char *tmp, size_t tn)
{
	snprintf(path, n, "%s/%s", pl->outdir, rel);
	snprintf(tmp, tn, "%s.tmp%ld", path, (long)getpid());
}

static bool kc_write_tmp(const struct kc_pipeline *pl, const char *rel, const struct be_buf *text)
{
	char path[4096], tmp[4200];
	kc_file_paths(pl, rel, path, sizeof(path), tmp, sizeof(tmp));
	char *slash = strrchr(path, '/');
	*slash = '\0';
	if (!be_mkdirs(path)) {
		fprintf(stderr, "karmorc: %s: %s\n", path, strerror(errno));
		return false;
	}
	*slash = '/';
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		fprintf(stderr, "karmorc: %s: %s\n", path, strerror(errno));
		return false;
	}
	bool ok = fwrite(text->s ? text->s : "", 1, text->len, f) == text->len;
	if (fclose(f) != 0 || !ok) {
		fprintf(stderr, "karmorc: %s: %s\n", path, strerror(errno ? errno : EIO));
		unlink(tmp);
		return false;
	}
	return true;
}

/* The run whose files are staged and not yet renamed: an exit before kc_write finishes
 * (fe_oom's exit 3) removes them, and the folders it made, as a failed run does. */
static struct kc_pipeline *kc_staging;

static void kc_unstage_at_exit(void)
{
	if (kc_staging)
		kc_unstage(kc_staging);
}

/* DIR/sub does not exist yet: this run makes it (and removes it again if it fails) */
static bool kc_absent(const struct kc_pipeline *pl, const char *sub)
{
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/%s", pl->outdir, sub);
	return access(dir, F_OK) != 0;
}

/* A target's file, final once its emit returned: written now, renamed by kc_write. */
static bool kc_stage_file(struct kc_pipeline *pl, struct kc_output *o, struct be_file *file)
{
	if (!kc_staging) {
		static bool registered;
		if (!registered && atexit(kc_unstage_at_exit) != 0)
			fe_oom();
		registered = true;
		kc_staging = pl;
	}
	assert(kc_staging == pl);
	if (!pl->outdir_made && access(pl->outdir, F_OK) != 0)
		pl->outdir_made = true;
	if (!o->folder_made)
		o->folder_made = kc_absent(pl, o->backend->folder);
	if (o->backend->tables && !o->tables_made)
		o->tables_made = kc_absent(pl, o->backend->tables);
	if (!kc_write_tmp(pl, file->path, &file->text))
		return false;
	file->staged = true;
	return true;
}

/* A failed run: the files staged so far are removed, and the folders (and -o DIR) this run
 * made, when they are empty again.  Nothing once kc_write has renamed them. */
static void kc_unstage(struct kc_pipeline *pl)
{
	if (kc_staging != pl)
		return;
	kc_staging = NULL;
	for (size_t i = 0; i < pl->noutputs; i++) {
		struct be_ctx *be = &pl->outputs[i].be;
		for (size_t f = 0; f < be->nfiles; f++) {
			if (!be->files[f].staged)
				continue;
			char path[4096], tmp[4200];
			kc_file_paths(pl, be->files[f].path, path, sizeof(path), tmp, sizeof(tmp));
			unlink(tmp);
			be->files[f].staged = false;
		}
	}
	for (size_t i = 0; i < pl->noutputs; i++) {
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/%s", pl->outdir, pl->outputs[i].backend->folder);
		if (pl->outputs[i].folder_made)
			rmdir(dir);
		if (pl->outputs[i].tables_made) {
			snprintf(dir, sizeof(dir), "%s/%s", pl->outdir, pl->outputs[i].backend->tables);
			rmdir(dir);
		}
	}
	if (pl->outdir_made)
		rmdir(pl->outdir);
}

/* emit: each backend over the targets it serves, then its whole-output finish; the
 * scenario's case manifest.  Returns the first backend that reported an error (a
 * capacity), or NULL: with one, nothing may be written (all or nothing). */
static const char *kc_emit(struct kc_pipeline *pl)
{
	const char *failed = NULL;
	for (size_t i = 0; i < pl->noutputs; i++) {
		struct kc_output *o = &pl->outputs[i];
		size_t errors = pl->diags->errors;
		o->be.prog = pl->prog;
		o->be.diags = pl->diags;
		const struct ir_target *unserved = NULL;	/* the first target the backend does not serve */
		size_t nunserved = 0;
		for (size_t t = 0; t < pl->targets.n; t++) {
			const struct ir_target *tg = &pl->targets.items[t];
			if (!tg->npolicies)
				continue;	/* no policy applies: the workload runs unconfined */
			if (!(o->backend->subjects & (tg->host ? BE_HOSTS : BE_CONTAINERS))) {
				if (!nunserved++)
					unserved = tg;
				continue;
			}
			o->be.target_index = (uint32_t)t;
			size_t from = pl->diags->len, nfiles = o->be.nfiles;
			o->backend->emit(&o->be, tg);
			kc_stamp(pl->diags, from, o->backend->name, tg->name);
			/* a target's artifacts are written (compile) or dropped (lint) once emitted, so
			 * memory stays that of one target's */
			for (size_t f = nfiles; f < o->be.nfiles; f++) {
				if (pl->outdir && !pl->staging_failed && !kc_stage_file(pl, o, &o->be.files[f]))
					pl->staging_failed = true;
				be_buf_free(&o->be.files[f].text);
			}
		}
		if (unserved) {
			/* never silently nothing: one finding per backend and run */
			bool hosts = o->backend->subjects == BE_HOSTS;
			/* a warning when this backend alone was asked for (--target=all: a note) */
			size_t from = pl->diags->len;
			fe_diag_add(pl->diags, pl->noutputs == 1 ? FE_WARNING : FE_NOTE, FE_BE_SUBJECTS, pl->prog->policies[unserved->policies[0]].loc,
				    "%s: serves %s targets only: %zu %s target%s get%s nothing from it (the first: %s)",
				    o->backend->name, hosts ? "host" : "container", nunserved, hosts ? "container" : "host",
				    nunserved == 1 ? "" : "s", nunserved == 1 ? "s" : "", unserved->name);
			kc_stamp(pl->diags, from, o->backend->name, NULL);
		}
		if (o->backend->finish) {
			size_t from = pl->diags->len;
			o->backend->finish(&o->be, pl->totals);
			if (pl->totals)
				fflush(pl->totals);
			kc_stamp(pl->diags, from, o->backend->name, NULL);
		}
		be_gaps_finish(&o->be);
		if (pl->lint)
			kc_lint_capacity(o->backend->name, o->be.usage, o->be.nusage, pl->diags);
		if (!failed && pl->diags->errors > errors)
			failed = o->backend->name;
	}
	if (!failed && pl->scenario && pl->noutputs == 1)
		kc_cases_manifest(pl, &pl->outputs[0]);
	return failed;
}

/* write: every file of every backend, then the backends' after-write steps; then each
 * backend's folder is left holding exactly this run's artifacts. */
static int kc_write(struct kc_pipeline *pl)
{
	kc_report(stderr, pl->diags, KC_FORMAT_TEXT, false);
	size_t nfiles = 0, ngaps = 0;
	/* first every file not yet staged (the backends' own and finish's), then the renames:
	 * a failure before the renames leaves the previous output as it was */
	for (size_t i = 0; i < pl->noutputs; i++) {
		struct be_ctx *be = &pl->outputs[i].be;
		for (size_t f = 0; f < be->nfiles; f++) {
			struct be_file *file = &be->files[f];
			/* a staged file's text was freed: a backend must not add to it later */
			assert(!file->staged || file->text.len == 0);
			if (!file->staged && !kc_stage_file(pl, &pl->outputs[i], file))
				return 3;
		}
	}
	for (size_t i = 0; i < pl->noutputs; i++) {
		struct be_ctx *be = &pl->outputs[i].be;
		for (size_t f = 0; f < be->nfiles; f++) {
			char path[4096], tmp[4200];
			kc_file_paths(pl, be->files[f].path, path, sizeof(path), tmp, sizeof(tmp));
			if (rename(tmp, path) != 0) {
				fprintf(stderr, "karmorc: %s: %s\n", path, strerror(errno));
				return 3;
			}
			be->files[f].staged = false;
		}
		nfiles += be->nfiles;
		ngaps += be->ngaps_dropped + be->ngaps;
	}
	for (size_t i = 0; i < pl->noutputs; i++) {
		const struct kc_output *o = &pl->outputs[i];
		if (o->arg && o->backend->after_write && !o->backend->after_write(&o->be, pl->outdir, o->arg))
			return 3;
	}
	for (size_t i = 0; i < pl->noutputs; i++) {
		const char *folder = pl->outputs[i].backend->folder;
		kc_staging = NULL;	/* renamed: this run's output now */
		be_remove_stale(pl->outdir, folder, &pl->outputs[i].be, fe_arena_printf(&pl->arena, "%s/", folder));
		const char *tables = pl->outputs[i].backend->tables;
		if (tables)
			be_remove_stale(pl->outdir, tables, &pl->outputs[i].be, fe_arena_printf(&pl->arena, "%s/", tables));
	}
	size_t nt = pl->targets.n;
	/* a gap is counted per target it holds for (each decides skipped cases), though it is
	 * warned once */
	if (!pl->no_summary)
		fprintf(stderr, "karmorc: %s: %zu target%s, %zu file%s written to %s/, %zu rule%s not "
			"expressible (counted per target)\n", pl->command, nt, nt == 1 ? "" : "s", nfiles,
			nfiles == 1 ? "" : "s", pl->outdir, ngaps, ngaps == 1 ? "" : "s");
	return 0;
}

/* The one list of passes. */
int kc_pipeline_run(struct kc_pipeline *pl, enum kc_stage last)
{
	if (last >= KC_STAGE_EMIT && !kc_prepare(pl, last))
		return pl->bad_option ? 2 : 3;
	if (!kc_load(pl))
		return pl->io_error ? 3 : 1;
	if (last == KC_STAGE_LOAD)
		return 0;
	if (!kc_resolve_targets(pl) && pl->refusal) {
		kc_report(stderr, pl->diags, KC_FORMAT_TEXT, false);
		fprintf(stderr, "karmorc: %s: %s\n", pl->command, pl->refusal);
		return 1;
	}
	if (last == KC_STAGE_TARGETS)
		return 0;
	kc_analyse(pl);
	if (last == KC_STAGE_ANALYSES)
		return 0;
	const char *failed = kc_emit(pl);
	if (last == KC_STAGE_EMIT)
		return failed ? 1 : 0;	/* lint: the errors are findings like any other */
	if (pl->staging_failed)
		return 3;	/* reported; kc_pipeline_free removes what was staged */
	if (failed) {
		kc_report(stderr, pl->diags, KC_FORMAT_TEXT, false);
		fprintf(stderr, "karmorc: %s: the %s backend reported errors; nothing written\n", pl->command, failed);
		return 1;
	}
	return kc_write(pl);
}
