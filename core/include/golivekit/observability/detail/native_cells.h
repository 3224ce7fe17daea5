#pragma once
// Native (sparse exponential) histogram buckets of one series: the lock-free recording side. The
// exposition side (folding the tables into spans) is in core/src/record/native_buckets.cc. Not part of the
// public API.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>

namespace golivekit::observability::detail {

/// Resolution limits of Prometheus' exponential schemas.
inline constexpr std::int32_t kNativeSchemaMin = -4;
inline constexpr std::int32_t kNativeSchemaMax = 8;

/// `2^(j/256) / 2` for j in 0..255, correctly rounded: the bucket bounds of schema 8 within one power of
/// two, scaled into frexp's [0.5, 1). Schema s > 0 uses every 2^(8-s)-th entry. Computed on first use.
const double* NativeFractions() noexcept;

/// The index of the native bucket of schema `schema` that holds `a` (finite or +Inf, > 0): the `i` with
/// `2^((i-1)/2^schema) < a <= 2^(i/2^schema)`. `fractions` is `NativeFractions()`.
inline std::int32_t NativeBucketIndex(double a, std::int32_t schema, const double* fractions) noexcept {
  constexpr std::uint64_t kMantissa = (std::uint64_t{1} << 52) - 1;
  // frexp from the bits (cheaper than the library call, and no libm in the WebAssembly module):
  // a = frac * 2^exp with frac in [0.5, 1).
  std::uint64_t bits;
  std::memcpy(&bits, &a, sizeof bits);
  // +Inf goes one bucket above the largest finite value's, whose bits are one below its own.
  const bool inf = bits == 0x7ff0000000000000u;
  bits -= inf;
  int exp = static_cast<int>(bits >> 52) - 1022;
  if (exp == -1022) {
    // Subnormal: scaling by 2^64 is exact and makes it normal.
    const double scaled = a * 0x1p64;
    std::memcpy(&bits, &scaled, sizeof bits);
    exp = static_cast<int>(bits >> 52) - 1022 - 64;
  }
  std::int32_t index;
  if (schema > 0) {
    const std::uint64_t frac_bits = (bits & kMantissa) | 0x3fe0000000000000u;
    double frac;
    std::memcpy(&frac, &frac_bits, sizeof frac);
    // The smallest j with fractions[j] >= frac, searched over this schema's 2^schema entries.
    const int stride = 1 << (kNativeSchemaMax - schema);
    int lo = 0, hi = 1 << schema;
    while (lo < hi) {
      const int mid = (lo + hi) / 2;
      if (fractions[mid * stride] < frac)
        lo = mid + 1;
      else
        hi = mid;
    }
    index = lo + (exp - 1) * (1 << schema);
  } else {
    // A power of two (frac 0.5) is the upper bound of its bucket, so it belongs one exponent lower.
    const std::int32_t e = (bits & kMantissa) == 0 ? exp - 1 : exp;
    index = (e + (1 << -schema) - 1) >> -schema;
  }
  return inf ? index + 1 : index;
}

/// The index at `schema - by` of the bucket with index `index` at `schema`: merges 2^by neighbours.
constexpr std::int32_t LowerNativeIndex(std::int32_t index, std::int32_t by) noexcept {
  return (index + (1 << by) - 1) >> by;
}

/// One bucket key: the index, with the sign of the values it holds in the lowest bit.
constexpr std::int64_t NativeKey(std::int32_t index, bool negative) noexcept {
  return static_cast<std::int64_t>(index) * 2 + (negative ? 1 : 0);
}
inline constexpr std::int64_t kNoNativeKey = INT64_MIN;

/// One bucket of a table: the key, claimed once, and its count, side by side so that an observation
/// touches one cache line.
struct NativeSlot {
  std::atomic<std::int64_t> key{kNoNativeKey};
  std::atomic<std::uint64_t> count{0};
};

/// A fixed-size open-addressing table of buckets at one schema. Keys are claimed by compare-and-swap
/// and never removed, counts only grow: observers never wait and never allocate. A table that is full
/// is replaced by a bigger one or one of lower resolution (see `NativeBucketsCell::Replace`); it keeps its
/// counts and stays in the chain `older`, and a scrape adds up the whole chain.
struct NativeTable {
  NativeTable(std::int32_t schema_in, std::uint32_t capacity_pow2, std::uint32_t limit_in)
      : schema(schema_in), mask(capacity_pow2 - 1), limit(limit_in), slots(new NativeSlot[capacity_pow2]) {}
  ~NativeTable() {
    delete[] slots;
    delete older;
  }
  NativeTable(const NativeTable&) = delete;
  NativeTable& operator=(const NativeTable&) = delete;

