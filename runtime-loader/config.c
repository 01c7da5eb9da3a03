/*
 * kl_config: /etc/karmor/loader.conf (KARMOR_LOADER_CONF overrides the path), the
 * defaults an operator sets once for every apply (karmor-loader(8), FILES):
 *   # a comment
 *   require-signature yes|no     refuse bundles without a good signature
 *   key PATH                     the minisign public key bundles are checked against
 * The command line wins over the file; a missing file is no error, a bad line is.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

void kl_config_free(struct kl_config *c)
{
	free(c->key);
	memset(c, 0, sizeof(*c));
}

int kl_read_lines(const char *path, int (*fn)(void *ctx, char *line, int lineno, int complete), void *ctx)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		kl_err("%s: %s", path, strerror(errno));
		return -1;
	}
	char line[4096];
	int lineno = 0, rc = 1;
	while (rc > 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		size_t len = strlen(line);
		int complete = len && line[len - 1] == '\n';
		if (complete)
			line[--len] = '\0';
		else if (!feof(f)) {
			kl_err("%s:%d: line too long", path, lineno);
			rc = -1;
			break;
		}
		if (fn(ctx, line, lineno, complete))
			rc = -1;
	}
	if (rc > 0 && ferror(f)) {
		kl_err("%s: %s", path, strerror(errno));
		rc = -1;
	}
	fclose(f);
	return rc;
}

static int config_line(void *ctx, char *line, int lineno, int complete)
{
	(void)complete;	/* the last line may lack its newline */
	struct kl_config *c = ctx;
	char *p = line + strspn(line, " \t");
	if (!*p || *p == '#')
		return 0;
	char *val = p + strcspn(p, " \t");
	if (*val)
		*val++ = '\0';
	val += strspn(val, " \t");
	for (char *e = val + strlen(val); e > val && (e[-1] == ' ' || e[-1] == '\t');)
		*--e = '\0';
	if (!strcmp(p, "require-signature") && (!strcmp(val, "yes") || !strcmp(val, "no"))) {
		c->require_signature = !strcmp(val, "yes");
	} else if (!strcmp(p, "key") && *val) {
		free(c->key);
		if (!(c->key = strdup(val))) {
			kl_err("out of memory");
			return -1;
		}
	} else {
		kl_err("%s:%d:1: expected 'require-signature yes|no' or 'key PATH', not '%s%s%s'", c->path, lineno, p,
		       *val ? " " : "", val);
		return -1;
	}
	return 0;
}

int kl_config_read(struct kl_config *c)
{
	memset(c, 0, sizeof(*c));
	const char *path = getenv("KARMOR_LOADER_CONF");
	c->path = path && *path ? path : KARMOR_LOADER_CONF;
	if (kl_read_lines(c->path, config_line, c) < 0) {
		kl_config_free(c);
		return -1;
	}
	return 0;
}
