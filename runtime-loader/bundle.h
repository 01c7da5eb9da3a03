/*
 * Reading and checking a bundle (karmor-bundle(5), backends/bundle.h) and its minisign
 * signature.  No I/O here: the tamper test (tests/bundle_tamper.c) calls these on bytes
 * in memory, the `verify` command (bundle.c) on files.
 */
#ifndef KL_BUNDLE_H
#define KL_BUNDLE_H
#include <stddef.h>

/* a minisign public key: its key number (the key ID) and the Ed25519 key */
struct kl_pubkey {
	unsigned char keynum[8];
	unsigned char pk[32];
};

/* what a checked bundle holds */
struct kl_bundle_info {
	size_t nsections;	/* artifacts, the manifest not counted */
	size_t ntargets, ninputs;
	char backends[256];	/* "apparmor bpf selinux" */
	char karmorc[64];	/* the version that wrote it */
};

/* 0 when `b` is a well-formed bundle whose every hash holds, else -1 with the first
 * problem in err.  info may be NULL. */
int kl_bundle_check(const unsigned char *b, size_t len, struct kl_bundle_info *info, char *err, size_t errlen);
/* The same, then, once all of it holds, each(ctx, ...) for every section but the manifest
 * in the file's order; a non-zero return stops the walk and is returned. */
typedef int (*kl_bundle_each)(void *ctx, const char *name, size_t nlen, const unsigned char *data, size_t size);
int kl_bundle_walk(const unsigned char *b, size_t len, struct kl_bundle_info *info, kl_bundle_each each, void *ctx,
		   char *err, size_t errlen);
/* A minisign public key: the key file's text, or the bare base64 key (minisign -P). */
int kl_pubkey_parse(const char *text, size_t len, struct kl_pubkey *k, char *err, size_t errlen);
/* 0 when sig (a .minisig file's text) is key's signature of b, its trusted comment copied
 * to trusted; -1 with the reason. */
int kl_signature_check(const unsigned char *b, size_t len, const char *sig, size_t siglen, const struct kl_pubkey *k,
		       char *trusted, size_t tlen, char *err, size_t errlen);

#endif
