#pragma once
// Simulated users: a background thread that connects, joins, clicks, polls and leaves through the
// same LiveApp calls as the HTTP routes, at a bounded rate, so that /metrics has real data (errors and
// timeouts included) from the first scrape on, without a browser.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "live_app.h"

namespace demo {

struct SimOptions {
  /// Simulated users kept connected (0: no simulation at all).
  int users = 6;
  /// Events per second, all users together (each tick: one event, then every user polls).
  double events_per_second = 8;
  /// Share of events that are "boom" (the failing handler). 0.5 % at 8/s is 0.04 errors/s: visible on
  /// the dashboard, below the HighErrorRate alert's 0.1/s.
  double boom_ratio = 0.005;
  /// Share of new connections that never join (closed as timeouts after AppOptions::join_timeout).
  double timeout_ratio = 0.01;
  /// Share of new connections that are rejected (a bad room name: connections_total{status="error"}).
  /// Together with timeouts, 2 %: visible, below the GoliveKitHighConnectionErrorRatio alert's 5 %.
  double reject_ratio = 0.01;
  /// A simulated user stays between these many seconds, then leaves (15 % of them just vanish and are
  /// closed by the idle timeout, as a closed laptop would be).
  double min_stay_seconds = 20;
  double max_stay_seconds = 120;
  /// Random seed; 0: random.
  std::uint64_t seed = 0;
};

class SimulatedUsers {
 public:
  SimulatedUsers(LiveApp& app, SimOptions opts);
  ~SimulatedUsers();
  SimulatedUsers(const SimulatedUsers&) = delete;
  SimulatedUsers& operator=(const SimulatedUsers&) = delete;

  /// A deterministic first round, run before the server listens: users join two rooms, every event
  /// type is sent once (a "boom" included), one connection is rejected and one is left to time out.
  /// After it, every built-in metric has samples.
  void WarmUp();
  /// Starts the background thread (no-op when users == 0).
  void Start();
  /// Stops and joins it; disconnects the simulated users. Idempotent.
  void Stop();

 private:
  struct User {
    std::string session;
    std::chrono::steady_clock::time_point leave_at;
  };
  void Run();
  void Tick();
  void ConnectOne(bool force_join);
  void SendEvent(User& u, const std::string& type);
  void PollAll();
  std::string NextRoom();

  LiveApp& app_;
  SimOptions opts_;
  std::mt19937_64 rng_;
  std::vector<User> users_;  // touched by WarmUp (before Start) and then by the thread only
  std::uint64_t seq_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
};

}  // namespace demo
