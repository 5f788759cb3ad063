# Thin wrapper: everything real lives in CMake, ctest and scripts/.
BUILD_DIR ?= build
RELEASE_DIR ?= build-release
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: all deps build release test unit sanitize demo bench bench-peers fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# What a packager builds: the agent and its libraries in the Release configuration (-O3),
# warnings as errors too. Only the agent's target: the tests build in BUILD_DIR.
release: deps
	@cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(RELEASE_DIR) -j $(JOBS) --target kafka-sentinel

# Every test: unit tests, end-to-end tests of the binary, integration tests on a real Kafka,
# while the Release build (agent, benches) and the ASan build compile at low priority; then
# the unit and e2e tests again under ASan+UBSan (scripts/test.sh, docs/testing.md).
test: build
	@JOBS=$(JOBS) CMAKE_FLAGS="$(CMAKE_FLAGS)" bash scripts/test.sh $(BUILD_DIR) $(RELEASE_DIR)

# ASan+UBSan (build-asan): unit, e2e and the Kafka integration tests of events, groups and
# the fleet; then TSan (build-tsan): unit and the threaded e2e tests. See docs/testing.md.
sanitize: deps
	@JOBS=$(JOBS) bash scripts/sanitize.sh asan
	@JOBS=$(JOBS) bash scripts/sanitize.sh tsan

unit: build
	@$(BUILD_DIR)/tests/unit-tests

demo: build
	@bash scripts/demo.sh $(BUILD_DIR)

bench: build
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target benches
	@bash scripts/bench.sh $(BUILD_DIR)

# kafka-sentinel side by side with kminion, kafka_exporter and Burrow (those whose binaries
# are in PEERS_BIN): e.g. make bench-peers PEERS_BIN=/path/bin BENCH_PEERS_ARGS="--large"
bench-peers: build
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target benches
	@bash scripts/bench-peers.sh $(BUILD_DIR) $(BENCH_PEERS_ARGS)

# Fuzzing (clang, libFuzzer, ASan+UBSan, in build-fuzz/): every target for FUZZ_SECONDS each.
fuzz: deps
	@FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60) bash scripts/fuzz.sh

clean:
	rm -rf $(BUILD_DIR) $(RELEASE_DIR) build-asan build-tsan
