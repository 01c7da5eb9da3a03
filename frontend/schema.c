#include "schema.h"

#include "glob.h"

#include <assert.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- regexes */

/* The CRD patterns verbatim.  The API server searches (unanchored) with Go's
 * regexp, where `$` is end of text: PCRE2_DOLLAR_ENDONLY gives the same. */
static const char *const fe_regex_src[FE_RE_COUNT] = {
	[FE_RE_PATH] = "^\\/+.*[^\\/]$",
	[FE_RE_DIR] = "^\\/$|^\\/.*\\/$",
	[FE_RE_EXECNAME] = "^[^\\/]+$",
	[FE_RE_SYSCALL_PATH] = "(^\\/+.*[^\\/]$)|(^\\/$|^\\/.*\\/$)",
	/* names.def's protocols, in either case; (?!) never matches, so each name can follow a '|' */
	[FE_RE_PROTOCOL] = "((?!)"
#define FE_PROTOCOL(name, upper) "|" #name "|" #upper
#include "names.def"
			   ")$",
	/* every name of names.def the CRD has; (?!) never matches, so the list can start with '|' */
	[FE_RE_CAPABILITY] = "((?!)"
#define FE_CAPABILITY(name, number, crd) FE_CAP_RE_##crd(name)
#define FE_CAP_RE_1(name) "|" #name
#define FE_CAP_RE_0(name)
#include "names.def"
			     ")$",
	/* Kubernetes' validation (apimachinery IsDNS1123Subdomain / IsDNS1123Label) */
	[FE_RE_DNS1123_SUBDOMAIN] = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
	[FE_RE_DNS1123_LABEL] = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$",
};

static pcre2_code *fe_regex_code[FE_RE_COUNT];
static bool fe_regex_jit[FE_RE_COUNT];
static pcre2_match_data *fe_regex_md;

const char *fe_regex_source(enum fe_regex which)
{
	return fe_regex_src[which];
}

static void fe_regex_cleanup(void)
{
	for (int i = 0; i < FE_RE_COUNT; i++)
		pcre2_code_free(fe_regex_code[i]);
	pcre2_match_data_free(fe_regex_md);
}

bool fe_regex_match(enum fe_regex which, const char *s, size_t len)
{
	if (!fe_regex_md) {
		for (int i = 0; i < FE_RE_COUNT; i++) {
			int err;
			PCRE2_SIZE off;
			fe_regex_code[i] = pcre2_compile((PCRE2_SPTR)fe_regex_src[i], PCRE2_ZERO_TERMINATED,
							 PCRE2_DOLLAR_ENDONLY | PCRE2_UTF, &err, &off, NULL);
			if (!fe_regex_code[i] && err == PCRE2_ERROR_HEAP_FAILED)
				fe_oom();
			if (!fe_regex_code[i]) {
				fprintf(stderr, "karmorc: internal error: regex %d does not compile\n", i);
				exit(3);
			}
			/* JIT is a speed-up only; without it (no JIT support) the interpreter runs */
			fe_regex_jit[i] = pcre2_jit_compile(fe_regex_code[i], PCRE2_JIT_COMPLETE) == 0;
		}
		fe_regex_md = pcre2_match_data_create(4, NULL);
		if (!fe_regex_md)
			fe_oom();
		atexit(fe_regex_cleanup);
	}
	/* libyaml has already checked that every scalar is valid UTF-8 */
	int rc = fe_regex_jit[which]
			 ? pcre2_jit_match(fe_regex_code[which], (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, fe_regex_md, NULL)
			 : pcre2_match(fe_regex_code[which], (PCRE2_SPTR)s, len, 0, PCRE2_NO_UTF_CHECK, fe_regex_md, NULL);
	return rc >= 0;
}

/* ------------------------------------------------------------ name tables */

static const char *const fe_protocols[] = {
#define FE_PROTOCOL(name, upper) #name,
#include "names.def"
};
/* the capabilities a policy may name (the CRD's enum): the crd ones of names.def */
static const char *const fe_capabilities[] = {
#define FE_CAPABILITY(name, number, crd) FE_CAP_NAME_##crd(name)
#define FE_CAP_NAME_1(name) #name,
#define FE_CAP_NAME_0(name)
#include "names.def"
};
#undef FE_CAP_RE_1
#undef FE_CAP_RE_0
#undef FE_CAP_NAME_1
#undef FE_CAP_NAME_0
/* The CRD's Syscall enum (common.go), in its order: x86-64's syscall numbers. */
static const char *const fe_syscalls[] = {
#define FE_SYSCALL(name) #name,
#include "syscalls.def"
#undef FE_SYSCALL
};

#define FE_COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool fe_in(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, set[i]) == 0)
			return true;
	return false;
}

bool fe_is_protocol(const char *s) { return fe_in(s, fe_protocols, FE_COUNT(fe_protocols)); }
bool fe_is_capability(const char *s) { return fe_in(s, fe_capabilities, FE_COUNT(fe_capabilities)); }
static int fe_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 335 names: looked up by binary search in a sorted copy made on first use */
bool fe_is_syscall(const char *s)
{
	static const char *sorted[FE_COUNT(fe_syscalls)];
	static bool ready;
	if (!ready) {
		memcpy(sorted, fe_syscalls, sizeof(sorted));
		qsort(sorted, FE_COUNT(sorted), sizeof(sorted[0]), fe_str_cmp);
		ready = true;
	}
	return bsearch(&s, sorted, FE_COUNT(sorted), sizeof(sorted[0]), fe_str_cmp) != NULL;
}

/* The syscalls that act on a path they are given (the one syscalls.matchPaths matches):
 * bpf/karmor.h (karmor_sys_path_arg) says which argument it is; tests/test_bpf_image.c
 * holds the two lists equal. */
bool fe_syscall_takes_path(const char *s)
{
	static const char *const with_path[] = {
		"open", "stat", "lstat", "access", "execve", "truncate", "chdir", "rename", "mkdir", "rmdir",
		"creat", "link", "unlink", "symlink", "readlink", "chmod", "chown", "lchown", "utime", "mknod",
		"uselib", "statfs", "pivot_root", "chroot", "acct", "mount", "umount2", "swapon", "swapoff",
		"setxattr", "lsetxattr", "getxattr", "lgetxattr", "listxattr", "llistxattr", "removexattr",
		"lremovexattr", "utimes", "openat", "mkdirat", "mknodat", "fchownat", "futimesat", "newfstatat",
		"unlinkat", "renameat", "linkat", "symlinkat", "readlinkat", "fchmodat", "faccessat", "utimensat",
		"name_to_handle_at", "renameat2", "execveat", "statx",
	};
	return fe_in(s, with_path, FE_COUNT(with_path));
}

