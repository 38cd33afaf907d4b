# jeinit - a PID 1 for containers that fits the allocator to the cgroup.
# `make help` lists the targets.

CC      ?= cc
PREFIX  ?= /usr/local
DESTDIR ?=
BUILD   ?= build
STRIP   ?= strip
# The version (--version, the start line, the .deb, the images):
# packaging/version.sh, from `git describe`; `make release VERSION=x.y.z`.
ifeq ($(origin VERSION),undefined)
VERSION := $(shell packaging/version.sh 2>/dev/null || sed -n 's/.*JEINIT_VERSION_BASE "\(.*\)"/\1/p' src/version.h)
endif
# make release: no path of the tree in the binaries (-ffile-prefix-map)
REPRO_CFLAGS ?=

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-missing-field-initializers
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) -fstack-protector-strong -D_FORTIFY_SOURCE=2 \
              -Isrc -MMD -MP $(CFLAGS) $(REPRO_CFLAGS)
# yajl and libcgroup are linked in even in the dynamic build: PID 1 then
# loads nothing but libc (faster start, smaller RSS, one file to copy).
LDLIBS_DYN    := -l:libyajl_s.a -l:libcgroup.a -lpthread
LDLIBS_STATIC := -l:libyajl_s.a -l:libcgroup.a -lpthread

# Modules of the init (everything but main) and of the agent.
CORE := util parse config json log signals spawn loop proctree supervisor cgroup report policy \
        malloc_conf envplan elfscan allocator tuning inspect agents agentstats diagnosis monitor \
        memevents purge scan cgroup_parse cgroup_paths procfs_parse warnings cgroup_libcgroup cgroup_limits \
        cgroup_usage cgroup_find cgroup_procs fds memlock memlock_plan
# The metrics endpoint (metrics.c, the sockets) and its pure parts.
CORE += metrics metrics_parse metrics_text
# What the program's loader would refuse to preload (ldso.c, over elfver.c).
CORE += elfver ldso
# `jeinit report`: the log read back (plot.c), drawn (svg.c), the command.
CORE += plot svg plotcmd
# --inspect for people (text on a tty)
CORE += inspect_text
# When a memory line is written, and how many processes fit in one.
CORE += logpolicy
# Heap profiles on heap growth: the steps (heapprof.c), the analysis child,
# the dump parser and the ELF symbols.
CORE += heapprof heapprof_dir heapprof_child heapdump symtab
CORE_OBJS   := $(CORE:%=$(BUILD)/%.o)
# The pure modules (no files, no globals, no printing): the unit tests and
# fuzzers link these and nothing else, so pure code that grew a call into
# I/O fails to link.
PURE := util scan parse config json warnings policy malloc_conf envplan elfscan tuning diagnosis \
        cgroup_parse cgroup_paths cgroup_procs procfs_parse report agentstats memlock_plan
PURE += elfver
PURE += plot svg
PURE += logpolicy
PURE += metrics_parse metrics_text
PURE += heapdump symtab
PURE_OBJS := $(PURE:%=$(BUILD)/%.o)
MAIN_OBJ    := $(BUILD)/jeinit.o

UNIT_TESTS := $(patsubst tests/unit/%.c,%,$(wildcard tests/unit/test_*.c))
FUZZERS    := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all static test test-v2 unit sanitize lint fuzz fuzz-smoke bench demo install clean deps help jemalloc
all: $(BUILD)/jeinit $(BUILD)/libjeinit-agent.so $(BUILD)/libjemalloc.so.2

help:
	@echo "make            build $(BUILD)/jeinit, the agent and jeinit's own jemalloc"
	@echo "make jemalloc   $(BUILD)/libjemalloc.so.2: C only, needs libc alone (Debian's source)"
	@echo "make static     fully static $(BUILD)/static/jeinit"
	@echo "make test       all tests (unit, bats); tests/run.sh for tiers"
	@echo "make test-v2    tests/bats/v2.bats on a real cgroup v2 kernel (a QEMU VM)"
	@echo "make sanitize   ASan+UBSan build, then the tests against it"
	@echo "make lint       clang-format check, cppcheck, clang-tidy"
	@echo "make fuzz       each fuzz harness for FUZZ_SECONDS (default 300)"
	@echo "make bench      benchmarks in tests/bench/"
	@echo "make demo       the fragmentation demo: glibc vs jemalloc vs jeinit"
	@echo "make deps       apt-get the build and test dependencies"
	@echo "make containers rootful podman and a Debian base image, for the container tier"
	@echo "make install    PREFIX=$(PREFIX)"
	@echo "make release    VERSION=x.y.z: x86_64 and aarch64 binaries, .debs, SHA256SUMS"
	@echo "make release-deps  the cross toolchain, arm64 libraries and qemu-user for it"

