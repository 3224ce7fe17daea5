#pragma once
// Internals shared by Counter, Gauge and Histogram: label-keyed series storage and the intrusive
// reference that keeps a series alive while a handle to it exists. Not part of the public API.
#include <array>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "golivekit/observability/collector.h"
#include "golivekit/observability/status.h"

namespace golivekit::observability::detail {

/// What a metric shares, immutable, with each of its series (which may outlive it): born with one
/// reference, freed by the last Release.
struct Counted {
  mutable std::atomic<std::uint32_t> refs{1};
};
template <class T>
requires std::derived_from<T, Counted>
inline void Retain(const T* p) noexcept { p->refs.fetch_add(1, std::memory_order_relaxed); }
template <class T>
requires std::derived_from<T, Counted>
inline void Release(const T* p) noexcept {
  if (p->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete p;
}

/// A metric's name and kind, shared by the metric and each of its series so that errors reported
/// through a kept handle can name the metric even after the metric itself is gone.
struct MetricName : Counted {
  MetricName(MetricType t, std::string&& v) : type(t), value(std::move(v)) {}
  MetricType type;
  std::string value;
};

/// Header of every series: reference count, the metric's name, and the label values. A series is freed
/// when the map and every handle have released it. Kept small on purpose: its size is most of the memory
/// a series costs.
struct CellBase {
  CellBase() = default;
  CellBase(const CellBase&) = delete;
  CellBase& operator=(const CellBase&) = delete;
  virtual ~CellBase() {
    if (name) Release(name);
  }

  std::atomic<std::uint32_t> refs{1};
  // 0 while the series has been updated since the last gather of a metric with a series lifetime; else
  // the second (LifetimeSecond) of the gather that first found it idle. Updates write it only when it is
  // not 0 already, so an update costs a load and a branch more, and no store in the steady state. In the
  // npm module JS writes it too (kStampWordsBack).
  std::atomic<std::uint32_t> idle_since{0};
  const MetricName* name = nullptr;
  // Of the label values (HashLabelValues), for the metric's series table: kept here, so that the table
  // is an array of cells and is rebuilt from the series order.
  std::uint64_t hash = 0;
  // The label values in exposition (sorted label name) order, each followed by a 0xFF byte, which never
  // occurs in UTF-8: one string rather than one per value (less memory, one allocation at most), which
  // sorts by a byte comparison and is split only when a snapshot is taken.
  std::string label_values;
  // When the series was created: milliseconds since the Unix epoch (WallMs), for created timestamps.
  std::int64_t created_ms = 0;

  /// Marks the series updated (series lifetimes): every update calls it.
  void Touch() noexcept;
};

inline void Retain(CellBase* c) noexcept { c->refs.fetch_add(1, std::memory_order_relaxed); }
inline void Release(CellBase* c) noexcept {
  if (c->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete c;
}

/// Owning reference to a series cell (like an intrusive shared pointer).
template <class Cell>
class CellRef {
 public:
  CellRef() noexcept = default;
  /// Adopts one reference already counted for the caller.
  explicit CellRef(Cell* adopted) noexcept : p_(adopted) {}
  CellRef(const CellRef& o) noexcept : p_(o.p_) {
    if (p_) Retain(p_);
  }
  CellRef(CellRef&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  CellRef& operator=(CellRef o) noexcept {
    std::swap(p_, o.p_);
    return *this;
  }
  ~CellRef() {
    if (p_) Release(p_);
  }
  Cell* get() const noexcept { return p_; }
  Cell* operator->() const noexcept { return p_; }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  Cell* p_ = nullptr;
};

/// A fixed number of 32-bit indices (a label order, a sort's permutation): an array rather than a
/// std::vector, since it never grows, so that the WebAssembly module links no vector code for it.
class IndexArray {
 public:
  IndexArray() = default;
  explicit IndexArray(std::size_t n) : size_(n), p_(n > 0 ? new std::uint32_t[n] : nullptr) {}
  std::size_t size() const noexcept { return size_; }
  std::uint32_t* begin() noexcept { return p_.get(); }
  std::uint32_t* end() noexcept { return p_.get() + size_; }
  const std::uint32_t* begin() const noexcept { return p_.get(); }
  const std::uint32_t* end() const noexcept { return p_.get() + size_; }
  std::uint32_t& operator[](std::size_t i) noexcept { return p_[i]; }
  std::uint32_t operator[](std::size_t i) const noexcept { return p_[i]; }

 private:
  std::size_t size_ = 0;
  std::unique_ptr<std::uint32_t[]> p_;
};

/// A `void(Args...)` callable reference that does not own or allocate.
template <class Sig>
class FunctionRef;
template <class R, class... Args>
class FunctionRef<R(Args...)> {
 public:
  template <class F>
  requires(!std::is_same_v<std::remove_cvref_t<F>, FunctionRef>) FunctionRef(F&& f)
  noexcept  // NOLINT(google-explicit-constructor)
      : obj_(const_cast<void*>(static_cast<const void*>(&f))), call_([](void* o, Args... a) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<Args>(a)...);
        }) {}
  R operator()(Args... a) const { return call_(obj_, std::forward<Args>(a)...); }

 private:
  void* obj_;
  R (*call_)(void*, Args...);
};

std::uint64_t HashLabelValues(std::span<const std::string_view> values) noexcept;

struct HistogramLayout;
struct CounterCell;

/// Reads a histogram series (histogram.cc) into the value fields of `s`, whose native buckets are empty
/// and bucket counts empty or at their size. `scratch` is the native buckets' working memory, kept across
/// a family's series.
void ReadHistogramSeries(const CellBase& c, SeriesSnapshot& s, std::vector<std::uint64_t>& scratch);

/// Whether this build may run on several threads. A WebAssembly build without threads (the npm module,
/// the wasm doctest suite) shares nothing between threads: what exists only to let threads pass each
/// other (the lookup cache that skips a lock, the locks of the series table) is compiled out there.
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
inline constexpr bool kThreads = false;
#else
inline constexpr bool kThreads = true;
#endif

/// Whether this build keeps series limits, lifetimes and created timestamps, which only a process that
/// exposes its metrics needs. A build that only records and ships them (GLK_OBS_RECORD_ONLY: the npm
/// package's /lite module, whose page pays for every byte) leaves them out and ignores those options,
/// which its embedder refuses (js/src/metrics.ts).
#if defined(GLK_OBS_RECORD_ONLY)
inline constexpr bool kSeriesControl = false;
#else
inline constexpr bool kSeriesControl = true;
#endif

inline void CellBase::Touch() noexcept {
  if constexpr (kSeriesControl) {
    if (idle_since.load(std::memory_order_relaxed) != 0) idle_since.store(0, std::memory_order_relaxed);
  }
}

/// A reader-writer lock whose shared side is one atomic add to take and one to release, inline.
/// Writers (series creation, deletion, the first scrape after new series) are rare and short, and
/// yield while they wait; readers never block each other. Meets the SharedMutex requirements used by
/// std::shared_lock / std::unique_lock.
class SharedSpinMutex {
 public:
  void lock_shared() noexcept {
    if constexpr (!kThreads) return;
    while (state_.fetch_add(kReader, std::memory_order_acquire) & kWriter) {
      state_.fetch_sub(kReader, std::memory_order_relaxed);
      while (state_.load(std::memory_order_relaxed) & kWriter) std::this_thread::yield();
    }
  }
  void unlock_shared() noexcept {
    if constexpr (kThreads) state_.fetch_sub(kReader, std::memory_order_release);
  }
  void lock() noexcept {
    if constexpr (!kThreads) return;
    for (;;) {
      std::uint32_t s = state_.load(std::memory_order_relaxed);
      if (!(s & kWriter) && state_.compare_exchange_weak(s, s | kWriter, std::memory_order_acquire)) break;
      std::this_thread::yield();
    }
    while (state_.load(std::memory_order_acquire) != kWriter) std::this_thread::yield();
  }
  void unlock() noexcept {
    if constexpr (kThreads) state_.fetch_sub(kWriter, std::memory_order_release);
  }

 private:
  static constexpr std::uint32_t kWriter = 1;
  static constexpr std::uint32_t kReader = 2;
  std::atomic<std::uint32_t> state_{0};
};

/// The label vector behind every metric: validated options, the series table (open addressing keyed by
/// the hash of the label values, readers under a shared lock), and the series order for exposition
/// (kept sorted incrementally so a scrape does not sort).
class MetricVec : public Collector {
 public:
  MetricVec(MetricType type, std::string&& name, std::string&& help, std::vector<std::string>&& labels,
            std::size_t max_series, std::chrono::milliseconds series_ttl);
  ~MetricVec() override;
  MetricVec(const MetricVec&) = delete;
  MetricVec& operator=(const MetricVec&) = delete;

  const std::string& name() const noexcept { return name_; }
  const std::string& help() const noexcept { return help_; }
  const std::vector<std::string>& label_names() const noexcept { return labels_; }
  MetricType type() const noexcept { return type_; }

  Status status() const override { return status_; }
  std::vector<Descriptor> Describe() const override;

  /// Removes the series with these label values. Kept handles to it stay valid but detached: their
  /// updates are accepted and no longer exported.
  Status DeleteLabelValues(std::span<const std::string_view> values);
  template <class... V>
  requires(std::is_convertible_v<const V&, std::string_view>&&...) Status Delete(const V&... values) {
    const std::array<std::string_view, sizeof...(V)> a{std::string_view(values)...};
    return DeleteLabelValues(a);
  }
  /// Removes every series (metrics with labels; a metric without labels has nothing to remove and
  /// returns FailedPrecondition). Kept handles become detached, as with Delete.
  Status Reset();

  /// Number of live series.
  std::size_t series_count() const;

  /// The most series this metric keeps, its overflow series included (0: no limit): its own
  /// `max_series`, or a registry's (LimitSeries).
  std::size_t max_series() const noexcept { return max_series_.load(std::memory_order_relaxed); }
  /// Lookups (WithLabels) of a new label set that went to the overflow series because the metric was at
  /// its limit.
  std::uint64_t overflowed() const noexcept { return overflowed_.load(std::memory_order_relaxed); }
  /// Lowers the series limit to `limit` if it has none or a higher one (a registry's max_series, at
  /// Register). Series beyond it stay; new label sets go to the overflow series.
  void LimitSeries(std::size_t limit) noexcept;
  /// Counts each lookup that goes to the overflow series in this counter series too (a registry's
  /// golivekit_registry_overflow_samples_total{metric}), unless it counts in one already.
  void CountOverflowsIn(CounterCell* counter);

  /// Writes this metric's family (name, help, type, sorted label names, histogram bounds) with every
  /// live series, sorted by label values, over `f`, kept from an earlier gather
  /// (Registry::Gather(Snapshot&)): every field is overwritten, its vectors and strings keep their capacity.
  void RefillFamily(FamilySnapshot& f) const;

 protected:
  /// Sets the construction error (an inert metric) unless the declaration was refused already: the
  /// first error is the one reported. An OK `s` changes nothing.
  void Refuse(Status s) {
    if (status_.ok()) status_ = std::move(s);
  }
  /// Looks up or creates the series; returns a counted reference, or null with `*error` set.
  CellBase* Acquire(std::span<const std::string_view> values, Status* error);

  /// The Collect of every metric type: appends this metric's family, built by construction (all the
  /// WebAssembly module needs, as the browser never keeps snapshots).
  void CollectFamily(std::vector<FamilySnapshot>& out) const;

  /// For metrics without labels: the one series, created at construction.
  CellBase* default_cell() const noexcept { return default_cell_; }
  /// The last step of a metric's construction (a histogram's layout set): creates the one series of a
  /// metric without labels and valid options.
  void InitDefaultCell();

  // A histogram's bucket layout (counted), null for the other types: kept here, so that the table makes
  // any type's series and a family reads its bounds without knowing the metric's class.
  const HistogramLayout* layout_ = nullptr;

 private:
  void SortLabelNames();
  // Refuses invalid limits, or any in a build without them (kSeriesControl); keeps the lifetime.
  void CheckSeriesControl(std::size_t max_series, std::chrono::milliseconds series_ttl);
  // A new series of this metric's type, its header not yet filled in.
  CellBase* NewCell() const;
  bool Equal(const CellBase& c, std::span<const std::string_view> values) const noexcept;
  void Init(CellBase* cell, std::span<const std::string_view> values, std::uint64_t hash) const;
  bool Less(const CellBase* a, const CellBase* b) const noexcept;
  // Whether a new label set must go to the overflow series (mu_ held, either side).
  bool AtLimitLocked() const noexcept;
  // The overflow series, created if missing (mu_ held exclusively); counts the lookup.
  CellBase* OverflowLocked();
  // Removes the series idle for longer than the lifetime, and stamps those idle since the last gather
  // (a gather of a metric with a lifetime).
  void ExpireIdle() const;
  void Rebuild(std::size_t count) const;
  // Puts `cell` in the first empty slot of its probe path.
  void Place(CellBase* cell) const noexcept;
  CellBase* FindLocked(std::span<const std::string_view> values, std::uint64_t hash) const noexcept;
  // Adds `cell` (its hash set) to the series order and the table.
  void InsertLocked(CellBase* cell);
  // The series with these label values (Delete), or every series (Reset, for null `values`).
  Status Remove(const std::span<const std::string_view>* values);
  void SortOrderLocked() const;
  // CollectFamily's fill of `f`, a family as default-constructed.
  void FillFamily(FamilySnapshot& f) const;
  // Appends the label names in exposition order to the empty `out`.
  void SortedLabelNames(std::vector<std::string>& out) const;
  // Appends a series' label values (exposition order) to the empty `out`.
  void SplitLabelValues(const CellBase& c, std::vector<std::string>& out) const;
  // Takes the lock under which the series are read sorted by label values: shared, unless new series
  // need sorting first.
  class SortedReadLock;
  Status LabelCountError(std::size_t got) const;
  // A refusal that names this metric: `pattern` begins "{} {}" (kind, name), `arg` fills its third "{}".
  Status Refusal(StatusCode code, const char* pattern, std::string_view arg = {}) const;
  // A cell of the series order, and the word that stands for it there.
  static CellBase* AsCell(std::uint64_t word) noexcept {
    return reinterpret_cast<CellBase*>(static_cast<std::uintptr_t>(word));
  }
  static std::uint64_t AsWord(CellBase* cell) noexcept { return reinterpret_cast<std::uintptr_t>(cell); }

  const std::uint64_t id_;  // unique for the process lifetime (thread caches key on it)
  // Bumped by Delete, Reset and expiry: invalidates thread caches.
  mutable std::atomic<std::uint64_t> removals_{0};
  MetricType type_;
  const MetricName* shared_name_;
  const std::string& name_;  // the shared name's: one copy of it
  std::string help_;
  std::vector<std::string> labels_;  // declaration order
  IndexArray perm_;                  // sorted position -> declaration index
  Status status_;

  mutable SharedSpinMutex mu_;
  // mask_ + 1 slots (a power of two), null when empty, linear probing; a deletion rebuilds them
  // (mutable: a gather removes expired series)
  mutable std::unique_ptr<CellBase*[]> slots_;
  mutable std::size_t mask_ = 0;
  // All live cells, as their addresses; [0, sorted_) sorted. Words rather than pointers: the module's
  // native buckets grow a vector of words already, so the series order adds no vector code of its own.
  mutable std::vector<std::uint64_t> order_;
  mutable std::size_t sorted_ = 0;
  CellBase* default_cell_ = nullptr;
  std::atomic<std::size_t> max_series_;
  std::uint32_t ttl_seconds_ = 0;         // the lifetime, rounded up; 0: series never expire
  mutable CellBase* overflow_ = nullptr;  // in the table once a label set overflowed; mu_
  mutable std::atomic<std::uint64_t> overflowed_{0};
  std::atomic<CounterCell*> overflow_count_{nullptr};  // counted (CountOverflowsIn)
  // Counts one lookup that went to the overflow series.
  void CountOverflow() const noexcept;
};

}  // namespace golivekit::observability::detail
