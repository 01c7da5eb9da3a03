/*
 * events --selinux DIR: SELinux's AVC records -> the same KubeArmor alert JSON as the
 * BPF ring buffer's events (DESIGN §6: one stream whatever the host enforces).
 *
 * A karmorc SELinux module labels the paths its rules name with types of its own
 * (karmor_<target>.rN) and runs fromSource programs in domains of its own
 * (karmor_<target>.dN); its rule table (DIR/<target>.rules, written beside the module)
 * says which rules each type, and each domain's sockets and capabilities, stand for.  A
 * record is looked up by its key (a file's: its target type, for the source domain or any;
 * a socket's or capability's: the source domain and the class), and "denied" is a Block,
 * "granted" an Audit: the first line of the key with that action and the record's
 * operation names the alert (the table lists them in the verdict model's order).  Records
 * come from a
 * file (--from FILE: audit.log, dmesg or journal lines; "-" for stdin), or live from
 * the kernel's audit multicast group (CAP_AUDIT_READ) until SIGINT or SIGTERM.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/netlink.h>

#include "loader.h"

/* one line of a rule table */
struct avc_rule {
	char *key, *action, *policy, *severity, *tags, *message, *location, *cls, *rule, *target, *ops;
};

struct avc_table {
	struct avc_rule *rules;
	size_t n, cap;
};

struct avc_ctx {
	struct avc_table tab;
	struct kl_json j;
	int json;
	char host[256];
	uint64_t printed, ignored;
};

/* ------------------------------------------------------------ the rule tables */

static int avc_table_add(struct avc_table *t, char *line)
{
	char *f[11];
	size_t n = 0;
	for (char *p = line; n < 11; n++) {
		f[n] = p;
		p = strchr(p, '\t');
		if (!p) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	if (n != 11)
		return -1;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct avc_rule *r = realloc(t->rules, cap * sizeof(*r));
		if (!r)
			return -1;
		t->rules = r;
		t->cap = cap;
	}
	struct avc_rule *r = &t->rules[t->n++];
	*r = (struct avc_rule){f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10]};
	return 0;
}

/* every rule table (DIR/NAME.rules); 0, or -1 with the reason printed */
static int avc_tables_read(const char *dir, struct avc_table *t)
{
	DIR *d = opendir(dir);
	if (!d) {
		kl_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	struct dirent *e;
	int rc = 0, files = 0;
	while (rc == 0 && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len < 7 || strcmp(e->d_name + len - 6, ".rules"))
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "r");
		if (!f) {
			kl_err("%s: %s", path, strerror(errno));
			rc = -1;
			break;
		}
		files++;
		char *line = NULL;
		size_t cap = 0;
		unsigned no = 0;
		while (getline(&line, &cap, f) > 0) {
			no++;
			line[strcspn(line, "\n")] = '\0';
			if (line[0] == '#' || !line[0])
				continue;
			/* the table keeps the line: its fields point into it */
			char *keep = strdup(line);
			if (!keep || avc_table_add(t, keep)) {
				kl_err("%s:%u: not a rule table line (11 TAB-separated fields; a table of an older karmorc needs a new compile)", path, no);
				free(keep);
				rc = -1;
				break;
			}
		}
		free(line);
		fclose(f);
	}
	closedir(d);
	if (rc == 0 && !files) {
		kl_err("%s: no rule table (*.rules, written by karmorc compile --target=selinux)", dir);
		rc = -1;
	}
	return rc;
}

static void avc_tables_free(struct avc_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->rules[i].key);	/* the line all fields point into */
	free(t->rules);
}

/* the first line of `key` with `action` deciding operation `op` ('r', 'w', 'x'; 0: any),
 * else NULL */
static const struct avc_rule *avc_rule_for(const struct avc_table *t, const char *key, const char *action, char op)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct avc_rule *r = &t->rules[i];
		if (!strcmp(r->key, key) && !strcmp(r->action, action) &&
		    (!op || !strcmp(r->ops, "-") || strchr(r->ops, op)))
			return r;
	}
	return NULL;
}

