// The WebAssembly face of the core, for the npm package (js/): plain C exports (extern "C", glk_*), each
// a small adapter over the public core API and nothing more. js/src/wasm-module.ts declares them for
// TypeScript (js/test/wasm_exports.test.mjs checks names and parameter counts against the built
// module); js/src/wasm-core.ts is their JS side.
//
// No embind: its runtime (type registry, invoker generation, std::string/val marshalling) was 6 KB of
// gzip'd JS and ~2 KB of the module, for a dozen functions that are called rarely. Values
// cross as numbers only; strings and arrays go through three scratch buffers in wasm memory:
//
// - In (glk_in): JS writes the strings' UTF-8 bytes into it and, at its start, a string_view of each
//   (address and length: two 32-bit words), and passes how many strings it wrote. Label values may hold
//   any character, NUL included.
// - Out: a function returning a string or bytes returns their address and leaves their length for
//   glk_len(). Valid until the next such call (JS copies at once, and frees a large one: glk_release).
// - Nums (glk_nums): arrays of doubles, both ways (bucket bounds).
//
// Hot paths (hot_paths.cc) take and return numbers only: the address of a series handle and a double.
// An address handed to JS (a metric, a registry, a series handle, a batch encoder) is owned by JS, which
// frees it exactly once (dispose, FinalizationRegistry, the shipper's stop).
#include <emscripten/emscripten.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "golivekit/observability.hpp"
#include "golivekit/observability/client_batch.h"
#include "kinds.h"

namespace obs = golivekit::observability;

namespace {

using namespace golivekit::observability::wasm;  // Kind

void* g_in = nullptr;  // the strings' views, then their bytes
std::size_t g_in_size = 0;
std::string g_out;
std::size_t g_len = 0;
std::vector<double> g_nums;
std::string g_last_error;  // of the most recent glk_metric_child that returned 0

// The `n` strings JS wrote into g_in, as views into it: valid until JS writes again. JS writes the views
// itself (no parsing here, and no vector made per call).
std::span<const std::string_view> In(std::size_t n) {
  return {static_cast<const std::string_view*>(g_in), n};
}

const char* Bytes(const std::string& s) {
  g_len = s.size();
  return s.data();
}
const char* Out(std::string s) {
  g_out = std::move(s);
  return Bytes(g_out);
}
const char* Error(const obs::Status& s) { return Out(s.ok() ? std::string() : s.ToString()); }
int Nums(std::vector<double> v) {
  g_nums = std::move(v);
  return static_cast<int>(g_nums.size());
}

// No std::shared_ptr in this module (its control block brings libc++'s RTTI support, ~1 KB gzip'd):
// metrics and registries are plain heap objects, registered with detail::RegisterReleased, and a
// metric counts its owners itself: JS (until glk_free) and each registry that holds it. So a
// metric JS disposes while it is registered lives on in the registry, as with the core's shared_ptr.

// A metric of any of the three types; JS dispatches on `kind`.
struct Metric {
  int kind;
  int owners;
  std::unique_ptr<obs::detail::MetricVec> vec;
};
Metric& M(std::uintptr_t p) { return *reinterpret_cast<Metric*>(p); }
// Gives one owner's hold back: a registry's keeper calls it when it lets go of the metric, JS through
// glk_free.
void ReleaseMetric(std::uintptr_t p) {
  if (--M(p).owners == 0) delete &M(p);
}

// A registry is the core's own: it releases each metric registered in it (ReleaseMetric) when it lets
// go of it.
obs::Registry& R(std::uintptr_t p) { return *reinterpret_cast<obs::Registry*>(p); }

template <class Child>
std::uintptr_t Adopt(Child c) {
  if (!c.ok()) {
    g_last_error = c.status().ToString();
    return 0;
  }
  return reinterpret_cast<std::uintptr_t>(new Child(std::move(c)));
}
// A new series handle of a metric of class T. Out of line: the three classes' lookups and handles are
// the same code, which the module's size passes then keep once instead of inlining it three times into
// glk_metric_child.
template <class T>
[[gnu::noinline]] std::uintptr_t ChildOf(obs::detail::MetricVec& m, std::span<const std::string_view> v) {
  return Adopt(static_cast<T&>(m).WithLabelValues(v));
}

// The `n` bounds JS wrote into nums (glk_nums(n) made it that long), taken over rather than copied; or a
// copy of the default buckets for n < 0.
std::vector<double> BucketsIn(int n) {
  if (n < 0) return obs::DefaultBuckets;
  return std::move(g_nums);
}

// Options of a counter or a gauge from the input (name, help, label names) and the series limits, made
// where the metric's constructor takes them: no moves from one kind's options to another's.
// The label names are appended one at a time: the append is linked anyway, a vector made from a range
// would be code of its own.
template <class Opts>
Opts Declared(std::span<const std::string_view> s, std::uint32_t max_series, std::uint32_t ttl_ms) {
  Opts o{.name = std::string(s[0]), .help = std::string(s[1])};
  for (std::size_t i = 2; i < s.size(); ++i) o.labels.emplace_back(s[i]);
  o.max_series = max_series;
  o.series_ttl = std::chrono::milliseconds(ttl_ms);
  return o;
}

// A client's batch encoder and the batches of its latest Encode.
struct Encoder {
  obs::BatchEncoder encoder;
  std::vector<std::string> batches;
};
Encoder& E(std::uintptr_t p) { return *reinterpret_cast<Encoder*>(p); }

}  // namespace

