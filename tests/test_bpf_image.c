/* The bpf backend's map image: writer (backends/bpf.c) -> reader (runtime-loader/image.c),
 * what the records say, determinism, capacities, and every corruption the reader refuses. */
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../backends/backend.h"
#include "../backends/options.h"
#include "../frontend/schema.h"
#include "../runtime-loader/image.h"
#include "unit.h"

#define HEAD(name) "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: " name ", namespace: ns}\n"

/* rule ids (positions, program order): policies a-files (1-6), b-net-caps (7-8) */
static const char image_yaml[] =
	HEAD("a-files")
	"spec:\n  selector:\n    matchLabels: {app: x}\n"
	"  process:\n    matchPaths:\n    - execname: nc\n"			/* 1 Block */
	"  file:\n    matchPaths:\n"
	"    - path: /etc/shadow\n"					/* 2 Block */
	"    - path: /etc/hosts\n      ownerOnly: true\n      action: Allow\n"	/* 3 Allow ownerOnly */
	"    matchDirectories:\n"
	"    - dir: /data/\n      readOnly: true\n      action: Allow\n"	/* 4 Allow readOnly, direct */
	"    - dir: /var/log/\n      recursive: true\n      action: Audit\n"	/* 5 Audit, recursive */
	"    matchPatterns:\n    - pattern: /tmp/*.key\n"			/* 6 Block: the automaton */
	"  action: Block\n"
	"---\n" HEAD("b-net-caps")
	"spec:\n  selector:\n    matchLabels: {app: x}\n"
	"  network:\n    matchProtocols:\n    - protocol: tcp\n      fromSource:\n      - path: /usr/bin/curl\n"	/* 7 */
	"  capabilities:\n    matchCapabilities:\n    - capability: net_raw\n      action: Allow\n"		/* 8 */
	"  action: Block\n";

struct built {
	struct unit_prog u;
	struct be_ctx be;
	struct ir_target t;
	const unsigned char *img;	/* the .kmi bytes (owned by be) */
	size_t size;
};

/* One target holding every policy of the YAML, with identity `id` (may be NULL), emitted by
 * the bpf backend (no CUnit assertion here: suites build in their set-up). */
static void build_id(struct built *b, const char *yaml, const struct ir_identity *id)
{
	memset(b, 0, sizeof(*b));
	unit_load(&b->u, FE_SCHEMA_CRD, "t.yaml", yaml);
	const struct ir_program *p = &b->u.prog;
	uint32_t *rules = fe_arena_alloc(&b->u.arena, (p->nrules + 1) * sizeof(*rules));
	uint32_t *pols = fe_arena_alloc(&b->u.arena, (p->npolicies + 1) * sizeof(*pols));
	for (uint32_t i = 0; i < p->nrules; i++)
		rules[i] = i;
	for (uint32_t i = 0; i < p->npolicies; i++)
		pols[i] = i;
	b->t.name = "karmorc-test-00000000";
	b->t.describe = "the test target";
	b->t.rules = rules;
	b->t.nrules = p->nrules;
	b->t.policies = pols;
	b->t.npolicies = p->npolicies;
	b->t.identity = id;
	be_ctx_init(&b->be, p, &b->u.diags, &b->u.arena, "bpf");
	b->be.version = "9.9.9";
	be_bpf.emit(&b->be, &b->t);
	for (size_t i = 0; i < b->be.nfiles; i++) {
		if (strcmp(b->be.files[i].path, "bpf/karmorc-test-00000000.kmi") == 0) {
			b->img = (const unsigned char *)b->be.files[i].text.s;
			b->size = b->be.files[i].text.len;
		}
	}
}

static void build(struct built *b, const char *yaml)
{
	build_id(b, yaml, NULL);
}

static void unbuild(struct built *b)
{
	be_ctx_free(&b->be);
	unit_free(&b->u);
}

static const struct karmor_path_value *find_path(const struct kl_image *img, const char *s, unsigned role,
						 unsigned cls, unsigned source)
{
	for (uint32_t i = 0; i < img->hdr->npaths; i++) {
		const struct karmor_image_path *p = &img->paths[i];
		if (p->role == KARMOR_ROLE_PATTERN || p->role == KARMOR_ROLE_BELOW)
			continue;	/* a set of globs, not a string */
		if (strcmp(kl_image_str(img, p->str), s) == 0 && p->role == role && p->cls == cls && p->source == source)
			return &p->value;
	}
	return NULL;
}

/* The set key the automaton's accepting (or "below") state for path s names, or NULL. */
static const struct karmor_path_value *find_set(const struct kl_image *img, const char *s, unsigned role, unsigned cls)
{
	if (!img->dfa)
		return NULL;
	uint32_t st = karmor_dfa_walk(img->dfa, KARMOR_DFA_START, s), n = img->dfa[KARMOR_DFA_NSTATES],
		 k = img->dfa[KARMOR_DFA_NCLASSES];
	uint32_t id = img->dfa[(role == KARMOR_ROLE_PATTERN ? karmor_dfa_accept(n, k) : karmor_dfa_below(n, k)) + st];
	for (uint32_t i = 0; id && i < img->hdr->npaths; i++) {
		const struct karmor_image_path *p = &img->paths[i];
		if (p->role == role && p->str == id && p->cls == cls && p->source == 0)
			return &p->value;
	}
	return NULL;
}

static bool effect_is(const struct karmor_effect *e, uint32_t block, uint32_t audit, uint32_t grant)
{
	return e->block == block && e->audit == audit && e->grant == grant;
}