/* the line for a record: the first of `keys` the table has decides (its line with the
 * record's action, else with the other one, except for "*" keys: a record on a type
 * the module does not label is ours only when the posture audits it) */
static const struct avc_rule *avc_lookup(const struct avc_table *t, const char *const *keys, size_t nkeys, int denied,
					 char op)
{
	for (size_t k = 0; k < nkeys; k++) {
		const char *action = denied ? "Block" : "Audit", *other = denied ? "Audit" : "Block";
		const struct avc_rule *r = avc_rule_for(t, keys[k], action, op);
		if (!r && keys[k][0] != '*')
			r = avc_rule_for(t, keys[k], other, op);
		if (!r && keys[k][0] != '*')
			r = avc_rule_for(t, keys[k], action, 0);
		if (r)
			return r;
		for (size_t i = 0; i < t->n; i++)
			if (!strcmp(t->rules[i].key, keys[k]))
				return NULL;	/* the key is the table's, and no line fits */
	}
	return NULL;
}

/* ------------------------------------------------------------ one record */

/* the value of ` key=` in rec (quoted: without the quotes), or NULL; *n its length */
static const char *avc_field(const char *rec, const char *key, size_t *n)
{
	size_t k = strlen(key);
	for (const char *p = rec; (p = strstr(p, key)); p += k) {
		if (p != rec && p[-1] != ' ')
			continue;
		if (p[k] != '=')
			continue;
		const char *v = p + k + 1;
		if (*v == '"') {
			const char *end = strchr(v + 1, '"');
			if (!end)
				return NULL;
			*n = (size_t)(end - v - 1);
			return v + 1;
		}
		*n = strcspn(v, " \n");
		return v;
	}
	return NULL;
}

/* the TYPE of a context user:role:TYPE:level, into buf; 0, or -1 */
static int avc_context_type(const char *ctx, size_t n, char *buf, size_t len)
{
	const char *type = ctx;
	for (int k = 0; k < 2 && type; k++) {
		type = memchr(type, ':', n - (size_t)(type - ctx));
		type = type ? type + 1 : NULL;
	}
	const char *end = type ? memchr(type, ':', n - (size_t)(type - ctx)) : NULL;
	if (!type || !end || (size_t)(end - type) >= len)
		return -1;
	memcpy(buf, type, (size_t)(end - type));
	buf[end - type] = '\0';
	return 0;
}

/* which operation of the verdict model a file record's permissions are */
static char avc_file_op(const char *perms)
{
	static const char *const exec[] = {"execute", "execute_no_trans", "entrypoint", "execmod"};
	static const char *const write[] = {"write", "append", "create", "setattr", "unlink", "link", "rename",
					    "relabelfrom", "add_name", "remove_name", "rmdir", "reparent", "quotaon",
					    "mounton"};
	char op = 'r';
	for (const char *p = perms; *p;) {
		size_t w = strcspn(p, ",");
		for (size_t k = 0; k < sizeof(exec) / sizeof(exec[0]); k++)
			if (strlen(exec[k]) == w && !strncmp(p, exec[k], w))
				return 'x';
		for (size_t k = 0; k < sizeof(write) / sizeof(write[0]); k++)
			if (strlen(write[k]) == w && !strncmp(p, write[k], w))
				op = 'w';
		p += w + (p[w] == ',');
	}
	return op;
}

