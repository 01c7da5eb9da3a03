/*
 * bench -- the in-guest driver of scripts/bench-vm (issue 4): the cost of the
 * BPF-LSM programs on open()+close() of an existing file and on
 * fork+execve+wait of a small static program, with no program attached
 * ("none"), with a 10-rule target, with a 10,000-rule target and with a target
 * of 100 globs (matchPatterns: one automaton walked over every path) bound to
 * the benchmark's cgroup; and unlink() of a fresh file, whose cost with
 * syscall audit on (the 10-rule target plus an Audit rule on unlink/unlinkat:
 * the syscall tracepoint programs load and every unlink emits a Syscall event)
 * is compared with the 10-rule target alone (the path_unlink hook, no
 * tracepoint program).  Runs as PID 1's child in the guest, in the root cgroup
 * (no target covers it), and prints machine-readable lines on stdout.
 *
 *   bench run [CONF]      CONF default /.vmt/bench.conf, lines KEY=VALUE:
 *     loader=PATH         karmor-loader (static)
 *     cgroup=DIR          the benchmark's cgroup v2 directory (made here)
 *     p10=DIR p10k=DIR ppat=DIR psys=DIR   one map image each (DIR/TARGET.kmi)
 *     file=PATH           the file opened (no rule matches it)
 *     exe=PATH            the program exec'd (no rule matches it): a copy
 *                         of this binary, which exits 0 at once unless its
 *                         first argument is "run"
 *     blocked_file=PATH   a file both policies Block (the liveness check)
 *     blocked_exe=PATH    a program both policies Block
 *     budget=SECONDS      guest time for the whole benchmark
 *     udir=DIR            where the unlinked files are made (no rule matches)
 *     oi= ob= ei= eb= ui= ub=   open: ob batches of oi ops; exec: eb batches
 *                         of ei; unlink: ub batches of ui
 *
 * Why paired rounds (../shared/reference/bpf-overhead-calibration.md): under
 * qemu's software emulation the speed of the guest drifts by tens of percent
 * over tens of seconds, so numbers from separate times cannot be compared.
 * Each round measures the configurations in the order none, 10, 10k,
 * patterns, sys, sys, patterns, 10k, 10, none; a ratio is taken within one round between the two slots of each
 * configuration, whose mean times are symmetric around the round's middle, so
 * a drift that is linear over the round cancels.  The reported value is the
 * median of the per-round ratios, with their inter-quartile range.
 *
 * But an apply takes tens of seconds under emulation (the verifier), so the
 * slots are far apart; the host's load changes the emulator's speed within
 * that time.  So every batch is preceded by a reference batch, faccessat()
 * of the same file (the same path walk, and no hook that karmor.bpf.c
 * attaches to), and the slot's value is the median of (batch time /
 * reference time): two measurements ~50 ms apart.  The raw times are
 * reported too.
 *
 * Each slot runs in a forked child that moves itself into the cgroup,
 * checks that enforcement is what the slot claims (blocked_file and
 * blocked_exe refused with EACCES when a target is attached, allowed when
 * none is), then measures; one warm-up pair of batches of each kind is
 * discarded.  The driver itself (and karmor-loader, which it runs between
 * slots) stays in the root cgroup.
 *
 * The rounds go on while another one fits in `budget` seconds (at least 3).
 *
 * Output lines: TARGETS, APPLY-MS, DETACH-MS, SLOT, ROUND, PARAMS, ABS,
 * RATIO-ROUND, RATIO, BENCH-DONE; BENCH-ERROR says why it stopped.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ROUNDS 200
#define MAX_BATCH 64
#define MAX_UNLINK 4096	/* files per unlink batch */
#define NSLOTS 10
#define NCFG 5

enum { CFG_NONE = 0, CFG_10 = 1, CFG_10K = 2, CFG_PAT = 3, CFG_SYS = 4 };
static const int slot_cfg[NSLOTS] = { CFG_NONE, CFG_10, CFG_10K, CFG_PAT, CFG_SYS,
				      CFG_SYS,  CFG_PAT, CFG_10K, CFG_10, CFG_NONE };
static const char *const cfg_name[NCFG] = { "none", "10", "10000", "patterns", "sys" };

