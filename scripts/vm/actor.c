/*
 * actor -- the acting program of a vmtest case (scripts/vmtest, issue 3).
 *
 * Inside the test VM every case's `source` executable is a hard link to this
 * static binary, so the kernel sees the case's source path as the executable
 * (AppArmor mediates by path).  It performs exactly ONE operation and reports
 * the kernel's answer through its exit status only, because it must write
 * nothing: any file it touched besides the operation itself could be mediated
 * by the profile under test and add audit records that belong to no case.
 *
 *   actor                              (no arguments) exit 0.  This is the role
 *                                      of an exec case's resource: exec
 *                                      RESOURCE runs another link to this file.
 *   actor exec PATH                    execve(PATH) (no fork: the pid, which the
 *                                      launcher matches audit records by, stays)
 *   actor read PATH                    open O_RDONLY + read 1 byte (getdents on
 *                                      a directory)
 *   actor write PATH                   open O_WRONLY|O_APPEND + write 1 byte
 *   actor create PATH                  the creation of PATH, which the launcher
 *                                      removed (DESIGN §4.11): mkdir when PATH
 *                                      ends in '/', else open O_WRONLY|O_CREAT|
 *                                      O_EXCL + write 1 byte
 *   actor network PROTO                socket() of that protocol (table below)
 *   actor capability NAME [PID]        one syscall that needs exactly NAME
 *   actor syscall NAME PATH            that syscall on PATH
 *
 * With VMT_SYNC=1 in the environment (the BPF-LSM rig): before the operation
 * the actor writes one byte to fd 3 ("started") and waits for one byte on
 * fd 4 ("go"); meanwhile the launcher moves it into the target's cgroup.  So
 * the exec of the actor itself happens outside the target (it is no case's
 * operation), and the kernel has still recorded the actor's path as the
 * task's executable.  Both fds are pipes (no LSM hook judges a pipe by
 * path); both reads and writes happen before the move, and the fds are closed
 * before the operation.
 *
 * Exit status:
 *   0        the operation succeeded
 *   1..127   it failed with this errno (EACCES 13 / EPERM 1 = refused)
 *   128+E    the kernel let it past every security check and it then failed
 *            with errno E for a reason of its own that this rig expects (e.g.
 *            EPROTONOSUPPORT for a socket protocol that is a module in the
 *            guest kernel: the LSM socket_create hook runs before the
 *            protocol lookup); reported as permitted, with E in the detail
 *   250      the rig has no way to perform this op/resource (FAIL, not a skip)
 *   251      a setup step of the actor itself failed
 *   252      a network capability could not be tried: the profile's network
 *            rules refused every socket it could be used on
 *
 * Built with `cc -static -O2`: the guest has no libc of its own, and a static
 * binary needs no file access (no ld.so, no libc.so) to start, so a profile
 * under test needs no rules for the actor's own start-up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <netinet/in.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <linux/capability.h>
#include <linux/reboot.h>
#include <time.h>
#include <unistd.h>

#define EXIT_PAST_LSM 128
#define EXIT_UNSUPPORTED 250
#define EXIT_SETUP 251
#define EXIT_NOSOCKET 252

/* A file owned by uid 1234 with mode 0000, made by the launcher: opening it
 * needs CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH, chmod needs CAP_FOWNER. */
#define CAPFILE "/.vmt/cap/nobody-0000"

static int ret(long r)
{
	if (r >= 0)
		return 0;
	return errno > 0 && errno < 128 ? errno : EXIT_SETUP;
}

/* errno values that can only come after the LSM hook of the op */
static int past_lsm(long r, const int *errs)
{
	if (r >= 0)
		return 0;
	for (; *errs; errs++)
		if (errno == *errs)
			return EXIT_PAST_LSM + errno;
	return ret(r);
}

static int do_read(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd < 0) {
		/* /dev/tty without a controlling terminal: ENXIO comes from the
		 * driver's open, after security_file_open */
		static const int errs[] = { ENXIO, ENODEV, 0 };
		return past_lsm(-1, errs);
	}
	/* no fstat() to tell a directory: AppArmor would audit the getattr
	 * as a second record of an audited read */
	r = read(fd, buf, 1);
	if (r < 0 && errno == EISDIR)
		return ret(syscall(SYS_getdents64, fd, buf, sizeof buf));
	return ret(r);
}

static int do_write(const char *path)
{
	/* O_APPEND: the ops the scenarios model are `echo x >> F`; AppArmor
	 * asks for `a` here, which `w` grants and `deny w` refuses. */
	int fd = open(path, O_WRONLY | O_APPEND);

	if (fd < 0) {
		static const int errs[] = { ENXIO, ENODEV, 0 };
		return past_lsm(-1, errs);
	}
	return ret(write(fd, "x", 1));
}

