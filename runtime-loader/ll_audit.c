/*
 * events --landlock DIR: Landlock's audit records (ABI 7, when auditing is on) -> the
 * KubeArmor alert JSON every other backend's events become (DESIGN §6).
 *
 * One denial is several records of one audit event (one serial): LANDLOCK_ACCESS (1423:
 * the domain, the rights it lacked as "blockers", the path or port), the first time a
 * domain is logged LANDLOCK_DOMAIN (1424, status=allocated: the pid that restricted itself,
 * which `karmor-loader run` is until it execs CMD), then SYSCALL (1300: the pid, comm and
 * exe that were refused), and EOE (1320).  The target is the one `karmor-loader run` recorded
 * for the domain's pid (landlock.c, the run registry), else the only target of DIR's rule
 * tables; the rule is the first line of its table that fits the path and the operation
 * (the rights map to read, write or exec), as for AppArmor's records (aa_audit.c).
 */
#include <linux/audit.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "loader.h"

#define LL_DOMAINS 256

struct ll_pending {
	char serial[32];
	char domain[32];
	char blockers[256];
	char path[4096];
	int live;
};

struct ll_ctx {
	struct kl_audit_table tab;
	struct kl_json j;
	int json;
	char host[256];
	const char *state_dir;
	struct {
		char domain[32];
		long pid;
		char target[256];
	} domains[LL_DOMAINS];
	size_t ndomains, next;	/* a ring: the oldest is forgotten first */
	struct ll_pending p;
};

/* "audit(SECS.MS:SERIAL)" -> SERIAL */
static void ll_serial(const char *rec, char *out, size_t len)
{
	const char *a = strstr(rec, "audit("), *colon = a ? strchr(a, ':') : NULL, *end = colon ? strchr(colon, ')') : NULL;
	size_t n = end ? (size_t)(end - colon - 1) : 0;
	if (n >= len)
		n = len - 1;
	memcpy(out, colon ? colon + 1 : "", n);
	out[n] = 0;
}

static int ll_type(const char *rec)
{
	if (strncmp(rec, "type=", 5))
		return 0;
	if (!strncmp(rec + 5, "LANDLOCK_ACCESS", 15))
		return 1423;
	if (!strncmp(rec + 5, "LANDLOCK_DOMAIN", 15))
		return 1424;
	if (!strncmp(rec + 5, "SYSCALL", 7))
		return 1300;
	if (!strncmp(rec + 5, "EOE", 3))
		return 1320;
	return atoi(rec + 5);
}

/* which operation of the verdict model the missing rights are */
static char ll_op(const char *blockers)
{
	if (strstr(blockers, "fs.execute"))
		return 'x';
	if (strstr(blockers, "fs.read_file") || strstr(blockers, "fs.read_dir"))
		return 'r';
	return 'w';
}

static const char *ll_target_of(struct ll_ctx *c, const char *domain)
{
	for (size_t i = 0; i < c->ndomains; i++)
		if (!strcmp(c->domains[i].domain, domain) && c->domains[i].target[0])
			return c->domains[i].target;
	/* a domain first logged before this reader started, or one run did not record (an
	 * unprivileged run): the only target, if one */
	return c->tab.ntargets == 1 ? c->tab.targets[0].name : NULL;
}

static int ll_emit(struct ll_ctx *c, const char *rec, const char *syscall_rec)
{
	struct ll_pending *p = &c->p;
	p->live = 0;
	const char *target = ll_target_of(c, p->domain);
	if (!target || !p->path[0])
		return 0;	/* not one of ours (or a TCP port: no table line names one) */
	char key[512], comm[256] = "", exe[4096] = "", data[512];
	snprintf(key, sizeof(key), "%s/file", target);
	char op = ll_op(p->blockers);
	const struct kl_audit_row *r = kl_audit_file_row(&c->tab, key, "Block", op, 1, p->path);
	if (!r)
		return 0;
	struct kl_audit_alert a = {.secs = kl_audit_time(rec), .host = c->host, .row = r,
				   .who = r->who ? &c->tab.targets[r->who - 1] : NULL, .enforcer = "Landlock",
				   .action = "Block", .result = "Permission denied", .karg = p->blockers};
	if (syscall_rec) {
		kl_audit_string(syscall_rec, "comm", comm, sizeof(comm));
		kl_audit_string(syscall_rec, "exe", exe, sizeof(exe));
		size_t n = 0;
		const char *pid = kl_audit_field(syscall_rec, "pid", &n);
		if (pid && n < sizeof(a.pid))
			memcpy(a.pid, pid, n);
	}
	a.comm = exe[0] ? exe : comm;
	a.operation = op == 'x' ? "Process" : "File";
	a.kop = op == 'x' ? "exec" : "open";
	a.resource = p->path;
	a.process = op == 'x' ? p->path : a.comm;
	a.parent = op == 'x' ? a.comm : "";
	snprintf(data, sizeof(data), "lsm=LANDLOCK blockers=%s domain=%s", p->blockers, p->domain);
	a.data = data;
	return kl_audit_print(&c->j, c->json, &a);
}

