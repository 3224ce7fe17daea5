#include "golivekit/observability/gauge.h"

#include <chrono>

namespace golivekit::observability {

double UnixSeconds() noexcept {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

Gauge::Gauge(GaugeOpts opts)
    : MetricVec(MetricType::kGauge, std::move(opts.name), std::move(opts.help), std::move(opts.labels),
                opts.max_series, opts.series_ttl) {
  InitDefaultCell();
}

GaugeChild Gauge::WithLabelValues(std::span<const std::string_view> values) {
  Status error;
  detail::CellBase* c = Acquire(values, &error);
  return GaugeChild(c, std::move(error));
}

GaugeChild Gauge::WithLabelValues(const std::vector<std::string>& values) {
  std::vector<std::string_view> v(values.begin(), values.end());
  return WithLabelValues(std::span<const std::string_view>(v));
}

Status Gauge::Collect(std::vector<FamilySnapshot>& out) const {
  CollectFamily(out);
  return {};
}

void Gauge::Refill(FamilySnapshot& f) const { RefillFamily(f); }

std::shared_ptr<Gauge> NewGauge(GaugeOpts opts) { return std::make_shared<Gauge>(std::move(opts)); }

}  // namespace golivekit::observability
