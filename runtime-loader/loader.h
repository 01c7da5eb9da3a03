/*
 * karmor-loader: what its files share (module prefix kl_).
 *   main.c    command line, dispatch, help, messages
 *   apply.c   kernel checks, images -> maps, attach, pin (all or nothing)
 *   state.c   the state directory (/run/karmor) and the pin directory
 *   status.c  status and detach
 *   events.c  the ring buffer -> text or KubeArmor-style JSON
 *   run.c     run CMD in a fresh cgroup bound to a target
 *   json.c    a small JSON writer (escapes anything a path can hold)
 *   bundle.c  a bundle's structure, hashes and minisign signature, in memory (bundle.h)
 *   verify.c  verify: those checks on files
 *   audit.c   audit records -> alerts through karmorc's rule tables: avc.c (SELinux),
 *             aa_audit.c (AppArmor)
 */
#ifndef KL_LOADER_H
#define KL_LOADER_H
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../bpf/karmor.h"
#include "image.h"

#define KL_VERSION "0.1.0"

/* exit statuses: 0 success, 1 a runtime failure, 2 a usage error; `run` exits
 * with CMD's status, so its own failures (usage errors included) are 125, as
 * env(1) and timeout(1) do */
enum { KL_EXIT_OK = 0, KL_EXIT_FAIL = 1, KL_EXIT_USAGE = 2, KL_EXIT_RUN_FAIL = 125 };

/* options every subcommand takes */
struct kl_dirs {
	const char *pin_dir;	/* NULL: the state's, else KARMOR_PIN_DIR */
	const char *state_dir;	/* KARMOR_STATE_DIR unless given */
};

