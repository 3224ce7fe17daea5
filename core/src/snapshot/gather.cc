// Gathering: one snapshot of every registered family (registry.h), checked against what its collector
// described and carrying the registry's namespace and constant labels.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "golivekit/observability/detail/metric_vec.h"
#include "golivekit/observability/registry.h"
#include "message.h"
#include "snapshot/sort.h"

namespace golivekit::observability {
namespace {

// The collector's Collect; natively, whatever it throws becomes its error.
Status CollectFrom(const Collector& collector, std::vector<FamilySnapshot>& out) {
#if defined(__cpp_exceptions)
  try {
    return collector.Collect(out);
  } catch (const std::exception& ex) {
    return detail::Fail(StatusCode::kFailedPrecondition, "collector threw: {}", {ex.what()});
  } catch (...) {
    return FailedPrecondition("collector threw a non-standard exception");
  }
#else
  return collector.Collect(out);
#endif
}

// The family written next over a kept snapshot: families[n], appended past the end; advances n.
FamilySnapshot& NextFamily(std::vector<FamilySnapshot>& families, std::size_t& n) {
  if (n == families.size()) families.emplace_back();
  return families[n++];
}

// Writes one collector's families over families[n], families[n + 1], ...: the library's own metrics
// (trusted, always a MetricVec) refill the kept family in place, keeping its memory; any other collector
// collects into a new vector whose families are moved in.
Status RefillFrom(const Collector& collector, bool trusted, std::vector<FamilySnapshot>& families,
                  std::size_t& n) {
  if (trusted) {
    static_cast<const detail::MetricVec&>(collector).RefillFamily(NextFamily(families, n));
    return {};
  }
  std::vector<FamilySnapshot> fresh;
  Status st = CollectFrom(collector, fresh);
  for (FamilySnapshot& f : fresh) NextFamily(families, n) = std::move(f);
  return st;
}

// `prefix` + `s`, in place: within its capacity, `s` takes no new buffer (a kept family, refilled).
// Spelled out rather than string::insert, whose general case the WebAssembly module would inline.
void Prepend(const std::string& prefix, std::string& s) {
  const std::size_t n = s.size();
  s.resize(n + prefix.size());
  std::memmove(s.data() + prefix.size(), s.data(), n);
  std::memcpy(s.data(), prefix.data(), prefix.size());
}

// The descriptor of `f`: same name and type; null if the collector never described it.
const Descriptor* DescriptorOf(const std::vector<Descriptor>& descriptors, const FamilySnapshot& f) {
  for (const Descriptor& d : descriptors) {
    if (d.name == f.name) return d.type == f.type ? &d : nullptr;
  }
  return nullptr;
}

// Spans that cover exactly the counts listed, and whose buckets add up to no more than `total`.
bool SpansCover(const std::vector<NativeSpan>& spans, const std::vector<std::uint64_t>& counts,
                std::uint64_t& total) {
  std::uint64_t covered = 0;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    if (i > 0 && spans[i].offset < 0) return false;
    covered += spans[i].length;
  }
  if (covered != counts.size()) return false;
  for (const std::uint64_t c : counts) {
    if (c > total) return false;
    total -= c;
  }
  return true;
}

// What an encoder needs of native buckets (snapshot.h): a known schema, a zero threshold > 0, spans in
// order that cover their counts, and a count that holds every bucket.
bool HasNativeShape(const SeriesSnapshot& s) {
  const NativeBuckets& n = s.native;
  if (n.schema < -4 || n.schema > 8 || !(n.zero_threshold > 0) || n.zero_count > s.count) return false;
  std::uint64_t left = s.count - n.zero_count;
  return SpansCover(n.positive_spans, n.positive_counts, left) &&
         SpansCover(n.negative_spans, n.negative_counts, left);
}

// The described label names, sorted, with one value per label in every series and, for histograms,
// one count per bucket bound and well-formed native buckets.
bool HasDescribedLabels(const Descriptor& d, const FamilySnapshot& f) {
  std::vector<std::string> want = d.label_names;
  detail::SortBy(want, [](const std::string& a, const std::string& b) { return a < b; });
  if (f.label_names != want) return false;
  for (const SeriesSnapshot& s : f.series) {
    if (s.label_values.size() != want.size()) return false;
    if (f.type == MetricType::kHistogram && s.bucket_counts.size() != f.bucket_bounds.size()) return false;
    if (f.type == MetricType::kHistogram && f.native && !HasNativeShape(s)) return false;
  }
  return true;
}

bool IsSortedUnique(const std::vector<SeriesSnapshot>& series) {
  for (std::size_t i = 1; i < series.size(); ++i) {
    if (!(series[i - 1].label_values < series[i].label_values)) return false;
  }
  return true;
}

// Sorts series a collector left unsorted; false if two of them have the same label values.
bool SortSeriesUnique(FamilySnapshot& f) {
  if (IsSortedUnique(f.series)) return true;
  detail::SortBy(f.series, [](const SeriesSnapshot& a, const SeriesSnapshot& b) {
    return a.label_values < b.label_values;
  });
  return IsSortedUnique(f.series);
}

}  // namespace

