// Load and faults on the loopback, each bounded in time: hundreds of clients (native shippers and raw
// HTTP clients resending every batch) shipping while /metrics is scraped without pause; a server
// stopped and restarted on the same port under a shipper; a shipper facing a closed port and a server
// that answers 503 to everything. Figures are printed (MESSAGE) for docs/reliability.md; the load is
// scaled down under the sanitizers (load_util.h).
#include <doctest/doctest.h>
#include <golivekit/observability/exporter.h>
#include <golivekit/observability/ingest.h>
#include <golivekit/observability/shipper.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <golivekit/observability.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "ingest_util.h"
#include "load_util.h"

namespace obs = golivekit::observability;
using namespace std::chrono_literals;
using glk_obs_test::ClientOpts;
using glk_obs_test::ClientRegistry;
using glk_obs_test::MakeBatch;

namespace {

using Clock = std::chrono::steady_clock;

const char* const kEvents = "golivekit_client_events_total{event=\"click\"}";
const char* const kLatencyCount = "golivekit_client_event_latency_seconds_count{event=\"click\"}";
const char* const kApplied = "golivekit_client_ingest_batches_total{result=\"applied\"}";
const char* const kDuplicates = "golivekit_client_ingest_batches_total{result=\"duplicate\"}";

// A server of its own (Exporter) with the ingest endpoint and no rate limits: the load is the point.
struct LoadServer {
  std::shared_ptr<obs::Registry> registry = obs::NewRegistry();
  std::shared_ptr<obs::ClientMetrics> client;
  std::unique_ptr<obs::Exporter> exporter;

  explicit LoadServer(int threads, int port = 0) {
    obs::ClientMetricsOpts opts = ClientOpts();
    opts.rate_per_second = 0;
    client = obs::NewClientMetrics(opts);
    REQUIRE(registry->Register(client).ok());
    obs::ServerOpts server_opts;  // field by field: g++ 12 warns about a designated ServerOpts
    server_opts.port = port;
    server_opts.threads = threads;
    server_opts.client_metrics = client;
    server_opts.ingest = obs::IngestOpts{.address_rate_per_second = 0};
    obs::Status error;
    // The port of a server just stopped may take a moment to be free again.
    for (int attempt = 0; attempt < 50 && !exporter; ++attempt) {
      exporter = obs::Exporter::Start(registry, server_opts, &error);
      if (!exporter) std::this_thread::sleep_for(20ms);
    }
    REQUIRE_MESSAGE(exporter, error.ToString());
  }

