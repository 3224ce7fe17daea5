#pragma once
// The Accept headers of docs/exposition.md ("What Prometheus asks for"), as each Prometheus version sends
// them; shared by the negotiation and the exporter tests.
#include <string>
#include <vector>

namespace glk_obs_test {

inline const std::vector<std::string>& PrometheusAcceptHeaders() {
  static const std::vector<std::string> headers = {
      // 2.x before scrape_protocols (up to 2.47)
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
      "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
      // 2.40-2.47 with native histograms
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,"
      "application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,"
      "text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
      // 2.48+ (scrape_protocols default), captured from Prometheus/2.53.1
      "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,"
      "text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
      // 3.x default
      "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
      "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
      "text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
      // 3.x with scrape_native_histograms: protobuf first, then the 3.x list
      "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,"
      "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
      "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
      "text/plain;version=0.0.4;q=0.3,*/*;q=0.2",
  };
  return headers;
}

}  // namespace glk_obs_test
