# karmorc -- the one build entry (DESIGN §2).
#   make                  build build/karmorc
#   make test             every test (unit, corpus, scenarios, CLI, allocation failures, fuzz regressions
#                         and a 20 s run per fuzz harness); SAN=1 for ASan+UBSan
#   make bench            check, lint, compile over yaml-baseline on 10,000 generated policies (time, scaling, RSS)
#   make vmtest           every scenario case performed in a real kernel (qemu)
#   make bench-vm         BPF-LSM open()/exec latency in the VM (no program / 10 / 10,000 rules)
#   make fuzz             every libFuzzer harness (tests/fuzz) for FUZZ_SECONDS each (clang)
#   make valgrind         memcheck over the command-line suite's karmorc runs and the loader's host tests
#   make install          PREFIX=/usr/local DESTDIR=
#   make CC=clang         builds clean with clang too

# `make` alone builds `all`, whatever rule comes first below
.DEFAULT_GOAL := all
CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   := build

WARN    := -Wall -Wextra -Werror -Wshadow -Wvla -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE $(WARN)
PKGS    := yaml-0.1 libpcre2-8 libsodium
CFLAGS  += $(shell pkg-config --cflags $(PKGS))
LDLIBS  := $(shell pkg-config --libs $(PKGS))

ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
BUILD   := build/san
endif
# the libFuzzer build (make fuzz runs it with clang): every object instrumented for coverage
ifeq ($(FUZZ),1)
CFLAGS  += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
BUILD   := build/fuzz
endif

FRONTEND_SRC := frontend/arena.c frontend/hash.c frontend/diag.c frontend/yaml.c frontend/schema.c \
                frontend/lower.c frontend/load.c frontend/ir.c frontend/glob.c frontend/match.c frontend/workloads.c
BACKEND_SRC  := backends/backend.c backends/couplings.c backends/apparmor.c backends/bpf.c backends/selinux.c backends/landlock.c backends/dfa.c backends/options.c
COMPILER_SRC := compiler/targets.c compiler/pipeline.c compiler/cases.c compiler/verdict.c compiler/report.c \
                compiler/scenario.c compiler/explain.c compiler/compile.c compiler/bundle.c compiler/lint.c
