// The gateway in process, over HTTP on 127.0.0.1: what it serves, a reload that keeps the totals, a
// reload it refuses, and the drain before a stop. The program around it (flags, signals, log lines) is
// tested by gateway_process.py.
#include "gateway.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "ingest_util.h"

namespace gw = golivekit::gateway;
namespace obs = golivekit::observability;
using namespace std::chrono_literals;
using glk_obs_test::MakeBatch;
using glk_obs_test::SampleValue;

namespace {

const std::string kEvents = "golivekit_client_events_total{event=\"click\"}";
const std::string kBatchType(obs::kBatchContentType);

obs::ClientId Id(std::uint8_t n) {
  obs::ClientId id{};
  id[0] = n;
  return id;
}

gw::Config TestConfig() {
  gw::Config c;
  c.port = 0;
  c.threads = 4;
  c.clients = glk_obs_test::ClientOpts();
  c.drain_timeout = 10s;
  return c;
}

struct Running {
  explicit Running(gw::Config config) {
    obs::Status error;
    gateway = gw::Gateway::Start(std::move(config), &error);
    REQUIRE_MESSAGE(gateway != nullptr, error.message());
  }
  [[nodiscard]] httplib::Client Client() const {
    httplib::Client cli("127.0.0.1", gateway->port());
    cli.set_read_timeout(30, 0);
    return cli;
  }
  httplib::Result Post(const std::string& batch, const httplib::Headers& headers = {}) const {
    return Client().Post("/metrics/ingest", headers, batch, kBatchType);
  }
  [[nodiscard]] std::string Metrics() const {
    auto res = Client().Get("/metrics");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    return res->body;
  }
  [[nodiscard]] int Status(const std::string& path) const {
    auto res = Client().Get(path);
    REQUIRE(res);
    return res->status;
  }
  std::unique_ptr<gw::Gateway> gateway;
};

// Drains a gateway on a thread of its own. The constructor returns once the drain has begun: not ready,
// and batches refused (probed with a batch of client 1 that, had it been taken, would change nothing).
struct Drainer {
  explicit Drainer(Running& g)
      : thread([this, &g] {
          scraped = g.gateway->Drain();
          done = true;
        }) {
    while ((g.Status("/-/ready") != 503 || g.Post(MakeBatch(Id(1), 1, 3))->status != 503) &&
           std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(5ms);
    }
  }
  Drainer(const Drainer&) = delete;
  Drainer& operator=(const Drainer&) = delete;
  ~Drainer() {
    if (thread.joinable()) thread.join();
  }
  // Whether the drain ended with its scrapes (false: drain_timeout passed).
  bool Join() {
    thread.join();
    return scraped;
  }

  const std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::now() + 10s;
  std::atomic<bool> done{false};
  std::atomic<bool> scraped{false};
  std::thread thread;
};

}  // namespace

