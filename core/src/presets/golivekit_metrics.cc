#include "golivekit/observability/golivekit_metrics.h"

#include <algorithm>

#include "golivekit/observability/buckets.h"
#include "message.h"

namespace golivekit::observability {

std::vector<double> GoliveKitEventLatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::vector<double> GoliveKitRenderLatencyBuckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};
}

// Latencies get native buckets beside the classic ones: 1.1 is schema 3, at most 9 % between bounds.
constexpr double kGoliveKitNativeBucketFactor = 1.1;

std::vector<double> GoliveKitSizeBuckets() { return ExponentialBuckets(32, 2, 16); }  // 32 B … 1 MiB

GoliveKitMetrics RegisterGoliveKitMetrics(const std::shared_ptr<Registry>& registry) {
  GoliveKitMetrics m;
  m.connections_total = NewCounter(
      {.name = "golivekit_connections_total", .help = "Total connections by status", .labels = {"status"}});
  m.active_connections =
      NewGauge({.name = "golivekit_active_connections", .help = "Current active connections"});
  m.messages_total = NewCounter({.name = "golivekit_messages_total",
                                 .help = "Messages by direction and type",
                                 .labels = {"direction", "type"}});
  m.message_size_bytes = NewHistogram({.name = "golivekit_message_size_bytes",
                                       .help = "Message sizes",
                                       .labels = {"direction"},
                                       .buckets = GoliveKitSizeBuckets()});
  m.event_latency_seconds = NewHistogram({.name = "golivekit_event_latency_seconds",
                                          .help = "Event handling latency",
                                          .labels = {"event_type"},
                                          .buckets = GoliveKitEventLatencyBuckets(),
                                          .native_bucket_factor = kGoliveKitNativeBucketFactor});
  m.render_latency_seconds = NewHistogram({.name = "golivekit_render_latency_seconds",
                                           .help = "Component render latency",
                                           .labels = {"component"},
                                           .buckets = GoliveKitRenderLatencyBuckets(),
                                           .native_bucket_factor = kGoliveKitNativeBucketFactor});
  m.diff_size_bytes = NewHistogram({.name = "golivekit_diff_size_bytes",
                                    .help = "Diff payload sizes",
                                    .labels = {},
                                    .buckets = GoliveKitSizeBuckets()});
  m.diff_latency_seconds = NewHistogram({.name = "golivekit_diff_latency_seconds",
                                         .help = "Diff computation time",
                                         .labels = {},
                                         .buckets = GoliveKitRenderLatencyBuckets(),
                                         .native_bucket_factor = kGoliveKitNativeBucketFactor});
  m.errors_total =
      NewCounter({.name = "golivekit_errors_total", .help = "Errors by type", .labels = {"type"}});
  m.pubsub_messages_total = NewCounter(
      {.name = "golivekit_pubsub_messages_total", .help = "PubSub messages", .labels = {"direction"}});
  m.presence_count = NewGauge({.name = "golivekit_presence_count", .help = "Tracked presences"});
  m.component_instances = NewGauge({.name = "golivekit_component_instances",
                                    .help = "Active component instances",
                                    .labels = {"component"}});

  if (!registry) {
    m.status = InvalidArgument("RegisterGoliveKitMetrics: null registry");
    return m;
  }
  const std::shared_ptr<Collector> all[] = {
      m.connections_total,     m.active_connections,     m.messages_total,  m.message_size_bytes,
      m.event_latency_seconds, m.render_latency_seconds, m.diff_size_bytes, m.diff_latency_seconds,
      m.errors_total,          m.pubsub_messages_total,  m.presence_count,  m.component_instances,
  };
  std::size_t registered = 0;
  for (const auto& c : all) {
    m.status = registry->Register(c);
    if (!m.status.ok()) break;
    ++registered;
  }
  if (!m.status.ok()) {
    // All or nothing: leave the registry as it was.
    for (std::size_t i = 0; i < registered; ++i) registry->Unregister(all[i]);
  }
  return m;
}

// --- ConnectionScope ---------------------------------------------------------------------------------

ConnectionScope::ConnectionScope(const GoliveKitMetrics& metrics)
    : connections_(metrics.connections_total), active_(metrics.active_connections), live_(true) {
  if (active_) active_->Inc();
}

ConnectionScope::ConnectionScope(ConnectionScope&& other) noexcept
    : connections_(std::move(other.connections_)),
      active_(std::move(other.active_)),
      live_(std::exchange(other.live_, false)),
      counted_(other.counted_) {}

ConnectionScope& ConnectionScope::operator=(ConnectionScope&& other) noexcept {
  if (this != &other) {
    End();
    connections_ = std::move(other.connections_);
    active_ = std::move(other.active_);
    live_ = std::exchange(other.live_, false);
    counted_ = other.counted_;
  }
  return *this;
}

ConnectionScope::~ConnectionScope() { End(); }

void ConnectionScope::End() {
  if (!live_) return;
  live_ = false;
  if (!counted_) Count(kStatusError);
  if (active_) active_->Dec();
}

void ConnectionScope::Succeeded() { Count(kStatusSuccess); }

void ConnectionScope::Failed(std::string_view status) { Count(status); }

void ConnectionScope::Count(std::string_view status) {
  if (counted_ || !connections_) {
    counted_ = true;
    return;
  }
  counted_ = true;
  connections_->WithLabels(status).Inc();
}

// --- EventScope --------------------------------------------------------------------------------------

EventScope::EventScope(const GoliveKitMetrics& metrics, std::string_view event_type)
    : errors_(metrics.errors_total), start_(std::chrono::steady_clock::now()), live_(true) {
  if (metrics.event_latency_seconds) latency_ = metrics.event_latency_seconds->WithLabels(event_type);
}

