#pragma once
// Series cells: the lock-free hot paths, inline so that an update compiles to one or two atomic
// instructions. Not part of the public API.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "golivekit/observability/detail/metric_vec.h"
#include "golivekit/observability/detail/native_cells.h"

namespace golivekit::observability::detail {

inline std::uint64_t DoubleBits(double v) noexcept {
  std::uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}
inline double BitsDouble(std::uint64_t b) noexcept {
  double v;
  std::memcpy(&v, &b, sizeof v);
  return v;
}

/// Adds `delta` to a double stored as bits, by compare-and-swap (em++ has no atomic<double>::fetch_add).
inline void AtomicAddDouble(std::atomic<std::uint64_t>& bits, double delta) noexcept {
  std::uint64_t old = bits.load(std::memory_order_relaxed);
  while (!bits.compare_exchange_weak(old, DoubleBits(BitsDouble(old) + delta), std::memory_order_relaxed,
                                     std::memory_order_relaxed)) {
  }
}

/// Per-thread cells a contended counter spreads over, one cache line each (Java's LongAdder).
struct alignas(64) StripeCell {
  std::atomic<std::uint64_t> value{0};
};
struct Stripe {
  explicit Stripe(std::uint32_t n) : mask(n - 1), cells(new StripeCell[n]) {}
  std::uint32_t mask;
  std::unique_ptr<StripeCell[]> cells;
};
/// Number of stripe cells: twice the hardware's threads rounded up to a power of two, 4 to 64.
std::uint32_t StripeWidth() noexcept;
/// The calling thread's current stripe index (before masking).
std::uint32_t& ThreadSlot() noexcept;
/// Moves the calling thread to another stripe cell after it collided with another thread on one.
void MoveThreadSlot() noexcept;

/// A counter series: integral increments go to one word while uncontended and to a per-thread stripe once
/// two threads have collided on it; non-integral amounts go to a separate double.
struct CounterCell final : CellBase {
  ~CounterCell() override { delete stripe.load(std::memory_order_relaxed); }

  void Inc() noexcept { AddInt(1); }
  void AddInt(std::uint64_t n) noexcept {
    Touch();
    Stripe* s = stripe.load(std::memory_order_acquire);
    if (s == nullptr) {
      std::uint64_t v = base.load(std::memory_order_relaxed);
      if (base.compare_exchange_strong(v, v + n, std::memory_order_relaxed, std::memory_order_relaxed))
        return;
      s = Contended();
    }
    // As Java's LongAdder: a failed compare-and-swap means another thread shares this cell, so this
    // thread moves to another one for its next update.
    std::atomic<std::uint64_t>& cell = s->cells[ThreadSlot() & s->mask].value;
    std::uint64_t v = cell.load(std::memory_order_relaxed);
    if (!cell.compare_exchange_strong(v, v + n, std::memory_order_relaxed, std::memory_order_relaxed)) {
      MoveThreadSlot();
      cell.fetch_add(n, std::memory_order_relaxed);
    }
  }
  void AddFloat(double v) noexcept {
    Touch();
    AtomicAddDouble(float_bits, v);
  }
  double Value() const noexcept;

  /// Installs the stripe once (the only allocation of a counter after creation) and returns it.
  Stripe* Contended() noexcept;

  /// The IEEE 754 bits of the fractional adds. In a build without threads (the npm module) the embedder
  /// may add to it in place, as a double at this address (js/src/series.ts). First, at the offset of a
  /// gauge's value: the embedder finds `idle_since` as far before either (kStampWordsBack).
  std::atomic<std::uint64_t> float_bits{0};
  std::atomic<std::uint64_t> base{0};
  std::atomic<Stripe*> stripe{nullptr};
};

/// A gauge series: one double.
struct GaugeCell final : CellBase {
  void Set(double v) noexcept {
    Touch();
    bits.store(DoubleBits(v), std::memory_order_relaxed);
  }
  void Add(double v) noexcept {
    Touch();
    AtomicAddDouble(bits, v);
  }
  double Value() const noexcept { return BitsDouble(bits.load(std::memory_order_relaxed)); }
  /// The value's IEEE 754 bits; a build without threads may update it in place, as CounterCell's.
  std::atomic<std::uint64_t> bits{0};
};

/// What every series of one histogram shares: the classic bounds and the native configuration.
struct HistogramLayout : Counted {
  std::vector<double> bounds;  // finite classic bounds; empty for a native-only histogram
  bool native = false;
  NativeConfig native_config = {};
};

/// A histogram series: one non-cumulative count per classic bucket (the last is +Inf), the native buckets
/// if configured, and the sum. The total count is not stored: it is the sum of the bucket counts read at
/// gather time, which is why `_count` always equals the `+Inf` bucket in a snapshot, however many threads
/// observe meanwhile.
struct HistogramCell final : CellBase {
  explicit HistogramCell(const HistogramLayout* l)
      : layout(l), counts(new std::atomic<std::uint64_t>[layout->bounds.size() + 1]) {
    Retain(layout);
    for (std::size_t i = 0; i <= layout->bounds.size(); ++i) counts[i].store(0, std::memory_order_relaxed);
    if (layout->native) native = std::make_unique<NativeBucketsCell>(layout->native_config);
  }
  ~HistogramCell() override { Release(layout); }
  void Observe(double v) noexcept {
    Touch();
    if (native) {
      // Native first, classic after with release: a scrape reads the classic counts first (acquire), so
      // every classic observation it sees is in the native count it reads next, and `count` (native)
      // is never below the classic buckets.
      native->Observe(v);
      if (!layout->bounds.empty()) counts[ClassicBucket(v)].fetch_add(1, std::memory_order_release);
    } else {
      counts[ClassicBucket(v)].fetch_add(1, std::memory_order_relaxed);
    }
    AtomicAddDouble(sum_bits, v);
  }
  std::size_t ClassicBucket(double v) const noexcept {
    const double* b = layout->bounds.data();
    const std::size_t n = layout->bounds.size();
    std::size_t i = 0;
    if (n <= 16) {
      // `!(v <= b)` also sends NaN to the +Inf bucket, as client_golang does.
      while (i < n && !(v <= b[i])) ++i;
      return i;
    }
    std::size_t lo = 0, hi = n;
    while (lo < hi) {
      const std::size_t mid = (lo + hi) / 2;
      if (v <= b[mid])
        hi = mid;
      else
        lo = mid + 1;
    }
    return std::isnan(v) ? n : lo;
  }

  const HistogramLayout* layout;  // counted
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts;
  std::unique_ptr<NativeBucketsCell> native;
  std::atomic<std::uint64_t> sum_bits{0};
};

}  // namespace golivekit::observability::detail
