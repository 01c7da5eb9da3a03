/* kc_verdict: DESIGN §4 row by row, on small programs. */
#include <string.h>

#include "unit.h"

#define HEAD "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: %s, namespace: ns}\n"

static const struct kc_label app_x[] = {{"app", "x"}};
static const struct kc_workload pod = {false, "ns", app_x, 1, "c1"};
static const enum ir_posture audit3[IR_PC_COUNT] = {IR_POSTURE_AUDIT, IR_POSTURE_AUDIT, IR_POSTURE_AUDIT};
static const enum ir_posture block3[IR_PC_COUNT] = {IR_POSTURE_BLOCK, IR_POSTURE_BLOCK, IR_POSTURE_BLOCK};

static struct kc_verdict decide_op(const char *yaml, const struct kc_workload *w, const enum ir_posture *posture,
				   const struct kc_operation *op, const char **policy)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "v.yaml", yaml);
	CU_ASSERT_EQUAL(u.diags.errors, 0);
	struct fe_matcher *m = fe_matcher_new(&u.prog);
	struct kc_targets ts;
	kc_targets_init(&ts);
	size_t t = kc_targets_add_workload(&ts, &u.arena, &u.prog, w, posture);
	struct kc_verdict v = kc_decide(m, &ts.items[t], op);
	kc_targets_free(&ts);
	static char name[128];
	name[0] = '\0';
	if (v.policy)
		snprintf(name, sizeof(name), "%s", v.policy);
	*policy = v.policy ? name : NULL;
	fe_matcher_free(m);
	unit_free(&u);
	return v;
}

/* syscalls.matchPaths matches the path a syscall acts on; a syscall that takes none never
 * meets it (KC0130), whatever path a case gives it (DESIGN §4.5, §4.7) */
static void test_syscall_path(void)
{
	static const char y[] = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
				"metadata: {name: s, namespace: ns}\nspec:\n  selector:\n    matchLabels: {app: x}\n"
				"  syscalls:\n    matchPaths:\n    - path: /etc/\n      recursive: true\n"
				"      syscall: [unlink, setuid]\n  action: Audit\n";
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "v.yaml", y);
	CU_ASSERT_EQUAL(u.diags.errors, 0);
	CU_ASSERT_EQUAL(u.diags.warnings, 1);	/* KC0130 at setuid */
	struct fe_matcher *m = fe_matcher_new(&u.prog);
	struct kc_targets ts;
	kc_targets_init(&ts);
	size_t t = kc_targets_add_workload(&ts, &u.arena, &u.prog, &pod, audit3);
	struct kc_operation op = {KC_OP_SYSCALL, "unlink", "/bin/rm", true, "/etc/x", false};
	CU_ASSERT_EQUAL(kc_decide(m, &ts.items[t], &op).action, IR_AUDIT);
	op.resource = "setuid";
	CU_ASSERT_EQUAL(kc_decide(m, &ts.items[t], &op).action, IR_ALLOW);
	op.path = NULL;
	CU_ASSERT_EQUAL(kc_decide(m, &ts.items[t], &op).action, IR_ALLOW);
	kc_targets_free(&ts);
	fe_matcher_free(m);
	unit_free(&u);
}

static struct kc_verdict decide(const char *yaml, const struct kc_workload *w, const enum ir_posture *posture,
				enum kc_op opk, const char *res, const char *source, bool owner, const char **policy)
{
	struct kc_operation op = {opk, res, source, owner, NULL, false};
	return decide_op(yaml, w, posture, &op, policy);
}

/* DESIGN §4.11: a creation is a write of the new path, and the new file is its creator's:
 * ownerOnly never refuses it, readOnly and Block do; a syscall that creates its path is
 * that creation whatever `owner` says. */
