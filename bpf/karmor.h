/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * karmor.h -- the one header the BPF-LSM programs (bpf/karmor.bpf.c), the map
 * image writer (backends/bpf.c), the loader (runtime-loader/) and the unit
 * tests share.  It fixes:
 *   - the maps' limits, and how the loader sizes them from the images (the
 *     object is compiled once; the compiler checks a policy against the same
 *     limits and a memory budget, so a map too large is a compile error, never
 *     a load-time failure),
 *   - map keys and values,
 *   - the event record of the ring buffer,
 *   - the on-disk map image (one file per target),
 *   - the matching algorithm: the path hash, what each lookup contributes and
 *     how contributions combine into a verdict (DESIGN §4).
 *
 * Verdict in the kernel, for one operation of a task bound to target T:
 *   1. every key that can match the operation is looked up: the path's
 *      directory prefixes ("/", "/etc/", ...), the full path and the last
 *      component (exec names); each once for "any source" and once per
 *      fromSource slot the task's executable matches.  So a path costs
 *      O(depth) lookups, never O(rules).  A dir rule "D/" also matches the
 *      path "D" itself, whatever the object's type: the compiler puts its
 *      effects under the ROLE_EXACT key "D" as well, so the kernel never
 *      looks up "D/" for the object (nor needs to know it is a directory).
 *   2. each hit contributes one karmor_effect (the smallest Block, Audit and
 *      Allow rule ids among the rules of that key, already resolved for
 *      readOnly/ownerOnly by the compiler for each of the four variants
 *      read/write x owner/other);
 *   3. karmor_decide() turns the accumulated effects, the target's allow-list
 *      flag and the class posture into Allow, Audit or Block.
 * Rule ids are 1-based indices into the target's rule table, which follows
 * the program order (policy name, document order): the smallest id is the
 * rule DESIGN §4.3 names.
 *
 * Keys hold 64-bit hashes of strings; the image holds the strings and the
 * loader hashes them with a key (seed) it draws at load time, so the hash
 * values are not known in advance to anyone who could craft colliding paths.
 *
 * Everything below is plain C that clang -target bpf and the host compilers
 * both accept: fixed-width types, no pointers in map data, explicit padding.
 */
#ifndef KARMOR_H
#define KARMOR_H

#ifndef __bpf__
#include <linux/types.h>
#endif

/* ------------------------------------------------------------ capacities */
/* The maps whose sizes depend on the policy (targets, counters, paths, network,
 * capabilities, sources) are sized by the loader from the images before load
 * (karmor_map_sizes below); the object only declares them.  What bounds them is
 * the kernel's limit on a map and a memory budget the compiler checks. */
#define KARMOR_MAX_TARGETS	65536	/* targets loaded at once: karmor's own bound, far above a node's
					   containers (the kubelet runs 110 pods by default), so that
					   slot * 3 (the counters) and the loader's per-target tables stay small */
#define KARMOR_MAX_CGROUPS	4096	/* cgroup -> target bindings: made at load time and by `run`, not
					   by the images, so a fixed size */
#define KARMOR_MAP_MAX_ENTRIES	(1u << 27)	/* entries of one hash map: Linux refuses more buckets
						   (roundup_pow_of_two(max_entries)) than U32_MAX / 16 bytes
						   (kernel/bpf/hashtab.c, htab_map_alloc: -E2BIG) */
#define KARMOR_MAP_BUDGET_DEFAULT (256ull << 20)	/* bytes of kernel memory the maps may take (karmorc
						   compile --bpf-map-budget): 2% of a 16 GiB node, about
						   1.5 million path entries; the 10,000-policy bench corpus
						   on a 110-pod node takes about a fifth of it */
#define KARMOR_BUDGET_CPUS	128	/* CPUs the compiler counts per-CPU maps for (it cannot know the
					   node's); status shows the node's real figure */
#define KARMOR_MAX_SOURCES	255	/* fromSource slots per target (slot 0 = any source) */
#define KARMOR_MAX_TASK_SOURCES	8	/* slots one executable may match at once */
#define KARMOR_MAX_RULES	1000000	/* rule table of one target */
#define KARMOR_PATH_MAX		4096	/* longest path the programs resolve */
#define KARMOR_EXE_MAX		512	/* longest executable path kept per task */
#define KARMOR_MAX_DEPTH	64	/* directory prefixes of one path */
#define KARMOR_CGROUP_LEVELS	1024	/* cgroup depth searched for a bound ancestor; deeper tasks are refused */
#define KARMOR_EVENT_PATH	256	/* bytes of a path in an event (truncated) */
#define KARMOR_RINGBUF_BYTES	(4u << 20)

/* --------------------------------------------------------------- classes */
/* posture classes (DESIGN §4.4), indices of karmor_target.allow_list/posture */
enum karmor_pclass { KARMOR_PC_FILE = 0, KARMOR_PC_NETWORK = 1, KARMOR_PC_CAPABILITIES = 2, KARMOR_PC_COUNT = 3 };
enum karmor_posture { KARMOR_POSTURE_AUDIT = 0, KARMOR_POSTURE_BLOCK = 1 };

/* rule classes in path keys: exec is matched by process rules, read/write by file rules */
enum karmor_cls { KARMOR_CLS_PROCESS = 0, KARMOR_CLS_FILE = 1 };

/* what a path key's string means */
enum karmor_role {
	KARMOR_ROLE_EXACT = 0,	 /* a full path ("/etc/passwd"); also "/etc" for the dir rules of "/etc/",
				    which match /etc itself whatever its type */
	KARMOR_ROLE_DIR = 1,	 /* a directory, with its '/' ("/etc/"): effect[MAIN] = recursive
				    rules (everything below it), effect[DIRECT] = non-recursive rules
				    (its direct children); the dir itself: its ROLE_EXACT key */
	KARMOR_ROLE_EXECNAME = 2, /* a last path component ("passwd") */
	KARMOR_ROLE_ANC = 3,	 /* a proper ancestor directory ("/srv", no '/') of a path or dir some
				    rule names: the rules' write effects, for a rename of that
				    directory (DESIGN §4.12: a write of every path below it that a
				    rule protects) */
	KARMOR_ROLE_PATTERN = 4, /* a set of globs matching the path ("pattern automata" below):
				    the key's hash is the set's id in the target's automaton of
				    that class, not a hashed string */
	KARMOR_ROLE_BELOW = 5,	 /* a set of globs matching some path below a directory: the
				    rules' write effects, as ROLE_ANC (cls FILE, whatever the
				    rules' class); the hash is the set's id */
	KARMOR_ROLE_SELF = 6,	 /* a directory D ("/etc", no '/') that is the object: the dir
				    rules of "D/" only.  A path rule names a file, so a directory
				    object looks this key up instead of ROLE_EXACT (the verdict
				    model reads a directory as "D/", which no path rule matches) */
	KARMOR_ROLE_NAME = 7,	 /* a last component that some file key ends with ("shadow" of
				    "/etc/shadow", an exec name): cls FILE, source 0, an empty value;
				    only on a KARMOR_TF_NAMES_FILE target ("the name filter" below) */
};
enum karmor_part { KARMOR_PART_MAIN = 0, KARMOR_PART_DIRECT = 1, KARMOR_NPARTS = 2 };

