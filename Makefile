# Entry points. The real logic lives in scripts/ and CMakePresets.json.
#   make deps    install the Debian packages a fresh machine lacks (apt-get; sudo if not root)
#   make test    configure, build and test the presets native clang wasm asan tsan; prints "N passed, N failed"
#                (a subset: make test PRESETS="native wasm")
#   make bench   build the native preset and run the Google Benchmark suite
#                (extra arguments: make bench BENCH_ARGS=--benchmark_filter=Counter)
#   make demo    the demo server (arrives with a later issue)
#   make clean   remove build/

SHELL := /bin/bash
PRESETS ?= native clang wasm asan tsan
BENCH_ARGS ?=

.PHONY: all deps test bench demo clean

all: test

deps:
	scripts/deps.sh

test: deps
	PRESETS="$(PRESETS)" scripts/test.sh

bench: deps
	cmake --preset native
	cmake --build --preset native --target observability_bench
	build/native/bench/observability_bench $(BENCH_ARGS)

demo:
	@echo "make demo: not available yet. The demo server (native exporter + browser client) arrives with a later issue;" >&2
	@echo "until then, try the C++ quickstart: cmake --preset native && cmake --build --preset native && build/native/examples/quickstart" >&2
	@exit 1

clean:
	rm -rf build
