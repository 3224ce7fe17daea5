#include "golivekit/observability/histogram.h"

#include <cfloat>
#include <cmath>

#include "golivekit/observability/encode.h"
#include "message.h"
#include "record/native_buckets.h"

namespace golivekit::observability {
namespace {

using detail::Fail;

Status CheckBuckets(const std::string& name, std::vector<double>& b, bool native) {
  if (!b.empty() && b.back() == HUGE_VAL) b.pop_back();  // +Inf is implied
  if (b.empty() && !native) {
    return Fail(StatusCode::kInvalidArgument,
                "histogram {}: no buckets (a bucket helper given invalid arguments returns none; "
                "use DefaultBuckets for the default layout, or set native_bucket_factor "
                "for a native-only histogram)",
                {name});
  }
  for (std::size_t i = 0; i < b.size(); ++i) {
    const bool finite = std::isfinite(b[i]);
    if (!finite || (i > 0 && !(b[i] > b[i - 1]))) {
      // The bound before is an argument of the second message only.
      return Fail(StatusCode::kInvalidArgument,
                  finite ? "histogram {}: buckets must be strictly increasing (bound {} = {} follows {})"
                         : "histogram {}: bucket bound {} is {} (bounds must be finite; +Inf is implied)",
                  {name, i, b[i], b[i - (i > 0)]});
    }
  }
  return {};
}

// The native options: each must lie in (low, high], which also refuses NaN and the infinities.
constexpr const char* kNativeOption[] = {"native_bucket_factor", "native_zero_threshold",
                                         "native_max_buckets"};
constexpr const char* kNativeRule[] = {"0 for no native buckets, or a finite growth factor > 1 such as 1.1",
                                       "it must be finite and > 0; the default is 2^-128",
                                       "it must be between 1 and 32768"};
constexpr double kNativeLow[] = {1, 0, 0};
constexpr double kNativeHigh[] = {DBL_MAX, DBL_MAX, 32768};

Status CheckNative(const std::string& name, const HistogramOpts& o) {
  if (o.native_bucket_factor == 0) return {};
  const double value[] = {o.native_bucket_factor, o.native_zero_threshold,
                          static_cast<double>(o.native_max_buckets)};
  for (int i = 0; i < 3; ++i) {
    if (!(kNativeLow[i] < value[i] && value[i] <= kNativeHigh[i])) {
      // The bucket count is an integer, spelled as one.
      return Fail(
          StatusCode::kInvalidArgument, "histogram {}: {} is {} ({})",
          {name, kNativeOption[i],
           i == 2 ? detail::MessageArg(o.native_max_buckets) : detail::MessageArg(value[i]), kNativeRule[i]});
    }
  }
  return {};
}

const detail::HistogramLayout* MakeLayout(HistogramOpts& o, bool native) {
  auto* layout = new detail::HistogramLayout();
  layout->bounds = std::move(o.buckets);
  layout->native = native;
  if (native) {
    layout->native_config = {.schema = detail::PickNativeSchema(o.native_bucket_factor),
                             .zero_threshold = o.native_zero_threshold,
                             .max_buckets = o.native_max_buckets,
                             .fractions = detail::NativeFractions()};
  }
  return layout;
}

}  // namespace

Histogram::Histogram(HistogramOpts opts)
    : MetricVec(MetricType::kHistogram, std::move(opts.name), std::move(opts.help), std::move(opts.labels),
                opts.max_series, opts.series_ttl) {
  Status s = CheckNative(name(), opts);
  const bool native = s.ok() && opts.native_bucket_factor != 0;
  if (s.ok()) s = CheckBuckets(name(), opts.buckets, native);
  layout_ = MakeLayout(opts, native);
  Refuse(std::move(s));
  InitDefaultCell();
}

Histogram::~Histogram() = default;  // the layout is released by MetricVec

HistogramChild Histogram::WithLabelValues(std::span<const std::string_view> values) {
  Status error;
  detail::CellBase* c = Acquire(values, &error);
  return HistogramChild(c, std::move(error));
}

HistogramChild Histogram::WithLabelValues(const std::vector<std::string>& values) {
  std::vector<std::string_view> v(values.begin(), values.end());
  return WithLabelValues(std::span<const std::string_view>(v));
}

std::uint64_t HistogramChild::Count() const noexcept {
  if (!cell_) return 0;
  if (cell_->native) return detail::NativeObservationCount(*cell_->native);
  std::uint64_t n = 0;
  for (std::size_t i = 0; i <= cell_->layout->bounds.size(); ++i)
    n += cell_->counts[i].load(std::memory_order_relaxed);
  return n;
}

double HistogramChild::Sum() const noexcept {
  return cell_ ? detail::BitsDouble(cell_->sum_bits.load(std::memory_order_relaxed)) : 0;
}

namespace {

// One pass: each bucket is read once and the cumulative counts and the total come from those same reads,
// so the snapshot is consistent however many threads observe meanwhile.
std::uint64_t ReadClassicBuckets(const detail::HistogramCell& c, SeriesSnapshot& s) {
  const std::size_t n = c.layout->bounds.size();
  // A vector made at its size for a new series (a kept one has that size already): the module then
  // links no resize of a vector of counts.
  if (s.bucket_counts.size() != n) std::vector<std::uint64_t>(n).swap(s.bucket_counts);
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < n; ++i) {
    cumulative += c.counts[i].load(std::memory_order_acquire);
    s.bucket_counts[i] = cumulative;
  }
  return cumulative + c.counts[n].load(std::memory_order_acquire);
}

}  // namespace

void detail::ReadHistogramSeries(const CellBase& base, SeriesSnapshot& s,
                                 std::vector<std::uint64_t>& scratch) {
  const auto& c = static_cast<const HistogramCell&>(base);
  // Classic before native: see HistogramCell::Observe for why this order keeps count >= every bucket.
  s.count = ReadClassicBuckets(c, s);
  if (c.native) s.count = ReadNativeBuckets(*c.native, s.native, scratch);
  s.sum = BitsDouble(c.sum_bits.load(std::memory_order_relaxed));
}

Status Histogram::Collect(std::vector<FamilySnapshot>& out) const {
  CollectFamily(out);
  return {};
}

void Histogram::Refill(FamilySnapshot& f) const { RefillFamily(f); }

std::shared_ptr<Histogram> NewHistogram(HistogramOpts opts) {
  return std::make_shared<Histogram>(std::move(opts));
}

}  // namespace golivekit::observability
