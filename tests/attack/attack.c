/*
 * attack -- the attack suite's one program (tests/attack/vm.sh, issue 8).
 *
 * Each subcommand tries, as an attacker would, to reach a protected object
 * by one way around a rule (DESIGN §4.12).  Exit status:
 *   0  the attack SUCCEEDED (it read the secret, wrote the readOnly file, ran
 *      the blocked program, left its target, ...)
 *   1  it was refused somewhere on the way (the errno text is on stderr);
 *      whether the refusal came from the LSM is the harness's business (it
 *      requires the refusal's event)
 *   2  a setup error (bad arguments, a missing object)
 * A global `-w` before the subcommand makes the final access a write
 * (open O_WRONLY|O_APPEND + write) instead of a read.
 *
 * The same file also builds the suite's other programs:
 *   -DROLE_BLOCKED   the Blocked program: freestanding, static-pie, no libc
 *                    (so that it also runs as another program's ELF
 *                    interpreter, as a #! interpreter and under ld.so);
 *                    prints BLOCKED-PROGRAM-RAN and exits 0
 *   -DROLE_LAUNCHER  a program whose PT_INTERP is the Blocked program
 *                    (linked with -Wl,--dynamic-linker=PATH; never runs)
 *   -DROLE_TRUSTED   the fromSource program: reads /k/fs/secret
 * The rig's helpers are subcommands too (as, scm-serve, victim, audit-log,
 * audit-fence, aa-load).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#if defined(ROLE_BLOCKED)
/* ---------------------------------------------------------------- blocked */
static long sys3(long n, long a, long b, long c)
{
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
	return r;
}

void _start(void);
void _start(void)
{
	static const char m[] = "BLOCKED-PROGRAM-RAN\n";

	sys3(1, 1, (long)m, sizeof m - 1); /* write */
	sys3(231, 0, 0, 0);                /* exit_group(0) */
	for (;;)
		;
}
#elif defined(ROLE_LAUNCHER)
/* ---------------------------------------------------------------- launcher */
int main(void)
{
	return 3; /* never runs: the kernel starts the interpreter instead */
}
#else
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/audit.h>
#include <linux/bpf.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#define K_CLONE_INTO_CGROUP 0x200000000ULL

static int wmode; /* -w: the final access is a write */

static int refused(const char *what)
{
	fprintf(stderr, "refused: %s: %s\n", what, strerror(errno));
	return 1;
}

static int setup_err(const char *what)
{
	fprintf(stderr, "setup: %s: %s\n", what, strerror(errno));
	return 2;
}

/* The final access: read the file (success = bytes came back) or, with -w,
 * append to it. */
static int reach_fd(int fd, const char *what)
{
	char buf[256];
	ssize_t n;

	if (wmode) {
		if (write(fd, "X\n", 2) != 2)
			return refused(what);
		printf("wrote %s\n", what);
		return 0;
	}
	n = read(fd, buf, sizeof buf - 1);
	if (n < 0)
		return refused(what);
	if (n == 0) {
		fprintf(stderr, "refused: %s: read nothing\n", what);
		return 1;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("read %s: %s\n", what, buf);
	return 0;
}

static int reach_at(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, wmode ? O_WRONLY | O_APPEND : O_RDONLY);
	int r;

	if (fd < 0)
		return refused(path);
	r = reach_fd(fd, path);
	close(fd);
	return r;
}

static int reach(const char *path) { return reach_at(AT_FDCWD, path); }

static int private_ns(void)
{
	if (unshare(CLONE_NEWNS))
		return refused("unshare(CLONE_NEWNS)");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return refused("mount --make-rprivate /");
	return 0;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -1;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		r = -1;
	close(fd);
	return r;
}

/* user namespace with the caller as root in it */
static int enter_userns(int extra)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWUSER | extra))
		return refused("unshare(CLONE_NEWUSER)");
	snprintf(map, sizeof map, "0 %u 1", (unsigned)uid);
	if (write_file("/proc/self/uid_map", map))
		return refused("uid_map");
	if (write_file("/proc/self/setgroups", "deny"))
		return refused("setgroups");
	snprintf(map, sizeof map, "0 %u 1", (unsigned)gid);
	if (write_file("/proc/self/gid_map", map))
		return refused("gid_map");
	return 0;
}

