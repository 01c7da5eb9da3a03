/*
 * Checking a bundle (karmor-bundle(5)) in memory; the command is verify.c.
 *
 * A bundle is checked whole before anything uses it: its structure (backends/bundle.h),
 * every section's SHA-256, the manifest against the sections, and the end hash over
 * every byte; then, given a key, its minisign signature (FILE.minisig unless --signature
 * names another).  The signature file is read strictly too -- its untrusted comment must
 * be karmorc's or minisign's own, and both base64 lines canonical -- so that no byte of
 * either file can change without the check failing.
 */
#include "bundle.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../backends/bundle.h"

static int kl_fail(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int kl_fail(char *err, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, n, fmt, ap);
	va_end(ap);
	return -1;
}

/* ------------------------------------------------------------ the bundle */

/* the line at b[*off] (without its '\n'); NULL when there is no '\n' before end */
static const char *kl_line(const unsigned char *b, size_t len, size_t *off, size_t *n)
{
	const unsigned char *nl = memchr(b + *off, '\n', len - *off);
	if (!nl)
		return NULL;
	const char *s = (const char *)b + *off;
	*n = (size_t)(nl - (b + *off));
	*off += *n + 1;
	return s;
}

static int kl_is_hex64(const char *s, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int kl_name_ok(const char *s, size_t n)
{
	if (!n || n > KB_MAX_NAME || s[0] == '/' || s[n - 1] == '/')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-' || c == '+' || c == '/'))
			return 0;
		if (c == '/' && s[i + 1] == '/')
			return 0;
		if (c == '.' && (i == 0 || s[i - 1] == '/') && s[i + 1] == '.' && (i + 2 == n || s[i + 2] == '/'))
			return 0;	/* ".." */
	}
	return 1;
}

/* a decimal size without leading zeros */
static int kl_size(const char *s, size_t n, size_t *v)
{
	if (!n || n > 12 || (n > 1 && s[0] == '0'))
		return 0;
	size_t x = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		x = x * 10 + (size_t)(s[i] - '0');
	}
	*v = x;
	return 1;
}

static void kl_sha256_hex(const unsigned char *data, size_t len, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(hex, 65, h, sizeof(h));
}

struct kl_section {
	const char *name;
	size_t nlen, size;
	const char *sha;
};

/* byte order of two names, as strcmp (the writer's order) */
static int kl_name_cmp(const struct kl_section *a, const struct kl_section *b)
{
	int c = memcmp(a->name, b->name, a->nlen < b->nlen ? a->nlen : b->nlen);
	return c ? c : (a->nlen > b->nlen) - (a->nlen < b->nlen);
}

