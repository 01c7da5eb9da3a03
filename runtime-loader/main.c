/*
 * karmor-loader: attaches map images compiled by `karmorc compile --target=bpf`
 * to the policy-agnostic BPF-LSM object built into this binary, and reads the
 * enforcement events back (DESIGN §5, issue 4).  This file: the command table,
 * help texts and messages.  Help texts, man/karmor-loader.8 and
 * scripts/completion/karmor-loader list the same commands and options.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "loader.h"

const char *kl_cmd = NULL;

/* messages quote names and paths from images, the state and the file system:
 * the whole line goes through kl_vis, so none of them can drive the terminal */
__attribute__((format(printf, 2, 0))) static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	fflush(stdout);
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	fputs("karmor-loader: ", stderr);
	if (kl_cmd)
		fprintf(stderr, "%s: ", kl_cmd);
	if (kind)
		fputs(kind, stderr);
	fputs(msg ? kl_vis(msg) : "(out of memory formatting a message)", stderr);
	fputc('\n', stderr);
	free(msg);
}

void kl_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(NULL, fmt, ap);
	va_end(ap);
}

void kl_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void kl_usage_err(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(NULL, fmt, ap);
	va_end(ap);
	if (kl_cmd)
		fprintf(stderr, "Try 'karmor-loader %s --help'.\n", kl_cmd);
	else
		fprintf(stderr, "Try 'karmor-loader help'.\n");
}

/* libbpf's messages: warnings always (a failed load prints the verifier's
 * reason there), the rest with --verbose */