static int do_create(const char *path)
{
	size_t n = strlen(path);
	int fd;

	if (n > 1 && path[n - 1] == '/')
		return ret(mkdir(path, 0777));
	/* O_EXCL: the open must create the file; EEXIST means the rig failed
	 * to remove it, which the host reports as a failure, not a verdict */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
	if (fd < 0)
		return ret(fd);
	return ret(write(fd, "x", 1));
}

struct proto {
	const char *name;
	int family, type, protocol;
};

/* What a program that "uses PROTOCOL" creates.  On the 6.1 kernel AppArmor
 * decides socket creation by (family, type) only; the protocol is not part of
 * the match there. */
static const struct proto protos[] = {
	{ "tcp", AF_INET, SOCK_STREAM, IPPROTO_TCP },
	{ "udp", AF_INET, SOCK_DGRAM, IPPROTO_UDP },
	/* ping as root (containers run ping as root): a raw ICMP socket; this
	 * also needs CAP_NET_RAW (inet_create checks it after the LSM hook) */
	{ "icmp", AF_INET, SOCK_RAW, IPPROTO_ICMP },
	{ "icmpv6", AF_INET6, SOCK_RAW, IPPROTO_ICMPV6 },
	{ "raw", AF_INET, SOCK_RAW, IPPROTO_RAW },
	{ "sctp", AF_INET, SOCK_STREAM, IPPROTO_SCTP },
	{ "udplite", AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE },
	{ "stream", AF_INET, SOCK_STREAM, 0 },
	{ "dgram", AF_INET, SOCK_DGRAM, 0 },
	{ "seqpacket", AF_UNIX, SOCK_SEQPACKET, 0 },
	{ "rdm", AF_INET, SOCK_RDM, 0 },
	{ "packet", AF_PACKET, SOCK_RAW, 0 },
	{ "unix", AF_UNIX, SOCK_STREAM, 0 },
	{ "all", AF_INET, SOCK_STREAM, 0 },
	{ 0, 0, 0, 0 },
};

static int do_network(const char *name)
{
	/* the LSM hook (security_socket_create) runs before the family and
	 * protocol lookups, so these errnos mean "permitted" */
	static const int errs[] = { EPROTONOSUPPORT, ESOCKTNOSUPPORT, EAFNOSUPPORT, 0 };
	const struct proto *p;

	for (p = protos; p->name; p++)
		if (!strcasecmp(p->name, name))
			return past_lsm(socket(p->family, p->type, p->protocol), errs);
	return EXIT_UNSUPPORTED;
}

/* The network capabilities can only be used on a socket, and AppArmor's
 * network rules decide socket creation first (EACCES).  Take the first of UDP
 * and TCP that the profile lets the actor create; the refused attempts leave
 * DENIED records that are not about the capability (vmtest judges a
 * capability case by its "capable" records only). */
static int inet_socket(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0 && errno == EACCES)
		s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0)
		errno = EACCES;
	return s;
}

