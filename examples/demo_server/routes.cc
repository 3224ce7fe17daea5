#include "routes.h"

#include <httplib.h>
#include <sys/stat.h>

#include <algorithm>
#include <string>

#include "json_util.h"

namespace demo {
namespace {

constexpr const char* kJson = "application/json";

void Send(httplib::Response& res, const Reply& reply) {
  res.status = reply.status;
  res.set_header("Cache-Control", "no-store");
  res.set_content(reply.body, kJson);
}

// The session parameter, or a 400 reply.
bool SessionParam(const httplib::Request& req, httplib::Response& res, std::string& session) {
  session = req.get_param_value("session");
  if (session.empty() || session.size() > 64) {
    Send(res, {400, R"({"error":"bad_request","detail":"missing or invalid session parameter"})"});
    return false;
  }
  return true;
}

bool IsFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

bool MountWebRoot(httplib::Server& server, const std::string& dir) {
  const bool built = !dir.empty() && IsFile(dir + "/index.html") && server.set_mount_point("/", dir);
  if (built) {
    server.set_file_extension_and_mimetype_mapping("wasm", "application/wasm");
    server.set_file_extension_and_mimetype_mapping("gz", "application/gzip");  // the module, gzip'd
    server.set_file_extension_and_mimetype_mapping("js", "text/javascript; charset=utf-8");
    server.set_file_extension_and_mimetype_mapping("html", "text/html; charset=utf-8");
    server.set_file_request_handler([](const httplib::Request& req, httplib::Response& res) {
      // Vite names the files under assets/ after their content; the pages themselves must be fresh.
      res.set_header("Cache-Control",
                     req.path.rfind("/assets/", 0) == 0 ? "public, max-age=31536000, immutable" : "no-store");
    });
  }
  // Files take precedence over handlers: this answers / only when there is no index.html to serve.
  server.Get("/", [dir](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_content(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>GoliveKit observability demo"
        "</title></head>\n<body style=\"font: 15px/1.5 system-ui, sans-serif; margin: 2rem\">\n"
        "<h1>The demo's web app is not built</h1>\n<p>There is no <code>index.html</code> in <code>" +
            HtmlEscape(dir) +
            "</code>. Run <code>make demo</code> (it builds the app with "
            "<code>scripts/build-demo-web.sh</code> and "
            "starts this server), or start the server with <code>--web-root DIR</code>.</p>\n"
            "<p>Meanwhile <a href=\"/metrics\">/metrics</a> and the <code>/live/*</code> routes work.</p>\n"
            "</body></html>\n",
        "text/html; charset=utf-8");
  });
  return built;
}

void MountLiveRoutes(httplib::Server& server, LiveApp& app, RoutesOptions opts) {
  server.Get("/healthz",
             [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });

  auto connect = [&app](const httplib::Request& req, httplib::Response& res) {
    const std::string room = req.has_param("room") ? req.get_param_value("room") : "lobby";
    Send(res, app.Connect(room, req.get_param_value("name")));
  };
  server.Get("/live/connect", connect);
  server.Post("/live/connect", connect);

  server.Post("/live/join", [&app](const httplib::Request& req, httplib::Response& res) {
    std::string session;
    if (SessionParam(req, res, session)) Send(res, app.Join(session, req.body));
  });

  server.Post("/live/event", [&app](const httplib::Request& req, httplib::Response& res) {
    std::string session;
    if (!SessionParam(req, res, session)) return;
    const std::string type = req.get_param_value("type");
    // The inbound message is the request body; a bare `curl -X POST '...&type=inc'` sends none, so
    // count the message such a client would have sent.
    const std::string message =
        req.body.empty() ? R"({"kind":"event","type":)" + JsonString(type) + "}" : req.body;
    Send(res, app.Event(session, type, message));
  });

  server.Get("/live/poll", [&app, opts](const httplib::Request& req, httplib::Response& res) {
    std::string session;
    if (!SessionParam(req, res, session)) return;
    long wait = 0;
    if (req.has_param("wait")) {
      try {
        wait = std::stol(req.get_param_value("wait"));
      } catch (...) {
        wait = 0;
      }
    }
    wait = std::clamp<long>(wait, 0, static_cast<long>(opts.max_poll_wait.count()));
    Send(res, app.Poll(session, std::chrono::seconds(wait)));
  });

  auto disconnect = [&app](const httplib::Request& req, httplib::Response& res) {
    std::string session;
    if (SessionParam(req, res, session)) Send(res, app.Disconnect(session, req.body));
  };
  server.Get("/live/disconnect", disconnect);
  server.Post("/live/disconnect", disconnect);

  server.Get("/live/stats", [&app](const httplib::Request&, httplib::Response& res) {
    Send(res, {200, app.StatsJson()});
  });
}

}  // namespace demo
