#pragma once
/// \file
/// \brief Registry: the set of collectors one `/metrics` exposes.
///
/// \code
/// auto registry = obs::NewRegistry({.namespace_ = "myapp", .const_labels = {{"env", "production"}}});
/// auto views = obs::NewCounter({.name = "page_views_total", .help = "Total page views", .labels =
/// {"page"}}); if (auto st = registry->Register(views); !st.ok()) { /* st.message() says which conflict */ }
/// views->WithLabels("/home").Inc();
/// std::string text = registry->Expose();                       // text 0.0.4
/// std::string om = registry->Expose(obs::Format::kOpenMetrics);  // OpenMetrics 1.0
/// // myapp_page_views_total{env="production",page="/home"} 1
/// \endcode
///
/// Registration rules (checked by Register, with a message that names the conflict):
/// - the collector must be valid (an inert metric is refused with its construction error);
/// - registering the same collector twice, or another one whose family name (after the namespace) is
///   taken, is AlreadyExists; if the two differ in type, help or label names the message says which;
/// - a family may not produce a sample name another family produces (`x_bucket`, `x_sum`, `x_count` of a
///   histogram; a counter `x_total` and a family `x` share the OpenMetrics family name `x`);
/// - constant labels may not repeat a metric's own label names, nor be `le` on a histogram.
///
/// Thread-safety: every member may be called from any thread. Gather/Expose run concurrently with
/// metric updates (which never wait for them); Gather, Expose, Register and Unregister are serialized
/// with each other by the registry's mutex.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "golivekit/observability/collector.h"
#include "golivekit/observability/encode.h"
#include "golivekit/observability/snapshot.h"
#include "golivekit/observability/status.h"

namespace golivekit::observability {
class Registry;
namespace detail {
class ConstLabels;  // gather.cc
/// Registry::RegisterUnowned for an embedder that counts a metric's owners itself (the npm module's C
/// exports, whose handles are addresses): the registry calls `release(owner)` once it lets go of the
/// metric, whether it refused it, it was unregistered or the registry was destroyed. The embedder then
/// keeps no list of its own.
Status RegisterReleased(Registry& registry, MetricVec& metric, std::uintptr_t owner,
                        void (*release)(std::uintptr_t));
/// What Register does besides RegisterReleased for a metric with a series limit: its overflows are
/// counted in the registry's golivekit_registry_overflow_samples_total{metric}. Separate, so that an
/// embedder without an exposition (the npm module's /lite) links none of it.
void CountOverflowsOf(Registry& registry, MetricVec& metric);
/// A new registry from a namespace and constant labels given as name, value, name, value, …, exactly as
/// Registry's constructor from label pairs makes it, for an embedder whose labels are in an array of its
/// own (the npm module's C exports: no vector is copied), and RegistryOpts' max_series and
/// created_timestamps. The caller deletes it.
Registry* NewRegistryFromPairs(std::string_view namespace_,
                               std::span<const std::string_view> const_label_pairs, std::size_t max_series,
                               bool created_timestamps);
}  // namespace detail

/// Options of `NewRegistry` (fields in this order, for designated initializers).
struct RegistryOpts {
  /// The spec's IncludeGoMetrics. Core only records the wish: the target that runs the registry adds the
  /// runtime metrics it can measure (native: threads, heap, build info; wasm: memory, JS heap).
  bool include_runtime_metrics = false;
  /// The spec's IncludeProcessMetrics: honoured by the native target (Linux /proc), ignored elsewhere.
  bool include_process_metrics = false;
  /// Prefix for every family name: "myapp" turns "requests_total" into "myapp_requests_total".
  std::string namespace_ = {};
  /// Labels added to every exposed series, e.g. {{"service", "golivekit"}, {"env", "production"}}.
  std::map<std::string, std::string> const_labels = {};
  /// The series limit of each of the library's metrics registered here that has none of its own or a
  /// higher one (their `max_series`; 0: none). So the registry holds at most this many series per
  /// metric, overflow series included, and the overflows are counted in its
  /// golivekit_registry_overflow_samples_total{metric} (a family it exposes once any metric of it has a
  /// limit). A metric keeps the lowest limit it was given, also after Unregister.
  std::size_t max_series = 0;
  /// Start timestamps of counters and histograms: each series' creation time as OpenMetrics `_created`
  /// samples and as the protobuf `created_timestamp` (SeriesSnapshot::created_ms), so that Prometheus
  /// can tell a series that expired and came back from zero. Off: Gather leaves them 0 (as
  /// client_golang, whose Prometheus before 2.50 stores `_created` samples as series of their own).
  bool created_timestamps = false;
};

class Counter;

class Registry {
 public:
  explicit Registry(RegistryOpts opts);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;
  /// The same as a namespace and constant labels given as name, value, name, value, … (a name given
  /// twice keeps its first value, as in the map). For embedders that hold the labels as strings: the npm
  /// module, which then links no std::map insertion.
  Registry(std::string_view namespace_, const std::vector<std::string_view>& const_label_pairs);

