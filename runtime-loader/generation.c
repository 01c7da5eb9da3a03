/*
 * Generations (bpf/karmor.h): how apply replaces an applied policy with no instant at
 * which neither, or both, enforce.
 *
 * apply stages the new generation beside the live one -- its pins in PIN_DIR-next, its
 * state in STATE_DIR-next -- while the old one judges; then one map update (karmor_active)
 * makes the new generation the judging one; then the directories are renamed into place
 * (the old ones to PIN_DIR-prev and STATE_DIR-prev) and the old ones removed.  A loader
 * killed at any step leaves directories from which kl_recover, run by the next apply,
 * detach, run or status, finishes or undoes it: the generation karmor_active names is
 * the live one, every other is removed (it judges nothing, so removing it changes
 * nothing), and the live one's directories get their names.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "loader.h"

void kl_side_path(char *buf, size_t len, const char *dir, const char *suffix)
{
	snprintf(buf, len, "%s%s", dir, suffix);
}

/* the generation of the karmor_config pinned in pin_dir, or -1 (no such pin) */
static long pin_generation(const char *pin_dir)
{
	int fd = kl_pin_open(pin_dir, "karmor_config");
	if (fd < 0)
		return -1;
	struct karmor_config cfg;
	uint32_t zero = 0;
	long g = bpf_map_lookup_elem(fd, &zero, &cfg) ? -1 : (long)cfg.generation;
	close(fd);
	return g;
}

int kl_active_read(const char *pin_dir, uint32_t *gen)
{
	int fd = kl_pin_open(pin_dir, "karmor_active");
	if (fd < 0)
		return -1;
	uint32_t zero = 0;
	int r = bpf_map_lookup_elem(fd, &zero, gen);
	close(fd);
	return r ? -1 : 0;
}

/* the generation of a BPF state in dir, -1 none (or an AppArmor one), -2 damaged */
static long state_generation(const char *dir)
{
	struct stat sb;
	if (stat(dir, &sb))
		return -1;
	struct kl_state st;
	int r = kl_state_read(dir, &st);
	if (r <= 0)
		return r < 0 ? -2 : -1;
	long g = st.generation;
	kl_state_free(&st);
	return g;
}

static int exists(const char *path)
{
	struct stat sb;
	return lstat(path, &sb) == 0;
}

int kl_recover(const char *pin_dir, const char *state_dir)
{
	char pins[3][PATH_MAX], states[3][PATH_MAX];
	static const char *const suffix[3] = {"", KL_NEXT_SUFFIX, KL_PREV_SUFFIX};
	int sides = 0;
	for (int i = 0; i < 3; i++) {
		kl_side_path(pins[i], sizeof(pins[i]), pin_dir, suffix[i]);
		kl_side_path(states[i], sizeof(states[i]), state_dir, suffix[i]);
		if (i > 0)
			sides += exists(pins[i]) + exists(states[i]);
	}
	if (!sides)
		return 0;	/* nothing was interrupted */
	/* the live generation: what karmor_active says (every pin directory of one lineage
	 * shares the map; a first apply's staged copy has its own, still 0) */
	uint32_t active = 0;
	for (int i = 0; i < 3; i++)
		if (kl_active_read(pins[i], &active) == 0)
			break;
	long pg[3], sg[3];
	int live_pin = -1, live_state = -1;
	for (int i = 0; i < 3; i++) {
		pg[i] = pin_generation(pins[i]);
		sg[i] = state_generation(states[i]);
		if (sg[i] == -2)
			return -1;	/* damaged (reported): detach's business */
		if (active && pg[i] == (long)active && live_pin < 0)
			live_pin = i;
		if (active && sg[i] == (long)active && live_state < 0)
			live_state = i;
	}
	if ((live_pin < 0) != (live_state < 0)) {
		kl_err("an interrupted apply left %s%s and %s%s that do not agree (active generation %u); run "
		       "'karmor-loader detach'",
		       pin_dir, live_pin < 0 ? " (no live pins)" : "", state_dir, live_state < 0 ? " (no live state)" : "",
		       active);
		return -1;
	}
	/* everything that is not live judges nothing: removed (the side directories only,
	 * when no generation is live: then PIN_DIR and STATE_DIR are detach's) */
	for (int i = 0; i < 3; i++) {
		if (i == live_pin || (live_pin < 0 && i == 0) || !exists(pins[i]))
			continue;
		if (kl_unpin_all(pins[i]) < 0)
			return -1;
	}
	for (int i = 0; i < 3; i++) {
		if (i == live_state || (live_state < 0 && i == 0) || !exists(states[i]))
			continue;
		if (kl_remove_state_dir(states[i]))
			return -1;
	}
	if (live_pin > 0 && rename(pins[live_pin], pins[0])) {
		kl_err("cannot rename %s to %s: %s", pins[live_pin], pins[0], strerror(errno));
		return -1;
	}
	if (live_state > 0 && rename(states[live_state], states[0])) {
		kl_err("cannot rename %s to %s: %s", states[live_state], states[0], strerror(errno));
		return -1;
	}
	if (live_pin < 0)
		kl_warn("an interrupted apply was undone: it had not switched over%s", exists(states[0]) ? "; the policy applied before it enforces" : "");
	else
		kl_warn("an interrupted apply was %s: generation %u enforces", live_pin == 0 ? "cleaned up" : "completed",
			active);
	return 0;
}