/* fork + exec; 0 when the program ran and exited 0 */
static int run(char *const argv[])
{
	int p[2], st, e = 0;
	pid_t pid;

	fflush(stdout);
	if (pipe2(p, O_CLOEXEC))
		return setup_err("pipe");
	pid = fork();
	if (pid < 0)
		return setup_err("fork");
	if (pid == 0) {
		execv(argv[0], argv);
		e = errno;
		if (write(p[1], &e, sizeof e) < 0)
			_exit(126);
		_exit(127);
	}
	close(p[1]);
	if (read(p[0], &e, sizeof e) == sizeof e) {
		waitpid(pid, &st, 0);
		errno = e;
		return refused(argv[0]);
	}
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	fprintf(stderr, "refused: %s ran but failed (status 0x%x)\n", argv[0], st);
	return 1;
}

/* ---------------------------------------------------------------- mounts */

/* chroot: chroot(2) into DIR, then FILE relative to the new root */
static int t_chroot(char **a)
{
	if (chroot(a[0]))
		return refused("chroot");
	if (chdir("/"))
		return setup_err("chdir /");
	return reach(a[1]);
}

/* bind: mount --bind SRC on DST, then DST/FILE */
static int t_bind(char **a)
{
	char p[4096];

	if (mount(a[0], a[1], NULL, MS_BIND, NULL))
		return refused("mount --bind");
	snprintf(p, sizeof p, "%s/%s", a[1], a[2]);
	return reach(p);
}

/* open-tree: a detached clone of DIR's mount tree, FILE through its fd */
static int t_open_tree(char **a)
{
	int fd = (int)syscall(SYS_open_tree, AT_FDCWD, a[0], OPEN_TREE_CLONE | AT_RECURSIVE | O_CLOEXEC);

	if (fd < 0)
		return refused("open_tree(OPEN_TREE_CLONE)");
	return reach_at(fd, a[1]);
}

/* move-mount: an open_tree clone of DIR attached on DST with move_mount */
static int t_move_mount(char **a)
{
	char p[4096];
	int fd = (int)syscall(SYS_open_tree, AT_FDCWD, a[0], OPEN_TREE_CLONE | O_CLOEXEC);

	if (fd < 0)
		return refused("open_tree(OPEN_TREE_CLONE)");
	if (syscall(SYS_move_mount, fd, "", AT_FDCWD, a[1], MOVE_MOUNT_F_EMPTY_PATH))
		return refused("move_mount");
	snprintf(p, sizeof p, "%s/%s", a[1], a[2]);
	return reach(p);
}

/* pivot-root: in a new mount namespace NEWROOT becomes / (PUTOLD below it) */
static int t_pivot_root(char **a)
{
	char old[4096];
	int r = private_ns();

	if (r)
		return r;
	if (mount(a[0], a[0], NULL, MS_BIND | MS_REC, NULL))
		return refused("mount --bind NEWROOT NEWROOT");
	snprintf(old, sizeof old, "%s/%s", a[0], a[1]);
	if (syscall(SYS_pivot_root, a[0], old))
		return refused("pivot_root");
	if (chdir("/"))
		return setup_err("chdir /");
	return reach(a[2]);
}

/* unshare-mnt-bind: a new mount namespace, then bind */
static int t_unshare_bind(char **a)
{
	int r = private_ns();

	return r ? r : t_bind(a);
}

/* userns: creating a user namespace at all */
static int t_userns(char **a)
{
	(void)a;
	if (unshare(CLONE_NEWUSER))
		return refused("unshare(CLONE_NEWUSER)");
	puts("in a new user namespace");
	return 0;
}

/* userns-chroot: root in a new user namespace, then chroot */
static int t_userns_chroot(char **a)
{
	int r = enter_userns(0);

	return r ? r : t_chroot(a);
}

/* userns-mount: root in new user + mount namespaces, then bind */
static int t_userns_mount(char **a)
{
	int r = enter_userns(CLONE_NEWNS);

	if (r)
		return r;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return refused("mount --make-rprivate /");
	return t_bind(a);
}

/* spoof: bind this very program over the fromSource program TRUSTED (in a
 * private mount namespace) and run it, as TRUSTED, on FILE */
