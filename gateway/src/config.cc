// The configuration file: JSON (nlohmann/json, with comments) read field by field. Every field is
// optional (the library's defaults apply) except the metrics' name, help and type; unknown fields are
// errors, as in Prometheus' own configuration, so that a misspelt limit is not silently the default.
#include "config.h"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "fields.h"
#include "golivekit/observability/buckets.h"
#include "golivekit/observability/web_vitals.h"

namespace golivekit::gateway {

// "host:port", "[v6]:port".
obs::Status ParseListen(const std::string& listen, Config& out) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return FieldError("listen", Quoted(Json(listen)) + " is not host:port (an IPv6 host in brackets)");
  }
  std::string host = listen.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']')
      return FieldError("listen", Quoted(Json(listen)) + ": unclosed '['");
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = listen.substr(colon + 1);
  int p = 0;
  for (const char c : port) {
    if (c < '0' || c > '9' || p > 65535) return FieldError("listen", Quoted(Json(listen)) + ": bad port");
    p = p * 10 + (c - '0');
  }
  if (port.empty() || p > 65535) return FieldError("listen", Quoted(Json(listen)) + ": bad port");
  out.host = std::move(host);
  out.port = p;
  return {};
}

namespace {

obs::Status ReadFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return obs::InvalidArgument("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  out = text.str();
  return {};
}

void ReadIngest(Fields& parent, const std::string& base_dir, obs::IngestOpts& in) {
  const Json* v = parent.Get("ingest");
  if (v == nullptr) return;
  Fields f(*v, "ingest");
  f.String("path", in.path);
  f.Strings("allowed_origins", in.allowed_origins);
  f.Strings("extra_allowed_headers", in.extra_allowed_headers);
  f.String("bearer_token", in.bearer_token);
  std::string token_file;
  f.String("bearer_token_file", token_file);
  if (!token_file.empty()) {
    if (!in.bearer_token.empty())
      f.Fail("bearer_token_file", "give bearer_token or bearer_token_file, not both");
    const std::string path =
        token_file.front() == '/' || base_dir.empty() ? token_file : base_dir + "/" + token_file;
    std::string token;
    if (obs::Status st = ReadFile(path, token); !st.ok())
      f.Fail("bearer_token_file", std::string(st.message()));
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    if (token.empty()) f.Fail("bearer_token_file", path + " is empty");
    in.bearer_token = std::move(token);
  }
  f.Whole("max_body_bytes", in.max_body_bytes, 1, std::uint64_t{1} << 30);
  std::chrono::milliseconds body_timeout = in.body_timeout;
  f.Duration("body_timeout", body_timeout);
  in.body_timeout = body_timeout;
  f.Number("address_rate_per_second", in.address_rate_per_second, 0, 1e9);
  f.Number("address_burst", in.address_burst, 0, 1e9);
  f.Whole("max_tracked_addresses", in.max_tracked_addresses, 1, 100'000'000);
  f.String("trusted_proxy_header", in.trusted_proxy_header);
  f.Done();
  // The library's own checks (an origin's form, say), named by the section.
  if (f.status().ok()) {
    if (obs::Status st = obs::CheckIngestOpts(in); !st.ok()) {
      std::string message(st.message());
      if (message.rfind("MountIngest: ", 0) == 0) message.erase(0, 13);
      f.Adopt(obs::InvalidArgument("ingest: " + message));
    }
  }
  parent.Adopt(f.status());
}

void ReadClients(Fields& parent, obs::ClientMetricsOpts& c) {
  const Json* v = parent.Get("clients");
  if (v == nullptr) return;
  Fields f(*v, "clients");
  f.Whole("max_clients", c.max_clients, 1, 100'000'000);
  std::chrono::milliseconds ttl = c.client_ttl;
  std::chrono::milliseconds live = c.live_timeout;
  f.Duration("client_ttl", ttl);
  f.Duration("live_timeout", live);
  if (ttl < std::chrono::seconds(1)) f.Fail("client_ttl", "must be at least 1s");
  if (live < std::chrono::seconds(1)) f.Fail("live_timeout", "must be at least 1s");
  c.client_ttl = std::chrono::ceil<std::chrono::seconds>(ttl);
  c.live_timeout = std::chrono::ceil<std::chrono::seconds>(live);
  f.Number("rate_per_second", c.rate_per_second, 0, 1e9);
  f.Number("rate_burst", c.rate_burst, 0, 1e9);
  f.Whole("max_label_value_length", c.max_label_value_length, 1, 1 << 20);
  f.Whole("max_batch_bytes", c.decode_limits.max_bytes, 1, std::uint64_t{1} << 30);
  f.Done();
  parent.Adopt(f.status());
}

obs::ClientMetricDecl ReadMetric(const Json& v, const std::string& path, Fields& parent) {
  obs::ClientMetricDecl d;
  Fields f(v, path);
  f.String("name", d.name, true);
  f.String("help", d.help, true);
  if (f.Get("type", true) != nullptr) {
    f.Choice<obs::MetricType>("type", d.type,
                              {{"counter", obs::MetricType::kCounter},
                               {"gauge", obs::MetricType::kGauge},
                               {"histogram", obs::MetricType::kHistogram}});
  }
  f.Strings("labels", d.labels);
  if (const Json* b = f.Get("buckets")) {
    if (b->is_string() && b->get<std::string>() == "default") {
      d.buckets = obs::DefaultBuckets;
    } else if (b->is_array()) {
      for (std::size_t i = 0; i < b->size(); ++i) {
        if (!(*b)[i].is_number()) {
          f.Fail("buckets[" + std::to_string(i) + "]", "must be a number");
          break;
        }
        d.buckets.push_back((*b)[i].get<double>());
      }
    } else {
      f.Fail("buckets", "must be \"default\" or a list of upper bounds, not " + Quoted(*b));
    }
  }
  f.Number("native_bucket_factor", d.native_bucket_factor, 0, 1e9);
  f.Whole("native_max_buckets", d.native_max_buckets, 1, 1 << 20);
  f.Number("native_max_zero_threshold", d.native_max_zero_threshold, 0, 1e300);
  f.Choice<obs::GaugePolicy>("gauge_policy", d.gauge_policy,
                             {{"sum", obs::GaugePolicy::kSumLive},
                              {"max", obs::GaugePolicy::kMaxLive},
                              {"min", obs::GaugePolicy::kMinLive},
                              {"last", obs::GaugePolicy::kLast}});
  f.Whole("max_series", d.max_series, 1, 10'000'000);
  f.Number("max_increment", d.max_increment, 0, 1e300);
  f.Whole("max_observations", d.max_observations, 1, std::uint64_t{1} << 53);
  f.Number("max_abs_observation", d.max_abs_observation, 0, 1e300);
  f.Number("min_value", d.min_value, -1e300, 1e300);
  f.Number("max_value", d.max_value, -1e300, 1e300);
  f.Done();
  if (f.status().ok() && d.type != obs::MetricType::kHistogram) {
    for (const char* histogram_only : {"buckets", "native_bucket_factor"}) {
      if (v.contains(histogram_only)) f.Fail(histogram_only, "is for histograms only");
    }
  }
  if (f.status().ok() && d.type != obs::MetricType::kGauge && v.contains("gauge_policy")) {
    f.Fail("gauge_policy", "is for gauges only");
  }
  // The library's own checks of a declaration, run on it alone so that the message has its index.
  if (f.status().ok()) {
    const auto alone = obs::NewClientMetrics({.metrics = {d}});
    if (!alone->status().ok()) {
      std::string message(alone->status().message());
      if (message.rfind("client metrics: ", 0) == 0) message.erase(0, 16);
      f.Adopt(obs::InvalidArgument(path + ": " + message));
    }
  }
  parent.Adopt(f.status());
  return d;
}

void ReadMetrics(Fields& parent, obs::ClientMetricsOpts& c) {
  bool web_vitals = false;
  parent.Bool("web_vitals", web_vitals);
  const Json* v = parent.Get("metrics");
  if (v != nullptr && !v->is_array()) parent.Fail("metrics", "must be a list of metric declarations");
  if (v != nullptr && v->is_array()) {
    for (std::size_t i = 0; i < v->size() && parent.status().ok(); ++i) {
      c.metrics.push_back(ReadMetric((*v)[i], "metrics[" + std::to_string(i) + "]", parent));
    }
  }
  if (web_vitals) {
    for (obs::ClientMetricDecl& d : obs::WebVitalsClientMetrics()) c.metrics.push_back(std::move(d));
  }
  if (!parent.status().ok()) return;
  for (std::size_t i = 0; i < c.metrics.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (c.metrics[i].name == c.metrics[j].name) {
        const std::string where =
            i < (v ? v->size() : 0) ? "metrics[" + std::to_string(i) + "]" : "web_vitals";
        return parent.Adopt(FieldError(where, "\"" + c.metrics[i].name + "\" is declared twice"));
      }
    }
  }
}

}  // namespace