$(BUILD)/%.o: src/%.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# The version reaches the two files that print it; they are rebuilt when it
# changes (the stamp is rewritten only then).
$(BUILD)/jeinit.o $(BUILD)/inspect.o: ALL_CFLAGS += -DJEINIT_VERSION='"$(VERSION)"'
$(BUILD)/jeinit.o $(BUILD)/inspect.o: $(BUILD)/version.stamp
$(BUILD)/version.stamp: FORCE | $(BUILD)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' >$@
.PHONY: FORCE

$(BUILD):
	mkdir -p $@ $@/static $@/unit $@/fuzz

$(BUILD)/jeinit: $(CORE_OBJS) $(MAIN_OBJ)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS_DYN)

# Fully static, as tini-static: one file to COPY into any image.
static: $(BUILD)/static/jeinit
$(BUILD)/static/jeinit: $(CORE_OBJS) $(MAIN_OBJ)
	@# libcgroup's rules-file code (never called) draws glibc's NSS warnings
	$(CC) $(ALL_CFLAGS) -static $(LDFLAGS) -o $@ $^ $(LDLIBS_STATIC) 2>$@.log || \
		{ cat $@.log; exit 1; }
	@grep -v -e "statically linked applications requires" -e "in function .cgroup_" \
		-e "in function .config_" $@.log || true
	$(STRIP) --strip-unneeded $@

# C unit tests of the pure modules, linked with the pure modules only
# (test_proctree also with proctree.c, whose descendant walk is pure).
$(BUILD)/unit/%: tests/unit/%.c $(PURE_OBJS) | $(BUILD)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(filter %.o,$^) $(LDLIBS_DYN)
$(BUILD)/unit/test_proctree: $(BUILD)/proctree.o
# The agent's pure decision (it is built into the agent, not into jeinit).
$(BUILD)/agent_steer.o: src/agent/steer.c | $(BUILD)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<
$(BUILD)/unit/test_steer: $(BUILD)/agent_steer.o

unit: $(UNIT_TESTS:%=$(BUILD)/unit/%)

# Every tier: lint, unit, the bats files, a short fuzz smoke, and the
# sanitizer build. One summary line at the end: "N passed, N failed, N skipped".
test: all static unit helpers containers
	JEINIT_BUILD=$(BUILD) tests/run.sh

# The v2 tier alone: Debian's kernel (fetched once into ~/.cache/jeinit-v2)
# booted with cgroup_no_v1=all in QEMU, tests/bats/v2.bats inside.
test-v2: all helpers
	JEINIT_BUILD=$(BUILD) tests/run.sh v2

# ASan+UBSan build of the init and the unit tests, then the tiers that run
# jeinit itself against it (the agent is never sanitized: it lives in other
# programs, which do not carry ASan's runtime).
SANITIZE_TIERS ?= unit init cgroup allocator agent monitor hostile metrics logbudget
# jeinit report reads untrusted logs; --inspect=text wraps untrusted paths
SANITIZE_TIERS += plot inspect
# heap dumps and the ELF files they name are untrusted too
SANITIZE_TIERS += heapprof
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
sanitize: $(BUILD)/libjemalloc.so.2
	mkdir -p build-san/static build-san/unit build-san/fuzz && cp $(BUILD)/libjemalloc.so.2 build-san/
	$(MAKE) BUILD=build-san CFLAGS="-O1 -g $(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" all unit helpers
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:verify_asan_link_order=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		JEINIT_BUILD=build-san tests/run.sh $(SANITIZE_TIERS)

LINT_SRC := $(wildcard src/*.c src/*.h src/agent/*.c src/agent/*.h src/jemalloc/*.c tests/unit/*.c tests/unit/*.h \
              tests/fuzz/*.c tests/fuzz/*.h tests/helpers/*.c examples/*/*.c)
lint: lint-format lint-cppcheck lint-tidy
lint-format:
	clang-format --dry-run -Werror $(LINT_SRC)
