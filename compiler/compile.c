#include "compile.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../backends/backend.h"
#include "../frontend/load.h"
#include "explain.h"
#include "report.h"
#include "scenario.h"
#include "verdict.h"

/* ---- target names ---- */

static void kc_slug_append(struct be_buf *b, const char *s, size_t max)
{
	size_t start = b->len;
	for (const char *p = s; *p && b->len - start < max; p++) {
		char c = *p;
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (c >= 'A' && c <= 'Z') {
			c = (char)(c + 32);
			alnum = true;
		}
		if (alnum) {
			char one[2] = {c, 0};
			be_puts(b, one);
		} else if (b->len > start && b->s[b->len - 1] != '-') {
			be_puts(b, "-");
		}
	}
	while (b->len > start && b->s[b->len - 1] == '-')
		b->s[--b->len] = '\0';
}

/* "karmorc-<kind>-<readable slug>-<8 hex of SHA-256(identity)>": stable, unique, legal as an
 * AppArmor profile name and a file name. */
static const char *kc_target_name(struct fe_arena *a, const char *kind, const char *readable, const char *identity)
{
	unsigned char md[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(md, (const unsigned char *)identity, strlen(identity));
	struct be_buf b = {0};
	be_printf(&b, "karmorc-%s-", kind);
	kc_slug_append(&b, readable, 48);
	be_printf(&b, "%s%02x%02x%02x%02x", b.s[b.len - 1] == '-' ? "" : "-", md[0], md[1], md[2], md[3]);
	const char *out = fe_arena_strdup(a, b.s);
	be_buf_free(&b);
	return out;
}

static int kc_cstr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A workload as text, with its labels sorted: the identity of a scenario target. */
static const char *kc_workload_text(struct fe_arena *a, const struct kc_workload *w)
{
	const char **kv = fe_arena_alloc(a, (w->nlabels + 1) * sizeof(*kv));
	for (size_t i = 0; i < w->nlabels; i++)
		kv[i] = fe_arena_printf(a, "%s=%s", w->labels[i].key, w->labels[i].value);
	if (w->nlabels > 1)
		qsort(kv, w->nlabels, sizeof(*kv), kc_cstr_cmp);
	struct be_buf b = {0};
	if (w->host)
		be_puts(&b, "host");
	else
		be_printf(&b, "namespace %s", w->namespace ? w->namespace : "default");
	for (size_t i = 0; i < w->nlabels; i++)
		be_printf(&b, "%s%s", i ? "," : " labels ", kv[i]);
	if (!w->host && w->container)
		be_printf(&b, " container %s", w->container);
	const char *out = fe_arena_strdup(a, b.s);
	be_buf_free(&b);
	return out;
}

/* A policy's selector as text: policies with the same text form one target when there is
 * no workload inventory (DESIGN §3). */
static const char *kc_selector_text(struct fe_arena *a, const struct ir_program *p, const struct ir_policy *pol)
{
	struct be_buf b = {0};
	const struct ir_strtab *s = &p->strs;
	if (pol->kind == IR_HSP)
		be_puts(&b, "host");
	else if (pol->kind == IR_CSP)
		be_puts(&b, "cluster");
	else
		be_printf(&b, "namespace %s", ir_s(s, pol->namespace));
	const char **kv = fe_arena_alloc(a, (pol->nlabels + 1) * sizeof(*kv));
	for (uint32_t i = 0; i < pol->nlabels; i++)
		kv[i] = fe_arena_printf(a, "%s=%s", ir_s(s, pol->labels[i].key), ir_s(s, pol->labels[i].value));
	if (pol->nlabels > 1)
		qsort(kv, pol->nlabels, sizeof(*kv), kc_cstr_cmp);
	for (uint32_t i = 0; i < pol->nlabels; i++)
		be_printf(&b, "%s%s", i ? "," : " labels ", kv[i]);
	for (uint32_t i = 0; i < pol->nexprs; i++) {
		const struct ir_expr *e = &pol->exprs[i];
		be_printf(&b, " %s %s", e->key == IR_EXPR_NAMESPACE ? "namespace" : "label",
			  e->op == IR_OP_IN ? "in" : "notin");
		for (uint32_t v = 0; v < e->values.n; v++)
			be_printf(&b, "%s%s", v ? "," : " ", ir_s(s, e->values.items[v]));
	}
	if (pol->has_containers) {
		be_puts(&b, " containers");
		for (uint32_t i = 0; i < pol->containers.n; i++)
			be_printf(&b, "%s%s", i ? "," : " ", ir_s(s, pol->containers.items[i]));
	}
	const char *out = fe_arena_strdup(a, b.s);
	be_buf_free(&b);
	return out;
}

/* ---- targets ---- */

struct kc_targets {
	struct ir_target *items;
	size_t n;
};

static void kc_target_rules_add(struct fe_arena *a, struct ir_target *t, const struct ir_program *p,
				const struct ir_policy *pol)
{
	uint32_t *pols = fe_arena_alloc(a, (t->npolicies + 1) * sizeof(*pols));
	if (t->npolicies)
		memcpy(pols, t->policies, t->npolicies * sizeof(*pols));
	pols[t->npolicies++] = (uint32_t)(pol - p->policies);
	t->policies = pols;
	uint32_t *rules = fe_arena_alloc(a, (t->nrules + pol->nrules + 1) * sizeof(*rules));
	if (t->nrules)
		memcpy(rules, t->rules, t->nrules * sizeof(*rules));
	for (uint32_t r = 0; r < pol->nrules; r++)
		rules[t->nrules + r] = pol->first_rule + r;
	t->rules = rules;
	t->nrules += pol->nrules;
}

/* Without an inventory: one target per distinct selector, in policy order. */
static void kc_targets_from_selectors(struct fe_arena *a, const struct ir_program *p,
				      const enum ir_posture posture[IR_PC_COUNT], struct kc_targets *out)
{
	out->items = fe_arena_zalloc(a, (p->npolicies + 1) * sizeof(*out->items));
	const char **keys = fe_arena_alloc(a, (p->npolicies + 1) * sizeof(*keys));
	for (uint32_t i = 0; i < p->npolicies; i++) {
		const struct ir_policy *pol = &p->policies[i];
		const char *key = kc_selector_text(a, p, pol);
		size_t t = 0;
		while (t < out->n && strcmp(keys[t], key) != 0)
			t++;
		if (t == out->n) {
			struct ir_target *nt = &out->items[out->n];
			keys[out->n++] = key;
			const char *kind = pol->kind == IR_HSP ? "host" : pol->kind == IR_CSP ? "cluster" : "ns";
			nt->name = kc_target_name(a, kind, key, key);
			nt->describe = fe_arena_printf(a, "the selector %s", key);
			nt->host = pol->kind == IR_HSP;
			memcpy(nt->posture, posture, sizeof(nt->posture));
		}
		kc_target_rules_add(a, &out->items[t], p, pol);
	}
}

/* ---- the case manifest for the real-kernel rig ---- */

static enum ir_posture_class kc_op_pclass(enum kc_op op)
{
	return op == KC_OP_NETWORK ? IR_PC_NETWORK : op == KC_OP_CAPABILITY ? IR_PC_CAPABILITIES
	       : op == KC_OP_SYSCALL ? IR_PC_COUNT : IR_PC_FILE;
}

/* The code of a gap this case depends on, or NULL. */
static const char *kc_case_skip(struct fe_arena *a, const struct be_ctx *be, uint32_t ti, struct fe_matcher *m,
				const struct kc_case *k, const enum ir_posture posture[IR_PC_COUNT])
{
	const struct ir_program *p = be->prog;
	enum ir_posture_class pc = kc_op_pclass(k->op.op);
	for (size_t g = 0; g < be->ngaps; g++) {
		const struct be_gap *gap = &be->gaps[g];
		if (gap->target != ti || (gap->pclass != pc && !gap->all_classes))
			continue;
		if (gap->reads_of_target) {
			const struct ir_rule *r = &p->rules[gap->rule];
			if (k->op.op == KC_OP_READ && k->op.resource && fe_path_matches(m, r->match, r->target, k->op.resource))
				return fe_arena_printf(a, "KC%04d", (int)gap->code);
			continue;
		}
		if (gap->only) {
			bool listed = false;
			for (const char *const *o = gap->only; *o && !listed; o++)
				listed = k->op.resource && strcasecmp(*o, k->op.resource) == 0;
			if (!listed)
				continue;
		}
		bool depends = gap->rule < 0;
		if (!depends && gap->matching_only) {
			/* only a Block this very rule decides is affected (e.g. a denial without a record) */
			struct kc_verdict v = kc_decide(m, &k->workload, posture, &k->op);
			depends = v.action == IR_BLOCK && v.rule == gap->rule;
		} else if (!depends) {
			const struct ir_rule *r = &p->rules[gap->rule];
			/* the rule matches the op, or it is an Allow that makes the class an allow-list */
			depends = (kc_rule_matches(m, r, &k->op) && fe_source_matches(p, &r->source, k->op.source)) ||
				  (r->action == IR_ALLOW && pc != IR_PC_COUNT);
		}
		if (depends)
			return fe_arena_printf(a, "KC%04d", (int)gap->code);
	}
	return NULL;
}

static void kc_tsv_field(struct be_buf *b, const char *s)
{
	for (const char *p = s ? s : "-"; *p; p++) {
		char c = *p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p;
		char one[2] = {c, 0};
		be_puts(b, one);
	}
}

/* ---- writing ---- */

static int kc_mkdirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] == '/' || buf[i] == '\0') {
			char saved = buf[i];
			buf[i] = '\0';
			if (mkdir(buf, 0755) != 0 && errno != EEXIST)
				return -1;
			buf[i] = saved;
		}
	}
	return 0;
}

