/*
 * launcher -- runs one vmtest case inside the test VM and reports what the
 * kernel answered (scripts/vmtest, issue 3).  Runs as root, unconfined.
 *
 *   launcher load FILE...
 *       Load binary AppArmor policy (precompiled on the host with
 *       `apparmor_parser -S`) by writing each file to .../apparmor/.replace
 *       in ONE write(): the kernel refuses a policy blob split over several
 *       writes (ESPIPE), which `cat` or a small-block `dd` would do.
 *
 *   launcher cases FILE
 *       `case` for every line of FILE (the ten fields TAB-separated), each in
 *       a forked child of this process.
 *
 *   launcher bpfcases FILE
 *       The same lines for the BPF-LSM rig (issue 4): PROFILE is the target,
 *       whose cgroup the guest made and bound; see "BPF-LSM" below.
 *
 *   launcher seload FILE
 *       Load a binary SELinux policy (base + one target's module, compiled by
 *       secilc on the host) through /sys/fs/selinux/load, in one write.
 *
 *   launcher secases FILE LABELS
 *       The same lines for the SELinux rig (issue 11); see "SELinux" below.
 *
 *   launcher llcases FILE DIR
 *       The same lines for the Landlock rig (issue 13): PROFILE is the target,
 *       whose ruleset description DIR/landlock/PROFILE.ruleset holds; see
 *       "Landlock" below.
 *
 *   launcher case SID IDX PROFILE OWNER SOURCE OP RESOURCE ARG PREP TARGET
 *       1. prepares the files the case names: TARGET as PREP (exe: a hard
 *          link to the actor; file: a root-owned 0666 file holding "x\n";
 *          dir: a 0777 directory; mnt: a directory with a tmpfs mounted on
 *          it; absent: nothing there, the missing parent directories made
 *          (0777), for a case whose op creates TARGET; none), and SOURCE as
 *          a hard link to the actor (root, 0755).
 *          Plain Unix permissions therefore never decide a case.
 *       2. starts SOURCE in PROFILE: the child writes `exec PROFILE` to
 *          /proc/self/attr/exec (AppArmor change_onexec), drops to uid/gid
 *          1000 when OWNER is 0 (the acting user does not own the root-owned
 *          file), and execve()s SOURCE with `OP RESOURCE ARG`.
 *       3. collects the AppArmor audit records of that pid from the audit
 *          netlink multicast group, up to a fence record (below).
 *       4. prints one line: R SID IDX STATUS EVENTS NOISE (TAB-separated).
 *
 * Why change_onexec (and not aa-exec, or attachment by path):
 *   - the case names the profile, not an attachment: per-target profiles
 *     (kubearmor-<ns>-<workload>-<container>) have no exec-path attachment;
 *   - the label must change exactly at the exec of SOURCE, so that SOURCE is
 *     the executable of a process that already runs in PROFILE; change_profile
 *     (immediate) would make the profile decide the exec of SOURCE itself and
 *     add an exec record that belongs to no case;
 *   - aa-exec does the same through libapparmor, but it is a dynamically
 *     linked program (its libc/ld.so would have to sit at /lib paths that the
 *     scenarios use as resources), and it cannot drop the uid between the
 *     change_onexec and the exec;
 *   - the write must happen BEFORE setuid(1000): after the uid change the task
 *     is no longer dumpable, /proc/self/attr/ files then belong to root and the
 *     write fails with EACCES.
 *
 * Why the audit netlink multicast group (and not /dev/kmsg):
 *   - without an audit daemon the kernel prints audit records through
 *     printk_ratelimit() (10 per 5 s by default) and drops the rest; the
 *     multicast group gets every record;
 *   - records are queued to kauditd and sent asynchronously, so "the actor has
 *     exited" does not mean "its records have arrived".  After the actor
 *     exits the launcher sends an AUDIT_USER_AVC message (the one user message
 *     type the kernel accepts while auditing is disabled) carrying a unique
 *     text; kauditd sends records in queue order, so once the fence comes
 *     back every record of the case has been seen.
 *
 * Why a "flush" before capability, network and syscall cases:
 *   AppArmor drops a capability record when the previous one on the same CPU
 *   came from the same profile for the same capability (a per-CPU
 *   duplicate-elimination cache in security/apparmor/capability.c).  Two
 *   cases in a row with the same profile and capability would see the second
 *   event vanish.  The launcher pins itself and its children to CPU 0 and,
 *   before such a case, lets a child under the rig's own profile `vmt-flush`
 *   (loaded at boot) make an audited capability check, which resets the cache.
 *
 * The actor's stdin/stdout/stderr are a pipe: at exec AppArmor revalidates
 * inherited descriptors against the new profile (and logs "file_inherit"
 * denials); pipes are on an internal filesystem that AppArmor does not mediate
 * by path, so they never add records.  All other descriptors are closed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/audit.h>
#include <linux/netlink.h>
#include <sys/mount.h>
#include <sys/xattr.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define ACTOR "/.vmt/actor"
#define CAPDIR "/.vmt/cap"
#define CAPFILE CAPDIR "/nobody-0000"
#define AAFS "/sys/kernel/security/apparmor"
#define FLUSH_PROFILE "vmt-flush"
#define CASE_TIMEOUT_S 20
#define FENCE_TIMEOUT_MS 10000
#define USER_UID 1000
#define OTHER_UID 1234

/* In a child before exec: closes every descriptor above `keep` except the
 * (close-on-exec) error pipe `errfd`. */
static void close_fds_above(int keep, int errfd)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	while (d && (e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (fd > keep && fd != errfd && fd != dirfd(d))
			close(fd);
	}
	if (d)
		closedir(d);
}

static char events[8192], noise[4096], errbuf[512];
static int selinux_rig;			/* secases: the SELinux rig (see "SELinux") */
static const char *selinux_labels;	/* its LABELS file */
static int copy_exes;			/* llcases: every program its own inode */

