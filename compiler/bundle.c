/*
 * kc_bundle: `karmorc bundle -o FILE [--sign SECRET_KEY] [compile options] PATH...`.
 *
 * The pipeline writes every chosen backend's artifacts into a scratch directory, exactly
 * as `compile` would; this file packs them, in name order, behind a manifest into the
 * format of backends/bundle.h (karmor-bundle(5)), so the same inputs in any order give the
 * same bytes.  --sign writes FILE.minisig beside it in minisign's format (Ed25519 over the
 * BLAKE2b-512 of the file, "ED"), which `minisign -Vm FILE -p KEY.pub` accepts; the secret
 * key is minisign's (-G), with or without a password.  Both files are written to
 * temporary names and renamed only when everything worked.
 */
#include "bundle.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "../backends/bundle.h"
#include "compile.h"
#include "report.h"

void kc_bundle_usage(FILE *f)
{
	fputs("usage: karmorc bundle -o FILE [--sign SECRET_KEY [--password-file FILE]] [--oci DIR]\n"
	      "                      [--target=all|apparmor|bpf|selinux|landlock] [--posture CLASS=MODE,...]\n"
	      "                      [--schema=crd|daemon] [--workloads PATH]... [--bpf-object FILE]\n"
	      "                      [--bpf-map-budget SIZE] PATH...\n"
	      "Compiles every backend (or the one --target names) into one reproducible file\n"
	      "(karmor-bundle(5)); --sign writes FILE.minisig with a minisign secret key; --oci\n"
	      "writes both as an OCI artifact in an image layout (skopeo copy oci:DIR:latest ...);\n"
	      "--apparmor-binary adds binary AppArmor policy for that feature set (apparmor_parser).\n", f);
}

/* ------------------------------------------------------------ the artifacts */

struct kc_section {
	char *name;
	unsigned char *data;
	size_t len;
	char sha[65];
};

struct kc_sections {
	struct kc_section *items;
	size_t n, cap;
};

static void kc_sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(h, data, len);
	sodium_bin2hex(hex, 65, h, sizeof(h));
}

/* a whole file; NULL with errno set */
static unsigned char *kc_read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 65536, n = 0;
	unsigned char *buf = malloc(cap);
	for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
		n += got;
		if (n == cap) {
			if (cap >= KB_MAX_SIZE) {
				free(buf);
				buf = NULL;
				errno = EFBIG;
				break;
			}
			unsigned char *more = realloc(buf, cap * 2);
			if (!more) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = more;
			cap *= 2;
		}
	}
	if (buf && ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

static struct kc_sections *kc_walk_into;	/* nftw has no context argument */
static const char *kc_walk_root;

static int kc_walk_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (type != FTW_F)
		return type == FTW_D || type == FTW_DP ? 0 : -1;
	struct kc_sections *s = kc_walk_into;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct kc_section *more = realloc(s->items, cap * sizeof(*more));
		if (!more)
			return -1;
		s->items = more;
		s->cap = cap;
	}
	struct kc_section *sec = &s->items[s->n];
	memset(sec, 0, sizeof(*sec));
	sec->name = strdup(path + strlen(kc_walk_root) + 1);
	sec->data = kc_read_all(path, &sec->len);
	if (!sec->name || !sec->data) {
		free(sec->name);
		free(sec->data);
		return -1;
	}
	kc_sha256_hex(sec->data, sec->len, sec->sha);
	s->n++;
	return 0;
}

static int kc_section_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kc_section *)a)->name, ((const struct kc_section *)b)->name);
}

static void kc_sections_free(struct kc_sections *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->items[i].name);
		free(s->items[i].data);
	}
	free(s->items);
}

