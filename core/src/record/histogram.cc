#include "golivekit/observability/histogram.h"

#include <cmath>

#include "golivekit/observability/encode.h"

namespace golivekit::observability {
namespace {

Status CheckBuckets(const std::string& name, std::vector<double>& b) {
  if (!b.empty() && b.back() == HUGE_VAL) b.pop_back();  // +Inf is implied
  if (b.empty()) {
    return InvalidArgument("histogram " + name +
                           ": no buckets (a bucket helper given invalid arguments returns none; "
                           "use DefaultBuckets for the default layout)");
  }
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (!std::isfinite(b[i])) {
      return InvalidArgument("histogram " + name + ": bucket bound " + std::to_string(i) + " is " +
                             FormatFloat(b[i]) + " (bounds must be finite; +Inf is implied)");
    }
    if (i > 0 && !(b[i] > b[i - 1])) {
      return InvalidArgument("histogram " + name + ": buckets must be strictly increasing (bound " +
                             std::to_string(i) + " = " + FormatFloat(b[i]) + " follows " +
                             FormatFloat(b[i - 1]) + ")");
    }
  }
  return {};
}

}  // namespace

Histogram::Histogram(HistogramOpts opts)
    : MetricVec(MetricType::kHistogram, std::move(opts.name), std::move(opts.help), std::move(opts.labels)) {
  Status s = CheckBuckets(name(), opts.buckets);
  bounds_ = std::make_shared<const std::vector<double>>(std::move(opts.buckets));
  if (status().ok() && !s.ok()) set_status(std::move(s));
  if (status().ok() && label_names().empty()) InitDefaultCell(new detail::HistogramCell(bounds_));
}

HistogramChild Histogram::WithLabelValues(std::span<const std::string_view> values) {
  Status error;
  detail::CellBase* c = Acquire(
      values, [this] { return static_cast<detail::CellBase*>(new detail::HistogramCell(bounds_)); }, &error);
  return HistogramChild(c, std::move(error));
}

HistogramChild Histogram::WithLabelValues(const std::vector<std::string>& values) {
  std::vector<std::string_view> v(values.begin(), values.end());
  return WithLabelValues(std::span<const std::string_view>(v));
}

std::uint64_t HistogramChild::Count() const noexcept {
  if (!cell_) return 0;
  std::uint64_t n = 0;
  for (std::size_t i = 0; i <= cell_->bounds->size(); ++i)
    n += cell_->counts[i].load(std::memory_order_relaxed);
  return n;
}

double HistogramChild::Sum() const noexcept {
  return cell_ ? detail::BitsDouble(cell_->sum_bits.load(std::memory_order_relaxed)) : 0;
}

Status Histogram::Collect(std::vector<FamilySnapshot>& out) const {
  const std::size_t n = bounds_->size();
  FamilySnapshot f = SnapshotFamily([n](const detail::CellBase& base, SeriesSnapshot& s) {
    const auto& c = static_cast<const detail::HistogramCell&>(base);
    s.bucket_counts.resize(n);
    // One pass: each bucket is read once and the cumulative counts and the total come from those same
    // reads, so the snapshot is consistent however many threads observe meanwhile.
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < n; ++i) {
      cumulative += c.counts[i].load(std::memory_order_relaxed);
      s.bucket_counts[i] = cumulative;
    }
    s.count = cumulative + c.counts[n].load(std::memory_order_relaxed);
    s.sum = detail::BitsDouble(c.sum_bits.load(std::memory_order_relaxed));
  });
  f.bucket_bounds = *bounds_;
  out.push_back(std::move(f));
  return {};
}

std::shared_ptr<Histogram> NewHistogram(HistogramOpts opts) {
  return std::make_shared<Histogram>(std::move(opts));
}

}  // namespace golivekit::observability