static void append(char *buf, size_t size, const char *s, size_t n)
{
	size_t len = strlen(buf);

	if (len + 4 >= size)
		return;
	if (len) {
		strcpy(buf + len, " | ");
		len += 3;
	}
	if (n > size - len - 1)
		n = size - len - 1;
	for (size_t i = 0; i < n; i++)
		buf[len + i] = (s[i] == '\t' || s[i] == '\n' || s[i] == '\r') ? ' ' : s[i];
	buf[len + n] = 0;
}

static long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000L + t.tv_nsec / 1000000;
}

/* ---------------------------------------------------------------- prep */

/* Paths the rig never creates or removes: the kernel's filesystems, the rig
 * itself (/.vmt), and the root. */
static int protected(const char *p)
{
	static const char *const pre[] = { "/proc", "/sys", "/dev", "/.vmt", 0 };

	if (!strcmp(p, "/"))
		return 1;
	for (int i = 0; pre[i]; i++) {
		size_t n = strlen(pre[i]);

		if (!strncmp(p, pre[i], n) && (p[n] == 0 || p[n] == '/'))
			return 1;
	}
	return 0;
}

/* tmpfs mounts left by mount/umount2 cases (they can stack) */
static void unmount_all(const char *p)
{
	for (int i = 0; i < 64 && umount2(p, MNT_DETACH) == 0; i++)
		;
}

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	unmount_all(p);
	return (flag == FTW_DP ? rmdir(p) : unlink(p)) && errno != ENOENT ? -1 : 0;
}

static int rmrf(const char *p)
{
	struct stat st;

	if (protected(p)) {
		snprintf(errbuf, sizeof errbuf, "refusing to remove %s", p);
		return -1;
	}
	if (lstat(p, &st))
		return 0;
	if (!S_ISDIR(st.st_mode))
		return unlink(p);
	return nftw(p, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static int mkparents(const char *path)
{
	char p[4096];
	struct stat st;

	if (strlen(path) >= sizeof p || path[0] != '/') {
		snprintf(errbuf, sizeof errbuf, "bad path %s", path);
		return -1;
	}
	strcpy(p, path);
	for (char *s = p + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		if (lstat(p, &st) == 0 && !S_ISDIR(st.st_mode) && rmrf(p))
			goto fail;
		if (mkdir(p, 0777) && errno != EEXIST)
			goto fail;
		/* also directories that were there: the kernel makes /root 0700 */
		if (!protected(p) && chmod(p, 0777))
			goto fail;
		*s = '/';
	}
	return 0;
fail:
	if (!errbuf[0])
		snprintf(errbuf, sizeof errbuf, "mkdir %s: %s", p, strerror(errno));
	return -1;
}

/* A creation's path (DESIGN §4.11): absent, its parent directories there.
 * The parents are made here, by the unconfined launcher, so that only the
 * actor's creating open or mkdir of the last component is judged.  A
 * directory's resource ends in '/'; the trailing slashes are not a
 * component of their own (mkparents makes a directory for every '/'). */
static int prep_absent(const char *path)
{
	char p[4096];
	size_t n = strlen(path);

	if (n >= sizeof p) {
		snprintf(errbuf, sizeof errbuf, "bad path %.400s", path);
		return -1;
	}
	memcpy(p, path, n + 1);
	while (n > 1 && p[n - 1] == '/')
		p[--n] = 0;
	if (protected(p)) {
		snprintf(errbuf, sizeof errbuf, "the rig cannot create %.400s (a kernel filesystem, the rig, or the root)",
			 path);
		return -1;
	}
	if (mkparents(p))
		return -1;
	unmount_all(p);
	if (rmrf(p)) {
		if (!errbuf[0])
			snprintf(errbuf, sizeof errbuf, "remove %s: %s", p, strerror(errno));
		return -1;
	}
	return 0;
}

static int copy_file(const char *src, const char *dst, mode_t mode);

static int prep(const char *path, const char *kind)
{
	struct stat st, actor;
	int fd;

	if (!strcmp(kind, "none") || !strcmp(path, "-"))
		return 0;
	if (!strcmp(kind, "absent"))
		return prep_absent(path);
	if (protected(path)) {
		/* /dev/null, /dev/tty, ...: use what the kernel provides */
		if (lstat(path, &st)) {
			snprintf(errbuf, sizeof errbuf, "%s does not exist in the guest", path);
			return -1;
		}
		return 0;
	}
	if (mkparents(path))
		return -1;
	if (!strcmp(kind, "exe")) {
		if (stat(ACTOR, &actor))
			return -1;
		if (selinux_rig || copy_exes) {
			/* SELinux labels inodes, and Landlock binds rules to them: every
			 * program path needs its own copy of the actor, or a label (a
			 * rule) on one would be the label (the rule) of all */
			if (rmrf(path) || copy_file(ACTOR, path, 0755))
				goto fail;
			return 0;
		}
		if (lstat(path, &st) == 0 && st.st_ino == actor.st_ino)
			return 0;
		if (rmrf(path) || link(ACTOR, path))
			goto fail;
		return 0;
	}
	if (!strcmp(kind, "file")) {
		/* always a fresh inode: the old one may be a link to the actor */
		if (rmrf(path))
			goto fail;
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
		if (fd < 0 || write(fd, "x\n", 2) != 2 || fchown(fd, 0, 0) || fchmod(fd, 0666))
			goto fail;
		close(fd);
		return 0;
	}
	if (!strcmp(kind, "dir") || !strcmp(kind, "mnt")) {
		unmount_all(path);
		if (lstat(path, &st) == 0 && !S_ISDIR(st.st_mode) && rmrf(path))
			goto fail;
		if (mkdir(path, 0777) && errno != EEXIST)
			goto fail;
		if (chown(path, 0, 0) || chmod(path, 0777))
			goto fail;
		if (!strcmp(kind, "mnt") && mount("vmt", path, "tmpfs", 0, NULL))
			goto fail;
		return 0;
	}
	snprintf(errbuf, sizeof errbuf, "unknown prep kind %s", kind);
	return -1;
fail:
	if (!errbuf[0])
		snprintf(errbuf, sizeof errbuf, "prep %s %s: %s", kind, path, strerror(errno));
	return -1;
}

/* a copy of src at dst (mode), for the SELinux rig's programs */
static int copy_file(const char *src, const char *dst, mode_t mode)
{
	static char buf[1 << 16];
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, r = -1;
	ssize_t n;

	if (in >= 0)
		out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out >= 0) {
		while ((n = read(in, buf, sizeof buf)) > 0)
			if (write(out, buf, (size_t)n) != n)
				break;
		r = n == 0 && fchmod(out, mode) == 0 ? 0 : -1;
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return r;
}

/* ---------------------------------------------------------------- audit */

static int audit_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = 1 << (AUDIT_NLGRP_READLOG - 1) };
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
	int sz = 4 << 20;

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz);
	if (bind(s, (struct sockaddr *)&sa, sizeof sa)) {
		close(s);
		return -1;
	}
	return s;
}

