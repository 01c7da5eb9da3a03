#include "explain.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "report.h"
#include "verdict.h"

bool kc_parse_posture(const char *spec, enum ir_posture posture[IR_PC_COUNT])
{
	static const char *const classes[] = {"file", "network", "capabilities"};
	const char *p = spec;
	while (*p) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		if (!eq)
			return false;
		int cls = -1;
		for (int i = 0; i < IR_PC_COUNT; i++)
			if ((size_t)(eq - p) == strlen(classes[i]) && strncmp(p, classes[i], (size_t)(eq - p)) == 0)
				cls = i;
		size_t vlen = len - (size_t)(eq - p) - 1;
		if (cls < 0)
			return false;
		if (vlen == 5 && strncmp(eq + 1, "block", 5) == 0)
			posture[cls] = IR_POSTURE_BLOCK;
		else if (vlen == 5 && strncmp(eq + 1, "audit", 5) == 0)
			posture[cls] = IR_POSTURE_AUDIT;
		else
			return false;
		if (!end)
			break;
		p = end + 1;
	}
	return true;
}

static bool kc_parse_label(const char *s, struct kc_label *out)
{
	const char *eq = strchr(s, '=');
	if (!eq || eq == s)
		return false;
	char *key = strndup(s, (size_t)(eq - s));
	if (!key)
		fe_oom();
	out->key = key;
	out->value = eq + 1;
	return true;
}

static void kc_explain_text(const struct ir_program *p, const struct kc_operation *op,
			    const struct kc_verdict *v)
{
	printf("verdict: %s\n", ir_action_name(v->action));
	if (v->policy)
		printf("alert:   %s\n", v->policy);
	else
		printf("alert:   none\n");
	if (v->rule >= 0) {
		const struct ir_rule *r = &p->rules[v->rule];
		const struct ir_policy *pol = &p->policies[r->policy];
		printf("rule:    %s:%u:%u: %s %s %s '%s'", r->loc.src->name, r->loc.line, r->loc.col,
		       ir_kind_name(pol->kind), ir_s(&p->strs, pol->name), ir_class_name(r->cls),
		       ir_s(&p->strs, r->target));
		printf(" (%s %s", ir_match_name(r->match), ir_action_name(r->action));
		if (r->flags & IR_RULE_READONLY)
			printf(", readOnly");
		if (r->flags & IR_RULE_OWNERONLY)
			printf(", ownerOnly");
		if (r->source.kind != IR_SRC_ANY)
			printf(", fromSource %s", ir_s(&p->strs, r->source.path));
		if (r->severity)
			printf(", severity %d", r->severity);
		printf(")\n");
	} else if (v->reason == KC_R_BASELINE) {
		printf("rule:    baseline entry '%s' (DESIGN §4.9, karmorc(1) BASELINE)\n", ir_baseline[v->baseline].path);
	}
	printf("why:     %s", kc_reason_text(v->reason));
	if (v->reason == KC_R_POSTURE)
		printf(" (%s posture: %s)", ir_posture_class_name(v->pclass), ir_posture_name(v->posture));
	if (v->as_write)
		printf(" (%s writes %s, so it is judged as that write too: DESIGN §4.11)", op->resource, op->path);
	printf("\n");
	printf("op:      %s %s%s%s%s by %s%s\n", kc_op_name(op->op), op->resource, op->path ? " on " : "",
	       op->path ? op->path : "", op->create ? " (creates it: DESIGN §4.11)" : "", op->source,
	       op->owner ? "" : " (not the owner)");
}

