/*
 * events: the pinned ring buffer -> one line per event, text or JSON with
 * KubeArmor's alert field names (kubearmor-semantics §6), attributed through
 * the applied images' rule tables (rule id -> policy, severity, tags, message).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"

/* ------------------------------------------------------------ names */

static const char *const proto_names[KARMOR_PROTO_COUNT] = {
	[KARMOR_PROTO_TCP] = "tcp",   [KARMOR_PROTO_UDP] = "udp",	 [KARMOR_PROTO_ICMP] = "icmp",
	[KARMOR_PROTO_ICMPV6] = "icmpv6", [KARMOR_PROTO_RAW] = "raw",	 [KARMOR_PROTO_SCTP] = "sctp",
	[KARMOR_PROTO_UDPLITE] = "udplite", [KARMOR_PROTO_ALL] = "all",
};

/* KubeArmor's BPF alerts (feeder getProtocolFromName) spell a protocol so */
static const char *const proto_resource[KARMOR_PROTO_COUNT] = {
	[KARMOR_PROTO_TCP] = "protocol=TCP,type=SOCK_STREAM",
	[KARMOR_PROTO_UDP] = "protocol=UDP,type=SOCK_DGRAM",
	[KARMOR_PROTO_ICMP] = "protocol=ICMP,type=SOCK_RAW",
	[KARMOR_PROTO_ICMPV6] = "protocol=ICMPv6,type=SOCK_RAW",
	[KARMOR_PROTO_RAW] = "type=SOCK_RAW",
	[KARMOR_PROTO_SCTP] = "protocol=SCTP,type=SOCK_STREAM",
	[KARMOR_PROTO_UDPLITE] = "protocol=UDPLITE,type=SOCK_DGRAM",
	[KARMOR_PROTO_ALL] = "all",
};

/* linux/capability.h order */
static const char *const cap_names[] = {
#define FE_CAPABILITY(name, number, crd) [number] = #name,
#include "../frontend/names.def"
};
_Static_assert(sizeof(cap_names) / sizeof(cap_names[0]) == KL_CAP_COUNT,
	       "a name for every capability an image may hold (image.h)");

struct op_info {
	const char *name;	/* KarmorOp */
	const char *operation;	/* KubeArmor Operation */
	const char *lsm;	/* Data: lsm=... */
};
static const struct op_info ops[KARMOR_OP_COUNT] = {
	[KARMOR_OP_EXEC] = {"exec", "Process", "SECURITY_BPRM_CHECK"},
	[KARMOR_OP_OPEN] = {"open", "File", "FILE_OPEN"},
	[KARMOR_OP_PERMISSION] = {"permission", "File", "FILE_PERMISSION"},
	[KARMOR_OP_UNLINK] = {"unlink", "File", "PATH_UNLINK"},
	[KARMOR_OP_RMDIR] = {"rmdir", "File", "PATH_RMDIR"},
	[KARMOR_OP_MKDIR] = {"mkdir", "File", "PATH_MKDIR"},
	[KARMOR_OP_MKNOD] = {"mknod", "File", "PATH_MKNOD"},
	[KARMOR_OP_RENAME] = {"rename", "File", "PATH_RENAME"},
	[KARMOR_OP_LINK] = {"link", "File", "PATH_LINK"},
	[KARMOR_OP_SYMLINK] = {"symlink", "File", "PATH_SYMLINK"},
	[KARMOR_OP_TRUNCATE] = {"truncate", "File", "PATH_TRUNCATE"},
	[KARMOR_OP_CHMOD] = {"chmod", "File", "PATH_CHMOD"},
	[KARMOR_OP_CHOWN] = {"chown", "File", "PATH_CHOWN"},
	[KARMOR_OP_SOCKET] = {"socket", "Network", "SOCKET_CREATE"},
	[KARMOR_OP_CAPABLE] = {"capable", "Capabilities", "CAPABLE"},
	[KARMOR_OP_MOUNT] = {"mount", "File", "SB_MOUNT"},
	[KARMOR_OP_UMOUNT] = {"umount", "File", "SB_UMOUNT"},
	[KARMOR_OP_MOVE_MOUNT] = {"move_mount", "File", "MOVE_MOUNT"},
	[KARMOR_OP_PIVOT_ROOT] = {"pivot_root", "File", "SB_PIVOTROOT"},
	[KARMOR_OP_USERNS] = {"userns_create", "Process", "USERNS_CREATE"},
	[KARMOR_OP_MMAP] = {"mmap", "File", "MMAP_FILE"},
	[KARMOR_OP_MMAP_EXEC] = {"mmap_exec", "Process", "MMAP_FILE"},
	[KARMOR_OP_FOLLOW] = {"follow", "File", "INODE_FOLLOW_LINK"},
	[KARMOR_OP_PTRACE] = {"ptrace", "Process", "PTRACE_ACCESS_CHECK"},
	[KARMOR_OP_SETXATTR] = {"setxattr", "File", "INODE_SETXATTR"},
	[KARMOR_OP_UTIMES] = {"utimes", "File", "INODE_SETATTR"},
	[KARMOR_OP_CGROUP] = {"cgroup", "Process", "CGROUP_MOVE"},
	[KARMOR_OP_BPF] = {"bpf", "Process", "BPF"},
};