static void test_round_trip(void)
{
	struct built b;
	build(&b, image_yaml);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.img);
	CU_ASSERT_EQUAL(b.u.diags.errors, 0);
	struct kl_image img;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(kl_image_parse(b.img, b.size, "mem", &img, err, sizeof(err)), 0);
	const struct karmor_image_header *h = img.hdr;
	CU_ASSERT_EQUAL(h->nrules, 8);
	CU_ASSERT_STRING_EQUAL(kl_image_str(&img, h->name), "karmorc-test-00000000");
	CU_ASSERT_STRING_EQUAL(kl_image_str(&img, h->describe), "the test target");
	CU_ASSERT_STRING_EQUAL(kl_image_str(&img, h->karmorc_version), "9.9.9");
	CU_ASSERT_EQUAL(h->flags, KARMOR_TF_SOURCES | KARMOR_TF_EXECNAME_PROC | KARMOR_TF_CONFINE | KARMOR_TF_ANC |
				 KARMOR_TF_DIRS_FILE);	/* file dir rules, no process one */
	CU_ASSERT_EQUAL(h->nsources, 1);
	CU_ASSERT_EQUAL(h->allow_list[KARMOR_PC_FILE], 1);
	CU_ASSERT_EQUAL(h->allow_list[KARMOR_PC_NETWORK], 0);
	CU_ASSERT_EQUAL(h->allow_list[KARMOR_PC_CAPABILITIES], 1);

	/* the rule table: program order, with what events name */
	const struct karmor_image_rule *r = &img.rules[1];
	CU_ASSERT_STRING_EQUAL(kl_image_str(&img, r->policy), "a-files");
	CU_ASSERT_STRING_EQUAL(kl_image_str(&img, r->namespace_), "ns");
	CU_ASSERT_STRING_EQUAL(kl_image_str(&img, r->kind), "KubeArmorPolicy");
	CU_ASSERT_STRING_EQUAL(kl_image_str(&img, r->file), "t.yaml");
	CU_ASSERT_STRING_EQUAL(kl_image_str(&img, r->target), "/etc/shadow");
	CU_ASSERT_EQUAL(r->line, 12);
	CU_ASSERT_EQUAL(r->col, 7);
	CU_ASSERT_EQUAL(img.rules[0].cls, 0);
	CU_ASSERT_STRING_EQUAL(kl_image_str(&img, img.rules[0].target), "nc");
	CU_ASSERT_EQUAL(r->action, KARMOR_BLOCK);
	CU_ASSERT_EQUAL(r->cls, 1);
	CU_ASSERT_STRING_EQUAL(kl_image_str(&img, img.rules[6].policy), "b-net-caps");
	CU_ASSERT_EQUAL(img.rules[6].cls, 2);

	/* Block: every variant blocks */
	const struct karmor_path_value *v = find_path(&img, "/etc/shadow", KARMOR_ROLE_EXACT, KARMOR_CLS_FILE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	for (int var = 0; var < KARMOR_NVARIANTS; var++) {
		CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][var], 2, 0, 0));
		CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_DIRECT][var], 0, 0, 0));
	}
	/* ownerOnly Allow: the owner is granted, anyone else blocked */
	v = find_path(&img, "/etc/hosts", KARMOR_ROLE_EXACT, KARMOR_CLS_FILE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][karmor_variant(0, 1)], 0, 0, 3));
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][karmor_variant(1, 1)], 0, 0, 3));
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][karmor_variant(0, 0)], 3, 0, 0));
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][karmor_variant(1, 0)], 3, 0, 0));
	/* readOnly Allow on a non-recursive dir: the DIRECT part; reads granted, writes blocked */
	v = find_path(&img, "/data/", KARMOR_ROLE_DIR, KARMOR_CLS_FILE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_DIRECT][karmor_variant(0, 0)], 0, 0, 4));
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_DIRECT][karmor_variant(1, 1)], 4, 0, 0));
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][karmor_variant(0, 0)], 0, 0, 0));
	/* ... and D itself: the exact key "/data" holds the same rule in its MAIN part */
	v = find_path(&img, "/data", KARMOR_ROLE_EXACT, KARMOR_CLS_FILE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][karmor_variant(0, 0)], 0, 0, 4));
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][karmor_variant(1, 1)], 4, 0, 0));
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_DIRECT][karmor_variant(0, 0)], 0, 0, 0));
	/* ... and when /data is a directory, its ROLE_SELF key: the dir rule again, no path rule */
	v = find_path(&img, "/data", KARMOR_ROLE_SELF, KARMOR_CLS_FILE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][karmor_variant(0, 0)], 0, 0, 4));
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][karmor_variant(1, 1)], 4, 0, 0));
	CU_ASSERT_PTR_NULL(find_path(&img, "/etc/shadow", KARMOR_ROLE_SELF, KARMOR_CLS_FILE, 0));
	/* a recursive Audit dir: the MAIN part */
	v = find_path(&img, "/var/log/", KARMOR_ROLE_DIR, KARMOR_CLS_FILE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][karmor_variant(1, 0)], 0, 5, 0));
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_DIRECT][karmor_variant(1, 0)], 0, 0, 0));
	v = find_path(&img, "/var/log", KARMOR_ROLE_EXACT, KARMOR_CLS_FILE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][karmor_variant(1, 0)], 0, 5, 0));
	/* the glob has no key */
	CU_ASSERT_PTR_NULL(find_path(&img, "/tmp/*.key", KARMOR_ROLE_EXACT, KARMOR_CLS_FILE, 0));
	/* an exec name of the process class */
	v = find_path(&img, "nc", KARMOR_ROLE_EXECNAME, KARMOR_CLS_PROCESS, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][karmor_variant(1, 1)], 1, 0, 0));
	/* the baseline: /lib/ read, /dev/null read and write, never exec */
	v = find_path(&img, "/lib/", KARMOR_ROLE_DIR, KARMOR_CLS_FILE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(v->e[KARMOR_PART_MAIN][karmor_variant(0, 1)].grant, KARMOR_RULE_BASELINE);
	CU_ASSERT_EQUAL(v->e[KARMOR_PART_MAIN][karmor_variant(1, 1)].grant, 0);
	CU_ASSERT_PTR_NULL(find_path(&img, "/lib", KARMOR_ROLE_EXACT, KARMOR_CLS_FILE, 0));	/* below /lib/ only */
	v = find_path(&img, "/dev/null", KARMOR_ROLE_EXACT, KARMOR_CLS_FILE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_EQUAL(v->e[KARMOR_PART_MAIN][karmor_variant(1, 0)].grant, KARMOR_RULE_BASELINE);
	CU_ASSERT_PTR_NULL(find_path(&img, "/dev/null", KARMOR_ROLE_EXACT, KARMOR_CLS_PROCESS, 0));

	/* network with fromSource: slot 1; the source's record; capabilities by number */
	CU_ASSERT_EQUAL_FATAL(h->nnets, 1);
	CU_ASSERT_EQUAL(img.nets[0].source, 1);
	CU_ASSERT_EQUAL(img.nets[0].id, KARMOR_PROTO_TCP);
	CU_ASSERT_TRUE(effect_is(&img.nets[0].e, 7, 0, 0));
	CU_ASSERT_EQUAL_FATAL(h->nsrcs, 1);
	CU_ASSERT_STRING_EQUAL(kl_image_str(&img, img.srcs[0].str), "/usr/bin/curl");
	CU_ASSERT_EQUAL(img.srcs[0].role, KARMOR_ROLE_EXACT);
	CU_ASSERT_EQUAL(img.srcs[0].value.exact, 1);
	CU_ASSERT_EQUAL_FATAL(h->ncaps, 1);
	CU_ASSERT_EQUAL(img.caps[0].id, 13);	/* CAP_NET_RAW */
	CU_ASSERT_TRUE(effect_is(&img.caps[0].e, 0, 0, 8));

	/* the glob: its automaton's accepting state blocks (rule 6) every access of a match, and
	 * a rename of the directory above matches is a write of them; no gap is reported */
	CU_ASSERT_PTR_NOT_NULL_FATAL(img.dfa);
	CU_ASSERT_EQUAL(h->dfa_words, karmor_dfa_words(img.dfa[KARMOR_DFA_NSTATES], img.dfa[KARMOR_DFA_NCLASSES]));
	v = find_set(&img, "/tmp/a.key", KARMOR_ROLE_PATTERN, KARMOR_CLS_FILE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	for (unsigned var = 0; var < KARMOR_NVARIANTS; var++)
		CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][var], 6, 0, 0));
	CU_ASSERT_PTR_NULL(find_set(&img, "/tmp/a.txt", KARMOR_ROLE_PATTERN, KARMOR_CLS_FILE));
	CU_ASSERT_PTR_NULL(find_set(&img, "/tmp/d/a.key", KARMOR_ROLE_PATTERN, KARMOR_CLS_FILE));	/* '*' stops at '/' */
	CU_ASSERT_PTR_NULL(find_set(&img, "/tmp/a.key", KARMOR_ROLE_PATTERN, KARMOR_CLS_PROCESS));
	v = find_set(&img, "/tmp", KARMOR_ROLE_BELOW, KARMOR_CLS_FILE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][karmor_variant(1, 1)], 6, 0, 0));
	CU_ASSERT_TRUE(effect_is(&v->e[KARMOR_PART_MAIN][karmor_variant(0, 1)], 0, 0, 0));	/* writes only */
	CU_ASSERT_PTR_NULL(find_set(&img, "/etc", KARMOR_ROLE_BELOW, KARMOR_CLS_FILE));
	CU_ASSERT_TRUE(h->flags & KARMOR_TF_ANC);
	bool glob_gap = false;
	for (size_t i = 0; i < b.be.ngaps; i++)
		glob_gap |= b.be.gaps[i].rule == 5;
	CU_ASSERT_FALSE(glob_gap);
	kl_image_free(&img);
	unbuild(&b);
}

static void test_deterministic(void)
{
	struct built a, b;
	build(&a, image_yaml);
	build(&b, image_yaml);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a.img);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.img);
	CU_ASSERT_EQUAL(a.size, b.size);
	CU_ASSERT_TRUE(a.size == b.size && memcmp(a.img, b.img, a.size) == 0);
	unbuild(&a);
	unbuild(&b);
}

