/* fe_schema and fe_lower: CRD strictness, daemon mode, lowering to effective rules. */
#include <asm/unistd_64.h>
#include <string.h>

#include "../frontend/schema.h"
#include "unit.h"

#define KSP_HEAD "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: p\n  namespace: ns\n"
#define HSP_HEAD "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorHostPolicy\nmetadata:\n  name: h\n"

static void test_valid_policy(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "p.yaml",
		  KSP_HEAD "spec:\n  selector:\n    matchLabels: {app: x}\n  process:\n    matchPaths:\n"
			   "    - path: /bin/sleep\n  action: Block\n");
	CU_ASSERT_EQUAL(u.diags.errors, 0);
	CU_ASSERT_EQUAL(u.diags.warnings, 0);
	CU_ASSERT_EQUAL(u.prog.npolicies, 1);
	CU_ASSERT_EQUAL(u.prog.nrules, 1);
	unit_free(&u);
}

static void test_unknown_field_suggestion(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "p.yaml",
		  KSP_HEAD "spec:\n  file:\n    matchDirectories:\n    - dir: /etc/\n      recurive: true\n");
	const struct fe_diag *dg = unit_find(&u, FE_UNKNOWN_FIELD);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dg);
	CU_ASSERT_EQUAL(dg->severity, FE_ERROR);
	CU_ASSERT_EQUAL(dg->loc.line, 10);
	CU_ASSERT_EQUAL(dg->loc.col, 7);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dg->fixit);
	CU_ASSERT_PTR_NOT_NULL(strstr(dg->fixit, "'recursive'"));
	CU_ASSERT_EQUAL(u.prog.npolicies, 0);	/* nothing half-applied */
	unit_free(&u);

	unit_load(&u, FE_SCHEMA_DAEMON, "p.yaml",
		  KSP_HEAD "spec:\n  file:\n    matchDirectories:\n    - dir: /etc/\n      recurive: true\n");
	CU_ASSERT_EQUAL(u.diags.errors, 0);
	CU_ASSERT_TRUE(unit_has(&u, FE_UNKNOWN_FIELD, FE_WARNING));
	unit_free(&u);
}

static void test_selector_labels(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "p.yaml",
		  KSP_HEAD "spec:\n  selector:\n    app: mariadb\n  process:\n    matchPaths:\n    - path: /bin/x\n");
	CU_ASSERT_TRUE(unit_has(&u, FE_SELECTOR_LABELS, FE_ERROR));
	const struct fe_diag *dg = unit_find(&u, FE_SELECTOR_LABELS);
	CU_ASSERT_PTR_NOT_NULL(strstr(dg->message, "every workload"));
	unit_free(&u);
}

static void test_dir_slash_modes(void)
{
	static const char doc[] = HSP_HEAD "spec:\n  nodeSelector:\n    matchLabels: {a: b}\n  process:\n"
				  "    matchDirectories:\n    - dir: /usr/bin\n  action: Block\n";
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "h.yaml", doc);
	CU_ASSERT_TRUE(unit_has(&u, FE_DIR_SLASH, FE_ERROR));
	CU_ASSERT_STRING_EQUAL(unit_find(&u, FE_DIR_SLASH)->fixit, "dir: /usr/bin/");
	unit_free(&u);
	unit_load(&u, FE_SCHEMA_DAEMON, "h.yaml", doc);
	CU_ASSERT_EQUAL(u.diags.errors, 0);
	CU_ASSERT_TRUE(unit_has(&u, FE_DAEMON_ONLY, FE_WARNING));
	CU_ASSERT_EQUAL_FATAL(u.prog.nrules, 1);
	/* normalised so that it means what the daemon means */
	CU_ASSERT_STRING_EQUAL(ir_s(&u.prog.strs, u.prog.rules[0].target), "/usr/bin/");
	unit_free(&u);
}

static void test_lower_case_action(void)
{
	static const char doc[] = KSP_HEAD "spec:\n  file:\n    matchPaths:\n    - path: /etc/x\n  action: audit\n";
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "p.yaml", doc);
	CU_ASSERT_TRUE(unit_has(&u, FE_BAD_ENUM, FE_ERROR));
	CU_ASSERT_STRING_EQUAL(unit_find(&u, FE_BAD_ENUM)->fixit, "write 'Audit'");
	unit_free(&u);
	unit_load(&u, FE_SCHEMA_DAEMON, "p.yaml", doc);
	CU_ASSERT_EQUAL(u.diags.errors, 0);
	CU_ASSERT_EQUAL_FATAL(u.prog.nrules, 1);
	CU_ASSERT_EQUAL(u.prog.rules[0].action, IR_AUDIT);
	unit_free(&u);
}

