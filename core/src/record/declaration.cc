#include "record/declaration.h"

#include <algorithm>

#include "golivekit/observability/names.h"
#include "message.h"
#include "snapshot/sort.h"

namespace golivekit::observability::detail {
// One refusal call for every check: each finds the pattern and the two strings after the kind. A metric
// name's refusal is "<kind>: <why>", the others "<kind> <name>: …". The strings are taken as the
// std::string they are (no views made of them), and "le" is compared by its two bytes (a view of a
// literal would be a strlen call).
Status CheckFamilyDecl(std::string_view kind, MetricType type, const std::string& name,
                       const std::string& help, const std::vector<std::string>& labels) {
  Status s = CheckMetricName(name);
  const char* pattern = "{}: {}";
  const std::string* first = &s.message();
  const std::string* second = first;
  if (s.ok()) {
    first = &name;
    pattern = IsValidUtf8(help) ? nullptr : "{} {}: help text is not valid UTF-8";
    for (std::size_t i = 0; i < labels.size() && pattern == nullptr; ++i) {
      const std::string& label = labels[i];
      s = CheckLabelName(label);
      second = &s.message();
      if (!s.ok()) {
        pattern = "{} {}: {}";
      } else if (type == MetricType::kHistogram && label.size() == 2 && label[0] == 'l' && label[1] == 'e') {
        pattern = "{} {}: label name \"le\" is reserved for bucket bounds";
      } else {
        second = &label;
        for (std::size_t j = 0; j < i && pattern == nullptr; ++j) {
          if (labels[j] == label) pattern = "{} {}: duplicate label name \"{}\"";
        }
      }
    }
    if (pattern == nullptr) return {};
  }
  return Fail(StatusCode::kInvalidArgument, pattern, {kind, *first, *second});
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
