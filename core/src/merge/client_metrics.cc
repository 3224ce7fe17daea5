// The merge engine. docs/merge.md states the rules; the comments here say why they are kept this way.
//
// Apply works in two phases so that a batch is applied whole or not at all: phase 1 (Validate) decodes
// and validates everything and resolves every series to a target, touching nothing; phase 2 (Commit)
// only adds numbers and cannot fail.
#include "golivekit/observability/client_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <list>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "client_batch/series_key.h"
#include "golivekit/observability/detail/native_cells.h"
#include "golivekit/observability/detail/token_bucket.h"
#include "golivekit/observability/encode.h"
#include "golivekit/observability/names.h"
#include "message.h"
#include "record/declaration.h"
#include "record/native_buckets.h"
#include "snapshot/native_spans.h"
#include "snapshot/sort.h"

namespace golivekit::observability {

namespace {

constexpr std::string_view kOverflowValue = "__overflow__";
// Sequences remembered below a client's newest, one bit each (the newest itself is max_sequence).
constexpr std::uint64_t kWindow = 64;

// The `reason` label of golivekit_client_ingest_rejections_total, indexed by RejectReason.
constexpr std::string_view kReasonNames[kRejectReasonCount] = {
    "",
    "malformed",
    "unsupported_version",
    "invalid_declarations",
    "invalid_value",
    "invalid_label_value",
    "duplicate_series",
    "total_out_of_range",
    "value_out_of_range",
    "stale_sequence",
    "too_many_clients",
    "rate_limited",
    "body_too_large",
    "incomplete_body",
    "body_timeout",
    "unsupported_media_type",
    "unauthorized",
    "forbidden",
    "origin_not_allowed",
    "method_not_allowed",
    "shutting_down",
};
static_assert(kReasonNames[kRejectReasonCount - 1] == "shutting_down");

// The `reason` label of golivekit_client_ingest_skipped_families_total, indexed by SkipReason.
constexpr std::string_view kSkipReasonNames[kSkipReasonCount] = {
    "undeclared_metric",       "type_mismatch",          "label_mismatch",           "bucket_mismatch",
    "missing_classic_buckets", "missing_native_buckets", "zero_threshold_too_large",
};

// The `result` label of golivekit_client_ingest_batches_total, indexed by ApplyResult::Outcome.
using Outcome = ApplyResult::Outcome;
constexpr std::size_t kOutcomeCount = static_cast<std::size_t>(Outcome::kRejected) + 1;
constexpr std::string_view kOutcomeNames[kOutcomeCount] = {"applied", "duplicate", "rejected"};

constexpr std::size_t Index(Outcome outcome) { return static_cast<std::size_t>(outcome); }
constexpr std::size_t Index(RejectReason reason) { return static_cast<std::size_t>(reason); }
constexpr std::size_t kReasonCount = kRejectReasonCount;

// The largest count a histogram keeps: every integer up to 2^53 is exact as a double (what the
// exposition and PromQL compute with), and below it no sum of counts can wrap a 64-bit integer.
constexpr std::uint64_t kMaxExactCount = std::uint64_t{1} << 53;

// What the totals of one series would be after the series of a batch so far.
struct Projected {
  double value = 0;  // counter total
  double sum = 0;    // histogram sum
  std::uint64_t count = 0;
};

// Adds one series of a batch to `p`, or says why the totals would leave the range where they stay
// finite and exact (then `p` is left as it was). Phase 2 adds the same numbers in the same order, so
// what passes here cannot overflow there. `count` is a histogram series' count increment.
std::optional<std::string> Project(MetricType type, const BatchSeries& s, std::uint64_t count, Projected& p) {
  if (type == MetricType::kCounter) {
    const double total = p.value + s.value;
    if (!std::isfinite(total)) {
      return "the counter total would not be finite (" + FormatFloat(p.value) + " + " + FormatFloat(s.value) +
             ")";
    }
    p.value = total;
    return std::nullopt;
  }
  if (type != MetricType::kHistogram) return std::nullopt;
  if (count > kMaxExactCount - p.count) {
    return "the observation count would pass 2^53 (" + std::to_string(p.count) + " + " +
           std::to_string(count) + "), beyond which it is not exact";
  }
  const double sum = p.sum + s.sum_delta;
  if (!std::isfinite(sum)) {
    return "the histogram sum would not be finite (" + FormatFloat(p.sum) + " + " + FormatFloat(s.sum_delta) +
           ")";
  }
  p.count += count;
  p.sum = sum;
  return std::nullopt;
}

// The sum of `counts`, or nullopt past 2^53 (checked one at a time: a batch's counts may add up past 2^64).
std::optional<std::uint64_t> ExactSum(std::uint64_t start, const std::vector<std::uint64_t>& counts) {
  std::uint64_t total = start;
  if (total > kMaxExactCount) return std::nullopt;
  for (const std::uint64_t c : counts) {
    if (c > kMaxExactCount - total) return std::nullopt;
    total += c;
  }
  return total;
}

// The observation count increment of a histogram series' native block: zero bucket and every bucket.
std::optional<std::uint64_t> NativeCount(const NativeBuckets& n) {
  const auto positive = ExactSum(n.zero_count, n.positive_counts);
  return positive ? ExactSum(*positive, n.negative_counts) : std::nullopt;
}

// Bounds a layout can have: finite and strictly increasing (declared ones, and a client's).
bool FiniteIncreasing(const std::vector<double>& b) {
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (!std::isfinite(b[i]) || (i > 0 && !(b[i] > b[i - 1]))) return false;
  }
  return true;
}

std::string List(const std::vector<std::string>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s + "]";
}

// A series as messages name it: the family's name, then its label values unless it has none.
std::string SeriesName(const std::string& family, const std::vector<std::string>& values) {
  return values.empty() ? family : family + List(values);
}

// Why phase 1 refuses a batch, before the refusal is counted.
struct Problem {
  RejectReason reason;
  std::string message;
};

// Why phase 1 leaves a family out.
struct Skip {
  SkipReason reason;
  std::string message;
};

ApplyResult Rejection(RejectReason reason, std::string message) {
  ApplyResult r;
  r.outcome = Outcome::kRejected;
  r.reason = reason;
  r.message = std::move(message);
  return r;
}

ApplyResult Answer(Outcome outcome, const ClientId& client, std::uint64_t sequence) {
  ApplyResult r;
  r.outcome = outcome;
  r.client = client;
  r.sequence = sequence;
  return r;
}

// Where phase 1 resolved one series of a batch to: a series the metric has, the k-th series this batch
// creates for the metric, or the overflow series.
struct SeriesTarget {
  enum class Kind : std::uint8_t { kExisting, kNew, kOverflow };
  Kind kind = Kind::kOverflow;
  std::uint32_t index = 0;  // kExisting: the series; kNew: k; kOverflow: 0

