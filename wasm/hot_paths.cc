// The hot paths of the npm module: plain C exports taking and returning numbers only (see bindings.cc).
// This file is compiled for speed (-O3, outside link-time optimization) while the rest of the module
// is compiled for size: each export must inline the core's update (one or two memory operations in
// single-threaded wasm) rather than call it.
#include <emscripten/emscripten.h>
#include <malloc.h>

#include <cstdint>

#include "golivekit/observability.hpp"
#include "kinds.h"

namespace obs = golivekit::observability;
using namespace golivekit::observability::wasm;  // Kind

// `p` is an address returned by bindings.cc's metricChild, never 0 (JS checks).
extern "C" {

EMSCRIPTEN_KEEPALIVE void glk_counter_inc(obs::CounterChild* p) { p->Inc(); }
// Returns 0, or 1 if the core refused the amount (negative or NaN: JS checks first and says why).
EMSCRIPTEN_KEEPALIVE int glk_counter_add(obs::CounterChild* p, double v) { return p->Add(v).ok() ? 0 : 1; }
EMSCRIPTEN_KEEPALIVE double glk_counter_value(obs::CounterChild* p) { return p->Value(); }

EMSCRIPTEN_KEEPALIVE void glk_gauge_set(obs::GaugeChild* p, double v) { p->Set(v); }
EMSCRIPTEN_KEEPALIVE void glk_gauge_add(obs::GaugeChild* p, double v) { p->Add(v); }
EMSCRIPTEN_KEEPALIVE double glk_gauge_value(obs::GaugeChild* p) { return p->Value(); }

EMSCRIPTEN_KEEPALIVE void glk_histogram_observe(obs::HistogramChild* p, double v) { p->Observe(v); }
EMSCRIPTEN_KEEPALIVE double glk_histogram_count(obs::HistogramChild* p) {
  return static_cast<double>(p->Count());
}
EMSCRIPTEN_KEEPALIVE double glk_histogram_sum(obs::HistogramChild* p) { return p->Sum(); }

EMSCRIPTEN_KEEPALIVE void glk_child_free(int kind, std::uintptr_t p) {
  switch (kind) {
    case kCounter:
      delete reinterpret_cast<obs::CounterChild*>(p);
      break;
    case kGauge:
      delete reinterpret_cast<obs::GaugeChild*>(p);
      break;
    default:
      delete reinterpret_cast<obs::HistogramChild*>(p);
      break;
  }
}

// Bytes of the wasm heap in use by the allocator (for the runtime metrics and the leak test).
EMSCRIPTEN_KEEPALIVE double glk_heap_in_use() { return static_cast<double>(mallinfo().uordblks); }

}  // extern "C"
