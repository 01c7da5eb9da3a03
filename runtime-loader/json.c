/*
 * kl_json: a small streaming JSON writer.  Paths and command names come from
 * the kernel as raw bytes, so strings are escaped the way Go's encoding/json
 * (KubeArmor's) does it: control characters as \u00XX, U+2028/U+2029 escaped,
 * and every byte that is not part of valid UTF-8 replaced by U+FFFD -- the
 * output is always valid JSON, whatever the input.  Also kl_vis: the same
 * bytes made safe for a terminal, for the text outputs.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "loader.h"

void kl_json_init(struct kl_json *j)
{
	memset(j, 0, sizeof(*j));
}

void kl_json_reset(struct kl_json *j)
{
	j->len = 0;
	j->oom = 0;
	j->depth = 0;
	j->excess = 0;
}

void kl_json_free(struct kl_json *j)
{
	free(j->buf);
	kl_json_init(j);
}

static void put(struct kl_json *j, const char *s, size_t n)
{
	if (j->oom)
		return;
	if (j->len + n + 1 > j->cap) {
		size_t cap = j->cap ? j->cap : 256;
		while (j->len + n + 1 > cap)
			cap *= 2;
		char *b = realloc(j->buf, cap);
		if (!b) {
			j->oom = 1;
			return;
		}
		j->buf = b;
		j->cap = cap;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

static void puts_(struct kl_json *j, const char *s)
{
	put(j, s, strlen(s));
}

/* length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and values past U+10FFFF are invalid */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void escape(struct kl_json *j, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	put(j, "\"", 1);
	size_t i = 0;
	while (i < n && s[i]) {
		unsigned c = s[i];
		char tmp[8];
		if (c == '"' || c == '\\') {
			tmp[0] = '\\';
			tmp[1] = (char)c;
			put(j, tmp, 2);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			const char *e = NULL;
			switch (c) {
			case '\n': e = "\\n"; break;
			case '\r': e = "\\r"; break;
			case '\t': e = "\\t"; break;
			case '\b': e = "\\b"; break;
			case '\f': e = "\\f"; break;
			default: break;
			}
			if (e) {
				puts_(j, e);
			} else {
				snprintf(tmp, sizeof(tmp), "\\u%04x", c);
				puts_(j, tmp);
			}
			i++;
		} else if (c < 0x80) {
			put(j, (const char *)&s[i], 1);
			i++;
		} else {
			/* NUL ends the string, so the bytes left are those before it */
			size_t left = strnlen((const char *)&s[i], n - i);
			size_t len = utf8_len(&s[i], left);
			if (!len) {
				puts_(j, "\\ufffd");
				i++;
			} else if (len == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
				puts_(j, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
				i += 3;
			} else {
				put(j, (const char *)&s[i], len);
				i += len;
			}
		}
	}
	put(j, "\"", 1);
}

/* the comma before a member and its key; depth is at most KL_JSON_DEPTH
 * (kl_json_open never passes it), so first[depth - 1] is in bounds */
static void member(struct kl_json *j, const char *key)
{
	if (j->depth > 0 && j->depth <= KL_JSON_DEPTH) {
		if (!j->first[j->depth - 1])
			put(j, ",", 1);
		j->first[j->depth - 1] = 0;
	}
	if (key) {
		escape(j, key, strlen(key));
		put(j, ":", 1);
	}
}

void kl_json_open(struct kl_json *j, const char *key, char brace)
{
	if (j->excess || j->depth >= KL_JSON_DEPTH) {
		/* deeper than any caller needs: a bug, reported as a failure by kl_json_print */
		j->oom = 1;
		j->excess++;
		return;
	}
	member(j, key);
	put(j, &brace, 1);
	j->first[j->depth] = 1;
	j->depth++;
}

void kl_json_close(struct kl_json *j, char brace)
{
	if (j->excess) {
		j->excess--;
		return;
	}
	if (j->depth == 0) {
		j->oom = 1;	/* a close without an open: a bug */
		return;
	}
	put(j, &brace, 1);
	j->depth--;
}

void kl_json_str(struct kl_json *j, const char *key, const char *s)
{
	member(j, key);
	escape(j, s ? s : "", s ? strlen(s) : 0);
}

void kl_json_strn(struct kl_json *j, const char *key, const char *s, size_t n)
{
	member(j, key);
	escape(j, s, strnlen(s, n));
}

void kl_json_u64(struct kl_json *j, const char *key, uint64_t v)
{
	char tmp[32];
	member(j, key);
	snprintf(tmp, sizeof(tmp), "%" PRIu64, v);
	puts_(j, tmp);
}

void kl_json_i64(struct kl_json *j, const char *key, int64_t v)
{
	char tmp[32];
	member(j, key);
	snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	puts_(j, tmp);
}

void kl_json_bool(struct kl_json *j, const char *key, int v)
{
	member(j, key);
	puts_(j, v ? "true" : "false");
}

int kl_json_print(struct kl_json *j, FILE *f)
{
	if (j->oom || j->depth != 0 || j->excess)
		return -1;
	if (fwrite(j->buf, 1, j->len, f) != j->len || fputc('\n', f) == EOF)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ text */

const char *kl_visn(const char *str, size_t n)
{
	/* a few growing buffers, reused in turn: callers format several strings in one printf */
	static char *slot[KL_VIS_SLOTS];
	static size_t slot_cap[KL_VIS_SLOTS];
	static unsigned next;
	if (!str) {
		str = "";
		n = 0;
	}
	n = strnlen(str, n);
	unsigned k = next++ % KL_VIS_SLOTS;
	size_t need = n * 4 + 1;	/* every byte may become \xHH */
	if (slot_cap[k] < need) {
		char *b = realloc(slot[k], need);
		if (!b)
			return "(out of memory)";
		slot[k] = b;
		slot_cap[k] = need;
	}
	const unsigned char *s = (const unsigned char *)str;
	char *o = slot[k];
	for (size_t i = 0; i < n;) {
		size_t len = utf8_len(&s[i], n - i);
		/* C0, DEL and the backslash; C1 (U+0080..U+009F, CSI among them) as its two bytes */
		int bad = !len || s[i] < 0x20 || s[i] == 0x7f || s[i] == '\\' ||
			  (len == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0);
		if (!len)
			len = 1;
		if (bad) {
			for (size_t b = 0; b < len; b++) {
				snprintf(o, 5, "\\x%02x", s[i + b]);
				o += 4;
			}
		} else {
			memcpy(o, &s[i], len);
			o += len;
		}
		i += len;
	}
	*o = '\0';
	return slot[k];
}

const char *kl_vis(const char *s)
{
	return kl_visn(s, s ? strlen(s) : 0);
}

void kl_json_str_nonempty(struct kl_json *j, const char *key, const char *s)
{
	if (s && *s)
		kl_json_str(j, key, s);
}
