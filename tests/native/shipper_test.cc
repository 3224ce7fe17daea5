// The native shipper against real servers on 127.0.0.1: the ingest endpoint itself, and a fake one that
// fails, hangs or forwards to ClientMetrics::Apply on demand. Flush, periodic shipping, retries with
// backoff and Retry-After, permanent rejections, buffer overflow, batch age, the final batch on Stop, a
// bounded Stop, and option errors.
#include <doctest/doctest.h>
#include <golivekit/observability/exporter.h>
#include <golivekit/observability/shipper.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <golivekit/observability.hpp>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ingest_util.h"

namespace obs = golivekit::observability;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using glk_obs_test::ClientOpts;
using glk_obs_test::ClientRegistry;
using glk_obs_test::IngestServer;

namespace {

const std::string kEvents = "golivekit_client_events_total{event=\"click\"}";
const std::string kViews = "golivekit_client_open_views";

template <typename Pred>
bool Eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = Clock::now() + timeout;
  while (!pred()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

std::unique_ptr<obs::Shipper> StartShipper(const ClientRegistry& client, obs::ShipperOpts opts) {
  obs::Status error;
  auto shipper = obs::Shipper::Start(client.registry, std::move(opts), &error);
  INFO(error.ToString());
  REQUIRE(shipper != nullptr);
  return shipper;
}

// An ingest endpoint of the test's own: fails the first `fail_first` requests (or all, or hangs) with
// `fail_status` and `retry_after`, then hands bodies to ClientMetrics::Apply. It serves "/" too (a
// shipper's url without a path), and records the request target (path and query) of every request.
class FakeIngest {
 public:
  FakeIngest() : client(obs::NewClientMetrics(ClientOpts())) {
    REQUIRE(registry->Register(client).ok());
    obs::ConfigureServer(server, 4);
    REQUIRE(obs::MountMetrics(server, registry).ok());
    for (const char* path : {"/metrics/ingest", "/"}) {
      server.Post(path, [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); });
    }
    port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~FakeIngest() {
    Release();
    server.stop();
    thread.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/metrics/ingest"; }

  // What a failing request gets, and whether requests hang until Release().
  void Set(int status, std::string retry, bool hang_requests = false) {
    std::lock_guard<std::mutex> lock(mu);
    fail_status = status;
    retry_after = std::move(retry);
    hang = hang_requests;
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu);
    hang = false;
    cv.notify_all();
  }
  std::vector<Clock::time_point> Times() {
    std::lock_guard<std::mutex> lock(mu);
    return times;
  }
  std::vector<std::uint64_t> Applied() {
    std::lock_guard<std::mutex> lock(mu);
    return applied;
  }
  std::vector<std::string> Targets() {
    std::lock_guard<std::mutex> lock(mu);
    return targets;
  }
  double Value(const std::string& series) {
    httplib::Client cli("127.0.0.1", port);
    auto res = cli.Get("/metrics");
    REQUIRE(res);
    return glk_obs_test::SampleValue(res->body, series);
  }

  std::shared_ptr<obs::Registry> registry = obs::NewRegistry();
  std::shared_ptr<obs::ClientMetrics> client;
  std::atomic<int> fail_first{0};
  std::atomic<bool> fail_all{false};

 private:
  void Handle(const httplib::Request& req, httplib::Response& res) {
    int status = 0;
    std::string retry;
    {
      std::unique_lock<std::mutex> lock(mu);
      times.push_back(Clock::now());
      targets.push_back(req.target);
      cv.wait(lock, [this] { return !hang; });
      status = fail_status;
      retry = retry_after;
    }
    if (fail_all.load() || fail_first.fetch_sub(1) > 0) {
      res.status = status;
      if (!retry.empty()) res.set_header("Retry-After", retry);
      res.set_content("{\"error\":\"test\",\"message\":\"failing on purpose\"}", "application/json");
      return;
    }
    const obs::ApplyResult r = client->Apply(req.body);
    if (!r.accepted()) {
      res.status = 400;
      res.set_content("{\"error\":\"" + std::string(obs::RejectReasonName(r.reason)) + "\",\"message\":\"\"}",
                      "application/json");
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu);
      if (r.outcome == obs::ApplyResult::Outcome::kApplied) applied.push_back(r.sequence);
    }
    res.set_content(std::string("{\"result\":\"") +
                        (r.outcome == obs::ApplyResult::Outcome::kApplied ? "applied" : "duplicate") +
                        "\",\"sequence\":" + std::to_string(r.sequence) + "}",
                    "application/json");
  }

  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Clock::time_point> times;
  std::vector<std::string> targets;
  std::vector<std::uint64_t> applied;
  int fail_status = 503;
  std::string retry_after;
  bool hang = false;
};

}  // namespace

