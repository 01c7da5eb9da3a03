/* kc_bundle: `karmorc bundle` -- compile every backend (or those --target names) into one
 * reproducible file, karmor-bundle(5), optionally signed in minisign's format. */
#ifndef KC_BUNDLE_H
#define KC_BUNDLE_H
#include <stdio.h>

#include "pipeline.h"

void kc_bundle_usage(FILE *f);
/* Runs the pipeline of pl (its outdir is the bundle file) into a scratch directory and
 * packs what it wrote; signs it with the minisign secret key `sign_key` when not NULL
 * (an encrypted key's password from password_file, else asked on the terminal); writes
 * it as an OCI artifact into the image layout `oci` when not NULL.  The exit status: 0,
 * 1 (the input), 2 (usage), 3 (output, keys). */
struct kc_bundle_opts {
	const char *sign_key, *password_file, *oci;
};
int kc_bundle(struct kc_pipeline *pl, const struct kc_bundle_opts *o);

#endif