  bool operator==(const SeriesTarget&) const = default;
};

// A client's gauge values are keyed by (metric, series), packed into one integer.
std::uint64_t GaugeKey(std::uint32_t metric, std::uint32_t series) {
  return (std::uint64_t{metric} << 32) | series;
}
std::size_t GaugeKeyMetric(std::uint64_t key) { return static_cast<std::size_t>(key >> 32); }
std::size_t GaugeKeySeries(std::uint64_t key) { return static_cast<std::size_t>(key & 0xffffffffu); }

// Folds the value of one more live client into a gauge series' value (`first`: the first such client).
void FoldGauge(GaugePolicy policy, double& folded, double value, bool first) {
  if (first) {
    folded = value;
  } else if (policy == GaugePolicy::kSumLive) {
    folded += value;
  } else if (policy == GaugePolicy::kMaxLive) {
    folded = std::max(folded, value);
  } else if (policy == GaugePolicy::kMinLive) {
    folded = std::min(folded, value);
  }
}

// The self-metrics, in the order Describe lists them.
struct SelfMetric {
  std::string_view name;
  std::string_view help;
  MetricType type;
  std::string_view label;  // "" for none
};
enum SelfMetricId : std::size_t {
  kBatchesTotal,
  kRejectionsTotal,
  kSkippedFamiliesTotal,
  kReceivedBytesTotal,
  kClients,
  kSeries,
  kOverflowSeriesTotal,
  kClientDroppedBatchesTotal,
  kSelfMetricCount,
};
constexpr SelfMetric kSelf[kSelfMetricCount] = {
    {"golivekit_client_ingest_batches_total",
     "Client batches received, by result (applied, duplicate, rejected).", MetricType::kCounter, "result"},
    {"golivekit_client_ingest_rejections_total", "Client batches rejected, by reason.", MetricType::kCounter,
     "reason"},
    {"golivekit_client_ingest_skipped_families_total",
     "Families left out of applied client batches (not matching their declaration), by reason.",
     MetricType::kCounter, "reason"},
    {"golivekit_client_ingest_received_bytes_total", "Bytes of client batches received.",
     MetricType::kCounter, ""},
    {"golivekit_client_ingest_clients",
     "Clients tracked for exactly-once delivery, and of those the live ones.", MetricType::kGauge, "state"},
    {"golivekit_client_ingest_series", "Series kept per client metric.", MetricType::kGauge, "metric"},
    {"golivekit_client_ingest_overflow_series_total",
     "Samples of client metrics that went to the overflow series (series limit reached).",
     MetricType::kCounter, "metric"},
    {"golivekit_client_ingest_client_dropped_batches_total",
     "Batches the clients report they dropped (buffer full, given up).", MetricType::kCounter, ""},
};

FamilySnapshot SelfFamily(SelfMetricId id) {
  const SelfMetric& m = kSelf[id];
  FamilySnapshot f{
      .name = std::string(m.name), .help = std::string(m.help), .type = m.type, .label_names = {}};
  if (!m.label.empty()) f.label_names.emplace_back(m.label);
  return f;
}

void Sample(FamilySnapshot& f, std::vector<std::string> values, double v) {
  f.series.push_back({.label_values = std::move(values), .value = v});
}

void SortSeries(std::vector<SeriesSnapshot>& series) {
  detail::SortBy(series, [](const SeriesSnapshot& a, const SeriesSnapshot& b) {
    return a.label_values < b.label_values;
  });
}

Status CheckOptions(const ClientMetricsOpts& opts) {
  if (opts.max_clients == 0) return InvalidArgument("max_clients must be at least 1");
  // At most a year: added to time points, a larger duration could overflow the clock's representation.
  constexpr std::chrono::seconds kMaxDuration = std::chrono::hours(24 * 366);
  if (opts.client_ttl.count() <= 0 || opts.live_timeout.count() <= 0 || opts.client_ttl > kMaxDuration ||
      opts.live_timeout > kMaxDuration) {
    return InvalidArgument("client_ttl and live_timeout must be positive and at most a year");
  }
  if (!(opts.rate_per_second >= 0) || !std::isfinite(opts.rate_per_second) || !(opts.rate_burst >= 1)) {
    return InvalidArgument("rate_per_second must be finite and >= 0, and rate_burst >= 1");
  }
  return {};
}

// The checks of a client metric beyond those of every family declaration (detail::CheckFamilyDecl).
Status CheckClientDecl(const ClientMetricDecl& d) {
  const auto refuse = [&](const char* why) {
    return detail::Fail(StatusCode::kInvalidArgument, "{}: {}", {d.name, why});
  };
  if (d.type != MetricType::kCounter && d.type != MetricType::kGauge && d.type != MetricType::kHistogram) {
    return refuse("a client metric is a counter, a gauge or a histogram");
  }
  if (d.max_series == 0) return refuse("max_series must be at least 1");
  if (d.type == MetricType::kCounter && !(d.max_increment > 0 && std::isfinite(d.max_increment))) {
    return refuse("max_increment must be finite and > 0");
  }
  if (d.type == MetricType::kGauge &&
      !(std::isfinite(d.min_value) && std::isfinite(d.max_value) && d.min_value <= d.max_value)) {
    return refuse("min_value and max_value must be finite, min_value <= max_value");
  }
  if (d.type != MetricType::kHistogram) return {};
  if (d.max_observations == 0) return refuse("max_observations must be at least 1");
  if (!(d.max_abs_observation > 0 && std::isfinite(d.max_abs_observation))) {
    return refuse("max_abs_observation must be finite and > 0");
  }
  if (!(d.native_bucket_factor == 0 ||
        (d.native_bucket_factor > 1 && std::isfinite(d.native_bucket_factor)))) {
    return refuse("native_bucket_factor must be 0 (off) or finite and > 1");
  }
  if (d.native_bucket_factor > 0 && d.native_max_buckets == 0)
    return refuse("native_max_buckets must be at least 1");
  if (!(d.native_max_zero_threshold >= 0) || !std::isfinite(d.native_max_zero_threshold)) {
    return refuse("native_max_zero_threshold must be finite and >= 0");
  }
  if (d.buckets.empty() && d.native_bucket_factor == 0) {
    return refuse("a histogram needs bucket bounds, native buckets (native_bucket_factor) or both");
  }
  if (!FiniteIncreasing(d.buckets)) return refuse("bucket bounds must be finite and strictly increasing");
  return {};
}

}  // namespace

std::string_view GaugePolicyName(GaugePolicy policy) noexcept {
  switch (policy) {
    case GaugePolicy::kSumLive:
      return "sum";
    case GaugePolicy::kMaxLive:
      return "max";
    case GaugePolicy::kMinLive:
      return "min";
    case GaugePolicy::kLast:
      return "last";
  }
  return "";
}

std::string_view RejectReasonName(RejectReason reason) noexcept {
  const auto i = static_cast<int>(reason);
  return i >= 0 && i < kRejectReasonCount ? kReasonNames[i] : std::string_view();
}

std::string_view SkipReasonName(SkipReason reason) noexcept {
  const auto i = static_cast<int>(reason);
  return i >= 0 && i < kSkipReasonCount ? kSkipReasonNames[i] : std::string_view();
}

// The merged native buckets of one series: only ever lowered in resolution, only ever widened in zero.
struct NativeState {
  std::int32_t schema = 0;
  double zero_threshold = kDefaultNativeZeroThreshold;
  std::uint64_t zero_count = 0;
  detail::BucketList positive = {};
  detail::BucketList negative = {};

  [[nodiscard]] std::size_t buckets() const { return positive.size() + negative.size(); }

  void Lower(std::int32_t to) {
    if (to >= schema) return;
    detail::LowerBuckets(positive, schema - to);
    detail::LowerBuckets(negative, schema - to);
    schema = to;
  }

