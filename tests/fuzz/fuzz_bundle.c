/* The bundle reader and the signature check karmor-loader runs before anything is
 * applied.  The input is read as a bundle twice: as it is, and with every section's
 * SHA-256 and the closing one recomputed, so that mutations reach what is read once the
 * hashes hold (a bundle's hashes are integrity, not authenticity: only a signature is);
 * then as a public key, and as a .minisig over a fixed bundle with a fixed key. */
#include "fuzz.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../runtime-loader/bundle.h"

static int fuzz_each(void *ctx, const char *name, size_t nlen, const unsigned char *data, size_t size)
{
	size_t *total = ctx;
	*total += nlen + size + (size ? data[0] : 0) + (nlen ? (unsigned char)name[0] : 0);
	return 0;
}

static void fuzz_hex(char out[65], const unsigned char *d, size_t n)
{
	unsigned char md[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(md, d, n);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

/* "section NAME LEN HEX\n" + LEN bytes ... "end HEX\n": each HEX made right, in place */
static void fuzz_fix_hashes(unsigned char *b, size_t len)
{
	size_t at = 0;
	char hex[65];
	while (at < len) {
		unsigned char *nl = memchr(b + at, '\n', len - at);
		if (!nl)
			return;
		size_t line = (size_t)(nl - (b + at));
		if (line >= 4 + 64 && !memcmp(b + at, "end ", 4)) {
			fuzz_hex(hex, b, at);
			memcpy(b + at + 4, hex, 64);
			return;
		}
		size_t body = 0;
		if (line > 8 + 64 && !memcmp(b + at, "section ", 8)) {
			/* LEN is the field before the hash */
			unsigned char *sp = b + at + line - 65;
			unsigned char *p = sp;
			while (p > b + at + 8 && p[-1] >= '0' && p[-1] <= '9')
				p--;
			for (unsigned char *q = p; q < sp && body < ((size_t)1 << 40); q++)
				body = body * 10 + (size_t)(*q - '0');
			size_t start = at + line + 1;
			if (body <= len - start) {
				fuzz_hex(hex, b + start, body);
				memcpy(sp + 1, hex, 64);
			} else {
				body = 0;
			}
		}
		at += line + 1 + body;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kl_bundle_info info;
	char err[512];
	size_t total = 0;
	kl_bundle_walk(data, size, &info, fuzz_each, &total, err, sizeof(err));
	unsigned char *fixed = malloc(size ? size : 1);
	if (fixed) {
		memcpy(fixed, data, size);
		fuzz_fix_hashes(fixed, size);
		kl_bundle_walk(fixed, size, &info, fuzz_each, &total, err, sizeof(err));
		free(fixed);
	}
	struct kl_pubkey k;
	if (kl_pubkey_parse((const char *)data, size, &k, err, sizeof(err)) == 0)
		total++;
	/* a key made by minisign -G, and the input as its signature of a fixed bundle */
	static const char key[] = "untrusted comment: minisign public key 751415825B07A4F7\n"
				  "RWT3pAdbghUUdbKns/WbPObv8fp27RWHbQBrI3NWi76J7aCi1D8wYAkE\n";
	static const unsigned char bundle[] = "karmor-bundle 1\n";
	char trusted[256];
	if (kl_pubkey_parse(key, sizeof(key) - 1, &k, err, sizeof(err)) == 0)
		kl_signature_check(bundle, sizeof(bundle) - 1, (const char *)data, size, &k, trusted, sizeof(trusted),
				   err, sizeof(err));
	return (int)(total & 0);
}
