#pragma once
/// \file
/// \brief HTTP content negotiation for `/metrics`: pure functions of header and query strings.
///
/// No HTTP library here: the exporter calls these with the raw header values, and so can a fuzzer or
/// another server integration. Every function accepts any input (malformed, truncated, binary) without
/// crashing, throwing on bad syntax, or reading out of bounds; what it cannot parse it ignores.
///
/// \code
/// obs::NegotiateFormat("application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3",
///                      /*enable_openmetrics=*/true);            // Format::kOpenMetrics
/// obs::NegotiateFormat("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
///                      "encoding=delimited,text/plain;q=0.5", obs::AcceptedFormats{});  // Format::kProtobuf
/// obs::AcceptsGzip("gzip, deflate, br");                        // true
/// obs::ParseNameFilter("name[]=up&name[]=x_total");             // {"up", "x_total"}
/// \endcode
///
/// The selection a `name[]` filter makes, FilterFamilies, is a snapshot transform: it lives in core
/// (snapshot.h, included here).
///
/// Thread-safety: pure functions of their arguments.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "golivekit/observability/encode.h"
#include "golivekit/observability/snapshot.h"

namespace golivekit::observability {

/// The formats an endpoint may answer with besides text 0.0.4, which it always may (fields in this
/// order, for designated initializers).
struct AcceptedFormats {
  bool openmetrics = true;  ///< OpenMetrics 1.0.0
  bool protobuf = true;     ///< length-delimited io.prometheus.client.MetricFamily (native histograms)
};

/// The exposition format for a request's `Accept` header (docs/exposition.md, "What Prometheus asks for"):
/// the supported type with the highest q-value, text 0.0.4 when nothing supported is acceptable.
///
/// - Protobuf matches `application/vnd.google.protobuf` only with `proto=io.prometheus.client.MetricFamily`
///   and `encoding=delimited` (values case-sensitive, maybe quoted), and only when `formats.protobuf`: the
///   media type Prometheus sends when it scrapes native histograms. client_golang's `encoding=text` and
///   `encoding=compact-text` are not produced; wildcards never select protobuf (a binary body is never
///   a surprise). It counts as fully specific, as a type with a version does.
/// - OpenMetrics 1.0.0 matches `application/openmetrics-text` with `version=1.0.0` or without a version
///   (any `escaping` parameter is fine: every name this library exposes is a legacy name, valid under
///   every escaping scheme), and only when `enable_openmetrics`. `version=0.0.1` does *not* match: we
///   cannot answer with that version's Content-Type, and every Prometheus that asks for 0.0.1 also asks
///   for 1.0.0 with a higher q. Wildcards (`*/*`, `application/*`) never select OpenMetrics.
/// - Text 0.0.4 matches `text/plain` with `version=0.0.4` or without a version, `text/*` and `*/*`.
///   `text/plain;version=1.0.0` (Prometheus 3's UTF-8 text) and protobuf are not produced: skipped.
/// - A format's q is that of the most specific range that matches it (`text/plain;version=0.0.4` over
///   `text/plain` over `text/*` over `*/*`); `q=0` means "not acceptable". On equal q the more specific
///   range wins, then the one written first.
/// - Media types and parameter names are case-insensitive; parameter values may be quoted; elements
///   that do not parse (no `/`, a bad q-value) are skipped.
Format NegotiateFormat(std::string_view accept, AcceptedFormats formats) noexcept;

/// Text 0.0.4 or OpenMetrics only: `NegotiateFormat(accept, {.openmetrics = enable_openmetrics,
/// .protobuf = false})`.
Format NegotiateFormat(std::string_view accept, bool enable_openmetrics) noexcept;

/// True if an `Accept-Encoding` value accepts gzip: `gzip` or `x-gzip` with a q-value above 0, or
/// else `*` with a q-value above 0. `gzip;q=0` refuses gzip even when `*` is present. An empty or
/// absent header accepts nothing but identity.
bool AcceptsGzip(std::string_view accept_encoding) noexcept;

/// The client_golang family filter: the values of every `name[]` parameter of a URL query string (the
/// part after `?`, without it), percent-decoded (`+` is a space; `name%5B%5D` is `name[]`), in order.
/// `std::nullopt` when the query has no `name[]` parameter at all (expose everything); an empty vector
/// never occurs (`?name[]=` gives `{""}`, which matches no family).
std::optional<std::vector<std::string>> ParseNameFilter(std::string_view query);

}  // namespace golivekit::observability
