// libFuzzer target: ClientMetrics::Apply (decode, validate, merge) on arbitrary bytes.
//
// The input is one or more batches, concatenated: it is cut before every "GLKB" (the batch magic)
// after its start. Each piece is applied to a fresh engine (a small declared set, tight limits, no
// rate limit) at successive times, then applied again, as bytes and as a decoded Batch: a batch that
// was applied or was a duplicate is a duplicate the second time; a rejected one is rejected again, for
// the same reason. After all pieces
// the engine's own bounds hold, and a registry holding it gathers without dropping a family and
// exposes well-formed text or OpenMetrics.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_util.h"
#include "golivekit/observability/client_batch.h"
#include "golivekit/observability/client_metrics.h"
#include "golivekit/observability/encode.h"
#include "golivekit/observability/registry.h"

namespace obs = golivekit::observability;
using Outcome = obs::ApplyResult::Outcome;

namespace {

obs::ClientMetricsOpts Opts() {
  return {
      .metrics =
          {
              {.name = "c_total",
               .help = "A counter.",
               .type = obs::MetricType::kCounter,
               .labels = {"a"},
               .max_series = 3},
              {.name = "n_total", .help = "No labels.", .type = obs::MetricType::kCounter},
              {.name = "g_sum",
               .help = "Sum.",
               .type = obs::MetricType::kGauge,
               .labels = {"a"},
               .gauge_policy = obs::GaugePolicy::kSumLive,
               .max_series = 3},
              {.name = "g_max",
               .help = "Max.",
               .type = obs::MetricType::kGauge,
               .gauge_policy = obs::GaugePolicy::kMaxLive},
              {.name = "g_min",
               .help = "Min.",
               .type = obs::MetricType::kGauge,
               .gauge_policy = obs::GaugePolicy::kMinLive},
              {.name = "g_last",
               .help = "Last.",
               .type = obs::MetricType::kGauge,
               .labels = {"a"},
               .gauge_policy = obs::GaugePolicy::kLast,
               .max_series = 2},
              {.name = "h",
               .help = "A histogram.",
               .type = obs::MetricType::kHistogram,
               .labels = {"a", "b"},
               .buckets = {0.5, 1, 10},
               .native_bucket_factor = 2,
               .native_max_buckets = 8,
               .native_max_zero_threshold = 0.001,
               .max_series = 3},
              {.name = "nh",
               .help = "Native only.",
               .type = obs::MetricType::kHistogram,
               .buckets = {},
               .native_bucket_factor = 1.1,
               .native_max_buckets = 4},
          },
      .max_clients = 3,
      .client_ttl = std::chrono::seconds(4),
      .live_timeout = std::chrono::seconds(2),
      .max_label_value_length = 8,
      .rate_per_second = 0,
      .decode_limits = {.max_bytes = 8192,
                        .max_families = 16,
                        .max_series_per_family = 16,
                        .max_labels = 4,
                        .max_buckets = 8,
                        .max_native_buckets = 64,
                        .max_string_bytes = 32},
  };
}

std::vector<std::string_view> Pieces(std::string_view input) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t next = input.find("GLKB", start + 1);
    if (next == std::string_view::npos || out.size() == 15) break;
    out.push_back(input.substr(start, next - start));
    start = next;
  }
  out.push_back(input.substr(start));
  return out;
}