static int t_spoof(char **a)
{
	char *argv[] = { a[0], wmode ? "-w" : "cat", wmode ? "cat" : a[1], wmode ? a[1] : NULL, NULL };
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	int r;

	if (n <= 0)
		return setup_err("readlink /proc/self/exe");
	self[n] = 0;
	/* by path, in the new namespace (/proc/self/exe names a mount of the old one) */
	r = private_ns();
	if (r)
		return r;
	if (mount(self, a[0], NULL, MS_BIND, NULL))
		return refused("mount --bind SELF TRUSTED");
	return run(argv);
}

/* ---------------------------------------------------------------- renames */

/* rename-parent: rename DIR to NEWDIR, reach NEWDIR/FILE, rename it back */
static int t_rename_parent(char **a)
{
	char p[4096];
	int r;

	if (rename(a[0], a[1]))
		return refused("rename DIR NEWDIR");
	snprintf(p, sizeof p, "%s/%s", a[1], a[2]);
	r = reach(p);
	if (rename(a[1], a[0]))
		fprintf(stderr, "note: rename back: %s\n", strerror(errno));
	return r;
}

/* ---------------------------------------------------------------- descriptors */

static int fdarg(const char *s)
{
	return atoi(s);
}

/* fd-read: read (pread at 0: the rig's checks share the descriptor and its
 * offset) or, with -w, write an inherited descriptor */
static int t_fd(char **a)
{
	char buf[256];
	ssize_t n;

	if (wmode)
		return reach_fd(fdarg(a[0]), "inherited descriptor");
	n = pread(fdarg(a[0]), buf, sizeof buf - 1, 0);
	if (n <= 0) {
		if (n == 0)
			errno = ENODATA;
		return refused("pread inherited descriptor");
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("read inherited descriptor: %s\n", buf);
	return 0;
}

static int mmap_fd(int fd, int write_it)
{
	struct stat st;
	char *m;

	if (fstat(fd, &st))
		return refused("fstat");
	if (st.st_size < 1) {
		fprintf(stderr, "setup: the file is empty\n");
		return 2;
	}
	if (!write_it) {
		m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED)
			return refused("mmap(PROT_READ, MAP_PRIVATE)");
		printf("mapped: %.*s\n", (int)strcspn(m, "\n") > 64 ? 64 : (int)strcspn(m, "\n"), m);
		return 0;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return refused("mmap(PROT_WRITE, MAP_SHARED)");
	m[0] = m[0] == 'M' ? 'm' : 'M';
	if (msync(m, (size_t)st.st_size, MS_SYNC))
		return refused("msync");
	puts("changed the first byte through a shared mapping");
	return 0;
}

/* mmap-read FD: PROT_READ MAP_PRIVATE of an inherited descriptor */
static int t_mmap_read(char **a) { return mmap_fd(fdarg(a[0]), 0); }

/* mmap-write FD: PROT_WRITE MAP_SHARED of an inherited descriptor + msync */
static int t_mmap_write(char **a) { return mmap_fd(fdarg(a[0]), 1); }

static socklen_t abstract(struct sockaddr_un *u, const char *name)
{
	memset(u, 0, sizeof *u);
	u->sun_family = AF_UNIX;
	strncpy(u->sun_path + 1, name, sizeof u->sun_path - 2);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(u->sun_path + 1));
}

/* scm-serve NAME PATH r|rw (the rig, unconfined): sends one descriptor of
 * PATH to the first client of the abstract unix socket @NAME */
static int t_scm_serve(char **a)
{
	struct sockaddr_un u;
	socklen_t len = abstract(&u, a[0]);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), c;
	int fd = open(a[1], strcmp(a[2], "rw") ? O_RDONLY : O_RDWR);
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte = 'f';
	struct iovec io = { &byte, 1 };
	struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm;

	if (s < 0 || fd < 0 || bind(s, (struct sockaddr *)&u, len) || listen(s, 1))
		return setup_err("scm-serve");
	puts("listening");
	fflush(stdout);
	alarm(30);
	c = accept(s, NULL, NULL);
	if (c < 0)
		return setup_err("accept");
	memset(cbuf, 0, sizeof cbuf);
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	if (sendmsg(c, &m, 0) != 1)
		return setup_err("sendmsg");
	return 0;
}

/* scm-read|scm-mmap-read|scm-mmap-write NAME: a descriptor received over a
 * unix socket from an unconfined helper, then used */
