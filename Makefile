# attache: build, test, install.
#
#   make            build build/attache, build/libattache.a and build/libattache.so
#                   (installs nothing: when a Debian package is missing it prints
#                   the apt-get line and stops)
#   make deps       install missing Debian packages (as root)
#   make check      build with -Werror, run the unit and end-to-end tests
#   make demo       install missing Debian packages (as root), build, run the samples
#   make test       install missing packages, build, run every test, the main commands
#                   under valgrind, then every test again under ASan+UBSan, and the
#                   threads test under ThreadSanitizer (make test-tsan)
#   make fuzz       build the fuzz targets with clang's libFuzzer and run each for
#                   FUZZ_SECONDS (60) on its corpus (docs/fuzzing.md)
#   make coverage   run make check in build-cov with gcov, print each file's line
#                   coverage (lowest first) and the total
#   make bench      the benchmark (never part of the tests)
#   make install PREFIX=/usr/local DESTDIR=
#   make clean

VERSION   := 0.3.0
SOVERSION := 0
PREFIX    ?= /usr/local
DESTDIR   ?=
BUILD     ?= build
CC        ?= cc
CFLAGS    ?= -O2 -g
PYTHON    ?= /usr/bin/python3

PKGS      := libxml-2.0 libqrencode libcurl libsodium libcbor libpng zbar libdeflate libcrypto \
             libunibreak harfbuzz harfbuzz-subset libjpeg

WARN      := -std=c11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wno-unused-parameter -Wno-format-truncation
# Warnings stop developers' and CI builds (the test targets below set
# WERROR=-Werror) but not someone building a release with a newer compiler.
WERROR    ?=
ALL_CPPFLAGS = -D_GNU_SOURCE -Iinclude -Isrc -I$(BUILD)/gen \
             -DATTACHE_VERSION='"$(VERSION)"' $(PKG_CFLAGS) $(CPPFLAGS)
ALL_CFLAGS = $(WARN) $(WERROR) $(CFLAGS)
ALL_LIBS   = $(PKG_LIBS) -lhpdf -lcsv -lunistring -lpthread -lm $(LIBS)