/* read/write x owner/other; exec is "not a read" (readOnly refuses it) */
#define KARMOR_NVARIANTS 4
static inline unsigned karmor_variant(int is_write, int is_owner)
{
	return ((unsigned)(is_write != 0) << 1) | (unsigned)(is_owner == 0);
}

/* verdicts, ordered by strength */
enum karmor_verdict { KARMOR_ALLOW = 0, KARMOR_AUDIT = 1, KARMOR_BLOCK = 2 };

/* the directories of the DESIGN §4.9 baseline that may be mapped (executable
 * mappings of libraries and of the dynamic loader pass there when only an
 * allow-list's posture would refuse them); karmor.bpf.c compares against this
 * list, tests/test_bpf_image.c holds it equal to ir_baseline */
#define KARMOR_BASELINE_MAPPED		{"/lib/", "/lib64/", "/usr/lib/"}
#define KARMOR_BASELINE_MAPPED_MAX	16	/* bytes per entry, with its NUL */

/* special rule ids (real ones are 1..nrules) */
#define KARMOR_RULE_NONE	0u		/* no rule: DefaultPosture when the verdict is not Allow */
#define KARMOR_RULE_BASELINE	0xfffffffeu	/* the DESIGN §4.9 baseline grants (never blocks or audits) */
#define KARMOR_RULE_CONFINE	0xfffffffdu	/* refused by the confinement itself (DESIGN §4.12): a mount,
						   a cgroup move, the loader's pins, a trace outside the target */

/* ------------------------------------------------------------ operations */
/* What the kernel saw; the verdict model's op is exec, read or write for all
 * file kinds (everything that changes a path is a write). */
enum karmor_op {
	KARMOR_OP_EXEC = 1,
	KARMOR_OP_OPEN,		/* file_open; event flags tell read/write */
	KARMOR_OP_PERMISSION,	/* file_permission: read()/write() on an open file */
	KARMOR_OP_UNLINK,
	KARMOR_OP_RMDIR,
	KARMOR_OP_MKDIR,
	KARMOR_OP_MKNOD,	/* also creat()/open(O_CREAT) of a new file */
	KARMOR_OP_RENAME,
	KARMOR_OP_LINK,
	KARMOR_OP_SYMLINK,
	KARMOR_OP_TRUNCATE,
	KARMOR_OP_CHMOD,
	KARMOR_OP_CHOWN,
	KARMOR_OP_SOCKET,	/* socket_create; arg = protocol id */
	KARMOR_OP_CAPABLE,	/* capable; arg = capability number */
	/* DESIGN §4.12: ways around a rule */
	KARMOR_OP_MOUNT,	/* sb_mount (also bind, remount, move): resource = mount point */
	KARMOR_OP_UMOUNT,	/* sb_umount: resource = the mount's root */
	KARMOR_OP_MOVE_MOUNT,	/* move_mount (open_tree / fsmount trees): resource = destination */
	KARMOR_OP_PIVOT_ROOT,	/* sb_pivotroot: resource = new root */
	KARMOR_OP_USERNS,	/* userns_create */
	KARMOR_OP_MMAP,		/* mmap_file: flags tell read/write; exec mappings are KARMOR_OP_MMAP_EXEC */
	KARMOR_OP_MMAP_EXEC,	/* an executable mapping of a file (dynamic loader, ELF interpreter) */
	KARMOR_OP_FOLLOW,	/* following a /proc magic link (ns, fd, exe, cwd, root): resource = its /proc path */
	KARMOR_OP_PTRACE,	/* ptrace_access_check of a task outside the target; arg = the mode */
	KARMOR_OP_SETXATTR,	/* inode_setxattr / inode_removexattr */
	KARMOR_OP_UTIMES,	/* inode_setattr that sets times only (utime, utimensat, touch) */
	KARMOR_OP_CGROUP,	/* a write to cgroup.procs/cgroup.threads/tasks, or clone into a cgroup */
	KARMOR_OP_BPF,		/* bpf(2) or an access to the BPF filesystem; arg = the command */
	KARMOR_OP_SYSCALL,	/* a syscall rule's audit (raw tracepoint sys_enter/sys_exit): arg = the x86-64
				   syscall number, sysargs = its arguments, resource = its absolute path */
	KARMOR_OP_COUNT
};

/* protocols of network rules (lower case, as in the CRD); "all" matches every one.
 * Socket -> protocol: every SOCK_RAW socket is raw, whatever its family (DESIGN
 * §4.7), and RAW+ICMP(V6) on INET/INET6 is icmp(v6) too; the rest on INET/INET6
 * only (other families are not mediated): STREAM+SCTP and
 * SEQPACKET (one-to-one and one-to-many SCTP) = sctp, other STREAM = tcp; DGRAM+ICMP(V6) (ping sockets) = icmp(v6), DGRAM+UDPLITE =
 * udplite, other DGRAM = udp. */
enum karmor_proto {
	KARMOR_PROTO_NONE = 0,
	KARMOR_PROTO_TCP, KARMOR_PROTO_UDP, KARMOR_PROTO_ICMP, KARMOR_PROTO_ICMPV6,
	KARMOR_PROTO_RAW, KARMOR_PROTO_SCTP, KARMOR_PROTO_UDPLITE,
	KARMOR_PROTO_ALL,
	KARMOR_PROTO_COUNT
};