static void test_read_file(void)
{
	struct built b;
	build(&b, image_yaml);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.img);
	char dir[] = "/tmp/karmorc-unit.XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	char file[64];
	snprintf(file, sizeof(file), "%s/t.kmi", dir);
	FILE *f = fopen(file, "wb");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fwrite(b.img, 1, b.size, f), b.size);
	fclose(f);
	struct kl_image img;
	char err[256];
	CU_ASSERT_EQUAL(kl_image_read(file, &img, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(img.size, b.size);
	kl_image_free(&img);
	unlink(file);
	rmdir(dir);
	/* a missing file: "FILE: what is wrong" */
	CU_ASSERT_EQUAL(kl_image_read("/nonexistent/x.kmi", &img, err, sizeof(err)), -1);
	CU_ASSERT_STRING_EQUAL(err, "/nonexistent/x.kmi: No such file or directory");
	CU_ASSERT_PTR_NULL(img.data);
	unbuild(&b);
}

/* ---- corruptions: each mutation (checksum resealed unless said) must be refused ---- */

static struct built corrupt_src;
static unsigned char *buf;
static size_t buf_size;

static struct karmor_image_header *H(void)
{
	return (struct karmor_image_header *)buf;
}

static void reseal(void)
{
	crypto_hash_sha256(buf + buf_size - 32, buf, buf_size - 32);
}

static void fresh(void)
{
	free(buf);
	buf_size = corrupt_src.size;
	buf = malloc(buf_size + 64);
	memcpy(buf, corrupt_src.img, buf_size);
	memset(buf + buf_size, 0, 64);
}

/* parse buf; it must fail with a message that holds `want` */
static void refused(const char *want, int line)
{
	struct kl_image img;
	char err[512] = "";
	int rc = kl_image_parse(buf, buf_size, "img.kmi", &img, err, sizeof(err));
	CU_ASSERT_EQUAL(rc, -1);
	CU_ASSERT_PTR_NULL(img.data);
	bool ok = strncmp(err, "img.kmi: ", 9) == 0 && strstr(err, want);
	if (!ok)
		fprintf(stderr, "\ntest_bpf_image.c:%d: expected '%s', got '%s'\n", line, want, err);
	CU_ASSERT_TRUE(ok);
}
#define REFUSED(want) refused(want, __LINE__)

static struct karmor_image_rule *RULES(void)
{
	return (struct karmor_image_rule *)(buf + H()->rules_off);
}
static struct karmor_image_path *PATHS(void)
{
	return (struct karmor_image_path *)(buf + H()->paths_off);
}
static struct karmor_image_id *NETS(void)
{
	return (struct karmor_image_id *)(buf + H()->nets_off);
}
static struct karmor_image_id *CAPS(void)
{
	return (struct karmor_image_id *)(buf + H()->caps_off);
}
static struct karmor_image_src *SRCS(void)
{
	return (struct karmor_image_src *)(buf + H()->srcs_off);
}

static const struct ir_kv corrupt_labels[] = {{"app", "x"}, {"tier", "front"}};
static const struct ir_identity corrupt_identity = {
	"ns", "Deployment", "web", "web-*", "nginx", "nginx:1.25", false, corrupt_labels, 2, {NULL, 0, 0}, {{NULL, 0, 0}},
};

static struct karmor_image_identity *IDENT(void)
{
	return (struct karmor_image_identity *)(buf + H()->ident_off);
}
static struct karmor_image_label *LABELS(void)
{
	return (struct karmor_image_label *)(IDENT() + 1);
}

static int corrupt_init(void)
{
	if (sodium_init() < 0)
		return 1;
	/* with an identity, so its section is corrupted too */
	build_id(&corrupt_src, image_yaml, &corrupt_identity);
	return corrupt_src.img ? 0 : 1;
}

static int corrupt_clean(void)
{
	unbuild(&corrupt_src);
	free(buf);
	buf = NULL;
	return 0;
}

static void test_valid_copy(void)
{
	fresh();
	reseal();
	struct kl_image img;
	char err[256];
	CU_ASSERT_EQUAL(kl_image_parse(buf, buf_size, "img.kmi", &img, err, sizeof(err)), 0);
	kl_image_free(&img);
}

static void test_truncated(void)
{
	fresh();
	buf_size = 100;
	REFUSED("too short");
	fresh();
	buf_size -= 1;
	REFUSED("the header says");
	fresh();
	buf_size += 8;	/* extended */
	REFUSED("the header says");
}

static void test_header_fields(void)
{
	fresh();
	buf[0] = 'X';
	reseal();
	REFUSED("bad magic");
	fresh();
	H()->version = 1;	/* the format before the identity section */
	reseal();
	REFUSED("format version 1, this program reads version 5");
	fresh();
	H()->version = 2;	/* the format before the pattern automaton and the syscall section */
	reseal();
	REFUSED("format version 2, this program reads version 5");
	fresh();
	H()->version = 3;	/* the format before the directory flags */
	reseal();
	REFUSED("format version 3, this program reads version 5");
	fresh();
	H()->version = 4;	/* the format before the name filter */
	reseal();
	REFUSED("format version 4, this program reads version 5");
	fresh();
	H()->version = 6;
	reseal();
	REFUSED("format version 6");
	fresh();
	H()->endian = 2;
	reseal();
	REFUSED("endian field 2");
	fresh();
	H()->header_size = 120;
	reseal();
	REFUSED("header size 120");
	fresh();
	H()->flags |= 0x800;
	reseal();
	REFUSED("unknown target flags 0x800");
	fresh();
	H()->flags &= ~KARMOR_TF_SOURCES;
	reseal();
	REFUSED("sources flag disagrees");
	fresh();
	H()->flags ^= KARMOR_TF_DIRS_FILE;	/* the programs would skip (or look for) dir keys */
	reseal();
	REFUSED("directory flags");
	fresh();
	H()->flags ^= KARMOR_TF_DIRS_PROC;
	reseal();
	REFUSED("directory flags");
	fresh();
	H()->posture[1] = 7;
	reseal();
	REFUSED("out of range");
	fresh();
	H()->nsources = KARMOR_MAX_SOURCES + 1;
	reseal();
	REFUSED("fromSource slots, more than");
	fresh();
	H()->name = 0;
	reseal();
	REFUSED("is not a usable file name");
}

static void test_checksum(void)
{
	fresh();
	buf[H()->strtab_off + 1] ^= 1;
	REFUSED("SHA-256 checksum mismatch");
}

static void test_offsets(void)
{
	fresh();
	H()->paths_off += 4;
	reseal();
	REFUSED("paths section offset");
	REFUSED("not 8-byte aligned");
	fresh();
	H()->caps_off = H()->file_size + 8;
	reseal();
	REFUSED("capabilities section offset");
	fresh();
	H()->nets_off = H()->paths_off;	/* overlapping the paths */
	reseal();
	REFUSED("network section offset");
	fresh();
	H()->rules_off = 64;	/* inside the header */
	reseal();
	REFUSED("rules section offset 64 is outside its place");
	fresh();
	H()->nrules = KARMOR_MAX_RULES;	/* count * size past the end */
	reseal();
	REFUSED("runs past the end");
	fresh();
	H()->npaths = KARMOR_MAP_MAX_ENTRIES + 1;
	reseal();
	REFUSED("exceeds what a map can hold");
	fresh();
	H()->strtab_size -= 8;	/* a hole before the trailer */
	reseal();
	REFUSED("between the strings and the checksum");
	fresh();
	H()->strtab_size += 8;	/* over the trailer */
	reseal();
	REFUSED("strings section");
}

static void test_strings(void)
{
	fresh();
	buf[H()->strtab_off + H()->strtab_size - 1] = 'x';
	reseal();
	REFUSED("does not start and end with a NUL");
	fresh();
	RULES()[0].policy = H()->strtab_size;
	reseal();
	REFUSED("rule 1: a string id is outside the string table");
	fresh();
	H()->describe = H()->strtab_size + 100;
	reseal();
	REFUSED("header string id");
	fresh();
	PATHS()[0].str = H()->strtab_size;
	reseal();
	REFUSED("path entry 0: string id");
	fresh();
	SRCS()[0].str = 0xffffffffu;
	reseal();
	REFUSED("source entry 0: string id");
}

static void test_records(void)
{
	fresh();
	RULES()[2].action = 3;
	reseal();
	REFUSED("rule 3: severity");
	fresh();
	RULES()[0].cls = 7;
	reseal();
	REFUSED("class 7 out of range");
	fresh();
	PATHS()[0].role = 4;
	reseal();
	REFUSED("role 4");
	fresh();
	PATHS()[0].cls = 2;
	reseal();
	REFUSED("class 2");
	fresh();
	PATHS()[0].source = 2;	/* one slot */
	reseal();
	REFUSED("source slot 2 out of range");
	fresh();
	PATHS()[0].value.e[1][3].audit = H()->nrules + 1;
	reseal();
	REFUSED("a rule id is not one of the 8 rules");
	fresh();
	PATHS()[0].value.e[0][0].block = KARMOR_RULE_BASELINE;	/* the baseline only grants */
	reseal();
	REFUSED("a rule id is not one of");
	fresh();
	NETS()[0].e.grant = KARMOR_RULE_BASELINE;
	reseal();
	REFUSED("network entry 0: a rule id");
	fresh();
	NETS()[0].id = KARMOR_PROTO_COUNT;
	reseal();
	REFUSED("network entry 0: id");
	fresh();
	NETS()[0].id = KARMOR_PROTO_NONE;
	reseal();
	REFUSED("network entry 0: id 0");
	fresh();
	CAPS()[0].id = 41;	/* past CAP_LAST_CAP on this kernel's headers */
	reseal();
	REFUSED("capability entry 0: id 41");
	fresh();
	SRCS()[0].role = 5;
	reseal();
	REFUSED("source entry 0 ('/usr/bin/curl'): role 5");
	fresh();
	SRCS()[0].value.exact = 2;
	reseal();
	REFUSED("source entry 0");
	fresh();
	SRCS()[0].value.recursive = 1;	/* an exact key with a dir slot */
	reseal();
	REFUSED("source entry 0");
	fresh();
	PATHS()[1] = PATHS()[0];	/* a duplicate key */
	reseal();
	REFUSED("path entry 1");
	REFUSED("out of order or a duplicate");
	fresh();
	struct karmor_image_path tmp = PATHS()[0];	/* out of order */
	PATHS()[0] = PATHS()[1];
	PATHS()[1] = tmp;
	reseal();
	REFUSED("out of order");
	fresh();
	/* a dir key without its slash */
	const struct karmor_image_path *p = PATHS();
	uint32_t i = 0;
	while (i < H()->npaths && p[i].role != KARMOR_ROLE_DIR)
		i++;
	CU_ASSERT_FATAL(i < H()->npaths);
	PATHS()[i].str = PATHS()[0].role == KARMOR_ROLE_EXACT ? PATHS()[0].str : 0;
	reseal();
	REFUSED("is not a valid key for role 1");
}

/* ---- capacities the writer enforces ---- */

static void test_source_slots(void)
{
	/* 256 distinct fromSource paths in one target: one more than its slots */
	char *yaml = malloc(256 * 48 + 1024);
	int n = sprintf(yaml, "%s", HEAD("many") "spec:\n  selector:\n    matchLabels: {app: x}\n  file:\n"
			"    matchPaths:\n    - path: /etc/shadow\n      fromSource:\n");
	for (int i = 0; i < 256; i++)
		n += sprintf(yaml + n, "      - path: /usr/bin/p%d\n", i);
	sprintf(yaml + n, "  action: Block\n");
	struct built b;
	build(&b, yaml);
	CU_ASSERT_PTR_NULL(b.img);
	CU_ASSERT_TRUE(unit_has(&b.u, FE_BE_CAPACITY, FE_ERROR));
	unbuild(&b);
	free(yaml);
}

static void test_task_sources(void)
{
	/* nested recursive dirs: an executable deep inside matches all of them at once.  The
	 * CRD only allows fromSource dirs on syscall rules, so the IR is edited directly. */
	char yaml[2048];
	int n = sprintf(yaml, "%s", HEAD("nested") "spec:\n  selector:\n    matchLabels: {app: x}\n  file:\n"
			"    matchPaths:\n    - path: /etc/shadow\n      fromSource:\n");
	for (int i = 0; i < 9; i++)
		n += sprintf(yaml + n, "      - path: /s%d\n", i);
	sprintf(yaml + n, "  action: Block\n");
	static const char *const dirs[] = {"/", "/a/", "/a/b/", "/a/b/c/", "/a/b/c/d/", "/a/b/c/d/e/",
					   "/a/b/c/d/e/f/", "/a/b/c/d/e/f/g/", "/a/b/c/d/e/f/g/h/"};
	for (int limit = 8; limit <= 9; limit++) {
		struct unit_prog u;
		unit_load(&u, FE_SCHEMA_CRD, "t.yaml", yaml);
		CU_ASSERT_EQUAL_FATAL(u.prog.nrules, 9);
		for (int i = 0; i < limit; i++) {
			u.prog.rules[i].source.kind = IR_SRC_DIR_RECURSIVE;
			u.prog.rules[i].source.path = ir_intern_cstr(&u.prog.strs, dirs[i]);
		}
		uint32_t rules[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8}, pols[1] = {0};
		struct ir_target t = {"karmorc-test-00000000", "t", false, rules, 9, pols, 1, {IR_POSTURE_AUDIT}, NULL};
		struct be_ctx be;
		be_ctx_init(&be, &u.prog, &u.diags, &u.arena, "bpf");
		be_bpf.emit(&be, &t);
		/* 8 nested dirs (plus one exact path elsewhere) fit; 9 do not */
		CU_ASSERT_EQUAL(unit_has(&u, FE_BE_CAPACITY, FE_ERROR), limit == 9);
		CU_ASSERT_EQUAL(be.nfiles, limit == 9 ? 0u : 1u);
		be_ctx_free(&be);
		unit_free(&u);
	}
}

static void test_totals(void)
{
	/* be_bpf.finish: the usage lines and no error for a small run */
	struct built b;
	build(&b, image_yaml);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_TRUE(be_bpf.finish(&b.be, f));
	fclose(f);
	/* 17 path keys, 2 directory self keys, the glob's set and the set below its directory;
	 * the automaton's words */
	const struct karmor_image_header *h = (const void *)b.img;
	CU_ASSERT_EQUAL(h->npaths, 21);
	CU_ASSERT_TRUE(h->dfa_words > KARMOR_DFA_TRANS);
	char want[300];
	snprintf(want, sizeof(want), "bpf: karmorc-test-00000000: 21 path entries, 1 network, 1 capability, "
		 "1 source entries, 8 rules, %s pattern words\n", be_num(&b.u.arena, h->dfa_words));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, want));
	struct karmor_map_counts c = {1, 21, 1, 1, 1, h->dfa_words, 0};
	snprintf(want, sizeof(want), "bpf: total (1 target): 21 path entries, 1 network, 1 capability, 1 source entries, "
		 "8 rules, %s pattern words; maps %s of 268,435,456 bytes (--bpf-map-budget)\n",
		 be_num(&b.u.arena, h->dfa_words), be_num(&b.u.arena, karmor_maps_bytes(&c, KARMOR_BUDGET_CPUS, NULL)));
	CU_ASSERT_PTR_NOT_NULL(strstr(text, want));
	CU_ASSERT_EQUAL(b.u.diags.errors, 0);
	free(text);
	unbuild(&b);
}