TEST_SUITE("gateway") {
  TEST_CASE("gateway: ingest, /metrics with the merged totals and its own metrics, health and readiness") {
    Running g(TestConfig());
    auto res = g.Post(MakeBatch(Id(1), 1, 3));
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(g.Post(MakeBatch(Id(1), 1, 3))->body.find("duplicate") != std::string::npos);
    const std::string metrics = g.Metrics();
    CHECK(SampleValue(metrics, kEvents) == 3);
    CHECK(SampleValue(metrics, "golivekit_gateway_config_last_reload_successful") == 1);
    CHECK(SampleValue(metrics, "golivekit_gateway_config_last_reload_success_timestamp_seconds") > 1.7e9);
    CHECK(metrics.find("process_resident_memory_bytes") != std::string::npos);
    CHECK(g.Status("/-/healthy") == 200);
    CHECK(g.Status("/-/ready") == 200);
    CHECK(g.Status("/nothing") == 404);
  }

  TEST_CASE(
      "gateway: a reload keeps the totals and clients, applies the new token, and reports each metric") {
    Running g(TestConfig());
    REQUIRE(g.Post(MakeBatch(Id(1), 1, 3))->status == 200);
    gw::Config next = TestConfig();
    next.ingest.bearer_token = "t0ken";
    next.clients.metrics[1].buckets = {0.5, 1};  // the latency histogram: another layout, reset
    next.clients.metrics.push_back(
        {.name = "golivekit_client_errors_total", .help = "Errors.", .labels = {"type"}});
    obs::ReconfigureReport report;
    const obs::Status st = g.gateway->Reload(next, &report);
    REQUIRE_MESSAGE(st.ok(), st.message());
    CHECK(report.kept ==
          std::vector<std::string>{"golivekit_client_events_total", "golivekit_client_open_views"});
    CHECK(report.reset == std::vector<std::string>{"golivekit_client_event_latency_seconds"});
    CHECK(report.added == std::vector<std::string>{"golivekit_client_errors_total"});
    CHECK(g.Post(MakeBatch(Id(1), 2, 1))->status == 401);
    CHECK(g.Post(MakeBatch(Id(1), 1, 3), {{"Authorization", "Bearer t0ken"}})->body.find("duplicate") !=
          std::string::npos);  // the client's window survived the reload
    REQUIRE(g.Post(MakeBatch(Id(1), 2, 1), {{"Authorization", "Bearer t0ken"}})->status == 200);
    CHECK(SampleValue(g.Metrics(), kEvents) == 4);
    CHECK(g.gateway->config().ingest.bearer_token == "t0ken");
  }

  TEST_CASE("gateway: a refused reload changes nothing and says so in its own metric") {
    Running g(TestConfig());
    REQUIRE(g.Post(MakeBatch(Id(1), 1, 3))->status == 200);
    gw::Config moved = TestConfig();
    moved.metrics_path = "/other";
    CHECK(g.gateway->Reload(moved, nullptr).message().rfind("metrics_path: changing it needs a restart", 0) ==
          0);
    // A client metric named like one of the gateway's own families: the registry refuses it.
    gw::Config clash = TestConfig();
    clash.ingest.bearer_token = "never";
    clash.clients.metrics.push_back(
        {.name = "process_open_fds", .help = "h", .type = obs::MetricType::kGauge});
    const obs::Status st = g.gateway->Reload(clash, nullptr);
    CHECK(st.code() == obs::StatusCode::kAlreadyExists);
    CHECK_MESSAGE(st.message().find("process_open_fds") != std::string::npos, st.message());
    const std::string metrics = g.Metrics();
    CHECK(SampleValue(metrics, "golivekit_gateway_config_last_reload_successful") == 0);
    CHECK(SampleValue(metrics, kEvents) == 3);
    CHECK(g.Post(MakeBatch(Id(1), 2, 1))->status == 200);  // the old token (none) still holds
    CHECK(g.gateway->config().clients.metrics.size() == 3);
  }

  TEST_CASE(
      "gateway: Drain refuses batches, reports not ready, and ends at the first scrape after the last "
      "merge") {
    Running g(TestConfig());
    REQUIRE(g.Post(MakeBatch(Id(1), 1, 3))->status == 200);
    Drainer drainer(g);
    auto refused = g.Post(MakeBatch(Id(1), 2, 5));
    REQUIRE(refused);
    CHECK(refused->status == 503);
    CHECK(refused->get_header_value("Retry-After") == "1");
    CHECK(g.Status("/-/ready") == 503);
    // /metrics still serves, with the totals (and the first scrape after the last merge ends the drain).
    while (!drainer.done && std::chrono::steady_clock::now() < drainer.deadline) {
      CHECK(SampleValue(g.Metrics(), kEvents) == 3);
      std::this_thread::sleep_for(20ms);
    }
    CHECK(drainer.Join());
    CHECK(g.Status("/-/healthy") == 200);
  }

  TEST_CASE("gateway: with scrapers 2, the drain waits for a second scraper, not a second scrape") {
    gw::Config c = TestConfig();
    c.drain_scrapers = 2;
    Running g(c);
    Drainer drainer(g);
    std::this_thread::sleep_for(500ms);  // well past the moment the drain took as the last merge
    auto cli = g.Client();
    for (int i = 0; i < 3; ++i) {
      REQUIRE(cli.Get("/metrics", {{"User-Agent", "Prometheus/2.42.0 (a)"}})->status == 200);
    }
    std::this_thread::sleep_for(200ms);
    CHECK_FALSE(drainer.done.load());  // one scraper, three scrapes: still draining
    REQUIRE(cli.Get("/metrics", {{"User-Agent", "Prometheus/2.42.0 (b)"}})->status == 200);
    CHECK(drainer.Join());
  }

  TEST_CASE("gateway: without a scrape, Drain gives up after drain_timeout") {
    gw::Config c = TestConfig();
    c.drain_timeout = 300ms;
    Running g(c);
    const auto began = std::chrono::steady_clock::now();
    CHECK_FALSE(g.gateway->Drain());
    CHECK(std::chrono::steady_clock::now() - began >= 300ms);
  }

  TEST_CASE("gateway: an address in use is refused at start, naming it") {
    Running first(TestConfig());
    gw::Config c = TestConfig();
    c.port = first.gateway->port();
    obs::Status error;
    CHECK(gw::Gateway::Start(c, &error) == nullptr);
    CHECK_MESSAGE(error.message().find("listen 127.0.0.1:" + std::to_string(c.port)) != std::string::npos,
                  error.message());
  }
}
