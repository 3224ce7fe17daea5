// Accept / Accept-Encoding negotiation and the name[] filter (negotiation.h). Hand-written parsers over
// string_view: no allocation except in ParseNameFilter's result, no exceptions, every index checked.
#include "golivekit/observability/negotiation.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http_parse.h"

namespace golivekit::observability {
namespace {

using detail::EqualsIgnoreCase;
using detail::TrimSpaces;

// Calls f(piece) for every piece of `s` between separators `sep` that are outside quoted strings
// (a backslash inside quotes escapes the next character). Always calls f at least once.
template <class F>
void Split(std::string_view s, char sep, F&& f) {
  std::size_t start = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '\\') {
        ++i;  // skip the escaped character (the loop bound check handles a trailing backslash)
      } else if (c == '"') {
        quoted = false;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
    } else if (c == sep) {
      f(s.substr(start, i - start));
      start = i + 1;
    }
  }
  f(s.substr(std::min(start, s.size())));
}

// A parameter value with its quotes and escapes removed, copied into `buf`; nullopt if longer than the
// buffer (no value we compare with or parse is that long) or if the quoting is broken.
using ValueBuf = std::array<char, 64>;
std::optional<std::string_view> Unquote(std::string_view raw, ValueBuf& buf) noexcept {
  raw = TrimSpaces(raw);
  if (raw.empty() || raw.front() != '"') {
    return raw.size() <= buf.size() ? std::optional<std::string_view>(raw) : std::nullopt;
  }
  std::size_t n = 0;
  for (std::size_t i = 1; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '"') {
      if (i + 1 != raw.size()) return std::nullopt;  // text after the closing quote
      return std::string_view(buf.data(), n);
    }
    if (c == '\\') {
      if (++i == raw.size()) return std::nullopt;
      c = raw[i];
    }
    if (n == buf.size()) return std::nullopt;
    buf[n++] = c;
  }
  return std::nullopt;  // no closing quote
}

// An HTTP q-value ("0", "0.5", "1.000"; leniently any digits after the point, quoted or not) in
// thousandths, or nullopt if it is not a number in [0, 1].
std::optional<int> ParseQ(std::string_view raw) noexcept {
  ValueBuf buf;
  const auto v = Unquote(raw, buf);
  if (!v || v->empty()) return std::nullopt;
  const std::string_view s = *v;
  if (s[0] != '0' && s[0] != '1') return std::nullopt;
  int q = (s[0] - '0') * 1000;
  if (s.size() == 1) return q;
  if (s[1] != '.') return std::nullopt;
  int scale = 100;
  for (std::size_t i = 2; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
    q += (s[i] - '0') * scale;
    scale /= 10;  // digits past the third count for validity only
  }
  if (q > 1000) return std::nullopt;
  return q;
}

// One element of an Accept or Accept-Encoding list: the value before the first ';' and the
// parameters this file cares about.
struct Element {
  std::string_view value;  // "text/plain", "gzip"
  int q = 1000;            // thousandths
  bool has_version = false;
  std::optional<std::string_view> version;  // unquoted (points into `buf`); nullopt if unparsable
  ValueBuf buf{};
  std::string_view proto;     // raw (maybe quoted) values of the protobuf media type's parameters
  std::string_view encoding;  // (empty when absent)
  bool valid = true;
};

// True if a raw parameter value is `expected`, quoted or not (parameter values are case-sensitive).
bool ParamIs(std::string_view raw, std::string_view expected) noexcept {
  ValueBuf buf;
  const auto v = Unquote(raw, buf);
  return v && *v == expected;
}

// Parses `text` as `value *( ";" name "=" value )`.
void ParseElement(std::string_view text, Element& e) noexcept {
  bool first = true;
  Split(text, ';', [&](std::string_view piece) {
    if (first) {
      first = false;
      e.value = TrimSpaces(piece);
      return;
    }
    piece = TrimSpaces(piece);
    if (piece.empty()) return;
    const std::size_t eq = piece.find('=');
    if (eq == std::string_view::npos) return;  // a bare token parameter: ignored
    const std::string_view name = TrimSpaces(piece.substr(0, eq));
    const std::string_view raw = piece.substr(eq + 1);
    if (EqualsIgnoreCase(name, "q")) {
      if (const auto q = ParseQ(raw)) {
        e.q = *q;
      } else {
        e.valid = false;
      }
    } else if (EqualsIgnoreCase(name, "version")) {
      e.has_version = true;
      e.version = Unquote(raw, e.buf);
    } else if (EqualsIgnoreCase(name, "proto")) {
      e.proto = raw;
    } else if (EqualsIgnoreCase(name, "encoding")) {
      e.encoding = raw;
    }
  });
}

constexpr std::string_view kProtobufMessage = "io.prometheus.client.MetricFamily";