static int do_capability(const char *name, const char *arg)
{
	pid_t victim = arg && strcmp(arg, "-") ? atoi(arg) : 0;
	int p[2], s;

	if (!strncasecmp(name, "cap_", 4))
		name += 4;
	/* Each branch: a syscall whose only privilege check is that capability,
	 * where possible on an object AppArmor does not mediate by path (a pipe),
	 * so that the profile's file rules do not take part. */
	if (!strcasecmp(name, "chown")) {
		/* chown of an inode to another uid; pipefs is not path-mediated */
		if (pipe(p))
			return EXIT_SETUP;
		return ret(fchown(p[0], 1234, -1));
	}
	if (!strcasecmp(name, "fowner"))
		/* not our file; AppArmor also mediates chmod (as 'w' on the path) */
		return ret(chmod(CAPFILE, 0));
	if (!strcasecmp(name, "dac_override"))
		return ret(open(CAPFILE, O_WRONLY)); /* DAC check precedes the LSM open hook */
	if (!strcasecmp(name, "dac_read_search"))
		return ret(open(CAPFILE, O_RDONLY));
	if (!strcasecmp(name, "kill")) {
		/* signal a process of another uid (the launcher's victim); AppArmor's
		 * signal mediation comes after the capability check */
		if (victim <= 0)
			return EXIT_SETUP;
		/* not SIGCONT: that one passes within a session without the cap */
		return ret(kill(victim, SIGWINCH));
	}
	if (!strcasecmp(name, "setuid"))
		return ret(setuid(1234));
	if (!strcasecmp(name, "setgid"))
		return ret(setgid(1234));
	if (!strcasecmp(name, "setpcap"))
		return ret(prctl(PR_CAPBSET_DROP, CAP_WAKE_ALARM, 0, 0, 0));
	if (!strcasecmp(name, "net_raw")) {
		/* Re-binding a bound socket to a device needs CAP_NET_RAW (and
		 * nothing else), so an ordinary UDP or TCP socket will do; a raw
		 * socket (what arping or ping use) is only the last resort. */
		s = inet_socket();
		if (s < 0) {
			s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
			return s < 0 && errno == EACCES ? EXIT_NOSOCKET : ret(s);
		}
		if (setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3))
			return EXIT_SETUP;
		return ret(setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3));
	}
	if (!strcasecmp(name, "net_admin")) {
		int v = 1 << 16;

		s = inet_socket();
		if (s < 0)
			return EXIT_NOSOCKET;
		return ret(setsockopt(s, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v));
	}
	if (!strcasecmp(name, "net_bind_service")) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(80) };

		s = inet_socket();
		if (s < 0)
			return EXIT_NOSOCKET;
		return ret(bind(s, (struct sockaddr *)&a, sizeof a));
	}
	if (!strcasecmp(name, "ipc_lock")) {
		static char page[4096] __attribute__((aligned(4096)));
		struct rlimit r = { 0, 0 };

		/* with RLIMIT_MEMLOCK 0 only CAP_IPC_LOCK lets mlock through */
		if (setrlimit(RLIMIT_MEMLOCK, &r))
			return EXIT_SETUP;
		return ret(mlock(page, sizeof page));
	}
	if (!strcasecmp(name, "sys_admin"))
		return ret(sethostname("vmtest", 6));
	if (!strcasecmp(name, "sys_chroot"))
		return ret(chroot("/"));
	if (!strcasecmp(name, "sys_ptrace")) {
		/* kcmp: a PTRACE_MODE_READ access check on another uid's process;
		 * AppArmor's ptrace mediation comes after the capability check */
		if (victim <= 0)
			return EXIT_SETUP;
		return ret(syscall(SYS_kcmp, getpid(), victim, 0 /* KCMP_FILE */, 0, 0));
	}
	if (!strcasecmp(name, "sys_nice"))
		return ret(setpriority(PRIO_PROCESS, 0, -5));
	if (!strcasecmp(name, "sys_resource")) {
		struct rlimit r;

		if (getrlimit(RLIMIT_NOFILE, &r))
			return EXIT_SETUP;
		r.rlim_max += 1;
		return ret(setrlimit(RLIMIT_NOFILE, &r));
	}
	if (!strcasecmp(name, "sys_time")) {
		struct timespec t;

		clock_gettime(CLOCK_REALTIME, &t);
		return ret(clock_settime(CLOCK_REALTIME, &t));
	}
	if (!strcasecmp(name, "sys_boot"))
		return ret(reboot(LINUX_REBOOT_CMD_CAD_OFF));
	if (!strcasecmp(name, "sys_rawio"))
		return ret(iopl(3));
	if (!strcasecmp(name, "sys_pacct"))
		return ret(acct(NULL));
	if (!strcasecmp(name, "sys_tty_config"))
		return ret(vhangup()); /* no controlling tty: a no-op once allowed */
	if (!strcasecmp(name, "sys_module")) {
		/* the capability is checked before the (bad) arguments */
		static const int errs[] = { EFAULT, ENOEXEC, EINVAL, 0 };
		return past_lsm(syscall(SYS_init_module, NULL, 0UL, ""), errs);
	}
	if (!strcasecmp(name, "mknod"))
		return ret(mknod("/.vmt/cap/node", S_IFCHR | 0600, makedev(1, 3)));
	return EXIT_UNSUPPORTED;
}

/* Exactly the syscall NAME, by number (syscall(2)), so the kernel sees that
 * syscall and no other libc might choose (rename() may be renameat2, chown()
 * fchownat): syscall rules are matched by name (the BPF rig's tracepoints
 * audit them; AppArmor has none, and the compiler skips the cases that
 * depend on one).  The other syscall cases (e.g. "a syscall nobody names is
 * Allow") get a real answer too.  PATH is the object the launcher prepared. */
