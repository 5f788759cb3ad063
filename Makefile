# Thin wrapper: everything real lives in CMake, ctest and scripts/.
BUILD_DIR ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: all deps build test unit demo bench bench-peers clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD_DIR) -j $(JOBS)

# Every test: unit tests, end-to-end tests of the binary, integration tests on a real Kafka.
test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure --timeout 900

unit: build
	@$(BUILD_DIR)/tests/unit-tests

demo: build
	@bash scripts/demo.sh $(BUILD_DIR)

bench: build
	@bash scripts/bench.sh $(BUILD_DIR)

# kafka-sentinel side by side with kminion, kafka_exporter and Burrow (those whose binaries
# are in PEERS_BIN): e.g. make bench-peers PEERS_BIN=/path/bin BENCH_PEERS_ARGS="--large"
bench-peers: build
	@bash scripts/bench-peers.sh $(BUILD_DIR) $(BENCH_PEERS_ARGS)

clean:
	rm -rf $(BUILD_DIR)