static void test_creation(void)
{
	static const char y[] = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
				"metadata: {name: p, namespace: ns}\nspec:\n  file:\n    matchDirectories:\n"
				"    - dir: /own/\n      recursive: true\n      ownerOnly: true\n"
				"    - dir: /ro/\n      readOnly: true\n    - dir: /no/\n  action: Block\n";
	const char *pol;
	struct kc_operation op = {KC_OP_WRITE, "/own/new", "/bin/sh", false, NULL, false};
	struct kc_verdict v = decide_op(y, &pod, audit3, &op, &pol);
	CU_ASSERT_EQUAL(v.action, IR_BLOCK);	/* a non-owner's write of an existing file */
	CU_ASSERT_EQUAL(v.reason, KC_R_OWNERONLY);
	op.create = true;
	v = decide_op(y, &pod, audit3, &op, &pol);
	CU_ASSERT_EQUAL(v.action, IR_ALLOW);	/* the creator owns what it creates */
	op = (struct kc_operation){KC_OP_WRITE, "/ro/new", "/bin/sh", true, NULL, true};
	v = decide_op(y, &pod, audit3, &op, &pol);
	CU_ASSERT_EQUAL(v.action, IR_BLOCK);
	CU_ASSERT_EQUAL(v.reason, KC_R_READONLY);
	op = (struct kc_operation){KC_OP_WRITE, "/no/d/", "/bin/sh", true, NULL, true};
	v = decide_op(y, &pod, audit3, &op, &pol);
	CU_ASSERT_EQUAL(v.action, IR_BLOCK);	/* mkdir of a direct child */
	CU_ASSERT_PTR_NOT_NULL_FATAL(pol);
	CU_ASSERT_STRING_EQUAL(pol, "p");
	op = (struct kc_operation){KC_OP_SYSCALL, "mknod", "/bin/sh", false, "/own/node", false};
	v = decide_op(y, &pod, audit3, &op, &pol);
	CU_ASSERT_EQUAL(v.action, IR_ALLOW);	/* mknod creates: the node is the creator's */
	op.resource = "chmod";
	v = decide_op(y, &pod, audit3, &op, &pol);
	CU_ASSERT_EQUAL(v.action, IR_BLOCK);	/* chmod of someone else's file does not create */
	CU_ASSERT(v.as_write);
	CU_ASSERT(kc_syscall_creates_path("mkdirat") && kc_syscall_creates_path("symlink"));
	CU_ASSERT(!kc_syscall_creates_path("unlink") && !kc_syscall_creates_path("rename"));
}

static void test_block_beats_allow(void)
{
	static const char y[] = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
				"metadata: {name: b-block, namespace: ns}\nspec:\n  file:\n    matchDirectories:\n"
				"    - dir: /etc/\n      recursive: true\n  action: Block\n---\n"
				"apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
				"metadata: {name: a-allow, namespace: ns}\nspec:\n  file:\n    matchPaths:\n"
				"    - path: /etc/shadow\n  action: Allow\n";
	const char *pol;
	struct kc_verdict v = decide(y, &pod, audit3, KC_OP_READ, "/etc/shadow", "/bin/cat", true, &pol);
	CU_ASSERT_EQUAL(v.action, IR_BLOCK);
	CU_ASSERT_STRING_EQUAL(pol, "b-block");
	CU_ASSERT_EQUAL(v.reason, KC_R_BLOCK_RULE);
}