static int libbpf_verbose;
__attribute__((format(printf, 2, 0))) static int libbpf_print(enum libbpf_print_level level, const char *fmt,
								  va_list ap)
{
	if (level != LIBBPF_WARN && !libbpf_verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

void kl_libbpf_verbose(int on)
{
	libbpf_verbose = on;
}

const char *kl_thousands(uint64_t n, char buf[32])
{
	char tmp[32];
	int len = snprintf(tmp, sizeof(tmp), "%llu", (unsigned long long)n);
	int out = 0;
	for (int i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			buf[out++] = ',';
		buf[out++] = tmp[i];
	}
	buf[out] = '\0';
	return buf;
}

static const char usage_text[] =
	"usage: karmor-loader <command> [options] ...\n"
	"\n"
	"commands:\n"
	"  apply   [--bind TARGET=CGROUP_DIR]... [--host TARGET] [--without-lsm] [--backend NAME]\n"
	"          [--mode enforce|monitor] [--key PUB] DIR|FILE.kmi|BUNDLE...\n"
	"                                              apply map images or a bundle (in place of what is applied)\n"
	"  run     --target TARGET [--] CMD [ARG]...   run CMD in a new cgroup bound to TARGET\n"
	"  run     --target TARGET --bundle FILE|DIR [--key PUB] [--verbose] [--] CMD [ARG]...\n"
	"                                              run CMD confined by TARGET's Landlock ruleset\n"
	"  detach                                      remove every pin and the state (idempotent)\n"
	"  status  [--json]                            targets, cgroups, map entries and counters\n"
	"  events  [--json] [--drain|--follow]         print the enforcement events\n"
	"  verify  FILE [--key PUB] [--signature PATH] check a bundle's structure, hashes and signature\n"
	"  probe   [--json] [--apparmor-features]      what this kernel can enforce with\n"
	"  help    [COMMAND]                           this text, or one command's\n"
	"  version                                     print the version\n"
	"\n"
	"Every command but help and version also takes --pin-dir DIR (default " KARMOR_PIN_DIR ")\n"
	"and --state-dir DIR (default " KARMOR_STATE_DIR ").\n"
	"Exit status: 0 success, 1 failure, 2 usage error; run: CMD's, or 125 if run itself fails.\n"
	"See karmor-loader(8).\n";

struct kl_command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *help;
	int own_help;	/* parses --help itself (run: what follows CMD is CMD's) */
};

static const struct kl_command commands[] = {
	{"apply", kl_cmd_apply,
	 "usage: karmor-loader apply [--bind TARGET=CGROUP_DIR]... [--host TARGET] [--without-lsm]\n"
	 "                           [--backend bpf|apparmor|selinux] [--mode enforce|monitor]\n"
	 "                           [--key PUB [--require-signature]] [--verbose] [--pin-dir DIR]\n"
	 "                           [--state-dir DIR] DIR|FILE.kmi|BUNDLE...\n"
	 "\n"
	 "Loads every map image (a directory: each *.kmi in it, or in DIR/bpf), binds targets to\n"
	 "cgroup v2 directories, attaches the BPF programs and pins them so enforcement outlives the\n"
	 "loader.  A bundle of karmorc bundle is verified whole first; then the best backend it has\n"
	 "for this host is applied (BPF-LSM, then AppArmor).  Replaces what is applied in place, and\n"
	 "is all or nothing: on any failure the policy applied before (or none) goes on enforcing.\n"
	 "\n"
	 "  --backend NAME            this backend of the bundle, not the best the host has\n"
	 "  --mode monitor            every Block reported as Audit and permitted (default enforce)\n"
	 "  --key PUB                 check each bundle's minisign signature (BUNDLE.minisig) first\n"
	 "  --require-signature       refuse a bundle without a good signature (needs --key)\n"
	 "                            (both can be defaults in /etc/karmor/loader.conf)\n"
	 "  --bind TARGET=CGROUP_DIR  processes in CGROUP_DIR (and below) get TARGET's rules; repeatable\n"
	 "  --host TARGET             processes in no bound cgroup get TARGET's rules\n"
	 "  --without-lsm             for kernels without BPF-LSM: only the cgroup/sock_create program,\n"
	 "                            attached to each bound cgroup (network rules without fromSource)\n"
	 "  --verbose                 show libbpf's messages\n"
	 "  --pin-dir DIR             where to pin maps and links (default " KARMOR_PIN_DIR ")\n"
	 "  --state-dir DIR           where to keep the images and the state (default " KARMOR_STATE_DIR ")\n",
	 0},
	{"run", kl_cmd_run,
	 "usage: karmor-loader run --target TARGET [--pin-dir DIR] [--state-dir DIR] [--] CMD [ARG]...\n"
	 "       karmor-loader run --target TARGET --bundle FILE|DIR [--backend landlock] [--key PUB]\n"
	 "                         [--verbose] [--] CMD [ARG]...\n"
	 "\n"
	 "With --bundle (Landlock, no privilege needed): reads TARGET's ruleset from a bundle (its\n"
	 "structure and hashes checked; with --key its signature too) or from karmorc compile's\n"
	 "output directory, builds it on this host's files (what the kernel's Landlock ABI lacks is\n"
	 "dropped and said), sets no_new_privs, restricts itself and executes CMD, which the ruleset\n"
	 "judges too.\n"
	 "\n"
	 "Otherwise (BPF-LSM or AppArmor, applied first):\n"
	 "Makes a cgroup (CGROUP2_ROOT/karmor/run-PID), binds it to TARGET, runs CMD in it and\n"
	 "waits; then removes the cgroup and exits with CMD's status (128+N if a signal N killed it).\n"
	 "Options end at \"--\" or at CMD: what follows is CMD's.  Exit status 125: run itself\n"
	 "failed (then CMD did not run, or its cgroup could not be removed and stays bound);\n"
	 "126: CMD cannot be executed; 127: CMD was not found.\n"
	 "\n"
	 "  --target TARGET           a target of the applied images (with --bundle: of the bundle)\n"
	 "  --bundle FILE|DIR         Landlock: the bundle, or karmorc compile's output directory\n"
	 "  --backend landlock        the backend (--bundle implies it)\n"
	 "  --key PUB                 Landlock: check the bundle's signature FILE.minisig with this key\n"
	 "  --verbose, -v             Landlock: say the ABI and the number of rules\n"
	 "With --bundle, on ABI 7 the denials of CMD are logged (karmor-loader events reads them),\n"
	 "and as root run records CMD's target in STATE_DIR-landlock/PID for events.\n"
	 "  --pin-dir DIR, --state-dir DIR   as for apply\n",
	 1},
	{"detach", kl_cmd_detach,
	 "usage: karmor-loader detach [--pin-dir DIR] [--state-dir DIR]\n"
	 "\n"
	 "Removes every pinned link (which detaches the programs), map and program, and the\n"
	 "state directory.  Nothing attached is not an error.  If a pin cannot be removed, the\n"
	 "state is kept, what remains is listed and the exit status is 1.\n",
	 0},
	{"status", kl_cmd_status,
	 "usage: karmor-loader status [--json] [--pin-dir DIR] [--state-dir DIR]\n"
	 "\n"
	 "Whether images are applied, and per target: slot, bound cgroups, rules, map entries in\n"
	 "use of each map's capacity, and the allowed/audited/blocked counters.\n"
	 "\n"
	 "  --json                    one JSON object instead of text\n",
	 0},
	{"probe", kl_cmd_probe,
	 "usage: karmor-loader probe [--json] [--apparmor-features]\n"
	 "\n"
	 "What this kernel offers a bundle: the active LSMs, BPF-LSM, AppArmor, SELinux and the\n"
	 "Landlock ABI, and the backend apply would pick for a bundle that has them all.\n"
	 "\n"
	 "  --json                    one JSON object instead of text\n"
	 "  --apparmor-features       print the kernel's AppArmor feature set instead, the FILE of\n"
	 "                            karmorc bundle --apparmor-binary FILE for hosts like this one\n",
	 0},
	{"verify", kl_cmd_verify,
	 "usage: karmor-loader verify FILE [--key PUB] [--signature PATH] [--require-signature] [--json]\n"
	 "\n"
	 "Checks a bundle of karmorc bundle (karmor-bundle(5)): its structure, every section's\n"
	 "SHA-256, the manifest against the sections and the hash over every byte; with --key, its\n"
	 "minisign signature.  Exit 0, or 1 with the first problem stated.\n"
	 "\n"
	 "  --key PUB                 a minisign public key file (minisign -G), or the key itself\n"
	 "  --signature PATH          the signature (default FILE.minisig)\n"
	 "  --require-signature       refuse to check without --key\n"
	 "  --json                    one JSON object instead of text\n",
	 0},
	{"events", kl_cmd_events,
	 "usage: karmor-loader events [--json] [--drain|--follow] [--pin-dir DIR] [--state-dir DIR]\n"
	 "       karmor-loader events --selinux|--apparmor|--landlock DIR [--json] [--from FILE]\n"
	 "\n"
	 "Prints the enforcement events of the ring buffer, one line each, attributed to the\n"
	 "policy, severity, tags and message of the deciding rule; with AppArmor applied, its\n"
	 "audit records, live (attributed through the rule tables the state keeps).\n"
	 "\n"
	 "  --json                    one JSON object per line, with KubeArmor's alert field names\n"
	 "  --drain                   print the events there are now and exit\n"
	 "  --follow                  keep printing until SIGINT or SIGTERM (the default)\n"
	 "  --selinux DIR             SELinux's AVC records instead, attributed through the rule\n"
	 "                            tables (*.rules) karmorc compile --target=selinux wrote to DIR\n"
	 "  --apparmor DIR            AppArmor's records instead, through the rule tables in DIR\n"
	 "                            (apparmor-rules/ of karmorc compile --target=apparmor)\n"
	 "  --landlock DIR            Landlock's denials (ABI 7, auditing on), through the rule tables\n"
	 "                            in DIR (landlock-rules/ of karmorc compile --target=landlock);\n"
	 "                            the target is the one run recorded in STATE_DIR-landlock/\n"
	 "  --from FILE               with --selinux, --apparmor or --landlock: read the records from\n"
	 "                            FILE\n"
	 "                            (audit.log, dmesg; - for stdin) instead of the audit\n"
	 "                            multicast group\n",
	 0},
};

static const struct kl_command *find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static int cmd_help(int argc, char **argv)
{
	if (argc > 2) {
		kl_usage_err("too many arguments");
		return KL_EXIT_USAGE;
	}
	if (argc == 2) {
		const struct kl_command *c = find_command(argv[1]);
		if (!c) {
			if (!strcmp(argv[1], "help") || !strcmp(argv[1], "version")) {
				fputs(usage_text, stdout);
				return KL_EXIT_OK;
			}
			kl_usage_err("no command '%s'", argv[1]);
			return KL_EXIT_USAGE;
		}
		fputs(c->help, stdout);
		return KL_EXIT_OK;
	}
	fputs(usage_text, stdout);
	return KL_EXIT_OK;
}

int main(int argc, char **argv)
{
	libbpf_set_print(libbpf_print);
	if (argc < 2) {
		fputs(usage_text, stderr);
		return KL_EXIT_USAGE;
	}
	const char *name = argv[1];
	if (!strcmp(name, "help") || !strcmp(name, "--help") || !strcmp(name, "-h")) {
		kl_cmd = "help";
		return cmd_help(argc - 1, argv + 1);
	}
	if (!strcmp(name, "version") || !strcmp(name, "--version")) {
		if (argc > 2) {
			kl_cmd = "version";
			kl_usage_err("too many arguments");
			return KL_EXIT_USAGE;
		}
		printf("karmor-loader %s\n", KL_VERSION);
		return KL_EXIT_OK;
	}
	const struct kl_command *c = find_command(name);
	if (!c) {
		kl_usage_err("no command '%s'", name);
		return KL_EXIT_USAGE;
	}
	kl_cmd = c->name;
	/* --help anywhere before "--" */
	for (int i = 2; !c->own_help && i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			fputs(c->help, stdout);
			return KL_EXIT_OK;
		}
	}
	return c->fn(argc - 1, argv + 1);
}

