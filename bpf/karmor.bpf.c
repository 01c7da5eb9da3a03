// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * karmor.bpf.c -- the BPF-LSM programs of karmorc (DESIGN §5, issue 4).
 *
 * Policy-agnostic: compiled once by `make`; the policy is the data karmor-loader
 * puts into the maps below from a map image (backends/bpf.c).  Keys, values,
 * events and the decision are fixed by karmor.h, shared with user space.
 *
 * Programs: lsm.s/bprm_committed_creds + lsm/task_alloc keep every task's
 * executable (fromSource); lsm.s/bprm_check_security (exec),
 * lsm.s/file_open, lsm/file_permission (Block only) and the lsm/path_* hooks
 * (writes) judge paths; lsm/socket_create and lsm/capable judge ids;
 * cgroup/sock_create (karmor_sock_create) is the network check for kernels
 * without BPF-LSM (karmor-loader --without-lsm attaches it, never autoloaded
 * there together with the LSM programs).  Sleepable hooks resolve paths with
 * bpf_d_path; the others walk dentries (bpf_d_path is refused there).
 * Built against the build machine's vmlinux.h (CO-RE); loads on Linux 6.1.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "../bpf/karmor.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* the loader's per-load hash key (karmor.h: hashing) */
const volatile __u64 karmor_hash_seed = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);	/* sized by the loader (karmor.h: map sizes) */
	__type(key, __u32);
	__type(value, struct karmor_target);
} karmor_targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct karmor_config);
} karmor_config SEC(".maps");

/* karmor_active: ARRAY[1], the generation that judges (karmor.h: generations) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} karmor_active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KARMOR_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, __u32);
} karmor_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);	/* sized by the loader (karmor.h: map sizes) */
	__type(key, struct karmor_path_key);
	__type(value, struct karmor_path_value);
} karmor_paths SEC(".maps");

/* the targets' pattern automata, word by word (karmor.h: pattern automata) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);	/* sized by the loader (karmor.h: map sizes) */
	__type(key, __u32);
	__type(value, __u32);
} karmor_dfa SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);	/* sized by the loader (karmor.h: map sizes) */
	__type(key, struct karmor_id_key);
	__type(value, struct karmor_id_value);
} karmor_net SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);	/* sized by the loader (karmor.h: map sizes) */
	__type(key, struct karmor_id_key);
	__type(value, struct karmor_id_value);
} karmor_caps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);	/* sized by the loader (karmor.h: map sizes) */
	__type(key, struct karmor_src_key);
	__type(value, struct karmor_src_value);
} karmor_srcs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);	/* sized by the loader (karmor.h: map sizes) */
	__type(key, __u32);
	__type(value, __u64);
} karmor_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct karmor_task);
} karmor_tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, KARMOR_RINGBUF_BYTES);
} karmor_events SEC(".maps");

/* ----------------------------------------------- maps added by the programs */
/* Scratch for the path of the operation being judged: the stack is 512 bytes.
 * bpf_d_path writes the path at buf[0]; the dentry walk writes it backwards so
 * that it ends at buf[KARMOR_PATH_MAX].  Every index is masked with
 * KS_MASK; the extra 256 bytes keep a masked component copy (<= 255 bytes,
 * NAME_MAX) inside the buffer.
 *
 * Per CPU, KS_SLOTS buffers, each taken exclusively (karmor_scratch_claim).
 * Programs run with migration disabled, but not with preemption disabled:
 * Debian's 6.1 is PREEMPT_DYNAMIC (preempt=full makes every program
 * preemptible, RCU included) and lsm.s programs may sleep.  A task preempted
 * half-way could otherwise find its path overwritten by another task's (or
 * overwrite another's) and be judged against the wrong path.  A stamp checked
 * after the decision does not close that: the preempted task, once resumed,
 * goes on writing (inside bpf_d_path or the walk) without stamping again.
 * So a buffer is used only by the program that took it.  A preempted holder
 * keeps its buffer until it runs again, which under full preemption and many
 * busy tasks per CPU happens often enough to exhaust any fixed number of
 * buffers; a program that finds all KS_SLOTS taken uses its task's own buffer
 * (karmor_taskbuf: a task runs one hook at a time), allocated then and freed
 * with the task.  Only if that allocation fails does it fail closed: Block,
 * KARMOR_EV_PATH_ERROR. */
#define KS_BUF_SIZE	(2 * KARMOR_PATH_MAX)
#define KS_MASK		(KS_BUF_SIZE - 1)
#define KS_SLOTS	4
#define KS_PREFIXES	128	/* > KARMOR_MAX_DEPTH + 1: the scan counts past the limit before refusing */
#define KS_PREFIX_MASK	(KS_PREFIXES - 1)
struct karmor_scratch {
	char buf[KS_BUF_SIZE + 256];
	/* programs between their increment and decrement of it; the buffer
	 * is ours only if our increment made it 1 (karmor_scratch_claim) */
	__u64 busy;
	/* Never written: zeros the verifier cannot know.  Linux 6.1 checks a
	 * bpf_loop callback once, from the state at the call, and then
	 * hard-wires every branch it did not see taken; a counter or an
	 * accumulator that starts as a known 0 would lose the branches of
	 * later iterations (a depth limit never firing, karmor_min_id always
	 * taking its first branch).  Values loaded from a map are unknown to
	 * it, so loop state starts from these. */
	struct karmor_effect zero_eff[4];
	__u32 zero;
	/* the path scan's prefixes (karmor_scan_bytes): prefix d's running
	 * hash and the position of the '/' that ends it */
	struct karmor_prefix {
		__u64 h;
		__u32 pos;
		__u32 pad;
	} pref[KS_PREFIXES];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_SLOTS);
	__type(key, __u32);
	__type(value, struct karmor_scratch);
} karmor_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct karmor_scratch);
} karmor_taskbuf SEC(".maps");

/* events lost because the ring buffer was full (index 0) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} karmor_drops SEC(".maps");

/* ------------------------------------------------------ kernel constants */
/* macros in the kernel headers, so not in vmlinux.h */
#define K_EPERM		1
#define K_EACCES	13
#define K_AF_INET	2
#define K_AF_INET6	10
#define K_SOCK_STREAM	1
#define K_SOCK_DGRAM	2
#define K_SOCK_RAW	3
#define K_SOCK_SEQPACKET 5
#define K_SOCK_TYPE_MASK 0xf
#define K_IPPROTO_ICMPV6 58
#define K_S_IFMT	00170000
#define K_S_IFSOCK	0140000
#define K_S_IFLNK	0120000
#define K_S_IFREG	0100000
#define K_S_IFBLK	0060000
#define K_S_IFDIR	0040000
#define K_S_IFCHR	0020000
#define K_FMODE_READ	0x1u
#define K_FMODE_WRITE	0x2u
#define K_FMODE_EXEC	0x20u
#define K___FMODE_EXEC	0x20u	/* in f_flags: open_exec(); 6.1 sets f_mode's FMODE_EXEC only after file_open */
#define K_O_TRUNC	01000
#define K_MAY_WRITE	0x2
#define K_MAY_READ	0x4
#define K_MAY_APPEND	0x8
#define K_CAP_OPT_NOAUDIT 0x2u
#define K_PF_KTHREAD	0x00200000u
#define K_S_IFIFO	0010000
#define K_AF_PACKET	17
#define K_PROT_WRITE	0x2u
#define K_PROT_EXEC	0x4u
#define K_MAP_SHARED	0x1u
#define K_VM_WRITE	0x2u
#define K_VM_EXEC	0x4u
#define K_VM_SHARED	0x8u
#define K_CLONE_INTO_CGROUP 0x200000000ULL
#define K_PTRACE_MODE_NOAUDIT 0x04u
#define K_ATTR_MODE	0x1u
#define K_ATTR_UID	0x2u
#define K_ATTR_GID	0x4u
#define K_ATTR_SIZE	0x8u
#define K_ATTR_ATIME	0x10u
#define K_ATTR_MTIME	0x20u
/* superblock magics (linux/magic.h) */
#define K_PROC_SUPER_MAGIC	0x9fa0u
#define K_CGROUP_SUPER_MAGIC	0x27e0ebu
#define K_CGROUP2_SUPER_MAGIC	0x63677270u
#define K_BPF_FS_MAGIC		0xcafe4a11u
#define K_SB_KERNMOUNT	(1u << 22)

#define KARMOR_NSRC	(1 + KARMOR_MAX_TASK_SOURCES)	/* source 0 + the task's slots */

/* --------------------------------------------------------------- target */
/* The verifier explores every path through inlined loops and branches; the
 * loops below that do lookups run as bpf_loop callbacks, which it checks once
 * (a program with the loops inlined went past 1M instructions). */
struct karmor_anc {
	__u32 *sl;
	int top;	/* the deepest level to try: the parent's */
};

/* karmor_who: the task is in no target (0), in one (1), or too deep in the
 * cgroup tree to tell (KARMOR_WHO_REFUSE: every operation is refused,
 * without an event, since no target can be named) */
#define KARMOR_WHO_REFUSE	(-1)

/* apply --mode=monitor: a Block becomes an Audit (reported, permitted) here, at
 * the last step, so the images and every lookup stay those of enforce mode */
static __always_inline int karmor_monitoring(void)
{
	__u32 zero = 0;
	struct karmor_config *cfg = bpf_map_lookup_elem(&karmor_config, &zero);

	return cfg && cfg->monitor;
}

static __always_inline int karmor_mode(int verdict)
{
	return verdict == KARMOR_BLOCK && karmor_monitoring() ? KARMOR_AUDIT : verdict;
}

/* what a hook returns for a task karmor_who did not place in a target */
static __always_inline int karmor_unjudged(int who, int err)
{
	return who == KARMOR_WHO_REFUSE && !karmor_monitoring() ? -err : 0;
}

/* ancestor levels, deepest first */
static long karmor_anc_step(__u32 i, void *arg)
{
	struct karmor_anc *c = arg;
	int level = c->top - (int)i;
	__u64 a;

	if (level < 0)
		return 1;
	a = bpf_get_current_ancestor_cgroup_id(level);
	if (!a)
		return 0;
	c->sl = bpf_map_lookup_elem(&karmor_cgroups, &a);
	return c->sl ? 1 : 0;
}

/* Cgroup programs cannot read the task's cgroup level: walk the ancestors
 * down from the root to the task's own cgroup instead, keeping the deepest
 * bound one (O(depth), only at socket creation and only while some cgroup is
 * bound). */
struct karmor_anc_down {
	__u64 id;	/* the task's own cgroup (already missed) */
	__u32 *sl;	/* the deepest bound ancestor so far */
	__u32 found;	/* its level */
	__u32 own;	/* the task's level, once reached */
	__u32 done;	/* own level reached */
};

static long karmor_anc_down_step(__u32 i, void *arg)
{
	struct karmor_anc_down *c = arg;
	__u64 a = bpf_get_current_ancestor_cgroup_id((int)i);
	__u32 *sl;

	if (!a)
		return 1;
	if (a == c->id) {
		c->own = i;
		c->done = 1;
		return 1;
	}
	sl = bpf_map_lookup_elem(&karmor_cgroups, &a);
	if (sl) {
		c->sl = sl;
		c->found = i;
	}
	return 0;
}

struct karmor_who {
	__u64 cgid;
	struct karmor_target *tgt;
	__u32 slot;
};

/* The target of the current task, or 0.  Runs for every hooked operation of
 * every process on the host: an unbound task costs one cgroup-id read and one
 * hash miss (plus the ancestor walk only while some cgroup is bound). */
/* this copy's generation is the active one (bpf/karmor.h: generations); a
 * subprogram of its own, so its few stack bytes are not added to the hooks' */
static __noinline int karmor_judging(void)
{
	__u32 zero = 0;
	struct karmor_config *cfg = bpf_map_lookup_elem(&karmor_config, &zero);
	__u32 *live = bpf_map_lookup_elem(&karmor_active, &zero);

	return cfg && live && *live == cfg->generation;
}

static __always_inline int karmor_who(struct karmor_who *w, int lsm)
{
	__u64 id = bpf_get_current_cgroup_id();
	__u32 *sl;
	__u32 slot;

	w->cgid = id;
	/* a generation that is not (or no longer) the active one judges nothing */
	if (!karmor_judging())
		return 0;
	sl = bpf_map_lookup_elem(&karmor_cgroups, &id);
	if (sl) {
		slot = *sl;
	} else {
		__u32 zero = 0;
		struct karmor_config *cfg = bpf_map_lookup_elem(&karmor_config, &zero);

		if (!cfg)
			return 0;
		if (cfg->nbound) {
			/* the nearest bound ancestor among the
			 * KARMOR_CGROUP_LEVELS levels above the task's own */
			if (lsm) {
				int level = bpf_get_current_task_btf()->cgroups->dfl_cgrp->level;
				struct karmor_anc c = { .sl = 0, .top = level - 1 };

				/* deeper than the walk reaches: it may be below a
				 * bound cgroup (a workload that can make cgroups
				 * could nest itself out of its target), so refuse */
				if (level > KARMOR_CGROUP_LEVELS)
					return KARMOR_WHO_REFUSE;
				if (level > 0)
					bpf_loop(level, karmor_anc_step, &c, 0);
				sl = c.sl;
			} else {
				__u32 zero = 0;
				struct karmor_scratch *s = bpf_map_lookup_elem(&karmor_scratch, &zero);
				struct karmor_anc_down c = { .id = id, .sl = 0 };

				if (!s)
					return 0;
				/* unknown zeros (see karmor_scratch) */
				c.found = s->zero;
				c.own = s->zero;
				c.done = s->zero;
				bpf_loop(KARMOR_CGROUP_LEVELS, karmor_anc_down_step, &c, 0);
				if (!c.done)
					return KARMOR_WHO_REFUSE;	/* as above */
				sl = c.sl;
			}
		}
		if (sl)
			slot = *sl;
		else if (cfg->host_target)
			slot = cfg->host_target - 1;
		else
			return 0;
	}
	if (slot >= KARMOR_MAX_TARGETS)
		return 0;
	w->tgt = bpf_map_lookup_elem(&karmor_targets, &slot);
	if (!w->tgt || !(w->tgt->flags & KARMOR_TF_LOADED))
		return 0;
	w->slot = slot;
	/* kernel threads sit in the root cgroup: a host target must not
	 * confine the kernel's own work */
	if (lsm && (bpf_get_current_task_btf()->flags & K_PF_KTHREAD))
		return 0;
	return 1;
}

/* ------------------------------------------------------ counters, events */
static __always_inline void karmor_count(__u32 slot, int verdict)
{
	__u32 k = slot * 3 + (__u32)verdict;
	__u64 *c = bpf_map_lookup_elem(&karmor_counters, &k);

	if (c)
		*c += 1;
}

struct karmor_report {
	__u64 cgid;
	struct karmor_task *t;	/* the task's storage, NULL = not read / none */
	const char *res;	/* resource, NUL-terminated, or NULL */
	__u32 res_len;
	__u32 slot;
	__u32 rule;
	__s32 retval;
	__u32 arg;
	__u32 flags;
	__u16 op;
	__u8 verdict;
};