// Line structure of an exposition: every line ends with '\n', no line is empty, comments are HELP,
// TYPE (or UNIT) lines, a sample has a name, optional labels and a value after a space; OpenMetrics
// ends with "# EOF".
bool WellFormed(const std::string& text, obs::Format format) {
  if (format == obs::Format::kOpenMetrics) {
    if (text.size() < 6 || text.compare(text.size() - 6, 6, "# EOF\n") != 0) return false;
  }
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    if (end == std::string::npos || end == pos) return false;
    const std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    if (line.front() == '#') {
      if (line.rfind("# HELP ", 0) != 0 && line.rfind("# TYPE ", 0) != 0 && line.rfind("# UNIT ", 0) != 0 &&
          line != "# EOF") {
        return false;
      }
      continue;
    }
    const char c = line.front();
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':')) return false;
    // The value follows the last space outside the label set.
    const std::size_t close = line.rfind('}');
    const std::size_t space = line.find(' ', close == std::string_view::npos ? 0 : close);
    if (space == std::string_view::npos || space + 1 >= line.size()) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using Clock = obs::ClientMetrics::Clock;
  static const Clock::time_point t0 = Clock::now();
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto engine = obs::NewClientMetrics(Opts());
  GLK_FUZZ_CHECK(engine->status().ok());
  auto registry = obs::NewRegistry();
  GLK_FUZZ_CHECK(registry->Register(engine).ok());

  Clock::time_point now = t0;
  for (const std::string_view piece : Pieces(input)) {
    now += std::chrono::milliseconds(700);
    const obs::ApplyResult first = engine->Apply(piece, now);
    const obs::ApplyResult second = engine->Apply(piece, now + std::chrono::milliseconds(1));
    // A transport that decodes itself: the Batch overload agrees with the bytes one.
    obs::Batch decoded;
    const bool decodes = obs::DecodeBatch(piece, decoded, engine->opts().decode_limits).ok();
    // Not decodable: malformed, or a duplicate (Apply answers a (client, sequence) it has applied from
    // the header alone, before decoding the rest).
    GLK_FUZZ_CHECK(decodes || first.outcome == Outcome::kDuplicate ||
                   first.reason == obs::RejectReason::kMalformed ||
                   first.reason == obs::RejectReason::kUnsupportedVersion);
    if (first.accepted()) {
      GLK_FUZZ_CHECK(first.reason == obs::RejectReason::kNone);
      GLK_FUZZ_CHECK(second.outcome == Outcome::kDuplicate);
      GLK_FUZZ_CHECK(second.client == first.client && second.sequence == first.sequence);
    } else {
      GLK_FUZZ_CHECK(first.reason != obs::RejectReason::kNone);
      GLK_FUZZ_CHECK(!first.message.empty());
      GLK_FUZZ_CHECK(second.outcome == Outcome::kRejected);
      GLK_FUZZ_CHECK(second.reason == first.reason);
    }
    if (decodes) {
      const obs::ApplyResult third = engine->Apply(decoded, piece.size(), now + std::chrono::milliseconds(2));
      GLK_FUZZ_CHECK(third.outcome == second.outcome && third.reason == second.reason);
    }
  }

  GLK_FUZZ_CHECK(engine->tracked_clients() <= 3);
  GLK_FUZZ_CHECK(engine->live_clients(now) <= engine->tracked_clients());
  for (const obs::ClientMetricDecl& decl : engine->opts().metrics) {
    GLK_FUZZ_CHECK(engine->series_count(decl.name) <= decl.max_series);
  }
  std::vector<obs::FamilySnapshot> families;
  GLK_FUZZ_CHECK(engine->CollectAt(families, now).ok());
  // Merged native series: within -4..their declared schema, at most max(limit, the 266 that schema -4
  // can have) buckets, a zero threshold no client may widen past the declared one, and a count that is
  // their zero bucket plus every bucket.
  for (const obs::FamilySnapshot& f : families) {
    if (!f.native) continue;
    for (const obs::SeriesSnapshot& s : f.series) {
      const obs::NativeBuckets& n = s.native;
      GLK_FUZZ_CHECK(n.schema >= -4 && n.schema <= 3);
      GLK_FUZZ_CHECK(n.positive_counts.size() + n.negative_counts.size() <= 3 * 266);
      GLK_FUZZ_CHECK(n.zero_threshold > 0 && n.zero_threshold <= 2);
      std::uint64_t total = n.zero_count;
      for (const std::uint64_t c : n.positive_counts) total += c;
      for (const std::uint64_t c : n.negative_counts) total += c;
      GLK_FUZZ_CHECK(total == s.count);
    }
  }

  // One format per input (exposing costs more than applying): the parity of the size picks it.
  const obs::Format format = size % 2 == 0 ? obs::Format::kText : obs::Format::kOpenMetrics;
  GLK_FUZZ_CHECK(WellFormed(registry->Expose(format), format));
  GLK_FUZZ_CHECK(registry->dropped_families() == 0);
  GLK_FUZZ_CHECK(registry->failed_collects() == 0);
  return 0;
}