/* The CRD's enum is x86-64's syscall table in order: a name's index is its number
 * (tests/test_schema.c holds it equal to <asm/unistd_64.h>); -1 for another name. */
int fe_syscall_number(const char *s)
{
	for (size_t i = 0; i < FE_COUNT(fe_syscalls); i++)
		if (strcmp(s, fe_syscalls[i]) == 0)
			return (int)i;
	return -1;
}

int fe_parse_action(const char *s, bool *was_lower)
{
	static const char *const exact[] = {
#define FE_ACTION(e, name, lower) [e] = #name,
#include "names.def"
	};
	static const char *const lower[] = {
#define FE_ACTION(e, name, lower) [e] = #lower,
#include "names.def"
	};
	*was_lower = false;
	for (int i = 0; i < (int)FE_COUNT(exact); i++) {
		if (strcmp(s, exact[i]) == 0)
			return i;
		if (strcmp(s, lower[i]) == 0) {
			*was_lower = true;
			return i;
		}
	}
	return -1;
}

static size_t fe_edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t best = diag + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

const char *fe_suggest(const char *word, const char *const *candidates, size_t n)
{
	const char *best = NULL;
	size_t best_d = 99, len = strlen(word);
	size_t limit = len <= 4 ? 1 : len <= 8 ? 2 : 3;
	for (size_t i = 0; i < n; i++) {
		size_t dist = fe_edit_distance(word, candidates[i]);
		/* case-only differences are always worth suggesting */
		if (strcasecmp(word, candidates[i]) == 0)
			dist = 0;
		if (dist <= limit && dist < best_d) {
			best_d = dist;
			best = candidates[i];
		}
	}
	return best;
}

/* ------------------------------------------------------------ the tables */

enum sch_kind { SK_OBJECT, SK_ARRAY, SK_STRING, SK_INT, SK_BOOL, SK_STRMAP, SK_OPAQUE };

enum sch_check {
	CK_NONE, CK_ACTION, CK_DIR, CK_PATH, CK_SOURCE_PATH, CK_EXECNAME, CK_SYSCALL_PATH, CK_PROTOCOL,
	CK_CAPABILITY, CK_SYSCALL, CK_SOURCE_DIR, CK_NAME, CK_NAMESPACE, CK_NONEMPTY, CK_GLOB, CK_SELECTOR, CK_PROCESS_PATH, CK_SYS_SOURCE, CK_NONEMPTY_LIST, CK_PATH_SYSCALL,
};

#define SF_REQUIRED 0x1u	/* required by the CRD */
#define SF_DAEMON_OPTIONAL 0x2u	/* ...but the non-Kubernetes daemon does without it */

struct sch_node;
struct sch_field {
	const char *name;
	size_t len;		/* strlen(name), so lookups compare lengths first */
	const struct sch_node *type;
	unsigned flags;
};

struct sch_node {
	enum sch_kind kind;
	const struct sch_field *fields;	/* SK_OBJECT, terminated by a NULL name */
	const struct sch_node *items;	/* SK_ARRAY */
	int max_len, max_items;		/* 0 = none */
	bool has_min, has_max;
	long min, max;
	const char *const *enum_vals;	/* NULL-terminated */
	enum sch_check check;
};

static const char *const sch_actions[] = {
#define FE_ACTION(e, name, lower) #name,
#include "names.def"
	NULL};
static const char *const sch_operators[] = {"In", "NotIn", NULL};
static const char *const sch_ksp_keys[] = {"label", NULL};
static const char *const sch_csp_keys[] = {"namespace", "label", NULL};

static const struct sch_node s_str = {.kind = SK_STRING};
static const struct sch_node s_nonempty = {.kind = SK_STRING, .check = CK_NONEMPTY};
static const struct sch_node s_glob = {.kind = SK_STRING, .check = CK_GLOB};
static const struct sch_node s_bool = {.kind = SK_BOOL};
static const struct sch_node s_int = {.kind = SK_INT};
static const struct sch_node s_opaque = {.kind = SK_OPAQUE};
static const struct sch_node s_strmap = {.kind = SK_STRMAP};
static const struct sch_node s_severity = {.kind = SK_INT, .has_min = true, .min = 1, .has_max = true, .max = 10};
static const struct sch_node s_level = {.kind = SK_INT, .has_min = true, .min = 1};
static const struct sch_node s_action = {.kind = SK_STRING, .enum_vals = sch_actions, .check = CK_ACTION};
static const struct sch_node s_strs = {.kind = SK_ARRAY, .items = &s_str};
static const struct sch_node s_path = {.kind = SK_STRING, .max_len = 200, .check = CK_PATH};
static const struct sch_node s_source_path = {.kind = SK_STRING, .max_len = 200, .check = CK_SOURCE_PATH};
static const struct sch_node s_dir = {.kind = SK_STRING, .check = CK_DIR};
/* syscalls fromSource.dir has no CRD pattern; KubeArmor appends the '/' itself */
static const struct sch_node s_source_dir = {.kind = SK_STRING, .max_len = 200, .check = CK_SOURCE_DIR};
static const struct sch_node s_execname = {.kind = SK_STRING, .check = CK_EXECNAME};
static const struct sch_node s_args = {.kind = SK_ARRAY, .items = &s_str, .max_items = 20};
static const struct sch_node s_protocol = {.kind = SK_STRING, .check = CK_PROTOCOL};
static const struct sch_node s_capability = {.kind = SK_STRING, .check = CK_CAPABILITY};
static const struct sch_node s_syscall = {.kind = SK_STRING, .check = CK_SYSCALL};
static const struct sch_node s_syscalls = {.kind = SK_ARRAY, .items = &s_syscall, .check = CK_NONEMPTY_LIST};
/* in syscalls.matchPaths: also a syscall that takes a path (KC0130) */
static const struct sch_node s_path_syscall = {.kind = SK_STRING, .check = CK_PATH_SYSCALL};
static const struct sch_node s_path_syscalls = {.kind = SK_ARRAY, .items = &s_path_syscall, .check = CK_NONEMPTY_LIST};
static const struct sch_node s_syscall_path = {.kind = SK_STRING, .max_len = 200, .check = CK_SYSCALL_PATH};

/* severity, tags, message and action: every section and every rule has them */
#define SCH_COMMON \
	{"severity", 8, &s_severity, 0}, {"tags", 4, &s_strs, 0}, {"message", 7, &s_str, 0}, {"action", 6, &s_action, 0}

