# vinbot: one binary, objects under $(BUILD), dependency files from -MMD -MP.
#
#   make                 build $(BUILD)/vinbot (optimised, no sanitizers)
#   make run             bootstrap, local Postgres + Redis under .local/, run the bot
#   make test            unit + integration under ASan+UBSan, pool/inbox under TSan;
#                        ends with "N passed, N failed", non-zero exit on any failure
#   make check           unit tests only (honours SANITIZE=)
#   make integration     integration tests only (honours SANITIZE=)
#   make bench           throughput / latency / memory figures (prints, never asserts)
#   make fuzz            libFuzzer targets (clang), FUZZ_SECONDS each
#   make valgrind        unit tests under valgrind
#   make container-test  build the Dockerfile with Podman, run the image against Postgres
#   make lint format clean
#
# SANITIZE=address,undefined or SANITIZE=thread builds into build/<name> unless BUILD is given.
# WERROR=1 adds -Werror (CI sets it).

SANITIZE ?=
ifeq ($(SANITIZE),)
BUILD ?= build/release
else
BUILD ?= build/$(subst $(comma),-,$(SANITIZE))
endif
comma := ,

CC ?= gcc
PKGS := libmicrohttpd libcurl json-c hiredis libpq
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
        -Wcast-qual -Wformat=2 -Wno-format-nonliteral -fno-common -Wvla
ifeq ($(WERROR),1)
WARN += -Werror
endif

OPT ?= -O2
CFLAGS ?= $(OPT) -g
ALL_CFLAGS := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -pthread -Isrc \
              $(WARN) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
LDLIBS := $(PKG_LIBS) -pthread -lm

ifneq ($(SANITIZE),)
ALL_CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=$(SANITIZE)
endif

# Every .c under src/ except main.c goes into one static library; the binary and every test
# link against it, so the linker pulls only the objects a test needs.
LIB_SRCS := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(BUILD)/gen/migrations.o
MIGRATIONS := $(sort $(wildcard migrations/*.sql))
LIB := $(BUILD)/libvinbot.a
BIN := $(BUILD)/vinbot

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# Test helpers: one program per file under tests/fake and tests/tools.
HELPER_SRCS := $(sort $(wildcard tests/fake/*.c tests/tools/*.c))
HELPER_BINS := $(addprefix $(BUILD)/tests/,$(notdir $(HELPER_SRCS:.c=)))

.PHONY: all run test check integration bench lint format clean bootstrap fuzz valgrind \
        build-tests tsan-tests container-test
.DEFAULT_GOAL := all
.SECONDARY:

all: $(BIN)

$(BIN): $(BUILD)/src/main.o $(LIB)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(Q)ar rcs $@ $^

# V=1 shows the full commands.
ifeq ($(V),1)
Q :=
else
Q := @
endif

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC $<")
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o $(LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/fake/%.o $(LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/tools/%.o $(LIB)
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# The SQL migrations are compiled into the binary (src/store/migrate.c applies them).
$(BUILD)/gen/migrations.c: $(MIGRATIONS) src/store/embed-migrations.sh
	@mkdir -p $(@D)
	$(Q)bash src/store/embed-migrations.sh $(MIGRATIONS) > $@

$(BUILD)/gen/migrations.o: $(BUILD)/gen/migrations.c
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

build-tests: $(BIN) $(UNIT_BINS) $(HELPER_BINS)

bootstrap:
	@bash deploy/bootstrap.sh

# The whole suite: ASan+UBSan for everything, TSan for the tests that exercise our own threads,
# and each libFuzzer target for TEST_FUZZ_SECONDS.
TEST_FUZZ_SECONDS ?= 60
test: bootstrap
	@$(MAKE) --no-print-directory SANITIZE=address,undefined build-tests
	@$(MAKE) --no-print-directory SANITIZE=thread build-tests
	@bash tests/run.sh --build build/address-undefined --tsan-build build/thread \
		--fuzz $(TEST_FUZZ_SECONDS)

check: bootstrap build-tests
	@bash tests/run.sh --build $(BUILD) --unit-only

integration: bootstrap build-tests
	@bash tests/run.sh --build $(BUILD) --integration-only

run: bootstrap $(BIN)
	@bash deploy/local-run.sh $(BIN)

bench: bootstrap
	@$(MAKE) --no-print-directory build-tests
	@bash tests/bench/run.sh $(BUILD)

valgrind: bootstrap
	@$(MAKE) --no-print-directory build-tests
	@TEST_PREFIX="valgrind -q --error-exitcode=1 --leak-check=full" \
		bash tests/run.sh --build $(BUILD) --unit-only

FUZZ_SECONDS ?= 60
fuzz: bootstrap
	@bash tests/fuzz/run.sh $(FUZZ_SECONDS)

# Build the Dockerfile with Podman and run the image against a real Postgres.
container-test: bootstrap build-tests
	@bash deploy/container-test.sh

lint: $(BIN)
	@bash tests/lint.sh $(BIN)

format:
	clang-format -i $$(find src tests -name '*.[ch]')

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
