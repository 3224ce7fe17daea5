// FilterFamilies (snapshot.h): the client_golang `name[]` selection, applied to a snapshot.
#include <algorithm>
#include <string_view>
#include <vector>

#include "golivekit/observability/snapshot.h"

namespace golivekit::observability {
namespace {

// The wanted names, sorted once so that each family is one or two binary searches.
class NameSet {
 public:
  explicit NameSet(std::span<const std::string> names) : names_(names.begin(), names.end()) {
    std::sort(names_.begin(), names_.end());
  }

  [[nodiscard]] bool Matches(const FamilySnapshot& f) const {
    if (Has(f.name)) return true;
    if (f.type != MetricType::kCounter) return false;
    const std::string_view family = OpenMetricsFamilyName(f.name);
    return !family.empty() && Has(family);
  }

 private:
  [[nodiscard]] bool Has(std::string_view n) const {
    return std::binary_search(names_.begin(), names_.end(), n);
  }

  std::vector<std::string_view> names_;
};

}  // namespace

void FilterFamilies(Snapshot& snapshot, std::span<const std::string> names) {
  const NameSet wanted(names);
  std::erase_if(snapshot.families, [&](const FamilySnapshot& f) { return !wanted.Matches(f); });
}

Snapshot FilterFamilies(const Snapshot& snapshot, std::span<const std::string> names) {
  const NameSet wanted(names);
  Snapshot out;
  for (const FamilySnapshot& f : snapshot.families) {
    if (wanted.Matches(f)) out.families.push_back(f);
  }
  return out;
}

}  // namespace golivekit::observability
