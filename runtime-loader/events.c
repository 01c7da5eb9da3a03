/*
 * events: the pinned ring buffer -> one line per event (alert.c: text, or KubeArmor's
 * alert JSON), attributed through the applied images' rule tables (rule id -> policy,
 * severity, tags, message).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "loader.h"

/* ------------------------------------------------------------ one event */

struct ev_ctx {
	struct kl_alert_ctx alert;
	struct kl_state *st;
	char host[256];
	struct kl_json j;
	uint64_t count;
	int failed;
	/* --drain: stop after the first event newer than the start, so a busy
	 * producer cannot keep the drain going forever (boot-time ns, 0 = no limit) */
	uint64_t drain_until;
};

static int64_t clock_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ParentProcessName: the kernel's event names the parent by its comm only, so its
 * executable is read from /proc when the event is printed (the parent may have gone:
 * then the comm stays) */
static int proc_parent_exe(uint32_t ppid, char *buf, size_t len)
{
	if (!ppid || len < 2)
		return -1;
	char link[64];
	snprintf(link, sizeof(link), "/proc/%" PRIu32 "/exe", ppid);
	ssize_t n = readlink(link, buf, len - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int handle_event(void *vctx, void *data, size_t size)
{
	struct ev_ctx *c = vctx;
	if (size < sizeof(struct karmor_event)) {
		kl_warn("skipped a ring buffer record of %zu bytes (an event is %zu)", size,
			sizeof(struct karmor_event));
		return 0;
	}
	struct karmor_event e;
	memcpy(&e, data, sizeof(e));
	c->count++;
	if (kl_alert_print(stdout, &c->j, &c->alert, kl_state_target(c->st, e.target), &e) || fflush(stdout)) {
		c->failed = 1;
		return -1;
	}
	/* the record is printed; libbpf stops at a negative return, after consuming it */
	if (c->drain_until && e.ts_boot_ns > c->drain_until)
		return -ECANCELED;
	return 0;
}

/* ------------------------------------------------------------ the command */

volatile sig_atomic_t kl_events_stop;

static void on_signal(int sig)
{
	(void)sig;
	kl_events_stop = 1;
}

void kl_events_catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: a poll or recv returns at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int follow_generation(struct ev_ctx *c, const struct kl_dirs *d, struct kl_state *st, int drain);

int kl_cmd_events(int argc, char **argv)
{
	struct kl_dirs d = {NULL, KARMOR_STATE_DIR};
	int json = 0, drain = 0, follow = 0;
	const char *selinux = NULL, *apparmor = NULL, *landlock = NULL, *from = NULL;
	for (int i = 1; i < argc; i++) {
		int r = kl_opt_dirs(argc, argv, &i, &d);
		if (r < 0)
			return KL_EXIT_USAGE;
		if (r > 0)
			continue;
		if ((r = kl_opt(argc, argv, &i, "--selinux", &selinux)) || (r = kl_opt(argc, argv, &i, "--apparmor", &apparmor)) ||
		    (r = kl_opt(argc, argv, &i, "--landlock", &landlock)) || (r = kl_opt(argc, argv, &i, "--from", &from))) {
			if (r < 0)
				return KL_EXIT_USAGE;
		} else if (!strcmp(argv[i], "--json")) {
			json = 1;
		} else if (!strcmp(argv[i], "--drain")) {
			drain = 1;
		} else if (!strcmp(argv[i], "--follow")) {
			follow = 1;
		} else {
			kl_usage_err("unexpected argument '%s'", argv[i]);
			return KL_EXIT_USAGE;
		}
	}
	if (drain && follow) {
		kl_usage_err("--drain and --follow exclude each other");
		return KL_EXIT_USAGE;
	}
	if (!!selinux + !!apparmor + !!landlock > 1) {
		kl_usage_err("--selinux, --apparmor and --landlock exclude each other");
		return KL_EXIT_USAGE;
	}
	if (from && !selinux && !apparmor && !landlock) {
		kl_usage_err("--from goes with --selinux DIR, --apparmor DIR or --landlock DIR");
		return KL_EXIT_USAGE;
	}
	/* the audit records of SELinux and AppArmor are read live or from a file: no ring
	 * buffer to drain, and no generation to follow */
	if ((selinux || apparmor || landlock) && (drain || follow)) {
		kl_usage_err("--drain and --follow are for the BPF ring buffer; with --%s use --from FILE, or read live",
			     selinux ? "selinux" : apparmor ? "apparmor" : "landlock");
		return KL_EXIT_USAGE;
	}
	if (selinux)
		return kl_selinux_events(selinux, from, json);
	if (apparmor)
		return kl_apparmor_events(apparmor, from, json, 0, 0);
	if (landlock)
		return kl_landlock_events(landlock, d.state_dir, from, json);
	kl_recover_dirs(&d);
	if (kl_se_applied(d.state_dir)) {
		/* SELinux's AVC records, live, through the rule tables the state keeps */
		if (drain || follow) {
			kl_usage_err("the applied backend is SELinux: its events are read live from the audit records, "
				     "without --drain or --follow");
			return KL_EXIT_USAGE;
		}
		return kl_selinux_events(d.state_dir, NULL, json);
	}
	if (drain && kl_aa_applied(d.state_dir)) {
		kl_usage_err("the applied backend is AppArmor: its events are read live from the audit records, "
			     "without --drain");
		return KL_EXIT_USAGE;
	}
	struct ev_ctx c;
	memset(&c, 0, sizeof(c));
	c.alert.json = json;
	c.alert.host = c.host;
	c.alert.parent_exe = proc_parent_exe;
	kl_json_init(&c.j);
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(c.host, sizeof(c.host), "%s", u.nodename);
	c.alert.boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	if (!drain)
		kl_events_catch_signals();
	/* one generation at a time: --follow goes on with the one an apply puts in its place,
	 * and waits while nothing is applied; with AppArmor applied, its records, live (until
	 * BPF is applied in its place) */
	int rc = KL_EXIT_FAIL;
	for (int first = 1, waiting = 0;; first = 0) {
		/* an apply switching generations now: this waits for its lock (its side directories
		 * exist until it is done), or finishes what a killed one left */
		if (!first)
			kl_recover_dirs(&d);
		if (kl_aa_applied(d.state_dir)) {
			int monitor = kl_aa_monitor(d.state_dir);
			if (monitor < 0)
				break;
			if (!first)
				kl_warn("following the AppArmor profiles applied now");
			waiting = 0;
			int r = kl_apparmor_events(d.state_dir, NULL, json, monitor, 1);
			if (r != KL_EVENTS_SWITCH) {
				rc = r;
				break;
			}
			continue;
		}
		struct kl_state st;
		int have = kl_state_read(d.state_dir, &st);
		if (have < 0)
			break;
		if (!have) {
			if (first) {
				kl_err("nothing is attached (no state in %s)", d.state_dir);
				break;
			}
			if (!waiting)
				kl_warn("nothing is applied any more: waiting for an apply");
			waiting = 1;
			if (kl_events_stop) {
				rc = KL_EXIT_OK;
				break;
			}
			poll(NULL, 0, 500);
			continue;
		}
		if (waiting || !first)
			kl_warn("following generation %u", st.generation);
		waiting = 0;
		int r = follow_generation(&c, &d, &st, drain);
		kl_state_free(&st);
		if (r <= 0) {
			rc = r == 0 ? KL_EXIT_OK : KL_EXIT_FAIL;
			break;
		}
	}
	kl_json_free(&c.j);
	return rc;
}

/* the events of the generation st names: 0 done (drained, or stopped), 1 another
 * generation replaced it (or it was detached): go on, -1 failed (reported) */
static int follow_generation(struct ev_ctx *c, const struct kl_dirs *d, struct kl_state *st, int drain)
{
	int rc = -1;
	struct ring_buffer *rb = NULL;
	c->st = st;
	const char *pin_dir = kl_pin_dir(d, st, 1);
	int fd = -1;
	if (kl_state_load_images(d->state_dir, st))
		goto out;
	fd = kl_pin_open(pin_dir, "karmor_events");
	if (fd < 0) {
		kl_err("%s/karmor_events: %s (run 'karmor-loader detach' and apply again)", pin_dir, strerror(errno));
		goto out;
	}
	rb = ring_buffer__new(fd, handle_event, c, NULL);
	if (!rb) {
		kl_err("%s/karmor_events: cannot read the ring buffer: %s", pin_dir, strerror(errno));
		goto out;
	}
	int replaced = 0;
	if (drain) {
		c->drain_until = (uint64_t)clock_ns(CLOCK_BOOTTIME);
		int r = ring_buffer__consume(rb);
		if (r < 0 && r != -ECANCELED && !c->failed) {
			kl_err("reading the ring buffer: %s", strerror(-r));
			goto out;
		}
	} else {
		while (!kl_events_stop && !c->failed && !replaced) {
			int r = ring_buffer__poll(rb, 500);
			if (r < 0 && r != -EINTR) {
				if (!c->failed)
					kl_err("reading the ring buffer: %s", strerror(-r));
				goto out;
			}
			/* still the judging generation? (karmor_active is shared by all of them) */
			uint32_t active = 0;
			replaced = kl_active_read(pin_dir, &active) || active != st->generation;
		}
		/* what arrived before the signal or the switch is printed too */
		if (!c->failed)
			ring_buffer__consume(rb);
	}
	if (c->failed) {
		kl_err("cannot write the output");
		goto out;
	}
	rc = replaced;
out:
	ring_buffer__free(rb);
	if (fd >= 0)
		close(fd);
	return rc;
}