/* Each file is written to a temporary name and renamed: a reader never sees half a file. */
static bool kc_write_file(const char *dir, const char *rel, const struct be_buf *text)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	char *slash = strrchr(path, '/');
	*slash = '\0';
	if (kc_mkdirs(path) != 0) {
		fprintf(stderr, "karmorc: %s: %s\n", path, strerror(errno));
		return false;
	}
	*slash = '/';
	snprintf(tmp, sizeof(tmp), "%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		fprintf(stderr, "karmorc: %s: %s\n", tmp, strerror(errno));
		return false;
	}
	bool ok = fwrite(text->s ? text->s : "", 1, text->len, f) == text->len;
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, path) != 0) {
		fprintf(stderr, "karmorc: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return false;
	}
	return true;
}

/* --apparmor-binary: each profile precompiled by the real parser for a declared kernel
 * feature set (apparmor_parser -Q -S -M FEATURES), so a host needs no parser. */
static bool kc_precompile(const char *dir, const char *rel, const char *features)
{
	char src[4096], dst[4200];
	snprintf(src, sizeof(src), "%s/%s", dir, rel);
	const char *base = strrchr(rel, '/');
	snprintf(dst, sizeof(dst), "%s/apparmor-binary/%s", dir, base ? base + 1 : rel);
	char bindir[4200];
	snprintf(bindir, sizeof(bindir), "%s/apparmor-binary", dir);
	if (kc_mkdirs(bindir) != 0) {
		fprintf(stderr, "karmorc: %s: %s\n", bindir, strerror(errno));
		return false;
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "karmorc: fork: %s\n", strerror(errno));
		return false;
	}
	if (pid == 0) {
		FILE *out = freopen(dst, "wb", stdout);
		if (!out)
			_exit(126);
		execlp("apparmor_parser", "apparmor_parser", "-Q", "-S", "-M", features, src, (char *)NULL);
		fprintf(stderr, "karmorc: apparmor_parser: %s\n", strerror(errno));
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "karmorc: apparmor_parser -Q -S -M %s %s failed (status %d)\n", features, src,
			WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		unlink(dst);
		return false;
	}
	return true;
}

