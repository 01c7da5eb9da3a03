/*
 * alert: one enforcement event as a line, text or JSON.  The JSON is KubeArmor's alert as
 * `karmor logs --json` prints it (kubearmor-semantics §6; the BPF-LSM enforcer's
 * TraceEvents and the feeder's names), so a consumer written for KubeArmor reads it
 * unchanged; what karmorc knows beyond that is under keys starting with "Karmor".  The
 * field-by-field contract is in karmor-loader(8), EVENTS.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loader.h"

/* ------------------------------------------------------------ names */

static const char *const proto_names[KARMOR_PROTO_COUNT] = {
	[KARMOR_PROTO_TCP] = "tcp",   [KARMOR_PROTO_UDP] = "udp",	 [KARMOR_PROTO_ICMP] = "icmp",
	[KARMOR_PROTO_ICMPV6] = "icmpv6", [KARMOR_PROTO_RAW] = "raw",	 [KARMOR_PROTO_SCTP] = "sctp",
	[KARMOR_PROTO_UDPLITE] = "udplite", [KARMOR_PROTO_ALL] = "all",
};

/* KubeArmor's alerts spell a socket so (feeder GetProtocolFromName over the monitor's
 * protocol names; a raw socket by its type, GetProtocolFromType; UDPLite has no case
 * there and keeps its bare name) */
static const char *const proto_resource[KARMOR_PROTO_COUNT] = {
	[KARMOR_PROTO_TCP] = "protocol=TCP type=SOCK_STREAM",
	[KARMOR_PROTO_UDP] = "protocol=UDP type=SOCK_DGRAM",
	[KARMOR_PROTO_ICMP] = "protocol=ICMP type=SOCK_RAW",
	[KARMOR_PROTO_ICMPV6] = "protocol=IPv6-ICMP type=SOCK_RAW",
	[KARMOR_PROTO_RAW] = "type=SOCK_RAW",
	[KARMOR_PROTO_SCTP] = "protocol=SCTP type=SOCK_STREAM|SOCK_SEQPACKET",
	[KARMOR_PROTO_UDPLITE] = "UDPLite",
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
	const char *lsm;	/* Data: lsm=...; KubeArmor's name where it has the hook (monitor
				 * syscalls table: FILE_* for its path hooks), else ours */
};
static const struct op_info ops[KARMOR_OP_COUNT] = {
	[KARMOR_OP_EXEC] = {"exec", "Process", "SECURITY_BPRM_CHECK"},
	[KARMOR_OP_OPEN] = {"open", "File", "FILE_OPEN"},
	[KARMOR_OP_PERMISSION] = {"permission", "File", "FILE_PERMISSION"},
	[KARMOR_OP_UNLINK] = {"unlink", "File", "FILE_UNLINK"},
	[KARMOR_OP_RMDIR] = {"rmdir", "File", "FILE_RMDIR"},
	[KARMOR_OP_MKDIR] = {"mkdir", "File", "FILE_MKDIR"},
	[KARMOR_OP_MKNOD] = {"mknod", "File", "FILE_MKNOD"},
	[KARMOR_OP_RENAME] = {"rename", "File", "FILE_RENAME"},
	[KARMOR_OP_LINK] = {"link", "File", "FILE_LINK"},
	[KARMOR_OP_SYMLINK] = {"symlink", "File", "FILE_SYMLINK"},
	[KARMOR_OP_TRUNCATE] = {"truncate", "File", "FILE_TRUNCATE"},
	[KARMOR_OP_CHMOD] = {"chmod", "File", "FILE_CHMOD"},
	[KARMOR_OP_CHOWN] = {"chown", "File", "FILE_CHOWN"},
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
	[KARMOR_OP_SYSCALL] = {"syscall", "Syscall", NULL},	/* Data: syscall_data */
};

/* ------------------------------------------------------------ syscalls */

