// The hot paths of the npm module: plain C exports taking and returning numbers only (see bindings.cc).
// This file is compiled for speed (-O3, outside link-time optimization) while the rest of the module
// is compiled for size: each export must inline the core's update (one or two memory operations in
// single-threaded wasm) rather than call it.
#include <emscripten/emscripten.h>

#include <atomic>
#include <cstdint>

#include "golivekit/observability.hpp"
#include "kinds.h"

namespace obs = golivekit::observability;
using namespace golivekit::observability::wasm;  // Kind

// The double that JS updates in place (js/src/series.ts and wasm-core.ts: a counter's or gauge's
// pending updates are added to it before any call into the module; a gauge's set writes it): no call per
// update. The module has no threads, so the cell's atomics are plain words, and the core reads them at
// gather time as ever (CounterCell::float_bits counts fractional adds, GaugeCell::bits is the value).
static_assert(sizeof(std::atomic<std::uint64_t>) == sizeof(double) &&
              alignof(std::atomic<std::uint64_t>) == 8);
#if defined(__EMSCRIPTEN_PTHREADS__)
#error "cells updated in place from JS assume a module without threads"
#endif

// `p` is an address returned by bindings.cc's metricChild, never 0 (JS checks).
extern "C" {

// The byte address of the double JS updates for a series of a counter or gauge (`kind`; 0 for an inert
// handle, which JS never makes). Called once per handle: one export for both kinds.
EMSCRIPTEN_KEEPALIVE std::uintptr_t glk_cell(int kind, std::uintptr_t p) {
  if (kind == kCounter) {
    auto* cell = CellOf(*reinterpret_cast<obs::CounterChild*>(p));
    return cell != nullptr ? reinterpret_cast<std::uintptr_t>(&cell->float_bits) : 0;
  }
  auto* cell = CellOf(*reinterpret_cast<obs::GaugeChild*>(p));
  return cell != nullptr ? reinterpret_cast<std::uintptr_t>(&cell->bits) : 0;
}

// Counter and gauge updates need no export: JS writes the cells (above).
EMSCRIPTEN_KEEPALIVE void glk_histogram_observe(obs::HistogramChild* p, double v) { p->Observe(v); }

}  // extern "C"
