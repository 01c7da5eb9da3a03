/*
 * events with AppArmor: the kernel's AppArmor records -> the same KubeArmor alert JSON as
 * the BPF ring buffer's events (DESIGN §6: one stream whatever the host enforces).
 *
 * A record names its profile (a target's, or TARGET//CHILD for a fromSource program), the
 * path, socket or capability, and how AppArmor decided: "DENIED" (refused), "AUDIT" (an
 * `audit` rule permitted it) or "ALLOWED" (a profile in complain mode permitted what it
 * does not grant: the audit posture of an allow-list, or every Block under --mode=monitor).
 * AppArmor does not say which rule decided, so the rule table karmorc writes beside the
 * profile (apparmor-rules/TARGET.rules; backends/apparmor.c) lists, per profile and
 * class, the rules that refuse or audit there with what each matches, in the verdict
 * model's order: the first line that fits the record names the alert.  DENIED looks for
 * Block lines, AUDIT for Audit lines, ALLOWED for any (a Block line then is an Audit:
 * permitted and logged); "Allow" lines, the grants of an allow-list, name nothing, but
 * keep the posture from naming what they grant.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "loader.h"

struct aa_ctx {
	struct kl_audit_table tab;
	struct kl_json j;
	int json, monitor;
	char host[256];
	/* the applied state's directory when following it (NULL: --apparmor DIR), and the
	 * state file the tables were read with */
	const char *state_dir;
	struct stat seen;
};

/* a re-apply put a new state in place (finish_apply renames the tables first, the state
 * file last): its tables and mode replace the ones read before; a detach leaves them */
static void aa_follow_state(struct aa_ctx *c)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", c->state_dir, KL_AA_STATE_FILE);
	struct stat sb;
	if (stat(path, &sb) || (sb.st_ino == c->seen.st_ino && sb.st_dev == c->seen.st_dev &&
				sb.st_mtim.tv_sec == c->seen.st_mtim.tv_sec && sb.st_mtim.tv_nsec == c->seen.st_mtim.tv_nsec))
		return;
	struct kl_audit_table t;
	memset(&t, 0, sizeof(t));
	int monitor = kl_aa_monitor(c->state_dir);
	if (monitor < 0 || kl_audit_tables_read(c->state_dir, &t, KL_AUDIT_FIELDS, "karmor-loader apply")) {
		kl_audit_tables_free(&t);
		return;	/* said why; the tables read before stay */
	}
	kl_audit_tables_free(&c->tab);
	c->tab = t;
	c->monitor = monitor;
	c->seen = sb;
	kl_warn("following the AppArmor state applied now (%s)", c->state_dir);
}

/* the names a socket record stands for among AppArmor's network keywords */
struct aa_sock {
	char family[32], type[32], proto[16];
	unsigned protocol;
};

static const char *aa_proto_name(unsigned protocol)
{
	switch (protocol) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 58: return "icmpv6";
	default: return "";
	}
}

static int aa_sock_is(const struct aa_sock *s, const char *kw)
{
	return !strcmp(kw, s->type) || !strcmp(kw, s->family) || !strcmp(kw, s->proto);
}

/* does a line's ops take the record's op (r, w, x), for an owner or not (o: a non-owner's
 * only, O: an owner's only)? */
static int aa_ops_take(const char *ops, char op, int owner)
{
	if (!strcmp(ops, "-"))
		return 1;
	if ((strchr(ops, 'o') && owner) || (strchr(ops, 'O') && !owner))
		return 0;
	return strchr(ops, op) != NULL;
}

/* does line r fit the record? */
static int aa_fits(const struct kl_audit_row *r, const char *kind, char op, int owner, const char *subject,
		   const struct aa_sock *sock)
{
	if (!strcmp(kind, "file"))
		return aa_ops_take(r->ops, op, owner) && kl_audit_row_matches(r, subject);
	return !strcmp(r->match, "-") || (sock ? aa_sock_is(sock, r->match) : !strcmp(r->match, subject));
}

/* the first line of key that names the record's alert (want: "Block" for DENIED, "Audit"
 * for AUDIT, NULL for ALLOWED); NULL: not one of ours.  "Allow" lines (a network or
 * capability allow-list's grants) come before the posture: what one grants, the posture
 * does not decide. */
