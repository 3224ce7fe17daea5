#include "golivekit/observability/detail/metric_vec.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <shared_mutex>
#include <type_traits>
#include <utility>

#include "golivekit/observability/detail/cells.h"
#include "golivekit/observability/detail/clock.h"
#include "golivekit/observability/names.h"
#include "message.h"
#include "record/declaration.h"
#include "snapshot/sort.h"

namespace golivekit::observability::detail {
namespace {

constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;

// Ends each label value in a series' joined values: a byte that valid UTF-8 never holds.
constexpr char kEnd = '\xff';

inline std::uint64_t Mix(std::uint64_t h, std::uint64_t v) noexcept {
  h ^= v;
  h *= kMul;
  return h ^ (h >> 29);
}

// A small per-thread cache of recent lookups, so that repeating WithLabels with the same values
// skips the table and its lock. An entry holds a reference to its series (so the memory it points to
// stays valid) and is trusted only while the metric's id and removal count match: Delete/Reset bump
// the count, and ids are never reused, so a destroyed metric's entries can never match again.
struct CacheEntry {
  std::uint64_t vec_id;
  std::uint64_t removals;
  std::uint64_t hash;
  CellBase* cell;
};
constexpr std::size_t kCacheSize = 16;
struct LookupCache {
  CacheEntry entries[kCacheSize];
};
thread_local constinit LookupCache t_cache{};

// Releases the references the cache holds when the thread ends; constructed on a thread's first insert.
struct CacheReleaser {
  ~CacheReleaser() {
    for (CacheEntry& e : t_cache.entries) {
      if (e.cell) Release(std::exchange(e.cell, nullptr));
    }
  }
};

std::atomic<std::uint64_t> g_next_vec_id{1};

// The label value of every label of the overflow series, where new label sets go once a metric is at
// its series limit (as for client metrics: client_metrics.cc).
constexpr std::string_view kOverflowValue = "__overflow__";

// The longest series lifetime: what a second count of 32 bits holds, with room (about 68 years).
constexpr std::int64_t kMaxTtlSeconds = std::int64_t{1} << 31;

// The clock of lifetimes in whole seconds, never 0 (CellBase::idle_since's "updated").
std::uint32_t LifetimeSecond() noexcept { return static_cast<std::uint32_t>(SteadyMs() / 1000 + 1); }

bool AllValidUtf8(std::span<const std::string_view> values) noexcept {
  for (const std::string_view v : values) {
    if (!IsValidUtf8(v)) return false;
  }
  return true;
}

// Delete and Reset of a metric without labels: one pattern, the operation its argument.
constexpr const char* kNothingTo = "{} {} has no labels; nothing to {}";

inline CacheEntry& CacheSlot(std::uint64_t vec_id, std::uint64_t hash) noexcept {
  return t_cache.entries[(hash ^ (vec_id * kMul)) >> 60 & (kCacheSize - 1)];
}

void CacheStore(std::uint64_t vec_id, std::uint64_t removals, std::uint64_t hash, CellBase* cell) {
  if constexpr (!kThreads) return;
  thread_local CacheReleaser releaser;
  (void)releaser;
  CacheEntry& e = CacheSlot(vec_id, hash);
  Retain(cell);
  CellBase* old = std::exchange(e.cell, cell);
  e.vec_id = vec_id;
  e.removals = removals;
  e.hash = hash;
  if (old) Release(old);
}

}  // namespace

inline std::uint64_t Read64(const char* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
inline std::uint64_t Read32(const char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

std::uint64_t HashLabelValues(std::span<const std::string_view> values) noexcept {
  // Fixed-size loads only (a variable-length memcpy would be a library call): label values are
  // short, and this hash sits on every WithLabels lookup.
  std::uint64_t h = 0x243F6A8885A308D3ull ^ values.size();
  for (std::string_view v : values) {
    const char* p = v.data();
    std::size_t n = v.size();
    const std::uint64_t len = n;
    for (; n > 8; n -= 8, p += 8) h = Mix(h, Read64(p));
    std::uint64_t w;
    if (n >= 4) {
      w = (Read32(p) << 32) | Read32(p + n - 4);
    } else if (n > 0) {
      const auto* u = reinterpret_cast<const unsigned char*>(p);
      w = (std::uint64_t{u[0]} << 16) | (std::uint64_t{u[n >> 1]} << 8) | u[n - 1];
    } else {
      w = 0;
    }
    h = Mix(h, w ^ (len << 56) ^ len);
  }
  return h;
}

MetricVec::MetricVec(MetricType type, std::string&& name, std::string&& help,
                     std::vector<std::string>&& labels, std::size_t max_series,
                     std::chrono::milliseconds series_ttl)
    : id_(g_next_vec_id.fetch_add(1, std::memory_order_relaxed)),
      type_(type),
      shared_name_(new MetricName(type, std::move(name))),
      name_(shared_name_->value),
      help_(std::move(help)),
      labels_(std::move(labels)),
      perm_(labels_.size()),
      max_series_(max_series) {
  trusted_output_ = true;
  status_ = CheckFamilyDecl(MetricTypeName(type_), type_, name_, help_, labels_);
  CheckSeriesControl(max_series, series_ttl);
  SortLabelNames();
  Rebuild(labels_.empty() ? 1 : 16);
}

void MetricVec::CheckSeriesControl(std::size_t max_series, std::chrono::milliseconds series_ttl) {
  // A build without them ignores the options: its embedder refuses them (the npm package's /lite entry:
  // js/src/metrics.ts, needsSeriesControl).
  if constexpr (!kSeriesControl) {
    (void)max_series;
    (void)series_ttl;
    return;
  }
  // Rounded up: a series never goes before its lifetime is over.
  const std::int64_t ttl = (series_ttl.count() + 999) / 1000;
  if (series_ttl.count() < 0 || ttl > kMaxTtlSeconds) {
    Refuse(Fail(StatusCode::kInvalidArgument, "{} {}: series_ttl is {} ms (it must be 0 to 2^31 s)",
                {MetricTypeName(type_), name_, series_ttl.count()}));
  }
  ttl_seconds_ = static_cast<std::uint32_t>(ttl);
}

// Exposition order: a selection sort of the declaration positions by their names. A metric has a few
// label names, and this needs no code beyond its loop.
void MetricVec::SortLabelNames() {
  const std::size_t n = perm_.size();
  for (std::size_t i = 0; i < n; ++i) perm_[i] = static_cast<std::uint32_t>(i);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t least = i;
    for (std::size_t j = i + 1; j < n; ++j) {
      if (labels_[perm_[j]] < labels_[perm_[least]]) least = j;
    }
    std::swap(perm_[i], perm_[least]);
  }
}

MetricVec::~MetricVec() {
  if constexpr (kSeriesControl) {
    if (CounterCell* c = overflow_count_.load(std::memory_order_relaxed)) Release(c);
  }
  for (const std::uint64_t w : order_) Release(AsCell(w));
  if (default_cell_) Release(default_cell_);
  if (layout_) Release(layout_);
  Release(shared_name_);
}

void MetricVec::Init(CellBase* cell, std::span<const std::string_view> values, std::uint64_t hash) const {
  Retain(shared_name_);
  cell->name = shared_name_;
  cell->hash = hash;
  if constexpr (kSeriesControl) cell->created_ms = WallMs();
  for (const std::uint32_t i : perm_) {
    cell->label_values.append(values[i]);
    cell->label_values.push_back(kEnd);
  }
}

// Filled in place: a Descriptor built first would be copied into the vector once more, and a copy of the
// label names as a vector links a copy constructor of vector<string> that nothing else needs. Appends
// rather than assignments, which would link string code of their own.
std::vector<Descriptor> MetricVec::Describe() const {
  std::vector<Descriptor> out(1);
  Descriptor& d = out[0];
  d.name.append(name_);
  d.help.append(help_);
  d.type = type_;
  for (const std::string& l : labels_) d.label_names.push_back(l);
  return out;
}

// One switch rather than a factory callback per metric type: the table and the default series share it.
CellBase* MetricVec::NewCell() const {
  switch (type_) {
    case MetricType::kCounter:
      return new CounterCell;
    case MetricType::kGauge:
      return new GaugeCell;
    default:
      return new HistogramCell(layout_);
  }
}

void MetricVec::InitDefaultCell() {
  if (!status_.ok() || !labels_.empty()) return;
  // The label-less series lives outside the table: it can never be deleted, so the metric's own
  // Inc/Set/Observe need no reference counting at all.
  CellBase* cell = NewCell();
  Init(cell, {}, HashLabelValues({}));
  default_cell_ = cell;
  Retain(cell);
  std::unique_lock lock(mu_);
  InsertLocked(cell);
}

bool MetricVec::Equal(const CellBase& c, std::span<const std::string_view> values) const noexcept {
  // Hashes already matched, so this almost always succeeds; an inline loop beats a memcmp call on
  // the short strings label values usually are. Equal when `values` joined as the cell's are give the
  // same bytes (a value holding 0xFF then never matches: the stored ones cannot).
  const std::string& joined = c.label_values;
  std::size_t at = 0;
  for (const std::uint32_t k : perm_) {
    const std::string_view b = values[k];
    if (at + b.size() >= joined.size() || joined[at + b.size()] != kEnd) return false;
    const char* pa = joined.data() + at;
    const char* pb = b.data();
    at += b.size() + 1;
    std::size_t n = b.size();
    for (; n >= 8; n -= 8, pa += 8, pb += 8) {
      if (Read64(pa) != Read64(pb)) return false;
    }
    // Overlapping loads cover the 0..7 remaining bytes without a byte loop.
    if (n >= 4) {
      if (Read32(pa) != Read32(pb) || Read32(pa + n - 4) != Read32(pb + n - 4)) return false;
    } else if (n > 0) {
      if (pa[0] != pb[0] || pa[n >> 1] != pb[n >> 1] || pa[n - 1] != pb[n - 1]) return false;
    }
  }
  return at == joined.size();
}

// Label values in order, the first that differs deciding, a prefix before the longer value: the joined
// bytes compared with 0xFF, the end of a value, taken as the least byte. Two joined strings of a metric
// hold as many ends, so neither is a proper prefix of the other.
bool MetricVec::Less(const CellBase* a, const CellBase* b) const noexcept {
  const std::string& x = a->label_values;
  const std::string& y = b->label_values;
  for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
    const auto p = static_cast<unsigned char>(x[i] + 1);
    const auto q = static_cast<unsigned char>(y[i] + 1);
    if (p != q) return p < q;
  }
  return false;
}

// The table becomes `count` slots (a power of two) holding the cells of the series order. A plain array
// rather than a std::vector: it is rebuilt at twice the size rather than grown in place, and the
// WebAssembly module then links no vector code for it. Deletion and Reset rebuild it too (at the same
// size): linear probing then needs neither tombstones nor a backward shift, and one loop places every
// cell, the cells keeping their hash.
void MetricVec::Rebuild(std::size_t count) const {
  slots_.reset(new CellBase*[count]());
  mask_ = count - 1;
  for (const std::uint64_t w : order_) Place(AsCell(w));
}

void MetricVec::Place(CellBase* cell) const noexcept {
  std::size_t i = cell->hash & mask_;
  while (slots_[i] != nullptr) i = (i + 1) & mask_;
  slots_[i] = cell;
}

CellBase* MetricVec::FindLocked(std::span<const std::string_view> values, std::uint64_t hash) const noexcept {
  const std::size_t mask = mask_;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    CellBase* c = slots_[i];
    if (c == nullptr) return nullptr;
    if (c->hash == hash && Equal(*c, values)) return c;
  }
}

