// Counter (counter.h): updates, label handling, Delete/Reset, inert metrics and handles.
#include "golivekit/observability/counter.h"

#include <doctest/doctest.h>

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "golivekit/observability/registry.h"

namespace obs = golivekit::observability;

namespace {

std::string ExposeOne(const std::shared_ptr<obs::Collector>& c) {
  auto reg = obs::NewRegistry();
  REQUIRE(reg->Register(c).ok());
  return reg->Expose();
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("counter: Inc and Add on a counter without labels") {
    auto c = obs::NewCounter({.name = "jobs_total", .help = "Jobs."});
    REQUIRE(c->status().ok());
    CHECK(c->Value() == 0);
    c->Inc();
    CHECK(c->Value() == 1);
    CHECK(c->Add(2).ok());
    CHECK(c->Value() == 3);
    CHECK(c->Add(0).ok());
    CHECK(c->Value() == 3);
    CHECK(c->Add(0.5).ok());
    CHECK(c->Value() == 3.5);
    c->Inc();
    CHECK(c->Value() == 4.5);
    CHECK(ExposeOne(c) == "# HELP jobs_total Jobs.\n# TYPE jobs_total counter\njobs_total 4.5\n");
  }

  TEST_CASE("counter: fractional adds accumulate") {
    auto c = obs::NewCounter({.name = "frac_total", .help = "h"});
    for (int i = 0; i < 10; ++i) REQUIRE(c->Add(0.1).ok());
    CHECK(c->Value() == doctest::Approx(1.0));
    CHECK(c->Add(1e-9).ok());
    CHECK(c->Value() == doctest::Approx(1.000000001));
    auto child = c->WithLabels();
    REQUIRE(child.ok());
    CHECK(child.Value() == c->Value());
  }

  TEST_CASE("counter: large integral adds are exact") {
    auto c = obs::NewCounter({.name = "big_total", .help = "h"});
    CHECK(c->Add(1e15).ok());
    c->Inc();
    CHECK(c->Value() == 1e15 + 1);
  }

  TEST_CASE("counter: negative and NaN deltas are rejected and change nothing") {
    auto c = obs::NewCounter({.name = "mono_total", .help = "h", .labels = {"k"}});
    auto child = c->WithLabels("v");
    REQUIRE(child.ok());
    child.Inc();
    child.Inc();

    obs::Status neg = child.Add(-1);
    CHECK(neg.code() == obs::StatusCode::kInvalidArgument);
    CHECK(Contains(neg.message(), "mono_total"));
    CHECK(child.Value() == 2);

    obs::Status nan = child.Add(std::numeric_limits<double>::quiet_NaN());
    CHECK(nan.code() == obs::StatusCode::kInvalidArgument);
    CHECK(child.Value() == 2);

    CHECK(child.Add(-0.001).code() == obs::StatusCode::kInvalidArgument);
    CHECK(child.Add(-std::numeric_limits<double>::infinity()).code() == obs::StatusCode::kInvalidArgument);
    CHECK(child.Value() == 2);
    CHECK(Contains(ExposeOne(c), "mono_total{k=\"v\"} 2\n"));

    auto plain = obs::NewCounter({.name = "plain_total", .help = "h"});
    plain->Inc();
    CHECK(plain->Add(-1).code() == obs::StatusCode::kInvalidArgument);
    CHECK(plain->Add(std::numeric_limits<double>::quiet_NaN()).code() == obs::StatusCode::kInvalidArgument);
    CHECK(plain->Value() == 1);
  }

  TEST_CASE("counter: WithLabels selects one series per label tuple") {
    auto c = obs::NewCounter({.name = "req_total", .help = "h", .labels = {"method", "code"}});
    c->WithLabels("GET", "200").Inc();
    c->WithLabels("GET", "200").Inc();
    c->WithLabels("POST", "200").Inc();
    std::string method = "GET", code = "500";
    c->WithLabels(method, code).Inc();
    CHECK(c->WithLabels("GET", "200").Value() == 2);
    CHECK(c->WithLabels("POST", "200").Value() == 1);
    CHECK(c->WithLabels("GET", "500").Value() == 1);
    CHECK(c->WithLabelValues(std::vector<std::string>{"GET", "200"}).Value() == 2);
    CHECK(c->series_count() == 3);
    // Order of values matters: ("200","GET") is another series.
    CHECK(c->WithLabels("200", "GET").Value() == 0);
    CHECK(c->series_count() == 4);
  }

  TEST_CASE("counter: empty label value is a valid series") {
    auto c = obs::NewCounter({.name = "empty_val_total", .help = "h", .labels = {"k"}});
    auto child = c->WithLabels("");
    REQUIRE(child.ok());
    child.Inc();
    CHECK(c->WithLabels("").Value() == 1);
  }

  TEST_CASE("counter: wrong label count gives an inert handle") {
    auto c = obs::NewCounter({.name = "http_requests_total", .help = "h", .labels = {"method", "code"}});
    auto too_few = c->WithLabels("GET");
    CHECK_FALSE(too_few.ok());
    CHECK(too_few.status().code() == obs::StatusCode::kInvalidArgument);
    CHECK(Contains(too_few.status().message(), "http_requests_total"));
    CHECK(Contains(too_few.status().message(), "method"));
    CHECK(Contains(too_few.status().message(), "code"));
    too_few.Inc();
    CHECK(too_few.Value() == 0);
    CHECK_FALSE(too_few.Add(1).ok());

    auto too_many = c->WithLabels("GET", "200", "extra");
    CHECK_FALSE(too_many.ok());
    CHECK(too_many.status().code() == obs::StatusCode::kInvalidArgument);
    too_many.Inc();

    auto none = c->WithLabels();
    CHECK_FALSE(none.ok());
    none.Inc();

    CHECK(c->series_count() == 0);
    CHECK_FALSE(Contains(ExposeOne(c), "http_requests_total{"));
  }

  TEST_CASE("counter: invalid UTF-8 label value is rejected") {
    auto c = obs::NewCounter({.name = "utf8_total", .help = "h", .labels = {"name"}});
    for (const char* bad : {"\xff", "Bj\xc3", "\xed\xa0\x80", "\xc0\x80"}) {
      auto child = c->WithLabels(bad);
      CHECK_FALSE(child.ok());
      CHECK(child.status().code() == obs::StatusCode::kInvalidArgument);
      child.Inc();
    }
    CHECK(c->series_count() == 0);
    auto good = c->WithLabels("Björn");
    CHECK(good.ok());
  }

  TEST_CASE("counter: Add and Value on a labelled counter do nothing") {
    auto c = obs::NewCounter({.name = "labelled_total", .help = "h", .labels = {"a"}});
    c->Inc();
    CHECK(c->Add(1).code() == obs::StatusCode::kFailedPrecondition);
    CHECK(c->Value() == 0);
    CHECK(c->series_count() == 0);
  }

  TEST_CASE("counter: Delete detaches the series and a kept handle stays usable") {
    auto c = obs::NewCounter({.name = "del_total", .help = "h", .labels = {"k"}});
    auto kept = c->WithLabels("a");
    kept.Inc();
    kept.Inc();
    c->WithLabels("b").Inc();
    REQUIRE(c->series_count() == 2);

    CHECK(c->Delete("a").ok());
    CHECK(c->series_count() == 1);

    // The kept handle still works, but its series is no longer exported.
    CHECK(kept.ok());
    kept.Inc();
    CHECK(kept.Value() == 3);
    std::string text = ExposeOne(c);
    CHECK_FALSE(Contains(text, "k=\"a\""));
    CHECK(Contains(text, "del_total{k=\"b\"} 1\n"));

    // WithLabels afterwards gives a fresh, exported series starting at 0.
    auto fresh = c->WithLabels("a");
    CHECK(fresh.ok());
    CHECK(fresh.Value() == 0);
    CHECK(Contains(ExposeOne(c), "del_total{k=\"a\"} 0\n"));
    fresh.Inc();
    CHECK(fresh.Value() == 1);
    CHECK(kept.Value() == 3);  // the old handle is independent of the new series
    CHECK(Contains(ExposeOne(c), "del_total{k=\"a\"} 1\n"));
  }

  TEST_CASE("counter: Delete of a missing series or with a wrong count fails") {
    auto c = obs::NewCounter({.name = "del2_total", .help = "h", .labels = {"k", "j"}});
    c->WithLabels("a", "b").Inc();
    CHECK(c->Delete("x", "y").code() == obs::StatusCode::kNotFound);
    CHECK_FALSE(c->Delete("a").ok());
    CHECK_FALSE(c->Delete("b", "a").ok());
    CHECK(c->series_count() == 1);
    CHECK(c->Delete("a", "b").ok());
    CHECK(c->Delete("a", "b").code() == obs::StatusCode::kNotFound);
    CHECK(c->series_count() == 0);
  }

  TEST_CASE("counter: Reset removes every series") {
    auto c = obs::NewCounter({.name = "reset_total", .help = "h", .labels = {"k"}});
    auto kept = c->WithLabels("x");
    kept.Inc();
    c->WithLabels("y").Inc();
    c->WithLabels("z").Inc();
    REQUIRE(c->series_count() == 3);
    CHECK(c->Reset().ok());
    CHECK(c->series_count() == 0);
    CHECK_FALSE(Contains(ExposeOne(c), "reset_total{"));
    kept.Inc();
    CHECK(kept.Value() == 2);
    CHECK(c->WithLabels("x").Value() == 0);
    CHECK(c->series_count() == 1);
  }

  TEST_CASE("counter: Reset on a counter without labels is FailedPrecondition") {
    auto c = obs::NewCounter({.name = "nolabels_total", .help = "h"});
    c->Inc();
    CHECK(c->Reset().code() == obs::StatusCode::kFailedPrecondition);
    CHECK(c->Value() == 1);
  }

  TEST_CASE("counter: invalid name gives an inert counter that Register refuses") {
    auto c = obs::NewCounter({.name = "bad-name_total", .help = "h"});
    REQUIRE(c);
    CHECK(c->status().code() == obs::StatusCode::kInvalidArgument);
    CHECK(Contains(c->status().message(), "bad-name_total"));
    c->Inc();
    CHECK(c->Value() == 0);
    CHECK_FALSE(c->Add(1).ok());
    auto child = c->WithLabels();
    CHECK_FALSE(child.ok());
    child.Inc();
    CHECK(child.Value() == 0);

    auto reg = obs::NewRegistry();
    obs::Status st = reg->Register(c);
    CHECK_FALSE(st.ok());
    CHECK(st == c->status());
    CHECK(reg->Expose().empty());
  }

  TEST_CASE("counter: invalid options give inert counters") {
    CHECK_FALSE(obs::NewCounter({.name = "", .help = "h"})->status().ok());
    CHECK_FALSE(obs::NewCounter({.name = "1x_total", .help = "h"})->status().ok());
    CHECK_FALSE(obs::NewCounter({.name = "x_total", .help = "h", .labels = {"__name__"}})->status().ok());
    CHECK_FALSE(obs::NewCounter({.name = "x_total", .help = "h", .labels = {"_x"}})->status().ok());
    CHECK_FALSE(obs::NewCounter({.name = "x_total", .help = "h", .labels = {"a-b"}})->status().ok());
    CHECK_FALSE(obs::NewCounter({.name = "x_total", .help = "h", .labels = {"a", "a"}})->status().ok());
    CHECK(obs::NewCounter({.name = "x:y_total", .help = "h", .labels = {"a", "b"}})->status().ok());
  }

  TEST_CASE("counter: a kept handle outlives its counter") {
    obs::CounterChild kept;
    {
      auto c = obs::NewCounter({.name = "gone_total", .help = "h", .labels = {"k"}});
      kept = c->WithLabels("v");
      kept.Inc();
    }
    CHECK(kept.ok());
    kept.Inc();
    CHECK(kept.Add(2).ok());
    CHECK(kept.Value() == 4);
  }

  TEST_CASE("counter: Describe reports name help type and labels") {
    auto c = obs::NewCounter({.name = "desc_total", .help = "Described.", .labels = {"z", "a"}});
    auto d = c->Describe();
    REQUIRE(d.size() == 1);
    CHECK(d[0].name == "desc_total");
    CHECK(d[0].help == "Described.");
    CHECK(d[0].type == obs::MetricType::kCounter);
    CHECK(d[0].label_names == std::vector<std::string>{"z", "a"});
    CHECK(c->name() == "desc_total");
    CHECK(c->label_names() == std::vector<std::string>{"z", "a"});
  }

  TEST_CASE("counter: declaration order of labels does not change the exposition order") {
    auto c = obs::NewCounter({.name = "order_total", .help = "h", .labels = {"zeta", "alpha"}});
    c->WithLabels("z1", "a1").Inc();
    CHECK(Contains(ExposeOne(c), "order_total{alpha=\"a1\",zeta=\"z1\"} 1\n"));
  }
}
