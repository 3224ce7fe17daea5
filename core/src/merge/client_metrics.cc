// The merge engine. docs/merge.md states the rules; the comments here say why they are kept this way.
//
// Apply works in two phases so that a batch is applied whole or not at all: phase 1 decodes and
// validates everything and resolves every series to an index (or to "create it"), touching nothing;
// phase 2 only adds numbers and cannot fail.
#include "golivekit/observability/client_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <list>
#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "golivekit/observability/detail/token_bucket.h"
#include "golivekit/observability/encode.h"
#include "golivekit/observability/names.h"
#include "client_batch/series_key.h"
#include "snapshot/sort.h"

namespace golivekit::observability {

namespace {

constexpr std::string_view kOverflowValue = "__overflow__";
// Sequences remembered below a client's newest, one bit each (the newest itself is max_sequence).
constexpr std::uint64_t kWindow = 64;

constexpr std::string_view kReasonNames[kRejectReasonCount] = {
    "",
    "malformed",
    "unsupported_version",
    "undeclared_metric",
    "type_mismatch",
    "label_mismatch",
    "bucket_mismatch",
    "invalid_value",
    "invalid_label_value",
    "duplicate_series",
    "total_out_of_range",
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
};

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
// what passes here cannot overflow there.
std::optional<std::string> Project(MetricType type, const BatchSeries& s, std::size_t buckets, Projected& p) {
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
  // Checked one bucket at a time: the deltas of one batch may themselves add up past 2^64.
  std::uint64_t added = 0;
  for (std::size_t b = 0; b < buckets && b < s.bucket_deltas.size(); ++b) {
    if (s.bucket_deltas[b] > kMaxExactCount - added) {
      return std::string("the observation count increment of one batch passes 2^53");
    }
    added += s.bucket_deltas[b];
  }
  if (added > kMaxExactCount - p.count) {
    return "the observation count would pass 2^53 (" + std::to_string(p.count) + " + " +
           std::to_string(added) + "), beyond which it is not exact";
  }
  const double sum = p.sum + s.sum_delta;
  if (!std::isfinite(sum)) {
    return "the histogram sum would not be finite (" + FormatFloat(p.sum) + " + " + FormatFloat(s.sum_delta) +
           ")";
  }
  p.count += added;
  p.sum = sum;
  return std::nullopt;
}

std::string List(const std::vector<std::string>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s + "]";
}

ApplyResult Reject(RejectReason reason, std::string message) {
  ApplyResult r;
  r.outcome = ApplyResult::Outcome::kRejected;
  r.reason = reason;
  r.message = std::move(message);
  return r;
}

// The client id and sequence of a batch with a well-formed version-1 header, without decoding further.
std::optional<std::pair<ClientId, std::uint64_t>> PeekHeader(std::string_view b) {
  constexpr std::size_t kFixed = 22;
  if (b.size() < kFixed + 1 || std::memcmp(b.data(), "GLKB", 4) != 0 || static_cast<std::uint8_t>(b[4]) != kBatchVersion) {
    return std::nullopt;
  }
  std::pair<ClientId, std::uint64_t> out{};
  std::memcpy(out.first.data(), b.data() + 6, out.first.size());
  std::uint64_t seq = 0;
  for (std::size_t i = 0; i < 9 && kFixed + i < b.size(); ++i) {
    const auto byte = static_cast<std::uint8_t>(b[kFixed + i]);
    seq |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
    if ((byte & 0x80) == 0) {
      out.second = seq;
      return seq == 0 ? std::nullopt : std::optional(out);
    }
  }
  return std::nullopt;  // sequences above 2^63 take the decoder's path
}

}  // namespace

std::string_view GaugePolicyName(GaugePolicy policy) noexcept {
  switch (policy) {
    case GaugePolicy::kSumLive: return "sum";
    case GaugePolicy::kMaxLive: return "max";
    case GaugePolicy::kMinLive: return "min";
    case GaugePolicy::kLast: return "last";
  }
  return "";
}

std::string_view RejectReasonName(RejectReason reason) noexcept {
  const auto i = static_cast<int>(reason);
  return i >= 0 && i < kRejectReasonCount ? kReasonNames[i] : std::string_view();
}

struct ClientMetrics::State {
  struct Series {
    std::vector<std::string> values = {};  // in the order of Metric::labels (ascending)
    double value = 0;                      // counter total; kLast gauge value
    bool has_last = false;                 // kLast: a value was received
    std::vector<std::uint64_t> buckets = {};  // histogram, per bucket (not cumulative), +Inf last
    double sum = 0;
    std::uint64_t count = 0;  // histogram: the sum of `buckets`, at most kMaxExactCount
  };
  struct Metric {
    ClientMetricDecl decl;
    std::vector<std::string> labels;  // ascending
    std::unordered_map<std::string, std::uint32_t> index;  // SeriesKey(values) -> series
    std::vector<Series> series;
    std::int64_t overflow = -1;  // index of the overflow series, once made
    std::uint64_t overflowed = 0;
  };
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
    // (metric << 32 | series) -> the client's value. Live policies: while the client is live and not
    // ended. kLast: only the sequence matters, kept after a final batch so a late older part loses.
    std::unordered_map<std::uint64_t, Gauge> gauges;
    std::list<ClientId>::iterator lru;

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

