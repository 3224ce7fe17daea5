// Registration: which collectors a registry holds and the names they occupy (registry.h). Gathering
// what they hold is the snapshot stage's (snapshot/gather.cc).
#include "golivekit/observability/registry.h"

#include <algorithm>
#include <utility>

#include "golivekit/observability/detail/metric_vec.h"
#include "golivekit/observability/names.h"

namespace golivekit::observability {
namespace {

// Every name a family occupies in either format: its sample names and its OpenMetrics family name.
std::vector<std::string> OccupiedNames(const std::string& name, MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      if (const std::string_view family = OpenMetricsFamilyName(name); !family.empty()) {
        return {name, std::string(family)};
      }
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
  Collector& c = *collector;
  return Add(c,
             Keeper(new std::shared_ptr<Collector>(std::move(collector)),
                    [](void* p) { delete static_cast<std::shared_ptr<Collector>*>(p); }),
             c.trusted_output_ ? nullptr : &CheckForeignOutput);
}

Status Registry::RegisterUnowned(detail::MetricVec& metric) {
  return Add(metric, Keeper(nullptr, nullptr), nullptr);
}

// On refusal `keeper` is dropped here, which is what the caller of Register expects.
Status Registry::Add(Collector& collector, Keeper keeper, OutputCheck check) {
  if (!status_.ok()) return status_;
  if (Status s = collector.status(); !s.ok()) return s;
  std::vector<Descriptor> descs = collector.Describe();

  std::lock_guard lock(mu_);
  for (const Entry& e : entries_) {
    if (e.collector == &collector) {
      return AlreadyExists(descs.empty()
                               ? "collector is already registered"
                               : Describe(descs[0], prefix_ + descs[0].name) + " is already registered");
    }
  }
  std::map<std::string, std::string> new_names;  // names this collector would occupy -> its family
  for (const Descriptor& d : descs) {
    const std::string full = prefix_ + d.name;
    if (Status s = CheckMetricName(full); !s.ok()) return s;
    for (const std::string& l : d.label_names) {
      if (opts_.const_labels.count(l)) {
        return InvalidArgument(Describe(d, full) + ": label \"" + l +
                               "\" is also a constant label of the registry");
      }
    }
    if (d.type == MetricType::kHistogram && opts_.const_labels.count("le")) {
      return InvalidArgument(Describe(d, full) +
                             ": the registry's constant label \"le\" is reserved on histograms");
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
        msg += ": different label names (" + JoinNames(old.label_names) + " vs " + JoinNames(d.label_names) +
               ")";
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
  entries_.push_back(Entry{&collector, std::move(keeper), std::move(descs), check});
  return {};
}

bool Registry::Unregister(const std::shared_ptr<Collector>& collector) {
  return collector != nullptr && Unregister(*collector);
}

bool Registry::Unregister(const Collector& collector) {
  std::lock_guard lock(mu_);
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const Entry& e) { return e.collector == &collector; });
  if (it == entries_.end()) return false;
  for (const Descriptor& d : it->descriptors) {
    const std::string full = prefix_ + d.name;
    families_.erase(full);
    for (const std::string& n : OccupiedNames(full, d.type)) sample_names_.erase(n);
  }
  entries_.erase(it);
  return true;
}

std::shared_ptr<Registry> NewRegistry(RegistryOpts opts) {
  return std::make_shared<Registry>(std::move(opts));
}

}  // namespace golivekit::observability