static const struct kl_audit_row *aa_lookup(const struct kl_audit_table *t, const char *key, const char *kind,
					    const char *want, char op, int owner, const char *subject,
					    const struct aa_sock *sock)
{
	/* PROFILE/CLASS's lines are its own and TARGET//ALL's, those every profile of the
	 * target holds, when PROFILE is TARGET or TARGET//CHILD (not a profile AppArmor makes
	 * below one, as TARGET//CHILD//null-PATH) */
	char every[512] = "";
	const char *cls = strrchr(key, '/');
	size_t tlen = strcspn(key, "/");
	if (cls && (key + tlen == cls || (cls > key + tlen + 1 && key[tlen + 1] == '/' &&
					  !memchr(key + tlen + 2, '/', (size_t)(cls - key) - tlen - 2))))
		snprintf(every, sizeof(every), "%.*s//ALL%s", (int)tlen, key, cls);
	int granted = 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct kl_audit_row *r = &t->rows[i];
		if ((strcmp(r->key, key) && strcmp(r->key, every)) || !aa_fits(r, kind, op, owner, subject, sock))
			continue;
		if (!strcmp(r->action, "Allow")) {
			granted = 1;
			continue;
		}
		/* an AUDIT record of a grant is an Audit rule's, not the posture's (a DENIED or
		 * ALLOWED one the kernel did not grant, whatever the table says) */
		int posture = !strcmp(r->policy, "DefaultPosture");
		if (!want || (!strcmp(r->action, want) && !(posture && granted && !strcmp(want, "Audit"))))
			return r;
	}
	return NULL;
}

const struct kl_audit_row *kl_audit_file_row(const struct kl_audit_table *t, const char *key, const char *want,
					     char op, int owner, const char *path)
{
	return aa_lookup(t, key, "file", want, op, owner, path, NULL);
}

/* which operation of the verdict model a file record's mask is */
static char aa_file_op(const char *mask, const char *operation)
{
	if (!strcmp(operation, "exec") || strchr(mask, 'x') || strchr(mask, 'm'))
		return 'x';
	return strpbrk(mask, "wacdDlk") ? 'w' : 'r';
}

