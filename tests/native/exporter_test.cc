// The /metrics exporter against real servers on 127.0.0.1 (port 0): negotiation, gzip, HEAD, 405, the
// name[] filter, the concurrency cap, concurrent scrapes, failing collectors, mounting next to other
// routes, self-metrics, Exporter::Start errors and a graceful Stop.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <golivekit/observability/exporter.h>
#include <golivekit/observability/negotiation.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <golivekit/observability.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "prometheus_accept.h"
#include "socket_util.h"

namespace obs = golivekit::observability;
using namespace std::chrono_literals;

namespace {

constexpr char kTextType[] = "text/plain; version=0.0.4; charset=utf-8";
constexpr char kOmType[] = "application/openmetrics-text; version=1.0.0; charset=utf-8";
constexpr char kProtobufType[] =
    "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

// True for the Accept headers of a Prometheus that scrapes native histograms (protobuf first).
bool AsksForProtobuf(const std::string& accept) {
  return accept.rfind("application/vnd.google.protobuf", 0) == 0;
}

// The Accept headers Prometheus sends (docs/exposition.md, "What Prometheus asks for").
const std::vector<std::string>& kPrometheusAccepts = glk_obs_test::PrometheusAcceptHeaders();

// A registry with a labelled counter and a gauge: a small exposition (well under 1 KiB).
std::shared_ptr<obs::Registry> SmallRegistry() {
  auto registry = obs::NewRegistry();
  auto events = obs::NewCounter({.name = "test_events_total", .help = "Events seen", .labels = {"kind"}});
  auto temperature = obs::NewGauge({.name = "test_temperature_celsius", .help = "Temperature"});
  REQUIRE(registry->Register(events).ok());
  REQUIRE(registry->Register(temperature).ok());
  events->WithLabels("a").Inc();
  (void)events->WithLabels("b").Add(2);
  temperature->Set(21.5);
  return registry;
}

// A registry whose exposition is ~20 KB, with a histogram: compressible.
std::shared_ptr<obs::Registry> BigRegistry() {
  auto registry = obs::NewRegistry();
  auto requests = obs::NewCounter(
      {.name = "test_http_requests_total", .help = "HTTP requests", .labels = {"path", "code"}});
  auto latency =
      obs::NewHistogram({.name = "test_http_latency_seconds", .help = "HTTP latency", .labels = {"path"}});
  REQUIRE(registry->Register(requests).ok());
  REQUIRE(registry->Register(latency).ok());
  for (int i = 0; i < 40; ++i) {
    const std::string path = "/api/v1/resource/" + std::to_string(i);
    (void)requests->WithLabels(path, "200").Add(100 + i);
    (void)requests->WithLabels(path, "500").Add(i);
    latency->WithLabels(path).Observe(0.001 * i);
  }
  return registry;
}

// The exposition without the exporter's self-metrics (which change from scrape to scrape).
std::string WithoutSelfMetrics(const std::string& text) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find("golivekit_metrics_handler_") == std::string::npos) out += line + "\n";
  }
  return out;
}

// The same for a protobuf exposition: the length-delimited MetricFamily messages whose name (field 1,
// written first) is not a self-metric's.
std::string WithoutSelfMetricsProtobuf(const std::string& body) {
  std::string out;
  std::size_t pos = 0;
  const auto varint = [&](std::size_t& at) {
    std::uint64_t v = 0;
    for (int shift = 0; at < body.size(); shift += 7) {
      const auto b = static_cast<std::uint8_t>(body[at++]);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    return v;
  };
  while (pos < body.size()) {
    const std::size_t start = pos;
    const std::uint64_t length = varint(pos);
    REQUIRE(pos + length <= body.size());
    std::size_t at = pos;
    REQUIRE(body[at++] == 0x0a);  // MetricFamily.name
    const std::uint64_t name_length = varint(at);
    const std::string name = body.substr(at, name_length);
    if (name.rfind("golivekit_metrics_handler_", 0) != 0) out += body.substr(start, pos + length - start);
    pos += length;
  }
  return out;
}

std::string WithoutSelfMetrics(const std::string& body, obs::Format format) {
  return format == obs::Format::kProtobuf ? WithoutSelfMetricsProtobuf(body) : WithoutSelfMetrics(body);
}

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  REQUIRE(inflateInit2(&zs, 15 + 16) == Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[16384];
  int ret = Z_OK;
  while (ret == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    ret = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - zs.avail_out);
  }
  inflateEnd(&zs);
  REQUIRE(ret == Z_STREAM_END);
  return out;
}

// True if `body` looks like a text 0.0.4 exposition: comments are HELP or TYPE, every sample line is
// `name[{labels}] value` with a parsable value, and the body ends with a newline.
bool ParseableText(const std::string& body, std::string& why) {
  if (!body.empty() && body.back() != '\n') {
    why = "no final newline";
    return false;
  }
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    const std::size_t space = line.rfind(' ');
    if (line.empty() || line[0] == '#' || space == std::string::npos || space == 0) {
      why = "bad line: " + line;
      return false;
    }
    const std::string value = line.substr(space + 1);
    if (value != "+Inf" && value != "-Inf" && value != "NaN") {
      char* end = nullptr;
      (void)std::strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0') {
        why = "bad value: " + line;
        return false;
      }
    }
    const char c = line[0];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':')) {
      why = "bad name: " + line;
      return false;
    }
  }
  return true;
}