/* the number of pid p in the pid namespace at `level`, or 0 when p is not
 * in it (a process of an outer namespace) */
static __always_inline __u32 karmor_ns_pid(struct pid *p, unsigned int level)
{
	if (!p || BPF_CORE_READ(p, level) != level)
		return 0;
	return BPF_CORE_READ(p, numbers[level].nr);
}

static __always_inline void karmor_emit(const struct karmor_report *r)
{
	struct karmor_event *e = bpf_ringbuf_reserve(&karmor_events, sizeof(*e), 0);
	struct task_struct *task;
	struct pid *own;
	unsigned int level;
	__u64 pt;
	__u32 flags = r->flags;

	if (!e) {
		__u32 zero = 0;
		__u64 *d = bpf_map_lookup_elem(&karmor_drops, &zero);

		if (d)
			*d += 1;
		return;
	}
	task = (struct task_struct *)bpf_get_current_task();
	pt = bpf_get_current_pid_tgid();
	e->ts_boot_ns = bpf_ktime_get_boot_ns();
	e->cgroup_id = r->cgid;
	e->pid = (__u32)(pt >> 32);
	e->tid = (__u32)pt;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	own = BPF_CORE_READ(task, group_leader, thread_pid);
	level = BPF_CORE_READ(own, level);
	e->ns_pid = BPF_CORE_READ(own, numbers[level].nr);
	e->ns_ppid = karmor_ns_pid(BPF_CORE_READ(task, real_parent, group_leader, thread_pid), level);
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->target = r->slot;
	e->rule = r->rule;
	e->retval = r->retval;
	e->arg = r->arg;
	e->op = r->op;
	e->verdict = r->verdict;
	e->pad0 = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	BPF_CORE_READ_STR_INTO(&e->pcomm, task, real_parent, comm);
	if (r->t && r->t->exe_len) {
		bpf_probe_read_kernel_str(e->source, sizeof(e->source), r->t->exe);
		if (r->t->exe_len >= KARMOR_EVENT_PATH)
			flags |= KARMOR_EV_SRC_TRUNC;
	} else {
		e->source[0] = 0;
		flags |= KARMOR_EV_SRC_UNKNOWN;
	}
	if (r->res) {
		bpf_probe_read_kernel_str(e->resource, sizeof(e->resource), r->res);
		if (r->res_len >= KARMOR_EVENT_PATH)
			flags |= KARMOR_EV_RES_TRUNC;
	} else {
		e->resource[0] = 0;
	}
	e->flags = flags;
	__builtin_memset(e->sysargs, 0, sizeof(e->sysargs));
	bpf_ringbuf_submit(e, 0);
}

/*
 * The current task's storage.  Its executable is recorded at exec
 * (bprm_committed_creds) and copied at fork (task_alloc); a task already
 * running when the programs were loaded has none.  Sleepable hooks fill it in
 * then from current->mm->exe_file -- what /proc/self/exe shows -- with
 * bpf_d_path, which Linux allows only in sleepable LSM hooks; the others leave
 * it unknown (no fromSource spec matches it).  current->mm and its exe_file
 * stay put while the task runs this hook: only prctl(PR_SET_MM_EXE_FILE) from
 * another thread of the process swaps exe_file, and bpf_d_path copies the
 * struct path fault-safely.  A path longer than KARMOR_EXE_MAX stays unknown
 * (and is tried again at the next operation).
 * Created if missing, so NULL means the kernel refused it: Linux 6.1's
 * bpf_task_storage_get returns NULL while another program on this CPU is
 * inside a task-storage helper (its per-CPU busy lock; possible when that one
 * was preempted), or the allocation failed.
 */
static __always_inline struct karmor_task *karmor_task_get(int sleepable)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct karmor_task *t;
	struct mm_struct *mm;
	struct file *exe;
	long n;

	t = bpf_task_storage_get(&karmor_tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t || t->exe_len || !sleepable)
		return t;
	mm = task->mm;
	if (!mm)
		return t;
	exe = mm->exe_file;
	if (!exe)
		return t;
	n = bpf_d_path((struct path *)&exe->f_path, t->exe, KARMOR_EXE_MAX);
	t->exe_len = n > 1 ? (__u32)(n - 1) : 0;
	t->cache_target = 0;
	t->nslots = 0;
	return t;
}

/* count, emit (Audit and Block only), turn the verdict into the hook's return */
static __always_inline int karmor_finish(struct karmor_report *r, int verdict, int err, int sleepable)
{
	verdict = karmor_mode(verdict);
	r->verdict = (__u8)verdict;
	r->retval = verdict == KARMOR_BLOCK ? -err : 0;
	karmor_count(r->slot, verdict);
	if (verdict != KARMOR_ALLOW) {
		if (!r->t || (sleepable && !r->t->exe_len))
			r->t = karmor_task_get(sleepable);
		karmor_emit(r);
	}
	return r->retval;
}

/* ------------------------------------------------------ fromSource slots */
struct karmor_srcscan {
	struct karmor_task *t;
	__u64 h;
	__u32 target;
	__u16 direct;	/* direct slot of the latest prefix (counts if it is the parent) */
};

static long karmor_src_byte(__u32 i, void *arg)
{
	struct karmor_srcscan *c = arg;
	struct karmor_task *t = c->t;
	struct karmor_src_key k;
	struct karmor_src_value *v;
	unsigned char ch;

	if (!t)
		return 1;
	ch = (unsigned char)t->exe[i & (KARMOR_EXE_MAX - 1)];
	c->h = karmor_hash_step(c->h, ch);
	if (ch != '/')
		return 0;
	k.hash = karmor_hash_final(c->h);
	k.target = c->target;
	k.role = KARMOR_ROLE_DIR;
	v = bpf_map_lookup_elem(&karmor_srcs, &k);
	c->direct = 0;
	if (v) {
		karmor_slots_add(t->slots, &t->nslots, v->recursive);
		c->direct = v->direct;
	}
	return 0;
}

/* The sources an operation is looked up for: 0, then the fromSource slots
 * the task's executable matches (cached in its storage per target and
 * generation).  Returns the task storage when it was read. */
static __always_inline struct karmor_task *karmor_sources(const struct karmor_who *w, int sleepable, __u16 *src,
							  __u8 *nsrc, __u32 *evflags)
{
	struct karmor_task *t;

	src[0] = 0;
	*nsrc = 1;
	if (!(w->tgt->flags & KARMOR_TF_SOURCES))
		return 0;
	t = karmor_task_get(sleepable);
	if (!t) {
		/* the executable cannot be known now: judging without its
		 * fromSource rules could miss a Block, so fail closed */
		*evflags |= KARMOR_EV_SRC_UNKNOWN | KARMOR_EV_PATH_ERROR;
		return t;
	}
	if (!t->exe_len || t->exe_len >= KARMOR_EXE_MAX) {
		/* an unknown executable matches no fromSource spec */
		*evflags |= KARMOR_EV_SRC_UNKNOWN;
		return t;
	}
	if (t->cache_target != w->slot + 1 || t->cache_generation != w->tgt->generation) {
		struct karmor_srcscan c = { .t = t, .h = karmor_hash_seed, .target = w->slot };
		struct karmor_src_key k = {};
		struct karmor_src_value *v;

		t->nslots = 0;
		bpf_loop(t->exe_len, karmor_src_byte, &c, 0);
		karmor_slots_add(t->slots, &t->nslots, c.direct);
		k.hash = karmor_hash_final(c.h);
		k.target = w->slot;
		k.role = KARMOR_ROLE_EXACT;
		v = bpf_map_lookup_elem(&karmor_srcs, &k);
		if (v)
			karmor_slots_add(t->slots, &t->nslots, v->exact);
		t->cache_target = w->slot + 1;
		t->cache_generation = w->tgt->generation;
	}
	/* all of them, no branches: only the first nslots are used */
	for (int i = 0; i < KARMOR_MAX_TASK_SOURCES; i++)
		src[1 + i] = t->slots[i];
	*nsrc = (__u8)(1 + (t->nslots < KARMOR_MAX_TASK_SOURCES ? t->nslots : KARMOR_MAX_TASK_SOURCES));
	return t;
}

/* -------------------------------------------------------- the path scan */
struct karmor_scan {
	struct karmor_scratch *s;
	__u64 h, hbase;
	__u32 off, len;		/* the path: s->buf[off .. off+len) */
	__u32 target;
	__u32 depth;
	__u8 cls;
	__u8 nsrc;
	__u8 err;
	__u8 execname;		/* look up the last component */
	__u8 anc;		/* look up ROLE_ANC too: the rename of a directory */
	__u8 dirs;		/* the target has ROLE_DIR keys of this class: look the prefixes up */
	__u16 src[KARMOR_NSRC];
	__u64 hdir;		/* the current prefix's key */
	__u64 hexact, hname;	/* the keys after the prefixes */
	__u32 dfa;		/* base of the target's pattern automaton, 0 = it has no glob */
	__u32 dcols;		/* the automaton's columns */
	__u32 dstate;		/* its state after the bytes scanned so far (0: dead) */
	__u32 dset;		/* the set of globs karmor_scan_set looks up */
	__u8 drole;		/* ... as KARMOR_ROLE_PATTERN or KARMOR_ROLE_BELOW */
	__u8 exact_role;	/* ROLE_EXACT, or ROLE_SELF when the object is a directory */
	struct karmor_match m;
};

/* One byte through the pattern automaton: its column, then the next state. */
static __always_inline int karmor_dfa_step(struct karmor_scan *c, unsigned char ch)
{
	__u32 k = c->dfa + KARMOR_DFA_CLASSES + ch;
	__u32 *col = bpf_map_lookup_elem(&karmor_dfa, &k);
	if (!col)
		return -1;
	k = c->dfa + (__u32)karmor_dfa_next(c->dstate, c->dcols, *col);
	__u32 *to = bpf_map_lookup_elem(&karmor_dfa, &k);
	if (!to)
		return -1;
	c->dstate = *to;
	return 0;
}

/* a directory prefix, for source c->src[j] */
static long karmor_scan_prefix(__u32 j, void *arg)
{
	struct karmor_scan *c = arg;
	struct karmor_path_key k;
	struct karmor_path_value *v;

	if (j >= KARMOR_NSRC)
		return 1;
	k.hash = c->hdir;
	k.target = c->target;
	k.source = c->src[j];
	k.role = KARMOR_ROLE_DIR;
	k.cls = c->cls;
	v = bpf_map_lookup_elem(&karmor_paths, &k);
	if (v)
		karmor_match_dir(&c->m, v);
	return 0;
}

/*
 * The bytes of the scan (karmor.h: the path scan), KARMOR_SCAN_CHUNK per
 * bpf_loop round: the running hash, the depth and the automaton's state stay
 * in registers within a round, and no byte branches (the '/' test is
 * arithmetic), so the verifier checks a round once and the kernel runs a
 * dozen instructions a byte.  Every byte stores the running hash and its
 * position at pref[depth]: the last store at depth d is the '/' that ends
 * prefix d, so after the scan pref[0 .. depth) are the directory prefixes,
 * looked up afterwards (karmor_scan_dir) only by a target with dir keys.
 */
#define KARMOR_SCAN_CHUNK 8

static __always_inline long karmor_scan_bytes(__u32 i, struct karmor_scan *c, int with_dfa)
{
	struct karmor_scratch *s = c->s;
	__u64 h = c->h, depth = c->depth, state = c->dstate;
	__u32 pos = i * KARMOR_SCAN_CHUNK, key;
	long done = 0;

	if (!s)
		return 1;
#pragma unroll
	for (int k = 0; k < KARMOR_SCAN_CHUNK; k++) {
		__u64 ch, slash;
		struct karmor_prefix *p;

		if (pos >= c->len) {
			done = 1;
			break;
		}
		ch = (unsigned char)s->buf[(c->off + pos) & KS_MASK];
		if (with_dfa) {
			__u32 *w;

			/* c's fields read at each byte: fewer registers to spill (the
			 * callback's frame adds to the hook's 512 bytes) */
			key = c->dfa + KARMOR_DFA_CLASSES + (__u32)ch;
			w = bpf_map_lookup_elem(&karmor_dfa, &key);

			if (!w) {
				c->err = 1;	/* cannot happen: the loader checked every word */
				return 1;
			}
			key = c->dfa + (__u32)karmor_dfa_next(state, c->dcols, *w);
			w = bpf_map_lookup_elem(&karmor_dfa, &key);
			if (!w) {
				c->err = 1;
				return 1;
			}
			state = *w;
		}
		h = karmor_hash_step(h, (unsigned char)ch);
		p = &s->pref[depth & KS_PREFIX_MASK];
		p->h = h;
		p->pos = pos;
		/* 1 for '/', else 0, with no branch (the compiler must not make one) */
		slash = (ch ^ '/') - 1;
		asm volatile("" : "+r"(slash));
		depth += slash >> 63;
		pos++;
	}
	c->h = h;
	c->depth = (__u32)depth;
	c->dstate = (__u32)state;
	return done;
}

/* A target with globs steps its automaton at every byte (a dead state stays
 * dead, as the loader checked).  One callback for both, so that the hook
 * after the loop is verified once, not once per kind of target. */
static long karmor_scan_chunk(__u32 i, void *arg)
{
	struct karmor_scan *c = arg;

	if (c->dfa)
		return karmor_scan_bytes(i, c, 1);
	return karmor_scan_bytes(i, c, 0);
}

/* directory prefix d (pref[d]): its dir keys, for every source */
static long karmor_scan_dir(__u32 d, void *arg)
{
	struct karmor_scan *c = arg;
	struct karmor_scratch *s = c->s;

	if (!s)
		return 1;
	karmor_match_begin_prefix(&c->m);
	/* the same zeros, unknown to the verifier (see karmor_scratch) */
	c->m.pending[0] = s->zero_eff[2];
	c->m.pending[1] = s->zero_eff[3];
	c->hdir = karmor_hash_final(s->pref[d & KS_PREFIX_MASK].h);
	bpf_loop(c->nsrc, karmor_scan_prefix, c, 0);
	return 0;
}

/* the last component (after the '/' that ends the last prefix) */
static __always_inline __u32 karmor_scan_name_at(const struct karmor_scan *c)
{
	return c->s->pref[(c->depth - 1) & KS_PREFIX_MASK].pos + 1;
}

/* one byte of the last component: its hash for the exec-name keys */
static long karmor_scan_name(__u32 i, void *arg)
{
	struct karmor_scan *c = arg;
	struct karmor_scratch *s = c->s;

	if (!s)
		return 1;
	c->hbase = karmor_hash_step(c->hbase, (unsigned char)s->buf[(c->off + karmor_scan_name_at(c) + i) & KS_MASK]);
	return 0;
}

/* the keys of the object itself, for source c->src[j]: the full path and the
 * last component.  No "D/" key for a directory D: the compiler puts every dir
 * rule's effects under the ROLE_EXACT key "D" too (karmor.h: the path scan). */