MAIN_SRC     := compiler/main.c
TEST_SRC     := $(wildcard tests/test_*.c) tests/unit_main.c
# the image reader is shared by the loader and the unit tests
IMAGE_SRC    := runtime-loader/image.c
LOADER_SRC   := $(filter-out $(IMAGE_SRC),$(wildcard runtime-loader/*.c))

LIB_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(FRONTEND_SRC) $(BACKEND_SRC) $(COMPILER_SRC))
MAIN_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(MAIN_SRC))
TEST_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_SRC)) $(patsubst %.c,$(BUILD)/obj/%.o,$(IMAGE_SRC))

# ---- BPF side (DESIGN §2: bpf/ is compiled once; the policy is data)
# vmlinux.h comes from the build machine's BTF and is never committed; CO-RE
# relocates field offsets for the target kernel at load time.
BPF_CLANG   ?= clang
BPFTOOL     ?= bpftool
VMLINUX_BTF ?= /sys/kernel/btf/vmlinux
BPF_OBJ     := build/bpf/karmor.bpf.o
BPF_SKEL    := build/bpf/karmor.skel.h
# karmor-loader is one static binary (libbpf, libelf, zlib, libsodium, libapparmor, libsemanage linked in);
# under SAN=1 it is linked dynamically, as the sanitizers need
# (libsemanage, libselinux and libsepol for SELinux apply; libaudit, libcap-ng and libbz2 are
# what libsemanage needs in a static link)
ifeq ($(SAN),1)
LOADER_LINK := $(LDFLAGS)
LOADER_LIBS := -lbpf -lelf -lz -lsodium -lapparmor -lsemanage -lselinux -lsepol -lpcre2-8
else
LOADER_LINK := -static
LOADER_LIBS := -lbpf -lelf -lz -lsodium -lapparmor -lsemanage -lselinux -lsepol -lpcre2-8 -lbz2 -laudit -lcap-ng
endif
LOADER_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(LOADER_SRC) $(IMAGE_SRC))

.PHONY: all test unit bench bench-vm vmtest install clean fuzz fuzzers valgrind

# tests/fuzz: one harness per reader of untrusted bytes.  The normal build links each with
# replay.c (make test replays testdata/fuzz/NAME/); make fuzz links them with libFuzzer.
FUZZ_NAMES   := policy workloads scenario image bundle landlock
FUZZ_SECONDS ?= 60
FUZZ_DEPS    = $(BUILD)/libkarmorc.a $(BUILD)/obj/$(IMAGE_SRC:.c=.o) $(BUILD)/obj/runtime-loader/bundle.o $(BUILD)/obj/runtime-loader/ll_desc.o
$(BUILD)/fuzz-replay/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(BUILD)/obj/tests/fuzz/replay.o $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/fuzzers/fuzz_%: $(BUILD)/obj/tests/fuzz/fuzz_%.o $(FUZZ_DEPS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
fuzzers: $(addprefix $(BUILD)/fuzzers/fuzz_,$(FUZZ_NAMES))
.PRECIOUS: $(BUILD)/obj/tests/fuzz/%.o
# valgrind memcheck over the command-line suite's karmorc runs and the loader's host tests
valgrind: $(BUILD)/karmorc $(BUILD)/karmor-loader $(BPF_OBJ) $(BUILD)/alerts $(BUILD)/karmor-loader-faults
	scripts/valgrind $(BUILD)
fuzz: $(BUILD)/karmorc $(BPF_OBJ)
	$(MAKE) FUZZ=1 CC=clang fuzzers
	scripts/fuzz build/fuzz $(FUZZ_SECONDS) $(BUILD)/karmorc

all: $(BUILD)/karmorc $(BUILD)/karmor-loader

build/vmlinux.h:
	@mkdir -p $(dir $@)
	@test -r $(VMLINUX_BTF) || { echo "no kernel BTF at $(VMLINUX_BTF): set VMLINUX_BTF=FILE (a vmlinux with .BTF)" >&2; exit 1; }
	$(BPFTOOL) btf dump file $(VMLINUX_BTF) format c > $@.tmp && mv $@.tmp $@

$(BPF_OBJ): bpf/karmor.bpf.c bpf/karmor.h build/vmlinux.h
	@mkdir -p $(dir $@)
	$(BPF_CLANG) -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Werror -Ibuild -c -o $@.tmp.o $<
	llvm-strip -g $@.tmp.o && mv $@.tmp.o $@

$(BPF_SKEL): $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name karmor > $@.tmp && mv $@.tmp $@

$(patsubst %.c,$(BUILD)/obj/%.o,$(LOADER_SRC)): $(BPF_SKEL)
$(patsubst %.c,$(BUILD)/obj/%.o,$(LOADER_SRC)): CFLAGS += -Ibuild/bpf

$(BUILD)/karmor-loader: $(LOADER_OBJ)
	$(CC) $(LOADER_LINK) -o $@ $^ $(LOADER_LIBS)

# the same loader with KL_CHECKPOINT steps: KARMOR_LOADER_KILL_AT=N kills it at its N-th
# step (tests/loader/kill.sh, tests/loader/vm-bundle.sh); never installed
FAULTS_OBJ := $(patsubst %.c,$(BUILD)/obj-faults/%.o,$(LOADER_SRC) $(IMAGE_SRC))
$(FAULTS_OBJ): $(BPF_SKEL)
$(BUILD)/obj-faults/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Ibuild/bpf -DKL_FAULTS -MMD -MP -c -o $@ $<
$(BUILD)/karmor-loader-faults: $(FAULTS_OBJ)
	$(CC) $(LOADER_LINK) -o $@ $^ $(LOADER_LIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libkarmorc.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/karmorc: $(MAIN_OBJ) $(BUILD)/libkarmorc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit-tests: $(TEST_OBJ) $(BUILD)/libkarmorc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcunit

# the map images judged by the kernel's algorithm on the host (tests/bpf_emulate.c)
$(BUILD)/bpf-emulate: $(BUILD)/obj/tests/bpf_emulate.o $(BUILD)/obj/tests/bpf_patterns.o $(BUILD)/obj/$(IMAGE_SRC:.c=.o) $(BUILD)/libkarmorc.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# karmor-loader's event lines from its formatter, for tests/loader/alerts.sh (golden)
ALERTS_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,tests/loader/alerts.c runtime-loader/alert.c \
              runtime-loader/identity.c runtime-loader/json.c $(IMAGE_SRC))
$(BUILD)/alerts: $(ALERTS_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ -lsodium

# karmor-bundle(5)'s tamper test: flipped bytes against the loader's checks, in memory
$(BUILD)/bundle-tamper: $(BUILD)/obj/tests/bundle_tamper.o $(BUILD)/obj/runtime-loader/bundle.o
	$(CC) $(LDFLAGS) -o $@ $^ -lsodium

# tests/alloc/run.sh's LD_PRELOAD shim: the N-th allocation of a karmorc run fails.  Never
# instrumented (under SAN=1 it sits in front of the ASan runtime and calls it)
$(BUILD)/failalloc.so: tests/alloc/failalloc.c
	@mkdir -p $(@D)
	$(CC) -O2 -g -std=c11 -D_GNU_SOURCE $(WARN) -shared -fPIC -o $@ $< -ldl

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

test: $(BUILD)/karmorc $(BUILD)/unit-tests $(BUILD)/karmor-loader $(BPF_OBJ) $(BUILD)/bpf-emulate $(BUILD)/alerts \
      $(BUILD)/bundle-tamper $(BUILD)/karmor-loader-faults $(BUILD)/failalloc.so \
      $(addprefix $(BUILD)/fuzz-replay/fuzz_,$(FUZZ_NAMES))
	scripts/run-tests $(BUILD)

bench: $(BUILD)/karmorc
	scripts/bench $(BUILD)

# every scenario file, performed for real in Debian's 6.1 kernel under qemu (scripts/vmtest)
# first the rig's self-test (it must fail what the kernel did not show), then every case,
# then karmor-loader's own checks in the VM (path hooks, nested cgroups, run, events, and the
# 10,000-policy bench corpus applied with every map sized from its images),
# last the attack suite (DESIGN §4.12: every known way around a rule, one boot per backend)
vmtest: $(BUILD)/karmorc $(BUILD)/karmor-loader $(BUILD)/karmor-loader-faults $(BPF_OBJ)
	KARMORC=$(BUILD)/karmorc KARMOR_LOADER=$(BUILD)/karmor-loader scripts/vm/selftest/run
	KARMORC=$(BUILD)/karmorc KARMOR_LOADER=$(BUILD)/karmor-loader scripts/vmtest --backend apparmor --backend bpf --backend selinux --backend landlock \
		--events $(BUILD)/vm-events.jsonl
	tests/loader/vm-events.py $(BUILD)/vm-events.jsonl
	tests/loader/vm.sh $(BUILD)
	tests/loader/vm-bundle.sh $(BUILD)
	tests/loader/vm-selinux.sh $(BUILD)
	tests/attack/vm.sh $(BUILD)

# BPF-LSM overhead in the VM, paired A/B/B/A (scripts/bench-vm)
bench-vm: $(BUILD)/karmorc $(BUILD)/karmor-loader $(BPF_OBJ)
	KARMORC=$(BUILD)/karmorc KARMOR_LOADER=$(BUILD)/karmor-loader scripts/bench-vm

install: all $(BPF_OBJ)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/lib/karmorc \
		$(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man8 \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/lib/systemd/system \
		$(DESTDIR)$(PREFIX)/share/karmorc/deploy/kubernetes
	install -m 755 $(BUILD)/karmorc $(DESTDIR)$(PREFIX)/bin/karmorc
	install -m 755 $(BUILD)/karmor-loader $(DESTDIR)$(PREFIX)/sbin/karmor-loader
	install -m 644 $(BPF_OBJ) $(DESTDIR)$(PREFIX)/lib/karmorc/karmor.bpf.o
	install -m 644 man/karmorc.1 $(DESTDIR)$(PREFIX)/share/man/man1/karmorc.1
	install -m 644 man/karmor-loader.8 $(DESTDIR)$(PREFIX)/share/man/man8/karmor-loader.8
	install -m 644 man/karmor-bundle.5 $(DESTDIR)$(PREFIX)/share/man/man5/karmor-bundle.5
	install -m 644 deploy/systemd/karmor-*.service deploy/systemd/karmor-*.path $(DESTDIR)$(PREFIX)/lib/systemd/system/
	install -m 644 deploy/systemd/loader.conf $(DESTDIR)$(PREFIX)/share/karmorc/deploy/loader.conf
	install -m 644 deploy/kubernetes/*.yaml $(DESTDIR)$(PREFIX)/share/karmorc/deploy/kubernetes/
	install -m 644 scripts/completion/karmor-loader $(DESTDIR)$(PREFIX)/share/bash-completion/completions/karmor-loader
	install -m 644 scripts/completion/karmorc $(DESTDIR)$(PREFIX)/share/bash-completion/completions/karmorc

clean:
	rm -rf build

-include $(shell find build -path build/vm -prune -o -name '*.d' -type f -print 2>/dev/null)