// The value of the sample line that begins with `series` followed by a space, or NaN.
double SampleValue(const std::string& body, const std::string& series) {
  std::istringstream in(body);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
    }
  }
  return std::nan("");
}

httplib::Client MakeClient(int port) {
  httplib::Client cli("127.0.0.1", port);
  cli.set_decompress(false);  // see the bytes as sent
  cli.set_read_timeout(60, 0);
  cli.set_connection_timeout(10, 0);
  return cli;
}

httplib::Result Get(int port, const std::string& target, const httplib::Headers& headers = {}) {
  auto cli = MakeClient(port);
  return cli.Get(target, headers);
}

// A request written byte for byte (no header added by a client library), read until the server closes.
struct RawResponse {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

RawResponse RawRequest(int port, const std::string& request) {
  const int fd = glk_obs_test::ConnectLoopback(port);
  std::size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    sent += static_cast<std::size_t>(n);
  }
  std::string data;
  char buf[8192];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) data.append(buf, static_cast<std::size_t>(n));
  ::close(fd);

  RawResponse res;
  const std::size_t end = data.find("\r\n\r\n");
  REQUIRE(end != std::string::npos);
  std::istringstream head(data.substr(0, end));
  std::string line;
  std::getline(head, line);
  REQUIRE(line.rfind("HTTP/1.1 ", 0) == 0);
  res.status = std::atoi(line.c_str() + 9);
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::size_t v = colon + 1;
    while (v < line.size() && line[v] == ' ') ++v;
    res.headers.emplace(name, line.substr(v));
  }
  res.body = data.substr(end + 4);
  return res;
}

std::unique_ptr<obs::Exporter> StartExporter(std::shared_ptr<obs::Registry> registry,
                                             obs::ExporterOpts opts = {}, int threads = 8) {
  obs::Status error;
  auto exporter = obs::Exporter::Start(
      std::move(registry), {.host = "127.0.0.1", .port = 0, .threads = threads, .exporter = opts}, &error);
  INFO(error.ToString());
  REQUIRE(exporter != nullptr);
  REQUIRE(exporter->port() > 0);
  return exporter;
}

// A collector whose Collect blocks until Release(); counts the calls that entered.
class BlockingCollector final : public obs::Collector {
 public:
  std::vector<obs::Descriptor> Describe() const override {
    return {{.name = "blocking_value", .help = "Blocks", .type = obs::MetricType::kGauge}};
  }
  obs::Status Collect(std::vector<obs::FamilySnapshot>& out) const override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++entered_;
      cv_.notify_all();
      cv_.wait(lock, [this] { return released_; });
    }
    out.push_back({.name = "blocking_value",
                   .help = "Blocks",
                   .type = obs::MetricType::kGauge,
                   .series = {{.value = 1}}});
    return {};
  }
  bool WaitEntered(int n) const {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 30s, [&] { return entered_ >= n; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  int calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return entered_;
  }

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  mutable int entered_ = 0;
  bool released_ = false;
};

// A collector that appends a family and then fails (or throws): the registry must drop what it appended.
class FailingCollector final : public obs::Collector {
 public:
  explicit FailingCollector(bool throws) : throws_(throws) {}
  std::vector<obs::Descriptor> Describe() const override {
    return {{.name = throws_ ? "throwing_value" : "failing_value",
             .help = "Fails",
             .type = obs::MetricType::kGauge}};
  }
  obs::Status Collect(std::vector<obs::FamilySnapshot>& out) const override {
    out.push_back({.name = throws_ ? "throwing_value" : "failing_value",
                   .help = "Fails",
                   .type = obs::MetricType::kGauge,
                   .series = {{.value = 1}}});
    if (throws_) throw std::runtime_error("collector exploded");
    return obs::FailedPrecondition("cannot read the source");
  }

 private:
  bool throws_;
};

// An httplib::Server of the test's own, listening on 127.0.0.1:<any port> until destruction.
class TestServer {
 public:
  TestServer() { obs::ConfigureServer(server, 8); }
  void Start() {
    port = server.bind_to_any_port("127.0.0.1");
    REQUIRE(port > 0);
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~TestServer() {
    if (thread.joinable()) {
      server.stop();
      thread.join();
    }
  }
  httplib::Server server;
  std::thread thread;
  int port = 0;
};

}  // namespace

