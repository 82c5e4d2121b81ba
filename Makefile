# Sluice: the two commands are `make demo` and `make test`. Everything else is a convenience.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?=

TSAN_BUILD ?= build-tsan

.PHONY: all deps build demo test crash-test asan tsan bench fuzz format clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD)/build.ninja
	@cmake --build $(BUILD) -j $(JOBS)

demo: build
	@echo "== sluice run examples/demo.sql (built-in trade generator, 40 events)"
	@$(BUILD)/sluice run examples/demo.sql

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# Durable state: 100 trials of kill -9 at random moments and restarts (tests/crash_test.cc).
crash-test: build
	@SLUICE_CRASH_TRIALS=100 SLUICE_CRASH_EVENTS=200000 $(BUILD)/crash_tests

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=address,undefined $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)
	@cd $(ASAN_BUILD) && ctest --output-on-failure -j $(JOBS)

tsan: deps
	@cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_SANITIZE=thread $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(TSAN_BUILD) -j $(JOBS)
	@cd $(TSAN_BUILD) && TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$(CURDIR)/tests/tsan.supp" ctest --output-on-failure -j $(JOBS)

bench: deps
	@cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
	@cmake --build build-bench -j $(JOBS) --target sluice-bench
	@build-bench/sluice-bench $(BENCH_ARGS)

# libFuzzer targets (clang, ASan + UBSan), FUZZ_SECONDS each (default 60); see scripts/fuzz.sh.
fuzz: deps
	@scripts/fuzz.sh

format:
	@git ls-files --cached --others --exclude-standard '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(TSAN_BUILD) build-bench build-fuzz
