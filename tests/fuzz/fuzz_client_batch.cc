// libFuzzer target: DecodeBatch on arbitrary bytes (versions 1 and 2, native blocks included).
//
// Properties: never crashes, leaks or reads out of bounds (ASan, UBSan); a failure leaves an empty
// batch and an InvalidArgument "batch: ..." message; a success re-encodes (EncodeBatch) to a batch that
// decodes to the same value, whose encoding is a fixed point and never longer than the input (the
// encoder writes the shortest varints); tighter limits never accept what the defaults refuse.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "golivekit/observability/client_batch.h"

namespace obs = golivekit::observability;

namespace {

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

bool SameFamily(const obs::BatchFamily& a, const obs::BatchFamily& b) {
  if (a.name != b.name || a.type != b.type || a.label_names != b.label_names || a.native != b.native)
    return false;
  if (a.bucket_bounds.size() != b.bucket_bounds.size() || a.series.size() != b.series.size()) return false;
  for (std::size_t i = 0; i < a.bucket_bounds.size(); ++i) {
    if (!SameBits(a.bucket_bounds[i], b.bucket_bounds[i])) return false;
  }
  for (std::size_t i = 0; i < a.series.size(); ++i) {
    const obs::BatchSeries& x = a.series[i];
    const obs::BatchSeries& y = b.series[i];
    if (x.label_values != y.label_values || !SameBits(x.value, y.value) ||
        x.bucket_deltas != y.bucket_deltas || !SameBits(x.sum_delta, y.sum_delta)) {
      return false;
    }
    const obs::NativeBuckets& n = x.native;
    const obs::NativeBuckets& m = y.native;
    if (n.schema != m.schema || !SameBits(n.zero_threshold, m.zero_threshold) ||
        n.zero_count != m.zero_count || n.positive_spans != m.positive_spans ||
        n.positive_counts != m.positive_counts || n.negative_spans != m.negative_spans ||
        n.negative_counts != m.negative_counts) {
      return false;
    }
  }
  return true;
}

bool SameBatch(const obs::Batch& a, const obs::Batch& b) {
  if (a.client != b.client || a.sequence != b.sequence || a.dropped_batches != b.dropped_batches ||
      a.final != b.final || a.families.size() != b.families.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.families.size(); ++i) {
    if (!SameFamily(a.families[i], b.families[i])) return false;
  }
  return true;
}

bool Empty(const obs::Batch& b) { return SameBatch(b, obs::Batch{}); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  obs::Batch batch;
  const obs::Status st = obs::DecodeBatch(bytes, batch);
  if (!st.ok()) {
    GLK_FUZZ_CHECK(st.code() == obs::StatusCode::kInvalidArgument);
    GLK_FUZZ_CHECK(st.message().rfind("batch: ", 0) == 0);
    GLK_FUZZ_CHECK(Empty(batch));
  } else {
    std::string encoded;
    obs::EncodeBatch(batch, encoded);
    GLK_FUZZ_CHECK(encoded.size() <= bytes.size());
    obs::Batch again;
    GLK_FUZZ_CHECK(obs::DecodeBatch(encoded, again).ok());
    GLK_FUZZ_CHECK(SameBatch(batch, again));
    std::string encoded_again;
    obs::EncodeBatch(again, encoded_again);
    GLK_FUZZ_CHECK(encoded_again == encoded);
  }

  // The limits the ingest endpoint uses by default, and very tight ones: a subset of what decodes above.
  const obs::DecodeLimits tight{.max_bytes = 4096,
                                .max_families = 3,
                                .max_series_per_family = 4,
                                .max_labels = 2,
                                .max_buckets = 3,
                                .max_string_bytes = 16};
  obs::Batch small;
  const obs::Status tight_st = obs::DecodeBatch(bytes, small, tight);
  if (tight_st.ok()) {
    GLK_FUZZ_CHECK(st.ok());
    GLK_FUZZ_CHECK(SameBatch(small, batch));
  } else {
    GLK_FUZZ_CHECK(Empty(small));
  }
  return 0;
}