LIB_SRC   := $(sort $(wildcard src/*.c))
CLI_SRC   := $(sort $(wildcard src/cli/*.c))
TEST_SRC  := $(sort $(wildcard tests/unit/test_*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/resources.o
CLI_OBJ   := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TESTS     := $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# Fuzz targets (tests/fuzz/fuzz_NAME.c): replayed over their saved inputs by
# the tests, run under libFuzzer by `make fuzz`.
FUZZ_TARGETS := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
REPLAYS   := $(FUZZ_TARGETS:%=$(BUILD)/tests/replay_%)
# The shared library is built from its own position-independent objects;
# the tool links the static library as before.
PIC_OBJ   := $(LIB_SRC:%.c=$(BUILD)/pic/%.o) $(BUILD)/pic/gen/resources.o
SHLIB     := libattache.so.$(VERSION)
# libcurl and libzbar are compiled against but not linked: src/libload.c
# loads each the first time a command needs it (the network; QR codes in
# pictures), so that the other commands do not map them and the libraries
# they bring (docs/performance.md).  Nor are they in attache.pc.
LINKED_PKGS := $(filter-out libcurl zbar,$(PKGS))
PC_REQUIRES := $(LINKED_PKGS)

# Files compiled into the library: schemas, built-in templates (documents, and
# the bodies of the messages attache mail sends), fonts, and the verification
# page that 'attache site' writes.
RESOURCES := $(sort $(wildcard schema/*.xsd)) $(sort $(wildcard templates/*.xml)) \
             $(sort $(wildcard templates/*.txt)) $(sort $(wildcard fonts/*.ttf)) \
             $(sort $(wildcard web/*))

.PHONY: all deps demo test check unit e2e test-asan test-tsan test-valgrind coverage bench \
        install uninstall clean fuzz fuzzers
all: $(BUILD)/attache $(BUILD)/libattache.a $(BUILD)/$(SHLIB)

# Compiler and linker flags of the dependencies, found once with pkg-config
# after the install script has made sure the packages are there.  Only the
# goals that install packages let it install them; for the others it checks,
# prints the apt-get line of what is missing, and the build stops.
INSTALL_GOALS := deps demo test bench
ifneq ($(filter-out clean uninstall,$(or $(MAKECMDGOALS),all)),)
include $(BUILD)/config.mk
endif
$(BUILD)/config.mk: scripts/install-deps.sh Makefile
	@scripts/install-deps.sh $(if $(filter $(INSTALL_GOALS),$(MAKECMDGOALS)),,--check) build
	@mkdir -p $(@D)
	@{ echo "PKG_CFLAGS := $$(pkg-config --cflags $(PKGS))"; \
	   echo "PKG_LIBS := $$(pkg-config --libs $(LINKED_PKGS))"; \
	   echo "MALLOC_LIBS ?= $$(pkg-config --libs jemalloc)"; } > $@.tmp && mv $@.tmp $@

deps:
	@scripts/install-deps.sh test

$(BUILD)/embed: tools/embed.c
	@mkdir -p $(@D)
	$(CC) -O1 -o $@ $<

$(BUILD)/gen/resources.c: $(BUILD)/embed $(RESOURCES)
	@mkdir -p $(@D)
	$(BUILD)/embed $@ $(foreach r,$(RESOURCES),$(r)=$(r))

$(BUILD)/obj/gen/resources.o: $(BUILD)/gen/resources.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(CFLAGS) -c -o $@ $<

$(BUILD)/obj/%.o: %.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	@echo "  CC      $<"
	@$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/pic/gen/resources.o: $(BUILD)/gen/resources.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(CFLAGS) -fPIC -c -o $@ $<

$(BUILD)/pic/%.o: %.c $(BUILD)/config.mk
	@mkdir -p $(@D)
	@echo "  CC -fPIC $<"
	@$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -fPIC -MMD -MP -c -o $@ $<

# Only the names of include/attache.h are exported (src/libattache.map).
$(BUILD)/$(SHLIB): $(PIC_OBJ) src/libattache.map
	$(CC) -shared -Wl,-soname,libattache.so.$(SOVERSION) -Wl,--version-script=src/libattache.map \
	    -Wl,--no-undefined $(CFLAGS) $(LDFLAGS) -o $@ $(PIC_OBJ) $(ALL_LIBS)
	ln -sf $(SHLIB) $(BUILD)/libattache.so.$(SOVERSION)
	ln -sf libattache.so.$(SOVERSION) $(BUILD)/libattache.so

$(BUILD)/libattache.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The tool allocates with jemalloc: a document is thousands of small objects
# (libharu's, libxml2's, HarfBuzz's) made and freed again, and jemalloc does
# that faster than glibc's malloc (docs/performance.md).  The library leaves
# the choice to the program that links it; the sanitizer builds, which bring
# their own allocator, link none (MALLOC_LIBS=).
$(BUILD)/attache: $(CLI_OBJ) $(BUILD)/libattache.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libattache.a $(ALL_LIBS) $(MALLOC_LIBS)

$(BUILD)/tests/%: tests/unit/%.c tests/unit/check.h $(BUILD)/libattache.a
	@mkdir -p $(@D)
	@echo "  TEST    $<"
	@$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) $(TEST_LDFLAGS) -Itests/unit -o $@ $< \
	    $(BUILD)/libattache.a $(ALL_LIBS) $(TEST_LIBS)

# test_qr reads codes back with libzbar itself.
$(BUILD)/tests/test_qr: TEST_LIBS = -lzbar

# test_oom makes the library's own allocations fail, one at a time.
$(BUILD)/tests/test_oom: TEST_LDFLAGS = $(foreach f,malloc calloc realloc strdup strndup asprintf,-Wl,--wrap=$(f))

# A fuzz target with a main() that replays files: no clang runtime needed.
$(BUILD)/tests/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c tests/fuzz/common.c \
        tests/fuzz/fuzz.h $(BUILD)/libattache.a
	@mkdir -p $(@D)
	@echo "  REPLAY  $<"
	@$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(LDFLAGS) -Itests/fuzz -DFUZZ_TARGET='"$*"' -o $@ \
	    $< tests/fuzz/replay.c tests/fuzz/common.c $(BUILD)/libattache.a $(ALL_LIBS)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(PIC_OBJ:.o=.d)

# ---- tests -----------------------------------------------------------------

# Tests build with warnings as errors (make check WERROR= to not).
unit e2e check test-valgrind: WERROR = -Werror

unit: $(TESTS) $(REPLAYS)
	@LC_ALL=C TZ=UTC tests/run-unit.sh $(TESTS) $(REPLAYS)

e2e: all
	@LC_ALL=C TZ=UTC ATTACHE=$(abspath $(BUILD)/attache) $(PYTHON) tests/e2e/run.py

# check also installs into a temporary prefix and builds a program with
# pkg-config alone (tests/install-check.sh).
check: all $(TESTS) $(REPLAYS)
	@LC_ALL=C TZ=UTC tests/run-all.sh $(BUILD) $(PYTHON) $(TESTS) $(REPLAYS); s=$$?; \
	    CC="$(CC)" CFLAGS="$(CFLAGS)" LDFLAGS="$(LDFLAGS)" MAKE="$(MAKE)" \
	    tests/install-check.sh $(BUILD) || s=1; exit $$s



test: deps
	$(MAKE) check
	$(MAKE) test-valgrind
	$(MAKE) test-asan
	$(MAKE) test-tsan

test-valgrind: all
	@tests/valgrind.sh $(BUILD)/attache

# Threads: what attache.h says may run at once, and the image cache that
# several threads fill at once, under ThreadSanitizer.
TSAN_TESTS := test_threads test_image
test-tsan:
	$(MAKE) BUILD=build-tsan CFLAGS="-O1 -g -fsanitize=thread" LDFLAGS="-fsanitize=thread" MALLOC_LIBS= \
	    $(TSAN_TESTS:%=build-tsan/tests/%)
	set -e; for t in $(TSAN_TESTS); do \
	    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" LC_ALL=C TZ=UTC build-tsan/tests/$$t; \
	done

test-asan:
	$(MAKE) BUILD=build-asan MALLOC_LIBS= \
	    CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    LDFLAGS="-fsanitize=address,undefined" check

# Line coverage of src/ over make check, from gcov through lcov: the table is
# in build-cov/coverage.txt, the lcov tracefile in build-cov/coverage.info.
COV_LCOV = lcov --quiet --rc lcov_branch_coverage=0
coverage:
	@rm -f build-cov/coverage.info build-cov/coverage.txt
	@find build-cov -name '*.gcda' -delete 2>/dev/null || true
	$(MAKE) BUILD=build-cov CFLAGS="-O0 -g --coverage" LDFLAGS="--coverage" check
	@$(COV_LCOV) --capture --directory build-cov/obj --base-directory . \
	    --output-file build-cov/all.info
	@$(COV_LCOV) --extract build-cov/all.info '$(abspath src)/*' \
	    --output-file build-cov/coverage.info
	@$(PYTHON) scripts/coverage-table.py build-cov/coverage.info . | tee build-cov/coverage.txt

# ---- fuzzing ---------------------------------------------------------------
#
# The library and the targets are built with clang into build-fuzz/ (clang
# does not know -Wno-format-truncation, hence -Wno-unknown-warning-option).
# tests/fuzz/run.sh runs each target for FUZZ_SECONDS on a copy of its
# corpus and fails if any crashed; what they find is in build-fuzz/found/.

FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=all -Wno-unknown-warning-option

fuzz: deps
	$(MAKE) BUILD=build-fuzz CC=clang CFLAGS="$(FUZZ_CFLAGS)" MALLOC_LIBS= fuzzers
	@tests/fuzz/run.sh build-fuzz $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzzers: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/%: tests/fuzz/fuzz_%.c tests/fuzz/common.c tests/fuzz/fuzz.h $(BUILD)/libattache.a
	@mkdir -p $(@D)
	@echo "  FUZZ    $<"
	@$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -fsanitize=fuzzer,address,undefined -Itests/fuzz \
	    -o $@ $< tests/fuzz/common.c $(BUILD)/libattache.a $(ALL_LIBS)

demo: deps
	$(MAKE) all
	@scripts/demo.sh $(BUILD)/attache

bench: deps
	$(MAKE) all $(BUILD)/bench_token
	@scripts/bench.sh $(BUILD)

$(BUILD)/bench_token: bench/bench_token.c $(BUILD)/libattache.a
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libattache.a $(ALL_LIBS)

# ---- install ---------------------------------------------------------------

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include \
	    $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/share/man/man1 \
	    $(DESTDIR)$(PREFIX)/share/attache/templates \
	    $(DESTDIR)$(PREFIX)/share/attache/fonts \
	    $(DESTDIR)$(PREFIX)/share/attache/schema \
	    $(DESTDIR)$(PREFIX)/share/doc/attache
	install -m 755 $(BUILD)/attache $(DESTDIR)$(PREFIX)/bin/attache
	install -m 644 include/attache.h $(DESTDIR)$(PREFIX)/include/attache.h
	install -m 644 $(BUILD)/libattache.a $(DESTDIR)$(PREFIX)/lib/libattache.a
	install -m 755 $(BUILD)/$(SHLIB) $(DESTDIR)$(PREFIX)/lib/$(SHLIB)
	ln -sf $(SHLIB) $(DESTDIR)$(PREFIX)/lib/libattache.so.$(SOVERSION)
	ln -sf libattache.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libattache.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@PKGS@|$(strip $(PC_REQUIRES))|' \
	    attache.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/attache.pc
	install -m 644 man/attache.1 $(DESTDIR)$(PREFIX)/share/man/man1/attache.1
	install -m 644 schema/*.xsd $(DESTDIR)$(PREFIX)/share/attache/schema/
	for f in templates/*.xml templates/*.txt; do [ -e "$$f" ] || continue; \
	    install -m 644 "$$f" $(DESTDIR)$(PREFIX)/share/attache/templates/; done
	for f in fonts/*; do [ -f "$$f" ] || continue; \
	    install -m 644 "$$f" $(DESTDIR)$(PREFIX)/share/attache/fonts/; done
	install -m 644 README.md docs/*.md $(DESTDIR)$(PREFIX)/share/doc/attache/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/attache $(DESTDIR)$(PREFIX)/include/attache.h \
	    $(DESTDIR)$(PREFIX)/lib/libattache.a $(DESTDIR)$(PREFIX)/lib/$(SHLIB) \
	    $(DESTDIR)$(PREFIX)/lib/libattache.so.$(SOVERSION) $(DESTDIR)$(PREFIX)/lib/libattache.so \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/attache.pc $(DESTDIR)$(PREFIX)/share/man/man1/attache.1
	rm -rf $(DESTDIR)$(PREFIX)/share/attache $(DESTDIR)$(PREFIX)/share/doc/attache

clean:
	rm -rf build build-asan build-tsan build-fuzz build-cov demo-out
