// Gathering: one snapshot of every registered family (registry.h), checked against what its collector
// described and carrying the registry's namespace and constant labels.
#include <cstdint>
#include <exception>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "golivekit/observability/registry.h"
#include "snapshot/sort.h"

namespace golivekit::observability {
namespace {

// The collector's Collect; natively, whatever it throws becomes its error.
Status CollectFrom(const Collector& collector, std::vector<FamilySnapshot>& out) {
#if defined(__cpp_exceptions)
  try {
    return collector.Collect(out);
  } catch (const std::exception& ex) {
    return FailedPrecondition(std::string("collector threw: ") + ex.what());
  } catch (...) {
    return FailedPrecondition("collector threw a non-standard exception");
  }
#else
  return collector.Collect(out);
#endif
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

// A collector may only produce what it described, in the shape snapshot.h promises. The library's own
// metrics (trusted) have that shape by construction: only their names and types are compared.
bool AsDescribed(const std::vector<Descriptor>& descriptors, bool trusted, FamilySnapshot& f) {
  const Descriptor* d = DescriptorOf(descriptors, f);
  if (d == nullptr) return false;
  return trusted || (HasDescribedLabels(*d, f) && SortSeriesUnique(f));
}

// The registry's constant labels, merged into each family's sorted label names and each series' values.
class ConstLabels {
 public:
  explicit ConstLabels(const std::map<std::string, std::string>& labels) {
    for (const auto& [n, v] : labels) {
      names_.push_back(n);
      values_.push_back(v);
    }
  }

  void AddTo(FamilySnapshot& f) const {
    if (names_.empty()) return;
    const std::vector<std::size_t> from = MergeNames(f.label_names);
    const std::size_t own = f.label_names.size() - names_.size();
    for (SeriesSnapshot& s : f.series) {
      std::vector<std::string> values;
      values.reserve(from.size());
      for (const std::size_t k : from) {
        values.push_back(k >= own ? values_[k - own] : std::move(s.label_values[k]));
      }
      s.label_values = std::move(values);
    }
  }

 private:
  // Merges the constant names into the sorted `names`; for each merged label, where its value comes
  // from: below the family's own label count an index into a series' values, above it a constant.
  std::vector<std::size_t> MergeNames(std::vector<std::string>& names) const {
    std::vector<std::string> merged;
    std::vector<std::size_t> from;
    const std::size_t own = names.size();
    std::size_t i = 0, j = 0;
    while (i < own || j < names_.size()) {
      if (j == names_.size() || (i < own && names[i] < names_[j])) {
        from.push_back(i);
        merged.push_back(std::move(names[i++]));
      } else {
        from.push_back(own + j);
        merged.push_back(names_[j++]);
      }
    }
    names = std::move(merged);
    return from;
  }

  std::vector<std::string> names_;
  std::vector<std::string> values_;
};

}  // namespace

Snapshot Registry::Gather() const {
  Snapshot snap;
  if (!status_.ok()) return snap;
  const ConstLabels const_labels(opts_.const_labels);

  std::lock_guard lock(mu_);
  std::vector<FamilySnapshot> got;
  for (const Entry& e : entries_) {
    got.clear();
    if (Status st = CollectFrom(*e.collector, got); !st.ok()) {
      // All or nothing per collector: a half-collected set of families could mislead more than a gap.
      failed_.fetch_add(1, std::memory_order_relaxed);
      last_error_ = std::move(st);
      continue;
    }
    for (FamilySnapshot& f : got) {
      if (!AsDescribed(e.descriptors, e.trusted, f)) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (!prefix_.empty()) f.name.insert(0, prefix_);
      const_labels.AddTo(f);
      snap.families.push_back(std::move(f));
    }
  }
  detail::SortBy(snap.families,
                 [](const FamilySnapshot& a, const FamilySnapshot& b) { return a.name < b.name; });
  return snap;
}

std::string Registry::Expose(Format format) const { return Encode(Gather(), format); }

void Registry::Expose(Format format, std::string& out) const { Encode(Gather(), format, out); }

std::uint64_t Registry::dropped_families() const noexcept { return dropped_.load(std::memory_order_relaxed); }

std::uint64_t Registry::failed_collects() const noexcept { return failed_.load(std::memory_order_relaxed); }

Status Registry::last_collect_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

}  // namespace golivekit::observability
