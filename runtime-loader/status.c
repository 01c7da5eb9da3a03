/*
 * status and detach.  Status reads only pinned objects and the state
 * directory: entries per target are counted from the maps themselves (keys
 * whose target is the slot), the counters are the per-CPU sums.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"

/* ------------------------------------------------------------ detach */

/*
 * All or nothing as far as removal can be: the state is the only record of
 * where the pins are (a --pin-dir of apply), so it goes only once nothing it
 * describes is left.  A damaged state that still names its pin directory is
 * detached from there; one that does not is left alone until --pin-dir says
 * where to look.
 */
int kl_detach(const struct kl_dirs *d)
{
	int recovered = kl_recover_dirs(d);
	if (kl_aa_applied(d->state_dir) || kl_se_applied(d->state_dir)) {
		int lock = kl_lock(d->state_dir);
		int rc = kl_aa_applied(d->state_dir) ? kl_aa_detach(d->state_dir) : kl_se_detach(d->state_dir);
		kl_unlock(lock);
		return rc;
	}
	struct kl_state st;
	int have = kl_state_read(d->state_dir, &st);
	int damaged = have < 0;
	char *recorded = NULL;	/* the pin directory the state names */
	if (damaged) {
		recorded = kl_state_salvage_pin_dir(d->state_dir);
		if (!recorded && !d->pin_dir) {
			kl_err("%s/%s is damaged and does not say where the programs are pinned: nothing was removed; "
			       "run 'karmor-loader detach --pin-dir DIR --state-dir %s' with the pin directory of the apply "
			       "(default %s)",
			       d->state_dir, KL_STATE_FILE, d->state_dir, KARMOR_PIN_DIR);
			return KL_EXIT_FAIL;
		}
	} else if (have) {
		recorded = strdup(st.pin_dir);
	}
	const char *pin_dir = d->pin_dir ? d->pin_dir : recorded ? recorded : KARMOR_PIN_DIR;
	char *pin = strdup(pin_dir);
	kl_state_free(&st);
	if (!pin || (have > 0 && !recorded)) {
		kl_err("out of memory");
		free(pin);
		free(recorded);
		return KL_EXIT_FAIL;
	}
	if (damaged && !d->pin_dir)
		kl_warn("detaching what %s/%s names as its pin directory: %s", d->state_dir, KL_STATE_FILE, pin);

	sigset_t old;
	kl_hold_signals(&old);
	int lock = kl_lock(pin);
	int n = kl_unpin_all(pin);
	char names[512];
	int rc = KL_EXIT_OK, keep = 0;
	/* what an interrupted apply left and kl_recover could not sort out: judges nothing */
	if (recovered < 0 && kl_remove_sides(pin, d->state_dir))
		keep = 1;
	if (n < 0) {
		int left = kl_pins_left(pin, names, sizeof(names));
		if (left > 0)
			kl_err("not detached: %s still holds %d karmor pin%s (%s); a program whose link- pin is "
			       "there stays attached",
			       pin, left, left == 1 ? "" : "s", names);
		else
			kl_err("not detached: %s could not be cleared", pin);
		keep = 1;
	} else if (recorded && strcmp(recorded, pin)) {
		/* --pin-dir named another directory than the state: the state's may still hold pins */
		int left = kl_pins_left(recorded, names, sizeof(names));
		if (left != 0) {
			if (left > 0)
				kl_err("%s, the pin directory %s/%s records, still holds %d karmor pin%s (%s): run "
				       "'karmor-loader detach --pin-dir %s'",
				       recorded, d->state_dir, KL_STATE_FILE, left, left == 1 ? "" : "s", names, recorded);
			else
				kl_err("%s, the pin directory %s/%s records, cannot be read: %s", recorded, d->state_dir,
				       KL_STATE_FILE, strerror(errno));
			keep = 1;
		}
	} else if (damaged && !d->pin_dir && n == 0) {
		/* the damaged file's pin-dir line led nowhere: it may be the damaged part */
		kl_err("%s holds no karmor pins, and %s/%s is damaged: nothing was removed; if the programs are "
		       "pinned elsewhere, run 'karmor-loader detach --pin-dir DIR --state-dir %s'",
		       pin, d->state_dir, KL_STATE_FILE, d->state_dir);
		keep = 1;
	}
	struct stat sb;
	int had_state = stat(d->state_dir, &sb) == 0;
	int srm = keep ? 0 : kl_remove_state_dir(d->state_dir);
	kl_unlock(lock);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (keep) {
		kl_err("the state in %s is kept; run 'karmor-loader detach' again once the cause is fixed", d->state_dir);
		rc = KL_EXIT_FAIL;
	} else if (srm < 0) {
		kl_err("%d pin%s removed from %s, but the state in %s could not be removed", n, n == 1 ? "" : "s", pin,
		       d->state_dir);
		rc = KL_EXIT_FAIL;
	} else if (n == 0 && !had_state) {
		printf("nothing is attached\n");
	} else {
		printf("detached: %d pin%s removed from %s, state %s removed\n", n, n == 1 ? "" : "s", kl_vis(pin),
		       kl_vis(d->state_dir));
	}
	free(pin);
	free(recorded);
	if (fflush(stdout) && rc == KL_EXIT_OK)
		rc = KL_EXIT_FAIL;
	return rc;
}

