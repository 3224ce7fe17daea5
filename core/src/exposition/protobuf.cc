// The protobuf exposition (Format::kProtobuf): one length-delimited io.prometheus.client.MetricFamily per
// family (client_model's metrics.proto), in snapshot order, fields in field-number order as client_golang's
// protobuf library writes them. Everything goes straight into the output string: the sizes of leaf
// messages are computed before they are written; the few that hold a histogram or a whole family get their
// length filled in afterwards (exposition/protobuf_wire.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "exposition/protobuf_wire.h"
#include "golivekit/observability/encode.h"

namespace golivekit::observability::detail {
namespace {

using pb::MessageWriter;
using pb::PutDoubleField;
using pb::PutStringField;
using pb::PutTag;
using pb::PutVarint;
using pb::PutVarintField;
using pb::VarintSize;
using pb::WireType;

// Field numbers of metrics.proto.
namespace family_field {
constexpr std::uint32_t kName = 1, kHelp = 2, kType = 3, kMetric = 4;
}
namespace metric_field {
constexpr std::uint32_t kLabel = 1, kGauge = 2, kCounter = 3, kUntyped = 5, kHistogram = 7;
}
namespace label_field {
constexpr std::uint32_t kName = 1, kValue = 2;
}
constexpr std::uint32_t kValueField = 1;  // Gauge.value, Counter.value, Untyped.value
// The start of a series (client_model 0.5 and later; earlier readers, Debian's schema and Prometheus
// before 2.50 among them, skip the unknown field): Counter.created_timestamp, Histogram.created_timestamp.
constexpr std::uint32_t kCounterCreatedField = 3, kHistogramCreatedField = 15;
namespace timestamp_field {  // google.protobuf.Timestamp
constexpr std::uint32_t kSeconds = 1, kNanos = 2;
}
namespace histogram_field {
constexpr std::uint32_t kSampleCount = 1, kSampleSum = 2, kBucket = 3, kSchema = 5, kZeroThreshold = 6,
                        kZeroCount = 7, kNegativeSpan = 9, kNegativeDelta = 10, kPositiveSpan = 12,
                        kPositiveDelta = 13;
}
namespace bucket_field {
constexpr std::uint32_t kCumulativeCount = 1, kUpperBound = 2;
}
namespace span_field {
constexpr std::uint32_t kOffset = 1, kLength = 2;
}

// io.prometheus.client.MetricType.
enum class ProtoType : std::uint64_t { kCounter = 0, kGauge = 1, kUntyped = 3, kHistogram = 4 };

ProtoType ProtoTypeOf(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return ProtoType::kCounter;
    case MetricType::kGauge:
      return ProtoType::kGauge;
    case MetricType::kHistogram:
      return ProtoType::kHistogram;
    case MetricType::kUnknown:
      break;
  }
  return ProtoType::kUntyped;
}

std::uint32_t ValueFieldOf(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return metric_field::kCounter;
    case MetricType::kGauge:
      return metric_field::kGauge;
    default:
      return metric_field::kUntyped;
  }
}

constexpr std::size_t LabelPairSize(std::string_view name, std::string_view value) {
  return pb::StringFieldSize(label_field::kName, name) + pb::StringFieldSize(label_field::kValue, value);
}

// The exact size of a series' repeated `label` fields (a tag, a length and a LabelPair each).
std::size_t LabelsSize(const FamilySnapshot& f, const SeriesSnapshot& s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < f.label_names.size(); ++i) {
    const std::size_t pair = LabelPairSize(f.label_names[i], s.label_values[i]);
    n += 1 + VarintSize(pair) + pair;
  }
  return n;
}

char* PutLabels(char* p, const FamilySnapshot& f, const SeriesSnapshot& s) {
  for (std::size_t i = 0; i < f.label_names.size(); ++i) {
    const std::string_view name = f.label_names[i];
    const std::string_view value = s.label_values[i];
    p = PutVarint(PutTag(p, metric_field::kLabel, WireType::kLen), LabelPairSize(name, value));
    p = PutStringField(p, label_field::kName, name);
    p = PutStringField(p, label_field::kValue, value);
  }
  return p;
}

