// The two text encoders. Both write straight into one output string; label sets are rendered once per
// series and bucket bounds once per family, so the cost per sample is a few appends.
#include "golivekit/observability/encode.h"

#include <cmath>
#include <cstdint>

namespace golivekit::observability {
namespace {

constexpr std::string_view kTotal = "_total";

void AppendUint(std::string& out, std::uint64_t v) {
  char buf[20];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

// Escapes `\`, newline and (if `quote`) `"`; everything else, UTF-8 included, is written as is.
void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const char* rep = c == '\\' ? "\\\\" : c == '\n' ? "\\n" : (quote && c == '"') ? "\\\"" : nullptr;
    if (rep == nullptr) continue;
    out.append(s.data() + start, i - start);
    out.append(rep, 2);
    start = i + 1;
  }
  out.append(s.data() + start, s.size() - start);
}

// `{a="x",b="y"` without the closing brace (empty if no labels), so `le` can follow.
void OpenLabels(std::string& out, const FamilySnapshot& f, const SeriesSnapshot& s) {
  for (std::size_t i = 0; i < f.label_names.size(); ++i) {
    out += i == 0 ? '{' : ',';
    out += f.label_names[i];
    out += "=\"";
    AppendEscaped(out, s.label_values[i], true);
    out += '"';
  }
}

void CloseLabels(std::string& out, const std::string& open) {
  if (!open.empty()) {
    out += open;
    out += '}';
  }
}

void AppendValue(std::string& out, double v, Format format) { AppendFloat(out, v, format); }

void EncodeFamily(const FamilySnapshot& f, Format format, std::string& out) {
  const bool om = format == Format::kOpenMetrics;
  std::string_view family = f.name;
  std::string_view type = MetricTypeName(f.type);
  std::string_view sample_suffix;
  if (f.type == MetricType::kCounter && om) {
    // OpenMetrics names the counter family without `_total`; a counter without that suffix cannot be
    // a valid OpenMetrics counter and is exposed as unknown (as client_golang does).
    if (family.size() > kTotal.size() && family.substr(family.size() - kTotal.size()) == kTotal) {
      family.remove_suffix(kTotal.size());
      sample_suffix = kTotal;
    } else {
      type = "unknown";
    }
  }
  if (f.type == MetricType::kUnknown && !om) type = "untyped";

  if (!f.help.empty()) {
    out += "# HELP ";
    out += family;
    out += ' ';
    AppendEscaped(out, f.help, om);
    out += '\n';
  }
  out += "# TYPE ";
  out += family;
  out += ' ';
  out += type;
  out += '\n';

  std::string labels;
  if (f.type != MetricType::kHistogram) {
    for (const SeriesSnapshot& s : f.series) {
      labels.clear();
      OpenLabels(labels, f, s);
      out += family;
      out += sample_suffix;
      CloseLabels(out, labels);
      out += ' ';
      AppendValue(out, s.value, format);
      out += '\n';
    }
    return;
  }

  std::vector<std::string> le(f.bucket_bounds.size());
  for (std::size_t i = 0; i < le.size(); ++i) AppendFloat(le[i], f.bucket_bounds[i], format);
  // OpenMetrics allows negative bounds only in histograms without _sum (and then without _count).
  const bool with_sum = !om || f.bucket_bounds.empty() || f.bucket_bounds.front() >= 0;
  for (const SeriesSnapshot& s : f.series) {
    labels.clear();
    OpenLabels(labels, f, s);
    const auto bucket = [&](std::string_view bound, std::uint64_t n) {
      out += family;
      out += "_bucket";
      if (labels.empty()) {
        out += '{';
      } else {
        out += labels;
        out += ',';
      }
      out += "le=\"";
      out += bound;
      out += "\"} ";
      if (om) {
        AppendUint(out, n);
      } else {
        AppendFloat(out, static_cast<double>(n));  // client_golang writes 0.0.4 counts as floats
      }
      out += '\n';
    };
    for (std::size_t i = 0; i < le.size(); ++i) bucket(le[i], s.bucket_counts[i]);
    bucket("+Inf", s.count);
    if (!with_sum) continue;
    out += family;
    out += "_sum";
    CloseLabels(out, labels);
    out += ' ';
    AppendValue(out, s.sum, format);
    out += '\n';
    out += family;
    out += "_count";
    CloseLabels(out, labels);
    out += ' ';
    if (om) {
      AppendUint(out, s.count);
    } else {
      AppendFloat(out, static_cast<double>(s.count));
    }
    out += '\n';
  }
}

}  // namespace

std::string_view MetricTypeName(MetricType type) noexcept {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
    case MetricType::kUnknown: return "unknown";
  }
  return "unknown";
}

std::string_view ContentType(Format format) noexcept {
  return format == Format::kOpenMetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                        : "text/plain; version=0.0.4; charset=utf-8";
}

void Encode(const Snapshot& snapshot, Format format, std::string& out) {
  for (const FamilySnapshot& f : snapshot.families) EncodeFamily(f, format, out);
  if (format == Format::kOpenMetrics) out += "# EOF\n";
}

std::string Encode(const Snapshot& snapshot, Format format) {
  std::string out;
  // A sample line is rarely longer than 96 bytes: one reservation avoids most regrowth.
  std::size_t lines = 0;
  for (const FamilySnapshot& f : snapshot.families) {
    lines += 2 + f.series.size() * (f.type == MetricType::kHistogram ? f.bucket_bounds.size() + 3 : 1);
  }
  out.reserve(lines * 96);
  Encode(snapshot, format, out);
  return out;
}

}  // namespace golivekit::observability