// How specifically a media range matched a format; higher wins.
enum Specificity : int {
  kNone = -1,
  kAnyType = 0,      // */*
  kAnySubtype = 1,   // text/*
  kExact = 2,        // text/plain
  kExactVersion = 3  // text/plain;version=0.0.4
};

struct Candidate {
  int specificity = kNone;
  int q = 0;
  std::size_t index = 0;  // position of the element in the header

  void Offer(int spec, int q_value, std::size_t idx) noexcept {
    if (spec > specificity || (spec == specificity && q_value > q)) {
      specificity = spec;
      q = q_value;
      index = idx;
    }
  }
  // True if this candidate is acceptable and preferable to `other`.
  [[nodiscard]] bool Beats(const Candidate& other) const noexcept {
    if (specificity == kNone || q == 0) return false;
    if (other.specificity == kNone || other.q == 0) return true;
    if (q != other.q) return q > other.q;
    if (specificity != other.specificity) return specificity > other.specificity;
    return index < other.index;
  }
};

// Percent-decodes `s` (and '+' to space) into `out`; an invalid escape is kept literally.
void DecodeQueryComponent(std::string_view s, std::string& out) {
  out.clear();
  out.reserve(s.size());
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '+') {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace

Format NegotiateFormat(std::string_view accept, AcceptedFormats formats) noexcept {
  Candidate om;
  Candidate text;
  Candidate protobuf;
  std::size_t index = 0;
  Split(accept, ',', [&](std::string_view raw) {
    const std::size_t idx = index++;
    Element e;
    ParseElement(raw, e);
    if (!e.valid) return;
    const std::size_t slash = e.value.find('/');
    if (slash == std::string_view::npos) return;
    const std::string_view type = TrimSpaces(e.value.substr(0, slash));
    const std::string_view subtype = TrimSpaces(e.value.substr(slash + 1));
    if (type.empty() || subtype.empty()) return;
    const int exact = e.has_version ? kExactVersion : kExact;
    if (EqualsIgnoreCase(type, "application") && EqualsIgnoreCase(subtype, "openmetrics-text")) {
      if (formats.openmetrics && (!e.has_version || (e.version && *e.version == "1.0.0"))) {
        om.Offer(exact, e.q, idx);
      }
    } else if (EqualsIgnoreCase(type, "application") && EqualsIgnoreCase(subtype, "vnd.google.protobuf")) {
      // Only the delimited MetricFamily stream is ours; client_golang's text and compact-text protobuf
      // encodings are not produced.
      if (formats.protobuf && ParamIs(e.proto, kProtobufMessage) && ParamIs(e.encoding, "delimited")) {
        protobuf.Offer(kExactVersion, e.q, idx);
      }
    } else if (EqualsIgnoreCase(type, "text")) {
      if (EqualsIgnoreCase(subtype, "plain")) {
        if (!e.has_version || (e.version && *e.version == "0.0.4")) text.Offer(exact, e.q, idx);
      } else if (subtype == "*") {
        text.Offer(kAnySubtype, e.q, idx);
      }
    } else if (type == "*" && subtype == "*") {
      text.Offer(kAnyType, e.q, idx);
    }
  });
  Format best = Format::kText;
  const Candidate* best_candidate = &text;
  if (om.Beats(*best_candidate)) {
    best = Format::kOpenMetrics;
    best_candidate = &om;
  }
  if (protobuf.Beats(*best_candidate)) best = Format::kProtobuf;
  return best;
}

Format NegotiateFormat(std::string_view accept, bool enable_openmetrics) noexcept {
  return NegotiateFormat(accept, AcceptedFormats{.openmetrics = enable_openmetrics, .protobuf = false});
}

bool AcceptsGzip(std::string_view accept_encoding) noexcept {
  int gzip_q = -1;
  int star_q = -1;
  Split(accept_encoding, ',', [&](std::string_view raw) {
    Element e;
    ParseElement(raw, e);
    if (!e.valid) return;
    if (EqualsIgnoreCase(e.value, "gzip") || EqualsIgnoreCase(e.value, "x-gzip")) {
      gzip_q = std::max(gzip_q, e.q);
    } else if (e.value == "*") {
      star_q = std::max(star_q, e.q);
    }
  });
  return gzip_q >= 0 ? gzip_q > 0 : star_q > 0;
}

std::optional<std::vector<std::string>> ParseNameFilter(std::string_view query) {
  std::optional<std::vector<std::string>> names;
  std::string key;
  std::string value;
  std::size_t start = 0;
  while (start <= query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view pair = query.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    DecodeQueryComponent(pair.substr(0, eq), key);
    if (key != "name[]") continue;
    if (eq == std::string_view::npos) {
      value.clear();
    } else {
      DecodeQueryComponent(pair.substr(eq + 1), value);
    }
    if (!names) names.emplace();
    names->push_back(value);
  }
  return names;
}

}  // namespace golivekit::observability
