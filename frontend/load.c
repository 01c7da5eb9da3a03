#include "load.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lower.h"

#define FE_MAX_DIR_DEPTH 32

/* DESIGN §4.12's opt-out, reported wherever a policy asks for it (check and compile) */
static void fe_check_opt_out(struct fe_diags *d, const struct fe_source *src, const struct fe_ynode *root)
{
	const struct fe_ynode *meta = fe_ymap_get(root, "metadata");
	const struct fe_ynode *v = meta && meta->kind == FE_YN_MAP ? fe_ymap_get(meta, "annotations") : NULL;
	v = v && v->kind == FE_YN_MAP ? fe_ymap_get(v, IR_ALLOW_MOUNT_ANNOTATION) : NULL;
	if (!v || v->kind != FE_YN_SCALAR || !v->str)
		return;
	if (strcmp(v->str, "true") == 0)
		fe_diag_add(d, FE_NOTE, FE_BE_CONFINEMENT_OPT_OUT, fe_ynode_loc(src, v),
			    "the targets this policy selects may mount, unmount, pivot_root and create user "
			    "namespaces (" IR_ALLOW_MOUNT_ANNOTATION "): a bind mount can then show a protected "
			    "file under another path");
	else if (strcmp(v->str, "false") != 0)
		fe_diag_add(d, FE_WARNING, FE_BE_CONFINEMENT_OPT_OUT, fe_ynode_loc(src, v),
			    IR_ALLOW_MOUNT_ANNOTATION " is '%s', neither 'true' nor 'false': no opt-out", v->str);
}

void fe_loader_init(struct fe_loader *l, struct fe_arena *a, struct fe_diags *d, struct ir_program *p,
		    enum fe_schema_mode mode)
{
	memset(l, 0, sizeof(*l));
	l->arena = a;
	l->diags = d;
	l->prog = p;
	l->mode = mode;
	fe_arena_init(&l->scratch);
	fe_arena_init(&l->text);
}

struct fe_source *fe_source_read(struct fe_arena *a, const char *path, bool *too_big)
{
	return fe_source_read2(a, a, path, too_big);
}

struct fe_source *fe_source_read2(struct fe_arena *meta, struct fe_arena *a, const char *path, bool *too_big)
{
	*too_big = false;
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (!f)
		return NULL;
	/* A regular file is read in one go into the arena (its size plus one byte to see the end);
	 * a pipe grows a heap buffer.  Either way at most FE_MAX_FILE_SIZE bytes are kept. */
	struct stat st;
	size_t cap = 64 * 1024, len = 0;
	bool sized = fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
		     (size_t)st.st_size <= FE_MAX_FILE_SIZE;
	if (sized)
		cap = (size_t)st.st_size + 1;
	char *buf = sized ? fe_arena_alloc(a, cap + 1) : malloc(cap + 1);
	if (!buf) {
		fe_oom();
	}
	for (;;) {
		if (len == cap) {
			if (sized || cap > FE_MAX_FILE_SIZE) {
				*too_big = len > FE_MAX_FILE_SIZE || !sized;
				if (sized && len <= FE_MAX_FILE_SIZE) {
					/* the file grew while we read it: fall back to the pipe path */
					char *copy = malloc(cap * 2 + 1);
					if (!copy) {
						fe_oom();
					}
					memcpy(copy, buf, len);
					buf = copy;
					cap *= 2;
					sized = false;
					*too_big = false;
					continue;
				}
				break;
			}
			cap *= 2;
			char *nb = realloc(buf, cap + 1);
			if (!nb) {
				fe_oom();
			}
			buf = nb;
		}
		size_t got = fread(buf + len, 1, cap - len, f);
		len += got;
		if (got == 0)
			break;
	}
	int err = ferror(f) ? errno : 0;
	if (f != stdin)
		fclose(f);
	if (len > FE_MAX_FILE_SIZE)
		*too_big = true;
	struct fe_source *src = fe_arena_zalloc(meta, sizeof(*src));
	src->name = fe_arena_strdup(meta, strcmp(path, "-") == 0 ? "<stdin>" : path);
	src->on_disk = strcmp(path, "-") != 0;
	if (err) {
		if (!sized)
			free(buf);
		errno = err;
		return NULL;
	}
	if (*too_big) {
		src->text = "";
		src->len = 0;
	} else if (sized) {
		buf[len] = '\0';
		src->text = buf;
		src->len = len;
	} else {
		src->text = fe_arena_strndup(a, buf, len);
		src->len = len;
	}
	if (!sized)
		free(buf);
	return src;
}

