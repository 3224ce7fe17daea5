#include "live_app.h"

#include <algorithm>
#include <cstdio>
#include <thread>
#include <utility>

#include "html_diff.h"
#include "json_util.h"

namespace obs = golivekit::observability;

namespace demo {
namespace {

constexpr std::string_view kCounter = "counter";
constexpr std::string_view kPresence = "presence";
constexpr std::size_t kPresenceShown = 8;  // names listed in the presence component

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string ErrorBody(std::string_view error, std::string_view detail) {
  std::string out = "{\"error\":";
  AppendJsonString(out, error);
  out += ",\"detail\":";
  AppendJsonString(out, detail);
  out += '}';
  return out;
}

bool KnownEvent(std::string_view type) {
  return std::find(std::begin(LiveApp::kEventTypes), std::end(LiveApp::kEventTypes), type) !=
         std::end(LiveApp::kEventTypes);
}

}  // namespace

bool ValidRoomName(std::string_view room) {
  if (room.empty() || room.size() > 32) return false;
  return std::all_of(room.begin(), room.end(),
                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; });
}

std::string SanitizeUserName(std::string_view user) {
  std::string out;
  for (const char c : user) {
    if (out.size() == 24) break;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_') {
      out.push_back(c);
    }
  }
  return out;
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (c < 0x20 || c > 0x7e) {
          out += "&#" + std::to_string(c) + ';';
        } else {
          out.push_back(ch);
        }
    }
  }
  return out;
}

LiveApp::LiveApp(obs::GoliveKitMetrics metrics, AppOptions opts)
    : metrics_(std::move(metrics)), opts_(opts), pubsub_(metrics_), rng_(std::random_device{}()) {}

LiveApp::~LiveApp() { Shutdown(); }

LiveApp::SessionPtr LiveApp::FindLocked(std::string_view id) const {
  auto it = sessions_.find(id);
  return it == sessions_.end() ? nullptr : it->second;
}

std::string LiveApp::NewIdLocked() {
  for (;;) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng_()));
    std::string id(buf);
    if (sessions_.find(id) == sessions_.end()) return id;
  }
}

// --- rendering -----------------------------------------------------------------------------------

std::string LiveApp::RenderLocked(const std::string& component, const Room& room) {
  const auto t0 = Clock::now();
  std::string html;
  if (component == kCounter) {
    html += "<div class=\"counter\"><span class=\"value\">";
    html += std::to_string(room.value);
    html += "</span><p class=\"last\">";
    html += room.last_action.empty() ? std::string("no clicks yet") : "last: " + HtmlEscape(room.last_action);
    html += "</p><p class=\"saved\">";
    html +=
        room.saved_value ? "saved value: " + std::to_string(*room.saved_value) : std::string("not saved yet");
    html += "</p></div>";
  } else {
    html += "<div class=\"presence\"><p>";
    html += std::to_string(room.members.size());
    html += room.members.size() == 1 ? " user" : " users";
    html += " online</p><ul>";
    std::size_t shown = 0;
    for (const auto& [id, user] : room.members) {
      if (shown++ == kPresenceShown) break;
      html += "<li>" + HtmlEscape(user) + "</li>";
    }
    if (room.members.size() > kPresenceShown) {
      html += "<li>and " + std::to_string(room.members.size() - kPresenceShown) + " more</li>";
    }
    html += "</ul></div>";
  }
  obs::RecordRender(metrics_, component, SecondsSince(t0));
  return html;
}

void LiveApp::EnqueueLocked(Session& s, std::string type, std::string json) {
  if (s.mailbox.size() >= opts_.max_mailbox) {
    // The client is not keeping up: rather than an unbounded queue, resynchronize it with one full
    // render (its previous renders are superseded anyway).
    s.mailbox.clear();
    PushFullRenderLocked(s);
    return;
  }
  s.mailbox.push_back({std::move(type), std::move(json)});
  s.cv.notify_all();
}

void LiveApp::PushFullRenderLocked(Session& s) {
  const Room& room = rooms_[s.room];
  std::string json = "{\"kind\":\"render\",\"room\":";
  AppendJsonString(json, s.room);
  json += ",\"user\":";
  AppendJsonString(json, s.user);
  json += ",\"components\":{";
  bool first = true;
  for (const std::string& component : {std::string(kCounter), std::string(kPresence)}) {
    std::string html = RenderLocked(component, room);
    if (!first) json += ',';
    first = false;
    AppendJsonString(json, component);
    json += ':';
    AppendJsonString(json, html);
    s.rendered[component] = std::move(html);
  }
  json += "}}";
  s.mailbox.push_back({"render", std::move(json)});
  s.cv.notify_all();
}

