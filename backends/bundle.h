/*
 * The bundle file (karmor-bundle(5)): what `karmorc bundle` writes and `karmor-loader
 * verify` reads.  Shared by the writer (compiler/bundle.c) and the reader
 * (runtime-loader/bundle.c), as bpf/karmor.h is by the BPF backend and the loader.
 *
 *   karmor-bundle 1\n
 *   section manifest SIZE SHA256\n  SIZE bytes  \n
 *   section NAME SIZE SHA256\n      SIZE bytes  \n      (every artifact, NAME ascending)
 *   ...
 *   end SHA256\n                                        (of every byte before "end")
 *
 * SIZE is decimal without leading zeros, SHA256 64 lower-case hex digits of the section's
 * bytes.  The manifest (TAB-separated lines) names the format, karmorc's version, the
 * inputs' digests, the targets, each backend's artifacts and what they were built for, and
 * every other section again with its size and digest: a reader checks that both agree.
 */
#ifndef KARMOR_BUNDLE_H
#define KARMOR_BUNDLE_H

#define KB_MAGIC "karmor-bundle 1\n"
#define KB_VERSION 1
#define KB_MANIFEST "manifest"
/* binary AppArmor policy (karmorc bundle --apparmor-binary FEATURES_FILE): the profile
 * file apparmor/NAME built as KB_AA_ENFORCE_DIR/NAME and, in complain mode,
 * KB_AA_COMPLAIN_DIR/NAME, for the feature set stored as KB_AA_FEATURES */
#define KB_AA_ENFORCE_DIR "apparmor-binary"
#define KB_AA_COMPLAIN_DIR "apparmor-complain"
#define KB_AA_FEATURES "apparmor-features"
/* bounds a reader holds a bundle to */
#define KB_MAX_SIZE (1ull << 30)	/* the whole file */
#define KB_MAX_SECTIONS 65536
#define KB_MAX_NAME 255			/* a section name: [A-Za-z0-9._/+-], no "..", no leading '/' */
/* the untrusted comment of a karmorc signature (minisign's format otherwise) */
#define KB_SIG_COMMENT "untrusted comment: signature from karmorc secret key"

#endif
