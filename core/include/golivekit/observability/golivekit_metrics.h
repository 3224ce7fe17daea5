#pragma once
/// \file
/// \brief The spec's built-in GoliveKit metrics, helpers that record them, and a small plugin-hooks adapter.
///
/// \code
/// auto registry = obs::NewRegistry();
/// obs::GoliveKitMetrics m = obs::RegisterGoliveKitMetrics(registry);
/// if (!m.status.ok()) { /* log m.status.ToString() */ }
///
/// // A LiveView-style server, per connection:
/// obs::ConnectionScope conn(m);          // golivekit_active_connections +1
/// conn.Succeeded();                      // golivekit_connections_total{status="success"} +1 (once)
/// obs::RecordMessage(m, "inbound", "event", frame.size());
/// {
///   obs::EventScope ev(m, "click");      // times the handler
///   if (!handle_click()) ev.Fail("handler_error");
/// }                                      // golivekit_event_latency_seconds{event_type="click"} observed;
///                                        // golivekit_errors_total{type="handler_error"} +1 if it failed
/// obs::RecordRender(m, "Counter", render_seconds);
/// obs::RecordDiff(m, diff.size(), diff_seconds);
/// // ~ConnectionScope: golivekit_active_connections -1
/// \endcode
///
/// Names, types, label names and help texts are the spec's; bucket layouts and the reasons for them are
/// in docs/builtin-metrics.md. Every helper tolerates a default-constructed (empty) `GoliveKitMetrics`:
/// it then records nothing.
///
/// Thread-safety: the metrics and the free helper functions may be used from any thread. A
/// ConnectionScope, EventScope or ComponentScope belongs to one connection or event: use each from one
/// thread at a time (they may be moved between threads). `Hooks` may be run from any thread while hooks
/// are registered.
#include <chrono>
#include <cstddef>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "golivekit/observability/counter.h"
#include "golivekit/observability/gauge.h"
#include "golivekit/observability/histogram.h"
#include "golivekit/observability/registry.h"
#include "golivekit/observability/status.h"