static void test_posture_then_audit(void)
{
	static const char y[] = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
				"metadata: {name: p, namespace: ns}\nspec:\n  file:\n    matchPaths:\n"
				"    - path: /data/ok\n      action: Allow\n    - path: /data/log\n      action: Audit\n";
	const char *pol;
	struct kc_verdict v = decide(y, &pod, block3, KC_OP_READ, "/data/log", "/bin/cat", true, &pol);
	CU_ASSERT_EQUAL(v.action, IR_BLOCK);	/* allow-list: posture before Audit */
	CU_ASSERT_STRING_EQUAL(pol, "DefaultPosture");
	v = decide(y, &pod, audit3, KC_OP_READ, "/data/log", "/bin/cat", true, &pol);
	CU_ASSERT_EQUAL(v.action, IR_AUDIT);
	CU_ASSERT_STRING_EQUAL(pol, "DefaultPosture");
	v = decide(y, &pod, block3, KC_OP_READ, "/data/ok", "/bin/cat", true, &pol);
	CU_ASSERT_EQUAL(v.action, IR_ALLOW);
	CU_ASSERT_EQUAL(v.reason, KC_R_GRANTED);
	/* process shares the file posture class: exec is not granted by a file rule */
	v = decide(y, &pod, block3, KC_OP_EXEC, "/bin/cat", "/bin/sh", true, &pol);
	CU_ASSERT_EQUAL(v.action, IR_BLOCK);
	CU_ASSERT_STRING_EQUAL(pol, "DefaultPosture");
	/* network is another class: untouched */
	v = decide(y, &pod, block3, KC_OP_NETWORK, "tcp", "/bin/sh", true, &pol);
	CU_ASSERT_EQUAL(v.action, IR_ALLOW);
	CU_ASSERT_PTR_NULL(pol);
}

static void test_static_modifiers(void)
{
	static const char y[] = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
				"metadata: {name: p, namespace: ns}\nspec:\n  file:\n    matchPaths:\n"
				"    - path: /ro\n      readOnly: true\n      action: Block\n"
				"    - path: /own\n      ownerOnly: true\n      action: Audit\n";
	static const char both[] = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
				   "metadata: {name: p, namespace: ns}\nspec:\n  file:\n    matchPaths:\n"
				   "    - path: /both\n      readOnly: true\n      ownerOnly: true\n      action: Allow\n";
	const char *pol;
	CU_ASSERT_EQUAL(decide(y, &pod, audit3, KC_OP_READ, "/ro", "/bin/cat", true, &pol).action, IR_ALLOW);
	struct kc_verdict v = decide(y, &pod, audit3, KC_OP_WRITE, "/ro", "/bin/sh", true, &pol);
	CU_ASSERT_EQUAL(v.action, IR_BLOCK);
	CU_ASSERT_EQUAL(v.reason, KC_R_READONLY);
	/* Audit narrows what is audited */
	CU_ASSERT_EQUAL(decide(y, &pod, audit3, KC_OP_READ, "/own", "/bin/cat", true, &pol).action, IR_ALLOW);
	CU_ASSERT_EQUAL(decide(y, &pod, audit3, KC_OP_READ, "/own", "/bin/cat", false, &pol).action, IR_AUDIT);
	/* both: only the owner's reads pass */
	CU_ASSERT_EQUAL(decide(both, &pod, block3, KC_OP_READ, "/both", "/bin/cat", true, &pol).action, IR_ALLOW);
	CU_ASSERT_EQUAL(decide(both, &pod, block3, KC_OP_READ, "/both", "/bin/cat", false, &pol).action, IR_BLOCK);
	v = decide(both, &pod, audit3, KC_OP_WRITE, "/both", "/bin/sh", true, &pol);
	CU_ASSERT_EQUAL(v.action, IR_BLOCK);
	CU_ASSERT_STRING_EQUAL(pol, "p");
}

