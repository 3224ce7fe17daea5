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

namespace obs = golivekit::observability;
using emscripten::val;

namespace {

// Values of Metric::kind(); the JS side uses the same numbers.
enum Kind : int { kCounter = 0, kGauge = 1, kHistogram = 2 };

// The error of the most recent Metric::Child that returned 0 (JS reads it only after such a call).
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

// One class for the three metric types keeps the JS glue small: JS dispatches on kind().
class Metric {
 public:
  // `buckets` is an array of bounds for a histogram (undefined for the defaults), ignored otherwise.
  Metric(int kind, std::string name, std::string help, const val& labels, const val& buckets) : kind_(kind) {
    switch (kind) {
      case kCounter:
        vec_ = obs::NewCounter({.name = std::move(name), .help = std::move(help), .labels = Strings(labels)});
        break;
      case kGauge:
        vec_ = obs::NewGauge({.name = std::move(name), .help = std::move(help), .labels = Strings(labels)});
        break;
      default:
        kind_ = kHistogram;
        vec_ = obs::NewHistogram({.name = std::move(name),
                                  .help = std::move(help),
                                  .labels = Strings(labels),
                                  .buckets = buckets.isUndefined() ? obs::DefaultBuckets : Numbers(buckets)});
        break;
    }
  }

  int kind() const { return kind_; }
  std::string error() const { return ErrorText(vec_->status()); }
  std::string name() const { return vec_->name(); }
  std::string help() const { return vec_->help(); }
  int seriesCount() const { return static_cast<int>(vec_->series_count()); }

  // The address of a new series handle for these label values (free it with glk_child_free), or 0 with
  // the reason in lastError().
  std::uintptr_t child(const val& values) const {
    const std::vector<std::string> v = Strings(values);
    switch (kind_) {
      case kCounter: return Adopt(static_cast<obs::Counter&>(*vec_).WithLabelValues(v));
      case kGauge: return Adopt(static_cast<obs::Gauge&>(*vec_).WithLabelValues(v));
      default: return Adopt(static_cast<obs::Histogram&>(*vec_).WithLabelValues(v));
    }
  }

  std::string remove(const val& values) const {
    const std::vector<std::string> owned = Strings(values);
    const std::vector<std::string_view> v(owned.begin(), owned.end());
    return ErrorText(vec_->DeleteLabelValues(v));
  }
  std::string reset() const { return ErrorText(vec_->Reset()); }

  // Bucket bounds of a histogram (empty for other kinds).
  const std::vector<double>& buckets() const {
    static const std::vector<double> none;
    return kind_ == kHistogram ? static_cast<obs::Histogram&>(*vec_).buckets() : none;
  }

  const std::shared_ptr<obs::detail::MetricVec>& vec() const { return vec_; }

 private:
  template <class Child>
  static std::uintptr_t Adopt(Child c) {
    if (!c.ok()) {
      LastError() = c.status().ToString();
      return 0;
    }
    return reinterpret_cast<std::uintptr_t>(new Child(std::move(c)));
  }

  int kind_;
  std::shared_ptr<obs::detail::MetricVec> vec_;
};

class Registry {
 public:
  // `const_labels` is a flat array [name, value, name, value, …].
  Registry(std::string namespace_, const val& const_labels) {
    obs::RegistryOpts opts{.namespace_ = std::move(namespace_)};
    const std::vector<std::string> flat = Strings(const_labels);
    for (std::size_t i = 0; i + 1 < flat.size(); i += 2) opts.const_labels[flat[i]] = flat[i + 1];
    registry_ = obs::NewRegistry(std::move(opts));
  }

  std::string error() const { return ErrorText(registry_->status()); }
  std::string registerMetric(const Metric& m) const { return ErrorText(registry_->Register(m.vec())); }
  bool unregisterMetric(const Metric& m) const { return registry_->Unregister(m.vec()); }
  // format: 0 text 0.0.4, 1 OpenMetrics 1.0.
  std::string expose(int format) const {
    return registry_->Expose(format == 1 ? obs::Format::kOpenMetrics : obs::Format::kText);
  }

 private:
  std::shared_ptr<obs::Registry> registry_;
};

std::string lastError() { return LastError(); }

val BucketsToArray(const std::vector<double>& b) {
  val out = val::array();
  for (double x : b) out.call<void>("push", x);
  return out;
}
val defaultBuckets() { return BucketsToArray(obs::DefaultBuckets); }
val linearBuckets(double start, double width, int count) {
  return BucketsToArray(obs::LinearBuckets(start, width, count));
}
val exponentialBuckets(double start, double factor, int count) {
  return BucketsToArray(obs::ExponentialBuckets(start, factor, count));
}

// embind sees functions only, over addresses of the adapters above: registering classes would bring
// embind's class machinery (handles, smart-pointer registrations, ~3 KB gzip of glue) into the module for
// nothing, since the JS side wraps everything in its own classes anyway. JS owns each address and frees
// it exactly once (dispose or FinalizationRegistry).
Metric& M(std::uintptr_t p) { return *reinterpret_cast<Metric*>(p); }
Registry& R(std::uintptr_t p) { return *reinterpret_cast<Registry*>(p); }

std::uintptr_t metricNew(int kind, std::string name, std::string help, const val& labels, const val& buckets) {
  return reinterpret_cast<std::uintptr_t>(new Metric(kind, std::move(name), std::move(help), labels, buckets));
}
void metricFree(std::uintptr_t m) { delete &M(m); }
int metricKind(std::uintptr_t m) { return M(m).kind(); }
std::string metricError(std::uintptr_t m) { return M(m).error(); }
std::string metricName(std::uintptr_t m) { return M(m).name(); }
std::string metricHelp(std::uintptr_t m) { return M(m).help(); }
int metricSeriesCount(std::uintptr_t m) { return M(m).seriesCount(); }
std::uintptr_t metricChild(std::uintptr_t m, const val& values) { return M(m).child(values); }
std::string metricRemove(std::uintptr_t m, const val& values) { return M(m).remove(values); }
std::string metricReset(std::uintptr_t m) { return M(m).reset(); }
val metricBuckets(std::uintptr_t m) { return BucketsToArray(M(m).buckets()); }

std::uintptr_t registryNew(std::string namespace_, const val& const_labels) {
  return reinterpret_cast<std::uintptr_t>(new Registry(std::move(namespace_), const_labels));
}
void registryFree(std::uintptr_t r) { delete &R(r); }
std::string registryError(std::uintptr_t r) { return R(r).error(); }
std::string registryRegister(std::uintptr_t r, std::uintptr_t m) { return R(r).registerMetric(M(m)); }
bool registryUnregister(std::uintptr_t r, std::uintptr_t m) { return R(r).unregisterMetric(M(m)); }
std::string registryExpose(std::uintptr_t r, int format) { return R(r).expose(format); }

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