/* ---- main.c: messages.  kl_err prints "karmor-loader: CMD: ..." */
extern const char *kl_cmd;
__attribute__((format(printf, 1, 2))) void kl_err(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void kl_warn(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void kl_usage_err(const char *fmt, ...);
void kl_libbpf_verbose(int on);
/* "--NAME VALUE" or "--NAME=VALUE" at argv[*i]: 1 (and *i on the value), 0 not
 * this option, -1 the value is missing (reported) */
int kl_opt(int argc, char **argv, int *i, const char *name, const char **val);
/* --pin-dir and --state-dir: 1 consumed, 0 not one of them, -1 error */
int kl_opt_dirs(int argc, char **argv, int *i, struct kl_dirs *d);
/* 1,234,567 */
const char *kl_thousands(uint64_t n, char buf[32]);
/* prints the help text of command NAME to stdout (for commands that parse --help themselves) */
void kl_print_help(const char *name);

/* ---- state.c */
#define KL_STATE_FILE "state"
#define KL_STATE_MAGIC "karmor-loader-state 1"
#define KL_RUN_PREFIX "run-"	/* state_dir/run-PID: a cgroup of `run` */
#define KL_LINK_PREFIX "link-"	/* pinned links; removed first */
#define KL_PROG_PREFIX "prog-"	/* pinned programs (karmor_sock_create in --without-lsm mode) */
#define KL_SOCK_PROG "karmor_sock_create"
#define KL_SYS_PROG_PREFIX "karmor_sys_"	/* the syscall rules' raw tracepoints (karmor_sys_enter, _exit) */

struct kl_starget {
	unsigned slot;
	int host;
	char *name;
	char *file;	/* image copy, relative to the state directory */
	struct kl_image img;	/* filled by kl_state_load_images */
	int img_loaded;
};
struct kl_sbind {
	unsigned slot;
	uint64_t cgid;
	char *path;
	int run;	/* made by `run` (state_dir/run-PID), not by apply */
};
struct kl_state {
	int without_lsm;
	int monitor;	/* apply --mode=monitor: Blocks reported as Audit, permitted */
	char *pin_dir;
	uint32_t generation;
	unsigned ntargets, nbinds;
	struct kl_starget *targets;	/* sorted by slot */
	struct kl_sbind *binds;
};

/* 1 read, 0 there is no state file, -1 error (reported) */
int kl_state_read(const char *state_dir, struct kl_state *st);
void kl_state_free(struct kl_state *st);
/* writes STATE_DIR/state from st (targets' file names included) */
int kl_state_write_file(const char *path, const struct kl_state *st);
int kl_state_load_images(const char *state_dir, struct kl_state *st);
const struct kl_starget *kl_state_target(const struct kl_state *st, unsigned slot);
/* the pin directory to use: --pin-dir, else the state's, else the default */
const char *kl_pin_dir(const struct kl_dirs *d, const struct kl_state *st, int have_state);
/* PIN_DIR/NAME */
int kl_pin_path(char *buf, size_t len, const char *pin_dir, const char *name);
/* opens a pinned object; -1 with errno on failure */
int kl_pin_open(const char *pin_dir, const char *name);
/* an exclusive lock on PIN_DIR's parent directory (serialises apply, run and detach) */
int kl_lock(const char *pin_dir);
/* Holds the termination signals (INT, TERM, HUP, QUIT) until *old is restored:
 * a signal must not leave half an apply, run or detach behind. */
void kl_hold_signals(sigset_t *old);
void kl_unlock(int fd);
/* removes every karmor pin in pin_dir (links first; no map while a link
 * stays) and the directory; returns how many pins were removed, -1 on failure
 * (reported) */
int kl_unpin_all(const char *pin_dir);
/* the karmor pins in pin_dir: their number (0 if the directory does not exist,
 * -1 if it cannot be read) and, in buf, their names joined by ", " (shortened) */
int kl_pins_left(const char *pin_dir, char *buf, size_t len);
/* the pin-dir line of a state file kl_state_read refused (damaged), if it has
 * exactly one usable such line: malloc'd, else NULL */
char *kl_state_salvage_pin_dir(const char *state_dir);
/* data into path, made 0600 (flag: O_EXCL for a new file, O_TRUNC to replace one); -1
 * with errno on failure */
int kl_write_file(const char *path, const void *data, size_t len, int flag);
/* removes the state directory's files and the directory; -1 on failure */
int kl_remove_state_dir(const char *state_dir);
/* the mount point of cgroup v2 (cached); NULL if there is none */
const char *kl_cgroup2_root(void);

struct kl_json;
/* ---- identity.c: who a target is (its image's identity section, bpf/karmor.h) */
/* One line of text: "Deployment prod/web, pod web-*, container nginx, image nginx:1.25,
 * labels app=web,tier=front" ("init container" for an initContainer), "node N, labels
 * ..." for a node, or, without an identity, the image's description of the target
 * (the selector).  Every string shown through kl_vis.  malloc'd; NULL when out of memory. */
char *kl_target_text(const struct kl_image *img);
/* The labels as KubeArmor's alerts write them: "k=v,k=v" (sorted), raw; malloc'd, NULL
 * when out of memory. */
char *kl_target_labels(const struct kl_image *img);
/* "describe" and, when there is one, "identity" {kind, namespace, workload, pod,
 * container, init, image, labels {k: v}} into the open JSON object */
void kl_target_json(struct kl_json *j, const struct kl_image *img);

/* ---- config.c: the defaults of /etc/karmor/loader.conf */
#ifndef KARMOR_LOADER_CONF
#define KARMOR_LOADER_CONF "/etc/karmor/loader.conf"
#endif
struct kl_config {
	const char *path;	/* the file read */
	int require_signature;	/* require-signature yes */
	char *key;		/* key PATH */
};
/* 0 (a missing file gives the defaults), -1 (reported, with file:line) */
int kl_config_read(struct kl_config *c);
void kl_config_free(struct kl_config *c);
/* each line of path, its newline taken off (complete: it had one), to fn, which returns 0 to
 * go on or -1 (reported) to stop; 1 when every line was read, 0 when there is no such file,
 * -1 (reported: a line longer than 4095 bytes, a read error, fn's -1) */
int kl_read_lines(const char *path, int (*fn)(void *ctx, char *line, int lineno, int complete), void *ctx);

/* ---- generation.c: replacing an applied policy (bpf/karmor.h: generations) */
#define KL_NEXT_SUFFIX "-next"	/* PIN_DIR-next, STATE_DIR-next (bpffs refuses dots in names): the generation being applied */
#define KL_PREV_SUFFIX "-prev"	/* ... the one it replaced, until removed */
/* DIR + SUFFIX into buf */
void kl_side_path(char *buf, size_t len, const char *dir, const char *suffix);
/* the generation karmor_active (pinned in pin_dir) names; -1 when there is none */
int kl_active_read(const char *pin_dir, uint32_t *gen);
/* finishes or undoes an apply that was killed half-way (the caller holds kl_lock);
 * 0 (nothing to do, or done; said on stderr), -1 (reported) */
int kl_recover(const char *pin_dir, const char *state_dir);
/* the same for the directories of a command (--pin-dir, else the one the state records),
 * under the lock, when an interrupted apply left anything */
int kl_recover_dirs(const struct kl_dirs *d);
/* detach: removes PIN_DIR-next/-prev and STATE_DIR-next/-prev whatever they hold; -1 (reported) */
int kl_remove_sides(const char *pin_dir, const char *state_dir);
#ifdef KL_FAULTS
/* the fault-injection build: KARMOR_LOADER_KILL_AT=N kills the loader at its N-th step */
void kl_checkpoint(const char *what);
unsigned kl_checkpoints(void);
#define KL_CHECKPOINT(what) kl_checkpoint(what)
#else
#define KL_CHECKPOINT(what) ((void)0)
#endif

/* ---- host.c: what the kernel offers, and which of a bundle's backends apply uses */
enum kl_backend { KL_BACKEND_NONE = -1, KL_BACKEND_BPF = 0, KL_BACKEND_APPARMOR, KL_BACKEND_SELINUX };
#define KL_BACKEND_COUNT 3
struct kl_host {
	char lsm[256];		/* /sys/kernel/security/lsm */
	int have_lsm_list;
	int bpf_lsm, apparmor, selinux;
	int landlock_abi;	/* 0: none */
};
void kl_host_probe(struct kl_host *h);
const char *kl_backend_name(enum kl_backend b);
enum kl_backend kl_backend_parse(const char *name);	/* KL_BACKEND_NONE: not a name */
/* want (KL_BACKEND_NONE: the best the host has, BPF-LSM, then AppArmor, then SELinux) among
 * those in_bundle; why says why (or why none, KL_BACKEND_NONE) */
enum kl_backend kl_backend_choose(const struct kl_host *h, const int in_bundle[KL_BACKEND_COUNT],
				  enum kl_backend want, int without_lsm, char *why, size_t len);

/* ---- apparmor.c: a bundle's AppArmor profiles, loaded through libapparmor */
#define KL_AA_STATE_FILE "apparmor"	/* STATE_DIR/apparmor: what apply loaded */
#define KL_AA_BUILD_SUFFIX ".aa"	/* STATE_DIR/TARGET.aa: the build loaded for TARGET */
#define KL_AA_RULES_DIR "apparmor-rules"	/* a bundle's apparmor-rules/TARGET.rules ... */
#define KL_AA_RULES_SUFFIX ".rules"	/* ... kept as STATE_DIR/TARGET.rules for events */
struct kl_aa_set;
struct kl_aa_set *kl_aa_set_new(void);
void kl_aa_set_free(struct kl_aa_set *s);
/* one section of a bundle: kept when it is an AppArmor one; 0, or -1 out of memory */
int kl_aa_set_add(struct kl_aa_set *s, const char *name, size_t nlen, const unsigned char *data, size_t size);
unsigned kl_aa_set_count(const struct kl_aa_set *s);
/* loads every profile of s (all or nothing) and writes the state; an exit status */
int kl_aa_apply(struct kl_aa_set *s, const char *state_dir, int monitor, const char *label);
/* 1 when state_dir holds an AppArmor state */
int kl_aa_applied(const char *state_dir);
/* the applied state's mode: 1 monitor, 0 enforce, -1 none or damaged (reported) */
int kl_aa_monitor(const char *state_dir);
/* undoes or finishes an AppArmor apply that was killed (see apparmor.c, the journal); 0
 * when there was none or it is done, -1 reported */
int kl_aa_recover(const char *state_dir);
int kl_aa_detach(const char *state_dir);
int kl_aa_status(const char *state_dir, int json);
/* execs argv confined by TARGET's profile (change_onexec); returns only on failure: 125, 126 or 127 */
int kl_aa_run(const char *state_dir, const char *target, char **argv);
/* the kernel's AppArmor feature set, as apparmor_parser -M (karmorc --apparmor-binary) reads it, to f;
 * -1 on failure */
int kl_aa_write_features(FILE *f);

/* ---- selinux.c: a bundle's SELinux modules through the host's policy store (libsemanage),
 * the policy loaded, the files relabelled (BACKENDS); the same shape as AppArmor's */
#define KL_SE_STATE_FILE "selinux"	/* STATE_DIR/selinux: the modules apply installed */
struct kl_se_set;
struct kl_se_set *kl_se_set_new(void);
void kl_se_set_free(struct kl_se_set *s);
/* a bundle section: selinux/TARGET.cil or .rules are taken, others left; 0, -1 out of memory */
int kl_se_set_add(struct kl_se_set *s, const char *name, size_t nlen, const unsigned char *data, size_t size);
unsigned kl_se_set_count(const struct kl_se_set *s);
/* can modules be installed here (SELinux active, a managed policy store)? else why */
int kl_se_usable(char *why, size_t len);
int kl_se_apply(struct kl_se_set *s, const char *state_dir, int monitor, const char *label);
int kl_se_applied(const char *state_dir);
int kl_se_recover(const char *state_dir);
int kl_se_detach(const char *state_dir);
int kl_se_status(const char *state_dir, int json);

/* ---- subcommands; argv[0] is the subcommand's name */
int kl_cmd_apply(int argc, char **argv);
int kl_cmd_detach(int argc, char **argv);
int kl_cmd_status(int argc, char **argv);
int kl_cmd_events(int argc, char **argv);
int kl_cmd_run(int argc, char **argv);
/* landlock.c: the kernel's Landlock ABI, or -errno; run CMD confined by target's Landlock
 * ruleset from a bundle FILE or a compile output DIR (verified against key when given) */
int kl_landlock_abi(void);
int kl_ll_run(const char *from, const char *key, const char *target, const char *state_dir, int verbose,
	      char **cmd);
int kl_cmd_verify(int argc, char **argv);	/* verify.c */
int kl_cmd_probe(int argc, char **argv);	/* main.c */
/* verify.c: a regular file of at most max bytes, whole; NULL with errno set */
unsigned char *kl_slurp(const char *path, size_t *len, size_t max);
/* verify.c: the minisign signature in sigpath of the bundle b, against key (a key file or
 * the base64 key); 0, or -1 with "PATH: why" in err */
int kl_signature_verify_files(const char *key, const char *sigpath, const unsigned char *b, size_t len,
			      char *trusted, size_t tlen, char *err, size_t errlen);
/* detach with dirs already parsed */
int kl_detach(const struct kl_dirs *d);

/* ---- alert.c: one event as a line (karmor-loader(8), EVENTS) */
struct kl_alert_ctx {
	int json;			/* KubeArmor's alert JSON, else one line of text */
	const char *host;		/* HostName */
	int64_t boot_to_real_ns;	/* CLOCK_REALTIME - CLOCK_BOOTTIME */
	/* the executable of host pid ppid into buf (ParentProcessName), 0 on success; NULL
	 * or failure: the parent's comm from the event */
	int (*parent_exe)(uint32_t ppid, char *buf, size_t len);
};
/* Prints event e of target t (NULL: unknown) to out, using j as the buffer; -1 when the
 * output cannot be written. */
int kl_alert_print(FILE *out, struct kl_json *j, const struct kl_alert_ctx *c, const struct kl_starget *t,
		   const struct karmor_event *e);
/* "Tags" (comma-separated, as KubeArmor prints them) and "ATags" (the list), when any */
void kl_alert_tags(struct kl_json *j, const char *tags);

/* ---- audit.c: audit records -> alerts, through the rule tables karmorc writes beside
 * SELinux modules (selinux/T.rules: 11 columns) and AppArmor profiles
 * (apparmor-rules/T.rules: 12, and @target lines); see backends/selinux.c, apparmor.c */
#define KL_AUDIT_FIELDS 12
struct kl_audit_target {	/* an @target line; "" for what it does not have */
	const char *name;
	int host;
	const char *ns, *kind, *workload, *pod, *container, *image, *labels;
};
struct kl_audit_row {
	const char *key, *action, *policy, *severity, *tags, *message, *location, *cls, *rule, *target, *ops;
	const char *match;	/* "-": anything */
	void *code;		/* a file line's match, compiled (pcre2_code) */
	size_t who;		/* 1 + its @target line's index, 0 none */
};
struct kl_audit_table {
	struct kl_audit_row *rows;
	size_t n, cap;
	struct kl_audit_target *targets;
	size_t ntargets, tcap;
	char **kept;		/* the lines, which every field points into */
	size_t nkept, kcap;
};
/* every DIR/NAME.rules of `fields` columns, in name order; 0, or -1 reported */
int kl_audit_tables_read(const char *dir, struct kl_audit_table *t, int fields, const char *writer);
void kl_audit_tables_free(struct kl_audit_table *t);
/* does row r's match take s (a path, for file lines)? */
int kl_audit_row_matches(const struct kl_audit_row *r, const char *s);
/* the value of ` key=` in rec (quoted: without its quotes), or NULL; *n its length */
const char *kl_audit_field(const char *rec, const char *key, size_t *n);
/* a string field (name, comm, profile: what the kernel may write in hex) into buf,
 * decoded; 0, or -1 when absent */
int kl_audit_string(const char *rec, const char *key, char *buf, size_t len);
/* a field as written (a number) into buf; 0, or -1 when absent */
int kl_audit_raw(const char *rec, const char *key, char *buf, size_t len);
long long kl_audit_time(const char *rec);	/* audit(SECONDS...), else now */
/* each record from FILE ("-": stdin), or live from the audit multicast group until
 * SIGINT or SIGTERM (from NULL), to fn; 0, or -1 reported.  Live, only AVC records
 * unless all_types (then each as "type=N msg=...", as auditd writes it), and tick (if
 * any) is asked every half second without records: a positive answer ends the reading. */
int kl_audit_read(const char *from, int all_types, int (*fn)(void *ctx, const char *rec), int (*tick)(void *ctx),
		  void *ctx);
/* one alert as KubeArmor's JSON (or a line of text) on stdout */
struct kl_audit_alert {
	long long secs;
	const char *host;
	char pid[24];
	const char *comm, *parent, *process;
	const struct kl_audit_row *row;
	const struct kl_audit_target *who;	/* NULL: a host target */
	const char *operation, *resource, *data, *enforcer, *action, *result, *kop, *karg, *ktype, *flags;
};
int kl_audit_print(struct kl_json *j, int json, const struct kl_audit_alert *a);

/* ---- avc.c: events --selinux DIR: AVC records (from FILE, "-", or live when NULL)
 * attributed through DIR's rule tables; an exit status */
int kl_selinux_events(const char *dir, const char *from, int json);
/* ---- aa_audit.c: events --apparmor DIR, and events while AppArmor is applied (DIR the
 * state directory): AppArmor's records the same way; monitor: the profiles are the
 * complain builds (--mode=monitor); follow: DIR is the state directory, whose tables a
 * re-apply replaces (they are read again when its state file changes) */
int kl_apparmor_events(const char *dir, const char *from, int json, int monitor, int follow);
/* the first line of key that names a file record's alert (want "Block", "Audit", or NULL for
 * any) for op r, w or x on path; NULL: none of ours (the lookup of events --apparmor) */
const struct kl_audit_row *kl_audit_file_row(const struct kl_audit_table *t, const char *key, const char *want,
					     char op, int owner, const char *path);
/* ---- ll_audit.c: events --landlock DIR: Landlock's audit records (ABI 7) attributed
 * through DIR's landlock-rules/ tables and the targets karmor-loader run recorded */
int kl_landlock_events(const char *dir, const char *state_dir, const char *from, int json);
/* landlock.c: where run records which target a confined process has (events attribute
 * its denials): STATE_DIR-landlock/PID holds "STARTTIME<TAB>TARGET" (beside the state
 * directory, which detach removes whole) */
#define KL_LL_RUNS "landlock"
int kl_ll_run_target(const char *state_dir, long pid, char *target, size_t len);
/* kl_apparmor_events with follow: AppArmor is no longer applied, BPF is */
#define KL_EVENTS_SWITCH 10
/* ---- events.c: SIGINT and SIGTERM end an events reader (whichever it reads) */
extern volatile sig_atomic_t kl_events_stop;
void kl_events_catch_signals(void);

/* ---- names (alert.c) */
const char *kl_proto_name(unsigned proto);	/* "tcp", ... or NULL */
const char *kl_cap_name(unsigned cap);		/* "net_raw", ... or NULL */
const char *kl_op_name(unsigned op);		/* "exec", "open", ... or NULL */
const char *kl_syscall_name(unsigned nr);	/* "unlink", ... (x86-64 numbers) or NULL */

/* ---- json.c: a streaming writer; key is NULL for array elements.  Nesting
 * deeper than KL_JSON_DEPTH (or an unbalanced close) is a caller's bug: the
 * object is marked failed (kl_json_print refuses it), depth never passes
 * KL_JSON_DEPTH, and the levels past it are only counted (excess). */
#define KL_JSON_DEPTH 16
struct kl_json {
	char *buf;
	size_t len, cap;
	int oom;	/* out of memory, or misuse: the output is refused */
	int depth;	/* 0..KL_JSON_DEPTH */
	unsigned excess;	/* opened past KL_JSON_DEPTH, not yet closed */
	unsigned char first[KL_JSON_DEPTH];
};
void kl_json_init(struct kl_json *j);
void kl_json_reset(struct kl_json *j);	/* empty again, buffer kept */
void kl_json_free(struct kl_json *j);
void kl_json_open(struct kl_json *j, const char *key, char brace);	/* '{' or '[' */
void kl_json_close(struct kl_json *j, char brace);			/* '}' or ']' */
void kl_json_str(struct kl_json *j, const char *key, const char *s);
/* s unless NULL or empty (Go's omitempty, as KubeArmor's encoder writes its alerts) */
void kl_json_str_nonempty(struct kl_json *j, const char *key, const char *s);
/* at most n bytes of s, up to a NUL: for fixed-size fields */
void kl_json_strn(struct kl_json *j, const char *key, const char *s, size_t n);
void kl_json_u64(struct kl_json *j, const char *key, uint64_t v);
void kl_json_i64(struct kl_json *j, const char *key, int64_t v);
void kl_json_bool(struct kl_json *j, const char *key, int v);
/* writes the buffer and a newline to f; -1 on a write error or out of memory */
int kl_json_print(struct kl_json *j, FILE *f);

/* ---- json.c: text output.  Strings from images, the state or the file system
 * shown as text: every byte a terminal could act on (C0 controls, DEL, C1
 * controls U+0080..U+009F, bytes that are not valid UTF-8) and the backslash
 * become \xHH.  Returns one of a few rotating buffers: valid until
 * KL_VIS_SLOTS further calls. */
#define KL_VIS_SLOTS 8
const char *kl_vis(const char *s);
const char *kl_visn(const char *s, size_t n);	/* at most n bytes, up to a NUL */

#endif
