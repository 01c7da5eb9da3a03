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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "loader.h"

struct avc_ctx {
	struct kl_audit_table tab;
	struct kl_json j;
	int json;
	char host[256];
	uint64_t printed, ignored;
};

/* the first line of `key` with `action` deciding operation `op` ('r', 'w', 'x'; 0: any),
 * else NULL */
static const struct kl_audit_row *avc_rule_for(const struct kl_audit_table *t, const char *key, const char *action, char op)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct kl_audit_row *r = &t->rows[i];
		if (!strcmp(r->key, key) && !strcmp(r->action, action) &&
		    (!op || !strcmp(r->ops, "-") || strchr(r->ops, op)))
			return r;
	}
	return NULL;
}

/* the line for a record: the first of `keys` the table has decides (its line with the
 * record's action, else with the other one, except for "*" keys: a record on a type
 * the module does not label is ours only when the posture audits it) */
static const struct kl_audit_row *avc_lookup(const struct kl_audit_table *t, const char *const *keys, size_t nkeys, int denied,
					 char op)
{
	for (size_t k = 0; k < nkeys; k++) {
		const char *action = denied ? "Block" : "Audit", *other = denied ? "Audit" : "Block";
		const struct kl_audit_row *r = avc_rule_for(t, keys[k], action, op);
		if (!r && keys[k][0] != '*')
			r = avc_rule_for(t, keys[k], other, op);
		if (!r && keys[k][0] != '*')
			r = avc_rule_for(t, keys[k], action, 0);
		if (r)
			return r;
		for (size_t i = 0; i < t->n; i++)
			if (!strcmp(t->rows[i].key, keys[k]))
				return NULL;	/* the key is the table's, and no line fits */
	}
	return NULL;
}

/* ------------------------------------------------------------ one record */

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
	const char *tctx = kl_audit_field(avc, "tcontext", &tn), *sctx = kl_audit_field(avc, "scontext", &sn);
	const char *tclass = kl_audit_field(avc, "tclass", &tcn);
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
	const struct kl_audit_row *r = avc_lookup(&c->tab, keyp, nkeys, denied, op);
	if (!r) {
		c->ignored++;	/* not one of ours */
		return 0;
	}
	size_t permissive_n = 0;
	const char *permissive = kl_audit_field(avc, "permissive", &permissive_n);
	int monitor = permissive && permissive_n == 1 && *permissive == '1';
	const char *action = denied && !monitor ? "Block" : "Audit";

	char comm[256] = "", path[4096], name[4096];
	int have_path = kl_audit_string(avc, "path", path, sizeof(path)) == 0;
	int have_name = kl_audit_string(avc, "name", name, sizeof(name)) == 0;
	kl_audit_string(avc, "comm", comm, sizeof(comm));
	struct kl_audit_alert a = {.secs = kl_audit_time(rec), .host = c->host, .comm = comm, .process = comm, .row = r,
				   .enforcer = "SELinux", .action = action, .karg = perms,
				   .ktype = kind == AVC_FILE ? ttype : stype, .flags = monitor ? "permissive" : ""};
	size_t pidn = 0;
	const char *pid = kl_audit_field(avc, "pid", &pidn);
	if (pid && pidn < sizeof(a.pid))
		memcpy(a.pid, pid, pidn);
	char resource[4096] = "";
	if (kind == AVC_SOCKET) {
		a.operation = "Network", a.kop = "socket";
		snprintf(resource, sizeof(resource), "%s", avc_socket_resource(cls));
	} else if (kind == AVC_CAPABILITY) {
		a.operation = "Capabilities", a.kop = "capable";
		size_t k = 0;
		resource[k++] = 'C', resource[k++] = 'A', resource[k++] = 'P', resource[k++] = '_';
		for (const char *p = perms; *p && *p != ',' && k + 1 < sizeof(resource); p++)
			resource[k++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
		resource[k] = '\0';
	} else {
		a.operation = op == 'x' ? "Process" : "File", a.kop = op == 'x' ? "exec" : "file";
		/* the resource: the record's path, else the rule's own path when it names one
		 * file, else the record's last component */
		size_t rl = strlen(r->rule), nn = have_name ? strlen(name) : 0;
		if (have_path)
			snprintf(resource, sizeof(resource), "%s", path);
		else if (rl && r->rule[rl - 1] != '/' && have_name && rl >= nn && !strcmp(r->rule + rl - nn, name))
			snprintf(resource, sizeof(resource), "%s", r->rule);
		else if (have_name)
			snprintf(resource, sizeof(resource), "%s", name);
	}
	a.resource = resource;
	char data[512];
	snprintf(data, sizeof(data), "lsm=SELINUX tclass=%s permission=%s", cls, perms);
	a.data = data;
	a.result = denied && !monitor ? "Permission denied" : "Passed";
	c->printed++;
	return kl_audit_print(&c->j, c->json, &a);
}

static int avc_record_cb(void *ctx, const char *rec)
{
	return avc_record(ctx, rec);
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
	int rc = kl_audit_tables_read(dir, &c.tab, 11, "karmorc compile --target=selinux");
	if (rc == 0)
		rc = kl_audit_read(from, 0, avc_record_cb, NULL, &c);
	kl_json_free(&c.j);
	kl_audit_tables_free(&c.tab);
	return rc ? KL_EXIT_FAIL : 0;
}
