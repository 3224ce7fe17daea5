// The gateway's configuration file: the documented example, and an error naming the field for every
// kind of mistake.
#include "config.h"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "golivekit/observability/buckets.h"

namespace gw = golivekit::gateway;
namespace obs = golivekit::observability;
using namespace std::chrono_literals;

namespace {

// The error ParseConfig gives for `text` ("" when it accepts it).
std::string ErrorOf(const std::string& text) {
  gw::Config c;
  const obs::Status st = gw::ParseConfig(text, "/nonexistent", c);
  return std::string(st.message());
}

std::string Metric(const std::string& fields) {
  return R"({"metrics": [{"name": "a_total", "help": "h", "type": "counter"}, {)" + fields + "}]}";
}

}  // namespace

TEST_SUITE("gateway") {
  TEST_CASE("config: the example in deploy/gateway reads as documented") {
    gw::Config c;
    const obs::Status st = gw::LoadConfig(GLK_OBS_SOURCE_DIR "/deploy/gateway/gateway.jsonc", c);
    REQUIRE_MESSAGE(st.ok(), st.message());
    CHECK(c.listen() == "127.0.0.1:9464");
    CHECK(c.threads == 16);
    CHECK(c.metrics_path == "/metrics");
    CHECK(c.ingest.path == "/metrics/ingest");
    CHECK(c.ingest.allowed_origins == std::vector<std::string>{"https://app.example.com"});
    CHECK(c.ingest.bearer_token.empty());
    CHECK(c.ingest.trusted_proxy_header == "X-Forwarded-For");
    CHECK(c.clients.max_clients == 10000);
    CHECK(c.clients.client_ttl == 600s);
    CHECK(c.clients.live_timeout == 60s);
    CHECK(c.drain_timeout == 30s);
    CHECK(c.drain_scrapers == 1);
    // Four declared, then the five Web Vitals.
    REQUIRE(c.clients.metrics.size() == 9);
    const obs::ClientMetricDecl& latency = c.clients.metrics[1];
    CHECK(latency.type == obs::MetricType::kHistogram);
    CHECK(latency.buckets == obs::DefaultBuckets);
    CHECK(latency.native_bucket_factor == 1.1);
    CHECK(latency.max_abs_observation == 600);
    CHECK(c.clients.metrics[3].gauge_policy == obs::GaugePolicy::kSumLive);
    CHECK(c.clients.metrics[3].max_value == 100);
    CHECK(obs::NewClientMetrics(c.clients)->status().ok());
  }

  TEST_CASE("config: defaults, durations, IPv6, and a token file beside the config") {
    gw::Config c;
    REQUIRE(gw::ParseConfig("{}", ".", c).ok());
    CHECK(c.listen() == "127.0.0.1:9464");
    CHECK(c.clients.metrics.empty());
    REQUIRE(
        gw::ParseConfig(R"({"listen": "[::1]:0", "clients": {"client_ttl": "1h30m", "live_timeout": "1500ms"},
                                "shutdown": {"drain_timeout": "0s", "scrapers": 2}})",
                        ".", c)
            .ok());
    CHECK(c.host == "::1");
    CHECK(c.port == 0);
    CHECK(c.listen() == "[::1]:0");
    CHECK(c.clients.client_ttl == 5400s);
    CHECK(c.clients.live_timeout == 2s);  // whole seconds, rounded up
    CHECK(c.drain_timeout == 0ms);
    CHECK(c.drain_scrapers == 2);

    const std::string dir = "/tmp/glk_gateway_config_test";
    std::remove((dir + "/token").c_str());
    (void)std::system(("mkdir -p " + dir).c_str());
    std::ofstream(dir + "/token") << "s3cret\n";
    REQUIRE(gw::ParseConfig(R"({"ingest": {"bearer_token_file": "token"}})", dir, c).ok());
    CHECK(c.ingest.bearer_token == "s3cret");
    CHECK(ErrorOf(R"({"ingest": {"bearer_token_file": "missing"}})") ==
          "ingest.bearer_token_file: cannot read /nonexistent/missing");
    CHECK(gw::ParseConfig(R"({"ingest": {"bearer_token": "x", "bearer_token_file": "token"}})", dir, c)
              .message() == "ingest.bearer_token_file: give bearer_token or bearer_token_file, not both");
  }

  TEST_CASE("config: every mistake is refused with the field it is in") {
    CHECK(ErrorOf("{").rfind("not valid JSON: parse error at line 1, column 2", 0) == 0);
    CHECK(ErrorOf("[]") == "the configuration: must be an object, not []");
    CHECK(ErrorOf(R"({"listne": "x"})") == "listne: is not a field here (misspelt?)");
    CHECK(ErrorOf(R"({"listen": "localhost"})") ==
          R"(listen: "localhost" is not host:port (an IPv6 host in brackets))");
    CHECK(ErrorOf(R"({"listen": "h:99999"})") == R"(listen: "h:99999": bad port)");
    CHECK(ErrorOf(R"({"threads": 0})") == "threads: 0 is out of range [1, 4096]");
    CHECK(ErrorOf(R"({"threads": 2.5})") == "threads: must be a whole number, not 2.5");
    CHECK(ErrorOf(R"({"metrics_path": "metrics"})") == "metrics_path: must begin with '/'");
    CHECK(ErrorOf(R"({"ingest": {"path": "/-/ready"}})") == "ingest.path: /-/ready is the gateway's own");
    CHECK(
        ErrorOf(R"({"ingest": {"allowed_origins": ["https://a.example/"]}})") ==
        R"(ingest: allowed origin "https://a.example/" is not "*" nor scheme://host[:port] (no path, no trailing '/'))");
    CHECK(ErrorOf(R"({"ingest": {"allowed_origins": "https://a.example"}})") ==
          R"(ingest.allowed_origins: must be a list of strings, not "https://a.example")");
    CHECK(ErrorOf(R"({"ingest": {"max_body_bytes": -1}})") ==
          "ingest.max_body_bytes: must be a whole number, not -1");
    CHECK(ErrorOf(R"({"clients": {"client_ttl": 600}})") ==
          R"(clients.client_ttl: 600 is not a duration (a string like "500ms", "30s", "10m", "1h30m"))");
    CHECK(ErrorOf(R"({"clients": {"client_ttl": "10"}})")
              .rfind("clients.client_ttl: \"10\" is not a duration", 0) == 0);
    CHECK(ErrorOf(R"({"clients": {"rate_per_second": "5"}})") ==
          R"(clients.rate_per_second: must be a number, not "5")");
    CHECK(ErrorOf(R"({"shutdown": {"drain": "1s"}})") == "shutdown.drain: is not a field here (misspelt?)");
    CHECK(ErrorOf(R"({"metrics": {}})") == "metrics: must be a list of metric declarations");
    CHECK(ErrorOf(Metric(R"("name": "b", "type": "counter")")) == "metrics[1].help: is required");
    CHECK(ErrorOf(Metric(R"("name": "b", "help": "h", "type": "summary")")) ==
          R"(metrics[1].type: "summary" is not one of "counter", "gauge", "histogram")");
    CHECK(ErrorOf(Metric(R"("name": "b_total", "help": "h", "type": "counter", "buckets": [1])")) ==
          "metrics[1].buckets: is for histograms only");
    CHECK(ErrorOf(Metric(R"("name": "b", "help": "h", "type": "gauge", "gauge_policy": "avg")")) ==
          R"(metrics[1].gauge_policy: "avg" is not one of "sum", "max", "min", "last")");
    CHECK(ErrorOf(Metric(R"("name": "b", "help": "h", "type": "histogram", "buckets": [2, 1])"))
              .rfind("metrics[1]: b: bucket bounds must be finite and strictly increasing", 0) == 0);
    CHECK(ErrorOf(Metric(R"("name": "b-c", "help": "h", "type": "gauge")")).rfind("metrics[1]: ", 0) == 0);
    CHECK(ErrorOf(Metric(R"("name": "a_total", "help": "h", "type": "counter")")) ==
          R"(metrics[1]: "a_total" is declared twice)");
    CHECK(
        ErrorOf(
            R"({"web_vitals": true, "metrics": [{"name": "golivekit_client_web_vitals_lcp_seconds", "help": "h",
                      "type": "histogram", "buckets": [1]}]})")
            .rfind("web_vitals: \"golivekit_client_web_vitals_lcp_seconds\" is declared twice", 0) == 0);
  }

  TEST_CASE("config: what a reload cannot change is named") {
    gw::Config a;
    gw::Config b;
    CHECK(gw::CheckReloadable(a, b).ok());
    b.port = 9999;
    CHECK(gw::CheckReloadable(a, b).message() ==
          "listen: changing it needs a restart (running with 127.0.0.1:9464, the file says 127.0.0.1:9999)");
    b = a;
    b.ingest.path = "/ingest";
    CHECK(gw::CheckReloadable(a, b).message().rfind("ingest.path: changing it needs a restart", 0) == 0);
    b = a;
    b.ingest.bearer_token = "new";
    b.clients.max_clients = 5;
    CHECK(gw::CheckReloadable(a, b).ok());
  }
}