static int audit_fence(int s, const char *text)
{
	struct {
		struct nlmsghdr h;
		char data[256];
	} m;
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	size_t n = strlen(text) + 1;

	memset(&m, 0, sizeof m);
	m.h.nlmsg_len = NLMSG_LENGTH(n);
	m.h.nlmsg_type = AUDIT_USER_AVC;
	m.h.nlmsg_flags = NLM_F_REQUEST;
	memcpy(m.data, text, n);
	return sendto(s, &m, m.h.nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) < 0 ? -1 : 0;
}

static long field_pid(const char *d, size_t n)
{
	for (size_t i = 0; i + 5 < n; i++)
		if (d[i] == ' ' && !strncmp(d + i + 1, "pid=", 4))
			return strtol(d + i + 5, NULL, 10);
	return -1;
}

static const char *find(const char *d, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (!memcmp(d + i, needle, k))
			return d + i;
	return NULL;
}

/* Read records until the fence comes back; keep the AppArmor (SELinux) ones of
 * pid, but on SELinux, where a module's rules hold for every process, those of
 * starting the actor (`self`: its own program; NULL: none) and of its /proc
 * lookups (proc_noise) go with the noise. */
static int audit_collect(int s, pid_t pid, pid_t ignore, const char *fence, const char *self, int proc_noise)
{
	static char buf[1 << 16];
	long deadline = now_ms() + FENCE_TIMEOUT_MS;

	for (;;) {
		struct pollfd pfd = { s, POLLIN, 0 };
		long left = deadline - now_ms();
		ssize_t len;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return -1;
		len = recv(s, buf, sizeof buf, 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) { /* overrun: records were lost */
				append(noise, sizeof noise, "ENOBUFS: audit records lost", 27);
				continue;
			}
			return -1;
		}
		/* an int for the remaining length: NLMSG_NEXT steps over the
		 * alignment padding, which can take it below 0 */
		int rem = (int)len;

		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, rem);
		     h = NLMSG_NEXT(h, rem)) {
			const char *d = NLMSG_DATA(h), *aa;
			size_t n = h->nlmsg_len - NLMSG_HDRLEN;
			long p;

			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				if (e->error) {
					errno = -e->error;
					return -1;
				}
				continue;
			}
			if (h->nlmsg_type == AUDIT_USER_AVC && find(d, n, fence))
				return 0;
			aa = selinux_rig ? find(d, n, "avc:") : find(d, n, "apparmor=");
			if (!aa || (!selinux_rig && find(d, n, "apparmor=\"STATUS\"")))
				continue;
			p = field_pid(d, n);
			/* SELinux: the checks of starting the actor (exec of the
			 * source, a non-owner's setuid) are the launcher's, made in
			 * the actor's pid before exec gives it the source's name */
			if (p == pid && selinux_rig &&
			    (find(d, n, "comm=\"launcher\"") || (self && find(d, n, self)) ||
			     (proc_noise && find(d, n, "dev=\"proc\"")) || find(d, n, "dev=\"selinuxfs\"")))
				append(noise, sizeof noise, aa, n - (size_t)(aa - d));
			else if (p == pid)
				append(events, sizeof events, aa, n - (size_t)(aa - d));
			else if (p != ignore)
				append(noise, sizeof noise, aa, n - (size_t)(aa - d));
		}
	}
}

/* ---------------------------------------------------------------- children */

static int write_attr(const char *file, const char *fmt, const char *name)
{
	char buf[4200];
	int fd = open(file, O_WRONLY | O_CLOEXEC), n, r;

	if (fd < 0)
		return -1;
	n = snprintf(buf, sizeof buf, fmt, name);
	r = write(fd, buf, n) == n ? 0 : -1;
	close(fd);
	return r;
}

/* reset AppArmor's per-CPU capability audit cache (see top of file) */
static pid_t flush_cap_cache(void)
{
	pid_t p = fork();

	if (p == 0) {
		if (write_attr("/proc/self/attr/current", "changeprofile %s", FLUSH_PROFILE) == 0)
			setpriority(PRIO_PROCESS, 0, -5); /* audited sys_nice in vmt-flush */
		_exit(0);
	}
	if (p > 0)
		waitpid(p, NULL, 0);
	return p;
}

/* a process of another uid, for `capability kill` and `capability sys_ptrace` */
static pid_t start_victim(void)
{
	int fds[2];
	char c;
	pid_t p;

	if (pipe2(fds, O_CLOEXEC))
		return -1;
	p = fork();
	if (p == 0) {
		if (setgid(OTHER_UID) || setuid(OTHER_UID))
			_exit(1);
		close(fds[1]); /* tells the parent the uid change is done */
		for (;;)
			pause();
	}
	close(fds[1]);
	if (p < 0 || read(fds[0], &c, 1) != 0) {
		close(fds[0]);
		return -1;
	}
	close(fds[0]);
	return p;
}

enum { ST_ONEXEC = 1, ST_SETUID, ST_EXEC, ST_FDS };
static const char *const stages[] = { "", "change_onexec", "setuid", "execve", "fds" };

#define SEFS "/sys/fs/selinux"
#define ENFORCE_FD 5