static int t_scm(const char *mode, char **a)
{
	struct sockaddr_un u;
	socklen_t len = abstract(&u, a[0]);
	char cbuf[CMSG_SPACE(sizeof(int))], byte;
	struct iovec io = { &byte, 1 };
	struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
	struct cmsghdr *cm;
	int s = -1, fd, i;

	for (i = 0; i < 300; i++) { /* the helper may not listen yet */
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			return refused("socket(AF_UNIX)");
		if (!connect(s, (struct sockaddr *)&u, len))
			break;
		if (errno != ECONNREFUSED && errno != ENOENT)
			return refused("connect");
		close(s);
		s = -1;
		usleep(20000);
	}
	if (s < 0)
		return setup_err("no helper on the socket");
	if (recvmsg(s, &m, MSG_CMSG_CLOEXEC) != 1)
		return refused("recvmsg");
	cm = CMSG_FIRSTHDR(&m);
	if (!cm || cm->cmsg_type != SCM_RIGHTS) {
		fprintf(stderr, "refused: no descriptor came with the message%s\n",
			(m.msg_flags & MSG_CTRUNC) ? " (MSG_CTRUNC: the kernel dropped it)" : "");
		return 1;
	}
	memcpy(&fd, CMSG_DATA(cm), sizeof fd);
	if (!strcmp(mode, "read"))
		return reach_fd(fd, "received descriptor");
	return mmap_fd(fd, !strcmp(mode, "mmap-write"));
}

/* proc-fd FD: reopen /proc/self/fd/FD (a file deleted or replaced since) */
static int t_proc_fd(char **a)
{
	char p[64];

	snprintf(p, sizeof p, "/proc/self/fd/%d", fdarg(a[0]));
	return reach(p);
}

/* proc-fd-exec FD: execute /proc/self/fd/FD (a program replaced since) */
static int t_proc_fd_exec(char **a)
{
	char p[64];
	char *argv[] = { p, NULL };

	snprintf(p, sizeof p, "/proc/self/fd/%d", fdarg(a[0]));
	return run(argv);
}

/* fifo PATH: open an existing named FIFO O_RDWR|O_NONBLOCK, pass a byte */
static int t_fifo(char **a)
{
	char c = 's';
	int fd = open(a[0], O_RDWR | O_NONBLOCK);

	if (fd < 0)
		return refused("open FIFO");
	if (write(fd, &c, 1) != 1)
		return refused("write FIFO");
	if (read(fd, &c, 1) != 1)
		return refused("read FIFO");
	puts("passed a byte through the FIFO");
	return 0;
}

/* mkfifo PATH: create a named FIFO (in a readOnly or Blocked dir) */
static int t_mkfifo(char **a)
{
	if (mkfifo(a[0], 0666))
		return refused("mkfifo");
	puts("made the FIFO");
	return 0;
}

/* ---------------------------------------------------------------- exec */

/* exec PROGRAM [ARGS]: run it (the plain exec, for the controls) */
static int t_exec(char **a) { return run(a); }

/* ldso LDSO PROGRAM: the dynamic loader runs the blocked program */
static int t_ldso(char **a)
{
	char *argv[] = { a[0], a[1], NULL };

	return run(argv);
}

/* interp LAUNCHER: a program whose PT_INTERP is the blocked program */
static int t_interp(char **a)
{
	char *argv[] = { a[0], NULL };

	return run(argv);
}

/* script PATH: a #! script whose interpreter is the blocked program */
static int t_script(char **a) { return t_interp(a); }

/* ---------------------------------------------------------------- /proc */

/* proc-ns PID NS: open /proc/PID/ns/NS */
static int t_proc_ns(char **a)
{
	char p[128];
	int fd;

	snprintf(p, sizeof p, "/proc/%s/ns/%s", a[0], a[1]);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return refused(p);
	printf("opened %s\n", p);
	return 0;
}

/* ---------------------------------------------------------------- network */

static int sock(int fam, int type, int proto, const char *what)
{
	int s = socket(fam, type, proto);

	if (s < 0)
		return refused(what);
	printf("made a %s socket\n", what);
	return 0;
}

