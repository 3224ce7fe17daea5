#pragma once
// The demo's HTTP surface on cpp-httplib, a thin layer over LiveApp (transport only, no logic):
//
//   GET  /, /dashboard.html, /assets/...   the demo's web app: files of the web root (MountWebRoot)
//   GET  /healthz               "ok"
//   GET  /live/connect?room=&name=        open a connection      -> {"session","room","user"}
//   POST /live/join?session=              mount the view          -> {"messages":[render]}
//   POST /live/event?session=&type=       one event               -> {"messages":[diffs...]}
//   GET  /live/poll?session=&wait=<s>     long-poll (wait <= 25)  -> {"messages":[...],"closed"}
//   GET|POST /live/disconnect?session=    leave (the page sends it with sendBeacon on pagehide)
//   GET  /live/stats                      sessions and rooms, for debugging
//
// /metrics and the client-metrics ingest endpoint /metrics/ingest are mounted separately by main.cc.
#include <chrono>
#include <string>

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

/// Serves the files of `dir` (the demo's web app as scripts/build-demo-web.sh builds it: index.html,
/// dashboard.html, assets/ with the bundles and the .wasm as application/wasm) under /. HTML is served
/// no-store, the content-hashed assets/ as immutable. When `dir` does not exist (or has no index.html)
/// GET / answers a short page saying how to build the app. Returns whether `dir` has an index.html.
bool MountWebRoot(httplib::Server& server, const std::string& dir);

}  // namespace demo