  // Prometheus' rule: buckets that reach below the threshold join the zero bucket whole, and the
  // threshold rises to the upper bound of the last one, so that no bucket straddles it.
  void WidenZero(double threshold) {
    threshold = std::max(threshold, zero_threshold);
    for (bool moved = true; moved;) {
      moved = false;
      for (detail::BucketList* side : {&positive, &negative}) {
        std::size_t n = 0;
        while (n < side->size() && detail::NativeUpperBound((*side)[n].index - 1, schema) < threshold) {
          zero_count += (*side)[n].count;
          threshold = std::max(threshold, detail::NativeUpperBound((*side)[n].index, schema));
          ++n;
        }
        side->erase(side->begin(), side->begin() + static_cast<std::ptrdiff_t>(n));
        moved = moved || n > 0;
      }
    }
    zero_threshold = threshold;
  }

  // Adds a client's increments (its schema may be finer or coarser than this one), then keeps the limit.
  void Merge(const NativeBuckets& in, std::uint32_t max_buckets) {
    Lower(in.schema);
    zero_count += in.zero_count;
    AddSide(positive, in.positive_spans, in.positive_counts, in.schema);
    AddSide(negative, in.negative_spans, in.negative_counts, in.schema);
    WidenZero(in.zero_threshold);
    while (buckets() > max_buckets && schema > detail::kNativeSchemaMin) {
      Lower(schema - 1);
      WidenZero(zero_threshold);
    }
  }

  // Adds a client's buckets of one sign, lowered from its schema to this one, to `side` (both ascending).
  void AddSide(detail::BucketList& side, const std::vector<NativeSpan>& spans,
               const std::vector<std::uint64_t>& counts, std::int32_t from) const {
    detail::BucketCursor in(spans, counts, from - schema);
    detail::IndexedCount b{0, 0};
    if (!in.Next(b)) return;
    detail::BucketList merged;
    merged.reserve(side.size() + counts.size());
    bool more = true;
    for (std::size_t a = 0; a < side.size() || more;) {
      if (!more || (a < side.size() && side[a].index < b.index)) {
        merged.push_back(side[a++]);
        continue;
      }
      if (a < side.size() && side[a].index == b.index) b.count += side[a++].count;
      merged.push_back(b);
      more = in.Next(b);
    }
    side = std::move(merged);
  }

  void Expose(NativeBuckets& out) const {
    out.schema = schema;
    out.zero_threshold = zero_threshold;
    out.zero_count = zero_count;
    detail::WriteSpans(positive, out.positive_spans, out.positive_counts);
    detail::WriteSpans(negative, out.negative_spans, out.negative_counts);
  }
};

struct ClientMetrics::State {
  struct Series {
    std::vector<std::string> values = {};     // in the order of Metric::labels (ascending)
    double value = 0;                         // counter total; kLast gauge value
    bool has_last = false;                    // kLast: a value was received
    std::vector<std::uint64_t> buckets = {};  // classic histogram, per bucket (not cumulative), +Inf last
    double sum = 0;
    std::uint64_t count = 0;  // histogram: observations, at most kMaxExactCount
    NativeState native = {};  // native histogram
  };
  struct Metric {
    ClientMetricDecl decl;
    bool classic = false;                                  // histogram with classic buckets
    bool native = false;                                   // histogram with native buckets
    std::int32_t native_schema = 0;                        // the finest kept
    std::vector<std::string> labels;                       // ascending
    std::unordered_map<std::string, std::uint32_t> index;  // SeriesKey(values) -> series
    std::vector<Series> series;
    std::optional<std::uint32_t> overflow = std::nullopt;  // the overflow series, once made
    std::uint64_t overflowed = 0;

    std::uint32_t AddSeries(std::vector<std::string> values) {
      series.push_back({.values = std::move(values)});
      if (classic) series.back().buckets.assign(decl.buckets.size() + 1, 0);
      series.back().native.schema = native_schema;
      return static_cast<std::uint32_t>(series.size() - 1);
    }
    // Series the label sets of clients may still create: one of max_series is kept for the overflow.
    [[nodiscard]] bool HasRoomFor(std::size_t fresh) const {
      return series.size() - (overflow ? 1 : 0) + fresh + 1 < decl.max_series;
    }
  };
  struct Client;
  // A client's entry in the table: the LRU list points at it, so that walking the recent clients (the
  // live ones, at each scrape) needs no lookup.
  using ClientNode = std::pair<const ClientId, Client>;
  struct Client {
    Clock::time_point last_seen;
    std::uint64_t max_sequence = 0;
    std::uint64_t window = 0;  // bit i: max_sequence - 1 - i was applied
    std::uint64_t dropped = 0;
    bool ended = false;
    detail::TokenBucket rate;
    struct Gauge {
      double value;
      std::uint64_t sequence;  // of the batch that set it
    };
    // GaugeKey(metric, series) -> the client's value. Live policies: while the client is live and not
    // ended. kLast: only the sequence matters, kept after a final batch so a late older part loses.
    std::unordered_map<std::uint64_t, Gauge> gauges;
    std::list<ClientNode*>::iterator lru;

    // Older than the kWindow sequences below the newest: whether it was applied is not known any more.
    [[nodiscard]] bool Stale(std::uint64_t sequence) const {
      return sequence < max_sequence && max_sequence - sequence > kWindow;
    }
    // The newest was applied by definition (max_sequence only moves on an applied batch), so the window
    // spends its 64 bits on the 64 sequences below it.
    [[nodiscard]] bool Applied(std::uint64_t sequence) const {
      if (sequence > max_sequence || Stale(sequence)) return false;
      const std::uint64_t age = max_sequence - sequence;
      return age == 0 || ((window >> (age - 1)) & 1) != 0;
    }
    // `sequence` is neither applied nor stale.
    void MarkApplied(std::uint64_t sequence) {
      if (sequence == max_sequence) return;  // the newest is applied by definition
      if (sequence < max_sequence) {
        window |= std::uint64_t{1} << (max_sequence - sequence - 1);
        return;
      }
      const std::uint64_t shift = sequence - max_sequence;
      std::uint64_t moved = shift >= kWindow ? 0 : window << shift;
      // The old newest is now `shift` behind; a new client (max_sequence 0) has no old newest.
      if (max_sequence != 0 && shift <= kWindow) moved |= std::uint64_t{1} << (shift - 1);
      window = moved;
      max_sequence = sequence;
    }
  };
  // What phase 1 resolved one family of a batch to.
  struct FamilyPlan {
    std::uint32_t metric;
    const BatchFamily* family;
    std::vector<SeriesTarget> series;   // one per series of the family
    std::vector<std::uint64_t> counts;  // histograms: each series' count increment
    // Classic buckets of a client whose bounds are a superset of the declared ones: client bucket ->
    // declared bucket. Empty when the bounds are the declared ones.
    std::vector<std::uint32_t> bucket_map = {};
  };
  // The gauge values of the live clients, folded per metric and series by the metric's policy.
  struct LiveGauges {
    std::vector<std::vector<double>> value;
    std::vector<std::vector<std::uint32_t>> clients;  // live clients that sent a value
    std::size_t live_clients = 0;
  };

  explicit State(const ClientMetricsOpts& o) : opts(o) {}

  const ClientMetricsOpts& opts;
  std::vector<Metric> metrics;
  std::map<std::string, std::uint32_t, std::less<>> by_name;
  // Ordered, not hashed: the id is the client's choice, and a hostile client picking ids that share
  // their hashed bytes would turn every lookup into a scan of the table (under the mutex). 14
  // comparisons of 16 bytes for 10,000 clients, whatever the ids.
  std::map<ClientId, Client> clients;
  std::list<ClientNode*> lru;  // least recently seen first

  std::uint64_t batches[kOutcomeCount] = {};
  std::uint64_t rejections[kRejectReasonCount] = {};
  std::uint64_t skipped_families[kSkipReasonCount] = {};
  std::uint64_t received_bytes = 0;
  std::uint64_t client_dropped = 0;