static void child(const char *profile, int owner, int errfd, char *const argv[])
{
	static char *const plain_envp[] = { "PATH=/usr/bin:/bin", NULL };
	static char *const se_envp[] = { "PATH=/usr/bin:/bin", "VMT_ENFORCE_FD=5", NULL };
	char *const *envp = plain_envp;
	int st[2], io[2];

	if (pipe(io) || dup2(io[0], 0) < 0 || dup2(io[1], 1) < 0 || dup2(io[1], 2) < 0) {
		st[0] = ST_FDS;
		goto fail;
	}
	close_fds_above(2, errfd);
	if (selinux_rig) {
		/* the actor writes "1" to it first thing (scripts/vm/actor.c): opened
		 * here, as root, so that a non-owner actor can too */
		int fd = open(SEFS "/enforce", O_WRONLY);

		if (fd < 0 || dup2(fd, ENFORCE_FD) < 0) {
			st[0] = ST_FDS;
			goto fail;
		}
		if (fd != ENFORCE_FD)
			close(fd);
		envp = se_envp;
	}
	if (!selinux_rig && strcmp(profile, "unconfined") &&
	    write_attr("/proc/self/attr/exec", "exec %s", profile)) {
		st[0] = ST_ONEXEC;
		goto fail;
	}
	if (!owner && (setgroups(0, NULL) || setgid(USER_UID) || setuid(USER_UID))) {
		st[0] = ST_SETUID;
		goto fail;
	}
	execve(argv[0], argv, envp);
	st[0] = ST_EXEC;
fail:
	st[1] = errno;
	if (write(errfd, st, sizeof st) < 0)
		_exit(255);
	_exit(255);
}

static volatile pid_t case_pid;
static volatile int timed_out;

static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
	kill(case_pid, SIGKILL);
}

/* a blocking wait for the actor; SIGALRM kills one that hangs (timed_out says so) */
static int wait_actor(pid_t pid)
{
	int wst = 0;

	case_pid = pid;
	signal(SIGALRM, on_alarm);
	alarm(CASE_TIMEOUT_S);
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	alarm(0);
	return wst;
}

/* 1. the case's files (both rigs): a[] as for `case`; arg may get the
 * victim's pid.  0 = ready, else status says why not. */