TEST_SUITE("native") {
  TEST_CASE("shipper: Flush ships now and returns once the server confirmed it") {
    IngestServer s;
    ClientRegistry client;
    auto shipper = StartShipper(client, {.url = s.url(), .interval = 1h});
    client.events->WithLabels("click").Inc();
    (void)client.events->WithLabels("click").Add(2);
    client.latency->WithLabels("click").Observe(0.05);
    client.open_views->Set(2);
    REQUIRE(shipper->Flush(5s));
    CHECK(s.Value(kEvents) == 3);
    CHECK(s.Value(kViews) == 2);
    CHECK(s.Value("golivekit_client_event_latency_seconds_bucket{event=\"click\",le=\"0.1\"}") == 1);

    (void)client.events->WithLabels("click").Add(4);
    client.open_views->Set(1);
    REQUIRE(shipper->Flush(5s));
    CHECK(s.Value(kEvents) == 7);
    CHECK(s.Value(kViews) == 1);

    const obs::ShipperStats st = shipper->stats();
    CHECK(st.batches_encoded == 2);
    CHECK(st.requests_sent == 2);
    CHECK(st.batches_accepted == 2);
    CHECK(st.retries == 0);
    CHECK(st.buffered_batches == 0);
    CHECK(st.buffered_bytes == 0);
    CHECK(s.Value("golivekit_client_ingest_clients{state=\"live\"}") == 1);
  }

  TEST_CASE("shipper: batches go out every interval without Flush") {
    IngestServer s;
    ClientRegistry client;
    auto shipper = StartShipper(client, {.url = s.url(), .interval = 20ms});
    (void)client.events->WithLabels("click").Add(5);
    CHECK(Eventually([&] { return s.Value(kEvents) == 5; }));
    (void)client.events->WithLabels("click").Add(1);
    CHECK(Eventually([&] { return s.Value(kEvents) == 6; }));
  }

  TEST_CASE("shipper: 503 with Retry-After is retried no sooner than it says, 5xx with a short backoff") {
    FakeIngest fake;
    fake.fail_first = 1;
    fake.Set(503, "1");
    ClientRegistry client;
    auto shipper = StartShipper(
        client,
        {.url = fake.url(), .interval = 1h, .backoff_initial = 20ms, .backoff_max = 2s});  // caps Retry-After
    (void)client.events->WithLabels("click").Add(3);
    REQUIRE(shipper->Flush(10s));
    std::vector<Clock::time_point> times = fake.Times();
    REQUIRE(times.size() == 2);
    CHECK(times[1] - times[0] >= 990ms);  // Retry-After: 1, although the backoff alone would be <= 20 ms
    CHECK(fake.Value(kEvents) == 3);

    fake.fail_first = 3;
    fake.Set(500, "");
    (void)client.events->WithLabels("click").Add(1);
    const auto started = Clock::now();
    REQUIRE(shipper->Flush(10s));
    CHECK(Clock::now() - started < 900ms);  // three waits of at most 20, 40, 80 ms
    times = fake.Times();
    REQUIRE(times.size() == 6);
    CHECK(fake.Value(kEvents) == 4);
    CHECK(fake.Applied() == std::vector<std::uint64_t>{1, 2});

    const obs::ShipperStats st = shipper->stats();
    CHECK(st.retries == 4);
    CHECK(st.requests_sent == 6);
    CHECK(st.batches_accepted == 2);
    CHECK(st.batches_dropped == 0);
  }

  TEST_CASE("shipper: every request, retries included, names the client in its URL (glk_client)") {
    // The url as configured -> the request target the server sees, before "glk_client=<id>".
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"/metrics/ingest", "/metrics/ingest?"},
        {"/metrics/ingest?x=1", "/metrics/ingest?x=1&"},
        {"?x=1", "/?x=1&"},  // no path: "/"
    };
    for (const auto& tail_and_target : cases) {
      // (No structured binding: clang 14 cannot capture one in CAPTURE's lambda.)
      const std::string& tail = tail_and_target.first;
      const std::string& target = tail_and_target.second;
      CAPTURE(tail);
      FakeIngest fake;
      fake.fail_first = 1;  // the retry carries it too
      fake.Set(503, "");
      std::string url = fake.url();
      url.replace(url.find("/metrics/ingest"), std::string::npos, tail);
      ClientRegistry client;
      auto shipper = StartShipper(client, {.url = url, .interval = 1h, .backoff_initial = 10ms});
      const std::string id = obs::ClientIdHex(shipper->client_id());
      CHECK(id.size() == 32);
      client.events->WithLabels("click").Inc();
      REQUIRE(shipper->Flush(5s));
      shipper->Stop();  // the final batch
      const std::vector<std::string> targets = fake.Targets();
      CHECK(targets.size() == 3);
      for (const std::string& t : targets) CHECK(t == target + std::string(obs::kClientIdParam) + "=" + id);
      CHECK(fake.Applied() == std::vector<std::uint64_t>{1, 2});
    }
  }

  TEST_CASE("shipper: no server at all: retried, Flush times out, Stop is bounded") {
    ClientRegistry client;
    // Port 1 on loopback: connection refused.
    auto shipper = StartShipper(client, {.url = "http://127.0.0.1:1/metrics/ingest",
                                         .interval = 1h,
                                         .backoff_initial = 10ms,
                                         .backoff_max = 20ms,
                                         .stop_timeout = 100ms});
    client.events->WithLabels("click").Inc();
    CHECK_FALSE(shipper->Flush(200ms));
    const obs::ShipperStats st = shipper->stats();
    CHECK(st.retries >= 2);
    CHECK(st.buffered_batches == 1);
    const auto started = Clock::now();
    shipper->Stop();
    CHECK(Clock::now() - started < 1s);
    CHECK_FALSE(shipper->Flush(100ms));  // stopped
  }

  TEST_CASE("shipper: a permanently rejected batch is dropped and counted, later batches go on") {
    IngestServer s;
    ClientRegistry client;
    // A NaN observation makes the histogram's sum NaN: the server refuses such a batch whole.
    client.latency->WithLabels("click").Observe(std::numeric_limits<double>::quiet_NaN());
    client.events->WithLabels("click").Inc();
    auto shipper = StartShipper(client, {.url = s.url(), .interval = 1h});
    CHECK_FALSE(shipper->Flush(5s));
    obs::ShipperStats st = shipper->stats();
    CHECK(st.batches_rejected == 1);
    CHECK(st.retries == 0);
    CHECK(st.buffered_batches == 0);
    CHECK(s.Value("golivekit_client_ingest_rejections_total{reason=\"invalid_value\"}") == 1);
    CHECK(std::isnan(s.Value(kEvents)));  // the whole batch was refused

    // The histogram does not change again, so the next batches carry only the counter.
    (void)client.events->WithLabels("click").Add(2);
    CHECK(shipper->Flush(5s));
    CHECK(s.Value(kEvents) == 2);
    st = shipper->stats();
    CHECK(st.batches_rejected == 1);
    CHECK(st.batches_accepted == 1);
  }

  TEST_CASE("shipper: a family the server skips (deploy skew) is not sent again, the rest is applied") {
    IngestServer s;
    ClientRegistry client;
    auto undeclared = obs::NewCounter({.name = "not_declared_total", .help = "Not declared on the server."});
    REQUIRE(client.registry->Register(undeclared).ok());
    auto shipper = StartShipper(client, {.url = s.url(), .interval = 1h});
    undeclared->Inc();
    client.events->WithLabels("click").Inc();
    CHECK(shipper->Flush(5s));
    obs::ShipperStats st = shipper->stats();
    CHECK(st.batches_accepted == 1);
    CHECK(st.batches_rejected == 0);
    CHECK(st.skipped_families == 1);
    CHECK(s.Value(kEvents) == 1);
    CHECK(s.Value("golivekit_client_ingest_skipped_families_total{reason=\"undeclared_metric\"}") == 1);

    undeclared->Inc();
    (void)client.events->WithLabels("click").Add(2);
    CHECK(shipper->Flush(5s));
    CHECK(s.Value(kEvents) == 3);
    CHECK(s.Value("golivekit_client_ingest_skipped_families_total{reason=\"undeclared_metric\"}") == 1);
    CHECK(shipper->stats().skipped_families == 1);
  }

  TEST_CASE("shipper: a full buffer drops the oldest batches, counts them and reports them") {
    FakeIngest fake;
    fake.fail_all = true;
    ClientRegistry client;
    client.open_views->Set(1);  // a gauge: every interval makes a batch
    constexpr std::size_t kBuffer = 256;
    auto shipper = StartShipper(client, {.url = fake.url(),
                                         .interval = 2ms,
                                         .max_buffer_bytes = kBuffer,
                                         .backoff_initial = 2ms,
                                         .backoff_max = 5ms});
    REQUIRE(Eventually([&] { return shipper->stats().batches_dropped >= 5; }));
    obs::ShipperStats st = shipper->stats();
    CHECK(st.buffered_bytes <= kBuffer);
    CHECK(st.buffered_batches >= 1);
    CHECK(st.retries >= 1);

    fake.fail_all = false;
    // A Flush while the buffer is still full would see its own batch push out an older one (and say
    // false): wait for the buffer to drain first.
    REQUIRE(Eventually(
        [&] { return shipper->stats().batches_accepted > 0 && shipper->stats().buffered_batches <= 1; }));
    REQUIRE(shipper->Flush(5s));
    REQUIRE(shipper->Flush(5s));  // a batch that carries the final drop count
    st = shipper->stats();
    const std::vector<std::uint64_t> applied = fake.Applied();
    REQUIRE(!applied.empty());
    CHECK(applied.front() > 1);  // the oldest went first
    CHECK(std::is_sorted(applied.begin(), applied.end()));
    CHECK(fake.Value("golivekit_client_ingest_client_dropped_batches_total") ==
          static_cast<double>(st.batches_dropped));
    CHECK(st.batches_accepted + st.batches_dropped + st.buffered_batches == st.batches_encoded);
  }

  TEST_CASE("shipper: a batch older than max_batch_age is given up and counted") {
    FakeIngest fake;
    fake.fail_all = true;
    ClientRegistry client;
    auto shipper = StartShipper(client, {.url = fake.url(),
                                         .interval = 1h,
                                         .backoff_initial = 5ms,
                                         .backoff_max = 10ms,
                                         .max_batch_age = 50ms});
    client.events->WithLabels("click").Inc();
    CHECK_FALSE(shipper->Flush(2s));  // false as soon as its batch is given up
    const obs::ShipperStats st = shipper->stats();
    CHECK(st.batches_dropped == 1);
    CHECK(st.buffered_batches == 0);
    CHECK(st.retries >= 1);
  }

  TEST_CASE("shipper: Stop sends a final batch: a sum-over-live-clients gauge drops at once") {
    IngestServer s;
    ClientRegistry a;
    ClientRegistry b;
    auto shipper_a = StartShipper(a, {.url = s.url(), .interval = 1h});
    auto shipper_b = StartShipper(b, {.url = s.url(), .interval = 1h});
    a.open_views->Set(3);
    b.open_views->Set(2);
    (void)a.events->WithLabels("click").Add(10);
    REQUIRE(shipper_a->Flush(5s));
    REQUIRE(shipper_b->Flush(5s));
    CHECK(s.Value(kViews) == 5);

    (void)a.events->WithLabels("click").Add(1);  // recorded before Stop: in the final batch
    shipper_a->Stop();
    CHECK(s.Value(kViews) == 2);    // at once, not after live_timeout (60 s)
    CHECK(s.Value(kEvents) == 11);  // and counters never go back
    CHECK(s.Value("golivekit_client_ingest_clients{state=\"live\"}") == 1);
    shipper_b->Stop();
    CHECK(s.Value(kViews) == 0);
    CHECK(s.Value(kEvents) == 11);
    shipper_b->Stop();  // idempotent
  }

  TEST_CASE("shipper: a hanging server delays neither the recording threads nor Stop") {
    FakeIngest fake;
    fake.Set(503, "", /*hang=*/true);
    ClientRegistry client;
    auto shipper = StartShipper(client, {.url = fake.url(), .interval = 1ms, .stop_timeout = 200ms});
    REQUIRE(Eventually([&] { return !fake.Times().empty(); }));  // a request is held by the server
    const auto started = Clock::now();
    for (int i = 0; i < 100000; ++i) client.events->WithLabels("click").Inc();
    CHECK(Clock::now() - started < 2s);
    const auto stopping = Clock::now();
    shipper->Stop();
    CHECK(Clock::now() - stopping < 1500ms);
  }

  TEST_CASE("shipper: Start rejects invalid options") {
    ClientRegistry client;
    obs::Status error;
    CHECK(obs::Shipper::Start(nullptr, {}, &error) == nullptr);
    CHECK(error.code() == obs::StatusCode::kInvalidArgument);
    for (const char* url : {"ftp://127.0.0.1/x", "127.0.0.1:3000/metrics/ingest", "http://", "http:///x"}) {
      CAPTURE(url);
      error = {};
      CHECK(obs::Shipper::Start(client.registry, {.url = url}, &error) == nullptr);
      CHECK(error.code() == obs::StatusCode::kInvalidArgument);
    }
    CHECK(obs::Shipper::Start(client.registry, {.interval = 0ms}, &error) == nullptr);
    CHECK(obs::Shipper::Start(client.registry, {.max_buffer_bytes = 0}, &error) == nullptr);
    CHECK(obs::Shipper::Start(client.registry, {.request_timeout = 0ms}, &error) == nullptr);
    auto ok = obs::Shipper::Start(client.registry,
                                  {.url = "http://127.0.0.1:1", .interval = 1h, .stop_timeout = 0ms}, &error);
    CHECK(ok != nullptr);
  }
}