  std::vector<Metric> metrics;
  std::map<std::string, std::uint32_t, std::less<>> by_name;
  // Ordered, not hashed: the id is the client's choice, and a hostile client picking ids that share
  // their hashed bytes would turn every lookup into a scan of the table (under the mutex). 14
  // comparisons of 16 bytes for 10,000 clients, whatever the ids.
  std::map<ClientId, Client> clients;
  std::list<ClientId> lru;  // least recently seen first

  std::uint64_t batches[3] = {0, 0, 0};  // applied, duplicate, rejected
  std::uint64_t rejections[kRejectReasonCount] = {};
  std::uint64_t received_bytes = 0;
  std::uint64_t client_dropped = 0;

  void Expire(Clock::time_point now, std::chrono::seconds ttl) {
    while (!lru.empty()) {
      const auto it = clients.find(lru.front());
      if (it->second.last_seen + ttl > now) break;
      clients.erase(it);
      lru.pop_front();
    }
  }

  static Projected Totals(const Series& s) { return {.value = s.value, .sum = s.sum, .count = s.count}; }
  static Projected OverflowTotals(const Metric& m) {
    return m.overflow >= 0 ? Totals(m.series[static_cast<std::size_t>(m.overflow)]) : Projected{};
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

  void Touch(Client& c, Clock::time_point now) {
    c.last_seen = now;
    lru.splice(lru.end(), lru, c.lru);
  }
};

ClientMetrics::ClientMetrics(ClientMetricsOpts opts) : opts_(std::move(opts)), state_(std::make_unique<State>()) {
  auto invalid = [&](std::string why) {
    if (status_.ok()) status_ = InvalidArgument("client metrics: " + std::move(why));
  };
  if (opts_.max_clients == 0) invalid("max_clients must be at least 1");
  // At most a year: added to time points, a larger duration could overflow the clock's representation.
  constexpr std::chrono::seconds kMaxDuration = std::chrono::hours(24 * 366);
  if (opts_.client_ttl.count() <= 0 || opts_.live_timeout.count() <= 0 || opts_.client_ttl > kMaxDuration ||
      opts_.live_timeout > kMaxDuration) {
    invalid("client_ttl and live_timeout must be positive and at most a year");
  }
  if (!(opts_.rate_per_second >= 0) || !std::isfinite(opts_.rate_per_second) || !(opts_.rate_burst >= 1)) {
    invalid("rate_per_second must be finite and >= 0, and rate_burst >= 1");
  }
  for (const ClientMetricDecl& d : opts_.metrics) {
    const std::string who = d.name + ": ";
    if (const Status st = CheckMetricName(d.name); !st.ok()) invalid(st.message());
    if (d.type != MetricType::kCounter && d.type != MetricType::kGauge && d.type != MetricType::kHistogram) {
      invalid(who + "a client metric is a counter, a gauge or a histogram");
    }
    if (d.max_series == 0) invalid(who + "max_series must be at least 1");
    State::Metric m{.decl = d, .labels = d.labels, .index = {}, .series = {}};
    detail::SortBy(m.labels, [](const std::string& a, const std::string& b) { return a < b; });
    for (std::size_t i = 0; i < m.labels.size(); ++i) {
      if (const Status st = CheckLabelName(m.labels[i]); !st.ok()) invalid(who + st.message());
      if (i > 0 && m.labels[i] == m.labels[i - 1]) invalid(who + "label " + m.labels[i] + " twice");
      if (d.type == MetricType::kHistogram && m.labels[i] == "le") invalid(who + "a histogram cannot have a label le");
    }
    if (d.type == MetricType::kHistogram) {
      if (d.buckets.empty()) invalid(who + "a histogram needs bucket bounds");
      for (std::size_t i = 0; i < d.buckets.size(); ++i) {
        if (!std::isfinite(d.buckets[i]) || (i > 0 && !(d.buckets[i] > d.buckets[i - 1]))) {
          invalid(who + "bucket bounds must be finite and strictly increasing");
        }
      }
    } else {
      m.decl.buckets.clear();
    }
    // An unlabelled metric is exposed from the start (0), as a server's own unlabelled metric is; max,
    // min and last have no value before a client sends one.
    if (m.labels.empty() && (d.type != MetricType::kGauge || d.gauge_policy == GaugePolicy::kSumLive)) {
      m.index.emplace(std::string(), 0);
      m.series.push_back({});
      if (d.type == MetricType::kHistogram) m.series.back().buckets.assign(d.buckets.size() + 1, 0);
    }
    const auto idx = static_cast<std::uint32_t>(state_->metrics.size());
    if (!state_->by_name.emplace(d.name, idx).second) invalid(who + "declared twice");
    state_->metrics.push_back(std::move(m));
  }
}

ClientMetrics::~ClientMetrics() = default;

std::shared_ptr<ClientMetrics> NewClientMetrics(ClientMetricsOpts opts) {
  return std::make_shared<ClientMetrics>(std::move(opts));
}

void ClientMetrics::CountRejection(RejectReason reason, std::size_t received_bytes) {
  std::lock_guard lock(mu_);
  state_->batches[2]++;
  state_->rejections[static_cast<int>(reason) % kRejectReasonCount]++;
  state_->received_bytes += received_bytes;
}

ApplyResult ClientMetrics::Apply(std::string_view bytes, Clock::time_point now) {
  // A resent batch (a retry, an unload beacon racing a request) is known from its header alone: answer
  // it without decoding the rest. Clients resend the same bytes, so nothing is lost by not looking.
  if (bytes.size() <= opts_.decode_limits.max_bytes) {
    if (const auto head = PeekHeader(bytes)) {
      std::lock_guard lock(mu_);
      State& st = *state_;
      const auto it = st.clients.find(head->first);
      if (it != st.clients.end() && it->second.last_seen + opts_.client_ttl > now &&
          it->second.Applied(head->second)) {
        st.received_bytes += bytes.size();
        st.batches[1]++;
        st.Touch(it->second, now);
        ApplyResult r;
        r.outcome = ApplyResult::Outcome::kDuplicate;
        r.client = head->first;
        r.sequence = head->second;
        return r;
      }
    }
  }
  Batch batch;
  if (const Status st = DecodeBatch(bytes, batch, opts_.decode_limits); !st.ok()) {
    const bool version = bytes.size() > 4 && std::memcmp(bytes.data(), "GLKB", 4) == 0 &&
                         static_cast<std::uint8_t>(bytes[4]) != kBatchVersion;
    const RejectReason reason = version ? RejectReason::kUnsupportedVersion : RejectReason::kMalformed;
    CountRejection(reason, bytes.size());
    return Reject(reason, st.message());
  }
  return Apply(batch, bytes.size(), now);
}

ApplyResult ClientMetrics::Apply(const Batch& batch, std::size_t received_bytes, Clock::time_point now) {
  std::lock_guard lock(mu_);
  State& st = *state_;
  st.received_bytes += received_bytes;
  auto reject = [&](RejectReason reason, std::string message) {
    st.batches[2]++;
    st.rejections[static_cast<int>(reason)]++;
    return Reject(reason, std::move(message));
  };
  if (!status_.ok()) return reject(RejectReason::kUndeclaredMetric, status_.message());
  if (batch.sequence == 0) return reject(RejectReason::kMalformed, "batch: sequence 0 (sequences start at 1)");

  st.Expire(now, opts_.client_ttl);

  // --- exactly once: has this (client, sequence) been applied? ---------------------------------------
  auto found = st.clients.find(batch.client);
  State::Client* client = found == st.clients.end() ? nullptr : &found->second;
  ApplyResult ok;
  ok.client = batch.client;
  ok.sequence = batch.sequence;
  if (client != nullptr && client->Stale(batch.sequence)) {
    return reject(RejectReason::kStaleSequence,
                  "batch " + std::to_string(batch.sequence) + " of client " + ClientIdHex(batch.client) +
                      " is " + std::to_string(client->max_sequence - batch.sequence) +
                      " behind its latest, " + std::to_string(client->max_sequence) + " (only the " +
                      std::to_string(kWindow) + " below the latest are remembered)");
  }
  if (client != nullptr && client->Applied(batch.sequence)) {
    st.Touch(*client, now);
    st.batches[1]++;
    ok.outcome = ApplyResult::Outcome::kDuplicate;
    return ok;
  }

  // --- admission: the client table and the client's rate -------------------------------------------
  if (client == nullptr && st.clients.size() >= opts_.max_clients) {
    ApplyResult r = reject(RejectReason::kTooManyClients,
                           "the server tracks " + std::to_string(st.clients.size()) + " clients, its limit");
    const auto oldest = st.clients.find(st.lru.front())->second.last_seen + opts_.client_ttl;
    r.retry_after = std::max(std::chrono::milliseconds(1000),
                             std::chrono::duration_cast<std::chrono::milliseconds>(oldest - now));
    return r;
  }
  if (client != nullptr && opts_.rate_per_second > 0) {
    // Refilling changes nothing a rejection would have to undo; the token is taken only once the batch
    // is applied.
    client->rate.Refill(now, opts_.rate_per_second, opts_.rate_burst);
    if (const auto wait = client->rate.Wait(opts_.rate_per_second); wait.count() > 0) {
      ApplyResult r = reject(RejectReason::kRateLimited, "client " + ClientIdHex(batch.client) + " sends faster than " +
                                                             std::to_string(opts_.rate_per_second) + " batches/s");
      r.retry_after = wait;
      return r;
    }
  }

  // --- phase 1: validate everything and resolve every series; nothing changes ----------------------
  struct Target {
    std::uint32_t metric;
    const BatchFamily* family;
    std::vector<std::int64_t> series;  // index, or -1 - k for the k-th new series of this metric
  };
  std::vector<Target> targets;
  targets.reserve(batch.families.size());
  std::unordered_set<std::uint32_t> seen_metrics;
  for (const BatchFamily& f : batch.families) {
    const auto it = st.by_name.find(f.name);
    if (it == st.by_name.end()) {
      return reject(RejectReason::kUndeclaredMetric, f.name + ": not a client metric this server accepts");
    }
    const State::Metric& m = st.metrics[it->second];
    if (!seen_metrics.insert(it->second).second) {
      return reject(RejectReason::kDuplicateSeries, f.name + ": family twice in one batch");
    }
    if (f.type != m.decl.type) {
      return reject(RejectReason::kTypeMismatch, f.name + ": sent as a " + std::string(MetricTypeName(f.type)) +
                                                     ", declared as a " + std::string(MetricTypeName(m.decl.type)));
    }
    if (f.label_names != m.labels) {
      return reject(RejectReason::kLabelMismatch,
                    f.name + ": label names " + List(f.label_names) + " differ from the declared " + List(m.labels));
    }
    if (f.type == MetricType::kHistogram && f.bucket_bounds != m.decl.buckets) {
      return reject(RejectReason::kBucketMismatch,
                    f.name + ": " + std::to_string(f.bucket_bounds.size()) +
                        " bucket bounds differ from the declared layout (" + std::to_string(m.decl.buckets.size()) +
                        " bounds)");
    }
    Target t{.metric = it->second, .family = &f, .series = {}};
    t.series.reserve(f.series.size());
    std::unordered_map<std::string, std::int64_t> fresh;  // new series of this batch, by key
    // The overflow series is the one series several of a family's series may add to in one batch.
    std::optional<Projected> overflow_totals;
    for (const BatchSeries& s : f.series) {
      for (const std::string& v : s.label_values) {
        if (v.size() > opts_.max_label_value_length) {
          return reject(RejectReason::kInvalidLabelValue,
                        f.name + ": a label value of " + std::to_string(v.size()) + " bytes (limit " +
                            std::to_string(opts_.max_label_value_length) + ")");
        }
        if (!IsValidUtf8(v)) return reject(RejectReason::kInvalidLabelValue, f.name + ": a label value is not UTF-8");
      }
      switch (f.type) {
        case MetricType::kCounter:
          if (!std::isfinite(s.value) || s.value < 0) {
            return reject(RejectReason::kInvalidValue, f.name + ": counter increment " + std::to_string(s.value) +
                                                           " (must be finite and >= 0)");
          }
          break;
        case MetricType::kGauge:
          if (!std::isfinite(s.value)) return reject(RejectReason::kInvalidValue, f.name + ": gauge value is not finite");
          break;
        default:
          if (!std::isfinite(s.sum_delta)) {
            return reject(RejectReason::kInvalidValue, f.name + ": histogram sum increment is not finite");
          }
          break;
      }
      std::string key = detail::SeriesKey(s.label_values);
      std::int64_t target;
      if (!m.labels.empty() &&
          std::all_of(s.label_values.begin(), s.label_values.end(), [](const std::string& v) { return v == kOverflowValue; })) {
        // A client naming the overflow series itself joins it; as a series of its own it would clash.
        target = std::numeric_limits<std::int64_t>::min();
      } else if (const auto e = m.index.find(key); e != m.index.end()) {
        target = e->second;
      } else if (const auto n = fresh.find(key); n != fresh.end()) {
        target = n->second;
      } else if (m.series.size() - (m.overflow >= 0 ? 1 : 0) + fresh.size() + 1 < m.decl.max_series) {
        // One of max_series is kept for the overflow series.
        target = -1 - static_cast<std::int64_t>(fresh.size());
        fresh.emplace(std::move(key), target);
      } else {
        target = std::numeric_limits<std::int64_t>::min();  // the overflow series
      }
      if (target != std::numeric_limits<std::int64_t>::min() &&
          std::find(t.series.begin(), t.series.end(), target) != t.series.end()) {
        return reject(RejectReason::kDuplicateSeries, f.name + ": the same series twice in one batch");
      }
      // Checked against the current totals, so a batch that would push one out of range changes nothing.
      const bool to_overflow = target == std::numeric_limits<std::int64_t>::min();
      if (to_overflow && !overflow_totals) overflow_totals = State::OverflowTotals(m);
      Projected one = target >= 0 ? State::Totals(m.series[static_cast<std::size_t>(target)]) : Projected{};
      Projected& totals = to_overflow ? *overflow_totals : one;
      if (auto why = Project(m.decl.type, s, m.decl.buckets.size() + 1, totals)) {
        return reject(RejectReason::kTotalOutOfRange, f.name + List(s.label_values) + ": " + *why);
      }
      t.series.push_back(target);
    }
    targets.push_back(std::move(t));
  }

  // --- phase 2: apply; nothing below can fail on input ----------------------------------------------
  if (client == nullptr) {
    st.lru.push_back(batch.client);
    client = &st.clients[batch.client];
    client->lru = std::prev(st.lru.end());
    client->rate = detail::TokenBucket::Full(opts_.rate_burst, now);
  }
  if (opts_.rate_per_second > 0) client->rate.Take();
  client->MarkApplied(batch.sequence);
  st.Touch(*client, now);
  if (batch.dropped_batches > client->dropped) {
    st.client_dropped += batch.dropped_batches - client->dropped;
    client->dropped = batch.dropped_batches;
  }
  if (batch.final) {
    // A final batch ends the client's live gauges at once; a part of it that arrives later must not
    // revive them (`ended` stays). kLast entries stay: they only say which sequence set the value.
    client->ended = true;
    std::erase_if(client->gauges, [&](const auto& g) {
      return st.metrics[static_cast<std::size_t>(g.first >> 32)].decl.gauge_policy != GaugePolicy::kLast;
    });
  }

  for (const Target& t : targets) {
    State::Metric& m = st.metrics[t.metric];
    const BatchFamily& f = *t.family;
    std::vector<std::uint32_t> created;  // -1 - k -> index
    for (std::size_t i = 0; i < f.series.size(); ++i) {
      const BatchSeries& s = f.series[i];
      std::int64_t target = t.series[i];
      std::uint32_t idx;
      if (target == std::numeric_limits<std::int64_t>::min()) {
        if (m.overflow < 0) {
          m.overflow = static_cast<std::int64_t>(m.series.size());
          m.series.push_back({.values = std::vector<std::string>(m.labels.size(), std::string(kOverflowValue))});
          if (m.decl.type == MetricType::kHistogram) m.series.back().buckets.assign(m.decl.buckets.size() + 1, 0);
        }
        idx = static_cast<std::uint32_t>(m.overflow);
        ++m.overflowed;
      } else if (target < 0) {
        const auto k = static_cast<std::size_t>(-1 - target);
        if (k == created.size()) {
          created.push_back(static_cast<std::uint32_t>(m.series.size()));
          m.index.emplace(detail::SeriesKey(s.label_values), created.back());
          m.series.push_back({.values = s.label_values});
          if (m.decl.type == MetricType::kHistogram) m.series.back().buckets.assign(m.decl.buckets.size() + 1, 0);
        }
        idx = created[k];
      } else {
        idx = static_cast<std::uint32_t>(target);
      }
      State::Series& ser = m.series[idx];
      switch (m.decl.type) {
        case MetricType::kCounter:
          ser.value += s.value;
          break;
        case MetricType::kGauge:
          State::SetGauge(m, ser, *client, (std::uint64_t{t.metric} << 32) | idx, s.value, batch.sequence);
          break;
        default:
          // Phase 1 projected these very additions: every count stays within kMaxExactCount.
          for (std::size_t b = 0; b < ser.buckets.size() && b < s.bucket_deltas.size(); ++b) {
            ser.buckets[b] += s.bucket_deltas[b];
            ser.count += s.bucket_deltas[b];
          }
          ser.sum += s.sum_delta;
          break;
      }
    }
  }
  st.batches[0]++;
  ok.outcome = ApplyResult::Outcome::kApplied;
  return ok;
}

std::size_t ClientMetrics::tracked_clients() const {
  std::lock_guard lock(mu_);
  return state_->clients.size();
}

std::size_t ClientMetrics::live_clients(Clock::time_point now) const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [id, c] : state_->clients) n += !c.ended && c.last_seen + opts_.live_timeout > now;
  return n;
}

