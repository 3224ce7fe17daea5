// Unit tests of the pure negotiation functions (negotiation.h): Accept, Accept-Encoding, the name[]
// filter, and malformed input of every kind. The selection a filter makes (FilterFamilies) is core's:
// tests/core/snapshot_filter_test.cc.
#include <doctest/doctest.h>
#include <golivekit/observability/negotiation.h>

#include <cstdint>
#include <golivekit/observability.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "prometheus_accept.h"

namespace obs = golivekit::observability;

namespace {

constexpr obs::Format kText = obs::Format::kText;
constexpr obs::Format kOm = obs::Format::kOpenMetrics;
constexpr obs::Format kPb = obs::Format::kProtobuf;
constexpr obs::AcceptedFormats kAll{};

// The media type Prometheus asks for when it scrapes native histograms.
constexpr std::string_view kPbType =
    "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited";

obs::Format Negotiate(std::string_view accept) { return obs::NegotiateFormat(accept, kAll); }

}  // namespace

TEST_SUITE("native") {
  TEST_CASE("negotiation: every Prometheus Accept header selects OpenMetrics 1.0.0, or text when disabled") {
    for (const auto& accept : glk_obs_test::PrometheusAcceptHeaders()) {
      CAPTURE(accept);
      CHECK(obs::NegotiateFormat(accept, true) == kOm);
      CHECK(obs::NegotiateFormat(accept, false) == kText);
    }
  }

  TEST_CASE("negotiation: no, unknown and wildcard Accept headers give text 0.0.4") {
    for (const std::string_view accept :
         {"", " ", "*/*", "text/plain", "text/plain;version=0.0.4", "text/*", "application/json",
          "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
          "application/*", "text/html,application/xhtml+xml", "text/plain;version=1.0.0"}) {
      CAPTURE(accept);
      CHECK(obs::NegotiateFormat(accept, true) == kText);
      CHECK(obs::NegotiateFormat(accept, false) == kText);
    }
  }

  TEST_CASE("negotiation: a Prometheus scraping native histograms gets protobuf, the others OpenMetrics") {
    const auto& headers = glk_obs_test::PrometheusAcceptHeaders();
    for (std::size_t i = 0; i < headers.size(); ++i) {
      const std::string& accept = headers[i];
      CAPTURE(accept);
      const bool wants_protobuf = i == 1 || i == 4;  // 2.40-2.47 and 3.x with native histograms
      CHECK(Negotiate(accept) == (wants_protobuf ? kPb : kOm));
      CHECK(obs::NegotiateFormat(accept, {.openmetrics = true, .protobuf = false}) == kOm);
      CHECK(obs::NegotiateFormat(accept, {.openmetrics = false, .protobuf = true}) ==
            (wants_protobuf ? kPb : kText));
      CHECK(obs::NegotiateFormat(accept, {.openmetrics = false, .protobuf = false}) == kText);
    }
  }

  TEST_CASE("negotiation: protobuf only as delimited MetricFamily messages, never by wildcard") {
    CHECK(Negotiate(kPbType) == kPb);
    CHECK(Negotiate("application/vnd.google.protobuf; proto=\"io.prometheus.client.MetricFamily\"; "
                    "encoding=\"delimited\"") == kPb);
    CHECK(Negotiate(
              "Application/Vnd.Google.Protobuf;Proto=io.prometheus.client.MetricFamily;ENCODING=delimited") ==
          kPb);
    CHECK(Negotiate(
              "application/vnd.google.protobuf;encoding=delimited;proto=io.prometheus.client.MetricFamily") ==
          kPb);
    CHECK(Negotiate(std::string(kPbType) + ";escaping=allow-utf-8;q=0.7") == kPb);
    for (const std::string_view accept : {
             "application/vnd.google.protobuf",
             "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily",
             "application/vnd.google.protobuf;encoding=delimited",
             "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text",
             "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=compact-text",
             "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=Delimited",
             "application/vnd.google.protobuf;proto=io.prometheus.client.Metric;encoding=delimited",
             "application/vnd.google.protobuf;proto=io.prometheus.client.metricfamily;encoding=delimited",
             "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0",
             "application/*",
             "*/*",
         }) {
      CAPTURE(accept);
      CHECK(Negotiate(accept) == kText);
    }
    // The bool form is text or OpenMetrics only.
    CHECK(obs::NegotiateFormat(kPbType, true) == kText);
  }

  TEST_CASE("negotiation: protobuf against the text formats by q, then specificity, then order") {
    CHECK(Negotiate(std::string(kPbType) + ";q=0.5,application/openmetrics-text;q=0.6") == kOm);
    CHECK(Negotiate(std::string(kPbType) + ";q=0.7,application/openmetrics-text;q=0.6") == kPb);
    CHECK(Negotiate(std::string(kPbType) + ";q=0.5,text/plain;q=0.6") == kText);
    CHECK(Negotiate(std::string(kPbType) + ";q=0.5,*/*;q=0.6") == kText);
    // Equal q: protobuf is as specific as a versioned type, so it beats `text/plain` and wildcards, and
    // the one written first among equals.
    CHECK(Negotiate("text/plain," + std::string(kPbType)) == kPb);
    CHECK(Negotiate("*/*," + std::string(kPbType)) == kPb);
    CHECK(Negotiate("text/plain;version=0.0.4," + std::string(kPbType)) == kText);
    CHECK(Negotiate(std::string(kPbType) + ",text/plain;version=0.0.4") == kPb);
    CHECK(Negotiate("application/openmetrics-text;version=1.0.0," + std::string(kPbType)) == kOm);
    // Text not acceptable at all, protobuf is: protobuf.
    CHECK(Negotiate("text/plain;q=0,*/*;q=0," + std::string(kPbType) + ";q=0.001") == kPb);
    // OpenMetrics disabled: protobuf, whatever its q, as the only acceptable format served.
    CHECK(obs::NegotiateFormat(std::string(kPbType) + ",application/openmetrics-text",
                               {.openmetrics = false, .protobuf = true}) == kPb);
    CHECK(obs::NegotiateFormat(std::string(kPbType) + ";q=0.1,application/openmetrics-text",
                               {.openmetrics = false, .protobuf = true}) == kPb);
  }

  TEST_CASE("negotiation: OpenMetrics with version 1.0.0 or none, 0.0.1 and other versions do not match") {
    CHECK(obs::NegotiateFormat("application/openmetrics-text", true) == kOm);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;version=1.0.0", true) == kOm);
    CHECK(obs::NegotiateFormat("application/openmetrics-text; version=\"1.0.0\"", true) == kOm);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;version=1.0.0;escaping=underscores", true) ==
          kOm);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;version=1.0.0;charset=utf-8", true) == kOm);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;version=0.0.1", true) == kText);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;version=2.0.0", true) == kText);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;version=", true) == kText);
    // 0.0.1 preferred over text, but 0.0.1 is not served: text (the only acceptable one) wins.
    CHECK(obs::NegotiateFormat("application/openmetrics-text;version=0.0.1,text/plain;q=0.5", true) == kText);
  }

  TEST_CASE("negotiation: case-insensitive types and parameter names, whitespace, quoted values") {
    CHECK(obs::NegotiateFormat("Application/OpenMetrics-Text; Version=1.0.0", true) == kOm);
    CHECK(obs::NegotiateFormat(
              "  application/openmetrics-text ; version = 1.0.0 ; q = 0.9 , text/plain;q=0.1", true) == kOm);
    CHECK(obs::NegotiateFormat("TEXT/PLAIN;q=1,application/openmetrics-text;Q=0.5", true) == kText);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;q=\"0.9\",text/plain;q=0.5", true) == kOm);
    // A comma inside a quoted parameter value does not split the list.
    CHECK(obs::NegotiateFormat("application/openmetrics-text;foo=\"a,b\";q=0.9,text/plain;q=0.5", true) ==
          kOm);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;foo=\"a\\\",b\";q=0.9,text/plain;q=0.5", true) ==
          kOm);
  }

  TEST_CASE("negotiation: highest q wins, q=0 means not acceptable") {
    CHECK(obs::NegotiateFormat("text/plain;q=0.9,application/openmetrics-text;q=0.8", true) == kText);
    CHECK(obs::NegotiateFormat("text/plain;q=0.8,application/openmetrics-text;q=0.9", true) == kOm);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;q=0,text/plain;q=0.1", true) == kText);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;q=0", true) == kText);  // nothing: text fallback
    CHECK(obs::NegotiateFormat("text/plain;q=0,application/openmetrics-text;q=0.001", true) == kOm);
    // The most specific range decides a format's q: text/plain;q=0 is not rescued by */*.
    CHECK(obs::NegotiateFormat("*/*,text/plain;q=0,application/openmetrics-text;q=0.1", true) == kOm);
    CHECK(obs::NegotiateFormat("*/*;q=0.9,application/openmetrics-text;q=0.5", true) == kText);
    // Equal q: the more specific range, then the first one.
    CHECK(obs::NegotiateFormat("*/*,application/openmetrics-text", true) == kOm);
    CHECK(obs::NegotiateFormat("application/openmetrics-text,text/plain", true) == kOm);
    CHECK(obs::NegotiateFormat("text/plain,application/openmetrics-text", true) == kText);
    CHECK(obs::NegotiateFormat("text/plain;version=0.0.4,application/openmetrics-text", true) == kText);
    CHECK(obs::NegotiateFormat("text/plain,application/openmetrics-text;version=1.0.0", true) == kOm);
    // q with three decimals, "1.000", and digits past the third.
    CHECK(obs::NegotiateFormat("text/plain;q=0.501,application/openmetrics-text;q=0.5", true) == kText);
    CHECK(obs::NegotiateFormat("text/plain;q=0.5,application/openmetrics-text;q=1.000", true) == kOm);
    CHECK(obs::NegotiateFormat("text/plain;q=0.4,application/openmetrics-text;q=0.5001", true) == kOm);
  }

  TEST_CASE("negotiation: malformed Accept headers never crash and fall back sensibly") {
    // Elements with a bad q-value, no slash or empty parts are skipped.
    CHECK(obs::NegotiateFormat("application/openmetrics-text;q=2", true) == kText);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;q=-1", true) == kText);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;q=abc", true) == kText);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;q=", true) == kText);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;q=1.5", true) == kText);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;q=0.5x", true) == kText);
    CHECK(obs::NegotiateFormat("openmetrics", true) == kText);
    CHECK(obs::NegotiateFormat("/", true) == kText);
    CHECK(obs::NegotiateFormat("application/", true) == kText);
    CHECK(obs::NegotiateFormat("/openmetrics-text", true) == kText);
    CHECK(obs::NegotiateFormat(",,,;;;===", true) == kText);
    CHECK(obs::NegotiateFormat(";q=1", true) == kText);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;version=\"1.0.0", true) == kText);  // open quote
    CHECK(obs::NegotiateFormat("application/openmetrics-text;version=\"1.0.0\"x", true) == kText);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;version=\"\\", true) == kText);
    CHECK(obs::NegotiateFormat("\"", true) == kText);
    CHECK(obs::NegotiateFormat("\\", true) == kText);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;;;q=0.9;;,", true) == kOm);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;version", true) == kOm);  // bare token: ignored
    // A very long parameter value does not match (and does not overflow anything).
    const std::string long_version(10000, '1');
    CHECK(obs::NegotiateFormat("application/openmetrics-text;version=" + long_version, true) == kText);
    CHECK(obs::NegotiateFormat("application/openmetrics-text;version=\"" + long_version + "\"", true) ==
          kText);
    // Embedded NUL and high bytes.
    constexpr char kBinary[] = "application/openmetrics-text\0;q=\xff\xfe,\x80/\x81";
    const std::string binary(kBinary, sizeof(kBinary) - 1);
    REQUIRE(binary.size() == 38);
    CHECK_NOTHROW((void)obs::NegotiateFormat(binary, true));
    // A deterministic sweep of short byte strings built from the syntax's own characters.
    const std::string alphabet = "a/*;=,q0.1\" \\tx";
    std::uint64_t state = 12345;
    for (int i = 0; i < 20000; ++i) {
      std::string s;
      const int len = static_cast<int>(state % 24);
      for (int j = 0; j < len; ++j) {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        s.push_back(alphabet[(state >> 33) % alphabet.size()]);
      }
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      (void)obs::NegotiateFormat(s, true);
      (void)obs::AcceptsGzip(s);
      (void)obs::ParseNameFilter(s);
    }
  }

  TEST_CASE("negotiation: AcceptsGzip") {
    CHECK(obs::AcceptsGzip("gzip"));
    CHECK(obs::AcceptsGzip("GZIP"));
    CHECK(obs::AcceptsGzip("x-gzip"));
    CHECK(obs::AcceptsGzip("gzip, deflate, br"));
    CHECK(obs::AcceptsGzip("br;q=1.0, gzip;q=0.8, *;q=0.1"));
    CHECK(obs::AcceptsGzip("deflate, *"));
    CHECK(obs::AcceptsGzip(" gzip ; q=0.001 "));
    CHECK(obs::AcceptsGzip("identity, gzip;q=0.5"));

    CHECK_FALSE(obs::AcceptsGzip(""));
    CHECK_FALSE(obs::AcceptsGzip("identity"));
    CHECK_FALSE(obs::AcceptsGzip("br"));
    CHECK_FALSE(obs::AcceptsGzip("deflate, br"));
    CHECK_FALSE(obs::AcceptsGzip("gzip;q=0"));
    CHECK_FALSE(obs::AcceptsGzip("gzip;q=0.000"));
    CHECK_FALSE(obs::AcceptsGzip("gzip;q=0, *"));  // explicitly refused, whatever * says
    CHECK_FALSE(obs::AcceptsGzip("*;q=0"));
    CHECK_FALSE(obs::AcceptsGzip("gzipx"));
    CHECK_FALSE(obs::AcceptsGzip("notgzip"));
    CHECK_FALSE(obs::AcceptsGzip("gzip;q=abc"));  // malformed element: skipped
    CHECK_FALSE(obs::AcceptsGzip(",,;;=="));
  }

  TEST_CASE("negotiation: ParseNameFilter") {
    CHECK_FALSE(obs::ParseNameFilter("").has_value());
    CHECK_FALSE(obs::ParseNameFilter("foo=bar&name=x").has_value());
    CHECK_FALSE(obs::ParseNameFilter("&&&").has_value());

    CHECK(obs::ParseNameFilter("name[]=a") == std::vector<std::string>{"a"});
    CHECK(obs::ParseNameFilter("name[]=a&name[]=b") == std::vector<std::string>{"a", "b"});
    CHECK(obs::ParseNameFilter("x=1&name[]=up&y=2&name[]=process_cpu_seconds_total") ==
          std::vector<std::string>{"up", "process_cpu_seconds_total"});
    CHECK(obs::ParseNameFilter("name%5B%5D=a&name%5b%5d=b") == std::vector<std::string>{"a", "b"});
    CHECK(obs::ParseNameFilter("name[]=a%3Ab+c%2B") == std::vector<std::string>{"a:b c+"});
    CHECK(obs::ParseNameFilter("name[]=") == std::vector<std::string>{""});
    CHECK(obs::ParseNameFilter("name[]") == std::vector<std::string>{""});
    CHECK(obs::ParseNameFilter("name[]=a&") == std::vector<std::string>{"a"});
    // Invalid escapes are kept as they are.
    CHECK(obs::ParseNameFilter("name[]=%zz%4") == std::vector<std::string>{"%zz%4"});
    CHECK(obs::ParseNameFilter("name[]=%") == std::vector<std::string>{"%"});
    CHECK(obs::ParseNameFilter("name[]=a=b") == std::vector<std::string>{"a=b"});
    CHECK_FALSE(obs::ParseNameFilter("name[]x=a").has_value());
    CHECK_FALSE(obs::ParseNameFilter("NAME[]=a").has_value());
  }
}
