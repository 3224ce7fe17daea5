#pragma once
/// \file
/// \brief Validation of names and label values (docs/exposition.md, "Names"), shared by every entry point.
#include <string_view>

#include "golivekit/observability/status.h"

namespace golivekit::observability {

/// OK if `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`. Colons are accepted (they are valid) although
/// Prometheus reserves them for recording rules.
Status CheckMetricName(std::string_view name);

/// OK if `name` matches `[a-zA-Z_][a-zA-Z0-9_]*` and does not begin with `_`: names beginning with `__`
/// are reserved by Prometheus and, in OpenMetrics, every name beginning with `_` is reserved.
Status CheckLabelName(std::string_view name);

/// True if `text` is well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text) noexcept;

}  // namespace golivekit::observability