static void test_ranges_and_types(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "p.yaml",
		  KSP_HEAD "spec:\n  severity: 11\n  file:\n    matchPaths:\n    - path: /etc/x\n      readOnly: \"true\"\n");
	CU_ASSERT_TRUE(unit_has(&u, FE_OUT_OF_RANGE, FE_ERROR));
	CU_ASSERT_TRUE(unit_has(&u, FE_WRONG_TYPE, FE_ERROR));
	unit_free(&u);

	char longpath[400] = KSP_HEAD "spec:\n  file:\n    matchPaths:\n    - path: /";
	size_t n = strlen(longpath);
	memset(longpath + n, 'a', 210);
	strcpy(longpath + n + 210, "\n");
	unit_load(&u, FE_SCHEMA_CRD, "p.yaml", longpath);
	CU_ASSERT_TRUE(unit_has(&u, FE_TOO_LONG, FE_ERROR));
	unit_free(&u);
}

static void test_names(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "p.yaml",
		  "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: Bad Name\n"
		  "  namespace: Bad_NS\nspec:\n  file:\n    matchPaths:\n    - path: /etc/x\n");
	CU_ASSERT_TRUE(unit_has(&u, FE_BAD_NAME, FE_ERROR));
	CU_ASSERT_TRUE(unit_has(&u, FE_BAD_NAMESPACE, FE_ERROR));
	unit_free(&u);
}

static void test_protocols_and_capabilities(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "p.yaml",
		  KSP_HEAD "spec:\n  network:\n    matchProtocols:\n    - protocol: icmp\n    - protocol: tcp,UDP\n"
			   "  capabilities:\n    matchCapabilities:\n    - capability: cap_net_raw\n");
	CU_ASSERT_EQUAL(u.diags.errors, 0);
	CU_ASSERT_TRUE(unit_has(&u, FE_COMMA_LIST, FE_WARNING));
	CU_ASSERT_TRUE(unit_has(&u, FE_CAP_PREFIX, FE_WARNING));
	/* icmp, tcp, udp (expanded, lower case), net_raw (prefix dropped) */
	CU_ASSERT_EQUAL_FATAL(u.prog.nrules, 4);
	CU_ASSERT_STRING_EQUAL(ir_s(&u.prog.strs, u.prog.rules[1].target), "tcp");
	CU_ASSERT_STRING_EQUAL(ir_s(&u.prog.strs, u.prog.rules[2].target), "udp");
	CU_ASSERT_STRING_EQUAL(ir_s(&u.prog.strs, u.prog.rules[3].target), "net_raw");
	unit_free(&u);

	unit_load(&u, FE_SCHEMA_CRD, "p.yaml",
		  KSP_HEAD "spec:\n  network:\n    matchProtocols:\n    - protocol: bogus,tcp\n");
	CU_ASSERT_TRUE(unit_has(&u, FE_BAD_NAME_IN_LIST, FE_ERROR));
	unit_free(&u);
}

static void test_regex_anchoring(void)
{
	/* the CRD protocol pattern is anchored at the end only, as the API server applies it */
	CU_ASSERT_TRUE(fe_regex_match(FE_RE_PROTOCOL, "tcp,udp", 7));
	CU_ASSERT_FALSE(fe_regex_match(FE_RE_PROTOCOL, "Tcp", 3));
	CU_ASSERT_TRUE(fe_regex_match(FE_RE_DIR, "/", 1));
	CU_ASSERT_FALSE(fe_regex_match(FE_RE_DIR, "/usr/bin", 8));
	CU_ASSERT_FALSE(fe_regex_match(FE_RE_PATH, "/usr/bin/", 9));
	/* Go's `$` is end of text: a trailing newline does not pass */
	CU_ASSERT_FALSE(fe_regex_match(FE_RE_DNS1123_LABEL, "abc\n", 4));
	CU_ASSERT_STRING_EQUAL(fe_suggest("recurive", (const char *const[]){"readOnly", "recursive"}, 2),
			       "recursive");
	CU_ASSERT_PTR_NULL(fe_suggest("zzzzzz", (const char *const[]){"readOnly", "recursive"}, 2));
}

