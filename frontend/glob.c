#include "glob.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fe_gbuf {
	char *s;
	size_t len, cap;
	bool check_only;
};

/* b->check_only: validate the syntax and build nothing */
static void fe_gput(struct fe_gbuf *b, const char *s)
{
	if (b->check_only)
		return;
	size_t n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *ns = realloc(b->s, cap);
		if (!ns) {
			fe_oom();
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

static void fe_gchar(struct fe_gbuf *b, char c)
{
	char tmp[3] = {0};
	if (strchr("\\^$.|?*+()[]{}/-#", c) && c != '/') {
		tmp[0] = '\\';
		tmp[1] = c;
	} else {
		tmp[0] = c;
	}
	fe_gput(b, tmp);
}

static bool fe_glob_convert(const char *glob, struct fe_gbuf *out, const char **err);

bool fe_glob_check(const char *glob, const char **err)
{
	struct fe_gbuf b = {NULL, 0, 0, true};
	return fe_glob_convert(glob, &b, err);
}

char *fe_glob_to_regex(struct fe_arena *a, const char *glob, const char **err)
{
	struct fe_gbuf b = {NULL, 0, 0, false};
	if (!fe_glob_convert(glob, &b, err))
		return NULL;
	char *out = fe_arena_strdup(a, b.s);
	free(b.s);
	return out;
}

/* Writes the regex for `glob` into `out`; false (out freed) with *err on a malformed glob. */
static bool fe_glob_convert(const char *glob, struct fe_gbuf *out, const char **err)
{
	size_t n = strlen(glob);
	*err = NULL;
	if (n > FE_GLOB_MAX_LEN) {
		*err = "pattern is longer than 4096 bytes";
		return false;
	}
	struct fe_gbuf b = *out;
	int brace_depth = 0;
	bool brace_comma[17] = {false};	/* has the group at each depth seen a ',' */
	fe_gput(&b, "^");
	for (size_t i = 0; i < n; i++) {
		char c = glob[i];
		switch (c) {
		case '*': {
			bool dbl = glob[i + 1] == '*';
			if (dbl)
				while (glob[i + 1] == '*')
					i++;
			/* a trailing star after a slash (end of pattern, alternative or group) needs one character */
			char next = glob[i + 1];
			bool trailing = (next == '\0' || (brace_depth && (next == ',' || next == '}')));
			bool after_slash = i > 0 && glob[i - (dbl ? 2 : 1)] == '/';
			const char *any = dbl ? "[^\\x00]" : "[^/\\x00]";
			fe_gput(&b, any);
			fe_gput(&b, trailing && after_slash ? "+" : "*");
			break;
		}
		case '?':
			fe_gput(&b, "[^/]");
			break;
		case '[': {
			size_t j = i + 1;
			if (glob[j] == '^' || glob[j] == '!')
				j++;
			if (glob[j] == ']')
				j++;
			while (glob[j] && glob[j] != ']')
				j++;
			if (!glob[j]) {
				*err = "'[' without a closing ']'";
				free(b.s);
				return false;
			}
			fe_gput(&b, "[");
			size_t k = i + 1;
			if (glob[k] == '^' || glob[k] == '!') {
				fe_gput(&b, "^");
				k++;
			}
			for (; k < j; k++) {
				char tmp[3] = {0};
				if (glob[k] == '\\' || glob[k] == '[' || glob[k] == ']' || glob[k] == '^') {
					tmp[0] = '\\';
					tmp[1] = glob[k];
				} else {
					tmp[0] = glob[k];
				}
				fe_gput(&b, tmp);
			}
			fe_gput(&b, "]");
			i = j;
			break;
		}
		case '{':
			if (brace_depth + 1 <= 16)
				brace_comma[brace_depth + 1] = false;
			if (++brace_depth > 16) {
				*err = "'{' nested more than 16 deep";
				free(b.s);
				return false;
			}
			fe_gput(&b, "(?:");
			break;
		case '}':
			if (brace_depth == 0) {
				*err = "'}' without an opening '{'";
				free(b.s);
				return false;
			}
			if (!brace_comma[brace_depth]) {
				/* AppArmor refuses a group with one alternative */
				*err = "'{...}' needs at least two alternatives separated by ','";
				free(b.s);
				return false;
			}
			brace_depth--;
			fe_gput(&b, ")");
			break;
		case ',':
			if (brace_depth) {
				brace_comma[brace_depth] = true;
				fe_gput(&b, "|");
			} else {
				fe_gchar(&b, c);
			}
			break;
		case '\\':
			if (glob[i + 1]) {
				i++;
				fe_gchar(&b, glob[i]);
			} else {
				fe_gchar(&b, c);
			}
			break;
		default:
			fe_gchar(&b, c);
			break;
		}
	}
	if (brace_depth) {
		*err = "'{' without a closing '}'";
		free(b.s);
		return false;
	}
	fe_gput(&b, "$");
	*out = b;
	return true;
}