  /// Adds `n` to the bucket `key`; false (nothing added) when the key is new and the table holds
  /// `limit` keys already.
  bool Add(std::int64_t key, std::uint64_t n) noexcept {
    std::uint32_t i = Slot(key);
    for (std::uint32_t probes = 0; probes <= mask; ++probes, i = (i + 1) & mask) {
      NativeSlot& slot = slots[i];
      std::int64_t k = slot.key.load(std::memory_order_acquire);
      if (k == kNoNativeKey) {
        if (used.load(std::memory_order_relaxed) >= limit) return false;
        if (slot.key.compare_exchange_strong(k, key, std::memory_order_acq_rel, std::memory_order_acquire)) {
          used.fetch_add(1, std::memory_order_relaxed);
          k = key;
        }
      }
      if (k == key) {
        slot.count.fetch_add(n, std::memory_order_relaxed);
        return true;
      }
    }
    return false;
  }
  std::uint32_t Slot(std::int64_t key) const noexcept {
    return static_cast<std::uint32_t>((static_cast<std::uint64_t>(key) * 0x9E3779B97F4A7C15ull) >> 32) & mask;
  }

  const std::int32_t schema;
  const std::uint32_t mask;   // capacity - 1
  const std::uint32_t limit;  // keys this table takes before it is replaced
  std::atomic<std::uint32_t> used{0};
  // Owned. A plain pointer: the WebAssembly module calls unique_ptr's operator[] out of line.
  NativeSlot* const slots;
  NativeTable* older = nullptr;  // owned; set before the table is published, never changed after
};

/// What a native histogram was configured with (validated by `Histogram`).
struct NativeConfig {
  std::int32_t schema = 0;  // the initial resolution
  double zero_threshold = 0;
  std::uint32_t max_buckets = 0;
  const double* fractions = nullptr;  // NativeFractions()
};

/// The native buckets of one series: zero bucket, NaN count, and the chain of tables whose head takes
/// new observations. The total count is never stored: a scrape computes it from the same reads as the
/// buckets, so it can never disagree with them.
struct NativeBucketsCell {
  explicit NativeBucketsCell(const NativeConfig& c) noexcept : config(&c) {}
  ~NativeBucketsCell() { delete head.load(std::memory_order_relaxed); }
  NativeBucketsCell(const NativeBucketsCell&) = delete;
  NativeBucketsCell& operator=(const NativeBucketsCell&) = delete;

  void Observe(double v) noexcept {
    if (std::isnan(v)) {
      nan_count.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const double a = std::fabs(v);
    if (a <= config->zero_threshold) {
      zero_count.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    NativeTable* t = head.load(std::memory_order_acquire);
    while (t == nullptr || !t->Add(NativeKey(NativeBucketIndex(a, t->schema, config->fractions), v < 0), 1))
      t = Replace(t);
  }

  /// Installs the table that follows `full` (null: the first table) unless another thread already did,
  /// and returns the head. The only allocation of recording; bounded by `max_buckets` and the schemas
  /// left.
  NativeTable* Replace(NativeTable* full) noexcept;

  const NativeConfig* config;
  std::atomic<std::uint64_t> zero_count{0};
  std::atomic<std::uint64_t> nan_count{0};
  std::atomic<NativeTable*> head{nullptr};
};

}  // namespace golivekit::observability::detail
