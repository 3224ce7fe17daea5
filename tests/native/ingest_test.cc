// The client-metrics ingest endpoint against real servers on 127.0.0.1 (port 0): merging, exactly once
// (duplicates, lost responses, replays), the body cap (declared and chunked), content type, bearer
// token, CORS and preflight, rate limits (per address and per client), 405, JSON errors, many concurrent
// clients and native shippers with exact totals, option errors, and the standalone exporter's ingest.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <golivekit/observability/exporter.h>
#include <golivekit/observability/ingest.h>
#include <golivekit/observability/shipper.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <golivekit/observability.hpp>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ingest_util.h"
#include "socket_util.h"

namespace obs = golivekit::observability;
using namespace std::chrono_literals;
using glk_obs_test::ClientOpts;
using glk_obs_test::IngestServer;
using glk_obs_test::MakeBatch;
using glk_obs_test::ParseFlatJson;

namespace {

const std::string kEvents = "golivekit_client_events_total{event=\"click\"}";
const std::string kViews = "golivekit_client_open_views";
const std::string kBatchType(obs::kBatchContentType);

obs::ClientId Id(std::uint8_t n) {
  obs::ClientId id{};
  id[0] = 0xC1;
  id[15] = n;
  return id;
}

std::string Rejections(const std::string& reason) {
  return "golivekit_client_ingest_rejections_total{reason=\"" + reason + "\"}";
}

// The error body of a refusal: JSON with exactly "error" and "message", served as application/json.
void CheckError(const httplib::Result& res, int status, const std::string& reason) {
  INFO("transport error: ", httplib::to_string(res.error()));
  REQUIRE(res);
  CHECK(res->status == status);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  auto json = ParseFlatJson(res->body);
  INFO(res->body);
  REQUIRE(json.has_value());
  CHECK(json->size() == 2);
  CHECK(json->at("error") == reason);
  CHECK(!json->at("message").empty());
}

void CheckAccepted(const httplib::Result& res, const std::string& result, std::uint64_t sequence) {
  REQUIRE(res);
  INFO(res->body);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "application/json");
  auto json = ParseFlatJson(res->body);
  REQUIRE(json.has_value());
  CHECK(json->at("result") == result);
  CHECK(json->at("sequence") == std::to_string(sequence));
}

void SendAll(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    REQUIRE(n > 0);
    sent += static_cast<std::size_t>(n);
  }
}

// Sends `request` byte for byte and returns everything the server answers until it closes.
std::string RawExchange(int port, const std::string& request) {
  const int fd = glk_obs_test::ConnectLoopback(port);
  SendAll(fd, request);
  std::string data;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof(buf), 0)) > 0;) data.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return data;
}

