// The client-batch format, version 1. docs/client-batch.md is the specification; this file follows it
// section by section.
#include "golivekit/observability/client_batch.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <utility>

#include "client_batch/series_key.h"

namespace golivekit::observability {
namespace {

constexpr char kMagic[4] = {'G', 'L', 'K', 'B'};
constexpr std::uint8_t kFlagFinal = 0x01;
constexpr std::size_t kHeaderFixed = 4 + 1 + 1 + 16;  // magic, version, flags, client id

// --- writing ---------------------------------------------------------------------------------------

void PutVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

std::size_t VarintSize(std::uint64_t v) {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

void PutDouble(std::string& out, double d) {
  std::uint64_t bits;
  std::memcpy(&bits, &d, sizeof bits);
  // Little-endian whatever the host: the format is defined on bytes, not on memory layout.
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
}

void PutString(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}

std::size_t StringSize(std::string_view s) { return VarintSize(s.size()) + s.size(); }

std::uint8_t TypeCode(MetricType t) {
  switch (t) {
    case MetricType::kCounter: return 0;
    case MetricType::kGauge: return 1;
    default: return 2;
  }
}

// --- reading ---------------------------------------------------------------------------------------

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
    error_ = InvalidArgument("batch: offset " + std::to_string(at) + ": " + std::string(what));
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
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (remaining() < 1) {
        Fail(at, "truncated varint");
        return 0;
      }
      const auto b = static_cast<std::uint8_t>(in_[pos_++]);
      // The tenth byte may only carry the 64th bit.
      if (shift == 63 && b > 1) break;
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    Fail(at, "varint longer than 64 bits");
    return 0;
  }