std::string Config::listen() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

obs::Status ParseConfig(std::string_view text, const std::string& base_dir, Config& out) {
  Json root;
  try {
    root = Json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const Json::parse_error& e) {
    // "[json.exception.parse_error.101] parse error at line 3, column 5: ..." without the prefix.
    std::string message = e.what();
    if (const std::size_t at = message.find("parse error"); at != std::string::npos) message.erase(0, at);
    return obs::InvalidArgument("not valid JSON: " + message);
  }
  out = Config{};
  Fields f(root, "");
  std::string listen;
  f.String("listen", listen);
  if (!listen.empty()) f.Adopt(ParseListen(listen, out));
  f.Whole("threads", out.threads, 1, 4096);
  f.String("metrics_path", out.metrics_path);
  if (f.status().ok() && (out.metrics_path.empty() || out.metrics_path.front() != '/')) {
    f.Fail("metrics_path", "must begin with '/'");
  }
  ReadIngest(f, base_dir, out.ingest);
  ReadClients(f, out.clients);
  ReadMetrics(f, out.clients);
  if (const Json* shutdown = f.Get("shutdown")) {
    Fields s(*shutdown, "shutdown");
    s.Duration("drain_timeout", out.drain_timeout);
    s.Whole("scrapers", out.drain_scrapers, 1, 100);
    s.Done();
    f.Adopt(s.status());
  }
  f.Done();
  if (f.status().ok()) {
    for (const char* fixed : {"/-/healthy", "/-/ready"}) {
      if (out.metrics_path == fixed) f.Fail("metrics_path", std::string(fixed) + " is the gateway's own");
      if (out.ingest.path == fixed) f.Fail("ingest.path", std::string(fixed) + " is the gateway's own");
    }
    if (out.ingest.path == out.metrics_path) f.Fail("ingest.path", "must differ from metrics_path");
  }
  return f.status();
}

obs::Status LoadConfig(const std::string& path, Config& out) {
  std::string text;
  if (obs::Status st = ReadFile(path, text); !st.ok()) return st;
  const std::size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
  if (obs::Status st = ParseConfig(text, dir, out); !st.ok()) {
    return obs::InvalidArgument(path + ": " + std::string(st.message()));
  }
  return {};
}

obs::Status CheckReloadable(const Config& running, const Config& next) {
  const auto needs_restart = [](const std::string& field, const std::string& was, const std::string& now) {
    return obs::Status(
        obs::StatusCode::kFailedPrecondition,
        field + ": changing it needs a restart (running with " + was + ", the file says " + now + ")");
  };
  if (running.listen() != next.listen()) return needs_restart("listen", running.listen(), next.listen());
  if (running.threads != next.threads) {
    return needs_restart("threads", std::to_string(running.threads), std::to_string(next.threads));
  }
  if (running.metrics_path != next.metrics_path) {
    return needs_restart("metrics_path", running.metrics_path, next.metrics_path);
  }
  if (running.ingest.path != next.ingest.path)
    return needs_restart("ingest.path", running.ingest.path, next.ingest.path);
  return {};
}

}  // namespace golivekit::gateway
