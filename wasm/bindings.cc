// The WebAssembly face of the core, for the npm package (js/). Two kinds of entry point:
//
// - embind registrations (EMSCRIPTEN_BINDINGS below) for everything that is called rarely and needs
//   strings: creating metrics and registries, resolving label values to a series, exposition. Each is a
//   small adapter over the public core API and nothing more.
// - plain C exports (extern "C", glk_*, in hot_paths.cc) for the hot paths. They take and return numbers only: the
//   address of a series handle and a double. The JS side keeps a reference to the raw wasm export, so
//   an update costs one wasm call (a few ns); any string crossing the boundary would cost 150-500 ns.
//
// A series handle (CounterChild, GaugeChild, HistogramChild) is allocated here and its address given to
// JS, which owns it and frees it with glk_child_free (hot_paths.cc; dispose, FinalizationRegistry). The
// handle keeps its series alive on its own (see counter.h), so a freed metric never leaves JS with a
// dangling cell.
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <emscripten/val.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "golivekit/observability.hpp"
#include "kinds.h"

namespace obs = golivekit::observability;
using emscripten::val;

namespace {

using namespace golivekit::observability::wasm;  // Kind

// The error of the most recent metricChild that returned 0 (JS reads it only after such a call).
std::string& LastError() {
  static std::string error;
  return error;
}

std::vector<std::string> Strings(const val& array) {
  if (array.isUndefined() || array.isNull()) return {};
  return emscripten::vecFromJSArray<std::string>(array);
}

std::vector<double> Numbers(const val& array) { return emscripten::vecFromJSArray<double>(array); }

std::string ErrorText(const obs::Status& s) { return s.ok() ? std::string() : s.ToString(); }

val BucketsToArray(const std::vector<double>& b) {
  val out = val::array();
  for (double x : b) out.call<void>("push", x);
  return out;
}

std::string lastError() { return LastError(); }
val defaultBuckets() { return BucketsToArray(obs::DefaultBuckets); }
val linearBuckets(double start, double width, int count) {
  return BucketsToArray(obs::LinearBuckets(start, width, count));
}
val exponentialBuckets(double start, double factor, int count) {
  return BucketsToArray(obs::ExponentialBuckets(start, factor, count));
}

// embind sees functions only, over addresses of heap objects (a Metric, or a registry's shared_ptr):
// registering classes would bring embind's class machinery (handles, smart-pointer registrations, ~3 KB
// gzip of glue) into the module for nothing, since the JS side wraps everything in its own classes
// anyway. JS owns each address and frees it exactly once (dispose or FinalizationRegistry).

// A metric of any of the three types; JS dispatches on `kind`.
struct Metric {
  int kind;
  std::shared_ptr<obs::detail::MetricVec> vec;
};
Metric& M(std::uintptr_t p) { return *reinterpret_cast<Metric*>(p); }

template <class Child>
std::uintptr_t Adopt(Child c) {
  if (!c.ok()) {
    LastError() = c.status().ToString();
    return 0;
  }
  return reinterpret_cast<std::uintptr_t>(new Child(std::move(c)));
}

// `buckets` is an array of bounds for a histogram (undefined for the defaults), ignored otherwise.
std::uintptr_t metricNew(int kind, std::string name, std::string help, const val& labels, const val& buckets) {
  auto* m = new Metric{kind, nullptr};
  switch (kind) {
    case kCounter:
      m->vec = obs::NewCounter({.name = std::move(name), .help = std::move(help), .labels = Strings(labels)});
      break;
    case kGauge:
      m->vec = obs::NewGauge({.name = std::move(name), .help = std::move(help), .labels = Strings(labels)});
      break;
    default:
      m->kind = kHistogram;
      m->vec = obs::NewHistogram({.name = std::move(name),
                                  .help = std::move(help),
                                  .labels = Strings(labels),
                                  .buckets = buckets.isUndefined() ? obs::DefaultBuckets : Numbers(buckets)});
      break;
  }
  return reinterpret_cast<std::uintptr_t>(m);
}
void metricFree(std::uintptr_t m) { delete &M(m); }
int metricKind(std::uintptr_t m) { return M(m).kind; }
std::string metricError(std::uintptr_t m) { return ErrorText(M(m).vec->status()); }
std::string metricName(std::uintptr_t m) { return M(m).vec->name(); }
std::string metricHelp(std::uintptr_t m) { return M(m).vec->help(); }
int metricSeriesCount(std::uintptr_t m) { return static_cast<int>(M(m).vec->series_count()); }

// The address of a new series handle for these label values (free it with glk_child_free), or 0 with
// the reason in lastError().
std::uintptr_t metricChild(std::uintptr_t p, const val& values) {
  const Metric& m = M(p);
  const std::vector<std::string> v = Strings(values);
  switch (m.kind) {
    case kCounter: return Adopt(static_cast<obs::Counter&>(*m.vec).WithLabelValues(v));
    case kGauge: return Adopt(static_cast<obs::Gauge&>(*m.vec).WithLabelValues(v));
    default: return Adopt(static_cast<obs::Histogram&>(*m.vec).WithLabelValues(v));
  }
}
std::string metricRemove(std::uintptr_t m, const val& values) {
  const std::vector<std::string> owned = Strings(values);
  const std::vector<std::string_view> v(owned.begin(), owned.end());
  return ErrorText(M(m).vec->DeleteLabelValues(v));
}
std::string metricReset(std::uintptr_t m) { return ErrorText(M(m).vec->Reset()); }
// Bucket bounds of a histogram (empty for other kinds).
val metricBuckets(std::uintptr_t p) {
  const Metric& m = M(p);
  return m.kind == kHistogram ? BucketsToArray(static_cast<obs::Histogram&>(*m.vec).buckets()) : val::array();
}

// A registry is held through a heap-allocated shared_ptr, as the core hands it out.
obs::Registry& R(std::uintptr_t p) { return **reinterpret_cast<std::shared_ptr<obs::Registry>*>(p); }

// `const_labels` is a flat array [name, value, name, value, …].
std::uintptr_t registryNew(std::string namespace_, const val& const_labels) {
  obs::RegistryOpts opts{.namespace_ = std::move(namespace_)};
  const std::vector<std::string> flat = Strings(const_labels);
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) opts.const_labels[flat[i]] = flat[i + 1];
  return reinterpret_cast<std::uintptr_t>(new std::shared_ptr<obs::Registry>(obs::NewRegistry(std::move(opts))));
}
void registryFree(std::uintptr_t r) { delete reinterpret_cast<std::shared_ptr<obs::Registry>*>(r); }
std::string registryError(std::uintptr_t r) { return ErrorText(R(r).status()); }
std::string registryRegister(std::uintptr_t r, std::uintptr_t m) { return ErrorText(R(r).Register(M(m).vec)); }
bool registryUnregister(std::uintptr_t r, std::uintptr_t m) { return R(r).Unregister(M(m).vec); }
// format: 0 text 0.0.4, 1 OpenMetrics 1.0.
std::string registryExpose(std::uintptr_t r, int format) {
  return R(r).Expose(format == 1 ? obs::Format::kOpenMetrics : obs::Format::kText);
}

}  // namespace


EMSCRIPTEN_BINDINGS(golivekit_observability) {
  using emscripten::function;
  function("metricNew", &metricNew);
  function("metricFree", &metricFree);
  function("metricKind", &metricKind);
  function("metricError", &metricError);
  function("metricName", &metricName);
  function("metricHelp", &metricHelp);
  function("metricSeriesCount", &metricSeriesCount);
  function("metricChild", &metricChild);
  function("metricRemove", &metricRemove);
  function("metricReset", &metricReset);
  function("metricBuckets", &metricBuckets);
  function("registryNew", &registryNew);
  function("registryFree", &registryFree);
  function("registryError", &registryError);
  function("registryRegister", &registryRegister);
  function("registryUnregister", &registryUnregister);
  function("registryExpose", &registryExpose);
  function("lastError", &lastError);
  function("defaultBuckets", &defaultBuckets);
  function("linearBuckets", &linearBuckets);
  function("exponentialBuckets", &exponentialBuckets);
}
