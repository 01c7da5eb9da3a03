/*
 * karmorc: compiles KubeArmor policies ahead of time.
 * Exit codes (DESIGN §7): 0 clean, 1 errors in the input, 2 usage, 3 internal or I/O failure.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../frontend/load.h"
#include "compile.h"
#include "explain.h"
#include "lint.h"
#include "pipeline.h"
#include "report.h"
#include "scenario.h"

enum { KC_EXIT_OK = 0, KC_EXIT_INPUT = 1, KC_EXIT_USAGE = 2, KC_EXIT_INTERNAL = 3 };

static const char kc_usage_text[] =
	"usage: karmorc <command> [options] ...\n"
	"\n"
	"commands:\n"
	"  check   [--schema=crd|daemon] [--format=text|json] PATH...   parse and validate policies\n"
	"  explain [options] POLICY_PATH... [-- OP RESOURCE [PATH]]     the verdict for one operation\n"
	"  lint    [options] PATH...                                    conflicts, shadowing, postures,\n"
	"                                                               backend gaps, capacity (lint --help)\n"
	"  test    [--schema=crd|daemon] [--workloads PATH]... SCENARIO_FILE...\n"
	"                                                               run scenario files\n"
	"  compile --target=apparmor|bpf|selinux|landlock|all -o DIR [--posture CLASS=MODE,...] [--workloads PATH]... PATH...\n"
	"          --target=apparmor|bpf -o DIR --scenario SCENARIO_FILE\n"
	"                                                               write enforcement artifacts\n"
	"  bundle  -o FILE [--sign SECRET_KEY] [compile's options] PATH...\n"
	"                                                               one reproducible, signed file\n"
	"                                                               of every backend's artifacts\n"
	"  help                                                         this text\n"
	"  version                                                      print the version\n"
	"\n"
	"PATH is a file, a directory (every *.yaml and *.yml below it) or - for stdin.\n"
	"Exit status: 0 clean (warnings allowed), 1 errors in the input, 2 usage, 3 internal or I/O failure.\n"
	"See karmorc(1).\n";

static int kc_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int kc_usage(const char *fmt, ...)
{
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		fputs("karmorc: ", stderr);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
		va_end(ap);
	}
	fputs(kc_usage_text, stderr);
	return KC_EXIT_USAGE;
}

static bool kc_parse_schema(const char *s, enum fe_schema_mode *mode)
{
	if (strcmp(s, "crd") == 0)
		*mode = FE_SCHEMA_CRD;
	else if (strcmp(s, "daemon") == 0)
		*mode = FE_SCHEMA_DAEMON;
	else
		return false;
	return true;
}

static bool kc_parse_format(const char *s, enum kc_format *fmt)
{
	if (strcmp(s, "text") == 0)
		*fmt = KC_FORMAT_TEXT;
	else if (strcmp(s, "json") == 0)
		*fmt = KC_FORMAT_JSON;
	else
		return false;
	return true;
}

struct kc_stream {
	FILE *out;
	enum kc_format fmt;
};

/* `check` prints each file's findings as soon as the file is done: nothing is retained. */
static void kc_stream_file(void *ctx, struct fe_diags *d, size_t first)
{
	struct kc_stream *s = ctx;
	kc_report_from(s->out, d, first, s->fmt, true);
}

/* The options `check` and `test` share: --schema, --format (when fmt is given),
 * --workloads (when workloads is given: room for argc paths), --help.
 * Returns -1 to go on, or the exit code; the paths start at optind. */
static int kc_options(int argc, char **argv, const char *need, enum fe_schema_mode *mode, enum kc_format *fmt,
		      char **workloads, size_t *nworkloads)
{
	static const struct option opts[] = {
		{"schema", required_argument, NULL, 's'},
		{"format", required_argument, NULL, 'f'},
		{"workloads", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (!kc_parse_schema(optarg, mode))
				return kc_usage("--schema must be crd or daemon, not '%s'", optarg);
			break;
		case 'f':
			if (!fmt)
				return kc_usage("--format is an option of check, lint and explain");
			if (!kc_parse_format(optarg, fmt))
				return kc_usage("--format must be text or json, not '%s'", optarg);
			break;
		case 'w':
			if (!workloads)
				return kc_usage("--workloads is an option of lint, compile, explain and test");
			workloads[(*nworkloads)++] = optarg;
			break;
		case 'h':
			fputs(kc_usage_text, stdout);
			return KC_EXIT_OK;
		default:
			return kc_usage(NULL);
		}
	}
	if (optind >= argc)
		return kc_usage("%s", need);
	return -1;
}