static long karmor_scan_final(__u32 j, void *arg)
{
	struct karmor_scan *c = arg;
	struct karmor_path_key k;
	struct karmor_path_value *v;

	if (j >= KARMOR_NSRC)
		return 1;
	k.target = c->target;
	k.cls = c->cls;
	k.source = c->src[j];
	k.hash = c->hexact;
	k.role = c->exact_role;
	v = bpf_map_lookup_elem(&karmor_paths, &k);
	if (v)
		karmor_match_main(&c->m, v);
	if (c->execname) {
		k.hash = c->hname;
		k.role = KARMOR_ROLE_EXECNAME;
		v = bpf_map_lookup_elem(&karmor_paths, &k);
		if (v)
			karmor_match_main(&c->m, v);
	}
	if (c->anc) {
		/* the rules that protect paths below this directory (DESIGN §4.12) */
		k.hash = c->hexact;
		k.role = KARMOR_ROLE_ANC;
		v = bpf_map_lookup_elem(&karmor_paths, &k);
		if (v)
			karmor_match_main(&c->m, v);
	}
	return 0;
}

/* the set of globs c->dset (its accepting state's, or the one below it) for source c->src[j] */
static long karmor_scan_set(__u32 j, void *arg)
{
	struct karmor_scan *c = arg;
	struct karmor_path_key k;
	struct karmor_path_value *v;

	if (j >= KARMOR_NSRC)
		return 1;
	k.hash = c->dset;
	k.target = c->target;
	k.source = c->src[j];
	k.role = c->drole;
	k.cls = c->drole == KARMOR_ROLE_BELOW ? KARMOR_CLS_FILE : c->cls;
	v = bpf_map_lookup_elem(&karmor_paths, &k);
	if (v)
		karmor_match_main(&c->m, v);
	return 0;
}

/* The word at the automaton's base + off, or 0 when there is none (never: checked at load). */
static __always_inline __u32 karmor_dfa_word(const struct karmor_scan *c, __u64 off)
{
	__u32 k = c->dfa + (__u32)off;
	__u32 *w = bpf_map_lookup_elem(&karmor_dfa, &k);
	return w ? *w : 0;
}

/*
 * The verdict for the resolved path in c (c->m initialised with the accesses).
 * A path that could not be resolved completely (longer than KARMOR_PATH_MAX,
 * deeper than KARMOR_MAX_DEPTH, or bpf_d_path failed) is Blocked for a bound
 * task: any rule could have named it or one of its prefixes, and letting it
 * pass would let a workload escape a Block rule (or an allow-list) just by
 * nesting directories.  Legitimate workloads do not use such paths.
 */
static __always_inline int karmor_path_verdict(struct karmor_scan *c, const struct karmor_who *w, __u32 *rule,
					      __u32 *evflags)
{
	int is_dir = (*evflags & KARMOR_EV_DIR) != 0;	/* the object is a directory */

	*rule = KARMOR_RULE_NONE;
	if (c->err || !c->len || c->len >= KARMOR_PATH_MAX || (*evflags & KARMOR_EV_PATH_ERROR)) {
		*evflags |= KARMOR_EV_PATH_ERROR;
		return KARMOR_BLOCK;
	}
	c->h = karmor_hash_seed;
	c->hbase = karmor_hash_seed;
	c->depth = c->s->zero;
	c->target = w->slot;
	c->dirs = (w->tgt->flags & (c->cls == KARMOR_CLS_PROCESS ? KARMOR_TF_DIRS_PROC : KARMOR_TF_DIRS_FILE)) != 0;
	/* the accumulators are 0 (karmor_match_init): as unknown zeros */
	c->m.acc[0] = c->s->zero_eff[0];
	c->m.acc[1] = c->s->zero_eff[1];
	c->m.pending[0] = c->s->zero_eff[2];
	c->m.pending[1] = c->s->zero_eff[3];
	/* the automaton starts at KARMOR_DFA_START, as a value the verifier cannot know
	 * (see karmor_scratch); no automaton: state 0, and no step is taken */
	c->dfa = w->tgt->dfa;
	c->dstate = c->s->zero;
	if (c->dfa) {
		c->dcols = karmor_dfa_word(c, KARMOR_DFA_NCLASSES);
		c->dstate += KARMOR_DFA_START;
	}
	bpf_loop((c->len + KARMOR_SCAN_CHUNK - 1) / KARMOR_SCAN_CHUNK, karmor_scan_chunk, c, 0);
	if (c->err || c->depth > KARMOR_MAX_DEPTH) {
		*evflags |= KARMOR_EV_PATH_ERROR;
		return KARMOR_BLOCK;
	}
	/* the prefixes, only for a target with dir keys of the class: as a
	 * count, not a branch (one continuation for the verifier) */
	bpf_loop(c->depth & -(__u32)c->dirs, karmor_scan_dir, c, 0);
	karmor_match_end_prefixes(&c->m);
	if (c->dfa && c->dstate) {
		/* for a renamed directory, the globs matching below it */
		__u32 n = karmor_dfa_word(c, KARMOR_DFA_NSTATES);
		if (c->anc) {
			c->dset = karmor_dfa_word(c, karmor_dfa_below(n, c->dcols) + c->dstate);
			c->drole = KARMOR_ROLE_BELOW;
			if (c->dset)
				bpf_loop(c->nsrc, karmor_scan_set, c, 0);
		}
		/* the globs matching the whole path: a directory's with its '/', as the model reads it */
		if (is_dir && c->len > 1 && karmor_dfa_step(c, '/')) {
			*evflags |= KARMOR_EV_PATH_ERROR;
			return KARMOR_BLOCK;
		}
		c->dset = karmor_dfa_word(c, karmor_dfa_accept(n, c->dcols) + c->dstate);
		c->drole = KARMOR_ROLE_PATTERN;
		if (c->dset)
			bpf_loop(c->nsrc, karmor_scan_set, c, 0);
	}
	if (c->len > 1) {
		c->hexact = karmor_hash_final(c->h);
		c->execname = !is_dir && (w->tgt->flags & (c->cls == KARMOR_CLS_PROCESS ? KARMOR_TF_EXECNAME_PROC
											    : KARMOR_TF_EXECNAME_FILE)) != 0;
		/* the bytes after the last '/' (the path starts with one), only for
		 * a target with exec-name keys; a count again, not a branch */
		bpf_loop((c->len - karmor_scan_name_at(c)) & -(__u32)c->execname, karmor_scan_name, c, 0);
		c->hname = karmor_hash_final(c->hbase);
		/* as a value the verifier cannot know (see karmor_scratch): the callback is checked once */
		c->exact_role = (__u8)(c->s->zero + (is_dir ? KARMOR_ROLE_SELF : KARMOR_ROLE_EXACT));
		bpf_loop(c->nsrc, karmor_scan_final, c, 0);
	}
	return karmor_match_verdict(&c->m, w->tgt->allow_list[KARMOR_PC_FILE], w->tgt->posture[KARMOR_PC_FILE],
				    rule);
}

/* ------------------------------------------------------ path resolution */
/*
 * DESIGN §4.12: a path is judged as the target's processes see it from the
 * root of their mount namespace, whatever their own root (chroot, pivot of a
 * task's fs), and a deleted or replaced file keeps the path it had.
 * bpf_d_path resolves against the task's root and appends " (deleted)", so it
 * is used only when that is the same thing (karmor_dpath_ok: the usual case,
 * and the cheap one); otherwise the dentries are walked up to the namespace's
 * root.  An object on a mount that is not in the task's mount namespace (a
 * tree cloned with open_tree, a descriptor from another namespace) or a
 * disconnected dentry has no path there: the walk fails, and the operation is
 * Blocked (KARMOR_EV_PATH_ERROR).  Character devices are the exception: a
 * terminal or /dev/null handed in from another namespace is judged by its
 * path in its own.
 */
static __always_inline struct mount *karmor_real_mount(const struct vfsmount *v)
{
	return (struct mount *)((char *)v - bpf_core_field_offset(struct mount, mnt));
}

static __always_inline struct vfsmount *karmor_vfsmount(const struct mount *m)
{
	return (struct vfsmount *)((char *)m + bpf_core_field_offset(struct mount, mnt));
}

/* the root mount of the current task's mount namespace */
static __always_inline struct mount *karmor_ns_top(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();

	return BPF_CORE_READ(task, nsproxy, mnt_ns, root);
}

/* bpf_d_path gives the namespace path: the object's mount is in the task's
 * namespace, it is not unlinked, and the task's root is the namespace's top
 * (the root mount, or the one mount on its root: a host's "/" on rootfs, a
 * container's root after pivot_root).  This runs on every judged open and
 * exec: p must be a typed pointer (a hook's argument), so that all but the
 * reads of struct mount (reached by container_of, which only
 * bpf_probe_read_kernel can follow) are plain fault-safe loads -- one helper
 * call in the usual case instead of a dozen. */
static __always_inline int karmor_dpath_ok(const struct path *p)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mnt_namespace *ns = task->nsproxy->mnt_ns;
	struct mount *top = ns->root;
	struct vfsmount *rmnt = task->fs->root.mnt;
	struct dentry *d = p->dentry;
	struct mount *rm;

	if (!d->d_hash.pprev && d->d_parent != d)
		return 0;	/* unlinked (d_unlinked) */
	if (task->fs->root.dentry != rmnt->mnt_root)
		return 0;	/* chroot into a directory */
	if ((__u64)BPF_CORE_READ(karmor_real_mount(p->mnt), mnt_ns) != (__u64)ns)
		return 0;
	rm = karmor_real_mount(rmnt);
	if ((__u64)rm == (__u64)top)
		return 1;
	return (__u64)BPF_CORE_READ(rm, mnt_parent) == (__u64)top &&
	       (__u64)BPF_CORE_READ(rm, mnt_mountpoint) == (__u64)top->mnt.mnt_root;
}

struct karmor_walk {
	struct karmor_scratch *s;
	struct dentry *d;
	struct vfsmount *vmnt;
	struct dentry *root_d;
	struct vfsmount *root_mnt;
	__u32 pos;	/* the path built so far: s->buf[pos .. KARMOR_PATH_MAX) */
	__u32 depth;
	__u8 done;
	__u8 err;
	__u8 sbrel;	/* no mount known: stop at the filesystem's root (/proc) */
	__u8 lenient;	/* a character device: the top of another tree ends the path */
};

static long karmor_walk_step(__u32 i, void *arg)
{
	struct karmor_walk *c = arg;
	struct karmor_scratch *s = c->s;
	struct dentry *d = c->d, *parent, *mnt_root;
	struct vfsmount *vmnt = c->vmnt;	/* BPF_CORE_READ must not see c->: no CO-RE on our own struct */
	const unsigned char *name;
	__u32 len;

	if (!s)
		return 1;
	if (d == c->root_d && vmnt == c->root_mnt) {
		c->done = 1;	/* the root of the mount namespace */
		return 1;
	}
	parent = BPF_CORE_READ(d, d_parent);
	if (c->sbrel) {
		if (d == parent) {
			c->done = 1;
			return 1;
		}
	} else {
		mnt_root = BPF_CORE_READ(vmnt, mnt_root);
		if (d == mnt_root || d == parent) {
			struct mount *m, *mp;

			if (d != mnt_root) {
				c->err = 1;	/* a disconnected dentry: no path */
				return 1;
			}
			/* the root of a mount: continue at its mount point, one mount up */
			m = karmor_real_mount(vmnt);
			mp = BPF_CORE_READ(m, mnt_parent);
			if (mp == m) {
				/* the top of a tree that is not the namespace's */
				if (c->lenient)
					c->done = 1;
				else
					c->err = 1;
				return 1;
			}
			c->d = BPF_CORE_READ(m, mnt_mountpoint);
			c->vmnt = karmor_vfsmount(mp);
			return 0;
		}
	}
	if (++c->depth > KARMOR_MAX_DEPTH) {
		c->err = 1;
		return 1;
	}
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
	if (len > 255 || c->pos < len + 2) {
		c->err = 1;	/* longer than KARMOR_PATH_MAX - 1 */
		return 1;
	}
	c->pos -= len;
	bpf_probe_read_kernel(&s->buf[c->pos & KS_MASK], len & 255, name);
	c->pos -= 1;
	s->buf[c->pos & KS_MASK] = '/';
	c->d = parent;
	return 0;
}

/* walk the dentries up to the mount namespace's root, crossing mount points;
 * sbrel: only up to the filesystem's root (the caller prefixes its mount point) */
static __always_inline void karmor_resolve_walk(struct karmor_scan *c, struct dentry *d, struct vfsmount *mnt,
					       int sbrel)
{
	struct mount *top = karmor_ns_top();
	__u32 mode = BPF_CORE_READ(d, d_inode, i_mode) & K_S_IFMT;
	struct karmor_walk w = {
		.s = c->s,
		.d = d,
		.vmnt = mnt,
		.root_d = BPF_CORE_READ(top, mnt.mnt_root),
		.root_mnt = karmor_vfsmount(top),
		.pos = KARMOR_PATH_MAX,
		.depth = c->s->zero,	/* unknown to the verifier: see karmor_scratch */
		.sbrel = (__u8)sbrel,
		.lenient = mode == K_S_IFCHR,
	};

	c->s->buf[KARMOR_PATH_MAX] = 0;
	/* components plus mount crossings; running out is an error too */
	bpf_loop(KARMOR_MAX_DEPTH + 32, karmor_walk_step, &w, 0);
	if (w.pos == KARMOR_PATH_MAX && !w.err) {
		w.pos -= 1;
		c->s->buf[w.pos & KS_MASK] = '/';
	}
	c->off = w.pos;
	c->len = KARMOR_PATH_MAX - w.pos;
	c->err = w.err || !w.done;
}

/* sleepable hooks: bpf_d_path where it gives the namespace path, else the walk */
static __always_inline void karmor_resolve_path(struct karmor_scan *c, const struct path *p)
{
	long n;

	if (!karmor_dpath_ok(p)) {
		karmor_resolve_walk(c, BPF_CORE_READ(p, dentry), BPF_CORE_READ(p, mnt), 0);
		return;
	}
	n = bpf_d_path((struct path *)p, c->s->buf, KARMOR_PATH_MAX);
	c->off = 0;
	if (n <= 1) {
		c->s->buf[0] = 0;
		c->len = 0;
		c->err = 1;
		return;
	}
	c->len = (__u32)(n - 1);
}

/* ----------------------------------------------------- file operations */
/* Kernel objects reached from a hook's typed arguments (or from
 * bpf_get_current_task_btf) are read with plain loads, which the verifier
 * makes fault-safe: far cheaper than one bpf_probe_read_kernel per field.
 * Pointers that travelled as numbers (the global function, bpf_loop
 * callbacks) are read with BPF_CORE_READ. */
static __always_inline __u32 karmor_fsuid(void)
{
	return bpf_get_current_task_btf()->cred->fsuid.val;
}

/* owner: the acting user owns the object; a new object (no inode yet) is
 * the creator's */
static __always_inline int karmor_owner(struct inode *inode)
{
	if (!inode)
		return 1;
	return BPF_CORE_READ(inode, i_uid.val) == karmor_fsuid();
}

static __always_inline int karmor_mode_is_dir(struct inode *inode)
{
	return inode && (BPF_CORE_READ(inode, i_mode) & K_S_IFMT) == K_S_IFDIR;
}

