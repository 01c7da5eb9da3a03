/*
 * The kernel's audit records -> KubeArmor alerts, what SELinux's (avc.c) and AppArmor's
 * (aa_audit.c) readers share: the rule tables karmorc writes beside a module or a
 * profile (DIR/NAME.rules), the fields of a record, where records come from (a file,
 * stdin, or live from the audit multicast group), and the alert line.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/netlink.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "loader.h"

/* ------------------------------------------------------------ the rule tables */

static int table_grow(void **items, size_t *cap, size_t n, size_t size)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? 2 * *cap : 64;
	void *v = realloc(*items, c * size);
	if (!v)
		return -1;
	*items = v;
	*cap = c;
	return 0;
}

/* "-" is an empty identity field */
static char *dash_empty(char *s)
{
	return strcmp(s, "-") ? s : s + 1;
}

/* one line: its fields point into it (the table keeps it); NULL or a reason */
static const char *table_line(struct kl_audit_table *t, char *line, int fields)
{
	char *f[KL_AUDIT_FIELDS];
	int n = 0;
	for (char *p = line; n < KL_AUDIT_FIELDS; n++) {
		f[n] = p;
		p = strchr(p, '\t');
		if (!p) {
			n++;
			break;
		}
		*p++ = '\0';
		if (n + 1 == KL_AUDIT_FIELDS)
			return "too many fields";
	}
	if (!strcmp(f[0], "@target")) {
		if (fields != KL_AUDIT_FIELDS || n != 10)
			return "not a target line (@target and 9 TAB-separated fields)";
		if (table_grow((void **)&t->targets, &t->tcap, t->ntargets, sizeof(*t->targets)))
			return "out of memory";
		struct kl_audit_target *w = &t->targets[t->ntargets++];
		*w = (struct kl_audit_target){f[1], !strcmp(f[2], "host"), dash_empty(f[3]), dash_empty(f[4]),
					      dash_empty(f[5]), dash_empty(f[6]), dash_empty(f[7]), dash_empty(f[8]),
					      dash_empty(f[9])};
		return NULL;
	}
	if (n != fields)
		return fields == KL_AUDIT_FIELDS ? "not a rule table line (12 TAB-separated fields)"
						 : "not a rule table line (11 TAB-separated fields)";
	if (fields == KL_AUDIT_FIELDS && !t->ntargets)
		return "a rule line before the @target line";
	if (table_grow((void **)&t->rows, &t->cap, t->n, sizeof(*t->rows)))
		return "out of memory";
	struct kl_audit_row *r = &t->rows[t->n];
	*r = (struct kl_audit_row){f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10],
				   n > 11 ? f[11] : "-", NULL, t->ntargets};
	/* a file line's match is a pattern over the path (karmorc's fe_match_regex) */
	size_t kl = strlen(r->key);
	if (strcmp(r->match, "-") && kl > 5 && !strcmp(r->key + kl - 5, "/file")) {
		int ecode;
		PCRE2_SIZE off;
		r->code = pcre2_compile((PCRE2_SPTR)r->match, PCRE2_ZERO_TERMINATED, PCRE2_DOLLAR_ENDONLY | PCRE2_DOTALL,
					&ecode, &off, NULL);
		if (!r->code)
			return "its match is not a pattern PCRE2 compiles";
	}
	t->n++;
	return NULL;
}

