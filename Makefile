# Entry points. The real logic lives in scripts/ and CMakePresets.json.
#   make deps    install what a fresh Debian 12 lacks: Debian packages (apt-get; sudo if not root), the tools'
#                Node 22 (tools/node, from the npm registry, pinned), the npm dev dependencies (npm ci)
#                (TOOL_NODE=0 on any target: use the node on PATH, >= 20.19, instead of tools/node)
#   make test    configure, build and test the presets native clang wasm asan tsan fuzz; prints "N passed, N failed"
#                (fuzz also runs each libFuzzer target for FUZZ_SECONDS=20: docs/reliability.md)
#                (a subset: make test PRESETS="native wasm")
#   make bench   build the native preset and run the Google Benchmark suite
#                (extra arguments: make bench BENCH_ARGS=--benchmark_filter=Counter)
#   make bench-js  build the npm package and run the JS benchmark in Node and in Chromium (vs prom-client)
#   make demo    build the demo's web app (scripts/build-demo-web.sh) and server, run it on http://127.0.0.1:3000
#                (page on /, dashboard on /dashboard.html, metrics on /metrics; Ctrl-C stops it; other
#                flags: make demo DEMO_ARGS="--port 3001 --sim-users 0")
#   make package build the native preset and a Debian package of it (cpack: build/native/golivekit-observability_*.deb:
#                the libraries, headers, CMake package, golivekit-gateway and its systemd unit; docs/gateway.md)
#   make clean   remove build/

SHELL := /bin/bash
PRESETS ?= native clang wasm asan tsan fuzz
# The tools' Node (scripts/deps.sh installs it): first on PATH for everything below. TOOL_NODE=0 uses the
# node already on PATH instead (it must then be >= 20.19).
TOOL_NODE ?= 1
export TOOL_NODE
ifneq ($(TOOL_NODE),0)
export PATH := $(CURDIR)/tools/node/node_modules/.bin:$(PATH)
endif
BENCH_ARGS ?=
DEMO_ARGS ?=

.PHONY: all deps test bench bench-js demo package clean

all: test

deps:
	scripts/deps.sh

test: deps
	PRESETS="$(PRESETS)" scripts/test.sh

bench: deps
	cmake --preset native
	cmake --build --preset native --target observability_bench
	build/native/bench/observability_bench $(BENCH_ARGS)

bench-js: deps
	scripts/build-npm.sh
	node bench/js/node.mjs
	node bench/js/browser.mjs

demo: deps
	scripts/build-demo-web.sh
	cmake --preset native
	cmake --build --preset native --target demo_server
	@echo
	@echo "make demo: build/native/examples/demo_server $(DEMO_ARGS)"
	@echo "  the page       http://127.0.0.1:3000/  (a LiveView-style app recording and shipping browser metrics)"
	@echo "  the dashboard  http://127.0.0.1:3000/dashboard.html  (server and browser series, from /metrics)"
	@echo "  the metrics    http://127.0.0.1:3000/metrics  (what Prometheus scrapes)"
	@echo "  Prometheus: deploy/prometheus/prometheus.yml, Grafana: deploy/grafana/golivekit-dashboard.json (docs/deployment.md)."
	@echo "  Ctrl-C stops the server."
	@exec build/native/examples/demo_server $(DEMO_ARGS)

package: deps
	cmake --preset native
	cmake --build --preset native
	cd build/native && cpack -G DEB

clean:
	rm -rf build