static const char *fe_kind_names[] = {
#define FE_KIND(e, name) [e] = #name,
#include "names.def"
};

static void fe_load_document(struct fe_loader *l, const struct fe_source *src, const struct fe_ydoc *doc)
{
	struct fe_diags *d = l->diags;
	const struct fe_ynode *root = doc->root;
	struct fe_loc at = {src, doc->line, doc->col};
	if (!root)
		return;		/* an empty document (e.g. after a trailing ---) */
	if (root->kind != FE_YN_MAP) {
		fe_diag_add(d, FE_ERROR, FE_NOT_OBJECT, fe_ynode_loc(src, root),
			    "document is %s, not a Kubernetes object (a mapping with apiVersion and kind)",
			    fe_ynode_kind_name(root));
		return;
	}
	at = fe_ynode_loc(src, root);
	const struct fe_ynode *api = fe_ymap_get(root, "apiVersion"), *kind = fe_ymap_get(root, "kind");
	const char *api_s = api && api->kind == FE_YN_SCALAR && api->type == FE_YS_STR ? api->str : NULL;
	const char *kind_s = kind && kind->kind == FE_YN_SCALAR && kind->type == FE_YS_STR ? kind->str : NULL;
	int k = -1;
	for (int i = 0; i < 3; i++)
		if (kind_s && strcmp(kind_s, fe_kind_names[i]) == 0)
			k = i;
	bool kubearmor_group = api_s && strncmp(api_s, "security.kubearmor.com/", 23) == 0;
	bool network_policy = kind_s && strcmp(kind_s, "KubeArmorNetworkPolicy") == 0;

	if (!api_s && !kind_s) {
		fe_diag_fixit(d, fe_diag_add(d, FE_ERROR, FE_NOT_OBJECT, at,
					     "document has no apiVersion and no kind: it is not a Kubernetes object"),
			      "a KubeArmor policy starts with 'apiVersion: security.kubearmor.com/v1' and a kind");
		return;
	}
	if (!api_s && k < 0 && !network_policy) {
		fe_diag_add(d, FE_ERROR, FE_NOT_OBJECT, at, "document has kind '%s' but no apiVersion",
			    kind_s ? kind_s : "?");
		return;
	}
	if (api_s && !kubearmor_group && k < 0 && !network_policy) {
		fe_diag_add(d, FE_NOTE, FE_FOREIGN_DOCUMENT, at, "skipping %s '%s' (not a KubeArmor policy)",
			    kind_s ? kind_s : "document", api_s);
		return;
	}
	if (network_policy) {
		l->recognised++;
		fe_diag_add(d, FE_WARNING, FE_NETWORK_POLICY_SKIPPED, fe_ynode_loc(src, kind),
			    "KubeArmorNetworkPolicy is recognised but not compiled by karmorc; skipped");
		return;
	}
	if (k < 0) {
		const struct fe_ynode *where = kind ? kind : root;
		struct fe_diag *dg = fe_diag_add(d, FE_ERROR, FE_UNKNOWN_KIND, fe_ynode_loc(src, where),
						 "unknown kind '%s' in the security.kubearmor.com group",
						 kind_s ? kind_s : "(missing)");
		const char *sugg = kind_s ? fe_suggest(kind_s, fe_kind_names, sizeof(fe_kind_names) / sizeof(fe_kind_names[0])) : NULL;
		if (sugg)
			fe_diag_fixit(d, dg, "did you mean '%s'?", sugg);
		return;
	}
	if (api_s && strcmp(api_s, "security.kubearmor.com/v1") != 0) {
		fe_diag_fixit(d, fe_diag_add(d, FE_ERROR, FE_UNKNOWN_KIND, fe_ynode_loc(src, api),
					     "unknown version '%s' of %s", api_s, kind_s),
			      "write 'apiVersion: security.kubearmor.com/v1'");
		return;
	}
	l->policies++;
	l->recognised++;
	bool ok = fe_schema_validate(d, src, root, (enum ir_kind)k, l->mode);
	ok &= fe_check_rules_present(d, src, root, (enum ir_kind)k);
	fe_check_opt_out(d, src, root);
	/* `check` lowers only what lowering alone reports on: host Allow rules without
	 * fromSource (KC0123).  Everything else it needs was found by the schema walk. */
	if (ok && l->validate_only && k != IR_HSP)
		fe_policy_identity(l->prog, src, doc, (enum ir_kind)k);
	else if (ok)
		fe_lower(l->prog, d, src, doc, (enum ir_kind)k, l->mode);
}