/* what a socket class is, in KubeArmor's words (Resource of a network event) */
static const char *avc_socket_resource(const char *cls)
{
	static const char *const map[][2] = {
		{"tcp_socket", "protocol=TCP type=SOCK_STREAM"}, {"udp_socket", "protocol=UDP type=SOCK_DGRAM"},
		{"sctp_socket", "protocol=SCTP"}, {"icmp_socket", "protocol=ICMP type=SOCK_DGRAM"},
		{"rawip_socket", "type=SOCK_RAW"}, {"packet_socket", "domain=AF_PACKET"},
		{"unix_stream_socket", "domain=AF_UNIX type=SOCK_STREAM"},
		{"unix_dgram_socket", "domain=AF_UNIX type=SOCK_DGRAM"}, {"dccp_socket", "protocol=DCCP"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(map[i][0], cls))
			return map[i][1];
	return cls;
}

static int avc_record(struct avc_ctx *c, const char *rec)
{
	const char *avc = strstr(rec, "avc:");
	if (!avc)
		return 0;
	int denied = strstr(avc, "denied") && (!strstr(avc, "granted") || strstr(avc, "denied") < strstr(avc, "granted"));
	const char *open = strchr(avc, '{'), *close = open ? strchr(open, '}') : NULL;
	size_t tn = 0, sn = 0, tcn = 0;
	const char *tctx = avc_field(avc, "tcontext", &tn), *sctx = avc_field(avc, "scontext", &sn);
	const char *tclass = avc_field(avc, "tclass", &tcn);
	char ttype[256], stype[256], cls[64];
	if (!open || !close || !tctx || !sctx || !tclass || tcn >= sizeof(cls) ||
	    avc_context_type(tctx, tn, ttype, sizeof(ttype)) || avc_context_type(sctx, sn, stype, sizeof(stype))) {
		c->ignored++;
		return 0;
	}
	memcpy(cls, tclass, tcn);
	cls[tcn] = '\0';

	/* the permissions, "read,open" */
	char perms[256] = "";
	for (const char *p = open + 1; p < close;) {
		while (p < close && *p == ' ')
			p++;
		size_t w = strcspn(p, " }");
		if (p + w > close)
			w = (size_t)(close - p);
		if (w && strlen(perms) + w + 2 < sizeof(perms)) {
			if (perms[0])
				strcat(perms, ",");
			strncat(perms, p, w);
		}
		p += w;
	}

	/* the keys the table may have for it (see backends/selinux.c) */
	static const char *const file_classes[] = {"file", "dir", "lnk_file", "chr_file", "blk_file", "sock_file",
						   "fifo_file"};
	enum { AVC_FILE, AVC_SOCKET, AVC_CAPABILITY } kind = AVC_FILE;
	int known = 0;
	for (size_t k = 0; k < sizeof(file_classes) / sizeof(file_classes[0]); k++)
		known = known || !strcmp(cls, file_classes[k]);
	if (!strcmp(cls, "capability") || !strcmp(cls, "capability2"))
		kind = AVC_CAPABILITY;
	else if (strlen(cls) > 7 && !strcmp(cls + strlen(cls) - 7, "_socket"))
		kind = AVC_SOCKET;
	else if (!known) {
		c->ignored++;
		return 0;
	}
	char keys[4][600];
	size_t nkeys = 0;
	char op = 0;
	if (kind == AVC_FILE) {
		op = avc_file_op(perms);
		snprintf(keys[nkeys++], sizeof(keys[0]), "%s@%s", ttype, stype);
		snprintf(keys[nkeys++], sizeof(keys[0]), "%s", ttype);
		snprintf(keys[nkeys++], sizeof(keys[0]), "*@%s", stype);
		snprintf(keys[nkeys++], sizeof(keys[0]), "*");
	} else {
		char what[128];
		if (kind == AVC_CAPABILITY)
			snprintf(what, sizeof(what), "capability:%.*s", (int)strcspn(perms, ","), perms);
		else
			snprintf(what, sizeof(what), "%s", cls);
		snprintf(keys[nkeys++], sizeof(keys[0]), "%s/%s", stype, what);
		snprintf(keys[nkeys++], sizeof(keys[0]), "*/%s", what);
	}
	const char *keyp[4] = {keys[0], keys[1], keys[2], keys[3]};
	const struct avc_rule *r = avc_lookup(&c->tab, keyp, nkeys, denied, op);
	if (!r) {
		c->ignored++;	/* not one of ours */
		return 0;
	}
	size_t permissive_n = 0;
	const char *permissive = avc_field(avc, "permissive", &permissive_n);
	int monitor = permissive && permissive_n == 1 && *permissive == '1';
	const char *action = denied && !monitor ? "Block" : "Audit";

	size_t cn = 0, pn = 0, nn = 0, pidn = 0;
	const char *comm = avc_field(avc, "comm", &cn), *path = avc_field(avc, "path", &pn);
	const char *name = avc_field(avc, "name", &nn);
	const char *pid = avc_field(avc, "pid", &pidn);
	const char *operation, *kop;
	char resource[4096] = "";
	if (kind == AVC_SOCKET) {
		operation = "Network", kop = "socket";
		snprintf(resource, sizeof(resource), "%s", avc_socket_resource(cls));
	} else if (kind == AVC_CAPABILITY) {
		operation = "Capabilities", kop = "capable";
		size_t k = 0;
		resource[k++] = 'C', resource[k++] = 'A', resource[k++] = 'P', resource[k++] = '_';
		for (const char *p = perms; *p && *p != ',' && k + 1 < sizeof(resource); p++)
			resource[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		resource[k] = '\0';
	} else {
		operation = op == 'x' ? "Process" : "File", kop = op == 'x' ? "exec" : "file";
		/* the resource: the record's path, else the rule's own path when it names one
		 * file, else the record's last component */
		size_t rl = strlen(r->rule);
		if (path)
			snprintf(resource, sizeof(resource), "%.*s", (int)pn, path);
		else if (rl && r->rule[rl - 1] != '/' && name && rl >= nn && !strncmp(r->rule + rl - nn, name, nn))
			snprintf(resource, sizeof(resource), "%s", r->rule);
		else if (name)
			snprintf(resource, sizeof(resource), "%.*s", (int)nn, name);
	}
	/* the time: audit(SECONDS.MILLIS:SERIAL), else now */
	long long secs = 0;
	const char *ts = strstr(rec, "audit(");
	if (!ts || sscanf(ts + 6, "%lld", &secs) != 1)
		secs = (long long)time(NULL);
	char when[64];
	time_t tt = (time_t)secs;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	char data[512];
	snprintf(data, sizeof(data), "lsm=SELINUX tclass=%s permission=%s", cls, perms);
	const char *result = denied && !monitor ? "Permission denied" : "Passed";

	if (!c->json) {
		printf("%s %s %s %s %s target=%s policy=%s pid=%.*s process=%.*s: %s\n", when, action, kop, perms,
		       kl_vis(resource), kl_vis(r->target), kl_vis(r->policy), (int)pidn, pid ? pid : "", (int)cn,
		       comm ? kl_visn(comm, cn) : "", result);
		c->printed++;
		return ferror(stdout) ? -1 : 0;
	}
	struct kl_json *j = &c->j;
	kl_json_reset(j);
	kl_json_open(j, NULL, '{');
	kl_json_i64(j, "Timestamp", secs);
	kl_json_str(j, "UpdatedTime", when);
	if (c->host[0])
		kl_json_str(j, "HostName", c->host);
	if (pid)
		kl_json_i64(j, "HostPID", strtoll(pid, NULL, 10));
	if (comm)
		kl_json_strn(j, "ProcessName", comm, cn);
	kl_json_str(j, "PolicyName", r->policy);
	if (strcmp(r->severity, "0"))
		kl_json_str(j, "Severity", r->severity);
	kl_alert_tags(j, r->tags);
	if (r->message[0])
		kl_json_str(j, "Message", r->message);
	kl_json_str(j, "Type", "MatchedHostPolicy");
	if (comm)
		kl_json_strn(j, "Source", comm, cn);
	kl_json_str(j, "Operation", operation);
	if (resource[0])
		kl_json_str(j, "Resource", resource);
	kl_json_str(j, "Data", data);
	kl_json_str(j, "Enforcer", "SELinux");
	kl_json_str(j, "Action", action);
	kl_json_str(j, "Result", result);
	kl_json_str(j, "KarmorOp", kop);
	kl_json_str(j, "KarmorArg", perms);
	kl_json_str(j, "KarmorTarget", r->target);
	kl_json_str(j, "KarmorLocation", r->location);
	kl_json_str(j, "KarmorType", kind == AVC_FILE ? ttype : stype);
	if (monitor)
		kl_json_str(j, "KarmorFlags", "permissive");
	kl_json_close(j, '}');
	c->printed++;
	return kl_json_print(j, stdout);
}

/* ------------------------------------------------------------ sources */

static volatile sig_atomic_t avc_stop;

static void avc_on_signal(int sig)
{
	(void)sig;
	avc_stop = 1;
}

static int avc_from_file(struct avc_ctx *c, const char *file)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	if (!f) {
		kl_err("%s: %s", file, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;
	while (rc == 0 && getline(&line, &cap, f) > 0)
		rc = avc_record(c, line);
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* live: the audit multicast group (every record, as auditd would get it) */
static int avc_live(struct avc_ctx *c)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1)};
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa))) {
		kl_err("the audit multicast group: %s (needs CAP_AUDIT_READ)", strerror(errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	struct sigaction act;
	memset(&act, 0, sizeof(act));
	act.sa_handler = avc_on_signal;	/* no SA_RESTART: recv returns EINTR */
	sigaction(SIGINT, &act, NULL);
	sigaction(SIGTERM, &act, NULL);
	static char buf[1 << 16];
	int rc = 0;
	while (!avc_stop && rc == 0) {
		ssize_t len = recv(s, buf, sizeof(buf) - 1, 0);
		if (len < 0) {
			if (errno == EINTR || errno == ENOBUFS) {
				if (errno == ENOBUFS)
					kl_warn("audit records were lost (the reader was too slow)");
				continue;
			}
			kl_err("reading audit records: %s", strerror(errno));
			rc = -1;
			break;
		}
		/* the messages of one read, walked by hand: NLMSG_OK mixes signed and unsigned */
		for (size_t off = 0; rc == 0 && off + NLMSG_HDRLEN <= (size_t)len;) {
			struct nlmsghdr *h = (struct nlmsghdr *)(buf + off);
			if (h->nlmsg_len < NLMSG_HDRLEN || off + h->nlmsg_len > (size_t)len)
				break;
			off += NLMSG_ALIGN(h->nlmsg_len);
			if (h->nlmsg_type != AUDIT_AVC)
				continue;
			char rec[8192];
			size_t n = h->nlmsg_len - NLMSG_HDRLEN;
			if (n >= sizeof(rec))
				n = sizeof(rec) - 1;
			memcpy(rec, NLMSG_DATA(h), n);
			rec[n] = '\0';
			rc = avc_record(c, rec);
			fflush(stdout);
		}
	}
	close(s);
	return rc;
}

int kl_selinux_events(const char *dir, const char *from, int json)
{
	struct avc_ctx c;
	memset(&c, 0, sizeof(c));
	c.json = json;
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(c.host, sizeof(c.host), "%s", u.nodename);
	kl_json_init(&c.j);
	int rc = avc_tables_read(dir, &c.tab);
	if (rc == 0)
		rc = from ? avc_from_file(&c, from) : avc_live(&c);
	if (rc == 0 && fflush(stdout)) {
		kl_err("standard output: %s", strerror(errno));
		rc = -1;
	}
	kl_json_free(&c.j);
	avc_tables_free(&c.tab);
	return rc ? KL_EXIT_FAIL : 0;
}