void MetricVec::InsertLocked(CellBase* cell) {
  order_.push_back(AsWord(cell));
  if (order_.size() * 4 > (mask_ + 1) * 3) {
    Rebuild(2 * (mask_ + 1));
  } else {
    Place(cell);
  }
}

Status MetricVec::Refusal(StatusCode code, const char* pattern, std::string_view arg) const {
  return Fail(code, pattern, {MetricTypeName(type_), name_, arg});
}

Status MetricVec::LabelCountError(std::size_t got) const {
  return Fail(StatusCode::kInvalidArgument, "{} {}: expected {} label value{} {}, got {}",
              {MetricTypeName(type_), name_, labels_.size(), labels_.size() == 1 ? "" : "s",
               JoinNames(labels_), got});
}

CellBase* MetricVec::Acquire(std::span<const std::string_view> values, Status* error) {
  if (!status_.ok()) {
    *error = status_;
    return nullptr;
  }
  if (values.size() != labels_.size()) {
    *error = LabelCountError(values.size());
    return nullptr;
  }
  const std::uint64_t hash = HashLabelValues(values);
  const std::uint64_t removals = removals_.load(std::memory_order_acquire);
  if constexpr (kThreads) {
    if (const CacheEntry& e = CacheSlot(id_, hash);
        e.cell && e.vec_id == id_ && e.hash == hash && e.removals == removals && Equal(*e.cell, values)) {
      Retain(e.cell);
      return e.cell;
    }
  }
  {
    std::shared_lock lock(mu_);
    if (CellBase* c = FindLocked(values, hash)) {
      Retain(c);
      lock.unlock();
      CacheStore(id_, removals, hash, c);
      return c;
    }
    // At the limit with the overflow series made: no exclusive lock for a flood of new label sets (whose
    // values must be valid all the same: an invalid one is refused below, as before the limit).
    if (kSeriesControl && overflow_ != nullptr && AtLimitLocked() && AllValidUtf8(values)) {
      CountOverflow();
      Retain(overflow_);
      return overflow_;
    }
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!IsValidUtf8(values[i])) {
      *error = Refusal(StatusCode::kInvalidArgument, "{} {}: value of label \"{}\" is not valid UTF-8",
                       labels_[i]);
      return nullptr;
    }
  }
  // Build the series outside the lock; another thread may win the race, then ours is dropped.
  CellBase* fresh = NewCell();
  Init(fresh, values, hash);
  std::unique_lock lock(mu_);
  CellBase* c = FindLocked(values, hash);
  if (kSeriesControl && c == nullptr && AtLimitLocked()) c = OverflowLocked();
  if (c != nullptr) {
    Retain(c);
    lock.unlock();
    delete fresh;
    return c;
  }
  InsertLocked(fresh);  // the table's reference is the one `fresh` was born with
  Retain(fresh);        // and this one is the caller's
  lock.unlock();
  CacheStore(id_, removals, hash, fresh);
  return fresh;
}

