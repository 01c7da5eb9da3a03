# karmorc -- the one build entry (DESIGN §2).
#   make                  build build/karmorc
#   make test             every test (unit, corpus, scenarios, CLI); SAN=1 for ASan+UBSan
#   make bench            check/baseline ratio on 10,000 generated policies
#   make vmtest           every scenario case performed in a real kernel (qemu)
#   make install          PREFIX=/usr/local DESTDIR=
#   make CC=clang         builds clean with clang too

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

FRONTEND_SRC := frontend/arena.c frontend/diag.c frontend/yaml.c frontend/schema.c \
                frontend/lower.c frontend/load.c frontend/ir.c frontend/glob.c frontend/match.c
BACKEND_SRC  := backends/backend.c backends/apparmor.c
COMPILER_SRC := compiler/verdict.c compiler/report.c compiler/scenario.c compiler/explain.c compiler/compile.c
MAIN_SRC     := compiler/main.c
TEST_SRC     := $(wildcard tests/test_*.c) tests/unit_main.c

LIB_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(FRONTEND_SRC) $(BACKEND_SRC) $(COMPILER_SRC))
MAIN_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(MAIN_SRC))
TEST_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(TEST_SRC))

.PHONY: all test unit bench vmtest install clean

all: $(BUILD)/karmorc

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

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

test: $(BUILD)/karmorc $(BUILD)/unit-tests
	scripts/run-tests $(BUILD)

bench: $(BUILD)/karmorc
	scripts/bench $(BUILD)

# every scenario file, performed for real in Debian's 6.1 kernel under qemu (scripts/vmtest)
vmtest: $(BUILD)/karmorc
	KARMORC=$(BUILD)/karmorc scripts/vmtest

install: $(BUILD)/karmorc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 $(BUILD)/karmorc $(DESTDIR)$(PREFIX)/bin/karmorc
	install -m 644 man/karmorc.1 $(DESTDIR)$(PREFIX)/share/man/man1/karmorc.1

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