static void fe_load_source(struct fe_loader *l, const struct fe_source *src)
{
	struct fe_yfile yf;
	l->files++;
	/* nodes live only while this file is checked and lowered: the IR copies what it keeps */
	fe_arena_reset(&l->scratch);
	fe_yaml_parse(&l->scratch, l->diags, src, &yf);
	size_t nonempty = 0;
	for (size_t i = 0; i < yf.ndocs; i++) {
		if (yf.docs[i].root)
			nonempty++;
		if (l->on_document)
			l->on_document(l->on_document_ctx, src, &yf.docs[i]);
		else
			fe_load_document(l, src, &yf.docs[i]);
	}
	l->documents += nonempty;
	if (nonempty == 0) {
		struct fe_loc at = {src, 0, 0};
		/* a parse error already explains an empty result */
		bool had_error = false;
		for (size_t i = 0; i < l->diags->len; i++)
			had_error |= l->diags->items[i].loc.src == src && l->diags->items[i].severity == FE_ERROR;
		if (!had_error)
			fe_diag_add(l->diags, FE_WARNING, FE_NO_DOCUMENTS, at, "file holds no YAML document");
	}
}

void fe_load_text(struct fe_loader *l, const char *name, const char *text, size_t len)
{
	struct fe_source *src = fe_arena_zalloc(l->arena, sizeof(*src));
	src->name = fe_arena_strdup(l->arena, name);
	src->text = fe_arena_strndup(l->arena, text, len);
	src->len = len;
	fe_load_source(l, src);
}