static int ll_record(void *vctx, const char *rec)
{
	struct ll_ctx *c = vctx;
	int type = ll_type(rec);
	char serial[32];
	ll_serial(rec, serial, sizeof(serial));
	/* the pending access ends with its event: its SYSCALL record says who, EOE that
	 * nothing more comes; a record of another event means the same */
	if (c->p.live && strcmp(serial, c->p.serial)) {
		int r = ll_emit(c, rec, NULL);
		if (r)
			return r;
	}
	if (type == 1424) {
		char status[32] = "", pid[24] = "";
		if (kl_audit_raw(rec, "status", status, sizeof(status)) || strcmp(status, "allocated"))
			return 0;
		size_t k = c->next;
		if (kl_audit_raw(rec, "domain", c->domains[k].domain, sizeof(c->domains[k].domain)) ||
		    kl_audit_raw(rec, "pid", pid, sizeof(pid)))
			return 0;
		c->domains[k].pid = strtol(pid, NULL, 10);
		if (kl_ll_run_target(c->state_dir, c->domains[k].pid, c->domains[k].target, sizeof(c->domains[k].target)))
			c->domains[k].target[0] = 0;
		c->next = (k + 1) % LL_DOMAINS;
		if (c->ndomains < LL_DOMAINS)
			c->ndomains++;
		return 0;
	}
	if (type == 1423) {
		struct ll_pending *p = &c->p;
		memset(p, 0, sizeof(*p));
		snprintf(p->serial, sizeof(p->serial), "%s", serial);
		kl_audit_raw(rec, "domain", p->domain, sizeof(p->domain));
		kl_audit_raw(rec, "blockers", p->blockers, sizeof(p->blockers));
		kl_audit_string(rec, "path", p->path, sizeof(p->path));
		p->live = 1;
		return 0;
	}
	if (c->p.live && (type == 1300 || type == 1320))
		return ll_emit(c, rec, type == 1300 ? rec : NULL);
	return 0;
}

/* whether the kernel audits at all (AUDIT_GET): 1, 0, or -1 when it cannot be asked */
static int ll_auditing(void)
{
	struct {
		struct nlmsghdr h;
		char body[512];
	} msg;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT), on = -1;
	if (s < 0)
		return -1;
	memset(&msg, 0, sizeof(msg));
	msg.h.nlmsg_len = NLMSG_HDRLEN;
	msg.h.nlmsg_type = AUDIT_GET;
	msg.h.nlmsg_flags = NLM_F_REQUEST;
	struct timeval tv = {.tv_sec = 1};
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (sendto(s, &msg, msg.h.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) >= 0) {
		for (int k = 0; k < 2 && on < 0; k++) {
			ssize_t n = recv(s, &msg, sizeof(msg), 0);
			if (n < (ssize_t)NLMSG_HDRLEN || msg.h.nlmsg_type == NLMSG_ERROR)
				continue;
			if (msg.h.nlmsg_type == AUDIT_GET && (size_t)n >= NLMSG_HDRLEN + sizeof(struct audit_status)) {
				struct audit_status st;
				memcpy(&st, NLMSG_DATA(&msg.h), sizeof(st));
				on = st.enabled != 0;
			}
		}
	}
	close(s);
	return on;
}

int kl_landlock_events(const char *dir, const char *state_dir, const char *from, int json)
{
	if (!from) {
		/* say why nothing may come, rather than wait in silence */
		int abi = kl_landlock_abi();
		if (abi < 7)
			kl_warn("Landlock ABI %d logs no denials (ABI 7 does): no event will come from this kernel",
				abi < 0 ? 0 : abi);
		else if (ll_auditing() == 0)
			kl_warn("auditing is off (auditctl -e 1): Landlock logs no denial until it is on");
	}
	struct ll_ctx *c = calloc(1, sizeof(*c));
	if (!c) {
		kl_err("out of memory");
		return KL_EXIT_FAIL;
	}
	c->json = json;
	c->state_dir = state_dir;
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(c->host, sizeof(c->host), "%s", u.nodename);
	kl_json_init(&c->j);
	int rc = kl_audit_tables_read(dir, &c->tab, KL_AUDIT_FIELDS, "karmorc compile --target=landlock, landlock-rules/");
	if (rc == 0)
		rc = kl_audit_read(from, 1, ll_record, NULL, c);
	if (rc == 0 && c->p.live)
		rc = ll_emit(c, "", NULL);
	kl_json_free(&c->j);
	kl_audit_tables_free(&c->tab);
	free(c);
	return rc ? KL_EXIT_FAIL : 0;
}
