#pragma once
// The demo's HTTP surface on cpp-httplib, a thin layer over LiveApp (transport only, no logic):
//
//   GET  /                      the demo page (page.cc)
//   GET  /healthz               "ok"
//   GET  /live/connect?room=&name=        open a connection      -> {"session","room","user"}
//   POST /live/join?session=              mount the view          -> {"messages":[render]}
//   POST /live/event?session=&type=       one event               -> {"messages":[diffs...]}
//   GET  /live/poll?session=&wait=<s>     long-poll (wait <= 25)  -> {"messages":[...],"closed"}
//   GET|POST /live/disconnect?session=    leave (the page sends it with sendBeacon on pagehide)
//   GET  /live/stats                      sessions and rooms, for debugging
//
// /metrics is mounted separately by main.cc (MountMetrics). Later: the client-metrics ingest endpoint.
#include <chrono>

#include "live_app.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace demo {

struct RoutesOptions {
  /// Longest long-poll a client may ask for. A waiting poll holds one server worker thread.
  std::chrono::seconds max_poll_wait{25};
};

void MountLiveRoutes(httplib::Server& server, LiveApp& app, RoutesOptions opts = {});

}  // namespace demo