  // --- declarations ----------------------------------------------------------------------------------

  // Adds the metric even when its declaration is invalid (the engine is then invalid as a whole), and
  // says what is wrong with it.
  Status Declare(const ClientMetricDecl& d) {
    Status problem = detail::CheckFamilyDecl(MetricTypeName(d.type), d.type, d.name, d.help, d.labels);
    if (problem.ok()) problem = CheckClientDecl(d);
    const bool histogram = d.type == MetricType::kHistogram;
    Metric m{.decl = d,
             .classic = histogram && !d.buckets.empty(),
             .native = histogram && d.native_bucket_factor > 1,
             .native_schema = 0,
             .labels = detail::SortLabels(d.labels).names,
             .index = {},
             .series = {}};
    if (!histogram) m.decl.buckets.clear();
    if (m.native) m.native_schema = detail::PickNativeSchema(d.native_bucket_factor);
    // An unlabelled metric is exposed from the start (0), as a server's own unlabelled metric is; max,
    // min and last have no value before a client sends one.
    if (m.labels.empty() && (d.type != MetricType::kGauge || d.gauge_policy == GaugePolicy::kSumLive)) {
      m.index.emplace(std::string(), m.AddSeries({}));
    }
    const auto idx = static_cast<std::uint32_t>(metrics.size());
    if (!by_name.emplace(d.name, idx).second && problem.ok())
      problem = detail::Fail(StatusCode::kInvalidArgument, "{}: declared twice", {d.name});
    metrics.push_back(std::move(m));
    return problem;
  }

  // --- reconfiguring --------------------------------------------------------------------------------

  // Whether a series merged under `a` can go on merging under `b`: what the exposed series are (type,
  // label names) and what a client's buckets are merged into (classic bounds, native resolution).
  // Help, gauge policy and limits may change under a series.
  static bool SameShape(const Metric& a, const Metric& b) {
    return a.decl.type == b.decl.type && a.labels == b.labels && a.decl.buckets == b.decl.buckets &&
           a.native == b.native && a.native_schema == b.native_schema;
  }

  // Takes over what `old` merged (this State is fresh, from new declarations): the series of every metric
  // of the same name and shape, every client with its window and the gauges it reported for those
  // metrics, and the self-metrics' counts.
  void Adopt(State& old, ReconfigureReport& report) {
    std::vector<std::optional<std::uint32_t>> moved(old.metrics.size());
    for (std::uint32_t i = 0; i < old.metrics.size(); ++i) {
      Metric& from = old.metrics[i];
      const auto it = by_name.find(from.decl.name);
      if (it == by_name.end()) {
        report.removed.push_back(from.decl.name);
        continue;
      }
      Metric& to = metrics[it->second];
      if (!SameShape(from, to)) {
        report.reset.push_back(from.decl.name);
        continue;
      }
      to.index = std::move(from.index);
      to.series = std::move(from.series);
      to.overflow = from.overflow;
      to.overflowed = from.overflowed;
      moved[i] = it->second;
      report.kept.push_back(from.decl.name);
    }
    for (const Metric& m : metrics) {
      if (!old.by_name.contains(m.decl.name)) report.added.push_back(m.decl.name);
    }
    clients.swap(old.clients);  // (swapped: the nodes, and the list's pointers to them, stay where they are)
    lru.swap(old.lru);
    for (auto& [id, c] : clients) RemapGauges(c, moved);
    std::copy(std::begin(old.batches), std::end(old.batches), std::begin(batches));
    std::copy(std::begin(old.rejections), std::end(old.rejections), std::begin(rejections));
    std::copy(std::begin(old.skipped_families), std::end(old.skipped_families), std::begin(skipped_families));
    received_bytes = old.received_bytes;
    client_dropped = old.client_dropped;
  }

  // A gauge value of a metric that was kept moves to the metric's new index (its series kept theirs);
  // one of a removed or reset metric goes with it.
  static void RemapGauges(Client& c, const std::vector<std::optional<std::uint32_t>>& moved) {
    std::unordered_map<std::uint64_t, Client::Gauge> gauges;
    for (const auto& [key, g] : c.gauges) {
      const auto metric = static_cast<std::uint32_t>(key >> 32);
      if (metric < moved.size() && moved[metric]) {
        gauges.emplace(GaugeKey(*moved[metric], static_cast<std::uint32_t>(key)), g);
      }
    }
    c.gauges = std::move(gauges);
  }

  // --- counting outcomes -----------------------------------------------------------------------------

  ApplyResult Reject(RejectReason reason, std::string message) {
    ++batches[Index(Outcome::kRejected)];
    ++rejections[Index(reason)];
    return Rejection(reason, std::move(message));
  }
  void CountDuplicate(Client& c, Clock::time_point now) {
    Touch(c, now);
    ++batches[Index(Outcome::kDuplicate)];
  }

  // --- the client table ------------------------------------------------------------------------------

  void Expire(Clock::time_point now) {
    while (!lru.empty() && lru.front()->second.last_seen + opts.client_ttl <= now) {
      const ClientId id = lru.front()->first;
      lru.pop_front();
      clients.erase(id);
    }
  }
  Client* FindClient(const ClientId& id) {
    const auto it = clients.find(id);
    return it == clients.end() ? nullptr : &it->second;
  }
  Client& AddClient(const ClientId& id, Clock::time_point now) {
    ClientNode& node = *clients.try_emplace(id).first;
    lru.push_back(&node);
    Client& c = node.second;
    c.lru = std::prev(lru.end());
    c.rate = detail::TokenBucket::Full(opts.rate_burst, now);
    return c;
  }
  void Touch(Client& c, Clock::time_point now) {
    c.last_seen = now;
    lru.splice(lru.end(), lru, c.lru);
  }

  // --- before phase 1: exactly once and admission ----------------------------------------------------

  // Counts a batch known by its header to be applied already, if it is (a client that expired without
  // Expire having run yet is not known any more).
  bool CountIfResent(const BatchHeader& header, std::size_t size, Clock::time_point now) {
    Client* c = FindClient(header.client);
    if (c == nullptr || c->last_seen + opts.client_ttl <= now || !c->Applied(header.sequence)) return false;
    received_bytes += size;
    CountDuplicate(*c, now);
    return true;
  }

  // Has this (client, sequence) been applied, or is it too old to know?
  std::optional<ApplyResult> CheckSequence(const Batch& batch, Client* client, Clock::time_point now) {
    if (client == nullptr) return std::nullopt;
    if (client->Stale(batch.sequence)) {
      return Reject(RejectReason::kStaleSequence,
                    "batch " + std::to_string(batch.sequence) + " of client " + ClientIdHex(batch.client) +
                        " is " + std::to_string(client->max_sequence - batch.sequence) +
                        " behind its latest, " + std::to_string(client->max_sequence) + " (only the " +
                        std::to_string(kWindow) + " below the latest are remembered)");
    }
    if (!client->Applied(batch.sequence)) return std::nullopt;
    CountDuplicate(*client, now);
    return Answer(Outcome::kDuplicate, batch.client, batch.sequence);
  }