static int kc_rm_one(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
	(void)sb;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* ------------------------------------------------------------ the manifest */

static int kc_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* the inputs: every file a policy or a workload came from, by name, with its digest */
static bool kc_manifest_inputs(const struct kc_pipeline *pl, struct be_buf *m)
{
	size_t cap = pl->prog->npolicies + pl->targets.n + 1, n = 0;
	const char **names = calloc(cap, sizeof(*names));
	if (!names)
		fe_oom();
	for (uint32_t i = 0; i < pl->prog->npolicies; i++)
		if (pl->prog->policies[i].loc.src)
			names[n++] = pl->prog->policies[i].loc.src->name;
	for (size_t i = 0; i < pl->targets.n; i++) {
		const struct ir_identity *id = pl->targets.items[i].identity;
		if (id && id->loc.src)
			names[n++] = id->loc.src->name;
	}
	qsort(names, n, sizeof(*names), kc_str_cmp);
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++) {
		if (i && strcmp(names[i], names[i - 1]) == 0)
			continue;
		size_t len;
		unsigned char *data = kc_read_all(names[i], &len);
		if (!data) {
			fprintf(stderr, "karmorc: bundle: %s: %s (an input is recorded by its digest)\n", names[i],
				strerror(errno));
			ok = false;
			break;
		}
		char sha[65];
		kc_sha256_hex(data, len, sha);
		free(data);
		be_printf(m, "input\t%s\t", sha);
		be_put_field(m, names[i]);
		be_puts(m, "\n");
	}
	free(names);
	return ok;
}

static bool kc_manifest(const struct kc_pipeline *pl, const struct kc_sections *s, struct be_buf *m)
{
	be_printf(m, "format\tkarmor-bundle\t%d\nkarmorc\t%s\n", KB_VERSION, KC_VERSION);
	if (!kc_manifest_inputs(pl, m))
		return false;
	for (size_t i = 0; i < pl->targets.n; i++) {
		const struct ir_target *t = &pl->targets.items[i];
		if (!t->npolicies)
			continue;	/* unconfined: no artifact */
		be_puts(m, "target\t");
		be_put_field(m, t->name);
		be_printf(m, "\t%s\t", t->host ? "host" : "container");
		be_put_field(m, t->describe);
		be_puts(m, "\n");
	}
	for (size_t i = 0; i < pl->noutputs; i++) {
		const struct be_backend *b = pl->outputs[i].backend;
		be_printf(m, "backend\t%s\t%s\t", b->name, b->folder);
		be_put_field(m, b->built_for);
		be_puts(m, "\n");
	}
	for (size_t i = 0; i < s->n; i++)
		be_printf(m, "section\t%s\t%zu\t%s\n", s->items[i].name, s->items[i].len, s->items[i].sha);
	return true;
}

/* ------------------------------------------------------------ minisign */

struct kc_seckey {
	unsigned char keynum[8];
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
};

/* the password of an encrypted key: the first line of `file` ("-": standard input), else
 * asked on the terminal without echo */
static bool kc_password(const char *file, char *pw, size_t len)
{
	FILE *f = NULL;
	struct termios old, quiet;
	bool tty = false;
	if (file) {
		f = strcmp(file, "-") ? fopen(file, "r") : stdin;
		if (!f) {
			fprintf(stderr, "karmorc: bundle: %s: %s\n", file, strerror(errno));
			return false;
		}
	} else if (isatty(STDIN_FILENO)) {
		f = stdin;
		fputs("Password: ", stderr);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tty = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
		}
	} else {
		fputs("karmorc: bundle: the secret key is encrypted: give --password-file FILE (or run on a terminal)\n",
		      stderr);
		return false;
	}
	bool ok = fgets(pw, (int)len, f) != NULL;
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputs("\n", stderr);
	}
	if (f != stdin)
		fclose(f);
	if (!ok) {
		fprintf(stderr, "karmorc: bundle: no password read%s%s\n", file ? " from " : "", file ? file : "");
		return false;
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	return true;
}

/* minisign's secret key file: an untrusted comment line, then base64 of sig_alg "Ed",
 * kdf_alg ("Sc": scrypt, or two zero bytes), chk_alg "B2", salt[32], opslimit and
 * memlimit (little-endian 64-bit), then keynum[8] sk[64] chk[32] (encrypted: XORed with
 * the scrypt stream of the password), chk being BLAKE2b-256(sig_alg, keynum, sk) */
