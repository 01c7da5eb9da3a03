/*
 * run --target T -- CMD...: a fresh cgroup (CGROUP2_ROOT/karmor/run-PID)
 * bound to T in the pinned karmor_cgroups map, CMD run inside it, then
 * everything undone.  In --without-lsm mode the cgroup program is attached to
 * the new cgroup too (the link lives as long as this process).  If the cgroup
 * cannot be removed, processes may still run in it: then it stays bound (its
 * link pinned) until detach, and run exits 125.  Every failure of run itself
 * exits 125, so it cannot be taken for CMD's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "loader.h"

static volatile pid_t child_pid;

static void forward(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

struct run {
	struct kl_state st;
	const char *pin_dir;
	const char *state_dir;
	char cg_parent[PATH_MAX];
	char cg[PATH_MAX];
	char run_file[PATH_MAX];
	uint64_t cgid;
	uint32_t slot;
	int made_cg, bound, link_fd, wrote_run_file;
};

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* karmor_config.nbound += delta */
static int adjust_nbound(const char *pin_dir, int delta)
{
	int fd = kl_pin_open(pin_dir, "karmor_config");
	if (fd < 0)
		return -1;
	uint32_t zero = 0;
	struct karmor_config cfg;
	int r = bpf_map_lookup_elem(fd, &zero, &cfg);
	if (!r) {
		if (delta > 0 || cfg.nbound > 0)
			cfg.nbound = (uint32_t)((int64_t)cfg.nbound + delta);
		r = bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY);
	}
	int e = errno;
	close(fd);
	errno = e;
	return r ? -1 : 0;
}

