// The client-batch format, versions 1 and 2. docs/wire-format.md is the specification; this file follows
// it section by section.
#include "golivekit/observability/client_batch.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <optional>
#include <random>
#include <utility>

#include "golivekit/observability/detail/native_cells.h"
#include "message.h"
#include "snapshot/native_spans.h"

namespace golivekit::observability {
namespace {

constexpr char kMagic[4] = {'G', 'L', 'K', 'B'};
constexpr std::uint8_t kFlagFinal = 0x01;
// The fixed header: magic, version, flags, client id; the sequence (a varint) follows it.
constexpr std::size_t kVersionAt = sizeof kMagic;
constexpr std::size_t kFlagsAt = kVersionAt + 1;
constexpr std::size_t kClientIdAt = kFlagsAt + 1;
constexpr std::size_t kHeaderFixed = kClientIdAt + sizeof(ClientId);
// No bucket index at any schema reaches this far (schema 8: about ±275,000 for the whole double range),
// which keeps index arithmetic on hostile spans far from overflow.
constexpr std::int64_t kMaxNativeIndex = std::int64_t{1} << 20;

// --- writing ---------------------------------------------------------------------------------------

void PutVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void PutDouble(std::string& out, double d) {
  std::uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  // Little-endian whatever the host: the format is defined on bytes, not on memory layout. On a
  // little-endian host (WebAssembly) those are the bytes as they lie: one append.
  if constexpr (std::endian::native == std::endian::little) {
    out.append(reinterpret_cast<const char*>(&bits), sizeof bits);
  } else {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
}

void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

std::uint64_t ZigZag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
std::int64_t UnZigZag(std::uint64_t z) {
  return static_cast<std::int64_t>(z >> 1) ^ -static_cast<std::int64_t>(z & 1);
}

void PutNativeSide(std::string& out, const std::vector<NativeSpan>& spans,
                   const std::vector<std::uint64_t>& counts) {
  PutVarint(out, spans.size());
  for (const NativeSpan& span : spans) {
    PutVarint(out, ZigZag(span.offset));
    PutVarint(out, span.length);
  }
  for (const std::uint64_t c : counts) PutVarint(out, c);
}

// A native block's schema, zero threshold and zero count (or its increment).
void PutNativeHead(std::string& out, const NativeBuckets& n, std::uint64_t zero_count) {
  out.push_back(static_cast<char>(static_cast<std::int8_t>(n.schema)));
  PutDouble(out, n.zero_threshold);
  PutVarint(out, zero_count);
}

void PutNative(std::string& out, const NativeBuckets& n) {
  PutNativeHead(out, n, n.zero_count);
  PutNativeSide(out, n.positive_spans, n.positive_counts);
  PutNativeSide(out, n.negative_spans, n.negative_counts);
}

std::uint8_t TypeCode(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return 0;
    case MetricType::kGauge:
      return 1;
    default:
      return 2;
  }
}

// --- reading ---------------------------------------------------------------------------------------

enum class VarintRead { kOk, kTruncated, kTooLong };

// Reads the varint at `pos` into `v` and moves `pos` past it. At most ten bytes, the tenth carrying
// only the 64th bit.
inline VarintRead ReadVarint(std::string_view in, std::size_t& pos, std::uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (pos >= in.size()) return VarintRead::kTruncated;
    const auto b = static_cast<std::uint8_t>(in[pos++]);
    if (shift == 63 && b > 1) break;
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) return VarintRead::kOk;
  }
  return VarintRead::kTooLong;
}

// A cursor that fails once and stays failed: every read after an error returns zeros, so the decoder
// can read a whole structure and check once, while the first error (with its offset) is kept.
class Reader {
 public:
  Reader(std::string_view in, const DecodeLimits& limits) : in_(in), limits_(limits) {}

  [[nodiscard]] bool failed() const { return !error_.ok(); }
  [[nodiscard]] const Status& error() const { return error_; }
  [[nodiscard]] std::size_t remaining() const { return in_.size() - pos_; }
  [[nodiscard]] std::size_t offset() const { return pos_; }

  void Fail(std::size_t at, std::string_view what) {
    if (failed()) return;
    error_ = detail::Fail(StatusCode::kInvalidArgument, "batch: offset {}: {}", {at, what});
    pos_ = in_.size();
  }

  std::uint8_t Byte() {
    if (remaining() < 1) {
      Fail(pos_, "truncated");
      return 0;
    }
    return static_cast<std::uint8_t>(in_[pos_++]);
  }