/* x86-64 syscall numbers, the CRD's names (frontend/syscalls.def) */
static const char *const sys_names[KARMOR_SYS_COUNT] = {
#define FE_SYSCALL(name) #name,
#include "../frontend/syscalls.def"
#undef FE_SYSCALL
};

const char *kl_syscall_name(unsigned nr)
{
	return nr < KARMOR_SYS_COUNT ? sys_names[nr] : NULL;
}

/* open(2) flags as the kernel's names, "|"-joined (access mode first) */
static void open_flags(char *buf, size_t len, uint64_t f)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
		{0100, "O_CREAT"},	  {0200, "O_EXCL"},	    {0400, "O_NOCTTY"},	     {01000, "O_TRUNC"},
		{02000, "O_APPEND"},	  {04000, "O_NONBLOCK"},    {010000, "O_DSYNC"},     {040000, "O_DIRECT"},
		{0100000, "O_LARGEFILE"}, {0200000, "O_DIRECTORY"}, {0400000, "O_NOFOLLOW"}, {01000000, "O_NOATIME"},
		{02000000, "O_CLOEXEC"},  {04000000, "O_SYNC"},	    {010000000, "O_PATH"},   {020000000, "O_TMPFILE"},
	};
	unsigned acc = (unsigned)(f & 3);
	snprintf(buf, len, "%s", acc == 0 ? "O_RDONLY" : acc == 1 ? "O_WRONLY" : acc == 2 ? "O_RDWR" : "O_ACCMODE");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		/* O_SYNC includes O_DSYNC's bit, O_TMPFILE O_DIRECTORY's */
		if ((f & names[i].bit) == names[i].bit &&
		    !((names[i].bit == 010000 && (f & 04000000)) || (names[i].bit == 0200000 && (f & 020000000))))
			snprintf(buf + strlen(buf), len - strlen(buf), "|%s", names[i].name);
	}
}

static const char *ptrace_request(uint64_t r)
{
	static const char *const names[] = {"PTRACE_TRACEME", "PTRACE_PEEKTEXT", "PTRACE_PEEKDATA", "PTRACE_PEEKUSR",
					    "PTRACE_POKETEXT", "PTRACE_POKEDATA", "PTRACE_POKEUSR", "PTRACE_CONT",
					    "PTRACE_KILL", "PTRACE_SINGLESTEP", NULL, NULL, "PTRACE_GETREGS",
					    "PTRACE_SETREGS", "PTRACE_GETFPREGS", "PTRACE_SETFPREGS", "PTRACE_ATTACH",
					    "PTRACE_DETACH"};
	if (r < sizeof(names) / sizeof(names[0]) && names[r])
		return names[r];
	switch (r) {
	case 0x4200: return "PTRACE_SETOPTIONS";
	case 0x4201: return "PTRACE_GETEVENTMSG";
	case 0x4206: return "PTRACE_SEIZE";
	case 0x4207: return "PTRACE_INTERRUPT";
	default: return NULL;
	}
}

/* Data of a syscall event: KubeArmor's system monitor's (monitor/logUpdate.go) for the
 * syscalls it traces, "syscall=SYS_NAME" for the others.  Strings the kernel does not
 * copy (mount's source, file system type and data; ptrace's traced program) are empty;
 * a path is the event's Resource. */