int kl_cmd_detach(int argc, char **argv)
{
	struct kl_dirs d = {NULL, KARMOR_STATE_DIR};
	for (int i = 1; i < argc; i++) {
		int r = kl_opt_dirs(argc, argv, &i, &d);
		if (r < 0)
			return KL_EXIT_USAGE;
		if (r == 0) {
			kl_usage_err("unexpected argument '%s'", argv[i]);
			return KL_EXIT_USAGE;
		}
	}
	return kl_detach(&d);
}

/* ------------------------------------------------------------ status */

/* a map the budget counts, as the kernel has it */
struct map_use {
	enum karmor_budget_map m;
	const char *key;	/* JSON key of the per-target entries; NULL: not counted per target */
	size_t target_off;	/* where the key holds the target slot (a __u32) */
	uint32_t capacity;	/* max_entries */
	uint64_t bytes;		/* karmor_map_bytes for this node's CPUs */
	uint64_t *used;		/* [KARMOR_MAX_TARGETS] entries per slot (key != NULL) */
	uint64_t total;		/* entries in use */
};

static enum karmor_map_kind map_kind(uint32_t type)
{
	switch (type) {
	case BPF_MAP_TYPE_ARRAY: return KARMOR_MK_ARRAY;
	case BPF_MAP_TYPE_PERCPU_ARRAY: return KARMOR_MK_PERCPU_ARRAY;
	case BPF_MAP_TYPE_RINGBUF: return KARMOR_MK_RINGBUF;
	default: return KARMOR_MK_HASH;
	}
}

/* Its size and, for a hash map, the entries in use (per target when u->key is set);
 * an array's entries in use are the applied targets' (ntargets each), the pattern map's
 * the automata's words. */
static int measure_map(const char *pin_dir, struct map_use *u, unsigned ntargets, int ncpus)
{
	const struct karmor_map_desc *d = karmor_map_desc(u->m);
	int fd = kl_pin_open(pin_dir, d->name);
	if (fd < 0) {
		kl_err("%s/%s: %s (the pins are incomplete: run 'karmor-loader detach' and apply again)", pin_dir,
		       d->name, strerror(errno));
		return -1;
	}
	struct bpf_map_info info;
	uint32_t len = sizeof(info);
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len) || map_kind(info.type) != d->kind || info.key_size > 64 ||
	    (u->key && info.key_size < u->target_off + sizeof(uint32_t))) {
		kl_err("%s/%s: not the map karmor-loader pinned", pin_dir, d->name);
		close(fd);
		return -1;
	}
	u->capacity = info.max_entries;
	u->bytes = karmor_map_bytes(d->kind, info.max_entries, info.key_size, info.value_size, (uint32_t)ncpus);
	if (d->kind != KARMOR_MK_HASH) {
		close(fd);
		u->total = d->kind == KARMOR_MK_RINGBUF ? 0 : (uint64_t)ntargets * (u->m == KARMOR_BM_COUNTERS ? 3 : 1);
		if (u->m == KARMOR_BM_DFA)	/* apply sized it to the automata's words and filled them all; word 0 is unused */
			u->total = info.max_entries > 1 ? info.max_entries - 1 : 0;
		return 0;
	}
	unsigned char key[64], next[64];
	const void *prev = NULL;
	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		uint32_t slot;
		memcpy(&slot, next + u->target_off, sizeof(slot));
		if (u->key && slot < KARMOR_MAX_TARGETS)
			u->used[slot]++;
		u->total++;
		memcpy(key, next, info.key_size);
		prev = key;
	}
	close(fd);
	return 0;
}