  std::uint64_t Varint() {
    const std::size_t at = pos_;
    std::uint64_t v;
    switch (ReadVarint(in_, pos_, v)) {
      case VarintRead::kOk:
        return v;
      case VarintRead::kTruncated:
        Fail(at, "truncated varint");
        break;
      case VarintRead::kTooLong:
        Fail(at, "varint longer than 64 bits");
        break;
    }
    return 0;
  }

  double Double() {
    if (remaining() < 8) {
      Fail(pos_, "truncated number");
      return 0;
    }
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i)
      bits |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in_[pos_ + i])) << (8 * i);
    pos_ += 8;
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }

  std::string String() {
    const std::size_t at = pos_;
    const std::uint64_t n = Varint();
    if (failed()) return {};
    if (n > limits_.max_string_bytes) {
      Fail(at, "string of " + std::to_string(n) + " bytes (limit " +
                   std::to_string(limits_.max_string_bytes) + ")");
      return {};
    }
    if (n > remaining()) {
      Fail(at, "truncated string");
      return {};
    }
    std::string s(in_.substr(pos_, static_cast<std::size_t>(n)));
    pos_ += static_cast<std::size_t>(n);
    return s;
  }

  // A count of elements that each take at least `min_bytes`: checked against the limit and against
  // what is left, so that no count can make the decoder reserve more than the input justifies.
  std::size_t Count(std::size_t limit, std::size_t min_bytes, std::string_view what) {
    const std::size_t at = pos_;
    const std::uint64_t n = Varint();
    if (failed()) return 0;
    if (n > limit) {
      Fail(at, std::to_string(n) + " " + std::string(what) + " (limit " + std::to_string(limit) + ")");
      return 0;
    }
    if (min_bytes > 0 && n > remaining() / min_bytes) {
      Fail(at, std::to_string(n) + " " + std::string(what) + " cannot fit in the " +
                   std::to_string(remaining()) + " bytes left");
      return 0;
    }
    return static_cast<std::size_t>(n);
  }

 private:
  std::string_view in_;
  const DecodeLimits& limits_;
  std::size_t pos_ = 0;
  Status error_;
};

// Reads the spans and counts of one sign of a native block; `budget` is the number of buckets the series
// may still have (DecodeLimits::max_native_buckets, both signs together).
void ReadNativeSide(Reader& r, std::size_t& budget, std::vector<NativeSpan>& spans,
                    std::vector<std::uint64_t>& counts) {
  const std::size_t ns = r.Count(budget, 2, "native spans");
  spans.resize(ns);
  std::int64_t index = 0;
  std::size_t buckets = 0;
  for (std::size_t i = 0; i < ns && !r.failed(); ++i) {
    const std::size_t at = r.offset();
    const std::int64_t offset = UnZigZag(r.Varint());
    const std::uint64_t length = r.Varint();
    if (r.failed()) break;
    if (i > 0 && offset < 0) return r.Fail(at, "native span offset below 0 after the first span");
    if (offset > kMaxNativeIndex || offset < -kMaxNativeIndex || length > budget - buckets) {
      return r.Fail(at, "native span beyond the bucket limit (" + std::to_string(budget) + " buckets)");
    }
    index = (i == 0 ? 0 : index) + offset;
    if (index < -kMaxNativeIndex || index + static_cast<std::int64_t>(length) > kMaxNativeIndex)
      return r.Fail(at, "native bucket index out of range");
    index += static_cast<std::int64_t>(length);
    buckets += static_cast<std::size_t>(length);
    spans[i] = {static_cast<std::int32_t>(offset), static_cast<std::uint32_t>(length)};
  }
  if (r.failed()) return;
  if (buckets > r.remaining()) {
    return r.Fail(r.offset(), std::to_string(buckets) + " native bucket counts cannot fit in the " +
                                  std::to_string(r.remaining()) + " bytes left");
  }
  budget -= buckets;
  counts.resize(buckets);
  for (std::uint64_t& c : counts) c = r.Varint();
}

void ReadNative(Reader& r, const DecodeLimits& limits, NativeBuckets& n) {
  const std::size_t at = r.offset();
  n.schema = static_cast<std::int8_t>(r.Byte());
  if (!r.failed() && (n.schema < detail::kNativeSchemaMin || n.schema > detail::kNativeSchemaMax)) {
    return r.Fail(at, "native schema " + std::to_string(n.schema) + " outside -4..8");
  }
  n.zero_threshold = r.Double();
  n.zero_count = r.Varint();
  std::size_t budget = limits.max_native_buckets;
  ReadNativeSide(r, budget, n.positive_spans, n.positive_counts);
  ReadNativeSide(r, budget, n.negative_spans, n.negative_counts);
}