static void kc_explain_json(const struct ir_program *p, const struct kc_operation *op,
			    const struct kc_verdict *v)
{
	printf("{\"verdict\":\"%s\",\"policy\":", ir_action_name(v->action));
	if (v->policy)
		kc_json_string(stdout, v->policy);
	else
		printf("null");
	printf(",\"reason\":");
	kc_json_string(stdout, kc_reason_text(v->reason));
	printf(",\"allowList\":%s,\"posture\":\"%s\",\"op\":\"%s\",\"resource\":", v->allow_list ? "true" : "false",
	       ir_posture_name(v->posture), kc_op_name(op->op));
	kc_json_string(stdout, op->resource);
	printf(",\"source\":");
	kc_json_string(stdout, op->source);
	printf(",\"owner\":%s", op->owner ? "true" : "false");
	if (op->create)
		printf(",\"create\":true");
	if (v->as_write)
		printf(",\"asWrite\":true");
	if (op->path) {
		printf(",\"path\":");
		kc_json_string(stdout, op->path);
	}
	if (v->rule >= 0) {
		const struct ir_rule *r = &p->rules[v->rule];
		printf(",\"rule\":{\"file\":");
		kc_json_string(stdout, r->loc.src->name);
		printf(",\"line\":%u,\"column\":%u,\"class\":\"%s\",\"match\":\"%s\",\"target\":", r->loc.line,
		       r->loc.col, ir_class_name(r->cls), ir_match_name(r->match));
		kc_json_string(stdout, ir_s(&p->strs, r->target));
		printf(",\"action\":\"%s\"}", ir_action_name(r->action));
	}
	if (v->baseline >= 0) {
		printf(",\"baseline\":");
		kc_json_string(stdout, ir_baseline[v->baseline].path);
	}
	printf("}\n");
}

/* With --workloads: the target of the workload (NS/NAME or NS/KIND/NAME, and the container
 * when it has several) or node named, from the inventory's targets; (size_t)-1 after
 * saying why when none or more than one fits. */
static size_t kc_inventory_pick(const struct kc_targets *ts, const char *workload, const char *container,
				const char *node)
{
	char ns[256] = "", kind[64] = "", name[256] = "";
	if (workload) {
		const char *a = strchr(workload, '/'), *b = a ? strchr(a + 1, '/') : NULL;
		size_t nsl = a ? (size_t)(a - workload) : 0;
		if (!a || nsl == 0 || nsl >= sizeof(ns) || a[1] == '\0' || (b && (b == a + 1 || b[1] == '\0'))) {
			fprintf(stderr, "karmorc: explain: --workload takes NAMESPACE/NAME or NAMESPACE/KIND/NAME, not "
				"'%s'\n", workload);
			return (size_t)-1;
		}
		memcpy(ns, workload, nsl);
		snprintf(kind, sizeof(kind), "%.*s", b ? (int)(b - a - 1) : 0, a + 1);
		snprintf(name, sizeof(name), "%s", b ? b + 1 : a + 1);
	}
	size_t n;
	size_t found = kc_targets_find_identity(ts, node != NULL, ns, kind[0] ? kind : NULL, node ? node : name,
						container, &n);
	if (n == 1)
		return found;
	if (n == 0) {
		fprintf(stderr, "karmorc: explain: the inventory has no %s %s%s%s\n", node ? "node" : "workload",
			node ? node : workload, container ? " with a container " : "", container ? container : "");
		return (size_t)-1;
	}
	fprintf(stderr, "karmorc: explain: %s names %zu targets of the inventory; name one of them:\n", workload, n);
	for (size_t i = found; i < ts->n; i++) {
		const struct ir_identity *id = ts->items[i].identity;
		if (id && !ts->items[i].host && strcmp(id->namespace, ns) == 0 && strcmp(id->workload, name) == 0)
			fprintf(stderr, "  --workload %s/%s/%s --container %s\n", id->namespace, id->kind, id->workload,
				id->container);
	}
	return (size_t)-1;
}