extern "C" {

// ---- scratch buffers ---------------------------------------------------------------------------------

// The address of the input buffer, grown to `n` bytes. Raw storage from operator new (which creates the
// string views JS writes in it): a vector's growth or initialization would be code of its own.
EMSCRIPTEN_KEEPALIVE void* glk_in(std::size_t n) {
  if (g_in_size < n) {
    ::operator delete(g_in);
    g_in = ::operator new(n);
    g_in_size = n;
  }
  return g_in;
}
// The length of the bytes whose address the latest string-returning export gave.
EMSCRIPTEN_KEEPALIVE std::size_t glk_len() { return g_len; }
// The address of the number array, made `n` long: JS writes `n` inputs, or reads the `n` outputs an
// export left there (it asks for as many as the export returned, so they are kept). A new vector rather
// than resize(): the module then links no vector<double>::resize (83 B gzip).
EMSCRIPTEN_KEEPALIVE double* glk_nums(std::size_t n) {
  if (g_nums.size() != n) g_nums = std::vector<double>(n);
  return g_nums.data();
}
// Frees the output buffer (JS calls it after copying a large output, an exposition say).
EMSCRIPTEN_KEEPALIVE void glk_release() { std::string().swap(g_out); }
EMSCRIPTEN_KEEPALIVE const char* glk_last_error() { return Bytes(g_last_error); }

// ---- metrics -----------------------------------------------------------------------------------------

// In: name, help, label names. Histograms: `buckets` bounds in nums (all of it: JS sized it with
// glk_nums(buckets)), or -1 for the defaults; the native bucket options as HistogramOpts has them (JS
// fills in the defaults, which it has from js_constants.cc). Every kind: max_series, and series_ttl in
// whole milliseconds (JS rounds up and checks both).
EMSCRIPTEN_KEEPALIVE Metric* glk_metric_new(int kind, std::size_t in, int buckets, double native_factor,
                                            double native_zero_threshold, std::uint32_t native_max_buckets,
                                            std::uint32_t max_series, std::uint32_t ttl_ms) {
  const std::span<const std::string_view> s = In(in);
  obs::detail::MetricVec* vec;
  switch (kind) {
    case kCounter:
      vec = new obs::Counter(Declared<obs::CounterOpts>(s, max_series, ttl_ms));
      break;
    case kGauge:
      vec = new obs::Gauge(Declared<obs::GaugeOpts>(s, max_series, ttl_ms));
      break;
    default: {
      kind = kHistogram;
      // The declaration as the other kinds make it (one instance of that code), moved in.
      obs::CounterOpts d = Declared<obs::CounterOpts>(s, max_series, ttl_ms);
      vec = new obs::Histogram({.name = std::move(d.name),
                                .help = std::move(d.help),
                                .labels = std::move(d.labels),
                                .buckets = BucketsIn(buckets),
                                .native_bucket_factor = native_factor,
                                .native_zero_threshold = native_zero_threshold,
                                .native_max_buckets = native_max_buckets,
                                .max_series = d.max_series,
                                .series_ttl = d.series_ttl});
      break;
    }
  }
  return new Metric{kind, 1, std::unique_ptr<obs::detail::MetricVec>(vec)};
}
EMSCRIPTEN_KEEPALIVE int glk_metric_kind(std::uintptr_t m) { return M(m).kind; }
EMSCRIPTEN_KEEPALIVE const char* glk_metric_help(std::uintptr_t m) { return Out(M(m).vec->help()); }
EMSCRIPTEN_KEEPALIVE int glk_metric_series_count(std::uintptr_t m) {
  return static_cast<int>(M(m).vec->series_count());
}

// In: label values. The address of a new series handle (free it with glk_free), or 0 with the
// reason in glk_last_error().
EMSCRIPTEN_KEEPALIVE std::uintptr_t glk_metric_child(std::uintptr_t p, std::size_t in) {
  const Metric& m = M(p);
  const std::span<const std::string_view> v = In(in);
  switch (m.kind) {
    case kCounter:
      return ChildOf<obs::Counter>(*m.vec, v);
    case kGauge:
      return ChildOf<obs::Gauge>(*m.vec, v);
    default:
      return ChildOf<obs::Histogram>(*m.vec, v);
  }
}
// In: label values.
EMSCRIPTEN_KEEPALIVE const char* glk_metric_remove(std::uintptr_t m, std::size_t in) {
  return Error(M(m).vec->DeleteLabelValues(In(in)));
}
EMSCRIPTEN_KEEPALIVE const char* glk_metric_reset(std::uintptr_t m) { return Error(M(m).vec->Reset()); }
// Bucket bounds of a histogram into nums (none for other kinds); returns how many.
EMSCRIPTEN_KEEPALIVE int glk_metric_buckets(std::uintptr_t p) {
  const Metric& m = M(p);
  return Nums(m.kind == kHistogram ? static_cast<obs::Histogram&>(*m.vec).buckets() : std::vector<double>());
}

// ---- registries --------------------------------------------------------------------------------------

// In: namespace, then constant labels as name, value, name, value, … (each name once: an object's keys,
// js/src/registry.ts). RegistryOpts' max_series and created_timestamps (0 or 1).
EMSCRIPTEN_KEEPALIVE obs::Registry* glk_registry_new(std::size_t in, std::uint32_t max_series, int created) {
  const std::span<const std::string_view> s = In(in);
  return obs::detail::NewRegistryFromPairs(s[0], s.subspan(1), max_series, created != 0);
}
EMSCRIPTEN_KEEPALIVE const char* glk_registry_register(std::uintptr_t r, std::uintptr_t p) {
  Metric& m = M(p);
  ++m.owners;  // the registry's, given back as JS gives its own back: at once if the registry refuses it
  const obs::Status s = obs::detail::RegisterReleased(R(r), *m.vec, p, &ReleaseMetric);
#if !defined(GLK_OBS_WASM_LITE)
  // The lite module has no exposition, so no overflow counter to expose (wasm/CMakeLists.txt).
  if (s.ok()) obs::detail::CountOverflowsOf(R(r), *m.vec);
#endif
  return Error(s);
}
EMSCRIPTEN_KEEPALIVE int glk_registry_unregister(std::uintptr_t r, std::uintptr_t p) {
  return R(r).Unregister(*M(p).vec);
}
#if !defined(GLK_OBS_WASM_LITE)
// format: 0 text 0.0.4, 1 OpenMetrics 1.0. Not in the lite module (wasm/CMakeLists.txt), whose pages
// never expose: without this export the link leaves both text encoders out.
// A fresh Gather and the inline Encode with a format known to be text: the module then links neither the
// protobuf encoder nor the refill steps of Gather(Snapshot&) (Registry::Expose would need both).
EMSCRIPTEN_KEEPALIVE const char* glk_registry_expose(std::uintptr_t r, int format) {
  g_out.clear();
  obs::Encode(R(r).Gather(), format == 1 ? obs::Format::kOpenMetrics : obs::Format::kText, g_out);
  return Bytes(g_out);
}
#endif

// ---- buckets (into nums; returns how many, 0 for invalid arguments) ----------------------------------

EMSCRIPTEN_KEEPALIVE int glk_default_buckets() { return Nums(obs::DefaultBuckets); }
EMSCRIPTEN_KEEPALIVE int glk_linear_buckets(double start, double width, int count) {
  return Nums(obs::LinearBuckets(start, width, count));
}
EMSCRIPTEN_KEEPALIVE int glk_exponential_buckets(double start, double factor, int count) {
  return Nums(obs::ExponentialBuckets(start, factor, count));
}

// ---- client batches (the shipper, js/src/shipper.ts) -------------------------------------------------

// A new client: its id from four random 32-bit words that JS draws from Web Crypto (not
// std::random_device, which would need a `crypto` import from the host: absent in an ES module on Node
// 18), and
// batches of at most `max_bytes`.
EMSCRIPTEN_KEEPALIVE Encoder* glk_encoder_new(double max_bytes, std::uint32_t w0, std::uint32_t w1,
                                              std::uint32_t w2, std::uint32_t w3) {
  return new Encoder{
      obs::BatchEncoder(obs::ClientIdFromWords({w0, w1, w2, w3}), static_cast<std::size_t>(max_bytes)), {}};
}
EMSCRIPTEN_KEEPALIVE void glk_encoder_free(Encoder* e) { delete e; }
// The client id as 32 hex digits.
EMSCRIPTEN_KEEPALIVE const char* glk_encoder_client(std::uintptr_t e) {
  return Out(obs::ClientIdHex(E(e).encoder.client()));
}
// In: family names never to ship (added to the encoder's skip set).
EMSCRIPTEN_KEEPALIVE void glk_encoder_skip(std::uintptr_t e, std::size_t in) {
  for (const std::string_view name : In(in)) E(e).encoder.Skip(name);
}
// Encodes what changed in the registry since the previous call; returns the number of batches, which
// glk_encoder_batch hands out, each once.
EMSCRIPTEN_KEEPALIVE int glk_encoder_encode(std::uintptr_t e, std::uintptr_t r, int final, double dropped) {
  Encoder& enc = E(e);
  std::vector<std::string> batches = enc.encoder.Encode(
      R(r).Gather(), {.final = final != 0, .dropped_batches = static_cast<std::uint64_t>(dropped)});
  // Swapped in, the previous batches freed with the local: a move assignment would inline a clear and
  // free of its own.
  enc.batches.swap(batches);
  return static_cast<int>(enc.batches.size());
}
// Batch i of the latest Encode, moved into the output buffer (JS copies each once).
EMSCRIPTEN_KEEPALIVE const char* glk_encoder_batch(std::uintptr_t e, int i) {
  return Out(std::move(E(e).batches[static_cast<std::size_t>(i)]));
}

// ---- series values (reads: compiled for size like the rest) --------------------------------------------

EMSCRIPTEN_KEEPALIVE double glk_counter_value(obs::CounterChild* p) { return p->Value(); }
EMSCRIPTEN_KEEPALIVE double glk_gauge_value(obs::GaugeChild* p) { return p->Value(); }
EMSCRIPTEN_KEEPALIVE double glk_histogram_count(obs::HistogramChild* p) {
  return static_cast<double>(p->Count());
}
EMSCRIPTEN_KEEPALIVE double glk_histogram_sum(obs::HistogramChild* p) { return p->Sum(); }

// ---- what JS owns: one export frees each, one reads an adapter's error (`what` is a Kind) ---------------

// Frees a series handle of a metric kind, a metric adapter (for JS: the registries holding it keep it)
// or a registry adapter.
EMSCRIPTEN_KEEPALIVE void glk_free(int what, std::uintptr_t p) {
  switch (what) {
    case kCounter:
      delete reinterpret_cast<obs::CounterChild*>(p);
      break;
    case kGauge:
      delete reinterpret_cast<obs::GaugeChild*>(p);
      break;
    case kHistogram:
      delete reinterpret_cast<obs::HistogramChild*>(p);
      break;
    case kMetricAdapter:
      ReleaseMetric(p);
      break;
    default:
      delete &R(p);
      break;
  }
}
// The error a metric or registry adapter was made with (its options refused), empty if none.
EMSCRIPTEN_KEEPALIVE const char* glk_error(int what, std::uintptr_t p) {
  return Error(what == kMetricAdapter ? M(p).vec->status() : R(p).status());
}

}  // extern "C"