// The fields of the fixed header, in order.
struct HeaderField {
  std::size_t offset;
  std::size_t size;
  std::string_view name;
};
constexpr HeaderField kHeaderFields[] = {{0, sizeof kMagic, "the magic \"GLKB\""},
                                         {kVersionAt, 1, "the version"},
                                         {kFlagsAt, 1, "the flags"},
                                         {kClientIdAt, sizeof(ClientId), "the client id"}};
static_assert(kHeaderFields[3].offset + kHeaderFields[3].size == kHeaderFixed);

// The magic, as far as the input goes: a prefix of it is a cut header, anything else is not a batch.
bool StartsLikeMagic(std::string_view bytes) {
  const std::size_t n = std::min(bytes.size(), sizeof kMagic);
  return n == 0 || std::memcmp(bytes.data(), kMagic, n) == 0;  // memcmp wants non-null pointers, even for 0
}

// Says which field of the fixed header a `size`-byte input cuts off and where: the "offset" the
// decoder's messages promise, even before the fixed header is complete.
std::string TruncatedHeader(std::size_t size) {
  std::string message = "batch: truncated header: " + std::to_string(size) + " bytes, the fixed header is " +
                        std::to_string(kHeaderFixed);
  for (const HeaderField& f : kHeaderFields) {
    if (size >= f.offset + f.size) continue;
    message += " (" + std::string(f.name) + " at offset " + std::to_string(f.offset) + " is ";
    message += size == f.offset ? std::string("missing") : "cut off at offset " + std::to_string(size);
    return message + ")";
  }
  return message;
}

ClientId ReadClientId(std::string_view bytes) {
  ClientId id;
  std::memcpy(id.data(), bytes.data() + kClientIdAt, id.size());
  return id;
}

}  // namespace

std::optional<std::uint8_t> PeekBatchVersion(std::string_view bytes) {
  if (bytes.size() <= kVersionAt || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    return std::nullopt;
  return static_cast<std::uint8_t>(bytes[kVersionAt]);
}

std::optional<BatchHeader> PeekBatchHeader(std::string_view bytes) {
  const auto version = PeekBatchVersion(bytes);
  if (!version || !ReadsBatchVersion(*version) || bytes.size() < kHeaderFixed) return std::nullopt;
  std::size_t pos = kHeaderFixed;
  std::uint64_t sequence;
  if (ReadVarint(bytes, pos, sequence) != VarintRead::kOk || sequence == 0) return std::nullopt;
  return BatchHeader{.client = ReadClientId(bytes), .sequence = sequence};
}

ClientId NewClientId() {
  std::random_device rd;
  return ClientIdFromWords({rd(), rd(), rd(), rd()});
}

ClientId ClientIdFromWords(const std::array<std::uint32_t, 4>& words) {
  ClientId id;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(id.data(), words.data(), id.size());  // the words' bytes as they lie
  } else {
    for (std::size_t i = 0; i < id.size(); ++i)
      id[i] = static_cast<std::uint8_t>(words[i / 4] >> (8 * (i % 4)));
  }
  return id;
}

std::string ClientIdHex(const ClientId& id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (const std::uint8_t b : id) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 15]);
  }
  return hex;
}

std::uint8_t BatchVersionFor(const Batch& batch) noexcept {
  for (const BatchFamily& f : batch.families) {
    if (f.type == MetricType::kHistogram && f.native) return 2;
  }
  return 1;
}