static void syscall_data(char *buf, size_t len, const struct karmor_event *e, const char *resource)
{
	const char *n = kl_syscall_name(e->arg);
	size_t k = (size_t)snprintf(buf, len, "syscall=SYS_");
	for (const char *p = n ? n : "UNKNOWN"; *p && k + 1 < len; p++)
		buf[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
	buf[k] = '\0';
	const __u64 *a = e->sysargs;
	char more[320] = "", fl[256];
	switch (e->arg) {
	case 2: /* open */
		open_flags(fl, sizeof(fl), a[1]);
		snprintf(more, sizeof(more), " flags=%s", fl);
		break;
	case 257: /* openat */
		open_flags(fl, sizeof(fl), a[2]);
		snprintf(more, sizeof(more), " fd=%d flags=%s", (int32_t)a[0], fl);
		break;
	case 3: /* close */
		snprintf(more, sizeof(more), " fd=%d", (int32_t)a[0]);
		break;
	case 263: /* unlinkat */
		snprintf(more, sizeof(more), " flags=%s", (a[2] & 0x200) ? "AT_REMOVEDIR" : "");
		break;
	case 92: /* chown */
		snprintf(more, sizeof(more), " userid=%d group=%d", (int32_t)a[1], (int32_t)a[2]);
		break;
	case 260: /* fchownat */
		snprintf(more, sizeof(more), " userid=%d group=%d mode=%d", (int32_t)a[2], (int32_t)a[3], (int32_t)a[4]);
		break;
	case 105: /* setuid */
	case 106: /* setgid */
		snprintf(more, sizeof(more), " userid=%d", (int32_t)a[0]);
		break;
	case 165: /* mount */
		snprintf(more, sizeof(more), " source= target=%.256s filesystem= mountflag=%d data=", resource,
			 (int32_t)a[3]);
		break;
	case 166: /* umount2 */
		snprintf(more, sizeof(more), " target=%.256s flag=%d", resource, (int32_t)a[1]);
		break;
	case 101: { /* ptrace */
		const char *r = ptrace_request(a[0]);
		char num[24];
		snprintf(num, sizeof(num), "%llu", (unsigned long long)a[0]);
		snprintf(more, sizeof(more), " request=%s pid=%d process=", r ? r : num, (int32_t)a[1]);
		break;
	}
	default:
		break;
	}
	snprintf(buf + strlen(buf), len - strlen(buf), "%s", more);
}

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

/* KubeArmor's layout: UTC, exactly six fractional digits */
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
	snprintf(buf, len, "%s.%06ldZ", date, frac / 1000);
}

/* what the process was told: the kernel's errno */
static const char *errno_text(int32_t retval)
{
	if (retval >= 0)
		return "Passed";
	if (retval == -EACCES)
		return "Permission denied";
	if (retval == -EPERM)
		return "Operation not permitted";
	return strerror(-retval);
}

/* Go's omitempty, as KubeArmor's encoder writes its alerts: no empty string, no zero
 * (kl_json_str_nonempty) */
static void strn_nonempty(struct kl_json *j, const char *key, const char *s, size_t n)
{
	if (n && s[0])
		kl_json_strn(j, key, s, n);
}
static void u64_nonzero(struct kl_json *j, const char *key, uint64_t v)
{
	if (v)
		kl_json_u64(j, key, v);
}

/* EventData: the key=value words of Data (and, for a network event, of Resource, which
 * win), each key's first letter capitalised, in key order: the feeder's parseDataString
 * and Go's sorted map keys */
struct kv_word {
	char key[32], value[96];
};
static size_t data_words(const char *s, struct kv_word *w, size_t n, size_t max)
{
	while (*s) {
		size_t len = strcspn(s, " ");
		const char *eq = memchr(s, '=', len);
		if (eq && eq > s && (size_t)(eq - s) < sizeof(w->key) && len - (size_t)(eq - s) - 1 < sizeof(w->value)) {
			struct kv_word k;
			snprintf(k.key, sizeof(k.key), "%.*s", (int)(eq - s), s);
			snprintf(k.value, sizeof(k.value), "%.*s", (int)(len - (size_t)(eq - s) - 1), eq + 1);
			if (k.key[0] >= 'a' && k.key[0] <= 'z')
				k.key[0] = (char)(k.key[0] - 'a' + 'A');
			size_t i = 0;
			while (i < n && strcmp(w[i].key, k.key) != 0)
				i++;
			if (i < n)
				w[i] = k;
			else if (n < max)
				w[n++] = k;
		}
		s += len;
		s += strspn(s, " ");
	}
	return n;
}
static int kv_word_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv_word *)a)->key, ((const struct kv_word *)b)->key);
}
static void event_data(struct kl_json *j, const char *data, const char *resource)
{
	struct kv_word w[8];
	size_t n = data_words(data, w, 0, 8);
	n = data_words(resource, w, n, 8);
	if (!n)
		return;
	qsort(w, n, sizeof(w[0]), kv_word_cmp);
	kl_json_open(j, "EventData", '{');
	for (size_t i = 0; i < n; i++)
		kl_json_str(j, w[i].key, w[i].value);
	kl_json_close(j, '}');
}

