#include "golivekit/observability/registry.h"

#include <algorithm>
#include <exception>
#include <set>
#include <utility>

#include "golivekit/observability/detail/metric_vec.h"
#include "golivekit/observability/names.h"
#include "snapshot/sort.h"

namespace golivekit::observability {
namespace {

constexpr std::string_view kTotal = "_total";

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Every name a family occupies in either format: its sample names and its OpenMetrics family name.
std::vector<std::string> OccupiedNames(const std::string& name, MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      if (EndsWith(name, kTotal)) return {name, name.substr(0, name.size() - kTotal.size())};
      return {name};
    case MetricType::kHistogram:
      return {name, name + "_bucket", name + "_sum", name + "_count"};
    default:
      return {name};
  }
}

std::string Describe(const Descriptor& d, const std::string& full) {
  return std::string(MetricTypeName(d.type)) + " " + full;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string s = "{";
  for (std::size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
  return s + "}";
}

bool IsSortedUnique(const std::vector<SeriesSnapshot>& series) {
  for (std::size_t i = 1; i < series.size(); ++i) {
    if (!(series[i - 1].label_values < series[i].label_values)) return false;
  }
  return true;
}

}  // namespace

Registry::Registry(RegistryOpts opts) : opts_(std::move(opts)) {
  if (!opts_.namespace_.empty()) {
    prefix_ = opts_.namespace_ + "_";
    if (Status s = CheckMetricName(opts_.namespace_); !s.ok()) {
      status_ = InvalidArgument("registry namespace: " + s.message());
    }
  }
  for (const auto& [name, value] : opts_.const_labels) {
    if (!status_.ok()) break;
    if (Status s = CheckLabelName(name); !s.ok()) {
      status_ = InvalidArgument("registry constant label: " + s.message());
    } else if (!IsValidUtf8(value)) {
      status_ = InvalidArgument("registry constant label \"" + name + "\": value is not valid UTF-8");
    }
  }
}

Status Registry::Register(std::shared_ptr<Collector> collector) {
  if (!status_.ok()) return status_;
  if (!collector) return InvalidArgument("Register: null collector");
  if (Status s = collector->status(); !s.ok()) return s;
  std::vector<Descriptor> descs = collector->Describe();

  std::lock_guard lock(mu_);
  for (const Entry& e : entries_) {
    if (e.collector == collector) {
      return AlreadyExists(descs.empty() ? "collector is already registered"
                                         : Describe(descs[0], prefix_ + descs[0].name) + " is already registered");
    }
  }
  std::map<std::string, std::string> new_names;  // names this collector would occupy -> its family
  for (const Descriptor& d : descs) {
    const std::string full = prefix_ + d.name;
    if (Status s = CheckMetricName(full); !s.ok()) return s;
    for (const std::string& l : d.label_names) {
      if (opts_.const_labels.count(l)) {
        return InvalidArgument(Describe(d, full) + ": label \"" + l + "\" is also a constant label of the registry");
      }
    }
    if (d.type == MetricType::kHistogram && opts_.const_labels.count("le")) {
      return InvalidArgument(Describe(d, full) + ": the registry's constant label \"le\" is reserved on histograms");
    }
    if (auto it = families_.find(full); it != families_.end()) {
      const Descriptor& old = it->second;
      std::string msg = Describe(d, full) + " conflicts with the registered " + Describe(old, full);
      if (old.type != d.type) {
        msg += ": different type (" + std::string(MetricTypeName(old.type)) + " vs " +
               std::string(MetricTypeName(d.type)) + ")";
      } else if (old.help != d.help) {
        msg += ": different help (\"" + old.help + "\" vs \"" + d.help + "\")";
      } else if (old.label_names != d.label_names) {
        msg += ": different label names (" + JoinNames(old.label_names) + " vs " + JoinNames(d.label_names) + ")";
      } else {
        msg = Describe(d, full) + " is already registered (another collector with the same name)";
      }
      return AlreadyExists(std::move(msg));
    }
    for (const std::string& n : OccupiedNames(full, d.type)) {
      auto it = sample_names_.find(n);
      const std::string* other = it != sample_names_.end() ? &it->second : nullptr;
      if (auto jt = new_names.find(n); !other && jt != new_names.end()) other = &jt->second;
      if (other) {
        return AlreadyExists(Describe(d, full) + ": name \"" + n + "\" clashes with family " + *other +
                             " (sample and OpenMetrics family names must be unique)");
      }
    }
    for (const std::string& n : OccupiedNames(full, d.type)) new_names.emplace(n, full);
  }
  for (const Descriptor& d : descs) families_.emplace(prefix_ + d.name, d);
  for (auto& [n, f] : new_names) sample_names_.emplace(n, f);
  const bool trusted = collector->trusted_output_;
  entries_.push_back(Entry{std::move(collector), std::move(descs), trusted});
  return {};
}

bool Registry::Unregister(const std::shared_ptr<Collector>& collector) {
  std::lock_guard lock(mu_);
  const auto it =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.collector == collector; });
  if (it == entries_.end()) return false;
  for (const Descriptor& d : it->descriptors) {
    const std::string full = prefix_ + d.name;
    families_.erase(full);
    for (const std::string& n : OccupiedNames(full, d.type)) sample_names_.erase(n);
  }
  entries_.erase(it);
  return true;
}