/* the manifest's lines against the sections (sec[1..nsec-1]) */
static int kl_manifest_check(const unsigned char *m, size_t len, const struct kl_section *sec, size_t nsec,
			     struct kl_bundle_info *info, char *err, size_t errlen)
{
	size_t off = 0, n, next = 1, lineno = 0;
	const char *line;
	int format_seen = 0;
	while (off < len) {
		line = kl_line(m, len, &off, &n);
		lineno++;
		if (!line)
			return kl_fail(err, errlen, "manifest line %zu: no newline at its end", lineno);
		const char *f[6];
		size_t fl[6], nf = 0;
		for (const char *p = line, *e = line + n; nf < 6;) {
			const char *tab = memchr(p, '\t', (size_t)(e - p));
			f[nf] = p;
			fl[nf++] = (size_t)((tab ? tab : e) - p);
			if (!tab)
				break;
			p = tab + 1;
		}
#define KL_IS(i, s) (fl[i] == strlen(s) && !memcmp(f[i], s, fl[i]))
		if (lineno == 1) {
			if (nf != 3 || !KL_IS(0, "format") || !KL_IS(1, "karmor-bundle") || !KL_IS(2, "1"))
				return kl_fail(err, errlen, "manifest: the first line is not \"format\tkarmor-bundle\t1\"");
			format_seen = 1;
		} else if (KL_IS(0, "karmorc") && nf == 2) {
			if (info)
				snprintf(info->karmorc, sizeof(info->karmorc), "%.*s", (int)fl[1], f[1]);
		} else if (KL_IS(0, "input") && nf == 3 && kl_is_hex64(f[1], fl[1])) {
			if (info)
				info->ninputs++;
		} else if (KL_IS(0, "target") && nf == 4 && (KL_IS(2, "host") || KL_IS(2, "container"))) {
			if (info)
				info->ntargets++;
		} else if (KL_IS(0, "backend") && nf == 4) {
			if (info && strlen(info->backends) + fl[1] + 2 < sizeof(info->backends))
				snprintf(info->backends + strlen(info->backends), sizeof(info->backends) - strlen(info->backends),
					 "%s%.*s", info->backends[0] ? " " : "", (int)fl[1], f[1]);
		} else if (KL_IS(0, "section") && nf == 4) {
			size_t size;
			if (next >= nsec || fl[1] != sec[next].nlen || memcmp(f[1], sec[next].name, fl[1]) ||
			    !kl_size(f[2], fl[2], &size) || size != sec[next].size || fl[3] != 64 ||
			    memcmp(f[3], sec[next].sha, 64))
				return kl_fail(err, errlen, "manifest line %zu: does not name section %zu of the file as it "
					       "is (name, size, SHA-256)", lineno, next);
			next++;
		} else {
			return kl_fail(err, errlen, "manifest line %zu: not a line of format 1", lineno);
		}
#undef KL_IS
	}
	if (!format_seen)
		return kl_fail(err, errlen, "manifest: empty");
	if (next != nsec)
		return kl_fail(err, errlen, "manifest: lists %zu sections, the file has %zu", next - 1, nsec - 1);
	return 0;
}

int kl_bundle_check(const unsigned char *b, size_t len, struct kl_bundle_info *info, char *err, size_t errlen)
{
	return kl_bundle_walk(b, len, info, NULL, NULL, err, errlen);
}

