#pragma once
/// \file
/// \brief The exposition encoders. One encoder per format, reading snapshots only.
///
/// The text encoders produce exactly what docs/exposition.md describes: client_golang's byte layout for text
/// 0.0.4 (HELP, TYPE, samples; `le` last; Go's shortest float spelling) and OpenMetrics 1.0 (counter
/// families named without `_total`, canonical `le` numbers, floats with `.0`, integer counts, final
/// `# EOF`). The protobuf encoder writes what client_golang's protobuf exposition holds: one length-delimited
/// `io.prometheus.client.MetricFamily` per family (client_model's metrics.proto), native histogram fields
/// included (docs/exposition.md, "Protobuf").
///
/// A family with no series is left out (as client_golang does); one with an empty help string gets no
/// HELP line (OpenMetrics treats an empty HELP as absent; protobuf leaves the help field out).
/// No encoder writes timestamps or `_created` samples.
///
/// Thread-safety: pure functions of their arguments.
#include <string>
#include <string_view>

#include "golivekit/observability/snapshot.h"

namespace golivekit::observability {

/// An exposition format.
enum class Format {
  kText,         ///< Prometheus text 0.0.4
  kOpenMetrics,  ///< OpenMetrics 1.0.0 text
  kProtobuf,     ///< length-delimited io.prometheus.client.MetricFamily messages (binary)
};

/// The HTTP Content-Type of a format, e.g. "text/plain; version=0.0.4; charset=utf-8"; for protobuf
/// "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited".
std::string_view ContentType(Format format) noexcept;

namespace detail {
/// The encoders behind `Encode`: text 0.0.4 or OpenMetrics (`format` is one of those two), and protobuf.
void EncodeText(const Snapshot& snapshot, Format format, std::string& out);
void EncodeProtobuf(const Snapshot& snapshot, std::string& out);
}  // namespace detail

/// Appends the exposition of `snapshot` to `out`.
inline void Encode(const Snapshot& snapshot, Format format, std::string& out) {
  // Inline, so that a caller whose format is known links only the encoder it uses: the WebAssembly module
  // exposes text only and carries no protobuf encoder.
  if (format == Format::kProtobuf) {
    detail::EncodeProtobuf(snapshot, out);
  } else {
    detail::EncodeText(snapshot, format, out);
  }
}

/// Returns the exposition of `snapshot`.
std::string Encode(const Snapshot& snapshot, Format format = Format::kText);

/// Go's `strconv.FormatFloat(v, 'g', -1, 64)` as client_golang writes sample values: shortest
/// round-trip digits (a `format` other than `kOpenMetrics` spells floats as text 0.0.4 does), exponent form
/// when the decimal exponent is < -4 or >= 6 (with a sign and at least two exponent digits, `1e+06`); `NaN`,
/// `+Inf`, `-Inf`. With `Format::kOpenMetrics`, ".0" is appended when the result has neither '.' nor 'e'
/// (`42` → `42.0`), which is also the canonical form of `le` values.
std::string FormatFloat(double value, Format format = Format::kText);

/// Appends `FormatFloat(value, format)` to `out` without a temporary string.
void AppendFloat(std::string& out, double value, Format format = Format::kText);

/// The longest `FormatFloat` result: 17 digits, sign, point, exponent, ".0".
inline constexpr std::size_t kMaxFloatChars = 32;

/// Writes `FormatFloat(value, format)` at `out` (room for kMaxFloatChars) and returns the end.
char* FormatFloatTo(char* out, double value, Format format = Format::kText);

}  // namespace golivekit::observability