/* objects with a path: REG, DIR, LNK, CHR, BLK, FIFO and SOCK on a mounted
 * filesystem (named FIFOs and unix sockets are files, DESIGN §4.12); not the
 * objects of the kernel's internal mounts (pipes, sockets, memfd, nsfs, anon
 * inodes), which no path names -- /proc links to them are judged by the
 * path they are reached through (karmor_proc_follow) */
static __always_inline int karmor_has_path(__u32 mode, unsigned long sb_flags)
{
	__u32 fmt = mode & K_S_IFMT;

	if (!(fmt == K_S_IFREG || fmt == K_S_IFDIR || fmt == K_S_IFLNK || fmt == K_S_IFCHR || fmt == K_S_IFBLK ||
	      fmt == K_S_IFIFO || fmt == K_S_IFSOCK))
		return 0;
	return !(sb_flags & K_SB_KERNMOUNT);
}

/*
 * Take a scratch buffer for the whole judgement (path, scan, event): one of
 * this CPU's, else the task's own; NULL if none (karmor_scratch).  A trylock
 * from the atomic add (one instruction: preemption cannot split it) and a
 * load, both on this CPU (the task's buffer: only this task touches it, the
 * check is a safeguard): if our increment made `busy` 1, nobody else was
 * between increment and decrement, and anyone who increments after us reads
 * 2 or more and backs off, so only we write the buffer until
 * karmor_scratch_release.  (No compare-and-swap: that needs -mcpu=v3; a plain
 * atomic add is v1.)  Two racing programs may both back off from a slot: they
 * try the next one.
 */
static __always_inline int karmor_scratch_trylock(struct karmor_scratch *s)
{
	__sync_fetch_and_add(&s->busy, 1);
	if (*(volatile __u64 *)&s->busy == 1)
		return 1;
	__sync_fetch_and_add(&s->busy, -1);
	return 0;
}

static __always_inline struct karmor_scratch *karmor_scratch_claim(void)
{
	struct karmor_scratch *s;

	for (__u32 i = 0; i < KS_SLOTS; i++) {
		__u32 k = i;

		s = bpf_map_lookup_elem(&karmor_scratch, &k);
		if (!s)
			return 0;
		if (karmor_scratch_trylock(s))
			return s;
	}
	s = bpf_task_storage_get(&karmor_taskbuf, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (s && karmor_scratch_trylock(s))
		return s;
	return 0;
}

static __always_inline void karmor_scratch_release(struct karmor_scratch *s)
{
	__sync_fetch_and_add(&s->busy, -1);
}

/* set up the scan for one access of one object */
static __always_inline void karmor_scan_init(struct karmor_scan *c, int cls, int reads, int writes, int owner)
{
	c->cls = (__u8)cls;
	c->err = 0;
	c->anc = 0;
	karmor_match_init(&c->m, reads, writes, owner);
}

static __always_inline __u32 karmor_access_flags(int reads, int writes, int owner, int is_dir)
{
	return (reads ? KARMOR_EV_READ : 0) | (writes ? KARMOR_EV_WRITE : 0) | (owner ? KARMOR_EV_OWNER : 0) |
	       (is_dir ? KARMOR_EV_DIR : 0);
}

/* no scratch buffer (karmor_scratch_claim): the path is not known, so fail
 * closed as for a path that cannot be resolved */
static __always_inline int karmor_busy(struct karmor_report *r, int err, int sleepable)
{
	r->flags |= KARMOR_EV_PATH_ERROR;
	r->rule = KARMOR_RULE_NONE;
	r->res = 0;
	return karmor_finish(r, KARMOR_BLOCK, err, sleepable);
}

/* A refusal of the confinement itself (DESIGN §4.12): Block, rule
 * KARMOR_RULE_CONFINE, with the resource when one is known */
static __always_inline int karmor_confine(const struct karmor_who *w, __u16 op, __u32 arg, const char *res,
					  __u32 res_len, int err)
{
	struct karmor_report r = {};

	r.cgid = w->cgid;
	r.slot = w->slot;
	r.op = op;
	r.arg = arg;
	r.rule = KARMOR_RULE_CONFINE;
	r.res = res;
	r.res_len = res_len;
	return karmor_finish(&r, KARMOR_BLOCK, err, 0);
}

/* the same for an operation on a path (mount points, pins): the event
 * names the path; a global function, checked once */
__attribute__((noinline)) int karmor_refuse_at(__u64 dentry, __u64 vmnt, __u32 op, __u32 arg)
{
	struct karmor_who w;
	struct karmor_scan c;
	int who, rc;

	who = karmor_who(&w, 1);
	if (who <= 0)
		return karmor_unjudged(who, K_EPERM);
	c.s = karmor_scratch_claim();
	if (!c.s)
		return karmor_confine(&w, (__u16)op, arg, 0, 0, K_EPERM);
	c.err = 0;
	karmor_resolve_walk(&c, (struct dentry *)dentry, (struct vfsmount *)vmnt, 0);
	rc = karmor_confine(&w, (__u16)op, arg, c.err ? 0 : &c.s->buf[c.off & KS_MASK], c.len, K_EPERM);
	karmor_scratch_release(c.s);
	return rc;
}

/* A write to one path (unlink, mkdir, ..., chmod): walk, scan, decide, report.
 * A global function, so the verifier checks it once instead of once per hook
 * (rename calls it twice: inlined, that blew the 1M-instruction limit).
 * Global functions take scalars: the kernel pointers travel as u64, and
 * opdir packs op (bits 0-15) and "the object is a directory" (bit 16). */
__attribute__((noinline)) int karmor_path_write(__u64 dentry, __u64 vmnt, __u64 inode_, __u32 opdir, __u32 arg)
{
	struct karmor_who w;
	struct karmor_scan c;
	struct karmor_report r = {};
	struct inode *inode = (struct inode *)inode_;
	int owner, verdict, is_dir = (opdir >> 16) & 1, who;

	who = karmor_who(&w, 1);
	if (who <= 0)
		return karmor_unjudged(who, K_EACCES);
	owner = karmor_owner(inode);
	r.cgid = w.cgid;
	r.slot = w.slot;
	r.op = (__u16)opdir;
	r.arg = arg;
	r.flags = karmor_access_flags(0, 1, owner, is_dir);
	c.s = karmor_scratch_claim();
	if (!c.s)
		return karmor_busy(&r, K_EACCES, 0);
	r.t = karmor_sources(&w, 0, c.src, &c.nsrc, &r.flags);
	karmor_scan_init(&c, KARMOR_CLS_FILE, 0, 1, owner);
	/* renaming a directory writes every path below it that a rule protects */
	c.anc = (__u16)opdir == KARMOR_OP_RENAME && is_dir && (w.tgt->flags & KARMOR_TF_ANC);
	karmor_resolve_walk(&c, (struct dentry *)dentry, (struct vfsmount *)vmnt, 0);
	verdict = karmor_path_verdict(&c, &w, &r.rule, &r.flags);
	/* the loader's pins and maps (DESIGN §4.12): never changed by a target */
	if (BPF_CORE_READ((struct dentry *)dentry, d_sb, s_magic) == K_BPF_FS_MAGIC) {
		verdict = KARMOR_BLOCK;
		r.rule = KARMOR_RULE_CONFINE;
	}
	r.res = &c.s->buf[c.off & KS_MASK];
	r.res_len = c.len;
	verdict = karmor_finish(&r, verdict, K_EACCES, 0);
	karmor_scratch_release(c.s);
	return verdict;
}

#define KARMOR_OPDIR(op, is_dir) ((__u32)(op) | ((is_dir) ? 0x10000u : 0u))

/* hook argument i as a plain number: a global function refuses typed pointers */
static __always_inline __u64 karmor_arg(unsigned long long *ctx, int i)
{
	unsigned long long *c = ctx;
	__u64 v = 0;

	/* hide c from the optimiser: the typed load of the same argument must
	 * stay a plain ctx access (the verifier refuses ctx + off derefs) */
	asm volatile("" : "+r"(c));
	bpf_probe_read_kernel(&v, sizeof(v), c + i);
	return v;
}

/* ------------------------------------------------------------- programs */
/* every exec, bound or not: the new executable of the task (fromSource) */
SEC("lsm.s/bprm_committed_creds")
int BPF_PROG(karmor_exec_commit, struct linux_binprm *bprm)
{
	struct karmor_task *t;
	struct file *f = bprm->file;
	long n;

	t = bpf_task_storage_get(&karmor_tasks, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!t || !f)
		return 0;
	n = bpf_d_path((struct path *)&f->f_path, t->exe, KARMOR_EXE_MAX);
	/* too long for KARMOR_EXE_MAX: unknown (matches no fromSource spec) */
	t->exe_len = n > 1 ? (__u32)(n - 1) : 0;
	t->cache_target = 0;
	t->nslots = 0;
	return 0;
}

/* fork/clone: the child runs the parent's executable until it execs */
SEC("lsm/task_alloc")
int BPF_PROG(karmor_task_alloc, struct task_struct *task, unsigned long clone_flags, int ret)
{
	struct karmor_task *p, *c;

	if (ret)
		return ret;
	if (clone_flags & K_CLONE_INTO_CGROUP) {
		/* clone3(CLONE_INTO_CGROUP): a child born in another cgroup (DESIGN §4.12) */
		struct karmor_who w;
		int who = karmor_who(&w, 1);

		if (who < 0)
			return karmor_unjudged(who, K_EPERM);
		if (who > 0)
			return karmor_confine(&w, KARMOR_OP_CGROUP, 0, 0, 0, K_EPERM);
	}
	p = bpf_task_storage_get(&karmor_tasks, bpf_get_current_task_btf(), 0, 0);
	if (!p || !p->exe_len)
		return 0;
	c = bpf_task_storage_get(&karmor_tasks, task, 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!c)
		return 0;
	__builtin_memcpy(c, p, sizeof(*c));
	return 0;
}

/* exec: process rules, "not a read" (readOnly refuses it); the source is the
 * caller's executable (its storage still holds the old one here).
 * security_bprm_check runs once per binary handler pass: a "#!" script
 * (binfmt_script) or a binfmt_misc file makes the kernel run it again for the
 * interpreter, with bprm->file the interpreter.  Both passes are judged, by
 * the same source (DESIGN §4.10): a Block on /bin/bash refuses a "#!/bin/bash"
 * script.  The interpreter is what bprm_committed_creds then records as the
 * task's executable (/proc/self/exe).  An ELF program's PT_INTERP is mapped,
 * not executed: karmor_mmap_file judges it. */
SEC("lsm.s/bprm_check_security")
int BPF_PROG(karmor_exec, struct linux_binprm *bprm, int ret)
{
	struct karmor_who w;
	struct karmor_scan c;
	struct karmor_report r = {};
	struct file *f;
	int owner, verdict, who;

	if (ret)
		return ret;
	f = bprm->file;
	if (!f)
		return 0;
	who = karmor_who(&w, 1);
	if (who <= 0)
		return karmor_unjudged(who, K_EACCES);
	owner = f->f_inode->i_uid.val == karmor_fsuid();
	r.cgid = w.cgid;
	r.slot = w.slot;
	r.op = KARMOR_OP_EXEC;
	r.flags = owner ? KARMOR_EV_OWNER : 0;
	c.s = karmor_scratch_claim();
	if (!c.s)
		return karmor_busy(&r, K_EACCES, 1);
	r.t = karmor_sources(&w, 1, c.src, &c.nsrc, &r.flags);
	karmor_scan_init(&c, KARMOR_CLS_PROCESS, 0, 1, owner);
	karmor_resolve_path(&c, &f->f_path);
	verdict = karmor_path_verdict(&c, &w, &r.rule, &r.flags);
	r.res = &c.s->buf[c.off & KS_MASK];
	r.res_len = c.len;
	verdict = karmor_finish(&r, verdict, K_EACCES, 1);
	karmor_scratch_release(c.s);
	return verdict;
}

/* cgroup.procs, cgroup.threads (v2) and tasks (v1): writing a pid there
 * moves a task between cgroups */
static __always_inline int karmor_cgroup_move_file(struct dentry *d)
{
	char n[16] = {};
	__u32 len = BPF_CORE_READ(d, d_name.len);

	if (len != 12 && len != 14 && len != 5)
		return 0;
	bpf_probe_read_kernel(n, len & 15, BPF_CORE_READ(d, d_name.name));
	if (len == 5)
		return n[0] == 't' && n[1] == 'a' && n[2] == 's' && n[3] == 'k' && n[4] == 's';
	if (n[0] != 'c' || n[1] != 'g' || n[6] != '.')
		return 0;
	if (len == 12)
		return n[7] == 'p' && n[8] == 'r' && n[9] == 'o' && n[10] == 'c' && n[11] == 's';
	return n[7] == 't' && n[8] == 'h' && n[9] == 'r' && n[10] == 'e' && n[13] == 's';
}

/* The name filter (bpf/karmor.h): 1 when the target has no file key ending with the object's
 * own name, so that no rule can match it; 0 to judge the resolved path (c->s claimed).  A
 * mount's root is never filtered: its path ends in its mount point's name (a bind-mounted
 * file), not in its own. */
static __always_inline int karmor_unnamed(struct karmor_scan *c, struct dentry *d, struct vfsmount *mnt, __u32 slot)
{
	struct karmor_path_key k;
	__u32 len;

	if (d == mnt->mnt_root)
		return 0;
	len = d->d_name.len;
	if (!len || len > 255 || bpf_probe_read_kernel(c->s->buf, len & 255, d->d_name.name))
		return 0;
	/* the scan's bytes over the name alone: its hash (no '/' in it, no automaton) */
	c->off = 0;
	c->len = len;
	c->h = karmor_hash_seed;
	c->depth = c->s->zero;
	c->dfa = 0;
	c->dstate = 0;
	c->err = 0;
	bpf_loop((len + KARMOR_SCAN_CHUNK - 1) / KARMOR_SCAN_CHUNK, karmor_scan_chunk, c, 0);
	if (c->err)
		return 0;
	k.hash = karmor_hash_final(c->h);
	k.target = slot;
	k.source = 0;
	k.role = KARMOR_ROLE_NAME;
	k.cls = KARMOR_CLS_FILE;
	return !bpf_map_lookup_elem(&karmor_paths, &k);
}

SEC("lsm.s/file_open")
int BPF_PROG(karmor_file_open, struct file *file, int ret)
{
	struct karmor_who w;
	struct karmor_scan c;
	struct karmor_report r = {};
	struct inode *inode;
	__u32 fmode, fflags, fmt;
	__u16 confine_op = 0;
	int reads, writes, owner, is_dir, verdict, who;

	if (ret)
		return ret;
	who = karmor_who(&w, 1);
	if (who <= 0)
		return karmor_unjudged(who, K_EACCES);
	fmode = file->f_mode;
	fflags = file->f_flags;
	if ((fmode & K_FMODE_EXEC) || (fflags & K___FMODE_EXEC))
		return 0;	/* judged at bprm_check_security */
	inode = file->f_inode;
	if (!karmor_has_path(inode->i_mode, inode->i_sb->s_flags))
		return 0;
	fmt = inode->i_mode & K_S_IFMT;
	/* DESIGN §4.12: no target leaves its cgroup or reaches the loader's
	 * pins.  Refused below, once the path is resolved, rather than through
	 * karmor_refuse_at: its frame on top of this one would pass the
	 * verifier's 512 bytes of stack. */
	switch ((__u32)inode->i_sb->s_magic) {
	case K_BPF_FS_MAGIC:
		confine_op = KARMOR_OP_BPF;
		break;
	case K_CGROUP2_SUPER_MAGIC:
	case K_CGROUP_SUPER_MAGIC:
		if ((fmode & K_FMODE_WRITE) && karmor_cgroup_move_file(file->f_path.dentry))
			confine_op = KARMOR_OP_CGROUP;
		break;
	}
	reads = (fmode & K_FMODE_READ) != 0;
	/* O_TRUNC truncates even with O_RDONLY: a write (as AppArmor counts
	 * it).  Linux 6.1 also asks path_truncate; 6.2+ asks file_truncate,
	 * which is not hooked, so it is judged here. */
	writes = (fmode & K_FMODE_WRITE) || (fflags & K_O_TRUNC);
	if (!reads && !writes)
		reads = 1;	/* O_ACCMODE 3 (ioctl only): judged as a read */
	is_dir = fmt == K_S_IFDIR;
	owner = inode->i_uid.val == karmor_fsuid();
	r.cgid = w.cgid;
	r.slot = w.slot;
	r.op = KARMOR_OP_OPEN;
	r.arg = fflags;
	r.flags = karmor_access_flags(reads, writes, owner, is_dir);
	c.s = karmor_scratch_claim();
	if (!c.s)
		return karmor_busy(&r, K_EACCES, 1);
	if (!confine_op && (w.tgt->flags & KARMOR_TF_NAMES_FILE) &&
	    karmor_unnamed(&c, file->f_path.dentry, file->f_path.mnt, w.slot)) {
		verdict = karmor_finish(&r, KARMOR_ALLOW, K_EACCES, 1);
		karmor_scratch_release(c.s);
		return verdict;
	}
	r.t = karmor_sources(&w, 1, c.src, &c.nsrc, &r.flags);
	karmor_scan_init(&c, KARMOR_CLS_FILE, reads, writes, owner);
	karmor_resolve_path(&c, &file->f_path);
	verdict = karmor_path_verdict(&c, &w, &r.rule, &r.flags);
	if (confine_op) {
		verdict = KARMOR_BLOCK;
		r.rule = KARMOR_RULE_CONFINE;
		r.op = confine_op;
		r.arg = 0;
		r.flags = 0;
	}
	r.res = &c.s->buf[c.off & KS_MASK];
	r.res_len = c.len;
	verdict = karmor_finish(&r, verdict, confine_op ? K_EPERM : K_EACCES, 1);
	karmor_scratch_release(c.s);
	return verdict;
}

/* read()/write() on an open file (one opened before the policy, inherited,
 * or received): only a Block matters here -- the open already reported an
 * Audit, and counting every read() would drown the counters */
SEC("lsm/file_permission")
int BPF_PROG(karmor_file_permission, struct file *file, int mask, int ret)
{
	struct karmor_who w;
	struct karmor_scan c;
	struct karmor_report r = {};
	struct inode *inode;
	__u32 fmt;
	int reads, writes, owner, is_dir, verdict, who;

	if (ret)
		return ret;
	reads = (mask & K_MAY_READ) != 0;
	writes = (mask & (K_MAY_WRITE | K_MAY_APPEND)) != 0;
	if (!reads && !writes)
		return 0;
	who = karmor_who(&w, 1);
	if (who <= 0)
		return karmor_unjudged(who, K_EACCES);
	if ((file->f_mode & K_FMODE_EXEC) || (file->f_flags & K___FMODE_EXEC))
		return 0;	/* the kernel reading a binary for exec */
	inode = file->f_inode;
	if (!karmor_has_path(inode->i_mode, inode->i_sb->s_flags))
		return 0;
	fmt = inode->i_mode & K_S_IFMT;
	is_dir = fmt == K_S_IFDIR;
	owner = inode->i_uid.val == karmor_fsuid();
	r.cgid = w.cgid;
	r.slot = w.slot;
	r.op = KARMOR_OP_PERMISSION;
	r.arg = (__u32)mask;
	r.flags = karmor_access_flags(reads, writes, owner, is_dir);
	c.s = karmor_scratch_claim();
	if (!c.s)
		return karmor_busy(&r, K_EACCES, 0);
	r.t = karmor_sources(&w, 0, c.src, &c.nsrc, &r.flags);
	karmor_scan_init(&c, KARMOR_CLS_FILE, reads, writes, owner);
	karmor_resolve_walk(&c, file->f_path.dentry, file->f_path.mnt, 0);
	verdict = karmor_path_verdict(&c, &w, &r.rule, &r.flags);
	if (verdict == KARMOR_BLOCK) {
		r.res = &c.s->buf[c.off & KS_MASK];
		r.res_len = c.len;
		verdict = karmor_finish(&r, verdict, K_EACCES, 0);
	} else {
		verdict = 0;
	}
	karmor_scratch_release(c.s);
	return verdict;
}

/* unbound tasks leave the path hooks here, before any argument is read
 * (karmor_path_write looks the target up again for bound ones) */
static __always_inline int karmor_bound(void)
{
	struct karmor_who w;

	return karmor_who(&w, 1);
}

/* the hooks' pointers as numbers for karmor_path_write (BPF_CORE_READ gives
 * untyped values; a plain load would keep the pointer type it refuses) */
#define KP_MNT(dir)	((__u64)BPF_CORE_READ(dir, mnt))
#define KP_INODE(d)	((__u64)BPF_CORE_READ(d, d_inode))

SEC("lsm/path_unlink")
int BPF_PROG(karmor_path_unlink, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret || !karmor_bound())
		return ret;
	return karmor_path_write(karmor_arg(ctx, 1), KP_MNT(dir), KP_INODE(dentry),
				 KARMOR_OPDIR(KARMOR_OP_UNLINK, 0), 0);
}