#ifdef KL_FAULTS
/* the fault-injection build (build/karmor-loader-faults): KARMOR_LOADER_KILL_AT=N kills the
 * loader with SIGKILL at its N-th step, as a crash or `kill -9` would; every step is named,
 * and KARMOR_LOADER_TRACE=1 lists them */
static unsigned kl_steps;

void kl_checkpoint(const char *what)
{
	kl_steps++;
	if (getenv("KARMOR_LOADER_TRACE"))
		fprintf(stderr, "karmor-loader: step %u: %s\n", kl_steps, what);
	const char *at = getenv("KARMOR_LOADER_KILL_AT");
	if (at && strtoul(at, NULL, 10) == kl_steps) {
		fprintf(stderr, "karmor-loader: fault injection: killed at step %u, %s\n", kl_steps, what);
		fflush(stderr);
		raise(SIGKILL);
	}
}

unsigned kl_checkpoints(void)
{
	return kl_steps;
}
#endif

/* the pin directory a state directory (or its staged copy) records, else NULL */
static char *recorded_pin_dir(const char *state_dir)
{
	for (int i = 0; i < 2; i++) {
		char dir[PATH_MAX];
		kl_side_path(dir, sizeof(dir), state_dir, i ? KL_NEXT_SUFFIX : "");
		if (!exists(dir))
			continue;
		struct kl_state st;
		if (kl_state_read(dir, &st) > 0) {
			char *p = strdup(st.pin_dir);
			kl_state_free(&st);
			return p;
		}
	}
	return NULL;
}

int kl_recover_dirs(const struct kl_dirs *d)
{
	char state_next[PATH_MAX], state_prev[PATH_MAX];
	kl_side_path(state_next, sizeof(state_next), d->state_dir, KL_NEXT_SUFFIX);
	kl_side_path(state_prev, sizeof(state_prev), d->state_dir, KL_PREV_SUFFIX);
	char *recorded = d->pin_dir ? NULL : recorded_pin_dir(d->state_dir);
	const char *pin_dir = d->pin_dir ? d->pin_dir : recorded ? recorded : KARMOR_PIN_DIR;
	char pin_next[PATH_MAX], pin_prev[PATH_MAX];
	kl_side_path(pin_next, sizeof(pin_next), pin_dir, KL_NEXT_SUFFIX);
	kl_side_path(pin_prev, sizeof(pin_prev), pin_dir, KL_PREV_SUFFIX);
	int rc = 0;
	/* an AppArmor or SELinux apply that was killed (under the lock its apply holds): both
	 * journal as STATE_DIR/FILE.new (staged) and FILE.next (recorded) */
	static const struct {
		const char *file;
		int (*recover)(const char *state_dir);
	} journaled[] = {{KL_AA_STATE_FILE, kl_aa_recover}, {KL_SE_STATE_FILE, kl_se_recover}};
	for (size_t k = 0; k < sizeof(journaled) / sizeof(journaled[0]); k++) {
		char recorded_file[PATH_MAX + 32], staged_file[PATH_MAX + 32];
		snprintf(recorded_file, sizeof(recorded_file), "%s/%s.next", d->state_dir, journaled[k].file);
		snprintf(staged_file, sizeof(staged_file), "%s/%s.new", d->state_dir, journaled[k].file);
		if (exists(recorded_file) || exists(staged_file)) {
			int lock = kl_lock(d->state_dir);
			if (journaled[k].recover(d->state_dir))
				rc = -1;
			kl_unlock(lock);
		}
	}
	if (exists(state_next) || exists(state_prev) || exists(pin_next) || exists(pin_prev)) {
		sigset_t old;
		kl_hold_signals(&old);
		int lock = kl_lock(pin_dir);
		rc = kl_recover(pin_dir, d->state_dir);
		kl_unlock(lock);
		sigprocmask(SIG_SETMASK, &old, NULL);
	}
	free(recorded);
	return rc;
}

int kl_remove_sides(const char *pin_dir, const char *state_dir)
{
	int rc = 0;
	for (int i = 0; i < 2; i++) {
		char p[PATH_MAX], s[PATH_MAX];
		kl_side_path(p, sizeof(p), pin_dir, i ? KL_PREV_SUFFIX : KL_NEXT_SUFFIX);
		kl_side_path(s, sizeof(s), state_dir, i ? KL_PREV_SUFFIX : KL_NEXT_SUFFIX);
		if (exists(p) && kl_unpin_all(p) < 0)
			rc = -1;
		if (exists(s) && kl_remove_state_dir(s))
			rc = -1;
	}
	return rc;
}