static int kc_cmd_check(int argc, char **argv)
{
	enum fe_schema_mode mode = FE_SCHEMA_CRD;
	enum kc_format fmt = KC_FORMAT_TEXT;
	int rc0 = kc_options(argc, argv, "check needs at least one PATH", &mode, &fmt, NULL, NULL);
	if (rc0 >= 0)
		return rc0;

	/* check is the pipeline's first pass alone, validating only */
	struct kc_pipeline pl;
	kc_pipeline_init(&pl, "check");
	pl.mode = mode;
	pl.validate_only = true;
	pl.paths = argv + optind;
	pl.npaths = (size_t)(argc - optind);
	struct kc_stream stream = {fmt == KC_FORMAT_JSON ? stdout : stderr, fmt};
	pl.on_file = kc_stream_file;
	pl.on_file_ctx = &stream;
	kc_pipeline_run(&pl, KC_STAGE_LOAD);
	struct fe_diags *d = pl.diags;
	if (!pl.io_error && pl.recognised == 0 && d->errors == 0) {
		struct fe_loc none = {NULL, 0, 0};
		fe_diag_add(d, FE_ERROR, FE_NO_POLICY, none, "no KubeArmor policy in %zu file%s", pl.files,
			    pl.files == 1 ? "" : "s");
	}
	kc_report(fmt == KC_FORMAT_JSON ? stdout : stderr, d, fmt, true);
	if (fmt == KC_FORMAT_TEXT)
		fprintf(stderr, "%zu file%s, %zu polic%s: %zu error%s, %zu warning%s\n", pl.files,
			pl.files == 1 ? "" : "s", pl.policies, pl.policies == 1 ? "y" : "ies", d->errors,
			d->errors == 1 ? "" : "s", d->warnings, d->warnings == 1 ? "" : "s");
	int rc = pl.io_error ? KC_EXIT_INTERNAL : d->errors ? KC_EXIT_INPUT : KC_EXIT_OK;
	kc_pipeline_free(&pl);
	return rc;
}

static int kc_cmd_test(int argc, char **argv)
{
	enum fe_schema_mode mode = FE_SCHEMA_CRD;
	char **workloads = calloc((size_t)argc + 1, sizeof(*workloads));
	size_t nworkloads = 0;
	if (!workloads)
		fe_oom();
	int rc0 = kc_options(argc, argv, "test needs at least one SCENARIO_FILE", &mode, NULL, workloads, &nworkloads);
	if (rc0 >= 0) {
		free(workloads);
		return rc0;
	}
	struct kc_test_totals t = {0, 0, 0, 0};
	for (int i = optind; i < argc; i++)
		kc_scenario_run(argv[i], mode, workloads, nworkloads, stdout, stderr, &t);
	free(workloads);
	fflush(stderr);
	if (t.file_errors)
		printf("%zu scenario file%s could not be run\n", t.file_errors, t.file_errors == 1 ? "" : "s");
	/* the summary is always the last line */
	printf("%zu passed, %zu failed\n", t.passed, t.failed);
	fflush(stdout);
	if (t.io_errors)
		return KC_EXIT_INTERNAL;
	return t.failed || t.file_errors ? KC_EXIT_INPUT : KC_EXIT_OK;
}

int main(int argc, char **argv)
{
	/* diagnostics are written a character at a time: buffer them (flushed at exit) */
	static char errbuf[1 << 16];
	setvbuf(stderr, errbuf, _IOFBF, sizeof(errbuf));
	if (argc < 2)
		return kc_usage("missing command");
	const char *cmd = argv[1];
	if (strcmp(cmd, "check") == 0)
		return kc_cmd_check(argc - 1, argv + 1);
	if (strcmp(cmd, "test") == 0)
		return kc_cmd_test(argc - 1, argv + 1);
	if (strcmp(cmd, "compile") == 0)
		return kc_cmd_compile(argc - 1, argv + 1);
	if (strcmp(cmd, "bundle") == 0)
		return kc_cmd_bundle(argc - 1, argv + 1);
	if (strcmp(cmd, "lint") == 0)
		return kc_cmd_lint(argc - 1, argv + 1);
	if (strcmp(cmd, "explain") == 0)
		return kc_cmd_explain(argc - 1, argv + 1);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		fputs(kc_usage_text, stdout);
		return KC_EXIT_OK;
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("karmorc %s\n", KC_VERSION);
		return KC_EXIT_OK;
	}
	return kc_usage("unknown command '%s'", cmd);
}
