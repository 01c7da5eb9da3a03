/*
 * apply: images -> maps -> attached, pinned programs.  All or nothing: every
 * kernel object this run makes is recorded, and any failure unpins and closes
 * all of them, so nothing stays attached; the state directory appears last,
 * with one rename.  Signals that would stop us half-way are held meanwhile.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/magic.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "karmor.skel.h"
#include "../backends/bundle.h"
#include "bundle.h"
#include "loader.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#define KL_BTF_PATH "/sys/kernel/btf/vmlinux"
#define KL_LSM_PATH "/sys/kernel/security/lsm"

struct bind_arg {
	const char *target;	/* as given */
	const char *dir;
	char *real;		/* realpath of dir */
	uint64_t cgid;
	unsigned slot;
};

struct in_image {
	char *file;
	struct kl_image img;
	const char *name;
	unsigned slot;
	int host;
	unsigned nbinds;
};

struct apply {
	int without_lsm, verbose;
	int monitor;		/* --mode=monitor */
	const char *host;
	const char *key;	/* a bundle's signature is checked against it (--key) */
	int require_signature;
	struct kl_config conf;	/* loader.conf */
	enum kl_backend want;	/* --backend, else KL_BACKEND_NONE */
	/* the bundles among the inputs: how many, which backends they carry, their AppArmor
	 * profiles (a bundle's other artifacts are not kept) */
	unsigned nbundles;
	int in_bundle[KL_BACKEND_COUNT];
	struct kl_aa_set *aa;
	struct kl_se_set *se;
	struct kl_dirs dirs;
	char **inputs;
	int ninputs;
	struct bind_arg *binds;
	unsigned nbinds;
	struct in_image *imgs;	/* sorted by name = slot order */
	unsigned nimgs;
	uint64_t seed;
	/* generations (bpf/karmor.h): this apply's, and whether it replaces an applied one */
	uint32_t generation, old_generation;
	int replacing;
	int active_fd;		/* the applied generation's karmor_active, reused */
	int committed;		/* karmor_active names this generation: no rollback any more */
	char stage_pin[PATH_MAX], stage_state[PATH_MAX];	/* PIN_DIR-next, STATE_DIR-next */
	int state_staged;	/* STATE_DIR-next is this run's */
	uint32_t max_entries[KARMOR_BM_COUNT];	/* the maps' sizes, from the images */
	unsigned nsys;		/* images with syscall rules: the syscall tracepoints are loaded */
	/* what this run made in the kernel and the file systems, for the rollback */
	struct karmor *skel;
	struct bpf_link **links;
	char **link_names;
	unsigned nlinks;
	char **pins;		/* full paths */
	unsigned npins;
	int made_pin_dir;
	char *state_tmp;
};

/* ------------------------------------------------------------ checks */

static int has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

/* everything that keeps the programs from loading, each said once with its fix */
static int check_kernel(const struct apply *a, const char *pin_dir)
{
	int problems = 0;

	if (geteuid() != 0) {
		struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
		struct __user_cap_data_struct d[2];
		memset(d, 0, sizeof(d));
		int ok = syscall(SYS_capget, &h, d) == 0 &&
			 (has_cap(d, CAP_SYS_ADMIN) ||
			  (has_cap(d, CAP_BPF) && has_cap(d, CAP_PERFMON) && has_cap(d, CAP_NET_ADMIN)));
		if (!ok) {
			kl_err("not privileged: loading BPF-LSM programs needs root (CAP_SYS_ADMIN, or CAP_BPF + "
			       "CAP_PERFMON + CAP_NET_ADMIN)");
			problems++;
		}
	}

	if (access(KL_BTF_PATH, R_OK)) {
		kl_err("no kernel BTF: %s: %s (the kernel needs CONFIG_DEBUG_INFO_BTF=y)", KL_BTF_PATH,
		       strerror(errno));
		problems++;
	}

	if (!a->without_lsm) {
		char lsm[1024] = "";
		FILE *f = fopen(KL_LSM_PATH, "re");
		if (!f) {
			int e = errno;
			struct statfs sfs;
			if (statfs("/sys/kernel/security", &sfs) || sfs.f_type != SECURITYFS_MAGIC)
				kl_err("cannot tell whether BPF-LSM is enabled: %s: %s (securityfs is not mounted: mount "
				       "-t securityfs securityfs /sys/kernel/security); or use --without-lsm",
				       KL_LSM_PATH, strerror(e));
			else
				kl_err("cannot tell whether BPF-LSM is enabled: %s: %s; or use --without-lsm",
				       KL_LSM_PATH, strerror(e));
			problems++;
		} else {
			size_t n = fread(lsm, 1, sizeof(lsm) - 1, f);
			fclose(f);
			lsm[n] = '\0';
			lsm[strcspn(lsm, "\n")] = '\0';
			int found = 0;
			char copy[sizeof(lsm)], *save = NULL;
			snprintf(copy, sizeof(copy), "%s", lsm);
			for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
				found |= !strcmp(t, "bpf");
			if (!found) {
				kl_err("BPF-LSM is not enabled: %s lists \"%s\", without bpf; boot with lsm=%s%sbpf "
				       "(and a kernel built with CONFIG_BPF_LSM=y), or use --without-lsm",
				       KL_LSM_PATH, lsm, lsm, lsm[0] ? "," : "");
				problems++;
			}
		}
	}

	/* the pin directory must be (or be made) on a bpf file system */
	char where[PATH_MAX];
	snprintf(where, sizeof(where), "%s", pin_dir);
	struct stat sb;
	if (stat(where, &sb)) {
		char *slash = strrchr(where, '/');
		if (slash && slash != where)
			*slash = '\0';
		else if (slash)
			slash[1] = '\0';
	}
	struct statfs sfs;
	if (statfs(where, &sfs)) {
		kl_err("%s: %s (the pin directory's parent must be a directory on a bpf file system: mount -t bpf "
		       "bpf /sys/fs/bpf)",
		       where, strerror(errno));
		problems++;
	} else if (sfs.f_type != BPF_FS_MAGIC) {
		kl_err("%s is not a bpf file system, so nothing can be pinned there (mount -t bpf bpf %s)", where,
		       where);
		problems++;
	}

	if (a->nbinds && !kl_cgroup2_root()) {
		kl_err("no cgroup v2 file system is mounted, so --bind cannot work (mount -t cgroup2 none "
		       "/sys/fs/cgroup)");
		problems++;
	}
	return problems ? -1 : 0;
}

