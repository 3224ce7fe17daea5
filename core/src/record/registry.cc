// Registration: which collectors a registry holds and the names they occupy (registry.h). Gathering
// what they hold is the snapshot stage's (snapshot/gather.cc).
#include "golivekit/observability/registry.h"

#include <utility>

#include "golivekit/observability/counter.h"
#include "golivekit/observability/detail/metric_vec.h"
#include "golivekit/observability/names.h"
#include "message.h"

namespace golivekit::observability {
namespace {

// Appends the names a family occupies in either format (its sample names and its OpenMetrics family
// name), each after the family's own name: a clash then finds the family it is with by the same scan.
// A suffixed name is appended to in place, and the registry's other names are built by Substitute:
// registration links no string concatenation (operator+ and its constructor) of its own.
void Occupy(std::vector<std::string>& pairs, const std::string& full, MetricType type) {
  pairs.push_back(full);
  pairs.push_back(full);
  if (type == MetricType::kHistogram) {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      pairs.push_back(full);
      pairs.push_back(full);
      pairs.back().append(suffix);
    }
  } else if (const std::string_view family = OpenMetricsFamilyName(full);
             type == MetricType::kCounter && !family.empty()) {
    pairs.push_back(full);
    pairs.emplace_back(family);
  }
}

// The family that occupies `name` among the first `end` strings of such pairs, or null.
const std::string* Occupant(const std::vector<std::string>& pairs, std::size_t end, const std::string& name) {
  for (std::size_t i = 1; i < end; i += 2) {
    if (pairs[i] == name) return &pairs[i - 1];
  }
  return nullptr;
}

using detail::Fail;
using detail::JoinNames;

}  // namespace

Registry::Registry(RegistryOpts opts) : opts_(std::move(opts)) {
  for (const auto& [name, value] : opts_.const_labels) {
    const_label_names_.push_back(name);
    const_label_values_.push_back(value);
  }
  CheckOpts();
}

Registry::~Registry() {
  // A build without series limits never makes the overflow counter: nor the code that deletes one.
  if constexpr (!detail::kSeriesControl) (void)overflow_samples_.release();
}

Registry::Registry(std::string_view namespace_, const std::vector<std::string_view>& const_label_pairs)
    : Registry(namespace_, std::span<const std::string_view>(const_label_pairs)) {}

Registry::Registry(std::string_view namespace_, std::span<const std::string_view> const_label_pairs)
    : opts_{.namespace_ = std::string(namespace_)} {
  for (std::size_t i = 0; i + 1 < const_label_pairs.size(); i += 2) {
    AddConstLabel(const_label_pairs[i], const_label_pairs[i + 1]);
  }
  CheckOpts();
}

Registry* detail::NewRegistryFromPairs(std::string_view namespace_,
                                       std::span<const std::string_view> const_label_pairs,
                                       std::size_t max_series, bool created_timestamps) {
  auto* r = new Registry(namespace_, const_label_pairs);
  r->opts_.max_series = max_series;
  r->opts_.created_timestamps = created_timestamps;
  return r;
}

// Appended, then moved down by swaps: a registry has a handful of constant labels, and this links no
// insertion code of a second container.
void Registry::AddConstLabel(std::string_view name, std::string_view value) {
  std::size_t k = const_label_names_.size();
  for (std::size_t i = 0; i < k; ++i) {
    if (const_label_names_[i] == name) return;
  }
  const_label_names_.emplace_back(name);
  const_label_values_.emplace_back(value);
  for (; k > 0 && const_label_names_[k] < const_label_names_[k - 1]; --k) {
    const_label_names_[k].swap(const_label_names_[k - 1]);
    const_label_values_[k].swap(const_label_values_[k - 1]);
  }
}

// In the map's order, so that the first invalid label reported is the same however it was given.
void Registry::CheckOpts() {
  if (!opts_.namespace_.empty()) {
    detail::Substitute(prefix_, "{}_", {opts_.namespace_});
    if (Status s = CheckMetricName(opts_.namespace_); !s.ok()) {
      status_ = Fail(StatusCode::kInvalidArgument, "registry namespace: {}", {s.message()});
    }
  }
  for (std::size_t i = 0; i < const_label_names_.size() && status_.ok(); ++i) {
    const std::string& name = const_label_names_[i];
    if (Status s = CheckLabelName(name); !s.ok()) {
      status_ = Fail(StatusCode::kInvalidArgument, "registry constant label: {}", {s.message()});
    } else if (!IsValidUtf8(const_label_values_[i])) {
      status_ = Fail(StatusCode::kInvalidArgument, "registry constant label \"{}\": value is not valid UTF-8",
                     {name});
    }
  }
}

const RegistryOpts& Registry::opts() const noexcept {
  std::call_once(opts_complete_, [this] {
    if (!opts_.const_labels.empty()) return;  // given as the map
    for (std::size_t i = 0; i < const_label_names_.size(); ++i) {
      opts_.const_labels.emplace(const_label_names_[i], const_label_values_[i]);
    }
  });
  return opts_;
}