std::size_t ClientMetrics::series_count(std::string_view metric) const {
  std::lock_guard lock(mu_);
  const auto it = state_->by_name.find(metric);
  return it == state_->by_name.end() ? 0 : state_->metrics[it->second].series.size();
}

namespace {

// The self-metrics, in the order Describe lists them.
struct SelfMetric {
  std::string_view name;
  std::string_view help;
  MetricType type;
  std::string_view label;  // "" for none
};
constexpr SelfMetric kSelf[] = {
    {"golivekit_client_ingest_batches_total", "Client batches received, by result (applied, duplicate, rejected).",
     MetricType::kCounter, "result"},
    {"golivekit_client_ingest_rejections_total", "Client batches rejected, by reason.", MetricType::kCounter, "reason"},
    {"golivekit_client_ingest_received_bytes_total", "Bytes of client batches received.", MetricType::kCounter, ""},
    {"golivekit_client_ingest_clients", "Clients tracked for exactly-once delivery, and of those the live ones.",
     MetricType::kGauge, "state"},
    {"golivekit_client_ingest_series", "Series kept per client metric.", MetricType::kGauge, "metric"},
    {"golivekit_client_ingest_overflow_series_total",
     "Samples of client metrics that went to the overflow series (series limit reached).", MetricType::kCounter,
     "metric"},
    {"golivekit_client_ingest_client_dropped_batches_total",
     "Batches the clients report they dropped (buffer full, given up).", MetricType::kCounter, ""},
};

FamilySnapshot SelfFamily(const SelfMetric& m) {
  FamilySnapshot f{.name = std::string(m.name), .help = std::string(m.help), .type = m.type, .label_names = {}};
  if (!m.label.empty()) f.label_names.emplace_back(m.label);
  return f;
}

void Sample(FamilySnapshot& f, std::vector<std::string> values, double v) {
  f.series.push_back({.label_values = std::move(values), .value = v});
}

}  // namespace