static int fe_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool fe_is_yaml_name(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

static void fe_load_file(struct fe_loader *l, const char *path)
{
	bool too_big;
	fe_arena_reset(&l->text);
	struct fe_source *src = fe_source_read2(l->arena, &l->text, path, &too_big);
	if (!src) {
		fprintf(stderr, "karmorc: %s: %s\n", path, strerror(errno));
		l->io_error = true;
		return;
	}
	if (too_big) {
		struct fe_loc at = {src, 0, 0};
		fe_diag_add(l->diags, FE_ERROR, FE_FILE_SIZE, at, "file is larger than the limit of %u bytes",
			    FE_MAX_FILE_SIZE);
		l->files++;
		return;
	}
	size_t before = l->diags->len;
	fe_load_source(l, src);
	if (l->on_file)
		l->on_file(l->on_file_ctx, l->diags, before);
	/* The bytes are kept only while findings still need quoting.  A finding made later
	 * (e.g. a duplicate policy) reads the line again from the file (report.c). */
	if (l->diags->len != before)
		src->text = fe_arena_strndup(l->arena, src->text, src->len);
	else
		src->text = NULL;
}

static size_t fe_id_slot(const struct fe_file_id *id, size_t cap)
{
	unsigned long long h = id->ino * 0x9E3779B97F4A7C15ull ^ id->dev;
	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

/* true the first time (dev, ino) is offered; an open-addressing set (inode 0 = empty) */
static bool fe_first_visit(struct fe_loader *l, const struct stat *st)
{
	struct fe_file_id id = {(unsigned long long)st->st_dev, (unsigned long long)st->st_ino + 1};
	if (2 * (l->nseen + 1) > l->seen_cap) {
		size_t cap = l->seen_cap ? l->seen_cap * 2 : 256;
		struct fe_file_id *s = calloc(cap, sizeof(*s));
		if (!s) {
			fe_oom();
		}
		for (size_t i = 0; i < l->seen_cap; i++) {
			if (!l->seen[i].ino)
				continue;
			size_t j = fe_id_slot(&l->seen[i], cap);
			while (s[j].ino)
				j = (j + 1) & (cap - 1);
			s[j] = l->seen[i];
		}
		free(l->seen);
		l->seen = s;
		l->seen_cap = cap;
	}
	size_t j = fe_id_slot(&id, l->seen_cap);
	while (l->seen[j].ino) {
		if (l->seen[j].ino == id.ino && l->seen[j].dev == id.dev)
			return false;
		j = (j + 1) & (l->seen_cap - 1);
	}
	l->seen[j] = id;
	l->nseen++;
	return true;
}

static void fe_load_dir(struct fe_loader *l, const char *path, int depth)
{
	if (depth > FE_MAX_DIR_DEPTH) {
		fprintf(stderr, "karmorc: %s: directories nested deeper than %d; not searched\n", path,
			FE_MAX_DIR_DEPTH);
		l->io_error = true;
		return;
	}
	DIR *dir = opendir(path);
	if (!dir) {
		fprintf(stderr, "karmorc: %s: %s\n", path, strerror(errno));
		l->io_error = true;
		return;
	}
	struct fe_vec names = {0};
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;	/* ., .. and hidden entries such as .git */
		/* a regular file that is not YAML is never looked at again */
		if (e->d_type == DT_REG && !fe_is_yaml_name(e->d_name))
			continue;
		fe_vec_push(&names, fe_arena_strdup(l->arena, e->d_name));
	}
	if (names.len > 1)
		qsort(names.items, names.len, sizeof(*names.items), fe_name_cmp);
	const char *sep = path[strlen(path) - 1] == '/' ? "" : "/";
	for (size_t i = 0; i < names.len; i++) {
		const char *name = names.items[i];
		struct stat st;
		/* relative to the open directory: no path walk per entry */
		if (fstatat(dirfd(dir), name, &st, 0) != 0)
			continue;	/* a dangling symlink: nothing to read */
		if (S_ISDIR(st.st_mode)) {
			if (fe_first_visit(l, &st))
				fe_load_dir(l, fe_arena_printf(l->arena, "%s%s%s", path, sep, name), depth + 1);
		} else if (S_ISREG(st.st_mode) && fe_is_yaml_name(name) && fe_first_visit(l, &st)) {
			fe_load_file(l, fe_arena_printf(l->arena, "%s%s%s", path, sep, name));
		}
	}
	closedir(dir);
	fe_vec_free(&names);
}

void fe_load_path(struct fe_loader *l, const char *path)
{
	struct stat st;
	if (strcmp(path, "-") == 0) {
		fe_load_file(l, path);
		return;
	}
	if (stat(path, &st) != 0) {
		fprintf(stderr, "karmorc: %s: %s\n", path, strerror(errno));
		l->io_error = true;
		return;
	}
	if (!fe_first_visit(l, &st))
		return;		/* already loaded through another name */
	if (S_ISDIR(st.st_mode))
		fe_load_dir(l, path, 0);
	else
		fe_load_file(l, path);
}

void fe_loader_release(struct fe_loader *l)
{
	fe_arena_free(&l->scratch);
	fe_arena_free(&l->text);
	free(l->seen);
	l->seen = NULL;
	l->nseen = l->seen_cap = 0;
}

void fe_loader_finish(struct fe_loader *l)
{
	struct ir_program *p = l->prog;
	fe_loader_release(l);
	ir_program_finish(p);
	/* Same (kind, namespace, name) twice: kubectl apply would keep only the last applied;
	 * karmorc keeps both (deterministically) and says so. */
	for (uint32_t i = 1; i < p->npolicies; i++) {
		const struct ir_policy *a = &p->policies[i - 1], *b = &p->policies[i];
		if (a->name == b->name && a->namespace == b->namespace && a->kind == b->kind) {
			struct fe_diag *dg = fe_diag_add(l->diags, FE_WARNING, FE_DUP_POLICY, b->loc,
							 "%s '%s' is defined twice; karmorc enforces both (kubectl "
							 "apply would keep only the one applied last)",
							 ir_kind_name(b->kind), ir_s(&p->strs, b->name));
			fe_diag_related(l->diags, dg, a->loc, "the other definition");
		}
	}
}