bool Registry::IsConstLabel(std::string_view name) const {
  for (const std::string& n : const_label_names_) {
    if (n == name) return true;
  }
  return false;
}

Status Registry::Register(std::shared_ptr<Collector> collector) {
  if (!status_.ok()) return status_;
  if (!collector) return Fail(StatusCode::kInvalidArgument, "Register: null collector", {});
  Collector& c = *collector;
  const bool ours = c.trusted_output_;
  Status s =
      Add(c,
          Keeper(reinterpret_cast<std::uintptr_t>(new std::shared_ptr<Collector>(std::move(collector))),
                 [](std::uintptr_t p) { delete reinterpret_cast<std::shared_ptr<Collector>*>(p); }),
          ours ? nullptr : &CheckForeignOutput);
  if (s.ok() && ours) CountOverflows(static_cast<detail::MetricVec&>(c));
  return s;
}

Status Registry::RegisterUnowned(detail::MetricVec& metric) {
  Status s = Add(metric, Keeper(0, nullptr), nullptr);
  if (s.ok()) CountOverflows(metric);
  return s;
}

void detail::CountOverflowsOf(Registry& registry, MetricVec& metric) { registry.CountOverflows(metric); }

Status detail::RegisterReleased(Registry& registry, MetricVec& metric, std::uintptr_t owner,
                                void (*release)(std::uintptr_t)) {
  return registry.Add(metric, Registry::Keeper(owner, release), nullptr);
}

// The registered family that occupies a name, or null: a linear scan, since registration is rare and
// registries hold at most some hundreds of families, and no second index to keep in step.
const std::string* Registry::Occupier(const std::string& name) const {
  for (const Entry& e : entries_) {
    if (const std::string* family = Occupant(e.occupied, e.occupied.size(), name)) return family;
  }
  return nullptr;
}

// On refusal `keeper` is dropped here, which is what the caller of Register expects.
Status Registry::Add(Collector& collector, Keeper keeper, OutputCheck check, bool limited) {
  if (!status_.ok()) return status_;
  if (Status s = collector.status(); !s.ok()) return s;
  // The entry is made first and filled as the checks go (its occupied names are the (family, name) pairs
  // this collector would occupy); a refusal drops it, and with it the keeper.
  std::unique_ptr<Entry> entry(
      new Entry{&collector, std::move(keeper), collector.Describe(), {}, check, nullptr});
  const std::vector<Descriptor>& descs = entry->descriptors;
  std::vector<std::string>& occupied = entry->occupied;

  std::lock_guard lock(mu_);
  bool registered = false;
  for (const Entry& e : entries_) registered |= e.collector == &collector;
  if (registered && descs.empty())
    return Fail(StatusCode::kAlreadyExists, "collector is already registered", {});
  for (const Descriptor& d : descs) {
    std::string full;
    detail::Substitute(full, "{}{}", {prefix_, d.name});
    // How every refusal names the family: "counter myapp_x", built once for all of them.
    std::string subject;
    detail::Substitute(subject, "{} {}", {MetricTypeName(d.type), full});
    if (registered) return Fail(StatusCode::kAlreadyExists, "{} is already registered", {subject});
    if (Status s = CheckDescriptor(d, full, subject); !s.ok()) return s;
    for (const Entry& e : entries_) {
      for (const Descriptor& old : e.descriptors) {
        if (old.name == d.name) return FamilyConflict(old, d, full, subject);
      }
    }
    const std::size_t first = occupied.size();
    Occupy(occupied, full, d.type);
    for (std::size_t i = first + 1; i < occupied.size(); i += 2) {
      const std::string& n = occupied[i];
      const std::string* family = Occupier(n);
      if (family == nullptr) family = Occupant(occupied, first, n);
      if (family != nullptr) {
        return Fail(
            StatusCode::kAlreadyExists,
            "{}: name \"{}\" clashes with family {} (sample and OpenMetrics family names must be unique)",
            {subject, n, *family});
      }
    }
  }
  std::unique_ptr<Entry>* last = &entries_.first;
  while (*last) last = &(*last)->next;
  *last = std::move(entry);
  // The library's own metrics (no output check) take the registry's series limit.
  if (detail::kSeriesControl && check == nullptr && opts_.max_series != 0 && limited) {
    static_cast<detail::MetricVec&>(collector).LimitSeries(opts_.max_series);
  }
  return {};
}

namespace {

// A collector that only describes: what Redescribe checks new families against.
class DescribedOnly final : public Collector {
 public:
  explicit DescribedOnly(std::vector<Descriptor> descriptors) : descriptors_(std::move(descriptors)) {}
  [[nodiscard]] std::vector<Descriptor> Describe() const override { return descriptors_; }
  Status Collect(std::vector<FamilySnapshot>& /*out*/) const override { return {}; }

 private:
  std::vector<Descriptor> descriptors_;
};

}  // namespace