static int bind_cgroup(struct run *r)
{
	int lock = kl_lock(r->pin_dir);
	if (lock < 0) {
		kl_err("cannot lock the parent of %s: %s", r->pin_dir, strerror(errno));
		return -1;
	}
	int rc = -1, fd = kl_pin_open(r->pin_dir, "karmor_cgroups");
	if (fd < 0) {
		kl_err("%s/karmor_cgroups: %s (run 'karmor-loader detach' and apply again)", r->pin_dir,
		       strerror(errno));
		goto out;
	}
	if (bpf_map_update_elem(fd, &r->cgid, &r->slot, BPF_NOEXIST)) {
		kl_err("cannot bind %s: %s", r->cg, strerror(errno));
		goto out;
	}
	r->bound = 1;
	if (adjust_nbound(r->pin_dir, 1)) {
		kl_err("%s/karmor_config: %s", r->pin_dir, strerror(errno));
		goto out;
	}
	if (r->st.without_lsm) {
		char name[128];
		snprintf(name, sizeof(name), "%s%s", KL_PROG_PREFIX, KL_SOCK_PROG);
		int pfd = kl_pin_open(r->pin_dir, name);
		int cfd = open(r->cg, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (pfd >= 0 && cfd >= 0)
			r->link_fd = bpf_link_create(pfd, cfd, BPF_CGROUP_INET_SOCK_CREATE, NULL);
		int e = errno;
		if (pfd >= 0)
			close(pfd);
		if (cfd >= 0)
			close(cfd);
		if (pfd < 0 || cfd < 0 || r->link_fd < 0) {
			kl_err("cannot attach %s to %s: %s", KL_SOCK_PROG, r->cg, strerror(e));
			goto out;
		}
	}
	/* status shows the cgroups of running commands from these files */
	char line[PATH_MAX + 64];
	snprintf(r->run_file, sizeof(r->run_file), "%s/%s%ld", r->state_dir, KL_RUN_PREFIX, (long)getpid());
	snprintf(line, sizeof(line), "bind\t%" PRIu32 "\t%" PRIu64 "\t%s\n", r->slot, r->cgid, r->cg);
	int wfd = open(r->run_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (wfd < 0 || write(wfd, line, strlen(line)) != (ssize_t)strlen(line)) {
		kl_err("cannot write %s: %s", r->run_file, strerror(errno));
		if (wfd >= 0) {
			close(wfd);
			unlink(r->run_file);
		}
		goto out;
	}
	close(wfd);
	r->wrote_run_file = 1;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	kl_unlock(lock);
	return rc;
}

static void unbind_cgroup(struct run *r)
{
	int lock = kl_lock(r->pin_dir);
	if (r->link_fd >= 0) {
		close(r->link_fd);
		r->link_fd = -1;
	}
	if (r->bound) {
		int fd = kl_pin_open(r->pin_dir, "karmor_cgroups");
		/* detached meanwhile: the binding went with the maps */
		if (fd >= 0) {
			if (bpf_map_delete_elem(fd, &r->cgid) == 0 && adjust_nbound(r->pin_dir, -1))
				kl_warn("%s/karmor_config: %s", r->pin_dir, strerror(errno));
			close(fd);
		}
		r->bound = 0;
	}
	if (r->wrote_run_file)
		unlink(r->run_file);
	kl_unlock(lock);
}

/* SIGKILL to every process in the cgroup, for kernels without cgroup.kill (< 5.14);
 * repeated by the caller, as a process may fork meanwhile */
static void kill_procs(const char *cg)
{
	char procs[PATH_MAX + 16];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	FILE *f = fopen(procs, "re");
	if (!f)
		return;
	long pid;
	while (fscanf(f, "%ld", &pid) == 1)
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
	fclose(f);
}

/* processes CMD left behind (daemons) would keep the cgroup busy: kill them.
 * 0 when the cgroup is gone, -1 (errno set) when it is still there */
static int remove_cgroup(struct run *r)
{
	if (!r->made_cg)
		return 0;
	int have_kill = 1, e = 0;
	for (int tries = 0; tries < 200; tries++) {
		if (rmdir(r->cg) == 0 || errno == ENOENT) {
			r->made_cg = 0;
			break;
		}
		e = errno;
		if (e != EBUSY)
			break;
		if (tries == 0) {
			char kill_file[PATH_MAX + 16];
			snprintf(kill_file, sizeof(kill_file), "%s/cgroup.kill", r->cg);
			have_kill = write_file(kill_file, "1") == 0;
		}
		if (!have_kill)
			kill_procs(r->cg);
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	rmdir(r->cg_parent);	/* only when empty; other runs may use it */
	if (r->made_cg) {
		errno = e;
		return -1;
	}
	return 0;
}

/* the cgroup outlives us: its binding must too.  In --without-lsm mode the
 * link dies with this process unless pinned (as apply names its links, so
 * detach removes it).  -1 if the cgroup is left unconfined. */
static int keep_binding(struct run *r)
{
	if (r->link_fd < 0)
		return 0;
	char name[128], path[PATH_MAX];
	snprintf(name, sizeof(name), "%s%s-%" PRIu64, KL_LINK_PREFIX, KL_SOCK_PROG, r->cgid);
	int lock = kl_lock(r->pin_dir);
	int rc = kl_pin_path(path, sizeof(path), r->pin_dir, name) || bpf_obj_pin(r->link_fd, path) ? -1 : 0;
	if (rc)
		kl_err("cannot pin the link of %s to %s: %s: processes left in %s are NOT confined once this "
		       "command exits",
		       KL_SOCK_PROG, path, strerror(errno), r->cg);
	kl_unlock(lock);
	return rc;
}

int kl_cmd_run(int argc, char **argv)
{
	struct kl_dirs d = {NULL, KARMOR_STATE_DIR};
	const char *target = NULL, *bundle = NULL, *key = NULL, *backend = NULL;
	int i, verbose = 0;
	/* options only before "--" or CMD: `run --target T ls --help` runs `ls --help` */
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (argv[i][0] != '-')
			break;	/* CMD without "--" */
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			kl_print_help("run");
			return KL_EXIT_OK;
		}
		const char *v;
		int r = kl_opt_dirs(argc, argv, &i, &d);
		if (r < 0)
			return KL_EXIT_RUN_FAIL;
		if (r > 0)
			continue;
		r = kl_opt(argc, argv, &i, "--target", &v);
		if (r < 0)
			return KL_EXIT_RUN_FAIL;
		if (r > 0) {
			target = v;
			continue;
		}
		if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
			verbose = 1;
			continue;
		}
		const char **dest = NULL;
		if ((r = kl_opt(argc, argv, &i, "--bundle", &v)) > 0)
			dest = &bundle;
		else if (r == 0 && (r = kl_opt(argc, argv, &i, "--key", &v)) > 0)
			dest = &key;
		else if (r == 0 && (r = kl_opt(argc, argv, &i, "--backend", &v)) > 0)
			dest = &backend;
		if (r < 0)
			return KL_EXIT_RUN_FAIL;
		if (dest) {
			*dest = v;
			continue;
		}
		kl_usage_err("unknown option '%s'", argv[i]);
		return KL_EXIT_RUN_FAIL;
	}
	if (!target) {
		kl_usage_err("--target TARGET is required");
		return KL_EXIT_RUN_FAIL;
	}
	if (i >= argc) {
		kl_usage_err("no command to run (run --target TARGET -- CMD [ARG]...)");
		return KL_EXIT_RUN_FAIL;
	}
	char **cmd = argv + i;
	if (backend && strcmp(backend, "landlock")) {
		kl_usage_err("run --backend takes landlock (the applied bundle's backend is used otherwise)");
		return KL_EXIT_RUN_FAIL;
	}
	if (backend && !bundle) {
		kl_usage_err("run --backend landlock needs --bundle FILE|DIR (a bundle, or karmorc compile's output)");
		return KL_EXIT_RUN_FAIL;
	}
	if (key && !bundle) {
		kl_usage_err("--key checks the signature of the --bundle FILE");
		return KL_EXIT_RUN_FAIL;
	}
	if (bundle)
		return kl_ll_run(bundle, key, target, d.state_dir, verbose, cmd);

	kl_recover_dirs(&d);
	if (kl_aa_applied(d.state_dir))
		return kl_aa_run(d.state_dir, target, cmd);
	if (kl_se_applied(d.state_dir)) {
		kl_err("the applied backend is SELinux, whose modules hold for every process of the host: there is "
		       "no target to run a command under (run CMD as it is)");
		return KL_EXIT_RUN_FAIL;
	}
	struct run r;
	memset(&r, 0, sizeof(r));
	r.link_fd = -1;
	r.state_dir = d.state_dir;
	int have = kl_state_read(d.state_dir, &r.st);
	if (have < 0)
		return KL_EXIT_RUN_FAIL;
	if (!have) {
		kl_err("nothing is applied (no state in %s): run 'karmor-loader apply' first", d.state_dir);
		return KL_EXIT_RUN_FAIL;
	}
	r.pin_dir = kl_pin_dir(&d, &r.st, have);
	int rc = KL_EXIT_RUN_FAIL;
	const struct kl_starget *t = NULL;
	for (unsigned k = 0; k < r.st.ntargets; k++)
		if (!strcmp(r.st.targets[k].name, target))
			t = &r.st.targets[k];
	if (!t) {
		kl_err("no target %s among the applied images", target);
		goto out_state;
	}
	r.slot = t->slot;
	const char *root = kl_cgroup2_root();
	if (!root) {
		kl_err("no cgroup v2 file system is mounted (mount -t cgroup2 none /sys/fs/cgroup)");
		goto out_state;
	}
	if (snprintf(r.cg_parent, sizeof(r.cg_parent), "%s/karmor", root) >= (int)sizeof(r.cg_parent) ||
	    snprintf(r.cg, sizeof(r.cg), "%s/run-%ld", r.cg_parent, (long)getpid()) >= (int)sizeof(r.cg)) {
		kl_err("%s: path too long", root);
		goto out_state;
	}
	if (strpbrk(r.cg, "\t\n")) {
		kl_err("%s: a cgroup path with a TAB or newline cannot be recorded", r.cg);
		goto out_state;
	}

	/* termination signals are held from before the cgroup exists until the
	 * child runs, and again during the cleanup, so the cleanup always happens;
	 * one that arrived meanwhile acts when the mask is restored at the end */
	sigset_t old;
	kl_hold_signals(&old);
	if (mkdir(r.cg_parent, 0755) && errno != EEXIST) {
		kl_err("cannot make cgroup %s: %s", r.cg_parent, strerror(errno));
		goto out;
	}
	if (mkdir(r.cg, 0755)) {
		kl_err("cannot make cgroup %s: %s", r.cg, strerror(errno));
		goto out;
	}
	r.made_cg = 1;
	struct stat sb;
	if (stat(r.cg, &sb)) {
		kl_err("%s: %s", r.cg, strerror(errno));
		goto out;
	}
	r.cgid = (uint64_t)sb.st_ino;
	if (bind_cgroup(&r))
		goto out;
	char procs[PATH_MAX + 16];
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", r.cg);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		kl_err("fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (write_file(procs, "0")) {
			kl_err("cannot join cgroup %s: %s", r.cg, strerror(errno));
			_exit(KL_EXIT_RUN_FAIL);
		}
		execvp(cmd[0], cmd);
		int e = errno;
		kl_err("%s: %s", cmd[0], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}
	child_pid = pid;
	/* Ctrl-C reaches the child through the terminal; TERM and HUP sent to us are passed on */
	struct sigaction ign, fwd;
	memset(&ign, 0, sizeof(ign));
	memset(&fwd, 0, sizeof(fwd));
	ign.sa_handler = SIG_IGN;
	fwd.sa_handler = forward;
	sigaction(SIGINT, &ign, NULL);
	sigaction(SIGQUIT, &ign, NULL);
	sigaction(SIGTERM, &fwd, NULL);
	sigaction(SIGHUP, &fwd, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	int status = 0, waited = 1;
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			kl_err("waitpid: %s", strerror(errno));
			waited = 0;
			break;
		}
	}
	sigset_t ignored;
	kl_hold_signals(&ignored);	/* again, for the cleanup; `old` stays the mask to restore */
	child_pid = 0;	/* reaped: its pid may be reused, nothing is forwarded any more */
	if (!waited)
		rc = KL_EXIT_RUN_FAIL;
	else if (WIFEXITED(status))
		rc = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		rc = 128 + WTERMSIG(status);
	else
		rc = KL_EXIT_RUN_FAIL;
out:
	/* the cgroup goes first: its leftover processes must not run unbound.  If
	 * it cannot go, they may still be there: the binding stays */
	if (remove_cgroup(&r)) {
		int e = errno;
		char cmd_rc[64] = "";
		if (rc != KL_EXIT_RUN_FAIL)
			snprintf(cmd_rc, sizeof(cmd_rc), " (%s exited with status %d)", cmd[0], rc);
		kl_err("cannot remove cgroup %s: %s%s; processes may be left in it, so it stays bound to target %s "
		       "until 'karmor-loader detach' (status lists it); to end that sooner, end them, remove the "
		       "directory and detach",
		       r.cg, strerror(e), cmd_rc, target);
		keep_binding(&r);
		if (r.link_fd >= 0)
			close(r.link_fd);
		rc = KL_EXIT_RUN_FAIL;
	} else {
		unbind_cgroup(&r);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
out_state:
	kl_state_free(&r.st);
	return rc;
}