/* the per-CPU sum of one slot of a PERCPU_ARRAY of __u64; -1 if unreadable */
static int percpu_sum(int fd, uint32_t idx, int ncpus, uint64_t *sum)
{
	uint64_t *v = calloc((size_t)ncpus, sizeof(*v));
	if (!v)
		return -1;
	int r = bpf_map_lookup_elem(fd, &idx, v);
	*sum = 0;
	for (int c = 0; !r && c < ncpus; c++)
		*sum += v[c];
	free(v);
	return r ? -1 : 0;
}

struct cg_entry {
	uint64_t cgid;
	uint32_t slot;
};

int kl_cmd_status(int argc, char **argv)
{
	struct kl_dirs d = {NULL, KARMOR_STATE_DIR};
	int json = 0;
	for (int i = 1; i < argc; i++) {
		int r = kl_opt_dirs(argc, argv, &i, &d);
		if (r < 0)
			return KL_EXIT_USAGE;
		if (r > 0)
			continue;
		if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else {
			kl_usage_err("unexpected argument '%s'", argv[i]);
			return KL_EXIT_USAGE;
		}
	}
	kl_recover_dirs(&d);
	if (kl_aa_applied(d.state_dir))
		return kl_aa_status(d.state_dir, json);
	if (kl_se_applied(d.state_dir))
		return kl_se_status(d.state_dir, json);
	struct kl_state st;
	int have = kl_state_read(d.state_dir, &st);
	if (have < 0)
		return KL_EXIT_FAIL;
	const char *pin_dir = kl_pin_dir(&d, &st, have);
	if (!have) {
		int fd = kl_pin_open(pin_dir, "karmor_config");
		if (fd >= 0) {
			close(fd);
			kl_err("%s holds pinned karmor maps but %s has no state: run 'karmor-loader detach "
			       "--pin-dir %s'",
			       pin_dir, d.state_dir, pin_dir);
			return KL_EXIT_FAIL;
		}
		if (json)
			printf("{\"attached\":false}\n");
		else
			printf("nothing is attached\n");
		return KL_EXIT_OK;
	}

	int rc = KL_EXIT_FAIL;
	struct kl_json j;
	kl_json_init(&j);
	struct cg_entry *cgs = NULL;
	size_t ncgs = 0;
	struct map_use use[KARMOR_BM_COUNT] = {
		{KARMOR_BM_TARGETS, NULL, 0, 0, 0, NULL, 0},
		{KARMOR_BM_COUNTERS, NULL, 0, 0, 0, NULL, 0},
		{KARMOR_BM_PATHS, "paths", offsetof(struct karmor_path_key, target), 0, 0, NULL, 0},
		{KARMOR_BM_NET, "network", offsetof(struct karmor_id_key, target), 0, 0, NULL, 0},
		{KARMOR_BM_CAPS, "capabilities", offsetof(struct karmor_id_key, target), 0, 0, NULL, 0},
		{KARMOR_BM_SRCS, "sources", offsetof(struct karmor_src_key, target), 0, 0, NULL, 0},
		{KARMOR_BM_DFA, NULL, 0, 0, 0, NULL, 0},
		{KARMOR_BM_SYSCALLS, "syscalls", offsetof(struct karmor_sys_key, target), 0, 0, NULL, 0},
		{KARMOR_BM_CGROUPS, NULL, 0, 0, 0, NULL, 0},
		{KARMOR_BM_EVENTS, NULL, 0, 0, 0, NULL, 0},
	};
	for (size_t k = 0; k < KARMOR_BM_COUNT; k++)
		if (use[k].m != (enum karmor_budget_map)k) {
			kl_err("internal error: the map table is out of order at %s", karmor_map_desc((enum karmor_budget_map)k)->name);
			goto out;
		}
	int ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		kl_err("cannot count the CPUs");
		goto out;
	}
	for (size_t k = 0; k < KARMOR_BM_COUNT; k++) {
		if (use[k].key && !(use[k].used = calloc(KARMOR_MAX_TARGETS, sizeof(*use[k].used)))) {
			kl_err("out of memory");
			goto out;
		}
		if (measure_map(pin_dir, &use[k], st.ntargets, ncpus))
			goto out;
	}
	if (kl_state_load_images(d.state_dir, &st))
		goto out;

	/* the bindings in the kernel, the paths from the state */
	int cfd = kl_pin_open(pin_dir, "karmor_cgroups");
	if (cfd < 0) {
		kl_err("%s/karmor_cgroups: %s (run 'karmor-loader detach' and apply again)", pin_dir, strerror(errno));
		goto out;
	}
	uint64_t key, next;
	const void *prev = NULL;
	while (bpf_map_get_next_key(cfd, prev, &next) == 0) {
		uint32_t slot;
		if (bpf_map_lookup_elem(cfd, &next, &slot) == 0) {
			struct cg_entry *v = realloc(cgs, (ncgs + 1) * sizeof(*v));
			if (!v) {
				close(cfd);
				kl_err("out of memory");
				goto out;
			}
			cgs = v;
			cgs[ncgs].cgid = next;
			cgs[ncgs].slot = slot;
			ncgs++;
		}
		key = next;
		prev = &key;
	}
	close(cfd);

	int ctr = kl_pin_open(pin_dir, "karmor_counters");
	if (ctr < 0) {
		kl_err("%s/karmor_counters: %s", pin_dir, strerror(errno));
		goto out;
	}
	int dfd = kl_pin_open(pin_dir, "karmor_drops");	/* absent in an older object: not an error */
	uint64_t drops = 0;
	int have_drops = dfd >= 0 && percpu_sum(dfd, 0, ncpus, &drops) == 0;
	if (dfd >= 0)
		close(dfd);

	char b[4][32];
	if (json) {
		kl_json_open(&j, NULL, '{');
		kl_json_bool(&j, "attached", 1);
		kl_json_str(&j, "mode", st.without_lsm ? "without-lsm" : "lsm");
		kl_json_str(&j, "enforcement", st.monitor ? "monitor" : "enforce");
		kl_json_str(&j, "pin_dir", pin_dir);
		kl_json_str(&j, "state_dir", d.state_dir);
		if (have_drops)
			kl_json_u64(&j, "ringbuf_drops", drops);
		kl_json_open(&j, "targets", '[');
	} else {
		printf("attached (%s), pinned under %s, state in %s\n",
		       st.without_lsm ? "without LSM: cgroup/sock_create on bound cgroups only" : "BPF-LSM",
		       kl_vis(pin_dir), kl_vis(d.state_dir));
		if (st.monitor)
			printf("mode monitor: every Block is reported as Audit and permitted (apply --mode=monitor)\n");
	}
	for (unsigned i = 0; i < st.ntargets; i++) {
		const struct kl_starget *t = &st.targets[i];
		uint64_t cnt[3];
		for (int v = 0; v < 3; v++) {
			if (percpu_sum(ctr, t->slot * 3 + (uint32_t)v, ncpus, &cnt[v])) {
				kl_err("%s/karmor_counters: %s", pin_dir, strerror(errno));
				close(ctr);
				goto out;
			}
		}
		if (json) {
			kl_json_open(&j, NULL, '{');
			kl_json_str(&j, "name", t->name);
			kl_json_u64(&j, "slot", t->slot);
			kl_json_bool(&j, "host", t->host);
			kl_json_u64(&j, "rules", t->img.hdr->nrules);
			kl_target_json(&j, &t->img);
			kl_json_open(&j, "cgroups", '[');
		} else {
			printf("target %s: slot %u%s, %s rules\n", kl_vis(t->name), t->slot, t->host ? ", host target" : "",
			       kl_thousands(t->img.hdr->nrules, b[0]));
			char *who = kl_target_text(&t->img);
			if (!who) {
				close(ctr);
				kl_err("out of memory");
				goto out;
			}
			printf("  %s\n", who);
			free(who);
		}
		unsigned nb = 0;
		for (size_t c = 0; c < ncgs; c++) {
			if (cgs[c].slot != t->slot)
				continue;
			const char *path = NULL;
			int run = 0;
			for (unsigned k = 0; k < st.nbinds; k++)
				if (st.binds[k].cgid == cgs[c].cgid) {
					path = st.binds[k].path;
					run = st.binds[k].run;
				}
			nb++;
			if (json) {
				kl_json_open(&j, NULL, '{');
				kl_json_u64(&j, "id", cgs[c].cgid);
				kl_json_str(&j, "path", path ? path : "");
				kl_json_bool(&j, "run", run);
				kl_json_close(&j, '}');
			} else {
				printf("  cgroup %s (id %" PRIu64 ")%s\n", path ? kl_vis(path) : "(unknown path)", cgs[c].cgid,
				       run ? ", made by run" : "");
			}
		}
		if (json) {
			kl_json_close(&j, ']');
			kl_json_open(&j, "entries", '{');
		} else if (!nb) {
			printf("  no cgroup bound%s\n", t->host ? " (covers every process outside bound cgroups)" : "");
		}
		for (size_t k = 0; k < KARMOR_BM_COUNT; k++) {
			if (!use[k].key)
				continue;
			if (json) {
				kl_json_open(&j, use[k].key, '{');
				kl_json_u64(&j, "used", use[k].used[t->slot]);
				kl_json_u64(&j, "capacity", use[k].capacity);
				kl_json_close(&j, '}');
			} else {
				printf("  %s: %s of %s entries\n", karmor_map_desc(use[k].m)->what,
				       kl_thousands(use[k].used[t->slot], b[0]), kl_thousands(use[k].capacity, b[1]));
			}
		}
		if (json) {
			kl_json_close(&j, '}');
			kl_json_open(&j, "counters", '{');
			kl_json_u64(&j, "allowed", cnt[KARMOR_ALLOW]);
			kl_json_u64(&j, "audited", cnt[KARMOR_AUDIT]);
			kl_json_u64(&j, "blocked", cnt[KARMOR_BLOCK]);
			kl_json_close(&j, '}');
			kl_json_close(&j, '}');
		} else {
			printf("  allowed %s, audited %s, blocked %s\n", kl_thousands(cnt[KARMOR_ALLOW], b[0]),
			       kl_thousands(cnt[KARMOR_AUDIT], b[1]), kl_thousands(cnt[KARMOR_BLOCK], b[2]));
		}
	}
	close(ctr);
	/* every map the budget counts, as sized at apply: entries in use of max_entries, bytes */
	uint64_t bytes = 0;
	if (json) {
		kl_json_close(&j, ']');
		kl_json_open(&j, "maps", '[');
	}
	for (size_t k = 0; k < KARMOR_BM_COUNT; k++) {
		const struct karmor_map_desc *md = karmor_map_desc(use[k].m);
		bytes += use[k].bytes;
		if (json) {
			kl_json_open(&j, NULL, '{');
			kl_json_str(&j, "name", md->name);
			if (md->kind != KARMOR_MK_RINGBUF) {
				kl_json_u64(&j, "entries", use[k].total);
				kl_json_u64(&j, "max_entries", use[k].capacity);
			}
			kl_json_u64(&j, "bytes", use[k].bytes);
			kl_json_close(&j, '}');
		} else if (md->kind == KARMOR_MK_RINGBUF) {
			printf("map %s (%s): %s bytes\n", md->name, md->what, kl_thousands(use[k].bytes, b[0]));
		} else {
			printf("map %s (%s): %s of %s entries, %s bytes\n", md->name, md->what,
			       kl_thousands(use[k].total, b[0]), kl_thousands(use[k].capacity, b[1]),
			       kl_thousands(use[k].bytes, b[2]));
		}
	}
	if (json) {
		kl_json_close(&j, ']');
		kl_json_u64(&j, "map_bytes", bytes);
		kl_json_u64(&j, "cpus", (uint64_t)ncpus);
		kl_json_close(&j, '}');
		if (kl_json_print(&j, stdout)) {
			kl_err("cannot write the output");
			goto out;
		}
	} else {
		printf("maps: %s bytes for %d CPUs (bpf/karmor.h: map sizes)\n", kl_thousands(bytes, b[0]), ncpus);
		if (have_drops)
			printf("events lost (ring buffer full): %s\n", kl_thousands(drops, b[0]));
	}
	rc = fflush(stdout) ? KL_EXIT_FAIL : KL_EXIT_OK;
out:
	for (size_t k = 0; k < KARMOR_BM_COUNT; k++)
		free(use[k].used);
	free(cgs);
	kl_json_free(&j);
	kl_state_free(&st);
	return rc;
}