// The new families are checked by Register itself, in a scratch registry of the same namespace and
// constant labels that holds the other collectors' families: one set of rules, and Add (in every
// WebAssembly module) untouched. Under mu_ from the check to the swap, so that no gather sees the new
// families with the old descriptors or the reverse (a family without its descriptor is left out of a
// scrape, and its series would go stale).
Status Registry::Redescribe(const Collector& collector, std::vector<Descriptor> next,
                            const std::function<Status()>& change) {
  std::lock_guard lock(mu_);
  std::vector<std::string_view> pairs;
  for (std::size_t i = 0; i < const_label_names_.size(); ++i) {
    pairs.push_back(const_label_names_[i]);
    pairs.push_back(const_label_values_[i]);
  }
  Registry scratch(opts_.namespace_, std::span<const std::string_view>(pairs));
  Entry* entry = nullptr;
  for (const Entry& e : entries_) {
    if (e.collector == &collector) {
      entry = const_cast<Entry*>(&e);
    } else {
      (void)scratch.Register(std::make_shared<DescribedOnly>(e.descriptors));  // passed here before
    }
  }
  if (entry == nullptr) return Fail(StatusCode::kNotFound, "Redescribe: the collector is not registered", {});
  if (Status s = scratch.Register(std::make_shared<DescribedOnly>(next)); !s.ok()) return s;
  if (Status s = change(); !s.ok()) return s;
  const Entry* checked = nullptr;
  for (const Entry& e : scratch.entries_) checked = &e;  // the last: `next`
  entry->occupied = checked->occupied;
  entry->descriptors = std::move(next);
  return {};
}

Status Registry::CheckDescriptor(const Descriptor& d, const std::string& full,
                                 const std::string& subject) const {
  if (Status s = CheckMetricName(full); !s.ok()) return s;
  for (const std::string& l : d.label_names) {
    if (IsConstLabel(l)) {
      return Fail(StatusCode::kInvalidArgument, "{}: label \"{}\" is also a constant label of the registry",
                  {subject, l});
    }
  }
  if (d.type == MetricType::kHistogram && IsConstLabel("le")) {
    return Fail(StatusCode::kInvalidArgument,
                "{}: the registry's constant label \"le\" is reserved on histograms", {subject});
  }
  return {};
}

// Two families of one name (the namespace is the registry's, so equal names are equal full names).
// `subject` names the new one; with the same type it names the registered one too.
Status Registry::FamilyConflict(const Descriptor& old, const Descriptor& d, const std::string& full,
                                const std::string& subject) {
  if (old.type != d.type) {
    const std::string_view old_type = MetricTypeName(old.type);
    return Fail(StatusCode::kAlreadyExists,
                "{} conflicts with the registered {} {}: different type ({} vs {})",
                {subject, old_type, full, old_type, MetricTypeName(d.type)});
  }
  if (old.help != d.help) {
    return Fail(StatusCode::kAlreadyExists,
                "{} conflicts with the registered {}: different help (\"{}\" vs \"{}\")",
                {subject, subject, old.help, d.help});
  }
  if (old.label_names != d.label_names) {
    return Fail(StatusCode::kAlreadyExists,
                "{} conflicts with the registered {}: different label names ({} vs {})",
                {subject, subject, JoinNames(old.label_names), JoinNames(d.label_names)});
  }
  return Fail(StatusCode::kAlreadyExists, "{} is already registered (another collector with the same name)",
              {subject});
}

// The counter is registered like any metric (namespace, constant labels, a name a user family may have
// taken first: then it counts unexposed), but without the registry's series limit: it has a series per
// metric with a limit. A metric keeps counting in the first registry's.
void Registry::CountOverflows(detail::MetricVec& metric) {
  if (metric.max_series() == 0 || metric.label_names().empty()) return;
  std::lock_guard lock(overflow_mu_);
  if (!overflow_samples_) {
    overflow_samples_ = std::make_unique<Counter>(CounterOpts{
        .name = "golivekit_registry_overflow_samples_total",
        .help =
            "Lookups of new label sets that went to a metric's overflow series (its series limit reached).",
        .labels = {"metric"}});
    (void)Add(*overflow_samples_, Keeper(0, nullptr), nullptr, false);
  }
  std::string full;
  detail::Substitute(full, "{}{}", {prefix_, metric.name()});
  metric.CountOverflowsIn(CellOf(overflow_samples_->WithLabels(full)));
}

bool Registry::Unregister(const std::shared_ptr<Collector>& collector) {
  return collector != nullptr && Unregister(*collector);
}

bool Registry::Unregister(const Collector& collector) {
  std::lock_guard lock(mu_);
  for (std::unique_ptr<Entry>* e = &entries_.first; *e; e = &(*e)->next) {
    if ((*e)->collector == &collector) {
      *e = std::move((*e)->next);  // deletes the entry, whose `next` is empty by then
      return true;
    }
  }
  return false;
}

std::shared_ptr<Registry> NewRegistry(RegistryOpts opts) {
  return std::make_shared<Registry>(std::move(opts));
}

}  // namespace golivekit::observability