const char *kl_proto_name(unsigned proto)
{
	return proto < KARMOR_PROTO_COUNT ? proto_names[proto] : NULL;
}

const char *kl_cap_name(unsigned cap)
{
	return cap < sizeof(cap_names) / sizeof(cap_names[0]) ? cap_names[cap] : NULL;
}

const char *kl_op_name(unsigned op)
{
	return op < KARMOR_OP_COUNT ? ops[op].name : NULL;
}

/* ------------------------------------------------------------ one event */

struct ev_ctx {
	int json;
	struct kl_state *st;
	int64_t boot_to_real_ns;	/* CLOCK_REALTIME - CLOCK_BOOTTIME */
	char host[256];
	struct kl_json j;
	uint64_t count;
	int failed;
	/* --drain: stop after the first event newer than the start, so a busy
	 * producer cannot keep the drain going forever (boot-time ns, 0 = no limit) */
	uint64_t drain_until;
};

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void iso_time(int64_t ns, char *buf, size_t len)
{
	time_t sec = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	struct tm tm;
	gmtime_r(&sec, &tm);
	char date[64];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", date, frac);
}

static const char *result_text(int32_t retval)
{
	if (retval >= 0)
		return "Passed";
	if (retval == -EACCES)
		return "Permission denied";
	if (retval == -EPERM)
		return "Operation not permitted";
	return strerror(-retval);
}