static struct {
	char loader[256], cgroup[256], dir[NCFG][256], file[256], exe[256], udir[256];
	char blocked_file[256], blocked_exe[256];
	double budget;
	int oi, ob, ei, eb, ui, ub;
	int profile;
} conf = { "/.vmt/karmor-loader", "/sys/fs/cgroup/bench", { "", "/.vmt/policy/b10", "/.vmt/policy/b10k",
	   "/.vmt/policy/bpat", "/.vmt/policy/bsys" }, "/srv/app/config.json", "/srv/app/bench-true",
	   "/srv/app/u", "/srv/data/d0000/file0000", "/srv/tools/tool0000", 200, 1000, 7, 10, 5, 500, 7, 0 };

/* per round and slot: open ns, open normalized, its reference ns; the same
 * for exec, then for unlink */
#define NVALUES 9
static double results[MAX_ROUNDS][NSLOTS][NVALUES];

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* quantile q of n sorted values, linear interpolation */
static double quantile(const double *sorted, int n, double q)
{
	double pos = q * (n - 1);
	int i = (int)pos;

	if (i >= n - 1)
		return sorted[n - 1];
	return sorted[i] + (pos - i) * (sorted[i + 1] - sorted[i]);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return quantile(v, n, 0.5);
}

static void set_str(char *dst, size_t size, const char *v)
{
	snprintf(dst, size, "%s", v);
}