int kl_audit_tables_read(const char *dir, struct kl_audit_table *t, int fields, const char *writer)
{
	DIR *d = opendir(dir);
	if (!d) {
		kl_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	/* in name order: the tables' order is the lookup's */
	struct dirent **names = NULL;
	int nn = scandir(dir, &names, NULL, alphasort);
	closedir(d);
	if (nn < 0) {
		kl_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	int rc = 0, files = 0;
	for (int k = 0; k < nn; k++) {
		const char *name = names[k]->d_name;
		size_t len = strlen(name);
		if (rc || len < 7 || strcmp(name + len - 6, ".rules"))
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		FILE *f = fopen(path, "re");
		if (!f) {
			kl_err("%s: %s", path, strerror(errno));
			rc = -1;
			continue;
		}
		files++;
		size_t targets_before = t->ntargets;
		char *line = NULL;
		size_t cap = 0;
		unsigned no = 0;
		while (rc == 0 && getline(&line, &cap, f) > 0) {
			no++;
			line[strcspn(line, "\n")] = '\0';
			if (line[0] == '#' || !line[0])
				continue;
			char *keep = strdup(line);
			const char *why = keep ? NULL : "out of memory";
			if (keep && table_grow((void **)&t->kept, &t->kcap, t->nkept, sizeof(*t->kept)))
				why = "out of memory";
			if (!why) {
				t->kept[t->nkept++] = keep;
				why = table_line(t, keep, fields);
			} else {
				free(keep);
			}
			if (why) {
				kl_err("%s:%u: %s (a table of another karmorc version needs a new compile)", path, no, why);
				rc = -1;
			}
		}
		if (rc == 0 && fields == KL_AUDIT_FIELDS && t->ntargets == targets_before) {
			kl_err("%s: no @target line", path);
			rc = -1;
		}
		free(line);
		fclose(f);
	}
	for (int k = 0; k < nn; k++)
		free(names[k]);
	free(names);
	if (rc == 0 && !files) {
		kl_err("%s: no rule table (*.rules, written by %s)", dir, writer);
		rc = -1;
	}
	return rc;
}

void kl_audit_tables_free(struct kl_audit_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		pcre2_code_free(t->rows[i].code);
	for (size_t i = 0; i < t->nkept; i++)
		free(t->kept[i]);
	free(t->kept);
	free(t->rows);
	free(t->targets);
	memset(t, 0, sizeof(*t));
}

int kl_audit_row_matches(const struct kl_audit_row *r, const char *s)
{
	if (!r->code)
		return !strcmp(r->match, "-");
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	int ws[512];	/* the DFA matcher: no backtracking, so no pattern makes a match slow */
	int rc = md ? pcre2_dfa_match(r->code, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL, ws, 512) : -1;
	pcre2_match_data_free(md);
	return rc >= 0 || rc == PCRE2_ERROR_DFA_WSSIZE;	/* a workspace too small: a (long) match */
}

/* ------------------------------------------------------------ one record's fields */

const char *kl_audit_field(const char *rec, const char *key, size_t *n)
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

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int kl_audit_raw(const char *rec, const char *key, char *buf, size_t len)
{
	size_t n = 0;
	const char *v = kl_audit_field(rec, key, &n);
	if (!v || len == 0)
		return -1;
	if (n >= len)
		n = len - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return 0;
}

int kl_audit_string(const char *rec, const char *key, char *buf, size_t len)
{
	size_t n = 0;
	const char *v = kl_audit_field(rec, key, &n);
	if (!v || len == 0)
		return -1;
	/* the kernel writes a string with a blank, a quote or a control character in hex,
	 * unquoted (audit_log_untrustedstring) */
	int quoted = v > rec && v[-1] == '"';
	if (!quoted && n % 2 == 0 && n > 0) {
		size_t k = 0;
		for (size_t i = 0; i < n && k + 1 < len; i += 2) {
			int hi = hexval(v[i]), lo = hexval(v[i + 1]);
			if (hi < 0 || lo < 0)
				return -1;
			buf[k++] = (char)(hi << 4 | lo);
		}
		buf[k] = '\0';
		return 0;
	}
	if (n >= len)
		n = len - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return 0;
}

/* ------------------------------------------------------------ the alert */

int kl_audit_print(struct kl_json *j, int json, const struct kl_audit_alert *a)
{
	const struct kl_audit_row *r = a->row;
	const struct kl_audit_target *w = a->who;
	char when[64];
	time_t tt = (time_t)a->secs;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!json) {
		printf("%s %s %s %s %s target=%s policy=%s pid=%s process=%s: %s\n", when, a->action, a->kop, a->karg,
		       kl_vis(a->resource), kl_vis(r->target), kl_vis(r->policy), a->pid,
		       kl_vis(a->comm), a->result);
		return ferror(stdout) ? -1 : 0;
	}
	kl_json_reset(j);
	kl_json_open(j, NULL, '{');
	kl_json_i64(j, "Timestamp", a->secs);
	kl_json_str(j, "UpdatedTime", when);
	kl_json_str_nonempty(j, "HostName", a->host);
	/* a container target: who it is, as BPF events of its image say */
	if (w && !w->host) {
		kl_json_str_nonempty(j, "NamespaceName", w->ns);
		kl_json_open(j, "Owner", '{');
		kl_json_str_nonempty(j, "Ref", w->kind);
		kl_json_str_nonempty(j, "Name", w->workload);
		kl_json_str_nonempty(j, "Namespace", w->ns);
		kl_json_close(j, '}');
		kl_json_str_nonempty(j, "PodName", w->pod);
		kl_json_str_nonempty(j, "Labels", w->labels);
		kl_json_str_nonempty(j, "ContainerName", w->container);
		kl_json_str_nonempty(j, "ContainerImage", w->image);
	}
	if (a->pid[0])
		kl_json_i64(j, "HostPID", strtoll(a->pid, NULL, 10));
	kl_json_str_nonempty(j, "ParentProcessName", a->parent);
	kl_json_str_nonempty(j, "ProcessName", a->process);
	kl_json_str(j, "PolicyName", r->policy);
	if (strcmp(r->severity, "0"))
		kl_json_str(j, "Severity", r->severity);
	kl_alert_tags(j, r->tags);
	kl_json_str_nonempty(j, "Message", r->message);
	kl_json_str(j, "Type", w && !w->host ? "MatchedPolicy" : "MatchedHostPolicy");
	kl_json_str_nonempty(j, "Source", a->comm);
	kl_json_str(j, "Operation", a->operation);
	kl_json_str_nonempty(j, "Resource", a->resource);
	kl_json_str(j, "Data", a->data);
	kl_json_str(j, "Enforcer", a->enforcer);
	kl_json_str(j, "Action", a->action);
	kl_json_str(j, "Result", a->result);
	kl_json_str(j, "KarmorOp", a->kop);
	kl_json_str_nonempty(j, "KarmorArg", a->karg);
	kl_json_str(j, "KarmorTarget", r->target);
	kl_json_str(j, "KarmorLocation", r->location);
	kl_json_str_nonempty(j, "KarmorType", a->ktype);
	kl_json_str_nonempty(j, "KarmorFlags", a->flags);
	kl_json_close(j, '}');
	return kl_json_print(j, stdout);
}

long long kl_audit_time(const char *rec)
{
	long long secs = 0;
	const char *ts = strstr(rec, "audit(");
	if (!ts || sscanf(ts + 6, "%lld", &secs) != 1)
		secs = (long long)time(NULL);
	return secs;
}

/* ------------------------------------------------------------ sources */

static int from_file(const char *file, int (*fn)(void *, const char *), void *ctx)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "re") : stdin;
	if (!f) {
		kl_err("%s: %s", file, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;
	while (rc == 0 && getline(&line, &cap, f) > 0)
		rc = fn(ctx, line);
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

/* live: the audit multicast group (every record, as auditd would get it); the records of
 * both LSMs are AUDIT_AVC (lsm_audit.c) */
/* all_types: every record type (Landlock's own, the SYSCALL records that say who) rather
 * than AVC only; each record then starts "type=N msg=", as auditd writes it */
static int live(int all_types, int (*fn)(void *, const char *), int (*tick)(void *), void *ctx)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1)};
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa))) {
		kl_err("the audit multicast group: %s (needs CAP_AUDIT_READ)", strerror(errno));
		if (s >= 0)
			close(s);
		return -1;
	}
	kl_events_catch_signals();
	/* a half-second timeout, so tick can look around while nothing is logged */
	struct timeval tv = {.tv_sec = 0, .tv_usec = 500000};
	if (tick)
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	static char buf[1 << 16];
	int rc = 0;
	while (!kl_events_stop && rc == 0) {
		ssize_t len = recv(s, buf, sizeof(buf) - 1, 0);
		if (len < 0) {
			if ((errno == EAGAIN || errno == EWOULDBLOCK) && tick) {
				rc = tick(ctx);
				continue;
			}
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
			if (h->nlmsg_type != AUDIT_AVC && !all_types)
				continue;
			char rec[8192];
			size_t n = h->nlmsg_len - NLMSG_HDRLEN, k = 0;
			if (all_types)
				k = (size_t)snprintf(rec, sizeof(rec), "type=%u msg=", (unsigned)h->nlmsg_type);
			if (n >= sizeof(rec) - k)
				n = sizeof(rec) - k - 1;
			memcpy(rec + k, NLMSG_DATA(h), n);
			rec[k + n] = '\0';
			rc = fn(ctx, rec);
			fflush(stdout);
		}
	}
	close(s);
	return rc;
}

int kl_audit_read(const char *from, int all_types, int (*fn)(void *ctx, const char *rec), int (*tick)(void *ctx),
		  void *ctx)
{
	int rc = from ? from_file(from, fn, ctx) : live(all_types, fn, tick, ctx);
	if (rc == 0 && fflush(stdout)) {
		kl_err("standard output: %s", strerror(errno));
		rc = -1;
	}
	return rc;
}