bool MetricVec::AtLimitLocked() const noexcept {
  const std::size_t limit = max_series_.load(std::memory_order_relaxed);
  // The overflow series has a place kept for it: at most limit - 1 others.
  return limit != 0 && order_.size() - (overflow_ != nullptr ? 1 : 0) + 1 >= limit;
}

void MetricVec::CountOverflow() const noexcept {
  overflowed_.fetch_add(1, std::memory_order_relaxed);
  if (CounterCell* c = overflow_count_.load(std::memory_order_acquire)) c->Inc();
}

void MetricVec::CountOverflowsIn(CounterCell* counter) {
  if (counter == nullptr) return;
  Retain(counter);
  CounterCell* none = nullptr;
  if (!overflow_count_.compare_exchange_strong(none, counter, std::memory_order_acq_rel)) Release(counter);
}

CellBase* MetricVec::OverflowLocked() {
  CountOverflow();
  if (overflow_ != nullptr) return overflow_;
  const std::vector<std::string_view> values(labels_.size(), kOverflowValue);
  const std::uint64_t hash = HashLabelValues(values);
  overflow_ = FindLocked(values, hash);  // a label set of __overflow__ values given before
  if (overflow_ == nullptr) {
    overflow_ = NewCell();
    Init(overflow_, values, hash);
    InsertLocked(overflow_);
  }
  return overflow_;
}