namespace {

// What a family's series bytes depend on: its type and which buckets its histograms carry.
struct SeriesShape {
  MetricType type;
  bool classic;  // classic bucket increments
  bool native;   // native buckets
};

// A histogram carries native buckets when it has them, and classic ones unless it is native-only
// (native with no bounds); other types carry neither.
SeriesShape ShapeOf(MetricType type, bool native, const std::vector<double>& bounds) {
  const bool histogram = type == MetricType::kHistogram;
  return {type, histogram && (!native || !bounds.empty()), histogram && native};
}

void PutHeader(std::string& out, std::uint8_t version, bool final, const ClientId& client,
               std::uint64_t sequence, std::uint64_t dropped_batches, std::size_t families) {
  out.append(kMagic, sizeof kMagic);
  out.push_back(static_cast<char>(version));
  out.push_back(static_cast<char>(final ? kFlagFinal : 0));
  out.append(reinterpret_cast<const char*>(client.data()), client.size());
  PutVarint(out, sequence);
  PutVarint(out, dropped_batches);
  PutVarint(out, families);
}

// A family's bytes up to its series count (the packer measures them with this too).
void PutFamilyHead(std::string& out, std::string_view name, MetricType type,
                   const std::vector<std::string>& label_names, const std::vector<double>& bucket_bounds,
                   bool native, std::uint8_t version) {
  PutString(out, name);
  out.push_back(static_cast<char>(TypeCode(type)));
  PutVarint(out, label_names.size());
  for (const std::string& l : label_names) PutString(out, l);
  if (type == MetricType::kHistogram) {
    PutVarint(out, bucket_bounds.size());
    for (const double b : bucket_bounds) PutDouble(out, b);
    if (version >= 2) out.push_back(static_cast<char>(native ? 1 : 0));
  }
}

// One series' bytes, in their order: the label values; for a histogram its classic bucket increments and
// its native buckets, as its shape has them; then the number (a counter's increment, a gauge's value, a
// histogram's sum increment). The client's encoder writes the same order from two snapshots
// (PutSeriesChange), where each field is a difference.
void PutSeries(std::string& out, SeriesShape shape, const BatchSeries& s) {
  for (const std::string& v : s.label_values) PutString(out, v);
  if (shape.classic) {
    for (const std::uint64_t d : s.bucket_deltas) PutVarint(out, d);
  }
  if (shape.native) PutNative(out, s.native);
  PutDouble(out, shape.type == MetricType::kHistogram ? s.sum_delta : s.value);
}

}  // namespace

void EncodeBatch(const Batch& batch, std::string& out) {
  const std::uint8_t version = BatchVersionFor(batch);
  PutHeader(out, version, batch.final, batch.client, batch.sequence, batch.dropped_batches,
            batch.families.size());
  for (const BatchFamily& f : batch.families) {
    PutFamilyHead(out, f.name, f.type, f.label_names, f.bucket_bounds, f.native, version);
    PutVarint(out, f.series.size());
    const SeriesShape shape = ShapeOf(f.type, f.native, f.bucket_bounds);
    for (const BatchSeries& s : f.series) PutSeries(out, shape, s);
  }
}

Status DecodeBatch(std::string_view bytes, Batch& out, const DecodeLimits& limits) {
  out = Batch{};
  if (bytes.size() > limits.max_bytes) {
    return detail::Fail(StatusCode::kInvalidArgument, "batch: {} bytes (limit {})",
                        {bytes.size(), limits.max_bytes});
  }
  if (!StartsLikeMagic(bytes)) {
    return InvalidArgument("batch: not a golivekit metrics batch (no \"GLKB\" header)");
  }
  // The bytes that are there are judged before the cut: a wrong version or flags byte is the better news.
  const auto version = PeekBatchVersion(bytes);
  if (version && !ReadsBatchVersion(*version)) {
    return detail::Fail(StatusCode::kInvalidArgument,
                        "batch: format version {} (this server reads versions {} to {})",
                        {*version, kMinBatchVersion, kBatchVersion});
  }
  if (bytes.size() > kFlagsAt && (static_cast<std::uint8_t>(bytes[kFlagsAt]) & ~kFlagFinal) != 0) {
    return detail::Fail(StatusCode::kInvalidArgument, "batch: offset {}: unknown flags", {kFlagsAt});
  }
  if (bytes.size() < kHeaderFixed) return InvalidArgument(TruncatedHeader(bytes.size()));
  out.final = (static_cast<std::uint8_t>(bytes[kFlagsAt]) & kFlagFinal) != 0;
  out.client = ReadClientId(bytes);

  Reader r(bytes, limits);
  for (std::size_t i = 0; i < kHeaderFixed; ++i) r.Byte();
  const std::size_t seq_at = r.offset();
  out.sequence = r.Varint();
  if (!r.failed() && out.sequence == 0) r.Fail(seq_at, "sequence 0 (sequences start at 1)");
  out.dropped_batches = r.Varint();
  // The smallest family: empty name, type, no labels, no series = 4 bytes.
  const std::size_t nf = r.Count(limits.max_families, 4, "families");
  out.families.resize(nf);
  for (BatchFamily& f : out.families) {
    f.name = r.String();
    const std::size_t type_at = r.offset();
    switch (r.Byte()) {
      case 0:
        f.type = MetricType::kCounter;
        break;
      case 1:
        f.type = MetricType::kGauge;
        break;
      case 2:
        f.type = MetricType::kHistogram;
        break;
      default:
        r.Fail(type_at, "unknown metric type");
        break;
    }
    const std::size_t nl = r.Count(limits.max_labels, 1, "label names");
    f.label_names.resize(nl);
    for (std::string& l : f.label_names) l = r.String();
    const bool histogram = f.type == MetricType::kHistogram;
    std::size_t nb = 0;
    if (histogram) {
      nb = r.Count(limits.max_buckets, 8, "bucket bounds");
      f.bucket_bounds.resize(nb);
      for (double& b : f.bucket_bounds) b = r.Double();
      const std::size_t native_at = r.offset();
      const std::uint8_t native = *version >= 2 ? r.Byte() : 0;
      if (native > 1) r.Fail(native_at, "native flag neither 0 nor 1");
      f.native = native == 1;
    }
    // The smallest series: one byte per label value, then 8 (a number); for a histogram one byte per
    // classic bucket, and for a native block schema, threshold and three one-byte varints.
    const std::size_t min_series =
        nl + 8 + (histogram && f.classic() ? nb + 1 : 0) + (histogram && f.native ? 1 + 8 + 3 : 0);
    const std::size_t ns = r.Count(limits.max_series_per_family, min_series, "series");
    f.series.resize(ns);
    for (BatchSeries& s : f.series) {
      s.label_values.resize(nl);
      for (std::string& v : s.label_values) v = r.String();
      if (histogram) {
        if (f.classic()) {
          s.bucket_deltas.resize(nb + 1);
          for (std::uint64_t& d : s.bucket_deltas) d = r.Varint();
        }
        if (f.native) ReadNative(r, limits, s.native);
        s.sum_delta = r.Double();
      } else {
        s.value = r.Double();
      }
      if (r.failed()) break;
    }
    if (r.failed()) break;
  }
  if (!r.failed() && r.remaining() != 0) r.Fail(r.offset(), "trailing bytes after the last family");
  if (r.failed()) {
    Status st = r.error();
    out = Batch{};
    return st;
  }
  return {};
}