// A series' start as a google.protobuf.Timestamp field (`created_ms` > 0): its size, and the field.
std::uint64_t CreatedSeconds(std::int64_t created_ms) {
  return static_cast<std::uint64_t>(created_ms / 1000);
}
std::uint64_t CreatedNanos(std::int64_t created_ms) {
  return static_cast<std::uint64_t>(created_ms % 1000) * 1000000;
}
std::size_t TimestampSize(std::int64_t created_ms) {
  const std::uint64_t nanos = CreatedNanos(created_ms);
  return 1 + VarintSize(CreatedSeconds(created_ms)) + (nanos != 0 ? 1 + VarintSize(nanos) : 0);
}
std::size_t CreatedFieldSize(std::int64_t created_ms) {
  return created_ms > 0 ? 2 + TimestampSize(created_ms) : 0;  // tag and length: one byte each
}
char* PutCreatedField(char* p, std::uint32_t field, std::int64_t created_ms) {
  if (created_ms <= 0) return p;
  p = PutVarint(PutTag(p, field, WireType::kLen), TimestampSize(created_ms));
  p = PutVarintField(p, timestamp_field::kSeconds, CreatedSeconds(created_ms));
  if (const std::uint64_t nanos = CreatedNanos(created_ms); nanos != 0) {
    p = PutVarintField(p, timestamp_field::kNanos, nanos);
  }
  return p;
}

constexpr std::size_t kValueMessageSize = 9;                          // Counter/Gauge/Untyped: one double
constexpr std::size_t kValueFieldSize = 2 + kValueMessageSize;        // tag, length, message
constexpr std::size_t kMaxBucketField = 2 + 1 + 10 + 1 + 8;           // tag, length, count field, bound field
constexpr std::size_t kMaxSpanField = 2 + 1 + 5 + 1 + 5;              // tag, length, offset, length
constexpr std::size_t kMaxDeltaField = pb::kMaxTag + pb::kMaxVarint;  // one unpacked sint64

// Counters, gauges and untyped: a Metric of known size, written in one go.
void PutValueMetric(MessageWriter& w, const FamilySnapshot& f, const SeriesSnapshot& s, std::uint32_t field) {
  const std::size_t labels = LabelsSize(f, s);
  const std::int64_t created = field == metric_field::kCounter ? s.created_ms : 0;
  const std::size_t value = kValueMessageSize + CreatedFieldSize(created);
  const std::size_t metric = labels + 1 + VarintSize(value) + value;
  char* p = w.Reserve(1 + pb::kMaxVarint + metric);
  p = PutVarint(PutTag(p, family_field::kMetric, WireType::kLen), metric);
  p = PutLabels(p, f, s);
  p = PutVarint(PutTag(p, field, WireType::kLen), value);
  p = PutDoubleField(p, kValueField, s.value);
  p = PutCreatedField(p, kCounterCreatedField, created);
  w.Commit(p);
}

void PutClassicBuckets(MessageWriter& w, const FamilySnapshot& f, const SeriesSnapshot& s) {
  char* p = w.Reserve(f.bucket_bounds.size() * kMaxBucketField);
  for (std::size_t i = 0; i < f.bucket_bounds.size(); ++i) {
    const std::uint64_t count = s.bucket_counts[i];
    p = PutVarint(PutTag(p, histogram_field::kBucket, WireType::kLen), 1 + VarintSize(count) + 9);
    p = PutVarintField(p, bucket_field::kCumulativeCount, count);
    p = PutDoubleField(p, bucket_field::kUpperBound, f.bucket_bounds[i]);
  }
  w.Commit(p);
}

char* PutSpan(char* p, std::uint32_t field, NativeSpan span) {
  const std::uint32_t offset = pb::ZigZag32(span.offset);
  p = PutVarint(PutTag(p, field, WireType::kLen), 2 + VarintSize(offset) + VarintSize(span.length));
  p = PutVarintField(p, span_field::kOffset, offset);
  return PutVarintField(p, span_field::kLength, span.length);
}

// One side's spans, then its buckets as deltas (the snapshot holds absolute counts): each bucket's count
// minus the previous one's, the first minus zero.
void PutNativeSide(MessageWriter& w, const std::vector<NativeSpan>& spans,
                   const std::vector<std::uint64_t>& counts, std::uint32_t span_field_number,
                   std::uint32_t delta_field_number) {
  char* p = w.Reserve(spans.size() * kMaxSpanField + counts.size() * kMaxDeltaField);
  for (const NativeSpan& span : spans) p = PutSpan(p, span_field_number, span);
  std::uint64_t previous = 0;
  for (const std::uint64_t count : counts) {
    const auto delta = static_cast<std::int64_t>(count - previous);  // two's complement difference
    p = PutVarintField(p, delta_field_number, pb::ZigZag64(delta));
    previous = count;
  }
  w.Commit(p);
}