SEC("lsm/path_rmdir")
int BPF_PROG(karmor_path_rmdir, const struct path *dir, struct dentry *dentry, int ret)
{
	if (ret || !karmor_bound())
		return ret;
	return karmor_path_write(karmor_arg(ctx, 1), KP_MNT(dir), KP_INODE(dentry),
				 KARMOR_OPDIR(KARMOR_OP_RMDIR, 1), 0);
}

/* mkdir, mknod (also creat() of a new file), symlink: a new name, no inode
 * yet: the creator will own it */
SEC("lsm/path_mkdir")
int BPF_PROG(karmor_path_mkdir, const struct path *dir, struct dentry *dentry, umode_t mode, int ret)
{
	if (ret || !karmor_bound())
		return ret;
	return karmor_path_write(karmor_arg(ctx, 1), KP_MNT(dir), 0, KARMOR_OPDIR(KARMOR_OP_MKDIR, 1), mode);
}

SEC("lsm/path_mknod")
int BPF_PROG(karmor_path_mknod, const struct path *dir, struct dentry *dentry, umode_t mode, unsigned int dev,
	     int ret)
{
	if (ret || !karmor_bound())
		return ret;
	return karmor_path_write(karmor_arg(ctx, 1), KP_MNT(dir), 0, KARMOR_OPDIR(KARMOR_OP_MKNOD, 0), mode);
}

/* both paths are writes; each reports its own Audit, the first Block wins.
 * Each is judged with the owner of the inode it names now: the new name's
 * is the file it replaces (rename over an ownerOnly file is a write to that
 * file), or none (the mover creates the name) */
SEC("lsm/path_rename")
int BPF_PROG(karmor_path_rename, const struct path *old_dir, struct dentry *old_dentry, const struct path *new_dir,
	     struct dentry *new_dentry, unsigned int flags, int ret)
{
	struct inode *inode;
	__u32 opdir;
	int rc;

	if (ret || !karmor_bound())
		return ret;
	inode = BPF_CORE_READ(old_dentry, d_inode);
	opdir = KARMOR_OPDIR(KARMOR_OP_RENAME, karmor_mode_is_dir(inode));
	rc = karmor_path_write(karmor_arg(ctx, 1), KP_MNT(old_dir), (__u64)inode, opdir, flags);
	if (rc)
		return rc;
	return karmor_path_write(karmor_arg(ctx, 3), KP_MNT(new_dir), KP_INODE(new_dentry), opdir, flags);
}

/* link: a new name for an existing file, and through it every access to
 * that file: both names are writes (AppArmor's link rule likewise wants the
 * new name's permissions to be a subset of the file's), so a hard link
 * cannot turn a blocked or readOnly file into an unprotected one.  Both
 * names are on one mount. */
SEC("lsm/path_link")
int BPF_PROG(karmor_path_link, struct dentry *old_dentry, const struct path *new_dir, struct dentry *new_dentry,
	     int ret)
{
	int rc;

	if (ret || !karmor_bound())
		return ret;
	rc = karmor_path_write(karmor_arg(ctx, 0), KP_MNT(new_dir), KP_INODE(old_dentry),
			       KARMOR_OPDIR(KARMOR_OP_LINK, 0), 0);
	if (rc)
		return rc;
	return karmor_path_write(karmor_arg(ctx, 2), KP_MNT(new_dir), KP_INODE(old_dentry),
				 KARMOR_OPDIR(KARMOR_OP_LINK, 0), 0);
}

SEC("lsm/path_symlink")
int BPF_PROG(karmor_path_symlink, const struct path *dir, struct dentry *dentry, const char *old_name, int ret)
{
	if (ret || !karmor_bound())
		return ret;
	return karmor_path_write(karmor_arg(ctx, 1), KP_MNT(dir), 0, KARMOR_OPDIR(KARMOR_OP_SYMLINK, 0), 0);
}

/* truncate, chmod, chown: an existing path */
/* f{chmod,chown,truncate} also reach these hooks for pipes, sockets and other
 * objects of the kernel's internal mounts: they have no path a rule could name
 * (the walk would call them "/"), so they are not judged, as in file_open */
static __always_inline int karmor_path_attr(const struct path *path, __u16 op, __u32 arg)
{
	struct dentry *d = BPF_CORE_READ(path, dentry);
	struct inode *inode = BPF_CORE_READ(d, d_inode);

	if (BPF_CORE_READ(d, d_sb, s_flags) & K_SB_KERNMOUNT)
		return 0;

	return karmor_path_write((__u64)d, KP_MNT(path), (__u64)inode, KARMOR_OPDIR(op, karmor_mode_is_dir(inode)),
				 arg);
}

SEC("lsm/path_truncate")
int BPF_PROG(karmor_path_truncate, const struct path *path, int ret)
{
	if (ret || !karmor_bound())
		return ret;
	return karmor_path_attr(path, KARMOR_OP_TRUNCATE, 0);
}

SEC("lsm/path_chmod")
int BPF_PROG(karmor_path_chmod, const struct path *path, umode_t mode, int ret)
{
	if (ret || !karmor_bound())
		return ret;
	return karmor_path_attr(path, KARMOR_OP_CHMOD, mode);
}

/* kuid_t/kgid_t are one-u32 structs passed by value: plain u32 here */
SEC("lsm/path_chown")
int BPF_PROG(karmor_path_chown, const struct path *path, __u32 uid, __u32 gid, int ret)
{
	if (ret || !karmor_bound())
		return ret;
	return karmor_path_attr(path, KARMOR_OP_CHOWN, uid);
}

/* ------------------------------------------- DESIGN §4.12: the confinement */
/* A target with path rules cannot change what paths mean: no mount (bind,
 * remount, move), umount, move_mount (open_tree / fsmount trees), pivot_root
 * or new user namespace, unless the target opted out (KARMOR_TF_CONFINE
 * cleared).  Whatever the target, no task of it unmounts the BPF or cgroup
 * filesystems (the loader's pins, its own cgroup). */
static __always_inline int karmor_confined(struct karmor_who *w)
{
	int who = karmor_who(w, 1);

	if (who <= 0)
		return who;
	return (w->tgt->flags & KARMOR_TF_CONFINE) ? 1 : 2;
}

#define KP_DENTRY(p)	((__u64)BPF_CORE_READ(p, dentry))

/* mount, move_mount and pivot_root onto path: refused to a confining target */
static __always_inline int karmor_refuse_confined_at(const struct path *path, __u32 op, __u32 arg)
{
	struct karmor_who w;
	int who = karmor_confined(&w);

	if (who != 1)
		return karmor_unjudged(who, K_EPERM);
	return karmor_refuse_at(KP_DENTRY(path), KP_MNT(path), op, arg);
}

SEC("lsm/sb_mount")
int BPF_PROG(karmor_sb_mount, const char *dev_name, const struct path *path, const char *type, unsigned long flags,
	     void *data, int ret)
{
	if (ret)
		return ret;
	return karmor_refuse_confined_at(path, KARMOR_OP_MOUNT, (__u32)flags);
}

SEC("lsm/sb_umount")
int BPF_PROG(karmor_sb_umount, struct vfsmount *mnt, int flags, int ret)
{
	struct karmor_who w;
	__u32 magic;
	int who;

	if (ret)
		return ret;
	who = karmor_confined(&w);
	if (who <= 0)
		return karmor_unjudged(who, K_EPERM);
	magic = (__u32)BPF_CORE_READ(mnt, mnt_sb, s_magic);
	if (who == 2 && magic != K_BPF_FS_MAGIC && magic != K_CGROUP2_SUPER_MAGIC && magic != K_CGROUP_SUPER_MAGIC)
		return 0;
	return karmor_refuse_at((__u64)BPF_CORE_READ(mnt, mnt_root), karmor_arg(ctx, 0), KARMOR_OP_UMOUNT,
				(__u32)flags);
}

SEC("lsm/move_mount")
int BPF_PROG(karmor_move_mount, const struct path *from_path, const struct path *to_path, int ret)
{
	if (ret)
		return ret;
	return karmor_refuse_confined_at(to_path, KARMOR_OP_MOVE_MOUNT, 0);
}

SEC("lsm/sb_pivotroot")
int BPF_PROG(karmor_sb_pivotroot, const struct path *old_path, const struct path *new_path, int ret)
{
	if (ret)
		return ret;
	return karmor_refuse_confined_at(new_path, KARMOR_OP_PIVOT_ROOT, 0);
}

/* a new user namespace would give an unprivileged task the right to mount,
 * chroot and pivot_root inside it */
SEC("lsm/userns_create")
int BPF_PROG(karmor_userns_create, const struct cred *cred, int ret)
{
	struct karmor_who w;
	int who;

	if (ret)
		return ret;
	who = karmor_confined(&w);
	if (who != 1)
		return karmor_unjudged(who, K_EPERM);
	return karmor_confine(&w, KARMOR_OP_USERNS, 0, 0, 0, K_EPERM);
}

/* bpf(2) commands that reach objects a task did not create: the loader's
 * pinned programs, maps and links (by path or by id), or detach them */