// --- BatchEncoder -----------------------------------------------------------------------------------

BatchEncoder::BatchEncoder(ClientId id, std::size_t max_batch_bytes)
    : client_(id), max_batch_bytes_(max_batch_bytes) {}

namespace {

bool Shippable(const FamilySnapshot& fam) { return fam.type != MetricType::kUnknown; }

SeriesShape ShapeOf(const FamilySnapshot& fam) { return ShapeOf(fam.type, fam.native, fam.bucket_bounds); }

// A counter's increment since `prev` (nullptr: a new series). A value below the previous one means the
// series was reset: it starts again from zero.
double CounterIncrement(double now, const double* prev) {
  return prev != nullptr && now >= *prev ? now - *prev : now;
}

// The buckets of one sign that spans and counts cover, zeros included, in index order, each index
// lowered `by` schemas. Not detail::BucketCursor: the diff below adds up and skips by itself, and one
// small walker serves both sides.
class SpanWalk {
 public:
  SpanWalk(const std::vector<NativeSpan>& spans, const std::vector<std::uint64_t>& counts, std::int32_t by)
      : spans_(spans), counts_(counts), by_(by) {}

  // Moves to the next bucket; false at the end (of the spans, or of the counts if they fall short).
  bool Next() {
    while (left_ == 0) {
      if (span_ == spans_.size()) return false;
      at_ += spans_[span_].offset;  // the first span's offset from 0, the others' from the end of the last
      left_ = spans_[span_++].length;
    }
    if (count_ == counts_.size()) return false;
    --left_;
    index = detail::LowerNativeIndex(at_++, by_);
    count = counts_[count_++];
    return true;
  }

  std::int32_t index = 0;
  std::uint64_t count = 0;