// The registry's constant labels, merged into each family's sorted label names and each series' values.
// Read from the registry's own sorted names and values: the family's names are sorted too, so each
// constant goes in at one position for the whole family.
class detail::ConstLabels {
 public:
  ConstLabels(const std::vector<std::string>& names, const std::vector<std::string>& values)
      : names_(names), values_(values) {}

  // In place: each series' own values keep their strings, the constants are appended and swapped down
  // to their merged positions.
  void AddTo(FamilySnapshot& f) const {
    if (names_.empty()) return;
    const detail::IndexArray at = Positions(f.label_names);
    for (SeriesSnapshot& s : f.series) Insert(at, false, s.label_values);
    Insert(at, true, f.label_names);
  }

  // The inverse on a family kept from an earlier gather: its own values back in front, the constants
  // after them, so that refilling it writes each own value into a buffer that held one.
  void RemoveFrom(FamilySnapshot& f) const {
    if (names_.empty() || f.label_names.size() < names_.size()) return;
    std::vector<bool> constant(f.label_names.size());
    std::size_t found = 0;
    for (std::size_t k = 0; k < f.label_names.size(); ++k) {
      constant[k] = std::find(names_.begin(), names_.end(), f.label_names[k]) != names_.end();
      found += constant[k] ? 1 : 0;
    }
    if (found != names_.size()) return;  // not one of ours: refilling overwrites it all the same
    for (SeriesSnapshot& s : f.series) {
      if (s.label_values.size() != constant.size()) continue;
      std::size_t w = 0;
      for (std::size_t k = 0; k < constant.size(); ++k) {
        if (!constant[k]) std::swap(s.label_values[w++], s.label_values[k]);
      }
    }
  }

 private:
  // Where each constant goes among the sorted `own` names and the constants before it.
  detail::IndexArray Positions(const std::vector<std::string>& own) const {
    detail::IndexArray at(names_.size());
    for (std::uint32_t j = 0; j < names_.size(); ++j) {
      std::uint32_t before = 0;
      while (before < own.size() && own[before] < names_[j]) ++before;
      at[j] = j + before;
    }
    return at;
  }

  // Appends the constants' names or values to `v`, each moved down (by swaps, which keep every string's
  // buffer) to its position.
  void Insert(const detail::IndexArray& at, bool names, std::vector<std::string>& v) const {
    v.reserve(v.size() + at.size());
    for (std::size_t j = 0; j < at.size(); ++j) {
      v.push_back(names ? names_[j] : values_[j]);
      for (std::size_t k = v.size() - 1; k > at[j]; --k) v[k].swap(v[k - 1]);
    }
  }

  const std::vector<std::string>& names_;
  const std::vector<std::string>& values_;
};