static int handle_event(void *vctx, void *data, size_t size)
{
	struct ev_ctx *c = vctx;
	if (size < sizeof(struct karmor_event)) {
		kl_warn("skipped a ring buffer record of %zu bytes (an event is %zu)", size,
			sizeof(struct karmor_event));
		return 0;
	}
	struct karmor_event e;
	memcpy(&e, data, sizeof(e));
	c->count++;

	const struct kl_starget *t = kl_state_target(c->st, e.target);
	const struct karmor_image_rule *rule = NULL;
	if (t && e.rule != KARMOR_RULE_NONE && e.rule <= t->img.hdr->nrules)
		rule = &t->img.rules[e.rule - 1];
	/* KarmorConfinement: refused by the confinement itself (DESIGN §4.12), no rule */
	const char *policy = e.rule == KARMOR_RULE_NONE	     ? "DefaultPosture"
			     : e.rule == KARMOR_RULE_CONFINE ? "KarmorConfinement"
			     : rule			     ? kl_image_str(&t->img, rule->policy)
							     : "";
	const struct op_info *op = e.op < KARMOR_OP_COUNT && ops[e.op].name ? &ops[e.op] : NULL;
	const char *operation = op ? op->operation : "Unknown";

	/* the resource and the op's argument */
	char resource[KARMOR_EVENT_PATH + 64], arg[64] = "", data_s[KARMOR_EVENT_PATH + 128];
	const char *src = e.source;
	int src_known = !(e.flags & KARMOR_EV_SRC_UNKNOWN) && e.source[0];
	if (e.op == KARMOR_OP_SOCKET) {
		const char *pn = kl_proto_name(e.arg);
		snprintf(arg, sizeof(arg), "%s", pn ? pn : "unknown");
		snprintf(resource, sizeof(resource), "%s",
			 e.arg < KARMOR_PROTO_COUNT && proto_resource[e.arg] ? proto_resource[e.arg] : "unknown");
	} else if (e.op == KARMOR_OP_CAPABLE) {
		const char *cn = kl_cap_name(e.arg);
		if (cn)
			snprintf(arg, sizeof(arg), "%s", cn);
		else
			snprintf(arg, sizeof(arg), "%u", e.arg);
		size_t k = 0;
		resource[k++] = 'C', resource[k++] = 'A', resource[k++] = 'P', resource[k++] = '_';
		for (const char *p = arg; *p && k + 1 < sizeof(resource); p++)
			resource[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		resource[k] = '\0';
	} else {
		snprintf(resource, sizeof(resource), "%.*s", (int)strnlen(e.resource, sizeof(e.resource)),
			 e.resource);
		if (e.op != KARMOR_OP_EXEC)
			snprintf(arg, sizeof(arg), "%s",
				 (e.flags & KARMOR_EV_READ) && (e.flags & KARMOR_EV_WRITE) ? "read,write"
				 : (e.flags & KARMOR_EV_WRITE)				   ? "write"
				 : (e.flags & KARMOR_EV_READ)				   ? "read"
											   : "");
	}
	if (e.op == KARMOR_OP_SOCKET || e.op == KARMOR_OP_CAPABLE)
		snprintf(data_s, sizeof(data_s), "lsm=%s %s", op->lsm, resource);
	else
		snprintf(data_s, sizeof(data_s), "lsm=%s", op ? op->lsm : "UNKNOWN");

	/* exec: the process is the new program, its parent the one that ran it (KubeArmor's layout) */
	const char *pname, *ppname;
	size_t pname_n, ppname_n;
	if (e.op == KARMOR_OP_EXEC) {
		pname = resource;
		pname_n = sizeof(resource);
		ppname = src_known ? src : e.comm;
		ppname_n = src_known ? sizeof(e.source) : sizeof(e.comm);
	} else {
		pname = src_known ? src : e.comm;
		pname_n = src_known ? sizeof(e.source) : sizeof(e.comm);
		ppname = e.pcomm;
		ppname_n = sizeof(e.pcomm);
	}
	const char *action = e.verdict == KARMOR_BLOCK ? "Block" : e.verdict == KARMOR_AUDIT ? "Audit" : "Allow";
	int64_t real_ns = (int64_t)e.ts_boot_ns + c->boot_to_real_ns;
	char when[80];
	iso_time(real_ns, when, sizeof(when));
	char flags[160] = "";
	static const struct {
		uint32_t bit;
		const char *name;
	} fl[] = {
		{KARMOR_EV_OWNER, "owner"},
		{KARMOR_EV_DIR, "dir"},
		{KARMOR_EV_RES_TRUNC, "resource_truncated"},
		{KARMOR_EV_SRC_TRUNC, "source_truncated"},
		{KARMOR_EV_SRC_UNKNOWN, "source_unknown"},
		{KARMOR_EV_PATH_ERROR, "path_error"},
	};
	for (size_t k = 0; k < sizeof(fl) / sizeof(fl[0]); k++)
		if (e.flags & fl[k].bit)
			snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags), "%s%s", flags[0] ? "," : "",
				 fl[k].name);

	if (c->json) {
		struct kl_json *j = &c->j;
		kl_json_reset(j);
		kl_json_open(j, NULL, '{');
		kl_json_i64(j, "Timestamp", real_ns / 1000000000);
		kl_json_str(j, "UpdatedTime", when);
		kl_json_str(j, "HostName", c->host);
		kl_json_u64(j, "HostPPID", e.ppid);
		kl_json_u64(j, "HostPID", e.pid);
		kl_json_u64(j, "PPID", e.ns_ppid);
		kl_json_u64(j, "PID", e.ns_pid);
		kl_json_u64(j, "UID", e.uid);
		kl_json_strn(j, "ParentProcessName", ppname, ppname_n);
		kl_json_strn(j, "ProcessName", pname, pname_n);
		kl_json_str(j, "PolicyName", policy);
		if (rule && rule->severity) {
			char sev[8];
			snprintf(sev, sizeof(sev), "%u", rule->severity);
			kl_json_str(j, "Severity", sev);
		}
		const char *tags = rule ? kl_image_str(&t->img, rule->tags) : "";
		kl_json_str(j, "Tags", tags);
		kl_json_open(j, "ATags", '[');
		for (const char *p = tags; *p;) {
			size_t n = strcspn(p, ",");
			kl_json_strn(j, NULL, p, n);
			p += n;
			if (*p)
				p++;
		}
		kl_json_close(j, ']');
		kl_json_str(j, "Message", rule ? kl_image_str(&t->img, rule->message) : "");
		kl_json_str(j, "Type", t && t->host ? "MatchedHostPolicy" : "MatchedPolicy");
		/* a container target from a workload inventory: who it is, in KubeArmor's keys
		 * (PodName is the inventory's: "NAME-*" for a controller's pods) */
		const struct karmor_image_identity *id = t ? t->img.ident : NULL;
		if (id && !(id->flags & KARMOR_IDENT_HOST)) {
			kl_json_str(j, "NamespaceName", kl_image_ref(&t->img, id->namespace_));
			kl_json_str(j, "PodName", kl_image_ref(&t->img, id->pod));
			kl_json_str(j, "ContainerName", kl_image_ref(&t->img, id->container));
			kl_json_str(j, "ContainerImage", kl_image_ref(&t->img, id->image));
			char *labels = kl_target_labels(&t->img);
			kl_json_str(j, "Labels", labels ? labels : "");
			free(labels);
			kl_json_open(j, "Owner", '{');
			kl_json_str(j, "Ref", kl_image_ref(&t->img, id->kind));
			kl_json_str(j, "Name", kl_image_ref(&t->img, id->workload));
			kl_json_str(j, "Namespace", kl_image_ref(&t->img, id->namespace_));
			kl_json_close(j, '}');
		}
		kl_json_strn(j, "Source", src_known ? src : e.comm, src_known ? sizeof(e.source) : sizeof(e.comm));
		kl_json_str(j, "Operation", operation);
		kl_json_str(j, "Resource", resource);
		kl_json_str(j, "Data", data_s);
		kl_json_str(j, "Enforcer", "BPFLSM");
		kl_json_str(j, "Action", action);
		kl_json_str(j, "Result", result_text(e.retval));
		kl_json_str(j, "KarmorOp", op ? op->name : "unknown");
		kl_json_str(j, "KarmorArg", arg);
		kl_json_str(j, "Target", t ? t->name : "");
		kl_json_u64(j, "RuleId", e.rule);
		if (rule) {
			char loc[PATH_MAX + 32];
			snprintf(loc, sizeof(loc), "%s:%u:%u", kl_image_str(&t->img, rule->file), rule->line, rule->col);
			kl_json_str(j, "KarmorLocation", loc);
		}
		kl_json_u64(j, "KarmorCgroup", e.cgroup_id);
		kl_json_str(j, "KarmorFlags", flags);
		kl_json_close(j, '}');
		if (kl_json_print(j, stdout)) {
			c->failed = 1;
			return -1;
		}
	} else {
		printf("%s %s %s ", when, action, op ? op->name : "unknown");
		if (arg[0])
			printf("%s ", arg);
		/* names and paths from the kernel, the images and the state: shown so no terminal acts on them */
		if (e.op != KARMOR_OP_SOCKET && e.op != KARMOR_OP_CAPABLE)
			printf("%s ", kl_visn(resource, sizeof(resource)));
		printf("target=%s rule=%" PRIu32 " policy=%s pid=%" PRIu32 " uid=%" PRIu32 " process=%s: %s\n",
		       t ? kl_vis(t->name) : "?", e.rule, policy[0] ? kl_vis(policy) : "?", e.pid, e.uid,
		       kl_visn(pname, pname_n), result_text(e.retval));
	}
	if (fflush(stdout)) {
		c->failed = 1;
		return -1;
	}
	/* the record is printed; libbpf stops at a negative return, after consuming it */
	if (c->drain_until && e.ts_boot_ns > c->drain_until)
		return -ECANCELED;
	return 0;
}