  /// OK, or why the options are invalid (bad namespace, constant label name or value). An invalid
  /// registry refuses every Register with this error and exposes nothing.
  [[nodiscard]] const Status& status() const noexcept { return status_; }
  /// The options as given. A registry made from label pairs fills `const_labels` at the first call
  /// (once, whichever thread calls first; an allocation failure there terminates).
  [[nodiscard]] const RegistryOpts& opts() const noexcept;

  /// Adds a collector (a Counter, Gauge, Histogram or any Collector). See the rules above. The registry
  /// keeps it alive while it is registered.
  Status Register(std::shared_ptr<Collector> collector);
  /// The same for one of the library's own metrics (a Counter, Gauge or Histogram) that the caller owns
  /// and keeps alive until it is unregistered or the registry is destroyed. For embedders that manage
  /// lifetimes themselves: the npm module's C exports, which then link neither std::shared_ptr nor the
  /// checks a foreign collector's output needs.
  Status RegisterUnowned(detail::MetricVec& metric);
  /// Removes a collector registered before; false if it was not registered.
  bool Unregister(const std::shared_ptr<Collector>& collector);
  bool Unregister(const Collector& collector);
  /// Changes what a registered collector describes: checks `next` as Register would (against every other
  /// collector's families), and only if it passes runs `change`, which must make the collector describe
  /// and collect `next` from then on (ClientMetrics::Reconfigure, say); then the registry takes `next`.
  /// No gather runs in between, so no scrape sees the new families with the old descriptions or the
  /// reverse. Errors, with nothing changed: NotFound for a collector not registered here, the refusal of
  /// the check, or the error `change` returns (which must then have changed nothing).
  Status Redescribe(const Collector& collector, std::vector<Descriptor> next,
                    const std::function<Status()>& change);

  /// An immutable snapshot of every registered family, with the namespace and constant labels applied,
  /// sorted and validated (see snapshot.h). A family a collector produces that it did not describe, or
  /// that breaks the invariants, is left out and counted (see dropped_families()).
  [[nodiscard]] Snapshot Gather() const;
  /// The same, written over `snapshot` (typically the one an earlier call filled): its families, series,
  /// label values and bucket vectors are refilled in place, so a scrape that keeps one snapshot reuses
  /// its memory instead of allocating per series (and paying page faults when the allocator has returned
  /// the previous scrape's memory to the system). The result equals `Gather()`'s, whatever `snapshot`
  /// held before.
  void Gather(Snapshot& snapshot) const;

  /// The exposition in a new string (see the overload below).
  [[nodiscard]] std::string Expose(Format format = Format::kText) const;
  /// Appends the exposition to `out`: a server that keeps `out` between scrapes reuses its capacity.
  /// The snapshot in between is one the registry keeps from scrape to scrape (a concurrent Expose that
  /// finds it in use gathers into a new one), so steady-state scrapes allocate almost nothing.
  void Expose(Format format, std::string& out) const;

  /// Families left out of Gather because a collector produced something inconsistent with its
  /// description (a collector bug); never by a well-behaved collector.
  [[nodiscard]] std::uint64_t dropped_families() const noexcept;
  /// Collect calls that failed (returned an error, or threw natively) and were left out of a Gather.
  [[nodiscard]] std::uint64_t failed_collects() const noexcept;
  /// The error of the most recent failed Collect (OK if none failed yet).
  [[nodiscard]] Status last_collect_error() const;

