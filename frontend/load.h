/*
 * fe_load: the frontend's entry point.  Reads files, directories (every
 * *.yaml / *.yml below, in sorted order) and "-" (stdin), parses every
 * document, recognises KubeArmor kinds, validates them and lowers them into
 * the program.  Documents of other API groups are skipped with a note.
 */
#ifndef FE_LOAD_H
#define FE_LOAD_H
#include <stdbool.h>

#include "diag.h"
#include "ir.h"
#include "schema.h"
#include "yaml.h"

#define FE_MAX_FILE_SIZE (16u * 1024 * 1024)

struct fe_loader {
	struct fe_arena *arena;
	struct fe_arena scratch;	/* YAML nodes of the file being loaded; reset per file */
	struct fe_arena text;		/* that file's bytes; kept (copied) only if it has findings */
	struct fe_diags *diags;
	struct ir_program *prog;
	enum fe_schema_mode mode;
	size_t files, documents, policies;
	size_t recognised;	/* policies plus recognised-but-skipped kinds */
	bool io_error;		/* a path could not be read: exit 3 */
	bool validate_only;	/* `check`: keep no IR, lower only what reports findings */
	/* files and directories already seen, as (device, inode): a symlink loop or the same
	 * file named twice is read once */
	struct fe_file_id { unsigned long long dev, ino; } *seen;
	size_t nseen, seen_cap;
	/* Optional: called after each file with the index of its first finding, while the
	 * file's text is still in memory (so `check` can stream its report). */
	void (*on_file)(void *ctx, struct fe_diags *d, size_t first);
	void *on_file_ctx;
	/* Optional: another reader (the workload inventory, workloads.h) takes every document
	 * instead of the policy reader; the file walk, its order and its limits are shared. */
	void (*on_document)(void *ctx, const struct fe_source *src, const struct fe_ydoc *doc);
	void *on_document_ctx;
};

void fe_loader_init(struct fe_loader *l, struct fe_arena *a, struct fe_diags *d, struct ir_program *p,
		    enum fe_schema_mode mode);
/* Loads one command-line path.  I/O failures are reported on stderr and set io_error. */
void fe_load_path(struct fe_loader *l, const char *path);
/* Loads in-memory text as if it were a file called `name`. */
void fe_load_text(struct fe_loader *l, const char *name, const char *text, size_t len);
/* Finishes the program (deterministic order) and reports duplicate identities. */
void fe_loader_finish(struct fe_loader *l);	/* also frees the scratch arena */
/* Frees what the loader holds itself (scratch arena, file bytes, visited set) without
 * finishing a program: for a loader used with on_document. */
void fe_loader_release(struct fe_loader *l);

/* Reads a whole file into the arena; NULL (errno set) on failure. */
struct fe_source *fe_source_read(struct fe_arena *a, const char *path, bool *too_big);
/* The same, with the description in `meta` and the bytes in `text`. */
struct fe_source *fe_source_read2(struct fe_arena *meta, struct fe_arena *text, const char *path, bool *too_big);

#endif
