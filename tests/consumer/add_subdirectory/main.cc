// A downstream program built with the source tree added by add_subdirectory: registry, counter, exposition,
// and (when the native exporter is built) /metrics mounted into a cpp-httplib server.
#include <cstdio>
#include <golivekit/observability.hpp>
#include <string>
#if GLK_OBS_HAVE_HTTP
#include <golivekit/observability/exporter.h>
#include <httplib.h>
#endif

namespace obs = golivekit::observability;

int main() {
  // From version.h, which the vendored project generates into the parent's build tree.
  std::printf("golivekit_observability %s\n", GLK_OBS_VERSION);

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

#if GLK_OBS_HAVE_HTTP
  httplib::Server server;
  obs::ConfigureServer(server, 2);
  if (auto st = obs::MountMetrics(server, registry); !st.ok()) {
    std::fprintf(stderr, "MountMetrics failed: %s\n", st.ToString().c_str());
    return 1;
  }
  obs::Status error;
  auto exporter = obs::Exporter::Start(registry, {.port = 0, .threads = 1}, &error);
  if (!exporter) {
    std::fprintf(stderr, "Exporter::Start failed: %s\n", error.ToString().c_str());
    return 1;
  }
  httplib::Client cli("127.0.0.1", exporter->port());
  auto res = cli.Get("/metrics");
  if (!res || res->status != 200 || res->body.find(want) == std::string::npos) {
    std::fprintf(stderr, "GET /metrics from the exporter failed\n");
    return 1;
  }
  std::puts("standalone /metrics: OK");
#endif
  return 0;
}
