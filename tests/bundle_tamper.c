/*
 * The tamper test of karmor-bundle(5): flips bytes of a bundle and of its signature and
 * checks that runtime-loader/bundle.c refuses every one, in memory (the command is
 * checked on a sample by tests/loader/bundle.sh).
 *
 *   bundle-tamper BUNDLE SIGNATURE PUBKEY [MAX_POSITIONS]
 *
 * Every byte position of both files is flipped (XOR 0xff) in turn when the bundle has at
 * most MAX_POSITIONS bytes (default 200000); else MAX_POSITIONS positions spread evenly
 * over the bundle (so every section is hit) plus every position of the signature.  The
 * untouched pair must verify first.  Prints "N passed, M failed": a failure is a flipped
 * byte that was accepted.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime-loader/bundle.h"

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	unsigned char *b = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(f);
	*len = b ? (size_t)n : 0;
	return b;
}

static int accepted(const unsigned char *b, size_t len, const unsigned char *sig, size_t siglen,
		    const struct kl_pubkey *k)
{
	char err[512];
	return kl_bundle_check(b, len, NULL, err, sizeof(err)) == 0 &&
	       kl_signature_check(b, len, (const char *)sig, siglen, k, NULL, 0, err, sizeof(err)) == 0;
}

/* *at flipped: refused is a pass, accepted a failure; then put back */
static void flip(unsigned char *at, const char *what, size_t pos, const unsigned char *b, size_t len,
		 const unsigned char *sig, size_t siglen, const struct kl_pubkey *k, size_t *pass, size_t *fail)
{
	*at ^= 0xff;
	if (!accepted(b, len, sig, siglen, k))
		(*pass)++;
	else if ((*fail)++ < 10)
		printf("FAIL %s byte %zu flipped, still accepted\n", what, pos);
	*at ^= 0xff;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fputs("usage: bundle-tamper BUNDLE SIGNATURE PUBKEY [MAX_POSITIONS]\n", stderr);
		return 2;
	}
	if (sodium_init() < 0)
		return 2;
	size_t len, siglen, keylen, max = argc > 4 ? strtoul(argv[4], NULL, 10) : 200000;
	unsigned char *b = slurp(argv[1], &len), *sig = slurp(argv[2], &siglen), *key = slurp(argv[3], &keylen);
	struct kl_pubkey k;
	char err[512];
	if (!b || !sig || !key || kl_pubkey_parse((const char *)key, keylen, &k, err, sizeof(err))) {
		fprintf(stderr, "bundle-tamper: cannot read the bundle, signature or key\n");
		return 2;
	}
	if (!accepted(b, len, sig, siglen, &k)) {
		printf("FAIL the untouched bundle and signature do not verify\n0 passed, 1 failed\n");
		return 1;
	}
	size_t pass = 0, fail = 0, npos = len <= max ? len : max;
	for (size_t i = 0; i < npos; i++) {
		size_t pos = len <= max ? i : (size_t)((unsigned long long)i * (len - 1) / (npos - 1));
		flip(b + pos, "bundle", pos, b, len, sig, siglen, &k, &pass, &fail);
	}
	for (size_t pos = 0; pos < siglen; pos++)
		flip(sig + pos, "signature", pos, b, len, sig, siglen, &k, &pass, &fail);
	printf("bundle-tamper: %zu of %zu bundle bytes flipped%s, and all %zu signature bytes\n", npos, len,
	       len <= max ? " (every one)" : " (spread evenly)", siglen);
	printf("%zu passed, %zu failed\n", pass, fail);
	free(b);
	free(sig);
	free(key);
	return fail ? 1 : 0;
}
