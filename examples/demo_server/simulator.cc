#include "simulator.h"

#include <algorithm>
#include <utility>

namespace demo {
namespace {
constexpr const char* kRooms[] = {"sim-a", "sim-b"};
}  // namespace

SimulatedUsers::SimulatedUsers(LiveApp& app, SimOptions opts)
    : app_(app), opts_(opts), rng_(opts.seed != 0 ? opts.seed : std::random_device{}()) {}

SimulatedUsers::~SimulatedUsers() { Stop(); }

std::string SimulatedUsers::NextRoom() { return kRooms[seq_ % 2]; }

void SimulatedUsers::ConnectOne(bool force_join) {
  std::uniform_real_distribution<double> unit(0, 1);
  const double r = force_join ? 1.0 : unit(rng_);
  ++seq_;
  const std::string name = "bot-" + std::to_string(seq_);
  if (r < opts_.reject_ratio) {
    app_.Connect("Not A Room!", name);  // rejected: connections_total{status="error"}
    return;
  }
  const Reply c = app_.Connect(NextRoom(), name);
  if (c.status != 200) return;
  // {"session":"<16 hex>",...}
  const auto start = c.body.find(":\"") + 2;
  const std::string session = c.body.substr(start, c.body.find('"', start) - start);
  if (r < opts_.reject_ratio + opts_.timeout_ratio) return;  // never joins: times out
  if (app_.Join(session, R"({"kind":"join","component":"counter"})").status != 200) return;
  std::uniform_real_distribution<double> stay(opts_.min_stay_seconds,
                                              std::max(opts_.min_stay_seconds, opts_.max_stay_seconds));
  users_.push_back({session, std::chrono::steady_clock::now() +
                                 std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                     std::chrono::duration<double>(stay(rng_)))});
}

void SimulatedUsers::SendEvent(User& u, const std::string& type) {
  const std::string message = R"({"kind":"event","type":")" + type + R"(","component":"counter"})";
  const Reply r = app_.Event(u.session, type, message);
  if (r.status == 404) u.session.clear();  // closed by the server (idle): forget it
}

void SimulatedUsers::PollAll() {
  for (auto& u : users_) {
    if (!u.session.empty() && app_.Poll(u.session, std::chrono::milliseconds(0)).status == 404)
      u.session.clear();
  }
  users_.erase(std::remove_if(users_.begin(), users_.end(), [](const User& u) { return u.session.empty(); }),
               users_.end());
}

void SimulatedUsers::WarmUp() {
  if (opts_.users <= 0) return;
  for (int i = 0; i < std::min(opts_.users, 3); ++i) ConnectOne(/*force_join=*/true);
  app_.Connect("Not A Room!", "bot-rejected");  // connections_total{status="error"}
  app_.Connect(kRooms[0], "bot-never-joins");   // {status="timeout"} after the join timeout
  if (!users_.empty()) {
    for (const char* type : {"inc", "inc", "dec", "save", "reset", "inc", "boom"})
      SendEvent(users_.front(), type);
  }
  PollAll();
}

void SimulatedUsers::Tick() {
  std::uniform_real_distribution<double> unit(0, 1);
  const auto now = std::chrono::steady_clock::now();

  // Leave when the stay is over: mostly a clean leave, sometimes the client just vanishes.
  for (auto& u : users_) {
    if (now < u.leave_at) continue;
    if (unit(rng_) < 0.85) app_.Disconnect(u.session, R"({"kind":"leave"})");
    u.session.clear();
  }
  users_.erase(std::remove_if(users_.begin(), users_.end(), [](const User& u) { return u.session.empty(); }),
               users_.end());
  if (static_cast<int>(users_.size()) < opts_.users) ConnectOne(/*force_join=*/false);

  if (!users_.empty()) {
    User& u = users_[std::uniform_int_distribution<std::size_t>(0, users_.size() - 1)(rng_)];
    const double r = unit(rng_);
    std::string type;
    if (r < opts_.boom_ratio) {
      type = "boom";
    } else {
      const double w = unit(rng_);
      type = w < 0.50 ? "inc" : w < 0.80 ? "dec" : w < 0.92 ? "save" : "reset";
    }
    SendEvent(u, type);
  }
  PollAll();
}

void SimulatedUsers::Run() {
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / std::clamp(opts_.events_per_second, 0.1, 1000.0)));
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_until(lock, next, [&] { return stop_; })) break;
    }
    Tick();
    next += period;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;  // fell behind (slow "save"s): do not burst to catch up
  }
  for (auto& u : users_) app_.Disconnect(u.session, R"({"kind":"leave"})");
  users_.clear();
}

void SimulatedUsers::Start() {
  if (opts_.users <= 0 || thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void SimulatedUsers::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace demo