static void test_matching_kinds(void)
{
	static const char y[] = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
				"metadata: {name: p, namespace: ns}\nspec:\n  process:\n    matchDirectories:\n"
				"    - dir: /usr/bin/\n    matchPaths:\n    - execname: nc\n    matchPatterns:\n"
				"    - pattern: /opt/**/run-*\n  action: Block\n";
	const char *pol;
	CU_ASSERT_EQUAL(decide(y, &pod, audit3, KC_OP_EXEC, "/usr/bin/id", "/bin/sh", true, &pol).action, IR_BLOCK);
	CU_ASSERT_EQUAL(decide(y, &pod, audit3, KC_OP_EXEC, "/usr/bin/x/id", "/bin/sh", true, &pol).action,
			IR_ALLOW);
	CU_ASSERT_EQUAL(decide(y, &pod, audit3, KC_OP_EXEC, "/usr/bin", "/bin/sh", true, &pol).action, IR_BLOCK);
	CU_ASSERT_EQUAL(decide(y, &pod, audit3, KC_OP_EXEC, "/tmp/nc", "/bin/sh", true, &pol).action, IR_BLOCK);
	CU_ASSERT_EQUAL(decide(y, &pod, audit3, KC_OP_EXEC, "/opt/a/b/run-me", "/bin/sh", true, &pol).action,
			IR_BLOCK);
	CU_ASSERT_EQUAL(decide(y, &pod, audit3, KC_OP_EXEC, "/opt/run-me", "/bin/sh", true, &pol).action,
			IR_ALLOW);
	/* file ops are not matched by process rules */
	CU_ASSERT_EQUAL(decide(y, &pod, audit3, KC_OP_READ, "/usr/bin/id", "/bin/sh", true, &pol).action, IR_ALLOW);
}

static void test_from_source(void)
{
	static const char y[] = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
				"metadata: {name: p, namespace: ns}\nspec:\n  process:\n    matchPaths:\n"
				"    - path: /bin/ls\n      fromSource:\n      - path: /bin/dash\n  action: Block\n";
	const char *pol;
	CU_ASSERT_EQUAL(decide(y, &pod, audit3, KC_OP_EXEC, "/bin/ls", "/bin/dash", true, &pol).action, IR_BLOCK);
	CU_ASSERT_EQUAL(decide(y, &pod, audit3, KC_OP_EXEC, "/bin/ls", "/bin/bash", true, &pol).action, IR_ALLOW);
}

static void test_network_capabilities_syscalls(void)
{
	static const char y[] = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
				"metadata: {name: p, namespace: ns}\nspec:\n  network:\n    matchProtocols:\n"
				"    - protocol: ALL\n  capabilities:\n    matchCapabilities:\n    - capability: net_raw\n"
				"  syscalls:\n    matchSyscalls:\n    - syscall: [unlink]\n  action: Block\n";
	const char *pol;
	CU_ASSERT_EQUAL(decide(y, &pod, audit3, KC_OP_NETWORK, "udp", "/bin/sh", true, &pol).action, IR_BLOCK);
	CU_ASSERT_EQUAL(decide(y, &pod, audit3, KC_OP_CAPABILITY, "CAP_NET_RAW", "/bin/sh", true, &pol).action,
			IR_BLOCK);
	CU_ASSERT_EQUAL(decide(y, &pod, audit3, KC_OP_CAPABILITY, "sys_admin", "/bin/sh", true, &pol).action,
			IR_ALLOW);
	struct kc_verdict v = decide(y, &pod, block3, KC_OP_SYSCALL, "unlink", "/bin/rm", true, &pol);
	CU_ASSERT_EQUAL(v.action, IR_AUDIT);	/* syscall rules only audit */
	CU_ASSERT_EQUAL(v.reason, KC_R_SYSCALL);
}

static void test_baseline(void)
{
	static const char y[] = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
				"metadata: {name: p, namespace: ns}\nspec:\n  process:\n    matchPaths:\n"
				"    - path: /app/run\n  action: Allow\n";
	const char *pol;
	struct kc_verdict v = decide(y, &pod, block3, KC_OP_READ, "/lib/x86_64-linux-gnu/libc.so.6", "/app/run",
				     true, &pol);
	CU_ASSERT_EQUAL(v.action, IR_ALLOW);
	CU_ASSERT_EQUAL(v.reason, KC_R_BASELINE);
	CU_ASSERT_EQUAL(decide(y, &pod, block3, KC_OP_WRITE, "/dev/null", "/app/run", true, &pol).action, IR_ALLOW);
	CU_ASSERT_EQUAL(decide(y, &pod, block3, KC_OP_WRITE, "/dev/urandom", "/app/run", true, &pol).action,
			IR_BLOCK);
	CU_ASSERT_EQUAL(decide(y, &pod, block3, KC_OP_EXEC, "/lib/x", "/app/run", true, &pol).action, IR_BLOCK);
	CU_ASSERT_EQUAL(decide(y, &pod, block3, KC_OP_READ, "/lib32/x", "/app/run", true, &pol).action, IR_BLOCK);
}