void LiveApp::PushDiffLocked(Session& s, const std::string& component) {
  const Room& room = rooms_[s.room];
  std::string next = RenderLocked(component, room);
  std::string& prev = s.rendered[component];

  const auto t0 = Clock::now();
  const HtmlDiff diff = ComputeDiff(prev, next);
  if (diff.empty()) return;  // nothing changed for this view: nothing to send
  std::string json = "{\"kind\":\"diff\",\"component\":";
  AppendJsonString(json, component);
  json +=
      ",\"p\":" + std::to_string(diff.keep_prefix) + ",\"s\":" + std::to_string(diff.keep_suffix) + ",\"i\":";
  AppendJsonString(json, diff.insert);
  json += '}';
  obs::RecordDiff(metrics_, json.size(), SecondsSince(t0));

  prev = std::move(next);
  EnqueueLocked(s, "diff", std::move(json));
}

std::string LiveApp::DrainLocked(Session& s, bool closed) {
  std::string body = "{\"messages\":[";
  bool first = true;
  for (auto& m : s.mailbox) {
    obs::RecordMessage(metrics_, obs::kDirectionOutbound, m.type, m.json.size());
    if (!first) body += ',';
    first = false;
    body += m.json;
  }
  s.mailbox.clear();
  body += "],\"closed\":";
  body += closed ? "true" : "false";
  body += '}';
  return body;
}

void LiveApp::OnRoomEvent(const std::weak_ptr<Session>& weak, const PubSubMessage& msg) {
  // Called by PubSub::Publish, which LiveApp only calls with mu_ held.
  auto s = weak.lock();
  if (!s || s->closed || !s->joined) return;
  PushDiffLocked(*s, msg.event);
}

// --- lifecycle -----------------------------------------------------------------------------------

Reply LiveApp::Connect(std::string_view room, std::string_view user) {
  auto session = std::make_shared<Session>(metrics_);  // golivekit_active_connections +1
  if (!ValidRoomName(room)) {
    session->conn.Failed(obs::kStatusError);
    return {400, ErrorBody("bad_room", "room names are [a-z0-9-], 1 to 32 characters")};
  }
  Lock lock(mu_);
  if (shut_down_ || sessions_.size() >= opts_.max_sessions) {
    session->conn.Failed(obs::kStatusError);
    return {503, ErrorBody("unavailable", shut_down_ ? "shutting down" : "too many sessions")};
  }
  session->id = NewIdLocked();
  session->room.assign(room);
  session->user = SanitizeUserName(user);
  if (session->user.empty()) session->user = "guest-" + std::to_string(++guest_seq_);
  session->opened = session->last_seen = Clock::now();
  sessions_.emplace(session->id, session);

  std::string body = "{\"session\":";
  AppendJsonString(body, session->id);
  body += ",\"room\":";
  AppendJsonString(body, session->room);
  body += ",\"user\":";
  AppendJsonString(body, session->user);
  body += '}';
  return {200, std::move(body)};
}

Reply LiveApp::Join(std::string_view session, std::string_view message) {
  obs::RecordMessage(metrics_, obs::kDirectionInbound, "join", message.size());
  Lock lock(mu_);
  auto s = FindLocked(session);
  if (!s) return {404, ErrorBody("session_not_found", "connect first, or the connection timed out")};
  if (s->joined) return {409, ErrorBody("already_joined", "this session has joined already")};

  s->joined = true;
  s->last_seen = Clock::now();
  s->conn.Succeeded();
  s->components.emplace_back(metrics_, kCounter);
  s->components.emplace_back(metrics_, kPresence);
  Room& room = rooms_[s->room];
  room.members.emplace(s->id, s->user);
  metrics_.presence_count->Inc();

  const std::string topic = "room:" + s->room;
  std::weak_ptr<Session> weak = s;
  s->subscription =
      pubsub_.Subscribe(topic, [this, weak](const PubSubMessage& msg) { OnRoomEvent(weak, msg); });
  PushFullRenderLocked(*s);
  // Everyone else in the room sees the new presence (the joiner's own render already has it).
  pubsub_.Publish({topic, std::string(kPresence)});
  return {200, DrainLocked(*s)};
}

