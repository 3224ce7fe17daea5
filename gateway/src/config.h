#pragma once
// golivekit-gateway's configuration: the file's fields (docs/gateway.md, deploy/gateway/gateway.jsonc)
// read into the library's own option structs, every value checked, and every error naming its field.
#include <chrono>
#include <string>
#include <string_view>

#include "golivekit/observability/client_metrics.h"
#include "golivekit/observability/ingest.h"
#include "golivekit/observability/status.h"

namespace golivekit::gateway {

namespace obs = golivekit::observability;

struct Config {
  std::string host = "127.0.0.1";  // "listen", split; an IPv6 host without its brackets
  int port = 9464;
  int threads = 16;
  std::string metrics_path = "/metrics";
  obs::IngestOpts ingest = {};
  obs::ClientMetricsOpts clients = {};
  std::chrono::milliseconds drain_timeout{30000};
  int drain_scrapers = 1;  // distinct scrapers whose post-merge scrape ends the drain

  // "listen" as the file spells it: host:port, an IPv6 host in brackets.
  [[nodiscard]] std::string listen() const;
};

/// Reads a configuration from JSON text (comments allowed). `base_dir` resolves a relative
/// bearer_token_file. Errors (InvalidArgument) name the field: `metrics[2].type: "summary" is not one of
/// "counter", "gauge", "histogram"`; `out` is then unspecified.
obs::Status ParseConfig(std::string_view text, const std::string& base_dir, Config& out);

/// Sets host and port from "host:port" ("[::1]:9464" for IPv6; port 0: any free port).
obs::Status ParseListen(const std::string& listen, Config& out);

/// ParseConfig of a file; errors begin with the file's path.
obs::Status LoadConfig(const std::string& path, Config& out);

/// Why `next` cannot replace `running` without a restart (listen, threads, metrics_path, ingest.path
/// differ), naming the first such field; OK if it can.
obs::Status CheckReloadable(const Config& running, const Config& next);

}  // namespace golivekit::gateway
