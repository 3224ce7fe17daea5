#pragma once
/// \file
/// \brief The interface between a registry and whatever produces metric families.
///
/// `Counter`, `Gauge` and `Histogram` are collectors; so are the native process and runtime collectors and
/// the client-metrics merge engine. A registry asks each registered collector to `Describe()` itself once,
/// at registration (to detect conflicts), and to `Collect()` at every gather.
///
/// Thread-safety: implementations must allow `Collect` concurrently with their own updates and with other
/// `Collect` calls.
#include <cstddef>
#include <string>
#include <vector>

#include "golivekit/observability/snapshot.h"
#include "golivekit/observability/status.h"

namespace golivekit::observability {

/// The fixed identity of one family a collector produces.
struct Descriptor {
  std::string name = {};  ///< without the registry's namespace
  std::string help = {};
  MetricType type = MetricType::kUnknown;
  std::vector<std::string> label_names = {};  ///< in declaration order
};

class Registry;
namespace detail {
class MetricVec;
}  // namespace detail

class Collector {
 public:
  virtual ~Collector() = default;

  /// OK, or why this collector is unusable (an inert metric returns its construction error).
  [[nodiscard]] virtual Status status() const { return {}; }

  /// The families this collector produces. Called once by `Registry::Register`.
  [[nodiscard]] virtual std::vector<Descriptor> Describe() const = 0;

  /// Appends the current state of the described families. Names carry no namespace and label sets no
  /// constant labels: the registry adds both. `label_names` must be sorted and series sorted by values
  /// (see snapshot.h); the registry checks and sorts families by name.
  ///
  /// A collector that cannot produce its families (a file it reads is gone, say) returns an error: the
  /// registry then leaves out everything this collector appended in this call, keeps the rest of the
  /// scrape, and counts the failure (Registry::failed_collects). Natively, an exception escaping
  /// Collect is treated the same way.
  virtual Status Collect(std::vector<FamilySnapshot>& out) const = 0;

 private:
  friend class Registry;
  friend class detail::MetricVec;
  // Set by the library's own metrics, whose Collect output is valid by construction: the registry skips
  // re-validating it. A flag rather than dynamic_cast keeps RTTI out of the WebAssembly module.
  bool trusted_output_ = false;
};

}  // namespace golivekit::observability