static int read_conf(const char *path)
{
	char line[512];
	FILE *f = fopen(path, "r");

	if (!f) {
		printf("BENCH-ERROR cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f)) {
		char *eq = strchr(line, '='), *v;

		line[strcspn(line, "\n")] = 0;
		if (!eq || line[0] == '#')
			continue;
		*eq = 0;
		v = eq + 1;
		if (!strcmp(line, "loader"))
			set_str(conf.loader, sizeof conf.loader, v);
		else if (!strcmp(line, "cgroup"))
			set_str(conf.cgroup, sizeof conf.cgroup, v);
		else if (!strcmp(line, "p10"))
			set_str(conf.dir[CFG_10], sizeof conf.dir[0], v);
		else if (!strcmp(line, "p10k"))
			set_str(conf.dir[CFG_10K], sizeof conf.dir[0], v);
		else if (!strcmp(line, "ppat"))
			set_str(conf.dir[CFG_PAT], sizeof conf.dir[0], v);
		else if (!strcmp(line, "psys"))
			set_str(conf.dir[CFG_SYS], sizeof conf.dir[0], v);
		else if (!strcmp(line, "udir"))
			set_str(conf.udir, sizeof conf.udir, v);
		else if (!strcmp(line, "file"))
			set_str(conf.file, sizeof conf.file, v);
		else if (!strcmp(line, "exe"))
			set_str(conf.exe, sizeof conf.exe, v);
		else if (!strcmp(line, "blocked_file"))
			set_str(conf.blocked_file, sizeof conf.blocked_file, v);
		else if (!strcmp(line, "blocked_exe"))
			set_str(conf.blocked_exe, sizeof conf.blocked_exe, v);
		else if (!strcmp(line, "budget"))
			conf.budget = atof(v);
		else if (!strcmp(line, "profile"))
			conf.profile = atoi(v);
		else if (!strcmp(line, "oi"))
			conf.oi = atoi(v);
		else if (!strcmp(line, "ob"))
			conf.ob = atoi(v);
		else if (!strcmp(line, "ei"))
			conf.ei = atoi(v);
		else if (!strcmp(line, "eb"))
			conf.eb = atoi(v);
		else if (!strcmp(line, "ui"))
			conf.ui = atoi(v);
		else if (!strcmp(line, "ub"))
			conf.ub = atoi(v);
	}
	fclose(f);
	if (conf.ob < 1 || conf.ob > MAX_BATCH || conf.eb < 1 || conf.eb > MAX_BATCH || conf.oi < 1 || conf.ei < 1 ||
	    conf.ub < 1 || conf.ub > MAX_BATCH || conf.ui < 1 || conf.ui > MAX_UNLINK) {
		printf("BENCH-ERROR batch sizes out of range in %s\n", path);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ the loader */

/* run karmor-loader ARGS (output to /.vmt/loader.log); its exit status */
static int loader(char *const args[])
{
	char *av[16];
	int n = 0, st;
	pid_t p;

	av[n++] = conf.loader;
	for (int i = 0; args[i] && n < 15; i++)
		av[n++] = args[i];
	av[n] = NULL;
	fflush(stdout);
	p = fork();
	if (p == 0) {
		int fd = open("/.vmt/loader.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(conf.loader, av);
		_exit(127);
	}
	if (p < 0 || waitpid(p, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void loader_log(void)
{
	char line[512];
	FILE *f = fopen("/.vmt/loader.log", "r");

	/* the first lines, then the verifier's verdicts (its log is long) */
	for (int i = 0, n = 0; f && n < 24 && fgets(line, sizeof line, f); i++)
		if (i < 6 || strstr(line, "processed") || strstr(line, "Too large") || strstr(line, "failed") ||
		    strstr(line, "too ") || strstr(line, "combined")) {
			printf("BENCH-ERROR   %s", line);
			n++;
		}
	if (f)
		fclose(f);
}

/* the one .kmi in DIR: its target name into name */
static int target_of(const char *dir, char *name, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len > 4 && !strcmp(e->d_name + len - 4, ".kmi") && len - 4 < size) {
			memcpy(name, e->d_name, len - 4);
			name[len - 4] = 0;
			n++;
		}
	}
	if (d)
		closedir(d);
	return n == 1 ? 0 : -1;
}

static char tname[NCFG][256];
static int cur = CFG_NONE;

/* make configuration c current; the time the apply took into *ms */
static int set_cfg(int c, double *ms)
{
	char bind[600];
	double t0;
	int r;

	*ms = 0;
	if (c == cur)
		return 0;
	char *detach[] = { "detach", NULL };

	t0 = now_s();
	r = loader(detach);
	if (cur != CFG_NONE)
		printf("DETACH-MS %.0f\n", (now_s() - t0) * 1e3);
	if (r) {
		printf("BENCH-ERROR karmor-loader detach failed\n");
		loader_log();
		return -1;
	}
	cur = CFG_NONE;
	if (c == CFG_NONE)
		return 0;
	snprintf(bind, sizeof bind, "%s=%s", tname[c], conf.cgroup);
	char *apply[] = { "apply", conf.dir[c], "--bind", bind, NULL };

	t0 = now_s();
	r = loader(apply);
	*ms = (now_s() - t0) * 1e3;
	printf("APPLY-MS %s %.0f\n", cfg_name[c], *ms);
	if (r) {
		printf("BENCH-ERROR karmor-loader apply %s --bind %s failed (exit %d)\n", apply[1], bind, r);
		loader_log();
		return -1;
	}
	cur = c;
	return 0;
}

/* After a slot of the sys configuration: drain the ring buffer (so that the
 * next slot's events have room, as with a reader running) and check that its
 * unlinks were audited: the number of Syscall events naming SYS_UNLINK*, or -1. */
static int sys_events(void)
{
	char line[4096];
	char *drain[] = { "events", "--json", "--drain", NULL };
	FILE *f;
	int n = 0;

	if (loader(drain))
		return -1;
	f = fopen("/.vmt/loader.log", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (strstr(line, "\"Syscall\"") && strstr(line, "SYS_UNLINK"))
			n++;
	fclose(f);
	return n;
}

static int sys_check(void)
{
	int n = sys_events();

	/* at least the measured unlinks (the ring holds far more) */
	if (n < conf.ub * conf.ui) {
		printf("BENCH-ERROR syscall audit not live: %d SYS_UNLINK events after a sys slot of %d unlinks\n", n,
		       conf.ub * conf.ui);
		return -1;
	}
	printf("EVENTS sys %d\n", n);
	return 0;
}

/* ------------------------------------------------------------ a slot */

static int exec_true(const char *path)
{
	char *const av[] = { (char *)path, NULL }, *const ev[] = { NULL };
	int st;
	pid_t p = fork();

	if (p == 0) {
		execve(path, av, ev);
		_exit(errno == EACCES ? 13 : 127);
	}
	if (p < 0 || waitpid(p, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* In the child, inside the cgroup: 0 when enforcement is what cfg says.
 * The messages go to stdout (the serial line). */
static int check(int cfg)
{
	int fd = open(conf.blocked_file, O_RDONLY), e = errno, x;

	if (fd >= 0)
		close(fd);
	x = exec_true(conf.blocked_exe);
	if (cfg == CFG_NONE ? fd < 0 : !(fd < 0 && e == EACCES)) {
		printf("BENCH-ERROR enforcement not live for config %s: open %s -> %s\n", cfg_name[cfg],
		       conf.blocked_file, fd >= 0 ? "allowed" : strerror(e));
		return -1;
	}
	if (cfg == CFG_NONE ? x != 0 : x != 13) {
		printf("BENCH-ERROR enforcement not live for config %s: exec %s -> exit %d (13 = EACCES)\n",
		       cfg_name[cfg], conf.blocked_exe, x);
		return -1;
	}
	fd = open(conf.file, O_RDONLY);
	if (fd < 0) {
		printf("BENCH-ERROR config %s: the benchmarked file %s: %s\n", cfg_name[cfg], conf.file,
		       strerror(errno));
		return -1;
	}
	close(fd);
	if ((x = exec_true(conf.exe)) != 0) {
		printf("BENCH-ERROR config %s: the benchmarked program %s exits %d\n", cfg_name[cfg], conf.exe, x);
		return -1;
	}
	return 0;
}

/* per-op ns of one batch of n open()+close() / faccessat() / fork+exec+wait;
 * -1 when an operation fails */
static double batch_open(int n)
{
	double t0 = now_s();

	for (int i = 0; i < n; i++) {
		int fd = open(conf.file, O_RDONLY);

		if (fd < 0)
			return -1;
		close(fd);
	}
	return (now_s() - t0) * 1e9 / n;
}

/* The reference: the same path walk without opening the file.  No program
 * of karmor.bpf.c runs for it (faccessat has no file_open, no
 * file_permission, no path_* hook), so its time follows only the speed of
 * the emulated CPU, which drifts with the host's load. */
static double batch_ref(int n)
{
	double t0 = now_s();

	for (int i = 0; i < n; i++)
		if (faccessat(AT_FDCWD, conf.file, R_OK, 0))
			return -1;
	return (now_s() - t0) * 1e9 / n;
}

/* n files made in udir first (not timed), then unlinked (timed) */
static double batch_unlink(int n)
{
	char name[MAX_UNLINK][16];
	int dir = open(conf.udir, O_RDONLY | O_DIRECTORY);
	double t0;

	if (dir < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		int fd;

		snprintf(name[i], sizeof name[i], "f%d", i);
		fd = openat(dir, name[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0) {
			close(dir);
			return -1;
		}
		close(fd);
	}
	t0 = now_s();
	for (int i = 0; i < n; i++)
		if (unlinkat(dir, name[i], 0)) {
			close(dir);
			return -1;
		}
	t0 = (now_s() - t0) * 1e9 / n;
	close(dir);
	return t0;
}

static double batch_exec(int n)
{
	double t0 = now_s();

	for (int i = 0; i < n; i++)
		if (exec_true(conf.exe) != 0)
			return -1;
	return (now_s() - t0) * 1e9 / n;
}

/*
 * One kind of operation in a slot: nb batches (after one warm-up pair), each
 * preceded by a reference batch.  v[0] = the median per-op ns, v[1] = the
 * median of (batch / its reference batch): the two are ~50 ms apart, so the
 * ratio cancels the emulator's speed changes, which the slots -- tens of
 * seconds apart because of the applies -- cannot cancel by order alone.
 */
static int measure(double (*op)(int), int n, int nb, double v[3])
{
	double raw[MAX_BATCH], norm[MAX_BATCH], ref[MAX_BATCH];

	for (int b = -1; b < nb; b++) {
		double r = batch_ref(conf.oi), x = op(n);

		if (r <= 0 || x <= 0)
			return -1;
		if (b >= 0) {
			raw[b] = x;
			norm[b] = x / r;
			ref[b] = r;
		}
	}
	v[0] = median(raw, nb);
	v[1] = median(norm, nb);
	v[2] = median(ref, nb);
	return 0;
}

/* one slot in a child inside the cgroup: res = open {ns, normalized, reference
 * ns}, exec {the same}, unlink {the same} */
static int slot(int cfg, double res[NVALUES])
{
	int p[2], st;
	pid_t c;

	if (pipe(p))
		return -1;
	fflush(stdout);
	c = fork();
	if (c == 0) {
		char pid[32];
		int fd = open(conf.cgroup, O_RDONLY), len = snprintf(pid, sizeof pid, "%d", (int)getpid()), ok;

		close(p[0]);
		ok = fd >= 0;
		if (fd >= 0) {
			int procs = openat(fd, "cgroup.procs", O_WRONLY);

			ok = procs >= 0 && write(procs, pid, (size_t)len) == len;
			if (procs >= 0)
				close(procs);
			close(fd);
		}
		if (!ok) {
			printf("BENCH-ERROR cannot move into %s: %s\n", conf.cgroup, strerror(errno));
			fflush(stdout);
			_exit(1);
		}
		if (check(cfg) || measure(batch_open, conf.oi, conf.ob, res) ||
		    measure(batch_exec, conf.ei, conf.eb, res + 3) ||
		    measure(batch_unlink, conf.ui, conf.ub, res + 6)) {
			printf("BENCH-ERROR config %s: a measured operation failed\n", cfg_name[cfg]);
			fflush(stdout);
			_exit(1);
		}
		if (write(p[1], res, NVALUES * sizeof *res) != (ssize_t)(NVALUES * sizeof *res))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	if (c < 0 || read(p[0], res, NVALUES * sizeof *res) != (ssize_t)(NVALUES * sizeof *res)) {
		close(p[0]);
		if (c > 0)
			waitpid(c, &st, 0);
		return -1;
	}
	close(p[0]);
	waitpid(c, &st, 0);
	return 0;
}

/* ------------------------------------------------------------ report */

/* the per-round ratios num/den of value k, their median and IQR */
static void summary(const char *what, int k, int n, int num, int den, const char *label)
{
	double r[MAX_ROUNDS];
	int a0 = -1, a1 = -1, b0 = -1, b1 = -1;

	for (int s = 0; s < NSLOTS; s++) {
		if (slot_cfg[s] == num) {
			if (a0 < 0)
				a0 = s;
			else
				a1 = s;
		}
		if (slot_cfg[s] == den) {
			if (b0 < 0)
				b0 = s;
			else
				b1 = s;
		}
	}
	for (int i = 0; i < n; i++)
		r[i] = (results[i][a0][k] + results[i][a1][k]) / (results[i][b0][k] + results[i][b1][k]);
	for (int i = 0; i < n; i++)
		printf("RATIO-ROUND %s %s %d %.4f\n", what, label, i + 1, r[i]);
	qsort(r, (size_t)n, sizeof *r, cmp_double);
	printf("RATIO %s %s median=%.3f q1=%.3f q3=%.3f min=%.3f max=%.3f rounds=%d\n", what, label,
	       quantile(r, n, 0.5), quantile(r, n, 0.25), quantile(r, n, 0.75), r[0], r[n - 1], n);
}

static void absolute(const char *what, int k, int n)
{
	for (int c = 0; c < NCFG; c++) {
		double a[MAX_ROUNDS * 2];
		int m = 0;

		for (int i = 0; i < n; i++)
			for (int s = 0; s < NSLOTS; s++)
				if (slot_cfg[s] == c)
					a[m++] = results[i][s][k];
		printf("ABS %s %s median_ns=%.0f\n", what, cfg_name[c], median(a, m));
	}
}

/* ------------------------------------------------------------ profile */
/*
 * `profile=1` (scripts/bench-vm --profile): where the time goes, not a
 * ratio.  Once per configuration: kernel.bpf_stats_enabled on, ob batches of
 * oi opens in the cgroup, then every loaded program's run count and run time
 * (BPF_OBJ_GET_INFO_BY_FD) as the difference over the batches.  The stats
 * themselves cost two clock reads per program run, so these numbers say
 * which program and how many ns per open, never a ratio to compare with the
 * targets.
 */
#define MAX_PROGS 128
struct prog_stat {
	__u32 id;
	char name[BPF_OBJ_NAME_LEN];
	__u64 cnt, ns;
	__u32 verified;	/* instructions the verifier processed (its limit: 1,000,000) */
};

static long bpf_call(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof *a);
}

/* every loaded program's counters into st; their number */
static int prog_stats(struct prog_stat *st, int max)
{
	union bpf_attr a;
	__u32 id = 0;
	int n = 0;

	while (n < max) {
		struct bpf_prog_info info;
		int fd;

		memset(&a, 0, sizeof a);
		a.start_id = id;
		if (bpf_call(BPF_PROG_GET_NEXT_ID, &a))
			break;
		id = a.next_id;
		memset(&a, 0, sizeof a);
		a.prog_id = id;
		fd = (int)bpf_call(BPF_PROG_GET_FD_BY_ID, &a);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof info);
		memset(&a, 0, sizeof a);
		a.info.bpf_fd = (__u32)fd;
		a.info.info_len = sizeof info;
		a.info.info = (__u64)(unsigned long)&info;
		if (!bpf_call(BPF_OBJ_GET_INFO_BY_FD, &a)) {
			st[n].id = id;
			memcpy(st[n].name, info.name, sizeof st[n].name);
			st[n].cnt = info.run_cnt;
			st[n].ns = info.run_time_ns;
			st[n].verified = info.verified_insns;
			n++;
		}
		close(fd);
	}
	return n;
}

static int set_stats(int on)
{
	int fd = open("/proc/sys/kernel/bpf_stats_enabled", O_WRONLY), ok;

	ok = fd >= 0 && write(fd, on ? "1" : "0", 1) == 1;
	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

static int profile(void)
{
	static struct prog_stat before[MAX_PROGS], after[MAX_PROGS];
	static const int order[] = { CFG_NONE, CFG_10, CFG_10K, CFG_PAT, CFG_SYS };
	double ms, res[NVALUES];

	for (unsigned i = 0; i < sizeof order / sizeof *order; i++) {
		int c = order[i], nb, na;

		if (set_cfg(c, &ms))
			return 1;
		if (set_stats(1)) {
			printf("BENCH-ERROR cannot enable kernel.bpf_stats_enabled: %s\n", strerror(errno));
			return 1;
		}
		nb = prog_stats(before, MAX_PROGS);
		if (slot(c, res)) {
			printf("BENCH-ERROR profile of config %s failed\n", cfg_name[c]);
			return 1;
		}
		na = prog_stats(after, MAX_PROGS);
		set_stats(0);
		if (c == CFG_10)
			for (int k = 0; k < na; k++)
				printf("VERIFIED %s %u\n", after[k].name, after[k].verified);
		if (c == CFG_SYS && sys_check())
			return 1;
		printf("PROFILE %s open_ns=%.0f ref_ns=%.0f exec_ns=%.0f unlink_ns=%.0f\n", cfg_name[c], res[0], res[2],
		       res[3], res[6]);
		for (int k = 0; k < na; k++) {
			__u64 cnt = after[k].cnt, ns = after[k].ns;

			for (int j = 0; j < nb; j++)
				if (before[j].id == after[k].id) {
					cnt -= before[j].cnt;
					ns -= before[j].ns;
				}
			if (cnt)
				printf("PROG %s %s runs=%llu ns_per_run=%.0f\n", cfg_name[c], after[k].name,
				       (unsigned long long)cnt, (double)ns / (double)cnt);
		}
	}
	set_cfg(CFG_NONE, &ms);
	printf("BENCH-DONE\n");
	return 0;
}

int main(int argc, char **argv)
{
	double t_start = now_s(), ms, apply_ms[NCFG] = { 0 }, round_s = 0;
	int rounds = 0;

	if (argc < 2 || strcmp(argv[1], "run"))
		return 0; /* the exec'd program (any copy of this file): nothing but exit */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (read_conf(argc > 2 ? argv[2] : "/.vmt/bench.conf"))
		return 1;
	if (mkdir(conf.cgroup, 0755) && errno != EEXIST) {
		printf("BENCH-ERROR mkdir %s: %s\n", conf.cgroup, strerror(errno));
		return 1;
	}
	for (int c = CFG_10; c < NCFG; c++)
		if (target_of(conf.dir[c], tname[c], sizeof tname[c])) {
			printf("BENCH-ERROR not one .kmi in %s\n", conf.dir[c]);
			return 1;
		}
	if (mkdir(conf.udir, 0755) && errno != EEXIST) {
		printf("BENCH-ERROR mkdir %s: %s\n", conf.udir, strerror(errno));
		return 1;
	}
	printf("TARGETS 10=%s 10000=%s patterns=%s sys=%s\n", tname[CFG_10], tname[CFG_10K], tname[CFG_PAT],
	       tname[CFG_SYS]);
	if (conf.profile)
		return profile();
	while (rounds < MAX_ROUNDS) {
		double r0 = now_s();

		/* stop when another round would overrun the budget (at least 3:
		 * an apply alone takes tens of seconds under emulation) */
		if (rounds >= 3 && now_s() - t_start + round_s > conf.budget)
			break;
		for (int s = 0; s < NSLOTS; s++) {
			if (set_cfg(slot_cfg[s], &ms))
				return 1;
			if (ms > 0)
				apply_ms[slot_cfg[s]] = ms;
			if (slot(slot_cfg[s], results[rounds][s])) {
				printf("BENCH-ERROR slot %d (config %s) of round %d failed\n", s, cfg_name[slot_cfg[s]],
				       rounds + 1);
				return 1;
			}
			if (slot_cfg[s] == CFG_SYS && sys_check())
				return 1;
			printf("SLOT %d %d %s open_ns=%.0f open_norm=%.4f ref_ns=%.0f exec_ns=%.0f exec_norm=%.2f"
			       " unlink_ns=%.0f unlink_norm=%.4f apply_ms=%.0f\n", rounds + 1, s, cfg_name[slot_cfg[s]],
			       results[rounds][s][0], results[rounds][s][1], results[rounds][s][2], results[rounds][s][3],
			       results[rounds][s][4], results[rounds][s][6], results[rounds][s][7], ms);
		}
		round_s = now_s() - r0;
		rounds++;
		printf("ROUND %d %.1fs\n", rounds, round_s);
	}
	set_cfg(CFG_NONE, &ms);
	printf("PARAMS rounds=%d open=%dx%d exec=%dx%d unlink=%dx%d apply_ms_10=%.0f apply_ms_10000=%.0f"
	       " apply_ms_patterns=%.0f apply_ms_sys=%.0f\n", rounds, conf.ob, conf.oi, conf.eb, conf.ei, conf.ub,
	       conf.ui, apply_ms[1], apply_ms[2], apply_ms[3], apply_ms[4]);
	absolute("open", 0, rounds);
	absolute("exec", 3, rounds);
	absolute("unlink", 6, rounds);
	/* the ratios of the normalized values, then of the raw times */
	for (int k = 1; k >= 0; k -= 1) {
		const char *o = k ? "open" : "open-raw", *x = k ? "exec" : "exec-raw";

		summary(o, k, rounds, CFG_10, CFG_NONE, "10/none");
		summary(o, k, rounds, CFG_10K, CFG_10, "10000/10");
		summary(o, k, rounds, CFG_10K, CFG_NONE, "10000/none");
		summary(o, k, rounds, CFG_PAT, CFG_NONE, "patterns/none");
		summary(x, k + 3, rounds, CFG_10, CFG_NONE, "10/none");
		summary(x, k + 3, rounds, CFG_10K, CFG_10, "10000/10");
		summary(x, k + 3, rounds, CFG_10K, CFG_NONE, "10000/none");
		summary(x, k + 3, rounds, CFG_PAT, CFG_NONE, "patterns/none");
		/* syscall audit on vs off; the 10-rule target's unlink vs none; and what
		 * the loaded tracepoint programs cost an open they do not audit.  In
		 * the sys slots the reference (faccessat) passes the tracepoints too,
		 * so the normalized sys ratios understate and the raw ones bound them
		 * from the other side. */
		const char *u = k ? "unlink" : "unlink-raw";

		summary(u, k + 6, rounds, CFG_SYS, CFG_10, "sys/10");
		summary(u, k + 6, rounds, CFG_10, CFG_NONE, "10/none");
		summary(u, k + 6, rounds, CFG_SYS, CFG_NONE, "sys/none");
		summary(o, k, rounds, CFG_SYS, CFG_10, "sys/10");
	}
	printf("BENCH-DONE\n");
	return 0;
}