/* ----------------------------------------------------------- map layouts */
/* karmor_targets: ARRAY[targets applied], index = target slot (0..) */
#define KARMOR_TF_LOADED	0x01u	/* slot in use */
#define KARMOR_TF_EXECNAME_PROC	0x02u	/* has process execname keys: look up the last component */
#define KARMOR_TF_EXECNAME_FILE	0x04u
#define KARMOR_TF_SOURCES	0x08u	/* has fromSource slots: the task's executable matters */
#define KARMOR_TF_HOST		0x10u	/* the host target (processes in no bound cgroup) */
#define KARMOR_TF_CONFINE	0x20u	/* path rules: mounts, pivot_root and new user namespaces are refused
					   (DESIGN §4.12; cleared by the target's opt-out) */
#define KARMOR_TF_ANC		0x40u	/* has ROLE_ANC or ROLE_BELOW keys: a rename of a directory looks its
					   path up */
#define KARMOR_TF_DIRS_PROC	0x80u	/* has process ROLE_DIR keys: the scan looks each directory prefix up */
#define KARMOR_TF_DIRS_FILE	0x100u	/* ... file ROLE_DIR keys (without them the prefixes cost nothing) */
#define KARMOR_TF_NAMES_FILE	0x200u	/* the file verdict is decided by exact and exec-name keys alone
					   (no file dir key, no glob, no allow-list): file_open looks the
					   object's own name up first ("the name filter") */
#define KARMOR_TF_SYSCALLS	0x8000u	/* has syscall rules (karmor_sys keys): the syscall tracepoints judge
					   its tasks (see "syscall rules") */
struct karmor_target {
	__u32 flags;
	__u8 allow_list[KARMOR_PC_COUNT];	/* class in allow-list mode (DESIGN §4.3.2) */
	__u8 posture[KARMOR_PC_COUNT];		/* enum karmor_posture */
	__u16 nsources;				/* fromSource slots 1..nsources */
	__u32 generation;			/* bumped at every apply: invalidates task caches */
	__u32 dfa;				/* base of the target's pattern automaton in karmor_dfa,
						   0 = no pattern */
};

/* Generations (karmor-loader apply): each apply loads a new copy of this object, whose
 * karmor_config.generation is one more than the previous one's, and reuses the previous
 * copy's karmor_active map (ARRAY[1] of __u32).  A copy judges only while karmor_active
 * holds its generation: the loader attaches and pins the new copy while the old one
 * judges, then switches with one map update, so at every instant exactly one copy
 * decides (a loader killed at any step leaves the old policy or the new one, never both). */

/* karmor_config: ARRAY[1] */
struct karmor_config {
	__u32 host_target;	/* slot + 1 of the host target, 0 = none */
	__u32 nbound;		/* cgroup bindings in use (0: only the host target can apply) */
	__u32 generation;
	__u32 nsys;		/* targets with syscall rules (KARMOR_TF_SYSCALLS): 0 = the syscall
				   tracepoints return at once (see "syscall rules" below) */
	__u32 monitor;		/* apply --mode=monitor: every Block is reported as Audit and
				   permitted, no policy edited (karmor_mode) */
};

/* karmor_cgroups: HASH cgroup id (u64, as bpf_get_current_cgroup_id) -> target slot (u32) */

/* one decision-relevant summary of the rules of one key for one variant */
struct karmor_effect {
	__u32 block;	/* smallest rule id that blocks, 0 none */
	__u32 audit;	/* smallest rule id that audits */
	__u32 grant;	/* smallest rule id that grants (Allow), or KARMOR_RULE_BASELINE */
};

/* karmor_paths: HASH */
struct karmor_path_key {
	__u64 hash;	/* karmor_hash of the key string */
	__u32 target;	/* slot */
	__u16 source;	/* 0 = rules without fromSource, else the slot */
	__u8 role;	/* enum karmor_role */
	__u8 cls;	/* enum karmor_cls */
};
struct karmor_path_value {
	struct karmor_effect e[KARMOR_NPARTS][KARMOR_NVARIANTS];
};

/* karmor_net: HASH; karmor_caps: HASH (id = capability number) */
struct karmor_id_key {
	__u32 target;
	__u16 source;
	__u16 id;	/* enum karmor_proto, or CAP_* number */
};
struct karmor_id_value {
	struct karmor_effect e;
};

/* karmor_srcs: HASH -- which fromSource slots an executable path matches */
struct karmor_src_key {
	__u64 hash;	/* of "/bin/sh" (exact) or "/bin/" (dir specs) */
	__u32 target;
	__u32 role;	/* KARMOR_ROLE_EXACT or KARMOR_ROLE_DIR */
};
struct karmor_src_value {
	__u16 exact;	/* slot of the path spec, 0 none */
	__u16 recursive;	/* slot of the recursive dir spec ("fromSource: dir: D/ recursive") */
	__u16 direct;	/* slot of the non-recursive dir spec (D itself and direct children) */
	__u16 pad;
};

/* karmor_counters: PERCPU_ARRAY[targets applied * 3], index = slot * 3 + verdict */

/* karmor_tasks: TASK_STORAGE -- the executable of each task, recorded at exec
 * (bprm_committed_creds) and copied to children at fork (task_alloc) */
struct karmor_task {
	__u32 exe_len;		/* 0 = unknown (the task ran before the programs were loaded) */
	__u32 cache_target;	/* slot + 1 the cached slots are for, 0 = none */
	__u32 cache_generation;
	__u8 nslots;
	__u8 pad[3];
	__u16 slots[KARMOR_MAX_TASK_SOURCES];
	char exe[KARMOR_EXE_MAX];
};

/* ------------------------------------------------------------------ events */
/* Ring buffer records.  Nothing is emitted for a plain Allow. */
#define KARMOR_EV_READ		0x01u	/* the access included a read */
#define KARMOR_EV_WRITE		0x02u	/* ... a write */
#define KARMOR_EV_OWNER		0x04u	/* the acting user owns the object */
#define KARMOR_EV_DIR		0x08u	/* the object is a directory */
#define KARMOR_EV_RES_TRUNC	0x10u	/* resource truncated to KARMOR_EVENT_PATH - 1 bytes */
#define KARMOR_EV_SRC_TRUNC	0x20u
#define KARMOR_EV_SRC_UNKNOWN	0x40u	/* the task's executable is not known */
#define KARMOR_EV_PATH_ERROR	0x80u	/* could not be judged, so Blocked: the path could not be resolved
					   (too long, too deep), or the kernel refused the scratch buffer or
					   the task's storage (the executable) */
struct karmor_event {
	__u64 ts_boot_ns;	/* bpf_ktime_get_boot_ns() */
	__u64 cgroup_id;
	__u32 pid;		/* thread group id (user-space pid) */
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 target;		/* slot */
	__u32 rule;		/* rule id, KARMOR_RULE_NONE = DefaultPosture */
	__s32 retval;		/* what the hook returned (0 or -EACCES/-EPERM) */
	__u32 arg;		/* protocol id, capability number, open flags */
	__u16 op;		/* enum karmor_op */
	__u8 verdict;		/* KARMOR_AUDIT or KARMOR_BLOCK */
	__u8 pad0;
	__u32 flags;		/* KARMOR_EV_* */
	__u32 ns_pid;		/* pid in the task's own pid namespace (KubeArmor's PID) */
	__u32 ns_ppid;		/* the parent's there, 0 when it is outside that namespace */
	char comm[16];
	char pcomm[16];
	char source[KARMOR_EVENT_PATH];
	char resource[KARMOR_EVENT_PATH];
	__u64 sysargs[6];	/* KARMOR_OP_SYSCALL: the syscall's arguments (x86-64 order), else 0 */
};

/* --------------------------------------------------------------- hashing */
/* FNV-1a over the bytes, from a seed (the loader's per-load key), then a
 * final avalanche.  karmor_hash_step is the per-byte step the BPF scan runs;
 * prefixes share the running value, so "/", "/etc/", "/etc/passwd" cost one
 * pass.  karmor_hash_final is applied to a running value before a lookup. */
#define KARMOR_FNV_PRIME 0x100000001b3ULL
static inline __u64 karmor_hash_step(__u64 h, unsigned char c)
{
	return (h ^ c) * KARMOR_FNV_PRIME;
}
static inline __u64 karmor_hash_final(__u64 h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* ------------------------------------------------------- the decision */
/* accumulators are karmor_effects too: the smallest id of each kind seen so far */
static inline __u32 karmor_min_id(__u32 a, __u32 b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	return a < b ? a : b;
}

/* one lookup's contribution */
static inline void karmor_acc_add(struct karmor_effect *a, const struct karmor_effect *e)
{
	a->block = karmor_min_id(a->block, e->block);
	a->audit = karmor_min_id(a->audit, e->audit);
	a->grant = karmor_min_id(a->grant, e->grant);
}

/* DESIGN §4.3: Block rule (or refusing modifier); else allow-list without a
 * grant -> posture; else Audit rule; else Allow.  *rule gets the deciding
 * rule id (KARMOR_RULE_NONE for the posture and for a plain Allow). */
static inline int karmor_decide(const struct karmor_effect *a, int allow_list, int posture, __u32 *rule)
{
	if (a->block) {
		*rule = a->block;
		return KARMOR_BLOCK;
	}
	if (allow_list && !a->grant) {
		*rule = KARMOR_RULE_NONE;
		return posture == KARMOR_POSTURE_BLOCK ? KARMOR_BLOCK : KARMOR_AUDIT;
	}
	if (a->audit) {
		*rule = a->audit;
		return KARMOR_AUDIT;
	}
	*rule = KARMOR_RULE_NONE;
	return KARMOR_ALLOW;
}

/* ------------------------------------------------- the path scan */
/*
 * The path scan both sides run (the kernel in a bpf_loop over the resolved
 * path, the unit tests over a string), for a path without a trailing '/'
 * (the root is "/"):
 *   h = seed; hbase = seed;  karmor_match_init(&m, ...)
 *   for each byte c:
 *     h = karmor_hash_step(h, c)
 *     if c == '/' and the target has dir keys of cls (KARMOR_TF_DIRS_*):
 *                   karmor_match_begin_prefix(&m)
 *                   for each source s in {0, task's slots...}:
 *                     v = lookup(paths, {karmor_hash_final(h), T, s, ROLE_DIR, cls})
 *                     if v: karmor_match_dir(&m, v)
 *                   hbase = seed
 *     else:         hbase = karmor_hash_step(hbase, c)
 *   karmor_match_end_prefixes(&m)          -- the last prefix was the parent
 *   unless the path is "/":
 *     for each source s:
 *       exact:  lookup {final(h), ROLE_EXACT}            -> karmor_match_main
 *               (for "D" its MAIN part also holds the dir rules of "D/",
 *               recursive or not, merged by the compiler: no "D/" lookup);
 *               the object a directory: {final(h), ROLE_SELF} instead (its
 *               dir rules only), and no exec name (the model reads it "D/")
 *       target has execname keys for cls and the object is no directory:
 *               lookup {final(hbase), ROLE_EXECNAME}     -> karmor_match_main
 *   the target has globs: the automaton's state after the path (a
 *   directory: after one more '/') names the set of globs that match
 *   verdict = karmor_match_verdict(&m, allow_list, posture, &rule)
 *
 * The name filter (file_open, on a KARMOR_TF_NAMES_FILE target).  Without file
 * dir keys, globs or an allow-list, only a ROLE_EXACT or ROLE_EXECNAME key can
 * make a file verdict other than a plain Allow, and every such key ends with
 * its object's last component.  The compiler writes each of those last
 * components once as a ROLE_NAME key (source 0, whatever the rules' sources);
 * before resolving the path, the program hashes the object's own name (its
 * dentry's; not for a mount's root, whose path ends in the mount point's name)
 * and looks {final(hash), T, 0, ROLE_NAME, FILE} up: no key, no rule can match,
 * and the open is a plain Allow without bpf_d_path or the scan.  The loader
 * refuses an image whose flag or ROLE_NAME keys disagree with its other keys.
 */
#define KARMOR_ACCESS_READ	0
#define KARMOR_ACCESS_WRITE	1	/* also exec: "not a read" */
struct karmor_match {
	struct karmor_effect acc[2];	/* per access */
	struct karmor_effect pending[2];	/* DIRECT parts of the current prefix */
	__u8 want[2];			/* the access is part of the operation */
	__u8 var[2];			/* its karmor_variant */
};

static inline void karmor_match_init(struct karmor_match *m, int reads, int writes, int owner)
{
	struct karmor_effect zero = {0, 0, 0};
	m->acc[0] = zero;
	m->acc[1] = zero;
	m->pending[0] = zero;
	m->pending[1] = zero;
	m->want[0] = reads != 0;
	m->want[1] = writes != 0;
	m->var[0] = (__u8)karmor_variant(0, owner);
	m->var[1] = (__u8)karmor_variant(1, owner);
}

static inline void karmor_match_begin_prefix(struct karmor_match *m)
{
	struct karmor_effect zero = {0, 0, 0};
	m->pending[0] = zero;
	m->pending[1] = zero;
}

/* a directory prefix ("/", "/etc/"): recursive rules now, non-recursive ones
 * only if it turns out to be the parent */
static inline void karmor_match_dir(struct karmor_match *m, const struct karmor_path_value *v)
{
	for (int a = 0; a < 2; a++) {
		if (!m->want[a])
			continue;
		karmor_acc_add(&m->acc[a], &v->e[KARMOR_PART_MAIN][m->var[a] & 3]);
		karmor_acc_add(&m->pending[a], &v->e[KARMOR_PART_DIRECT][m->var[a] & 3]);
	}
}

static inline void karmor_match_end_prefixes(struct karmor_match *m)
{
	for (int a = 0; a < 2; a++)
		if (m->want[a])
			karmor_acc_add(&m->acc[a], &m->pending[a]);
}

/* the full path (ROLE_EXACT) or the last component (ROLE_EXECNAME) */
static inline void karmor_match_main(struct karmor_match *m, const struct karmor_path_value *v)
{
	for (int a = 0; a < 2; a++)
		if (m->want[a])
			karmor_acc_add(&m->acc[a], &v->e[KARMOR_PART_MAIN][m->var[a] & 3]);
}

/* the strongest verdict over the accesses of the operation; *rule as
 * karmor_decide.  When both accesses reach it, the rule named is the first
 * (smallest id, DESIGN §4.3), and a rule is named before DefaultPosture. */
static inline int karmor_match_verdict(const struct karmor_match *m, int allow_list, int posture, __u32 *rule)
{
	int best = KARMOR_ALLOW;
	__u32 r;
	*rule = KARMOR_RULE_NONE;
	for (int a = 0; a < 2; a++) {
		if (!m->want[a])
			continue;
		int v = karmor_decide(&m->acc[a], allow_list, posture, &r);
		if (v > best) {
			best = v;
			*rule = r;
		} else if (v == best && v != KARMOR_ALLOW) {
			*rule = karmor_min_id(*rule, r);
		}
	}
	return best;
}

/* network and capabilities: one key per (source, id); "all" protocols is a second key */
static inline int karmor_id_verdict(const struct karmor_effect *a, int allow_list, int posture, __u32 *rule)
{
	return karmor_decide(a, allow_list, posture, rule);
}

/* ------------------------------------------------- pattern automata */
/*
 * The globs (matchPatterns) of a target, process and file rules alike, are one
 * deterministic automaton over the bytes of the resolved path (backends/dfa.c builds
 * it, minimised), kept in the array map karmor_dfa (__u32 words) at the base
 * karmor_target.dfa names.  Its accepting states are tagged with sets of globs; a set's
 * id is a key of each class whose rules use one of its globs.  From the base b:
 *   b + KARMOR_DFA_NSTATES         states (state 0: dead, every transition stays there;
 *                                  state 1: the start)
 *   b + KARMOR_DFA_NCLASSES        columns: bytes no glob tells apart share one
 *   b + KARMOR_DFA_CLASSES + c     the column of byte c (256 words)
 *   b + KARMOR_DFA_TRANS + s * ncolumns + col          the next state
 *   b + karmor_dfa_accept(n, k) + s   id of the set of globs that match a path ending
 *                                  in state s (0: none) -> ROLE_PATTERN key
 *   b + karmor_dfa_below(n, k) + s    id of the set of globs that match some path strictly
 *                                  below a directory ending in s -> ROLE_BELOW key
 * The scan steps the automaton at every byte (two array lookups, none once dead), so a
 * path costs O(length) whatever the number of globs; a target whose class has no glob
 * does no step.  After the last byte the set ids are looked up like the path keys,
 * once per source (fromSource slot), and add MAIN effects (karmor_match_main).
 * Bounds: KARMOR_DFA_MAX_STATES states and KARMOR_DFA_MAX_WORDS words per automaton
 * (the compiler refuses more with KC0408); every word is checked by the loader.
 */
#define KARMOR_DFA_NSTATES	0
#define KARMOR_DFA_NCLASSES	1
#define KARMOR_DFA_CLASSES	2
#define KARMOR_DFA_TRANS	(KARMOR_DFA_CLASSES + 256)
#define KARMOR_DFA_DEAD		0u
#define KARMOR_DFA_START	1u
#define KARMOR_DFA_MAX_STATES	32768u		/* states of one automaton */
#define KARMOR_DFA_MAX_WORDS	(1u << 21)	/* words of one automaton: 8 MiB */

static inline __u64 karmor_dfa_accept(__u64 nstates, __u64 ncolumns)
{
	return KARMOR_DFA_TRANS + nstates * ncolumns;
}
static inline __u64 karmor_dfa_below(__u64 nstates, __u64 ncolumns)
{
	return karmor_dfa_accept(nstates, ncolumns) + nstates;
}
/* the words of an automaton */
static inline __u64 karmor_dfa_words(__u64 nstates, __u64 ncolumns)
{
	return karmor_dfa_below(nstates, ncolumns) + nstates;
}
/* the word holding the transition of state s on column col */
static inline __u64 karmor_dfa_next(__u64 s, __u64 ncolumns, __u64 col)
{
	return KARMOR_DFA_TRANS + s * ncolumns + col;
}

#ifndef __bpf__
/* The programs' walk on the host (tests, the emulator): automaton words w (validated, as
 * kl_image_parse does) from `state` over the bytes of s; the state it ends in. */
static inline __u32 karmor_dfa_walk(const __u32 *w, __u32 state, const char *s)
{
	__u32 k = w[KARMOR_DFA_NCLASSES];
	for (; *s && state != KARMOR_DFA_DEAD; s++)
		state = w[karmor_dfa_next(state, k, w[KARMOR_DFA_CLASSES + (unsigned char)*s])];
	return state;
}
#endif

/* fromSource slots of an executable: the same scan over the exe path with the
 * karmor_srcs map -- at each prefix the recursive slot counts at once and the
 * direct slot only if the prefix is the parent; then the exact slot. */
static inline void karmor_slots_add(__u16 *slots, __u8 *n, __u16 slot)
{
	if (!slot)
		return;
	for (int i = 0; i < KARMOR_MAX_TASK_SOURCES; i++)
		if (i < *n && slots[i] == slot)
			return;
	if (*n < KARMOR_MAX_TASK_SOURCES)
		slots[(*n)++] = slot;
}

#ifndef __bpf__
/* what the loader puts in a key: the whole string hashed as the kernel's scan does */
static inline __u64 karmor_hash_string(__u64 seed, const char *s)
{
	__u64 h = seed;
	while (*s)
		h = karmor_hash_step(h, (unsigned char)*s++);
	return karmor_hash_final(h);
}
#endif

/* ------------------------------------------------------- syscall rules */
/*
 * syscalls.matchSyscalls and syscalls.matchPaths (DESIGN §4.5: they only audit,
 * they never block).  A raw tracepoint on sys_enter (one program for every
 * syscall: per-syscall tracepoints would be one program per name, and need
 * tracefs) judges them; one on sys_exit completes the event with the result.
 * Both return at once while karmor_config.nsys is 0 (no loaded target has a
 * syscall rule), then for tasks in no target, then for targets without
 * KARMOR_TF_SYSCALLS.  Syscall numbers are x86-64's; names are KubeArmor's
 * (the CRD's enum, in table order: "read" is 0 ... "rseq" is 334).
 *
 * karmor_sys: HASH, one map for both kinds of keys:
 *   (target, source, nr, KARMOR_SYS_ROLE_CALL, hash 0)
 *       value.audit: the smallest rule id of the matchSyscalls rules of that
 *       syscall and source; value.flags KARMOR_SYSF_PATHS: matchPaths rules of
 *       that syscall and source exist, so the path is resolved and scanned;
 *   (target, source, nr, KARMOR_ROLE_DIR, hash of "D/")
 *       value.audit: recursive dir rules (everything below D), value.direct:
 *       non-recursive ones (D's direct children);
 *   (target, source, nr, KARMOR_ROLE_EXACT, hash of "P")
 *       value.audit: path rules of P, and the dir rules of "P/" (a dir rule
 *       matches D itself, as in the path scan above).
 * Verdict for syscall nr of a task of target T (sources as for the path scan):
 *   audit = min over sources s of CALL(s).audit
 *   if some CALL(s) has KARMOR_SYSF_PATHS and nr takes a path
 *   (karmor_sys_path_arg): resolve it (below), then exactly the path scan above
 *   with karmor_sys_match_* over the sources s with KARMOR_SYSF_PATHS;
 *   audit != 0: Audit, rule = audit (the first rule, DESIGN §4.3); else no event.
 * The path: the argument karmor_sys_path_arg names, read from user memory
 * (at most KARMOR_SYS_USER_PATH - 1 bytes, else it matches no path rule), made
 * absolute against the working directory or the directory descriptor (a
 * dentry walk, as for the path hooks), then normalised lexically: "//" and "."
 * dropped, ".." removes the component before it (not past "/"), no trailing
 * '/' (karmor_sys_normalize in user space does the same).  Symbolic links in
 * it are not followed: the path is the one the program named.
 */
#define KARMOR_SYS_COUNT	335	/* syscall numbers 0..334 (x86-64, the CRD's names) */
#define KARMOR_SYS_ROLE_CALL	0x80u	/* a syscall key without a path */
#define KARMOR_SYSF_PATHS	0x1u	/* ROLE_CALL: matchPaths rules of this syscall and source exist */
#define KARMOR_SYS_USER_PATH	2048	/* bytes of a path argument read, with its NUL */

struct karmor_sys_key {
	__u64 hash;	/* karmor_hash of the path key, 0 for KARMOR_SYS_ROLE_CALL */
	__u32 target;
	__u16 source;
	__u16 nr;	/* syscall number */
	__u32 role;	/* KARMOR_SYS_ROLE_CALL, KARMOR_ROLE_EXACT or KARMOR_ROLE_DIR */
	__u32 pad;
};
struct karmor_sys_value {
	__u32 audit;	/* smallest rule id (CALL: matchSyscalls; EXACT: path; DIR: recursive) */
	__u32 direct;	/* DIR: smallest rule id of the non-recursive dir rules, else 0 */
	__u32 flags;	/* CALL: KARMOR_SYSF_*, else 0 */
};

/* One record of the image's syscall section (sorted by role, source, nr, string). */
struct karmor_image_sys {
	__u32 str;	/* string id of the path key; 0 ("") for KARMOR_SYS_ROLE_CALL */
	__u16 source;
	__u16 nr;
	__u8 role;
	__u8 pad[3];
	struct karmor_sys_value value;
};

/* Which argument of syscall nr is the path it acts on, and relative to what:
 * 0 = it takes no path; else KARMOR_SYSP_PATH | argument index (bits 0-2),
 * and KARMOR_SYSP_DIRFD | the directory descriptor's index << 3 when it has
 * one (else a relative path is relative to the working directory).  For
 * link, symlink(at) and linkat the path is the one created; for mount, the
 * mount point; for rename(at/at2), the one renamed. */
#define KARMOR_SYSP_PATH	0x80u
#define KARMOR_SYSP_DIRFD	0x40u
#define KARMOR_SYSP(p)		(KARMOR_SYSP_PATH | (p))
#define KARMOR_SYSP_AT(d, p)	(KARMOR_SYSP_PATH | KARMOR_SYSP_DIRFD | ((d) << 3) | (p))
static inline unsigned karmor_sys_path_arg(unsigned nr)
{
	static const __u8 tab[KARMOR_SYS_COUNT] = {
		[2] = KARMOR_SYSP(0),	/* open */
		[4] = KARMOR_SYSP(0),	/* stat */
		[6] = KARMOR_SYSP(0),	/* lstat */
		[21] = KARMOR_SYSP(0),	/* access */
		[59] = KARMOR_SYSP(0),	/* execve */
		[76] = KARMOR_SYSP(0),	/* truncate */
		[80] = KARMOR_SYSP(0),	/* chdir */
		[82] = KARMOR_SYSP(0),	/* rename */
		[83] = KARMOR_SYSP(0),	/* mkdir */
		[84] = KARMOR_SYSP(0),	/* rmdir */
		[85] = KARMOR_SYSP(0),	/* creat */
		[86] = KARMOR_SYSP(1),	/* link: the new path */
		[87] = KARMOR_SYSP(0),	/* unlink */
		[88] = KARMOR_SYSP(1),	/* symlink: the link */
		[89] = KARMOR_SYSP(0),	/* readlink */
		[90] = KARMOR_SYSP(0),	/* chmod */
		[92] = KARMOR_SYSP(0),	/* chown */
		[94] = KARMOR_SYSP(0),	/* lchown */
		[132] = KARMOR_SYSP(0),	/* utime */
		[133] = KARMOR_SYSP(0),	/* mknod */
		[134] = KARMOR_SYSP(0),	/* uselib */
		[137] = KARMOR_SYSP(0),	/* statfs */
		[155] = KARMOR_SYSP(0),	/* pivot_root: the new root */
		[161] = KARMOR_SYSP(0),	/* chroot */
		[163] = KARMOR_SYSP(0),	/* acct */
		[165] = KARMOR_SYSP(1),	/* mount: the mount point */
		[166] = KARMOR_SYSP(0),	/* umount2 */
		[167] = KARMOR_SYSP(0),	/* swapon */
		[168] = KARMOR_SYSP(0),	/* swapoff */
		[188] = KARMOR_SYSP(0),	/* setxattr */
		[189] = KARMOR_SYSP(0),	/* lsetxattr */
		[191] = KARMOR_SYSP(0),	/* getxattr */
		[192] = KARMOR_SYSP(0),	/* lgetxattr */
		[194] = KARMOR_SYSP(0),	/* listxattr */
		[195] = KARMOR_SYSP(0),	/* llistxattr */
		[197] = KARMOR_SYSP(0),	/* removexattr */
		[198] = KARMOR_SYSP(0),	/* lremovexattr */
		[235] = KARMOR_SYSP(0),	/* utimes */
		[257] = KARMOR_SYSP_AT(0, 1),	/* openat */
		[258] = KARMOR_SYSP_AT(0, 1),	/* mkdirat */
		[259] = KARMOR_SYSP_AT(0, 1),	/* mknodat */
		[260] = KARMOR_SYSP_AT(0, 1),	/* fchownat */
		[261] = KARMOR_SYSP_AT(0, 1),	/* futimesat */
		[262] = KARMOR_SYSP_AT(0, 1),	/* newfstatat */
		[263] = KARMOR_SYSP_AT(0, 1),	/* unlinkat */
		[264] = KARMOR_SYSP_AT(0, 1),	/* renameat */
		[265] = KARMOR_SYSP_AT(2, 3),	/* linkat: the new path */
		[266] = KARMOR_SYSP_AT(1, 2),	/* symlinkat: the link */
		[267] = KARMOR_SYSP_AT(0, 1),	/* readlinkat */
		[268] = KARMOR_SYSP_AT(0, 1),	/* fchmodat */
		[269] = KARMOR_SYSP_AT(0, 1),	/* faccessat */
		[280] = KARMOR_SYSP_AT(0, 1),	/* utimensat */
		[303] = KARMOR_SYSP_AT(0, 1),	/* name_to_handle_at */
		[316] = KARMOR_SYSP_AT(0, 1),	/* renameat2 */
		[322] = KARMOR_SYSP_AT(0, 1),	/* execveat */
		[332] = KARMOR_SYSP_AT(0, 1),	/* statx */
	};
	return nr < KARMOR_SYS_COUNT ? tab[nr] : 0;
}

/* The path scan of syscall keys (the DIRECT parts count only for the parent). */
struct karmor_sys_match {
	__u32 audit;
	__u32 pending;
};
static inline void karmor_sys_begin_prefix(struct karmor_sys_match *m)
{
	m->pending = 0;
}
static inline void karmor_sys_dir(struct karmor_sys_match *m, const struct karmor_sys_value *v)
{
	m->audit = karmor_min_id(m->audit, v->audit);
	m->pending = karmor_min_id(m->pending, v->direct);
}
static inline void karmor_sys_end_prefixes(struct karmor_sys_match *m)
{
	m->audit = karmor_min_id(m->audit, m->pending);
}
static inline void karmor_sys_main(struct karmor_sys_match *m, const struct karmor_sys_value *v)
{
	m->audit = karmor_min_id(m->audit, v->audit);
}

#ifndef __bpf__
/* The kernel's normalisation of an absolute path (see above), in place: "//" and
 * "." dropped, ".." removes the component before it, no trailing '/' ("/" stays). */
static inline void karmor_sys_normalize(char *p)
{
	char *out = p;
	const char *in = p;
	while (*in) {
		while (*in == '/')
			in++;
		const char *c = in;
		while (*in && *in != '/')
			in++;
		unsigned long n = (unsigned long)(in - c);
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			while (out > p && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		for (unsigned long i = 0; i < n; i++)
			*out++ = c[i];
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}
#endif

/* ------------------------------------------------------------ the image */
/*
 * One file per target, little-endian, all offsets from the start of the file,
 * every record 8-byte aligned:
 *   karmor_image_header
 *   rules     [nrules]     karmor_image_rule
 *   paths     [npaths]     karmor_image_path
 *   nets      [nnets]      karmor_image_id
 *   caps      [ncaps]      karmor_image_id
 *   srcs      [nsrcs]      karmor_image_src
 *   identity  ident_size bytes: absent (0) for a target without a workload
 *             inventory (a selector), else karmor_image_identity and its
 *             nlabels karmor_image_label, nothing more
 *   dfa       dfa_words __u32 words: the target's pattern automaton (absent: 0
 *             words), laid out as in karmor_dfa from its base ("pattern
 *             automata"), padded with a zero word to 8 bytes
 *   syscalls  [nsys]       karmor_image_sys ("syscall rules")
 *   strings   strtab_size bytes: NUL-terminated strings; string id = offset
 *             (0 = ""), every id < strtab_size and the last byte is NUL
 *   sha256    32 bytes: SHA-256 of everything before it
 * Strings are stored, not hashes: the loader hashes them with its load-time
 * key (see above).  Records are sorted (by kind, then key) so the file is
 * byte-identical for the same inputs.
 * Version 2 added the identity section (ident_off, ident_size); version 3 the
 * pattern automata (dfa_off, dfa_words) and the path roles PATTERN and BELOW, whose
 * records hold a set id in `str`, not a string id, and the syscall section
 * (sys_off, nsys: after the automaton, before the strings; karmor_image_sys
 * in "syscall rules").  Version 4 the target flags KARMOR_TF_DIRS_PROC and
 * KARMOR_TF_DIRS_FILE, without which the programs skip the directory-prefix
 * lookups (an older image would lose its dir rules).  Version 5 the name
 * filter (KARMOR_TF_NAMES_FILE, ROLE_NAME keys).  Older images are refused
 * (recompile them).
 */
#define KARMOR_IMAGE_MAGIC	"KARMORMI"	/* 8 bytes, no NUL */
#define KARMOR_IMAGE_VERSION	5u
#define KARMOR_IMAGE_LITTLE	1u		/* endian field: 1 = little-endian */
#define KARMOR_IMAGE_SUFFIX	".kmi"

struct karmor_image_header {
	char magic[8];
	__u32 version;		/* KARMOR_IMAGE_VERSION */
	__u32 endian;		/* KARMOR_IMAGE_LITTLE */
	__u32 header_size;	/* sizeof(struct karmor_image_header) */
	__u32 flags;		/* KARMOR_TF_* except LOADED */
	__u32 name;		/* string id: the target's name (file name without .kmi) */
	__u32 describe;		/* string id: the workload or the selector, human text */
	__u32 karmorc_version;	/* string id */
	__u8 allow_list[KARMOR_PC_COUNT];
	__u8 posture[KARMOR_PC_COUNT];
	__u16 nsources;
	__u32 nrules, npaths, nnets, ncaps, nsrcs;
	__u32 strtab_size;
	__u32 pad;
	__u64 rules_off, paths_off, nets_off, caps_off, srcs_off, strtab_off;
	__u64 file_size;	/* including the SHA-256 */
	__u64 ident_off;	/* the identity section: after srcs, before strings */
	__u32 ident_size;	/* 0: the target has no identity */
	__u32 pad2;
	__u64 dfa_off;		/* the automaton: after the identity, before strings */
	__u32 dfa_words;	/* 0: no automaton */
	__u32 pad3;
	/* syscall section */
	__u64 sys_off;		/* nsys karmor_image_sys: after the automaton, before strings */
	__u32 nsys;
	__u32 pad4;
};

/* rule id i (1-based) is rules[i - 1]: what an event names */
struct karmor_image_rule {
	__u32 policy;		/* string id: policy name */
	__u32 namespace_;	/* string id: "" for cluster kinds */
	__u32 kind;		/* string id: KubeArmorPolicy, ... */
	__u32 tags;		/* string id: tags joined with "," */
	__u32 message;		/* string id */
	__u32 file;		/* string id: the policy file */
	__u32 line, col;
	__u32 target;		/* string id: the rule's target text (path, protocol, capability) */
	__u8 severity;		/* 0 unset, 1..10 */
	__u8 action;		/* enum karmor_verdict: the rule's own action */
	__u8 cls;		/* 0 process, 1 file, 2 network, 3 capabilities (4 syscalls, 5 presets,
				   6 devices: rules in no map, kept so ids are positions) */
	__u8 pad;
};

struct karmor_image_path {
	__u32 str;		/* string id of the key string; ROLE_PATTERN, ROLE_BELOW: the set id */
	__u16 source;
	__u8 role, cls;
	struct karmor_path_value value;
};

struct karmor_image_id {
	__u16 source;
	__u16 id;
	struct karmor_effect e;
};

struct karmor_image_src {
	__u32 str;		/* "/bin/sh" or "/bin/" */
	__u16 role;		/* KARMOR_ROLE_EXACT or KARMOR_ROLE_DIR */
	__u16 pad;
	struct karmor_src_value value;
};

/*
 * Who a target is (DESIGN §3), when it comes from a workload inventory: what the
 * loader shows for it and what its events name.  Strings are references into the
 * string table with their length: the reader checks off + len < strtab_size, no NUL
 * in the len bytes and a NUL after them, and len <= KARMOR_IDENT_STR_MAX.  A
 * container has kind, namespace, workload, pod, container and image (kind the
 * workload's: "Deployment", "Pod", ...); a host (KARMOR_IDENT_HOST, only on a
 * KARMOR_TF_HOST target) has kind "Node", workload = the node name, and the other
 * strings empty.  Labels (pod template labels, or node labels) follow, strictly
 * ascending by key then value.
 */
#define KARMOR_IDENT_STR_MAX	1024u	/* bytes of one string; Kubernetes' own limits are far below */
#define KARMOR_IDENT_MAX_LABELS	1024u
#define KARMOR_IDENT_HOST	0x1u	/* a node */
#define KARMOR_IDENT_INIT	0x2u	/* an initContainer */

struct karmor_image_strref {
	__u32 off;		/* offset in the string table */
	__u32 len;		/* bytes, without the NUL that follows */
};

struct karmor_image_identity {
	__u32 flags;		/* KARMOR_IDENT_* */
	__u32 nlabels;		/* <= KARMOR_IDENT_MAX_LABELS */
	struct karmor_image_strref kind, namespace_, workload, pod, container, image;
};

struct karmor_image_label {
	struct karmor_image_strref key, value;
};

#ifndef __bpf__
/* ------------------------------------------------------------ map sizes */
/*
 * The maps the memory budget counts.  The sized ones get their max_entries from
 * the images the loader applies, set before load (bpf_map__set_max_entries):
 * what the images need, at least 1 (the kernel refuses an empty map); the
 * object declares them with 1.  karmorc checks the same numbers, with the same
 * byte estimate, against the limits below and its budget.  Not counted: the
 * per-CPU scratch buffers (4 x 8.3 KiB per CPU), config and drop counter (a few
 * bytes), and task storage (allocated per task as tasks meet the programs).
 */
enum karmor_map_kind { KARMOR_MK_HASH, KARMOR_MK_ARRAY, KARMOR_MK_PERCPU_ARRAY, KARMOR_MK_RINGBUF };
enum karmor_budget_map {
	KARMOR_BM_TARGETS, KARMOR_BM_COUNTERS, KARMOR_BM_PATHS, KARMOR_BM_NET, KARMOR_BM_CAPS, KARMOR_BM_SRCS,
	KARMOR_BM_DFA,
	KARMOR_BM_SYSCALLS,	/* syscall rules */
	KARMOR_BM_CGROUPS, KARMOR_BM_EVENTS, KARMOR_BM_COUNT
};
struct karmor_map_desc {
	const char *name;	/* in the object, and its pin */
	const char *what;	/* for people: "path map" */
	enum karmor_map_kind kind;
	int sized;		/* max_entries from the images; else fixed in the object */
	__u32 key, value;	/* bytes */
};
static inline const struct karmor_map_desc *karmor_map_desc(enum karmor_budget_map m)
{
	static const struct karmor_map_desc maps[KARMOR_BM_COUNT] = {
		[KARMOR_BM_TARGETS] = {"karmor_targets", "target map", KARMOR_MK_ARRAY, 1, 4, sizeof(struct karmor_target)},
		[KARMOR_BM_COUNTERS] = {"karmor_counters", "counter map", KARMOR_MK_PERCPU_ARRAY, 1, 4, 8},
		[KARMOR_BM_PATHS] = {"karmor_paths", "path map", KARMOR_MK_HASH, 1, sizeof(struct karmor_path_key),
				     sizeof(struct karmor_path_value)},
		[KARMOR_BM_NET] = {"karmor_net", "network map", KARMOR_MK_HASH, 1, sizeof(struct karmor_id_key),
				   sizeof(struct karmor_id_value)},
		[KARMOR_BM_CAPS] = {"karmor_caps", "capability map", KARMOR_MK_HASH, 1, sizeof(struct karmor_id_key),
				    sizeof(struct karmor_id_value)},
		[KARMOR_BM_SRCS] = {"karmor_srcs", "source map", KARMOR_MK_HASH, 1, sizeof(struct karmor_src_key),
				    sizeof(struct karmor_src_value)},
		[KARMOR_BM_DFA] = {"karmor_dfa", "pattern map", KARMOR_MK_ARRAY, 1, 4, 4},
		[KARMOR_BM_SYSCALLS] = {"karmor_sys", "syscall map", KARMOR_MK_HASH, 1, sizeof(struct karmor_sys_key),
					sizeof(struct karmor_sys_value)},
		[KARMOR_BM_CGROUPS] = {"karmor_cgroups", "cgroup map", KARMOR_MK_HASH, 0, 8, 4},
		[KARMOR_BM_EVENTS] = {"karmor_events", "ring buffer", KARMOR_MK_RINGBUF, 0, 0, 0},
	};
	return &maps[m];
}

/* What a set of images asks for: the targets, and the sums of their headers' counts. */
struct karmor_map_counts {
	__u64 targets, paths, nets, caps, srcs;
	__u64 dfa_words;	/* the automata's words (word 0 is not used: base 0 means none) */
	__u64 sys;	/* syscall section records */
};

/* The entries map m needs (before the floor of 1); a ring buffer's are its bytes. */
static inline __u64 karmor_map_entries(const struct karmor_map_counts *c, enum karmor_budget_map m)
{
	switch (m) {
	case KARMOR_BM_TARGETS: return c->targets;
	case KARMOR_BM_COUNTERS: return c->targets * 3;	/* one per verdict */
	case KARMOR_BM_PATHS: return c->paths;
	case KARMOR_BM_NET: return c->nets;
	case KARMOR_BM_CAPS: return c->caps;
	case KARMOR_BM_SRCS: return c->srcs;
	case KARMOR_BM_DFA: return c->dfa_words ? c->dfa_words + 1 : 0;
	case KARMOR_BM_SYSCALLS: return c->sys;
	case KARMOR_BM_CGROUPS: return KARMOR_MAX_CGROUPS;
	default: return KARMOR_RINGBUF_BYTES;
	}
}

/* The most entries map m may have: the kernel's limit for a hash map, karmor's for targets. */
static inline __u64 karmor_map_limit(enum karmor_budget_map m)
{
	if (m == KARMOR_BM_TARGETS)
		return KARMOR_MAX_TARGETS;
	if (m == KARMOR_BM_COUNTERS)
		return KARMOR_MAX_TARGETS * 3ull;
	if (m == KARMOR_BM_EVENTS)
		return KARMOR_RINGBUF_BYTES;
	return KARMOR_MAP_MAX_ENTRIES;	/* every other one is a hash map */
}

static inline __u64 karmor_round8(__u64 n)
{
	return (n + 7) & ~7ull;
}

/*
 * Bytes of kernel memory a map with n entries takes on Linux 6.1
 * (kernel/bpf/hashtab.c, arraymap.c, ringbuf.c): the estimate karmorc budgets
 * with (cpus = KARMOR_BUDGET_CPUS) and status shows (the node's CPUs).  Map
 * headers, under a kilobyte each, are left out.
 *   HASH (preallocated): roundup_pow_of_two(n) * 16           the buckets
 *                        + (n + cpus) * (48 + r8(key) + r8(value))
 *                          the elements (struct htab_elem is 48 bytes; one spare
 *                          per CPU for updates in place)
 *   ARRAY:               n * r8(value)
 *   PERCPU_ARRAY:        n * (8 + r8(value) * cpus)             a pointer per entry
 *   RINGBUF:             n + 2 pages                            data, then the
 *                          consumer and producer pages
 * (r8: rounded up to 8 bytes.)  n is at most 2^32, cpus at most 2^16: no overflow.
 */
static inline __u64 karmor_map_bytes(enum karmor_map_kind kind, __u64 n, __u32 key, __u32 value, __u32 cpus)
{
	switch (kind) {
	case KARMOR_MK_HASH: {
		__u64 buckets = 1;
		while (buckets < n)
			buckets <<= 1;
		return buckets * 16 + (n + cpus) * (48 + karmor_round8(key) + karmor_round8(value));
	}
	case KARMOR_MK_ARRAY: return n * karmor_round8(value);
	case KARMOR_MK_PERCPU_ARRAY: return n * (8 + karmor_round8(value) * cpus);
	default: return n + 2 * 4096;
	}
}

/* Bytes of every budgeted map for images asking for c, each sized as the loader sizes
 * it (at least 1 entry): per map into bytes[] unless it is NULL; returns the sum. */
static inline __u64 karmor_maps_bytes(const struct karmor_map_counts *c, __u32 cpus, __u64 *bytes)
{
	__u64 sum = 0;
	for (enum karmor_budget_map m = 0; m < KARMOR_BM_COUNT; m++) {
		const struct karmor_map_desc *d = karmor_map_desc(m);
		__u64 n = karmor_map_entries(c, m);
		__u64 b = karmor_map_bytes(d->kind, n ? n : 1, d->key, d->value, cpus);
		if (bytes)
			bytes[m] = b;
		sum += b;
	}
	return sum;
}
#endif

/* Pinned objects (karmor-loader): links and maps under this directory. */
#define KARMOR_PIN_DIR		"/sys/fs/bpf/karmor"
#define KARMOR_STATE_DIR	"/run/karmor"	/* copies of the applied images, for events/status */

#endif