/* ------------------------------------------------------------ images */

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n > m && !strcmp(s + n - m, suf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the *.kmi files of dir, sorted; -1 on error, else the count */
static int list_images(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	char **v = NULL;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !has_suffix(de->d_name, KARMOR_IMAGE_SUFFIX))
			continue;
		char **nv = realloc(v, (n + 1) * sizeof(*v));
		size_t len = strlen(dir) + strlen(de->d_name) + 2;
		char *p = malloc(len);
		if (!nv || !p) {
			free(p);
			v = nv ? nv : v;
			for (int i = 0; i < n; i++)
				free(v[i]);
			free(v);
			closedir(d);
			errno = ENOMEM;
			return -1;
		}
		v = nv;
		snprintf(p, len, "%s/%s", dir, de->d_name);
		v[n++] = p;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

/* an image: the file `label` (data NULL), or bytes in memory (a bundle's section) named
 * `label` in messages; 0, -1 (out of memory), -2 (reported) */
static int add_image_from(struct apply *a, const char *label, const void *data, size_t size)
{
	struct in_image *v = realloc(a->imgs, (a->nimgs + 1) * sizeof(*v));
	if (!v)
		return -1;
	a->imgs = v;
	struct in_image *im = &a->imgs[a->nimgs];
	memset(im, 0, sizeof(*im));
	im->file = strdup(label);
	if (!im->file)
		return -1;
	char err[1024];
	if (data ? kl_image_parse(data, size, label, &im->img, err, sizeof(err))
		 : kl_image_read(label, &im->img, err, sizeof(err))) {
		free(im->file);
		kl_err("%s", err);
		return -2;
	}
	im->name = kl_image_str(&im->img, im->img.hdr->name);
	a->nimgs++;
	return 0;
}

static int add_image(struct apply *a, const char *file)
{
	return add_image_from(a, file, NULL, 0);
}

/* kl_bundle_walk's visit: each BPF map image of a bundle becomes an input image */
struct bundle_walk {
	struct apply *a;
	const char *file;
	size_t nimages;
	int failed;		/* an image was refused (reported) */
};

static int bundle_image(void *ctx, const char *name, size_t nlen, const unsigned char *data, size_t size)
{
	struct bundle_walk *w = ctx;
	size_t sl = strlen(KARMOR_IMAGE_SUFFIX);
	if (kl_aa_set_add(w->a->aa, name, nlen, data, size) || kl_se_set_add(w->a->se, name, nlen, data, size)) {
		kl_err("%s: out of memory", w->file);
		w->failed = 1;
		return -1;
	}
	if (nlen <= 4 + sl || memcmp(name, "bpf/", 4) || memcmp(name + nlen - sl, KARMOR_IMAGE_SUFFIX, sl))
		return 0;
	char label[PATH_MAX];
	snprintf(label, sizeof(label), "%s:%.*s", w->file, (int)nlen, name);
	int r = add_image_from(w->a, label, data, size);
	if (r == -1)
		kl_err("%s: out of memory", label);
	w->nimages += r == 0;
	w->failed = r != 0;
	return r;
}

/* A bundle (karmor-bundle(5)): checked whole first (and its signature, given a key), then
 * its BPF map images; 0, 1 (not a bundle: an image file), -1 (reported) */
static int bundle_input(struct apply *a, const char *file)
{
	char head[sizeof(KB_MAGIC) - 1];
	FILE *f = fopen(file, "rb");
	size_t got = f ? fread(head, 1, sizeof(head), f) : 0;
	if (f)
		fclose(f);
	if (got != sizeof(head) || memcmp(head, KB_MAGIC, sizeof(head)))
		return 1;
	size_t len = 0;
	unsigned char *b = kl_slurp(file, &len, KB_MAX_SIZE);
	char err[512], trusted[512];
	struct kl_bundle_info info;
	int rc = -1;
	if (!b) {
		kl_err("%s: %s", file, strerror(errno));
		return -1;
	}
	/* the signature first (given a key), then one walk: the structure and every hash,
	 * and the map images once all of it holds */
	const char *signature = "not checked (no --key)";
	if (a->key) {
		char sigpath[PATH_MAX];
		snprintf(sigpath, sizeof(sigpath), "%s.minisig", file);
		if (kl_signature_verify_files(a->key, sigpath, b, len, trusted, sizeof(trusted), err, sizeof(err))) {
			kl_err("%s (nothing applied)", err);
			goto out;
		}
		signature = "good";
	}
	struct bundle_walk w = {a, file, 0, 0};
	if (kl_bundle_walk(b, len, &info, bundle_image, &w, err, sizeof(err))) {
		if (!w.failed)	/* else the image's own problem is reported */
			kl_err("%s: %s (nothing applied)", file, err);
		goto out;
	}
	/* which backends it carries: choose_backend picks one once every input is read */
	a->nbundles++;
	a->in_bundle[KL_BACKEND_BPF] |= w.nimages > 0;
	a->in_bundle[KL_BACKEND_APPARMOR] |= kl_aa_set_count(a->aa) > 0;
	a->in_bundle[KL_BACKEND_SELINUX] |= kl_se_set_count(a->se) > 0;	/* host targets' modules */
	fprintf(stderr, "karmor-loader: apply: %s: verified (signature %s); backends %s\n", file, signature,
		info.backends);
	rc = 0;
out:
	free(b);
	return rc;
}

static int read_inputs(struct apply *a)
{
	for (int i = 0; i < a->ninputs; i++) {
		const char *in = a->inputs[i];
		struct stat sb;
		if (stat(in, &sb)) {
			kl_err("%s: %s", in, strerror(errno));
			return -1;
		}
		int kb = S_ISREG(sb.st_mode) ? bundle_input(a, in) : 1;
		if (kb <= 0) {
			if (kb < 0)
				return -1;
			continue;
		}
		if (a->require_signature) {
			kl_err("%s: a map image carries no signature, and one is required (%s)", in,
			       a->conf.require_signature ? a->conf.path : "--require-signature");
			return -1;
		}
		if (a->key && a->key != a->conf.key) {
			kl_err("%s: --key is for bundles; a map image carries no signature", in);
			return -1;
		}
		if (!S_ISDIR(sb.st_mode)) {
			int r = add_image(a, in);
			if (r == -1)
				kl_err("%s: out of memory", in);
			if (r)
				return -1;
			continue;
		}
		char **files = NULL;
		int n = list_images(in, &files);
		if (n == 0) {
			/* `karmorc compile -o OUT` writes OUT/bpf/TARGET.kmi */
			char sub[PATH_MAX];
			snprintf(sub, sizeof(sub), "%s/bpf", in);
			free(files);
			files = NULL;
			n = list_images(sub, &files);
			if (n < 0)
				n = 0;
		}
		if (n < 0) {
			kl_err("%s: %s", in, strerror(errno));
			return -1;
		}
		if (n == 0) {
			free(files);
			kl_err("%s: no *%s map images here or in %s/bpf (karmorc compile --target=bpf -o DIR makes "
			       "them)",
			       in, KARMOR_IMAGE_SUFFIX, in);
			return -1;
		}
		int rc = 0;
		for (int k = 0; k < n; k++) {
			if (!rc) {
				int r = add_image(a, files[k]);
				if (r == -1)
					kl_err("%s: out of memory", files[k]);
				rc = r ? -1 : 0;
			}
			free(files[k]);
		}
		free(files);
		if (rc)
			return -1;
	}
	return 0;
}

static int cmp_image(const void *x, const void *y)
{
	const struct in_image *a = x, *b = y;
	return strcmp(a->name, b->name);
}

/* a name becomes a file name in the state directory and a field of the state file */
static int bad_name(const char *n)
{
	if (!n[0] || !strcmp(n, ".") || !strcmp(n, "..") || strlen(n) > 200)
		return 1;
	for (const unsigned char *p = (const unsigned char *)n; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return 1;
	return 0;
}

static struct in_image *find_target(struct apply *a, const char *name)
{
	for (unsigned i = 0; i < a->nimgs; i++)
		if (!strcmp(a->imgs[i].name, name))
			return &a->imgs[i];
	return NULL;
}

static void list_targets(const struct apply *a, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < a->nimgs && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? ", " : "", a->imgs[i].name);
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off >= len && len > 4)
		snprintf(buf + len - 4, 4, "...");
}