static void test_selection(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "s.yaml",
		  "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata: {name: k}\n"
		  "spec:\n  selector:\n    matchExpressions:\n    - {key: label, operator: In, values: [app=x, app=y]}\n"
		  "    - {key: label, operator: NotIn, values: [tier=db]}\n  file:\n    matchPaths:\n    - path: /a\n"
		  "---\napiVersion: security.kubearmor.com/v1\nkind: KubeArmorClusterPolicy\nmetadata: {name: c}\n"
		  "spec:\n  selector:\n    matchExpressions:\n    - {key: namespace, operator: NotIn, values: [kube-system]}\n"
		  "  file:\n    matchPaths:\n    - path: /a\n"
		  "---\napiVersion: security.kubearmor.com/v1\nkind: KubeArmorHostPolicy\nmetadata: {name: h}\n"
		  "spec:\n  nodeSelector:\n    matchLabels: {kubearmor.io/hostname: \"*\"}\n  file:\n    matchPaths:\n"
		  "    - path: /a\n");
	CU_ASSERT_EQUAL_FATAL(u.prog.npolicies, 3);
	const struct ir_policy *csp = &u.prog.policies[0], *hsp = &u.prog.policies[1], *ksp = &u.prog.policies[2];
	struct kc_label l1[] = {{"app", "y"}}, l2[] = {{"app", "x"}, {"tier", "db"}};
	struct kc_workload def_y = {false, NULL, l1, 1, NULL}, def_db = {false, "default", l2, 2, NULL};
	struct kc_workload sys_y = {false, "kube-system", l1, 1, NULL}, host = {true, NULL, NULL, 0, NULL};
	CU_ASSERT_TRUE(kc_selects(&u.prog, ksp, &def_y));	/* absent namespace = default */
	CU_ASSERT_FALSE(kc_selects(&u.prog, ksp, &def_db));	/* NotIn */
	CU_ASSERT_FALSE(kc_selects(&u.prog, ksp, &sys_y));
	CU_ASSERT_TRUE(kc_selects(&u.prog, csp, &def_y));
	CU_ASSERT_FALSE(kc_selects(&u.prog, csp, &sys_y));
	CU_ASSERT_FALSE(kc_selects(&u.prog, csp, &host));
	CU_ASSERT_TRUE(kc_selects(&u.prog, hsp, &host));
	CU_ASSERT_FALSE(kc_selects(&u.prog, hsp, &def_y));
	unit_free(&u);
}

void test_verdict_register(void)
{
	CU_pSuite s = CU_add_suite("verdict", NULL, NULL);
	CU_add_test(s, "Block beats Allow", test_block_beats_allow);
	CU_add_test(s, "allow-list: posture before Audit; classes", test_posture_then_audit);
	CU_add_test(s, "readOnly and ownerOnly are static", test_static_modifiers);
	CU_add_test(s, "a creation is a write by the new file's owner", test_creation);
	CU_add_test(s, "dir, execname and pattern matching", test_matching_kinds);
	CU_add_test(s, "fromSource", test_from_source);
	CU_add_test(s, "network, capabilities, syscalls", test_network_capabilities_syscalls);
	CU_add_test(s, "baseline", test_baseline);
	CU_add_test(s, "syscalls.matchPaths: only syscalls that take a path", test_syscall_path);
	CU_add_test(s, "selectors (KSP, CSP, HSP)", test_selection);
}