/* raw-icmp: socket(AF_INET, SOCK_RAW, IPPROTO_ICMP) */
static int t_raw_icmp(char **a) { (void)a; return sock(AF_INET, SOCK_RAW, IPPROTO_ICMP, "AF_INET SOCK_RAW ICMP"); }
/* raw-icmpv6: socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6) */
static int t_raw_icmpv6(char **a) { (void)a; return sock(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6, "AF_INET6 SOCK_RAW ICMPV6"); }
/* raw-ip: socket(AF_INET, SOCK_RAW, IPPROTO_RAW) */
static int t_raw_ip(char **a) { (void)a; return sock(AF_INET, SOCK_RAW, IPPROTO_RAW, "AF_INET SOCK_RAW IPPROTO_RAW"); }
/* packet: socket(AF_PACKET, SOCK_RAW, 0) */
static int t_packet(char **a) { (void)a; return sock(AF_PACKET, SOCK_RAW, 0, "AF_PACKET SOCK_RAW"); }
/* udp: socket(AF_INET, SOCK_DGRAM, 0) (a control: no rule names it) */
static int t_udp(char **a) { (void)a; return sock(AF_INET, SOCK_DGRAM, 0, "AF_INET SOCK_DGRAM"); }

/* ---------------------------------------------------------------- leaving the target */

/* cgroup-escape CGDIR FILE: move itself to another cgroup, then FILE */
static int t_cgroup_escape(char **a)
{
	char p[4096], pid[32];

	snprintf(p, sizeof p, "%s/cgroup.procs", a[0]);
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	if (write_file(p, pid))
		return refused("write cgroup.procs");
	return reach(a[1]);
}

struct k_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};

/* clone-into-cgroup CGDIR FILE: clone3(CLONE_INTO_CGROUP), the child reads */
static int t_clone_into_cgroup(char **a)
{
	struct k_clone_args ca;
	int cg = open(a[0], O_DIRECTORY | O_CLOEXEC), st;
	long pid;

	if (cg < 0)
		return refused("open CGDIR");
	memset(&ca, 0, sizeof ca);
	ca.flags = K_CLONE_INTO_CGROUP;
	ca.exit_signal = SIGCHLD;
	ca.cgroup = (uint64_t)cg;
	fflush(stdout);
	pid = syscall(SYS_clone3, &ca, sizeof ca);
	if (pid < 0)
		return refused("clone3(CLONE_INTO_CGROUP)");
	if (pid == 0)
		_exit(reach(a[1]));
	waitpid((pid_t)pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 2;
}

/* pin_rename, pin_unlink, pin_get: one technique on one pin; 0 when it worked */
static int pin_rename(const char *p)
{
	char q[4200];

	snprintf(q, sizeof q, "%s.moved", p);
	if (rename(p, q))
		return -1;
	if (rename(q, p))
		fprintf(stderr, "note: rename back %s: %s\n", q, strerror(errno));
	return 0;
}

static int pin_unlink(const char *p)
{
	return unlink(p) && rmdir(p) ? -1 : 0;
}

static int pin_get(const char *p)
{
	union bpf_attr at;
	long fd;

	memset(&at, 0, sizeof at);
	at.pathname = (uint64_t)(uintptr_t)p;
	fd = syscall(SYS_bpf, BPF_OBJ_GET, &at, sizeof at);
	if (fd < 0)
		return -1;
	close((int)fd);
	return 0;
}

/* every pin under DIR through one technique: 0 when any worked, 1 when all
 * were refused, 2 when there was nothing to try */
static int each_pin(const char *dir, int (*technique)(const char *), const char *done_what)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[4096];
	int done = 0, tried = 0;

	if (!d)
		return refused("opendir");
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		tried++;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		if (technique(p))
			refused(p);
		else
			done++;
	}
	closedir(d);
	if (!tried) {
		fprintf(stderr, "setup: nothing under %s\n", dir);
		return 2;
	}
	printf("%s %d of %d pins\n", done_what, done, tried);
	return done ? 0 : 1;
}

/* unpin DIR: rename every pin under DIR away and back (the pins stay) */
static int t_unpin(char **a) { return each_pin(a[0], pin_rename, "renamed"); }
/* unpin-unlink DIR: unlink every pin under DIR (destructive: run it last) */
static int t_unpin_unlink(char **a) { return each_pin(a[0], pin_unlink, "removed"); }
/* bpf-get DIR: bpf(BPF_OBJ_GET) on every pin under DIR */
static int t_bpf_get(char **a) { return each_pin(a[0], pin_get, "got"); }

/* aa-remove PROFILE: remove a loaded AppArmor profile (destructive: last) */
static int t_aa_remove(char **a)
{
	if (write_file("/sys/kernel/security/apparmor/.remove", a[0]))
		return refused(".remove");
	puts("removed the profile");
	return 0;
}