static void test_budget(void)
{
	/* --bpf-map-budget: sizes refused as usage errors; under the maps' bytes, KC0408 */
	struct built b;
	build(&b, image_yaml);
	static const char *const bad[] = {"", "0", "M", "12X", "1.5M", "-1", "1MB", "2P", "99999999999999999999999"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CU_ASSERT_FALSE(be_bpf_set_budget(&b.be, bad[i]));
	CU_ASSERT_TRUE(be_bpf_set_budget(&b.be, "1P"));
	CU_ASSERT_TRUE(be_bpf_set_budget(&b.be, "4MiB"));	/* the ring buffer alone takes more */
	CU_ASSERT_FALSE(be_bpf.finish(&b.be, NULL));
	const struct fe_diag *d = unit_find(&b.u, FE_BE_CAPACITY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	CU_ASSERT_PTR_NOT_NULL(strstr(d->message, "more than the budget of 4,194,304 (--bpf-map-budget)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(d->message, "path map "));
	unbuild(&b);
}

static void test_map_sizes(void)
{
	/* the loader's sizes: what the images need, at least 1; over a limit refused */
	uint32_t n[KARMOR_BM_COUNT];
	char err[256];
	struct karmor_map_counts none = {0, 0, 0, 0, 0, 0, 0};
	CU_ASSERT_EQUAL_FATAL(kl_map_sizes(&none, n, err, sizeof(err)), 0);
	for (int m = 0; m < KARMOR_BM_COUNT; m++)
		CU_ASSERT(n[m] >= 1);
	struct karmor_map_counts c = {170, 254500, 13282, 1756, 3740, 0, 0};
	CU_ASSERT_EQUAL_FATAL(kl_map_sizes(&c, n, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(n[KARMOR_BM_TARGETS], 170);
	CU_ASSERT_EQUAL(n[KARMOR_BM_COUNTERS], 510);
	CU_ASSERT_EQUAL(n[KARMOR_BM_PATHS], 254500);
	CU_ASSERT_EQUAL(n[KARMOR_BM_NET], 13282);
	CU_ASSERT_EQUAL(n[KARMOR_BM_CAPS], 1756);
	CU_ASSERT_EQUAL(n[KARMOR_BM_SRCS], 3740);
	CU_ASSERT_EQUAL(n[KARMOR_BM_CGROUPS], KARMOR_MAX_CGROUPS);
	/* hostile sums: each image within the per-image limit, together over it */
	struct karmor_map_counts over = c;
	over.nets = 2ull * KARMOR_MAP_MAX_ENTRIES;
	CU_ASSERT_EQUAL(kl_map_sizes(&over, n, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "268435456 entries of the network map (karmor_net), more than the 134217728"));
	over = c;
	over.targets = KARMOR_MAX_TARGETS + 1;
	CU_ASSERT_EQUAL(kl_map_sizes(&over, n, err, sizeof(err)), -1);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "of the target map"));
	over = c;
	over.paths = UINT32_MAX + 1ull;	/* would wrap to 0 as a __u32 */
	CU_ASSERT_EQUAL(kl_map_sizes(&over, n, err, sizeof(err)), -1);
}

static void test_map_bytes(void)
{
	/* the estimate (bpf/karmor.h): Linux 6.1's preallocated hash map, arrays, ring buffer */
	CU_ASSERT_EQUAL(karmor_map_bytes(KARMOR_MK_HASH, 1000, 16, 96, 2), 1024 * 16 + 1002 * (48 + 16 + 96));
	CU_ASSERT_EQUAL(karmor_map_bytes(KARMOR_MK_HASH, 1, 8, 4, 1), 16 + 2 * (48 + 8 + 8));
	CU_ASSERT_EQUAL(karmor_map_bytes(KARMOR_MK_ARRAY, 3, 4, 20, 8), 3 * 24);
	CU_ASSERT_EQUAL(karmor_map_bytes(KARMOR_MK_PERCPU_ARRAY, 3, 4, 8, 4), 3 * (8 + 8 * 4));
	CU_ASSERT_EQUAL(karmor_map_bytes(KARMOR_MK_RINGBUF, 4096, 0, 0, 4), 3 * 4096);
	/* the largest map the limits allow does not overflow */
	CU_ASSERT(karmor_map_bytes(KARMOR_MK_HASH, KARMOR_MAP_MAX_ENTRIES, 16, 96, 65535) > (1ull << 34));
}

/* the verdict of an open for read and write (owner) on one exact key holding v */
static int rw_verdict(const struct karmor_path_value *v, int allow_list, int posture, __u32 *rule)
{
	struct karmor_match m;

	karmor_match_init(&m, 1, 1, 1);
	karmor_match_main(&m, v);
	return karmor_match_verdict(&m, allow_list, posture, rule);
}

/* an open for read and write: both accesses blocked by different rules names the
 * first rule (DESIGN §4.3), whichever access it refused; a rule before DefaultPosture */
static void test_match_names_first_rule(void)
{
	struct karmor_path_value v;
	__u32 rule = 99;
	const unsigned rd = karmor_variant(0, 1), wr = karmor_variant(1, 1);

	memset(&v, 0, sizeof v);
	v.e[KARMOR_PART_MAIN][rd].block = 7;
	v.e[KARMOR_PART_MAIN][wr].block = 2;
	CU_ASSERT_EQUAL(rw_verdict(&v, 0, KARMOR_POSTURE_AUDIT, &rule), KARMOR_BLOCK);
	CU_ASSERT_EQUAL(rule, 2);
	/* the other way round */
	v.e[KARMOR_PART_MAIN][rd].block = 2;
	v.e[KARMOR_PART_MAIN][wr].block = 7;
	CU_ASSERT_EQUAL(rw_verdict(&v, 0, KARMOR_POSTURE_AUDIT, &rule), KARMOR_BLOCK);
	CU_ASSERT_EQUAL(rule, 2);
	/* allow-list, block posture: the read has no grant (DefaultPosture), the write
	 * meets Block rule 5: rule 5 is named, though the read comes first */
	memset(&v, 0, sizeof v);
	v.e[KARMOR_PART_MAIN][wr].block = 5;
	CU_ASSERT_EQUAL(rw_verdict(&v, 1, KARMOR_POSTURE_BLOCK, &rule), KARMOR_BLOCK);
	CU_ASSERT_EQUAL(rule, 5);
	/* only the read reaches Audit: Audit by its rule */
	memset(&v, 0, sizeof v);
	v.e[KARMOR_PART_MAIN][rd].audit = 4;
	CU_ASSERT_EQUAL(rw_verdict(&v, 0, KARMOR_POSTURE_AUDIT, &rule), KARMOR_AUDIT);
	CU_ASSERT_EQUAL(rule, 4);
}

/* DESIGN §4.12: a rename of an ancestor directory is a write of what the rules
 * below it protect -- ROLE_ANC keys with write refusals and audits, no grants */
static void test_ancestors(void)
{
	struct built b;
	build(&b, HEAD("anc") "spec:\n  selector:\n    matchLabels: {app: x}\n"
		  "  process:\n    matchPaths:\n    - path: /opt/app/bin/tool\n"		/* 1 Block */
		  "  file:\n    matchPaths:\n    - path: /srv/sec/key\n"			/* 2 Block */
		  "    - path: /srv/own/f\n      ownerOnly: true\n      action: Allow\n"	/* 3 */
		  "    matchDirectories:\n    - dir: /data/ro/\n      readOnly: true\n"	/* 4 Block readOnly */
		  "    - dir: /var/log/\n      recursive: true\n      action: Audit\n"	/* 5 Audit */
		  "  action: Block\n");
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.img);
	struct kl_image img;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(kl_image_parse(b.img, b.size, "mem", &img, err, sizeof(err)), 0);
	CU_ASSERT(img.hdr->flags & KARMOR_TF_ANC);
	CU_ASSERT(img.hdr->flags & KARMOR_TF_CONFINE);
	const unsigned rd_own = karmor_variant(0, 1), wr_own = karmor_variant(1, 1), wr_other = karmor_variant(1, 0);
	const struct karmor_path_value *v = find_path(&img, "/srv/sec", KARMOR_ROLE_ANC, KARMOR_CLS_FILE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT(effect_is(&v->e[KARMOR_PART_MAIN][wr_own], 2, 0, 0));
	CU_ASSERT(effect_is(&v->e[KARMOR_PART_MAIN][rd_own], 0, 0, 0));
	/* /srv holds both /srv/sec/key and the ownerOnly /srv/own/f: others may not rename it */
	v = find_path(&img, "/srv", KARMOR_ROLE_ANC, KARMOR_CLS_FILE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT(effect_is(&v->e[KARMOR_PART_MAIN][wr_own], 2, 0, 0));
	CU_ASSERT(effect_is(&v->e[KARMOR_PART_MAIN][wr_other], 2, 0, 0));
	v = find_path(&img, "/srv/own", KARMOR_ROLE_ANC, KARMOR_CLS_FILE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT(effect_is(&v->e[KARMOR_PART_MAIN][wr_own], 0, 0, 0));	/* the owner passes, nothing granted */
	CU_ASSERT(effect_is(&v->e[KARMOR_PART_MAIN][wr_other], 3, 0, 0));
	/* a process Block protects its program's path too */
	v = find_path(&img, "/opt/app/bin", KARMOR_ROLE_ANC, KARMOR_CLS_FILE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT(effect_is(&v->e[KARMOR_PART_MAIN][wr_own], 1, 0, 0));
	/* a dir rule: its ancestors, not D itself (D is its ROLE_EXACT key) */
	CU_ASSERT_PTR_NOT_NULL(find_path(&img, "/data", KARMOR_ROLE_ANC, KARMOR_CLS_FILE, 0));
	CU_ASSERT_PTR_NULL(find_path(&img, "/data/ro", KARMOR_ROLE_ANC, KARMOR_CLS_FILE, 0));
	v = find_path(&img, "/var", KARMOR_ROLE_ANC, KARMOR_CLS_FILE, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT(effect_is(&v->e[KARMOR_PART_MAIN][wr_own], 0, 5, 0));
	/* never the root */
	CU_ASSERT_PTR_NULL(find_path(&img, "", KARMOR_ROLE_ANC, KARMOR_CLS_FILE, 0));
	kl_image_free(&img);
	unbuild(&b);
}

/* the dirs the BPF programs let an allow-list map (karmor.h) are the model's
 * baseline dirs, no more, no fewer */
static void test_baseline_mapped(void)
{
	static const char *const mapped[] = KARMOR_BASELINE_MAPPED;
	size_t n = sizeof(mapped) / sizeof(mapped[0]), dirs = 0;
	for (size_t i = 0; i < ir_baseline_count; i++) {
		const char *p = ir_baseline[i].path;
		if (p[strlen(p) - 1] != '/')
			continue;
		dirs++;
		bool found = false;
		for (size_t j = 0; j < n; j++)
			found |= strcmp(mapped[j], p) == 0;
		CU_ASSERT(found);
	}
	CU_ASSERT_EQUAL(dirs, n);
}

/* The identity section: placement, size, counts, string references, fields, order. */
static __u32 *DFA(void)
{
	return (__u32 *)(buf + H()->dfa_off);
}

/* The automaton: every word is in range, or the image is refused (the programs trust it). */
static void test_dfa_section(void)
{
	fresh();
	CU_ASSERT_TRUE_FATAL(H()->dfa_words > KARMOR_DFA_TRANS);
	__u32 n = DFA()[KARMOR_DFA_NSTATES], k = DFA()[KARMOR_DFA_NCLASSES];
	DFA()[KARMOR_DFA_CLASSES + 'a'] = k;
	reseal();
	REFUSED("byte 97 is in column");
	fresh();
	DFA()[karmor_dfa_next(1, k, 0)] = n;
	reseal();
	REFUSED("state 1 goes to state");
	fresh();
	DFA()[karmor_dfa_next(KARMOR_DFA_DEAD, k, 0)] = 1;	/* the dead state must stay dead */
	reseal();
	REFUSED("state 0 goes to state 1");
	fresh();
	DFA()[karmor_dfa_accept(n, k) + 1] = n + 1;
	reseal();
	REFUSED("names glob sets");
	fresh();
	DFA()[KARMOR_DFA_NSTATES] = n + 1;	/* no longer fills its words */
	reseal();
	REFUSED("do not fill its");
	fresh();
	DFA()[KARMOR_DFA_NCLASSES] = 0;
	reseal();
	REFUSED("do not fill its");
	fresh();
	H()->dfa_words = KARMOR_DFA_MAX_WORDS + 1;
	reseal();
	REFUSED("pattern section");
	fresh();
	H()->dfa_off += 8;	/* into the next section (syscalls, then strings) */
	reseal();
	REFUSED("syscall section offset");
	fresh();
	for (uint32_t i = 0; i < H()->npaths; i++)
		if (PATHS()[i].role == KARMOR_ROLE_PATTERN)
			PATHS()[i].str = n + 1;	/* no state names it */
	reseal();
	REFUSED("is not one the automaton names");
	fresh();
	for (uint32_t i = 0; i < H()->npaths; i++)
		if (PATHS()[i].role == KARMOR_ROLE_BELOW)
			PATHS()[i].cls = KARMOR_CLS_PROCESS;	/* a rename is a file operation */
	reseal();
	REFUSED("is not one the automaton names");
	fresh();
	H()->dfa_words = 0;	/* the section is gone, its keys are not */
	reseal();
	REFUSED("is not one the automaton names (at most 0)");
}

static void test_identity_section(void)
{
	fresh();
	reseal();
	struct kl_image img;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(kl_image_parse(buf, buf_size, "img.kmi", &img, err, sizeof(err)), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(img.ident);
	CU_ASSERT_EQUAL(img.ident->nlabels, 2);
	CU_ASSERT_STRING_EQUAL(kl_image_ref(&img, img.ident->image), "nginx:1.25");
	CU_ASSERT_STRING_EQUAL(kl_image_ref(&img, img.labels[1].value), "front");
	kl_image_free(&img);

	fresh();
	H()->ident_off += 4;
	reseal();
	REFUSED("identity section offset");
	fresh();
	H()->ident_off = H()->srcs_off;	/* over the sources */
	reseal();
	REFUSED("identity section offset");
	fresh();
	H()->ident_size += 8;	/* into the next section */
	reseal();
	REFUSED("pattern section offset");
	fresh();
	H()->ident_size = 0xfffffff8u;
	reseal();
	REFUSED("identity section");
	fresh();
	{
		/* shorter than the record: the strings start 8 bytes into it (zeroed: a valid table) */
		uint32_t delta = (uint32_t)(H()->strtab_off - (H()->ident_off + 8));	/* the automaton too */
		memset(buf + H()->ident_off + 8, 0, delta);
		H()->ident_size = 8;
		H()->dfa_words = 0;
		H()->dfa_off = H()->ident_off + 8;
		H()->sys_off = H()->ident_off + 8;	/* no syscall records here */
		H()->strtab_off = H()->ident_off + 8;
		H()->strtab_size += delta;
		H()->name += delta;
		H()->describe += delta;
		H()->karmorc_version += delta;
	}
	reseal();
	REFUSED("shorter than its record");
	fresh();
	IDENT()->nlabels = 3;	/* one more than the section holds */
	reseal();
	REFUSED("not the size of its record and 3 labels");
	fresh();
	IDENT()->nlabels = KARMOR_IDENT_MAX_LABELS + 1;
	reseal();
	REFUSED("labels, more than");
	fresh();
	IDENT()->flags = 0x10;
	reseal();
	REFUSED("unknown identity flags 0x10");
	fresh();
	IDENT()->flags = KARMOR_IDENT_HOST;	/* the target is no host */
	reseal();
	REFUSED("host flag disagrees");
	/* string references */
	fresh();
	IDENT()->image.off = H()->strtab_size;
	reseal();
	REFUSED("identity's image");
	fresh();
	IDENT()->image.off = 0xffffffffu;
	IDENT()->image.len = 4;
	reseal();
	REFUSED("identity's image");
	fresh();
	IDENT()->kind.len = 0xffffffffu;	/* off + len wraps */
	reseal();
	REFUSED("identity's kind");
	fresh();
	IDENT()->kind.len -= 1;	/* no NUL after it */
	reseal();
	REFUSED("identity's kind");
	fresh();
	IDENT()->kind.off = 0;
	IDENT()->kind.len = 1;	/* the table's first NUL inside the string */
	reseal();
	REFUSED("identity's kind");
	fresh();
	IDENT()->namespace_.len = KARMOR_IDENT_STR_MAX + 1;
	reseal();
	REFUSED("at most 1024 bytes");
	fresh();
	IDENT()->container = IDENT()->kind;
	IDENT()->container.len = 0;
	IDENT()->container.off = 0;	/* "" */
	reseal();
	REFUSED("identity of a container lacks a field");
	fresh();
	LABELS()[1].key = LABELS()[0].key;	/* app=x, app=front: out of order */
	reseal();
	REFUSED("identity label 1 is out of order or a duplicate");
	fresh();
	LABELS()[1] = LABELS()[0];
	reseal();
	REFUSED("identity label 1 is out of order or a duplicate");
	fresh();
	LABELS()[0].key.off = 0;
	LABELS()[0].key.len = 0;
	reseal();
	REFUSED("identity label 0: not a non-empty key");
	fresh();
	LABELS()[0].value.off = H()->strtab_size - 1;
	LABELS()[0].value.len = 1;
	reseal();
	REFUSED("identity label 0");
}


/* ---- the syscall section (bpf/karmor.h: syscall rules) ---- */

static const char sys_yaml[] = HEAD("s-sys")
	"spec:\n  selector:\n    matchLabels: {app: x}\n"
	"  file:\n    matchPaths:\n    - path: /etc/shadow\n"				/* 1 Block */
	"  syscalls:\n    matchSyscalls:\n    - syscall: [setuid, unlink]\n"		/* 2, 3 */
	"    - syscall: [mount]\n      fromSource:\n      - path: /usr/bin/mount\n"	/* 4 */
	"    matchPaths:\n    - path: /srv/\n      recursive: true\n      syscall: [unlink]\n"	/* 5 */
	"    - path: /var/spool/\n      syscall: [rename]\n"			/* 6 */
	"    - path: /etc/passwd\n      syscall: [chown]\n"			/* 7 */
	"  action: Block\n";

static const struct karmor_image_sys *find_sys(const struct kl_image *img, unsigned role, unsigned source,
					       unsigned nr, const char *s)
{
	for (uint32_t i = 0; i < img->hdr->nsys; i++) {
		const struct karmor_image_sys *e = &img->sys[i];
		if (e->role == role && e->source == source && e->nr == nr && strcmp(kl_image_str(img, e->str), s) == 0)
			return e;
	}
	return NULL;
}

static struct built sys_src;
static struct karmor_image_sys *SYS(void)
{
	return (struct karmor_image_sys *)(buf + H()->sys_off);
}
static void sys_fresh(void)
{
	free(buf);
	buf_size = sys_src.size;
	buf = malloc(buf_size + 64);
	memcpy(buf, sys_src.img, buf_size);
	memset(buf + buf_size, 0, 64);
}

static void test_sys_keys(void)
{
	build(&sys_src, sys_yaml);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sys_src.img);
	CU_ASSERT_EQUAL(sys_src.u.diags.errors, 0);
	struct kl_image img;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(kl_image_parse(sys_src.img, sys_src.size, "mem", &img, err, sizeof(err)), 0);
	CU_ASSERT(img.hdr->flags & KARMOR_TF_SYSCALLS);
	const struct karmor_image_sys *e;
	/* matchSyscalls: the smallest rule id of (source, syscall) */
	e = find_sys(&img, KARMOR_SYS_ROLE_CALL, 0, 105, "");
	CU_ASSERT(e && e->value.audit == 2 && !e->value.flags);
	e = find_sys(&img, KARMOR_SYS_ROLE_CALL, 1, 165, "");
	CU_ASSERT(e && e->value.audit == 4 && !e->value.flags);
	/* unlink: by name (rule 3) and on paths below /srv/ (rule 5) */
	e = find_sys(&img, KARMOR_SYS_ROLE_CALL, 0, 87, "");
	CU_ASSERT(e && e->value.audit == 3 && e->value.flags == KARMOR_SYSF_PATHS);
	e = find_sys(&img, KARMOR_ROLE_DIR, 0, 87, "/srv/");
	CU_ASSERT(e && e->value.audit == 5 && !e->value.direct);
	e = find_sys(&img, KARMOR_ROLE_EXACT, 0, 87, "/srv");
	CU_ASSERT(e && e->value.audit == 5);
	/* a non-recursive dir: direct children, and the directory itself */
	e = find_sys(&img, KARMOR_ROLE_DIR, 0, 82, "/var/spool/");
	CU_ASSERT(e && !e->value.audit && e->value.direct == 6);
	e = find_sys(&img, KARMOR_ROLE_EXACT, 0, 82, "/var/spool");
	CU_ASSERT(e && e->value.audit == 6);
	e = find_sys(&img, KARMOR_SYS_ROLE_CALL, 0, 82, "");
	CU_ASSERT(e && !e->value.audit && e->value.flags == KARMOR_SYSF_PATHS);
	e = find_sys(&img, KARMOR_ROLE_EXACT, 0, 92, "/etc/passwd");
	CU_ASSERT(e && e->value.audit == 7);
	CU_ASSERT_EQUAL(img.hdr->nsys, 10);
	kl_image_free(&img);

	/* the kernel's normalisation, as the emulator and the loader's tests use it */
	static const char *const norm[][2] = {
		{"/", "/"}, {"//", "/"}, {"/a/./b/", "/a/b"}, {"/a/../b", "/b"}, {"/../..", "/"},
		{"/tmp/w//x/../y/.", "/tmp/w/y"}, {"/a/b/../../../c", "/c"}, {"/a/..b/c.", "/a/..b/c."},
	};
	for (size_t i = 0; i < sizeof(norm) / sizeof(norm[0]); i++) {
		char p[64];
		snprintf(p, sizeof(p), "%s", norm[i][0]);
		karmor_sys_normalize(p);
		CU_ASSERT_STRING_EQUAL(p, norm[i][1]);
	}
	/* the path argument of a few syscalls */
	CU_ASSERT_EQUAL(karmor_sys_path_arg(87), KARMOR_SYSP(0));
	CU_ASSERT_EQUAL(karmor_sys_path_arg(263), KARMOR_SYSP_AT(0, 1));
	CU_ASSERT_EQUAL(karmor_sys_path_arg(265), KARMOR_SYSP_AT(2, 3));
	CU_ASSERT_EQUAL(karmor_sys_path_arg(105), 0);
	CU_ASSERT_EQUAL(karmor_sys_path_arg(KARMOR_SYS_COUNT), 0);
	/* the kernel's table says of every syscall what the verdict model's list says */
	static const char *const names[] = {
#define FE_SYSCALL(name) #name,
#include "../frontend/syscalls.def"
#undef FE_SYSCALL
	};
	CU_ASSERT_EQUAL(sizeof(names) / sizeof(names[0]), KARMOR_SYS_COUNT);
	for (unsigned nr = 0; nr < KARMOR_SYS_COUNT; nr++)
		CU_ASSERT_EQUAL((karmor_sys_path_arg(nr) & KARMOR_SYSP_PATH) != 0, fe_syscall_takes_path(names[nr]));
}

/* a hostile syscall section is refused (kl_validate_sys) */
static void test_sys_corrupt(void)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(sys_src.img);
	uint32_t n = ((const struct karmor_image_header *)sys_src.img)->nsys;
	CU_ASSERT_FATAL(n >= 3);
	sys_fresh();
	H()->flags &= ~KARMOR_TF_SYSCALLS;
	reseal();
	REFUSED("the syscall flag disagrees with 10 syscall entries");
	sys_fresh();
	H()->sys_off += 4;
	reseal();
	REFUSED("syscall section offset");
	sys_fresh();
	H()->nsys += 1;	/* over the strings */
	reseal();
	REFUSED("strings section offset");
	sys_fresh();
	H()->nsys = 0xffffffffu;
	reseal();
	REFUSED("a record count exceeds");
	sys_fresh();
	SYS()[0].nr = KARMOR_SYS_COUNT;
	reseal();
	REFUSED("syscall entry 0: syscall 335 or source slot 0 out of range");
	sys_fresh();
	SYS()[0].source = 9;
	reseal();
	REFUSED("syscall entry 0: syscall");
	sys_fresh();
	SYS()[0].pad[1] = 1;
	reseal();
	REFUSED("out of range");
	sys_fresh();
	SYS()[0].str = H()->strtab_size;
	reseal();
	REFUSED("syscall entry 0: string id");
	sys_fresh();
	SYS()[0].role = 5;
	reseal();
	REFUSED("role 5 or its value is invalid");
	sys_fresh();
	SYS()[0].value.audit = H()->nrules + 1;
	reseal();
	REFUSED("a rule id is not one of the target's syscall rules");
	sys_fresh();
	SYS()[0].value.audit = 1;	/* the file rule */
	reseal();
	REFUSED("a rule id is not one of the target's syscall rules");
	sys_fresh();
	/* records sort by role: the CALL keys (0x80) come last; make one carry a path */
	SYS()[n - 1].str = SYS()[0].str;
	reseal();
	REFUSED("its value is invalid");
	sys_fresh();
	SYS()[n - 1].value.flags = 0x2;
	reseal();
	REFUSED("its value is invalid");
	sys_fresh();
	SYS()[n - 1].value.audit = 0;
	SYS()[n - 1].value.flags = 0;	/* a key that does nothing */
	reseal();
	REFUSED("its value is invalid");
	sys_fresh();
	SYS()[0].nr = 105;	/* a path key of setuid, which takes no path */
	reseal();
	REFUSED("its value is invalid");
	sys_fresh();
	{
		struct karmor_image_sys t = SYS()[0];
		SYS()[0] = SYS()[1];
		SYS()[1] = t;
	}
	reseal();
	REFUSED("out of order or a duplicate");
	sys_fresh();
	SYS()[1] = SYS()[0];
	reseal();
	REFUSED("out of order or a duplicate");
	unbuild(&sys_src);
	free(buf);
	buf = NULL;
}

/* ---- the name filter (bpf/karmor.h): ROLE_NAME keys and KARMOR_TF_NAMES_FILE ---- */

/* exact file paths only (two ending in "shadow"), a process dir rule and a fromSource path */
static const char names_yaml[] =
	HEAD("names")
	"spec:\n  selector:\n    matchLabels: {app: x}\n"
	"  process:\n    matchDirectories:\n    - dir: /usr/bin/\n"
	"  file:\n    matchPaths:\n    - path: /etc/shadow\n    - path: /srv/a/shadow\n      action: Audit\n"
	"    - path: /srv/b/passwd\n      fromSource:\n      - path: /bin/cat\n"
	"  action: Block\n";

static unsigned count_role(const struct kl_image *img, unsigned role)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < img->hdr->npaths; i++)
		n += img->paths[i].role == role;
	return n;
}

/* `yaml` with `add` spliced in before its "  action:" line: the flag, and the name keys */
static void names_case(const char *add, bool want_flag, unsigned want_names)
{
	char yaml[2048];
	const char *at = strstr(names_yaml, "  action: Block");
	snprintf(yaml, sizeof(yaml), "%.*s%s%s", (int)(at - names_yaml), names_yaml, add, at);
	struct built b;
	build(&b, yaml);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.img);
	struct kl_image img;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(kl_image_parse(b.img, b.size, "mem", &img, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL((img.hdr->flags & KARMOR_TF_NAMES_FILE) != 0, want_flag);
	CU_ASSERT_EQUAL(count_role(&img, KARMOR_ROLE_NAME), want_names);
	kl_image_free(&img);
	unbuild(&b);
}

static void test_name_filter(void)
{
	struct built b;
	build(&b, names_yaml);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b.img);
	struct kl_image img;
	char err[256];
	CU_ASSERT_EQUAL_FATAL(kl_image_parse(b.img, b.size, "mem", &img, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(img.hdr->flags & KARMOR_TF_NAMES_FILE);
	/* one key per name, whatever the rules' sources and actions; none for the process dir */
	CU_ASSERT_EQUAL(count_role(&img, KARMOR_ROLE_NAME), 2);
	CU_ASSERT_PTR_NOT_NULL(find_path(&img, "shadow", KARMOR_ROLE_NAME, KARMOR_CLS_FILE, 0));
	CU_ASSERT_PTR_NOT_NULL(find_path(&img, "passwd", KARMOR_ROLE_NAME, KARMOR_CLS_FILE, 0));
	CU_ASSERT_PTR_NULL(find_path(&img, "bin", KARMOR_ROLE_NAME, KARMOR_CLS_FILE, 0));
	kl_image_free(&img);

	/* the reader holds the flag to the keys: copies of this image, resealed */
	free(buf);
	buf_size = b.size;
	buf = malloc(buf_size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memcpy(buf, b.img, buf_size);
	H()->flags &= ~KARMOR_TF_NAMES_FILE;	/* the keys stay */
	reseal();
	REFUSED("name keys without the name filter flag");
	memcpy(buf, b.img, buf_size);
	struct karmor_image_path *last = &PATHS()[H()->npaths - 1];	/* "shadow", the last name key */
	CU_ASSERT_EQUAL_FATAL(last->role, KARMOR_ROLE_NAME);
	last->source = 1;
	reseal();
	REFUSED("a name key of class 1, source slot 1");
	/* "shadow" renamed to a later string with no '/' (the policy file's): /etc/shadow's name is lost */
	memcpy(buf, b.img, buf_size);
	last = &PATHS()[H()->npaths - 1];
	last->str = RULES()[0].file;
	CU_ASSERT_STRING_EQUAL((const char *)buf + H()->strtab_off + last->str, "t.yaml");
	reseal();
	REFUSED("('/etc/shadow'): its name is not a name key");
	free(buf);
	buf = NULL;
	unbuild(&b);

	/* what keeps the filter off: a file dir rule, a glob, a file allow-list */
	names_case("", true, 2);
	names_case("    matchDirectories:\n    - dir: /tmp/\n", false, 0);
	names_case("    matchPatterns:\n    - pattern: /tmp/*.key\n", false, 0);
	names_case("    - path: /etc/motd\n      action: Allow\n", false, 0);
}


void test_bpf_image_register(void)
{
	CU_pSuite s = CU_add_suite("bpf image", NULL, NULL);
	CU_add_test(s, "writer -> reader round trip, record by record", test_round_trip);
	CU_add_test(s, "the same input gives the same bytes", test_deterministic);
	CU_add_test(s, "kl_image_read: a written file, a missing one", test_read_file);
	CU_add_test(s, "too many fromSource entries for a target", test_source_slots);
	CU_add_test(s, "too many fromSource entries for one executable", test_task_sources);
	CU_add_test(s, "usage lines and totals", test_totals);
	CU_add_test(s, "--bpf-map-budget: sizes, and KC0408 over it", test_budget);
	CU_add_test(s, "map sizes from the images' counts; over a limit refused", test_map_sizes);
	CU_add_test(s, "map bytes: the estimate", test_map_bytes);
	CU_add_test(s, "read and write refused by two rules: the first is named", test_match_names_first_rule);
	CU_add_test(s, "ancestors of protected paths: ROLE_ANC write refusals", test_ancestors);
	CU_add_test(s, "the mapped baseline dirs are the model's", test_baseline_mapped);
	CU_add_test(s, "syscall rules: keys of the syscall section, normalisation, path arguments", test_sys_keys);
	CU_add_test(s, "syscall rules: a hostile syscall section is refused", test_sys_corrupt);
	CU_add_test(s, "the name filter: its keys and flag, and an image that disagrees", test_name_filter);
	CU_pSuite c = CU_add_suite("bpf image corruptions", corrupt_init, corrupt_clean);
	CU_add_test(c, "a resealed copy is valid", test_valid_copy);
	CU_add_test(c, "truncated or extended", test_truncated);
	CU_add_test(c, "header fields", test_header_fields);
	CU_add_test(c, "checksum", test_checksum);
	CU_add_test(c, "offsets, counts, overlaps", test_offsets);
	CU_add_test(c, "string table and string ids", test_strings);
	CU_add_test(c, "records: roles, classes, slots, ids, order", test_records);
	CU_add_test(c, "identity section: offsets, sizes, strings, fields, order", test_identity_section);
	CU_add_test(c, "pattern automaton: words, columns, states, set ids", test_dfa_section);
}