int kc_cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
		{"namespace", required_argument, NULL, 'n'}, {"label", required_argument, NULL, 'l'},
		{"container", required_argument, NULL, 'c'}, {"host", no_argument, NULL, 'H'},
		{"host-label", required_argument, NULL, 'L'}, {"source", required_argument, NULL, 's'},
		{"not-owner", no_argument, NULL, 'N'}, {"op", required_argument, NULL, 'o'},
		{"resource", required_argument, NULL, 'r'}, {"path", required_argument, NULL, 'p'},
		{"posture", required_argument, NULL, 'P'}, {"schema", required_argument, NULL, 'S'},
		{"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'},
		{"workloads", required_argument, NULL, 'w'}, {"workload", required_argument, NULL, 'W'},
		{"node", required_argument, NULL, 'D'}, {"create", no_argument, NULL, 'C'},
		{NULL, 0, NULL, 0},
	};
	struct kc_workload w;
	memset(&w, 0, sizeof(w));
	struct kc_operation op;
	memset(&op, 0, sizeof(op));
	op.owner = true;
	op.source = "/bin/sh";
	const char *op_s = NULL;
	enum ir_posture posture[IR_PC_COUNT] = {IR_POSTURE_AUDIT, IR_POSTURE_AUDIT, IR_POSTURE_AUDIT};
	enum fe_schema_mode mode = FE_SCHEMA_CRD;
	bool json = false;
	struct kc_label *labels = calloc((size_t)argc, sizeof(*labels));
	char **inventory = calloc((size_t)argc + 1, sizeof(*inventory));
	size_t ninventory = 0;
	const char *wl_name = NULL, *node = NULL;
	if (!labels || !inventory)
		fe_oom();
	int rc = 2, c;
	/* "-- OP RESOURCE [PATH]" ends the command line; options and policy paths come before it
	 * in any order, so getopt only sees that part */
	int dashdash = argc;
	for (int k = 1; k < argc; k++) {
		if (strcmp(argv[k], "--") == 0) {
			dashdash = k;
			break;
		}
	}
	optind = 1;
	while ((c = getopt_long(dashdash, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': w.namespace = optarg; break;
		case 'w': inventory[ninventory++] = optarg; break;
		case 'W': wl_name = optarg; break;
		case 'D': node = optarg; break;
		case 'c': w.container = optarg; break;
		case 'H': w.host = true; break;
		case 'L':
			w.host = true;
			/* fall through */
		case 'l':
			if (!kc_parse_label(optarg, &labels[w.nlabels])) {
				fprintf(stderr, "karmorc: explain: a label is key=value, not '%s'\n", optarg);
				goto out;
			}
			w.nlabels++;
			break;
		case 's': op.source = optarg; break;
		case 'N': op.owner = false; break;
		case 'C': op.create = true; break;
		case 'o': op_s = optarg; break;
		case 'r': op.resource = optarg; break;
		case 'p': op.path = optarg; break;
		case 'P':
			if (!kc_parse_posture(optarg, posture)) {
				fprintf(stderr, "karmorc: explain: --posture takes CLASS=MODE[,...] with CLASS file, network "
					"or capabilities and MODE audit or block, not '%s'\n", optarg);
				goto out;
			}
			break;
		case 'S':
			if (strcmp(optarg, "crd") == 0) mode = FE_SCHEMA_CRD;
			else if (strcmp(optarg, "daemon") == 0) mode = FE_SCHEMA_DAEMON;
			else {
				fprintf(stderr, "karmorc: explain: --schema must be crd or daemon\n");
				goto out;
			}
			break;
		case 'f':
			if (strcmp(optarg, "json") == 0) json = true;
			else if (strcmp(optarg, "text") != 0) {
				fprintf(stderr, "karmorc: explain: --format must be text or json\n");
				goto out;
			}
			break;
		case 'h':
			printf("usage: karmorc explain [--namespace NS] [--label K=V]... [--container NAME]\n"
			       "                       [--host] [--host-label K=V]... [--source EXE] [--not-owner]\n"
			       "                       [--create]\n"
			       "                       [--workloads PATH... (--workload NS/[KIND/]NAME [--container NAME]\n"
			       "                        | --node NAME)]\n"
			       "                       [--posture CLASS=MODE,...] [--schema crd|daemon]\n"
			       "                       [--format text|json]\n"
			       "                       (--op OP --resource RES [--path P] | ... -- OP RES [P])\n"
			       "                       POLICY_PATH...\n");
			rc = 0;
			goto out;
		default:
			fprintf(stderr, "karmorc: explain: see 'karmorc explain --help'\n");
			goto out;
		}
	}
	/* positional: policy paths, then optionally "-- OP RESOURCE [PATH]" */
	int npaths = dashdash - optind;
	char **paths = argv + optind;
	int i = dashdash;
	if (i < argc) {
		i++;
		if (i < argc)
			op_s = argv[i++];
		if (i < argc)
			op.resource = argv[i++];
		if (i < argc)
			op.path = argv[i++];
		if (i < argc) {
			fprintf(stderr, "karmorc: explain: unexpected '%s' after the operation\n", argv[i]);
			goto out;
		}
	}
	if (npaths == 0 || !op_s || !op.resource) {
		fprintf(stderr, "karmorc: explain: needs POLICY_PATH... and an operation (--op and --resource, or "
			"-- OP RESOURCE)\n");
		goto out;
	}
	if (!kc_op_parse(op_s, &op.op)) {
		fprintf(stderr, "karmorc: explain: op must be exec, read, write, network, capability or syscall, "
			"not '%s'\n", op_s);
		goto out;
	}
	/* the scenario reader's rules for `create: true` (compiler/scenario.c) */
	if (op.create && op.op != KC_OP_WRITE) {
		fprintf(stderr, "karmorc: explain: --create is only for op write (creating a file or directory is a "
			"write of its path), not op %s\n", kc_op_name(op.op));
		goto out;
	}
	if (op.create && !op.owner) {
		fprintf(stderr, "karmorc: explain: a created file belongs to the user who creates it: --create cannot "
			"go with --not-owner\n");
		goto out;
	}
	w.labels = labels;
	if (ninventory && ((wl_name != NULL) == (node != NULL) || w.namespace || w.nlabels || w.host ||
			   (node && w.container))) {
		fprintf(stderr, "karmorc: explain: with --workloads, name the target with --workload NS/[KIND/]NAME "
			"(and --container) or --node NAME, not with --namespace, --label, --host or --host-label\n");
		goto out;
	}
	if (!ninventory && (wl_name || node)) {
		fprintf(stderr, "karmorc: explain: --%s picks a target of a workload inventory: give --workloads PATH\n",
			wl_name ? "workload" : "node");
		goto out;
	}

	/* explain runs the pipeline to the targets: the workload's target, as compile builds it */
	struct kc_pipeline pl;
	kc_pipeline_init(&pl, "explain");
	pl.mode = mode;
	memcpy(pl.posture, posture, sizeof(posture));
	pl.paths = paths;
	pl.npaths = (size_t)npaths;
	pl.refusal = "the policies have errors; no verdict";
	pl.workload = ninventory ? NULL : &w;
	pl.workload_paths = inventory;
	pl.nworkload_paths = ninventory;
	rc = kc_pipeline_run(&pl, KC_STAGE_TARGETS);
	if (rc == 0 && ninventory) {
		pl.workload_target = kc_inventory_pick(&pl.targets, wl_name, w.container, node);
		if (pl.workload_target == (size_t)-1)
			rc = 1;
	}
	if (rc == 0) {
		kc_report(stderr, pl.diags, KC_FORMAT_TEXT, false);
		struct fe_matcher *m = fe_matcher_new(pl.prog);
		struct kc_verdict v = kc_decide(m, &pl.targets.items[pl.workload_target], &op);
		if (json)
			kc_explain_json(pl.prog, &op, &v);
		else
			kc_explain_text(pl.prog, &op, &v);
		fe_matcher_free(m);
	}
	kc_pipeline_free(&pl);
out:
	for (size_t k = 0; k < w.nlabels; k++)
		free((char *)labels[k].key);
	free(labels);
	free(inventory);
	return rc;
}