 private:
  // References and positions, not pointers: the walker is made with no arithmetic.
  const std::vector<NativeSpan>& spans_;
  const std::vector<std::uint64_t>& counts_;
  std::int32_t by_;
  std::size_t span_ = 0;
  std::size_t count_ = 0;
  std::uint32_t left_ = 0;
  std::int32_t at_ = 0;
};

// The native increments of one sign while they are worked out: the spans' count goes first, so spans
// and counts wait here (kept from series to series, with their capacity).
struct NativeScratch {
  std::vector<NativeSpan> spans;
  std::vector<std::uint64_t> counts;
};

// Writes the increments of one sign's native buckets since `prev` (lowered `by` schemas to now's), as
// spans and counts; false if a bucket went down or emptied (the series was reset). The spans are cut by
// detail::SpanWriter, as a snapshot's are.
bool PutNativeSideChange(std::string& out, const std::vector<NativeSpan>& now_spans,
                         const std::vector<std::uint64_t>& now_counts,
                         const std::vector<NativeSpan>& prev_spans,
                         const std::vector<std::uint64_t>& prev_counts, std::int32_t by,
                         NativeScratch& scratch) {
  scratch.spans.clear();
  scratch.counts.clear();
  detail::SpanWriter increments(scratch.spans, scratch.counts);
  SpanWalk before(prev_spans, prev_counts, by);
  bool has_was = before.Next();
  SpanWalk now(now_spans, now_counts, 0);
  while (now.Next()) {
    std::uint64_t was = 0;  // what the buckets before that become this one held
    for (; has_was && before.index <= now.index; has_was = before.Next()) {
      if (before.index < now.index && before.count != 0) return false;
      was += before.count;
    }
    if (now.count < was) return false;
    if (now.count != was) increments.Add(now.index, now.count - was);
  }
  for (; has_was; has_was = before.Next()) {
    if (before.count != 0) return false;
  }
  PutNativeSide(out, scratch.spans, scratch.counts);
  return true;
}

// Nothing, to diff from (taken as at now's schema and threshold): all zeros, which no code builds.
const NativeBuckets kNone;

// Writes the native increments since `prev` (nullptr: everything); false if the series was reset (or
// its resolution went up, which only a recreated series does), and then what it wrote is of no use.
bool PutNativeChange(std::string& out, const NativeBuckets& now, const NativeBuckets* prev,
                     NativeScratch& scratch) {
  const NativeBuckets& was = prev != nullptr ? *prev : kNone;
  const std::int32_t by = prev != nullptr ? was.schema - now.schema : 0;
  PutNativeHead(out, now, now.zero_count - was.zero_count);
  return by >= 0 && (prev == nullptr || was.zero_threshold == now.zero_threshold) &&
         was.zero_count <= now.zero_count &&
         PutNativeSideChange(out, now.positive_spans, now.positive_counts, was.positive_spans,
                             was.positive_counts, by, scratch) &&
         PutNativeSideChange(out, now.negative_spans, now.negative_counts, was.negative_spans,
                             was.negative_counts, by, scratch);
}

// Per-bucket (not cumulative) increments, +Inf last, from the cumulative counts now and before
// (`prev` nullptr: from zero); false if a cumulative count went down (the series restarted), and then
// what it wrote is of no use.
bool PutBucketDeltas(std::string& out, const SeriesSnapshot& now, const SeriesSnapshot* prev) {
  const std::size_t nb = now.bucket_counts.size();
  std::uint64_t below = 0;  // new observations in the buckets so far (cumulative)
  bool rose = true;
  for (std::size_t i = 0; i <= nb; ++i) {
    const std::uint64_t cum_now = i < nb ? now.bucket_counts[i] : now.count;
    const std::uint64_t cum_prev = prev == nullptr ? 0 : (i < nb ? prev->bucket_counts[i] : prev->count);
    rose = rose && cum_now >= cum_prev;
    const std::uint64_t d = cum_now - cum_prev;
    PutVarint(out, d >= below ? d - below : 0);
    below = d >= below ? d : below;
  }
  return rose;
}

// A histogram series' fields after its label values (written from `at` on), against `prev`; false,
// with nothing written, if it sends nothing. The restart check is the increments' own: a series whose
// counts went down, or whose native buckets did, is written again from zero over what was written.
bool PutHistogramChange(std::string& out, std::size_t at, SeriesShape shape, const SeriesSnapshot& s,
                        const SeriesSnapshot* prev, NativeScratch& scratch) {
  if (prev != nullptr && prev->bucket_counts.size() != s.bucket_counts.size()) prev = nullptr;
  const std::size_t fields_at = out.size();
  for (;; prev = nullptr) {
    out.resize(fields_at);
    const bool rose = PutBucketDeltas(out, s, prev);
    if (!shape.classic) out.resize(fields_at);
    if (!rose) continue;
    if (prev != nullptr && s.count == prev->count) {
      out.resize(at);
      return false;
    }
    if (!shape.native || PutNativeChange(out, s.native, prev != nullptr ? &prev->native : nullptr, scratch)) {
      break;
    }
  }
  PutDouble(out, prev == nullptr ? s.sum : s.sum - prev->sum);
  return true;
}

// Writes what series `s` sends given what it held at the previous call (`prev` nullptr: nothing) to
// `out`, straight from the two snapshots, in PutSeries' order; false, with nothing written, if it sends
// nothing.
bool PutSeriesChange(std::string& out, SeriesShape shape, const SeriesSnapshot& s, const SeriesSnapshot* prev,
                     NativeScratch& scratch) {
  double value = s.value;  // a gauge is always sent: it says the client is alive and what it holds
  if (shape.type == MetricType::kCounter) {
    value = CounterIncrement(s.value, prev != nullptr ? &prev->value : nullptr);
    if (prev != nullptr && !(value > 0)) return false;
  }
  const std::size_t at = out.size();
  for (const std::string& v : s.label_values) PutString(out, v);
  if (shape.type == MetricType::kHistogram) return PutHistogramChange(out, at, shape, s, prev, scratch);
  PutDouble(out, value);
  return true;
}

// The entry of `wanted` among the entries from `cursor` to `end` (ascending by key), which it advances
// `cursor` over: the walks below go through a snapshot and the previous one together, both in snapshot
// order. `compare` is three-way: one call per entry passed, where `<` and `==` on a vector of strings
// would inline a lexicographic loop each. Pointers, not indexes: no vector accessors to call.
template <class T, class Key>
const T* Seek(const T*& cursor, const T* end, const Key& wanted, int (*compare)(const T&, const Key&)) {
  for (; cursor != end; ++cursor) {
    const int c = compare(*cursor, wanted);
    if (c >= 0) return c == 0 ? cursor : nullptr;
  }
  return nullptr;
}
int CompareName(const FamilySnapshot& f, const std::string& name) { return f.name.compare(name); }
int CompareLabelValues(const SeriesSnapshot& s, const std::vector<std::string>& values) {
  auto value = s.label_values.begin();
  for (const std::string& wanted : values) {
    if (value == s.label_values.end()) return -1;  // a prefix comes first
    if (const int c = value++->compare(wanted)) return c;
  }
  return value != s.label_values.end() ? 1 : 0;
}

// Fills batches of at most `max_bytes` with the changed series, family by family, splitting a family's
// series over several batches when they do not fit in one; each batch takes the next sequence. A series
// is encoded once, as it arrives, into body(); a batch is written out of it when it is full, as only
// then is its version known (2 if a native family is in it), on which the families' heads depend (a
// histogram's native flag is in version 2 only).
class BatchPacker {
 public:
  // Appends the batches to `batches` (the caller's return value, so that none is moved on the way).
  BatchPacker(const ClientId& client, const EncodeOpts& opts, std::size_t max_bytes,
              std::uint64_t& next_sequence, std::vector<std::string>& batches)
      : client_(client),
        opts_(opts),
        max_bytes_(max_bytes),
        next_sequence_(next_sequence),
        batches_(batches) {}