static bool kc_read_seckey(const char *path, const char *password_file, struct kc_seckey *key)
{
	size_t len;
	unsigned char *text = kc_read_all(path, &len);
	if (!text) {
		fprintf(stderr, "karmorc: bundle: %s: %s\n", path, strerror(errno));
		return false;
	}
	bool ok = false;
	unsigned char raw[158], stream[104];
	char *line2 = memchr(text, '\n', len);
	size_t raw_len = 0;
	const char *end = NULL;
	if (!line2 || len < 19 || memcmp(text, "untrusted comment: ", 19) != 0 ||
	    sodium_base642bin(raw, sizeof(raw), line2 + 1, len - (size_t)(line2 + 1 - (char *)text), "\r\n", &raw_len,
			      &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    raw_len != sizeof(raw) || memcmp(raw, "Ed", 2) != 0 || memcmp(raw + 4, "B2", 2) != 0) {
		fprintf(stderr, "karmorc: bundle: %s: not a minisign secret key (minisign -G makes one)\n", path);
		goto out;
	}
	unsigned char *kn = raw + 54;	/* keynum, sk, chk */
	if (memcmp(raw + 2, "Sc", 2) == 0) {
		char pw[1024];
		uint64_t ops = 0, mem = 0;
		for (int i = 7; i >= 0; i--) {
			ops = ops << 8 | raw[38 + i];
			mem = mem << 8 | raw[46 + i];
		}
		if (!kc_password(password_file, pw, sizeof(pw)))
			goto out;
		int r = crypto_pwhash_scryptsalsa208sha256(stream, sizeof(stream), pw, strlen(pw), raw + 6,
							   (unsigned long long)ops, (size_t)mem);
		sodium_memzero(pw, sizeof(pw));
		if (r != 0) {
			fprintf(stderr, "karmorc: bundle: %s: the key's scrypt parameters cannot be met here (memory)\n",
				path);
			goto out;
		}
		for (size_t i = 0; i < sizeof(stream); i++)
			kn[i] ^= stream[i];
	} else if (raw[2] || raw[3]) {
		fprintf(stderr, "karmorc: bundle: %s: a minisign key with an unknown key derivation\n", path);
		goto out;
	}
	/* the checksum (minisign -W leaves it zero on a key without a password), and the
	 * secret key against its own seed: a wrong password or a damaged key fails both */
	unsigned char chk[32], zero[32] = {0}, pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
	crypto_generichash_state hs;
	crypto_generichash_init(&hs, NULL, 0, sizeof(chk));
	crypto_generichash_update(&hs, raw, 2);
	crypto_generichash_update(&hs, kn, 8);
	crypto_generichash_update(&hs, kn + 8, 64);
	crypto_generichash_final(&hs, chk, sizeof(chk));
	bool chk_ok = sodium_memcmp(chk, kn + 72, sizeof(chk)) == 0 ||
		      (!raw[2] && !raw[3] && sodium_memcmp(zero, kn + 72, sizeof(zero)) == 0);
	crypto_sign_seed_keypair(pk, sk, kn + 8);
	bool sk_ok = sodium_memcmp(sk, kn + 8, sizeof(sk)) == 0;
	sodium_memzero(sk, sizeof(sk));
	if (!chk_ok || !sk_ok) {
		fprintf(stderr, "karmorc: bundle: %s: %s\n", path,
			raw[2] ? "wrong password (or a damaged key)" : "a damaged secret key");
		goto out;
	}
	memcpy(key->keynum, kn, 8);
	memcpy(key->sk, kn + 8, 64);
	ok = true;
out:
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(stream, sizeof(stream));
	free(text);
	return ok;
}

/* FILE.minisig's text for data: an untrusted comment, base64("ED" keynum signature of
 * BLAKE2b-512(data)), the trusted comment, base64(signature of signature + comment) */
static bool kc_sign(const struct kc_seckey *key, const unsigned char *data, size_t len, const char *name,
		    struct be_buf *out)
{
	unsigned char hash[crypto_generichash_BYTES_MAX], sigbin[74], global[crypto_sign_BYTES];
	crypto_generichash(hash, sizeof(hash), data, len, NULL, 0);
	memcpy(sigbin, "ED", 2);
	memcpy(sigbin + 2, key->keynum, 8);
	if (crypto_sign_detached(sigbin + 10, NULL, hash, sizeof(hash), key->sk) != 0)
		return false;
	struct be_buf trusted = {0};
	be_puts(&trusted, "karmor-bundle\tfile:");
	be_put_field(&trusted, name);
	struct be_buf both = {0};
	be_write(&both, sigbin + 10, 64);
	be_write(&both, trusted.s, trusted.len);
	bool ok = crypto_sign_detached(global, NULL, (const unsigned char *)both.s, both.len, key->sk) == 0;
	char b64[sodium_base64_ENCODED_LEN(74, sodium_base64_VARIANT_ORIGINAL)];
	be_printf(out, "%s\n%s\n", KB_SIG_COMMENT,
		  sodium_bin2base64(b64, sizeof(b64), sigbin, sizeof(sigbin), sodium_base64_VARIANT_ORIGINAL));
	be_printf(out, "trusted comment: %s\n%s\n", trusted.s,
		  sodium_bin2base64(b64, sizeof(b64), global, sizeof(global), sodium_base64_VARIANT_ORIGINAL));
	be_buf_free(&trusted);
	be_buf_free(&both);
	return ok;
}

/* ------------------------------------------------------------ writing */

static bool kc_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fprintf(stderr, "karmorc: bundle: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		remove(path);
		return false;
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "karmorc: bundle: %s: %s\n", path, strerror(errno));
		remove(path);
		return false;
	}
	return true;
}

