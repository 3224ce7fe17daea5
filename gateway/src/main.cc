// golivekit-gateway: client metrics for applications that do not link the library (docs/gateway.md).
//   golivekit-gateway --config FILE [--listen HOST:PORT] [--check]
// SIGHUP reloads FILE; SIGTERM or SIGINT drains (no more batches, one last scrape) and stops.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "config.h"
#include "gateway.h"
#include "golivekit/observability/version.h"
#include "log.h"

namespace gw = golivekit::gateway;
namespace obs = golivekit::observability;

namespace {

constexpr std::string_view kUsage =
    "usage: golivekit-gateway --config FILE [--listen HOST:PORT] [--check]\n"
    "  --config FILE       the configuration (JSON with comments; docs/gateway.md)\n"
    "  --listen HOST:PORT  overrides the file's \"listen\" (also across reloads)\n"
    "  --check             check FILE and exit: 0 if it is valid, 1 with the error if not\n"
    "  --version           print the version and exit\n"
    "Signals: SIGHUP reloads FILE; SIGTERM/SIGINT stop after a drain (shutdown.drain_timeout).\n";

struct Flags {
  std::string config;
  std::string listen;
  bool check = false;
};

// 0: go on; otherwise the exit code (-1: 0 after --help or --version).
int ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if ((arg == "--config" && value(f.config)) || (arg == "--listen" && value(f.listen))) continue;
    if (arg.rfind("--config=", 0) == 0) {
      f.config = arg.substr(9);
    } else if (arg.rfind("--listen=", 0) == 0) {
      f.listen = arg.substr(9);
    } else if (arg == "--check") {
      f.check = true;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage.data(), stdout);
      return -1;
    } else if (arg == "--version") {
      std::printf("golivekit-gateway %s\n", obs::kVersion.data());
      return -1;
    } else {
      std::fprintf(stderr, "golivekit-gateway: unknown or incomplete argument %s\n%s", argv[i],
                   kUsage.data());
      return 2;
    }
  }
  if (f.config.empty()) {
    std::fprintf(stderr, "golivekit-gateway: --config FILE is required\n%s", kUsage.data());
    return 2;
  }
  return 0;
}

obs::Status Load(const Flags& flags, gw::Config& config) {
  if (obs::Status st = gw::LoadConfig(flags.config, config); !st.ok()) return st;
  if (!flags.listen.empty()) return gw::ParseListen(flags.listen, config);
  return {};
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ",") + n;
  return out;
}

void Reload(gw::Gateway& gateway, const Flags& flags) {
  gw::Config next;
  obs::ReconfigureReport report;
  obs::Status st = Load(flags, next);
  if (st.ok()) st = gateway.Reload(std::move(next), &report);
  if (!st.ok()) {
    gateway.ReloadFailed();
    gw::Log("error", "reload refused, still serving the previous configuration",
            {{"config", flags.config}, {"err", std::string(st.message())}});
    return;
  }
  gw::Log("info", "reloaded",
          {{"config", flags.config},
           {"metrics", std::to_string(gateway.config().clients.metrics.size())},
           {"added", Join(report.added)},
           {"removed", Join(report.removed)},
           {"reset", Join(report.reset)},
           {"kept", std::to_string(report.kept.size())}});
}

}  // namespace

int main(int argc, char** argv) {
  Flags flags;
  if (const int rc = ParseFlags(argc, argv, flags); rc != 0) return rc < 0 ? 0 : rc;

  gw::Config config;
  if (obs::Status st = Load(flags, config); !st.ok()) {
    if (flags.check) {
      std::fprintf(stderr, "golivekit-gateway: %s\n", std::string(st.message()).c_str());
    } else {
      gw::Log("error", "configuration refused",
              {{"config", flags.config}, {"err", std::string(st.message())}});
    }
    return 1;
  }
  if (flags.check) {
    std::printf("%s: valid, %zu client metrics, listen %s\n", flags.config.c_str(),
                config.clients.metrics.size(), config.listen().c_str());
    return 0;
  }

  // Signals are taken by sigwait below, never by a handler; the server's threads inherit the mask.
  sigset_t signals;
  sigemptyset(&signals);
  for (const int s : {SIGHUP, SIGTERM, SIGINT}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // a client gone mid-response is no reason to stop

  obs::Status error;
  const std::unique_ptr<gw::Gateway> gateway = gw::Gateway::Start(config, &error);
  if (!gateway) {
    gw::Log("error", "start failed", {{"config", flags.config}, {"err", std::string(error.message())}});
    return 1;
  }
  gw::Config shown = gateway->config();
  shown.port = gateway->port();
  gw::Log("info", "started",
          {{"version", std::string(obs::kVersion)},
           {"config", flags.config},
           {"listen", shown.listen()},
           {"metrics", std::to_string(config.clients.metrics.size())}});

  for (;;) {
    int signal = 0;
    if (sigwait(&signals, &signal) != 0) continue;
    if (signal == SIGHUP) {
      Reload(*gateway, flags);
      continue;
    }
    const bool scraped = gateway->Drain();
    gateway->Stop();
    gw::Log("info", "stopped",
            {{"signal", signal == SIGTERM ? "SIGTERM" : "SIGINT"},
             {"drain", scraped ? "scraped" : "timeout"},
             {"clients", std::to_string(gateway->client_metrics().tracked_clients())}});
    return 0;
  }
}