static void test_inheritance_and_sources(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "p.yaml",
		  KSP_HEAD "spec:\n  severity: 2\n  tags: [a]\n  message: spec\n  file:\n    severity: 5\n    action: Audit\n"
			   "    matchPaths:\n    - path: /etc/x\n      fromSource:\n      - path: /bin/a\n      - path: /bin/b\n"
			   "    - path: /etc/y\n      action: Allow\n      message: rule\n");
	CU_ASSERT_EQUAL(u.diags.errors, 0);
	CU_ASSERT_EQUAL_FATAL(u.prog.nrules, 3);
	const struct ir_rule *r = u.prog.rules;
	CU_ASSERT_EQUAL(r[0].action, IR_AUDIT);
	CU_ASSERT_EQUAL(r[0].severity, 5);
	CU_ASSERT_STRING_EQUAL(ir_s(&u.prog.strs, r[0].message), "spec");
	CU_ASSERT_EQUAL(r[0].tags.n, 1);
	CU_ASSERT_STRING_EQUAL(ir_s(&u.prog.strs, r[0].source.path), "/bin/a");
	CU_ASSERT_STRING_EQUAL(ir_s(&u.prog.strs, r[1].source.path), "/bin/b");
	CU_ASSERT_EQUAL(r[2].action, IR_ALLOW);
	CU_ASSERT_EQUAL(r[2].source.kind, IR_SRC_ANY);
	CU_ASSERT_STRING_EQUAL(ir_s(&u.prog.strs, r[2].message), "rule");
	CU_ASSERT_EQUAL(r[2].loc.line, 18);
	unit_free(&u);

	/* no action anywhere: Block */
	unit_load(&u, FE_SCHEMA_CRD, "p.yaml", KSP_HEAD "spec:\n  process:\n    matchPaths:\n    - path: /bin/x\n");
	CU_ASSERT_EQUAL_FATAL(u.prog.nrules, 1);
	CU_ASSERT_EQUAL(u.prog.rules[0].action, IR_BLOCK);
	unit_free(&u);
}

static void test_rules_required(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "p.yaml", KSP_HEAD "spec:\n  selector:\n    matchLabels: {a: b}\n");
	CU_ASSERT_TRUE(unit_has(&u, FE_NO_RULES, FE_ERROR));
	unit_free(&u);
	unit_load(&u, FE_SCHEMA_CRD, "p.yaml",
		  KSP_HEAD "spec:\n  process:\n    severity: 3\n  file:\n    matchPaths:\n    - path: /x\n");
	CU_ASSERT_TRUE(unit_has(&u, FE_EMPTY_SECTION, FE_ERROR));
	CU_ASSERT_FALSE(unit_has(&u, FE_NO_RULES, FE_ERROR));
	unit_free(&u);
}

static void test_host_rules(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "h.yaml",
		  HSP_HEAD "  namespace: x\nspec:\n  nodeSelector:\n    matchLabels: {a: b}\n  file:\n    matchPaths:\n"
			   "    - path: /etc/x\n    - path: /etc/y\n      fromSource:\n      - path: /bin/cat\n  action: Allow\n");
	CU_ASSERT_EQUAL(u.diags.errors, 0);
	CU_ASSERT_TRUE(unit_has(&u, FE_HOST_ALLOW_NO_SOURCE, FE_WARNING));
	CU_ASSERT_TRUE(unit_has(&u, FE_CLUSTER_NAMESPACE, FE_WARNING));
	CU_ASSERT_EQUAL_FATAL(u.prog.nrules, 1);	/* the sourceless Allow is dropped */
	CU_ASSERT_STRING_EQUAL(ir_s(&u.prog.strs, u.prog.rules[0].target), "/etc/y");
	unit_free(&u);

	unit_load(&u, FE_SCHEMA_CRD, "h.yaml",
		  HSP_HEAD "spec:\n  nodeSelector:\n    matchLabels: {a: b}\n  network:\n    matchProtocols:\n"
			   "    - protocol: tcp\n");
	CU_ASSERT_TRUE(unit_has(&u, FE_REQUIRED, FE_ERROR));	/* HSP network needs fromSource */
	unit_free(&u);
}

static void test_kinds(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "k.yaml",
		  "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\n"
		  "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicyy\nmetadata: {name: x}\n---\n"
		  "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorNetworkPolicy\nmetadata: {name: n}\n");
	CU_ASSERT_TRUE(unit_has(&u, FE_FOREIGN_DOCUMENT, FE_NOTE));
	CU_ASSERT_TRUE(unit_has(&u, FE_UNKNOWN_KIND, FE_ERROR));
	CU_ASSERT_STRING_EQUAL(unit_find(&u, FE_UNKNOWN_KIND)->fixit, "did you mean 'KubeArmorPolicy'?");
	CU_ASSERT_TRUE(unit_has(&u, FE_NETWORK_POLICY_SKIPPED, FE_WARNING));
	unit_free(&u);
}

static void test_bad_glob(void)
{
	/* a pattern the matcher cannot compile must be refused, not silently never match */
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "p.yaml",
		  KSP_HEAD "spec:\n  file:\n    matchPatterns:\n    - pattern: /etc/[abc\n    - pattern: /x/{a,b\n");
	CU_ASSERT_TRUE(unit_has(&u, FE_BAD_GLOB, FE_ERROR));
	CU_ASSERT_EQUAL(u.diags.errors, 2);
	CU_ASSERT_EQUAL(u.prog.npolicies, 0);
	unit_free(&u);
}