/* karmorc is stricter than the CRD here: a source without a path names no program */
static const struct sch_field f_source[] = {{"path", 4, &s_source_path, SF_REQUIRED}, {NULL, 0, NULL, 0}};
static const struct sch_node s_source = {.kind = SK_OBJECT, .fields = f_source};
static const struct sch_node s_sources = {.kind = SK_ARRAY, .items = &s_source};

static const struct sch_field f_proc_path[] = {
	{"path", 4, &s_path, 0}, {"execname", 8, &s_execname, 0}, {"allowedArgs", 11, &s_args, 0},
	{"ownerOnly", 9, &s_bool, 0}, {"pts", 3, &s_bool, 0}, {"fromSource", 10, &s_sources, 0}, SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_field f_proc_dir[] = {
	{"dir", 3, &s_dir, SF_REQUIRED}, {"recursive", 9, &s_bool, 0}, {"ownerOnly", 9, &s_bool, 0}, {"pts", 3, &s_bool, 0},
	{"fromSource", 10, &s_sources, 0}, SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_field f_proc_pattern[] = {
	{"pattern", 7, &s_glob, SF_REQUIRED}, {"ownerOnly", 9, &s_bool, 0}, SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_node s_proc_path = {.kind = SK_OBJECT, .fields = f_proc_path, .check = CK_PROCESS_PATH};
static const struct sch_node s_proc_dir = {.kind = SK_OBJECT, .fields = f_proc_dir};
static const struct sch_node s_proc_pattern = {.kind = SK_OBJECT, .fields = f_proc_pattern};
static const struct sch_node s_proc_paths = {.kind = SK_ARRAY, .items = &s_proc_path};
static const struct sch_node s_proc_dirs = {.kind = SK_ARRAY, .items = &s_proc_dir};
static const struct sch_node s_proc_patterns = {.kind = SK_ARRAY, .items = &s_proc_pattern};
static const struct sch_field f_process[] = {
	{"matchPaths", 10, &s_proc_paths, 0}, {"matchDirectories", 16, &s_proc_dirs, 0},
	{"matchPatterns", 13, &s_proc_patterns, 0}, SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_node s_process = {.kind = SK_OBJECT, .fields = f_process};

static const struct sch_field f_file_path[] = {
	{"path", 4, &s_path, SF_REQUIRED}, {"readOnly", 8, &s_bool, 0}, {"ownerOnly", 9, &s_bool, 0}, {"pts", 3, &s_bool, 0},
	{"fromSource", 10, &s_sources, 0}, SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_field f_file_dir[] = {
	{"dir", 3, &s_dir, SF_REQUIRED}, {"recursive", 9, &s_bool, 0}, {"readOnly", 8, &s_bool, 0},
	{"ownerOnly", 9, &s_bool, 0}, {"pts", 3, &s_bool, 0}, {"fromSource", 10, &s_sources, 0}, SCH_COMMON,
	{NULL, 0, NULL, 0}};
static const struct sch_field f_file_pattern[] = {
	{"pattern", 7, &s_glob, SF_REQUIRED}, {"readOnly", 8, &s_bool, 0}, {"ownerOnly", 9, &s_bool, 0}, SCH_COMMON,
	{NULL, 0, NULL, 0}};
static const struct sch_node s_file_path = {.kind = SK_OBJECT, .fields = f_file_path};
static const struct sch_node s_file_dir = {.kind = SK_OBJECT, .fields = f_file_dir};
static const struct sch_node s_file_pattern = {.kind = SK_OBJECT, .fields = f_file_pattern};
static const struct sch_node s_file_paths = {.kind = SK_ARRAY, .items = &s_file_path};
static const struct sch_node s_file_dirs = {.kind = SK_ARRAY, .items = &s_file_dir};
static const struct sch_node s_file_patterns = {.kind = SK_ARRAY, .items = &s_file_pattern};
static const struct sch_field f_file[] = {
	{"matchPaths", 10, &s_file_paths, 0}, {"matchDirectories", 16, &s_file_dirs, 0},
	{"matchPatterns", 13, &s_file_patterns, 0}, SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_node s_file = {.kind = SK_OBJECT, .fields = f_file};

static const struct sch_field f_proto[] = {
	{"protocol", 8, &s_protocol, SF_REQUIRED}, {"pts", 3, &s_bool, 0}, {"fromSource", 10, &s_sources, 0}, SCH_COMMON,
	{NULL, 0, NULL, 0}};
static const struct sch_field f_host_proto[] = {
	{"protocol", 8, &s_protocol, SF_REQUIRED}, {"fromSource", 10, &s_sources, SF_REQUIRED | SF_DAEMON_OPTIONAL},
	SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_field f_dns[] = {
	{"domain", 6, &s_nonempty, SF_REQUIRED}, {"fromSource", 10, &s_sources, 0}, SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_node s_proto = {.kind = SK_OBJECT, .fields = f_proto};
static const struct sch_node s_host_proto = {.kind = SK_OBJECT, .fields = f_host_proto};
static const struct sch_node s_dns = {.kind = SK_OBJECT, .fields = f_dns};
static const struct sch_node s_protos = {.kind = SK_ARRAY, .items = &s_proto};
static const struct sch_node s_host_protos = {.kind = SK_ARRAY, .items = &s_host_proto};
static const struct sch_node s_dnss = {.kind = SK_ARRAY, .items = &s_dns};
static const struct sch_field f_network[] = {
	{"matchProtocols", 14, &s_protos, 0}, {"matchDNSQueries", 15, &s_dnss, 0}, SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_field f_host_network[] = {
	{"matchProtocols", 14, &s_host_protos, 0}, {"matchDNSQueries", 15, &s_dnss, 0}, SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_node s_network = {.kind = SK_OBJECT, .fields = f_network};
static const struct sch_node s_host_network = {.kind = SK_OBJECT, .fields = f_host_network};

static const struct sch_field f_cap[] = {
	{"capability", 10, &s_capability, SF_REQUIRED}, {"fromSource", 10, &s_sources, 0}, SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_field f_host_cap[] = {
	{"capability", 10, &s_capability, SF_REQUIRED}, {"fromSource", 10, &s_sources, SF_REQUIRED | SF_DAEMON_OPTIONAL},
	SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_node s_cap = {.kind = SK_OBJECT, .fields = f_cap};
static const struct sch_node s_host_cap = {.kind = SK_OBJECT, .fields = f_host_cap};
static const struct sch_node s_caps = {.kind = SK_ARRAY, .items = &s_cap};
static const struct sch_node s_host_caps = {.kind = SK_ARRAY, .items = &s_host_cap};
static const struct sch_field f_capabilities[] = {{"matchCapabilities", 17, &s_caps, 0}, SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_field f_host_capabilities[] = {
	{"matchCapabilities", 17, &s_host_caps, 0}, SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_node s_capabilities = {.kind = SK_OBJECT, .fields = f_capabilities};
static const struct sch_node s_host_capabilities = {.kind = SK_OBJECT, .fields = f_host_capabilities};

static const struct sch_field f_sys_source[] = {
	{"path", 4, &s_source_path, 0}, {"dir", 3, &s_source_dir, 0}, {"recursive", 9, &s_bool, 0}, {NULL, 0, NULL, 0}};
static const struct sch_node s_sys_source = {.kind = SK_OBJECT, .fields = f_sys_source, .check = CK_SYS_SOURCE};
static const struct sch_node s_sys_sources = {.kind = SK_ARRAY, .items = &s_sys_source};
static const struct sch_field f_match_syscall[] = {
	{"syscall", 7, &s_syscalls, SF_REQUIRED}, {"fromSource", 10, &s_sys_sources, 0}, {NULL, 0, NULL, 0}};
static const struct sch_field f_match_syscall_path[] = {
	{"path", 4, &s_syscall_path, SF_REQUIRED}, {"recursive", 9, &s_bool, 0}, {"syscall", 7, &s_path_syscalls, SF_REQUIRED},
	{"fromSource", 10, &s_sys_sources, 0}, {NULL, 0, NULL, 0}};
static const struct sch_node s_match_syscall = {.kind = SK_OBJECT, .fields = f_match_syscall};
static const struct sch_node s_match_syscall_path = {.kind = SK_OBJECT, .fields = f_match_syscall_path};
static const struct sch_node s_match_syscalls = {.kind = SK_ARRAY, .items = &s_match_syscall};
static const struct sch_node s_match_syscall_paths = {.kind = SK_ARRAY, .items = &s_match_syscall_path};
static const struct sch_field f_syscalls[] = {
	{"matchSyscalls", 13, &s_match_syscalls, 0}, {"matchPaths", 10, &s_match_syscall_paths, 0},
	{"severity", 8, &s_severity, 0}, {"tags", 4, &s_strs, 0}, {"message", 7, &s_str, 0}, {NULL, 0, NULL, 0}};
static const struct sch_node s_syscalls_section = {.kind = SK_OBJECT, .fields = f_syscalls};

static const struct sch_field f_preset[] = {{"name", 4, &s_nonempty, 0}, {"action", 6, &s_action, 0}, {NULL, 0, NULL, 0}};
static const struct sch_node s_preset = {.kind = SK_OBJECT, .fields = f_preset};
static const struct sch_node s_presets = {.kind = SK_ARRAY, .items = &s_preset};

static const struct sch_field f_device_match[] = {
	{"class", 5, &s_nonempty, SF_REQUIRED}, {"subClass", 8, &s_int, 0}, {"protocol", 8, &s_int, 0},
	{"level", 5, &s_level, 0}, SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_node s_device_match = {.kind = SK_OBJECT, .fields = f_device_match};
static const struct sch_node s_device_matches = {.kind = SK_ARRAY, .items = &s_device_match};
static const struct sch_field f_device[] = {{"matchDevice", 11, &s_device_matches, 0}, SCH_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_node s_device = {.kind = SK_OBJECT, .fields = f_device};

static const struct sch_node s_ksp_key = {.kind = SK_STRING, .enum_vals = sch_ksp_keys};
static const struct sch_node s_csp_key = {.kind = SK_STRING, .enum_vals = sch_csp_keys};
static const struct sch_node s_operator = {.kind = SK_STRING, .enum_vals = sch_operators};
static const struct sch_field f_ksp_expr[] = {
	{"key", 3, &s_ksp_key, SF_REQUIRED}, {"operator", 8, &s_operator, SF_REQUIRED}, {"values", 6, &s_strs, 0},
	{NULL, 0, NULL, 0}};
static const struct sch_field f_csp_expr[] = {
	{"key", 3, &s_csp_key, SF_REQUIRED}, {"operator", 8, &s_operator, SF_REQUIRED}, {"values", 6, &s_strs, 0},
	{NULL, 0, NULL, 0}};
static const struct sch_node s_ksp_expr = {.kind = SK_OBJECT, .fields = f_ksp_expr};
static const struct sch_node s_csp_expr = {.kind = SK_OBJECT, .fields = f_csp_expr};
static const struct sch_node s_ksp_exprs = {.kind = SK_ARRAY, .items = &s_ksp_expr};
static const struct sch_node s_csp_exprs = {.kind = SK_ARRAY, .items = &s_csp_expr};
static const struct sch_field f_ksp_selector[] = {
	{"matchLabels", 11, &s_strmap, 0}, {"matchExpressions", 16, &s_ksp_exprs, 0}, {NULL, 0, NULL, 0}};
static const struct sch_field f_csp_selector[] = {{"matchExpressions", 16, &s_csp_exprs, 0}, {NULL, 0, NULL, 0}};
static const struct sch_field f_node_selector[] = {{"matchLabels", 11, &s_strmap, 0}, {NULL, 0, NULL, 0}};
static const struct sch_node s_ksp_selector = {.kind = SK_OBJECT, .fields = f_ksp_selector, .check = CK_SELECTOR};
static const struct sch_node s_csp_selector = {.kind = SK_OBJECT, .fields = f_csp_selector, .check = CK_SELECTOR};
static const struct sch_node s_node_selector = {.kind = SK_OBJECT, .fields = f_node_selector,
						.check = CK_SELECTOR};

#define SCH_SPEC_COMMON \
	{"process", 7, &s_process, 0}, {"file", 4, &s_file, 0}, {"syscalls", 8, &s_syscalls_section, 0}, \
	{"apparmor", 8, &s_str, 0}, SCH_COMMON

static const struct sch_field f_ksp_spec[] = {
	{"selector", 8, &s_ksp_selector, 0}, {"network", 7, &s_network, 0}, {"capabilities", 12, &s_capabilities, 0},
	{"presets", 7, &s_presets, 0}, SCH_SPEC_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_field f_hsp_spec[] = {
	{"nodeSelector", 12, &s_node_selector, SF_REQUIRED | SF_DAEMON_OPTIONAL}, {"network", 7, &s_host_network, 0},
	{"capabilities", 12, &s_host_capabilities, 0}, {"device", 6, &s_device, 0}, SCH_SPEC_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_field f_csp_spec[] = {
	{"selector", 8, &s_csp_selector, 0}, {"network", 7, &s_network, 0}, {"capabilities", 12, &s_capabilities, 0},
	{"presets", 7, &s_presets, 0}, SCH_SPEC_COMMON, {NULL, 0, NULL, 0}};
static const struct sch_node s_ksp_spec = {.kind = SK_OBJECT, .fields = f_ksp_spec};
static const struct sch_node s_hsp_spec = {.kind = SK_OBJECT, .fields = f_hsp_spec};
static const struct sch_node s_csp_spec = {.kind = SK_OBJECT, .fields = f_csp_spec};

/* ObjectMeta as kubectl --validate=strict knows it. */
static const struct sch_node s_name = {.kind = SK_STRING, .max_len = 253, .check = CK_NAME};
static const struct sch_node s_namespace = {.kind = SK_STRING, .max_len = 63, .check = CK_NAMESPACE};
static const struct sch_field f_metadata[] = {
	{"name", 4, &s_name, SF_REQUIRED}, {"namespace", 9, &s_namespace, 0}, {"labels", 6, &s_strmap, 0},
	{"annotations", 11, &s_strmap, 0}, {"generateName", 12, &s_str, 0}, {"uid", 3, &s_str, 0},
	{"resourceVersion", 15, &s_str, 0}, {"generation", 10, &s_int, 0}, {"creationTimestamp", 17, &s_opaque, 0},
	{"deletionTimestamp", 17, &s_opaque, 0}, {"deletionGracePeriodSeconds", 26, &s_int, 0},
	{"finalizers", 10, &s_strs, 0}, {"ownerReferences", 15, &s_opaque, 0}, {"managedFields", 13, &s_opaque, 0},
	{"selfLink", 8, &s_str, 0}, {NULL, 0, NULL, 0}};
static const struct sch_node s_metadata = {.kind = SK_OBJECT, .fields = f_metadata};
static const struct sch_field f_status[] = {{"status", 6, &s_str, 0}, {NULL, 0, NULL, 0}};
static const struct sch_node s_status = {.kind = SK_OBJECT, .fields = f_status};

#define SCH_ROOT(spec) \
	{"apiVersion", 10, &s_str, SF_REQUIRED}, {"kind", 4, &s_str, SF_REQUIRED}, \
	{"metadata", 8, &s_metadata, SF_REQUIRED}, {"spec", 4, spec, 0}, {"status", 6, &s_status, 0}, {NULL, 0, NULL, 0}
static const struct sch_field f_ksp[] = {SCH_ROOT(&s_ksp_spec)};
static const struct sch_field f_hsp[] = {SCH_ROOT(&s_hsp_spec)};
static const struct sch_field f_csp[] = {SCH_ROOT(&s_csp_spec)};
static const struct sch_node s_roots[] = {
	[IR_KSP] = {.kind = SK_OBJECT, .fields = f_ksp},
	[IR_HSP] = {.kind = SK_OBJECT, .fields = f_hsp},
	[IR_CSP] = {.kind = SK_OBJECT, .fields = f_csp},
};
static const char *const sch_sections[] = {"process", "file", "network", "capabilities", "syscalls", NULL};
/* Policy field names that, found under a selector, are misplaced structure, not labels. */
static const char *const sch_policy_words[] = {
	"severity", "tags", "message", "action", "apparmor", "presets", "selector", "nodeSelector", "device",
	"matchPaths", "matchDirectories", "matchPatterns", "matchProtocols", "matchCapabilities",
	"matchSyscalls", "matchDNSQueries", "fromSource", "path", "dir", "recursive", "readOnly", "ownerOnly", NULL};

/* ------------------------------------------------------------ the walker */

struct sch_ctx {
	struct fe_diags *d;
	const struct fe_source *src;
	enum fe_schema_mode mode;
	enum ir_kind kind;
	bool ok;
	/* where the walk is, as segments; rendered into `path` only when a message needs it */
	struct { const char *key; size_t index; } seg[32];
	size_t nseg;
	char path[512];
};

static const char *sch_path(struct sch_ctx *c)
{
	size_t len = 0;
	c->path[0] = '\0';
	for (size_t i = 0; i < c->nseg && len < sizeof(c->path); i++) {
		int n = c->seg[i].key ? snprintf(c->path + len, sizeof(c->path) - len, "%s%s", len ? "." : "",
						 c->seg[i].key)
				      : snprintf(c->path + len, sizeof(c->path) - len, "[%zu]", c->seg[i].index);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	return c->path;
}

static void sch_push(struct sch_ctx *c, const char *key, size_t index)
{
	/* schema depth is fixed and small; the walk never goes deeper than the tables */
	assert(c->nseg < sizeof(c->seg) / sizeof(c->seg[0]));
	c->seg[c->nseg].key = key;
	c->seg[c->nseg].index = index;
	c->nseg++;
}

static struct fe_loc sch_loc(const struct sch_ctx *c, const struct fe_ynode *n)
{
	return fe_ynode_loc(c->src, n);
}

static struct fe_diag *sch_error(struct sch_ctx *c, enum fe_diag_code code, const struct fe_ynode *n,
				 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static struct fe_diag *sch_error(struct sch_ctx *c, enum fe_diag_code code, const struct fe_ynode *n,
				 const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct fe_diag *dg = fe_diag_vadd(c->d, FE_ERROR, code, sch_loc(c, n), fmt, ap);
	va_end(ap);
	c->ok = false;
	return dg;
}

static struct fe_diag *sch_warn(struct sch_ctx *c, enum fe_diag_code code, const struct fe_ynode *n,
				const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static struct fe_diag *sch_warn(struct sch_ctx *c, enum fe_diag_code code, const struct fe_ynode *n,
				const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct fe_diag *dg = fe_diag_vadd(c->d, FE_WARNING, code, sch_loc(c, n), fmt, ap);
	va_end(ap);
	return dg;
}

/* In daemon mode, what only the API server enforces becomes a warning. */
static struct fe_diag *sch_crd_only(struct sch_ctx *c, enum fe_diag_code code, const struct fe_ynode *n,
				    const char *what)
{
	if (c->mode == FE_SCHEMA_DAEMON)
		return sch_warn(c, FE_DAEMON_ONLY, n, "%s (accepted by the non-Kubernetes daemon only; "
			       "kubectl would refuse it)", what);
	return sch_error(c, code, n, "%s", what);
}

static size_t sch_utf8_len(const char *s, size_t n)
{
	size_t chars = 0;
	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char)s[i] & 0xC0) != 0x80;
	return chars;
}

static bool sch_has_glob(const char *s)
{
	return strpbrk(s, "*?[{") != NULL;
}

bool fe_name_list_next(const char **cursor, char item[FE_NAME_MAX], bool capability, bool *had_prefix)
{
	const char *p = *cursor;
	if (!p)
		return false;
	const char *end = strchr(p, ',');
	size_t len = end ? (size_t)(end - p) : strlen(p);
	size_t j = 0;
	for (size_t i = 0; i < len && j + 1 < FE_NAME_MAX; i++)
		if (p[i] != ' ' && p[i] != '\t')
			item[j++] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
	item[j] = '\0';
	*had_prefix = capability && strncmp(item, "cap_", 4) == 0;
	if (*had_prefix)
		memmove(item, item + 4, j - 3);
	*cursor = end ? end + 1 : NULL;
	return true;
}

static void sch_check_name_list(struct sch_ctx *c, const struct fe_ynode *n, bool capability)
{
	const char *what = capability ? "capability" : "protocol";
	const char *s = n->str;
	if (strchr(s, ','))
		fe_diag_fixit(c->d, sch_warn(c, FE_COMMA_LIST, n, "%s list '%s': karmorc expands every element "
					     "(KubeArmor expands only a list in the first rule)", what, s),
			      "write one matchProtocols/matchCapabilities entry per %s", what);
	const char *p = s;
	char name[FE_NAME_MAX];
	bool prefixed;
	while (fe_name_list_next(&p, name, capability, &prefixed)) {
		if (prefixed)
			fe_diag_fixit(c->d, sch_warn(c, FE_CAP_PREFIX, n, "the 'cap_' prefix of 'cap_%s' is ignored", name),
				      "write '%s'", name);
		bool known = capability ? fe_is_capability(name) : fe_is_protocol(name);
		if (!known) {
			const char *sugg = capability ? fe_suggest(name, fe_capabilities, FE_COUNT(fe_capabilities))
						      : fe_suggest(name, fe_protocols, FE_COUNT(fe_protocols));
			struct fe_diag *dg = sch_error(c, FE_BAD_NAME_IN_LIST, n, "unknown %s '%s'", what, name);
			if (sugg)
				fe_diag_fixit(c->d, dg, "did you mean '%s'?", sugg);
		}
	}
}

static void sch_check_string(struct sch_ctx *c, const struct fe_ynode *n, const struct sch_node *s,
			     const char *field)
{
	if (s->enum_vals && s->check != CK_ACTION) {
		bool found = false;
		size_t count = 0;
		for (const char *const *e = s->enum_vals; *e; e++, count++)
			found |= strcmp(*e, n->str) == 0;
		if (!found) {
			struct fe_diag *dg = sch_error(c, FE_BAD_ENUM, n, "'%s' is not a valid value for '%s'", n->str,
						       field);
			const char *sugg = fe_suggest(n->str, s->enum_vals, count);
			if (sugg)
				fe_diag_fixit(c->d, dg, "did you mean '%s'?", sugg);
		}
	}
	/* bytes >= characters: only a long string needs counting */
	if (s->max_len && n->len > (size_t)s->max_len && sch_utf8_len(n->str, n->len) > (size_t)s->max_len)
		sch_error(c, FE_TOO_LONG, n, "'%s' is %zu characters long; the limit is %d", field,
			  sch_utf8_len(n->str, n->len), s->max_len);
	switch (s->check) {
	case CK_ACTION: {
		bool lower;
		int a = fe_parse_action(n->str, &lower);
		if (a < 0) {
			struct fe_diag *dg = sch_error(c, FE_BAD_ENUM, n, "action '%s' is not one of Allow, Audit, Block",
						       n->str);
			const char *sugg = fe_suggest(n->str, sch_actions, 3);
			if (sugg)
				fe_diag_fixit(c->d, dg, "did you mean '%s'?", sugg);
		} else if (lower) {
			char want[8];
			snprintf(want, sizeof(want), "%c%s", n->str[0] - 32, n->str + 1);
			fe_diag_fixit(c->d, sch_crd_only(c, FE_BAD_ENUM, n,
							 c->mode == FE_SCHEMA_DAEMON
								 ? "lower-case action"
								 : "action must be 'Allow', 'Audit' or 'Block' "
								   "(the CRD enum is case-sensitive)"),
				      "write '%s'", want);
		}
		break;
	}
	case CK_DIR:
		if (!fe_regex_match(FE_RE_DIR, n->str, n->len)) {
			if (n->str[0] == '/') {
				fe_diag_fixit(c->d, sch_crd_only(c, FE_DIR_SLASH, n, "dir must end with '/'"),
					      "%s: %s/", field, n->str);
			} else {
				sch_error(c, FE_BAD_PATTERN, n, "dir '%s' must be an absolute directory ending in '/' "
					  "(pattern %s)", n->str, fe_regex_src[FE_RE_DIR]);
			}
		}
		break;
	case CK_PATH:
	case CK_SOURCE_PATH:
		if (!fe_regex_match(FE_RE_PATH, n->str, n->len)) {
			struct fe_diag *dg = sch_error(c, FE_BAD_PATTERN, n, "path '%s' must be absolute and must not "
						       "end in '/' (pattern %s)", n->str, fe_regex_src[FE_RE_PATH]);
			if (n->str[0] == '/' && n->len > 1)
				fe_diag_fixit(c->d, dg, "a directory belongs in matchDirectories as 'dir: %s'", n->str);
		} else if (sch_has_glob(n->str)) {
			fe_diag_fixit(c->d, sch_warn(c, FE_GLOB_IN_PATH, n, "'%s' contains glob characters, which "
						     "%s matches literally (AppArmor would treat them as a glob)",
						     n->str, s->check == CK_PATH ? "matchPaths" : "fromSource"),
				      "use matchPatterns for a glob, or list the paths");
		}
		break;
	case CK_SOURCE_DIR:
		if (n->str[0] != '/')
			sch_error(c, FE_BAD_PATTERN, n, "dir '%s' must be an absolute directory", n->str);
		break;
	case CK_EXECNAME:
		if (!fe_regex_match(FE_RE_EXECNAME, n->str, n->len))
			sch_error(c, FE_BAD_PATTERN, n, "execname '%s' must be a bare file name without '/'", n->str);
		break;
	case CK_SYSCALL_PATH:
		if (!fe_regex_match(FE_RE_SYSCALL_PATH, n->str, n->len))
			sch_error(c, FE_BAD_PATTERN, n, "path '%s' must be an absolute file or a directory ending in "
				  "'/'", n->str);
		break;
	case CK_PROTOCOL:
		if (!fe_regex_match(FE_RE_PROTOCOL, n->str, n->len)) {
			struct fe_diag *dg = sch_error(c, FE_BAD_PATTERN, n, "unknown protocol '%s'", n->str);
			const char *sugg = fe_suggest(n->str, fe_protocols, FE_COUNT(fe_protocols));
			if (sugg)
				fe_diag_fixit(c->d, dg, "did you mean '%s'?", sugg);
		} else {
			sch_check_name_list(c, n, false);
		}
		break;
	case CK_CAPABILITY:
		if (!fe_regex_match(FE_RE_CAPABILITY, n->str, n->len)) {
			struct fe_diag *dg = sch_error(c, FE_BAD_PATTERN, n, "unknown capability '%s'", n->str);
			const char *sugg = fe_suggest(n->str, fe_capabilities, FE_COUNT(fe_capabilities));
			if (sugg)
				fe_diag_fixit(c->d, dg, "did you mean '%s'?", sugg);
		} else {
			sch_check_name_list(c, n, true);
		}
		break;
	case CK_SYSCALL:
	case CK_PATH_SYSCALL:
		if (!fe_is_syscall(n->str)) {
			struct fe_diag *dg = sch_error(c, FE_BAD_ENUM, n, "'%s' is not a syscall the CRD knows", n->str);
			const char *sugg = fe_suggest(n->str, fe_syscalls, FE_COUNT(fe_syscalls));
			if (sugg)
				fe_diag_fixit(c->d, dg, "did you mean '%s'?", sugg);
		} else if (s->check == CK_PATH_SYSCALL && !fe_syscall_takes_path(n->str)) {
			fe_diag_fixit(c->d, sch_warn(c, FE_SYSCALL_NO_PATH, n, "syscall '%s' takes no path, so this "
						     "matchPaths rule never matches it (DESIGN §4.5)", n->str),
				      "list it under matchSyscalls, or remove it");
		}
		break;
	case CK_NAME:
		if (!fe_regex_match(FE_RE_DNS1123_SUBDOMAIN, n->str, n->len))
			fe_diag_fixit(c->d, sch_error(c, FE_BAD_NAME, n, "metadata.name '%s' is not a DNS-1123 subdomain "
						      "(lower-case letters, digits, '-' and '.')", n->str),
				      "for example '%s'", "my-policy-1");
		break;
	case CK_NAMESPACE:
		if (c->kind != IR_KSP)
			fe_diag_fixit(c->d, sch_warn(c, FE_CLUSTER_NAMESPACE, n, "%s is cluster-scoped: metadata.namespace "
						     "'%s' is ignored", ir_kind_name(c->kind), n->str),
				      "delete metadata.namespace%s", c->kind == IR_CSP ? "; select namespaces with "
				      "selector.matchExpressions (key: namespace)" : "");
		if (!fe_regex_match(FE_RE_DNS1123_LABEL, n->str, n->len))
			sch_error(c, FE_BAD_NAMESPACE, n, "metadata.namespace '%s' is not a DNS-1123 label "
				  "(lower-case letters, digits and '-')", n->str);
		break;
	case CK_NONEMPTY:
		if (n->len == 0)
			sch_error(c, FE_EMPTY_VALUE, n, "'%s' must not be empty", field);
		break;
	case CK_GLOB: {
		/* a pattern the matcher could not compile would silently never match: refuse it */
		const char *err = NULL;
		if (n->len == 0) {
			sch_error(c, FE_EMPTY_VALUE, n, "'%s' must not be empty", field);
		} else if (!fe_glob_check(n->str, &err)) {
			fe_diag_fixit(c->d, sch_error(c, FE_BAD_GLOB, n, "pattern '%s' is not a valid glob: %s", n->str,
						      err),
				      "globs use * ** ? [...] and {a,b}; escape a literal character with \\");
		}
		break;
	}
	default:
		break;
	}
}

static void sch_walk(struct sch_ctx *c, const struct fe_ynode *n, const struct sch_node *s, const char *field);

static void sch_unknown_field(struct sch_ctx *c, const struct fe_ynode *key, const struct sch_node *s)
{
	const char *names[32];
	size_t count = 0;
	for (const struct sch_field *f = s->fields; f->name && count < 32; f++)
		names[count++] = f->name;
	const char *where = c->nseg ? sch_path(c) : "the document";
	if (s->check == CK_SELECTOR) {
		bool is_section = false;
		for (const char *const *sec = sch_sections; *sec; sec++)
			is_section |= strcmp(*sec, key->str) == 0;
		if (is_section) {
			fe_diag_fixit(c->d, sch_error(c, FE_UNKNOWN_FIELD, key, "'%s' is indented under '%s'; the API "
						      "server drops it with all its rules", key->str, where),
				      "move '%s' out to the level of 'spec'", key->str);
			return;
		}
		bool policy_word = false;
		for (const char *const *w = sch_policy_words; *w; w++)
			policy_word |= strcmp(*w, key->str) == 0;
		if (policy_word) {
			sch_error(c, FE_UNKNOWN_FIELD, key, "'%s' is a policy field, not a label, and is indented under "
				  "'%s'; the API server drops it", key->str, where);
			return;
		}
		if (fe_suggest(key->str, names, count) == NULL) {
			struct fe_diag *dg;
			if (c->mode == FE_SCHEMA_DAEMON)
				dg = sch_warn(c, FE_SELECTOR_LABELS, key, "label '%s' placed straight under '%s' is "
					      "ignored, so the policy selects every workload in scope", key->str, where);
			else
				dg = sch_error(c, FE_SELECTOR_LABELS, key, "label '%s' placed straight under '%s': the "
					       "API server drops it, leaving an empty selector, so the policy would "
					       "silently select every workload in %s", key->str, where,
					       c->kind == IR_HSP ? "the cluster" : "the namespace");
			fe_diag_fixit(c->d, dg, "put the labels under '%s.matchLabels'", where);
			return;
		}
	}
	const char *sugg = fe_suggest(key->str, names, count);
	struct fe_diag *dg;
	if (c->mode == FE_SCHEMA_DAEMON)
		dg = sch_warn(c, FE_UNKNOWN_FIELD, key, "unknown field '%s' in %s is ignored", key->str, where);
	else
		dg = sch_error(c, FE_UNKNOWN_FIELD, key, "unknown field '%s' in %s (the API server would silently "
			       "drop it)", key->str, where);
	if (sugg)
		fe_diag_fixit(c->d, dg, "did you mean '%s'?", sugg);
}

static void sch_walk_object(struct sch_ctx *c, const struct fe_ynode *n, const struct sch_node *s)
{
	uint32_t present = 0;	/* fields seen with a value, by table index (tables have < 32) */
	for (size_t i = 0; i < n->n; i++) {
		const struct fe_ynode *key = fe_ymap_key(n, i), *val = fe_ymap_val(n, i);
		const struct sch_field *f = s->fields;
		while (f->name && (f->len != key->len || memcmp(f->name, key->str, key->len) != 0))
			f++;
		if (!f->name) {
			sch_unknown_field(c, key, s);
			continue;
		}
		assert(f - s->fields < 32);
		bool null = val->kind == FE_YN_SCALAR && val->type == FE_YS_NULL;
		present = null ? present & ~(1u << (f - s->fields)) : present | 1u << (f - s->fields);
		if (null && f->type->kind != SK_OPAQUE) {
			if (f->flags & SF_REQUIRED)
				continue;	/* reported below as missing */
			fe_diag_fixit(c->d, sch_warn(c, FE_NULL_VALUE, val, "'%s' has a null value; the API server "
						     "drops the field", key->str),
				      "give '%s' a value or delete the line", key->str);
			continue;
		}
		sch_push(c, key->str, 0);
		sch_walk(c, val, f->type, key->str);
		c->nseg--;
	}
	for (const struct sch_field *f = s->fields; f->name; f++) {
		if (!(f->flags & SF_REQUIRED) || (present & 1u << (f - s->fields)))
			continue;
		char what[256];
		snprintf(what, sizeof(what), "%s '%s' is missing%s%s", "required field",
			 f->name, c->nseg ? " in " : "", c->nseg ? sch_path(c) : "");
		if (f->flags & SF_DAEMON_OPTIONAL)
			sch_crd_only(c, FE_REQUIRED, n, what);
		else
			sch_error(c, FE_REQUIRED, n, "%s", what);
	}
	if (s->check == CK_SYS_SOURCE && !(present & 3u))	/* f_sys_source: path, dir first */
		sch_error(c, FE_REQUIRED, n, "fromSource entry needs 'path' or 'dir'");
	if (s->check == CK_PROCESS_PATH) {
		/* the first two fields of f_proc_path are path and execname */
		bool hp = present & 1u, he = present & 2u;
		if (hp == he)
			sch_error(c, FE_EXEC_TARGET, n, hp ? "give either 'path' or 'execname', not both"
							   : "a process matchPaths entry needs 'path' or 'execname'");
	}
}

static void sch_walk(struct sch_ctx *c, const struct fe_ynode *n, const struct sch_node *s, const char *field)
{
	switch (s->kind) {
	case SK_OPAQUE:
		return;
	case SK_OBJECT:
	case SK_STRMAP:
		if (n->kind != FE_YN_MAP) {
			sch_error(c, FE_WRONG_TYPE, n, "'%s' must be a mapping, not %s", field, fe_ynode_kind_name(n));
			return;
		}
		if (s->kind == SK_OBJECT) {
			sch_walk_object(c, n, s);
			return;
		}
		for (size_t i = 0; i < n->n; i++) {
			const struct fe_ynode *v = fe_ymap_val(n, i);
			if (v->kind != FE_YN_SCALAR || v->type != FE_YS_STR) {
				struct fe_diag *dg = sch_error(c, FE_WRONG_TYPE, v, "label value of '%s' must be a string, "
							       "not %s", fe_ymap_key(n, i)->str, fe_ynode_kind_name(v));
				if (v->kind == FE_YN_SCALAR)
					fe_diag_fixit(c->d, dg, "quote it: \"%s\"", v->str);
			}
		}
		return;
	case SK_ARRAY: {
		if (n->kind != FE_YN_SEQ) {
			sch_error(c, FE_WRONG_TYPE, n, "'%s' must be a list, not %s", field, fe_ynode_kind_name(n));
			return;
		}
		if (s->check == CK_NONEMPTY_LIST && n->n == 0)
			sch_error(c, FE_EMPTY_VALUE, n, "'%s' must not be empty", field);
		if (s->max_items && n->n > (size_t)s->max_items)
			sch_error(c, FE_TOO_MANY_ITEMS, n, "'%s' has %zu items; the limit is %d", field, n->n,
				  s->max_items);
		for (size_t i = 0; i < n->n; i++) {
			sch_push(c, NULL, i);
			sch_walk(c, n->items[i], s->items, field);
			c->nseg--;
		}
		return;
	}
	case SK_STRING:
		if (n->kind != FE_YN_SCALAR || n->type != FE_YS_STR) {
			struct fe_diag *dg = sch_error(c, FE_WRONG_TYPE, n, "'%s' must be a string, not %s", field,
						       fe_ynode_kind_name(n));
			if (n->kind == FE_YN_SCALAR)
				fe_diag_fixit(c->d, dg, "quote it: \"%s\"", n->str);
			return;
		}
		sch_check_string(c, n, s, field);
		return;
	case SK_INT: {
		long v;
		if (n->kind != FE_YN_SCALAR || n->type != FE_YS_INT) {
			struct fe_diag *dg = sch_error(c, FE_WRONG_TYPE, n, "'%s' must be an integer, not %s", field,
						       fe_ynode_kind_name(n));
			if (n->kind == FE_YN_SCALAR && !n->plain)
				fe_diag_fixit(c->d, dg, "remove the quotes");
			return;
		}
		if (!fe_yscalar_long(n, &v)) {
			sch_error(c, FE_OUT_OF_RANGE, n, "'%s' is not a usable integer", field);
			return;
		}
		if ((s->has_min && v < s->min) || (s->has_max && v > s->max)) {
			if (s->has_max)
				sch_error(c, FE_OUT_OF_RANGE, n, "'%s' is %ld; it must be between %ld and %ld", field, v,
					  s->min, s->max);
			else
				sch_error(c, FE_OUT_OF_RANGE, n, "'%s' is %ld; it must be at least %ld", field, v, s->min);
		}
		return;
	}
	case SK_BOOL:
		if (n->kind != FE_YN_SCALAR || n->type != FE_YS_BOOL) {
			struct fe_diag *dg = sch_error(c, FE_WRONG_TYPE, n, "'%s' must be true or false, not %s", field,
						       fe_ynode_kind_name(n));
			if (n->kind == FE_YN_SCALAR && !n->plain)
				fe_diag_fixit(c->d, dg, "remove the quotes");
		}
		return;
	}
}

bool fe_schema_validate(struct fe_diags *d, const struct fe_source *src, const struct fe_ynode *root,
			enum ir_kind kind, enum fe_schema_mode mode)
{
	struct sch_ctx c;
	memset(&c, 0, sizeof(c));
	c.d = d;
	c.src = src;
	c.mode = mode;
	c.kind = kind;
	c.ok = true;
	sch_walk(&c, root, &s_roots[kind], "document");
	return c.ok;
}