Snapshot Registry::Gather() const {
  Snapshot snap;
  if (!status_.ok()) return snap;
  std::vector<std::string> const_names;
  std::vector<std::string> const_values;
  for (const auto& [n, v] : opts_.const_labels) {
    const_names.push_back(n);
    const_values.push_back(v);
  }

  std::lock_guard lock(mu_);
  std::vector<FamilySnapshot> got;
  for (const Entry& e : entries_) {
    got.clear();
    Status st;
#if defined(__cpp_exceptions)
    try {
      st = e.collector->Collect(got);
    } catch (const std::exception& ex) {
      st = FailedPrecondition(std::string("collector threw: ") + ex.what());
    } catch (...) {
      st = FailedPrecondition("collector threw a non-standard exception");
    }
#else
    st = e.collector->Collect(got);
#endif
    if (!st.ok()) {
      // All or nothing per collector: a half-collected set of families could mislead more than a gap.
      failed_.fetch_add(1, std::memory_order_relaxed);
      last_error_ = st;
      continue;
    }
    for (FamilySnapshot& f : got) {
      // A collector may only produce what it described, in the shape snapshot.h promises.
      const auto d = std::find_if(e.descriptors.begin(), e.descriptors.end(),
                                  [&](const Descriptor& x) { return x.name == f.name; });
      if (d == e.descriptors.end() || d->type != f.type) {
        dropped_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      if (!e.trusted) {
        std::vector<std::string> want = d->label_names;
        detail::SortBy(want, [](const std::string& a, const std::string& b) { return a < b; });
        bool ok = f.label_names == want;
        for (const SeriesSnapshot& s : f.series) {
          ok = ok && s.label_values.size() == want.size() &&
               (f.type != MetricType::kHistogram || s.bucket_counts.size() == f.bucket_bounds.size());
        }
        if (ok && !IsSortedUnique(f.series)) {
          detail::SortBy(f.series,
                         [](const SeriesSnapshot& a, const SeriesSnapshot& b) { return a.label_values < b.label_values; });
          ok = IsSortedUnique(f.series);
        }
        if (!ok) {
          dropped_.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
      }
      if (!prefix_.empty()) f.name.insert(0, prefix_);
      if (!const_names.empty()) {
        // Merge the constant labels into the sorted label names, and their values into every series.
        std::vector<std::string> names;
        std::vector<int> from;  // >= 0: index into the series' values; < 0: -1 - index of a constant
        std::size_t i = 0, j = 0;
        while (i < f.label_names.size() || j < const_names.size()) {
          if (j == const_names.size() || (i < f.label_names.size() && f.label_names[i] < const_names[j])) {
            from.push_back(static_cast<int>(i));
            names.push_back(std::move(f.label_names[i++]));
          } else {
            from.push_back(-1 - static_cast<int>(j));
            names.push_back(const_names[j++]);
          }
        }
        f.label_names = std::move(names);
        for (SeriesSnapshot& s : f.series) {
          std::vector<std::string> values;
          values.reserve(from.size());
          for (int k : from) {
            values.push_back(k >= 0 ? std::move(s.label_values[static_cast<std::size_t>(k)])
                                    : const_values[static_cast<std::size_t>(-1 - k)]);
          }
          s.label_values = std::move(values);
        }
      }
      snap.families.push_back(std::move(f));
    }
  }
  detail::SortBy(snap.families, [](const FamilySnapshot& a, const FamilySnapshot& b) { return a.name < b.name; });
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

std::shared_ptr<Registry> NewRegistry(RegistryOpts opts) { return std::make_shared<Registry>(std::move(opts)); }

}  // namespace golivekit::observability