/* DIR/<sub>/ holds exactly this run's artifacts: a profile left from an earlier run for a
 * target that no longer exists would otherwise be loaded with the new ones. */
static void kc_remove_stale(const char *dir, const char *sub, const struct be_ctx *be, const char *prefix)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		bool ours = false;
		for (size_t i = 0; i < be->nfiles && !ours; i++) {
			const char *base = strrchr(be->files[i].path, '/');
			ours = strncmp(be->files[i].path, prefix, strlen(prefix)) == 0 && base &&
			       strcmp(base + 1, e->d_name) == 0;
		}
		if (!ours && unlinkat(dirfd(d), e->d_name, 0) != 0 && errno != EISDIR)
			fprintf(stderr, "karmorc: %s/%s: %s\n", path, e->d_name, strerror(errno));
	}
	closedir(d);
}

static void kc_compile_usage(FILE *f)
{
	fputs("usage: karmorc compile --target=apparmor -o DIR [--posture CLASS=MODE,...] [--schema=crd|daemon]\n"
	      "                       [--apparmor-binary FEATURES_FILE] PATH...\n"
	      "       karmorc compile --target=bpf -o DIR [--posture CLASS=MODE,...] [--schema=crd|daemon]\n"
	      "                       [--bpf-object FILE] PATH...\n"
	      "       karmorc compile --target=apparmor|bpf -o DIR [--bpf-object FILE] --scenario SCENARIO_FILE\n", f);
}