static int check_images(struct apply *a)
{
	for (unsigned i = 0; i < a->nimgs; i++) {
		if (bad_name(a->imgs[i].name)) {
			kl_err("%s: target name \"%s\" cannot be used (empty, too long, or has '/' or control "
			       "characters)",
			       a->imgs[i].file, a->imgs[i].name);
			return -1;
		}
	}
	qsort(a->imgs, a->nimgs, sizeof(*a->imgs), cmp_image);
	struct karmor_map_counts c = {a->nimgs, 0, 0, 0, 0, 0, 0};
	for (unsigned i = 0; i < a->nimgs; i++) {
		if (i && !strcmp(a->imgs[i].name, a->imgs[i - 1].name)) {
			kl_err("%s: target \"%s\" is also in %s; each target can be applied once", a->imgs[i].file,
			       a->imgs[i].name, a->imgs[i - 1].file);
			return -1;
		}
		a->imgs[i].slot = i;
		const struct karmor_image_header *h = a->imgs[i].img.hdr;
		c.paths += h->npaths;
		c.nets += h->nnets;
		c.caps += h->ncaps;
		c.srcs += h->nsrcs;
		c.dfa_words += h->dfa_words;
		c.sys += h->nsys;
		a->nsys += (h->flags & KARMOR_TF_SYSCALLS) != 0;
	}
	char err[256];
	if (kl_map_sizes(&c, a->max_entries, err, sizeof(err))) {
		kl_err("%s; apply fewer targets", err);
		return -1;
	}

	char names[512];
	if (a->host) {
		struct in_image *t = find_target(a, a->host);
		if (!t) {
			list_targets(a, names, sizeof(names));
			kl_err("--host %s: no such target in the images (targets: %s)", a->host, names);
			return -1;
		}
		t->host = 1;
	}
	if (a->nbinds > KARMOR_MAX_CGROUPS) {
		kl_err("%u --bind options, more than the %d cgroups the BPF object holds", a->nbinds,
		       KARMOR_MAX_CGROUPS);
		return -1;
	}
	for (unsigned i = 0; i < a->nbinds; i++) {
		struct bind_arg *b = &a->binds[i];
		struct in_image *t = find_target(a, b->target);
		if (!t) {
			list_targets(a, names, sizeof(names));
			kl_err("--bind %s=%s: no target %s in the images (targets: %s)", b->target, b->dir, b->target,
			       names);
			return -1;
		}
		struct stat sb;
		struct statfs sfs;
		if (stat(b->dir, &sb)) {
			kl_err("--bind %s=%s: %s: %s", b->target, b->dir, b->dir, strerror(errno));
			return -1;
		}
		if (!S_ISDIR(sb.st_mode) || statfs(b->dir, &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC) {
			const char *root = kl_cgroup2_root();
			kl_err("--bind %s=%s: %s is not a cgroup v2 directory (cgroup v2 is %s%s)", b->target, b->dir,
			       b->dir, root ? "mounted at " : "not mounted", root ? root : "");
			return -1;
		}
		b->real = realpath(b->dir, NULL);
		if (!b->real) {
			kl_err("--bind %s=%s: %s", b->target, b->dir, strerror(errno));
			return -1;
		}
		if (strpbrk(b->real, "\t\n")) {
			kl_err("--bind %s=%s: a cgroup path with a TAB or newline cannot be recorded", b->target,
			       b->dir);
			return -1;
		}
		/* the kernel's cgroup id (bpf_get_current_cgroup_id) is the directory's inode number */
		b->cgid = (uint64_t)sb.st_ino;
		b->slot = t->slot;
		t->nbinds++;
		for (unsigned k = 0; k < i; k++) {
			if (a->binds[k].cgid == b->cgid) {
				kl_err("--bind %s=%s: that cgroup is already bound by --bind %s=%s", b->target, b->dir,
				       a->binds[k].target, a->binds[k].dir);
				return -1;
			}
		}
	}
	return 0;
}

/* --without-lsm enforces only network rules without fromSource on bound cgroups: say what else is not */
static void warn_without_lsm(const struct apply *a)
{
	kl_warn("--without-lsm: only the cgroup/sock_create program is attached, to each bound cgroup; "
		"network rules without fromSource are enforced there, nothing else is");
	if (a->nsys)
		kl_warn("--without-lsm: syscall rules are audited (the raw tracepoints need no LSM), but those with "
			"fromSource match no process: the executable is recorded by the BPF-LSM exec hook");
	for (unsigned i = 0; i < a->nimgs; i++) {
		const struct in_image *im = &a->imgs[i];
		const struct karmor_image_header *h = im->img.hdr;
		unsigned srcnet = 0;
		for (uint32_t k = 0; k < h->nnets; k++)
			srcnet += im->img.nets[k].source != 0;
		if (h->npaths || h->ncaps || srcnet)
			kl_warn("%s: NOT enforced: %u path entries (process and file rules), %u capability entries, "
				"%u network entries with fromSource",
				im->name, h->npaths, h->ncaps, srcnet);
		if (im->host)
			kl_warn("%s: NOT enforced: it is the host target, and without BPF-LSM only bound cgroups are "
				"covered",
				im->name);
		else if (!im->nbinds)
			kl_warn("%s: NOT enforced: no --bind names it", im->name);
	}
}

/* The backend of the bundles: --backend, else the best the host has (kl_backend_choose).
 * Plain map images are BPF's; AppArmor comes from one bundle alone. */
static enum kl_backend choose_backend(struct apply *a)
{
	if (!a->nbundles) {
		if (a->want != KL_BACKEND_NONE && a->want != KL_BACKEND_BPF) {
			kl_err("--backend %s: map images are BPF artifacts; only a bundle carries %s ones",
			       kl_backend_name(a->want), kl_backend_name(a->want));
			return KL_BACKEND_NONE;
		}
		return KL_BACKEND_BPF;
	}
	struct kl_host h;
	kl_host_probe(&h);
	int in[KL_BACKEND_COUNT];
	memcpy(in, a->in_bundle, sizeof(in));
	if ((unsigned)a->ninputs != a->nbundles || a->nbundles > 1 || a->without_lsm || a->nbinds || a->host)
		in[KL_BACKEND_APPARMOR] = in[KL_BACKEND_SELINUX] = 0;	/* only BPF takes those */
	char why[1024];
	enum kl_backend b = kl_backend_choose(&h, in, a->want, a->without_lsm, why, sizeof(why));
	if (b == KL_BACKEND_NONE) {
		kl_err("no backend of the bundle can enforce here: %s (nothing applied)", why);
		if (a->without_lsm || a->nbinds || a->host)
			kl_err("--bind, --host and --without-lsm are BPF's options: with them, the bundle's other "
			       "backends are not considered");
		return KL_BACKEND_NONE;
	}
	fprintf(stderr, "karmor-loader: apply: backend %s (%s)\n", kl_backend_name(b), why);
	return b;
}

/* ------------------------------------------------------------ the kernel side */

static int fault(const char *what, const char *name, int err)
{
	if (err < 0)
		err = -err;
	kl_err("%s%s%s: %s", what, name ? " " : "", name ? name : "", strerror(err));
	return -1;
}

static int update(struct bpf_map *m, const void *k, size_t ks, const void *v, size_t vs, __u64 flags,
		  const char *target)
{
	int r = bpf_map__update_elem(m, k, ks, v, vs, flags);
	KL_CHECKPOINT("a map update");
	if (!r)
		return 0;
	if (r == -EEXIST)
		/* two strings of one target with one 64-bit hash under this load's key: astronomically rare */
		kl_err("%s: %s: two keys hash alike under this load's random key; apply again", target,
		       bpf_map__name(m));
	else
		kl_err("%s: cannot fill %s: %s", target, bpf_map__name(m), strerror(-r));
	return -1;
}

/* the syscall section (bpf/karmor.h: syscall rules) into karmor_sys */
static int fill_sys(struct karmor *s, const struct in_image *im, uint64_t seed)
{
	const struct karmor_image_header *h = im->img.hdr;
	for (uint32_t k = 0; k < h->nsys; k++) {
		const struct karmor_image_sys *p = &im->img.sys[k];
		struct karmor_sys_key key;
		memset(&key, 0, sizeof(key));
		key.hash = p->role == KARMOR_SYS_ROLE_CALL ? 0 : karmor_hash_string(seed, kl_image_str(&im->img, p->str));
		key.target = im->slot;
		key.source = p->source;
		key.nr = p->nr;
		key.role = p->role;
		if (update(s->maps.karmor_sys, &key, sizeof(key), &p->value, sizeof(p->value), BPF_NOEXIST, im->name))
			return -1;
	}
	return 0;
}

static int fill_maps(struct apply *a)
{
	struct karmor *s = a->skel;
	uint32_t generation = a->generation;
	struct karmor_config cfg = {0, a->nbinds, generation, a->nsys, (uint32_t)a->monitor};
	uint32_t dfa_base = 1;	/* word 0 is not used: a base of 0 means "no automaton" */
	for (unsigned i = 0; i < a->nimgs; i++) {
		struct in_image *im = &a->imgs[i];
		const struct karmor_image_header *h = im->img.hdr;
		const char *tn = im->name;
		uint32_t slot = im->slot;
		struct karmor_target t;
		memset(&t, 0, sizeof(t));
		t.flags = (h->flags & ~KARMOR_TF_LOADED & ~KARMOR_TF_HOST) | KARMOR_TF_LOADED |
			  (im->host ? KARMOR_TF_HOST : 0);
		memcpy(t.allow_list, h->allow_list, sizeof(t.allow_list));
		memcpy(t.posture, h->posture, sizeof(t.posture));
		t.nsources = h->nsources;
		t.generation = generation;
		if (h->dfa_words) {
			/* the automaton's words at its base (validated by kl_image_parse); the map was
			 * sized for the sum of every image's words (check_images) */
			t.dfa = dfa_base;
			for (uint32_t k = 0; k < h->dfa_words; k++) {
				uint32_t at = dfa_base + k;
				if (update(s->maps.karmor_dfa, &at, sizeof(at), &im->img.dfa[k], sizeof(uint32_t), BPF_ANY, tn))
					return -1;
			}
			dfa_base += h->dfa_words;
		}
		if (update(s->maps.karmor_targets, &slot, sizeof(slot), &t, sizeof(t), BPF_ANY, tn))
			return -1;
		if (im->host)
			cfg.host_target = slot + 1;
		for (uint32_t k = 0; k < h->npaths; k++) {
			const struct karmor_image_path *p = &im->img.paths[k];
			struct karmor_path_key key;
			memset(&key, 0, sizeof(key));
			/* a set of globs is keyed by its id, a string by its hash */
			key.hash = p->role == KARMOR_ROLE_PATTERN || p->role == KARMOR_ROLE_BELOW
					   ? p->str
					   : karmor_hash_string(a->seed, kl_image_str(&im->img, p->str));
			key.target = slot;
			key.source = p->source;
			key.role = p->role;
			key.cls = p->cls;
			if (update(s->maps.karmor_paths, &key, sizeof(key), &p->value, sizeof(p->value), BPF_NOEXIST,
				   tn))
				return -1;
		}
		for (int caps = 0; caps < 2; caps++) {
			uint32_t n = caps ? h->ncaps : h->nnets;
			const struct karmor_image_id *ids = caps ? im->img.caps : im->img.nets;
			struct bpf_map *m = caps ? s->maps.karmor_caps : s->maps.karmor_net;
			for (uint32_t k = 0; k < n; k++) {
				struct karmor_id_key key = {slot, ids[k].source, ids[k].id};
				struct karmor_id_value v = {ids[k].e};
				if (update(m, &key, sizeof(key), &v, sizeof(v), BPF_NOEXIST, tn))
					return -1;
			}
		}
		if (fill_sys(s, im, a->seed))
			return -1;
		for (uint32_t k = 0; k < h->nsrcs; k++) {
			const struct karmor_image_src *p = &im->img.srcs[k];
			struct karmor_src_key key;
			memset(&key, 0, sizeof(key));
			key.hash = karmor_hash_string(a->seed, kl_image_str(&im->img, p->str));
			key.target = slot;
			key.role = p->role;
			if (update(s->maps.karmor_srcs, &key, sizeof(key), &p->value, sizeof(p->value), BPF_NOEXIST,
				   tn))
				return -1;
		}
	}
	for (unsigned i = 0; i < a->nbinds; i++) {
		uint64_t id = a->binds[i].cgid;
		uint32_t slot = a->binds[i].slot;
		if (update(s->maps.karmor_cgroups, &id, sizeof(id), &slot, sizeof(slot), BPF_NOEXIST,
			   a->binds[i].target))
			return -1;
	}
	uint32_t zero = 0;
	return update(s->maps.karmor_config, &zero, sizeof(zero), &cfg, sizeof(cfg), BPF_ANY, "config");
}

static int add_link(struct apply *a, struct bpf_link *l, const char *name)
{
	struct bpf_link **v = realloc(a->links, (a->nlinks + 1) * sizeof(*v));
	char **nv = v ? realloc(a->link_names, (a->nlinks + 1) * sizeof(*nv)) : NULL;
	char *n = strdup(name);
	if (v)
		a->links = v;
	if (nv)
		a->link_names = nv;
	if (!v || !nv || !n) {
		free(n);
		bpf_link__destroy(l);
		kl_err("out of memory");
		return -1;
	}
	a->links[a->nlinks] = l;
	a->link_names[a->nlinks] = n;
	a->nlinks++;
	KL_CHECKPOINT("an attach");
	return 0;
}

static int attach(struct apply *a)
{
	struct bpf_program *p;
	unsigned nprogs = 0;
	bpf_object__for_each_program(p, a->skel->obj)
	{
		if (!bpf_program__autoload(p))
			continue;
		const char *name = bpf_program__name(p);
		char lname[256];
		nprogs++;
		if (!strcmp(name, KL_SOCK_PROG)) {
			for (unsigned i = 0; i < a->nbinds; i++) {
				int fd = open(a->binds[i].real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
				if (fd < 0)
					return fault("cannot open cgroup", a->binds[i].real, errno);
				struct bpf_link *l = bpf_program__attach_cgroup(p, fd);
				int e = errno;
				close(fd);
				if (!l) {
					kl_err("cannot attach %s to %s: %s", name, a->binds[i].real, strerror(e));
					return -1;
				}
				snprintf(lname, sizeof(lname), "%s%s-%" PRIu64, KL_LINK_PREFIX, name,
					 a->binds[i].cgid);
				if (add_link(a, l, lname))
					return -1;
			}
			continue;
		}
		struct bpf_link *l = bpf_program__attach(p);
		if (!l) {
			int e = errno;
			kl_err("cannot attach %s: %s%s", name, strerror(e),
			       e == EPERM ? " (the kernel refuses BPF-LSM programs: is bpf in lsm=? see --without-lsm)"
					  : "");
			return -1;
		}
		snprintf(lname, sizeof(lname), "%s%s", KL_LINK_PREFIX, name);
		if (add_link(a, l, lname))
			return -1;
	}
	if (!nprogs) {
		kl_err("the BPF object built into karmor-loader has no program to attach%s",
		       a->without_lsm ? " (no " KL_SOCK_PROG ")" : "");
		return -1;
	}
	return 0;
}

static int add_pin(struct apply *a, const char *path)
{
	char **v = realloc(a->pins, (a->npins + 1) * sizeof(*v));
	char *p = strdup(path);
	if (v)
		a->pins = v;
	if (!v || !p) {
		free(p);
		kl_err("out of memory");
		return -1;
	}
	a->pins[a->npins++] = p;
	KL_CHECKPOINT("a pin");
	return 0;
}

static int pin_all(struct apply *a, const char *pin_dir)
{
	if (mkdir(pin_dir, 0700) == 0)
		a->made_pin_dir = 1;
	else if (errno != EEXIST)
		return fault("cannot make the pin directory", pin_dir, errno);
	char path[PATH_MAX];
	struct bpf_map *m;
	bpf_object__for_each_map(m, a->skel->obj)
	{
		const char *name = bpf_map__name(m);
		if (strchr(name, '.'))
			continue;	/* .rodata and the like: nothing reads them later */
		if (kl_pin_path(path, sizeof(path), pin_dir, name))
			return fault("cannot pin", name, errno);
		int r = bpf_map__pin(m, path);
		if (r)
			return fault("cannot pin map at", path, r);
		if (add_pin(a, path))
			return -1;
	}
	for (unsigned i = 0; i < a->nlinks; i++) {
		if (kl_pin_path(path, sizeof(path), pin_dir, a->link_names[i]))
			return fault("cannot pin", a->link_names[i], errno);
		int r = bpf_link__pin(a->links[i], path);
		if (r)
			return fault("cannot pin link at", path, r);
		if (add_pin(a, path))
			return -1;
	}
	if (a->without_lsm) {
		/* `run` attaches it to the cgroups it makes */
		struct bpf_program *p = bpf_object__find_program_by_name(a->skel->obj, KL_SOCK_PROG);
		char name[128];
		snprintf(name, sizeof(name), "%s%s", KL_PROG_PREFIX, KL_SOCK_PROG);
		if (!p || kl_pin_path(path, sizeof(path), pin_dir, name))
			return fault("cannot pin", name, p ? errno : ENOENT);
		int r = bpf_program__pin(p, path);
		if (r)
			return fault("cannot pin program at", path, r);
		if (add_pin(a, path))
			return -1;
	}
	return 0;
}

/* STATE_DIR.new-PID, filled, then renamed to STATE_DIR */
static int write_state(struct apply *a, const char *pin_dir)
{
	const char *sd = a->dirs.state_dir;
	size_t len = strlen(sd) + 32;
	a->state_tmp = malloc(len);
	if (!a->state_tmp)
		return fault("out of memory", NULL, ENOMEM);
	snprintf(a->state_tmp, len, "%s.new-%ld", sd, (long)getpid());
	if (mkdir(a->state_tmp, 0700)) {
		int e = errno;
		free(a->state_tmp);
		a->state_tmp = NULL;
		return fault("cannot make the state directory", sd, e);
	}
	struct kl_state st;
	memset(&st, 0, sizeof(st));
	st.without_lsm = a->without_lsm;
	st.monitor = a->monitor;
	st.pin_dir = (char *)pin_dir;
	st.generation = a->generation;
	st.ntargets = a->nimgs;
	st.nbinds = a->nbinds;
	st.targets = calloc(a->nimgs ? a->nimgs : 1, sizeof(*st.targets));
	st.binds = calloc(a->nbinds ? a->nbinds : 1, sizeof(*st.binds));
	char path[PATH_MAX];
	int rc = -1;
	if (!st.targets || !st.binds) {
		fault("out of memory", NULL, ENOMEM);
		goto out;
	}
	for (unsigned i = 0; i < a->nimgs; i++) {
		struct in_image *im = &a->imgs[i];
		char file[256];
		snprintf(file, sizeof(file), "%s%s", im->name, KARMOR_IMAGE_SUFFIX);
		st.targets[i].slot = im->slot;
		st.targets[i].host = im->host;
		st.targets[i].name = (char *)im->name;
		st.targets[i].file = strdup(file);
		if (!st.targets[i].file) {
			fault("out of memory", NULL, ENOMEM);
			goto out;
		}
		snprintf(path, sizeof(path), "%s/%s", a->state_tmp, file);
		if (kl_write_file(path, im->img.data, im->img.size, O_EXCL)) {
			fault("cannot write", path, errno);
			goto out;
		}
	}
	for (unsigned i = 0; i < a->nbinds; i++) {
		st.binds[i].slot = a->binds[i].slot;
		st.binds[i].cgid = a->binds[i].cgid;
		st.binds[i].path = a->binds[i].real;
	}
	snprintf(path, sizeof(path), "%s/%s", a->state_tmp, KL_STATE_FILE);
	if (kl_state_write_file(path, &st)) {
		fault("cannot write", path, errno);
		goto out;
	}
	/* staged as STATE_DIR-next: commit puts it in place */
	if (rename(a->state_tmp, a->stage_state)) {
		int e = errno;
		if (e == ENOTEMPTY || e == EEXIST)
			kl_err("%s exists and holds files that are not a karmor-loader state; remove it first",
			       a->stage_state);
		else
			fault("cannot make the state directory", a->stage_state, e);
		goto out;
	}
	free(a->state_tmp);
	a->state_tmp = NULL;
	a->state_staged = 1;
	KL_CHECKPOINT("the state written");
	rc = 0;
out:
	for (unsigned i = 0; i < st.ntargets && st.targets; i++)
		free(st.targets[i].file);
	free(st.targets);
	free(st.binds);
	return rc;
}

/* undoes everything this run made before the switch: pins, links (which detaches), the
 * object; after the switch, commit has either finished or handed back to the old one */
static void rollback(struct apply *a)
{
	for (unsigned i = a->npins; i-- > 0;)
		if (unlink(a->pins[i]) && errno != ENOENT)
			kl_err("rollback: cannot remove %s: %s", a->pins[i], strerror(errno));
	if (a->made_pin_dir && rmdir(a->stage_pin) && errno != ENOENT)
		kl_err("rollback: cannot remove %s: %s", a->stage_pin, strerror(errno));
	if (a->state_tmp)
		kl_remove_state_dir(a->state_tmp);
	if (a->state_staged)
		kl_remove_state_dir(a->stage_state);
	for (unsigned i = 0; i < a->nlinks; i++) {
		bpf_link__destroy(a->links[i]);
		a->links[i] = NULL;
	}
}

static void release(struct apply *a, int keep_links)
{
	for (unsigned i = 0; i < a->nlinks; i++) {
		if (keep_links && a->links[i])
			bpf_link__disconnect(a->links[i]);	/* pinned: stays attached */
		bpf_link__destroy(a->links[i]);
	}
	for (unsigned i = 0; i < a->npins; i++)
		free(a->pins[i]);
	free(a->pins);
	for (unsigned i = 0; i < a->nlinks; i++)
		free(a->link_names[i]);
	free(a->links);
	free(a->link_names);
	if (a->skel)
		karmor__destroy(a->skel);
	for (unsigned i = 0; i < a->nimgs; i++) {
		kl_image_free(&a->imgs[i].img);
		free(a->imgs[i].file);
	}
	free(a->imgs);
	for (unsigned i = 0; a->binds && i < a->nbinds; i++) {
		free(a->binds[i].real);
		free((char *)a->binds[i].target);
	}
	free(a->binds);
	free(a->inputs);
	free(a->state_tmp);
	kl_aa_set_free(a->aa);
	kl_se_set_free(a->se);
	kl_config_free(&a->conf);
	if (a->active_fd >= 0)
		close(a->active_fd);
}

/* The switch, then the renames (generation.c): from the karmor_active update on, this
 * generation judges.  A rename that fails hands back to the applied generation (or to
 * none) and lets kl_recover put the directories right. */
static int commit(struct apply *a, const char *pin_dir)
{
	const char *sd = a->dirs.state_dir;
	char prev_pin[PATH_MAX], prev_state[PATH_MAX];
	kl_side_path(prev_pin, sizeof(prev_pin), pin_dir, KL_PREV_SUFFIX);
	kl_side_path(prev_state, sizeof(prev_state), sd, KL_PREV_SUFFIX);
	uint32_t zero = 0, g = a->generation;
	if (bpf_map__update_elem(a->skel->maps.karmor_active, &zero, sizeof(zero), &g, sizeof(g), BPF_ANY))
		return fault("cannot switch to the new generation", NULL, errno);
	a->committed = 1;	/* no rollback from here: what it would undo is commit's (or kl_recover's) */
	KL_CHECKPOINT("the switch");
	const char *failed = NULL;
	int e = 0;
	if (a->replacing && rename(pin_dir, prev_pin))
		failed = pin_dir, e = errno;
	if (!failed)
		KL_CHECKPOINT("the applied pins moved aside");
	if (!failed && rename(a->stage_pin, pin_dir))
		failed = a->stage_pin, e = errno;
	if (!failed)
		KL_CHECKPOINT("the new pins in place");
	if (!failed && a->replacing && rename(sd, prev_state))
		failed = sd, e = errno;
	if (!failed)
		KL_CHECKPOINT("the applied state moved aside");
	if (!failed && rename(a->stage_state, sd))
		failed = a->stage_state, e = errno;
	if (failed) {
		kl_err("cannot rename %s: %s", failed, strerror(e));
		uint32_t back = a->replacing ? a->old_generation : 0;
		if (bpf_map__update_elem(a->skel->maps.karmor_active, &zero, sizeof(zero), &back, sizeof(back), BPF_ANY))
			kl_err("cannot switch back to generation %u: %s; the new one enforces, run 'karmor-loader "
			       "detach' or apply again", back, strerror(errno));
		else
			kl_recover(pin_dir, sd);
		return -1;
	}
	KL_CHECKPOINT("the new state in place");
	/* the replaced generation judges nothing any more: its pins and state go */
	if (a->replacing) {
		if (kl_unpin_all(prev_pin) < 0)
			kl_warn("%s: the replaced generation's pins stay (it judges nothing); the next apply or "
				"detach removes them", prev_pin);
		KL_CHECKPOINT("the replaced pins removed");
		if (kl_remove_state_dir(prev_state))
			kl_warn("%s: the replaced state stays; the next apply or detach removes it", prev_state);
	}
	return 0;
}

static int load_and_attach(struct apply *a, const char *pin_dir)
{
	if (getrandom(&a->seed, sizeof(a->seed), 0) != sizeof(a->seed))
		return fault("cannot draw the hash key (getrandom)", NULL, errno);
	a->skel = karmor__open();
	if (!a->skel)
		return fault("cannot open the built-in BPF object", NULL, errno);
	a->skel->rodata->karmor_hash_seed = a->seed;
	/* the applied generation's switch, shared: this copy judges once it names it */
	if (a->replacing) {
		int r = bpf_map__reuse_fd(a->skel->maps.karmor_active, a->active_fd);
		if (r)
			return fault("cannot share karmor_active with the applied generation", NULL, r);
	}
	/* the object declares these with one entry: the images say how many they get */
	for (enum karmor_budget_map m = 0; m < KARMOR_BM_COUNT; m++) {
		const struct karmor_map_desc *d = karmor_map_desc(m);
		if (!d->sized)
			continue;
		struct bpf_map *map = bpf_object__find_map_by_name(a->skel->obj, d->name);
		int r = map ? bpf_map__set_max_entries(map, a->max_entries[m]) : -ENOENT;
		if (r)
			return fault("cannot size map", d->name, r);
	}
	struct bpf_program *p;
	int have_sock = 0;
	bpf_object__for_each_program(p, a->skel->obj)
	{
		int sock = !strcmp(bpf_program__name(p), KL_SOCK_PROG);
		/* the syscall rules' raw tracepoints: in both modes (they need no LSM), and only
		 * when an image has syscall rules (nothing to judge otherwise) */
		int sys = !strncmp(bpf_program__name(p), KL_SYS_PROG_PREFIX, strlen(KL_SYS_PROG_PREFIX));
		have_sock |= sock;
		/* --without-lsm: the cgroup program only; otherwise the LSM programs do its job */
		bpf_program__set_autoload(p, sys ? a->nsys > 0 : a->without_lsm ? sock : !sock);
	}
	if (a->without_lsm && !have_sock) {
		kl_err("the BPF object built into karmor-loader has no %s program, which --without-lsm needs",
		       KL_SOCK_PROG);
		return -1;
	}
	int r = karmor__load(a->skel);
	if (r)
		return fault("cannot load the BPF programs", NULL, r);
	KL_CHECKPOINT("the load");
	if (fill_maps(a) || attach(a) || pin_all(a, a->stage_pin) || write_state(a, pin_dir))
		return -1;
	return commit(a, pin_dir);
}

/* something applied that an apply with backend b cannot replace: BPF images or pins, or
 * another backend's state (an AppArmor apply replaces AppArmor profiles, an SELinux one
 * SELinux modules, a BPF one images) */
static int already_applied(const char *pin_dir, const char *state_dir, enum kl_backend b)
{
	struct kl_state st;
	int r = kl_state_read(state_dir, &st);
	if (r < 0)
		return 1;
	int aa = b != KL_BACKEND_APPARMOR && kl_aa_applied(state_dir);
	int se = !aa && b != KL_BACKEND_SELINUX && kl_se_applied(state_dir);
	if (r > 0 || aa || se) {
		kl_err("%s applied (%s/%s); run 'karmor-loader detach' first",
		       r > 0 ? "images are already" : aa ? "a bundle's AppArmor profiles are" : "a bundle's SELinux modules are",
		       state_dir, r > 0 ? KL_STATE_FILE : aa ? KL_AA_STATE_FILE : KL_SE_STATE_FILE);
		if (r > 0)
			kl_state_free(&st);
		return 1;
	}
	DIR *d = opendir(pin_dir);
	if (!d)
		return 0;
	struct dirent *de;
	int found = 0;
	while (!found && (de = readdir(d)))
		found = !strncmp(de->d_name, "karmor_", 7) || !strncmp(de->d_name, KL_LINK_PREFIX, 5) ||
			!strncmp(de->d_name, KL_PROG_PREFIX, 5);
	closedir(d);
	if (found)
		kl_err("%s already holds pinned karmor objects; run 'karmor-loader detach --pin-dir %s' first",
		       pin_dir, pin_dir);
	return found;
}

/* the applied generation this apply replaces, if any (a->replacing); 0, -1 (reported) */
static int prepare(struct apply *a, const char *pin_dir)
{
	const char *sd = a->dirs.state_dir;
	kl_side_path(a->stage_pin, sizeof(a->stage_pin), pin_dir, KL_NEXT_SUFFIX);
	kl_side_path(a->stage_state, sizeof(a->stage_state), sd, KL_NEXT_SUFFIX);
	a->generation = 1;
	int aa = kl_aa_applied(sd);
	if (aa || kl_se_applied(sd)) {
		kl_err("a bundle's %s are applied (%s/%s); run 'karmor-loader detach' first",
		       aa ? "AppArmor profiles" : "SELinux modules", sd, aa ? KL_AA_STATE_FILE : KL_SE_STATE_FILE);
		return -1;
	}
	struct kl_state st;
	int r = kl_state_read(sd, &st);
	if (r < 0)
		return -1;
	if (r == 0)
		return already_applied(pin_dir, sd, KL_BACKEND_BPF) ? -1 : 0;	/* pins without a state */
	int rc = -1, running = 0;
	for (unsigned i = 0; i < st.nbinds; i++)
		running |= st.binds[i].run;
	if (strcmp(st.pin_dir, pin_dir))
		kl_err("the applied images are pinned under %s, not %s: use --pin-dir %s, or detach first", st.pin_dir,
		       pin_dir, st.pin_dir);
	else if (running)
		kl_err("'karmor-loader run' is running with the applied images (%s/%s*): a new apply would leave its "
		       "cgroup unbound; wait for it to end, or detach first",
		       sd, KL_RUN_PREFIX);
	else if ((a->active_fd = kl_pin_open(pin_dir, "karmor_active")) < 0) {
		int err = errno, targets = kl_pin_open(pin_dir, "karmor_targets"), terr = errno;
		if (targets >= 0)
			close(targets);
		if (err == ENOENT && targets < 0 && terr == ENOENT)
			/* every pin gone (its bpf file system unmounted or emptied): nothing enforces */
			kl_err("the state in %s names pins under %s that are gone (was its bpf file system "
			       "unmounted?): the images no longer enforce; run 'karmor-loader detach', then apply again",
			       sd, pin_dir);
		else
			kl_err("%s/karmor_active: %s: the applied images cannot be replaced in place (applied by an "
			       "older karmor-loader?); run 'karmor-loader detach' first",
			       pin_dir, strerror(err));
	}
	else if (st.generation == UINT32_MAX)
		kl_err("generation %u is the last one; run 'karmor-loader detach' first", st.generation);
	else {
		a->replacing = 1;
		a->old_generation = st.generation;
		a->generation = st.generation + 1;
		rc = 0;
	}
	kl_state_free(&st);
	return rc;
}

int kl_cmd_apply(int argc, char **argv)
{
	struct apply a;
	memset(&a, 0, sizeof(a));
	a.dirs.state_dir = KARMOR_STATE_DIR;
	a.want = KL_BACKEND_NONE;
	a.active_fd = -1;
	a.inputs = calloc((size_t)argc, sizeof(*a.inputs));
	a.binds = calloc((size_t)argc, sizeof(*a.binds));
	a.aa = kl_aa_set_new();
	a.se = kl_se_set_new();
	if (!a.inputs || !a.binds || !a.aa || !a.se) {
		kl_err("out of memory");
		release(&a, 0);
		return KL_EXIT_FAIL;
	}
	int rc = KL_EXIT_USAGE;
	for (int i = 1; i < argc; i++) {
		const char *v;
		int r;
		if ((r = kl_opt_dirs(argc, argv, &i, &a.dirs)) != 0) {
			if (r < 0)
				goto out;
		} else if ((r = kl_opt(argc, argv, &i, "--bind", &v)) != 0) {
			if (r < 0)
				goto out;
			const char *eq = strchr(v, '=');
			if (!eq || eq == v || !eq[1]) {
				kl_usage_err("--bind %s: expected TARGET=CGROUP_DIR", v);
				goto out;
			}
			struct bind_arg *b = &a.binds[a.nbinds++];
			b->target = strndup(v, (size_t)(eq - v));
			b->dir = eq + 1;
			if (!b->target) {
				kl_err("out of memory");
				rc = KL_EXIT_FAIL;
				goto out;
			}
		} else if ((r = kl_opt(argc, argv, &i, "--host", &v)) != 0) {
			if (r < 0)
				goto out;
			if (a.host) {
				kl_usage_err("--host is given twice (one host target at most)");
				goto out;
			}
			a.host = v;
		} else if ((r = kl_opt(argc, argv, &i, "--key", &v)) != 0) {
			if (r < 0)
				goto out;
			a.key = v;
		} else if ((r = kl_opt(argc, argv, &i, "--backend", &v)) != 0) {
			if (r < 0)
				goto out;
			a.want = kl_backend_parse(v);
			if (a.want == KL_BACKEND_NONE) {
				kl_usage_err("--backend %s: expected bpf, apparmor or selinux", v);
				goto out;
			}
		} else if ((r = kl_opt(argc, argv, &i, "--mode", &v)) != 0) {
			if (r < 0)
				goto out;
			if (strcmp(v, "enforce") && strcmp(v, "monitor")) {
				kl_usage_err("--mode %s: expected enforce or monitor", v);
				goto out;
			}
			a.monitor = !strcmp(v, "monitor");
		} else if (!strcmp(argv[i], "--require-signature")) {
			a.require_signature = 1;
		} else if (!strcmp(argv[i], "--without-lsm")) {
			a.without_lsm = 1;
		} else if (!strcmp(argv[i], "--verbose")) {
			a.verbose = 1;
		} else if (!strcmp(argv[i], "--")) {
			while (++i < argc)
				a.inputs[a.ninputs++] = argv[i];
		} else if (argv[i][0] == '-' && argv[i][1]) {
			kl_usage_err("unknown option '%s'", argv[i]);
			goto out;
		} else {
			a.inputs[a.ninputs++] = argv[i];
		}
	}
	if (!a.ninputs) {
		kl_usage_err("no map image given (DIR, FILE.kmi or a bundle)");
		goto out;
	}
	/* the operator's defaults (loader.conf): the command line wins */
	if (kl_config_read(&a.conf)) {
		rc = KL_EXIT_USAGE;
		goto out;
	}
	if (!a.key && a.conf.key)
		a.key = a.conf.key;
	if (a.conf.require_signature && !a.require_signature) {
		a.require_signature = 1;
		if (!a.key) {
			kl_usage_err("%s says require-signature yes, but names no key: add 'key PATH' there, or give --key",
				     a.conf.path);
			goto out;
		}
	}
	if (a.require_signature && !a.key) {
		kl_usage_err("--require-signature needs --key: a signature is checked against a key");
		goto out;
	}
	rc = KL_EXIT_FAIL;
	kl_libbpf_verbose(a.verbose);
	if (!a.dirs.pin_dir)
		a.dirs.pin_dir = KARMOR_PIN_DIR;
	const char *pin_dir = a.dirs.pin_dir;
	if (strpbrk(pin_dir, "\t\n") || pin_dir[0] != '/') {
		kl_err("--pin-dir %s: must be an absolute path without TAB or newline", pin_dir);
		goto out;
	}
	if (read_inputs(&a))
		goto out;
	enum kl_backend backend = choose_backend(&a);
	if (backend == KL_BACKEND_NONE)
		goto out;
	if (backend == KL_BACKEND_APPARMOR || backend == KL_BACKEND_SELINUX) {
		int lock = kl_lock(a.dirs.state_dir);
		if (lock < 0)
			kl_err("cannot lock the parent of %s: %s", a.dirs.state_dir, strerror(errno));
		else if (!already_applied(pin_dir, a.dirs.state_dir, backend))
			rc = backend == KL_BACKEND_APPARMOR ? kl_aa_apply(a.aa, a.dirs.state_dir, a.monitor, a.inputs[0])
							    : kl_se_apply(a.se, a.dirs.state_dir, a.monitor, a.inputs[0]);
		kl_unlock(lock);
		goto out;
	}
	if (check_kernel(&a, pin_dir) || check_images(&a))
		goto out;
	if (a.without_lsm)
		warn_without_lsm(&a);

	/* from here on a signal must not leave half an application behind */
	sigset_t old;
	kl_hold_signals(&old);
	int lock = kl_lock(pin_dir);
	if (lock < 0) {
		kl_err("cannot lock the parent of %s: %s", pin_dir, strerror(errno));
	} else if (kl_recover(pin_dir, a.dirs.state_dir) == 0 && prepare(&a, pin_dir) == 0) {
		if (load_and_attach(&a, pin_dir)) {
			if (!a.committed)
				rollback(&a);
			kl_err("nothing was applied%s", a.replacing ? "; the images applied before enforce" : "");
		} else {
			rc = KL_EXIT_OK;
		}
	}
	kl_unlock(lock);
	if (rc == KL_EXIT_OK) {
		char b[4][32];
		for (unsigned i = 0; i < a.nimgs; i++) {
			const struct in_image *im = &a.imgs[i];
			const struct karmor_image_header *h = im->img.hdr;
			printf("%s: slot %u, %s rule%s, %s path, %s network, %s capability, %u source entries%s\n",
			       kl_vis(im->name), im->slot, kl_thousands(h->nrules, b[0]), h->nrules == 1 ? "" : "s",
			       kl_thousands(h->npaths, b[1]),
			       kl_thousands(h->nnets, b[2]), kl_thousands(h->ncaps, b[3]), h->nsrcs,
			       im->host ? "; host target" : "");
			char *who = kl_target_text(&im->img);
			printf("  %s\n", who ? who : "(out of memory)");
			free(who);
			for (unsigned k = 0; k < a.nbinds; k++)
				if (a.binds[k].slot == im->slot)
					printf("  bound to %s (cgroup %" PRIu64 ")\n", kl_vis(a.binds[k].real),
					       a.binds[k].cgid);
		}
		printf("applied %u target%s (%s%s): %u link%s pinned under %s, state in %s%s\n", a.nimgs,
		       a.nimgs == 1 ? "" : "s", a.without_lsm ? "without LSM: cgroup/sock_create only" : "BPF-LSM",
		       a.monitor ? ", mode monitor: Blocks reported as Audit" : "", a.nlinks, a.nlinks == 1 ? "" : "s",
		       kl_vis(pin_dir), kl_vis(a.dirs.state_dir), a.replacing ? "; it replaced the images applied before" : "");
#ifdef KL_FAULTS
		fprintf(stderr, "karmor-loader: fault injection: %u steps\n", kl_checkpoints());
#endif
	}
	release(&a, rc == KL_EXIT_OK);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
out:
	release(&a, 0);
	return rc;
}
