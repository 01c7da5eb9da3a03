/*
 * kc_compile: `karmorc compile` -- its options, then the whole pipeline (pipeline.h):
 * load, targets, analyses, emit with the chosen backends (or every one, --target=all),
 * and write.
 */
#include "compile.h"

#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle.h"
#include "explain.h"
#include "pipeline.h"

static void kc_compile_usage(FILE *f)
{
	fputs("usage: karmorc compile --target=apparmor -o DIR [--posture CLASS=MODE,...] [--schema=crd|daemon]\n"
	      "                       [--workloads PATH]... [--apparmor-binary FEATURES_FILE] PATH...\n"
	      "       karmorc compile --target=bpf -o DIR [--posture CLASS=MODE,...] [--schema=crd|daemon]\n"
	      "                       [--workloads PATH]... [--bpf-object FILE] [--bpf-map-budget SIZE] PATH...\n"
	      "       karmorc compile --target=selinux -o DIR [--posture CLASS=MODE,...] [--schema=crd|daemon]\n"
	      "                       [--workloads PATH]... PATH...                  (host targets only)\n"
	      "       karmorc compile --target=landlock -o DIR [--posture CLASS=MODE,...] [--schema=crd|daemon]\n"
	      "                       [--workloads PATH]... PATH...   (for karmor-loader run)\n"
	      "       karmorc compile --target=all -o DIR [--posture CLASS=MODE,...] [--schema=crd|daemon]\n"
	      "                       [--workloads PATH]... [--apparmor-binary FEATURES_FILE] [--bpf-object FILE]\n"
	      "                       [--bpf-map-budget SIZE] PATH...\n"
	      "       karmorc compile --target=apparmor|bpf|selinux|landlock -o DIR [--bpf-object FILE]\n"
	      "                       [--bpf-map-budget SIZE] --scenario SCENARIO_FILE\n", f);
}

/* Where backend i's own option (be_backend.option), and be_options[k], are in getopt's table. */
#define KC_BACKEND_OPT 256
#define KC_EXTRA_OPT 512

/* compile, or bundle (the same options, but -o FILE and --sign; every backend unless
 * --target names them) */