  // The client table's limit and the client's rate.
  std::optional<ApplyResult> Admit(const Batch& batch, Client* client, Clock::time_point now) {
    if (client == nullptr && clients.size() >= opts.max_clients) {
      ApplyResult r = Reject(RejectReason::kTooManyClients,
                             "the server tracks " + std::to_string(clients.size()) + " clients, its limit");
      const auto oldest = lru.front()->second.last_seen + opts.client_ttl;
      r.retry_after = std::max(std::chrono::milliseconds(1000),
                               std::chrono::duration_cast<std::chrono::milliseconds>(oldest - now));
      return r;
    }
    if (client == nullptr || opts.rate_per_second <= 0) return std::nullopt;
    // Refilling changes nothing a rejection would have to undo; the token is taken only once the batch
    // is applied.
    client->rate.Refill(now, opts.rate_per_second, opts.rate_burst);
    if (const auto wait = client->rate.Wait(opts.rate_per_second); wait.count() > 0) {
      ApplyResult r =
          Reject(RejectReason::kRateLimited, "client " + ClientIdHex(batch.client) + " sends faster than " +
                                                 std::to_string(opts.rate_per_second) + " batches/s");
      r.retry_after = wait;
      return r;
    }
    return std::nullopt;
  }

  // --- phase 1: validate everything and resolve every series; nothing changes ------------------------

  std::optional<Problem> Validate(const Batch& batch, std::vector<FamilyPlan>& plan,
                                  std::vector<SkippedFamily>& skipped) const {
    plan.reserve(batch.families.size());
    std::unordered_set<std::string_view> seen;
    for (const BatchFamily& f : batch.families) {
      if (!seen.insert(f.name).second) {
        return Problem{RejectReason::kDuplicateSeries, f.name + ": family twice in one batch"};
      }
      // Every value is checked, in skipped families too: a client sending NaN is broken or hostile.
      // Bounds that cannot be right in any layout are such a value, not deploy skew.
      if (f.type == MetricType::kHistogram && !FiniteIncreasing(f.bucket_bounds)) {
        return Problem{RejectReason::kInvalidValue,
                       f.name + ": bucket bounds must be finite and strictly increasing"};
      }
      std::vector<std::uint64_t> counts;
      for (const BatchSeries& series : f.series) {
        if (auto problem = CheckSeriesValues(f, series, counts)) return problem;
      }
      const auto it = by_name.find(f.name);
      std::optional<Skip> skip;
      std::vector<std::uint32_t> bucket_map;
      if (it == by_name.end()) {
        skip = Skip{SkipReason::kUndeclaredMetric, f.name + ": not a client metric this server accepts"};
      } else {
        skip = CheckDeclared(f, metrics[it->second], bucket_map);
      }
      if (skip) {
        skipped.push_back({.metric = f.name, .reason = skip->reason, .message = std::move(skip->message)});
        continue;
      }
      if (auto problem = CheckContribution(f, metrics[it->second].decl, counts)) return problem;
      FamilyPlan& p = plan.emplace_back(FamilyPlan{.metric = it->second,
                                                   .family = &f,
                                                   .series = {},
                                                   .counts = std::move(counts),
                                                   .bucket_map = std::move(bucket_map)});
      if (auto problem = ResolveFamily(f, metrics[it->second], p)) return problem;
    }
    return std::nullopt;
  }

  static std::optional<Skip> CheckDeclared(const BatchFamily& f, const Metric& m,
                                           std::vector<std::uint32_t>& bucket_map) {
    if (f.type != m.decl.type) {
      return Skip{SkipReason::kTypeMismatch, f.name + ": sent as a " + std::string(MetricTypeName(f.type)) +
                                                 ", declared as a " +
                                                 std::string(MetricTypeName(m.decl.type))};
    }
    if (f.label_names != m.labels) {
      return Skip{SkipReason::kLabelMismatch, f.name + ": label names " + List(f.label_names) +
                                                  " differ from the declared " + List(m.labels)};
    }
    if (f.type != MetricType::kHistogram) return std::nullopt;
    if (m.classic && !f.classic()) {
      return Skip{SkipReason::kMissingClassicBuckets,
                  f.name + ": declared with classic buckets, sent without"};
    }
    if (m.native && !f.native) {
      return Skip{SkipReason::kMissingNativeBuckets, f.name + ": declared with native buckets, sent without"};
    }
    if (m.classic && f.bucket_bounds != m.decl.buckets &&
        !MapBuckets(f.bucket_bounds, m.decl.buckets, bucket_map)) {
      return Skip{SkipReason::kBucketMismatch, f.name + ": " + std::to_string(f.bucket_bounds.size()) +
                                                   " bucket bounds differ from the declared layout (" +
                                                   std::to_string(m.decl.buckets.size()) +
                                                   " bounds) and do not include all of its bounds"};
    }
    if (m.native) {
      for (const BatchSeries& s : f.series) {
        if (s.native.zero_threshold > m.decl.native_max_zero_threshold) {
          return Skip{SkipReason::kZeroThresholdTooLarge,
                      f.name + ": native zero threshold " + FormatFloat(s.native.zero_threshold) +
                          " above the accepted " + FormatFloat(m.decl.native_max_zero_threshold)};
        }
      }
    }
    return std::nullopt;
  }

  // When the declared bounds are all among a client's (both strictly increasing), each client bucket
  // lies within one declared bucket: `map` says which. False if a declared bound is missing.
  static bool MapBuckets(const std::vector<double>& client, const std::vector<double>& declared,
                         std::vector<std::uint32_t>& map) {
    map.assign(client.size() + 1, static_cast<std::uint32_t>(declared.size()));  // +Inf by default
    std::size_t d = 0;
    for (std::size_t c = 0; c < client.size(); ++c) {
      if (d < declared.size() && declared[d] < client[c]) return false;  // a declared bound skipped
      map[c] = static_cast<std::uint32_t>(d);
      if (d < declared.size() && declared[d] == client[c]) ++d;
    }
    return d == declared.size();
  }

  // What each series of a declared family contributes, against its declaration's limits; `counts` are
  // a histogram's observation count increments, one per series. Checked on the increments as sent, so
  // the limit is per batch whatever the series holds already.
  static std::optional<Problem> CheckContribution(const BatchFamily& f, const ClientMetricDecl& d,
                                                  const std::vector<std::uint64_t>& counts) {
    for (std::size_t i = 0; i < f.series.size(); ++i) {
      const BatchSeries& s = f.series[i];
      const auto beyond = [&](const char* what, double value, const char* limit, double bound) {
        return Problem{RejectReason::kValueOutOfRange, SeriesName(f.name, s.label_values) + ": " + what +
                                                           " " + FormatFloat(value) + " is beyond " + limit +
                                                           " " + FormatFloat(bound) +
                                                           " (what one batch may contribute)"};
      };
      switch (d.type) {
        case MetricType::kCounter:
          if (s.value > d.max_increment)
            return beyond("increment", s.value, "max_increment", d.max_increment);
          break;
        case MetricType::kGauge:
          if (s.value < d.min_value) return beyond("value", s.value, "min_value", d.min_value);
          if (s.value > d.max_value) return beyond("value", s.value, "max_value", d.max_value);
          break;
        default: {
          const std::uint64_t n = counts[i];
          if (n > d.max_observations) {
            return beyond("observation count", static_cast<double>(n), "max_observations",
                          static_cast<double>(d.max_observations));
          }
          // |sum| <= n * max_abs_observation in doubles: the sum is finite (checked above); a product
          // that rounds, or overflows to +Inf, lets through no more than n observations could bring.
          if (std::fabs(s.sum_delta) > static_cast<double>(n) * d.max_abs_observation) {
            return beyond("|sum increment|", std::fabs(s.sum_delta), "count * max_abs_observation",
                          static_cast<double>(n) * d.max_abs_observation);
          }
          break;
        }
      }
    }
    return std::nullopt;
  }