static int case_prep(char **a, char *arg, size_t argsize, pid_t *victim, char *status, size_t stsize)
{
	const char *source = a[4], *op = a[5], *res = a[6], *prepkind = a[8], *target = a[9];

	if (!strcmp(op, "capability")) {
		mkdir(CAPDIR, 0755);
		unlink(CAPDIR "/node");
		close(open(CAPFILE, O_WRONLY | O_CREAT, 0));
		if (chown(CAPFILE, OTHER_UID, OTHER_UID) || chmod(CAPFILE, 0)) {
			snprintf(status, stsize, "prep=%s", strerror(errno));
			return -1;
		}
		if (!strcasecmp(res, "kill") || !strcasecmp(res, "sys_ptrace") ||
		    !strcasecmp(res, "cap_kill") || !strcasecmp(res, "cap_sys_ptrace")) {
			*victim = start_victim();
			if (*victim < 0) {
				*victim = 0;
				snprintf(status, stsize, "prep=victim");
				return -1;
			}
			snprintf(arg, argsize, "%d", (int)*victim);
		}
	}
	if (!strcmp(op, "syscall") && strcmp(target, "-")) {
		char ren[4200];

		snprintf(ren, sizeof ren, "%s.vmt-renamed", target);
		rmrf(ren);
	}
	if (prep(target, prepkind) || prep(source, "exe")) {
		snprintf(status, stsize, "prep=%s", errbuf);
		return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- SELinux */

/*
 * The SELinux rig (`secases`): a host target's module holds for every process
 * (the rig too: SELinux has no cgroup to bind), so the launcher prepares each
 * case with SELinux permissive (writes 0 to /sys/fs/selinux/enforce), labels
 * the case's paths with the contexts the host computed from the compiled file
 * contexts (LABELS: "PATH<TAB>CONTEXT" lines; setxattr security.selinux on
 * each path that exists), switches to enforcing just before the actor starts
 * and back once it has exited.  Switching flushes the AVC, so no decision of
 * the permissive phase is reused.  The actor's AVC records (audit type 1400:
 * "avc:  denied" or "avc:  granted") come from the same audit multicast group
 * as AppArmor's.
 */

static int selinux_enforce(int on)
{
	int fd = open(SEFS "/enforce", O_WRONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = write(fd, on ? "1" : "0", 1) == 1 ? 0 : -1;
	close(fd);
	return r;
}

/* every labelled path that exists gets its context; 0, or -1 with errbuf set */
static int selinux_label(void)
{
	static char line[8400];
	FILE *f = fopen(selinux_labels, "r");

	if (!f) {
		snprintf(errbuf, sizeof errbuf, "labels %.200s: %s", selinux_labels, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *tab = strchr(line, '\t');
		struct stat sb;

		line[strcspn(line, "\n")] = 0;
		if (!tab)
			continue;
		*tab = 0;
		if (lstat(line, &sb))
			continue;
		if (lsetxattr(line, "security.selinux", tab + 1, strlen(tab + 1) + 1, 0)) {
			snprintf(errbuf, sizeof errbuf, "setxattr %.200s %.200s: %s", line, tab + 1, strerror(errno));
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

static int run_case(char **a)
{
	const char *sid = a[0], *idx = a[1], *profile = a[2], *source = a[4];
	const char *op = a[5], *res = a[6];
	int owner = atoi(a[3]);
	char arg[4200], self[4200], fence[128], status[700];
	char *argv[5];
	int s, ep[2], st[2] = { 0, 0 }, wst;
	pid_t pid, victim = 0, flush = 0;
	cpu_set_t cpu;
	ssize_t got;

	snprintf(arg, sizeof arg, "%s", a[7]);
	CPU_ZERO(&cpu);
	CPU_SET(0, &cpu);
	sched_setaffinity(0, sizeof cpu, &cpu);

	/* 1. the case's files (SELinux: permissive meanwhile, then labelled) */
	if (selinux_rig && selinux_enforce(0)) {
		snprintf(status, sizeof status, "prep=enforce 0: %s", strerror(errno));
		goto report;
	}
	if (case_prep(a, arg, sizeof arg, &victim, status, sizeof status))
		goto report;
	if (selinux_rig && selinux_label()) {
		snprintf(status, sizeof status, "prep=%s", errbuf);
		goto report;
	}

	/* 2. audit channel, open before anything of the case happens */
	s = audit_open();
	if (s < 0) {
		snprintf(status, sizeof status, "audit=%s", strerror(errno));
		goto report;
	}
	if (!selinux_rig && (!strcmp(op, "capability") || !strcmp(op, "network") || !strcmp(op, "syscall")))
		flush = flush_cap_cache();

	/* 3. the acting process (SELinux: it switches to enforcing itself, once
	 * exec has made it the source, so that starting it is not the case's) */
	argv[0] = (char *)source;
	argv[1] = (char *)op;
	argv[2] = (char *)res;
	argv[3] = arg;
	argv[4] = NULL;
	if (pipe2(ep, O_CLOEXEC)) {
		snprintf(status, sizeof status, "pipe=%s", strerror(errno));
		goto report;
	}
	pid = fork();
	if (pid == 0)
		child(profile, owner, ep[1], argv);
	close(ep[1]);
	if (pid < 0) {
		close(ep[0]);
		snprintf(status, sizeof status, "fork=%s", strerror(errno));
		goto report;
	}
	got = read(ep[0], st, sizeof st);
	close(ep[0]);
	wst = wait_actor(pid);
	if (selinux_rig)
		selinux_enforce(0);
	if (timed_out)
		snprintf(status, sizeof status, "timeout");
	else if (got == (ssize_t)sizeof st)
		snprintf(status, sizeof status, "launch=%s:%d", stages[st[0]], st[1]);
	else if (WIFEXITED(wst))
		snprintf(status, sizeof status, "exit=%d", WEXITSTATUS(wst));
	else
		snprintf(status, sizeof status, "signal=%d", WTERMSIG(wst));

	/* 4. everything the kernel said about pid, up to the fence */
	snprintf(fence, sizeof fence, "vmt-fence %d %s %s", (int)pid, sid, idx);
	/* SELinux: the actor's own program (mapped by exec) and /proc are not
	 * the case's unless the case is about them */
	snprintf(self, sizeof self, "path=\"%s\"", source);
	if (audit_fence(s, fence) ||
	    audit_collect(s, pid, flush, fence, selinux_rig && strcmp(source, res) ? self : NULL,
			  strncmp(res, "/proc/", 6) != 0))
		snprintf(status + strlen(status), sizeof status - strlen(status),
			 ",fence=%s", strerror(errno));
	close(s);
report:
	if (victim > 0) {
		kill(victim, SIGKILL);
		waitpid(victim, NULL, 0);
	}
	printf("R\t%s\t%s\t%s\t%s\t%s\n", sid, idx, status, events[0] ? events : "-",
	       noise[0] ? noise : "-");
	fflush(stdout);
	return 0;
}

/* ---------------------------------------------------------------- BPF-LSM */

/*
 * The BPF-LSM rig (`bpfcases`).  A case's target is a cgroup v2 directory,
 * CGROOT/SID/TARGET, which the guest bound to the target with `karmor-loader
 * apply --bind`; the rig itself (init, this launcher, karmor-loader) stays in
 * the root cgroup, which no target covers.  The child drops the uid as in the
 * AppArmor rig and execs SOURCE (the actor) with VMT_SYNC=1: the exec happens
 * outside the target, so it is no case's operation, yet the kernel records
 * SOURCE as the task's executable (fromSource).  The actor reports "started"
 * on fd 3 and waits for "go" on fd 4; in between the launcher writes its pid
 * into the target's cgroup.procs.  After the actor exits, `karmor-loader
 * events --json --drain` prints what the ring buffer holds; the events whose
 * HostPID is the actor's pid (the same pid after an exec) are the case's.
 * Ring-buffer records are written synchronously by the hook, so once the
 * actor has exited every record of the case is there.
 */
#define LOADER "/.vmt/karmor-loader"
#define CGROOT "/sys/fs/cgroup/vmt"

/* the JSON keys of an event the host judges by, in the order printed */
static const char *const evkeys[] = { "KarmorOp", "Action", "KarmorArg", "Resource", "PolicyName", "KarmorRuleId",
				      "Result", 0 };
#define NEVKEYS 7

/* Parse a JSON string at *p (after the opening quote) into out (truncated,
 * control characters and TAB/| made harmless for the R line). */
static const char *json_string(const char *p, char *out, size_t size)
{
	size_t n = 0;

	while (*p && *p != '"') {
		char c = *p++;

		if (c == '\\' && *p) {
			c = *p++;
			switch (c) {
			case 'n': case 't': case 'r': case 'b': case 'f':
				c = ' ';
				break;
			case 'u':
				for (int i = 0; i < 4 && *p; i++)
					p++;
				c = '?';
				break;
			default:
				break;
			}
		}
		if ((unsigned char)c < 0x20 || c == '|')
			c = ' ';
		if (out && n + 1 < size)
			out[n++] = c;
	}
	if (out)
		out[n] = 0;
	return *p == '"' ? p + 1 : NULL;
}

/* Skip one JSON value; copy a string or a scalar into out.  NULL on bad JSON. */
static const char *json_value(const char *p, char *out, size_t size)
{
	int depth = 0;
	size_t n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '"')
		return json_string(p + 1, out, size);
	if (*p != '{' && *p != '[') {
		while (*p && *p != ',' && *p != '}' && *p != ' ') {
			if (out && n + 1 < size)
				out[n++] = *p;
			p++;
		}
		if (out)
			out[n] = 0;
		return p;
	}
	do {
		if (*p == '"') {
			p = json_string(p + 1, NULL, 0);
			if (!p)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']')
			depth--;
		else if (!*p)
			return NULL;
		p++;
	} while (depth > 0);
	if (out)
		out[0] = 0;
	return p;
}

/* One line of `events --json`: its HostPID and "op=.. action=.. ..." */
static int json_event(const char *line, long *pid, char *txt, size_t size)
{
	char key[64], val[512], vals[NEVKEYS][512];
	const char *p = line;
	size_t len = 0;

	memset(vals, 0, sizeof vals);
	*pid = -1;
	while (*p == ' ')
		p++;
	if (*p++ != '{')
		return -1;
	for (;;) {
		while (*p == ' ' || *p == ',')
			p++;
		if (*p == '}')
			break;
		if (*p != '"' || !(p = json_string(p + 1, key, sizeof key)))
			return -1;
		while (*p == ' ')
			p++;
		if (*p++ != ':' || !(p = json_value(p, val, sizeof val)))
			return -1;
		if (!strcmp(key, "HostPID"))
			*pid = strtol(val, NULL, 10);
		for (int i = 0; evkeys[i]; i++)
			if (!strcmp(key, evkeys[i]))
				snprintf(vals[i], sizeof vals[i], "%s", val);
	}
	txt[0] = 0;
	for (int i = 0; evkeys[i]; i++) {
		int w = snprintf(txt + len, size - len, "%s%s=%s", i ? " " : "", evkeys[i], vals[i][0] ? vals[i] : "-");

		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
	}
	return 0;
}

/* Run `karmor-loader events --json --drain`; sort its events into events[]
 * (HostPID == pid) and noise[].  With /.vmt/events-on (scripts/vmtest
 * --events FILE) every line is also passed on as it was printed, as
 * "E SID IDX LINE".  -1 with status text on failure. */
static int drain_events(pid_t pid, const char *sid, const char *idx, char *status, size_t stsize)
{
	int pass_on = access("/.vmt/events-on", F_OK) == 0;
	static char out[1 << 20], err[1024];
	int op[2], epipe[2], wst;
	size_t n = 0, en = 0;
	pid_t c;

	if (pipe2(op, O_CLOEXEC) || pipe2(epipe, O_CLOEXEC)) {
		snprintf(status, stsize, "pipe=%s", strerror(errno));
		return -1;
	}
	c = fork();
	if (c == 0) {
		char *const av[] = { LOADER, "events", "--json", "--drain", NULL };
		char *const ev[] = { "PATH=/.vmt/bin", NULL };

		dup2(op[1], 1);
		dup2(epipe[1], 2);
		execve(LOADER, av, ev);
		_exit(127);
	}
	close(op[1]);
	close(epipe[1]);
	if (c < 0) {
		close(op[0]);
		close(epipe[0]);
		snprintf(status, stsize, "fork=%s", strerror(errno));
		return -1;
	}
	/* stdout first: the loader may block on a full pipe */
	for (;;) {
		ssize_t r = read(op[0], out + n, sizeof out - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		if (n == sizeof out - 1) { /* more than 1 MB: keep the start, discard the rest */
			char sink[4096];

			while (read(op[0], sink, sizeof sink) > 0)
				;
			break;
		}
	}
	out[n] = 0;
	for (;;) {
		ssize_t r = read(epipe[0], err + en, sizeof err - 1 - en);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		en += (size_t)r;
		if (en == sizeof err - 1)
			break;
	}
	err[en] = 0;
	close(op[0]);
	close(epipe[0]);
	while (waitpid(c, &wst, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(wst) || WEXITSTATUS(wst)) {
		err[strcspn(err, "\n")] = 0;
		snprintf(status, stsize, "events=%s %d: %.400s", WIFEXITED(wst) ? "exit" : "signal",
			 WIFEXITED(wst) ? WEXITSTATUS(wst) : WTERMSIG(wst), err[0] ? err : "(no message)");
		return -1;
	}
	for (char *line = out, *next; line && *line; line = next) {
		char txt[2048];
		long p;

		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (!*line)
			continue;
		if (pass_on)
			printf("E\t%s\t%s\t%s\n", sid, idx, line);
		if (json_event(line, &p, txt, sizeof txt)) {
			append(noise, sizeof noise, "unparsable event line: ", 23);
			append(noise, sizeof noise, line, strlen(line) > 200 ? 200 : strlen(line));
			continue;
		}
		if (p == pid)
			append(events, sizeof events, txt, strlen(txt));
		else
			append(noise, sizeof noise, txt, strlen(txt));
	}
	return 0;
}

enum { BST_SETUID = 1, BST_EXEC, BST_FDS };
static const char *const bstages[] = { "", "setuid", "execve", "fds" };

/* fds 3 (started) and 4 (go) for the actor; errfd >= 10, close-on-exec */
static void bpf_child(int owner, int errfd, int startfd, int gofd, char *const argv[])
{
	char *const envp[] = { "PATH=/usr/bin:/bin", "VMT_SYNC=1", NULL };
	int st[2], io[2];

	if (pipe(io) || dup2(io[0], 0) < 0 || dup2(io[1], 1) < 0 || dup2(io[1], 2) < 0 ||
	    dup2(startfd, 3) < 0 || dup2(gofd, 4) < 0) {
		st[0] = BST_FDS;
		goto fail;
	}
	close_fds_above(4, errfd);	/* 3, 4: the start and go pipes */
	if (!owner && (setgroups(0, NULL) || setgid(USER_UID) || setuid(USER_UID))) {
		st[0] = BST_SETUID;
		goto fail;
	}
	execve(argv[0], argv, envp);
	st[0] = BST_EXEC;
fail:
	st[1] = errno;
	if (write(errfd, st, sizeof st) < 0)
		_exit(255);
	_exit(255);
}

/* a pipe whose fds are >= 10, close-on-exec (clear of 0..4 in the child) */
static int high_pipe(int p[2])
{
	int q[2];

	if (pipe(q))
		return -1;
	p[0] = fcntl(q[0], F_DUPFD_CLOEXEC, 10);
	p[1] = fcntl(q[1], F_DUPFD_CLOEXEC, 10);
	close(q[0]);
	close(q[1]);
	return p[0] < 0 || p[1] < 0 ? -1 : 0;
}

static int run_bpf_case(char **a)
{
	const char *sid = a[0], *idx = a[1], *tgt = a[2], *source = a[4];
	const char *op = a[5], *res = a[6];
	int owner = atoi(a[3]);
	char arg[4200], status[1400], procs[4400];
	char *argv[5];
	int ep[2], sp[2], gp[2], st[2] = { 0, 0 }, wst, cg = -1;
	pid_t pid, victim = 0;
	ssize_t got;
	char c;

	snprintf(arg, sizeof arg, "%s", a[7]);
	if (case_prep(a, arg, sizeof arg, &victim, status, sizeof status))
		goto report;
	/* the target's cgroup ("-": the case's process belongs to no target) */
	if (strcmp(tgt, "-") && strcmp(tgt, "unconfined")) {
		snprintf(procs, sizeof procs, "%s/%s/%s/cgroup.procs", CGROOT, sid, tgt);
		cg = open(procs, O_WRONLY | O_CLOEXEC);
		if (cg < 0) {
			snprintf(status, sizeof status, "cgroup=%.600s: %s (no image for target %.300s?)", procs,
				 strerror(errno), tgt);
			goto report;
		}
	}
	argv[0] = (char *)source;
	argv[1] = (char *)op;
	argv[2] = (char *)res;
	argv[3] = arg;
	argv[4] = NULL;
	if (high_pipe(ep) || high_pipe(sp) || high_pipe(gp)) {
		snprintf(status, sizeof status, "pipe=%s", strerror(errno));
		goto report;
	}
	pid = fork();
	if (pid == 0)
		bpf_child(owner, ep[1], sp[1], gp[0], argv);
	close(ep[1]);
	close(sp[1]);
	close(gp[0]);
	if (pid < 0) {
		snprintf(status, sizeof status, "fork=%s", strerror(errno));
		goto report;
	}
	got = read(ep[0], st, sizeof st);
	close(ep[0]);
	case_pid = pid;
	signal(SIGALRM, on_alarm);
	alarm(CASE_TIMEOUT_S);
	status[0] = 0;
	if (got != (ssize_t)sizeof st) {
		/* exec'd: wait for "started", move it, say "go" */
		if (read(sp[0], &c, 1) != 1) {
			snprintf(status, sizeof status, "sync=the actor never said started");
		} else {
			char pidtxt[32];
			int len = snprintf(pidtxt, sizeof pidtxt, "%d", (int)pid);

			if (cg >= 0 && write(cg, pidtxt, len) != len)
				snprintf(status, sizeof status, "cgroup=moving pid %d into %.600s: %s", (int)pid, procs,
					 strerror(errno));
			c = status[0] ? 'n' : 'g';
			if (write(gp[1], &c, 1) != 1 && !status[0])
				snprintf(status, sizeof status, "sync=go: %s", strerror(errno));
		}
	}
	close(sp[0]);
	close(gp[1]);
	while (waitpid(pid, &wst, 0) < 0 && errno == EINTR)
		;
	alarm(0);
	if (status[0])
		; /* a rig failure said above */
	else if (timed_out)
		snprintf(status, sizeof status, "timeout");
	else if (got == (ssize_t)sizeof st)
		snprintf(status, sizeof status, "launch=%s:%d", bstages[st[0]], st[1]);
	else if (WIFEXITED(wst))
		snprintf(status, sizeof status, "exit=%d", WEXITSTATUS(wst));
	else
		snprintf(status, sizeof status, "signal=%d", WTERMSIG(wst));
	/* everything the kernel said about pid */
	{
		char dst[600] = "";

		if (drain_events(pid, sid, idx, dst, sizeof dst))
			snprintf(status + strlen(status), sizeof status - strlen(status), ",%s", dst);
	}
report:
	if (cg >= 0)
		close(cg);
	if (victim > 0) {
		kill(victim, SIGKILL);
		waitpid(victim, NULL, 0);
	}
	printf("R\t%s\t%s\t%s\t%s\t%s\n", sid, idx, status, events[0] ? events : "-",
	       noise[0] ? noise : "-");
	fflush(stdout);
	return 0;
}

/* ---------------------------------------------------------------- Landlock */

/*
 * The Landlock rig (`llcases`, here and on the host in a chroot of the same root):
 * a ruleset can only be put on a process by the process itself, so the child
 * execs `karmor-loader run --target TARGET --bundle DIR -- SOURCE OP RESOURCE
 * ARG`, which restricts itself and execs the actor: SOURCE's own exec is judged
 * by the ruleset too (karmorc reports the cases where that matters, KC0413).
 * Landlock logs nothing before ABI 7, so the verdict is the actor's errno alone.
 * The loader's stderr goes to a file: its first line is the status when run
 * itself failed (exit 125).
 */
static const char *ll_dir;
#define LLERR "/.vmt/ll.err"

static int run_ll_case(char **a)
{
	const char *sid = a[0], *idx = a[1], *tgt = a[2], *source = a[4];
	int owner = atoi(a[3]);
	char arg[4200], status[1400];
	char *argv[12];
	int ep[2], st[2] = { 0, 0 }, wst, n = 0;
	pid_t pid, victim = 0;
	ssize_t got;

	snprintf(arg, sizeof arg, "%s", a[7]);
	if (case_prep(a, arg, sizeof arg, &victim, status, sizeof status))
		goto report;
	if (strcmp(tgt, "-") && strcmp(tgt, "unconfined")) {
		argv[n++] = (char *)LOADER;
		argv[n++] = "run";
		argv[n++] = "--target";
		argv[n++] = (char *)tgt;
		argv[n++] = "--bundle";
		argv[n++] = (char *)ll_dir;
		argv[n++] = "--";
	}
	argv[n++] = (char *)source;
	argv[n++] = a[5];
	argv[n++] = a[6];
	argv[n++] = arg;
	argv[n] = NULL;
	if (high_pipe(ep)) {
		snprintf(status, sizeof status, "pipe=%s", strerror(errno));
		goto report;
	}
	pid = fork();
	if (pid == 0) {
		char *const envp[] = { "PATH=/usr/bin:/bin", NULL };
		int io[2], err = open(LLERR, O_WRONLY | O_CREAT | O_TRUNC, 0666);

		if (err < 0 || pipe(io) || dup2(io[0], 0) < 0 || dup2(io[1], 1) < 0 || dup2(err, 2) < 0) {
			st[0] = BST_FDS;
			goto fail;
		}
		close_fds_above(2, ep[1]);
		if (!owner && (setgroups(0, NULL) || setgid(USER_UID) || setuid(USER_UID))) {
			st[0] = BST_SETUID;
			goto fail;
		}
		execve(argv[0], argv, envp);
		st[0] = BST_EXEC;
fail:
		st[1] = errno;
		if (write(ep[1], st, sizeof st) < 0)
			_exit(255);
		_exit(255);
	}
	close(ep[1]);
	if (pid < 0) {
		snprintf(status, sizeof status, "fork=%s", strerror(errno));
		goto report;
	}
	got = read(ep[0], st, sizeof st);
	close(ep[0]);
	wst = wait_actor(pid);
	if (timed_out)
		snprintf(status, sizeof status, "timeout");
	else if (got == (ssize_t)sizeof st)
		snprintf(status, sizeof status, "launch=%s:%d", bstages[st[0]], st[1]);
	else if (WIFEXITED(wst) && WEXITSTATUS(wst) == 125) {
		char line[600] = "";
		FILE *f = fopen(LLERR, "r");

		if (f) {
			if (!fgets(line, sizeof line, f))
				line[0] = 0;
			fclose(f);
		}
		line[strcspn(line, "\n\t")] = 0;
		snprintf(status, sizeof status, "exit=125 (%s)", line[0] ? line : "karmor-loader run failed");
	} else if (WIFEXITED(wst))
		snprintf(status, sizeof status, "exit=%d", WEXITSTATUS(wst));
	else
		snprintf(status, sizeof status, "signal=%d", WTERMSIG(wst));
report:
	if (victim > 0) {
		kill(victim, SIGKILL);
		waitpid(victim, NULL, 0);
	}
	printf("R\t%s\t%s\t%s\t-\t-\n", sid, idx, status);
	fflush(stdout);
	return 0;
}

/* ---------------------------------------------------------------- load */

static int load_to(const char *dest, int n, char **files)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		struct stat st;
		char *buf = NULL;
		int fd = open(files[i], O_RDONLY), out;
		ssize_t w = -1;

		if (fd >= 0 && fstat(fd, &st) == 0 && (buf = malloc(st.st_size + 1)) &&
		    read(fd, buf, st.st_size) == st.st_size) {
			out = open(dest, O_WRONLY);
			if (out >= 0) {
				w = write(out, buf, st.st_size); /* one write: see top */
				close(out);
			}
		}
		if (w == st.st_size) {
			printf("LOAD\t%s\tok\n", files[i]);
		} else {
			printf("LOAD\t%s\t%s\n", files[i], strerror(errno));
			bad = 1;
		}
		free(buf);
		if (fd >= 0)
			close(fd);
	}
	fflush(stdout);
	return bad;
}

static int load(int n, char **files)
{
	return load_to(AAFS "/.replace", n, files);
}

/* One case per line, the fields of `case` TAB-separated.  Each case runs in a
 * forked child (no exec: cheap under emulation, and a crash of one case
 * cannot take the rest of the file with it). */
static int run_file(const char *file, int (*run)(char **))
{
	static char line[16384];
	FILE *f = fopen(file, "r");

	if (!f) {
		perror(file);
		return 1;
	}
	while (fgets(line, sizeof line, f)) {
		char *a[10], *p = line;
		int n = 0, wst;
		pid_t c;

		line[strcspn(line, "\n")] = 0;
		while (n < 10 && p) {
			a[n++] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = 0;
		}
		if (n != 10 || p) {
			printf("BADLINE\t%s\n", line);
			continue;
		}
		fflush(stdout);
		c = fork();
		if (c == 0)
			_exit(run(a));
		while (c > 0 && waitpid(c, &wst, 0) < 0 && errno == EINTR)
			;
		if (c < 0 || !WIFEXITED(wst))
			printf("R\t%s\t%s\tlauncher=%s\t-\t-\n", a[0], a[1],
			       c < 0 ? "fork failed" : strsignal(WTERMSIG(wst)));
	}
	fclose(f);
	fflush(stdout);
	return 0;
}

int main(int argc, char **argv)
{
	umask(0);
	if (argc >= 2 && !strcmp(argv[1], "load"))
		return load(argc - 2, argv + 2);
	if (argc == 12 && !strcmp(argv[1], "case"))
		return run_case(argv + 2);
	if (argc == 3 && !strcmp(argv[1], "cases"))
		return run_file(argv[2], run_case);
	if (argc == 3 && !strcmp(argv[1], "bpfcases"))
		return run_file(argv[2], run_bpf_case);
	if (argc == 4 && !strcmp(argv[1], "llcases")) {
		long abi = syscall(444, NULL, 0, 1u);

		printf("LLABI\t%ld\n", abi > 0 ? abi : 0);
		ll_dir = argv[3];
		copy_exes = 1;
		return run_file(argv[2], run_ll_case);
	}
	if (argc == 3 && !strcmp(argv[1], "seload"))
		return load_to(SEFS "/load", 1, argv + 2);
	if (argc == 4 && !strcmp(argv[1], "secases")) {
		selinux_rig = 1;
		selinux_labels = argv[3];
		return run_file(argv[2], run_case);
	}
	fprintf(stderr, "usage: launcher load FILE... | case SID IDX PROFILE OWNER SOURCE OP RESOURCE ARG PREP TARGET"
		" | cases FILE (lines of the case fields, TAB-separated) | bpfcases FILE (the same for the BPF-LSM rig)"
		" | seload FILE | secases FILE LABELS (the SELinux rig) | llcases FILE DIR (the Landlock rig)\n");
	return 2;
}