/* ------------------------------------------------------------ the command */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int kl_cmd_events(int argc, char **argv)
{
	struct kl_dirs d = {NULL, KARMOR_STATE_DIR};
	int json = 0, drain = 0, follow = 0;
	for (int i = 1; i < argc; i++) {
		int r = kl_opt_dirs(argc, argv, &i, &d);
		if (r < 0)
			return KL_EXIT_USAGE;
		if (r > 0)
			continue;
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--drain")) {
			drain = 1;
		} else if (!strcmp(argv[i], "--follow")) {
			follow = 1;
		} else {
			kl_usage_err("unexpected argument '%s'", argv[i]);
			return KL_EXIT_USAGE;
		}
	}
	if (drain && follow) {
		kl_usage_err("--drain and --follow exclude each other");
		return KL_EXIT_USAGE;
	}
	struct kl_state st;
	int have = kl_state_read(d.state_dir, &st);
	if (have < 0)
		return KL_EXIT_FAIL;
	if (!have) {
		kl_err("nothing is attached (no state in %s)", d.state_dir);
		return KL_EXIT_FAIL;
	}
	int rc = KL_EXIT_FAIL;
	struct ring_buffer *rb = NULL;
	struct ev_ctx c;
	memset(&c, 0, sizeof(c));
	c.json = json;
	c.st = &st;
	kl_json_init(&c.j);
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(c.host, sizeof(c.host), "%s", u.nodename);
	c.boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	const char *pin_dir = kl_pin_dir(&d, &st, have);
	int fd = -1;
	if (kl_state_load_images(d.state_dir, &st))
		goto out;
	fd = kl_pin_open(pin_dir, "karmor_events");
	if (fd < 0) {
		kl_err("%s/karmor_events: %s (run 'karmor-loader detach' and apply again)", pin_dir, strerror(errno));
		goto out;
	}
	rb = ring_buffer__new(fd, handle_event, &c, NULL);
	if (!rb) {
		kl_err("%s/karmor_events: cannot read the ring buffer: %s", pin_dir, strerror(errno));
		goto out;
	}
	if (drain) {
		c.drain_until = (uint64_t)clock_ns(CLOCK_BOOTTIME);
		int r = ring_buffer__consume(rb);
		if (r < 0 && r != -ECANCELED && !c.failed) {
			kl_err("reading the ring buffer: %s", strerror(-r));
			goto out;
		}
	} else {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;	/* no SA_RESTART: the poll returns at once */
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		while (!stop && !c.failed) {
			int r = ring_buffer__poll(rb, 500);
			if (r < 0 && r != -EINTR) {
				if (!c.failed)
					kl_err("reading the ring buffer: %s", strerror(-r));
				goto out;
			}
		}
		/* what arrived before the signal is printed too */
		if (!c.failed)
			ring_buffer__consume(rb);
	}
	if (c.failed) {
		kl_err("cannot write the output");
		goto out;
	}
	rc = KL_EXIT_OK;
out:
	ring_buffer__free(rb);
	if (fd >= 0)
		close(fd);
	kl_json_free(&c.j);
	kl_state_free(&st);
	return rc;
}