/* ---------------------------------------------------------------- ptrace */

static char victim_secret[64] = "SECRET-victim-memory";

/* victim FILE (the rig): an outside task holding a secret; "PID ADDR" to FILE */
static int t_victim(char **a)
{
	char s[64];
	int fd;

	snprintf(s, sizeof s, "%d %lx\n", (int)getpid(), (unsigned long)(uintptr_t)victim_secret);
	fd = open(a[0], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, s, strlen(s)) < 0)
		return setup_err("victim file");
	close(fd);
	for (;;)
		pause();
}

/* ptrace-attach PID / ptrace-seize PID */
static int t_ptrace(char **a, int req)
{
	pid_t pid = (pid_t)atoi(a[0]);

	if (ptrace(req, pid, 0, 0))
		return refused(req == PTRACE_SEIZE ? "PTRACE_SEIZE" : "PTRACE_ATTACH");
	printf("traced %d\n", (int)pid);
	if (req == PTRACE_ATTACH)
		waitpid(pid, NULL, __WALL);
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return 0;
}
static int t_ptrace_attach(char **a) { return t_ptrace(a, PTRACE_ATTACH); }
static int t_ptrace_seize(char **a) { return t_ptrace(a, PTRACE_SEIZE); }

static int got_secret(const char *buf, const char *what)
{
	if (strncmp(buf, "SECRET", 6)) {
		fprintf(stderr, "refused: %s: no secret in what came back\n", what);
		return 1;
	}
	printf("read %s: %.20s\n", what, buf);
	return 0;
}

/* vm-readv PID ADDR: process_vm_readv of the victim's secret */
static int t_vm_readv(char **a)
{
	char buf[32] = { 0 };
	struct iovec l = { buf, 20 }, r = { (void *)(uintptr_t)strtoul(a[1], NULL, 16), 20 };

	if (process_vm_readv((pid_t)atoi(a[0]), &l, 1, &r, 1, 0) != 20)
		return refused("process_vm_readv");
	return got_secret(buf, "process_vm_readv");
}

/* proc-mem PID ADDR: /proc/PID/mem at the victim's secret */
static int t_proc_mem(char **a)
{
	char p[64], buf[32] = { 0 };
	int fd;

	snprintf(p, sizeof p, "/proc/%s/mem", a[0]);
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return refused(p);
	if (pread(fd, buf, 20, (off_t)strtoul(a[1], NULL, 16)) != 20)
		return refused("pread /proc/PID/mem");
	return got_secret(buf, p);
}

/* proc-environ PID: /proc/PID/environ */
static int t_proc_environ(char **a)
{
	char p[64];

	snprintf(p, sizeof p, "/proc/%s/environ", a[0]);
	return reach(p);
}

/* ---------------------------------------------------------------- metadata */

/* setxattr FILE: trusted.x (tmpfs has only trusted. and security.) */
static int t_setxattr(char **a)
{
	if (setxattr(a[0], "trusted.x", "attack", 6, 0))
		return refused("setxattr trusted.x");
	puts("set trusted.x");
	return 0;
}

/* utime-set FILE: utimensat with explicit times */
static int t_utime_set(char **a)
{
	struct timespec t[2] = { { 12345, 0 }, { 12345, 0 } };

	if (utimensat(AT_FDCWD, a[0], t, 0))
		return refused("utimensat(times)");
	puts("set the times");
	return 0;
}

/* utime-now FILE: utimensat with NULL (now) */
static int t_utime_now(char **a)
{
	if (utimensat(AT_FDCWD, a[0], NULL, 0))
		return refused("utimensat(NULL)");
	puts("touched the times");
	return 0;
}

/* cat FILE: the plain read (or, with -w, write) */
static int t_cat(char **a) { return reach(a[0]); }

/* ---------------------------------------------------------------- rig helpers */

/* as UID PROFILE|- CGROUP|- -- CMD...: join CGROUP, change_onexec to
 * PROFILE, drop to UID, exec CMD (the subject of a check) */