int kl_bundle_walk(const unsigned char *b, size_t len, struct kl_bundle_info *info, kl_bundle_each each, void *ctx,
		   char *err, size_t errlen)
{
	if (info)
		memset(info, 0, sizeof(*info));
	if (len > KB_MAX_SIZE)
		return kl_fail(err, errlen, "%zu bytes: more than a bundle may hold", len);
	size_t magic = strlen(KB_MAGIC);
	if (len < magic || memcmp(b, KB_MAGIC, magic))
		return kl_fail(err, errlen, "not a karmor bundle (no \"karmor-bundle 1\" line first)");
	size_t off = magic, cap = 16, nsec = 0, n;
	struct kl_section *sec = malloc(cap * sizeof(*sec));
	if (!sec)
		return kl_fail(err, errlen, "out of memory");
	int rc = -1;
	for (;;) {
		size_t start = off;
		const char *line = kl_line(b, len, &off, &n);
		if (!line) {
			kl_fail(err, errlen, "byte %zu: %s", start, start == len ? "no \"end\" line" :
				"the file ends inside a line (truncated?)");
			goto out;
		}
		if (n == 68 && !memcmp(line, "end ", 4)) {
			char want[65];
			if (!kl_is_hex64(line + 4, 64)) {
				kl_fail(err, errlen, "byte %zu: a bad end line", start);
				goto out;
			}
			if (off != len) {
				kl_fail(err, errlen, "byte %zu: bytes after the end line", off);
				goto out;
			}
			kl_sha256_hex(b, start, want);
			if (memcmp(want, line + 4, 64)) {
				kl_fail(err, errlen, "the end hash does not match the file's bytes");
				goto out;
			}
			break;
		}
		/* "section NAME SIZE SHA256" */
		const char *p = line, *e = line + n, *sp1, *sp2, *sp3;
		if (n < 8 || memcmp(p, "section ", 8) || !(sp1 = memchr(p + 8, ' ', (size_t)(e - p - 8))) ||
		    !(sp2 = memchr(sp1 + 1, ' ', (size_t)(e - sp1 - 1))) || (sp3 = memchr(sp2 + 1, ' ', (size_t)(e - sp2 - 1)))) {
			kl_fail(err, errlen, "byte %zu: not a section line", start);
			goto out;
		}
		struct kl_section s = {p + 8, (size_t)(sp1 - p - 8), 0, sp2 + 1};
		if (!kl_name_ok(s.name, s.nlen) || !kl_size(sp1 + 1, (size_t)(sp2 - sp1 - 1), &s.size) ||
		    !kl_is_hex64(s.sha, (size_t)(e - s.sha))) {
			kl_fail(err, errlen, "byte %zu: a bad section line (name, size or SHA-256)", start);
			goto out;
		}
		if (nsec == 0 ? (s.nlen != strlen(KB_MANIFEST) || memcmp(s.name, KB_MANIFEST, s.nlen))
			      : nsec > 1 && kl_name_cmp(&sec[nsec - 1], &s) >= 0) {
			kl_fail(err, errlen, "byte %zu: section %.*s out of order (the manifest first, then names "
				"ascending, each once)", start, (int)s.nlen, s.name);
			goto out;
		}
		if (s.size > len - off || len - off - s.size < 1 || b[off + s.size] != '\n') {
			kl_fail(err, errlen, "section %.*s: %zu bytes do not fit in the file", (int)s.nlen, s.name, s.size);
			goto out;
		}
		char got[65];
		kl_sha256_hex(b + off, s.size, got);
		if (memcmp(got, s.sha, 64)) {
			kl_fail(err, errlen, "section %.*s: its SHA-256 does not match its bytes", (int)s.nlen, s.name);
			goto out;
		}
		if (nsec == cap) {
			if (cap >= KB_MAX_SECTIONS) {
				kl_fail(err, errlen, "more than %d sections", KB_MAX_SECTIONS);
				goto out;
			}
			struct kl_section *more = realloc(sec, 2 * cap * sizeof(*sec));
			if (!more) {
				kl_fail(err, errlen, "out of memory");
				goto out;
			}
			sec = more;
			cap *= 2;
		}
		sec[nsec++] = s;
		off += s.size + 1;
	}
	if (nsec == 0) {
		kl_fail(err, errlen, "no manifest");
		goto out;
	}
	/* the manifest's bytes start after its section line */
	const unsigned char *m = (const unsigned char *)sec[0].sha + 65;
	if (kl_manifest_check(m, sec[0].size, sec, nsec, info, err, errlen))
		goto out;
	if (info)
		info->nsections = nsec - 1;
	rc = 0;
	/* a section's bytes start after its line: the digest, then '\n' */
	for (size_t i = 1; each && rc == 0 && i < nsec; i++)
		rc = each(ctx, sec[i].name, sec[i].nlen, (const unsigned char *)sec[i].sha + 65, sec[i].size);
out:
	free(sec);
	return rc;
}

/* ------------------------------------------------------------ minisign */

/* base64 that re-encodes to exactly the same text (no other spelling of the bytes) */
static int kl_b64(const char *s, size_t n, unsigned char *out, size_t want)
{
	size_t got = 0;
	const char *end = NULL;
	if (sodium_base642bin(out, want, s, n, NULL, &got, &end, sodium_base64_VARIANT_ORIGINAL) || got != want ||
	    end != s + n)
		return -1;
	char again[200];
	if (sodium_base64_ENCODED_LEN(want, sodium_base64_VARIANT_ORIGINAL) > sizeof(again))
		return -1;
	sodium_bin2base64(again, sizeof(again), out, want, sodium_base64_VARIANT_ORIGINAL);
	return strlen(again) == n && !memcmp(again, s, n) ? 0 : -1;
}

