// The two text encoders (and the dispatch to the protobuf one, protobuf.cc). Both write straight into one
// output string; label sets are rendered once per series and bucket bounds once per family, so the cost per
// sample is a few appends.
#include "golivekit/observability/encode.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "exposition/buffer_writer.h"
#include "exposition/put_uint.h"

namespace golivekit::observability {
namespace {

using namespace std::string_view_literals;
using Writer = detail::BufferWriter;
using detail::PutLiteral;

inline char* Put(char* p, std::string_view v) {
  if (!v.empty()) std::memcpy(p, v.data(), v.size());  // an empty view may have a null data()
  return p + v.size();
}

// Escapes `\`, newline and (if `quote`) `"`; everything else, UTF-8 included, is written as is.
// Needs room for 2 * s.size() bytes.
char* PutEscaped(char* p, std::string_view s, bool quote) {
  for (const char c : s) {
    // One compare passes every byte above '\\' and most below it, the usual case.
    if (c > '\\' || (c != '\\' && c != '\n' && c != '"') || (c == '"' && !quote)) {
      *p++ = c;
      continue;
    }
    *p++ = '\\';
    *p++ = c == '\n' ? 'n' : c;
  }
  return p;
}

std::size_t LabelsBound(const FamilySnapshot& f, const SeriesSnapshot& s) {
  std::size_t n = 2;
  for (std::size_t i = 0; i < f.label_names.size(); ++i)
    n += f.label_names[i].size() + 2 * s.label_values[i].size() + 4;
  return n;
}

// `{a="x",b="y"` (no closing brace, nothing at all without labels), so `le` can follow.
char* PutLabels(char* p, const FamilySnapshot& f, const SeriesSnapshot& s) {
  for (std::size_t i = 0; i < f.label_names.size(); ++i) {
    *p++ = i == 0 ? '{' : ',';
    p = Put(p, f.label_names[i]);
    *p++ = '=';
    *p++ = '"';
    p = PutEscaped(p, s.label_values[i], true);
    *p++ = '"';
  }
  return p;
}

inline char* PutValue(char* p, double v, Format format) { return FormatFloatTo(p, v, format); }

constexpr std::size_t kValueRoom = kMaxFloatChars + 8;  // a float, a space, a newline

// The family name, TYPE word and sample-name suffix a family is exposed with in `format`.
struct ExposedNames {
  std::string_view family;
  std::string_view type;
  std::string_view sample_suffix;
};

ExposedNames NamesFor(const FamilySnapshot& f, bool om) {
  ExposedNames n{.family = f.name, .type = MetricTypeName(f.type), .sample_suffix = {}};
  if (f.type == MetricType::kCounter && om) {
    // OpenMetrics names the counter family without `_total` (which its samples put back); a counter
    // without that suffix cannot be a valid OpenMetrics counter and is exposed as unknown (as
    // client_golang does).
    if (const std::string_view om_family = OpenMetricsFamilyName(n.family); !om_family.empty()) {
      n.sample_suffix = "_total"sv;
      n.family = om_family;
    } else {
      n.type = "unknown"sv;
    }
  }
  if (f.type == MetricType::kUnknown && !om) n.type = "untyped"sv;
  return n;
}

void PutHelpAndType(Writer& w, const ExposedNames& n, std::string_view help, bool om) {
  char* p = w.Reserve(2 * n.family.size() + 2 * help.size() + 64);
  if (!help.empty()) {
    p = PutLiteral(p, "# HELP ");
    p = Put(p, n.family);
    *p++ = ' ';
    p = PutEscaped(p, help, om);
    *p++ = '\n';
  }
  p = PutLiteral(p, "# TYPE ");
  p = Put(p, n.family);
  *p++ = ' ';
  p = Put(p, n.type);
  *p++ = '\n';
  w.Commit(p);
}

// A count: client_golang writes 0.0.4 counts as floats (1e+06 and up in exponent form); OpenMetrics as
// integers.
inline char* PutCount(char* p, std::uint64_t n, Format format) {
  return format == Format::kOpenMetrics ? detail::PutUint(p, n) : PutValue(p, static_cast<double>(n), format);
}

// What one sample line holds besides the family name and the series' labels: every line of every type is
// written by PutSample.
struct Sample {
  std::string_view suffix;  // after the family name: `_total`, `_bucket`, `_sum`, `_count` or nothing
  std::string_view le;      // a bucket's bound (never empty), else empty
  bool is_count;            // `count` is the value, else `value`
  double value;
  std::uint64_t count;
};

// `name_suffix{labels,le="x"} value`; `room` bounds its length.
void PutSample(Writer& w, const FamilySnapshot& f, const SeriesSnapshot& s, std::string_view family,
               std::size_t room, const Sample& sample, Format format) {
  char* p = w.Reserve(room);
  p = Put(p, family);
  p = Put(p, sample.suffix);
  const bool le = !sample.le.empty();
  if (!f.label_names.empty()) {
    p = PutLabels(p, f, s);
    *p++ = le ? ',' : '}';
  } else if (le) {
    *p++ = '{';
  }
  if (le) {
    p = PutLiteral(p, "le=\"");
    p = Put(p, sample.le);
    p = PutLiteral(p, "\"}");
  }
  *p++ = ' ';
  p = sample.is_count ? PutCount(p, sample.count, format) : PutValue(p, sample.value, format);
  *p++ = '\n';
  w.Commit(p);
}

// OpenMetrics' start of a counter or histogram series: `_created`, in seconds since the Unix epoch, when
// the snapshot has it (RegistryOpts::created_timestamps). `room` holds the line: "_created" is no longer
// than the suffixes it comes after ("_total" + a value, "_bucket" + a bound).
void PutCreated(Writer& w, const FamilySnapshot& f, const SeriesSnapshot& s, std::string_view family,
                std::size_t room, Format format) {
  if (format != Format::kOpenMetrics || s.created_ms == 0) return;
  PutSample(w, f, s, family, room + 8,
            {.suffix = "_created"sv,
             .le = {},
             .is_count = false,
             .value = static_cast<double>(s.created_ms) / 1000,
             .count = 0},
            format);
}

// Counters, gauges and unknown: one line per series (and a counter's `_created`).
void PutValueSamples(Writer& w, const FamilySnapshot& f, const ExposedNames& n, Format format) {
  for (const SeriesSnapshot& s : f.series) {
    const std::size_t room = n.family.size() + n.sample_suffix.size() + LabelsBound(f, s) + kValueRoom;
    PutSample(w, f, s, n.family, room,
              {.suffix = n.sample_suffix, .le = {}, .is_count = false, .value = s.value, .count = 0}, format);
    // Only a counter exposed as one (with its `_total`) has a start; as `unknown` it has none.
    if (!n.sample_suffix.empty()) PutCreated(w, f, s, n.family, room, format);
  }
}

// Per series: a line per bucket, +Inf, then _sum and _count.
void PutHistogramSamples(Writer& w, const FamilySnapshot& f, std::string_view family, Format format) {
  const bool om = format == Format::kOpenMetrics;
  // Each bound formatted once per family, into a slot of its own: its length, then its text (a plain
  // array: no strings to construct, grow and free). The last slot is the +Inf bucket's, which
  // FormatFloatTo spells "+Inf" in both formats.
  constexpr std::size_t kSlot = kMaxFloatChars + 1;
  const std::size_t bounds = f.bucket_bounds.size();
  const std::unique_ptr<char[]> le(new char[(bounds + 1) * kSlot]);
  for (std::size_t i = 0; i <= bounds; ++i) {
    char* const text = &le[i * kSlot + 1];
    const double bound = i < bounds ? f.bucket_bounds[i] : HUGE_VAL;
    text[-1] = static_cast<char>(FormatFloatTo(text, bound, format) - text);
  }
  // OpenMetrics allows negative bounds only in histograms without _sum (and then without _count).
  const bool with_sum = !om || f.bucket_bounds.empty() || f.bucket_bounds.front() >= 0;
  for (const SeriesSnapshot& s : f.series) {
    // A bound is at most kMaxFloatChars long; `le="` and `"}` are 6 more.
    const std::size_t room = family.size() + 8 + LabelsBound(f, s) + kValueRoom + kMaxFloatChars + 8;
    for (std::size_t i = 0; i <= bounds; ++i) {
      const char* const slot = &le[i * kSlot];
      const std::uint64_t count = i < bounds ? s.bucket_counts[i] : s.count;
      PutSample(w, f, s, family, room,
                {.suffix = "_bucket"sv,
                 .le = {slot + 1, static_cast<std::size_t>(slot[0])},
                 .is_count = true,
                 .value = 0,
                 .count = count},
                format);
    }
    if (with_sum) {
      PutSample(w, f, s, family, room,
                {.suffix = "_sum"sv, .le = {}, .is_count = false, .value = s.sum, .count = 0}, format);
      PutSample(w, f, s, family, room,
                {.suffix = "_count"sv, .le = {}, .is_count = true, .value = 0, .count = s.count}, format);
    }
    PutCreated(w, f, s, family, room, format);
  }
}

void EncodeFamily(const FamilySnapshot& f, Format format, std::string& out) {
  const bool om = format == Format::kOpenMetrics;
  const ExposedNames names = NamesFor(f, om);
  Writer w(out);
  PutHelpAndType(w, names, f.help, om);
  if (f.type == MetricType::kHistogram) {
    PutHistogramSamples(w, f, names.family, format);
  } else {
    PutValueSamples(w, f, names, format);
  }
}

}  // namespace

std::string_view MetricTypeName(MetricType type) noexcept {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
    case MetricType::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::string_view ContentType(Format format) noexcept {
  switch (format) {
    case Format::kText:
      break;
    case Format::kOpenMetrics:
      return "application/openmetrics-text; version=1.0.0; charset=utf-8";
    case Format::kProtobuf:
      return "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
  }
  return "text/plain; version=0.0.4; charset=utf-8";
}

void detail::EncodeText(const Snapshot& snapshot, Format format, std::string& out) {
  for (const FamilySnapshot& f : snapshot.families) {
    // A family with no series yet (a labelled metric nobody has used) is left out, as client_golang does.
    if (!f.series.empty()) EncodeFamily(f, format, out);
  }
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
