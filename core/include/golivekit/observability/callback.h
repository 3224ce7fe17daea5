#pragma once
/// \file
/// \brief Callback metrics: gauges and counters whose value is read at scrape time.
///
/// Some values already live elsewhere — a connection pool's size, a cache's hit count, a queue's
/// length — and copying them into a gauge on every change would be wasted work. A callback metric asks
/// for the value when the registry gathers, and only then.
///
/// \code
/// auto sessions = obs::NewCallbackGauge(
///     {.name = "myapp_sessions", .help = "Sessions in the session store"},
///     [&store] { return static_cast<double>(store.size()); });
/// registry->Register(sessions);
///
/// auto hits = obs::NewCallbackCounter(
///     {.name = "myapp_cache_hits_total", .help = "Cache hits"},
///     [&cache] { return static_cast<double>(cache.hits()); });
///
/// // Several series from one callback: declare the label names, report one value per label tuple.
/// auto queues = obs::NewCallbackGaugeVec(
///     {.name = "myapp_queue_length", .help = "Jobs waiting, by queue", .labels = {"queue"}},
///     [&pool](obs::CallbackSink& sink) {
///       for (const auto& q : pool.queues()) sink.Add({q.name()}, static_cast<double>(q.size()));
///     });
/// \endcode
///
/// Rules (errors are values, see status.h):
/// - Options are validated like those of `NewGauge`/`NewCounter` (metric name, UTF-8 help, label
///   names). Invalid options, a missing callback, or labels given to the label-less form make the object
///   inert: `status()` says why and `Registry::Register` refuses it with that error.
/// - A value a counter cannot have (NaN or negative) makes that `Collect` fail with InvalidArgument: the
///   registry leaves the family out of that scrape and counts the failure
///   (`Registry::failed_collects`, `last_collect_error`). It is never exposed as a counter value.
///   A gauge accepts every double (NaN and ±Inf are valid gauge samples).
/// - For the multi-series form, a series with the wrong number of label values, a label value that is
///   not valid UTF-8, or two series with the same label values fail that `Collect` the same way (all or
///   nothing: no partial family).
/// - Natively, an exception escaping the callback is treated like a failed `Collect` by the registry.
///
/// Thread-safety: the callback runs on the thread that gathers (the scraping thread), possibly on two
/// threads at once if the metric is registered in two registries; it must be safe to call from there.
/// It must not call back into a registry that gathers it (`Gather`/`Expose`/`Register` would deadlock
/// on the registry's mutex). The metric object itself is immutable after construction.
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "golivekit/observability/collector.h"
#include "golivekit/observability/counter.h"
#include "golivekit/observability/gauge.h"
#include "golivekit/observability/snapshot.h"
#include "golivekit/observability/status.h"

namespace golivekit::observability {

namespace detail {
class CallbackMetric;
}  // namespace detail

/// Receives the series of a multi-series callback during one `Collect`. Only the library creates one.
class CallbackSink {
 public:
  CallbackSink(const CallbackSink&) = delete;
  CallbackSink& operator=(const CallbackSink&) = delete;

  /// Reports one series: its label values, in the order of the metric's `labels`, and its value.
  /// A mistake (wrong count, invalid UTF-8, a NaN or negative counter value) is remembered and fails
  /// the whole `Collect`; further calls are then ignored.
  void Add(std::initializer_list<std::string_view> label_values, double value);
  void Add(std::span<const std::string_view> label_values, double value);
  void Add(const std::vector<std::string>& label_values, double value);

  /// OK, or the first mistake reported so far.
  [[nodiscard]] const Status& status() const noexcept { return error_; }

 private:
  friend class detail::CallbackMetric;
  CallbackSink(const detail::CallbackMetric& metric, std::vector<SeriesSnapshot>& series) noexcept
      : metric_(metric), series_(series) {}

  const detail::CallbackMetric& metric_;
  std::vector<SeriesSnapshot>& series_;
  Status error_;
};

namespace detail {

/// The common part of CallbackGauge and CallbackCounter. Not part of the public API.
class CallbackMetric : public Collector {
 public:
  using ReadFn = std::function<double()>;
  using FillFn = std::function<void(CallbackSink&)>;

  CallbackMetric(MetricType type, std::string name, std::string help, std::vector<std::string> labels,
                 ReadFn read, FillFn fill, bool multi);

  const std::string& name() const noexcept { return name_; }
  const std::string& help() const noexcept { return help_; }
  /// Label names in declaration order (empty for the label-less form).
  const std::vector<std::string>& label_names() const noexcept { return labels_; }

  Status status() const override { return status_; }
  std::vector<Descriptor> Describe() const override;
  Status Collect(std::vector<FamilySnapshot>& out) const override;

 protected:
  /// The label-less form's current value: calls the callback (0 if inert or multi-series).
  double Read() const;

 private:
  friend class golivekit::observability::CallbackSink;
  const char* kind() const noexcept;
  Status CheckValue(double value) const;
  Status AddSeries(std::span<const std::string_view> values, double value,
                   std::vector<SeriesSnapshot>& out) const;

  MetricType type_;
  std::string name_;
  std::string help_;
  std::vector<std::string> labels_;         // declaration order
  std::vector<std::string> sorted_labels_;  // exposition order
  detail::IndexArray perm_;                 // sorted position -> declaration index
  ReadFn read_;
  FillFn fill_;
  bool multi_;
  Status status_;
};

}  // namespace detail

/// A gauge whose value (or series) a callback supplies at every gather.
class CallbackGauge final : public detail::CallbackMetric {
 public:
  CallbackGauge(GaugeOpts opts, ReadFn read);
  CallbackGauge(GaugeOpts opts, FillFn fill);

  /// Label-less form: calls the callback and returns its value (0 if inert or multi-series).
  [[nodiscard]] double Value() const { return Read(); }
};

/// A counter whose value (or series) a callback supplies at every gather. The callback reports the
/// running total (not a delta); a total that goes down is a counter reset to Prometheus.
class CallbackCounter final : public detail::CallbackMetric {
 public:
  CallbackCounter(CounterOpts opts, ReadFn read);
  CallbackCounter(CounterOpts opts, FillFn fill);

  /// Label-less form: calls the callback and returns its value (0 if inert or multi-series).
  [[nodiscard]] double Value() const { return Read(); }
};

/// A label-less gauge read from `read` at scrape time. `opts.labels` must be empty (else inert: use
/// NewCallbackGaugeVec).
std::shared_ptr<CallbackGauge> NewCallbackGauge(GaugeOpts opts, std::function<double()> read);

/// A label-less counter read from `read` at scrape time; NaN or negative values fail that Collect.
/// `opts.labels` must be empty (else inert: use NewCallbackCounterVec).
std::shared_ptr<CallbackCounter> NewCallbackCounter(CounterOpts opts, std::function<double()> read);

/// A gauge family with `opts.labels`, whose series `fill` reports at scrape time through the sink.
std::shared_ptr<CallbackGauge> NewCallbackGaugeVec(GaugeOpts opts, std::function<void(CallbackSink&)> fill);

/// A counter family with `opts.labels`, whose series `fill` reports at scrape time through the sink.
std::shared_ptr<CallbackCounter> NewCallbackCounterVec(CounterOpts opts,
                                                       std::function<void(CallbackSink&)> fill);

}  // namespace golivekit::observability