  int port() const { return exporter->port(); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/metrics/ingest"; }
  // The merged value, read from the registry (also once the server is stopped).
  double Value(const std::string& series) const {
    return glk_obs_test::SampleValue(registry->Expose(), series);
  }
};

obs::ClientId Id(std::uint64_t n) {
  obs::ClientId id{};
  id[0] = 0x10;
  for (int i = 0; i < 8; ++i) id[8 + i] = static_cast<std::uint8_t>(n >> (8 * i));
  return id;
}

}  // namespace

TEST_SUITE("native") {
  TEST_CASE("load: hundreds of clients ship while /metrics is scraped: every scrape 200, totals exact") {
    const int shippers = static_cast<int>(glk_obs_test::Scaled(200));
    constexpr int kRawThreads = 4;
    constexpr int kRawIdsPerThread = 10;
    const auto duration = 3s;
    // A shipper keeps a keep-alive connection, and cpp-httplib holds a worker per connection: one
    // worker per client, and some for the scrapes and the raw clients.
    LoadServer server(shippers + 2 * kRawThreads + 8);
    const std::size_t rss_before = glk_obs_test::RssKib();

    std::vector<std::unique_ptr<ClientRegistry>> registries;
    std::vector<std::unique_ptr<obs::Shipper>> fleet;
    for (int i = 0; i < shippers; ++i) {
      registries.push_back(std::make_unique<ClientRegistry>());
      obs::Status error;
      fleet.push_back(obs::Shipper::Start(registries.back()->registry,
                                          {.url = server.url(), .interval = 100ms, .backoff_initial = 50ms},
                                          &error));
      REQUIRE_MESSAGE(fleet.back(), error.ToString());
    }

    std::atomic<bool> stop{false};
    // The scraper: back to back, every one must be a 200.
    std::atomic<int> scrapes{0};
    std::atomic<int> failed_scrapes{0};
    std::atomic<long long> slowest_scrape_us{0};
    std::thread scraper([&] {
      httplib::Client cli("127.0.0.1", server.port());
      cli.set_keep_alive(true);
      cli.set_read_timeout(10, 0);
      while (!stop.load()) {
        const auto start = Clock::now();
        auto res = cli.Get("/metrics");
        const long long us =
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
        if (us > slowest_scrape_us.load()) slowest_scrape_us.store(us);
        if (!res || res->status != 200) ++failed_scrapes;
        ++scrapes;
      }
    });
    // Raw HTTP clients: each batch sent twice (a retry after a lost response): the second must be a
    // duplicate.
    std::atomic<long long> raw_clicks{0};
    std::atomic<int> raw_errors{0};
    std::vector<std::thread> raw;
    for (int t = 0; t < kRawThreads; ++t) {
      raw.emplace_back([&, t] {
        httplib::Client cli("127.0.0.1", server.port());
        cli.set_keep_alive(true);
        cli.set_read_timeout(10, 0);
        for (std::uint64_t seq = 1; !stop.load(); ++seq) {
          for (int k = 0; k < kRawIdsPerThread; ++k) {
            const std::string batch = MakeBatch(Id(static_cast<std::uint64_t>(t * 1000 + k)), seq, 2);
            for (const char* expected : {"\"applied\"", "\"duplicate\""}) {
              auto res = cli.Post("/metrics/ingest", batch, std::string(obs::kBatchContentType));
              if (!res || res->status != 200 || res->body.find(expected) == std::string::npos) {
                ++raw_errors;
              } else if (std::string(expected) == "\"applied\"") {
                raw_clicks += 2;
              }
            }
          }
          std::this_thread::sleep_for(20ms);
        }
      });
    }

    // Record on every client while they ship.
    long long clicks = 0;
    long long observations = 0;
    const auto start = Clock::now();
    for (int round = 0; Clock::now() - start < duration; ++round) {
      for (auto& r : registries) {
        r->events->WithLabels("click").Inc();
        ++clicks;
        if (round % 5 == 0) {
          r->latency->WithLabels("click").Observe(0.05);
          ++observations;
        }
      }
      std::this_thread::sleep_for(10ms);
    }
    const double elapsed = glk_obs_test::Seconds(Clock::now() - start);
    for (auto& s : fleet) CHECK(s->Flush(20s));
    stop.store(true);
    for (auto& t : raw) t.join();
    scraper.join();
    const double shipped = glk_obs_test::Seconds(Clock::now() - start);

    std::uint64_t accepted = 0;
    std::uint64_t sent = 0;
    for (auto& s : fleet) {
      const obs::ShipperStats st = s->stats();
      CHECK(st.batches_dropped == 0);
      CHECK(st.batches_rejected == 0);
      accepted += st.batches_accepted;
      sent += st.requests_sent;
    }
    const double applied = server.Value(kApplied);
    const std::size_t rss_after = glk_obs_test::RssKib();
    MESSAGE("load: " << shippers << " shippers (100 ms interval) + " << kRawThreads * kRawIdsPerThread
                     << " raw HTTP clients (every batch sent twice) for " << elapsed << " s: " << applied
                     << " batches applied, " << server.Value(kDuplicates) << " duplicates, "
                     << applied / shipped << " batches/s applied ("
                     << (applied + server.Value(kDuplicates)) / shipped
                     << " requests/s); shippers: " << accepted << " confirmed of " << sent << " requests; "
                     << scrapes.load() << " scrapes, " << failed_scrapes.load() << " failed, slowest "
                     << static_cast<double>(slowest_scrape_us.load()) / 1000.0 << " ms; server RSS "
                     << static_cast<double>(rss_before) / 1024 << " -> "
                     << static_cast<double>(rss_after) / 1024 << " MiB");
    CHECK(failed_scrapes.load() == 0);
    CHECK(scrapes.load() > 10);
    CHECK(raw_errors.load() == 0);
    CHECK(server.Value(kEvents) == static_cast<double>(clicks + raw_clicks.load()));
    CHECK(server.Value(kLatencyCount) == static_cast<double>(observations));
    fleet.clear();  // Stop: final batches
  }

  TEST_CASE("load: the server restarted mid-stream: the shipper backs off, recovers, nothing counted twice") {
    auto first = std::make_unique<LoadServer>(4);
    const int port = first->port();
    ClientRegistry reg;
    obs::Status error;
    auto shipper = obs::Shipper::Start(reg.registry,
                                       {.url = first->url(),
                                        .interval = 50ms,
                                        .backoff_initial = 50ms,
                                        .backoff_max = 400ms,
                                        .request_timeout = 1000ms},
                                       &error);
    REQUIRE_MESSAGE(shipper, error.ToString());
    long long recorded = 0;
    auto record = [&](std::chrono::milliseconds how_long) {
      const auto until = Clock::now() + how_long;
      while (Clock::now() < until) {
        reg.events->WithLabels("click").Inc();
        ++recorded;
        std::this_thread::sleep_for(2ms);
      }
    };
    record(1000ms);
    // Stopped while the shipper ships: its totals are final once Stop returns.
    first->exporter->Stop();
    const double first_total = first->Value(kEvents);
    const double first_duplicates = first->Value(kDuplicates);
    const obs::ShipperStats at_stop = shipper->stats();
    record(800ms);  // the server is down: connection refused, retried with backoff
    const obs::ShipperStats down = shipper->stats();
    auto second = std::make_unique<LoadServer>(4, port);  // a new process lifetime: empty totals
    record(1000ms);
    CHECK(shipper->Flush(10s));
    const obs::ShipperStats st = shipper->stats();
    const double second_total = second->Value(kEvents);
    MESSAGE("restart: " << recorded << " clicks recorded; first server " << first_total << ", second "
                        << second_total
                        << "; while down 0.8 s: " << down.requests_sent - at_stop.requests_sent
                        << " attempts, " << down.retries - at_stop.retries << " retries; shipper total: "
                        << st.batches_accepted << " confirmed, " << st.batches_duplicate << " duplicates, "
                        << st.batches_dropped << " dropped, " << st.retries << " retries");
    CHECK(down.retries > at_stop.retries);
    // Backoff: at most ~1 attempt per 25 ms on average (backoff doubling from 50 ms to 400 ms), not a
    // loop on the refused connection.
    CHECK(down.requests_sent - at_stop.requests_sent <= 32);
    CHECK(st.batches_dropped == 0);
    CHECK(st.batches_rejected == 0);
    CHECK(first_duplicates == 0);
    CHECK(second->Value(kDuplicates) == 0);
    // Each server counted what it applied once; together, everything recorded.
    CHECK(first_total + second_total == static_cast<double>(recorded));
    CHECK(second_total > 0);
    shipper.reset();
  }

  TEST_CASE(
      "load: network errors and 503s: backoff grows, the buffer stays bounded, drops are counted, retries "
      "end") {
    // A shipper that makes a batch of a few hundred bytes every 20 ms into a 2 KiB buffer.
    struct Probe {
      std::vector<double> attempt_times;  // seconds since start, server side (503 case)
      std::mutex mu;
    };
    auto run = [](const std::string& what, const std::string& url, Probe* probe) {
      // A counter only: a gauge would be in every batch, so a batch would be made every interval.
      auto registry = obs::NewRegistry();
      auto events =
          obs::NewCounter({.name = "golivekit_client_events_total", .help = "Events.", .labels = {"event"}});
      REQUIRE(registry->Register(events).ok());
      constexpr std::size_t kBuffer = 2048;
      obs::Status error;
      auto shipper = obs::Shipper::Start(registry,
                                         {.url = url,
                                          .interval = 20ms,
                                          .max_buffer_bytes = kBuffer,
                                          .backoff_initial = 20ms,
                                          .backoff_max = 320ms,
                                          .max_batch_age = 1200ms,
                                          .request_timeout = 500ms,
                                          .stop_timeout = 200ms},
                                         &error);
      REQUIRE_MESSAGE(shipper, error.ToString());
      const auto start = Clock::now();
      std::size_t max_buffered = 0;
      std::vector<std::uint64_t> sent_per_half(2, 0);
      std::uint64_t sent_at_half = 0;
      int k = 0;
      while (Clock::now() - start < 2400ms) {
        for (int j = 0; j < 20; ++j) events->WithLabels("e" + std::to_string((k + j) % 40)).Inc();
        ++k;
        const obs::ShipperStats st = shipper->stats();
        max_buffered = std::max(max_buffered, st.buffered_bytes);
        if (sent_at_half == 0 && Clock::now() - start >= 1200ms) sent_at_half = st.requests_sent;
        std::this_thread::sleep_for(10ms);
      }
      const obs::ShipperStats recording = shipper->stats();
      // Recording stopped: nothing new is made; the buffered batches are given up at max_batch_age.
      std::this_thread::sleep_for(1200ms + 320ms + 300ms);
      const obs::ShipperStats settled = shipper->stats();
      std::this_thread::sleep_for(700ms);
      const obs::ShipperStats later = shipper->stats();
      MESSAGE(what << ": 2.4 s of batches every 20 ms into a " << kBuffer
                   << " B buffer: " << recording.batches_encoded << " batches made, "
                   << recording.requests_sent << " attempts (" << sent_at_half << " in the first 1.2 s, "
                   << recording.requests_sent - sent_at_half << " in the next), " << recording.batches_dropped
                   << " dropped, buffer at most " << max_buffered << " B; "
                   << "1.8 s after recording stopped: " << settled.buffered_batches << " buffered, "
                   << settled.batches_dropped << " dropped in all; attempts in the 0.7 s after that: "
                   << later.requests_sent - settled.requests_sent);
      CHECK(max_buffered <= kBuffer);
      CHECK(recording.batches_dropped > 0);
      CHECK(recording.batches_accepted == 0);
      CHECK(recording.retries == recording.requests_sent);
      // Bounded attempts: with no backoff the refused connection would be retried thousands of times.
      // The backoff grows to 320 ms (160 ms on average, with full jitter): ~5 quick attempts, then ~6/s
      // (before a drop reset the backoff: 57/s all along).
      CHECK(recording.requests_sent < 40);
      CHECK(recording.requests_sent - sent_at_half <= 20);
      // No endless retries: everything was given up, and nothing is sent any more.
      CHECK(settled.buffered_batches == 0);
      CHECK(settled.batches_dropped + settled.batches_rejected + settled.batches_accepted ==
            settled.batches_encoded);
      CHECK(later.requests_sent == settled.requests_sent);
      if (probe) {
        std::lock_guard<std::mutex> lock(probe->mu);
        CHECK(probe->attempt_times.size() == later.requests_sent);
      }
    };

    SUBCASE("connection refused") {
      int port = 0;
      {
        LoadServer gone(1);
        port = gone.port();
      }
      run("closed port", "http://127.0.0.1:" + std::to_string(port) + "/metrics/ingest", nullptr);
    }
    SUBCASE("503 for everything") {
      Probe probe;
      glk_obs_test::IngestServer::Server server;
      obs::ConfigureServer(server, 4);
      const auto start = Clock::now();
      server.Post("/metrics/ingest", [&](const httplib::Request&, httplib::Response& res) {
        {
          std::lock_guard<std::mutex> lock(probe.mu);
          probe.attempt_times.push_back(glk_obs_test::Seconds(Clock::now() - start));
        }
        res.status = 503;
        res.set_content("{\"error\":\"unavailable\"}", "application/json");
      });
      const int port = server.bind_to_any_port("127.0.0.1");
      REQUIRE(port > 0);
      std::thread listener([&] { server.listen_after_bind(); });
      while (!server.is_running()) std::this_thread::sleep_for(1ms);
      run("503 always", "http://127.0.0.1:" + std::to_string(port) + "/metrics/ingest", &probe);
      server.stop();
      listener.join();
    }
  }
}