TEST_SUITE("native") {
  TEST_CASE("exporter: every Prometheus Accept header gets OpenMetrics 1.0.0, or protobuf when asked first") {
    auto registry = SmallRegistry();
    auto exporter = StartExporter(registry);
    for (const auto& accept : kPrometheusAccepts) {
      CAPTURE(accept);
      auto res = Get(exporter->port(), "/metrics", {{"Accept", accept}});
      REQUIRE(res);
      CHECK(res->status == 200);
      if (AsksForProtobuf(accept)) {
        CHECK(res->get_header_value("Content-Type") == kProtobufType);
        CHECK(res->get_header_value("Content-Type") == obs::ContentType(obs::Format::kProtobuf));
        CHECK(res->get_header_value("Vary") == "Accept-Encoding");
        CHECK(res->get_header_value("Vary", 1) == "Accept");
        CHECK(WithoutSelfMetricsProtobuf(res->body) ==
              WithoutSelfMetricsProtobuf(registry->Expose(obs::Format::kProtobuf)));
        CHECK_FALSE(WithoutSelfMetricsProtobuf(res->body).empty());
        continue;
      }
      CHECK(res->get_header_value("Content-Type") == kOmType);
      CHECK(res->get_header_value("Content-Type") == obs::ContentType(obs::Format::kOpenMetrics));
      CHECK(WithoutSelfMetrics(res->body) == WithoutSelfMetrics(registry->Expose(obs::Format::kOpenMetrics)));
      CHECK(res->body.size() >= 6);
      CHECK(res->body.substr(res->body.size() - 6) == "# EOF\n");
    }
  }

  TEST_CASE("exporter: no Accept, */*, text/plain and unknown types get text 0.0.4") {
    auto registry = SmallRegistry();
    auto exporter = StartExporter(registry);

    // No Accept header at all (a raw request: client libraries add one).
    const RawResponse raw =
        RawRequest(exporter->port(), "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    CHECK(raw.status == 200);
    CHECK(raw.header("content-type") == kTextType);
    CHECK(WithoutSelfMetrics(raw.body) == WithoutSelfMetrics(registry->Expose()));

    for (const std::string accept : {"*/*", "text/plain", "text/plain;version=0.0.4", "application/json",
                                     "text/plain;version=1.0.0;escaping=allow-utf-8", "garbage;;;,,"}) {
      CAPTURE(accept);
      auto res = Get(exporter->port(), "/metrics", {{"Accept", accept}});
      REQUIRE(res);
      CHECK(res->status == 200);
      CHECK(res->get_header_value("Content-Type") == kTextType);
      CHECK(WithoutSelfMetrics(res->body) == WithoutSelfMetrics(registry->Expose()));
    }
  }

  TEST_CASE("exporter: protobuf disabled gives OpenMetrics to the Prometheus that ask for protobuf") {
    auto registry = SmallRegistry();
    auto exporter = StartExporter(registry, {.enable_protobuf = false});
    for (const auto& accept : kPrometheusAccepts) {
      CAPTURE(accept);
      auto res = Get(exporter->port(), "/metrics", {{"Accept", accept}});
      REQUIRE(res);
      CHECK(res->get_header_value("Content-Type") == kOmType);
      CHECK(res->get_header_value("Vary", 1) == "Accept");
    }
  }

  TEST_CASE("exporter: OpenMetrics disabled, protobuf on: protobuf when asked first, else text 0.0.4") {
    auto registry = SmallRegistry();
    auto exporter = StartExporter(registry, {.enable_openmetrics = false});
    for (const auto& accept : kPrometheusAccepts) {
      CAPTURE(accept);
      auto res = Get(exporter->port(), "/metrics", {{"Accept", accept}});
      REQUIRE(res);
      CHECK(res->get_header_value("Content-Type") == (AsksForProtobuf(accept) ? kProtobufType : kTextType));
      CHECK(res->get_header_value("Vary", 1) == "Accept");
    }
  }

  TEST_CASE("exporter: OpenMetrics and protobuf disabled give text 0.0.4 to every Prometheus") {
    auto registry = SmallRegistry();
    auto exporter = StartExporter(registry, {.enable_openmetrics = false, .enable_protobuf = false});
    for (const auto& accept : kPrometheusAccepts) {
      CAPTURE(accept);
      auto res = Get(exporter->port(), "/metrics", {{"Accept", accept}});
      REQUIRE(res);
      CHECK(res->status == 200);
      CHECK(res->get_header_value("Content-Type") == kTextType);
      CHECK(res->get_header_value_count("Vary") == 1);  // the response no longer varies with Accept
      CHECK(res->get_header_value("Vary") == "Accept-Encoding");
    }
  }

  TEST_CASE("exporter: a big body is gzip'd when the client accepts gzip, in every format") {
    auto registry = BigRegistry();
    REQUIRE(registry->Expose().size() > 10000);
    auto exporter = StartExporter(registry);
    for (const auto format : {obs::Format::kText, obs::Format::kOpenMetrics, obs::Format::kProtobuf}) {
      const std::string accept = format == obs::Format::kText          ? "text/plain"
                                 : format == obs::Format::kOpenMetrics ? kPrometheusAccepts[3]
                                                                       : kPrometheusAccepts[1];
      for (const std::string encoding : {"gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.5", "*"}) {
        CAPTURE(accept);
        CAPTURE(encoding);
        auto res = Get(exporter->port(), "/metrics", {{"Accept", accept}, {"Accept-Encoding", encoding}});
        REQUIRE(res);
        CHECK(res->status == 200);
        CHECK(res->get_header_value("Content-Type") == obs::ContentType(format));
        CHECK(res->get_header_value("Content-Encoding") == "gzip");
        CHECK(res->get_header_value("Vary") == "Accept-Encoding");
        CHECK(res->get_header_value("Content-Length") == std::to_string(res->body.size()));
        const std::string plain = Gunzip(res->body);
        CHECK(res->body.size() * 4 < plain.size());
        CHECK(WithoutSelfMetrics(plain, format) == WithoutSelfMetrics(registry->Expose(format), format));
      }
    }
  }

  TEST_CASE("exporter: no compression unless gzip is accepted (cpp-httplib's own br/gzip never applies)") {
    auto registry = BigRegistry();
    auto exporter = StartExporter(registry);
    for (const std::string encoding : {"br", "identity", "gzip;q=0", "gzip;q=0, *", "deflate", ""}) {
      CAPTURE(encoding);
      httplib::Headers headers{{"Accept", "text/plain"}};
      if (!encoding.empty()) headers.emplace("Accept-Encoding", encoding);
      auto res = Get(exporter->port(), "/metrics", headers);
      REQUIRE(res);
      CHECK(res->status == 200);
      CHECK_FALSE(res->has_header("Content-Encoding"));
      CHECK(res->get_header_value("Vary") == "Accept-Encoding");
      CHECK(WithoutSelfMetrics(res->body) == WithoutSelfMetrics(registry->Expose()));
    }
  }

  TEST_CASE("exporter: a tiny body is never compressed, gzip_min_bytes = 0 compresses it") {
    auto registry = SmallRegistry();
    const std::string target = "/metrics?name[]=test_events_total";
    {
      auto exporter = StartExporter(registry);
      for (const std::string accept : {"text/plain", kPrometheusAccepts[0].c_str()}) {
        auto res =
            Get(exporter->port(), target, {{"Accept", accept}, {"Accept-Encoding", "gzip, deflate, br"}});
        REQUIRE(res);
        CHECK(res->status == 200);
        CHECK(res->body.size() < 1024);
        CHECK_FALSE(res->has_header("Content-Encoding"));
        CHECK(res->body.find("test_events_total{kind=\"b\"} 2") != std::string::npos);
      }
    }
    {
      auto exporter = StartExporter(registry, {.gzip_min_bytes = 0});
      auto res = Get(exporter->port(), target, {{"Accept-Encoding", "gzip"}});
      REQUIRE(res);
      CHECK(res->get_header_value("Content-Encoding") == "gzip");
      CHECK(Gunzip(res->body).find("test_events_total{kind=\"b\"} 2") != std::string::npos);
    }
  }

  TEST_CASE("exporter: HEAD has the headers of GET and no body") {
    auto registry = BigRegistry();
    auto exporter = StartExporter(registry);
    const std::string target = "/metrics?name[]=test_http_requests_total";  // a body that does not change
    for (const std::string encoding : {"identity", "gzip"}) {
      for (const std::string accept : {"text/plain", kPrometheusAccepts[2].c_str()}) {
        CAPTURE(encoding);
        CAPTURE(accept);
        const std::string headers = "Host: 127.0.0.1\r\nAccept: " + accept +
                                    "\r\nAccept-Encoding: " + encoding + "\r\nConnection: close\r\n\r\n";
        const RawResponse get = RawRequest(exporter->port(), "GET " + target + " HTTP/1.1\r\n" + headers);
        const RawResponse head = RawRequest(exporter->port(), "HEAD " + target + " HTTP/1.1\r\n" + headers);
        CHECK(get.status == 200);
        CHECK(head.status == 200);
        CHECK(head.body.empty());
        CHECK(!get.body.empty());
        CHECK(get.header("content-length") == std::to_string(get.body.size()));
        for (const char* name : {"content-type", "content-length", "content-encoding", "vary"}) {
          CAPTURE(name);
          CHECK(head.headers.count(name) == get.headers.count(name));
          CHECK(head.header(name) == get.header(name));
        }
      }
    }
  }

  TEST_CASE("exporter: other methods get 405 with Allow: GET, HEAD") {
    auto exporter = StartExporter(SmallRegistry());
    auto cli = MakeClient(exporter->port());
    std::vector<httplib::Result> results;
    results.push_back(cli.Post("/metrics", "x", "text/plain"));
    results.push_back(cli.Put("/metrics", "x", "text/plain"));
    results.push_back(cli.Delete("/metrics"));
    results.push_back(cli.Patch("/metrics", "x", "text/plain"));
    results.push_back(cli.Options("/metrics"));
    for (auto& res : results) {
      REQUIRE(res);
      CHECK(res->status == 405);
      CHECK(res->get_header_value("Allow") == "GET, HEAD");
    }
    auto res = cli.Get("/metrics?name[]=golivekit_metrics_handler_requests_total");
    REQUIRE(res);
    CHECK(SampleValue(res->body, "golivekit_metrics_handler_requests_total{code=\"405\"}") == 5);
  }

  TEST_CASE("exporter: the name[] filter exposes only the named families") {
    auto registry = SmallRegistry();
    auto exporter = StartExporter(registry);
    const int port = exporter->port();

    auto res = Get(port, "/metrics?name[]=test_temperature_celsius");
    REQUIRE(res);
    CHECK(res->body ==
          "# HELP test_temperature_celsius Temperature\n# TYPE test_temperature_celsius gauge\n"
          "test_temperature_celsius 21.5\n");

    // Both names, percent-encoded brackets (written raw: the client would re-encode them).
    const RawResponse raw =
        RawRequest(port,
                   "GET /metrics?name%5B%5D=test_temperature_celsius&x=1&name%5B%5D=test_events_total "
                   "HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    CHECK(raw.status == 200);
    CHECK(raw.body.find("test_events_total{kind=\"a\"} 1\n") != std::string::npos);
    CHECK(raw.body.find("test_temperature_celsius 21.5\n") != std::string::npos);
    CHECK(raw.body.find("golivekit_metrics_handler_") == std::string::npos);

    // OpenMetrics: a counter by its family name; an unknown name leaves only # EOF.
    res = Get(port, "/metrics?name[]=test_events", {{"Accept", kPrometheusAccepts[0]}});
    REQUIRE(res);
    CHECK(res->get_header_value("Content-Type") == kOmType);
    CHECK(res->body ==
          "# HELP test_events Events seen\n# TYPE test_events counter\n"
          "test_events_total{kind=\"a\"} 1.0\ntest_events_total{kind=\"b\"} 2.0\n# EOF\n");
    res = Get(port, "/metrics?name[]=nope", {{"Accept", kPrometheusAccepts[0]}});
    REQUIRE(res);
    CHECK(res->body == "# EOF\n");

    // Text with nothing left: an empty 200.
    res = Get(port, "/metrics?name[]=");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body.empty());
    CHECK(res->get_header_value("Content-Length") == "0");

    // Other parameters are no filter.
    res = Get(port, "/metrics?foo=bar");
    REQUIRE(res);
    CHECK(WithoutSelfMetrics(res->body) == WithoutSelfMetrics(registry->Expose()));
  }

  TEST_CASE("exporter: the concurrency cap answers 503 with Retry-After: 1 to scrape N+1") {
    auto registry = obs::NewRegistry();
    auto blocking = std::make_shared<BlockingCollector>();
    REQUIRE(registry->Register(blocking).ok());
    constexpr int kCap = 3;
    auto exporter = StartExporter(registry, {.max_concurrent_scrapes = kCap}, /*threads=*/8);
    const int port = exporter->port();

    std::mutex mu;
    std::condition_variable cv;
    std::vector<int> statuses;
    std::vector<std::string> retry_after;
    const auto scrape = [&] {
      auto res = Get(port, "/metrics");
      std::lock_guard<std::mutex> lock(mu);
      statuses.push_back(res ? res->status : -1);
      retry_after.push_back(res ? res->get_header_value("Retry-After") : "");
      cv.notify_all();
    };

    std::vector<std::thread> threads;
    threads.emplace_back(scrape);  // blocks inside Collect, holding the registry
    REQUIRE(blocking->WaitEntered(1));
    // N more: with the first one in flight, exactly one of them is over the cap, whatever their order.
    for (int i = 0; i < kCap; ++i) threads.emplace_back(scrape);
    {
      std::unique_lock<std::mutex> lock(mu);
      REQUIRE(cv.wait_for(lock, 30s, [&] { return !statuses.empty(); }));
      CHECK(statuses[0] == 503);
      CHECK(retry_after[0] == "1");
    }
    blocking->Release();
    for (auto& t : threads) t.join();
    CHECK(std::count(statuses.begin(), statuses.end(), 503) == 1);
    CHECK(std::count(statuses.begin(), statuses.end(), 200) == kCap);

    auto res = Get(port, "/metrics?name[]=golivekit_metrics_handler_requests_total");
    REQUIRE(res);
    CHECK(SampleValue(res->body, "golivekit_metrics_handler_requests_total{code=\"503\"}") == 1);
    CHECK(SampleValue(res->body, "golivekit_metrics_handler_requests_total{code=\"200\"}") == kCap);
  }

  TEST_CASE("exporter: concurrent scrapes share gathers, each one started after its request arrived") {
    auto registry = obs::NewRegistry();
    auto blocking = std::make_shared<BlockingCollector>();
    REQUIRE(registry->Register(blocking).ok());
    constexpr int kCap = 8;
    auto exporter = StartExporter(registry, {.max_concurrent_scrapes = kCap}, /*threads=*/12);
    const int port = exporter->port();

    std::mutex mu;
    std::condition_variable cv;
    std::vector<int> statuses;
    const auto scrape = [&] {
      auto res = Get(port, "/metrics");
      std::lock_guard<std::mutex> lock(mu);
      statuses.push_back(res ? res->status : -1);
      cv.notify_all();
    };
    std::vector<std::thread> threads;
    threads.emplace_back(scrape);  // gather 1, blocked
    REQUIRE(blocking->WaitEntered(1));
    for (int i = 0; i < kCap; ++i) threads.emplace_back(scrape);
    {
      // The one refused proves that the other kCap - 1 are in the handler, waiting for gather 1.
      std::unique_lock<std::mutex> lock(mu);
      REQUIRE(cv.wait_for(lock, 30s, [&] { return !statuses.empty(); }));
      CHECK(statuses[0] == 503);
    }
    blocking->Release();
    for (auto& t : threads) t.join();
    CHECK(std::count(statuses.begin(), statuses.end(), 200) == kCap);
    // Gather 1 for the first scrape, gather 2 shared by the kCap - 1 that arrived during gather 1.
    CHECK(blocking->calls() == 2);
  }

  TEST_CASE("exporter: concurrent scrapes while metrics are updated all succeed and parse") {
    auto registry = obs::NewRegistry();
    auto ops = obs::NewCounter({.name = "test_ops_total", .help = "Operations", .labels = {"worker"}});
    auto level = obs::NewGauge({.name = "test_level", .help = "Level"});
    auto latency = obs::NewHistogram({.name = "test_op_seconds", .help = "Latency", .labels = {"worker"}});
    REQUIRE(registry->Register(ops).ok());
    REQUIRE(registry->Register(level).ok());
    REQUIRE(registry->Register(latency).ok());
    ops->WithLabels("0").Inc();
    auto exporter = StartExporter(registry, {.max_concurrent_scrapes = 0}, /*threads=*/8);
    const int port = exporter->port();

    std::atomic<bool> done{false};
    std::vector<std::thread> updaters;
    for (int w = 0; w < 2; ++w) {
      updaters.emplace_back([&, w] {
        const std::string worker = std::to_string(w);
        auto counter = ops->WithLabels(worker);
        auto histogram = latency->WithLabels(worker);
        for (std::uint64_t i = 0; !done.load(std::memory_order_relaxed); ++i) {
          counter.Inc();
          histogram.Observe(static_cast<double>(i % 100) / 1000);
          level->Set(static_cast<double>(i));
          if (i % 64 == 0) std::this_thread::yield();
        }
      });
    }

    constexpr int kScrapers = 4;
    constexpr int kScrapes = 30;
    std::vector<std::string> problems(kScrapers);
    std::vector<int> ok(kScrapers, 0);
    std::vector<std::thread> scrapers;
    for (int s = 0; s < kScrapers; ++s) {
      scrapers.emplace_back([&, s] {
        auto cli = MakeClient(port);
        cli.set_keep_alive(true);
        const std::string mine = "scraper" + std::to_string(s);
        auto own = ops->WithLabels(mine);
        double last = 0;
        for (int i = 0; i < kScrapes; ++i) {
          own.Inc();  // before the request: the scrape must see it (gathers are shared, never stale)
          const bool om = (i % 2) == 1;
          httplib::Headers headers{{"Accept", om ? kPrometheusAccepts[3] : "text/plain"}};
          if (i % 3 == 0) headers.emplace("Accept-Encoding", "gzip");
          auto res = cli.Get("/metrics", headers);
          if (!res || res->status != 200) {
            problems[s] = "scrape failed";
            return;
          }
          std::string body =
              res->get_header_value("Content-Encoding") == "gzip" ? Gunzip(res->body) : res->body;
          if (om) {
            if (body.size() < 6 || body.compare(body.size() - 6, 6, "# EOF\n") != 0) {
              problems[s] = "no # EOF";
              return;
            }
            body.resize(body.size() - 6);
          }
          std::string why;
          if (!om && !ParseableText(body, why)) {
            problems[s] = why;
            return;
          }
          const double v = SampleValue(body, "test_ops_total{worker=\"0\"}");
          if (!(v >= last)) {
            problems[s] = "counter went backwards: " + std::to_string(v) + " < " + std::to_string(last);
            return;
          }
          last = v;
          const double seen = SampleValue(body, "test_ops_total{worker=\"" + mine + "\"}");
          if (seen != i + 1) {
            problems[s] =
                "stale scrape: " + mine + " is " + std::to_string(seen) + ", want " + std::to_string(i + 1);
            return;
          }
          ++ok[s];
        }
      });
    }
    for (auto& t : scrapers) t.join();
    done = true;
    for (auto& t : updaters) t.join();
    for (int s = 0; s < kScrapers; ++s) {
      CAPTURE(s);
      CHECK(problems[s].empty());
      CHECK(ok[s] == kScrapes);
    }
  }

  TEST_CASE(
      "exporter: a failing or throwing collector is left out, the scrape succeeds, errors are counted") {
    auto registry = SmallRegistry();
    REQUIRE(registry->Register(std::make_shared<FailingCollector>(false)).ok());
    REQUIRE(registry->Register(std::make_shared<FailingCollector>(true)).ok());
    auto exporter = StartExporter(registry);

    for (const std::string accept : {"text/plain", kPrometheusAccepts[0].c_str()}) {
      auto res = Get(exporter->port(), "/metrics", {{"Accept", accept}});
      REQUIRE(res);
      CHECK(res->status == 200);
      CHECK(res->body.find("test_events_total{kind=\"a\"} 1") != std::string::npos);
      CHECK(res->body.find("failing_value") == std::string::npos);
      CHECK(res->body.find("throwing_value") == std::string::npos);
    }
    // Two scrapes with two failures each, counted after each scrape's gather: 4 by now.
    auto res = Get(exporter->port(), "/metrics?name[]=golivekit_metrics_handler_errors_total");
    REQUIRE(res);
    CHECK(SampleValue(res->body, "golivekit_metrics_handler_errors_total{cause=\"collect\"}") == 4);
    CHECK(registry->failed_collects() >= 6);
  }

  TEST_CASE("exporter: MountMetrics into a server with other routes, they keep working") {
    auto registry = SmallRegistry();
    TestServer ts;
    ts.server.Get(
        "/", [](const httplib::Request&, httplib::Response& res) { res.set_content("home", "text/html"); });
    ts.server.Get(R"(/api/items/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("item " + req.matches[1].str(), "application/json");
    });
    ts.server.Post("/api/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.body, "text/plain");
    });
    REQUIRE(obs::MountMetrics(ts.server, registry).ok());
    REQUIRE(obs::MountMetrics(ts.server, registry, {.path = "/v1/metrics.txt", .enable_openmetrics = false})
                .ok());
    ts.Start();

    auto cli = MakeClient(ts.port);
    auto res = cli.Get("/");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "home");
    res = cli.Get("/api/items/42");
    REQUIRE(res);
    CHECK(res->body == "item 42");
    res = cli.Post("/api/echo", "ping", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "ping");

    res = cli.Get("/metrics");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type") == kTextType);
    CHECK(WithoutSelfMetrics(res->body) == WithoutSelfMetrics(registry->Expose()));
    res = cli.Get("/v1/metrics.txt", {{"Accept", kPrometheusAccepts[0]}});
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type") == kTextType);  // OpenMetrics off on this mount

    // Exact paths: no prefix match, and the '.' is not a regex wildcard.
    for (const char* path : {"/metrics/", "/metricsx", "/metric", "/v1/metricsXtxt"}) {
      CAPTURE(path);
      res = cli.Get(path);
      REQUIRE(res);
      CHECK(res->status == 404);
    }
  }

  TEST_CASE("exporter: MountMetrics errors mount nothing") {
    httplib::Server server;
    CHECK(obs::MountMetrics(server, nullptr).code() == obs::StatusCode::kInvalidArgument);
    CHECK(obs::MountMetrics(server, obs::NewRegistry(), {.path = "metrics"}).code() ==
          obs::StatusCode::kInvalidArgument);
    CHECK(obs::MountMetrics(server, obs::NewRegistry(), {.path = ""}).code() ==
          obs::StatusCode::kInvalidArgument);

    auto invalid = obs::NewRegistry({.namespace_ = "1bad"});
    REQUIRE_FALSE(invalid->status().ok());
    CHECK(obs::MountMetrics(server, invalid) == invalid->status());

    // A family of a self-metric's name that is not ours.
    auto taken = obs::NewRegistry();
    REQUIRE(
        taken->Register(obs::NewGauge({.name = "golivekit_metrics_handler_requests_in_flight", .help = "x"}))
            .ok());
    const obs::Status st = obs::MountMetrics(server, taken);
    CHECK(st.code() == obs::StatusCode::kAlreadyExists);
    // Nothing half-registered: the other self-metrics' names are still free.
    CHECK(taken->Register(obs::NewCounter({.name = "golivekit_metrics_handler_requests_total", .help = "x"}))
              .ok());
  }

  TEST_CASE("exporter: self-metrics, shared by every mount of a registry, under its namespace") {
    auto registry = obs::NewRegistry({.namespace_ = "myapp"});
    auto exporter1 = StartExporter(registry);
    auto exporter2 = StartExporter(registry);  // the same registry again: no conflict
    const std::string filter =
        "/metrics?name[]=myapp_golivekit_metrics_handler_requests_total"
        "&name[]=myapp_golivekit_metrics_handler_requests_in_flight"
        "&name[]=myapp_golivekit_metrics_handler_errors_total";
    REQUIRE(Get(exporter1->port(), filter));
    REQUIRE(Get(exporter2->port(), filter));
    auto res = Get(exporter1->port(), filter);
    REQUIRE(res);
    CHECK(
        res->body ==
        "# HELP myapp_golivekit_metrics_handler_errors_total Total number of internal errors of the metrics "
        "endpoint, by cause (collect: a collector failed and was left out of a scrape).\n"
        "# TYPE myapp_golivekit_metrics_handler_errors_total counter\n"
        "myapp_golivekit_metrics_handler_errors_total{cause=\"collect\"} 0\n"
        "# HELP myapp_golivekit_metrics_handler_requests_in_flight Current number of scrapes being served.\n"
        "# TYPE myapp_golivekit_metrics_handler_requests_in_flight gauge\n"
        "myapp_golivekit_metrics_handler_requests_in_flight 1\n"
        "# HELP myapp_golivekit_metrics_handler_requests_total Total number of scrapes of the metrics "
        "endpoint, "
        "by HTTP status code.\n"
        "# TYPE myapp_golivekit_metrics_handler_requests_total counter\n"
        "myapp_golivekit_metrics_handler_requests_total{code=\"200\"} 2\n"
        "myapp_golivekit_metrics_handler_requests_total{code=\"500\"} 0\n"
        "myapp_golivekit_metrics_handler_requests_total{code=\"503\"} 0\n");

    // Stopped and started again with the same registry: the self-metrics carry on.
    exporter1.reset();
    exporter2.reset();
    auto exporter3 = StartExporter(registry);
    res = Get(exporter3->port(), filter);
    REQUIRE(res);
    CHECK(SampleValue(res->body, "myapp_golivekit_metrics_handler_requests_total{code=\"200\"}") == 3);
  }

  TEST_CASE("exporter: the registry's process and runtime metrics are registered by MountMetrics") {
    auto registry = obs::NewRegistry({.include_runtime_metrics = true, .include_process_metrics = true});
    auto exporter = StartExporter(registry);
    auto res = Get(exporter->port(), "/metrics");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body.find("\nprocess_cpu_seconds_total ") != std::string::npos);
    CHECK(res->body.find("\ngolivekit_build_info{") != std::string::npos);
  }

  TEST_CASE("exporter: Start on a port in use returns null and an error") {
    auto registry = SmallRegistry();
    auto first = StartExporter(registry);

    obs::Status error;
    auto second = obs::Exporter::Start(registry, {.port = first->port()}, &error);
    CHECK(second == nullptr);
    CHECK(error.code() == obs::StatusCode::kFailedPrecondition);
    CHECK(error.message().find(std::to_string(first->port())) != std::string::npos);
    CHECK(error.message().find("in use") != std::string::npos);
    CHECK(obs::Exporter::Start(registry, {.port = first->port()}) == nullptr);  // no error pointer: fine

    // A port held by a plain listening socket (no SO_REUSEPORT games).
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof(addr);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    const int port = ntohs(addr.sin_port);
    error = {};
    CHECK(obs::Exporter::Start(registry, {.port = port}, &error) == nullptr);
    CHECK_FALSE(error.ok());
    ::close(fd);
  }

  TEST_CASE("exporter: Start rejects invalid options") {
    obs::Status error;
    CHECK(obs::Exporter::Start(nullptr, {.port = 0}, &error) == nullptr);
    CHECK(error.code() == obs::StatusCode::kInvalidArgument);
    CHECK(obs::Exporter::Start(obs::NewRegistry(), {.port = 70000}, &error) == nullptr);
    CHECK(error.code() == obs::StatusCode::kInvalidArgument);
    CHECK(obs::Exporter::Start(obs::NewRegistry(), {.port = 0, .threads = 0}, &error) == nullptr);
    CHECK(error.code() == obs::StatusCode::kInvalidArgument);
    CHECK(obs::Exporter::Start(obs::NewRegistry(), {.port = 0, .exporter = {.path = "x"}}, &error) ==
          nullptr);
    CHECK(error.code() == obs::StatusCode::kInvalidArgument);
    CHECK(obs::Exporter::Start(obs::NewRegistry(), {.host = "256.1.2.3", .port = 0}, &error) == nullptr);
    CHECK(error.code() == obs::StatusCode::kFailedPrecondition);
  }

  TEST_CASE("exporter: Stop is graceful: the scrape in flight finishes, then the port is closed") {
    auto registry = SmallRegistry();
    auto blocking = std::make_shared<BlockingCollector>();
    REQUIRE(registry->Register(blocking).ok());
    auto exporter = StartExporter(registry, {}, /*threads=*/4);
    const int port = exporter->port();

    std::unique_ptr<httplib::Result> in_flight;
    std::thread scraper([&] { in_flight = std::make_unique<httplib::Result>(Get(port, "/metrics")); });
    REQUIRE(blocking->WaitEntered(1));

    std::atomic<bool> stopped{false};
    std::thread stopper([&] {
      exporter->Stop();
      stopped = true;
    });
    std::this_thread::sleep_for(200ms);
    CHECK_FALSE(stopped.load());  // waiting for the scrape

    blocking->Release();
    scraper.join();
    stopper.join();
    CHECK(stopped.load());
    REQUIRE(in_flight);
    INFO(httplib::to_string(in_flight->error()));
    REQUIRE(*in_flight);
    const httplib::Response& res = **in_flight;
    CHECK(res.status == 200);
    CHECK(res.body.find("blocking_value 1\n") != std::string::npos);
    CHECK(res.body.find("test_temperature_celsius 21.5\n") != std::string::npos);

    auto after = Get(port, "/metrics");
    CHECK_FALSE(after);  // connection refused
    exporter->Stop();    // idempotent
  }

  TEST_CASE("exporter: Stop with an idle keep-alive connection returns within the keep-alive timeout") {
    auto exporter = StartExporter(SmallRegistry());
    auto cli = MakeClient(exporter->port());
    cli.set_keep_alive(true);
    auto res = cli.Get("/metrics");
    REQUIRE(res);
    CHECK(res->status == 200);
    const auto start = std::chrono::steady_clock::now();
    exporter->Stop();
    CHECK(std::chrono::steady_clock::now() - start < 3s);
  }
}