std::vector<Descriptor> ClientMetrics::Describe() const {
  std::vector<Descriptor> d;
  for (const State::Metric& m : state_->metrics) {
    d.push_back({.name = m.decl.name, .help = m.decl.help, .type = m.decl.type, .label_names = m.decl.labels});
  }
  for (const SelfMetric& m : kSelf) {
    const FamilySnapshot f = SelfFamily(m);
    d.push_back({.name = f.name, .help = f.help, .type = f.type, .label_names = f.label_names});
  }
  return d;
}

Status ClientMetrics::Collect(std::vector<FamilySnapshot>& out) const { return CollectAt(out, Clock::now()); }

Status ClientMetrics::CollectAt(std::vector<FamilySnapshot>& out, Clock::time_point now) const {
  std::lock_guard lock(mu_);
  const State& st = *state_;
  auto live = [&](const State::Client& c) { return !c.ended && c.last_seen + opts_.live_timeout > now; };

  // Gauge values of live clients, per metric and series.
  std::vector<std::vector<double>> agg(st.metrics.size());
  std::vector<std::vector<std::uint32_t>> n(st.metrics.size());
  for (std::size_t i = 0; i < st.metrics.size(); ++i) {
    agg[i].assign(st.metrics[i].series.size(), 0);
    n[i].assign(st.metrics[i].series.size(), 0);
  }
  std::size_t live_count = 0;
  for (const auto& [id, c] : st.clients) {
    if (!live(c)) continue;
    ++live_count;
    for (const auto& [key, g] : c.gauges) {
      const auto mi = static_cast<std::size_t>(key >> 32);
      const auto si = static_cast<std::size_t>(key & 0xffffffffu);
      const GaugePolicy p = st.metrics[mi].decl.gauge_policy;
      if (p == GaugePolicy::kLast) continue;  // exposed from the series itself
      const double v = g.value;
      double& a = agg[mi][si];
      if (n[mi][si] == 0) {
        a = v;
      } else if (p == GaugePolicy::kSumLive) {
        a += v;
      } else if (p == GaugePolicy::kMaxLive) {
        a = std::max(a, v);
      } else if (p == GaugePolicy::kMinLive) {
        a = std::min(a, v);
      }
      ++n[mi][si];
    }
  }

  for (std::size_t mi = 0; mi < st.metrics.size(); ++mi) {
    const State::Metric& m = st.metrics[mi];
    FamilySnapshot f{.name = m.decl.name, .help = m.decl.help, .type = m.decl.type, .label_names = m.labels,
                     .bucket_bounds = m.decl.buckets, .series = {}};
    f.series.reserve(m.series.size());
    for (std::size_t si = 0; si < m.series.size(); ++si) {
      const State::Series& s = m.series[si];
      SeriesSnapshot o{.label_values = s.values};
      switch (m.decl.type) {
        case MetricType::kCounter:
          o.value = s.value;
          break;
        case MetricType::kGauge:
          if (m.decl.gauge_policy == GaugePolicy::kLast) {
            if (!s.has_last) continue;
            o.value = s.value;
          } else if (n[mi][si] == 0) {
            if (m.decl.gauge_policy != GaugePolicy::kSumLive) continue;
            o.value = 0;
          } else {
            o.value = agg[mi][si];
          }
          break;
        default: {
          o.bucket_counts.resize(m.decl.buckets.size());
          std::uint64_t cum = 0;
          for (std::size_t b = 0; b < s.buckets.size(); ++b) {
            cum = s.buckets[b] > UINT64_MAX - cum ? UINT64_MAX : cum + s.buckets[b];
            if (b < o.bucket_counts.size()) o.bucket_counts[b] = cum;
          }
          o.count = cum;
          o.sum = s.sum;
          break;
        }
      }
      f.series.push_back(std::move(o));
    }
    detail::SortBy(f.series, [](const SeriesSnapshot& a, const SeriesSnapshot& b) { return a.label_values < b.label_values; });
    out.push_back(std::move(f));
  }

  auto by_values = [](const SeriesSnapshot& a, const SeriesSnapshot& b) { return a.label_values < b.label_values; };
  FamilySnapshot batches = SelfFamily(kSelf[0]);
  Sample(batches, {"applied"}, static_cast<double>(st.batches[0]));
  Sample(batches, {"duplicate"}, static_cast<double>(st.batches[1]));
  Sample(batches, {"rejected"}, static_cast<double>(st.batches[2]));
  FamilySnapshot rejections = SelfFamily(kSelf[1]);
  for (int r = 1; r < kRejectReasonCount; ++r) {
    Sample(rejections, {std::string(kReasonNames[r])}, static_cast<double>(st.rejections[r]));
  }
  detail::SortBy(rejections.series, by_values);
  FamilySnapshot bytes = SelfFamily(kSelf[2]);
  Sample(bytes, {}, static_cast<double>(st.received_bytes));
  FamilySnapshot clients = SelfFamily(kSelf[3]);
  Sample(clients, {"live"}, static_cast<double>(live_count));
  Sample(clients, {"tracked"}, static_cast<double>(st.clients.size()));
  FamilySnapshot series = SelfFamily(kSelf[4]);
  FamilySnapshot overflow = SelfFamily(kSelf[5]);
  for (const State::Metric& m : st.metrics) {
    Sample(series, {m.decl.name}, static_cast<double>(m.series.size()));
    Sample(overflow, {m.decl.name}, static_cast<double>(m.overflowed));
  }
  detail::SortBy(series.series, by_values);
  detail::SortBy(overflow.series, by_values);
  FamilySnapshot dropped = SelfFamily(kSelf[6]);
  Sample(dropped, {}, static_cast<double>(st.client_dropped));
  for (FamilySnapshot* f : {&batches, &rejections, &bytes, &clients, &series, &overflow, &dropped}) {
    out.push_back(std::move(*f));
  }
  return {};
}

}  // namespace golivekit::observability
