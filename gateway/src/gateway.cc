#include "gateway.h"

#include <httplib.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "golivekit/observability/exporter.h"
#include "golivekit/observability/gauge.h"
#include "golivekit/observability/ingest.h"
#include "golivekit/observability/registry.h"
#include "golivekit/observability/version.h"

namespace golivekit::gateway {
namespace {

using Clock = std::chrono::steady_clock;

// When the request the current worker thread serves was routed: cpp-httplib calls the pre-routing
// handler and, after the response is written, the logger, on the same thread.
thread_local Clock::time_point request_began;

double UnixSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

struct Gateway::Impl {
  Config config;             // replaced by Reload (reload_mu held)
  std::string metrics_path;  // the scrapes' path, which no reload changes: read by every response
  std::shared_ptr<obs::Registry> registry;
  std::shared_ptr<obs::ClientMetrics> client;
  std::shared_ptr<obs::IngestEndpoint> ingest;
  std::shared_ptr<obs::Gauge> reload_successful;
  std::shared_ptr<obs::Gauge> reload_timestamp;
  httplib::Server server;
  std::thread thread;
  int port = 0;
  std::mutex reload_mu;  // one reload at a time

  // Draining: from `merged_all` on nothing more is merged; the first scrape routed after it ends it.
  std::atomic<bool> ready{true};
  std::mutex drain_mu;
  std::condition_variable drained;
  bool closing = false;
  Clock::time_point merged_all = Clock::time_point::max();
  std::set<std::string> scrapers;  // remote address and User-Agent of each scrape after merged_all

  obs::Status Mount();
  void OnResponse(const httplib::Request& req, const httplib::Response& res);
};

obs::Status Gateway::Impl::Mount() {
  metrics_path = config.metrics_path;
  registry = obs::NewRegistry({.include_runtime_metrics = true, .include_process_metrics = true});
  client = obs::NewClientMetrics(config.clients);
  if (obs::Status st = registry->Register(client); !st.ok()) return st;
  reload_successful = std::make_shared<obs::Gauge>(
      obs::GaugeOpts{.name = "golivekit_gateway_config_last_reload_successful",
                     .help = "Whether the last configuration reload (SIGHUP) succeeded; 1 after the start."});
  reload_timestamp = std::make_shared<obs::Gauge>(obs::GaugeOpts{
      .name = "golivekit_gateway_config_last_reload_success_timestamp_seconds",
      .help = "When the configuration was last loaded successfully (the start, or a reload)."});
  for (const auto& g : {reload_successful, reload_timestamp}) {
    if (obs::Status st = registry->Register(g); !st.ok()) return st;
  }
  reload_successful->Set(1);
  reload_timestamp->Set(UnixSeconds());

  obs::ConfigureServer(server, config.threads);
  // An idle keep-alive connection holds a worker until this passes, and Stop waits for it: short, as
  // the exporter's (shippers send every few seconds at most, and reconnecting costs one handshake).
  server.set_keep_alive_timeout(1);
  if (obs::Status st = obs::MountMetrics(server, registry, {.path = config.metrics_path}); !st.ok())
    return st;
  if (obs::Status st = obs::MountIngest(server, client, config.ingest, &ingest); !st.ok()) return st;
  server.Get("/-/healthy", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("golivekit-gateway is Healthy.\n", "text/plain; charset=utf-8");
  });
  server.Get("/-/ready", [this](const httplib::Request&, httplib::Response& res) {
    if (ready.load()) {
      res.set_content("golivekit-gateway is Ready.\n", "text/plain; charset=utf-8");
    } else {
      res.status = 503;
      res.set_content("golivekit-gateway is shutting down.\n", "text/plain; charset=utf-8");
    }
  });
  server.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    request_began = Clock::now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  server.set_logger(
      [this](const httplib::Request& req, const httplib::Response& res) { OnResponse(req, res); });
  return {};
}

// A scrape answered, routed after the last merge: the drain ends once enough scrapers had one. A
// scraper is told by its address and User-Agent (two Prometheus servers of an HA pair differ in one).
void Gateway::Impl::OnResponse(const httplib::Request& req, const httplib::Response& res) {
  if (req.path != metrics_path || res.status != 200) return;
  std::lock_guard lock(drain_mu);
  if (closing && request_began >= merged_all) {
    scrapers.insert(req.remote_addr + " " + req.get_header_value("User-Agent"));
    drained.notify_all();
  }
}

std::unique_ptr<Gateway> Gateway::Start(Config config, obs::Status* error) {
  auto impl = std::make_unique<Impl>();
  impl->config = std::move(config);
  const auto fail = [error](obs::Status st) {
    if (error != nullptr) *error = std::move(st);
    return nullptr;
  };
  if (obs::Status st = impl->Mount(); !st.ok()) return fail(std::move(st));
  Impl& i = *impl;
  errno = 0;
  if (i.config.port == 0) {
    i.port = i.server.bind_to_any_port(i.config.host);
  } else {
    i.port = i.server.bind_to_port(i.config.host, i.config.port) ? i.config.port : -1;
  }
  if (i.port <= 0) {
    const std::string why = errno != 0 ? std::strerror(errno) : "cannot bind";
    return fail(
        obs::Status(obs::StatusCode::kFailedPrecondition, "listen " + i.config.listen() + ": " + why));
  }
  i.thread = std::thread([&i] { i.server.listen_after_bind(); });
  while (!i.server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Gateway::~Gateway() { Stop(); }

int Gateway::port() const { return impl_->port; }
const Config& Gateway::config() const { return impl_->config; }
obs::ClientMetrics& Gateway::client_metrics() const { return *impl_->client; }

obs::Status Gateway::Reload(Config next, obs::ReconfigureReport* report) {
  Impl& i = *impl_;
  std::lock_guard lock(i.reload_mu);
  obs::Status st = CheckReloadable(i.config, next);
  if (st.ok()) st = obs::CheckIngestOpts(next.ingest);
  if (st.ok()) {
    // The new families, checked against the registry's others before anything changes.
    const auto trial = obs::NewClientMetrics(next.clients);
    st = trial->status();
    if (st.ok()) {
      st = i.registry->Redescribe(*i.client, trial->Describe(),
                                  [&] { return i.client->Reconfigure(next.clients, report); });
    }
  }
  // Checked above: the ingest endpoint takes the new options.
  if (st.ok()) st = i.ingest->Update(next.ingest);
  i.reload_successful->Set(st.ok() ? 1 : 0);
  if (!st.ok()) return st;
  i.reload_timestamp->Set(UnixSeconds());
  i.config = std::move(next);
  return {};
}

void Gateway::ReloadFailed() { impl_->reload_successful->Set(0); }

bool Gateway::Drain() {
  Impl& i = *impl_;
  i.ready = false;
  {
    std::lock_guard lock(i.drain_mu);
    i.closing = true;
  }
  i.ingest->Close();  // returns once the batches admitted before it are merged
  std::unique_lock lock(i.drain_mu);
  i.merged_all = Clock::now();
  const auto enough = static_cast<std::size_t>(i.config.drain_scrapers);
  return i.drained.wait_for(lock, i.config.drain_timeout, [&] { return i.scrapers.size() >= enough; });
}

void Gateway::Stop() {
  Impl& i = *impl_;
  if (!i.thread.joinable()) return;
  i.server.stop();
  i.thread.join();
}

}  // namespace golivekit::gateway
