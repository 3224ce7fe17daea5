#pragma once
// A small LiveView-style application, independent of any transport: the HTTP routes (routes.cc) and
// the simulated users (simulator.cc) call the same methods, so every metric below is recorded by the
// same code whoever drives it.
//
// Lifecycle of a view (one browser tab, or one simulated user):
//   Connect(room, user)   opens a connection: golivekit_active_connections +1 (ConnectionScope). The
//                         connection is pending until it joins.
//   Join(session)         mounts the view: connections_total{status="success"}, presence +1, two
//                         component instances ("counter", "presence"), the first full render.
//                         A connection that does not join within AppOptions::join_timeout is closed
//                         by Sweep() as connections_total{status="timeout"}; a rejected Connect (bad
//                         room name, too many sessions) is {status="error"}.
//   Event(session, type)  one user event (EventScope: event_latency_seconds{event_type}, errors_total
//                         {type} if it fails). It changes the room's state and publishes to the room's
//                         PubSub topic; every view in the room re-renders the changed component
//                         (render_latency_seconds{component}), diffs it against its previous render
//                         (diff_size_bytes, diff_latency_seconds) and queues the diff for its client.
//   Poll(session, wait)   hands the queued messages to the client (a long-poll over HTTP; the simulator
//                         polls without waiting).
//   Disconnect(session)   the client leaves: presence -1, components unmounted, active_connections -1.
//                         Sweep() does the same for a joined view idle longer than idle_timeout.
//
// Every message crossing the "wire" is counted in messages_total{direction,type} and
// message_size_bytes{direction} with its real size: inbound "join", "event", "leave"; outbound
// "render" (full), "diff", "error".
//
// Thread-safety: every public member may be called from any thread. State is guarded by one mutex;
// "save" events sleep (simulated I/O) outside of it.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <golivekit/observability.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "pubsub.h"

namespace demo {

struct AppOptions {
  /// A connection that has not joined after this long is closed as a timeout.
  std::chrono::milliseconds join_timeout{3000};
  /// A joined view that neither polls nor sends events for this long is closed.
  std::chrono::milliseconds idle_timeout{60000};
  /// Open connections (pending + joined) at most; more are rejected (connections_total{status="error"}).
  std::size_t max_sessions = 2000;
  /// Queued outbound messages per view at most; beyond, the queue is replaced by one full render.
  std::size_t max_mailbox = 64;
  /// "save" events sleep 2-40 ms (a simulated database write), so event latency has a real spread.
  bool simulate_io = true;
};

/// The answer to a client call: an HTTP-like status and a JSON body.
struct Reply {
  int status = 200;
  std::string body;
};

class LiveApp {
 public:
  /// Event types the counter view handles ("boom" is a handler that always fails).
  static constexpr std::string_view kEventTypes[] = {"inc", "dec", "reset", "save", "boom"};

  LiveApp(golivekit::observability::GoliveKitMetrics metrics, AppOptions opts = {});
  ~LiveApp();
  LiveApp(const LiveApp&) = delete;
  LiveApp& operator=(const LiveApp&) = delete;

  /// Opens a connection to `room` ([a-z0-9-], 1-32 characters) for `user` (sanitized; empty: a guest
  /// name). 200 {"session","room","user"}; 400 bad room; 503 too many sessions.
  Reply Connect(std::string_view room, std::string_view user);
  /// Mounts the view. `message` is the client's join message as received (its size is counted).
  /// 200 {"messages":[render]}; 404 unknown session; 409 already joined.
  Reply Join(std::string_view session, std::string_view message);
  /// Handles one event. 200 {"messages":[...diffs]}; 400 unknown event type; 404 unknown session;
  /// 500 the handler failed ("boom").
  Reply Event(std::string_view session, std::string_view type, std::string_view message);
  /// Waits up to `wait` for outbound messages, then returns them (possibly none):
  /// 200 {"messages":[...],"closed":bool}; 404 unknown session.
  Reply Poll(std::string_view session, std::chrono::milliseconds wait);
  /// Closes the connection. 200 {"ok":true}; 404 unknown session.
  Reply Disconnect(std::string_view session, std::string_view message);

  /// Closes pending connections older than join_timeout and idle views. Call periodically.
  void Sweep();
  /// Closes every connection and wakes every Poll; later Connects are rejected.
  void Shutdown();

  /// {"sessions","pending","joined","rooms":{room:{"value","members"}}} for /live/stats.
  [[nodiscard]] std::string StatsJson() const;

  [[nodiscard]] const golivekit::observability::GoliveKitMetrics& metrics() const noexcept {
    return metrics_;
  }

 private:
  using Clock = std::chrono::steady_clock;
  struct Outbound {
    std::string type;  // "render", "diff", "error"
    std::string json;
  };
  struct Room {
    long long value = 0;
    std::string last_action;  // "inc by guest-12"
    std::optional<long long> saved_value;
    std::map<std::string, std::string> members;  // session id -> user (the room's presences)
  };
  struct Session {
    explicit Session(const golivekit::observability::GoliveKitMetrics& m) : conn(m) {}
    std::string id;
    std::string room;
    std::string user;
    golivekit::observability::ConnectionScope conn;
    bool joined = false;
    bool closed = false;
    int polling = 0;
    Clock::time_point opened;
    Clock::time_point last_seen;
    std::uint64_t subscription = 0;
    std::vector<golivekit::observability::ComponentScope> components;
    std::map<std::string, std::string> rendered;  // component -> last render sent to the client
    std::deque<Outbound> mailbox;
    std::condition_variable cv;
  };
  using SessionPtr = std::shared_ptr<Session>;
  using Lock = std::unique_lock<std::mutex>;

  SessionPtr FindLocked(std::string_view id) const;
  std::string NewIdLocked();
  // Renders `component` of `room`, recording render latency.
  std::string RenderLocked(const std::string& component, const Room& room);
  // Re-renders `component` for `s`, diffs it against the last render and queues the diff.
  void PushDiffLocked(Session& s, const std::string& component);
  // Queues a full render of every component of `s`.
  void PushFullRenderLocked(Session& s);
  void EnqueueLocked(Session& s, std::string type, std::string json);
  // Takes every queued message of `s` (counting them as outbound) into a reply body.
  std::string DrainLocked(Session& s, bool closed = false);
  // Closes `s`: timeout/error outcome if it never joined; leaves its room (presence, components).
  void CloseLocked(const SessionPtr& s, std::string_view pending_outcome);
  void OnRoomEvent(const std::weak_ptr<Session>& weak, const PubSubMessage& msg);

  golivekit::observability::GoliveKitMetrics metrics_;
  AppOptions opts_;
  mutable std::mutex mu_;
  PubSub pubsub_;
  std::map<std::string, SessionPtr, std::less<>> sessions_;
  std::map<std::string, Room> rooms_;
  std::mt19937_64 rng_;
  std::uint64_t guest_seq_ = 0;
  bool shut_down_ = false;
};

/// [a-z0-9-], 1 to 32 characters.
bool ValidRoomName(std::string_view room);
/// Keeps [A-Za-z0-9_-], at most 24 characters.
std::string SanitizeUserName(std::string_view user);
/// &, <, >, " and ' as entities; bytes outside printable ASCII as numeric references (renders are ASCII).
std::string HtmlEscape(std::string_view s);

}  // namespace demo
