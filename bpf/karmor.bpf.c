// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * karmor.bpf.c -- the BPF-LSM programs of karmorc (DESIGN §5, issue 4).
 *
 * Policy-agnostic: compiled once by `make`; the policy is the data karmor-loader
 * puts into the maps below from a map image (backends/bpf.c).  Keys, values,
 * events and the decision are fixed by karmor.h, shared with user space.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "../bpf/karmor.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* the loader's per-load hash key (karmor.h: hashing) */
const volatile __u64 karmor_hash_seed = 0;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KARMOR_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct karmor_target);
} karmor_targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct karmor_config);
} karmor_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KARMOR_MAX_CGROUPS);
	__type(key, __u64);
	__type(value, __u32);
} karmor_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KARMOR_MAX_PATH_KEYS);
	__type(key, struct karmor_path_key);
	__type(value, struct karmor_path_value);
} karmor_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KARMOR_MAX_NET_KEYS);
	__type(key, struct karmor_id_key);
	__type(value, struct karmor_id_value);
} karmor_net SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KARMOR_MAX_CAP_KEYS);
	__type(key, struct karmor_id_key);
	__type(value, struct karmor_id_value);
} karmor_caps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KARMOR_MAX_SRC_KEYS);
	__type(key, struct karmor_src_key);
	__type(value, struct karmor_src_value);
} karmor_srcs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KARMOR_MAX_TARGETS * 3);
	__type(key, __u32);
	__type(value, __u64);
} karmor_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct karmor_task);
} karmor_tasks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, KARMOR_RINGBUF_BYTES);
} karmor_events SEC(".maps");