EventScope::EventScope(EventScope&& other) noexcept
    : latency_(std::move(other.latency_)),
      errors_(std::move(other.errors_)),
      error_(std::move(other.error_)),
      start_(other.start_),
      seconds_(other.seconds_),
      live_(std::exchange(other.live_, false)),
      failed_(other.failed_) {}

EventScope& EventScope::operator=(EventScope&& other) noexcept {
  if (this != &other) {
    if (live_) Finish();
    latency_ = std::move(other.latency_);
    errors_ = std::move(other.errors_);
    error_ = std::move(other.error_);
    start_ = other.start_;
    seconds_ = other.seconds_;
    live_ = std::exchange(other.live_, false);
    failed_ = other.failed_;
  }
  return *this;
}

EventScope::~EventScope() {
  if (live_) Finish();
}

void EventScope::Fail(std::string_view error_type) {
  if (failed_ || !live_) return;
  failed_ = true;
  if (errors_) error_ = errors_->WithLabels(error_type);
}

double EventScope::Finish() {
  if (!live_) return seconds_;
  live_ = false;
  seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  latency_.Observe(seconds_);
  if (failed_) error_.Inc();
  return seconds_;
}

// --- ComponentScope ----------------------------------------------------------------------------------

ComponentScope::ComponentScope(const GoliveKitMetrics& metrics, std::string_view component) : live_(true) {
  if (metrics.component_instances) instances_ = metrics.component_instances->WithLabels(component);
  instances_.Inc();
}

ComponentScope::ComponentScope(ComponentScope&& other) noexcept
    : instances_(std::move(other.instances_)), live_(std::exchange(other.live_, false)) {}

ComponentScope& ComponentScope::operator=(ComponentScope&& other) noexcept {
  if (this != &other) {
    if (live_) instances_.Dec();
    instances_ = std::move(other.instances_);
    live_ = std::exchange(other.live_, false);
  }
  return *this;
}

ComponentScope::~ComponentScope() {
  if (live_) instances_.Dec();
}

// --- Free helpers ------------------------------------------------------------------------------------

void RecordRender(const GoliveKitMetrics& metrics, std::string_view component, double seconds) {
  if (metrics.render_latency_seconds) metrics.render_latency_seconds->WithLabels(component).Observe(seconds);
}

void RecordDiff(const GoliveKitMetrics& metrics, std::size_t bytes, double seconds) {
  if (metrics.diff_size_bytes) metrics.diff_size_bytes->Observe(static_cast<double>(bytes));
  if (metrics.diff_latency_seconds) metrics.diff_latency_seconds->Observe(seconds);
}

void RecordMessage(const GoliveKitMetrics& metrics, std::string_view direction, std::string_view type,
                   std::size_t bytes) {
  if (metrics.messages_total) metrics.messages_total->WithLabels(direction, type).Inc();
  if (metrics.message_size_bytes) {
    metrics.message_size_bytes->WithLabels(direction).Observe(static_cast<double>(bytes));
  }
}

void RecordPubSub(const GoliveKitMetrics& metrics, std::string_view direction) {
  if (metrics.pubsub_messages_total) metrics.pubsub_messages_total->WithLabels(direction).Inc();
}

void RecordError(const GoliveKitMetrics& metrics, std::string_view type) {
  if (metrics.errors_total) metrics.errors_total->WithLabels(type).Inc();
}

// --- Hooks -------------------------------------------------------------------------------------------

std::string_view HookContext::Get(std::string_view key) const {
  const auto it = values_.find(key);
  return it == values_.end() ? std::string_view() : std::string_view(it->second);
}

bool HookContext::Has(std::string_view key) const { return values_.find(key) != values_.end(); }

void Hooks::Register(std::string_view hook, std::string name, HookFn fn) {
  std::lock_guard lock(mu_);
  auto next = std::make_shared<List>(*entries_);
  const auto it = std::find_if(next->begin(), next->end(),
                               [&](const Entry& e) { return e.hook == hook && e.name == name; });
  if (!fn) {
    if (it != next->end()) next->erase(it);
  } else if (it != next->end()) {
    it->fn = std::move(fn);
  } else {
    next->push_back(Entry{std::string(hook), std::move(name), std::move(fn)});
  }
  entries_ = std::move(next);
}

void Hooks::Run(std::string_view hook, const HookContext& ctx) const {
  std::shared_ptr<const List> list;
  {
    std::lock_guard lock(mu_);
    list = entries_;
  }
  for (const Entry& e : *list) {
    if (e.hook == hook) e.fn(ctx);
  }
}

std::size_t Hooks::Count(std::string_view hook) const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(
      std::count_if(entries_->begin(), entries_->end(), [&](const Entry& e) { return e.hook == hook; }));
}

Status RegisterEventCounterHook(Hooks& hooks, std::shared_ptr<Counter> counter, std::string_view hook,
                                std::string name) {
  if (!counter) return InvalidArgument("RegisterEventCounterHook: null counter");
  if (Status s = counter->status(); !s.ok()) return s;
  if (counter->label_names().size() != 1) {
    return detail::Fail(
        StatusCode::kInvalidArgument,
        "RegisterEventCounterHook: counter {} has {} label names; it needs exactly one (the event name)",
        {counter->name(), counter->label_names().size()});
  }
  hooks.Register(hook, std::move(name), [counter = std::move(counter)](const HookContext& ctx) {
    if (ctx.Has("event")) counter->WithLabels(ctx.Get("event")).Inc();
  });
  return {};
}

}  // namespace golivekit::observability