std::string PostRequest(const std::string& body) {
  return "POST /metrics/ingest HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + kBatchType +
         "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// `data` gzip'd (one member, as `Content-Encoding: gzip` carries it).
std::string Gzip(const std::string& data) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

template <typename Pred>
bool Eventually(Pred pred, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

}  // namespace

TEST_SUITE("native") {
  TEST_CASE("ingest: batches are applied and merged, /metrics shows exactly their values") {
    IngestServer s;
    CheckAccepted(s.Post(MakeBatch(Id(1), 1, 3, 2.0, false, 0.05)), "applied", 1);
    CheckAccepted(s.Post(MakeBatch(Id(2), 1, 4, 5.0, false, 2.5)), "applied", 1);
    CheckAccepted(s.Post(MakeBatch(Id(1), 2, 1, 1.0)), "applied", 2);
    const std::string text = s.Metrics();
    INFO(text);
    const auto v = [&](const std::string& series) { return glk_obs_test::SampleValue(text, series); };
    CHECK(v(kEvents) == 8);
    CHECK(v(kViews) == 6);  // client 1 now holds 1, client 2 holds 5
    CHECK(v("golivekit_client_event_latency_seconds_bucket{event=\"click\",le=\"0.01\"}") == 0);
    CHECK(v("golivekit_client_event_latency_seconds_bucket{event=\"click\",le=\"0.1\"}") == 1);
    CHECK(v("golivekit_client_event_latency_seconds_bucket{event=\"click\",le=\"1\"}") == 1);
    CHECK(v("golivekit_client_event_latency_seconds_bucket{event=\"click\",le=\"+Inf\"}") == 2);
    CHECK(v("golivekit_client_event_latency_seconds_sum{event=\"click\"}") == doctest::Approx(2.55));
    CHECK(v("golivekit_client_event_latency_seconds_count{event=\"click\"}") == 2);
    CHECK(v("golivekit_client_ingest_batches_total{result=\"applied\"}") == 3);
    CHECK(text.find("# HELP golivekit_client_events_total Events handled in the browser.") !=
          std::string::npos);
    CHECK(text.find("# TYPE golivekit_client_events_total counter") != std::string::npos);
  }

  TEST_CASE("ingest: exactly once under duplicated requests, lost responses and replays") {
    IngestServer s;
    // The same request twice: applied, then duplicate; counted once.
    const std::string first = MakeBatch(Id(1), 1, 5);
    CheckAccepted(s.Post(first), "applied", 1);
    CheckAccepted(s.Post(first), "duplicate", 1);
    CHECK(s.Value(kEvents) == 5);

    // A lost response: the request reaches the server, the client never reads the answer and resends.
    const std::string second = MakeBatch(Id(1), 2, 7);
    {
      const int fd = glk_obs_test::ConnectLoopback(s.port);
      SendAll(fd, PostRequest(second));
      ::shutdown(fd, SHUT_WR);
      ::close(fd);  // the response is lost
    }
    REQUIRE(Eventually([&] { return s.Value(kEvents) == 12; }));
    CheckAccepted(s.Post(second), "duplicate", 2);
    CHECK(s.Value(kEvents) == 12);

    // Replays of older batches, in any order, within the window.
    for (std::uint64_t seq = 3; seq <= 6; ++seq)
      CheckAccepted(s.Post(MakeBatch(Id(1), seq, 1)), "applied", seq);
    for (std::uint64_t seq : {4, 1, 6, 3, 2, 5}) {
      CheckAccepted(s.Post(MakeBatch(Id(1), seq, 1)), "duplicate", seq);
    }
    CHECK(s.Value(kEvents) == 16);
    // A gap filled late is applied once.
    CheckAccepted(s.Post(MakeBatch(Id(1), 9, 1)), "applied", 9);
    CheckAccepted(s.Post(MakeBatch(Id(1), 8, 1)), "applied", 8);
    CheckAccepted(s.Post(MakeBatch(Id(1), 8, 1)), "duplicate", 8);
    CHECK(s.Value(kEvents) == 18);

    // Beyond the replay window: 409, never applied.
    CheckAccepted(s.Post(MakeBatch(Id(1), 200, 1)), "applied", 200);
    CheckError(s.Post(MakeBatch(Id(1), 7, 100)), 409, "stale_sequence");
    CHECK(s.Value(kEvents) == 19);
    CHECK(s.Value("golivekit_client_ingest_batches_total{result=\"duplicate\"}") == 9);
  }

  TEST_CASE("ingest: 413 for a declared length over the cap and for a chunked body that grows past it") {
    IngestServer s({.max_body_bytes = 1024});
    // Declared too large (the body is not read; the connection is closed).
    auto res = s.Post(std::string(1025, 'x'));
    CheckError(res, 413, "body_too_large");
    CHECK(res->get_header_value("Connection") == "close");

    // Declared far too large, no body sent at all: refused from the headers alone.
    const auto started = std::chrono::steady_clock::now();
    const std::string raw =
        RawExchange(s.port, "POST /metrics/ingest HTTP/1.1\r\nHost: x\r\nContent-Type: " + kBatchType +
                                "\r\nContent-Length: 1000000000\r\n\r\n");
    CHECK(raw.rfind("HTTP/1.1 413 ", 0) == 0);
    CHECK(raw.find("\"error\":\"body_too_large\"") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - started < 2s);  // closed at once, not at the keep-alive timeout

    // Chunked, no length: read until it passes the cap. (Raw, and sent in one go: cpp-httplib's client
    // gives up on the response when the server closes while it is still writing the body.)
    {
      std::string request = "POST /metrics/ingest HTTP/1.1\r\nHost: x\r\nContent-Type: " + kBatchType +
                            "\r\nTransfer-Encoding: chunked\r\n\r\n";
      for (int i = 0; i < 40; ++i) request += "64\r\n" + std::string(100, 'y') + "\r\n";
      request += "0\r\n\r\n";
      const std::string chunked = RawExchange(s.port, request);
      CHECK(chunked.rfind("HTTP/1.1 413 ", 0) == 0);
      CHECK(chunked.find("\"error\":\"body_too_large\"") != std::string::npos);
    }

    // Exactly at the cap: read, and judged by the decoder (not a batch: 400).
    CheckError(s.Post(std::string(1024, 'x')), 400, "malformed");
    // The server is fine afterwards, and nothing was merged.
    CheckAccepted(s.Post(MakeBatch(Id(1), 1, 2)), "applied", 1);
    CHECK(s.Value(kEvents) == 2);
    CHECK(s.Value(Rejections("body_too_large")) == 3);
  }

  TEST_CASE("ingest: a body cut short by the client is counted as incomplete_body, never as malformed") {
    IngestServer s;
    {
      const int fd = glk_obs_test::ConnectLoopback(s.port);
      SendAll(fd, "POST /metrics/ingest HTTP/1.1\r\nHost: x\r\nContent-Type: " + kBatchType +
                      "\r\nContent-Length: 1000\r\n\r\n" + std::string(10, 'x'));
      ::shutdown(fd, SHUT_WR);
      ::close(fd);  // 990 bytes short
    }
    const std::string rejected = "golivekit_client_ingest_batches_total{result=\"rejected\"}";
    REQUIRE(Eventually([&] { return s.Value(rejected) == 1; }));
    const std::string text = s.Metrics();
    CHECK(glk_obs_test::SampleValue(text, Rejections("malformed")) == 0);
    CHECK(glk_obs_test::SampleValue(text, Rejections("incomplete_body")) == 1);
    CHECK(glk_obs_test::SampleValue(text, "golivekit_client_ingest_received_bytes_total") == 10);
    // The server is fine afterwards.
    CheckAccepted(s.Post(MakeBatch(Id(1), 1, 2)), "applied", 1);
    CHECK(s.Value(kEvents) == 2);
  }

  TEST_CASE("ingest: 415 for another or no Content-Type, parameters and case are ignored") {
    IngestServer s;
    const std::string batch = MakeBatch(Id(1), 1, 1);
    CheckError(s.Post(batch, {}, "text/plain"), 415, "unsupported_media_type");
    CheckError(s.Post(batch, {}, "application/octet-stream"), 415, "unsupported_media_type");
    CheckError(s.Post(batch, {}, "application/vnd.golivekit.metrics-batchx"), 415, "unsupported_media_type");
    const std::string raw = RawExchange(s.port,
                                        "POST /metrics/ingest HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                        "Content-Length: " +
                                            std::to_string(batch.size()) + "\r\n\r\n" + batch);
    CHECK(raw.rfind("HTTP/1.1 415 ", 0) == 0);
    CHECK(s.Value(kEvents) != 1);
    CheckAccepted(s.Post(batch, {}, "Application/VND.GoliveKit.Metrics-Batch ; v=1"), "applied", 1);
    CHECK(s.Value(kEvents) == 1);
    CHECK(s.Value(Rejections("unsupported_media_type")) == 4);
  }

  TEST_CASE("ingest: Content-Encoding: identity or one gzip (any case) is undone, any other coding is 415") {
    IngestServer s({.max_body_bytes = 4096});
    const std::string batch = MakeBatch(Id(1), 1, 100);
    // Codings the server does not undo: refused, not merged as if they were identity.
    CheckError(s.Post(batch, {{"Content-Encoding", "compress"}}), 415, "unsupported_media_type");
    CheckError(s.Post(batch, {{"Content-Encoding", "x-unknown"}}), 415, "unsupported_media_type");
    CheckError(s.Post(batch, {{"Content-Encoding", "deflate"}}), 415, "unsupported_media_type");
    // Several codings, in one field or in two: refused rather than undone once.
    CheckError(s.Post(Gzip(Gzip(batch)), {{"Content-Encoding", "gzip, gzip"}}), 415,
               "unsupported_media_type");
    CheckError(s.Post(Gzip(Gzip(batch)), {{"Content-Encoding", "gzip"}, {"Content-Encoding", "gzip"}}), 415,
               "unsupported_media_type");
    CHECK(std::isnan(s.Value(kEvents)));
    CHECK(s.Value(Rejections("unsupported_media_type")) == 5);
    // The refused bodies were drained: the same keep-alive connection goes on.
    auto cli = s.Client();
    cli.set_keep_alive(true);
    CheckError(cli.Post("/metrics/ingest", {{"Content-Encoding", "compress"}}, batch, kBatchType), 415,
               "unsupported_media_type");
    CheckAccepted(cli.Post("/metrics/ingest", {{"Content-Encoding", "identity"}}, batch, kBatchType),
                  "applied", 1);
    // gzip in any case, x-gzip, surrounding spaces.
    CheckAccepted(s.Post(Gzip(MakeBatch(Id(1), 2, 10)), {{"Content-Encoding", "GZIP"}}), "applied", 2);
    CheckAccepted(s.Post(Gzip(MakeBatch(Id(1), 3, 1)), {{"Content-Encoding", "gzip"}}), "applied", 3);
    CheckAccepted(s.Post(Gzip(MakeBatch(Id(1), 4, 1000)), {{"Content-Encoding", "X-Gzip "}}), "applied", 4);
    CHECK(s.Value(kEvents) == 1111);
    // The cap applies to the decompressed bytes, whatever the spelling.
    CheckError(s.Post(Gzip(std::string(100000, 'x')), {{"Content-Encoding", "Gzip"}}), 413, "body_too_large");
    CHECK(s.Value(Rejections("unsupported_media_type")) == 6);
  }

  TEST_CASE("ingest: bearer token: 401 without it, 403 when wrong, 200 when right, keep-alive survives") {
    IngestServer s({.bearer_token = "s3cret-token"});
    const std::string batch = MakeBatch(Id(1), 1, 1);
    auto res = s.Post(batch);
    CheckError(res, 401, "unauthorized");
    CHECK(res->get_header_value("WWW-Authenticate") == "Bearer");
    CheckError(s.Post(batch, {{"Authorization", "Basic czNjcmV0LXRva2Vu"}}), 401, "unauthorized");
    CheckError(s.Post(batch, {{"Authorization", "Bearer"}}), 401, "unauthorized");
    CheckError(s.Post(batch, {{"Authorization", "Bearer s3cret-tokem"}}), 403, "forbidden");
    CheckError(s.Post(batch, {{"Authorization", "Bearer s3cret-token2"}}), 403, "forbidden");
    CheckError(s.Post(batch, {{"Authorization", "Bearer s3cret"}}), 403, "forbidden");
    CHECK(s.Value(kEvents) != 1);

    // One keep-alive connection: a refused request's body is drained, the next request works.
    auto cli = s.Client();
    cli.set_keep_alive(true);
    CheckError(cli.Post("/metrics/ingest", batch, kBatchType), 401, "unauthorized");
    CheckAccepted(cli.Post("/metrics/ingest", {{"Authorization", "bearer s3cret-token"}}, batch, kBatchType),
                  "applied", 1);
    CHECK(s.Value(kEvents) == 1);
    CHECK(s.Value(Rejections("unauthorized")) == 4);
    CHECK(s.Value(Rejections("forbidden")) == 3);
  }

  TEST_CASE("ingest: Update replaces token, origins and limits while serving, the path stays, totals stay") {
    IngestServer s({.bearer_token = "old"});
    CheckAccepted(s.Post(MakeBatch(Id(1), 1, 1), {{"Authorization", "Bearer old"}}), "applied", 1);
    REQUIRE(s.endpoint != nullptr);

    // Refused options change nothing.
    obs::Status st =
        s.endpoint->Update({.allowed_origins = {"https://app.example.com/"}, .bearer_token = "new"});
    CHECK(st.code() == obs::StatusCode::kInvalidArgument);
    st = s.endpoint->Update({.path = "/other", .bearer_token = "new"});
    CHECK_MESSAGE(st.message().find("the path cannot change") != std::string::npos, st.message());
    CheckAccepted(s.Post(MakeBatch(Id(1), 2, 1), {{"Authorization", "Bearer old"}}), "applied", 2);

    REQUIRE(s.endpoint->Update({.allowed_origins = {"https://app.example.com"}, .bearer_token = "new"}).ok());
    CheckError(s.Post(MakeBatch(Id(1), 3, 1), {{"Authorization", "Bearer old"}}), 403, "forbidden");
    CheckError(
        s.Post(MakeBatch(Id(1), 3, 1), {{"Authorization", "Bearer new"}, {"Origin", "https://x.example"}}),
        403, "origin_not_allowed");
    CheckAccepted(s.Post(MakeBatch(Id(1), 3, 1),
                         {{"Authorization", "Bearer new"}, {"Origin", "https://app.example.com"}}),
                  "applied", 3);
    CHECK(s.Value(kEvents) == 3);

    // A rate limit set by an Update: the burst, then 429.
    REQUIRE(s.endpoint->Update({.address_rate_per_second = 0.001, .address_burst = 1}).ok());
    CheckAccepted(s.Post(MakeBatch(Id(1), 4, 1)), "applied", 4);
    CheckError(s.Post(MakeBatch(Id(1), 5, 1)), 429, "rate_limited");
  }

  TEST_CASE("ingest: Close answers every POST with 503 shutting_down and Retry-After, keep-alive survives") {
    IngestServer s({.allowed_origins = {"https://app.example.com"}});
    CheckAccepted(s.Post(MakeBatch(Id(1), 1, 1)), "applied", 1);
    CHECK_FALSE(s.endpoint->closed());
    s.endpoint->Close(std::chrono::seconds(2));
    CHECK(s.endpoint->closed());
    auto cli = s.Client();
    cli.set_keep_alive(true);
    for (int i = 0; i < 2; ++i) {
      auto res = cli.Post("/metrics/ingest", {{"Origin", "https://app.example.com"}}, MakeBatch(Id(1), 2, 5),
                          kBatchType);
      CheckError(res, 503, "shutting_down");
      CHECK(res->get_header_value("Retry-After") == "2");
      CHECK(res->get_header_value("Access-Control-Allow-Origin") == "https://app.example.com");
    }
    auto preflight = cli.Options("/metrics/ingest", {{"Origin", "https://app.example.com"},
                                                     {"Access-Control-Request-Method", "POST"}});
    REQUIRE(preflight);
    CHECK(preflight->status == 204);
    CHECK(s.Value(kEvents) == 1);
    CHECK(s.Value(Rejections("shutting_down")) == 2);
  }

  TEST_CASE(
      "ingest: Close waits for a POST admitted before it, which is applied, and later ones are refused") {
    IngestServer s;
    const std::string request = PostRequest(MakeBatch(Id(1), 1, 7));
    const std::size_t head = request.find("\r\n\r\n") + 4;
    const int fd = glk_obs_test::ConnectLoopback(s.port);
    SendAll(fd, request.substr(0, head + 3));  // admitted: headers and a part of the body
    // cpp-httplib hands a request to a worker as soon as its headers are read; a second is a wide margin
    // (a POST not admitted yet by then would be refused, and the checks below would say so).
    std::this_thread::sleep_for(1s);
    std::atomic<bool> closed{false};
    std::thread closer([&] {
      s.endpoint->Close();
      closed = true;
    });
    std::this_thread::sleep_for(200ms);
    CHECK_FALSE(closed.load());  // still waiting for the body
    SendAll(fd, request.substr(head + 3));
    std::string answer;
    char buf[4096];
    while (answer.find("}") == std::string::npos) {
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      REQUIRE(n > 0);
      answer.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    closer.join();
    CHECK_MESSAGE(answer.find("\"result\":\"applied\"") != std::string::npos, answer);
    CHECK(s.Value(kEvents) == 7);
    CheckError(s.Post(MakeBatch(Id(1), 2, 1)), 503, "shutting_down");
  }

  TEST_CASE("ingest: CORS allowlist: allowed origins get their headers, others 403, no Origin is fine") {
    IngestServer s({.allowed_origins = {"https://app.example.com", "http://localhost:3000"}});
    auto res = s.Post(MakeBatch(Id(1), 1, 1), {{"Origin", "https://app.example.com"}});
    CheckAccepted(res, "applied", 1);
    CHECK(res->get_header_value("Access-Control-Allow-Origin") == "https://app.example.com");
    CHECK(res->get_header_value("Vary") == "Origin");
    CHECK(res->get_header_value("Access-Control-Expose-Headers") == "Retry-After");

    for (const char* origin : {"https://evil.example.com", "https://app.example.com.evil.com",
                               "http://app.example.com", "null", "https://APP.example.com"}) {
      CAPTURE(origin);
      res = s.Post(MakeBatch(Id(2), 1, 100), {{"Origin", origin}});
      CheckError(res, 403, "origin_not_allowed");
      CHECK(!res->has_header("Access-Control-Allow-Origin"));
    }
    // An error to an allowed origin is readable by the page (CORS headers on errors too).
    res = s.Post("garbage", {{"Origin", "http://localhost:3000"}});
    CheckError(res, 400, "malformed");
    CHECK(res->get_header_value("Access-Control-Allow-Origin") == "http://localhost:3000");
    // Native clients send no Origin.
    res = s.Post(MakeBatch(Id(3), 1, 1));
    CheckAccepted(res, "applied", 1);
    CHECK(!res->has_header("Access-Control-Allow-Origin"));
    CHECK(s.Value(kEvents) == 2);
    CHECK(s.Value(Rejections("origin_not_allowed")) == 5);

    IngestServer any({.allowed_origins = {"*"}});
    res = any.Post(MakeBatch(Id(1), 1, 1), {{"Origin", "https://anywhere.example"}});
    CheckAccepted(res, "applied", 1);
    CHECK(res->get_header_value("Access-Control-Allow-Origin") == "https://anywhere.example");

    IngestServer none;  // no origins configured: browsers are refused
    CheckError(none.Post(MakeBatch(Id(1), 1, 1), {{"Origin", "https://app.example.com"}}), 403,
               "origin_not_allowed");
  }

  TEST_CASE("ingest: CORS preflight: 204 with the exact headers for an allowed origin, 403 otherwise") {
    IngestServer s(
        {.allowed_origins = {"https://app.example.com"}, .extra_allowed_headers = {"x-request-id"}});
    auto cli = s.Client();
    const httplib::Headers preflight = {{"Origin", "https://app.example.com"},
                                        {"Access-Control-Request-Method", "POST"},
                                        {"Access-Control-Request-Headers", "content-type,authorization"}};
    auto res = cli.Options("/metrics/ingest", preflight);
    REQUIRE(res);
    CHECK(res->status == 204);
    CHECK(res->get_header_value("Access-Control-Allow-Origin") == "https://app.example.com");
    CHECK(res->get_header_value("Access-Control-Allow-Methods") == "POST, OPTIONS");
    CHECK(res->get_header_value("Access-Control-Allow-Headers") ==
          "content-type, authorization, x-request-id");
    CHECK(res->get_header_value("Access-Control-Max-Age") == "600");
    CHECK(res->get_header_value("Vary") == "Origin");
    CHECK(res->body.empty());

    res = cli.Options("/metrics/ingest",
                      {{"Origin", "https://evil.example.com"}, {"Access-Control-Request-Method", "POST"}});
    CheckError(res, 403, "origin_not_allowed");
    CHECK(!res->has_header("Access-Control-Allow-Origin"));

    res = cli.Options("/metrics/ingest");  // not a preflight
    REQUIRE(res);
    CHECK(res->status == 204);
    CHECK(res->get_header_value("Allow") == "POST, OPTIONS");
  }

  TEST_CASE("ingest: other methods get 405 with Allow: POST, OPTIONS and a JSON error") {
    IngestServer s;
    auto cli = s.Client();
    CheckError(cli.Get("/metrics/ingest"), 405, "method_not_allowed");
    CHECK(cli.Get("/metrics/ingest")->get_header_value("Allow") == "POST, OPTIONS");
    auto head = cli.Head("/metrics/ingest");
    REQUIRE(head);
    CHECK(head->status == 405);
    CheckError(cli.Put("/metrics/ingest", MakeBatch(Id(1), 1, 1), kBatchType), 405, "method_not_allowed");
    CheckError(cli.Patch("/metrics/ingest", MakeBatch(Id(1), 1, 1), kBatchType), 405, "method_not_allowed");
    CheckError(cli.Delete("/metrics/ingest"), 405, "method_not_allowed");
    CheckError(cli.Delete("/metrics/ingest", "x", "text/plain"), 405, "method_not_allowed");
    CHECK(s.Value(kEvents) != 1);
    // /metrics itself is untouched.
    CHECK(s.Value("golivekit_client_ingest_batches_total{result=\"applied\"}") == 0);
  }

  TEST_CASE("ingest: 400 with a JSON error naming the reason, nothing merged") {
    IngestServer s;
    CheckError(s.Post("definitely not a batch"), 400, "malformed");
    CheckError(s.Post(""), 400, "malformed");
    std::string truncated = MakeBatch(Id(1), 1, 1, 1.0);
    truncated.pop_back();
    CheckError(s.Post(truncated), 400, "malformed");
    std::string v3 = MakeBatch(Id(1), 1, 1);
    v3[4] = 3;
    CheckError(s.Post(v3), 400, "unsupported_version");

    const auto encode = [](obs::Batch batch) {
      std::string out;
      obs::EncodeBatch(batch, out);
      return out;
    };
    obs::Batch base{.client = Id(1), .sequence = 1};
    obs::Batch b = base;
    b.families.push_back({.name = "golivekit_client_events_total",
                          .type = obs::MetricType::kCounter,
                          .label_names = {"event"},
                          .series = {{.label_values = {"x"}, .value = -1}}});
    CheckError(s.Post(encode(b)), 400, "invalid_value");
    b = base;
    b.families.push_back({.name = "golivekit_client_events_total",
                          .type = obs::MetricType::kCounter,
                          .label_names = {"event"},
                          .series = {{.label_values = {"bad \xff\xfe \"quoted\"\n"}, .value = 1}}});
    auto res = s.Post(encode(b));
    CheckError(res, 400, "invalid_label_value");  // the message quotes the value: still valid JSON
    // A valid family and an invalid value in an undeclared one: all or nothing.
    b = base;
    b.families.push_back({.name = "golivekit_client_events_total",
                          .type = obs::MetricType::kCounter,
                          .label_names = {"event"},
                          .series = {{.label_values = {"click"}, .value = 50}}});
    b.families.push_back(
        {.name = "nope_total", .type = obs::MetricType::kCounter, .series = {{.value = -1}}});
    CheckError(s.Post(encode(b)), 400, "invalid_value");

    const std::string text = s.Metrics();
    CHECK(std::isnan(glk_obs_test::SampleValue(text, kEvents)));
    CHECK(glk_obs_test::SampleValue(text, "golivekit_client_ingest_batches_total{result=\"applied\"}") == 0);
    CHECK(glk_obs_test::SampleValue(text, Rejections("malformed")) == 3);
    CHECK(glk_obs_test::SampleValue(text, Rejections("invalid_value")) == 2);
  }

  TEST_CASE(
      "ingest: families that do not match their declaration are skipped and named, the rest applied once") {
    IngestServer s;
    const auto encode = [](obs::Batch batch) {
      std::string out;
      obs::EncodeBatch(batch, out);
      return out;
    };
    obs::Batch b{.client = Id(7), .sequence = 1};
    b.families.push_back({.name = "golivekit_client_event_latency_seconds",
                          .type = obs::MetricType::kHistogram,
                          .label_names = {"event"},
                          .bucket_bounds = {1, 2},
                          .series = {{.label_values = {"x"}, .bucket_deltas = {1, 0, 0}, .sum_delta = 1}}});
    b.families.push_back({.name = "golivekit_client_events_total",
                          .type = obs::MetricType::kCounter,
                          .label_names = {"event"},
                          .series = {{.label_values = {"click"}, .value = 5}}});
    b.families.push_back(
        {.name = "some_other_total", .type = obs::MetricType::kCounter, .series = {{.value = 1}}});
    const std::string bytes = encode(b);
    const auto res = s.Post(bytes);
    REQUIRE(res);
    CHECK(res->status == 200);
    INFO(res->body);
    const nlohmann::json answer = nlohmann::json::parse(res->body);
    CHECK(answer["result"] == "applied");
    CHECK(answer["sequence"] == 1);
    REQUIRE(answer["skipped"].size() == 2);
    CHECK(answer["skipped"][0]["metric"] == "golivekit_client_event_latency_seconds");
    CHECK(answer["skipped"][0]["reason"] == "bucket_mismatch");
    CHECK(answer["skipped"][1]["metric"] == "some_other_total");
    CHECK(answer["skipped"][1]["reason"] == "undeclared_metric");
    CHECK(answer["skipped"][1]["message"] == "some_other_total: not a client metric this server accepts");
    CHECK(s.Value(kEvents) == 5);
    // Resent: a duplicate, the counter merged once.
    CheckAccepted(s.Post(bytes), "duplicate", 1);
    const std::string text = s.Metrics();
    CHECK(glk_obs_test::SampleValue(text, kEvents) == 5);
    const auto skipped = [&](const std::string& reason) {
      return glk_obs_test::SampleValue(
          text, "golivekit_client_ingest_skipped_families_total{reason=\"" + reason + "\"}");
    };
    CHECK(skipped("bucket_mismatch") == 1);
    CHECK(skipped("undeclared_metric") == 1);
    CHECK(skipped("type_mismatch") == 0);
  }

  TEST_CASE("ingest: a batch that would make a total non-finite is 400 total_out_of_range, nothing merged") {
    // The counter's contribution limit lifted, so that two batches can reach the edge of a double.
    obs::ClientMetricsOpts declared = ClientOpts();
    declared.metrics[0].max_increment = std::numeric_limits<double>::max();
    IngestServer s({}, declared);
    const double big = std::numeric_limits<double>::max();
    CheckAccepted(s.Post(MakeBatch(Id(1), 1, big)), "applied", 1);
    CheckError(s.Post(MakeBatch(Id(1), 2, big, 3.0)), 400, "total_out_of_range");
    CHECK(s.Value(kEvents) == big);
    CHECK(s.Value(kViews) == 0);  // the gauge of the refused batch did not stick either
    CHECK(s.Value(Rejections("total_out_of_range")) == 1);
  }

  TEST_CASE("ingest: past what one batch may contribute is 400 value_out_of_range, nothing merged") {
    obs::ClientMetricsOpts declared = ClientOpts();
    declared.metrics[0].max_increment = 100;
    declared.metrics[1].max_observations = 1;
    declared.metrics[1].max_abs_observation = 60;
    declared.metrics[2].min_value = 0;
    declared.metrics[2].max_value = 10;
    IngestServer s({}, declared);
    const std::string latency_count = "golivekit_client_event_latency_seconds_count{event=\"click\"}";
    // At every limit: applied.
    CheckAccepted(s.Post(MakeBatch(Id(1), 1, 100, 10.0, false, 60.0)), "applied", 1);
    // One past each, beside values that are fine: refused whole, counted, nothing of the batch merged.
    CheckError(s.Post(MakeBatch(Id(2), 1, 101, 1.0)), 400, "value_out_of_range");
    CheckError(s.Post(MakeBatch(Id(2), 1, 1, 10.5)), 400, "value_out_of_range");
    CheckError(s.Post(MakeBatch(Id(2), 1, 1, -0.5)), 400, "value_out_of_range");
    CheckError(s.Post(MakeBatch(Id(2), 1, 1, 1.0, false, 60.5)), 400, "value_out_of_range");
    CheckError(s.Post(MakeBatch(Id(2), 1, 1, 1.0, false, -61.0)), 400, "value_out_of_range");
    obs::Batch two{.client = Id(2), .sequence = 1};
    std::vector<std::uint64_t> deltas(glk_obs_test::LatencyBuckets().size() + 1, 0);
    deltas[0] = 2;
    two.families.push_back(
        {.name = "golivekit_client_event_latency_seconds",
         .type = obs::MetricType::kHistogram,
         .label_names = {"event"},
         .bucket_bounds = glk_obs_test::LatencyBuckets(),
         .series = {{.label_values = {"click"}, .bucket_deltas = deltas, .sum_delta = 0.002}}});
    std::string body;
    obs::EncodeBatch(two, body);
    CheckError(s.Post(body), 400, "value_out_of_range");
    CHECK(s.Value(kEvents) == 100);
    CHECK(s.Value(kViews) == 10);
    CHECK(s.Value(latency_count) == 1);
    CHECK(s.Value(Rejections("value_out_of_range")) == 6);
    // The refused sequence was not used up: the same client's batch within the limits is applied.
    CheckAccepted(s.Post(MakeBatch(Id(2), 1, 1, 0.0)), "applied", 1);
    CHECK(s.Value(kEvents) == 101);
  }

  TEST_CASE("ingest: a tiny per-address rate gives a Retry-After of at most a day") {
    // Found by review while fuzzing: the wait was converted to 64-bit milliseconds unchecked (UBSan).
    IngestServer s({.address_rate_per_second = 1e-300, .address_burst = 1});
    CheckAccepted(s.Post(MakeBatch(Id(1), 1, 1)), "applied", 1);
    auto res = s.Post(MakeBatch(Id(2), 1, 1));
    CheckError(res, 429, "rate_limited");
    CHECK(res->get_header_value("Retry-After") == "86400");
  }

  TEST_CASE("ingest: per-address rate limit: 429 with Retry-After, proxy header, bounded LRU table") {
    IngestServer s({.address_rate_per_second = 0.5, .address_burst = 2});
    CheckAccepted(s.Post(MakeBatch(Id(1), 1, 1)), "applied", 1);
    CheckAccepted(s.Post(MakeBatch(Id(2), 1, 1)), "applied", 1);
    auto res = s.Post(MakeBatch(Id(3), 1, 1));
    CheckError(res, 429, "rate_limited");
    CHECK(res->get_header_value("Retry-After") == "2");  // one token at 0.5/s, rounded up
    CHECK(s.Value(kEvents) == 2);
    CHECK(s.Value(Rejections("rate_limited")) == 1);

    // Behind a proxy: each forwarded address has its bucket; the table keeps at most 2 addresses.
    IngestServer p({.address_rate_per_second = 0.001,
                    .address_burst = 1,
                    .max_tracked_addresses = 2,
                    .trusted_proxy_header = "X-Forwarded-For"});
    const auto post = [&](const char* xff, std::uint8_t client) {
      return p.Post(MakeBatch(Id(client), 1, 1), {{"X-Forwarded-For", xff}});
    };
    CheckAccepted(post("203.0.113.1, 10.0.0.1", 1), "applied", 1);
    CheckError(post("203.0.113.1", 2), 429, "rate_limited");
    CheckAccepted(post("203.0.113.2", 3), "applied", 1);
    CheckError(post(" 203.0.113.2 ,x", 4), 429, "rate_limited");
    CheckAccepted(post("203.0.113.3", 5), "applied", 1);  // evicts 203.0.113.1, the least recently seen
    CheckAccepted(post("203.0.113.1", 6), "applied", 1);  // back with a full bucket
    CheckError(post("203.0.113.3", 7), 429, "rate_limited");
    CHECK(p.Value(kEvents) == 4);
  }

  TEST_CASE("ingest: per-client rate limit (429) and client table limit (503) come with Retry-After") {
    obs::ClientMetricsOpts opts = ClientOpts();
    opts.rate_per_second = 0.5;
    opts.rate_burst = 2;
    opts.max_clients = 2;
    IngestServer s({}, opts);
    CheckAccepted(s.Post(MakeBatch(Id(1), 1, 1)), "applied", 1);
    CheckAccepted(s.Post(MakeBatch(Id(1), 2, 1)), "applied", 2);
    auto res = s.Post(MakeBatch(Id(1), 3, 1));
    CheckError(res, 429, "rate_limited");
    CHECK(res->get_header_value("Retry-After") == "2");
    // A retry of an applied batch is still a duplicate, not a rate-limit.
    CheckAccepted(s.Post(MakeBatch(Id(1), 2, 1)), "duplicate", 2);

    CheckAccepted(s.Post(MakeBatch(Id(2), 1, 1)), "applied", 1);
    res = s.Post(MakeBatch(Id(3), 1, 1));
    CheckError(res, 503, "too_many_clients");
    REQUIRE(res->has_header("Retry-After"));
    CHECK(std::stoi(res->get_header_value("Retry-After")) >= 1);
    CHECK(s.Value(kEvents) == 3);
  }

  TEST_CASE("ingest: 32 concurrent HTTP clients with duplicates, plus native shippers: exact totals") {
    obs::ClientMetricsOpts opts = ClientOpts();
    opts.rate_per_second = 0;  // no limit: this test is about correctness under concurrency
    IngestServer s({.address_rate_per_second = 0}, opts, /*threads=*/48);
    constexpr int kThreads = 32;
    constexpr int kBatches = 20;
    constexpr int kShippers = 4;
    constexpr int kRounds = 5;
    constexpr int kPerRound = 50;

    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        auto cli = s.Client();
        cli.set_keep_alive(true);
        const obs::ClientId id = Id(static_cast<std::uint8_t>(t));
        for (int i = 1; i <= kBatches; ++i) {
          const std::string batch =
              MakeBatch(id, static_cast<std::uint64_t>(i), 1, 1.0, /*final=*/i == kBatches, 0.5);
          const int sends = i % 5 == 0 ? 2 : 1;  // every fifth batch is sent twice
          for (int k = 0; k < sends; ++k) {
            auto res = cli.Post("/metrics/ingest", batch, kBatchType);
            if (!res || res->status != 200) failures.fetch_add(1);
          }
        }
      });
    }

    std::vector<std::thread> shippers;
    std::atomic<std::uint64_t> shipper_batches{0};
    std::atomic<std::uint64_t> shipper_duplicates{0};
    for (int k = 0; k < kShippers; ++k) {
      shippers.emplace_back([&] {
        glk_obs_test::ClientRegistry client;
        auto shipper = obs::Shipper::Start(client.registry, {.url = s.url(), .interval = 20ms});
        if (!shipper) {  // no REQUIRE off the main thread
          failures.fetch_add(1);
          return;
        }
        client.open_views->Set(1);
        for (int r = 0; r < kRounds; ++r) {
          for (int i = 0; i < kPerRound; ++i) {
            client.events->WithLabels("click").Inc();
            client.latency->WithLabels("click").Observe(0.005);
          }
          if (!shipper->Flush(10s)) failures.fetch_add(1);
        }
        shipper->Stop();
        const obs::ShipperStats st = shipper->stats();
        if (st.batches_dropped + st.batches_rejected != 0 || st.buffered_batches != 0) failures.fetch_add(1);
        shipper_batches.fetch_add(st.batches_accepted);
        shipper_duplicates.fetch_add(st.batches_duplicate);
      });
    }
    for (auto& t : threads) t.join();
    for (auto& t : shippers) t.join();
    CHECK(failures.load() == 0);

    const std::string text = s.Metrics();
    const auto v = [&](const std::string& series) { return glk_obs_test::SampleValue(text, series); };
    const double events = kThreads * kBatches + kShippers * kRounds * kPerRound;
    CHECK(v(kEvents) == events);
    CHECK(v("golivekit_client_event_latency_seconds_count{event=\"click\"}") == events);
    CHECK(v("golivekit_client_event_latency_seconds_bucket{event=\"click\",le=\"0.01\"}") ==
          kShippers * kRounds * kPerRound);
    CHECK(v("golivekit_client_event_latency_seconds_bucket{event=\"click\",le=\"1\"}") == events);
    CHECK(v(kViews) == 0);  // every client's last batch was final
    CHECK(v("golivekit_client_ingest_batches_total{result=\"applied\"}") ==
          kThreads * kBatches + static_cast<double>(shipper_batches.load()));
    CHECK(v("golivekit_client_ingest_batches_total{result=\"duplicate\"}") ==
          kThreads * kBatches / 5 + static_cast<double>(shipper_duplicates.load()));
    CHECK(v("golivekit_client_ingest_batches_total{result=\"rejected\"}") == 0);
  }

  TEST_CASE("ingest: MountIngest rejects invalid options and mounts nothing") {
    httplib::Server server;
    auto client = obs::NewClientMetrics(ClientOpts());
    CHECK(obs::MountIngest(server, nullptr).code() == obs::StatusCode::kInvalidArgument);
    CHECK(obs::MountIngest(server, client, {.path = "metrics/ingest"}).code() ==
          obs::StatusCode::kInvalidArgument);
    CHECK(obs::MountIngest(server, client, {.max_body_bytes = 0}).code() ==
          obs::StatusCode::kInvalidArgument);
    for (const char* origin : {"https://app.example.com/", "app.example.com", "https://",
                               "https://a.com/path", "https://user@a.com"}) {
      CAPTURE(origin);
      CHECK(obs::MountIngest(server, client, {.allowed_origins = {origin}}).code() ==
            obs::StatusCode::kInvalidArgument);
    }
    CHECK(obs::MountIngest(server, client, {.address_rate_per_second = -1}).code() ==
          obs::StatusCode::kInvalidArgument);
    CHECK(obs::MountIngest(server, client, {.address_rate_per_second = 1, .address_burst = 0.5}).code() ==
          obs::StatusCode::kInvalidArgument);
    CHECK(obs::MountIngest(server, client, {.max_tracked_addresses = 0}).code() ==
          obs::StatusCode::kInvalidArgument);
    auto invalid = obs::NewClientMetrics({.metrics = {{.name = "bad name"}}});
    REQUIRE(!invalid->status().ok());
    CHECK(obs::MountIngest(server, invalid) == invalid->status());
    CHECK(obs::MountIngest(server, client, {.allowed_origins = {"*", "http://[::1]:8080"}}).ok());
  }

  TEST_CASE("ingest: Exporter::Start with client_metrics serves /metrics and the ingest endpoint") {
    auto registry = obs::NewRegistry();
    auto client = obs::NewClientMetrics(ClientOpts());
    REQUIRE(registry->Register(client).ok());
    obs::Status error;
    obs::ServerOpts opts{.port = 0, .threads = 4, .client_metrics = client};
    opts.ingest = obs::IngestOpts{.bearer_token = "t"};
    auto exporter = obs::Exporter::Start(registry, opts, &error);
    INFO(error.ToString());
    REQUIRE(exporter != nullptr);
    httplib::Client cli("127.0.0.1", exporter->port());
    CheckError(cli.Post("/metrics/ingest", MakeBatch(Id(1), 1, 4), kBatchType), 401, "unauthorized");
    CheckAccepted(
        cli.Post("/metrics/ingest", {{"Authorization", "Bearer t"}}, MakeBatch(Id(1), 1, 4), kBatchType),
        "applied", 1);
    auto res = cli.Get("/metrics");
    REQUIRE(res);
    CHECK(glk_obs_test::SampleValue(res->body, kEvents) == 4);

    opts.ingest = obs::IngestOpts{.path = "/metrics"};
    CHECK(obs::Exporter::Start(registry, opts, &error) == nullptr);
    CHECK(error.code() == obs::StatusCode::kInvalidArgument);
  }
}