static __always_inline int karmor_bpf_reaches(int cmd)
{
	switch (cmd) {
	case 7:		/* BPF_OBJ_GET */
	case 8:		/* BPF_PROG_ATTACH */
	case 9:		/* BPF_PROG_DETACH */
	case 11:	/* BPF_PROG_GET_NEXT_ID */
	case 12:	/* BPF_MAP_GET_NEXT_ID */
	case 13:	/* BPF_PROG_GET_FD_BY_ID */
	case 14:	/* BPF_MAP_GET_FD_BY_ID */
	case 19:	/* BPF_BTF_GET_FD_BY_ID */
	case 23:	/* BPF_BTF_GET_NEXT_ID */
	case 29:	/* BPF_LINK_UPDATE */
	case 30:	/* BPF_LINK_GET_FD_BY_ID */
	case 31:	/* BPF_LINK_GET_NEXT_ID */
	case 34:	/* BPF_LINK_DETACH */
		return 1;
	}
	return 0;
}

SEC("lsm/bpf")
int BPF_PROG(karmor_bpf, int cmd, union bpf_attr *attr, unsigned int size, int ret)
{
	struct karmor_who w;
	int who;

	if (ret)
		return ret;
	if (!karmor_bpf_reaches(cmd))
		return 0;
	who = karmor_who(&w, 1);
	if (who <= 0)
		return karmor_unjudged(who, K_EPERM);
	return karmor_confine(&w, KARMOR_OP_BPF, (__u32)cmd, 0, 0, K_EPERM);
}

/* The target of another task (ptrace): its cgroup and ancestors, deepest
 * first, as karmor_who does for the current one */
struct karmor_peer {
	struct cgroup *cg;
	__u32 *sl;
};

static long karmor_peer_step(__u32 i, void *arg)
{
	struct karmor_peer *c = arg;
	struct cgroup *cg = c->cg;
	__u64 id;

	if (!cg)
		return 1;
	id = BPF_CORE_READ(cg, kn, id);
	c->sl = bpf_map_lookup_elem(&karmor_cgroups, &id);
	if (c->sl)
		return 1;
	c->cg = (struct cgroup *)BPF_CORE_READ(cg, self.parent);	/* self is the first member */
	return 0;
}

/* slot + 1 of the task's target, 0 none, -1 too deep to tell */
static __always_inline long karmor_task_target(struct task_struct *task)
{
	struct cgroup *cg = BPF_CORE_READ(task, cgroups, dfl_cgrp);
	struct karmor_peer c = { .cg = cg, .sl = 0 };
	__u32 zero = 0;
	struct karmor_config *cfg;

	if (BPF_CORE_READ(cg, level) > KARMOR_CGROUP_LEVELS)
		return -1;
	bpf_loop(KARMOR_CGROUP_LEVELS + 1, karmor_peer_step, &c, 0);
	if (c.sl)
		return (long)*c.sl + 1;
	cfg = bpf_map_lookup_elem(&karmor_config, &zero);
	return cfg ? (long)cfg->host_target : 0;
}

/* ptrace, process_vm_readv, pidfd_getfd and the /proc files that need the
 * right to trace (mem, environ, fd, ns, root, maps): only inside the target */
SEC("lsm/ptrace_access_check")
int BPF_PROG(karmor_ptrace, struct task_struct *child, unsigned int mode, int ret)
{
	struct karmor_who w;
	long peer;
	int who;

	if (ret)
		return ret;
	who = karmor_who(&w, 1);
	if (who <= 0)
		return karmor_unjudged(who, K_EPERM);
	peer = karmor_task_target(child);
	if (peer == (long)w.slot + 1)
		return 0;
	if (mode & K_PTRACE_MODE_NOAUDIT) {
		int v = karmor_mode(KARMOR_BLOCK);

		karmor_count(w.slot, v);
		return v == KARMOR_BLOCK ? -K_EPERM : 0;
	}
	return karmor_confine(&w, KARMOR_OP_PTRACE, mode, 0, 0, K_EPERM);
}

/* ------------------------------------------------------------ mappings */
/* the path at s->buf[off] lies in a directory the §4.9 baseline lets every
 * allow-list target read and map (KARMOR_BASELINE_MAPPED; a unit test holds it
 * equal to the baseline of the verdict model) */
static __always_inline int karmor_baseline_mapped(const struct karmor_scratch *s, __u32 off)
{
	/* unrolled over constants: compiled to byte compares, no .rodata read */
	static const char dirs[][KARMOR_BASELINE_MAPPED_MAX] = KARMOR_BASELINE_MAPPED;

#pragma unroll
	for (int d = 0; d < (int)(sizeof(dirs) / sizeof(dirs[0])); d++) {
		int i;

#pragma unroll
		for (i = 0; i < KARMOR_BASELINE_MAPPED_MAX && dirs[d][i]; i++)
			if (s->buf[(off + i) & KS_MASK] != dirs[d][i])
				break;
		if (i < KARMOR_BASELINE_MAPPED_MAX && !dirs[d][i])
			return 1;
	}
	return 0;
}

/* The verdict of an executable mapping (DESIGN §4.12: an exec of the file):
 * process rules; where only the allow-list's posture refuses it, the §4.9
 * baseline ("read and mapped") lets it pass */
__attribute__((noinline)) int karmor_map_judge(__u64 file_, __u32 opflags)
{
	struct file *file = (struct file *)file_;
	struct karmor_who w;
	struct karmor_scan c;
	struct karmor_report r = {};
	struct inode *inode;
	int owner, verdict, who, exec = opflags & 1, writes = (opflags >> 1) & 1;

	who = karmor_who(&w, 1);
	if (who <= 0)
		return karmor_unjudged(who, K_EACCES);
	inode = BPF_CORE_READ(file, f_inode);
	owner = BPF_CORE_READ(inode, i_uid.val) == karmor_fsuid();
	r.cgid = w.cgid;
	r.slot = w.slot;
	r.op = exec ? KARMOR_OP_MMAP_EXEC : KARMOR_OP_MMAP;
	r.arg = opflags >> 8;
	r.flags = exec ? (owner ? KARMOR_EV_OWNER : 0) : karmor_access_flags(1, writes, owner, 0);
	c.s = karmor_scratch_claim();
	if (!c.s)
		return karmor_busy(&r, K_EACCES, 0);
	r.t = karmor_sources(&w, 0, c.src, &c.nsrc, &r.flags);
	karmor_scan_init(&c, exec ? KARMOR_CLS_PROCESS : KARMOR_CLS_FILE, !exec, exec || writes, owner);
	karmor_resolve_walk(&c, BPF_CORE_READ(file, f_path.dentry), BPF_CORE_READ(file, f_path.mnt), 0);
	verdict = karmor_path_verdict(&c, &w, &r.rule, &r.flags);
	if (exec && verdict != KARMOR_ALLOW && r.rule == KARMOR_RULE_NONE && !(r.flags & KARMOR_EV_PATH_ERROR) &&
	    w.tgt->allow_list[KARMOR_PC_FILE] && karmor_baseline_mapped(c.s, c.off))
		verdict = KARMOR_ALLOW;	/* only the posture refused it: the baseline maps it */
	r.res = &c.s->buf[c.off & KS_MASK];
	r.res_len = c.len;
	if (exec || verdict == KARMOR_BLOCK)
		verdict = karmor_finish(&r, verdict, K_EACCES, 0);
	else
		verdict = 0;	/* reads and writes: only a Block, as file_permission */
	karmor_scratch_release(c.s);
	return verdict;
}

/* mapping a file: a read; a shared writable mapping a write; an executable
 * one an exec of the file -- except the task's own program, judged at exec.
 * The programs and interpreters the kernel opens for exec are not reads
 * (file_permission skips them too). */
static __always_inline int karmor_map(struct file *file, __u32 prot, int shared_write, int exec_added)
{
	struct inode *inode;
	struct file *exe;
	int exec_open;

	if (!file || !karmor_bound())
		return 0;
	inode = BPF_CORE_READ(file, f_inode);
	if (!karmor_has_path(BPF_CORE_READ(inode, i_mode), BPF_CORE_READ(inode, i_sb, s_flags)))
		return 0;
	exec_open = (BPF_CORE_READ(file, f_mode) & K_FMODE_EXEC) || (BPF_CORE_READ(file, f_flags) & K___FMODE_EXEC);
	if (exec_added) {
		struct task_struct *task = (struct task_struct *)bpf_get_current_task();
		int rc;

		exe = BPF_CORE_READ(task, mm, exe_file);
		if (!exe || BPF_CORE_READ(exe, f_inode) != inode) {
			rc = karmor_map_judge((__u64)file, 1 | (prot << 8));
			if (rc)
				return rc;
		}
	}
	if (exec_open)
		return 0;
	return karmor_map_judge((__u64)file, (shared_write ? 2 : 0) | (prot << 8));
}

SEC("lsm/mmap_file")
int BPF_PROG(karmor_mmap_file, struct file *file, unsigned long reqprot, unsigned long prot, unsigned long flags,
	     int ret)
{
	if (ret || !file)
		return ret;
	return karmor_map((struct file *)karmor_arg(ctx, 0), (__u32)prot,
			  (flags & K_MAP_SHARED) && (prot & K_PROT_WRITE), (prot & K_PROT_EXEC) != 0);
}

SEC("lsm/file_mprotect")
int BPF_PROG(karmor_file_mprotect, struct vm_area_struct *vma, unsigned long reqprot, unsigned long prot, int ret)
{
	struct file *file;
	__u64 vmf;

	if (ret)
		return ret;
	file = BPF_CORE_READ(vma, vm_file);
	if (!file)
		return 0;
	vmf = BPF_CORE_READ(vma, vm_flags);
	if (!((prot & K_PROT_EXEC) && !(vmf & K_VM_EXEC)) &&
	    !((vmf & K_VM_SHARED) && (prot & K_PROT_WRITE) && !(vmf & K_VM_WRITE)))
		return 0;
	return karmor_map(file, (__u32)prot, (vmf & K_VM_SHARED) && (prot & K_PROT_WRITE),
			  (prot & K_PROT_EXEC) && !(vmf & K_VM_EXEC));
}

/* ---------------------------------------------------- /proc magic links */
/* Following /proc/PID/ns/NAME, fd/N, exe, cwd, root or map_files/N reaches objects
 * with no path of their own (nsfs) or with another one: DESIGN §4.12 judges
 * them by the path they are reached through, as a read of /proc/... (procfs
 * is taken to be mounted at /proc: a target cannot mount it elsewhere).
 * Only a Block refuses here (as file_permission); the object's own open is
 * judged as usual. */
__attribute__((noinline)) int karmor_proc_follow(__u64 dentry)
{
	struct karmor_who w;
	struct karmor_scan c;
	struct karmor_report r = {};
	int verdict, who;
	__u32 pos;

	who = karmor_who(&w, 1);
	if (who <= 0)
		return karmor_unjudged(who, K_EACCES);
	r.cgid = w.cgid;
	r.slot = w.slot;
	r.op = KARMOR_OP_FOLLOW;
	r.flags = karmor_access_flags(1, 0, 1, 0);
	c.s = karmor_scratch_claim();
	if (!c.s)
		return karmor_busy(&r, K_EACCES, 0);
	r.t = karmor_sources(&w, 0, c.src, &c.nsrc, &r.flags);
	karmor_scan_init(&c, KARMOR_CLS_FILE, 1, 0, 1);
	karmor_resolve_walk(&c, (struct dentry *)dentry, 0, 1);
	pos = c.off;
	if (!c.err && pos > 8 && pos <= KARMOR_PATH_MAX) {
		c.s->buf[(pos - 5) & KS_MASK] = '/';
		c.s->buf[(pos - 4) & KS_MASK] = 'p';
		c.s->buf[(pos - 3) & KS_MASK] = 'r';
		c.s->buf[(pos - 2) & KS_MASK] = 'o';
		c.s->buf[(pos - 1) & KS_MASK] = 'c';
		c.off = pos - 5;
		c.len += 5;
	} else {
		c.err = 1;
	}
	verdict = karmor_path_verdict(&c, &w, &r.rule, &r.flags);
	if (verdict == KARMOR_BLOCK && r.rule != KARMOR_RULE_NONE) {
		r.res = &c.s->buf[c.off & KS_MASK];
		r.res_len = c.len;
		verdict = karmor_finish(&r, verdict, K_EACCES, 0);
	} else {
		verdict = 0;	/* the posture is the opened object's business */
	}
	karmor_scratch_release(c.s);
	return verdict;
}

SEC("lsm/inode_follow_link")
int BPF_PROG(karmor_follow_link, struct dentry *dentry, struct inode *inode, bool rcu, int ret)
{
	if (ret)
		return ret;
	if ((__u32)BPF_CORE_READ(dentry, d_sb, s_magic) != K_PROC_SUPER_MAGIC || !karmor_bound())
		return 0;
	return karmor_proc_follow(karmor_arg(ctx, 0));
}

/* ------------------------------------- metadata: extended attributes, times */
/* setxattr/removexattr and utime(s) reach only inode hooks: a dentry, no
 * mount.  The dentry is judged as a write under every mount of its
 * filesystem in the task's namespace that it lies below (a file visible at
 * two paths is a write of both); none -> no path in the namespace -> Block.
 * Linux 6.1's layout: super_block.s_mounts lists mount.mnt_instance. */
struct super_block___v61 {
	struct list_head s_mounts;
} __attribute__((preserve_access_index));
struct mount___v61 {
	struct list_head mnt_instance;
} __attribute__((preserve_access_index));

#define KARMOR_SB_MOUNTS	16	/* mounts of one filesystem looked at */
#define KARMOR_SB_PATHS		4	/* paths judged: more is Blocked */
#define KARMOR_BELOW_LEVELS	16	/* how far below a bind mount's root a file may lie */

struct karmor_sbm {
	struct list_head *head, *cur;
	struct mnt_namespace *ns;
	struct dentry *d, *sb_root;
	__u64 mnts[KARMOR_SB_PATHS];
	__u32 n;
};

static __always_inline int karmor_below(struct dentry *d, struct dentry *root, struct dentry *sb_root)
{
	if (root == sb_root || root == d)
		return 1;
#pragma unroll
	for (int i = 0; i < KARMOR_BELOW_LEVELS; i++) {
		struct dentry *p = BPF_CORE_READ(d, d_parent);

		if (p == root)
			return 1;
		if (p == d)
			return 0;
		d = p;
	}
	return 0;
}

static long karmor_sbm_step(__u32 i, void *arg)
{
	struct karmor_sbm *c = arg;
	struct list_head *cur = c->cur;
	struct mount *m;

	if (!cur)
		return 1;
	cur = BPF_CORE_READ(cur, next);
	c->cur = cur;
	if (!cur || cur == c->head)
		return 1;
	m = (struct mount *)((char *)cur - bpf_core_field_offset(struct mount___v61, mnt_instance));
	if (BPF_CORE_READ(m, mnt_ns) != c->ns)
		return 0;
	if (!karmor_below(c->d, BPF_CORE_READ(m, mnt.mnt_root), c->sb_root))
		return 0;
	if (c->n >= KARMOR_SB_PATHS) {
		c->n++;
		return 1;
	}
	c->mnts[c->n & (KARMOR_SB_PATHS - 1)] = (__u64)karmor_vfsmount(m);
	c->n++;
	return 0;
}

/* the mounts a dentry is judged under, per task (a task runs one hook at a time) */
struct karmor_meta_mnts {
	__u64 mnt[KARMOR_SB_PATHS];
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct karmor_meta_mnts);
} karmor_metamnts SEC(".maps");

