/*
 * be_option: a backend's `compile` options beyond the one struct be_backend holds
 * (be_backend.option, e.g. --bpf-object).  The driver walks be_options[] as it walks
 * be_backends[], and never names a backend.  This table stands in for a list of options
 * in struct be_backend itself (one place for --bpf-object and the rest), which is where
 * they belong once backend.h can carry it.
 */
#ifndef BE_OPTIONS_H
#define BE_OPTIONS_H
#include <stdbool.h>

#include "backend.h"

struct be_option {
	const struct be_backend *backend;	/* the option goes with --target=<its name> (or all) */
	const char *name, *arg;			/* --NAME ARG; ARG for the usage text */
	/* Checks the value and keeps it in the backend's run state (ctx->run), after its
	 * prepare and before any policy is read; false: the value is unusable (said on
	 * stderr, "karmorc: compile: --NAME ...": a usage error). */
	bool (*set)(struct be_ctx *ctx, const char *value);
};

/* Every backend's extra options, in usage order; ends with a NULL backend. */
extern const struct be_option be_options[];

/* backends/bpf.c: --bpf-map-budget SIZE */
bool be_bpf_set_budget(struct be_ctx *ctx, const char *value);

#endif
