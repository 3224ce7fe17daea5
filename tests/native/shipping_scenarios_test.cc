// The shared shipping scenarios (tests/fixtures/shipping_scenarios.json, docs/shipping.md) against the
// native shipper, in virtual time: its hooks (shipper_hooks.h) get a clock that jumps to whatever the
// shipper thread waits for, a scripted server, and a fixed jitter. So every request time is exact and
// the whole table runs in milliseconds; js/test/shipping_scenarios.test.mjs runs the same table against
// the browser's shipper.
#include <doctest/doctest.h>
#include <golivekit/observability/shipper.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ingest_util.h"
#include "shipper_hooks.h"

namespace obs = golivekit::observability;
using nlohmann::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using WallClock = std::chrono::system_clock;

namespace {

json LoadScenarios() {
  std::ifstream in(GLK_OBS_FIXTURES_DIR "/shipping_scenarios.json");
  REQUIRE(in.good());
  return json::parse(in);
}

// IMF-fixdate, the form servers send.
std::string HttpDate(WallClock::time_point t) {
  using namespace std::chrono;
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const sys_days day = floor<days>(t);
  const year_month_day date{day};
  const hh_mm_ss<seconds> time{floor<seconds>(t - day)};
  char out[40];
  std::snprintf(out, sizeof out, "%s, %02u %s %04d %02d:%02d:%02d GMT", kDays[weekday{day}.c_encoding()],
                static_cast<unsigned>(date.day()), kMonths[static_cast<unsigned>(date.month()) - 1],
                static_cast<int>(date.year()), static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()), static_cast<int>(time.seconds().count()));
  return out;
}

// Virtual time and a scripted server for one shipper. Time moves only when the shipper thread waits:
// it jumps to the end of the wait, unless that is past the horizon, where the thread really waits
// (idle) until a Flush or Stop wakes it.
class VirtualWorld {
 public:
  static constexpr std::int64_t kHorizonMs = 10LL * 3600 * 1000;

  VirtualWorld(json answers, double jitter) : answers_(std::move(answers)), jitter_(jitter) {}

  obs::detail::ShipperHooks Hooks() {
    return {
        .now = [this] { return Now(); },
        .wall_now = [this] { return kWallStart + milliseconds(offset_ms_.load()); },
        .wait_until = [this](std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                             Clock::time_point until,
                             const std::function<bool()>& ready) { return Wait(lock, cv, until, ready); },
        .post = [this](const std::string&, milliseconds timeout) { return Post(timeout); },
        .random = [this] { return jitter_; },
    };
  }

  void WaitIdle() {
    std::unique_lock<std::mutex> lock(mu_);
    REQUIRE(idle_cv_.wait_for(lock, std::chrono::seconds(30), [this] { return idle_; }));
  }

  std::vector<std::int64_t> RequestTimes() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  // Whole seconds, so that HTTP-dates fall on the virtual millisecond.
  static constexpr WallClock::time_point kWallStart{std::chrono::seconds(1767225600)};  // 2026-01-01

  Clock::time_point Now() const { return start_ + milliseconds(offset_ms_.load()); }
  void AdvanceTo(std::int64_t ms) { offset_ms_.store(std::max(offset_ms_.load(), ms)); }

  bool Wait(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, Clock::time_point until,
            const std::function<bool()>& ready) {
    if (ready()) return true;
    const std::int64_t target = std::chrono::duration_cast<milliseconds>(until - start_).count();
    if (target <= kHorizonMs) {
      AdvanceTo(target);
      return ready();
    }
    SetIdle(true);
    cv.wait(lock, ready);
    SetIdle(false);
    return true;
  }

  void SetIdle(bool idle) {
    std::lock_guard<std::mutex> lock(mu_);
    idle_ = idle;
    idle_cv_.notify_all();
  }

  obs::detail::ShipperResponse Post(milliseconds timeout) {
    json answer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(offset_ms_.load());
      answer = answers_.at(std::min(next_answer_++, answers_.size() - 1));
    }
    const std::int64_t delay = answer.value("delay_ms", std::int64_t{0});
    AdvanceTo(offset_ms_.load() + std::min<std::int64_t>(delay, timeout.count()));
    const int status = answer.value("status", 0);
    if (delay >= timeout.count() || status == 0) return {};
    obs::detail::ShipperResponse res;
    res.answered = true;
    res.status = status;
    if (answer.contains("retry_after")) res.retry_after = answer["retry_after"].get<std::string>();
    if (answer.contains("retry_after_date_s")) {
      const auto when = kWallStart + milliseconds(offset_ms_.load()) +
                        std::chrono::seconds(answer["retry_after_date_s"].get<std::int64_t>());
      res.retry_after = HttpDate(when);
    }
    res.body = answer.contains("result") ? R"({"result":")" + answer["result"].get<std::string>() + "\"}"
                                         : R"({"error":"test","message":"scripted"})";
    return res;
  }

  const Clock::time_point start_ = Clock::now();
  std::atomic<std::int64_t> offset_ms_{0};
  json answers_;
  double jitter_;
  std::mutex mu_;  // the fields below
  std::condition_variable idle_cv_;
  bool idle_ = false;
  std::size_t next_answer_ = 0;
  std::vector<std::int64_t> requests_;
};

