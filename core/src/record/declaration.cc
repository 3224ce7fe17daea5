#include "record/declaration.h"

#include <algorithm>

#include "golivekit/observability/names.h"
#include "message.h"
#include "snapshot/sort.h"

namespace golivekit::observability::detail {
namespace {

Status CheckLabelNames(std::string_view kind, const std::string& name, MetricType type,
                       const std::vector<std::string>& labels) {
  for (auto it = labels.begin(); it != labels.end(); ++it) {
    if (const Status s = CheckLabelName(*it); !s.ok()) {
      return Fail(StatusCode::kInvalidArgument, "{} {}: {}", {kind, name, s.message()});
    }
    if (type == MetricType::kHistogram && *it == "le") {
      return Fail(StatusCode::kInvalidArgument, "{} {}: label name \"le\" is reserved for bucket bounds",
                  {kind, name});
    }
    if (std::find(labels.begin(), it, *it) != it) {
      return Fail(StatusCode::kInvalidArgument, "{} {}: duplicate label name \"{}\"", {kind, name, *it});
    }
  }
  return {};
}

}  // namespace

Status CheckFamilyDecl(std::string_view kind, MetricType type, const std::string& name,
                       const std::string& help, const std::vector<std::string>& labels) {
  if (const Status s = CheckMetricName(name); !s.ok()) {
    return Fail(StatusCode::kInvalidArgument, "{}: {}", {kind, s.message()});
  }
  if (!IsValidUtf8(help)) {
    return Fail(StatusCode::kInvalidArgument, "{} {}: help text is not valid UTF-8", {kind, name});
  }
  return CheckLabelNames(kind, name, type, labels);
}

LabelOrder SortLabels(const std::vector<std::string>& declared) {
  LabelOrder order;
  order.positions = SortedOrder(declared.size(),
                                [&](std::uint32_t a, std::uint32_t b) { return declared[a] < declared[b]; });
  order.names.reserve(declared.size());
  for (const std::uint32_t i : order.positions) order.names.push_back(declared[i]);
  return order;
}

}  // namespace golivekit::observability::detail