static void test_structure_lowering_relies_on(void)
{
	/* lowering asserts these cannot reach it: the schema must refuse each one */
	static const char *const docs[] = {
		KSP_HEAD "spec:\n  file:\n    matchPaths:\n    - path: /x\n      fromSource:\n      - {}\n",
		KSP_HEAD "spec:\n  syscalls:\n    matchSyscalls:\n    - fromSource:\n      - recursive: true\n        "
			 "path: /bin/x\n      syscall: [unlink]\n    - syscall: [unlink]\n      fromSource:\n      - {recursive: true}\n",
		KSP_HEAD "spec:\n  syscalls:\n    matchPaths:\n    - syscall: [unlink]\n",
		KSP_HEAD "spec:\n  syscalls:\n    matchSyscalls:\n    - syscall: []\n",
		KSP_HEAD "spec:\n  selector:\n    matchExpressions:\n    - {values: [a=b]}\n  file:\n    matchPaths:\n"
			 "    - path: /x\n",
	};
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct unit_prog u;
		unit_load(&u, FE_SCHEMA_CRD, "s.yaml", docs[i]);
		CU_ASSERT_TRUE(u.diags.errors >= 1);
		CU_ASSERT_EQUAL(u.prog.npolicies, 0);
		unit_free(&u);
	}
}

static void test_container_name_label(void)
{
	struct unit_prog u;
	unit_load(&u, FE_SCHEMA_CRD, "p.yaml",
		  KSP_HEAD "spec:\n  selector:\n    matchLabels:\n      kubearmor.io/container.name: \"[a, ,b]\"\n"
			   "      app: x\n  file:\n    matchPaths:\n    - path: /x\n");
	CU_ASSERT_EQUAL(u.diags.errors, 0);
	CU_ASSERT_EQUAL_FATAL(u.prog.npolicies, 1);
	const struct ir_policy *p = &u.prog.policies[0];
	CU_ASSERT_TRUE(p->has_containers);
	CU_ASSERT_EQUAL(p->containers.n, 2);
	CU_ASSERT_EQUAL(p->nlabels, 1);	/* the special key is not a label */
	unit_free(&u);
}

/* The CRD's syscall names are x86-64's table in order: each name's number is its
 * <asm/unistd_64.h> number (the BPF programs key syscall rules by it). */
static void test_syscall_numbers(void)
{
	static const struct {
		const char *name;
		int nr;
	} tab[] = {
#define FE_SYSCALL(name) {#name, __NR_##name},
#include "../frontend/syscalls.def"
#undef FE_SYSCALL
	};
	CU_ASSERT_EQUAL(sizeof(tab) / sizeof(tab[0]), 335);
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		CU_ASSERT_EQUAL(tab[i].nr, (int)i);
		CU_ASSERT_EQUAL(fe_syscall_number(tab[i].name), tab[i].nr);
	}
	CU_ASSERT_EQUAL(fe_syscall_number("SYS_UNLINK"), -1);
	CU_ASSERT_EQUAL(fe_syscall_number("umount"), -1);
}

void test_schema_register(void)
{
	CU_pSuite s = CU_add_suite("schema", NULL, NULL);
	CU_add_test(s, "a valid policy has no finding", test_valid_policy);
	CU_add_test(s, "unknown field: error with suggestion; daemon warns", test_unknown_field_suggestion);
	CU_add_test(s, "labels straight under selector", test_selector_labels);
	CU_add_test(s, "dir without '/': crd error, daemon warning + normalised", test_dir_slash_modes);
	CU_add_test(s, "lower-case action: crd error, daemon accepts", test_lower_case_action);
	CU_add_test(s, "ranges, maxLength and types", test_ranges_and_types);
	CU_add_test(s, "DNS-1123 name and namespace", test_names);
	CU_add_test(s, "protocol and capability lists", test_protocols_and_capabilities);
	CU_add_test(s, "CRD regex anchoring and suggestions", test_regex_anchoring);
	CU_add_test(s, "inheritance and fromSource expansion", test_inheritance_and_sources);
	CU_add_test(s, "a policy needs rules; a section needs entries", test_rules_required);
	CU_add_test(s, "host policies", test_host_rules);
	CU_add_test(s, "kinds and API groups", test_kinds);
	CU_add_test(s, "kubearmor.io/container.name", test_container_name_label);
	CU_add_test(s, "malformed globs are refused (KC0129)", test_bad_glob);
	CU_add_test(s, "structure lowering relies on is refused", test_structure_lowering_relies_on);
	CU_add_test(s, "syscall names are x86-64 numbers (asm/unistd_64.h)", test_syscall_numbers);
}