namespace golivekit::observability {

/// Handles to the twelve built-in metrics, one member per metric, named after it without `golivekit_`.
struct GoliveKitMetrics {
  std::shared_ptr<Counter> connections_total;  ///< golivekit_connections_total{status}: success|error|timeout
  std::shared_ptr<Gauge> active_connections;   ///< golivekit_active_connections
  std::shared_ptr<Counter> messages_total;     ///< golivekit_messages_total{direction,type}: inbound|outbound
  std::shared_ptr<Histogram> message_size_bytes;  ///< golivekit_message_size_bytes{direction}
  std::shared_ptr<Histogram>
      event_latency_seconds;  ///< golivekit_event_latency_seconds{event_type}, classic + native (factor 1.1)
  std::shared_ptr<Histogram>
      render_latency_seconds;  ///< golivekit_render_latency_seconds{component}, classic + native
  std::shared_ptr<Histogram> diff_size_bytes;       ///< golivekit_diff_size_bytes
  std::shared_ptr<Histogram> diff_latency_seconds;  ///< golivekit_diff_latency_seconds, classic + native
  std::shared_ptr<Counter> errors_total;            ///< golivekit_errors_total{type}
  std::shared_ptr<Counter>
      pubsub_messages_total;              ///< golivekit_pubsub_messages_total{direction}: published|delivered
  std::shared_ptr<Gauge> presence_count;  ///< golivekit_presence_count
  std::shared_ptr<Gauge> component_instances;  ///< golivekit_component_instances{component}
  Status status;                               ///< OK, or the first registration error
};

/// Conventional label values (the spec's StatusSuccess/StatusError/StatusTimeout and directions).
inline constexpr std::string_view kStatusSuccess = "success";
inline constexpr std::string_view kStatusError = "error";
inline constexpr std::string_view kStatusTimeout = "timeout";
inline constexpr std::string_view kDirectionInbound = "inbound";
inline constexpr std::string_view kDirectionOutbound = "outbound";
inline constexpr std::string_view kPubSubPublished = "published";
inline constexpr std::string_view kPubSubDelivered = "delivered";

/// Bucket layouts of the built-in histograms (see docs/builtin-metrics.md for the reasons).
/// Event handling, in seconds: 0.5 ms … 10 s; contains 0.5, the spec's HighLatency alert threshold.
std::vector<double> GoliveKitEventLatencyBuckets();
/// Render and diff computation, in seconds: 50 µs … 1 s; contains 0.5.
std::vector<double> GoliveKitRenderLatencyBuckets();
/// Message and diff payload sizes, in bytes: 32 B … 1 MiB, doubling (16 bounds).
std::vector<double> GoliveKitSizeBuckets();

/// Creates the twelve built-in metrics and registers them in `registry` (with its namespace and
/// constant labels, as any metric). All or nothing: if one registration fails (a name already taken —
/// calling this twice on one registry gives AlreadyExists —, a constant label that repeats a built-in
/// label name, an invalid or null registry), the ones registered by this call are unregistered again,
/// `status` says what failed, and the returned handles are valid but unregistered metrics (updates
/// through them are recorded and never exposed). The handles are never null.
GoliveKitMetrics RegisterGoliveKitMetrics(const std::shared_ptr<Registry>& registry);

/// The lifetime of one connection. Construction adds 1 to golivekit_active_connections, destruction
/// subtracts it. The outcome is counted in golivekit_connections_total{status} exactly once: by the
/// first call of `Succeeded()` or `Failed()`, or — if neither was called — as "error" on destruction (a
/// connection that ends without reporting an outcome, an exception unwinding the handshake say, did not
/// succeed). So every connection is counted once, and the spec's error-rate query stays correct.
/// Movable (a moved-from scope does nothing), not copyable.
class ConnectionScope {
 public:
  explicit ConnectionScope(const GoliveKitMetrics& metrics);
  ConnectionScope(ConnectionScope&& other) noexcept;
  ConnectionScope& operator=(ConnectionScope&& other) noexcept;
  ConnectionScope(const ConnectionScope&) = delete;
  ConnectionScope& operator=(const ConnectionScope&) = delete;
  ~ConnectionScope();

  /// Counts connections_total{status="success"}, unless an outcome was counted already.
  void Succeeded();
  /// Counts connections_total{status=`status`} ("error", "timeout", …), unless an outcome was counted.
  void Failed(std::string_view status = kStatusError);
  /// True once an outcome was counted.
  [[nodiscard]] bool outcome_counted() const noexcept { return counted_; }

 private:
  void Count(std::string_view status);
  void End();

  std::shared_ptr<Counter> connections_;
  std::shared_ptr<Gauge> active_;
  bool live_ = false;
  bool counted_ = false;
};

/// Times the handling of one event. `Finish()` (or the destructor, if Finish was not called) observes
/// golivekit_event_latency_seconds{event_type} once and, if `Fail` was called, counts
/// golivekit_errors_total{type} once. Movable, not copyable.
class EventScope {
 public:
  EventScope(const GoliveKitMetrics& metrics, std::string_view event_type);
  EventScope(EventScope&& other) noexcept;
  EventScope& operator=(EventScope&& other) noexcept;
  EventScope(const EventScope&) = delete;
  EventScope& operator=(const EventScope&) = delete;
  ~EventScope();

  /// Marks the event as failed with this error type (the first call wins: it is the root cause).
  void Fail(std::string_view error_type);
  /// Records and returns the elapsed seconds; later calls return the same value and record nothing.
  double Finish();
  [[nodiscard]] bool failed() const noexcept { return failed_; }