  // Histograms: appends the series' count increment to `counts`.
  std::optional<Problem> CheckSeriesValues(const BatchFamily& f, const BatchSeries& s,
                                           std::vector<std::uint64_t>& counts) const {
    for (const std::string& v : s.label_values) {
      if (v.size() > opts.max_label_value_length) {
        return Problem{RejectReason::kInvalidLabelValue,
                       f.name + ": a label value of " + std::to_string(v.size()) + " bytes (limit " +
                           std::to_string(opts.max_label_value_length) + ")"};
      }
      if (!IsValidUtf8(v))
        return Problem{RejectReason::kInvalidLabelValue, f.name + ": a label value is not UTF-8"};
    }
    switch (f.type) {
      case MetricType::kCounter:
        if (!std::isfinite(s.value) || s.value < 0) {
          return Problem{
              RejectReason::kInvalidValue,
              f.name + ": counter increment " + std::to_string(s.value) + " (must be finite and >= 0)"};
        }
        break;
      case MetricType::kGauge:
        if (!std::isfinite(s.value))
          return Problem{RejectReason::kInvalidValue, f.name + ": gauge value is not finite"};
        break;
      default: {
        std::uint64_t count = 0;
        if (auto problem = CheckHistogramValues(f, s, count)) return problem;
        counts.push_back(count);
        break;
      }
    }
    return std::nullopt;
  }

  // `count`: the series' count increment. A family with both kinds gives it twice and must agree; one
  // whose declaration lacks the kind it sent is skipped, so this count is the one the merge keeps.
  static std::optional<Problem> CheckHistogramValues(const BatchFamily& f, const BatchSeries& s,
                                                     std::uint64_t& count) {
    if (!std::isfinite(s.sum_delta)) {
      return Problem{RejectReason::kInvalidValue, f.name + ": histogram sum increment is not finite"};
    }
    const auto classic = ExactSum(0, s.bucket_deltas);
    if (!classic) {
      return Problem{
          RejectReason::kTotalOutOfRange,
          SeriesName(f.name, s.label_values) + ": the observation count increment of one batch passes 2^53"};
    }
    count = *classic;
    if (!f.native) return std::nullopt;
    if (!(s.native.zero_threshold >= 0) || !std::isfinite(s.native.zero_threshold)) {
      return Problem{RejectReason::kInvalidValue, f.name + ": native zero threshold is not finite and >= 0"};
    }
    const auto native = NativeCount(s.native);
    if (!native) {
      return Problem{
          RejectReason::kTotalOutOfRange,
          SeriesName(f.name, s.label_values) + ": the observation count increment of one batch passes 2^53"};
    }
    if (f.classic() && *classic != *native) {
      return Problem{RejectReason::kInvalidValue, SeriesName(f.name, s.label_values) + ": " +
                                                      std::to_string(*native) + " native observations, " +
                                                      std::to_string(*classic) +
                                                      " classic ones (a histogram counts each in both)"};
    }
    count = *native;
    return std::nullopt;
  }

  // The series a batch's label values go to; `fresh` holds the series this batch creates so far.
  static SeriesTarget Resolve(const Metric& m, const BatchSeries& s,
                              std::unordered_map<std::string, std::uint32_t>& fresh) {
    // A client naming the overflow series itself joins it; as a series of its own it would clash.
    const bool names_overflow =
        !m.labels.empty() && std::all_of(s.label_values.begin(), s.label_values.end(),
                                         [](const std::string& v) { return v == kOverflowValue; });
    if (names_overflow) return {.kind = SeriesTarget::Kind::kOverflow};
    std::string key = detail::SeriesKey(s.label_values);
    if (const auto e = m.index.find(key); e != m.index.end()) {
      return {.kind = SeriesTarget::Kind::kExisting, .index = e->second};
    }
    if (const auto n = fresh.find(key); n != fresh.end())
      return {.kind = SeriesTarget::Kind::kNew, .index = n->second};
    if (!m.HasRoomFor(fresh.size())) return {.kind = SeriesTarget::Kind::kOverflow};
    const auto k = static_cast<std::uint32_t>(fresh.size());
    fresh.emplace(std::move(key), k);
    return {.kind = SeriesTarget::Kind::kNew, .index = k};
  }

  std::optional<Problem> ResolveFamily(const BatchFamily& f, const Metric& m, FamilyPlan& plan) const {
    std::vector<SeriesTarget>& targets = plan.series;
    targets.reserve(f.series.size());
    std::unordered_map<std::string, std::uint32_t> fresh;  // new series of this batch, by key -> k
    // The overflow series is the one series several of a family's series may add to in one batch.
    std::optional<Projected> overflow_totals;
    for (std::size_t i = 0; i < f.series.size(); ++i) {
      const BatchSeries& s = f.series[i];
      const SeriesTarget target = Resolve(m, s, fresh);
      const bool to_overflow = target.kind == SeriesTarget::Kind::kOverflow;
      if (!to_overflow && std::find(targets.begin(), targets.end(), target) != targets.end()) {
        return Problem{RejectReason::kDuplicateSeries, f.name + ": the same series twice in one batch"};
      }
      // Checked against the current totals, so a batch that would push one out of range changes nothing.
      if (to_overflow && !overflow_totals) overflow_totals = OverflowTotals(m);
      Projected one =
          target.kind == SeriesTarget::Kind::kExisting ? Totals(m.series[target.index]) : Projected{};
      const std::uint64_t count = plan.counts.empty() ? 0 : plan.counts[i];
      if (auto why = Project(m.decl.type, s, count, to_overflow ? *overflow_totals : one)) {
        return Problem{RejectReason::kTotalOutOfRange, SeriesName(f.name, s.label_values) + ": " + *why};
      }
      targets.push_back(target);
    }
    return std::nullopt;
  }

  static Projected Totals(const Series& s) { return {.value = s.value, .sum = s.sum, .count = s.count}; }
  static Projected OverflowTotals(const Metric& m) {
    return m.overflow ? Totals(m.series[*m.overflow]) : Projected{};
  }

  // --- phase 2: apply; nothing below can fail on input -----------------------------------------------

  void Commit(const Batch& batch, const std::vector<FamilyPlan>& plan,
              const std::vector<SkippedFamily>& skipped, Client* known, Clock::time_point now) {
    Client& client = known != nullptr ? *known : AddClient(batch.client, now);
    RecordBatch(client, batch, now);
    for (const FamilyPlan& p : plan) AddFamily(p, client, batch.sequence);
    for (const SkippedFamily& f : skipped) ++skipped_families[static_cast<std::size_t>(f.reason)];
    ++batches[Index(Outcome::kApplied)];
  }

  // What the client's state keeps of an applied batch: its sequence, its rate, its drops, its end.
  void RecordBatch(Client& client, const Batch& batch, Clock::time_point now) {
    if (opts.rate_per_second > 0) client.rate.Take();
    client.MarkApplied(batch.sequence);
    Touch(client, now);
    if (batch.dropped_batches > client.dropped) {
      client_dropped += batch.dropped_batches - client.dropped;
      client.dropped = batch.dropped_batches;
    }
    if (batch.final) EndLiveGauges(client);
  }

  // A final batch ends the client's live gauges at once; a part of it that arrives later must not
  // revive them (`ended` stays). kLast entries stay: they only say which sequence set the value.
  void EndLiveGauges(Client& client) {
    client.ended = true;
    std::erase_if(client.gauges, [&](const auto& g) {
      return metrics[GaugeKeyMetric(g.first)].decl.gauge_policy != GaugePolicy::kLast;
    });
  }

