/*
 * be_: the one interface every backend implements (DESIGN §5): emit the artifacts of
 * one target, reporting as diagnostics (and as "gaps") everything it cannot express.
 * Backends read the IR only (frontend/ir.h); they never see YAML.
 */
#ifndef BE_BACKEND_H
#define BE_BACKEND_H
#include <stdbool.h>
#include <stddef.h>
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

/* One generated file, relative to the output directory. */
struct be_file {
	const char *path;
	struct be_buf text;
};

/* Something a backend could not express for a target: a case that depends on it is
 * skipped (not failed) by the real-kernel rig, with this code. */
struct be_gap {
	uint32_t target;
	long rule;			/* rule index, or -1 for the whole class */
	enum ir_posture_class pclass;	/* class affected (syscall rules: IR_PC_COUNT) */
	enum fe_diag_code code;
	const char *const *only;	/* NULL: every op of the class; else only these resources */
	bool matching_only;		/* only ops the rule matches depend on it (not its allow-list effect) */
	bool reads_of_target;		/* only reads of paths the rule's target matches depend on it */
	bool all_classes;		/* every op of the target depends on it */
};

struct be_bpf_run;

struct be_ctx {
	const struct ir_program *prog;
	struct fe_diags *diags;
	struct fe_arena *arena;
	const char *backend;		/* name, for messages */
	struct be_file *files;
	size_t nfiles, files_cap;
	struct be_gap *gaps;
	size_t ngaps, gaps_cap;
	uint32_t target_index;		/* of the target being emitted */
	const char *version;		/* karmorc's version, for artifacts that record it */
	struct be_bpf_run *bpf;		/* the bpf backend's totals over the run (arena memory) */
};

struct be_backend {
	const char *name;
	/* Emits one target; files go to ctx->files, findings to ctx->diags and ctx->gaps. */
	void (*emit)(struct be_ctx *ctx, const struct ir_target *t);
	/* The profile (or equivalent) a process runs under when its executable is `source`. */
	const char *(*subject_for)(struct be_ctx *ctx, const struct ir_target *t, const char *source);
};

extern const struct be_backend be_apparmor;
extern const struct be_backend be_bpf;
const struct be_backend *be_find(const char *name);

/* The bpf backend after every target is emitted: prints each target's map usage and the
 * totals to `out`, and reports (as errors) every capacity of bpf/karmor.h the run's
 * targets together exceed -- one output directory is applied at once.  Returns false
 * when something is over capacity. */
bool be_bpf_finish(struct be_ctx *ctx, FILE *out);

void be_ctx_init(struct be_ctx *ctx, const struct ir_program *p, struct fe_diags *d, struct fe_arena *a,
		 const char *backend);
void be_ctx_free(struct be_ctx *ctx);
struct be_file *be_new_file(struct be_ctx *ctx, const char *path);
/* Reports what cannot be expressed: a warning naming rule, target and backend, and a gap. */
void be_gap(struct be_ctx *ctx, const struct ir_target *t, long rule, enum ir_posture_class pc,
	    enum fe_diag_code code, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* The same for something that is not one rule (e.g. a policy's native lines) at `at`. */
void be_gap_at(struct be_ctx *ctx, const struct ir_target *t, struct fe_loc at, enum ir_posture_class pc,
	       enum fe_diag_code code, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

#endif
