// Callback metrics (callback.h): values read at scrape time, validation, counter value checks.
#include "golivekit/observability/callback.h"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "golivekit/observability/registry.h"
#include "test_util.h"

namespace obs = golivekit::observability;

namespace {

using glk_obs_test::FindFamily;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("callback gauge: value is read at every gather") {
    double level = 3;
    int calls = 0;
    auto g = obs::NewCallbackGauge({.name = "queue_length", .help = "Jobs waiting"}, [&] {
      ++calls;
      return level;
    });
    REQUIRE(g->status().ok());
    CHECK(calls == 0);  // nothing is read before a scrape
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(g).ok());
    CHECK(calls == 0);

    CHECK(reg->Expose() == "# HELP queue_length Jobs waiting\n# TYPE queue_length gauge\nqueue_length 3\n");
    level = -1.5;
    CHECK(Contains(reg->Expose(), "queue_length -1.5\n"));
    CHECK(calls == 2);
    CHECK(g->Value() == -1.5);
    CHECK(calls == 3);

    // Any double is a valid gauge sample.
    level = std::numeric_limits<double>::quiet_NaN();
    CHECK(Contains(reg->Expose(), "queue_length NaN\n"));
    level = std::numeric_limits<double>::infinity();
    CHECK(Contains(reg->Expose(), "queue_length +Inf\n"));
    CHECK(reg->failed_collects() == 0);
  }

  TEST_CASE("callback gauge: describe, namespace and constant labels apply") {
    auto g = obs::NewCallbackGauge({.name = "pool_size", .help = "Pool size"}, [] { return 8.0; });
    const auto d = g->Describe();
    REQUIRE(d.size() == 1);
    CHECK(d[0].name == "pool_size");
    CHECK(d[0].help == "Pool size");
    CHECK(d[0].type == obs::MetricType::kGauge);
    CHECK(d[0].label_names.empty());

    auto reg = obs::NewRegistry({.namespace_ = "myapp", .const_labels = {{"env", "prod"}}});
    REQUIRE(reg->Register(g).ok());
    CHECK(Contains(reg->Expose(), "myapp_pool_size{env=\"prod\"} 8\n"));
    CHECK(Contains(reg->Expose(obs::Format::kOpenMetrics), "myapp_pool_size{env=\"prod\"} 8.0\n"));
  }

  TEST_CASE("callback counter: value read at scrape time, exposed as a counter") {
    double total = 0;
    auto c =
        obs::NewCallbackCounter({.name = "cache_hits_total", .help = "Cache hits"}, [&] { return total; });
    REQUIRE(c->status().ok());
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(c).ok());
    CHECK(reg->Expose() ==
          "# HELP cache_hits_total Cache hits\n# TYPE cache_hits_total counter\ncache_hits_total 0\n");
    total = 42;
    CHECK(Contains(reg->Expose(), "cache_hits_total 42\n"));
    CHECK(Contains(reg->Expose(obs::Format::kOpenMetrics),
                   "# TYPE cache_hits counter\ncache_hits_total 42.0\n"));
    CHECK(c->Value() == 42);
    total = std::numeric_limits<double>::infinity();  // +Inf is a valid (if odd) counter sample
    CHECK(Contains(reg->Expose(), "cache_hits_total +Inf\n"));
  }

  TEST_CASE("callback counter: NaN or a negative value leaves the family out with an error") {
    double total = 5;
    auto c = obs::NewCallbackCounter({.name = "bytes_total", .help = "Bytes"}, [&] { return total; });
    auto other = obs::NewCallbackGauge({.name = "other", .help = "Other"}, [] { return 1.0; });
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(c).ok());
    REQUIRE(reg->Register(other).ok());
    CHECK(Contains(reg->Expose(), "bytes_total 5\n"));

    total = std::numeric_limits<double>::quiet_NaN();
    std::string text = reg->Expose();
    CHECK_FALSE(Contains(text, "bytes_total"));
    CHECK(Contains(text, "other 1\n"));  // the rest of the scrape is kept
    CHECK(reg->failed_collects() == 1);
    const obs::Status err = reg->last_collect_error();
    CHECK(err.code() == obs::StatusCode::kInvalidArgument);
    CHECK(Contains(err.message(), "callback counter bytes_total"));
    CHECK(Contains(err.message(), "NaN"));

    std::vector<obs::FamilySnapshot> out;
    CHECK(c->Collect(out).code() == obs::StatusCode::kInvalidArgument);
    CHECK(out.empty());

    total = -1;
    CHECK_FALSE(Contains(reg->Expose(), "bytes_total"));
    CHECK(reg->failed_collects() == 2);
    CHECK(Contains(reg->last_collect_error().message(), "-1"));

    total = 7;  // recovers at the next scrape
    CHECK(Contains(reg->Expose(), "bytes_total 7\n"));
    CHECK(reg->failed_collects() == 2);
  }

  TEST_CASE("callback metrics: invalid options give an inert object that Register refuses") {
    auto bad_name = obs::NewCallbackGauge({.name = "bad-name", .help = "x"}, [] { return 1.0; });
    CHECK(bad_name->status().code() == obs::StatusCode::kInvalidArgument);
    CHECK(Contains(bad_name->status().message(), "callback gauge"));
    CHECK(Contains(bad_name->status().message(), "bad-name"));

    auto bad_help =
        obs::NewCallbackCounter({.name = "x_total", .help = std::string("\xff", 1)}, [] { return 1.0; });
    CHECK(bad_help->status().code() == obs::StatusCode::kInvalidArgument);
    CHECK(Contains(bad_help->status().message(), "UTF-8"));

    auto labels = obs::NewCallbackGauge({.name = "g", .help = "g", .labels = {"a"}}, [] { return 1.0; });
    CHECK(labels->status().code() == obs::StatusCode::kInvalidArgument);
    CHECK(Contains(labels->status().message(), "NewCallbackGaugeVec"));
    auto clabels =
        obs::NewCallbackCounter({.name = "c_total", .help = "c", .labels = {"a"}}, [] { return 1.0; });
    CHECK(Contains(clabels->status().message(), "NewCallbackCounterVec"));

    auto no_fn = obs::NewCallbackGauge({.name = "g", .help = "g"}, nullptr);
    CHECK(no_fn->status().code() == obs::StatusCode::kInvalidArgument);
    CHECK(Contains(no_fn->status().message(), "no callback"));
    CHECK(no_fn->Value() == 0);

    auto bad_label =
        obs::NewCallbackGaugeVec({.name = "g", .help = "g", .labels = {"__x"}}, [](obs::CallbackSink&) {});
    CHECK(bad_label->status().code() == obs::StatusCode::kInvalidArgument);
    auto dup_label =
        obs::NewCallbackGaugeVec({.name = "g", .help = "g", .labels = {"a", "a"}}, [](obs::CallbackSink&) {});
    CHECK(Contains(dup_label->status().message(), "duplicate label name"));
    auto no_fill = obs::NewCallbackCounterVec({.name = "c_total", .help = "c", .labels = {"a"}}, nullptr);
    CHECK(Contains(no_fill->status().message(), "no callback"));

    auto reg = obs::NewRegistry();
    for (const std::shared_ptr<obs::Collector>& c : std::vector<std::shared_ptr<obs::Collector>>{
             bad_name, bad_help, labels, no_fn, bad_label, dup_label, no_fill}) {
      const obs::Status s = reg->Register(c);
      CHECK(s == c->status());
      CHECK_FALSE(s.ok());
    }
    CHECK(reg->Gather().families.empty());
  }

  TEST_CASE("callback metrics: conflicts with other metrics are AlreadyExists") {
    auto a = obs::NewCallbackGauge({.name = "same", .help = "h"}, [] { return 1.0; });
    auto b = obs::NewCallbackGauge({.name = "same", .help = "h"}, [] { return 2.0; });
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(a).ok());
    CHECK(reg->Register(a).code() == obs::StatusCode::kAlreadyExists);
    CHECK(reg->Register(b).code() == obs::StatusCode::kAlreadyExists);
    CHECK(reg->Unregister(a));
    CHECK(reg->Register(b).ok());
    CHECK(Contains(reg->Expose(), "same 2\n"));
  }

  TEST_CASE("callback gauge vec: several series, sorted, label order as declared") {
    std::map<std::string, double> queues = {{"mail", 3}, {"billing", 1}};
    auto g = obs::NewCallbackGaugeVec(
        {.name = "queue_jobs", .help = "Jobs by queue and priority", .labels = {"queue", "priority"}},
        [&](obs::CallbackSink& sink) {
          // Reported out of order on purpose: exposition is sorted.
          for (auto it = queues.rbegin(); it != queues.rend(); ++it)
            sink.Add({it->first, "high"}, it->second);
          std::vector<std::string> dynamic = {"mail", "low"};
          sink.Add(dynamic, 0.5);
        });
    REQUIRE(g->status().ok());
    CHECK(g->Value() == 0);  // no single value for the multi-series form
    const auto d = g->Describe();
    REQUIRE(d.size() == 1);
    CHECK(d[0].label_names == std::vector<std::string>{"queue", "priority"});

    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(g).ok());
    CHECK(reg->Expose() ==
          "# HELP queue_jobs Jobs by queue and priority\n# TYPE queue_jobs gauge\n"
          "queue_jobs{priority=\"high\",queue=\"billing\"} 1\n"
          "queue_jobs{priority=\"high\",queue=\"mail\"} 3\n"
          "queue_jobs{priority=\"low\",queue=\"mail\"} 0.5\n");
    const obs::Snapshot snap = reg->Gather();
    const obs::FamilySnapshot* f = FindFamily(snap, "queue_jobs");
    REQUIRE(f);
    CHECK(f->label_names == std::vector<std::string>{"priority", "queue"});
    CHECK(reg->dropped_families() == 0);

    queues.clear();  // no series: the family is left out of the exposition
    CHECK(reg->Expose() ==
          "# HELP queue_jobs Jobs by queue and priority\n# TYPE queue_jobs gauge\n"
          "queue_jobs{priority=\"low\",queue=\"mail\"} 0.5\n");
  }

  TEST_CASE("callback counter vec: mistakes in the series fail the whole collect") {
    int mode = 0;
    auto c = obs::NewCallbackCounterVec({.name = "served_total", .help = "Served", .labels = {"route"}},
                                        [&](obs::CallbackSink& sink) {
                                          sink.Add({"/a"}, 1);
                                          switch (mode) {
                                            case 1:
                                              sink.Add({"/b", "extra"}, 1);
                                              break;
                                            case 2:
                                              sink.Add({std::string_view("\xc3", 1)}, 1);
                                              break;
                                            case 3:
                                              sink.Add({"/a"}, 2);
                                              break;
                                            case 4:
                                              sink.Add({"/b"}, std::nan(""));
                                              break;
                                            case 5:
                                              sink.Add({"/b"}, -3);
                                              break;
                                            default:
                                              sink.Add({"/b"}, 2);
                                              break;
                                          }
                                          sink.Add({"/c"}, 3);
                                        });
    REQUIRE(c->status().ok());
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(c).ok());
    CHECK(Contains(reg->Expose(), "served_total{route=\"/b\"} 2\n"));

    const char* expected[] = {
        "",  "2 label value(s) reported for 1 label name(s)", "not valid UTF-8", "reported twice", "NaN",
        "-3"};
    for (mode = 1; mode <= 5; ++mode) {
      CAPTURE(mode);
      CHECK(reg->Expose().empty());
      CHECK(reg->failed_collects() == static_cast<std::uint64_t>(mode));
      const obs::Status err = reg->last_collect_error();
      CHECK(err.code() == obs::StatusCode::kInvalidArgument);
      CHECK(Contains(err.message(), expected[mode]));
      CHECK(Contains(err.message(), "served_total"));
    }
    CHECK(Contains(reg->last_collect_error().message(), "{route=\"/b\"}"));
    CHECK(reg->dropped_families() == 0);
  }

  TEST_CASE("callback sink: status shows the first mistake and later calls are ignored") {
    obs::Status seen;
    auto g =
        obs::NewCallbackGaugeVec({.name = "g", .help = "g", .labels = {"k"}}, [&](obs::CallbackSink& sink) {
          CHECK(sink.status().ok());
          sink.Add({}, 1);  // wrong count
          sink.Add({"fine"}, 2);
          seen = sink.status();
        });
    std::vector<obs::FamilySnapshot> out;
    CHECK_FALSE(g->Collect(out).ok());
    CHECK(out.empty());
    CHECK(Contains(seen.message(), "0 label value(s)"));
  }

  TEST_CASE("callback gauge vec: zero label names, one series") {
    auto g = obs::NewCallbackGaugeVec({.name = "single", .help = "One"}, [](obs::CallbackSink& sink) {
      sink.Add(std::initializer_list<std::string_view>{}, 9);
    });
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(g).ok());
    CHECK(Contains(reg->Expose(), "single 9\n"));
  }

  TEST_CASE("callback metrics: natively, a throwing callback is a failed collect") {
    GLK_OBS_SKIP_WITHOUT_CORE_EXCEPTIONS();
    auto g = obs::NewCallbackGauge({.name = "throws", .help = "t"},
                                   []() -> double { throw std::runtime_error("boom"); });
    auto ok = obs::NewCallbackGauge({.name = "fine", .help = "f"}, [] { return 1.0; });
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(g).ok());
    REQUIRE(reg->Register(ok).ok());
    CHECK(reg->Expose() == "# HELP fine f\n# TYPE fine gauge\nfine 1\n");
    CHECK(reg->failed_collects() == 1);
    CHECK(Contains(reg->last_collect_error().message(), "boom"));
  }
}
