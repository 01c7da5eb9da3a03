/*
 * alerts: the event lines karmor-loader prints, for one event of every hook (and the
 * posture, the confinement, an unknown target), from the real formatter
 * (runtime-loader/alert.c) over an image compiled by karmorc.  Every field that the kernel
 * or the clock would vary is fixed here, so the lines can be compared with
 * testdata/events/alerts.golden (tests/loader/alerts.sh).
 *
 * Usage: alerts IMAGE.kmi        prints text and JSON lines, one event after the other
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "../../runtime-loader/loader.h"

/* the parent a real event would find in /proc */
static int fixed_parent_exe(uint32_t ppid, char *buf, size_t len)
{
	if (ppid != 4242)
		return -1;
	snprintf(buf, len, "/usr/bin/bash");
	return 0;
}

struct sample {
	unsigned op, verdict, rule, arg, flags;
	int retval;
	const char *source, *resource;
};

/* a syscall rule's audit (the raw tracepoints): the syscall, its result and arguments */
struct sys_sample {
	unsigned nr, flags;
	int retval;
	const char *source, *resource;
	unsigned long long args[6];
};

/* The task every sample event comes from (worker, pid 31337 in the node's namespace, 42 in
 * its own, child of bash), at boot time ts, with its source and resource. */
static void sample_event(struct karmor_event *e, uint64_t ts, const char *source, const char *resource)
{
	memset(e, 0, sizeof(*e));
	e->ts_boot_ns = ts;
	e->cgroup_id = 7001;
	e->pid = 31337;
	e->tid = 31337;
	e->ppid = 4242;
	e->uid = 1000;
	e->ns_pid = 42;
	e->ns_ppid = 7;
	snprintf(e->comm, sizeof(e->comm), "%s", "worker");
	snprintf(e->pcomm, sizeof(e->pcomm), "%s", "bash");
	snprintf(e->source, sizeof(e->source), "%s", source);
	snprintf(e->resource, sizeof(e->resource), "%s", resource);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fputs("usage: alerts IMAGE.kmi\n", stderr);
		return 2;
	}
	struct kl_image img;
	char err[512];
	if (kl_image_read(argv[1], &img, err, sizeof(err))) {
		fprintf(stderr, "alerts: %s\n", err);
		return 1;
	}
	struct kl_starget t;
	memset(&t, 0, sizeof(t));
	t.name = (char *)kl_image_str(&img, img.hdr->name);
	t.img = img;
	t.img_loaded = 1;
	const unsigned R = 1;	/* the image's first rule names policy, severity, tags and message */
	const unsigned S = 2;	/* its syscall rule (testdata/events/policies.yaml) */
	const unsigned RW = KARMOR_EV_READ | KARMOR_EV_WRITE;
	static const char bash[] = "/usr/bin/bash";
	const struct sample samples[] = {
		{KARMOR_OP_EXEC, KARMOR_BLOCK, R, 0, 0, -EACCES, bash, "/usr/bin/sleep"},
		{KARMOR_OP_OPEN, KARMOR_BLOCK, R, 0, KARMOR_EV_READ | KARMOR_EV_OWNER, -EACCES, bash, "/etc/shadow"},
		{KARMOR_OP_OPEN, KARMOR_AUDIT, R, 0, KARMOR_EV_READ, 0, bash, "/etc/hostname"},
		{KARMOR_OP_PERMISSION, KARMOR_BLOCK, R, 0, KARMOR_EV_WRITE, -EACCES, bash, "/etc/shadow"},
		{KARMOR_OP_UNLINK, KARMOR_BLOCK, R, 0, KARMOR_EV_WRITE, -EACCES, "/usr/bin/rm", "/etc/shadow"},
		{KARMOR_OP_RMDIR, KARMOR_BLOCK, R, 0, KARMOR_EV_WRITE | KARMOR_EV_DIR, -EACCES, bash, "/etc/ssl"},
		{KARMOR_OP_MKDIR, KARMOR_BLOCK, R, 0, KARMOR_EV_WRITE, -EACCES, bash, "/etc/new"},
		{KARMOR_OP_MKNOD, KARMOR_BLOCK, R, 0, KARMOR_EV_WRITE, -EACCES, bash, "/etc/created"},
		{KARMOR_OP_RENAME, KARMOR_BLOCK, R, 0, KARMOR_EV_WRITE, -EACCES, "/usr/bin/mv", "/etc/shadow"},
		{KARMOR_OP_LINK, KARMOR_BLOCK, R, 0, KARMOR_EV_WRITE, -EACCES, "/usr/bin/ln", "/etc/shadow"},
		{KARMOR_OP_SYMLINK, KARMOR_BLOCK, R, 0, KARMOR_EV_WRITE, -EACCES, "/usr/bin/ln", "/etc/link"},
		{KARMOR_OP_TRUNCATE, KARMOR_BLOCK, R, 0, KARMOR_EV_WRITE, -EACCES, bash, "/etc/shadow"},
		{KARMOR_OP_CHMOD, KARMOR_BLOCK, R, 0, KARMOR_EV_WRITE, -EACCES, "/usr/bin/chmod", "/etc/shadow"},
		{KARMOR_OP_CHOWN, KARMOR_BLOCK, R, 0, KARMOR_EV_WRITE, -EACCES, "/usr/bin/chown", "/etc/shadow"},
		{KARMOR_OP_SOCKET, KARMOR_BLOCK, R, KARMOR_PROTO_TCP, 0, -EPERM, "/usr/bin/curl", ""},
		{KARMOR_OP_SOCKET, KARMOR_BLOCK, R, KARMOR_PROTO_UDP, 0, -EACCES, "/usr/bin/dig", ""},
		{KARMOR_OP_SOCKET, KARMOR_BLOCK, R, KARMOR_PROTO_ICMP, 0, -EACCES, "/usr/bin/ping", ""},
		{KARMOR_OP_SOCKET, KARMOR_AUDIT, R, KARMOR_PROTO_ICMPV6, 0, 0, "/usr/bin/ping", ""},
		{KARMOR_OP_SOCKET, KARMOR_BLOCK, R, KARMOR_PROTO_RAW, 0, -EACCES, "/usr/sbin/tcpdump", ""},
		{KARMOR_OP_SOCKET, KARMOR_BLOCK, R, KARMOR_PROTO_SCTP, 0, -EACCES, "/usr/bin/app", ""},
		{KARMOR_OP_SOCKET, KARMOR_BLOCK, R, KARMOR_PROTO_UDPLITE, 0, -EACCES, "/usr/bin/app", ""},
		{KARMOR_OP_CAPABLE, KARMOR_BLOCK, R, 13, 0, -EPERM, "/usr/sbin/tcpdump", ""},
		{KARMOR_OP_MOUNT, KARMOR_BLOCK, KARMOR_RULE_CONFINE, 0, 0, -EPERM, "/usr/bin/mount", "/mnt"},
		{KARMOR_OP_UMOUNT, KARMOR_BLOCK, KARMOR_RULE_CONFINE, 0, 0, -EPERM, "/usr/bin/umount", "/proc"},
		{KARMOR_OP_MOVE_MOUNT, KARMOR_BLOCK, KARMOR_RULE_CONFINE, 0, 0, -EPERM, "/usr/bin/app", "/mnt"},
		{KARMOR_OP_PIVOT_ROOT, KARMOR_BLOCK, KARMOR_RULE_CONFINE, 0, 0, -EPERM, "/usr/bin/app", "/new"},
		{KARMOR_OP_USERNS, KARMOR_BLOCK, KARMOR_RULE_CONFINE, 0, 0, -EPERM, "/usr/bin/unshare", ""},
		{KARMOR_OP_MMAP, KARMOR_BLOCK, R, 0, RW, -EACCES, bash, "/etc/shadow"},
		{KARMOR_OP_MMAP_EXEC, KARMOR_BLOCK, R, 0, 0, -EACCES, "/lib64/ld-linux-x86-64.so.2", "/usr/bin/sleep"},
		{KARMOR_OP_FOLLOW, KARMOR_BLOCK, R, 0, 0, -EACCES, bash, "/proc/1/root"},
		{KARMOR_OP_PTRACE, KARMOR_BLOCK, KARMOR_RULE_CONFINE, 2, 0, -EPERM, "/usr/bin/gdb", ""},
		{KARMOR_OP_SETXATTR, KARMOR_BLOCK, R, 0, KARMOR_EV_WRITE, -EACCES, "/usr/bin/setfattr", "/etc/shadow"},
		{KARMOR_OP_UTIMES, KARMOR_BLOCK, R, 0, KARMOR_EV_WRITE, -EACCES, "/usr/bin/touch", "/etc/shadow"},
		{KARMOR_OP_CGROUP, KARMOR_BLOCK, KARMOR_RULE_CONFINE, 0, 0, -EPERM, bash, "/sys/fs/cgroup/cgroup.procs"},
		{KARMOR_OP_BPF, KARMOR_BLOCK, KARMOR_RULE_CONFINE, 5, 0, -EPERM, "/usr/sbin/bpftool", ""},
		/* the posture decides (no rule), the executable is not known, the path is long */
		{KARMOR_OP_OPEN, KARMOR_BLOCK, KARMOR_RULE_NONE, 0, KARMOR_EV_READ | KARMOR_EV_SRC_UNKNOWN, -EACCES, "",
		 "/var/lib/secret"},
		{KARMOR_OP_OPEN, KARMOR_BLOCK, R, 0, KARMOR_EV_READ | KARMOR_EV_PATH_ERROR | KARMOR_EV_RES_TRUNC, -EACCES,
		 bash, "/very/long/path/cut"},
	};
	/* syscall rules: the raw tracepoints' audits, with the syscall's arguments and result */
	const struct sys_sample sys[] = {
		{87, 0, 0, "/usr/bin/rm", "/etc/shadow", {0}},
		{263, 0, -ENOENT, "/usr/bin/rm", "/etc/gone",
		 {(unsigned long long)-100, 0, 0x200}},
		{263, 0, -EACCES, "/usr/bin/rm", "/etc/shadow",
		 {(unsigned long long)-100, 0, 0}},
		{92, 0, 0, "/usr/bin/chown", "/etc/hosts", {0, 1000, 1000}},
		{260, 0, 0, "/usr/bin/chown", "/etc/hosts",
		 {(unsigned long long)-100, 0, 0, 0, 0x100}},
		{105, 0, 0, "/usr/bin/su", "", {0}},
		{165, 0, -EPERM, "/usr/bin/mount", "/mnt", {0, 0, 0, 0x1000}},
		{166, 0, 0, "/usr/bin/umount", "/mnt", {0, 2}},
		{101, 0, 0, "/usr/bin/gdb", "", {16, 77}},
		{257, 0, 0, bash, "/etc/hosts",
		 {(unsigned long long)-100, 0, 01 | 0100 | 01000 | 02000000}},
		{3, 0, 0, bash, "", {3}},
		{231, KARMOR_EV_SRC_UNKNOWN, 0, "", "", {0}},
	};
	struct kl_json j;
	kl_json_init(&j);
	int rc = 0;
	for (int json = 0; json < 2; json++) {
		struct kl_alert_ctx c = {json, "node-1", 1767225600LL * 1000000000 - 5000000000LL, fixed_parent_exe};
		for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
			const struct sample *s = &samples[i];
			struct karmor_event e;
			sample_event(&e, 5000000000ULL + 123456789ULL + i * 1000ULL, s->source, s->resource);
			e.target = 0;
			e.rule = s->rule;
			e.retval = s->retval;
			e.arg = s->arg;
			e.op = (uint16_t)s->op;
			e.verdict = (uint8_t)s->verdict;
			e.flags = s->flags;
			if (kl_alert_print(stdout, &j, &c, &t, &e))
				rc = 1;
		}
		for (size_t i = 0; i < sizeof(sys) / sizeof(sys[0]); i++) {
			const struct sys_sample *s = &sys[i];
			struct karmor_event e;
			sample_event(&e, 5000000000ULL + 223456789ULL + i * 1000ULL, s->source, s->resource);
			e.rule = S;
			e.retval = s->retval;
			e.arg = s->nr;
			e.op = KARMOR_OP_SYSCALL;
			e.verdict = KARMOR_AUDIT;
			e.flags = s->flags;
			for (int a = 0; a < 6; a++)
				e.sysargs[a] = s->args[a];
			if (kl_alert_print(stdout, &j, &c, &t, &e))
				rc = 1;
		}
		/* an event of a slot no target holds: attributed to nothing */
		struct karmor_event u;
		memset(&u, 0, sizeof(u));
		u.op = KARMOR_OP_OPEN;
		u.verdict = KARMOR_BLOCK;
		u.rule = 3;
		u.retval = -EACCES;
		u.flags = KARMOR_EV_READ;
		u.pid = 99;
		snprintf(u.comm, sizeof(u.comm), "cat");
		snprintf(u.resource, sizeof(u.resource), "/etc/passwd");
		if (kl_alert_print(stdout, &j, &c, NULL, &u))
			rc = 1;
	}
	kl_json_free(&j);
	kl_image_free(&img);
	return rc;
}
