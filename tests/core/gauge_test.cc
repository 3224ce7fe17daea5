// Gauge (gauge.h).
#include "golivekit/observability/gauge.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include "golivekit/observability/registry.h"

namespace obs = golivekit::observability;

namespace {

double NowSeconds() {
  using namespace std::chrono;
  return duration_cast<duration<double>>(system_clock::now().time_since_epoch()).count();
}

std::string ExposeOne(const std::shared_ptr<obs::Collector>& c) {
  auto reg = obs::NewRegistry();
  REQUIRE(reg->Register(c).ok());
  return reg->Expose();
}

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("gauge: Set Inc Dec Add Sub") {
    auto g = obs::NewGauge({.name = "temp", .help = "h"});
    REQUIRE(g->status().ok());
    CHECK(g->Value() == 0);
    g->Set(10);
    CHECK(g->Value() == 10);
    g->Inc();
    CHECK(g->Value() == 11);
    g->Dec();
    g->Dec();
    CHECK(g->Value() == 9);
    g->Add(2.5);
    CHECK(g->Value() == 11.5);
    g->Sub(20);
    CHECK(g->Value() == -8.5);
    g->Set(-3);
    CHECK(g->Value() == -3);
    g->Add(-1.25);
    CHECK(g->Value() == -4.25);
    g->Sub(-0.25);
    CHECK(g->Value() == -4);
    CHECK(ExposeOne(g) == "# HELP temp h\n# TYPE temp gauge\ntemp -4\n");
  }

  TEST_CASE("gauge: special values are stored and exposed") {
    auto g = obs::NewGauge({.name = "special", .help = "h", .labels = {"k"}});
    g->WithLabels("nan").Set(std::numeric_limits<double>::quiet_NaN());
    g->WithLabels("pinf").Set(std::numeric_limits<double>::infinity());
    g->WithLabels("ninf").Set(-std::numeric_limits<double>::infinity());
    g->WithLabels("tiny").Set(5e-324);
    CHECK(std::isnan(g->WithLabels("nan").Value()));
    CHECK(g->WithLabels("pinf").Value() == std::numeric_limits<double>::infinity());
    const std::string text = ExposeOne(g);
    CHECK(text.find("special{k=\"nan\"} NaN\n") != std::string::npos);
    CHECK(text.find("special{k=\"pinf\"} +Inf\n") != std::string::npos);
    CHECK(text.find("special{k=\"ninf\"} -Inf\n") != std::string::npos);
    CHECK(text.find("special{k=\"tiny\"} 5e-324\n") != std::string::npos);
  }

  TEST_CASE("gauge: SetToCurrentTime records Unix seconds") {
    auto g = obs::NewGauge({.name = "last_run_timestamp_seconds", .help = "h"});
    const double before = NowSeconds();
    g->SetToCurrentTime();
    const double after = NowSeconds();
    CHECK(g->Value() >= before - 2);
    CHECK(g->Value() <= after + 2);
    CHECK(g->Value() > 1.6e9);  // sanity: seconds, not milliseconds or nanoseconds
    CHECK(g->Value() < 1e11);
    const double u = obs::UnixSeconds();
    CHECK(std::fabs(u - NowSeconds()) < 5);

    auto lg = obs::NewGauge({.name = "lts", .help = "h", .labels = {"job"}});
    auto child = lg->WithLabels("a");
    child.SetToCurrentTime();
    CHECK(std::fabs(child.Value() - NowSeconds()) < 5);
  }

  TEST_CASE("gauge: labelled children are independent") {
    auto g = obs::NewGauge({.name = "queue_length", .help = "h", .labels = {"queue"}});
    auto a = g->WithLabels("a");
    auto b = g->WithLabels("b");
    a.Set(5);
    b.Sub(3);
    a.Inc();
    CHECK(a.Value() == 6);
    CHECK(b.Value() == -3);
    CHECK(g->WithLabels("a").Value() == 6);
    b.Dec();
    b.Add(0.5);
    CHECK(b.Value() == -3.5);
    // Top-level setters on a labelled gauge do nothing.
    g->Set(100);
    g->Inc();
    CHECK(g->Value() == 0);
    CHECK(g->series_count() == 2);
    const std::string text = ExposeOne(g);
    CHECK(text ==
          "# HELP queue_length h\n# TYPE queue_length gauge\n"
          "queue_length{queue=\"a\"} 6\nqueue_length{queue=\"b\"} -3.5\n");
  }

  TEST_CASE("gauge: inert gauge and handle ignore updates") {
    auto bad = obs::NewGauge({.name = "bad gauge", .help = "h"});
    CHECK(bad->status().code() == obs::StatusCode::kInvalidArgument);
    bad->Set(4);
    bad->Inc();
    CHECK(bad->Value() == 0);
    CHECK_FALSE(obs::NewRegistry()->Register(bad).ok());

    auto g = obs::NewGauge({.name = "g2", .help = "h", .labels = {"a", "b"}});
    auto wrong = g->WithLabels("only-one");
    CHECK_FALSE(wrong.ok());
    CHECK(wrong.status().code() == obs::StatusCode::kInvalidArgument);
    wrong.Set(7);
    CHECK(wrong.Value() == 0);
    CHECK(g->series_count() == 0);

    obs::GaugeChild empty;
    CHECK_FALSE(empty.ok());
    empty.Set(1);
    CHECK(empty.Value() == 0);
  }

  TEST_CASE("gauge: Delete and Reset") {
    auto g = obs::NewGauge({.name = "g3", .help = "h", .labels = {"k"}});
    g->WithLabels("x").Set(1);
    g->WithLabels("y").Set(2);
    CHECK(g->Delete("x").ok());
    CHECK(g->series_count() == 1);
    CHECK(g->WithLabels("x").Value() == 0);
    CHECK(g->Reset().ok());
    CHECK(g->series_count() == 0);
    auto plain = obs::NewGauge({.name = "g4", .help = "h"});
    CHECK(plain->Reset().code() == obs::StatusCode::kFailedPrecondition);
  }
}