std::map<std::string, std::uint64_t> StatsByName(const obs::ShipperStats& s) {
  return {{"batches", s.batches_encoded},   {"requests", s.requests_sent},
          {"accepted", s.batches_accepted}, {"duplicate", s.batches_duplicate},
          {"rejected", s.batches_rejected}, {"dropped", s.batches_dropped},
          {"retries", s.retries},           {"buffered", s.buffered_batches}};
}

obs::ShipperOpts OptionsOf(const json& scenario) {
  const json options = scenario.value("options", json::object());
  obs::ShipperOpts opts{.url = "http://127.0.0.1:1/metrics/ingest", .interval = std::chrono::hours(1000)};
  if (options.contains("backoff_initial_ms"))
    opts.backoff_initial = milliseconds(options["backoff_initial_ms"].get<std::int64_t>());
  if (options.contains("backoff_max_ms"))
    opts.backoff_max = milliseconds(options["backoff_max_ms"].get<std::int64_t>());
  if (options.contains("stop_timeout_ms"))
    opts.stop_timeout = milliseconds(options["stop_timeout_ms"].get<std::int64_t>());
  if (options.contains("max_batch_age_ms"))
    opts.max_batch_age = milliseconds(options["max_batch_age_ms"].get<std::int64_t>());
  return opts;
}

// A stop succeeded if everything it waited for was delivered: nothing newly lost, nothing left.
bool Delivered(const obs::ShipperStats& before, const obs::ShipperStats& after) {
  return after.batches_dropped == before.batches_dropped &&
         after.batches_rejected == before.batches_rejected && after.buffered_batches == 0;
}

void RunScenario(const json& scenario) {
  VirtualWorld world(scenario.at("answers"), scenario.value("jitter", 0.5));
  glk_obs_test::ClientRegistry client;
  obs::Status error;
  auto shipper =
      obs::detail::StartShipperWithHooks(client.registry, OptionsOf(scenario), world.Hooks(), &error);
  INFO(error.ToString());
  REQUIRE(shipper != nullptr);

  std::vector<bool> outcomes;
  double views = 0;
  for (const json& step : scenario.at("steps")) {
    client.open_views->Set(++views);  // something changed: every step makes one batch
    if (step == "flush") {
      outcomes.push_back(shipper->Flush(std::chrono::seconds(30)));
      world.WaitIdle();
    } else {
      REQUIRE(step == "stop");
      const obs::ShipperStats before = shipper->stats();
      shipper->Stop();
      outcomes.push_back(Delivered(before, shipper->stats()));
    }
  }
  const json& expect = scenario.at("expect");
  CHECK(world.RequestTimes() == expect.at("requests_at_ms").get<std::vector<std::int64_t>>());
  CHECK(outcomes == expect.at("steps").get<std::vector<bool>>());
  CHECK(json(StatsByName(shipper->stats())) == expect.at("stats"));
}

}  // namespace

TEST_SUITE("native") {
  TEST_CASE("shipper scenarios: the defaults are those of the shared table") {
    const json defaults = LoadScenarios().at("defaults");
    const obs::ShipperOpts opts;
    CHECK(opts.backoff_initial.count() == defaults.at("backoff_initial_ms"));
    CHECK(opts.backoff_max.count() == defaults.at("backoff_max_ms"));
    CHECK(opts.stop_timeout.count() == defaults.at("stop_timeout_ms"));
    CHECK(opts.max_batch_age.count() == defaults.at("max_batch_age_ms"));
  }

  TEST_CASE("shipper scenarios: every scenario of the shared table, in virtual time") {
    const json table = LoadScenarios();
    REQUIRE(table.at("scenarios").size() >= 10);
    for (const json& scenario : table.at("scenarios")) {
      INFO("scenario: ", scenario.at("name").get<std::string>());
      RunScenario(scenario);
    }
  }
}
