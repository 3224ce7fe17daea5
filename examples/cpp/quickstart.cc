// The README's 30-second example: one registry, a labelled counter, a gauge, a histogram with the
// default buckets and a timer, then the text exposition that /metrics would serve.
//
//   cmake --preset native && cmake --build --preset native && build/native/examples/quickstart
#include <chrono>
#include <cstdio>
#include <golivekit/observability.hpp>
#include <string>
#include <thread>

namespace obs = golivekit::observability;

int main() {
  auto registry = obs::NewRegistry();

  auto page_views = obs::NewCounter({
      .name = "myapp_page_views_total",
      .help = "Total page views",
      .labels = {"page"},
  });
  auto active_users = obs::NewGauge({
      .name = "myapp_active_users",
      .help = "Users currently connected",
  });
  auto duration = obs::NewHistogram({
      .name = "myapp_operation_duration_seconds",
      .help = "Operation duration",
      .buckets = obs::DefaultBuckets,
  });
  for (const auto& st :
       {registry->Register(page_views), registry->Register(active_users), registry->Register(duration)}) {
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.ToString().c_str());
      return 1;
    }
  }

  page_views->WithLabels("/home").Inc();
  page_views->WithLabels("/home").Inc();
  page_views->WithLabels("/about").Inc();

  active_users->Set(3);
  active_users->Inc();
  active_users->Dec();

  duration->Observe(0.042);
  {
    auto timer = obs::NewTimer(duration);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // ... do work ...
    timer.ObserveDuration();
  }

  const std::string text = registry->Expose();
  std::fputs(text.c_str(), stdout);
  return 0;
}