  void AddFamily(const FamilyPlan& p, Client& client, std::uint64_t sequence) {
    Metric& m = metrics[p.metric];
    std::vector<std::uint32_t> created;  // k -> index of the k-th new series
    for (std::size_t i = 0; i < p.family->series.size(); ++i) {
      const BatchSeries& s = p.family->series[i];
      const std::uint32_t idx = SeriesIndex(m, p.series[i], s, created);
      if (m.decl.type == MetricType::kHistogram) {
        AddToHistogram(m, m.series[idx], p, s, p.counts[i]);
      } else {
        AddToSeries(p.metric, idx, s, client, sequence);
      }
    }
  }

  // The series phase 1 resolved `target` to, made now if it is new.
  static std::uint32_t SeriesIndex(Metric& m, SeriesTarget target, const BatchSeries& s,
                                   std::vector<std::uint32_t>& created) {
    switch (target.kind) {
      case SeriesTarget::Kind::kExisting:
        return target.index;
      case SeriesTarget::Kind::kNew:
        if (target.index == created.size()) {
          created.push_back(m.AddSeries(s.label_values));
          m.index.emplace(detail::SeriesKey(s.label_values), created.back());
        }
        return created[target.index];
      case SeriesTarget::Kind::kOverflow:
        break;
    }
    if (!m.overflow)
      m.overflow = m.AddSeries(std::vector<std::string>(m.labels.size(), std::string(kOverflowValue)));
    ++m.overflowed;
    return *m.overflow;
  }

  void AddToSeries(std::uint32_t metric, std::uint32_t idx, const BatchSeries& s, Client& client,
                   std::uint64_t sequence) {
    Metric& m = metrics[metric];
    Series& ser = m.series[idx];
    switch (m.decl.type) {
      case MetricType::kCounter:
        ser.value += s.value;
        break;
      default:
        SetGauge(m, ser, client, GaugeKey(metric, idx), s.value, sequence);
        break;
    }
  }

  // Phase 1 projected the count: every count stays within kMaxExactCount.
  void AddToHistogram(const Metric& m, Series& ser, const FamilyPlan& p, const BatchSeries& s,
                      std::uint64_t count) {
    if (m.classic) {
      for (std::size_t b = 0; b < s.bucket_deltas.size(); ++b) {
        ser.buckets[p.bucket_map.empty() ? b : p.bucket_map[b]] += s.bucket_deltas[b];
      }
    }
    if (m.native) ser.native.Merge(s.native, m.decl.native_max_buckets);
    ser.count += count;
    ser.sum += s.sum_delta;
  }

  // A client's current value of a gauge series is the one of its highest sequence: batches may arrive
  // out of order (the unload flush sends several at once), and a late older one must not win.
  static void SetGauge(const Metric& m, Series& ser, Client& c, std::uint64_t key, double value,
                       std::uint64_t sequence) {
    const bool last = m.decl.gauge_policy == GaugePolicy::kLast;
    if (c.ended && !last) return;  // its live values are gone for good
    const auto [g, fresh] = c.gauges.try_emplace(key, Client::Gauge{value, sequence});
    if (!fresh && g->second.sequence > sequence) return;
    g->second = {value, sequence};
    if (last) {
      ser.value = value;
      ser.has_last = true;
    }
  }

  // --- collection ------------------------------------------------------------------------------------

  LiveGauges FoldLiveGauges(Clock::time_point now) const {
    LiveGauges live;
    live.value.resize(metrics.size());
    live.clients.resize(metrics.size());
    for (std::size_t i = 0; i < metrics.size(); ++i) {
      live.value[i].assign(metrics[i].series.size(), 0);
      live.clients[i].assign(metrics[i].series.size(), 0);
    }
    ForEachLiveClient(now, [&](const Client& c) {
      ++live.live_clients;
      for (const auto& [key, g] : c.gauges) {
        const std::size_t mi = GaugeKeyMetric(key);
        const std::size_t si = GaugeKeySeries(key);
        const GaugePolicy policy = metrics[mi].decl.gauge_policy;
        if (policy == GaugePolicy::kLast) continue;  // exposed from the series itself
        FoldGauge(policy, live.value[mi][si], g.value, live.clients[mi][si] == 0);
        ++live.clients[mi][si];
      }
    });
    return live;
  }

  // The live clients, most recently seen first: the LRU list from its end, down to the first client
  // seen too long ago (all before it were seen earlier still). A scrape walks the live clients, not
  // every client tracked.
  template <typename Visit>
  void ForEachLiveClient(Clock::time_point now, Visit visit) const {
    for (auto it = lru.rbegin(); it != lru.rend(); ++it) {
      const Client& c = (*it)->second;
      if (c.last_seen + opts.live_timeout <= now) break;
      if (!c.ended) visit(c);
    }
  }

  FamilySnapshot MergedFamily(std::size_t mi, const LiveGauges& live) const {
    const Metric& m = metrics[mi];
    FamilySnapshot f{.name = m.decl.name,
                     .help = m.decl.help,
                     .type = m.decl.type,
                     .label_names = m.labels,
                     .bucket_bounds = m.decl.buckets,
                     .native = m.native,
                     .series = {}};
    f.series.reserve(m.series.size());
    for (std::size_t si = 0; si < m.series.size(); ++si) {
      if (auto s = MergedSeries(m, m.series[si], live.value[mi][si], live.clients[mi][si])) {
        f.series.push_back(std::move(*s));
      }
    }
    SortSeries(f.series);
    return f;
  }

  // A series as exposed; nullopt for a gauge series that has no value now.
  static std::optional<SeriesSnapshot> MergedSeries(const Metric& m, const Series& s, double live_value,
                                                    std::uint32_t live_clients) {
    SeriesSnapshot o{.label_values = s.values};
    switch (m.decl.type) {
      case MetricType::kCounter:
        o.value = s.value;
        break;
      case MetricType::kGauge:
        if (m.decl.gauge_policy == GaugePolicy::kLast) {
          if (!s.has_last) return std::nullopt;
          o.value = s.value;
        } else if (live_clients == 0) {
          if (m.decl.gauge_policy != GaugePolicy::kSumLive) return std::nullopt;
          o.value = 0;
        } else {
          o.value = live_value;
        }
        break;
      default:
        SetCumulativeBuckets(s, m.decl.buckets.size(), o);
        if (m.native) s.native.Expose(o.native);
        o.sum = s.sum;
        o.count = s.count;
        break;
    }
    return o;
  }

  static void SetCumulativeBuckets(const Series& s, std::size_t bounds, SeriesSnapshot& o) {
    o.bucket_counts.resize(bounds);
    std::uint64_t cum = 0;
    for (std::size_t b = 0; b < bounds && b < s.buckets.size(); ++b) {
      cum += s.buckets[b];  // at most the count, itself at most 2^53
      o.bucket_counts[b] = cum;
    }
  }