static int t_as(char **a)
{
	char buf[512];
	uid_t uid = (uid_t)atoi(a[0]);

	if (strcmp(a[2], "-")) {
		snprintf(buf, sizeof buf, "%s/cgroup.procs", a[2]);
		char pid[32];
		snprintf(pid, sizeof pid, "%d", (int)getpid());
		if (write_file(buf, pid))
			return setup_err("join the cgroup");
	}
	if (strcmp(a[1], "-")) {
		snprintf(buf, sizeof buf, "exec %s", a[1]);
		if (write_file("/proc/self/attr/exec", buf))
			return setup_err("change_onexec");
	}
	if (uid) {
		gid_t g = (gid_t)uid;

		if (setgroups(1, &g) || setgid(g) || setuid(uid))
			return setup_err("setuid");
	}
	if (strcmp(a[3], "--")) {
		fprintf(stderr, "setup: as: -- expected\n");
		return 2;
	}
	execv(a[4], a + 4);
	return setup_err(a[4]);
}

static int audit_sock(int groups)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = (unsigned)groups };
	int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT), sz = 4 << 20;

	if (s < 0)
		return -1;
	setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz);
	if (bind(s, (struct sockaddr *)&sa, sizeof sa)) {
		close(s);
		return -1;
	}
	return s;
}

/* audit-log FILE (the rig, in the background): every audit record from the
 * multicast group, one a line, to FILE (the kernel's printk of audit records
 * is rate-limited, the multicast group is not) */
static int t_audit_log(char **a)
{
	static char buf[1 << 16];
	int s = audit_sock(1 << (AUDIT_NLGRP_READLOG - 1));
	FILE *f = fopen(a[0], "a");

	if (s < 0 || !f)
		return setup_err("audit-log");
	setvbuf(f, NULL, _IOLBF, 0);
	fprintf(f, "audit-log ready\n");
	for (;;) {
		ssize_t len = recv(s, buf, sizeof buf, 0);
		int rem = (int)len;

		if (len < 0) {
			if (errno == ENOBUFS)
				fprintf(f, "ENOBUFS: audit records lost\n");
			else if (errno != EINTR)
				return setup_err("recv");
			continue;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, rem); h = NLMSG_NEXT(h, rem)) {
			char *d = NLMSG_DATA(h);
			size_t n = h->nlmsg_len - NLMSG_HDRLEN;

			for (size_t i = 0; i < n; i++)
				if (d[i] == '\n' || d[i] == '\t' || d[i] == 0)
					d[i] = ' ';
			fprintf(f, "type=%d %.*s\n", h->nlmsg_type, (int)n, d);
		}
	}
}

/* audit-fence TOKEN FILE: send an AUDIT_USER_AVC record with TOKEN and wait
 * until audit-log has written it to FILE: every record queued before it has
 * been written then (kauditd keeps the order) */
static int t_audit_fence(char **a)
{
	struct {
		struct nlmsghdr h;
		char data[256];
	} m;
	struct sockaddr_nl k = { .nl_family = AF_NETLINK };
	size_t n = strlen(a[0]) + 1;
	int s = audit_sock(0);
	static char buf[1 << 20];

	if (s < 0 || n > sizeof m.data)
		return setup_err("audit-fence");
	memset(&m, 0, sizeof m);
	m.h.nlmsg_len = NLMSG_LENGTH(n);
	m.h.nlmsg_type = AUDIT_USER_AVC;
	m.h.nlmsg_flags = NLM_F_REQUEST;
	memcpy(m.data, a[0], n);
	if (sendto(s, &m, m.h.nlmsg_len, 0, (struct sockaddr *)&k, sizeof k) < 0)
		return setup_err("sendto audit");
	for (int i = 0; i < 1000; i++) {
		int fd = open(a[1], O_RDONLY);
		ssize_t len;
		off_t end;

		if (fd < 0)
			return setup_err(a[1]);
		end = lseek(fd, 0, SEEK_END);
		len = pread(fd, buf, sizeof buf - 1, end > (off_t)sizeof buf - 1 ? end - (off_t)sizeof buf + 1 : 0);
		close(fd);
		if (len > 0) {
			buf[len] = 0;
			if (strstr(buf, a[0]))
				return 0;
		}
		usleep(10000);
	}
	fprintf(stderr, "setup: the fence %s never came back\n", a[0]);
	return 2;
}

