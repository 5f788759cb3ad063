# Thin wrapper: everything real lives in CMake, ctest and scripts/.
BUILD_DIR ?= build
JOBS ?= 2
CMAKE_FLAGS ?=

.PHONY: all deps build test unit demo bench fuzz clean

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

# Fuzzing (clang, libFuzzer, ASan+UBSan, in build-fuzz/): every target for FUZZ_SECONDS each.
fuzz: deps
	@FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60) bash scripts/fuzz.sh

clean:
	rm -rf $(BUILD_DIR)
