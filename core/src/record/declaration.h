#pragma once
// What every declaration of a metric family goes through — a metric of a registry, a callback metric, a
// client metric the server accepts — so that one name is accepted or refused alike, with the same words,
// wherever it is declared. Internal.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "golivekit/observability/collector.h"
#include "golivekit/observability/detail/metric_vec.h"
#include "golivekit/observability/status.h"

namespace golivekit::observability::detail {

/// OK, or InvalidArgument naming the declaration ("<kind> <name>: …"): the metric name, the help text
/// (UTF-8), each label name, a label name twice, and `le` on a histogram (it is the bucket bound's label).
/// `kind` says what is declared: "counter", "callback gauge", ….
Status CheckFamilyDecl(std::string_view kind, MetricType type, const std::string& name,
                       const std::string& help, const std::vector<std::string>& labels);

/// The label names in the order they are exposed (ascending), and where each was declared.
struct LabelOrder {
  std::vector<std::string> names;  // ascending
  IndexArray positions;            // names[i] is the positions[i]-th declared label name
};
LabelOrder SortLabels(const std::vector<std::string>& declared);

}  // namespace golivekit::observability::detail