/* the number of mounts found (their vfsmounts in karmor_metamnts), or 0
 * when none can be judged: no path in the namespace, or too many */
__attribute__((noinline)) int karmor_meta_mounts(__u64 dentry)
{
	struct dentry *d = (struct dentry *)dentry;
	struct super_block___v61 *sb = (struct super_block___v61 *)BPF_CORE_READ(d, d_sb);
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct karmor_meta_mnts *out;
	struct karmor_sbm c = {
		.d = d,
		.sb_root = BPF_CORE_READ((struct super_block *)sb, s_root),
		.ns = BPF_CORE_READ(task, nsproxy, mnt_ns),
	};

	if (!sb)
		return 0;
	c.head = (struct list_head *)((char *)sb + bpf_core_field_offset(struct super_block___v61, s_mounts));
	c.cur = c.head;
	bpf_loop(KARMOR_SB_MOUNTS, karmor_sbm_step, &c, 0);
	if (!c.n || c.n > KARMOR_SB_PATHS)
		return 0;
	out = bpf_task_storage_get(&karmor_metamnts, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!out)
		return 0;
	for (int i = 0; i < KARMOR_SB_PATHS; i++)
		out->mnt[i] = c.mnts[i];
	return (int)c.n;
}

static __always_inline int karmor_meta(__u64 dentry, __u32 op, __u32 arg)
{
	struct dentry *d = (struct dentry *)dentry;
	struct inode *inode = BPF_CORE_READ(d, d_inode);
	struct karmor_meta_mnts *mm;
	__u32 opdir;
	int n, rc;

	if (!inode || (BPF_CORE_READ(d, d_sb, s_flags) & K_SB_KERNMOUNT))
		return 0;
	n = karmor_meta_mounts(dentry);
	mm = bpf_task_storage_get(&karmor_metamnts, bpf_get_current_task_btf(), 0, 0);
	if (n <= 0 || !mm)
		return karmor_refuse_at(dentry, 0, op, arg);	/* no path to judge it by: fail closed */
	opdir = KARMOR_OPDIR(op, karmor_mode_is_dir(inode));
	for (int i = 0; i < KARMOR_SB_PATHS; i++) {
		if (i >= n)
			break;
		rc = karmor_path_write(dentry, mm->mnt[i], (__u64)inode, opdir, arg);
		if (rc)
			return rc;
	}
	return 0;
}

SEC("lsm/inode_setxattr")
int BPF_PROG(karmor_inode_setxattr, struct user_namespace *mnt_userns, struct dentry *dentry, const char *name,
	     const void *value, size_t size, int flags, int ret)
{
	if (ret || !karmor_bound())
		return ret;
	return karmor_meta(karmor_arg(ctx, 1), KARMOR_OP_SETXATTR, 0);
}

SEC("lsm/inode_removexattr")
int BPF_PROG(karmor_inode_removexattr, struct user_namespace *mnt_userns, struct dentry *dentry, const char *name,
	     int ret)
{
	if (ret || !karmor_bound())
		return ret;
	return karmor_meta(karmor_arg(ctx, 1), KARMOR_OP_SETXATTR, 1);
}

/* times only: mode, owner and size changes have path hooks (chmod, chown,
 * truncate) and are judged there */
SEC("lsm/inode_setattr")
int BPF_PROG(karmor_inode_setattr, struct dentry *dentry, struct iattr *attr, int ret)
{
	__u32 valid;

	if (ret)
		return ret;
	valid = BPF_CORE_READ(attr, ia_valid);
	if (!(valid & (K_ATTR_ATIME | K_ATTR_MTIME)) || (valid & (K_ATTR_MODE | K_ATTR_UID | K_ATTR_GID | K_ATTR_SIZE)))
		return 0;
	if (!karmor_bound())
		return 0;
	return karmor_meta(karmor_arg(ctx, 0), KARMOR_OP_UTIMES, valid);
}


/* ------------------------------------------------- network, capabilities */
/* karmor.h enum karmor_proto; 0 = not mediated.  *type_id: a second id the
 * socket also matches -- `raw` is every SOCK_RAW socket whatever its family
 * and protocol (DESIGN §4.7): raw ICMP is icmp and raw, AF_PACKET raw */
static __always_inline __u16 karmor_proto_of(int family, int type, int protocol, __u16 *type_id)
{
	*type_id = KARMOR_PROTO_NONE;
	if ((type & K_SOCK_TYPE_MASK) == K_SOCK_RAW) {
		if (family == K_AF_INET || family == K_AF_INET6) {
			if (protocol == IPPROTO_ICMP || protocol == K_IPPROTO_ICMPV6) {
				*type_id = KARMOR_PROTO_RAW;
				return protocol == IPPROTO_ICMP ? KARMOR_PROTO_ICMP : KARMOR_PROTO_ICMPV6;
			}
		}
		return KARMOR_PROTO_RAW;
	}
	if (family != K_AF_INET && family != K_AF_INET6)
		return KARMOR_PROTO_NONE;
	switch (type & K_SOCK_TYPE_MASK) {
	case K_SOCK_STREAM:
		return protocol == IPPROTO_SCTP ? KARMOR_PROTO_SCTP : KARMOR_PROTO_TCP;
	case K_SOCK_DGRAM:
		if (protocol == IPPROTO_ICMP)
			return KARMOR_PROTO_ICMP;
		if (protocol == K_IPPROTO_ICMPV6)
			return KARMOR_PROTO_ICMPV6;
		if (protocol == IPPROTO_UDPLITE)
			return KARMOR_PROTO_UDPLITE;
		return KARMOR_PROTO_UDP;
	case K_SOCK_SEQPACKET:
		/* SCTP is the only INET seqpacket protocol (one-to-many style) */
		return KARMOR_PROTO_SCTP;
	}
	return KARMOR_PROTO_NONE;
}

/* network / capability keys: (T, s, id) for every source, and (T, s, all) */
struct karmor_idscan {
	struct karmor_effect acc;
	__u32 target;
	__u16 id, id_all, id_type;
	__u8 caps;	/* karmor_caps, else karmor_net */
	__u16 src[KARMOR_NSRC];
};

static long karmor_id_step(__u32 j, void *arg)
{
	struct karmor_idscan *c = arg;
	struct karmor_id_key k;
	struct karmor_id_value *v;
	void *map = c->caps ? (void *)&karmor_caps : (void *)&karmor_net;

	if (j >= KARMOR_NSRC)
		return 1;
	k.target = c->target;
	k.source = c->src[j];
	k.id = c->id;
	v = bpf_map_lookup_elem(map, &k);
	if (v)
		karmor_acc_add(&c->acc, &v->e);
	if (c->id_all) {
		k.id = c->id_all;
		v = bpf_map_lookup_elem(map, &k);
		if (v)
			karmor_acc_add(&c->acc, &v->e);
	}
	if (c->id_type) {
		k.id = c->id_type;
		v = bpf_map_lookup_elem(map, &k);
		if (v)
			karmor_acc_add(&c->acc, &v->e);
	}
	return 0;
}

static __always_inline int karmor_id_lookup(struct karmor_idscan *c, const struct karmor_who *w, __u8 nsrc, int pc,
					    __u32 *rule, const __u32 *evflags)
{
	__u32 zero = 0;
	struct karmor_scratch *s = bpf_map_lookup_elem(&karmor_scratch, &zero);

	if (!s)
		return KARMOR_ALLOW;
	c->acc = s->zero_eff[0];	/* a zero unknown to the verifier: see karmor_scratch */
	c->target = w->slot;
	bpf_loop(nsrc, karmor_id_step, c, 0);
	if (*evflags & KARMOR_EV_PATH_ERROR) {
		*rule = KARMOR_RULE_NONE;	/* no task storage (karmor_sources): fail closed */
		return KARMOR_BLOCK;
	}
	return karmor_id_verdict(&c->acc, w->tgt->allow_list[pc], w->tgt->posture[pc], rule);
}

SEC("lsm/socket_create")
int BPF_PROG(karmor_socket_create, int family, int type, int protocol, int kern, int ret)
{
	struct karmor_who w;
	struct karmor_report r = {};
	struct karmor_idscan c = {};
	__u8 nsrc;
	__u16 proto;
	int verdict, who;

	if (ret)
		return ret;
	if (kern)
		return 0;
	proto = karmor_proto_of(family, type, protocol, &c.id_type);
	if (proto == KARMOR_PROTO_NONE)
		return 0;
	who = karmor_who(&w, 1);
	if (who <= 0)
		return karmor_unjudged(who, K_EACCES);
	r.t = karmor_sources(&w, 0, c.src, &nsrc, &r.flags);
	c.id = proto;
	c.id_all = KARMOR_PROTO_ALL;
	verdict = karmor_id_lookup(&c, &w, nsrc, KARMOR_PC_NETWORK, &r.rule, &r.flags);
	r.cgid = w.cgid;
	r.slot = w.slot;
	r.op = KARMOR_OP_SOCKET;
	r.arg = proto;
	return karmor_finish(&r, verdict, K_EACCES, 0);
}

SEC("lsm/capable")
int BPF_PROG(karmor_capable, const struct cred *cred, struct user_namespace *ns, int cap, unsigned int opts, int ret)
{
	struct karmor_who w;
	struct karmor_report r = {};
	struct karmor_idscan c = {};
	__u8 nsrc;
	int verdict, who;

	if (ret)
		return ret;
	who = karmor_who(&w, 1);
	if (who <= 0)
		return karmor_unjudged(who, K_EPERM);
	r.t = karmor_sources(&w, 0, c.src, &nsrc, &r.flags);
	c.id = (__u16)cap;
	c.caps = 1;
	verdict = karmor_id_lookup(&c, &w, nsrc, KARMOR_PC_CAPABILITIES, &r.rule, &r.flags);
	r.cgid = w.cgid;
	r.slot = w.slot;
	r.op = KARMOR_OP_CAPABLE;
	r.arg = (__u32)cap;
	if (opts & K_CAP_OPT_NOAUDIT) {
		/* enforced, but the caller asked for no audit trail */
		verdict = karmor_mode(verdict);
		karmor_count(w.slot, verdict);
		return verdict == KARMOR_BLOCK ? -K_EPERM : 0;
	}
	return karmor_finish(&r, verdict, K_EPERM, 0);
}

/* Kernels without BPF-LSM (karmor-loader --without-lsm): attached to each
 * bound cgroup.  No task storage here, so only rules without fromSource
 * (source 0) apply.  Returns 0 to refuse the socket (EPERM), 1 to allow. */
SEC("cgroup/sock_create")
int karmor_sock_create(struct bpf_sock *sk)
{
	struct karmor_who w;
	struct karmor_report r = {};
	struct karmor_idscan c = {};
	__u16 proto;
	int verdict, who;

	proto = karmor_proto_of(sk->family, sk->type, sk->protocol, &c.id_type);
	if (proto == KARMOR_PROTO_NONE)
		return 1;
	who = karmor_who(&w, 0);
	if (who <= 0)
		return karmor_unjudged(who, K_EPERM) ? 0 : 1;
	c.id = proto;
	c.id_all = KARMOR_PROTO_ALL;
	verdict = karmor_mode(karmor_id_lookup(&c, &w, 1, KARMOR_PC_NETWORK, &r.rule, &r.flags));
	r.cgid = w.cgid;
	r.slot = w.slot;
	r.op = KARMOR_OP_SOCKET;
	r.arg = proto;
	r.flags = KARMOR_EV_SRC_UNKNOWN;
	r.verdict = (__u8)verdict;
	r.retval = verdict == KARMOR_BLOCK ? -K_EPERM : 0;
	karmor_count(w.slot, verdict);
	if (verdict != KARMOR_ALLOW)
		karmor_emit(&r);
	return verdict == KARMOR_BLOCK ? 0 : 1;
}


/* ======================================================== syscall rules */
/*
 * syscalls.matchSyscalls and syscalls.matchPaths (karmor.h: "syscall rules";
 * DESIGN §4.5: they only audit).  One raw tracepoint on sys_enter judges every
 * syscall (per-syscall tracepoints would be one program per name, and they
 * need tracefs; a raw tracepoint attaches by name, on kernels and hosts
 * without BPF-LSM too); it records the event in the task's storage and the
 * raw tracepoint on sys_exit sends it with the syscall's result (exit and
 * exit_group, which never return, send it at once).  Both return at once
 * while no loaded target has a syscall rule (karmor_config.nsys).
 */
#define K_AT_FDCWD	(-100)
#define K_TS_COMPAT	0x0002u	/* thread_info.status: a 32-bit syscall (another numbering) */
#define K_NR_EXIT	60
#define K_NR_EXIT_GROUP	231
/* the scratch buffer during the path's resolution: the base (working
 * directory or directory descriptor) ends at KARMOR_PATH_MAX, as the dentry
 * walk writes it; the argument follows at KS_SYS_ARG; the normalised path is
 * written backwards, ending at KS_BUF_SIZE (it never overtakes the bytes it
 * reads: see karmor_sys_norm_step) */
#define KS_SYS_ARG	(KARMOR_PATH_MAX + 1)

struct karmor_syspend {
	struct karmor_event e;
	__u32 armed;	/* e waits for sys_exit */
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);	/* sized by the loader (karmor.h: map sizes) */
	__type(key, struct karmor_sys_key);
	__type(value, struct karmor_sys_value);
} karmor_sys SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct karmor_syspend);
} karmor_syspend SEC(".maps");

struct karmor_sysscan {
	struct karmor_scratch *s;
	__u64 h;
	__u64 hdir;
	__u32 target;
	__u32 off, len;		/* the normalised path: s->buf[off .. off+len) */
	__u32 depth;
	__u32 audit;		/* matchSyscalls: the smallest rule id */
	__u32 pmask;		/* sources (bit j: src[j]) with matchPaths rules of this syscall */
	__u16 nr;
	__u8 nsrc;
	__u8 err;
	__u16 src[KARMOR_NSRC];
	struct karmor_sys_match m;
	/* the reverse normalisation (karmor_sys_norm_step) */
	__u32 start, rend, end, out, skip;
};

/* the ROLE_CALL key of source src[j] */
static long karmor_sys_call_step(__u32 j32, void *arg)
{
	struct karmor_sysscan *c = arg;
	struct karmor_sys_key k = {};
	struct karmor_sys_value *v;

	__u64 j = j32;

	if (j >= KARMOR_NSRC)
		return 1;
	barrier_var(j);	/* one register, checked: the verifier bounds the index by it */
	k.target = c->target;
	k.source = c->src[j];
	k.nr = c->nr;
	k.role = KARMOR_SYS_ROLE_CALL;
	v = bpf_map_lookup_elem(&karmor_sys, &k);
	if (!v)
		return 0;
	c->audit = karmor_min_id(c->audit, v->audit);
	if (v->flags & KARMOR_SYSF_PATHS)
		c->pmask |= 1u << j;
	return 0;
}