static void kc_add_section(struct be_buf *b, const char *name, const void *data, size_t len, const char *sha)
{
	be_printf(b, "section %s %zu %s\n", name, len, sha);
	be_write(b, data, len);
	be_puts(b, "\n");
}

/* ------------------------------------------------------------ OCI */

/* The media types of the artifact (karmor-bundle(5), OCI): the bundle and its signature
 * are layers of a manifest whose artifactType is the bundle's, with the empty config. */
#define KC_OCI_BUNDLE "application/vnd.karmor.bundle.v1"
#define KC_OCI_SIGNATURE "application/vnd.karmor.bundle.signature.v1"
#define KC_OCI_EMPTY "application/vnd.oci.empty.v1+json"
#define KC_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define KC_OCI_INDEX "application/vnd.oci.image.index.v1+json"

/* a blob into DIR/blobs/sha256/; its digest ("sha256:HEX") in digest */
static bool kc_oci_blob(const char *dir, const void *data, size_t len, char digest[72])
{
	char hex[65], path[4300];
	kc_sha256_hex(data, len, hex);
	snprintf(digest, 72, "sha256:%s", hex);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", dir, hex);
	return kc_write_file(path, data, len);
}

static void kc_oci_layer(struct be_buf *m, const char *type, const char *digest, size_t size, const char *title)
{
	/* keys in byte order, no spaces: one spelling, so one digest */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		fe_oom();
	kc_json_string(f, title);	/* report.c's escaping: one spelling of any name */
	fclose(f);
	be_puts(m, "{\"annotations\":{\"org.opencontainers.image.title\":");
	be_write(m, text, len);
	free(text);
	be_printf(m, "},\"digest\":\"%s\",\"mediaType\":\"%s\",\"size\":%zu}", digest, type, size);
}

/* An OCI image layout in dir (made anew: written beside it, then swapped in) holding the
 * bundle, and its signature when there is one, as one artifact tagged "latest". */