 private:
  // What keeps a registered collector alive: Register's shared_ptr, nothing (RegisterUnowned) or the
  // embedder's hold (RegisterReleased). Erased to an address and a function so that a registry used
  // only through the other two links no shared_ptr code.
  struct Keeper {
    std::uintptr_t owner;
    void (*release)(std::uintptr_t);
    Keeper(std::uintptr_t o, void (*r)(std::uintptr_t)) noexcept : owner(o), release(r) {}
    Keeper(Keeper&& k) noexcept : owner(k.owner), release(std::exchange(k.release, nullptr)) {}
    Keeper& operator=(Keeper&&) = delete;
    ~Keeper() {
      if (release != nullptr) release(owner);
    }
  };
  // Checks a family a foreign collector produced against its descriptor and puts its series in order;
  // false to leave it out. Null for the library's own metrics, whose output is valid by construction.
  using OutputCheck = bool (*)(const Descriptor&, FamilySnapshot&);
  static bool CheckForeignOutput(const Descriptor& d, FamilySnapshot& f);
  struct Entry {
    Collector* collector;
    Keeper keeper;
    std::vector<Descriptor> descriptors;
    // The names its families produce (sample names, OpenMetrics family names), namespace included, each
    // after the name of the family that produces it.
    std::vector<std::string> occupied;
    OutputCheck check;
    std::unique_ptr<Entry> next;
  };
  // The registered collectors in registration order, as a chain: adding or removing one moves no other
  // entry (a std::vector of them linked its growth and erase paths into the WebAssembly module).
  struct Entries {
    struct Iterator {
      const Entry* e;
      const Entry& operator*() const noexcept { return *e; }
      Iterator& operator++() noexcept {
        e = e->next.get();
        return *this;
      }
      bool operator!=(const Iterator& other) const noexcept { return e != other.e; }
    };
    Entries() = default;
    Entries(const Entries&) = delete;
    Entries& operator=(const Entries&) = delete;
    // One entry at a time: the chain's own recursive destruction would go as deep as it is long.
    ~Entries() {
      while (first) first = std::move(first->next);
    }
    [[nodiscard]] Iterator begin() const noexcept { return {first.get()}; }
    [[nodiscard]] Iterator end() const noexcept { return {nullptr}; }
    std::unique_ptr<Entry> first;
  };
  friend void detail::CountOverflowsOf(Registry& registry, detail::MetricVec& metric);
  friend Status detail::RegisterReleased(Registry& registry, detail::MetricVec& metric, std::uintptr_t owner,
                                         void (*release)(std::uintptr_t));
  friend Registry* detail::NewRegistryFromPairs(std::string_view namespace_,
                                                std::span<const std::string_view> const_label_pairs,
                                                std::size_t max_series, bool created_timestamps);
  // The constructor from label pairs, over any array of them.
  Registry(std::string_view namespace_, std::span<const std::string_view> const_label_pairs);
  // `limited`: a metric of the library takes the registry's max_series (all but the overflow counter).
  Status Add(Collector& collector, Keeper keeper, OutputCheck check, bool limited = true);
  Status CheckDescriptor(const Descriptor& d, const std::string& full, const std::string& subject) const;
  static Status FamilyConflict(const Descriptor& old, const Descriptor& d, const std::string& full,
                               const std::string& subject);
  const std::string* Occupier(const std::string& name) const;  // mu_ held

  void CheckOpts();
  bool IsConstLabel(std::string_view name) const;
  // Inserts a constant label at its place in the sorted names (and values); a name there already stays.
  void AddConstLabel(std::string_view name, std::string_view value);

  mutable RegistryOpts opts_;  // const_labels completed by opts() for a registry made from label pairs
  mutable std::once_flag opts_complete_;
  Status status_;
  std::string prefix_;  // namespace_ + "_", or empty
  // The constant labels sorted by name, as the map orders them: what the checks and the gathers read.
  std::vector<std::string> const_label_names_;
  std::vector<std::string> const_label_values_;
  // The steps of the gathers (mu_ held): a collector's failure is counted; a family it wrote is kept if it
  // described it, prefixed and with the constant labels (Keep); of the families it wrote at [first, end),
  // KeepValid moves those kept to the front and returns their end (the refilling gather); families end
  // sorted by name.
  void CountFailed(Status error) const;
  bool Keep(const Entry& e, const detail::ConstLabels& const_labels, FamilySnapshot& f) const;
  std::size_t KeepValid(const Entry& e, const detail::ConstLabels& const_labels,
                        std::vector<FamilySnapshot>& families, std::size_t first, std::size_t end) const;
  static void SortByName(std::vector<FamilySnapshot>& families);

  mutable std::mutex mu_;
  Entries entries_;
  mutable std::atomic<std::uint64_t> dropped_{0};
  mutable std::atomic<std::uint64_t> failed_{0};
  mutable Status last_error_;  // guarded by mu_
  mutable std::mutex scratch_mu_;
  mutable Snapshot scratch_;  // Expose's snapshot, kept between scrapes; guarded by scratch_mu_
  // golivekit_registry_overflow_samples_total, registered here once a metric with a series limit is:
  // made and registered under overflow_mu_, after mu_ is let go.
  std::mutex overflow_mu_;
  std::unique_ptr<Counter> overflow_samples_;
  // Gives a metric with a series limit its series of overflow_samples_.
  void CountOverflows(detail::MetricVec& metric);
};

/// Creates a registry. `NewRegistry()` gives one with no namespace and no constant labels.
std::shared_ptr<Registry> NewRegistry(RegistryOpts opts = {});

}  // namespace golivekit::observability
