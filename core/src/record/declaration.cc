#include "record/declaration.h"

#include <algorithm>
#include <numeric>

#include "golivekit/observability/names.h"
#include "snapshot/sort.h"

namespace golivekit::observability::detail {
namespace {

Status CheckLabelNames(const std::string& who, MetricType type, const std::vector<std::string>& labels) {
  for (auto it = labels.begin(); it != labels.end(); ++it) {
    if (const Status s = CheckLabelName(*it); !s.ok()) return InvalidArgument(who + s.message());
    if (type == MetricType::kHistogram && *it == "le") {
      return InvalidArgument(who + "label name \"le\" is reserved for bucket bounds");
    }
    if (std::find(labels.begin(), it, *it) != it)
      return InvalidArgument(who + "duplicate label name \"" + *it + "\"");
  }
  return {};
}

}  // namespace

Status CheckFamilyDecl(std::string_view kind, MetricType type, const std::string& name,
                       const std::string& help, const std::vector<std::string>& labels) {
  if (const Status s = CheckMetricName(name); !s.ok())
    return InvalidArgument(std::string(kind) + ": " + s.message());
  const std::string who = std::string(kind) + " " + name + ": ";
  if (!IsValidUtf8(help)) return InvalidArgument(who + "help text is not valid UTF-8");
  return CheckLabelNames(who, type, labels);
}

LabelOrder SortLabels(const std::vector<std::string>& declared) {
  LabelOrder order;
  order.positions.resize(declared.size());
  std::iota(order.positions.begin(), order.positions.end(), std::size_t{0});
  SortBy(order.positions, [&](std::size_t a, std::size_t b) { return declared[a] < declared[b]; });
  order.names.reserve(declared.size());
  for (const std::size_t i : order.positions) order.names.push_back(declared[i]);
  return order;
}

}  // namespace golivekit::observability::detail
