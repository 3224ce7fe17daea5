// Bucket layouts (buckets.h) and their validation by NewHistogram.
#include "golivekit/observability/buckets.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "golivekit/observability/histogram.h"
#include "golivekit/observability/registry.h"

namespace obs = golivekit::observability;

TEST_SUITE("core") {
  TEST_CASE("buckets: DefaultBuckets are the spec's values") {
    const std::vector<double> expected = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
    CHECK(obs::DefaultBuckets == expected);
    CHECK(obs::DefaultBuckets.size() == 11);
  }

  TEST_CASE("buckets: LinearBuckets(0 100 10)") {
    const std::vector<double> expected = {0, 100, 200, 300, 400, 500, 600, 700, 800, 900};
    CHECK(obs::LinearBuckets(0, 100, 10) == expected);
    CHECK(obs::LinearBuckets(-1, 0.5, 3) == std::vector<double>{-1, -0.5, 0});
    CHECK(obs::LinearBuckets(5, 1, 1) == std::vector<double>{5});
  }

  TEST_CASE("buckets: ExponentialBuckets(1 2 10)") {
    const std::vector<double> expected = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
    CHECK(obs::ExponentialBuckets(1, 2, 10) == expected);
    CHECK(obs::ExponentialBuckets(100, 10, 3) == std::vector<double>{100, 1000, 10000});
    CHECK(obs::ExponentialBuckets(3, 1.5, 1) == std::vector<double>{3});
  }

  TEST_CASE("buckets: ExponentialBucketsRange(1 100 3)") {
    const std::vector<double> b = obs::ExponentialBucketsRange(1, 100, 3);
    REQUIRE(b.size() == 3);
    CHECK(b[0] == doctest::Approx(1));
    CHECK(b[1] == doctest::Approx(10));
    CHECK(b[2] == doctest::Approx(100));
    CHECK(b[0] < b[1]);
    CHECK(b[1] < b[2]);

    const std::vector<double> c = obs::ExponentialBucketsRange(0.001, 1000, 7);
    REQUIRE(c.size() == 7);
    const double want[] = {0.001, 0.01, 0.1, 1, 10, 100, 1000};
    for (std::size_t i = 0; i < c.size(); ++i) {
      CAPTURE(i);
      CHECK(c[i] == doctest::Approx(want[i]).epsilon(1e-9));
      if (i > 0) CHECK(c[i - 1] < c[i]);
    }
    CHECK(obs::ExponentialBucketsRange(2, 50, 1) == std::vector<double>{2});
  }

  TEST_CASE("buckets: invalid generator arguments give an empty layout") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    CHECK(obs::LinearBuckets(0, 100, 0).empty());
    CHECK(obs::LinearBuckets(0, 100, -3).empty());
    CHECK(obs::LinearBuckets(0, 0, 5).empty());
    CHECK(obs::LinearBuckets(0, -1, 5).empty());

    CHECK(obs::ExponentialBuckets(1, 2, 0).empty());
    CHECK(obs::ExponentialBuckets(1, 2, -1).empty());
    CHECK(obs::ExponentialBuckets(0, 2, 5).empty());
    CHECK(obs::ExponentialBuckets(-1, 2, 5).empty());
    CHECK(obs::ExponentialBuckets(1, 1, 5).empty());
    CHECK(obs::ExponentialBuckets(1, 0.5, 5).empty());

    CHECK(obs::ExponentialBucketsRange(1, 100, 0).empty());
    CHECK(obs::ExponentialBucketsRange(0, 100, 3).empty());
    CHECK(obs::ExponentialBucketsRange(-1, 100, 3).empty());
    CHECK(obs::ExponentialBucketsRange(100, 1, 3).empty());
    CHECK(obs::ExponentialBucketsRange(5, 5, 3).empty());
    CHECK(obs::ExponentialBucketsRange(nan, 100, 3).empty());
  }

  TEST_CASE("buckets: generators always give strictly increasing finite bounds") {
    for (const auto& b : {obs::LinearBuckets(-50, 7.5, 40), obs::ExponentialBuckets(0.0001, 1.3, 60),
                          obs::ExponentialBucketsRange(1e-6, 1e6, 50)}) {
      REQUIRE_FALSE(b.empty());
      for (std::size_t i = 0; i < b.size(); ++i) {
        CHECK(std::isfinite(b[i]));
        if (i > 0) CHECK(b[i - 1] < b[i]);
      }
    }
  }

  TEST_CASE("buckets: NewHistogram rejects an empty layout") {
    auto h = obs::NewHistogram({.name = "empty_buckets", .help = "h", .buckets = {}});
    REQUIRE(h);
    CHECK_FALSE(h->status().ok());
    CHECK(h->status().code() == obs::StatusCode::kInvalidArgument);
    CHECK(h->status().message().find("empty_buckets") != std::string::npos);
    auto reg = obs::NewRegistry();
    obs::Status st = reg->Register(h);
    CHECK_FALSE(st.ok());
    CHECK(st == h->status());
    CHECK(reg->Expose().empty());
  }

  TEST_CASE("buckets: NewHistogram rejects an invalid generator result") {
    auto h = obs::NewHistogram({.name = "bad_gen", .help = "h", .buckets = obs::LinearBuckets(0, -1, 5)});
    CHECK_FALSE(h->status().ok());
    CHECK_FALSE(obs::NewRegistry()->Register(h).ok());
  }

  TEST_CASE("buckets: NewHistogram rejects non-increasing layouts") {
    for (const std::vector<double>& b : {std::vector<double>{1, 1}, std::vector<double>{1, 2, 2, 3},
                                         std::vector<double>{3, 2, 1}, std::vector<double>{0.5, 0.1}}) {
      auto h = obs::NewHistogram({.name = "nonincreasing", .help = "h", .buckets = b});
      CHECK_FALSE(h->status().ok());
      CHECK(h->status().code() == obs::StatusCode::kInvalidArgument);
      CHECK_FALSE(obs::NewRegistry()->Register(h).ok());
    }
  }

  TEST_CASE("buckets: NewHistogram rejects NaN bounds") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (const std::vector<double>& b :
         {std::vector<double>{nan}, std::vector<double>{1, nan, 3}, std::vector<double>{1, 2, nan}}) {
      auto h = obs::NewHistogram({.name = "nan_bounds", .help = "h", .buckets = b});
      CHECK_FALSE(h->status().ok());
      CHECK_FALSE(obs::NewRegistry()->Register(h).ok());
    }
  }

  TEST_CASE("buckets: a trailing +Inf bound is dropped") {
    const double inf = std::numeric_limits<double>::infinity();
    auto h = obs::NewHistogram({.name = "with_inf", .help = "h", .buckets = {1, 2, inf}});
    REQUIRE(h->status().ok());
    CHECK(h->buckets() == std::vector<double>{1, 2});
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(h).ok());
    h->Observe(1.5);
    const std::string text = reg->Expose();
    // Exactly one +Inf bucket line.
    const std::string inf_line = "with_inf_bucket{le=\"+Inf\"} 1\n";
    const auto first = text.find(inf_line);
    REQUIRE(first != std::string::npos);
    CHECK(text.find(inf_line, first + 1) == std::string::npos);
    CHECK(text.find("le=\"1\"} 0\n") != std::string::npos);
    CHECK(text.find("le=\"2\"} 1\n") != std::string::npos);
  }

  TEST_CASE("buckets: default layout is DefaultBuckets") {
    auto h = obs::NewHistogram({.name = "defaulted", .help = "h"});
    REQUIRE(h->status().ok());
    CHECK(h->buckets() == obs::DefaultBuckets);
  }
}