namespace {

using detail::ConstLabels;

// Orders the families kept from an earlier gather as this gather will produce them (collectors in
// registration order, each in the order it described its families), so that each collector refills the
// family it filled last time and the kept vectors and strings already have the right capacity. Kept
// families no collector describes go last, as spares.
void ArrangeKept(std::vector<FamilySnapshot>& kept, const std::vector<std::string_view>& described,
                 std::string_view prefix) {
  std::vector<std::pair<std::string_view, std::size_t>> rank;  // described name -> position
  rank.reserve(described.size());
  for (std::size_t i = 0; i < described.size(); ++i) rank.emplace_back(described[i], i);
  detail::SortBy(rank, [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::size_t, std::size_t>> order;  // (position, kept index)
  order.reserve(kept.size());
  for (std::size_t k = 0; k < kept.size(); ++k) {
    std::string_view name = kept[k].name;
    std::size_t position = described.size() + k;
    if (name.starts_with(prefix)) {
      name.remove_prefix(prefix.size());
      const auto it = std::lower_bound(rank.begin(), rank.end(), name,
                                       [](const auto& r, std::string_view n) { return r.first < n; });
      if (it != rank.end() && it->first == name) position = it->second;
    }
    order.emplace_back(position, k);
  }
  detail::SortBy(order, [](const auto& a, const auto& b) { return a < b; });
  std::vector<FamilySnapshot> arranged(kept.size());
  for (std::size_t i = 0; i < order.size(); ++i) arranged[i] = std::move(kept[order[i].second]);
  kept.swap(arranged);
}

}  // namespace

Snapshot Registry::Gather() const {
  // A fresh snapshot: each collector collects into a vector of its own, whose valid families are moved
  // into the snapshot. This path never links the refill steps of Gather(Snapshot&), nor moves a family
  // over another (the compaction KeepValid does in place), which keeps both out of the WebAssembly
  // module (the browser only gathers fresh).
  Snapshot snap;
  if (!status_.ok()) return snap;
  std::lock_guard lock(mu_);
  const ConstLabels const_labels(const_label_names_, const_label_values_);
  std::vector<FamilySnapshot> collected;
  for (const Entry& e : entries_) {
    collected.clear();
    if (Status st = CollectFrom(*e.collector, collected); !st.ok()) {
      CountFailed(std::move(st));
      continue;
    }
    for (FamilySnapshot& f : collected) {
      if (Keep(e, const_labels, f)) snap.families.push_back(std::move(f));
    }
  }
  SortByName(snap.families);
  return snap;
}

void Registry::Gather(Snapshot& snap) const {
  std::vector<FamilySnapshot>& families = snap.families;
  if (!status_.ok()) {
    families.clear();
    return;
  }
  std::lock_guard lock(mu_);
  const ConstLabels const_labels(const_label_names_, const_label_values_);
  if (!families.empty()) {
    std::vector<std::string_view> described;
    for (const Entry& e : entries_) {
      for (const Descriptor& d : e.descriptors) described.push_back(d.name);
    }
    ArrangeKept(families, described, prefix_);
    for (FamilySnapshot& f : families) const_labels.RemoveFrom(f);
  }
  std::size_t n = 0;  // families[0, n) are this gather's
  for (const Entry& e : entries_) {
    const std::size_t first = n;
    if (Status st = RefillFrom(*e.collector, e.check == nullptr, families, n); !st.ok()) {
      n = first;
      CountFailed(std::move(st));
      continue;
    }
    n = KeepValid(e, const_labels, families, first, n);
  }
  families.resize(n);
  SortByName(families);
}

bool Registry::CheckForeignOutput(const Descriptor& d, FamilySnapshot& f) {
  return HasDescribedLabels(d, f) && SortSeriesUnique(f);
}

void Registry::CountFailed(Status error) const {
  // All or nothing per collector: a half-collected set of families could mislead more than a gap.
  failed_.fetch_add(1, std::memory_order_relaxed);
  last_error_ = std::move(error);
}

// A collector may only produce what it described (same name and type), in the shape snapshot.h
// promises; the library's own metrics have that shape by construction (no check). A family kept gets
// the namespace and the constant labels; one left out is counted.
bool Registry::Keep(const Entry& e, const ConstLabels& const_labels, FamilySnapshot& f) const {
  const Descriptor* d = DescriptorOf(e.descriptors, f);
  if (d == nullptr || (e.check != nullptr && !e.check(*d, f))) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (!prefix_.empty()) Prepend(prefix_, f.name);
  const_labels.AddTo(f);
  if (detail::kSeriesControl && !opts_.created_timestamps) {
    for (SeriesSnapshot& s : f.series) s.created_ms = 0;
  }
  return true;
}

std::size_t Registry::KeepValid(const Entry& e, const ConstLabels& const_labels,
                                std::vector<FamilySnapshot>& families, std::size_t first,
                                std::size_t end) const {
  std::size_t kept = first;
  for (std::size_t i = first; i < end; ++i) {
    if (!Keep(e, const_labels, families[i])) continue;
    if (i != kept) std::swap(families[kept], families[i]);
    ++kept;
  }
  return kept;
}

void Registry::SortByName(std::vector<FamilySnapshot>& families) {
  detail::SortBy(families, [](const FamilySnapshot& a, const FamilySnapshot& b) { return a.name < b.name; });
}

std::string Registry::Expose(Format format) const {
  std::string out;
  Expose(format, out);
  return out;
}

void Registry::Expose(Format format, std::string& out) const {
  std::unique_lock scratch(scratch_mu_, std::try_to_lock);
  if (!scratch.owns_lock()) {
    Encode(Gather(), format, out);
    return;
  }
  Gather(scratch_);
  Encode(scratch_, format, out);
}

std::uint64_t Registry::dropped_families() const noexcept { return dropped_.load(std::memory_order_relaxed); }

std::uint64_t Registry::failed_collects() const noexcept { return failed_.load(std::memory_order_relaxed); }

Status Registry::last_collect_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

}  // namespace golivekit::observability