void kl_print_help(const char *name)
{
	const struct kl_command *c = find_command(name);
	fputs(c ? c->help : usage_text, stdout);
}

int kl_opt(int argc, char **argv, int *i, const char *name, const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);
	if (strncmp(a, name, n))
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	if (a[n])
		return 0;
	if (*i + 1 >= argc) {
		kl_usage_err("%s needs a value", name);
		return -1;
	}
	*i += 1;
	*val = argv[*i];
	return 1;
}

int kl_opt_dirs(int argc, char **argv, int *i, struct kl_dirs *d)
{
	const char *v;
	int r = kl_opt(argc, argv, i, "--pin-dir", &v);
	if (r > 0) {
		if (!*v) {
			kl_usage_err("--pin-dir needs a directory");
			return -1;
		}
		d->pin_dir = v;
		return 1;
	}
	if (r < 0)
		return -1;
	r = kl_opt(argc, argv, i, "--state-dir", &v);
	if (r > 0) {
		if (!*v) {
			kl_usage_err("--state-dir needs a directory");
			return -1;
		}
		d->state_dir = v;
		return 1;
	}
	return r;
}

int kl_cmd_probe(int argc, char **argv)
{
	int json = 0, features = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--apparmor-features")) {
			features = 1;
		} else {
			kl_usage_err("unexpected argument '%s'", argv[i]);
			return KL_EXIT_USAGE;
		}
	}
	if (features) {
		if (json) {
			kl_usage_err("--apparmor-features prints the feature set itself, not JSON");
			return KL_EXIT_USAGE;
		}
		if (kl_aa_write_features(stdout)) {
			kl_err("cannot read the kernel's AppArmor features: %s", strerror(errno));
			return KL_EXIT_FAIL;
		}
		return KL_EXIT_OK;
	}
	struct kl_host h;
	kl_host_probe(&h);
	int all[KL_BACKEND_COUNT] = {1, 1, 1};
	char why[1024];
	enum kl_backend b = kl_backend_choose(&h, all, KL_BACKEND_NONE, 0, why, sizeof(why));
	if (json) {
		struct kl_json j;
		kl_json_init(&j);
		kl_json_open(&j, NULL, '{');
		if (h.have_lsm_list)
			kl_json_str(&j, "lsm", h.lsm);
		kl_json_bool(&j, "bpf_lsm", h.bpf_lsm);
		kl_json_bool(&j, "apparmor", h.apparmor);
		kl_json_bool(&j, "selinux", h.selinux);
		kl_json_u64(&j, "landlock_abi", (uint64_t)h.landlock_abi);
		kl_json_str(&j, "backend", kl_backend_name(b));
		kl_json_str(&j, "why", why);
		kl_json_close(&j, '}');
		int r = kl_json_print(&j, stdout);
		kl_json_free(&j);
		return r ? KL_EXIT_FAIL : KL_EXIT_OK;
	}
	printf("lsm: %s\n", h.have_lsm_list ? h.lsm : "(unknown: securityfs is not mounted)");
	printf("bpf-lsm: %s\napparmor: %s\nselinux: %s\n", h.bpf_lsm ? "active" : "no",
	       h.apparmor ? "enabled" : "no", h.selinux ? "active" : "no");
	if (h.landlock_abi)
		printf("landlock: ABI %d\n", h.landlock_abi);
	else
		printf("landlock: no\n");
	printf("backend: %s (%s)\n", kl_backend_name(b), why);
	return fflush(stdout) ? KL_EXIT_FAIL : KL_EXIT_OK;
}
