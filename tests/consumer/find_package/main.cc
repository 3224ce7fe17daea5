// A downstream program built against the installed package: registry, counter, exposition, and the
// native exporter mounted into the program's own cpp-httplib server, then standalone.
#include <golivekit/observability/exporter.h>
#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <golivekit/observability.hpp>
#include <memory>
#include <string>
#include <thread>

namespace obs = golivekit::observability;

namespace {

bool Fail(const std::string& what) {
  std::fprintf(stderr, "%s\n", what.c_str());
  return false;
}

// GET http://127.0.0.1:<port>/metrics must be 200, text 0.0.4, and contain `want`.
bool Scrape(int port, const std::string& want) {
  httplib::Client cli("127.0.0.1", port);
  auto res = cli.Get("/metrics");
  if (!res) return Fail("GET /metrics failed: " + httplib::to_string(res.error()));
  if (res->status != 200) return Fail("GET /metrics: status " + std::to_string(res->status));
  if (res->get_header_value("Content-Type") != obs::ContentType(obs::Format::kText)) {
    return Fail("GET /metrics: Content-Type " + res->get_header_value("Content-Type"));
  }
  if (res->body.find(want) == std::string::npos)
    return Fail("GET /metrics lacks " + want + "--- got:\n" + res->body);
  return true;
}

}  // namespace

int main() {
  if (obs::kVersion != PACKAGE_VERSION) {
    std::fprintf(stderr, "version.h says %s, the CMake package %s\n", GLK_OBS_VERSION, PACKAGE_VERSION);
    return 1;
  }
  std::printf("golivekit_observability %s\n", GLK_OBS_VERSION);

  auto registry = obs::NewRegistry();
  auto events = obs::NewCounter({
      .name = "consumer_events_total",
      .help = "Events seen by the find_package consumer",
      .labels = {"kind"},
  });
  if (auto st = registry->Register(events); !st.ok()) {
    std::fprintf(stderr, "Register failed: %s\n", st.ToString().c_str());
    return 1;
  }
  events->WithLabels("installed").Inc();
  events->WithLabels("installed").Inc();

  const std::string text = registry->Expose();
  const std::string want = "consumer_events_total{kind=\"installed\"} 2\n";
  if (text.find(want) == std::string::npos) {
    std::fprintf(stderr, "Expose() lacks the sample %s--- got:\n%s", want.c_str(), text.c_str());
    return 1;
  }
  std::fputs(text.c_str(), stdout);

  // Mounted into the application's own server.
  httplib::Server server;
  obs::ConfigureServer(server, 2);
  if (auto st = obs::MountMetrics(server, registry); !st.ok()) {
    std::fprintf(stderr, "MountMetrics failed: %s\n", st.ToString().c_str());
    return 1;
  }
  const int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) {
    Fail("bind_to_any_port failed");
    return 1;
  }
  std::thread listener([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const bool mounted_ok = Scrape(port, want);
  server.stop();
  listener.join();
  if (!mounted_ok) return 1;

  // Standalone.
  obs::Status error;
  auto exporter = obs::Exporter::Start(registry, {.port = 0, .threads = 2}, &error);
  if (!exporter) {
    std::fprintf(stderr, "Exporter::Start failed: %s\n", error.ToString().c_str());
    return 1;
  }
  if (!Scrape(exporter->port(), want)) return 1;
  exporter->Stop();
  std::puts("mounted and standalone /metrics: OK");
  return 0;
}