int kl_pubkey_parse(const char *text, size_t len, struct kl_pubkey *k, char *err, size_t errlen)
{
	const char *b64 = text;
	size_t n = len;
	static const char comment[] = "untrusted comment: ";
	if (len >= sizeof(comment) - 1 && !memcmp(text, comment, sizeof(comment) - 1)) {
		const char *nl = memchr(text, '\n', len);
		if (!nl)
			return kl_fail(err, errlen, "a public key file with one line only");
		b64 = nl + 1;
		n = len - (size_t)(b64 - text);
	}
	while (n && (b64[n - 1] == '\n' || b64[n - 1] == '\r'))
		n--;
	unsigned char raw[42];
	if (kl_b64(b64, n, raw, sizeof(raw)) || memcmp(raw, "Ed", 2))
		return kl_fail(err, errlen, "not a minisign public key");
	memcpy(k->keynum, raw + 2, 8);
	memcpy(k->pk, raw + 10, 32);
	return 0;
}

int kl_signature_check(const unsigned char *b, size_t len, const char *sig, size_t siglen, const struct kl_pubkey *k,
		       char *trusted, size_t tlen, char *err, size_t errlen)
{
	static const char *const comments[] = {KB_SIG_COMMENT, "untrusted comment: signature from minisign secret key"};
	static const char tc[] = "trusted comment: ";
	const char *line[4];
	size_t ln[4], off = 0;
	for (int i = 0; i < 4; i++) {
		line[i] = kl_line((const unsigned char *)sig, siglen, &off, &ln[i]);
		if (!line[i])
			return kl_fail(err, errlen, "signature: line %d missing (or without its newline)", i + 1);
	}
	if (off != siglen)
		return kl_fail(err, errlen, "signature: bytes after its fourth line");
	int known = 0;
	for (size_t i = 0; i < sizeof(comments) / sizeof(comments[0]); i++)
		known |= ln[0] == strlen(comments[i]) && !memcmp(line[0], comments[i], ln[0]);
	if (!known)
		return kl_fail(err, errlen, "signature: an untrusted comment that is neither karmorc's nor minisign's");
	unsigned char sigbin[74], global[64];
	if (kl_b64(line[1], ln[1], sigbin, sizeof(sigbin)))
		return kl_fail(err, errlen, "signature: line 2 is not one minisign signature");
	if (memcmp(sigbin, "ED", 2))
		return kl_fail(err, errlen, "signature: not a prehashed (ED) minisign signature");
	if (memcmp(sigbin + 2, k->keynum, 8))
		return kl_fail(err, errlen, "signature: made with another key than the one given");
	if (ln[2] < sizeof(tc) - 1 || memcmp(line[2], tc, sizeof(tc) - 1))
		return kl_fail(err, errlen, "signature: line 3 is not a trusted comment");
	if (kl_b64(line[3], ln[3], global, sizeof(global)))
		return kl_fail(err, errlen, "signature: line 4 is not a comment signature");
	unsigned char hash[crypto_generichash_BYTES_MAX];
	crypto_generichash(hash, sizeof(hash), b, len, NULL, 0);
	if (crypto_sign_verify_detached(sigbin + 10, hash, sizeof(hash), k->pk))
		return kl_fail(err, errlen, "signature: does not verify: the bundle is not what the key signed");
	size_t cl = ln[2] - (sizeof(tc) - 1);
	unsigned char *both = malloc(64 + cl + 1);
	if (!both)
		return kl_fail(err, errlen, "out of memory");
	memcpy(both, sigbin + 10, 64);
	memcpy(both + 64, line[2] + sizeof(tc) - 1, cl);
	int bad = crypto_sign_verify_detached(global, both, 64 + cl, k->pk);
	free(both);
	if (bad)
		return kl_fail(err, errlen, "signature: the trusted comment's signature does not verify");
	if (trusted)
		snprintf(trusted, tlen, "%.*s", (int)cl, line[2] + sizeof(tc) - 1);
	return 0;
}
