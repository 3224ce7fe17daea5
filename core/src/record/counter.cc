#include "golivekit/observability/counter.h"

#include <cmath>
#include <string>
#include <thread>

#include "golivekit/observability/encode.h"
#include "message.h"

namespace golivekit::observability {
namespace detail {

std::uint32_t StripeWidth() noexcept {
  static const std::uint32_t width = [] {
    const std::uint32_t n = 2 * std::thread::hardware_concurrency();
    std::uint32_t w = 4;
    while (w < n && w < 64) w *= 2;
    return w;
  }();
  return width;
}

namespace {
std::atomic<std::uint32_t> g_next_slot{0};
thread_local constinit std::uint32_t t_slot = 0;
thread_local constinit bool t_slot_set = false;
}  // namespace

std::uint32_t& ThreadSlot() noexcept {
  if (!t_slot_set) {
    t_slot = g_next_slot.fetch_add(1, std::memory_order_relaxed);
    t_slot_set = true;
  }
  return t_slot;
}

void MoveThreadSlot() noexcept {
  std::uint32_t& s = ThreadSlot();
  // xorshift: a different, well-spread cell each time.
  s ^= s << 13;
  s ^= s >> 17;
  s ^= s << 5;
  if (s == 0) s = 1;
}

Stripe* CounterCell::Contended() noexcept {
  Stripe* s = stripe.load(std::memory_order_acquire);
  if (s != nullptr) return s;
  auto* fresh = new Stripe(StripeWidth());
  if (stripe.compare_exchange_strong(s, fresh, std::memory_order_acq_rel, std::memory_order_acquire)) {
    return fresh;
  }
  delete fresh;  // another thread installed one first
  return s;
}

double CounterCell::Value() const noexcept {
  std::uint64_t n = base.load(std::memory_order_relaxed);
  if (const Stripe* s = stripe.load(std::memory_order_acquire)) {
    for (std::uint32_t i = 0; i <= s->mask; ++i) n += s->cells[i].value.load(std::memory_order_relaxed);
  }
  return static_cast<double>(n) + BitsDouble(float_bits.load(std::memory_order_relaxed));
}

}  // namespace detail

namespace {

// Integral deltas below 2^53 go to the integer word (exact and striped); others to the double.
Status AddTo(detail::CounterCell* cell, double delta) {
  if (std::isnan(delta) || delta < 0) {
    return detail::Fail(StatusCode::kInvalidArgument,
                        "counter {}: cannot decrease or add NaN (Add({}) rejected; value unchanged)",
                        {cell->name->value, delta});
  }
  if (delta < 9007199254740992.0 && delta == std::trunc(delta)) {
    cell->AddInt(static_cast<std::uint64_t>(delta));
  } else {
    cell->AddFloat(delta);
  }
  return {};
}

}  // namespace

Status CounterChild::Add(double delta) const {
  if (!cell_) return status_;
  return AddTo(cell_.get(), delta);
}

Counter::Counter(CounterOpts opts)
    : MetricVec(MetricType::kCounter, std::move(opts.name), std::move(opts.help), std::move(opts.labels),
                opts.max_series, opts.series_ttl) {
  InitDefaultCell();
}

CounterChild Counter::WithLabelValues(std::span<const std::string_view> values) {
  Status error;
  detail::CellBase* c = Acquire(values, &error);
  return CounterChild(c, std::move(error));
}

CounterChild Counter::WithLabelValues(const std::vector<std::string>& values) {
  std::vector<std::string_view> v(values.begin(), values.end());
  return WithLabelValues(std::span<const std::string_view>(v));
}

Status Counter::Add(double delta) const {
  auto* c = static_cast<detail::CounterCell*>(default_cell());
  if (c == nullptr) {
    if (!status().ok()) return status();
    return detail::Fail(StatusCode::kFailedPrecondition, "counter {} has labels: use WithLabels(...).Add()",
                        {name()});
  }
  return AddTo(c, delta);
}

double Counter::Value() const noexcept {
  auto* c = static_cast<detail::CounterCell*>(default_cell());
  return c ? c->Value() : 0;
}

Status Counter::Collect(std::vector<FamilySnapshot>& out) const {
  CollectFamily(out);
  return {};
}

void Counter::Refill(FamilySnapshot& f) const { RefillFamily(f); }

std::shared_ptr<Counter> NewCounter(CounterOpts opts) { return std::make_shared<Counter>(std::move(opts)); }

}  // namespace golivekit::observability
