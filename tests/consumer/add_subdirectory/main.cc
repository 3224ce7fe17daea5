// A downstream program built with the source tree added by add_subdirectory: registry, counter, exposition.
#include <cstdio>
#include <golivekit/observability.hpp>
#include <string>

namespace obs = golivekit::observability;

int main() {
  auto registry = obs::NewRegistry();
  auto events = obs::NewCounter({
      .name = "consumer_events_total",
      .help = "Events seen by the add_subdirectory consumer",
      .labels = {"kind"},
  });
  if (auto st = registry->Register(events); !st.ok()) {
    std::fprintf(stderr, "Register failed: %s\n", st.ToString().c_str());
    return 1;
  }
  events->WithLabels("vendored").Inc();
  events->WithLabels("vendored").Inc();

  const std::string text = registry->Expose();
  const std::string want = "consumer_events_total{kind=\"vendored\"} 2\n";
  if (text.find(want) == std::string::npos) {
    std::fprintf(stderr, "Expose() lacks the sample %s--- got:\n%s", want.c_str(), text.c_str());
    return 1;
  }
  std::fputs(text.c_str(), stdout);
  return 0;
}