/* The BPF object the images are for, copied beside them: --bpf-object, $KARMORC_BPF_OBJECT,
 * then where a build tree or an install puts it relative to this executable. */
static bool kc_bpf_object(const char *given, struct be_buf *out)
{
	const char *env = getenv("KARMORC_BPF_OBJECT");
	char exe[4096], cand[5][4200];
	size_t n = 0;
	if (given) {
		snprintf(cand[n++], sizeof(cand[0]), "%s", given);
	} else if (env && *env) {
		snprintf(cand[n++], sizeof(cand[0]), "%s", env);
	} else {
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (len > 0) {
			exe[len] = '\0';
			char *slash = strrchr(exe, '/');
			if (slash)
				*slash = '\0';
			snprintf(cand[n++], sizeof(cand[0]), "%s/bpf/karmor.bpf.o", exe);
			snprintf(cand[n++], sizeof(cand[0]), "%s/../bpf/karmor.bpf.o", exe);
			snprintf(cand[n++], sizeof(cand[0]), "%s/../lib/karmorc/karmor.bpf.o", exe);
		}
	}
	for (size_t i = 0; i < n; i++) {
		FILE *f = fopen(cand[i], "rb");
		if (!f) {
			if (given || (env && *env)) {
				fprintf(stderr, "karmorc: %s: %s (the BPF object named by %s)\n", cand[i], strerror(errno),
					given ? "--bpf-object" : "$KARMORC_BPF_OBJECT");
				return false;
			}
			continue;
		}
		char chunk[65536];
		size_t got;
		while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
			be_write(out, chunk, got);
		bool err = ferror(f);
		fclose(f);
		/* an ELF object for the BPF machine (EM_BPF = 247), little-endian, 64-bit */
		if (err || out->len < 64 || memcmp(out->s, "\177ELF", 4) != 0 || out->s[4] != 2 || out->s[5] != 1 ||
		    (unsigned char)out->s[18] != 247 || out->s[19] != 0) {
			fprintf(stderr, "karmorc: %s: %s\n", cand[i], err ? strerror(errno) : "not a little-endian 64-bit ELF "
				"object for BPF (EM_BPF)");
			return false;
		}
		return true;
	}
	fprintf(stderr, "karmorc: compile: the BPF object karmor.bpf.o was not found (looked in");
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s %s", i ? "," : "", cand[i]);
	fprintf(stderr, "): build it with `make` in the karmorc source tree, or name it with --bpf-object FILE "
		"or $KARMORC_BPF_OBJECT\n");
	return false;
}