void MetricVec::LimitSeries(std::size_t limit) noexcept {
  std::size_t have = max_series_.load(std::memory_order_relaxed);
  while ((have == 0 || limit < have) &&
         !max_series_.compare_exchange_weak(have, limit, std::memory_order_relaxed)) {
  }
}

Status MetricVec::DeleteLabelValues(std::span<const std::string_view> values) { return Remove(&values); }

Status MetricVec::Reset() { return Remove(nullptr); }

// Delete and Reset: one path for their checks, the table's rebuild and the releases (after the lock).
Status MetricVec::Remove(const std::span<const std::string_view>* values) {
  if (!status_.ok()) return status_;
  if (labels_.empty())
    return Refusal(StatusCode::kFailedPrecondition, kNothingTo, values ? "delete" : "reset");
  if (values && values->size() != labels_.size()) return LabelCountError(values->size());
  std::vector<std::uint64_t> gone;
  {
    std::unique_lock lock(mu_);
    if (values == nullptr) {
      gone.swap(order_);
      sorted_ = 0;
      if constexpr (kSeriesControl) overflow_ = nullptr;
    } else {
      CellBase* cell = FindLocked(*values, HashLabelValues(*values));
      if (cell == nullptr) return Refusal(StatusCode::kNotFound, "{} {}: no series with these label values");
      std::size_t pos = 0;
      while (order_[pos] != AsWord(cell)) ++pos;
      order_.erase(order_.begin() + static_cast<std::ptrdiff_t>(pos));
      if (pos < sorted_) --sorted_;
      gone.push_back(AsWord(cell));
      if (kSeriesControl && cell == overflow_) overflow_ = nullptr;
    }
    removals_.fetch_add(1, std::memory_order_release);
    Rebuild(mask_ + 1);
  }
  for (const std::uint64_t w : gone) Release(AsCell(w));
  return {};
}