  void AppendSelfMetrics(std::vector<FamilySnapshot>& out, std::size_t live_clients) const {
    FamilySnapshot results = SelfFamily(kBatchesTotal);
    for (std::size_t o = 0; o < kOutcomeCount; ++o) {
      Sample(results, {std::string(kOutcomeNames[o])}, static_cast<double>(batches[o]));
    }
    FamilySnapshot reasons = SelfFamily(kRejectionsTotal);
    for (std::size_t r = Index(RejectReason::kNone) + 1; r < kReasonCount; ++r) {
      Sample(reasons, {std::string(kReasonNames[r])}, static_cast<double>(rejections[r]));
    }
    SortSeries(reasons.series);
    FamilySnapshot skips = SelfFamily(kSkippedFamiliesTotal);
    for (std::size_t r = 0; r < kSkipReasonCount; ++r) {
      Sample(skips, {std::string(kSkipReasonNames[r])}, static_cast<double>(skipped_families[r]));
    }
    SortSeries(skips.series);
    FamilySnapshot bytes = SelfFamily(kReceivedBytesTotal);
    Sample(bytes, {}, static_cast<double>(received_bytes));
    FamilySnapshot tracked = SelfFamily(kClients);
    Sample(tracked, {"live"}, static_cast<double>(live_clients));
    Sample(tracked, {"tracked"}, static_cast<double>(clients.size()));
    FamilySnapshot series = SelfFamily(kSeries);
    FamilySnapshot overflow = SelfFamily(kOverflowSeriesTotal);
    for (const Metric& m : metrics) {
      Sample(series, {m.decl.name}, static_cast<double>(m.series.size()));
      Sample(overflow, {m.decl.name}, static_cast<double>(m.overflowed));
    }
    SortSeries(series.series);
    SortSeries(overflow.series);
    FamilySnapshot dropped = SelfFamily(kClientDroppedBatchesTotal);
    Sample(dropped, {}, static_cast<double>(client_dropped));
    for (FamilySnapshot* f : {&results, &reasons, &skips, &bytes, &tracked, &series, &overflow, &dropped}) {
      out.push_back(std::move(*f));
    }
  }
};

ClientMetrics::ClientMetrics(ClientMetricsOpts opts)
    : opts_(std::move(opts)), state_(std::make_unique<State>(opts_)) {
  status_ = CheckOptions(opts_);
  for (const ClientMetricDecl& d : opts_.metrics) {
    if (Status st = state_->Declare(d); !st.ok() && status_.ok()) status_ = std::move(st);
  }
  if (!status_.ok())
    status_ = detail::Fail(StatusCode::kInvalidArgument, "client metrics: {}", {status_.message()});
}

ClientMetrics::~ClientMetrics() = default;

// The new declarations are checked whole before anything changes (a second engine is built from
// them), so a refused configuration leaves this one serving as it was.
Status ClientMetrics::Reconfigure(ClientMetricsOpts opts, ReconfigureReport* report) {
  if (Status checked = ClientMetrics(opts).status(); !checked.ok()) return checked;
  ReconfigureReport local;
  std::lock_guard lock(mu_);
  auto fresh = std::make_unique<State>(opts_);
  // `fresh` refers to opts_, which takes the new options below; `state_` only needs its own metrics'
  // declarations (copies) until it is dropped.
  opts_ = std::move(opts);
  for (const ClientMetricDecl& d : opts_.metrics) (void)fresh->Declare(d);
  fresh->Adopt(*state_, local);
  state_ = std::move(fresh);
  status_ = {};
  if (report != nullptr) *report = std::move(local);
  return {};
}

std::shared_ptr<ClientMetrics> NewClientMetrics(ClientMetricsOpts opts) {
  return std::make_shared<ClientMetrics>(std::move(opts));
}

void ClientMetrics::CountRejection(RejectReason reason, std::size_t received_bytes) {
  std::lock_guard lock(mu_);
  state_->batches[Index(Outcome::kRejected)]++;
  state_->rejections[Index(reason) % kReasonCount]++;
  state_->received_bytes += received_bytes;
}

ApplyResult ClientMetrics::Apply(std::string_view bytes, Clock::time_point now) {
  // A resent batch (a retry, an unload beacon racing a request) is known from its header alone: answer
  // it without decoding the rest. Clients resend the same bytes, so nothing is lost by not looking.
  if (bytes.size() <= opts_.decode_limits.max_bytes) {
    if (const std::optional<BatchHeader> header = PeekBatchHeader(bytes)) {
      std::lock_guard lock(mu_);
      if (state_->CountIfResent(*header, bytes.size(), now)) {
        return Answer(Outcome::kDuplicate, header->client, header->sequence);
      }
    }
  }
  Batch batch;
  if (const Status st = DecodeBatch(bytes, batch, opts_.decode_limits); !st.ok()) {
    const bool other_version = !ReadsBatchVersion(PeekBatchVersion(bytes).value_or(kBatchVersion));
    const RejectReason reason = other_version ? RejectReason::kUnsupportedVersion : RejectReason::kMalformed;
    CountRejection(reason, bytes.size());
    return Rejection(reason, st.message());
  }
  return Apply(batch, bytes.size(), now);
}

ApplyResult ClientMetrics::Apply(const Batch& batch, std::size_t received_bytes, Clock::time_point now) {
  std::lock_guard lock(mu_);
  State& st = *state_;
  st.received_bytes += received_bytes;
  if (!status_.ok()) return st.Reject(RejectReason::kInvalidDeclarations, status_.message());
  if (batch.sequence == 0)
    return st.Reject(RejectReason::kMalformed, "batch: sequence 0 (sequences start at 1)");
  st.Expire(now);
  State::Client* client = st.FindClient(batch.client);
  if (auto answer = st.CheckSequence(batch, client, now)) return *std::move(answer);
  if (auto refusal = st.Admit(batch, client, now)) return *std::move(refusal);
  std::vector<State::FamilyPlan> plan;
  std::vector<SkippedFamily> skipped;
  if (auto problem = st.Validate(batch, plan, skipped))
    return st.Reject(problem->reason, std::move(problem->message));
  st.Commit(batch, plan, skipped, client, now);
  ApplyResult applied = Answer(Outcome::kApplied, batch.client, batch.sequence);
  applied.skipped = std::move(skipped);
  return applied;
}

std::size_t ClientMetrics::tracked_clients() const {
  std::lock_guard lock(mu_);
  return state_->clients.size();
}

std::size_t ClientMetrics::live_clients(Clock::time_point now) const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  state_->ForEachLiveClient(now, [&n](const State::Client&) { ++n; });
  return n;
}

std::size_t ClientMetrics::series_count(std::string_view metric) const {
  std::lock_guard lock(mu_);
  const auto it = state_->by_name.find(metric);
  return it == state_->by_name.end() ? 0 : state_->metrics[it->second].series.size();
}

std::vector<Descriptor> ClientMetrics::Describe() const {
  std::vector<Descriptor> d;
  for (const State::Metric& m : state_->metrics) {
    d.push_back(
        {.name = m.decl.name, .help = m.decl.help, .type = m.decl.type, .label_names = m.decl.labels});
  }
  for (std::size_t id = 0; id < kSelfMetricCount; ++id) {
    const FamilySnapshot f = SelfFamily(static_cast<SelfMetricId>(id));
    d.push_back({.name = f.name, .help = f.help, .type = f.type, .label_names = f.label_names});
  }
  return d;
}

Status ClientMetrics::Collect(std::vector<FamilySnapshot>& out) const { return CollectAt(out, Clock::now()); }

Status ClientMetrics::CollectAt(std::vector<FamilySnapshot>& out, Clock::time_point now) const {
  std::lock_guard lock(mu_);
  const State& st = *state_;
  const State::LiveGauges live = st.FoldLiveGauges(now);
  for (std::size_t mi = 0; mi < st.metrics.size(); ++mi) out.push_back(st.MergedFamily(mi, live));
  st.AppendSelfMetrics(out, live.live_clients);
  return {};
}

}  // namespace golivekit::observability