static bool kc_write_oci(const char *dir, const struct be_buf *bundle, const struct be_buf *sig, const char *name)
{
	char tmp[4200], old[4200], path[4300];
	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", dir, (long)getpid());
	snprintf(old, sizeof(old), "%s.old-%ld", dir, (long)getpid());
	snprintf(path, sizeof(path), "%s/blobs/sha256", tmp);
	struct stat sb;
	if (stat(dir, &sb) == 0) {
		char layout[4300];
		snprintf(layout, sizeof(layout), "%s/oci-layout", dir);
		if (!S_ISDIR(sb.st_mode) || (access(layout, F_OK) != 0 && rmdir(dir) != 0 && errno == ENOTEMPTY)) {
			fprintf(stderr, "karmorc: bundle: --oci %s: exists and is not an OCI image layout (nothing replaced)\n",
				dir);
			return false;
		}
	}
	if (!be_mkdirs(path)) {
		fprintf(stderr, "karmorc: bundle: %s: %s\n", path, strerror(errno));
		return false;
	}
	char cfg[72], bd[72], sd[72], md[72];
	struct be_buf m = {0}, idx = {0};
	bool ok = kc_oci_blob(tmp, "{}", 2, cfg) && kc_oci_blob(tmp, bundle->s, bundle->len, bd) &&
		  (!sig || kc_oci_blob(tmp, sig->s, sig->len, sd));
	if (ok) {
		be_printf(&m, "{\"artifactType\":\"%s\",\"config\":{\"digest\":\"%s\",\"mediaType\":\"%s\",\"size\":2},"
			  "\"layers\":[", KC_OCI_BUNDLE, cfg, KC_OCI_EMPTY);
		kc_oci_layer(&m, KC_OCI_BUNDLE, bd, bundle->len, name);
		if (sig) {
			char signame[4200];
			snprintf(signame, sizeof(signame), "%s.minisig", name);
			be_puts(&m, ",");
			kc_oci_layer(&m, KC_OCI_SIGNATURE, sd, sig->len, signame);
		}
		be_printf(&m, "],\"mediaType\":\"%s\",\"schemaVersion\":2}", KC_OCI_MANIFEST);
		ok = kc_oci_blob(tmp, m.s, m.len, md);
	}
	if (ok) {
		be_printf(&idx, "{\"manifests\":[{\"annotations\":{\"org.opencontainers.image.ref.name\":\"latest\"},"
			  "\"artifactType\":\"%s\",\"digest\":\"%s\",\"mediaType\":\"%s\",\"size\":%zu}],"
			  "\"mediaType\":\"%s\",\"schemaVersion\":2}", KC_OCI_BUNDLE, md, KC_OCI_MANIFEST, m.len, KC_OCI_INDEX);
		snprintf(path, sizeof(path), "%s/index.json", tmp);
		ok = kc_write_file(path, idx.s, idx.len);
		snprintf(path, sizeof(path), "%s/oci-layout", tmp);
		ok = ok && kc_write_file(path, "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
	}
	bool had = ok && rename(dir, old) == 0;
	if (ok && rename(tmp, dir) != 0) {
		fprintf(stderr, "karmorc: bundle: --oci %s: %s\n", dir, strerror(errno));
		if (had)
			rename(old, dir);
		ok = false;
	}
	nftw(ok ? old : tmp, kc_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	if (ok)
		fprintf(stderr, "karmorc: bundle: OCI image layout %s: artifact %s, tag latest\n", dir, md);
	be_buf_free(&m);
	be_buf_free(&idx);
	return ok;
}

/* What a bundle run has on disk and must not leave: its scratch directory and the bundle's
 * temporary files.  Removed on every return, and by an exit handler when the run ends
 * early (fe_oom's exit 3). */
static char kc_scratch[4096], kc_tmp[4200], kc_sigtmp[4300];

static void kc_bundle_cleanup(void)
{
	/* nftw needs memory for its directory streams: a pass that ran short is tried again */
	for (int pass = 0; *kc_scratch && pass < 3; pass++)
		if (nftw(kc_scratch, kc_rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0 || errno == ENOENT)
			break;
	if (*kc_tmp)
		remove(kc_tmp);
	if (*kc_sigtmp)
		remove(kc_sigtmp);
	*kc_scratch = *kc_tmp = *kc_sigtmp = '\0';
}

int kc_bundle(struct kc_pipeline *pl, const struct kc_bundle_opts *o)
{
	if (atexit(kc_bundle_cleanup) != 0)
		fe_oom();
	const char *sign_key = o->sign_key, *password_file = o->password_file, *oci = o->oci;
	const char *file = pl->outdir;
	for (size_t i = 0; i < pl->npaths; i++)
		if (strcmp(pl->paths[i], "-") == 0) {
			fputs("karmorc: bundle: '-' (standard input) cannot be an input: a bundle records each input "
			      "by name and digest\n", stderr);
			return 2;
		}
	struct kc_seckey key;
	if (sign_key && !kc_read_seckey(sign_key, password_file, &key))
		return 3;

	/* the artifacts, as compile writes them, in a scratch directory */
	const char *tmpdir = getenv("TMPDIR");
	char scratch[sizeof(kc_scratch)];
	snprintf(scratch, sizeof(scratch), "%s/karmorc-bundle.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(scratch)) {
		fprintf(stderr, "karmorc: bundle: %s: %s\n", scratch, strerror(errno));
		return 3;
	}
	memcpy(kc_scratch, scratch, sizeof(scratch));
	pl->outdir = scratch;
	pl->no_summary = true;
	int rc = kc_pipeline_run(pl, KC_STAGE_WRITE);
	pl->outdir = file;
	struct kc_sections s = {0};
	struct be_buf manifest = {0}, out = {0}, sig = {0};
	if (rc != 0)
		goto done;
	rc = 3;
	kc_walk_into = &s;
	kc_walk_root = scratch;
	if (nftw(scratch, kc_walk_one, 16, FTW_PHYS) != 0) {
		fprintf(stderr, "karmorc: bundle: reading the artifacts back from %s: %s\n", scratch, strerror(errno));
		goto done;
	}
	if (s.n > 1)
		qsort(s.items, s.n, sizeof(*s.items), kc_section_cmp);
	if (!kc_manifest(pl, &s, &manifest))
		goto done;
	be_puts(&out, KB_MAGIC);
	char sha[65];
	kc_sha256_hex(manifest.s, manifest.len, sha);
	kc_add_section(&out, KB_MANIFEST, manifest.s, manifest.len, sha);
	for (size_t i = 0; i < s.n; i++)
		kc_add_section(&out, s.items[i].name, s.items[i].data, s.items[i].len, s.items[i].sha);
	kc_sha256_hex(out.s, out.len, sha);
	be_printf(&out, "end %s\n", sha);
	if (out.len > KB_MAX_SIZE) {
		fprintf(stderr, "karmorc: bundle: %zu bytes: more than a bundle may hold (%llu)\n", out.len,
			(unsigned long long)KB_MAX_SIZE);
		goto done;
	}
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	if (sign_key && !kc_sign(&key, (const unsigned char *)out.s, out.len, base, &sig)) {
		fputs("karmorc: bundle: signing failed\n", stderr);
		goto done;
	}
	/* both files to temporary names, then renamed: a failure leaves the previous ones */
	char tmp[sizeof(kc_tmp)], sigpath[4200], sigtmp[sizeof(kc_sigtmp)];
	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", file, (long)getpid());
	snprintf(sigpath, sizeof(sigpath), "%s.minisig", file);
	snprintf(sigtmp, sizeof(sigtmp), "%s.tmp-%ld", sigpath, (long)getpid());
	memcpy(kc_tmp, tmp, sizeof(tmp));
	if (sign_key)
		memcpy(kc_sigtmp, sigtmp, sizeof(sigtmp));
	if (!kc_write_file(tmp, out.s, out.len))
		goto done;
	if (sign_key && !kc_write_file(sigtmp, sig.s, sig.len)) {
		remove(tmp);
		goto done;
	}
	if (rename(tmp, file) != 0 || (sign_key && rename(sigtmp, sigpath) != 0)) {
		fprintf(stderr, "karmorc: bundle: %s: %s\n", file, strerror(errno));
		remove(tmp);
		remove(sigtmp);
		goto done;
	}
	*kc_tmp = *kc_sigtmp = '\0';	/* renamed: the bundle now */
	if (oci && !kc_write_oci(oci, &out, sign_key ? &sig : NULL, base))
		goto done;	/* the bundle is written; the layout is not (said) */
	/* a signature of an earlier bundle must not stay beside this one */
	if (!sign_key && remove(sigpath) == 0)
		fprintf(stderr, "karmorc: bundle: removed %s: it signed an earlier bundle\n", sigpath);
	size_t ntargets = 0;
	for (size_t i = 0; i < pl->targets.n; i++)
		ntargets += pl->targets.items[i].npolicies > 0;
	fprintf(stderr, "karmorc: bundle: %zu target%s, %zu artifact%s, %zu bytes written to %s%s%s\n", ntargets,
		ntargets == 1 ? "" : "s", s.n, s.n == 1 ? "" : "s", out.len, file, sign_key ? ", signed: " : " (unsigned)",
		sign_key ? sigpath : "");
	rc = 0;
done:
	kc_bundle_cleanup();
	kc_sections_free(&s);
	be_buf_free(&manifest);
	be_buf_free(&out);
	be_buf_free(&sig);
	sodium_memzero(&key, sizeof(key));
	return rc;
}