  double Double() {
    if (remaining() < 8) {
      Fail(pos_, "truncated number");
      return 0;
    }
    std::uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(in_[pos_ + i])) << (8 * i);
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
      Fail(at, "string of " + std::to_string(n) + " bytes (limit " + std::to_string(limits_.max_string_bytes) + ")");
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
      Fail(at, std::to_string(n) + " " + std::string(what) + " cannot fit in the " + std::to_string(remaining()) +
                   " bytes left");
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

// The fields of the fixed header, in order.
struct HeaderField {
  std::size_t offset;
  std::size_t size;
  std::string_view name;
};
constexpr HeaderField kHeaderFields[] = {
    {0, 4, "the magic \"GLKB\""}, {4, 1, "the version"}, {5, 1, "the flags"}, {6, 16, "the client id"}};
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

}  // namespace

ClientId NewClientId() {
  std::random_device rd;
  return ClientIdFromWords({rd(), rd(), rd(), rd()});
}

ClientId ClientIdFromWords(const std::array<std::uint32_t, 4>& words) {
  ClientId id;
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(words[i / 4] >> (8 * (i % 4)));
  return id;
}

std::string ClientIdHex(const ClientId& id) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(32);
  for (const std::uint8_t b : id) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

void EncodeBatch(const Batch& batch, std::string& out) {
  out.append(kMagic, sizeof kMagic);
  out.push_back(static_cast<char>(kBatchVersion));
  out.push_back(static_cast<char>(batch.final ? kFlagFinal : 0));
  out.append(reinterpret_cast<const char*>(batch.client.data()), batch.client.size());
  PutVarint(out, batch.sequence);
  PutVarint(out, batch.dropped_batches);
  PutVarint(out, batch.families.size());
  for (const BatchFamily& f : batch.families) {
    PutString(out, f.name);
    out.push_back(static_cast<char>(TypeCode(f.type)));
    PutVarint(out, f.label_names.size());
    for (const std::string& l : f.label_names) PutString(out, l);
    if (f.type == MetricType::kHistogram) {
      PutVarint(out, f.bucket_bounds.size());
      for (const double b : f.bucket_bounds) PutDouble(out, b);
    }
    PutVarint(out, f.series.size());
    for (const BatchSeries& s : f.series) {
      for (const std::string& v : s.label_values) PutString(out, v);
      if (f.type == MetricType::kHistogram) {
        for (const std::uint64_t d : s.bucket_deltas) PutVarint(out, d);
        PutDouble(out, s.sum_delta);
      } else {
        PutDouble(out, s.value);
      }
    }
  }
}

Status DecodeBatch(std::string_view bytes, Batch& out, const DecodeLimits& limits) {
  out = Batch{};
  if (bytes.size() > limits.max_bytes) {
    return InvalidArgument("batch: " + std::to_string(bytes.size()) + " bytes (limit " +
                           std::to_string(limits.max_bytes) + ")");
  }
  if (!StartsLikeMagic(bytes)) {
    return InvalidArgument("batch: not a golivekit metrics batch (no \"GLKB\" header)");
  }
  // The bytes that are there are judged before the cut: a wrong version or flags byte is the better news.
  if (bytes.size() > 4) {
    const auto version = static_cast<std::uint8_t>(bytes[4]);
    if (version != kBatchVersion) {
      return InvalidArgument("batch: format version " + std::to_string(version) +
                             " (this server reads version " + std::to_string(kBatchVersion) + ")");
    }
  }
  if (bytes.size() > 5 && (static_cast<std::uint8_t>(bytes[5]) & ~kFlagFinal) != 0) {
    return InvalidArgument("batch: offset 5: unknown flags");
  }
  if (bytes.size() < kHeaderFixed) return InvalidArgument(TruncatedHeader(bytes.size()));
  out.final = (static_cast<std::uint8_t>(bytes[5]) & kFlagFinal) != 0;
  std::memcpy(out.client.data(), bytes.data() + 6, out.client.size());

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
      case 0: f.type = MetricType::kCounter; break;
      case 1: f.type = MetricType::kGauge; break;
      case 2: f.type = MetricType::kHistogram; break;
      default: r.Fail(type_at, "unknown metric type"); break;
    }
    const std::size_t nl = r.Count(limits.max_labels, 1, "label names");
    f.label_names.resize(nl);
    for (std::string& l : f.label_names) l = r.String();
    std::size_t nb = 0;
    if (f.type == MetricType::kHistogram) {
      nb = r.Count(limits.max_buckets, 8, "bucket bounds");
      f.bucket_bounds.resize(nb);
      for (double& b : f.bucket_bounds) b = r.Double();
    }
    // The smallest series: one byte per label value, then 8 (a number), or per bucket one byte and 8.
    const std::size_t min_series = nl + (f.type == MetricType::kHistogram ? nb + 1 + 8 : 8);
    const std::size_t ns = r.Count(limits.max_series_per_family, min_series, "series");
    f.series.resize(ns);
    for (BatchSeries& s : f.series) {
      s.label_values.resize(nl);
      for (std::string& v : s.label_values) v = r.String();
      if (f.type == MetricType::kHistogram) {
        s.bucket_deltas.resize(nb + 1);
        for (std::uint64_t& d : s.bucket_deltas) d = r.Varint();
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

std::size_t SeriesSize(const BatchFamily& f, const BatchSeries& s) {
  std::size_t n = 0;
  for (const std::string& v : s.label_values) n += StringSize(v);
  if (f.type == MetricType::kHistogram) {
    for (const std::uint64_t d : s.bucket_deltas) n += VarintSize(d);
  }
  return n + 8;
}

// The family's bytes before its series, with room for the largest series count varint.
std::size_t FamilyHeaderSize(const BatchFamily& f) {
  std::size_t n = StringSize(f.name) + 1 + VarintSize(f.label_names.size()) + 5;
  for (const std::string& l : f.label_names) n += StringSize(l);
  if (f.type == MetricType::kHistogram) n += VarintSize(f.bucket_bounds.size()) + 8 * f.bucket_bounds.size();
  return n;
}

}  // namespace

std::vector<std::string> BatchEncoder::Encode(const Snapshot& snapshot, const EncodeOpts& opts) {
  // 1. What changed, family by family, as one list of (family header, series) pieces.
  std::vector<BatchFamily> changed;
  std::map<std::string, std::map<std::string, Last>, std::less<>> now;
  for (const FamilySnapshot& fam : snapshot.families) {
    if (fam.type == MetricType::kUnknown || skip_.count(fam.name) != 0) continue;
    const auto prev_family = last_.find(fam.name);
    auto& now_family = now[fam.name];
    BatchFamily out{.name = fam.name, .type = fam.type, .label_names = fam.label_names,
                    .bucket_bounds = fam.type == MetricType::kHistogram ? fam.bucket_bounds : std::vector<double>{}};
    for (const SeriesSnapshot& s : fam.series) {
      std::string key = detail::SeriesKey(s.label_values);
      const Last* prev = nullptr;
      if (prev_family != last_.end()) {
        const auto it = prev_family->second.find(key);
        if (it != prev_family->second.end()) prev = &it->second;
      }
      Last cur{.value = s.value, .sum = s.sum, .count = s.count, .buckets = s.bucket_counts};
      BatchSeries bs{.label_values = s.label_values};
      bool include = false;
      switch (fam.type) {
        case MetricType::kCounter:
          // A value below the last one means the series was reset: it starts again from zero.
          bs.value = prev != nullptr && s.value >= prev->value ? s.value - prev->value : s.value;
          include = prev == nullptr || bs.value > 0;
          break;
        case MetricType::kGauge:
          bs.value = s.value;
          include = true;
          break;
        default: {
          bool reset = prev == nullptr || prev->buckets.size() != s.bucket_counts.size() || s.count < prev->count;
          for (std::size_t i = 0; !reset && i < s.bucket_counts.size(); ++i) reset = s.bucket_counts[i] < prev->buckets[i];
          const std::size_t nb = s.bucket_counts.size();
          bs.bucket_deltas.resize(nb + 1);
          std::uint64_t below = 0;  // new observations in the buckets so far (cumulative)
          for (std::size_t i = 0; i <= nb; ++i) {
            const std::uint64_t cum_now = i < nb ? s.bucket_counts[i] : s.count;
            const std::uint64_t cum_prev = reset ? 0 : (i < nb ? prev->buckets[i] : prev->count);
            const std::uint64_t d = cum_now - cum_prev;
            bs.bucket_deltas[i] = d >= below ? d - below : 0;
            below = d >= below ? d : below;
          }
          bs.sum_delta = reset ? s.sum : s.sum - prev->sum;
          include = reset || s.count != prev->count;
          break;
        }
      }
      now_family.emplace(std::move(key), std::move(cur));
      if (include) out.series.push_back(std::move(bs));
    }
    if (!out.series.empty()) changed.push_back(std::move(out));
  }
  last_ = std::move(now);

  // 2. Pack the pieces into batches of at most max_batch_bytes (header: fixed part + 3 varints).
  std::vector<std::string> batches;
  Batch batch{.client = client_, .final = opts.final, .families = {}};
  batch.dropped_batches = opts.dropped_batches;
  const std::size_t header = kHeaderFixed + 10 + VarintSize(opts.dropped_batches) + 5;
  std::size_t size = header;
  auto flush = [&] {
    batch.sequence = next_sequence_++;
    std::string bytes;
    bytes.reserve(size);
    EncodeBatch(batch, bytes);
    batches.push_back(std::move(bytes));
    batch.families.clear();
    size = header;
  };
  for (BatchFamily& f : changed) {
    std::vector<BatchSeries> series = std::move(f.series);
    f.series.clear();
    const std::size_t fh = FamilyHeaderSize(f);
    std::size_t i = 0;
    while (i < series.size()) {
      if (size + fh + SeriesSize(f, series[i]) > max_batch_bytes_ && !batch.families.empty()) flush();
      BatchFamily& part = batch.families.emplace_back(BatchFamily{.name = f.name, .type = f.type,
                                                                  .label_names = f.label_names,
                                                                  .bucket_bounds = f.bucket_bounds});
      size += fh;
      // At least one series per part, so that an oversized series still travels (alone).
      do {
        size += SeriesSize(f, series[i]);
        part.series.push_back(std::move(series[i]));
        ++i;
      } while (i < series.size() && size + SeriesSize(f, series[i]) <= max_batch_bytes_);
    }
  }
  // The final flag must reach the server even when nothing changed.
  if (!batch.families.empty() || (opts.final && batches.empty())) flush();
  return batches;
}

}  // namespace golivekit::observability