  // Where the next series is written (after the series added so far); AddSeries then takes it.
  std::string& body() { return series_; }

  // Takes the series of `family` written to body() from `begin` on.
  void AddSeries(const FamilySnapshot& family, std::size_t begin) {
    const std::size_t n = series_.size() - begin;
    const bool new_family = &family != part_.family;
    if (new_family || size_ + n > max_bytes_) {
      // A new part (of a new family, or of this one when the series does not fit); at least one series
      // in each, so that an oversized series still travels (alone).
      ClosePart(begin);
      part_.family = &family;
      if (new_family) {
        head_.clear();
        PutHead(head_, family, kBatchVersion);  // measured in the larger version
      }
      const std::size_t head = head_.size() + 5;  // and the series count at its largest
      if (size_ + head + n > max_bytes_ && !parts_.empty()) Flush();
      size_ += head;
    }
    ++part_.count;
    size_ += n;
  }

  void Finish() {
    ClosePart(series_.size());
    // The final flag must reach the server even when nothing changed.
    if (!parts_.empty() || (opts_.final && batches_.empty())) Flush();
  }

 private:
  // A family's series in one batch: those in body() from the previous part's end to `end`.
  struct Part {
    const FamilySnapshot* family;
    std::size_t count;
    std::size_t end;
  };

  static void PutHead(std::string& out, const FamilySnapshot& f, std::uint8_t version) {
    PutFamilyHead(out, f.name, f.type, f.label_names, f.bucket_bounds, f.native, version);
  }

  // Moves the open part, its series before `end`, into the batch.
  void ClosePart(std::size_t end) {
    if (part_.count == 0) return;
    part_.end = end;
    // The parts are kept as bytes: a vector of them would be one more container type in the module.
    parts_.append(reinterpret_cast<const char*>(&part_), sizeof part_);
    native_ = native_ || (part_.family->type == MetricType::kHistogram && part_.family->native);
    part_.count = 0;
  }