/* a directory prefix (hash c->hdir) for source src[j] */
static long karmor_sys_prefix_step(__u32 j32, void *arg)
{
	struct karmor_sysscan *c = arg;
	struct karmor_sys_key k = {};
	struct karmor_sys_value *v;

	__u64 j = j32;

	if (j >= KARMOR_NSRC)
		return 1;
	barrier_var(j);	/* one register, checked: the verifier bounds the index by it */
	if (!(c->pmask & (1u << j)))
		return 0;
	k.hash = c->hdir;
	k.target = c->target;
	k.source = c->src[j];
	k.nr = c->nr;
	k.role = KARMOR_ROLE_DIR;
	v = bpf_map_lookup_elem(&karmor_sys, &k);
	if (v)
		karmor_sys_dir(&c->m, v);
	return 0;
}

/* the full path (hash c->hdir) for source src[j] */
static long karmor_sys_exact_step(__u32 j32, void *arg)
{
	struct karmor_sysscan *c = arg;
	struct karmor_sys_key k = {};
	struct karmor_sys_value *v;

	__u64 j = j32;

	if (j >= KARMOR_NSRC)
		return 1;
	barrier_var(j);	/* one register, checked: the verifier bounds the index by it */
	if (!(c->pmask & (1u << j)))
		return 0;
	k.hash = c->hdir;
	k.target = c->target;
	k.source = c->src[j];
	k.nr = c->nr;
	k.role = KARMOR_ROLE_EXACT;
	v = bpf_map_lookup_elem(&karmor_sys, &k);
	if (v)
		karmor_sys_main(&c->m, v);
	return 0;
}

/* one byte of the path scan (karmor.h: the path scan, with the syscall keys) */
static long karmor_sys_scan_byte(__u32 i, void *arg)
{
	struct karmor_sysscan *c = arg;
	struct karmor_scratch *s = c->s;
	unsigned char ch;

	if (!s)
		return 1;
	ch = (unsigned char)s->buf[(c->off + i) & KS_MASK];
	c->h = karmor_hash_step(c->h, ch);
	if (ch != '/')
		return 0;
	if (++c->depth > KARMOR_MAX_DEPTH) {
		c->err = 1;
		return 1;
	}
	karmor_sys_begin_prefix(&c->m);
	c->m.pending = s->zero;	/* a zero unknown to the verifier (see karmor_scratch) */
	c->hdir = karmor_hash_final(c->h);
	bpf_loop(c->nsrc, karmor_sys_prefix_step, c, 0);
	return 0;
}

/*
 * The raw path s->buf[start .. rend), absolute, read from its end: component
 * by component, "." and empty ones dropped, ".." counted (skip) and the next
 * kept component dropped for each, the others copied in front of the output
 * s->buf[out .. KS_BUF_SIZE).  The output never overtakes the input: the raw
 * path ends at most at KS_SYS_ARG + KARMOR_SYS_USER_PATH - 1, so out - i stays
 * at least KS_BUF_SIZE - that > 255 bytes above the component being copied.
 */
static long karmor_sys_norm_step(__u32 k, void *arg)
{
	struct karmor_sysscan *c = arg;
	struct karmor_scratch *s = c->s;
	__u32 i, len;
	__u64 n;

	if (!s || k >= c->rend - c->start)
		return 1;
	i = c->rend - 1 - k;
	if (s->buf[i & KS_MASK] != '/')
		return 0;
	len = c->end - i - 1;
	c->end = i;
	if (len == 0 || (len == 1 && s->buf[(i + 1) & KS_MASK] == '.'))
		return 0;
	if (len == 2 && s->buf[(i + 1) & KS_MASK] == '.' && s->buf[(i + 2) & KS_MASK] == '.') {
		c->skip++;
		return 0;
	}
	if (c->skip) {
		c->skip--;
		return 0;
	}
	/* at most KARMOR_PATH_MAX - 1 bytes of output, components of NAME_MAX */
	if (len > 255 || c->out < KS_BUF_SIZE - KARMOR_PATH_MAX + 2 + len) {
		c->err = 1;
		return 1;
	}
	c->out -= len;
	n = len;
	barrier_var(n);	/* the size from one register the verifier has bounded */
	n &= 255;
	bpf_probe_read_kernel(&s->buf[c->out & KS_MASK], n, &s->buf[(i + 1) & KS_MASK]);
	c->out -= 1;
	s->buf[c->out & KS_MASK] = '/';
	return 0;
}

/* the directory a relative path starts from: descriptor fd, or the working directory */
static __always_inline int karmor_sys_base(struct karmor_sysscan *c, int has_dirfd, int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct mount *top = karmor_ns_top();
	struct dentry *d;
	struct vfsmount *mnt;
	__u32 mode;

	if (has_dirfd && fd != K_AT_FDCWD) {
		struct fdtable *fdt;
		struct file **fds, *f = 0;

		if (fd < 0)
			return -1;
		fdt = task->files->fdt;
		if ((__u32)fd >= fdt->max_fds)
			return -1;
		fds = fdt->fd;
		bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
		if (!f)
			return -1;
		d = BPF_CORE_READ(f, f_path.dentry);
		mnt = BPF_CORE_READ(f, f_path.mnt);
	} else {
		d = task->fs->pwd.dentry;
		mnt = task->fs->pwd.mnt;
	}
	if (!d || !mnt)
		return -1;
	mode = BPF_CORE_READ(d, d_inode, i_mode) & K_S_IFMT;
	/* the dentry walk of the path hooks (karmor_resolve_walk) */
	struct karmor_walk w = {
		.s = c->s,
		.d = d,
		.vmnt = mnt,
		.root_d = BPF_CORE_READ(top, mnt.mnt_root),
		.root_mnt = karmor_vfsmount(top),
		.pos = KARMOR_PATH_MAX,
		.depth = c->s->zero,
		.lenient = mode == K_S_IFCHR,
	};
	c->s->buf[KARMOR_PATH_MAX] = 0;
	bpf_loop(KARMOR_MAX_DEPTH + 32, karmor_walk_step, &w, 0);
	if (w.err || !w.done)
		return -1;
	if (w.pos == KARMOR_PATH_MAX) {
		w.pos -= 1;
		c->s->buf[w.pos & KS_MASK] = '/';
	}
	c->start = w.pos;
	return 0;
}

/* The absolute, normalised path of argument `uptr` (relative to dirfd when
 * has_dirfd) into c->off/c->len; -1 when there is none (no argument, too
 * long, not resolvable). */
static __always_inline int karmor_sys_resolve(struct karmor_sysscan *c, __u64 uptr, int has_dirfd, int dirfd)
{
	struct karmor_scratch *s = c->s;
	long n;

	if (!uptr)
		return -1;
	n = bpf_probe_read_user_str(&s->buf[KS_SYS_ARG], KARMOR_SYS_USER_PATH, (const void *)uptr);
	if (n <= 1 || n >= KARMOR_SYS_USER_PATH)
		return -1;	/* unreadable, empty, or too long */
	c->rend = KS_SYS_ARG + (__u32)n - 1;
	if (s->buf[KS_SYS_ARG] == '/') {
		c->start = KS_SYS_ARG;
	} else {
		if (karmor_sys_base(c, has_dirfd, dirfd))
			return -1;
		s->buf[KARMOR_PATH_MAX] = '/';	/* base "/" argument */
	}
	c->end = c->rend;
	c->out = KS_BUF_SIZE;
	c->skip = s->zero;
	c->err = 0;
	bpf_loop(KARMOR_PATH_MAX + KARMOR_SYS_USER_PATH, karmor_sys_norm_step, c, 0);
	if (c->err)
		return -1;
	if (c->out >= KS_BUF_SIZE) {
		c->out = KS_BUF_SIZE - 1;
		s->buf[(KS_BUF_SIZE - 1) & KS_MASK] = '/';
	}
	s->buf[KS_BUF_SIZE] = 0;
	c->off = c->out;
	c->len = KS_BUF_SIZE - c->out;
	return 0;
}

/* the event of a syscall, in the task's storage until sys_exit */
static __always_inline void karmor_sys_event(struct karmor_event *e, const struct karmor_who *w,
					     const struct karmor_task *t, __u32 rule, __u32 nr, const __u64 *args,
					     __u32 flags)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct pid *own;
	unsigned int level;
	__u64 pt = bpf_get_current_pid_tgid();

	e->ts_boot_ns = bpf_ktime_get_boot_ns();
	e->cgroup_id = w->cgid;
	e->pid = (__u32)(pt >> 32);
	e->tid = (__u32)pt;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	own = BPF_CORE_READ(task, group_leader, thread_pid);
	level = BPF_CORE_READ(own, level);
	e->ns_pid = BPF_CORE_READ(own, numbers[level].nr);
	e->ns_ppid = karmor_ns_pid(BPF_CORE_READ(task, real_parent, group_leader, thread_pid), level);
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->target = w->slot;
	e->rule = rule;
	e->retval = 0;
	e->arg = nr;
	e->op = KARMOR_OP_SYSCALL;
	e->verdict = KARMOR_AUDIT;
	e->pad0 = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	BPF_CORE_READ_STR_INTO(&e->pcomm, task, real_parent, comm);
	if (t && t->exe_len) {
		bpf_probe_read_kernel_str(e->source, sizeof(e->source), t->exe);
		if (t->exe_len >= KARMOR_EVENT_PATH)
			flags |= KARMOR_EV_SRC_TRUNC;
	} else {
		e->source[0] = 0;
		flags |= KARMOR_EV_SRC_UNKNOWN;
	}
	e->resource[0] = 0;
	e->flags = flags;
	for (int i = 0; i < 6; i++)
		e->sysargs[i] = args[i];
}

/* The judgement of one syscall: a global function, checked once (its stack
 * is its own); regs is the task's struct pt_regs (sys_enter's argument). */
__attribute__((noinline)) int karmor_sys_judge(__u64 regs_, __u64 nr_)
{
	struct pt_regs *regs = (struct pt_regs *)regs_;
	struct karmor_sysscan c = {};
	struct karmor_who w;
	struct karmor_task *t;
	struct karmor_syspend *p;
	__u64 args[6];
	__u32 evflags = 0, rule;
	unsigned pa;
	int who, resolved = 0;

	/* x86-64 numbers only: x32 numbers are above KARMOR_SYS_COUNT, and a 32-bit
	 * (ia32) syscall has another table, so it is not matched */
	if (nr_ >= KARMOR_SYS_COUNT || (bpf_get_current_task_btf()->thread_info.status & K_TS_COMPAT))
		return 0;
	who = karmor_who(&w, 1);
	if (who <= 0 || !(w.tgt->flags & KARMOR_TF_SYSCALLS))
		return 0;
	t = karmor_sources(&w, 0, c.src, &c.nsrc, &evflags);
	evflags &= ~KARMOR_EV_PATH_ERROR;	/* syscall rules only audit: judged with the sources known */
	c.target = w.slot;
	c.nr = (__u16)nr_;
	/* the calls' loop only takes minima of map values and sets bits */
	bpf_loop(c.nsrc, karmor_sys_call_step, &c, 0);
	if (!c.audit && !c.pmask)
		return 0;
	/* the event waits here for sys_exit (created for the tasks that meet a rule) */
	p = bpf_task_storage_get(&karmor_syspend, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (!p)
		return 0;
	args[0] = BPF_CORE_READ(regs, di);
	args[1] = BPF_CORE_READ(regs, si);
	args[2] = BPF_CORE_READ(regs, dx);
	args[3] = BPF_CORE_READ(regs, r10);
	args[4] = BPF_CORE_READ(regs, r8);
	args[5] = BPF_CORE_READ(regs, r9);
	rule = c.audit;
	pa = karmor_sys_path_arg((unsigned)nr_);
	if (pa & KARMOR_SYSP_PATH) {
		c.s = karmor_scratch_claim();
		if (c.s) {
			if (!karmor_sys_resolve(&c, args[pa & 7], (pa & KARMOR_SYSP_DIRFD) != 0,
						(int)args[(pa >> 3) & 7])) {
				resolved = 1;
				if (c.pmask) {
					c.h = karmor_hash_seed;
					c.depth = c.s->zero;
					c.m.audit = c.s->zero;
					c.m.pending = c.s->zero;
					bpf_loop(c.len, karmor_sys_scan_byte, &c, 0);
					if (!c.err) {
						karmor_sys_end_prefixes(&c.m);
						if (c.len > 1) {
							c.hdir = karmor_hash_final(c.h);
							bpf_loop(c.nsrc, karmor_sys_exact_step, &c, 0);
						}
						rule = karmor_min_id(rule, c.m.audit);
					} else {
						evflags |= KARMOR_EV_PATH_ERROR;
					}
				}
			} else {
				evflags |= KARMOR_EV_PATH_ERROR;
			}
			if (rule) {
				karmor_sys_event(&p->e, &w, t, rule, (__u32)nr_, args, evflags);
				if (resolved) {
					bpf_probe_read_kernel_str(p->e.resource, sizeof(p->e.resource),
								  &c.s->buf[c.off & KS_MASK]);
					if (c.len >= KARMOR_EVENT_PATH)
						p->e.flags |= KARMOR_EV_RES_TRUNC;
				}
			}
			karmor_scratch_release(c.s);
		} else {
			evflags |= KARMOR_EV_PATH_ERROR;	/* no buffer: the path rules cannot be judged */
			if (rule)
				karmor_sys_event(&p->e, &w, t, rule, (__u32)nr_, args, evflags);
		}
	} else if (rule) {
		karmor_sys_event(&p->e, &w, t, rule, (__u32)nr_, args, evflags);
	}
	if (!rule)
		return 0;
	karmor_count(w.slot, KARMOR_AUDIT);
	if (nr_ == K_NR_EXIT || nr_ == K_NR_EXIT_GROUP) {
		/* no sys_exit follows */
		if (bpf_ringbuf_output(&karmor_events, &p->e, sizeof(p->e), 0)) {
			__u32 zero = 0;
			__u64 *dr = bpf_map_lookup_elem(&karmor_drops, &zero);

			if (dr)
				*dr += 1;
		}
		return 0;
	}
	p->armed = 1;
	return 0;
}

SEC("raw_tp/sys_enter")
int karmor_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 zero = 0;
	struct karmor_config *cfg = bpf_map_lookup_elem(&karmor_config, &zero);

	if (!cfg || !cfg->nsys)
		return 0;
	return karmor_sys_judge(ctx->args[0], ctx->args[1]);
}

SEC("raw_tp/sys_exit")
int karmor_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 zero = 0;
	struct karmor_config *cfg = bpf_map_lookup_elem(&karmor_config, &zero);
	struct karmor_syspend *p;

	if (!cfg || !cfg->nsys)
		return 0;
	p = bpf_task_storage_get(&karmor_syspend, bpf_get_current_task_btf(), 0, 0);
	if (!p || !p->armed)
		return 0;
	p->armed = 0;
	/* the result of the syscall the event is for (a syscall whose exit was never
	 * seen -- none is known -- would leave its event to the next one: no result then) */
	p->e.retval = BPF_CORE_READ((struct pt_regs *)ctx->args[0], orig_ax) == p->e.arg ? (__s32)ctx->args[1] : 0;
	if (bpf_ringbuf_output(&karmor_events, &p->e, sizeof(p->e), 0)) {
		__u64 *dr = bpf_map_lookup_elem(&karmor_drops, &zero);

		if (dr)
			*dr += 1;
	}
	return 0;
}