int kc_cmd_compile(int argc, char **argv)
{
	static const struct option opts[] = {
		{"target", required_argument, NULL, 't'}, {"output", required_argument, NULL, 'o'},
		{"posture", required_argument, NULL, 'P'}, {"schema", required_argument, NULL, 'S'},
		{"scenario", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
		{"apparmor-binary", required_argument, NULL, 'B'},
		{"bpf-object", required_argument, NULL, 'O'},
		{NULL, 0, NULL, 0},
	};
	const char *target = NULL, *outdir = NULL, *scenario = NULL, *features = NULL, *bpf_object = NULL;
	enum ir_posture posture[IR_PC_COUNT] = {IR_POSTURE_AUDIT, IR_POSTURE_AUDIT, IR_POSTURE_AUDIT};
	enum fe_schema_mode mode = FE_SCHEMA_CRD;
	bool posture_given = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': target = optarg; break;
		case 'o': outdir = optarg; break;
		case 's': scenario = optarg; break;
		case 'B': features = optarg; break;
		case 'O': bpf_object = optarg; break;
		case 'P':
			posture_given = true;
			if (!kc_parse_posture(optarg, posture)) {
				fprintf(stderr, "karmorc: compile: bad --posture '%s'\n", optarg);
				return 2;
			}
			break;
		case 'S':
			if (strcmp(optarg, "crd") == 0)
				mode = FE_SCHEMA_CRD;
			else if (strcmp(optarg, "daemon") == 0)
				mode = FE_SCHEMA_DAEMON;
			else {
				fprintf(stderr, "karmorc: compile: --schema must be crd or daemon\n");
				return 2;
			}
			break;
		case 'h':
			kc_compile_usage(stdout);
			return 0;
		default:
			kc_compile_usage(stderr);
			return 2;
		}
	}
	if (sodium_init() < 0) {
		fputs("karmorc: internal error: libsodium cannot be initialised\n", stderr);
		return 3;
	}
	const struct be_backend *backend = target ? be_find(target) : NULL;
	if (!backend) {
		fprintf(stderr, "karmorc: compile: --target must name a backend (apparmor or bpf)%s%s\n",
			target ? ", not " : "", target ? target : "");
		return 2;
	}
	bool bpf = backend == &be_bpf;
	if ((features && bpf) || (bpf_object && !bpf)) {
		fprintf(stderr, "karmorc: compile: %s goes with --target=%s only\n", features ? "--apparmor-binary" :
			"--bpf-object", features ? "apparmor" : "bpf");
		return 2;
	}
	if (scenario && posture_given) {
		fprintf(stderr, "karmorc: compile: --posture and --scenario do not go together: the scenario file "
			"states its posture\n");
		return 2;
	}
	if (!outdir || (!scenario && optind >= argc) || (scenario && optind < argc)) {
		kc_compile_usage(stderr);
		return 2;
	}

	/* the object first: without it no output directory can be applied */
	struct be_buf object = {0};
	if (bpf && !kc_bpf_object(bpf_object, &object)) {
		be_buf_free(&object);
		return 3;
	}

	struct fe_arena arena;
	fe_arena_init(&arena);
	struct kc_scenario sc;
	struct fe_diags *d;
	struct ir_program *prog;
	struct fe_diags own_diags;
	struct ir_program own_prog;
	int rc = 0;
	bool io_error = false;
	if (scenario) {
		if (!kc_scenario_load(&sc, scenario, mode) && sc.read_error) {
			fprintf(stderr, "karmorc: %s: %s\n", scenario, sc.read_error);
			kc_scenario_free(&sc);
			fe_arena_free(&arena);
			return sc.io_error ? 3 : 1;
		}
		d = &sc.diags;
		prog = &sc.prog;
		memcpy(posture, sc.posture, sizeof(posture));
	} else {
		fe_diags_init(&own_diags, &arena);
		ir_program_init(&own_prog, &arena);
		struct fe_loader l;
		fe_loader_init(&l, &arena, &own_diags, &own_prog, mode);
		for (int i = optind; i < argc; i++)
			fe_load_path(&l, argv[i]);
		fe_loader_finish(&l);
		io_error = l.io_error;
		d = &own_diags;
		prog = &own_prog;
	}
	if (!d->errors && !io_error && prog->npolicies == 0) {
		struct fe_loc none = {NULL, 0, 0};
		fe_diag_add(d, FE_ERROR, FE_NO_POLICY, none, "no KubeArmor policy to compile");
	}
	if (d->errors || io_error) {
		kc_report(stderr, d, KC_FORMAT_TEXT, false);
		fprintf(stderr, "karmorc: compile: the input has errors; nothing written\n");
		rc = io_error ? 3 : 1;
		goto done;
	}

	/* targets */
	struct kc_targets targets = {NULL, 0};
	long *case_target = NULL;
	if (scenario) {
		targets.items = fe_arena_zalloc(&arena, (sc.ncases + 1) * sizeof(*targets.items));
		case_target = fe_arena_alloc(&arena, (sc.ncases + 1) * sizeof(*case_target));
		const char **keys = fe_arena_alloc(&arena, (sc.ncases + 1) * sizeof(*keys));
		for (size_t i = 0; i < sc.ncases; i++) {
			const struct kc_workload *w = &sc.cases[i].workload;
			const char *key = kc_workload_text(&arena, w);
			size_t t = 0;
			while (t < targets.n && strcmp(keys[t], key) != 0)
				t++;
			if (t == targets.n) {
				struct ir_target nt;
				memset(&nt, 0, sizeof(nt));
				for (uint32_t pi = 0; pi < prog->npolicies; pi++)
					if (kc_selects(prog, &prog->policies[pi], w))
						kc_target_rules_add(&arena, &nt, prog, &prog->policies[pi]);
				keys[t] = key;
				nt.name = kc_target_name(&arena, w->host ? "host" : "wl", key, key);
				nt.describe = fe_arena_printf(&arena, "the workload %s", key);
				nt.host = w->host;
				memcpy(nt.posture, posture, sizeof(nt.posture));
				targets.items[targets.n++] = nt;
			}
			case_target[i] = targets.items[t].npolicies ? (long)t : -1;
		}
	} else {
		kc_targets_from_selectors(&arena, prog, posture, &targets);
	}

	struct be_ctx be;
	be_ctx_init(&be, prog, d, &arena, backend->name);
	be.version = KC_VERSION;
	for (size_t t = 0; t < targets.n; t++) {
		if (!targets.items[t].npolicies)
			continue;	/* no policy applies: the workload runs unconfined */
		be.target_index = (uint32_t)t;
		backend->emit(&be, &targets.items[t]);
	}
	if (bpf) {
		be_bpf_finish(&be, stdout);
		fflush(stdout);
		struct be_file *f = be_new_file(&be, "bpf/karmor.bpf.o");
		f->text = object;	/* the file owns the bytes now */
		memset(&object, 0, sizeof(object));
	}
	if (d->errors) {
		/* all or nothing: a backend's error (a capacity) leaves the output as it was */
		kc_report(stderr, d, KC_FORMAT_TEXT, false);
		fprintf(stderr, "karmorc: compile: the %s backend reported errors; nothing written\n", backend->name);
		rc = 1;
		be_ctx_free(&be);
		goto done;
	}

	if (scenario) {
		struct be_file *f = be_new_file(&be, "cases.tsv");
		struct be_buf *b = &f->text;
		struct fe_matcher *m = fe_matcher_new(prog);
		be_puts(b, "index\tname\tprofile\tsource\towner\top\tresource\tpath\texpect\tskip\n");
		for (size_t i = 0; i < sc.ncases; i++) {
			const struct kc_case *k = &sc.cases[i];
			long t = case_target[i];
			const char *subject = t < 0 ? "unconfined"
					     : backend->subject_for(&be, &targets.items[t], k->op.source);
			const char *skip = t < 0 ? NULL : kc_case_skip(&arena, &be, (uint32_t)t, m, k, posture);
			if (!skip && k->malformed)
				skip = "KC0300";
			be_printf(b, "%zu\t", i);
			kc_tsv_field(b, k->name);
			be_puts(b, "\t");
			kc_tsv_field(b, subject);
			be_puts(b, "\t");
			kc_tsv_field(b, k->op.source);
			be_printf(b, "\t%d\t%s\t", k->op.owner ? 1 : 0, kc_op_name(k->op.op));
			kc_tsv_field(b, k->op.resource);
			be_puts(b, "\t");
			kc_tsv_field(b, k->op.path);
			be_printf(b, "\t%s\t", ir_action_name(k->expect));
			kc_tsv_field(b, skip);
			be_puts(b, "\n");
		}
		fe_matcher_free(m);
	}

	kc_report(stderr, d, KC_FORMAT_TEXT, false);
	for (size_t i = 0; i < be.nfiles && rc == 0; i++)
		if (!kc_write_file(outdir, be.files[i].path, &be.files[i].text))
			rc = 3;
	for (size_t i = 0; i < be.nfiles && rc == 0 && features; i++)
		if (strncmp(be.files[i].path, "apparmor/", 9) == 0 && !kc_precompile(outdir, be.files[i].path, features))
			rc = 3;
	if (rc == 0) {
		if (bpf)
			kc_remove_stale(outdir, "bpf", &be, "bpf/");
		else
			kc_remove_stale(outdir, "apparmor", &be, "apparmor/");
		if (features)
			kc_remove_stale(outdir, "apparmor-binary", &be, "apparmor/");
	}
	if (rc == 0)
		fprintf(stderr, "karmorc: compile: %zu target%s, %zu file%s written to %s/, %zu rule%s not expressible\n",
			targets.n, targets.n == 1 ? "" : "s", be.nfiles, be.nfiles == 1 ? "" : "s", outdir, be.ngaps,
			be.ngaps == 1 ? "" : "s");
	be_ctx_free(&be);
done:
	be_buf_free(&object);
	if (scenario) {
		kc_scenario_free(&sc);
	} else {
		ir_program_free(&own_prog);
		fe_diags_free(&own_diags);
	}
	fe_arena_free(&arena);
	return rc;
}