Reply LiveApp::Event(std::string_view session, std::string_view type, std::string_view message) {
  obs::RecordMessage(metrics_, obs::kDirectionInbound, "event", message.size());
  const bool known = KnownEvent(type);
  obs::EventScope ev(metrics_, known ? type : std::string_view("unknown"));

  if (type == "save" && opts_.simulate_io) {
    // A simulated database write, outside the lock: 2-40 ms.
    thread_local std::mt19937 io_rng{std::random_device{}()};
    std::this_thread::sleep_for(
        std::chrono::microseconds(std::uniform_int_distribution<int>(2000, 40000)(io_rng)));
  }

  Lock lock(mu_);
  auto s = FindLocked(session);
  if (!s || !s->joined) {
    ev.Fail("session_not_found");
    return {404, ErrorBody("session_not_found", "join first, or the session expired")};
  }
  s->last_seen = Clock::now();
  if (!known) {
    ev.Fail("unknown_event");
    EnqueueLocked(*s, "error", "{\"kind\":\"error\",\"reason\":\"unknown event type\"}");
    return {400, DrainLocked(*s)};
  }
  if (type == "boom") {
    // The handler raises: the event fails, the view gets an error and its state is unchanged.
    ev.Fail("event_handler");
    EnqueueLocked(*s, "error", "{\"kind\":\"error\",\"reason\":\"boom: the event handler failed\"}");
    return {500, DrainLocked(*s)};
  }

  Room& room = rooms_[s->room];
  if (type == "inc") {
    ++room.value;
  } else if (type == "dec") {
    --room.value;
  } else if (type == "reset") {
    room.value = 0;
  } else {  // save
    room.saved_value = room.value;
  }
  room.last_action = std::string(type) + " by " + s->user;
  pubsub_.Publish({"room:" + s->room, std::string(kCounter)});  // every view in the room re-renders
  std::string body = DrainLocked(*s);
  ev.Finish();
  return {200, std::move(body)};
}

Reply LiveApp::Poll(std::string_view session, std::chrono::milliseconds wait) {
  Lock lock(mu_);
  auto s = FindLocked(session);
  if (!s) return {404, ErrorBody("session_not_found", "connect again")};
  s->last_seen = Clock::now();
  if (s->mailbox.empty() && wait.count() > 0 && !s->closed) {
    ++s->polling;
    s->cv.wait_for(lock, wait, [&] { return !s->mailbox.empty() || s->closed; });
    --s->polling;
    s->last_seen = Clock::now();
  }
  return {200, DrainLocked(*s, s->closed)};
}

Reply LiveApp::Disconnect(std::string_view session, std::string_view message) {
  obs::RecordMessage(metrics_, obs::kDirectionInbound, "leave", message.size());
  Lock lock(mu_);
  auto s = FindLocked(session);
  if (!s) return {404, ErrorBody("session_not_found", "already closed")};
  CloseLocked(s, obs::kStatusError);  // leaving before joining: the connection did not succeed
  return {200, "{\"ok\":true}"};
}

void LiveApp::CloseLocked(const SessionPtr& s, std::string_view pending_outcome) {
  if (s->closed) return;
  s->closed = true;
  if (s->joined) {
    pubsub_.Unsubscribe(s->subscription);
    auto room_it = rooms_.find(s->room);
    if (room_it != rooms_.end()) {
      room_it->second.members.erase(s->id);
      metrics_.presence_count->Dec();
      if (room_it->second.members.empty()) {
        rooms_.erase(room_it);
      } else {
        pubsub_.Publish({"room:" + s->room, std::string(kPresence)});
      }
    }
    s->components.clear();  // golivekit_component_instances -1 each
  } else {
    s->conn.Failed(pending_outcome);
  }
  { auto ended = std::move(s->conn); }  // golivekit_active_connections -1, now (a poller may hold s)
  s->cv.notify_all();
  sessions_.erase(s->id);
}

void LiveApp::Sweep() {
  Lock lock(mu_);
  const auto now = Clock::now();
  std::vector<SessionPtr> expired;
  for (const auto& [id, s] : sessions_) {
    if (!s->joined && now - s->opened > opts_.join_timeout) {
      expired.push_back(s);
    } else if (s->joined && s->polling == 0 && now - s->last_seen > opts_.idle_timeout) {
      expired.push_back(s);
    }
  }
  for (const auto& s : expired) CloseLocked(s, obs::kStatusTimeout);
}

void LiveApp::Shutdown() {
  Lock lock(mu_);
  shut_down_ = true;
  std::vector<SessionPtr> all;
  for (const auto& [id, s] : sessions_) all.push_back(s);
  for (const auto& s : all) CloseLocked(s, obs::kStatusError);
}

std::string LiveApp::StatsJson() const {
  Lock lock(mu_);
  std::size_t joined = 0;
  for (const auto& [id, s] : sessions_) joined += s->joined ? 1 : 0;
  std::string out = "{\"sessions\":" + std::to_string(sessions_.size()) +
                    ",\"pending\":" + std::to_string(sessions_.size() - joined) +
                    ",\"joined\":" + std::to_string(joined) +
                    ",\"subscriptions\":" + std::to_string(pubsub_.subscriptions()) + ",\"rooms\":{";
  bool first = true;
  for (const auto& [name, room] : rooms_) {
    if (!first) out += ',';
    first = false;
    AppendJsonString(out, name);
    out += ":{\"value\":" + std::to_string(room.value) +
           ",\"members\":" + std::to_string(room.members.size()) + '}';
  }
  out += "}}";
  return out;
}

}  // namespace demo
