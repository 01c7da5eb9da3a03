/* The ruleset description reader (ll_desc.h). */
#include "ll_desc.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ll_ops_parse(const char *s, unsigned *ops)
{
	*ops = 0;
	if (!strcmp(s, "-"))
		return 0;
	for (const char *p = s; *p;) {
		size_t n = strcspn(p, ",");
		if (n == 4 && !strncmp(p, "read", 4))
			*ops |= KLL_READ;
		else if (n == 5 && !strncmp(p, "write", 5))
			*ops |= KLL_WRITE;
		else if (n == 4 && !strncmp(p, "exec", 4))
			*ops |= KLL_EXEC;
		else
			return -1;
		p += n;
		if (*p == ',' && *++p == 0)
			return -1;
	}
	return *ops ? 0 : -1;
}

/* a path with a "." or ".." component (it would name another file than it says) */
static int ll_dotted(const char *p)
{
	for (const char *c = p; *c; c++)
		if (*c == '/' && c[1] == '.' && (c[2] == '/' || !c[2] || (c[2] == '.' && (c[3] == '/' || !c[3]))))
			return 1;
	return 0;
}

void kl_ll_desc_free(struct kl_ll_desc *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->e[i].path);
	free(d->e);
	d->e = NULL;
	d->n = 0;
}

int kl_ll_desc_parse(const char *text, size_t len, const char *where, struct kl_ll_desc *d, char *err, size_t errlen)
{
	size_t cap = 0;
	int line = 0, magic = 0, handle = 0, base = 0;
	memset(d, 0, sizeof(*d));
	if (len > KLL_MAX_SIZE || memchr(text, 0, len)) {
		snprintf(err, errlen, "%s: not a ruleset description (binary, or larger than %u bytes)", where,
			 KLL_MAX_SIZE);
		return -1;
	}
	for (size_t off = 0; off < len;) {
		const char *nl = memchr(text + off, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - (text + off)) : len - off;
		char buf[PATH_MAX + 64], *f[5];
		int nf = 0;
		line++;
		if (!nl) {
			snprintf(err, errlen, "%s:%d: the last line has no newline (a truncated file?)", where, line);
			goto bad;
		}
		if (ll >= sizeof(buf)) {
			snprintf(err, errlen, "%s:%d: a line longer than %zu bytes", where, line, sizeof(buf) - 1);
			goto bad;
		}
		memcpy(buf, text + off, ll);
		buf[ll] = 0;
		off += ll + 1;
		if (buf[0] == '#' || !buf[0])
			continue;
		for (char *p = buf; p && nf < 5;) {
			f[nf++] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = 0;
		}
		if (!magic) {
			if (strcmp(buf, KLL_MAGIC)) {
				snprintf(err, errlen, "%s:%d: not a karmorc Landlock ruleset (\"%s\" expected)", where, line,
					 KLL_MAGIC);
				goto bad;
			}
			magic = 1;
			continue;
		}
		if (!strcmp(f[0], "target") && nf == 2 && strlen(f[1]) < sizeof(d->target)) {
			snprintf(d->target, sizeof(d->target), "%s", f[1]);
		} else if (!strcmp(f[0], "handle") && nf == 2 && !ll_ops_parse(f[1], &d->handle)) {
			handle = 1;
		} else if (!strcmp(f[0], "base") && nf == 2 && !ll_ops_parse(f[1], &d->base)) {
			base = 1;
		} else if (!strcmp(f[0], "net") && nf == 2 && !strcmp(f[1], "tcp")) {
			d->net_tcp = 1;
		} else if ((!strcmp(f[0], "grant") || !strcmp(f[0], "deny")) && nf == 4) {
			struct kl_ll_entry e = {NULL, KLL_FILE, f[0][0] == 'd', 0, 0, 0, 0, 0, 0};
			if (!strcmp(f[1], "file"))
				e.kind = KLL_FILE;
			else if (!strcmp(f[1], "dir"))
				e.kind = KLL_DIR;
			else if (!strcmp(f[1], "tree"))
				e.kind = KLL_TREE;
			else {
				snprintf(err, errlen, "%s:%d: unknown kind '%s' (file, dir or tree)", where, line, f[1]);
				goto bad;
			}
			if (ll_ops_parse(f[2], &e.ops) || !e.ops) {
				snprintf(err, errlen, "%s:%d: bad operations '%s' (read, write, exec)", where, line, f[2]);
				goto bad;
			}
			if (f[3][0] != '/' || ll_dotted(f[3])) {
				snprintf(err, errlen, "%s:%d: '%s' is not an absolute, normal path", where, line, f[3]);
				goto bad;
			}
			if (d->n == KLL_MAX_ENTRIES) {
				snprintf(err, errlen, "%s:%d: more than %u entries", where, line, KLL_MAX_ENTRIES);
				goto bad;
			}
			size_t pl = strlen(f[3]);
			e.slash = pl > 1 && f[3][pl - 1] == '/';
			while (pl > 1 && f[3][pl - 1] == '/')
				pl--;
			e.path = strndup(f[3], pl);
			if (d->n == cap) {
				cap = cap ? 2 * cap : 32;
				struct kl_ll_entry *ne = realloc(d->e, cap * sizeof(*ne));
				if (!ne || !e.path) {
					free(ne ? NULL : e.path);
					if (ne)
						d->e = ne;
					snprintf(err, errlen, "%s: out of memory", where);
					goto bad;
				}
				d->e = ne;
			}
			if (!e.path) {
				snprintf(err, errlen, "%s: out of memory", where);
				goto bad;
			}
			d->e[d->n++] = e;
		} else {
			snprintf(err, errlen, "%s:%d: unknown or malformed line '%s'", where, line, f[0]);
			goto bad;
		}
	}
	if (!magic || !handle || !base || !d->target[0]) {
		snprintf(err, errlen, "%s: incomplete (the %s line is missing)", where,
			 !magic ? KLL_MAGIC : !d->target[0] ? "target" : !handle ? "handle" : "base");
		goto bad;
	}
	return 0;
bad:
	kl_ll_desc_free(d);
	return -1;
}