void kl_alert_tags(struct kl_json *j, const char *tags)
{
	kl_json_str_nonempty(j, "Tags", tags);
	if (*tags) {
		kl_json_open(j, "ATags", '[');
		for (const char *p = tags; *p;) {
			size_t n = strcspn(p, ",");
			kl_json_strn(j, NULL, p, n);
			p += n;
			if (*p)
				p++;
		}
		kl_json_close(j, ']');
	}
}

int kl_alert_print(FILE *out, struct kl_json *j, const struct kl_alert_ctx *c, const struct kl_starget *t,
		   const struct karmor_event *e)
{
	const struct karmor_image_rule *rule = NULL;
	if (t && e->rule != KARMOR_RULE_NONE && e->rule <= t->img.hdr->nrules)
		rule = &t->img.rules[e->rule - 1];
	/* KarmorConfinement: refused by the confinement itself (DESIGN §4.12), no rule */
	const char *policy = e->rule == KARMOR_RULE_NONE	     ? "DefaultPosture"
			     : e->rule == KARMOR_RULE_CONFINE ? "KarmorConfinement"
			     : rule			     ? kl_image_str(&t->img, rule->policy)
							     : "";
	const struct op_info *op = e->op < KARMOR_OP_COUNT && ops[e->op].name ? &ops[e->op] : NULL;
	const char *operation = op ? op->operation : "Unknown";

	/* the resource and the op's argument */
	char resource[KARMOR_EVENT_PATH + 64], arg[64] = "", data_s[KARMOR_EVENT_PATH + 128];
	const char *src = e->source;
	int src_known = !(e->flags & KARMOR_EV_SRC_UNKNOWN) && e->source[0];
	if (e->op == KARMOR_OP_SOCKET) {
		const char *pn = kl_proto_name(e->arg);
		snprintf(arg, sizeof(arg), "%s", pn ? pn : "unknown");
		snprintf(resource, sizeof(resource), "%s",
			 e->arg < KARMOR_PROTO_COUNT && proto_resource[e->arg] ? proto_resource[e->arg] : "unknown");
	} else if (e->op == KARMOR_OP_CAPABLE) {
		const char *cn = kl_cap_name(e->arg);
		if (cn)
			snprintf(arg, sizeof(arg), "%s", cn);
		else
			snprintf(arg, sizeof(arg), "%u", e->arg);
		size_t k = 0;
		resource[k++] = 'C', resource[k++] = 'A', resource[k++] = 'P', resource[k++] = '_';
		for (const char *p = arg; *p && k + 1 < sizeof(resource); p++)
			resource[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		resource[k] = '\0';
	} else if (e->op == KARMOR_OP_SYSCALL) {
		const char *sn = kl_syscall_name(e->arg);
		if (sn)
			snprintf(arg, sizeof(arg), "%s", sn);
		else
			snprintf(arg, sizeof(arg), "%u", e->arg);
		snprintf(resource, sizeof(resource), "%.*s", (int)strnlen(e->resource, sizeof(e->resource)),
			 e->resource);
	} else {
		snprintf(resource, sizeof(resource), "%.*s", (int)strnlen(e->resource, sizeof(e->resource)),
			 e->resource);
		if (e->op != KARMOR_OP_EXEC)
			snprintf(arg, sizeof(arg), "%s",
				 (e->flags & KARMOR_EV_READ) && (e->flags & KARMOR_EV_WRITE) ? "read,write"
				 : (e->flags & KARMOR_EV_WRITE)				   ? "write"
				 : (e->flags & KARMOR_EV_READ)				   ? "read"
											   : "");
	}
	if (e->op == KARMOR_OP_SOCKET || e->op == KARMOR_OP_CAPABLE)
		snprintf(data_s, sizeof(data_s), "lsm=%s %s", op->lsm, resource);
	else if (e->op == KARMOR_OP_SYSCALL)
		syscall_data(data_s, sizeof(data_s), e, resource);
	else
		snprintf(data_s, sizeof(data_s), "lsm=%s", op ? op->lsm : "UNKNOWN");

	/* exec: the process is the new program, its parent the one that ran it (KubeArmor's
	 * layout); otherwise the parent's executable, which the kernel event does not carry */
	char parent_exe[PATH_MAX] = "";
	const char *pname, *ppname;
	size_t pname_n, ppname_n;
	if (e->op == KARMOR_OP_EXEC) {
		pname = resource;
		pname_n = sizeof(resource);
		ppname = src_known ? src : e->comm;
		ppname_n = src_known ? sizeof(e->source) : sizeof(e->comm);
	} else {
		pname = src_known ? src : e->comm;
		pname_n = src_known ? sizeof(e->source) : sizeof(e->comm);
		if (c->parent_exe && c->parent_exe(e->ppid, parent_exe, sizeof(parent_exe)) == 0) {
			ppname = parent_exe;
			ppname_n = sizeof(parent_exe);
		} else {
			ppname = e->pcomm;
			ppname_n = sizeof(e->pcomm);
		}
	}
	const char *action = e->verdict == KARMOR_BLOCK ? "Block" : e->verdict == KARMOR_AUDIT ? "Audit" : "Allow";
	int64_t real_ns = (int64_t)e->ts_boot_ns + c->boot_to_real_ns;
	char when[80];
	iso_time(real_ns, when, sizeof(when));

	if (!c->json) {
		fprintf(out, "%s %s %s ", when, action, op ? op->name : "unknown");
		if (arg[0])
			fprintf(out, "%s ", arg);
		/* names and paths from the kernel, the images and the state: shown so no terminal acts on them */
		if (e->op != KARMOR_OP_SOCKET && e->op != KARMOR_OP_CAPABLE && (e->op != KARMOR_OP_SYSCALL || resource[0]))
			fprintf(out, "%s ", kl_visn(resource, sizeof(resource)));
		fprintf(out, "target=%s rule=%" PRIu32 " policy=%s pid=%" PRIu32 " uid=%" PRIu32 " process=%s: %s\n",
			t ? kl_vis(t->name) : "?", e->rule, policy[0] ? kl_vis(policy) : "?", e->pid, e->uid,
			kl_visn(pname, pname_n), errno_text(e->retval));
		return ferror(out) ? -1 : 0;
	}

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
		if (e->flags & fl[k].bit)
			snprintf(flags + strlen(flags), sizeof(flags) - strlen(flags), "%s%s", flags[0] ? "," : "",
				 fl[k].name);
	/* KubeArmor's BPF enforcer says "Permission denied" for every refusal; what the
	 * process was told (EPERM for capabilities and cgroup-mode sockets) is KarmorResult */
	const char *result = e->retval >= 0 ? "Passed" : "Permission denied";
	/* a syscall event is the system monitor's: what the syscall returned, as its errno text */
	if (e->op == KARMOR_OP_SYSCALL)
		result = errno_text(e->retval);
	int host = t && (t->host || (t->img.hdr->flags & KARMOR_TF_HOST));

	kl_json_reset(j);
	kl_json_open(j, NULL, '{');
	kl_json_i64(j, "Timestamp", real_ns / 1000000000);
	kl_json_str(j, "UpdatedTime", when);
	kl_json_str_nonempty(j, "HostName", c->host);
	/* a container target from a workload inventory: who it is, in KubeArmor's keys
	 * (PodName is the inventory's: "NAME-*" for a controller's pods) */
	const struct karmor_image_identity *id = t ? t->img.ident : NULL;
	if (id && !(id->flags & KARMOR_IDENT_HOST)) {
		kl_json_str_nonempty(j, "NamespaceName", kl_image_ref(&t->img, id->namespace_));
		kl_json_open(j, "Owner", '{');
		kl_json_str_nonempty(j, "Ref", kl_image_ref(&t->img, id->kind));
		kl_json_str_nonempty(j, "Name", kl_image_ref(&t->img, id->workload));
		kl_json_str_nonempty(j, "Namespace", kl_image_ref(&t->img, id->namespace_));
		kl_json_close(j, '}');
		kl_json_str_nonempty(j, "PodName", kl_image_ref(&t->img, id->pod));
		char *labels = kl_target_labels(&t->img);
		kl_json_str_nonempty(j, "Labels", labels);
		free(labels);
		kl_json_str_nonempty(j, "ContainerName", kl_image_ref(&t->img, id->container));
		kl_json_str_nonempty(j, "ContainerImage", kl_image_ref(&t->img, id->image));
	}
	u64_nonzero(j, "HostPPID", e->ppid);
	u64_nonzero(j, "HostPID", e->pid);
	u64_nonzero(j, "PPID", e->ns_ppid);
	u64_nonzero(j, "PID", e->ns_pid);
	u64_nonzero(j, "UID", e->uid);
	strn_nonempty(j, "ParentProcessName", ppname, ppname_n);
	strn_nonempty(j, "ProcessName", pname, pname_n);
	kl_json_str_nonempty(j, "PolicyName", policy);
	if (rule && rule->severity) {
		char sev[8];
		snprintf(sev, sizeof(sev), "%u", rule->severity);
		kl_json_str(j, "Severity", sev);
	}
	kl_alert_tags(j, rule ? kl_image_str(&t->img, rule->tags) : "");
	kl_json_str_nonempty(j, "Message", rule ? kl_image_str(&t->img, rule->message) : "");
	kl_json_str(j, "Type", host ? "MatchedHostPolicy" : "MatchedPolicy");
	strn_nonempty(j, "Source", src_known ? src : e->comm, src_known ? sizeof(e->source) : sizeof(e->comm));
	kl_json_str(j, "Operation", operation);
	kl_json_str_nonempty(j, "Resource", resource);
	kl_json_str(j, "Data", data_s);
	event_data(j, data_s, e->op == KARMOR_OP_SOCKET ? resource : "");
	kl_json_str(j, "Enforcer", e->op == KARMOR_OP_SYSCALL ? "eBPF Monitor" : "BPFLSM");
	kl_json_str(j, "Action", action);
	kl_json_str(j, "Result", result);
	if (e->retval < 0 && e->retval != -EACCES && e->op != KARMOR_OP_SYSCALL)
		kl_json_str(j, "KarmorResult", errno_text(e->retval));
	kl_json_str(j, "KarmorOp", op ? op->name : "unknown");
	kl_json_str_nonempty(j, "KarmorArg", arg);
	kl_json_str_nonempty(j, "KarmorTarget", t ? t->name : "");
	u64_nonzero(j, "KarmorRuleId", e->rule);
	if (rule) {
		char loc[PATH_MAX + 32];
		snprintf(loc, sizeof(loc), "%s:%u:%u", kl_image_str(&t->img, rule->file), rule->line, rule->col);
		kl_json_str(j, "KarmorLocation", loc);
	}
	u64_nonzero(j, "KarmorCgroup", e->cgroup_id);
	kl_json_str_nonempty(j, "KarmorFlags", flags);
	kl_json_close(j, '}');
	return kl_json_print(j, out);
}
