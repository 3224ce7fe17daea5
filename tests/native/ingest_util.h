#pragma once
// Shared by the ingest and shipper tests: the client metrics the demo declares, a real server with
// /metrics and the ingest endpoint on 127.0.0.1 (any port), batches built by hand, a flat JSON object
// reader, and sample lookup in an exposition.
#include <doctest/doctest.h>
#include <golivekit/observability/client_batch.h>
#include <golivekit/observability/client_metrics.h>
#include <golivekit/observability/exporter.h>
#include <golivekit/observability/ingest.h>
#include <httplib.h>
#include <sys/socket.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <golivekit/observability.hpp>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace glk_obs_test {

namespace obs = golivekit::observability;
using namespace std::chrono_literals;

inline const std::vector<double>& LatencyBuckets() {
  static const std::vector<double> buckets = {0.01, 0.1, 1};
  return buckets;
}

// Declarations: events (counter, label event), latency (histogram, label event, 3 bounds), open views
// (gauge, sum over live clients).
inline obs::ClientMetricsOpts ClientOpts() {
  return {.metrics = {
              {.name = "golivekit_client_events_total",
               .help = "Events handled in the browser.",
               .type = obs::MetricType::kCounter,
               .labels = {"event"}},
              {.name = "golivekit_client_event_latency_seconds",
               .help = "Latency of events, as the browser saw it.",
               .type = obs::MetricType::kHistogram,
               .labels = {"event"},
               .buckets = LatencyBuckets()},
              {.name = "golivekit_client_open_views",
               .help = "Views open in browsers.",
               .type = obs::MetricType::kGauge,
               .gauge_policy = obs::GaugePolicy::kSumLive},
          }};
}

// A client registry with the same three metrics, for shippers.
struct ClientRegistry {
  std::shared_ptr<obs::Registry> registry = obs::NewRegistry();
  std::shared_ptr<obs::Counter> events =
      obs::NewCounter({.name = "golivekit_client_events_total", .help = "Events.", .labels = {"event"}});
  std::shared_ptr<obs::Histogram> latency =
      obs::NewHistogram({.name = "golivekit_client_event_latency_seconds",
                         .help = "Latency.",
                         .labels = {"event"},
                         .buckets = LatencyBuckets()});
  std::shared_ptr<obs::Gauge> open_views =
      obs::NewGauge({.name = "golivekit_client_open_views", .help = "Open views."});
  ClientRegistry() {
    REQUIRE(registry->Register(events).ok());
    REQUIRE(registry->Register(latency).ok());
    REQUIRE(registry->Register(open_views).ok());
  }
};

// A batch of one client: `clicks` events {event="click"}, optionally one latency observation and the
// open-views gauge.
inline std::string MakeBatch(const obs::ClientId& id, std::uint64_t sequence, double clicks,
                             std::optional<double> open_views = std::nullopt, bool final = false,
                             std::optional<double> latency = std::nullopt) {
  obs::Batch batch;
  batch.client = id;
  batch.sequence = sequence;
  batch.final = final;
  if (clicks > 0) {
    batch.families.push_back({.name = "golivekit_client_events_total",
                              .type = obs::MetricType::kCounter,
                              .label_names = {"event"},
                              .series = {{.label_values = {"click"}, .value = clicks}}});
  }
  if (latency) {
    std::vector<std::uint64_t> deltas(LatencyBuckets().size() + 1, 0);
    std::size_t b = 0;
    while (b < LatencyBuckets().size() && *latency > LatencyBuckets()[b]) ++b;
    deltas[b] = 1;
    batch.families.push_back(
        {.name = "golivekit_client_event_latency_seconds",
         .type = obs::MetricType::kHistogram,
         .label_names = {"event"},
         .bucket_bounds = LatencyBuckets(),
         .series = {{.label_values = {"click"}, .bucket_deltas = deltas, .sum_delta = *latency}}});
  }
  if (open_views) {
    batch.families.push_back({.name = "golivekit_client_open_views",
                              .type = obs::MetricType::kGauge,
                              .series = {{.value = *open_views}}});
  }
  std::string out;
  obs::EncodeBatch(batch, out);
  return out;
}

// The value of the sample line that begins with `series` followed by a space, or NaN.
inline double SampleValue(const std::string& body, const std::string& series) {
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
    }
  }
  return std::nan("");
}

// A flat JSON object of strings and numbers (numbers as written), or nullopt if `text` is anything else.
inline std::optional<std::map<std::string, std::string>> ParseFlatJson(const std::string& text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : j.items()) {
    if (value.is_string()) {
      out[key] = value.get<std::string>();
    } else if (value.is_number()) {
      out[key] = value.dump();
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// A server with /metrics (of `registry`, where `client` is registered) and the ingest endpoint.
class IngestServer {
 public:
  explicit IngestServer(obs::IngestOpts opts = {}, obs::ClientMetricsOpts client_opts = ClientOpts(),
                        int threads = 8)
      : client(obs::NewClientMetrics(std::move(client_opts))) {
    REQUIRE(client->status().ok());
    REQUIRE(registry->Register(client).ok());
    obs::ConfigureServer(server, threads);
    REQUIRE(obs::MountMetrics(server, registry).ok());
    const obs::Status st = obs::MountIngest(server, client, std::move(opts), &endpoint);
    INFO(st.ToString());
    REQUIRE(st.ok());
    port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    // cpp-httplib listens with a backlog of 5: 32 clients connecting at once would overflow it.
    ::listen(server.listening_socket(), SOMAXCONN);
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(1ms);
  }
  IngestServer(const IngestServer&) = delete;
  IngestServer& operator=(const IngestServer&) = delete;
  ~IngestServer() {
    server.stop();
    thread.join();
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port) + "/metrics/ingest"; }

  httplib::Client Client() const {
    httplib::Client cli("127.0.0.1", port);
    cli.set_read_timeout(30, 0);
    cli.set_connection_timeout(10, 0);
    return cli;
  }

  httplib::Result Post(const std::string& body, httplib::Headers headers = {},
                       const std::string& content_type = std::string(obs::kBatchContentType)) const {
    auto cli = Client();
    return cli.Post("/metrics/ingest", headers, body, content_type);
  }

  std::string Metrics() const {
    auto cli = Client();
    auto res = cli.Get("/metrics");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    return res->body;
  }

  double Value(const std::string& series) const { return SampleValue(Metrics(), series); }

  // cpp-httplib keeps the listening socket in a protected member.
  class Server : public httplib::Server {
   public:
    [[nodiscard]] socket_t listening_socket() const { return svr_sock_.load(); }
  };

  std::shared_ptr<obs::Registry> registry = obs::NewRegistry();
  std::shared_ptr<obs::ClientMetrics> client;
  std::shared_ptr<obs::IngestEndpoint> endpoint;
  Server server;
  std::thread thread;
  int port = 0;
};

}  // namespace glk_obs_test
