// The spec's "Integration with Plugin System" example in C++: a MetricsPlugin that counts every event
// an after-event hook reports, next to the built-in GoliveKit metrics. Prints the exposition.
//
//   cmake --preset native && cmake --build --preset native && build/native/examples/plugin_hooks
//
// The Go original:
//
//   app.Hooks().Register(plugin.HookAfterEvent, "metrics", func(ctx plugin.Context) {
//       event := ctx.Get("event").(string)
//       p.events.WithLabels(event).Inc()
//   })
#include <cstdio>
#include <golivekit/observability.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace obs = golivekit::observability;

namespace {

// A stand-in for GoliveKit's plugin.App: it owns the hooks and runs them around each event.
class App {
 public:
  obs::Hooks& Hooks() { return hooks_; }

  // What the LiveView runtime does for every event a browser sends.
  void HandleEvent(const obs::GoliveKitMetrics& metrics, std::string_view event) {
    const obs::HookContext ctx{{"event", std::string(event)}};
    hooks_.Run(obs::kHookBeforeEvent, ctx);
    {
      obs::EventScope timing(metrics, event);                // golivekit_event_latency_seconds{event_type}
      if (event == "explode") timing.Fail("handler_error");  // golivekit_errors_total{type}
      obs::RecordRender(metrics, "Counter", 0.0004);
      obs::RecordDiff(metrics, 42, 0.00008);
    }
    hooks_.Run(obs::kHookAfterEvent, ctx);
  }

 private:
  obs::Hooks hooks_;
};

class MetricsPlugin {
 public:
  explicit MetricsPlugin(std::shared_ptr<obs::Registry> registry) : registry_(std::move(registry)) {}

  obs::Status Init(App& app) {
    events_ = obs::NewCounter({
        .name = "golivekit_plugin_events_total",
        .help = "Events processed by plugins",
        .labels = {"event"},
    });
    if (obs::Status st = registry_->Register(events_); !st.ok()) return st;

    app.Hooks().Register(obs::kHookAfterEvent, "metrics", [events = events_](const obs::HookContext& ctx) {
      std::string_view event = ctx.Get("event");
      events->WithLabels(event).Inc();
    });
    // The same in one call: obs::RegisterEventCounterHook(app.Hooks(), events_);
    // (The Go struct's `latency` histogram is covered by the built-in golivekit_event_latency_seconds.)
    return {};
  }

 private:
  std::shared_ptr<obs::Registry> registry_;
  std::shared_ptr<obs::Counter> events_;
};

}  // namespace

int main() {
  auto registry = obs::NewRegistry();
  const obs::GoliveKitMetrics metrics = obs::RegisterGoliveKitMetrics(registry);
  if (!metrics.status.ok()) {
    std::fprintf(stderr, "%s\n", metrics.status.ToString().c_str());
    return 1;
  }

  App app;
  MetricsPlugin plugin(registry);
  if (obs::Status st = plugin.Init(app); !st.ok()) {
    std::fprintf(stderr, "%s\n", st.ToString().c_str());
    return 1;
  }

  {
    obs::ConnectionScope conn(metrics);  // golivekit_active_connections +1 while the socket is open
    conn.Succeeded();                    // golivekit_connections_total{status="success"}
    for (const char* event : {"click", "click", "submit", "explode"}) {
      obs::RecordMessage(metrics, obs::kDirectionInbound, "event", 96);
      app.HandleEvent(metrics, event);
      obs::RecordMessage(metrics, obs::kDirectionOutbound, "diff", 180);
    }
  }

  std::fputs(registry->Expose().c_str(), stdout);
  return 0;
}
