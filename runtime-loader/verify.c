/*
 * karmor-loader verify FILE [--key PUB] [--signature PATH] [--require-signature] [--json]:
 * the checks of bundle.c on files, and what they found.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../backends/bundle.h"
#include "bundle.h"
#include "loader.h"

unsigned char *kl_slurp(const char *path, size_t *len, size_t max)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct stat sb;
	unsigned char *buf = NULL;
	if (fstat(fileno(f), &sb) != 0)
		goto out;
	if (!S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		goto out;
	}
	if ((uint64_t)sb.st_size > max) {
		errno = EFBIG;
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (buf && fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size) {
		free(buf);
		buf = NULL;
		errno = EIO;
	}
	*len = (size_t)sb.st_size;
out:
	fclose(f);
	return buf;
}

int kl_signature_verify_files(const char *key, const char *sigpath, const unsigned char *b, size_t len,
			      char *trusted, size_t tlen, char *err, size_t errlen)
{
	struct kl_pubkey pk;
	size_t keylen = 0, siglen = 0;
	char why[512];
	unsigned char *keytext = kl_slurp(key, &keylen, 4096), *sig = NULL;
	int rc = -1;
	if (keytext ? kl_pubkey_parse((const char *)keytext, keylen, &pk, why, sizeof(why))
		    : kl_pubkey_parse(key, strlen(key), &pk, why, sizeof(why))) {
		snprintf(err, errlen, "%s: %s", key, keytext ? why : "neither a readable key file nor a minisign public key");
		goto out;
	}
	sig = kl_slurp(sigpath, &siglen, 65536);
	if (!sig) {
		snprintf(err, errlen, "%s: %s%s", sigpath, strerror(errno), errno == ENOENT ? " (the bundle is not signed)" : "");
		goto out;
	}
	if (kl_signature_check(b, len, (const char *)sig, siglen, &pk, trusted, tlen, why, sizeof(why))) {
		snprintf(err, errlen, "%s: %s", sigpath, why);
		goto out;
	}
	rc = 0;
out:
	free(keytext);
	free(sig);
	return rc;
}

int kl_cmd_verify(int argc, char **argv)
{
	const char *file = NULL, *key = NULL, *sigpath = NULL;
	int json = 0, require = 0;
	for (int i = 1; i < argc; i++) {
		const char *v;
		int r;
		if ((r = kl_opt(argc, argv, &i, "--key", &v)) != 0) {
			if (r < 0)
				return KL_EXIT_USAGE;
			key = v;
		} else if ((r = kl_opt(argc, argv, &i, "--signature", &v)) != 0) {
			if (r < 0)
				return KL_EXIT_USAGE;
			sigpath = v;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--require-signature")) {
			require = 1;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			kl_usage_err("unknown option '%s'", argv[i]);
			return KL_EXIT_USAGE;
		} else if (file) {
			kl_usage_err("one bundle at a time ('%s' and '%s')", file, argv[i]);
			return KL_EXIT_USAGE;
		} else {
			file = argv[i];
		}
	}
	if (!file) {
		kl_usage_err("which bundle? (karmor-loader verify FILE [--key PUB])");
		return KL_EXIT_USAGE;
	}
	if (require && !key) {
		kl_usage_err("--require-signature needs --key: a signature is checked against a key");
		return KL_EXIT_USAGE;
	}
	if (sodium_init() < 0) {
		kl_err("libsodium cannot be initialised");
		return KL_EXIT_FAIL;
	}
	size_t len = 0, keylen = 0;
	unsigned char *b = kl_slurp(file, &len, KB_MAX_SIZE);
	if (!b) {
		kl_err("%s: %s", file, strerror(errno));
		return KL_EXIT_FAIL;
	}
	int rc = KL_EXIT_FAIL;
	char err[512], trusted[512] = "", defsig[4200], keyid[17] = "";
	unsigned char *keytext = NULL;
	struct kl_bundle_info info;
	if (kl_bundle_check(b, len, &info, err, sizeof(err))) {
		kl_err("%s: %s", file, err);
		goto out;
	}
	const char *signature = "not checked (no --key)";
	if (key) {
		struct kl_pubkey pk;
		/* the key ID, as minisign prints it (the key number, little-endian) */
		keytext = kl_slurp(key, &keylen, 4096);
		if (!(keytext ? kl_pubkey_parse((const char *)keytext, keylen, &pk, err, sizeof(err))
			      : kl_pubkey_parse(key, strlen(key), &pk, err, sizeof(err))))
			for (int i = 0; i < 8; i++)
				snprintf(keyid + 2 * i, 3, "%02X", pk.keynum[7 - i]);
		if (!sigpath) {
			snprintf(defsig, sizeof(defsig), "%s.minisig", file);
			sigpath = defsig;
		}
		if (kl_signature_verify_files(key, sigpath, b, len, trusted, sizeof(trusted), err, sizeof(err))) {
			kl_err("%s", err);
			goto out;
		}
		signature = "good";
	}
	if (json) {
		struct kl_json j;
		kl_json_init(&j);
		kl_json_open(&j, NULL, '{');
		kl_json_str(&j, "bundle", file);
		kl_json_bool(&j, "verified", 1);
		kl_json_str(&j, "karmorc", info.karmorc);
		kl_json_u64(&j, "sections", info.nsections);
		kl_json_u64(&j, "targets", info.ntargets);
		kl_json_u64(&j, "inputs", info.ninputs);
		kl_json_str(&j, "backends", info.backends);
		kl_json_str(&j, "signature", key ? "good" : "not checked");
		if (key) {
			kl_json_str(&j, "key_id", keyid);
			kl_json_str(&j, "trusted_comment", trusted);
		}
		kl_json_close(&j, '}');
		rc = kl_json_print(&j, stdout) ? KL_EXIT_FAIL : KL_EXIT_OK;
		kl_json_free(&j);
		goto out;
	}
	printf("%s: verified: %zu section%s, %zu target%s, backends %s (karmorc %s); signature: %s%s%s%s\n",
	       kl_vis(file), info.nsections, info.nsections == 1 ? "" : "s", info.ntargets, info.ntargets == 1 ? "" : "s",
	       info.backends, info.karmorc, signature, key ? " (key ID " : "", keyid, key ? ")" : "");
	rc = KL_EXIT_OK;
out:
	free(b);
	free(keytext);
	return rc;
}
