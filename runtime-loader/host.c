/*
 * kl_host: what the running kernel offers to enforce with (karmor-loader(8), BACKENDS).
 * apply picks a bundle's backend from it; `probe` prints it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/apparmor.h>

#include "loader.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#define KL_LANDLOCK_CREATE_RULESET_VERSION 1u

static int lsm_listed(const char *lsm, const char *name)
{
	char copy[sizeof(((struct kl_host *)0)->lsm)], *save = NULL;
	snprintf(copy, sizeof(copy), "%s", lsm);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		if (!strcmp(t, name))
			return 1;
	return 0;
}

void kl_host_probe(struct kl_host *h)
{
	memset(h, 0, sizeof(*h));
	FILE *f = fopen("/sys/kernel/security/lsm", "re");
	if (f) {
		size_t n = fread(h->lsm, 1, sizeof(h->lsm) - 1, f);
		fclose(f);
		h->lsm[n] = '\0';
		h->lsm[strcspn(h->lsm, "\n")] = '\0';
		h->have_lsm_list = 1;
	}
	h->bpf_lsm = lsm_listed(h->lsm, "bpf");
	/* libapparmor: the module is enabled and its file system is there */
	h->apparmor = aa_is_enabled() == 1;
	h->selinux = access("/sys/fs/selinux/enforce", R_OK) == 0 || lsm_listed(h->lsm, "selinux");
	long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, KL_LANDLOCK_CREATE_RULESET_VERSION);
	h->landlock_abi = abi > 0 ? (int)abi : 0;
}

const char *kl_backend_name(enum kl_backend b)
{
	switch (b) {
	case KL_BACKEND_BPF: return "bpf";
	case KL_BACKEND_APPARMOR: return "apparmor";
	case KL_BACKEND_SELINUX: return "selinux";
	case KL_BACKEND_NONE: break;
	}
	return "none";
}

enum kl_backend kl_backend_parse(const char *name)
{
	for (enum kl_backend b = KL_BACKEND_BPF; b <= KL_BACKEND_SELINUX; b++)
		if (!strcmp(name, kl_backend_name(b)))
			return b;
	return KL_BACKEND_NONE;
}

/* the host's side of one backend: 1 usable, else 0 and why in buf */
static int host_has(const struct kl_host *h, enum kl_backend b, int without_lsm, char *why, size_t len)
{
	switch (b) {
	case KL_BACKEND_BPF:
		if (h->bpf_lsm || without_lsm)
			return 1;
		snprintf(why, len, "BPF-LSM is not active (%s%s%s)", h->have_lsm_list ? "the kernel lists " : "",
			 h->have_lsm_list ? h->lsm : "securityfs is not mounted", h->have_lsm_list ? ", without bpf" : "");
		return 0;
	case KL_BACKEND_APPARMOR:
		if (h->apparmor)
			return 1;
		snprintf(why, len, "AppArmor is not enabled");
		return 0;
	case KL_BACKEND_SELINUX:
		if (h->selinux && kl_se_usable(why, len))
			return 1;
		if (!h->selinux)
			snprintf(why, len, "SELinux is not active");
		return 0;
	case KL_BACKEND_NONE: break;
	}
	snprintf(why, len, "no such backend");
	return 0;
}

enum kl_backend kl_backend_choose(const struct kl_host *h, const int in_bundle[KL_BACKEND_COUNT],
				  enum kl_backend want, int without_lsm, char *why, size_t len)
{
	char reason[512];
	if (want != KL_BACKEND_NONE) {
		if (!in_bundle[want]) {
			snprintf(why, len, "--backend %s: the bundle has no %s artifacts", kl_backend_name(want),
				 kl_backend_name(want));
			return KL_BACKEND_NONE;
		}
		if (!host_has(h, want, without_lsm, reason, sizeof(reason))) {
			snprintf(why, len, "--backend %s: %s", kl_backend_name(want), reason);
			return KL_BACKEND_NONE;
		}
		snprintf(why, len, "--backend %s", kl_backend_name(want));
		return want;
	}
	/* the best first: BPF-LSM enforces the whole verdict model, AppArmor most of it */
	size_t off = 0;
	why[0] = '\0';
	for (enum kl_backend b = KL_BACKEND_BPF; b <= KL_BACKEND_SELINUX; b++) {
		if (!in_bundle[b])
			continue;
		if (host_has(h, b, without_lsm, reason, sizeof(reason))) {
			snprintf(why + off, len - off, "%s%s", off ? "; so " : "",
				 b == KL_BACKEND_BPF	  ? (without_lsm ? "--without-lsm" : "BPF-LSM is active")
				 : b == KL_BACKEND_APPARMOR ? "AppArmor is enabled"
							    : "SELinux is active, with a policy store for its host modules");
			return b;
		}
		int w = snprintf(why + off, len - off, "%s%s: %s", off ? "; " : "", kl_backend_name(b), reason);
		if (w > 0)
			off = (size_t)w + off < len ? off + (size_t)w : len - 1;
	}
	if (!off)
		snprintf(why, len, "the bundle has no artifacts of a backend karmor-loader applies");
	return KL_BACKEND_NONE;
}