  void Flush() {
    const std::uint8_t version = native_ ? 2 : 1;
    // Not reserved: the module then links no string::reserve, for an allocation or two saved.
    std::string bytes;
    PutHeader(bytes, version, opts_.final, client_, next_sequence_++, opts_.dropped_batches,
              parts_.size() / sizeof(Part));
    for (std::size_t at = 0; at < parts_.size(); at += sizeof(Part)) {
      Part part;
      std::memcpy(&part, parts_.data() + at, sizeof part);
      PutHead(bytes, *part.family, version);
      PutVarint(bytes, part.count);
      bytes.append(series_.data() + written_, part.end - written_);
      written_ = part.end;
    }
    batches_.push_back(std::move(bytes));
    parts_.clear();
    native_ = false;
    size_ = kMaxHeader;
  }

  // The fixed part, then the sequence, drops and family-count varints at their largest.
  static constexpr std::size_t kMaxHeader = kHeaderFixed + 10 + 10 + 5;

  const ClientId& client_;
  const EncodeOpts& opts_;
  std::size_t max_bytes_;
  std::uint64_t& next_sequence_;
  // The batch: its closed parts, whether one is of a native family, and its size at most once the open
  // part is in.
  std::string parts_;
  bool native_ = false;
  std::size_t size_ = kMaxHeader;
  // The open part, and its family's head (version 2), which sizes it.
  Part part_ = {};
  std::string head_;
  // The series of the whole Encode, those not yet in a written batch from written_ on: a written batch's
  // are left where they are, as erasing them would cost more code than the bytes it frees for the rest
  // of the call.
  std::string series_;
  std::size_t written_ = 0;
  std::vector<std::string>& batches_;
};

}  // namespace

bool BatchEncoder::skips(std::string_view name) const noexcept {
  for (const std::string& skipped : skip_) {
    if (skipped == name) return true;
  }
  return false;
}

bool BatchEncoder::Skip(std::string_view name) {
  if (skips(name)) return false;
  skip_.emplace_back(name);
  return true;
}

// A copy of the families it ships, which the encoder keeps: the others are of no use to it.
std::vector<std::string> BatchEncoder::Encode(const Snapshot& snapshot, const EncodeOpts& opts) {
  Snapshot shipped;
  for (const FamilySnapshot& family : snapshot.families) {
    if (Shippable(family) && !skips(family.name)) shipped.families.push_back(family);
  }
  return Encode(std::move(shipped), opts);
}

// The snapshot is kept whole, as it came, for the next call: moving its families costs no code, where
// keeping the shipped ones only would copy or move each. What it holds that is not shipped (untyped
// families, skipped ones) is never looked up: a family skipped once is skipped for ever, and an untyped
// one does not count as shipped.
std::vector<std::string> BatchEncoder::Encode(Snapshot&& snapshot, const EncodeOpts& opts) {
  std::vector<std::string> batches;
  BatchPacker packer(client_, opts, max_batch_bytes_, next_sequence_, batches);
  NativeScratch scratch;
  const FamilySnapshot* last_family = last_.data();
  const FamilySnapshot* const last_end = last_family + last_.size();
  for (const FamilySnapshot& fam : snapshot.families) {
    if (!Shippable(fam) || skips(fam.name)) continue;
    const SeriesShape shape = ShapeOf(fam);
    const FamilySnapshot* prev = Seek(last_family, last_end, fam.name, &CompareName);
    if (prev != nullptr && !Shippable(*prev)) prev = nullptr;
    // No previous family: an empty range.
    const SeriesSnapshot* last_series = prev != nullptr ? prev->series.data() : nullptr;
    const SeriesSnapshot* const series_end = prev != nullptr ? last_series + prev->series.size() : nullptr;
    for (const SeriesSnapshot& s : fam.series) {
      const SeriesSnapshot* prev_series = Seek(last_series, series_end, s.label_values, &CompareLabelValues);
      const std::size_t begin = packer.body().size();
      if (!PutSeriesChange(packer.body(), shape, s, prev_series, scratch)) continue;
      packer.AddSeries(fam, begin);
    }
  }
  // The buffers trade places (the packer's pointers stay valid): the snapshot given away takes the
  // previous families, which its owner frees, for less code than a move assignment that frees them here.
  last_.swap(snapshot.families);
  packer.Finish();
  return batches;
}

}  // namespace golivekit::observability