std::size_t MetricVec::series_count() const {
  std::shared_lock lock(mu_);
  return order_.size();
}

// A series is idle from the first gather that finds it not updated since the one before (an update
// clears the stamp that gather writes): so it goes at the first gather more than the lifetime after the
// last update, one gather interval and a second late at most, never early. Stamps are read and written
// under the exclusive lock, which orders this against the other gathers; updates only clear them. The
// series order is compacted in place, so its sorted prefix stays sorted.
void MetricVec::ExpireIdle() const {
  const std::uint32_t now = LifetimeSecond();
  std::vector<std::uint64_t> gone;
  {
    std::unique_lock lock(mu_);
    std::size_t kept = 0;
    std::size_t sorted = sorted_;
    for (std::size_t k = 0; k < order_.size(); ++k) {
      CellBase* c = AsCell(order_[k]);
      const std::uint32_t since = c->idle_since.load(std::memory_order_relaxed);
      if (since == 0) {
        c->idle_since.store(now, std::memory_order_relaxed);
      } else if (now - since > ttl_seconds_ && c != default_cell_) {
        gone.push_back(AsWord(c));
        if (k < sorted_) --sorted;
        if (c == overflow_) overflow_ = nullptr;
        continue;
      }
      order_[kept++] = order_[k];
    }
    if (gone.empty()) return;
    while (order_.size() > kept) order_.pop_back();
    sorted_ = sorted;
    removals_.fetch_add(1, std::memory_order_release);
    Rebuild(mask_ + 1);
  }
  for (const std::uint64_t w : gone) Release(AsCell(w));
}

void MetricVec::SortOrderLocked() const {
  SortTail(order_, sorted_, [this](std::uint64_t a, std::uint64_t b) { return Less(AsCell(a), AsCell(b)); });
  sorted_ = order_.size();
}

namespace {

// The value fields of a series cleared, keeping the capacity of its vectors. A histogram's read writes
// every bucket count over those it finds: they are kept, at their size.
void ClearValues(MetricType type, SeriesSnapshot& s) {
  s.value = 0;
  if (type != MetricType::kHistogram) s.bucket_counts.clear();
  s.sum = 0;
  s.count = 0;
  NativeBuckets& n = s.native;
  n.schema = 0;
  n.zero_threshold = 0;
  n.zero_count = 0;
  n.positive_spans.clear();
  n.positive_counts.clear();
  n.negative_spans.clear();
  n.negative_counts.clear();
}

}  // namespace

namespace {

// The label value that begins at `p` in a series' joined values; `p` moves past its end.
std::string_view NextValue(const char*& p) noexcept {
  const char* begin = p;
  while (*p != kEnd) ++p;
  return {begin, static_cast<std::size_t>(p++ - begin)};
}

}  // namespace

void MetricVec::SortedLabelNames(std::vector<std::string>& out) const {
  out.reserve(perm_.size());
  for (const std::uint32_t i : perm_) out.push_back(labels_[i]);
}

void MetricVec::SplitLabelValues(const CellBase& c, std::vector<std::string>& out) const {
  out.reserve(perm_.size());
  const char* p = c.label_values.data();
  for (std::size_t k = 0; k < perm_.size(); ++k) {
    const std::string_view v = NextValue(p);
    out.emplace_back(v);
  }
}

namespace {

// What a build without threads (kThreads) takes instead of a lock: SharedSpinMutex's operations are empty
// there, but std::shared_lock and std::unique_lock would still cost the WebAssembly module their code.
struct NoLock {
  NoLock() = default;
  explicit NoLock(SharedSpinMutex&) noexcept {}
  void unlock() noexcept {}
};
template <class Lock>
using LockIfThreads = std::conditional_t<kThreads, Lock, NoLock>;

}  // namespace