 private:
  HistogramChild latency_;
  std::shared_ptr<Counter> errors_;
  CounterChild error_;
  std::chrono::steady_clock::time_point start_;
  double seconds_ = 0;
  bool live_ = false;
  bool failed_ = false;
};

/// One mounted component instance: golivekit_component_instances{component} +1 on construction, -1 on
/// destruction. Movable, not copyable.
class ComponentScope {
 public:
  ComponentScope(const GoliveKitMetrics& metrics, std::string_view component);
  ComponentScope(ComponentScope&& other) noexcept;
  ComponentScope& operator=(ComponentScope&& other) noexcept;
  ComponentScope(const ComponentScope&) = delete;
  ComponentScope& operator=(const ComponentScope&) = delete;
  ~ComponentScope();

 private:
  GaugeChild instances_;
  bool live_ = false;
};

/// golivekit_render_latency_seconds{component} observes `seconds`.
void RecordRender(const GoliveKitMetrics& metrics, std::string_view component, double seconds);
/// golivekit_diff_size_bytes observes `bytes`, golivekit_diff_latency_seconds observes `seconds`.
void RecordDiff(const GoliveKitMetrics& metrics, std::size_t bytes, double seconds);
/// golivekit_messages_total{direction,type} +1 and golivekit_message_size_bytes{direction} observes `bytes`.
void RecordMessage(const GoliveKitMetrics& metrics, std::string_view direction, std::string_view type,
                   std::size_t bytes);
/// golivekit_pubsub_messages_total{direction} +1 (direction: "published" or "delivered").
void RecordPubSub(const GoliveKitMetrics& metrics, std::string_view direction);
/// golivekit_errors_total{type} +1.
void RecordError(const GoliveKitMetrics& metrics, std::string_view type);

// --- Plugin hooks ------------------------------------------------------------------------------------

/// Hook points of the spec's plugin example (`plugin.HookAfterEvent`), as plain strings.
inline constexpr std::string_view kHookBeforeEvent = "before_event";
inline constexpr std::string_view kHookAfterEvent = "after_event";

/// What a hook receives: string keys to string values (the spec's `ctx.Get("event").(string)`).
class HookContext {
 public:
  HookContext() = default;
  HookContext(std::initializer_list<std::pair<const std::string, std::string>> values) : values_(values) {}

  void Set(std::string key, std::string value) { values_[std::move(key)] = std::move(value); }
  /// The value of `key`, or an empty view if absent.
  [[nodiscard]] std::string_view Get(std::string_view key) const;
  [[nodiscard]] bool Has(std::string_view key) const;

 private:
  std::map<std::string, std::string, std::less<>> values_;
};

/// A hook registry: named callbacks per hook point, run in registration order.
class Hooks {
 public:
  using HookFn = std::function<void(const HookContext&)>;

  /// Adds `fn` under (`hook`, `name`); an existing entry with the same hook and name is replaced in
  /// place, and an empty `fn` removes it.
  void Register(std::string_view hook, std::string name, HookFn fn);
  /// Runs every callback registered for `hook`. Callbacks run without any lock held: they may register
  /// hooks themselves (which takes effect from the next Run).
  void Run(std::string_view hook, const HookContext& ctx) const;
  /// Number of callbacks registered for `hook`.
  [[nodiscard]] std::size_t Count(std::string_view hook) const;

 private:
  struct Entry {
    std::string hook;
    std::string name;
    HookFn fn;
  };
  using List = std::vector<Entry>;
  mutable std::mutex mu_;
  std::shared_ptr<const List> entries_ = std::make_shared<const List>();  // copy on write
};

/// The spec's MetricsPlugin in one call: on every `hook` run, `counter->WithLabels(ctx.Get("event")).Inc()`
/// (runs without an "event" key are skipped). `counter` must have exactly one label (InvalidArgument
/// otherwise, and nothing is registered).
Status RegisterEventCounterHook(Hooks& hooks, std::shared_ptr<Counter> counter,
                                std::string_view hook = kHookAfterEvent, std::string name = "metrics");

}  // namespace golivekit::observability