/* aa-load FILE...: load precompiled AppArmor policy, one write per file */
static int t_aa_load(char **a)
{
	for (; *a; a++) {
		static char buf[1 << 22];
		int fd = open(*a, O_RDONLY), out;
		ssize_t n;

		if (fd < 0)
			return setup_err(*a);
		n = read(fd, buf, sizeof buf);
		close(fd);
		out = open("/sys/kernel/security/apparmor/.replace", O_WRONLY);
		if (n <= 0 || out < 0 || write(out, buf, (size_t)n) != n)
			return setup_err(*a);
		close(out);
	}
	return 0;
}

static const struct {
	const char *name;
	int nargs; /* -1: one or more */
	int (*fn)(char **);
} cmds[] = {
	{ "cat", 1, t_cat },
	{ "exec", -1, t_exec },
	{ "chroot", 2, t_chroot },
	{ "bind", 3, t_bind },
	{ "open-tree", 2, t_open_tree },
	{ "move-mount", 3, t_move_mount },
	{ "pivot-root", 3, t_pivot_root },
	{ "unshare-mnt-bind", 3, t_unshare_bind },
	{ "userns", 0, t_userns },
	{ "userns-chroot", 2, t_userns_chroot },
	{ "userns-mount", 3, t_userns_mount },
	{ "spoof", 2, t_spoof },
	{ "rename-parent", 3, t_rename_parent },
	{ "fd-read", 1, t_fd },
	{ "mmap-read", 1, t_mmap_read },
	{ "mmap-write", 1, t_mmap_write },
	{ "scm-serve", 3, t_scm_serve },
	{ "proc-fd", 1, t_proc_fd },
	{ "proc-fd-exec", 1, t_proc_fd_exec },
	{ "fifo", 1, t_fifo },
	{ "mkfifo", 1, t_mkfifo },
	{ "ldso", 2, t_ldso },
	{ "interp", 1, t_interp },
	{ "script", 1, t_script },
	{ "proc-ns", 2, t_proc_ns },
	{ "raw-icmp", 0, t_raw_icmp },
	{ "raw-icmpv6", 0, t_raw_icmpv6 },
	{ "raw-ip", 0, t_raw_ip },
	{ "packet", 0, t_packet },
	{ "udp", 0, t_udp },
	{ "cgroup-escape", 2, t_cgroup_escape },
	{ "clone-into-cgroup", 2, t_clone_into_cgroup },
	{ "unpin", 1, t_unpin },
	{ "unpin-unlink", 1, t_unpin_unlink },
	{ "bpf-get", 1, t_bpf_get },
	{ "aa-remove", 1, t_aa_remove },
	{ "victim", 1, t_victim },
	{ "ptrace-attach", 1, t_ptrace_attach },
	{ "ptrace-seize", 1, t_ptrace_seize },
	{ "vm-readv", 2, t_vm_readv },
	{ "proc-mem", 2, t_proc_mem },
	{ "proc-environ", 1, t_proc_environ },
	{ "setxattr", 1, t_setxattr },
	{ "utime-set", 1, t_utime_set },
	{ "utime-now", 1, t_utime_now },
	{ "as", -1, t_as },
	{ "audit-log", 1, t_audit_log },
	{ "audit-fence", 2, t_audit_fence },
	{ "aa-load", -1, t_aa_load },
};

int main(int argc, char **argv)
{
	int i = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
#ifdef ROLE_TRUSTED
	/* the fromSource program: reads the file only it may read */
	(void)argc;
	(void)argv;
	return reach("/k/fs/secret");
#endif
	if (i < argc && !strcmp(argv[i], "-w")) {
		wmode = 1;
		i++;
	}
	if (i < argc) {
		for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++) {
			if (strcmp(argv[i], cmds[c].name))
				continue;
			if ((cmds[c].nargs >= 0 && argc - i - 1 != cmds[c].nargs) || (cmds[c].nargs < 0 && argc - i - 1 < 1)) {
				fprintf(stderr, "attack %s: wrong number of arguments\n", argv[i]);
				return 2;
			}
			return cmds[c].fn(argv + i + 1);
		}
		if (!strncmp(argv[i], "scm-", 4) && argc - i - 1 == 1 &&
		    (!strcmp(argv[i] + 4, "read") || !strcmp(argv[i] + 4, "mmap-read") || !strcmp(argv[i] + 4, "mmap-write")))
			return t_scm(argv[i] + 4, argv + i + 1);
	}
	fprintf(stderr, "usage: attack [-w] SUBCOMMAND ARGS (see tests/attack/README)\n");
	return 2;
}
#endif