static int aa_record(void *vctx, const char *rec)
{
	struct aa_ctx *c = vctx;
	const char *aa = strstr(rec, "apparmor=");
	if (!aa)
		return 0;
	if (c->state_dir)
		aa_follow_state(c);
	char verdict[16], operation[64], profile[4096], comm[256] = "";
	if (kl_audit_string(aa, "apparmor", verdict, sizeof(verdict)) ||
	    kl_audit_string(aa, "operation", operation, sizeof(operation)) ||
	    kl_audit_string(aa, "profile", profile, sizeof(profile)))
		return 0;
	int denied = !strcmp(verdict, "DENIED") || !strcmp(verdict, "KILL");
	const char *want = denied ? "Block" : !strcmp(verdict, "AUDIT") ? "Audit" : !strcmp(verdict, "ALLOWED") ? NULL : "";
	if (want && !*want)
		return 0;	/* STATUS and the like: not an access */
	kl_audit_string(aa, "comm", comm, sizeof(comm));

	/* what the record is about: a capability, a socket, or a path */
	char subject[4096] = "", mask[64] = "", resource[4096] = "", karg[64] = "", data[512], key[4200];
	const char *kind, *opname, *kop;
	struct aa_sock sock, *sp = NULL;
	char op = 0;
	int owner = 1;
	if (!strcmp(operation, "capable")) {
		kind = "capability", opname = "Capabilities", kop = "capable";
		if (kl_audit_string(aa, "capname", subject, sizeof(subject)))
			return 0;
		size_t k = snprintf(resource, sizeof(resource), "CAP_");
		for (const char *p = subject; *p && k + 1 < sizeof(resource); p++)
			resource[k++] = (char)toupper((unsigned char)*p);
		resource[k] = '\0';
		snprintf(karg, sizeof(karg), "%s", subject);
		snprintf(data, sizeof(data), "lsm=APPARMOR operation=capable capability=%s", subject);
	} else if (kl_audit_field(aa, "sock_type", &(size_t){0})) {
		kind = "network", opname = "Network", kop = "socket";
		memset(&sock, 0, sizeof(sock));
		kl_audit_string(aa, "family", sock.family, sizeof(sock.family));
		kl_audit_string(aa, "sock_type", sock.type, sizeof(sock.type));
		char num[16] = "";
		kl_audit_raw(aa, "protocol", num, sizeof(num));
		sock.protocol = (unsigned)strtoul(num, NULL, 10);
		snprintf(sock.proto, sizeof(sock.proto), "%s", aa_proto_name(sock.protocol));
		/* protocol 0: the family's default for the type */
		int inet = !strcmp(sock.family, "inet") || !strcmp(sock.family, "inet6");
		if (!sock.protocol && inet && !strcmp(sock.type, "stream"))
			snprintf(sock.proto, sizeof(sock.proto), "tcp");
		else if (!sock.protocol && inet && !strcmp(sock.type, "dgram"))
			snprintf(sock.proto, sizeof(sock.proto), "udp");
		sp = &sock;
		/* KubeArmor's system monitor spells a socket so */
		char fam[32], typ[32];
		size_t k;
		for (k = 0; sock.family[k] && k + 1 < sizeof(fam); k++)
			fam[k] = (char)toupper((unsigned char)sock.family[k]);
		fam[k] = '\0';
		for (k = 0; sock.type[k] && k + 1 < sizeof(typ); k++)
			typ[k] = (char)toupper((unsigned char)sock.type[k]);
		typ[k] = '\0';
		snprintf(resource, sizeof(resource), "domain=AF_%s type=SOCK_%s protocol=%u", fam, typ, sock.protocol);
		snprintf(karg, sizeof(karg), "%s", sock.proto[0] ? sock.proto : sock.type);
		snprintf(data, sizeof(data), "lsm=APPARMOR operation=%s", operation);
	} else {
		kind = "file";
		if (kl_audit_string(aa, "name", subject, sizeof(subject)))
			return 0;
		kl_audit_string(aa, denied ? "denied_mask" : "requested_mask", mask, sizeof(mask));
		op = aa_file_op(mask, operation);
		char fsuid[24] = "", ouid[24] = "";
		if (!kl_audit_raw(aa, "fsuid", fsuid, sizeof(fsuid)) && !kl_audit_raw(aa, "ouid", ouid, sizeof(ouid)))
			owner = !strcmp(fsuid, ouid);
		opname = op == 'x' ? "Process" : "File", kop = op == 'x' ? "exec" : operation;
		snprintf(resource, sizeof(resource), "%s", subject);
		snprintf(karg, sizeof(karg), "%s", mask);
		snprintf(data, sizeof(data), "lsm=APPARMOR operation=%s requested_mask=%s", operation, mask);
	}
	snprintf(key, sizeof(key), "%s/%s", profile, kind);
	const struct kl_audit_row *r = aa_lookup(&c->tab, key, kind, want, op, owner, subject, sp);
	if (!r)
		return 0;	/* not one of ours, or nothing of ours decided it */

	struct kl_audit_alert a = {.secs = kl_audit_time(rec), .host = c->host, .comm = comm, .row = r,
				   .who = r->who ? &c->tab.targets[r->who - 1] : NULL, .operation = opname,
				   .resource = resource, .data = data, .enforcer = "AppArmor", .kop = kop, .karg = karg};
	size_t pidn = 0;
	const char *pid = kl_audit_field(aa, "pid", &pidn);
	if (pid && pidn < sizeof(a.pid))
		memcpy(a.pid, pid, pidn);
	/* an exec's process is the new program, its parent the one that ran it */
	a.process = op == 'x' ? resource : comm;
	a.parent = op == 'x' ? comm : "";
	a.action = denied ? "Block" : "Audit";
	a.result = denied ? "Permission denied" : "Passed";
	/* ALLOWED: a complain-mode profile let it pass; under --mode=monitor a Block's */
	a.flags = !want ? (c->monitor ? "monitor" : "complain") : "";
	return kl_audit_print(&c->j, c->json, &a);
}

/* following the applied state: BPF applied in AppArmor's place ends this reader */
static int aa_tick(void *vctx)
{
	struct aa_ctx *c = vctx;
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", c->state_dir, KL_STATE_FILE);
	return !kl_aa_applied(c->state_dir) && access(path, F_OK) == 0 ? KL_EVENTS_SWITCH : 0;
}

int kl_apparmor_events(const char *dir, const char *from, int json, int monitor, int follow)
{
	struct aa_ctx c;
	memset(&c, 0, sizeof(c));
	c.json = json;
	c.monitor = monitor;
	if (follow) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/%s", dir, KL_AA_STATE_FILE);
		c.state_dir = dir;
		stat(path, &c.seen);	/* the state the tables below are read with */
	}
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(c.host, sizeof(c.host), "%s", u.nodename);
	kl_json_init(&c.j);
	int rc = kl_audit_tables_read(dir, &c.tab, KL_AUDIT_FIELDS, "karmorc compile --target=apparmor, apparmor-rules/");
	if (rc == 0)
		rc = kl_audit_read(from, 0, aa_record, follow ? aa_tick : NULL, &c);
	kl_json_free(&c.j);
	kl_audit_tables_free(&c.tab);
	return rc == KL_EVENTS_SWITCH ? rc : rc ? KL_EXIT_FAIL : 0;
}