class MetricVec::SortedReadLock {
 public:
  // New series since the last scrape are sorted into place once (steady state does no sorting), and
  // read under the same exclusive lock: no series created meanwhile can unsort them before the read, so
  // no private copy needs sorting (one sort in the module, not two).
  explicit SortedReadLock(const MetricVec& v) : shared_(v.mu_) {
    if (v.sorted_ == v.order_.size()) return;
    shared_.unlock();
    exclusive_ = Exclusive(v.mu_);
    v.SortOrderLocked();
  }

 private:
  using Exclusive = LockIfThreads<std::unique_lock<SharedSpinMutex>>;
  LockIfThreads<std::shared_lock<SharedSpinMutex>> shared_;
  Exclusive exclusive_;
};

namespace {

// The value fields of one series from its cell; `scratch` is a histogram's working memory, kept across
// its family's series.
void ReadValues(MetricType type, const CellBase& c, SeriesSnapshot& s, std::vector<std::uint64_t>& scratch) {
  switch (type) {
    case MetricType::kCounter:
      s.value = static_cast<const CounterCell&>(c).Value();
      break;
    case MetricType::kGauge:
      s.value = static_cast<const GaugeCell&>(c).Value();
      break;
    default:
      ReadHistogramSeries(c, s, scratch);
      break;
  }
}

}  // namespace

// Two fills on purpose: a new family is built by construction, a kept one by assignment (the server's
// scrapes, no allocation). The value fields come from one switch on the type rather than a callback per
// metric type: no call through a function pointer per series, nor a thunk per type in the module.
void MetricVec::FillFamily(FamilySnapshot& f) const {
  // Appended to the empty strings: a copy without the module's only string copy assignment.
  f.name.append(name_);
  f.help.append(help_);
  f.type = type_;
  SortedLabelNames(f.label_names);
  if (layout_) {
    // A copy moved in: the module has vector<double>'s move assignment already, a swap would be inlined.
    f.bucket_bounds = std::vector<double>(layout_->bounds);
    f.native = layout_->native;
  }
  if (kSeriesControl && ttl_seconds_ != 0) ExpireIdle();
  std::vector<std::uint64_t> scratch;
  const SortedReadLock lock(*this);
  std::vector<SeriesSnapshot>(order_.size()).swap(f.series);  // sized: no growth path in the module
  for (std::size_t k = 0; k < order_.size(); ++k) {
    const CellBase& c = *AsCell(order_[k]);
    SeriesSnapshot& s = f.series[k];
    SplitLabelValues(c, s.label_values);
    ReadValues(type_, c, s, scratch);
    if constexpr (kSeriesControl) s.created_ms = type_ == MetricType::kGauge ? 0 : c.created_ms;
  }
}

void MetricVec::RefillFamily(FamilySnapshot& f) const {
  f.name = name_;
  f.help = help_;
  f.type = type_;
  f.label_names.resize(perm_.size());
  for (std::size_t k = 0; k < perm_.size(); ++k) f.label_names[k] = labels_[perm_[k]];
  if (layout_) {
    f.bucket_bounds = layout_->bounds;
    f.native = layout_->native;
  } else {
    f.bucket_bounds.clear();
    f.native = false;
  }
  if (kSeriesControl && ttl_seconds_ != 0) ExpireIdle();
  std::vector<std::uint64_t> scratch;
  const SortedReadLock lock(*this);
  f.series.resize(order_.size());
  for (std::size_t k = 0; k < order_.size(); ++k) {
    const CellBase& c = *AsCell(order_[k]);
    SeriesSnapshot& s = f.series[k];
    s.label_values.resize(perm_.size());
    const char* p = c.label_values.data();
    for (std::string& v : s.label_values) v = NextValue(p);
    ClearValues(type_, s);
    ReadValues(type_, c, s, scratch);
    if constexpr (kSeriesControl) s.created_ms = type_ == MetricType::kGauge ? 0 : c.created_ms;
  }
}

void MetricVec::CollectFamily(std::vector<FamilySnapshot>& out) const {
  // A new family moved in: the registry's fresh gather moves families in too, so the module has one
  // instance of a vector's growth for families.
  out.push_back(FamilySnapshot());
  FillFamily(out.back());
}

}  // namespace golivekit::observability::detail