lint-cppcheck:
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --std=c11 -D_GNU_SOURCE -Isrc --suppress=missingIncludeSystem src/
lint-tidy:
	clang-tidy --quiet $(wildcard src/*.c src/agent/*.c src/jemalloc/*.c) -- -std=gnu11 -D_GNU_SOURCE -Isrc
.PHONY: lint-format lint-cppcheck lint-tidy

# libFuzzer harnesses: each parser, FUZZ_SECONDS each (CI: a short smoke).
FUZZ_SECONDS ?= 300
FUZZ_CFLAGS  := -std=gnu11 -D_GNU_SOURCE -g -O1 -Isrc -fsanitize=fuzzer,address,undefined
$(BUILD)/fuzz/%: tests/fuzz/%.c $(PURE:%=src/%.c) | $(BUILD)
	clang $(FUZZ_CFLAGS) -o $@ $< $(PURE:%=src/%.c) $(LDLIBS_DYN)
# the agent's pure decision, alone
$(BUILD)/fuzz/fuzz_steer: tests/fuzz/fuzz_steer.c src/agent/steer.c | $(BUILD)
	clang $(FUZZ_CFLAGS) -o $@ $^

fuzz: $(FUZZERS:%=$(BUILD)/fuzz/%)
	tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_SECONDS)

fuzz-smoke: $(FUZZERS:%=$(BUILD)/fuzz/%)
	tests/fuzz/run.sh $(BUILD)/fuzz 10

bench: all static helpers $(BUILD)/frag
	tests/bench/init.sh
	tests/bench/agent.sh
	tests/bench/heapprof.sh
	tests/bench/policy.sh

# The README's first command: the fragmentation workload in a memory-limited
# cgroup under glibc, default jemalloc and jeinit; a table and a plot.
demo: all $(BUILD)/frag
	JEINIT_BUILD=$(BUILD) tests/bench/policy.sh --demo

# jeinit finds the agent and its jemalloc at ../lib/jeinit/ from its own directory.
install: all
	install -D -m 0755 $(BUILD)/jeinit $(DESTDIR)$(PREFIX)/bin/jeinit
	install -D -m 0644 $(BUILD)/libjeinit-agent.so $(DESTDIR)$(PREFIX)/lib/jeinit/libjeinit-agent.so
	install -D -m 0644 $(BUILD)/libjemalloc.so.2 $(DESTDIR)$(PREFIX)/lib/jeinit/libjemalloc.so.2
	install -D -m 0644 src/jeinit.1 $(DESTDIR)$(PREFIX)/share/man/man1/jeinit.1

# Release artefacts in $(RELEASE_DIR) for each of RELEASE_ARCHES: the static
# jeinit, the agent and jeinit's own jemalloc (a tarball, and jeinit alone),
# a .deb, SHA256SUMS; cross-built with Debian's toolchain, reproducible
# (SOURCE_DATE_EPOCH from the commit). See packaging/release.sh.
RELEASE_DIR    ?= $(BUILD)/release
RELEASE_ARCHES ?= x86_64 aarch64
release:
	packaging/release.sh $(RELEASE_DIR) '$(VERSION)' $(RELEASE_ARCHES)
release-deps:
	packaging/deps.sh
.PHONY: release release-deps

clean:
	rm -rf build build-san

# What a fresh Debian 12 machine lacks (packages only: the demo needs no more).
deps:
	tests/deps.sh

# Rootful podman for the container tier: a few minutes the first time (a
# Debian base image built with debootstrap); the tier skips, saying why, if
# it cannot be set up.
containers:
	tests/container/podman-setup.sh || echo "podman could not be set up: the container tier will skip"
.PHONY: containers

-include $(wildcard $(BUILD)/*.d)

# Programs the tests run under jeinit.
HELPERS := sigrec orphans memhog subreaper dropids leaker leaker_cxx profwatch
$(BUILD)/helpers/%: tests/helpers/%.c
	@mkdir -p $(BUILD)/helpers
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -o $@ $<
# The C++ case of heapprof.bats (operator new between the leak and jemalloc).
CXX ?= c++
$(BUILD)/helpers/%: tests/helpers/%.cc
	@mkdir -p $(BUILD)/helpers
	$(CXX) -std=gnu++17 -O2 -g -Wall -Wextra -Werror -o $@ $<
# An allocator of the user's own (a preloadable malloc), for allocator.bats.
$(BUILD)/helpers/libbumpalloc.so: tests/helpers/bumpalloc.c
	@mkdir -p $(BUILD)/helpers
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -fPIC -shared -o $@ $<
helpers: $(HELPERS:%=$(BUILD)/helpers/%) $(BUILD)/helpers/libbumpalloc.so
.PHONY: helpers

# The agent lives in the program's processes: position independent, nothing
# exported but its constructor, no yajl or libcgroup.
AGENT_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARN) -fPIC -fvisibility=hidden -Isrc -O2 -g \
                -fstack-protector-strong -D_FORTIFY_SOURCE=2 $(REPRO_CFLAGS)
AGENT_SRC := src/agent/agent.c src/agent/figures.c src/agent/prof.c src/agent/decay.c src/agent/steer.c
$(BUILD)/libjeinit-agent.so: $(AGENT_SRC) $(wildcard src/agent/*.h) | $(BUILD)
	$(CC) $(AGENT_CFLAGS) -shared -Wl,-z,defs -Wl,-z,now -o $@ $(AGENT_SRC) -pthread

# jeinit's own jemalloc, beside jeinit (where `--jemalloc auto` looks first):
# 5.3.0 from Debian's source package, C only, profiling kept, libc its only
# dependency. See src/jemalloc/build.sh; the source is fetched once, into
# JEINIT_CACHE (~/.cache/jeinit).
jemalloc: $(BUILD)/libjemalloc.so.2
$(BUILD)/libjemalloc.so.2: src/jemalloc/build.sh src/jemalloc/libc_only.c src/jemalloc/hook_entry.c | $(BUILD)
	src/jemalloc/build.sh $(BUILD)

# The fragmentation workload (examples/fragmentation/), used by the demo and
# the policy benchmark.
$(BUILD)/frag: examples/fragmentation/frag.c | $(BUILD)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -pthread -o $@ $<