static int do_syscall(const char *name, const char *path)
{
	char to[4200];

	if (!strcasecmp(name, "unlink"))
		return ret(syscall(SYS_unlink, path));
	if (!strcasecmp(name, "unlinkat"))
		return ret(syscall(SYS_unlinkat, AT_FDCWD, path, 0));
	if (!strcasecmp(name, "rmdir"))
		return ret(syscall(SYS_rmdir, path));
	if (!strcasecmp(name, "rename") || !strcasecmp(name, "renameat") ||
	    !strcasecmp(name, "renameat2")) {
		if (strlen(path) > 4000)
			return EXIT_SETUP;
		strcpy(to, path);
		strcat(to, ".vmt-renamed");
		if (!strcasecmp(name, "rename"))
			return ret(syscall(SYS_rename, path, to));
		if (!strcasecmp(name, "renameat"))
			return ret(syscall(SYS_renameat, AT_FDCWD, path, AT_FDCWD, to));
		return ret(syscall(SYS_renameat2, AT_FDCWD, path, AT_FDCWD, to, 0));
	}
	/* the creations (DESIGN §4.11): the launcher removed PATH and made its
	 * parents; a regular file by mknod needs no capability */
	if (!strcasecmp(name, "mkdir"))
		return ret(syscall(SYS_mkdir, path, 0777));
	if (!strcasecmp(name, "mkdirat"))
		return ret(syscall(SYS_mkdirat, AT_FDCWD, path, 0777));
	if (!strcasecmp(name, "mknod"))
		return ret(syscall(SYS_mknod, path, S_IFREG | 0666, 0));
	if (!strcasecmp(name, "mknodat"))
		return ret(syscall(SYS_mknodat, AT_FDCWD, path, S_IFREG | 0666, 0));
	if (!strcasecmp(name, "creat"))
		return ret(syscall(SYS_creat, path, 0666));
	if (!strcasecmp(name, "symlink"))
		return ret(syscall(SYS_symlink, "vmt-symlink-target", path));
	if (!strcasecmp(name, "symlinkat"))
		return ret(syscall(SYS_symlinkat, "vmt-symlink-target", AT_FDCWD, path));
	if (!strcasecmp(name, "chown"))
		return ret(syscall(SYS_chown, path, getuid(), getgid()));
	if (!strcasecmp(name, "lchown"))
		return ret(syscall(SYS_lchown, path, getuid(), getgid()));
	if (!strcasecmp(name, "fchownat"))
		return ret(syscall(SYS_fchownat, AT_FDCWD, path, getuid(), getgid(), 0));
	if (!strcasecmp(name, "chmod"))
		return ret(syscall(SYS_chmod, path, 0666));
	if (!strcasecmp(name, "fchmodat"))
		return ret(syscall(SYS_fchmodat, AT_FDCWD, path, 0666));
	if (!strcasecmp(name, "truncate"))
		return ret(syscall(SYS_truncate, path, 0L)); /* by path: no open, only the truncate hook */
	if (!strcasecmp(name, "setuid"))
		return ret(syscall(SYS_setuid, getuid()));
	if (!strcasecmp(name, "setgid"))
		return ret(syscall(SYS_setgid, getgid()));
	if (!strcasecmp(name, "kill"))
		return ret(syscall(SYS_kill, getpid(), 0));
	if (!strcasecmp(name, "mount"))
		return ret(syscall(SYS_mount, "vmt", path, "tmpfs", 0UL, NULL));
	if (!strcasecmp(name, "umount2"))
		return ret(syscall(SYS_umount2, path, 0)); /* the launcher mounted a tmpfs there */
	if (!strcasecmp(name, "ptrace"))
		return ret(syscall(SYS_ptrace, PTRACE_TRACEME, 0, NULL, NULL));
	return EXIT_UNSUPPORTED;
}

int main(int argc, char **argv)
{
	const char *op, *res, *arg;

	if (getenv("VMT_ENFORCE_FD")) {
		/* the SELinux rig: enforcing from here on (the launcher opened
		 * /sys/fs/selinux/enforce for us; starting this program is not the
		 * case's operation) */
		int fd = atoi(getenv("VMT_ENFORCE_FD"));

		if (write(fd, "1", 1) != 1)
			return EXIT_SETUP;
		close(fd);
	}
	if (argc < 2)
		return 0; /* the resource of an exec case: it ran, so exec worked */
	if (getenv("VMT_SYNC")) {
		char c = 's';

		if (write(3, &c, 1) != 1 || read(4, &c, 1) != 1 || c != 'g')
			return EXIT_SETUP;
		close(3);
		close(4);
	}
	op = argv[1];
	res = argc > 2 ? argv[2] : "";
	arg = argc > 3 ? argv[3] : "-";
	if (!strcmp(op, "exec")) {
		char *const av[] = { (char *)res, NULL };
		char *const ev[] = { "PATH=/usr/bin:/bin", NULL };

		execve(res, av, ev);
		return ret(-1);
	}
	if (!strcmp(op, "read"))
		return do_read(res);
	if (!strcmp(op, "write"))
		return do_write(res);
	if (!strcmp(op, "create"))
		return do_create(res);
	if (!strcmp(op, "network"))
		return do_network(res);
	if (!strcmp(op, "capability"))
		return do_capability(res, arg);
	if (!strcmp(op, "syscall"))
		return do_syscall(res, arg);
	return EXIT_UNSUPPORTED;
}
