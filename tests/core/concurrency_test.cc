// Concurrency. The WebAssembly build has no threads (GLK_OBS_NO_THREADS): there each case reports
// itself skipped.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "golivekit/observability/counter.h"
#include "golivekit/observability/gauge.h"
#include "golivekit/observability/histogram.h"
#include "golivekit/observability/registry.h"
#include "test_util.h"

namespace obs = golivekit::observability;

namespace {

using glk_obs_test::FindFamily;

// Parses "<prefix>{...} <int>" or "<prefix> <int>" lines of a text exposition into the integer that
// follows the given exact sample prefix. Returns -1 if absent.
long long SampleValue(const std::string& text, const std::string& sample_prefix) {
  const std::size_t p = text.find("\n" + sample_prefix + " ");
  const std::size_t start =
      p == std::string::npos ? (text.rfind(sample_prefix + " ", 0) == 0 ? 0 : std::string::npos) : p + 1;
  if (start == std::string::npos) return -1;
  return std::stoll(text.substr(start + sample_prefix.size() + 1));
}

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("concurrency: counter increments from 4 threads are exact while gathering") {
    GLK_OBS_SKIP_WITHOUT_THREADS();
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "conc_total", .help = "h", .labels = {"k"}});
    auto plain = obs::NewCounter({.name = "conc_plain_total", .help = "h"});
    REQUIRE(reg->Register(c).ok());
    REQUIRE(reg->Register(plain).ok());
    constexpr int kThreads = 4;
    constexpr int kPerThread = 100000;
    std::atomic<bool> done{false};
    std::atomic<int> gathers{0};
    std::atomic<bool> went_backwards{false};
    std::atomic<int> intermediate{0};

    std::thread gatherer([&] {
      double last = 0;
      while (!done.load()) {
        const obs::Snapshot s = reg->Gather();
        const obs::FamilySnapshot* f = FindFamily(s, "conc_total");
        if (f != nullptr && !f->series.empty()) {
          const double v = f->series[0].value;
          if (v < last) went_backwards = true;
          if (v > 0 && v < static_cast<double>(kThreads) * kPerThread) ++intermediate;
          last = v;
        }
        gathers.fetch_add(1);
      }
    });
    std::vector<std::thread> workers;
    for (int t = 0; t < kThreads; ++t) {
      workers.emplace_back([&, t] {
        while (gathers.load() == 0) std::this_thread::yield();  // start once the gatherer runs
        auto kept = c->WithLabels("shared");
        for (int i = 0; i < kPerThread; ++i) {
          if (t % 2 == 0 || i % 3 != 0) {
            kept.Inc();  // through a kept handle
          } else {
            c->WithLabels("shared").Inc();  // through a lookup every time
          }
          plain->Inc();
          if (i % 10000 == 9999) {
            const int seen = gathers.load();
            while (gathers.load() == seen) std::this_thread::yield();
          }
        }
      });
    }
    for (auto& w : workers) w.join();
    done = true;
    gatherer.join();

    CHECK(c->WithLabels("shared").Value() == static_cast<double>(kThreads) * kPerThread);
    CHECK(plain->Value() == static_cast<double>(kThreads) * kPerThread);
    CHECK_FALSE(went_backwards.load());
    CHECK(intermediate.load() > 0);
    CHECK(SampleValue(reg->Expose(), "conc_total{k=\"shared\"}") == kThreads * kPerThread);
    CHECK(SampleValue(reg->Expose(), "conc_plain_total") == kThreads * kPerThread);
  }

  TEST_CASE("concurrency: fractional counter adds from several threads") {
    GLK_OBS_SKIP_WITHOUT_THREADS();
    auto c = obs::NewCounter({.name = "conc_frac_total", .help = "h"});
    std::atomic<int> failed_adds{0};
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t) {
      workers.emplace_back([&] {
        for (int i = 0; i < 20000; ++i) {
          if (!c->Add(0.5).ok()) ++failed_adds;  // exactly representable: the total is exact
          c->Inc();
        }
      });
    }
    for (auto& w : workers) w.join();
    CHECK(failed_adds.load() == 0);
    CHECK(c->Value() == 4 * 20000 * 1.5);
  }

  TEST_CASE("concurrency: histogram snapshots are never torn") {
    GLK_OBS_SKIP_WITHOUT_THREADS();
    auto reg = obs::NewRegistry();
    auto h = obs::NewHistogram({.name = "conc_hist", .help = "h", .buckets = {1, 2, 3, 4, 5}});
    REQUIRE(reg->Register(h).ok());
    constexpr int kThreads = 3;
    constexpr int kPerThread = 100000;
    std::atomic<bool> done{false};
    std::atomic<int> snapshots{0};
    std::atomic<int> violations{0};

    std::atomic<int> intermediate{0};  // snapshots taken while the observers were half-way
    constexpr std::uint64_t kTotal = static_cast<std::uint64_t>(kThreads) * kPerThread;
    std::thread gatherer([&] {
      std::vector<std::uint64_t> prev;
      std::uint64_t prev_count = 0;
      while (!done.load()) {
        const obs::Snapshot s = reg->Gather();
        const obs::FamilySnapshot* f = FindFamily(s, "conc_hist");
        if (f == nullptr || f->series.size() != 1) {
          ++violations;
          continue;
        }
        const obs::SeriesSnapshot& ser = f->series[0];
        if (ser.bucket_counts.size() != 5) {
          ++violations;
          continue;
        }
        // Cumulative, non-decreasing, and never above the +Inf bucket (count).
        for (std::size_t i = 0; i < ser.bucket_counts.size(); ++i) {
          if (i > 0 && ser.bucket_counts[i] < ser.bucket_counts[i - 1]) ++violations;
          if (ser.bucket_counts[i] > ser.count) ++violations;
        }
        // Non-cumulative buckets (with +Inf) add up to count.
        std::uint64_t total = 0, last = 0;
        for (std::uint64_t cum : ser.bucket_counts) {
          total += cum - last;
          last = cum;
        }
        total += ser.count - last;
        if (total != ser.count) ++violations;
        // Counts never decrease between successive snapshots.
        if (!prev.empty()) {
          for (std::size_t i = 0; i < prev.size(); ++i)
            if (ser.bucket_counts[i] < prev[i]) ++violations;
          if (ser.count < prev_count) ++violations;
        }
        prev = ser.bucket_counts;
        prev_count = ser.count;
        if (ser.count > 0 && ser.count < kTotal) ++intermediate;
        // The text exposition of the same kind of snapshot: +Inf bucket equals _count.
        if (snapshots.load() % 16 == 0) {
          const std::string text = obs::Encode(s);
          if (SampleValue(text, "conc_hist_bucket{le=\"+Inf\"}") != SampleValue(text, "conc_hist_count"))
            ++violations;
        }
        ++snapshots;
      }
    });
    std::vector<std::thread> workers;
    for (int t = 0; t < kThreads; ++t) {
      workers.emplace_back([&, t] {
        while (snapshots.load() == 0) std::this_thread::yield();  // start once the gatherer runs
        auto series = h->WithLabels();
        for (int i = 0; i < kPerThread; ++i) {
          series.Observe(static_cast<double>((i + t) % 7));  // 0..6
          if (i % 10000 == 9999) {
            // Let the gatherer take at least one snapshot in the middle of the run.
            const int seen = snapshots.load();
            while (snapshots.load() == seen) std::this_thread::yield();
          }
        }
      });
    }
    for (auto& w : workers) w.join();
    done = true;
    gatherer.join();

    CHECK(violations.load() == 0);
    CHECK(snapshots.load() > 1);
    CHECK(intermediate.load() > 0);
    auto series = h->WithLabels();
    CHECK(series.Count() == static_cast<std::uint64_t>(kThreads) * kPerThread);
    // Every value is an integer, so the sum is exact: per thread, sum over i of (i+t)%7.
    double want_sum = 0;
    for (int t = 0; t < kThreads; ++t)
      for (int i = 0; i < kPerThread; ++i) want_sum += (i + t) % 7;
    CHECK(series.Sum() == want_sum);
    const obs::Snapshot final_snap = reg->Gather();
    const obs::FamilySnapshot* f = FindFamily(final_snap, "conc_hist");
    REQUIRE(f != nullptr);
    CHECK(f->series[0].count == static_cast<std::uint64_t>(kThreads) * kPerThread);
  }

  TEST_CASE("concurrency: concurrent WithLabels creates every series once") {
    GLK_OBS_SKIP_WITHOUT_THREADS();
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "conc_series_total", .help = "h", .labels = {"owner", "n"}});
    REQUIRE(reg->Register(c).ok());
    constexpr int kThreads = 4;
    constexpr int kSeries = 500;
    std::atomic<bool> done{false};
    std::thread gatherer([&] {
      while (!done.load()) (void)reg->Expose();
    });
    std::vector<std::thread> workers;
    for (int t = 0; t < kThreads; ++t) {
      workers.emplace_back([&, t] {
        for (int n = 0; n < kSeries; ++n) {
          c->WithLabels("t" + std::to_string(t), std::to_string(n)).Inc();
          c->WithLabels("shared", std::to_string(n)).Inc();  // every thread touches the same series
        }
      });
    }
    for (auto& w : workers) w.join();
    done = true;
    gatherer.join();

    CHECK(c->series_count() == static_cast<std::size_t>(kThreads + 1) * kSeries);
    const obs::Snapshot s = reg->Gather();
    const obs::FamilySnapshot* f = FindFamily(s, "conc_series_total");
    REQUIRE(f != nullptr);
    CHECK(f->series.size() == static_cast<std::size_t>(kThreads + 1) * kSeries);
    // Label names are sorted in snapshots: {"n", "owner"}.
    REQUIRE(f->label_names == std::vector<std::string>{"n", "owner"});
    double total = 0;
    bool sorted = true;
    int wrong_values = 0;
    for (std::size_t i = 0; i < f->series.size(); ++i) {
      total += f->series[i].value;
      if (i > 0 && !(f->series[i - 1].label_values < f->series[i].label_values)) sorted = false;
      const double want = f->series[i].label_values[1] == "shared" ? kThreads : 1;
      if (f->series[i].value != want) ++wrong_values;
    }
    CHECK(wrong_values == 0);
    CHECK(sorted);
    CHECK(total == 2.0 * kThreads * kSeries);
  }

  TEST_CASE("concurrency: Delete WithLabels and Inc racing do not crash") {
    GLK_OBS_SKIP_WITHOUT_THREADS();
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "conc_churn_total", .help = "h", .labels = {"k"}});
    auto g = obs::NewGauge({.name = "conc_churn_gauge", .help = "h", .labels = {"k"}});
    REQUIRE(reg->Register(c).ok());
    REQUIRE(reg->Register(g).ok());
    std::atomic<bool> done{false};
    std::atomic<bool> bad_expose{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t) {
      threads.emplace_back([&, t] {
        obs::CounterChild kept = c->WithLabels("k0");
        for (int i = 0; i < 20000; ++i) {
          const std::string key = "k" + std::to_string((i + t) % 8);
          c->WithLabels(key).Inc();
          g->WithLabels(key).Add(1);
          kept.Inc();
          if (i % 100 == 0) kept = c->WithLabels(key);
        }
      });
    }
    threads.emplace_back([&] {
      int i = 0;
      while (!done.load()) {
        (void)c->Delete("k" + std::to_string(i % 8));
        (void)g->Delete("k" + std::to_string((i + 3) % 8));
        if (i % 50 == 0) (void)c->Reset();
        ++i;
      }
    });
    threads.emplace_back([&] {
      while (!done.load()) {
        const std::string text = reg->Expose();
        if (!text.empty() && text.back() != '\n') bad_expose = true;
      }
    });
    for (int t = 0; t < 3; ++t) threads[t].join();
    done = true;
    threads[3].join();
    threads[4].join();

    CHECK_FALSE(bad_expose.load());
    CHECK(c->series_count() <= 8);
    // Still fully usable afterwards.
    auto after = c->WithLabels("after");
    after.Inc();
    CHECK(after.Value() == 1);
    const std::string text = reg->Expose();
    CHECK(text.find("conc_churn_total{k=\"after\"} 1\n") != std::string::npos);
    CHECK(text.back() == '\n');
  }
}