static int kc_compile_main(int argc, char **argv, bool bundle)
{
	static const struct option fixed[] = {
		{"target", required_argument, NULL, 't'}, {"output", required_argument, NULL, 'o'},
		{"posture", required_argument, NULL, 'P'}, {"schema", required_argument, NULL, 'S'},
		{"scenario", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
		{"workloads", required_argument, NULL, 'w'}, {"sign", required_argument, NULL, 'K'},
		{"password-file", required_argument, NULL, 'W'}, {"oci", required_argument, NULL, 'O'},
	};
	const char *cmd = bundle ? "bundle" : "compile";
	void (*usage)(FILE *) = bundle ? kc_bundle_usage : kc_compile_usage;
	enum { NFIXED = sizeof(fixed) / sizeof(fixed[0]) };
	/* the fixed options, then one per backend that has its own (--bpf-object FILE, ...), then
	 * the backends' further ones (be_options: --bpf-map-budget SIZE, ...) */
	struct option opts[NFIXED + 16 + 16 + 1];
	const char *backend_arg[16] = {NULL}, *extra_arg[16] = {NULL};
	size_t nbackends = 0, nextra = 0, nopts = NFIXED;
	memcpy(opts, fixed, sizeof(fixed));
	for (const struct be_backend *const *b = be_backends; *b && nbackends < 16; b++, nbackends++)
		if ((*b)->option)
			opts[nopts++] = (struct option){(*b)->option, required_argument, NULL,
							KC_BACKEND_OPT + (int)nbackends};
	for (; nextra < 16 && be_options[nextra].backend; nextra++)
		opts[nopts++] = (struct option){be_options[nextra].name, required_argument, NULL,
						KC_EXTRA_OPT + (int)nextra};
	opts[nopts] = (struct option){NULL, 0, NULL, 0};

	struct kc_pipeline pl;
	kc_pipeline_init(&pl, cmd);
	pl.refusal = "the input has errors; nothing written";
	struct kc_bundle_opts bo = {0};
	pl.need_policy = true;
	pl.version = KC_VERSION;
	pl.totals = stdout;	/* the capacity lines (bpf) */
	const char *target = NULL;
	bool posture_given = false;
	char **workloads = calloc((size_t)argc + 1, sizeof(*workloads));
	if (!workloads)
		fe_oom();
	int c, rc = 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 't': target = optarg; break;
		case 'o': pl.outdir = optarg; break;
		case 's': pl.scenario = optarg; break;
		case 'w': workloads[pl.nworkload_paths++] = optarg; break;
		case 'K':
		case 'W':
		case 'O':
			if (!bundle) {
				kc_compile_usage(stderr);
				goto out;
			}
			*(c == 'K' ? &bo.sign_key : c == 'W' ? &bo.password_file : &bo.oci) = optarg;
			break;
		case 'P':
			posture_given = true;
			if (!kc_parse_posture(optarg, pl.posture)) {
				fprintf(stderr, "karmorc: %s: bad --posture '%s'\n", cmd, optarg);
				goto out;
			}
			break;
		case 'S':
			if (strcmp(optarg, "crd") == 0)
				pl.mode = FE_SCHEMA_CRD;
			else if (strcmp(optarg, "daemon") == 0)
				pl.mode = FE_SCHEMA_DAEMON;
			else {
				fprintf(stderr, "karmorc: %s: --schema must be crd or daemon\n", cmd);
				goto out;
			}
			break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default:
			if (c >= KC_BACKEND_OPT && (size_t)(c - KC_BACKEND_OPT) < nbackends) {
				backend_arg[c - KC_BACKEND_OPT] = optarg;
				break;
			}
			if (c >= KC_EXTRA_OPT && (size_t)(c - KC_EXTRA_OPT) < nextra) {
				extra_arg[c - KC_EXTRA_OPT] = optarg;
				break;
			}
			usage(stderr);
			goto out;
		}
	}
	if (sodium_init() < 0) {
		fputs("karmorc: internal error: libsodium cannot be initialised\n", stderr);
		rc = 3;
		goto out;
	}
	/* the backends: one by name, or every one of the table (a bundle: every one by default) */
	if (bundle && !target)
		target = "all";
	bool all = target && strcmp(target, "all") == 0;
	for (size_t i = 0; i < nbackends; i++) {
		const struct be_backend *b = be_backends[i];
		if (all || (target && strcmp(target, b->name) == 0))
			pl.outputs[pl.noutputs++] = (struct kc_output){.backend = b, .arg = backend_arg[i]};
	}
	if (!pl.noutputs) {
		fprintf(stderr, "karmorc: %s: --target must name a backend (", cmd);
		for (size_t i = 0; i < nbackends; i++)
			fprintf(stderr, "%s%s", i == 0 ? "" : i + 1 == nbackends ? " or " : ", ", be_backends[i]->name);
		fprintf(stderr, ") or all%s%s\n", target ? ", not " : "", target ? target : "");
		goto out;
	}
	for (size_t i = 0; i < nbackends; i++) {
		const struct be_backend *b = be_backends[i];
		if (backend_arg[i] && !all && strcmp(target, b->name) != 0) {
			fprintf(stderr, "karmorc: %s: --%s goes with --target=%s only\n", cmd, b->option, b->name);
			goto out;
		}
	}
	for (size_t k = 0; k < nextra; k++) {
		const struct be_backend *b = be_options[k].backend;
		if (extra_arg[k] && !all && strcmp(target, b->name) != 0) {
			fprintf(stderr, "karmorc: %s: --%s goes with --target=%s only\n", cmd, be_options[k].name,
				b->name);
			goto out;
		}
	}
	pl.option_args = extra_arg;
	if (bundle && pl.scenario) {
		fprintf(stderr, "karmorc: bundle: --scenario is compile's (a bundle holds policies, not cases)\n");
		goto out;
	}
	if (pl.scenario && posture_given) {
		fprintf(stderr, "karmorc: compile: --posture and --scenario do not go together: the scenario file "
			"states its posture\n");
		goto out;
	}
	pl.workload_paths = workloads;
	if (pl.scenario && pl.nworkload_paths) {
		fprintf(stderr, "karmorc: compile: --workloads and --scenario do not go together: the scenario file "
			"names its workloads\n");
		goto out;
	}
	if (pl.scenario && pl.noutputs > 1) {
		fprintf(stderr, "karmorc: compile: --scenario writes one backend's case manifest: name one --target\n");
		goto out;
	}
	if (!pl.outdir || (!pl.scenario && optind >= argc) || (pl.scenario && optind < argc)) {
		usage(stderr);
		goto out;
	}
	pl.paths = argv + optind;
	pl.npaths = (size_t)(argc - optind);
	if (bundle) {
		rc = kc_bundle(&pl, &bo);
		goto out;
	}
	rc = kc_pipeline_run(&pl, KC_STAGE_WRITE);
out:
	kc_pipeline_free(&pl);
	free(workloads);
	return rc;
}

int kc_cmd_compile(int argc, char **argv)
{
	return kc_compile_main(argc, argv, false);
}

int kc_cmd_bundle(int argc, char **argv)
{
	return kc_compile_main(argc, argv, true);
}
