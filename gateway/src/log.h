#pragma once
// One line per event on stderr, in logfmt as Prometheus' own servers write it:
//   ts=2026-12-07T06:30:00.123Z level=info msg="reloaded" config=/etc/golivekit/gateway.jsonc kept=4
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace golivekit::gateway {

using LogField = std::pair<std::string_view, std::string>;

/// Writes one line (a single write, so lines of concurrent callers never interleave).
void Log(std::string_view level, std::string_view message, std::initializer_list<LogField> fields = {});

}  // namespace golivekit::gateway