void PutNativeBuckets(MessageWriter& w, const NativeBuckets& n) {
  char* p = w.Reserve(3 * pb::kMaxVarintField + pb::kMaxDoubleField + kMaxSpanField);
  p = PutVarintField(p, histogram_field::kSchema, pb::ZigZag32(n.schema));
  p = PutDoubleField(p, histogram_field::kZeroThreshold, n.zero_threshold);
  p = PutVarintField(p, histogram_field::kZeroCount, n.zero_count);
  w.Commit(p);
  PutNativeSide(w, n.negative_spans, n.negative_counts, histogram_field::kNegativeSpan,
                histogram_field::kNegativeDelta);
  if (n.positive_spans.empty() && n.negative_spans.empty()) {
    // A histogram without buckets still has to read as native to Prometheus: one span that covers nothing.
    w.Commit(PutSpan(w.Reserve(kMaxSpanField), histogram_field::kPositiveSpan, NativeSpan{}));
    return;
  }
  PutNativeSide(w, n.positive_spans, n.positive_counts, histogram_field::kPositiveSpan,
                histogram_field::kPositiveDelta);
}

// A likely size of a series' Histogram message, to leave the right number of bytes for its length.
std::size_t HistogramSizeGuess(const FamilySnapshot& f, const SeriesSnapshot& s) {
  std::size_t n = 24 + f.bucket_bounds.size() * 14;
  if (f.native) {
    const NativeBuckets& nb = s.native;
    n += 24 + (nb.positive_spans.size() + nb.negative_spans.size()) * 6 +
         (nb.positive_counts.size() + nb.negative_counts.size()) * 3;
  }
  return n;
}

void PutHistogramMetric(MessageWriter& w, const FamilySnapshot& f, const SeriesSnapshot& s) {
  const std::size_t labels = LabelsSize(f, s);
  const std::size_t histogram_guess = HistogramSizeGuess(f, s);
  const auto metric = w.OpenMessage(family_field::kMetric, VarintSize(labels + 2 + histogram_guess));
  w.Commit(PutLabels(w.Reserve(labels), f, s));
  const auto histogram = w.OpenMessage(metric_field::kHistogram, VarintSize(histogram_guess));
  char* p = w.Reserve(pb::kMaxVarintField + pb::kMaxDoubleField);
  p = PutVarintField(p, histogram_field::kSampleCount, s.count);
  p = PutDoubleField(p, histogram_field::kSampleSum, s.sum);
  w.Commit(p);
  PutClassicBuckets(w, f, s);
  if (f.native) PutNativeBuckets(w, s.native);
  w.Commit(PutCreatedField(w.Reserve(CreatedFieldSize(s.created_ms)), kHistogramCreatedField, s.created_ms));
  w.CloseMessage(histogram);
  w.CloseMessage(metric);
}

// A likely size of the whole MetricFamily message.
std::size_t FamilySizeGuess(const FamilySnapshot& f) {
  std::size_t n = f.name.size() + f.help.size() + 8;
  for (const SeriesSnapshot& s : f.series) {
    n += 4 + LabelsSize(f, s) +
         (f.type == MetricType::kHistogram ? HistogramSizeGuess(f, s) + 4 : kValueFieldSize);
  }
  return n;
}

void EncodeFamily(MessageWriter& w, const FamilySnapshot& f) {
  const auto family = w.OpenMessage(0, VarintSize(FamilySizeGuess(f)));
  char* p = w.Reserve(pb::StringFieldRoom(f.name) + pb::StringFieldRoom(f.help) + pb::kMaxVarintField);
  p = PutStringField(p, family_field::kName, f.name);
  if (!f.help.empty()) p = PutStringField(p, family_field::kHelp, f.help);
  p = PutVarintField(p, family_field::kType, static_cast<std::uint64_t>(ProtoTypeOf(f.type)));
  w.Commit(p);
  if (f.type == MetricType::kHistogram) {
    for (const SeriesSnapshot& s : f.series) PutHistogramMetric(w, f, s);
  } else {
    const std::uint32_t field = ValueFieldOf(f.type);
    for (const SeriesSnapshot& s : f.series) PutValueMetric(w, f, s, field);
  }
  w.CloseMessage(family);
}

}  // namespace

void EncodeProtobuf(const Snapshot& snapshot, std::string& out) {
  MessageWriter w(out);
  for (const FamilySnapshot& f : snapshot.families) {
    // A family with no series is left out, as in the text formats (and client_golang).
    if (!f.series.empty()) EncodeFamily(w, f);
  }
}

}  // namespace golivekit::observability::detail
